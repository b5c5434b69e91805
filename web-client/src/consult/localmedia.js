// Our own camera and microphone: the device check before joining (preview,
// level meter, speaker test, device choice) and the mute buttons, before and
// during the call.

import { t } from '../lib/i18n.js';
import { $, h } from '../lib/dom.js';
import { icons } from '../lib/icons.js';
import { hz, page, myId } from './state.js';
import { openMedia, listDevices, watchLevel, playTestTone, canChooseSpeaker, applySpeaker } from './devices.js';
import { renderTileVideo } from './tiles.js';

const DEVICES_KEY = 'huizhen.devices';
let stopMeter = () => {};

function loadDeviceChoice() {
  try {
    return JSON.parse(window.localStorage.getItem(DEVICES_KEY)) || {};
  } catch {
    return {};
  }
}

function saveDeviceChoice() {
  try {
    window.localStorage.setItem(DEVICES_KEY, JSON.stringify(page.devices));
  } catch {
    /* not remembered */
  }
}

export function setMediaMessage(key, kind, params = {}) {
  page.mediaMessage = key ? { key, kind, params } : null;
  renderMediaMessage();
}

export function renderMediaMessage() {
  const el = $('media-status');
  const m = page.mediaMessage;
  el.textContent = m ? t(m.key, m.params) : '';
  el.className = `media-status ${m ? m.kind : ''}`;
}

export function hasTrack(kind) {
  return page.localStream !== null && page.localStream.getTracks().some((tr) => tr.kind === kind && tr.readyState === 'live');
}

export function renderMediaButtons() {
  for (const id of ['mic-btn', 'prejoin-mic-btn']) {
    const b = $(id);
    const off = page.muted.audio || !hasTrack('audio');
    b.innerHTML = off ? icons.micOff : icons.mic;
    b.title = t(!hasTrack('audio') ? 'call.no_mic' : page.muted.audio ? 'call.unmute' : 'call.mute');
    b.setAttribute('aria-label', b.title);
    b.setAttribute('aria-pressed', String(page.muted.audio));
    b.classList.toggle('off', off);
    b.disabled = !hasTrack('audio');
  }
  for (const id of ['cam-btn', 'prejoin-cam-btn']) {
    const b = $(id);
    const off = page.muted.video || !hasTrack('video');
    b.innerHTML = off ? icons.camOff : icons.cam;
    b.title = t(!hasTrack('video') ? 'call.no_camera' : page.muted.video ? 'call.camera_on' : 'call.camera_off');
    b.setAttribute('aria-label', b.title);
    b.setAttribute('aria-pressed', String(page.muted.video));
    b.classList.toggle('off', off);
    b.disabled = !hasTrack('video') || page.audioOnly;
  }
  $('preview-off').hidden = !(page.muted.video && hasTrack('video'));
  const me = myId() !== null ? page.tiles.get(myId()) : null;
  if (me) {
    me.el.querySelector('.muted-mic').hidden = !page.muted.audio;
    me.el.querySelector('.muted-cam').hidden = !page.muted.video;
    renderTileVideo(me);
  }
}

export async function setMuted(kind, muted) {
  if (!hasTrack(kind)) return;
  page.muted[kind] = muted;
  for (const tr of page.localStream.getTracks()) if (tr.kind === kind) tr.enabled = !muted;
  renderMediaButtons();
  if (page.session) await page.session.setMuted(kind, muted);
}

export const toggle = (kind) => setMuted(kind, !page.muted[kind]);

// ---- device check -----------------------------------------------------------

function fillSelect(sel, devices, chosen, emptyKey) {
  const options = devices.length
    ? devices.map((d, i) => h('option', { value: d.id }, d.label || t('device.unnamed', { n: i + 1 })))
    : [h('option', { value: '' }, t(emptyKey))];
  sel.replaceChildren(...options);
  sel.disabled = devices.length === 0;
  if (chosen && devices.some((d) => d.id === chosen)) sel.value = chosen;
}

export async function renderDeviceLists() {
  const list = await listDevices();
  const inUse = (kind) => {
    const tr = page.localStream && page.localStream.getTracks().find((x) => x.kind === kind);
    return tr ? tr.getSettings().deviceId : '';
  };
  fillSelect($('camera-select'), list.videoinput, inUse('video') || page.devices.videoinput, 'device.none_camera');
  fillSelect($('mic-select'), list.audioinput, inUse('audio') || page.devices.audioinput, 'device.none_microphone');
  if (canChooseSpeaker()) {
    fillSelect($('speaker-select'), list.audiooutput, page.devices.audiooutput, 'device.default_speaker');
    if (list.audiooutput.length === 0) $('speaker-select').disabled = true;
  } else {
    $('speaker-select').replaceChildren(h('option', { value: '' }, t('device.default_speaker')));
    $('speaker-select').disabled = true;
  }
  hz.device.lists = { video: list.videoinput.length, audio: list.audioinput.length, output: list.audiooutput.length };
}

