// The consult page (/?token=JOIN_TOKEN): the invitation and device check before
// joining; in the call the stage and strip of tiles, chat, participants and
// moderation, raise hand, audio-only mode, recording indicator, network
// quality, and automatic reconnect after a network drop.

import './style.css';
import {
  initLanguage, setLanguage, getLanguage, onLanguageChange, applyTranslations, t, roleName, formatTime, formatRange,
} from '../lib/i18n.js';
import { $, notify, confirmDialog } from '../lib/dom.js';
import { tokenFromUrl, decodeClaims, isExpired, canPublish, canModerate } from './token.js';
import { CallSession } from './call.js';
import { hz, page, idOf, myId } from './state.js';
import {
  ensureTile, renderTile, renderTileVideo, playTile, removeTile, clearTiles, layout, renderQuality,
} from './tiles.js';
import { showPanel, addChat, renderChat, renderPeople, sendChat, resetPanels } from './panels.js';
import { refusedNotice, notice } from './notices.js';
import {
  openLocalMedia, wireDeviceCheck, renderMediaButtons, renderMediaMessage, toggle, setMuted, renderDeviceTexts, hasTrack,
} from './localmedia.js';
import { QualityMonitor, SpeakerPicker, transportHint } from './stats.js';
import { Viewer } from '../viewer/viewer.js';
import * as teaching from './teaching.js';

const RECONNECT_DELAYS_MS = [500, 1000, 2000, 4000, 8000, 10000];
const RECONNECT_MAX_ATTEMPTS = 30;
// In a cluster the room's node may stop answering (node_lost), the room may not
// be placeable for a moment (unavailable: the dead node's placement has not
// expired yet, at most ~10 s) or it may have moved (room_closed room_moved):
// the socket is fine, the room comes back on another node within seconds.
const FAILOVER_REASONS = ['node_lost', 'unavailable', 'room_moved'];
const FINAL_CODES = ['token_expired', 'invalid_token', 'room_closed', 'room_not_open', 'forbidden'];
const SERVER_SPEAKER_FRESH_MS = 5000;

// ---- banner ---------------------------------------------------------------

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
  el.dataset.key = page.banner ? page.banner.key : '';
  if (page.banner && page.banner.action) {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'banner-action';
    b.id = 'banner-action';
    b.textContent = t(page.banner.action.key);
    b.addEventListener('click', page.banner.action.run);
    el.append(' ', b);
  }
}

function showError(e) {
  if (e && e.name === 'SignalingError' && e.code === 'connect_failed') showBanner('status.connect_failed');
  else if (e && e.name === 'SignalingError' && e.code && hasCodeText(e.code)) showBanner(`error.${e.code}`);
  else showBanner('status.error', { message: (e && e.message) || String(e) });
}

const hasCodeText = (code) => t(`error.${code}`) !== `error.${code}`;

// ---- invitation -----------------------------------------------------------

function renderClaims() {
  const c = page.claims;
  const r = page.room;
  $('claim-room').textContent = (r && r.title) || (c && c.room) || '—';
  $('claim-time').textContent = r ? formatRange(r.starts_at, r.ends_at) : t('prejoin.after_join');
  $('claim-host').textContent = r ? (r.host_institution || '—') : t('prejoin.after_join');
  $('claim-name').textContent = (c && c.display_name) || '—';
  $('claim-institution').textContent = (c && c.institution) || '—';
  $('claim-role').textContent = c && c.role ? roleName(c.role) : '—';
  $('claim-exp').textContent = c && c.expiresAt ? formatTime(c.expiresAt) : '—';
  const err = $('token-error');
  err.hidden = page.tokenProblem === null;
  err.textContent = '';
  if (page.tokenProblem) {
    err.textContent = page.tokenProblem.key === 'token.expired'
      ? t('token.expired', { time: formatTime(c.expiresAt) })
      : t(page.tokenProblem.key);
  }
  $('viewer-hint').hidden = !(c && !canPublish(c.role));
  $('room-title').textContent = r ? r.title || '' : '';
  $('room-time').textContent = r ? `${formatRange(r.starts_at, r.ends_at)}${r.host_institution ? ` · ${r.host_institution}` : ''}` : '';
}

