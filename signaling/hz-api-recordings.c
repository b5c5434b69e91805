/*
 * hz-api-recordings: the recordings library over HTTP. See hz-api-recordings.h.
 */
#include "hz-api-recordings.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

#include "hz-audit.h"
#include "hz-base64url.h"
#include "hz-rec-timeline.h"
#include "hz-recording-catalog.h"
#include "hz-recording-upload.h"
#include "hz-room-store.h"

/* The timeline summary lists at most this many events. */
#define HZ_TIMELINE_EVENTS_MAX 500

/* ---- tokens ----------------------------------------------------------------- */

static char *
hz_recording_token_mac (const char *secret, const char *recording_id, gint64 expires_s)
{
  g_autofree char *msg = g_strdup_printf ("hz-recording\n%s\n%" G_GINT64_FORMAT, recording_id, expires_s);
  guint8 mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;

  if (HMAC (EVP_sha256 (), secret, (int) strlen (secret), (const guint8 *) msg, strlen (msg), mac, &len) == NULL)
    return NULL;
  return hz_base64url_encode (mac, len);
}

char *
hz_recording_token_new (const char *secret, const char *recording_id, gint64 expires_s)
{
  g_autofree char *mac = NULL;

  g_return_val_if_fail (secret != NULL && secret[0] != '\0' && recording_id != NULL, NULL);
  mac = hz_recording_token_mac (secret, recording_id, expires_s);
  if (mac == NULL)
    return NULL;
  return g_strdup_printf ("%" G_GINT64_FORMAT ".%s", expires_s, mac);
}

gboolean
hz_recording_token_check (const char *secret, const char *recording_id, const char *token, gint64 now_s)
{
  const char *dot = token != NULL ? strchr (token, '.') : NULL;
  g_autofree char *exp_text = NULL, *want = NULL;
  gint64 expires = 0;

  if (secret == NULL || secret[0] == '\0' || recording_id == NULL || dot == NULL || strlen (token) > 128)
    return FALSE;
  exp_text = g_strndup (token, dot - token);
  if (!g_ascii_string_to_signed (exp_text, 10, 0, G_MAXINT64, &expires, NULL) || expires <= now_s)
    return FALSE;
  want = hz_recording_token_mac (secret, recording_id, expires);
  return want != NULL && strlen (want) == strlen (dot + 1) &&
         CRYPTO_memcmp (want, dot + 1, strlen (want)) == 0;
}

/* ---- Range ------------------------------------------------------------------ */

static gboolean
hz_range_number (const char *text, gsize len, guint64 *out)
{
  g_autofree char *s = g_strndup (text, len);
  g_strstrip (s);
  return s[0] != '\0' && g_ascii_string_to_unsigned (s, 10, 0, G_MAXUINT64, out, NULL);
}

HzRangeResult
hz_http_parse_range (const char *header, guint64 size, guint64 *first, guint64 *last)
{
  const char *spec, *dash;
  guint64 a = 0, b = 0;

  if (header == NULL || g_ascii_strncasecmp (header, "bytes=", 6) != 0)
    return HZ_RANGE_NONE;
  spec = header + 6;
  dash = strchr (spec, '-');
  if (dash == NULL || strchr (spec, ',') != NULL)
    return HZ_RANGE_NONE;
  if (dash == spec || strspn (spec, " ") == (gsize) (dash - spec)) {
    /* suffix: the last N bytes */
    if (!hz_range_number (dash + 1, strlen (dash + 1), &b))
      return HZ_RANGE_NONE;
    if (b == 0 || size == 0)
      return HZ_RANGE_UNSATISFIABLE;
    *first = b >= size ? 0 : size - b;
    *last = size - 1;
    return HZ_RANGE_OK;
  }
  if (!hz_range_number (spec, dash - spec, &a))
    return HZ_RANGE_NONE;
  if (dash[1] == '\0' || strspn (dash + 1, " ") == strlen (dash + 1))
    b = G_MAXUINT64;
  else if (!hz_range_number (dash + 1, strlen (dash + 1), &b))
    return HZ_RANGE_NONE;
  if (b < a)
    return HZ_RANGE_NONE; /* invalid: ignored */
  if (a >= size)
    return HZ_RANGE_UNSATISFIABLE;
  *first = a;
  *last = MIN (b, size - 1);
  return HZ_RANGE_OK;
}

