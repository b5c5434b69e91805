/*
 * End-to-end tests of the room and record routes (signaling/hz-api-rooms,
 * hz-api-records) on a real HTTP port with hz_api_register()'s routes
 * beside them, over the database of hz-test-db.h (SQLite, or PostgreSQL
 * under tests/pg/run-with-postgres.sh): the consult workflow through the
 * API, listing with filters and paging, reschedule and cancel (the live
 * room is told), bad input and missing keys refused, changing nothing, and
 * audited.
 */
#include "hz-api-rooms.h"
#include "hz-audit.h"
#include "hz-room-store.h"
#include "hz-test-db.h"
#include "test-http-client.h"

#define KEY "adm1n-k3y-for-rec0rds"

typedef struct {
  char *dir, *url;
  HzHttpServer *server;
  guint16 port;
  HzDb *db;
  HzRoomStore *store;
  HzApiContext api;
  HzApiRoomsContext rooms;
  GPtrArray *closed;
} Fixture;

static void
room_closed (const char *room_id, const char *reason, gpointer data)
{
  Fixture *f = data;
  g_ptr_array_add (f->closed, g_strdup_printf ("%s:%s", room_id, reason));
}

static void
setup (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("hz-api-rec-XXXXXX", NULL);
  f->url = hz_test_db_url_new (f->dir);
  f->db = hz_db_open (f->url, &error);
  g_assert_no_error (error);
  f->store = hz_room_store_new (f->db);
  f->server = hz_http_server_new ("127.0.0.1:0", NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  f->port = hz_http_server_get_port (f->server);
  f->api.admin_key = KEY;
  f->api.token_secret = "t0ken-secret-of-the-test";
  f->api.public_base_url = "https://x.example";
  f->api.store = f->store;
  f->rooms.api = &f->api;
  f->rooms.room_closed = room_closed;
  f->rooms.user_data = f;
  f->closed = g_ptr_array_new_with_free_func (g_free);
  hz_api_register (f->server, &f->api);
  hz_api_rooms_register (f->server, &f->rooms);
  hz_api_records_register (f->server, &f->rooms);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", f->dir);

  g_clear_pointer (&f->server, hz_http_server_free);
  g_clear_pointer (&f->store, hz_room_store_free);
  g_clear_pointer (&f->db, hz_db_unref);
  hz_test_db_drop (f->url);
  g_spawn_command_line_sync (cmd, NULL, NULL, NULL, NULL);
  g_ptr_array_unref (f->closed);
  g_free (f->dir);
  g_free (f->url);
}

static Resp *
call (Fixture *f, const char *method, const char *path, const char *key, const char *body)
{
  g_autofree char *auth = key != NULL ? g_strdup_printf ("Authorization: Bearer %s\r\n", key) : g_strdup ("");
  g_autofree char *raw = g_strdup_printf ("%s %s HTTP/1.1\r\nHost: x\r\n%sContent-Type: application/json\r\n"
                                          "Content-Length: %zu\r\n\r\n%s", method, path, auth,
                                          body != NULL ? strlen (body) : 0, body != NULL ? body : "");
  return http (f->port, raw);
}

/* Calls and checks the status; returns the JSON object (owned by @parser). */
static JsonObject *
expect (Fixture *f, JsonParser *parser, const char *method, const char *path, const char *body, guint status)
{
  g_autoptr(Resp) r = call (f, method, path, KEY, body);

  g_assert_nonnull (r);
  if (r->status != status)
    g_error ("%s %s: %u %s", method, path, r->status, (const char *) r->body->data);
  return resp_json (r, parser);
}

static void
expect_error (Fixture *f, const char *method, const char *path, const char *key, const char *body,
              guint status, const char *code)
{
  g_autoptr(Resp) r = call (f, method, path, key, body);
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *obj;

  g_assert_nonnull (r);
  g_assert_cmpuint (r->status, ==, status);
  obj = resp_json (r, parser);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (obj, "error"), "code"), ==, code);
}

