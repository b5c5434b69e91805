/* fuzz-srtp.c: differential fuzzing of HzSrtp's two backends, OpenSSL EVP
 * (hz-srtp-evp.c) against libsrtp2 (the reference). One input is a session:
 *
 *   octet 0       profile (bit 0) and key choice (bits 1..7)
 *   then records  [op][len][len octets]:
 *     op % 5 == 0  unprotect the octets as SRTP on both receivers
 *     op % 5 == 1  unprotect them as SRTCP
 *     op % 5 == 2  protect them as RTP on both senders (version forced to 2)
 *     op % 5 == 3  protect them as RTCP
 *     op % 5 == 4  protect as RTP (op & 8: RTCP), flip the bit op >> 4 of
 *                  the result when op & 0x80, and unprotect on both receivers
 *
 * Every call must give the same status on both backends and, on success,
 * the same octets; any difference aborts. State carries over between the
 * records, so replay windows and rollover counters are compared too. */
#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hz-srtp.h"

#define BUF_LEN (2048 + HZ_SRTP_MAX_TRAILER)

typedef struct {
  HzSrtp *tx[2];
  HzSrtp *rx[2];
} Sessions;

static void
make_keys (HzSrtpProfile profile, guint8 seed, HzSrtpKeys *a, HzSrtpKeys *b)
{
  memset (a, 0, sizeof (*a));
  a->profile = profile;
  hz_srtp_profile_get_lengths (profile, &a->key_len, &a->salt_len);
  for (guint i = 0; i < HZ_SRTP_MAX_KEY_LEN; i++) {
    a->local_key[i] = (guint8) (seed * 31 + i);
    a->remote_key[i] = (guint8) (seed * 17 + 3 * i);
  }
  for (guint i = 0; i < HZ_SRTP_MAX_SALT_LEN; i++) {
    a->local_salt[i] = (guint8) (seed + 7 * i);
    a->remote_salt[i] = (guint8) (seed ^ (11 * i));
  }
  *b = *a;
  memcpy (b->local_key, a->remote_key, sizeof (a->remote_key));
  memcpy (b->local_salt, a->remote_salt, sizeof (a->remote_salt));
  memcpy (b->remote_key, a->local_key, sizeof (a->local_key));
  memcpy (b->remote_salt, a->local_salt, sizeof (a->local_salt));
}

static void
check (gboolean same, const char *what)
{
  if (!same) {
    g_printerr ("fuzz-srtp: backends differ: %s\n", what);
    abort ();
  }
}

static HzSrtpStatus
both_unprotect (Sessions *s, gboolean rtcp, const guint8 *pkt, gsize len)
{
  guint8 b[2][BUF_LEN];
  gsize n[2] = { len, len };
  HzSrtpStatus st[2];

  for (guint i = 0; i < 2; i++) {
    memcpy (b[i], pkt, len);
    st[i] = rtcp ? hz_srtp_unprotect_rtcp (s->rx[i], b[i], &n[i])
                 : hz_srtp_unprotect_rtp (s->rx[i], b[i], &n[i]);
  }
  check (st[0] == st[1], "unprotect status");
  if (st[0] == HZ_SRTP_OK)
    check (n[0] == n[1] && memcmp (b[0], b[1], n[0]) == 0, "unprotected octets");
  return st[0];
}

static HzSrtpStatus
both_protect (Sessions *s, gboolean rtcp, const guint8 *plain, gsize len, guint8 *out, gsize *out_len)
{
  guint8 b[2][BUF_LEN];
  gsize n[2] = { len, len };
  HzSrtpStatus st[2];

  for (guint i = 0; i < 2; i++) {
    memcpy (b[i], plain, len);
    if (len > 0)
      b[i][0] = (guint8) ((b[i][0] & 0x3f) | 0x80);
    st[i] = rtcp ? hz_srtp_protect_rtcp (s->tx[i], b[i], &n[i], sizeof (b[i]))
                 : hz_srtp_protect_rtp (s->tx[i], b[i], &n[i], sizeof (b[i]));
  }
  check (st[0] == st[1], "protect status");
  if (st[0] == HZ_SRTP_OK) {
    check (n[0] == n[1] && memcmp (b[0], b[1], n[0]) == 0, "protected octets");
    memcpy (out, b[0], n[0]);
    *out_len = n[0];
  }
  return st[0];
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  HzSrtpProfile profile;
  HzSrtpKeys ka, kb;
  Sessions s;
  gsize pos = 1;

  if (size < 1)
    return 0;
  profile = data[0] & 1 ? HZ_SRTP_PROFILE_AEAD_AES_128_GCM : HZ_SRTP_PROFILE_AES128_CM_SHA1_80;
  make_keys (profile, data[0] >> 1, &ka, &kb);
  for (guint i = 0; i < 2; i++) {
    HzSrtpBackend be = i == 0 ? HZ_SRTP_BACKEND_EVP : HZ_SRTP_BACKEND_LIBSRTP;
    s.tx[i] = hz_srtp_new_with_backend (&ka, be, NULL);
    s.rx[i] = hz_srtp_new_with_backend (&kb, be, NULL);
    if (s.tx[i] == NULL || s.rx[i] == NULL)
      abort ();
  }

  while (pos + 2 <= size) {
    guint8 op = data[pos];
    gsize len = MIN ((gsize) data[pos + 1] * 8 + (data[pos + 1] & 7), size - pos - 2);
    const guint8 *pkt = data + pos + 2;
    guint8 out[BUF_LEN];
    gsize out_len = 0;

    pos += 2 + len;
    switch (op % 5) {
    case 0:
    case 1:
      both_unprotect (&s, op % 5 == 1, pkt, len);
      break;
    case 2:
    case 3:
      both_protect (&s, op % 5 == 3, pkt, len, out, &out_len);
      break;
    default:
      if (both_protect (&s, (op & 8) != 0, pkt, len, out, &out_len) == HZ_SRTP_OK) {
        if ((op & 0x80) && out_len > 0) {
          guint bit = (guint) (op >> 4) & 7;
          out[(op * 7u) % out_len] ^= (guint8) (1u << bit);
        }
        both_unprotect (&s, (op & 8) != 0, out, out_len);
      }
      break;
    }
  }

  for (guint i = 0; i < 2; i++) {
    hz_srtp_free (s.tx[i]);
    hz_srtp_free (s.rx[i]);
  }
  return 0;
}
