/* hz-cascade: the satellites of teaching rooms on this node (see
 * hz-cascade.h); the placement decision is in hz-cascade-route.c. */
#include "hz-cascade-private.h"

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <string.h>

G_DEFINE_QUARK (hz-cascade-error-quark, hz_cascade_error)

#define RELAY_TOKEN_TTL_S 300
#define MAX_PAYLOAD (256 * 1024)


typedef struct {
  HzCascade *cascade;
  char *room_id, *owner_node, *owner_url;
  SoupSession *session;
  GCancellable *cancel;
  SoupWebsocketConnection *up;   /* to the owner's /ws: we subscribe there */
  SoupWebsocketConnection *down; /* to our own /ws: we publish here */
  gboolean down_started, down_joined;
  GQueue pending_down;           /* texts for down, waiting for its joined */
  char *presenter_id;            /* on the owner: whose mutes we mirror */
  char *up_token, *down_token;   /* relay join tokens, minted here */
  GHashTable *local_members;     /* participant id on this node besides us → display name */
  char *up_self_id, *down_self_id; /* our members' participant ids (owner, here) */
  gboolean owner_recording;      /* the owner's recording state, mirrored here */
  guint idle_source;
  guint next_request;
  HzCascadeSatelliteState state;
  gboolean ending;
  char *closed_reason;           /* the owner's room_closed reason, if it came */
} Satellite;

/* ---- helpers ---- */

/* Members of another node's messages, of the expected type or @def/NULL. */
static const char *
str_of (JsonObject *o, const char *name, const char *def)
{
  JsonNode *n = json_object_get_member (o, name);

  return n != NULL && JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING
             ? json_node_get_string (n) : def;
}

static gboolean
bool_of (JsonObject *o, const char *name, gboolean def)
{
  JsonNode *n = json_object_get_member (o, name);

  return n != NULL && JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_BOOLEAN
             ? json_node_get_boolean (n) : def;
}

static JsonObject *
obj_of (JsonObject *o, const char *name)
{
  JsonNode *n = json_object_get_member (o, name);

  return n != NULL && JSON_NODE_HOLDS_OBJECT (n) ? json_node_get_object (n) : NULL;
}

static JsonArray *
arr_of (JsonObject *o, const char *name)
{
  JsonNode *n = json_object_get_member (o, name);

  return n != NULL && JSON_NODE_HOLDS_ARRAY (n) ? json_node_get_array (n) : NULL;
}

static char *
mint_token (HzCascade *self, const char *room_id, const char *user, const char *display_name,
            const char *institution, HzRole role, GError **error)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  HzTokenClaims claims = {
    .room = (char *) room_id,
    .user = (char *) user,
    .display_name = (char *) display_name,
    .institution = (char *) (institution != NULL ? institution : ""),
    .role = role,
    .iat = now,
    .exp = now + RELAY_TOKEN_TTL_S,
  };

  return hz_token_issue (self->token_secret, &claims, error);
}

/* http://host:port[/] → ws://host:port/ws */
static char *
ws_url_of (const char *base_url, GError **error)
{
  g_autoptr(GUri) uri = base_url != NULL ? g_uri_parse (base_url, G_URI_FLAGS_NONE, error) : NULL;
  const char *scheme;

  if (uri == NULL) {
    if (error != NULL && *error == NULL)
      g_set_error (error, HZ_CASCADE_ERROR, HZ_CASCADE_ERROR_INVALID, "no URL");
    return NULL;
  }
  scheme = g_uri_get_scheme (uri);
  if (g_strcmp0 (scheme, "http") != 0 && g_strcmp0 (scheme, "https") != 0) {
    g_clear_error (error);
    g_set_error (error, HZ_CASCADE_ERROR, HZ_CASCADE_ERROR_INVALID,
                 "node URL must be http:// or https://, not \"%s\"", base_url);
    return NULL;
  }
  return g_uri_join (G_URI_FLAGS_NONE, g_strcmp0 (scheme, "https") == 0 ? "wss" : "ws", NULL,
                     g_uri_get_host (uri), g_uri_get_port (uri), "/ws", NULL, NULL);
}

