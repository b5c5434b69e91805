/* hz-recv-stats: RFC 3550 receive statistics and report blocks (see
 * hz-recv-stats.h). The algorithms are the RFC's appendix A.1, A.3 and A.8
 * in integer arithmetic. */
#include "hz-recv-stats.h"

#define SEQ_MOD (1u << 16)

struct _HzRecvStats {
  guint32 ssrc;
  gboolean started;
  guint16 max_seq;        /* highest sequence number seen */
  guint32 cycles;         /* wrap-arounds, shifted left 16 */
  guint32 base_seq;       /* first sequence number of this (re)start */
  guint32 bad_seq;        /* a jump waiting for confirmation: seq + 1, or SEQ_MOD + 1 */
  guint32 received;       /* packets counted since the (re)start */
  guint32 expected_prior; /* at the previous report */
  guint32 received_prior;
  gboolean have_transit;
  guint32 transit;        /* arrival minus RTP timestamp, RTP units, of the last in-order packet */
  guint64 jitter_q4;      /* interarrival jitter × 16 */
  gboolean have_sr;
  guint32 lsr;            /* middle 32 bits of the last SR's NTP timestamp */
  gint64 sr_arrival_us;
};

HzRecvStats *
hz_recv_stats_new (guint32 ssrc)
{
  HzRecvStats *s = g_new0 (HzRecvStats, 1);
  s->ssrc = ssrc;
  s->bad_seq = SEQ_MOD + 1;
  return s;
}

void
hz_recv_stats_free (HzRecvStats *stats)
{
  g_free (stats);
}

guint32
hz_recv_stats_get_ssrc (const HzRecvStats *stats)
{
  g_return_val_if_fail (stats != NULL, 0);
  return stats->ssrc;
}

static void
init_seq (HzRecvStats *s, guint16 seq)
{
  s->started = TRUE;
  s->base_seq = seq;
  s->max_seq = seq;
  s->bad_seq = SEQ_MOD + 1;
  s->cycles = 0;
  s->received = 0;
  s->received_prior = 0;
  s->expected_prior = 0;
  s->have_transit = FALSE;
}

/* the arrival time in RTP units, modulo 2^32, without overflowing gint64 */
static guint32
arrival_rtp (gint64 arrival_us, guint32 clock_rate)
{
  guint64 us = (guint64) arrival_us;
  return (guint32) ((us / G_USEC_PER_SEC) * clock_rate +
                    (us % G_USEC_PER_SEC) * clock_rate / G_USEC_PER_SEC);
}

static void
update_jitter (HzRecvStats *s, guint32 rtp_ts, gint64 arrival_us, guint32 clock_rate)
{
  guint32 transit;
  gint64 d;

  if (clock_rate == 0)
    return;
  transit = arrival_rtp (arrival_us, clock_rate) - rtp_ts;
  if (s->have_transit) {
    d = (gint32) (transit - s->transit);
    if (d < 0)
      d = -d;
    /* J += (|D| - J) / 16, with J kept × 16 (A.8) */
    s->jitter_q4 = s->jitter_q4 + (guint64) d - ((s->jitter_q4 + 8) >> 4);
  }
  s->transit = transit;
  s->have_transit = TRUE;
}

gboolean
hz_recv_stats_update (HzRecvStats *s, guint16 seq, guint32 rtp_ts, gint64 arrival_us, guint32 clock_rate)
{
  guint16 udelta;

  g_return_val_if_fail (s != NULL, FALSE);

  if (!s->started) {
    init_seq (s, seq);
    s->received++;
    update_jitter (s, rtp_ts, arrival_us, clock_rate);
    return TRUE;
  }
  udelta = (guint16) (seq - s->max_seq);
  if (udelta != 0 && udelta < HZ_RECV_STATS_MAX_DROPOUT) {
    if (seq < s->max_seq)
      s->cycles += SEQ_MOD; /* wrapped */
    s->max_seq = seq;
    update_jitter (s, rtp_ts, arrival_us, clock_rate);
  } else if (udelta != 0 && udelta <= SEQ_MOD - HZ_RECV_STATS_MAX_MISORDER) {
    if (seq != s->bad_seq) {
      s->bad_seq = (seq + 1u) & (SEQ_MOD - 1);
      return FALSE; /* a large jump: wait for the next packet to confirm it */
    }
    /* two sequential packets after the jump: the source restarted */
    init_seq (s, seq);
    update_jitter (s, rtp_ts, arrival_us, clock_rate);
  }
  /* else: a duplicate or a late (reordered, retransmitted) packet */
  s->received++;
  return TRUE;
}

void
hz_recv_stats_on_sr (HzRecvStats *s, guint64 ntp, gint64 arrival_us)
{
  g_return_if_fail (s != NULL);
  s->have_sr = TRUE;
  s->lsr = (guint32) (ntp >> 16);
  s->sr_arrival_us = arrival_us;
}

gboolean
hz_recv_stats_fill_block (HzRecvStats *s, gint64 now_us, HzRtcpReportBlock *out)
{
  guint32 extended_max, expected, expected_interval, received_interval;
  gint64 lost, lost_interval;

  g_return_val_if_fail (s != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  if (!s->started)
    return FALSE;
  extended_max = s->cycles + s->max_seq;
  expected = extended_max - s->base_seq + 1;
  lost = (gint64) expected - (gint64) s->received;
  expected_interval = expected - s->expected_prior;
  received_interval = s->received - s->received_prior;
  lost_interval = (gint64) expected_interval - (gint64) received_interval;
  s->expected_prior = expected;
  s->received_prior = s->received;

  out->ssrc = s->ssrc;
  out->fraction_lost = (expected_interval == 0 || lost_interval <= 0)
                           ? 0
                           : (guint8) MIN (255, (lost_interval << 8) / expected_interval);
  out->cumulative_lost = (gint32) CLAMP (lost, -0x800000, 0x7fffff);
  out->ext_highest_seq = extended_max;
  out->jitter = (guint32) MIN (s->jitter_q4 >> 4, G_MAXUINT32);
  out->lsr = s->have_sr ? s->lsr : 0;
  out->dlsr = 0;
  if (s->have_sr && now_us > s->sr_arrival_us) {
    guint64 dlsr = (guint64) (now_us - s->sr_arrival_us) * 65536 / G_USEC_PER_SEC;
    out->dlsr = (guint32) MIN (dlsr, G_MAXUINT32);
  }
  return TRUE;
}
