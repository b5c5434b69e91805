/*
 * hz-http: the HTTP port on libwebsockets, run on the main GMainContext.
 * See hz-http.h for what it owns and why lws runs on its glib event lib.
 */
#include "hz-http-private.h"

#include <errno.h>
#include <libwebsockets.h>
#include <stdlib.h>
#include <string.h>

G_DEFINE_QUARK (hz-http-error-quark, hz_http_error)

#define HZ_HTTP_CHUNK 16384

static const struct {
  const char *name;
  enum lws_token_indexes token;
} hz_known_headers[] = {
  { "authorization", WSI_TOKEN_HTTP_AUTHORIZATION },
  { "content-type", WSI_TOKEN_HTTP_CONTENT_TYPE },
  { "content-length", WSI_TOKEN_HTTP_CONTENT_LENGTH },
  { "transfer-encoding", WSI_TOKEN_HTTP_TRANSFER_ENCODING },
  { "host", WSI_TOKEN_HOST },
  { "origin", WSI_TOKEN_ORIGIN },
  { "user-agent", WSI_TOKEN_HTTP_USER_AGENT },
  { "range", WSI_TOKEN_HTTP_RANGE },
  { "if-none-match", WSI_TOKEN_HTTP_IF_NONE_MATCH },
  { "x-forwarded-for", WSI_TOKEN_X_FORWARDED_FOR },
};

/* ---------------------------------------------------------------- requests */

static HzHttpRequest *
hz_http_request_ref (HzHttpRequest *req)
{
  req->refcount++;
  return req;
}

void
hz_http_request_unref (HzHttpRequest *req)
{
  if (--req->refcount > 0)
    return;
  g_free (req->method);
  g_free (req->path);
  g_free (req->peer);
  g_hash_table_unref (req->params);
  g_hash_table_unref (req->query);
  g_hash_table_unref (req->headers);
  if (req->body != NULL)
    g_byte_array_unref (req->body);
  if (req->stream_destroy != NULL)
    req->stream_destroy (req->stream_data);
  g_free (req->content_type);
  g_clear_pointer (&req->resp, g_bytes_unref);
  g_clear_pointer (&req->resp_headers, g_ptr_array_unref);
  g_clear_object (&req->resp_stream);
  g_free (req);
}

const char *
hz_http_request_get_method (HzHttpRequest *req)
{
  g_return_val_if_fail (req != NULL, NULL);
  return req->method;
}

const char *
hz_http_request_get_path (HzHttpRequest *req)
{
  g_return_val_if_fail (req != NULL, NULL);
  return req->path;
}

const char *
hz_http_request_get_param (HzHttpRequest *req, const char *name)
{
  g_return_val_if_fail (req != NULL && name != NULL, NULL);
  return g_hash_table_lookup (req->params, name);
}

const char *
hz_http_request_get_query (HzHttpRequest *req, const char *name)
{
  g_return_val_if_fail (req != NULL && name != NULL, NULL);
  return g_hash_table_lookup (req->query, name);
}

const char *
hz_http_request_get_header (HzHttpRequest *req, const char *lower_name)
{
  g_return_val_if_fail (req != NULL && lower_name != NULL, NULL);
  return g_hash_table_lookup (req->headers, lower_name);
}

GBytes *
hz_http_request_get_body (HzHttpRequest *req)
{
  g_return_val_if_fail (req != NULL, NULL);
  if (req->body == NULL)
    return g_bytes_new (NULL, 0);
  return g_bytes_new (req->body->data, req->body->len);
}

const char *
hz_http_request_get_peer (HzHttpRequest *req)
{
  g_return_val_if_fail (req != NULL, NULL);
  return req->peer;
}