/* ---- helpers ---------------------------------------------------------------- */

static gint64
hz_api_recordings_now_s (HzApiRecordingsContext *ctx)
{
  g_autoptr(GDateTime) now = hz_api_rooms_now (ctx->rooms);
  return g_date_time_to_unix (now);
}

static void
hz_api_recordings_audit (HzApiRecordingsContext *ctx, const char *actor, const char *action,
                         const char *target, const char *outcome, JsonNode *detail)
{
  g_autoptr(GError) error = NULL;

  if (!hz_audit_append (ctx->rooms->api->store, actor, NULL, action, target, outcome, detail, &error))
    g_warning ("audit: %s %s not written: %s", action, target != NULL ? target : "", error->message);
}

/* Admin key, or a valid ?token= for recording @id. *actor names who it was
 * for the audit ("admin@peer" or "token@peer"). Answers the refusal. */
static gboolean
hz_api_recordings_authorize (HzApiRecordingsContext *ctx, HzHttpRequest *req, const char *action,
                             const char *id, char **actor)
{
  const char *token = hz_http_request_get_query (req, "token");
  const char *peer = hz_http_request_get_peer (req);

  if (token != NULL) {
    if (hz_recording_token_check (ctx->rooms->api->token_secret, id, token, hz_api_recordings_now_s (ctx))) {
      *actor = g_strdup_printf ("token@%s", peer);
      return TRUE;
    }
    *actor = g_strdup_printf ("token@%s", peer);
    hz_api_recordings_audit (ctx, *actor, action, id, "denied", NULL);
    g_clear_pointer (actor, g_free);
    hz_http_request_respond_error (req, 403, "invalid_token", "the recording token is invalid or expired");
    return FALSE;
  }
  if (!hz_api_rooms_require_admin (ctx->rooms, req, action, id))
    return FALSE;
  *actor = g_strdup_printf ("admin@%s", peer);
  return TRUE;
}

static gboolean
hz_api_recordings_query_text (HzHttpRequest *req, const char *name, const char **out, GError **error)
{
  const char *text = hz_http_request_get_query (req, name);

  *out = NULL;
  if (text == NULL || text[0] == '\0')
    return TRUE;
  if (!g_utf8_validate (text, -1, NULL) || g_utf8_strlen (text, -1) > 200) {
    g_set_error (error, HZ_ROOM_STORE_ERROR, HZ_ROOM_STORE_ERROR_INVALID_FIELD,
                 "%s: must be UTF-8 text of at most 200 characters", name);
    return FALSE;
  }
  *out = text;
  return TRUE;
}

/* ---- GET /api/v1/recordings ---------------------------------------------------- */

static gboolean
hz_api_recordings_read_filter (HzHttpRequest *req, HzRecordingFilter *filter, GDateTime **from,
                               GDateTime **to, GError **error)
{
  const char *state = hz_http_request_get_query (req, "state");

  if (!hz_api_recordings_query_text (req, "q", &filter->q, error) ||
      !hz_api_recordings_query_text (req, "title", &filter->title, error) ||
      !hz_api_recordings_query_text (req, "course", &filter->course, error) ||
      !hz_api_recordings_query_text (req, "presenter", &filter->presenter, error) ||
      !hz_api_recordings_query_text (req, "institution", &filter->institution, error) ||
      !hz_api_recordings_query_text (req, "room", &filter->room_id, error) ||
      !hz_api_rooms_query_time (req, "from", from, error) ||
      !hz_api_rooms_query_time (req, "to", to, error) ||
      !hz_api_rooms_query_page (req, &filter->limit, &filter->offset, error))
    return FALSE;
  filter->from = *from;
  filter->to = *to;
  filter->has_state = state != NULL;
  if (state != NULL && !hz_recording_state_from_string (state, &filter->state)) {
    g_set_error_literal (error, HZ_ROOM_STORE_ERROR, HZ_ROOM_STORE_ERROR_INVALID_FIELD,
                         "state: must be recording, finished, composing, composed, failed or expired");
    return FALSE;
  }
  return TRUE;
}

