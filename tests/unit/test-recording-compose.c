/* Tests of recording/hz-recording-compose: the composed teaching video made
 * from tracks recorded here from synthetic RTP (presenter camera, screen
 * share, two microphones). */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

#include "hz-recording-compose.h"
#include "hz-recording.h"
#include "test-recording-source.h"

#include <gst/video/video.h>

/* The screen is solid red, the camera solid blue: the picture shows which
 * is where. */
#define SOURCES                                                                               \
  SRC_VP8 ("blue", 320, 240, 45, "rtp0") SRC_VP8 ("red", 640, 360, 45, "rtp1")                \
  SRC_OPUS (440, 150, "rtp2") SRC_OPUS (660, 150, "rtp3")

typedef struct {
  GMainLoop *loop;
  GAsyncResult *result;
  GArray *progress;  /* double */
} ComposeWait;

static char *data_dir;
static HzRecordingInfo *recorded;

static void
rm_rf (const char *path)
{
  g_autoptr(GDir) d = g_dir_open (path, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL) {
    g_autofree char *child = g_build_filename (path, name, NULL);
    rm_rf (child);
  }
  g_remove (path);
}

/* Records the session once for all tests. */
static void
record_session (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HzRecording) rec = NULL;
  HzTrackRecorder *recs[4];

  data_dir = g_dir_make_tmp ("hz-compose-XXXXXX", &error);
  g_assert_no_error (error);
  rec = hz_recording_new (data_dir, "room-t", "Reading a chest CT", "dr-wang", &error);
  g_assert_no_error (error);
  recs[0] = hz_recording_add_track (rec, "dr-wang", "camera", HZ_REC_CODEC_VP8, 96, 90000, &error);
  g_assert_no_error (error);
  recs[1] = hz_recording_add_track (rec, "dr-wang", "screen", HZ_REC_CODEC_VP8, 96, 90000, &error);
  g_assert_no_error (error);
  recs[2] = hz_recording_add_track (rec, "dr-wang", "microphone", HZ_REC_CODEC_OPUS, 111, 48000,
                                    &error);
  g_assert_no_error (error);
  recs[3] = hz_recording_add_track (rec, "stu-1", "microphone", HZ_REC_CODEC_OPUS, 111, 48000,
                                    &error);
  g_assert_no_error (error);
  test_feed_rtp (SOURCES, recs, 4, NULL, NULL);
  recorded = hz_recording_stop (rec, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (recorded->tracks->len, ==, 4);
}

static void
on_progress (double fraction, gpointer data)
{
  ComposeWait *w = data;

  g_array_append_val (w->progress, fraction);
}

static void
on_done (GObject *source, GAsyncResult *res, gpointer data)
{
  ComposeWait *w = data;

  w->result = g_object_ref (res);
  g_main_loop_quit (w->loop);
}

static gboolean
give_up (gpointer data)
{
  g_assert_not_reached ();
  return G_SOURCE_REMOVE;
}

/* RGB of pixel (x, y) in the first frame at or after @at of @path. */
static void
pixel_at (const char *path, GstClockTime at, guint x, guint y, guint8 rgb[3])
{
  g_autoptr(GError) error = NULL;
  const char *desc = "filesrc name=src ! decodebin ! videoconvert ! video/x-raw,format=RGB "
                     "! appsink name=sink sync=false";
  g_autoptr(GstElement) pipeline = gst_parse_launch (desc, &error);
  g_autoptr(GstElement) src = NULL;
  g_autoptr(GstElement) sink = NULL;

  g_assert_no_error (error);
  src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  g_object_set (src, "location", path, NULL);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  for (;;) {
    g_autoptr(GstSample) sample = gst_app_sink_try_pull_sample (GST_APP_SINK (sink),
                                                                10 * GST_SECOND);
    GstBuffer *buf;
    GstVideoInfo vinfo;
    GstMapInfo map;

    g_assert_nonnull (sample);
    buf = gst_sample_get_buffer (sample);
    if (GST_BUFFER_PTS (buf) < at)
      continue;
    g_assert_true (gst_video_info_from_caps (&vinfo, gst_sample_get_caps (sample)));
    g_assert_cmpint (GST_VIDEO_INFO_WIDTH (&vinfo), ==, HZ_COMPOSE_WIDTH);
    g_assert_cmpint (GST_VIDEO_INFO_HEIGHT (&vinfo), ==, HZ_COMPOSE_HEIGHT);
    g_assert_true (gst_buffer_map (buf, &map, GST_MAP_READ));
    memcpy (rgb, map.data + y * GST_VIDEO_INFO_PLANE_STRIDE (&vinfo, 0) + x * 3, 3);
    gst_buffer_unmap (buf, &map);
    break;
  }
  gst_element_set_state (pipeline, GST_STATE_NULL);
}

