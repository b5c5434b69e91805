// A PDF shown with pdf.js (pdfjs-dist, its worker bundled by Vite into our
// assets): one page at a time on a canvas, page and zoom shared with the room.
// Loaded on demand.

import { getDocument, GlobalWorkerOptions } from 'pdfjs-dist';
import workerUrl from 'pdfjs-dist/build/pdf.worker.min.mjs?url';

GlobalWorkerOptions.workerSrc = workerUrl;

export class PdfView {
  constructor(element, { onChange }) {
    this.element = element;
    this.onChange = onChange || (() => {});
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'viewer-canvas';
    this.element.append(this.canvas);
    this.doc = null;
    this.page = 1;
    this.zoom = 1;
    this.rendering = Promise.resolve();
    this.renderTask = null;
    this.interactive = true;
    this.resizeObserver = new ResizeObserver(() => this.render());
    this.resizeObserver.observe(this.element);
  }

  async open(blob) {
    const data = new Uint8Array(await blob.arrayBuffer());
    this.doc = await getDocument({ data, isEvalSupported: false }).promise;
    this.page = 1;
    this.zoom = 1;
    await this.render();
  }

  get pages() {
    return this.doc ? this.doc.numPages : 0;
  }

  async render() {
    if (!this.doc) return;
    const pageNo = this.page;
    const zoom = this.zoom;
    if (this.renderTask) this.renderTask.cancel();
    const page = await this.doc.getPage(pageNo);
    const base = page.getViewport({ scale: 1 });
    const box = this.element.getBoundingClientRect();
    const fit = Math.max(0.1, Math.min((box.width - 8) / base.width, (box.height - 8) / base.height));
    const dpr = window.devicePixelRatio || 1;
    const vp = page.getViewport({ scale: fit * zoom * dpr });
    this.canvas.width = Math.floor(vp.width);
    this.canvas.height = Math.floor(vp.height);
    this.canvas.style.width = `${Math.floor(vp.width / dpr)}px`;
    this.canvas.style.height = `${Math.floor(vp.height / dpr)}px`;
    this.renderTask = page.render({ canvas: this.canvas, canvasContext: this.canvas.getContext('2d'), viewport: vp });
    try {
      await this.renderTask.promise;
    } catch (e) {
      if (e && e.name !== 'RenderingCancelledException') throw e;
    }
  }

  async goTo(n) {
    if (!this.doc) return;
    const p = Math.min(Math.max(1, Math.round(n)), this.pages);
    if (p === this.page) return;
    this.page = p;
    this.onChange();
    await this.render();
  }

  async setZoom(z) {
    const v = Math.min(8, Math.max(0.25, z));
    if (v === this.zoom) return;
    this.zoom = v;
    this.onChange();
    await this.render();
  }

  setInteractive(on) {
    this.interactive = on;
  }

  state() {
    return this.doc ? { kind: 'pdf', page: this.page, pages: this.pages, zoom: this.zoom } : null;
  }

  async apply(s) {
    if (!this.doc || !s) return;
    let changed = false;
    if (Number.isFinite(s.page)) {
      const p = Math.min(Math.max(1, Math.round(s.page)), this.pages);
      if (p !== this.page) { this.page = p; changed = true; }
    }
    if (Number.isFinite(s.zoom) && s.zoom > 0 && s.zoom !== this.zoom) { this.zoom = Math.min(8, Math.max(0.25, s.zoom)); changed = true; }
    if (changed) await this.render();
  }

  destroy() {
    this.resizeObserver.disconnect();
    if (this.renderTask) this.renderTask.cancel();
    if (this.doc) this.doc.destroy();
    this.canvas.remove();
  }
}