static void
hz_api_recordings_list (HzHttpRequest *req, gpointer user_data)
{
  HzApiRecordingsContext *ctx = user_data;
  HzRecordingFilter filter = { 0 };
  g_autoptr(GDateTime) from = NULL, to = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) out = NULL;
  gboolean more = FALSE;

  if (!hz_api_rooms_require_admin (ctx->rooms, req, "recordings_list", NULL))
    return;
  if (hz_api_recordings_read_filter (req, &filter, &from, &to, &error))
    list = hz_recording_catalog_list (ctx->catalog, &filter, &more, &error);
  if (list == NULL) {
    hz_api_rooms_fail (ctx->rooms, req, "recordings_list", NULL, error);
    return;
  }
  hz_api_rooms_audit (ctx->rooms, req, "recordings_list", NULL, "ok");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "recordings");
  json_builder_begin_array (b);
  for (guint i = 0; i < list->len; i++)
    json_builder_add_value (b, hz_recording_entry_to_json (g_ptr_array_index (list, i), FALSE));
  json_builder_end_array (b);
  hz_room_store_add_page (b, filter.limit, filter.offset, more);
  json_builder_end_object (b);
  out = json_builder_get_root (b);
  hz_http_request_respond_json (req, 200, out);
}

/* ---- GET /api/v1/recordings/{id} ------------------------------------------------ */

/* {"events": n, "counts": {"join": 3, ...}, "items": [first 500 events]} */
static JsonNode *
hz_api_recordings_timeline (const HzRecordingEntry *e)
{
  g_autofree char *path = g_build_filename (e->dir, HZ_RECORDING_TIMELINE, NULL);
  g_autoptr(GPtrArray) events = g_file_test (path, G_FILE_TEST_EXISTS) ?
                                hz_rec_timeline_load (path, NULL) : NULL;
  g_autoptr(JsonObject) counts = json_object_new ();
  g_autoptr(JsonArray) items = json_array_new ();
  JsonObject *summary = json_object_new ();
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  for (guint i = 0; events != NULL && i < events->len; i++) {
    JsonObject *ev = g_ptr_array_index (events, i);
    const char *name = json_object_get_string_member_with_default (ev, "event", "unknown");
    json_object_set_int_member (counts, name, json_object_get_int_member_with_default (counts, name, 0) + 1);
    if (i < HZ_TIMELINE_EVENTS_MAX)
      json_array_add_object_element (items, json_object_ref (ev));
  }
  json_object_set_int_member (summary, "events", events != NULL ? events->len : 0);
  json_object_set_object_member (summary, "counts", g_steal_pointer (&counts));
  json_object_set_array_member (summary, "items", g_steal_pointer (&items));
  json_node_take_object (node, summary);
  return node;
}

