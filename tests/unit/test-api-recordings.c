/* Tests of the recordings routes (hz-api-recordings) on the real HTTP port,
 * with a real recording: synthetic RTP through hz-recording, composed by the
 * jobs queue, catalogued, then listed, described, streamed with Range
 * (compared byte for byte with the files), protected by tokens, audited. */
#include <glib/gstdio.h>
#include <string.h>

#include "hz-api-recordings.h"
#include "hz-recording-catalog.h"
#include "hz-recording-jobs.h"
#include "hz-room-store.h"
#include "test-http-client.h"
#include "test-recording-session.h"

#define ADMIN_KEY "k3y-0f-the-adm1n"
#define TOKEN_SECRET "s3cret-for-t0kens"
/* 2030-01-01T08:00:00Z */
#define NOW_S G_GINT64_CONSTANT (1893484800)

typedef struct {
  char *tmp;
  HzHttpServer *server;
  guint16 port;
  HzDb *db;
  HzRoomStore *store;
  HzRecordingCatalog *catalog;
  HzApiContext api;
  HzApiRoomsContext rooms;
  HzApiRecordingsContext ctx;
  char *id;
  char *dir;
  guint actions;
  gboolean last_start;
} Fixture;

static gint64
fixed_now (gpointer user_data)
{
  return NOW_S;
}

static gboolean
recording_action (const char *room_id, gboolean start, const char *actor, GError **error, gpointer data)
{
  Fixture *f = data;

  if (g_strcmp0 (room_id, "no-such-room") == 0) {
    g_set_error (error, HZ_ROOM_STORE_ERROR, HZ_ROOM_STORE_ERROR_NOT_FOUND, "no room %s", room_id);
    return FALSE;
  }
  g_assert_true (g_str_has_prefix (actor, "admin@"));
  f->actions++;
  f->last_start = start;
  return TRUE;
}

static Resp *
get (Fixture *f, const char *path, const char *key, const char *range)
{
  g_autofree char *auth = key != NULL ? g_strdup_printf ("Authorization: Bearer %s\r\n", key) : g_strdup ("");
  g_autofree char *r = range != NULL ? g_strdup_printf ("Range: %s\r\n", range) : g_strdup ("");
  g_autofree char *raw = g_strdup_printf ("GET %s HTTP/1.1\r\nHost: t\r\n%s%s\r\n", path, auth, r);
  return http (f->port, raw);
}

