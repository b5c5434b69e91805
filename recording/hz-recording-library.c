/* hz-recording-library: manifest, layout, checksums, repair and recovery. */
#include "hz-recording.h"

#include <errno.h>
#include <string.h>

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <gst/gst.h>
#include <gst/pbutils/pbutils.h>
#include <json-glib/json-glib.h>

#define REPAIR_TIMEOUT (120 * GST_SECOND)
#define DISCOVER_TIMEOUT (15 * GST_SECOND)

void
hz_recording_track_info_free (HzRecordingTrackInfo *t)
{
  if (t == NULL)
    return;
  g_free (t->file);
  g_free (t->participant_id);
  g_free (t->name);
  g_free (t->kind);
  g_free (t->sha256);
  g_free (t);
}

void
hz_recording_info_free (HzRecordingInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->dir);
  g_free (info->room_id);
  g_free (info->title);
  g_free (info->presenter_id);
  g_free (info->composed_file);
  g_clear_pointer (&info->tracks, g_ptr_array_unref);
  g_free (info);
}

static char *
sanitize (const char *s)
{
  char *out = g_strdup (s != NULL && *s != '\0' ? s : "unnamed");

  for (char *p = out; *p != '\0'; p++) {
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_')
      *p = '_';
  }
  return out;
}

char *
hz_recording_dir_for (const char *data_dir, const char *room_id, GDateTime *started_at)
{
  g_autoptr(GDateTime) utc = NULL;
  g_autofree char *room = NULL;
  g_autofree char *day = NULL;
  g_autofree char *leaf = NULL;
  g_autofree char *hms = NULL;

  g_return_val_if_fail (data_dir != NULL && started_at != NULL, NULL);
  utc = g_date_time_to_utc (started_at);
  room = sanitize (room_id);
  day = g_date_time_format (utc, "%Y" G_DIR_SEPARATOR_S "%m" G_DIR_SEPARATOR_S "%d");
  hms = g_date_time_format (utc, "%H%M%S");
  leaf = g_strdup_printf ("%s-%s", room, hms);
  return g_build_filename (data_dir, "recordings", day, leaf, NULL);
}

char *
hz_recording_file_sha256 (const char *path, guint64 *size_out, GError **error)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFileInputStream) in = g_file_read (file, NULL, error);
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree guint8 *buf = g_malloc (64 * 1024);
  guint64 size = 0;

  if (in == NULL)
    return NULL;
  for (;;) {
    gssize n = g_input_stream_read (G_INPUT_STREAM (in), buf, 64 * 1024, NULL, error);
    if (n < 0)
      return NULL;
    if (n == 0)
      break;
    g_checksum_update (sum, buf, n);
    size += (guint64) n;
  }
  if (size_out != NULL)
    *size_out = size;
  return g_strdup (g_checksum_get_string (sum));
}

gboolean
hz_recording_probe_duration (const char *path, gint64 *duration_ms, GError **error)
{
  g_autoptr(GstDiscoverer) disc = NULL;
  g_autoptr(GstDiscovererInfo) info = NULL;
  g_autofree char *uri = NULL;
  GstClockTime d;

  if (!gst_init_check (NULL, NULL, error))
    return FALSE;
  disc = gst_discoverer_new (DISCOVER_TIMEOUT, error);
  if (disc == NULL)
    return FALSE;
  uri = gst_filename_to_uri (path, error);
  if (uri == NULL)
    return FALSE;
  info = gst_discoverer_discover_uri (disc, uri, NULL);
  if (info == NULL || gst_discoverer_info_get_result (info) != GST_DISCOVERER_OK) {
    g_set_error (error, HZ_RECORDING_ERROR, HZ_RECORDING_ERROR_INVALID,
                 "%s is not a playable media file", path);
    return FALSE;
  }
  d = gst_discoverer_info_get_duration (info);
  *duration_ms = GST_CLOCK_TIME_IS_VALID (d) ? (gint64) (d / GST_MSECOND) : 0;
  return TRUE;
}

/* ---- manifest ---------------------------------------------------------- */

