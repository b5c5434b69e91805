/* test-bwe.c: the subscriber downlink estimate (hz-bwe) against a
 * simulated bottleneck: a FIFO queue drained at a capacity set by the test,
 * a sender pacing 1200-byte packets at the estimate, TWCC results every
 * 50 ms, optional random loss from a seeded generator. All time simulated. */
#include <glib.h>

#include "hz-bwe.h"

#define MS (G_TIME_SPAN_MILLISECOND)
#define PKT 1200
#define MAX_PKTS 200000
#define PROP_US (20 * MS)

typedef struct {
  HzBwe *bwe;
  GRand *rand;
  gdouble loss;             /* random loss before the queue */
  guint64 cap_bps;          /* bottleneck capacity */
  gint64 now;
  gint64 next_send;
  gint64 queue_free_at;     /* when the bottleneck finishes its last packet */
  guint n;                  /* packets sent */
  guint reported;           /* packets reported in feedback */
  gint64 send[MAX_PKTS];
  gint64 arrival[MAX_PKTS]; /* < 0: lost */
  HzTwccResult res[MAX_PKTS];
} Sim;

static Sim *
sim_new (guint64 start_bps, guint64 cap_bps, gdouble loss, guint32 seed)
{
  Sim *sim = g_new0 (Sim, 1);

  sim->bwe = hz_bwe_new (start_bps, 0, 0);
  sim->rand = g_rand_new_with_seed (seed);
  sim->cap_bps = cap_bps;
  sim->loss = loss;
  sim->now = 1000 * MS;
  sim->next_send = sim->now;
  return sim;
}

static void
sim_free (Sim *sim)
{
  hz_bwe_free (sim->bwe);
  g_rand_free (sim->rand);
  g_free (sim);
}

/* Sends what the pacer allows up to @until, then delivers a feedback. */
static void
sim_step (Sim *sim, gint64 until)
{
  guint first, k = 0;

  while (sim->next_send <= until && sim->n < MAX_PKTS) {
    guint i = sim->n++;
    gint64 at_queue = sim->next_send + PROP_US / 2;
    gint64 service = (gint64) PKT * 8 * G_TIME_SPAN_SECOND / (gint64) sim->cap_bps;

    sim->send[i] = sim->next_send;
    if (g_rand_double (sim->rand) < sim->loss) {
      sim->arrival[i] = -1;
    } else {
      sim->queue_free_at = MAX (sim->queue_free_at, at_queue) + service;
      sim->arrival[i] = sim->queue_free_at + PROP_US / 2;
    }
    sim->next_send += (gint64) PKT * 8 * G_TIME_SPAN_SECOND / (gint64) hz_bwe_get_target (sim->bwe);
  }
  /* the receiver reports everything that arrived by now (lost ones once a
   * later packet shows the gap); the feedback takes PROP_US/2 back */
  first = sim->reported;
  for (guint i = sim->reported; i < sim->n; i++) {
    if (sim->arrival[i] >= 0 && sim->arrival[i] > until - PROP_US / 2)
      break;
    if (sim->arrival[i] >= 0)
      k = i + 1 - first;
  }
  for (guint j = 0; j < k; j++) {
    HzTwccResult *r = &sim->res[j];
    guint i = first + j;

    r->seq = (guint16) i;
    r->send_us = sim->send[i];
    r->received = sim->arrival[i] >= 0;
    r->arrival_us = r->received ? sim->arrival[i] + 777777 : 0; /* another clock */
    r->size = PKT;
  }
  sim->reported += k;
  hz_bwe_on_twcc (sim->bwe, sim->res, k, until);
  sim->now = until;
}

/* Runs for @secs and returns the min and max estimate seen after @settle. */
static void
sim_run (Sim *sim, gdouble secs, gdouble settle, guint64 *lo, guint64 *hi)
{
  gint64 end = sim->now + (gint64) (secs * G_TIME_SPAN_SECOND);
  gint64 from = sim->now + (gint64) (settle * G_TIME_SPAN_SECOND);

  *lo = G_MAXUINT64;
  *hi = 0;
  while (sim->now < end) {
    sim_step (sim, sim->now + 50 * MS);
    if (sim->now >= from) {
      *lo = MIN (*lo, hz_bwe_get_target (sim->bwe));
      *hi = MAX (*hi, hz_bwe_get_target (sim->bwe));
    }
  }
}

