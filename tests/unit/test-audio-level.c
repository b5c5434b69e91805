/* test-audio-level.c: smoothed active speaker from RFC 6464 levels
 * (hz-audio-level). 20 ms Opus packets, time driven by the test. */
#include <glib.h>

#include "hz-audio-level.h"

#define MS (G_TIME_SPAN_MILLISECOND)

/* Feeds 20 ms packets from @t0 for @dur: participant @a at level @la, @b at @lb. */
static gint64
talk (HzActiveSpeaker *as, gint64 t0, gint64 dur, guint32 a, guint8 la, guint32 b, guint8 lb)
{
  gint64 t;

  for (t = t0; t < t0 + dur; t += 20 * MS) {
    hz_active_speaker_add_level (as, a, la, t);
    hz_active_speaker_add_level (as, b, lb, t);
  }
  return t;
}

static void
test_first_speaker_and_silence (void)
{
  g_autoptr(HzActiveSpeaker) as = hz_active_speaker_new ();
  guint32 who = 0;
  gint64 t;

  /* only background noise (-90 dBov) and silence: nobody */
  t = talk (as, 0, 500 * MS, 1, 90, 2, 127);
  g_assert_false (hz_active_speaker_update (as, t, &who));
  g_assert_false (hz_active_speaker_get (as, &who));
  /* 2 speaks at -30 dBov: chosen at once */
  t = talk (as, t, 300 * MS, 1, 90, 2, 30);
  g_assert_true (hz_active_speaker_update (as, t, &who));
  g_assert_cmpuint (who, ==, 2);
  /* everyone quiet: the last speaker stays */
  t = talk (as, t, 2000 * MS, 1, 127, 2, 127);
  g_assert_false (hz_active_speaker_update (as, t, &who));
  g_assert_true (hz_active_speaker_get (as, &who));
  g_assert_cmpuint (who, ==, 2);
}

static void
test_dwell_and_smoothing (void)
{
  g_autoptr(HzActiveSpeaker) as = hz_active_speaker_new ();
  guint32 who = 0;
  gint64 t;

  t = talk (as, 0, 300 * MS, 1, 20, 2, 127);
  g_assert_true (hz_active_speaker_update (as, t, &who));
  g_assert_cmpuint (who, ==, 1);
  /* 2 coughs for one packet, louder: the 300 ms window outweighs it */
  hz_active_speaker_add_level (as, 2, 0, t);
  t = talk (as, t, 1200 * MS, 1, 20, 2, 127);
  g_assert_false (hz_active_speaker_update (as, t, &who));
  /* 2 takes over: the first choice (at 0.3 s) has been held longer than 1 s */
  t = talk (as, t, 400 * MS, 1, 127, 2, 25);
  g_assert_true (hz_active_speaker_update (as, t, &who));  /* t = 1.9 s > 0.3 s + 1 s */
  g_assert_cmpuint (who, ==, 2);
  /* 1 answers at once: held by the dwell until 1 s after the change */
  t = talk (as, t, 400 * MS, 1, 20, 2, 127);
  g_assert_false (hz_active_speaker_update (as, t, &who));
  t = talk (as, t, 600 * MS, 1, 20, 2, 127);
  g_assert_true (hz_active_speaker_update (as, t, &who));
  g_assert_cmpuint (who, ==, 1);
}

static void
test_remove_speaker (void)
{
  g_autoptr(HzActiveSpeaker) as = hz_active_speaker_new ();
  guint32 who = 0;
  gint64 t;

  t = talk (as, 0, 300 * MS, 1, 20, 2, 40);
  g_assert_true (hz_active_speaker_update (as, t, &who));
  g_assert_cmpuint (who, ==, 1);
  hz_active_speaker_remove (as, 1);
  /* the quieter one takes over without waiting for the dwell */
  t = talk (as, t, 100 * MS, 3, 127, 2, 40);
  g_assert_true (hz_active_speaker_update (as, t, &who));
  g_assert_cmpuint (who, ==, 2);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/audio-level/first-speaker-and-silence", test_first_speaker_and_silence);
  g_test_add_func ("/audio-level/dwell-and-smoothing", test_dwell_and_smoothing);
  g_test_add_func ("/audio-level/remove-speaker", test_remove_speaker);
  return g_test_run ();
}
