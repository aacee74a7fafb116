// The limit editor's fields and the checks it runs as you type: the same rules the API
// applies (schema/openapi.yaml, LimitsIn), so a value the page accepts is one the daemon
// will parse; the daemon still checks everything (the host's CPU count, the kernel's say).
// Pure: tests/web imports this file into Node.
import { sizeInput } from './format.js';

const SIZE = /^([0-9]+(?:\.[0-9]+)?)([KMGTPE](?:i?B)?|B)?$/i;
const POW = { B: 0, K: 1, M: 2, G: 3, T: 4, P: 5, E: 6 };

// Bytes of "512M", "1.5G", "2GiB" or "4096", or null if not a size.
export function parseSize(s) {
  const m = SIZE.exec(s);
  if (!m) return null;
  const unit = m[2] ? m[2][0].toUpperCase() : 'B';
  const v = Number(m[1]) * 1024 ** POW[unit];
  if (!Number.isFinite(v) || v >= 2 ** 63) return null; // the API's ceiling is 2^63-1
  return Math.floor(v);
}

function size(min, minText) {
  return (s) => {
    if (s === 'max') return { value: 'max' };
    const v = parseSize(s);
    if (v === null) return { error: 'a size such as 512M, 1.5G or 4096 (bytes), or max' };
    if (v < min) return { error: 'at least ' + minText };
    return { value: /^[0-9]+$/.test(s) ? v : s };
  };
}

function integer(min, max, allowMax) {
  return (s) => {
    if (allowMax && s === 'max') return { value: 'max' };
    if (!/^[0-9]+$/.test(s)) return { error: 'a whole number from ' + min + ' to ' + max + (allowMax ? ', or max' : '') };
    const v = Number(s);
    if (v < min || v > max) return { error: 'from ' + min + ' to ' + max };
    return { value: v };
  };
}

function cpus(s) {
  if (s === 'max') return { value: 'max' };
  if (!/^[0-9]*\.?[0-9]+$/.test(s)) return { error: 'a number of CPUs such as 0.5 or 2, or max' };
  const v = Number(s);
  if (v < 0.01) return { error: 'at least 0.01 CPUs' };
  return { value: v };
}

function cpuList(s) {
  if (!/^[0-9]+(-[0-9]+)?(,[0-9]+(-[0-9]+)?)*$/.test(s)) return { error: 'a list such as 0-1,3' };
  for (const r of s.split(',')) {
    const [a, b] = r.split('-').map(Number);
    if (b !== undefined && b < a) return { error: 'a range runs low to high: ' + r };
  }
  return { value: s };
}

// section and key as in the API's limits; pointer is the API's error field for it.
export const FIELDS = [
  { section: 'memory', key: 'max', label: 'Memory limit', hint: 'e.g. 512M; max for none', check: size(1 << 20, '1M') },
  { section: 'memory', key: 'reservation', label: 'Memory reservation', hint: 'soft floor, e.g. 128M', check: size(0, '0') },
  { section: 'memory', key: 'swap_max', label: 'Swap limit', hint: 'on top of the memory limit', check: size(0, '0') },
  { section: 'cpu', key: 'max', label: 'CPU limit', hint: 'CPUs, e.g. 0.5 or 2', check: cpus },
  { section: 'cpu', key: 'weight', label: 'CPU weight', hint: '1–10000, default 100', check: integer(1, 10000) },
  { section: 'cpuset', key: 'cpus', label: 'CPU set', hint: 'e.g. 0-1,3', check: cpuList },
  { section: 'cpuset', key: 'mems', label: 'Memory nodes', hint: 'e.g. 0', check: cpuList },
  { section: 'pids', key: 'max', label: 'Process limit', hint: '0–4194304 or max', check: integer(0, 4194304, true) },
  { section: 'io', key: 'weight', label: 'IO weight', hint: '1–10000, default 100', check: integer(1, 10000) },
].map((f) => Object.assign(f, { id: 'limit-' + f.section + '-' + f.key, pointer: '/' + f.section + '/' + f.key }));

// What a field shows for the group's current limit.
export function currentText(f, limits) {
  const v = limits && limits[f.section] ? limits[f.section][f.key] : undefined;
  if (v === undefined || v === null) return '';
  return f.section === 'memory' ? sizeInput(v) : String(v);
}

// {error} for a field that does not parse; {unchanged}; or {value} to send (null: remove).
export function checkField(f, text, limits) {
  const s = text.trim();
  if (s === currentText(f, limits)) return { unchanged: true };
  if (s === '') return { value: null };
  return f.check(s);
}

// The PATCH body for the editor's texts (by field id), or {errors} by field id.
export function buildPatch(texts, limits) {
  const patch = {}, errors = {};
  for (const f of FIELDS) {
    const r = checkField(f, texts[f.id] || '', limits);
    if (r.error) errors[f.id] = r.error;
    else if (!r.unchanged) (patch[f.section] = patch[f.section] || {})[f.key] = r.value;
  }
  return Object.keys(errors).length ? { errors } : { patch };
}

// ---- io.max: per-disk throttles ----

export const IO_KEYS = [
  { key: 'rbps', label: 'Read B/s', rate: true },
  { key: 'wbps', label: 'Write B/s', rate: true },
  { key: 'riops', label: 'Read IOPS' },
  { key: 'wiops', label: 'Write IOPS' },
];
const DISK = /^([0-9]+:[0-9]+|\/dev\/[A-Za-z0-9._/-]+)$/;

// A throttle's text: "10M" (a rate, at least 1 B/s), "200" (IOPS, at least 1), "max", or ''.
export function checkIo(k, text) {
  const s = text.trim();
  if (s === '' || s === 'max') return { value: s === '' ? null : 'max' };
  if (k.rate) return RATE(s);
  if (!/^[0-9]+$/.test(s) || Number(s) < 1) return { error: 'operations a second, at least 1, or max' };
  return { value: Number(s) };
}

const RATE = size(1, '1 byte a second');
const ioText = (v) => (v === undefined || v === null ? '' : String(v));

// rows: [{disk, texts: {rbps…}, remove}] (new disks have a disk the current limits lack).
// Returns {patch} (io.max as the PATCH takes it, {} if nothing changed) or {errors} by
// "disk/key" ("disk" for the disk itself).
export function buildIoPatch(rows, current) {
  const max = {}, errors = {};
  const cur = (current && current.io && current.io.max) || {};
  for (const r of rows) {
    const disk = r.disk.trim();
    if (!disk) continue;
    if (!DISK.test(disk)) { errors[disk] = 'a disk as MAJ:MIN (8:0) or a /dev path'; continue; }
    if (r.remove) { if (cur[disk]) max[disk] = null; continue; }
    const was = cur[disk] || {};
    for (const k of IO_KEYS) {
      const t = (r.texts[k.key] || '').trim();
      if (t === ioText(was[k.key])) continue;
      const c = checkIo(k, t);
      if (c.error) errors[disk + '/' + k.key] = c.error;
      else if (c.value !== null || was[k.key] !== undefined) (max[disk] = max[disk] || {})[k.key] = c.value;
    }
  }
  if (Object.keys(errors).length) return { errors };
  return { patch: Object.keys(max).length ? { io: { max } } : {} };
}
