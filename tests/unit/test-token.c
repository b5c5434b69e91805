/* Tests of rooms/hz-token and rooms/hz-role: join tokens and who may do what. */
#include <glib.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

#include "hz-base64url.h"
#include "hz-token.h"

#define SECRET "test-secret-0123456789abcdefghijklmnopqrstu"
#define NOW 1740000000  /* 2025-02-19T21:20:00Z */

static HzTokenClaims *
sample_claims (void)
{
  HzTokenClaims *c = g_new0 (HzTokenClaims, 1);

  c->room = g_strdup ("5f0c6f4e-2b7d-4c8e-9a51-0d2f1f6a9b3c");
  c->user = g_strdup ("dr-li");
  c->display_name = g_strdup ("李医生");
  c->institution = g_strdup ("青山乡卫生院");
  c->role = HZ_ROLE_DOCTOR;
  c->iat = NOW;
  c->exp = NOW + 3600;
  return c;
}

/* Signs @json exactly as the server does, so claims the server would never
 * issue can be checked for what verify makes of them. */
static char *
sign_json (const char *secret, const char *json)
{
  g_autofree char *payload = hz_base64url_encode ((const guint8 *) json, strlen (json));
  guint8 mac[32];
  unsigned int mac_len = 0;
  g_autofree char *mac64 = NULL;

  g_assert_nonnull (HMAC (EVP_sha256 (), secret, strlen (secret), (const guint8 *) payload,
                          strlen (payload), mac, &mac_len));
  mac64 = hz_base64url_encode (mac, mac_len);
  return g_strconcat (payload, ".", mac64, NULL);
}

static char *
issue_sample (void)
{
  g_autoptr(HzTokenClaims) claims = sample_claims ();
  g_autoptr(GError) error = NULL;
  char *token = hz_token_issue (SECRET, claims, &error);

  g_assert_no_error (error);
  g_assert_nonnull (token);
  return token;
}

static void
assert_rejected (const char *token, int code)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HzTokenClaims) claims = hz_token_verify (SECRET, token, NOW + 10, &error);

  g_assert_error (error, HZ_TOKEN_ERROR, code);
  g_assert_null (claims);
}

