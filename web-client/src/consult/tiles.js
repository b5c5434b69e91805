// The video tiles of a consult: one per participant, the one who matters most
// (pinned, else the active speaker, else the first other participant) on the
// stage and the others in the strip beside it; names with institution and
// role, mute and hand indicators, and the network quality badge with its hint.

import { t, roleName } from '../lib/i18n.js';
import { $ } from '../lib/dom.js';
import { hz, page, myId } from './state.js';
import { applySpeaker } from './devices.js';

export function ensureTile(id) {
  let tile = page.tiles.get(id);
  if (tile) return tile;
  const el = $('tile-template').content.firstElementChild.cloneNode(true);
  el.dataset.participantId = id;
  const video = el.querySelector('video');
  tile = { el, video, stream: new MediaStream(), mutedKinds: new Set() };
  video.srcObject = tile.stream;
  video.addEventListener('resize', () => renderTileVideo(tile));
  video.addEventListener('dblclick', () => pin(page.pinned === id ? null : id));
  el.querySelector('.enable-sound').addEventListener('click', () => {
    video.muted = false;
    el.querySelector('.enable-sound').hidden = true;
    video.play().catch(() => {});
  });
  page.tiles.set(id, tile);
  $('strip').appendChild(el);
  applySpeaker(video, page.devices.audiooutput);
  renderTile(id);
  layout();
  return tile;
}

export function pin(id) {
  page.pinned = id;
  page.pinnedPerson = null; // the user chose: a rejoin does not bring back an older pin
  layout();
}

function personOf(id) {
  if (id === myId()) {
    const c = page.claims || {};
    return { display_name: c.display_name, institution: c.institution, role: c.role, hand: page.handRaised };
  }
  return page.participants.get(id) || {};
}

export function renderTile(id) {
  const tile = page.tiles.get(id);
  if (!tile) return;
  const isMe = id === myId();
  const p = personOf(id);
  const name = p.display_name || '…';
  tile.el.classList.toggle('me', isMe);
  tile.el.querySelector('.name').textContent = isMe ? t('call.me', { name }) : name;
  const badge = tile.el.querySelector('.role-badge');
  badge.textContent = p.role ? roleName(p.role) : '';
  badge.hidden = !p.role;
  tile.el.querySelector('.institution').textContent = p.institution || '';
  tile.el.querySelector('.avatar').textContent = Array.from(name)[0] || '?';
  tile.el.querySelector('.no-video').textContent = page.audioOnly && !isMe ? t('call.audio_only_on') : t('call.no_video');
  tile.el.querySelector('.enable-sound').textContent = t('call.enable_sound');
  const hand = tile.el.querySelector('.hand');
  hand.hidden = !p.hand;
  hand.title = t('call.hand_raised');
  for (const el of tile.el.querySelectorAll('[data-i18n-title]')) el.title = t(el.dataset.i18nTitle);
  renderQuality(id);
  renderTileVideo(tile);
}

export function renderTileVideo(tile) {
  const video = tile.stream.getVideoTracks().find((tr) => tr.readyState === 'live');
  const isMe = tile.el.dataset.participantId === myId();
  const hiddenByAudioOnly = page.audioOnly && !isMe;
  const showVideo = Boolean(video) && !tile.mutedKinds.has('video') && tile.video.videoWidth > 0 && !hiddenByAudioOnly;
  tile.el.classList.toggle('has-video', showVideo);
}

export function renderQuality(id) {
  const tile = page.tiles.get(id);
  if (!tile) return;
  const q = page.quality.get(id);
  const badge = tile.el.querySelector('.quality');
  const level = q ? q.level : 'unknown';
  badge.dataset.level = level;
  const details = q
    ? t('quality.details', {
      loss: q.lossPct.toFixed(1),
      rtt: Math.round(q.rttMs),
      kbps: q.kbps,
      size: q.height ? `${q.width}×${q.height}` : '—',
    })
    : '';
  const summary = `${t(`quality.level_${level}`)}${details ? `: ${details}` : ''}`;
  badge.title = summary;
  badge.setAttribute('aria-label', summary);
  badge.querySelector('.quality-text').textContent = summary;
  const hint = tile.el.querySelector('.quality-hint');
  const showHint = q && (q.level === 'poor' || q.hint === 'quality.hint_send_limited');
  hint.hidden = !showHint;
  hint.textContent = showHint ? t(q.hint) : '';
}

export function playTile(tile) {
  tile.video.play().catch((e) => {
    if (e.name !== 'NotAllowedError') return;
    // Autoplay with sound was refused: play muted and offer a button for sound.
    tile.video.muted = true;
    tile.el.querySelector('.enable-sound').hidden = false;
    tile.video.play().catch(() => {});
  });
}

export function removeTile(id) {
  const tile = page.tiles.get(id);
  if (!tile) return;
  tile.video.srcObject = null;
  tile.el.remove();
  page.tiles.delete(id);
  if (page.pinned === id) page.pinned = null;
  if (page.speaker === id) page.speaker = null;
  layout();
}

export function clearTiles() {
  for (const id of [...page.tiles.keys()]) removeTile(id);
}

/** Who goes on the stage: pinned, else the speaker (not us), else the first other. */
export function stageChoice() {
  const ids = [...page.tiles.keys()];
  const others = ids.filter((id) => id !== myId());
  if (page.pinned && page.tiles.has(page.pinned)) return page.pinned;
  if (page.speaker && page.speaker !== myId() && page.tiles.has(page.speaker)) return page.speaker;
  return others[0] || ids[0] || null;
}

export function layout() {
  const stageId = page.viewerOpen ? null : stageChoice(); // the shared viewer takes the stage
  const stage = $('stage');
  const strip = $('strip');
  for (const [id, tile] of page.tiles) {
    const want = id === stageId ? stage : strip;
    if (tile.el.parentElement !== want) {
      want.appendChild(tile.el); // a move within one task keeps the video playing
      if (tile.video.paused && tile.video.srcObject) tile.video.play().catch(() => {});
    }
    tile.el.classList.toggle('on-stage', id === stageId);
    tile.el.classList.toggle('speaking', id === page.speaker);
  }
  strip.hidden = strip.children.length === 0;
  strip.setAttribute('aria-label', t('call.others'));
  const others = [...page.tiles.keys()].filter((id) => id !== myId()).length;
  $('participant-count').textContent = t('call.participants', { count: page.tiles.size });
  $('waiting').hidden = others > 0 || hz.state !== 'joined';
  hz.activeSpeaker = page.speaker;
  hz.stage = stageId;
}
