/* A bounded soak against the real huizhen binary (tests/hostile/hz-proc.h):
 * for HUIZHEN_SOAK_MINUTES (default 2 here; 10 for the issue's soak)
 * participants join a room, publish audio and video over real ICE, DTLS and
 * SRTP, subscribe, send media and leave, several at a time, in a loop.
 * Every 5 s the server's RSS and open file descriptors are sampled. Fails if
 * RSS keeps growing after warm-up (least-squares slope over the second half
 * above HUIZHEN_SOAK_MAX_SLOPE_KB_PER_MIN, default 1024 KiB/min) or if, once
 * everyone has left, more descriptors are open than after warm-up. */
#include <string.h>

#include "hz-proc.h"

#define SAMPLE_S 5

typedef struct {
  double t_s;
  double rss_kb;
  guint fds;
} Sample;

static double
env_double (const char *name, double def)
{
  const char *v = g_getenv (name);
  return v != NULL && *v != '\0' ? g_ascii_strtod (v, NULL) : def;
}

/* least-squares slope of rss over t, in KiB per minute */
static double
slope_kb_per_min (GArray *samples, guint from)
{
  double n = 0, st = 0, sr = 0, stt = 0, str = 0;

  for (guint i = from; i < samples->len; i++) {
    Sample *s = &g_array_index (samples, Sample, i);
    n++;
    st += s->t_s;
    sr += s->rss_kb;
    stt += s->t_s * s->t_s;
    str += s->t_s * s->rss_kb;
  }
  if (n < 2 || n * stt - st * st == 0)
    return 0;
  return (n * str - st * sr) / (n * stt - st * st) * 60.0;
}

/* One participant's life: join, publish, send some media, leave. */
static void
churn_one (HzProc *p, const char *room, guint i, HzTestClient *watcher)
{
  g_autofree char *user = g_strdup_printf ("soak-%u", i);
  g_autofree char *tok = hz_test_issue_token (&p->ts, room, user, i % 2 ? "doctor" : "specialist");
  g_autoptr(HzTestClient) c = hz_test_client_new (p->base_url);
  g_autoptr(JsonObject) joined = hz_test_client_join (c, tok);
  guint8 pkt[200 + 160] = { 0x80, 111 };

  g_assert_nonnull (joined);
  g_assert_cmpstr (json_object_get_string_member (joined, "type"), ==, "joined");
  g_assert_true (hz_test_client_publish (c, 1000 + i * 2, 1001 + i * 2));
  if (hz_test_client_wait_connected (c, TRUE, FALSE, 10000)) {
    guint32 ssrc = 1000 + i * 2;
    for (guint k = 0; k < 50; k++) {
      pkt[2] = k >> 8; pkt[3] = k;
      pkt[8] = ssrc >> 24; pkt[9] = ssrc >> 16; pkt[10] = ssrc >> 8; pkt[11] = ssrc;
      hz_peer_send_rtp (hz_test_client_get_publisher (c), pkt, 200, sizeof pkt);
      hz_test_client_pump (c, 2);
      hz_test_client_pump (watcher, 1);
    }
  }
  if (i % 3 == 0)
    hz_test_client_send (c, "{\"type\":\"leave\"}"); /* the others just drop the socket */
  hz_test_client_pump (c, 20);
}

static void
test_soak (void)
{
  double minutes = env_double ("HUIZHEN_SOAK_MINUTES", 2);
  double max_slope = env_double ("HUIZHEN_SOAK_MAX_SLOPE_KB_PER_MIN", 1024);
  g_autoptr(HzProc) p = hz_proc_start (NULL, NULL);
  g_autofree char *room = hz_test_create_room (&p->ts, "consult");
  g_autofree char *tw = hz_test_issue_token (&p->ts, room, "watcher", "specialist");
  g_autoptr(HzTestClient) watcher = hz_test_client_new (p->base_url);
  g_autoptr(JsonObject) jw = hz_test_client_join (watcher, tw);
  g_autoptr(GArray) samples = g_array_new (FALSE, TRUE, sizeof (Sample));
  gint64 start = g_get_monotonic_time ();
  gint64 end = start + (gint64) (minutes * 60 * G_USEC_PER_SEC);
  gint64 next_sample = start;
  guint cycles = 0, fds_warm = 0, fds_end;
  double slope;
  Sample *first, *warm, *last;
  guint half;

  g_assert_cmpstr (json_object_get_string_member (jw, "type"), ==, "joined");
  while (g_get_monotonic_time () < end) {
    if (g_get_monotonic_time () >= next_sample) {
      Sample s = { (g_get_monotonic_time () - start) / 1e6, hz_proc_rss_kb (p), hz_proc_n_fds (p) };
      g_array_append_val (samples, s);
      g_test_message ("t=%5.0f s  rss=%7.0f KiB  fds=%u  cycles=%u", s.t_s, s.rss_kb, s.fds, cycles);
      next_sample += SAMPLE_S * G_USEC_PER_SEC;
    }
    churn_one (p, room, cycles++, watcher);
    /* the watcher answers its subscriber offers, as a browser does (an
     * unanswered offer keeps every m-line it ever had) */
    while (hz_test_client_subscribe (watcher, 0) > 0)
      ;
    hz_test_client_pump (watcher, 10);
    g_assert_true (hz_proc_is_running (p));
  }
  /* everyone has left: let the server notice, then count descriptors */
  hz_test_client_pump (watcher, 3000);
  fds_end = hz_proc_n_fds (p);

  g_assert_cmpuint (samples->len, >=, 4);
  half = samples->len / 2;
  first = &g_array_index (samples, Sample, 0);
  warm = &g_array_index (samples, Sample, half);
  last = &g_array_index (samples, Sample, samples->len - 1);
  for (guint i = half; i < samples->len; i++)
    fds_warm = MAX (fds_warm, g_array_index (samples, Sample, i).fds);
  slope = slope_kb_per_min (samples, half);
  g_test_message ("soak: %u join/publish/leave cycles in %.1f min; RSS start %.0f KiB, after warm-up "
                  "(t=%.0f s) %.0f KiB, end %.0f KiB; slope over the second half %.1f KiB/min "
                  "(limit %.0f); fds after warm-up <= %u, at the end %u",
                  cycles, minutes, first->rss_kb, warm->t_s, warm->rss_kb, last->rss_kb, slope, max_slope,
                  fds_warm, fds_end);
  g_assert_cmpfloat (slope, <=, max_slope);
  g_assert_cmpuint (fds_end, <=, fds_warm);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  if (g_getenv ("HUIZHEN_BIN") == NULL) {
    g_printerr ("HUIZHEN_BIN is not set (meson test sets it)\n");
    return 77;
  }
  g_test_add_func ("/soak/churn", test_soak);
  return g_test_run ();
}
