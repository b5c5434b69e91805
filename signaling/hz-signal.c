/* hz-signal: /ws sessions and the signaling message handlers. */
#include "hz-signal.h"

#include <string.h>

#include "hz-live-room.h"
#include "hz-token.h"

G_DEFINE_QUARK (hz-signal-error-quark, hz_signal_error)

#define CHAT_MAX_CHARS 2000
#define CANDIDATE_MAX_LEN 1024

static const char *const error_codes[] = {
  [HZ_SIGNAL_ERROR_BAD_JSON] = "bad_json",
  [HZ_SIGNAL_ERROR_BAD_REQUEST] = "bad_request",
  [HZ_SIGNAL_ERROR_UNKNOWN_TYPE] = "unknown_type",
  [HZ_SIGNAL_ERROR_NOT_JOINED] = "not_joined",
  [HZ_SIGNAL_ERROR_ALREADY_JOINED] = "already_joined",
  [HZ_SIGNAL_ERROR_INVALID_TOKEN] = "invalid_token",
  [HZ_SIGNAL_ERROR_TOKEN_EXPIRED] = "token_expired",
  [HZ_SIGNAL_ERROR_ROOM_NOT_FOUND] = "room_not_found",
  [HZ_SIGNAL_ERROR_ROOM_NOT_OPEN] = "room_not_open",
  [HZ_SIGNAL_ERROR_ROOM_FULL] = "room_full",
  [HZ_SIGNAL_ERROR_FORBIDDEN] = "forbidden",
  [HZ_SIGNAL_ERROR_BAD_SDP] = "bad_sdp",
  [HZ_SIGNAL_ERROR_UNSUPPORTED_CODEC] = "unsupported_codec",
  [HZ_SIGNAL_ERROR_BAD_CANDIDATE] = "bad_candidate",
  [HZ_SIGNAL_ERROR_RATE_LIMITED] = "rate_limited",
  [HZ_SIGNAL_ERROR_INTERNAL] = "internal_error",
};

const char *
hz_signal_error_code (HzSignalError code)
{
  return code <= HZ_SIGNAL_ERROR_INTERNAL ? error_codes[code] : "internal_error";
}

typedef struct {
  HzMember *member;
  gboolean publisher;
} EndpointRef;

struct _HzSignal {
  HzSignalConfig config; /* strings borrowed from the caller's HzConfig */
  HzLiveRoomEnv env;
  HzMediaRoomEvents media_events;
  GHashTable *rooms;     /* room id → HzLiveRoom*, owned */
  GHashTable *endpoints; /* HzEndpointId → EndpointRef*, owned */
  HzEndpointId next_endpoint;
  JsonNode *ice_servers;
};

typedef struct {
  HzSignal *sig;
  HzWsConn *conn;
  HzLiveRoom *room;
  HzMember *member;
} Session;

/* ---- replies ---- */

static void
send_node (HzWsConn *conn, JsonNode *node)
{
  g_autofree char *text = json_to_string (node, FALSE);

  json_node_unref (node);
  hz_ws_conn_send (conn, text);
}

static JsonBuilder *
reply_begin (const char *type, JsonNode *id)
{
  JsonBuilder *b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, type);
  if (id != NULL) {
    json_builder_set_member_name (b, "id");
    json_builder_add_value (b, json_node_copy (id));
  }
  return b;
}

static void
reply_end (Session *s, JsonBuilder *b)
{
  json_builder_end_object (b);
  send_node (s->conn, json_builder_get_root (b));
  g_object_unref (b);
}

static void
reply_error (Session *s, JsonNode *id, const GError *error)
{
  JsonBuilder *b = reply_begin ("error", id);
  const char *code = error->domain == HZ_SIGNAL_ERROR ? hz_signal_error_code (error->code)
                                                      : "internal_error";

  json_builder_set_member_name (b, "code");
  json_builder_add_string_value (b, code);
  json_builder_set_member_name (b, "message");
  json_builder_add_string_value (b, error->message);
  reply_end (s, b);
  g_message ("ws %s: %s: %s", hz_ws_conn_get_peer (s->conn), code, error->message);
}