function readInvitation() {
  page.token = tokenFromUrl();
  if (!page.token) {
    page.tokenProblem = { key: 'token.missing' };
    return false;
  }
  page.claims = decodeClaims(page.token);
  if (!page.claims) {
    page.tokenProblem = { key: 'token.invalid' };
    return false;
  }
  if (isExpired(page.claims)) {
    page.tokenProblem = { key: 'token.expired' };
    return false;
  }
  return true;
}

// ---- session callbacks ----------------------------------------------------

function addLocalTile() {
  if (!page.localStream || !page.session || !page.session.publish) return;
  const tile = ensureTile(myId());
  tile.video.muted = true;
  tile.video.srcObject = page.localStream;
  tile.stream = page.localStream;
  renderTile(myId());
  renderMediaButtons();
}

function onJoined(msg) {
  const reconnected = page.reconnectAttempt > 0 || page.failoverFailed;
  page.reconnectAttempt = 0;
  page.failover = false;
  page.failoverFailed = false;
  clearBanner();
  page.room = msg.room && typeof msg.room === 'object' ? msg.room : null;
  page.canModerate = typeof msg.can_moderate === 'boolean'
    ? msg.can_moderate
    : canModerate(page.claims.role, page.room ? page.room.kind : 'consult');
  page.participants.clear();
  clearTiles();
  for (const p of Array.isArray(msg.participants) ? msg.participants : []) {
    if (p && p.id !== undefined && p.id !== null) page.participants.set(idOf(p.id), { ...p });
  }
  renderClaims();
  $('prejoin').hidden = true;
  $('call').hidden = false;
  $('controls').hidden = false;
  $('end-btn').hidden = !page.canModerate;
  addLocalTile();
  for (const [id, p] of page.participants) {
    if (id === myId()) continue;
    ensureTile(id);
    showMutedOf(id, p); // someone who muted before we (re)joined
  }
  repin();
  layout();
  renderPeople();
  if (page.audioOnly) requestVideo(false);
  if (page.handRaised) page.session.send({ type: 'raise_hand', raised: true }, (err) => refusedNotice('raise_hand', err));
  if (page.room && page.room.recording) setRecording(true);
  viewer.onJoined(msg);
  teaching.onJoined(msg);
  monitor.start();
  if (reconnected) notice('status.reconnected', {}, 'ok');
}

function setRecording(on) {
  $('rec-indicator').hidden = !on;
  hz.recording = on;
}

function onMessage(msg) {
  if (viewer.onMessage(msg)) return;
  if (teaching.onMessage(msg, addLocalTile)) return;
  switch (msg.type) {
    case 'participant_joined':
      if (msg.participant && msg.participant.id !== undefined && msg.participant.id !== null) {
        const id = idOf(msg.participant.id);
        page.participants.set(id, { ...msg.participant });
        if (id !== myId()) ensureTile(id);
        renderTile(id);
        showMutedOf(id, msg.participant);
        if (repin()) layout();
        renderPeople();
      }
      break;
    case 'participant_left':
      page.participants.delete(idOf(msg.participant_id));
      page.quality.delete(idOf(msg.participant_id));
      removeTile(idOf(msg.participant_id));
      renderPeople();
      break;
    case 'track_muted':
      showMuted(idOf(msg.participant_id), msg.kind, Boolean(msg.muted));
      break;
    case 'track_unpublished': {
      const tile = page.tiles.get(idOf(msg.participant_id));
      if (tile) renderTileVideo(tile);
      break;
    }
    case 'active_speaker':
      page.serverSpeakerAt = performance.now();
      page.speaker = idOf(msg.participant_id);
      layout();
      break;
    case 'chat':
      addChat(msg);
      break;
    case 'hand_raised': {
      const id = idOf(msg.participant_id);
      const p = page.participants.get(id);
      if (p) {
        p.hand = Boolean(msg.raised);
        renderTile(id);
        renderPeople();
        if (p.hand) notice('call.someone_raised_hand', { name: p.display_name || '' });
      }
      break;
    }
    case 'recording':
      setRecording(msg.state === 'started');
      notice(msg.state === 'started' ? 'call.recording_started' : 'call.recording_stopped', {}, 'info');
      break;
    case 'moderated':
      onModerated(msg);
      break;
    case 'removed':
      page.userLeft = true;
      showBanner('status.removed');
      break;
    case 'room_closed':
      showBanner('status.room_closed', { reason: msg.reason || '' });
      break;
    case 'document_shared':
      notice('call.document_shared', { name: (msg.document && msg.document.name) || '' });
      break;
    case 'error':
      // An error without a request of ours: say it briefly, keep going.
      if (msg.code === 'unknown_type') refusedNotice('unknown', msg);
      else notify(t('status.error', { message: msg.message || msg.code || '' }), 'warn');
      break;
    default:
      break; // track_published and others: kept in hzClient.events
  }
}

