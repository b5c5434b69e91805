// Device check before (and during) a consult: open the chosen camera and
// microphone, list the devices, measure the microphone level, and play a short
// generated tone on the chosen speaker. Knows nothing of the DOM beyond the
// elements it is handed.

const VIDEO_CONSTRAINTS = { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30 } };

/** Map a getUserMedia failure to a message key of the dictionaries. */
export function mediaErrorKey(e) {
  switch (e && e.name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return 'media.denied';
    case 'NotFoundError':
    case 'OverconstrainedError':
      return 'media.no_device';
    case 'NotReadableError':
    case 'AbortError':
      return 'media.busy';
    default:
      return 'media.failed';
  }
}

/**
 * Open camera and microphone (optionally particular devices). On a missing
 * device fall back to what exists. Resolves { stream, key, kind } where key is
 * a message key and kind ok|warn|error; stream is null when nothing opened.
 */
export async function openMedia({ audioId = null, videoId = null, wantAudio = true, wantVideo = true } = {}) {
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    return { stream: null, key: 'media.insecure', kind: 'error' };
  }
  const audio = wantAudio ? (audioId ? { deviceId: { exact: audioId } } : true) : false;
  const video = wantVideo ? { ...VIDEO_CONSTRAINTS, ...(videoId ? { deviceId: { exact: videoId } } : {}) } : false;
  if (!audio && !video) return { stream: null, key: 'media.all_off', kind: 'warn' };
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ audio, video });
    return { stream, key: 'media.ready', kind: 'ok' };
  } catch (e) {
    if ((e.name === 'NotFoundError' || e.name === 'OverconstrainedError') && audio && video) {
      for (const [constraints, key] of [[{ audio }, 'media.audio_only'], [{ video }, 'media.video_only']]) {
        try {
          return { stream: await navigator.mediaDevices.getUserMedia(constraints), key, kind: 'warn' };
        } catch {
          /* try the next kind */
        }
      }
      return { stream: null, key: 'media.no_device', kind: 'error' };
    }
    return { stream: null, key: mediaErrorKey(e), kind: 'error', message: e.message || e.name };
  }
}

/** The devices by kind: { audioinput: [], videoinput: [], audiooutput: [] } with labels. */
export async function listDevices() {
  const out = { audioinput: [], videoinput: [], audiooutput: [] };
  if (!navigator.mediaDevices || !navigator.mediaDevices.enumerateDevices) return out;
  const all = await navigator.mediaDevices.enumerateDevices();
  for (const d of all) if (out[d.kind] && d.deviceId) out[d.kind].push({ id: d.deviceId, label: d.label });
  return out;
}

export const canChooseSpeaker = () => typeof HTMLMediaElement !== 'undefined' && 'setSinkId' in HTMLMediaElement.prototype;

let sharedContext = null;

/** One AudioContext for the page, resumed on the first user gesture if the browser held it. */
export function audioContext() {
  if (!sharedContext) {
    const Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return null;
    sharedContext = new Ctx();
    const resume = () => {
      if (sharedContext.state === 'suspended') sharedContext.resume().catch(() => {});
    };
    for (const ev of ['pointerdown', 'keydown']) window.addEventListener(ev, resume, { capture: true });
  }
  if (sharedContext.state === 'suspended') sharedContext.resume().catch(() => {});
  return sharedContext;
}

/**
 * Measure a microphone track: calls onLevel(0..1) about ten times a second.
 * Returns stop().
 */
export function watchLevel(track, onLevel) {
  const ctx = audioContext();
  if (!ctx || !track) return () => {};
  const source = ctx.createMediaStreamSource(new MediaStream([track]));
  const analyser = ctx.createAnalyser();
  analyser.fftSize = 1024;
  source.connect(analyser);
  const buf = new Float32Array(analyser.fftSize);
  const timer = setInterval(() => {
    analyser.getFloatTimeDomainData(buf);
    let sum = 0;
    for (const v of buf) sum += v * v;
    const rms = Math.sqrt(sum / buf.length);
    // Speech sits around 0.02..0.3 RMS; show it on a perceptual (square root) scale.
    onLevel(track.enabled ? Math.min(1, Math.sqrt(rms * 3)) : 0);
  }, 100);
  return () => {
    clearInterval(timer);
    source.disconnect();
  };
}

/**
 * Play a short two-note chime (about 1.2 s) on the speaker `sinkId` ('' = default).
 * Resolves when it has finished; rejects when the speaker cannot be used.
 */
export async function playTestTone(sinkId = '') {
  const ctx = audioContext();
  if (!ctx) throw new Error('Web Audio is not available');
  if (ctx.state === 'suspended') await ctx.resume();
  const dest = ctx.createMediaStreamDestination();
  const gain = ctx.createGain();
  gain.connect(dest);
  const t0 = ctx.currentTime + 0.05;
  const notes = [[660, 0], [880, 0.45]];
  for (const [freq, at] of notes) {
    const osc = ctx.createOscillator();
    osc.type = 'sine';
    osc.frequency.value = freq;
    osc.connect(gain);
    osc.start(t0 + at);
    osc.stop(t0 + at + 0.4);
  }
  gain.gain.setValueAtTime(0, t0);
  for (const [, at] of notes) {
    gain.gain.linearRampToValueAtTime(0.25, t0 + at + 0.03);
    gain.gain.linearRampToValueAtTime(0, t0 + at + 0.4);
  }
  const el = new Audio();
  el.srcObject = dest.stream;
  if (sinkId && canChooseSpeaker()) await el.setSinkId(sinkId);
  await el.play();
  await new Promise((r) => setTimeout(r, 1000));
  el.pause();
  el.srcObject = null;
  gain.disconnect();
}

/** Route a media element to the chosen speaker where the browser allows it. */
export async function applySpeaker(el, sinkId) {
  if (!canChooseSpeaker() || !el || el.sinkId === sinkId) return;
  try {
    await el.setSinkId(sinkId || '');
  } catch (e) {
    console.warn(`huizhen: cannot route sound to the chosen speaker: ${e.message}`);
  }
}
