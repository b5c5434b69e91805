/* huizhen: the server executable: options, configuration, signals. SIGTERM
 * and SIGINT close rooms cleanly and exit 0. */
#include <glib-unix.h>
#include <glib.h>
#include <stdio.h>

#include "hz-config.h"
#include "hz-server.h"

static gboolean
on_quit_signal (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

static int
run (HzConfig *config)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(HzServer) server = hz_server_new (config, &error);
  const char *url;

  if (server == NULL) {
    g_printerr ("huizhen: %s\n", error->message);
    return 1;
  }
  g_unix_signal_add (SIGTERM, on_quit_signal, loop);
  g_unix_signal_add (SIGINT, on_quit_signal, loop);

  url = hz_server_get_base_url (server);
  g_print ("Huizhen %s listening on %s/ (media on %s, UDP %u-%u)\n", HZ_VERSION, url,
           config->media_ip, config->port_min, config->port_max);
  g_print ("Admin key: %s/secrets/admin_key\n", config->data_dir);
  fflush (stdout);

  g_main_loop_run (loop);
  g_message ("shutting down: closing rooms");
  hz_server_shutdown (server, "server_shutdown");
  g_clear_pointer (&server, hz_server_free);
  g_message ("stopped");
  return 0;
}

int
main (int argc, char **argv)
{
  g_autofree char *config_path = NULL;
  gboolean print_config = FALSE, version = FALSE;
  g_autoptr(GError) error = NULL;
  g_autoptr(GOptionContext) ctx = g_option_context_new ("- teleconsultation media server");
  g_autoptr(HzConfig) config = NULL;
  GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path, "Configuration file (GLib key file)", "FILE" },
    { "print-config", 0, 0, G_OPTION_ARG_NONE, &print_config, "Print the default configuration and exit", NULL },
    { "version", 'V', 0, G_OPTION_ARG_NONE, &version, "Print the version and exit", NULL },
    { NULL },
  };

  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_set_description (ctx,
      "Every key can also be set as HUIZHEN_<GROUP>_<KEY>, e.g. HUIZHEN_HTTP_LISTEN=127.0.0.1:8080.\n"
      "Log verbosity: [log] level, or G_MESSAGES_DEBUG=all.");
  if (!g_option_context_parse (ctx, &argc, &argv, &error)) {
    g_printerr ("huizhen: %s\n", error->message);
    return 2;
  }
  if (version) {
    g_print ("huizhen %s\n", HZ_VERSION);
    return 0;
  }
  if (print_config) {
    g_autofree char *text = hz_config_default_text ();
    g_print ("%s", text);
    return 0;
  }
  config = hz_config_load (config_path, &error);
  if (config == NULL) {
    g_printerr ("huizhen: %s\n", error->message);
    return 1;
  }
  if (g_strcmp0 (config->log_level, "debug") == 0)
    g_setenv ("G_MESSAGES_DEBUG", "all", FALSE);
  return run (config);
}