static Resp *
post (Fixture *f, const char *method, const char *path, const char *body)
{
  g_autofree char *raw = g_strdup_printf ("%s %s HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " ADMIN_KEY
                                          "\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                                          method, path, strlen (body), body);
  return http (f->port, raw);
}

static gboolean
jobs_idle (gpointer data)
{
  return hz_recording_jobs_is_idle (data);
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;
  g_autoptr(HzRecordingInfo) info = NULL;
  g_autoptr(HzRecordingJobs) jobs = NULL;
  HzRecordingMeta meta = { "teaching", "Radiology 101", "王医生", "省人民医院" };

  f->tmp = g_dir_make_tmp ("hz-apirec-XXXXXX", &error);
  g_assert_no_error (error);
  f->server = hz_http_server_new ("127.0.0.1:0", NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  f->port = hz_http_server_get_port (f->server);
  url = g_strdup_printf ("sqlite:%s/test.db", f->tmp);
  f->db = hz_db_open (url, &error);
  g_assert_no_error (error);
  f->store = hz_room_store_new (f->db);
  f->catalog = hz_recording_catalog_new (f->store);
  f->api.admin_key = ADMIN_KEY;
  f->api.token_secret = TOKEN_SECRET;
  f->api.store = f->store;
  f->api.now_s = fixed_now;
  f->rooms.api = &f->api;
  f->ctx.rooms = &f->rooms;
  f->ctx.catalog = f->catalog;
  f->ctx.user_data = f;
  hz_api_recordings_register (f->server, &f->ctx);

  /* a real session, composed by the queue */
  info = test_make_recording (f->tmp, "room-42", "Chest CT reading", TRUE, &f->dir);
  f->id = hz_recording_catalog_add (f->catalog, &meta, info, &error);
  g_assert_no_error (error);
  jobs = hz_recording_jobs_new (f->catalog, NULL);
  g_assert_true (hz_recording_jobs_enqueue (jobs, f->id, &error));
  while (!jobs_idle (jobs))
    g_main_context_iteration (NULL, TRUE);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", f->tmp);

  g_clear_pointer (&f->server, hz_http_server_free);
  g_clear_pointer (&f->catalog, hz_recording_catalog_free);
  g_clear_pointer (&f->store, hz_room_store_free);
  g_clear_pointer (&f->db, hz_db_unref);
  g_spawn_command_line_sync (cmd, NULL, NULL, NULL, NULL);
  g_free (f->tmp);
  g_free (f->id);
  g_free (f->dir);
}

static GBytes *
read_file (const char *dir, const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autofree char *contents = NULL;
  gsize len = 0;

  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
  return g_bytes_new_take (g_steal_pointer (&contents), len);
}

static guint
audit_count (Fixture *f, const char *action, const char *outcome)
{
  g_autoptr(GError) error = NULL;
  const char *params[] = { action, outcome };
  g_autoptr(HzDbRows) rows = hz_db_query (f->db,
    "SELECT COUNT(*) FROM audit_log WHERE action = $1 AND outcome = $2", params, 2, &error);

  g_assert_no_error (error);
  return (guint) g_ascii_strtoull (hz_db_rows_get (rows, 0, 0), NULL, 10);
}

static void
test_list_and_get (Fixture *f, gconstpointer data)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(Resp) denied = get (f, "/api/v1/recordings", NULL, NULL);
  g_autoptr(Resp) list = get (f, "/api/v1/recordings?q=RADIOLOGY&limit=10", ADMIN_KEY, NULL);
  g_autoptr(Resp) none = get (f, "/api/v1/recordings?institution=county", ADMIN_KEY, NULL);
  g_autoptr(Resp) bad = get (f, "/api/v1/recordings?state=lost", ADMIN_KEY, NULL);
  g_autoptr(Resp) bad_time = get (f, "/api/v1/recordings?from=yesterday", ADMIN_KEY, NULL);
  g_autofree char *path = g_strdup_printf ("/api/v1/recordings/%s", f->id);
  g_autoptr(Resp) one = get (f, path, ADMIN_KEY, NULL);
  g_autoptr(Resp) missing = get (f, "/api/v1/recordings/rec-none", ADMIN_KEY, NULL);
  JsonObject *obj, *entry, *timeline, *counts;
  JsonArray *arr;

  assert_error_code (denied, 401, "unauthorized");
  g_assert_cmpuint (list->status, ==, 200);
  obj = resp_json (list, parser);
  arr = json_object_get_array_member (obj, "recordings");
  g_assert_cmpuint (json_array_get_length (arr), ==, 1);
  entry = json_array_get_object_element (arr, 0);
  g_assert_cmpstr (json_object_get_string_member (entry, "id"), ==, f->id);
  g_assert_cmpstr (json_object_get_string_member (entry, "state"), ==, "composed");
  g_assert_cmpstr (json_object_get_string_member (entry, "institution"), ==, "省人民医院");
  g_assert_false (json_object_has_member (entry, "tracks"));
  g_assert_true (JSON_NODE_HOLDS_NULL (json_object_get_member (obj, "next_offset")));
  g_assert_cmpuint (none->status, ==, 200);
  obj = resp_json (none, parser);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (obj, "recordings")), ==, 0);
  assert_error_code (bad, 400, "invalid_field");
  assert_error_code (bad_time, 400, "invalid_field");
  assert_error_code (missing, 404, "not_found");

  g_assert_cmpuint (one->status, ==, 200);
  obj = resp_json (one, parser);
  g_assert_cmpstr (json_object_get_string_member (obj, "title"), ==, "Chest CT reading");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (obj, "tracks")), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (obj, "composed"), "file"), ==,
                   HZ_RECORDING_COMPOSED_WEBM);
  g_assert_cmpfloat (json_object_get_double_member (obj, "compose_progress"), ==, 1.0);
  timeline = json_object_get_object_member (obj, "timeline");
  counts = json_object_get_object_member (timeline, "counts");
  g_assert_cmpint (json_object_get_int_member (counts, "recording_start"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (counts, "track_start"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (counts, "recording_stop"), ==, 1);
  g_assert_cmpuint (audit_count (f, "recordings_list", "ok"), ==, 2);
  g_assert_cmpuint (audit_count (f, "recordings_list", "invalid"), ==, 2);
  g_assert_cmpuint (audit_count (f, "recordings_list", "denied"), ==, 1);
}

static char *
new_token (Fixture *f, const char *body)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *path = g_strdup_printf ("/api/v1/recordings/%s/tokens", f->id);
  g_autoptr(Resp) r = post (f, "POST", path, body);
  JsonObject *obj;

  g_assert_cmpuint (r->status, ==, 201);
  obj = resp_json (r, parser);
  g_assert_true (g_str_has_suffix (json_object_get_string_member (obj, "media_url"),
                                   json_object_get_string_member (obj, "token")));
  return g_strdup (json_object_get_string_member (obj, "token"));
}

