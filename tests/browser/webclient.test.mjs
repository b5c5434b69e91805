// The consult page without a server: the built web client (web-client's Vite
// output, $HUIZHEN_WEB_DIST) served as static files by a small HTTP server in this process, opened in Debian's headless Chromium with
// fake camera and microphone. Checks what a user sees before joining, in both
// languages, and the clear messages for a missing/expired token, a viewer role,
// a denied camera and an unreachable server; the device check (devices listed,
// microphone level moving, the speaker test tone); a tablet viewport; keyboard
// focus; and that both dictionaries have the same keys and no raw key shows. Screenshots go to
// $HUIZHEN_SCREENSHOT_DIR (meson's build dir) or the current directory.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { mkdirSync } from 'node:fs';
import { dirname, join, normalize, resolve, extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium, watchConsole, Checks, CHROMIUM_ARGS, rawKeysInPage, webDistDir } from './chromium.mjs';
import zhCN from '../../web-client/src/locales/zh-CN.js';
import en from '../../web-client/src/locales/en.js';

const here = dirname(fileURLToPath(import.meta.url));
const webRoot = resolve(webDistDir(here));
const shotDir = resolve(process.env.HUIZHEN_SCREENSHOT_DIR || process.cwd());
mkdirSync(shotDir, { recursive: true });

const MIME = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.map': 'application/json' };

function startStaticServer() {
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, 'http://x');
    const rel = normalize(url.pathname === '/' ? '/index.html' : url.pathname);
    const path = join(webRoot, rel);
    if (!path.startsWith(webRoot)) {
      res.writeHead(404).end();
      return;
    }
    try {
      const body = await readFile(path);
      res.writeHead(200, { 'Content-Type': MIME[extname(path)] || 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  // No WebSocket upgrade handler: /ws connections are refused, like a server that is down.
  server.on('upgrade', (req, socket) => socket.destroy());
  return new Promise((res) => server.listen(0, '127.0.0.1', () => res(server)));
}

function makeToken(claims) {
  return `${Buffer.from(JSON.stringify(claims)).toString('base64url')}.c2lnbmF0dXJl`;
}

const now = Math.floor(Date.now() / 1000);
const doctor = { room: 'r-demo', display_name: '王建国', institution: '青山镇卫生院', role: 'doctor', exp: now + 3600 };

const checks = new Checks('browser-webclient');
const consoleErrors = [];
let server;
const browsers = [];

async function openPage(context, url, label) {
  const page = await context.newPage();
  watchConsole(page, label, consoleErrors);
  await page.goto(url);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 15000 });
  return page;
}

const text = (page, sel) => page.locator(sel).innerText();