/* Consumes the caller's (handler's) reference to req. */
void
hz_http_request_respond (HzHttpRequest *req, guint status, const char *content_type, GBytes *body)
{
  g_return_if_fail (req != NULL);
  g_return_if_fail (status >= 100 && status < 600);
  g_return_if_fail (!req->responded);

  req->responded = TRUE;
  req->status = status;
  req->content_type = g_strdup (content_type != NULL ? content_type : "application/octet-stream");
  req->resp = body != NULL ? g_bytes_ref (body) : g_bytes_new (NULL, 0);
  if (status >= 400)
    g_message ("http: %s %s %s -> %u", req->peer, req->method, req->path, status);
  if (req->wsi != NULL)
    lws_callback_on_writable (req->wsi);
  hz_http_request_unref (req);
}

void
hz_http_request_add_header (HzHttpRequest *req, const char *name, const char *value)
{
  g_return_if_fail (req != NULL && name != NULL && value != NULL && !req->responded);
  if (req->resp_headers == NULL)
    req->resp_headers = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (req->resp_headers, g_strconcat (name, ":", NULL));
  g_ptr_array_add (req->resp_headers, g_strdup (value));
}

void
hz_http_request_respond_stream (HzHttpRequest *req, guint status, const char *content_type,
                                GInputStream *stream, guint64 length)
{
  g_return_if_fail (req != NULL && G_IS_INPUT_STREAM (stream));
  req->resp_stream = g_object_ref (stream);
  req->resp_len = length;
  hz_http_request_respond (req, status, content_type, NULL);
}

void
hz_http_request_respond_json (HzHttpRequest *req, guint status, JsonNode *body)
{
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(GBytes) bytes = NULL;
  gsize len = 0;
  char *text;

  g_return_if_fail (req != NULL && body != NULL);
  json_generator_set_root (gen, body);
  text = json_generator_to_data (gen, &len);
  bytes = g_bytes_new_take (text, len);
  hz_http_request_respond (req, status, "application/json", bytes);
}

void
hz_http_request_respond_error (HzHttpRequest *req, guint status, const char *code, const char *message)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  g_return_if_fail (req != NULL && code != NULL);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "error");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "code");
  json_builder_add_string_value (b, code);
  json_builder_set_member_name (b, "message");
  json_builder_add_string_value (b, message != NULL ? message : code);
  json_builder_end_object (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  hz_http_request_respond_json (req, status, root);
}

static gboolean
hz_http_stream_readable (GObject *stream, gpointer data)
{
  HzHttpRequest *req = data;

  if (req->wsi != NULL)
    lws_callback_on_writable (req->wsi);
  return G_SOURCE_REMOVE;
}

/* A pollable response stream (a recording read from S3 by worker threads)
 * is read only once readable: until then the connection waits and the main
 * context goes on. TRUE when it has to wait. */
static gboolean
hz_http_stream_wait (HzHttpRequest *req)
{
  GPollableInputStream *in;
  GSource *source;

  if (!G_IS_POLLABLE_INPUT_STREAM (req->resp_stream))
    return FALSE;
  in = G_POLLABLE_INPUT_STREAM (req->resp_stream);
  if (!g_pollable_input_stream_can_poll (in) || g_pollable_input_stream_is_readable (in))
    return FALSE;
  source = g_pollable_input_stream_create_source (in, NULL);
  g_source_set_callback (source, G_SOURCE_FUNC (hz_http_stream_readable), hz_http_request_ref (req),
                         (GDestroyNotify) hz_http_request_unref);
  g_source_attach (source, g_main_context_get_thread_default ());
  g_source_unref (source);
  return TRUE;
}

/* Writes the response one piece per writeable callback. Returns -1 when
 * the connection is to be closed. */
