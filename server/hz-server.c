/* hz-server: start and stop a node in the right order. */
#include "hz-server.h"

#include "hz-api-documents.h"
#include "hz-api-recordings.h"
#include "hz-api-rooms.h"
#include "hz-metrics.h"
#include "hz-recording-catalog.h"
#include "hz-recording-jobs.h"
#include "hz-room-recording.h"
#include "hz-api.h"
#include "hz-audit.h"
#include "hz-cluster.h"
#include "hz-cascade.h" /* cascade (owner: cascade) */
#include "hz-consult.h"
#include "hz-db.h"
#include "hz-dtls.h"
#include "hz-http.h"
#include "hz-room-store.h"
#include "hz-signal.h"
#include "hz-worker.h"

struct _HzServer {
  HzConfig *config;
  HzDb *db;
  HzRoomStore *store;
  HzDtlsCert *cert;
  HzWorkerPool *workers;
  HzIceTcp *ice_tcp;
  HzHttpServer *http;
  HzSignal *signal;
  HzApiContext api;
  HzApiRoomsContext api_rooms;
  HzApiRecordingsContext api_recordings;
  HzApiDocumentsContext api_documents;
  HzRecordingCatalog *catalog;
  HzRecordingJobs *jobs;
  HzMetrics *metrics;
  char *base_url;
  guint records_timer;   /* journal flush + room lifecycle, every few seconds */
  guint retention_timer; /* consult and audit retention, daily */
  HzCluster *cluster;    /* NULL unless [cluster] redis_url is set */
  HzCascade *cascade;    /* cascade (owner: cascade): NULL unless clustered */
  gint64 cluster_cpu_us; /* worker CPU, forwarded bytes and time at the last heartbeat */
  guint64 cluster_bytes;
  gint64 cluster_at;
};

#define RECORDS_TICK_S 5
#define RETENTION_TICK_S (24 * 3600)

static JsonArray *
list_members (const char *room_id, gpointer data)
{
  HzServer *self = data;

  return hz_signal_list_members (self->signal, room_id);
}

static void
api_room_closed (const char *room_id, const char *reason, gpointer data)
{
  HzServer *self = data;

  hz_signal_close_room_by_id (self->signal, room_id, reason);
}

/* Replays journaled records when the database is back, and moves rooms
 * through their lifecycle by time (closing live rooms past their end or
 * empty for too long). */
static gboolean
records_tick (gpointer data)
{
  HzServer *self = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GPtrArray) closed = NULL;

  if (!hz_room_store_flush (self->store, &error)) {
    g_debug ("records: journal not replayed yet: %s", error->message);
    g_clear_error (&error);
  }
  closed = hz_room_store_tick (self->store, now, &error);
  if (closed == NULL) {
    g_debug ("records: room lifecycle not advanced: %s", error->message);
    return G_SOURCE_CONTINUE;
  }
  for (guint i = 0; i < closed->len; i++)
    hz_signal_close_room_by_id (self->signal, g_ptr_array_index (closed, i), "room_ended");
  return G_SOURCE_CONTINUE;
}

static gboolean
retention_tick (gpointer data)
{
  HzServer *self = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GDateTime) audit_before = g_date_time_add_days (now, -(gint) self->config->audit_retention_days);
  guint consults = hz_consult_purge (self->store, now, &error);

  if (error != NULL)
    g_warning ("retention: consult records not purged: %s", error->message);
  g_clear_error (&error);
  consults += hz_audit_purge (hz_room_store_get_db (self->store), audit_before, &error);
  if (error != NULL)
    g_warning ("retention: audit log not purged: %s", error->message);
  if (consults > 0)
    g_message ("retention: removed %u expired records", consults);
  return G_SOURCE_CONTINUE;
}

