/* test-demux.c: RFC 7983 / RFC 5761 classification and the STUN sanity check. */
#include <glib.h>
#include <string.h>

#include "hz-demux.h"

/* A STUN Binding request as Chromium sends it for ICE connectivity checks,
 * cut down to one attribute so it stays readable. */
static const guint8 stun_binding[] = {
  0x00, 0x01,             /* type: Binding request */
  0x00, 0x08,             /* message length: 8 */
  0x21, 0x12, 0xa4, 0x42, /* magic cookie */
  0x01, 0x02, 0x03, 0x04, 0x05, 0x06, /* transaction id (12 bytes) */
  0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c,
  0x00, 0x24, 0x00, 0x04, /* PRIORITY, length 4 */
  0x6e, 0x7f, 0x1e, 0xff, /* priority value */
};

/* DTLS 1.2 ClientHello record header (content type 22). */
static const guint8 dtls_hello[] = {
  0x16,                   /* content type: handshake */
  0xfe, 0xfd,             /* version DTLS 1.2 */
  0x00, 0x00,             /* epoch */
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* sequence number */
  0x00, 0x01,             /* length */
  0x01,                   /* handshake type: ClientHello (truncated body) */
};

/* RTP: Opus, PT 111, no marker */
static const guint8 rtp_opus[] = {
  0x80, 0x6f, 0x00, 0x01, /* V=2, PT=111, seq 1 */
  0x00, 0x00, 0x03, 0xc0, /* timestamp 960 */
  0x11, 0x22, 0x33, 0x44, /* ssrc */
  0xfc, 0xff, 0xfe,       /* payload */
};

/* RTCP: an RR without report blocks (the shortest valid RTCP) */
static const guint8 rtcp_rr[] = {
  0x80, 0xc9, 0x00, 0x01, /* V=2, RC=0, PT=201 RR, length 1 */
  0x11, 0x22, 0x33, 0x44, /* sender ssrc */
};

static void
test_demux_classes (void)
{
  g_assert_cmpint (hz_demux_classify (stun_binding, sizeof stun_binding), ==, HZ_PACKET_STUN);
  g_assert_cmpint (hz_demux_classify (dtls_hello, sizeof dtls_hello), ==, HZ_PACKET_DTLS);
  g_assert_cmpint (hz_demux_classify (rtp_opus, sizeof rtp_opus), ==, HZ_PACKET_RTP);
  g_assert_cmpint (hz_demux_classify (rtcp_rr, sizeof rtcp_rr), ==, HZ_PACKET_RTCP);
  g_assert_cmpstr (hz_packet_class_to_string (HZ_PACKET_RTCP), ==, "rtcp");
}

/* Each range boundary of RFC 7983 §7, with a packet long enough for any class. */
static void
test_demux_first_byte_ranges (void)
{
  guint8 buf[32] = { 0 };
  struct {
    guint8 b0;
    HzPacketClass expected;
  } cases[] = {
    { 0, HZ_PACKET_STUN }, { 3, HZ_PACKET_STUN }, { 4, HZ_PACKET_UNKNOWN },
    { 19, HZ_PACKET_UNKNOWN }, { 20, HZ_PACKET_DTLS }, { 63, HZ_PACKET_DTLS },
    { 64, HZ_PACKET_UNKNOWN }, { 127, HZ_PACKET_UNKNOWN }, { 128, HZ_PACKET_RTP },
    { 191, HZ_PACKET_RTP }, { 192, HZ_PACKET_UNKNOWN }, { 255, HZ_PACKET_UNKNOWN },
  };

  buf[1] = 96; /* an RTP payload type */
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    buf[0] = cases[i].b0;
    g_assert_cmpint (hz_demux_classify (buf, sizeof buf), ==, cases[i].expected);
  }
}

/* RFC 5761 §4: second byte 192..223 is RTCP; 224 is RTP PT 96 with marker. */
static void
test_demux_rtp_vs_rtcp (void)
{
  guint8 buf[12] = { 0x80 };

  for (guint b1 = 0; b1 < 256; b1++) {
    buf[1] = (guint8) b1;
    g_assert_cmpint (hz_demux_classify (buf, sizeof buf), ==,
                     (b1 >= 192 && b1 <= 223) ? HZ_PACKET_RTCP : HZ_PACKET_RTP);
  }
}

/* Shorter than the fixed header of its class: UNKNOWN, never read past len. */
static void
test_demux_too_short (void)
{
  struct {
    const guint8 *pkt;
    gsize len;
    gsize min;
  } cases[] = {
    { stun_binding, sizeof stun_binding, 20 },
    { dtls_hello, sizeof dtls_hello, 13 },
    { rtp_opus, sizeof rtp_opus, 12 },
    { rtcp_rr, sizeof rtcp_rr, 8 },
  };

  g_assert_cmpint (hz_demux_classify (NULL, 0), ==, HZ_PACKET_UNKNOWN);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    for (gsize l = 0; l < cases[i].min; l++) {
      g_autofree guint8 *copy = g_memdup2 (cases[i].pkt, l);
      g_assert_cmpint (hz_demux_classify (copy, l), ==, HZ_PACKET_UNKNOWN);
    }
    g_assert_cmpint (hz_demux_classify (cases[i].pkt, cases[i].min), !=, HZ_PACKET_UNKNOWN);
  }
}

static void
test_demux_stun_plausible (void)
{
  guint8 bad[sizeof stun_binding];

  g_assert_true (hz_stun_is_plausible (stun_binding, sizeof stun_binding));
  /* trailing garbage: length field no longer matches */
  g_assert_false (hz_stun_is_plausible (stun_binding, sizeof stun_binding - 4));
  for (gsize l = 0; l < sizeof stun_binding; l++) {
    g_autofree guint8 *copy = g_memdup2 (stun_binding, l);
    g_assert_false (hz_stun_is_plausible (copy, l));
  }
  /* wrong magic cookie (an RFC 3489 classic STUN message) */
  memcpy (bad, stun_binding, sizeof bad);
  bad[4] = 0x00;
  g_assert_false (hz_stun_is_plausible (bad, sizeof bad));
  /* top two bits set */
  memcpy (bad, stun_binding, sizeof bad);
  bad[0] = 0x40;
  g_assert_false (hz_stun_is_plausible (bad, sizeof bad));
  /* DTLS and RTP are not STUN */
  g_assert_false (hz_stun_is_plausible (rtp_opus, sizeof rtp_opus));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/demux/classes", test_demux_classes);
  g_test_add_func ("/demux/first-byte-ranges", test_demux_first_byte_ranges);
  g_test_add_func ("/demux/rtp-vs-rtcp", test_demux_rtp_vs_rtcp);
  g_test_add_func ("/demux/too-short", test_demux_too_short);
  g_test_add_func ("/demux/stun-plausible", test_demux_stun_plausible);
  return g_test_run ();
}
