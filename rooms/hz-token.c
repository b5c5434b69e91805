/* hz-token: issue and verify HMAC-SHA256 join tokens. */
#include "hz-token.h"
#include "hz-base64url.h"

#include <json-glib/json-glib.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <string.h>

G_DEFINE_QUARK (hz-token-error-quark, hz_token_error)

#define HZ_TOKEN_MAC_LEN 32   /* SHA-256 */
#define HZ_TOKEN_JTI_BYTES 16

static const char *const hz_token_string_claims[] = {
  "room", "user", "display_name", "institution", "role", "jti", NULL
};

/* HMAC-SHA256 of @data under @secret into @mac (HZ_TOKEN_MAC_LEN bytes). */
static gboolean
hz_token_mac (const char *secret, const char *data, gsize len, guint8 *mac)
{
  unsigned int mac_len = 0;

  if (HMAC (EVP_sha256 (), secret, (int) strlen (secret), (const guint8 *) data, len,
            mac, &mac_len) == NULL)
    return FALSE;
  return mac_len == HZ_TOKEN_MAC_LEN;
}

static gboolean
hz_token_claims_check (const HzTokenClaims *c, GError **error)
{
  if (c->room == NULL || c->user == NULL || c->display_name == NULL || c->institution == NULL) {
    g_set_error_literal (error, HZ_TOKEN_ERROR, HZ_TOKEN_ERROR_INVALID_CLAIMS,
                         "room, user, display_name and institution are required");
    return FALSE;
  }
  if (hz_role_to_string (c->role) == NULL) {
    g_set_error_literal (error, HZ_TOKEN_ERROR, HZ_TOKEN_ERROR_INVALID_CLAIMS, "invalid role");
    return FALSE;
  }
  if (c->exp <= c->iat) {
    g_set_error_literal (error, HZ_TOKEN_ERROR, HZ_TOKEN_ERROR_INVALID_CLAIMS,
                         "exp must be after iat");
    return FALSE;
  }
  return TRUE;
}

static char *
hz_token_new_jti (void)
{
  guint8 raw[HZ_TOKEN_JTI_BYTES];

  if (RAND_bytes (raw, sizeof raw) != 1)
    return NULL;
  return hz_base64url_encode (raw, sizeof raw);
}

static char *
hz_token_claims_to_json (const HzTokenClaims *c, const char *jti)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "room");
  json_builder_add_string_value (b, c->room);
  json_builder_set_member_name (b, "user");
  json_builder_add_string_value (b, c->user);
  json_builder_set_member_name (b, "display_name");
  json_builder_add_string_value (b, c->display_name);
  json_builder_set_member_name (b, "institution");
  json_builder_add_string_value (b, c->institution);
  json_builder_set_member_name (b, "role");
  json_builder_add_string_value (b, hz_role_to_string (c->role));
  json_builder_set_member_name (b, "iat");
  json_builder_add_int_value (b, c->iat);
  json_builder_set_member_name (b, "exp");
  json_builder_add_int_value (b, c->exp);
  json_builder_set_member_name (b, "jti");
  json_builder_add_string_value (b, jti);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}

/**
 * hz_token_issue:
 * @secret: the HMAC key ([auth] token_secret)
 * @claims: what the token grants; jti is generated when %NULL
 * @error: a #GError
 *
 * Returns: (transfer full): the token text, or %NULL with @error set
 * (HZ_TOKEN_ERROR_INVALID_CLAIMS).
 */
char *
hz_token_issue (const char *secret, const HzTokenClaims *claims, GError **error)
{
  g_autofree char *jti = NULL;
  g_autofree char *json = NULL;
  g_autofree char *payload = NULL;
  g_autofree char *mac64 = NULL;
  guint8 mac[HZ_TOKEN_MAC_LEN];
  char *token;

  g_return_val_if_fail (secret != NULL && secret[0] != '\0', NULL);
  g_return_val_if_fail (claims != NULL, NULL);

  if (!hz_token_claims_check (claims, error))
    return NULL;
  jti = claims->jti != NULL ? g_strdup (claims->jti) : hz_token_new_jti ();
  if (jti == NULL) {
    g_set_error_literal (error, HZ_TOKEN_ERROR, HZ_TOKEN_ERROR_INVALID_CLAIMS,
                         "cannot get random bytes for jti");
    return NULL;
  }
  json = hz_token_claims_to_json (claims, jti);
  payload = hz_base64url_encode ((const guint8 *) json, strlen (json));
  if (!hz_token_mac (secret, payload, strlen (payload), mac)) {
    g_set_error_literal (error, HZ_TOKEN_ERROR, HZ_TOKEN_ERROR_INVALID_CLAIMS, "HMAC failed");
    return NULL;
  }
  mac64 = hz_base64url_encode (mac, sizeof mac);
  token = g_strconcat (payload, ".", mac64, NULL);
  if (strlen (token) > HZ_TOKEN_MAX_LEN) {
    g_free (token);
    g_set_error (error, HZ_TOKEN_ERROR, HZ_TOKEN_ERROR_INVALID_CLAIMS,
                 "claims too long: the token would exceed %d bytes", HZ_TOKEN_MAX_LEN);
    return NULL;
  }
  return token;
}

static gboolean
hz_token_malformed (GError **error, const char *why)
{
  g_set_error (error, HZ_TOKEN_ERROR, HZ_TOKEN_ERROR_MALFORMED, "malformed token: %s", why);
  return FALSE;
}

/* Splits @token into its payload (still base64url, the MAC input) and decoded
 * MAC, and decodes the payload; only the shape is checked here. */
