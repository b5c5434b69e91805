/* lg-janus: the load generator's adapter for Janus's WebSocket API
 * (subprotocol janus-protocol) with the VideoRoom plugin: create a session,
 * attach janus.plugin.videoroom, join as publisher and publish with an offer
 * (the answer comes in the event's jsep), or join as subscriber to the room's
 * feeds (Janus offers, we answer with "start"); trickle both ways; keepalive.
 * Janus puts its candidates in its SDP as well: lg-sdp applies them. */
#include "lg.h"

#include <string.h>

/* ---- room creation: one short-lived control session ---- */

typedef struct {
  LgRun *run;
  SoupWebsocketConnection *ws;
  GError *error;
  gboolean opened;
  JsonNode *reply; /* the reply to the current transaction */
  char *tx;
} Ctl;

static void
ctl_message (SoupWebsocketConnection *ws, gint type, GBytes *message, gpointer data)
{
  Ctl *ctl = data;
  gsize n;
  const char *text = g_bytes_get_data (message, &n);
  g_autofree char *copy = g_strndup (text, n);
  JsonNode *node = json_from_string (copy, NULL);
  JsonObject *o;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node) || ctl->reply != NULL) {
    g_clear_pointer (&node, json_node_unref);
    return;
  }
  o = json_node_get_object (node);
  if (g_strcmp0 (json_object_get_string_member_with_default (o, "transaction", ""), ctl->tx) != 0 ||
      g_strcmp0 (json_object_get_string_member_with_default (o, "janus", ""), "ack") == 0) {
    json_node_unref (node);
    return;
  }
  ctl->reply = node;
}

static void
ctl_connected (GObject *source, GAsyncResult *res, gpointer data)
{
  Ctl *ctl = data;

  ctl->ws = soup_session_websocket_connect_finish (SOUP_SESSION (source), res, &ctl->error);
  if (ctl->ws != NULL)
    g_signal_connect (ctl->ws, "message", G_CALLBACK (ctl_message), ctl);
  ctl->opened = TRUE;
}

static gboolean
ctl_opened (gpointer data)
{
  return ((Ctl *) data)->opened;
}

static gboolean
ctl_replied (gpointer data)
{
  return ((Ctl *) data)->reply != NULL;
}

/* Sends @json (with "transaction":"@tx" already in it) and waits for the reply. */
static JsonObject *
ctl_call (Ctl *ctl, const char *tx, const char *json, GError **error)
{
  g_clear_pointer (&ctl->reply, json_node_unref);
  g_free (ctl->tx);
  ctl->tx = g_strdup (tx);
  soup_websocket_connection_send_text (ctl->ws, json);
  if (!lg_wait (ctl->run, ctl_replied, ctl, 10000)) {
    g_set_error (error, LG_ERROR, LG_ERROR_TIMEOUT, "Janus did not answer %s", tx);
    return NULL;
  }
  return json_node_get_object (ctl->reply);
}

static gint64
data_id (JsonObject *o)
{
  JsonObject *d = json_object_get_object_member (o, "data");
  return d != NULL ? json_object_get_int_member_with_default (d, "id", 0) : 0;
}