static void
hz_api_recordings_get (HzHttpRequest *req, gpointer user_data)
{
  HzApiRecordingsContext *ctx = user_data;
  const char *id = hz_http_request_get_param (req, "id");
  g_autofree char *actor = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(HzRecordingEntry) entry = NULL;
  g_autoptr(JsonNode) out = NULL;

  if (!hz_api_recordings_authorize (ctx, req, "recording_get", id, &actor))
    return;
  entry = hz_recording_catalog_get (ctx->catalog, id, &error);
  if (entry == NULL) {
    hz_api_recordings_audit (ctx, actor, "recording_get", id, "invalid", NULL);
    hz_http_request_respond_error (req, hz_room_store_error_status (error), hz_room_store_error_code (error),
                                   error->message);
    return;
  }
  hz_api_recordings_audit (ctx, actor, "recording_get", id, "ok", NULL);
  out = hz_recording_entry_to_json (entry, TRUE);
  if (entry->state != HZ_RECORDING_STATE_EXPIRED)
    json_object_set_member (json_node_get_object (out), "timeline", hz_api_recordings_timeline (entry));
  hz_http_request_respond_json (req, 200, out);
}

/* ---- GET /api/v1/recordings/{id}/media ------------------------------------------ */

static const char *
hz_api_recordings_mime (const char *path, gboolean audio)
{
  if (g_str_has_suffix (path, ".mp4"))
    return "video/mp4";
  if (g_str_has_suffix (path, ".mkv"))
    return "video/x-matroska";
  return audio ? "audio/webm" : "video/webm";
}

/* Gives the stream of bytes [first, first + length) of the file. */
typedef GInputStream *(*HzOpenRangeFunc) (gpointer data, guint64 first, guint64 length, GError **error);

/* Answers with all of a file of @size bytes named @base, or the Range
 * asked for, from the stream @open gives. @store: where it is read from. */
static void
hz_api_recordings_send (HzApiRecordingsContext *ctx, HzHttpRequest *req, const char *actor,
                        const HzRecordingEntry *e, const char *base, guint64 size, gboolean audio,
                        const char *store, HzOpenRangeFunc open, gpointer open_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) detail = json_object_new ();
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  g_autoptr(GInputStream) in = NULL;
  g_autofree char *content_range = NULL, *disposition = NULL;
  guint64 first = 0, last = 0;
  HzRangeResult range;

  range = hz_http_parse_range (hz_http_request_get_header (req, "range"), size, &first, &last);
  json_object_set_string_member (detail, "file", base);
  json_object_set_string_member (detail, "store", store);
  if (range == HZ_RANGE_OK) {
    g_autofree char *r = g_strdup_printf ("%" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT, first, last);
    json_object_set_string_member (detail, "range", r);
  }
  json_node_set_object (node, detail);
  hz_api_recordings_audit (ctx, actor, "recording_download", e->id,
                           range == HZ_RANGE_UNSATISFIABLE ? "invalid" : "ok", node);
  hz_http_request_add_header (req, "accept-ranges", "bytes");
  if (range == HZ_RANGE_UNSATISFIABLE) {
    content_range = g_strdup_printf ("bytes */%" G_GUINT64_FORMAT, size);
    hz_http_request_add_header (req, "content-range", content_range);
    hz_http_request_respond_error (req, 416, "range_not_satisfiable", "the range lies beyond the file");
    return;
  }
  if (range == HZ_RANGE_NONE) {
    first = 0;
    last = size - 1; /* size 0: length 0 below */
  }
  in = open (open_data, first, size == 0 ? 0 : last - first + 1, &error);
  if (in == NULL) {
    g_warning ("api: recording %s: %s", e->id, error->message);
    hz_http_request_respond_error (req, 500, "internal_error", "cannot read the file");
    return;
  }
  if (hz_http_request_get_query (req, "download") != NULL) {
    disposition = g_strdup_printf ("attachment; filename=\"%s-%s\"", e->id, base);
    hz_http_request_add_header (req, "content-disposition", disposition);
  }
  if (range == HZ_RANGE_NONE) {
    hz_http_request_respond_stream (req, 200, hz_api_recordings_mime (base, audio), in, size);
    return;
  }
  content_range = g_strdup_printf ("bytes %" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT,
                                   first, last, size);
  hz_http_request_add_header (req, "content-range", content_range);
  hz_http_request_respond_stream (req, 206, hz_api_recordings_mime (base, audio), in, last - first + 1);
}

