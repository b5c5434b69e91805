// The DICOM view: one Cornerstone3D stack viewport showing a series loaded with
// wadouri: URLs from our documents API (the join token added by the loader's
// beforeSend hook). Tools: window/level, pan, zoom, stack scroll (wheel), a
// length measurement; window presets; a pointer. The view state is read from
// and applied to the viewport itself, so what is reported is what is shown.
// Loaded on demand (dynamic import) so the consult page stays light.

import {
  init as csInit, RenderingEngine, Enums, utilities as csUtils, getRenderingEngine,
} from '@cornerstonejs/core';
import {
  init as toolsInit, addTool, ToolGroupManager, WindowLevelTool, PanTool, ZoomTool, StackScrollTool, LengthTool,
  Enums as ToolEnums, annotation,
} from '@cornerstonejs/tools';
import { init as dicomImageLoaderInit } from '@cornerstonejs/dicom-image-loader';

export const PRESETS = {
  soft_tissue: { center: 40, width: 400 },
  lung: { center: -600, width: 1500 },
  bone: { center: 400, width: 1800 },
  brain: { center: 40, width: 80 },
};

const ENGINE_ID = 'hz-viewer-engine';
const VIEWPORT_ID = 'hz-viewer-stack';
const TOOL_GROUP_ID = 'hz-viewer-tools';
export const MODES = ['window', 'pan', 'zoom', 'measure', 'pointer'];
const MODE_TOOL = { window: WindowLevelTool.toolName, pan: PanTool.toolName, zoom: ZoomTool.toolName, measure: LengthTool.toolName };

let ready = null;
let currentToken = '';

async function setup() {
  await csInit();
  toolsInit();
  // Workers and codecs come from our own bundle (assets/), never a CDN.
  dicomImageLoaderInit({
    maxWebWorkers: Math.max(1, Math.min(2, Math.floor((navigator.hardwareConcurrency || 2) / 2))),
    beforeSend: () => ({ Authorization: `Bearer ${currentToken}` }),
  });
  for (const T of [WindowLevelTool, PanTool, ZoomTool, StackScrollTool, LengthTool]) addTool(T);
}

const num = (v, d = null) => (typeof v === 'number' && Number.isFinite(v) ? v : d);

export function imageIdsFor(docs, urlOf) {
  const ids = [];
  for (const d of docs) {
    const frames = Math.max(1, num(Number(d.frames), 1) || 1);
    const url = urlOf(d.id);
    if (frames === 1) ids.push(`wadouri:${url}`);
    else for (let f = 1; f <= frames; f++) ids.push(`wadouri:${url}${url.includes('?') ? '&' : '?'}frame=${f}`);
  }
  return ids;
}

export class DicomView {
  /**
   * element: an empty block element the viewport fills.
   * onChange(): called after any change of slice, window, camera, measure or pointer.
   */
  constructor(element, { token, onChange }) {
    this.element = element;
    this.onChange = onChange || (() => {});
    this.token = token;
    this.series = null;
    this.imageIds = [];
    this.viewport = null;
    this.engine = null;
    this.pointer = null; // [x, y] image pixels: ours when we control, the controller's when we follow
    this.remoteMeasure = null; // the controller's measure, drawn by us while following
    this.mode = 'window';
    this.interactive = true;
    this.overlay = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    this.overlay.classList.add('viewer-overlay');
    this.overlay.setAttribute('aria-hidden', 'true');
    this.onEvent = () => {
      this.#reassert();
      this.drawOverlay();
      this.onChange();
    };
  }

