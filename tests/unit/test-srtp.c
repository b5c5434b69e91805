/* Unit tests for media/crypto/hz-srtp: SRTP/SRTCP round trips between two
 * sessions keyed as mirror images, as the two ends of a DTLS-SRTP
 * association are. */
#include <string.h>

#include "hz-srtp.h"

/* RTP: V=2, PT 111 (Opus), seq 0x1234, ts 0xCAFEBABE, SSRC 0x11223344, 8-octet payload */
static const guint8 rtp_fixture[] = {
  0x80,                   /* V=2 P=0 X=0 CC=0 */
  0x6F,                   /* M=0 PT=111 */
  0x12, 0x34,             /* sequence number */
  0xCA, 0xFE, 0xBA, 0xBE, /* timestamp */
  0x11, 0x22, 0x33, 0x44, /* SSRC */
  'p', 'a', 't', 'i', 'e', 'n', 't', '!', /* payload */
};

/* RTCP receiver report with no report blocks, padded with an application
 * block so the encrypted part is not empty. */
static const guint8 rtcp_fixture[] = {
  0x80,                   /* V=2 P=0 RC=0 */
  0xC9,                   /* PT=201 RR */
  0x00, 0x01,             /* length: 1 (8 octets) */
  0x11, 0x22, 0x33, 0x44, /* sender SSRC */
  0x80,                   /* V=2 P=0 subtype=0 */
  0xCC,                   /* PT=204 APP */
  0x00, 0x02,             /* length: 2 (12 octets) */
  0x11, 0x22, 0x33, 0x44, /* SSRC */
  'h', 'u', 'i', 'z',     /* name */
};

/* Two mirrored key sets: A's local is B's remote and the other way round. */
static void
make_keys (HzSrtpProfile profile, HzSrtpKeys *a, HzSrtpKeys *b)
{
  memset (a, 0, sizeof (*a));
  a->profile = profile;
  g_assert_true (hz_srtp_profile_get_lengths (profile, &a->key_len, &a->salt_len));
  for (guint i = 0; i < a->key_len; i++) {
    a->local_key[i] = (guint8) (0x10 + i);
    a->remote_key[i] = (guint8) (0xA0 + i);
  }
  for (guint i = 0; i < a->salt_len; i++) {
    a->local_salt[i] = (guint8) (0x40 + i);
    a->remote_salt[i] = (guint8) (0xD0 + i);
  }
  *b = *a;
  memcpy (b->local_key, a->remote_key, sizeof (a->remote_key));
  memcpy (b->local_salt, a->remote_salt, sizeof (a->remote_salt));
  memcpy (b->remote_key, a->local_key, sizeof (a->local_key));
  memcpy (b->remote_salt, a->local_salt, sizeof (a->local_salt));
}

typedef struct {
  HzSrtp *a;
  HzSrtp *b;
  guint tag_len;
} Pair;

static void
pair_init (Pair *pair, HzSrtpProfile profile)
{
  HzSrtpKeys ka, kb;
  g_autoptr(GError) error = NULL;

  make_keys (profile, &ka, &kb);
  pair->a = hz_srtp_new (&ka, &error);
  g_assert_no_error (error);
  pair->b = hz_srtp_new (&kb, &error);
  g_assert_no_error (error);
  pair->tag_len = profile == HZ_SRTP_PROFILE_AES128_CM_SHA1_80 ? 10 : 16;
}

static void
pair_clear (Pair *pair)
{
  g_clear_pointer (&pair->a, hz_srtp_free);
  g_clear_pointer (&pair->b, hz_srtp_free);
}

