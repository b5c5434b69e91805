/* Tests of common/hz-config: defaults, key file, environment overrides,
 * validation, the printed default file and the generated secrets. */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "hz-config.h"

static const char *const no_env[] = { NULL };

/* A temporary folder removed (with what is inside) at the end of the test. */
static void
rm_rf (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL) {
    g_autofree char *child = g_build_filename (path, name, NULL);
    if (g_file_test (child, G_FILE_TEST_IS_DIR))
      rm_rf (child);
    else
      g_unlink (child);
  }
  g_rmdir (path);
}

static char *
write_temp_config (const char *dir, const char *text)
{
  char *path = g_build_filename (dir, "huizhen.conf", NULL);
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, text, -1, &error);
  g_assert_no_error (error);
  return path;
}

static void
test_config_defaults (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HzConfig) cfg = hz_config_load_with_environ (NULL, no_env, &error);

  g_assert_no_error (error);
  g_assert_nonnull (cfg);
  g_assert_cmpstr (cfg->listen, ==, "127.0.0.1:8080");
  g_assert_cmpstr (cfg->listen_host, ==, "127.0.0.1");
  g_assert_cmpuint (cfg->listen_port, ==, 8080);
  g_assert_false (cfg->allow_insecure);
  g_assert_false (hz_config_tls_enabled (cfg));
  g_assert_cmpstr (cfg->public_url, ==, "http://127.0.0.1:8080");
  g_assert_null (cfg->admin_key);
  g_assert_null (cfg->token_secret);
  g_assert_cmpstr (cfg->media_ip, ==, "127.0.0.1");
  g_assert_cmpuint (cfg->port_min, ==, 20000);
  g_assert_cmpuint (cfg->port_max, ==, 20999);
  g_assert_cmpuint (cfg->workers, ==, MIN (g_get_num_processors (), HZ_CONFIG_WORKERS_MAX));
  g_assert_cmpstr (cfg->data_dir, ==, "./data");
  g_assert_cmpstr (cfg->database_url, ==, "sqlite:./data/huizhen.db");
  g_assert_null (cfg->redis_url);
  g_assert_null (cfg->node_id);
  g_assert_cmpstr (cfg->log_level, ==, "message");
}