static char *
json_text (JsonBuilder *b)
{
  g_autoptr(JsonNode) root = json_builder_get_root (b);

  return json_to_string (root, FALSE);
}

static void
send_text (SoupWebsocketConnection *conn, const char *text)
{
  if (conn != NULL && soup_websocket_connection_get_state (conn) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_send_text (conn, text);
}

static void
send_join (SoupWebsocketConnection *conn, const char *token)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autofree char *text = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, "join");
  json_builder_set_member_name (b, "token");
  json_builder_add_string_value (b, token);
  json_builder_end_object (b);
  text = json_text (b);
  send_text (conn, text);
}

/* Sends to our own node once the relay member has joined there. */
static void
send_down (Satellite *sat, char *text /* owned */)
{
  if (sat->down_joined)
    send_text (sat->down, text);
  else
    g_queue_push_tail (&sat->pending_down, g_strdup (text));
  g_free (text);
}

/* ---- lifetime ---- */

static void
satellite_free (Satellite *sat)
{
  g_clear_handle_id (&sat->idle_source, g_source_remove);
  g_cancellable_cancel (sat->cancel);
  for (guint i = 0; i < 2; i++) {
    SoupWebsocketConnection **conn = i == 0 ? &sat->up : &sat->down;

    if (*conn == NULL)
      continue;
    g_signal_handlers_disconnect_by_data (*conn, sat);
    if (soup_websocket_connection_get_state (*conn) == SOUP_WEBSOCKET_STATE_OPEN) {
      send_text (*conn, "{\"type\":\"leave\"}");
      soup_websocket_connection_close (*conn, SOUP_WEBSOCKET_CLOSE_NORMAL, "satellite ended");
    }
    g_clear_object (conn);
  }
  g_queue_clear_full (&sat->pending_down, g_free);
  g_clear_object (&sat->cancel);
  g_clear_object (&sat->session);
  g_hash_table_unref (sat->local_members);
  g_free (sat->presenter_id);
  g_free (sat->up_self_id);
  g_free (sat->down_self_id);
  g_free (sat->closed_reason);
  g_free (sat->up_token);
  g_free (sat->down_token);
  g_free (sat->room_id);
  g_free (sat->owner_node);
  g_free (sat->owner_url);
  g_free (sat);
}

static gboolean
end_idle_cb (gpointer data)
{
  Satellite *sat = data;
  HzCascade *self = sat->cascade;
  g_autofree char *room_id = g_strdup (sat->room_id);
  g_autofree char *reason = g_steal_pointer (&sat->closed_reason);

  sat->idle_source = 0;
  g_message ("cascade: satellite of room %s (owner %s) ended", sat->room_id, sat->owner_node);
  g_hash_table_remove (self->satellites, sat->room_id); /* frees it */
  /* after the relay member left: the local room ends as the owner's did */
  if (reason != NULL && self->owner_closed != NULL)
    self->owner_closed (room_id, reason, self->user_data);
  return G_SOURCE_REMOVE;
}

/* Never frees inside a WebSocket's signal emission: from an idle. */
static void
satellite_end (Satellite *sat, const char *why)
{
  if (sat->ending)
    return;
  sat->ending = TRUE;
  g_message ("cascade: satellite of room %s ends: %s", sat->room_id, why);
  g_clear_handle_id (&sat->idle_source, g_source_remove);
  sat->idle_source = g_idle_add (end_idle_cb, sat);
}

static gboolean
idle_grace_cb (gpointer data)
{
  Satellite *sat = data;

  sat->idle_source = 0;
  if (g_hash_table_size (sat->local_members) == 0)
    satellite_end (sat, "no viewer left on this node");
  return G_SOURCE_REMOVE;
}