/* ---- message fields ---- */

static const char *
get_string (JsonObject *msg, const char *name, gsize max_len, GError **error)
{
  JsonNode *node = json_object_get_member (msg, name);
  const char *value;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING) {
    g_set_error (error, HZ_SIGNAL_ERROR, HZ_SIGNAL_ERROR_BAD_REQUEST,
                 "field \"%s\" must be a string", name);
    return NULL;
  }
  value = json_node_get_string (node);
  if (strlen (value) > max_len) {
    g_set_error (error, HZ_SIGNAL_ERROR, HZ_SIGNAL_ERROR_BAD_REQUEST,
                 "field \"%s\" is longer than %" G_GSIZE_FORMAT " bytes", name, max_len);
    return NULL;
  }
  return value;
}

static gboolean
get_bool (JsonObject *msg, const char *name, gboolean *out, GError **error)
{
  JsonNode *node = json_object_get_member (msg, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_BOOLEAN) {
    g_set_error (error, HZ_SIGNAL_ERROR, HZ_SIGNAL_ERROR_BAD_REQUEST,
                 "field \"%s\" must be true or false", name);
    return FALSE;
  }
  *out = json_node_get_boolean (node);
  return TRUE;
}

static void
map_sdp_error (GError **error)
{
  int code;

  if (*error == NULL || (*error)->domain != HZ_SDP_ERROR)
    return;
  code = (*error)->code == HZ_SDP_ERROR_UNSUPPORTED_CODEC ? HZ_SIGNAL_ERROR_UNSUPPORTED_CODEC
                                                          : HZ_SIGNAL_ERROR_BAD_SDP;
  (*error)->domain = HZ_SIGNAL_ERROR;
  (*error)->code = code;
}

/* ---- handlers: one per message type ---- */

typedef gboolean (*Handler) (Session *s, JsonObject *msg, JsonNode *id, GError **error);

static HzLiveRoom *
live_room_for (HzSignal *sig, const char *room_id, GError **error)
{
  HzLiveRoom *room = g_hash_table_lookup (sig->rooms, room_id);
  g_autoptr(GError) store_error = NULL;
  HzRoom *info;

  if (room != NULL)
    return room;
  info = hz_room_store_get (sig->config.store, room_id, &store_error);
  if (info == NULL) {
    g_set_error (error, HZ_SIGNAL_ERROR, HZ_SIGNAL_ERROR_ROOM_NOT_FOUND,
                 "the room of this invitation does not exist (%s)", store_error->message);
    return NULL;
  }
  room = hz_live_room_new (info, &sig->env);
  g_hash_table_insert (sig->rooms, room->id, room);
  return room;
}

static gboolean
check_token (Session *s, const char *token, HzTokenClaims **out, GError **error)
{
  g_autoptr(GError) local = NULL;
  HzTokenClaims *claims = hz_token_verify (s->sig->config.token_secret, token,
                                           g_get_real_time () / G_USEC_PER_SEC, &local);

  if (claims == NULL) {
    gboolean expired = g_error_matches (local, HZ_TOKEN_ERROR, HZ_TOKEN_ERROR_EXPIRED);
    g_set_error (error, HZ_SIGNAL_ERROR,
                 expired ? HZ_SIGNAL_ERROR_TOKEN_EXPIRED : HZ_SIGNAL_ERROR_INVALID_TOKEN,
                 "%s", expired ? "this invitation has expired" : "this invitation is not valid");
    return FALSE;
  }
  *out = claims;
  return TRUE;
}

static gboolean
check_room_admits (HzLiveRoom *room, GError **error)
{
  g_autoptr(GError) local = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();

  if (!hz_room_is_open_for_join (room->info, now, &local)) {
    g_set_error (error, HZ_SIGNAL_ERROR, HZ_SIGNAL_ERROR_ROOM_NOT_OPEN, "%s", local->message);
    return FALSE;
  }
  if (room->members->len >= room->info->capacity) {
    g_set_error (error, HZ_SIGNAL_ERROR, HZ_SIGNAL_ERROR_ROOM_FULL,
                 "the room is full (%u participants)", room->info->capacity);
    return FALSE;
  }
  return TRUE;
}

