/* test-seq-rewriter.c: output continuity across simulcast / SSRC switches
 * (hz-seq-rewriter): sequence numbers, timestamps, VP8 picture id and
 * TL0PICIDX, dropped packets, and the NACK mapping back. */
#include <glib.h>
#include <string.h>

#include "hz-codec.h"
#include "hz-rtp.h"
#include "hz-seq-rewriter.h"

#define MS (G_TIME_SPAN_MILLISECOND)
#define VP8_LEN 18

/* A VP8 packet with a 15-bit picture id and TL0PICIDX. */
static void
make_vp8 (guint8 *buf, guint32 ssrc, guint16 seq, guint32 ts, guint16 pic, guint8 tl0)
{
  static const guint8 tmpl[VP8_LEN] = {
    0x80, 0x60, 0x00, 0x00, /* V=2, PT=96, seq (set below) */
    0x00, 0x00, 0x00, 0x00, /* timestamp (set below) */
    0x00, 0x00, 0x00, 0x00, /* ssrc (set below) */
    0x90,                   /* VP8: X=1 S=1 PID=0 */
    0xc0,                   /* I=1 L=1 */
    0x80, 0x00,             /* M=1, 15-bit picture id (set below) */
    0x00,                   /* TL0PICIDX (set below) */
    0x9d,                   /* VP8 payload */
  };
  memcpy (buf, tmpl, VP8_LEN);
  hz_rtp_set_seq (buf, seq);
  hz_rtp_set_ts (buf, ts);
  hz_rtp_set_ssrc (buf, ssrc);
  buf[14] = 0x80 | (pic >> 8);
  buf[15] = pic & 0xff;
  buf[16] = tl0;
}

typedef struct {
  guint16 seq;
  guint32 ts;
  guint16 pic;
  guint8 tl0;
} Out;

static Out
read_out (const guint8 *buf)
{
  HzRtpView v;
  HzVp8Descriptor d;
  Out o;

  g_assert_true (hz_rtp_parse (buf, VP8_LEN, &v));
  g_assert_true (hz_vp8_descriptor_parse (buf + v.payload_offset, v.payload_len, &d));
  o.seq = v.seq;
  o.ts = v.ts;
  o.pic = d.picture_id;
  o.tl0 = d.tl0picidx;
  return o;
}

static void
test_layer_switch_continuity (void)
{
  g_autoptr(HzSeqRewriter) rw = hz_seq_rewriter_new (HZ_CODEC_VP8, 90000);
  guint8 pkt[VP8_LEN];
  Out o;
  gint64 now = 1000 * MS;

  /* layer 0 (ssrc 0xa): the first source keeps its numbers */
  hz_seq_rewriter_switch (rw, 0xa, 1000, 90000, now);
  for (guint i = 0; i < 6; i++, now += 33 * MS) {
    make_vp8 (pkt, 0xa, (guint16) (1000 + i), 90000 + i * 2970, (guint16) (100 + i), (guint8) (10 + i));
    g_assert_true (hz_seq_rewriter_rewrite (rw, pkt, VP8_LEN, now));
    o = read_out (pkt);
    g_assert_cmpuint (o.seq, ==, 1000 + i);
    g_assert_cmpuint (o.ts, ==, 90000 + i * 2970);
    g_assert_cmpuint (o.pic, ==, 100 + i);
  }
  /* last sent: seq 1005, ts 104850, pic 105, tl0 15, at now - 33 ms.
   * Key frame of layer 2 (ssrc 0xc) arrives 33 ms after it. */
  hz_seq_rewriter_switch (rw, 0xc, 50000, 7000000, now);
  /* a late packet of the old layer is refused, unchanged */
  make_vp8 (pkt, 0xa, 1006, 107820, 106, 16);
  g_assert_false (hz_seq_rewriter_rewrite (rw, pkt, VP8_LEN, now));
  g_assert_cmpuint (pkt[3], ==, 1006 & 0xff);
  /* a packet of the new layer from before its key frame is refused */
  make_vp8 (pkt, 0xc, 49999, 6997030, 19999, 199);
  g_assert_false (hz_seq_rewriter_rewrite (rw, pkt, VP8_LEN, now));

  make_vp8 (pkt, 0xc, 50000, 7000000, 20000, 200);
  g_assert_true (hz_seq_rewriter_rewrite (rw, pkt, VP8_LEN, now));
  o = read_out (pkt);
  g_assert_cmpuint (o.seq, ==, 1006);                 /* no gap */
  g_assert_cmpuint (o.ts, ==, 104850 + 33 * 90);      /* 33 ms of 90 kHz later */
  g_assert_cmpuint (o.pic, ==, 106);
  g_assert_cmpuint (o.tl0, ==, 16);
  /* the rest of layer 2 follows with the same offsets */
  make_vp8 (pkt, 0xc, 50001, 7003000, 20001, 200);
  g_assert_true (hz_seq_rewriter_rewrite (rw, pkt, VP8_LEN, now + 33 * MS));
  o = read_out (pkt);
  g_assert_cmpuint (o.seq, ==, 1007);
  g_assert_cmpuint (o.ts, ==, 104850 + 33 * 90 + 3000);
  g_assert_cmpuint (o.pic, ==, 107);
  g_assert_cmpuint (o.tl0, ==, 16);
}

