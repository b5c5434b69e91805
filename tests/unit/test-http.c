/*
 * Tests of signaling/hz-http (the HTTP port) and hz-ws (its WebSockets).
 * The server listens on 127.0.0.1, port 0; the test is its client, writing
 * raw HTTP/1.1 and hand-built WebSocket frames (test-http-client.h) while it
 * iterates the main context the server runs on.
 */
#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "hz-http.h"
#include <glib/gstdio.h>
#include <unistd.h>

#include "test-http-client.h"

static const char index_html[] = "<!doctype html><title>Huizhen</title>";
static const char app_js[] = "export const x = 1;\n";
static const char secret[] = "TOP-SECRET-PATIENT-DATA";

typedef struct {
  char *tmp;
  char *www;
  HzHttpServer *server;
  guint16 port;
  /* WebSocket callback bookkeeping */
  guint opens, closes, messages, too_big;
  HzWsConn *last_conn;
  HzHttpRequest *parked; /* a request answered later */
} Fixture;

/* --------------------------------------------------------------- handlers */

static void
handle_thing (HzHttpRequest *req, gpointer user_data)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  const char *q = hz_http_request_get_query (req, "x");

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  json_builder_add_string_value (b, hz_http_request_get_param (req, "id"));
  json_builder_set_member_name (b, "sub");
  json_builder_add_string_value (b, hz_http_request_get_param (req, "sub"));
  json_builder_set_member_name (b, "x");
  json_builder_add_string_value (b, q != NULL ? q : "");
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  hz_http_request_respond_json (req, 200, root);
}

static void
handle_echo (HzHttpRequest *req, gpointer user_data)
{
  g_autoptr(GBytes) body = hz_http_request_get_body (req);
  const char *ct = hz_http_request_get_header (req, "content-type");

  hz_http_request_respond (req, 200, ct != NULL ? ct : "text/plain", body);
}

static void
handle_later (HzHttpRequest *req, gpointer user_data)
{
  Fixture *f = user_data;
  f->parked = req;
}

static gboolean
answer_parked (gpointer user_data)
{
  Fixture *f = user_data;
  g_autoptr(GBytes) body = g_bytes_new_static ("later", 5);

  hz_http_request_respond (f->parked, 202, "text/plain", body);
  f->parked = NULL;
  return G_SOURCE_REMOVE;
}

static void
ws_open (HzWsConn *conn, gpointer user_data)
{
  Fixture *f = user_data;
  f->opens++;
  f->last_conn = conn;
  hz_ws_conn_set_data (conn, f);
}

static void
ws_message (HzWsConn *conn, const char *text, gsize len, gpointer user_data)
{
  Fixture *f = user_data;

  g_assert_true (hz_ws_conn_get_data (conn) == f);
  g_assert_cmpuint (strlen (text), ==, len);
  f->messages++;
  if (g_strcmp0 (text, "flood") == 0) {
    /* nothing is written while we are in here: the queue bound is hit */
    guint sent = 0;
    while (hz_ws_conn_send (conn, "x"))
      sent++;
    g_assert_cmpuint (sent, ==, HZ_WS_MAX_QUEUED_MESSAGES);
    return;
  }
  if (g_strcmp0 (text, "bye") == 0) {
    hz_ws_conn_close (conn, 4000, "bye");
    return;
  }
  g_assert_true (hz_ws_conn_send (conn, text));
}

static void
ws_close (HzWsConn *conn, gpointer user_data)
{
  Fixture *f = user_data;
  f->closes++;
  if (f->last_conn == conn)
    f->last_conn = NULL;
}

static void
ws_too_big (HzWsConn *conn, gpointer user_data)
{
  Fixture *f = user_data;
  f->too_big++;
  g_assert_true (hz_ws_conn_send (conn, "{\"type\":\"error\",\"code\":\"too_large\"}"));
}

