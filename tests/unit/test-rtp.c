/* test-rtp.c: RTP header parsing and setters, RFC 8285 header extensions
 * (lookup, readers, neutralize, id rewrite) and payload inspection
 * (hz-codec: VP8 descriptor, key frames for VP8 / H.264 / Opus). */
#include <glib.h>
#include <string.h>

#include "hz-codec.h"
#include "hz-rtp.h"

/* Opus from Chromium with a one-byte (0xBEDE) extension block. */
static const guint8 opus_one_byte[] = {
  0x90, 0x6f, 0x12, 0x34, /* V=2 P=0 X=1 CC=0, M=0 PT=111, seq 0x1234 */
  0x00, 0x00, 0x03, 0xe8, /* timestamp 1000 */
  0xde, 0xad, 0xbe, 0xef, /* ssrc */
  0xbe, 0xde, 0x00, 0x03, /* profile 0xBEDE, 3 words */
  0x10, 0xaa,             /* id 1 len 1: audio level V=1 level 42 */
  0x30, '0',              /* id 3 len 1: sdes:mid "0" */
  0x51, 0x00, 0x07,       /* id 5 len 2: transport-wide seq 7 */
  0x22, 0x12, 0x34, 0x56, /* id 2 len 3: abs-send-time 0x123456 */
  0x00,                   /* padding */
  0xfc, 0xff, 0xfe,       /* Opus payload (TOC + 2 bytes) */
};

/* VP8 with a two-byte (0x1000) extension block, ids above 14. */
static const guint8 vp8_two_byte[] = {
  0x90, 0xe0, 0x00, 0x10, /* V=2 X=1, M=1 PT=96, seq 16 */
  0x00, 0x01, 0x5f, 0x90, /* timestamp 90000 */
  0x01, 0x02, 0x03, 0x04, /* ssrc */
  0x10, 0x00, 0x00, 0x04, /* profile 0x1000, 4 words */
  0x03, 0x01, '1',        /* id 3 len 1: sdes:mid "1" */
  0x00,                   /* padding */
  0x10, 0x00,             /* id 16 len 0 */
  0x0a, 0x02, 0x00, 0x2a, /* id 10 len 2: transport-wide seq 42 */
  0x14, 0x01, 'h',        /* id 20 len 1: rid "h" */
  0x00, 0x00, 0x00,       /* padding */
  0x10, 0x00, 0x00,       /* VP8 descriptor + payload bytes */
};

/* Two CSRCs, padding, no extension. */
static const guint8 csrc_padded[] = {
  0xa2, 0x08, 0xff, 0xff, /* V=2 P=1 X=0 CC=2, PT=8, seq 65535 */
  0xff, 0xff, 0xff, 0xff, /* timestamp */
  0x00, 0x00, 0x00, 0x01, /* ssrc 1 */
  0x00, 0x00, 0x00, 0x02, /* csrc 2 */
  0x00, 0x00, 0x00, 0x03, /* csrc 3 */
  0xd5, 0xd5, 0xd5, 0xd5, /* 4 payload bytes */
  0x00, 0x00, 0x03,       /* 3 padding bytes, count 3 */
};

static void
test_rtp_parse_one_byte (void)
{
  HzRtpView v;

  g_assert_true (hz_rtp_parse (opus_one_byte, sizeof opus_one_byte, &v));
  g_assert_false (v.marker);
  g_assert_cmpuint (v.pt, ==, 111);
  g_assert_cmpuint (v.seq, ==, 0x1234);
  g_assert_cmpuint (v.ts, ==, 1000);
  g_assert_cmpuint (v.ssrc, ==, 0xdeadbeef);
  g_assert_cmpuint (v.ext_profile, ==, 0xbede);
  g_assert_cmpuint (v.ext_offset, ==, 16);
  g_assert_cmpuint (v.ext_len, ==, 12);
  g_assert_cmpuint (v.header_len, ==, 28);
  g_assert_cmpuint (v.payload_offset, ==, 28);
  g_assert_cmpuint (v.payload_len, ==, 3);
}

