/*
 * End-to-end tests of the document routes (signaling/hz-api-documents) on
 * a real HTTP port with a SQLite store: a CT series shared de-identified
 * by multipart upload and fetched by a participant (checked with dcmdump,
 * pixels byte-identical), a PDF by raw body with a doctor's token, the
 * consult record and audit entries, the room told; refusals that store
 * nothing: wrong room, student in a consult, no key, a fake DICOM, a
 * hostile DICOM, too large (413 before the body is sent), too many files
 * (413 while streaming). With ORTHANC_URL set (tests/pacs/run-with-orthanc.sh)
 * a study is searched and pulled from a real Orthanc over DICOMweb.
 */
#define _GNU_SOURCE /* memmem */
#include <libsoup/soup.h>
#include <string.h>

#include "hz-api-documents.h"
#include "hz-audit.h"
#include "hz-dicom-fixture.h"
#include "hz-room-store.h"
#include "test-http-client.h"

#define KEY "adm1n-k3y-for-d0cs"
#define SECRET "t0ken-secret-of-the-d0cs-test"
#define BOUNDARY "hzBoUnDaRy7"

typedef struct {
  char *dir, *data_dir, *src;
  HzHttpServer *server;
  guint16 port;
  HzDb *db;
  HzRoomStore *store;
  HzApiContext api;
  HzApiDocumentsContext docs;
  GPtrArray *shared; /* "room:doc_id" told to the room */
  char *consult, *teaching, *other;
  GPtrArray *series;
} Fixture;

static gboolean
have_program (const char *name)
{
  g_autofree char *path = g_find_program_in_path (name);
  return path != NULL;
}

static void
document_shared (const char *room_id, JsonNode *doc, const char *by, gpointer data)
{
  Fixture *f = data;
  g_ptr_array_add (f->shared, g_strdup_printf ("%s:%s", room_id,
                                               json_object_get_string_member (json_node_get_object (doc), "id")));
}

static char *
make_room (Fixture *f, const char *kind)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GDateTime) end = g_date_time_add_hours (now, 2);
  g_autofree char *a = g_date_time_format_iso8601 (now);
  g_autofree char *b = g_date_time_format_iso8601 (end);
  g_autofree char *json = g_strdup_printf ("{\"title\":\"t\",\"kind\":\"%s\",\"starts_at\":\"%s\",\"ends_at\":\"%s\"}",
                                           kind, a, b);
  g_autoptr(JsonNode) node = json_from_string (json, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(HzRoom) room = hz_room_store_create_from_json (f->store, node, &error);

  g_assert_no_error (error);
  return g_strdup (room->id);
}

static char *
token (const char *room, HzRole role)
{
  HzTokenClaims c = { (char *) room, "u-" G_STRINGIFY (__LINE__), "Dr Test", "County Hospital", role, 0, 0, NULL };
  g_autoptr(GError) error = NULL;
  char *t;

  c.user = (char *) hz_role_to_string (role);
  c.iat = g_get_real_time () / G_USEC_PER_SEC;
  c.exp = c.iat + 3600;
  t = hz_token_issue (SECRET, &c, &error);
  g_assert_no_error (error);
  return t;
}

