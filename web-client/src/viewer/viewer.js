// The shared viewer of a consult: the room's documents (DICOM series, PDFs,
// images), a share button, and viewing together — one participant holds control
// (take / release / give), the others follow the controller's document, slice,
// window, zoom, pan, pointer and measurement live; a late joiner opens at the
// state carried by `joined.viewer`. Works alone when the server has no viewer
// relay yet (unknown_type) or no documents API (404/405): it says so and keeps
// local viewing. window.hzViewer exposes the state for tests.

import './viewer.css';
import { t } from '../lib/i18n.js';
import { $, h, notify } from '../lib/dom.js';
import {
  listDocuments, fetchDocument, uploadDocuments, groupDocuments, documentUrl, DocumentsError,
} from './api.js';
import { LatestWinsSender, stateMessage } from './sync.js';

const PRESET_NAMES = ['soft_tissue', 'lung', 'bone', 'brain'];
const TOOL_MODES = ['window', 'pan', 'zoom', 'measure', 'pointer'];
const idOf = (x) => (x === null || x === undefined ? null : String(x));

export class Viewer {
  /**
   * ctx: session() → CallSession|null, token() → join token, roomId() → room id,
   *      myId() → our participant id, participants() → Map id → participant,
   *      canModerate() → bool, canShare() → bool, onOpenChange(open) → relayout.
   */
  constructor(ctx) {
    this.ctx = ctx;
    this.documents = new Map(); // id → document
    this.items = []; // grouped (series, pdf, image)
    this.item = null; // the item shown
    this.view = null; // DicomView | PdfView | ImageView
    this.openGen = 0; // bumped by every openItem; only the latest installs its view
    this.open = false;
    this.controller = null;
    this.syncAvailable = true;
    this.apiAvailable = true;
    this.want = null; // { doc_id, state } to follow, latest wins
    this.unresolved = null; // a state for a document not listed yet
    this.following = false;
    this.received = 0;
    this.lastError = null;
    this.uploading = null; // { fraction }
    this.sender = new LatestWinsSender({
      read: () => this.#stateMessage(),
      send: (msg) => this.#send(msg, (err) => this.#syncRefused(err)),
    });
    this.#build();
    window.hzViewer = {
      state: () => this.snapshot(),
      open: (key) => this.openItem(key),
      view: () => this.view,
    };
  }

  // ---- DOM ------------------------------------------------------------------

