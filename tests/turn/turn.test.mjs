// TURN test (issue 3, item 6: restrictive networks). A real coturn
// (`turnserver`, Debian package coturn) on loopback with long-term
// credentials and TLS on a free port (self-signed certificate made by
// openssl), the real huizhen ($HUIZHEN_BIN) handing it to clients through
// [media] turn_server/turn_user/turn_password (HUIZHEN_MEDIA_TURN_*), and two
// headless Chromium pages (a doctor and a specialist in one consult) that
// speak the protocol directly (page/turn-client.js, served as the web root)
// with iceTransportPolicy 'relay':
//   (a) TURN over UDP, relay only;
//   (b) TCP only: TURN over TLS (turns:...?transport=tcp); the browser never
//       sends UDP itself, coturn relays to the server over UDP.
// Each page must decode the other's video (framesDecoded > 0) over a selected
// pair whose local candidate is "relay" with the expected relayProtocol, and
// coturn's log must show the allocations. Prints the time to first frame.
// SKIP (77) with the reason when turnserver, openssl, Chromium, playwright-core
// or HUIZHEN_BIN are missing. Every process is bounded and killed at the end.
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM_PATH, CHROMIUM_ARGS as BASE_CHROMIUM_ARGS, PROTOCOL_PAGE_ARGS, Checks } from '../browser/chromium.mjs';
import { freePort, pipeOutput, sleep, waitHealthy } from '../browser/server.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const PAGE_DIR = join(HERE, 'page');
const LOG_DIR = process.env.HUIZHEN_TURN_LOG_DIR || tmpdir();
const ADMIN_KEY = 'turn-admin-key';
const TURN_USER = 'clinic';
const TURN_PASSWORD = randomBytes(12).toString('hex');
const TURN_REALM = 'huizhen.test';
const TEST_DEADLINE_MS = 150000; // meson kills at 200 s; we clean up before

const CHROMIUM_ARGS = [
  ...BASE_CHROMIUM_ARGS,
  ...PROTOCOL_PAGE_ARGS,
  // The TURN server and the SFU are on 127.0.0.1: let WebRTC use loopback.
  '--allow-loopback-in-peer-connection',
];

function skip(reason) {
  console.log(`SKIP: ${reason}`);
  process.exit(77);
}

function which(cmd) {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

// Child processes started here, killed (SIGKILL) on any exit path.
const children = new Set();
function track(proc) {
  children.add(proc);
  proc.on('exit', () => children.delete(proc));
  return proc;
}
function killAll() {
  for (const p of children) {
    try {
      p.kill('SIGKILL');
    } catch {
      /* gone */
    }
  }
}
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(1));

function spawnLogged(cmd, args, { env, logName }) {
  const logPath = join(LOG_DIR, logName);
  const proc = track(spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] }));
  const lines = pipeOutput(proc, logPath, [], 400);
  proc.tail = (n = 40) => lines.slice(-n).join('\n');
  proc.logPath = logPath;
  return proc;
}

const running = (p) => p && p.exitCode === null && p.signalCode === null;

async function stopProc(p, ms = 5000) {
  if (!running(p)) return;
  p.kill('SIGTERM');
  const done = await Promise.race([new Promise((r) => p.once('exit', () => r(true))), sleep(ms).then(() => false)]);
  if (!done) p.kill('SIGKILL');
}

