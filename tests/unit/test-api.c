/*
 * Tests of signaling/hz-api: the REST handlers on a real HTTP port with a
 * real room store (SQLite in a temporary directory), driven by raw HTTP
 * requests (test-http-client.h) while the main context is iterated.
 */
#include <glib/gstdio.h>

#include "hz-api.h"
#include "hz-http.h"
#include "hz-room-store.h"
#include "hz-token.h"
#include "test-http-client.h"

typedef struct {
  char *tmp;
  HzHttpServer *server;
  guint16 port;
  HzDb *db;
  HzRoomStore *store;
  HzApiContext api;
} Fixture;

#define ADMIN_KEY "k3y-0f-the-adm1n"
#define TOKEN_SECRET "s3cret-for-t0kens"
/* 2030-01-01T08:00:00Z: an hour before the test room starts */
#define NOW_S G_GINT64_CONSTANT (1893484800)
#define ROOM_BODY "{\"title\":\"Chest CT, bed 12\",\"kind\":\"consult\"," \
                  "\"starts_at\":\"2030-01-01T09:00:00Z\",\"ends_at\":\"2030-01-01T10:00:00Z\"}"

static gint64
fixed_now (gpointer user_data)
{
  return NOW_S;
}

static JsonArray *
list_participants (const char *room_id, gpointer user_data)
{
  JsonArray *arr = json_array_new ();
  JsonObject *p = json_object_new ();

  json_object_set_string_member (p, "id", "p-1");
  json_object_set_string_member (p, "room", room_id);
  json_array_add_object_element (arr, p);
  return arr;
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;

  f->tmp = g_dir_make_tmp ("hz-api-XXXXXX", &error);
  g_assert_no_error (error);
  f->server = hz_http_server_new ("127.0.0.1:0", NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  f->port = hz_http_server_get_port (f->server);
  url = g_strdup_printf ("sqlite:%s/test.db", f->tmp);
  f->db = hz_db_open (url, &error);
  g_assert_no_error (error);
  f->store = hz_room_store_new (f->db);
  g_assert_nonnull (f->store);
  f->api.admin_key = ADMIN_KEY;
  f->api.token_secret = TOKEN_SECRET;
  f->api.public_base_url = "https://consult.example.org/";
  f->api.store = f->store;
  f->api.list_participants = list_participants;
  f->api.now_s = fixed_now;
  f->api.user_data = f;
  hz_api_register (f->server, &f->api);
}

static Resp *
api_call (Fixture *f, const char *method, const char *path, const char *key, const char *body)
{
  g_autofree char *auth = key != NULL ? g_strdup_printf ("Authorization: Bearer %s\r\n", key) : g_strdup ("");
  g_autofree char *raw = g_strdup_printf ("%s %s HTTP/1.1\r\nHost: x\r\n%s"
                                          "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                                          method, path, auth, body != NULL ? strlen (body) : 0,
                                          body != NULL ? body : "");
  return http (f->port, raw);
}

/* Creates the test room and returns its id. */
static char *
create_room (Fixture *f)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(Resp) r = api_call (f, "POST", "/api/v1/rooms", ADMIN_KEY, ROOM_BODY);
  JsonObject *obj;

  g_assert_nonnull (r);
  g_assert_cmpuint (r->status, ==, 201);
  obj = resp_json (r, parser);
  g_assert_cmpstr (json_object_get_string_member (obj, "title"), ==, "Chest CT, bed 12");
  g_assert_cmpstr (json_object_get_string_member (obj, "kind"), ==, "consult");
  return g_strdup (json_object_get_string_member (obj, "id"));
}

static void
test_api_healthz (Fixture *f, gconstpointer data)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(Resp) r = http (f->port, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  JsonObject *obj;

  g_assert_nonnull (r);
  g_assert_cmpuint (r->status, ==, 200);
  obj = resp_json (r, parser);
  g_assert_cmpstr (json_object_get_string_member (obj, "status"), ==, "ok");
  g_assert_cmpstr (json_object_get_string_member (obj, "version"), ==, HZ_VERSION);
}

static void
test_api_room_create_get (Fixture *f, gconstpointer data)
{
  g_autofree char *id = create_room (f);
  g_autofree char *path = g_strdup_printf ("/api/v1/rooms/%s", id);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(Resp) r = api_call (f, "GET", path, ADMIN_KEY, NULL);
  g_autoptr(Resp) missing = api_call (f, "GET", "/api/v1/rooms/00000000-0000-4000-8000-000000000000", ADMIN_KEY, NULL);
  JsonObject *obj;
  JsonArray *parts;

  g_assert_nonnull (r);
  g_assert_cmpuint (r->status, ==, 200);
  obj = resp_json (r, parser);
  g_assert_cmpstr (json_object_get_string_member (obj, "id"), ==, id);
  g_assert_cmpstr (json_object_get_string_member (obj, "state"), ==, "scheduled");
  parts = json_object_get_array_member (obj, "participants");
  g_assert_cmpuint (json_array_get_length (parts), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (parts, 0), "room"), ==, id);
  assert_error_code (missing, 404, "not_found");
}

static void
test_api_unauthorized (Fixture *f, gconstpointer data)
{
  g_autoptr(Resp) none = api_call (f, "POST", "/api/v1/rooms", NULL, ROOM_BODY);
  g_autoptr(Resp) wrong = api_call (f, "POST", "/api/v1/rooms", "k3y-0f-the-adm1N", ROOM_BODY);
  g_autoptr(Resp) longer = api_call (f, "POST", "/api/v1/rooms", ADMIN_KEY "x", ROOM_BODY);
  g_autoptr(Resp) prefix = api_call (f, "POST", "/api/v1/rooms", "k3y", ROOM_BODY);
  g_autoptr(Resp) get = api_call (f, "GET", "/api/v1/rooms/abc", "nope", NULL);
  g_autoptr(Resp) token = api_call (f, "POST", "/api/v1/rooms/abc/tokens", "", "{}");

  assert_error_code (none, 401, "unauthorized");
  assert_error_code (wrong, 401, "unauthorized");
  assert_error_code (longer, 401, "unauthorized");
  assert_error_code (prefix, 401, "unauthorized");
  assert_error_code (get, 401, "unauthorized");
  assert_error_code (token, 401, "unauthorized");
}