static gboolean
handle_join (Session *s, JsonObject *msg, JsonNode *id, GError **error)
{
  const char *token = get_string (msg, "token", HZ_TOKEN_MAX_LEN, error);
  g_autoptr(HzTokenClaims) claims = NULL;
  g_autoptr(GError) db_error = NULL;
  HzLiveRoom *room;
  HzMember *m;
  JsonBuilder *b;

  if (token == NULL || !check_token (s, token, &claims, error))
    return FALSE;
  room = live_room_for (s->sig, claims->room, error);
  if (room == NULL)
    return FALSE;
  if (!check_room_admits (room, error)) {
    if (room->members->len == 0)
      g_hash_table_remove (s->sig->rooms, room->id);
    return FALSE;
  }
  m = hz_live_room_add_member (room, s->conn, g_steal_pointer (&claims));
  s->room = room;
  s->member = m;
  if (!hz_room_store_record_join (s->sig->config.store, room->id, m->id, m->claims, m->joined_at,
                                  &db_error))
    g_warning ("room %s: join of %s not recorded: %s", room->id, m->id, db_error->message);
  g_message ("ws %s: %s (%s, %s) joined room %s", hz_ws_conn_get_peer (s->conn), m->id,
             m->claims->display_name, hz_role_to_string (m->claims->role), room->id);

  b = reply_begin ("joined", id);
  json_builder_set_member_name (b, "participant_id");
  json_builder_add_string_value (b, m->id);
  json_builder_set_member_name (b, "room");
  json_builder_add_value (b, hz_room_to_json (room->info));
  json_builder_set_member_name (b, "participants");
  json_builder_begin_array (b);
  for (guint i = 0; i < room->members->len; i++) {
    HzMember *other = g_ptr_array_index (room->members, i);
    if (other != m)
      json_builder_add_value (b, hz_member_to_json (other));
  }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "ice_servers");
  json_builder_add_value (b, json_node_copy (s->sig->ice_servers));
  json_builder_set_member_name (b, "can_publish");
  json_builder_add_boolean_value (b, hz_role_can_publish (m->claims->role, room->info->kind));
  reply_end (s, b);

  hz_live_room_subscribe_existing (room, m);
  return TRUE;
}

static gboolean
handle_publish (Session *s, JsonObject *msg, JsonNode *id, GError **error)
{
  const char *sdp = get_string (msg, "sdp", 128 * 1024, error);
  g_autofree char *answer = NULL;
  JsonBuilder *b;

  if (sdp == NULL)
    return FALSE;
  if (!hz_role_can_publish (s->member->claims->role, s->room->info->kind)) {
    g_set_error (error, HZ_SIGNAL_ERROR, HZ_SIGNAL_ERROR_FORBIDDEN,
                 "a %s may not publish in this room", hz_role_to_string (s->member->claims->role));
    return FALSE;
  }
  answer = hz_live_room_publish (s->room, s->member, sdp, error);
  if (answer == NULL) {
    map_sdp_error (error);
    return FALSE;
  }
  b = reply_begin ("answer", id);
  json_builder_set_member_name (b, "sdp");
  json_builder_add_string_value (b, answer);
  reply_end (s, b);
  return TRUE;
}

static gboolean
handle_answer (Session *s, JsonObject *msg, JsonNode *id, GError **error)
{
  const char *sdp = get_string (msg, "sdp", 128 * 1024, error);

  if (sdp == NULL)
    return FALSE;
  if (!hz_live_room_subscriber_answer (s->room, s->member, sdp, error)) {
    map_sdp_error (error);
    return FALSE;
  }
  return TRUE;
}

