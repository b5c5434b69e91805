/* test-twcc.c: transport-wide-cc feedback (hz-twcc): the builder on the
 * publisher side, the parser and send log on the subscriber side, and
 * feedback built by one and read by the other. Time is driven by the test. */
#include <glib.h>
#include <string.h>

#include "hz-rtcp.h"
#include "hz-twcc.h"

#define MS (G_TIME_SPAN_MILLISECOND)

static void
test_build_fixture (void)
{
  static const guint8 expected[] = {
    0xaf, 0xcd, 0x00, 0x06, /* V=2 P=1 FMT=15, PT=205 RTPFB, length 6 (28 bytes) */
    0x00, 0x00, 0x00, 0x01, /* sender ssrc */
    0x11, 0x22, 0x33, 0x44, /* media ssrc */
    0x00, 0x64,             /* base sequence number 100 */
    0x00, 0x04,             /* packet status count 4 */
    0x00, 0x00, 0x0f,       /* reference time 15 × 64 ms = 960 ms */
    0x00,                   /* feedback packet count 0 */
    0xd1, 0x80,             /* 2-bit status vector: small, lost, small, large */
    0xa0,                   /* seq 100: +160 × 250 µs = 1000 ms */
    0x02,                   /* seq 102: +0.5 ms */
    0x01, 0x8e,             /* seq 103: +398 × 250 µs = 99.5 ms */
    0x00, 0x02,             /* RTP padding, 2 bytes */
  };
  g_autoptr(HzTwccRecv) rx = hz_twcc_recv_new ();
  guint8 buf[256];
  gsize n;

  g_assert_cmpuint (hz_twcc_recv_build_feedback (rx, buf, sizeof buf, 1, 0x11223344, 0), ==, 0);
  hz_twcc_recv_on_packet (rx, 100, 1000000);
  hz_twcc_recv_on_packet (rx, 102, 1000500); /* 101 never arrives */
  hz_twcc_recv_on_packet (rx, 103, 1100000);
  n = hz_twcc_recv_build_feedback (rx, buf, sizeof buf, 1, 0x11223344, 1100000);
  g_assert_cmpmem (buf, n, expected, sizeof expected);
  g_assert_true (hz_rtcp_validate_compound (buf, n));
  /* nothing new: nothing to send; the counter advances per packet */
  g_assert_cmpuint (hz_twcc_recv_build_feedback (rx, buf, sizeof buf, 1, 0x11223344, 0), ==, 0);
  hz_twcc_recv_on_packet (rx, 104, 1150000);
  n = hz_twcc_recv_build_feedback (rx, buf, sizeof buf, 1, 0x11223344, 1150000);
  g_assert_cmpuint (n, >, 0);
  g_assert_cmpuint (buf[12] << 8 | buf[13], ==, 104);
  g_assert_cmpuint (buf[19], ==, 1);
}

/* The FCI of a feedback as a browser might send it. */
static const guint8 chrome_fci[] = {
  0x00, 0x01,             /* base sequence number 1 */
  0x00, 0x14,             /* packet status count 20 */
  0x00, 0x00, 0x02,       /* reference time 2 × 64 ms */
  0x07,                   /* feedback packet count 7 */
  0x20, 0x03,             /* run length: small delta × 3 (seq 1..3) */
  0xb0, 0x01,             /* 1-bit vector: seq 4, 5 received, 6..16 lost, 17 received */
  0xe1, 0x00,             /* 2-bit vector: seq 18 large, 19 lost, 20 small, (pad) */
  0x04, 0x04, 0x04,       /* seq 1..3: +1 ms each */
  0x00, 0x08,             /* seq 4: +0, seq 5: +2 ms */
  0x10,                   /* seq 17: +4 ms */
  0xff, 0xf0,             /* seq 18: -16 × 250 µs = -4 ms (reordered) */
  0x01,                   /* seq 20: +250 µs */
  0x00,                   /* padding */
};