static void
test_api_bad_json (Fixture *f, gconstpointer data)
{
  g_autoptr(Resp) broken = api_call (f, "POST", "/api/v1/rooms", ADMIN_KEY, "{\"title\": ");
  g_autoptr(Resp) empty = api_call (f, "POST", "/api/v1/rooms", ADMIN_KEY, NULL);
  g_autoptr(Resp) array = api_call (f, "POST", "/api/v1/rooms", ADMIN_KEY, "[1,2]");
  g_autoptr(Resp) missing = api_call (f, "POST", "/api/v1/rooms", ADMIN_KEY, "{\"title\":\"x\"}");

  assert_error_code (broken, 400, "invalid_json");
  assert_error_code (empty, 400, "invalid_json");
  assert_error_code (array, 400, "invalid_json");
  assert_error_code (missing, 400, "missing_field");
}

static void
test_api_tokens (Fixture *f, gconstpointer data)
{
  g_autofree char *id = create_room (f);
  g_autofree char *path = g_strdup_printf ("/api/v1/rooms/%s/tokens", id);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(Resp) r = api_call (f, "POST", path, ADMIN_KEY,
                                "{\"user\":\"dr.li\",\"display_name\":\"李医生\","
                                "\"institution\":\"Xishan Township Clinic\",\"role\":\"doctor\"}");
  g_autoptr(Resp) short_ttl = NULL;
  g_autoptr(Resp) long_ttl = NULL;
  g_autoptr(Resp) bad_role = NULL;
  g_autoptr(Resp) extra = NULL;
  g_autoptr(Resp) no_room = NULL;
  g_autoptr(HzTokenClaims) claims = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *want_url = NULL;
  JsonObject *obj;
  const char *token;

  g_assert_nonnull (r);
  g_assert_cmpuint (r->status, ==, 201);
  obj = resp_json (r, parser);
  token = json_object_get_string_member (obj, "token");
  /* by default valid until the room's end plus 10 minutes */
  g_assert_cmpstr (json_object_get_string_member (obj, "expires_at"), ==, "2030-01-01T10:10:00Z");
  want_url = g_strdup_printf ("https://consult.example.org/?token=%s", token);
  g_assert_cmpstr (json_object_get_string_member (obj, "join_url"), ==, want_url);
  claims = hz_token_verify (TOKEN_SECRET, token, NOW_S, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (claims->room, ==, id);
  g_assert_cmpstr (claims->user, ==, "dr.li");
  g_assert_cmpstr (claims->display_name, ==, "李医生");
  g_assert_cmpint (claims->role, ==, HZ_ROLE_DOCTOR);
  g_assert_cmpint (claims->exp, ==, NOW_S + 2 * 3600 + 600);

  short_ttl = api_call (f, "POST", path, ADMIN_KEY,
                        "{\"user\":\"s\",\"display_name\":\"S\",\"institution\":\"Lead Hospital\","
                        "\"role\":\"specialist\",\"ttl_s\":60}");
  g_assert_nonnull (short_ttl);
  g_assert_cmpuint (short_ttl->status, ==, 201);
  obj = resp_json (short_ttl, parser);
  g_assert_cmpstr (json_object_get_string_member (obj, "expires_at"), ==, "2030-01-01T08:01:00Z");

  long_ttl = api_call (f, "POST", path, ADMIN_KEY,
                       "{\"user\":\"s\",\"display_name\":\"S\",\"institution\":\"L\","
                       "\"role\":\"student\",\"ttl_s\":604801}");
  assert_error_code (long_ttl, 400, "invalid_field");
  bad_role = api_call (f, "POST", path, ADMIN_KEY,
                       "{\"user\":\"s\",\"display_name\":\"S\",\"institution\":\"L\",\"role\":\"surgeon\"}");
  assert_error_code (bad_role, 400, "invalid_field");
  extra = api_call (f, "POST", path, ADMIN_KEY,
                    "{\"user\":\"s\",\"display_name\":\"S\",\"institution\":\"L\",\"role\":\"observer\",\"room\":\"x\"}");
  assert_error_code (extra, 400, "unknown_field");
  no_room = api_call (f, "POST", "/api/v1/rooms/00000000-0000-4000-8000-000000000000/tokens", ADMIN_KEY,
                      "{\"user\":\"s\",\"display_name\":\"S\",\"institution\":\"L\",\"role\":\"observer\"}");
  assert_error_code (no_room, 404, "not_found");
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_autofree char *db = g_build_filename (f->tmp, "test.db", NULL);

  g_clear_pointer (&f->server, hz_http_server_free);
  g_clear_pointer (&f->store, hz_room_store_free);
  g_clear_pointer (&f->db, hz_db_unref);
  g_remove (db);
  g_rmdir (f->tmp);
  g_free (f->tmp);
}

#define ADD(name, fn) g_test_add (name, Fixture, NULL, fixture_setup, fn, fixture_teardown)

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  ADD ("/api/healthz", test_api_healthz);
  ADD ("/api/room-create-get", test_api_room_create_get);
  ADD ("/api/unauthorized", test_api_unauthorized);
  ADD ("/api/bad-json", test_api_bad_json);
  ADD ("/api/tokens", test_api_tokens);
  return g_test_run ();
}

