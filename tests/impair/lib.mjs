// Shared helpers of the impairment and simulcast tests: the real huizhen
// server ($HUIZHEN_BIN), optionally inside a network namespace, serving the
// protocol test page in tests/impair/page; the admin API (through a node child
// inside the namespace when there is one); Debian's /usr/bin/chromium through
// playwright-core (from tests/browser/node_modules), optionally launched
// inside a namespace through a wrapper script; a check counter; skipping.
import { spawn, spawnSync, execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync, writeFileSync, chmodSync, existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM_PATH, CHROMIUM_ARGS as BASE_CHROMIUM_ARGS, PROTOCOL_PAGE_ARGS } from '../browser/chromium.mjs';
import { freePort, pipeOutput, sleep, waitHealthy } from '../browser/server.mjs';

export { CHROMIUM_PATH, freePort, sleep };

export const HERE = dirname(fileURLToPath(import.meta.url));
export const PAGE_DIR = join(HERE, 'page');
export const ADMIN_KEY = 'impair-admin-key';

export const CHROMIUM_ARGS = [...BASE_CHROMIUM_ARGS, ...PROTOCOL_PAGE_ARGS];

/** Exit with meson's SKIP code (77) and a reason. */
export function skip(reason) {
  console.log(`SKIP: ${reason}`);
  process.exit(77);
}

/**
 * SKIP unless we are root and every [cmd, args, package] runs (what the
 * namespace tests need: ip netns, nft, tc).
 */
export function requireRootTools(why, tools) {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) skip(`needs root (${why})`);
  for (const [cmd, args, pkg] of tools) {
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    if (r.error || r.status !== 0) skip(`\`${cmd} ${args.join(' ')}\` is unavailable (${r.error ? r.error.message : r.stderr.trim()}): apt-get install ${pkg}`);
  }
}

/** playwright-core's chromium from tests/browser/node_modules, or SKIP. */
export function loadPlaywright() {
  const pkg = join(HERE, '..', 'browser', 'package.json');
  try {
    return createRequire(pkg)('playwright-core').chromium;
  } catch (e) {
    skip(`playwright-core is not installed in tests/browser/node_modules (deploy/install-browser-test-deps.sh): ${e.message}`);
  }
  return null;
}

/** Common preconditions of both tests: the server binary and Chromium. */
export function requireBrowserDeps() {
  if (!process.env.HUIZHEN_BIN) skip('HUIZHEN_BIN is not set (meson sets it to the huizhen executable)');
  if (!existsSync(process.env.HUIZHEN_BIN)) skip(`HUIZHEN_BIN ${process.env.HUIZHEN_BIN} does not exist`);
  if (!existsSync(CHROMIUM_PATH)) skip(`${CHROMIUM_PATH} is missing (apt-get install chromium)`);
  return loadPlaywright();
}

/** Run a command synchronously; throws with its stderr unless it exits 0 (or ok). */
export function run(cmd, args, { ok = false, quiet = false } = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0 && !ok) {
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${(r.stderr || '').trim()}${r.error ? r.error.message : ''}`);
  }
  if (!quiet && process.env.HUIZHEN_IMPAIR_VERBOSE) console.log(`# ${cmd} ${args.join(' ')}`);
  return r;
}

// The admin API from inside a namespace: a node child there does the fetch.
const NS_FETCH = `
const [url, method, key, body] = process.argv.slice(1);
fetch(url, { method, headers: { Authorization: 'Bearer ' + key, 'Content-Type': 'application/json' },
  body: body === '' ? undefined : body, signal: AbortSignal.timeout(8000) })
  .then(async (r) => { process.stdout.write(JSON.stringify({ status: r.status, text: await r.text() })); })
  .catch((e) => { process.stdout.write(JSON.stringify({ status: 0, text: String(e) })); });
`;

export function httpIn(netns, url, method, body, key = ADMIN_KEY) {
  if (!netns) {
    return fetch(url, {
      method,
      headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    }).then(async (r) => ({ status: r.status, text: await r.text() }), (e) => ({ status: 0, text: String(e) }));
  }
  return new Promise((resolve) => {
    execFile('ip', ['netns', 'exec', netns, process.execPath, '-e', NS_FETCH, url, method, key,
      body === undefined ? '' : JSON.stringify(body)], { timeout: 10000 }, (err, stdout) => {
      if (err && !stdout) return resolve({ status: 0, text: String(err) });
      try {
        resolve(JSON.parse(stdout));
      } catch {
        resolve({ status: 0, text: stdout });
      }
    });
  });
}

/**
 * Two network namespaces joined by a veth pair: <prefix>-srv-<pid> with
 * srvIp on <veth>s<pid>, <prefix>-cli-<pid> with cliIp on <veth>c<pid>, both
 * /24 with loopback up. setUp() first removes namespaces of this prefix left
 * by an earlier run that was SIGKILLed (its pid is gone), killing what still
 * runs in them; tearDown() kills what runs in ours and deletes them.
 */
