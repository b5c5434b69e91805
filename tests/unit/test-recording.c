/* Tests of recording/: track recorders fed with RTP, crash safety (SIGKILL and
 * recovery), write failures, the timeline, the directory layout and manifest. */
#include <errno.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>

#include "hz-recording.h"
#include "test-recording-source.h"

static const char *self_exe;

static char *
make_tmpdir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("hz-rec-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

static void
rm_rf (const char *path)
{
  g_autoptr(GFile) f = g_file_new_for_path (path);
  g_autoptr(GFileEnumerator) e =
    g_file_enumerate_children (f, G_FILE_ATTRIBUTE_STANDARD_NAME, G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS,
                               NULL, NULL);
  GFileInfo *info;

  while (e != NULL && (info = g_file_enumerator_next_file (e, NULL, NULL)) != NULL) {
    g_autofree char *child = g_build_filename (path, g_file_info_get_name (info), NULL);
    rm_rf (child);
    g_object_unref (info);
  }
  g_remove (path);
}

/* Each codec the forwarding core hands over ends up as a playable, seekable
 * file of the length that was sent, in the container players expect. */
static void
test_track_roundtrip (void)
{
  g_autofree char *dir = make_tmpdir ();
  g_autofree char *vp8_path = g_build_filename (dir, "cam.webm", NULL);
  g_autofree char *opus_path = g_build_filename (dir, "mic.webm", NULL);
  g_autofree char *h264_path = g_build_filename (dir, "cam264.mkv", NULL);
  g_autoptr(GError) error = NULL;
  HzTrackRecorder *recs[3];
  const char *paths[3] = {vp8_path, opus_path, h264_path};
  const char *caps[3] = {"video/x-vp8", "audio/x-opus", "video/x-h264"};

  recs[0] = hz_track_recorder_new (vp8_path, HZ_REC_CODEC_VP8, 96, 90000, &error);
  g_assert_no_error (error);
  recs[1] = hz_track_recorder_new (opus_path, HZ_REC_CODEC_OPUS, 111, 48000, &error);
  g_assert_no_error (error);
  recs[2] = hz_track_recorder_new (h264_path, HZ_REC_CODEC_H264, 102, 90000, &error);
  g_assert_no_error (error);
  test_feed_rtp (SRC_VP8 ("ball", 320, 240, 45, "rtp0") SRC_OPUS (440, 150, "rtp1")
                   SRC_H264 (45, "rtp2"),
                 recs, 3, NULL, NULL);
  for (guint i = 0; i < 3; i++) {
    g_autoptr(GstDiscovererInfo) info = NULL;
    g_autofree char *name = NULL;
    HzTrackRecorderStats stats;
    gboolean video = i != 1;

    g_assert_true (hz_track_recorder_stop (recs[i], &error));
    g_assert_no_error (error);
    hz_track_recorder_get_stats (recs[i], &stats);
    g_assert_cmpuint (stats.packets_in, >, 40);
    g_assert_cmpuint (stats.packets_dropped, ==, 0);
    info = test_discover (paths[i]);
    name = test_stream_caps (info, video);
    g_assert_cmpstr (name, ==, caps[i]);
    g_assert_cmpuint (g_list_length (video ? gst_discoverer_info_get_audio_streams (info)
                                           : gst_discoverer_info_get_video_streams (info)),
                      ==, 0);
    /* 3 s were sent; the first video frame waits for a key frame */
    g_test_message ("%s: %" G_GINT64_FORMAT " ms", paths[i], test_duration_ms (info));
    g_assert_cmpint (test_duration_ms (info), >=, SRC_SECONDS * 1000 - 300);
    g_assert_cmpint (test_duration_ms (info), <=, SRC_SECONDS * 1000 + 300);
    g_assert_true (gst_discoverer_info_get_seekable (info));
    hz_track_recorder_free (recs[i]);
  }
  rm_rf (dir);
}

/* ---- crash safety ----------------------------------------------------------- */

/* In the child: report the media time in the file every 100 ms of media. */
static void
child_report (HzTrackRecorder *rec, gpointer data)
{
  guint64 *last = data;
  guint64 ms = hz_track_recorder_get_muxed_time (rec) / GST_MSECOND;

  if (ms >= *last + 100) {
    *last = ms;
    g_print ("muxed %" G_GUINT64_FORMAT "\n", ms);
    fflush (stdout);
  }
}

/* The child records a camera for up to 60 s into a session under @data_dir. */
static int
child_record (const char *data_dir)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HzRecording) rec = hz_recording_new (data_dir, "room-kill", "Crash course",
                                                 "dr-wang", &error);
  HzTrackRecorder *cam;
  guint64 last = 0;

  g_assert_no_error (error);
  cam = hz_recording_add_track (rec, "dr-wang", "camera", HZ_REC_CODEC_VP8, 96, 90000, &error);
  g_assert_no_error (error);
  test_feed_rtp (SRC_VP8 ("ball", 320, 240, 900, "rtp0"), &cam, 1, child_report, &last);
  return 1; /* the parent kills us long before */
}

