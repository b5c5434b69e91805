/* Unit tests for media/crypto/hz-dtls: a client and a server HzDtls talk
 * through two in-memory queues of datagrams that the test pumps by hand, so
 * loss is "not delivering" a datagram and no socket or real sleep is used. */
#include <string.h>

#include "hz-dtls.h"

typedef struct {
  GQueue datagrams; /* GBytes sent by one side, not yet delivered */
  guint n_sent;
} Wire;

typedef struct {
  HzDtlsCert *client_cert;
  HzDtlsCert *server_cert;
  Wire to_server;
  Wire to_client;
  HzDtls *client;
  HzDtls *server;
  guint client_connected; /* times the client was seen entering CONNECTED */
  guint server_connected;
  GError *client_error; /* first error each side reported */
  GError *server_error;
} Fixture;

static void
wire_send (const guint8 *data, gsize len, gpointer user_data)
{
  Wire *wire = user_data;

  /* every datagram fits the DTLS MTU */
  g_assert_cmpuint (len, >, 0);
  g_assert_cmpuint (len, <=, HZ_DTLS_MTU);
  g_queue_push_tail (&wire->datagrams, g_bytes_new (data, len));
  wire->n_sent++;
}

static void
wire_clear (Wire *wire)
{
  g_queue_clear_full (&wire->datagrams, (GDestroyNotify) g_bytes_unref);
}

/* A side's remote fingerprint: the real one unless the test overrides it. */
static void
fixture_init (Fixture *f, const char *client_sees_fp, const char *server_sees_fp)
{
  g_autoptr(GError) error = NULL;

  memset (f, 0, sizeof (*f));
  f->client_cert = hz_dtls_cert_new (&error);
  g_assert_no_error (error);
  f->server_cert = hz_dtls_cert_new (&error);
  g_assert_no_error (error);
  f->client = hz_dtls_new (f->client_cert, HZ_DTLS_ROLE_CLIENT, "sha-256",
                           client_sees_fp != NULL ? client_sees_fp
                                                  : hz_dtls_cert_get_fingerprint (f->server_cert),
                           wire_send, &f->to_server, &error);
  g_assert_no_error (error);
  f->server = hz_dtls_new (f->server_cert, HZ_DTLS_ROLE_SERVER, "sha-256",
                           server_sees_fp != NULL ? server_sees_fp
                                                  : hz_dtls_cert_get_fingerprint (f->client_cert),
                           wire_send, &f->to_client, &error);
  g_assert_no_error (error);
}

static void
fixture_clear (Fixture *f)
{
  g_clear_pointer (&f->client, hz_dtls_free);
  g_clear_pointer (&f->server, hz_dtls_free);
  g_clear_pointer (&f->client_cert, hz_dtls_cert_unref);
  g_clear_pointer (&f->server_cert, hz_dtls_cert_unref);
  wire_clear (&f->to_server);
  wire_clear (&f->to_client);
  g_clear_error (&f->client_error);
  g_clear_error (&f->server_error);
}

static void
deliver (HzDtls *dtls, GBytes *datagram, guint *connected, GError **first_error)
{
  g_autoptr(GError) error = NULL;
  HzDtlsState before = hz_dtls_get_state (dtls);
  HzDtlsState after;

  after = hz_dtls_handle_datagram (dtls, g_bytes_get_data (datagram, NULL),
                                   g_bytes_get_size (datagram), &error);
  g_assert_cmpint (after, ==, hz_dtls_get_state (dtls));
  if (before != HZ_DTLS_STATE_CONNECTED && after == HZ_DTLS_STATE_CONNECTED)
    (*connected)++;
  if (error != NULL && *first_error == NULL)
    *first_error = g_steal_pointer (&error);
}

