/* Tests of rooms/hz-db, hz-room and hz-room-store against a temporary SQLite
 * file: creating and validating rooms, reading them back, reopening the
 * database, migrations, join/leave records and state changes. */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "hz-db-private.h"
#include "hz-room-store.h"
#include "hz-test-db.h"

typedef struct {
  char        *dir;
  char        *url;
  HzDb        *db;
  HzRoomStore *store;
} Fixture;

/* A consult tomorrow-ish: 2025-03-01 08:30 to 09:30 Beijing time. */
#define CONSULT_BODY \
  "{\"title\": \"Chest CT review\", \"kind\": \"consult\"," \
  " \"starts_at\": \"2025-03-01T08:30:00+08:00\", \"ends_at\": \"2025-03-01T09:30:00+08:00\"}"

static void
fixture_open (Fixture *f)
{
  g_autoptr(GError) error = NULL;

  f->db = hz_db_open (f->url, &error);
  g_assert_no_error (error);
  f->store = hz_room_store_new (f->db);
}

static void
fixture_close (Fixture *f)
{
  g_clear_pointer (&f->store, hz_room_store_free);
  g_clear_pointer (&f->db, hz_db_unref);
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->dir = g_dir_make_tmp ("hz-rooms-XXXXXX", NULL);
  f->url = hz_test_db_url_new (f->dir);
  fixture_open (f);
}

static void
rm_rf (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL) {
    g_autofree char *child = g_build_filename (path, name, NULL);
    if (g_file_test (child, G_FILE_TEST_IS_DIR))
      rm_rf (child);
    else
      g_unlink (child);
  }
  g_rmdir (path);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  fixture_close (f);
  hz_test_db_drop (f->url);
  rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->url);
}

static JsonNode *
parse (const char *json)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (parser, json, -1, &error);
  g_assert_no_error (error);
  return json_node_copy (json_parser_get_root (parser));
}

static HzRoom *
create (Fixture *f, const char *json)
{
  g_autoptr(JsonNode) body = parse (json);
  g_autoptr(GError) error = NULL;
  HzRoom *room = hz_room_store_create_from_json (f->store, body, &error);

  g_assert_no_error (error);
  g_assert_nonnull (room);
  return room;
}

static guint64
count_rows (Fixture *f, const char *sql)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HzDbRows) rows = hz_db_query (f->db, sql, NULL, 0, &error);

  g_assert_no_error (error);
  return g_ascii_strtoull (hz_db_rows_get (rows, 0, 0), NULL, 10);
}

static char *
room_json_text (const HzRoom *room)
{
  g_autoptr(JsonNode) node = hz_room_to_json (room);
  return json_to_string (node, FALSE);
}

static GDateTime *
at (const char *rfc3339)
{
  GDateTime *t = hz_room_parse_time (rfc3339);
  g_assert_nonnull (t);
  return t;
}

static void
test_create_valid (Fixture *f, gconstpointer data)
{
  g_autoptr(HzRoom) room = create (f, CONSULT_BODY);
  g_autoptr(HzRoom) teaching = create (f,
    "{\"title\": \"Ultrasound basics\", \"kind\": \"teaching\", \"record\": true,"
    " \"host_institution\": \"市人民医院\","
    " \"starts_at\": \"2025-03-02T06:00:00Z\", \"ends_at\": \"2025-03-03T06:00:00Z\"}");
  g_autoptr(JsonNode) node = hz_room_to_json (room);
  JsonObject *obj = json_node_get_object (node);

  g_assert_true (g_uuid_string_is_valid (room->id));
  g_assert_cmpint (room->id[14], ==, '4');  /* UUID version 4 */
  g_assert_cmpstr (room->id, !=, teaching->id);
  g_assert_cmpstr (json_object_get_string_member (obj, "id"), ==, room->id);
  g_assert_cmpstr (json_object_get_string_member (obj, "title"), ==, "Chest CT review");
  g_assert_cmpstr (json_object_get_string_member (obj, "kind"), ==, "consult");
  g_assert_cmpstr (json_object_get_string_member (obj, "state"), ==, "scheduled");
  g_assert_cmpstr (json_object_get_string_member (obj, "starts_at"), ==, "2025-03-01T00:30:00Z");
  g_assert_cmpstr (json_object_get_string_member (obj, "ends_at"), ==, "2025-03-01T01:30:00Z");
  g_assert_cmpint (json_object_get_int_member (obj, "capacity"), ==, 9);  /* consult default */
  g_assert_false (json_object_get_boolean_member (obj, "record"));
  g_assert_true (json_object_get_null_member (obj, "host_institution"));
  g_assert_nonnull (json_object_get_string_member (obj, "created_at"));

  g_assert_cmpuint (teaching->capacity, ==, 300);  /* teaching default; 24 h exactly is allowed */
  g_assert_true (teaching->record);
  g_assert_cmpstr (teaching->host_institution, ==, "市人民医院");
  g_assert_cmpuint (count_rows (f, "SELECT COUNT(*) FROM rooms"), ==, 2);
}