/* The server is killed mid-recording: the file it leaves plays as it is,
 * and start-up recovery gives it a duration (close to what was written), a
 * seek index and a manifest. */
static void
test_sigkill_and_recover (void)
{
  g_autofree char *data_dir = make_tmpdir ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) child = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GPtrArray) unfinished = NULL;
  g_autoptr(HzRecordingInfo) info = NULL;
  g_autoptr(GstDiscovererInfo) raw = NULL;
  g_autoptr(GstDiscovererInfo) repaired = NULL;
  g_autofree char *track_path = NULL;
  g_autofree char *caps = NULL;
  HzRecordingTrackInfo *track;
  guint64 muxed_ms = 0;

  child = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, self_exe, "--child-record",
                            data_dir, NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (child));
  while (muxed_ms < 2000) {
    g_autofree char *line = g_data_input_stream_read_line (out, NULL, NULL, &error);
    g_assert_no_error (error);
    g_assert_nonnull (line); /* the child died on its own */
    if (g_str_has_prefix (line, "muxed "))
      muxed_ms = g_ascii_strtoull (line + 6, NULL, 10);
  }
  g_subprocess_send_signal (child, SIGKILL);
  g_assert_true (g_subprocess_wait (child, NULL, &error));
  g_assert_true (g_subprocess_get_if_signaled (child));

  unfinished = hz_recording_find_unfinished (data_dir);
  g_assert_cmpuint (unfinished->len, ==, 1);

  /* as the crash left it: a player can open it and finds the camera */
  track_path = g_build_filename (unfinished->pdata[0], "dr-wang-camera.webm", NULL);
  raw = test_discover (track_path);
  caps = test_stream_caps (raw, TRUE);
  g_assert_cmpstr (caps, ==, "video/x-vp8");

  info = hz_recording_recover (unfinished->pdata[0], &error);
  g_assert_no_error (error);
  g_assert_true (info->recovered);
  g_assert_cmpstr (info->room_id, ==, "room-kill");
  g_assert_cmpstr (info->title, ==, "Crash course");
  g_assert_cmpuint (info->tracks->len, ==, 1);
  track = g_ptr_array_index (info->tracks, 0);
  g_assert_cmpstr (track->file, ==, "dr-wang-camera.webm");
  g_assert_cmpstr (track->kind, ==, "video");
  g_test_message ("killed at %" G_GUINT64_FORMAT " ms muxed; raw duration %" G_GINT64_FORMAT
                  " ms, recovered %" G_GINT64_FORMAT " ms", muxed_ms, test_duration_ms (raw),
                  track->duration_ms);
  g_assert_cmpint (track->duration_ms, >=, (gint64) muxed_ms - 1000);
  g_assert_cmpint (track->duration_ms, <=, (gint64) muxed_ms + 1000);

  repaired = test_discover (track_path);
  g_assert_cmpint (test_duration_ms (repaired), ==, track->duration_ms);
  g_assert_true (gst_discoverer_info_get_seekable (repaired));
  /* recovered once: the next start-up finds nothing to do */
  g_clear_pointer (&unfinished, g_ptr_array_unref);
  unfinished = hz_recording_find_unfinished (data_dir);
  g_assert_cmpuint (unfinished->len, ==, 0);
  rm_rf (data_dir);
}

/* ---- failures ---------------------------------------------------------------- */

typedef struct {
  GMainLoop *loop;
  GError *error;
  guint calls;
} ErrorWatch;

static void
on_error (HzTrackRecorder *rec, const GError *error, gpointer data)
{
  ErrorWatch *w = data;

  w->calls++;
  g_clear_error (&w->error);
  w->error = g_error_copy (error);
  g_main_loop_quit (w->loop);
}

static gboolean
give_up (gpointer data)
{
  g_assert_not_reached ();
  return G_SOURCE_REMOVE;
}

