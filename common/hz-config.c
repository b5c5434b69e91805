/* hz-config: every known key is one row of hz_config_keys[]; loading, the
 * environment overrides, the unknown-key warning and the printed default file
 * all walk that one table, so a key added there is complete everywhere. */
#include "hz-config.h"
#include "hz-base64url.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <openssl/rand.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

G_DEFINE_QUARK (hz-config-error-quark, hz_config_error)

#define HZ_SECRET_BYTES 32
#define HZ_SECRET_MIN_CHARS 16

typedef enum {
  HZ_KEY_STRING,
  HZ_KEY_BOOL,
  HZ_KEY_PORT,   /* 1..65535 */
  HZ_KEY_UINT,
} HzKeyType;

typedef struct {
  const char *group;
  const char *key;
  HzKeyType   type;
  gsize       offset;         /* of the field in HzConfig */
  const char *default_value;  /* NULL: unset, or derived in hz_config_derive() */
  const char *comment;
} HzConfigKey;

#define F(field) offsetof (HzConfig, field)

static const HzConfigKey hz_config_keys[] = {
  { "http", "listen", HZ_KEY_STRING, F (listen), "127.0.0.1:8080",
    "host:port (or [ipv6]:port) of the one HTTP/WebSocket port" },
  { "http", "tls_cert", HZ_KEY_STRING, F (tls_cert), NULL,
    "PEM certificate chain; with tls_key, serve HTTPS/WSS" },
  { "http", "tls_key", HZ_KEY_STRING, F (tls_key), NULL,
    "PEM private key of tls_cert" },
  { "http", "allow_insecure", HZ_KEY_BOOL, F (allow_insecure), "false",
    "allow plain HTTP on a non-loopback address (only behind a TLS reverse proxy)" },
  { "http", "public_url", HZ_KEY_STRING, F (public_url), NULL,
    "base URL of join links, e.g. https://meet.example.org; default derived from listen" },
  { "auth", "admin_key", HZ_KEY_STRING, F (admin_key), NULL,
    "bearer key of the admin API; generated into <data_dir>/secrets/admin_key when unset" },
  { "auth", "token_secret", HZ_KEY_STRING, F (token_secret), NULL,
    "HMAC key of join tokens; generated into <data_dir>/secrets/token_secret when unset" },
  { "media", "ip", HZ_KEY_STRING, F (media_ip), "127.0.0.1",
    "address put in ICE candidates (this host's address as clients reach it)" },
  { "media", "port_min", HZ_KEY_PORT, F (port_min), "20000",
    "lowest UDP port for media" },
  { "media", "port_max", HZ_KEY_PORT, F (port_max), "20999",
    "highest UDP port for media" },
  { "media", "ice_tcp_port", HZ_KEY_UINT, F (ice_tcp_port), "0",
    "TCP port of ICE-TCP (RFC 6544 passive candidates, one port shared by every connection) for clients whose network blocks UDP; 0: off" },
  { "media", "stun_server", HZ_KEY_STRING, F (stun_server), NULL,
    "STUN URL handed to clients, e.g. stun:stun.example.org:3478" },
  { "media", "turn_server", HZ_KEY_STRING, F (turn_server), NULL,
    "TURN URL handed to clients, e.g. turn:turn.example.org:3478?transport=udp" },
  { "media", "turn_user", HZ_KEY_STRING, F (turn_user), NULL,
    "TURN user name" },
  { "media", "turn_password", HZ_KEY_STRING, F (turn_password), NULL,
    "TURN password" },
  { "media", "liveness_timeout_s", HZ_KEY_UINT, F (liveness_timeout_s), "30",
    "a connection that sends no authenticated packet (SRTP or SRTCP) for this long is failed and its room told, 5..300" },
  { "media", "workers", HZ_KEY_UINT, F (workers), NULL,
    "media worker threads, 1..16; default: the number of CPUs (at most 16)" },
  { "storage", "data_dir", HZ_KEY_STRING, F (data_dir), "./data",
    "embedded database, recordings, shared documents, generated secrets" },
  { "storage", "s3_endpoint", HZ_KEY_STRING, F (s3_endpoint), NULL,
    "http(s)://host[:port] of S3-compatible storage for recordings; unset: recordings stay on local disk" },
  { "storage", "s3_region", HZ_KEY_STRING, F (s3_region), "us-east-1",
    "SigV4 region of s3_endpoint" },
  { "storage", "s3_bucket", HZ_KEY_STRING, F (s3_bucket), "huizhen-recordings",
    "bucket holding the recordings library" },
  { "storage", "s3_access_key", HZ_KEY_STRING, F (s3_access_key), NULL,
    "access key of s3_endpoint" },
  { "storage", "s3_secret_key", HZ_KEY_STRING, F (s3_secret_key), NULL,
    "secret key of s3_endpoint" },
  { "storage", "s3_keep_local", HZ_KEY_BOOL, F (s3_keep_local), "false",
    "keep the local copy of a recording once it is uploaded" },
  { "database", "url", HZ_KEY_STRING, F (database_url), NULL,
    "sqlite:PATH or postgresql://user:pass@host:port/db; default sqlite:<data_dir>/huizhen.db" },
  { "rooms", "lobby_minutes", HZ_KEY_UINT, F (rooms_lobby_minutes), "15",
    "joins open this many minutes before starts_at, 0..1440" },
  { "rooms", "grace_minutes", HZ_KEY_UINT, F (rooms_grace_minutes), "10",
    "and stay open this many minutes after ends_at, 0..1440" },
  { "rooms", "empty_close_minutes", HZ_KEY_UINT, F (rooms_empty_close_minutes), "10",
    "a live room empty this many minutes is closed, 1..1440" },
  { "records", "retention_years", HZ_KEY_UINT, F (records_retention_years), "15",
    "consult records are kept this many years, 1..100" },
  { "audit", "retention_days", HZ_KEY_UINT, F (audit_retention_days), "183",
    "audit entries are kept at least this many days, 183..36500" },
  { "recording", "retention_years_consult", HZ_KEY_UINT, F (recording_retention_years_consult), "3",
    "recordings of consult rooms are kept this many years, then removed, 1..100" },
  { "recording", "retention_years_teaching", HZ_KEY_UINT, F (recording_retention_years_teaching), "3",
    "recordings of teaching rooms are kept this many years, then removed, 1..100" },
  { "documents", "max_upload_mb", HZ_KEY_UINT, F (documents_max_upload_mb), "2048",
    "largest upload of shared documents (all files of one request) in MiB, 1..65536" },
  { "documents", "max_files", HZ_KEY_UINT, F (documents_max_files), "1000",
    "most files in one upload or PACS pull, 1..100000" },
  { "pacs", "url", HZ_KEY_STRING, F (pacs_url), NULL,
    "DICOMweb root of the consortium PACS, e.g. http://pacs.example:8042/dicom-web; unset: no PACS" },
  { "pacs", "username", HZ_KEY_STRING, F (pacs_username), NULL,
    "HTTP basic auth user of the PACS" },
  { "pacs", "password", HZ_KEY_STRING, F (pacs_password), NULL,
    "HTTP basic auth password of the PACS" },
  { "pacs", "timeout_s", HZ_KEY_UINT, F (pacs_timeout_s), "60",
    "seconds per PACS request, 1..3600" },
  { "cluster", "redis_url", HZ_KEY_STRING, F (redis_url), NULL,
    "redis://host:port/db shared by the nodes of a cluster; unset: a single node" },
  { "cluster", "node_id", HZ_KEY_STRING, F (node_id), NULL,
    "this node's name in the cluster; default: the host name when redis_url is set" },
  { "cluster", "node_url", HZ_KEY_STRING, F (node_url), NULL,
    "base URL other nodes and clients reach this node at; default: [http] public_url" },
  { "cluster", "drain_grace_s", HZ_KEY_UINT, F (cluster_drain_grace_s), "300",
    "on SIGTERM in a cluster, wait at most this many seconds for rooms to end, 0..86400" },
  { "cluster", "cascade_viewers", HZ_KEY_UINT, F (cluster_cascade_viewers), "200",
    "viewers of one teaching room a node takes before further viewers go to other nodes, 1..100000" },
  { "log", "level", HZ_KEY_STRING, F (log_level), "message",
    "error, warning, message, info or debug" },
};