/* Delivers everything in flight, both ways, until both wires are quiet. */
static void
pump (Fixture *f)
{
  for (guint round = 0; round < 64; round++) {
    GBytes *d;
    if (g_queue_is_empty (&f->to_server.datagrams) && g_queue_is_empty (&f->to_client.datagrams))
      return;
    while ((d = g_queue_pop_head (&f->to_server.datagrams)) != NULL) {
      deliver (f->server, d, &f->server_connected, &f->server_error);
      g_bytes_unref (d);
    }
    while ((d = g_queue_pop_head (&f->to_client.datagrams)) != NULL) {
      deliver (f->client, d, &f->client_connected, &f->client_error);
      g_bytes_unref (d);
    }
  }
  g_assert_not_reached ();
}

static void
drop_all (Wire *wire)
{
  wire_clear (wire);
  g_queue_init (&wire->datagrams);
}

/* The first record of a datagram: content type and, for handshake records,
 * the handshake message type (13-octet record header, then msg_type). */
static guint8
first_handshake_type (GBytes *datagram)
{
  const guint8 *d = g_bytes_get_data (datagram, NULL);
  g_assert_cmpuint (g_bytes_get_size (datagram), >, 13);
  g_assert_cmpuint (d[0], ==, 22); /* handshake */
  return d[13];
}

static void
start_client (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  g_assert_true (hz_dtls_start (f->client, &error));
  g_assert_no_error (error);
  g_assert_cmpint (hz_dtls_get_state (f->client), ==, HZ_DTLS_STATE_CONNECTING);
  g_assert_cmpuint (g_queue_get_length (&f->to_server.datagrams), ==, 1);
  g_assert_cmpuint (first_handshake_type (g_queue_peek_head (&f->to_server.datagrams)), ==, 1);
}

/* Both sides connected exactly once, derived mirrored keys, and the keys
 * really carry media: client protects, server unprotects, and back. */
static void
assert_connected_with_keys (Fixture *f, HzSrtpProfile expected)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HzSrtp) client_srtp = NULL;
  g_autoptr(HzSrtp) server_srtp = NULL;
  HzSrtpKeys ck, sk;
  guint key_len, salt_len;
  /* RTP: V=2 PT=96 seq=1 ts=0 SSRC=0x0000ABCD, payload "ecg" */
  const guint8 rtp[] = { 0x80, 0x60, 0x00, 0x01, 0, 0, 0, 0, 0x00, 0x00, 0xAB, 0xCD, 'e', 'c', 'g' };
  guint8 buf[sizeof (rtp) + HZ_SRTP_MAX_TRAILER];
  gsize len;

  g_assert_no_error (f->client_error);
  g_assert_no_error (f->server_error);
  g_assert_cmpint (hz_dtls_get_state (f->client), ==, HZ_DTLS_STATE_CONNECTED);
  g_assert_cmpint (hz_dtls_get_state (f->server), ==, HZ_DTLS_STATE_CONNECTED);
  g_assert_cmpuint (f->client_connected, ==, 1);
  g_assert_cmpuint (f->server_connected, ==, 1);
  g_assert_cmpint (hz_dtls_get_timeout_ms (f->client), ==, -1);

  g_assert_true (hz_dtls_get_srtp_keys (f->client, &ck, &error));
  g_assert_no_error (error);
  g_assert_true (hz_dtls_get_srtp_keys (f->server, &sk, &error));
  g_assert_no_error (error);
  g_assert_true (hz_srtp_profile_get_lengths (expected, &key_len, &salt_len));
  g_assert_cmpint (ck.profile, ==, expected);
  g_assert_cmpint (sk.profile, ==, expected);
  g_assert_cmpuint (ck.key_len, ==, key_len);
  g_assert_cmpuint (ck.salt_len, ==, salt_len);
  g_assert_cmpuint (sk.key_len, ==, key_len);
  g_assert_cmpmem (ck.local_key, key_len, sk.remote_key, key_len);
  g_assert_cmpmem (ck.local_salt, salt_len, sk.remote_salt, salt_len);
  g_assert_cmpmem (ck.remote_key, key_len, sk.local_key, key_len);
  g_assert_cmpmem (ck.remote_salt, salt_len, sk.local_salt, salt_len);
  g_assert_true (memcmp (ck.local_key, ck.remote_key, key_len) != 0);

  client_srtp = hz_srtp_new (&ck, &error);
  g_assert_no_error (error);
  server_srtp = hz_srtp_new (&sk, &error);
  g_assert_no_error (error);
  len = sizeof (rtp);
  memcpy (buf, rtp, len);
  g_assert_cmpint (hz_srtp_protect_rtp (client_srtp, buf, &len, sizeof (buf)), ==, HZ_SRTP_OK);
  g_assert_cmpint (hz_srtp_unprotect_rtp (server_srtp, buf, &len), ==, HZ_SRTP_OK);
  g_assert_cmpmem (buf, len, rtp, sizeof (rtp));
  len = sizeof (rtp);
  memcpy (buf, rtp, len);
  g_assert_cmpint (hz_srtp_protect_rtp (server_srtp, buf, &len, sizeof (buf)), ==, HZ_SRTP_OK);
  g_assert_cmpint (hz_srtp_unprotect_rtp (client_srtp, buf, &len), ==, HZ_SRTP_OK);
  g_assert_cmpmem (buf, len, rtp, sizeof (rtp));
}

