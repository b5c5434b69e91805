/* hz-metrics: the /metrics registry, the Prometheus text format and the
 * process collector. The text format is small and fixed (exposition format
 * 0.0.4), and Debian has no C Prometheus client library (libprom is not
 * packaged), so it is written here. */
#include "hz-metrics.h"

#include <gio/gio.h>
#include <math.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

G_DEFINE_QUARK (hz-metrics-error-quark, hz_metrics_error)

typedef struct {
  char **labels; /* NULL-terminated name/value pairs, or NULL */
  HzMetricsGetFunc get;
  gpointer data;
} HzSample;

typedef struct {
  char *name;
  char *help;
  HzMetricType type;
  GArray *samples; /* HzSample */
} HzFamily;

typedef struct {
  HzMetricsCollectFunc collect;
  gpointer data;
} HzCollector;

struct _HzMetrics {
  GPtrArray *families;   /* HzFamily*, in registration order */
  GHashTable *by_name;   /* name -> HzFamily* (borrowed) */
  GArray *collectors;    /* HzCollector */
  char *admin_key;
  gboolean allow_loopback_anonymous;
};

static void
hz_sample_clear (gpointer p)
{
  HzSample *s = p;

  g_strfreev (s->labels);
}

static void
hz_family_free (gpointer p)
{
  HzFamily *f = p;

  g_free (f->name);
  g_free (f->help);
  g_array_unref (f->samples);
  g_free (f);
}

/* ------------------------------------------------------------ text format */

static gboolean
is_name_char (char c, gboolean first, gboolean colon_ok)
{
  if (g_ascii_isalpha (c) || c == '_' || (colon_ok && c == ':'))
    return TRUE;
  return !first && g_ascii_isdigit (c);
}

gboolean
hz_metrics_name_is_valid (const char *name)
{
  if (name == NULL || name[0] == '\0')
    return FALSE;
  for (const char *p = name; *p != '\0'; p++)
    if (!is_name_char (*p, p == name, TRUE))
      return FALSE;
  return TRUE;
}

gboolean
hz_metrics_label_name_is_valid (const char *name)
{
  if (name == NULL || name[0] == '\0' || g_str_has_prefix (name, "__"))
    return FALSE;
  for (const char *p = name; *p != '\0'; p++)
    if (!is_name_char (*p, p == name, FALSE))
      return FALSE;
  return TRUE;
}

static gboolean
labels_are_valid (const char * const *labels)
{
  if (labels == NULL)
    return TRUE;
  for (guint i = 0; labels[i] != NULL; i += 2) {
    if (!hz_metrics_label_name_is_valid (labels[i]) || labels[i + 1] == NULL ||
        !g_utf8_validate (labels[i + 1], -1, NULL))
      return FALSE;
    for (guint j = 0; j < i; j += 2)
      if (strcmp (labels[i], labels[j]) == 0)
        return FALSE;
  }
  return TRUE;
}

/* HELP text escapes backslash and newline; label values also '"'. */
static void
append_escaped (GString *out, const char *text, gboolean quote)
{
  for (const char *p = text; *p != '\0'; p++) {
    if (*p == '\\')
      g_string_append (out, "\\\\");
    else if (*p == '\n')
      g_string_append (out, "\\n");
    else if (quote && *p == '"')
      g_string_append (out, "\\\"");
    else
      g_string_append_c (out, *p);
  }
}

/* Integers up to 2^53 print exactly and without an exponent; the rest in the
 * shortest form that reads back the same (locale-independent). */
static void
append_value (GString *out, double v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (isnan (v))
    g_string_append (out, "NaN");
  else if (isinf (v))
    g_string_append (out, v > 0 ? "+Inf" : "-Inf");
  else if (v == floor (v) && fabs (v) <= 9007199254740992.0)
    g_string_append_printf (out, "%" G_GINT64_FORMAT, (gint64) v);
  else
    g_string_append (out, g_ascii_dtostr (buf, sizeof (buf), v));
}

void
hz_metrics_append_family (GString *out, const char *name, HzMetricType type, const char *help)
{
  g_return_if_fail (out != NULL);
  g_return_if_fail (hz_metrics_name_is_valid (name));

  g_string_append_printf (out, "# HELP %s ", name);
  append_escaped (out, help != NULL ? help : "", FALSE);
  g_string_append_printf (out, "\n# TYPE %s %s\n", name,
                          type == HZ_METRIC_COUNTER ? "counter" : "gauge");
}

