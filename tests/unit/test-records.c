/* Tests of the consult records, room lifecycle by time, the audit chain and
 * the journal (rooms/hz-consult, hz-room-store, hz-audit, hz-room-writes),
 * against the database of hz-test-db.h: SQLite by default, a real
 * PostgreSQL under tests/pg/run-with-postgres.sh (where the journal test
 * stops and restarts the server). */
#include <glib/gstdio.h>

#include "hz-audit.h"
#include "hz-consult.h"
#include "hz-room-store.h"
#include "hz-journal.h"
#include "hz-test-db.h"

typedef struct {
  char        *dir;
  char        *url;
  HzDb        *db;
  HzRoomStore *store;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("hz-records-XXXXXX", NULL);
  f->url = hz_test_db_url_new (f->dir);
  f->db = hz_db_open (f->url, &error);
  g_assert_no_error (error);
  f->store = hz_room_store_new (f->db);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", f->dir);

  g_clear_pointer (&f->store, hz_room_store_free);
  g_clear_pointer (&f->db, hz_db_unref);
  hz_test_db_drop (f->url);
  g_spawn_command_line_sync (cmd, NULL, NULL, NULL, NULL);
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

static GDateTime *
at (const char *text)
{
  GDateTime *t = hz_room_parse_time (text);
  g_assert_nonnull (t);
  return t;
}

static guint64
count (Fixture *f, const char *sql)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HzDbRows) rows = hz_db_query (f->db, sql, NULL, 0, &error);

  g_assert_no_error (error);
  return g_ascii_strtoull (hz_db_rows_get (rows, 0, 0), NULL, 10);
}

static void
join (Fixture *f, const char *room, const char *pid, const char *user, const char *inst, HzRole role,
      const char *when)
{
  HzTokenClaims claims = { .room = (char *) room, .user = (char *) user, .display_name = (char *) user,
                           .institution = (char *) inst, .role = role };
  g_autoptr(GDateTime) t = at (when);
  g_autoptr(GError) error = NULL;

  g_assert_true (hz_room_store_record_join (f->store, room, pid, &claims, t, &error));
  g_assert_no_error (error);
}

static void
leave (Fixture *f, const char *pid, const char *when)
{
  g_autoptr(GDateTime) t = at (when);
  g_autoptr(GError) error = NULL;

  g_assert_true (hz_room_store_record_leave (f->store, pid, t, &error));
  g_assert_no_error (error);
}

/* request → accept (room with the consult's id) → consent → session →
 * conclusion with an upward referral: the record holds every step. */
