// History charts of one group with uPlot (pinned by package-lock.json, loaded as a classic
// script before the modules): the API's usage buckets, finest tier that holds the range.
import { call, groupPath } from './api.js';
import { h } from './dom.js';
import { bytes, rate } from './format.js';

export const RANGES = [
  ['15m', '15 minutes'], ['1h', '1 hour'], ['6h', '6 hours'], ['24h', '24 hours'], ['7d', '7 days'], ['30d', '30 days'],
];

// Tick steps for bytes: 1, 2, 5 … of each binary unit, so that labels read 64 MiB, not 95.4 MiB.
const BINARY_STEPS = [0, 1, 2, 3, 4, 5, 6].flatMap((k) => [1, 2, 4, 8, 16, 32, 64, 128, 256, 512].map((m) => m * 1024 ** k));

const get = (o, ...path) => path.reduce((v, k) => (v && v[k] !== undefined ? v[k] : null), o);
const num = (v) => (typeof v === 'number' ? v : null);

// Each chart: its title, the series (label, colour, value of a point), the y-axis format.
const CHARTS = [
  { id: 'cpu', floor: 10, title: 'CPU', unit: (v) => v.toFixed(0) + '%',
    series: [['CPU (% of one CPU)', '#2f6fdf', (p) => num(get(p, 'cpu', 'cores')) * 100]] },
  { id: 'memory', floor: 1 << 20, binary: true, title: 'Memory', unit: (v) => bytes(v),
    series: [['average', '#1a8f4a', (p) => num(get(p, 'memory', 'usage', 'avg'))],
      ['peak', '#8fcf9f', (p) => num(get(p, 'memory', 'usage', 'max'))],
      ['limit', '#c0392b', (p) => num(get(p, 'memory', 'limit', 'min')), [6, 4]]] },
  { id: 'io', floor: 1024, binary: true, title: 'IO', unit: (v) => rate(v),
    series: [['read', '#7a4fd0', (p, s) => num(get(p, 'io', 'read_bytes')) / s],
      ['write', '#d07a1f', (p, s) => num(get(p, 'io', 'write_bytes')) / s]] },
  { id: 'pids', floor: 2, title: 'Pids (tasks)', unit: (v) => v.toFixed(0),
    series: [['average', '#555', (p) => num(get(p, 'pids', 'current', 'avg'))],
      ['most', '#aaa', (p) => num(get(p, 'pids', 'current', 'max'))]] },
  { id: 'throttling', floor: 10, title: 'CPU throttling', unit: (v) => v.toFixed(0) + '%',
    series: [['throttled (% of the time)', '#c0392b', (p, s) => num(get(p, 'cpu', 'throttled_usec')) / (s * 1e4)]] },
];

export class Charts {
  constructor(name) {
    this.name = name;
    this.range = '1h';
    this.plots = [];
    this.seq = 0;
  }

  render() {
    this.select = h('select', { id: 'range', onchange: (e) => { this.range = e.target.value; this.load(); } },
      RANGES.map(([v, l]) => h('option', { value: v }, l)));
    this.select.value = this.range;
    this.status = h('span', { class: 'hint', 'aria-live': 'polite' });
    this.grid = h('div', { class: 'charts' });
    this.figures = CHARTS.map((c) => {
      const body = h('div', { class: 'plot' });
      const fig = h('figure', { id: 'chart-' + c.id, 'aria-label': c.title + ' history' }, h('figcaption', {}, c.title), body);
      this.grid.append(fig);
      return body;
    });
    this.onResize = () => this.resize();
    window.addEventListener('resize', this.onResize);
    return h('section', { 'aria-labelledby': 'history-h' },
      h('h3', { id: 'history-h' }, 'History'),
      h('div', { class: 'toolbar' }, h('label', { for: 'range' }, 'Range'), this.select, this.status),
      this.grid);
  }

  // After a sweep: read again only once a new bucket can have filled (a 30-day range has
  // hour buckets; reading it every 10 s would ask the same of the store each time).
  refresh() {
    if (!this.step || Date.now() - this.loadedAt >= this.step * 1000) this.load();
  }

  async load() {
    const seq = ++this.seq;
    this.loadedAt = Date.now();
    let data;
    try {
      data = await call('GET', groupPath(this.name, `/usage?from=-${this.range}&to=now`));
    } catch (e) {
      this.status.textContent = e.status === 404 ? 'no history yet' : e.message;
      return;
    }
    if (seq !== this.seq) return; // a newer range was asked for meanwhile
    this.step = data.step_seconds;
    this.status.textContent = `${data.points.length} points, ${data.step_seconds} s each (${data.tier})`;
    this.draw(data);
  }

  draw(data) {
    const step = data.step_seconds;
    const xs = data.points.map((p) => Date.parse(p.time) / 1000);
    const from = Date.parse(data.from) / 1000, to = Date.parse(data.to) / 1000;
    CHARTS.forEach((c, i) => {
      const cols = [xs, ...c.series.map(([, , f]) => data.points.map((p) => {
        const v = f(p, step);
        return Number.isFinite(v) ? v : null;
      }))];
      if (this.plots[i]) {
        this.plots[i].setData(cols, false);
        this.plots[i].setScale('x', { min: from, max: to });
        return;
      }
      const opts = {
        width: this.width(), height: 180,
        scales: { x: { time: true, min: from, max: to }, y: { range: (u, min, max) => [0, Math.max((max || 0) * 1.1, c.floor)] } },
        axes: [{}, { values: (u, ticks) => ticks.map(c.unit), size: 80, incrs: c.binary ? BINARY_STEPS : undefined }],
        series: [{}, ...c.series.map(([label, stroke, , dash]) => ({ label, stroke, width: 1.5, dash,
          value: (u, v) => (v === null ? '–' : c.unit(v)), spanGaps: false,
          points: { show: (u) => u.data[0].length < 60 } }))],
      };
      this.plots[i] = new window.uPlot(opts, cols, this.figures[i]);
    });
  }

  // Two charts a row (the grid's gap and each figure's padding and border taken off).
  width() { return Math.max(280, Math.min(Math.floor((this.grid.clientWidth - 16) / 2) - 26, 720)); }

  resize() { for (const p of this.plots) p.setSize({ width: this.width(), height: 180 }); }

  close() {
    window.removeEventListener('resize', this.onResize);
    for (const p of this.plots) p.destroy();
    this.plots = [];
  }
}
