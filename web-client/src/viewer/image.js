// A PNG or JPEG shown with zoom (wheel, buttons) and pan (drag), both shared with
// the room. pan is in image pixels so it means the same on every screen size.

export class ImageView {
  constructor(element, { onChange }) {
    this.element = element;
    this.onChange = onChange || (() => {});
    this.img = document.createElement('img');
    this.img.className = 'viewer-image';
    this.img.alt = '';
    this.img.draggable = false;
    this.element.append(this.img);
    this.zoom = 1;
    this.pan = [0, 0];
    this.url = null;
    this.interactive = true;
    this.element.addEventListener('wheel', (e) => {
      if (!this.interactive) return;
      e.preventDefault();
      this.setZoom(this.zoom * (e.deltaY < 0 ? 1.15 : 1 / 1.15));
    }, { passive: false });
    this.element.addEventListener('pointerdown', (e) => this.#dragStart(e));
  }

  async open(blob) {
    if (this.url) URL.revokeObjectURL(this.url);
    this.url = URL.createObjectURL(blob);
    this.img.src = this.url;
    await this.img.decode().catch(() => {});
    this.zoom = 1;
    this.pan = [0, 0];
    this.render();
  }

  #dragStart(e) {
    if (!this.interactive || e.button !== 0) return;
    const start = [e.clientX, e.clientY];
    const from = [...this.pan];
    const scale = this.#scale();
    this.element.setPointerCapture(e.pointerId);
    const move = (ev) => {
      this.pan = [from[0] + (ev.clientX - start[0]) / scale, from[1] + (ev.clientY - start[1]) / scale];
      this.render();
      this.onChange();
    };
    const up = () => {
      this.element.removeEventListener('pointermove', move);
      this.element.removeEventListener('pointerup', up);
    };
    this.element.addEventListener('pointermove', move);
    this.element.addEventListener('pointerup', up);
  }

  #scale() {
    const box = this.element.getBoundingClientRect();
    const w = this.img.naturalWidth || 1;
    const h = this.img.naturalHeight || 1;
    return Math.min(box.width / w, box.height / h) * this.zoom;
  }

  render() {
    const s = this.#scale();
    this.img.style.width = `${this.img.naturalWidth}px`;
    this.img.style.height = `${this.img.naturalHeight}px`;
    this.img.style.transform = `translate(-50%, -50%) scale(${s}) translate(${this.pan[0]}px, ${this.pan[1]}px)`;
  }

  setZoom(z) {
    this.zoom = Math.min(16, Math.max(0.25, z));
    this.render();
    this.onChange();
  }

  setInteractive(on) {
    this.interactive = on;
  }

  state() {
    return this.url ? { kind: 'image', zoom: this.zoom, pan: this.pan } : null;
  }

  async apply(s) {
    if (!s) return;
    if (Number.isFinite(s.zoom) && s.zoom > 0) this.zoom = Math.min(16, Math.max(0.25, s.zoom));
    if (Array.isArray(s.pan) && s.pan.length === 2 && s.pan.every(Number.isFinite)) this.pan = [s.pan[0], s.pan[1]];
    this.render();
  }

  destroy() {
    if (this.url) URL.revokeObjectURL(this.url);
    this.img.remove();
  }
}