void
hz_metrics_append_sample (GString *out, const char *name, const char * const *labels, double value)
{
  g_return_if_fail (out != NULL);
  g_return_if_fail (hz_metrics_name_is_valid (name));
  g_return_if_fail (labels_are_valid (labels));

  g_string_append (out, name);
  if (labels != NULL && labels[0] != NULL) {
    g_string_append_c (out, '{');
    for (guint i = 0; labels[i] != NULL; i += 2) {
      g_string_append_printf (out, "%s%s=\"", i > 0 ? "," : "", labels[i]);
      append_escaped (out, labels[i + 1], TRUE);
      g_string_append_c (out, '"');
    }
    g_string_append_c (out, '}');
  }
  g_string_append_c (out, ' ');
  append_value (out, value);
  g_string_append_c (out, '\n');
}

/* --------------------------------------------------------------- registry */

static gboolean
same_labels (char **a, const char * const *b)
{
  guint na = a != NULL ? g_strv_length (a) : 0;
  guint nb = b != NULL ? g_strv_length ((char **) b) : 0;

  if (na != nb)
    return FALSE;
  for (guint i = 0; i < na; i++)
    if (strcmp (a[i], b[i]) != 0)
      return FALSE;
  return TRUE;
}

static void
hz_metrics_add (HzMetrics *self, HzMetricType type, const char *name, const char *help,
                const char * const *labels, HzMetricsGetFunc get, gpointer data)
{
  HzFamily *f;
  HzSample s = { 0 };

  g_return_if_fail (self != NULL);
  g_return_if_fail (hz_metrics_name_is_valid (name));
  g_return_if_fail (labels_are_valid (labels));
  g_return_if_fail (get != NULL);

  f = g_hash_table_lookup (self->by_name, name);
  if (f == NULL) {
    f = g_new0 (HzFamily, 1);
    f->name = g_strdup (name);
    f->help = g_strdup (help != NULL ? help : "");
    f->type = type;
    f->samples = g_array_new (FALSE, FALSE, sizeof (HzSample));
    g_array_set_clear_func (f->samples, hz_sample_clear);
    g_ptr_array_add (self->families, f);
    g_hash_table_insert (self->by_name, f->name, f);
  } else if (f->type != type) {
    g_critical ("metrics: %s registered as both counter and gauge", name);
    return;
  }
  for (guint i = 0; i < f->samples->len; i++) {
    if (same_labels (g_array_index (f->samples, HzSample, i).labels, labels)) {
      g_critical ("metrics: %s registered twice with the same labels", name);
      return;
    }
  }
  s.labels = labels != NULL ? g_strdupv ((char **) labels) : NULL;
  s.get = get;
  s.data = data;
  g_array_append_val (f->samples, s);
}

void
hz_metrics_add_gauge (HzMetrics *self, const char *name, const char *help,
                      const char * const *labels, HzMetricsGetFunc get, gpointer data)
{
  hz_metrics_add (self, HZ_METRIC_GAUGE, name, help, labels, get, data);
}

void
hz_metrics_add_counter (HzMetrics *self, const char *name, const char *help,
                        const char * const *labels, HzMetricsGetFunc get, gpointer data)
{
  hz_metrics_add (self, HZ_METRIC_COUNTER, name, help, labels, get, data);
}

void
hz_metrics_add_collector (HzMetrics *self, HzMetricsCollectFunc collect, gpointer data)
{
  HzCollector c = { collect, data };

  g_return_if_fail (self != NULL);
  g_return_if_fail (collect != NULL);
  g_array_append_val (self->collectors, c);
}

char *
hz_metrics_render (HzMetrics *self)
{
  GString *out = g_string_sized_new (4096);

  g_return_val_if_fail (self != NULL, NULL);

  for (guint i = 0; i < self->families->len; i++) {
    HzFamily *f = g_ptr_array_index (self->families, i);

    hz_metrics_append_family (out, f->name, f->type, f->help);
    for (guint j = 0; j < f->samples->len; j++) {
      HzSample *s = &g_array_index (f->samples, HzSample, j);
      hz_metrics_append_sample (out, f->name, (const char * const *) s->labels, s->get (s->data));
    }
  }
  for (guint i = 0; i < self->collectors->len; i++) {
    HzCollector *c = &g_array_index (self->collectors, HzCollector, i);
    c->collect (out, c->data);
  }
  return g_string_free (out, FALSE);
}

/* ---------------------------------------------------------- process (/proc) */

