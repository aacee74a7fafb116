// The dashboard's entry: the shared state (groups and their latest usage, kept current from
// the event stream), and a router over the fragment: #/, #/group/NAME, #/reports.
import { call, groupPath, EventStream, takeTokenFromFragment, token, setToken } from './api.js';
import { h, showError } from './dom.js';
import { Overview } from './overview.js';
import { GroupPage } from './group.js';
import { Reports } from './reports.js';

// Events after which a group is read again (its state, limits or pids changed).
const REFETCH = new Set(['group_create', 'limits', 'process_start', 'process_exit']);

class Store {
  constructor() {
    this.groups = new Map();
    this.usage = new Map();
    this.listeners = new Set();
    this.order = null;
  }

  // The stream's first message is the last sweep's usage, so the groups are all that is read.
  async load() {
    const list = await call('GET', '/api/v1/groups');
    this.groups = new Map(list.groups.map((g) => [g.name, g]));
    this.order = null;
  }

  on(fn) { this.listeners.add(fn); return () => this.listeners.delete(fn); }
  emit(kind, ...args) { for (const fn of this.listeners) fn(kind, ...args); }

  setGroup(g) {
    if (!this.groups.has(g.name)) this.order = null;
    this.groups.set(g.name, g);
    this.emit('group', g.name, g);
  }

  deleteGroup(name) {
    if (!this.groups.delete(name)) return;
    this.usage.delete(name);
    this.order = null;
    this.emit('group', name, null);
  }

  async refreshGroup(name) {
    try {
      this.setGroup(await call('GET', groupPath(name)));
    } catch (e) {
      if (e.status === 404) this.deleteGroup(name);
    }
  }

  // The API answers once the kernel reports the new state: only then does the store change.
  // On a refusal the group is read again (it may be half way, FREEZING) and the error thrown.
  async freezeOrThaw(name, thaw) {
    try {
      this.setGroup(await call('POST', groupPath(name, thaw ? '/thaw' : '/freeze')));
    } catch (e) {
      await this.refreshGroup(name);
      throw e;
    }
  }

  setUsage(rows) {
    for (const r of rows) this.usage.set(r.name, r);
    this.emit('usage', rows);
  }

  depth(name) {
    let d = 0;
    for (let g = this.groups.get(name); g && g.parent; g = this.groups.get(g.parent)) d++;
    return d;
  }

  // Parents before their children, siblings by name.
  treeOrder() {
    if (this.order) return this.order;
    const kids = new Map();
    for (const g of this.groups.values()) {
      const p = g.parent && this.groups.has(g.parent) ? g.parent : '';
      if (!kids.has(p)) kids.set(p, []);
      kids.get(p).push(g.name);
    }
    const out = [];
    const walk = (p) => { for (const n of (kids.get(p) || []).sort()) { out.push(n); walk(n); } };
    walk('');
    this.kids = kids;
    return (this.order = out);
  }

  children(name) {
    this.treeOrder();
    return this.kids.get(name) || [];
  }

  // The group and every group below it.
  subtree(name) {
    return [name, ...this.children(name).flatMap((c) => this.subtree(c))];
  }
}

const store = new Store();
let view = null;
let stream = null;

function route() {
  const m = location.hash.match(/^#\/(group\/([a-z0-9][a-z0-9_-]{0,62})|reports)?$/);
  if (view && view.close) view.close();
  if (m && m[2]) view = new GroupPage(store, m[2]);
  else if (m && m[1] === 'reports') view = new Reports(store);
  else view = new Overview(store);
  for (const a of document.querySelectorAll('nav a'))
    a.toggleAttribute('aria-current', a.getAttribute('href') === (m && m[1] === 'reports' ? '#/reports' : '#/'));
  const main = document.getElementById('view');
  view.render(main);
  performance.mark('cgwarden-rendered'); // bench/dashboard.mjs reads it
  const heading = main.querySelector('h2');
  if (heading) { heading.tabIndex = -1; heading.focus({ preventScroll: true }); }
}

function onEvent(type, data) {
  if (type === 'usage') store.setUsage(data.groups);
  else if (type === 'group_delete') store.deleteGroup(data.group);
  // A freeze or thaw changes what the kernel reports for the whole subtree.
  else if ((type === 'freeze' || type === 'thaw') && data.group) store.subtree(data.group).forEach((n) => store.refreshGroup(n));
  else if (REFETCH.has(type) && data.group) store.refreshGroup(data.group);
  if (type !== 'usage') store.emit('event', data);
}

function setLive(state) {
  const el = document.getElementById('live');
  el.textContent = state === 'live' ? 'live' : 'reconnecting…';
  el.className = 'live ' + (state === 'live' ? 'on' : 'off');
}

function askToken(message) {
  const input = h('input', { id: 'token', type: 'password', autocomplete: 'off', required: true,
    pattern: '[0-9a-f]{64}', size: 66 });
  const form = h('form', { class: 'token', 'aria-label': 'Sign in' },
    h('h2', {}, 'API token'),
    h('p', {}, message),
    h('label', { for: 'token' }, 'Token'), input, h('button', { type: 'submit' }, 'Open'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    setToken(input.value.trim());
    start();
  });
  document.getElementById('view').replaceChildren(form);
  input.focus();
}

async function start() {
  const err = document.getElementById('error');
  try {
    const hz = await call('GET', '/healthz');
    document.getElementById('health').textContent = `${hz.driver} driver, ${hz.layout}, cgwarden ${hz.version}`;
    if (!token()) return askToken('Open the address that `make run` printed (it ends in #token=…), or paste the token from /var/lib/cgwarden/admin.token.');
    // The stream first: its first message (the last sweep's usage) comes while the groups load.
    stream = new EventStream(onEvent, setLive).start();
    await store.load();
  } catch (e) {
    if (stream) stream.stop();
    if (e.status === 401) return askToken('The daemon refused that token: ' + e.message);
    return showError(err, e);
  }
  showError(err, null);
  store.on((kind, ...args) => {
    if (!view) return;
    if (kind === 'group' && view.groupChanged) view.groupChanged(...args);
    if (kind === 'usage' && view.usageChanged) view.usageChanged(...args);
    if (kind === 'event' && view.eventArrived) view.eventArrived(...args);
  });
  window.addEventListener('hashchange', route);
  route();
}

takeTokenFromFragment();
start();