  #build() {
    const tr = (key, attrs = {}) => ({ 'data-i18n': key, ...attrs });
    this.el = h('section', { id: 'viewer', class: 'viewer', hidden: true, 'aria-labelledby': 'viewer-heading' },
      h('h3', { id: 'viewer-heading', class: 'visually-hidden', 'data-i18n': 'viewer.heading' }),
      h('div', { class: 'viewer-bar' },
        h('label', { class: 'viewer-doc-label', for: 'viewer-doc', 'data-i18n': 'viewer.document' }),
        this.docSelect = h('select', { id: 'viewer-doc', onchange: (e) => this.#chooseItem(e.target.value) }),
        this.shareBtn = h('button', tr('viewer.share', { type: 'button', class: 'secondary small', id: 'viewer-share', onclick: () => this.fileInput.click() })),
        this.fileInput = h('input', {
          type: 'file', id: 'viewer-file', multiple: true, hidden: true,
          accept: '.dcm,.dicom,application/dicom,application/pdf,image/png,image/jpeg,.pdf,.png,.jpg,.jpeg',
          onchange: (e) => this.share(e.target.files),
        }),
        h('label', { class: 'viewer-deid' },
          this.deidBox = h('input', { type: 'checkbox', id: 'viewer-deid' }),
          h('span', { 'data-i18n': 'viewer.deidentify' })),
        h('span', { class: 'viewer-spacer' }),
        this.controlText = h('span', { class: 'viewer-controller', id: 'viewer-controller', role: 'status' }),
        this.takeBtn = h('button', tr('viewer.take', { type: 'button', class: 'pill small', id: 'viewer-take', onclick: () => this.control('take') })),
        this.releaseBtn = h('button', tr('viewer.release', { type: 'button', class: 'pill small', id: 'viewer-release', onclick: () => this.control('release') })),
        this.giveSelect = h('select', { id: 'viewer-give-to', 'aria-label': '' }),
        this.giveBtn = h('button', tr('viewer.give', { type: 'button', class: 'pill small', id: 'viewer-give', onclick: () => this.control('give', this.giveSelect.value) })),
        h('button', tr('viewer.close', { type: 'button', class: 'secondary small', id: 'viewer-close', onclick: () => this.setOpen(false) }))),
      this.progress = h('div', { class: 'viewer-progress', hidden: true, role: 'status' },
        this.progressBar = h('progress', { max: '100', value: '0' }),
        this.progressText = h('span', {})),
      this.message = h('p', { class: 'viewer-message', id: 'viewer-message', role: 'status', hidden: true }),
      this.body = h('div', { class: 'viewer-body', id: 'viewer-body', tabindex: '0', onkeydown: (e) => this.#key(e) },
        this.empty = h('p', { class: 'viewer-empty', 'data-i18n': 'viewer.empty' })),
      this.tools = h('div', { class: 'viewer-tools', id: 'viewer-tools' }));
    this.dicomTools = h('div', { class: 'tool-row', hidden: true },
      h('span', { class: 'tool-group', role: 'group', 'data-i18n-title': 'viewer.tool' },
        TOOL_MODES.map((m) => h('button', tr(`viewer.mode_${m}`, {
          type: 'button', class: 'pill small', 'data-mode': m, 'aria-pressed': 'false', onclick: () => this.#setMode(m),
        })))),
      h('label', { class: 'viewer-preset' },
        h('span', { 'data-i18n': 'viewer.window' }),
        this.presetSelect = h('select', { id: 'viewer-preset', onchange: (e) => { if (e.target.value) this.preset(e.target.value); } })),
      this.windowText = h('span', { class: 'viewer-wl', id: 'viewer-wl' }),
      h('label', { class: 'viewer-slice' },
        h('span', { 'data-i18n': 'viewer.slice' }),
        this.slider = h('input', { type: 'range', id: 'viewer-slider', min: '1', max: '1', value: '1', oninput: (e) => this.#scroll(Number(e.target.value) - 1) })),
      this.sliceText = h('span', { class: 'viewer-slice-text', id: 'viewer-slice-text' }),
      h('button', tr('viewer.reset', { type: 'button', class: 'pill small', onclick: () => this.#local((v) => v.reset()) })));
    this.pageTools = h('div', { class: 'tool-row', hidden: true },
      h('button', tr('viewer.prev_page', { type: 'button', class: 'pill small', id: 'viewer-prev', onclick: () => this.#page(-1) })),
      this.pageText = h('span', { id: 'viewer-page-text' }),
      h('button', tr('viewer.next_page', { type: 'button', class: 'pill small', id: 'viewer-next', onclick: () => this.#page(1) })));
    this.zoomTools = h('div', { class: 'tool-row', hidden: true },
      h('button', tr('viewer.zoom_out', { type: 'button', class: 'pill small', onclick: () => this.#zoom(1 / 1.25) })),
      this.zoomText = h('span', {}),
      h('button', tr('viewer.zoom_in', { type: 'button', class: 'pill small', onclick: () => this.#zoom(1.25) })));
    this.tools.append(this.dicomTools, this.pageTools, this.zoomTools);
  }

  /** Put the viewer into the page: the stage area and a button in the controls. */
  mount(stageArea, controlsButtons, beforeButton) {
    stageArea.prepend(this.el);
    this.toggleBtn = h('button', {
      type: 'button', class: 'pill', id: 'viewer-btn', 'aria-pressed': 'false', 'aria-controls': 'viewer',
      onclick: () => this.setOpen(!this.open),
    }, h('span', { 'data-i18n': 'viewer.button' }), ' ', this.countBadge = h('span', { class: 'badge', hidden: true }));
    controlsButtons.insertBefore(this.toggleBtn, beforeButton || null);
    this.render();
  }

  setOpen(open) {
    this.open = open;
    this.el.hidden = !open;
    if (this.toggleBtn) this.toggleBtn.setAttribute('aria-pressed', String(open));
    this.ctx.onOpenChange(open);
    if (open && this.view && this.view.resize) requestAnimationFrame(() => this.view && this.view.resize && this.view.resize());
    this.render();
  }

  // ---- server messages --------------------------------------------------------

  onJoined(msg) {
    this.syncAvailable = true;
    if (Array.isArray(msg.documents)) this.#addDocuments(msg.documents);
    else this.#loadList();
    const v = msg.viewer && typeof msg.viewer === 'object' ? msg.viewer : null;
    this.controller = v ? idOf(v.controller) : null;
    if (v && v.doc_id !== undefined && v.doc_id !== null) {
      this.#follow({ doc_id: idOf(v.doc_id), state: v.state || null }, true);
    }
    this.#applyInteractive();
    this.render();
  }

  /** A signaling message; true when it was the viewer's. */
  onMessage(msg) {
    switch (msg.type) {
      case 'document_shared':
        if (msg.document) this.#addDocuments([msg.document]);
        if (!this.item && (this.controller === null || this.controller === this.ctx.myId()) && msg.document) {
          const item = this.#itemOfDoc(idOf(msg.document.id));
          if (item) this.openItem(item.key).catch((e) => this.#fail(e));
        }
        this.render();
        return false; // the page also tells the user
      case 'viewer_controller': {
        const before = this.controller;
        this.controller = idOf(msg.participant_id);
        this.#applyInteractive();
        if (this.controller === this.ctx.myId() && before !== this.controller) this.sender.schedule();
        if (this.controller !== before) this.#announceController();
        this.render();
        return true;
      }
      case 'viewer_state':
        if (idOf(msg.participant_id) === this.ctx.myId()) return true;
        this.received++;
        this.#follow({ doc_id: idOf(msg.doc_id), state: msg.state || null }, false);
        return true;
      case 'participant_left':
        if (idOf(msg.participant_id) === this.controller) {
          this.controller = null;
          this.#applyInteractive();
        }
        this.render();
        return false;
      case 'participant_joined':
        this.render();
        return false;
      default:
        return false;
    }
  }

  #announceController() {
    const name = this.#nameOf(this.controller);
    if (this.controller === null) notify(t('viewer.control_free'), 'info', 3000);
    else if (this.controller === this.ctx.myId()) notify(t('viewer.control_you'), 'ok', 3000);
    else notify(t('viewer.control_other', { name }), 'info', 3000);
  }

  // ---- documents ----------------------------------------------------------------

  async #loadList() {
    const room = this.ctx.roomId();
    if (!room) return;
    try {
      this.#addDocuments(await listDocuments(room, this.ctx.token()));
      this.apiAvailable = true;
    } catch (e) {
      if (e instanceof DocumentsError && e.key === 'viewer.err_no_api') this.apiAvailable = false;
    }
    this.render();
  }

  /** A state named a document we do not know (a missed document_shared): ask the list, at most every 2 s. */
  #refreshList() {
    const now = performance.now();
    if (this.listAskedAt && now - this.listAskedAt < 2000) return;
    this.listAskedAt = now;
    this.#loadList();
  }

  #addDocuments(docs) {
    for (const d of docs) if (d && d.id !== undefined && d.id !== null) this.documents.set(idOf(d.id), { ...d, id: idOf(d.id) });
    const shownKey = this.item ? this.item.key : null;
    this.items = groupDocuments([...this.documents.values()]);
    if (this.unresolved && !this.want) {
      const u = this.unresolved;
      this.unresolved = null;
      queueMicrotask(() => { if (!this.want) this.#follow(u, false); });
    }
    if (shownKey) {
      const again = this.items.find((i) => i.key === shownKey);
      if (again) {
        const grew = again.kind === 'dicom' && this.view && this.view.sliceCount !== again.frames;
        this.item = again;
        // A series shown while its slices were still arriving (one document_shared each):
        // reload its stack once they settle, at the slice and window shown.
        if (grew) {
          clearTimeout(this.regrowTimer);
          this.regrowTimer = setTimeout(() => {
            if (!this.item || this.item.key !== shownKey || !this.view) return;
            this.#follow({ doc_id: this.item.docs[0].id, state: (!this.#mayInteract() && this.lastFollowed) || this.view.state() }, false);
          }, 300);
        }
      }
    }
  }

  #itemOfDoc(docId) {
    return this.items.find((i) => i.docs.some((d) => d.id === docId)) || null;
  }

  #itemFor(docId, state) {
    if (state && state.kind === 'dicom' && state.series_uid) {
      const s = this.items.find((i) => i.kind === 'dicom' && i.series_uid === state.series_uid);
      if (s) return s;
    }
    return this.#itemOfDoc(docId);
  }

  // ---- opening and following ---------------------------------------------------------

  async openItem(key, state = null) {
    const item = this.items.find((i) => i.key === key);
    if (!item) return false;
    // Opens overlap (a document_shared event, the upload's answer, a follow): only
    // the latest one may install its view; an older one stops at its next await.
    const gen = ++this.openGen;
    const stale = () => gen !== this.openGen;
    if (!this.open) this.setOpen(true);
    if (this.view) this.view.destroy();
    this.view = null;
    this.item = item;
    this.#clearBody();
    this.#say('common.loading', {}, 'info');
    this.render();
    const container = h('div', { class: `viewer-view viewer-${item.kind}` });
    this.body.append(container);
    const onChange = () => this.#changed();
    const token = this.ctx.token();
    const room = this.ctx.roomId();
    if (item.kind === 'dicom') {
      const { DicomView, PRESETS } = await import('./dicom.js');
      if (stale()) return false;
      this.presets = PRESETS;
      const v = new DicomView(container, { token, onChange });
      this.view = v;
      v.setInteractive(this.#mayInteract());
      await v.open(item, (id) => documentUrl(room, id), state && Number.isFinite(state.slice) ? state.slice : 0);
    } else {
      const blob = await fetchDocument(room, item.docs[0].id, token);
      const { PdfView, ImageView } = item.kind === 'pdf' ? await import('./pdf.js') : await import('./image.js');
      if (stale()) return false;
      this.view = item.kind === 'pdf' ? new PdfView(container, { onChange }) : new ImageView(container, { onChange });
      this.view.setInteractive(this.#mayInteract());
      await this.view.open(blob);
    }
    if (stale()) return false; // another open overtook this one
    if (state) await this.view.apply(state);
    this.#say(null);
    this.#applyInteractive();
    this.render();
    if (this.controller === this.ctx.myId()) this.sender.schedule();
    return true;
  }

  #clearBody() {
    for (const c of [...this.body.children]) if (c !== this.empty) c.remove();
  }

  /** Follow the controller: the latest wanted state wins; one open at a time. */
  #follow(want, late) {
    this.want = want;
    if (late && !this.open) this.setOpen(true);
    if (this.following) return;
    this.following = true;
    (async () => {
      try {
        while (this.want) {
          const { doc_id: docId, state } = this.want;
          this.want = null;
          const item = this.#itemFor(docId, state);
          if (!item) {
            this.unresolved = { doc_id: docId, state }; // retried when document_shared or the list brings it
            this.#refreshList();
            continue;
          }
          this.unresolved = null;
          if (!this.open) this.setOpen(true);
          if (state) this.lastFollowed = state;
          const grown = item.kind === 'dicom' && this.view && this.view.sliceCount !== item.frames;
          if (!this.item || this.item.key !== item.key || !this.view || grown) await this.openItem(item.key, state);
          else if (state) await this.view.apply(state);
          this.render();
        }
      } catch (e) {
        this.#fail(e);
      } finally {
        this.following = false;
      }
    })();
  }

  #chooseItem(key) {
    if (!key) return;
    this.openItem(key).catch((e) => this.#fail(e));
  }

  // ---- control ------------------------------------------------------------------------

  control(action, to) {
    const session = this.ctx.session();
    if (!session) return;
    const msg = { type: 'viewer_control', action };
    if (action === 'give') {
      if (!to) return;
      msg.participant_id = to;
    }
    session.send(msg, (err) => this.#syncRefused(err));
  }

  #syncRefused(err) {
    if (err && err.code === 'unknown_type') {
      if (this.syncAvailable) notify(t('viewer.sync_unavailable'), 'info');
      this.syncAvailable = false;
      this.controller = null;
      this.#applyInteractive();
    } else if (err && err.code !== 'disconnected') {
      notify(t('viewer.control_refused', { message: err.message || err.code || '' }), 'warn');
    }
    this.render();
  }

  #send(msg, onError) {
    const session = this.ctx.session();
    if (!session || !this.syncAvailable) return false;
    return session.send(msg, onError);
  }

  #mayInteract() {
    return this.controller === null || this.controller === this.ctx.myId();
  }

  #applyInteractive() {
    if (this.view) this.view.setInteractive(this.#mayInteract());
    this.el.classList.toggle('following', !this.#mayInteract());
  }

  #stateMessage() {
    if (!this.view || !this.item || this.controller !== this.ctx.myId()) return null;
    const s = this.view.state();
    return s ? stateMessage(this.item.docs[0].id, s) : null;
  }

  #changed() {
    if (this.controller === this.ctx.myId()) this.sender.schedule();
    this.renderTools();
  }

  // ---- local actions (allowed when we control or nobody does) ----------------------------

  #local(fn) {
    if (!this.view || !this.#mayInteract()) return;
    fn(this.view);
    this.#changed();
  }

  preset(name) {
    this.#local((v) => v.preset && v.preset(name));
  }

  #setMode(mode) {
    if (!this.view || !this.view.setMode) return;
    this.view.setMode(mode);
    this.renderTools();
  }

  #scroll(i) {
    this.#local((v) => v.scrollTo && v.scrollTo(i));
  }

  #page(d) {
    this.#local((v) => v.goTo && v.goTo(v.page + d));
  }

  #zoom(f) {
    this.#local((v) => {
      if (v.zoomBy) v.zoomBy(f);
      else if (v.setZoom) v.setZoom(v.zoom * f);
    });
  }

  #key(e) {
    if (!this.view) return;
    const k = e.key;
    const kind = this.item && this.item.kind;
    let handled = true;
    if (kind === 'dicom' && (k === 'ArrowDown' || k === 'ArrowRight' || k === 'PageDown')) this.#scroll(this.view.slice + (k === 'PageDown' ? 10 : 1));
    else if (kind === 'dicom' && (k === 'ArrowUp' || k === 'ArrowLeft' || k === 'PageUp')) this.#scroll(this.view.slice - (k === 'PageUp' ? 10 : 1));
    else if (kind === 'dicom' && k === 'Home') this.#scroll(0);
    else if (kind === 'dicom' && k === 'End') this.#scroll(this.view.sliceCount - 1);
    else if (kind === 'pdf' && (k === 'ArrowRight' || k === 'PageDown')) this.#page(1);
    else if (kind === 'pdf' && (k === 'ArrowLeft' || k === 'PageUp')) this.#page(-1);
    else if (k === '+' || k === '=') this.#zoom(1.25);
    else if (k === '-') this.#zoom(1 / 1.25);
    else handled = false;
    if (handled) e.preventDefault();
  }

  // ---- sharing ----------------------------------------------------------------------------

  async share(fileList) {
    const files = [...(fileList || [])];
    this.fileInput.value = '';
    if (files.length === 0) return;
    const room = this.ctx.roomId();
    if (!this.open) this.setOpen(true);
    this.uploading = { fraction: 0, count: files.length };
    this.#say(null);
    this.render();
    try {
      const docs = await uploadDocuments(room, this.ctx.token(), files, {
        deidentify: this.deidBox.checked,
        onProgress: (f) => {
          this.uploading = { fraction: f, count: files.length };
          this.renderProgress();
        },
      });
      this.uploading = null;
      this.#addDocuments(docs);
      notify(t('viewer.shared', { count: docs.length }), 'ok');
      const first = docs.length ? this.#itemOfDoc(idOf(docs[0].id)) : null;
      if (first) {
        if (this.syncAvailable && this.controller === null) this.control('take');
        await this.openItem(first.key);
      }
    } catch (e) {
      this.uploading = null;
      this.#fail(e);
    }
    this.render();
  }

  #fail(e) {
    const key = e instanceof DocumentsError ? e.key : 'viewer.err_open';
    this.lastError = { key, status: e && e.status, message: (e && e.message) || String(e) };
    this.errors = (this.errors || 0) + 1;
    if (key === 'viewer.err_no_api') this.apiAvailable = false;
    this.#say(key, { message: this.lastError.message, status: this.lastError.status ?? '' }, 'error');
    console.warn(`huizhen viewer: ${(e && e.stack) || this.lastError.message}`);
  }

  #say(key, params = {}, kind = 'info') {
    this.msg = key ? { key, params, kind } : null;
    this.renderMessage();
  }

  // ---- rendering ------------------------------------------------------------------------------

  #nameOf(id) {
    if (id === null) return '';
    if (id === this.ctx.myId()) return t('viewer.you');
    const p = this.ctx.participants().get(id);
    return (p && p.display_name) || id;
  }

  render() {
    if (this.countBadge) {
      this.countBadge.hidden = this.items.length === 0;
      this.countBadge.textContent = String(this.items.length);
    }
    const me = this.ctx.myId();
    // documents
    const keys = this.items.map((i) => i.key).join('|');
    if (this.docSelect.dataset.keys !== keys || this.docSelect.dataset.lang !== document.documentElement.lang) {
      this.docSelect.replaceChildren(h('option', { value: '' }, t(this.items.length ? 'viewer.choose' : 'viewer.none')),
        ...this.items.map((i) => h('option', { value: i.key }, this.#itemLabel(i))));
      this.docSelect.dataset.keys = keys;
      this.docSelect.dataset.lang = document.documentElement.lang;
    }
    this.docSelect.value = this.item ? this.item.key : '';
    this.docSelect.disabled = !this.#mayInteract() || this.items.length === 0;
    this.shareBtn.disabled = this.uploading !== null || !this.ctx.canShare();
    this.shareBtn.title = this.ctx.canShare() ? '' : t('viewer.err_forbidden');
    // control
    const mine = this.controller !== null && this.controller === me;
    this.controlText.textContent = !this.syncAvailable
      ? t('viewer.sync_unavailable_short')
      : this.controller === null ? t('viewer.nobody_controls') : t('viewer.controlled_by', { name: this.#nameOf(this.controller) });
    this.controlText.dataset.controller = this.controller ?? '';
    this.takeBtn.hidden = !this.syncAvailable || mine || !(this.controller === null || this.ctx.canModerate());
    this.releaseBtn.hidden = !this.syncAvailable || !mine;
    const others = [...this.ctx.participants().values()].filter((p) => idOf(p.id) !== me);
    this.giveSelect.hidden = this.giveBtn.hidden = !this.syncAvailable || !mine || others.length === 0;
    this.giveSelect.setAttribute('aria-label', t('viewer.give_to'));
    const giveKeys = others.map((p) => `${p.id}:${p.display_name}`).join('|');
    if (this.giveSelect.dataset.keys !== giveKeys) {
      const keep = this.giveSelect.value;
      this.giveSelect.replaceChildren(...others.map((p) => h('option', { value: idOf(p.id) }, p.display_name || idOf(p.id))));
      if (keep) this.giveSelect.value = keep;
      this.giveSelect.dataset.keys = giveKeys;
    }
    this.empty.hidden = this.item !== null;
    this.empty.textContent = t(this.apiAvailable ? 'viewer.empty' : 'viewer.err_no_api');
    this.renderProgress();
    this.renderMessage();
    this.renderTools();
  }

  #itemLabel(i) {
    if (i.kind === 'dicom') return t('viewer.series_label', { name: i.name, count: i.frames || i.docs.length });
    return `${t(`viewer.kind_${i.kind}`)} · ${i.name}`;
  }

  renderProgress() {
    this.progress.hidden = this.uploading === null;
    if (this.uploading) {
      const pct = Math.round(this.uploading.fraction * 100);
      this.progressBar.value = pct;
      this.progressText.textContent = t('viewer.uploading', { percent: pct, count: this.uploading.count });
    }
  }

  renderMessage() {
    this.message.hidden = !this.msg;
    this.message.dataset.kind = this.msg ? this.msg.kind : '';
    this.message.dataset.key = this.msg ? this.msg.key : '';
    this.message.textContent = this.msg ? t(this.msg.key, this.msg.params) : '';
  }

  renderTools() {
    const kind = this.view && this.item ? this.item.kind : null;
    const may = this.#mayInteract();
    this.dicomTools.hidden = kind !== 'dicom';
    this.pageTools.hidden = kind !== 'pdf';
    this.zoomTools.hidden = kind !== 'pdf' && kind !== 'image';
    for (const b of this.tools.querySelectorAll('button, select, input')) b.disabled = !may;
    if (kind === 'dicom') {
      const v = this.view;
      for (const b of this.dicomTools.querySelectorAll('[data-mode]')) b.setAttribute('aria-pressed', String(b.dataset.mode === v.mode));
      const n = v.sliceCount;
      this.slider.max = String(Math.max(1, n));
      this.slider.value = String(v.slice + 1);
      this.slider.setAttribute('aria-label', t('viewer.slice'));
      this.sliceText.textContent = t('viewer.slice_of', { n: v.slice + 1, count: n });
      const w = v.window;
      this.windowText.textContent = w ? t('viewer.wl', { center: Math.round(w.center), width: Math.round(w.width) }) : '';
      const presetOptions = [h('option', { value: '' }, t('viewer.preset_choose')),
        ...PRESET_NAMES.map((p) => h('option', { value: p }, t(`viewer.preset_${p}`)))];
      if (this.presetSelect.dataset.lang !== document.documentElement.lang) {
        this.presetSelect.replaceChildren(...presetOptions);
        this.presetSelect.dataset.lang = document.documentElement.lang;
      }
      const match = w && this.presets ? PRESET_NAMES.find((p) => this.presets[p].center === Math.round(w.center) && this.presets[p].width === Math.round(w.width)) : null;
      this.presetSelect.value = match || '';
    } else if (kind === 'pdf') {
      this.pageText.textContent = t('viewer.page_of', { n: this.view.page, count: this.view.pages });
      this.zoomText.textContent = `${Math.round(this.view.zoom * 100)}%`;
    } else if (kind === 'image') {
      this.zoomText.textContent = `${Math.round(this.view.zoom * 100)}%`;
    }
  }

  snapshot() {
    return {
      open: this.open,
      item: this.item ? this.item.key : null,
      kind: this.item ? this.item.kind : null,
      docId: this.item ? this.item.docs[0].id : null,
      documents: this.documents.size,
      items: this.items.map((i) => ({ key: i.key, kind: i.kind, count: i.docs.length })),
      controller: this.controller,
      isController: this.controller !== null && this.controller === this.ctx.myId(),
      syncAvailable: this.syncAvailable,
      apiAvailable: this.apiAvailable,
      uploading: this.uploading,
      sent: this.sender.sent,
      received: this.received,
      lastError: this.lastError,
      errors: this.errors || 0,
      view: this.view ? this.view.state() : null,
    };
  }
}
