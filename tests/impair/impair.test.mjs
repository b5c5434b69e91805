// Impairment test (issue 3): the real huizhen server and a publisher Chromium
// in namespace hz-srv, a subscriber Chromium in namespace hz-cli, joined by a
// veth pair (10.99.0.1/24 — 10.99.0.2/24). After an unimpaired baseline the
// subscriber's link gets 5% random UDP loss (nftables, hz-cli input) and a
// 300 kbit/s cap (tc tbf on the server-side veth, so traffic towards the
// subscriber is shaped; this kernel has no netem). Over 40 s it measures from
// the subscriber's getStats(): frame size over time, decoding per 5 s window,
// drops, freezes, NACKs/retransmissions, audio loss after the first 10 s, time
// to switch down; then removes the cap and measures the time to switch back up.
// Asserts: ends on the low layer while capped (frameWidth <= half the full
// layer's), video decodes in every 5 s window, audio loss after recovery < 1%.
// Needs root, `ip netns`, nft and tc (SKIP otherwise). Removes namespaces,
// qdisc and nft table at the end, on failure and on SIGINT/SIGTERM.
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  Server, Checks, requireBrowserDeps, launchChromium, openPage, waitUntil, sleep,
  mainVideo, mainAudio, describeLayers, skip, run, NetnsPair, requireRootTools,
} from './lib.mjs';

const SRV_IP = '10.99.0.1';
const CLI_IP = '10.99.0.2';
const PORT = 18089; // inside a fresh namespace: always free
const LOSS_PERCENT = 5;
const CAP = '300kbit';
const IMPAIRED_S = 40;
const RECOVERY_SKIP_S = 10; // audio loss is counted after this much of the impaired phase
const WINDOW_S = 5;
const UP_WAIT_S = 30;
const UP_WAIT_NO_LOSS_S = 20;
const BOUND_MS = 175000;

// ---- preconditions -------------------------------------------------------------
requireRootTools('network namespaces, nftables, tc', [['ip', ['netns', 'list'], 'iproute2'], ['nft', ['--version'], 'nftables'], ['tc', ['-V'], 'iproute2']]);
const chromium = requireBrowserDeps();

const logDir = resolve(process.env.HUIZHEN_IMPAIR_LOG_DIR || process.cwd());
mkdirSync(logDir, { recursive: true });

const net = new NetnsPair({ prefix: 'hz', veth: 'hz', srvIp: SRV_IP, cliIp: CLI_IP });
const NS_SRV = net.srv;
const NS_CLI = net.cli;
const VETH_SRV = net.vethSrv;
const VETH_CLI = net.vethCli;
const NFT_TABLE = 'hzimpair';

// ---- namespaces, loss and cap -------------------------------------------------------
const inNs = (ns, cmd, args, opts) => net.inNs(ns, cmd, args, opts);

function setUpNetwork() {
  net.setUp();
  // The loss table exists from the start; its rule is added when the impairment begins.
  inNs(NS_CLI, 'nft', ['add', 'table', 'inet', NFT_TABLE]);
  inNs(NS_CLI, 'nft', ['add', 'chain', 'inet', NFT_TABLE, 'input', '{ type filter hook input priority 0; policy accept; }']);
}

function addLoss() {
  inNs(NS_CLI, 'nft', ['add', 'rule', 'inet', NFT_TABLE, 'input', 'meta', 'l4proto', 'udp',
    'numgen', 'random', 'mod', '100', '<', String(LOSS_PERCENT), 'counter', 'drop']);
}

function removeLoss() {
  inNs(NS_CLI, 'nft', ['flush', 'chain', 'inet', NFT_TABLE, 'input'], { ok: true });
}

function lossCounter() {
  const r = inNs(NS_CLI, 'nft', ['list', 'chain', 'inet', NFT_TABLE, 'input'], { ok: true, quiet: true });
  const m = /counter packets (\d+) bytes (\d+)/.exec(r.stdout || '');
  return m ? { packets: Number(m[1]), bytes: Number(m[2]) } : null;
}

function addCap() {
  inNs(NS_SRV, 'tc', ['qdisc', 'add', 'dev', VETH_SRV, 'root', 'tbf', 'rate', CAP, 'burst', '16kb', 'latency', '400ms']);
}

