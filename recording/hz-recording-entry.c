/* hz-recording-entry: one entry of the recordings library as the API
 * shows it: the path of a track or file inside its directory (checked: no
 * traversal) and its JSON. The catalog (hz-recording-catalog.c) loads and
 * stores entries. */
#include "hz-recording-catalog.h"

#include <string.h>

char *
hz_recording_entry_media_path (const HzRecordingEntry *entry, gint track_idx, GError **error)
{
  const char *file = NULL;

  g_return_val_if_fail (entry != NULL, NULL);
  if (entry->state == HZ_RECORDING_STATE_EXPIRED) {
    g_set_error (error, HZ_ROOM_STORE_ERROR, HZ_ROOM_STORE_ERROR_NOT_FOUND,
                 "recording %s expired: its files were removed", entry->id);
    return NULL;
  }
  if (track_idx < 0) {
    file = entry->composed_file;
  } else {
    for (guint i = 0; entry->tracks != NULL && i < entry->tracks->len; i++) {
      HzRecordingEntryTrack *t = g_ptr_array_index (entry->tracks, i);
      if (t->idx == (guint) track_idx)
        file = t->file;
    }
  }
  /* names come from our own manifest; refuse anything that could leave dir */
  if (file == NULL || file[0] == '\0' || file[0] == '.' || strchr (file, '/') != NULL) {
    g_set_error (error, HZ_ROOM_STORE_ERROR, HZ_ROOM_STORE_ERROR_NOT_FOUND,
                 track_idx < 0 ? "recording %s has no composed file yet" : "recording %s has no such track",
                 entry->id);
    return NULL;
  }
  return g_build_filename (entry->dir, file, NULL);
}

const HzRecordingEntryFile *
hz_recording_entry_find_file (const HzRecordingEntry *entry, const char *file)
{
  g_return_val_if_fail (entry != NULL, NULL);
  for (guint i = 0; entry->files != NULL && file != NULL && i < entry->files->len; i++) {
    const HzRecordingEntryFile *f = g_ptr_array_index (entry->files, i);
    if (g_strcmp0 (f->file, file) == 0)
      return f;
  }
  return NULL;
}

static void
hz_json_string_or_null (JsonBuilder *b, const char *name, const char *value)
{
  json_builder_set_member_name (b, name);
  if (value != NULL)
    json_builder_add_string_value (b, value);
  else
    json_builder_add_null_value (b);
}

static void
hz_recording_entry_tracks_to_json (const HzRecordingEntry *e, JsonBuilder *b)
{
  json_builder_set_member_name (b, "tracks");
  json_builder_begin_array (b);
  for (guint i = 0; e->tracks != NULL && i < e->tracks->len; i++) {
    HzRecordingEntryTrack *t = g_ptr_array_index (e->tracks, i);
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "index");
    json_builder_add_int_value (b, t->idx);
    hz_json_string_or_null (b, "file", t->file);
    hz_json_string_or_null (b, "participant_id", t->participant_id);
    hz_json_string_or_null (b, "name", t->name);
    hz_json_string_or_null (b, "kind", t->kind);
    hz_json_string_or_null (b, "codec", t->codec);
    json_builder_set_member_name (b, "offset_ms");
    json_builder_add_int_value (b, t->offset_ms);
    json_builder_set_member_name (b, "duration_ms");
    json_builder_add_int_value (b, t->duration_ms);
    json_builder_set_member_name (b, "size");
    json_builder_add_int_value (b, (gint64) t->size);
    hz_json_string_or_null (b, "sha256", t->sha256);
    json_builder_end_object (b);
  }
  json_builder_end_array (b);
}

static void
hz_recording_entry_files_to_json (const HzRecordingEntry *e, JsonBuilder *b)
{
  json_builder_set_member_name (b, "files");
  json_builder_begin_array (b);
  for (guint i = 0; e->files != NULL && i < e->files->len; i++) {
    const HzRecordingEntryFile *f = g_ptr_array_index (e->files, i);
    json_builder_begin_object (b);
    hz_json_string_or_null (b, "file", f->file);
    json_builder_set_member_name (b, "size");
    json_builder_add_int_value (b, (gint64) f->size);
    hz_json_string_or_null (b, "location", f->location);
    hz_json_string_or_null (b, "upload", f->upload);
    json_builder_set_member_name (b, "attempts");
    json_builder_add_int_value (b, f->attempts);
    hz_json_string_or_null (b, "error", f->error);
    json_builder_end_object (b);
  }
  json_builder_end_array (b);
}

JsonNode *
hz_recording_entry_to_json (const HzRecordingEntry *e, gboolean detail)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autofree char *started = hz_db_time_to_text (e->started_at);

  g_return_val_if_fail (e != NULL, NULL);
  json_builder_begin_object (b);
  hz_json_string_or_null (b, "id", e->id);
  hz_json_string_or_null (b, "room_id", e->room_id);
  hz_json_string_or_null (b, "room_kind", e->room_kind);
  hz_json_string_or_null (b, "title", e->title);
  hz_json_string_or_null (b, "course", e->course);
  hz_json_string_or_null (b, "presenter", e->presenter);
  hz_json_string_or_null (b, "institution", e->institution);
  hz_json_string_or_null (b, "state", hz_recording_state_to_string (e->state));
  hz_json_string_or_null (b, "started_at", started);
  json_builder_set_member_name (b, "duration_ms");
  json_builder_add_int_value (b, e->duration_ms);
  json_builder_set_member_name (b, "size");
  json_builder_add_int_value (b, (gint64) e->size);
  json_builder_set_member_name (b, "recovered");
  json_builder_add_boolean_value (b, e->recovered);
  json_builder_set_member_name (b, "compose_progress");
  json_builder_add_double_value (b, e->compose_progress);
  json_builder_set_member_name (b, "composed");
  if (e->composed_file != NULL && e->state != HZ_RECORDING_STATE_EXPIRED) {
    json_builder_begin_object (b);
    hz_json_string_or_null (b, "file", e->composed_file);
    json_builder_set_member_name (b, "size");
    json_builder_add_int_value (b, (gint64) e->composed_size);
    hz_json_string_or_null (b, "sha256", e->composed_sha256);
    json_builder_end_object (b);
  } else {
    json_builder_add_null_value (b);
  }
  hz_json_string_or_null (b, "error", e->error);
  hz_json_string_or_null (b, "upload", e->upload != NULL ? e->upload : "none");
  if (detail) {
    hz_recording_entry_tracks_to_json (e, b);
    hz_recording_entry_files_to_json (e, b);
  }
  json_builder_end_object (b);
  return json_builder_get_root (b);
}