static gboolean
janus_create_room (LgRun *run, LgRoom *room, guint publishers, guint capacity, GError **error)
{
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", run->url);
  const char *protocols[] = { "janus-protocol", NULL };
  Ctl ctl = { .run = run };
  JsonObject *o;
  gint64 session = 0, handle = 0;
  gboolean ok = FALSE;

  if (msg == NULL) {
    g_set_error (error, LG_ERROR, LG_ERROR_FAILED, "bad Janus URL %s", run->url);
    return FALSE;
  }
  room->janus_room = run->janus_room_base + room->index;
  soup_session_websocket_connect_async (run->session, msg, NULL, (char **) protocols,
                                        G_PRIORITY_DEFAULT, NULL, ctl_connected, &ctl);
  if (!lg_wait (run, ctl_opened, &ctl, 10000) || ctl.ws == NULL) {
    g_set_error (error, LG_ERROR, LG_ERROR_FAILED, "cannot reach Janus at %s: %s", run->url,
                 ctl.error != NULL ? ctl.error->message : "timeout");
    g_clear_error (&ctl.error);
    return FALSE;
  }
  if ((o = ctl_call (&ctl, "create", "{\"janus\":\"create\",\"transaction\":\"create\"}", error)) != NULL &&
      (session = data_id (o)) != 0) {
    g_autofree char *attach = g_strdup_printf (
        "{\"janus\":\"attach\",\"session_id\":%" G_GINT64_FORMAT ",\"plugin\":\"janus.plugin.videoroom\",\"transaction\":\"attach\"}",
        session);
    if ((o = ctl_call (&ctl, "attach", attach, error)) != NULL && (handle = data_id (o)) != 0) {
      /* bitrate 0: no REMB cap; VP8 + Opus as the Huizhen runs use */
      g_autofree char *create = g_strdup_printf (
          "{\"janus\":\"message\",\"session_id\":%" G_GINT64_FORMAT ",\"handle_id\":%" G_GINT64_FORMAT ","
          "\"transaction\":\"room\",\"body\":{\"request\":\"create\",\"room\":%" G_GUINT64_FORMAT ","
          "\"publishers\":%u,\"bitrate\":0,\"fir_freq\":0,\"audiocodec\":\"opus\",\"videocodec\":\"vp8\","
          "\"notify_joining\":false,\"description\":\"loadgen %u\"}}",
          session, handle, room->janus_room, MAX (publishers, 1), room->index);
      if ((o = ctl_call (&ctl, "room", create, error)) != NULL) {
        JsonObject *pd = json_object_get_object_member (o, "plugindata");
        JsonObject *d = pd != NULL ? json_object_get_object_member (pd, "data") : NULL;
        const char *vr = d != NULL ? json_object_get_string_member_with_default (d, "videoroom", "") : "";

        ok = strcmp (vr, "created") == 0;
        if (!ok)
          g_set_error (error, LG_ERROR, LG_ERROR_PROTOCOL, "Janus did not create room %" G_GUINT64_FORMAT ": %s",
                       room->janus_room, d != NULL ? json_object_get_string_member_with_default (d, "error", vr) : "?");
      }
    }
  }
  if (ok && session != 0) {
    g_autofree char *destroy = g_strdup_printf (
        "{\"janus\":\"destroy\",\"session_id\":%" G_GINT64_FORMAT ",\"transaction\":\"destroy\"}", session);
    soup_websocket_connection_send_text (ctl.ws, destroy);
  }
  if (!ok && error != NULL && *error == NULL)
    g_set_error (error, LG_ERROR, LG_ERROR_PROTOCOL, "Janus session setup failed");
  g_signal_handlers_disconnect_by_data (ctl.ws, &ctl);
  soup_websocket_connection_close (ctl.ws, 1000, NULL);
  g_object_unref (ctl.ws);
  g_clear_pointer (&ctl.reply, json_node_unref);
  g_free (ctl.tx);
  return ok;
}

/* ---- one participant ---- */

static gboolean
janus_prepare (LgClient *c, GError **error)
{
  c->feed_id = c->room->janus_room * 10000 + c->index + 1;
  return TRUE;
}

static void
send_message (LgClient *c, gint64 handle, const char *tx, const char *body, const char *jsep_type,
              const char *sdp)
{
  g_autofree char *msg = NULL;

  if (sdp != NULL) {
    g_autofree char *quoted = lg_json_quote (sdp);
    msg = g_strdup_printf ("{\"janus\":\"message\",\"session_id\":%" G_GINT64_FORMAT ",\"handle_id\":%" G_GINT64_FORMAT
                           ",\"transaction\":\"%s\",\"body\":%s,\"jsep\":{\"type\":\"%s\",\"sdp\":%s}}",
                           c->session_id, handle, tx, body, jsep_type, quoted);
  } else {
    msg = g_strdup_printf ("{\"janus\":\"message\",\"session_id\":%" G_GINT64_FORMAT ",\"handle_id\":%" G_GINT64_FORMAT
                           ",\"transaction\":\"%s\",\"body\":%s}",
                           c->session_id, handle, tx, body);
  }
  lg_ws_send (c, msg);
}