static void
assert_range (Fixture *f, const char *path, GBytes *file, const char *range, guint64 first, guint64 last)
{
  g_autoptr(Resp) r = get (f, path, NULL, range);
  gsize size = g_bytes_get_size (file);
  g_autofree char *want = g_strdup_printf ("bytes %" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT "/%zu",
                                           first, last, size);

  g_assert_cmpuint (r->status, ==, 206);
  g_assert_cmpstr (g_hash_table_lookup (r->headers, "content-range"), ==, want);
  g_assert_cmpstr (g_hash_table_lookup (r->headers, "accept-ranges"), ==, "bytes");
  g_assert_cmpuint (r->body->len, ==, last - first + 1);
  g_assert_cmpmem (r->body->data, r->body->len,
                   (const guint8 *) g_bytes_get_data (file, NULL) + first, last - first + 1);
}

static void
test_media_ranges (Fixture *f, gconstpointer data)
{
  g_autofree char *token = new_token (f, "");
  g_autofree char *path = g_strdup_printf ("/api/v1/recordings/%s/media?token=%s", f->id, token);
  g_autofree char *track_path = g_strdup_printf ("/api/v1/recordings/%s/media?track=1&token=%s", f->id, token);
  g_autoptr(GBytes) composed = read_file (f->dir, HZ_RECORDING_COMPOSED_WEBM);
  g_autoptr(GBytes) mic = read_file (f->dir, "dr-wang-microphone.webm");
  gsize size = g_bytes_get_size (composed);
  g_autoptr(Resp) full = get (f, path, NULL, NULL);
  g_autoptr(Resp) admin = NULL, beyond = NULL, track = NULL, no_track = NULL, bad_track = NULL;
  g_autofree char *beyond_range = g_strdup_printf ("bytes=%zu-", size);
  g_autofree char *star = g_strdup_printf ("bytes */%zu", size);
  g_autofree char *admin_path = g_strdup_printf ("/api/v1/recordings/%s/media", f->id);
  guint downloads;

  /* more than a few 16 KiB chunks, so the streaming path is exercised */
  g_assert_cmpuint (size, >, 3 * 16384);
  g_assert_cmpuint (full->status, ==, 200);
  g_assert_cmpstr (g_hash_table_lookup (full->headers, "content-type"), ==, "video/webm");
  g_assert_cmpstr (g_hash_table_lookup (full->headers, "accept-ranges"), ==, "bytes");
  g_assert_cmpmem (full->body->data, full->body->len, g_bytes_get_data (composed, NULL), size);

  assert_range (f, path, composed, "bytes=100-1099", 100, 1099);
  assert_range (f, path, composed, "bytes=1000-41000", 1000, 41000);      /* spans chunks */
  assert_range (f, path, composed, "bytes=-500", size - 500, size - 1);   /* suffix */
  assert_range (f, path, composed, "bytes=0-", 0, size - 1);
  assert_range (f, path, composed, "bytes=5-99999999", 5, size - 1);      /* clipped */
  beyond = get (f, path, NULL, beyond_range);
  g_assert_cmpuint (beyond->status, ==, 416);
  g_assert_cmpstr (g_hash_table_lookup (beyond->headers, "content-range"), ==, star);

  /* the admin key works too; a track file by index, with its own type */
  admin = get (f, admin_path, ADMIN_KEY, "bytes=0-9");
  g_assert_cmpuint (admin->status, ==, 206);
  track = get (f, track_path, NULL, NULL);
  g_assert_cmpuint (track->status, ==, 200);
  g_assert_cmpstr (g_hash_table_lookup (track->headers, "content-type"), ==, "audio/webm");
  g_assert_cmpmem (track->body->data, track->body->len, g_bytes_get_data (mic, NULL), g_bytes_get_size (mic));
  {
    g_autofree char *p9 = g_strdup_printf ("/api/v1/recordings/%s/media?track=9&token=%s", f->id, token);
    g_autofree char *px = g_strdup_printf ("/api/v1/recordings/%s/media?track=x&token=%s", f->id, token);
    no_track = get (f, p9, NULL, NULL);
    bad_track = get (f, px, NULL, NULL);
    assert_error_code (no_track, 404, "not_found");
    assert_error_code (bad_track, 400, "invalid_field");
  }
  /* every download is in the audit log, the 416 as invalid */
  downloads = audit_count (f, "recording_download", "ok");
  g_assert_cmpuint (downloads, ==, 8);
  g_assert_cmpuint (audit_count (f, "recording_download", "invalid"), ==, 3);
}