static JsonNode *
info_to_json (const HzRecordingInfo *info)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(GDateTime) start = g_date_time_new_from_unix_utc (info->started_at_us / G_USEC_PER_SEC);
  g_autofree char *start_str = g_date_time_format_iso8601 (start);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "version");
  json_builder_add_int_value (b, 1);
  json_builder_set_member_name (b, "room");
  json_builder_add_string_value (b, info->room_id);
  json_builder_set_member_name (b, "title");
  json_builder_add_string_value (b, info->title);
  json_builder_set_member_name (b, "presenter");
  json_builder_add_string_value (b, info->presenter_id);
  json_builder_set_member_name (b, "start");
  json_builder_add_string_value (b, start_str);
  json_builder_set_member_name (b, "start_us");
  json_builder_add_int_value (b, info->started_at_us);
  json_builder_set_member_name (b, "duration_ms");
  json_builder_add_int_value (b, info->duration_ms);
  json_builder_set_member_name (b, "size");
  json_builder_add_int_value (b, (gint64) info->size);
  json_builder_set_member_name (b, "recovered");
  json_builder_add_boolean_value (b, info->recovered);
  json_builder_set_member_name (b, "timeline");
  json_builder_add_string_value (b, HZ_RECORDING_TIMELINE);
  json_builder_set_member_name (b, "composed");
  json_builder_add_string_value (b, info->composed_file);
  json_builder_set_member_name (b, "tracks");
  json_builder_begin_array (b);
  for (guint i = 0; i < info->tracks->len; i++) {
    HzRecordingTrackInfo *t = g_ptr_array_index (info->tracks, i);
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "file");
    json_builder_add_string_value (b, t->file);
    json_builder_set_member_name (b, "participant");
    json_builder_add_string_value (b, t->participant_id);
    json_builder_set_member_name (b, "name");
    json_builder_add_string_value (b, t->name);
    json_builder_set_member_name (b, "kind");
    json_builder_add_string_value (b, t->kind);
    json_builder_set_member_name (b, "codec");
    json_builder_add_string_value (b, hz_rec_codec_to_string (t->codec));
    json_builder_set_member_name (b, "offset_ms");
    json_builder_add_int_value (b, t->offset_ms);
    json_builder_set_member_name (b, "duration_ms");
    json_builder_add_int_value (b, t->duration_ms);
    json_builder_set_member_name (b, "size");
    json_builder_add_int_value (b, (gint64) t->size);
    json_builder_set_member_name (b, "sha256");
    json_builder_add_string_value (b, t->sha256);
    json_builder_end_object (b);
  }
  json_builder_end_array (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

gboolean
hz_recording_info_save (const HzRecordingInfo *info, GError **error)
{
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autofree char *text = NULL;
  g_autofree char *path = NULL;

  g_return_val_if_fail (info != NULL && info->dir != NULL, FALSE);
  root = info_to_json (info);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  text = json_generator_to_data (gen, NULL);
  path = g_build_filename (info->dir, HZ_RECORDING_MANIFEST, NULL);
  if (!g_file_set_contents_full (path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0644, error)) {
    g_prefix_error (error, "cannot write the recording manifest: ");
    return FALSE;
  }
  return TRUE;
}

/* A track file is a plain name inside the recording directory. */
static gboolean
valid_file_name (const char *name)
{
  return name != NULL && *name != '\0' && strchr (name, '/') == NULL &&
         g_strcmp0 (name, ".") != 0 && g_strcmp0 (name, "..") != 0;
}

static char *
dup_member (JsonObject *o, const char *name)
{
  JsonNode *n = json_object_get_member (o, name);

  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING)
    return NULL;
  return g_strdup (json_node_get_string (n));
}

static gint64
int_member (JsonObject *o, const char *name)
{
  JsonNode *n = json_object_get_member (o, name);

  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_INT64)
    return 0;
  return json_node_get_int (n);
}

HzRecordingInfo *
hz_recording_info_load (const char *dir, GError **error)
{
  g_autofree char *path = g_build_filename (dir, HZ_RECORDING_MANIFEST, NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(HzRecordingInfo) info = g_new0 (HzRecordingInfo, 1);
  JsonNode *root;
  JsonObject *o;
  JsonArray *tracks;

  if (!json_parser_load_from_mapped_file (parser, path, error))
    return NULL;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root) ||
      !json_object_has_member (json_node_get_object (root), "tracks") ||
      !JSON_NODE_HOLDS_ARRAY (json_object_get_member (json_node_get_object (root), "tracks"))) {
    g_set_error (error, HZ_RECORDING_ERROR, HZ_RECORDING_ERROR_INVALID,
                 "%s is not a recording manifest", path);
    return NULL;
  }
  o = json_node_get_object (root);
  info->dir = g_strdup (dir);
  info->room_id = dup_member (o, "room");
  info->title = dup_member (o, "title");
  info->presenter_id = dup_member (o, "presenter");
  info->composed_file = dup_member (o, "composed");
  info->started_at_us = int_member (o, "start_us");
  info->duration_ms = int_member (o, "duration_ms");
  info->size = (guint64) int_member (o, "size");
  info->recovered = json_object_get_boolean_member_with_default (o, "recovered", FALSE);
  info->tracks = g_ptr_array_new_with_free_func ((GDestroyNotify) hz_recording_track_info_free);
  tracks = json_object_get_array_member (o, "tracks");
  for (guint i = 0; i < json_array_get_length (tracks); i++) {
    JsonNode *tn = json_array_get_element (tracks, i);
    JsonObject *to;
    HzRecordingTrackInfo *t;
    g_autofree char *codec = NULL;

    if (!JSON_NODE_HOLDS_OBJECT (tn))
      continue;
    to = json_node_get_object (tn);
    t = g_new0 (HzRecordingTrackInfo, 1);
    t->file = dup_member (to, "file");
    t->participant_id = dup_member (to, "participant");
    t->name = dup_member (to, "name");
    t->kind = dup_member (to, "kind");
    codec = dup_member (to, "codec");
    t->offset_ms = int_member (to, "offset_ms");
    t->duration_ms = int_member (to, "duration_ms");
    t->size = (guint64) int_member (to, "size");
    t->sha256 = dup_member (to, "sha256");
    g_ptr_array_add (info->tracks, t);
    if (!valid_file_name (t->file) || t->kind == NULL ||
        !hz_rec_codec_from_string (codec, &t->codec)) {
      g_set_error (error, HZ_RECORDING_ERROR, HZ_RECORDING_ERROR_INVALID,
                   "%s: track %u is malformed", path, i);
      return NULL;
    }
  }
  return g_steal_pointer (&info);
}

