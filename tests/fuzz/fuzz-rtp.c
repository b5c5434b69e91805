/* fuzz-rtp.c: every read path over one datagram: demux, STUN check, RTP
 * parse, extension iteration and readers, codec inspection, RED (RFC 2198)
 * primary lookup; then the in-place writers on a copy, checking that they
 * keep the packet valid, and the RED-to-primary rewrite (copy and in place). */
#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hz-codec.h"
#include "hz-demux.h"
#include "hz-red.h"
#include "hz-rtp.h"

static void
read_extensions (const guint8 *buf, const HzRtpView *v)
{
  HzRtpExtIter it;
  HzRtpExtElement el;
  gchar s[HZ_RTP_SDES_MAX + 1];
  gboolean voice;
  guint8 level;
  guint16 seq;
  guint32 ast;

  hz_rtp_ext_iter_init (&it, buf, v);
  while (hz_rtp_ext_iter_next (&it, &el)) {
    const guint8 *data = NULL;
    gsize len = 0;
    if (!hz_rtp_ext_find (buf, v, el.id, &data, &len))
      abort (); /* an element the iterator returned must be found */
    if (data < buf + v->ext_offset || data + len > buf + v->ext_offset + v->ext_len)
      abort ();
    hz_rtp_ext_read_sdes (buf, v, el.id, s);
    hz_rtp_ext_read_audio_level (buf, v, el.id, &voice, &level);
    hz_rtp_ext_read_twcc_seq (buf, v, el.id, &seq);
    hz_rtp_ext_read_abs_send_time (buf, v, el.id, &ast);
  }
}

static void
read_payload (const guint8 *p, gsize len)
{
  HzVp8Descriptor d;

  if (hz_vp8_descriptor_parse (p, len, &d) && d.header_len >= len)
    abort ();
  hz_vp8_is_keyframe (p, len);
  hz_h264_is_keyframe (p, len);
  hz_codec_is_keyframe (HZ_CODEC_OPUS, p, len);
}

/* the primary block lies inside the payload; the rewrite gives a valid
 * RTP packet carrying exactly that block, the same copied or in place */
static void
read_red (const guint8 *data, size_t size, const HzRtpView *v)
{
  const guint8 *p = data + v->payload_offset;
  g_autofree guint8 *out = g_malloc (size);
  g_autofree guint8 *inplace = g_memdup2 (data, size);
  guint8 pt = 0;
  gsize off = 0, blen = 0, n, n2;
  HzRtpView v2;

  if (!hz_red_primary (p, v->payload_len, &pt, &off, &blen)) {
    if (hz_red_to_primary (data, size, out, size) != 0)
      abort ();
    return;
  }
  if (blen == 0 || off + blen != v->payload_len || pt > 127)
    abort ();
  n = hz_red_to_primary (data, size, out, size);
  if (n != v->header_len + blen || !hz_rtp_parse (out, n, &v2) || v2.pt != pt || v2.padding ||
      v2.payload_len != blen || memcmp (out + v2.payload_offset, p + off, blen) != 0)
    abort ();
  n2 = hz_red_to_primary (inplace, size, inplace, size);
  if (n2 != n || memcmp (inplace, out, n) != 0)
    abort ();
  if (hz_red_to_primary (data, size, out, n - 1) != 0)
    abort (); /* one byte short of room */
}

static void
write_copy (const guint8 *data, size_t size, const HzRtpView *v)
{
  g_autofree guint8 *copy = g_memdup2 (data, size);
  HzRtpExtIdSet allowed;
  HzRtpExtIter it;
  HzRtpExtElement el;
  HzRtpView v2;
  HzVp8Descriptor d;
  guint8 map[256];

  hz_rtp_set_ssrc (copy, 0x01020304);
  hz_rtp_set_pt (copy, 96);
  hz_rtp_set_seq (copy, 0xffff);
  hz_rtp_set_ts (copy, 0x80000000);
  hz_rtp_set_marker (copy, !v->marker);
  hz_rtp_ext_write_twcc_seq (copy, v, 5, 0x1234);

  /* the allowed set and the id map come from the packet's own bytes */
  hz_rtp_ext_id_set_clear (&allowed);
  for (guint i = 0; i < 8 && i < size; i++)
    allowed.bits[i] = (guint32) data[size - 1 - i] * 0x01010101u;
  hz_rtp_ext_neutralize (copy, v, &allowed);
  if (!hz_rtp_parse (copy, size, &v2) || v2.header_len != v->header_len ||
      v2.payload_len != v->payload_len ||
      memcmp (copy + v->payload_offset, data + v->payload_offset, v->payload_len) != 0)
    abort ();
  hz_rtp_ext_iter_init (&it, copy, &v2);
  while (hz_rtp_ext_iter_next (&it, &el)) {
    if (!hz_rtp_ext_id_set_contains (&allowed, el.id))
      abort (); /* a neutralized packet carries only allowed ids */
  }
  if (it.malformed)
    abort (); /* nothing unvetted is left for a receiver to trip on */

  for (guint i = 0; i < 256; i++)
    map[i] = (guint8) (i * 7 + (size & 0xff));
  hz_rtp_ext_rewrite_ids (copy, &v2, map);
  if (!hz_rtp_parse (copy, size, &v2))
    abort ();
  read_extensions (copy, &v2);

  if (hz_vp8_descriptor_parse (copy + v2.payload_offset, v2.payload_len, &d)) {
    hz_vp8_set_picture_id (copy + v2.payload_offset, &d, 0x7fff);
    hz_vp8_set_tl0picidx (copy + v2.payload_offset, &d, 0xff);
  }
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  HzRtpView v;

  hz_demux_classify (data, size);
  hz_stun_is_plausible (data, size);
  read_payload (data, size);
  if (!hz_rtp_parse (data, size, &v))
    return 0;
  if (v.header_len + v.payload_len + v.padding_len != size)
    abort ();
  read_extensions (data, &v);
  read_payload (data + v.payload_offset, v.payload_len);
  read_red (data, size, &v);
  write_copy (data, size, &v);
  return 0;
}
