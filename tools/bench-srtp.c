/* bench-srtp: nanoseconds per SRTP protect and per unprotect of a
 * 1,200-octet RTP packet, side by side for both HzSrtp backends (OpenSSL EVP
 * and libsrtp2) and both profiles, and one loopback UDP sendto of the same
 * size: the floor of a forwarded packet (DESIGN.md, "The hot path") is one
 * protect + one send. Then the paced fan-out floor: the same EVP protect
 * (AES_CM_128_HMAC_SHA1_80) + one sendto per packet, but from one UDP socket
 * per receiver to N receiver sockets that another process drains through
 * epoll, in bursts of N packets paced at RATE packets/s per receiver (what the
 * server's fan-out does, wake-ups and loopback delivery included), as sender
 * CPU (getrusage) per packet; and, for reference only, the same rounds sent
 * with one sendmmsg from one socket. Prints figures only; run on an idle
 * machine:
 *   build/tools/bench-srtp [iterations] [--subs N] [--rate PPS] [--seconds S]
 */
#define _GNU_SOURCE /* sendmmsg */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
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

/* ---- paced fan-out floor ---------------------------------------------- */

#define PACED_MAX_SUBS 2000
#define PACED_MAX_SECONDS 30.0
#define PACED_MAX_RATE 10000.0

typedef struct {
  guint n;
  int *tx;                 /* one sender socket per receiver */
  struct sockaddr_in *to;  /* receiver i's address */
  HzSrtp **ctx;            /* one EVP AES_CM_128_HMAC_SHA1_80 context per receiver */
  Packet *pkts;            /* n slots (the sendmmsg variant keeps a whole round) */
  struct mmsghdr *mm;
  struct iovec *iov;
  guint8 template[PACKET_LEN];
  guint16 seq;
  volatile guint64 *received; /* shared with the reader process */
} Paced;

typedef struct {
  guint64 packets, rounds, late, errors;
  double user_us, sys_us;
} PacedResult;

static double
tv_us (const struct timeval *tv)
{
  return (double) tv->tv_sec * 1e6 + (double) tv->tv_usec;
}

static void
ts_add_ns (struct timespec *ts, guint64 ns)
{
  ts->tv_sec += (time_t) (ns / 1000000000u);
  ts->tv_nsec += (long) (ns % 1000000000u);
  if (ts->tv_nsec >= 1000000000L)
    ts->tv_sec++, ts->tv_nsec -= 1000000000L;
}

