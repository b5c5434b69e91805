// Captures real SDP produced by Debian's Chromium, for the SDP parser fixtures:
//   tests/fixtures/captured-chromium-offer-av.sdp         sendonly audio+video offer, max-bundle
//   tests/fixtures/captured-chromium-offer-simulcast.sdp  same, video with rid q/h/f simulcast
//   tests/fixtures/captured-chromium-answer.sdp           Chromium answering a 1 audio + 1 video sendonly offer
// Usage: node tests/browser/capture-sdp.mjs [output-dir]
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium } from './chromium.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const outDir = resolve(process.argv[2] || join(here, '..', 'fixtures'));

// Runs inside the page.
async function captureInPage() {
  const config = { bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require' };
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 1280, height: 720 } });
  const [audio] = stream.getAudioTracks();
  const [video] = stream.getVideoTracks();

  // (a) plain audio + video sendonly offer
  const pcA = new RTCPeerConnection(config);
  pcA.addTransceiver(audio, { direction: 'sendonly', streams: [stream] });
  pcA.addTransceiver(video, { direction: 'sendonly', streams: [stream] });
  const offerAv = await pcA.createOffer();

  // (b) video simulcast with three rid layers
  const pcS = new RTCPeerConnection(config);
  pcS.addTransceiver(audio.clone(), { direction: 'sendonly', streams: [stream] });
  pcS.addTransceiver(video.clone(), {
    direction: 'sendonly',
    streams: [stream],
    sendEncodings: [
      { rid: 'q', scaleResolutionDownBy: 4.0, maxBitrate: 150000 },
      { rid: 'h', scaleResolutionDownBy: 2.0, maxBitrate: 500000 },
      { rid: 'f', maxBitrate: 1500000 },
    ],
  });
  const offerSimulcast = await pcS.createOffer();

  // (c) a third pc offers 1 audio + 1 video sendonly; a second pc answers it.
  const pcOfferer = new RTCPeerConnection(config);
  pcOfferer.addTransceiver(audio.clone(), { direction: 'sendonly', streams: [stream] });
  pcOfferer.addTransceiver(video.clone(), { direction: 'sendonly', streams: [stream] });
  const remoteOffer = await pcOfferer.createOffer();
  await pcOfferer.setLocalDescription(remoteOffer);
  const pcAnswerer = new RTCPeerConnection(config);
  await pcAnswerer.setRemoteDescription(remoteOffer);
  const answer = await pcAnswerer.createAnswer();

  for (const pc of [pcA, pcS, pcOfferer, pcAnswerer]) pc.close();
  stream.getTracks().forEach((t) => t.stop());
  return {
    userAgent: navigator.userAgent,
    offerAv: offerAv.sdp,
    offerSimulcast: offerSimulcast.sdp,
    answer: answer.sdp,
  };
}

function toCrlf(sdp) {
  // Chromium already emits CRLF; normalise any bare LF so the files are byte-exact SDP.
  return sdp.replace(/\r?\n/g, '\r\n');
}

const { context, close } = await launchChromium();
try {
  const page = await context.newPage();
  // about:blank has an opaque origin, which is not a secure context, so
  // navigator.mediaDevices is undefined there. Serve an empty page for a
  // loopback origin (potentially trustworthy) from Playwright itself: no server.
  const origin = 'http://127.0.0.1:9/';
  await page.route(origin + '**', (route) =>
    route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>capture</title>' }));
  await page.goto(origin + 'blank.html');
  const res = await page.evaluate(captureInPage);
  mkdirSync(outDir, { recursive: true });
  const files = {
    'captured-chromium-offer-av.sdp': res.offerAv,
    'captured-chromium-offer-simulcast.sdp': res.offerSimulcast,
    'captured-chromium-answer.sdp': res.answer,
  };
  for (const [name, sdp] of Object.entries(files)) {
    const path = join(outDir, name);
    writeFileSync(path, toCrlf(sdp));
    console.log(`wrote ${path} (${sdp.length} bytes)`);
  }
  console.log(`captured from: ${res.userAgent}`);
} finally {
  await close();
}