static GInputStream *
hz_open_local_range (gpointer data, guint64 first, guint64 length, GError **error)
{
  GFileInputStream *in = data;

  if (!g_seekable_seek (G_SEEKABLE (in), (goffset) first, G_SEEK_SET, NULL, error))
    return NULL;
  return G_INPUT_STREAM (g_object_ref (in));
}

typedef struct {
  HzRecordingUpload *upload;
  const char *id;
  const char *file;
  guint64 size;
} HzStoredFile;

/* Bytes of a file no longer on disk, from S3 in bounded chunks read by
 * worker threads (hz-recording-s3-stream.h): the main context never waits. */
static GInputStream *
hz_open_stored_range (gpointer data, guint64 first, guint64 length, GError **error)
{
  HzStoredFile *f = data;

  return hz_recording_upload_open (f->upload, f->id, f->file, f->size, first, length);
}

/* The file at @path, or its copy in S3 when it is no longer on disk. */
static void
hz_api_recordings_send_file (HzApiRecordingsContext *ctx, HzHttpRequest *req, const char *actor,
                             const HzRecordingEntry *e, const char *path, gboolean audio)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GError) error = NULL;
  g_autoptr(GFileInputStream) in = g_file_read (file, NULL, &error);
  g_autoptr(GFileInfo) info = in != NULL ?
    g_file_input_stream_query_info (in, G_FILE_ATTRIBUTE_STANDARD_SIZE, NULL, &error) : NULL;
  g_autofree char *base = g_path_get_basename (path);
  HzRecordingUpload *upload = hz_recording_catalog_get_upload (ctx->catalog);
  const HzRecordingEntryFile *stored = hz_recording_entry_find_file (e, base);

  if (info != NULL) {
    hz_api_recordings_send (ctx, req, actor, e, base, (guint64) g_file_info_get_size (info), audio, "local",
                            hz_open_local_range, in);
    return;
  }
  if (upload != NULL && stored != NULL && g_strcmp0 (stored->upload, "uploaded") == 0) {
    HzStoredFile f = { upload, e->id, stored->file, stored->size };
    hz_api_recordings_send (ctx, req, actor, e, base, stored->size, audio, "s3", hz_open_stored_range, &f);
    return;
  }
  g_warning ("api: recording %s: %s", e->id, error->message);
  hz_api_recordings_audit (ctx, actor, "recording_download", e->id, "error", NULL);
  hz_http_request_respond_error (req, 404, "not_found", "the recording's file is missing");
}

static void
hz_api_recordings_media (HzHttpRequest *req, gpointer user_data)
{
  HzApiRecordingsContext *ctx = user_data;
  const char *id = hz_http_request_get_param (req, "id");
  const char *track = hz_http_request_get_query (req, "track");
  g_autofree char *actor = NULL, *path = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(HzRecordingEntry) entry = NULL;
  guint64 idx = 0;
  gboolean audio = FALSE;

  if (!hz_api_recordings_authorize (ctx, req, "recording_download", id, &actor))
    return;
  if (track != NULL && !g_ascii_string_to_unsigned (track, 10, 0, 1000, &idx, NULL)) {
    hz_api_recordings_audit (ctx, actor, "recording_download", id, "invalid", NULL);
    hz_http_request_respond_error (req, 400, "invalid_field", "track: must be a track index");
    return;
  }
  entry = hz_recording_catalog_get (ctx->catalog, id, &error);
  if (entry != NULL)
    path = hz_recording_entry_media_path (entry, track != NULL ? (gint) idx : -1, &error);
  if (path == NULL) {
    hz_api_recordings_audit (ctx, actor, "recording_download", id, "invalid", NULL);
    hz_http_request_respond_error (req, hz_room_store_error_status (error), hz_room_store_error_code (error),
                                   error->message);
    return;
  }
  for (guint i = 0; track != NULL && i < entry->tracks->len; i++) {
    HzRecordingEntryTrack *t = g_ptr_array_index (entry->tracks, i);
    if (t->idx == idx)
      audio = g_strcmp0 (t->kind, "audio") == 0;
  }
  hz_api_recordings_send_file (ctx, req, actor, entry, path, audio);
}

