// The side panels of a consult: chat, and the participant list with the
// moderator's controls (mute, remove, promote/demote in teaching rooms).

import { t, roleName, formatClock } from '../lib/i18n.js';
import { $, h, confirmDialog } from '../lib/dom.js';
import { page, myId, idOf } from './state.js';
import { refusedNotice } from './notices.js';

const chat = []; // { participant_id, display_name, text, at }
let unread = 0;

export function showPanel(which) {
  const people = $('people-panel');
  const chatPanel = $('chat-panel');
  const open = which === 'people' ? people.hidden : which === 'chat' ? chatPanel.hidden : false;
  people.hidden = !(open && which === 'people');
  chatPanel.hidden = !(open && which === 'chat');
  $('side').hidden = people.hidden && chatPanel.hidden;
  $('people-btn').setAttribute('aria-pressed', String(!people.hidden));
  $('chat-btn').setAttribute('aria-pressed', String(!chatPanel.hidden));
  if (!chatPanel.hidden) {
    unread = 0;
    renderUnread();
    $('chat-input').focus();
  }
  if (!people.hidden) renderPeople();
}

function renderUnread() {
  const b = $('chat-unread');
  b.hidden = unread === 0;
  b.textContent = String(unread);
  b.setAttribute('aria-label', t('chat.unread', { count: unread }));
}

export function addChat(msg) {
  const entry = {
    participant_id: idOf(msg.participant_id),
    display_name: typeof msg.display_name === 'string' ? msg.display_name : '',
    text: typeof msg.text === 'string' ? msg.text : '',
    at: msg.at ? new Date(msg.at) : new Date(),
  };
  chat.push(entry);
  if (chat.length > 500) chat.shift();
  $('chat-log').append(chatItem(entry));
  $('chat-log').scrollTop = $('chat-log').scrollHeight;
  if ($('chat-panel').hidden && entry.participant_id !== myId()) {
    unread++;
    renderUnread();
  }
}

function chatItem(e) {
  const mine = e.participant_id === myId();
  const p = page.participants.get(e.participant_id);
  const who = mine ? t('chat.me') : (e.display_name || (p && p.display_name) || '…');
  return h('li', { class: mine ? 'mine' : '' },
    h('div', { class: 'chat-meta' }, h('strong', {}, who), ' ', h('time', { datetime: e.at.toISOString() }, formatClock(e.at))),
    h('div', { class: 'chat-text' }, e.text));
}

export function renderChat() {
  $('chat-log').replaceChildren(...chat.map(chatItem));
  renderUnread();
}

export function sendChat(e) {
  e.preventDefault();
  const input = $('chat-input');
  const text = input.value.trim();
  if (!text || !page.session) return;
  const sent = page.session.send({ type: 'chat', text }, (err) => refusedNotice('chat', err));
  if (sent) input.value = '';
}

// ---- participants ---------------------------------------------------------

function moderate(action, participantId) {
  if (!page.session) return;
  page.session.send({ type: 'moderate', action, participant_id: participantId }, (err) => refusedNotice('moderate', err));
}

function actionButton(action, p) {
  const label = t(`moderate.${action}`);
  return h('button', {
    type: 'button',
    class: action === 'remove' ? 'small danger' : 'small secondary',
    'data-moderate': action,
    'aria-label': `${label}: ${p.display_name || ''}`,
    onclick: async () => {
      if (action === 'remove' && !(await confirmDialog(t('moderate.remove_confirm', { name: p.display_name || '' }), { confirmLabel: label, danger: true }))) return;
      moderate(action, p.id);
    },
  }, label);
}

export function renderPeople() {
  const list = $('people');
  const me = { id: myId(), ...(page.claims || {}), hand: page.handRaised };
  const all = [me, ...[...page.participants.values()].filter((p) => idOf(p.id) !== myId())];
  list.replaceChildren(...all.map((p) => {
    const id = idOf(p.id);
    const isMe = id === myId();
    const q = page.quality.get(id);
    const level = q ? q.level : 'unknown';
    const actions = [];
    if (page.canModerate && !isMe) {
      actions.push(actionButton('mute', p));
      if (page.room && page.room.kind === 'teaching' && p.role === 'student') {
        actions.push(actionButton(p.promoted ? 'demote' : 'promote', p));
      }
      actions.push(actionButton('remove', p));
    }
    return h('li', { class: 'person', dataset: { participantId: id || '' } },
      h('div', { class: 'person-main' },
        h('span', { class: 'quality-dot', dataset: { level }, title: t(`quality.level_${level}`), 'aria-label': t(`quality.level_${level}`) }),
        h('span', { class: 'person-name' }, isMe ? t('call.me', { name: p.display_name || '' }) : (p.display_name || '…')),
        p.hand ? h('span', { class: 'hand', title: t('call.hand_raised'), 'aria-label': t('call.hand_raised') }, '✋') : null),
      h('div', { class: 'person-sub' }, [p.institution, p.role ? roleName(p.role) : ''].filter(Boolean).join(' · ')),
      actions.length ? h('div', { class: 'person-actions' }, actions) : null);
  }));
}

export function resetPanels() {
  chat.length = 0;
  unread = 0;
  renderChat();
}