static gboolean
handle_trickle (Session *s, JsonObject *msg, JsonNode *id, GError **error)
{
  const char *target = get_string (msg, "target", 16, error);
  JsonNode *cand_node;
  const char *candidate = NULL;
  HzEndpointId ep;

  if (target == NULL)
    return FALSE;
  if (strcmp (target, "publisher") == 0)
    ep = s->member->pub_ep;
  else if (strcmp (target, "subscriber") == 0)
    ep = s->member->sub_ep;
  else {
    g_set_error (error, HZ_SIGNAL_ERROR, HZ_SIGNAL_ERROR_BAD_REQUEST,
                 "target must be \"publisher\" or \"subscriber\"");
    return FALSE;
  }
  if (ep == 0) {
    g_set_error (error, HZ_SIGNAL_ERROR, HZ_SIGNAL_ERROR_BAD_REQUEST,
                 "no %s connection to add candidates to", target);
    return FALSE;
  }
  cand_node = json_object_get_member (msg, "candidate");
  if (cand_node != NULL && JSON_NODE_HOLDS_OBJECT (cand_node)) {
    candidate = get_string (json_node_get_object (cand_node), "candidate", CANDIDATE_MAX_LEN, error);
    if (candidate == NULL)
      return FALSE;
    if (candidate[0] == '\0')
      candidate = NULL; /* the browser's end-of-candidates form */
  } else if (cand_node != NULL && !JSON_NODE_HOLDS_NULL (cand_node)) {
    g_set_error (error, HZ_SIGNAL_ERROR, HZ_SIGNAL_ERROR_BAD_REQUEST,
                 "candidate must be an object or null");
    return FALSE;
  }
  if (candidate != NULL && !g_str_has_prefix (candidate, "candidate:") &&
      !g_str_has_prefix (candidate, "a=candidate:")) {
    g_set_error (error, HZ_SIGNAL_ERROR, HZ_SIGNAL_ERROR_BAD_CANDIDATE,
                 "not an ICE candidate line");
    return FALSE;
  }
  hz_media_room_add_candidate (s->room->media, ep, candidate);
  return TRUE;
}

static gboolean
handle_mute (Session *s, JsonObject *msg, JsonNode *id, GError **error)
{
  const char *kind = get_string (msg, "kind", 16, error);
  gboolean muted;

  if (kind == NULL || !get_bool (msg, "muted", &muted, error))
    return FALSE;
  if (strcmp (kind, "audio") != 0 && strcmp (kind, "video") != 0) {
    g_set_error (error, HZ_SIGNAL_ERROR, HZ_SIGNAL_ERROR_BAD_REQUEST,
                 "kind must be \"audio\" or \"video\"");
    return FALSE;
  }
  hz_live_room_set_muted (s->room, s->member,
                          kind[0] == 'a' ? HZ_SDP_KIND_AUDIO : HZ_SDP_KIND_VIDEO, muted);
  return TRUE;
}

static gboolean
handle_chat (Session *s, JsonObject *msg, JsonNode *id, GError **error)
{
  const char *text = get_string (msg, "text", CHAT_MAX_CHARS * 4, error);
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *at = g_date_time_format_iso8601 (now);
  g_autoptr(JsonBuilder) b = json_builder_new ();

  if (text == NULL)
    return FALSE;
  if (!g_utf8_validate (text, -1, NULL) || g_utf8_strlen (text, -1) > CHAT_MAX_CHARS ||
      text[0] == '\0') {
    g_set_error (error, HZ_SIGNAL_ERROR, HZ_SIGNAL_ERROR_BAD_REQUEST,
                 "chat text must be 1 to %d characters", CHAT_MAX_CHARS);
    return FALSE;
  }
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, "chat");
  json_builder_set_member_name (b, "participant_id");
  json_builder_add_string_value (b, s->member->id);
  json_builder_set_member_name (b, "display_name");
  json_builder_add_string_value (b, s->member->claims->display_name);
  json_builder_set_member_name (b, "text");
  json_builder_add_string_value (b, text);
  json_builder_set_member_name (b, "at");
  json_builder_add_string_value (b, at);
  json_builder_end_object (b);
  hz_live_room_broadcast (s->room, NULL, json_builder_get_root (b));
  return TRUE;
}

static void session_leave (Session *s);

static gboolean
handle_leave (Session *s, JsonObject *msg, JsonNode *id, GError **error)
{
  session_leave (s);
  hz_ws_conn_close (s->conn, 1000, "left");
  return TRUE;
}

