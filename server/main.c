/* huizhen: the server executable: options, configuration, signals. SIGTERM
 * and SIGINT close rooms cleanly and exit 0. In a cluster, SIGTERM drains
 * first: no new rooms are placed here, /healthz answers 503, and the node
 * waits until its rooms and the sessions it relays to other nodes end, or
 * [cluster] drain_grace_s passes (a second
 * SIGTERM or SIGINT stops at once). */
#include <glib-unix.h>
#include <glib.h>
#include <malloc.h>
#include <stdio.h>

#include "hz-config.h"
#include "hz-server.h"

typedef struct {
  GMainLoop *loop;
  HzServer *server;
  guint grace_s;
  gint64 drain_until; /* monotonic µs; 0: not draining */
  guint drain_timer;
} Run;

static gboolean
drain_tick (gpointer data)
{
  Run *run = data;
  guint rooms = hz_server_get_n_rooms (run->server);
  guint relayed = hz_server_get_n_relayed (run->server);

  if (rooms + relayed > 0 && g_get_monotonic_time () < run->drain_until)
    return G_SOURCE_CONTINUE;
  if (rooms + relayed > 0)
    g_message ("drain: grace of %u s over with %u rooms and %u relayed sessions left: closing them",
               run->grace_s, rooms, relayed);
  else
    g_message ("drain: no rooms or relayed sessions left");
  run->drain_timer = 0;
  g_main_loop_quit (run->loop);
  return G_SOURCE_REMOVE;
}

static gboolean
on_quit_signal (gpointer data)
{
  Run *run = data;

  if (run->drain_until == 0 && hz_server_drain (run->server)) {
    run->drain_until = g_get_monotonic_time () + (gint64) run->grace_s * G_USEC_PER_SEC;
    g_message ("drain: waiting up to %u s for %u rooms and %u relayed sessions to end", run->grace_s,
               hz_server_get_n_rooms (run->server), hz_server_get_n_relayed (run->server));
    run->drain_timer = g_timeout_add_seconds (1, drain_tick, run);
    return G_SOURCE_CONTINUE; /* a second signal stops at once */
  }
  g_main_loop_quit (run->loop);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_int_signal (gpointer data)
{
  g_main_loop_quit (((Run *) data)->loop);
  return G_SOURCE_CONTINUE;
}

static int
run (HzConfig *config)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(HzServer) server = hz_server_new (config, &error);
  const char *url;
  Run run = { .loop = loop, .server = server, .grace_s = config->cluster_drain_grace_s };
  guint sigterm, sigint;

  if (server == NULL) {
    g_printerr ("huizhen: %s\n", error->message);
    return 1;
  }
  sigterm = g_unix_signal_add (SIGTERM, on_quit_signal, &run);
  sigint = g_unix_signal_add (SIGINT, on_int_signal, &run);

  url = hz_server_get_base_url (server);
  g_print ("Huizhen %s listening on %s/ (media on %s, UDP %u-%u)\n", HZ_VERSION, url,
           config->media_ip, config->port_min, config->port_max);
  g_print ("Admin key: %s/secrets/admin_key\n", config->data_dir);
  fflush (stdout);

  g_main_loop_run (loop);
  g_source_remove (sigterm);
  g_source_remove (sigint);
  g_clear_handle_id (&run.drain_timer, g_source_remove);
  g_message ("shutting down: closing rooms");
  hz_server_shutdown (server, "server_shutdown");
  g_clear_pointer (&server, hz_server_free);
  g_message ("stopped");
  return 0;
}

/* Memory per connection: libnice allocates two 64 KiB buffers per ICE
 * component (a UDP receive buffer of which one page is ever written, and
 * an RFC 4571 buffer used only for ICE-TCP), libwebsockets one of 64 KiB
 * per WebSocket. glibc serves them from the heap (its mmap threshold
 * starts at 128 KiB and only grows), where they are carved out of memory
 * other allocations already touched, so they count in full in the RSS.
 * Mapped on their own (threshold 60 KiB, fixed) only their written pages
 * are resident and a closed connection gives them back. Process-wide: set
 * first thing in main(), before any connection exists; nothing on the forwarding
 * path allocates (see docs/BENCHMARKS.md, "steps"). */
static void
tune_malloc (void)
{
#ifdef M_MMAP_THRESHOLD
  if (g_getenv ("HUIZHEN_MALLOC_DEFAULTS") == NULL)
    mallopt (M_MMAP_THRESHOLD, 60 * 1024);
#endif
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

  tune_malloc ();

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
