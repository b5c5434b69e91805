// End to end, a teaching room on the real server ($HUIZHEN_BIN): a presenter
// (fake camera and microphone, a fake screen through getDisplayMedia) and
// three students who join without publishing. A student raises a hand, the
// presenter sees it with the institution and promotes the student, who then
// publishes and is seen and heard by the others. Recording is started and
// stopped by the admin API; the library then lists the session, the
// composed file plays in Chromium's <video> with a recording token and
// seeks, and gst-discoverer-1.0 reports video and audio and a duration
// within 2 s of the session. Until the server records rooms
// (POST /api/v1/rooms/{id}/recording answers 404 or 501) that part SKIPs.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { launchBrowser, watchConsole, Checks, CHROMIUM_ARGS } from './chromium.mjs';
import { HuizhenServer, ADMIN_KEY, sleep } from './server.mjs';

const EVENT_TIMEOUT_MS = 20000;
const SESSION_MS = 8000;
const shotDir = resolve(process.env.HUIZHEN_SCREENSHOT_DIR || process.cwd());
mkdirSync(shotDir, { recursive: true });

const checks = new Checks('browser-teaching');
const consoleErrors = [];
const server = new HuizhenServer({ name: 'browser-teaching', logDir: shotDir });
const browsers = [];

const waitFor = (page, fn, arg, timeout = EVENT_TIMEOUT_MS) =>
  page.waitForFunction(fn, arg, { timeout }).then(() => true, () => false);

// In the page: how many decoded video streams and receiving audio streams the subscriber has.
async function inboundInPage() {
  const pc = window.hzClient.subscriber;
  const out = { video: 0, audio: 0 };
  if (!pc) return out;
  (await pc.getStats()).forEach((s) => {
    if (s.type === 'inbound-rtp' && s.kind === 'video' && s.framesDecoded > 0) out.video++;
    if (s.type === 'inbound-rtp' && s.kind === 'audio' && s.packetsReceived > 0) out.audio++;
  });
  return out;
}

async function waitInbound(page, video, audio) {
  const end = Date.now() + 30000;
  let last = null;
  while (Date.now() < end) {
    last = await page.evaluate(inboundInPage);
    if (last.video >= video && last.audio >= audio) return { ok: true, last };
    await sleep(500);
  }
  return { ok: false, last };
}