static void
test_consult_workflow (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) req = parse ("{\"inviting_institution\": \"Township Clinic A\","
                                   " \"invited_institution\": \"Lead Hospital\","
                                   " \"reason\": \"suspected pneumonia\","
                                   " \"patient_context\": {\"age\": 67, \"study\": \"CT chest\"},"
                                   " \"requested_by\": \"dr.li\"}");
  g_autoptr(JsonNode) accept = parse ("{\"title\": \"CT review\", \"starts_at\": \"2030-01-01T09:00:00Z\","
                                      " \"ends_at\": \"2030-01-01T10:00:00Z\", \"accepted_by\": \"dr.wang\"}");
  g_autoptr(JsonNode) consent = parse ("{\"confirmed_by\": \"dr.li\", \"at\": \"2030-01-01T08:55:00Z\"}");
  g_autofree char *id = hz_consult_request (f->store, req, &error);
  g_autoptr(HzRoom) room = NULL;
  g_autoptr(JsonNode) rec = NULL;
  JsonObject *o, *conclusion;
  JsonArray *parts;

  g_assert_no_error (error);
  room = hz_consult_accept (f->store, id, accept, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (room->id, ==, id);
  g_assert_cmpstr (room->host_institution, ==, "Lead Hospital");
  /* a second accept is refused, nothing changes */
  g_assert_null (hz_consult_accept (f->store, id, accept, &error));
  g_assert_error (error, HZ_ROOM_STORE_ERROR, HZ_ROOM_STORE_ERROR_INVALID_STATE);
  g_clear_error (&error);
  g_assert_true (hz_consult_consent (f->store, id, consent, &error));
  join (f, id, "p-doc", "dr.li", "Township Clinic A", HZ_ROLE_DOCTOR, "2030-01-01T09:00:00Z");
  join (f, id, "p-spec", "dr.wang", "Lead Hospital", HZ_ROLE_SPECIALIST, "2030-01-01T09:01:00Z");
  g_assert_true (hz_room_store_record_document (f->store, id, "p-doc", "doc-1", "dicom", "CT series",
                                                at ("2030-01-01T09:02:00Z"), &error));
  g_assert_true (hz_room_store_record_recording (f->store, id, "p-spec", "rec-1", "started",
                                                 at ("2030-01-01T09:03:00Z"), &error));
  /* bad conclusions change nothing */
  g_assert_false (hz_room_store_conclude (f->store, id, "p-spec", "", NULL, NULL, &error));
  g_assert_error (error, HZ_ROOM_STORE_ERROR, HZ_ROOM_STORE_ERROR_INVALID_FIELD);
  g_clear_error (&error);
  g_assert_false (hz_room_store_conclude (f->store, id, "p-spec", "ok", "sideways", "X", &error));
  g_assert_error (error, HZ_ROOM_STORE_ERROR, HZ_ROOM_STORE_ERROR_INVALID_FIELD);
  g_clear_error (&error);
  g_assert_false (hz_room_store_conclude (f->store, id, "p-spec", "ok", "up", NULL, &error));
  g_assert_error (error, HZ_ROOM_STORE_ERROR, HZ_ROOM_STORE_ERROR_INVALID_FIELD);
  g_clear_error (&error);
  g_assert_true (hz_room_store_conclude (f->store, id, "p-spec", "肺炎，建议上转", "up", "Lead Hospital", &error));
  g_assert_no_error (error);
  leave (f, "p-doc", "2030-01-01T09:40:00Z");

  rec = hz_consult_get_json (f->store, id, &error);
  g_assert_no_error (error);
  o = json_node_get_object (rec);
  g_assert_cmpstr (json_object_get_string_member (o, "status"), ==, "concluded");
  g_assert_cmpstr (json_object_get_string_member (o, "inviting_institution"), ==, "Township Clinic A");
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (o, "patient_context"), "age"), ==, 67);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (o, "consent"), "confirmed_by"), ==, "dr.li");
  conclusion = json_object_get_object_member (o, "conclusion");
  g_assert_cmpstr (json_object_get_string_member (conclusion, "text"), ==, "肺炎，建议上转");
  g_assert_cmpstr (json_object_get_string_member (conclusion, "by"), ==, "dr.wang");
  g_assert_cmpstr (json_object_get_string_member (conclusion, "institution"), ==, "Lead Hospital");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (conclusion, "referral"), "direction"), ==, "up");
  parts = json_object_get_array_member (o, "participants");
  g_assert_cmpuint (json_array_get_length (parts), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (parts, 0), "left_at"), ==, "2030-01-01T09:40:00Z");
  g_assert_true (json_object_get_null_member (json_array_get_object_element (parts, 1), "left_at") == FALSE ||
                 json_object_get_member (json_array_get_object_element (parts, 1), "left_at") != NULL);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (o, "documents")), ==, 1);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (o, "recordings")), ==, 1);
  /* retention: 15 years from creation by default */
  g_assert_true (g_str_has_prefix (json_object_get_string_member (o, "retain_until"),
                                   json_object_get_string_member (o, "created_at") == NULL ? "" : ""));
  {
    g_autoptr(GDateTime) created = at (json_object_get_string_member (o, "created_at"));
    g_autoptr(GDateTime) until = at (json_object_get_string_member (o, "retain_until"));
    g_assert_cmpint (g_date_time_get_year (until) - g_date_time_get_year (created), ==, 15);
  }
}