#undef F

static const char *const hz_log_levels[] = { "error", "warning", "message", "info", "debug", NULL };

static gpointer
hz_config_field (HzConfig *self, const HzConfigKey *k)
{
  return (guint8 *) self + k->offset;
}

static const HzConfigKey *
hz_config_key_lookup (const char *group, const char *key)
{
  for (gsize i = 0; i < G_N_ELEMENTS (hz_config_keys); i++) {
    if (g_strcmp0 (hz_config_keys[i].group, group) == 0 &&
        g_strcmp0 (hz_config_keys[i].key, key) == 0)
      return &hz_config_keys[i];
  }
  return NULL;
}

static gboolean
hz_parse_bool (const char *value, gboolean *out)
{
  static const char *const yes[] = { "true", "1", "yes", "on", NULL };
  static const char *const no[] = { "false", "0", "no", "off", NULL };

  for (guint i = 0; yes[i] != NULL; i++) {
    if (g_ascii_strcasecmp (value, yes[i]) == 0) {
      *out = TRUE;
      return TRUE;
    }
    if (g_ascii_strcasecmp (value, no[i]) == 0) {
      *out = FALSE;
      return TRUE;
    }
  }
  return FALSE;
}

/* Sets one key from its text form. An empty value restores the default. */
static gboolean
hz_config_set (HzConfig *self, const HzConfigKey *k, const char *value,
               const char *source, GError **error)
{
  gpointer field = hz_config_field (self, k);
  guint64 n = 0;
  g_autoptr(GError) error_local = NULL;

  if (value == NULL || value[0] == '\0')
    value = k->default_value;
  switch (k->type) {
  case HZ_KEY_STRING:
    g_free (*(char **) field);
    *(char **) field = g_strdup (value);
    return TRUE;
  case HZ_KEY_BOOL:
    if (value == NULL || hz_parse_bool (value, (gboolean *) field))
      return TRUE;
    g_set_error (error, HZ_CONFIG_ERROR, HZ_CONFIG_ERROR_INVALID,
                 "%s: [%s] %s must be true or false, not \"%s\"", source, k->group, k->key, value);
    return FALSE;
  case HZ_KEY_PORT:
  case HZ_KEY_UINT:
    if (value == NULL) {
      *(guint *) field = 0;
      return TRUE;
    }
    if (!g_ascii_string_to_unsigned (value, 10, k->type == HZ_KEY_PORT ? 1 : 0,
                                     k->type == HZ_KEY_PORT ? 65535 : G_MAXUINT, &n, &error_local)) {
      g_set_error (error, HZ_CONFIG_ERROR, HZ_CONFIG_ERROR_INVALID,
                   "%s: [%s] %s: %s", source, k->group, k->key, error_local->message);
      return FALSE;
    }
    *(guint *) field = (guint) n;
    return TRUE;
  }
  g_assert_not_reached ();
}