static void
setup (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;

  f->dir = g_dir_make_tmp ("hz-api-docs-XXXXXX", NULL);
  f->data_dir = g_build_filename (f->dir, "data", NULL);
  f->src = g_build_filename (f->dir, "src", NULL);
  g_mkdir_with_parents (f->src, 0700);
  url = g_strdup_printf ("sqlite:%s/db/huizhen.db", f->dir);
  f->db = hz_db_open (url, &error);
  g_assert_no_error (error);
  f->store = hz_room_store_new (f->db);
  f->server = hz_http_server_new ("127.0.0.1:0", NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  f->port = hz_http_server_get_port (f->server);
  f->api.admin_key = KEY;
  f->api.token_secret = SECRET;
  f->api.store = f->store;
  f->docs.api = &f->api;
  f->docs.data_dir = f->data_dir;
  f->docs.max_upload_bytes = 256 * 1024;
  f->docs.max_files = 8;
  f->docs.pacs.url = g_getenv ("ORTHANC_URL") != NULL ? g_strconcat (g_getenv ("ORTHANC_URL"), "/dicom-web", NULL)
                                                      : NULL;
  f->docs.document_shared = document_shared;
  f->docs.user_data = f;
  f->shared = g_ptr_array_new_with_free_func (g_free);
  hz_api_documents_register (f->server, &f->docs);
  f->consult = make_room (f, "consult");
  f->teaching = make_room (f, "teaching");
  f->other = make_room (f, "consult");
  f->series = hz_dicom_fixture_ct_series (f->src, 8, FALSE, &error);
  g_assert_no_error (error);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", f->dir);

  g_clear_pointer (&f->server, hz_http_server_free);
  g_clear_pointer (&f->store, hz_room_store_free);
  g_clear_pointer (&f->db, hz_db_unref);
  g_spawn_command_line_sync (cmd, NULL, NULL, NULL, NULL);
  g_ptr_array_unref (f->shared);
  g_ptr_array_unref (f->series);
  g_free ((char *) f->docs.pacs.url);
  g_free (f->consult);
  g_free (f->teaching);
  g_free (f->other);
  g_free (f->src);
  g_free (f->data_dir);
  g_free (f->dir);
}

static Resp *
send_body (Fixture *f, const char *method, const char *path, const char *auth, const char *ctype,
           const void *body, gsize len)
{
  g_autoptr(Client) c = client_new (f->port);
  g_autoptr(GString) head = g_string_new (NULL);

  g_string_append_printf (head, "%s %s HTTP/1.1\r\nHost: x\r\n", method, path);
  if (auth != NULL)
    g_string_append_printf (head, "Authorization: Bearer %s\r\n", auth);
  if (ctype != NULL)
    g_string_append_printf (head, "Content-Type: %s\r\n", ctype);
  g_string_append_printf (head, "Content-Length: %zu\r\n\r\n", len);
  client_send_str (c, head->str);
  if (len > 0)
    client_send (c, body, len);
  return client_read_response (c);
}

static GByteArray *
multipart (GPtrArray *paths, const char *first_name)
{
  GByteArray *b = g_byte_array_new ();

  for (guint i = 0; i < paths->len; i++) {
    g_autofree char *base = g_path_get_basename (g_ptr_array_index (paths, i));
    g_autofree char *head = g_strdup_printf ("--" BOUNDARY "\r\nContent-Disposition: form-data; name=\"file\"; "
                                             "filename=\"%s\"\r\nContent-Type: application/dicom\r\n\r\n",
                                             i == 0 && first_name != NULL ? first_name : base);
    g_autofree char *data = NULL;
    gsize len = 0;
    g_assert_true (g_file_get_contents (g_ptr_array_index (paths, i), &data, &len, NULL));
    g_byte_array_append (b, (const guint8 *) head, strlen (head));
    g_byte_array_append (b, (const guint8 *) data, len);
    g_byte_array_append (b, (const guint8 *) "\r\n", 2);
  }
  g_byte_array_append (b, (const guint8 *) "--" BOUNDARY "--\r\n", strlen (BOUNDARY) + 6);
  return b;
}

static JsonArray *
documents_of (Resp *r, JsonParser *parser)
{
  return json_object_get_array_member (resp_json (r, parser), "documents");
}

static guint64
count (Fixture *f, const char *sql)
{
  g_autoptr(HzDbRows) rows = hz_db_query (f->db, sql, NULL, 0, NULL);
  return g_ascii_strtoull (hz_db_rows_get (rows, 0, 0), NULL, 10);
}

static guint
stored (Fixture *f, const char *room)
{
  g_autoptr(JsonNode) list = hz_documents_list_json (f->data_dir, room);
  return json_array_get_length (json_object_get_array_member (json_node_get_object (list), "documents"));
}

static void
test_series_deidentified (Fixture *f, gconstpointer data)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/rooms/%s/documents?deidentify=true", f->consult);
  g_autofree char *list_path = g_strdup_printf ("/api/v1/rooms/%s/documents", f->consult);
  g_autofree char *doctor = token (f->consult, HZ_ROLE_DOCTOR);
  g_autoptr(GByteArray) body = multipart (f->series, "../../../etc/ct-01.dcm");
  g_autoptr(Resp) r = send_body (f, "POST", path, KEY, "multipart/form-data; boundary=" BOUNDARY, body->data, body->len);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(JsonParser) lparser = json_parser_new ();
  g_autoptr(Resp) list = NULL;
  g_autoptr(Resp) got = NULL;
  g_autofree char *fetch = NULL;
  g_autofree char *out = g_build_filename (f->dir, "fetched.dcm", NULL);
  g_autofree char *cmd = g_strdup_printf ("dcmdump '%s'", out);
  g_autofree char *dump = NULL;
  g_autofree char *orig = NULL;
  gsize orig_len = 0;
  JsonArray *docs;
  JsonObject *first;

  g_assert_cmpuint (r->status, ==, 201);
  docs = documents_of (r, parser);
  g_assert_cmpuint (json_array_get_length (docs), ==, 8);
  g_assert_cmpuint (f->shared->len, ==, 8);
  first = json_array_get_object_element (docs, 0);
  g_assert_cmpstr (json_object_get_string_member (first, "name"), ==, "ct-01.dcm"); /* no path */
  g_assert_cmpstr (json_object_get_string_member (first, "kind"), ==, "dicom");
  g_assert_true (json_object_get_boolean_member (first, "deidentified"));
  g_assert_cmpstr (json_object_get_string_member (first, "study_uid"), !=, HZ_FIXTURE_STUDY_UID);
  g_assert_cmpint (json_object_get_int_member (first, "rows"), ==, 16);

  /* a doctor of the room lists them in slice order and fetches one */
  list = send_body (f, "GET", list_path, doctor, NULL, NULL, 0);
  g_assert_cmpuint (list->status, ==, 200);
  docs = documents_of (list, lparser);
  g_assert_cmpuint (json_array_get_length (docs), ==, 8);
  for (guint i = 0; i < 8; i++)
    g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (docs, i), "instance_number"), ==, i + 1);
  fetch = g_strdup_printf ("/api/v1/rooms/%s/documents/%s", f->consult,
                           json_object_get_string_member (json_array_get_object_element (docs, 0), "id"));
  got = send_body (f, "GET", fetch, doctor, NULL, NULL, 0);
  g_assert_cmpuint (got->status, ==, 200);
  g_assert_cmpstr (g_hash_table_lookup (got->headers, "content-type"), ==, "application/dicom");
  g_assert_true (g_file_set_contents (out, (const char *) got->body->data, got->body->len, NULL));
  if (have_program ("dcmdump")) {
    g_assert_true (g_spawn_command_line_sync (cmd, &dump, NULL, NULL, NULL));
    g_assert_nonnull (strstr (dump, "(0010,0010) PN (no value available)"));
    g_assert_null (strstr (dump, HZ_FIXTURE_PATIENT_NAME));
    g_assert_null (strstr (dump, HZ_FIXTURE_PATIENT_ID));
    g_assert_null (strstr (dump, HZ_FIXTURE_BIRTH_DATE));
    g_assert_nonnull (strstr (dump, "(0012,0062) CS [YES]"));
  }
  /* the pixel data (the last 512 bytes) is unchanged */
  g_assert_true (g_file_get_contents (g_ptr_array_index (f->series, 0), &orig, &orig_len, NULL));
  g_assert_cmpmem (got->body->data + got->body->len - 512, 512, orig + orig_len - 512, 512);
  g_assert_null (memmem (got->body->data, got->body->len, "Zhang", 5));

  /* the consult record and the audit log */
  g_assert_cmpuint (count (f, "SELECT count(*) FROM consult_events WHERE kind = 'document'"), ==, 8);
  g_assert_cmpuint (count (f, "SELECT count(*) FROM consult_events WHERE kind = 'document_deidentify'"), ==, 8);
  g_assert_cmpuint (count (f, "SELECT count(*) FROM consult_events WHERE kind = 'document_fetch'"), ==, 1);
  g_assert_cmpuint (count (f, "SELECT count(*) FROM audit_log WHERE action = 'document_share' AND outcome = 'ok'"), ==, 8);
  g_assert_cmpuint (count (f, "SELECT count(*) FROM audit_log WHERE action = 'document_deidentify'"), ==, 8);
  g_assert_cmpuint (count (f, "SELECT count(*) FROM audit_log WHERE action = 'document_fetch' AND actor = 'doctor'"), ==, 1);
}

