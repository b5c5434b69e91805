/* hz-recording: one recording session (directory, tracks, timeline). */
#include "hz-recording.h"

#include <errno.h>
#include <glib/gstdio.h>

typedef struct {
  HzTrackRecorder *recorder;
  HzRecordingTrackInfo *info;  /* file, participant, name, kind, codec */
} Track;

struct _HzRecording {
  char *dir;
  char *room_id;
  char *title;
  char *presenter_id;
  gint64 start_wall_us;
  gint64 start_mono_us;
  HzRecTimeline *timeline;
  GPtrArray *tracks;           /* Track* */
  gboolean stopped;
};

static void
track_free (Track *t)
{
  hz_track_recorder_free (t->recorder);
  hz_recording_track_info_free (t->info);
  g_free (t);
}

HzRecording *
hz_recording_new (const char *data_dir, const char *room_id, const char *title,
                  const char *presenter_id, GError **error)
{
  g_autoptr(HzRecording) self = g_new0 (HzRecording, 1);
  g_autoptr(GDateTime) now = NULL;
  g_autoptr(JsonObject) fields = json_object_new ();
  g_autofree char *timeline = NULL;

  g_return_val_if_fail (data_dir != NULL && room_id != NULL, NULL);

  self->start_wall_us = g_get_real_time ();
  self->start_mono_us = g_get_monotonic_time ();
  self->tracks = g_ptr_array_new_with_free_func ((GDestroyNotify) track_free);
  self->room_id = g_strdup (room_id);
  self->title = g_strdup (title);
  self->presenter_id = g_strdup (presenter_id);
  now = g_date_time_new_from_unix_utc (self->start_wall_us / G_USEC_PER_SEC);
  self->dir = hz_recording_dir_for (data_dir, room_id, now);
  if (g_file_test (self->dir, G_FILE_TEST_EXISTS)) {
    /* Two sessions of one room in the same second: keep both. */
    char *unique = g_strdup_printf ("%s-%" G_GINT64_FORMAT, self->dir,
                                    (self->start_wall_us / 1000) % 1000);
    g_free (self->dir);
    self->dir = unique;
  }
  if (g_mkdir_with_parents (self->dir, 0750) != 0) {
    int errsv = errno;
    g_set_error (error, HZ_RECORDING_ERROR, HZ_RECORDING_ERROR_WRITE,
                 "cannot create recording directory %s: %s", self->dir, g_strerror (errsv));
    return NULL;
  }
  timeline = g_build_filename (self->dir, HZ_RECORDING_TIMELINE, NULL);
  self->timeline = hz_rec_timeline_new (timeline, self->start_wall_us, self->start_mono_us,
                                        error);
  if (self->timeline == NULL)
    return NULL;
  json_object_set_string_member (fields, "room", room_id);
  if (title != NULL)
    json_object_set_string_member (fields, "title", title);
  if (presenter_id != NULL)
    json_object_set_string_member (fields, "presenter", presenter_id);
  json_object_set_int_member (fields, "start_us", self->start_wall_us);
  if (!hz_rec_timeline_log (self->timeline, self->start_mono_us, "recording_start", fields,
                            error))
    return NULL;
  return g_steal_pointer (&self);
}

static char *
track_file_name (HzRecording *self, const char *participant_id, const char *name,
                 HzRecCodec codec)
{
  g_autoptr(GString) base = g_string_new (NULL);

  g_string_printf (base, "%s-%s", participant_id, name);
  for (gsize i = 0; i < base->len; i++) {
    if (!g_ascii_isalnum (base->str[i]) && base->str[i] != '-' && base->str[i] != '_')
      base->str[i] = '_';
  }
  for (guint n = 1;; n++) {
    g_autofree char *file = n == 1 ? g_strdup_printf ("%s.%s", base->str,
                                                       hz_rec_codec_extension (codec))
                                   : g_strdup_printf ("%s-%u.%s", base->str, n,
                                                      hz_rec_codec_extension (codec));
    g_autofree char *path = g_build_filename (self->dir, file, NULL);
    if (!g_file_test (path, G_FILE_TEST_EXISTS))
      return g_steal_pointer (&file);
  }
}

