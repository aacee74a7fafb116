// The overview: every group as a tree (or sorted flat), live from the event stream.
import { call } from './api.js';
import { h, stateBadge, showError, withBusy } from './dom.js';
import { bytes, rate, percent } from './format.js';

const NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

const COLUMNS = [
  { key: 'name', label: 'Group' },
  { key: 'state', label: 'State' },
  { key: 'cpu', label: 'CPU', num: true },
  { key: 'memory', label: 'Memory', num: true },
  { key: 'io', label: 'IO read / write', num: true },
  { key: 'pids', label: 'Pids', num: true },
  { key: 'limits', label: 'CPU limit', nosort: true },
  { key: 'actions', label: 'Actions', nosort: true },
];

const STATE_ORDER = { THAWED: 0, FREEZING: 1, FROZEN: 2 };

export class Overview {
  constructor(store) {
    this.store = store;
    this.rows = new Map(); // name → {tr, cells}
    this.sort = { key: 'name', dir: 1 };
    this.filter = '';
    this.stateFilter = '';
    this.collapsed = new Set(JSON.parse(sessionStorage.getItem('cgwarden-collapsed') || '[]'));
  }

  render(root) {
    this.error = h('p', { class: 'error', role: 'alert', hidden: true });
    this.count = h('span', { class: 'count', 'aria-live': 'polite' });
    this.tbody = h('tbody', { role: 'rowgroup' });
    this.heads = COLUMNS.map((c) => this.header(c));
    root.replaceChildren(
      h('h2', {}, 'Groups'),
      this.createForm(),
      h('div', { class: 'toolbar' },
        h('label', {}, 'Filter ', h('input', { type: 'search', id: 'filter', placeholder: 'group name',
          value: this.filter, oninput: (e) => { this.filter = e.target.value.trim().toLowerCase(); this.arrange(); } })),
        h('label', {}, 'State ', this.stateSelect()),
        this.count),
      this.error,
      h('table', { class: 'groups', 'aria-label': 'Groups', role: 'table' },
        h('thead', { role: 'rowgroup' }, h('tr', { role: 'row' }, this.heads)), this.tbody));
    this.rows.clear();
    for (const g of this.store.groups.values()) this.addRow(g);
    this.arrange();
  }

  header(c) {
    if (c.nosort) return h('th', { scope: 'col', role: 'columnheader' }, c.label);
    const th = h('th', { scope: 'col', role: 'columnheader', class: c.num ? 'num' : null },
      h('button', { type: 'button', class: 'sort', onclick: () => this.sortBy(c.key) }, c.label));
    th.dataset.key = c.key;
    return th;
  }

  stateSelect() {
    const s = h('select', { id: 'state-filter', onchange: (e) => { this.stateFilter = e.target.value; this.arrange(); } },
      h('option', { value: '' }, 'all'), h('option', { value: 'THAWED' }, 'running'),
      h('option', { value: 'FREEZING' }, 'freezing'), h('option', { value: 'FROZEN' }, 'frozen'));
    s.value = this.stateFilter;
    return s;
  }