static int
hz_http_request_write (HzSession *pss, struct lws *wsi)
{
  HzHttpRequest *req = pss->req;
  guchar buf[LWS_PRE + HZ_HTTP_CHUNK];
  guchar *start = buf + LWS_PRE, *p = start, *end = buf + sizeof (buf) - 1;
  guint64 total = req->resp_stream != NULL ? req->resp_len : g_bytes_get_size (req->resp);
  const guchar *data = g_bytes_get_data (req->resp, NULL);
  gboolean done;
  gsize got = 0;

  if (!req->headers_sent) {
    static const char cache[] = "no-store";
    if (lws_add_http_common_headers (wsi, req->status, req->content_type, total, &p, end) ||
        lws_add_http_header_by_token (wsi, WSI_TOKEN_HTTP_CACHE_CONTROL,
                                      (const guchar *) cache, sizeof (cache) - 1, &p, end) ||
        (req->close_after &&
         lws_add_http_header_by_token (wsi, WSI_TOKEN_CONNECTION,
                                       (const guchar *) "close", 5, &p, end)))
      return -1;
    for (guint i = 0; req->resp_headers != NULL && i + 1 < req->resp_headers->len; i += 2) {
      const char *value = g_ptr_array_index (req->resp_headers, i + 1);
      if (lws_add_http_header_by_name (wsi, g_ptr_array_index (req->resp_headers, i),
                                       (const guchar *) value, (int) strlen (value), &p, end))
        return -1;
    }
    if (lws_finalize_write_http_header (wsi, start, &p, end))
      return -1;
    req->headers_sent = TRUE;
    done = (total == 0);
  } else {
    gsize n = (gsize) MIN (total - req->resp_off, (guint64) HZ_HTTP_CHUNK);
    done = (req->resp_off + n == total);
    /* a streamed file is read one chunk per writeable callback: a 16 KiB
     * read of a local file is short enough for the main context */
    if (req->resp_stream == NULL)
      memcpy (start, data + req->resp_off, n);
    else if (hz_http_stream_wait (req))
      return 0; /* called again once the stream has data */
    else if (!g_input_stream_read_all (req->resp_stream, start, n, &got, NULL, NULL) || got != n)
      return -1; /* the file shrank under us: the client sees a short body */
    if (lws_write (wsi, start, n, done ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) != (int) n)
      return -1;
    req->resp_off += n;
  }
  if (!done) {
    lws_callback_on_writable (wsi);
    return 0;
  }
  pss->req = NULL;
  req->wsi = NULL;
  if (req->close_after) {
    hz_http_request_unref (req);
    return -1;
  }
  hz_http_request_unref (req);
  return lws_http_transaction_completed (wsi) ? -1 : 0;
}

/* Responds from inside the server (no handler involved). */
void
hz_http_request_fail (HzHttpRequest *req, guint status, const char *code, const char *message)
{
  hz_http_request_respond_error (hz_http_request_ref (req), status, code, message);
}

static void
hz_http_request_dispatch (HzHttpRequest *req)
{
  req->route->handler (hz_http_request_ref (req), req->route->user_data);
}

void
hz_http_request_stream_body (HzHttpRequest *req, HzHttpChunkFunc on_chunk, HzHttpHandler on_done,
                             gpointer user_data, GDestroyNotify destroy)
{
  g_return_if_fail (req != NULL && on_chunk != NULL && on_done != NULL);
  g_return_if_fail (req->route != NULL && req->route->streaming && req->on_done == NULL);
  req->on_chunk = on_chunk;
  req->on_done = on_done;
  req->stream_data = user_data;
  req->stream_destroy = destroy;
}

guint64
hz_http_request_get_content_length (HzHttpRequest *req)
{
  g_return_val_if_fail (req != NULL, 0);
  return req->content_length;
}

/* A streaming body is complete: its on_done answers (with the handler's
 * reference, which stream_body kept pending). */
static void
hz_http_stream_finish (HzHttpRequest *req)
{
  if (req->responded || req->on_done == NULL || req->stream_complete)
    return;
  req->close_after = FALSE;
  req->stream_complete = TRUE;
  req->on_done (req, req->stream_data);
}

/* ---------------------------------------------------------- HTTP callbacks */