static void
test_rtp_parse_csrc_padding (void)
{
  HzRtpView v;

  g_assert_true (hz_rtp_parse (csrc_padded, sizeof csrc_padded, &v));
  g_assert_cmpuint (v.csrc_count, ==, 2);
  g_assert_true (v.padding);
  g_assert_cmpuint (v.seq, ==, 65535);
  g_assert_cmpuint (v.header_len, ==, 20);
  g_assert_cmpuint (v.padding_len, ==, 3);
  g_assert_cmpuint (v.payload_len, ==, 4);
  g_assert_cmpuint (v.ext_profile, ==, 0);
}

static void
test_rtp_parse_rejects (void)
{
  HzRtpView v;
  guint8 p[sizeof csrc_padded];

  /* version 1 */
  memcpy (p, csrc_padded, sizeof p);
  p[0] = (p[0] & 0x3f) | 0x40;
  g_assert_false (hz_rtp_parse (p, sizeof p, &v));
  /* padding count 0 */
  memcpy (p, csrc_padded, sizeof p);
  p[sizeof p - 1] = 0;
  g_assert_false (hz_rtp_parse (p, sizeof p, &v));
  /* padding count eating into the CSRC list */
  p[sizeof p - 1] = 8;
  g_assert_false (hz_rtp_parse (p, sizeof p, &v));
  /* padding count exactly the payload: accepted, empty payload */
  p[sizeof p - 1] = 7;
  g_assert_true (hz_rtp_parse (p, sizeof p, &v));
  g_assert_cmpuint (v.payload_len, ==, 0);
  /* CSRC count 15 does not fit */
  memcpy (p, csrc_padded, sizeof p);
  p[0] |= 0x0f;
  g_assert_false (hz_rtp_parse (p, sizeof p, &v));
  /* extension length overruns the packet */
  {
    guint8 q[sizeof opus_one_byte];
    memcpy (q, opus_one_byte, sizeof q);
    q[15] = 0x05;
    g_assert_false (hz_rtp_parse (q, sizeof q, &v));
  }
}

/* Every prefix: a prefix shorter than the header is rejected; a longer one
 * is accepted only with payload and padding inside it. Each prefix lives in
 * an exactly sized heap copy so ASan catches any read past it. */
