// i18n: the page's strings in zh-CN (default) and en, the chosen language kept
// in localStorage, and a helper that fills every [data-i18n] element.

const STORAGE_KEY = 'huizhen.lang';
export const LANGUAGES = ['zh-CN', 'en'];
export const DEFAULT_LANGUAGE = 'zh-CN';

const dictionaries = {
  'zh-CN': {
    'app.title': '会诊',
    'app.subtitle': '医联体远程会诊',
    'lang.label': '语言',
    'prejoin.heading': '加入会诊',
    'prejoin.room': '会诊室',
    'prejoin.name': '姓名',
    'prejoin.institution': '机构',
    'prejoin.role': '身份',
    'prejoin.expires': '邀请有效期至',
    'prejoin.join': '加入',
    'prejoin.joining': '正在加入…',
    'prejoin.viewer_only': '您将以观看者身份加入，不发送摄像头和麦克风。',
    'prejoin.preview': '本地预览',
    'prejoin.rejoin': '重新加入',
    'token.missing': '链接中没有邀请码。请打开您收到的完整邀请链接。',
    'token.invalid': '邀请码无法识别。请确认链接完整，或联系会诊管理员重新发送。',
    'token.expired': '邀请已于 {time} 过期。请联系会诊管理员重新发送邀请。',
    'media.requesting': '正在请求使用摄像头和麦克风…',
    'media.denied': '浏览器拒绝了摄像头或麦克风的使用。请在地址栏的站点设置中允许后刷新页面。',
    'media.no_device': '没有找到摄像头或麦克风。请连接设备后刷新页面。',
    'media.busy': '摄像头或麦克风正被其他程序占用。请关闭其他程序后刷新页面。',
    'media.insecure': '此页面不是安全连接（HTTPS），浏览器不允许使用摄像头和麦克风。',
    'media.failed': '无法打开摄像头或麦克风：{message}',
    'media.audio_only': '没有找到摄像头，将只发送声音。',
    'media.video_only': '没有找到麦克风，将只发送图像。',
    'media.ready': '摄像头和麦克风已就绪。',
    'role.doctor': '医生',
    'role.specialist': '专家',
    'role.presenter': '主讲人',
    'role.student': '学员',
    'role.observer': '观察员',
    'call.me': '{name}（我）',
    'call.mute': '静音',
    'call.unmute': '取消静音',
    'call.camera_off': '关闭摄像头',
    'call.camera_on': '打开摄像头',
    'call.leave': '离开',
    'call.participants': '参会人数：{count}',
    'call.waiting': '等待其他参会者加入…',
    'call.no_video': '无图像',
    'call.mic_muted': '麦克风已静音',
    'call.camera_is_off': '摄像头已关闭',
    'call.enable_sound': '点击开启声音',
    'status.connecting': '正在连接服务器…',
    'status.joined': '已加入',
    'status.left': '您已离开会诊。',
    'status.room_closed': '会诊已结束：{reason}',
    'status.disconnected': '与服务器的连接已断开。',
    'status.connect_failed': '无法连接服务器，请检查网络后重试。',
    'status.error': '错误：{message}',
    'status.media_failed': '音视频连接失败，请检查网络或防火墙设置。',
  },
  en: {
    'app.title': 'Huizhen',
    'app.subtitle': 'Consortium remote consultation',
    'lang.label': 'Language',
    'prejoin.heading': 'Join the consultation',
    'prejoin.room': 'Room',
    'prejoin.name': 'Name',
    'prejoin.institution': 'Institution',
    'prejoin.role': 'Role',
    'prejoin.expires': 'Invitation valid until',
    'prejoin.join': 'Join',
    'prejoin.joining': 'Joining…',
    'prejoin.viewer_only': 'You join as a viewer: your camera and microphone are not sent.',
    'prejoin.preview': 'Local preview',
    'prejoin.rejoin': 'Join again',
    'token.missing': 'This link has no invitation token. Open the complete invitation link you received.',
    'token.invalid': 'The invitation token cannot be read. Check that the link is complete, or ask the coordinator for a new one.',
    'token.expired': 'The invitation expired at {time}. Ask the coordinator for a new invitation.',
    'media.requesting': 'Asking for the camera and microphone…',
    'media.denied': 'The browser denied the camera or microphone. Allow them in the site settings of the address bar, then reload the page.',
    'media.no_device': 'No camera or microphone was found. Connect one, then reload the page.',
    'media.busy': 'The camera or microphone is in use by another program. Close it, then reload the page.',
    'media.insecure': 'This page is not on a secure (HTTPS) connection, so the browser does not allow the camera and microphone.',
    'media.failed': 'Cannot open the camera or microphone: {message}',
    'media.audio_only': 'No camera found: only your voice will be sent.',
    'media.video_only': 'No microphone found: only your picture will be sent.',
    'media.ready': 'Camera and microphone are ready.',
    'role.doctor': 'Doctor',
    'role.specialist': 'Specialist',
    'role.presenter': 'Presenter',
    'role.student': 'Student',
    'role.observer': 'Observer',
    'call.me': '{name} (me)',
    'call.mute': 'Mute',
    'call.unmute': 'Unmute',
    'call.camera_off': 'Camera off',
    'call.camera_on': 'Camera on',
    'call.leave': 'Leave',
    'call.participants': 'Participants: {count}',
    'call.waiting': 'Waiting for others to join…',
    'call.no_video': 'No video',
    'call.mic_muted': 'Microphone muted',
    'call.camera_is_off': 'Camera is off',
    'call.enable_sound': 'Click to turn on sound',
    'status.connecting': 'Connecting to the server…',
    'status.joined': 'Joined',
    'status.left': 'You have left the consultation.',
    'status.room_closed': 'The consultation has ended: {reason}',
    'status.disconnected': 'The connection to the server was lost.',
    'status.connect_failed': 'Cannot reach the server. Check the network and try again.',
    'status.error': 'Error: {message}',
    'status.media_failed': 'The audio/video connection failed. Check the network or firewall.',
  },
};

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

/** Translate a key; {name} placeholders are replaced from params. */
export function t(key, params = {}) {
  const dict = dictionaries[current] || dictionaries[DEFAULT_LANGUAGE];
  let s = dict[key] ?? dictionaries[DEFAULT_LANGUAGE][key] ?? key;
  for (const [k, v] of Object.entries(params)) s = s.split(`{${k}}`).join(String(v));
  return s;
}

export function roleName(role) {
  const key = `role.${role}`;
  const s = t(key);
  return s === key ? String(role ?? '') : s;
}

/** Fill text of [data-i18n] and the title attribute of [data-i18n-title]. */
export function applyTranslations(root) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-title]')) {
    el.title = t(el.dataset.i18nTitle);
    el.setAttribute('aria-label', el.title);
  }
  document.title = `${t('app.title')} · ${t('app.subtitle')}`;
}

export function formatTime(date) {
  return new Intl.DateTimeFormat(current, { dateStyle: 'medium', timeStyle: 'short' }).format(date);
}

/** Every key of every dictionary, for a completeness check in tests. */
export function dictionaryKeys() {
  return Object.fromEntries(Object.entries(dictionaries).map(([l, d]) => [l, Object.keys(d).sort()]));
}