/* The disk fills up (writes to /dev/full fail with ENOSPC): the recorder
 * tells its owner once, in the owner's context, with a clear error, and the
 * forwarding thread that keeps pushing is neither blocked nor harmed. */
static void
test_disk_full (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HzTrackRecorder) rec = NULL;
  g_autoptr(GMainContext) ctx = g_main_context_new ();
  g_autoptr(GSource) timeout = g_timeout_source_new_seconds (20);
  ErrorWatch w = {0};
  HzTrackRecorderStats before, after;
  guint8 packet[200] = {0x80, 96}; /* V=2, PT=96, the rest zero */

  g_main_context_push_thread_default (ctx);
  w.loop = g_main_loop_new (ctx, FALSE);
  rec = hz_track_recorder_new ("/dev/full", HZ_REC_CODEC_VP8, 96, 90000, &error);
  g_assert_no_error (error);
  hz_track_recorder_set_on_error (rec, on_error, &w);
  test_feed_rtp (SRC_VP8 ("ball", 320, 240, 15, "rtp0"), &rec, 1, NULL, NULL);
  g_source_set_callback (timeout, give_up, NULL, NULL);
  g_source_attach (timeout, ctx);
  g_main_loop_run (w.loop);
  g_source_destroy (timeout);

  g_assert_error (w.error, HZ_RECORDING_ERROR, HZ_RECORDING_ERROR_WRITE);
  g_assert_nonnull (strstr (w.error->message, "/dev/full"));
  /* after the failure, packets are dropped and counted, not queued */
  hz_track_recorder_get_stats (rec, &before);
  for (guint i = 0; i < 100; i++)
    hz_track_recorder_push_rtp (rec, packet, sizeof packet, g_get_monotonic_time ());
  hz_track_recorder_get_stats (rec, &after);
  g_assert_cmpuint (after.packets_dropped, ==, before.packets_dropped + 100);
  g_assert_cmpuint (after.packets_in, ==, before.packets_in);
  g_assert_false (hz_track_recorder_stop (rec, &error));
  g_assert_error (error, HZ_RECORDING_ERROR, HZ_RECORDING_ERROR_WRITE);
  /* told exactly once */
  while (g_main_context_iteration (ctx, FALSE))
    ;
  g_assert_cmpuint (w.calls, ==, 1);
  g_main_context_pop_thread_default (ctx);
  g_clear_error (&w.error);
  g_main_loop_unref (w.loop);
}

/* A directory that cannot be created or written (here: its parent is a
 * regular file, which stops root too) is refused at once with a clear error. */
