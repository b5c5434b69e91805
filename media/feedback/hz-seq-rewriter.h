/* hz-seq-rewriter: one subscriber's outgoing stream of a track as one clean
 * RTP stream across source switches (simulcast layer change, publisher
 * SSRC change, resume after a pause).
 *
 * Owns: the output continuity state (last sequence number, timestamp and
 * wall time sent, last VP8 picture id and TL0PICIDX) and the offsets that
 * map the current source onto it, with a short history of offset changes
 * so NACKed output sequence numbers map back to the source's. At a switch
 * the next packet gets sequence last + 1, a timestamp advanced by the wall
 * clock gap × clock rate, picture id last + 1 and TL0PICIDX last + 1.
 * Packets rewritten in place; no allocation, no logging, caller's clock. */
#pragma once

#include <glib.h>

#include "hz-codec.h"

G_BEGIN_DECLS

#define HZ_SEQ_REWRITER_HISTORY 16

typedef struct _HzSeqRewriter HzSeqRewriter;

HzSeqRewriter *hz_seq_rewriter_new (HzCodec codec, guint32 clock_rate);
void hz_seq_rewriter_free (HzSeqRewriter *rw);

void hz_seq_rewriter_switch (HzSeqRewriter *rw,
                             guint32 ssrc,
                             guint16 first_seq,
                             guint32 first_ts,
                             gint64 now_us);
gboolean hz_seq_rewriter_rewrite (HzSeqRewriter *rw, guint8 *buf, gsize len, gint64 now_us);
gboolean hz_seq_rewriter_map_ts (HzSeqRewriter *rw, guint32 ssrc, guint32 in_ts, guint32 *out_ts);
gboolean hz_seq_rewriter_rewrite_again (HzSeqRewriter *rw, guint8 *buf, gsize len, guint16 out_seq);
void hz_seq_rewriter_drop (HzSeqRewriter *rw, guint16 seq);
gboolean hz_seq_rewriter_unmap (HzSeqRewriter *rw, guint16 out_seq, guint16 *in_seq);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HzSeqRewriter, hz_seq_rewriter_free)

G_END_DECLS