static void
test_consult_list_filters (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) b1 = parse ("{\"title\": \"A\", \"kind\": \"consult\", \"host_institution\": \"H1\","
                                  " \"starts_at\": \"2030-01-01T09:00:00Z\", \"ends_at\": \"2030-01-01T10:00:00Z\"}");
  g_autoptr(JsonNode) b2 = parse ("{\"title\": \"B\", \"kind\": \"consult\", \"host_institution\": \"H2\","
                                  " \"starts_at\": \"2030-02-01T09:00:00Z\", \"ends_at\": \"2030-02-01T10:00:00Z\"}");
  g_autoptr(HzRoom) r1 = hz_room_store_create_from_json (f->store, b1, &error);
  g_autoptr(HzRoom) r2 = hz_room_store_create_from_json (f->store, b2, &error);
  HzConsultFilter filter = { 0 };
  g_autoptr(GDateTime) feb = at ("2030-01-15T00:00:00Z");
  JsonNode *page;
  JsonArray *list;

  g_assert_no_error (error);
  join (f, r1->id, "p1", "dr.zhao", "County Hospital", HZ_ROLE_DOCTOR, "2030-01-01T09:00:00Z");

  filter.institution = "County Hospital";  /* a participant's institution */
  page = hz_consult_list_json (f->store, &filter, &error);
  list = json_object_get_array_member (json_node_get_object (page), "consults");
  g_assert_cmpuint (json_array_get_length (list), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (list, 0), "id"), ==, r1->id);
  json_node_unref (page);

  memset (&filter, 0, sizeof filter);
  filter.participant = "dr.zhao";
  page = hz_consult_list_json (f->store, &filter, &error);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (json_node_get_object (page), "consults")), ==, 1);
  json_node_unref (page);

  memset (&filter, 0, sizeof filter);
  filter.from = feb;
  page = hz_consult_list_json (f->store, &filter, &error);
  list = json_object_get_array_member (json_node_get_object (page), "consults");
  g_assert_cmpuint (json_array_get_length (list), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (list, 0), "id"), ==, r2->id);
  json_node_unref (page);

  /* paging: one per page, newest first, then the next */
  memset (&filter, 0, sizeof filter);
  filter.limit = 1;
  page = hz_consult_list_json (f->store, &filter, &error);
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (page), "next_offset"), ==, 1);
  list = json_object_get_array_member (json_node_get_object (page), "consults");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (list, 0), "id"), ==, r2->id);
  json_node_unref (page);
  filter.offset = 1;
  page = hz_consult_list_json (f->store, &filter, &error);
  g_assert_true (json_object_get_null_member (json_node_get_object (page), "next_offset"));
  json_node_unref (page);

  /* retention: nothing is due in 2030, everything in 2060 */
  g_assert_cmpuint (hz_consult_purge (f->store, feb, &error), ==, 0);
  {
    g_autoptr(GDateTime) later = at ("2060-01-01T00:00:00Z");
    g_autoptr(HzRoom) gone = NULL;
    g_assert_cmpuint (hz_consult_purge (f->store, later, &error), ==, 2);
    g_assert_no_error (error);
    g_assert_cmpuint (count (f, "SELECT COUNT(*) FROM participants"), ==, 0);
  }
}

/* scheduled → open at the lobby → live at the first join → closed when
 * empty long enough; another room closes after ends_at + grace. */
static void
test_tick_lifecycle (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) b1 = parse ("{\"title\": \"A\", \"kind\": \"consult\","
                                  " \"starts_at\": \"2030-01-01T09:00:00Z\", \"ends_at\": \"2030-01-01T10:00:00Z\"}");
  g_autoptr(JsonNode) b2 = parse ("{\"title\": \"B\", \"kind\": \"teaching\","
                                  " \"starts_at\": \"2030-01-01T09:00:00Z\", \"ends_at\": \"2030-01-01T09:30:00Z\"}");
  g_autoptr(HzRoom) r1 = hz_room_store_create_from_json (f->store, b1, &error);
  g_autoptr(HzRoom) r2 = hz_room_store_create_from_json (f->store, b2, &error);
  HzRoomPolicy policy = { .lobby_s = 5 * 60, .grace_s = 60, .empty_close_s = 120, .retention_years = 15,
                          .audit_retention_days = 1 };
  GPtrArray *closed;
  g_autoptr(HzRoom) got = NULL;

  hz_room_store_set_policy (f->store, &policy);
  g_assert_cmpuint (hz_room_store_get_policy (f->store)->audit_retention_days, ==, HZ_AUDIT_RETENTION_MIN_DAYS);
  closed = hz_room_store_tick (f->store, at ("2030-01-01T08:54:00Z"), &error);
  g_assert_cmpuint (closed->len, ==, 0);
  g_ptr_array_unref (closed);
  got = hz_room_store_get (f->store, r1->id, &error);
  g_assert_cmpint (got->state, ==, HZ_ROOM_STATE_SCHEDULED);
  g_clear_pointer (&got, hz_room_free);
  closed = hz_room_store_tick (f->store, at ("2030-01-01T08:55:00Z"), &error);
  g_ptr_array_unref (closed);
  got = hz_room_store_get (f->store, r1->id, &error);
  g_assert_cmpint (got->state, ==, HZ_ROOM_STATE_OPEN);
  g_clear_pointer (&got, hz_room_free);

  join (f, r1->id, "p1", "u1", "I", HZ_ROLE_DOCTOR, "2030-01-01T09:00:00Z");
  got = hz_room_store_get (f->store, r1->id, &error);
  g_assert_cmpint (got->state, ==, HZ_ROOM_STATE_LIVE);
  g_clear_pointer (&got, hz_room_free);
  leave (f, "p1", "2030-01-01T09:10:00Z");

  closed = hz_room_store_tick (f->store, at ("2030-01-01T09:11:00Z"), &error);
  g_assert_cmpuint (closed->len, ==, 0);  /* empty for 1 of 2 minutes */
  g_ptr_array_unref (closed);
  closed = hz_room_store_tick (f->store, at ("2030-01-01T09:12:00Z"), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (closed->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (closed, 0), ==, r1->id);
  g_ptr_array_unref (closed);

  closed = hz_room_store_tick (f->store, at ("2030-01-01T09:31:01Z"), &error);
  g_assert_cmpuint (closed->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (closed, 0), ==, r2->id);
  g_ptr_array_unref (closed);
}