static void
test_tokens (Fixture *f, gconstpointer data)
{
  g_autofree char *token = new_token (f, "{\"ttl_s\":60}");
  g_autofree char *expired = hz_recording_token_new (TOKEN_SECRET, f->id, NOW_S - 1);
  g_autofree char *other = hz_recording_token_new (TOKEN_SECRET, "rec-other", NOW_S + 60);
  g_autofree char *forged = hz_recording_token_new ("another-secret", f->id, NOW_S + 60);
  const char *bad[] = { expired, other, forged, "", "1.2", "99999999999.AAAA", token + 1 };
  g_autofree char *tok_path = g_strdup_printf ("/api/v1/recordings/%s/tokens", f->id);
  g_autoptr(Resp) bad_ttl = post (f, "POST", tok_path, "{\"ttl_s\":100000}");
  g_autoptr(Resp) no_rec = post (f, "POST", "/api/v1/recordings/rec-none/tokens", "");

  g_assert_true (hz_recording_token_check (TOKEN_SECRET, f->id, token, NOW_S + 59));
  g_assert_false (hz_recording_token_check (TOKEN_SECRET, f->id, token, NOW_S + 60));
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_autofree char *path = g_strdup_printf ("/api/v1/recordings/%s/media?token=%s", f->id, bad[i]);
    g_autoptr(Resp) r = get (f, path, NULL, "bytes=0-9");
    assert_error_code (r, 403, "invalid_token");
  }
  {
    /* a token is for one recording's media and entry, never for the list */
    g_autofree char *path = g_strdup_printf ("/api/v1/recordings?token=%s", token);
    g_autoptr(Resp) r = get (f, path, NULL, NULL);
    assert_error_code (r, 401, "unauthorized");
  }
  assert_error_code (bad_ttl, 400, "invalid_field");
  assert_error_code (no_rec, 404, "not_found");
  g_assert_cmpuint (audit_count (f, "recording_download", "denied"), ==, G_N_ELEMENTS (bad));
}

