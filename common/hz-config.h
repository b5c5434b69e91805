/* hz-config: the server's configuration. Owns the list of known keys, their
 * defaults, reading them from a GLib key file and from HUIZHEN_<GROUP>_<KEY>
 * environment variables (the environment wins), validating them, printing the
 * commented default file, and the generated secrets in <data_dir>/secrets/. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define HZ_CONFIG_ERROR (hz_config_error_quark ())
GQuark hz_config_error_quark (void);

typedef enum {
  HZ_CONFIG_ERROR_FILE,      /* the key file cannot be read or parsed */
  HZ_CONFIG_ERROR_INVALID,   /* a value is malformed or out of range */
  HZ_CONFIG_ERROR_INSECURE,  /* plain HTTP on a non-loopback address */
  HZ_CONFIG_ERROR_SECRETS,   /* the secrets directory or files cannot be used */
} HzConfigError;

#define HZ_CONFIG_WORKERS_MAX 16

typedef struct {
  /* [http] */
  char     *listen;          /* "host:port" or "[v6]:port" as configured */
  char     *listen_host;     /* derived: host part, without brackets */
  guint16   listen_port;     /* derived: port part */
  char     *tls_cert;
  char     *tls_key;
  gboolean  allow_insecure;
  char     *public_url;      /* base of join_url, no trailing '/'; derived from listen if unset */
  /* [auth] */
  char     *admin_key;
  char     *token_secret;
  /* [media] */
  char     *media_ip;
  guint     port_min;
  guint     port_max;
  guint     ice_tcp_port;    /* 0: no ICE-TCP; else the one TCP port of passive candidates */
  char     *stun_server;
  char     *turn_server;
  char     *turn_user;
  char     *turn_password;
  guint     workers;         /* 1..HZ_CONFIG_WORKERS_MAX; default: number of CPUs */
  guint     liveness_timeout_s;  /* 5..300, default 30 */
  /* [storage] */
  char     *data_dir;
  char     *s3_endpoint;              /* unset: recordings stay local */
  char     *s3_region;
  char     *s3_bucket;
  char     *s3_access_key;
  char     *s3_secret_key;
  gboolean  s3_keep_local;
  /* [database] */
  char     *database_url;    /* default "sqlite:<data_dir>/huizhen.db" */
  /* [rooms] */
  guint     rooms_lobby_minutes;        /* 0..1440, default 15 */
  guint     rooms_grace_minutes;        /* 0..1440, default 10 */
  guint     rooms_empty_close_minutes;  /* 1..1440, default 10 */
  /* [records] */
  guint     records_retention_years;    /* 1..100, default 15 */
  /* [audit] */
  guint     audit_retention_days;       /* 183..36500, default 183 */
  /* [recording] */
  guint     recording_retention_years_consult;  /* 1..100, default 3 */
  guint     recording_retention_years_teaching; /* 1..100, default 3 */
  /* [documents] */
  guint     documents_max_upload_mb;    /* one upload request, 1..65536, default 2048 */
  guint     documents_max_files;        /* files in one request, 1..100000, default 1000 */
  /* [pacs] */
  char     *pacs_url;                   /* DICOMweb root; unset: no PACS */
  char     *pacs_username;
  char     *pacs_password;
  guint     pacs_timeout_s;             /* 1..3600, default 60 */
  /* [cluster] */
  char     *redis_url;
  char     *node_id;
  char     *node_url;                 /* default: public_url */
  guint     cluster_drain_grace_s;    /* 0..86400, default 300 */
  guint     cluster_cascade_viewers;  /* 1..100000, default 200 */
  /* [log] */
  char     *log_level;       /* "error", "warning", "message", "info" or "debug" */
} HzConfig;

HzConfig *hz_config_load              (const char *path_or_null,
                                       GError    **error);
HzConfig *hz_config_load_with_environ (const char         *path_or_null,
                                       const char * const *envp,
                                       GError            **error);
char     *hz_config_default_text      (void);
gboolean  hz_config_ensure_secrets    (HzConfig *self,
                                       GError  **error);
gboolean  hz_config_tls_enabled       (const HzConfig *self);
void      hz_config_free              (HzConfig *self);
gboolean  hz_host_is_loopback         (const char *host);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HzConfig, hz_config_free)

G_END_DECLS
