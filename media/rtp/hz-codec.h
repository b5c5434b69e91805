/* hz-codec.h: what the SFU needs to know about RTP payloads: key-frame
 * detection for VP8 (RFC 7741), H.264 (RFC 6184) and Opus, and the VP8
 * payload descriptor with in-place picture id / TL0PICIDX rewriting for
 * simulcast switching. No allocation, no logging, no clocks. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  HZ_CODEC_UNKNOWN = 0,
  HZ_CODEC_OPUS,
  HZ_CODEC_VP8,
  HZ_CODEC_H264,
} HzCodec;

/* RFC 7741 §4.2 payload descriptor. Offsets are relative to the payload. */
typedef struct {
  gboolean non_reference;   /* N */
  gboolean start;           /* S: start of a VP8 partition */
  guint8 partition_id;      /* PID */
  gboolean has_picture_id;  /* I */
  guint8 picture_id_bits;   /* 7 or 15 (M bit), 0 when absent */
  guint16 picture_id;
  gsize picture_id_offset;
  gboolean has_tl0picidx;   /* L */
  guint8 tl0picidx;
  gsize tl0picidx_offset;
  gboolean has_tid;         /* T */
  guint8 tid;
  gboolean layer_sync;      /* Y */
  gboolean has_keyidx;      /* K */
  guint8 keyidx;
  gsize header_len;         /* descriptor bytes; the VP8 payload follows */
} HzVp8Descriptor;

gboolean hz_vp8_descriptor_parse (const guint8 *payload, gsize len, HzVp8Descriptor *out);
gboolean hz_vp8_is_keyframe (const guint8 *payload, gsize len);
void hz_vp8_set_picture_id (guint8 *payload, const HzVp8Descriptor *desc, guint16 picture_id);
void hz_vp8_set_tl0picidx (guint8 *payload, const HzVp8Descriptor *desc, guint8 tl0picidx);

gboolean hz_h264_is_keyframe (const guint8 *payload, gsize len);

gboolean hz_codec_is_keyframe (HzCodec codec, const guint8 *payload, gsize len);
HzCodec hz_codec_from_name (const gchar *encoding_name);

G_END_DECLS