typedef struct {
  const char *body;
  const char *code;
} BadBody;

#define ROOM_WITH(extra) \
  "{\"title\": \"t\", \"kind\": \"consult\", \"starts_at\": \"2025-03-01T08:00:00Z\", " \
  "\"ends_at\": \"2025-03-01T09:00:00Z\"" extra "}"
#define ROOM_TIMES(starts, ends) \
  "{\"title\": \"t\", \"kind\": \"consult\", \"starts_at\": \"" starts "\", \"ends_at\": \"" ends "\"}"

static const BadBody bad_bodies[] = {
  { "[]", "invalid_json" },
  { "\"a room\"", "invalid_json" },
  { "null", "invalid_json" },
  { "{\"kind\": \"consult\", \"starts_at\": \"2025-03-01T08:00:00Z\", \"ends_at\": \"2025-03-01T09:00:00Z\"}",
    "missing_field" },
  { "{\"title\": \"t\", \"starts_at\": \"2025-03-01T08:00:00Z\", \"ends_at\": \"2025-03-01T09:00:00Z\"}",
    "missing_field" },
  { "{\"title\": \"t\", \"kind\": \"consult\", \"ends_at\": \"2025-03-01T09:00:00Z\"}", "missing_field" },
  { "{\"title\": \"t\", \"kind\": \"consult\", \"starts_at\": \"2025-03-01T08:00:00Z\"}", "missing_field" },
  { "{\"title\": null, \"kind\": \"consult\", \"starts_at\": \"2025-03-01T08:00:00Z\", "
    "\"ends_at\": \"2025-03-01T09:00:00Z\"}", "missing_field" },
  { ROOM_WITH (", \"id\": \"chosen-by-client\""), "unknown_field" },
  { ROOM_WITH (", \"state\": \"live\""), "unknown_field" },
  { ROOM_WITH (", \"capacity\": 0"), "invalid_field" },
  { ROOM_WITH (", \"capacity\": 1001"), "invalid_field" },
  { ROOM_WITH (", \"capacity\": 9.5"), "invalid_field" },
  { ROOM_WITH (", \"capacity\": \"9\""), "invalid_field" },
  { ROOM_WITH (", \"record\": \"yes\""), "invalid_field" },
  { ROOM_WITH (", \"host_institution\": 12"), "invalid_field" },
  { "{\"title\": \"\", \"kind\": \"consult\", \"starts_at\": \"2025-03-01T08:00:00Z\", "
    "\"ends_at\": \"2025-03-01T09:00:00Z\"}", "invalid_field" },
  { "{\"title\": \"   \", \"kind\": \"consult\", \"starts_at\": \"2025-03-01T08:00:00Z\", "
    "\"ends_at\": \"2025-03-01T09:00:00Z\"}", "invalid_field" },
  { "{\"title\": \"a\\nb\", \"kind\": \"consult\", \"starts_at\": \"2025-03-01T08:00:00Z\", "
    "\"ends_at\": \"2025-03-01T09:00:00Z\"}", "invalid_field" },
  { "{\"title\": 42, \"kind\": \"consult\", \"starts_at\": \"2025-03-01T08:00:00Z\", "
    "\"ends_at\": \"2025-03-01T09:00:00Z\"}", "invalid_field" },
  { "{\"title\": \"t\", \"kind\": \"lecture\", \"starts_at\": \"2025-03-01T08:00:00Z\", "
    "\"ends_at\": \"2025-03-01T09:00:00Z\"}", "invalid_field" },
  { ROOM_TIMES ("2025-03-01 08:00:00Z", "2025-03-01T09:00:00Z"), "invalid_field" },  /* space */
  { ROOM_TIMES ("2025-03-01T08:00:00", "2025-03-01T09:00:00Z"), "invalid_field" },   /* no zone */
  { ROOM_TIMES ("2025-03-01T08:00Z", "2025-03-01T09:00:00Z"), "invalid_field" },     /* no seconds */
  { ROOM_TIMES ("2025-W09-6T08:00:00Z", "2025-03-01T09:00:00Z"), "invalid_field" },  /* week date */
  { ROOM_TIMES ("2025-02-30T08:00:00Z", "2025-03-01T09:00:00Z"), "invalid_field" },  /* no such day */
  { ROOM_TIMES ("2025-03-01T08:00:00Z", "tomorrow"), "invalid_field" },
  { ROOM_TIMES ("2025-03-01T08:00:00Z", "2025-03-01T08:00:00Z"), "invalid_field" },  /* ends == starts */
  { ROOM_TIMES ("2025-03-01T08:00:00Z", "2025-03-01T07:00:00Z"), "invalid_field" },  /* ends first */
  { ROOM_TIMES ("2025-03-01T08:00:00Z", "2025-03-02T08:00:01Z"), "invalid_field" },  /* 24 h + 1 s */
};

