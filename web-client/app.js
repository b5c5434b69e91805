// The consult page (/?token=JOIN_TOKEN): shows who the invitation is for,
// previews the camera and microphone, joins, and lays out one tile per
// participant. Signaling and peer connections live in call.js.

import {
  initLanguage, setLanguage, getLanguage, onLanguageChange, applyTranslations, t, roleName, formatTime,
} from './i18n.js';
import { tokenFromUrl, decodeClaims, isExpired, canPublish } from './token.js';
import { CallSession } from './call.js';
import { icons } from './icons.js';

// For tests and troubleshooting: the live connections and what the server said.
const hz = {
  publisher: null,
  subscriber: null,
  participantId: null,
  state: 'idle',
  joinedAt: null,
  events: [],
};
window.hzClient = hz;

const $ = (id) => document.getElementById(id);
// Participant ids are compared as strings: a stream id (from a=msid) is a string.
const idOf = (x) => (x === null || x === undefined ? null : String(x));
const myId = () => idOf(hz.participantId);

const page = {
  token: null,
  claims: null,
  localStream: null,
  muted: { audio: false, video: false },
  session: null,
  participants: new Map(), // id -> { id, display_name, institution, role }
  tiles: new Map(), // participant id -> { el, video, stream, mutedKinds:Set }
  roomTitle: '',
  mediaMessage: null, // { key, params, kind: 'ok'|'warn'|'error' }
  banner: null, // { key, params } or { text }
  tokenProblem: null, // { key, params }
};

// ---- messages shown to the user -------------------------------------------

function showBanner(key, params = {}) {
  page.banner = { key, params };
  renderBanner();
}

function clearBanner() {
  page.banner = null;
  renderBanner();
}

function renderBanner() {
  const el = $('banner');
  el.hidden = page.banner === null;
  el.textContent = page.banner ? t(page.banner.key, page.banner.params) : '';
}

function setMediaMessage(key, kind, params = {}) {
  page.mediaMessage = key ? { key, kind, params } : null;
  renderMediaMessage();
}

function renderMediaMessage() {
  const el = $('media-status');
  const m = page.mediaMessage;
  el.textContent = m ? t(m.key, m.params) : '';
  el.className = `media-status ${m ? m.kind : ''}`;
}

function showError(e) {
  if (e && e.name === 'SignalingError' && e.code === 'connect_failed') showBanner('status.connect_failed');
  else showBanner('status.error', { message: (e && e.message) || String(e) });
}

// ---- invitation (token claims) --------------------------------------------

function renderClaims() {
  const c = page.claims;
  $('claim-room').textContent = page.roomTitle || (c ? c.room : '—') || '—';
  $('claim-name').textContent = (c && c.display_name) || '—';
  $('claim-institution').textContent = (c && c.institution) || '—';
  $('claim-role').textContent = c && c.role ? roleName(c.role) : '—';
  $('claim-exp').textContent = c && c.expiresAt ? formatTime(c.expiresAt) : '—';
  const err = $('token-error');
  err.hidden = page.tokenProblem === null;
  err.textContent = page.tokenProblem ? t(page.tokenProblem.key, page.tokenProblem.params) : '';
  if (page.tokenProblem && page.tokenProblem.key === 'token.expired') {
    err.textContent = t('token.expired', { time: formatTime(c.expiresAt) });
  }
  $('viewer-hint').hidden = !(c && !canPublish(c.role));
}

function readInvitation() {
  page.token = tokenFromUrl();
  if (!page.token) {
    page.tokenProblem = { key: 'token.missing', params: {} };
    return false;
  }
  page.claims = decodeClaims(page.token);
  if (!page.claims) {
    page.tokenProblem = { key: 'token.invalid', params: {} };
    return false;
  }
  if (isExpired(page.claims)) {
    page.tokenProblem = { key: 'token.expired', params: {} };
    return false;
  }
  return true;
}

// ---- local media ----------------------------------------------------------

async function tryGetUserMedia(constraints) {
  return navigator.mediaDevices.getUserMedia(constraints);
}

const VIDEO_CONSTRAINTS = { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30 } };