static gboolean
hz_config_apply_defaults (HzConfig *self, GError **error)
{
  for (gsize i = 0; i < G_N_ELEMENTS (hz_config_keys); i++) {
    if (!hz_config_set (self, &hz_config_keys[i], NULL, "default", error))
      return FALSE;
  }
  return TRUE;
}

static gboolean
hz_config_apply_file (HzConfig *self, const char *path, GError **error)
{
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autoptr(GError) error_local = NULL;
  g_autoptr(GPtrArray) unknown = g_ptr_array_new_with_free_func (g_free);
  g_auto(GStrv) groups = NULL;

  if (!g_key_file_load_from_file (kf, path, G_KEY_FILE_NONE, &error_local)) {
    g_set_error (error, HZ_CONFIG_ERROR, HZ_CONFIG_ERROR_FILE,
                 "cannot read configuration %s: %s", path, error_local->message);
    return FALSE;
  }
  groups = g_key_file_get_groups (kf, NULL);
  for (guint g = 0; groups[g] != NULL; g++) {
    g_auto(GStrv) keys = g_key_file_get_keys (kf, groups[g], NULL, NULL);
    for (guint i = 0; keys != NULL && keys[i] != NULL; i++) {
      const HzConfigKey *k = hz_config_key_lookup (groups[g], keys[i]);
      g_autofree char *value = NULL;

      if (k == NULL) {
        g_ptr_array_add (unknown, g_strdup_printf ("[%s] %s", groups[g], keys[i]));
        continue;
      }
      value = g_key_file_get_string (kf, groups[g], keys[i], &error_local);
      if (value == NULL) {
        g_set_error (error, HZ_CONFIG_ERROR, HZ_CONFIG_ERROR_FILE,
                     "%s: [%s] %s: %s", path, groups[g], keys[i], error_local->message);
        return FALSE;
      }
      if (!hz_config_set (self, k, value, path, error))
        return FALSE;
    }
  }
  if (unknown->len > 0) {
    g_ptr_array_add (unknown, NULL);
    g_autofree char *list = g_strjoinv (", ", (char **) unknown->pdata);
    g_warning ("%s: unknown keys ignored: %s", path, list);
  }
  return TRUE;
}

