/* hz-nack-generator: receive log and NACK scheduling for one publisher track. */
#include "hz-nack-generator.h"

#include <string.h>

typedef struct {
  guint32 ext_seq;
  guint retries;
  gint64 found_us;
  gint64 last_sent_us;
} Missing;

struct _HzNackGenerator {
  gint64 rtt_us;
  gint64 reorder_us;
  gint64 max_age_us;
  guint max_retries;
  gboolean started;
  guint32 highest;        /* extended sequence number (cycles << 16 | seq) */
  guint n_missing;
  Missing missing[HZ_NACK_MAX_MISSING]; /* sorted by ext_seq, oldest first */
  HzNackStats stats;
};

HzNackGenerator *
hz_nack_generator_new (void)
{
  HzNackGenerator *gen = g_new0 (HzNackGenerator, 1);

  gen->rtt_us = HZ_NACK_DEFAULT_RTT_US;
  gen->reorder_us = HZ_NACK_DEFAULT_REORDER_US;
  gen->max_retries = HZ_NACK_DEFAULT_MAX_RETRIES;
  gen->max_age_us = HZ_NACK_DEFAULT_MAX_AGE_US;
  return gen;
}

void
hz_nack_generator_free (HzNackGenerator *gen)
{
  g_free (gen);
}

/* The interval between two NACKs of the same packet: the publisher's RTT
 * (from RTCP SR/RR LSR/DLSR, or ICE), clamped to 10 ms .. 1 s. */
void
hz_nack_generator_set_rtt (HzNackGenerator *gen, gint64 rtt_us)
{
  g_return_if_fail (gen != NULL);
  gen->rtt_us = CLAMP (rtt_us, 10 * G_TIME_SPAN_MILLISECOND, G_TIME_SPAN_SECOND);
}

void
hz_nack_generator_set_limits (HzNackGenerator *gen,
                              gint64 reorder_delay_us,
                              guint max_retries,
                              gint64 max_age_us)
{
  g_return_if_fail (gen != NULL);
  g_return_if_fail (reorder_delay_us >= 0 && max_retries > 0 && max_age_us > 0);
  gen->reorder_us = reorder_delay_us;
  gen->max_retries = max_retries;
  gen->max_age_us = max_age_us;
}

/* Forgets everything (new SSRC, or after a key-frame resync). Stats stay. */
void
hz_nack_generator_reset (HzNackGenerator *gen)
{
  g_return_if_fail (gen != NULL);
  gen->stats.lost += gen->n_missing;
  gen->n_missing = 0;
  gen->started = FALSE;
}

static void
remove_at (HzNackGenerator *gen, guint i)
{
  memmove (&gen->missing[i], &gen->missing[i + 1], (gen->n_missing - i - 1) * sizeof (Missing));
  gen->n_missing--;
}

static void
add_missing (HzNackGenerator *gen, guint32 ext_seq, gint64 now_us)
{
  Missing *m;

  if (gen->n_missing == HZ_NACK_MAX_MISSING) {
    remove_at (gen, 0); /* the oldest gives way */
    gen->stats.lost++;
  }
  m = &gen->missing[gen->n_missing++];
  m->ext_seq = ext_seq;
  m->retries = 0;
  m->found_us = now_us;
  m->last_sent_us = 0;
  gen->stats.missing++;
}

/* Records the arrival of RTP packet @seq (the publisher's own sequence
 * number, not RTX's). Call for every packet of the track, RTX-repaired ones
 * included (with the OSN). A forward jump of more than HZ_NACK_MAX_MISSING
 * is not NACKed: the missing packets count as lost, the log restarts at
 * @seq and HZ_NACK_PACKET_RESET tells the caller to request a key frame. */
HzNackPacketKind
hz_nack_generator_on_packet (HzNackGenerator *gen, guint16 seq, gint64 now_us)
{
  gint32 delta;
  guint32 ext;

  g_return_val_if_fail (gen != NULL, HZ_NACK_PACKET_DUPLICATE);
  gen->stats.received++;
  if (!gen->started) {
    gen->started = TRUE;
    gen->highest = (1u << 16) | seq; /* one cycle of headroom below */
    return HZ_NACK_PACKET_FIRST;
  }
  delta = (gint16) (guint16) (seq - (guint16) gen->highest);
  ext = gen->highest + (guint32) delta;
  if (delta > 0) {
    if (delta > HZ_NACK_MAX_MISSING) {
      gen->stats.lost += gen->n_missing + (guint) delta - 1;
      gen->n_missing = 0;
      gen->highest = ext;
      return HZ_NACK_PACKET_RESET;
    }
    for (guint32 s = gen->highest + 1; s < ext; s++)
      add_missing (gen, s, now_us);
    gen->highest = ext;
    return HZ_NACK_PACKET_IN_ORDER;
  }
  for (guint i = 0; i < gen->n_missing; i++) {
    if (gen->missing[i].ext_seq == ext) {
      gboolean nacked = gen->missing[i].retries > 0;

      remove_at (gen, i);
      if (nacked) {
        gen->stats.recovered++;
        return HZ_NACK_PACKET_RECOVERED;
      }
      gen->stats.reordered++;
      return HZ_NACK_PACKET_REORDERED;
    }
    if (gen->missing[i].ext_seq > ext)
      break;
  }
  return HZ_NACK_PACKET_DUPLICATE;
}

/* Fills @seqs (oldest first) with the sequence numbers to NACK now, at most
 * @max_seqs, and marks them asked for. Gives up packets that were asked for
 * max_retries times (one RTT after the last ask) or were found missing more
 * than max_age ago. Call when a packet arrives and on a timer (every 20 ms
 * is plenty); put the result in one hz_rtcp_build_nack() to the publisher. */
guint
hz_nack_generator_poll (HzNackGenerator *gen, gint64 now_us, guint16 *seqs, guint max_seqs)
{
  guint n = 0;
  guint i = 0;

  g_return_val_if_fail (gen != NULL, 0);
  g_return_val_if_fail (seqs != NULL || max_seqs == 0, 0);
  while (i < gen->n_missing) {
    Missing *m = &gen->missing[i];
    gboolean retry_due = m->retries == 0 ? now_us - m->found_us >= gen->reorder_us
                                         : now_us - m->last_sent_us >= gen->rtt_us;

    if (now_us - m->found_us > gen->max_age_us || (m->retries >= gen->max_retries && retry_due)) {
      remove_at (gen, i);
      gen->stats.lost++;
      continue;
    }
    if (retry_due && n < max_seqs) {
      seqs[n++] = (guint16) m->ext_seq;
      m->retries++;
      m->last_sent_us = now_us;
      gen->stats.nacks_sent++;
    }
    i++;
  }
  return n;
}

void
hz_nack_generator_get_stats (HzNackGenerator *gen, HzNackStats *stats)
{
  g_return_if_fail (gen != NULL && stats != NULL);
  *stats = gen->stats;
  stats->pending = gen->n_missing;
}
