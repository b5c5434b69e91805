// Brief notices about what the server refused or does not do yet. A message
// type the server does not know ({"code":"unknown_type"}) is explained as a
// feature this server lacks; nothing else on the page changes.

import { t } from '../lib/i18n.js';
import { notify } from '../lib/dom.js';
import { hz } from './state.js';

export function refusedNotice(feature, err) {
  const code = (err && err.code) || 'error';
  const text = code === 'unknown_type'
    ? t('notice.unsupported', { feature: t(`feature.${feature}`) })
    : t('notice.refused', { feature: t(`feature.${feature}`), message: (err && err.message) || code });
  hz.notices.push({ feature, code });
  notify(text, code === 'unknown_type' ? 'info' : 'warn');
}

export function notice(key, params = {}, kind = 'info') {
  hz.notices.push({ key });
  notify(t(key, params), kind);
}
