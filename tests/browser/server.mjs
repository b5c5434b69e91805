// The real huizhen server ($HUIZHEN_BIN) for a browser test: a free loopback
// port, a throw-away data directory, the bundled web client as web root
// ($HUIZHEN_WEB_DIST), the admin API, and cleanup on exit or signal. Also the
// pieces other browser-driven tests (cluster, impair, turn) share to start
// their own servers: freePort, pipeOutput, waitHealthy, sleep; and
// ClusterNode, one huizhen process of the two-node cluster browser tests.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync, createWriteStream } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ADMIN_KEY = 'test-admin-key';
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A free TCP port on 127.0.0.1 (bound and released). */
export function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

/**
 * Copy proc's stdout and stderr into the file logPath and keep the last max
 * lines in the array lines (returned); the file is closed when proc exits.
 */
export function pipeOutput(proc, logPath, lines = [], max = 300) {
  const logFile = createWriteStream(logPath);
  for (const stream of [proc.stdout, proc.stderr]) {
    stream.on('data', (chunk) => {
      logFile.write(chunk);
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      if (lines.length > max) lines.splice(0, lines.length - max);
    });
  }
  proc.on('exit', () => logFile.end());
  return lines;
}

/**
 * Poll until the server at base answers GET healthz with 2xx (or probe(),
 * when given, resolves true): resolves true then, false after timeoutMs.
 * When alive() turns false first, throws exited() (an Error).
 */
export async function waitHealthy(base, { probe, alive, exited, timeoutMs = 15000, intervalMs = 100 } = {}) {
  const check = probe || (async () => {
    try {
      return (await fetch(`${base}healthz`)).ok;
    } catch {
      return false; /* not listening yet */
    }
  });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (alive && !alive()) throw exited();
    if (await check()) return true;
    await sleep(intervalMs);
  }
  return false;
}

export class HuizhenServer {
  constructor({ name, logDir }) {
    this.name = name;
    this.logDir = logDir;
    this.proc = null;
    this.dataDir = null;
    this.log = [];
    this.base = null;
    process.on('exit', () => this.kill());
  }