static gboolean
hz_token_split (const char *token, gsize *payload_len, GBytes **json, GBytes **mac, GError **error)
{
  gsize len = strnlen (token, HZ_TOKEN_MAX_LEN + 1);
  const char *dot;

  if (len > HZ_TOKEN_MAX_LEN)
    return hz_token_malformed (error, "longer than 4096 bytes");
  dot = memchr (token, '.', len);
  if (dot == NULL || dot == token || memchr (dot + 1, '.', len - (dot + 1 - token)) != NULL)
    return hz_token_malformed (error, "expected two parts separated by one '.'");
  *payload_len = dot - token;
  *mac = hz_base64url_decode (dot + 1, len - *payload_len - 1);
  if (*mac == NULL || g_bytes_get_size (*mac) != HZ_TOKEN_MAC_LEN)
    return hz_token_malformed (error, "signature is not a base64url SHA-256 MAC");
  *json = hz_base64url_decode (token, *payload_len);
  if (*json == NULL)
    return hz_token_malformed (error, "claims are not base64url");
  return TRUE;
}

static gboolean
hz_token_member_is (JsonObject *obj, const char *name, GType type)
{
  JsonNode *node = json_object_get_member (obj, name);
  return node != NULL && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == type;
}

static HzTokenClaims *
hz_token_claims_from_json (GBytes *json, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(HzTokenClaims) c = g_new0 (HzTokenClaims, 1);
  gsize len = 0;
  const char *data = g_bytes_get_data (json, &len);
  JsonObject *obj;

  if (len == 0 || !json_parser_load_from_data (parser, data, (gssize) len, NULL) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser))) {
    hz_token_malformed (error, "claims are not a JSON object");
    return NULL;
  }
  obj = json_node_get_object (json_parser_get_root (parser));
  for (guint i = 0; hz_token_string_claims[i] != NULL; i++) {
    if (!hz_token_member_is (obj, hz_token_string_claims[i], G_TYPE_STRING)) {
      g_autofree char *why = g_strdup_printf ("claim \"%s\" must be a string", hz_token_string_claims[i]);
      hz_token_malformed (error, why);
      return NULL;
    }
  }
  if (!hz_token_member_is (obj, "iat", G_TYPE_INT64) || !hz_token_member_is (obj, "exp", G_TYPE_INT64)) {
    hz_token_malformed (error, "claims \"iat\" and \"exp\" must be integers");
    return NULL;
  }
  c->room = g_strdup (json_object_get_string_member (obj, "room"));
  c->user = g_strdup (json_object_get_string_member (obj, "user"));
  c->display_name = g_strdup (json_object_get_string_member (obj, "display_name"));
  c->institution = g_strdup (json_object_get_string_member (obj, "institution"));
  c->jti = g_strdup (json_object_get_string_member (obj, "jti"));
  c->role = hz_role_from_string (json_object_get_string_member (obj, "role"));
  c->iat = json_object_get_int_member (obj, "iat");
  c->exp = json_object_get_int_member (obj, "exp");
  if (c->role == HZ_ROLE_INVALID) {
    hz_token_malformed (error, "unknown role");
    return NULL;
  }
  return g_steal_pointer (&c);
}

/**
 * hz_token_verify:
 * @secret: the HMAC key ([auth] token_secret)
 * @token: the token text from the network
 * @now_s: the current time, unix seconds
 * @error: a #GError
 *
 * Checks the shape, then the MAC (constant-time), then the claims' types,
 * then expiry; each failure has its own HZ_TOKEN_ERROR code.
 *
 * Returns: (transfer full): the claims, or %NULL with @error set.
 */
HzTokenClaims *
hz_token_verify (const char *secret, const char *token, gint64 now_s, GError **error)
{
  g_autoptr(GBytes) json = NULL;
  g_autoptr(GBytes) mac = NULL;
  g_autoptr(HzTokenClaims) claims = NULL;
  guint8 expected[HZ_TOKEN_MAC_LEN];
  gsize payload_len = 0;

  g_return_val_if_fail (secret != NULL && secret[0] != '\0', NULL);

  if (token == NULL) {
    hz_token_malformed (error, "missing");
    return NULL;
  }
  if (!hz_token_split (token, &payload_len, &json, &mac, error))
    return NULL;
  if (!hz_token_mac (secret, token, payload_len, expected) ||
      CRYPTO_memcmp (expected, g_bytes_get_data (mac, NULL), HZ_TOKEN_MAC_LEN) != 0) {
    g_set_error_literal (error, HZ_TOKEN_ERROR, HZ_TOKEN_ERROR_BAD_SIGNATURE,
                         "token signature does not match");
    return NULL;
  }
  claims = hz_token_claims_from_json (json, error);
  if (claims == NULL)
    return NULL;
  if (now_s >= claims->exp) {
    g_set_error (error, HZ_TOKEN_ERROR, HZ_TOKEN_ERROR_EXPIRED,
                 "token expired %" G_GINT64_FORMAT " s ago", now_s - claims->exp);
    return NULL;
  }
  return g_steal_pointer (&claims);
}

HzTokenClaims *
hz_token_claims_copy (const HzTokenClaims *claims)
{
  HzTokenClaims *c;

  g_return_val_if_fail (claims != NULL, NULL);
  c = g_new0 (HzTokenClaims, 1);
  c->room = g_strdup (claims->room);
  c->user = g_strdup (claims->user);
  c->display_name = g_strdup (claims->display_name);
  c->institution = g_strdup (claims->institution);
  c->role = claims->role;
  c->iat = claims->iat;
  c->exp = claims->exp;
  c->jti = g_strdup (claims->jti);
  return c;
}

void
hz_token_claims_free (HzTokenClaims *claims)
{
  if (claims == NULL)
    return;
  g_free (claims->room);
  g_free (claims->user);
  g_free (claims->display_name);
  g_free (claims->institution);
  g_free (claims->jti);
  g_free (claims);
}
