// Usage reports: a range, a period and groups; the table; the same report as CSV or JSON.
import { call, blob } from './api.js';
import { h, showError } from './dom.js';
import { bytes, duration } from './format.js';

const PRESETS = [['-24h', 'last 24 hours'], ['-7d', 'last 7 days'], ['-30d', 'last 30 days'], ['custom', 'custom…']];
const MAX_LISTED = 256; // what the API takes in ?group=; more chosen means all

const COLS = [
  ['group', 'Group', (r) => r.group + (r.deleted_at ? ' (deleted)' : '')],
  ['period', 'Period', (r) => (r.period ? r.period.slice(0, 10) : 'whole range')],
  ['cpu_seconds', 'CPU time', (r) => duration(r.cpu_seconds)],
  ['memory_avg_bytes', 'Memory avg', (r) => bytes(r.memory_avg_bytes)],
  ['memory_peak_bytes', 'Memory peak', (r) => bytes(r.memory_peak_bytes)],
  ['io_read_bytes', 'Read', (r) => bytes(r.io_read_bytes)],
  ['io_write_bytes', 'Written', (r) => bytes(r.io_write_bytes)],
  ['throttled_seconds', 'Throttled', (r) => duration(r.throttled_seconds)],
  ['oom_kills', 'OOM kills', (r) => String(r.oom_kills)],
  ['frozen_seconds', 'Frozen', (r) => duration(r.frozen_seconds)],
];

// "2026-12-01T10:00" (a datetime-local input, local time) as RFC 3339 in UTC.
const localToRfc = (v) => new Date(v).toISOString().replace(/\.\d{3}Z$/, 'Z');

export class Reports {
  constructor(store) { this.store = store; }

  render(root) {
    this.error = h('p', { class: 'error', role: 'alert', hidden: true });
    this.preset = h('select', { id: 'report-range', onchange: () => { custom.hidden = this.preset.value !== 'custom'; } },
      PRESETS.map(([v, l]) => h('option', { value: v }, l)));
    this.preset.value = '-7d';
    this.from = h('input', { type: 'datetime-local', id: 'report-from' });
    this.to = h('input', { type: 'datetime-local', id: 'report-to' });
    const custom = h('span', { hidden: true }, h('label', { for: 'report-from' }, 'From'), this.from,
      h('label', { for: 'report-to' }, 'To'), this.to);
    this.by = h('select', { id: 'report-by' }, ['none', 'day', 'week', 'month'].map((v) =>
      h('option', { value: v }, v === 'none' ? 'whole range' : 'per ' + v)));
    this.groups = h('select', { id: 'report-groups', multiple: true, size: 6, 'aria-describedby': 'report-groups-hint' },
      [...this.store.groups.keys()].sort().map((n) => h('option', { value: n }, n)));
    this.tbody = h('tbody');
    this.summary = h('p', { class: 'hint', 'aria-live': 'polite' });
    const form = h('form', { class: 'report', 'aria-label': 'Report' },
      h('div', { class: 'field' }, h('label', { for: 'report-range' }, 'Range'), this.preset, custom),
      h('div', { class: 'field' }, h('label', { for: 'report-by' }, 'Rows'), this.by),
      h('div', { class: 'field' }, h('label', { for: 'report-groups' }, 'Groups'), this.groups,
        h('span', { id: 'report-groups-hint', class: 'hint' }, 'none chosen: every group, deleted ones too')),
      h('div', {}, h('button', { type: 'submit', id: 'report-show' }, 'Show report'), ' ',
        h('button', { type: 'button', id: 'download-csv', onclick: () => this.download('csv') }, 'Download CSV'), ' ',
        h('button', { type: 'button', id: 'download-json', onclick: () => this.download('json') }, 'Download JSON')));
    form.addEventListener('submit', (e) => { e.preventDefault(); this.load(); });
    root.replaceChildren(h('h2', {}, 'Usage report'), form, this.error, this.summary,
      h('table', { class: 'report-table', 'aria-label': 'Usage report' },
        h('thead', {}, h('tr', {}, COLS.map(([, l]) => h('th', { scope: 'col' }, l)))), this.tbody));
    this.load();
  }

  query(format) {
    const q = new URLSearchParams();
    if (this.preset.value === 'custom') {
      if (!this.from.value || !this.to.value) throw { message: 'choose both ends of a custom range', field: 'from' };
      q.set('from', localToRfc(this.from.value));
      q.set('to', localToRfc(this.to.value));
    } else {
      q.set('from', this.preset.value);
    }
    q.set('by', this.by.value);
    const chosen = [...this.groups.selectedOptions].map((o) => o.value);
    if (chosen.length && chosen.length <= MAX_LISTED) q.set('group', chosen.join(','));
    q.set('format', format);
    return '/api/v1/reports/usage?' + q.toString();
  }

  async load() {
    try {
      const r = await call('GET', this.query('json'));
      showError(this.error, null);
      this.summary.textContent = `${r.rows.length} rows, ${r.from} to ${r.to}`;
      this.tbody.replaceChildren(...r.rows.map((row) => h('tr', {}, COLS.map(([k, , f]) =>
        h('td', { class: k === 'group' || k === 'period' ? null : 'num' }, f(row))))));
      if (!r.rows.length) this.tbody.append(h('tr', {}, h('td', { colspan: COLS.length, class: 'empty' }, 'No usage in this range.')));
    } catch (e) {
      showError(this.error, e);
    }
  }

  // The token goes as a header, so a plain link cannot download: fetch, then save the blob.
  async download(format) {
    try {
      const b = await blob(this.query(format));
      const a = h('a', { href: URL.createObjectURL(b), download: 'cgwarden-usage.' + format });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(a.href), 10000);
      showError(this.error, null);
    } catch (e) {
      showError(this.error, e);
    }
  }
}
