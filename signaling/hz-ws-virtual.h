/* hz-ws-virtual: an HzWsConn without a socket. Everything that talks to a
 * signaling session through its HzWsConn (replies, room broadcasts, closing)
 * works unchanged; sends and the close go to the functions given here. Used
 * by hz-signal-relay for sessions whose client is connected to another
 * cluster node. Main context only. */
#pragma once

#include "hz-http.h"

G_BEGIN_DECLS

typedef struct {
  /* hz_ws_conn_send() on an open connection */
  void (*send) (HzWsConn *conn, const char *text, gpointer data);
  /* the first hz_ws_conn_close(); sends fail from now on. The owner frees
   * the connection later (not from inside this call: the caller may still
   * be using it). */
  void (*close) (HzWsConn *conn, guint16 code, const char *reason, gpointer data);
} HzWsVirtualFuncs;

HzWsConn *hz_ws_conn_new_virtual (const char *peer, const HzWsVirtualFuncs *funcs, gpointer data);
gboolean hz_ws_conn_is_virtual (HzWsConn *conn);
/* Closed without calling funcs->close (the other side is gone already). */
void hz_ws_conn_mark_closed (HzWsConn *conn);
void hz_ws_conn_free_virtual (HzWsConn *conn);

G_END_DECLS
