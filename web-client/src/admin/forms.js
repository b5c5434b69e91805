// Form helpers of the admin console: labelled fields, local date-time values,
// and the "this server does not have that endpoint yet" message.

import { t } from '../lib/i18n.js';
import { h } from '../lib/dom.js';

let seq = 0;

/** A labelled field: h('label') + control, with a unique id. */
export function field(labelKey, control, { hintKey = null } = {}) {
  const id = control.id || `f${++seq}`;
  control.id = id;
  return h('div', { class: 'field' },
    h('label', { for: id }, t(labelKey)),
    control,
    hintKey ? h('span', { class: 'field-hint' }, t(hintKey)) : null);
}

export function input(name, attrs = {}) {
  return h('input', { name, type: 'text', ...attrs });
}

export function select(name, options, value = '') {
  const el = h('select', { name }, options.map(([v, key]) => h('option', { value: v }, t(key))));
  el.value = value;
  return el;
}

const pad = (n) => String(n).padStart(2, '0');

/** A Date as the value of <input type="datetime-local"> (local time). */
export function toLocalInput(date) {
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) return '';
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** The value of a datetime-local input as RFC 3339 (UTC), or '' when empty. */
export function fromLocalInput(value) {
  if (!value) return '';
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString();
}

/** A date input's day as the RFC 3339 start (or end) of that local day. */
export function dayBound(value, end = false) {
  if (!value) return '';
  const d = new Date(`${value}T${end ? '23:59:59' : '00:00:00'}`);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString();
}

export function formValues(form) {
  return Object.fromEntries(new FormData(form).entries());
}

/** The message for a failed call: a missing endpoint is named, others explained. */
export function problem(r, what) {
  if (r.missing) return h('p', { class: 'notice missing', role: 'status', dataset: { missing: what } }, t('admin.endpoint_missing', { endpoint: what }));
  return h('p', { class: 'alert', role: 'alert' }, t('admin.request_failed', {
    status: r.status || '—',
    message: (r.error && (r.error.message || r.error.code)) || '',
  }));
}

export function stateBadge(state) {
  const key = `room_state.${state}`;
  const text = t(key);
  return h('span', { class: `state-badge state-${state || 'unknown'}` }, text === key ? String(state || '—') : text);
}