/** Open camera and microphone; on missing devices fall back to what exists. */
async function acquireMedia() {
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    setMediaMessage('media.insecure', 'error');
    return null;
  }
  setMediaMessage('media.requesting', 'info');
  try {
    const stream = await tryGetUserMedia({ audio: true, video: VIDEO_CONSTRAINTS });
    setMediaMessage('media.ready', 'ok');
    return stream;
  } catch (e) {
    if (e.name === 'NotFoundError' || e.name === 'OverconstrainedError') {
      for (const [constraints, key] of [[{ audio: true }, 'media.audio_only'], [{ video: VIDEO_CONSTRAINTS }, 'media.video_only']]) {
        try {
          const stream = await tryGetUserMedia(constraints);
          setMediaMessage(key, 'warn');
          return stream;
        } catch {
          /* try the next device kind */
        }
      }
      setMediaMessage('media.no_device', 'error');
    } else if (e.name === 'NotAllowedError' || e.name === 'SecurityError') {
      setMediaMessage('media.denied', 'error');
    } else if (e.name === 'NotReadableError' || e.name === 'AbortError') {
      setMediaMessage('media.busy', 'error');
    } else {
      setMediaMessage('media.failed', 'error', { message: e.message || e.name });
    }
    return null;
  }
}

function hasTrack(kind) {
  return page.localStream !== null && page.localStream.getTracks().some((tr) => tr.kind === kind);
}

function renderMediaButtons() {
  for (const id of ['mic-btn', 'prejoin-mic-btn']) {
    const b = $(id);
    const off = page.muted.audio || !hasTrack('audio');
    b.innerHTML = off ? icons.micOff : icons.mic;
    b.title = t(page.muted.audio ? 'call.unmute' : 'call.mute');
    b.setAttribute('aria-label', b.title);
    b.setAttribute('aria-pressed', String(page.muted.audio));
    b.classList.toggle('off', off);
    b.disabled = !hasTrack('audio');
  }
  for (const id of ['cam-btn', 'prejoin-cam-btn']) {
    const b = $(id);
    const off = page.muted.video || !hasTrack('video');
    b.innerHTML = off ? icons.camOff : icons.cam;
    b.title = t(page.muted.video ? 'call.camera_on' : 'call.camera_off');
    b.setAttribute('aria-label', b.title);
    b.setAttribute('aria-pressed', String(page.muted.video));
    b.classList.toggle('off', off);
    b.disabled = !hasTrack('video');
  }
  $('preview-off').hidden = !(page.muted.video && hasTrack('video'));
  const me = myId() !== null ? page.tiles.get(myId()) : null;
  if (me) {
    me.el.querySelector('.muted-mic').hidden = !page.muted.audio;
    me.el.querySelector('.muted-cam').hidden = !page.muted.video;
    renderTileVideo(me);
  }
}

async function toggle(kind) {
  if (!hasTrack(kind)) return;
  const muted = !page.muted[kind];
  page.muted[kind] = muted;
  for (const tr of page.localStream.getTracks()) if (tr.kind === kind) tr.enabled = !muted;
  renderMediaButtons();
  if (page.session) {
    try {
      await page.session.setMuted(kind, muted);
    } catch (e) {
      showError(e);
    }
  }
}

// ---- tiles ----------------------------------------------------------------

function ensureTile(id) {
  let tile = page.tiles.get(id);
  if (tile) return tile;
  const el = $('tile-template').content.firstElementChild.cloneNode(true);
  el.dataset.participantId = id;
  const video = el.querySelector('video');
  tile = { el, video, stream: new MediaStream(), mutedKinds: new Set() };
  video.srcObject = tile.stream;
  video.addEventListener('resize', () => renderTileVideo(tile));
  el.querySelector('.enable-sound').addEventListener('click', () => {
    video.muted = false;
    el.querySelector('.enable-sound').hidden = true;
    video.play().catch(() => {});
  });
  page.tiles.set(id, tile);
  $('tiles').appendChild(el);
  renderTile(id);
  renderCount();
  return tile;
}