static void
test_config_key_file (void)
{
  g_autofree char *dir = g_dir_make_tmp ("hz-config-XXXXXX", NULL);
  g_autofree char *path = write_temp_config (dir,
    "[http]\nlisten=[::1]:8443\npublic_url=https://meet.example.org/\n"
    "[media]\nip=10.0.0.5\nport_min=30000\nport_max=30100\nworkers=3\n"
    "stun_server=stun:stun.example.org:3478\n"
    "[storage]\ndata_dir=/var/lib/huizhen\n"
    "[cluster]\nredis_url=redis://127.0.0.1:6379/0\nnode_id=node-a\n"
    "[log]\nlevel=debug\n");
  g_autoptr(GError) error = NULL;
  g_autoptr(HzConfig) cfg = hz_config_load_with_environ (path, no_env, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (cfg->listen_host, ==, "::1");
  g_assert_cmpuint (cfg->listen_port, ==, 8443);
  g_assert_cmpstr (cfg->public_url, ==, "https://meet.example.org");  /* trailing '/' dropped */
  g_assert_cmpstr (cfg->media_ip, ==, "10.0.0.5");
  g_assert_cmpuint (cfg->port_min, ==, 30000);
  g_assert_cmpuint (cfg->port_max, ==, 30100);
  g_assert_cmpuint (cfg->workers, ==, 3);
  g_assert_cmpstr (cfg->stun_server, ==, "stun:stun.example.org:3478");
  g_assert_cmpstr (cfg->database_url, ==, "sqlite:/var/lib/huizhen/huizhen.db");
  g_assert_cmpstr (cfg->redis_url, ==, "redis://127.0.0.1:6379/0");
  g_assert_cmpstr (cfg->node_id, ==, "node-a");
  g_assert_cmpstr (cfg->log_level, ==, "debug");
  rm_rf (dir);
}

static void
test_config_ipv6_public_url_derived (void)
{
  const char *env[] = { "HUIZHEN_HTTP_LISTEN=[::1]:9443", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(HzConfig) cfg = hz_config_load_with_environ (NULL, env, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (cfg->public_url, ==, "http://[::1]:9443");
}

static void
test_config_env_wins (void)
{
  g_autofree char *dir = g_dir_make_tmp ("hz-config-XXXXXX", NULL);
  g_autofree char *path = write_temp_config (dir,
    "[http]\nlisten=127.0.0.1:9000\n[media]\nport_max=21000\n[auth]\nadmin_key=from-file\n");
  const char *env[] = {
    "HUIZHEN_HTTP_LISTEN=127.0.0.1:9100",
    "HUIZHEN_AUTH_ADMIN_KEY=from-env",
    "HUIZHEN_DATABASE_URL=postgresql://hz:pw@db.example.org:5432/huizhen",
    "HUIZHEN_HTTP_ALLOW_INSECURE=yes",
    "UNRELATED=1",
    NULL,
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(HzConfig) cfg = hz_config_load_with_environ (path, env, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (cfg->listen_port, ==, 9100);
  g_assert_cmpstr (cfg->admin_key, ==, "from-env");
  g_assert_cmpuint (cfg->port_max, ==, 21000);  /* file value kept where env is silent */
  g_assert_true (cfg->allow_insecure);
  g_assert_cmpstr (cfg->database_url, ==, "postgresql://hz:pw@db.example.org:5432/huizhen");
  rm_rf (dir);
}

/* hz_config_load() reads the real process environment. */
static void
test_config_process_env (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HzConfig) cfg = NULL;

  g_setenv ("HUIZHEN_MEDIA_PORT_MIN", "40000", TRUE);
  g_setenv ("HUIZHEN_MEDIA_PORT_MAX", "40010", TRUE);
  cfg = hz_config_load (NULL, &error);
  g_unsetenv ("HUIZHEN_MEDIA_PORT_MIN");
  g_unsetenv ("HUIZHEN_MEDIA_PORT_MAX");
  g_assert_no_error (error);
  g_assert_cmpuint (cfg->port_min, ==, 40000);
  g_assert_cmpuint (cfg->port_max, ==, 40010);
}

static void
assert_env_rejected (const char *assignment, int code)
{
  const char *env[] = { assignment, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(HzConfig) cfg = hz_config_load_with_environ (NULL, env, &error);

  if (error == NULL)
    g_error ("%s was accepted", assignment);
  g_assert_error (error, HZ_CONFIG_ERROR, code);
  g_assert_null (cfg);
}

static void
test_config_bad_values (void)
{
  assert_env_rejected ("HUIZHEN_HTTP_LISTEN=127.0.0.1", HZ_CONFIG_ERROR_INVALID);       /* no port */
  assert_env_rejected ("HUIZHEN_HTTP_LISTEN=127.0.0.1:99999", HZ_CONFIG_ERROR_INVALID); /* port too big */
  assert_env_rejected ("HUIZHEN_HTTP_LISTEN=::1:8080", HZ_CONFIG_ERROR_INVALID);        /* v6 needs [] */
  assert_env_rejected ("HUIZHEN_HTTP_LISTEN=127.0.0.1:http", HZ_CONFIG_ERROR_INVALID);
  assert_env_rejected ("HUIZHEN_HTTP_ALLOW_INSECURE=maybe", HZ_CONFIG_ERROR_INVALID);
  assert_env_rejected ("HUIZHEN_HTTP_TLS_CERT=/etc/hz/cert.pem", HZ_CONFIG_ERROR_INVALID); /* no key */
  assert_env_rejected ("HUIZHEN_HTTP_PUBLIC_URL=meet.example.org", HZ_CONFIG_ERROR_INVALID);
  assert_env_rejected ("HUIZHEN_MEDIA_PORT_MIN=21000", HZ_CONFIG_ERROR_INVALID);        /* above max */
  assert_env_rejected ("HUIZHEN_MEDIA_PORT_MAX=0", HZ_CONFIG_ERROR_INVALID);
  assert_env_rejected ("HUIZHEN_MEDIA_PORT_MAX=65536", HZ_CONFIG_ERROR_INVALID);
  assert_env_rejected ("HUIZHEN_MEDIA_IP=media.example.org", HZ_CONFIG_ERROR_INVALID);
  assert_env_rejected ("HUIZHEN_MEDIA_WORKERS=17", HZ_CONFIG_ERROR_INVALID);
  assert_env_rejected ("HUIZHEN_MEDIA_STUN_SERVER=stun.example.org", HZ_CONFIG_ERROR_INVALID);
  assert_env_rejected ("HUIZHEN_MEDIA_TURN_USER=alice", HZ_CONFIG_ERROR_INVALID);       /* no password */
  assert_env_rejected ("HUIZHEN_DATABASE_URL=mysql://x", HZ_CONFIG_ERROR_INVALID);
  assert_env_rejected ("HUIZHEN_CLUSTER_REDIS_URL=127.0.0.1:6379", HZ_CONFIG_ERROR_INVALID);
  assert_env_rejected ("HUIZHEN_LOG_LEVEL=loud", HZ_CONFIG_ERROR_INVALID);
}

static void
test_config_insecure (void)
{
  const char *wildcard[] = { "HUIZHEN_HTTP_LISTEN=0.0.0.0:8080", "HUIZHEN_HTTP_ALLOW_INSECURE=true", NULL };
  const char *tls[] = { "HUIZHEN_HTTP_LISTEN=[2001:db8::1]:443", "HUIZHEN_HTTP_TLS_CERT=/c.pem",
                        "HUIZHEN_HTTP_TLS_KEY=/k.pem", NULL };
  const char *localhost[] = { "HUIZHEN_HTTP_LISTEN=localhost:8080", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(HzConfig) a = NULL;
  g_autoptr(HzConfig) b = NULL;
  g_autoptr(HzConfig) c = NULL;

  assert_env_rejected ("HUIZHEN_HTTP_LISTEN=0.0.0.0:8080", HZ_CONFIG_ERROR_INSECURE);
  assert_env_rejected ("HUIZHEN_HTTP_LISTEN=192.168.1.10:80", HZ_CONFIG_ERROR_INSECURE);
  assert_env_rejected ("HUIZHEN_HTTP_LISTEN=[::]:8080", HZ_CONFIG_ERROR_INSECURE);

  a = hz_config_load_with_environ (NULL, wildcard, &error);
  g_assert_no_error (error);
  g_assert_true (a->allow_insecure);
  b = hz_config_load_with_environ (NULL, tls, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (b->public_url, ==, "https://[2001:db8::1]:443");
  c = hz_config_load_with_environ (NULL, localhost, &error);
  g_assert_no_error (error);
}

static void
test_config_unknown_keys_warn (void)
{
  g_autofree char *dir = g_dir_make_tmp ("hz-config-XXXXXX", NULL);
  g_autofree char *path = write_temp_config (dir,
    "[http]\nlisten=127.0.0.1:8081\nlisen=127.0.0.1:9\n[bogus]\nx=1\n");
  g_autoptr(GError) error = NULL;
  g_autoptr(HzConfig) cfg = NULL;

  g_test_expect_message ("hz-common", G_LOG_LEVEL_WARNING,
                         "*unknown keys ignored: [http] lisen, [bogus] x");
  cfg = hz_config_load_with_environ (path, no_env, &error);
  g_test_assert_expected_messages ();
  g_assert_no_error (error);
  g_assert_cmpuint (cfg->listen_port, ==, 8081);
  rm_rf (dir);
}

static void
test_config_missing_file (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HzConfig) cfg = hz_config_load_with_environ ("/nonexistent/huizhen.conf", no_env, &error);

  g_assert_error (error, HZ_CONFIG_ERROR, HZ_CONFIG_ERROR_FILE);
  g_assert_null (cfg);
}

/* `huizhen --print-config` output must load back to the defaults, with no
 * unknown-key warning (g_test_init() makes warnings fatal, so one would abort). */
static void
test_config_default_text_loads_back (void)
{
  g_autofree char *text = hz_config_default_text ();
  g_autofree char *dir = g_dir_make_tmp ("hz-config-XXXXXX", NULL);
  g_autofree char *path = write_temp_config (dir, text);
  g_autoptr(GError) error = NULL;
  g_autoptr(HzConfig) from_text = NULL;
  g_autoptr(HzConfig) defaults = hz_config_load_with_environ (NULL, no_env, &error);

  g_assert_no_error (error);
  g_assert_nonnull (strstr (text, "\n[http]\n"));
  g_assert_nonnull (strstr (text, "\nlisten=127.0.0.1:8080\n"));
  g_assert_nonnull (strstr (text, "\n#token_secret=\n"));
  g_assert_nonnull (strstr (text, "HUIZHEN_<GROUP>_<KEY>"));
  from_text = hz_config_load_with_environ (path, no_env, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (from_text->listen, ==, defaults->listen);
  g_assert_cmpstr (from_text->public_url, ==, defaults->public_url);
  g_assert_cmpstr (from_text->media_ip, ==, defaults->media_ip);
  g_assert_cmpuint (from_text->port_min, ==, defaults->port_min);
  g_assert_cmpuint (from_text->port_max, ==, defaults->port_max);
  g_assert_cmpuint (from_text->workers, ==, defaults->workers);
  g_assert_cmpstr (from_text->data_dir, ==, defaults->data_dir);
  g_assert_cmpstr (from_text->database_url, ==, defaults->database_url);
  g_assert_cmpstr (from_text->log_level, ==, defaults->log_level);
  g_assert_cmpint (from_text->allow_insecure, ==, defaults->allow_insecure);
  rm_rf (dir);
}

static char *
read_secret_file (const char *data_dir, const char *name, guint *mode)
{
  g_autofree char *path = g_build_filename (data_dir, "secrets", name, NULL);
  char *text = NULL;
  GStatBuf st;

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  *mode = st.st_mode & 0777;
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  return text;
}

static HzConfig *
load_with_data_dir (const char *data_dir, const char *admin_key)
{
  g_autofree char *dir_env = g_strdup_printf ("HUIZHEN_STORAGE_DATA_DIR=%s", data_dir);
  g_autofree char *key_env = g_strdup_printf ("HUIZHEN_AUTH_ADMIN_KEY=%s", admin_key ? admin_key : "");
  const char *env[] = { dir_env, key_env, NULL };
  g_autoptr(GError) error = NULL;
  HzConfig *cfg = hz_config_load_with_environ (NULL, env, &error);

  g_assert_no_error (error);
  return cfg;
}

static void
test_config_secrets (void)
{
  g_autofree char *tmp = g_dir_make_tmp ("hz-config-XXXXXX", NULL);
  g_autofree char *data_dir = g_build_filename (tmp, "not", "yet", NULL);
  g_autoptr(HzConfig) first = load_with_data_dir (data_dir, NULL);
  g_autoptr(HzConfig) second = load_with_data_dir (data_dir, NULL);
  g_autoptr(HzConfig) preset = load_with_data_dir (data_dir, "operator-chosen-admin-key");
  g_autoptr(GError) error = NULL;
  g_autofree char *admin_file = NULL;
  g_autofree char *token_file = NULL;
  guint mode = 0;

  /* First start: data_dir is created, both secrets generated and logged. */
  g_test_expect_message ("hz-common", G_LOG_LEVEL_MESSAGE, "generated admin_key: */secrets/admin_key");
  g_test_expect_message ("hz-common", G_LOG_LEVEL_MESSAGE, "generated token_secret: */secrets/token_secret");
  g_assert_true (hz_config_ensure_secrets (first, &error));
  g_test_assert_expected_messages ();
  g_assert_no_error (error);
  g_assert_true (g_file_test (data_dir, G_FILE_TEST_IS_DIR));
  g_assert_cmpuint (strlen (first->admin_key), ==, 43);    /* 32 bytes, base64url, unpadded */
  g_assert_cmpuint (strlen (first->token_secret), ==, 43);
  g_assert_cmpstr (first->admin_key, !=, first->token_secret);
  g_assert_null (strpbrk (first->admin_key, "+/="));
  admin_file = read_secret_file (data_dir, "admin_key", &mode);
  g_assert_cmpuint (mode, ==, 0600);
  g_assert_cmpstr (admin_file, ==, first->admin_key);
  token_file = read_secret_file (data_dir, "token_secret", &mode);
  g_assert_cmpuint (mode, ==, 0600);
  g_assert_cmpstr (token_file, ==, first->token_secret);

  /* Next start: the same secrets are reused. */
  g_test_expect_message ("hz-common", G_LOG_LEVEL_MESSAGE, "using admin_key: *");
  g_test_expect_message ("hz-common", G_LOG_LEVEL_MESSAGE, "using token_secret: *");
  g_assert_true (hz_config_ensure_secrets (second, &error));
  g_test_assert_expected_messages ();
  g_assert_cmpstr (second->admin_key, ==, first->admin_key);
  g_assert_cmpstr (second->token_secret, ==, first->token_secret);

  /* A configured key wins and the file is left alone. */
  g_test_expect_message ("hz-common", G_LOG_LEVEL_MESSAGE, "using token_secret: *");
  g_assert_true (hz_config_ensure_secrets (preset, &error));
  g_test_assert_expected_messages ();
  g_assert_cmpstr (preset->admin_key, ==, "operator-chosen-admin-key");
  g_assert_cmpstr (preset->token_secret, ==, first->token_secret);
  g_free (admin_file);
  admin_file = read_secret_file (data_dir, "admin_key", &mode);
  g_assert_cmpstr (admin_file, ==, first->admin_key);
  rm_rf (tmp);
}

static void
test_config_secret_too_short (void)
{
  g_autofree char *tmp = g_dir_make_tmp ("hz-config-XXXXXX", NULL);
  g_autofree char *secrets = g_build_filename (tmp, "secrets", NULL);
  g_autofree char *path = g_build_filename (secrets, "admin_key", NULL);
  g_autoptr(HzConfig) cfg = load_with_data_dir (tmp, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir (secrets, 0700), ==, 0);
  g_assert_true (g_file_set_contents (path, "short\n", -1, NULL));
  g_assert_cmpint (g_chmod (path, 0600), ==, 0);
  g_assert_false (hz_config_ensure_secrets (cfg, &error));
  g_assert_error (error, HZ_CONFIG_ERROR, HZ_CONFIG_ERROR_SECRETS);
  rm_rf (tmp);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/config/defaults", test_config_defaults);
  g_test_add_func ("/config/key-file", test_config_key_file);
  g_test_add_func ("/config/ipv6-public-url", test_config_ipv6_public_url_derived);
  g_test_add_func ("/config/env-wins", test_config_env_wins);
  g_test_add_func ("/config/process-env", test_config_process_env);
  g_test_add_func ("/config/bad-values", test_config_bad_values);
  g_test_add_func ("/config/insecure", test_config_insecure);
  g_test_add_func ("/config/unknown-keys-warn", test_config_unknown_keys_warn);
  g_test_add_func ("/config/missing-file", test_config_missing_file);
  g_test_add_func ("/config/default-text-loads-back", test_config_default_text_loads_back);
  g_test_add_func ("/config/secrets", test_config_secrets);
  g_test_add_func ("/config/secret-too-short", test_config_secret_too_short);
  return g_test_run ();
}
