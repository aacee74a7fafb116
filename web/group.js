// One group: state and actions, history charts, limit editor, processes and their logs,
// a form to run a container process, and the group's events.
import { call, text, groupPath } from './api.js';
import { h, stateBadge, showError, withBusy } from './dom.js';
import { bytes, rate, percent, dateTime, duration, splitCommand, securityFields, wallsSummary } from './format.js';
import { FIELDS, currentText, checkField, buildPatch, IO_KEYS, checkIo, buildIoPatch } from './limits.js';
import { Charts } from './charts.js';

const NAMESPACES = ['pid', 'mount', 'uts', 'ipc', 'net', 'user'];
const DEFAULT_NS = new Set(['pid', 'mount', 'uts', 'ipc', 'net']);
const PROCESS_EVENTS = new Set(['process_start', 'process_exit']);

const quoteArg = (a) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : "'" + a.replace(/'/g, "'\\''") + "'");

export class GroupPage {
  constructor(store, name) {
    this.store = store;
    this.name = name;
    this.charts = new Charts(name);
    this.logFor = null;
    this.timers = [];
  }

  render(root) {
    this.g = this.store.groups.get(this.name);
    this.error = h('p', { class: 'error', role: 'alert', hidden: true });
    if (!this.g) return this.renderGone(root);
    this.badge = h('span', {});
    this.facts = h('p', { class: 'facts' });
    this.now = h('dl', { class: 'now' });
    this.freezeBtn = h('button', { type: 'button', id: 'freeze', onclick: () => this.toggleFreeze() });
    root.replaceChildren(
      h('p', { class: 'crumbs' }, h('a', { href: '#/' }, 'Groups'), ' / ', this.name),
      h('div', { class: 'title' }, h('h2', {}, this.name), this.badge,
        h('div', { class: 'actions' }, this.freezeBtn, this.deleteControls())),
      this.facts, this.error, this.now,
      this.charts.render(),
      h('div', { class: 'columns' }, this.limitsEditor(), this.runForm()),
      this.ioEditor(),
      this.processesSection(),
      this.eventsSection());
    this.showGroup();
    this.showUsage(this.store.usage.get(this.name));
    this.charts.load();
    this.loadProcesses();
    this.loadEvents();
  }

  // A group that is gone: its history is kept, and the ledger has what it used in its life.
  renderGone(root) {
    this.ledger = h('div', {});
    root.replaceChildren(
      h('p', { class: 'crumbs' }, h('a', { href: '#/' }, 'Groups'), ' / ', this.name),
      h('h2', {}, this.name), this.error,
      h('p', {}, 'This group does not exist now. What was recorded of it is below.'),
      this.ledger, this.charts.render());
    this.charts.load();
    this.loadLedger();
  }

  async loadLedger() {
    const r = await this.act(() => call('GET', `/api/v1/ledger?group=${encodeURIComponent(this.name)}&from=-400d`));
    const e = r && r.entries.filter((x) => x.kind === 'group').pop(); // the latest life of the name
    if (!e) { this.ledger.replaceChildren(h('p', { class: 'hint' }, 'No ledger entry: it was never seen, or is older than the ledger keeps.')); return; }
    const item = (k, v) => [h('dt', {}, k), h('dd', {}, v)];
    this.ledger.replaceChildren(h('dl', { class: 'now' },
      ...item('Lived', dateTime(e.started_at) + ' – ' + dateTime(e.ended_at)), ...item('CPU', duration(e.cpu_usec / 1e6)),
      ...item('Memory peak', bytes(e.memory_peak)), ...item('Read', bytes(e.io_read_bytes)), ...item('Written', bytes(e.io_write_bytes)),
      ...item('OOM kills', String(e.oom_kills))));
  }

  close() {
    this.charts.close();
    this.timers.forEach(clearInterval);
  }

  showGroup() {
    const g = this.g;
    this.badge.replaceChildren(stateBadge(g.state));
    if (!this.freezeBtn.hasAttribute('aria-busy')) {
      this.freezeBtn.textContent = g.state === 'THAWED' ? 'Freeze' : 'Thaw';
      this.freezeBtn.setAttribute('aria-label', this.freezeBtn.textContent + ' ' + g.name);
    }
    this.facts.replaceChildren('Parent: ', g.parent ? h('a', { href: '#/group/' + g.parent }, g.parent) : '(top level)',
      ' · created ', dateTime(g.created_at), ' · ',
      g.pids.length === 1 ? '1 process' : g.pids.length + ' processes', ' in the group');
    if (this.fieldInputs && !this.dirty) this.fillLimits();
    if (this.ioBody && !this.ioDirty) this.fillIo();
  }

  showUsage(u) {
    u = u || {};
    const lim = this.g.limits || {};
    const mem = lim.memory && lim.memory.max !== undefined && lim.memory.max !== 'max' ? ' of ' + bytes(lim.memory.max) : '';
    const item = (k, v) => [h('dt', {}, k), h('dd', {}, v)];
    this.now.replaceChildren(...item('CPU', percent(u.cpu_cores)), ...item('Memory', bytes(u.memory_usage) + mem),
      ...item('IO read', rate(u.io_read_bps)), ...item('IO write', rate(u.io_write_bps)),
      ...item('Pids', u.pids !== undefined ? String(u.pids) : '–'));
  }

  groupChanged(name, g) {
    if (name !== this.name || !this.badge) return; // (a page of a gone group stays as it is)
    if (!g) {
      this.g = null;
      showError(this.error, { message: 'This group was deleted.' });
      return;
    }
    this.g = g;
    this.showGroup();
  }

  usageChanged() {
    if (!this.g) return;
    this.showUsage(this.store.usage.get(this.name));
    this.charts.refresh();
  }

  eventArrived(ev) {
    if (ev.group !== this.name || !this.eventBody) return;
    this.prependEvent(ev);
    if (PROCESS_EVENTS.has(ev.type)) this.loadProcesses();
  }

  async act(fn) {
    try {
      const r = await fn();
      showError(this.error, null);
      return r;
    } catch (e) {
      showError(this.error, e);
      return undefined;
    }
  }

  async toggleFreeze() {
    const thaw = this.g.state !== 'THAWED';
    await this.act(() => withBusy(this.freezeBtn, thaw ? 'Thawing…' : 'Freezing…', () => this.store.freezeOrThaw(this.name, thaw)));
    if (this.g) this.showGroup();
  }

  deleteControls() {
    const force = h('input', { type: 'checkbox', id: 'delete-force' });
    const confirm = h('div', { class: 'confirm', hidden: true, role: 'group', 'aria-label': 'Confirm delete' },
      h('label', {}, force, ' also kill its processes and delete its child groups'),
      h('button', { type: 'button', class: 'danger', id: 'delete-confirm', onclick: async () => {
        const ok = await this.act(() => call('DELETE', groupPath(this.name, force.checked ? '?force=true' : '')));
        if (ok !== undefined) { this.store.deleteGroup(this.name); location.hash = '#/'; }
      } }, 'Delete ' + this.name),
      h('button', { type: 'button', onclick: () => { confirm.hidden = true; open.focus(); } }, 'Cancel'));
    const open = h('button', { type: 'button', id: 'delete', class: 'danger',
      onclick: () => { confirm.hidden = false; force.focus(); } }, 'Delete…');
    return h('span', {}, open, confirm);
  }

  // ---- limits ----

  limitsEditor() {
    this.fieldInputs = new Map();
    this.limitMsg = h('p', { class: 'hint', 'aria-live': 'polite' });
    const rows = FIELDS.map((f) => {
      const input = h('input', { id: f.id, autocomplete: 'off', 'aria-describedby': f.id + '-msg', size: 12 });
      const msg = h('span', { id: f.id + '-msg', class: 'hint' }, f.hint);
      input.addEventListener('input', () => { this.dirty = true; this.checkLimit(f); });
      this.fieldInputs.set(f.id, { f, input, msg });
      return h('div', { class: 'field' }, h('label', { for: f.id }, f.label), input, msg);
    });
    this.saveBtn = h('button', { type: 'submit' }, 'Save limits');
    const form = h('form', { class: 'limits', 'aria-labelledby': 'limits-h' },
      h('h3', { id: 'limits-h' }, 'Limits'),
      h('p', { class: 'hint' }, 'Empty means no limit. Only what you change is sent.'),
      rows, h('div', {}, this.saveBtn, ' ',
        h('button', { type: 'button', onclick: () => { this.dirty = false; this.fillLimits(); } }, 'Reset limits')),
      this.limitMsg);
    form.addEventListener('submit', (e) => { e.preventDefault(); this.saveLimits(); });
    return form;
  }

  fillLimits() {
    for (const { f, input } of this.fieldInputs.values()) {
      input.value = currentText(f, this.g.limits);
      this.checkLimit(f);
    }
  }

  checkLimit(f, apiError) {
    const { input, msg } = this.fieldInputs.get(f.id);
    const r = apiError ? { error: apiError } : checkField(f, input.value, this.g.limits);
    input.setAttribute('aria-invalid', String(!!r.error));
    msg.textContent = r.error || (r.unchanged ? f.hint : r.value === null ? 'will be removed' : 'will be set');
    msg.className = r.error ? 'hint bad' : r.unchanged ? 'hint' : 'hint changed';
    const bad = [...this.fieldInputs.values()].some((x) => x.input.getAttribute('aria-invalid') === 'true');
    this.saveBtn.disabled = bad;
  }

  async saveLimits() {
    const texts = {};
    for (const [id, { input }] of this.fieldInputs) texts[id] = input.value;
    const { patch, errors } = buildPatch(texts, this.g.limits);
    if (errors) return this.fieldInputs.get(Object.keys(errors)[0]).input.focus();
    if (!Object.keys(patch).length) { this.limitMsg.textContent = 'Nothing changed.'; return; }
    try {
      const g = await call('PATCH', groupPath(this.name, '/limits'), patch);
      this.dirty = false;
      this.store.setGroup(g);
      this.limitMsg.textContent = 'Saved: the kernel took the new limits.';
      showError(this.error, null);
    } catch (e) {
      // The API names the field (a JSON pointer such as /memory/max): show it there.
      const f = FIELDS.find((x) => e.field && e.field.startsWith(x.pointer));
      if (f) { this.checkLimit(f, e.message); this.fieldInputs.get(f.id).input.focus(); }
      this.limitMsg.textContent = '';
      showError(this.error, e);
    }
  }

  // ---- disk throttles (io.max) and device rules ----

  ioEditor() {
    this.ioBody = h('tbody');
    this.ioMsg = h('p', { class: 'hint', 'aria-live': 'polite' });
    this.devices = h('p', { class: 'hint' });
    const form = h('form', { class: 'io', 'aria-labelledby': 'io-h' },
      h('h3', { id: 'io-h' }, 'Disk throttles'),
      h('p', { class: 'hint' }, 'Per whole disk, as MAJ:MIN or a /dev path. Empty means no throttle.'),
      h('table', { 'aria-label': 'Disk throttles' }, h('thead', {}, h('tr', {},
        h('th', { scope: 'col' }, 'Disk'), IO_KEYS.map((k) => h('th', { scope: 'col' }, k.label)), h('th', { scope: 'col' }, 'Remove'))),
      this.ioBody),
      h('div', {}, h('button', { type: 'submit' }, 'Save throttles'), ' ',
        h('button', { type: 'button', onclick: () => { this.ioDirty = false; this.fillIo(); } }, 'Reset throttles')),
      this.ioMsg, this.devices);
    form.addEventListener('input', () => { this.ioDirty = true; });
    form.addEventListener('submit', (e) => { e.preventDefault(); this.saveIo(); });
    return form;
  }

  ioRow(disk, cur) {
    const isNew = disk === '';
    const diskIn = h('input', { size: 12, value: disk, readonly: !isNew, 'aria-label': isNew ? 'New disk' : 'Disk ' + disk,
      placeholder: isNew ? '8:0 or /dev/sda' : null });
    const inputs = {};
    const cells = IO_KEYS.map((k) => {
      const input = h('input', { size: 9, value: cur[k.key] !== undefined ? String(cur[k.key]) : '',
        'aria-label': `${k.label} of ${isNew ? 'the new disk' : disk}` });
      input.addEventListener('input', () => input.setAttribute('aria-invalid', String(!!checkIo(k, input.value).error)));
      inputs[k.key] = input;
      return h('td', {}, input);
    });
    const remove = h('input', { type: 'checkbox', 'aria-label': 'Remove the throttles of ' + disk, disabled: isNew });
    const tr = h('tr', {}, h('td', {}, diskIn), cells, h('td', {}, remove));
    tr.read = () => ({ disk: diskIn.value, remove: remove.checked,
      texts: Object.fromEntries(Object.entries(inputs).map(([k, el]) => [k, el.value])) });
    return tr;
  }

  fillIo() {
    const lim = this.g.limits || {};
    const max = (lim.io && lim.io.max) || {};
    this.ioBody.replaceChildren(...Object.keys(max).sort().map((d) => this.ioRow(d, max[d])), this.ioRow('', {}));
    const dev = lim.devices;
    this.devices.textContent = dev ? `Device rules: policy ${dev.policy}` + (dev.rules && dev.rules.length ? '; ' + dev.rules.join(', ') : '; no rules') +
      ' (set them with the API: PATCH …/limits {"devices":{…}})' : 'Device rules: none (every device allowed).';
  }

  async saveIo() {
    const { patch, errors } = buildIoPatch([...this.ioBody.rows].map((tr) => tr.read()), this.g.limits);
    if (errors) { this.ioMsg.textContent = Object.entries(errors).map(([k, v]) => k + ': ' + v).join('; '); return; }
    if (!patch.io) { this.ioMsg.textContent = 'Nothing changed.'; return; }
    try {
      this.store.setGroup(await call('PATCH', groupPath(this.name, '/limits'), patch));
      this.ioDirty = false;
      this.fillIo();
      this.ioMsg.textContent = 'Saved: the kernel took the new throttles.';
      showError(this.error, null);
    } catch (e) {
      this.ioMsg.textContent = '';
      showError(this.error, e);
    }
  }

  // ---- running a process ----

  runForm() {
    const input = (id, label, hint, attrs) => {
      const el = h('input', Object.assign({ id, autocomplete: 'off', 'aria-describedby': id + '-msg' }, attrs));
      return [el, h('div', { class: 'field' }, h('label', { for: id }, label), el, h('span', { id: id + '-msg', class: 'hint' }, hint))];
    };
    const [cmd, cmdRow] = input('run-command', 'Command', 'words split as a shell would; nothing is expanded', { required: true, size: 30 });
    const [host, hostRow] = input('run-hostname', 'Hostname', 'needs uts', { maxlength: 64 });
    const [rootfs, rootRow] = input('run-rootfs', 'Root filesystem', 'an absolute directory; needs mount', {});
    const [cwd, cwdRow] = input('run-cwd', 'Working directory', 'absolute', {});
    const [user, userRow] = input('run-user', 'User', 'a name or uid; default root', {});
    // The walls (README, "Security model"): each on by default; these loosen or add to them.
    const [vols, volRow] = input('run-volumes', 'Volumes', 'SRC:DST or SRC:DST:ro, separated by commas; needs a root filesystem', { size: 30 });
    const [capAdd, capAddRow] = input('run-cap-add', 'Add capabilities', 'e.g. NET_ADMIN, to Docker\'s default set', {});
    const [capDrop, capDropRow] = input('run-cap-drop', 'Drop capabilities', 'e.g. NET_RAW, or ALL', {});
    const check = (id, label, on) => {
      const el = h('input', { type: 'checkbox', id, checked: on });
      return [el, h('label', { class: 'check', for: id }, el, ' ' + label)];
    };
    const [ro, roRow] = check('run-readonly', 'Read-only root filesystem', false);
    const [seccomp, seccompRow] = check('run-seccomp', 'Seccomp filter (Docker\'s default)', true);
    const [nnp, nnpRow] = check('run-nnp', 'No new privileges', true);
    const [cgns, cgnsRow] = check('run-cgroupns', 'Own cgroup namespace', true);
    const ns = NAMESPACES.map((n) => h('label', { class: 'check' },
      h('input', { type: 'checkbox', name: 'ns', value: n, checked: DEFAULT_NS.has(n) }), ' ' + n));
    const msg = cmdRow.querySelector('.hint');
    cmd.addEventListener('input', () => {
      try {
        const argv = splitCommand(cmd.value);
        msg.textContent = argv.length ? 'argv: ' + JSON.stringify(argv) : 'words split as a shell would; nothing is expanded';
        msg.className = 'hint';
        cmd.setAttribute('aria-invalid', 'false');
      } catch (e) {
        msg.textContent = e.message;
        msg.className = 'hint bad';
        cmd.setAttribute('aria-invalid', 'true');
      }
    });
    const form = h('form', { class: 'run', 'aria-labelledby': 'run-h' },
      h('h3', { id: 'run-h' }, 'Run a process'), cmdRow,
      h('fieldset', {}, h('legend', {}, 'Namespaces'), ns), hostRow, rootRow, cwdRow, userRow,
      h('fieldset', {}, h('legend', {}, 'Security'), roRow, seccompRow, nnpRow, cgnsRow, capAddRow, capDropRow, volRow),
      h('button', { type: 'submit', id: 'run' }, 'Run'));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      let argv;
      try { argv = splitCommand(cmd.value); } catch (err) { return cmd.focus(); }
      if (!argv.length) return cmd.focus();
      const body = { argv, namespaces: ns.map((l) => l.firstChild).filter((c) => c.checked).map((c) => c.value) };
      for (const [k, el] of [['hostname', host], ['rootfs', rootfs], ['cwd', cwd], ['user', user]])
        if (el.value.trim()) body[k] = el.value.trim();
      Object.assign(body, securityFields({
        readonly: ro.checked, seccomp: seccomp.checked, nnp: nnp.checked, cgroupns: cgns.checked,
        capAdd: capAdd.value, capDrop: capDrop.value, volumes: vols.value,
      }));
      const p = await this.act(() => call('POST', groupPath(this.name, '/processes'), body));
      if (p) { this.logFor = p.id; await this.loadProcesses(); this.showLog(); }
    });
    return form;
  }

  // ---- processes and logs ----

  processesSection() {
    this.procBody = h('tbody');
    this.logStream = h('select', { id: 'log-stream', onchange: () => this.showLog() },
      h('option', { value: 'stdout' }, 'stdout'), h('option', { value: 'stderr' }, 'stderr'));
    this.logTitle = h('h4', { id: 'log-h' }, 'Log');
    this.logPre = h('pre', { id: 'log', class: 'log', role: 'log', 'aria-labelledby': 'log-h', tabindex: 0 });
    this.logBox = h('div', { class: 'logbox', hidden: true }, this.logTitle,
      h('div', { class: 'toolbar' }, h('label', { for: 'log-stream' }, 'Stream'), this.logStream,
        h('button', { type: 'button', onclick: () => this.showLog() }, 'Refresh')), this.logPre);
    this.timers.push(setInterval(() => { if (this.logRunning) this.showLog(); }, 2000));
    return h('section', { 'aria-labelledby': 'procs-h' }, h('h3', { id: 'procs-h' }, 'Processes'),
      h('table', { class: 'procs', 'aria-label': 'Processes' }, h('thead', {}, h('tr', {},
        ['Id', 'Pid', 'Command', 'Security', 'State', 'Exit', 'Started', 'Ended', 'Actions'].map((t) => h('th', { scope: 'col' }, t)))),
      this.procBody), this.logBox);
  }

  async loadProcesses() {
    const r = await this.act(() => call('GET', groupPath(this.name, '/processes')));
    if (!r) return;
    this.procs = new Map(r.processes.map((p) => [p.id, p]));
    this.procBody.replaceChildren(...r.processes.slice().reverse().map((p) => this.procRow(p)));
    if (!r.processes.length) this.procBody.append(h('tr', {}, h('td', { colspan: 9, class: 'empty' }, 'No processes started here yet.')));
    if (this.logFor !== null) this.logRunning = this.procs.get(this.logFor) && this.procs.get(this.logFor).state === 'running';
  }

  procRow(p) {
    const exit = p.state === 'running' ? '–' : p.signal ? 'signal ' + p.signal : String(p.exit_code);
    const walls = wallsSummary(p.security);
    const signal = (sig) => async () => {
      await this.act(() => call('POST', groupPath(this.name, `/processes/${p.id}/signal`), { signal: sig }));
      this.loadProcesses();
    };
    return h('tr', {}, h('td', {}, String(p.id)), h('td', {}, String(p.pid)),
      h('td', {}, h('code', {}, p.argv.map(quoteArg).join(' '))),
      h('td', { class: 'walls', title: walls.title }, walls.text),
      h('td', {}, h('span', { class: 'pstate pstate-' + p.state }, p.state)), h('td', {}, exit),
      h('td', {}, dateTime(p.started_at)), h('td', {}, dateTime(p.ended_at)),
      h('td', {}, h('button', { type: 'button', 'aria-label': 'Log of process ' + p.id,
        onclick: () => { this.logFor = p.id; this.logRunning = p.state === 'running'; this.showLog(); } }, 'Log'),
      p.state === 'running' ? [' ', h('button', { type: 'button', 'aria-label': 'Stop process ' + p.id, onclick: signal('TERM') }, 'Stop'),
        ' ', h('button', { type: 'button', class: 'danger', 'aria-label': 'Kill process ' + p.id, onclick: signal('KILL') }, 'Kill')] : null));
  }

  async showLog() {
    if (this.logFor === null) return;
    this.logBox.hidden = false;
    this.logTitle.textContent = `Log of process ${this.logFor} (${this.logStream.value})`;
    try {
      const t = await text(groupPath(this.name, `/processes/${this.logFor}/log?stream=${this.logStream.value}&tail=1000`));
      const atEnd = this.logPre.scrollTop + this.logPre.clientHeight >= this.logPre.scrollHeight - 4;
      this.logPre.textContent = t || '(empty)';
      if (atEnd) this.logPre.scrollTop = this.logPre.scrollHeight;
    } catch (e) {
      this.logPre.textContent = e.message;
    }
  }

  // ---- events ----

  eventsSection() {
    this.eventBody = h('tbody');
    return h('section', { 'aria-labelledby': 'events-h' }, h('h3', { id: 'events-h' }, 'Events (last 7 days, newest first)'),
      h('table', { class: 'events', 'aria-label': 'Events' },
        h('thead', {}, h('tr', {}, ['Time', 'Event', 'Details'].map((t) => h('th', { scope: 'col' }, t)))), this.eventBody));
  }

  async loadEvents() {
    const r = await this.act(() => call('GET', `/api/v1/events?group=${encodeURIComponent(this.name)}&since=-7d&limit=10000`));
    if (!r) return;
    this.eventBody.replaceChildren(...r.events.slice(-200).reverse().map((e) => this.eventRow(e)));
  }

  eventRow(e) {
    const details = Object.entries(e.details || {}).map(([k, v]) => k + ': ' + (typeof v === 'object' ? JSON.stringify(v) : v)).join(', ');
    return h('tr', {}, h('td', {}, dateTime(e.time)), h('td', {}, h('span', { class: 'ev ev-' + e.type }, e.type)), h('td', {}, details));
  }

  prependEvent(e) {
    this.eventBody.prepend(this.eventRow(e));
    while (this.eventBody.rows.length > 200) this.eventBody.lastChild.remove();
  }
}
