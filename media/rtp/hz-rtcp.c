/* hz-rtcp.c: RTCP parsing, building and in-place rewriting. Hand-written:
 * GStreamer's GstRTCPBuffer needs a GstBuffer per packet, which the
 * forwarding path must not allocate; pion/libwebrtc are not C. */
#include "hz-rtcp.h"

#include <string.h>

#include "hz-bytes.h"

#define HZ_RTCP_REPORT_BLOCK_LEN 24
#define HZ_RTCP_SR_INFO_LEN 24 /* sender ssrc + sender info */
#define HZ_RTCP_FB_FIXED_LEN 8 /* sender ssrc + media ssrc */

/*
 * hz_rtcp_iter_init:
 * Prepares to walk the packets of the compound RTCP packet @buf.
 */
void
hz_rtcp_iter_init (HzRtcpIter *iter, const guint8 *buf, gsize len)
{
  g_return_if_fail (iter != NULL);
  memset (iter, 0, sizeof (*iter));
  iter->buf = buf;
  iter->len = buf != NULL ? len : 0;
}

/*
 * hz_rtcp_iter_next:
 * Returns the next packet. FALSE at the end, or at the first packet that is
 * not version 2, whose length overruns the buffer or whose padding count
 * does not fit it: then iter->malformed is set and nothing after it is
 * returned (its length cannot be trusted to find the next header).
 */