  async open(series, urlOf, startSlice = 0) {
    currentToken = this.token;
    if (!ready) ready = setup();
    await ready;
    if (this.destroyed) return; // overtaken by a newer open while the libraries loaded
    this.series = series;
    this.imageIds = imageIdsFor(series.docs, urlOf);
    if (!this.engine) {
      this.engine = getRenderingEngine(ENGINE_ID) || new RenderingEngine(ENGINE_ID);
      this.element.oncontextmenu = (e) => e.preventDefault();
      this.engine.enableElement({ viewportId: VIEWPORT_ID, type: Enums.ViewportType.STACK, element: this.element });
      this.viewport = this.engine.getViewport(VIEWPORT_ID);
      let group = ToolGroupManager.getToolGroup(TOOL_GROUP_ID);
      if (!group) {
        group = ToolGroupManager.createToolGroup(TOOL_GROUP_ID);
        for (const T of [WindowLevelTool, PanTool, ZoomTool, StackScrollTool, LengthTool]) group.addTool(T.toolName);
      }
      group.addViewport(VIEWPORT_ID, ENGINE_ID);
      this.group = group;
      this.element.append(this.overlay);
      for (const ev of [Enums.Events.STACK_NEW_IMAGE, Enums.Events.VOI_MODIFIED, Enums.Events.CAMERA_MODIFIED]) {
        this.element.addEventListener(ev, this.onEvent);
      }
      this.element.addEventListener(Enums.Events.IMAGE_RENDERED, () => {
        this.#reassert();
        this.drawOverlay();
      });
      for (const ev of [ToolEnums.Events.ANNOTATION_COMPLETED, ToolEnums.Events.ANNOTATION_MODIFIED, ToolEnums.Events.ANNOTATION_REMOVED]) {
        this.element.addEventListener(ev, this.onEvent);
      }
      this.element.addEventListener('mousemove', (e) => this.#pointerMove(e));
      this.element.addEventListener('mouseleave', () => {
        if (this.interactive && this.pointer) {
          this.pointer = null;
          this.onEvent();
        }
      });
      this.resizeObserver = new ResizeObserver(() => this.resize());
      this.resizeObserver.observe(this.element);
    }
    this.clearMeasure();
    const start = Math.min(Math.max(0, startSlice | 0), this.imageIds.length - 1);
    await this.viewport.setStack(this.imageIds, start);
    if (this.destroyed || !this.viewport) return;
    this.viewport.render();
    this.applyMode();
  }

  resize() {
    if (!this.engine) return;
    this.engine.resize(true, true);
    this.drawOverlay();
  }

  get sliceCount() {
    return this.imageIds.length;
  }

  get slice() {
    return this.viewport ? this.viewport.getCurrentImageIdIndex() : 0;
  }

  async scrollTo(i) {
    if (!this.viewport || this.imageIds.length === 0) return;
    const n = Math.min(Math.max(0, Math.round(i)), this.imageIds.length - 1);
    if (n !== this.slice) await this.viewport.setImageIdIndex(n);
  }

  // Window center/width ↔ the viewport's VOI range with the DICOM linear function
  // (PS3.3 C.11.2.1.2), as Cornerstone applies a file's own window: a round trip is exact.
  setWindow({ center, width }) {
    if (!this.viewport || !Number.isFinite(center) || !Number.isFinite(width) || width < 1) return;
    const half = (width - 1) / 2;
    this.viewport.setProperties({ voiRange: { lower: center - 0.5 - half, upper: center - 0.5 + half } });
    this.viewport.render();
  }

  preset(name) {
    if (PRESETS[name]) this.setWindow(PRESETS[name]);
  }

  reset() {
    if (!this.viewport) return;
    this.viewport.resetCamera();
    this.viewport.resetProperties();
    this.viewport.render();
  }

  zoomBy(factor) {
    if (!this.viewport) return;
    this.viewport.setZoom(this.viewport.getZoom() * factor);
    this.viewport.render();
  }

  get window() {
    const voi = this.viewport && this.viewport.getProperties().voiRange;
    if (!voi) return null;
    return { center: (voi.lower + voi.upper) / 2 + 0.5, width: voi.upper - voi.lower + 1 };
  }

  /** Tool bound to the primary button: window | pan | zoom | measure | pointer. */
  setMode(mode) {
    if (MODES.includes(mode)) this.mode = mode;
    this.applyMode();
  }

  setInteractive(on) {
    this.interactive = on;
    this.applyMode();
    this.drawOverlay();
  }

  applyMode() {
    const g = this.group;
    if (!g) return;
    const { MouseBindings } = ToolEnums;
    for (const name of [WindowLevelTool.toolName, PanTool.toolName, ZoomTool.toolName, StackScrollTool.toolName, LengthTool.toolName]) {
      g.setToolPassive(name);
    }
    if (!this.interactive) {
      g.setToolDisabled(LengthTool.toolName);
      return;
    }
    g.setToolEnabled(LengthTool.toolName);
    const primary = MODE_TOOL[this.mode];
    if (primary) g.setToolActive(primary, { bindings: [{ mouseButton: MouseBindings.Primary }] });
    if (this.mode !== 'pan') g.setToolActive(PanTool.toolName, { bindings: [{ mouseButton: MouseBindings.Auxiliary }] });
    if (this.mode !== 'zoom') g.setToolActive(ZoomTool.toolName, { bindings: [{ mouseButton: MouseBindings.Secondary }] });
    g.setToolActive(StackScrollTool.toolName, { bindings: [{ mouseButton: MouseBindings.Wheel }] });
  }

  #imageId() {
    return this.viewport ? this.viewport.getCurrentImageId() : null;
  }