export class NetnsPair {
  constructor({ prefix, veth, srvIp, cliIp }) {
    const id = process.pid;
    Object.assign(this, { prefix, srvIp, cliIp });
    this.srv = `${prefix}-srv-${id}`;
    this.cli = `${prefix}-cli-${id}`;
    this.vethSrv = `${veth}s${id}`;
    this.vethCli = `${veth}c${id}`;
    this.created = false;
  }

  /** Run cmd inside namespace ns (see run()). */
  inNs(ns, cmd, args, opts) {
    return run('ip', ['netns', 'exec', ns, cmd, ...args], opts);
  }

  static killPids(ns) {
    const pids = (run('ip', ['netns', 'pids', ns], { ok: true, quiet: true }).stdout || '').split(/\s+/).filter(Boolean);
    for (const pid of pids) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    return pids.length;
  }

  #removeStale() {
    const re = new RegExp(`^(${this.prefix}-(?:srv|cli)-(\\d+))\\b`);
    for (const line of (run('ip', ['netns', 'list'], { ok: true, quiet: true }).stdout || '').split('\n')) {
      const m = re.exec(line.trim());
      if (!m) continue;
      try {
        process.kill(Number(m[2]), 0);
        continue; /* its run is alive */
      } catch {
        /* gone: remove what it left */
      }
      const n = NetnsPair.killPids(m[1]);
      console.log(`# removing stale namespace ${m[1]} (killed ${n} processes left in it)`);
      run('ip', ['netns', 'del', m[1]], { ok: true });
    }
  }

  setUp() {
    this.#removeStale();
    this.created = true;
    run('ip', ['netns', 'add', this.srv]);
    run('ip', ['netns', 'add', this.cli]);
    for (const ns of [this.srv, this.cli]) this.inNs(ns, 'ip', ['link', 'set', 'lo', 'up']);
    run('ip', ['link', 'add', this.vethSrv, 'netns', this.srv, 'type', 'veth', 'peer', 'name', this.vethCli, 'netns', this.cli]);
    this.inNs(this.srv, 'ip', ['addr', 'add', `${this.srvIp}/24`, 'dev', this.vethSrv]);
    this.inNs(this.cli, 'ip', ['addr', 'add', `${this.cliIp}/24`, 'dev', this.vethCli]);
    this.inNs(this.srv, 'ip', ['link', 'set', this.vethSrv, 'up']);
    this.inNs(this.cli, 'ip', ['link', 'set', this.vethCli, 'up']);
  }

  tearDown() {
    if (!this.created) return;
    this.created = false;
    for (const ns of [this.cli, this.srv]) {
      NetnsPair.killPids(ns);
      run('ip', ['netns', 'del', ns], { ok: true });
    }
    const left = run('ip', ['netns', 'list'], { ok: true, quiet: true }).stdout || '';
    if (left.includes(this.srv) || left.includes(this.cli)) console.log(`# warning: namespaces still listed:\n${left}`);
  }
}

/**
 * The real server. host/port: where it listens (HUIZHEN_HTTP_LISTEN) and its
 * media address; netns: run it inside that namespace (ip netns exec).
 */
export class Server {
  constructor({ name, logDir, host = '127.0.0.1', port, netns = null }) {
    Object.assign(this, { name, logDir, host, port, netns });
    this.proc = null;
    this.dataDir = null;
    this.log = [];
    this.base = null;
  }

  async start() {
    if (!this.port) this.port = await freePort();
    this.base = `http://${this.host}:${this.port}/`;
    this.dataDir = mkdtempSync(join(tmpdir(), `huizhen-${this.name}-`));
    const env = {
      ...process.env,
      HUIZHEN_STORAGE_DATA_DIR: this.dataDir,
      HUIZHEN_HTTP_LISTEN: `${this.host}:${this.port}`,
      HUIZHEN_HTTP_ALLOW_INSECURE: 'true',
      HUIZHEN_AUTH_ADMIN_KEY: ADMIN_KEY,
      HUIZHEN_AUTH_TOKEN_SECRET: randomBytes(32).toString('hex'),
      HUIZHEN_MEDIA_IP: this.host,
      HUIZHEN_WEB_ROOT: PAGE_DIR,
    };
    const bin = process.env.HUIZHEN_BIN;
    const [cmd, args] = this.netns ? ['ip', ['netns', 'exec', this.netns, bin]] : [bin, []];
    this.proc = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    pipeOutput(this.proc, join(this.logDir, `${this.name}-server.log`), this.log, 400);
    const healthy = await waitHealthy(this.base, {
      probe: async () => (await httpIn(this.netns, `${this.base}healthz`, 'GET')).status === 200,
      alive: () => this.running,
      exited: () => new Error(`server exited early (code ${this.proc.exitCode}, signal ${this.proc.signalCode})\n${this.tail()}`),
      intervalMs: 150,
    });
    if (!healthy) throw new Error(`GET ${this.base}healthz did not answer 200 within 15 s\n${this.tail()}`);
  }

