/* lg-ws: WebSocket and HTTP plumbing shared by the two signaling adapters
 * (libsoup, one SoupSession for every client), and the bounded waits. */
#include "lg.h"

#include <string.h>

static void
ws_message_cb (SoupWebsocketConnection *ws, gint type, GBytes *message, gpointer data)
{
  LgClient *c = data;
  gsize n;
  const char *text = g_bytes_get_data (message, &n);
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  JsonNode *root;

  if (type != SOUP_WEBSOCKET_DATA_TEXT || !json_parser_load_from_data (parser, text, (gssize) n, NULL))
    return;
  root = json_parser_get_root (parser);
  if (root != NULL && JSON_NODE_HOLDS_OBJECT (root))
    c->run->adapter->message (c, json_node_get_object (root));
}

static void
ws_closed_cb (SoupWebsocketConnection *ws, gpointer data)
{
  LgClient *c = data;

  if (!c->failed && c->run->deadline_us > g_get_monotonic_time ())
    lg_client_fail (c, "signaling closed (%u)", soup_websocket_connection_get_close_code (ws));
}

typedef struct {
  LgClient *c;
  void (*opened) (LgClient *c);
} WsConnect;

static void
ws_connected (GObject *source, GAsyncResult *res, gpointer data)
{
  WsConnect *wc = data;
  LgClient *c = wc->c;
  g_autoptr(GError) error = NULL;

  c->ws_connecting = FALSE;
  c->ws = soup_session_websocket_connect_finish (SOUP_SESSION (source), res, &error);
  if (c->ws == NULL) {
    lg_client_fail (c, "WebSocket: %s", error->message);
  } else {
    soup_websocket_connection_set_max_incoming_payload_size (c->ws, 1024 * 1024);
    soup_websocket_connection_set_keepalive_interval (c->ws, 0);
    g_signal_connect (c->ws, "message", G_CALLBACK (ws_message_cb), c);
    g_signal_connect (c->ws, "closed", G_CALLBACK (ws_closed_cb), c);
    wc->opened (c);
  }
  g_free (wc);
}

void
lg_ws_connect (LgClient *c, const char *url, const char *protocol, void (*opened) (LgClient *c))
{
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
  const char *protocols[] = { protocol, NULL };
  WsConnect *wc = g_new0 (WsConnect, 1);

  wc->c = c;
  wc->opened = opened;
  c->ws_connecting = TRUE;
  soup_session_websocket_connect_async (c->run->session, msg, NULL, (char **) protocols,
                                        G_PRIORITY_DEFAULT, NULL, ws_connected, wc);
}

void
lg_ws_send (LgClient *c, const char *text)
{
  if (c->ws != NULL && soup_websocket_connection_get_state (c->ws) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_send_text (c->ws, text);
}

char *
lg_json_quote (const char *s)
{
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_VALUE);

  json_node_set_string (node, s != NULL ? s : "");
  return json_to_string (node, FALSE);
}

gboolean
lg_wait (LgRun *run, gboolean (*done) (gpointer data), gpointer data, guint timeout_ms)
{
  gint64 end = MIN (g_get_monotonic_time () + (gint64) timeout_ms * 1000, run->deadline_us);

  while (!done (data)) {
    if (g_get_monotonic_time () >= end)
      return FALSE;
    g_main_context_iteration (NULL, TRUE);
  }
  return TRUE;
}

static gboolean
never (gpointer data)
{
  return FALSE;
}

void
lg_iterate (LgRun *run, guint ms)
{
  lg_wait (run, never, NULL, ms);
}

typedef struct {
  GBytes *body;
  GError *error;
  gboolean done;
} HttpCall;

static void
http_done (GObject *source, GAsyncResult *res, gpointer data)
{
  HttpCall *call = data;

  call->body = soup_session_send_and_read_finish (SOUP_SESSION (source), res, &call->error);
  call->done = TRUE;
}

static gboolean
http_is_done (gpointer data)
{
  return ((HttpCall *) data)->done;
}

guint
lg_http (LgRun *run, const char *method, const char *path, const char *json_body,
         JsonNode **out_body)
{
  g_autofree char *url = g_strconcat (run->url, path, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new (method, url);
  g_autofree char *auth = g_strconcat ("Bearer ", run->admin_key, NULL);
  g_autoptr(GCancellable) cancel = g_cancellable_new ();
  HttpCall call = { 0 };

  if (msg == NULL)
    return 0;
  soup_message_headers_append (soup_message_get_request_headers (msg), "Authorization", auth);
  if (json_body != NULL) {
    g_autoptr(GBytes) b = g_bytes_new (json_body, strlen (json_body));
    soup_message_set_request_body_from_bytes (msg, "application/json", b);
  }
  soup_session_send_and_read_async (run->session, msg, G_PRIORITY_DEFAULT, cancel, http_done, &call);
  /* the HTTP call itself is bounded: at most 10 s, then cancelled */
  if (!lg_wait (run, http_is_done, &call, 10000))
    g_cancellable_cancel (cancel);
  while (!call.done)
    g_main_context_iteration (NULL, TRUE);
  if (call.error != NULL) {
    g_printerr ("%s %s: %s\n", method, path, call.error->message);
    g_error_free (call.error);
    return 0;
  }
  if (out_body != NULL) {
    gsize n;
    const char *data = g_bytes_get_data (call.body, &n);
    *out_body = n > 0 ? json_from_string (data, NULL) : NULL;
  }
  g_bytes_unref (call.body);
  return soup_message_get_status (msg);
}