static void
test_rtp_parse_truncation (void)
{
  const struct {
    const guint8 *pkt;
    gsize len;
    gsize header_len;
  } cases[] = {
    { opus_one_byte, sizeof opus_one_byte, 28 },
    { vp8_two_byte, sizeof vp8_two_byte, 32 },
    { csrc_padded, sizeof csrc_padded, 20 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    for (gsize l = 0; l < cases[i].len; l++) {
      g_autofree guint8 *copy = g_memdup2 (cases[i].pkt, l);
      HzRtpView v;
      gboolean ok = hz_rtp_parse (copy, l, &v);
      if (l < cases[i].header_len) {
        g_assert_false (ok);
        continue;
      }
      if (ok)
        g_assert_cmpuint (v.header_len + v.payload_len + v.padding_len, ==, l);
    }
  }
  /* the padded packet cut anywhere after its header has a bad count */
  for (gsize l = 20; l < sizeof csrc_padded; l++) {
    HzRtpView v;
    g_autofree guint8 *copy = g_memdup2 (csrc_padded, l);
    if (l >= 21 && l <= 24)
      continue; /* ends in a 0xd5 payload byte: count 213 > length, rejected below */
    g_assert_false (hz_rtp_parse (copy, l, &v));
  }
  for (gsize l = 21; l <= 24; l++) {
    HzRtpView v;
    g_autofree guint8 *copy = g_memdup2 (csrc_padded, l);
    g_assert_false (hz_rtp_parse (copy, l, &v));
  }
}

static void
test_rtp_setters (void)
{
  guint8 p[sizeof opus_one_byte];
  HzRtpView v;

  memcpy (p, opus_one_byte, sizeof p);
  hz_rtp_set_ssrc (p, 0x01020304);
  hz_rtp_set_pt (p, 100);
  hz_rtp_set_seq (p, 0xfffe);
  hz_rtp_set_ts (p, 0x80000001);
  hz_rtp_set_marker (p, TRUE);
  g_assert_true (hz_rtp_parse (p, sizeof p, &v));
  g_assert_cmpuint (v.ssrc, ==, 0x01020304);
  g_assert_cmpuint (v.pt, ==, 100);
  g_assert_cmpuint (v.seq, ==, 0xfffe);
  g_assert_cmpuint (v.ts, ==, 0x80000001);
  g_assert_true (v.marker);
  /* nothing else moved: X bit, extension block, payload */
  g_assert_cmpuint (v.ext_profile, ==, 0xbede);
  g_assert_cmpmem (p + 12, sizeof p - 12, opus_one_byte + 12, sizeof p - 12);
  hz_rtp_set_marker (p, FALSE);
  g_assert_cmpuint (p[1], ==, 100);
}

static void
test_rtp_ext_readers_one_byte (void)
{
  HzRtpView v;
  gchar mid[HZ_RTP_SDES_MAX + 1];
  gboolean voice = FALSE;
  guint8 level = 0;
  guint16 seq = 0;
  guint32 ast = 0;
  const guint8 *data = NULL;
  gsize len = 0;

  g_assert_true (hz_rtp_parse (opus_one_byte, sizeof opus_one_byte, &v));
  g_assert_true (hz_rtp_ext_read_audio_level (opus_one_byte, &v, 1, &voice, &level));
  g_assert_true (voice);
  g_assert_cmpuint (level, ==, 42);
  g_assert_true (hz_rtp_ext_read_sdes (opus_one_byte, &v, 3, mid));
  g_assert_cmpstr (mid, ==, "0");
  g_assert_true (hz_rtp_ext_read_twcc_seq (opus_one_byte, &v, 5, &seq));
  g_assert_cmpuint (seq, ==, 7);
  g_assert_true (hz_rtp_ext_read_abs_send_time (opus_one_byte, &v, 2, &ast));
  g_assert_cmpuint (ast, ==, 0x123456);
  g_assert_true (hz_rtp_ext_find (opus_one_byte, &v, 2, &data, &len));
  g_assert_cmpuint (len, ==, 3);
  g_assert_true (data == opus_one_byte + 24);
  /* absent ids, and an id whose element is too short for the reader */
  g_assert_false (hz_rtp_ext_find (opus_one_byte, &v, 4, NULL, NULL));
  g_assert_false (hz_rtp_ext_find (opus_one_byte, &v, 0, NULL, NULL));
  g_assert_false (hz_rtp_ext_read_twcc_seq (opus_one_byte, &v, 1, &seq));
  g_assert_false (hz_rtp_ext_read_abs_send_time (opus_one_byte, &v, 5, &ast));
}

static void
test_rtp_ext_readers_two_byte (void)
{
  HzRtpView v;
  gchar s[HZ_RTP_SDES_MAX + 1];
  guint16 seq = 0;
  gsize len = 99;

  g_assert_true (hz_rtp_parse (vp8_two_byte, sizeof vp8_two_byte, &v));
  g_assert_true (v.marker);
  g_assert_cmpuint (v.pt, ==, 96);
  g_assert_true (hz_rtp_ext_read_sdes (vp8_two_byte, &v, 3, s));
  g_assert_cmpstr (s, ==, "1");
  g_assert_true (hz_rtp_ext_read_sdes (vp8_two_byte, &v, 20, s));
  g_assert_cmpstr (s, ==, "h");
  g_assert_true (hz_rtp_ext_read_twcc_seq (vp8_two_byte, &v, 10, &seq));
  g_assert_cmpuint (seq, ==, 42);
  g_assert_true (hz_rtp_ext_find (vp8_two_byte, &v, 16, NULL, &len));
  g_assert_cmpuint (len, ==, 0);
  /* an empty value is not a valid mid/rid */
  g_assert_false (hz_rtp_ext_read_sdes (vp8_two_byte, &v, 16, s));
}

static void
test_rtp_ext_sdes_rejects_control_bytes (void)
{
  guint8 p[sizeof opus_one_byte];
  gchar mid[HZ_RTP_SDES_MAX + 1];
  HzRtpView v;

  memcpy (p, opus_one_byte, sizeof p);
  p[19] = '\n'; /* the mid value */
  g_assert_true (hz_rtp_parse (p, sizeof p, &v));
  g_assert_false (hz_rtp_ext_read_sdes (p, &v, 3, mid));
}

typedef struct {
  guint n;
  guint8 ids[32];
  guint8 lens[32];
  guint8 data[32][16];
} ElementList;

static void
collect_elements (const guint8 *buf, const HzRtpView *v, ElementList *list)
{
  HzRtpExtIter it;
  HzRtpExtElement el;

  memset (list, 0, sizeof (*list));
  hz_rtp_ext_iter_init (&it, buf, v);
  while (hz_rtp_ext_iter_next (&it, &el)) {
    list->ids[list->n] = el.id;
    list->lens[list->n] = el.len;
    memcpy (list->data[list->n], buf + el.data_offset, MIN (el.len, 16));
    list->n++;
  }
  g_assert_false (it.malformed);
}

/* Neutralize keeps only the allowed elements; those parse byte for byte as
 * before, the payload and the packet length are unchanged. */
static void
test_rtp_ext_neutralize (void)
{
  const guint8 *fixtures[] = { opus_one_byte, vp8_two_byte };
  gsize sizes[] = { sizeof opus_one_byte, sizeof vp8_two_byte };

  for (guint f = 0; f < G_N_ELEMENTS (fixtures); f++) {
    g_autofree guint8 *p = g_memdup2 (fixtures[f], sizes[f]);
    ElementList before, after;
    HzRtpExtIdSet allowed;
    HzRtpView v, v2;
    guint expected = 0;
    guint removed;

    g_assert_true (hz_rtp_parse (p, sizes[f], &v));
    collect_elements (p, &v, &before);
    hz_rtp_ext_id_set_clear (&allowed);
    hz_rtp_ext_id_set_add (&allowed, 5);  /* twcc in the one-byte fixture */
    hz_rtp_ext_id_set_add (&allowed, 20); /* rid in the two-byte fixture */
    hz_rtp_ext_id_set_add (&allowed, 10); /* twcc in the two-byte fixture */
    removed = hz_rtp_ext_neutralize (p, &v, &allowed);

    g_assert_true (hz_rtp_parse (p, sizes[f], &v2));
    g_assert_cmpuint (v2.header_len, ==, v.header_len);
    g_assert_cmpmem (p + v.payload_offset, v.payload_len,
                     fixtures[f] + v.payload_offset, v.payload_len);
    collect_elements (p, &v2, &after);
    for (guint i = 0; i < before.n; i++) {
      if (!hz_rtp_ext_id_set_contains (&allowed, before.ids[i]))
        continue;
      g_assert_cmpuint (after.ids[expected], ==, before.ids[i]);
      g_assert_cmpuint (after.lens[expected], ==, before.lens[i]);
      g_assert_cmpmem (after.data[expected], MIN (after.lens[expected], 16),
                       before.data[i], MIN (before.lens[i], 16));
      expected++;
    }
    g_assert_cmpuint (after.n, ==, expected);
    g_assert_cmpuint (removed, ==, before.n - expected);
    g_assert_cmpuint (removed, >, 0);
  }
}

static void
test_rtp_ext_rewrite_ids (void)
{
  guint8 p[sizeof opus_one_byte];
  guint8 map[256];
  HzRtpView v;
  gboolean voice;
  guint8 level;
  guint16 seq;
  guint32 ast;
  gchar mid[HZ_RTP_SDES_MAX + 1];

  memcpy (p, opus_one_byte, sizeof p);
  for (guint i = 0; i < 256; i++)
    map[i] = (guint8) i;
  map[1] = 4;  /* audio level moves to id 4 */
  map[5] = 0;  /* twcc dropped */
  map[2] = 15; /* not representable in one-byte form: dropped */
  g_assert_true (hz_rtp_parse (p, sizeof p, &v));
  g_assert_cmpuint (hz_rtp_ext_rewrite_ids (p, &v, map), ==, 3);
  g_assert_false (hz_rtp_ext_find (p, &v, 1, NULL, NULL));
  g_assert_true (hz_rtp_ext_read_audio_level (p, &v, 4, &voice, &level));
  g_assert_cmpuint (level, ==, 42);
  g_assert_true (hz_rtp_ext_read_sdes (p, &v, 3, mid));
  g_assert_cmpstr (mid, ==, "0");
  g_assert_false (hz_rtp_ext_read_twcc_seq (p, &v, 5, &seq));
  g_assert_false (hz_rtp_ext_read_abs_send_time (p, &v, 2, &ast));
  g_assert_false (hz_rtp_ext_read_abs_send_time (p, &v, 15, &ast));
  g_assert_cmpmem (p + 28, 3, opus_one_byte + 28, 3);

  /* two-byte form can carry any id */
  {
    g_autofree guint8 *q = g_memdup2 (vp8_two_byte, sizeof vp8_two_byte);
    gchar rid[HZ_RTP_SDES_MAX + 1];
    map[2] = 2;
    map[20] = 200;
    g_assert_true (hz_rtp_parse (q, sizeof vp8_two_byte, &v));
    g_assert_cmpuint (hz_rtp_ext_rewrite_ids (q, &v, map), ==, 1);
    g_assert_true (hz_rtp_ext_read_sdes (q, &v, 200, rid));
    g_assert_cmpstr (rid, ==, "h");
  }
}

/* An element overrunning the block, and the reserved id 15, end parsing;
 * neutralize turns what could not be vetted into padding. */
static void
test_rtp_ext_malformed (void)
{
  guint8 p[] = {
    0x90, 0x6f, 0x00, 0x01, /* V=2 X=1, PT=111, seq 1 */
    0x00, 0x00, 0x00, 0x00, /* timestamp */
    0x00, 0x00, 0x00, 0x09, /* ssrc */
    0xbe, 0xde, 0x00, 0x02, /* profile 0xBEDE, 2 words */
    0x10, 0x7f,             /* id 1 len 1: audio level 127 */
    0x25, 0x01, 0x02, 0x03, /* id 2 len 6: overruns the block by 1 byte */
    0x00, 0x00,             /* (outside the element's reach) */
    0xfc,                   /* payload */
  };
  HzRtpExtIdSet all;
  HzRtpExtIter it;
  HzRtpExtElement el;
  HzRtpView v;
  guint8 level;

  g_assert_true (hz_rtp_parse (p, sizeof p, &v));
  g_assert_true (hz_rtp_ext_read_audio_level (p, &v, 1, NULL, &level));
  g_assert_cmpuint (level, ==, 127);
  g_assert_false (hz_rtp_ext_find (p, &v, 2, NULL, NULL));
  hz_rtp_ext_iter_init (&it, p, &v);
  g_assert_true (hz_rtp_ext_iter_next (&it, &el));
  g_assert_false (hz_rtp_ext_iter_next (&it, &el));
  g_assert_true (it.malformed);

  memset (&all, 0xff, sizeof all);
  g_assert_cmpuint (hz_rtp_ext_neutralize (p, &v, &all), ==, 0);
  g_assert_cmpuint (p[18], ==, 0);
  g_assert_cmpuint (p[21], ==, 0);
  g_assert_cmpuint (p[17], ==, 0x7f);

  /* id 15 stops processing: the element after it is not found */
  p[18] = 0xf0;
  p[19] = 0x20; /* id 2 len 1 after the terminator */
  g_assert_false (hz_rtp_ext_find (p, &v, 2, NULL, NULL));
  hz_rtp_ext_iter_init (&it, p, &v);
  g_assert_true (hz_rtp_ext_iter_next (&it, &el));
  g_assert_false (hz_rtp_ext_iter_next (&it, &el));
  g_assert_false (it.malformed);
}

static void
test_rtp_ext_unknown_profile (void)
{
  guint8 p[sizeof opus_one_byte];
  HzRtpView v;

  memcpy (p, opus_one_byte, sizeof p);
  p[12] = 0xab; /* profile 0xABDE: not RFC 8285 */
  g_assert_true (hz_rtp_parse (p, sizeof p, &v));
  g_assert_false (hz_rtp_ext_find (p, &v, 1, NULL, NULL));
}

static void
test_rtp_ext_write_twcc (void)
{
  guint8 p[sizeof opus_one_byte];
  HzRtpView v;
  guint16 seq = 0;

  memcpy (p, opus_one_byte, sizeof p);
  g_assert_true (hz_rtp_parse (p, sizeof p, &v));
  g_assert_true (hz_rtp_ext_write_twcc_seq (p, &v, 5, 0xbeef));
  g_assert_true (hz_rtp_ext_read_twcc_seq (p, &v, 5, &seq));
  g_assert_cmpuint (seq, ==, 0xbeef);
  g_assert_cmpuint (p[21], ==, 0xbe);
  g_assert_cmpuint (p[22], ==, 0xef);
  /* id 9 is absent: nothing written */
  g_assert_false (hz_rtp_ext_write_twcc_seq (p, &v, 9, 1));
  g_assert_cmpmem (p + 23, sizeof p - 23, opus_one_byte + 23, sizeof p - 23);
}

/* VP8 key frame start (RFC 7741 §4.2): all descriptor extensions present. */
static const guint8 vp8_key_start[] = {
  0x90,                   /* X=1 N=0 S=1 PID=0 */
  0xe0,                   /* I=1 L=1 T=1 K=0 */
  0x81, 0x23,             /* M=1, 15-bit picture id 0x0123 */
  0x05,                   /* TL0PICIDX 5 */
  0x40,                   /* TID=1 Y=0 KEYIDX=0 */
  0x50, 0x42, 0x00,       /* VP8 frame tag: P=0 (key frame) */
  0x9d, 0x01, 0x2a,       /* key frame start code */
  0x80, 0x02, 0xe0, 0x01, /* 640x480 */
};

static void
test_vp8_descriptor (void)
{
  HzVp8Descriptor d;

  g_assert_true (hz_vp8_descriptor_parse (vp8_key_start, sizeof vp8_key_start, &d));
  g_assert_true (d.start);
  g_assert_cmpuint (d.partition_id, ==, 0);
  g_assert_cmpuint (d.picture_id_bits, ==, 15);
  g_assert_cmpuint (d.picture_id, ==, 0x123);
  g_assert_true (d.has_tl0picidx);
  g_assert_cmpuint (d.tl0picidx, ==, 5);
  g_assert_true (d.has_tid);
  g_assert_cmpuint (d.tid, ==, 1);
  g_assert_false (d.has_keyidx);
  g_assert_cmpuint (d.header_len, ==, 6);
  g_assert_true (hz_vp8_is_keyframe (vp8_key_start, sizeof vp8_key_start));
  g_assert_true (hz_codec_is_keyframe (HZ_CODEC_VP8, vp8_key_start, sizeof vp8_key_start));

  /* every prefix that cuts the descriptor or leaves no payload is rejected */
  for (gsize l = 0; l <= 6; l++) {
    g_autofree guint8 *copy = g_memdup2 (vp8_key_start, l);
    g_assert_false (hz_vp8_descriptor_parse (copy, l, &d));
    g_assert_false (hz_vp8_is_keyframe (copy, l));
  }
}

static void
test_vp8_not_keyframe (void)
{
  guint8 p[sizeof vp8_key_start];

  memcpy (p, vp8_key_start, sizeof p);
  p[6] |= 0x01; /* P=1: inter frame */
  g_assert_false (hz_vp8_is_keyframe (p, sizeof p));
  memcpy (p, vp8_key_start, sizeof p);
  p[0] &= ~0x10; /* S=0: continuation packet */
  g_assert_false (hz_vp8_is_keyframe (p, sizeof p));
  memcpy (p, vp8_key_start, sizeof p);
  p[0] |= 0x01; /* PID=1: not the first partition */
  g_assert_false (hz_vp8_is_keyframe (p, sizeof p));
  memcpy (p, vp8_key_start, sizeof p);
  p[9] = 0x00; /* broken start code */
  g_assert_false (hz_vp8_is_keyframe (p, sizeof p));
}

static void
test_vp8_set_fields (void)
{
  guint8 p[sizeof vp8_key_start];
  guint8 p7[] = {
    0x90, 0x80, /* X=1 S=1; I=1 */
    0x7f,       /* M=0, 7-bit picture id 127 */
    0x50, 0x00, /* payload */
  };
  HzVp8Descriptor d;

  memcpy (p, vp8_key_start, sizeof p);
  g_assert_true (hz_vp8_descriptor_parse (p, sizeof p, &d));
  hz_vp8_set_picture_id (p, &d, 0x8001); /* wraps to 15 bits */
  hz_vp8_set_tl0picidx (p, &d, 200);
  g_assert_true (hz_vp8_descriptor_parse (p, sizeof p, &d));
  g_assert_cmpuint (d.picture_id_bits, ==, 15);
  g_assert_cmpuint (d.picture_id, ==, 1);
  g_assert_cmpuint (d.tl0picidx, ==, 200);
  g_assert_cmpmem (p + 5, sizeof p - 5, vp8_key_start + 5, sizeof p - 5);

  g_assert_true (hz_vp8_descriptor_parse (p7, sizeof p7, &d));
  g_assert_cmpuint (d.picture_id_bits, ==, 7);
  hz_vp8_set_picture_id (p7, &d, 128); /* wraps to 7 bits */
  g_assert_true (hz_vp8_descriptor_parse (p7, sizeof p7, &d));
  g_assert_cmpuint (d.picture_id_bits, ==, 7);
  g_assert_cmpuint (d.picture_id, ==, 0);
  g_assert_cmpuint (d.header_len, ==, 3);
  /* no TL0PICIDX in this descriptor: nothing is written */
  hz_vp8_set_tl0picidx (p7, &d, 9);
  g_assert_cmpuint (p7[3], ==, 0x50);
}

static void
test_h264_keyframe (void)
{
  const guint8 idr[] = { 0x65, 0x88, 0x84 };         /* NRI=3 type 5 IDR slice */
  const guint8 non_idr[] = { 0x41, 0x9a, 0x00 };     /* type 1 non-IDR slice */
  const guint8 stap_a[] = {
    0x78,                                            /* STAP-A (24) */
    0x00, 0x04, 0x67, 0x42, 0xc0, 0x1f,              /* 4 bytes: SPS (7) */
    0x00, 0x03, 0x68, 0xce, 0x3c,                    /* 3 bytes: PPS (8) */
  };
  const guint8 stap_a_p[] = {
    0x78,                                            /* STAP-A (24) */
    0x00, 0x02, 0x06, 0x05,                          /* SEI (6) */
    0x00, 0x02, 0x41, 0x9a,                          /* non-IDR (1) */
  };
  const guint8 stap_a_bad[] = {
    0x78,
    0x00, 0x09, 0x67, 0x42,                          /* size 9 overruns the payload */
  };
  const guint8 fu_a_start[] = { 0x7c, 0x85, 0xb8 };  /* FU-A (28), S=1 type 5 */
  const guint8 fu_a_mid[] = { 0x7c, 0x05, 0xb8 };    /* FU-A, S=0 type 5 */

  g_assert_true (hz_h264_is_keyframe (idr, sizeof idr));
  g_assert_false (hz_h264_is_keyframe (non_idr, sizeof non_idr));
  g_assert_true (hz_h264_is_keyframe (stap_a, sizeof stap_a));
  g_assert_false (hz_h264_is_keyframe (stap_a_p, sizeof stap_a_p));
  g_assert_false (hz_h264_is_keyframe (stap_a_bad, sizeof stap_a_bad));
  g_assert_true (hz_h264_is_keyframe (fu_a_start, sizeof fu_a_start));
  g_assert_false (hz_h264_is_keyframe (fu_a_mid, sizeof fu_a_mid));
  g_assert_true (hz_codec_is_keyframe (HZ_CODEC_H264, idr, sizeof idr));
  /* STAP-A cut inside its second NAL: not a key frame, no over-read */
  for (gsize l = 0; l < sizeof stap_a; l++) {
    g_autofree guint8 *copy = g_memdup2 (stap_a, l);
    if (l != 7)
      g_assert_false (hz_h264_is_keyframe (copy, l));
  }
  g_assert_false (hz_h264_is_keyframe (fu_a_start, 1));
}

static void
test_codec_opus_and_names (void)
{
  const guint8 opus[] = { 0xfc, 0xff, 0xfe };

  g_assert_true (hz_codec_is_keyframe (HZ_CODEC_OPUS, opus, sizeof opus));
  g_assert_false (hz_codec_is_keyframe (HZ_CODEC_UNKNOWN, opus, sizeof opus));
  g_assert_cmpint (hz_codec_from_name ("OPUS"), ==, HZ_CODEC_OPUS);
  g_assert_cmpint (hz_codec_from_name ("vp8"), ==, HZ_CODEC_VP8);
  g_assert_cmpint (hz_codec_from_name ("H264"), ==, HZ_CODEC_H264);
  g_assert_cmpint (hz_codec_from_name ("VP9"), ==, HZ_CODEC_UNKNOWN);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/rtp/parse/one-byte-ext", test_rtp_parse_one_byte);
  g_test_add_func ("/rtp/parse/csrc-padding", test_rtp_parse_csrc_padding);
  g_test_add_func ("/rtp/parse/rejects", test_rtp_parse_rejects);
  g_test_add_func ("/rtp/parse/truncation", test_rtp_parse_truncation);
  g_test_add_func ("/rtp/setters", test_rtp_setters);
  g_test_add_func ("/rtp/ext/readers-one-byte", test_rtp_ext_readers_one_byte);
  g_test_add_func ("/rtp/ext/readers-two-byte", test_rtp_ext_readers_two_byte);
  g_test_add_func ("/rtp/ext/sdes-control-bytes", test_rtp_ext_sdes_rejects_control_bytes);
  g_test_add_func ("/rtp/ext/neutralize", test_rtp_ext_neutralize);
  g_test_add_func ("/rtp/ext/rewrite-ids", test_rtp_ext_rewrite_ids);
  g_test_add_func ("/rtp/ext/malformed", test_rtp_ext_malformed);
  g_test_add_func ("/rtp/ext/unknown-profile", test_rtp_ext_unknown_profile);
  g_test_add_func ("/rtp/ext/write-twcc", test_rtp_ext_write_twcc);
  g_test_add_func ("/codec/vp8/descriptor", test_vp8_descriptor);
  g_test_add_func ("/codec/vp8/not-keyframe", test_vp8_not_keyframe);
  g_test_add_func ("/codec/vp8/set-fields", test_vp8_set_fields);
  g_test_add_func ("/codec/h264/keyframe", test_h264_keyframe);
  g_test_add_func ("/codec/opus-and-names", test_codec_opus_and_names);
  return g_test_run ();
}