static char *
hz_config_env_name (const HzConfigKey *k)
{
  g_autofree char *name = g_strdup_printf ("HUIZHEN_%s_%s", k->group, k->key);
  return g_ascii_strup (name, -1);
}

static gboolean
hz_config_apply_environ (HzConfig *self, const char * const *envp, GError **error)
{
  for (gsize i = 0; i < G_N_ELEMENTS (hz_config_keys); i++) {
    g_autofree char *name = hz_config_env_name (&hz_config_keys[i]);
    const char *value = g_environ_getenv ((char **) envp, name);

    if (value != NULL && !hz_config_set (self, &hz_config_keys[i], value, name, error))
      return FALSE;
  }
  return TRUE;
}

gboolean
hz_host_is_loopback (const char *host)
{
  g_autoptr(GInetAddress) addr = g_inet_address_new_from_string (host);

  if (addr == NULL)
    return g_ascii_strcasecmp (host, "localhost") == 0;
  return g_inet_address_get_is_loopback (addr);
}

static gboolean
hz_config_validate_listen (HzConfig *self, GError **error)
{
  g_autoptr(GSocketConnectable) parsed = NULL;
  g_autoptr(GError) error_local = NULL;
  const char *colon;
  GNetworkAddress *na;

  /* GIO also takes service names ("host:http"); a listen address wants a number. */
  colon = strrchr (self->listen, ':');
  if (colon != NULL && colon[1] != '\0' && strspn (colon + 1, "0123456789") == strlen (colon + 1))
    parsed = g_network_address_parse (self->listen, 0, &error_local);
  /* Port 0 is allowed, written as such: the kernel picks a free port
   * (tests, ephemeral nodes). An unbracketed IPv6 address parses as a host
   * without a port and is refused. */
  if (parsed == NULL ||
      (g_network_address_get_port (G_NETWORK_ADDRESS (parsed)) == 0 &&
       (strcmp (colon + 1, "0") != 0 || (self->listen[0] != '[' && strchr (self->listen, ':') != colon)))) {
    g_set_error (error, HZ_CONFIG_ERROR, HZ_CONFIG_ERROR_INVALID,
                 "[http] listen must be host:port or [ipv6]:port, not \"%s\"", self->listen);
    return FALSE;
  }
  na = G_NETWORK_ADDRESS (parsed);
  self->listen_host = g_strdup (g_network_address_get_hostname (na));
  self->listen_port = g_network_address_get_port (na);
  if ((self->tls_cert == NULL) != (self->tls_key == NULL)) {
    g_set_error_literal (error, HZ_CONFIG_ERROR, HZ_CONFIG_ERROR_INVALID,
                         "[http] tls_cert and tls_key must be set together");
    return FALSE;
  }
  if (!hz_config_tls_enabled (self) && !self->allow_insecure &&
      !hz_host_is_loopback (self->listen_host)) {
    g_set_error (error, HZ_CONFIG_ERROR, HZ_CONFIG_ERROR_INSECURE,
                 "plain HTTP on non-loopback address %s: set [http] tls_cert and tls_key, "
                 "or allow_insecure=true behind a TLS reverse proxy", self->listen);
    return FALSE;
  }
  return TRUE;
}