static guint64
count (Fixture *f, const char *sql)
{
  g_autoptr(HzDbRows) rows = hz_db_query (f->db, sql, NULL, 0, NULL);
  return g_ascii_strtoull (hz_db_rows_get (rows, 0, 0), NULL, 10);
}

static void
test_workflow (Fixture *f, gconstpointer data)
{
  g_autoptr(JsonParser) p1 = json_parser_new (), p2 = json_parser_new (), p3 = json_parser_new ();
  g_autoptr(JsonParser) p4 = json_parser_new (), p5 = json_parser_new ();
  JsonObject *o;
  g_autofree char *id = NULL, *path = NULL;

  o = expect (f, p1, "POST", "/api/v1/consults",
              "{\"inviting_institution\":\"Clinic A\",\"invited_institution\":\"Lead\","
              "\"reason\":\"chest pain\",\"patient_context\":\"M, 58\"}", 201);
  g_assert_cmpstr (json_object_get_string_member (o, "status"), ==, "requested");
  id = g_strdup (json_object_get_string_member (o, "id"));
  path = g_strdup_printf ("/api/v1/consults/%s/accept", id);
  o = expect (f, p2, "POST", path, "{\"title\":\"ECG\",\"starts_at\":\"2030-01-01T09:00:00Z\","
              "\"ends_at\":\"2030-01-01T10:00:00Z\",\"accepted_by\":\"dr.wang\"}", 201);
  g_assert_cmpstr (json_object_get_string_member (o, "status"), ==, "scheduled");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (o, "room"), "id"), ==, id);
  g_free (path);
  path = g_strdup_printf ("/api/v1/consults/%s/consent", id);
  o = expect (f, p3, "POST", path, "{\"confirmed_by\":\"nurse.chen\"}", 200);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (o, "consent"), "confirmed_by"), ==, "nurse.chen");
  g_free (path);
  path = g_strdup_printf ("/api/v1/rooms/%s/conclusion", id);
  expect_error (f, "POST", path, KEY, "{\"text\":\"x\",\"referral\":{\"direction\":\"left\",\"institution\":\"Y\"}}",
                400, "invalid_field");
  expect_error (f, "POST", path, KEY, "{\"text\":\"x\",\"colour\":1}", 400, "unknown_field");
  expect (f, p4, "POST", path, "{\"text\":\"stable angina\",\"referral\":{\"direction\":\"down\",\"institution\":\"Clinic A\"}}", 201);
  g_free (path);
  path = g_strdup_printf ("/api/v1/consults/%s", id);
  o = expect (f, p5, "GET", path, NULL, 200);
  g_assert_cmpstr (json_object_get_string_member (o, "status"), ==, "concluded");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (
    json_object_get_object_member (o, "conclusion"), "referral"), "direction"), ==, "down");
  expect_error (f, "GET", "/api/v1/consults/nope", KEY, NULL, 404, "not_found");
  /* every admin call is in the audit log, and the chain verifies */
  g_assert_cmpuint (count (f, "SELECT COUNT(*) FROM audit_log WHERE action = 'record_read' AND outcome = 'ok'"), ==, 1);
  {
    gint64 broken = -1;
    g_assert_true (hz_audit_verify (f->db, &broken, NULL));
    g_assert_cmpint (broken, ==, 0);
  }
}

