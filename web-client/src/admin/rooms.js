// Rooms in the admin console: a calendar list grouped by day with filters,
// create, reschedule, cancel or end, invitation links to copy, and the live
// participants of the selected room (refreshed every few seconds).

import { t, roleName, formatDay, formatRange, formatTime, formatClock } from '../lib/i18n.js';
import { h, notify, confirmDialog, copyText } from '../lib/dom.js';
import { call, query, listOf } from './api.js';
import {
  field, input, select, toLocalInput, fromLocalInput, dayBound, formValues, problem, stateBadge,
} from './forms.js';

const LIVE_REFRESH_MS = 3000;
const LOCAL_ROOMS = 'huizhen.admin_rooms';
const ROLES = ['doctor', 'specialist', 'presenter', 'student', 'observer'];

const s = {
  root: null,
  filters: { state: '', from: '', to: '' },
  rooms: [],
  listResult: null,
  selected: null, // room object
  detailResult: null,
  invitations: new Map(), // room id -> [{ display_name, role, join_url }]
  timer: null,
  createOpen: false,
};

function rememberRoom(room) {
  const all = localRooms().filter((r) => r.id !== room.id);
  all.push(room);
  try {
    window.sessionStorage.setItem(LOCAL_ROOMS, JSON.stringify(all.slice(-100)));
  } catch {
    /* only in memory */
  }
}

function localRooms() {
  try {
    return JSON.parse(window.sessionStorage.getItem(LOCAL_ROOMS)) || [];
  } catch {
    return [];
  }
}

async function loadRooms() {
  const f = s.filters;
  const r = await call('GET', `/api/v1/rooms${query({ state: f.state, from: dayBound(f.from), to: dayBound(f.to, true) })}`);
  s.listResult = r;
  s.rooms = r.ok ? listOf(r.data, 'rooms', 'items') : localRooms();
  renderList();
}

async function loadDetail() {
  if (!s.selected) return;
  const r = await call('GET', `/api/v1/rooms/${encodeURIComponent(s.selected.id)}`);
  s.detailResult = r;
  if (r.ok && r.data) {
    s.selected = { ...s.selected, ...(r.data.room || r.data) };
    rememberRoom(stripLive(s.selected));
  }
  renderLive();
}

const stripLive = (room) => {
  const { participants, ...rest } = room;
  return rest;
};

// ---- list ---------------------------------------------------------------------

function filterForm() {
  const stateSel = select('state', [['', 'admin.state_all'], ['scheduled', 'room_state.scheduled'], ['open', 'room_state.open'], ['live', 'room_state.live'], ['closed', 'room_state.closed']], s.filters.state);
  const from = input('from', { type: 'date', value: s.filters.from });
  const to = input('to', { type: 'date', value: s.filters.to });
  return h('form', {
    class: 'filters',
    id: 'room-filters',
    'aria-label': t('admin.filters'),
    onsubmit: (e) => {
      e.preventDefault();
      Object.assign(s.filters, formValues(e.target));
      loadRooms();
    },
  },
  field('admin.filter_state', stateSel), field('admin.filter_from', from), field('admin.filter_to', to),
  h('button', { type: 'submit', class: 'secondary' }, t('admin.apply_filters')));
}

function createForm() {
  const start = new Date(Math.ceil(Date.now() / 300000) * 300000);
  const end = new Date(start.getTime() + 3600 * 1000);
  const form = h('form', {
    class: 'card create-room',
    id: 'create-room',
    'aria-labelledby': 'create-room-heading',
    onsubmit: async (e) => {
      e.preventDefault();
      const v = formValues(e.target);
      const body = {
        title: v.title.trim(),
        kind: v.kind,
        starts_at: fromLocalInput(v.starts_at),
        ends_at: fromLocalInput(v.ends_at),
        record: v.record === 'on',
      };
      if (v.capacity) body.capacity = Number(v.capacity);
      if (v.host_institution.trim()) body.host_institution = v.host_institution.trim();
      const r = await call('POST', '/api/v1/rooms', body);
      if (!r.ok) {
        form.querySelector('.form-problem').replaceChildren(problem(r, 'POST /api/v1/rooms'));
        return;
      }
      rememberRoom(r.data);
      notify(t('admin.room_created', { title: r.data.title }), 'ok');
      s.createOpen = false;
      await loadRooms();
      select_(r.data);
    },
  },
  h('h3', { id: 'create-room-heading' }, t('admin.create_room')),
  h('div', { class: 'form-grid' },
    field('admin.room_title', input('title', { required: true, maxlength: 200, id: 'room-title-input' })),
    field('admin.room_kind', select('kind', [['consult', 'room_kind.consult'], ['teaching', 'room_kind.teaching']], 'consult')),
    field('admin.starts_at', input('starts_at', { type: 'datetime-local', required: true, value: toLocalInput(start) })),
    field('admin.ends_at', input('ends_at', { type: 'datetime-local', required: true, value: toLocalInput(end) })),
    field('admin.capacity', input('capacity', { type: 'number', min: 2, max: 1000, inputmode: 'numeric' })),
    field('admin.host_institution', input('host_institution', { maxlength: 200 })),
    h('div', { class: 'field checkbox' }, h('input', { type: 'checkbox', name: 'record', id: 'room-record' }), h('label', { for: 'room-record' }, t('admin.record')))),
  h('div', { class: 'form-problem' }),
  h('div', { class: 'form-buttons' },
    h('button', { type: 'button', class: 'secondary', onclick: () => { s.createOpen = false; render(); } }, t('common.cancel')),
    h('button', { type: 'submit', class: 'primary', id: 'create-room-submit' }, t('admin.create'))));
  return form;
}

