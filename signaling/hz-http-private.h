/*
 * hz-http-private: what hz-http.c (HTTP, routing, static files, the server)
 * and hz-ws.c (the /ws connections) share. Not for other modules.
 */
#pragma once

#include <libwebsockets.h>

#include "hz-http.h"

G_BEGIN_DECLS

typedef struct {
  char *method;
  char **segments; /* pattern split on '/', "{name}" captures */
  guint64 max_body;
  gboolean streaming; /* handler runs on the headers; body via stream_body */
  HzHttpHandler handler;
  gpointer user_data;
} HzRoute;

struct _HzHttpRequest {
  gint refcount; /* one for the connection, one for the pending handler */
  struct lws *wsi; /* NULL once the connection is gone */
  HzRoute *route;
  char *method, *path, *peer;
  GHashTable *params, *query, *headers;
  GByteArray *body;
  gsize body_limit;
  /* streaming routes: hz_http_request_stream_body() */
  guint64 content_length, streamed;
  HzHttpChunkFunc on_chunk;
  HzHttpHandler on_done;
  gpointer stream_data;
  GDestroyNotify stream_destroy;
  gboolean stream_complete; /* on_done has been called */
  gboolean responded, headers_sent, close_after;
  guint status;
  char *content_type;
  GBytes *resp;
  gsize resp_off;
  GPtrArray *resp_headers;    /* extra "name:", value, ... */
  GInputStream *resp_stream;  /* instead of resp: resp_len bytes read as sent */
  guint64 resp_len;
};

struct _HzHttpServer {
  struct lws_context *context;
  struct lws_vhost *vhost;
  GMainLoop *loop; /* wraps the thread-default context; never run here */
  struct lws_protocols protocols[2];
  GPtrArray *routes;
  char *web_root; /* canonical path, or NULL */
  HzWsCallbacks ws_cb;
  gpointer ws_data;
  GHashTable *ws_conns; /* set of HzWsConn* */
  gboolean destroying;
};

/* lws per-session data: the request in progress, or the WebSocket */
typedef struct {
  HzHttpRequest *req;
  HzWsConn *ws;
} HzSession;

HzRoute *hz_http_server_find_route (HzHttpServer *self, HzHttpRequest *req, gboolean *path_known);
void hz_route_free (HzRoute *route);
int hz_http_serve_static (HzHttpServer *self, struct lws *wsi, HzSession *pss);
/* hz-http.c, for hz-http-route.c */
void hz_http_request_unref (HzHttpRequest *req);
void hz_http_request_fail (HzHttpRequest *req, guint status, const char *code, const char *message);

void hz_ws_on_open (HzHttpServer *self, struct lws *wsi, HzSession *pss);
void hz_ws_on_receive (HzHttpServer *self, struct lws *wsi, HzWsConn *conn,
                       const void *in, gsize len);
int hz_ws_on_writeable (struct lws *wsi, HzWsConn *conn);
void hz_ws_on_closed (HzHttpServer *self, HzSession *pss);

G_END_DECLS