static void
test_create_invalid (Fixture *f, gconstpointer data)
{
  g_autofree char *long_title = g_strnfill (201, 'x');
  g_autofree char *long_body = g_strdup_printf (
    "{\"title\": \"%s\", \"kind\": \"consult\", \"starts_at\": \"2025-03-01T08:00:00Z\", "
    "\"ends_at\": \"2025-03-01T09:00:00Z\"}", long_title);

  for (guint i = 0; i <= G_N_ELEMENTS (bad_bodies); i++) {
    const char *body = i < G_N_ELEMENTS (bad_bodies) ? bad_bodies[i].body : long_body;
    const char *code = i < G_N_ELEMENTS (bad_bodies) ? bad_bodies[i].code : "invalid_field";
    g_autoptr(JsonNode) node = parse (body);
    g_autoptr(GError) error = NULL;
    g_autoptr(HzRoom) room = hz_room_store_create_from_json (f->store, node, &error);

    g_test_message ("body: %s -> %s", body, error != NULL ? error->message : "accepted");
    g_assert_null (room);
    g_assert_error (error, HZ_ROOM_STORE_ERROR, error->code);
    g_assert_cmpstr (hz_room_store_error_code (error), ==, code);
    g_assert_cmpuint (hz_room_store_error_status (error), ==, 400);
  }
  /* Nothing was written by any of them. */
  g_assert_cmpuint (count_rows (f, "SELECT COUNT(*) FROM rooms"), ==, 0);
}

/* Limits are counted in characters: 200 Chinese characters (600 bytes) fit. */
static void
test_create_limits (Fixture *f, gconstpointer data)
{
  GString *title = g_string_new (NULL);
  g_autofree char *body = NULL;
  g_autoptr(HzRoom) room = NULL;
  g_autoptr(HzRoom) big = create (f, ROOM_WITH (", \"capacity\": 1000"));

  for (guint i = 0; i < 200; i++)
    g_string_append (title, "诊");
  body = g_strdup_printf ("{\"title\": \"%s\", \"kind\": \"consult\", "
                          "\"starts_at\": \"2025-03-01T08:00:00.250+08:00\", "
                          "\"ends_at\": \"2025-03-01T09:00:00Z\", \"host_institution\": null}",
                          title->str);
  room = create (f, body);
  g_assert_cmpuint (g_utf8_strlen (room->title, -1), ==, 200);
  g_assert_null (room->host_institution);
  g_assert_cmpuint (big->capacity, ==, 1000);
  g_string_free (title, TRUE);
}

static void
test_get_and_not_found (Fixture *f, gconstpointer data)
{
  g_autoptr(HzRoom) room = create (f, CONSULT_BODY);
  g_autoptr(GError) error = NULL;
  g_autoptr(HzRoom) got = hz_room_store_get (f->store, room->id, &error);
  g_autoptr(HzRoom) missing = NULL;
  g_autofree char *a = room_json_text (room);
  g_autofree char *b = room_json_text (got);

  g_assert_no_error (error);
  g_assert_cmpstr (a, ==, b);  /* what create returned is what is stored */
  missing = hz_room_store_get (f->store, "00000000-0000-4000-8000-000000000000", &error);
  g_assert_null (missing);
  g_assert_error (error, HZ_ROOM_STORE_ERROR, HZ_ROOM_STORE_ERROR_NOT_FOUND);
  g_assert_cmpstr (hz_room_store_error_code (error), ==, "not_found");
  g_assert_cmpuint (hz_room_store_error_status (error), ==, 404);
}