static void
check_rtp (HzSrtpProfile profile)
{
  Pair pair;
  guint8 buf[sizeof (rtp_fixture) + HZ_SRTP_MAX_TRAILER];
  guint8 copy[sizeof (buf)];
  gsize len = sizeof (rtp_fixture);
  gsize protected_len, copy_len;

  pair_init (&pair, profile);
  memcpy (buf, rtp_fixture, len);
  g_assert_cmpint (hz_srtp_protect_rtp (pair.a, buf, &len, sizeof (buf)), ==, HZ_SRTP_OK);
  /* header in the clear, payload encrypted, tag appended */
  g_assert_cmpuint (len, ==, sizeof (rtp_fixture) + pair.tag_len);
  g_assert_cmpmem (buf, 12, rtp_fixture, 12);
  g_assert_true (memcmp (buf + 12, rtp_fixture + 12, sizeof (rtp_fixture) - 12) != 0);
  protected_len = len;
  memcpy (copy, buf, len);

  /* the sender cannot read its own packet: the directions have different keys */
  copy_len = protected_len;
  g_assert_cmpint (hz_srtp_unprotect_rtp (pair.a, copy, &copy_len), ==, HZ_SRTP_ERR_AUTH);
  memcpy (copy, buf, protected_len);

  g_assert_cmpint (hz_srtp_unprotect_rtp (pair.b, buf, &len), ==, HZ_SRTP_OK);
  g_assert_cmpmem (buf, len, rtp_fixture, sizeof (rtp_fixture));

  /* the same packet again is a replay */
  copy_len = protected_len;
  g_assert_cmpint (hz_srtp_unprotect_rtp (pair.b, copy, &copy_len), ==, HZ_SRTP_ERR_REPLAY);
  pair_clear (&pair);
}

static void
check_rtp_tampered (HzSrtpProfile profile)
{
  Pair pair;
  guint8 buf[sizeof (rtp_fixture) + HZ_SRTP_MAX_TRAILER];
  gsize len = sizeof (rtp_fixture);

  pair_init (&pair, profile);
  memcpy (buf, rtp_fixture, len);
  g_assert_cmpint (hz_srtp_protect_rtp (pair.a, buf, &len, sizeof (buf)), ==, HZ_SRTP_OK);
  buf[14] ^= 0x01; /* one payload bit */
  g_assert_cmpint (hz_srtp_unprotect_rtp (pair.b, buf, &len), ==, HZ_SRTP_ERR_AUTH);

  /* a tampered header (the SSRC is authenticated) fails as well */
  len = sizeof (rtp_fixture);
  memcpy (buf, rtp_fixture, len);
  buf[3] = 0x35; /* next sequence number, so not a replay */
  g_assert_cmpint (hz_srtp_protect_rtp (pair.a, buf, &len, sizeof (buf)), ==, HZ_SRTP_OK);
  buf[11] ^= 0x80;
  g_assert_cmpint (hz_srtp_unprotect_rtp (pair.b, buf, &len), ==, HZ_SRTP_ERR_AUTH);
  pair_clear (&pair);
}

static void
check_rtcp (HzSrtpProfile profile)
{
  Pair pair;
  guint8 buf[sizeof (rtcp_fixture) + HZ_SRTP_MAX_TRAILER];
  guint8 copy[sizeof (buf)];
  gsize len = sizeof (rtcp_fixture);
  gsize protected_len, copy_len;

  pair_init (&pair, profile);
  memcpy (buf, rtcp_fixture, len);
  g_assert_cmpint (hz_srtp_protect_rtcp (pair.a, buf, &len, sizeof (buf)), ==, HZ_SRTP_OK);
  /* first 8 octets in the clear, then E-flag + 31-bit SRTCP index and the tag */
  g_assert_cmpuint (len, ==, sizeof (rtcp_fixture) + 4 + pair.tag_len);
  g_assert_cmpmem (buf, 8, rtcp_fixture, 8);
  g_assert_true (memcmp (buf + 8, rtcp_fixture + 8, sizeof (rtcp_fixture) - 8) != 0);
  g_assert_cmpint (buf[sizeof (rtcp_fixture)] & 0x80, ==, 0x80); /* E flag: encrypted */
  protected_len = len;
  memcpy (copy, buf, len);

  g_assert_cmpint (hz_srtp_unprotect_rtcp (pair.b, buf, &len), ==, HZ_SRTP_OK);
  g_assert_cmpmem (buf, len, rtcp_fixture, sizeof (rtcp_fixture));

  copy_len = protected_len;
  g_assert_cmpint (hz_srtp_unprotect_rtcp (pair.b, copy, &copy_len), ==, HZ_SRTP_ERR_REPLAY);

  /* next packet, tampered */
  len = sizeof (rtcp_fixture);
  memcpy (buf, rtcp_fixture, len);
  g_assert_cmpint (hz_srtp_protect_rtcp (pair.a, buf, &len, sizeof (buf)), ==, HZ_SRTP_OK);
  buf[12] ^= 0x04;
  g_assert_cmpint (hz_srtp_unprotect_rtcp (pair.b, buf, &len), ==, HZ_SRTP_ERR_AUTH);
  pair_clear (&pair);
}