static void
test_cert (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HzDtlsCert) a = hz_dtls_cert_new (&error);
  g_autoptr(HzDtlsCert) b = NULL;
  const char *fp;

  g_assert_no_error (error);
  b = hz_dtls_cert_new (&error);
  g_assert_no_error (error);
  fp = hz_dtls_cert_get_fingerprint (a);
  /* 32 octets of SHA-256, "XX:" each but the last */
  g_assert_cmpuint (strlen (fp), ==, 32 * 3 - 1);
  for (guint i = 0; fp[i] != '\0'; i++) {
    if (i % 3 == 2)
      g_assert_cmpint (fp[i], ==, ':');
    else
      g_assert_true (g_ascii_isdigit (fp[i]) || (fp[i] >= 'A' && fp[i] <= 'F'));
  }
  /* a fresh key and serial each time */
  g_assert_cmpstr (fp, !=, hz_dtls_cert_get_fingerprint (b));
  g_assert_true (hz_dtls_cert_ref (a) == a);
  hz_dtls_cert_unref (a);
}

/* Default profiles on both sides: the server prefers AEAD_AES_128_GCM. The
 * server is started explicitly here; elsewhere it starts on the ClientHello. */
static void
test_handshake_gcm (void)
{
  Fixture f;
  g_autoptr(GError) error = NULL;

  fixture_init (&f, NULL, NULL);
  g_assert_true (hz_dtls_start (f.server, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (f.to_client.n_sent, ==, 0);
  g_assert_cmpint (hz_dtls_get_timeout_ms (f.server), ==, -1);
  start_client (&f);
  pump (&f);
  assert_connected_with_keys (&f, HZ_SRTP_PROFILE_AEAD_AES_128_GCM);
  /* each flight's records packed into one datagram: ClientHello; ServerHello
   * to ServerHelloDone; Certificate to Finished; ChangeCipherSpec+Finished */
  g_assert_cmpuint (f.to_server.n_sent, ==, 2);
  g_assert_cmpuint (f.to_client.n_sent, ==, 2);
  fixture_clear (&f);
}

/* What Chromium negotiates: the client offers only AES128_CM_SHA1_80. */
static void
test_handshake_aes_cm (void)
{
  Fixture f;
  g_autoptr(GError) error = NULL;
  const HzSrtpProfile cm_only[] = { HZ_SRTP_PROFILE_AES128_CM_SHA1_80 };

  fixture_init (&f, NULL, NULL);
  g_assert_true (hz_dtls_set_srtp_profiles (f.client, cm_only, 1, &error));
  g_assert_no_error (error);
  start_client (&f);
  pump (&f);
  assert_connected_with_keys (&f, HZ_SRTP_PROFILE_AES128_CM_SHA1_80);
  fixture_clear (&f);
}

static void
test_no_common_profile (void)
{
  Fixture f;
  g_autoptr(GError) error = NULL;
  const HzSrtpProfile gcm_only[] = { HZ_SRTP_PROFILE_AEAD_AES_128_GCM };
  const HzSrtpProfile cm_only[] = { HZ_SRTP_PROFILE_AES128_CM_SHA1_80 };
  HzSrtpKeys keys;

  fixture_init (&f, NULL, NULL);
  g_assert_true (hz_dtls_set_srtp_profiles (f.client, gcm_only, 1, &error));
  g_assert_true (hz_dtls_set_srtp_profiles (f.server, cm_only, 1, &error));
  g_assert_no_error (error);
  start_client (&f);
  pump (&f);
  g_assert_cmpint (hz_dtls_get_state (f.server), ==, HZ_DTLS_STATE_FAILED);
  g_assert_error (f.server_error, HZ_DTLS_ERROR, HZ_DTLS_ERROR_NO_SRTP);
  g_assert_cmpint (hz_dtls_get_state (f.client), !=, HZ_DTLS_STATE_CONNECTED);
  g_assert_false (hz_dtls_get_srtp_keys (f.server, &keys, &error));
  g_assert_error (error, HZ_DTLS_ERROR, HZ_DTLS_ERROR_STATE);
  fixture_clear (&f);
}

/* The client was given a fingerprint that is not the server's. */
static void
test_fingerprint_mismatch_client (void)
{
  Fixture f;
  g_autoptr(GError) error = NULL;
  g_autoptr(HzDtlsCert) other = hz_dtls_cert_new (&error);
  g_autofree char *other_fp = g_strdup (hz_dtls_cert_get_fingerprint (other));

  fixture_init (&f, other_fp, NULL);
  start_client (&f);
  pump (&f);
  g_assert_cmpint (hz_dtls_get_state (f.client), ==, HZ_DTLS_STATE_FAILED);
  g_assert_error (f.client_error, HZ_DTLS_ERROR, HZ_DTLS_ERROR_FINGERPRINT_MISMATCH);
  /* the message names what the SDP said and what the peer presented */
  g_assert_nonnull (strstr (f.client_error->message, other_fp));
  g_assert_nonnull (strstr (f.client_error->message, hz_dtls_cert_get_fingerprint (f.server_cert)));
  g_assert_nonnull (strstr (f.client_error->message, "sha-256"));
  /* the server learns it from the alert */
  g_assert_cmpint (hz_dtls_get_state (f.server), ==, HZ_DTLS_STATE_FAILED);
  g_assert_error (f.server_error, HZ_DTLS_ERROR, HZ_DTLS_ERROR_HANDSHAKE);
  g_assert_nonnull (strstr (f.server_error->message, "alert"));
  g_assert_cmpuint (f.client_connected + f.server_connected, ==, 0);
  fixture_clear (&f);
}

/* The server checks the client's certificate too, here with SHA-1. */
static void
test_fingerprint_mismatch_server (void)
{
  Fixture f;
  g_autoptr(GError) error = NULL;
  const char *sha1_fp = "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33";

  fixture_init (&f, NULL, NULL);
  g_clear_pointer (&f.server, hz_dtls_free);
  f.server = hz_dtls_new (f.server_cert, HZ_DTLS_ROLE_SERVER, "SHA-1", sha1_fp, wire_send,
                          &f.to_client, &error);
  g_assert_no_error (error);
  start_client (&f);
  pump (&f);
  g_assert_cmpint (hz_dtls_get_state (f.server), ==, HZ_DTLS_STATE_FAILED);
  g_assert_error (f.server_error, HZ_DTLS_ERROR, HZ_DTLS_ERROR_FINGERPRINT_MISMATCH);
  g_assert_nonnull (strstr (f.server_error->message, "expected sha-1 " "00:11:22"));
  g_assert_cmpint (hz_dtls_get_state (f.client), ==, HZ_DTLS_STATE_FAILED);
  g_assert_cmpuint (f.client_connected + f.server_connected, ==, 0);
  fixture_clear (&f);
}

/* OpenSSL 3.0 keeps the DTLS timer on gettimeofday() and has no clock to
 * inject, but it counts a timer with less than 15 ms left as due. With a
 * 16 ms first timeout the timer is due about 1 ms after a flight: wait on
 * that condition (no fixed sleep, nothing asserted about time). */
static void
wait_until_due (HzDtls *dtls)
{
  gint64 ms;
  while ((ms = hz_dtls_get_timeout_ms (dtls)) > 0)
    g_assert_cmpint (ms, <=, 16);
  g_assert_cmpint (ms, ==, 0);
}

/* Lost flights come back through hz_dtls_handle_timeout(). */
static void
test_retransmission (void)
{
  Fixture f;
  g_autoptr(GError) error = NULL;
  GBytes *d;

  fixture_init (&f, NULL, NULL);
  hz_dtls_set_initial_timeout_ms (f.client, 16);
  hz_dtls_set_initial_timeout_ms (f.server, 16);

  /* the ClientHello is lost */
  g_assert_true (hz_dtls_start (f.client, &error));
  g_assert_no_error (error);
  drop_all (&f.to_server);
  wait_until_due (f.client);
  g_assert_cmpint (hz_dtls_handle_timeout (f.client, &error), ==, HZ_DTLS_STATE_CONNECTING);
  g_assert_no_error (error);
  g_assert_cmpuint (g_queue_get_length (&f.to_server.datagrams), ==, 1);
  g_assert_cmpuint (first_handshake_type (g_queue_peek_head (&f.to_server.datagrams)), ==, 1);
  /* the next timeout doubled: not due now */
  g_assert_cmpint (hz_dtls_get_timeout_ms (f.client), >, 16);

  /* the server's first flight (ServerHello ... ServerHelloDone) is lost */
  d = g_queue_pop_head (&f.to_server.datagrams);
  deliver (f.server, d, &f.server_connected, &f.server_error);
  g_bytes_unref (d);
  g_assert_cmpuint (g_queue_get_length (&f.to_client.datagrams), >=, 1);
  g_assert_cmpuint (first_handshake_type (g_queue_peek_head (&f.to_client.datagrams)), ==, 2);
  drop_all (&f.to_client);
  wait_until_due (f.server);
  hz_dtls_handle_timeout (f.server, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_queue_get_length (&f.to_client.datagrams), >=, 1);
  g_assert_cmpuint (first_handshake_type (g_queue_peek_head (&f.to_client.datagrams)), ==, 2);

  pump (&f);
  assert_connected_with_keys (&f, HZ_SRTP_PROFILE_AEAD_AES_128_GCM);
  fixture_clear (&f);
}

/* With the default 1 s timer nothing is due right after a flight. */
static void
test_timeout_not_due (void)
{
  Fixture f;
  g_autoptr(GError) error = NULL;
  gint64 ms;

  fixture_init (&f, NULL, NULL);
  g_assert_cmpint (hz_dtls_get_timeout_ms (f.client), ==, -1);
  start_client (&f);
  ms = hz_dtls_get_timeout_ms (f.client);
  g_assert_cmpint (ms, >, 0);
  g_assert_cmpint (ms, <=, 1000);
  hz_dtls_handle_timeout (f.client, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (f.to_server.n_sent, ==, 1);
  fixture_clear (&f);
}

static void
assert_rejected (HzDtls *dtls, const guint8 *data, gsize len)
{
  g_autoptr(GError) error = NULL;
  HzDtlsState before = hz_dtls_get_state (dtls);

  g_assert_cmpint (hz_dtls_handle_datagram (dtls, data, len, &error), ==, before);
  g_assert_error (error, HZ_DTLS_ERROR, HZ_DTLS_ERROR_BAD_DATAGRAM);
}

/* Garbage gets an error and leaves the handshake in progress intact. */
static void
test_garbage (void)
{
  Fixture f;
  g_autoptr(GError) error = NULL;
  GBytes *d;
  /* an RTP packet, as if demultiplexed wrongly (first octet 0x80) */
  const guint8 rtp[] = { 0x80, 0x60, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0xAB, 0xCD, 1, 2, 3 };
  /* a STUN binding request header (first octet 0x00) */
  const guint8 stun[20] = { 0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xA4, 0x42 };
  /* handshake record, DTLS 1.2, cut inside the 13-octet header */
  const guint8 truncated[] = { 22, 0xFE, 0xFD, 0x00, 0x00, 0x00 };
  /* handshake record whose length (0x0100) overruns the datagram */
  const guint8 overrun[] = { 22, 0xFE, 0xFD, 0, 0, 0, 0, 0, 0, 0, 9, 0x01, 0x00, 1, 2, 3 };
  /* handshake record with TLS 1.2's version (03 03) instead of DTLS's */
  const guint8 tls_version[] = { 22, 0x03, 0x03, 0, 0, 0, 0, 0, 0, 0, 9, 0x00, 0x01, 1 };
  /* a well-formed record that cannot be authenticated: application data,
   * epoch 1, sequence 7, 24 octets of junk. OpenSSL drops it. */
  guint8 junk_record[13 + 24] = { 23, 0xFE, 0xFD, 0x00, 0x01, 0, 0, 0, 0, 0, 7, 0x00, 24 };

  memset (junk_record + 13, 0x5A, 24);
  fixture_init (&f, NULL, NULL);

  /* before anything started */
  assert_rejected (f.client, rtp, sizeof (rtp));
  assert_rejected (f.client, NULL, 0);
  g_assert_cmpint (hz_dtls_get_state (f.client), ==, HZ_DTLS_STATE_NEW);

  start_client (&f);
  d = g_queue_pop_head (&f.to_server.datagrams);
  deliver (f.server, d, &f.server_connected, &f.server_error);
  g_bytes_unref (d);

  /* mid-handshake, into both sides */
  assert_rejected (f.server, stun, sizeof (stun));
  assert_rejected (f.server, truncated, sizeof (truncated));
  assert_rejected (f.server, overrun, sizeof (overrun));
  assert_rejected (f.server, tls_version, sizeof (tls_version));
  assert_rejected (f.client, rtp, sizeof (rtp));
  g_assert_cmpint (hz_dtls_handle_datagram (f.client, junk_record, sizeof (junk_record), &error), ==,
                   HZ_DTLS_STATE_CONNECTING);
  g_assert_no_error (error);
  g_assert_cmpint (hz_dtls_handle_datagram (f.server, junk_record, sizeof (junk_record), &error), ==,
                   HZ_DTLS_STATE_CONNECTING);
  g_assert_no_error (error);

  pump (&f);
  assert_connected_with_keys (&f, HZ_SRTP_PROFILE_AEAD_AES_128_GCM);

  /* after the handshake the junk record is dropped too */
  g_assert_cmpint (hz_dtls_handle_datagram (f.server, junk_record, sizeof (junk_record), &error), ==,
                   HZ_DTLS_STATE_CONNECTED);
  g_assert_no_error (error);
  assert_rejected (f.server, overrun, sizeof (overrun));
  g_assert_cmpint (hz_dtls_get_state (f.server), ==, HZ_DTLS_STATE_CONNECTED);
  fixture_clear (&f);
}

/* A few thousand random datagrams shaped like DTLS records must not crash a
 * server mid-handshake; each either is rejected or is left to OpenSSL. */
static void
test_random_records (void)
{
  Fixture f;
  GRand *rand = g_rand_new_with_seed (5764);
  guint8 buf[200];

  GBytes *d;

  fixture_init (&f, NULL, NULL);
  start_client (&f);
  d = g_queue_pop_head (&f.to_server.datagrams);
  deliver (f.server, d, &f.server_connected, &f.server_error);
  g_bytes_unref (d);
  for (guint i = 0; i < 2000; i++) {
    g_autoptr(GError) error = NULL;
    gsize len = g_rand_int_range (rand, 1, sizeof (buf));
    for (gsize j = 0; j < len; j++)
      buf[j] = (guint8) g_rand_int (rand);
    if (i % 2 == 0 && len >= 13) {
      /* a plausible header: handshake/alert/ccs/appdata, DTLS 1.2, fitting length */
      buf[0] = 20 + i % 4;
      buf[1] = 0xFE;
      buf[2] = 0xFD;
      buf[11] = 0;
      buf[12] = (guint8) (len - 13);
    }
    hz_dtls_handle_datagram (f.server, buf, len, &error);
    g_assert_true (error == NULL || error->domain == HZ_DTLS_ERROR);
  }
  g_rand_free (rand);
  fixture_clear (&f);
}

static void
test_close (void)
{
  Fixture f;
  g_autoptr(GError) error = NULL;
  const guint8 junk[] = { 23, 0xFE, 0xFD, 0, 1, 0, 0, 0, 0, 0, 9, 0, 1, 0 };

  fixture_init (&f, NULL, NULL);
  start_client (&f);
  pump (&f);
  assert_connected_with_keys (&f, HZ_SRTP_PROFILE_AEAD_AES_128_GCM);

  hz_dtls_close (f.client);
  g_assert_cmpint (hz_dtls_get_state (f.client), ==, HZ_DTLS_STATE_CLOSED);
  g_assert_cmpuint (g_queue_get_length (&f.to_server.datagrams), ==, 1);
  g_assert_cmpuint (((const guint8 *) g_bytes_get_data (g_queue_peek_head (&f.to_server.datagrams),
                                                        NULL))[0], ==, 21); /* alert */
  pump (&f);
  g_assert_cmpint (hz_dtls_get_state (f.server), ==, HZ_DTLS_STATE_CLOSED);
  g_assert_no_error (f.server_error);

  /* nothing more once closed */
  g_assert_cmpint (hz_dtls_handle_datagram (f.server, junk, sizeof (junk), &error), ==,
                   HZ_DTLS_STATE_CLOSED);
  g_assert_error (error, HZ_DTLS_ERROR, HZ_DTLS_ERROR_STATE);
  hz_dtls_close (f.server);
  g_assert_cmpint (hz_dtls_get_state (f.server), ==, HZ_DTLS_STATE_CLOSED);
  fixture_clear (&f);
}

static void
test_bad_arguments (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HzDtlsCert) cert = hz_dtls_cert_new (&error);
  const char *fp = hz_dtls_cert_get_fingerprint (cert);
  const char *bad_fps[] = {
    "",
    "AB:CD",                                         /* too short for sha-256 */
    "GG:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33", /* not hex */
    "00-11-22-33-44-55-66-77-88-99-AA-BB-CC-DD-EE-FF-00-11-22-33", /* wrong separator */
    "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:", /* trailing colon */
    "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44", /* too long */
  };
  g_autoptr(HzDtls) dtls = NULL;
  HzSrtpKeys keys;
  const HzSrtpProfile unsupported[] = { 2 };

  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (bad_fps); i++) {
    HzDtls *d = hz_dtls_new (cert, HZ_DTLS_ROLE_CLIENT, "sha-1", bad_fps[i], wire_send, NULL, &error);
    g_assert_null (d);
    g_assert_error (error, HZ_DTLS_ERROR, HZ_DTLS_ERROR_INVALID_ARGUMENT);
    g_clear_error (&error);
  }
  g_assert_null (hz_dtls_new (cert, HZ_DTLS_ROLE_CLIENT, "md5", fp, wire_send, NULL, &error));
  g_assert_error (error, HZ_DTLS_ERROR, HZ_DTLS_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  /* lowercase hex is accepted; sha-384/sha-512 lengths are checked */
  dtls = hz_dtls_new (cert, HZ_DTLS_ROLE_CLIENT, "sha-256", "ab:CD:ef:01:23:45:67:89:ab:cd:ef:01:"
                      "23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89",
                      wire_send, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (hz_dtls_new (cert, HZ_DTLS_ROLE_CLIENT, "sha-384", fp, wire_send, NULL, &error));
  g_assert_error (error, HZ_DTLS_ERROR, HZ_DTLS_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  g_assert_false (hz_dtls_set_srtp_profiles (dtls, unsupported, 1, &error));
  g_assert_error (error, HZ_DTLS_ERROR, HZ_DTLS_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (hz_dtls_get_srtp_keys (dtls, &keys, &error));
  g_assert_error (error, HZ_DTLS_ERROR, HZ_DTLS_ERROR_STATE);
  g_clear_error (&error);
  hz_dtls_close (dtls);
  g_assert_false (hz_dtls_start (dtls, &error));
  g_assert_error (error, HZ_DTLS_ERROR, HZ_DTLS_ERROR_STATE);
}

/* Two workers handshake at the same time with the same two certificates. */
static gpointer
handshake_thread (gpointer data)
{
  HzDtlsCert **certs = data;
  g_autoptr(GError) error = NULL;
  Fixture f;

  for (guint i = 0; i < 5; i++) {
    memset (&f, 0, sizeof (f));
    f.client_cert = hz_dtls_cert_ref (certs[0]);
    f.server_cert = hz_dtls_cert_ref (certs[1]);
    f.client = hz_dtls_new (f.client_cert, HZ_DTLS_ROLE_CLIENT, "sha-256",
                            hz_dtls_cert_get_fingerprint (f.server_cert), wire_send, &f.to_server,
                            &error);
    g_assert_no_error (error);
    f.server = hz_dtls_new (f.server_cert, HZ_DTLS_ROLE_SERVER, "sha-256",
                            hz_dtls_cert_get_fingerprint (f.client_cert), wire_send, &f.to_client,
                            &error);
    g_assert_no_error (error);
    start_client (&f);
    pump (&f);
    assert_connected_with_keys (&f, HZ_SRTP_PROFILE_AEAD_AES_128_GCM);
    fixture_clear (&f);
  }
  return NULL;
}

static void
test_shared_cert_threads (void)
{
  g_autoptr(GError) error = NULL;
  HzDtlsCert *certs[2];
  GThread *threads[2];

  certs[0] = hz_dtls_cert_new (&error);
  g_assert_no_error (error);
  certs[1] = hz_dtls_cert_new (&error);
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    threads[i] = g_thread_new ("worker", handshake_thread, certs);
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    g_thread_join (threads[i]);
  hz_dtls_cert_unref (certs[0]);
  hz_dtls_cert_unref (certs[1]);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/dtls/cert", test_cert);
  g_test_add_func ("/dtls/handshake/gcm", test_handshake_gcm);
  g_test_add_func ("/dtls/handshake/aes-cm", test_handshake_aes_cm);
  g_test_add_func ("/dtls/handshake/no-common-profile", test_no_common_profile);
  g_test_add_func ("/dtls/fingerprint/mismatch-client", test_fingerprint_mismatch_client);
  g_test_add_func ("/dtls/fingerprint/mismatch-server", test_fingerprint_mismatch_server);
  g_test_add_func ("/dtls/timeout/retransmission", test_retransmission);
  g_test_add_func ("/dtls/timeout/not-due", test_timeout_not_due);
  g_test_add_func ("/dtls/garbage", test_garbage);
  g_test_add_func ("/dtls/random-records", test_random_records);
  g_test_add_func ("/dtls/close", test_close);
  g_test_add_func ("/dtls/bad-arguments", test_bad_arguments);
  g_test_add_func ("/dtls/shared-cert-threads", test_shared_cert_threads);
  return g_test_run ();
}