static void
test_token_round_trip (void)
{
  g_autofree char *token = issue_sample ();
  g_autofree char *again = issue_sample ();
  g_autoptr(GError) error = NULL;
  g_autoptr(HzTokenClaims) c = hz_token_verify (SECRET, token, NOW + 10, &error);
  g_autoptr(HzTokenClaims) d = hz_token_verify (SECRET, again, NOW + 10, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (c->room, ==, "5f0c6f4e-2b7d-4c8e-9a51-0d2f1f6a9b3c");
  g_assert_cmpstr (c->user, ==, "dr-li");
  g_assert_cmpstr (c->display_name, ==, "李医生");
  g_assert_cmpstr (c->institution, ==, "青山乡卫生院");
  g_assert_cmpint (c->role, ==, HZ_ROLE_DOCTOR);
  g_assert_cmpint (c->iat, ==, NOW);
  g_assert_cmpint (c->exp, ==, NOW + 3600);
  g_assert_cmpuint (strlen (c->jti), >=, 16);
  g_assert_cmpstr (c->jti, !=, d->jti);  /* every token gets its own id */
  g_assert_null (strpbrk (token, "+/= "));  /* URL-safe as is */
}

static void
test_token_tampered_payload (void)
{
  g_autofree char *token = issue_sample ();
  char *dot = strchr (token, '.');
  g_autoptr(GBytes) json = hz_base64url_decode (token, dot - token);
  g_autofree char *text = g_strndup (g_bytes_get_data (json, NULL), g_bytes_get_size (json));
  char *role = strstr (text, "\"doctor\"");
  g_autofree char *forged_payload = NULL;
  g_autofree char *forged = NULL;

  /* Promote the doctor to specialist in the claims; keep the original MAC. */
  g_assert_nonnull (role);
  {
    g_autofree char *head = g_strndup (text, role - text);
    g_autofree char *promoted = g_strconcat (head, "\"specialist\"", role + strlen ("\"doctor\""), NULL);
    forged_payload = hz_base64url_encode ((const guint8 *) promoted, strlen (promoted));
  }
  forged = g_strconcat (forged_payload, dot, NULL);  /* the original MAC */
  assert_rejected (forged, HZ_TOKEN_ERROR_BAD_SIGNATURE);
}

static void
test_token_tampered_mac (void)
{
  g_autofree char *token = issue_sample ();
  char *mac = strchr (token, '.') + 1;

  /* Change the first MAC character: still canonical base64url, 32 bytes. */
  mac[0] = mac[0] == 'A' ? 'B' : 'A';
  assert_rejected (token, HZ_TOKEN_ERROR_BAD_SIGNATURE);
}

static void
test_token_wrong_secret (void)
{
  g_autofree char *token = issue_sample ();
  g_autoptr(GError) error = NULL;
  g_autoptr(HzTokenClaims) c = hz_token_verify ("another-secret", token, NOW + 10, &error);

  g_assert_error (error, HZ_TOKEN_ERROR, HZ_TOKEN_ERROR_BAD_SIGNATURE);
  g_assert_null (c);
}

static void
test_token_expired (void)
{
  g_autofree char *token = issue_sample ();
  g_autoptr(GError) error = NULL;
  g_autoptr(HzTokenClaims) last = hz_token_verify (SECRET, token, NOW + 3599, &error);
  g_autoptr(HzTokenClaims) at_exp = NULL;

  g_assert_no_error (error);
  g_assert_nonnull (last);
  at_exp = hz_token_verify (SECRET, token, NOW + 3600, &error);
  g_assert_error (error, HZ_TOKEN_ERROR, HZ_TOKEN_ERROR_EXPIRED);
  g_assert_null (at_exp);
}

static void
test_token_malformed (void)
{
  g_autofree char *token = issue_sample ();
  char *dot = strchr (token, '.');
  g_autofree char *payload = g_strndup (token, dot - token);
  g_autofree char *short_mac = hz_base64url_encode ((const guint8 *) "0123456789abcdef", 16);
  g_autofree char *short_token = g_strconcat (payload, ".", short_mac, NULL);
  g_autofree char *padded = g_strconcat (payload, "=", dot, NULL);
  g_autofree char *two_dots = g_strconcat (token, ".", NULL);
  g_autofree char *bad_char = g_strdup (token);

  bad_char[1] = '$';
  assert_rejected ("", HZ_TOKEN_ERROR_MALFORMED);
  assert_rejected ("no-dot-at-all", HZ_TOKEN_ERROR_MALFORMED);
  assert_rejected (".onlymac", HZ_TOKEN_ERROR_MALFORMED);
  assert_rejected (payload, HZ_TOKEN_ERROR_MALFORMED);           /* MAC part missing */
  assert_rejected (two_dots, HZ_TOKEN_ERROR_MALFORMED);
  assert_rejected (bad_char, HZ_TOKEN_ERROR_MALFORMED);          /* '$' is not base64url */
  assert_rejected (padded, HZ_TOKEN_ERROR_MALFORMED);            /* '=' padding */
  assert_rejected (short_token, HZ_TOKEN_ERROR_MALFORMED);       /* 16-byte MAC */
  assert_rejected (NULL, HZ_TOKEN_ERROR_MALFORMED);
}

static void
test_token_oversized (void)
{
  g_autoptr(HzTokenClaims) claims = sample_claims ();
  g_autoptr(GError) error = NULL;
  g_autofree char *huge = g_strnfill (HZ_TOKEN_MAX_LEN + 1, 'A');
  g_autofree char *token = NULL;

  huge[100] = '.';
  assert_rejected (huge, HZ_TOKEN_ERROR_MALFORMED);

  g_free (claims->display_name);
  claims->display_name = g_strnfill (3500, 'x');  /* base64 grows it past 4 KiB */
  token = hz_token_issue (SECRET, claims, &error);
  g_assert_error (error, HZ_TOKEN_ERROR, HZ_TOKEN_ERROR_INVALID_CLAIMS);
  g_assert_null (token);
}

/* Each payload is signed correctly; the claims themselves are wrong. */
static void
test_token_claim_types (void)
{
  static const char *const bad[] = {
    /* iat as a string */
    "{\"room\":\"r1\",\"user\":\"u\",\"display_name\":\"d\",\"institution\":\"i\","
    "\"role\":\"doctor\",\"iat\":\"1740000000\",\"exp\":1740003600,\"jti\":\"j\"}",
    /* exp as a float */
    "{\"room\":\"r1\",\"user\":\"u\",\"display_name\":\"d\",\"institution\":\"i\","
    "\"role\":\"doctor\",\"iat\":1740000000,\"exp\":1740003600.5,\"jti\":\"j\"}",
    /* role as a number */
    "{\"room\":\"r1\",\"user\":\"u\",\"display_name\":\"d\",\"institution\":\"i\","
    "\"role\":1,\"iat\":1740000000,\"exp\":1740003600,\"jti\":\"j\"}",
    /* role not one of ours */
    "{\"room\":\"r1\",\"user\":\"u\",\"display_name\":\"d\",\"institution\":\"i\","
    "\"role\":\"admin\",\"iat\":1740000000,\"exp\":1740003600,\"jti\":\"j\"}",
    /* room missing */
    "{\"user\":\"u\",\"display_name\":\"d\",\"institution\":\"i\","
    "\"role\":\"doctor\",\"iat\":1740000000,\"exp\":1740003600,\"jti\":\"j\"}",
    /* user is an object */
    "{\"room\":\"r1\",\"user\":{\"id\":\"u\"},\"display_name\":\"d\",\"institution\":\"i\","
    "\"role\":\"doctor\",\"iat\":1740000000,\"exp\":1740003600,\"jti\":\"j\"}",
    /* room null */
    "{\"room\":null,\"user\":\"u\",\"display_name\":\"d\",\"institution\":\"i\","
    "\"role\":\"doctor\",\"iat\":1740000000,\"exp\":1740003600,\"jti\":\"j\"}",
    "[\"not\", \"an\", \"object\"]",
    "not json",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_autofree char *token = sign_json (SECRET, bad[i]);
    g_test_message ("claims: %s", bad[i]);
    assert_rejected (token, HZ_TOKEN_ERROR_MALFORMED);
  }
}

/* The same well-formed claims hand-signed verify: the type checks above are
 * what rejected them, not the hand-signing. */
static void
test_token_hand_signed_accepted (void)
{
  g_autofree char *token = sign_json (SECRET,
    "{\"room\":\"r1\",\"user\":\"u\",\"display_name\":\"d\",\"institution\":\"i\","
    "\"role\":\"observer\",\"iat\":1740000000,\"exp\":1740003600,\"jti\":\"j\",\"extra\":true}");
  g_autoptr(GError) error = NULL;
  g_autoptr(HzTokenClaims) c = hz_token_verify (SECRET, token, NOW + 10, &error);

  g_assert_no_error (error);
  g_assert_cmpint (c->role, ==, HZ_ROLE_OBSERVER);
  g_assert_cmpstr (c->room, ==, "r1");
}

static void
test_token_issue_rejects_bad_claims (void)
{
  g_autoptr(HzTokenClaims) claims = sample_claims ();
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;

  claims->exp = claims->iat;  /* expires as it is issued */
  token = hz_token_issue (SECRET, claims, &error);
  g_assert_error (error, HZ_TOKEN_ERROR, HZ_TOKEN_ERROR_INVALID_CLAIMS);
  g_assert_null (token);
  g_clear_error (&error);
  claims->exp = claims->iat + 60;
  claims->role = HZ_ROLE_INVALID;
  token = hz_token_issue (SECRET, claims, &error);
  g_assert_error (error, HZ_TOKEN_ERROR, HZ_TOKEN_ERROR_INVALID_CLAIMS);
  g_assert_null (token);
}

static void
test_role_names (void)
{
  g_assert_cmpint (hz_role_from_string ("doctor"), ==, HZ_ROLE_DOCTOR);
  g_assert_cmpint (hz_role_from_string ("specialist"), ==, HZ_ROLE_SPECIALIST);
  g_assert_cmpint (hz_role_from_string ("presenter"), ==, HZ_ROLE_PRESENTER);
  g_assert_cmpint (hz_role_from_string ("student"), ==, HZ_ROLE_STUDENT);
  g_assert_cmpint (hz_role_from_string ("observer"), ==, HZ_ROLE_OBSERVER);
  g_assert_cmpint (hz_role_from_string ("Doctor"), ==, HZ_ROLE_INVALID);
  g_assert_cmpint (hz_role_from_string (""), ==, HZ_ROLE_INVALID);
  g_assert_cmpint (hz_role_from_string (NULL), ==, HZ_ROLE_INVALID);
  g_assert_cmpstr (hz_role_to_string (HZ_ROLE_STUDENT), ==, "student");
  g_assert_null (hz_role_to_string (HZ_ROLE_INVALID));
  g_assert_cmpint (hz_room_kind_from_string ("teaching"), ==, HZ_ROOM_KIND_TEACHING);
  g_assert_cmpint (hz_room_kind_from_string ("lecture"), ==, HZ_ROOM_KIND_INVALID);
}

static void
test_role_permissions (void)
{
  /* consult: the doctors and presenters publish, the specialist leads */
  g_assert_true (hz_role_can_publish (HZ_ROLE_DOCTOR, HZ_ROOM_KIND_CONSULT));
  g_assert_true (hz_role_can_publish (HZ_ROLE_SPECIALIST, HZ_ROOM_KIND_CONSULT));
  g_assert_true (hz_role_can_publish (HZ_ROLE_PRESENTER, HZ_ROOM_KIND_CONSULT));
  g_assert_false (hz_role_can_publish (HZ_ROLE_STUDENT, HZ_ROOM_KIND_CONSULT));
  g_assert_false (hz_role_can_publish (HZ_ROLE_OBSERVER, HZ_ROOM_KIND_CONSULT));
  g_assert_true (hz_role_can_moderate (HZ_ROLE_SPECIALIST, HZ_ROOM_KIND_CONSULT));
  g_assert_false (hz_role_can_moderate (HZ_ROLE_DOCTOR, HZ_ROOM_KIND_CONSULT));
  /* teaching: only presenters publish and moderate */
  g_assert_true (hz_role_can_publish (HZ_ROLE_PRESENTER, HZ_ROOM_KIND_TEACHING));
  g_assert_false (hz_role_can_publish (HZ_ROLE_DOCTOR, HZ_ROOM_KIND_TEACHING));
  g_assert_false (hz_role_can_publish (HZ_ROLE_SPECIALIST, HZ_ROOM_KIND_TEACHING));
  g_assert_false (hz_role_can_publish (HZ_ROLE_STUDENT, HZ_ROOM_KIND_TEACHING));
  g_assert_false (hz_role_can_publish (HZ_ROLE_OBSERVER, HZ_ROOM_KIND_TEACHING));
  g_assert_true (hz_role_can_moderate (HZ_ROLE_PRESENTER, HZ_ROOM_KIND_TEACHING));
  g_assert_false (hz_role_can_moderate (HZ_ROLE_STUDENT, HZ_ROOM_KIND_TEACHING));
  /* nonsense in, nothing allowed */
  g_assert_false (hz_role_can_publish (HZ_ROLE_INVALID, HZ_ROOM_KIND_CONSULT));
  g_assert_false (hz_role_can_publish (HZ_ROLE_PRESENTER, HZ_ROOM_KIND_INVALID));
  g_assert_false (hz_role_can_moderate ((HzRole) 99, HZ_ROOM_KIND_TEACHING));
}

static void
test_base64url (void)
{
  /* 0xfb 0xff: "+/8" in standard base64, "-_8" in base64url */
  static const guint8 bytes[] = { 0xfb, 0xff };
  g_autofree char *text = hz_base64url_encode (bytes, sizeof bytes);
  g_autoptr(GBytes) back = hz_base64url_decode (text, strlen (text));
  g_autoptr(GBytes) non_canonical = hz_base64url_decode ("-_9", 3);  /* unused bits set */
  g_autoptr(GBytes) impossible = hz_base64url_decode ("abcde", 5);   /* 5 % 4 == 1 */

  g_assert_cmpstr (text, ==, "-_8");
  g_assert_cmpmem (g_bytes_get_data (back, NULL), g_bytes_get_size (back), bytes, sizeof bytes);
  g_assert_null (non_canonical);
  g_assert_null (impossible);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/token/round-trip", test_token_round_trip);
  g_test_add_func ("/token/tampered-payload", test_token_tampered_payload);
  g_test_add_func ("/token/tampered-mac", test_token_tampered_mac);
  g_test_add_func ("/token/wrong-secret", test_token_wrong_secret);
  g_test_add_func ("/token/expired", test_token_expired);
  g_test_add_func ("/token/malformed", test_token_malformed);
  g_test_add_func ("/token/oversized", test_token_oversized);
  g_test_add_func ("/token/claim-types", test_token_claim_types);
  g_test_add_func ("/token/hand-signed-accepted", test_token_hand_signed_accepted);
  g_test_add_func ("/token/issue-rejects-bad-claims", test_token_issue_rejects_bad_claims);
  g_test_add_func ("/role/names", test_role_names);
  g_test_add_func ("/role/permissions", test_role_permissions);
  g_test_add_func ("/base64url/encode-decode", test_base64url);
  return g_test_run ();
}
