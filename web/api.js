// The REST API, as the dashboard uses it. The token arrives once in the URL fragment (which a
// browser never sends), is kept for this tab only and goes out as a header, never a cookie,
// so another site cannot make the browser act with it (no CSRF).
const KEY = 'cgwarden-token';

export function takeTokenFromFragment() {
  const m = location.hash.match(/(?:^#|&)token=([0-9a-f]{64})/);
  if (!m) return;
  sessionStorage.setItem(KEY, m[1]);
  history.replaceState(null, '', location.pathname + '#/');
}

export const token = () => sessionStorage.getItem(KEY);
export const setToken = (t) => sessionStorage.setItem(KEY, t);

function headers(extra) {
  const h = Object.assign({}, extra);
  const t = token();
  if (t) h.Authorization = 'Bearer ' + t;
  return h;
}

// An error the API answered with: {"error":{"code","message","field"}}.
export class ApiError extends Error {
  constructor(status, body) {
    const e = (body && body.error) || {};
    super(e.message || 'HTTP ' + status);
    this.status = status;
    this.code = e.code || 'http_' + status;
    this.field = e.field || null;
  }
}

async function request(method, path, body) {
  const init = { method, headers: headers(body !== undefined ? { 'Content-Type': 'application/json' } : {}) };
  if (body !== undefined) init.body = JSON.stringify(body);
  const r = await fetch(path, init);
  if (!r.ok) {
    let b = null;
    try { b = await r.json(); } catch (_) { /* not JSON: the status says enough */ }
    throw new ApiError(r.status, b);
  }
  return r;
}

export async function call(method, path, body) {
  const r = await request(method, path, body);
  return r.status === 204 ? null : r.json();
}

export async function text(path) {
  return (await request('GET', path)).text();
}

export async function blob(path) {
  return (await request('GET', path)).blob();
}

export const groupPath = (name, rest = '') => '/api/v1/groups/' + encodeURIComponent(name) + rest;

// Server-Sent Events over fetch, since EventSource cannot send an Authorization header.
// Reconnects after `retry` ms with Last-Event-ID, so no stored event is missed.
export class EventStream {
  constructor(onEvent, onStatus) {
    this.onEvent = onEvent;
    this.onStatus = onStatus;
    this.lastId = null;
    this.retry = 2000;
    this.stopped = false;
  }

  start() {
    this.loop();
    return this;
  }

  stop() {
    this.stopped = true;
    if (this.abort) this.abort.abort();
  }

  async loop() {
    while (!this.stopped) {
      try {
        await this.once();
      } catch (_) { /* the stream ended or failed: retry below */ }
      if (this.stopped) return;
      this.onStatus('reconnecting');
      await new Promise((res) => setTimeout(res, this.retry));
    }
  }

  async once() {
    this.abort = new AbortController();
    const h = this.lastId !== null ? { 'Last-Event-ID': String(this.lastId) } : {};
    const r = await fetch('/api/v1/events/stream', { headers: headers(h), signal: this.abort.signal });
    if (!r.ok) throw new ApiError(r.status, null);
    this.onStatus('live');
    const reader = r.body.getReader();
    const dec = new TextDecoder();
    let buf = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buf += dec.decode(value, { stream: true });
      let end;
      while ((end = buf.indexOf('\n\n')) >= 0) {
        this.dispatch(buf.slice(0, end));
        buf = buf.slice(end + 2);
      }
    }
  }

  dispatch(block) {
    let type = 'message', data = '', id = null;
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) continue;
      const i = line.indexOf(':');
      const field = i < 0 ? line : line.slice(0, i);
      const value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
      if (field === 'event') type = value;
      else if (field === 'data') data += (data ? '\n' : '') + value;
      else if (field === 'id') id = value;
      else if (field === 'retry' && /^\d+$/.test(value)) this.retry = Number(value);
    }
    if (id !== null) this.lastId = id;
    if (!data) return;
    let parsed;
    try { parsed = JSON.parse(data); } catch (_) { return; }
    this.onEvent(type, parsed);
  }
}
