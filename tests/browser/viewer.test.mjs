// The shared viewer on the real server ($HUIZHEN_BIN) with the bundled web
// client: a township doctor (A, zh-CN) shares a 12-slice CT series generated
// here as DICOM Part 10 files; a specialist (B, en) sees it and follows A's
// scroll to slice N and a window change (lung preset), read from
// window.hzViewer.state() in B's page; control is handed to B and A follows
// back; a late third participant (C) opens on slice N from `joined.viewer`. A
// file that is not DICOM/PDF/PNG/JPEG gets the "bad file" message.
//
// Until the server has the documents API (404/405) or the viewer relay
// ({"code":"unknown_type"}), the steps that need it print "# SKIP" lines and
// the page is checked to say so plainly; they become real checks by themselves
// once the server answers. Screenshots (1366×768, both languages) and the
// server log go to $HUIZHEN_SCREENSHOT_DIR.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { launchBrowser, watchConsole, Checks, rawKeysInPage } from './chromium.mjs';
import { HuizhenServer } from './server.mjs';

const EVENT_TIMEOUT_MS = 20000;
const SLICES = 12;
const TARGET_SLICE = 7; // 0-based index A scrolls to
const ROWS = 64;
const COLS = 64;
const LUNG = { center: -600, width: 1500 };

const shotDir = resolve(process.env.HUIZHEN_SCREENSHOT_DIR || process.cwd());
mkdirSync(shotDir, { recursive: true });
const fixtureDir = mkdtempSync(join(tmpdir(), 'huizhen-viewer-dicom-'));

const checks = new Checks('browser-viewer');
const consoleErrors = [];
const server = new HuizhenServer({ name: 'browser-viewer', logDir: shotDir });
let browser = null;
const skip = (what, why) => console.log(`ok - # SKIP ${what}: ${why}`);

function cleanup() {
  server.kill();
  rmSync(fixtureDir, { recursive: true, force: true });
}
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, async () => {
    console.log(`received ${sig}: stopping`);
    cleanup();
    if (browser) await browser.close().catch(() => {});
    process.exit(1);
  });
}

// ---- a minimal DICOM Part 10 writer ------------------------------------------------
// Explicit VR Little Endian, one CT slice of 16-bit MONOCHROME2 pixels. Written by
// hand so the test needs no DICOM toolkit; every element is one a viewer needs.

const LONG_VRS = new Set(['OB', 'OW', 'OF', 'SQ', 'UT', 'UN']);

function element(group, elem, vr, value) {
  let data;
  if (Buffer.isBuffer(value)) data = value;
  else if (vr === 'US') {
    data = Buffer.alloc(2);
    data.writeUInt16LE(value);
  } else if (vr === 'UL') {
    data = Buffer.alloc(4);
    data.writeUInt32LE(value);
  } else data = Buffer.from(String(value), 'latin1');
  if (data.length % 2) data = Buffer.concat([data, Buffer.from(vr === 'UI' || vr === 'OB' ? [0] : [0x20])]); // even length: UI pads with NUL, text with space
  const long = LONG_VRS.has(vr);
  const head = Buffer.alloc(long ? 12 : 8);
  head.writeUInt16LE(group, 0); // tag group
  head.writeUInt16LE(elem, 2); // tag element
  head.write(vr, 4, 'latin1'); // VR
  if (long) head.writeUInt32LE(data.length, 8); // 2 reserved bytes, then a 32-bit length
  else head.writeUInt16LE(data.length, 6); // 16-bit length
  return Buffer.concat([head, data]);
}