static const char *
hz_http_method_name (int meth)
{
  switch (meth) {
  case LWSHUMETH_GET: return "GET";
  case LWSHUMETH_POST: return "POST";
  case LWSHUMETH_OPTIONS: return "OPTIONS";
  case LWSHUMETH_PUT: return "PUT";
  case LWSHUMETH_PATCH: return "PATCH";
  case LWSHUMETH_DELETE: return "DELETE";
  case LWSHUMETH_HEAD: return "HEAD";
  default: return NULL;
  }
}

static char *
hz_http_copy_header (struct lws *wsi, enum lws_token_indexes token)
{
  int len = lws_hdr_total_length (wsi, token);
  char *buf;

  if (len <= 0)
    return NULL;
  buf = g_malloc (len + 1);
  if (lws_hdr_copy (wsi, buf, len + 1, token) < 0) {
    g_free (buf);
    return NULL;
  }
  return buf;
}

static HzHttpRequest *
hz_http_request_new (struct lws *wsi)
{
  HzHttpRequest *req;
  char *uri = NULL;
  int uri_len = 0;
  const char *method = hz_http_method_name (lws_http_get_uri_and_method (wsi, &uri, &uri_len));
  char peer[128] = "";
  char arg[1024];

  if (method == NULL || uri == NULL)
    return NULL;
  lws_get_peer_simple (wsi, peer, sizeof (peer));
  req = g_new0 (HzHttpRequest, 1);
  req->refcount = 1;
  req->wsi = wsi;
  req->method = g_strdup (method);
  req->path = g_strndup (uri, uri_len);
  req->peer = g_strdup (peer);
  req->params = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  req->query = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  req->headers = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  for (guint i = 0; i < G_N_ELEMENTS (hz_known_headers); i++) {
    char *value = hz_http_copy_header (wsi, hz_known_headers[i].token);
    if (value != NULL)
      g_hash_table_insert (req->headers, (gpointer) hz_known_headers[i].name, value);
  }
  /* lws hands the query string over url-decoded, one "k=v" per fragment */
  for (int n = 0; lws_hdr_copy_fragment (wsi, arg, sizeof (arg), WSI_TOKEN_HTTP_URI_ARGS, n) > 0; n++) {
    char *eq = strchr (arg, '=');
    if (eq == NULL)
      g_hash_table_replace (req->query, g_strdup (arg), g_strdup (""));
    else
      g_hash_table_replace (req->query, g_strndup (arg, eq - arg), g_strdup (eq + 1));
  }
  return req;
}

static int
hz_http_on_request (HzHttpServer *self, struct lws *wsi, HzSession *pss)
{
  HzHttpRequest *req = hz_http_request_new (wsi);
  const char *clen, *te;
  guint64 content_length = 0;
  gboolean has_body, path_known = FALSE;

  if (req == NULL)
    return -1;
  g_clear_pointer (&pss->req, hz_http_request_unref);
  pss->req = req;
  clen = g_hash_table_lookup (req->headers, "content-length");
  te = g_hash_table_lookup (req->headers, "transfer-encoding");
  if (clen != NULL && !g_ascii_string_to_unsigned (clen, 10, 0, G_MAXUINT64, &content_length, NULL)) {
    req->close_after = TRUE;
    hz_http_request_fail (req, 400, "bad_request", "invalid content-length");
    return 0;
  }
  has_body = content_length > 0 || te != NULL;
  /* an unread body would be taken for the next request: close after errors */
  req->close_after = has_body;

  req->route = hz_http_server_find_route (self, req, &path_known);
  if (req->route == NULL) {
    gboolean api = g_str_has_prefix (req->path, "/api/") || g_strcmp0 (req->path, "/api") == 0;
    gboolean get = g_strcmp0 (req->method, "GET") == 0 || g_strcmp0 (req->method, "HEAD") == 0;
    if (path_known || (!api && !get))
      hz_http_request_fail (req, 405, "method_not_allowed", "method not allowed here");
    else if (api)
      hz_http_request_fail (req, 404, "not_found", "no such endpoint");
    else
      return hz_http_serve_static (self, wsi, pss);
    return 0;
  }
  if (te != NULL) {
    hz_http_request_fail (req, 411, "length_required", "send a content-length");
    return 0;
  }
  if (content_length > req->route->max_body) {
    hz_http_request_fail (req, 413, "too_large", "request body too large");
    return 0;
  }
  req->content_length = content_length;
  if (req->route->streaming) {
    /* the handler decides on the headers; it keeps its reference pending
     * while the body streams into on_chunk */
    hz_http_request_ref (req);
    req->route->handler (req, req->route->user_data);
    if (!req->responded && req->on_done == NULL) {
      g_critical ("http: streaming handler for %s neither responded nor streamed", req->path);
      hz_http_request_respond_error (req, 500, "internal_error", "internal error");
    } else if (!has_body) {
      hz_http_stream_finish (req);
    }
    return 0;
  }
  if (!has_body) {
    req->close_after = FALSE;
    hz_http_request_dispatch (req);
    return 0;
  }
  req->body_limit = content_length;
  req->body = g_byte_array_sized_new (content_length);
  return 0;
}

