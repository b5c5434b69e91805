/*
 * hz-ws: the /ws WebSocket connections of the HTTP port: message
 * reassembly and size limit, the bounded outgoing queue, closing with a code.
 * Called from hz-http.c's lws callback, on the main context.
 *
 * Also virtual connections (hz-ws-virtual.h): an HzWsConn with no socket
 * whose sends and close go to functions, for signaling sessions of clients
 * connected to another cluster node (hz-signal-relay).
 */
#include "hz-http-private.h"
#include "hz-ws-virtual.h"

#include <string.h>

/* seconds a closing connection may take to flush its close frame */
#define HZ_WS_CLOSE_FLUSH_S 5

typedef struct {
  gsize len;
  guchar buf[]; /* LWS_PRE bytes of headroom, then the text */
} HzWsMsg;

struct _HzWsConn {
  HzHttpServer *server;
  struct lws *wsi;
  char *peer;
  gpointer data;
  GByteArray *rx;
  gboolean discarding;
  GQueue txq; /* HzWsMsg* */
  gsize tx_bytes;
  gboolean closing;
  guint16 close_code;
  char *close_reason;
  const HzWsVirtualFuncs *virt; /* non-NULL: a virtual connection */
  gpointer virt_data;
};

static void
hz_ws_conn_clear_queue (HzWsConn *conn)
{
  g_queue_clear_full (&conn->txq, g_free);
  conn->tx_bytes = 0;
}

static void
hz_ws_conn_free (HzWsConn *conn)
{
  hz_ws_conn_clear_queue (conn);
  g_byte_array_unref (conn->rx);
  g_free (conn->peer);
  g_free (conn->close_reason);
  g_free (conn);
}

gboolean
hz_ws_conn_send (HzWsConn *conn, const char *text)
{
  gsize len;
  HzWsMsg *msg;

  g_return_val_if_fail (conn != NULL && text != NULL, FALSE);
  if (conn->virt != NULL) {
    if (conn->closing)
      return FALSE;
    conn->virt->send (conn, text, conn->virt_data);
    return TRUE;
  }
  if (conn->closing || conn->wsi == NULL || conn->server->destroying)
    return FALSE;
  len = strlen (text);
  if (conn->txq.length >= HZ_WS_MAX_QUEUED_MESSAGES || conn->tx_bytes + len > HZ_WS_MAX_QUEUED_BYTES) {
    g_message ("ws: %s is not reading (%u messages queued), closing", conn->peer, conn->txq.length);
    hz_ws_conn_clear_queue (conn);
    hz_ws_conn_close (conn, LWS_CLOSE_STATUS_POLICY_VIOLATION, "send queue full");
    return FALSE;
  }
  msg = g_malloc (sizeof (HzWsMsg) + LWS_PRE + len);
  msg->len = len;
  memcpy (msg->buf + LWS_PRE, text, len);
  g_queue_push_tail (&conn->txq, msg);
  conn->tx_bytes += len;
  lws_callback_on_writable (conn->wsi);
  return TRUE;
}

void
hz_ws_conn_close (HzWsConn *conn, guint16 code, const char *reason)
{
  g_return_if_fail (conn != NULL);
  if (conn->virt != NULL) {
    if (conn->closing)
      return;
    conn->closing = TRUE;
    conn->virt->close (conn, code, reason, conn->virt_data);
    return;
  }
  if (conn->closing || conn->wsi == NULL)
    return;
  conn->closing = TRUE;
  conn->close_code = code;
  conn->close_reason = g_strndup (reason != NULL ? reason : "", 120);
  lws_callback_on_writable (conn->wsi);
  /* A peer that does not read never makes the socket writable, so the close
   * frame would wait forever and on_close (the member's leave) never come:
   * hang up if the close cannot be flushed within HZ_WS_CLOSE_FLUSH_S. */
  lws_set_timeout (conn->wsi, PENDING_TIMEOUT_CLOSE_SEND, HZ_WS_CLOSE_FLUSH_S);
}

const char *
hz_ws_conn_get_peer (HzWsConn *conn)
{
  g_return_val_if_fail (conn != NULL, NULL);
  return conn->peer;
}

void
hz_ws_conn_set_data (HzWsConn *conn, gpointer data)
{
  g_return_if_fail (conn != NULL);
  conn->data = data;
}

gpointer
hz_ws_conn_get_data (HzWsConn *conn)
{
  g_return_val_if_fail (conn != NULL, NULL);
  return conn->data;
}

