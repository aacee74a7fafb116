// The token arrives in the URL fragment (never sent to the server), is kept for this tab
// only and sent as a header, not a cookie, so another site cannot ride on it.
'use strict';
const m = location.hash.match(/token=([0-9a-f]{64})/);
if (m) {
  sessionStorage.setItem('cgwarden-token', m[1]);
  history.replaceState(null, '', location.pathname);
}
const token = sessionStorage.getItem('cgwarden-token');

async function call(method, path) {
  const r = await fetch(path, { method, headers: token ? { Authorization: 'Bearer ' + token } : {} });
  const body = r.status === 204 ? null : await r.json();
  if (!r.ok) throw new Error(body && body.error ? body.error.message : 'HTTP ' + r.status);
  return body;
}

function cell(row, text, cls) {
  const td = row.insertCell();
  const span = document.createElement('span');
  span.textContent = text;
  if (cls) span.className = cls;
  td.appendChild(span);
}

function size(v) {
  if (v === undefined) return '–';
  if (v === 'max') return 'max';
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (v >= 1024 && i < u.length - 1) { v /= 1024; i++; }
  return (Number.isInteger(v) ? v : v.toFixed(1)) + ' ' + u[i];
}

function render(groups) {
  const tbody = document.getElementById('groups');
  tbody.replaceChildren();
  for (const g of groups) {
    const row = tbody.insertRow();
    const l = g.limits || {};
    cell(row, g.name);
    cell(row, g.parent || '–');
    cell(row, g.state, 'state ' + g.state);
    cell(row, String(g.pids.length));
    cell(row, size(l.memory && l.memory.max));
    cell(row, l.cpu && l.cpu.max !== undefined ? String(l.cpu.max) : '–');
    cell(row, l.pids && l.pids.max !== undefined ? String(l.pids.max) : '–');
    const td = row.insertCell();
    const b = document.createElement('button');
    const frozen = g.state !== 'THAWED';
    b.textContent = frozen ? 'Thaw' : 'Freeze';
    b.setAttribute('aria-label', (frozen ? 'Thaw ' : 'Freeze ') + g.name);
    b.addEventListener('click', async () => {
      b.disabled = true;
      try { await call('POST', '/api/v1/groups/' + encodeURIComponent(g.name) + (frozen ? '/thaw' : '/freeze')); }
      catch (e) { showError(e); }
      refresh();
    });
    td.appendChild(b);
  }
}

function showError(e) {
  const p = document.getElementById('error');
  p.textContent = e ? e.message : '';
  p.hidden = !e;
}

async function refresh() {
  try {
    const h = await call('GET', '/healthz');
    document.getElementById('health').textContent = `driver ${h.driver} (${h.layout}), version ${h.version}`;
    if (!token) throw new Error('No token: open the address that `make run` printed (it ends in #token=…).');
    render((await call('GET', '/api/v1/groups')).groups);
    showError(null);
  } catch (e) {
    showError(e);
  }
}

refresh();
setInterval(refresh, 2000);