static void
test_reopen_keeps_rooms (Fixture *f, gconstpointer data)
{
  g_autoptr(HzRoom) room = create (f, CONSULT_BODY);
  g_autofree char *before = room_json_text (room);
  g_autofree char *after = NULL;
  g_autoptr(HzRoom) got = NULL;
  g_autoptr(GError) error = NULL;

  fixture_close (f);
  fixture_open (f);
  got = hz_room_store_get (f->store, room->id, &error);
  g_assert_no_error (error);
  after = room_json_text (got);
  g_assert_cmpstr (after, ==, before);
}

static void
test_migrations_idempotent (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HzDb) newer = NULL;
  g_autoptr(HzDbRows) rows = NULL;
  guint n = 0;
  const HzDbMigration *list = hz_db_migrations (&n);

  g_assert_cmpuint (hz_db_schema_version (f->db, &error), ==, list[n - 1].version);
  fixture_close (f);
  fixture_open (f);
  fixture_close (f);
  fixture_open (f);
  g_assert_cmpuint (hz_db_schema_version (f->db, &error), ==, list[n - 1].version);
  g_assert_no_error (error);
  g_assert_cmpuint (count_rows (f, "SELECT COUNT(*) FROM schema_migrations"), ==, n);

  /* A database migrated by a newer program is refused, not damaged. */
  rows = hz_db_query (f->db, "INSERT INTO schema_migrations VALUES (99, 'future', '2030-01-01T00:00:00Z')",
                      NULL, 0, &error);
  g_assert_no_error (error);
  newer = hz_db_open (f->url, &error);
  g_assert_error (error, HZ_DB_ERROR, HZ_DB_ERROR_SCHEMA);
  g_assert_null (newer);
}

static void
test_db_url (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HzDb) other = hz_db_open ("mysql://hz@localhost/hz", &error);
  g_autoptr(HzDb) pg = NULL;
  g_autoptr(HzDb) empty = NULL;

  g_assert_error (error, HZ_DB_ERROR, HZ_DB_ERROR_URL);
  g_assert_null (other);
  g_clear_error (&error);
  /* nothing listens on port 1: the server is unavailable, not the url wrong */
  pg = hz_db_open ("postgresql://hz@127.0.0.1:1/hz", &error);
  g_assert_error (error, HZ_DB_ERROR, HZ_DB_ERROR_UNAVAILABLE);
  g_assert_null (pg);
  g_clear_error (&error);
  empty = hz_db_open ("sqlite:", &error);
  g_assert_error (error, HZ_DB_ERROR, HZ_DB_ERROR_URL);
  g_assert_null (empty);
}