function roomRow(room) {
  const selected = s.selected && s.selected.id === room.id;
  return h('li', { class: `room-row${selected ? ' selected' : ''}`, dataset: { roomId: room.id } },
    h('button', { type: 'button', class: 'room-open', 'aria-current': selected ? 'true' : false, onclick: () => select_(room) },
      h('span', { class: 'room-when' }, formatRange(room.starts_at, room.ends_at)),
      h('span', { class: 'room-name' }, room.title || room.id),
      h('span', { class: 'room-meta' }, [t(`room_kind.${room.kind}`) !== `room_kind.${room.kind}` ? t(`room_kind.${room.kind}`) : room.kind, room.host_institution].filter(Boolean).join(' · ')),
      stateBadge(room.state)));
}

function renderList() {
  const box = s.root && s.root.querySelector('#room-list');
  if (!box) return;
  const parts = [];
  if (s.listResult && !s.listResult.ok) {
    parts.push(problem(s.listResult, 'GET /api/v1/rooms'));
    if (s.listResult.missing) parts.push(h('p', { class: 'hint' }, t('admin.local_rooms_only')));
  }
  const rooms = [...s.rooms].sort((a, b) => String(a.starts_at).localeCompare(String(b.starts_at)));
  if (rooms.length === 0) parts.push(h('p', { class: 'empty' }, t('admin.no_rooms')));
  const byDay = new Map();
  for (const room of rooms) {
    const d = new Date(room.starts_at);
    const key = Number.isNaN(d.getTime()) ? '—' : d.toDateString();
    if (!byDay.has(key)) byDay.set(key, { date: d, rooms: [] });
    byDay.get(key).rooms.push(room);
  }
  for (const { date, rooms: list } of byDay.values()) {
    parts.push(h('section', { class: 'day' }, h('h3', {}, formatDay(date)), h('ul', { class: 'room-rows' }, list.map(roomRow))));
  }
  box.replaceChildren(...parts);
}

// ---- detail -------------------------------------------------------------------

function select_(room) {
  s.selected = room;
  s.detailResult = null;
  renderList();
  renderDetail();
  loadDetail();
  clearInterval(s.timer);
  s.timer = setInterval(loadDetail, LIVE_REFRESH_MS);
  const heading = s.root.querySelector('#room-detail h3');
  if (heading) heading.focus();
}

function invitationForm(room) {
  const form = h('form', {
    class: 'invite-form',
    id: 'invite-form',
    'aria-labelledby': 'invite-heading',
    onsubmit: async (e) => {
      e.preventDefault();
      const v = formValues(e.target);
      const body = {
        user: v.user.trim() || `u-${Date.now().toString(36)}`,
        display_name: v.display_name.trim(),
        institution: v.institution.trim(),
        role: v.role,
      };
      if (v.ttl_h) body.ttl_s = Math.round(Number(v.ttl_h) * 3600);
      const r = await call('POST', `/api/v1/rooms/${encodeURIComponent(room.id)}/tokens`, body);
      if (!r.ok) {
        form.querySelector('.form-problem').replaceChildren(problem(r, 'POST /api/v1/rooms/{id}/tokens'));
        return;
      }
      const url = new URL(r.data.join_url, window.location.origin).toString();
      const list = s.invitations.get(room.id) || [];
      list.unshift({ display_name: body.display_name, role: body.role, institution: body.institution, join_url: url });
      s.invitations.set(room.id, list);
      renderDetail();
    },
  },
  h('h4', { id: 'invite-heading' }, t('admin.invite_heading')),
  h('div', { class: 'form-grid' },
    field('admin.invite_name', input('display_name', { required: true, maxlength: 128, id: 'invite-name' })),
    field('admin.invite_institution', input('institution', { maxlength: 200, id: 'invite-institution' })),
    field('admin.invite_role', select('role', ROLES.map((r) => [r, `role.${r}`]), room.kind === 'teaching' ? 'student' : 'doctor')),
    field('admin.invite_user', input('user', { maxlength: 128 }), { hintKey: 'admin.invite_user_hint' }),
    field('admin.invite_ttl', input('ttl_h', { type: 'number', min: 1, max: 720, value: 24, inputmode: 'numeric' }))),
  h('div', { class: 'form-problem' }),
  h('button', { type: 'submit', class: 'primary', id: 'invite-submit' }, t('admin.invite_create')));
  const issued = (s.invitations.get(room.id) || []).map((inv, i) => {
    const id = `invite-url-${i}`;
    return h('li', { class: 'invitation' },
      h('label', { for: id }, `${inv.display_name} · ${roleName(inv.role)}${inv.institution ? ` · ${inv.institution}` : ''}`),
      h('div', { class: 'copy-row' },
        h('input', { id, type: 'text', readonly: true, value: inv.join_url, class: 'join-url' }),
        h('button', {
          type: 'button',
          class: 'secondary copy-btn',
          'aria-label': `${t('admin.copy')}: ${inv.display_name}`,
          onclick: async () => notify(t((await copyText(inv.join_url)) ? 'admin.copied' : 'admin.copy_failed'), 'ok'),
        }, t('admin.copy'))));
  });
  return h('div', { class: 'invitations' }, form, issued.length ? h('ul', { class: 'invitation-list', id: 'invitation-list' }, issued) : null);
}