static gboolean
open_store (HzServer *self, GError **error)
{
  HzConfig *c = self->config;
  HzRoomPolicy policy = HZ_ROOM_POLICY_DEFAULT;
  g_autofree char *journal = g_build_filename (c->data_dir, "journal", "records.jsonl", NULL);

  self->db = hz_db_open (c->database_url, error);
  if (self->db == NULL)
    return FALSE;
  self->store = hz_room_store_new (self->db);
  policy.lobby_s = c->rooms_lobby_minutes * 60;
  policy.grace_s = c->rooms_grace_minutes * 60;
  policy.empty_close_s = c->rooms_empty_close_minutes * 60;
  policy.retention_years = c->records_retention_years;
  policy.audit_retention_days = c->audit_retention_days;
  hz_room_store_set_policy (self->store, &policy);
  /* Records written while the database is unreachable wait here, fsync'd,
   * and are replayed in order, once, when it returns. */
  return hz_room_store_set_journal (self->store, journal, error);
}

static const char *
find_web_root (void)
{
  const char *env = g_getenv ("HUIZHEN_WEB_ROOT");

  if (env != NULL && env[0] != '\0')
    return env;
  if (g_file_test (HZ_WEB_ROOT_BUILD "/index.html", G_FILE_TEST_EXISTS))
    return HZ_WEB_ROOT_BUILD;
  return HZ_WEB_ROOT_INSTALL;
}

/* A recording's files are final: catalog them in the library, compose the
 * teaching video in the background, and note it in the consult record. */
static void
recording_done (const char *room_id, HzRecordingInfo *info, const GError *error, gpointer data)
{
  HzServer *self = data;
  g_autoptr(HzRecordingInfo) owned = info;
  g_autoptr(GError) local = NULL;
  g_autoptr(HzRoom) room = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *id = NULL;
  HzRecordingMeta meta = { 0 };

  if (info == NULL) {
    g_warning ("room %s: recording lost: %s", room_id, error != NULL ? error->message : "unknown error");
    return;
  }
  room = hz_room_store_get (self->store, room_id, NULL);
  if (room != NULL) {
    meta.room_kind = hz_room_kind_to_string (room->kind);
    meta.institution = room->host_institution;
  }
  id = hz_recording_catalog_add (self->catalog, &meta, info, &local);
  if (id == NULL) {
    g_warning ("room %s: recording in %s not catalogued: %s", room_id, info->dir, local->message);
    return;
  }
  g_message ("room %s: recording %s finished (%" G_GINT64_FORMAT " ms, %u tracks)", room_id, id,
             info->duration_ms, info->tracks->len);
  if (!hz_recording_jobs_enqueue (self->jobs, id, &local)) {
    g_warning ("recording %s: not composed: %s", id, local->message);
    g_clear_error (&local);
  }
  if (!hz_room_store_record_recording (self->store, room_id, "huizhen", id, "stopped", now, &local))
    g_warning ("room %s: recording not in the consult record: %s", room_id, local->message);
}

static void
api_document_shared (const char *room_id, JsonNode *document, const char *by, gpointer data)
{
  HzServer *self = data;

  hz_signal_document_shared (self->signal, room_id, document, by);
}

static gboolean
api_recording_action (const char *room_id, gboolean start, const char *actor, GError **error,
                      gpointer data)
{
  HzServer *self = data;
  g_autoptr(GError) local = NULL;

  if (hz_signal_recording_action (self->signal, room_id, start, actor, &local))
    return TRUE;
  g_set_error (error, HZ_ROOM_STORE_ERROR,
               g_error_matches (local, HZ_SIGNAL_ERROR, HZ_SIGNAL_ERROR_ROOM_NOT_OPEN)
                   ? HZ_ROOM_STORE_ERROR_INVALID_STATE
                   : HZ_ROOM_STORE_ERROR_NOT_FOUND,
               "%s", local->message);
  return FALSE;
}