/* A title that looks like SQL is a title: stored and read back verbatim. */
static void
test_sql_looking_title (Fixture *f, gconstpointer data)
{
  const char *title = "Robert'); DROP TABLE rooms;-- \\\"$1\\\" %s";
  const char *expected = "Robert'); DROP TABLE rooms;-- \"$1\" %s";
  g_autofree char *body = g_strdup_printf ("{\"title\": \"%s\", \"kind\": \"consult\", "
                                           "\"starts_at\": \"2025-03-01T08:00:00Z\", "
                                           "\"ends_at\": \"2025-03-01T09:00:00Z\"}", title);
  g_autoptr(HzRoom) room = create (f, body);
  g_autoptr(GError) error = NULL;
  g_autoptr(HzRoom) got = hz_room_store_get (f->store, room->id, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (got->title, ==, expected);
  g_assert_cmpuint (count_rows (f, "SELECT COUNT(*) FROM rooms"), ==, 1);
}

static HzTokenClaims *
claims_for (const char *room_id, const char *user, HzRole role)
{
  HzTokenClaims *c = g_new0 (HzTokenClaims, 1);

  c->room = g_strdup (room_id);
  c->user = g_strdup (user);
  c->display_name = g_strdup_printf ("Dr %s", user);
  c->institution = g_strdup ("青山乡卫生院");
  c->role = role;
  c->iat = 1740800000;
  c->exp = 1740810000;
  c->jti = g_strdup ("jti");
  return c;
}

static void
assert_join_fails (Fixture *f, const char *room_id, const char *pid, const HzTokenClaims *c,
                   const char *when, const char *code, guint status)
{
  g_autoptr(GDateTime) t = at (when);
  g_autoptr(GError) error = NULL;

  g_assert_false (hz_room_store_record_join (f->store, room_id, pid, c, t, &error));
  g_assert_nonnull (error);
  g_assert_cmpstr (hz_room_store_error_code (error), ==, code);
  g_assert_cmpuint (hz_room_store_error_status (error), ==, status);
}

static void
join (Fixture *f, const char *room_id, const char *pid, const HzTokenClaims *c, const char *when)
{
  g_autoptr(GDateTime) t = at (when);
  g_autoptr(GError) error = NULL;

  g_assert_true (hz_room_store_record_join (f->store, room_id, pid, c, t, &error));
  g_assert_no_error (error);
}

static void
test_join_leave_recorded (Fixture *f, gconstpointer data)
{
  g_autoptr(HzRoom) room = create (f, CONSULT_BODY);  /* 00:30Z to 01:30Z */
  g_autoptr(HzTokenClaims) doctor = claims_for (room->id, "dr-li", HZ_ROLE_DOCTOR);
  g_autoptr(HzTokenClaims) elsewhere = claims_for ("another-room", "dr-li", HZ_ROLE_DOCTOR);
  g_autoptr(GDateTime) leave_at = at ("2025-03-01T01:00:00Z");
  g_autoptr(GPtrArray) present = NULL;
  g_autoptr(GPtrArray) all = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) pjson = NULL;
  g_autoptr(HzDbRows) events = NULL;
  HzParticipant *p;

  join (f, room->id, "p-1", doctor, "2025-03-01T00:20:00Z");  /* in the lobby */
  present = hz_room_store_list_participants (f->store, room->id, TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (present->len, ==, 1);
  p = g_ptr_array_index (present, 0);
  g_assert_cmpstr (p->id, ==, "p-1");
  g_assert_cmpstr (p->user_id, ==, "dr-li");
  g_assert_cmpstr (p->institution, ==, "青山乡卫生院");
  g_assert_cmpint (p->role, ==, HZ_ROLE_DOCTOR);
  g_assert_null (p->left_at);
  pjson = hz_participant_to_json (p);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (pjson), "role"), ==, "doctor");

  /* The same participant id twice is a conflict; a token of another room opens nothing. */
  assert_join_fails (f, room->id, "p-1", doctor, "2025-03-01T00:21:00Z", "conflict", 409);
  assert_join_fails (f, room->id, "p-2", elsewhere, "2025-03-01T00:21:00Z", "wrong_room", 403);

  g_assert_true (hz_room_store_record_leave (f->store, "p-1", leave_at, &error));
  g_assert_no_error (error);
  g_assert_false (hz_room_store_record_leave (f->store, "p-1", leave_at, &error));
  g_assert_error (error, HZ_ROOM_STORE_ERROR, HZ_ROOM_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_clear_pointer (&present, g_ptr_array_unref);
  present = hz_room_store_list_participants (f->store, room->id, TRUE, &error);
  g_assert_cmpuint (present->len, ==, 0);
  all = hz_room_store_list_participants (f->store, room->id, FALSE, &error);
  g_assert_cmpuint (all->len, ==, 1);
  p = g_ptr_array_index (all, 0);
  g_assert_nonnull (p->left_at);
  g_assert_true (g_date_time_equal (p->left_at, leave_at));

  events = hz_db_query (f->db, "SELECT kind, actor, at FROM consult_events WHERE kind <> 'state' ORDER BY id",
                       NULL, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (events->n_rows, ==, 2);  /* failed joins left no trace */
  g_assert_cmpstr (hz_db_rows_get (events, 0, 0), ==, "join");
  g_assert_cmpstr (hz_db_rows_get (events, 0, 1), ==, "dr-li");
  g_assert_cmpstr (hz_db_rows_get (events, 0, 2), ==, "2025-03-01T00:20:00Z");
  g_assert_cmpstr (hz_db_rows_get (events, 1, 0), ==, "leave");
  g_assert_cmpstr (hz_db_rows_get (events, 1, 2), ==, "2025-03-01T01:00:00Z");
}

static void
test_join_window_and_capacity (Fixture *f, gconstpointer data)
{
  g_autoptr(HzRoom) room = create (f, ROOM_WITH (", \"capacity\": 2"));  /* 08:00Z to 09:00Z */
  g_autoptr(HzTokenClaims) a = claims_for (room->id, "a", HZ_ROLE_SPECIALIST);
  g_autoptr(HzTokenClaims) b = claims_for (room->id, "b", HZ_ROLE_DOCTOR);
  g_autoptr(HzTokenClaims) c = claims_for (room->id, "c", HZ_ROLE_OBSERVER);
  g_autoptr(GDateTime) leave_at = at ("2025-03-01T08:40:00Z");
  g_autoptr(GError) error = NULL;

  assert_join_fails (f, room->id, "p-a", a, "2025-03-01T07:44:59Z", "room_not_open", 409);
  assert_join_fails (f, room->id, "p-a", a, "2025-03-01T09:10:01Z", "room_closed", 410);
  join (f, room->id, "p-a", a, "2025-03-01T07:45:00Z");  /* the lobby's first second */
  join (f, room->id, "p-b", b, "2025-03-01T09:10:00Z");  /* the grace's last second */
  assert_join_fails (f, room->id, "p-c", c, "2025-03-01T08:30:00Z", "room_full", 409);
  g_assert_true (hz_room_store_record_leave (f->store, "p-a", leave_at, &error));
  join (f, room->id, "p-c", c, "2025-03-01T08:41:00Z");

  g_assert_true (hz_room_store_set_state (f->store, room->id, HZ_ROOM_STATE_CLOSED, &error));
  g_assert_true (hz_room_store_record_leave (f->store, "p-c", leave_at, &error));
  assert_join_fails (f, room->id, "p-d", c, "2025-03-01T08:45:00Z", "room_closed", 410);
}

static void
test_state_transitions (Fixture *f, gconstpointer data)
{
  g_autoptr(HzRoom) room = create (f, CONSULT_BODY);
  g_autoptr(HzRoom) got = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (hz_room_store_set_state (f->store, room->id, HZ_ROOM_STATE_OPEN, &error));
  g_assert_true (hz_room_store_set_state (f->store, room->id, HZ_ROOM_STATE_LIVE, &error));
  g_assert_true (hz_room_store_set_state (f->store, room->id, HZ_ROOM_STATE_LIVE, &error));  /* no-op */
  g_assert_true (hz_room_store_set_state (f->store, room->id, HZ_ROOM_STATE_CLOSED, &error));
  g_assert_no_error (error);
  g_assert_false (hz_room_store_set_state (f->store, room->id, HZ_ROOM_STATE_OPEN, &error));
  g_assert_error (error, HZ_ROOM_STORE_ERROR, HZ_ROOM_STORE_ERROR_INVALID_STATE);
  g_assert_cmpstr (hz_room_store_error_code (error), ==, "invalid_state");
  g_assert_cmpuint (hz_room_store_error_status (error), ==, 409);
  g_clear_error (&error);
  g_assert_false (hz_room_store_set_state (f->store, "no-such-room", HZ_ROOM_STATE_OPEN, &error));
  g_assert_error (error, HZ_ROOM_STORE_ERROR, HZ_ROOM_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  got = hz_room_store_get (f->store, room->id, &error);
  g_assert_cmpint (got->state, ==, HZ_ROOM_STATE_CLOSED);
  g_assert_cmpuint (count_rows (f, "SELECT COUNT(*) FROM consult_events WHERE kind = 'state'"), ==, 3);
}

static void
test_error_codes_other_domains (void)
{
  g_autoptr(GError) io = g_error_new_literal (G_IO_ERROR, 0, "disk on fire");

  g_assert_cmpstr (hz_room_store_error_code (io), ==, "internal_error");
  g_assert_cmpuint (hz_room_store_error_status (io), ==, 500);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/room-store/create-valid", test_create_valid);
  ADD ("/room-store/create-invalid", test_create_invalid);
  ADD ("/room-store/create-limits", test_create_limits);
  ADD ("/room-store/get-and-not-found", test_get_and_not_found);
  ADD ("/room-store/reopen-keeps-rooms", test_reopen_keeps_rooms);
  ADD ("/room-store/migrations-idempotent", test_migrations_idempotent);
  ADD ("/room-store/sql-looking-title", test_sql_looking_title);
  ADD ("/room-store/join-leave-recorded", test_join_leave_recorded);
  ADD ("/room-store/join-window-and-capacity", test_join_window_and_capacity);
  ADD ("/room-store/state-transitions", test_state_transitions);
#undef ADD
  g_test_add_func ("/room-store/db-url", test_db_url);
  g_test_add_func ("/room-store/error-codes-other-domains", test_error_codes_other_domains);
  return g_test_run ();
}