/* ---- repair -------------------------------------------------------------- */

static void
repair_pad_added (GstElement *demux, GstPad *pad, gpointer data)
{
  GstElement *mux = data;
  GstPad *sink = gst_element_get_compatible_pad (mux, pad, NULL);

  if (sink == NULL || gst_pad_link (pad, sink) != GST_PAD_LINK_OK)
    g_debug ("repair: cannot link %s", GST_PAD_NAME (pad));
  g_clear_object (&sink);
}

/* Runs @pipeline to EOS or error; FALSE with @error on failure. */
static gboolean
run_to_eos (GstElement *pipeline, GstClockTime timeout, const char *what, GError **error)
{
  g_autoptr(GstBus) bus = gst_element_get_bus (pipeline);
  g_autoptr(GstMessage) msg = NULL;
  gboolean ok = FALSE;

  if (gst_element_set_state (pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  } else {
    msg = gst_bus_timed_pop_filtered (bus, timeout, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  }
  if (msg != NULL && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS) {
    ok = TRUE;
  } else if (msg != NULL) {
    g_autoptr(GError) gerr = NULL;
    gst_message_parse_error (msg, &gerr, NULL);
    g_set_error (error, HZ_RECORDING_ERROR, HZ_RECORDING_ERROR_PIPELINE, "%s: %s", what,
                 gerr->message);
  } else {
    g_set_error (error, HZ_RECORDING_ERROR, HZ_RECORDING_ERROR_TIMEOUT, "%s: timed out", what);
  }
  gst_element_set_state (pipeline, GST_STATE_NULL);
  return ok;
}

gboolean
hz_recording_repair (const char *path, GError **error)
{
  g_autoptr(GstElement) pipeline = NULL;
  g_autofree char *tmp = NULL;
  g_autofree char *what = NULL;
  GstElement *src, *demux, *mux, *sink;

  g_return_val_if_fail (path != NULL, FALSE);
  if (!gst_init_check (NULL, NULL, error))
    return FALSE;
  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR)) {
    g_set_error (error, HZ_RECORDING_ERROR, HZ_RECORDING_ERROR_INVALID, "%s: no such file",
                 path);
    return FALSE;
  }
  tmp = g_strconcat (path, ".repair", NULL);
  what = g_strdup_printf ("repairing %s", path);
  pipeline = gst_object_ref_sink (gst_pipeline_new ("hz-repair"));
  src = gst_element_factory_make ("filesrc", NULL);
  demux = gst_element_factory_make ("matroskademux", NULL);
  mux = gst_element_factory_make (g_str_has_suffix (path, ".webm") ? "webmmux" : "matroskamux",
                                  NULL);
  sink = gst_element_factory_make ("filesink", NULL);
  if (src == NULL || demux == NULL || mux == NULL || sink == NULL) {
    g_set_error (error, HZ_RECORDING_ERROR, HZ_RECORDING_ERROR_PIPELINE,
                 "%s: Matroska elements are not installed", what);
    return FALSE;
  }
  gst_bin_add_many (GST_BIN (pipeline), src, demux, mux, sink, NULL);
  g_object_set (src, "location", path, NULL);
  g_object_set (sink, "location", tmp, NULL);
  g_signal_connect (demux, "pad-added", G_CALLBACK (repair_pad_added), mux);
  if (!gst_element_link (src, demux) || !gst_element_link (mux, sink)) {
    g_set_error (error, HZ_RECORDING_ERROR, HZ_RECORDING_ERROR_PIPELINE, "%s: cannot link",
                 what);
    return FALSE;
  }
  if (!run_to_eos (pipeline, REPAIR_TIMEOUT, what, error)) {
    g_unlink (tmp);
    return FALSE;
  }
  if (g_rename (tmp, path) != 0) {
    int errsv = errno;
    g_set_error (error, HZ_RECORDING_ERROR, HZ_RECORDING_ERROR_WRITE, "%s: %s", what,
                 g_strerror (errsv));
    g_unlink (tmp);
    return FALSE;
  }
  return TRUE;
}

