// Numbers as people read them. Pure functions: tests/web imports this file into Node.
const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];

export function bytes(v) {
  if (v === undefined || v === null) return '–';
  if (v === 'max') return 'no limit';
  let i = 0;
  while (Math.abs(v) >= 1024 && i < UNITS.length - 1) { v /= 1024; i++; }
  return (i === 0 || Number.isInteger(v) ? String(Math.round(v)) : v.toFixed(v < 10 ? 2 : 1)) + ' ' + UNITS[i];
}

export const rate = (v) => (v === undefined || v === null ? '–' : bytes(v) + '/s');

export function percent(cores) {
  if (cores === undefined || cores === null) return '–';
  const p = cores * 100;
  return (p < 10 ? p.toFixed(1) : Math.round(p)) + '%';
}

// The shortest exact size with a binary suffix, as the limit editor shows a limit: 268435456 → "256M".
export function sizeInput(v) {
  if (v === undefined || v === null) return '';
  if (v === 'max') return 'max';
  for (const [s, m] of [['E', 2 ** 60], ['P', 2 ** 50], ['T', 2 ** 40], ['G', 2 ** 30], ['M', 2 ** 20], ['K', 1024]])
    if (v >= m && v % m === 0) return v / m + s;
  return String(v);
}

export function dateTime(iso) {
  if (!iso) return '–';
  const d = new Date(iso);
  return d.toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' });
}

export function duration(sec) {
  if (sec < 60) return sec.toFixed(sec < 10 ? 2 : 1) + ' s';
  if (sec < 3600) return (sec / 60).toFixed(1) + ' min';
  return (sec / 3600).toFixed(1) + ' h';
}

// A command line split as a shell would split words: spaces separate, quotes group, a
// backslash outside quotes escapes the next character. Nothing is expanded; the result goes to the API as argv.
export function splitCommand(line) {
  const argv = [];
  let cur = null, quote = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = null;
      // In double quotes a backslash escapes only what a shell lets it: \ " $ `.
      else if (c === '\\' && quote === '"' && '\\"$`'.includes(line[i + 1] || 'x')) cur += line[++i];
      else cur += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      cur = cur === null ? '' : cur;
    } else if (c === '\\' && i + 1 < line.length) {
      cur = (cur === null ? '' : cur) + line[++i];
    } else if (/\s/.test(c)) {
      if (cur !== null) argv.push(cur);
      cur = null;
    } else {
      cur = (cur === null ? '' : cur) + c;
    }
  }
  if (quote) throw new Error('unterminated ' + quote + ' quote');
  if (cur !== null) argv.push(cur);
  return argv;
}

// The run form's security choices as spawn fields: only what differs from the daemon's
// defaults is sent (so the daemon's defaults stay the one source). Volumes are
// "SRC:DST[:ro]" separated by commas; capabilities are names separated by commas or spaces.
export function securityFields(f) {
  const out = {};
  const list = (s) => s.split(/[\s,]+/).filter(Boolean);
  if (f.readonly) out.readonly_rootfs = true;
  if (!f.seccomp) out.seccomp = 'unconfined';
  if (!f.nnp) out.no_new_privileges = false;
  if (!f.cgroupns) out.cgroupns = 'host';
  if (list(f.capAdd || '').length) out.cap_add = list(f.capAdd);
  if (list(f.capDrop || '').length) out.cap_drop = list(f.capDrop);
  const vols = (f.volumes || '').split(',').map((v) => v.trim()).filter(Boolean).map((v) => {
    const [source, target, mode] = v.split(':');
    return mode === 'ro' ? { source, target, readonly: true } : { source, target };
  });
  if (vols.length) out.mounts = vols;
  return out;
}

// PROCESS.security in a few words for the process table: "14 caps · seccomp · no new
// privileges · userns", and the whole of it for the title. {} (a process started before the walls were recorded): "–".
export function wallsSummary(sec) {
  if (!sec || !Array.isArray(sec.capabilities)) return { text: '–', title: 'started before the walls were recorded' };
  const n = sec.capabilities.length;
  const parts = [n ? n + (n === 1 ? ' cap' : ' caps') : 'no caps', sec.seccomp === 'default' ? 'seccomp' : 'unconfined'];
  if (sec.no_new_privileges) parts.push('no new privileges');
  if (sec.userns) parts.push('userns');
  if (sec.readonly_rootfs) parts.push('read-only');
  if (sec.mounts && sec.mounts.length) parts.push(sec.mounts.length + (sec.mounts.length === 1 ? ' volume' : ' volumes'));
  const devices = sec.devices === 'group' ? "the group's rules" : sec.devices === 'default' ? 'default list' : 'not recorded';
  return { text: parts.join(' · '), title: 'capabilities: ' + (n ? sec.capabilities.join(' ') : 'none') + '; cgroup namespace: ' + sec.cgroupns + '; devices: ' + devices };
}
