// End to end: the real huizhen server ($HUIZHEN_BIN) serving the bundled web
// client, and two headless Chromium users (a township doctor in zh-CN, a
// specialist in en) with fake camera and microphone in one consult room:
// device check → join → media both ways → mute → chat → raise hand →
// moderator controls → audio-only → quality badge → reconnect after the
// doctor's WebSocket is dropped (video flows again) → leave. Prints
// join-to-first-frame per page. Screenshots and the server log go to
// $HUIZHEN_SCREENSHOT_DIR (meson's build dir) or the cwd.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { launchBrowser, watchConsole, Checks, rawKeysInPage } from './chromium.mjs';
import { HuizhenServer } from './server.mjs';

const MEDIA_TIMEOUT_MS = 30000;
const EVENT_TIMEOUT_MS = 10000;

const shotDir = resolve(process.env.HUIZHEN_SCREENSHOT_DIR || process.cwd());
mkdirSync(shotDir, { recursive: true });

const checks = new Checks('browser-consult');
const consoleErrors = [];
const server = new HuizhenServer({ name: 'browser-consult', logDir: shotDir });
let browser = null;

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, async () => {
    console.log(`received ${sig}: stopping`);
    server.kill();
    if (browser) await browser.close().catch(() => {});
    process.exit(1);
  });
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

const shot = (u, name) => u.page.screenshot({ path: join(shotDir, `consult-${name}-${u.lang}.png`) });

async function hasVideoFrom(page, id) {
  return waitFor(page, ([sel]) => {
    const el = document.querySelector(sel);
    return el && el.classList.contains('has-video') && el.querySelector('video').videoWidth > 0;
  }, [tileSel(id)], `video of ${id}`);
}

// ---- the test ------------------------------------------------------------------

