/* Faults against the real huizhen binary (tests/hostile/hz-proc.h): the
 * server killed outright in a live consult, a publisher that vanishes
 * without a word, a client that stops reading its WebSocket. */
#include <signal.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/wait.h>

#include "hz-proc.h"
#include "hz-recording.h"

/* The participants' join rows of @room in the server's SQLite database. */
static guint
count_joins (const char *data_dir, const char *room)
{
  g_autofree char *path = g_build_filename (data_dir, "huizhen.db", NULL);
  static const char sql[] = "SELECT count(*) FROM participants WHERE room_id = ?";
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;
  guint n = 0;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &st, NULL), ==, SQLITE_OK);
  sqlite3_bind_text (st, 1, room, -1, SQLITE_STATIC);
  if (sqlite3_step (st) == SQLITE_ROW)
    n = sqlite3_column_int (st, 0);
  sqlite3_finalize (st);
  sqlite3_close (db);
  return n;
}

/* SIGKILL during a live consult, then a restart on the same data directory:
 * the room and the participants' join rows survived, the same tokens join
 * again and the two can publish and talk. */
static void
test_sigkill_restart (void)
{
  g_autoptr(HzProc) p = hz_proc_start (NULL, NULL);
  g_autofree char *dir = g_strdup (p->data_dir);
  g_autofree char *room = hz_test_create_room (&p->ts, "consult");
  g_autofree char *ta = hz_test_issue_token (&p->ts, room, "a", "doctor");
  g_autofree char *tb = hz_test_issue_token (&p->ts, room, "b", "specialist");
  g_autofree char *path = g_strdup_printf ("/api/v1/rooms/%s", room);
  HzTestClient *a = hz_test_client_new (p->base_url);
  HzTestClient *b = hz_test_client_new (p->base_url);
  g_autoptr(JsonObject) ja = hz_test_client_join (a, ta);
  g_autoptr(JsonObject) jb = hz_test_client_join (b, tb);
  g_autoptr(JsonObject) ja2 = NULL, jb2 = NULL, chat = NULL;
  g_autoptr(JsonNode) body = NULL;
  guint joins_before;
  int status;

  g_assert_cmpstr (json_object_get_string_member (ja, "type"), ==, "joined");
  g_assert_cmpstr (json_object_get_string_member (jb, "type"), ==, "joined");
  g_assert_true (hz_test_client_publish (a, 1111, 2222));
  hz_test_client_pump (a, 200);
  joins_before = count_joins (dir, room);
  g_assert_cmpuint (joins_before, >=, 2);

  p->own_dir = FALSE; /* keep the data directory for the restart */
  status = hz_proc_kill (p, SIGKILL);
  g_assert_true (WIFSIGNALED (status));
  hz_test_client_pump (a, 200);
  hz_test_client_pump (b, 200);
  g_assert_true (hz_test_client_is_closed (a));
  g_assert_true (hz_test_client_is_closed (b));
  hz_test_client_free (a);
  hz_test_client_free (b);
  hz_proc_free (g_steal_pointer (&p));

  p = hz_proc_start (dir, NULL);
  p->own_dir = TRUE;
  g_assert_cmpuint (hz_test_http (p->base_url, "GET", path, HZ_TEST_ADMIN_KEY, NULL, &body), ==, 200);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (body), "id"), ==, room);
  g_assert_cmpuint (count_joins (dir, room), >=, joins_before);

  a = hz_test_client_new (p->base_url);
  b = hz_test_client_new (p->base_url);
  ja2 = hz_test_client_join (a, ta);
  jb2 = hz_test_client_join (b, tb);
  g_assert_nonnull (ja2);
  g_assert_nonnull (jb2);
  g_assert_cmpstr (json_object_get_string_member (ja2, "type"), ==, "joined");
  g_assert_cmpstr (json_object_get_string_member (jb2, "type"), ==, "joined");
  g_assert_true (hz_test_client_publish (a, 3333, 4444));
  g_assert_cmpuint (hz_test_client_subscribe (b, 10000), >=, 1);
  hz_test_client_send (a, "{\"type\":\"chat\",\"text\":\"back\"}");
  chat = hz_test_client_wait (b, "chat", 5000);
  g_assert_nonnull (chat);
  g_assert_cmpuint (count_joins (dir, room), >=,
                    joins_before + 2);
  hz_test_client_free (a);
  hz_test_client_free (b);
}

