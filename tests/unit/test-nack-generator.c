/* test-nack-generator.c: the server's receive log and the NACKs it sends
 * upstream (hz-nack-generator). Time is driven by the test. */
#include <glib.h>

#include "hz-nack-generator.h"

#define MS (G_TIME_SPAN_MILLISECOND)

static void
test_no_loss_no_nack (void)
{
  g_autoptr(HzNackGenerator) gen = hz_nack_generator_new ();
  guint16 seqs[16];
  HzNackStats st;

  g_assert_cmpint (hz_nack_generator_on_packet (gen, 100, 0), ==, HZ_NACK_PACKET_FIRST);
  for (guint16 s = 101; s < 200; s++)
    g_assert_cmpint (hz_nack_generator_on_packet (gen, s, s * MS), ==, HZ_NACK_PACKET_IN_ORDER);
  g_assert_cmpuint (hz_nack_generator_poll (gen, 500 * MS, seqs, 16), ==, 0);
  hz_nack_generator_get_stats (gen, &st);
  g_assert_cmpuint (st.received, ==, 100);
  g_assert_cmpuint (st.missing, ==, 0);
}

static void
test_gap_nacked_after_reorder_delay (void)
{
  g_autoptr(HzNackGenerator) gen = hz_nack_generator_new ();
  guint16 seqs[16];
  HzNackStats st;

  hz_nack_generator_on_packet (gen, 10, 0);
  hz_nack_generator_on_packet (gen, 13, 1 * MS); /* 11, 12 missing */
  /* within the reorder delay: nothing yet */
  g_assert_cmpuint (hz_nack_generator_poll (gen, 5 * MS, seqs, 16), ==, 0);
  /* 11 arrives late but before any NACK: reordering, not loss */
  g_assert_cmpint (hz_nack_generator_on_packet (gen, 11, 6 * MS), ==, HZ_NACK_PACKET_REORDERED);
  g_assert_cmpuint (hz_nack_generator_poll (gen, 11 * MS, seqs, 16), ==, 1);
  g_assert_cmpuint (seqs[0], ==, 12);
  /* not again before an RTT (100 ms) */
  g_assert_cmpuint (hz_nack_generator_poll (gen, 60 * MS, seqs, 16), ==, 0);
  g_assert_cmpuint (hz_nack_generator_poll (gen, 111 * MS, seqs, 16), ==, 1);
  g_assert_cmpuint (seqs[0], ==, 12);
  /* the retransmission arrives */
  g_assert_cmpint (hz_nack_generator_on_packet (gen, 12, 130 * MS), ==, HZ_NACK_PACKET_RECOVERED);
  g_assert_cmpint (hz_nack_generator_on_packet (gen, 12, 131 * MS), ==, HZ_NACK_PACKET_DUPLICATE);
  g_assert_cmpuint (hz_nack_generator_poll (gen, 400 * MS, seqs, 16), ==, 0);
  hz_nack_generator_get_stats (gen, &st);
  g_assert_cmpuint (st.missing, ==, 2);
  g_assert_cmpuint (st.reordered, ==, 1);
  g_assert_cmpuint (st.recovered, ==, 1);
  g_assert_cmpuint (st.lost, ==, 0);
  g_assert_cmpuint (st.nacks_sent, ==, 2);
  g_assert_cmpuint (st.pending, ==, 0);
}

static void
test_wraparound (void)
{
  g_autoptr(HzNackGenerator) gen = hz_nack_generator_new ();
  guint16 seqs[16];

  hz_nack_generator_on_packet (gen, 65533, 0);
  hz_nack_generator_on_packet (gen, 65534, 0);
  /* 65535 and 0 lost, 1 arrives */
  g_assert_cmpint (hz_nack_generator_on_packet (gen, 1, 1 * MS), ==, HZ_NACK_PACKET_IN_ORDER);
  g_assert_cmpuint (hz_nack_generator_poll (gen, 20 * MS, seqs, 16), ==, 2);
  g_assert_cmpuint (seqs[0], ==, 65535);
  g_assert_cmpuint (seqs[1], ==, 0);
  g_assert_cmpint (hz_nack_generator_on_packet (gen, 0, 30 * MS), ==, HZ_NACK_PACKET_RECOVERED);
  g_assert_cmpint (hz_nack_generator_on_packet (gen, 65535, 31 * MS), ==, HZ_NACK_PACKET_RECOVERED);
  /* an old packet from before the wrap is a duplicate, not a jump */
  g_assert_cmpint (hz_nack_generator_on_packet (gen, 65000, 32 * MS), ==, HZ_NACK_PACKET_DUPLICATE);
  g_assert_cmpuint (hz_nack_generator_poll (gen, 200 * MS, seqs, 16), ==, 0);
}

