// Join token: read it from the page URL and decode its claims (the base64url
// JSON before the "."). Only for display: the server verifies the signature.

export const PUBLISHING_ROLES = new Set(['doctor', 'specialist', 'presenter']);
// Mirrors rooms/hz-role.c until the server says so in `joined` ("can_moderate").
const MODERATORS = { consult: new Set(['specialist']), teaching: new Set(['presenter']) };

export function canModerate(role, kind) {
  return Boolean(MODERATORS[kind] && MODERATORS[kind].has(role));
}

export function tokenFromUrl(loc = window.location) {
  const token = new URLSearchParams(loc.search).get('token');
  return token && token.trim() ? token.trim() : null;
}

function base64urlToBytes(s) {
  const b64 = s.replace(/-/g, '+').replace(/_/g, '/');
  const padded = b64 + '='.repeat((4 - (b64.length % 4)) % 4);
  const bin = atob(padded);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

/**
 * Decode the claims of a join token.
 * Returns { room, display_name, institution, role, exp, expiresAt: Date|null }
 * or null when the token is not "<base64url JSON>.<signature>".
 */
export function decodeClaims(token) {
  if (typeof token !== 'string') return null;
  const dot = token.indexOf('.');
  if (dot <= 0) return null;
  try {
    const json = new TextDecoder('utf-8', { fatal: true }).decode(base64urlToBytes(token.slice(0, dot)));
    const c = JSON.parse(json);
    if (c === null || typeof c !== 'object' || Array.isArray(c)) return null;
    const exp = Number(c.exp);
    return {
      room: c.room != null ? String(c.room) : '',
      display_name: c.display_name != null ? String(c.display_name) : '',
      institution: c.institution != null ? String(c.institution) : '',
      role: c.role != null ? String(c.role) : '',
      exp: Number.isFinite(exp) ? exp : null,
      expiresAt: Number.isFinite(exp) ? new Date(exp * 1000) : null,
    };
  } catch {
    return null;
  }
}

export function isExpired(claims, now = Date.now()) {
  return claims.expiresAt !== null && claims.expiresAt.getTime() <= now;
}

export function canPublish(role) {
  return PUBLISHING_ROLES.has(role);
}