/* A publisher that vanishes without a leave (and without closing its TCP
 * connection: a machine gone off the network): the others are told within
 * 30 s (WebSocket idle policy: ping after 10 s, hang up after 25 s). */
static void
test_publisher_vanishes (void)
{
  g_autoptr(HzProc) p = hz_proc_start (NULL, NULL);
  g_autofree char *room = hz_test_create_room (&p->ts, "consult");
  g_autofree char *ta = hz_test_issue_token (&p->ts, room, "a", "doctor");
  g_autofree char *tx = hz_test_issue_token (&p->ts, room, "x", "specialist");
  g_autoptr(HzTestClient) a = hz_test_client_new (p->base_url);
  g_autoptr(JsonObject) ja = hz_test_client_join (a, ta);
  g_autoptr(HzRaw) x = hz_raw_connect (p->port, 0);
  g_autofree char *join = g_strdup_printf ("{\"type\":\"join\",\"id\":1,\"token\":\"%s\"}", tx);
  g_autoptr(JsonObject) jx = NULL, joined_ev = NULL, left = NULL;
  gint64 t0;

  g_assert_cmpstr (json_object_get_string_member (ja, "type"), ==, "joined");
  g_assert_true (hz_raw_ws_handshake (x, NULL));
  hz_raw_ws_send_text (x, join);
  jx = hz_raw_ws_wait_type (x, "joined", 5000);
  g_assert_nonnull (jx);
  joined_ev = hz_test_client_wait (a, "participant_joined", 5000);
  g_assert_nonnull (joined_ev);
  /* x now goes silent: it neither reads (no pong) nor writes, nor closes */
  t0 = g_get_monotonic_time ();
  left = hz_test_client_wait (a, "participant_left", 35000);
  g_test_message ("vanished participant reported gone after %.1f s",
                  (g_get_monotonic_time () - t0) / 1e6);
  g_assert_nonnull (left);
  g_assert_cmpstr (json_object_get_string_member (left, "participant_id"), ==,
                   json_object_get_string_member (jx, "participant_id"));
  g_assert_cmpint (g_get_monotonic_time () - t0, <=, 30 * G_USEC_PER_SEC);
}

/* A client that stops reading its WebSocket (a frozen tab) while the room
 * keeps talking: the server's memory does not grow without bound; it closes
 * that connection at its outgoing queue limit and the others carry on. */
