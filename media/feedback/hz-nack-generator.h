/* hz-nack-generator: the server's receive log for one publisher track, and
 * the NACKs it asks the publisher for (RFC 4585 generic NACK).
 *
 * Owns: the highest sequence number seen (extended across wrap-around) and
 * a fixed list of at most HZ_NACK_MAX_MISSING missing packets, each with
 * when it was found missing, when it was last asked for and how often.
 * A missing packet becomes NACKable after a short reorder delay, is asked
 * for again every RTT, and is given up after max_retries or max_age.
 * No allocation after creation, no logging, the clock is the caller's. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define HZ_NACK_MAX_MISSING 256
#define HZ_NACK_DEFAULT_REORDER_US (10 * G_TIME_SPAN_MILLISECOND)
#define HZ_NACK_DEFAULT_RTT_US (100 * G_TIME_SPAN_MILLISECOND)
#define HZ_NACK_DEFAULT_MAX_RETRIES 10
#define HZ_NACK_DEFAULT_MAX_AGE_US (1000 * G_TIME_SPAN_MILLISECOND)

typedef enum {
  HZ_NACK_PACKET_FIRST,      /* the first packet of the stream */
  HZ_NACK_PACKET_IN_ORDER,   /* the next expected, or a jump that left a gap */
  HZ_NACK_PACKET_RECOVERED,  /* a missing packet we had NACKed arrived */
  HZ_NACK_PACKET_REORDERED,  /* a missing packet arrived before we NACKed it */
  HZ_NACK_PACKET_DUPLICATE,  /* seen already, or older than anything tracked */
  HZ_NACK_PACKET_RESET,      /* gap too large to recover: ask for a key frame */
} HzNackPacketKind;

typedef struct {
  guint64 received;
  guint64 missing;     /* gaps found (packets) */
  guint64 recovered;   /* arrived after a NACK */
  guint64 reordered;   /* arrived late before any NACK */
  guint64 lost;        /* given up: too many retries, too old, or a reset */
  guint64 nacks_sent;  /* sequence numbers handed out by poll() */
  guint pending;       /* currently missing */
} HzNackStats;

typedef struct _HzNackGenerator HzNackGenerator;

HzNackGenerator *hz_nack_generator_new (void);
void hz_nack_generator_free (HzNackGenerator *gen);

void hz_nack_generator_set_rtt (HzNackGenerator *gen, gint64 rtt_us);
void hz_nack_generator_set_limits (HzNackGenerator *gen,
                                   gint64 reorder_delay_us,
                                   guint max_retries,
                                   gint64 max_age_us);

HzNackPacketKind hz_nack_generator_on_packet (HzNackGenerator *gen, guint16 seq, gint64 now_us);
guint hz_nack_generator_poll (HzNackGenerator *gen, gint64 now_us, guint16 *seqs, guint max_seqs);
void hz_nack_generator_reset (HzNackGenerator *gen);
void hz_nack_generator_get_stats (HzNackGenerator *gen, HzNackStats *stats);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HzNackGenerator, hz_nack_generator_free)

G_END_DECLS
