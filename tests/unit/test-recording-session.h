/* A real recording session for the library tests: a presenter's VP8 camera
 * and Opus microphone, 3 s of synthetic RTP from test-recording-source.h
 * pushed through hz-recording as the media workers do. Shared by
 * test-recording-catalog.c and test-api-recordings.c. */
#pragma once

#include "hz-recording.h"
#include "test-recording-source.h"

/* With @stop the session is stopped and its HzRecordingInfo returned; without,
 * it is dropped as a crash would leave it (no manifest) and NULL is
 * returned, *dir_out getting its directory either way. */
static G_GNUC_UNUSED HzRecordingInfo *
test_make_recording (const char *data_dir, const char *room_id, const char *title,
                     gboolean stop, char **dir_out)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HzRecording) rec = hz_recording_new (data_dir, room_id, title, "dr-wang", &error);
  HzTrackRecorder *recs[2];
  HzRecordingInfo *info = NULL;

  g_assert_no_error (error);
  recs[0] = hz_recording_add_track (rec, "dr-wang", "camera", HZ_REC_CODEC_VP8, 96, 90000, &error);
  g_assert_no_error (error);
  recs[1] = hz_recording_add_track (rec, "dr-wang", "microphone", HZ_REC_CODEC_OPUS, 111, 48000, &error);
  g_assert_no_error (error);
  test_feed_rtp (SRC_VP8 ("ball", 320, 240, 45, "rtp0") SRC_OPUS (440, 150, "rtp1"), recs, 2,
                 NULL, NULL);
  if (dir_out != NULL)
    *dir_out = g_strdup (hz_recording_get_dir (rec));
  if (stop) {
    info = hz_recording_stop (rec, &error);
    g_assert_no_error (error);
    g_assert_nonnull (info);
  }
  return info;
}
