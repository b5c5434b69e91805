// Inline SVG icons (no icon font, no network fetch).

const svg = (body) =>
  `<svg viewBox="0 0 24 24" width="22" height="22" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true">${body}</svg>`;

const micBody = '<rect x="9" y="3" width="6" height="11" rx="3"/><path d="M5 11a7 7 0 0 0 14 0"/><path d="M12 18v3"/>';
const camBody = '<rect x="3" y="7" width="12" height="10" rx="2"/><path d="M15 11l6-3v8l-6-3z"/>';
const slash = '<path d="M3 3l18 18"/>';

export const icons = {
  mic: svg(micBody),
  micOff: svg(micBody + slash),
  cam: svg(camBody),
  camOff: svg(camBody + slash),
};
