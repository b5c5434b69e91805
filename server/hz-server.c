/* hz-server: start and stop a node in the right order. */
#include "hz-server.h"

#include "hz-api.h"
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
  HzHttpServer *http;
  HzSignal *signal;
  HzApiContext api;
  char *base_url;
};

static JsonArray *
list_members (const char *room_id, gpointer data)
{
  HzServer *self = data;

  return hz_signal_list_members (self->signal, room_id);
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
    .stun_server = c->stun_server,
    .turn_server = c->turn_server,
    .turn_user = c->turn_user,
    .turn_password = c->turn_password,
  };

  return hz_signal_new (&sc);
}

HzServer *
hz_server_new (HzConfig *config, GError **error)
{
  g_autoptr(HzServer) self = g_new0 (HzServer, 1);

  self->config = config;
  if (!hz_config_ensure_secrets (config, error))
    return NULL;
  self->db = hz_db_open (config->database_url, error);
  if (self->db == NULL)
    return NULL;
  self->store = hz_room_store_new (self->db);
  self->cert = hz_dtls_cert_new (error);
  if (self->cert == NULL)
    return NULL;
  self->workers = hz_worker_pool_new (config->workers, error);
  if (self->workers == NULL)
    return NULL;
  self->http = hz_http_server_new (config->listen, config->tls_cert, config->tls_key,
                                   find_web_root (), error);
  if (self->http == NULL)
    return NULL;
  if (config->listen_port == 0)
    self->base_url = g_strdup_printf ("%s://%s:%u", hz_config_tls_enabled (config) ? "https" : "http",
                                      config->listen_host, hz_http_server_get_port (self->http));
  else
    self->base_url = g_strdup (config->public_url);

  self->signal = signal_new (self);
  hz_signal_attach (self->signal, self->http);
  self->api.admin_key = config->admin_key;
  self->api.token_secret = config->token_secret;
  self->api.public_base_url = self->base_url;
  self->api.store = self->store;
  self->api.list_participants = list_members;
  self->api.user_data = self;
  hz_api_register (self->http, &self->api);
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
  /* Give the room_closed messages and close frames a moment to leave. */
  deadline = g_get_monotonic_time () + 200 * G_TIME_SPAN_MILLISECOND;
  while (g_get_monotonic_time () < deadline)
    if (!g_main_context_iteration (ctx, FALSE))
      g_usleep (5000);
}

void
hz_server_free (HzServer *self)
{
  if (self == NULL)
    return;
  /* Sockets first (no new joins), then rooms, then the workers. */
  g_clear_pointer (&self->http, hz_http_server_free);
  g_clear_pointer (&self->signal, hz_signal_free);
  g_clear_pointer (&self->workers, hz_worker_pool_free);
  g_clear_pointer (&self->cert, hz_dtls_cert_unref);
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
