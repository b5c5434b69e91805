// ICE-TCP test (issue 3, item 6: restrictive networks where the clinic's
// firewall drops all UDP). The real huizhen ($HUIZHEN_BIN) runs in network
// namespace hz-tcp-srv-<pid> (10.91.0.1) with [media] ip = that address and
// [media] ice_tcp_port set (HUIZHEN_MEDIA_ICE_TCP_PORT); headless Chromium
// runs in hz-tcp-cli-<pid> (10.91.0.2), joined by a veth pair, where nftables
// drops ALL UDP in both directions (input and output, named counters udp_in
// and udp_out), so only TCP gets through. No STUN or TURN is configured.
//   control  a server WITHOUT ice_tcp_port: a page joins and publishes; its
//            ICE connection must not reach 'connected' within 12 s although
//            checks ran (the browser's UDP was really dropped).
//   ice-tcp  the server WITH ice_tcp_port: a doctor and a specialist in one
//            consult (page/turn-client.js, iceTransportPolicy 'all') must each
//            decode the other's video and receive audio; every selected pair
//            has a local 'tcp' candidate and the server's host candidate on
//            ice_tcp_port; the server announced `tcp ... typ host tcptype
//            passive`; the nft UDP drop counters are > 0 at the end.
//   web client over ICE-TCP  the server WITH ice_tcp_port serving the bundled
//            real web client ($HUIZHEN_WEB_DIST, meson's web_dist_dir) as web
//            root: a township doctor (zh-CN) and a specialist (en) open the
//            consult page with their join tokens, pass the device check, click
//            #join-btn; each shows the other's decoded video in a tile; the
//            publisher's selected pair is local tcp -> the server's ice_tcp_port;
//            and #net-hint gets data-transport="tcp" with a text naming TCP
//            (the "经 TCP 连接：本网络阻断了 UDP…" hint). SKIP of this phase
//            only (a printed reason) when HUIZHEN_WEB_DIST is unset or unbuilt.
// Prints the time from join to first decoded frame over ICE-TCP, and the
// web client's hint text and the time from join until it showed.
// SKIP (77) with the reason when root, ip netns, nft, Chromium, playwright-core
// or HUIZHEN_BIN are missing. Everything is bounded; the servers, Chromium and
// the namespaces are removed at the end, on failure and on SIGINT/SIGTERM.
// Server logs go to $HUIZHEN_TURN_LOG_DIR (the build dir).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Checks, NetnsPair, httpIn, launchChromium, requireBrowserDeps, requireRootTools, run, skip, sleep } from '../impair/lib.mjs';
import { pipeOutput, waitHealthy } from '../browser/server.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const PAGE_DIR = join(HERE, 'page');
const SRV_IP = '10.91.0.1';
const CLI_IP = '10.91.0.2';
const HTTP_PORT = 18090; // inside a fresh namespace: always free
const ICE_TCP_PORT = 18444; // outside the UDP media range below
const ADMIN_KEY = 'ice-tcp-admin-key';
const CONTROL_MS = 12000;
const MEDIA_WAIT_MS = 40000;
const WEB_JOIN_MS = 15000;
const WEB_MEDIA_MS = 30000;
const WEB_HINT_MS = 15000;
const WEB_DIST = process.env.HUIZHEN_WEB_DIST || '';
const BOUND_MS = 170000; // meson kills at 200 s; we clean up before

// ---- preconditions -------------------------------------------------------------
requireRootTools('network namespaces, nftables', [['ip', ['netns', 'list'], 'iproute2'], ['nft', ['--version'], 'nftables']]);
const chromium = requireBrowserDeps();

const logDir = resolve(process.env.HUIZHEN_TURN_LOG_DIR || process.cwd());
mkdirSync(logDir, { recursive: true });

const net = new NetnsPair({ prefix: 'hz-tcp', veth: 'hzt', srvIp: SRV_IP, cliIp: CLI_IP });
const NS_SRV = net.srv;
const NS_CLI = net.cli;
const VETH_SRV = net.vethSrv;
const VETH_CLI = net.vethCli;
const NFT_TABLE = 'hzicetcp';

// ---- namespaces and the UDP block ------------------------------------------------
const inNs = (ns, cmd, args, opts) => net.inNs(ns, cmd, args, opts);

