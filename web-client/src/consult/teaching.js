// Teaching rooms on the consult page: the teaching layout (body.teaching:
// the presenter's screen share takes the stage), the presenter's screen
// share (getDisplayMedia, published as a second video track next to the
// camera), a student who starts publishing when promoted and stops when
// demoted, and participant updates (promoted, hand) in the people list.
// The rest (raise hand, moderation buttons, recording indicator) is shared
// with consults in main.js and panels.js.

import { getLanguage } from '../lib/i18n.js';
import { hz, page, idOf, myId } from './state.js';
import { renderTile } from './tiles.js';
import { renderPeople } from './panels.js';
import { openLocalMedia } from './localmedia.js';
import { notice } from './notices.js';

const TEXT = {
  'zh-CN': { share: '共享屏幕', stop: '停止共享', failed: '无法共享屏幕：' },
  en: { share: 'Share screen', stop: 'Stop sharing', failed: 'Screen share failed: ' },
};
const text = (key) => (TEXT[getLanguage()] || TEXT.en)[key];

let shareBtn = null;
let screenStream = null;

const isTeaching = () => Boolean(page.room && page.room.kind === 'teaching');

function renderShare() {
  if (!shareBtn) return;
  shareBtn.hidden = !(isTeaching() && page.session && page.session.publish && page.canModerate);
  shareBtn.textContent = screenStream ? text('stop') : text('share');
  shareBtn.setAttribute('aria-pressed', String(Boolean(screenStream)));
}

async function stopShare() {
  const stream = screenStream;
  screenStream = null;
  hz.screenSharing = false;
  renderShare();
  if (!stream) return;
  for (const tr of stream.getTracks()) tr.stop();
  if (page.session) await page.session.removeScreen();
}

async function toggleShare() {
  if (screenStream) {
    await stopShare();
    return;
  }
  try {
    const stream = await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: 15 }, audio: false });
    const [track] = stream.getVideoTracks();
    track.contentHint = 'detail';
    track.addEventListener('ended', () => stopShare().catch(() => {}));
    screenStream = stream;
    await page.session.addScreen(track, stream);
    hz.screenSharing = true;
  } catch (e) {
    screenStream = null;
    hz.screenSharing = false;
    notice('status.error', { message: `${text('failed')}${e.message || e.name}` }, 'warn');
  }
  renderShare();
}

/** Adds the share button to the call's controls. */
export function mount(buttons) {
  shareBtn = document.createElement('button');
  shareBtn.type = 'button';
  shareBtn.className = 'pill';
  shareBtn.id = 'share-btn';
  shareBtn.hidden = true;
  shareBtn.addEventListener('click', () => toggleShare());
  if (buttons) buttons.append(shareBtn);
}

export function onJoined() {
  document.body.classList.toggle('teaching', isTeaching());
  hz.publishing = Boolean(page.session && page.session.publish);
  renderShare();
}

async function promoted(addLocalTile) {
  if (!page.session || page.session.publish) return;
  if (!page.localStream) await openLocalMedia();
  await page.session.startPublishing(page.localStream);
  hz.publishing = page.session.publish;
  addLocalTile();
}

function demoted() {
  if (!page.session || !page.session.publish) return;
  page.session.stopPublishing();
  hz.publishing = false;
  if (page.localStream) for (const tr of page.localStream.getTracks()) tr.stop();
  page.localStream = null;
  renderTile(myId());
}

/**
 * Teaching messages. Returns true when handled here; `moderated` is only
 * acted on (publishing starts or stops) and left to main.js for its notice.
 */
export function onMessage(msg, addLocalTile) {
  if (msg.type === 'participant_updated' && msg.participant && msg.participant.id != null) {
    const id = idOf(msg.participant.id);
    const known = page.participants.get(id) || {};
    page.participants.set(id, { ...known, ...msg.participant });
    if (id === myId() && typeof msg.participant.hand === 'boolean') page.handRaised = msg.participant.hand;
    renderTile(id);
    renderPeople();
    return true;
  }
  if (msg.type === 'moderated' && (msg.participant_id == null || idOf(msg.participant_id) === myId())) {
    if (msg.action === 'promote') promoted(addLocalTile).catch((e) => notice('status.error', { message: e.message || e.name }, 'warn'));
    if (msg.action === 'demote') demoted();
  }
  return false;
}
