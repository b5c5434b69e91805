/* hz-seq-rewriter: sequence, timestamp, VP8 picture id and TL0PICIDX
 * continuity across source switches. */
#include "hz-seq-rewriter.h"

#include <string.h>

#include "hz-rtp.h"

typedef struct {
  guint16 out_start;   /* first output seq this offset applies to */
  guint16 offset;      /* out = in + offset */
} Segment;

struct _HzSeqRewriter {
  HzCodec codec;
  guint32 clock_rate;

  /* output side */
  gboolean has_output;
  guint16 last_seq;
  guint32 last_ts;
  gint64 last_us;
  gboolean has_pic, has_tl0;
  guint16 last_pic;
  guint8 last_tl0;

  /* current source */
  gboolean has_source;
  gboolean forwarded;  /* at least one packet of the current source went out */
  guint32 ssrc;
  guint16 first_in;
  guint16 highest_in;
  guint16 seq_offset;
  guint32 ts_offset;
  gboolean pic_pending, tl0_pending;
  guint16 pic_offset;
  guint8 tl0_offset;
  Segment seg[HZ_SEQ_REWRITER_HISTORY];
  guint n_seg;
};

HzSeqRewriter *
hz_seq_rewriter_new (HzCodec codec, guint32 clock_rate)
{
  HzSeqRewriter *rw = g_new0 (HzSeqRewriter, 1);

  g_return_val_if_fail (clock_rate > 0, rw);
  rw->codec = codec;
  rw->clock_rate = clock_rate;
  return rw;
}

void
hz_seq_rewriter_free (HzSeqRewriter *rw)
{
  g_free (rw);
}

static void
push_segment (HzSeqRewriter *rw, guint16 out_start)
{
  if (rw->n_seg == HZ_SEQ_REWRITER_HISTORY) {
    memmove (&rw->seg[0], &rw->seg[1], sizeof (Segment) * (HZ_SEQ_REWRITER_HISTORY - 1));
    rw->n_seg--;
  }
  rw->seg[rw->n_seg].out_start = out_start;
  rw->seg[rw->n_seg].offset = rw->seq_offset;
  rw->n_seg++;
}

/* Makes the source @ssrc, starting at packet @first_seq / @first_ts (a key
 * frame), the one rewrite() forwards from now on. Call when that packet
 * arrives, before rewriting it. The first source ever keeps its numbers;
 * later ones continue the output: seq last + 1, timestamp last + (now -
 * time of the last packet sent) × clock rate (at least 1). */
void
hz_seq_rewriter_switch (HzSeqRewriter *rw,
                        guint32 ssrc,
                        guint16 first_seq,
                        guint32 first_ts,
                        gint64 now_us)
{
  g_return_if_fail (rw != NULL);
  if (rw->has_output) {
    gint64 gap = MAX (now_us - rw->last_us, 0) * (gint64) rw->clock_rate / G_TIME_SPAN_SECOND;

    rw->seq_offset = (guint16) (rw->last_seq + 1 - first_seq);
    rw->ts_offset = rw->last_ts + (guint32) MAX (gap, 1) - first_ts;
  } else {
    rw->seq_offset = 0;
    rw->ts_offset = 0;
  }
  rw->pic_pending = TRUE;
  rw->tl0_pending = TRUE;
  rw->has_source = TRUE;
  rw->forwarded = FALSE;
  rw->ssrc = ssrc;
  rw->first_in = first_seq;
  rw->highest_in = (guint16) (first_seq - 1);
  rw->n_seg = 0;
  push_segment (rw, (guint16) (first_seq + rw->seq_offset));
}

static void
rewrite_vp8 (HzSeqRewriter *rw, guint8 *payload, gsize len, gboolean newest)
{
  HzVp8Descriptor d;

  if (!hz_vp8_descriptor_parse (payload, len, &d))
    return;
  if (d.has_picture_id) {
    guint16 out;

    if (rw->pic_pending) {
      rw->pic_offset = rw->has_pic ? (guint16) ((rw->last_pic + 1 - d.picture_id) & 0x7fff) : 0;
      rw->pic_pending = FALSE;
    }
    out = (guint16) ((d.picture_id + rw->pic_offset) & 0x7fff);
    hz_vp8_set_picture_id (payload, &d, out);
    if (newest || !rw->has_pic) {
      rw->last_pic = out;
      rw->has_pic = TRUE;
    }
  }
  if (d.has_tl0picidx) {
    guint8 out;

    if (rw->tl0_pending) {
      rw->tl0_offset = rw->has_tl0 ? (guint8) (rw->last_tl0 + 1 - d.tl0picidx) : 0;
      rw->tl0_pending = FALSE;
    }
    out = (guint8) (d.tl0picidx + rw->tl0_offset);
    hz_vp8_set_tl0picidx (payload, &d, out);
    if (newest || !rw->has_tl0) {
      rw->last_tl0 = out;
      rw->has_tl0 = TRUE;
    }
  }
}

