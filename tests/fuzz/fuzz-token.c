/* fuzz-token: join tokens (rooms/hz-token) with fuzzer-chosen secrets,
 * tokens and clocks. Input: [secret length byte][secret][8-byte now][token].
 * Invariants (abort on failure so libFuzzer reports them):
 * - hz_token_verify either returns claims or explains itself with an
 *   HZ_TOKEN_ERROR, never both, never neither;
 * - accepted claims are usable: room/user/display_name/institution set, a
 *   known role, exp > now;
 * - a token we issue for the accepted claims verifies again under the same
 *   secret to the same claims, and fails under any other secret. */
#include "hz-token.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
check_round_trip (const char *secret, const HzTokenClaims *c, gint64 now)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HzTokenClaims) back = NULL;
  g_autoptr(HzTokenClaims) other = NULL;
  g_autofree char *other_secret = g_strconcat (secret, "x", NULL);
  g_autofree char *token = hz_token_issue (secret, c, &error);

  if (token == NULL) {
    /* only size limits may refuse claims that verified */
    if (!g_error_matches (error, HZ_TOKEN_ERROR, HZ_TOKEN_ERROR_INVALID_CLAIMS))
      abort ();
    return;
  }
  back = hz_token_verify (secret, token, now, &error);
  if (back == NULL || strcmp (back->room, c->room) != 0 || strcmp (back->user, c->user) != 0 ||
      back->role != c->role || back->exp != c->exp || back->iat != c->iat)
    abort ();
  other = hz_token_verify (other_secret, token, now, NULL);
  if (other != NULL)
    abort (); /* a token must not verify under another secret */
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *secret = NULL;
  g_autofree char *token = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(HzTokenClaims) claims = NULL;
  gint64 now = 0;
  size_t n;

  if (size < 1)
    return 0;
  n = MIN ((size_t) data[0], size - 1);
  secret = g_strndup ((const char *) data + 1, n);
  data += 1 + n;
  size -= 1 + n;
  if (secret[0] == '\0')
    return 0; /* the server never runs with an empty secret */
  if (size >= 8) {
    memcpy (&now, data, 8);
    data += 8;
    size -= 8;
  }
  token = g_strndup ((const char *) data, size);

  claims = hz_token_verify (secret, token, now, &error);
  if ((claims == NULL) == (error == NULL))
    abort ();
  if (claims == NULL) {
    if (error->domain != HZ_TOKEN_ERROR || error->message == NULL || error->message[0] == '\0')
      abort ();
    return 0;
  }
  if (claims->room == NULL || claims->user == NULL || claims->display_name == NULL ||
      claims->institution == NULL || claims->exp <= now)
    abort ();
  check_round_trip (secret, claims, now);
  return 0;
}
