// Cluster failover (owner: web), in Chromium: two real huizhen processes
// ($HUIZHEN_BIN) sharing a redis-server (run-with-redis.sh:
// $HUIZHEN_TEST_REDIS_URL) and one SQLite room store. A consult is placed on
// node O (its room key is written before anyone joins; O takes it when the
// first relayed join arrives), the doctor and the specialist open the
// invitation on node E: their signaling is relayed to O, their media goes to O.
// B mutes the microphone, A writes a chat message. O is SIGKILLed: E tells
// both pages `node_lost` after ~7 s, both show "会诊服务器切换中，正在重新连接…",
// rejoin with backoff (`unavailable` until O's placement expires), the room is
// placed on E, and both decode each other's video again (framesDecoded grows
// on the new subscriber connection). The chat history, B's mute and the
// layout survive; no console errors. Prints the time from the kill to media.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { launchBrowser, watchConsole, Checks } from '../browser/chromium.mjs';
import { ClusterNode, sleep } from '../browser/server.mjs';

const ADMIN_KEY = 'failover-admin-key';
const TOKEN_SECRET = randomBytes(32).toString('hex');
const EVENT_TIMEOUT_MS = 20000;
const FAILOVER_TIMEOUT_MS = 60000; // node_lost ~7 s + placement expiry ≤ 10 s + backoff
const shotDir = resolve(process.env.HUIZHEN_SCREENSHOT_DIR || process.cwd());
mkdirSync(shotDir, { recursive: true });

if (!process.env.HUIZHEN_TEST_REDIS_URL) {
  console.log('1..0 # SKIP no redis-server (run through tests/cluster/run-with-redis.sh)');
  process.exit(0);
}
const REDIS_PORT = process.env.HUIZHEN_TEST_REDIS_PORT;
const redis = (...args) =>
  execFileSync('redis-cli', ['-h', '127.0.0.1', '-p', REDIS_PORT, '--raw', ...args], { timeout: 5000 }).toString().trim();

const shared = mkdtempSync(join(tmpdir(), 'huizhen-failover-browser-'));

class Node extends ClusterNode {
  constructor(id) {
    super({ id, adminKey: ADMIN_KEY, tokenSecret: TOKEN_SECRET, dbPath: join(shared, 'rooms.db'),
      logPath: join(shotDir, `browser-failover-${id}.log`), apiTimeoutMs: 5000 });
  }

  async kill() {
    this.proc.kill('SIGKILL');
    await Promise.race([this.exited, sleep(5000)]);
  }
}

// In the page: frames decoded over all video streams of the current subscriber.
async function framesInPage() {
  const pc = window.hzClient.subscriber;
  let frames = 0;
  if (!pc || pc.connectionState === 'closed') return { state: window.hzClient.state, frames };
  (await pc.getStats()).forEach((s) => {
    if (s.type === 'inbound-rtp' && s.kind === 'video') frames += s.framesDecoded || 0;
  });
  return { state: window.hzClient.state, frames, reconnects: window.hzClient.reconnects };
}

/** framesDecoded > 0 on the current subscriber and growing over one more second. */
async function waitDecoding(page, timeoutMs, extra = () => true) {
  const end = Date.now() + timeoutMs;
  let last = null;
  while (Date.now() < end) {
    last = await page.evaluate(framesInPage);
    if (last.state === 'joined' && last.frames > 0 && extra(last)) {
      const firstAt = Date.now();
      await sleep(1000);
      const again = await page.evaluate(framesInPage);
      if (again.frames > last.frames) return { ok: true, at: firstAt, last: again };
    }
    await sleep(250);
  }
  return { ok: false, last };
}

const waitFor = (page, fn, arg, timeout = EVENT_TIMEOUT_MS) =>
  page.waitForFunction(fn, arg, { timeout }).then(() => true, () => false);

const checks = new Checks('browser-failover');
const consoleErrors = [];
const O = new Node('node-a'); // the room's node, killed
const E = new Node('node-b'); // where the browsers connect
let browser = null;