static void
test_retries_then_lost (void)
{
  g_autoptr(HzNackGenerator) gen = hz_nack_generator_new ();
  guint16 seqs[16];
  guint asked = 0;
  HzNackStats st;

  hz_nack_generator_set_rtt (gen, 50 * MS);
  hz_nack_generator_on_packet (gen, 1, 0);
  hz_nack_generator_on_packet (gen, 3, 0);
  for (gint64 t = 0; t <= 2000 * MS; t += 5 * MS)
    asked += hz_nack_generator_poll (gen, t, seqs, 16);
  /* asked 10 times, 50 ms apart (the last at 10 + 9 × 50 = 460 ms), then given up */
  g_assert_cmpuint (asked, ==, HZ_NACK_DEFAULT_MAX_RETRIES);
  hz_nack_generator_get_stats (gen, &st);
  g_assert_cmpuint (st.lost, ==, 1);
  g_assert_cmpuint (st.pending, ==, 0);
  /* arriving after it was given up: nothing to recover */
  g_assert_cmpint (hz_nack_generator_on_packet (gen, 2, 2100 * MS), ==, HZ_NACK_PACKET_DUPLICATE);
}

static void
test_max_age_and_limit (void)
{
  g_autoptr(HzNackGenerator) gen = hz_nack_generator_new ();
  guint16 seqs[4];
  HzNackStats st;

  hz_nack_generator_set_limits (gen, 0, 100, 300 * MS);
  hz_nack_generator_on_packet (gen, 0, 0);
  hz_nack_generator_on_packet (gen, 7, 0); /* 1..6 missing */
  /* only as many as the caller has room for, oldest first */
  g_assert_cmpuint (hz_nack_generator_poll (gen, 0, seqs, 4), ==, 4);
  g_assert_cmpuint (seqs[0], ==, 1);
  g_assert_cmpuint (seqs[3], ==, 4);
  g_assert_cmpuint (hz_nack_generator_poll (gen, 1 * MS, seqs, 4), ==, 2);
  g_assert_cmpuint (seqs[0], ==, 5);
  /* past max age, with retries left: lost */
  g_assert_cmpuint (hz_nack_generator_poll (gen, 301 * MS, seqs, 4), ==, 0);
  hz_nack_generator_get_stats (gen, &st);
  g_assert_cmpuint (st.lost, ==, 6);
}

static void
test_large_jump_resets (void)
{
  g_autoptr(HzNackGenerator) gen = hz_nack_generator_new ();
  guint16 seqs[16];
  HzNackStats st;

  hz_nack_generator_on_packet (gen, 1000, 0);
  hz_nack_generator_on_packet (gen, 1002, 0); /* 1001 missing */
  g_assert_cmpint (hz_nack_generator_on_packet (gen, 5000, 1 * MS), ==, HZ_NACK_PACKET_RESET);
  g_assert_cmpuint (hz_nack_generator_poll (gen, 50 * MS, seqs, 16), ==, 0);
  hz_nack_generator_get_stats (gen, &st);
  g_assert_cmpuint (st.lost, ==, 1 + 3997);
  /* continues normally from the new position */
  hz_nack_generator_on_packet (gen, 5002, 60 * MS);
  g_assert_cmpuint (hz_nack_generator_poll (gen, 80 * MS, seqs, 16), ==, 1);
  g_assert_cmpuint (seqs[0], ==, 5001);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/nack-generator/no-loss", test_no_loss_no_nack);
  g_test_add_func ("/nack-generator/reorder-delay-and-retry", test_gap_nacked_after_reorder_delay);
  g_test_add_func ("/nack-generator/wraparound", test_wraparound);
  g_test_add_func ("/nack-generator/retries-then-lost", test_retries_then_lost);
  g_test_add_func ("/nack-generator/max-age-and-limit", test_max_age_and_limit);
  g_test_add_func ("/nack-generator/large-jump-resets", test_large_jump_resets);
  return g_test_run ();
}