function showMuted(id, kind, muted) {
  const tile = page.tiles.get(id);
  if (!tile || (kind !== 'audio' && kind !== 'video')) return;
  if (muted) tile.mutedKinds.add(kind);
  else tile.mutedKinds.delete(kind);
  tile.el.querySelector(kind === 'audio' ? '.muted-mic' : '.muted-cam').hidden = !muted;
  renderTileVideo(tile);
}

/** The mute state a participant object carries (joined, participant_joined). */
function showMutedOf(id, p) {
  if (id === myId() || !p) return;
  if (typeof p.audio_muted === 'boolean') showMuted(id, 'audio', p.audio_muted);
  if (typeof p.video_muted === 'boolean') showMuted(id, 'video', p.video_muted);
}

function onModerated(msg) {
  if (msg.action === 'mute') {
    setMuted('audio', true).catch(showError);
    notice('moderate.you_were_muted', {}, 'warn');
  } else if (msg.action === 'promote') notice('moderate.you_were_promoted', {}, 'ok');
  else if (msg.action === 'demote') notice('moderate.you_were_demoted', {}, 'info');
}

function onRemoteTrack(participantId, track) {
  if (participantId === myId()) return; // our own media is never played back
  const tile = ensureTile(participantId);
  if (!tile.stream.getTracks().includes(track)) tile.stream.addTrack(track);
  if (track.kind === 'video') track.enabled = !page.audioOnly;
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

// Who the user pinned, by who they are: participant ids change when everyone
// rejoins after a reconnect, the pin should not.
const personKey = (p) => (p ? `${p.role || ''}|${p.display_name || ''}|${p.institution || ''}` : null);

function rememberPin() {
  if (page.pinned) page.pinnedPerson = personKey(page.participants.get(page.pinned)) || page.pinnedPerson;
}

function repin() {
  if (!page.pinnedPerson || (page.pinned && page.tiles.has(page.pinned))) return false;
  for (const [id, p] of page.participants) {
    if (id !== myId() && page.tiles.has(id) && personKey(p) === page.pinnedPerson) {
      page.pinned = id;
      return true;
    }
  }
  return false;
}

function renderStatePill() {
  const pill = $('status-pill');
  const s = hz.state;
  pill.dataset.state = s;
  const key = { joined: 'status.joined', connecting: 'status.connecting', reconnecting: 'status.reconnecting' }[s];
  pill.textContent = key ? t(key, { attempt: page.reconnectAttempt }) : '';
  pill.hidden = !key;
}

function onState(state) {
  renderStatePill();
  if (state === 'disconnected') {
    if (page.userLeft) endCall('left');
    else scheduleReconnect((page.session && page.session.dropReason) || 'socket');
  } else if (state === 'left' || state === 'closed' || (state === 'failed' && page.reconnectAttempt === 0)) {
    endCall(state);
  }
}

function onMediaState(target, state) {
  hz[`${target}State`] = state;
  if (state === 'failed' && hz.state === 'joined') scheduleReconnect(`ice-${target}`);
}

// ---- reconnect ------------------------------------------------------------

function scheduleReconnect(why) {
  if (page.reconnectTimer || page.userLeft) return;
  if (page.session) page.session.dispose();
  page.session = null;
  monitor.stop();
  rememberPin();
  // A server failover keeps its own (shorter, bounded) schedule until a join
  // succeeds; a dropped socket or failed ICE uses the long one.
  if (FAILOVER_REASONS.includes(why)) page.failover = true;
  else if (why !== 'retry') page.failover = false;
  page.failoverFailed = false;
  page.reconnectAttempt++;
  hz.state = 'reconnecting';
  hz.lastDrop = why;
  if (FAILOVER_REASONS.includes(why)) hz.failoverReason = why;
  const [delays, max] = page.failover
    ? [hz.failoverSchedule.delaysMs, hz.failoverSchedule.maxAttempts]
    : [RECONNECT_DELAYS_MS, RECONNECT_MAX_ATTEMPTS];
  if (page.reconnectAttempt > max) {
    if (page.failover) failoverGaveUp();
    else endCall('disconnected');
    return;
  }
  showBanner(page.failover ? 'status.failover_banner' : 'status.reconnecting_banner', { attempt: page.reconnectAttempt });
  renderStatePill();
  for (const tile of page.tiles.values()) tile.el.classList.add('stale');
  const delay = delays[Math.min(page.reconnectAttempt - 1, delays.length - 1)];
  page.reconnectTimer = setTimeout(async () => {
    page.reconnectTimer = null;
    if (page.userLeft) return;
    try {
      await startSession();
      hz.reconnects++;
    } catch (e) {
      // Refusals that a retry will not change end the attempts.
      if (e && FINAL_CODES.includes(e.code)) {
        page.reconnectAttempt = 0;
        page.failover = false;
        endCall('failed');
        showError(e);
        return;
      }
      if (page.userLeft) return;
      hz.state = 'reconnecting';
      scheduleReconnect(e && FAILOVER_REASONS.includes(e.code) ? e.code : 'retry');
    }
  }, delay);
}

/** The room did not come back on another node: say so, keep the call view, offer a retry. */
function failoverGaveUp() {
  page.reconnectAttempt = 0;
  page.failoverFailed = true;
  hz.state = 'interrupted';
  renderStatePill();
  page.banner = {
    key: 'status.failover_failed',
    params: {},
    action: { key: 'status.retry', run: retryNow },
  };
  renderBanner();
  if (!$('call').hidden) return;
  // Never joined (the first join met the failover): the join button retries too.
  $('join-btn').disabled = false;
  $('join-btn').textContent = t($('join-btn').dataset.i18n);
}

function retryNow() {
  if (page.reconnectTimer || page.userLeft || page.session) return;
  page.reconnectAttempt = 0;
  scheduleReconnect(hz.failoverReason || 'node_lost');
}

// ---- join / leave / end ---------------------------------------------------

async function startSession() {
  hz.publisher = null;
  hz.subscriber = null;
  hz.participantId = null;
  hz.joinedAt = null;
  const session = new CallSession({
    token: page.token,
    localStream: page.localStream,
    publish: canPublish(page.claims.role),
    muted: { audio: page.muted.audio, video: page.muted.video || page.audioOnly },
    hz,
    ui: { onState, onJoined, onMessage, onRemoteTrack, onRemoteTrackGone, onMediaState, onError: showError },
  });
  page.session = session;
  await session.join();
}

async function join() {
  const btn = $('join-btn');
  btn.disabled = true;
  btn.textContent = t('prejoin.joining');
  clearBanner();
  page.userLeft = false;
  page.reconnectAttempt = 0;
  resetPanels();
  try {
    await startSession();
  } catch (e) {
    if (e && FAILOVER_REASONS.includes(e.code) && !page.userLeft) {
      // The room is between nodes: keep trying on the failover schedule.
      page.reconnectAttempt = 0;
      scheduleReconnect(e.code);
      btn.disabled = true;
      return;
    }
    showError(e);
    btn.disabled = false;
    btn.textContent = t(btn.dataset.i18n);
  }
}

function endCall(state) {
  monitor.stop();
  clearTimeout(page.reconnectTimer);
  page.reconnectTimer = null;
  page.session = null;
  page.failover = false;
  page.failoverFailed = false;
  clearTiles();
  page.participants.clear();
  page.quality.clear();
  page.speaker = null;
  setRecording(false);
  if (state !== 'closed' && state !== 'failed') hz.state = state;
  renderStatePill();
  $('call').hidden = true;
  $('controls').hidden = true;
  $('prejoin').hidden = false;
  const btn = $('join-btn');
  if (state !== 'failed') btn.dataset.i18n = 'prejoin.rejoin';
  btn.textContent = t(btn.dataset.i18n);
  btn.disabled = state === 'closed' || hz.state === 'removed';
  if (state === 'left' && page.banner === null) showBanner('status.left');
  else if (state === 'disconnected') showBanner('status.disconnected');
}

function leave() {
  page.userLeft = true;
  clearTimeout(page.reconnectTimer);
  page.reconnectTimer = null;
  if (page.session) page.session.leave();
  else if (hz.state === 'reconnecting' || page.failoverFailed) endCall('left');
}

async function endRoom() {
  if (!(await confirmDialog(t('call.end_confirm'), { confirmLabel: t('call.end'), danger: true }))) return;
  if (page.session) page.session.send({ type: 'moderate', action: 'end' }, (err) => refusedNotice('end', err));
}

function raiseHand() {
  if (!page.session) return;
  page.handRaised = !page.handRaised;
  $('hand-btn').setAttribute('aria-pressed', String(page.handRaised));
  $('hand-btn').textContent = t(page.handRaised ? 'call.lower_hand' : 'call.raise_hand');
  renderTile(myId());
  renderPeople();
  page.session.send({ type: 'raise_hand', raised: page.handRaised }, (err) => refusedNotice('raise_hand', err));
}

// ---- audio-only -----------------------------------------------------------

function requestVideo(enabled) {
  if (!page.session) return;
  page.session.send({ type: 'subscribe_video', enabled }, (err) => {
    if (err.code === 'unknown_type') notice('call.audio_only_local', {}, 'info');
    else refusedNotice('audio_only', err);
  });
}

async function setAudioOnly(on) {
  page.audioOnly = on;
  hz.audioOnly = on;
  document.body.classList.toggle('audio-only', on);
  const b = $('audio-only-btn');
  b.setAttribute('aria-pressed', String(on));
  for (const tile of page.tiles.values()) {
    for (const tr of tile.stream.getVideoTracks()) if (tile.el.dataset.participantId !== myId()) tr.enabled = !on;
  }
  if (hasTrack('video') && page.session) await page.session.setMuted('video', on || page.muted.video);
  requestVideo(!on);
  for (const id of page.tiles.keys()) renderTile(id);
  renderMediaButtons();
  notice(on ? 'call.audio_only_on' : 'call.audio_only_off');
}

// ---- quality and active speaker --------------------------------------------

const picker = new SpeakerPicker();

const monitor = new QualityMonitor({
  getPcs: () => ({ publisher: hz.publisher, subscriber: hz.subscriber }),
  ownerOfTrack: (trackId) => {
    for (const [id, tile] of page.tiles) {
      if (id !== myId() && tile.stream.getTracks().some((tr) => tr.id === trackId)) return id;
    }
    return null;
  },
  selfId: () => myId(),
  onUpdate: (quality, levels) => {
    page.quality = quality;
    hz.quality = Object.fromEntries(quality);
    for (const id of page.tiles.keys()) renderQuality(id);
    const mine = quality.get(myId());
    // the quality hint when it is not good; how media travels when it is not
    // direct UDP (TCP through a firewall, a TURN relay): why delays are longer
    const hints = [];
    if (mine && mine.level !== 'good' && mine.level !== 'unknown') hints.push(t(mine.hint));
    const th = mine ? transportHint(mine.transport) : null;
    if (th) hints.push(t(th.key, th.params));
    $('net-hint').textContent = hints.join(' · ');
    $('net-hint').dataset.transport = mine && mine.transport ? mine.transport.kind : '';
    const fallback = picker.update(levels);
    if (performance.now() - page.serverSpeakerAt > SERVER_SPEAKER_FRESH_MS && fallback !== page.speaker) {
      page.speaker = fallback;
      layout();
    }
    if (!$('people-panel').hidden) renderPeople();
  },
});

// ---- the shared viewer (src/viewer/) -----------------------------------------

const viewer = new Viewer({
  session: () => page.session,
  token: () => page.token,
  roomId: () => (page.room && page.room.id !== undefined && page.room.id !== null ? String(page.room.id) : page.claims && page.claims.room),
  myId,
  participants: () => page.participants,
  canModerate: () => page.canModerate,
  canShare: () => Boolean(page.claims && canPublish(page.claims.role)),
  onOpenChange: (open) => {
    page.viewerOpen = open;
    document.querySelector('.stage-area').classList.toggle('viewing', open);
    layout();
  },
});

// ---- start ----------------------------------------------------------------

function onLanguage() {
  $('lang-select').value = getLanguage();
  renderClaims();
  renderMediaMessage();
  renderBanner();
  renderMediaButtons();
  renderDeviceTexts();
  for (const id of page.tiles.keys()) renderTile(id);
  layout();
  renderChat();
  renderPeople();
  renderStatePill();
  viewer.render();
  $('hand-btn').textContent = t(page.handRaised ? 'call.lower_hand' : 'call.raise_hand');
  $('join-btn').textContent = t(hz.state === 'connecting' ? 'prejoin.joining' : $('join-btn').dataset.i18n);
}

async function start() {
  initLanguage();
  viewer.mount(document.querySelector('.stage-area'), document.querySelector('#controls .buttons'), $('leave-btn'));
  applyTranslations(document);
  $('lang-select').value = getLanguage();
  $('lang-select').addEventListener('change', (e) => setLanguage(e.target.value));
  onLanguageChange(onLanguage);
  for (const b of document.querySelectorAll('button[data-action="mic"]')) b.addEventListener('click', () => toggle('audio').catch(showError));
  for (const b of document.querySelectorAll('button[data-action="cam"]')) b.addEventListener('click', () => toggle('video').catch(showError));
  $('join-btn').addEventListener('click', join);
  $('leave-btn').addEventListener('click', leave);
  $('end-btn').addEventListener('click', endRoom);
  $('hand-btn').addEventListener('click', raiseHand);
  teaching.mount(document.querySelector('#controls .buttons'));
  $('audio-only-btn').addEventListener('click', () => setAudioOnly(!page.audioOnly).catch(showError));
  $('people-btn').addEventListener('click', () => showPanel('people'));
  $('chat-btn').addEventListener('click', () => showPanel('chat'));
  $('chat-form').addEventListener('submit', sendChat);
  window.addEventListener('pagehide', leave);
  wireDeviceCheck();

  const ok = readInvitation();
  renderClaims();
  renderMediaButtons();
  if (!ok) {
    $('devices').disabled = true;
    document.body.dataset.ready = 'true';
    return;
  }
  if (canPublish(page.claims.role)) {
    await openLocalMedia();
  } else {
    $('preview').closest('.preview-box').classList.add('viewer');
    $('devices').hidden = true;
  }
  renderMediaButtons();
  $('join-btn').disabled = false;
  document.body.dataset.ready = 'true';
}

start();
