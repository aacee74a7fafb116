// The dashboard's overview with GROUPS_N groups (bench/dashboard.sh): how long until the
// table holds every group, on a cold load (new profile, nothing cached) and a warm one
// (static files cached as immutable, index.html revalidated), beside the baseline of the
// same run: the API call the overview waits for, fetched from Node. Also the longest
// main-thread task while the live stream updates every row once a second, and the JS heap.
import { launch as chromium } from '../tests/web/chromium.mjs';

const { BASE, TOKEN, GROUPS_N, TMPDIR } = process.env;
const N = Number(GROUPS_N || 1000);
const ROUNDS = 7;
const auth = { Authorization: 'Bearer ' + TOKEN };
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1]; };
const fmt = (ms) => ms.toFixed(ms < 10 ? 2 : 0).padStart(8) + ' ms';

// 1000 groups: 20 parents of 49 children each, made 8 at a time.
const names = [];
for (let p = 0; p < Math.ceil(N / 50); p++) {
  names.push([`p${p}`, null]);
  for (let c = 1; c < 50 && names.length < N; c++) names.push([`p${p}-c${c}`, `p${p}`]);
}
const create = ([name, parent]) => fetch(BASE + '/api/v1/groups', {
  method: 'POST', headers: { ...auth, 'Content-Type': 'application/json' },
  body: JSON.stringify(parent ? { name, parent } : { name }),
}).then((r) => { if (r.status !== 201) throw new Error(name + ': HTTP ' + r.status); });
const t0 = performance.now();
for (const g of names.filter(([, p]) => !p)) await create(g);
const children = names.filter(([, p]) => p);
for (let i = 0; i < children.length; i += 8) await Promise.all(children.slice(i, i + 8).map(create));
const createMs = performance.now() - t0;
await new Promise((r) => setTimeout(r, 2500)); // two sweeps, so the stream carries rates

const api = [];
for (let i = 0; i < ROUNDS; i++) {
  const t = performance.now();
  await fetch(BASE + '/api/v1/groups', { headers: auth }).then((r) => r.json());
  api.push(performance.now() - t);
}

// Milliseconds from the navigation's start until the table has every group.
async function load(page) {
  await page.goto('about:blank'); // else a second goto only changes the fragment
  await page.goto(`${BASE}/#token=${TOKEN}`);
  await page.waitForFunction((n) => document.querySelectorAll('table.groups tbody tr').length === n, N, { timeout: 60000 });
  return page.evaluate(() => performance.now());
}

const cold = [], warm = [];
for (let i = 0; i < ROUNDS; i++) {
  const ctx = await chromium(TMPDIR);
  const page = await ctx.newPage();
  cold.push(await load(page));
  warm.push(await load(page));
  await ctx.close();
}

// Live updates: every row refreshed from each sweep's usage event, for 5 s.
const ctx = await chromium(TMPDIR);
const page = await ctx.newPage();
await load(page);
const live = await page.evaluate(() => new Promise((resolve) => {
  const tasks = [];
  let updates = 0;
  new PerformanceObserver((l) => tasks.push(...l.getEntries().map((e) => e.duration))).observe({ type: 'longtask' });
  // Each sweep rewrites the CPU cells: count the sweeps that reached the table.
  new MutationObserver(() => updates++).observe(document.querySelector('table.groups tbody'),
    { subtree: true, childList: true, characterData: true });
  setTimeout(() => resolve({ longest: Math.max(0, ...tasks), count: tasks.length, updates,
    heap: performance.memory ? performance.memory.usedJSHeapSize : 0 }), 5000);
}));
await ctx.close();

console.log(`dashboard, ${N} groups (${names.filter(([, p]) => !p).length} parents), median of ${ROUNDS} loads, Chromium headless`);
console.log(`  ${'created through the API, 8 at a time'.padEnd(66)} ${fmt(createMs)}  (${(createMs / N).toFixed(2)} ms a group)`);
console.log(`  ${'baseline: GET /api/v1/groups from Node (what the page waits for)'.padEnd(66)} ${fmt(median(api))}`);
console.log(`  ${'overview, cold load (new profile) until all rows are in'.padEnd(66)} ${fmt(median(cold))}  (min ${fmt(Math.min(...cold)).trim()}, max ${fmt(Math.max(...cold)).trim()})`);
console.log(`  ${'overview, warm load (static files cached) until all rows'.padEnd(66)} ${fmt(median(warm))}  (min ${fmt(Math.min(...warm)).trim()}, max ${fmt(Math.max(...warm)).trim()})`);
console.log(`  ${'live: longest main-thread task over 5 s of 1 s sweeps'.padEnd(66)} ${live.count ? fmt(live.longest) : 'none over 50 ms'.padStart(16)}  (${live.count} tasks over 50 ms; ${live.updates} table updates)`);
console.log(`  ${'JS heap after load'.padEnd(66)} ${(live.heap / 1048576).toFixed(1).padStart(8)} MiB`);
