// Small DOM helpers shared by the consult page and the admin console: an
// element builder, brief non-blocking notices (toasts), and an in-page confirm
// dialog (window.confirm is not themable, and headless test browsers dismiss it).

import { t } from './i18n.js';

export const $ = (id) => document.getElementById(id);

/**
 * h('button', { class: 'x', onclick: fn, 'aria-label': '…' }, child, 'text', …)
 * Attributes starting with "on" are listeners; `dataset` is an object; false/null
 * attributes are left out; children may be nodes, strings or arrays.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === false || v === null || v === undefined) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** Show a brief notice that never blocks: it fades after `ms`. kind: info|ok|warn|error */
export function notify(text, kind = 'info', ms = 5000) {
  let box = document.getElementById('toasts');
  if (!box) {
    box = h('div', { id: 'toasts', class: 'toasts', role: 'status', 'aria-live': 'polite' });
    document.body.append(box);
  }
  const el = h('div', { class: `toast ${kind}` }, text);
  box.append(el);
  while (box.children.length > 4) box.firstElementChild.remove();
  setTimeout(() => el.remove(), ms);
  return el;
}

/** An in-page confirm dialog; resolves true when the user confirms. */
export function confirmDialog(message, { confirmLabel = t('common.confirm'), danger = false } = {}) {
  return new Promise((resolve) => {
    const dlg = h('dialog', { class: 'confirm-dialog', 'aria-label': message });
    const done = (v) => {
      dlg.close();
      dlg.remove();
      resolve(v);
    };
    const ok = h('button', { type: 'button', class: danger ? 'danger' : 'primary', 'data-confirm': 'yes', onclick: () => done(true) }, confirmLabel);
    dlg.append(
      h('p', {}, message),
      h('div', { class: 'dialog-buttons' },
        h('button', { type: 'button', class: 'secondary', onclick: () => done(false) }, t('common.cancel')),
        ok),
    );
    dlg.addEventListener('cancel', (e) => {
      e.preventDefault();
      done(false);
    });
    document.body.append(dlg);
    dlg.showModal();
    ok.focus();
  });
}

/** Copy text to the clipboard; falls back to selecting it in a hidden field. */
export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const ta = h('textarea', { class: 'visually-hidden', 'aria-hidden': 'true' });
    ta.value = text;
    document.body.append(ta);
    ta.select();
    let ok = false;
    try {
      ok = document.execCommand('copy');
    } catch {
      ok = false;
    }
    ta.remove();
    return ok;
  }
}