static void
hz_http_on_body (HzSession *pss, const void *in, gsize len)
{
  HzHttpRequest *req = pss->req;

  if (req == NULL || req->responded)
    return;
  if (req->on_chunk != NULL) {
    if (req->streamed + len > req->content_length) {
      hz_http_request_respond_error (req, 413, "too_large", "request body longer than announced");
      return;
    }
    req->streamed += len;
    req->on_chunk (req, in, len, req->stream_data);
    return;
  }
  if (req->body == NULL)
    return;
  if (req->body->len + len > req->body_limit) {
    hz_http_request_fail (req, 413, "too_large", "request body too large");
    return;
  }
  g_byte_array_append (req->body, in, len);
}

static void
hz_http_on_body_done (HzSession *pss)
{
  HzHttpRequest *req = pss->req;

  if (req == NULL || req->responded || req->route == NULL)
    return;
  if (req->route->streaming) {
    hz_http_stream_finish (req);
    return;
  }
  req->close_after = FALSE;
  hz_http_request_dispatch (req);
}

static gboolean
hz_ws_path_ok (struct lws *wsi)
{
  char uri[16] = "";

  if (lws_hdr_total_length (wsi, WSI_TOKEN_GET_URI) <= 0 ||
      lws_hdr_total_length (wsi, WSI_TOKEN_GET_URI) >= (int) sizeof (uri))
    return FALSE;
  lws_hdr_copy (wsi, uri, sizeof (uri), WSI_TOKEN_GET_URI);
  return g_strcmp0 (uri, "/ws") == 0;
}

