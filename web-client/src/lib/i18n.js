// i18n: zh-CN (default) and en, the chosen language kept in localStorage, and a
// helper that fills every [data-i18n] element. The dictionaries live in
// ../locales/; both must have the same keys (checked by the browser tests).

import zhCN from '../locales/zh-CN.js';
import en from '../locales/en.js';

const STORAGE_KEY = 'huizhen.lang';
export const LANGUAGES = ['zh-CN', 'en'];
export const DEFAULT_LANGUAGE = 'zh-CN';

const dictionaries = { 'zh-CN': zhCN, en };

let current = DEFAULT_LANGUAGE;
const listeners = new Set();

function readStored() {
  try {
    const v = window.localStorage.getItem(STORAGE_KEY);
    return LANGUAGES.includes(v) ? v : null;
  } catch {
    return null; // storage may be disabled; fall back to the default
  }
}

export function initLanguage() {
  current = readStored() || DEFAULT_LANGUAGE;
  document.documentElement.lang = current;
  return current;
}

export function getLanguage() {
  return current;
}

export function setLanguage(lang) {
  if (!LANGUAGES.includes(lang)) return;
  current = lang;
  try {
    window.localStorage.setItem(STORAGE_KEY, lang);
  } catch {
    /* not remembered, still switched */
  }
  document.documentElement.lang = lang;
  applyTranslations(document);
  for (const fn of listeners) fn(lang);
}

export function onLanguageChange(fn) {
  listeners.add(fn);
}

export function hasKey(key) {
  return Object.prototype.hasOwnProperty.call(dictionaries[current], key);
}

/** Translate a key; {name} placeholders are replaced from params. */
export function t(key, params = {}) {
  const dict = dictionaries[current] || dictionaries[DEFAULT_LANGUAGE];
  let s = dict[key] ?? dictionaries[DEFAULT_LANGUAGE][key] ?? key;
  for (const [k, v] of Object.entries(params)) s = s.split(`{${k}}`).join(String(v));
  return s;
}

/** A role's name, or the raw role when the server sent one we do not know. */
export function roleName(role) {
  const key = `role.${role}`;
  return hasKey(key) ? t(key) : String(role ?? '');
}

/** Fill [data-i18n] text, [data-i18n-title] title+aria-label, [data-i18n-placeholder]. */
export function applyTranslations(root) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-title]')) {
    el.title = t(el.dataset.i18nTitle);
    el.setAttribute('aria-label', el.title);
  }
  for (const el of root.querySelectorAll('[data-i18n-placeholder]')) el.placeholder = t(el.dataset.i18nPlaceholder);
  const titleKey = document.body && document.body.dataset.titleKey;
  document.title = titleKey ? `${t(titleKey)} · ${t('app.title')}` : `${t('app.title')} · ${t('app.subtitle')}`;
}

export function formatTime(date) {
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) return '—';
  return new Intl.DateTimeFormat(current, { dateStyle: 'medium', timeStyle: 'short' }).format(date);
}

export function formatClock(date) {
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) return '';
  return new Intl.DateTimeFormat(current, { timeStyle: 'short' }).format(date);
}

export function formatDay(date) {
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) return '—';
  return new Intl.DateTimeFormat(current, { dateStyle: 'full' }).format(date);
}

/** A time range "start – end" for RFC 3339 strings; '—' when missing. */
export function formatRange(startsAt, endsAt) {
  const s = startsAt ? new Date(startsAt) : null;
  const e = endsAt ? new Date(endsAt) : null;
  if (!s || Number.isNaN(s.getTime())) return '—';
  if (!e || Number.isNaN(e.getTime())) return formatTime(s);
  const sameDay = s.toDateString() === e.toDateString();
  return `${formatTime(s)} – ${sameDay ? formatClock(e) : formatTime(e)}`;
}

/** Every key of every dictionary, for a completeness check in tests. */
export function dictionaryKeys() {
  return Object.fromEntries(Object.entries(dictionaries).map(([l, d]) => [l, Object.keys(d).sort()]));
}

/** Keys whose value is empty or still contains a raw key-looking token. */
export function suspiciousValues() {
  const out = [];
  for (const [lang, d] of Object.entries(dictionaries)) {
    for (const [k, v] of Object.entries(d)) if (typeof v !== 'string' || v.trim() === '') out.push(`${lang}:${k}`);
  }
  return out;
}
