/* hz-loadgen: hundreds of lightweight WebRTC participants in one process
 * (real ICE, DTLS, SRTP through media/; no decoding) against Huizhen or
 * Janus's VideoRoom, for the scenarios of docs/BENCHMARKS.md:
 *   fanout  1 publisher to N subscribers, N stepping up until loss > 1 %
 *   consult K rooms of 4 participants, each publishing and receiving 3
 *   storm   N subscribers (default 50) joining within one second
 * Each measurement prints one JSON line on stdout and a summary on stderr.
 * Bounded: --duration (whole run) and --max-peers; only a local server. */
#include "lg.h"

#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "hz-srtp.h"

typedef struct {
  gint64 t_us;
  guint64 server_ticks; /* utime + stime of the server, clock ticks */
  guint64 server_rss_kb;
  double self_cpu_s;
  guint64 expected, received, bytes, gaps, reordered, nacks;
  guint64 tick_count, tick_late_sum_us;
} Snap;

/* The only SRTP profile our peers offer/accept when --srtp-profile is given.
 * media/crypto sets its list on the certificate's SSL_CTX (GCM first) and
 * has no setter, so the load generator is linked with
 * -Wl,--wrap=SSL_CTX_set_tlsext_use_srtp and replaces the list here. */
static const char *lg_srtp_profiles;

int __real_SSL_CTX_set_tlsext_use_srtp (void *ctx, const char *profiles);
int __wrap_SSL_CTX_set_tlsext_use_srtp (void *ctx, const char *profiles);

int
__wrap_SSL_CTX_set_tlsext_use_srtp (void *ctx, const char *profiles)
{
  return __real_SSL_CTX_set_tlsext_use_srtp (ctx, lg_srtp_profiles != NULL ? lg_srtp_profiles : profiles);
}

static struct {
  char *server, *url, *admin_key, *ip, *clip_dir, *scenario, *steps;
  char *window_start_cmd, *window_end_cmd, *label, *srtp_profile;
  gint duration_s, max_peers, window_s, rooms, storm, server_pid;
  double loss_stop;
} opt = { .duration_s = 300, .max_peers = 600, .window_s = 10, .rooms = 10, .storm = 50,
          .loss_stop = 0.01 };

/* ---- measurement ---- */

static gboolean
read_proc (int pid, guint64 *ticks, guint64 *rss_kb)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", pid);
  g_autofree char *spath = g_strdup_printf ("/proc/%d/status", pid);
  g_autofree char *stat = NULL, *status = NULL;
  const char *p, *rss;
  unsigned long utime = 0, stime = 0;

  if (pid <= 0 || !g_file_get_contents (path, &stat, NULL, NULL) ||
      !g_file_get_contents (spath, &status, NULL, NULL) || (p = strrchr (stat, ')')) == NULL)
    return FALSE;
  /* after ")": state(3) ... utime(14) stime(15) */
  if (sscanf (p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) != 2)
    return FALSE;
  *ticks = utime + stime;
  rss = strstr (status, "VmRSS:");
  *rss_kb = rss != NULL ? g_ascii_strtoull (rss + 6, NULL, 10) : 0;
  return TRUE;
}

