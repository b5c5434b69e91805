/* hz-codec.c: payload inspection for key frames and VP8 descriptor
 * rewriting. Hand-written: a few bit tests per packet, and GStreamer's
 * depayloaders are whole elements, not functions over a buffer. */
#include "hz-codec.h"

#include <string.h>

#include "hz-bytes.h"

/*
 * hz_vp8_descriptor_parse:
 * Parses the RFC 7741 §4.2 payload descriptor. FALSE when the descriptor
 * does not fit in @len or leaves no VP8 payload after it.
 */
gboolean
hz_vp8_descriptor_parse (const guint8 *payload, gsize len, HzVp8Descriptor *out)
{
  gsize pos = 1;

  g_return_val_if_fail (out != NULL, FALSE);

  if (payload == NULL || len < 1)
    return FALSE;
  memset (out, 0, sizeof (*out));
  out->non_reference = (payload[0] & 0x20) != 0;
  out->start = (payload[0] & 0x10) != 0;
  out->partition_id = payload[0] & 0x07;
  if (payload[0] & 0x80) {
    guint8 x;
    if (len < 2)
      return FALSE;
    x = payload[1];
    pos = 2;
    out->has_picture_id = (x & 0x80) != 0;
    out->has_tl0picidx = (x & 0x40) != 0;
    out->has_tid = (x & 0x20) != 0;
    out->has_keyidx = (x & 0x10) != 0;
    if (out->has_picture_id) {
      if (len <= pos)
        return FALSE;
      out->picture_id_offset = pos;
      if (payload[pos] & 0x80) {
        if (len <= pos + 1)
          return FALSE;
        out->picture_id_bits = 15;
        out->picture_id = (guint16) (hz_read_u16 (payload + pos) & 0x7FFF);
        pos += 2;
      } else {
        out->picture_id_bits = 7;
        out->picture_id = payload[pos] & 0x7F;
        pos += 1;
      }
    }
    if (out->has_tl0picidx) {
      if (len <= pos)
        return FALSE;
      out->tl0picidx_offset = pos;
      out->tl0picidx = payload[pos];
      pos += 1;
    }
    if (out->has_tid || out->has_keyidx) {
      if (len <= pos)
        return FALSE;
      if (out->has_tid) {
        out->tid = payload[pos] >> 6;
        out->layer_sync = (payload[pos] & 0x20) != 0;
      }
      if (out->has_keyidx)
        out->keyidx = payload[pos] & 0x1F;
      pos += 1;
    }
  }
  if (len <= pos)
    return FALSE;
  out->header_len = pos;
  return TRUE;
}

/*
 * hz_vp8_is_keyframe:
 * TRUE for the first packet of a key frame: start of partition 0 (S=1,
 * PID=0) whose VP8 frame tag has P=0 (RFC 6386 §9.1); when the packet holds
 * the key frame start code it must be 9d 01 2a.
 */
gboolean
hz_vp8_is_keyframe (const guint8 *payload, gsize len)
{
  HzVp8Descriptor d;
  const guint8 *vp8;
  gsize vlen;

  if (!hz_vp8_descriptor_parse (payload, len, &d))
    return FALSE;
  if (!d.start || d.partition_id != 0)
    return FALSE;
  vp8 = payload + d.header_len;
  vlen = len - d.header_len;
  if (vlen < 3 || (vp8[0] & 0x01) != 0)
    return FALSE;
  if (vlen >= 6 && !(vp8[3] == 0x9d && vp8[4] == 0x01 && vp8[5] == 0x2a))
    return FALSE;
  return TRUE;
}

/* Writes @picture_id keeping the descriptor's width (7 or 15 bits, taken
 * modulo). Does nothing when the descriptor has no picture id. */
void
hz_vp8_set_picture_id (guint8 *payload, const HzVp8Descriptor *desc, guint16 picture_id)
{
  g_return_if_fail (payload != NULL);
  g_return_if_fail (desc != NULL);

  if (desc->picture_id_bits == 15)
    hz_write_u16 (payload + desc->picture_id_offset, (guint16) (0x8000 | (picture_id & 0x7FFF)));
  else if (desc->picture_id_bits == 7)
    payload[desc->picture_id_offset] = picture_id & 0x7F;
}

void
hz_vp8_set_tl0picidx (guint8 *payload, const HzVp8Descriptor *desc, guint8 tl0picidx)
{
  g_return_if_fail (payload != NULL);
  g_return_if_fail (desc != NULL);

  if (desc->has_tl0picidx)
    payload[desc->tl0picidx_offset] = tl0picidx;
}

static gboolean
hz_h264_nal_is_key (guint8 nal_type)
{
  return nal_type == 5 || nal_type == 7; /* IDR slice, SPS */
}

/*
 * hz_h264_is_keyframe:
 * RFC 6184 non-interleaved mode: a single NAL unit of type 5 (IDR) or 7
 * (SPS), a STAP-A (24) aggregating one, or the first fragment (S=1) of an
 * FU-A (28) of one. A STAP-A whose sizes overrun the payload is not a key
 * frame.
 */
gboolean
hz_h264_is_keyframe (const guint8 *payload, gsize len)
{
  guint8 type;

  if (payload == NULL || len < 1)
    return FALSE;
  type = payload[0] & 0x1F;
  if (type >= 1 && type <= 23)
    return hz_h264_nal_is_key (type);
  if (type == 24) {
    gboolean key = FALSE;
    gsize pos = 1;
    while (pos < len) {
      gsize nal_len;
      if (len - pos < 2)
        return FALSE;
      nal_len = hz_read_u16 (payload + pos);
      pos += 2;
      if (nal_len == 0 || nal_len > len - pos)
        return FALSE;
      if (hz_h264_nal_is_key (payload[pos] & 0x1F))
        key = TRUE;
      pos += nal_len;
    }
    return key;
  }
  if (type == 28) {
    if (len < 2)
      return FALSE;
    return (payload[1] & 0x80) != 0 && hz_h264_nal_is_key (payload[1] & 0x1F);
  }
  return FALSE;
}

/* Opus frames are independently decodable: every packet is a "key frame". */
gboolean
hz_codec_is_keyframe (HzCodec codec, const guint8 *payload, gsize len)
{
  switch (codec) {
  case HZ_CODEC_OPUS:
    return TRUE;
  case HZ_CODEC_VP8:
    return hz_vp8_is_keyframe (payload, len);
  case HZ_CODEC_H264:
    return hz_h264_is_keyframe (payload, len);
  case HZ_CODEC_UNKNOWN:
  default:
    return FALSE;
  }
}

/* Maps an SDP rtpmap encoding name (case-insensitive) to a codec. */
HzCodec
hz_codec_from_name (const gchar *encoding_name)
{
  if (encoding_name == NULL)
    return HZ_CODEC_UNKNOWN;
  if (g_ascii_strcasecmp (encoding_name, "opus") == 0)
    return HZ_CODEC_OPUS;
  if (g_ascii_strcasecmp (encoding_name, "VP8") == 0)
    return HZ_CODEC_VP8;
  if (g_ascii_strcasecmp (encoding_name, "H264") == 0)
    return HZ_CODEC_H264;
  return HZ_CODEC_UNKNOWN;
}
