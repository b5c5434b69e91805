/* test-packet-cache.c: the NACK/RTX packet cache and the RFC 4588 RTX
 * builder (hz-packet-cache). Time is driven by the test. */
#include <glib.h>
#include <string.h>

#include "hz-packet-cache.h"
#include "hz-rtp.h"

#define MS (G_TIME_SPAN_MILLISECOND)

/* A VP8 packet with a one-byte header extension and 3 bytes of padding. */
static const guint8 padded_packet[] = {
  0xb0, 0x60, 0x12, 0x34, /* V=2 P=1 X=1 CC=0, M=0 PT=96, seq 0x1234 */
  0x00, 0x01, 0x5f, 0x90, /* timestamp 90000 */
  0x11, 0x22, 0x33, 0x44, /* ssrc */
  0xbe, 0xde, 0x00, 0x01, /* one-byte extension profile, 1 word */
  0x10, 0xaa, 0x00, 0x00, /* id 1 len 1: 0xaa (mid), 2 padding bytes */
  0x90, 0x80, 0x05,       /* payload: VP8 descriptor X=1 S=1, I=1, picture id 5 */
  0xde, 0xad,             /* payload: 2 more bytes */
  0x00, 0x00, 0x03,       /* RTP padding: 3 bytes, last one is the count */
};

/* Writes a minimal 12-byte-header RTP packet with @seq and a 4-byte
 * payload that repeats the low byte of @seq. */
static gsize
make_packet (guint8 *buf, guint16 seq)
{
  static const guint8 header[] = {
    0x80, 0x6f, 0x00, 0x00, /* V=2, PT=111, seq (set below) */
    0x00, 0x00, 0x03, 0xc0, /* timestamp 960 */
    0xca, 0xfe, 0xba, 0xbe, /* ssrc */
  };
  memcpy (buf, header, sizeof header);
  hz_rtp_set_seq (buf, seq);
  memset (buf + 12, seq & 0xff, 4);
  return 16;
}

static void
test_put_get (void)
{
  g_autoptr(HzPacketCache) cache = hz_packet_cache_new (0);
  guint8 pkt[16];
  const guint8 *buf;
  gsize len;

  g_assert_cmpuint (hz_packet_cache_get_n_slots (cache), ==, 512);
  g_assert_false (hz_packet_cache_get (cache, 7, 0, &buf, &len)); /* never seen */
  g_assert_null (buf);
  for (guint16 s = 0; s < 10; s++) {
    make_packet (pkt, s);
    g_assert_true (hz_packet_cache_put (cache, pkt, 16, 1000 * MS + s * MS));
  }
  g_assert_true (hz_packet_cache_get (cache, 7, 1010 * MS, &buf, &len));
  g_assert_cmpuint (len, ==, 16);
  make_packet (pkt, 7);
  g_assert_cmpmem (buf, len, pkt, 16);
  g_assert_false (hz_packet_cache_get (cache, 10, 1010 * MS, &buf, &len)); /* not yet seen */
}

static void
test_wraparound_and_eviction (void)
{
  g_autoptr(HzPacketCache) cache = hz_packet_cache_new (100); /* rounded up to 128 */
  guint8 pkt[16];
  const guint8 *buf;
  gsize len;
  gint64 now = 0;

  g_assert_cmpuint (hz_packet_cache_get_n_slots (cache), ==, 128);
  /* 65500 .. 65535, 0 .. 199: 236 packets through a 128-slot ring */
  for (guint32 i = 0; i < 236; i++) {
    make_packet (pkt, (guint16) (65500 + i));
    g_assert_true (hz_packet_cache_put (cache, pkt, 16, now));
    now += 5 * MS;
  }
  /* the newest 128 (seq 72..199) are there, across the wrap none older */
  g_assert_true (hz_packet_cache_get (cache, 199, now, &buf, &len));
  g_assert_cmpuint (buf[12], ==, 199);
  g_assert_true (hz_packet_cache_get (cache, 72, now, &buf, &len));
  g_assert_cmpuint (buf[12], ==, 72);
  g_assert_false (hz_packet_cache_get (cache, 71, now, &buf, &len));
  g_assert_false (hz_packet_cache_get (cache, 65535, now, &buf, &len));
  /* a late duplicate of an evicted packet does not evict the newer one */
  make_packet (pkt, 65535 - 56); /* 65479 maps to the slot of 199 */
  g_assert_false (hz_packet_cache_put (cache, pkt, 16, now));
  g_assert_true (hz_packet_cache_get (cache, 199, now, &buf, &len));
  g_assert_cmpuint (buf[12], ==, 199);
}