function setUpNetwork() {
  net.setUp();
  // The clinic's firewall: every UDP packet into or out of the client
  // namespace is counted and dropped; TCP (HTTP, WebSocket, ICE-TCP) passes.
  const ruleset = `table inet ${NFT_TABLE} {
  counter udp_in { }
  counter udp_out { }
  chain input { type filter hook input priority 0; policy accept; meta l4proto udp counter name "udp_in" drop; }
  chain output { type filter hook output priority 0; policy accept; meta l4proto udp counter name "udp_out" drop; }
}
`;
  const r = spawnSync('ip', ['netns', 'exec', NS_CLI, 'nft', '-f', '-'], { input: ruleset, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`nft -f (UDP block) failed: ${r.stderr}`);
}

function udpDrops() {
  const out = {};
  for (const name of ['udp_in', 'udp_out']) {
    const r = inNs(NS_CLI, 'nft', ['list', 'counter', 'inet', NFT_TABLE, name], { ok: true, quiet: true });
    const m = /packets (\d+) bytes (\d+)/.exec(r.stdout || '');
    out[name] = m ? Number(m[1]) : -1;
  }
  return out;
}

function tearDownNetwork() {
  net.tearDown();
}

// ---- the server, in NS_SRV -------------------------------------------------------
// The admin API from inside the namespace (a node child there does the fetch).
const nsFetch = (url, method, body) => httpIn(NS_SRV, url, method, body, ADMIN_KEY);

const servers = new Set();
const base = `http://${SRV_IP}:${HTTP_PORT}/`;

async function startServer(name, iceTcpPort, webRoot = PAGE_DIR) {
  const dataDir = mkdtempSync(join(tmpdir(), `huizhen-icetcp-${name}-`));
  const env = {
    ...process.env,
    HUIZHEN_STORAGE_DATA_DIR: dataDir,
    HUIZHEN_HTTP_LISTEN: `${SRV_IP}:${HTTP_PORT}`,
    HUIZHEN_HTTP_ALLOW_INSECURE: 'true',
    HUIZHEN_AUTH_ADMIN_KEY: ADMIN_KEY,
    HUIZHEN_AUTH_TOKEN_SECRET: randomBytes(32).toString('hex'),
    HUIZHEN_MEDIA_IP: SRV_IP,
    HUIZHEN_MEDIA_PORT_MIN: '31000',
    HUIZHEN_MEDIA_PORT_MAX: '31999',
    HUIZHEN_MEDIA_ICE_TCP_PORT: String(iceTcpPort),
    HUIZHEN_WEB_ROOT: webRoot,
  };
  // No STUN/TURN: the only way through is the server's TCP candidate.
  for (const k of ['HUIZHEN_MEDIA_STUN_SERVER', 'HUIZHEN_MEDIA_TURN_SERVER', 'HUIZHEN_MEDIA_TURN_USER', 'HUIZHEN_MEDIA_TURN_PASSWORD']) delete env[k];
  const proc = spawn('ip', ['netns', 'exec', NS_SRV, process.env.HUIZHEN_BIN], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines = [];
  const logPath = join(logDir, `ice-tcp-${name}-server.log`);
  pipeOutput(proc, logPath, lines, 400);
  const s = {
    name,
    proc,
    dataDir,
    logPath,
    lines,
    get running() { return proc.exitCode === null && proc.signalCode === null; },
    tail: (n = 40) => lines.slice(-n).join('\n'),
  };
  servers.add(s);
  const healthy = await waitHealthy(base, {
    probe: async () => (await nsFetch(`${base}healthz`, 'GET')).status === 200,
    alive: () => s.running,
    exited: () => new Error(`huizhen (${name}) exited early (code ${proc.exitCode}, signal ${proc.signalCode})\n${s.tail()}`),
    intervalMs: 150,
  });
  if (!healthy) throw new Error(`GET ${base}healthz did not answer 200 within 15 s\n${s.tail()}`);
  return s;
}

async function stopServer(s) {
  if (s.running) {
    s.proc.kill('SIGTERM');
    const done = await Promise.race([new Promise((r) => s.proc.once('exit', () => r(true))), sleep(5000).then(() => false)]);
    if (!done) s.proc.kill('SIGKILL');
  }
  rmSync(s.dataDir, { recursive: true, force: true });
  servers.delete(s);
}

async function api(method, path, body, expect) {
  const r = await nsFetch(base + path, method, body);
  if (![].concat(expect).includes(r.status)) throw new Error(`${method} ${path}: HTTP ${r.status}: ${r.text}`);
  return JSON.parse(r.text);
}

async function consultTokens(title, roles, extra = {}) {
  const now = new Date();
  const room = await api('POST', 'api/v1/rooms', {
    title,
    kind: 'consult',
    starts_at: now.toISOString(),
    ends_at: new Date(now.getTime() + 3600 * 1000).toISOString(),
    ...extra,
  }, 201);
  const tokens = [];
  for (const [user, role] of roles) {
    const t = await api('POST', `api/v1/rooms/${encodeURIComponent(room.id)}/tokens`,
      { user, display_name: user, institution: 'ice-tcp-test', role }, [200, 201]);
    tokens.push(t.token);
  }
  return tokens;
}

// ---- pages -----------------------------------------------------------------------
const consoleErrors = [];
async function openPage(browser, label) {
  const context = await browser.newContext({ viewport: { width: 800, height: 600 } });
  const page = await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(`[${label}] ${m.text()}`); });
  page.on('pageerror', (e) => consoleErrors.push(`[${label}] pageerror: ${e.message}`));
  await page.goto(`${base}index.html`, { timeout: 15000 });
  await page.waitForFunction(() => window.HzTurn !== undefined, null, { timeout: 5000 });
  return { label, context, page };
}