static void
check_composed (const char *out, const char *video_caps, const char *audio_caps)
{
  g_autoptr(GstDiscovererInfo) info = test_discover (out);
  g_autofree char *v = test_stream_caps (info, TRUE);
  g_autofree char *a = test_stream_caps (info, FALSE);
  guint8 rgb[3];

  g_assert_cmpstr (v, ==, video_caps);
  g_assert_cmpstr (a, ==, audio_caps);
  g_test_message ("%s: %" G_GINT64_FORMAT " ms, session %" G_GINT64_FORMAT " ms", out,
                  test_duration_ms (info), recorded->duration_ms);
  g_assert_cmpint (ABS (test_duration_ms (info) - recorded->duration_ms), <=, 2000);
  g_assert_true (gst_discoverer_info_get_seekable (info));

  /* the screen share fills the picture, the camera sits in the lower right */
  pixel_at (out, 1500 * GST_MSECOND, 100, 100, rgb);
  g_assert_cmpuint (rgb[0], >, 180);
  g_assert_cmpuint (rgb[2], <, 80);
  pixel_at (out, 1500 * GST_MSECOND, HZ_COMPOSE_WIDTH - 16 - 160, HZ_COMPOSE_HEIGHT - 16 - 90, rgb);
  g_assert_cmpuint (rgb[0], <, 80);
  g_assert_cmpuint (rgb[2], >, 180);
}

/* In the background with progress: a WebM (VP8 + Opus) that plays and
 * seeks, as long as the session, with the per-track files still there. */
static void
test_compose_webm (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GMainContext) ctx = g_main_context_new ();
  g_autoptr(GSource) timeout = g_timeout_source_new_seconds (50);
  g_autofree char *out = g_build_filename (recorded->dir, "composed.webm", NULL);
  g_autofree char *part = g_strconcat (out, ".part", NULL);
  ComposeWait w = {0};

  g_main_context_push_thread_default (ctx);
  w.loop = g_main_loop_new (ctx, FALSE);
  w.progress = g_array_new (FALSE, FALSE, sizeof (double));
  g_source_set_callback (timeout, give_up, NULL, NULL);
  g_source_attach (timeout, ctx);
  hz_recording_compose_async (recorded->dir, out, NULL, on_progress, &w, on_done, &w);
  g_main_loop_run (w.loop);
  g_source_destroy (timeout);
  g_assert_true (hz_recording_compose_finish (w.result, &error));
  g_assert_no_error (error);
  /* progress arrives in our context, in order, and ends at 1 */
  while (g_main_context_iteration (ctx, FALSE))
    ;
  g_assert_cmpuint (w.progress->len, >=, 1);
  for (guint i = 1; i < w.progress->len; i++)
    g_assert_cmpfloat (g_array_index (w.progress, double, i), >=,
                       g_array_index (w.progress, double, i - 1));
  g_assert_cmpfloat (g_array_index (w.progress, double, w.progress->len - 1), ==, 1.0);
  g_assert_false (g_file_test (part, G_FILE_TEST_EXISTS));
  check_composed (out, "video/x-vp8", "audio/x-opus");
  for (guint i = 0; i < recorded->tracks->len; i++) {
    HzRecordingTrackInfo *t = g_ptr_array_index (recorded->tracks, i);
    g_autofree char *path = g_build_filename (recorded->dir, t->file, NULL);
    g_autofree char *sum = hz_recording_file_sha256 (path, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (sum, ==, t->sha256);
  }
  g_main_context_pop_thread_default (ctx);
  g_main_loop_unref (w.loop);
  g_array_unref (w.progress);
  g_object_unref (w.result);
}

/* The download format: MP4 with H.264 and AAC. */
static void
test_compose_mp4 (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *out = g_build_filename (recorded->dir, "composed.mp4", NULL);

  g_assert_true (hz_recording_compose (recorded->dir, out, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  check_composed (out, "video/x-h264", "audio/mpeg");
}

/* A directory without a manifest is refused, nothing is written. */
static void
test_compose_no_manifest (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *out = g_build_filename (data_dir, "x.webm", NULL);

  g_assert_false (hz_recording_compose (data_dir, out, NULL, NULL, NULL, &error));
  g_assert_nonnull (error);
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
}

int
main (int argc, char **argv)
{
  int ret;

  gst_init (NULL, NULL);
  g_test_init (&argc, &argv, NULL);
  record_session ();
  g_test_add_func ("/recording/compose/webm", test_compose_webm);
  g_test_add_func ("/recording/compose/mp4", test_compose_mp4);
  g_test_add_func ("/recording/compose/no-manifest", test_compose_no_manifest);
  ret = g_test_run ();
  hz_recording_info_free (recorded);
  rm_rf (data_dir);
  g_free (data_dir);
  return ret;
}