static const struct {
  const char *type;
  Handler handler;
  gboolean needs_member;
} handlers[] = {
  { "join", handle_join, FALSE },
  { "publish", handle_publish, TRUE },
  { "answer", handle_answer, TRUE },
  { "trickle", handle_trickle, TRUE },
  { "mute", handle_mute, TRUE },
  { "chat", handle_chat, TRUE },
  { "leave", handle_leave, TRUE },
};

/* ---- sessions ---- */

static JsonNode *
left_event (const char *member_id)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, "participant_left");
  json_builder_set_member_name (b, "participant_id");
  json_builder_add_string_value (b, member_id);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static void
session_leave (Session *s)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDateTime) now = NULL;
  g_autofree char *member_id = NULL;
  HzLiveRoom *room = s->room;

  if (s->member == NULL)
    return;
  member_id = g_strdup (s->member->id);
  now = g_date_time_new_now_utc ();
  hz_live_room_remove_member (room, s->member);
  s->member = NULL;
  s->room = NULL;
  if (!hz_room_store_record_leave (s->sig->config.store, member_id, now, &error))
    g_warning ("room %s: leave of %s not recorded: %s", room->id, member_id, error->message);
  hz_live_room_broadcast (room, NULL, left_event (member_id));
  g_message ("room %s: %s left", room->id, member_id);
  if (room->members->len == 0)
    g_hash_table_remove (s->sig->rooms, room->id);
}

static void
ws_open (HzWsConn *conn, gpointer user_data)
{
  Session *s = g_new0 (Session, 1);

  s->sig = user_data;
  s->conn = conn;
  hz_ws_conn_set_data (conn, s);
}

static void
ws_close (HzWsConn *conn, gpointer user_data)
{
  Session *s = hz_ws_conn_get_data (conn);

  if (s == NULL)
    return;
  session_leave (s);
  hz_ws_conn_set_data (conn, NULL);
  g_free (s);
}

static void
ws_message (HzWsConn *conn, const char *text, gsize len, gpointer user_data)
{
  Session *s = hz_ws_conn_get_data (conn);
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(GError) error = NULL;
  JsonObject *msg;
  JsonNode *root, *id = NULL;
  const char *type;

  if (s == NULL)
    return;
  if (!json_parser_load_from_data (parser, text, (gssize) len, &error) ||
      (root = json_parser_get_root (parser)) == NULL || !JSON_NODE_HOLDS_OBJECT (root)) {
    g_autoptr(GError) e = g_error_new (HZ_SIGNAL_ERROR, HZ_SIGNAL_ERROR_BAD_JSON,
                                       "a message must be one JSON object%s%s",
                                       error != NULL ? ": " : "", error != NULL ? error->message : "");
    reply_error (s, NULL, e);
    return;
  }
  msg = json_node_get_object (root);
  id = json_object_get_member (msg, "id");
  if (id != NULL && !JSON_NODE_HOLDS_VALUE (id))
    id = NULL; /* ids are numbers or strings; anything else is not echoed */
  type = get_string (msg, "type", 32, &error);
  if (type == NULL) {
    reply_error (s, id, error);
    return;
  }
  for (guint i = 0; i < G_N_ELEMENTS (handlers); i++) {
    if (strcmp (handlers[i].type, type) != 0)
      continue;
    if (handlers[i].needs_member && s->member == NULL)
      g_set_error (&error, HZ_SIGNAL_ERROR, HZ_SIGNAL_ERROR_NOT_JOINED, "join a room first");
    else if (!handlers[i].needs_member && s->member != NULL)
      g_set_error (&error, HZ_SIGNAL_ERROR, HZ_SIGNAL_ERROR_ALREADY_JOINED,
                   "this connection has already joined a room");
    else
      handlers[i].handler (s, msg, id, &error);
    if (error != NULL)
      reply_error (s, id, error);
    return;
  }
  g_set_error (&error, HZ_SIGNAL_ERROR, HZ_SIGNAL_ERROR_UNKNOWN_TYPE,
               "unknown message type \"%.32s\"", type);
  reply_error (s, id, error);
}