static void
test_rtp_aes_cm (void)
{
  check_rtp (HZ_SRTP_PROFILE_AES128_CM_SHA1_80);
  check_rtp_tampered (HZ_SRTP_PROFILE_AES128_CM_SHA1_80);
}

static void
test_rtp_gcm (void)
{
  check_rtp (HZ_SRTP_PROFILE_AEAD_AES_128_GCM);
  check_rtp_tampered (HZ_SRTP_PROFILE_AEAD_AES_128_GCM);
}

static void
test_rtcp_aes_cm (void)
{
  check_rtcp (HZ_SRTP_PROFILE_AES128_CM_SHA1_80);
}

static void
test_rtcp_gcm (void)
{
  check_rtcp (HZ_SRTP_PROFILE_AEAD_AES_128_GCM);
}

/* A NACK resend of the same packet is protected again to the same bytes. */
static void
test_repeat_tx (void)
{
  Pair pair;
  guint8 first[sizeof (rtp_fixture) + HZ_SRTP_MAX_TRAILER];
  guint8 again[sizeof (first)];
  gsize first_len = sizeof (rtp_fixture), again_len = sizeof (rtp_fixture);

  pair_init (&pair, HZ_SRTP_PROFILE_AES128_CM_SHA1_80);
  memcpy (first, rtp_fixture, first_len);
  memcpy (again, rtp_fixture, again_len);
  g_assert_cmpint (hz_srtp_protect_rtp (pair.a, first, &first_len, sizeof (first)), ==, HZ_SRTP_OK);
  g_assert_cmpint (hz_srtp_protect_rtp (pair.a, again, &again_len, sizeof (again)), ==, HZ_SRTP_OK);
  g_assert_cmpmem (first, first_len, again, again_len);
  pair_clear (&pair);
}

/* Many SSRCs on one session (an SFU's outbound side) and packets arriving
 * out of order within the replay window. */
static void
test_many_ssrcs_reordered (void)
{
  Pair pair;
  guint8 pkts[4][sizeof (rtp_fixture) + HZ_SRTP_MAX_TRAILER];
  gsize lens[4];

  pair_init (&pair, HZ_SRTP_PROFILE_AEAD_AES_128_GCM);
  for (guint i = 0; i < 4; i++) {
    lens[i] = sizeof (rtp_fixture);
    memcpy (pkts[i], rtp_fixture, lens[i]);
    pkts[i][3] = (guint8) (0x34 + i / 2); /* seq 0x1234, 0x1234, 0x1235, 0x1235 */
    pkts[i][11] = (guint8) (0x44 + i % 2); /* SSRC ...44 or ...45 */
    g_assert_cmpint (hz_srtp_protect_rtp (pair.a, pkts[i], &lens[i], sizeof (pkts[i])), ==, HZ_SRTP_OK);
  }
  for (gint i = 3; i >= 0; i--) {
    g_assert_cmpint (hz_srtp_unprotect_rtp (pair.b, pkts[i], &lens[i]), ==, HZ_SRTP_OK);
    g_assert_cmpuint (lens[i], ==, sizeof (rtp_fixture));
    g_assert_cmpuint (pkts[i][11], ==, 0x44 + i % 2);
    g_assert_cmpmem (pkts[i] + 12, lens[i] - 12, rtp_fixture + 12, sizeof (rtp_fixture) - 12);
  }
  pair_clear (&pair);
}