static void
test_too_old (void)
{
  g_autoptr(HzPacketCache) cache = hz_packet_cache_new (0);
  guint8 pkt[16];
  const guint8 *buf;
  gsize len;

  make_packet (pkt, 500);
  g_assert_true (hz_packet_cache_put (cache, pkt, 16, 5000 * MS));
  g_assert_true (hz_packet_cache_get (cache, 500, 6000 * MS, &buf, &len));   /* exactly 1 s */
  g_assert_false (hz_packet_cache_get (cache, 500, 6001 * MS, &buf, &len));  /* 1.001 s */
  hz_packet_cache_clear (cache);
  g_assert_false (hz_packet_cache_get (cache, 500, 5000 * MS, &buf, &len));
}

static void
test_rejects_bad_input (void)
{
  g_autoptr(HzPacketCache) cache = hz_packet_cache_new (0);
  guint8 big[HZ_PACKET_CACHE_SLOT_SIZE + 1] = { 0 };
  static const guint8 not_rtp[] = { 0x40, 0x60, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0 }; /* V=1 */
  const guint8 *buf;
  gsize len;

  make_packet (big, 3);
  g_assert_false (hz_packet_cache_put (cache, big, sizeof big, 0));
  g_assert_false (hz_packet_cache_put (cache, not_rtp, sizeof not_rtp, 0));
  g_assert_false (hz_packet_cache_put (cache, padded_packet, 8, 0)); /* truncated */
  g_assert_false (hz_packet_cache_get (cache, 3, 0, &buf, &len));
  g_assert_false (hz_packet_cache_get (cache, 1, 0, &buf, &len));
}

static void
test_rtx_build (void)
{
  static const guint8 expected[] = {
    0x90, 0x61, 0x00, 0x07, /* V=2 P=0 (cleared) X=1, PT=97 (rtx), seq 7 */
    0x00, 0x01, 0x5f, 0x90, /* timestamp unchanged */
    0x55, 0x66, 0x77, 0x88, /* rtx ssrc */
    0xbe, 0xde, 0x00, 0x01, /* extension block unchanged */
    0x10, 0xaa, 0x00, 0x00,
    0x12, 0x34,             /* OSN 0x1234 */
    0x90, 0x80, 0x05, 0xde, 0xad, /* original payload, no padding */
  };
  guint8 dst[64];
  gsize n;
  HzRtpView view;

  n = hz_rtx_build (dst, sizeof dst, padded_packet, sizeof padded_packet,
                    0x55667788, 97, 7, 0x1234);
  g_assert_cmpmem (dst, n, expected, sizeof expected);
  g_assert_true (hz_rtp_parse (dst, n, &view));
  g_assert_cmpuint (view.payload_len, ==, 7);

  /* too small a destination, or garbage: nothing */
  g_assert_cmpuint (hz_rtx_build (dst, sizeof expected - 1, padded_packet, sizeof padded_packet,
                                  1, 97, 7, 1), ==, 0);
  g_assert_cmpuint (hz_rtx_build (dst, sizeof dst, padded_packet, 10, 1, 97, 7, 1), ==, 0);

  /* in place, in a buffer with room for the two extra bytes */
  memcpy (dst, padded_packet, sizeof padded_packet);
  n = hz_rtx_build (dst, sizeof dst, dst, sizeof padded_packet, 0x55667788, 97, 7, 0x1234);
  g_assert_cmpmem (dst, n, expected, sizeof expected);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/packet-cache/put-get", test_put_get);
  g_test_add_func ("/packet-cache/wraparound-eviction", test_wraparound_and_eviction);
  g_test_add_func ("/packet-cache/too-old", test_too_old);
  g_test_add_func ("/packet-cache/bad-input", test_rejects_bad_input);
  g_test_add_func ("/packet-cache/rtx-build", test_rtx_build);
  return g_test_run ();
}
