/* hz-base64url: base64url without padding, on top of GLib's base64.
 * GLib's decoder silently skips characters outside the alphabet, so the input is
 * checked here first: a token with a stray byte must be rejected, not repaired. */
#include "hz-base64url.h"

#include <string.h>

/**
 * hz_base64url_encode:
 * @data: bytes to encode
 * @len: number of bytes
 *
 * Returns: (transfer full): the base64url text of @data, without '=' padding.
 */
char *
hz_base64url_encode (const guint8 *data, gsize len)
{
  char *text = g_base64_encode (data, len);
  gsize n = strlen (text);

  while (n > 0 && text[n - 1] == '=')
    text[--n] = '\0';
  for (char *p = text; *p != '\0'; p++) {
    if (*p == '+')
      *p = '-';
    else if (*p == '/')
      *p = '_';
  }
  return text;
}

static gboolean
hz_base64url_is_alphabet (char c)
{
  return g_ascii_isalnum (c) || c == '-' || c == '_';
}

/**
 * hz_base64url_decode:
 * @text: base64url text, not NUL-terminated necessarily
 * @len: length of @text
 *
 * Decodes unpadded base64url. Rejects '=' padding, characters outside the
 * alphabet, lengths that cannot occur (len % 4 == 1) and non-canonical
 * spellings (non-zero unused bits in the last character).
 *
 * Returns: (transfer full) (nullable): the bytes, or %NULL when @text is not
 * valid base64url.
 */
GBytes *
hz_base64url_decode (const char *text, gsize len)
{
  g_autoptr(GString) std = NULL;
  guchar *out;
  gsize out_len = 0;

  if (len % 4 == 1)
    return NULL;
  std = g_string_sized_new (len + 3);
  for (gsize i = 0; i < len; i++) {
    char c = text[i];
    if (!hz_base64url_is_alphabet (c))
      return NULL;
    g_string_append_c (std, c == '-' ? '+' : c == '_' ? '/' : c);
  }
  while (std->len % 4 != 0)
    g_string_append_c (std, '=');
  out = g_base64_decode (std->str, &out_len);
  /* Only the canonical spelling is accepted (unused trailing bits are zero), so
   * one byte string has exactly one text form. */
  {
    g_autofree char *again = hz_base64url_encode (out, out_len);
    if (strlen (again) != len || memcmp (again, text, len) != 0) {
      g_free (out);
      return NULL;
    }
  }
  return g_bytes_new_take (out, out_len);
}
