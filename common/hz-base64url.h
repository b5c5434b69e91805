/* hz-base64url: base64url without padding (RFC 4648 section 5), the encoding of
 * generated secrets and of join tokens. Pure functions: no logging, no globals. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

char   *hz_base64url_encode (const guint8 *data, gsize len);
GBytes *hz_base64url_decode (const char *text, gsize len);

G_END_DECLS
