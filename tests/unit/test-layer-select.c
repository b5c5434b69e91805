/* test-layer-select.c: simulcast layer choice (hz-layer-select). */
#include <glib.h>

#include "hz-layer-select.h"

#define MS (G_TIME_SPAN_MILLISECOND)

/* Three layers as Chrome sends them for 720p: 150, 500, 1500 kbit/s. */
static HzLayerInput
input (guint64 estimate)
{
  HzLayerInput in = {
    .estimate_bps = estimate,
    .audio_bps = 50000,
    .layer_bps = { 150000, 500000, 1500000 },
    .layer_active = { TRUE, TRUE, TRUE },
    .max_layer = 2,
  };
  return in;
}

static void
test_initial_choice (void)
{
  g_autoptr(HzLayerSelect) sel = hz_layer_select_new ();
  HzLayerInput in = input (300000);

  /* 300k - 50k audio = 250k: only the low layer fits, chosen at once */
  g_assert_cmpint (hz_layer_select_update (sel, &in, 0), ==, 0);
  g_assert_cmpint (hz_layer_select_get_current (sel), ==, 0);
}

static void
test_up_needs_margin_for_one_second (void)
{
  g_autoptr(HzLayerSelect) sel = hz_layer_select_new ();
  HzLayerInput in = input (300000);

  hz_layer_select_update (sel, &in, 0);
  /* 600k - 50k = 550k fits layer 1 (500k) but not with 20 % margin (600k) */
  in.estimate_bps = 600000;
  for (gint64 t = 0; t <= 5000 * MS; t += 100 * MS)
    g_assert_cmpint (hz_layer_select_update (sel, &in, t), ==, 0);
  /* 700k - 50k = 650k ≥ 600k: switches after 1 s, not before */
  in.estimate_bps = 700000;
  g_assert_cmpint (hz_layer_select_update (sel, &in, 6000 * MS), ==, 0);
  g_assert_cmpint (hz_layer_select_update (sel, &in, 6900 * MS), ==, 0);
  g_assert_cmpint (hz_layer_select_update (sel, &in, 7000 * MS), ==, 1);
}

static void
test_up_timer_resets_on_dip (void)
{
  g_autoptr(HzLayerSelect) sel = hz_layer_select_new ();
  HzLayerInput in = input (300000);

  hz_layer_select_update (sel, &in, 0);
  in.estimate_bps = 700000;
  hz_layer_select_update (sel, &in, 1000 * MS);
  in.estimate_bps = 600000; /* margin lost for a moment */
  hz_layer_select_update (sel, &in, 1500 * MS);
  in.estimate_bps = 700000;
  g_assert_cmpint (hz_layer_select_update (sel, &in, 2000 * MS), ==, 0);
  g_assert_cmpint (hz_layer_select_update (sel, &in, 2900 * MS), ==, 0);
  g_assert_cmpint (hz_layer_select_update (sel, &in, 3000 * MS), ==, 1);
}

/* Straight to the layer that fits when the estimate jumps (a probe got
 * through): one switch, not one layer at a time. */
static void
test_up_skips_layers (void)
{
  g_autoptr(HzLayerSelect) sel = hz_layer_select_new ();
  HzLayerInput in = input (300000);

  g_assert_cmpint (hz_layer_select_update (sel, &in, 0), ==, 0);
  in.estimate_bps = 2000000; /* 1.95M ≥ 1.8M: layer 2 with margin */
  g_assert_cmpint (hz_layer_select_update (sel, &in, 100 * MS), ==, 0);
  g_assert_cmpint (hz_layer_select_update (sel, &in, 1100 * MS), ==, 2);
}

