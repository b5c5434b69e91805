// Consult records, the audit log and the recordings library in the admin
// console: each a filtered list from the public API, with a detail pane for
// consults and in-browser playback for recordings.

import { t, roleName, formatTime } from '../lib/i18n.js';
import { h } from '../lib/dom.js';
import { call, query, listOf, getKey } from './api.js';
import { field, input, dayBound, formValues, problem } from './forms.js';

const pick = (o, ...names) => {
  for (const n of names) if (o && o[n] !== undefined && o[n] !== null && o[n] !== '') return o[n];
  return null;
};
const time = (v) => (v ? formatTime(new Date(v)) : '—');

function formatBytes(n) {
  if (typeof n !== 'number') return '—';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i ? 1 : 0)} ${units[i]}`;
}

function formatDuration(s) {
  if (typeof s !== 'number' || !Number.isFinite(s)) return '—';
  const m = Math.floor(s / 60);
  return `${Math.floor(m / 60)}:${String(m % 60).padStart(2, '0')}:${String(Math.floor(s % 60)).padStart(2, '0')}`;
}

/**
 * A filtered list view. spec: { name, endpoint, listNames[], filters: [[name, labelKey, type]],
 * columns: [[labelKey, fn(item)]], onOpen?(item, pane) }
 */
function listView(spec) {
  const s = { root: null, filters: {}, result: null, selected: null };

  async function load() {
    const f = { ...s.filters };
    for (const [name, , type] of spec.filters) if (type === 'date') f[name] = dayBound(f[name], name === 'to');
    s.result = await call('GET', `${spec.endpoint}${query(f)}`);
    renderResults();
  }

  function renderResults() {
    const box = s.root && s.root.querySelector('.results');
    if (!box) return;
    const r = s.result;
    if (!r) {
      box.replaceChildren(h('p', { class: 'hint' }, t('common.loading')));
      return;
    }
    if (!r.ok) {
      box.replaceChildren(problem(r, `GET ${spec.endpoint}`));
      return;
    }
    const items = listOf(r.data, ...spec.listNames);
    if (items.length === 0) {
      box.replaceChildren(h('p', { class: 'empty' }, t('admin.no_results')));
      return;
    }
    box.replaceChildren(h('table', { class: 'table', id: `${spec.name}-table` },
      h('caption', { class: 'visually-hidden' }, t(`admin.nav_${spec.name}`)),
      h('thead', {}, h('tr', {}, spec.columns.map(([k]) => h('th', { scope: 'col' }, t(k))), spec.onOpen ? h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, t('admin.col_actions'))) : null)),
      h('tbody', {}, items.map((item) => h('tr', {},
        spec.columns.map(([, fn]) => h('td', {}, fn(item) ?? '—')),
        spec.onOpen ? h('td', {}, h('button', { type: 'button', class: 'small secondary', onclick: () => open(item) }, t(spec.openKey || 'admin.details'))) : null)))));
  }

  async function open(item) {
    s.selected = item;
    const pane = s.root.querySelector('.detail');
    pane.hidden = false;
    await spec.onOpen(item, pane);
    const heading = pane.querySelector('h3');
    if (heading) heading.focus();
  }

  function render() {
    if (!s.root) return;
    const form = h('form', {
      class: 'filters',
      'aria-label': t('admin.filters'),
      onsubmit: (e) => {
        e.preventDefault();
        s.filters = formValues(e.target);
        load();
      },
    },
    spec.filters.map(([name, labelKey, type]) => field(labelKey, input(name, { type: type || 'search', value: s.filters[name] || '' }))),
    h('button', { type: 'submit', class: 'secondary' }, t('admin.apply_filters')));
    s.root.replaceChildren(
      h('div', { class: 'view-head' }, h('h2', { id: `${spec.name}-heading` }, t(`admin.nav_${spec.name}`))),
      form,
      h('div', { class: 'records-layout' },
        h('div', { class: 'results', 'aria-live': 'polite' }),
        h('section', { class: 'card detail', hidden: true })));
    renderResults();
    if (s.selected && spec.onOpen) open(s.selected);
  }

  return {
    enter(root) {
      s.root = root;
      render();
      load();
    },
    leave() {
      if (spec.onLeave) spec.onLeave();
    },
    render,
  };
}

// ---- consults ---------------------------------------------------------------------

function participantRows(list) {
  if (!Array.isArray(list) || list.length === 0) return h('p', { class: 'empty' }, t('admin.none'));
  return h('table', { class: 'table' },
    h('thead', {}, h('tr', {}, ['admin.col_name', 'admin.col_institution', 'admin.col_role', 'admin.col_joined', 'admin.col_left'].map((k) => h('th', { scope: 'col' }, t(k))))),
    h('tbody', {}, list.map((p) => h('tr', {},
      h('td', {}, pick(p, 'display_name', 'name', 'user') || '—'),
      h('td', {}, p.institution || '—'),
      h('td', {}, p.role ? roleName(p.role) : '—'),
      h('td', {}, time(p.joined_at)),
      h('td', {}, time(p.left_at))))));
}

async function openConsult(item, pane) {
  const id = pick(item, 'id', 'consult_id');
  pane.replaceChildren(h('h3', { tabindex: '-1' }, pick(item, 'title', 'room_title') || id), h('p', { class: 'hint' }, t('common.loading')));
  const r = await call('GET', `/api/v1/consults/${encodeURIComponent(id)}`);
  if (!r.ok) {
    pane.replaceChildren(h('h3', { tabindex: '-1' }, pick(item, 'title', 'room_title') || id), problem(r, 'GET /api/v1/consults/{id}'));
    return;
  }
  const c = r.data.consult || r.data;
  const conclusion = c.conclusion && typeof c.conclusion === 'object' ? c.conclusion : (c.conclusion ? { text: c.conclusion } : null);
  const docs = Array.isArray(c.documents) ? c.documents : [];
  const recs = Array.isArray(c.recordings) ? c.recordings : [];
  pane.replaceChildren(
    h('h3', { tabindex: '-1' }, pick(c, 'reason', 'title') || (c.room && c.room.title) || id),
    h('dl', { class: 'room-facts' },
      h('dt', {}, t('admin.col_status')), h('dd', {}, pick(c, 'status') || '—'),
      h('dt', {}, t('admin.col_institutions')), h('dd', {}, [pick(c, 'inviting_institution'), pick(c, 'invited_institution')].filter(Boolean).join(' → ') || '—'),
      h('dt', {}, t('admin.room_title')), h('dd', {}, (c.room && c.room.title) || '—'),
      h('dt', {}, t('admin.col_started')), h('dd', {}, time(pick(c, 'started_at', 'starts_at') || (c.room && c.room.starts_at))),
      h('dt', {}, t('admin.col_ended')), h('dd', {}, time(pick(c, 'ended_at', 'ends_at') || (c.room && c.room.ends_at))),
      h('dt', {}, t('admin.host_institution')), h('dd', {}, pick(c, 'host_institution') || '—'),
      h('dt', {}, t('admin.room_id')), h('dd', { class: 'mono' }, pick(c, 'room_id', 'room') || '—')),
    h('h4', {}, t('admin.participants')), participantRows(c.participants),
    h('h4', {}, t('admin.conclusion')),
    conclusion ? h('div', { class: 'conclusion' },
      h('p', {}, conclusion.text || '—'),
      conclusion.referral ? h('p', { class: 'hint' }, t('admin.referral', { direction: t(`admin.referral_${conclusion.referral.direction}`), institution: conclusion.referral.institution || '' })) : null)
      : h('p', { class: 'empty' }, t('admin.no_conclusion')),
    h('h4', {}, t('admin.documents')),
    docs.length ? h('ul', {}, docs.map((d) => h('li', {}, `${d.name || d.id} (${d.kind || ''})`))) : h('p', { class: 'empty' }, t('admin.none')),
    h('h4', {}, t('admin.recordings')),
    recs.length ? h('ul', {}, recs.map((x) => h('li', {}, `${x.title || x.id} · ${time(x.started_at)}`))) : h('p', { class: 'empty' }, t('admin.none')));
}

export const consultsView = listView({
  name: 'consults',
  endpoint: '/api/v1/consults',
  listNames: ['consults', 'items'],
  filters: [['q', 'admin.filter_search'], ['institution', 'admin.filter_institution'], ['from', 'admin.filter_from', 'date'], ['to', 'admin.filter_to', 'date']],
  columns: [
    ['admin.col_reason', (c) => pick(c, 'reason', 'title') || (c.room && c.room.title) || pick(c, 'room_id')],
    ['admin.col_institutions', (c) => [pick(c, 'inviting_institution'), pick(c, 'invited_institution')].filter(Boolean).join(' → ') || null],
    ['admin.col_status', (c) => pick(c, 'status')],
    ['admin.col_started', (c) => time(pick(c, 'starts_at', 'requested_at'))],
    ['admin.col_conclusion', (c) => {
      const text = c.conclusion && typeof c.conclusion === 'object' ? c.conclusion.text : c.conclusion;
      return text ? String(text).slice(0, 60) : t('admin.no_conclusion');
    }],
  ],
  onOpen: openConsult,
});

// ---- audit ------------------------------------------------------------------------

export const auditView = listView({
  name: 'audit',
  endpoint: '/api/v1/audit',
  listNames: ['entries', 'events', 'audit', 'items'],
  filters: [['actor', 'admin.filter_actor'], ['action', 'admin.filter_action'], ['from', 'admin.filter_from', 'date'], ['to', 'admin.filter_to', 'date']],
  columns: [
    ['admin.col_time', (e) => time(pick(e, 'at', 'time', 'created_at'))],
    ['admin.col_actor', (e) => pick(e, 'actor', 'user', 'who')],
    ['admin.col_action', (e) => pick(e, 'action', 'event', 'type')],
    ['admin.col_target', (e) => pick(e, 'target', 'room_id', 'object')],
    ['admin.col_detail', (e) => {
      const d = pick(e, 'detail', 'details', 'message');
      return d === null ? '—' : typeof d === 'string' ? d : JSON.stringify(d);
    }],
  ],
});

// ---- recordings -----------------------------------------------------------------

let playingUrl = null;

async function openRecording(item, pane) {
  if (playingUrl) URL.revokeObjectURL(playingUrl);
  playingUrl = null;
  const id = pick(item, 'id');
  pane.replaceChildren(h('h3', { tabindex: '-1' }, pick(item, 'title') || id), h('p', { class: 'hint' }, t('common.loading')));
  // The media needs the admin key, which a <video src> cannot send: fetch it.
  let res;
  try {
    res = await fetch(`/api/v1/recordings/${encodeURIComponent(id)}/media`, { headers: { Authorization: `Bearer ${getKey() || ''}` } });
  } catch (e) {
    res = { ok: false, status: 0, statusText: e.message };
  }
  if (!res.ok) {
    pane.replaceChildren(h('h3', { tabindex: '-1' }, pick(item, 'title') || id),
      problem({ ok: false, status: res.status, missing: res.status === 404 || res.status === 405, error: { message: res.statusText } }, 'GET /api/v1/recordings/{id}/media'));
    return;
  }
  playingUrl = URL.createObjectURL(await res.blob());
  pane.replaceChildren(
    h('h3', { tabindex: '-1' }, pick(item, 'title') || id),
    h('video', { controls: true, src: playingUrl, class: 'playback', 'aria-label': pick(item, 'title') || id }),
    h('p', {}, h('a', { href: playingUrl, download: `${id}` }, t('admin.download'))));
}

export const recordingsView = listView({
  name: 'recordings',
  endpoint: '/api/v1/recordings',
  listNames: ['recordings', 'items'],
  filters: [['q', 'admin.filter_search'], ['from', 'admin.filter_from', 'date'], ['to', 'admin.filter_to', 'date']],
  columns: [
    ['admin.col_title', (r) => pick(r, 'title', 'room_title', 'id')],
    ['admin.col_started', (r) => time(pick(r, 'started_at', 'start'))],
    ['admin.col_duration', (r) => formatDuration(pick(r, 'duration_s', 'duration'))],
    ['admin.col_size', (r) => formatBytes(pick(r, 'size_bytes', 'size'))],
    ['admin.col_state', (r) => pick(r, 'state') || '—'],
  ],
  openKey: 'admin.play',
  onOpen: openRecording,
  onLeave: () => {
    if (playingUrl) URL.revokeObjectURL(playingUrl);
    playingUrl = null;
  },
});