static double metric_rooms (gpointer data) { return hz_signal_get_n_rooms (((HzServer *) data)->signal); }
static double metric_members (gpointer data) { return hz_signal_get_n_members (((HzServer *) data)->signal); }
static double metric_journal (gpointer data) { return hz_room_store_journal_length (((HzServer *) data)->store); }
static double metric_worker_cpu (gpointer data) { return hz_worker_get_cpu_time_us (data) / 1e6; }

static double
metric_relayed (gpointer data)
{
  guint entry, remote;

  hz_signal_get_relay_counts (((HzServer *) data)->signal, &entry, &remote);
  return entry;
}

static double
metric_remote (gpointer data)
{
  guint entry, remote;

  hz_signal_get_relay_counts (((HzServer *) data)->signal, &entry, &remote);
  return remote;
}

static double
metric_ice_tcp_accepted (gpointer data)
{
  HzIceTcpStats st;

  hz_ice_tcp_get_stats (data, &st);
  return (double) st.handed_over;
}

static double
metric_ice_tcp_refused (gpointer data)
{
  HzIceTcpStats st;

  hz_ice_tcp_get_stats (data, &st);
  return (double) st.refused;
}

static void
metrics_setup (HzServer *self)
{
  HzConfig *c = self->config;

  self->metrics = hz_metrics_new ();
  hz_metrics_set_auth (self->metrics, c->admin_key, hz_host_is_loopback (c->listen_host));
  hz_metrics_add_gauge (self->metrics, "huizhen_rooms_live", "Rooms with at least one member on this node.",
                        NULL, metric_rooms, self);
  hz_metrics_add_gauge (self->metrics, "huizhen_participants", "Members of live rooms on this node.", NULL,
                        metric_members, self);
  hz_metrics_add_gauge (self->metrics, "huizhen_records_journal_length",
                        "Consult records waiting in the journal for the database.", NULL, metric_journal, self);
  for (guint i = 0; i < hz_worker_pool_get_size (self->workers); i++) {
    g_autofree char *index = g_strdup_printf ("%u", i);
    const char *labels[] = { "worker", index, NULL };

    hz_metrics_add_counter (self->metrics, "huizhen_worker_cpu_seconds_total",
                            "CPU time of each media worker thread.", labels, metric_worker_cpu,
                            hz_worker_pool_get_worker (self->workers, i));
  }
  if (self->ice_tcp != NULL) {
    const char *accepted[] = { "outcome", "accepted", NULL };
    const char *refused[] = { "outcome", "refused", NULL };
    const char *help = "Connections to the ICE-TCP port: handed to a peer connection, or refused.";

    hz_metrics_add_counter (self->metrics, "huizhen_ice_tcp_connections_total", help, accepted,
                            metric_ice_tcp_accepted, self->ice_tcp);
    hz_metrics_add_counter (self->metrics, "huizhen_ice_tcp_connections_total", help, refused,
                            metric_ice_tcp_refused, self->ice_tcp);
  }
  if (self->cluster != NULL) {
    hz_metrics_add_gauge (self->metrics, "huizhen_cluster_relayed_sessions",
                          "Clients connected here whose rooms are on other nodes (signaling relayed).", NULL,
                          metric_relayed, self);
    hz_metrics_add_gauge (self->metrics, "huizhen_cluster_remote_sessions",
                          "Members of rooms here whose clients are connected to other nodes.", NULL,
                          metric_remote, self);
  }
  hz_metrics_add_collector (self->metrics, hz_signal_collect_metrics, self->signal);
  hz_metrics_register_route (self->metrics, self->http);
}

/* ---- cluster ---- */

/* This node's load for its record in Redis: worker CPU over all cores and
 * forwarded bit rate since the last heartbeat, connected peers. */
