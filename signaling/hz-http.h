/*
 * hz-http: the one HTTP port of the server (libwebsockets 4.1).
 *
 * Owns: the lws context and its listening socket, request routing
 * ("/api/v1/rooms/{id}" patterns), request bodies (bounded per route),
 * static files of the web client, and the "/ws" WebSocket connections
 * (message reassembly, the bounded outgoing queue, close codes).
 * Knows nothing of rooms, tokens or signaling messages: those are handlers.
 *
 * Event loop: lws runs on the thread-default GMainContext of the thread
 * that calls hz_http_server_new() (the process's main context), through
 * lws's own glib event library (LWS_SERVER_OPTION_GLIB with
 * info.foreign_loops[0] = a GMainLoop wrapping that context; lws 4.1 only
 * calls g_main_loop_get_context() on it, so the loop is never run by us and
 * the caller may iterate the context any way it likes). Every callback
 * (route handlers, WebSocket callbacks) therefore runs on that context,
 * with no threads and no locks. This was chosen over a service thread
 * because it keeps the whole control plane single-threaded; the unit tests
 * (tests/unit/test-http.c) drive it by iterating the context only. Do not
 * free the server from inside one of its own callbacks.
 *
 * HTTP/1.1 only (ALPN "http/1.1" under TLS). The WebSocket half lives in
 * hz-ws.c, sharing hz-http-private.h.
 */
#pragma once

#include <gio/gio.h>
#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define HZ_HTTP_ERROR (hz_http_error_quark ())
typedef enum {
  HZ_HTTP_ERROR_INVALID_ARGUMENT, /* listen address, certificate, web root */
  HZ_HTTP_ERROR_LISTEN,           /* the port could not be opened */
} HzHttpError;
GQuark hz_http_error_quark (void);

/* A WebSocket message larger than this closes the connection with 1009. */
#define HZ_WS_MAX_MESSAGE (256 * 1024)
/* Outgoing queue bound per connection: past either figure the peer is
 * considered not reading and the connection is closed (1008). */
#define HZ_WS_MAX_QUEUED_MESSAGES 1024
#define HZ_WS_MAX_QUEUED_BYTES (4 * 1024 * 1024)

typedef struct _HzHttpServer HzHttpServer;
typedef struct _HzHttpRequest HzHttpRequest;
typedef struct _HzWsConn HzWsConn;

/* A route handler. It must call one of hz_http_request_respond*() exactly
 * once, now or later from the same main context. The request stays valid
 * until then even if the client goes away (the response is then dropped). */
typedef void (*HzHttpHandler) (HzHttpRequest *req, gpointer user_data);

typedef struct {
  /* A /ws connection is established. */
  void (*on_open) (HzWsConn *conn, gpointer user_data);
  /* One complete text message (reassembled from fragments, valid UTF-8,
   * NUL-terminated at text[len]). */
  void (*on_message) (HzWsConn *conn, const char *text, gsize len, gpointer user_data);
  /* The connection is gone (peer close, error, hz_ws_conn_close, server
   * freed). The HzWsConn is freed right after this returns. */
  void (*on_close) (HzWsConn *conn, gpointer user_data);
  /* Optional: a message exceeded HZ_WS_MAX_MESSAGE. The connection will be
   * closed with 1009 once what is queued now is sent, so hz_ws_conn_send()
   * from here delivers a final error reply first. */
  void (*on_too_big) (HzWsConn *conn, gpointer user_data);
} HzWsCallbacks;

/* listen: "host:port" or "[v6]:port"; port 0 picks a free port.
 * tls_cert/tls_key: PEM paths, both or neither. web_root: directory of
 * static files, or NULL to serve none. */
HzHttpServer *hz_http_server_new (const char *listen,
                                  const char *tls_cert,
                                  const char *tls_key,
                                  const char *web_root,
                                  GError **error);
/* Closes every connection (on_close is called for open WebSockets;
 * pending requests get no response) and the listening socket. */
void hz_http_server_free (HzHttpServer *self);
guint16 hz_http_server_get_port (HzHttpServer *self);

/* pattern segments "{name}" capture one path segment. max_body 0 means the
 * route takes no body (any body is 413). */