static void
test_frozen_client (void)
{
  g_autoptr(HzProc) p = hz_proc_start (NULL, NULL);
  g_autofree char *room = hz_test_create_room (&p->ts, "consult");
  g_autofree char *ta = hz_test_issue_token (&p->ts, room, "a", "doctor");
  g_autofree char *tf = hz_test_issue_token (&p->ts, room, "f", "specialist");
  g_autoptr(HzTestClient) a = hz_test_client_new (p->base_url);
  g_autoptr(JsonObject) ja = hz_test_client_join (a, ta);
  g_autoptr(HzRaw) f = hz_raw_connect (p->port, 4096); /* small receive window */
  g_autofree char *join = g_strdup_printf ("{\"type\":\"join\",\"id\":1,\"token\":\"%s\"}", tf);
  g_autoptr(GString) filler = g_string_new (NULL);
  g_autofree char *chat = NULL;
  g_autoptr(JsonObject) jf = NULL, left = NULL;
  guint64 rss0, rss_max = 0;
  guint sent = 0;

  /* 1,990 characters of 3 octets: ~6 KB per chat, under the 2,000-character limit */
  for (guint i = 0; i < 1990; i++)
    g_string_append (filler, "诊");
  chat = g_strdup_printf ("{\"type\":\"chat\",\"text\":\"%s\"}", filler->str);
  g_assert_cmpstr (json_object_get_string_member (ja, "type"), ==, "joined");
  g_assert_true (hz_raw_ws_handshake (f, NULL));
  hz_raw_ws_send_text (f, join);
  jf = hz_raw_ws_wait_type (f, "joined", 5000);
  g_assert_nonnull (jf);
  rss0 = hz_proc_rss_kb (p);
  /* a talks; f reads nothing from here on. 7,000 chats (40 MB) would reach f. */
  for (gint64 end = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
       left == NULL && sent < 7000 && g_get_monotonic_time () < end; sent++) {
    g_autoptr(JsonObject) echo = NULL;
    hz_test_client_send (a, chat);
    echo = hz_test_client_wait (a, "chat", 5000); /* a still gets its own chat back */
    if (echo == NULL) {
      g_autoptr(JsonObject) err = hz_test_client_wait (a, "error", 10);
      g_test_message ("chat %u: no echo (%s)", sent, err != NULL ? json_object_get_string_member (err, "code") : "none");
      g_assert_nonnull (err); /* only a rate limit may stop the echo */
      hz_test_iterate (1000);
      continue;
    }
    left = hz_test_client_wait (a, "participant_left", 0);
    rss_max = MAX (rss_max, hz_proc_rss_kb (p));
  }
  if (left == NULL) /* the hang-up may take the close-flush timeout */
    left = hz_test_client_wait (a, "participant_left", 10000);
  g_test_message ("frozen client: %u chats of 6 KB sent, participant_left %s, RSS %" G_GUINT64_FORMAT
                  " KiB -> max %" G_GUINT64_FORMAT " KiB", sent, left != NULL ? "seen" : "not seen", rss0, rss_max);
  g_assert_nonnull (left);
  g_assert_cmpstr (json_object_get_string_member (left, "participant_id"), ==,
                   json_object_get_string_member (jf, "participant_id"));
  /* the per-connection queue bound is 4 MiB: allow it plus slack */
  g_assert_cmpuint (rss_max, <, rss0 + 32 * 1024);
}

/* SIGKILL while a consult is being recorded, then a restart on the same data
 * directory: the partial recording is repaired and catalogued at start-up,
 * the library lists it, and its tracks play (a duration close to what was
 * recorded). */