static void
test_room_action_and_delete (Fixture *f, gconstpointer data)
{
  g_autoptr(Resp) unsupported = post (f, "POST", "/api/v1/rooms/room-42/recording", "{\"action\":\"start\"}");
  g_autoptr(Resp) start = NULL, stop = NULL, bad = NULL, unknown = NULL, del = NULL, gone = NULL;
  g_autofree char *path = g_strdup_printf ("/api/v1/recordings/%s", f->id);

  assert_error_code (unsupported, 501, "not_implemented");
  f->ctx.recording_action = recording_action;
  start = post (f, "POST", "/api/v1/rooms/room-42/recording", "{\"action\":\"start\"}");
  g_assert_cmpuint (start->status, ==, 200);
  g_assert_true (f->last_start);
  stop = post (f, "POST", "/api/v1/rooms/room-42/recording", "{\"action\":\"stop\"}");
  g_assert_cmpuint (stop->status, ==, 200);
  g_assert_false (f->last_start);
  bad = post (f, "POST", "/api/v1/rooms/room-42/recording", "{\"action\":\"pause\"}");
  assert_error_code (bad, 400, "invalid_field");
  unknown = post (f, "POST", "/api/v1/rooms/no-such-room/recording", "{\"action\":\"start\"}");
  assert_error_code (unknown, 404, "not_found");
  g_assert_cmpuint (f->actions, ==, 2);
  g_assert_cmpuint (audit_count (f, "room_recording_start", "ok"), ==, 1);

  del = post (f, "DELETE", path, "");
  g_assert_cmpuint (del->status, ==, 204);
  g_assert_false (g_file_test (f->dir, G_FILE_TEST_EXISTS));
  gone = get (f, path, ADMIN_KEY, NULL);
  assert_error_code (gone, 404, "not_found");
}

static void
test_parse_range (void)
{
  guint64 a = 0, b = 0;

  g_assert_cmpint (hz_http_parse_range (NULL, 100, &a, &b), ==, HZ_RANGE_NONE);
  g_assert_cmpint (hz_http_parse_range ("bytes=0-9", 100, &a, &b), ==, HZ_RANGE_OK);
  g_assert_cmpuint (a, ==, 0);
  g_assert_cmpuint (b, ==, 9);
  g_assert_cmpint (hz_http_parse_range ("bytes=90-", 100, &a, &b), ==, HZ_RANGE_OK);
  g_assert_cmpuint (b, ==, 99);
  g_assert_cmpint (hz_http_parse_range ("bytes=-200", 100, &a, &b), ==, HZ_RANGE_OK);
  g_assert_cmpuint (a, ==, 0);
  g_assert_cmpint (hz_http_parse_range ("bytes=100-", 100, &a, &b), ==, HZ_RANGE_UNSATISFIABLE);
  g_assert_cmpint (hz_http_parse_range ("bytes=-0", 100, &a, &b), ==, HZ_RANGE_UNSATISFIABLE);
  /* ignored, served whole: other units, several ranges, garbage, reversed */
  g_assert_cmpint (hz_http_parse_range ("items=0-9", 100, &a, &b), ==, HZ_RANGE_NONE);
  g_assert_cmpint (hz_http_parse_range ("bytes=0-1,5-6", 100, &a, &b), ==, HZ_RANGE_NONE);
  g_assert_cmpint (hz_http_parse_range ("bytes=x-9", 100, &a, &b), ==, HZ_RANGE_NONE);
  g_assert_cmpint (hz_http_parse_range ("bytes=9-1", 100, &a, &b), ==, HZ_RANGE_NONE);
  g_assert_cmpint (hz_http_parse_range ("bytes=-", 100, &a, &b), ==, HZ_RANGE_NONE);
  g_assert_cmpint (hz_http_parse_range ("bytes=18446744073709551616-", 100, &a, &b), ==, HZ_RANGE_NONE);
}

int
main (int argc, char **argv)
{
  gst_init (NULL, NULL);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/api-recordings/parse-range", test_parse_range);
#define ADD(name, fn) g_test_add (name, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("/api-recordings/list-and-get", test_list_and_get);
  ADD ("/api-recordings/media-ranges", test_media_ranges);
  ADD ("/api-recordings/tokens", test_tokens);
  ADD ("/api-recordings/room-action-and-delete", test_room_action_and_delete);
  return g_test_run ();
}