function ctSlice({ studyUid, seriesUid, index }) {
  const sopClass = '1.2.840.10008.5.1.4.1.1.2'; // CT Image Storage
  const sopUid = `${seriesUid}.${index + 1}`;
  const z = index * 2.5;
  const meta = Buffer.concat([
    element(0x0002, 0x0001, 'OB', Buffer.from([0, 1])), // File Meta Information Version
    element(0x0002, 0x0002, 'UI', sopClass), // Media Storage SOP Class
    element(0x0002, 0x0003, 'UI', sopUid), // Media Storage SOP Instance
    element(0x0002, 0x0010, 'UI', '1.2.840.10008.1.2.1'), // Explicit VR Little Endian
    element(0x0002, 0x0012, 'UI', '1.2.826.0.1.3680043.9.7433.1'), // Implementation Class UID
  ]);
  // Pixels: stored value = HU + 1024; a disc whose brightness grows with the slice
  // on a -1000 HU background, so every slice looks different.
  const px = Buffer.alloc(ROWS * COLS * 2);
  for (let y = 0; y < ROWS; y++) {
    for (let x = 0; x < COLS; x++) {
      const r = Math.hypot(x - COLS / 2, y - ROWS / 2);
      const hu = r < 10 + index ? 40 + index * 60 : (r < 28 ? -100 : -1000);
      px.writeUInt16LE(hu + 1024, (y * COLS + x) * 2);
    }
  }
  const ds = Buffer.concat([
    element(0x0008, 0x0016, 'UI', sopClass), // SOP Class UID
    element(0x0008, 0x0018, 'UI', sopUid), // SOP Instance UID
    element(0x0008, 0x0060, 'CS', 'CT'), // Modality
    element(0x0010, 0x0010, 'PN', 'TEST^VIEWER'), // Patient's Name
    element(0x0010, 0x0020, 'LO', 'HZ-VIEWER-1'), // Patient ID
    element(0x0018, 0x0050, 'DS', '2.5'), // Slice Thickness
    element(0x0020, 0x000d, 'UI', studyUid), // Study Instance UID
    element(0x0020, 0x000e, 'UI', seriesUid), // Series Instance UID
    element(0x0020, 0x0011, 'IS', '1'), // Series Number
    element(0x0020, 0x0013, 'IS', String(index + 1)), // Instance Number
    element(0x0020, 0x0032, 'DS', `-80\\-80\\${z}`), // Image Position (Patient)
    element(0x0020, 0x0037, 'DS', '1\\0\\0\\0\\1\\0'), // Image Orientation (Patient)
    element(0x0020, 0x0052, 'UI', `${studyUid}.9`), // Frame of Reference UID
    element(0x0020, 0x1041, 'DS', String(z)), // Slice Location
    element(0x0028, 0x0002, 'US', 1), // Samples per Pixel
    element(0x0028, 0x0004, 'CS', 'MONOCHROME2'), // Photometric Interpretation
    element(0x0028, 0x0010, 'US', ROWS), // Rows
    element(0x0028, 0x0011, 'US', COLS), // Columns
    element(0x0028, 0x0030, 'DS', '2.5\\2.5'), // Pixel Spacing
    element(0x0028, 0x0100, 'US', 16), // Bits Allocated
    element(0x0028, 0x0101, 'US', 12), // Bits Stored
    element(0x0028, 0x0102, 'US', 11), // High Bit
    element(0x0028, 0x0103, 'US', 0), // Pixel Representation: unsigned
    element(0x0028, 0x1050, 'DS', '40'), // Window Center
    element(0x0028, 0x1051, 'DS', '400'), // Window Width
    element(0x0028, 0x1052, 'DS', '-1024'), // Rescale Intercept
    element(0x0028, 0x1053, 'DS', '1'), // Rescale Slope
    element(0x7fe0, 0x0010, 'OW', px), // Pixel Data
  ]);
  const groupLength = element(0x0002, 0x0000, 'UL', meta.length); // File Meta Information Group Length
  return Buffer.concat([Buffer.alloc(128), Buffer.from('DICM', 'latin1'), groupLength, meta, ds]);
}

function writeSeries() {
  const studyUid = `1.2.826.0.1.3680043.9.7433.2.${Date.now()}`;
  const seriesUid = `${studyUid}.1`;
  const files = [];
  // Written in shuffled order: the viewer must sort by instance number.
  const order = [...Array(SLICES).keys()].sort((a, b) => ((a * 7) % SLICES) - ((b * 7) % SLICES));
  for (const i of order) {
    const path = join(fixtureDir, `slice-${String((i * 7) % SLICES).padStart(2, '0')}.dcm`);
    writeFileSync(path, ctSlice({ studyUid, seriesUid, index: i }));
    files.push(path);
  }
  return { seriesUid, files };
}

// ---- page helpers ----------------------------------------------------------------------

async function waitFor(page, fn, arg, what, timeout = EVENT_TIMEOUT_MS) {
  try {
    await page.waitForFunction(fn, arg, { timeout, polling: 100 });
    return true;
  } catch {
    console.log(`  (timed out after ${timeout} ms waiting for: ${what})`); // or the predicate threw
    return false;
  }
}

const viewerState = (page) => page.evaluate(() => (window.hzViewer ? window.hzViewer.state() : null));