static void
test_parse_fixture (void)
{
  HzTwccFeedbackInfo info;
  HzTwccPacketStatus st[32];
  guint n = 0;
  g_autoptr(GError) error = NULL;
  static const struct { guint16 seq; HzTwccSymbol sym; gint64 at; } want[] = {
    { 1, HZ_TWCC_SMALL_DELTA, 1000 }, { 2, HZ_TWCC_SMALL_DELTA, 2000 },
    { 3, HZ_TWCC_SMALL_DELTA, 3000 }, { 4, HZ_TWCC_SMALL_DELTA, 3000 },
    { 5, HZ_TWCC_SMALL_DELTA, 5000 }, { 6, HZ_TWCC_NOT_RECEIVED, 0 },
    { 16, HZ_TWCC_NOT_RECEIVED, 0 }, { 17, HZ_TWCC_SMALL_DELTA, 9000 },
    { 18, HZ_TWCC_LARGE_DELTA, 5000 }, { 19, HZ_TWCC_NOT_RECEIVED, 0 },
    { 20, HZ_TWCC_SMALL_DELTA, 5250 },
  };

  g_assert_true (hz_twcc_feedback_parse (chrome_fci, sizeof chrome_fci, &info, st, 32, &n, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (info.base_seq, ==, 1);
  g_assert_cmpuint (info.status_count, ==, 20);
  g_assert_cmpuint (info.reference_time, ==, 2);
  g_assert_cmpuint (info.fb_pkt_count, ==, 7);
  g_assert_cmpuint (n, ==, 20);
  for (guint i = 0; i < G_N_ELEMENTS (want); i++) {
    const HzTwccPacketStatus *s = &st[want[i].seq - 1];
    g_assert_cmpuint (s->seq, ==, want[i].seq);
    g_assert_cmpint (s->symbol, ==, want[i].sym);
    if (want[i].sym != HZ_TWCC_NOT_RECEIVED)
      g_assert_cmpint (s->arrival_us, ==, want[i].at);
  }
  /* a smaller output array: the first statuses only, still validated */
  g_assert_true (hz_twcc_feedback_parse (chrome_fci, sizeof chrome_fci, &info, st, 4, &n, NULL));
  g_assert_cmpuint (n, ==, 4);
  g_assert_cmpint (st[3].arrival_us, ==, 3000);
}

static void
test_parse_malformed (void)
{
  HzTwccFeedbackInfo info;
  HzTwccPacketStatus st[32];
  guint n = 99;
  guint8 bad[sizeof chrome_fci];
  GRand *rand;

  for (gsize cut = 0; cut < 23; cut++) {
    g_autoptr(GError) error = NULL;
    /* every truncation before the last delta byte is an error */
    g_assert_false (hz_twcc_feedback_parse (chrome_fci, cut, &info, st, 32, &n, &error));
    g_assert_error (error, HZ_TWCC_ERROR, HZ_TWCC_ERROR_INVALID);
    g_assert_cmpuint (n, ==, 0);
  }
  memcpy (bad, chrome_fci, sizeof bad);
  bad[8] = 0x60; /* run length with the reserved symbol 3 */
  g_assert_false (hz_twcc_feedback_parse (bad, sizeof bad, &info, st, 32, &n, NULL));
  memcpy (bad, chrome_fci, sizeof bad);
  bad[12] = 0xf1; /* 2-bit vector starting with the reserved symbol 3 */
  g_assert_false (hz_twcc_feedback_parse (bad, sizeof bad, &info, st, 32, &n, NULL));

  /* random bytes never crash and never report more than they may */
  rand = g_rand_new_with_seed (42);
  for (guint iter = 0; iter < 20000; iter++) {
    guint8 junk[64];
    gsize len = g_rand_int_range (rand, 0, sizeof junk);
    for (gsize i = 0; i < len; i++)
      junk[i] = (guint8) g_rand_int (rand);
    if (len > 3)
      junk[2] = 0, junk[3] &= 0x3f; /* keep the status count small enough to fit sometimes */
    if (hz_twcc_feedback_parse (junk, len, &info, st, 32, &n, NULL))
      g_assert_cmpuint (n, <=, MIN (32u, info.status_count));
  }
  g_rand_free (rand);
}

/* Builds feedback on the receive side and hands it, through the RTCP
 * parser, to the send side, as the router and the subscriber's browser do. */
static guint
deliver (HzTwccRecv *rx, HzTwccSend *tx, gsize fb_size, gint64 now, HzTwccResult *res, guint max)
{
  guint8 buf[1500];
  guint total = 0;
  gsize len;

  while ((len = hz_twcc_recv_build_feedback (rx, buf, fb_size, 1, 2, now)) > 0) {
    HzRtcpIter iter;
    HzRtcpHeader hdr;
    HzRtcpFb fb;
    guint n = 0;
    g_autoptr(GError) error = NULL;

    g_assert_cmpuint (len, <=, fb_size);
    hz_rtcp_iter_init (&iter, buf, len);
    g_assert_true (hz_rtcp_iter_next (&iter, &hdr));
    g_assert_true (hz_rtcp_parse_fb (&hdr, &fb));
    g_assert_cmpuint (fb.fmt, ==, HZ_RTCP_RTPFB_TWCC);
    g_assert_true (hz_twcc_send_on_feedback (tx, fb.fci, fb.fci_len, res + total, max - total,
                                             &n, &error));
    g_assert_no_error (error);
    total += n;
  }
  return total;
}

static void
round_trip (gsize fb_size)
{
  g_autoptr(HzTwccRecv) rx = hz_twcc_recv_new ();
  g_autoptr(HzTwccSend) tx = hz_twcc_send_new ();
  static HzTwccResult res[2000];
  gint64 arrival[1000];
  gboolean seen[1000] = { FALSE };
  guint got = 0;
  const guint16 first = 65300; /* wraps around during the test */
  const gint64 clock_skew = 123456789; /* the receiver's clock has another origin */
  gint64 next_fb = 50 * MS;

  for (guint i = 0; i < 1000; i++) {
    gint64 send = 10 * MS + (gint64) i * 2 * MS;
    /* 20 ms base delay, a 150 ms spike for packets 400..409, 10 s stall at 700 */
    arrival[i] = send + 20 * MS + (i >= 400 && i < 410 ? 150 * MS : 0) + (i >= 700 ? 10000 * MS : 0)
                 + (i % 7) * 333;
    hz_twcc_send_register (tx, (guint16) (first + i), 1200, send);
  }
  for (guint i = 0; i < 1000; i++) {
    guint j = i;

    if (i % 10 == 3)
      continue; /* lost */
    if (i % 50 == 20)
      j = i + 1; /* swap with the next: reordered */
    else if (i % 50 == 21)
      j = i - 1;
    while (arrival[j] + clock_skew >= next_fb + clock_skew) {
      got += deliver (rx, tx, fb_size, next_fb + clock_skew, res + got, G_N_ELEMENTS (res) - got);
      next_fb += 50 * MS;
    }
    hz_twcc_recv_on_packet (rx, (guint16) (first + j), arrival[j] + clock_skew);
  }
  got += deliver (rx, tx, fb_size, next_fb + clock_skew, res + got, G_N_ELEMENTS (res) - got);

  g_assert_cmpuint (got, ==, 1000);
  for (guint k = 0; k < got; k++) {
    guint i = (guint16) (res[k].seq - first);

    g_assert_cmpuint (i, <, 1000);
    g_assert_false (seen[i]);
    seen[i] = TRUE;
    g_assert_cmpint (res[k].send_us, ==, 10 * MS + (gint64) i * 2 * MS);
    g_assert_cmpuint (res[k].size, ==, 1200);
    g_assert_cmpint (res[k].received, ==, i % 10 != 3);
    if (res[k].received) /* exact to the 250 µs unit, on the receiver's clock */
      g_assert_cmpint (res[k].arrival_us, ==, (arrival[i] + clock_skew) / 250 * 250);
  }
}

static void
test_round_trip (void)
{
  round_trip (1200);
}

static void
test_round_trip_small_packets (void)
{
  round_trip (48); /* forces many short feedbacks */
}

static void
test_send_ignores_unknown_and_duplicates (void)
{
  g_autoptr(HzTwccSend) tx = hz_twcc_send_new ();
  HzTwccResult res[32];
  guint n = 99;

  /* nothing registered: the fixture reports packets we never sent */
  g_assert_true (hz_twcc_send_on_feedback (tx, chrome_fci, sizeof chrome_fci, res, 32, &n, NULL));
  g_assert_cmpuint (n, ==, 0);
  hz_twcc_send_register (tx, 2, 100, 1000);
  hz_twcc_send_register (tx, 6, 100, 2000);
  g_assert_true (hz_twcc_send_on_feedback (tx, chrome_fci, sizeof chrome_fci, res, 32, &n, NULL));
  g_assert_cmpuint (n, ==, 2);
  g_assert_true (res[0].received);
  g_assert_cmpint (res[0].arrival_us, ==, 2 * 64000 + 2000);
  g_assert_false (res[1].received);
  /* the same feedback again: 2 was acknowledged already, 6 is still lost */
  g_assert_true (hz_twcc_send_on_feedback (tx, chrome_fci, sizeof chrome_fci, res, 32, &n, NULL));
  g_assert_cmpuint (n, ==, 1);
  g_assert_cmpuint (res[0].seq, ==, 6);
  /* malformed: error, nothing reported */
  g_assert_false (hz_twcc_send_on_feedback (tx, chrome_fci, 10, res, 32, &n, NULL));
  g_assert_cmpuint (n, ==, 0);
}

static void
test_build_cuts_long_gaps (void)
{
  g_autoptr(HzTwccRecv) rx = hz_twcc_recv_new ();
  g_autoptr(HzTwccSend) tx = hz_twcc_send_new ();
  HzTwccResult res[8];
  guint got;

  for (guint16 s = 0; s < 3; s++)
    hz_twcc_send_register (tx, s, 500, s * MS);
  hz_twcc_recv_on_packet (rx, 0, 1000 * MS);
  hz_twcc_recv_on_packet (rx, 1, 1001 * MS);
  hz_twcc_recv_on_packet (rx, 2, 10001 * MS); /* 9 s later: beyond a 16-bit delta */
  got = deliver (rx, tx, 1200, 10001 * MS, res, G_N_ELEMENTS (res));
  g_assert_cmpuint (got, ==, 3);
  g_assert_cmpint (res[1].arrival_us - res[0].arrival_us, ==, 1 * MS);
  g_assert_cmpint (res[2].arrival_us - res[1].arrival_us, ==, 9000 * MS);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/twcc/build-fixture", test_build_fixture);
  g_test_add_func ("/twcc/parse-fixture", test_parse_fixture);
  g_test_add_func ("/twcc/parse-malformed", test_parse_malformed);
  g_test_add_func ("/twcc/round-trip", test_round_trip);
  g_test_add_func ("/twcc/round-trip-small-packets", test_round_trip_small_packets);
  g_test_add_func ("/twcc/send-unknown-and-duplicates", test_send_ignores_unknown_and_duplicates);
  g_test_add_func ("/twcc/build-cuts-long-gaps", test_build_cuts_long_gaps);
  return g_test_run ();
}
