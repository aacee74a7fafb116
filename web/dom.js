// A small element builder: h('td', {class: 'num'}, 'text', child). Text always goes in as
// text, never as HTML, so a group name or a log line cannot become markup.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false)
    el.append(c instanceof Node ? c : String(c));
  return el;
}

export function stateBadge(state) {
  const label = { THAWED: 'RUNNING', FREEZING: 'FREEZING', FROZEN: 'FROZEN' }[state] || state;
  return h('span', { class: 'state state-' + String(state).toLowerCase(), 'data-state': state }, label);
}

// Runs fn with the button disabled, marked aria-busy and saying label; the caller sets its
// text again afterwards. Views read aria-busy to leave a busy button's label alone.
export async function withBusy(button, label, fn) {
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  button.textContent = label;
  try {
    return await fn();
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
  }
}

// A status line for the result of an action: role=alert for errors so screen readers say it.
export function showError(el, e) {
  el.replaceChildren();
  el.hidden = !e;
  if (e) el.append(e.field ? `${e.message} (${e.field})` : e.message);
}