static void
test_reschedule_overlap_cancel (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) b1 = parse ("{\"title\": \"A\", \"kind\": \"consult\", \"host_institution\": \"H\","
                                  " \"starts_at\": \"2030-01-01T09:00:00Z\", \"ends_at\": \"2030-01-01T10:00:00Z\"}");
  g_autoptr(JsonNode) b2 = parse ("{\"title\": \"B\", \"kind\": \"consult\", \"host_institution\": \"H\","
                                  " \"no_overlap\": true,"
                                  " \"starts_at\": \"2030-01-01T09:30:00Z\", \"ends_at\": \"2030-01-01T10:30:00Z\"}");
  g_autoptr(JsonNode) move = parse ("{\"starts_at\": \"2030-01-01T11:00:00Z\", \"ends_at\": \"2030-01-01T12:00:00Z\"}");
  g_autoptr(JsonNode) bad = parse ("{\"ends_at\": \"2030-01-01T08:00:00Z\"}");
  g_autoptr(JsonNode) kind = parse ("{\"kind\": \"teaching\"}");
  g_autoptr(GDateTime) now = at ("2029-12-01T00:00:00Z");
  g_autoptr(HzRoom) r1 = hz_room_store_create_from_json (f->store, b1, &error);
  g_autoptr(HzRoom) r2 = NULL, moved = NULL, cancelled = NULL;
  HzRoomState previous;

  g_assert_no_error (error);
  r2 = hz_room_store_create_from_json (f->store, b2, &error);
  g_assert_error (error, HZ_ROOM_STORE_ERROR, HZ_ROOM_STORE_ERROR_OVERLAP);
  g_assert_null (r2);
  g_clear_error (&error);
  g_assert_cmpuint (count (f, "SELECT COUNT(*) FROM rooms"), ==, 1);

  g_assert_null (hz_room_store_update_from_json (f->store, r1->id, bad, now, &error));
  g_assert_error (error, HZ_ROOM_STORE_ERROR, HZ_ROOM_STORE_ERROR_INVALID_FIELD);
  g_clear_error (&error);
  g_assert_null (hz_room_store_update_from_json (f->store, r1->id, kind, now, &error));
  g_assert_error (error, HZ_ROOM_STORE_ERROR, HZ_ROOM_STORE_ERROR_INVALID_FIELD);
  g_clear_error (&error);
  moved = hz_room_store_update_from_json (f->store, r1->id, move, now, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (moved->title, ==, "A");
  r2 = hz_room_store_create_from_json (f->store, b2, &error);  /* now free */
  g_assert_no_error (error);

  cancelled = hz_room_store_cancel (f->store, r1->id, &previous, &error);
  g_assert_no_error (error);
  g_assert_cmpint (cancelled->state, ==, HZ_ROOM_STATE_CLOSED);
  g_assert_cmpint (previous, ==, HZ_ROOM_STATE_SCHEDULED);
  g_assert_null (hz_room_store_cancel (f->store, r1->id, NULL, &error));
  g_assert_error (error, HZ_ROOM_STORE_ERROR, HZ_ROOM_STORE_ERROR_INVALID_STATE);
  g_clear_error (&error);
  g_assert_null (hz_room_store_update_from_json (f->store, r1->id, move, now, &error));
  g_assert_error (error, HZ_ROOM_STORE_ERROR, HZ_ROOM_STORE_ERROR_INVALID_STATE);
}

/* Altering, deleting or relinking any row is found at that row; a purge
 * leaves an anchor so the rest still verifies. */
