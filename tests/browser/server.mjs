// The real huizhen server ($HUIZHEN_BIN) for a browser test: a free loopback
// port, a throw-away data directory, the bundled web client as web root
// ($HUIZHEN_WEB_DIST), the admin API, and cleanup on exit or signal.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync, createWriteStream } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ADMIN_KEY = 'test-admin-key';
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

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
    const logFile = createWriteStream(join(this.logDir, `${this.name}-server.log`));
    this.proc = spawn(bin, [], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    for (const stream of [this.proc.stdout, this.proc.stderr]) {
      stream.on('data', (chunk) => {
        logFile.write(chunk);
        this.log.push(...chunk.toString().split('\n').filter(Boolean));
        if (this.log.length > 300) this.log.splice(0, this.log.length - 300);
      });
    }
    this.proc.on('exit', () => logFile.end());
    await this.#waitHealthy();
  }

  get running() {
    return this.proc !== null && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  async #waitHealthy() {
    const deadline = Date.now() + 15000;
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`server exited early (code ${this.proc.exitCode}, signal ${this.proc.signalCode})`);
      try {
        const r = await fetch(`${this.base}healthz`);
        if (r.ok) return;
      } catch {
        /* not listening yet */
      }
      await sleep(100);
    }
    throw new Error('GET /healthz did not answer 200 within 15 s');
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