static void
stop_while_recording (int sig)
{
  const char *make_clip = g_getenv ("HZ_MAKE_CLIP");
  g_autofree char *gst_launch = g_find_program_in_path ("gst-launch-1.0");
  g_autoptr(GError) error = NULL;
  g_autofree char *clip_dir = NULL, *cmd = NULL, *room = NULL, *tok = NULL, *dir = NULL;
  g_autoptr(JsonObject) joined = NULL, started = NULL;
  g_autoptr(JsonNode) list = NULL, entry = NULL;
  g_autoptr(HzProc) p = NULL;
  HzTestClient *c;
  JsonArray *recs, *tracks;
  const char *id;
  int status = 0;

  if (make_clip == NULL || gst_launch == NULL) {
    g_test_skip ("needs gst-launch-1.0 and tools/loadgen/make-clip.sh (HZ_MAKE_CLIP)");
    return;
  }
  clip_dir = g_dir_make_tmp ("hz-fault-clip-XXXXXX", &error);
  g_assert_no_error (error);
  cmd = g_strdup_printf ("%s %s 4", make_clip, clip_dir);
  if (!g_spawn_command_line_sync (cmd, NULL, NULL, &status, NULL) ||
      !g_spawn_check_wait_status (status, NULL)) {
    g_test_skip ("GStreamer could not encode the clip");
    return;
  }

  p = hz_proc_start (NULL, NULL);
  dir = g_strdup (p->data_dir);
  room = hz_test_create_room (&p->ts, "consult");
  tok = hz_test_issue_token (&p->ts, room, "spec", "specialist");
  c = hz_test_client_new (p->base_url);
  joined = hz_test_client_join (c, tok);
  g_assert_cmpstr (json_object_get_string_member (joined, "type"), ==, "joined");
  g_assert_true (hz_test_client_publish (c, 0x9001, 0x9002));
  g_assert_true (hz_test_client_wait_connected (c, TRUE, FALSE, 10000));
  hz_test_client_send (c, "{\"type\":\"recording\",\"action\":\"start\"}");
  started = hz_test_client_wait (c, "recording", 5000);
  g_assert_cmpstr (json_object_get_string_member (started, "state"), ==, "started");
  hz_test_client_pump (c, 200);
  hz_test_client_send_clip (c, clip_dir, 0x9001, 0x9002, 3000);

  p->own_dir = FALSE; /* the restart needs the data directory */
  status = hz_proc_kill (p, sig);
  if (sig == SIGKILL)
    g_assert_true (WIFSIGNALED (status));
  else
    g_assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
  hz_test_client_free (c);
  hz_proc_free (g_steal_pointer (&p));

  p = hz_proc_start (dir, NULL);
  p->own_dir = TRUE;
  g_assert_cmpuint (hz_test_http (p->base_url, "GET", "/api/v1/recordings", HZ_TEST_ADMIN_KEY, NULL, &list),
                    ==, 200);
  recs = json_object_get_array_member (json_node_get_object (list), "recordings");
  g_assert_cmpuint (json_array_get_length (recs), ==, 1);
  id = json_object_get_string_member (json_array_get_object_element (recs, 0), "id");
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/recordings/%s", id);
    g_assert_cmpuint (hz_test_http (p->base_url, "GET", path, HZ_TEST_ADMIN_KEY, NULL, &entry), ==, 200);
  }
  /* SIGKILL: repaired at start-up; SIGTERM: finalized before exit. */
  g_assert_true (json_object_get_boolean_member (json_node_get_object (entry), "recovered") == (sig == SIGKILL));
  tracks = json_object_get_array_member (json_node_get_object (entry), "tracks");
  g_assert_cmpuint (json_array_get_length (tracks), ==, 2);
  for (guint i = 0; i < json_array_get_length (tracks); i++) {
    gint64 ms = json_object_get_int_member (json_array_get_object_element (tracks, i), "duration_ms");

    g_test_message ("track %u: %" G_GINT64_FORMAT " ms after signal %d", i, ms, sig);
    g_assert_cmpint (ms, >, 1500); /* ~3 s sent; the tail may be lost */
  }
  {
    g_autofree char *rm = g_strdup_printf ("rm -rf %s", clip_dir);
    g_spawn_command_line_sync (rm, NULL, NULL, NULL, NULL);
  }
}

static void
test_sigkill_while_recording (void)
{
  stop_while_recording (SIGKILL);
}

/* SIGTERM while recording: the server finalizes the files before it exits. */
static void
test_sigterm_while_recording (void)
{
  stop_while_recording (SIGTERM);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  if (g_getenv ("HUIZHEN_BIN") == NULL) {
    g_printerr ("HUIZHEN_BIN is not set (meson test sets it)\n");
    return 77;
  }
  g_test_add_func ("/fault/sigkill-restart", test_sigkill_restart);
  g_test_add_func ("/fault/publisher-vanishes", test_publisher_vanishes);
  g_test_add_func ("/fault/frozen-client", test_frozen_client);
  g_test_add_func ("/fault/sigkill-while-recording", test_sigkill_while_recording);
  g_test_add_func ("/fault/sigterm-while-recording", test_sigterm_while_recording);
  return g_test_run ();
}