static void
test_audit_chain_tamper (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HzDbRows) rows = NULL;
  gint64 broken = -1;

  for (int i = 0; i < 6; i++) {
    g_autofree char *target = g_strdup_printf ("room-%d", i);
    g_assert_true (hz_audit_append (f->store, "admin", "Lead Hospital", "token_issued", target, "ok", NULL, &error));
    g_assert_no_error (error);
  }
  g_assert_true (hz_audit_verify (f->db, &broken, &error));
  g_assert_cmpint (broken, ==, 0);

  rows = hz_db_query (f->db, "UPDATE audit_log SET outcome = 'denied' WHERE id = 4", NULL, 0, &error);
  g_assert_no_error (error);
  g_assert_true (hz_audit_verify (f->db, &broken, &error));
  g_assert_cmpint (broken, ==, 4);
  g_clear_pointer (&rows, hz_db_rows_free);
  rows = hz_db_query (f->db, "UPDATE audit_log SET outcome = 'ok' WHERE id = 4", NULL, 0, &error);
  g_assert_true (hz_audit_verify (f->db, &broken, &error));
  g_assert_cmpint (broken, ==, 0);

  g_clear_pointer (&rows, hz_db_rows_free);
  rows = hz_db_query (f->db, "DELETE FROM audit_log WHERE id = 3", NULL, 0, &error);
  g_assert_true (hz_audit_verify (f->db, &broken, &error));
  g_assert_cmpint (broken, ==, 3);
}

static void
test_audit_purge_anchor (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HzDbRows) rows = NULL;
  g_autoptr(GDateTime) future = at ("2999-01-01T00:00:00Z");
  gint64 broken = -1;

  for (int i = 0; i < 3; i++)
    g_assert_true (hz_audit_append (f->store, "admin", NULL, "room_create", NULL, "ok", NULL, &error));
  rows = hz_db_query (f->db, "UPDATE audit_log SET at = '2000-01-01T00:00:00Z' WHERE id <= 2", NULL, 0, &error);
  /* that edit breaks entry 1; purge it away with entry 2 */
  g_assert_true (hz_audit_verify (f->db, &broken, &error));
  g_assert_cmpint (broken, ==, 1);
  {
    g_autoptr(GDateTime) cut = at ("2001-01-01T00:00:00Z");
    g_assert_cmpuint (hz_audit_purge (f->db, cut, &error), ==, 2);
  }
  /* entry 3 still links to the anchor (entry 2's stored hash) */
  g_assert_true (hz_audit_verify (f->db, &broken, &error));
  g_assert_cmpint (broken, ==, 0);
  g_assert_true (hz_audit_append (f->store, "admin", NULL, "room_create", NULL, "ok", NULL, &error));
  g_assert_true (hz_audit_verify (f->db, &broken, &error));
  g_assert_cmpint (broken, ==, 0);
  g_assert_cmpuint (hz_audit_purge (f->db, future, &error), ==, 2);
  g_assert_true (hz_audit_verify (f->db, &broken, &error));
  g_assert_cmpint (broken, ==, 0);
}