try {
  await O.start();
  await E.start();
  const now = new Date();
  const room = await E.api('POST', '/api/v1/rooms', {
    title: '会诊：切换', kind: 'consult', starts_at: now.toISOString(),
    ends_at: new Date(now.getTime() + 3600 * 1000).toISOString(), host_institution: '省人民医院',
  });
  const users = [
    { key: 'A', user: 'doc-wang', display_name: '王建国', institution: '青山镇卫生院', role: 'doctor' },
    { key: 'B', user: 'spec-li', display_name: '李华', institution: '县人民医院', role: 'specialist' },
  ];
  for (const u of users) {
    const tok = await E.api('POST', `/api/v1/rooms/${encodeURIComponent(room.id)}/tokens`, {
      user: u.user, display_name: u.display_name, institution: u.institution, role: u.role,
    });
    u.joinUrl = tok.join_url;
  }
  // Place the room on O before anyone joins (as a placement by another node
  // would): E relays the joins there and O takes the room when they arrive.
  checks.ok(redis('SET', `room:${room.id}`, O.id, 'PX', '10000') === 'OK', `room ${room.id} placed on ${O.id}`);

  browser = await launchBrowser();
  const [A, B] = users;
  for (const u of users) {
    u.context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    await u.context.addInitScript(() => window.localStorage.setItem('huizhen.lang', 'zh-CN'));
    u.page = await u.context.newPage();
    watchConsole(u.page, u.key, consoleErrors);
    await u.page.goto(E.joinUrl(u.joinUrl));
    await u.page.waitForSelector('body[data-ready="true"]', { timeout: 15000 });
    await u.page.click('#join-btn');
    checks.ok(await waitFor(u.page, () => window.hzClient.state === 'joined'), `${u.key} joined through ${E.id}`);
  }
  for (const u of users) {
    const r = await waitDecoding(u.page, 30000);
    checks.ok(r.ok, `${u.key} decodes the other's video (room on ${O.id})`, JSON.stringify(r.last));
  }
  checks.equal(redis('GET', `room:${room.id}`), O.id, `${O.id} owns the room`);
  const onO = (await O.api('GET', `/api/v1/rooms/${encodeURIComponent(room.id)}`)).participants || [];
  checks.ok(users.every((u) => onO.some((p) => p.display_name === u.display_name)),
    `${O.id} serves both participants (relayed from ${E.id})`, JSON.stringify(onO));

  // State that must survive the failover: B's microphone muted, A's chat.
  B.oldId = await B.page.evaluate(() => String(window.hzClient.participantId));
  await B.page.click('#mic-btn');
  const tileSel = (id) => `.tile[data-participant-id="${String(id).replace(/["\\]/g, '\\$&')}"]`;
  checks.ok(await waitFor(A.page, ([sel]) => {
    const el = document.querySelector(sel);
    return el && !el.querySelector('.muted-mic').hidden;
  }, [tileSel(B.oldId)]), 'A sees B muted before the failover');
  await A.page.click('#chat-btn');
  await A.page.fill('#chat-input', '切换前的消息：心电图已上传。');
  await A.page.keyboard.press('Enter');
  checks.ok(await waitFor(B.page, () => !document.getElementById('chat-unread').hidden), 'B got A\'s chat message');

  // Kill the room's node.
  const killedAt = Date.now();
  await O.kill();
  console.log(`# SIGKILL ${O.id}`);
  for (const u of users) {
    const shown = await waitFor(u.page, () => window.hzClient.state === 'reconnecting'
      && document.getElementById('banner').dataset.key === 'status.failover_banner', null, 30000);
    const st = await u.page.evaluate(() => ({
      state: window.hzClient.state, drop: window.hzClient.lastDrop, banner: document.getElementById('banner').textContent,
    }));
    checks.ok(shown && st.banner.includes('会诊服务器切换中，正在重新连接'),
      `${u.key} shows the failover state (${st.drop}) ${((Date.now() - killedAt) / 1000).toFixed(1)} s after the kill`,
      JSON.stringify(st));
  }
  await A.page.screenshot({ path: join(shotDir, 'browser-failover-reconnecting-zh-CN.png') });

  const back = await Promise.all(users.map((u) => waitDecoding(u.page, FAILOVER_TIMEOUT_MS, (s) => s.reconnects >= 1)));
  users.forEach((u, i) => checks.ok(back[i].ok, `${u.key} decodes the other's video again after the failover`,
    JSON.stringify(back[i].last)));
  if (back.every((r) => r.ok)) {
    const ms = Math.max(...back.map((r) => r.at)) - killedAt;
    console.log(`# kill to media again (both pages decoding): ${(ms / 1000).toFixed(1)} s`);
  }
  checks.equal(redis('GET', `room:${room.id}`), E.id, `the room moved to ${E.id}`);
  for (const u of users) {
    const st = await u.page.evaluate(() => ({
      banner: document.getElementById('banner').hidden, events: window.hzClient.events.filter((e) => e.type === 'error').map((e) => e.code),
    }));
    checks.ok(st.banner && st.events.includes('node_lost'), `${u.key}: banner cleared; the server said node_lost`, JSON.stringify(st));
  }
  await A.page.screenshot({ path: join(shotDir, 'browser-failover-back-zh-CN.png') });

  // What survived: A's chat history, B's mute (sent again on rejoin), two tiles each.
  const aChat = await A.page.locator('#chat-log li').allInnerTexts();
  checks.ok(aChat.some((s) => s.includes('切换前的消息')), 'A\'s chat history survives', JSON.stringify(aChat));
  const bState = await B.page.evaluate(() => ({ id: String(window.hzClient.participantId), pressed: document.getElementById('mic-btn').getAttribute('aria-pressed') }));
  checks.ok(bState.id !== B.oldId, 'B has a new participant id after the rejoin', JSON.stringify(bState));
  checks.ok(await waitFor(A.page, ([sel]) => {
    const el = document.querySelector(sel);
    return el && !el.querySelector('.muted-mic').hidden;
  }, [tileSel(bState.id)]), 'B\'s microphone is still muted after the failover (A sees it)', JSON.stringify(bState));
  for (const u of users) {
    const tiles = await u.page.locator('.tile').count();
    checks.ok(tiles === 2, `${u.key} shows two tiles`, String(tiles));
  }

  // Phase 2: the room is taken away from E (its key names a node that does not
  // exist, as after E was cut off longer than the TTL): E closes it with
  // room_moved, and every join gets `unavailable` while the key stays. With a
  // short schedule the pages give up and offer a retry, keeping the call view;
  // once the key is gone the retry brings the call back.
  const before = [];
  for (const u of users) {
    before.push(await u.page.evaluate(() => {
      window.hzClient.failoverSchedule = { delaysMs: [300], maxAttempts: 3 };
      return window.hzClient.reconnects;
    }));
  }
  checks.ok(redis('SET', `room:${room.id}`, 'node-gone', 'PX', '60000') === 'OK', 'the room\'s key now names a node that is gone');
  for (const u of users) {
    const gaveUp = await waitFor(u.page, () => window.hzClient.state === 'interrupted'
      && document.getElementById('banner-action') !== null, null, 30000);
    const st = await u.page.evaluate(() => ({
      banner: document.getElementById('banner').textContent,
      moved: window.hzClient.events.some((e) => e.type === 'room_closed' && e.reason === 'room_moved'),
      callShown: !document.getElementById('call').hidden,
      tiles: document.querySelectorAll('.tile').length,
    }));
    checks.ok(gaveUp && st.moved && st.banner.includes('会诊服务器暂时无法连接') && st.callShown && st.tiles === 2,
      `${u.key}: room_moved, then unavailable until the attempts ran out: a message with a retry button, the call view kept`,
      JSON.stringify(st));
  }
  await B.page.selectOption('#lang-select', 'en');
  const bEn = await B.page.evaluate(() => ({
    banner: document.getElementById('banner').textContent, button: document.getElementById('banner-action').textContent,
  }));
  checks.ok(bEn.banner.includes('cannot be reached') && bEn.button === 'Try again', 'B reads the failure and the retry button in English', JSON.stringify(bEn));
  await B.page.screenshot({ path: join(shotDir, 'browser-failover-gave-up-en.png') });
  await A.page.screenshot({ path: join(shotDir, 'browser-failover-gave-up-zh-CN.png') });
  redis('DEL', `room:${room.id}`);
  for (const u of users) await u.page.click('#banner-action');
  const again = await Promise.all(users.map((u, i) => waitDecoding(u.page, 30000, (s) => s.reconnects > before[i])));
  users.forEach((u, i) => checks.ok(again[i].ok, `${u.key} decodes the other's video again after "重试"`, JSON.stringify(again[i].last)));
  const aChat2 = await A.page.locator('#chat-log li').allInnerTexts();
  checks.ok(aChat2.some((s) => s.includes('切换前的消息')), 'A\'s chat history survives the retry too', JSON.stringify(aChat2));

  checks.ok(consoleErrors.length === 0, 'no console errors', consoleErrors.join('\n'));
} catch (e) {
  checks.ok(false, 'failover browser test ran to the end', `${e.stack || e}\nO:\n${O.tail()}\nE:\n${E.tail()}`);
} finally {
  if (browser) await browser.close().catch(() => {});
  await E.stop().catch(() => {});
  await O.stop().catch(() => {});
  rmSync(shared, { recursive: true, force: true });
  checks.finish();
}