static void
snapshot (LgRun *run, Snap *s)
{
  struct rusage ru;

  memset (s, 0, sizeof *s);
  s->t_us = g_get_monotonic_time ();
  read_proc (opt.server_pid, &s->server_ticks, &s->server_rss_kb);
  getrusage (RUSAGE_SELF, &ru);
  s->self_cpu_s = ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
                  (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  for (guint i = 0; i < run->clients->len; i++) {
    LgClient *c = g_ptr_array_index (run->clients, i);
    for (guint j = 0; j < c->n_streams; j++) {
      LgStream *st = &c->streams[j];
      s->expected += st->max_ext - st->base_ext + 1;
      s->received += st->received;
      s->bytes += st->bytes;
      s->gaps += st->gaps;
      s->reordered += st->reordered;
      s->nacks += st->nacks_sent;
    }
  }
  s->tick_count = run->tick_count;
  s->tick_late_sum_us = run->tick_late_sum_us;
}

static int
cmp_double (gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

/* Join-to-first-media of clients [from, to): median and p95 in ms. */
static void
join_times (LgRun *run, guint from, guint to, double *p50, double *p95, guint *with_media,
            guint *failed)
{
  g_autoptr(GArray) ms = g_array_new (FALSE, FALSE, sizeof (double));

  *with_media = *failed = 0;
  for (guint i = from; i < to && i < run->clients->len; i++) {
    LgClient *c = g_ptr_array_index (run->clients, i);
    if (c->failed)
      (*failed)++;
    if (c->t_first_media_us > 0 && c->t_sub_start_us > 0) {
      double v = (c->t_first_media_us - c->t_sub_start_us) / 1000.0;
      g_array_append_val (ms, v);
      (*with_media)++;
    }
  }
  *p50 = *p95 = -1;
  if (ms->len > 0) {
    g_array_sort (ms, cmp_double);
    *p50 = g_array_index (ms, double, ms->len / 2);
    *p95 = g_array_index (ms, double, MIN (ms->len - 1, (guint) (ms->len * 0.95)));
  }
}

static void
run_hook (const char *cmd)
{
  g_autoptr(GError) error = NULL;

  if (cmd != NULL && !g_spawn_command_line_sync (cmd, NULL, NULL, NULL, &error))
    g_printerr ("hook '%s': %s\n", cmd, error->message);
}

/* Measures one window and prints it; returns the loss (or 1 on failure) and
 * whether the load generator itself ran out of CPU. */
static double
measure (LgRun *run, const char *scenario, guint peers, guint subscribers, guint from, guint to,
         guint64 rss_base_kb, gboolean *saturated)
{
  Snap a, b;
  double secs, cpu_s, loss, p50, p95, self_frac, late_ms, us_per_pkt, mbps_core;
  guint64 pkts, bytes, expected;
  guint with_media, failed;
  long hz = sysconf (_SC_CLK_TCK);

  run_hook (opt.window_start_cmd);
  snapshot (run, &a);
  lg_iterate (run, (guint) opt.window_s * 1000);
  snapshot (run, &b);
  run_hook (opt.window_end_cmd);

  secs = (b.t_us - a.t_us) / 1e6;
  cpu_s = (double) (b.server_ticks - a.server_ticks) / hz;
  pkts = b.received - a.received;
  bytes = b.bytes - a.bytes;
  expected = b.expected - a.expected;
  loss = expected > 0 ? 1.0 - (double) pkts / expected : 1.0;
  if (loss < 0)
    loss = 0;
  self_frac = (b.self_cpu_s - a.self_cpu_s) / secs;
  late_ms = b.tick_count > a.tick_count
                ? (b.tick_late_sum_us - a.tick_late_sum_us) / 1000.0 / (b.tick_count - a.tick_count)
                : 0;
  /* one thread: past ~90 % of a core, or ticks arriving 10 ms late, the
   * load generator (not the server) limits what is measured */
  *saturated = self_frac > 0.9 || late_ms > 10.0;
  us_per_pkt = pkts > 0 && opt.server_pid > 0 ? cpu_s * 1e6 / pkts : -1;
  mbps_core = cpu_s > 0 ? bytes * 8 / 1e6 / cpu_s : -1;
  join_times (run, from, to, &p50, &p95, &with_media, &failed);

  printf ("{\"server\":\"%s\",\"label\":\"%s\",\"scenario\":\"%s\",\"peers\":%u,\"subscribers\":%u,"
          "\"with_media\":%u,\"failed\":%u,\"window_s\":%.2f,\"forwarded_pkts\":%" G_GUINT64_FORMAT
          ",\"forwarded_bytes\":%" G_GUINT64_FORMAT ",\"forwarded_mbps\":%.2f,\"expected_pkts\":%" G_GUINT64_FORMAT
          ",\"loss\":%.5f,\"gaps\":%" G_GUINT64_FORMAT ",\"reordered\":%" G_GUINT64_FORMAT ",\"nacks\":%" G_GUINT64_FORMAT
          ",\"server_cpu_s\":%.3f,\"server_cpu_cores\":%.3f,\"server_us_per_pkt\":%.3f,\"mbps_per_core\":%.1f"
          ",\"server_rss_kb\":%" G_GUINT64_FORMAT ",\"rss_kb_per_peer\":%.1f,\"join_ms_p50\":%.1f,\"join_ms_p95\":%.1f"
          ",\"loadgen_cpu_cores\":%.3f,\"loadgen_tick_late_ms\":%.2f,\"loadgen_saturated\":%s}\n",
          run->adapter->name, opt.label != NULL ? opt.label : "", scenario, peers, subscribers,
          with_media, failed, secs, pkts, bytes, bytes * 8 / 1e6 / secs, expected, loss,
          b.gaps - a.gaps, b.reordered - a.reordered, b.nacks - a.nacks, cpu_s, cpu_s / secs,
          us_per_pkt, mbps_core, b.server_rss_kb,
          peers > 0 && b.server_rss_kb > rss_base_kb ? (double) (b.server_rss_kb - rss_base_kb) / peers : 0.0,
          p50, p95, self_frac, late_ms, *saturated ? "true" : "false");
  fflush (stdout);
  g_printerr ("[%s %s] peers %u (media %u, failed %u): %.1f Mbit/s forwarded, loss %.3f %%, "
              "server %.2f cores, %.2f us/pkt, %.0f Mbit/s/core, RSS %.1f KB/peer, join p50 %.0f ms p95 %.0f ms, "
              "loadgen %.2f cores%s\n",
              run->adapter->name, scenario, peers, with_media, failed, bytes * 8 / 1e6 / secs,
              loss * 100, cpu_s / secs, us_per_pkt, mbps_core,
              peers > 0 && b.server_rss_kb > rss_base_kb ? (double) (b.server_rss_kb - rss_base_kb) / peers : 0.0,
              p50, p95, self_frac, *saturated ? " (SATURATED: the load generator limits this figure)" : "");
  return loss;
}

/* ---- timers ---- */

static gboolean
tick_cb (gpointer data)
{
  LgRun *run = data;
  gint64 now = g_get_monotonic_time ();

  if (run->tick_last_us > 0) {
    gint64 late = now - run->tick_last_us - 5000;
    if (late > 0)
      run->tick_late_sum_us += late;
    run->tick_max_late_us = MAX (run->tick_max_late_us, late);
  }
  run->tick_last_us = now;
  run->tick_count++;
  for (guint i = 0; i < run->clients->len; i++)
    lg_client_send_due (g_ptr_array_index (run->clients, i), now);
  return G_SOURCE_CONTINUE;
}

static gboolean
report_cb (gpointer data)
{
  LgRun *run = data;

  for (guint i = 0; i < run->clients->len; i++)
    lg_client_send_reports (g_ptr_array_index (run->clients, i));
  return G_SOURCE_CONTINUE;
}

static gboolean
keepalive_cb (gpointer data)
{
  LgRun *run = data;

  for (guint i = 0; i < run->clients->len; i++)
    run->adapter->keepalive (g_ptr_array_index (run->clients, i));
  return G_SOURCE_CONTINUE;
}

/* ---- building blocks of the scenarios ---- */

static LgRoom *
new_room (LgRun *run, guint publishers, guint capacity, GError **error)
{
  LgRoom *room = g_new0 (LgRoom, 1);

  room->index = run->rooms->len;
  room->publishers = publishers;
  room->feeds = g_array_new (FALSE, FALSE, sizeof (guint64));
  g_ptr_array_add (run->rooms, room);
  if (!run->adapter->create_room (run, room, publishers, capacity, error))
    return NULL;
  return room;
}

static LgClient *
new_client (LgRun *run, LgRoom *room, gboolean publish, gboolean subscribe, GError **error)
{
  LgClient *c;

  if (run->clients->len >= (guint) opt.max_peers) {
    g_set_error (error, LG_ERROR, LG_ERROR_FAILED, "--max-peers %d reached", opt.max_peers);
    return NULL;
  }
  c = lg_client_new (run, room, run->clients->len, publish, subscribe);
  g_ptr_array_add (run->clients, c);
  if (!run->adapter->prepare (c, error))
    return NULL;
  return c;
}

typedef struct {
  LgRun *run;
  guint from, to, streams;
  gboolean publishers_only;
} Range;

static gboolean
range_ready (gpointer data)
{
  Range *r = data;

  for (guint i = r->from; i < r->to; i++) {
    LgClient *c = g_ptr_array_index (r->run->clients, i);
    if (c->failed)
      continue;
    if (r->publishers_only ? !(c->sending && lg_client_connected (c))
                           : !lg_client_has_media (c, r->streams))
      return FALSE;
  }
  return TRUE;
}

/* Starts clients [from, to) at @per_second, iterating in between. */
static void
start_paced (LgRun *run, guint from, guint to, guint per_second)
{
  guint gap_ms = per_second > 0 ? MAX (1000 / per_second, 1) : 0;

  for (guint i = from; i < to; i++) {
    run->adapter->start (g_ptr_array_index (run->clients, i));
    if (gap_ms > 0)
      lg_iterate (run, gap_ms);
  }
}

static gboolean
wait_range (LgRun *run, guint from, guint to, guint streams, gboolean publishers_only, guint timeout_ms)
{
  Range r = { run, from, to, streams, publishers_only };
  return lg_wait (run, range_ready, &r, timeout_ms);
}

static guint64
server_rss (void)
{
  guint64 t = 0, rss = 0;
  read_proc (opt.server_pid, &t, &rss);
  return rss;
}

/* ---- scenarios ---- */

static gboolean
scenario_fanout (LgRun *run, GError **error)
{
  g_auto(GStrv) steps = g_strsplit (opt.steps, ",", -1);
  LgRoom *room = new_room (run, 1, opt.max_peers, error);
  LgClient *pub;
  guint64 rss0;

  if (room == NULL || (pub = new_client (run, room, TRUE, FALSE, error)) == NULL)
    return FALSE;
  run->adapter->start (pub);
  if (!wait_range (run, 0, 1, 0, TRUE, 20000) || pub->failed) {
    g_set_error (error, LG_ERROR, LG_ERROR_TIMEOUT, "the publisher did not connect");
    return FALSE;
  }
  lg_iterate (run, 1000);
  rss0 = server_rss ();
  for (guint s = 0; steps[s] != NULL; s++) {
    guint n = (guint) g_ascii_strtoull (steps[s], NULL, 10);
    guint from = run->clients->len;
    gboolean saturated = FALSE;
    double loss;

    if (n + 1 > (guint) opt.max_peers || g_get_monotonic_time () >= run->deadline_us) {
      g_printerr ("[fanout] stopping before %u subscribers: %s\n", n,
                  n + 1 > (guint) opt.max_peers ? "--max-peers" : "--duration");
      break;
    }
    while (run->clients->len < n + 1) {
      if (new_client (run, room, FALSE, TRUE, error) == NULL)
        return FALSE;
    }
    start_paced (run, from, n + 1, 100);
    wait_range (run, from, n + 1, 2, FALSE, 20000 + n * 40);
    lg_iterate (run, 2000);
    loss = measure (run, "fanout", n + 1, n, 1, n + 1, rss0, &saturated);
    if (loss > opt.loss_stop) {
      g_printerr ("[fanout] loss %.2f %% passed %.2f %% at %u subscribers: stopping\n", loss * 100,
                  opt.loss_stop * 100, n);
      break;
    }
    if (saturated) {
      g_printerr ("[fanout] the load generator ran out of CPU at %u subscribers: stopping\n", n);
      break;
    }
  }
  return TRUE;
}

static gboolean
scenario_consult (LgRun *run, GError **error)
{
  guint k = (guint) opt.rooms;
  guint64 rss0 = server_rss ();
  gboolean saturated;

  for (guint r = 0; r < k; r++) {
    LgRoom *room = new_room (run, 4, 9, error);
    if (room == NULL)
      return FALSE;
    for (guint i = 0; i < 4; i++) {
      if (new_client (run, room, TRUE, FALSE, error) == NULL)
        return FALSE;
    }
  }
  start_paced (run, 0, run->clients->len, 50);
  wait_range (run, 0, run->clients->len, 0, TRUE, 20000 + k * 500);
  for (guint i = 0; i < run->clients->len; i++)
    run->adapter->subscribe (g_ptr_array_index (run->clients, i));
  wait_range (run, 0, run->clients->len, 6, FALSE, 20000 + k * 500);
  lg_iterate (run, 2000);
  measure (run, "consult", run->clients->len, run->clients->len, 0, run->clients->len, rss0, &saturated);
  return TRUE;
}

typedef struct {
  LgRun *run;
  guint index;
} Delayed;

static gboolean
delayed_start (gpointer data)
{
  Delayed *d = data;
  d->run->adapter->start (g_ptr_array_index (d->run->clients, d->index));
  return G_SOURCE_REMOVE;
}

static gboolean
scenario_storm (LgRun *run, GError **error)
{
  LgRoom *room = new_room (run, 1, opt.storm + 1, error);
  LgClient *pub;
  guint64 rss0;
  gboolean saturated;
  guint n = (guint) opt.storm;

  if (room == NULL || (pub = new_client (run, room, TRUE, FALSE, error)) == NULL)
    return FALSE;
  run->adapter->start (pub);
  if (!wait_range (run, 0, 1, 0, TRUE, 20000) || pub->failed) {
    g_set_error (error, LG_ERROR, LG_ERROR_TIMEOUT, "the publisher did not connect");
    return FALSE;
  }
  lg_iterate (run, 1000);
  rss0 = server_rss ();
  for (guint i = 0; i < n; i++) {
    if (new_client (run, room, FALSE, TRUE, error) == NULL)
      return FALSE;
  }
  /* all n start within one second, evenly spread */
  for (guint i = 0; i < n; i++) {
    Delayed *d = g_new0 (Delayed, 1);
    d->run = run;
    d->index = i + 1;
    g_timeout_add_full (G_PRIORITY_DEFAULT, i * 1000 / n, delayed_start, d, g_free);
  }
  wait_range (run, 1, n + 1, 2, FALSE, 30000);
  lg_iterate (run, 1000);
  measure (run, "storm", n + 1, n, 1, n + 1, rss0, &saturated);
  return TRUE;
}

/* ---- bounds ---- */

static gboolean
address_is_local (const char *ip)
{
  g_autoptr(GInetAddress) addr = g_inet_address_new_from_string (ip);
  g_autoptr(GSocket) sock = NULL;
  g_autoptr(GSocketAddress) sa = NULL;

  if (addr == NULL)
    return FALSE;
  if (g_inet_address_get_is_loopback (addr))
    return TRUE;
  sock = g_socket_new (g_inet_address_get_family (addr), G_SOCKET_TYPE_DATAGRAM,
                       G_SOCKET_PROTOCOL_UDP, NULL);
  sa = g_inet_socket_address_new (addr, 0);
  return sock != NULL && g_socket_bind (sock, sa, FALSE, NULL); /* only local addresses bind */
}

static gboolean
check_bounds (GError **error)
{
  g_autoptr(GUri) uri = g_uri_parse (opt.url, G_URI_FLAGS_NONE, error);
  const char *host;

  if (uri == NULL)
    return FALSE;
  host = g_uri_get_host (uri);
  if (!address_is_local (opt.ip)) {
    g_set_error (error, LG_ERROR, LG_ERROR_FAILED, "--ip %s is not an address of this machine", opt.ip);
    return FALSE;
  }
  if (host == NULL || (!address_is_local (host) || (g_strcmp0 (host, opt.ip) != 0 &&
                                                     !g_str_has_prefix (host, "127.")))) {
    g_set_error (error, LG_ERROR, LG_ERROR_FAILED,
                 "the server must be on this machine, at --ip (%s) or loopback; not %s", opt.ip,
                 host != NULL ? host : "?");
    return FALSE;
  }
  if (opt.max_peers < 1 || opt.max_peers > 2000 || opt.duration_s < 1 || opt.duration_s > 3600 ||
      opt.window_s < 1 || opt.rooms < 1 || opt.rooms > 250 || opt.storm < 1 || opt.storm > 1000) {
    g_set_error_literal (error, LG_ERROR, LG_ERROR_FAILED,
                         "out of bounds: --max-peers 1..2000, --duration 1..3600, --rooms 1..250, --storm 1..1000");
    return FALSE;
  }
  return TRUE;
}

int
main (int argc, char **argv)
{
  GOptionEntry entries[] = {
    { "server", 0, 0, G_OPTION_ARG_STRING, &opt.server, "huizhen (default) or janus", "NAME" },
    { "url", 0, 0, G_OPTION_ARG_STRING, &opt.url, "http://IP:PORT (Huizhen) or ws://IP:PORT (Janus)", "URL" },
    { "admin-key", 0, 0, G_OPTION_ARG_STRING, &opt.admin_key, "Huizhen's admin key", "KEY" },
    { "ip", 0, 0, G_OPTION_ARG_STRING, &opt.ip, "our media address (default 127.0.0.1)", "IP" },
    { "server-pid", 0, 0, G_OPTION_ARG_INT, &opt.server_pid, "the server's PID (CPU and RSS from /proc)", "PID" },
    { "scenario", 0, 0, G_OPTION_ARG_STRING, &opt.scenario, "fanout, consult or storm", "NAME" },
    { "steps", 0, 0, G_OPTION_ARG_STRING, &opt.steps, "fanout subscriber counts (default 10,50,100,200,300,500)", "N,N,..." },
    { "rooms", 0, 0, G_OPTION_ARG_INT, &opt.rooms, "consult rooms of 4 (default 10)", "K" },
    { "storm", 0, 0, G_OPTION_ARG_INT, &opt.storm, "peers joining within a second (default 50)", "N" },
    { "window", 0, 0, G_OPTION_ARG_INT, &opt.window_s, "measurement window in s (default 10)", "S" },
    { "duration", 0, 0, G_OPTION_ARG_INT, &opt.duration_s, "hard bound on the whole run in s (default 300)", "S" },
    { "max-peers", 0, 0, G_OPTION_ARG_INT, &opt.max_peers, "at most this many participants (default 600)", "N" },
    { "loss-stop", 0, 0, G_OPTION_ARG_DOUBLE, &opt.loss_stop, "fanout stops past this loss (default 0.01)", "F" },
    { "clip", 0, 0, G_OPTION_ARG_FILENAME, &opt.clip_dir, "directory of clip-video.rtp and clip-audio.rtp", "DIR" },
    { "label", 0, 0, G_OPTION_ARG_STRING, &opt.label, "free text copied into every JSON line", "TEXT" },
    { "srtp-profile", 0, 0, G_OPTION_ARG_STRING, &opt.srtp_profile, "offer only this SRTP profile: cm (AES_CM_128_HMAC_SHA1_80, what Chromium negotiates) or gcm", "cm|gcm" },
    { "window-start-cmd", 0, 0, G_OPTION_ARG_STRING, &opt.window_start_cmd, "run before each window (e.g. callgrind_control -z)", "CMD" },
    { "window-end-cmd", 0, 0, G_OPTION_ARG_STRING, &opt.window_end_cmd, "run after each window (e.g. callgrind_control -d)", "CMD" },
    { NULL }
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new ("- WebRTC load generator for Huizhen and Janus");
  g_autoptr(GError) error = NULL;
  LgRun run = { 0 };
  gboolean ok;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error)) {
    g_printerr ("%s\n", error->message);
    return 2;
  }
  if (opt.server == NULL)
    opt.server = g_strdup ("huizhen");
  if (opt.ip == NULL)
    opt.ip = g_strdup ("127.0.0.1");
  if (opt.scenario == NULL)
    opt.scenario = g_strdup ("fanout");
  if (opt.steps == NULL)
    opt.steps = g_strdup ("10,50,100,200,300,500");
  if (opt.clip_dir == NULL)
    opt.clip_dir = g_strdup (LG_CLIP_DIR);
  if (g_strcmp0 (opt.srtp_profile, "cm") == 0) {
    lg_srtp_profiles = "SRTP_AES128_CM_SHA1_80";
  } else if (g_strcmp0 (opt.srtp_profile, "gcm") == 0) {
    lg_srtp_profiles = "SRTP_AEAD_AES_128_GCM";
  } else if (opt.srtp_profile != NULL) {
    g_printerr ("hz-loadgen: --srtp-profile is cm or gcm\n");
    return 2;
  }
  if (strcmp (opt.server, "huizhen") == 0) {
    run.adapter = &lg_adapter_huizhen;
  } else if (strcmp (opt.server, "janus") == 0) {
    run.adapter = &lg_adapter_janus;
  } else {
    g_printerr ("--server must be huizhen or janus\n");
    return 2;
  }
  if (opt.url == NULL || (run.adapter == &lg_adapter_huizhen && opt.admin_key == NULL)) {
    g_printerr ("--url is required (and --admin-key for huizhen)\n");
    return 2;
  }
  if (!check_bounds (&error)) {
    g_printerr ("%s\n", error->message);
    return 2;
  }
  run.url = opt.url;
  run.admin_key = opt.admin_key;
  run.ip = opt.ip;
  run.deadline_us = g_get_monotonic_time () + (gint64) opt.duration_s * G_USEC_PER_SEC;
  run.janus_room_base = 1000 + (g_random_int () % 100000) * 100;
  if ((run.clip = lg_clip_load (opt.clip_dir, &error)) == NULL ||
      (run.cert = hz_dtls_cert_new (&error)) == NULL) {
    g_printerr ("%s\n", error->message);
    return 1;
  }
  run.session = soup_session_new_with_options ("max-conns", 4000, "max-conns-per-host", 4000,
                                               "timeout", 20, NULL);
  run.clients = g_ptr_array_new_with_free_func ((GDestroyNotify) lg_client_free);
  run.rooms = g_ptr_array_new ();
  g_timeout_add_full (G_PRIORITY_HIGH, 5, tick_cb, &run, NULL);
  g_timeout_add_seconds (1, report_cb, &run);
  g_timeout_add_seconds (20, keepalive_cb, &run);

  if (strcmp (opt.scenario, "fanout") == 0)
    ok = scenario_fanout (&run, &error);
  else if (strcmp (opt.scenario, "consult") == 0)
    ok = scenario_consult (&run, &error);
  else if (strcmp (opt.scenario, "storm") == 0)
    ok = scenario_storm (&run, &error);
  else
    ok = (g_set_error (&error, LG_ERROR, LG_ERROR_FAILED, "unknown scenario %s", opt.scenario), FALSE);
  if (!ok)
    g_printerr ("%s: %s\n", opt.scenario, error->message);

  /* leave cleanly: close every connection, let the closes go out */
  g_ptr_array_set_size (run.clients, 0);
  run.deadline_us = g_get_monotonic_time () + G_USEC_PER_SEC;
  lg_iterate (&run, 300);
  for (guint i = 0; i < run.rooms->len; i++) {
    LgRoom *room = g_ptr_array_index (run.rooms, i);
    g_free (room->id);
    g_array_unref (room->feeds);
    g_free (room);
  }
  g_ptr_array_unref (run.rooms);
  g_ptr_array_unref (run.clients);
  g_object_unref (run.session);
  hz_dtls_cert_unref (run.cert);
  lg_clip_free (run.clip);
  return ok ? 0 : 1;
}