static void
attach (LgClient *c, const char *tx)
{
  g_autofree char *msg = g_strdup_printf (
      "{\"janus\":\"attach\",\"session_id\":%" G_GINT64_FORMAT ",\"plugin\":\"janus.plugin.videoroom\",\"transaction\":\"%s\"}",
      c->session_id, tx);
  lg_ws_send (c, msg);
}

static void
janus_opened (LgClient *c)
{
  lg_ws_send (c, "{\"janus\":\"create\",\"transaction\":\"create\"}");
}

static void
janus_start (LgClient *c)
{
  c->t_start_us = g_get_monotonic_time ();
  lg_ws_connect (c, c->run->url, "janus-protocol", janus_opened);
}

static void
janus_subscribe (LgClient *c)
{
  c->subscribe = TRUE;
  c->t_sub_start_us = g_get_monotonic_time ();
  if (c->session_id != 0)
    attach (c, "attach-sub");
  /* else: the session reply will attach (see "create" below) */
}

static void
join_subscriber (LgClient *c)
{
  g_autoptr(GString) body = g_string_new (NULL);
  guint n = 0;

  g_string_append_printf (body, "{\"request\":\"join\",\"ptype\":\"subscriber\",\"room\":%" G_GUINT64_FORMAT ",\"streams\":[",
                          c->room->janus_room);
  for (guint i = 0; i < c->room->feeds->len; i++) {
    guint64 feed = g_array_index (c->room->feeds, guint64, i);
    if (feed == c->feed_id && c->publish)
      continue;
    g_string_append_printf (body, "%s{\"feed\":%" G_GUINT64_FORMAT "}", n++ > 0 ? "," : "", feed);
  }
  g_string_append (body, "]}");
  if (n == 0) {
    lg_client_fail (c, "nothing published to subscribe to");
    return;
  }
  send_message (c, c->sub_handle, "join-sub", body->str, NULL, NULL);
}

static void
on_event (LgClient *c, JsonObject *o)
{
  gint64 sender = json_object_get_int_member_with_default (o, "sender", 0);
  JsonObject *pd = json_object_get_object_member (o, "plugindata");
  JsonObject *d = pd != NULL ? json_object_get_object_member (pd, "data") : NULL;
  JsonObject *jsep = json_object_has_member (o, "jsep") ? json_object_get_object_member (o, "jsep") : NULL;
  const char *vr = d != NULL ? json_object_get_string_member_with_default (d, "videoroom", "") : "";
  const char *sdp = jsep != NULL ? json_object_get_string_member_with_default (jsep, "sdp", NULL) : NULL;
  g_autoptr(GError) error = NULL;

  if (d != NULL && json_object_has_member (d, "error_code")) {
    lg_client_fail (c, "Janus error %" G_GINT64_FORMAT ": %s", json_object_get_int_member (d, "error_code"),
                    json_object_get_string_member_with_default (d, "error", ""));
    return;
  }
  if (sender == c->pub_handle && strcmp (vr, "joined") == 0) {
    g_autofree char *offer = lg_client_publisher_offer (c, &error);
    if (offer == NULL) {
      lg_client_fail (c, "publisher offer: %s", error->message);
      return;
    }
    send_message (c, c->pub_handle, "publish", "{\"request\":\"publish\"}", "offer", offer);
  } else if (sender == c->pub_handle && sdp != NULL) {
    if (!lg_client_publisher_answer (c, sdp, &error)) {
      lg_client_fail (c, "publisher answer: %s", error->message);
      return;
    }
    g_array_append_val (c->room->feeds, c->feed_id);
  } else if (sender == c->sub_handle && sdp != NULL) {
    g_autofree char *answer = lg_client_subscriber_answer (c, sdp, FALSE, &error);
    g_autofree char *body = NULL;

    if (answer == NULL) {
      lg_client_fail (c, "subscriber offer: %s", error->message);
      return;
    }
    body = g_strdup_printf ("{\"request\":\"start\",\"room\":%" G_GUINT64_FORMAT "}", c->room->janus_room);
    send_message (c, c->sub_handle, "start", body, "answer", answer);
  }
}