static void
cluster_load (HzClusterLoad *load, gpointer data)
{
  HzServer *self = data;
  gint64 now = g_get_monotonic_time ();
  gint64 cpu = 0;
  guint64 bytes = hz_signal_get_forwarded_bytes (self->signal);

  for (guint i = 0; i < hz_worker_pool_get_size (self->workers); i++)
    cpu += hz_worker_get_cpu_time_us (hz_worker_pool_get_worker (self->workers, i));
  if (self->cluster_at != 0 && now > self->cluster_at) {
    load->cpu = (double) (cpu - self->cluster_cpu_us) /
                (double) ((now - self->cluster_at) * (gint64) g_get_num_processors ());
    load->bitrate_bps = (bytes - self->cluster_bytes) * 8 * G_USEC_PER_SEC / (guint64) (now - self->cluster_at);
  }
  load->cpu = CLAMP (load->cpu, 0.0, 1.0);
  load->peers = hz_signal_get_n_members (self->signal);
  self->cluster_cpu_us = cpu;
  self->cluster_bytes = bytes;
  self->cluster_at = now;
}

/* Another node hosts the room now (this one was frozen or cut off longer
 * than the TTL): its members here are told and reconnect. */
static void
cluster_room_lost (const char *room_id, const char *new_owner, gpointer data)
{
  HzServer *self = data;

  g_warning ("room %s: placed on node %s meanwhile: closing it here", room_id, new_owner);
  hz_signal_close_room_by_id (self->signal, room_id, "room_moved");
}

static void
cluster_inbox (const char *json, gpointer data)
{
  HzServer *self = data;

  if (!hz_signal_cluster_inbox (self->signal, json))
    g_debug ("cluster: inbox message not for signaling: %.80s", json);
}

static gboolean
cluster_setup (HzServer *self, GError **error)
{
  HzConfig *c = self->config;
  /* with port 0 (tests) only the actual port makes a reachable URL */
  const char *url = c->listen_port == 0 || c->node_url == NULL ? self->base_url : c->node_url;

  self->cluster = hz_cluster_new (c->redis_url, c->node_id, url, HZ_CLUSTER_DEFAULT_TTL_MS, error);
  if (self->cluster == NULL)
    return FALSE;
  hz_cluster_set_load_func (self->cluster, cluster_load, self);
  hz_cluster_set_room_lost_func (self->cluster, cluster_room_lost, self);
  hz_cluster_set_inbox_func (self->cluster, cluster_inbox, self);
  return TRUE;
}

/* --- cascade (owner: cascade) --- */
/* The owner of a room this node has a satellite of closed it: so do we. */
static void
cascade_owner_closed (const char *room_id, const char *reason, gpointer data)
{
  HzServer *self = data;

  if (self->signal != NULL)
    hz_signal_close_room_by_id (self->signal, room_id, reason);
}
/* --- end cascade --- */

static HzSignal *
signal_new (HzServer *self)
{
  HzConfig *c = self->config;
  HzSignalConfig sc = {
    .workers = self->workers,
    .cert = self->cert,
    .store = self->store,
    .token_secret = c->token_secret,
    .media_ip = c->media_ip,
    .port_min = c->port_min,
    .port_max = c->port_max,
    .liveness_timeout_s = c->liveness_timeout_s,
    .ice_tcp = self->ice_tcp,
    .stun_server = c->stun_server,
    .turn_server = c->turn_server,
    .turn_user = c->turn_user,
    .turn_password = c->turn_password,
    .data_dir = c->data_dir,
    .recording_done = recording_done,
    .recording_data = self,
    .cluster = self->cluster,
  };

  /* --- cascade (owner: cascade) --- */
  if (self->cluster != NULL) {
    /* the satellites' own relay member joins this node over loopback */
    const char *h = c->listen_host;
    g_autofree char *local =
        hz_config_tls_enabled (c) ? g_strdup (self->base_url)
        : g_strdup_printf (strchr (h, ':') != NULL ? "http://[%s]:%u" : "http://%s:%u",
                           h[0] == '\0' || g_strcmp0 (h, "0.0.0.0") == 0 ? "127.0.0.1"
                           : g_strcmp0 (h, "::") == 0 ? "::1" : h,
                           hz_http_server_get_port (self->http));

    self->cascade = hz_cascade_new (&(HzCascadeConfig) {
        .node_id = hz_cluster_get_node_id (self->cluster), .local_url = local,
        .token_secret = c->token_secret, .admin_key = c->admin_key,
        .cascade_viewers = c->cluster_cascade_viewers,
        .owner_closed = cascade_owner_closed, .user_data = self });
    sc.cascade = self->cascade;
  }
  /* --- end cascade --- */
  return hz_signal_new (&sc);
}