static void
test_down_at_once_and_pause (void)
{
  g_autoptr(HzLayerSelect) sel = hz_layer_select_new ();
  HzLayerInput in = input (3000000);

  g_assert_cmpint (hz_layer_select_update (sel, &in, 0), ==, 2);
  in.estimate_bps = 1000000; /* 950k: layer 2 no longer fits */
  g_assert_cmpint (hz_layer_select_update (sel, &in, 100 * MS), ==, 1);
  /* 150k - 50k = 100k: below layer 0 (150k) but above half of it: the
   * lowest layer stays (one overuse cut must not stop the video) */
  in.estimate_bps = 150000;
  g_assert_cmpint (hz_layer_select_update (sel, &in, 200 * MS), ==, 0);
  /* 120k - 50k = 70k < 75k: pause, audio alone */
  in.estimate_bps = 120000;
  g_assert_cmpint (hz_layer_select_update (sel, &in, 300 * MS), ==, HZ_LAYER_PAUSED);
  /* half of layer 0 again is not enough to resume ... */
  in.estimate_bps = 150000;
  g_assert_cmpint (hz_layer_select_update (sel, &in, 400 * MS), ==, HZ_LAYER_PAUSED);
  g_assert_cmpint (hz_layer_select_update (sel, &in, 3000 * MS), ==, HZ_LAYER_PAUSED);
  /* ... the whole layer (200k ≥ 150k, no margin) held for 1 s is */
  in.estimate_bps = 200000;
  g_assert_cmpint (hz_layer_select_update (sel, &in, 3100 * MS), ==, HZ_LAYER_PAUSED);
  g_assert_cmpint (hz_layer_select_update (sel, &in, 4000 * MS), ==, HZ_LAYER_PAUSED);
  g_assert_cmpint (hz_layer_select_update (sel, &in, 4100 * MS), ==, 0);
}

/* A first decision below layer 0 pauses at once (no video to keep). */
static void
test_first_decision_can_pause (void)
{
  g_autoptr(HzLayerSelect) sel = hz_layer_select_new ();
  HzLayerInput in = input (150000);

  g_assert_cmpint (hz_layer_select_update (sel, &in, 0), ==, HZ_LAYER_PAUSED);
}

static void
test_preference_and_inactive_layers (void)
{
  g_autoptr(HzLayerSelect) sel = hz_layer_select_new ();
  HzLayerInput in = input (5000000);

  in.max_layer = 0; /* a small tile */
  g_assert_cmpint (hz_layer_select_update (sel, &in, 0), ==, 0);
  in.max_layer = 2; /* enlarged: still goes up through the hold time */
  g_assert_cmpint (hz_layer_select_update (sel, &in, 100 * MS), ==, 0);
  g_assert_cmpint (hz_layer_select_update (sel, &in, 1100 * MS), ==, 2);
  /* preference lowered: at once */
  in.max_layer = 1;
  g_assert_cmpint (hz_layer_select_update (sel, &in, 2200 * MS), ==, 1);
  /* the publisher stops sending layer 1 (its uplink shrank): down at once */
  in.layer_active[1] = FALSE;
  g_assert_cmpint (hz_layer_select_update (sel, &in, 2300 * MS), ==, 0);
  /* nothing active at all */
  in.layer_active[0] = FALSE;
  in.layer_active[2] = FALSE;
  g_assert_cmpint (hz_layer_select_update (sel, &in, 2400 * MS), ==, HZ_LAYER_PAUSED);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/layer-select/initial", test_initial_choice);
  g_test_add_func ("/layer-select/up-margin-hold", test_up_needs_margin_for_one_second);
  g_test_add_func ("/layer-select/up-timer-resets", test_up_timer_resets_on_dip);
  g_test_add_func ("/layer-select/up-skips-layers", test_up_skips_layers);
  g_test_add_func ("/layer-select/down-and-pause", test_down_at_once_and_pause);
  g_test_add_func ("/layer-select/first-decision-can-pause", test_first_decision_can_pause);
  g_test_add_func ("/layer-select/preference-and-inactive", test_preference_and_inactive_layers);
  return g_test_run ();
}