try {
  await server.start();
  const now = new Date();
  const room = await server.api('POST', '/api/v1/rooms', {
    title: '教学：胸部CT读片', kind: 'teaching', starts_at: now.toISOString(),
    ends_at: new Date(now.getTime() + 3600 * 1000).toISOString(), host_institution: '省人民医院',
  }, 201);
  const users = [
    { key: 'P', user: 'dr-wang', display_name: '王主任', institution: '省人民医院', role: 'presenter' },
    { key: 'S1', user: 'stu-1', display_name: '李医生', institution: '青山镇卫生院', role: 'student' },
    { key: 'S2', user: 'stu-2', display_name: '赵医生', institution: '河口乡卫生院', role: 'student' },
    { key: 'S3', user: 'stu-3', display_name: '陈医生', institution: '石桥村卫生室', role: 'student' },
  ];
  for (const u of users) {
    const tok = await server.api('POST', `/api/v1/rooms/${encodeURIComponent(room.id)}/tokens`, {
      user: u.user, display_name: u.display_name, institution: u.institution, role: u.role,
    }, [200, 201]);
    u.url = server.joinUrl(tok.join_url);
  }
  // the presenter's browser also fakes a screen for getDisplayMedia
  const presenterBrowser = await launchBrowser({
    args: [...CHROMIUM_ARGS, '--auto-select-desktop-capture-source=Entire screen', '--auto-accept-this-tab-capture'],
  });
  const studentBrowser = await launchBrowser();
  browsers.push(presenterBrowser, studentBrowser);
  for (const u of users) {
    const context = await (u.role === 'presenter' ? presenterBrowser : studentBrowser).newContext({ viewport: { width: 1280, height: 720 } });
    await context.addInitScript((key) => {
      window.localStorage.setItem('huizhen.lang', 'zh-CN');
      window.sessionStorage.setItem('huizhen.admin_key', key);
    }, ADMIN_KEY);
    u.context = context;
    u.page = await context.newPage();
    watchConsole(u.page, u.key, consoleErrors);
    await u.page.goto(u.url);
    await u.page.waitForSelector('body[data-ready="true"]', { timeout: 15000 });
  }
  const [P, S1, S2, S3] = users;
  await Promise.all(users.map((u) => u.page.click('#join-btn')));
  for (const u of users) {
    checks.ok(await waitFor(u.page, () => window.hzClient.state === 'joined'), `${u.key} joined`);
    u.id = await u.page.evaluate(() => window.hzClient.participantId);
  }
  checks.ok(await P.page.evaluate(() => document.body.classList.contains('teaching')), 'teaching layout on the presenter page');
  checks.ok(!(await S1.page.evaluate(() => window.hzClient.publishing)), 'students join without publishing');

  await P.page.click('#share-btn');
  checks.ok(await waitFor(P.page, () => window.hzClient.screenSharing === true), 'presenter shares the screen (getDisplayMedia)');
  for (const s of [S1, S2, S3]) {
    const r = await waitInbound(s.page, 2, 1);
    checks.ok(r.ok, `${s.key} receives presenter camera + screen and audio`, JSON.stringify(r.last));
  }

  // raise hand → presenter sees it with the institution → promote
  await S1.page.click('#hand-btn');
  const row = `#people li[data-participant-id="${S1.id}"]`;
  await P.page.click('#people-btn');
  checks.ok(await waitFor(P.page, (sel) => !!document.querySelector(`${sel} .hand`), row), 'presenter sees the raised hand');
  checks.ok((await P.page.locator(row).innerText()).includes('青山镇卫生院'), 'participant list shows the institution');
  await P.page.click(`${row} button[data-moderate="promote"]`);
  checks.ok(await waitFor(S1.page, () => window.hzClient.publishing === true), 'promoted student publishes');
  for (const o of [P, S2, S3]) {
    const want = o === P ? 1 : 3; // the presenter does not receive its own tracks
    const r = await waitInbound(o.page, want, o === P ? 1 : 2);
    checks.ok(r.ok, `${o.key} sees and hears the promoted student`, JSON.stringify(r.last));
  }

  // recording through the admin API, then the library
  const start = await server.raw('POST', `/api/v1/rooms/${encodeURIComponent(room.id)}/recording`, { action: 'start' });
  if (start.status === 404 || start.status === 501) {
    console.log(`SKIP recording: POST /api/v1/rooms/{id}/recording answered ${start.status} (the server does not record rooms yet)`);
  } else {
    checks.equal(start.status, 200, 'recording started');
    checks.ok(await waitFor(S2.page, () => !document.getElementById('rec-indicator').hidden), 'students see the recording indicator');
    const t0 = Date.now();
    await sleep(SESSION_MS);
    const stop = await server.raw('POST', `/api/v1/rooms/${encodeURIComponent(room.id)}/recording`, { action: 'stop' });
    const sessionMs = Date.now() - t0;
    checks.equal(stop.status, 200, 'recording stopped');
    let rec = null;
    for (let i = 0; i < 240 && !(rec && rec.state === 'composed'); i++) {
      const list = await server.api('GET', `/api/v1/recordings?room=${encodeURIComponent(room.id)}`, undefined, 200);
      rec = list.recordings[0] || null;
      if (!(rec && rec.state === 'composed')) await sleep(500);
    }
    checks.ok(rec && rec.state === 'composed', 'the library lists the composed session', JSON.stringify(rec));
    if (rec && rec.state === 'composed') {
      const lib = await P.context.newPage();
      await lib.goto(new URL('library.html', server.base).toString());
      await lib.waitForSelector(`tr[data-id="${rec.id}"] button.play`, { timeout: 15000 });
      await lib.click(`tr[data-id="${rec.id}"] button.play`);
      const played = await waitFor(lib, () => document.getElementById('player').currentTime > 0.5);
      checks.ok(played, 'the composed file plays in <video> (recording token)');
      const target = await lib.evaluate(() => {
        const v = document.getElementById('player');
        v.pause();
        v.currentTime = Math.max(1, v.duration - 1.5);
        return v.currentTime;
      });
      checks.ok(await waitFor(lib, (tt) => {
        const v = document.getElementById('player');
        return !v.seeking && v.currentTime >= tt - 0.5 && v.readyState >= 2;
      }, target), `<video> seeks to ${target.toFixed(1)} s`);
      // what a player sees in the file
      const tok = await server.api('POST', `/api/v1/recordings/${rec.id}/tokens`, {}, 201);
      const body = Buffer.from(await (await fetch(new URL(tok.media_url.replace(/^\//, ''), server.base))).arrayBuffer());
      const dir = mkdtempSync(join(tmpdir(), 'hz-teaching-'));
      const file = join(dir, 'composed.webm');
      writeFileSync(file, body);
      const out = execFileSync('gst-discoverer-1.0', [file], { encoding: 'utf8' });
      rmSync(dir, { recursive: true, force: true });
      const m = /Duration: (\d+):(\d+):([\d.]+)/.exec(out);
      const durMs = m ? ((+m[1] * 60 + +m[2]) * 60 + +m[3]) * 1000 : 0;
      checks.ok(/video/i.test(out) && /audio/i.test(out), 'gst-discoverer-1.0: video and audio tracks', out);
      checks.ok(Math.abs(durMs - sessionMs) <= 2000, `duration ${durMs} ms within 2 s of the session (${sessionMs} ms)`);
    }
  }
  checks.ok(consoleErrors.length === 0, 'no console errors', consoleErrors.join('\n'));
} catch (e) {
  checks.ok(false, 'teaching test ran to the end', `${e.stack || e}\n${server.tail()}`);
} finally {
  for (const b of browsers) await b.close().catch(() => {});
  await server.stop().catch(() => server.kill());
  checks.finish();
}
