// End to end: the real huizhen server ($HUIZHEN_BIN) and two headless Chromium
// users (a township doctor in zh-CN, a specialist in en) with fake camera and
// microphone join one consult room through their join_urls. Each must decode
// video and receive audio from the other through the SFU, see the other's
// tile labelled with name and institution, see the other's mute, and see the
// other leave. Prints join-to-first-frame per page. Screenshots and the
// server log go to $HUIZHEN_SCREENSHOT_DIR (meson's build dir) or the cwd.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync, mkdirSync, createWriteStream } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { launchBrowser, watchConsole, Checks } from './chromium.mjs';

const MEDIA_TIMEOUT_MS = 30000;
const EVENT_TIMEOUT_MS = 10000;
const ADMIN_KEY = 'test-admin-key';

const bin = process.env.HUIZHEN_BIN;
const shotDir = resolve(process.env.HUIZHEN_SCREENSHOT_DIR || process.cwd());
mkdirSync(shotDir, { recursive: true });

const checks = new Checks('browser-consult');
const consoleErrors = [];
const serverLog = [];
let server = null;
let browser = null;
let dataDir = null;

// ---- cleanup, also on signals and abnormal exit -------------------------------

function killServerNow() {
  if (server && server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
}
function removeDataDir() {
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  dataDir = null;
}
process.on('exit', () => {
  killServerNow();
  removeDataDir();
});
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, async () => {
    console.log(`received ${sig}: stopping`);
    killServerNow();
    if (browser) await browser.close().catch(() => {});
    process.exit(1);
  });
}