function rescheduleForm(room) {
  const form = h('form', {
    class: 'reschedule-form',
    id: 'reschedule-form',
    'aria-labelledby': 'reschedule-heading',
    onsubmit: async (e) => {
      e.preventDefault();
      const v = formValues(e.target);
      const body = { title: v.title.trim(), starts_at: fromLocalInput(v.starts_at), ends_at: fromLocalInput(v.ends_at) };
      const r = await call('PATCH', `/api/v1/rooms/${encodeURIComponent(room.id)}`, body);
      if (!r.ok) {
        form.querySelector('.form-problem').replaceChildren(problem(r, 'PATCH /api/v1/rooms/{id}'));
        return;
      }
      s.selected = { ...s.selected, ...(r.data || body) };
      rememberRoom(stripLive(s.selected));
      notify(t('admin.rescheduled'), 'ok');
      await loadRooms();
      renderDetail();
    },
  },
  h('h4', { id: 'reschedule-heading' }, t('admin.reschedule')),
  h('div', { class: 'form-grid' },
    field('admin.room_title', input('title', { value: room.title || '', maxlength: 200, required: true })),
    field('admin.starts_at', input('starts_at', { type: 'datetime-local', value: toLocalInput(new Date(room.starts_at)), required: true })),
    field('admin.ends_at', input('ends_at', { type: 'datetime-local', value: toLocalInput(new Date(room.ends_at)), required: true }))),
  h('div', { class: 'form-problem' }),
  h('button', { type: 'submit', class: 'secondary' }, t('admin.save')));
  return form;
}

async function cancelRoom(room) {
  const live = room.state === 'live' || (Array.isArray(room.participants) && room.participants.length > 0);
  const label = t(live ? 'admin.end_room' : 'admin.cancel_room');
  if (!(await confirmDialog(t(live ? 'admin.end_confirm' : 'admin.cancel_confirm', { title: room.title || room.id }), { confirmLabel: label, danger: true }))) return;
  const r = await call('DELETE', `/api/v1/rooms/${encodeURIComponent(room.id)}`);
  const box = s.root.querySelector('#room-detail .danger-zone .form-problem');
  if (!r.ok) {
    box.replaceChildren(problem(r, 'DELETE /api/v1/rooms/{id}'));
    return;
  }
  box.replaceChildren();
  notify(t(live ? 'admin.room_ended' : 'admin.room_cancelled'), 'ok');
  s.selected = { ...room, ...(r.data && r.data.id ? r.data : { state: 'closed' }) };
  rememberRoom(stripLive(s.selected));
  await loadRooms();
  renderDetail();
  loadDetail();
}

