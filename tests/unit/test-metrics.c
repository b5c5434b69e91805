/*
 * Tests of signaling/hz-metrics: the Prometheus text exposition format 0.0.4
 * (HELP/TYPE lines, escaping of help text and label values, numbers), the
 * registry (families built from several labelled samples, collectors), the
 * /proc parsers with fixtures, the process figures of this very process, and
 * who may GET /metrics on a real HzHttpServer on 127.0.0.1.
 */
#include <gio/gio.h>
#include <math.h>
#include <string.h>

#include "hz-metrics.h"
#include "test-http-client.h"

static double
get_double (gpointer data)
{
  return *(double *) data;
}

/* ------------------------------------------------- a checker of the format */

/* Checks that every line of @text is "# HELP name text", "# TYPE name
 * counter|gauge" or "name{l="v",...} value", that each family has HELP then
 * TYPE before its samples, that no family appears twice, and returns the
 * number of samples. Written from the format's description, not from the
 * writer's code, so it catches what a scraper would reject. */
static guint
check_exposition (const char *text)
{
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *current = NULL;
  g_autoptr(GRegex) sample_re = g_regex_new (
      "^([a-zA-Z_:][a-zA-Z0-9_:]*)"
      "(\\{([a-zA-Z_][a-zA-Z0-9_]*=\"([^\"\\\\\\n]|\\\\[\\\\\"n])*\""
      "(,[a-zA-Z_][a-zA-Z0-9_]*=\"([^\"\\\\\\n]|\\\\[\\\\\"n])*\")*)\\})?"
      " (NaN|[+-]Inf|-?[0-9]+(\\.[0-9]+)?(e[+-]?[0-9]+)?)$", 0, 0, NULL);
  gboolean type_seen = FALSE;
  guint samples = 0;

  g_assert_true (g_str_has_suffix (text, "\n"));
  for (guint i = 0; lines[i] != NULL; i++) {
    const char *l = lines[i];
    g_autoptr(GMatchInfo) m = NULL;

    if (l[0] == '\0') {
      g_assert_null (lines[i + 1]); /* only the end of the text is empty */
      continue;
    }
    if (g_str_has_prefix (l, "# HELP ")) {
      g_auto(GStrv) parts = g_strsplit (l + 7, " ", 2);
      g_assert_true (hz_metrics_name_is_valid (parts[0]));
      g_assert_false (g_hash_table_contains (seen, parts[0]));
      g_hash_table_add (seen, g_strdup (parts[0]));
      g_free (current);
      current = g_strdup (parts[0]);
      type_seen = FALSE;
      continue;
    }
    if (g_str_has_prefix (l, "# TYPE ")) {
      g_autofree char *want_c = g_strdup_printf ("%s counter", current);
      g_autofree char *want_g = g_strdup_printf ("%s gauge", current);
      g_assert_nonnull (current);
      g_assert_false (type_seen);
      g_assert_true (g_strcmp0 (l + 7, want_c) == 0 || g_strcmp0 (l + 7, want_g) == 0);
      type_seen = TRUE;
      continue;
    }
    if (!g_regex_match (sample_re, l, 0, &m))
      g_error ("not an exposition line: \"%s\"", l);
    g_autofree char *name = g_match_info_fetch (m, 1);
    g_assert_true (type_seen);
    g_assert_cmpstr (name, ==, current);
    samples++;
  }
  return samples;
}

/* ------------------------------------------------------------------ format */

static void
test_family_and_labels (void)
{
  g_autoptr(HzMetrics) m = hz_metrics_new ();
  double rooms = 3, w0 = 1.5, w1 = 0.25;
  g_autofree char *text = NULL;

  hz_metrics_add_gauge (m, "huizhen_rooms_live", "Rooms with at least one member.", NULL,
                        get_double, &rooms);
  hz_metrics_add_counter (m, "huizhen_worker_cpu_seconds_total", "CPU time of each media worker.",
                          (const char *[]){ "worker", "0", NULL }, get_double, &w0);
  hz_metrics_add_counter (m, "huizhen_worker_cpu_seconds_total", "CPU time of each media worker.",
                          (const char *[]){ "worker", "1", NULL }, get_double, &w1);
  text = hz_metrics_render (m);
  /* Registered families first, one HELP and TYPE per family even when it has
   * several samples, samples in registration order. */
  g_assert_true (g_str_has_prefix (text,
      "# HELP huizhen_rooms_live Rooms with at least one member.\n"
      "# TYPE huizhen_rooms_live gauge\n"
      "huizhen_rooms_live 3\n"
      "# HELP huizhen_worker_cpu_seconds_total CPU time of each media worker.\n"
      "# TYPE huizhen_worker_cpu_seconds_total counter\n"
      "huizhen_worker_cpu_seconds_total{worker=\"0\"} 1.5\n"
      "huizhen_worker_cpu_seconds_total{worker=\"1\"} 0.25\n"));
  /* Read at scrape time, not at registration. */
  rooms = 7;
  g_free (text);
  text = hz_metrics_render (m);
  g_assert_nonnull (strstr (text, "\nhuizhen_rooms_live 7\n"));
  g_assert_cmpuint (check_exposition (text), >=, 3 + 5);
}

