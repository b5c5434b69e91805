/* hz-rtp.c: RTP header and RFC 8285 header extensions, parsed and rewritten
 * in place. Hand-written for the forwarding hot path: GStreamer's
 * GstRTPBuffer needs a GstBuffer and allocates, which this path must not. */
#include "hz-rtp.h"

#include <string.h>

#include "hz-bytes.h"

/*
 * hz_rtp_parse:
 * Validates an RTP packet and fills @out. Rejects (returns FALSE, leaving
 * @out unspecified) anything that is not version 2, or whose CSRC list,
 * extension block or padding does not fit inside @len bytes. A packet with
 * padding must carry a non-zero padding count (RFC 3550 §5.1).
 */
gboolean
hz_rtp_parse (const guint8 *buf, gsize len, HzRtpView *out)
{
  gsize hl;

  g_return_val_if_fail (out != NULL, FALSE);

  if (buf == NULL || len < HZ_RTP_HEADER_LEN)
    return FALSE;
  if ((buf[0] >> 6) != HZ_RTP_VERSION)
    return FALSE;

  memset (out, 0, sizeof (*out));
  out->padding = (buf[0] & 0x20) != 0;
  out->extension = (buf[0] & 0x10) != 0;
  out->csrc_count = buf[0] & 0x0F;
  out->marker = (buf[1] & 0x80) != 0;
  out->pt = buf[1] & 0x7F;
  out->seq = hz_read_u16 (buf + 2);
  out->ts = hz_read_u32 (buf + 4);
  out->ssrc = hz_read_u32 (buf + 8);

  hl = HZ_RTP_HEADER_LEN + 4 * (gsize) out->csrc_count;
  if (len < hl)
    return FALSE;
  if (out->extension) {
    gsize words;
    if (len - hl < 4)
      return FALSE;
    out->ext_profile = hz_read_u16 (buf + hl);
    words = hz_read_u16 (buf + hl + 2);
    out->ext_offset = hl + 4;
    out->ext_len = words * 4;
    if (len - out->ext_offset < out->ext_len)
      return FALSE;
    hl = out->ext_offset + out->ext_len;
  }
  out->header_len = hl;
  out->payload_offset = hl;
  if (out->padding) {
    guint8 pad = buf[len - 1];
    if (pad == 0 || pad > len - hl)
      return FALSE;
    out->padding_len = pad;
  }
  out->payload_len = len - hl - out->padding_len;
  return TRUE;
}

void
hz_rtp_set_marker (guint8 *buf, gboolean marker)
{
  g_return_if_fail (buf != NULL);
  buf[1] = (guint8) ((buf[1] & 0x7F) | (marker ? 0x80 : 0));
}

void
hz_rtp_set_pt (guint8 *buf, guint8 pt)
{
  g_return_if_fail (buf != NULL);
  g_return_if_fail (pt <= 0x7F);
  buf[1] = (guint8) ((buf[1] & 0x80) | pt);
}

void
hz_rtp_set_seq (guint8 *buf, guint16 seq)
{
  g_return_if_fail (buf != NULL);
  hz_write_u16 (buf + 2, seq);
}

void
hz_rtp_set_ts (guint8 *buf, guint32 ts)
{
  g_return_if_fail (buf != NULL);
  hz_write_u32 (buf + 4, ts);
}

void
hz_rtp_set_ssrc (guint8 *buf, guint32 ssrc)
{
  g_return_if_fail (buf != NULL);
  hz_write_u32 (buf + 8, ssrc);
}

void
hz_rtp_ext_id_set_clear (HzRtpExtIdSet *set)
{
  g_return_if_fail (set != NULL);
  memset (set, 0, sizeof (*set));
}

void
hz_rtp_ext_id_set_add (HzRtpExtIdSet *set, guint8 id)
{
  g_return_if_fail (set != NULL);
  set->bits[id >> 5] |= 1u << (id & 31);
}

gboolean
hz_rtp_ext_id_set_contains (const HzRtpExtIdSet *set, guint8 id)
{
  g_return_val_if_fail (set != NULL, FALSE);
  return (set->bits[id >> 5] & (1u << (id & 31))) != 0;
}

/*
 * hz_rtp_ext_iter_init:
 * Prepares to walk the elements of the extension block of a parsed packet.
 * A packet without extension, or with a profile other than one-byte or
 * two-byte RFC 8285, yields no element.
 */