function tcpReady(port) {
  return new Promise((resolve) => {
    import('node:net').then(({ connect }) => {
      const s = connect({ host: '127.0.0.1', port }, () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
      s.setTimeout(1000, () => {
        s.destroy();
        resolve(false);
      });
    });
  });
}

// ---------------------------------------------------------------- coturn

// Chromium checks the certificate of a turns: server like any TLS peer and
// refuses a self-signed one (the allocation fails with 701). The test trusts
// exactly this certificate's key (--ignore-certificate-errors-spki-list),
// not every certificate.
function spkiHash(certPath) {
  const der = new X509Certificate(readFileSync(certPath)).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('base64');
}

async function startCoturn(dir) {
  const cert = join(dir, 'turn-cert.pem');
  const key = join(dir, 'turn-key.pem');
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
    '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
    '-keyout', key, '-out', cert], { encoding: 'utf8', timeout: 20000 });
  if (r.status !== 0) throw new Error(`openssl req failed: ${r.stderr}`);
  const port = await freePort();
  const tlsPort = await freePort();
  // A relay port range of its own, away from huizhen's media ports (below).
  const relayMin = 40000 + Math.floor(Math.random() * 40) * 500;
  const conf = [
    `listening-ip=127.0.0.1`,
    `relay-ip=127.0.0.1`,
    `listening-port=${port}`,
    `tls-listening-port=${tlsPort}`,
    // Only the two ports above: no alternative ports, no DTLS, no CLI.
    `alt-listening-port=0`,
    `alt-tls-listening-port=0`,
    `no-dtls`,
    `no-cli`,
    `min-port=${relayMin}`,
    `max-port=${relayMin + 499}`,
    `fingerprint`,
    `lt-cred-mech`,
    `realm=${TURN_REALM}`,
    `user=${TURN_USER}:${TURN_PASSWORD}`,
    `userdb=${join(dir, 'turndb')}`,
    `cert=${cert}`,
    `pkey=${key}`,
    `cipher-list=DEFAULT`,
    // The peer (the SFU) is on loopback too; multicast stays refused.
    `allow-loopback-peers`,
    `no-multicast-peers`,
    `pidfile=${join(dir, 'turnserver.pid')}`,
    `log-file=stdout`,
    `simple-log`,
    `verbose`,
    `no-software-attribute`,
  ].join('\n');
  const confPath = join(dir, 'turnserver.conf');
  writeFileSync(confPath, `${conf}\n`);
  const proc = spawnLogged('turnserver', ['-c', confPath], { env: process.env, logName: 'turn-coturn.log' });
  const deadline = Date.now() + 10000;
  while (Date.now() < deadline) {
    if (!running(proc)) throw new Error(`turnserver exited early (${proc.exitCode})\n${proc.tail()}`);
    if ((await tcpReady(port)) && (await tcpReady(tlsPort))) return { proc, port, tlsPort, relayMin, spki: spkiHash(cert) };
    await sleep(150);
  }
  throw new Error(`turnserver did not listen on ${port}/${tlsPort} within 10 s\n${proc.tail()}`);
}

// ---------------------------------------------------------------- huizhen