gboolean
hz_rtcp_iter_next (HzRtcpIter *iter, HzRtcpHeader *out)
{
  const guint8 *p;
  gsize avail, plen;
  guint8 pad = 0;

  g_return_val_if_fail (iter != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  if (iter->malformed || iter->pos >= iter->len)
    return FALSE;
  p = iter->buf + iter->pos;
  avail = iter->len - iter->pos;
  if (avail < HZ_RTCP_HEADER_LEN || (p[0] >> 6) != 2) {
    iter->malformed = TRUE;
    return FALSE;
  }
  plen = ((gsize) hz_read_u16 (p + 2) + 1) * 4;
  if (plen > avail) {
    iter->malformed = TRUE;
    return FALSE;
  }
  if (p[0] & 0x20) {
    pad = p[plen - 1];
    if (pad == 0 || pad > plen - HZ_RTCP_HEADER_LEN) {
      iter->malformed = TRUE;
      return FALSE;
    }
  }
  out->padding = (p[0] & 0x20) != 0;
  out->count = p[0] & 0x1F;
  out->pt = p[1];
  out->length = hz_read_u16 (p + 2);
  out->offset = iter->pos;
  out->packet_len = plen;
  out->data = p;
  out->body_len = plen - HZ_RTCP_HEADER_LEN - pad;
  iter->pos += plen;
  return TRUE;
}

/*
 * hz_rtcp_validate_compound:
 * TRUE when @buf is one or more well-formed RTCP packets filling it exactly.
 * Reduced-size RTCP (RFC 5506) is allowed, so the first packet need not be
 * SR or RR.
 */
gboolean
hz_rtcp_validate_compound (const guint8 *buf, gsize len)
{
  HzRtcpIter iter;
  HzRtcpHeader hdr;
  guint n = 0;

  hz_rtcp_iter_init (&iter, buf, len);
  while (hz_rtcp_iter_next (&iter, &hdr))
    n++;
  return n > 0 && !iter.malformed;
}

static void
hz_rtcp_read_block (const guint8 *p, HzRtcpReportBlock *rb)
{
  guint32 lost = hz_read_u24 (p + 5);

  if (lost & 0x800000)
    lost |= 0xFF000000u;
  rb->ssrc = hz_read_u32 (p);
  rb->fraction_lost = p[4];
  rb->cumulative_lost = (gint32) lost;
  rb->ext_highest_seq = hz_read_u32 (p + 8);
  rb->jitter = hz_read_u32 (p + 12);
  rb->lsr = hz_read_u32 (p + 16);
  rb->dlsr = hz_read_u32 (p + 20);
}

static void
hz_rtcp_write_block (guint8 *p, const HzRtcpReportBlock *rb)
{
  gint32 lost = CLAMP (rb->cumulative_lost, -0x800000, 0x7FFFFF);

  hz_write_u32 (p, rb->ssrc);
  p[4] = rb->fraction_lost;
  hz_write_u24 (p + 5, (guint32) lost & 0xFFFFFF);
  hz_write_u32 (p + 8, rb->ext_highest_seq);
  hz_write_u32 (p + 12, rb->jitter);
  hz_write_u32 (p + 16, rb->lsr);
  hz_write_u32 (p + 20, rb->dlsr);
}

static void
hz_rtcp_write_header (guint8 *p, guint8 count, guint8 pt, gsize packet_len)
{
  p[0] = (guint8) (0x80 | (count & 0x1F));
  p[1] = pt;
  hz_write_u16 (p + 2, (guint16) (packet_len / 4 - 1));
}

/* SR (RFC 3550 §6.4.1). Trailing profile-specific extensions are ignored. */
gboolean
hz_rtcp_parse_sr (const HzRtcpHeader *hdr, HzRtcpSr *out)
{
  const guint8 *b;

  g_return_val_if_fail (hdr != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  if (hdr->pt != HZ_RTCP_PT_SR)
    return FALSE;
  if (hdr->body_len < HZ_RTCP_SR_INFO_LEN + (gsize) hdr->count * HZ_RTCP_REPORT_BLOCK_LEN)
    return FALSE;
  b = hdr->data + HZ_RTCP_HEADER_LEN;
  out->ssrc = hz_read_u32 (b);
  out->ntp = hz_read_u64 (b + 4);
  out->rtp_ts = hz_read_u32 (b + 12);
  out->packet_count = hz_read_u32 (b + 16);
  out->octet_count = hz_read_u32 (b + 20);
  out->n_blocks = hdr->count;
  for (guint i = 0; i < out->n_blocks; i++)
    hz_rtcp_read_block (b + HZ_RTCP_SR_INFO_LEN + i * HZ_RTCP_REPORT_BLOCK_LEN, &out->blocks[i]);
  return TRUE;
}

/* RR (RFC 3550 §6.4.2). */
gboolean
hz_rtcp_parse_rr (const HzRtcpHeader *hdr, HzRtcpRr *out)
{
  const guint8 *b;

  g_return_val_if_fail (hdr != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  if (hdr->pt != HZ_RTCP_PT_RR)
    return FALSE;
  if (hdr->body_len < 4 + (gsize) hdr->count * HZ_RTCP_REPORT_BLOCK_LEN)
    return FALSE;
  b = hdr->data + HZ_RTCP_HEADER_LEN;
  out->ssrc = hz_read_u32 (b);
  out->n_blocks = hdr->count;
  for (guint i = 0; i < out->n_blocks; i++)
    hz_rtcp_read_block (b + 4 + i * HZ_RTCP_REPORT_BLOCK_LEN, &out->blocks[i]);
  return TRUE;
}

/* BYE (RFC 3550 §6.6): the SSRC list; an optional reason must fit. */
gboolean
hz_rtcp_parse_bye (const HzRtcpHeader *hdr, HzRtcpBye *out)
{
  const guint8 *b;
  gsize list_len;

  g_return_val_if_fail (hdr != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  if (hdr->pt != HZ_RTCP_PT_BYE)
    return FALSE;
  list_len = (gsize) hdr->count * 4;
  if (hdr->body_len < list_len)
    return FALSE;
  b = hdr->data + HZ_RTCP_HEADER_LEN;
  if (hdr->body_len > list_len && (gsize) b[list_len] + 1 > hdr->body_len - list_len)
    return FALSE;
  out->n_ssrcs = hdr->count;
  for (guint i = 0; i < out->n_ssrcs; i++)
    out->ssrcs[i] = hz_read_u32 (b + i * 4);
  return TRUE;
}

/* Common feedback header (RFC 4585 §6.1) of an RTPFB or PSFB packet. */
gboolean
hz_rtcp_parse_fb (const HzRtcpHeader *hdr, HzRtcpFb *out)
{
  const guint8 *b;

  g_return_val_if_fail (hdr != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  if (hdr->pt != HZ_RTCP_PT_RTPFB && hdr->pt != HZ_RTCP_PT_PSFB)
    return FALSE;
  if (hdr->body_len < HZ_RTCP_FB_FIXED_LEN)
    return FALSE;
  b = hdr->data + HZ_RTCP_HEADER_LEN;
  out->pt = hdr->pt;
  out->fmt = hdr->count;
  out->sender_ssrc = hz_read_u32 (b);
  out->media_ssrc = hz_read_u32 (b + 4);
  out->fci = b + HZ_RTCP_FB_FIXED_LEN;
  out->fci_len = hdr->body_len - HZ_RTCP_FB_FIXED_LEN;
  return TRUE;
}

/*
 * hz_rtcp_nack_expand:
 * Expands the PID/BLP pairs of a generic NACK (RFC 4585 §6.2.1) into @seqs,
 * in packet order, writing at most @max_seqs. Returns how many were written;
 * 0 when @fb is not a well-formed generic NACK.
 */
guint
hz_rtcp_nack_expand (const HzRtcpFb *fb, guint16 *seqs, guint max_seqs)
{
  guint n = 0;

  g_return_val_if_fail (fb != NULL, 0);
  g_return_val_if_fail (seqs != NULL || max_seqs == 0, 0);

  if (fb->pt != HZ_RTCP_PT_RTPFB || fb->fmt != HZ_RTCP_RTPFB_NACK)
    return 0;
  if (fb->fci_len == 0 || fb->fci_len % 4 != 0)
    return 0;
  for (gsize off = 0; off < fb->fci_len; off += 4) {
    guint16 pid = hz_read_u16 (fb->fci + off);
    guint16 blp = hz_read_u16 (fb->fci + off + 2);
    if (n == max_seqs)
      return n;
    seqs[n++] = pid;
    for (guint bit = 0; bit < 16; bit++) {
      if ((blp & (1u << bit)) == 0)
        continue;
      if (n == max_seqs)
        return n;
      seqs[n++] = (guint16) (pid + bit + 1);
    }
  }
  return n;
}

/* PLI (RFC 4585 §6.3.1): PSFB FMT 1 without FCI. */
gboolean
hz_rtcp_is_pli (const HzRtcpFb *fb)
{
  g_return_val_if_fail (fb != NULL, FALSE);
  return fb->pt == HZ_RTCP_PT_PSFB && fb->fmt == HZ_RTCP_PSFB_PLI && fb->fci_len == 0;
}

/* FIR (RFC 5104 §4.3.1): number of 8-byte FCI entries, 0 if malformed. */
guint
hz_rtcp_fir_n_entries (const HzRtcpFb *fb)
{
  g_return_val_if_fail (fb != NULL, 0);
  if (fb->pt != HZ_RTCP_PT_PSFB || fb->fmt != HZ_RTCP_PSFB_FIR)
    return 0;
  if (fb->fci_len % 8 != 0)
    return 0;
  return (guint) (fb->fci_len / 8);
}

gboolean
hz_rtcp_fir_get_entry (const HzRtcpFb *fb, guint index, guint32 *ssrc, guint8 *seq_nr)
{
  const guint8 *e;

  g_return_val_if_fail (fb != NULL, FALSE);
  if (index >= hz_rtcp_fir_n_entries (fb))
    return FALSE;
  e = fb->fci + (gsize) index * 8;
  if (ssrc != NULL)
    *ssrc = hz_read_u32 (e);
  if (seq_nr != NULL)
    *seq_nr = e[4];
  return TRUE;
}

/*
 * hz_rtcp_parse_remb:
 * REMB (draft-alvestrand-rmcat-remb-03): PSFB FMT 15 whose FCI starts with
 * "REMB", then Num SSRC, BR Exp (6 bits), BR Mantissa (18 bits), SSRCs.
 */
gboolean
hz_rtcp_parse_remb (const HzRtcpFb *fb, HzRtcpRemb *out)
{
  const guint8 *f;

  g_return_val_if_fail (fb != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  if (fb->pt != HZ_RTCP_PT_PSFB || fb->fmt != HZ_RTCP_PSFB_AFB || fb->fci_len < 8)
    return FALSE;
  f = fb->fci;
  if (memcmp (f, "REMB", 4) != 0)
    return FALSE;
  if (fb->fci_len < 8 + (gsize) f[4] * 4)
    return FALSE;
  out->n_ssrcs = f[4];
  out->exp = f[5] >> 2;
  out->mantissa = ((guint32) (f[5] & 0x03) << 16) | hz_read_u16 (f + 6);
  if (out->mantissa > (G_MAXUINT64 >> out->exp))
    out->bitrate = G_MAXUINT64;
  else
    out->bitrate = (guint64) out->mantissa << out->exp;
  for (guint i = 0; i < out->n_ssrcs; i++)
    out->ssrcs[i] = hz_read_u32 (f + 8 + i * 4);
  return TRUE;
}

/* Transport-wide CC feedback (RTPFB FMT 15): the fixed FCI fields only. */
gboolean
hz_rtcp_parse_twcc (const HzRtcpFb *fb, HzRtcpTwcc *out)
{
  guint32 ref;

  g_return_val_if_fail (fb != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  if (fb->pt != HZ_RTCP_PT_RTPFB || fb->fmt != HZ_RTCP_RTPFB_TWCC || fb->fci_len < 8)
    return FALSE;
  ref = hz_read_u24 (fb->fci + 4);
  if (ref & 0x800000)
    ref |= 0xFF000000u;
  out->base_seq = hz_read_u16 (fb->fci);
  out->status_count = hz_read_u16 (fb->fci + 2);
  out->reference_time = (gint32) ref;
  out->fb_pkt_count = fb->fci[7];
  return TRUE;
}

/* Builders: each writes one packet at @buf and returns its length, or 0
 * when it does not fit in @size bytes (nothing is written then). */

gsize
hz_rtcp_build_sr (guint8 *buf, gsize size, const HzRtcpSr *sr)
{
  gsize len;

  g_return_val_if_fail (buf != NULL || size == 0, 0);
  g_return_val_if_fail (sr != NULL, 0);
  g_return_val_if_fail (sr->n_blocks <= HZ_RTCP_MAX_REPORT_BLOCKS, 0);

  len = HZ_RTCP_HEADER_LEN + HZ_RTCP_SR_INFO_LEN + sr->n_blocks * HZ_RTCP_REPORT_BLOCK_LEN;
  if (size < len)
    return 0;
  hz_rtcp_write_header (buf, (guint8) sr->n_blocks, HZ_RTCP_PT_SR, len);
  hz_write_u32 (buf + 4, sr->ssrc);
  hz_write_u64 (buf + 8, sr->ntp);
  hz_write_u32 (buf + 16, sr->rtp_ts);
  hz_write_u32 (buf + 20, sr->packet_count);
  hz_write_u32 (buf + 24, sr->octet_count);
  for (guint i = 0; i < sr->n_blocks; i++)
    hz_rtcp_write_block (buf + 28 + i * HZ_RTCP_REPORT_BLOCK_LEN, &sr->blocks[i]);
  return len;
}

gsize
hz_rtcp_build_rr (guint8 *buf, gsize size, const HzRtcpRr *rr)
{
  gsize len;

  g_return_val_if_fail (buf != NULL || size == 0, 0);
  g_return_val_if_fail (rr != NULL, 0);
  g_return_val_if_fail (rr->n_blocks <= HZ_RTCP_MAX_REPORT_BLOCKS, 0);

  len = HZ_RTCP_HEADER_LEN + 4 + rr->n_blocks * HZ_RTCP_REPORT_BLOCK_LEN;
  if (size < len)
    return 0;
  hz_rtcp_write_header (buf, (guint8) rr->n_blocks, HZ_RTCP_PT_RR, len);
  hz_write_u32 (buf + 4, rr->ssrc);
  for (guint i = 0; i < rr->n_blocks; i++)
    hz_rtcp_write_block (buf + 8 + i * HZ_RTCP_REPORT_BLOCK_LEN, &rr->blocks[i]);
  return len;
}

static gsize
hz_rtcp_build_fb (guint8 *buf,
                  gsize size,
                  guint8 pt,
                  guint8 fmt,
                  guint32 sender_ssrc,
                  guint32 media_ssrc,
                  gsize fci_len)
{
  gsize len = HZ_RTCP_HEADER_LEN + HZ_RTCP_FB_FIXED_LEN + fci_len;

  if (size < len)
    return 0;
  hz_rtcp_write_header (buf, fmt, pt, len);
  hz_write_u32 (buf + 4, sender_ssrc);
  hz_write_u32 (buf + 8, media_ssrc);
  return len;
}

gsize
hz_rtcp_build_pli (guint8 *buf, gsize size, guint32 sender_ssrc, guint32 media_ssrc)
{
  g_return_val_if_fail (buf != NULL || size == 0, 0);
  return hz_rtcp_build_fb (buf, size, HZ_RTCP_PT_PSFB, HZ_RTCP_PSFB_PLI,
                           sender_ssrc, media_ssrc, 0);
}

/* FIR: the header's media SSRC is 0 (RFC 5104 §4.3.1.2); the target is in
 * the FCI entry with the command sequence number. */
gsize
hz_rtcp_build_fir (guint8 *buf, gsize size, guint32 sender_ssrc, guint32 target_ssrc, guint8 seq_nr)
{
  gsize len;

  g_return_val_if_fail (buf != NULL || size == 0, 0);
  len = hz_rtcp_build_fb (buf, size, HZ_RTCP_PT_PSFB, HZ_RTCP_PSFB_FIR, sender_ssrc, 0, 8);
  if (len == 0)
    return 0;
  hz_write_u32 (buf + 12, target_ssrc);
  buf[16] = seq_nr;
  buf[17] = buf[18] = buf[19] = 0;
  return len;
}

/*
 * hz_rtcp_build_nack:
 * Packs @seqs, given in increasing order (modulo 2^16; duplicates allowed),
 * into PID/BLP pairs: each PID covers itself and the 16 numbers after it.
 */
gsize
hz_rtcp_build_nack (guint8 *buf,
                    gsize size,
                    guint32 sender_ssrc,
                    guint32 media_ssrc,
                    const guint16 *seqs,
                    guint n_seqs)
{
  gsize fci_len = 0;
  guint16 pid = 0;
  guint16 blp = 0;

  g_return_val_if_fail (buf != NULL || size == 0, 0);
  g_return_val_if_fail (seqs != NULL || n_seqs == 0, 0);

  if (n_seqs == 0)
    return 0;
  /* first pass: count the pairs so nothing is written when it cannot fit */
  pid = seqs[0];
  fci_len = 4;
  for (guint i = 1; i < n_seqs; i++) {
    guint16 d = (guint16) (seqs[i] - pid);
    if (d >= 1 && d <= 16)
      continue;
    if (d == 0)
      continue;
    pid = seqs[i];
    fci_len += 4;
  }
  if (HZ_RTCP_HEADER_LEN + HZ_RTCP_FB_FIXED_LEN + fci_len > 0x10000 * 4 ||
      hz_rtcp_build_fb (buf, size, HZ_RTCP_PT_RTPFB, HZ_RTCP_RTPFB_NACK,
                        sender_ssrc, media_ssrc, fci_len) == 0)
    return 0;

  {
    guint8 *w = buf + HZ_RTCP_HEADER_LEN + HZ_RTCP_FB_FIXED_LEN;
    pid = seqs[0];
    blp = 0;
    for (guint i = 1; i < n_seqs; i++) {
      guint16 d = (guint16) (seqs[i] - pid);
      if (d == 0)
        continue;
      if (d <= 16) {
        blp |= (guint16) (1u << (d - 1));
        continue;
      }
      hz_write_u16 (w, pid);
      hz_write_u16 (w + 2, blp);
      w += 4;
      pid = seqs[i];
      blp = 0;
    }
    hz_write_u16 (w, pid);
    hz_write_u16 (w + 2, blp);
  }
  return HZ_RTCP_HEADER_LEN + HZ_RTCP_FB_FIXED_LEN + fci_len;
}

/* REMB: @bitrate is rounded down to what 18 bits of mantissa can carry. */
gsize
hz_rtcp_build_remb (guint8 *buf,
                    gsize size,
                    guint32 sender_ssrc,
                    guint64 bitrate,
                    const guint32 *ssrcs,
                    guint n_ssrcs)
{
  guint8 *f;
  guint8 exp = 0;
  gsize len;

  g_return_val_if_fail (buf != NULL || size == 0, 0);
  g_return_val_if_fail (ssrcs != NULL || n_ssrcs == 0, 0);
  g_return_val_if_fail (n_ssrcs <= HZ_RTCP_MAX_REMB_SSRCS, 0);

  len = hz_rtcp_build_fb (buf, size, HZ_RTCP_PT_PSFB, HZ_RTCP_PSFB_AFB,
                          sender_ssrc, 0, 8 + (gsize) n_ssrcs * 4);
  if (len == 0)
    return 0;
  while (bitrate > 0x3FFFF) {
    bitrate >>= 1;
    exp++;
  }
  f = buf + HZ_RTCP_HEADER_LEN + HZ_RTCP_FB_FIXED_LEN;
  memcpy (f, "REMB", 4);
  f[4] = (guint8) n_ssrcs;
  f[5] = (guint8) ((exp << 2) | ((bitrate >> 16) & 0x03));
  hz_write_u16 (f + 6, (guint16) bitrate);
  for (guint i = 0; i < n_ssrcs; i++)
    hz_write_u32 (f + 8 + i * 4, ssrcs[i]);
  return len;
}

/* In-place rewriters. @buf is the compound buffer @hdr came from. */

/* The sender SSRC right after the header of an SR, RR, RTPFB or PSFB. */
gboolean
hz_rtcp_set_sender_ssrc (guint8 *buf, const HzRtcpHeader *hdr, guint32 ssrc)
{
  g_return_val_if_fail (buf != NULL, FALSE);
  g_return_val_if_fail (hdr != NULL, FALSE);

  if (hdr->pt != HZ_RTCP_PT_SR && hdr->pt != HZ_RTCP_PT_RR &&
      hdr->pt != HZ_RTCP_PT_RTPFB && hdr->pt != HZ_RTCP_PT_PSFB)
    return FALSE;
  if (hdr->body_len < 4)
    return FALSE;
  hz_write_u32 (buf + hdr->offset + 4, ssrc);
  return TRUE;
}

/* The media source SSRC of an RTPFB or PSFB header (FIR and REMB carry
 * their targets elsewhere: see hz_rtcp_fir_set_entry_ssrc). */
gboolean
hz_rtcp_fb_set_media_ssrc (guint8 *buf, const HzRtcpHeader *hdr, guint32 ssrc)
{
  g_return_val_if_fail (buf != NULL, FALSE);
  g_return_val_if_fail (hdr != NULL, FALSE);

  if (hdr->pt != HZ_RTCP_PT_RTPFB && hdr->pt != HZ_RTCP_PT_PSFB)
    return FALSE;
  if (hdr->body_len < HZ_RTCP_FB_FIXED_LEN)
    return FALSE;
  hz_write_u32 (buf + hdr->offset + 8, ssrc);
  return TRUE;
}

gboolean
hz_rtcp_fir_set_entry_ssrc (guint8 *buf, const HzRtcpHeader *hdr, guint index, guint32 ssrc)
{
  HzRtcpFb fb;

  g_return_val_if_fail (buf != NULL, FALSE);
  g_return_val_if_fail (hdr != NULL, FALSE);

  if (!hz_rtcp_parse_fb (hdr, &fb) || index >= hz_rtcp_fir_n_entries (&fb))
    return FALSE;
  hz_write_u32 (buf + hdr->offset + 12 + (gsize) index * 8, ssrc);
  return TRUE;
}

/*
 * hz_rtcp_sr_rewrite:
 * For forwarding a publisher's SR to a subscriber: sets the sender SSRC and
 * adds @ts_offset (mod 2^32) to the RTP timestamp, as done to the media.
 */
gboolean
hz_rtcp_sr_rewrite (guint8 *buf, const HzRtcpHeader *hdr, guint32 ssrc, guint32 ts_offset)
{
  guint8 *p;

  g_return_val_if_fail (buf != NULL, FALSE);
  g_return_val_if_fail (hdr != NULL, FALSE);

  if (hdr->pt != HZ_RTCP_PT_SR || hdr->body_len < HZ_RTCP_SR_INFO_LEN)
    return FALSE;
  p = buf + hdr->offset;
  hz_write_u32 (p + 4, ssrc);
  hz_write_u32 (p + 16, hz_read_u32 (p + 16) + ts_offset);
  return TRUE;
}
