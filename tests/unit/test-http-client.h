/*
 * test-http-client: a small HTTP/1.1 and WebSocket client for the tests of
 * the HTTP port (test-http.c, test-api.c). Raw requests and hand-built,
 * masked frames over a GIO socket, read while the main context (where the
 * server runs) is iterated. Header-only because each test is one file.
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  GSocketConnection *conn;
  GSocket *sock;
  GByteArray *in;
  gboolean eof;
  GSource *src;
} Client;

typedef struct {
  guint status;
  GHashTable *headers; /* lower-case name -> value */
  GByteArray *body;
} Resp;

static G_GNUC_UNUSED void
resp_free (Resp *r)
{
  g_hash_table_unref (r->headers);
  g_byte_array_unref (r->body);
  g_free (r);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Resp, resp_free)

static G_GNUC_UNUSED gboolean
guard_fired (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Iterates the main context (where the server runs) until done(data).
 * The guard only turns a hang into a failure; nothing here is timed. */
static G_GNUC_UNUSED void
iterate_until (gboolean (*done) (gpointer), gpointer data)
{
  gboolean timed_out = FALSE;
  guint guard = g_timeout_add_seconds (20, guard_fired, &timed_out);

  while (!done (data) && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (timed_out);
  g_source_remove (guard);
}

static G_GNUC_UNUSED gboolean
client_readable (GSocket *sock, GIOCondition cond, gpointer data)
{
  Client *c = data;
  guint8 buf[65536];
  g_autoptr(GError) error = NULL;
  gssize n = g_socket_receive (sock, (gchar *) buf, sizeof (buf), NULL, &error);

  if (n > 0) {
    g_byte_array_append (c->in, buf, n);
    return G_SOURCE_CONTINUE;
  }
  if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
    return G_SOURCE_CONTINUE;
  c->eof = TRUE;
  g_clear_pointer (&c->src, g_source_unref);
  return G_SOURCE_REMOVE;
}

static G_GNUC_UNUSED Client *
client_new (guint16 port)
{
  g_autoptr(GSocketClient) sc = g_socket_client_new ();
  g_autoptr(GError) error = NULL;
  Client *c = g_new0 (Client, 1);

  /* a loopback connect completes in the kernel's backlog, no service needed */
  c->conn = g_socket_client_connect_to_host (sc, "127.0.0.1", port, NULL, &error);
  g_assert_no_error (error);
  c->sock = g_socket_connection_get_socket (c->conn);
  g_socket_set_blocking (c->sock, FALSE);
  c->in = g_byte_array_new ();
  c->src = g_socket_create_source (c->sock, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
  g_source_set_callback (c->src, G_SOURCE_FUNC (client_readable), c, NULL);
  g_source_attach (c->src, NULL);
  return c;
}

static G_GNUC_UNUSED void
client_free (Client *c)
{
  if (c->src != NULL) {
    g_source_destroy (c->src);
    g_source_unref (c->src);
  }
  g_object_unref (c->conn);
  g_byte_array_unref (c->in);
  g_free (c);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Client, client_free)

static G_GNUC_UNUSED gboolean
writable_cb (GSocket *sock, GIOCondition cond, gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

static G_GNUC_UNUSED gboolean
flag_set (gpointer data)
{
  return *(gboolean *) data;
}

static G_GNUC_UNUSED void
client_send (Client *c, const void *data, gsize len)
{
  const guint8 *p = data;

  while (len > 0) {
    g_autoptr(GError) error = NULL;
    gssize n = g_socket_send (c->sock, (const gchar *) p, len, NULL, &error);
    if (n < 0) {
      g_autoptr(GSource) src = NULL;
      gboolean ready = FALSE;
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
      src = g_socket_create_source (c->sock, G_IO_OUT, NULL);
      g_source_set_callback (src, G_SOURCE_FUNC (writable_cb), &ready, NULL);
      g_source_attach (src, NULL);
      iterate_until (flag_set, &ready);
      continue;
    }
    p += n;
    len -= n;
  }
}

static G_GNUC_UNUSED void
client_send_str (Client *c, const char *text)
{
  client_send (c, text, strlen (text));
}

static G_GNUC_UNUSED gboolean
client_eof (gpointer data)
{
  return ((Client *) data)->eof;
}

/* Takes one complete response off the front of c->in, or returns NULL. */
static G_GNUC_UNUSED Resp *
parse_response (Client *c)
{
  const char *data = (const char *) c->in->data;
  const char *end = c->in->len > 0 ? g_strstr_len (data, c->in->len, "\r\n\r\n") : NULL;
  g_auto(GStrv) lines = NULL;
  g_autofree char *head = NULL;
  g_autoptr(Resp) r = NULL;
  const char *clen;
  gsize head_len, body_len;

  if (end == NULL)
    return NULL;
  head_len = end - data + 4;
  head = g_strndup (data, head_len - 4);
  lines = g_strsplit (head, "\r\n", -1);
  r = g_new0 (Resp, 1);
  r->headers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  r->body = g_byte_array_new ();
  g_assert_true (g_str_has_prefix (lines[0], "HTTP/1.1 "));
  r->status = atoi (lines[0] + 9);
  for (guint i = 1; lines[i] != NULL; i++) {
    char *colon = strchr (lines[i], ':');
    g_assert_nonnull (colon);
    g_hash_table_insert (r->headers, g_ascii_strdown (lines[i], colon - lines[i]),
                         g_strstrip (g_strdup (colon + 1)));
  }
  clen = g_hash_table_lookup (r->headers, "content-length");
  if (r->status == 101 || r->status == 304 || r->status == 204)
    body_len = 0;
  else if (clen != NULL)
    body_len = g_ascii_strtoull (clen, NULL, 10);
  else if (c->eof)
    body_len = c->in->len - head_len;
  else
    return NULL;
  if (c->in->len < head_len + body_len)
    return NULL;
  g_byte_array_append (r->body, c->in->data + head_len, body_len);
  g_byte_array_append (r->body, (const guint8 *) "", 1);
  g_byte_array_set_size (r->body, body_len); /* keeps a NUL after the body */
  g_byte_array_remove_range (c->in, 0, head_len + body_len);
  return g_steal_pointer (&r);
}

typedef struct {
  Client *c;
  Resp *r;
} ReadCtx;

static G_GNUC_UNUSED gboolean
response_ready (gpointer data)
{
  ReadCtx *ctx = data;
  ctx->r = parse_response (ctx->c);
  return ctx->r != NULL || ctx->c->eof;
}

/* The next response on c, or NULL if the server closed without one. */
static G_GNUC_UNUSED Resp *
client_read_response (Client *c)
{
  ReadCtx ctx = { c, NULL };
  iterate_until (response_ready, &ctx);
  if (ctx.r == NULL)
    ctx.r = parse_response (c);
  return ctx.r;
}

/* One request on a fresh connection. */
static G_GNUC_UNUSED Resp *
http (guint16 port, const char *raw)
{
  g_autoptr(Client) c = client_new (port);
  client_send_str (c, raw);
  return client_read_response (c);
}

static G_GNUC_UNUSED JsonObject *
resp_json (Resp *r, JsonParser *parser)
{
  g_autoptr(GError) error = NULL;

  g_assert_cmpstr (g_hash_table_lookup (r->headers, "content-type"), ==, "application/json");
  json_parser_load_from_data (parser, (const char *) r->body->data, r->body->len, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  return json_node_get_object (json_parser_get_root (parser));
}

static G_GNUC_UNUSED void
assert_error_code (Resp *r, guint status, const char *code)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *obj;

  g_assert_nonnull (r);
  g_assert_cmpuint (r->status, ==, status);
  obj = resp_json (r, parser);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (obj, "error"), "code"), ==, code);
}

/* WebSockets */

/* A client frame (RFC 6455 5.2): FIN|opcode, MASK|length (7, 7+16 or
 * 7+64 bits), 4-byte masking key, payload XORed with the key. */
static G_GNUC_UNUSED void
ws_send_frame (Client *c, gboolean fin, guint8 opcode, const void *payload, gsize len)
{
  static const guint8 key[4] = { 0x37, 0xfa, 0x21, 0x3d };
  g_autoptr(GByteArray) frame = g_byte_array_new ();
  guint8 b0 = (fin ? 0x80 : 0x00) | opcode;
  const guint8 *p = payload;

  g_byte_array_append (frame, &b0, 1);
  if (len < 126) {
    guint8 b1 = 0x80 | len;
    g_byte_array_append (frame, &b1, 1);
  } else if (len < 65536) {
    guint8 ext[3] = { 0x80 | 126, len >> 8, len & 0xff };
    g_byte_array_append (frame, ext, 3);
  } else {
    guint8 ext[9] = { 0x80 | 127 };
    for (int i = 0; i < 8; i++)
      ext[8 - i] = (guint8) ((guint64) len >> (8 * i));
    g_byte_array_append (frame, ext, 9);
  }
  g_byte_array_append (frame, key, 4);
  for (gsize i = 0; i < len; i++) {
    guint8 m = p[i] ^ key[i % 4];
    g_byte_array_append (frame, &m, 1);
  }
  client_send (c, frame->data, frame->len);
}

static G_GNUC_UNUSED void
ws_send_text (Client *c, const char *text)
{
  ws_send_frame (c, TRUE, 0x1, text, strlen (text));
}

typedef struct {
  Client *c;
  guint8 opcode;
  GByteArray *payload;
  gboolean got;
} FrameCtx;

/* Takes one unmasked server frame off c->in. */
static G_GNUC_UNUSED gboolean
frame_ready (gpointer data)
{
  FrameCtx *ctx = data;
  const guint8 *d = ctx->c->in->data;
  gsize avail = ctx->c->in->len, hdr = 2;
  guint64 len;

  if (avail >= 2) {
    g_assert_cmpuint (d[1] & 0x80, ==, 0); /* servers never mask */
    len = d[1] & 0x7f;
    if (len == 126) {
      hdr = 4;
      len = avail >= 4 ? ((guint64) d[2] << 8) | d[3] : 0;
    } else if (len == 127) {
      hdr = 10;
      len = 0;
      for (int i = 0; i < 8 && avail >= 10; i++)
        len = (len << 8) | d[2 + i];
    }
    if (avail >= hdr && avail - hdr >= len) {
      ctx->opcode = d[0] & 0x0f;
      g_assert_cmpuint (d[0] & 0x80, ==, 0x80); /* we expect whole messages */
      g_byte_array_set_size (ctx->payload, 0);
      g_byte_array_append (ctx->payload, d + hdr, len);
      g_byte_array_remove_range (ctx->c->in, 0, hdr + len);
      ctx->got = TRUE;
    }
  }
  return ctx->got || ctx->c->eof;
}

/* Returns the opcode of the next frame, or 0xff on end of stream. The
 * payload is NUL-terminated. */
static G_GNUC_UNUSED guint8
ws_read_frame (Client *c, GByteArray *payload)
{
  FrameCtx ctx = { c, 0, payload, FALSE };
  iterate_until (frame_ready, &ctx);
  if (!ctx.got)
    frame_ready (&ctx);
  g_byte_array_append (payload, (const guint8 *) "", 1);
  g_byte_array_set_size (payload, payload->len - 1);
  return ctx.got ? ctx.opcode : 0xff;
}

static G_GNUC_UNUSED guint
ws_close_code (GByteArray *payload)
{
  g_assert_cmpuint (payload->len, >=, 2);
  return (payload->data[0] << 8) | payload->data[1];
}

/* The RFC 6455 1.3 example key and its accept value. */
#define WS_KEY "dGhlIHNhbXBsZSBub25jZQ=="
#define WS_ACCEPT "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="

static G_GNUC_UNUSED Client *
ws_connect (guint16 port, const char *path, const char *protocol)
{
  Client *c = client_new (port);
  g_autofree char *req = g_strdup_printf ("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                          "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                                          "Sec-WebSocket-Key: " WS_KEY "\r\n"
                                          "Sec-WebSocket-Version: 13\r\n%s%s%s\r\n",
                                          path,
                                          protocol ? "Sec-WebSocket-Protocol: " : "",
                                          protocol ? protocol : "", protocol ? "\r\n" : "");
  g_autoptr(Resp) r = NULL;

  client_send_str (c, req);
  r = client_read_response (c);
  if (r == NULL || r->status != 101) {
    client_free (c);
    return NULL;
  }
  g_assert_cmpstr (g_hash_table_lookup (r->headers, "sec-websocket-accept"), ==, WS_ACCEPT);
  return c;
}