static void
update_idle (Satellite *sat)
{
  if (sat->ending)
    return;
  if (g_hash_table_size (sat->local_members) > 0)
    g_clear_handle_id (&sat->idle_source, g_source_remove);
  else if (sat->idle_source == 0)
    sat->idle_source = g_timeout_add (sat->cascade->idle_grace_ms, idle_grace_cb, sat);
}

static void
on_closed (SoupWebsocketConnection *conn, gpointer data)
{
  Satellite *sat = data;

  satellite_end (sat, conn == sat->up ? "the owner's WebSocket closed" : "our WebSocket closed");
}

/* ---- messages ---- */

/* {"type": @type, "target": @target, "candidate": <candidate of @msg>} */
static char *
retarget_trickle (JsonObject *msg, const char *target)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  JsonNode *cand = json_object_get_member (msg, "candidate");

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, "trickle");
  json_builder_set_member_name (b, "target");
  json_builder_add_string_value (b, target);
  json_builder_set_member_name (b, "candidate");
  json_builder_add_value (b, cand != NULL ? json_node_copy (cand) : json_node_new (JSON_NODE_NULL));
  json_builder_end_object (b);
  return json_text (b);
}

static char *
sdp_message (const char *type, const char *sdp, const char *id)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, type);
  if (id != NULL) {
    json_builder_set_member_name (b, "id");
    json_builder_add_string_value (b, id);
  }
  json_builder_set_member_name (b, "sdp");
  json_builder_add_string_value (b, sdp);
  json_builder_end_object (b);
  return json_text (b);
}

/* {"type":"cascade_relay","event":{"type": @type, <name>: <value>...}}: the
 * NULL-terminated pairs are strings, but "raised" (a "true"/"false" string). */
static char *
relay_event (const char *type, const char *first_name, ...)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  va_list ap;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, "cascade_relay");
  json_builder_set_member_name (b, "event");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, type);
  va_start (ap, first_name);
  for (const char *name = first_name; name != NULL; name = va_arg (ap, const char *)) {
    const char *value = va_arg (ap, const char *);

    json_builder_set_member_name (b, name);
    if (g_strcmp0 (name, "raised") == 0)
      json_builder_add_boolean_value (b, g_strcmp0 (value, "true") == 0);
    else
      json_builder_add_string_value (b, value);
  }
  va_end (ap);
  json_builder_end_object (b);
  json_builder_end_object (b);
  return json_text (b);
}

/* A chat seen on one side, for the other; NULL for our own or malformed. */
static char *
relay_chat_of (JsonObject *msg, const char *self_id)
{
  const char *pid = str_of (msg, "participant_id", NULL);
  const char *text = str_of (msg, "text", NULL);

  if (pid == NULL || text == NULL || g_strcmp0 (pid, self_id) == 0)
    return NULL;
  return relay_event ("chat", "participant_id", pid, "display_name", str_of (msg, "display_name", ""),
                      "text", text, "at", str_of (msg, "at", ""), NULL);
}

/* The owner's recording state changed (or became known): tell our viewers. */
static void
mirror_recording (Satellite *sat, const char *state)
{
  gboolean on = g_strcmp0 (state, "started") == 0;

  if (on == sat->owner_recording && g_strcmp0 (state, "failed") != 0)
    return;
  sat->owner_recording = on;
  send_down (sat, relay_event ("recording", "state", state, NULL));
}

/* The JSON object of a text frame (parsed into @parser, which owns it), or
 * NULL for a binary frame, bad JSON, a non-object or an ending satellite. */
static JsonObject *
frame_object (Satellite *sat, gint kind, GBytes *message, JsonParser *parser)
{
  gsize len;
  const char *text = g_bytes_get_data (message, &len);
  JsonNode *root;

  if (sat->ending || kind != SOUP_WEBSOCKET_DATA_TEXT || !json_parser_load_from_data (parser, text, len, NULL))
    return NULL;
  root = json_parser_get_root (parser);
  return root != NULL && JSON_NODE_HOLDS_OBJECT (root) ? json_node_get_object (root) : NULL;
}