void
hz_ws_on_open (HzHttpServer *self, struct lws *wsi, HzSession *pss)
{
  HzWsConn *conn = g_new0 (HzWsConn, 1);
  char peer[128] = "";

  lws_get_peer_simple (wsi, peer, sizeof (peer));
  conn->server = self;
  conn->wsi = wsi;
  conn->peer = g_strdup (peer);
  conn->rx = g_byte_array_new ();
  g_queue_init (&conn->txq);
  pss->ws = conn;
  g_hash_table_add (self->ws_conns, conn);
  if (self->ws_cb.on_open != NULL)
    self->ws_cb.on_open (conn, self->ws_data);
}

void
hz_ws_on_receive (HzHttpServer *self, struct lws *wsi, HzWsConn *conn, const void *in, gsize len)
{
  gboolean final = lws_is_final_fragment (wsi) && lws_remaining_packet_payload (wsi) == 0;

  if (conn->closing || conn->discarding) {
    conn->discarding = !final;
    return;
  }
  if (lws_frame_is_binary (wsi)) {
    g_message ("ws: %s sent a binary message, closing", conn->peer);
    conn->discarding = !final;
    hz_ws_conn_close (conn, LWS_CLOSE_STATUS_UNACCEPTABLE_OPCODE, "text messages only");
    return;
  }
  if (conn->rx->len + len > HZ_WS_MAX_MESSAGE) {
    g_message ("ws: %s sent a message over %u bytes, closing", conn->peer, HZ_WS_MAX_MESSAGE);
    g_byte_array_set_size (conn->rx, 0);
    conn->discarding = !final;
    if (self->ws_cb.on_too_big != NULL)
      self->ws_cb.on_too_big (conn, self->ws_data);
    hz_ws_conn_close (conn, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, "message too large");
    return;
  }
  g_byte_array_append (conn->rx, in, len);
  if (!final)
    return;
  g_byte_array_append (conn->rx, (const guint8 *) "", 1);
  if (self->ws_cb.on_message != NULL)
    self->ws_cb.on_message (conn, (const char *) conn->rx->data, conn->rx->len - 1, self->ws_data);
  g_byte_array_set_size (conn->rx, 0);
}

int
hz_ws_on_writeable (struct lws *wsi, HzWsConn *conn)
{
  HzWsMsg *msg = g_queue_pop_head (&conn->txq);

  if (msg != NULL) {
    int n = lws_write (wsi, msg->buf + LWS_PRE, msg->len, LWS_WRITE_TEXT);
    conn->tx_bytes -= msg->len;
    g_free (msg);
    if (n < 0)
      return -1;
    if (conn->txq.length > 0 || conn->closing)
      lws_callback_on_writable (wsi);
    return 0;
  }
  if (conn->closing) {
    lws_close_reason (wsi, conn->close_code, (guchar *) conn->close_reason, strlen (conn->close_reason));
    return -1;
  }
  return 0;
}

void
hz_ws_on_closed (HzHttpServer *self, HzSession *pss)
{
  HzWsConn *conn = pss->ws;

  if (conn == NULL)
    return;
  pss->ws = NULL;
  conn->wsi = NULL;
  conn->closing = TRUE;
  if (self->ws_cb.on_close != NULL)
    self->ws_cb.on_close (conn, self->ws_data);
  g_hash_table_remove (self->ws_conns, conn);
  hz_ws_conn_free (conn);
}


/* ---- virtual connections ---- */

HzWsConn *
hz_ws_conn_new_virtual (const char *peer, const HzWsVirtualFuncs *funcs, gpointer data)
{
  HzWsConn *conn = g_new0 (HzWsConn, 1);

  g_return_val_if_fail (funcs != NULL && funcs->send != NULL && funcs->close != NULL, NULL);
  conn->peer = g_strdup (peer != NULL ? peer : "");
  conn->rx = g_byte_array_new ();
  g_queue_init (&conn->txq);
  conn->virt = funcs;
  conn->virt_data = data;
  return conn;
}

gboolean
hz_ws_conn_is_virtual (HzWsConn *conn)
{
  return conn != NULL && conn->virt != NULL;
}

void
hz_ws_conn_mark_closed (HzWsConn *conn)
{
  g_return_if_fail (conn != NULL && conn->virt != NULL);
  conn->closing = TRUE;
}

void
hz_ws_conn_free_virtual (HzWsConn *conn)
{
  if (conn == NULL)
    return;
  g_return_if_fail (conn->virt != NULL);
  hz_ws_conn_free (conn);
}