static void
janus_message (LgClient *c, JsonObject *o)
{
  const char *janus = json_object_get_string_member_with_default (o, "janus", "");
  const char *tx = json_object_get_string_member_with_default (o, "transaction", "");

  if (strcmp (janus, "success") == 0) {
    JsonObject *d = json_object_get_object_member (o, "data");
    gint64 id = d != NULL ? json_object_get_int_member_with_default (d, "id", 0) : 0;

    if (strcmp (tx, "create") == 0) {
      c->session_id = id;
      if (c->publish)
        attach (c, "attach-pub");
      else if (c->subscribe)
        attach (c, "attach-sub");
    } else if (strcmp (tx, "attach-pub") == 0) {
      g_autofree char *body = g_strdup_printf (
          "{\"request\":\"join\",\"ptype\":\"publisher\",\"room\":%" G_GUINT64_FORMAT ",\"id\":%" G_GUINT64_FORMAT ",\"display\":\"lg-%u\"}",
          c->room->janus_room, c->feed_id, c->index);
      c->pub_handle = id;
      send_message (c, c->pub_handle, "join-pub", body, NULL, NULL);
    } else if (strcmp (tx, "attach-sub") == 0) {
      c->sub_handle = id;
      join_subscriber (c);
    }
  } else if (strcmp (janus, "event") == 0) {
    on_event (c, o);
  } else if (strcmp (janus, "trickle") == 0) {
    gint64 sender = json_object_get_int_member_with_default (o, "sender", 0);
    JsonObject *cand = json_object_get_object_member (o, "candidate");
    HzPeer *peer = sender == c->pub_handle ? c->pub : sender == c->sub_handle ? c->sub : NULL;

    if (peer == NULL || cand == NULL)
      return;
    if (json_object_get_boolean_member_with_default (cand, "completed", FALSE))
      hz_peer_add_remote_candidate (peer, NULL, NULL);
    else
      hz_peer_add_remote_candidate (peer, json_object_get_string_member_with_default (cand, "candidate", ""), NULL);
  } else if (strcmp (janus, "error") == 0) {
    JsonObject *e = json_object_get_object_member (o, "error");
    lg_client_fail (c, "Janus error (%s): %s", tx,
                    e != NULL ? json_object_get_string_member_with_default (e, "reason", "") : "");
  } else if (strcmp (janus, "hangup") == 0 || strcmp (janus, "timeout") == 0) {
    lg_client_fail (c, "Janus %s: %s", janus, json_object_get_string_member_with_default (o, "reason", ""));
  }
}

static void
janus_local_candidate (LgClient *c, gboolean publisher, const char *candidate)
{
  gint64 handle = publisher ? c->pub_handle : c->sub_handle;
  g_autofree char *msg = NULL;

  if (candidate == NULL) {
    msg = g_strdup_printf ("{\"janus\":\"trickle\",\"session_id\":%" G_GINT64_FORMAT ",\"handle_id\":%" G_GINT64_FORMAT
                           ",\"transaction\":\"trickle\",\"candidate\":{\"completed\":true}}",
                           c->session_id, handle);
  } else {
    g_autofree char *quoted = lg_json_quote (candidate);
    msg = g_strdup_printf ("{\"janus\":\"trickle\",\"session_id\":%" G_GINT64_FORMAT ",\"handle_id\":%" G_GINT64_FORMAT
                           ",\"transaction\":\"trickle\",\"candidate\":{\"candidate\":%s,\"sdpMid\":\"0\",\"sdpMLineIndex\":0}}",
                           c->session_id, handle, quoted);
  }
  lg_ws_send (c, msg);
}

static void
janus_keepalive (LgClient *c)
{
  g_autofree char *msg = NULL;

  if (c->session_id == 0)
    return;
  msg = g_strdup_printf ("{\"janus\":\"keepalive\",\"session_id\":%" G_GINT64_FORMAT ",\"transaction\":\"ka\"}",
                         c->session_id);
  lg_ws_send (c, msg);
}

const LgAdapter lg_adapter_janus = {
  .name = "janus",
  .create_room = janus_create_room,
  .prepare = janus_prepare,
  .start = janus_start,
  .subscribe = janus_subscribe,
  .message = janus_message,
  .local_candidate = janus_local_candidate,
  .keepalive = janus_keepalive,
};