function startMeter() {
  stopMeter();
  const [track] = page.localStream ? page.localStream.getAudioTracks() : [];
  const fill = $('mic-meter-fill');
  const meter = $('mic-meter');
  if (!track) {
    fill.style.width = '0%';
    meter.setAttribute('aria-valuenow', '0');
    return;
  }
  let last = -1;
  stopMeter = watchLevel(track, (level) => {
    const pct = Math.round(level * 100);
    hz.device.micLevel = Math.max(hz.device.micLevel, pct);
    if (pct === last) return;
    last = pct;
    fill.style.width = `${pct}%`;
    meter.setAttribute('aria-valuenow', String(pct));
  });
}

function showPreview() {
  $('preview').srcObject = page.localStream;
  startMeter();
  renderMediaButtons();
}

/** Open the devices first chosen (or remembered) and fill the device check. */
export async function openLocalMedia() {
  Object.assign(page.devices, loadDeviceChoice());
  setMediaMessage('media.requesting', 'info');
  const r = await openMedia({ audioId: page.devices.audioinput || null, videoId: page.devices.videoinput || null })
    .then((res) => (res.stream || !(page.devices.audioinput || page.devices.videoinput) ? res : openMedia()));
  page.localStream = r.stream;
  setMediaMessage(r.key, r.kind, { message: r.message || '' });
  for (const tr of page.localStream ? page.localStream.getTracks() : []) tr.enabled = !page.muted[tr.kind];
  showPreview();
  await renderDeviceLists();
}

/** A different camera or microphone chosen: open it and swap it in, also mid-call. */
async function changeDevice(kind, deviceId) {
  const mediaKind = kind === 'videoinput' ? 'video' : 'audio';
  page.devices[kind] = deviceId;
  saveDeviceChoice();
  const r = await openMedia({
    wantAudio: mediaKind === 'audio',
    wantVideo: mediaKind === 'video',
    audioId: mediaKind === 'audio' ? deviceId : null,
    videoId: mediaKind === 'video' ? deviceId : null,
  });
  if (!r.stream) {
    setMediaMessage(r.key, r.kind, { message: r.message || '' });
    return;
  }
  const [track] = r.stream.getTracks();
  track.enabled = !page.muted[mediaKind];
  if (!page.localStream) page.localStream = new MediaStream();
  for (const old of page.localStream.getTracks().filter((x) => x.kind === mediaKind)) {
    page.localStream.removeTrack(old);
    old.stop();
  }
  page.localStream.addTrack(track);
  if (page.session) await page.session.replaceTrack(mediaKind, track);
  setMediaMessage('media.device_changed', 'ok');
  showPreview();
}

async function testSpeaker() {
  const btn = $('speaker-test');
  const status = $('speaker-status');
  btn.disabled = true;
  hz.device.tone = 'playing';
  status.textContent = t('device.tone_playing');
  try {
    await playTestTone(page.devices.audiooutput);
    hz.device.tone = 'done';
    status.textContent = t('device.tone_done');
  } catch (e) {
    hz.device.tone = 'failed';
    status.textContent = t('device.tone_failed', { message: e.message || e.name });
  } finally {
    btn.disabled = false;
  }
}

export function wireDeviceCheck() {
  $('camera-select').addEventListener('change', (e) => changeDevice('videoinput', e.target.value));
  $('mic-select').addEventListener('change', (e) => changeDevice('audioinput', e.target.value));
  $('speaker-select').addEventListener('change', (e) => {
    page.devices.audiooutput = e.target.value;
    saveDeviceChoice();
    for (const tile of page.tiles.values()) applySpeaker(tile.video, e.target.value);
  });
  $('speaker-test').addEventListener('click', testSpeaker);
  if (navigator.mediaDevices && navigator.mediaDevices.addEventListener) {
    navigator.mediaDevices.addEventListener('devicechange', () => renderDeviceLists().catch(() => {}));
  }
}

export function renderDeviceTexts() {
  const s = $('speaker-status');
  const tone = hz.device.tone;
  if (tone === 'playing') s.textContent = t('device.tone_playing');
  else if (tone === 'done') s.textContent = t('device.tone_done');
  renderDeviceLists().catch(() => {});
}