static void
test_escaping (void)
{
  g_autoptr(GString) out = g_string_new (NULL);

  /* HELP: backslash and newline escaped, quotes kept as they are. */
  hz_metrics_append_family (out, "x_total", HZ_METRIC_COUNTER, "a \\ b\nc \"q\"");
  /* Label values: backslash, double quote and newline escaped; UTF-8 kept. */
  hz_metrics_append_sample (out, "x_total",
                            (const char *[]){ "institution", "县医院 \"东院\"", "path", "C:\\dir\nx", NULL }, 1);
  g_assert_cmpstr (out->str, ==,
      "# HELP x_total a \\\\ b\\nc \"q\"\n"
      "# TYPE x_total counter\n"
      "x_total{institution=\"县医院 \\\"东院\\\"\",path=\"C:\\\\dir\\nx\"} 1\n");
  g_assert_cmpuint (check_exposition (out->str), ==, 1);
}

static void
test_values (void)
{
  g_autoptr(GString) out = g_string_new (NULL);
  const struct {
    double v;
    const char *text;
  } cases[] = {
    { 0, "0" },
    { -0.0, "0" },
    { 42, "42" },
    { -7, "-7" },
    { 0.5, "0.5" },
    { 9007199254740992.0, "9007199254740992" }, /* 2^53, still exact */
    { 1e21, "1e+21" },
    { NAN, "NaN" },
    { INFINITY, "+Inf" },
    { -INFINITY, "-Inf" },
  };

  hz_metrics_append_family (out, "v", HZ_METRIC_GAUGE, "values");
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr(GString) one = g_string_new (NULL);
    g_autofree char *want = g_strdup_printf ("v %s\n", cases[i].text);

    hz_metrics_append_sample (one, "v", NULL, cases[i].v);
    g_assert_cmpstr (one->str, ==, want);
    g_string_append (out, one->str);
  }
  /* 1e+21 is valid for Prometheus (Go's ParseFloat); the checker accepts it. */
  g_assert_cmpuint (check_exposition (out->str), ==, G_N_ELEMENTS (cases));
}

static void
test_names (void)
{
  g_assert_true (hz_metrics_name_is_valid ("huizhen_rooms_live"));
  g_assert_true (hz_metrics_name_is_valid ("job:rate:5m"));
  g_assert_true (hz_metrics_name_is_valid ("_x9"));
  g_assert_false (hz_metrics_name_is_valid (""));
  g_assert_false (hz_metrics_name_is_valid ("9rooms"));
  g_assert_false (hz_metrics_name_is_valid ("rooms-live"));
  g_assert_false (hz_metrics_name_is_valid ("rooms live"));
  g_assert_false (hz_metrics_name_is_valid ("房间"));
  g_assert_true (hz_metrics_label_name_is_valid ("state"));
  g_assert_false (hz_metrics_label_name_is_valid ("__name__")); /* reserved */
  g_assert_false (hz_metrics_label_name_is_valid ("a:b"));      /* colons: names only */
  g_assert_false (hz_metrics_label_name_is_valid ("0a"));
}

typedef struct {
  guint calls;
} CollectState;

static void
collect_peers (GString *out, gpointer data)
{
  CollectState *st = data;

  st->calls++;
  hz_metrics_append_family (out, "huizhen_peer_connections", HZ_METRIC_GAUGE,
                            "Peer connections by state.");
  hz_metrics_append_sample (out, "huizhen_peer_connections",
                            (const char *[]){ "state", "connected", NULL }, 4);
  hz_metrics_append_sample (out, "huizhen_peer_connections",
                            (const char *[]){ "state", "failed", NULL }, 1);
}