gboolean
hz_metrics_parse_proc_stat (const char *text, HzProcStat *out, GError **error)
{
  const char *close;
  g_autofree char *rest = NULL;
  g_auto(GStrv) fields = NULL;
  guint64 v[25];

  g_return_val_if_fail (text != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  /* "pid (comm) state ppid ...": comm may hold ") ", so cut at the last ')'. */
  close = strrchr (text, ')');
  if (close == NULL || strchr (text, '(') == NULL || close[1] != ' ') {
    g_set_error_literal (error, HZ_METRICS_ERROR, HZ_METRICS_ERROR_PARSE,
                         "/proc stat: no \"(comm)\" field");
    return FALSE;
  }
  rest = g_strstrip (g_strdup (close + 2));
  fields = g_strsplit (rest, " ", -1);
  /* fields[0] is field 3 (state); fields[k] is field k + 3 (1-based, as in
   * proc(5)); v[] is indexed by field number. */
  if (g_strv_length (fields) < 22) {
    g_set_error (error, HZ_METRICS_ERROR, HZ_METRICS_ERROR_PARSE,
                 "/proc stat: %u fields after the command name, expected at least 22",
                 g_strv_length (fields));
    return FALSE;
  }
  for (guint k = 1; k < 22; k++) {
    const char *f = fields[k];
    gboolean neg = f[0] == '-';
    guint64 n;

    if (!g_ascii_string_to_unsigned (neg ? f + 1 : f, 10, 0, G_MAXUINT64, &n, NULL)) {
      g_set_error (error, HZ_METRICS_ERROR, HZ_METRICS_ERROR_PARSE,
                   "/proc stat: field %u is not a number", k + 3);
      return FALSE;
    }
    v[k + 3] = neg ? (guint64) (-(gint64) n) : n;
  }
  out->utime_ticks = v[14];
  out->stime_ticks = v[15];
  out->start_ticks = v[22];
  out->vsize_bytes = v[23];
  out->rss_pages = (gint64) v[24];
  return TRUE;
}

gboolean
hz_metrics_parse_boot_time (const char *text, guint64 *out, GError **error)
{
  g_auto(GStrv) lines = NULL;

  g_return_val_if_fail (text != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++) {
    if (g_str_has_prefix (lines[i], "btime ") &&
        g_ascii_string_to_unsigned (g_strstrip (lines[i] + 6), 10, 1, G_MAXUINT64, out, NULL))
      return TRUE;
  }
  g_set_error_literal (error, HZ_METRICS_ERROR, HZ_METRICS_ERROR_PARSE,
                       "/proc/stat: no valid btime line");
  return FALSE;
}

static guint
count_open_fds (void)
{
  g_autoptr(GDir) dir = g_dir_open ("/proc/self/fd", 0, NULL);
  guint n = 0;

  if (dir == NULL)
    return 0;
  while (g_dir_read_name (dir) != NULL)
    n++;
  return n > 0 ? n - 1 : 0; /* the directory's own descriptor */
}

static void
collect_process (GString *out, gpointer data)
{
  g_autofree char *stat_text = NULL;
  g_autofree char *proc_stat = NULL;
  g_autoptr(GError) error = NULL;
  HzProcStat st = { 0 };
  guint64 boot_s = 0;
  double ticks = (double) sysconf (_SC_CLK_TCK);
  struct rlimit rl;

  if (!g_file_get_contents ("/proc/self/stat", &stat_text, NULL, &error) ||
      !hz_metrics_parse_proc_stat (stat_text, &st, &error)) {
    g_debug ("metrics: no process figures: %s", error->message);
    return;
  }
  hz_metrics_append_family (out, "process_cpu_seconds_total", HZ_METRIC_COUNTER,
                            "Total user and system CPU time spent in seconds.");
  hz_metrics_append_sample (out, "process_cpu_seconds_total", NULL,
                            (double) (st.utime_ticks + st.stime_ticks) / ticks);
  hz_metrics_append_family (out, "process_resident_memory_bytes", HZ_METRIC_GAUGE,
                            "Resident memory size in bytes.");
  hz_metrics_append_sample (out, "process_resident_memory_bytes", NULL,
                            (double) st.rss_pages * (double) sysconf (_SC_PAGESIZE));
  hz_metrics_append_family (out, "process_virtual_memory_bytes", HZ_METRIC_GAUGE,
                            "Virtual memory size in bytes.");
  hz_metrics_append_sample (out, "process_virtual_memory_bytes", NULL, (double) st.vsize_bytes);
  hz_metrics_append_family (out, "process_open_fds", HZ_METRIC_GAUGE,
                            "Number of open file descriptors.");
  hz_metrics_append_sample (out, "process_open_fds", NULL, count_open_fds ());
  if (getrlimit (RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
    hz_metrics_append_family (out, "process_max_fds", HZ_METRIC_GAUGE,
                              "Maximum number of open file descriptors.");
    hz_metrics_append_sample (out, "process_max_fds", NULL, (double) rl.rlim_cur);
  }
  if (g_file_get_contents ("/proc/stat", &proc_stat, NULL, NULL) &&
      hz_metrics_parse_boot_time (proc_stat, &boot_s, NULL)) {
    hz_metrics_append_family (out, "process_start_time_seconds", HZ_METRIC_GAUGE,
                              "Start time of the process since unix epoch in seconds.");
    hz_metrics_append_sample (out, "process_start_time_seconds", NULL,
                              (double) boot_s + (double) st.start_ticks / ticks);
  }
}

/* ------------------------------------------------------------------- HTTP */

static gboolean
peer_is_loopback (const char *peer)
{
  g_autoptr(GInetAddress) addr = NULL;

  if (peer == NULL)
    return FALSE;
  if (g_str_has_prefix (peer, "::ffff:"))
    peer += 7; /* an IPv4 peer on a dual-stack socket */
  addr = g_inet_address_new_from_string (peer);
  return addr != NULL && g_inet_address_get_is_loopback (addr);
}

/* SHA-256 digests compared with CRYPTO_memcmp, as hz-api does, so neither
 * the key's bytes nor its length show in the time taken. */
static gboolean
bearer_matches (const char *admin_key, const char *auth)
{
  guchar want[SHA256_DIGEST_LENGTH], got[SHA256_DIGEST_LENGTH];

  if (admin_key == NULL || admin_key[0] == '\0' || auth == NULL ||
      g_ascii_strncasecmp (auth, "Bearer ", 7) != 0)
    return FALSE;
  SHA256 ((const guchar *) admin_key, strlen (admin_key), want);
  SHA256 ((const guchar *) auth + 7, strlen (auth + 7), got);
  return CRYPTO_memcmp (want, got, sizeof (want)) == 0;
}

static void
hz_metrics_handle (HzHttpRequest *req, gpointer user_data)
{
  HzMetrics *self = user_data;
  const char *auth = hz_http_request_get_header (req, "authorization");
  gboolean allowed;
  char *text;

  if (auth != NULL)
    allowed = bearer_matches (self->admin_key, auth);
  else
    allowed = self->allow_loopback_anonymous &&
              peer_is_loopback (hz_http_request_get_peer (req)) &&
              hz_http_request_get_header (req, "x-forwarded-for") == NULL;
  if (!allowed) {
    hz_http_request_respond_error (req, 401, "unauthorized",
                                   "GET /metrics needs Authorization: Bearer <admin_key>");
    return;
  }
  text = hz_metrics_render (self);
  hz_http_request_respond (req, 200, HZ_METRICS_CONTENT_TYPE,
                           g_bytes_new_take (text, strlen (text)));
}

void
hz_metrics_set_auth (HzMetrics *self, const char *admin_key, gboolean allow_loopback_anonymous)
{
  g_return_if_fail (self != NULL);

  g_free (self->admin_key);
  self->admin_key = g_strdup (admin_key);
  self->allow_loopback_anonymous = allow_loopback_anonymous;
}

void
hz_metrics_register_route (HzMetrics *self, HzHttpServer *server)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (server != NULL);

  hz_http_server_add_route (server, "GET", "/metrics", 0, hz_metrics_handle, self);
}

HzMetrics *
hz_metrics_new (void)
{
  HzMetrics *self = g_new0 (HzMetrics, 1);

  self->families = g_ptr_array_new_with_free_func (hz_family_free);
  self->by_name = g_hash_table_new (g_str_hash, g_str_equal);
  self->collectors = g_array_new (FALSE, FALSE, sizeof (HzCollector));
  hz_metrics_add_collector (self, collect_process, NULL);
  return self;
}

void
hz_metrics_free (HzMetrics *self)
{
  if (self == NULL)
    return;
  g_hash_table_unref (self->by_name);
  g_ptr_array_unref (self->families);
  g_array_unref (self->collectors);
  g_free (self->admin_key);
  g_free (self);
}
