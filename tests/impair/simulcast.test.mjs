// Simulcast through the real server on loopback (no root needed): one
// headless Chromium publisher sends audio + three VP8 layers (q 320, h 640,
// f 1280 wide); subscriber A asks for max_layer 0, B for max_layer 2
// (video_preference); each must decode the layer it asked for (getStats
// frameWidth). Then A switches to 2 and B to 1, and each must reach the new
// width. Prints the widths, times to switch and the server's `layer` events;
// dumps stats and the server log on failure.
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  Server, Checks, requireBrowserDeps, launchChromium, openPage, waitUntil, sleep,
  mainVideo, describeLayers,
} from './lib.mjs';

const FULL_WIDTH = 1280;
const LOW_MAX = 400; // the q layer is 1280/4 = 320 wide
const MID_MIN = 560; // the h layer is 640 wide
const MID_MAX = 720;
const HIGH_MIN = 1000; // the f layer is 1280 wide (CPU adaptation may trim a little)
const SWITCH_TIMEOUT_MS = 20000;

const chromium = requireBrowserDeps();
const logDir = resolve(process.env.HUIZHEN_IMPAIR_LOG_DIR || process.cwd());
mkdirSync(logDir, { recursive: true });

const checks = new Checks('impair-simulcast');
const consoleErrors = [];
const server = new Server({ name: 'simulcast', logDir });
let browser = null;
let exiting = false;

async function cleanup() {
  if (browser) await browser.close().catch(() => {});
  browser = null;
  server.kill();
}

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, async () => {
    if (exiting) return;
    exiting = true;
    console.log(`received ${sig}: cleaning up`);
    await cleanup();
    process.exit(1);
  });
}
process.on('exit', () => server.kill());

const sampleOf = (page) => page.evaluate(() => window.HzTest.sample());

// Wait until the page decodes frames whose width satisfies pred, and frames
// keep coming at that width; returns {width, ms} or null.
async function waitForWidth(page, pred, timeoutMs) {
  const start = Date.now();
  let prev = null;
  const hit = await waitUntil(async () => {
    const v = mainVideo(await sampleOf(page));
    if (!v) return null;
    const good = pred(v.frameWidth || 0);
    const growing = prev !== null && (v.framesDecoded || 0) > prev;
    prev = good ? v.framesDecoded || 0 : null;
    return good && growing ? { width: v.frameWidth, ms: Date.now() - start } : null;
  }, timeoutMs, 250);
  return hit;
}

async function diagnostics(pages) {
  for (const [label, page] of pages) {
    if (!page) continue;
    try {
      const d = await page.evaluate(() => window.HzTest.dump());
      console.log(`--- ${label}: page log ---\n${d.log.join('\n')}`);
      console.log(`--- ${label}: errors ${JSON.stringify(d.errors)} layers ${JSON.stringify(d.layers)}`);
      console.log(`--- ${label}: stats ---\n${JSON.stringify([...d.subscriber, ...d.publisher].filter((s) => s.type.endsWith('-rtp')), null, 1)}`);
    } catch (e) {
      console.log(`--- ${label}: no dump (${e.message})`);
    }
  }
  console.log(`--- server log (tail) ---\n${server.tail(80)}`);
  if (consoleErrors.length) console.log(`--- console errors ---\n${consoleErrors.join('\n')}`);
}

let pub = null;
let subA = null;
let subB = null;
let t0 = Date.now(); // subscribers join: layer event times are relative to this
const bound = setTimeout(async () => {
  console.log('not ok - the test ran over its 150 s bound');
  await diagnostics([['publisher', pub], ['A', subA], ['B', subB]]).catch(() => {});
  await cleanup();
  process.exit(1);
}, 150000);