try {
  server = await startStaticServer();
  const base = `http://127.0.0.1:${server.address().port}/`;

  const b = await launchChromium();
  browsers.push(b);

  // --- a doctor's invitation, default language zh-CN ---
  const page = await openPage(b.context, `${base}?token=${makeToken(doctor)}`, 'doctor');
  checks.equal(await page.evaluate(() => document.documentElement.lang), 'zh-CN', 'default language is zh-CN');
  checks.equal(await text(page, '#claim-name'), doctor.display_name, 'token claims: name shown');
  checks.equal(await text(page, '#claim-institution'), doctor.institution, 'token claims: institution shown');
  checks.equal(await text(page, '#claim-role'), '医生', 'token claims: role shown in Chinese');
  checks.equal(await text(page, '#claim-room'), doctor.room, 'token claims: room shown');
  checks.equal(await text(page, '#join-btn'), '加入', 'join button labelled in Chinese');
  checks.ok(await page.locator('#join-btn').isEnabled(), 'join button enabled once the camera is ready');
  checks.equal(await text(page, '#media-status'), '摄像头和麦克风已就绪。', 'media ready message');
  await page.waitForFunction(() => document.getElementById('preview').videoWidth > 0, null, { timeout: 10000 });
  checks.ok(true, 'camera preview shows frames');
  const hz = await page.evaluate(() => ({ ...window.hzClient, events: window.hzClient.events.length }));
  checks.ok(hz.state === 'idle' && hz.publisher === null && hz.subscriber === null && hz.participantId === null,
    'window.hzClient exposed and idle before joining', JSON.stringify(hz));
  const fits = await page.evaluate(() => document.documentElement.scrollHeight <= innerHeight && document.documentElement.scrollWidth <= innerWidth);
  checks.ok(fits, 'pre-join screen fits 1366x768 without scrolling');
  await page.screenshot({ path: join(shotDir, 'webclient-prejoin-zh-CN.png') });

  // device check: devices listed, the level meter moves, the speaker test plays
  const dev = await page.evaluate(() => ({
    cameras: document.getElementById('camera-select').options.length,
    mics: document.getElementById('mic-select').options.length,
    camDisabled: document.getElementById('camera-select').disabled,
  }));
  checks.ok(dev.cameras >= 1 && dev.mics >= 1 && !dev.camDisabled, 'device check lists the camera and microphone', JSON.stringify(dev));
  await page.click('#speaker-test');
  checks.equal(await page.evaluate(() => window.hzClient.device.tone), 'playing', 'speaker test starts a tone');
  await page.waitForFunction(() => window.hzClient.device.tone !== 'playing', null, { timeout: 5000 });
  checks.equal(await page.evaluate(() => window.hzClient.device.tone), 'done', 'speaker test tone played to the end');
  checks.ok((await text(page, '#speaker-status')).includes('测试音已播放完毕'), 'speaker test result explained');
  const moved = await page.waitForFunction(() => window.hzClient.device.micLevel > 0, null, { timeout: 5000 }).then(() => true, () => false);
  checks.ok(moved, 'microphone level meter moves with the (fake) microphone',
    JSON.stringify(await page.evaluate(() => window.hzClient.device)));

  // keyboard: Tab reaches the join button, and the focused control shows a visible outline
  await page.focus('#lang-select');
  let reached = false;
  for (let i = 0; i < 20 && !reached; i++) {
    await page.keyboard.press('Tab');
    reached = await page.evaluate(() => document.activeElement && document.activeElement.id === 'join-btn');
  }
  checks.ok(reached, 'Tab from the top bar reaches the join button');
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  checks.ok(outline !== 'none', 'the focused button has a visible focus outline', outline);
  checks.equal((await rawKeysInPage(page)).join(','), '', 'no raw dictionary key in the zh-CN page');

  // microphone toggle before joining
  await page.click('#prejoin-mic-btn');
  const micState = await page.evaluate(() => ({
    pressed: document.getElementById('prejoin-mic-btn').getAttribute('aria-pressed'),
    enabled: document.getElementById('preview').srcObject.getAudioTracks()[0].enabled,
  }));
  checks.ok(micState.pressed === 'true' && micState.enabled === false, 'mute button disables the microphone track', JSON.stringify(micState));
  await page.click('#prejoin-mic-btn');
  await page.click('#prejoin-cam-btn');
  checks.ok(await page.locator('#preview-off').isVisible(), 'camera off shows "camera is off" over the preview');
  await page.click('#prejoin-cam-btn');

  // --- switch to English, remembered across a reload ---
  await page.selectOption('#lang-select', 'en');
  checks.equal(await text(page, '#join-btn'), 'Join', 'join button labelled in English after switching');
  checks.equal(await text(page, '#claim-role'), 'Doctor', 'role shown in English');
  checks.equal(await page.evaluate(() => document.documentElement.lang), 'en', 'html lang follows the switch');
  await page.screenshot({ path: join(shotDir, 'webclient-prejoin-en.png') });
  await page.reload();
  await page.waitForSelector('body[data-ready="true"]');
  checks.equal(await text(page, '#join-btn'), 'Join', 'language choice remembered after reload');

  checks.equal((await rawKeysInPage(page)).join(','), '', 'no raw dictionary key in the en page');

  // both dictionaries have the same keys, none empty
  const kz = Object.keys(zhCN).sort();
  const ke = Object.keys(en).sort();
  checks.ok(JSON.stringify(kz) === JSON.stringify(ke) && ke.length > 200,
    'zh-CN and en dictionaries are complete (same keys)',
    `only zh-CN: ${kz.filter((k) => !(k in en))}; only en: ${ke.filter((k) => !(k in zhCN))}`);
  const empty = [...Object.entries(zhCN), ...Object.entries(en)].filter(([, v]) => typeof v !== 'string' || !v.trim());
  checks.ok(empty.length === 0, 'no empty translation', JSON.stringify(empty));
  const mixed = Object.entries(en).filter(([, v]) => /[\u4e00-\u9fff]/.test(v)).map(([k]) => k);
  checks.ok(mixed.length === 0, 'no Chinese characters left in the English dictionary', mixed.join(','));

  // --- join with the server down: a clear message, the button usable again ---
  await page.click('#join-btn');
  await page.waitForSelector('#banner:not([hidden])', { timeout: 10000 });
  checks.equal(await text(page, '#banner'), 'Cannot reach the server. Check the network and try again.', 'unreachable server explained');
  checks.ok(await page.locator('#join-btn').isEnabled(), 'join button enabled again after the failure');
  checks.equal(await page.evaluate(() => window.hzClient.state), 'failed', 'hzClient.state is failed');
  await page.screenshot({ path: join(shotDir, 'webclient-connect-failed-en.png') });
  await page.selectOption('#lang-select', 'zh-CN');
  checks.equal(await text(page, '#banner'), '无法连接服务器，请检查网络后重试。', 'banner re-translated on language switch');
  // Chromium itself logs the refused WebSocket; that one is expected here.
  for (let i = consoleErrors.length - 1; i >= 0; i--) {
    if (/WebSocket connection to .*\/ws' failed/.test(consoleErrors[i])) consoleErrors.splice(i, 1);
  }
  await page.close();

  // --- no token, expired token, viewer role ---
  const p2 = await openPage(b.context, base, 'no-token');
  checks.equal(await text(p2, '#token-error'), '链接中没有邀请码。请打开您收到的完整邀请链接。', 'missing token explained');
  checks.ok(await p2.locator('#join-btn').isDisabled(), 'join disabled without a token');
  await p2.goto(`${base}?token=${makeToken({ ...doctor, exp: now - 60 })}`);
  await p2.waitForSelector('body[data-ready="true"]');
  checks.ok((await text(p2, '#token-error')).startsWith('邀请已于'), 'expired token explained');
  checks.ok(await p2.locator('#join-btn').isDisabled(), 'join disabled for an expired token');
  await p2.goto(`${base}?token=not-a-token`);
  await p2.waitForSelector('body[data-ready="true"]');
  checks.ok((await text(p2, '#token-error')).startsWith('邀请码无法识别'), 'garbled token explained');
  await p2.goto(`${base}?token=${makeToken({ ...doctor, role: 'observer', display_name: 'Observer Li' })}`);
  await p2.waitForSelector('body[data-ready="true"]');
  checks.ok(await p2.locator('#viewer-hint').isVisible(), 'observer told they join as a viewer');
  checks.ok(await p2.locator('#join-btn').isEnabled(), 'observer can join without a camera');
  checks.ok(!(await p2.locator('#preview').isVisible()), 'no camera preview for an observer');
  await p2.close();

  // --- a tablet (portrait 820x1180): nothing wider than the screen, join reachable ---
  const tablet = await b.context.newPage();
  watchConsole(tablet, 'tablet', consoleErrors);
  await tablet.setViewportSize({ width: 820, height: 1180 });
  await tablet.goto(`${base}?token=${makeToken(doctor)}`);
  await tablet.waitForSelector('body[data-ready="true"]', { timeout: 15000 });
  const tabletFit = await tablet.evaluate(() => document.documentElement.scrollWidth <= innerWidth);
  checks.ok(tabletFit, 'tablet viewport: no horizontal scrolling');
  await tablet.locator('#join-btn').scrollIntoViewIfNeeded();
  checks.ok(await tablet.locator('#join-btn').isVisible(), 'tablet viewport: join button visible');
  await tablet.screenshot({ path: join(shotDir, 'webclient-prejoin-tablet-zh-CN.png'), fullPage: true });
  await tablet.close();
  await b.close();

  // --- camera and microphone denied (no fake permission UI: headless denies) ---
  const denied = await launchChromium({ args: CHROMIUM_ARGS.filter((a) => a !== '--use-fake-ui-for-media-stream') });
  browsers.push(denied);
  const p3 = await openPage(denied.context, `${base}?token=${makeToken(doctor)}`, 'denied');
  const deniedText = await text(p3, '#media-status');
  checks.equal(deniedText, '浏览器拒绝了摄像头或麦克风的使用。请在地址栏的站点设置中允许后刷新页面。', 'denied camera explained');
  checks.ok(await p3.locator('#join-btn').isEnabled(), 'can still join to watch and listen when the camera is denied');
  await p3.screenshot({ path: join(shotDir, 'webclient-denied-zh-CN.png') });
  await denied.close();

  checks.ok(consoleErrors.length === 0, 'no console errors', consoleErrors.join('\n'));
} catch (e) {
  checks.ok(false, 'test ran to the end', e.stack || String(e));
} finally {
  for (const br of browsers) await br.close();
  if (server) server.close();
  checks.finish();
}