static gboolean
hz_config_validate_media (HzConfig *self, GError **error)
{
  g_autoptr(GInetAddress) ip = g_inet_address_new_from_string (self->media_ip);

  if (ip == NULL) {
    g_set_error (error, HZ_CONFIG_ERROR, HZ_CONFIG_ERROR_INVALID,
                 "[media] ip must be an IP address, not \"%s\"", self->media_ip);
    return FALSE;
  }
  if (self->port_min > self->port_max) {
    g_set_error (error, HZ_CONFIG_ERROR, HZ_CONFIG_ERROR_INVALID,
                 "[media] port_min (%u) is above port_max (%u)", self->port_min, self->port_max);
    return FALSE;
  }
  if (self->stun_server != NULL && !g_str_has_prefix (self->stun_server, "stun:") &&
      !g_str_has_prefix (self->stun_server, "stuns:")) {
    g_set_error (error, HZ_CONFIG_ERROR, HZ_CONFIG_ERROR_INVALID,
                 "[media] stun_server must be a stun: or stuns: URL, not \"%s\"", self->stun_server);
    return FALSE;
  }
  if (self->turn_server != NULL && !g_str_has_prefix (self->turn_server, "turn:") &&
      !g_str_has_prefix (self->turn_server, "turns:")) {
    g_set_error (error, HZ_CONFIG_ERROR, HZ_CONFIG_ERROR_INVALID,
                 "[media] turn_server must be a turn: or turns: URL, not \"%s\"", self->turn_server);
    return FALSE;
  }
  if ((self->turn_user == NULL) != (self->turn_password == NULL)) {
    g_set_error_literal (error, HZ_CONFIG_ERROR, HZ_CONFIG_ERROR_INVALID,
                         "[media] turn_user and turn_password must be set together");
    return FALSE;
  }
  if (self->workers == 0)
    self->workers = MIN (g_get_num_processors (), HZ_CONFIG_WORKERS_MAX);
  if (self->workers > HZ_CONFIG_WORKERS_MAX) {
    g_set_error (error, HZ_CONFIG_ERROR, HZ_CONFIG_ERROR_INVALID,
                 "[media] workers must be 1..%d, not %u", HZ_CONFIG_WORKERS_MAX, self->workers);
    return FALSE;
  }
  return TRUE;
}

static char *
hz_config_derive_public_url (const HzConfig *self)
{
  const char *scheme = hz_config_tls_enabled (self) ? "https" : "http";
  g_autoptr(GInetAddress) addr = g_inet_address_new_from_string (self->listen_host);
  g_autofree char *host = NULL;

  /* A wildcard listen address is not reachable by that name: use the host name. */
  if (addr != NULL && g_inet_address_get_is_any (addr))
    host = g_strdup (g_get_host_name ());
  else if (strchr (self->listen_host, ':') != NULL)
    host = g_strdup_printf ("[%s]", self->listen_host);
  else
    host = g_strdup (self->listen_host);
  return g_strdup_printf ("%s://%s:%u", scheme, host, self->listen_port);
}