static void
test_converges_to_bottleneck (void)
{
  Sim *sim = sim_new (1500000, 300000, 0, 1);
  guint64 lo, hi;
  HzBweStats st;

  /* starts 5× too high: the queue grows, overuse brings it down */
  sim_run (sim, 20, 4, &lo, &hi);
  g_test_message ("300 kbit/s bottleneck, from 1.5 Mbit/s: %" G_GUINT64_FORMAT " .. %" G_GUINT64_FORMAT, lo, hi);
  g_assert_cmpuint (lo, >=, 210000);
  g_assert_cmpuint (hi, <=, 390000);
  hz_bwe_get_stats (sim->bwe, &st);
  g_assert_cmpuint (st.acked_bps, >, 240000);
  g_assert_cmpuint (st.acked_bps, <=, 310000);
  sim_free (sim);
}

static void
test_random_loss_no_collapse (void)
{
  Sim *sim = sim_new (0, 300000, 0.05, 7);
  guint64 lo, hi;
  HzBweStats st;

  /* the impairment: 300 kbit/s and 5 % random loss */
  sim_run (sim, 30, 5, &lo, &hi);
  g_test_message ("300 kbit/s + 5 %% loss: %" G_GUINT64_FORMAT " .. %" G_GUINT64_FORMAT, lo, hi);
  g_assert_cmpuint (lo, >=, 210000);
  g_assert_cmpuint (hi, <=, 390000);
  hz_bwe_get_stats (sim->bwe, &st);
  g_assert_cmpfloat (st.loss_fraction, <, 0.10);
  sim_free (sim);
}

static void
test_heavy_loss_reduces (void)
{
  Sim *sim = sim_new (1000000, 5000000, 0.25, 3);
  guint64 lo, hi;

  /* no queueing at all, but a quarter of the packets vanish */
  sim_run (sim, 10, 9, &lo, &hi);
  g_test_message ("25 %% loss, no bottleneck: %" G_GUINT64_FORMAT, hi);
  g_assert_cmpuint (hi, <, 500000);
  sim_free (sim);
}

static void
test_recovers_when_cap_lifts (void)
{
  Sim *sim = sim_new (0, 300000, 0, 5);
  guint64 lo, hi;

  sim_run (sim, 10, 5, &lo, &hi);
  g_assert_cmpuint (hi, <=, 390000);
  sim->cap_bps = 3000000;
  sim_run (sim, 15, 14, &lo, &hi);
  g_test_message ("15 s after the cap lifts to 3 Mbit/s: %" G_GUINT64_FORMAT, lo);
  g_assert_cmpuint (lo, >=, 600000);
  sim_free (sim);
}

static void
test_remb_only_and_clamps (void)
{
  g_autoptr(HzBwe) bwe = hz_bwe_new (0, 0, 0);

  g_assert_cmpuint (hz_bwe_get_target (bwe), ==, HZ_BWE_START_BPS);
  hz_bwe_on_remb (bwe, 500000, 0);
  g_assert_cmpuint (hz_bwe_get_target (bwe), ==, 500000);
  hz_bwe_on_remb (bwe, 1000, 1 * MS);
  g_assert_cmpuint (hz_bwe_get_target (bwe), ==, HZ_BWE_MIN_BPS);
  hz_bwe_on_remb (bwe, G_GUINT64_CONSTANT (50000000), 2 * MS);
  g_assert_cmpuint (hz_bwe_get_target (bwe), ==, HZ_BWE_MAX_BPS);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/bwe/converges-to-bottleneck", test_converges_to_bottleneck);
  g_test_add_func ("/bwe/random-loss-no-collapse", test_random_loss_no_collapse);
  g_test_add_func ("/bwe/heavy-loss-reduces", test_heavy_loss_reduces);
  g_test_add_func ("/bwe/recovers-when-cap-lifts", test_recovers_when_cap_lifts);
  g_test_add_func ("/bwe/remb-only-and-clamps", test_remb_only_and_clamps);
  return g_test_run ();
}