function renderTile(id) {
  const tile = page.tiles.get(id);
  if (!tile) return;
  const isMe = id === myId();
  const p = isMe
    ? { display_name: page.claims?.display_name, institution: page.claims?.institution, role: page.claims?.role }
    : page.participants.get(id) || {};
  const name = p.display_name || '…';
  tile.el.classList.toggle('me', isMe);
  tile.el.querySelector('.name').textContent = isMe ? t('call.me', { name }) : name;
  tile.el.querySelector('.role-badge').textContent = p.role ? roleName(p.role) : '';
  tile.el.querySelector('.role-badge').hidden = !p.role;
  tile.el.querySelector('.institution').textContent = p.institution || '';
  tile.el.querySelector('.avatar').textContent = Array.from(name)[0] || '?';
  tile.el.querySelector('.no-video').textContent = t('call.no_video');
  tile.el.querySelector('.enable-sound').textContent = t('call.enable_sound');
  for (const el of tile.el.querySelectorAll('[data-i18n-title]')) el.title = t(el.dataset.i18nTitle);
  renderTileVideo(tile);
}

function renderTileVideo(tile) {
  const video = tile.stream.getVideoTracks().find((tr) => tr.readyState === 'live');
  const showVideo = Boolean(video) && !tile.mutedKinds.has('video') && tile.video.videoWidth > 0;
  tile.el.classList.toggle('has-video', showVideo);
}

function playTile(tile) {
  tile.video.play().catch((e) => {
    if (e.name !== 'NotAllowedError') return;
    // Autoplay with sound was refused: play muted and offer a button for sound.
    tile.video.muted = true;
    tile.el.querySelector('.enable-sound').hidden = false;
    tile.video.play().catch(() => {});
  });
}

function removeTile(id) {
  const tile = page.tiles.get(id);
  if (!tile) return;
  tile.video.srcObject = null;
  tile.el.remove();
  page.tiles.delete(id);
  renderCount();
}

function renderCount() {
  const others = [...page.tiles.keys()].filter((id) => id !== myId()).length;
  $('participant-count').textContent = t('call.participants', { count: page.tiles.size });
  $('waiting').hidden = others > 0 || hz.state !== 'joined';
  $('tiles').dataset.count = String(page.tiles.size);
}

function addLocalTile() {
  if (!page.localStream || !page.session || !page.session.publish) return;
  const tile = ensureTile(myId());
  tile.video.muted = true;
  tile.video.srcObject = page.localStream;
  tile.stream = page.localStream;
  renderTile(myId());
  renderMediaButtons();
}

// ---- session callbacks ----------------------------------------------------

function onJoined(msg) {
  clearBanner();
  page.roomTitle = (msg.room && msg.room.title) || '';
  $('room-title').textContent = page.roomTitle;
  page.participants.clear();
  for (const p of Array.isArray(msg.participants) ? msg.participants : []) {
    if (p && p.id !== undefined && p.id !== null) page.participants.set(idOf(p.id), p);
  }
  $('prejoin').hidden = true;
  $('call').hidden = false;
  $('controls').hidden = false;
  addLocalTile();
  for (const id of page.participants.keys()) if (id !== myId()) ensureTile(id);
  renderCount();
}

function onMessage(msg) {
  switch (msg.type) {
    case 'participant_joined':
      if (msg.participant && msg.participant.id !== undefined && msg.participant.id !== null) {
        const id = idOf(msg.participant.id);
        page.participants.set(id, msg.participant);
        if (id !== myId()) ensureTile(id);
        renderTile(id);
      }
      break;
    case 'participant_left':
      page.participants.delete(idOf(msg.participant_id));
      removeTile(idOf(msg.participant_id));
      break;
    case 'track_muted': {
      const tile = page.tiles.get(idOf(msg.participant_id));
      if (!tile) break;
      if (msg.muted) tile.mutedKinds.add(msg.kind);
      else tile.mutedKinds.delete(msg.kind);
      tile.el.querySelector(msg.kind === 'audio' ? '.muted-mic' : '.muted-cam').hidden = !msg.muted;
      renderTileVideo(tile);
      break;
    }
    case 'track_unpublished': {
      const tile = page.tiles.get(idOf(msg.participant_id));
      if (tile) renderTileVideo(tile);
      break;
    }
    case 'room_closed':
      showBanner('status.room_closed', { reason: msg.reason || '' });
      break;
    case 'error':
      page.banner = { key: 'status.error', params: { message: msg.message || msg.code || '' } };
      renderBanner();
      break;
    default:
      break; // track_published, active_speaker, chat, ...: recorded in hzClient.events
  }
}

