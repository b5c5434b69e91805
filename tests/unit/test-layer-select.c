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
test_up_needs_margin_for_two_seconds (void)
{
  g_autoptr(HzLayerSelect) sel = hz_layer_select_new ();
  HzLayerInput in = input (300000);

  hz_layer_select_update (sel, &in, 0);
  /* 600k - 50k = 550k fits layer 1 (500k) but not with 20 % margin (600k) */
  in.estimate_bps = 600000;
  for (gint64 t = 0; t <= 5000 * MS; t += 100 * MS)
    g_assert_cmpint (hz_layer_select_update (sel, &in, t), ==, 0);
  /* 700k - 50k = 650k ≥ 600k: switches after 2 s, not before */
  in.estimate_bps = 700000;
  g_assert_cmpint (hz_layer_select_update (sel, &in, 6000 * MS), ==, 0);
  g_assert_cmpint (hz_layer_select_update (sel, &in, 7900 * MS), ==, 0);
  g_assert_cmpint (hz_layer_select_update (sel, &in, 8000 * MS), ==, 1);
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
  hz_layer_select_update (sel, &in, 2000 * MS);
  in.estimate_bps = 700000;
  g_assert_cmpint (hz_layer_select_update (sel, &in, 3000 * MS), ==, 0);
  g_assert_cmpint (hz_layer_select_update (sel, &in, 4500 * MS), ==, 0);
  g_assert_cmpint (hz_layer_select_update (sel, &in, 5000 * MS), ==, 1);
}

static void
test_down_at_once_and_pause (void)
{
  g_autoptr(HzLayerSelect) sel = hz_layer_select_new ();
  HzLayerInput in = input (3000000);

  g_assert_cmpint (hz_layer_select_update (sel, &in, 0), ==, 2);
  in.estimate_bps = 1000000; /* 950k: layer 2 no longer fits */
  g_assert_cmpint (hz_layer_select_update (sel, &in, 100 * MS), ==, 1);
  in.estimate_bps = 150000; /* 100k: not even layer 0: pause video */
  g_assert_cmpint (hz_layer_select_update (sel, &in, 200 * MS), ==, HZ_LAYER_PAUSED);
  /* resuming is an up-switch: 20 % margin for 2 s */
  in.estimate_bps = 250000; /* 200k ≥ 180k */
  g_assert_cmpint (hz_layer_select_update (sel, &in, 300 * MS), ==, HZ_LAYER_PAUSED);
  g_assert_cmpint (hz_layer_select_update (sel, &in, 2300 * MS), ==, 0);
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
  g_assert_cmpint (hz_layer_select_update (sel, &in, 2100 * MS), ==, 2);
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
  g_test_add_func ("/layer-select/up-margin-hold", test_up_needs_margin_for_two_seconds);
  g_test_add_func ("/layer-select/up-timer-resets", test_up_timer_resets_on_dip);
  g_test_add_func ("/layer-select/down-and-pause", test_down_at_once_and_pause);
  g_test_add_func ("/layer-select/preference-and-inactive", test_preference_and_inactive_layers);
  return g_test_run ();
}