function renderLive() {
  const box = s.root && s.root.querySelector('#live-participants');
  if (!box || !s.selected) return;
  const r = s.detailResult;
  if (r && !r.ok) {
    box.replaceChildren(problem(r, 'GET /api/v1/rooms/{id}'));
    return;
  }
  const people = Array.isArray(s.selected.participants) ? s.selected.participants : null;
  const stamp = h('p', { class: 'hint' }, t('admin.live_updated', { time: formatClock(new Date()) }));
  if (!r) {
    box.replaceChildren(h('p', { class: 'hint' }, t('common.loading')));
  } else if (people === null) {
    box.replaceChildren(h('p', { class: 'hint' }, t('admin.live_unavailable')));
  } else if (people.length === 0) {
    box.replaceChildren(h('p', { class: 'empty', id: 'live-empty' }, t('admin.live_none')), stamp);
  } else {
    box.replaceChildren(h('table', { class: 'table', id: 'live-table' },
      h('caption', { class: 'visually-hidden' }, t('admin.live_heading')),
      h('thead', {}, h('tr', {}, ['admin.col_name', 'admin.col_institution', 'admin.col_role', 'admin.col_joined', 'admin.col_quality'].map((k) => h('th', { scope: 'col' }, t(k))))),
      h('tbody', {}, people.map((p) => h('tr', { dataset: { participantId: p.id } },
        h('td', {}, p.display_name || '—'),
        h('td', {}, p.institution || '—'),
        h('td', {}, p.role ? roleName(p.role) : '—'),
        h('td', {}, p.joined_at ? formatTime(new Date(p.joined_at)) : '—'),
        h('td', {}, qualityText(p.quality)))))), stamp);
  }
  const st = s.root.querySelector('#detail-state');
  if (st) st.replaceChildren(stateBadge(s.selected.state));
}

function qualityText(q) {
  if (!q || typeof q !== 'object') return '—';
  const level = q.level && t(`quality.level_${q.level}`) !== `quality.level_${q.level}` ? t(`quality.level_${q.level}`) : '';
  const parts = [level];
  if (typeof q.loss_pct === 'number') parts.push(t('admin.loss', { loss: q.loss_pct.toFixed(1) }));
  if (typeof q.rtt_ms === 'number') parts.push(`${Math.round(q.rtt_ms)} ms`);
  return parts.filter(Boolean).join(' · ') || '—';
}

function renderDetail() {
  const box = s.root && s.root.querySelector('#room-detail');
  if (!box) return;
  const room = s.selected;
  box.hidden = !room;
  if (!room) return;
  const closed = room.state === 'closed';
  box.replaceChildren(
    h('h3', { tabindex: '-1' }, room.title || room.id),
    h('dl', { class: 'room-facts' },
      h('dt', {}, t('admin.room_kind')), h('dd', {}, t(`room_kind.${room.kind}`)),
      h('dt', {}, t('admin.room_state')), h('dd', { id: 'detail-state' }, stateBadge(room.state)),
      h('dt', {}, t('admin.room_time')), h('dd', {}, formatRange(room.starts_at, room.ends_at)),
      h('dt', {}, t('admin.host_institution')), h('dd', {}, room.host_institution || '—'),
      h('dt', {}, t('admin.capacity')), h('dd', {}, room.capacity ?? '—'),
      h('dt', {}, t('admin.record')), h('dd', {}, t(room.record ? 'common.yes' : 'common.no')),
      h('dt', {}, t('admin.room_id')), h('dd', { class: 'mono' }, room.id)),
    h('section', { class: 'live', 'aria-labelledby': 'live-heading' },
      h('h4', { id: 'live-heading' }, t('admin.live_heading')),
      h('div', { id: 'live-participants', 'aria-live': 'polite' })),
    closed ? h('p', { class: 'hint' }, t('admin.room_is_closed')) : invitationForm(room),
    closed ? null : rescheduleForm(room),
    closed ? null : h('div', { class: 'danger-zone' },
      h('div', { class: 'form-problem' }),
      h('button', { type: 'button', class: 'danger', id: 'cancel-room-btn', onclick: () => cancelRoom(s.selected) },
        t(room.state === 'live' ? 'admin.end_room' : 'admin.cancel_room'))));
  renderLive();
}

// ---- the view -----------------------------------------------------------------

function render() {
  if (!s.root) return;
  s.root.replaceChildren(
    h('div', { class: 'view-head' },
      h('h2', { id: 'rooms-heading' }, t('admin.nav_rooms')),
      h('button', { type: 'button', class: 'primary', id: 'new-room-btn', 'aria-expanded': String(s.createOpen), onclick: () => { s.createOpen = !s.createOpen; render(); if (s.createOpen) s.root.querySelector('#room-title-input').focus(); } }, t('admin.create_room'))),
    s.createOpen ? createForm() : null,
    filterForm(),
    h('div', { class: 'rooms-layout' },
      h('div', { class: 'calendar', id: 'room-list' }),
      h('section', { class: 'card room-detail', id: 'room-detail', 'aria-live': 'off', hidden: true })));
  renderList();
  renderDetail();
}

export const roomsView = {
  enter(root) {
    s.root = root;
    render();
    loadRooms();
    if (s.selected) {
      clearInterval(s.timer);
      s.timer = setInterval(loadDetail, LIVE_REFRESH_MS);
    }
  },
  leave() {
    clearInterval(s.timer);
    s.timer = null;
  },
  render,
};