function removeCap() {
  inNs(NS_SRV, 'tc', ['qdisc', 'del', 'dev', VETH_SRV, 'root'], { ok: true });
}

function capStats() {
  const r = inNs(NS_SRV, 'tc', ['-s', 'qdisc', 'show', 'dev', VETH_SRV], { ok: true, quiet: true });
  const m = /Sent (\d+) bytes (\d+) pkt \(dropped (\d+), overlimits (\d+)/.exec(r.stdout || '');
  return m ? { bytes: Number(m[1]), packets: Number(m[2]), dropped: Number(m[3]) } : null;
}

function tearDownNetwork() {
  if (!net.created) return;
  removeCap();
  run('ip', ['netns', 'exec', NS_CLI, 'nft', 'delete', 'table', 'inet', NFT_TABLE], { ok: true });
  net.tearDown();
}

// ---- the test ------------------------------------------------------------------
const checks = new Checks('impair');
const consoleErrors = [];
const server = new Server({ name: 'impair', logDir, host: SRV_IP, port: PORT, netns: NS_SRV });
const browsers = [];
let pub = null;
let sub = null;
let cleaning = null;

function cleanup() {
  if (!cleaning) {
    cleaning = (async () => {
      for (const b of browsers) await Promise.race([b.close().catch(() => {}), sleep(5000)]);
      server.kill();
      tearDownNetwork();
    })();
  }
  return cleaning;
}

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, async () => {
    console.log(`received ${sig}: cleaning up`);
    await cleanup();
    process.exit(1);
  });
}
process.on('exit', () => {
  server.kill();
  tearDownNetwork();
});

async function diagnostics() {
  for (const [label, page] of [['publisher', pub], ['subscriber', sub]]) {
    if (!page) continue;
    try {
      const d = await page.evaluate(() => window.HzTest.dump());
      console.log(`--- ${label}: page log ---\n${d.log.join('\n')}`);
      console.log(`--- ${label}: errors ${JSON.stringify(d.errors)} layers ${JSON.stringify(d.layers)}`);
      console.log(`--- ${label}: stats ---\n${JSON.stringify([...d.subscriber, ...d.publisher].filter((s) => s.type.endsWith('-rtp')), null, 1)}`);
      if (label === 'subscriber' && d.remoteSdp) console.log(`--- subscriber: server offer ---\n${d.remoteSdp}`);
    } catch (e) {
      console.log(`--- ${label}: no dump (${e.message})`);
    }
  }
  console.log(`--- server log (tail) ---\n${server.tail(80)}`);
  if (consoleErrors.length) console.log(`--- console errors ---\n${consoleErrors.slice(-30).join('\n')}`);
}

const bound = setTimeout(async () => {
  console.log(`not ok - the test ran over its ${BOUND_MS / 1000} s bound`);
  await diagnostics().catch(() => {});
  await cleanup();
  process.exit(1);
}, BOUND_MS);

const sampleOf = (page) => page.evaluate(() => window.HzTest.sample());
const d = (a, b, k) => ((b && b[k]) || 0) - ((a && a[k]) || 0);
const pct = (x) => `${(100 * x).toFixed(2)}%`;

// Sample the subscriber every second for seconds s (or until stop(sample) is true).
async function sampleFor(seconds, stop = null) {
  const out = [];
  const start = Date.now();
  while (Date.now() - start < seconds * 1000) {
    const s = await sampleOf(sub);
    s.rel = (s.t - start) / 1000;
    out.push(s);
    if (stop && stop(s)) break;
    const next = start + out.length * 1000;
    await sleep(Math.max(0, next - Date.now()));
  }
  return out;
}

