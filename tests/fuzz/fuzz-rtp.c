/* fuzz-rtp.c: every read path over one datagram: demux, STUN check, RTP
 * parse, extension iteration and readers, codec inspection; then the
 * in-place writers on a copy, checking that they keep the packet valid. */
#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hz-codec.h"
#include "hz-demux.h"
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
  write_copy (data, size, &v);
  return 0;
}