static void
run (const char *command)
{
  g_autoptr(GError) error = NULL;
  int status = 0;

  g_assert_true (g_spawn_command_line_sync (command, NULL, NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
}

/* A real PostgreSQL stops in the middle of a consult; the consult goes on
 * (joins, leaves, documents, conclusion, audit go to the journal); the server
 * returns; a flush writes every record exactly once, in order; a second
 * flush and a reopened store add nothing. */
static void
test_journal_postgres_outage (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) body = parse ("{\"title\": \"A\", \"kind\": \"consult\","
                                    " \"starts_at\": \"2030-01-01T09:00:00Z\", \"ends_at\": \"2030-01-01T10:00:00Z\"}");
  g_autoptr(HzRoom) room = NULL;
  g_autofree char *journal = g_build_filename (f->dir, "journal", "records.jsonl", NULL);
  gint64 broken = -1;

  if (!hz_test_db_is_postgres () || g_getenv ("HUIZHEN_TEST_PG_STOP") == NULL) {
    g_test_skip ("needs tests/pg/run-with-postgres.sh");
    return;
  }
  g_assert_true (hz_room_store_set_journal (f->store, journal, &error));
  room = hz_room_store_create_from_json (f->store, body, &error);
  g_assert_no_error (error);
  join (f, room->id, "p1", "dr.li", "Clinic", HZ_ROLE_DOCTOR, "2030-01-01T09:00:00Z");
  g_assert_true (hz_audit_append (f->store, "dr.li", "Clinic", "join", room->id, "ok", NULL, &error));

  run (g_getenv ("HUIZHEN_TEST_PG_STOP"));
  join (f, room->id, "p2", "dr.wang", "Lead", HZ_ROLE_SPECIALIST, "2030-01-01T09:01:00Z");
  g_assert_cmpuint (hz_room_store_journal_length (f->store), ==, 1);
  g_assert_true (hz_audit_append (f->store, "dr.wang", "Lead", "join", room->id, "ok", NULL, &error));
  g_assert_true (hz_room_store_record_document (f->store, room->id, "p1", "doc-1", "pdf", "report.pdf",
                                                at ("2030-01-01T09:02:00Z"), &error));
  g_assert_true (hz_room_store_conclude (f->store, room->id, "p2", "benign", NULL, NULL, &error));
  leave (f, "p1", "2030-01-01T09:30:00Z");
  leave (f, "p2", "2030-01-01T09:31:00Z");
  g_assert_no_error (error);
  g_assert_cmpuint (hz_room_store_journal_length (f->store), ==, 6);
  g_assert_false (hz_room_store_flush (f->store, &error));  /* still down: kept */
  g_assert_error (error, HZ_DB_ERROR, HZ_DB_ERROR_UNAVAILABLE);
  g_clear_error (&error);
  g_assert_cmpuint (hz_room_store_journal_length (f->store), ==, 6);

  run (g_getenv ("HUIZHEN_TEST_PG_START"));
  g_assert_true (hz_room_store_flush (f->store, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (hz_room_store_journal_length (f->store), ==, 0);
  g_assert_true (hz_room_store_flush (f->store, &error));

  g_assert_cmpuint (count (f, "SELECT COUNT(*) FROM participants WHERE left_at IS NOT NULL"), ==, 2);
  g_assert_cmpuint (count (f, "SELECT COUNT(*) FROM consult_events WHERE kind = 'join'"), ==, 2);
  g_assert_cmpuint (count (f, "SELECT COUNT(*) FROM consult_events WHERE kind = 'leave'"), ==, 2);
  g_assert_cmpuint (count (f, "SELECT COUNT(*) FROM consult_events WHERE kind = 'document'"), ==, 1);
  g_assert_cmpuint (count (f, "SELECT COUNT(*) FROM consult_events WHERE kind = 'conclusion'"), ==, 1);
  g_assert_cmpuint (count (f, "SELECT COUNT(*) FROM consults WHERE status = 'concluded'"), ==, 1);
  g_assert_cmpuint (count (f, "SELECT COUNT(*) FROM audit_log"), ==, 2);
  g_assert_true (hz_audit_verify (f->db, &broken, &error));
  g_assert_cmpint (broken, ==, 0);

  /* a crash after applying but before trimming the journal: replaying the
   * same keys again adds nothing */
  {
    g_autoptr(JsonObject) args = json_object_new ();
    g_autofree char *key = NULL;
    g_autoptr(HzDbRows) rows = hz_db_query (f->db, "SELECT key FROM applied_keys ORDER BY applied_at LIMIT 1",
                                            NULL, 0, &error);
    g_autoptr(HzJournal) j = hz_journal_open (journal, &error);
    key = g_strdup (hz_db_rows_get (rows, 0, 0));
    json_object_set_string_member (args, "participant_id", "p1");
    json_object_set_string_member (args, "at", "2030-01-01T09:30:00Z");
    g_assert_true (hz_journal_append (j, key, "leave", args, &error));
  }
  g_clear_pointer (&f->store, hz_room_store_free);
  f->store = hz_room_store_new (f->db);
  g_assert_true (hz_room_store_set_journal (f->store, journal, &error));  /* replays on open */
  g_assert_cmpuint (hz_room_store_journal_length (f->store), ==, 0);
  g_assert_cmpuint (count (f, "SELECT COUNT(*) FROM consult_events WHERE kind = 'leave'"), ==, 2);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/records/consult-workflow", test_consult_workflow);
  ADD ("/records/consult-list-filters", test_consult_list_filters);
  ADD ("/records/tick-lifecycle", test_tick_lifecycle);
  ADD ("/records/reschedule-overlap-cancel", test_reschedule_overlap_cancel);
  ADD ("/records/audit-chain-tamper", test_audit_chain_tamper);
  ADD ("/records/audit-purge-anchor", test_audit_purge_anchor);
  ADD ("/records/journal-postgres-outage", test_journal_postgres_outage);
#undef ADD
  return g_test_run ();
}
