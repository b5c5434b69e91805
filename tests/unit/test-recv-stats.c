/* test-recv-stats.c: the receive statistics behind the receiver reports the
 * SFU sends each publisher (media/feedback/hz-recv-stats): loss over the
 * interval and in total, reordering, duplicates, sequence wrap-around,
 * restarts, interarrival jitter and LSR/DLSR, against values worked out by
 * hand from RFC 3550 A.1, A.3 and A.8. Time is an argument: no clock. */
#include <glib.h>

#include "hz-recv-stats.h"

#define OPUS_RATE 48000
#define FRAME_TS 960      /* 20 ms of Opus */
#define FRAME_US 20000

/* packet @seq of a stream that started at seq @first, arriving on time */
static void
on_time (HzRecvStats *s, guint16 seq, guint16 first)
{
  guint16 n = (guint16) (seq - first);
  g_assert_true (hz_recv_stats_update (s, seq, 5000u + n * FRAME_TS, 1000000 + (gint64) n * FRAME_US, OPUS_RATE));
}

static void
test_empty (void)
{
  g_autoptr (HzRecvStats) s = hz_recv_stats_new (0xabc);
  HzRtcpReportBlock b = { .ssrc = 7 };

  /* nothing received: nothing to report, nothing written */
  g_assert_false (hz_recv_stats_fill_block (s, 0, &b));
  g_assert_cmpuint (b.ssrc, ==, 7);
  g_assert_cmpuint (hz_recv_stats_get_ssrc (s), ==, 0xabc);
}

static void
test_loss (void)
{
  g_autoptr (HzRecvStats) s = hz_recv_stats_new (0x11223344);
  HzRtcpReportBlock b;

  /* 100..119 with 102 and 107 lost on the way: 20 expected, 18 received */
  for (guint16 seq = 100; seq <= 119; seq++)
    if (seq != 102 && seq != 107)
      on_time (s, seq, 100);
  g_assert_true (hz_recv_stats_fill_block (s, 2000000, &b));
  g_assert_cmpuint (b.ssrc, ==, 0x11223344);
  g_assert_cmpuint (b.fraction_lost, ==, 25); /* 2 * 256 / 20 = 25.6 */
  g_assert_cmpint (b.cumulative_lost, ==, 2);
  g_assert_cmpuint (b.ext_highest_seq, ==, 119);
  g_assert_cmpuint (b.jitter, ==, 0);         /* every packet on time */
  g_assert_cmpuint (b.lsr, ==, 0);            /* no SR yet */
  g_assert_cmpuint (b.dlsr, ==, 0);

  /* next interval: 120..129 all arrive; the fraction is per interval, the
   * cumulative count is not */
  for (guint16 seq = 120; seq <= 129; seq++)
    on_time (s, seq, 100);
  g_assert_true (hz_recv_stats_fill_block (s, 3000000, &b));
  g_assert_cmpuint (b.fraction_lost, ==, 0);
  g_assert_cmpint (b.cumulative_lost, ==, 2);
  g_assert_cmpuint (b.ext_highest_seq, ==, 129);

  /* 130..133 lost, 134 arrives: 5 expected, 1 received: 4 * 256 / 5 = 204.8 */
  on_time (s, 134, 100);
  g_assert_true (hz_recv_stats_fill_block (s, 4000000, &b));
  g_assert_cmpuint (b.fraction_lost, ==, 204);
  g_assert_cmpint (b.cumulative_lost, ==, 6);

  /* an interval with nothing at all: nothing expected, fraction 0 */
  g_assert_true (hz_recv_stats_fill_block (s, 5000000, &b));
  g_assert_cmpuint (b.fraction_lost, ==, 0);
  g_assert_cmpint (b.cumulative_lost, ==, 6);
}

static void
test_reorder_duplicate (void)
{
  g_autoptr (HzRecvStats) s = hz_recv_stats_new (1);
  HzRtcpReportBlock b;

  /* 1 2 4 3 5: 3 is late, not lost */
  on_time (s, 1, 1);
  on_time (s, 2, 1);
  on_time (s, 4, 1);
  on_time (s, 3, 1);
  on_time (s, 5, 1);
  g_assert_true (hz_recv_stats_fill_block (s, 0, &b));
  g_assert_cmpuint (b.fraction_lost, ==, 0);
  g_assert_cmpint (b.cumulative_lost, ==, 0);
  g_assert_cmpuint (b.ext_highest_seq, ==, 5);

  /* 3 once more (a duplicate): more received than expected, which RFC 3550
   * reports as negative cumulative loss and a zero fraction */
  on_time (s, 3, 1);
  g_assert_true (hz_recv_stats_fill_block (s, 0, &b));
  g_assert_cmpuint (b.fraction_lost, ==, 0);
  g_assert_cmpint (b.cumulative_lost, ==, -1);
  g_assert_cmpuint (b.ext_highest_seq, ==, 5);
}