void
hz_rtp_ext_iter_init (HzRtpExtIter *iter, const guint8 *buf, const HzRtpView *view)
{
  g_return_if_fail (iter != NULL);
  g_return_if_fail (view != NULL);

  memset (iter, 0, sizeof (*iter));
  iter->buf = buf;
  if (!view->extension)
    return;
  if (view->ext_profile == HZ_RTP_EXT_PROFILE_ONE_BYTE)
    iter->two_byte = FALSE;
  else if ((view->ext_profile & 0xFFF0) == HZ_RTP_EXT_PROFILE_TWO_BYTE)
    iter->two_byte = TRUE;
  else
    return;
  iter->pos = view->ext_offset;
  iter->end = view->ext_offset + view->ext_len;
}

/*
 * hz_rtp_ext_iter_next:
 * Returns the next element, skipping padding bytes. Stops (FALSE) at the end
 * of the block, at a one-byte id 15 (RFC 8285 §4.2: terminates processing),
 * or at an element that overruns the block (then iter->malformed is set).
 * When it stops, iter->pos is where the usable elements ended.
 */
gboolean
hz_rtp_ext_iter_next (HzRtpExtIter *iter, HzRtpExtElement *out)
{
  g_return_val_if_fail (iter != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  while (iter->pos < iter->end) {
    const guint8 *p = iter->buf + iter->pos;
    gsize avail = iter->end - iter->pos;

    if (!iter->two_byte) {
      guint8 id = p[0] >> 4;
      guint8 elen = (guint8) ((p[0] & 0x0F) + 1);
      if (id == 0) {
        iter->pos++;
        continue;
      }
      if (id == 15)
        return FALSE;
      if (avail < 1 + (gsize) elen) {
        iter->malformed = TRUE;
        return FALSE;
      }
      out->id = id;
      out->len = elen;
      out->elem_offset = iter->pos;
      out->data_offset = iter->pos + 1;
      iter->pos += 1 + (gsize) elen;
      return TRUE;
    }

    if (p[0] == 0) {
      iter->pos++;
      continue;
    }
    if (avail < 2 || avail - 2 < p[1]) {
      iter->malformed = TRUE;
      return FALSE;
    }
    out->id = p[0];
    out->len = p[1];
    out->elem_offset = iter->pos;
    out->data_offset = iter->pos + 2;
    iter->pos += 2 + (gsize) p[1];
    return TRUE;
  }
  return FALSE;
}

/*
 * hz_rtp_ext_find:
 * Finds the first element with @id. On success @data points into @buf and
 * @len is its length (0 is possible only in the two-byte form).
 */
gboolean
hz_rtp_ext_find (const guint8 *buf,
                 const HzRtpView *view,
                 guint8 id,
                 const guint8 **data,
                 gsize *len)
{
  HzRtpExtIter iter;
  HzRtpExtElement el;

  g_return_val_if_fail (view != NULL, FALSE);

  if (id == 0)
    return FALSE;
  hz_rtp_ext_iter_init (&iter, buf, view);
  while (hz_rtp_ext_iter_next (&iter, &el)) {
    if (el.id != id)
      continue;
    if (data != NULL)
      *data = buf + el.data_offset;
    if (len != NULL)
      *len = el.len;
    return TRUE;
  }
  return FALSE;
}

/* Anything after where iteration stopped (an id 15 or a malformed element)
 * becomes padding too, so a receiver never parses bytes we did not vet. */
static void
hz_rtp_ext_zero_tail (guint8 *buf, const HzRtpExtIter *iter)
{
  if (iter->pos < iter->end)
    memset (buf + iter->pos, 0, iter->end - iter->pos);
}

/*
 * hz_rtp_ext_neutralize:
 * Turns every element whose id is not in @allowed into padding (zero bytes)
 * in place, so the packet can go to a receiver that negotiated other ids
 * without moving the payload. Returns the number of elements removed.
 */
guint
hz_rtp_ext_neutralize (guint8 *buf, const HzRtpView *view, const HzRtpExtIdSet *allowed)
{
  HzRtpExtIter iter;
  HzRtpExtElement el;
  guint removed = 0;

  g_return_val_if_fail (buf != NULL, 0);
  g_return_val_if_fail (view != NULL, 0);
  g_return_val_if_fail (allowed != NULL, 0);

  hz_rtp_ext_iter_init (&iter, buf, view);
  while (hz_rtp_ext_iter_next (&iter, &el)) {
    if (hz_rtp_ext_id_set_contains (allowed, el.id))
      continue;
    memset (buf + el.elem_offset, 0, el.data_offset - el.elem_offset + el.len);
    removed++;
  }
  hz_rtp_ext_zero_tail (buf, &iter);
  return removed;
}

/*
 * hz_rtp_ext_rewrite_ids:
 * Replaces each element id by @id_map[id] in place. A mapping to 0, or to an
 * id the block's form cannot carry (above 14 in the one-byte form), turns the
 * element into padding. Callers fill the identity for ids they keep.
 * Returns the number of elements changed (rewritten or removed).
 */
guint
hz_rtp_ext_rewrite_ids (guint8 *buf, const HzRtpView *view, const guint8 id_map[256])
{
  HzRtpExtIter iter;
  HzRtpExtElement el;
  guint changed = 0;

  g_return_val_if_fail (buf != NULL, 0);
  g_return_val_if_fail (view != NULL, 0);
  g_return_val_if_fail (id_map != NULL, 0);

  hz_rtp_ext_iter_init (&iter, buf, view);
  while (hz_rtp_ext_iter_next (&iter, &el)) {
    guint8 new_id = id_map[el.id];
    if (new_id == el.id)
      continue;
    changed++;
    if (new_id == 0 || (!iter.two_byte && new_id > 14)) {
      memset (buf + el.elem_offset, 0, el.data_offset - el.elem_offset + el.len);
      continue;
    }
    if (iter.two_byte)
      buf[el.elem_offset] = new_id;
    else
      buf[el.elem_offset] = (guint8) ((new_id << 4) | (buf[el.elem_offset] & 0x0F));
  }
  hz_rtp_ext_zero_tail (buf, &iter);
  return changed;
}

/*
 * hz_rtp_ext_read_sdes:
 * Reads an SDES-item extension (urn:ietf:params:rtp-hdrext:sdes:mid,
 * ...:sdes:rtp-stream-id, ...:sdes:repaired-rtp-stream-id) into @out as a
 * NUL-terminated string. Rejects empty values and bytes outside printable
 * ASCII (mid and rid are tokens, RFC 5888 / RFC 8851).
 */
gboolean
hz_rtp_ext_read_sdes (const guint8 *buf,
                      const HzRtpView *view,
                      guint8 id,
                      gchar out[HZ_RTP_SDES_MAX + 1])
{
  const guint8 *data = NULL;
  gsize len = 0;

  g_return_val_if_fail (out != NULL, FALSE);

  if (!hz_rtp_ext_find (buf, view, id, &data, &len) || len == 0)
    return FALSE;
  for (gsize i = 0; i < len; i++) {
    if (data[i] < 0x21 || data[i] > 0x7E)
      return FALSE;
  }
  memcpy (out, data, len);
  out[len] = '\0';
  return TRUE;
}

/*
 * hz_rtp_ext_read_audio_level:
 * RFC 6464 client-to-mixer audio level: @voice is the V bit, @level the
 * level in -dBov (0 loudest, 127 silence).
 */
gboolean
hz_rtp_ext_read_audio_level (const guint8 *buf,
                             const HzRtpView *view,
                             guint8 id,
                             gboolean *voice,
                             guint8 *level)
{
  const guint8 *data = NULL;
  gsize len = 0;

  if (!hz_rtp_ext_find (buf, view, id, &data, &len) || len < 1)
    return FALSE;
  if (voice != NULL)
    *voice = (data[0] & 0x80) != 0;
  if (level != NULL)
    *level = data[0] & 0x7F;
  return TRUE;
}

/* draft-holmer-rmcat-transport-wide-cc-extensions-01: 16-bit sequence number. */
gboolean
hz_rtp_ext_read_twcc_seq (const guint8 *buf, const HzRtpView *view, guint8 id, guint16 *seq)
{
  const guint8 *data = NULL;
  gsize len = 0;

  if (!hz_rtp_ext_find (buf, view, id, &data, &len) || len < 2)
    return FALSE;
  if (seq != NULL)
    *seq = hz_read_u16 (data);
  return TRUE;
}

/*
 * hz_rtp_ext_write_twcc_seq:
 * Overwrites the transport-wide sequence number in place; FALSE when the
 * packet has no such element (the SFU then cannot add one without moving
 * the payload, and the caller decides).
 */
gboolean
hz_rtp_ext_write_twcc_seq (guint8 *buf, const HzRtpView *view, guint8 id, guint16 seq)
{
  const guint8 *data = NULL;
  gsize len = 0;

  g_return_val_if_fail (buf != NULL, FALSE);

  if (!hz_rtp_ext_find (buf, view, id, &data, &len) || len < 2)
    return FALSE;
  hz_write_u16 (buf + (data - buf), seq);
  return TRUE;
}

/* abs-send-time (webrtc.org): 24-bit 6.18 fixed-point seconds. */
gboolean
hz_rtp_ext_read_abs_send_time (const guint8 *buf,
                               const HzRtpView *view,
                               guint8 id,
                               guint32 *abs_send_time)
{
  const guint8 *data = NULL;
  gsize len = 0;

  if (!hz_rtp_ext_find (buf, view, id, &data, &len) || len < 3)
    return FALSE;
  if (abs_send_time != NULL)
    *abs_send_time = hz_read_u24 (data);
  return TRUE;
}