async function pageDiag(p, sample) {
  try {
    const d = await p.page.evaluate(() => ({ log: window.HzTurn.log.slice(-30), errors: window.HzTurn.errors,
      local: window.HzTurn.localCandidateTypes, remote: window.HzTurn.remoteCandidates }));
    return JSON.stringify({ sample, ...d, console: consoleErrors.slice(-10) }, null, 1);
  } catch (e) {
    return `(no page diagnostics: ${e.message})`;
  }
}

const sampleOf = (p) => p.page.evaluate(() => window.HzTurn.sample());
const passiveRe = (port) => new RegExp(`^candidate:\\S+ 1 tcp \\d+ ${SRV_IP.replace(/\./g, '\\.')} ${port} typ host tcptype passive`, 'i');

// ---- cleanup ---------------------------------------------------------------------
const checks = new Checks('ice-tcp');
let browser = null;
let cleaning = null;

function killServersNow() {
  for (const s of servers) {
    if (s.running) s.proc.kill('SIGKILL');
    rmSync(s.dataDir, { recursive: true, force: true });
  }
  servers.clear();
}

function cleanup() {
  if (!cleaning) {
    cleaning = (async () => {
      if (browser) await Promise.race([browser.close().catch(() => {}), sleep(5000)]);
      killServersNow();
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
  killServersNow();
  tearDownNetwork();
});
const bound = setTimeout(async () => {
  console.log(`not ok - the test ran over its ${BOUND_MS / 1000} s bound`);
  for (const s of servers) console.log(`--- ${s.name} server log (tail) ---\n${s.tail(60)}`);
  await cleanup();
  process.exit(1);
}, BOUND_MS);

// ---- control: no ice_tcp_port, UDP blocked -> no connection ----------------------
async function runControl() {
  console.log('# control: server without ice_tcp_port, all UDP dropped in the client namespace');
  const server = await startServer('control', 0);
  let p = null;
  try {
    const [token] = await consultTokens('ice-tcp control', [['township-doctor', 'doctor']]);
    p = await openPage(browser, 'control');
    const before = udpDrops();
    await p.page.evaluate((t) => window.HzTurn.start(t, { policy: 'all' }), token);
    const t0 = Date.now();
    const seen = new Set();
    let s = null;
    while (Date.now() - t0 < CONTROL_MS) {
      s = await sampleOf(p);
      seen.add(s.publisherIce);
      if (s.publisherIce === 'connected' || s.publisherIce === 'completed') break;
      await sleep(250);
    }
    const after = udpDrops();
    const remote = await p.page.evaluate(() => window.HzTurn.remoteCandidates);
    const states = [...seen].join(' -> ');
    console.log(`# control: publisher ICE states in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${states}; ` +
      `UDP dropped in/out during it: ${after.udp_in - before.udp_in}/${after.udp_out - before.udp_out}`);
    checks.ok(remote.publisher.some((c) => / udp /i.test(c)) && !remote.publisher.some((c) => / tcp /i.test(c)),
      `control: the server announced UDP candidates only (${remote.publisher.length} candidates)`, JSON.stringify(remote.publisher));
    checks.ok(seen.has('checking') || seen.has('failed') || seen.has('disconnected'),
      `control: the browser ran connectivity checks (ICE states ${states})`, await pageDiag(p, s));
    checks.ok(!seen.has('connected') && !seen.has('completed') && !(s && s.publisher),
      `control: without ICE-TCP the connection does not come up within ${CONTROL_MS / 1000} s with UDP blocked`, await pageDiag(p, s));
    checks.ok(after.udp_out > before.udp_out,
      `control: the browser's UDP was dropped by the firewall (${after.udp_out - before.udp_out} packets out)`);
  } finally {
    if (p) await p.context.close().catch(() => {});
    await stopServer(server);
  }
}

// ---- ICE-TCP: two pages decode each other --------------------------------------
async function runIceTcp() {
  console.log(`# ice-tcp: server with ice_tcp_port ${ICE_TCP_PORT}, all UDP dropped in the client namespace`);
  const server = await startServer('ice-tcp', ICE_TCP_PORT);
  const pages = [];
  try {
    const tokens = await consultTokens('ice-tcp consult', [['township-doctor', 'doctor'], ['county-specialist', 'specialist']]);
    for (const label of ['doctor', 'specialist']) pages.push(await openPage(browser, label));
    await Promise.all(pages.map((p, i) => p.page.evaluate((t) => window.HzTurn.start(t, { policy: 'all' }), tokens[i])));

    const samples = new Array(pages.length).fill(null);
    const deadline = Date.now() + MEDIA_WAIT_MS;
    while (Date.now() < deadline) {
      for (let i = 0; i < pages.length; i++) samples[i] = await sampleOf(pages[i]);
      if (samples.every((s) => s.framesDecoded > 0 && s.audioPackets > 0 && s.subscriber && s.publisher)) break;
      await sleep(100);
    }
    // A few more frames, so "decodes" is not one lucky key frame.
    await sleep(1500);
    for (let i = 0; i < pages.length; i++) samples[i] = await sampleOf(pages[i]);

    const re = passiveRe(ICE_TCP_PORT);
    for (let i = 0; i < pages.length; i++) {
      const s = samples[i];
      const p = pages[i];
      const diag = await pageDiag(p, s);
      checks.ok(s.framesDecoded > 10, `ice-tcp: ${p.label} decodes the other's video (${s.framesDecoded} frames, ${s.frameWidth} wide)`, diag);
      checks.ok(s.audioPackets > 0, `ice-tcp: ${p.label} receives the other's audio (${s.audioPackets} packets)`);
      for (const which of ['publisher', 'subscriber']) {
        const pair = s[which];
        checks.ok(pair && pair.localProtocol === 'tcp' && pair.remoteType === 'host' && pair.remotePort === ICE_TCP_PORT &&
          pair.remoteAddress === `${SRV_IP}:${ICE_TCP_PORT}`,
          `ice-tcp: ${p.label}'s ${which} pair is local tcp -> server host ${SRV_IP}:${ICE_TCP_PORT}` +
          (pair ? ` (local ${pair.localType}/${pair.localProtocol}/${pair.localTcpType} ${pair.localAddress}, remote ${pair.remoteType}/${pair.remoteProtocol} ${pair.remoteAddress})` : ''),
          JSON.stringify(pair));
      }
      const remote = await p.page.evaluate(() => window.HzTurn.remoteCandidates);
      for (const which of ['publisher', 'subscriber']) {
        checks.ok(remote[which].some((c) => re.test(c)),
          `ice-tcp: the server announced "tcp ... ${SRV_IP} ${ICE_TCP_PORT} typ host tcptype passive" on ${p.label}'s ${which} connection`,
          JSON.stringify(remote[which]));
      }
    }
    const firsts = samples.map((s) => s.firstFrameMs);
    console.log(`# ice-tcp: time from join to first decoded frame over ICE-TCP (ms): doctor ${firsts[0]}, specialist ${firsts[1]}`);
    const drops = udpDrops();
    console.log(`# ice-tcp: nft dropped UDP packets in the client namespace over the whole test: in ${drops.udp_in}, out ${drops.udp_out}`);
    checks.ok(drops.udp_out > 0, `the nft UDP drop counter is > 0: the browser tried UDP and it was blocked (${drops.udp_out} out, ${drops.udp_in} in)`);
    if (checks.failed > 0) console.log(`--- ice-tcp server log (tail) ---\n${server.tail(60)}`);
  } finally {
    for (const p of pages) await p.context.close().catch(() => {});
    await stopServer(server);
  }
}

// ---- the real web client over ICE-TCP: the user sees why ----------------------
// Runs in the page: the publisher's selected candidate pair (from the
// transport stats), local and remote candidate, for the check that the hint
// tells the truth.
async function selectedPairInPage() {
  const pc = window.hzClient.publisher;
  if (!pc) return null;
  const r = await pc.getStats();
  let pair = null;
  r.forEach((s) => { if (s.type === 'transport' && s.selectedCandidatePairId) pair = r.get(s.selectedCandidatePairId); });
  if (!pair) return null;
  const l = r.get(pair.localCandidateId) || {};
  const m = r.get(pair.remoteCandidateId) || {};
  return { localType: l.candidateType, localProtocol: l.protocol, localTcpType: l.tcpType,
    remoteType: m.candidateType, remoteProtocol: m.protocol, remoteAddress: `${m.address || m.ip}:${m.port}` };
}

async function webDiag(u) {
  try {
    const d = await u.page.evaluate(() => ({
      state: window.hzClient.state,
      pub: window.hzClient.publisher && window.hzClient.publisher.connectionState,
      sub: window.hzClient.subscriber && window.hzClient.subscriber.connectionState,
      mine: window.hzClient.quality[String(window.hzClient.participantId)] || null,
      hint: { text: document.getElementById('net-hint').textContent, transport: document.getElementById('net-hint').dataset.transport },
      banner: (document.getElementById('banner') || {}).textContent,
      events: window.hzClient.events.slice(-12).map((e) => ({ ...e, sdp: e.sdp ? `${e.sdp.length} bytes` : undefined })),
    }));
    return JSON.stringify({ ...d, console: consoleErrors.slice(-10) }, null, 1);
  } catch (e) {
    return `(no page diagnostics: ${e.message})`;
  }
}

async function runWebClient() {
  if (!WEB_DIST || !existsSync(join(WEB_DIST, 'index.html'))) {
    console.log(`# SKIP web client over ICE-TCP: the bundled web client is not available ` +
      `(HUIZHEN_WEB_DIST='${WEB_DIST}'; run deploy/install-web-deps.sh and reconfigure meson)`);
    return;
  }
  console.log(`# web client over ICE-TCP: the real consult page (${WEB_DIST}), all UDP dropped in the client namespace`);
  const server = await startServer('web-client', ICE_TCP_PORT, WEB_DIST);
  const users = [
    { label: 'doctor', lang: 'zh-CN', user: 'township-doctor', role: 'doctor' },
    { label: 'specialist', lang: 'en', user: 'county-specialist', role: 'specialist' },
  ];
  try {
    const tokens = await consultTokens('ICE-TCP 会诊', users.map((u) => [u.user, u.role]), { host_institution: '县人民医院' });
    for (const [i, u] of users.entries()) {
      u.context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
      await u.context.addInitScript((lang) => window.localStorage.setItem('huizhen.lang', lang), u.lang);
      u.page = await u.context.newPage();
      u.page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(`[web ${u.label}] ${m.text()}`); });
      u.page.on('pageerror', (e) => consoleErrors.push(`[web ${u.label}] pageerror: ${e.message}`));
      await u.page.goto(`${base}?token=${encodeURIComponent(tokens[i])}`, { timeout: 15000 });
      await u.page.waitForSelector('body[data-ready="true"]', { timeout: 15000 });
      // the device check: a camera listed and the microphone level moving
      const level = await u.page.waitForFunction(() => window.hzClient.device.micLevel > 0, null, { timeout: 5000 }).then(() => true, () => false);
      const cams = await u.page.locator('#camera-select option').count();
      checks.ok(level && cams >= 1, `web: ${u.label}: device check before joining (camera listed, microphone level moves)`,
        JSON.stringify(await u.page.evaluate(() => window.hzClient.device)));
    }

    await Promise.all(users.map((u) => u.page.click('#join-btn')));
    for (const u of users) {
      const joined = await u.page.waitForFunction(() => window.hzClient.state === 'joined', null, { timeout: WEB_JOIN_MS, polling: 100 })
        .then(() => true, () => false);
      u.id = await u.page.evaluate(() => String(window.hzClient.participantId));
      checks.ok(joined, `web: ${u.label} (${u.lang}) joined the consult`, await webDiag(u));
    }
    const [doctor, specialist] = users;
    // From now on, note when each page's hint first says TCP (polled every 100 ms).
    const hintSeen = users.map((u) => u.page.waitForFunction(
      () => document.getElementById('net-hint').dataset.transport === 'tcp' && Math.round(performance.now() - window.hzClient.joinedAt),
      null, { timeout: WEB_HINT_MS, polling: 100 }).then((h) => h.jsonValue(), () => null));

    // Media both ways: the other's tile shows decoded video.
    for (const [me, other] of [[doctor, specialist], [specialist, doctor]]) {
      const shown = await me.page.waitForFunction((id) => {
        const el = document.querySelector(`.tile[data-participant-id="${CSS.escape(id)}"]`);
        return el && el.classList.contains('has-video') && el.querySelector('video').videoWidth > 0;
      }, other.id, { timeout: WEB_MEDIA_MS, polling: 100 }).then(() => true, () => false);
      const frames = await me.page.evaluate(async () => {
        const pc = window.hzClient.subscriber;
        let n = 0;
        if (pc) (await pc.getStats()).forEach((s) => { if (s.type === 'inbound-rtp' && s.kind === 'video') n += s.framesDecoded || 0; });
        return { n, sinceJoinMs: Math.round(performance.now() - window.hzClient.joinedAt) };
      });
      checks.ok(shown && frames.n > 0, `web: ${me.label} shows ${other.label}'s video decoding in a tile over ICE-TCP ` +
        `(${frames.n} frames decoded ${frames.sinceJoinMs} ms after joining)`, await webDiag(me));
    }

    // The hint: how media travels, in plain language, on each page.
    for (const [i, u] of users.entries()) {
      const seenMs = await hintSeen[i];
      const h = await u.page.evaluate(() => ({
        text: document.getElementById('net-hint').textContent,
        transport: document.getElementById('net-hint').dataset.transport,
        mine: window.hzClient.quality[String(window.hzClient.participantId)] || null,
      }));
      console.log(`# web: ${u.label} (${u.lang}) #net-hint data-transport="${h.transport}": "${h.text}" ` +
        `(first seen ${seenMs === null ? 'never' : `${seenMs} ms`} after joining)`);
      checks.ok(seenMs !== null, `web: ${u.label}'s #net-hint has data-transport="tcp" within ${WEB_HINT_MS / 1000} s of joining`, await webDiag(u));
      checks.ok(h.text.includes('TCP'), `web: ${u.label}'s #net-hint text names TCP ("${h.text}")`, await webDiag(u));
      checks.ok(h.mine && h.mine.transport && h.mine.transport.kind === 'tcp',
        `web: ${u.label}'s own quality record has transport kind 'tcp'`, JSON.stringify(h.mine));
      if (u.lang === 'zh-CN') {
        checks.ok(h.text.includes('经 TCP 连接') && h.text.includes('UDP'),
          `web: the doctor's hint is the zh-CN "经 TCP 连接：本网络阻断了 UDP…" text`, h.text);
      }
      // The hint tells the truth: the publisher's selected pair is ICE-TCP to the server.
      const pair = await u.page.evaluate(selectedPairInPage);
      checks.ok(pair && pair.localProtocol === 'tcp' && pair.remoteProtocol === 'tcp' && pair.remoteType === 'host' &&
        pair.remoteAddress === `${SRV_IP}:${ICE_TCP_PORT}`,
        `web: ${u.label}'s publisher pair really is local tcp -> server host ${SRV_IP}:${ICE_TCP_PORT}` +
        (pair ? ` (local ${pair.localType}/${pair.localProtocol}/${pair.localTcpType}, remote ${pair.remoteType}/${pair.remoteProtocol} ${pair.remoteAddress})` : ''),
        JSON.stringify(pair));
    }
    if (checks.failed > 0) console.log(`--- web-client server log (tail) ---\n${server.tail(60)}`);
  } finally {
    for (const u of users) if (u.context) await u.context.close().catch(() => {});
    await stopServer(server);
  }
}

try {
  setUpNetwork();
  console.log(`# namespaces ${NS_SRV} (${SRV_IP}, ${VETH_SRV}) and ${NS_CLI} (${CLI_IP}, ${VETH_CLI}, all UDP dropped)`);
  // getUserMedia needs a secure context: treat the test origin as one.
  browser = await launchChromium(chromium, { netns: NS_CLI,
    extraArgs: [`--unsafely-treat-insecure-origin-as-secure=http://${SRV_IP}:${HTTP_PORT}`] });
  await runControl();
  await runIceTcp();
  await runWebClient();
} catch (e) {
  checks.ok(false, 'the test ran to its end', `${e.stack}\n${[...servers].map((s) => s.tail(30)).join('\n')}`);
} finally {
  clearTimeout(bound);
  await cleanup();
}
process.exit(checks.finish());