static void
test_wraparound (void)
{
  g_autoptr (HzRecvStats) s = hz_recv_stats_new (1);
  HzRtcpReportBlock b;

  /* 65533 65534 [65535 lost] 0 1 2, then 65535 late after the wrap */
  on_time (s, 65533, 65533);
  on_time (s, 65534, 65533);
  on_time (s, 0, 65533);
  on_time (s, 1, 65533);
  on_time (s, 2, 65533);
  g_assert_true (hz_recv_stats_fill_block (s, 0, &b));
  g_assert_cmpuint (b.ext_highest_seq, ==, 65536 + 2); /* one cycle */
  g_assert_cmpint (b.cumulative_lost, ==, 1);          /* 6 expected, 5 received */
  g_assert_cmpuint (b.fraction_lost, ==, 42);          /* 256 / 6 = 42.7 */

  on_time (s, 65535, 65533); /* late: before the wrap, no second cycle */
  g_assert_true (hz_recv_stats_fill_block (s, 0, &b));
  g_assert_cmpuint (b.ext_highest_seq, ==, 65538);
  g_assert_cmpint (b.cumulative_lost, ==, 0);
  g_assert_cmpuint (b.fraction_lost, ==, 0);
}

static void
test_restart (void)
{
  g_autoptr (HzRecvStats) s = hz_recv_stats_new (1);
  HzRtcpReportBlock b;

  on_time (s, 10, 10);
  on_time (s, 11, 10);
  /* a jump of more than MAX_DROPOUT is not believed on its own ... */
  g_assert_false (hz_recv_stats_update (s, 9000, 0, 0, OPUS_RATE));
  g_assert_true (hz_recv_stats_fill_block (s, 0, &b));
  g_assert_cmpuint (b.ext_highest_seq, ==, 11);
  g_assert_cmpint (b.cumulative_lost, ==, 0); /* not 8988 lost */
  /* ... a packet of the old sequence keeps it ... */
  on_time (s, 12, 10);
  g_assert_false (hz_recv_stats_update (s, 9100, 0, 0, OPUS_RATE));
  /* ... and the next one after the jump confirms it: a restart */
  g_assert_true (hz_recv_stats_update (s, 9101, 0, 0, OPUS_RATE));
  g_assert_true (hz_recv_stats_update (s, 9103, 0, 0, OPUS_RATE));
  g_assert_true (hz_recv_stats_fill_block (s, 0, &b));
  g_assert_cmpuint (b.ext_highest_seq, ==, 9103);
  g_assert_cmpint (b.cumulative_lost, ==, 1); /* 9101..9103: 9102 missing */
  g_assert_cmpuint (b.fraction_lost, ==, 85); /* 256 / 3 */
}

static void
test_jitter (void)
{
  g_autoptr (HzRecvStats) s = hz_recv_stats_new (1);
  HzRtcpReportBlock b;

  /* Opus every 20 ms (960 ticks at 48 kHz); arrivals 0, 21, 40, 62 ms.
   * arrival in RTP units: 0, 1008, 1920, 2976; transit: 0, 48, 0, 96;
   * |D|: 48, 48, 96. A.8 with J×16: J = 0 + 48 - 0 = 48;
   * J = 48 + 48 - (56 >> 4 = 3) = 93; J = 93 + 96 - (101 >> 4 = 6) = 183;
   * reported 183 >> 4 = 11 (the float recursion gives 11.45). */
  g_assert_true (hz_recv_stats_update (s, 1, 0, 0, OPUS_RATE));
  g_assert_true (hz_recv_stats_update (s, 2, 960, 21000, OPUS_RATE));
  g_assert_true (hz_recv_stats_update (s, 3, 1920, 40000, OPUS_RATE));
  g_assert_true (hz_recv_stats_update (s, 4, 2880, 62000, OPUS_RATE));
  g_assert_true (hz_recv_stats_fill_block (s, 0, &b));
  g_assert_cmpuint (b.jitter, ==, 11);

  /* a late packet (a retransmission, say) arriving a second late does not
   * count as jitter */
  g_assert_true (hz_recv_stats_update (s, 3, 1920, 1040000, OPUS_RATE));
  g_assert_true (hz_recv_stats_fill_block (s, 0, &b));
  g_assert_cmpuint (b.jitter, ==, 11);
}