static void
test_pdf_and_roles (Fixture *f, gconstpointer data)
{
  static const char pdf[] = "%PDF-1.4\n1 0 obj << >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
  g_autofree char *path = g_strdup_printf ("/api/v1/rooms/%s/documents?name=..%%2Freport.pdf", f->consult);
  g_autofree char *list_path = g_strdup_printf ("/api/v1/rooms/%s/documents", f->consult);
  g_autofree char *teach_path = g_strdup_printf ("/api/v1/rooms/%s/documents", f->teaching);
  g_autofree char *doctor = token (f->consult, HZ_ROLE_DOCTOR);
  g_autofree char *student = token (f->consult, HZ_ROLE_STUDENT);
  g_autofree char *observer = token (f->consult, HZ_ROLE_OBSERVER);
  g_autofree char *presenter = token (f->teaching, HZ_ROLE_PRESENTER);
  g_autofree char *teach_student = token (f->teaching, HZ_ROLE_STUDENT);
  g_autofree char *other = token (f->other, HZ_ROLE_SPECIALIST);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(Resp) r = send_body (f, "POST", path, doctor, "application/pdf", pdf, strlen (pdf));
  g_autofree char *fetch = NULL;
  JsonObject *doc;
  Resp *x;

  g_assert_cmpuint (r->status, ==, 201);
  doc = json_array_get_object_element (documents_of (r, parser), 0);
  g_assert_cmpstr (json_object_get_string_member (doc, "kind"), ==, "pdf");
  g_assert_cmpstr (json_object_get_string_member (doc, "name"), ==, "report.pdf");
  g_assert_cmpint (json_object_get_int_member (doc, "size"), ==, strlen (pdf));
  fetch = g_strdup_printf ("%s/%s", list_path, json_object_get_string_member (doc, "id"));

  /* a student of a consult sees nothing; an observer may look; sharing needs a sharing role */
  x = send_body (f, "GET", fetch, student, NULL, NULL, 0);
  assert_error_code (x, 403, "forbidden");
  resp_free (x);
  x = send_body (f, "GET", list_path, student, NULL, NULL, 0);
  assert_error_code (x, 403, "forbidden");
  resp_free (x);
  x = send_body (f, "GET", fetch, observer, NULL, NULL, 0);
  g_assert_cmpuint (x->status, ==, 200);
  g_assert_cmpstr (g_hash_table_lookup (x->headers, "content-type"), ==, "application/pdf");
  g_assert_cmpmem (x->body->data, x->body->len, pdf, strlen (pdf));
  resp_free (x);
  x = send_body (f, "POST", path, observer, "application/pdf", pdf, strlen (pdf));
  assert_error_code (x, 403, "forbidden");
  resp_free (x);
  /* a token of another room opens nothing here */
  x = send_body (f, "GET", fetch, other, NULL, NULL, 0);
  assert_error_code (x, 403, "wrong_room");
  resp_free (x);
  x = send_body (f, "POST", path, other, "application/pdf", pdf, strlen (pdf));
  assert_error_code (x, 403, "wrong_room");
  resp_free (x);
  x = send_body (f, "GET", fetch, NULL, NULL, NULL, 0);
  assert_error_code (x, 401, "unauthorized");
  resp_free (x);
  x = send_body (f, "GET", fetch, "not-a-token", NULL, NULL, 0);
  assert_error_code (x, 401, "unauthorized");
  resp_free (x);
  /* in a teaching room students may look at what the presenter shares */
  {
    g_autofree char *tp = g_strdup_printf ("%s?name=slide.pdf", teach_path);
    g_autoptr(JsonParser) p2 = json_parser_new ();
    g_autoptr(Resp) t = send_body (f, "POST", tp, presenter, "application/pdf", pdf, strlen (pdf));
    g_autofree char *tf = NULL;
    g_assert_cmpuint (t->status, ==, 201);
    tf = g_strdup_printf ("%s/%s", teach_path,
                          json_object_get_string_member (json_array_get_object_element (documents_of (t, p2), 0), "id"));
    x = send_body (f, "GET", tf, teach_student, NULL, NULL, 0);
    g_assert_cmpuint (x->status, ==, 200);
    resp_free (x);
    /* ...but not another room's documents with that token */
    x = send_body (f, "GET", fetch, teach_student, NULL, NULL, 0);
    assert_error_code (x, 403, "wrong_room");
    resp_free (x);
  }
  g_assert_cmpuint (count (f, "SELECT count(*) FROM audit_log WHERE outcome = 'denied'"), >=, 7);
  g_assert_cmpuint (stored (f, f->consult), ==, 1);
}