static void
on_down_message (SoupWebsocketConnection *conn, gint kind, GBytes *message, gpointer data);
static void
on_up_message (SoupWebsocketConnection *conn, gint kind, GBytes *message, gpointer data);

/* A satellite's websocket to the owner (up) or to this node (down) is open, or
 * failed: end the satellite (unless cancelled: then data may be gone), else
 * keep the connection, listen to it and send the join with its token. */
static void
ws_connected (GObject *source, GAsyncResult *res, gpointer data, gboolean up)
{
  g_autoptr(GError) error = NULL;
  SoupWebsocketConnection *conn = soup_session_websocket_connect_finish (SOUP_SESSION (source), res, &error);
  Satellite *sat;

  if (conn == NULL) {
    if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
      satellite_end (data, error->message);
    return;
  }
  sat = data;
  if (up)
    sat->up = conn;
  else
    sat->down = conn;
  soup_websocket_connection_set_max_incoming_payload_size (conn, MAX_PAYLOAD);
  g_signal_connect (conn, "message", up ? G_CALLBACK (on_up_message) : G_CALLBACK (on_down_message), sat);
  g_signal_connect (conn, "closed", G_CALLBACK (on_closed), sat);
  send_join (conn, up ? sat->up_token : sat->down_token);
}

static void
down_connected (GObject *source, GAsyncResult *res, gpointer data)
{
  ws_connected (source, res, data, FALSE);
}

/* The owner accepted us: join our own node as the room's publisher, in the
 * presenter's name. */
static void
up_joined (Satellite *sat, JsonObject *msg)
{
  HzCascade *self = sat->cascade;
  JsonArray *parts = arr_of (msg, "participants");
  const char *name = "Presenter", *institution = "";
  g_autofree char *user = g_strconcat (HZ_CASCADE_USER_PREFIX, sat->owner_node, NULL);
  g_autofree char *token = NULL;
  g_autofree char *url = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(SoupMessage) req = NULL;

  for (guint i = 0; parts != NULL && i < json_array_get_length (parts); i++) {
    JsonNode *pn = json_array_get_element (parts, i);
    JsonObject *p = JSON_NODE_HOLDS_OBJECT (pn) ? json_node_get_object (pn) : NULL;

    if (p != NULL && g_strcmp0 (str_of (p, "role", ""), "presenter") == 0) {
      name = str_of (p, "display_name", name);
      institution = str_of (p, "institution", "");
      sat->presenter_id = g_strdup (str_of (p, "id", ""));
      break;
    }
  }
  token = mint_token (self, sat->room_id, user, name, institution, HZ_ROLE_PRESENTER, &error);
  url = token != NULL ? ws_url_of (self->local_url, &error) : NULL;
  if (url == NULL) {
    satellite_end (sat, error->message);
    return;
  }
  req = soup_message_new ("GET", url);
  if (req == NULL) {
    satellite_end (sat, "bad local URL");
    return;
  }
  g_free (sat->down_token);
  sat->down_token = g_steal_pointer (&token);
  soup_session_websocket_connect_async (sat->session, req, NULL, NULL, G_PRIORITY_DEFAULT, sat->cancel,
                                        down_connected, sat);
}