static void
test_jitter_ts_wrap (void)
{
  g_autoptr (HzRecvStats) s = hz_recv_stats_new (1);
  HzRtcpReportBlock b;

  /* on time across the 32-bit RTP timestamp wrap: no jitter at all */
  g_assert_true (hz_recv_stats_update (s, 1, G_MAXUINT32 - 959, 0, OPUS_RATE));
  g_assert_true (hz_recv_stats_update (s, 2, 0, 20000, OPUS_RATE));
  g_assert_true (hz_recv_stats_update (s, 3, 960, 40000, OPUS_RATE));
  g_assert_true (hz_recv_stats_fill_block (s, 0, &b));
  g_assert_cmpuint (b.jitter, ==, 0);
  /* 90 kHz video, the second packet 10 ms late */
  {
    g_autoptr (HzRecvStats) v = hz_recv_stats_new (2);
    g_assert_true (hz_recv_stats_update (v, 1, 0, 0, 90000));
    /* ts 3000 is due at 33.3 ms; it arrives at 43.334 ms = 3900 ticks
     * (3900.06 floored): transit 900, |D| = 900, J×16 = 900, reported 56 */
    g_assert_true (hz_recv_stats_update (v, 2, 3000, 43334, 90000));
    g_assert_true (hz_recv_stats_fill_block (v, 0, &b));
    g_assert_cmpuint (b.jitter, ==, 56);
  }
}

static void
test_lsr_dlsr (void)
{
  g_autoptr (HzRecvStats) s = hz_recv_stats_new (1);
  HzRtcpReportBlock b;

  on_time (s, 1, 1);
  /* NTP 0x0123456789abcdef: LSR is the middle 32 bits 0x456789ab */
  hz_recv_stats_on_sr (s, G_GUINT64_CONSTANT (0x0123456789abcdef), 1000000);
  g_assert_true (hz_recv_stats_fill_block (s, 1500000, &b));
  g_assert_cmpuint (b.lsr, ==, 0x456789ab);
  g_assert_cmpuint (b.dlsr, ==, 32768); /* 0.5 s in 1/65536 s */
  /* a newer SR replaces it */
  hz_recv_stats_on_sr (s, G_GUINT64_CONSTANT (0x00000002c0000000), 3000000);
  g_assert_true (hz_recv_stats_fill_block (s, 3000000 + 250000, &b));
  g_assert_cmpuint (b.lsr, ==, 0x0002c000);
  g_assert_cmpuint (b.dlsr, ==, 16384);
}

/* The block survives the trip through our RR builder and parser, negative
 * cumulative loss included: what the publisher's browser will read. */
static void
test_rr_bytes (void)
{
  g_autoptr (HzRecvStats) s = hz_recv_stats_new (0xcafe0001);
  HzRtcpRr rr = { .ssrc = 0x5f5f0000, .n_blocks = 1 }, back;
  HzRtcpIter it;
  HzRtcpHeader hdr;
  guint8 buf[64];
  gsize n;

  on_time (s, 7, 7);
  on_time (s, 9, 7);
  g_assert_true (hz_recv_stats_fill_block (s, 0, &rr.blocks[0]));
  n = hz_rtcp_build_rr (buf, sizeof buf, &rr);
  g_assert_cmpuint (n, ==, 32);
  g_assert_cmpmem (buf + 8, 8, "\xca\xfe\x00\x01" "\x55\x00\x00\x01", 8); /* ssrc, 85/256, 1 lost */
  hz_rtcp_iter_init (&it, buf, n);
  g_assert_true (hz_rtcp_iter_next (&it, &hdr));
  g_assert_true (hz_rtcp_parse_rr (&hdr, &back));
  g_assert_cmpuint (back.blocks[0].ssrc, ==, 0xcafe0001);
  g_assert_cmpuint (back.blocks[0].fraction_lost, ==, 85);
  g_assert_cmpint (back.blocks[0].cumulative_lost, ==, 1);
  g_assert_cmpuint (back.blocks[0].ext_highest_seq, ==, 9);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/recv-stats/empty", test_empty);
  g_test_add_func ("/recv-stats/loss", test_loss);
  g_test_add_func ("/recv-stats/reorder-duplicate", test_reorder_duplicate);
  g_test_add_func ("/recv-stats/wraparound", test_wraparound);
  g_test_add_func ("/recv-stats/restart", test_restart);
  g_test_add_func ("/recv-stats/jitter", test_jitter);
  g_test_add_func ("/recv-stats/jitter-ts-wrap", test_jitter_ts_wrap);
  g_test_add_func ("/recv-stats/lsr-dlsr", test_lsr_dlsr);
  g_test_add_func ("/recv-stats/rr-bytes", test_rr_bytes);
  return g_test_run ();
}