  get running() {
    return this.proc !== null && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  async api(method, path, body, expect) {
    const r = await httpIn(this.netns, this.base + path.replace(/^\//, ''), method, body);
    if (![].concat(expect).includes(r.status)) throw new Error(`${method} ${path}: HTTP ${r.status}: ${r.text}`);
    return JSON.parse(r.text);
  }

  /** A room open now for an hour, and a join token per {user, role}. */
  async roomWithTokens(users) {
    const now = new Date();
    const room = await this.api('POST', '/api/v1/rooms', {
      title: `impair ${this.name}`,
      kind: 'consult',
      starts_at: now.toISOString(),
      ends_at: new Date(now.getTime() + 3600 * 1000).toISOString(),
      capacity: 8,
    }, 201);
    const tokens = [];
    for (const u of users) {
      const t = await this.api('POST', `/api/v1/rooms/${encodeURIComponent(room.id)}/tokens`, {
        user: u.user, display_name: u.user, institution: 'impair', role: u.role,
      }, [200, 201]);
      tokens.push(t.token);
    }
    return { room, tokens };
  }

  kill() {
    if (this.running) this.proc.kill('SIGKILL');
    if (this.dataDir) rmSync(this.dataDir, { recursive: true, force: true });
    this.dataDir = null;
  }

  tail(n = 60) {
    return this.log.slice(-n).join('\n');
  }
}

/**
 * Launch Chromium (fresh temporary profile), inside netns when given: the
 * executable is then a wrapper script that runs `ip netns exec <ns> chromium`.
 */
export async function launchChromium(chromium, { netns = null, extraArgs = [] } = {}) {
  let executablePath = CHROMIUM_PATH;
  let wrapDir = null;
  if (netns) {
    wrapDir = mkdtempSync(join(tmpdir(), 'huizhen-impair-wrap-'));
    executablePath = join(wrapDir, 'chromium-in-netns');
    writeFileSync(executablePath, `#!/bin/sh\nexec ip netns exec ${netns} ${CHROMIUM_PATH} "$@"\n`);
    chmodSync(executablePath, 0o755);
  }
  try {
    const browser = await chromium.launch({ executablePath, headless: true, args: [...CHROMIUM_ARGS, ...extraArgs], timeout: 30000 });
    browser.on('disconnected', () => { if (wrapDir) rmSync(wrapDir, { recursive: true, force: true }); });
    return browser;
  } catch (e) {
    if (wrapDir) rmSync(wrapDir, { recursive: true, force: true });
    throw e;
  }
}

/** A page on the test page of server, with its console kept in sink. */
export async function openPage(browser, server, label, sink) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  const page = await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') sink.push(`[${label}] console.error: ${m.text()}`); });
  page.on('pageerror', (e) => sink.push(`[${label}] pageerror: ${e.message}`));
  await page.goto(`${server.base}index.html`, { timeout: 15000 });
  await page.waitForFunction(() => window.HzTest !== undefined, null, { timeout: 5000 });
  return page;
}

/** Poll fn (async) every intervalMs until it returns a truthy value or timeoutMs pass. */
export async function waitUntil(fn, timeoutMs, intervalMs = 250) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    last = await fn();
    if (last) return last;
    await sleep(intervalMs);
  }
  return null;
}

/** The main (highest packetsReceived) inbound video row of a sample. */
export function mainVideo(sample) {
  if (!sample || sample.video.length === 0) return null;
  return sample.video.reduce((a, b) => ((b.packetsReceived || 0) > (a.packetsReceived || 0) ? b : a));
}

export function mainAudio(sample) {
  if (!sample || sample.audio.length === 0) return null;
  return sample.audio.reduce((a, b) => ((b.packetsReceived || 0) > (a.packetsReceived || 0) ? b : a));
}

/** "q 320x180 30fps 140kbps | h ... " of a sample's publisher outbound layers. */
export function describeLayers(sample) {
  if (!sample) return '(no sample)';
  return sample.outVideo.map((o) => `${o.rid}:${o.frameWidth || 0}x${o.frameHeight || 0}@${Math.round(o.framesPerSecond || 0)}` +
    ` target=${Math.round((o.targetBitrate || 0) / 1000)}k limit=${o.qualityLimitationReason}`).join(' | ');
}

/** A named check list; finish() prints the closing line and sets the exit code. */
export class Checks {
  constructor(name) {
    this.name = name;
    this.passed = 0;
    this.failed = 0;
  }

  ok(cond, what, detail = '') {
    if (cond) {
      this.passed++;
      console.log(`ok - ${what}`);
    } else {
      this.failed++;
      console.log(`not ok - ${what}${detail ? `\n  ${String(detail).replace(/\n/g, '\n  ')}` : ''}`);
    }
    return cond;
  }

  finish() {
    console.log(`${this.name}: ${this.passed} passed, ${this.failed} failed`);
    return this.failed === 0 && this.passed > 0 ? 0 : 1;
  }
}
