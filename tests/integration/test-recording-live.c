/* Integration: a live consult recorded without transcoding. A C publisher
 * sends a real VP8 + Opus clip (encoded by GStreamer at test time) through
 * the server at its real pace while the specialist records; afterwards the
 * recording's manifest lists both tracks, each playable with the session's
 * duration. */
#include <glib/gstdio.h>
#include <string.h>

#include "hz-recording.h"
#include "hz-test-client.h"

#define CLIP_SECONDS 3

static char *
find_manifest (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  if (d == NULL)
    return NULL;
  while ((name = g_dir_read_name (d)) != NULL) {
    g_autofree char *path = g_build_filename (dir, name, NULL);
    char *found;

    if (g_strcmp0 (name, HZ_RECORDING_MANIFEST) == 0)
      return g_steal_pointer (&path);
    if (g_file_test (path, G_FILE_TEST_IS_DIR) && (found = find_manifest (path)) != NULL)
      return found;
  }
  return NULL;
}

static void
test_record_consult (void)
{
  const char *make_clip = g_getenv ("HZ_MAKE_CLIP");
  g_autoptr(GError) error = NULL;
  g_autofree char *clip_dir = g_dir_make_tmp ("hz-clip-XXXXXX", &error);
  g_autofree char *cmd = NULL, *recordings = NULL, *manifest = NULL, *rec_dir = NULL;
  HzTestServer *ts;
  g_autofree char *room = NULL, *tok = NULL;
  g_autoptr(HzTestClient) spec = NULL;
  g_autoptr(JsonObject) joined = NULL, started = NULL, stopped = NULL;
  g_autoptr(HzRecordingInfo) info = NULL;
  g_autofree char *gst_launch = g_find_program_in_path ("gst-launch-1.0");
  int status = 0;

  if (make_clip == NULL || gst_launch == NULL) {
    g_test_skip ("needs gst-launch-1.0 and tools/loadgen/make-clip.sh (HZ_MAKE_CLIP)");
    return;
  }
  cmd = g_strdup_printf ("%s %s %d", make_clip, clip_dir, CLIP_SECONDS);
  g_assert_true (g_spawn_command_line_sync (cmd, NULL, NULL, &status, &error));
  if (!g_spawn_check_wait_status (status, NULL)) {
    g_test_skip ("GStreamer could not encode the clip (vp8enc/opusenc missing?)");
    return;
  }

  ts = hz_test_server_start ();
  room = hz_test_create_room (ts, "consult");
  tok = hz_test_issue_token (ts, room, "spec", "specialist");
  spec = hz_test_client_new (ts->base_url);
  joined = hz_test_client_join (spec, tok);
  g_assert_false (json_object_get_boolean_member (json_object_get_object_member (joined, "room"), "recording"));
  g_assert_true (hz_test_client_publish (spec, 0x7001, 0x7002));
  g_assert_true (hz_test_client_wait_connected (spec, TRUE, FALSE, 10000));

  hz_test_client_send (spec, "{\"type\":\"recording\",\"action\":\"start\"}");
  started = hz_test_client_wait (spec, "recording", 5000);
  g_assert_cmpstr (json_object_get_string_member (started, "state"), ==, "started");
  hz_test_client_pump (spec, 200); /* the key-frame request reaches us */

  hz_test_client_send_clip (spec, clip_dir, 0x7001, 0x7002, 0);

  hz_test_client_send (spec, "{\"type\":\"recording\",\"action\":\"stop\"}");
  stopped = hz_test_client_wait (spec, "recording", 5000);
  g_assert_cmpstr (json_object_get_string_member (stopped, "state"), ==, "stopped");

  recordings = g_build_filename (ts->data_dir, "recordings", NULL);
  for (gint64 end = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
       (manifest = find_manifest (recordings)) == NULL && g_get_monotonic_time () < end;)
    hz_test_client_pump (spec, 50);
  g_assert_nonnull (manifest);
  rec_dir = g_path_get_dirname (manifest);
  info = hz_recording_info_load (rec_dir, &error);
  g_assert_no_error (error);
  g_test_message ("recording: %u tracks, %" G_GINT64_FORMAT " ms", info->tracks->len, info->duration_ms);
  g_assert_cmpuint (info->tracks->len, ==, 2);
  for (guint i = 0; i < info->tracks->len; i++) {
    HzRecordingTrackInfo *t = g_ptr_array_index (info->tracks, i);
    g_autofree char *path = g_build_filename (rec_dir, t->file, NULL);
    gint64 probed = 0;

    g_assert_true (hz_recording_probe_duration (path, &probed, &error));
    g_assert_no_error (error);
    g_test_message ("  %s %s: %" G_GINT64_FORMAT " ms", t->name, t->kind, probed);
    /* the whole clip, within a second (jitter buffer, first key frame) */
    g_assert_cmpint (probed, >, (CLIP_SECONDS - 1) * 1000);
    g_assert_cmpint (probed, <, (CLIP_SECONDS + 1) * 1000);
    g_assert_cmpuint (t->size, >, 1000);
  }
  g_clear_pointer (&spec, hz_test_client_free);
  hz_test_server_stop (ts);
}

/* The recordings directory cannot be written (here: it is a regular file,
 * which stops root too): starting a recording fails with a clear error and
 * the consult goes on. */
static void
test_unwritable_library (void)
{
  HzTestServer *ts = hz_test_server_start ();
  g_autofree char *room = hz_test_create_room (ts, "consult");
  g_autofree char *tok = hz_test_issue_token (ts, room, "spec", "specialist");
  g_autofree char *blocker = g_build_filename (ts->data_dir, "recordings", NULL);
  g_autoptr(HzTestClient) spec = hz_test_client_new (ts->base_url);
  g_autoptr(JsonObject) joined = NULL, err = NULL, chat = NULL, rec = NULL;

  g_assert_true (g_file_set_contents (blocker, "not a directory", -1, NULL));
  joined = hz_test_client_join (spec, tok);
  g_assert_cmpstr (json_object_get_string_member (joined, "type"), ==, "joined");
  hz_test_client_send (spec, "{\"type\":\"recording\",\"action\":\"start\"}");
  err = hz_test_client_wait (spec, "error", 5000);
  g_assert_nonnull (err);
  g_test_message ("refused: %s", json_object_get_string_member (err, "message"));
  g_assert_true (strlen (json_object_get_string_member (err, "message")) > 0);
  rec = hz_test_client_wait (spec, "recording", 300);
  g_assert_null (rec); /* nobody is told a recording runs */
  hz_test_client_send (spec, "{\"type\":\"chat\",\"text\":\"still in the consult\"}");
  chat = hz_test_client_wait (spec, "chat", 5000);
  g_assert_nonnull (chat);
  g_clear_pointer (&spec, hz_test_client_free);
  hz_test_server_stop (ts);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/integration/recording/live-consult", test_record_consult);
  g_test_add_func ("/integration/recording/unwritable-library", test_unwritable_library);
  return g_test_run ();
}