static gboolean
spool_busy (gpointer dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  return d != NULL && g_dir_read_name (d) != NULL;
}

static gboolean
spool_idle (gpointer dir)
{
  return !spool_busy (dir);
}

/* A client that goes away mid-upload leaves nothing in the spool. */
static void
test_client_gone (Fixture *f, gconstpointer data)
{
  g_autofree char *spool = g_build_filename (f->data_dir, "documents", ".spool", NULL);
  g_autofree char *head = g_strdup_printf ("POST /api/v1/rooms/%s/documents HTTP/1.1\r\nHost: x\r\n"
                                           "Authorization: Bearer " KEY "\r\nContent-Type: application/pdf\r\n"
                                           "Content-Length: 200000\r\n\r\n", f->consult);
  g_autofree char *half = g_strnfill (50000, 'x');
  Client *c = client_new (f->port);

  client_send_str (c, head);
  client_send_str (c, "%PDF-1.4\n");
  client_send_str (c, half);
  iterate_until (spool_busy, spool);
  client_free (c);
  iterate_until (spool_idle, spool);
  g_assert_cmpuint (stored (f, f->consult), ==, 0);
  g_assert_cmpuint (f->shared->len, ==, 0);
}

static void
test_bad_input (Fixture *f, gconstpointer data)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/rooms/%s/documents", f->consult);
  g_autofree char *spool = g_build_filename (f->data_dir, "documents", ".spool", NULL);
  g_autofree char *data_ct = NULL;
  gsize len = 0;
  g_autoptr(Client) c = NULL;
  g_autoptr(GPtrArray) nine = g_ptr_array_new ();
  g_autoptr(GByteArray) body = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *mf = hz_dicom_fixture_multiframe (f->src, 2, &error);
  Resp *x;

  /* claims DICOM, is text */
  x = send_body (f, "POST", path, KEY, "application/dicom", "hello, not dicom", 16);
  assert_error_code (x, 415, "unsupported_type");
  resp_free (x);
  /* a DICOM cut short */
  g_assert_true (g_file_get_contents (g_ptr_array_index (f->series, 0), &data_ct, &len, NULL));
  x = send_body (f, "POST", path, KEY, "application/dicom", data_ct, len - 200);
  assert_error_code (x, 422, "invalid_document");
  resp_free (x);
  /* a PNG body declared as DICOM: the content decides, and they differ */
  x = send_body (f, "POST", path, KEY, "image/png", data_ct, len);
  assert_error_code (x, 415, "unsupported_type");
  resp_free (x);
  x = send_body (f, "POST", path, KEY, "text/html", "<b>", 3);
  assert_error_code (x, 415, "unsupported_type");
  resp_free (x);
  /* 3 GB announced: 413 from the headers, before any of the body is sent */
  c = client_new (f->port);
  {
    g_autofree char *head = g_strdup_printf ("POST %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " KEY "\r\n"
                                             "Content-Type: application/pdf\r\nContent-Length: 3000000000\r\n\r\n%%PDF-1.7\n",
                                             path);
    client_send_str (c, head);
    x = client_read_response (c);
    assert_error_code (x, 413, "too_large");
    resp_free (x);
  }
  /* nine files where eight are allowed: refused while streaming */
  for (guint i = 0; i < f->series->len; i++)
    g_ptr_array_add (nine, g_ptr_array_index (f->series, i));
  g_ptr_array_add (nine, mf);
  body = multipart (nine, NULL);
  x = send_body (f, "POST", path, KEY, "multipart/form-data; boundary=" BOUNDARY, body->data, body->len);
  assert_error_code (x, 413, "too_many_files");
  resp_free (x);
  /* one bad file in a series: nothing of it is stored */
  g_byte_array_unref (g_steal_pointer (&body));
  {
    g_autofree char *bad = g_build_filename (f->src, "bad.dcm", NULL);
    g_assert_true (g_file_set_contents (bad, data_ct, len - 300, NULL));
    g_ptr_array_set_size (nine, 3);
    g_ptr_array_add (nine, bad);
    body = multipart (nine, NULL);
    x = send_body (f, "POST", path, KEY, "multipart/form-data; boundary=" BOUNDARY, body->data, body->len);
    assert_error_code (x, 422, "invalid_document");
    resp_free (x);
  }
  g_assert_cmpuint (stored (f, f->consult), ==, 0);
  g_assert_cmpuint (f->shared->len, ==, 0);
  {
    g_autoptr(GDir) d = g_dir_open (spool, 0, NULL);
    g_assert_null (d != NULL ? g_dir_read_name (d) : NULL); /* the spool is empty again */
  }
  x = send_body (f, "POST", "/api/v1/rooms/no-such-room/documents", KEY, "application/pdf", "%PDF-", 5);
  assert_error_code (x, 404, "not_found");
  resp_free (x);
  {
    g_autofree char *pp = g_strdup_printf ("/api/v1/rooms/%s/documents/pacs", f->consult);
    x = send_body (f, "POST", pp, KEY, "application/json", "{\"study_uid\":\"1.2.3\"}", 21);
    if (f->docs.pacs.url == NULL)
      assert_error_code (x, 501, "pacs_not_configured");
    resp_free (x);
  }
}