static void
write_file (const char *dir, const char *name, const char *content, gssize len)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, content, len, &error);
  g_assert_no_error (error);
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *sub = NULL;
  g_autofree char *link = NULL;
  static const HzWsCallbacks cb = { ws_open, ws_message, ws_close, ws_too_big };

  f->tmp = g_dir_make_tmp ("hz-http-XXXXXX", &error);
  g_assert_no_error (error);
  f->www = g_build_filename (f->tmp, "www", NULL);
  sub = g_build_filename (f->www, "sub", NULL);
  g_assert_cmpint (g_mkdir_with_parents (sub, 0700), ==, 0);
  write_file (f->www, "index.html", index_html, -1);
  write_file (f->www, "app.js", app_js, -1);
  write_file (f->www, "sub/app.wasm", "\x00" "asm", 4); /* wasm magic */
  write_file (f->tmp, "secret.txt", secret, -1);
  /* a symlink inside the web root pointing out of it */
  link = g_build_filename (f->www, "escape.txt", NULL);
  g_assert_cmpint (symlink ("../secret.txt", link), ==, 0);

  f->server = hz_http_server_new ("127.0.0.1:0", NULL, NULL, f->www, &error);
  g_assert_no_error (error);
  g_assert_nonnull (f->server);
  f->port = hz_http_server_get_port (f->server);
  g_assert_cmpuint (f->port, >, 0);
  hz_http_server_add_route (f->server, "GET", "/api/v1/things/{id}", 0, handle_thing, f);
  hz_http_server_add_route (f->server, "GET", "/api/v1/things/{id}/parts/{sub}", 0, handle_thing, f);
  hz_http_server_add_route (f->server, "POST", "/api/v1/echo", 16, handle_echo, f);
  hz_http_server_add_route (f->server, "GET", "/api/v1/later", 0, handle_later, f);
  hz_http_server_set_ws_callbacks (f->server, &cb, f);
}

static void
rm_rf (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir != NULL && !g_file_test (path, G_FILE_TEST_IS_SYMLINK)) {
    while ((name = g_dir_read_name (dir)) != NULL) {
      g_autofree char *child = g_build_filename (path, name, NULL);
      rm_rf (child);
    }
  }
  g_remove (path);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_clear_pointer (&f->server, hz_http_server_free);
  rm_rf (f->tmp);
  g_free (f->www);
  g_free (f->tmp);
}

static gboolean
opened (gpointer data)
{
  return ((Fixture *) data)->opens > 0;
}

/* ------------------------------------------------------------------ tests */