  #toImage(world) {
    const id = this.#imageId();
    if (!id) return null;
    const p = csUtils.worldToImageCoords(id, world);
    return p ? [p[0], p[1]] : null;
  }

  #toCanvas(imagePoint) {
    const id = this.#imageId();
    if (!id || !imagePoint) return null;
    const w = csUtils.imageToWorldCoords(id, imagePoint);
    return w ? this.viewport.worldToCanvas(w) : null;
  }

  #pointerMove(e) {
    if (!this.interactive || !this.viewport) return;
    const r = this.element.getBoundingClientRect();
    const world = this.viewport.canvasToWorld([e.clientX - r.left, e.clientY - r.top]);
    this.pointer = this.#toImage(world);
    this.onEvent();
  }

  /** Our latest length measurement on the current image, in image pixels. */
  #localMeasure() {
    const id = this.#imageId();
    const list = (annotation.state.getAnnotations(LengthTool.toolName, this.element) || [])
      .filter((a) => a.metadata && a.metadata.referencedImageId === id && a.data && a.data.handles);
    const last = list[list.length - 1];
    if (!last) return null;
    const pts = last.data.handles.points.map((p) => this.#toImage(p));
    return pts.length === 2 && pts.every(Boolean) ? pts : null;
  }

  clearMeasure() {
    this.remoteMeasure = null;
    const all = annotation.state.getAnnotations(LengthTool.toolName, this.element) || [];
    for (const a of all) annotation.state.removeAnnotation(a.annotationUID);
  }

  /** Length in mm (or pixels when the image has no spacing) between two image points. */
  lengthOf(m) {
    const id = this.#imageId();
    if (!id || !m) return null;
    const a = csUtils.imageToWorldCoords(id, m[0]);
    const b = csUtils.imageToWorldCoords(id, m[1]);
    return a && b ? Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]) : null;
  }

  state() {
    if (!this.viewport || !this.series) return null;
    const pan = this.viewport.getPan();
    return {
      kind: 'dicom',
      series_uid: this.series.series_uid,
      slice: this.slice,
      slices: this.sliceCount,
      window: this.window,
      zoom: this.viewport.getZoom(),
      pan: pan ? [pan[0], pan[1]] : [0, 0],
      pointer: this.pointer,
      measure: this.interactive ? this.#localMeasure() : this.remoteMeasure,
    };
  }

  /**
   * While following, the first renders of a newly loaded image may put back the
   * file's own window or camera: set the controller's again (a few times at most).
   */
  #reassert() {
    const s = this.followed;
    if (this.interactive || !s || this.reasserts >= 5 || !this.viewport) return;
    const w = this.window;
    const off = (a, b) => Math.abs(a - b) > 1e-3;
    let fixed = false;
    if (s.window && w && (off(w.center, s.window.center) || off(w.width, s.window.width))) {
      this.setWindow({ center: Number(s.window.center), width: Number(s.window.width) });
      fixed = true;
    }
    if (Number.isFinite(s.zoom) && s.zoom > 0 && off(this.viewport.getZoom(), s.zoom)) {
      this.viewport.setZoom(s.zoom);
      fixed = true;
    }
    if (fixed) {
      this.reasserts++;
      this.viewport.render();
    }
  }

  /** Show the controller's state (we follow). */
  async apply(s) {
    if (!this.viewport || !s) return;
    this.followed = s;
    this.reasserts = 0;
    if (Number.isFinite(s.slice)) await this.scrollTo(s.slice);
    if (s.window) this.setWindow({ center: Number(s.window.center), width: Number(s.window.width) });
    if (Number.isFinite(s.zoom) && s.zoom > 0) this.viewport.setZoom(s.zoom);
    if (Array.isArray(s.pan) && s.pan.length === 2 && s.pan.every(Number.isFinite)) this.viewport.setPan(s.pan);
    this.pointer = Array.isArray(s.pointer) && s.pointer.length === 2 && s.pointer.every(Number.isFinite) ? s.pointer : null;
    this.remoteMeasure = Array.isArray(s.measure) && s.measure.length === 2
      && s.measure.every((p) => Array.isArray(p) && p.length === 2 && p.every(Number.isFinite)) ? s.measure : null;
    this.viewport.render();
    this.drawOverlay();
  }

  /** The pointer (everyone's view of the controller's) and, while following, the controller's measure. */
  drawOverlay() {
    const svg = this.overlay;
    if (!this.viewport) return;
    const r = this.element.getBoundingClientRect();
    svg.setAttribute('viewBox', `0 0 ${r.width} ${r.height}`);
    const parts = [];
    const m = this.interactive ? null : this.remoteMeasure;
    if (m) {
      const a = this.#toCanvas(m[0]);
      const b = this.#toCanvas(m[1]);
      const len = this.lengthOf(m);
      if (a && b) {
        parts.push(`<line class="measure" x1="${a[0]}" y1="${a[1]}" x2="${b[0]}" y2="${b[1]}"/>`);
        for (const p of [a, b]) parts.push(`<circle class="measure-end" cx="${p[0]}" cy="${p[1]}" r="4"/>`);
        if (len !== null) parts.push(`<text class="measure-label" x="${b[0] + 8}" y="${b[1] - 8}">${len.toFixed(1)} mm</text>`);
      }
    }
    if (this.pointer) {
      const p = this.#toCanvas(this.pointer);
      if (p) parts.push(`<circle class="pointer" cx="${p[0]}" cy="${p[1]}" r="9"/><circle class="pointer-dot" cx="${p[0]}" cy="${p[1]}" r="2.5"/>`);
    }
    svg.innerHTML = parts.join('');
  }

  destroy() {
    this.destroyed = true; // every view shares one engine and viewport id: an open in flight must stop
    if (this.resizeObserver) this.resizeObserver.disconnect();
    if (this.group) this.group.removeViewports(ENGINE_ID, VIEWPORT_ID);
    if (this.engine) this.engine.disableElement(VIEWPORT_ID);
    this.engine = null;
    this.viewport = null;
    this.overlay.remove();
  }
}
