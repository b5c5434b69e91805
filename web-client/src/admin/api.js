// The admin API client: every call carries the admin key (kept only in this
// tab's sessionStorage). Answers are { ok, status, data, error, missing }:
// `missing` is true when this server has no such endpoint yet (405, or 404
// "no such endpoint"), so the console can say so instead of failing.

const KEY = 'huizhen.admin_key';

export function getKey() {
  try {
    return window.sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function setKey(key) {
  try {
    if (key) window.sessionStorage.setItem(KEY, key);
    else window.sessionStorage.removeItem(KEY);
  } catch {
    /* storage disabled: the key lives only in memory below */
  }
  memoryKey = key || null;
}

let memoryKey = null;

export async function call(method, path, body) {
  const key = getKey() || memoryKey;
  let r;
  try {
    r = await fetch(path, {
      method,
      headers: {
        Authorization: `Bearer ${key || ''}`,
        ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
  } catch (e) {
    return { ok: false, status: 0, data: null, error: { code: 'network', message: e.message }, missing: false };
  }
  const text = await r.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  const error = r.ok ? null : (data && data.error) || { code: `http_${r.status}`, message: text.slice(0, 200) };
  const missing = r.status === 405 || r.status === 501
    || (r.status === 404 && (!data || (error && /no such endpoint/i.test(error.message || ''))));
  return { ok: r.ok, status: r.status, data, error, missing };
}

/** A query string from an object, leaving out empty values. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== '' && v !== null && v !== undefined) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** The array in a list answer: a bare array or the first array member of an object. */
export function listOf(data, ...names) {
  if (Array.isArray(data)) return data;
  if (data && typeof data === 'object') {
    for (const n of names) if (Array.isArray(data[n])) return data[n];
    for (const v of Object.values(data)) if (Array.isArray(v)) return v;
  }
  return [];
}
