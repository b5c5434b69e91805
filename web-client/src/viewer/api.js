// The documents API of a room, called with the join token:
//   GET  /api/v1/rooms/{id}/documents            the list
//   GET  /api/v1/rooms/{id}/documents/{doc_id}   one file (also what wadouri: loads)
//   POST /api/v1/rooms/{id}/documents            share: one raw file with its
//        Content-Type, or multipart/form-data with several (a DICOM series).
// Errors become a DocumentsError whose `key` names a sentence in the locales.

export class DocumentsError extends Error {
  constructor(key, status, message) {
    super(message || key);
    this.name = 'DocumentsError';
    this.key = key;
    this.status = status;
  }
}

export const documentsPath = (roomId) => `api/v1/rooms/${encodeURIComponent(roomId)}/documents`;

/** Absolute URL of a document on this server (under the page's path prefix). */
export function documentUrl(roomId, docId, base = document.baseURI) {
  return new URL(`${documentsPath(roomId)}/${encodeURIComponent(docId)}`, base).toString();
}

/**
 * The sentence key for a refused request. A server without the documents API
 * answers 405, or 404 {"error":{"message":"no such endpoint"}}.
 */
export function errorKey(status, code = '', message = '') {
  if (status === 405 || (status === 404 && /no such endpoint/i.test(message))) return 'viewer.err_no_api';
  if (status === 413) return 'viewer.err_too_large';
  if (status === 403) return 'viewer.err_forbidden';
  if (status === 401) return 'viewer.err_unauthorized';
  if (status === 415 || status === 400 || status === 422) return 'viewer.err_bad_file';
  if (status === 404) return 'viewer.err_not_found';
  if (status === 0) return 'viewer.err_network';
  return 'viewer.err_server';
}

/** {"error":{"code","message"}} (our server) or a flat {"code","message"}. */
function parseError(status, text) {
  let code = '';
  let message = '';
  try {
    const j = JSON.parse(text);
    const e = j && typeof j.error === 'object' && j.error !== null ? j.error : j;
    code = e && typeof e.code === 'string' ? e.code : '';
    message = e && typeof e.message === 'string' ? e.message : (typeof j.error === 'string' ? j.error : '');
  } catch {
    message = String(text || '').slice(0, 200);
  }
  return new DocumentsError(errorKey(status, code, message), status, message || code || `HTTP ${status}`);
}

/** GET the list; a server without the API gives a DocumentsError with key viewer.err_no_api. */
export async function listDocuments(roomId, token) {
  let r;
  try {
    r = await fetch(new URL(documentsPath(roomId), document.baseURI), { headers: { Authorization: `Bearer ${token}` } });
  } catch (e) {
    throw new DocumentsError('viewer.err_network', 0, e.message);
  }
  const text = await r.text();
  if (!r.ok) throw parseError(r.status, text);
  const j = JSON.parse(text);
  return Array.isArray(j.documents) ? j.documents : [];
}

export async function fetchDocument(roomId, docId, token) {
  let r;
  try {
    r = await fetch(documentUrl(roomId, docId), { headers: { Authorization: `Bearer ${token}` } });
  } catch (e) {
    throw new DocumentsError('viewer.err_network', 0, e.message);
  }
  if (!r.ok) throw parseError(r.status, await r.text());
  return r.blob();
}

/** The Content-Type we send for a file: sniffed from its first bytes, not its name. */
export async function sniffType(file) {
  const head = new Uint8Array(await file.slice(0, 132).arrayBuffer());
  const at = (i, s) => [...s].every((c, k) => head[i + k] === c.charCodeAt(0));
  if (head.length >= 132 && at(128, 'DICM')) return 'application/dicom';
  if (at(0, '%PDF-')) return 'application/pdf';
  if (head[0] === 0x89 && at(1, 'PNG')) return 'image/png';
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'image/jpeg';
  return file.type || 'application/octet-stream';
}

/**
 * Share files into the room. One file goes raw with its Content-Type, several as
 * multipart/form-data (field "file", one part each). onProgress(fraction 0..1).
 * Resolves with the documents the server stored.
 */
export async function uploadDocuments(roomId, token, files, { onProgress = () => {}, deidentify = false } = {}) {
  const list = [...files];
  if (list.length === 0) return [];
  let body;
  let type = null;
  if (list.length === 1) {
    body = list[0];
    type = await sniffType(list[0]);
  } else {
    body = new FormData();
    for (const f of list) body.append('file', new Blob([f], { type: await sniffType(f) }), f.name);
  }
  const url = new URL(documentsPath(roomId), document.baseURI);
  if (deidentify) url.searchParams.set('deidentify', 'true');
  if (list.length === 1) url.searchParams.set('name', list[0].name); // a raw body carries its name in ?name=
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest(); // fetch() reports no upload progress
    xhr.open('POST', url);
    xhr.setRequestHeader('Authorization', `Bearer ${token}`);
    if (type) xhr.setRequestHeader('Content-Type', type);
    xhr.upload.addEventListener('progress', (e) => {
      if (e.lengthComputable && e.total > 0) onProgress(e.loaded / e.total);
    });
    xhr.addEventListener('load', () => {
      if (xhr.status < 200 || xhr.status >= 300) {
        reject(parseError(xhr.status, xhr.responseText));
        return;
      }
      onProgress(1);
      try {
        const j = JSON.parse(xhr.responseText);
        resolve(Array.isArray(j.documents) ? j.documents : (j.document ? [j.document] : []));
      } catch {
        resolve([]);
      }
    });
    xhr.addEventListener('error', () => reject(new DocumentsError('viewer.err_network', 0, 'network error')));
    xhr.send(body);
  });
}

/**
 * The room's documents as the viewer lists them: DICOM instances grouped into
 * series (sorted by instance number, then slice location), PDFs and images alone.
 * Each item: { key, kind, name, docs:[…], series_uid? }.
 */
export function groupDocuments(documents) {
  const items = [];
  const series = new Map();
  for (const d of documents) {
    if (!d || d.id === undefined || d.id === null) continue;
    if (d.kind === 'dicom') {
      const uid = d.series_uid || `doc-${d.id}`;
      let s = series.get(uid);
      if (!s) {
        s = { key: `series:${uid}`, kind: 'dicom', series_uid: uid, name: '', modality: d.modality || '', docs: [] };
        series.set(uid, s);
        items.push(s);
      }
      s.docs.push(d);
    } else if (d.kind === 'pdf' || d.kind === 'image') {
      items.push({ key: `doc:${d.id}`, kind: d.kind, name: d.name || String(d.id), docs: [d] });
    }
  }
  const num = (v) => (typeof v === 'number' && Number.isFinite(v) ? v : (v !== null && v !== undefined && v !== '' && Number.isFinite(Number(v)) ? Number(v) : null));
  for (const s of series.values()) {
    s.docs.sort((a, b) => {
      const ia = num(a.instance_number);
      const ib = num(b.instance_number);
      if (ia !== null && ib !== null && ia !== ib) return ia - ib;
      const la = num(a.slice_location);
      const lb = num(b.slice_location);
      if (la !== null && lb !== null && la !== lb) return la - lb;
      return String(a.id).localeCompare(String(b.id), 'en', { numeric: true });
    });
    s.name = `${s.modality ? `${s.modality} · ` : ''}${s.docs[0].name || s.series_uid}`;
    s.frames = s.docs.reduce((n, d) => n + Math.max(1, num(d.frames) || 1), 0);
  }
  return items;
}