static void
on_up_message (SoupWebsocketConnection *conn, gint kind, GBytes *message, gpointer data)
{
  Satellite *sat = data;
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *msg = frame_object (sat, kind, message, parser);
  const char *type;

  if (msg == NULL)
    return;
  type = str_of (msg, "type", "");

  if (g_strcmp0 (type, "joined") == 0) {
    if (!sat->down_started) { /* once: a second "joined" changes nothing */
      sat->down_started = TRUE;
      g_free (sat->up_self_id);
      sat->up_self_id = g_strdup (str_of (msg, "participant_id", ""));
      up_joined (sat, msg);
      if (bool_of (msg, "recording", FALSE))
        mirror_recording (sat, "started");
    }
  } else if (g_strcmp0 (type, "offer") == 0) {
    /* The owner's subscriber offer is our publisher offer here. */
    g_autofree char *id = g_strdup_printf ("cascade-%u", ++sat->next_request);

    send_down (sat, sdp_message ("publish", str_of (msg, "sdp", ""), id));
  } else if (g_strcmp0 (type, "trickle") == 0) {
    send_down (sat, retarget_trickle (msg, "publisher"));
  } else if (g_strcmp0 (type, "track_muted") == 0) {
    const char *who = str_of (msg, "participant_id", "");

    if (sat->presenter_id != NULL && g_strcmp0 (who, sat->presenter_id) == 0) {
      g_autoptr(JsonBuilder) b = json_builder_new ();

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "type");
      json_builder_add_string_value (b, "mute");
      json_builder_set_member_name (b, "kind");
      json_builder_add_string_value (b, str_of (msg, "kind", "audio"));
      json_builder_set_member_name (b, "muted");
      json_builder_add_boolean_value (b, bool_of (msg, "muted", FALSE));
      json_builder_end_object (b);
      send_down (sat, json_text (b));
    }
  } else if (g_strcmp0 (type, "participant_joined") == 0 && sat->presenter_id == NULL) {
    JsonObject *p = obj_of (msg, "participant");

    if (p != NULL && g_strcmp0 (str_of (p, "role", ""), "presenter") == 0)
      sat->presenter_id = g_strdup (str_of (p, "id", ""));
  } else if (g_strcmp0 (type, "recording") == 0) {
    const char *state = str_of (msg, "state", "");

    if (g_strcmp0 (state, "started") == 0 || g_strcmp0 (state, "stopped") == 0 ||
        g_strcmp0 (state, "failed") == 0)
      mirror_recording (sat, state);
  } else if (g_strcmp0 (type, "chat") == 0) {
    char *out = relay_chat_of (msg, sat->up_self_id); /* the owner's chat, for our viewers */

    if (out != NULL)
      send_down (sat, out);
  } else if (g_strcmp0 (type, "room_closed") == 0) {
    g_free (sat->closed_reason);
    sat->closed_reason = g_strdup (str_of (msg, "reason", "ended"));
    satellite_end (sat, "the owner closed the room");
  } else if (g_strcmp0 (type, "error") == 0) {
    g_message ("cascade: room %s: the owner %s answered %s: %s", sat->room_id, sat->owner_node,
               str_of (msg, "code", "?"),
               str_of (msg, "message", ""));
    if (!sat->down_started) /* our join was refused */
      satellite_end (sat, "the owner refused the relay");
  }
}