static void
test_wrap_unmap_and_drop (void)
{
  g_autoptr(HzSeqRewriter) rw = hz_seq_rewriter_new (HZ_CODEC_VP8, 90000);
  guint8 pkt[VP8_LEN];
  guint16 in;
  gint64 now = 0;

  hz_seq_rewriter_switch (rw, 1, 65530, 0, now);
  for (guint16 s = 65530; s != 2; s++) {   /* 65530 .. 65535, 0, 1 */
    make_vp8 (pkt, 1, s, 0, 0x7ffe, 255);
    g_assert_true (hz_seq_rewriter_rewrite (rw, pkt, VP8_LEN, now += 10 * MS));
  }
  /* switch to an SSRC whose numbers are far away, then wrap the output */
  hz_seq_rewriter_switch (rw, 2, 300, 5000, now + 100 * MS);
  make_vp8 (pkt, 2, 300, 5000, 5, 0);
  g_assert_true (hz_seq_rewriter_rewrite (rw, pkt, VP8_LEN, now + 100 * MS));
  g_assert_cmpuint (read_out (pkt).seq, ==, 2);
  g_assert_cmpuint (read_out (pkt).pic, ==, 0x7fff); /* 0x7ffe + 1 */
  g_assert_cmpuint (read_out (pkt).tl0, ==, 0);      /* 255 + 1 wraps */
  /* 301 is padding the caller does not forward; 302 becomes out 3 */
  hz_seq_rewriter_drop (rw, 301);
  make_vp8 (pkt, 2, 302, 5000, 6, 0);
  g_assert_true (hz_seq_rewriter_rewrite (rw, pkt, VP8_LEN, now + 110 * MS));
  g_assert_cmpuint (read_out (pkt).seq, ==, 3);
  g_assert_cmpuint (read_out (pkt).pic, ==, 0);      /* picture id wraps at 15 bits */
  make_vp8 (pkt, 2, 303, 8000, 7, 1);
  g_assert_true (hz_seq_rewriter_rewrite (rw, pkt, VP8_LEN, now + 120 * MS));
  g_assert_cmpuint (read_out (pkt).seq, ==, 4);

  /* NACKs for the current source map back across the drop */
  g_assert_true (hz_seq_rewriter_unmap (rw, 2, &in));
  g_assert_cmpuint (in, ==, 300);
  g_assert_true (hz_seq_rewriter_unmap (rw, 3, &in));
  g_assert_cmpuint (in, ==, 302);
  g_assert_true (hz_seq_rewriter_unmap (rw, 4, &in));
  g_assert_cmpuint (in, ==, 303);
  /* before the switch (the old source), or not sent yet: no */
  g_assert_false (hz_seq_rewriter_unmap (rw, 1, &in));
  g_assert_false (hz_seq_rewriter_unmap (rw, 65535, &in));
  g_assert_false (hz_seq_rewriter_unmap (rw, 5, &in));
}