static void
test_rooms_list_patch_delete (Fixture *f, gconstpointer data)
{
  g_autoptr(JsonParser) p1 = json_parser_new (), p2 = json_parser_new (), p3 = json_parser_new ();
  g_autoptr(JsonParser) p4 = json_parser_new (), p5 = json_parser_new ();
  JsonObject *o;
  g_autofree char *id = NULL, *path = NULL;

  o = expect (f, p1, "POST", "/api/v1/rooms", "{\"title\":\"A\",\"kind\":\"consult\",\"host_institution\":\"H\","
              "\"starts_at\":\"2030-01-01T09:00:00Z\",\"ends_at\":\"2030-01-01T10:00:00Z\"}", 201);
  id = g_strdup (json_object_get_string_member (o, "id"));
  expect_error (f, "POST", "/api/v1/rooms", KEY, "{\"title\":\"B\",\"kind\":\"consult\",\"host_institution\":\"H\","
                "\"no_overlap\":true,\"starts_at\":\"2030-01-01T09:59:00Z\",\"ends_at\":\"2030-01-01T11:00:00Z\"}",
                409, "overlap");
  o = expect (f, p2, "GET", "/api/v1/rooms?state=scheduled&from=2030-01-01T00:00:00Z&limit=10", NULL, 200);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (o, "rooms")), ==, 1);
  g_assert_true (json_object_get_null_member (o, "next_offset"));
  o = expect (f, p3, "GET", "/api/v1/rooms?state=closed", NULL, 200);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (o, "rooms")), ==, 0);
  expect_error (f, "GET", "/api/v1/rooms?state=melted", KEY, NULL, 400, "invalid_field");
  expect_error (f, "GET", "/api/v1/rooms?limit=0", KEY, NULL, 400, "invalid_field");
  expect_error (f, "GET", "/api/v1/rooms?from=yesterday", KEY, NULL, 400, "invalid_field");

  path = g_strdup_printf ("/api/v1/rooms/%s", id);
  expect_error (f, "PATCH", path, KEY, "{\"ends_at\":\"2030-01-01T08:00:00Z\"}", 400, "invalid_field");
  expect_error (f, "PATCH", path, KEY, "{\"capacity\":0}", 400, "invalid_field");
  expect_error (f, "PATCH", path, KEY, "{\"ends_at\":\"2030-01-02T10:00:01Z\"}", 400, "invalid_field");
  expect_error (f, "PATCH", path, KEY, "[1]", 400, "invalid_json");
  expect_error (f, "PATCH", path, NULL, "{\"title\":\"x\"}", 401, "unauthorized");
  o = expect (f, p4, "PATCH", path, "{\"title\":\"A2\",\"ends_at\":\"2030-01-01T10:30:00Z\"}", 200);
  g_assert_cmpstr (json_object_get_string_member (o, "title"), ==, "A2");
  g_assert_cmpstr (json_object_get_string_member (o, "ends_at"), ==, "2030-01-01T10:30:00Z");

  o = expect (f, p5, "DELETE", path, NULL, 200);
  g_assert_cmpstr (json_object_get_string_member (o, "state"), ==, "closed");
  g_assert_cmpuint (f->closed->len, ==, 1);
  g_assert_true (g_str_has_suffix (g_ptr_array_index (f->closed, 0), ":cancelled"));
  expect_error (f, "DELETE", path, KEY, NULL, 409, "invalid_state");
  expect_error (f, "DELETE", "/api/v1/rooms/none", KEY, NULL, 404, "not_found");
  g_assert_cmpuint (f->closed->len, ==, 1);
  /* the refused key was audited as denied */
  g_assert_cmpuint (count (f, "SELECT COUNT(*) FROM audit_log WHERE outcome = 'denied'"), ==, 1);
}

static void
test_audit_api (Fixture *f, gconstpointer data)
{
  g_autoptr(JsonParser) p1 = json_parser_new (), p2 = json_parser_new ();
  JsonObject *o;

  expect_error (f, "GET", "/api/v1/audit", "wrong", NULL, 401, "unauthorized");
  expect_error (f, "GET", "/api/v1/consults", "wrong", NULL, 401, "unauthorized");
  o = expect (f, p1, "GET", "/api/v1/audit?outcome=denied&limit=1", NULL, 200);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (o, "entries")), ==, 1);
  g_assert_cmpint (json_object_get_int_member (o, "next_offset"), ==, 1);
  o = expect (f, p2, "GET", "/api/v1/audit?action=records_list", NULL, 200);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (
    json_object_get_array_member (o, "entries"), 0), "outcome"), ==, "denied");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/api-records/workflow", Fixture, NULL, setup, test_workflow, teardown);
  g_test_add ("/api-records/rooms-list-patch-delete", Fixture, NULL, setup, test_rooms_list_patch_delete, teardown);
  g_test_add ("/api-records/audit", Fixture, NULL, setup, test_audit_api, teardown);
  return g_test_run ();
}