  async start() {
    const bin = process.env.HUIZHEN_BIN;
    if (!bin) throw new Error('HUIZHEN_BIN is not set (meson sets it to the huizhen executable)');
    const port = await freePort();
    this.base = `http://127.0.0.1:${port}/`;
    this.dataDir = mkdtempSync(join(tmpdir(), 'huizhen-browser-'));
    const env = {
      ...process.env,
      HUIZHEN_STORAGE_DATA_DIR: this.dataDir,
      HUIZHEN_HTTP_LISTEN: `127.0.0.1:${port}`,
      HUIZHEN_AUTH_ADMIN_KEY: ADMIN_KEY,
      HUIZHEN_AUTH_TOKEN_SECRET: randomBytes(32).toString('hex'),
      HUIZHEN_MEDIA_IP: '127.0.0.1',
    };
    if (process.env.HUIZHEN_WEB_DIST) env.HUIZHEN_WEB_ROOT = process.env.HUIZHEN_WEB_DIST;
    this.proc = spawn(bin, [], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    pipeOutput(this.proc, join(this.logDir, `${this.name}-server.log`), this.log);
    const healthy = await waitHealthy(this.base, {
      alive: () => this.running,
      exited: () => new Error(`server exited early (code ${this.proc.exitCode}, signal ${this.proc.signalCode})`),
    });
    if (!healthy) throw new Error('GET /healthz did not answer 200 within 15 s');
  }

  get running() {
    return this.proc !== null && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** An admin API call; throws unless the status is one of expectStatus. */
  async api(method, path, body, expectStatus) {
    const r = await this.raw(method, path, body);
    const expected = [].concat(expectStatus);
    if (!expected.includes(r.status)) throw new Error(`${method} ${path}: HTTP ${r.status} (expected ${expected.join(' or ')}): ${r.text}`);
    return r.json;
  }

  async raw(method, path, body) {
    const r = await fetch(this.base + path.replace(/^\//, ''), {
      method,
      headers: { Authorization: `Bearer ${ADMIN_KEY}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    let json = null;
    try {
      json = JSON.parse(text);
    } catch {
      json = null;
    }
    return { status: r.status, text, json };
  }

  /** The join_url's path and query on this server (the url may be absolute or relative). */
  joinUrl(joinUrl) {
    const u = new URL(joinUrl, this.base);
    return new URL(u.pathname + u.search, this.base).toString();
  }

  /** SIGTERM and wait; resolves true when it exited 0 within 10 s. */
  async stop() {
    if (!this.running) return false;
    this.proc.kill('SIGTERM');
    const exited = await Promise.race([
      new Promise((r) => this.proc.once('exit', () => r(true))),
      sleep(10000).then(() => false),
    ]);
    const ok = exited && this.proc.exitCode === 0;
    this.kill();
    return ok;
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
 * One node of a cluster browser test (tests/cluster): the real huizhen as
 * node id, in the cluster of $HUIZHEN_TEST_REDIS_URL, sharing the SQLite room
 * store dbPath and the admin key / token secret with the other node; its
 * output goes to logPath. env: extra environment; apiTimeoutMs: bound on
 * each admin call (none when 0).
 */
export class ClusterNode {
  constructor({ id, adminKey, tokenSecret, dbPath, logPath, env = {}, apiTimeoutMs = 0 }) {
    Object.assign(this, { id, adminKey, tokenSecret, dbPath, logPath, extraEnv: env, apiTimeoutMs });
    this.proc = null;
    this.log = [];
  }

  async start() {
    const port = await freePort();
    this.base = `http://127.0.0.1:${port}/`;
    this.dataDir = mkdtempSync(join(tmpdir(), `huizhen-${this.id}-`));
    const env = {
      ...process.env,
      HUIZHEN_STORAGE_DATA_DIR: this.dataDir,
      HUIZHEN_DATABASE_URL: `sqlite:${this.dbPath}`,
      HUIZHEN_HTTP_LISTEN: `127.0.0.1:${port}`,
      HUIZHEN_AUTH_ADMIN_KEY: this.adminKey,
      HUIZHEN_AUTH_TOKEN_SECRET: this.tokenSecret,
      HUIZHEN_MEDIA_IP: '127.0.0.1',
      HUIZHEN_CLUSTER_REDIS_URL: process.env.HUIZHEN_TEST_REDIS_URL,
      HUIZHEN_CLUSTER_NODE_ID: this.id,
      ...this.extraEnv,
    };
    if (process.env.HUIZHEN_WEB_DIST) env.HUIZHEN_WEB_ROOT = process.env.HUIZHEN_WEB_DIST;
    this.proc = spawn(process.env.HUIZHEN_BIN, [], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    pipeOutput(this.proc, this.logPath, this.log);
    this.exited = new Promise((r) => this.proc.once('exit', r));
    if (!(await waitHealthy(this.base))) throw new Error(`${this.id}: /healthz did not answer`);
  }

  /** An admin API call; throws unless it answers 2xx; the parsed body. */
  async api(method, path, body) {
    const r = await fetch(this.base + path.replace(/^\//, ''), {
      method,
      headers: { Authorization: `Bearer ${this.adminKey}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: this.apiTimeoutMs ? AbortSignal.timeout(this.apiTimeoutMs) : undefined,
    });
    const text = await r.text();
    if (!r.ok) throw new Error(`${this.id}: ${method} ${path}: HTTP ${r.status}: ${text}`);
    return JSON.parse(text);
  }

  joinUrl(joinUrl) {
    const u = new URL(joinUrl, this.base);
    return new URL(u.pathname + u.search, this.base).toString();
  }

  get running() {
    return this.proc && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** SIGTERM, SIGKILL after 5 s; removes the data directory. */
  async stop() {
    if (this.running) {
      this.proc.kill('SIGTERM');
      await Promise.race([this.exited, sleep(5000)]);
      if (this.running) this.proc.kill('SIGKILL');
    }
    if (this.dataDir) rmSync(this.dataDir, { recursive: true, force: true });
  }

  tail(n = 40) {
    return this.log.slice(-n).join('\n');
  }
}