HzTrackRecorder *
hz_recording_add_track (HzRecording *self, const char *participant_id, const char *name,
                        HzRecCodec codec, guint pt, guint clock_rate, GError **error)
{
  g_autofree char *file = NULL;
  g_autofree char *path = NULL;
  g_autoptr(JsonObject) fields = json_object_new ();
  Track *t;
  HzTrackRecorder *rec;

  g_return_val_if_fail (self != NULL && participant_id != NULL && name != NULL, NULL);
  if (self->stopped) {
    g_set_error_literal (error, HZ_RECORDING_ERROR, HZ_RECORDING_ERROR_STATE,
                         "the recording is stopped");
    return NULL;
  }
  file = track_file_name (self, participant_id, name, codec);
  path = g_build_filename (self->dir, file, NULL);
  rec = hz_track_recorder_new (path, codec, pt, clock_rate, error);
  if (rec == NULL)
    return NULL;
  t = g_new0 (Track, 1);
  t->recorder = rec;
  t->info = g_new0 (HzRecordingTrackInfo, 1);
  t->info->file = g_strdup (file);
  t->info->participant_id = g_strdup (participant_id);
  t->info->name = g_strdup (name);
  t->info->kind = g_strdup (hz_rec_codec_kind (codec));
  t->info->codec = codec;
  g_ptr_array_add (self->tracks, t);

  json_object_set_string_member (fields, "file", file);
  json_object_set_string_member (fields, "participant", participant_id);
  json_object_set_string_member (fields, "name", name);
  json_object_set_string_member (fields, "kind", hz_rec_codec_kind (codec));
  json_object_set_string_member (fields, "codec", hz_rec_codec_to_string (codec));
  if (!hz_rec_timeline_log (self->timeline, -1, "track_start", fields, error)) {
    g_ptr_array_remove (self->tracks, t);
    return NULL;
  }
  return rec;
}

HzRecTimeline *
hz_recording_get_timeline (HzRecording *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->timeline;
}

const char *
hz_recording_get_dir (HzRecording *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->dir;
}

HzRecordingInfo *
hz_recording_stop (HzRecording *self, GError **error)
{
  g_autoptr(HzRecordingInfo) info = g_new0 (HzRecordingInfo, 1);
  g_autoptr(GError) timeline_error = NULL;

  g_return_val_if_fail (self != NULL, NULL);
  if (self->stopped) {
    g_set_error_literal (error, HZ_RECORDING_ERROR, HZ_RECORDING_ERROR_STATE,
                         "the recording is already stopped");
    return NULL;
  }
  self->stopped = TRUE;
  info->dir = g_strdup (self->dir);
  info->room_id = g_strdup (self->room_id);
  info->title = g_strdup (self->title);
  info->presenter_id = g_strdup (self->presenter_id);
  info->started_at_us = self->start_wall_us;
  info->tracks = g_ptr_array_new_with_free_func ((GDestroyNotify) hz_recording_track_info_free);
  for (guint i = 0; i < self->tracks->len; i++) {
    Track *t = g_ptr_array_index (self->tracks, i);
    g_autoptr(GError) local = NULL;
    gint64 media_start;

    /* A failed track keeps what it wrote; the failure was reported by on_error. */
    if (!hz_track_recorder_stop (t->recorder, &local))
      g_message ("%s", local->message);
    media_start = hz_track_recorder_get_media_start_us (t->recorder);
    if (media_start == 0) {
      g_autofree char *path = g_build_filename (self->dir, t->info->file, NULL);
      g_debug ("%s: no media, left out of the manifest", t->info->file);
      g_unlink (path);
      continue;
    }
    t->info->offset_ms = (media_start - self->start_mono_us) / 1000;
    g_ptr_array_add (info->tracks, g_steal_pointer (&t->info));
  }
  if (!hz_rec_timeline_log (self->timeline, -1, "recording_stop", NULL, &timeline_error) ||
      !hz_rec_timeline_sync (self->timeline, &timeline_error))
    g_warning ("%s", timeline_error->message);
  if (!hz_recording_info_measure (info, error) || !hz_recording_info_save (info, error))
    return NULL;
  return g_steal_pointer (&info);
}

void
hz_recording_free (HzRecording *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->tracks, g_ptr_array_unref);
  g_clear_pointer (&self->timeline, hz_rec_timeline_free);
  g_free (self->dir);
  g_free (self->room_id);
  g_free (self->title);
  g_free (self->presenter_id);
  g_free (self);
}