/* ---- POST /api/v1/recordings/{id}/tokens ---------------------------------------- */

static void
hz_api_recordings_token (HzHttpRequest *req, gpointer user_data)
{
  HzApiRecordingsContext *ctx = user_data;
  const char *id = hz_http_request_get_param (req, "id");
  g_autoptr(GError) error = NULL;
  g_autoptr(HzRecordingEntry) entry = NULL;
  g_autoptr(GBytes) body = hz_http_request_get_body (req);
  g_autoptr(JsonNode) parsed = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) out = NULL;
  g_autoptr(GDateTime) expires_at = NULL;
  g_autofree char *token = NULL, *expires_text = NULL, *url = NULL;
  gint64 ttl = HZ_RECORDING_TOKEN_TTL_S, expires;

  if (!hz_api_rooms_require_admin (ctx->rooms, req, "recording_token", id))
    return;
  if (g_bytes_get_size (body) > 0) {
    parsed = hz_api_rooms_parse_body (req, &error);
    if (parsed != NULL) {
      JsonNode *ttl_node = json_object_get_member (json_node_get_object (parsed), "ttl_s");
      if (ttl_node != NULL && (json_node_get_value_type (ttl_node) != G_TYPE_INT64 ||
                               json_node_get_int (ttl_node) < 1 ||
                               json_node_get_int (ttl_node) > HZ_RECORDING_TOKEN_TTL_MAX_S))
        g_set_error (&error, HZ_ROOM_STORE_ERROR, HZ_ROOM_STORE_ERROR_INVALID_FIELD,
                     "ttl_s: must be an integer from 1 to %d", HZ_RECORDING_TOKEN_TTL_MAX_S);
      else if (ttl_node != NULL)
        ttl = json_node_get_int (ttl_node);
    }
  }
  if (error == NULL)
    entry = hz_recording_catalog_get (ctx->catalog, id, &error);
  expires = hz_api_recordings_now_s (ctx) + ttl;
  if (entry != NULL)
    token = hz_recording_token_new (ctx->rooms->api->token_secret, id, expires);
  if (entry != NULL && token == NULL)
    g_set_error_literal (&error, HZ_ROOM_STORE_ERROR, HZ_ROOM_STORE_ERROR_INVALID_STATE,
                         "no token secret configured");
  if (token == NULL) {
    hz_api_rooms_fail (ctx->rooms, req, "recording_token", id, error);
    return;
  }
  hz_api_rooms_audit (ctx->rooms, req, "recording_token", id, "ok");
  expires_at = g_date_time_new_from_unix_utc (expires);
  expires_text = hz_db_time_to_text (expires_at);
  url = g_strdup_printf ("/api/v1/recordings/%s/media?token=%s", id, token);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "token");
  json_builder_add_string_value (b, token);
  json_builder_set_member_name (b, "expires_at");
  json_builder_add_string_value (b, expires_text);
  json_builder_set_member_name (b, "media_url");
  json_builder_add_string_value (b, url);
  json_builder_end_object (b);
  out = json_builder_get_root (b);
  hz_http_request_respond_json (req, 201, out);
}

/* ---- DELETE /api/v1/recordings/{id} --------------------------------------------- */