// ---- helpers ------------------------------------------------------------------

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function startServer(port) {
  dataDir = mkdtempSync(join(tmpdir(), 'huizhen-browser-'));
  const env = {
    ...process.env,
    HUIZHEN_STORAGE_DATA_DIR: dataDir,
    HUIZHEN_HTTP_LISTEN: `127.0.0.1:${port}`,
    HUIZHEN_AUTH_ADMIN_KEY: ADMIN_KEY,
    HUIZHEN_AUTH_TOKEN_SECRET: randomBytes(32).toString('hex'),
    HUIZHEN_MEDIA_IP: '127.0.0.1',
  };
  const logFile = createWriteStream(join(shotDir, 'browser-consult-server.log'));
  server = spawn(bin, [], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  for (const stream of [server.stdout, server.stderr]) {
    stream.on('data', (chunk) => {
      logFile.write(chunk);
      serverLog.push(...chunk.toString().split('\n').filter(Boolean));
      if (serverLog.length > 300) serverLog.splice(0, serverLog.length - 300);
    });
  }
  server.on('exit', () => logFile.end());
}

async function waitHealthy(base) {
  const deadline = Date.now() + 15000;
  while (Date.now() < deadline) {
    if (server.exitCode !== null || server.signalCode !== null) {
      throw new Error(`server exited early (code ${server.exitCode}, signal ${server.signalCode})`);
    }
    try {
      const r = await fetch(`${base}healthz`);
      if (r.ok) return;
    } catch {
      /* not listening yet */
    }
    await sleep(100);
  }
  throw new Error('GET /healthz did not answer 200 within 15 s');
}

async function api(base, method, path, body, expectStatus) {
  const r = await fetch(base + path.replace(/^\//, ''), {
    method,
    headers: { Authorization: `Bearer ${ADMIN_KEY}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  const expected = [].concat(expectStatus);
  if (!expected.includes(r.status)) throw new Error(`${method} ${path}: HTTP ${r.status} (expected ${expected.join(' or ')}): ${text}`);
  return JSON.parse(text);
}

/** The join_url's path and query on the server we started (the url may be absolute or relative). */
function joinUrlOn(base, joinUrl) {
  const u = new URL(joinUrl, base);
  return new URL(u.pathname + u.search, base).toString();
}

// Runs in the page: poll the subscriber's stats until video is decoded and
// audio packets arrive, or the time runs out.
async function waitForMediaInPage({ timeoutMs }) {
  const hz = window.hzClient;
  const start = performance.now();
  let firstFrameAt = null;
  let summary = null;
  const dump = async (pc) => {
    if (!pc) return null;
    const out = [];
    const keep = ['inbound-rtp', 'outbound-rtp', 'remote-inbound-rtp', 'transport', 'candidate-pair', 'local-candidate', 'remote-candidate'];
    (await pc.getStats()).forEach((s) => {
      if (keep.includes(s.type) && (s.type !== 'candidate-pair' || s.nominated)) out.push(s);
    });
    return out;
  };
  while (performance.now() - start < timeoutMs) {
    const pc = hz.subscriber;
    if (pc) {
      const inbound = [];
      (await pc.getStats()).forEach((s) => {
        if (s.type === 'inbound-rtp') {
          inbound.push({ kind: s.kind, mid: s.mid, ssrc: s.ssrc, packetsReceived: s.packetsReceived, framesDecoded: s.framesDecoded });
        }
      });
      summary = { inbound, subscriber: pc.connectionState, publisher: hz.publisher && hz.publisher.connectionState };
      const video = inbound.some((s) => s.kind === 'video' && s.framesDecoded > 0);
      const audio = inbound.some((s) => s.kind === 'audio' && s.packetsReceived > 0);
      if (video && firstFrameAt === null) firstFrameAt = performance.now();
      if (video && audio) return { ok: true, joinToFirstFrameMs: Math.round(firstFrameAt - hz.joinedAt), summary };
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    ok: false,
    summary,
    subscriberStats: await dump(hz.subscriber),
    publisherStats: await dump(hz.publisher),
    events: hz.events.map((e) => ({ ...e, sdp: e.sdp ? `${e.sdp.length} bytes` : undefined })),
  };
}

async function tileInfo(page, id) {
  return page.evaluate((pid) => {
    const el = document.querySelector(`.tile[data-participant-id="${CSS.escape(pid)}"]`);
    if (!el) return null;
    const v = el.querySelector('video');
    return {
      name: el.querySelector('.name').textContent,
      institution: el.querySelector('.institution').textContent,
      role: el.querySelector('.role-badge').textContent,
      videoWidth: v.videoWidth,
      hasVideo: el.classList.contains('has-video'),
      micMuted: !el.querySelector('.muted-mic').hidden,
      camMuted: !el.querySelector('.muted-cam').hidden,
    };
  }, String(id));
}

async function waitFor(page, fn, arg, what) {
  try {
    await page.waitForFunction(fn, arg, { timeout: EVENT_TIMEOUT_MS, polling: 100 });
    return true;
  } catch {
    console.log(`  (timed out after ${EVENT_TIMEOUT_MS} ms waiting for: ${what})`);
    return false;
  }
}

const tileSel = (id) => `.tile[data-participant-id="${String(id).replace(/["\\]/g, '\\$&')}"]`;

// ---- the test ------------------------------------------------------------------

try {
  if (!bin) throw new Error('HUIZHEN_BIN is not set (meson sets it to the huizhen executable)');
  const port = await freePort();
  const base = `http://127.0.0.1:${port}/`;
  startServer(port);
  await waitHealthy(base);
  checks.ok(true, 'server answers GET /healthz');

  const now = new Date();
  const room = await api(base, 'POST', '/api/v1/rooms', {
    title: '远程会诊：胸痛待查',
    kind: 'consult',
    starts_at: now.toISOString(),
    ends_at: new Date(now.getTime() + 3600 * 1000).toISOString(),
  }, 201);
  checks.ok(typeof room.id === 'string' || typeof room.id === 'number', 'room created', JSON.stringify(room));

  const users = [
    { key: 'A', lang: 'zh-CN', user: 'doc-wang', display_name: '王建国', institution: '青山镇卫生院', role: 'doctor' },
    { key: 'B', lang: 'en', user: 'spec-li', display_name: 'Li Hua', institution: 'County People\'s Hospital', role: 'specialist' },
  ];
  for (const u of users) {
    const tok = await api(base, 'POST', `/api/v1/rooms/${encodeURIComponent(room.id)}/tokens`, {
      user: u.user, display_name: u.display_name, institution: u.institution, role: u.role,
    }, [200, 201]);
    checks.ok(typeof tok.token === 'string' && typeof tok.join_url === 'string' && tok.join_url.includes('token='),
      `token issued for ${u.role}`, JSON.stringify(tok));
    u.url = joinUrlOn(base, tok.join_url);
  }

  browser = await launchBrowser();
  for (const u of users) {
    const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
    await context.addInitScript((lang) => window.localStorage.setItem('huizhen.lang', lang), u.lang);
    u.page = await context.newPage();
    watchConsole(u.page, u.key, consoleErrors);
    await u.page.goto(u.url);
    await u.page.waitForSelector('body[data-ready="true"]', { timeout: 15000 });
    checks.equal(await u.page.locator('#claim-name').innerText(), u.display_name, `${u.key}: invitation shows the name from the token`);
    await u.page.screenshot({ path: join(shotDir, `consult-prejoin-${u.lang}.png`) });
  }

  await Promise.all(users.map((u) => u.page.click('#join-btn')));
  for (const u of users) {
    const joined = await waitFor(u.page, () => window.hzClient.state === 'joined', null, `${u.key} joined`);
    const st = await u.page.evaluate(() => ({ state: window.hzClient.state, id: window.hzClient.participantId, banner: document.getElementById('banner').textContent }));
    checks.ok(joined, `${u.key} (${u.role}) joined`, JSON.stringify(st));
    u.id = st.id;
  }
  const [A, B] = users;
  const pairs = [[A, B], [B, A]];

  // media both ways
  const media = await Promise.all(users.map((u) => u.page.evaluate(waitForMediaInPage, { timeoutMs: MEDIA_TIMEOUT_MS })));
  users.forEach((u, i) => {
    const m = media[i];
    checks.ok(m.ok, `${u.key} decodes video and receives audio from the other within ${MEDIA_TIMEOUT_MS / 1000} s`,
      m.ok ? '' : JSON.stringify(m, null, 1));
    if (m.ok) console.log(`# ${u.key} (${u.role}, ${u.lang}): join-to-first-frame ${m.joinToFirstFrameMs} ms`);
  });

  for (const [me, other] of pairs) {
    const shown = await waitFor(me.page, ([sel]) => {
      const el = document.querySelector(sel);
      return el && el.classList.contains('has-video') && el.querySelector('video').videoWidth > 0;
    }, [tileSel(other.id)], `${me.key} shows ${other.key}'s video`);
    const info = await tileInfo(me.page, other.id);
    checks.ok(shown && info && info.name === other.display_name && info.institution === other.institution,
      `${me.key} shows ${other.key}'s video in a tile labelled with name and institution`, JSON.stringify(info));
  }
  for (const u of users) await u.page.screenshot({ path: join(shotDir, `consult-call-${u.lang}.png`) });

  // mute: A mutes the microphone and turns the camera off; B sees both
  await A.page.click('#mic-btn');
  await A.page.click('#cam-btn');
  const sawMute = await waitFor(B.page, ([sel]) => {
    const el = document.querySelector(sel);
    return el && !el.querySelector('.muted-mic').hidden && !el.querySelector('.muted-cam').hidden;
  }, [tileSel(A.id)], 'B sees A muted');
  checks.ok(sawMute, 'B sees A\'s microphone muted and camera off', JSON.stringify(await tileInfo(B.page, A.id)));
  await B.page.screenshot({ path: join(shotDir, 'consult-muted-en.png') });
  await A.page.click('#mic-btn');
  await A.page.click('#cam-btn');
  const sawUnmute = await waitFor(B.page, ([sel]) => {
    const el = document.querySelector(sel);
    return el && el.querySelector('.muted-mic').hidden && el.querySelector('.muted-cam').hidden;
  }, [tileSel(A.id)], 'B sees A unmuted');
  checks.ok(sawUnmute, 'B sees A unmuted again', JSON.stringify(await tileInfo(B.page, A.id)));

  // leave: B leaves, A's tile for B goes
  await B.page.click('#leave-btn');
  const bState = await B.page.evaluate(() => ({
    state: window.hzClient.state,
    pub: window.hzClient.publisher && window.hzClient.publisher.connectionState,
    sub: window.hzClient.subscriber && window.hzClient.subscriber.connectionState,
  }));
  checks.ok(bState.state === 'left' && bState.pub === 'closed' && bState.sub === 'closed', 'B left: both connections closed', JSON.stringify(bState));
  const gone = await waitFor(A.page, ([sel]) => document.querySelector(sel) === null, [tileSel(B.id)], 'B\'s tile removed on A');
  checks.ok(gone, 'A sees B leave (tile removed)');

  checks.ok(consoleErrors.length === 0, 'no console errors in either page', consoleErrors.join('\n'));
} catch (e) {
  checks.ok(false, 'test ran to the end', e.stack || String(e));
} finally {
  if (browser) await browser.close().catch(() => {});
  browser = null;
  if (server && server.exitCode === null && server.signalCode === null) {
    server.kill('SIGTERM');
    const exited = await Promise.race([
      new Promise((r) => server.once('exit', () => r(true))),
      sleep(10000).then(() => false),
    ]);
    checks.ok(exited && server.exitCode === 0, 'server exits 0 on SIGTERM',
      `exited=${exited} code=${server.exitCode} signal=${server.signalCode}`);
    killServerNow();
  }
  if (checks.failed > 0 && serverLog.length > 0) {
    console.log('--- last server log lines ---');
    console.log(serverLog.slice(-60).join('\n'));
  }
  removeDataDir();
  checks.finish();
}
