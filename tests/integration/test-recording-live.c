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

typedef struct {
  GBytes *data;
  gsize pos;
  guint32 clock_rate;
  guint32 first_ts;
  gboolean started;
} ClipStream;

/* RFC 4571 framing: 2-byte big-endian length, then the packet. */
static gboolean
clip_next (ClipStream *s, const guint8 **pkt, gsize *len, gint64 *offset_us)
{
  gsize size;
  const guint8 *d = g_bytes_get_data (s->data, &size);
  guint32 ts;

  if (s->pos + 2 > size)
    return FALSE;
  *len = (d[s->pos] << 8) | d[s->pos + 1];
  if (s->pos + 2 + *len > size || *len < 12)
    return FALSE;
  *pkt = d + s->pos + 2;
  ts = ((guint32) (*pkt)[4] << 24) | ((guint32) (*pkt)[5] << 16) | ((guint32) (*pkt)[6] << 8) | (*pkt)[7];
  if (!s->started) {
    s->first_ts = ts;
    s->started = TRUE;
  }
  *offset_us = (gint64) (guint32) (ts - s->first_ts) * G_USEC_PER_SEC / s->clock_rate;
  return TRUE;
}

static void
send_clip (HzTestClient *c, const char *dir, guint32 audio_ssrc, guint32 video_ssrc)
{
  g_autofree char *vpath = g_build_filename (dir, "clip-video.rtp", NULL);
  g_autofree char *apath = g_build_filename (dir, "clip-audio.rtp", NULL);
  g_autoptr(GMappedFile) vf = g_mapped_file_new (vpath, FALSE, NULL);
  g_autoptr(GMappedFile) af = g_mapped_file_new (apath, FALSE, NULL);
  ClipStream s[2] = { { g_mapped_file_get_bytes (af), 0, 48000 }, { g_mapped_file_get_bytes (vf), 0, 90000 } };
  guint32 ssrc[2] = { audio_ssrc, video_ssrc };
  gint64 start = g_get_monotonic_time ();
  guint8 buf[1500 + 160];
  guint sent = 0;

  g_assert_nonnull (vf);
  g_assert_nonnull (af);
  for (;;) {
    gboolean any = FALSE;

    for (guint k = 0; k < 2; k++) {
      const guint8 *pkt;
      gsize len;
      gint64 off;

      while (clip_next (&s[k], &pkt, &len, &off)) {
        any = TRUE;
        if (start + off > g_get_monotonic_time ())
          break; /* not due yet */
        memcpy (buf, pkt, len);
        buf[8] = ssrc[k] >> 24;
        buf[9] = ssrc[k] >> 16;
        buf[10] = ssrc[k] >> 8;
        buf[11] = ssrc[k];
        hz_peer_send_rtp (hz_test_client_get_publisher (c), buf, len, sizeof buf);
        s[k].pos += 2 + len;
        sent++;
      }
    }
    if (!any)
      break;
    hz_test_client_pump (c, 2);
  }
  g_test_message ("sent %u clip packets", sent);
  g_bytes_unref (s[0].data);
  g_bytes_unref (s[1].data);
}

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

  send_clip (spec, clip_dir, 0x7001, 0x7002);

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

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/integration/recording/live-consult", test_record_consult);
  return g_test_run ();
}