static void
test_reordered_packet_keeps_state (void)
{
  g_autoptr(HzSeqRewriter) rw = hz_seq_rewriter_new (HZ_CODEC_VP8, 90000);
  guint8 pkt[VP8_LEN];

  hz_seq_rewriter_switch (rw, 1, 10, 1000, 0);
  make_vp8 (pkt, 1, 10, 1000, 1, 1);
  hz_seq_rewriter_rewrite (rw, pkt, VP8_LEN, 0);
  make_vp8 (pkt, 1, 12, 4000, 2, 1);
  hz_seq_rewriter_rewrite (rw, pkt, VP8_LEN, 10 * MS);
  make_vp8 (pkt, 1, 11, 1000, 1, 1); /* late: rewritten, but not "last sent" */
  g_assert_true (hz_seq_rewriter_rewrite (rw, pkt, VP8_LEN, 20 * MS));
  hz_seq_rewriter_switch (rw, 2, 0, 0, 30 * MS);
  make_vp8 (pkt, 2, 0, 0, 0, 0);
  hz_seq_rewriter_rewrite (rw, pkt, VP8_LEN, 30 * MS);
  g_assert_cmpuint (read_out (pkt).seq, ==, 13);
  /* from the newest packet (ts 4000, sent at 10 ms): 20 ms later */
  g_assert_cmpuint (read_out (pkt).ts, ==, 4000 + 20 * 90);
  g_assert_cmpuint (read_out (pkt).pic, ==, 3);
}

static void
test_h264_and_resume (void)
{
  g_autoptr(HzSeqRewriter) rw = hz_seq_rewriter_new (HZ_CODEC_H264, 90000);
  guint8 pkt[16] = {
    0x80, 0x66, 0x00, 0x05, /* V=2, PT=102, seq 5 */
    0x00, 0x00, 0x00, 0x64, /* timestamp 100 */
    0x00, 0x00, 0x00, 0x07, /* ssrc 7 */
    0x65, 0x88, 0x84, 0x00, /* IDR slice NAL */
  };
  guint8 copy[16];
  HzRtpView v;

  /* not started: nothing forwarded */
  g_assert_false (hz_seq_rewriter_rewrite (rw, pkt, sizeof pkt, 0));
  hz_seq_rewriter_switch (rw, 7, 5, 100, 0);
  memcpy (copy, pkt, sizeof pkt);
  g_assert_true (hz_seq_rewriter_rewrite (rw, copy, sizeof copy, 0));
  g_assert_cmpmem (copy, sizeof copy, pkt, sizeof pkt); /* first source: unchanged */
  /* paused for 2 s, resumed on the same SSRC 500 packets later */
  hz_rtp_set_seq (pkt, 505);
  hz_rtp_set_ts (pkt, 900100);
  hz_seq_rewriter_switch (rw, 7, 505, 900100, 2000 * MS);
  g_assert_true (hz_seq_rewriter_rewrite (rw, pkt, sizeof pkt, 2000 * MS));
  g_assert_true (hz_rtp_parse (pkt, sizeof pkt, &v));
  g_assert_cmpuint (v.seq, ==, 6);
  g_assert_cmpuint (v.ts, ==, 100 + 2 * 90000);
  g_assert_cmpuint (pkt[12], ==, 0x65); /* payload untouched */
  /* garbage is refused */
  g_assert_false (hz_seq_rewriter_rewrite (rw, pkt, 8, 2000 * MS));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/seq-rewriter/layer-switch", test_layer_switch_continuity);
  g_test_add_func ("/seq-rewriter/wrap-unmap-drop", test_wrap_unmap_and_drop);
  g_test_add_func ("/seq-rewriter/reordered", test_reordered_packet_keeps_state);
  g_test_add_func ("/seq-rewriter/h264-resume", test_h264_and_resume);
  return g_test_run ();
}