static void
ws_too_big (HzWsConn *conn, gpointer user_data)
{
  Session *s = hz_ws_conn_get_data (conn);
  g_autoptr(GError) error = g_error_new (HZ_SIGNAL_ERROR, HZ_SIGNAL_ERROR_BAD_REQUEST,
                                         "message larger than %u bytes", HZ_WS_MAX_MESSAGE);

  if (s != NULL)
    reply_error (s, NULL, error);
}

/* ---- media events ---- */

static void
media_local_candidate (HzEndpointId id, const char *candidate, gpointer user_data)
{
  HzSignal *sig = user_data;
  EndpointRef *ref = g_hash_table_lookup (sig->endpoints, GUINT_TO_POINTER (id));
  JsonBuilder *b;

  if (ref == NULL || ref->member->conn == NULL)
    return;
  b = reply_begin ("trickle", NULL);
  json_builder_set_member_name (b, "target");
  json_builder_add_string_value (b, ref->publisher ? "publisher" : "subscriber");
  json_builder_set_member_name (b, "candidate");
  if (candidate == NULL) {
    json_builder_add_null_value (b);
  } else {
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "candidate");
    json_builder_add_string_value (b, candidate);
    json_builder_set_member_name (b, "sdpMid");
    json_builder_add_string_value (b, ref->publisher ? ref->member->pub_first_mid : "0");
    json_builder_set_member_name (b, "sdpMLineIndex");
    json_builder_add_int_value (b, 0);
    json_builder_end_object (b);
  }
  json_builder_end_object (b);
  send_node (ref->member->conn, json_builder_get_root (b));
  g_object_unref (b);
}

static void
media_state_changed (HzEndpointId id, HzPeerState state, const char *remote_addr, gpointer user_data)
{
  HzSignal *sig = user_data;
  EndpointRef *ref = g_hash_table_lookup (sig->endpoints, GUINT_TO_POINTER (id));
  JsonBuilder *b;

  if (ref == NULL)
    return;
  g_message ("%s %s connection (%s): %s", ref->member->id,
             ref->publisher ? "publisher" : "subscriber", remote_addr,
             hz_peer_state_to_string (state));
  if (ref->member->conn == NULL)
    return;
  b = reply_begin ("connection_state", NULL);
  json_builder_set_member_name (b, "target");
  json_builder_add_string_value (b, ref->publisher ? "publisher" : "subscriber");
  json_builder_set_member_name (b, "state");
  json_builder_add_string_value (b, hz_peer_state_to_string (state));
  json_builder_end_object (b);
  send_node (ref->member->conn, json_builder_get_root (b));
  g_object_unref (b);
}

static HzEndpointId
new_endpoint_id (HzMember *m, gboolean publisher, gpointer data)
{
  HzSignal *sig = data;
  EndpointRef *ref = g_new0 (EndpointRef, 1);
  HzEndpointId id = ++sig->next_endpoint;

  ref->member = m;
  ref->publisher = publisher;
  g_hash_table_insert (sig->endpoints, GUINT_TO_POINTER (id), ref);
  return id;
}

static void
forget_endpoint (HzEndpointId id, gpointer data)
{
  HzSignal *sig = data;

  g_hash_table_remove (sig->endpoints, GUINT_TO_POINTER (id));
}

/* ---- lifecycle ---- */

static void
add_ice_server (JsonBuilder *b, const char *url, const char *user, const char *password)
{
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "urls");
  json_builder_begin_array (b);
  json_builder_add_string_value (b, url);
  json_builder_end_array (b);
  if (user != NULL && password != NULL) {
    json_builder_set_member_name (b, "username");
    json_builder_add_string_value (b, user);
    json_builder_set_member_name (b, "credential");
    json_builder_add_string_value (b, password);
  }
  json_builder_end_object (b);
}

