/* Unit tests for media/crypto/hz-srtp-evp: the RFC 3711 and RFC 7714 test
 * vectors, and differential tests against libsrtp2 (the reference backend
 * of HzSrtp): same bytes out of protect, same status out of every call. */
#include <string.h>

#include "hz-srtp-evp.h"
#include "hz-srtp.h"

#define BUF_LEN (1500 + HZ_SRTP_MAX_TRAILER)

static void
unhex (const char *hex, guint8 *out, gsize len)
{
  g_assert_cmpuint (strlen (hex), ==, 2 * len);
  for (gsize i = 0; i < len; i++)
    out[i] = (guint8) ((g_ascii_xdigit_value (hex[2 * i]) << 4) | g_ascii_xdigit_value (hex[2 * i + 1]));
}

/* RFC 3711 appendix B.3: key derivation from one master key and salt */
static void
test_rfc3711_b3 (void)
{
  guint8 key[16], salt[14], expect[94], out[94];
  g_autoptr(GError) error = NULL;

  unhex ("E1F97A0D3E018BE0D64FA32C06DE4139", key, 16);
  unhex ("0EC675AD498AFEEBB6960B3AABE6", salt, 14);

  unhex ("C61E7A93744F39EE10734AFE3FF7A087", expect, 16);
  g_assert_true (hz_srtp_evp_derive (key, salt, 14, HZ_SRTP_LABEL_RTP_CIPHER, out, 16, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (out, 16, expect, 16);

  unhex ("30CBBC08863D8C85D49DB34A9AE1", expect, 14);
  g_assert_true (hz_srtp_evp_derive (key, salt, 14, HZ_SRTP_LABEL_RTP_SALT, out, 14, &error));
  g_assert_cmpmem (out, 14, expect, 14);

  /* the RFC lists 94 octets of the authentication key stream */
  unhex ("CEBE321F6FF7716B6FD4AB49AF256A15" "6D38BAA48F0A0ACF3C34E2359E6CDBCE"
         "E049646C43D9327AD175578EF7227098" "6371C10C9A369AC2F94A8C5FBCDDDC25"
         "6D6E919A48B610EF17C2041E47403576" "6B68642C59BBFC2F34DB60DBDFB2", expect, 94);
  g_assert_true (hz_srtp_evp_derive (key, salt, 14, HZ_SRTP_LABEL_RTP_AUTH, out, 94, &error));
  g_assert_cmpmem (out, 94, expect, 94);
}

/* RFC 3711 appendix B.2: the AES-CM keystream at counter
 * F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000 (label 0 leaves the salt as it is). */
static void
test_rfc3711_b2 (void)
{
  guint8 key[16], salt[14], expect[16];
  gsize len = 0xFF02 * 16;
  g_autofree guint8 *ks = g_malloc (len);
  struct {
    guint block;
    const char *hex;
  } blocks[] = {
    { 0x0000, "E03EAD0935C95E80E166B16DD92B4EB4" },
    { 0x0001, "D23513162B02D0F72A43A2FE4A5F97AB" },
    { 0x0002, "41E95B3BB0A2E8DD477901E4FCA894C0" },
    { 0xFEFF, "EC8CDF7398607CB0F2D21675EA9EA1E4" },
    { 0xFF00, "362B7C3C6773516318A077D7FC5073AE" },
    { 0xFF01, "6A2CC3787889374FBEB4C81B17BA6C44" },
  };

  unhex ("2B7E151628AED2A6ABF7158809CF4F3C", key, 16);
  unhex ("F0F1F2F3F4F5F6F7F8F9FAFBFCFD", salt, 14);
  g_assert_true (hz_srtp_evp_derive (key, salt, 14, HZ_SRTP_LABEL_RTP_CIPHER, ks, len, NULL));
  for (guint i = 0; i < G_N_ELEMENTS (blocks); i++) {
    unhex (blocks[i].hex, expect, 16);
    g_assert_cmpmem (ks + 16 * blocks[i].block, 16, expect, 16);
  }
}

/* RFC 7714 §16.1.1/16.1.2: AEAD_AES_128_GCM over one RTP packet, SSRC
 * 0x5501a0b2, SEQ 0xf17b, ROC 0, with the session key and salt given. */
static void
test_rfc7714_gcm (void)
{
  guint8 key[16], salt[12], plain[50], expect[66], buf[BUF_LEN];
  gsize len = sizeof (plain);
  g_autoptr(GError) error = NULL;
  g_autoptr(HzSrtpEvp) evp = NULL;

  unhex ("000102030405060708090a0b0c0d0e0f", key, 16);
  unhex ("517569642070726f2071756f", salt, 12);
  unhex ("8040f17b8041f8d35501a0b2" /* V=2 PT 64, SEQ f17b, TS, SSRC */
         "47616c6c696120657374206f6d6e69732064697669736120696e207061727465732074726573",
         plain, sizeof (plain)); /* "Gallia est omnis divisa in partes tres" */
  unhex ("8040f17b8041f8d35501a0b2"
         "f24de3a3fb34de6cacba861c9d7e4bcabe633bd50d294e6f42a5f47a51c7d19b36de"
         "3adf8833899d7f27beb16a9152cf765ee4390cce", expect, sizeof (expect));

  evp = hz_srtp_evp_new_with_session_keys (HZ_SRTP_PROFILE_AEAD_AES_128_GCM, key, salt, NULL, &error);
  g_assert_no_error (error);
  memcpy (buf, plain, len);
  g_assert_cmpint (hz_srtp_evp_protect_rtp (evp, buf, &len), ==, HZ_SRTP_OK);
  g_assert_cmpmem (buf, len, expect, sizeof (expect));

  g_assert_cmpint (hz_srtp_evp_unprotect_rtp (evp, buf, &len), ==, HZ_SRTP_OK);
  g_assert_cmpmem (buf, len, plain, sizeof (plain));

  /* one flipped tag bit */
  memcpy (buf, expect, sizeof (expect));
  buf[sizeof (expect) - 1] ^= 1;
  buf[3] = 0x7c; /* and the next SEQ, so it is not refused as a replay */
  len = sizeof (expect);
  g_assert_cmpint (hz_srtp_evp_unprotect_rtp (evp, buf, &len), ==, HZ_SRTP_ERR_AUTH);
}

/* ---- differential tests against libsrtp2 ---- */

typedef struct {
  HzSrtpProfile profile;
  HzSrtp *tx[2]; /* [0] EVP, [1] libsrtp2; keyed alike */
  HzSrtp *rx[2]; /* receivers of what tx sends */
  HzSrtp *cross[2]; /* cross[0] (EVP) gets libsrtp2's packets and the other way round */
  guint n_ok, n_replay, n_auth, n_other;
} Diff;

static void
random_keys (HzSrtpProfile profile, HzSrtpKeys *a, HzSrtpKeys *b)
{
  memset (a, 0, sizeof (*a));
  a->profile = profile;
  g_assert_true (hz_srtp_profile_get_lengths (profile, &a->key_len, &a->salt_len));
  for (guint i = 0; i < HZ_SRTP_MAX_KEY_LEN; i++) {
    a->local_key[i] = (guint8) g_test_rand_int ();
    a->remote_key[i] = (guint8) g_test_rand_int ();
  }
  for (guint i = 0; i < HZ_SRTP_MAX_SALT_LEN; i++) {
    a->local_salt[i] = (guint8) g_test_rand_int ();
    a->remote_salt[i] = (guint8) g_test_rand_int ();
  }
  *b = *a;
  memcpy (b->local_key, a->remote_key, sizeof (a->remote_key));
  memcpy (b->local_salt, a->remote_salt, sizeof (a->remote_salt));
  memcpy (b->remote_key, a->local_key, sizeof (a->local_key));
  memcpy (b->remote_salt, a->local_salt, sizeof (a->local_salt));
}

static void
diff_init (Diff *d, HzSrtpProfile profile)
{
  HzSrtpKeys ka, kb;
  g_autoptr(GError) error = NULL;

  memset (d, 0, sizeof (*d));
  d->profile = profile;
  random_keys (profile, &ka, &kb);
  for (guint i = 0; i < 2; i++) {
    HzSrtpBackend be = i == 0 ? HZ_SRTP_BACKEND_EVP : HZ_SRTP_BACKEND_LIBSRTP;
    d->tx[i] = hz_srtp_new_with_backend (&ka, be, &error);
    g_assert_no_error (error);
    d->rx[i] = hz_srtp_new_with_backend (&kb, be, &error);
    g_assert_no_error (error);
    d->cross[i] = hz_srtp_new_with_backend (&kb, be, &error);
    g_assert_no_error (error);
    g_assert_cmpint (hz_srtp_get_backend (d->tx[i]), ==, be);
  }
}

static void
diff_clear (Diff *d)
{
  for (guint i = 0; i < 2; i++) {
    g_clear_pointer (&d->tx[i], hz_srtp_free);
    g_clear_pointer (&d->rx[i], hz_srtp_free);
    g_clear_pointer (&d->cross[i], hz_srtp_free);
  }
}

typedef HzSrtpStatus (*ProtectFunc) (HzSrtp *, guint8 *, gsize *, gsize);
typedef HzSrtpStatus (*UnprotectFunc) (HzSrtp *, guint8 *, gsize *);

/* Protects @plain on both senders: same status, same bytes. Returns the
 * status and the protected packet in @out. */
static HzSrtpStatus
diff_protect (Diff *d, gboolean rtcp, const guint8 *plain, gsize len, guint8 *out, gsize *out_len)
{
  ProtectFunc protect = rtcp ? hz_srtp_protect_rtcp : hz_srtp_protect_rtp;
  guint8 b[2][BUF_LEN];
  gsize n[2] = { len, len };
  HzSrtpStatus st[2];

  for (guint i = 0; i < 2; i++) {
    memcpy (b[i], plain, len);
    st[i] = protect (d->tx[i], b[i], &n[i], sizeof (b[i]));
  }
  g_assert_cmpint (st[0], ==, st[1]);
  if (st[0] == HZ_SRTP_OK) {
    g_assert_cmpmem (b[0], n[0], b[1], n[1]);
    memcpy (out, b[0], n[0]);
    *out_len = n[0];
  }
  return st[0];
}

/* Unprotects @pkt on both receivers and on both cross receivers: same
 * status everywhere, same plain bytes. */
static HzSrtpStatus
diff_unprotect (Diff *d, gboolean rtcp, const guint8 *pkt, gsize len)
{
  UnprotectFunc unprotect = rtcp ? hz_srtp_unprotect_rtcp : hz_srtp_unprotect_rtp;
  HzSrtp *who[4] = { d->rx[0], d->rx[1], d->cross[0], d->cross[1] };
  guint8 b[4][BUF_LEN];
  gsize n[4];
  HzSrtpStatus st[4];

  for (guint i = 0; i < 4; i++) {
    memcpy (b[i], pkt, len);
    n[i] = len;
    st[i] = unprotect (who[i], b[i], &n[i]);
    g_assert_cmpint (st[i], ==, st[0]);
    if (st[0] == HZ_SRTP_OK)
      g_assert_cmpmem (b[i], n[i], b[0], n[0]);
  }
  switch (st[0]) {
  case HZ_SRTP_OK:
    d->n_ok++;
    break;
  case HZ_SRTP_ERR_REPLAY:
    d->n_replay++;
    break;
  case HZ_SRTP_ERR_AUTH:
    d->n_auth++;
    break;
  default:
    d->n_other++;
    break;
  }
  return st[0];
}

/* An RTP packet: random CSRC count, header extension, padding, payload */
static gsize
make_rtp (guint8 *buf, guint32 ssrc, guint16 seq)
{
  guint cc = g_test_rand_int_range (0, 8) == 0 ? (guint) g_test_rand_int_range (1, 16) : 0;
  gboolean x = g_test_rand_int_range (0, 3) == 0;
  gboolean p = g_test_rand_int_range (0, 8) == 0;
  gsize payload = (gsize) g_test_rand_int_range (0, 1200);
  gsize n = 12;

  buf[0] = (guint8) (0x80 | (p ? 0x20 : 0) | (x ? 0x10 : 0) | cc);
  buf[1] = (guint8) g_test_rand_int_range (0, 256);
  buf[2] = (guint8) (seq >> 8), buf[3] = (guint8) seq;
  for (guint i = 4; i < 8; i++)
    buf[i] = (guint8) g_test_rand_int ();
  buf[8] = (guint8) (ssrc >> 24), buf[9] = (guint8) (ssrc >> 16);
  buf[10] = (guint8) (ssrc >> 8), buf[11] = (guint8) ssrc;
  for (guint i = 0; i < cc * 4; i++)
    buf[n++] = (guint8) g_test_rand_int ();
  if (x) {
    guint words = (guint) g_test_rand_int_range (0, 6);
    buf[n++] = 0xBE, buf[n++] = 0xDE; /* RFC 8285 one-byte profile */
    buf[n++] = 0, buf[n++] = (guint8) words;
    for (guint i = 0; i < words * 4; i++)
      buf[n++] = (guint8) g_test_rand_int ();
  }
  for (gsize i = 0; i < payload; i++)
    buf[n++] = (guint8) g_test_rand_int ();
  if (p) {
    guint pad = (guint) g_test_rand_int_range (1, 8);
    for (guint i = 1; i < pad; i++)
      buf[n++] = 0;
    buf[n++] = (guint8) pad;
  }
  return n;
}

typedef struct {
  guint8 data[BUF_LEN];
  gsize len;
} Sent;

/* Sender-side sequence numbers of one SSRC: mostly +1, some jumps, some
 * resends of an earlier number, and starts close to the wrap. */
static guint16
next_seq (guint16 seq)
{
  gint r = g_test_rand_int_range (0, 100);

  if (r < 80)
    return (guint16) (seq + 1);
  if (r < 88)
    return (guint16) (seq + g_test_rand_int_range (2, 200));
  if (r < 93)
    return (guint16) (seq - g_test_rand_int_range (0, 40)); /* resend */
  if (r < 96)
    return (guint16) (seq + g_test_rand_int_range (1000, 33000)); /* big jump */
  if (r < 98)
    return (guint16) (seq - g_test_rand_int_range (900, 1200)); /* too old */
  return (guint16) (seq + 32768 + g_test_rand_int_range (0, 3));
}

static void
check_rtp_differential (HzSrtpProfile profile)
{
  Diff d;
  guint32 ssrcs[12];
  guint16 seqs[12];
  g_autofree Sent *sent = g_new0 (Sent, 6000);
  guint n_sent = 0;
  guint8 plain[BUF_LEN];

  diff_init (&d, profile);
  for (guint i = 0; i < G_N_ELEMENTS (ssrcs); i++) {
    ssrcs[i] = g_test_rand_int ();
    /* half of them start just below the wrap: the ROC moves at once */
    seqs[i] = i % 2 ? (guint16) (65535 - g_test_rand_int_range (0, 50)) : (guint16) g_test_rand_int ();
  }
  for (guint k = 0; k < 6000; k++) {
    guint s = (guint) g_test_rand_int_range (0, G_N_ELEMENTS (ssrcs));
    gsize len = make_rtp (plain, ssrcs[s], seqs[s]);
    seqs[s] = next_seq (seqs[s]);
    if (diff_protect (&d, FALSE, plain, len, sent[n_sent].data, &sent[n_sent].len) == HZ_SRTP_OK)
      n_sent++;
  }
  g_assert_cmpuint (n_sent, >, 3000);

  /* the receivers get them shuffled locally, some twice, some tampered */
  for (guint k = 0; k < n_sent; k++) {
    guint j = k + (guint) g_test_rand_int_range (0, 20);
    HzSrtpStatus first;
    gint r = g_test_rand_int_range (0, 100);
    if (j < n_sent) {
      Sent tmp = sent[k];
      sent[k] = sent[j];
      sent[j] = tmp;
    }
    if (r < 5) {
      guint8 bad[BUF_LEN];
      memcpy (bad, sent[k].data, sent[k].len);
      bad[g_test_rand_int_range (0, (gint) sent[k].len)] ^= (guint8) (1 << g_test_rand_int_range (0, 8));
      diff_unprotect (&d, FALSE, bad, sent[k].len);
    } else if (r < 7) {
      /* truncated */
      diff_unprotect (&d, FALSE, sent[k].data, (gsize) g_test_rand_int_range (12, (gint) sent[k].len));
    }
    first = diff_unprotect (&d, FALSE, sent[k].data, sent[k].len);
    /* a duplicate of a packet that went through is a replay */
    if (r >= 95 && first == HZ_SRTP_OK)
      g_assert_cmpint (diff_unprotect (&d, FALSE, sent[k].data, sent[k].len), ==, HZ_SRTP_ERR_REPLAY);
  }
  /* every kind of outcome was seen, so the comparisons covered them */
  g_assert_cmpuint (d.n_ok, >, 2500);
  g_assert_cmpuint (d.n_replay, >, 100);
  g_assert_cmpuint (d.n_auth, >, 100);
  g_test_message ("rtp %s: %u ok, %u replay, %u auth, %u other", hz_srtp_profile_to_string (profile),
                  d.n_ok, d.n_replay, d.n_auth, d.n_other);
  diff_clear (&d);
}

static void
test_rtp_differential_aes_cm (void)
{
  check_rtp_differential (HZ_SRTP_PROFILE_AES128_CM_SHA1_80);
}

static void
test_rtp_differential_gcm (void)
{
  check_rtp_differential (HZ_SRTP_PROFILE_AEAD_AES_128_GCM);
}

/* An RTCP compound: SR-ish header with the SSRC, then random words */
static gsize
make_rtcp (guint8 *buf, guint32 ssrc)
{
  guint words = (guint) g_test_rand_int_range (1, 60);
  gsize n = 0;

  buf[n++] = 0x80, buf[n++] = 200; /* V=2, SR */
  buf[n++] = 0, buf[n++] = 6;
  buf[n++] = (guint8) (ssrc >> 24), buf[n++] = (guint8) (ssrc >> 16);
  buf[n++] = (guint8) (ssrc >> 8), buf[n++] = (guint8) ssrc;
  for (guint i = 0; i < words * 4; i++)
    buf[n++] = (guint8) g_test_rand_int ();
  return n;
}

static void
check_rtcp_differential (HzSrtpProfile profile)
{
  Diff d;
  guint32 ssrcs[5];
  g_autofree Sent *sent = g_new0 (Sent, 1500);
  guint8 plain[BUF_LEN];
  guint n_sent = 0;

  diff_init (&d, profile);
  for (guint i = 0; i < G_N_ELEMENTS (ssrcs); i++)
    ssrcs[i] = g_test_rand_int ();
  for (guint k = 0; k < 1500; k++) {
    gsize len = make_rtcp (plain, ssrcs[g_test_rand_int_range (0, G_N_ELEMENTS (ssrcs))]);
    g_assert_cmpint (diff_protect (&d, TRUE, plain, len, sent[n_sent].data, &sent[n_sent].len), ==, HZ_SRTP_OK);
    n_sent++;
  }
  for (guint k = 0; k < n_sent; k++) {
    /* reordered by up to 300, beyond the 128-index SRTCP window */
    guint j = k + (guint) g_test_rand_int_range (0, 300);
    HzSrtpStatus first;
    gint r = g_test_rand_int_range (0, 100);
    guint8 bad[BUF_LEN];
    gsize len;

    if (j < n_sent) {
      Sent tmp = sent[k];
      sent[k] = sent[j];
      sent[j] = tmp;
    }
    len = sent[k].len;
    memcpy (bad, sent[k].data, len);
    if (r < 5) {
      bad[g_test_rand_int_range (0, (gint) len)] ^= (guint8) (1 << g_test_rand_int_range (0, 8));
      diff_unprotect (&d, TRUE, bad, len);
    } else if (r < 8) {
      /* E-bit cleared: an unencrypted SRTCP packet */
      gsize e = profile == HZ_SRTP_PROFILE_AEAD_AES_128_GCM ? len - 4 : len - 14;
      bad[e] &= 0x7f;
      diff_unprotect (&d, TRUE, bad, len);
    } else if (r < 10) {
      diff_unprotect (&d, TRUE, bad, (gsize) g_test_rand_int_range (12, (gint) len));
    }
    first = diff_unprotect (&d, TRUE, sent[k].data, len);
    /* a duplicate of a packet that went through is a replay */
    if (r >= 95 && first == HZ_SRTP_OK)
      g_assert_cmpint (diff_unprotect (&d, TRUE, sent[k].data, len), ==, HZ_SRTP_ERR_REPLAY);
  }
  g_assert_cmpuint (d.n_ok, >, 1000);
  g_assert_cmpuint (d.n_replay, >, 50);
  g_assert_cmpuint (d.n_auth, >, 50);
  g_test_message ("rtcp %s: %u ok, %u replay, %u auth, %u other", hz_srtp_profile_to_string (profile),
                  d.n_ok, d.n_replay, d.n_auth, d.n_other);
  diff_clear (&d);
}

static void
test_rtcp_differential_aes_cm (void)
{
  check_rtcp_differential (HZ_SRTP_PROFILE_AES128_CM_SHA1_80);
}

static void
test_rtcp_differential_gcm (void)
{
  check_rtcp_differential (HZ_SRTP_PROFILE_AEAD_AES_128_GCM);
}

/* Random octets handed to every unprotect path and short or odd headers to
 * every protect path: both backends answer the same. */
static void
check_garbage (HzSrtpProfile profile)
{
  Diff d;
  guint8 pkt[BUF_LEN], out[BUF_LEN];
  gsize out_len;

  diff_init (&d, profile);
  for (guint k = 0; k < 20000; k++) {
    gsize len = (gsize) g_test_rand_int_range (0, 80);
    gboolean rtcp = k % 2;
    for (gsize i = 0; i < len; i++)
      pkt[i] = (guint8) g_test_rand_int ();
    if (len > 0)
      pkt[0] = (guint8) ((pkt[0] & 0x3f) | 0x80);
    diff_unprotect (&d, rtcp, pkt, len);
    diff_protect (&d, rtcp, pkt, len, out, &out_len);
  }
  diff_clear (&d);
}

static void
test_garbage_aes_cm (void)
{
  check_garbage (HZ_SRTP_PROFILE_AES128_CM_SHA1_80);
}

static void
test_garbage_gcm (void)
{
  check_garbage (HZ_SRTP_PROFILE_AEAD_AES_128_GCM);
}

/* The 1024-packet window and the wrap, spelled out on the EVP backend:
 * what a user sees when NACK resends arrive late. */
static void
test_window_and_wrap (void)
{
  Diff d;
  g_autofree Sent *sent = g_new0 (Sent, 1100);
  guint8 plain[BUF_LEN];

  diff_init (&d, HZ_SRTP_PROFILE_AES128_CM_SHA1_80);
  for (guint k = 0; k < 1100; k++) {
    gsize len;
    /* 65000 .. 65535, 0 .. 563: one wrap, ROC 0 -> 1 */
    memset (plain, 0, sizeof (plain));
    plain[0] = 0x80;
    plain[2] = (guint8) ((65000 + k) >> 8 & 0xff), plain[3] = (guint8) (65000 + k);
    plain[11] = 7;
    len = 100;
    g_assert_cmpint (diff_protect (&d, FALSE, plain, len, sent[k].data, &sent[k].len), ==, HZ_SRTP_OK);
  }
  /* the first one (SEQ 65000, ROC 0), then one after the wrap: the
   * receiver has to guess ROC 1 */
  g_assert_cmpint (diff_unprotect (&d, FALSE, sent[0].data, sent[0].len), ==, HZ_SRTP_OK);
  g_assert_cmpint (diff_unprotect (&d, FALSE, sent[1099].data, sent[1099].len), ==, HZ_SRTP_OK);
  /* 1023 behind the highest is still in the window, 1024 is not */
  g_assert_cmpint (diff_unprotect (&d, FALSE, sent[1099 - 1023].data, sent[76].len), ==, HZ_SRTP_OK);
  g_assert_cmpint (diff_unprotect (&d, FALSE, sent[1099 - 1024].data, sent[75].len), ==, HZ_SRTP_ERR_REPLAY);
  /* across the wrap backwards: ROC 0 */
  g_assert_cmpint (diff_unprotect (&d, FALSE, sent[500].data, sent[500].len), ==, HZ_SRTP_OK);
  g_assert_cmpint (diff_unprotect (&d, FALSE, sent[500].data, sent[500].len), ==, HZ_SRTP_ERR_REPLAY);
  diff_clear (&d);
}

static void
test_backend_choice (void)
{
  HzSrtpKeys ka, kb;
  g_autoptr(HzSrtp) a = NULL;
  g_autoptr(HzSrtp) b = NULL;

  random_keys (HZ_SRTP_PROFILE_AES128_CM_SHA1_80, &ka, &kb);
  g_unsetenv ("HUIZHEN_SRTP_BACKEND");
  a = hz_srtp_new (&ka, NULL);
  g_assert_cmpint (hz_srtp_get_backend (a), ==, HZ_SRTP_BACKEND_EVP);
  g_setenv ("HUIZHEN_SRTP_BACKEND", "libsrtp", TRUE);
  b = hz_srtp_new (&ka, NULL);
  g_assert_cmpint (hz_srtp_get_backend (b), ==, HZ_SRTP_BACKEND_LIBSRTP);
  g_unsetenv ("HUIZHEN_SRTP_BACKEND");
  g_assert_cmpstr (hz_srtp_backend_to_string (HZ_SRTP_BACKEND_EVP), ==, "evp");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/srtp-evp/rfc3711/b2-aes-cm", test_rfc3711_b2);
  g_test_add_func ("/srtp-evp/rfc3711/b3-key-derivation", test_rfc3711_b3);
  g_test_add_func ("/srtp-evp/rfc7714/gcm", test_rfc7714_gcm);
  g_test_add_func ("/srtp-evp/diff/rtp/aes-cm", test_rtp_differential_aes_cm);
  g_test_add_func ("/srtp-evp/diff/rtp/gcm", test_rtp_differential_gcm);
  g_test_add_func ("/srtp-evp/diff/rtcp/aes-cm", test_rtcp_differential_aes_cm);
  g_test_add_func ("/srtp-evp/diff/rtcp/gcm", test_rtcp_differential_gcm);
  g_test_add_func ("/srtp-evp/diff/garbage/aes-cm", test_garbage_aes_cm);
  g_test_add_func ("/srtp-evp/diff/garbage/gcm", test_garbage_gcm);
  g_test_add_func ("/srtp-evp/diff/window-and-wrap", test_window_and_wrap);
  g_test_add_func ("/srtp-evp/backend-choice", test_backend_choice);
  return g_test_run ();
}