static gboolean
ts_before (const struct timespec *a, const struct timespec *b)
{
  return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

static int
loopback_socket (struct sockaddr_in *bound)
{
  struct sockaddr_in addr;
  socklen_t len = sizeof (addr);
  int fd = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

  memset (&addr, 0, sizeof (addr));
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  if (fd < 0 || bind (fd, (struct sockaddr *) &addr, sizeof (addr)) != 0 ||
      (bound != NULL && getsockname (fd, (struct sockaddr *) bound, &len) != 0))
    g_error ("cannot set up a loopback UDP socket: %s", g_strerror (errno));
  return fd;
}

/* The reader process: it only uses what the parent created before fork
 * (the epoll set over the receiver sockets and the shared counter) and
 * drains until the parent kills it or @deadline (monotonic µs) passes. */
static void G_GNUC_NORETURN
reader_main (int ep, volatile guint64 *received, gint64 deadline)
{
  struct epoll_event ev[256];
  guint8 buf[2048];

  prctl (PR_SET_PDEATHSIG, SIGKILL);
  while (g_get_monotonic_time () < deadline) {
    int k = epoll_wait (ep, ev, G_N_ELEMENTS (ev), 100);

    for (int j = 0; j < k; j++) {
      while (recv (ev[j].data.fd, buf, sizeof (buf), MSG_DONTWAIT) > 0)
        (*received)++;
    }
  }
  _exit (0);
}

/* Protects packet @i of the current round into @pkt with receiver i's context. */
static void
protect_one (Paced *p, guint i, Packet *pkt)
{
  memcpy (pkt->data, p->template, PACKET_LEN);
  pkt->data[2] = (guint8) (p->seq >> 8), pkt->data[3] = (guint8) p->seq;
  pkt->len = PACKET_LEN;
  if (hz_srtp_protect_rtp (p->ctx[i], pkt->data, &pkt->len, sizeof (pkt->data)) != HZ_SRTP_OK)
    g_error ("protect failed");
}

/* @rounds rounds at absolute times @interval_ns apart (stopping early at
 * @max_us of wall time); per round, for each receiver: protect, then either
 * sendto from its own socket, or (@mmsg) all of them in one sendmmsg from
 * socket 0. Sender CPU from getrusage (RUSAGE_SELF: the reader is another
 * process). */
static void
paced_run (Paced *p, gboolean mmsg, guint64 rounds, guint64 interval_ns, gint64 max_us,
           PacedResult *res)
{
  struct rusage r0, r1;
  struct timespec next, now;
  gint64 stop = g_get_monotonic_time () + max_us;

  memset (res, 0, sizeof (*res));
  clock_gettime (CLOCK_MONOTONIC, &next);
  getrusage (RUSAGE_SELF, &r0);
  for (guint64 r = 0; r < rounds && g_get_monotonic_time () < stop; r++) {
    for (guint i = 0; i < p->n; i++) {
      Packet *pkt = &p->pkts[mmsg ? i : 0];

      protect_one (p, i, pkt);
      if (mmsg) {
        p->iov[i].iov_len = pkt->len;
      } else {
        ssize_t w;

        do
          w = sendto (p->tx[i], pkt->data, pkt->len, 0, (struct sockaddr *) &p->to[i], sizeof (p->to[i]));
        while (w < 0 && errno == EINTR);
        if (w == (ssize_t) pkt->len)
          res->packets++;
        else
          res->errors++;
      }
    }
    for (guint off = 0; mmsg && off < p->n;) {
      int k = sendmmsg (p->tx[0], p->mm + off, p->n - off, 0);

      if (k < 0 && errno == EINTR)
        continue;
      if (k <= 0) {
        res->errors += p->n - off;
        break;
      }
      off += (guint) k;
      res->packets += (guint) k;
    }
    p->seq++;
    res->rounds++;
    ts_add_ns (&next, interval_ns);
    clock_gettime (CLOCK_MONOTONIC, &now);
    if (ts_before (&next, &now)) {
      res->late++; /* the round overran its slot: no sleep */
      continue;
    }
    while (clock_nanosleep (CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR)
      ;
  }
  getrusage (RUSAGE_SELF, &r1);
  res->user_us = tv_us (&r1.ru_utime) - tv_us (&r0.ru_utime);
  res->sys_us = tv_us (&r1.ru_stime) - tv_us (&r0.ru_stime);
}

static void
paced_print (const char *label, const PacedResult *res, guint64 received)
{
  double n = (double) MAX (res->packets, 1);

  g_print ("%-56s %10.0f  (user %.0f + sys %.0f; %" G_GUINT64_FORMAT " packets in %"
           G_GUINT64_FORMAT " rounds, %" G_GUINT64_FORMAT " late, %" G_GUINT64_FORMAT
           " send errors, %" G_GUINT64_FORMAT " received)\n",
           label, 1000.0 * (res->user_us + res->sys_us) / n, 1000.0 * res->user_us / n,
           1000.0 * res->sys_us / n, res->packets, res->rounds, res->late, res->errors, received);
}

/* Makes sure 2 * @subs + a few descriptors fit under RLIMIT_NOFILE. */
static void
ensure_fds (guint subs)
{
  struct rlimit rl;
  rlim_t need = 2 * (rlim_t) subs + 64;

  if (getrlimit (RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= need)
    return;
  rl.rlim_cur = MIN (need, rl.rlim_max);
  setrlimit (RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < need)
    g_error ("--subs %u needs %lu file descriptors; the hard limit is %lu", subs,
             (unsigned long) need, (unsigned long) rl.rlim_max);
}

static void
bench_paced (guint subs, double rate, double seconds)
{
  Paced p = { .n = subs, .seq = 1 };
  PacedResult res;
  HzSrtpKeys ka, kb;
  guint64 interval_ns = (guint64) (1e9 / rate);
  guint64 rounds = (guint64) (seconds * rate + 0.5), warm = MIN (rounds, (guint64) rate / 5 + 1);
  gint64 max_us = (gint64) (2 * seconds * 1e6), deadline;
  gint64 warm_max_us = (gint64) (2e6 * (double) warm / rate) + 500000;
  guint64 before;
  g_autofree int *rx = g_new (int, subs);
  int ep;
  pid_t child;
  g_autofree char *label = NULL;

  ensure_fds (subs);
  p.tx = g_new (int, subs);
  p.to = g_new0 (struct sockaddr_in, subs);
  p.ctx = g_new0 (HzSrtp *, subs);
  p.pkts = g_new (Packet, subs);
  p.mm = g_new0 (struct mmsghdr, subs);
  p.iov = g_new0 (struct iovec, subs);
  p.received = mmap (NULL, sizeof (guint64), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (p.received == MAP_FAILED)
    g_error ("mmap: %s", g_strerror (errno));
  *p.received = 0;

  /* Receivers and their epoll set, before fork: the reader creates nothing. */
  ep = epoll_create1 (EPOLL_CLOEXEC);
  if (ep < 0)
    g_error ("epoll_create1: %s", g_strerror (errno));
  for (guint i = 0; i < subs; i++) {
    struct epoll_event e = { .events = EPOLLIN };

    rx[i] = e.data.fd = loopback_socket (&p.to[i]);
    if (epoll_ctl (ep, EPOLL_CTL_ADD, rx[i], &e) != 0)
      g_error ("epoll_ctl: %s", g_strerror (errno));
  }
  /* The parent needs at most 2 * (warm_max_us + max_us) plus set-up. */
  deadline = g_get_monotonic_time () + 2 * (warm_max_us + max_us) + 10 * (gint64) 1e6;
  child = fork ();
  if (child < 0)
    g_error ("fork: %s", g_strerror (errno));
  if (child == 0)
    reader_main (ep, p.received, deadline);
  /* The receiver sockets live on in the reader; the parent drops its copies. */
  for (guint i = 0; i < subs; i++)
    close (rx[i]);
  close (ep);

  make_keys (HZ_SRTP_PROFILE_AES128_CM_SHA1_80, &ka, &kb);
  make_packet (p.template, 0);
  for (guint i = 0; i < subs; i++) {
    g_autoptr(GError) error = NULL;

    p.tx[i] = loopback_socket (NULL);
    ka.local_key[0] = (guint8) i; /* a context per connection, as in the server */
    p.ctx[i] = hz_srtp_new_with_backend (&ka, HZ_SRTP_BACKEND_EVP, &error);
    if (p.ctx[i] == NULL)
      g_error ("%s", error->message);
    p.iov[i].iov_base = p.pkts[i].data;
    p.mm[i].msg_hdr.msg_iov = &p.iov[i];
    p.mm[i].msg_hdr.msg_iovlen = 1;
    p.mm[i].msg_hdr.msg_name = &p.to[i];
    p.mm[i].msg_hdr.msg_namelen = sizeof (p.to[i]);
  }

  g_print ("paced fan-out: ns of sender CPU (getrusage user+sys) per packet, EVP %s protect + send, "
           "%u receivers x %.0f packets/s for %.1f s, drained by another process through epoll\n",
           hz_srtp_profile_to_string (HZ_SRTP_PROFILE_AES128_CM_SHA1_80), subs, rate, seconds);

  paced_run (&p, FALSE, warm, interval_ns, warm_max_us, &res); /* warm-up */
  g_usleep (20000);
  before = *p.received;
  paced_run (&p, FALSE, rounds, interval_ns, max_us, &res);
  g_usleep (50000);
  label = g_strdup_printf ("floor, paced fan-out (%u receivers, one socket each)", subs);
  paced_print (label, &res, *p.received - before);

  paced_run (&p, TRUE, warm, interval_ns, warm_max_us, &res); /* warm-up */
  g_usleep (20000);
  before = *p.received;
  paced_run (&p, TRUE, rounds, interval_ns, max_us, &res);
  g_usleep (50000);
  paced_print ("ref, one sendmmsg per round from one socket "
               "(what a shared-socket server could do; not the floor)", &res, *p.received - before);

  kill (child, SIGKILL);
  while (waitpid (child, NULL, 0) < 0 && errno == EINTR)
    ;
  for (guint i = 0; i < subs; i++) {
    close (p.tx[i]);
    hz_srtp_free (p.ctx[i]);
  }
  munmap ((void *) p.received, sizeof (guint64));
  g_free (p.tx);
  g_free (p.to);
  g_free (p.ctx);
  g_free (p.pkts);
  g_free (p.mm);
  g_free (p.iov);
}

int
main (int argc, char **argv)
{
  gint subs = 100;
  gdouble rate = 130, seconds = 3;
  GOptionEntry entries[] = {
    { "subs", 0, 0, G_OPTION_ARG_INT, &subs, "paced fan-out: receivers (1-2000, default 100)", "N" },
    { "rate", 0, 0, G_OPTION_ARG_DOUBLE, &rate, "paced fan-out: packets/s per receiver (default 130)", "PPS" },
    { "seconds", 0, 0, G_OPTION_ARG_DOUBLE, &seconds, "paced fan-out: measured seconds per variant (default 3, max 30)", "S" },
    { NULL }
  };
  g_autoptr(GOptionContext) options = g_option_context_new ("[ITERATIONS] - SRTP and send floors");
  g_autoptr(GError) error = NULL;
  guint iterations;
  HzSrtpProfile profiles[] = { HZ_SRTP_PROFILE_AES128_CM_SHA1_80, HZ_SRTP_PROFILE_AEAD_AES_128_GCM };
  g_autofree Packet *batch = g_new (Packet, BATCH);
  double send_ns;

  g_option_context_add_main_entries (options, entries, NULL);
  if (!g_option_context_parse (options, &argc, &argv, &error)) {
    g_printerr ("bench-srtp: %s\n", error->message);
    return 2;
  }
  if (subs < 1 || subs > PACED_MAX_SUBS || !(rate >= 1 && rate <= PACED_MAX_RATE) ||
      !(seconds > 0 && seconds <= PACED_MAX_SECONDS)) {
    g_printerr ("bench-srtp: need 1 <= --subs <= %d, 1 <= --rate <= %.0f, 0 < --seconds <= %.0f\n",
                PACED_MAX_SUBS, PACED_MAX_RATE, PACED_MAX_SECONDS);
    return 2;
  }
  iterations = argc > 1 ? (guint) strtoul (argv[1], NULL, 10) : 200000;
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
  bench_paced ((guint) subs, rate, seconds);
  return 0;
}