static void
hz_api_recordings_delete (HzHttpRequest *req, gpointer user_data)
{
  HzApiRecordingsContext *ctx = user_data;
  const char *id = hz_http_request_get_param (req, "id");
  g_autoptr(GError) error = NULL;
  g_autoptr(HzRecordingEntry) entry = NULL;

  if (!hz_api_rooms_require_admin (ctx->rooms, req, "recording_delete", id))
    return;
  entry = hz_recording_catalog_get (ctx->catalog, id, &error);
  if (entry != NULL && (entry->state == HZ_RECORDING_STATE_RECORDING ||
                        entry->state == HZ_RECORDING_STATE_COMPOSING))
    g_set_error (&error, HZ_ROOM_STORE_ERROR, HZ_ROOM_STORE_ERROR_INVALID_STATE,
                 "recording %s is %s: wait until it is done", id, hz_recording_state_to_string (entry->state));
  if (error != NULL || !hz_recording_catalog_delete (ctx->catalog, id, TRUE, &error)) {
    hz_api_rooms_fail (ctx->rooms, req, "recording_delete", id, error);
    return;
  }
  hz_api_rooms_audit (ctx->rooms, req, "recording_delete", id, "ok");
  hz_http_request_respond (req, 204, NULL, NULL);
}

/* ---- POST /api/v1/rooms/{id}/recording ------------------------------------------ */

static void
hz_api_recordings_room_action (HzHttpRequest *req, gpointer user_data)
{
  HzApiRecordingsContext *ctx = user_data;
  const char *id = hz_http_request_get_param (req, "id");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) out = NULL;
  g_autofree char *actor = g_strdup_printf ("admin@%s", hz_http_request_get_peer (req));
  const char *action = NULL;
  gboolean start = FALSE;

  if (!hz_api_rooms_require_admin (ctx->rooms, req, "room_recording", id))
    return;
  body = hz_api_rooms_parse_body (req, &error);
  if (body != NULL) {
    action = hz_api_json_string (json_node_get_object (body), "action");
    start = g_strcmp0 (action, "start") == 0;
    if (!start && g_strcmp0 (action, "stop") != 0)
      g_set_error_literal (&error, HZ_ROOM_STORE_ERROR, HZ_ROOM_STORE_ERROR_INVALID_FIELD,
                           "action: must be \"start\" or \"stop\"");
  }
  if (error == NULL && ctx->recording_action == NULL) {
    hz_api_rooms_audit (ctx->rooms, req, "room_recording", id, "error");
    hz_http_request_respond_error (req, 501, "not_implemented", "this server cannot record rooms");
    return;
  }
  if (error != NULL || !ctx->recording_action (id, start, actor, &error, ctx->user_data)) {
    hz_api_rooms_fail (ctx->rooms, req, "room_recording", id, error);
    return;
  }
  hz_api_rooms_audit (ctx->rooms, req, start ? "room_recording_start" : "room_recording_stop", id, "ok");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "room_id");
  json_builder_add_string_value (b, id);
  json_builder_set_member_name (b, "recording");
  json_builder_add_boolean_value (b, start);
  json_builder_end_object (b);
  out = json_builder_get_root (b);
  hz_http_request_respond_json (req, 200, out);
}

void
hz_api_recordings_register (HzHttpServer *server, HzApiRecordingsContext *ctx)
{
  g_return_if_fail (server != NULL && ctx != NULL && ctx->rooms != NULL && ctx->catalog != NULL);
  hz_http_server_add_route (server, "GET", "/api/v1/recordings", 0, hz_api_recordings_list, ctx);
  hz_http_server_add_route (server, "GET", "/api/v1/recordings/{id}", 0, hz_api_recordings_get, ctx);
  hz_http_server_add_route (server, "DELETE", "/api/v1/recordings/{id}", 0, hz_api_recordings_delete, ctx);
  hz_http_server_add_route (server, "GET", "/api/v1/recordings/{id}/media", 0, hz_api_recordings_media, ctx);
  hz_http_server_add_route (server, "POST", "/api/v1/recordings/{id}/tokens", HZ_API_MAX_JSON_BODY,
                            hz_api_recordings_token, ctx);
  hz_http_server_add_route (server, "POST", "/api/v1/rooms/{id}/recording", HZ_API_MAX_JSON_BODY,
                            hz_api_recordings_room_action, ctx);
}