function printTimeline(label, samples) {
  console.log(`# ${label}: t(s) width fps kbit/s video-lost nack rtx-pkts audio-lost audio-rcvd avail-in(kbit/s)`);
  for (let i = 1; i < samples.length; i++) {
    const [a, b] = [samples[i - 1], samples[i]];
    const [va, vb] = [mainVideo(a), mainVideo(b)];
    const [aa, ab] = [mainAudio(a), mainAudio(b)];
    const dt = (b.t - a.t) / 1000 || 1;
    console.log(`#   ${b.rel.toFixed(0).padStart(3)} ${String(vb ? vb.frameWidth || 0 : 0).padStart(5)} ` +
      `${(d(va, vb, 'framesDecoded') / dt).toFixed(1).padStart(5)} ${(d(va, vb, 'bytesReceived') * 8 / 1000 / dt).toFixed(0).padStart(6)} ` +
      `${String(d(va, vb, 'packetsLost')).padStart(4)} ${String(d(va, vb, 'nackCount')).padStart(4)} ` +
      `${String(d(va, vb, 'retransmittedPacketsReceived')).padStart(4)} ${String(d(aa, ab, 'packetsLost')).padStart(4)} ` +
      `${String(d(aa, ab, 'packetsReceived')).padStart(4)} ${b.pair && b.pair.availableIncomingBitrate ? Math.round(b.pair.availableIncomingBitrate / 1000) : '-'}`);
  }
}

// The first time (s after phase start) from which every later sample satisfies pred.
function settledAt(samples, pred) {
  let at = null;
  for (const s of samples) {
    const v = mainVideo(s);
    if (v && pred(v.frameWidth || 0)) {
      if (at === null) at = s.rel;
    } else {
      at = null;
    }
  }
  return at;
}