static gboolean
hz_config_validate_urls (HzConfig *self, GError **error)
{
  if (self->public_url == NULL) {
    self->public_url = hz_config_derive_public_url (self);
  } else if (!g_str_has_prefix (self->public_url, "http://") &&
             !g_str_has_prefix (self->public_url, "https://")) {
    g_set_error (error, HZ_CONFIG_ERROR, HZ_CONFIG_ERROR_INVALID,
                 "[http] public_url must start with http:// or https://, not \"%s\"", self->public_url);
    return FALSE;
  }
  while (g_str_has_suffix (self->public_url, "/"))
    self->public_url[strlen (self->public_url) - 1] = '\0';

  if (self->database_url == NULL)
    self->database_url = g_strdup_printf ("sqlite:%s/huizhen.db", self->data_dir);
  if (!(g_str_has_prefix (self->database_url, "sqlite:") && self->database_url[7] != '\0') &&
      !g_str_has_prefix (self->database_url, "postgresql://") &&
      !g_str_has_prefix (self->database_url, "postgres://")) {
    g_set_error_literal (error, HZ_CONFIG_ERROR, HZ_CONFIG_ERROR_INVALID,
                         "[database] url must be sqlite:PATH or postgresql://...");
    return FALSE;
  }
  if (self->redis_url != NULL && !g_str_has_prefix (self->redis_url, "redis://") &&
      !g_str_has_prefix (self->redis_url, "rediss://")) {
    g_set_error (error, HZ_CONFIG_ERROR, HZ_CONFIG_ERROR_INVALID,
                 "[cluster] redis_url must be a redis:// or rediss:// URL, not \"%s\"", self->redis_url);
    return FALSE;
  }
  if (self->redis_url != NULL && self->node_id == NULL)
    self->node_id = g_strdup (g_get_host_name ());
  if (self->node_url == NULL)
    self->node_url = g_strdup (self->public_url);
  while (g_str_has_suffix (self->node_url, "/"))
    self->node_url[strlen (self->node_url) - 1] = '\0';
  if (self->s3_endpoint != NULL) {
    if (!g_str_has_prefix (self->s3_endpoint, "http://") && !g_str_has_prefix (self->s3_endpoint, "https://")) {
      g_set_error (error, HZ_CONFIG_ERROR, HZ_CONFIG_ERROR_INVALID,
                   "[storage] s3_endpoint must start with http:// or https://, not \"%s\"", self->s3_endpoint);
      return FALSE;
    }
    if (self->s3_access_key == NULL || self->s3_secret_key == NULL) {
      g_set_error_literal (error, HZ_CONFIG_ERROR, HZ_CONFIG_ERROR_INVALID,
                           "[storage] s3_endpoint needs s3_access_key and s3_secret_key");
      return FALSE;
    }
  }
  return TRUE;
}