try {
  await server.start();
  checks.ok(true, 'server answers GET /healthz');

  const now = new Date();
  const title = '远程会诊：胸痛待查';
  const room = await server.api('POST', '/api/v1/rooms', {
    title,
    kind: 'consult',
    starts_at: now.toISOString(),
    ends_at: new Date(now.getTime() + 3600 * 1000).toISOString(),
    host_institution: '县人民医院',
  }, 201);
  checks.ok(typeof room.id === 'string' || typeof room.id === 'number', 'room created', JSON.stringify(room));

  const users = [
    { key: 'A', lang: 'zh-CN', user: 'doc-wang', display_name: '王建国', institution: '青山镇卫生院', role: 'doctor' },
    { key: 'B', lang: 'en', user: 'spec-li', display_name: 'Li Hua', institution: 'County People\'s Hospital', role: 'specialist' },
  ];
  for (const u of users) {
    const tok = await server.api('POST', `/api/v1/rooms/${encodeURIComponent(room.id)}/tokens`, {
      user: u.user, display_name: u.display_name, institution: u.institution, role: u.role,
    }, [200, 201]);
    checks.ok(typeof tok.token === 'string' && typeof tok.join_url === 'string' && tok.join_url.includes('token='),
      `token issued for ${u.role}`, JSON.stringify(tok));
    u.url = server.joinUrl(tok.join_url);
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
    // device check: a camera listed, the meter moving, the test tone played
    await u.page.click('#speaker-test');
    const tone = await u.page.waitForFunction(() => window.hzClient.device.tone === 'done', null, { timeout: 5000 }).then(() => true, () => false);
    const level = await u.page.waitForFunction(() => window.hzClient.device.micLevel > 0, null, { timeout: 5000 }).then(() => true, () => false);
    const cams = await u.page.locator('#camera-select option').count();
    checks.ok(tone && level && cams >= 1, `${u.key}: device check (camera listed, microphone level moves, test tone plays)`,
      JSON.stringify(await u.page.evaluate(() => window.hzClient.device)));
    await shot(u, 'prejoin');
  }

  await Promise.all(users.map((u) => u.page.click('#join-btn')));
  for (const u of users) {
    const joined = await waitFor(u.page, () => window.hzClient.state === 'joined', null, `${u.key} joined`);
    const st = await u.page.evaluate(() => ({ state: window.hzClient.state, id: window.hzClient.participantId, banner: document.getElementById('banner').textContent }));
    checks.ok(joined, `${u.key} (${u.role}) joined`, JSON.stringify(st));
    u.id = st.id;
    checks.equal(await u.page.locator('#room-title').innerText(), title, `${u.key}: the room title from "joined" is shown`);
    checks.ok((await u.page.locator('#room-time').innerText()).includes('县人民医院'), `${u.key}: time and host institution shown`);
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
    const shown = await hasVideoFrom(me.page, other.id);
    const info = await tileInfo(me.page, other.id);
    checks.ok(shown && info && info.name === other.display_name && info.institution === other.institution && info.role.length > 0,
      `${me.key} shows ${other.key}'s video in a tile labelled with name, institution and role`, JSON.stringify(info));
    const onStage = await me.page.evaluate(([sel]) => Boolean(document.querySelector(`#stage ${sel}`)), [tileSel(other.id)]);
    checks.ok(onStage, `${me.key}: the other participant is on the stage`);
  }

  // network quality badge from getStats()
  const quality = await waitFor(B.page, ([id]) => {
    const q = window.hzClient.quality[id];
    return q && ['good', 'fair', 'poor'].includes(q.level) && q.kbps > 0 && q.height > 0;
  }, [String(A.id)], 'B measures A\'s quality');
  const q = await B.page.evaluate(([id, sel]) => ({
    q: window.hzClient.quality[id],
    badge: document.querySelector(`${sel} .quality`).getAttribute('aria-label'),
  }), [String(A.id), tileSel(A.id)]);
  checks.ok(quality && /loss/.test(q.badge), 'B shows a network quality badge for A (loss, delay, bit rate, picture size)', JSON.stringify(q));
  for (const u of users) await shot(u, 'call');

  // mute: A mutes the microphone and turns the camera off; B sees both
  await A.page.click('#mic-btn');
  await A.page.click('#cam-btn');
  const sawMute = await waitFor(B.page, ([sel]) => {
    const el = document.querySelector(sel);
    return el && !el.querySelector('.muted-mic').hidden && !el.querySelector('.muted-cam').hidden;
  }, [tileSel(A.id)], 'B sees A muted');
  checks.ok(sawMute, 'B sees A\'s microphone muted and camera off', JSON.stringify(await tileInfo(B.page, A.id)));
  await shot(B, 'muted');
  await A.page.click('#mic-btn');
  await A.page.click('#cam-btn');
  const sawUnmute = await waitFor(B.page, ([sel]) => {
    const el = document.querySelector(sel);
    return el && el.querySelector('.muted-mic').hidden && el.querySelector('.muted-cam').hidden;
  }, [tileSel(A.id)], 'B sees A unmuted');
  checks.ok(sawUnmute, 'B sees A unmuted again', JSON.stringify(await tileInfo(B.page, A.id)));

  // chat: A writes, B sees an unread badge, opens the panel, reads it
  await A.page.click('#chat-btn');
  await A.page.fill('#chat-input', '患者胸痛三小时，心电图已上传。');
  await A.page.keyboard.press('Enter');
  const gotChat = await waitFor(B.page, () => !document.getElementById('chat-unread').hidden, null, 'B unread badge');
  checks.ok(gotChat, 'B sees an unread chat badge');
  await B.page.click('#chat-btn');
  const bChat = await B.page.locator('#chat-log li').last().innerText();
  checks.ok(bChat.includes('王建国') && bChat.includes('心电图已上传'), 'B reads A\'s chat message with A\'s name', bChat);
  const aChat = await A.page.locator('#chat-log li').last().innerText();
  checks.ok(aChat.includes('心电图已上传'), 'A sees the own message echoed', aChat);
  for (const u of users) await shot(u, 'chat');

  // raise hand: either the moderator (B) sees it, or A is told the server lacks it
  await A.page.click('#hand-btn');
  const handSeen = await waitFor(B.page, ([sel]) => {
    const el = document.querySelector(sel);
    return el && !el.querySelector('.hand').hidden;
  }, [tileSel(A.id)], 'B sees A\'s hand').catch(() => false);
  const aNotices = await A.page.evaluate(() => window.hzClient.notices);
  const handUnsupported = aNotices.some((n) => n.feature === 'raise_hand' && n.code === 'unknown_type');
  checks.ok(handSeen || handUnsupported, 'raise hand reaches the moderator, or a brief notice says the server lacks it',
    JSON.stringify(aNotices));
  if (!handSeen) console.log('# SKIP hand_raised not delivered: the server answers raise_hand with unknown_type (notice shown)');
  checks.equal(await A.page.evaluate(() => window.hzClient.state), 'joined', 'A is still in the call after the notice');

  // moderator controls: the specialist has them, the doctor does not
  checks.ok(await B.page.locator('#end-btn').isVisible(), 'specialist (moderator) sees "End consultation"');
  checks.ok(!(await A.page.locator('#end-btn').isVisible()), 'doctor does not see "End consultation"');
  await B.page.click('#people-btn');
  const bActions = await B.page.locator(`#people li[data-participant-id="${A.id}"] button[data-moderate]`).count();
  checks.ok(bActions >= 2, 'specialist sees mute/remove for the doctor in the participant list', String(bActions));
  await A.page.click('#people-btn');
  checks.equal(await A.page.locator('#people button[data-moderate]').count(), 0, 'doctor sees no moderator buttons');
  await B.page.click(`#people li[data-participant-id="${A.id}"] button[data-moderate="mute"]`);
  await B.page.waitForTimeout(300);
  checks.equal(await B.page.evaluate(() => window.hzClient.state), 'joined', 'a moderator action never breaks the page');
  await shot(B, 'people');

  // audio-only on A: A stops showing B's video; turning it off brings it back
  await A.page.click('#audio-only-btn');
  const hidden = await waitFor(A.page, ([sel]) => {
    const el = document.querySelector(sel);
    return document.body.classList.contains('audio-only') && el && !el.classList.contains('has-video');
  }, [tileSel(B.id)], 'A hides video');
  checks.ok(hidden, 'audio-only: A no longer shows B\'s video');
  const camOffSeen = await waitFor(B.page, ([sel]) => {
    const el = document.querySelector(sel);
    return el && !el.querySelector('.muted-cam').hidden;
  }, [tileSel(A.id)], 'B sees A\'s camera off');
  checks.ok(camOffSeen, 'audio-only: A stops sending video (B sees A\'s camera off)');
  await shot(A, 'audio-only');
  await A.page.click('#audio-only-btn');
  checks.ok(await hasVideoFrom(A.page, B.id), 'audio-only off: A shows B\'s video again');

  // reconnect: drop A's WebSocket from the page; A rejoins and media flows again
  const oldId = A.id;
  await A.page.evaluate(() => window.hzClient.signaling.ws.close());
  const sawReconnecting = await waitFor(A.page, () => window.hzClient.state === 'reconnecting' || window.hzClient.reconnects > 0, null, 'A reconnecting');
  checks.ok(sawReconnecting, 'A shows the reconnecting state after the socket drops');
  const rejoined = await waitFor(A.page, () => window.hzClient.state === 'joined' && window.hzClient.reconnects === 1, null, 'A rejoined');
  const afterState = await A.page.evaluate(() => ({ state: window.hzClient.state, reconnects: window.hzClient.reconnects, id: window.hzClient.participantId, pill: document.getElementById('status-pill').textContent }));
  checks.ok(rejoined, 'A rejoined automatically with the same token', JSON.stringify(afterState));
  A.id = afterState.id;
  const again = await A.page.evaluate(waitForMediaInPage, { timeoutMs: MEDIA_TIMEOUT_MS });
  checks.ok(again.ok, 'A receives video and audio again after reconnecting', again.ok ? '' : JSON.stringify(again.summary));
  if (again.ok) console.log(`# A reconnect: rejoin-to-first-frame ${again.joinToFirstFrameMs} ms`);
  checks.ok(await hasVideoFrom(B.page, A.id), 'B sees A\'s video again under A\'s new participant id');
  // B's subscriber connection reuses the m-lines of A's old tracks (offered
  // inactive when A dropped) instead of adding two more per reconnect
  const bTransceivers = await B.page.evaluate(() => {
    const pc = window.hzClient.subscriber;
    return pc ? pc.getTransceivers().map((t) => `${t.mid}:${t.receiver.track.kind}:${t.currentDirection}`) : null;
  });
  checks.ok(bTransceivers !== null && bTransceivers.length === 2,
    `B's subscriber connection still has 2 m-lines after A's reconnect (${JSON.stringify(bTransceivers)})`);
  const oldGone = await waitFor(B.page, ([sel]) => document.querySelector(sel) === null, [tileSel(oldId)], 'A\'s old tile removed');
  checks.ok(oldGone || oldId === A.id, 'B no longer shows A\'s old connection');
  await shot(A, 'reconnected');

  // no raw keys in either language in the call
  for (const u of users) checks.equal((await rawKeysInPage(u.page)).join(','), '', `${u.key} (${u.lang}): no raw dictionary key in the call screen`);

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
  await shot(B, 'left');

  checks.ok(consoleErrors.length === 0, 'no console errors in either page', consoleErrors.join('\n'));
} catch (e) {
  checks.ok(false, 'test ran to the end', e.stack || String(e));
} finally {
  if (browser) await browser.close().catch(() => {});
  browser = null;
  if (server.running) checks.ok(await server.stop(), 'server exits 0 on SIGTERM');
  if (checks.failed > 0) {
    console.log('--- last server log lines ---');
    console.log(server.tail());
  }
  server.kill();
  checks.finish();
}
