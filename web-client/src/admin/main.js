// The administrator console (/admin.html): sign in with the admin key, then
// rooms (calendar list, create, reschedule, cancel, invitations, live
// participants), consult records, the audit log and the recordings library.

import '../consult/style.css';
import './admin.css';
import { initLanguage, setLanguage, getLanguage, onLanguageChange, applyTranslations, t } from '../lib/i18n.js';
import { $ } from '../lib/dom.js';
import { call, getKey, setKey } from './api.js';
import { roomsView } from './rooms.js';
import { consultsView, auditView, recordingsView } from './records.js';

const views = { rooms: roomsView, consults: consultsView, audit: auditView, recordings: recordingsView };
const admin = { view: null, signedIn: false };
window.hzAdmin = admin;

function showSignIn(errorKey = null) {
  admin.signedIn = false;
  $('signin').hidden = false;
  $('admin-nav').hidden = true;
  $('signout-btn').hidden = true;
  for (const name of Object.keys(views)) $(`view-${name}`).hidden = true;
  for (const v of Object.values(views)) v.leave();
  const err = $('signin-error');
  err.hidden = !errorKey;
  err.dataset.key = errorKey || '';
  err.textContent = errorKey ? t(errorKey) : '';
  $('admin-key').focus();
}

function show(name) {
  if (admin.view && admin.view !== name) views[admin.view].leave();
  admin.view = name;
  for (const b of document.querySelectorAll('#admin-nav .tab')) {
    if (b.dataset.view === name) b.setAttribute('aria-current', 'page');
    else b.removeAttribute('aria-current');
  }
  for (const n of Object.keys(views)) $(`view-${n}`).hidden = n !== name;
  views[name].enter($(`view-${name}`));
}

/** Check the key against the server; a server without the room list is accepted unchecked. */
async function signIn(key) {
  setKey(key);
  let r = await call('GET', '/api/v1/rooms');
  // A server without the room list still checks the key on one room's URL:
  // 401 for a wrong key, 404 for a room that does not exist.
  if (r.missing) r = { ...(await call('GET', '/api/v1/rooms/key-check')), missing: true };
  if (r.status === 401 || r.status === 403) {
    setKey(null);
    showSignIn('admin.wrong_key');
    return;
  }
  if (r.status === 0) {
    setKey(null);
    showSignIn('admin.unreachable');
    return;
  }
  admin.signedIn = true;
  admin.keyChecked = !r.missing;
  $('signin').hidden = true;
  $('admin-nav').hidden = false;
  $('signout-btn').hidden = false;
  show(admin.view || 'rooms');
}

function onLanguage() {
  $('lang-select').value = getLanguage();
  $('admin-nav').setAttribute('aria-label', t('admin.nav_label'));
  const err = $('signin-error');
  if (err.dataset.key) err.textContent = t(err.dataset.key);
  if (admin.signedIn && admin.view) views[admin.view].render();
}

function start() {
  initLanguage();
  applyTranslations(document);
  onLanguage();
  $('lang-select').addEventListener('change', (e) => setLanguage(e.target.value));
  onLanguageChange(onLanguage);
  $('signin-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const key = $('admin-key').value.trim();
    $('admin-key').value = '';
    if (key) signIn(key);
  });
  $('signout-btn').addEventListener('click', () => {
    setKey(null);
    showSignIn();
  });
  for (const b of document.querySelectorAll('#admin-nav .tab')) b.addEventListener('click', () => show(b.dataset.view));
  const key = getKey();
  if (key) signIn(key).finally(() => { document.body.dataset.ready = 'true'; });
  else {
    showSignIn();
    document.body.dataset.ready = 'true';
  }
}

start();