HzServer *
hz_server_new (HzConfig *config, GError **error)
{
  g_autoptr(HzServer) self = g_new0 (HzServer, 1);

  self->config = config;
  if (!hz_config_ensure_secrets (config, error))
    return NULL;
  if (!open_store (self, error))
    return NULL;
  /* The recordings library: files left by a crash are repaired and
   * catalogued before anyone can ask for them. */
  self->catalog = hz_recording_catalog_new (self->store);
  self->jobs = hz_recording_jobs_new (self->catalog, NULL);
  /* --- S3 recordings (owner: s3) --- */
  if (!hz_recording_jobs_use_s3 (self->jobs, config->s3_endpoint, config->s3_region, config->s3_bucket,
                                 config->s3_access_key, config->s3_secret_key, config->s3_keep_local, error))
    return NULL;
  /* --- end S3 recordings --- */
  hz_recording_jobs_recover (self->jobs, config->data_dir);
  hz_recording_jobs_start_retention (self->jobs, 24 * 3600, config->recording_retention_years_consult,
                                     config->recording_retention_years_teaching);
  self->cert = hz_dtls_cert_new (error);
  if (self->cert == NULL)
    return NULL;
  self->workers = hz_worker_pool_new (config->workers, error);
  if (self->workers == NULL)
    return NULL;
  if (config->ice_tcp_port != 0) {
    self->ice_tcp = hz_ice_tcp_new (config->media_ip, config->ice_tcp_port, NULL, error);
    if (self->ice_tcp == NULL)
      return NULL;
    g_message ("ICE-TCP: passive candidates on %s:%u (TCP)", config->media_ip,
               hz_ice_tcp_get_port (self->ice_tcp));
  }
  self->http = hz_http_server_new (config->listen, config->tls_cert, config->tls_key,
                                   find_web_root (), error);
  if (self->http == NULL)
    return NULL;
  if (config->listen_port == 0)
    self->base_url = g_strdup_printf ("%s://%s:%u", hz_config_tls_enabled (config) ? "https" : "http",
                                      config->listen_host, hz_http_server_get_port (self->http));
  else
    self->base_url = g_strdup (config->public_url);

  if (config->redis_url != NULL && !cluster_setup (self, error))
    return NULL;
  self->signal = signal_new (self);
  hz_signal_attach (self->signal, self->http);
  if (self->cluster != NULL) {
    hz_cluster_start (self->cluster);
    g_message ("cluster: node %s in %s", config->node_id, config->redis_url);
  }
  self->api.admin_key = config->admin_key;
  self->api.token_secret = config->token_secret;
  self->api.public_base_url = self->base_url;
  self->api.store = self->store;
  self->api.list_participants = list_members;
  self->api.user_data = self;
  hz_api_register (self->http, &self->api);
  self->api_rooms.api = &self->api;
  self->api_rooms.room_closed = api_room_closed;
  self->api_rooms.user_data = self;
  hz_api_rooms_register (self->http, &self->api_rooms);
  hz_api_records_register (self->http, &self->api_rooms);
  self->api_recordings.rooms = &self->api_rooms;
  self->api_recordings.catalog = self->catalog;
  self->api_recordings.recording_action = api_recording_action;
  self->api_recordings.user_data = self;
  hz_api_recordings_register (self->http, &self->api_recordings);
  self->api_documents.api = &self->api;
  self->api_documents.data_dir = config->data_dir;
  self->api_documents.pacs.url = config->pacs_url;
  self->api_documents.pacs.username = config->pacs_username;
  self->api_documents.pacs.password = config->pacs_password;
  self->api_documents.pacs.timeout_s = config->pacs_timeout_s;
  self->api_documents.max_upload_bytes = (guint64) config->documents_max_upload_mb << 20;
  self->api_documents.max_files = config->documents_max_files;
  self->api_documents.document_shared = api_document_shared;
  self->api_documents.user_data = self;
  hz_api_documents_register (self->http, &self->api_documents);
  metrics_setup (self);
  self->records_timer = g_timeout_add_seconds (RECORDS_TICK_S, records_tick, self);
  self->retention_timer = g_timeout_add_seconds (RETENTION_TICK_S, retention_tick, self);
  retention_tick (self);
  return g_steal_pointer (&self);
}