static int
hz_http_callback (struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
  HzHttpServer *self = lws_context_user (lws_get_context (wsi));
  HzSession *pss = user;

  switch (reason) {
  case LWS_CALLBACK_HTTP:
    return hz_http_on_request (self, wsi, pss);
  case LWS_CALLBACK_HTTP_BODY:
    hz_http_on_body (pss, in, len);
    return 0;
  case LWS_CALLBACK_HTTP_BODY_COMPLETION:
    hz_http_on_body_done (pss);
    return 0;
  case LWS_CALLBACK_HTTP_FILE_COMPLETION:
    return lws_http_transaction_completed (wsi) ? -1 : 0;
  case LWS_CALLBACK_HTTP_WRITEABLE:
    if (pss == NULL || pss->req == NULL || !pss->req->responded)
      return 0;
    return hz_http_request_write (pss, wsi);
  case LWS_CALLBACK_CLOSED_HTTP:
    if (pss != NULL && pss->req != NULL) {
      pss->req->wsi = NULL;
      /* a body still streaming: answer (to nobody) so the handler's
       * reference goes and destroy() cleans up */
      if (pss->req->on_done != NULL && !pss->req->responded && !pss->req->stream_complete)
        hz_http_request_respond_error (pss->req, 400, "client_gone", "the client went away");
      g_clear_pointer (&pss->req, hz_http_request_unref);
    }
    return 0;
  case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
    if (self->destroying || !hz_ws_path_ok (wsi)) {
      char peer[128] = "";
      lws_get_peer_simple (wsi, peer, sizeof (peer));
      g_message ("ws: %s asked for an upgrade off /ws, refused", peer);
      return 1;
    }
    return 0;
  case LWS_CALLBACK_ESTABLISHED:
    hz_ws_on_open (self, wsi, pss);
    return 0;
  case LWS_CALLBACK_RECEIVE:
    if (pss->ws != NULL)
      hz_ws_on_receive (self, wsi, pss->ws, in, len);
    return 0;
  case LWS_CALLBACK_SERVER_WRITEABLE:
    return pss->ws != NULL ? hz_ws_on_writeable (wsi, pss->ws) : 0;
  case LWS_CALLBACK_CLOSED:
    hz_ws_on_closed (self, pss);
    return 0;
  default:
    return lws_callback_http_dummy (wsi, reason, user, in, len);
  }
}

/* ------------------------------------------------------------------ server */

static void
hz_http_lws_log (int level, const char *line)
{
  if (level & LLL_ERR)
    g_message ("lws: %.*s", (int) strcspn (line, "\n"), line);
  else
    g_debug ("lws: %.*s", (int) strcspn (line, "\n"), line);
}

static gboolean
hz_http_parse_listen (const char *listen, char **host, int *port, GError **error)
{
  const char *colon = strrchr (listen, ':');
  guint64 value = 0;

  if (colon == NULL || !g_ascii_string_to_unsigned (colon + 1, 10, 0, 65535, &value, NULL)) {
    g_set_error (error, HZ_HTTP_ERROR, HZ_HTTP_ERROR_INVALID_ARGUMENT,
                 "listen address \"%s\" is not host:port", listen);
    return FALSE;
  }
  if (listen[0] == '[' && colon > listen && colon[-1] == ']')
    *host = g_strndup (listen + 1, colon - listen - 2);
  else
    *host = g_strndup (listen, colon - listen);
  if (g_strcmp0 (*host, "localhost") == 0) {
    g_free (*host);
    *host = g_strdup ("127.0.0.1");
  }
  if ((*host)[0] == '\0' || g_strcmp0 (*host, "0.0.0.0") == 0 || g_strcmp0 (*host, "::") == 0)
    g_clear_pointer (host, g_free);
  *port = (int) value;
  return TRUE;
}

static const lws_retry_bo_t ws_idle_policy = {
  .secs_since_valid_ping = 10,
  .secs_since_valid_hangup = 25,
};