try {
  setUpNetwork();
  console.log(`# namespaces ${NS_SRV} (${SRV_IP}, ${VETH_SRV}) and ${NS_CLI} (${CLI_IP}, ${VETH_CLI})`);
  await server.start();
  const { tokens } = await server.roomWithTokens([{ user: 'clinic', role: 'doctor' }, { user: 'specialist', role: 'specialist' }]);
  const origin = `http://${SRV_IP}:${PORT}`;
  // getUserMedia needs a secure context: treat the test origin as one.
  const extraArgs = [`--unsafely-treat-insecure-origin-as-secure=${origin}`];

  const pubBrowser = await launchChromium(chromium, { netns: NS_SRV, extraArgs });
  browsers.push(pubBrowser);
  pub = await openPage(pubBrowser, server, 'publisher', consoleErrors);
  await pub.evaluate((t) => window.HzTest.connect(t), tokens[0]);
  const published = await pub.evaluate(() => window.HzTest.publish({ simulcast: true, width: 1280, height: 720 }));
  console.log(`# publisher camera ${published.settings.width}x${published.settings.height}, 3 simulcast layers q/h/f`);

  const subBrowser = await launchChromium(chromium, { netns: NS_CLI, extraArgs });
  browsers.push(subBrowser);
  sub = await openPage(subBrowser, server, 'subscriber', consoleErrors);
  await sub.evaluate((t) => window.HzTest.connect(t), tokens[1]);

  // ---- phase A: unimpaired baseline ----
  const baselineStart = Date.now();
  let prevDecoded = null;
  const decoding = await waitUntil(async () => {
    const v = mainVideo(await sampleOf(sub));
    const ok = v && prevDecoded !== null && (v.framesDecoded || 0) > prevDecoded;
    prevDecoded = v ? v.framesDecoded || 0 : null;
    return ok;
  }, 25000, 500);
  checks.ok(decoding !== null, 'the subscriber decodes video over the unimpaired link');
  if (!decoding) throw new Error('no video at the subscriber before impairment');
  console.log(`# first decoded frame ${((Date.now() - baselineStart) / 1000).toFixed(1)} s after the subscriber joined`);
  // Give the bandwidth estimate time to climb to the full layer (bounded).
  const pubSampleBefore = await sampleOf(pub);
  const fullWidth = (pubSampleBefore.outVideo.find((o) => o.rid === 'f') || {}).frameWidth || published.settings.width;
  const baseline = await sampleFor(15, (s) => { const v = mainVideo(s); return v && v.frameWidth >= fullWidth; });
  const baseV = mainVideo(baseline[baseline.length - 1]);
  const baseWidth = baseV ? baseV.frameWidth || 0 : 0;
  const pubNow = await sampleOf(pub);
  console.log(`# publisher layers: ${describeLayers(pubNow)}`);
  console.log(`# baseline: subscriber frame ${baseWidth}x${baseV && baseV.frameHeight} (full layer ${fullWidth} wide), ` +
    `reached in ${((Date.now() - baselineStart) / 1000).toFixed(1)} s after join`);
  checks.ok(baseWidth > fullWidth / 4 * 1.25, `before impairment the subscriber gets more than the low layer (${baseWidth} wide)`,
    'with the low layer already chosen unimpaired, switching down proves nothing');

  // ---- phase B: 5% loss + 300 kbit/s cap ----
  addLoss();
  addCap();
  console.log(`# impairment on: ${LOSS_PERCENT}% random UDP loss into ${NS_CLI}, tbf ${CAP} on ${VETH_SRV}`);
  const impaired = await sampleFor(IMPAIRED_S);
  const dropped = lossCounter();
  const shaped = capStats();
  printTimeline('impaired', impaired);
  const first = impaired[0];
  const last = impaired[impaired.length - 1];
  const [v0, v1] = [mainVideo(first), mainVideo(last)];
  const lastWidth = v1 ? v1.frameWidth || 0 : 0;
  const halfWidth = fullWidth / 2;
  const downAt = settledAt(impaired, (w) => w > 0 && w <= halfWidth);
  const lowAt = settledAt(impaired, (w) => w > 0 && w <= fullWidth / 4 * 1.25);
  console.log(`# nft dropped ${dropped ? dropped.packets : '?'} UDP packets; tbf sent ${shaped ? shaped.packets : '?'} packets, dropped ${shaped ? shaped.dropped : '?'}`);
  console.log(`# switch down: width <= ${halfWidth} from ${downAt === null ? 'never' : `${downAt.toFixed(0)} s`}, ` +
    `low layer (<= ${fullWidth / 4 * 1.25}) from ${lowAt === null ? 'never' : `${lowAt.toFixed(0)} s`}; final width ${lastWidth}`);
  console.log(`# video over ${IMPAIRED_S} s: decoded ${d(v0, v1, 'framesDecoded')}, dropped ${d(v0, v1, 'framesDropped')}, ` +
    `freezes ${d(v0, v1, 'freezeCount')} (${d(v0, v1, 'totalFreezesDuration').toFixed(1)} s), pauses ${d(v0, v1, 'pauseCount')}, ` +
    `packets lost ${d(v0, v1, 'packetsLost')} of ${d(v0, v1, 'packetsReceived') + d(v0, v1, 'packetsLost')}, ` +
    `NACKs ${d(v0, v1, 'nackCount')}, retransmitted ${d(v0, v1, 'retransmittedPacketsReceived')} packets / ` +
    `${d(v0, v1, 'retransmittedBytesReceived')} bytes, PLIs ${d(v0, v1, 'pliCount')}, key frames ${d(v0, v1, 'keyFramesDecoded')}`);

  const windows = [];
  for (let s = 0; s + WINDOW_S <= IMPAIRED_S; s += WINDOW_S) {
    const a = impaired.find((x) => x.rel >= s - 0.5);
    const b = impaired.find((x) => x.rel >= s + WINDOW_S - 0.5) || last;
    windows.push(d(mainVideo(a), mainVideo(b), 'framesDecoded'));
  }
  console.log(`# frames decoded per ${WINDOW_S} s window: ${windows.join(' ')}`);

  const recoveryFrom = impaired.find((x) => x.rel >= RECOVERY_SKIP_S) || first;
  const [a0, a1] = [mainAudio(recoveryFrom), mainAudio(last)];
  const aLost = d(a0, a1, 'packetsLost');
  const aRcvd = d(a0, a1, 'packetsReceived');
  const audioLoss = aLost + aRcvd > 0 ? aLost / (aLost + aRcvd) : 1;
  const concealed = d(a0, a1, 'concealedSamples') - d(a0, a1, 'silentConcealedSamples');
  const samplesRcvd = d(a0, a1, 'totalSamplesReceived');
  const concealedShare = samplesRcvd > 0 ? concealed / samplesRcvd : 1;
  const audioCodec = a1 ? a1.codec : null;
  const [aw0, aw1] = [mainAudio(first), mainAudio(recoveryFrom)];
  console.log(`# audio (codec ${audioCodec}${last.audioRed ? ', RED answered first' : ''}): first ${RECOVERY_SKIP_S} s lost ${d(aw0, aw1, 'packetsLost')} / rcvd ${d(aw0, aw1, 'packetsReceived')}; ` +
    `after: lost ${aLost} / rcvd ${aRcvd} = ${pct(audioLoss)}, concealed (non-silent) ${pct(concealedShare)} of samples, ` +
    `FEC packets ${d(a0, a1, 'fecPacketsReceived')}, NACKs ${d(a0, a1, 'nackCount')}, concealment events ${d(a0, a1, 'concealmentEvents')}`);
  const layerEvents = await sub.evaluate(() => window.HzTest.layers);
  console.log(`# server layer events: ${JSON.stringify(layerEvents.map((l) => ({ t: l.t - first.t, layer: l.layer })))}`);

  // frameWidth keeps its last value when video stops: the last window must still decode.
  const lastWindowDecoded = d(mainVideo(impaired.find((x) => x.rel >= IMPAIRED_S - WINDOW_S - 0.5) || first), v1, 'framesDecoded');
  checks.ok(lastWidth > 0 && lastWidth <= halfWidth && lastWindowDecoded > 0,
    `while capped the subscriber ends on a low layer (${lastWidth} <= ${halfWidth} wide, ${lastWindowDecoded} frames decoded in the last ${WINDOW_S} s)`);
  checks.ok(windows.length === IMPAIRED_S / WINDOW_S && windows.every((n) => n > 0),
    `video keeps decoding: frames decoded in every ${WINDOW_S} s window (${windows.join(', ')})`);
  // Chromium counts packetsLost on the wire: with RED, recovery happens in the
  // decoder, so the share of non-silent concealed samples is what is left lost.
  const red = last.audioRed === true || /red/i.test(audioCodec || '');
  const afterRecovery = red ? concealedShare : audioLoss;
  checks.ok(afterRecovery < 0.01, `audio loss after recovery ${pct(afterRecovery)} < 1% ` +
    `(${red ? 'RED: non-silent concealed samples' : 'packetsLost / (lost + received)'}, after the first ${RECOVERY_SKIP_S} s)`);

  // ---- phase C: the cap goes away ----
  removeCap();
  console.log(`# cap removed (loss stays ${LOSS_PERCENT}%)`);
  const capWidth = lastWidth;
  const upPred = (s) => { const v = mainVideo(s); return v && (v.frameWidth || 0) > Math.max(capWidth, halfWidth); };
  const up = await sampleFor(UP_WAIT_S, (s) => { const v = mainVideo(s); return v && v.frameWidth >= fullWidth; });
  printTimeline('uncapped', up);
  const upAt = up.find(upPred);
  const fullAt = up.find((s) => { const v = mainVideo(s); return v && v.frameWidth >= fullWidth; });
  console.log(`# switch up after removing the cap (5% loss stays): above ${Math.max(capWidth, halfWidth)} wide ` +
    `${upAt ? `after ${upAt.rel.toFixed(0)} s` : `not within ${UP_WAIT_S} s`}, full width ${fullAt ? `after ${fullAt.rel.toFixed(0)} s` : `not within ${UP_WAIT_S} s`}`);
  if (!fullAt) {
    removeLoss();
    const clean = await sampleFor(UP_WAIT_NO_LOSS_S, (s) => { const v = mainVideo(s); return v && v.frameWidth >= fullWidth; });
    const cleanFull = clean.find((s) => { const v = mainVideo(s); return v && v.frameWidth >= fullWidth; });
    const cv = mainVideo(clean[clean.length - 1]);
    console.log(`# loss removed too: full width ${cleanFull ? `after ${cleanFull.rel.toFixed(0)} s` : `not within ${UP_WAIT_NO_LOSS_S} s`} ` +
      `(width now ${cv && cv.frameWidth})`);
  }
  const pubEnd = await sampleOf(pub);
  console.log(`# publisher layers at the end: ${describeLayers(pubEnd)}`);
  const errors = await sub.evaluate(() => window.HzTest.errors);
  checks.ok(errors.length === 0, 'the server sent the subscriber no error', errors.join('\n'));
} catch (e) {
  checks.ok(false, 'the test ran to the end', e.stack || String(e));
} finally {
  clearTimeout(bound);
  if (checks.failed > 0) await diagnostics().catch(() => {});
  await cleanup();
}
process.exit(checks.finish());