void
hz_server_shutdown (HzServer *self, const char *reason)
{
  GMainContext *ctx = g_main_context_default ();
  gint64 deadline;

  if (self->signal == NULL)
    return;
  hz_signal_close_all (self->signal, reason);
  /* Give the room_closed messages and close frames a moment to leave, and
   * recordings the time to finalize their files (at most 20 s). */
  deadline = g_get_monotonic_time () + 200 * G_TIME_SPAN_MILLISECOND;
  while (g_get_monotonic_time () < deadline ||
         (hz_room_recording_get_n_stopping () > 0 &&
          g_get_monotonic_time () < deadline + 20 * G_USEC_PER_SEC))
    if (!g_main_context_iteration (ctx, FALSE))
      g_usleep (5000);
}

void
hz_server_free (HzServer *self)
{
  if (self == NULL)
    return;
  g_clear_handle_id (&self->records_timer, g_source_remove);
  g_clear_handle_id (&self->retention_timer, g_source_remove);
  /* Sockets first (no new joins), then rooms, then the workers. */
  g_clear_pointer (&self->http, hz_http_server_free);
  g_clear_pointer (&self->metrics, hz_metrics_free);
  g_clear_pointer (&self->signal, hz_signal_free);
  g_clear_pointer (&self->cascade, hz_cascade_free); /* cascade (owner: cascade) */
  /* after the rooms (they release their placements): says goodbye */
  g_clear_pointer (&self->cluster, hz_cluster_free);
  g_clear_pointer (&self->workers, hz_worker_pool_free);
  g_clear_pointer (&self->ice_tcp, hz_ice_tcp_unref); /* after the peers that used it */
  g_clear_pointer (&self->cert, hz_dtls_cert_unref);
  g_clear_pointer (&self->jobs, hz_recording_jobs_free);
  g_clear_pointer (&self->catalog, hz_recording_catalog_free);
  if (self->store != NULL && !hz_room_store_flush (self->store, NULL))
    g_message ("records: %u journaled records will be replayed at the next start",
               hz_room_store_journal_length (self->store));
  g_clear_pointer (&self->store, hz_room_store_free);
  g_clear_pointer (&self->db, hz_db_unref);
  g_free (self->base_url);
  g_free (self);
}

guint16
hz_server_get_port (HzServer *self)
{
  return hz_http_server_get_port (self->http);
}

const char *
hz_server_get_base_url (HzServer *self)
{
  return self->base_url;
}

gboolean
hz_server_drain (HzServer *self)
{
  if (self->cluster == NULL)
    return FALSE;
  hz_cluster_drain (self->cluster);
  self->api.draining = TRUE;
  return TRUE;
}

guint
hz_server_get_n_rooms (HzServer *self)
{
  return hz_signal_get_n_rooms (self->signal);
}

guint
hz_server_get_n_relayed (HzServer *self)
{
  guint entry, remote;

  hz_signal_get_relay_counts (self->signal, &entry, &remote);
  return entry;
}