HzHttpServer *
hz_http_server_new (const char *listen, const char *tls_cert, const char *tls_key,
                    const char *web_root, GError **error)
{
  g_autoptr(HzHttpServer) self = NULL;
  g_autofree char *host = NULL;
  struct lws_context_creation_info info;
  void *foreign_loops[1];
  int port = 0;
  static gsize log_once = 0;

  g_return_val_if_fail (listen != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if ((tls_cert == NULL) != (tls_key == NULL)) {
    g_set_error_literal (error, HZ_HTTP_ERROR, HZ_HTTP_ERROR_INVALID_ARGUMENT,
                         "tls_cert and tls_key go together");
    return NULL;
  }
  if (!hz_http_parse_listen (listen, &host, &port, error))
    return NULL;
  if (g_once_init_enter (&log_once)) {
    lws_set_log_level (LLL_ERR | LLL_WARN, hz_http_lws_log);
    g_once_init_leave (&log_once, 1);
  }

  self = g_new0 (HzHttpServer, 1);
  self->routes = g_ptr_array_new_with_free_func ((GDestroyNotify) hz_route_free);
  self->ws_conns = g_hash_table_new (NULL, NULL);
  if (web_root != NULL) {
    self->web_root = realpath (web_root, NULL);
    if (self->web_root == NULL || !g_file_test (self->web_root, G_FILE_TEST_IS_DIR)) {
      g_set_error (error, HZ_HTTP_ERROR, HZ_HTTP_ERROR_INVALID_ARGUMENT,
                   "web root %s is not a directory", web_root);
      return NULL;
    }
  }
  /* "huizhen" serves plain HTTP too, and WebSockets asking no subprotocol */
  self->protocols[0].name = "huizhen";
  self->protocols[0].callback = hz_http_callback;
  self->protocols[0].per_session_data_size = sizeof (HzSession);
  self->protocols[0].rx_buffer_size = 65536;
  self->loop = g_main_loop_new (g_main_context_get_thread_default (), FALSE);
  foreign_loops[0] = self->loop;

  memset (&info, 0, sizeof (info));
  info.options = LWS_SERVER_OPTION_GLIB | LWS_SERVER_OPTION_EXPLICIT_VHOSTS |
                 LWS_SERVER_OPTION_VALIDATE_UTF8;
  if (tls_cert != NULL)
    info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
  info.foreign_loops = foreign_loops;
  info.user = self;
  info.port = CONTEXT_PORT_NO_LISTEN;
  self->context = lws_create_context (&info);
  if (self->context == NULL) {
    g_set_error_literal (error, HZ_HTTP_ERROR, HZ_HTTP_ERROR_LISTEN,
                         "libwebsockets context (glib event loop) could not be created");
    return NULL;
  }

  memset (&info, 0, sizeof (info));
  info.port = port;
  info.iface = host;
  if (host != NULL && strchr (host, ':') == NULL)
    info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
  /* lws reads this on the vhost too: without it the vhost speaks plain HTTP */
  if (tls_cert != NULL)
    info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
  /* HTTP/1.1 only: the static file headers and /ws are written for h1 */
  info.alpn = "http/1.1";
  info.protocols = self->protocols;
  info.ssl_cert_filepath = tls_cert;
  info.ssl_private_key_filepath = tls_key;
  info.keepalive_timeout = 30;
  info.max_http_header_data = 8192;
  /* A /ws peer that vanishes (tab frozen, network gone) is pinged after
   * 10 s of silence and dropped after 25 s, so its room is told in time. */
  info.retry_and_idle_policy = &ws_idle_policy;
  info.vhost_name = "huizhen";
  self->vhost = lws_create_vhost (self->context, &info);
  if (self->vhost == NULL || lws_get_vhost_listen_port (self->vhost) <= 0) {
    g_set_error (error, HZ_HTTP_ERROR, HZ_HTTP_ERROR_LISTEN,
                 "cannot listen on %s%s", listen, tls_cert != NULL ? " with TLS" : "");
    return NULL;
  }
  return g_steal_pointer (&self);
}

guint16
hz_http_server_get_port (HzHttpServer *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return (guint16) lws_get_vhost_listen_port (self->vhost);
}

void
hz_http_server_set_ws_callbacks (HzHttpServer *self, const HzWsCallbacks *callbacks, gpointer user_data)
{
  g_return_if_fail (self != NULL && callbacks != NULL);
  self->ws_cb = *callbacks;
  self->ws_data = user_data;
}

void
hz_http_server_free (HzHttpServer *self)
{
  if (self == NULL)
    return;
  self->destroying = TRUE;
  /* closes every connection synchronously (CLOSED callbacks run now) */
  if (self->context != NULL)
    lws_context_destroy (self->context);
  g_warn_if_fail (g_hash_table_size (self->ws_conns) == 0);
  g_hash_table_unref (self->ws_conns);
  g_ptr_array_unref (self->routes);
  g_clear_pointer (&self->loop, g_main_loop_unref);
  free (self->web_root);
  g_free (self);
}
