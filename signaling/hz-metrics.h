/*
 * hz-metrics: the GET /metrics endpoint (Prometheus text exposition format
 * 0.0.4).
 *
 * Owns: a small registry of metric families (gauges and counters read through
 * a getter at scrape time, and collector callbacks that write whole families
 * themselves), the text format (HELP/TYPE lines, escaping of help text and
 * label values, number formatting), the built-in process metrics read from
 * /proc (process_cpu_seconds_total, process_resident_memory_bytes,
 * process_virtual_memory_bytes, process_open_fds, process_max_fds,
 * process_start_time_seconds), and who may scrape.
 *
 * Who may scrape: a request carrying "Authorization: Bearer <admin_key>" is
 * always served; a request without it only when the server was told that
 * anonymous local scrapes are allowed (the lead passes TRUE when [http] listen
 * is a loopback address), the peer address is loopback, and the request did
 * not come through a reverse proxy (no X-Forwarded-For). Everything else is
 * 401. So a node behind nginx on 127.0.0.1 does not leak its metrics through
 * the proxy, and a node listening on a public address needs the key.
 *
 * Everything runs on the main context (getters and collectors are called
 * from the /metrics handler); nothing here is thread-safe.
 */
#pragma once

#include <glib.h>

#include "hz-http.h"

G_BEGIN_DECLS

typedef enum {
  HZ_METRIC_COUNTER,
  HZ_METRIC_GAUGE,
} HzMetricType;

/* The current value of one sample. */
typedef double (*HzMetricsGetFunc) (gpointer data);
/* Appends whole families (hz_metrics_append_family, then its samples with
 * hz_metrics_append_sample) to out. Must not write a family that is also
 * registered with hz_metrics_add_gauge/counter or by another collector. */
typedef void (*HzMetricsCollectFunc) (GString *out, gpointer data);

typedef struct _HzMetrics HzMetrics;

#define HZ_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* A registry with the process collector already in it. */
HzMetrics *hz_metrics_new (void);
void hz_metrics_free (HzMetrics *self);

/* One sample of family @name. @labels: NULL or a NULL-terminated list of
 * alternating label names and values, e.g. (const char *[]){"worker", "0",
 * NULL}. Adding several samples to one family (same name, type and help,
 * different labels) is how a labelled family is built. Names must match
 * [a-zA-Z_:][a-zA-Z0-9_:]*, label names [a-zA-Z_][a-zA-Z0-9_]* without a
 * leading "__"; label values may be any UTF-8 (they are escaped). */
void hz_metrics_add_gauge (HzMetrics *self, const char *name, const char *help,
                           const char * const *labels, HzMetricsGetFunc get, gpointer data);
void hz_metrics_add_counter (HzMetrics *self, const char *name, const char *help,
                             const char * const *labels, HzMetricsGetFunc get, gpointer data);
/* Collectors run after the registered families, in the order added. */
void hz_metrics_add_collector (HzMetrics *self, HzMetricsCollectFunc collect, gpointer data);

/* Anonymous scrapes from loopback (see the top of this file); admin_key is
 * copied; NULL or "" means no key opens /metrics. Default: no key, no
 * anonymous scrapes (every scrape is refused until this is called). */
void hz_metrics_set_auth (HzMetrics *self, const char *admin_key, gboolean allow_loopback_anonymous);
/* GET /metrics on @server. @self must outlive @server's routes. */
void hz_metrics_register_route (HzMetrics *self, HzHttpServer *server);

/* The whole exposition, as /metrics serves it. */
char *hz_metrics_render (HzMetrics *self);

/* Text-format writers for collectors. */
void hz_metrics_append_family (GString *out, const char *name, HzMetricType type, const char *help);
void hz_metrics_append_sample (GString *out, const char *name, const char * const *labels, double value);

gboolean hz_metrics_name_is_valid (const char *name);
gboolean hz_metrics_label_name_is_valid (const char *name);

/* The fields of /proc/<pid>/stat that the process metrics use. */
typedef struct {
  guint64 utime_ticks, stime_ticks; /* fields 14, 15 */
  guint64 start_ticks;              /* field 22: clock ticks after boot */
  guint64 vsize_bytes;              /* field 23 */
  gint64 rss_pages;                 /* field 24 */
} HzProcStat;

/* Parses the text of /proc/<pid>/stat (the command name in parentheses may
 * hold spaces and parentheses). A pure function: FALSE with an error on
 * malformed text. */
gboolean hz_metrics_parse_proc_stat (const char *text, HzProcStat *out, GError **error);
/* The "btime" line of /proc/stat: boot time in seconds since the epoch. */
gboolean hz_metrics_parse_boot_time (const char *text, guint64 *out, GError **error);

#define HZ_METRICS_ERROR (hz_metrics_error_quark ())
GQuark hz_metrics_error_quark (void);
typedef enum {
  HZ_METRICS_ERROR_PARSE, /* /proc text not understood */
} HzMetricsError;

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HzMetrics, hz_metrics_free)

G_END_DECLS
