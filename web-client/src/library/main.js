// The recordings library (/library.html): sign in with the admin key (kept
// in this tab only, as in the admin console), search and page through
// GET /api/v1/recordings, and play a recording in a <video> whose src is the
// composed file with a short-lived recording token (?token=), so the browser
// seeks with HTTP Range requests.

import './library.css';
import { call, getKey, setKey, query } from '../admin/api.js';

const TEXT = {
  'zh-CN': {
    title: '教学录像库', key: '管理员密钥', sign_in: '登录', search: '搜索标题、课程、主讲人、机构', search_btn: '搜索',
    col_title: '标题', col_course: '课程', col_presenter: '主讲人', col_start: '开始', col_duration: '时长', col_state: '状态',
    prev: '上一页', next: '下一页', play: '播放', download: '下载', none: '没有录像', count: '共 {n} 条（本页）',
    denied: '密钥错误', failed: '出错：{m}', missing: '此服务器没有录像库',
    states: { recording: '录制中', finished: '已完成', composing: '合成中', composed: '可播放', failed: '合成失败', expired: '已过期' },
  },
  en: {
    title: 'Teaching library', key: 'Admin key', sign_in: 'Sign in', search: 'Search title, course, presenter, institution', search_btn: 'Search',
    col_title: 'Title', col_course: 'Course', col_presenter: 'Presenter', col_start: 'Start', col_duration: 'Duration', col_state: 'State',
    prev: 'Previous', next: 'Next', play: 'Play', download: 'Download', none: 'No recordings', count: '{n} on this page',
    denied: 'Wrong key', failed: 'Failed: {m}', missing: 'This server has no recordings library',
    states: { recording: 'recording', finished: 'finished', composing: 'composing', composed: 'ready', failed: 'failed', expired: 'expired' },
  },
};
const PAGE = 20;
let lang = (navigator.language || '').startsWith('zh') ? 'zh-CN' : 'en';
let offset = 0;
let nextOffset = null;
const $ = (id) => document.getElementById(id);
const t = (key, params = {}) => String(TEXT[lang][key] ?? key).replace(/\{(\w+)\}/g, (_, k) => params[k] ?? '');

// For tests and troubleshooting, as window.hzClient on the consult page.
const state = { list: [], playing: null, error: null };
window.hzLibrary = state;

function translate() {
  document.documentElement.lang = lang;
  for (const el of document.querySelectorAll('[data-t]')) el.textContent = t(el.dataset.t);
  for (const el of document.querySelectorAll('[data-t-placeholder]')) el.placeholder = t(el.dataset.tPlaceholder);
  document.title = t('title');
}

const fmtDuration = (ms) => {
  const s = Math.round((ms || 0) / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
};

function cell(text) {
  const td = document.createElement('td');
  td.textContent = text == null ? '' : String(text);
  return td;
}

function renderRows() {
  const rows = state.list.map((r) => {
    const tr = document.createElement('tr');
    tr.dataset.id = r.id;
    tr.append(cell(r.title), cell(r.course), cell([r.presenter, r.institution].filter(Boolean).join(' · ')),
      cell(new Date(r.started_at).toLocaleString(lang)), cell(fmtDuration(r.duration_ms)),
      cell(r.state === 'composing' ? `${TEXT[lang].states.composing} ${Math.round((r.compose_progress || 0) * 100)}%` : TEXT[lang].states[r.state] || r.state));
    const td = document.createElement('td');
    if (r.state === 'composed') {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'play';
      b.textContent = t('play');
      b.addEventListener('click', () => play(r));
      td.append(b);
    }
    tr.append(td);
    return tr;
  });
  $('rows').replaceChildren(...rows);
  $('list-status').textContent = state.list.length ? t('count', { n: state.list.length }) : t('none');
  $('prev').disabled = offset === 0;
  $('next').disabled = nextOffset === null;
}

async function load() {
  const dates = (id, end) => ($(id).value ? new Date(`${$(id).value}T00:00:00${end ? '' : ''}Z`) : null);
  const from = dates('from');
  const to = dates('to');
  if (to) to.setUTCDate(to.getUTCDate() + 1);
  const r = await call('GET', `/api/v1/recordings${query({
    q: $('q').value.trim(), from: from ? from.toISOString().replace('.000', '') : '', to: to ? to.toISOString().replace('.000', '') : '',
    limit: PAGE, offset,
  })}`);
  if (r.status === 401) {
    setKey(null);
    showSignin(t('denied'));
    return;
  }
  if (!r.ok) {
    state.error = r.error;
    $('list-status').textContent = r.missing ? t('missing') : t('failed', { m: r.error.message || r.error.code });
    return;
  }
  state.list = r.data.recordings || [];
  nextOffset = r.data.next_offset;
  renderRows();
  document.body.dataset.ready = 'true';
}

async function play(rec) {
  const r = await call('POST', `/api/v1/recordings/${encodeURIComponent(rec.id)}/tokens`, {});
  if (!r.ok) {
    $('list-status').textContent = t('failed', { m: r.error.message || r.error.code });
    return;
  }
  state.playing = rec.id;
  $('player-box').hidden = false;
  $('player-title').textContent = rec.title;
  $('player').src = r.data.media_url;
  $('download').href = `${r.data.media_url}&download=1`;
  $('player').play().catch(() => {}); // autoplay may be refused; the controls remain
}

function showSignin(message) {
  $('signin').hidden = false;
  $('browse').hidden = true;
  $('signin-error').hidden = !message;
  $('signin-error').textContent = message || '';
}

function showBrowse() {
  $('signin').hidden = true;
  $('browse').hidden = false;
  load();
}

function start() {
  $('lang').value = lang;
  $('lang').addEventListener('change', (e) => {
    lang = e.target.value;
    translate();
    renderRows();
  });
  translate();
  $('signin').addEventListener('submit', (e) => {
    e.preventDefault();
    setKey($('key').value);
    showBrowse();
  });
  $('search').addEventListener('submit', (e) => {
    e.preventDefault();
    offset = 0;
    load();
  });
  $('prev').addEventListener('click', () => { offset = Math.max(0, offset - PAGE); load(); });
  $('next').addEventListener('click', () => { if (nextOffset !== null) { offset = nextOffset; load(); } });
  if (getKey()) showBrowse();
  else showSignin(null);
}

start();