async function openUser(u) {
  u.context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  await u.context.addInitScript((lang) => localStorage.setItem('huizhen.lang', lang), u.lang);
  await u.context.grantPermissions(['camera', 'microphone']);
  u.page = await u.context.newPage();
  watchConsole(u.page, u.key, consoleErrors);
  await u.page.goto(server.joinUrl(u.joinUrl));
  await u.page.waitForSelector('body[data-ready="true"]', { timeout: EVENT_TIMEOUT_MS });
  await u.page.click('#join-btn');
  const joined = await waitFor(u.page, () => window.hzClient.state === 'joined', null, `${u.key} joined`);
  checks.ok(joined, `${u.key} (${u.role}) joins the consult`);
  u.id = await u.page.evaluate(() => String(window.hzClient.participantId));
  return joined;
}

const shot = (u, name) => u.page.screenshot({ path: join(shotDir, `viewer-${name}-${u.lang}.png`) });

async function rawKeys(page) {
  const generic = await rawKeysInPage(page);
  const viewer = await page.evaluate(() => {
    const re = /\bviewer\.[a-z_0-9]+\b/g;
    const found = new Set();
    const scan = (s) => { for (const m of String(s || '').matchAll(re)) found.add(m[0]); };
    scan(document.body.innerText);
    for (const el of document.querySelectorAll('[title],[aria-label]')) {
      scan(el.getAttribute('title'));
      scan(el.getAttribute('aria-label'));
    }
    return [...found];
  });
  return [...generic, ...viewer];
}