static void
on_down_message (SoupWebsocketConnection *conn, gint kind, GBytes *message, gpointer data)
{
  Satellite *sat = data;
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *msg = frame_object (sat, kind, message, parser);
  const char *type;

  if (msg == NULL)
    return;
  type = str_of (msg, "type", "");

  if (g_strcmp0 (type, "joined") == 0 && !sat->down_joined) {
    JsonArray *parts = arr_of (msg, "participants");
    char *queued;

    for (guint i = 0; parts != NULL && i < json_array_get_length (parts); i++) {
      JsonNode *pn = json_array_get_element (parts, i);
      JsonObject *p = JSON_NODE_HOLDS_OBJECT (pn) ? json_node_get_object (pn) : NULL;

      if (p != NULL && str_of (p, "id", NULL) != NULL)
        g_hash_table_replace (sat->local_members, g_strdup (str_of (p, "id", NULL)),
                              g_strdup (str_of (p, "display_name", "")));
    }
    g_free (sat->down_self_id);
    sat->down_self_id = g_strdup (str_of (msg, "participant_id", ""));
    sat->down_joined = TRUE;
    while ((queued = g_queue_pop_head (&sat->pending_down)) != NULL) {
      send_text (sat->down, queued);
      g_free (queued);
    }
    update_idle (sat);
  } else if (g_strcmp0 (type, "answer") == 0) {
    g_autofree char *out = sdp_message ("answer", str_of (msg, "sdp", ""), NULL);

    send_text (sat->up, out);
    if (sat->state == HZ_CASCADE_SATELLITE_CONNECTING) {
      sat->state = HZ_CASCADE_SATELLITE_RELAYING;
      g_message ("cascade: room %s relayed from %s", sat->room_id, sat->owner_node);
    }
  } else if (g_strcmp0 (type, "trickle") == 0) {
    if (g_strcmp0 (str_of (msg, "target", ""), "publisher") == 0) {
      g_autofree char *out = retarget_trickle (msg, "subscriber");

      send_text (sat->up, out);
    }
  } else if (g_strcmp0 (type, "participant_joined") == 0) {
    JsonObject *p = obj_of (msg, "participant");

    if (p != NULL && str_of (p, "id", NULL) != NULL)
      g_hash_table_replace (sat->local_members, g_strdup (str_of (p, "id", NULL)),
                            g_strdup (str_of (p, "display_name", "")));
    update_idle (sat);
  } else if (g_strcmp0 (type, "participant_left") == 0) {
    g_hash_table_remove (sat->local_members, str_of (msg, "participant_id", ""));
    update_idle (sat);
  } else if (g_strcmp0 (type, "chat") == 0) {
    g_autofree char *out = relay_chat_of (msg, sat->down_self_id); /* our viewers' chat, for the owner */

    if (out != NULL)
      send_text (sat->up, out);
  } else if (g_strcmp0 (type, "hand_raised") == 0) {
    /* we are the presenter here, so we see our viewers' hands */
    const char *pid = str_of (msg, "participant_id", "");
    const char *name = g_hash_table_lookup (sat->local_members, pid);

    if (name != NULL) {
      g_autofree char *out = relay_event ("hand_raised", "participant_id", pid, "display_name", name,
                                          "raised", bool_of (msg, "raised", FALSE) ? "true" : "false", NULL);

      send_text (sat->up, out);
    }
  } else if (g_strcmp0 (type, "room_closed") == 0) {
    satellite_end (sat, "the room was closed on this node");
  } else if (g_strcmp0 (type, "error") == 0) {
    g_message ("cascade: room %s: this node answered %s: %s", sat->room_id,
               str_of (msg, "code", "?"),
               str_of (msg, "message", ""));
    if (!sat->down_joined)
      satellite_end (sat, "this node refused the relay member");
    else if (g_str_has_prefix (str_of (msg, "id", ""), "cascade-"))
      satellite_end (sat, "this node refused the relayed tracks"); /* the next viewer retries */
  }
  /* our own subscriber offers (nothing flows back upstream) stay unanswered */
}

static void
up_connected (GObject *source, GAsyncResult *res, gpointer data)
{
  ws_connected (source, res, data, TRUE);
}

/* ---- public ---- */

HzCascade *
hz_cascade_new (const HzCascadeConfig *config)
{
  HzCascade *self = g_new0 (HzCascade, 1);

  self->node_id = g_strdup (config->node_id != NULL ? config->node_id : "node");
  self->local_url = g_strdup (config->local_url);
  self->token_secret = g_strdup (config->token_secret);
  self->admin_key = g_strdup (config->admin_key);
  self->http = soup_session_new_with_options ("timeout", 2, "idle-timeout", 30, NULL);
  self->cancel = g_cancellable_new ();
  self->cascade_viewers = config->cascade_viewers;
  self->idle_grace_ms = config->idle_grace_ms != 0 ? config->idle_grace_ms : 5000;
  self->owner_closed = config->owner_closed;
  self->user_data = config->user_data;
  self->satellites = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) satellite_free);
  return self;
}

