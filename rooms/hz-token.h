/* hz-token: join tokens. Owns their format, base64url(JSON claims) "."
 * base64url(HMAC-SHA256 over the first part), issuing and verifying them.
 * Verification is a pure function of (secret, token, now): no logging, no
 * random source, so a fuzzer can drive it directly. */
#pragma once

#include <glib.h>

#include "hz-role.h"

G_BEGIN_DECLS

#define HZ_TOKEN_ERROR (hz_token_error_quark ())
GQuark hz_token_error_quark (void);

typedef enum {
  HZ_TOKEN_ERROR_MALFORMED,      /* not a token: shape, encoding, size, claim types */
  HZ_TOKEN_ERROR_BAD_SIGNATURE,  /* well formed, but not signed with this secret */
  HZ_TOKEN_ERROR_EXPIRED,        /* signed, but exp is past */
  HZ_TOKEN_ERROR_INVALID_CLAIMS, /* hz_token_issue() was given unusable claims */
} HzTokenError;

#define HZ_TOKEN_MAX_LEN 4096

typedef struct {
  char   *room;          /* room id */
  char   *user;          /* the caller's user id */
  char   *display_name;
  char   *institution;
  HzRole  role;
  gint64  iat;           /* issued at, unix seconds */
  gint64  exp;           /* expires at, unix seconds; exp > iat */
  char   *jti;           /* random token id; hz_token_issue() fills it when NULL */
} HzTokenClaims;

char          *hz_token_issue       (const char          *secret,
                                     const HzTokenClaims *claims,
                                     GError             **error);
HzTokenClaims *hz_token_verify      (const char *secret,
                                     const char *token,
                                     gint64      now_s,
                                     GError    **error);
HzTokenClaims *hz_token_claims_copy (const HzTokenClaims *claims);
void           hz_token_claims_free (HzTokenClaims *claims);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HzTokenClaims, hz_token_claims_free)

G_END_DECLS
