/*
 * hz-http-private: what hz-http.c (HTTP, routing, static files, the server)
 * and hz-ws.c (the /ws connections) share. Not for other modules.
 */
#pragma once

#include <libwebsockets.h>

#include "hz-http.h"

G_BEGIN_DECLS

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

void hz_ws_on_open (HzHttpServer *self, struct lws *wsi, HzSession *pss);
void hz_ws_on_receive (HzHttpServer *self, struct lws *wsi, HzWsConn *conn,
                       const void *in, gsize len);
int hz_ws_on_writeable (struct lws *wsi, HzWsConn *conn);
void hz_ws_on_closed (HzHttpServer *self, HzSession *pss);

G_END_DECLS