static void
test_static_files (Fixture *f, gconstpointer data)
{
  g_autoptr(Client) c = client_new (f->port);
  g_autoptr(Resp) r1 = NULL;
  g_autoptr(Resp) r2 = NULL;
  g_autoptr(Resp) r3 = NULL;
  g_autoptr(Resp) r4 = NULL;

  /* two requests on one keep-alive connection */
  client_send_str (c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  r1 = client_read_response (c);
  g_assert_nonnull (r1);
  g_assert_cmpuint (r1->status, ==, 200);
  g_assert_cmpstr ((const char *) r1->body->data, ==, index_html);
  g_assert_cmpstr (g_hash_table_lookup (r1->headers, "content-type"), ==, "text/html; charset=utf-8");
  g_assert_cmpstr (g_hash_table_lookup (r1->headers, "cache-control"), ==, "no-cache");

  client_send_str (c, "GET /app.js HTTP/1.1\r\nHost: x\r\n\r\n");
  r2 = client_read_response (c);
  g_assert_nonnull (r2);
  g_assert_cmpuint (r2->status, ==, 200);
  g_assert_cmpstr ((const char *) r2->body->data, ==, app_js);
  g_assert_cmpstr (g_hash_table_lookup (r2->headers, "content-type"), ==, "text/javascript; charset=utf-8");

  r3 = http (f->port, "GET /sub/app.wasm HTTP/1.1\r\nHost: x\r\n\r\n");
  g_assert_nonnull (r3);
  g_assert_cmpuint (r3->status, ==, 200);
  g_assert_cmpstr (g_hash_table_lookup (r3->headers, "content-type"), ==, "application/wasm");
  g_assert_cmpuint (r3->body->len, ==, 4);

  r4 = http (f->port, "GET /missing.css HTTP/1.1\r\nHost: x\r\n\r\n");
  assert_error_code (r4, 404, "not_found");
}

static void
test_traversal (Fixture *f, gconstpointer data)
{
  const char *paths[] = {
    "/../secret.txt",
    "/%2e%2e/secret.txt",
    "/%2E%2E%2Fsecret.txt",
    "/..%2fsecret.txt",
    "/sub/../../secret.txt",
    "/sub/%2e%2e/%2e%2e/secret.txt",
    "/..%5csecret.txt",
    "/escape.txt", /* symlink out of the web root */
  };

  for (guint i = 0; i < G_N_ELEMENTS (paths); i++) {
    g_autofree char *req = g_strdup_printf ("GET %s HTTP/1.1\r\nHost: x\r\n\r\n", paths[i]);
    g_autoptr(Resp) r = http (f->port, req);
    g_test_message ("%s -> %u", paths[i], r != NULL ? r->status : 0);
    /* refused: an error status or a closed connection, never the file */
    if (r != NULL) {
      g_assert_cmpuint (r->status, >=, 400);
      g_assert_null (g_strstr_len ((const char *) r->body->data, r->body->len, secret));
    }
  }
}

static void
test_routes (Fixture *f, gconstpointer data)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(Resp) r1 = http (f->port, "GET /api/v1/things/abc?x=1%202&y HTTP/1.1\r\nHost: x\r\n\r\n");
  g_autoptr(Resp) r2 = http (f->port, "GET /api/v1/things/abc/parts/p7 HTTP/1.1\r\nHost: x\r\n\r\n");
  g_autoptr(Resp) r3 = http (f->port, "GET /api/v1/nothing HTTP/1.1\r\nHost: x\r\n\r\n");
  g_autoptr(Resp) r4 = http (f->port, "DELETE /api/v1/things/abc HTTP/1.1\r\nHost: x\r\n\r\n");
  g_autoptr(Resp) r5 = http (f->port, "POST /index.html HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
  g_autoptr(Resp) r6 = http (f->port, "GET /api/v1/things/ HTTP/1.1\r\nHost: x\r\n\r\n");
  JsonObject *obj;

  g_assert_nonnull (r1);
  g_assert_cmpuint (r1->status, ==, 200);
  obj = resp_json (r1, parser);
  g_assert_cmpstr (json_object_get_string_member (obj, "id"), ==, "abc");
  g_assert_cmpstr (json_object_get_string_member (obj, "x"), ==, "1 2");
  g_assert_cmpstr (g_hash_table_lookup (r1->headers, "cache-control"), ==, "no-store");

  g_assert_nonnull (r2);
  g_assert_cmpuint (r2->status, ==, 200);
  obj = resp_json (r2, parser);
  g_assert_cmpstr (json_object_get_string_member (obj, "id"), ==, "abc");
  g_assert_cmpstr (json_object_get_string_member (obj, "sub"), ==, "p7");

  assert_error_code (r3, 404, "not_found");
  assert_error_code (r4, 405, "method_not_allowed");
  assert_error_code (r5, 405, "method_not_allowed");
  assert_error_code (r6, 404, "not_found"); /* an empty {id} matches nothing */
}

static void
test_body_limit (Fixture *f, gconstpointer data)
{
  g_autoptr(Client) c = client_new (f->port);
  g_autoptr(Resp) ok = NULL;
  g_autoptr(Resp) big = NULL;
  g_autoptr(Resp) chunked = NULL;

  /* 16 bytes is the route's limit: accepted, echoed, connection kept */
  client_send_str (c, "POST /api/v1/echo HTTP/1.1\r\nHost: x\r\nContent-Type: text/x-test\r\n"
                      "Content-Length: 16\r\n\r\n0123456789abcdef");
  ok = client_read_response (c);
  g_assert_nonnull (ok);
  g_assert_cmpuint (ok->status, ==, 200);
  g_assert_cmpstr ((const char *) ok->body->data, ==, "0123456789abcdef");
  g_assert_cmpstr (g_hash_table_lookup (ok->headers, "content-type"), ==, "text/x-test");

  /* 17 bytes announced: 413 before the body is read, then the close */
  client_send_str (c, "POST /api/v1/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 17\r\n\r\n");
  big = client_read_response (c);
  assert_error_code (big, 413, "too_large");
  iterate_until (client_eof, c);

  chunked = http (f->port, "POST /api/v1/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "3\r\nabc\r\n0\r\n\r\n");
  g_assert_nonnull (chunked);
  g_assert_cmpuint (chunked->status, >=, 400);
}

static gboolean
parked (gpointer data)
{
  return ((Fixture *) data)->parked != NULL;
}

static void
test_async_response (Fixture *f, gconstpointer data)
{
  g_autoptr(Client) c = client_new (f->port);
  g_autoptr(Client) gone = client_new (f->port);
  g_autoptr(Resp) r = NULL;

  client_send_str (c, "GET /api/v1/later HTTP/1.1\r\nHost: x\r\n\r\n");
  iterate_until (parked, f);
  g_idle_add (answer_parked, f);
  r = client_read_response (c);
  g_assert_nonnull (r);
  g_assert_cmpuint (r->status, ==, 202);
  g_assert_cmpstr ((const char *) r->body->data, ==, "later");

  /* the client leaves before the answer: the late answer is dropped */
  client_send_str (gone, "GET /api/v1/later HTTP/1.1\r\nHost: x\r\n\r\n");
  iterate_until (parked, f);
  g_clear_pointer (&gone, client_free);
  for (int i = 0; i < 50; i++)
    g_main_context_iteration (NULL, FALSE);
  answer_parked (f);
}

static void
test_ws_echo (Fixture *f, gconstpointer data)
{
  g_autoptr(Client) c = ws_connect (f->port, "/ws", "huizhen");
  g_autoptr(Client) plain = NULL;
  g_autoptr(Client) wrong = NULL;
  g_autoptr(GByteArray) payload = g_byte_array_new ();

  g_assert_nonnull (c);
  iterate_until (opened, f);
  g_assert_nonnull (f->last_conn);
  g_assert_cmpstr (hz_ws_conn_get_peer (f->last_conn), ==, "127.0.0.1");
  ws_send_text (c, "{\"type\":\"ping\"}");
  g_assert_cmpuint (ws_read_frame (c, payload), ==, 0x1);
  g_assert_cmpstr ((const char *) payload->data, ==, "{\"type\":\"ping\"}");

  /* no subprotocol asked: accepted too */
  plain = ws_connect (f->port, "/ws", NULL);
  g_assert_nonnull (plain);
  ws_send_text (plain, "hi");
  g_assert_cmpuint (ws_read_frame (plain, payload), ==, 0x1);
  g_assert_cmpstr ((const char *) payload->data, ==, "hi");

  /* an upgrade anywhere else is refused */
  wrong = ws_connect (f->port, "/api/v1/ws", "huizhen");
  g_assert_null (wrong);

  /* a close from the server side carries its code */
  ws_send_text (c, "bye");
  g_assert_cmpuint (ws_read_frame (c, payload), ==, 0x8);
  g_assert_cmpuint (ws_close_code (payload), ==, 4000);
  g_assert_cmpuint (f->opens, ==, 2);
}

static void
test_ws_fragments (Fixture *f, gconstpointer data)
{
  g_autoptr(Client) c = ws_connect (f->port, "/ws", "huizhen");
  g_autoptr(GByteArray) payload = g_byte_array_new ();

  g_assert_nonnull (c);
  ws_send_frame (c, FALSE, 0x1, "hel", 3); /* text, FIN=0 */
  ws_send_frame (c, FALSE, 0x0, "lo ", 3); /* continuation, FIN=0 */
  ws_send_frame (c, TRUE, 0x9, "p", 1);    /* a ping between fragments */
  ws_send_frame (c, TRUE, 0x0, "world", 5); /* continuation, FIN=1 */
  /* the pong comes first, then one message */
  g_assert_cmpuint (ws_read_frame (c, payload), ==, 0xa);
  g_assert_cmpuint (ws_read_frame (c, payload), ==, 0x1);
  g_assert_cmpstr ((const char *) payload->data, ==, "hello world");
  g_assert_cmpuint (f->messages, ==, 1);
}

static void
test_ws_too_big (Fixture *f, gconstpointer data)
{
  g_autoptr(Client) c = ws_connect (f->port, "/ws", NULL);
  g_autoptr(GByteArray) payload = g_byte_array_new ();
  gsize len = HZ_WS_MAX_MESSAGE + 1;
  g_autofree char *big = g_malloc (len);

  g_assert_nonnull (c);
  memset (big, 'a', len);
  ws_send_frame (c, TRUE, 0x1, big, len);
  /* the final error reply, then close 1009, then the end */
  g_assert_cmpuint (ws_read_frame (c, payload), ==, 0x1);
  g_assert_cmpstr ((const char *) payload->data, ==, "{\"type\":\"error\",\"code\":\"too_large\"}");
  g_assert_cmpuint (ws_read_frame (c, payload), ==, 0x8);
  g_assert_cmpuint (ws_close_code (payload), ==, 1009);
  g_assert_cmpuint (f->too_big, ==, 1);
  g_assert_cmpuint (f->messages, ==, 0);
  iterate_until (client_eof, c);
  g_assert_cmpuint (f->closes, ==, 1);
}

static void
test_ws_send_queue_bound (Fixture *f, gconstpointer data)
{
  g_autoptr(Client) c = ws_connect (f->port, "/ws", NULL);
  g_autoptr(GByteArray) payload = g_byte_array_new ();

  g_assert_nonnull (c);
  ws_send_text (c, "flood");
  /* the queue was dropped and the connection closed as not reading */
  g_assert_cmpuint (ws_read_frame (c, payload), ==, 0x8);
  g_assert_cmpuint (ws_close_code (payload), ==, 1008);
  iterate_until (client_eof, c);
  g_assert_cmpuint (f->closes, ==, 1);
}

static void
test_free_with_open_ws (Fixture *f, gconstpointer data)
{
  g_autoptr(Client) c = ws_connect (f->port, "/ws", "huizhen");

  g_assert_nonnull (c);
  iterate_until (opened, f);
  g_clear_pointer (&f->server, hz_http_server_free);
  g_assert_cmpuint (f->closes, ==, 1);
  iterate_until (client_eof, c);
}

static void
test_bad_listen (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HzHttpServer) s1 = hz_http_server_new ("127.0.0.1", NULL, NULL, NULL, &error);
  g_autoptr(HzHttpServer) s2 = NULL;
  g_autoptr(HzHttpServer) s3 = NULL;

  g_assert_error (error, HZ_HTTP_ERROR, HZ_HTTP_ERROR_INVALID_ARGUMENT);
  g_assert_null (s1);
  g_clear_error (&error);
  s2 = hz_http_server_new ("127.0.0.1:0", NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  /* the same port twice */
  {
    g_autofree char *taken = g_strdup_printf ("127.0.0.1:%u", hz_http_server_get_port (s2));
    s3 = hz_http_server_new (taken, NULL, NULL, NULL, &error);
    g_assert_error (error, HZ_HTTP_ERROR, HZ_HTTP_ERROR_LISTEN);
    g_assert_null (s3);
  }
}

#define ADD(name, fn) g_test_add (name, Fixture, NULL, fixture_setup, fn, fixture_teardown)

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  ADD ("/http/static-files", test_static_files);
  ADD ("/http/traversal", test_traversal);
  ADD ("/http/routes", test_routes);
  ADD ("/http/body-limit", test_body_limit);
  ADD ("/http/async-response", test_async_response);
  ADD ("/http/ws/echo", test_ws_echo);
  ADD ("/http/ws/fragments", test_ws_fragments);
  ADD ("/http/ws/too-big", test_ws_too_big);
  ADD ("/http/ws/send-queue-bound", test_ws_send_queue_bound);
  ADD ("/http/ws/free-with-open", test_free_with_open_ws);
  g_test_add_func ("/http/bad-listen", test_bad_listen);
  return g_test_run ();
}
