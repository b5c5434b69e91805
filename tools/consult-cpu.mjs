// Measures the server's CPU while two headless Chromium participants talk
// through it: starts huizhen, joins two pages with fake camera+microphone,
// lets them talk for SECONDS (default 20), and prints the server's CPU time
// (from /proc/PID/stat), CPU % of one core, and its RSS. A figure printer,
// not a test. Usage: node tools/consult-cpu.mjs [build/server/huizhen] [seconds]
import { spawn } from 'node:child_process';
import { readFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(new URL('../tests/browser/package.json', import.meta.url));
const { chromium } = require('playwright-core');
const bin = process.argv[2] || 'build/server/huizhen';
const seconds = Number(process.argv[3] || 20);
const port = 18000 + Math.floor(Math.random() * 1000);
const base = `http://127.0.0.1:${port}`;
const key = 'cpu-admin-key';

const server = spawn(bin, [], {
  env: { ...process.env, HUIZHEN_HTTP_LISTEN: `127.0.0.1:${port}`, HUIZHEN_AUTH_ADMIN_KEY: key,
         HUIZHEN_STORAGE_DATA_DIR: mkdtempSync(join(tmpdir(), 'hz-cpu-')), HUIZHEN_MEDIA_IP: '127.0.0.1' },
  stdio: 'ignore',
});
const ticks = () => {
  const f = readFileSync(`/proc/${server.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(f[11]) + Number(f[12]); // utime + stime, clock ticks (100/s)
};
const rssKiB = () => Number(readFileSync(`/proc/${server.pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)[1]);
const api = async (path, body) => (await fetch(base + path, {
  method: 'POST', headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
  body: JSON.stringify(body) })).json();

try {
  for (let i = 0; i < 100; i++) {
    try { if ((await fetch(base + '/healthz')).ok) break; } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  const now = new Date();
  const room = await api('/api/v1/rooms', { title: 'cpu', kind: 'consult', starts_at: now.toISOString(),
    ends_at: new Date(now.getTime() + 3600e3).toISOString() });
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  for (const role of ['doctor', 'specialist']) {
    const tok = await api(`/api/v1/rooms/${room.id}/tokens`, { user: role, display_name: role, institution: 'x', role });
    const page = await browser.newPage();
    await page.goto(base + '/?token=' + tok.token);
    await page.click('#join-btn');
  }
  await new Promise((r) => setTimeout(r, 5000)); // warm-up: ICE, DTLS, first key frames
  const t0 = ticks();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const used = (ticks() - t0) / 100;
  console.log(`two participants, ${seconds} s: server CPU ${used.toFixed(2)} s = ${(100 * used / seconds).toFixed(2)} % of one core, RSS ${(rssKiB() / 1024).toFixed(1)} MiB`);
  await browser.close();
} finally {
  server.kill('SIGTERM');
}