async function startHuizhen(dir, name, turnUrl) {
  const port = await freePort();
  const dataDir = mkdtempSync(join(dir, `${name}-data-`));
  const env = {
    ...process.env,
    HUIZHEN_STORAGE_DATA_DIR: dataDir,
    HUIZHEN_HTTP_LISTEN: `127.0.0.1:${port}`,
    HUIZHEN_AUTH_ADMIN_KEY: ADMIN_KEY,
    HUIZHEN_AUTH_TOKEN_SECRET: randomBytes(32).toString('hex'),
    HUIZHEN_MEDIA_IP: '127.0.0.1',
    HUIZHEN_MEDIA_PORT_MIN: '31000',
    HUIZHEN_MEDIA_PORT_MAX: '31999',
    HUIZHEN_MEDIA_TURN_SERVER: turnUrl,
    HUIZHEN_MEDIA_TURN_USER: TURN_USER,
    HUIZHEN_MEDIA_TURN_PASSWORD: TURN_PASSWORD,
    HUIZHEN_WEB_ROOT: PAGE_DIR,
  };
  const proc = spawnLogged(process.env.HUIZHEN_BIN, [], { env, logName: `turn-${name}-server.log` });
  const base = `http://127.0.0.1:${port}/`;
  await waitHealthy(base, {
    alive: () => running(proc),
    exited: () => new Error(`huizhen exited early (${proc.exitCode})\n${proc.tail()}`),
  });
  const api = async (method, path, body, expect) => {
    const r = await fetch(base + path, {
      method,
      headers: { Authorization: `Bearer ${ADMIN_KEY}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    if (![].concat(expect).includes(r.status)) throw new Error(`${method} ${path}: HTTP ${r.status}: ${text}`);
    return JSON.parse(text);
  };
  return { proc, base, api, dataDir };
}

async function tokensFor(server, title) {
  const now = new Date();
  const room = await server.api('POST', 'api/v1/rooms', {
    title,
    kind: 'consult',
    starts_at: now.toISOString(),
    ends_at: new Date(now.getTime() + 3600 * 1000).toISOString(),
  }, 201);
  const out = [];
  for (const [user, role] of [['township-doctor', 'doctor'], ['county-specialist', 'specialist']]) {
    const t = await server.api('POST', `api/v1/rooms/${encodeURIComponent(room.id)}/tokens`,
      { user, display_name: user, institution: 'turn-test', role }, [200, 201]);
    out.push(t.token);
  }
  return out;
}

// ---------------------------------------------------------------- a case

async function runCase(checks, { browser, dir, name, turnUrl, relayProtocol, coturn }) {
  console.log(`# case ${name}: ice server ${turnUrl}`);
  const logStart = readFileSync(coturn.proc.logPath, 'utf8').length;
  const server = await startHuizhen(dir, name, turnUrl);
  const sink = [];
  const contexts = [];
  try {
    const tokens = await tokensFor(server, `turn ${name}`);
    const pages = [];
    for (const label of ['doctor', 'specialist']) {
      const context = await browser.newContext({ viewport: { width: 800, height: 600 } });
      contexts.push(context);
      const page = await context.newPage();
      page.on('console', (m) => { if (m.type() === 'error') sink.push(`[${label}] ${m.text()}`); });
      page.on('pageerror', (e) => sink.push(`[${label}] pageerror: ${e.message}`));
      await page.goto(`${server.base}index.html`, { timeout: 15000 });
      await page.waitForFunction(() => window.HzTurn !== undefined, null, { timeout: 5000 });
      pages.push({ label, page });
    }
    const iceServers = await Promise.all(pages.map((p, i) => p.page.evaluate((t) => window.HzTurn.start(t), tokens[i])));
    checks.ok(iceServers.every((s) => JSON.stringify(s).includes(turnUrl) && JSON.stringify(s).includes(TURN_USER)),
      `${name}: joined.ice_servers carries ${turnUrl} with its user`, JSON.stringify(iceServers[0]));

    const samples = new Array(pages.length).fill(null);
    const deadline = Date.now() + 30000;
    while (Date.now() < deadline) {
      for (let i = 0; i < pages.length; i++) samples[i] = await pages[i].page.evaluate(() => window.HzTurn.sample());
      if (samples.every((s) => s.framesDecoded > 0 && s.subscriber && s.publisher)) break;
      await sleep(100);
    }
    // A few more frames, so "decodes" is not one lucky key frame.
    await sleep(1500);
    for (let i = 0; i < pages.length; i++) samples[i] = await pages[i].page.evaluate(() => window.HzTurn.sample());

    for (let i = 0; i < pages.length; i++) {
      const s = samples[i];
      const { label, page } = pages[i];
      const diag = async () => JSON.stringify({ sample: s, log: (await page.evaluate(() => window.HzTurn.log)).slice(-25),
        candidates: await page.evaluate(() => window.HzTurn.localCandidateTypes), errors: sink.slice(-10) }, null, 1);
      checks.ok(s.framesDecoded > 10, `${name}: ${label} decodes the other's video through TURN (${s.framesDecoded} frames, ${s.frameWidth} wide)`,
        await diag());
      for (const which of ['publisher', 'subscriber']) {
        const pair = s[which];
        checks.ok(pair && pair.localType === 'relay' && pair.relayProtocol === relayProtocol,
          `${name}: ${label}'s ${which} connection runs over a relay candidate (${relayProtocol} to TURN)`,
          JSON.stringify(pair));
      }
      const types = await page.evaluate(() => window.HzTurn.localCandidateTypes);
      const all = [...types.publisher, ...types.subscriber];
      checks.ok(all.length > 0 && all.every((t) => t.startsWith('relay/')),
        `${name}: ${label} gathered relay candidates only (${[...new Set(all)].join(', ')})`);
    }
    const firsts = samples.map((s) => s.firstFrameMs);
    console.log(`# ${name}: time to first decoded frame via relay (from join, ms): doctor ${firsts[0]}, specialist ${firsts[1]}`);
    console.log(`# ${name}: selected pairs: ${samples.map((s, i) => `${pages[i].label} pub ${s.publisher && s.publisher.localAddress}->${s.publisher && s.publisher.remoteAddress}`).join('; ')}`);
    // coturn saw authenticated allocations for our user on this transport.
    const log = readFileSync(coturn.proc.logPath, 'utf8').slice(logStart);
    const allocations = log.split('\n').filter((l) => l.includes(`user <${TURN_USER}>: incoming packet ALLOCATE processed, success`)).length;
    checks.ok(allocations >= 4, `${name}: coturn logged ${allocations} authenticated allocations for ${TURN_USER} (4 connections)`);
  } finally {
    for (const c of contexts) await c.close().catch(() => {});
    await stopProc(server.proc);
    rmSync(server.dataDir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- main

async function main() {
  if (!process.env.HUIZHEN_BIN || !existsSync(process.env.HUIZHEN_BIN)) skip('HUIZHEN_BIN is not set or missing (meson sets it)');
  if (!which('turnserver')) skip('turnserver is missing (apt-get install coturn; deploy/install-test-deps.sh)');
  if (!which('openssl')) skip('openssl is missing');
  if (!existsSync(CHROMIUM_PATH)) skip(`${CHROMIUM_PATH} is missing (apt-get install chromium)`);
  let chromium;
  try {
    chromium = createRequire(join(HERE, '..', 'browser', 'package.json'))('playwright-core').chromium;
  } catch (e) {
    skip(`playwright-core is not installed in tests/browser/node_modules (deploy/install-browser-test-deps.sh): ${e.message}`);
  }

  const checks = new Checks('turn');
  const dir = mkdtempSync(join(tmpdir(), 'huizhen-turn-'));
  const guard = setTimeout(() => {
    console.log('not ok - test deadline reached; killing everything');
    killAll();
    process.exit(1);
  }, TEST_DEADLINE_MS);
  let coturn = null;
  let browser = null;
  try {
    coturn = await startCoturn(dir);
    console.log(`# coturn ${coturn.port} (UDP/TCP), ${coturn.tlsPort} (TLS), relay ports ${coturn.relayMin}-${coturn.relayMin + 499}`);
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, timeout: 30000,
      args: [...CHROMIUM_ARGS, `--ignore-certificate-errors-spki-list=${coturn.spki}`] });
    await runCase(checks, { browser, dir, coturn, name: 'udp-relay', relayProtocol: 'udp',
      turnUrl: `turn:127.0.0.1:${coturn.port}?transport=udp` });
    await runCase(checks, { browser, dir, coturn, name: 'tls-relay', relayProtocol: 'tls',
      turnUrl: `turns:127.0.0.1:${coturn.tlsPort}?transport=tcp` });
  } catch (e) {
    checks.ok(false, 'the test ran to its end', `${e.stack}\n${coturn ? coturn.proc.tail(20) : ''}`);
  } finally {
    clearTimeout(guard);
    if (browser) await browser.close().catch(() => {});
    if (coturn) await stopProc(coturn.proc);
    killAll();
    rmSync(dir, { recursive: true, force: true });
  }
  checks.finish();
}

await main();
