// Cluster (owner: cascade), in Chromium: a teaching room cascaded over two
// real huizhen processes ($HUIZHEN_BIN) sharing a redis-server
// (run-with-redis.sh: $HUIZHEN_TEST_REDIS_URL) and one SQLite room store,
// [cluster] cascade_viewers = 1. The presenter publishes on node A, a first
// student joins on A; a second student opens the invitation on node B and is
// served by B's satellite of the room: it sees (decoded frames) and hears
// (audio energy) the presenter, while node A serves one hidden relay member
// (counted in /metrics, not listed) and not the student. Then the student
// leaves and the relay leaves A.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { launchBrowser, watchConsole, Checks } from '../browser/chromium.mjs';
import { ClusterNode, sleep } from '../browser/server.mjs';

const ADMIN_KEY = 'cascade-admin-key';
const TOKEN_SECRET = randomBytes(32).toString('hex');
const EVENT_TIMEOUT_MS = 20000;
const shotDir = resolve(process.env.HUIZHEN_SCREENSHOT_DIR || process.cwd());
mkdirSync(shotDir, { recursive: true });

if (!process.env.HUIZHEN_TEST_REDIS_URL) {
  console.log('1..0 # SKIP no redis-server (run through tests/cluster/run-with-redis.sh)');
  process.exit(0);
}

const shared = mkdtempSync(join(tmpdir(), 'huizhen-cascade-browser-'));

class Node extends ClusterNode {
  constructor(id) {
    super({ id, adminKey: ADMIN_KEY, tokenSecret: TOKEN_SECRET, dbPath: join(shared, 'rooms.db'),
      logPath: join(shotDir, `browser-cascade-${id}.log`), env: { HUIZHEN_CLUSTER_CASCADE_VIEWERS: '1' } });
  }

  // huizhen_participants of /metrics: every member, the hidden relay included
  async members() {
    const r = await fetch(`${this.base}metrics`, { headers: { Authorization: `Bearer ${ADMIN_KEY}` } });
    const m = /\nhuizhen_participants (\d+)/.exec(await r.text());
    if (!r.ok || !m) throw new Error(`${this.id}: /metrics: HTTP ${r.status}, no huizhen_participants`);
    return Number(m[1]);
  }
}

// In the page: decoded video streams, and audio streams with packets and energy.
async function inboundInPage() {
  const pc = window.hzClient.subscriber;
  const out = { video: 0, audio: 0, energy: 0 };
  if (!pc) return out;
  (await pc.getStats()).forEach((s) => {
    if (s.type === 'inbound-rtp' && s.kind === 'video' && s.framesDecoded > 0) out.video++;
    if (s.type === 'inbound-rtp' && s.kind === 'audio' && s.packetsReceived > 0) {
      out.audio++;
      out.energy += s.totalAudioEnergy || 0;
    }
  });
  return out;
}

async function waitInbound(page) {
  const end = Date.now() + 30000;
  let last = null;
  while (Date.now() < end) {
    last = await page.evaluate(inboundInPage);
    if (last.video >= 1 && last.audio >= 1 && last.energy > 0) return { ok: true, last };
    await sleep(500);
  }
  return { ok: false, last };
}

const waitFor = (page, fn, arg, timeout = EVENT_TIMEOUT_MS) =>
  page.waitForFunction(fn, arg, { timeout }).then(() => true, () => false);

const checks = new Checks('browser-cascade');
const consoleErrors = [];
const a = new Node('node-a');
const b = new Node('node-b');
let browser = null;

try {
  await a.start(); // alone at first: the room is placed on A
  const now = new Date();
  const room = await a.api('POST', '/api/v1/rooms', {
    title: '教学：级联', kind: 'teaching', starts_at: now.toISOString(),
    ends_at: new Date(now.getTime() + 3600 * 1000).toISOString(), host_institution: '省人民医院',
  });
  const users = [
    { key: 'P', user: 'dr-wang', display_name: '王主任', institution: '省人民医院', role: 'presenter', node: a },
    { key: 'S1', user: 'stu-1', display_name: '李医生', institution: '青山镇卫生院', role: 'student', node: a },
    { key: 'S2', user: 'stu-2', display_name: '赵医生', institution: '河口乡卫生院', role: 'student', node: b },
  ];
  for (const u of users) {
    const tok = await a.api('POST', `/api/v1/rooms/${encodeURIComponent(room.id)}/tokens`, {
      user: u.user, display_name: u.display_name, institution: u.institution, role: u.role,
    });
    u.joinUrl = tok.join_url;
  }
  browser = await launchBrowser();
  const open = async (u) => {
    u.context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    await u.context.addInitScript(() => window.localStorage.setItem('huizhen.lang', 'zh-CN'));
    u.page = await u.context.newPage();
    watchConsole(u.page, u.key, consoleErrors);
    await u.page.goto(u.node.joinUrl(u.joinUrl));
    await u.page.waitForSelector('body[data-ready="true"]', { timeout: 15000 });
    await u.page.click('#join-btn');
    checks.ok(await waitFor(u.page, () => window.hzClient.state === 'joined'), `${u.key} joined on ${u.node.id}`);
  };
  const [P, S1, S2] = users;
  await open(P);
  await open(S1);
  const r1 = await waitInbound(S1.page);
  checks.ok(r1.ok, 'S1 on node A sees and hears the presenter', JSON.stringify(r1.last));

  await b.start();
  await open(S2);
  const r2 = await waitInbound(S2.page);
  checks.ok(r2.ok, 'S2 on node B sees and hears the presenter publishing on node A', JSON.stringify(r2.last));
  await S2.page.screenshot({ path: join(shotDir, 'browser-cascade-student-b.png') });

  const onA = (await a.api('GET', `/api/v1/rooms/${encodeURIComponent(room.id)}`)).participants;
  const onB = (await b.api('GET', `/api/v1/rooms/${encodeURIComponent(room.id)}`)).participants;
  const membersA = await a.members();
  checks.ok(membersA === 3 && onA.length === 2, 'node A serves the relay to node B (3 members, 2 listed)', `${membersA} ${JSON.stringify(onA)}`);
  checks.ok(!onA.some((p) => p.role === 'relay' || p.display_name === 'relay to node-b'), 'node A does not list the relay', JSON.stringify(onA));
  checks.ok(!onA.some((p) => p.display_name === S2.display_name), 'node A does not serve S2', JSON.stringify(onA));
  checks.ok(onB.some((p) => p.display_name === S2.display_name), 'node B serves S2', JSON.stringify(onB));
  checks.ok(onB.some((p) => p.role === 'presenter' && p.display_name === P.display_name), 'node B shows the presenter (relayed)', JSON.stringify(onB));

  // S2 leaves: the satellite ends after its grace and the relay leaves A.
  await S2.context.close();
  let gone = false;
  for (let i = 0; i < 40 && !gone; i++) {
    await sleep(500);
    gone = (await a.members()) === 2;
  }
  checks.ok(gone, 'the relay leaves node A after the last student on B');
  const relayErrors = consoleErrors.filter((e) => !e.startsWith('S2'));
  checks.ok(relayErrors.length === 0, 'no console errors', relayErrors.join('\n'));
} catch (e) {
  checks.ok(false, 'cascade browser test ran to the end', `${e.stack || e}\nA:\n${a.tail()}\nB:\n${b.tail()}`);
} finally {
  if (browser) await browser.close().catch(() => {});
  await b.stop().catch(() => {});
  await a.stop().catch(() => {});
  rmSync(shared, { recursive: true, force: true });
  checks.finish();
}