try {
  await server.start();
  const { tokens } = await server.roomWithTokens([
    { user: 'pub', role: 'doctor' }, { user: 'sub-a', role: 'specialist' }, { user: 'sub-b', role: 'specialist' },
  ]);
  browser = await launchChromium(chromium, { extraArgs: ['--allow-loopback-in-peer-connection'] });

  pub = await openPage(browser, server, 'publisher', consoleErrors);
  await pub.evaluate((t) => window.HzTest.connect(t), tokens[0]);
  const published = await pub.evaluate(() => window.HzTest.publish({ simulcast: true, width: 1280, height: 720 }));
  console.log(`# publisher camera ${published.settings.width}x${published.settings.height}`);
  checks.ok(published.settings.width === FULL_WIDTH, 'the fake camera gives 1280x720');

  // The publisher must actually send three layers for the check to mean anything.
  const threeLayers = await waitUntil(async () => {
    const s = await sampleOf(pub);
    const sending = s.outVideo.filter((o) => (o.framesEncoded || 0) > 0 && (o.frameWidth || 0) > 0);
    return sending.length === 3 && s.outVideo.some((o) => o.rid === 'f' && o.frameWidth >= HIGH_MIN) ? s : null;
  }, 20000, 500);
  const pubSample = threeLayers || await sampleOf(pub);
  console.log(`# publisher layers: ${describeLayers(pubSample)}`);
  checks.ok(threeLayers !== null, 'the publisher sends all three layers (q, h, f) with f at full width',
    'Chromium sends only the layers its send-side bandwidth estimate allows: without TWCC/REMB feedback from the server it stays near its start rate');

  t0 = Date.now();
  subA = await openPage(browser, server, 'A', consoleErrors);
  subB = await openPage(browser, server, 'B', consoleErrors);
  await subA.evaluate((t) => window.HzTest.connect(t), tokens[1]);
  await subB.evaluate((t) => window.HzTest.connect(t), tokens[2]);

  const trackIds = await waitUntil(async () => {
    const a = await subA.evaluate(() => window.HzTest.videoTrackIds());
    const b = await subB.evaluate(() => window.HzTest.videoTrackIds());
    return a.length === 1 && b.length === 1 ? { a: a[0], b: b[0] } : null;
  }, 10000);
  checks.ok(trackIds !== null, 'both subscribers know the publisher\'s video track id');
  if (!trackIds) throw new Error('no video track id');
  console.log(`# video track id ${trackIds.a}`);

  await subA.evaluate((id) => window.HzTest.send({ type: 'video_preference', track_id: id, max_layer: 0 }), trackIds.a);
  await subB.evaluate((id) => window.HzTest.send({ type: 'video_preference', track_id: id, max_layer: 2 }), trackIds.b);

  const [lowA, highB] = await Promise.all([
    waitForWidth(subA, (w) => w > 0 && w <= LOW_MAX, 30000),
    waitForWidth(subB, (w) => w >= HIGH_MIN, 30000),
  ]);
  const [sA, sB] = [mainVideo(await sampleOf(subA)), mainVideo(await sampleOf(subB))];
  console.log(`# A (max_layer 0): width ${sA && sA.frameWidth} decoded ${sA && sA.framesDecoded}; reached low in ${lowA ? lowA.ms : '-'} ms`);
  console.log(`# B (max_layer 2): width ${sB && sB.frameWidth} decoded ${sB && sB.framesDecoded}; reached high in ${highB ? highB.ms : '-'} ms`);
  checks.ok(lowA !== null, `A decodes the low layer (~320 wide) it asked for`, `A frameWidth ${sA && sA.frameWidth}`);
  checks.ok(highB !== null, `B decodes the high layer (~1280 wide) it asked for`, `B frameWidth ${sB && sB.frameWidth}`);

  // Preferences change: A up to the high layer, B down to the middle one.
  await subA.evaluate((id) => window.HzTest.send({ type: 'video_preference', track_id: id, max_layer: 2 }), trackIds.a);
  await subB.evaluate((id) => window.HzTest.send({ type: 'video_preference', track_id: id, max_layer: 1 }), trackIds.b);
  const [upA, midB] = await Promise.all([
    waitForWidth(subA, (w) => w >= HIGH_MIN, SWITCH_TIMEOUT_MS),
    waitForWidth(subB, (w) => w >= MID_MIN && w <= MID_MAX, SWITCH_TIMEOUT_MS),
  ]);
  const [eA, eB] = [mainVideo(await sampleOf(subA)), mainVideo(await sampleOf(subB))];
  console.log(`# A after max_layer 2: width ${eA && eA.frameWidth}, switch took ${upA ? upA.ms : '-'} ms`);
  console.log(`# B after max_layer 1: width ${eB && eB.frameWidth}, switch took ${midB ? midB.ms : '-'} ms`);
  checks.ok(upA !== null, 'A reaches the high width after asking for max_layer 2', `A frameWidth ${eA && eA.frameWidth}`);
  checks.ok(midB !== null, 'B moves to the middle layer (~640 wide) after asking for max_layer 1', `B frameWidth ${eB && eB.frameWidth}`);

  // The switch must not break decoding: frames keep coming afterwards.
  const before = [eA, eB].map((v) => (v ? v.framesDecoded || 0 : 0));
  await sleep(3000);
  const after = [mainVideo(await sampleOf(subA)), mainVideo(await sampleOf(subB))];
  const rates = after.map((v, i) => ((v ? v.framesDecoded || 0 : 0) - before[i]) / 3);
  console.log(`# decode rate after the switches: A ${rates[0].toFixed(1)} fps, B ${rates[1].toFixed(1)} fps`);
  checks.ok(rates[0] >= 5 && rates[1] >= 5, 'both subscribers keep decoding (>= 5 fps) after switching layers');
  for (const [label, p] of [['A', subA], ['B', subB]]) {
    const v = mainVideo(await sampleOf(p));
    const layers = await p.evaluate(() => window.HzTest.layers);
    const errors = await p.evaluate(() => window.HzTest.errors);
    const speakers = await p.evaluate(() => window.HzTest.speakers);
    console.log(`# ${label}: freezes ${v && v.freezeCount}, dropped ${v && v.framesDropped}, keyframes ${v && v.keyFramesDecoded}, ` +
      `layer events ${JSON.stringify(layers.map((l) => `${l.layer}@${((l.t - t0) / 1000).toFixed(1)}s`))}, ` +
      `active_speaker events ${speakers.length}, errors ${JSON.stringify(errors)}`);
    checks.ok(errors.length === 0, `${label}: the server accepted every message (no error replies)`, errors.join('\n'));
  }
} catch (e) {
  checks.ok(false, `the test ran to the end`, e.stack || String(e));
} finally {
  clearTimeout(bound);
  if (checks.failed > 0) await diagnostics([['publisher', pub], ['A', subA], ['B', subB]]);
  await cleanup();
}
process.exit(checks.finish());