static JsonNode *
build_ice_servers (const HzSignalConfig *c)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_array (b);
  if (c->stun_server != NULL && c->stun_server[0] != '\0') {
    g_autofree char *url = strchr (c->stun_server, ':') != NULL &&
                                   g_str_has_prefix (c->stun_server, "stun")
                               ? g_strdup (c->stun_server)
                               : g_strconcat ("stun:", c->stun_server, NULL);
    add_ice_server (b, url, NULL, NULL);
  }
  if (c->turn_server != NULL && c->turn_server[0] != '\0') {
    g_autofree char *url = g_str_has_prefix (c->turn_server, "turn")
                               ? g_strdup (c->turn_server)
                               : g_strconcat ("turn:", c->turn_server, NULL);
    add_ice_server (b, url, c->turn_user, c->turn_password);
  }
  json_builder_end_array (b);
  return json_builder_get_root (b);
}

HzSignal *
hz_signal_new (const HzSignalConfig *config)
{
  HzSignal *sig = g_new0 (HzSignal, 1);

  sig->config = *config;
  sig->media_events.local_candidate = media_local_candidate;
  sig->media_events.state_changed = media_state_changed;
  sig->env.workers = config->workers;
  sig->env.media.ip = config->media_ip;
  sig->env.media.port_min = config->port_min;
  sig->env.media.port_max = config->port_max;
  sig->env.media.cert = config->cert;
  sig->env.media_events = &sig->media_events;
  sig->env.media_events_data = sig;
  sig->env.new_endpoint_id = new_endpoint_id;
  sig->env.forget_endpoint = forget_endpoint;
  sig->env.data = sig;
  sig->rooms = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                      (GDestroyNotify) hz_live_room_free);
  sig->endpoints = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  sig->ice_servers = build_ice_servers (config);
  return sig;
}

void
hz_signal_free (HzSignal *sig)
{
  if (sig == NULL)
    return;
  g_hash_table_unref (sig->rooms);
  g_hash_table_unref (sig->endpoints);
  json_node_unref (sig->ice_servers);
  g_free (sig);
}

void
hz_signal_attach (HzSignal *sig, HzHttpServer *http)
{
  static const HzWsCallbacks callbacks = {
    .on_open = ws_open,
    .on_message = ws_message,
    .on_close = ws_close,
    .on_too_big = ws_too_big,
  };

  hz_http_server_set_ws_callbacks (http, &callbacks, sig);
}

JsonArray *
hz_signal_list_members (HzSignal *sig, const char *room_id)
{
  HzLiveRoom *room = g_hash_table_lookup (sig->rooms, room_id);
  JsonArray *arr = json_array_new ();

  if (room == NULL)
    return arr;
  for (guint i = 0; i < room->members->len; i++)
    json_array_add_element (arr, hz_member_to_json (g_ptr_array_index (room->members, i)));
  return arr;
}

void
hz_signal_close_all (HzSignal *sig, const char *reason)
{
  GHashTableIter iter;
  HzLiveRoom *room;

  g_hash_table_iter_init (&iter, sig->rooms);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &room)) {
    g_autoptr(JsonBuilder) b = json_builder_new ();

    json_builder_begin_object (b);
    json_builder_set_member_name (b, "type");
    json_builder_add_string_value (b, "room_closed");
    json_builder_set_member_name (b, "reason");
    json_builder_add_string_value (b, reason);
    json_builder_end_object (b);
    hz_live_room_broadcast (room, NULL, json_builder_get_root (b));
    while (room->members->len > 0) {
      HzMember *m = g_ptr_array_index (room->members, room->members->len - 1);
      g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
      HzWsConn *conn = m->conn;
      Session *s = conn != NULL ? hz_ws_conn_get_data (conn) : NULL;

      hz_room_store_record_leave (sig->config.store, m->id, now, NULL);
      if (s != NULL) {
        s->member = NULL;
        s->room = NULL;
      }
      hz_live_room_remove_member (room, m);
      if (conn != NULL)
        hz_ws_conn_close (conn, 1001, reason);
    }
  }
  g_hash_table_remove_all (sig->rooms);
}

guint
hz_signal_get_n_rooms (HzSignal *sig)
{
  return g_hash_table_size (sig->rooms);
}

guint
hz_signal_get_n_members (HzSignal *sig)
{
  GHashTableIter iter;
  HzLiveRoom *room;
  guint n = 0;

  g_hash_table_iter_init (&iter, sig->rooms);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &room))
    n += room->members->len;
  return n;
}