/* One range check per [rooms]/[records]/[audit] number. */
static gboolean
hz_config_validate_records (HzConfig *self, GError **error)
{
  const struct { const char *name; guint value, min, max; } checks[] = {
    { "[rooms] lobby_minutes", self->rooms_lobby_minutes, 0, 1440 },
    { "[rooms] grace_minutes", self->rooms_grace_minutes, 0, 1440 },
    { "[rooms] empty_close_minutes", self->rooms_empty_close_minutes, 1, 1440 },
    { "[records] retention_years", self->records_retention_years, 1, 100 },
    { "[audit] retention_days", self->audit_retention_days, 183, 36500 },
    { "[recording] retention_years_consult", self->recording_retention_years_consult, 1, 100 },
    { "[recording] retention_years_teaching", self->recording_retention_years_teaching, 1, 100 },
    { "[documents] max_upload_mb", self->documents_max_upload_mb, 1, 65536 },
    { "[documents] max_files", self->documents_max_files, 1, 100000 },
    { "[pacs] timeout_s", self->pacs_timeout_s, 1, 3600 },
    { "[cluster] drain_grace_s", self->cluster_drain_grace_s, 0, 86400 },
    { "[media] liveness_timeout_s", self->liveness_timeout_s, 5, 300 },
    { "[media] ice_tcp_port", self->ice_tcp_port, 0, 65535 },
    { "[cluster] cascade_viewers", self->cluster_cascade_viewers, 1, 100000 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (checks); i++) {
    if (checks[i].value < checks[i].min || checks[i].value > checks[i].max) {
      g_set_error (error, HZ_CONFIG_ERROR, HZ_CONFIG_ERROR_INVALID, "%s must be %u..%u, not %u",
                   checks[i].name, checks[i].min, checks[i].max, checks[i].value);
      return FALSE;
    }
  }
  return TRUE;
}

static gboolean
hz_config_validate (HzConfig *self, GError **error)
{
  if (!hz_config_validate_records (self, error))
    return FALSE;
  if (!hz_config_validate_listen (self, error))
    return FALSE;
  if (!hz_config_validate_media (self, error))
    return FALSE;
  if (self->data_dir == NULL) {
    g_set_error_literal (error, HZ_CONFIG_ERROR, HZ_CONFIG_ERROR_INVALID,
                         "[storage] data_dir must not be empty");
    return FALSE;
  }
  if (!g_strv_contains (hz_log_levels, self->log_level)) {
    g_set_error (error, HZ_CONFIG_ERROR, HZ_CONFIG_ERROR_INVALID,
                 "[log] level must be error, warning, message, info or debug, not \"%s\"",
                 self->log_level);
    return FALSE;
  }
  return hz_config_validate_urls (self, error);
}

/**
 * hz_config_load_with_environ:
 * @path_or_null: a key file, or %NULL for defaults only
 * @envp: the environment to read HUIZHEN_<GROUP>_<KEY> overrides from
 * @error: a #GError
 *
 * Defaults, then the key file, then the environment; then validation. Unknown
 * keys in the file are reported in one warning and otherwise ignored.
 *
 * Returns: (transfer full): the configuration, or %NULL with @error set.
 */
HzConfig *
hz_config_load_with_environ (const char *path_or_null, const char * const *envp, GError **error)
{
  g_autoptr(HzConfig) self = g_new0 (HzConfig, 1);

  if (!hz_config_apply_defaults (self, error))
    return NULL;
  if (path_or_null != NULL && !hz_config_apply_file (self, path_or_null, error))
    return NULL;
  if (envp != NULL && !hz_config_apply_environ (self, envp, error))
    return NULL;
  if (!hz_config_validate (self, error))
    return NULL;
  return g_steal_pointer (&self);
}

/**
 * hz_config_load:
 * @path_or_null: a key file, or %NULL for defaults only
 * @error: a #GError
 *
 * As hz_config_load_with_environ() with the process environment.
 *
 * Returns: (transfer full): the configuration, or %NULL with @error set.
 */
HzConfig *
hz_config_load (const char *path_or_null, GError **error)
{
  g_auto(GStrv) envp = g_get_environ ();

  return hz_config_load_with_environ (path_or_null, (const char * const *) envp, error);
}

/**
 * hz_config_default_text:
 *
 * Returns: (transfer full): the commented default key file, as printed by
 * `huizhen --print-config`. Keys with a fixed default are set; the others are
 * commented out with how their default is found.
 */
char *
hz_config_default_text (void)
{
  GString *out = g_string_new (
    "# Huizhen configuration (GLib key file).\n"
    "# Every key can also be set in the environment as HUIZHEN_<GROUP>_<KEY>,\n"
    "# e.g. HUIZHEN_HTTP_LISTEN=127.0.0.1:8080; the environment wins over this file.\n");
  const char *group = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (hz_config_keys); i++) {
    const HzConfigKey *k = &hz_config_keys[i];

    if (g_strcmp0 (group, k->group) != 0) {
      group = k->group;
      g_string_append_printf (out, "\n[%s]\n", group);
    }
    g_string_append_printf (out, "# %s\n", k->comment);
    if (k->default_value != NULL)
      g_string_append_printf (out, "%s=%s\n", k->key, k->default_value);
    else
      g_string_append_printf (out, "#%s=\n", k->key);
  }
  return g_string_free (out, FALSE);
}

gboolean
hz_config_tls_enabled (const HzConfig *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->tls_cert != NULL && self->tls_key != NULL;
}

/* Writes a new random secret to @path unless one is there already. The file is
 * written under a temporary name and linked into place, so a second process
 * starting at the same moment never sees a half-written file nor replaces it. */