static void
test_collector (void)
{
  g_autoptr(HzMetrics) m = hz_metrics_new ();
  CollectState st = { 0 };
  double one = 1;
  g_autofree char *text = NULL;
  const char *fam, *proc;

  hz_metrics_add_collector (m, collect_peers, &st);
  hz_metrics_add_gauge (m, "huizhen_rooms_live", "Rooms.", NULL, get_double, &one);
  text = hz_metrics_render (m);
  g_assert_cmpuint (st.calls, ==, 1);
  fam = strstr (text, "# HELP huizhen_peer_connections Peer connections by state.\n"
                      "# TYPE huizhen_peer_connections gauge\n"
                      "huizhen_peer_connections{state=\"connected\"} 4\n"
                      "huizhen_peer_connections{state=\"failed\"} 1\n");
  g_assert_nonnull (fam);
  /* Registered families come before every collector's output; collectors
   * run in the order added (the process collector was added first). */
  g_assert_true (g_str_has_prefix (text, "# HELP huizhen_rooms_live "));
  proc = strstr (text, "# HELP process_cpu_seconds_total ");
  g_assert_nonnull (proc);
  g_assert_true (proc < fam);
  check_exposition (text);
}

/* -------------------------------------------------------------- /proc */

static void
test_proc_stat_parse (void)
{
  g_autoptr(GError) error = NULL;
  HzProcStat st = { 0 };
  /* pid (comm) state ppid pgrp session tty_nr tpgid(-1) flags minflt cminflt
   * majflt cmajflt utime=250 stime=50 cutime cstime priority nice
   * num_threads itrealvalue starttime=123456 vsize=104857600 rss=2560 rsslim...
   * The command name holds ") (" to show the parser cuts at the last ')'. */
  const char *fixture =
      "4242 (hz) (w 1) S 1 4242 4242 0 -1 4194560 1000 0 3 0 250 50 0 0 20 0 5 0 "
      "123456 104857600 2560 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0\n";

  g_assert_true (hz_metrics_parse_proc_stat (fixture, &st, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (st.utime_ticks, ==, 250);
  g_assert_cmpuint (st.stime_ticks, ==, 50);
  g_assert_cmpuint (st.start_ticks, ==, 123456);
  g_assert_cmpuint (st.vsize_bytes, ==, 104857600);
  g_assert_cmpint (st.rss_pages, ==, 2560);

  /* Malformed text: a clear error, never a crash. */
  const char *bad[] = {
    "",
    "4242 hz S 1",                          /* no (comm) */
    "4242 (hz) S 1 2 3",                    /* too few fields */
    "4242 (hz)S 1 4242 4242 0 -1 0 0 0 0 0 1 1 0 0 20 0 5 0 1 1 1", /* no space after ')' */
    "4242 (hz) S 1 4242 4242 0 -1 0 0 0 0 0 x 1 0 0 20 0 5 0 1 1 1", /* utime not a number */
  };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_clear_error (&error);
    g_assert_false (hz_metrics_parse_proc_stat (bad[i], &st, &error));
    g_assert_error (error, HZ_METRICS_ERROR, HZ_METRICS_ERROR_PARSE);
  }
}

static void
test_boot_time_parse (void)
{
  g_autoptr(GError) error = NULL;
  guint64 btime = 0;

  g_assert_true (hz_metrics_parse_boot_time ("cpu  1 2 3\nintr 5\nbtime 1714000000\nprocesses 9\n",
                                             &btime, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (btime, ==, 1714000000);
  g_assert_false (hz_metrics_parse_boot_time ("cpu 1\nbtime x\n", &btime, &error));
  g_assert_error (error, HZ_METRICS_ERROR, HZ_METRICS_ERROR_PARSE);
}

/* The value of an unlabelled sample @name in @text. */
static double
sample_value (const char *text, const char *name)
{
  g_autofree char *needle = g_strdup_printf ("\n%s ", name);
  const char *p = strstr (text, needle);

  g_assert_nonnull (p);
  return g_ascii_strtod (p + strlen (needle), NULL);
}

static void
test_process_metrics (void)
{
  g_autoptr(HzMetrics) m = hz_metrics_new ();
  g_autofree char *before = hz_metrics_render (m);
  double now = g_get_real_time () / 1e6;
  int fds[4];
  g_autofree char *after = NULL;

  check_exposition (before);
  g_assert_cmpfloat (sample_value (before, "process_resident_memory_bytes"), >, 1024 * 1024);
  g_assert_cmpfloat (sample_value (before, "process_cpu_seconds_total"), >=, 0);
  g_assert_cmpfloat (sample_value (before, "process_start_time_seconds"), <=, now + 1);
  g_assert_cmpfloat (sample_value (before, "process_start_time_seconds"), >, 1.5e9);
  g_assert_cmpfloat (sample_value (before, "process_max_fds"), >=,
                     sample_value (before, "process_open_fds"));
  /* Four more descriptors show as four more open fds. */
  g_assert_cmpint (pipe (fds), ==, 0);
  g_assert_cmpint (pipe (fds + 2), ==, 0);
  after = hz_metrics_render (m);
  g_assert_cmpfloat (sample_value (after, "process_open_fds"), ==,
                     sample_value (before, "process_open_fds") + 4);
  for (guint i = 0; i < 4; i++)
    close (fds[i]);
}

/* ------------------------------------------------------------------- HTTP */

typedef struct {
  HzHttpServer *server;
  HzMetrics *metrics;
  guint16 port;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  f->server = hz_http_server_new ("127.0.0.1:0", NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  f->port = hz_http_server_get_port (f->server);
  f->metrics = hz_metrics_new ();
  hz_metrics_register_route (f->metrics, f->server);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_clear_pointer (&f->server, hz_http_server_free);
  g_clear_pointer (&f->metrics, hz_metrics_free);
}

static Resp *
scrape (Fixture *f, const char *extra_headers)
{
  g_autofree char *raw = g_strdup_printf ("GET /metrics HTTP/1.1\r\nHost: x\r\n%s\r\n",
                                          extra_headers);
  return http (f->port, raw);
}

static void
assert_scraped (Resp *r)
{
  g_autofree char *body = NULL;

  g_assert_nonnull (r);
  g_assert_cmpuint (r->status, ==, 200);
  g_assert_cmpstr (g_hash_table_lookup (r->headers, "content-type"), ==, HZ_METRICS_CONTENT_TYPE);
  body = g_strndup ((const char *) r->body->data, r->body->len);
  g_assert_nonnull (strstr (body, "# TYPE process_open_fds gauge\n"));
  check_exposition (body);
}

static void
test_http_loopback (Fixture *f, gconstpointer data)
{
  hz_metrics_set_auth (f->metrics, "s3cret", TRUE);
  /* Listening on loopback: a local scraper needs no key... */
  {
    g_autoptr(Resp) r = scrape (f, "");
    assert_scraped (r);
  }
  /* ...nor does Prometheus with the bearer key... */
  {
    g_autoptr(Resp) r = scrape (f, "Authorization: Bearer s3cret\r\n");
    assert_scraped (r);
  }
  /* ...but a wrong key is refused rather than ignored... */
  {
    g_autoptr(Resp) r = scrape (f, "Authorization: Bearer wrong\r\n");
    assert_error_code (r, 401, "unauthorized");
  }
  /* ...and a request relayed by a reverse proxy is not local. */
  {
    g_autoptr(Resp) r = scrape (f, "X-Forwarded-For: 203.0.113.9\r\n");
    assert_error_code (r, 401, "unauthorized");
  }
  /* Only GET, and no body. */
  {
    g_autoptr(Resp) r = http (f->port, "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
    g_assert_cmpuint (r->status, !=, 200);
  }
}

static void
test_http_key_required (Fixture *f, gconstpointer data)
{
  /* Not listening on loopback: the key is required even from 127.0.0.1. */
  hz_metrics_set_auth (f->metrics, "s3cret", FALSE);
  {
    g_autoptr(Resp) r = scrape (f, "");
    assert_error_code (r, 401, "unauthorized");
  }
  {
    g_autoptr(Resp) r = scrape (f, "Authorization: Bearer s3cret\r\n");
    assert_scraped (r);
  }
  {
    g_autoptr(Resp) r = scrape (f, "Authorization: Basic czNjcmV0\r\n");
    assert_error_code (r, 401, "unauthorized");
  }
  /* No key configured: nothing opens it. */
  hz_metrics_set_auth (f->metrics, NULL, FALSE);
  {
    g_autoptr(Resp) r = scrape (f, "Authorization: Bearer \r\n");
    assert_error_code (r, 401, "unauthorized");
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/metrics/format/family-and-labels", test_family_and_labels);
  g_test_add_func ("/metrics/format/escaping", test_escaping);
  g_test_add_func ("/metrics/format/values", test_values);
  g_test_add_func ("/metrics/format/names", test_names);
  g_test_add_func ("/metrics/collector", test_collector);
  g_test_add_func ("/metrics/proc/stat", test_proc_stat_parse);
  g_test_add_func ("/metrics/proc/boot-time", test_boot_time_parse);
  g_test_add_func ("/metrics/proc/process", test_process_metrics);
  g_test_add ("/metrics/http/loopback", Fixture, NULL, fixture_setup, test_http_loopback, fixture_teardown);
  g_test_add ("/metrics/http/key-required", Fixture, NULL, fixture_setup, test_http_key_required,
              fixture_teardown);
  return g_test_run ();
}