void hz_http_server_add_route (HzHttpServer *self,
                               const char *method,
                               const char *pattern,
                               gsize max_body,
                               HzHttpHandler handler,
                               gpointer user_data);

/* Streaming request bodies (large uploads). A streaming route's handler is
 * called as soon as the headers are in, before any of the body: it checks
 * what it can (auth, room) and then, before returning, either responds
 * (the unread body is dropped and the connection closed) or calls
 * hz_http_request_stream_body() to take the body piece by piece as it
 * arrives. max_body (Content-Length) is checked before the handler runs;
 * chunked transfer encoding is refused (411) as on other routes. */
void hz_http_server_add_streaming_route (HzHttpServer *self,
                                         const char *method,
                                         const char *pattern,
                                         guint64 max_body,
                                         HzHttpHandler handler,
                                         gpointer user_data);
/* Called for each piece of the body in order. Return FALSE after having
 * responded (hz_http_request_respond*) to stop reading: the rest of the
 * body is dropped and the connection closed once the response is sent. */
typedef gboolean (*HzHttpChunkFunc) (HzHttpRequest *req, const guint8 *data, gsize len,
                                     gpointer user_data);
/* From a streaming route's handler only. on_chunk gets the body, on_done
 * runs once it is complete and must respond. If the client goes away
 * first, neither is called again and the request is answered (to nobody)
 * by hz-http. destroy(user_data) runs when the request is freed, in every
 * case, so temporary files can be removed there. */
void hz_http_request_stream_body (HzHttpRequest *req,
                                  HzHttpChunkFunc on_chunk,
                                  HzHttpHandler on_done,
                                  gpointer user_data,
                                  GDestroyNotify destroy);
/* The announced Content-Length (0 when none). */
guint64 hz_http_request_get_content_length (HzHttpRequest *req);

void hz_http_server_set_ws_callbacks (HzHttpServer *self,
                                      const HzWsCallbacks *callbacks,
                                      gpointer user_data);

const char *hz_http_request_get_method (HzHttpRequest *req);
const char *hz_http_request_get_path (HzHttpRequest *req);
const char *hz_http_request_get_param (HzHttpRequest *req, const char *name);
const char *hz_http_request_get_query (HzHttpRequest *req, const char *name);
/* lower-case name; known: authorization, content-type, content-length,
 * host, origin, user-agent, range, if-none-match, x-forwarded-for */
const char *hz_http_request_get_header (HzHttpRequest *req, const char *lower_name);
GBytes *hz_http_request_get_body (HzHttpRequest *req);
const char *hz_http_request_get_peer (HzHttpRequest *req);

void hz_http_request_respond (HzHttpRequest *req,
                              guint status,
                              const char *content_type,
                              GBytes *body);
/* An extra response header ("content-range", "bytes 0-9/100"), before
 * responding. */
void hz_http_request_add_header (HzHttpRequest *req, const char *name, const char *value);
/* Sends @length bytes read from @stream (a file positioned at the first
 * byte to send) chunk by chunk as the socket drains, so a large file is
 * never held in memory. A stream that ends early closes the connection.
 * A GPollableInputStream that can poll is read only when readable (the
 * response waits meanwhile without blocking the main context). */
void hz_http_request_respond_stream (HzHttpRequest *req, guint status, const char *content_type,
                                     GInputStream *stream, guint64 length);
void hz_http_request_respond_json (HzHttpRequest *req, guint status, JsonNode *body);
/* {"error":{"code":code,"message":message}}; message may be NULL. */
void hz_http_request_respond_error (HzHttpRequest *req,
                                    guint status,
                                    const char *code,
                                    const char *message);

/* Queues one text message. FALSE if the connection is closing, or the
 * queue bound was hit (the connection is then closed with 1008). */
gboolean hz_ws_conn_send (HzWsConn *conn, const char *text);
/* Sends what is queued, then a close frame with code and reason. */
void hz_ws_conn_close (HzWsConn *conn, guint16 code, const char *reason);
const char *hz_ws_conn_get_peer (HzWsConn *conn);
void hz_ws_conn_set_data (HzWsConn *conn, gpointer data);
gpointer hz_ws_conn_get_data (HzWsConn *conn);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HzHttpServer, hz_http_server_free)

G_END_DECLS
