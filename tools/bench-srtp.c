/* bench-srtp: nanoseconds per SRTP protect and per unprotect of a
 * 1,200-octet RTP packet, side by side for both HzSrtp backends (OpenSSL EVP
 * and libsrtp2) and both profiles, and one loopback UDP sendto of the same
 * size: the floor of a forwarded packet (DESIGN.md, "The hot path") is one
 * protect + one send. Prints figures only; run on an idle machine:
 *   build/tools/bench-srtp [iterations]
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hz-srtp.h"

#define PACKET_LEN 1200
#define BATCH 2048

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

typedef struct {
  guint8 data[PACKET_LEN + HZ_SRTP_MAX_TRAILER];
  gsize len;
} Packet;

/* Protects BATCH packets with consecutive sequence numbers into @batch,
 * timing only the protect calls (the copy of the template is not). Then
 * unprotects them, timed. Returns the two sums in microseconds. */
static void
run_batch (HzSrtp *tx, HzSrtp *rx, Packet *batch, const guint8 *template, guint16 *seq,
           gint64 *t_protect, gint64 *t_unprotect)
{
  gint64 t0;

  for (guint i = 0; i < BATCH; i++) {
    memcpy (batch[i].data, template, PACKET_LEN);
    batch[i].data[2] = (guint8) (*seq >> 8), batch[i].data[3] = (guint8) *seq;
    batch[i].len = PACKET_LEN;
    (*seq)++;
  }
  t0 = g_get_monotonic_time ();
  for (guint i = 0; i < BATCH; i++) {
    if (hz_srtp_protect_rtp (tx, batch[i].data, &batch[i].len, sizeof (batch[i].data)) != HZ_SRTP_OK)
      g_error ("protect failed");
  }
  *t_protect += g_get_monotonic_time () - t0;
  t0 = g_get_monotonic_time ();
  for (guint i = 0; i < BATCH; i++) {
    HzSrtpStatus st = hz_srtp_unprotect_rtp (rx, batch[i].data, &batch[i].len);
    if (st != HZ_SRTP_OK)
      g_error ("unprotect failed: %s", hz_srtp_status_to_string (st));
  }
  *t_unprotect += g_get_monotonic_time () - t0;
}

static void
bench (HzSrtpProfile profile, HzSrtpBackend backend, guint iterations, Packet *batch,
       double *ns_protect, double *ns_unprotect)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HzSrtp) tx = NULL;
  g_autoptr(HzSrtp) rx = NULL;
  HzSrtpKeys ka, kb;
  guint8 template[PACKET_LEN];
  gint64 tp = 0, tu = 0;
  guint16 seq = 1;
  guint batches = MAX (iterations / BATCH, 1);

  make_keys (profile, &ka, &kb);
  tx = hz_srtp_new_with_backend (&ka, backend, &error);
  if (tx == NULL)
    g_error ("%s", error->message);
  rx = hz_srtp_new_with_backend (&kb, backend, &error);
  if (rx == NULL)
    g_error ("%s", error->message);
  make_packet (template, 0);

  run_batch (tx, rx, batch, template, &seq, &tp, &tu); /* warm-up */
  tp = tu = 0;
  for (guint b = 0; b < batches; b++)
    run_batch (tx, rx, batch, template, &seq, &tp, &tu);
  *ns_protect = 1000.0 * (double) tp / (batches * BATCH);
  *ns_unprotect = 1000.0 * (double) tu / (batches * BATCH);
}

/* One sendto of PACKET_LEN octets to a socket on 127.0.0.1, drained
 * between batches (not timed) so the receive buffer never fills. */
static double
bench_sendto (guint iterations)
{
  struct sockaddr_in addr;
  socklen_t addr_len = sizeof (addr);
  guint8 buf[PACKET_LEN];
  int rx, tx;
  gint64 t = 0;
  guint batches = MAX (iterations / 256, 1);

  memset (buf, 0x5a, sizeof (buf));
  memset (&addr, 0, sizeof (addr));
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  rx = socket (AF_INET, SOCK_DGRAM, 0);
  tx = socket (AF_INET, SOCK_DGRAM, 0);
  if (rx < 0 || tx < 0 || bind (rx, (struct sockaddr *) &addr, sizeof (addr)) != 0 ||
      getsockname (rx, (struct sockaddr *) &addr, &addr_len) != 0)
    g_error ("cannot set up loopback sockets");
  for (guint b = 0; b < batches; b++) {
    gint64 t0 = g_get_monotonic_time ();
    for (guint i = 0; i < 256; i++) {
      if (sendto (tx, buf, sizeof (buf), 0, (struct sockaddr *) &addr, sizeof (addr)) != (ssize_t) sizeof (buf))
        g_error ("sendto failed");
    }
    t += g_get_monotonic_time () - t0;
    while (recv (rx, buf, sizeof (buf), MSG_DONTWAIT) > 0)
      ;
  }
  close (rx);
  close (tx);
  return 1000.0 * (double) t / (batches * 256);
}

int
main (int argc, char **argv)
{
  guint iterations = argc > 1 ? (guint) strtoul (argv[1], NULL, 10) : 200000;
  HzSrtpProfile profiles[] = { HZ_SRTP_PROFILE_AES128_CM_SHA1_80, HZ_SRTP_PROFILE_AEAD_AES_128_GCM };
  g_autofree Packet *batch = g_new (Packet, BATCH);
  double send_ns;

  if (iterations == 0)
    iterations = 200000;
  g_print ("ns per %d-octet RTP packet, %u packets each\n", PACKET_LEN, iterations);
  g_print ("%-24s %10s %10s %12s %12s %9s\n", "profile", "evp prot", "evp unpr",
           "libsrtp prot", "libsrtp unpr", "speed-up");
  for (guint p = 0; p < G_N_ELEMENTS (profiles); p++) {
    double ep, eu, lp, lu;
    bench (profiles[p], HZ_SRTP_BACKEND_EVP, iterations, batch, &ep, &eu);
    bench (profiles[p], HZ_SRTP_BACKEND_LIBSRTP, iterations, batch, &lp, &lu);
    g_print ("%-24s %10.0f %10.0f %12.0f %12.0f %8.1fx\n", hz_srtp_profile_to_string (profiles[p]),
             ep, eu, lp, lu, lp / ep);
  }
  send_ns = bench_sendto (iterations);
  g_print ("%-24s %10.0f\n", "loopback sendto", send_ns);
  return 0;
}