/* Rewrites one packet of the current source in place (seq, timestamp and,
 * for VP8, picture id and TL0PICIDX; SSRC and PT are the caller's) and
 * records it as sent at @now_us. Returns FALSE, leaving @buf alone, for a
 * packet to drop: not RTP, another SSRC than the current source's, or
 * older than the switch point (it would collide with the previous source's
 * numbers). */
gboolean
hz_seq_rewriter_rewrite (HzSeqRewriter *rw, guint8 *buf, gsize len, gint64 now_us)
{
  HzRtpView v;
  guint16 out_seq;
  guint32 out_ts;
  gboolean newest;

  g_return_val_if_fail (rw != NULL, FALSE);
  if (buf == NULL || !hz_rtp_parse (buf, len, &v) || !rw->has_source || v.ssrc != rw->ssrc ||
      (gint16) (guint16) (v.seq - rw->first_in) < 0)
    return FALSE;
  out_seq = (guint16) (v.seq + rw->seq_offset);
  out_ts = v.ts + rw->ts_offset;
  newest = !rw->forwarded || (gint16) (guint16) (v.seq - rw->highest_in) > 0;
  hz_rtp_set_seq (buf, out_seq);
  hz_rtp_set_ts (buf, out_ts);
  if (rw->codec == HZ_CODEC_VP8)
    rewrite_vp8 (rw, buf + v.payload_offset, v.payload_len, newest);
  if (newest) {
    rw->highest_in = v.seq;
    rw->last_seq = out_seq;
    rw->last_ts = out_ts;
    rw->last_us = now_us;
    rw->has_output = TRUE;
  }
  rw->forwarded = TRUE;
  return TRUE;
}

/* Maps a timestamp of source @ssrc (a sender report's) to the output's;
 * FALSE when @ssrc is not the current source. */
gboolean
hz_seq_rewriter_map_ts (HzSeqRewriter *rw, guint32 ssrc, guint32 in_ts, guint32 *out_ts)
{
  g_return_val_if_fail (rw != NULL && out_ts != NULL, FALSE);
  if (!rw->has_source || ssrc != rw->ssrc)
    return FALSE;
  *out_ts = in_ts + rw->ts_offset;
  return TRUE;
}

/* Rewrites a copy of a packet of the current source that is sent again
 * (an RTX answer to a NACK for @out_seq): the same sequence number, the
 * current timestamp and picture-id offsets, and no change to the state. */
gboolean
hz_seq_rewriter_rewrite_again (HzSeqRewriter *rw, guint8 *buf, gsize len, guint16 out_seq)
{
  HzRtpView v;

  g_return_val_if_fail (rw != NULL, FALSE);
  if (buf == NULL || !hz_rtp_parse (buf, len, &v) || !rw->has_source || v.ssrc != rw->ssrc)
    return FALSE;
  hz_rtp_set_seq (buf, out_seq);
  hz_rtp_set_ts (buf, v.ts + rw->ts_offset);
  if (rw->codec == HZ_CODEC_VP8)
    rewrite_vp8 (rw, buf + v.payload_offset, v.payload_len, FALSE);
  return TRUE;
}

/* Accounts for packet @seq of the current source that the caller decided
 * not to forward (padding-only, a dropped temporal layer): the packets after
 * it are numbered as if it never existed, so the receiver sees no gap.
 * Only a packet newer than every one forwarded shifts the numbering. */
void
hz_seq_rewriter_drop (HzSeqRewriter *rw, guint16 seq)
{
  g_return_if_fail (rw != NULL);
  if (!rw->has_source || (gint16) (guint16) (seq - rw->first_in) < 0 ||
      (gint16) (guint16) (seq - rw->highest_in) <= 0)
    return;
  rw->highest_in = seq;
  rw->seq_offset--;
  push_segment (rw, (guint16) (seq + 1 + rw->seq_offset));
}

/* Maps an output sequence number a subscriber NACKed back to the current
 * source's, to look it up in that source's hz-packet-cache. FALSE for
 * numbers sent before the last switch, not sent yet, or older than the
 * last HZ_SEQ_REWRITER_HISTORY drops. */
gboolean
hz_seq_rewriter_unmap (HzSeqRewriter *rw, guint16 out_seq, guint16 *in_seq)
{
  gint16 from_first;

  g_return_val_if_fail (rw != NULL && in_seq != NULL, FALSE);
  if (!rw->has_source || !rw->forwarded || rw->n_seg == 0)
    return FALSE;
  from_first = (gint16) (guint16) (out_seq - rw->seg[0].out_start);
  if (from_first < 0 || (gint16) (guint16) (rw->last_seq - out_seq) < 0)
    return FALSE;
  for (guint i = rw->n_seg; i > 0; i--) {
    const Segment *s = &rw->seg[i - 1];

    if ((gint16) (guint16) (out_seq - s->out_start) >= 0) {
      *in_seq = (guint16) (out_seq - s->offset);
      return TRUE;
    }
  }
  return FALSE;
}
