// Shared helpers for the browser tests: Debian's /usr/bin/chromium driven by
// playwright-core (no downloaded browser), headless, fake media devices and a
// fresh throw-away profile per launch; console error collection; a small
// check counter that prints the closing "N passed, N failed" line.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CHROMIUM_PATH = process.env.HUIZHEN_CHROMIUM || '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
];

// Added by the tests whose pages speak the protocol directly (impair, turn):
// media plays without a gesture, and plain host candidates rather than mDNS
// names for pages without camera permission.
export const PROTOCOL_PAGE_ARGS = [
  '--autoplay-policy=no-user-gesture-required',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
];

async function loadPlaywright() {
  try {
    return (await import('playwright-core')).chromium;
  } catch (e) {
    console.error('playwright-core is not installed: run deploy/install-browser-test-deps.sh (npm ci in tests/browser)');
    throw e;
  }
}

/**
 * Launch Chromium with a fresh user-data-dir (a persistent context in a new
 * temporary directory). Returns { context, close }; close() also removes the dir.
 */
export async function launchChromium({ args = CHROMIUM_ARGS, extraArgs = [] } = {}) {
  const chromium = await loadPlaywright();
  const userDataDir = mkdtempSync(join(tmpdir(), 'huizhen-chromium-'));
  let context;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: [...args, ...extraArgs],
      viewport: { width: 1366, height: 768 },
    });
  } catch (e) {
    rmSync(userDataDir, { recursive: true, force: true });
    throw e;
  }
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    try { await context.close(); } catch { /* already gone */ }
    rmSync(userDataDir, { recursive: true, force: true });
  };
  return { context, close, userDataDir };
}

/**
 * Launch Chromium as a browser from which several isolated contexts (one per
 * simulated user) can be opened. Playwright gives it a fresh temporary profile.
 */
export async function launchBrowser({ args = CHROMIUM_ARGS } = {}) {
  const chromium = await loadPlaywright();
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args });
}

/** Record console errors and uncaught page errors of a page under a label. */
export function watchConsole(page, label, sink) {
  page.on('console', (msg) => {
    if (msg.type() === 'error') sink.push(`[${label}] console.error: ${msg.text()}`);
  });
  page.on('pageerror', (err) => sink.push(`[${label}] pageerror: ${err.message}`));
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

  equal(actual, expected, what) {
    return this.ok(actual === expected, what, `expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  }

  finish() {
    console.log(`${this.name}: ${this.passed} passed, ${this.failed} failed`);
    process.exitCode = this.failed === 0 && this.passed > 0 ? 0 : 1;
  }
}

/**
 * Text in the page (visible text, title, aria-label, placeholder, value of
 * buttons) that looks like an untranslated dictionary key such as "call.mute".
 */
export async function rawKeysInPage(page) {
  return page.evaluate(() => {
    const re = /\b(?:app|lang|a11y|common|prejoin|device|token|media|role|call|chat|people|moderate|quality|status|error|feature|notice|room_kind|room_state|admin)\.[a-z_0-9]+\b/g;
    const found = new Set();
    const scan = (s) => {
      for (const m of String(s || '').matchAll(re)) found.add(m[0]);
    };
    scan(document.body.innerText);
    scan(document.title);
    for (const el of document.querySelectorAll('[title],[aria-label],[placeholder]')) {
      scan(el.getAttribute('title'));
      scan(el.getAttribute('aria-label'));
      scan(el.getAttribute('placeholder'));
    }
    return [...found];
  });
}

/** The web client's built files: $HUIZHEN_WEB_DIST (meson) or web-client/dist (npm run build). */
export function webDistDir(here) {
  return process.env.HUIZHEN_WEB_DIST || join(here, '..', '..', 'web-client', 'dist');
}