  // Create a group: the name is checked as you type, the API's refusal is shown as it says it.
  createForm() {
    const name = h('input', { id: 'new-name', required: true, maxlength: 63, autocomplete: 'off',
      pattern: '[a-z0-9][a-z0-9_\\-]{0,62}', 'aria-describedby': 'new-name-msg' });
    const parent = h('select', { id: 'new-parent' }, h('option', { value: '' }, '(top level)'),
      [...this.store.groups.keys()].sort().map((n) => h('option', { value: n }, n)));
    const msg = h('span', { id: 'new-name-msg', class: 'hint' }, 'lower-case letters, digits, - and _');
    const submit = h('button', { type: 'submit' }, 'Create group');
    const check = () => {
      const v = name.value;
      const ok = v === '' || NAME.test(v);
      name.setAttribute('aria-invalid', String(!ok));
      msg.textContent = ok ? 'lower-case letters, digits, - and _' : 'a name starts with a letter or digit; then a-z 0-9 - _, 63 at most';
      msg.className = ok ? 'hint' : 'hint bad';
      return ok && v !== '';
    };
    name.addEventListener('input', check);
    const form = h('form', { class: 'create', 'aria-label': 'Create a group' },
      h('label', { for: 'new-name' }, 'New group'), name,
      h('label', { for: 'new-parent' }, 'Parent'), parent, submit, msg);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      if (!check()) return name.focus();
      submit.disabled = true;
      try {
        const body = { name: name.value };
        if (parent.value) body.parent = parent.value;
        this.store.setGroup(await call('POST', '/api/v1/groups', body));
        name.value = '';
        showError(this.error, null);
      } catch (err) {
        showError(this.error, err);
      } finally {
        submit.disabled = false;
      }
    });
    this.parentSelect = parent;
    return form;
  }

  addRow(g) {
    const c = {};
    const tr = h('tr', { role: 'row' });
    const td = (cls) => h('td', { role: 'cell', class: cls });
    c.name = td('name');
    c.state = td();
    c.cpu = td('num');
    c.memory = td('num');
    c.io = td('num');
    c.pids = td('num');
    c.limits = td();
    c.button = h('button', { type: 'button', onclick: () => this.toggleFreeze(g.name) });
    tr.append(c.name, c.state, c.cpu, c.memory, c.io, c.pids, c.limits, h('td', { role: 'cell' }, c.button));
    // Parents fold their subtree away (the tree view only); leaves get the same space.
    c.twisty = h('button', { type: 'button', class: 'twisty', onclick: () => this.toggleCollapse(g.name) });
    c.name.append(c.twisty, h('a', { href: '#/group/' + g.name }, g.name));
    const row = { tr, c, g };
    this.rows.set(g.name, row);
    this.fillGroup(row, g);
    this.fillUsage(row, this.store.usage.get(g.name));
  }

  fillGroup(row, g) {
    const { c } = row;
    row.g = g;
    c.state.replaceChildren(stateBadge(g.state));
    if (!c.button.hasAttribute('aria-busy')) {
      const frozen = g.state !== 'THAWED';
      c.button.textContent = frozen ? 'Thaw' : 'Freeze';
      c.button.setAttribute('aria-label', (frozen ? 'Thaw ' : 'Freeze ') + g.name);
    }
    const cpu = g.limits && g.limits.cpu;
    c.limits.textContent = cpu && cpu.max !== undefined && cpu.max !== 'max' ? cpu.max + (cpu.max === 1 ? ' CPU' : ' CPUs') : '–';
    this.fillUsage(row, row.u);
  }

  fillUsage(row, u) {
    const { c, g } = row;
    row.u = u;
    u = u || {};
    c.cpu.textContent = percent(u.cpu_cores);
    const limit = g.limits && g.limits.memory ? g.limits.memory.max : undefined;
    c.memory.replaceChildren(bytes(u.memory_usage) + (limit !== undefined && limit !== 'max' ? ' / ' + bytes(limit) : ''));
    if (limit !== undefined && limit !== 'max' && u.memory_usage !== undefined) {
      const m = h('meter', { min: 0, max: limit, value: u.memory_usage, high: limit * 0.9, 'aria-label': 'memory used of limit' });
      c.memory.append(m);
    }
    c.io.textContent = u.io_read_bps === undefined ? '–' : rate(u.io_read_bps) + ' / ' + rate(u.io_write_bps);
    const pmax = g.limits && g.limits.pids ? g.limits.pids.max : undefined;
    const pids = u.pids !== undefined ? u.pids : g.pids.length;
    c.pids.textContent = pids + (pmax !== undefined && pmax !== 'max' ? ' / ' + pmax : '');
  }

  async toggleFreeze(name) {
    const row = this.rows.get(name);
    const thaw = row.g.state !== 'THAWED';
    try {
      await withBusy(row.c.button, thaw ? 'Thawing…' : 'Freezing…', () => this.store.freezeOrThaw(name, thaw));
      showError(this.error, null);
    } catch (e) {
      showError(this.error, e);
    }
    if (this.rows.get(name) === row) this.fillGroup(row, row.g);
  }

  toggleCollapse(name) {
    if (!this.collapsed.delete(name)) this.collapsed.add(name);
    sessionStorage.setItem('cgwarden-collapsed', JSON.stringify([...this.collapsed]));
    this.arrange();
  }

  // The tree view indents a row by its depth and gives a parent a button to fold its subtree.
  fillTwisty(row, tree) {
    const t = row.c.twisty;
    row.c.name.style.paddingLeft = 0.6 + (tree ? 1.2 * this.store.depth(row.g.name) : 0) + 'em';
    const parent = tree && this.store.children(row.g.name).length > 0;
    t.classList.toggle('leaf', !parent);
    t.tabIndex = parent ? 0 : -1;
    t.disabled = !parent;
    if (!parent) {
      t.textContent = '';
      t.removeAttribute('aria-expanded');
      t.setAttribute('aria-hidden', 'true');
      t.removeAttribute('aria-label');
      return;
    }
    const open = !this.collapsed.has(row.g.name);
    t.textContent = open ? '▾' : '▸';
    t.removeAttribute('aria-hidden');
    t.setAttribute('aria-expanded', String(open));
    t.setAttribute('aria-label', (open ? 'Collapse ' : 'Expand ') + row.g.name);
  }

  // Hidden by a collapsed ancestor?
  folded(name) {
    for (let g = this.store.groups.get(name); g && g.parent; g = this.store.groups.get(g.parent))
      if (this.collapsed.has(g.parent)) return true;
    return false;
  }

  sortBy(key) {
    this.sort = { key, dir: this.sort.key === key ? -this.sort.dir : key === 'name' ? 1 : -1 };
    this.arrange();
  }

  value(row, key) {
    const u = row.u || {};
    switch (key) {
      case 'state': return STATE_ORDER[row.g.state];
      case 'cpu': return u.cpu_cores || 0;
      case 'memory': return u.memory_usage || 0;
      case 'io': return (u.io_read_bps || 0) + (u.io_write_bps || 0);
      case 'pids': return u.pids !== undefined ? u.pids : row.g.pids.length;
    }
    return 0;
  }

  // Orders and filters the rows: by name as the tree, by anything else flat.
  arrange() {
    const { key, dir } = this.sort;
    let names = this.store.treeOrder();
    if (key !== 'name' || dir < 0) {
      names = [...names];
      if (key === 'name') names.sort().reverse();
      else names.sort((a, b) => dir * (this.value(this.rows.get(a), key) - this.value(this.rows.get(b), key)) || a.localeCompare(b));
    }
    const tree = key === 'name' && dir > 0 && !this.filter && !this.stateFilter;
    const shown = names.filter((n) => {
      const row = this.rows.get(n);
      if (!row) return false;
      this.fillTwisty(row, tree);
      if (tree) return !this.folded(n);
      return (!this.filter || n.includes(this.filter)) && (!this.stateFilter || row.g.state === this.stateFilter);
    });
    for (const th of this.heads) if (th.dataset.key)
      th.setAttribute('aria-sort', th.dataset.key === key ? (dir > 0 ? 'ascending' : 'descending') : 'none');
    this.tbody.replaceChildren(...shown.map((n) => this.rows.get(n).tr));
    if (!shown.length) this.tbody.append(h('tr', { role: 'row' }, h('td', { role: 'cell', colspan: COLUMNS.length, class: 'empty' },
      this.store.groups.size ? 'No group matches the filter.' : 'No groups yet: create one above.')));
    this.count.textContent = shown.length === this.store.groups.size
      ? this.store.groups.size + ' groups' : shown.length + ' of ' + this.store.groups.size + ' groups';
  }

  // From the store: a group was created, changed or deleted (g null).
  groupChanged(name, g) {
    const row = this.rows.get(name);
    if (!g) {
      this.rows.delete(name);
    } else if (row) {
      this.fillGroup(row, g);
    } else {
      this.addRow(g);
    }
    if (!row || !g) this.parentsStale = true;
    if (!row || !g || this.sort.key === 'state' || this.stateFilter) this.arrangeSoon();
  }

  // Many changes at once (a thousand groups created) cost one arrangement per frame.
  arrangeSoon() {
    if (this.pending) return;
    this.pending = requestAnimationFrame(() => {
      this.pending = 0;
      if (this.parentsStale) this.refreshParents();
      this.arrange();
    });
  }

  refreshParents() {
    this.parentsStale = false;
    const keep = this.parentSelect.value;
    this.parentSelect.replaceChildren(h('option', { value: '' }, '(top level)'),
      [...this.store.groups.keys()].sort().map((n) => h('option', { value: n }, n)));
    this.parentSelect.value = this.store.groups.has(keep) ? keep : '';
  }

  usageChanged() {
    for (const [name, row] of this.rows) this.fillUsage(row, this.store.usage.get(name));
    if (this.sort.key !== 'name') this.arrangeSoon();
  }
}