/** What the server says about the documents API: 'ok', or why not. */
async function probeDocumentsApi(roomId, token) {
  try {
    const r = await fetch(`${server.base}api/v1/rooms/${encodeURIComponent(roomId)}/documents`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    const text = await r.text();
    if (r.status === 404 || r.status === 405) return `GET …/documents answers ${r.status} (${text.slice(0, 80)})`;
    return r.ok ? 'ok' : `GET …/documents answers ${r.status}: ${text.slice(0, 120)}`;
  } catch (e) {
    return `GET …/documents failed: ${e.message}`;
  }
}

// ---- the test ------------------------------------------------------------------------------

try {
  await server.start();
  checks.ok(true, 'server answers GET /healthz');
  const { seriesUid, files } = writeSeries();
  checks.equal(files.length, SLICES, `${SLICES} DICOM slices written (Explicit VR LE, 16-bit MONOCHROME2)`);

  const now = new Date();
  const room = await server.api('POST', '/api/v1/rooms', {
    title: '远程影像会诊：肺结节随访',
    kind: 'consult',
    starts_at: now.toISOString(),
    ends_at: new Date(now.getTime() + 3600 * 1000).toISOString(),
    host_institution: '县人民医院',
  }, 201);
  const users = [
    { key: 'A', lang: 'zh-CN', user: 'doc-zhao', display_name: '赵医生', institution: '青山镇卫生院', role: 'doctor' },
    { key: 'B', lang: 'en', user: 'spec-chen', display_name: 'Dr Chen', institution: 'County People\'s Hospital', role: 'specialist' },
    { key: 'C', lang: 'en', user: 'doc-sun', display_name: 'Dr Sun', institution: 'Xishan Clinic', role: 'doctor' },
  ];
  for (const u of users) {
    const tok = await server.api('POST', `/api/v1/rooms/${encodeURIComponent(room.id)}/tokens`, {
      user: u.user, display_name: u.display_name, institution: u.institution, role: u.role,
    }, [200, 201]);
    u.token = tok.token;
    u.joinUrl = tok.join_url;
  }
  const [A, B, C] = users;

  browser = await launchBrowser();
  if (!(await openUser(A)) || !(await openUser(B))) throw new Error('A or B could not join');

  // The viewer is there for everyone: a button, a panel with a plain empty state.
  await A.page.click('#viewer-btn');
  checks.ok(await A.page.isVisible('#viewer'), 'A: the viewer opens from the controls bar and takes the stage');
  const layoutA = await A.page.evaluate(() => ({
    viewer: document.getElementById('viewer').getBoundingClientRect().toJSON(),
    strip: document.getElementById('strip').getBoundingClientRect().toJSON(),
    stageTiles: document.querySelectorAll('#stage .tile').length,
    stripTiles: document.querySelectorAll('#strip .tile').length,
  }));
  checks.ok(layoutA.stageTiles === 0 && layoutA.stripTiles >= 2 && layoutA.viewer.width > 2 * layoutA.strip.width
    && layoutA.viewer.bottom <= 768, 'A: at 1366×768 the image area is large and the video tiles sit beside it', JSON.stringify(layoutA));

  const api = await probeDocumentsApi(room.id, A.token);
  const apiReady = api === 'ok';

  // A shares the series through the file picker (the files in shuffled order).
  await A.page.setInputFiles('#viewer-file', files);
  const settled = await waitFor(A.page, () => {
    const s = window.hzViewer.state();
    return (s.view && s.view.kind === 'dicom') || s.lastError !== null;
  }, null, 'A: the share ends (shown or an error)', 45000);
  if (apiReady && settled) {
    await waitFor(A.page, () => {
      const v = window.hzViewer.state().view;
      return v && v.window !== null;
    }, null, 'A: the first slice is rendered');
  }
  const a1 = await viewerState(A.page);
  if (!apiReady) {
    skip('sharing a DICOM series, following it and late join', `the server has no documents API yet: ${api}`);
    const msg = await A.page.textContent('#viewer-message');
    checks.ok(settled && a1.lastError && a1.lastError.key === 'viewer.err_no_api' && msg.length > 0 && !msg.includes('viewer.'),
      'A: sharing on a server without the documents API says so plainly', `${JSON.stringify(a1.lastError)} "${msg}"`);
    await shot(A, 'no-documents-api');
  } else {
    checks.ok(settled && a1.lastError === null, 'A: the series is uploaded (POST …/documents with the join token)', JSON.stringify(a1.lastError));
    checks.ok(a1.kind === 'dicom' && a1.items.some((i) => i.kind === 'dicom' && i.count === SLICES),
      `A: the ${SLICES} instances are grouped into one series`, JSON.stringify(a1.items));
    checks.ok(a1.view && a1.view.series_uid === seriesUid && a1.view.slices === SLICES && a1.view.slice === 0,
      'A: the series opens at its first slice (sorted by instance number)', JSON.stringify(a1.view));
    checks.ok(a1.view && a1.view.window && Math.round(a1.view.window.center) === 40 && Math.round(a1.view.window.width) === 400,
      'A: the window comes from the file (40/400)', JSON.stringify(a1.view && a1.view.window));
    await shot(A, 'shared');

    // A scrolls with the keyboard to slice N and picks the lung window.
    const relay = await waitFor(A.page, () => {
      const s = window.hzViewer.state();
      return s.isController || !s.syncAvailable;
    }, null, 'A: control taken or the relay refused');
    const a2 = await viewerState(A.page);
    await A.page.focus('#viewer-body');
    for (let i = 0; i < TARGET_SLICE; i++) await A.page.keyboard.press('ArrowDown');
    await A.page.selectOption('#viewer-preset', 'lung');
    const aAt = await waitFor(A.page, ([n, w]) => {
      const v = window.hzViewer.state().view;
      return v && v.slice === n && v.window !== null && Math.round(v.window.center) === w.center && Math.round(v.window.width) === w.width;
    }, [TARGET_SLICE, LUNG], 'A at slice N with the lung window');
    checks.ok(aAt, `A: the arrow keys scroll to slice ${TARGET_SLICE + 1} and the lung preset sets −600/1500`, JSON.stringify((await viewerState(A.page)).view));

    if (!relay || !a2.syncAvailable) {
      skip('B follows A, control handover, late joiner opens at slice N', 'the server answers viewer_control with unknown_type (no viewer relay yet)');
      const text = await A.page.textContent('#viewer-controller');
      checks.ok(text.length > 0 && !text.includes('viewer.'), 'A: the viewer says viewing together is not available', text);
    } else {
      checks.ok(a2.isController, 'A: sharing takes control of the shared view (nobody held it)');
      const bCtl = await waitFor(B.page, (id) => window.hzViewer.state().controller === id, A.id, 'B sees A as controller');
      const bName = await B.page.textContent('#viewer-controller');
      checks.ok(bCtl && bName.includes(A.display_name), 'B: the holder\'s name is shown', bName);
      const bFollow = await waitFor(B.page, ([n, w, uid]) => {
        const v = window.hzViewer.state().view;
        return v && v.series_uid === uid && v.slice === n && v.window !== null && Math.round(v.window.center) === w.center && Math.round(v.window.width) === w.width;
      }, [TARGET_SLICE, LUNG, seriesUid], 'B follows A to slice N with the lung window', 45000);
      const b1 = await viewerState(B.page);
      checks.ok(bFollow, `B: opens the series and follows A to slice ${TARGET_SLICE + 1} and window −600/1500`, JSON.stringify(b1.view));
      checks.ok(b1.open && !b1.isController && (await B.page.isDisabled('#viewer-slider')), 'B: follows (its own slice control is disabled while A holds control)');

      // The pointer: A moves the mouse over the image, B shows it.
      const box = await A.page.locator('#viewer-body').boundingBox();
      await A.page.mouse.move(box.x + box.width / 2 + 20, box.y + box.height / 2 + 10);
      const bPointer = await waitFor(B.page, () => {
        const v = window.hzViewer.state().view;
        return v && Array.isArray(v.pointer) && document.querySelector('#viewer .viewer-overlay .pointer') !== null;
      }, null, 'B shows A\'s pointer');
      checks.ok(bPointer, 'B: the controller\'s pointer is drawn on B\'s image');
      await shot(B, 'following');

      // A hands control to B; B scrolls back two slices; A follows.
      await A.page.selectOption('#viewer-give-to', B.id);
      await A.page.click('#viewer-give');
      const given = await waitFor(B.page, () => window.hzViewer.state().isController, null, 'B controls');
      checks.ok(given, 'A hands control to B (give)');
      if (given) {
        await B.page.focus('#viewer-body');
        await B.page.keyboard.press('ArrowUp');
        await B.page.keyboard.press('ArrowUp');
        const aBack = await waitFor(A.page, (n) => (window.hzViewer.state().view || {}).slice === n, TARGET_SLICE - 2, 'A follows B');
        checks.ok(aBack, 'A follows B\'s scroll after the handover');
        await B.page.keyboard.press('ArrowDown');
        await B.page.keyboard.press('ArrowDown');
        await waitFor(A.page, (n) => (window.hzViewer.state().view || {}).slice === n, TARGET_SLICE, 'A back at N');
      }

      // A late joiner opens on slice N with the window, from joined.viewer.
      if (await openUser(C)) {
        const joinedViewer = await C.page.evaluate(() => {
          const j = window.hzClient.events.find((e) => e.type === 'joined');
          return j ? { viewer: j.viewer || null, documents: Array.isArray(j.documents) ? j.documents.length : null } : null;
        });
        checks.ok(joinedViewer && joinedViewer.viewer && joinedViewer.viewer.state && joinedViewer.viewer.state.slice === TARGET_SLICE,
          'C: the joined reply carries the viewer state (slice N)', JSON.stringify(joinedViewer));
        const cAt = await waitFor(C.page, ([n, w]) => {
          const s = window.hzViewer.state();
          const v = s.view;
          return s.open && v && v.slice === n && v.window !== null && Math.round(v.window.center) === w.center && Math.round(v.window.width) === w.width;
        }, [TARGET_SLICE, LUNG], 'C opens at slice N', 45000);
        checks.ok(cAt, `C (late): the viewer opens on slice ${TARGET_SLICE + 1} with the lung window`, JSON.stringify((await viewerState(C.page)).view));
        await shot(C, 'late-joiner');
      }
    }

    // A file that is none of DICOM, PDF, PNG, JPEG: a clear "bad file" message.
    const bad = join(fixtureDir, 'not-a-scan.dcm');
    writeFileSync(bad, 'this is not a DICOM file\n'.repeat(20));
    const errsBefore = (await viewerState(A.page)).errors;
    await A.page.setInputFiles('#viewer-file', [bad]);
    const refused = await waitFor(A.page, (before) => window.hzViewer.state().errors > before, errsBefore, 'A: the bad file is refused');
    const badErr = (await viewerState(A.page)).lastError;
    const badMsg = await A.page.textContent('#viewer-message');
    checks.ok(refused && badErr.key === 'viewer.err_bad_file' && [400, 415, 422].includes(badErr.status) && !badMsg.includes('viewer.'),
      'A: a file that is not DICOM/PDF/PNG/JPEG is refused with a clear message', `${JSON.stringify(badErr)} "${badMsg}"`);
  }

  // Both languages, no raw keys on any screen.
  for (const u of [A, B]) {
    if (!(await u.page.isVisible('#viewer'))) await u.page.click('#viewer-btn');
    checks.equal((await rawKeys(u.page)).join(','), '', `${u.key} (${u.lang}): no untranslated key in the viewer`);
    await shot(u, 'viewer');
  }
} catch (e) {
  checks.ok(false, 'viewer test ran to the end', e && e.stack);
  console.log(server.tail(40));
} finally {
  if (consoleErrors.length) console.log(`console errors:\n  ${consoleErrors.join('\n  ')}`);
  if (browser) await browser.close().catch(() => {});
  const clean = await server.stop();
  checks.ok(clean, 'server exits cleanly on SIGTERM');
  cleanup();
  checks.finish();
}