static gboolean
hz_secret_create (const char *path, gboolean *created, GError **error)
{
  guint8 raw[HZ_SECRET_BYTES];
  g_autofree char *text = NULL;
  g_autofree char *tmp = g_strdup_printf ("%s.XXXXXX", path);
  gsize len;
  int fd;
  int saved_errno;

  *created = FALSE;
  if (g_file_test (path, G_FILE_TEST_EXISTS))
    return TRUE;
  if (RAND_bytes (raw, sizeof raw) != 1) {
    g_set_error_literal (error, HZ_CONFIG_ERROR, HZ_CONFIG_ERROR_SECRETS,
                         "cannot get random bytes from OpenSSL");
    return FALSE;
  }
  text = hz_base64url_encode (raw, sizeof raw);
  OPENSSL_cleanse (raw, sizeof raw);
  len = strlen (text);
  fd = g_mkstemp_full (tmp, O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0) {
    g_set_error (error, HZ_CONFIG_ERROR, HZ_CONFIG_ERROR_SECRETS,
                 "cannot create %s: %s", tmp, g_strerror (errno));
    return FALSE;
  }
  if (write (fd, text, len) != (gssize) len || fsync (fd) != 0) {
    saved_errno = errno;
    close (fd);
    g_unlink (tmp);
    g_set_error (error, HZ_CONFIG_ERROR, HZ_CONFIG_ERROR_SECRETS,
                 "cannot write %s: %s", tmp, g_strerror (saved_errno));
    return FALSE;
  }
  close (fd);
  *created = link (tmp, path) == 0;
  saved_errno = errno;
  g_unlink (tmp);
  if (!*created && saved_errno != EEXIST) {
    g_set_error (error, HZ_CONFIG_ERROR, HZ_CONFIG_ERROR_SECRETS,
                 "cannot create %s: %s", path, g_strerror (saved_errno));
    return FALSE;
  }
  return TRUE;
}

static gboolean
hz_secret_load_or_create (const char *dir, const char *name, char **out, GError **error)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autofree char *text = NULL;
  gboolean created = FALSE;
  GStatBuf st;

  if (!hz_secret_create (path, &created, error))
    return FALSE;
  if (!g_file_get_contents (path, &text, NULL, error)) {
    g_prefix_error (error, "cannot read secret: ");
    return FALSE;
  }
  g_strstrip (text);
  if (strlen (text) < HZ_SECRET_MIN_CHARS) {
    g_set_error (error, HZ_CONFIG_ERROR, HZ_CONFIG_ERROR_SECRETS,
                 "%s holds fewer than %d characters", path, HZ_SECRET_MIN_CHARS);
    return FALSE;
  }
  if (g_stat (path, &st) == 0 && (st.st_mode & 077) != 0)
    g_warning ("%s is readable by other users (mode %03o); chmod 600 it", path, st.st_mode & 0777);
  g_message ("%s %s: %s", created ? "generated" : "using", name, path);
  *out = g_steal_pointer (&text);
  return TRUE;
}

/**
 * hz_config_ensure_secrets:
 * @self: a #HzConfig
 * @error: a #GError
 *
 * Creates data_dir if missing. For each of admin_key and token_secret that is
 * unset, reads <data_dir>/secrets/<name>, generating it (32 random bytes,
 * base64url, mode 0600) on first start. Logs which file is used.
 *
 * Returns: %TRUE when both secrets are set.
 */
gboolean
hz_config_ensure_secrets (HzConfig *self, GError **error)
{
  g_autofree char *dir = NULL;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (g_mkdir_with_parents (self->data_dir, 0750) != 0) {
    g_set_error (error, HZ_CONFIG_ERROR, HZ_CONFIG_ERROR_SECRETS,
                 "cannot create data_dir %s: %s", self->data_dir, g_strerror (errno));
    return FALSE;
  }
  if (self->admin_key != NULL && self->token_secret != NULL)
    return TRUE;
  dir = g_build_filename (self->data_dir, "secrets", NULL);
  if (g_mkdir_with_parents (dir, 0700) != 0) {
    g_set_error (error, HZ_CONFIG_ERROR, HZ_CONFIG_ERROR_SECRETS,
                 "cannot create %s: %s", dir, g_strerror (errno));
    return FALSE;
  }
  if (self->admin_key == NULL &&
      !hz_secret_load_or_create (dir, "admin_key", &self->admin_key, error))
    return FALSE;
  if (self->token_secret == NULL &&
      !hz_secret_load_or_create (dir, "token_secret", &self->token_secret, error))
    return FALSE;
  return TRUE;
}

void
hz_config_free (HzConfig *self)
{
  if (self == NULL)
    return;
  for (gsize i = 0; i < G_N_ELEMENTS (hz_config_keys); i++) {
    if (hz_config_keys[i].type == HZ_KEY_STRING)
      g_free (*(char **) hz_config_field (self, &hz_config_keys[i]));
  }
  g_free (self->listen_host);
  g_free (self);
}