void
hz_cascade_free (HzCascade *self)
{
  if (self == NULL)
    return;
  g_cancellable_cancel (self->cancel);
  g_hash_table_unref (self->satellites);
  g_clear_object (&self->cancel);
  g_clear_object (&self->http);
  g_free (self->admin_key);
  g_free (self->node_id);
  g_free (self->local_url);
  g_free (self->token_secret);
  g_free (self);
}

gboolean
hz_cascade_ensure_satellite (HzCascade *self, const char *room_id, const char *owner_node,
                             const char *owner_url, GError **error)
{
  Satellite *sat = g_hash_table_lookup (self->satellites, room_id != NULL ? room_id : "");
  g_autofree char *user = g_strconcat (HZ_CASCADE_USER_PREFIX, self->node_id, NULL);
  g_autofree char *display = g_strconcat (HZ_CASCADE_RELAY_NAME_PREFIX, self->node_id, NULL);
  g_autofree char *token = NULL;
  g_autofree char *url = NULL;
  g_autoptr(SoupMessage) req = NULL;

  if (sat != NULL && !sat->ending)
    return TRUE;
  if (room_id == NULL || *room_id == '\0' || owner_node == NULL || *owner_node == '\0') {
    g_set_error (error, HZ_CASCADE_ERROR, HZ_CASCADE_ERROR_INVALID, "no room or owner node");
    return FALSE;
  }
  url = ws_url_of (owner_url, error);
  if (url == NULL)
    return FALSE;
  {
    g_autofree char *local = ws_url_of (self->local_url, NULL);

    if (local == NULL) {
      g_set_error (error, HZ_CASCADE_ERROR, HZ_CASCADE_ERROR_INVALID, "this node's URL is unusable");
      return FALSE;
    }
  }
  token = mint_token (self, room_id, user, display, "", HZ_ROLE_RELAY, error);
  if (token == NULL)
    return FALSE;
  req = soup_message_new ("GET", url);
  if (req == NULL) {
    g_set_error (error, HZ_CASCADE_ERROR, HZ_CASCADE_ERROR_INVALID, "bad owner URL %s", owner_url);
    return FALSE;
  }
  if (sat != NULL) /* ending: replace it now */
    g_hash_table_remove (self->satellites, room_id);

  sat = g_new0 (Satellite, 1);
  sat->cascade = self;
  sat->room_id = g_strdup (room_id);
  sat->owner_node = g_strdup (owner_node);
  sat->owner_url = g_strdup (owner_url);
  sat->session = soup_session_new ();
  sat->cancel = g_cancellable_new ();
  sat->local_members = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  sat->state = HZ_CASCADE_SATELLITE_CONNECTING;
  g_queue_init (&sat->pending_down);
  g_hash_table_replace (self->satellites, sat->room_id, sat);

  sat->up_token = g_steal_pointer (&token);
  soup_session_websocket_connect_async (sat->session, req, NULL, NULL, G_PRIORITY_DEFAULT, sat->cancel,
                                        up_connected, sat);
  g_message ("cascade: satellite of room %s: relaying from %s (%s)", room_id, owner_node, owner_url);
  return TRUE;
}

HzCascadeSatelliteState
hz_cascade_get_satellite_state (HzCascade *self, const char *room_id)
{
  Satellite *sat = g_hash_table_lookup (self->satellites, room_id);

  return sat != NULL && !sat->ending ? sat->state : HZ_CASCADE_SATELLITE_NONE;
}

guint
hz_cascade_get_n_satellites (HzCascade *self)
{
  return g_hash_table_size (self->satellites);
}

void
hz_cascade_end_satellite (HzCascade *self, const char *room_id)
{
  g_hash_table_remove (self->satellites, room_id);
}