function onRemoteTrack(participantId, track) {
  if (participantId === myId()) return; // our own media is never played back
  const tile = ensureTile(participantId);
  if (!tile.stream.getTracks().includes(track)) tile.stream.addTrack(track);
  track.addEventListener('mute', () => renderTileVideo(tile));
  track.addEventListener('unmute', () => renderTileVideo(tile));
  track.addEventListener('ended', () => {
    tile.stream.removeTrack(track);
    renderTileVideo(tile);
  });
  playTile(tile);
  renderTileVideo(tile);
}

function onRemoteTrackGone(participantId, track) {
  const tile = page.tiles.get(participantId);
  if (!tile) return;
  tile.stream.removeTrack(track);
  renderTileVideo(tile);
}

function onState(state) {
  const pill = $('status-pill');
  pill.hidden = state === 'idle';
  pill.dataset.state = state;
  pill.textContent = state === 'joined' ? t('status.joined') : state === 'connecting' ? t('status.connecting') : '';
  pill.hidden = pill.textContent === '';
  if (state === 'left' || state === 'disconnected' || state === 'closed' || state === 'failed') endCall(state);
}

function endCall(state) {
  page.session = null;
  for (const id of [...page.tiles.keys()]) removeTile(id);
  page.participants.clear();
  $('call').hidden = true;
  $('controls').hidden = true;
  $('prejoin').hidden = false;
  const join = $('join-btn');
  if (state !== 'failed') join.dataset.i18n = 'prejoin.rejoin';
  join.textContent = t(join.dataset.i18n);
  join.disabled = state === 'closed';
  if (state === 'left') showBanner('status.left');
  else if (state === 'disconnected') showBanner('status.disconnected');
}

function onMediaState(target, state) {
  if (state === 'failed') showBanner('status.media_failed');
}

// ---- join / leave ---------------------------------------------------------

async function join() {
  const btn = $('join-btn');
  btn.disabled = true;
  btn.textContent = t('prejoin.joining');
  clearBanner();
  hz.publisher = null;
  hz.subscriber = null;
  hz.participantId = null;
  hz.joinedAt = null;
  const session = new CallSession({
    token: page.token,
    localStream: page.localStream,
    publish: canPublish(page.claims.role),
    muted: { ...page.muted },
    hz,
    ui: { onState, onJoined, onMessage, onRemoteTrack, onRemoteTrackGone, onMediaState, onError: showError },
  });
  page.session = session;
  try {
    await session.join();
  } catch (e) {
    showError(e);
    btn.disabled = false;
    btn.textContent = t(btn.dataset.i18n);
  }
}

function leave() {
  if (page.session) page.session.leave();
}

// ---- start ----------------------------------------------------------------

function onLanguage() {
  $('lang-select').value = getLanguage();
  renderClaims();
  renderMediaMessage();
  renderBanner();
  renderMediaButtons();
  for (const id of page.tiles.keys()) renderTile(id);
  renderCount();
  onState(hz.state);
}

async function start() {
  initLanguage();
  applyTranslations(document);
  $('lang-select').value = getLanguage();
  $('lang-select').addEventListener('change', (e) => setLanguage(e.target.value));
  onLanguageChange(onLanguage);
  for (const b of document.querySelectorAll('button[data-action="mic"]')) b.addEventListener('click', () => toggle('audio'));
  for (const b of document.querySelectorAll('button[data-action="cam"]')) b.addEventListener('click', () => toggle('video'));
  $('join-btn').addEventListener('click', join);
  $('leave-btn').addEventListener('click', leave);
  window.addEventListener('pagehide', leave);

  const ok = readInvitation();
  renderClaims();
  renderMediaButtons();
  if (!ok) {
    document.body.dataset.ready = 'true';
    return;
  }
  if (canPublish(page.claims.role)) {
    page.localStream = await acquireMedia();
    if (page.localStream) $('preview').srcObject = page.localStream;
  } else {
    $('preview').closest('.preview-box').classList.add('viewer');
  }
  renderMediaButtons();
  $('join-btn').disabled = false;
  document.body.dataset.ready = 'true';
}

start();