static void
test_unwritable_dir (void)
{
  g_autofree char *dir = make_tmpdir ();
  g_autofree char *file = g_build_filename (dir, "not-a-dir", NULL);
  g_autofree char *track = g_build_filename (file, "cam.webm", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(HzTrackRecorder) rec = NULL;
  g_autoptr(HzRecording) session = NULL;

  g_assert_true (g_file_set_contents (file, "x", 1, NULL));
  rec = hz_track_recorder_new (track, HZ_REC_CODEC_VP8, 96, 90000, &error);
  g_assert_null (rec);
  g_assert_error (error, HZ_RECORDING_ERROR, HZ_RECORDING_ERROR_WRITE);
  g_assert_nonnull (strstr (error->message, track));
  g_assert_nonnull (strstr (error->message, g_strerror (ENOTDIR)));
  g_clear_error (&error);

  session = hz_recording_new (file, "room-1", "t", NULL, &error);
  g_assert_null (session);
  g_assert_error (error, HZ_RECORDING_ERROR, HZ_RECORDING_ERROR_WRITE);
  rm_rf (dir);
}

/* ---- layout, timeline, manifest ----------------------------------------------- */

static void
test_dir_for (void)
{
  /* 2025-02-19T21:20:05+08:00 is 13:20:05 UTC */
  g_autoptr(GTimeZone) tz = g_time_zone_new_identifier ("+08:00");
  g_autoptr(GDateTime) t = g_date_time_new (tz, 2025, 2, 19, 21, 20, 5);
  g_autofree char *dir = hz_recording_dir_for ("/srv/hz", "room-7", t);
  g_autofree char *hostile = hz_recording_dir_for ("/srv/hz", "../../etc", t);

  g_assert_cmpstr (dir, ==, "/srv/hz/recordings/2025/02/19/room-7-132005");
  /* a room id cannot climb out of the library */
  g_assert_cmpstr (hostile, ==, "/srv/hz/recordings/2025/02/19/______etc-132005");
}

static void
test_timeline (void)
{
  g_autofree char *dir = make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "timeline.jsonl", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(HzRecTimeline) tl = NULL;
  g_autoptr(JsonObject) chat = json_object_new ();
  g_autoptr(GPtrArray) events = NULL;
  /* 2025-02-19T13:20:00.250Z on the wall clock, 5 s on the monotonic one */
  const gint64 wall = G_GINT64_CONSTANT (1739971200250000);
  const gint64 mono = 5 * G_USEC_PER_SEC;
  FILE *f;

  tl = hz_rec_timeline_new (path, wall, mono, &error);
  g_assert_no_error (error);
  g_assert_true (hz_rec_timeline_log (tl, mono, "recording_start", NULL, &error));
  json_object_set_string_member (chat, "participant", "stu-3");
  json_object_set_string_member (chat, "text", "可以再讲一遍吗?");
  json_object_set_string_member (chat, "event", "forged"); /* reserved: ignored */
  g_assert_true (hz_rec_timeline_log (tl, mono + 61500000, "chat", chat, &error));
  g_assert_no_error (error);

  /* on disk before any sync or close: a crash now loses nothing */
  events = hz_rec_timeline_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (events->len, ==, 2);
  g_assert_cmpstr (json_object_get_string_member (events->pdata[0], "event"), ==,
                   "recording_start");
  g_assert_cmpint (json_object_get_int_member (events->pdata[0], "media_ms"), ==, 0);
  g_assert_cmpstr (json_object_get_string_member (events->pdata[0], "time"), ==,
                   "2025-02-19T13:20:00.250Z");
  g_assert_cmpstr (json_object_get_string_member (events->pdata[1], "event"), ==, "chat");
  g_assert_cmpint (json_object_get_int_member (events->pdata[1], "media_ms"), ==, 61500);
  g_assert_cmpstr (json_object_get_string_member (events->pdata[1], "time"), ==,
                   "2025-02-19T13:21:01.750Z");
  g_assert_cmpstr (json_object_get_string_member (events->pdata[1], "text"), ==,
                   "可以再讲一遍吗?");
  g_assert_true (hz_rec_timeline_sync (tl, &error));

  /* a line torn by a crash is skipped, the rest still reads */
  f = fopen (path, "a");
  fputs ("{\"event\":\"jo", f);
  fclose (f);
  g_clear_pointer (&events, g_ptr_array_unref);
  events = hz_rec_timeline_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (events->len, ==, 2);
  rm_rf (dir);
}

/* A whole session: per-track files named by participant and track, the
 * timeline, and a manifest whose sizes and checksums match the files. */
static void
test_session_manifest (void)
{
  g_autofree char *data_dir = make_tmpdir ();
  g_autoptr(GError) error = NULL;
  g_autoptr(HzRecording) rec = NULL;
  g_autoptr(HzRecordingInfo) info = NULL;
  g_autoptr(HzRecordingInfo) loaded = NULL;
  g_autoptr(GPtrArray) events = NULL;
  g_autofree char *timeline = NULL;
  HzTrackRecorder *recs[2];

  rec = hz_recording_new (data_dir, "room-42", "Chest CT reading", "dr-wang", &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (hz_recording_get_dir (rec), data_dir));
  recs[0] = hz_recording_add_track (rec, "dr-wang", "camera", HZ_REC_CODEC_VP8, 96, 90000, &error);
  g_assert_no_error (error);
  recs[1] = hz_recording_add_track (rec, "dr-wang", "microphone", HZ_REC_CODEC_OPUS, 111, 48000,
                                    &error);
  g_assert_no_error (error);
  g_assert_true (hz_rec_timeline_log_simple (hz_recording_get_timeline (rec), "join", &error,
                                             "participant", "stu-1", "institution", "青山乡卫生院",
                                             NULL));
  test_feed_rtp (SRC_VP8 ("ball", 320, 240, 45, "rtp0") SRC_OPUS (440, 150, "rtp1"), recs, 2,
                 NULL, NULL);
  info = hz_recording_stop (rec, &error);
  g_assert_no_error (error);
  g_assert_nonnull (info);

  g_assert_cmpuint (info->tracks->len, ==, 2);
  for (guint i = 0; i < 2; i++) {
    HzRecordingTrackInfo *t = g_ptr_array_index (info->tracks, i);
    g_autofree char *path = g_build_filename (info->dir, t->file, NULL);
    g_autofree char *contents = NULL;
    g_autofree char *sum = NULL;
    gsize len = 0;

    g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
    sum = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guint8 *) contents, len);
    g_assert_cmpstr (t->sha256, ==, sum);
    g_assert_cmpuint (t->size, ==, len);
    g_assert_cmpstr (t->participant_id, ==, "dr-wang");
    g_assert_cmpint (t->duration_ms, >=, SRC_SECONDS * 1000 - 300);
    g_assert_cmpint (t->duration_ms, <=, SRC_SECONDS * 1000 + 300);
    g_assert_cmpint (t->offset_ms, >=, 0);
  }
  g_assert_cmpstr (((HzRecordingTrackInfo *) info->tracks->pdata[0])->file, ==,
                   "dr-wang-camera.webm");
  g_assert_cmpint (((HzRecordingTrackInfo *) info->tracks->pdata[0])->codec, ==, HZ_REC_CODEC_VP8);
  g_assert_cmpstr (((HzRecordingTrackInfo *) info->tracks->pdata[1])->kind, ==, "audio");

  /* what the catalog will read back */
  loaded = hz_recording_info_load (info->dir, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (loaded->room_id, ==, "room-42");
  g_assert_cmpstr (loaded->title, ==, "Chest CT reading");
  g_assert_cmpstr (loaded->presenter_id, ==, "dr-wang");
  g_assert_cmpint (loaded->started_at_us, ==, info->started_at_us);
  g_assert_cmpint (loaded->duration_ms, ==, info->duration_ms);
  g_assert_cmpuint (loaded->size, ==, info->size);
  g_assert_false (loaded->recovered);
  g_assert_cmpuint (loaded->tracks->len, ==, 2);
  g_assert_cmpstr (((HzRecordingTrackInfo *) loaded->tracks->pdata[1])->sha256, ==,
                   ((HzRecordingTrackInfo *) info->tracks->pdata[1])->sha256);

  timeline = g_build_filename (info->dir, HZ_RECORDING_TIMELINE, NULL);
  events = hz_rec_timeline_load (timeline, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (events->len, ==, 5); /* start, 2 × track_start, join, stop */
  g_assert_cmpstr (json_object_get_string_member (events->pdata[3], "institution"), ==,
                   "青山乡卫生院");
  g_assert_cmpstr (json_object_get_string_member (events->pdata[4], "event"), ==,
                   "recording_stop");
  /* a finished session is not "unfinished" */
  {
    g_autoptr(GPtrArray) unfinished = hz_recording_find_unfinished (data_dir);
    g_assert_cmpuint (unfinished->len, ==, 0);
  }
  g_clear_pointer (&rec, hz_recording_free);
  rm_rf (data_dir);
}

/* A manifest that points outside its directory is refused. */
static void
test_manifest_hostile (void)
{
  g_autofree char *dir = make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, HZ_RECORDING_MANIFEST, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(HzRecordingInfo) info = NULL;
  const char *bad[] = {
    "{\"tracks\":[{\"file\":\"../../etc/passwd\",\"kind\":\"video\",\"codec\":\"vp8\"}]}",
    "{\"tracks\":[{\"file\":\"..\",\"kind\":\"video\",\"codec\":\"vp8\"}]}",
    "{\"tracks\":[{\"file\":\"a.webm\",\"kind\":\"video\",\"codec\":\"theora\"}]}",
    "{\"tracks\":{}}",
    "[1,2",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_assert_true (g_file_set_contents (path, bad[i], -1, NULL));
    info = hz_recording_info_load (dir, &error);
    g_assert_null (info);
    g_assert_nonnull (error);
    g_clear_error (&error);
  }
  rm_rf (dir);
}

int
main (int argc, char **argv)
{
  self_exe = argv[0];
  gst_init (NULL, NULL);
  if (argc == 3 && g_strcmp0 (argv[1], "--child-record") == 0)
    return child_record (argv[2]);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/recording/track/roundtrip", test_track_roundtrip);
  g_test_add_func ("/recording/track/sigkill-and-recover", test_sigkill_and_recover);
  g_test_add_func ("/recording/track/disk-full", test_disk_full);
  g_test_add_func ("/recording/track/unwritable-dir", test_unwritable_dir);
  g_test_add_func ("/recording/layout/dir-for", test_dir_for);
  g_test_add_func ("/recording/timeline", test_timeline);
  g_test_add_func ("/recording/session/manifest", test_session_manifest);
  g_test_add_func ("/recording/session/manifest-hostile", test_manifest_hostile);
  return g_test_run ();
}