/* ---- measuring and recovery ---------------------------------------------- */

gboolean
hz_recording_info_measure (HzRecordingInfo *info, GError **error)
{
  g_autofree char *timeline = g_build_filename (info->dir, HZ_RECORDING_TIMELINE, NULL);
  GStatBuf st;

  info->size = 0;
  info->duration_ms = 0;
  for (guint i = 0; i < info->tracks->len; i++) {
    HzRecordingTrackInfo *t = g_ptr_array_index (info->tracks, i);
    g_autofree char *path = g_build_filename (info->dir, t->file, NULL);

    g_free (t->sha256);
    t->sha256 = hz_recording_file_sha256 (path, &t->size, error);
    if (t->sha256 == NULL)
      return FALSE;
    if (!hz_recording_probe_duration (path, &t->duration_ms, error))
      return FALSE;
    info->size += t->size;
    info->duration_ms = MAX (info->duration_ms, t->offset_ms + t->duration_ms);
  }
  if (g_stat (timeline, &st) == 0)
    info->size += (guint64) st.st_size;
  return TRUE;
}

static void
find_unfinished_in (const char *dir, guint depth, GPtrArray *out)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  if (d == NULL)
    return;
  if (depth == 4) {
    g_autofree char *manifest = g_build_filename (dir, HZ_RECORDING_MANIFEST, NULL);
    g_autofree char *timeline = g_build_filename (dir, HZ_RECORDING_TIMELINE, NULL);
    if (!g_file_test (manifest, G_FILE_TEST_EXISTS) && g_file_test (timeline, G_FILE_TEST_EXISTS))
      g_ptr_array_add (out, g_strdup (dir));
    return;
  }
  while ((name = g_dir_read_name (d)) != NULL) {
    g_autofree char *child = g_build_filename (dir, name, NULL);
    if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
      find_unfinished_in (child, depth + 1, out);
  }
}

GPtrArray *
hz_recording_find_unfinished (const char *data_dir)
{
  g_autofree char *root = g_build_filename (data_dir, "recordings", NULL);
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);

  /* recordings/YYYY/MM/DD/<room>-<time>: the session directory is 4 deep */
  find_unfinished_in (root, 0, out);
  return out;
}

HzRecordingInfo *
hz_recording_recover (const char *dir, GError **error)
{
  g_autofree char *timeline = g_build_filename (dir, HZ_RECORDING_TIMELINE, NULL);
  g_autoptr(GPtrArray) events = hz_rec_timeline_load (timeline, error);
  g_autoptr(HzRecordingInfo) info = NULL;

  if (events == NULL)
    return NULL;
  info = g_new0 (HzRecordingInfo, 1);
  info->dir = g_strdup (dir);
  info->recovered = TRUE;
  info->tracks = g_ptr_array_new_with_free_func ((GDestroyNotify) hz_recording_track_info_free);
  for (guint i = 0; i < events->len; i++) {
    JsonObject *ev = g_ptr_array_index (events, i);
    g_autofree char *type = dup_member (ev, "event");
    g_autofree char *codec = dup_member (ev, "codec");
    g_autoptr(HzRecordingTrackInfo) t = NULL;
    g_autofree char *path = NULL;
    g_autoptr(GError) local = NULL;

    if (g_strcmp0 (type, "recording_start") == 0) {
      info->room_id = dup_member (ev, "room");
      info->title = dup_member (ev, "title");
      info->presenter_id = dup_member (ev, "presenter");
      info->started_at_us = int_member (ev, "start_us");
      continue;
    }
    if (g_strcmp0 (type, "track_start") != 0)
      continue;
    t = g_new0 (HzRecordingTrackInfo, 1);
    t->file = dup_member (ev, "file");
    t->participant_id = dup_member (ev, "participant");
    t->name = dup_member (ev, "name");
    t->offset_ms = int_member (ev, "media_ms");
    if (!valid_file_name (t->file) || !hz_rec_codec_from_string (codec, &t->codec))
      continue;
    t->kind = g_strdup (hz_rec_codec_kind (t->codec));
    path = g_build_filename (dir, t->file, NULL);
    /* A track that holds no media (or was never written) is left out. */
    if (!hz_recording_repair (path, &local)) {
      g_warning ("recovering %s: %s", dir, local->message);
      continue;
    }
    g_ptr_array_add (info->tracks, g_steal_pointer (&t));
  }
  if (!hz_recording_info_measure (info, error) || !hz_recording_info_save (info, error))
    return NULL;
  return g_steal_pointer (&info);
}