static void
test_bad_packets (void)
{
  Pair pair;
  guint8 buf[64 + HZ_SRTP_MAX_TRAILER] = { 0 };
  gsize len;

  pair_init (&pair, HZ_SRTP_PROFILE_AES128_CM_SHA1_80);

  /* shorter than an RTP header */
  len = 11;
  buf[0] = 0x80;
  g_assert_cmpint (hz_srtp_unprotect_rtp (pair.b, buf, &len), ==, HZ_SRTP_ERR_BAD_PACKET);
  g_assert_cmpint (hz_srtp_protect_rtp (pair.a, buf, &len, sizeof (buf)), ==, HZ_SRTP_ERR_BAD_PACKET);

  /* version 0 */
  len = 40;
  buf[0] = 0x00;
  g_assert_cmpint (hz_srtp_unprotect_rtp (pair.b, buf, &len), ==, HZ_SRTP_ERR_BAD_PACKET);
  g_assert_cmpint (hz_srtp_unprotect_rtcp (pair.b, buf, &len), ==, HZ_SRTP_ERR_BAD_PACKET);

  /* no room for the trailer */
  memcpy (buf, rtp_fixture, sizeof (rtp_fixture));
  len = sizeof (rtp_fixture);
  g_assert_cmpint (hz_srtp_protect_rtp (pair.a, buf, &len, sizeof (rtp_fixture) + 10), ==,
                   HZ_SRTP_ERR_BAD_PACKET);
  g_assert_cmpuint (len, ==, sizeof (rtp_fixture));

  /* CSRC count claims 15 CSRCs that are not there */
  memcpy (buf, rtp_fixture, sizeof (rtp_fixture));
  buf[0] = 0x8F;
  len = sizeof (rtp_fixture) + 10;
  g_assert_cmpint (hz_srtp_unprotect_rtp (pair.b, buf, &len), !=, HZ_SRTP_OK);

  /* SRTCP too short to hold the index and tag */
  memcpy (buf, rtcp_fixture, 8);
  len = 10;
  g_assert_cmpint (hz_srtp_unprotect_rtcp (pair.b, buf, &len), !=, HZ_SRTP_OK);
  pair_clear (&pair);
}

static void
test_bad_keys (void)
{
  HzSrtpKeys ka, kb;
  g_autoptr(GError) error = NULL;
  g_autoptr(HzSrtp) srtp = NULL;

  make_keys (HZ_SRTP_PROFILE_AEAD_AES_128_GCM, &ka, &kb);
  ka.salt_len = 14; /* GCM uses a 12-octet salt */
  srtp = hz_srtp_new (&ka, &error);
  g_assert_error (error, HZ_SRTP_ERROR, HZ_SRTP_ERROR_INVALID_KEYS);
  g_assert_null (srtp);
  g_clear_error (&error);

  ka.profile = 2; /* SRTP_AES128_CM_SHA1_32: not supported */
  srtp = hz_srtp_new (&ka, &error);
  g_assert_error (error, HZ_SRTP_ERROR, HZ_SRTP_ERROR_INVALID_KEYS);
  g_assert_null (srtp);
}

static void
test_status_strings (void)
{
  g_assert_cmpstr (hz_srtp_status_to_string (HZ_SRTP_OK), ==, "ok");
  g_assert_cmpstr (hz_srtp_status_to_string (HZ_SRTP_ERR_AUTH), ==, "authentication failed");
  g_assert_cmpstr (hz_srtp_profile_to_string (HZ_SRTP_PROFILE_AEAD_AES_128_GCM), ==,
                   "SRTP_AEAD_AES_128_GCM");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/srtp/rtp/aes-cm", test_rtp_aes_cm);
  g_test_add_func ("/srtp/rtp/gcm", test_rtp_gcm);
  g_test_add_func ("/srtp/rtcp/aes-cm", test_rtcp_aes_cm);
  g_test_add_func ("/srtp/rtcp/gcm", test_rtcp_gcm);
  g_test_add_func ("/srtp/rtp/repeat-tx", test_repeat_tx);
  g_test_add_func ("/srtp/rtp/many-ssrcs-reordered", test_many_ssrcs_reordered);
  g_test_add_func ("/srtp/bad-packets", test_bad_packets);
  g_test_add_func ("/srtp/bad-keys", test_bad_keys);
  g_test_add_func ("/srtp/status-strings", test_status_strings);
  return g_test_run ();
}
