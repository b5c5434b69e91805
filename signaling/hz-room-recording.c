/* hz-room-recording: taps, timeline and the stop of a room's recording. */
#include "hz-room-recording.h"

static gint n_stopping; /* atomic */

typedef struct {
  guint32 track_id;
  HzTrackRecorder *recorder; /* owned by the HzRecording session */
} Tap;

struct _HzRoomRecording {
  HzMediaRoom *media; /* borrowed: the live room outlives the taps */
  HzRecording *session;
  char *room_id;
  GArray *taps;       /* Tap */
  HzRoomRecordingFailed failed;
  gpointer failed_data;
  gboolean failing;
};

static void
tap_push (const guint8 *buf, gsize len, gint64 now_us, gpointer data)
{
  hz_track_recorder_push_rtp (data, buf, len, now_us);
}

HzRoomRecording *
hz_room_recording_start (HzMediaRoom *media, const char *data_dir, const char *room_id,
                         const char *title, const char *presenter_id, HzRoomRecordingFailed failed,
                         gpointer user_data, GError **error)
{
  HzRecording *session = hz_recording_new (data_dir, room_id, title, presenter_id, error);
  HzRoomRecording *rec;

  if (session == NULL)
    return NULL;
  rec = g_new0 (HzRoomRecording, 1);
  rec->media = media;
  rec->session = session;
  rec->room_id = g_strdup (room_id);
  rec->taps = g_array_new (FALSE, FALSE, sizeof (Tap));
  rec->failed = failed;
  rec->failed_data = user_data;
  g_message ("room %s: recording into %s", room_id, hz_recording_get_dir (session));
  return rec;
}

static void
recorder_failed (HzTrackRecorder *recorder, const GError *error, gpointer data)
{
  HzRoomRecording *rec = data;

  g_warning ("room %s: recording failed: %s", rec->room_id, error->message);
  if (rec->failing)
    return;
  rec->failing = TRUE; /* one report per recording; the room decides to stop */
  if (rec->failed != NULL)
    rec->failed (rec->room_id, error, rec->failed_data);
}

static HzRecCodec
rec_codec (HzCodec codec)
{
  switch (codec) {
  case HZ_CODEC_VP8:
    return HZ_REC_CODEC_VP8;
  case HZ_CODEC_H264:
    return HZ_REC_CODEC_H264;
  default:
    return HZ_REC_CODEC_OPUS;
  }
}

gboolean
hz_room_recording_add_track (HzRoomRecording *rec, guint32 track_id, const char *participant_id,
                             const char *name, HzCodec codec, guint pt, guint clock_rate,
                             GError **error)
{
  Tap tap = { track_id, NULL };

  tap.recorder = hz_recording_add_track (rec->session, participant_id, name, rec_codec (codec), pt,
                                         clock_rate, error);
  if (tap.recorder == NULL)
    return FALSE;
  hz_track_recorder_set_on_error (tap.recorder, recorder_failed, rec);
  g_array_append_val (rec->taps, tap);
  hz_media_room_set_tap (rec->media, track_id, tap_push, tap.recorder);
  hz_room_recording_log (rec, "track", "participant_id", participant_id, "name", name, NULL);
  return TRUE;
}

void
hz_room_recording_remove_track (HzRoomRecording *rec, guint32 track_id)
{
  for (guint i = 0; i < rec->taps->len; i++) {
    if (g_array_index (rec->taps, Tap, i).track_id == track_id) {
      hz_media_room_clear_tap_sync (rec->media, track_id);
      g_array_remove_index_fast (rec->taps, i);
      return;
    }
  }
}

void
hz_room_recording_log (HzRoomRecording *rec, const char *event, const char *first_key, ...)
{
  g_autoptr(JsonObject) fields = json_object_new ();
  g_autoptr(GError) error = NULL;
  va_list ap;

  va_start (ap, first_key);
  for (const char *key = first_key; key != NULL; key = va_arg (ap, const char *)) {
    const char *value = va_arg (ap, const char *);
    if (value != NULL)
      json_object_set_string_member (fields, key, value);
  }
  va_end (ap);
  if (!hz_rec_timeline_log (hz_recording_get_timeline (rec->session), -1, event, fields, &error))
    g_warning ("room %s: timeline event %s not written: %s", rec->room_id, event, error->message);
}

typedef struct {
  char *room_id;
  HzRecording *session;
  HzRoomRecordingDone done;
  gpointer user_data;
} StopJob;

static void
stop_job_free (gpointer data)
{
  StopJob *job = data;

  g_clear_pointer (&job->session, hz_recording_free);
  g_free (job->room_id);
  g_free (job);
}

static void
stop_in_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  StopJob *job = data;
  GError *error = NULL;
  HzRecordingInfo *info = hz_recording_stop (job->session, &error);

  if (info == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, info, (GDestroyNotify) hz_recording_info_free);
}

static void
stop_done (GObject *source, GAsyncResult *result, gpointer data)
{
  StopJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;
  HzRecordingInfo *info = g_task_propagate_pointer (G_TASK (result), &error);

  g_message ("room %s: recording stopped%s%s", job->room_id, error != NULL ? ": " : "",
             error != NULL ? error->message : "");
  if (job->done != NULL)
    job->done (job->room_id, info, error, job->user_data);
  else
    g_clear_pointer (&info, hz_recording_info_free);
  g_atomic_int_dec_and_test (&n_stopping);
}

guint
hz_room_recording_get_n_stopping (void)
{
  return (guint) g_atomic_int_get (&n_stopping);
}

void
hz_room_recording_stop (HzRoomRecording *rec, HzRoomRecordingDone done, gpointer user_data)
{
  g_autoptr(GTask) task = NULL;
  StopJob *job = g_new0 (StopJob, 1);

  /* No packet may reach a recorder once its pipeline is being finalized,
   * and no error report may reach @rec once it is gone. */
  for (guint i = 0; i < rec->taps->len; i++) {
    Tap *tap = &g_array_index (rec->taps, Tap, i);
    hz_media_room_clear_tap_sync (rec->media, tap->track_id);
    hz_track_recorder_set_on_error (tap->recorder, NULL, NULL);
  }
  hz_room_recording_log (rec, "recording_stopped", NULL, NULL);
  job->room_id = g_strdup (rec->room_id);
  job->session = g_steal_pointer (&rec->session);
  job->done = done;
  job->user_data = user_data;
  /* Finalizing the muxers waits for EOS: not on the main context. */
  g_atomic_int_inc (&n_stopping);
  task = g_task_new (NULL, NULL, stop_done, NULL);
  g_task_set_task_data (task, job, stop_job_free);
  g_task_run_in_thread (task, stop_in_thread);
  g_array_unref (rec->taps);
  g_free (rec->room_id);
  g_free (rec);
}
