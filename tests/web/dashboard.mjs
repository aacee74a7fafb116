// The dashboard in a real headless Chromium against the real daemon (tests/web/run.sh):
// every action of the overview, the group page and the reports page, checked in the page
// and, where it changes something, in the kernel's own files. Prints "ok N - …" per check
// and ends with "N passed, N failed". Any console error (a CSP violation included) fails.
import { launch } from './chromium.mjs';
import fs from 'node:fs';
import path from 'node:path';

const { BASE, TOKEN, MEMDIR, FREEZERDIR, LAYOUT, SHOTS, TMPDIR } = process.env;
const GROUP = 'webtest';
let pass = 0, fail = 0, n = 0;

function ok(cond, name, detail) {
  n++;
  if (cond) { pass++; console.log(`ok ${n} - ${name}`); }
  else { fail++; console.log(`not ok ${n} - ${name}${detail ? ': ' + detail : ''}`); }
}

// step NAME fn: a check that passes when fn resolves; a throw (a timeout, say) fails it.
async function step(name, fn) {
  try { await fn(); ok(true, name); } catch (e) { ok(false, name, String(e.message || e).split('\n')[0]); }
}

const kernel = (dir, file) => fs.readFileSync(path.join(dir, file), 'utf8').trim();
const cpuQuota = () => (LAYOUT === 'v2' ? kernel(path.join(MEMDIR, GROUP), 'cpu.max').split(' ')[0]
  : kernel(path.join(MEMDIR.replace(/\/memory\//, '/cpu/'), GROUP), 'cpu.cfs_quota_us'));
const memMax = () => kernel(path.join(MEMDIR, GROUP), LAYOUT === 'v2' ? 'memory.max' : 'memory.limit_in_bytes');
function freezerState() {
  if (LAYOUT !== 'v2') return kernel(path.join(FREEZERDIR, GROUP), 'freezer.state');
  return /frozen 1/.test(kernel(path.join(FREEZERDIR, GROUP), 'cgroup.events')) ? 'FROZEN' : 'THAWED';
}
async function until(what, fn, ms = 10000) {
  const end = Date.now() + ms;
  for (;;) {
    let v;
    try { v = await fn(); } catch (_) { v = false; }
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out waiting for ' + what);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function headersOf(p, extra = {}) {
  const r = await fetch(BASE + p, { headers: extra });
  return { status: r.status, h: r.headers, body: await r.text() };
}

// ---- the files as served, before any browser ----
const index = await headersOf('/');
ok(index.status === 200 && index.h.get('content-type').startsWith('text/html'), 'GET / is text/html');
const csp = index.h.get('content-security-policy') || '';
ok(/default-src 'none'/.test(csp) && /script-src 'self'/.test(csp) && !/unsafe/.test(csp), 'a strict CSP: default-src none, scripts from self, nothing unsafe', csp);
ok(index.h.get('cache-control') === 'no-cache' && /^"[0-9a-f]+"$/.test(index.h.get('etag') || ''), 'index.html: no-cache with an ETag');
const again = await headersOf('/', { 'If-None-Match': index.h.get('etag') });
ok(again.status === 304 && again.body === '', 'index.html revalidates as 304 Not Modified');
const staticPath = (index.body.match(/src="(\/static\/[0-9a-f]+\/main\.js)"/) || [])[1];
ok(!!staticPath, 'index.html loads main.js from /static/<hash>/');
const mainJs = await headersOf(staticPath || '/none');
ok(mainJs.status === 200 && /^text\/javascript/.test(mainJs.h.get('content-type')) &&
  /immutable/.test(mainJs.h.get('cache-control') || ''), 'a static file: text/javascript, cached as immutable');
const uplot = await headersOf((staticPath || '').replace('main.js', 'uplot.min.js'));
ok(uplot.status === 200 && uplot.body.includes('uPlot'), 'uPlot is served from the daemon itself');
const css = await headersOf((staticPath || '').replace('main.js', 'style.css'));
ok(/^text\/css/.test(css.h.get('content-type') || ''), 'CSS is text/css');
ok(!/https?:\/\/(?!127\.0\.0\.1)/.test(index.body), 'index.html names nothing outside the daemon');
const noToken = await headersOf('/api/v1/groups');
ok(noToken.status === 401, 'the API itself still needs the token (the page sends it as a header)');

// ---- the browser ----
const ctx = await launch(TMPDIR, { acceptDownloads: true });
const page = await ctx.newPage();
page.setDefaultTimeout(15000);
const consoleErrors = [];
page.on('console', (m) => { if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) consoleErrors.push(m.text()); });
page.on('pageerror', (e) => consoleErrors.push(e.message));
const requests = [];
page.on('request', (r) => requests.push(r));
const shot = (name) => page.screenshot({ path: path.join(SHOTS, name + '.png'), fullPage: true });
const row = () => page.locator('table.groups tbody tr', { has: page.locator(`a[href="#/group/${GROUP}"]`) });
const childRow = () => page.locator('table.groups tbody tr', { has: page.locator('a[href="#/group/webtest-child"]') });

try {
  await step('the dashboard opens with the token from the fragment, and the fragment is dropped', async () => {
    await page.goto(`${BASE}/#token=${TOKEN}`);
    await page.getByRole('heading', { name: 'Groups' }).waitFor();
    await until('the live stream', async () => (await page.locator('#live').textContent()) === 'live');
    if (page.url().includes(TOKEN)) throw new Error('the token is still in the address');
  });

  await step('a bad name is refused as you type and nothing is created', async () => {
    await page.getByLabel('New group').fill('Bad/Name');
    if ((await page.getByLabel('New group').getAttribute('aria-invalid')) !== 'true') throw new Error('not marked invalid');
    await page.getByRole('button', { name: 'Create group' }).click();
    await page.waitForTimeout(300);
    const r = await fetch(BASE + '/api/v1/groups', { headers: { Authorization: 'Bearer ' + TOKEN } });
    if ((await r.json()).groups.length !== 0) throw new Error('a group was created');
  });

  await step('keyboard only: Tab to "New group", type a name, Enter creates it and it appears', async () => {
    await page.getByLabel('New group').fill('');
    await page.locator('h2').focus();
    for (let i = 0; i < 10 && !(await page.evaluate(() => document.activeElement.id === 'new-name')); i++)
      await page.keyboard.press('Tab');
    if (!(await page.evaluate(() => document.activeElement.id === 'new-name'))) throw new Error('Tab never reached the name');
    await page.keyboard.type(GROUP);
    await page.keyboard.press('Enter');
    await row().waitFor();
  });

  await step('a group created elsewhere (the API) appears without a reload', async () => {
    const r = await fetch(BASE + '/api/v1/groups', { method: 'POST', headers: { Authorization: 'Bearer ' + TOKEN,
      'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'webtest-child', parent: GROUP }) });
    if (r.status !== 201) throw new Error('create: ' + r.status);
    await page.locator('a[href="#/group/webtest-child"]').waitFor();
  });

  await step('the tree: the child sits below its parent, indented', async () => {
    const names = await page.locator('table.groups tbody td.name a').allTextContents();
    if (names.indexOf('webtest-child') !== names.indexOf(GROUP) + 1) throw new Error(names.join(','));
    const pad = await page.locator('table.groups tbody td.name').evaluateAll((tds) => tds.map((td) => parseFloat(td.style.paddingLeft)));
    if (!(pad[1] > pad[0])) throw new Error('padding ' + pad);
  });

  await step('the tree folds: Collapse hides the child, Expand shows it again (aria-expanded)', async () => {
    await page.getByRole('button', { name: 'Collapse ' + GROUP }).click();
    await until('child hidden', async () => (await page.locator('a[href="#/group/webtest-child"]').count()) === 0);
    const t = page.getByRole('button', { name: 'Expand ' + GROUP });
    if ((await t.getAttribute('aria-expanded')) !== 'false') throw new Error('aria-expanded not false');
    await t.focus();
    await page.keyboard.press('Enter');
    await page.locator('a[href="#/group/webtest-child"]').waitFor();
  });

  await step('filter: typing a name hides the rest', async () => {
    await page.getByLabel('Filter').fill('child');
    await until('one row', async () => (await page.locator('table.groups tbody tr').count()) === 1);
    await page.getByLabel('Filter').fill('');
    await until('two rows', async () => (await page.locator('table.groups tbody tr').count()) === 2);
  });

  await step('sort: the Pids header sorts, and says so (aria-sort)', async () => {
    await page.getByRole('button', { name: 'Pids' }).click();
    const s = await page.locator('th[data-key=pids]').getAttribute('aria-sort');
    if (s !== 'descending') throw new Error('aria-sort ' + s);
    await page.getByRole('button', { name: 'Group', exact: true }).click();
  });

  await step('live usage: the CPU and IO columns fill from the usage stream (they are rates of two sweeps)', async () => {
    await until('usage', async () => /%$/.test(await row().locator('td').nth(2).textContent()) &&
      /B\/s/.test(await row().locator('td').nth(4).textContent()));
  });

  await step('freeze from the overview: FROZEN only once the API (the kernel) has answered', async () => {
    // Hold the answer for a second: until it arrives the row must not claim FROZEN.
    let release;
    const held = new Promise((r) => { release = r; });
    await page.route('**/freeze', async (route) => { await held; await route.continue(); });
    let early;
    try {
      await page.getByRole('button', { name: 'Freeze ' + GROUP, exact: true }).click();
      await row().locator('button[aria-busy=true]', { hasText: 'Freezing…' }).waitFor();
      await page.waitForTimeout(1000);
      early = await row().locator('.state').textContent();
    } finally {
      release();
    }
    await row().locator('.state', { hasText: 'FROZEN' }).waitFor();
    await page.unroute('**/freeze');
    if (!/RUNNING/.test(early)) throw new Error('showed ' + early + ' before the answer');
    if (freezerState() !== 'FROZEN') throw new Error('kernel: ' + freezerState());
  });

  await step('... and its child, frozen with it by the kernel, shows FROZEN too', async () => {
    await childRow().locator('.state', { hasText: 'FROZEN' }).waitFor();
  });

  await shot('overview');

  await step('thaw from the overview: RUNNING, the child too, and the kernel thawed it', async () => {
    await page.getByRole('button', { name: 'Thaw ' + GROUP, exact: true }).click();
    await row().locator('.state', { hasText: 'RUNNING' }).waitFor();
    await childRow().locator('.state', { hasText: 'RUNNING' }).waitFor();
    if (freezerState() !== 'THAWED') throw new Error('kernel: ' + freezerState());
  });

  await step('the group page opens from its link', async () => {
    await row().getByRole('link', { name: GROUP }).click();
    await page.getByRole('heading', { name: GROUP, exact: true, level: 2 }).waitFor();
  });

  await step('limit editor: a bad size is flagged as you type and Save is disabled', async () => {
    await page.getByLabel('Memory limit').fill('12 apples');
    await until('aria-invalid', async () => (await page.getByLabel('Memory limit').getAttribute('aria-invalid')) === 'true');
    if (!(await page.getByRole('button', { name: 'Save limits' }).isDisabled())) throw new Error('Save is enabled');
    if (!/a size/.test(await page.locator('#limit-memory-max-msg').textContent())) throw new Error('no message');
  });

  await step('limit editor: 64M and 0.5 CPUs are saved, and the kernel files say so', async () => {
    await page.getByLabel('Memory limit').fill('64M');
    await page.getByLabel('CPU limit').fill('0.5');
    await page.getByRole('button', { name: 'Save limits' }).click();
    await page.getByText('Saved: the kernel took the new limits.').waitFor();
    await until('the kernel file', async () => memMax() === '67108864');
    if (cpuQuota() !== '50000') throw new Error('cpu quota ' + cpuQuota());
  });

  await step('limit editor: the API refusal (more CPUs than the host has) is shown at the field', async () => {
    await page.getByLabel('CPU limit').fill('100000');
    await page.getByRole('button', { name: 'Save limits' }).click();
    await page.locator('main .error[role=alert]').filter({ hasText: /cpu/i }).waitFor();
    if ((await page.getByLabel('CPU limit').getAttribute('aria-invalid')) !== 'true') throw new Error('field not flagged');
    if (memMax() !== '67108864' || cpuQuota() !== '50000') throw new Error('the refused change touched the kernel');
    await page.getByRole('button', { name: 'Reset limits' }).click();
  });

  await step('disk throttles: 10M read on a disk, in the kernel file; then removed', async () => {
    const name = fs.readdirSync('/sys/block').find((d) => !/^(loop|ram|zram|sr|nbd)/.test(d));
    if (!name) throw new Error('no disk in /sys/block');
    const dev = kernel('/sys/block/' + name, 'dev');
    const ioFile = () => (LAYOUT === 'v2' ? kernel(path.join(MEMDIR, GROUP), 'io.max')
      : kernel(path.join(MEMDIR.replace(/\/memory\//, '/blkio/'), GROUP), 'blkio.throttle.read_bps_device'));
    await page.getByLabel('New disk', { exact: true }).fill(dev);
    await page.getByLabel('Read B/s of the new disk').fill('10M');
    await page.getByRole('button', { name: 'Save throttles' }).click();
    await page.getByText('Saved: the kernel took the new throttles.').waitFor();
    const want = LAYOUT === 'v2' ? new RegExp('^' + dev + ' rbps=10485760 ', 'm') : new RegExp('^' + dev + ' 10485760$', 'm');
    if (!want.test(ioFile())) throw new Error('kernel: ' + ioFile());
    await page.getByLabel('Remove the throttles of ' + dev).check();
    await page.getByRole('button', { name: 'Save throttles' }).click();
    await until('the row gone', async () => (await page.getByLabel('Disk ' + dev, { exact: true }).count()) === 0);
    if (ioFile().includes(dev + ' ')) throw new Error('kernel still has: ' + ioFile());
  });

  await step('run a process: its log shows what it printed', async () => {
    // It burns CPU, so the charts have something to draw and the 0.5 CPU limit throttles it.
    await page.getByLabel('Command').fill("sh -c 'echo hello from the dashboard; while :; do :; done'");
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await page.locator('#log').filter({ hasText: 'hello from the dashboard' }).waitFor();
    await page.locator('table.procs .pstate', { hasText: 'running' }).waitFor();
  });

  await step('the page counts the running process without a reload', async () => {
    await page.locator('.facts', { hasText: /[1-9]\d* process(es)? in the group/ }).waitFor();
  });

  await step('freeze and thaw from the group page, by keyboard', async () => {
    await page.locator('#freeze').focus();
    await page.keyboard.press('Enter');
    await page.locator('.title .state', { hasText: 'FROZEN' }).waitFor();
    if (freezerState() !== 'FROZEN') throw new Error('kernel: ' + freezerState());
    await page.locator('#freeze').focus();
    await page.keyboard.press('Enter');
    await page.locator('.title .state', { hasText: 'RUNNING' }).waitFor();
    if (freezerState() !== 'THAWED') throw new Error('kernel: ' + freezerState());
  });

  await step('events: the freeze and the limit change are listed, live', async () => {
    await page.locator('table.events .ev', { hasText: 'limits' }).first().waitFor();
    await page.locator('table.events .ev', { hasText: 'freeze' }).first().waitFor();
  });

  await step('a chart: 15 minutes of CPU (throttled) and memory history, with the memory limit line', async () => {
    await page.getByLabel('Range').selectOption('15m');
    await until('points', async () => /^([6-9]|\d\d+) points/.test(await page.locator('#range + .hint').textContent()), 20000);
    await page.locator('#chart-memory canvas').waitFor();
    await page.locator('#chart-cpu canvas').waitFor();
    // The cursor at the newest points: the legend then reads the values drawn there.
    const at = async (id) => {
      const over = page.locator(`#chart-${id} .u-over`);
      const box = await over.boundingBox();
      await over.hover({ position: { x: box.width - 2, y: box.height / 2 } });
      return (await page.locator(`#chart-${id} .u-legend .u-series`).allTextContents()).join(' | ');
    };
    const mem = await at('memory');
    if (!/limit:?\s*64 MiB/.test(mem)) throw new Error('memory legend: ' + mem);
    const cpu = await at('cpu');
    if (!/one CPU\):?\s*[1-9]\d*(\.\d)?%/.test(cpu)) throw new Error('cpu legend: ' + cpu);
    await page.mouse.move(0, 0);
  });

  await shot('group');

  await step('stop the process: its state becomes killed', async () => {
    await page.getByRole('button', { name: /^Stop process/ }).first().click();
    await page.locator('table.procs .pstate', { hasText: /killed|exited/ }).first().waitFor();
  });

  await step('run with the walls changed: no capabilities, no seccomp; the process and the table say so', async () => {
    await page.getByLabel('Command').fill("sh -c 'grep -E \"^(CapEff|Seccomp):\" /proc/self/status'");
    await page.getByLabel('Drop capabilities').fill('ALL');
    await page.getByLabel("Seccomp filter (Docker's default)").uncheck();
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await page.locator('#log').filter({ hasText: /CapEff:\s+0000000000000000/ }).waitFor();
    await page.locator('#log').filter({ hasText: /Seccomp:\s+0/ }).waitFor();
    await page.locator('table.procs td.walls', { hasText: 'no caps · unconfined' }).first().waitFor();
    await page.locator('table.procs td.walls', { hasText: '14 caps · seccomp · no new privileges' }).first().waitFor();
    await page.getByLabel('Drop capabilities').fill('');
    await page.getByLabel("Seccomp filter (Docker's default)").check();
  });

  await step('reports: the page shows a row for the group', async () => {
    await page.getByRole('link', { name: 'Reports' }).click();
    await page.getByRole('heading', { name: 'Usage report' }).waitFor();
    await page.getByLabel('Groups').selectOption([GROUP, 'webtest-child']);
    await page.getByRole('button', { name: 'Show report' }).click();
    await until('rows', async () => (await page.locator('table.report-table tbody tr').count()) === 2);
    await page.locator('table.report-table td', { hasText: GROUP }).first().waitFor();
  });

  await step('reports: Download CSV saves the report, header first, with the group', async () => {
    const [dl] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download CSV' }).click()]);
    const csv = fs.readFileSync(await dl.path(), 'utf8');
    if (!csv.startsWith('group,period,deleted_at,cpu_seconds')) throw new Error('header: ' + csv.split('\n')[0]);
    if (!csv.split('\n').some((l) => l.startsWith(GROUP + ','))) throw new Error('no row for ' + GROUP);
    if (csv.trim().split('\n').length !== 3) throw new Error('not just the two chosen groups: ' + csv);
    if (dl.suggestedFilename() !== 'cgwarden-usage.csv') throw new Error(dl.suggestedFilename());
  });

  await step('reports: Download JSON', async () => {
    const [dl] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download JSON' }).click()]);
    const j = JSON.parse(fs.readFileSync(await dl.path(), 'utf8'));
    if (!j.rows.some((r) => r.group === GROUP)) throw new Error('no row');
  });

  await shot('reports');

  await step('delete from the group page: confirm, back to the overview, the row is gone', async () => {
    await page.goto(`${BASE}/#/group/webtest-child`);
    await page.getByRole('button', { name: 'Delete…' }).click();
    await page.getByRole('button', { name: 'Delete webtest-child' }).click();
    await page.getByRole('heading', { name: 'Groups' }).waitFor();
    await until('row gone', async () => (await page.locator('a[href="#/group/webtest-child"]').count()) === 0);
  });

  await step('a deleted group\'s page: its ledger row and its history are still there', async () => {
    await page.goto(`${BASE}/#/group/webtest-child`);
    await page.getByText('This group does not exist now.').waitFor();
    await page.locator('dl.now dt', { hasText: 'Lived' }).waitFor();
    await page.locator('#chart-cpu canvas').waitFor();
  });

  await step('labelled controls: every input, select and button has an accessible name', async () => {
    for (const where of ['#/', '#/group/' + GROUP, '#/reports']) {
      await page.goto(`${BASE}/${where}`);
      await page.locator('main h2').waitFor();
      await page.waitForTimeout(300);
      const unnamed = await page.evaluate(() => [...document.querySelectorAll('input, select, button, textarea')]
        .filter((el) => !el.closest('[hidden]') && !el.closest('[aria-hidden=true]'))
        .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !(el.textContent || '').trim())
        .map((el) => el.outerHTML.slice(0, 80)));
      if (unnamed.length) throw new Error(where + ': ' + unnamed.join(' | '));
    }
  });

  await step('without a token the page asks for one; a wrong one is refused, the right one opens it', async () => {
    const p2 = await ctx.newPage(); // sessionStorage is per tab: this one has no token
    try {
      await p2.goto(`${BASE}/`);
      await p2.getByLabel('Token').fill('0'.repeat(64));
      await p2.getByRole('button', { name: 'Open' }).click();
      await p2.getByText(/refused that token/).waitFor();
      await p2.getByLabel('Token').fill(TOKEN);
      await p2.getByRole('button', { name: 'Open' }).click();
      await p2.locator(`a[href="#/group/${GROUP}"]`).waitFor();
    } finally {
      await p2.close();
    }
  });

  await step('every request went to the daemon itself, with the token as a header, never a cookie', async () => {
    const foreign = requests.filter((r) => !r.url().startsWith(BASE + '/'));
    if (foreign.length) throw new Error(foreign[0].url());
    const api = requests.filter((r) => r.url().includes('/api/v1/'));
    if (!api.length || api.some((r) => r.headers().authorization !== 'Bearer ' + TOKEN || r.headers().cookie))
      throw new Error('an API request without the header, or with a cookie');
    if ((await ctx.cookies()).length) throw new Error('a cookie was set');
  });

  ok(consoleErrors.length === 0, 'no errors in the console (CSP violations included)', consoleErrors.join(' | '));
} finally {
  await ctx.close();
}
console.log(`${pass} passed, ${fail} failed`);
process.exit(fail ? 1 : 0);