/* Uploads the fixture study to Orthanc through its REST API. */
static void
orthanc_load (Fixture *f, GPtrArray *paths)
{
  g_autoptr(SoupSession) s = soup_session_new ();

  for (guint i = 0; i < paths->len; i++) {
    g_autofree char *url = g_strconcat (g_getenv ("ORTHANC_URL"), "/instances", NULL);
    g_autoptr(SoupMessage) msg = soup_message_new ("POST", url);
    g_autoptr(GBytes) reply = NULL;
    char *data = NULL;
    gsize len = 0;
    g_autoptr(GBytes) body = NULL;
    g_assert_true (g_file_get_contents (g_ptr_array_index (paths, i), &data, &len, NULL));
    body = g_bytes_new_take (data, len);
    soup_message_set_request_body_from_bytes (msg, "application/dicom", body);
    reply = soup_session_send_and_read (s, msg, NULL, NULL);
    g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
  }
}

static void
test_pacs (Fixture *f, gconstpointer data)
{
  g_autofree char *specialist = token (f->consult, HZ_ROLE_SPECIALIST);
  g_autofree char *student = token (f->teaching, HZ_ROLE_STUDENT);
  g_autofree char *pull = g_strdup_printf ("/api/v1/rooms/%s/documents/pacs", f->consult);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(JsonParser) sparser = json_parser_new ();
  g_autoptr(Resp) found = NULL;
  g_autoptr(Resp) r = NULL;
  JsonArray *studies, *docs;
  Resp *x;

  if (g_getenv ("ORTHANC_URL") == NULL) {
    g_test_skip ("ORTHANC_URL is not set: run through tests/pacs/run-with-orthanc.sh (suite 'pacs')");
    return;
  }
  orthanc_load (f, f->series);
  found = send_body (f, "GET", "/api/v1/pacs/studies?PatientID=" HZ_FIXTURE_PATIENT_ID, specialist, NULL, NULL, 0);
  g_assert_cmpuint (found->status, ==, 200);
  studies = json_object_get_array_member (resp_json (found, sparser), "studies");
  g_assert_cmpuint (json_array_get_length (studies), ==, 1);
  x = send_body (f, "GET", "/api/v1/pacs/studies?PatientID=x", student, NULL, NULL, 0);
  assert_error_code (x, 403, "forbidden");
  resp_free (x);

  r = send_body (f, "POST", pull, specialist, "application/json",
                 "{\"study_uid\":\"" HZ_FIXTURE_STUDY_UID "\",\"deidentify\":true}",
                 strlen ("{\"study_uid\":\"" HZ_FIXTURE_STUDY_UID "\",\"deidentify\":true}"));
  if (r->status != 201)
    g_error ("pull: %u %s", r->status, (const char *) r->body->data);
  docs = documents_of (r, parser);
  g_assert_cmpuint (json_array_get_length (docs), ==, 8);
  for (guint i = 0; i < 8; i++) {
    JsonObject *o = json_array_get_object_element (docs, i);
    g_assert_true (json_object_get_boolean_member (o, "deidentified"));
    g_assert_cmpstr (json_object_get_string_member (o, "study_uid"), !=, HZ_FIXTURE_STUDY_UID);
  }
  g_assert_cmpuint (f->shared->len, ==, 8);
  g_assert_cmpuint (count (f, "SELECT count(*) FROM audit_log WHERE action = 'pacs_pull' AND outcome = 'ok'"), ==, 8);
  x = send_body (f, "POST", pull, specialist, "application/json", "{\"study_uid\":\"1.2.3.999\"}", 25);
  assert_error_code (x, 404, "not_found");
  resp_free (x);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) g_test_add (path, Fixture, NULL, setup, fn, teardown)
  ADD ("/api-documents/series-deidentified", test_series_deidentified);
  ADD ("/api-documents/pdf-and-roles", test_pdf_and_roles);
  ADD ("/api-documents/bad-input", test_bad_input);
  ADD ("/api-documents/client-gone", test_client_gone);
  ADD ("/api-documents/pacs", test_pacs);
  return g_test_run ();
}
