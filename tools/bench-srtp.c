/* bench-srtp: nanoseconds per SRTP protect (and protect+unprotect) of a
 * 1,200-octet RTP packet through libsrtp2 (hz-srtp), for each profile.
 * Prints figures only; run on an idle machine:
 *   build/tools/bench-srtp [iterations]
 */
#include <stdlib.h>
#include <string.h>

#include "hz-srtp.h"

#define PACKET_LEN 1200

static void
make_keys (HzSrtpProfile profile, HzSrtpKeys *a, HzSrtpKeys *b)
{
  memset (a, 0, sizeof (*a));
  a->profile = profile;
  hz_srtp_profile_get_lengths (profile, &a->key_len, &a->salt_len);
  for (guint i = 0; i < HZ_SRTP_MAX_KEY_LEN; i++) {
    a->local_key[i] = (guint8) (3 * i + 1);
    a->remote_key[i] = (guint8) (5 * i + 2);
  }
  for (guint i = 0; i < HZ_SRTP_MAX_SALT_LEN; i++) {
    a->local_salt[i] = (guint8) (7 * i + 3);
    a->remote_salt[i] = (guint8) (11 * i + 4);
  }
  *b = *a;
  memcpy (b->local_key, a->remote_key, sizeof (a->remote_key));
  memcpy (b->local_salt, a->remote_salt, sizeof (a->remote_salt));
  memcpy (b->remote_key, a->local_key, sizeof (a->local_key));
  memcpy (b->remote_salt, a->local_salt, sizeof (a->local_salt));
}

/* RTP header: V=2, PT 96, seq @seq, ts, SSRC 0x01020304; payload bytes. */
static void
make_packet (guint8 *buf, guint16 seq)
{
  buf[0] = 0x80;
  buf[1] = 96;
  buf[2] = (guint8) (seq >> 8);
  buf[3] = (guint8) seq;
  buf[4] = buf[5] = buf[6] = 0;
  buf[7] = (guint8) seq;
  buf[8] = 1, buf[9] = 2, buf[10] = 3, buf[11] = 4;
  for (guint i = 12; i < PACKET_LEN; i++)
    buf[i] = (guint8) i;
}

/* Each iteration restores the packet from a template (protect works in
 * place) and advances the sequence number (a repeated one would be refused
 * as a replay). That copy is timed on its own and subtracted. */
static void
bench (HzSrtpProfile profile, guint iterations)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HzSrtp) tx = NULL;
  g_autoptr(HzSrtp) rx = NULL;
  HzSrtpKeys ka, kb;
  guint8 template[PACKET_LEN];
  guint8 buf[PACKET_LEN + HZ_SRTP_MAX_TRAILER];
  gint64 t0, t_copy, t_protect, t_pair;
  gsize len;
  guint16 seq = 1;

  make_keys (profile, &ka, &kb);
  tx = hz_srtp_new (&ka, &error);
  if (tx == NULL)
    g_error ("%s", error->message);
  rx = hz_srtp_new (&kb, &error);
  if (rx == NULL)
    g_error ("%s", error->message);
  make_packet (template, 0);

  /* baseline: what the loops below do besides the crypto */
  t0 = g_get_monotonic_time ();
  for (guint i = 0; i < iterations; i++) {
    memcpy (buf, template, PACKET_LEN);
    buf[2] = (guint8) (seq >> 8), buf[3] = (guint8) seq, seq++;
    __asm__ __volatile__ ("" : : "r" (buf) : "memory");
  }
  t_copy = g_get_monotonic_time () - t0;

  /* warm-up and protect */
  for (guint i = 0; i < 1000; i++) {
    memcpy (buf, template, PACKET_LEN);
    buf[2] = (guint8) (seq >> 8), buf[3] = (guint8) seq, seq++;
    len = PACKET_LEN;
    hz_srtp_protect_rtp (tx, buf, &len, sizeof (buf));
  }
  t0 = g_get_monotonic_time ();
  for (guint i = 0; i < iterations; i++) {
    memcpy (buf, template, PACKET_LEN);
    buf[2] = (guint8) (seq >> 8), buf[3] = (guint8) seq, seq++;
    len = PACKET_LEN;
    if (hz_srtp_protect_rtp (tx, buf, &len, sizeof (buf)) != HZ_SRTP_OK)
      g_error ("protect failed");
  }
  t_protect = g_get_monotonic_time () - t0;

  /* protect then unprotect (the forwarding path's two crypto steps), on a
   * fresh pair so the receiver's rollover counter starts where the
   * sender's does */
  g_clear_pointer (&tx, hz_srtp_free);
  tx = hz_srtp_new (&ka, &error);
  if (tx == NULL)
    g_error ("%s", error->message);
  seq = 1;
  t0 = g_get_monotonic_time ();
  for (guint i = 0; i < iterations; i++) {
    HzSrtpStatus st;
    memcpy (buf, template, PACKET_LEN);
    buf[2] = (guint8) (seq >> 8), buf[3] = (guint8) seq, seq++;
    len = PACKET_LEN;
    if (hz_srtp_protect_rtp (tx, buf, &len, sizeof (buf)) != HZ_SRTP_OK)
      g_error ("protect failed");
    st = hz_srtp_unprotect_rtp (rx, buf, &len);
    if (st != HZ_SRTP_OK)
      g_error ("unprotect failed: %s", hz_srtp_status_to_string (st));
  }
  t_pair = g_get_monotonic_time () - t0;

  g_print ("%-24s protect %7.0f ns   protect+unprotect %7.0f ns   (copy %4.0f ns subtracted, %u packets of %d octets)\n",
           hz_srtp_profile_to_string (profile),
           1000.0 * (double) (t_protect - t_copy) / iterations,
           1000.0 * (double) (t_pair - t_copy) / iterations,
           1000.0 * (double) t_copy / iterations, iterations, PACKET_LEN);
}

int
main (int argc, char **argv)
{
  guint iterations = argc > 1 ? (guint) strtoul (argv[1], NULL, 10) : 200000;

  if (iterations == 0)
    iterations = 200000;
  bench (HZ_SRTP_PROFILE_AES128_CM_SHA1_80, iterations);
  bench (HZ_SRTP_PROFILE_AEAD_AES_128_GCM, iterations);
  return 0;
}
