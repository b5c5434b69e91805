/* hz-signal: /ws sessions and the signaling message handlers. */
#include "hz-signal.h"

#include <string.h>

#include "hz-cascade-join.h"
#include "hz-cascade.h"
#include "hz-cluster.h"
#include "hz-metrics.h"
#include "hz-signal-private.h"
#include "hz-signal-relay.h"

G_DEFINE_QUARK (hz-signal-error-quark, hz_signal_error)

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
  [HZ_SIGNAL_ERROR_UNAVAILABLE] = "unavailable",
  [HZ_SIGNAL_ERROR_NODE_LOST] = "node_lost",
  [HZ_SIGNAL_ERROR_WRONG_NODE] = "wrong_node",
};

const char *
hz_signal_error_code (HzSignalError code)
{
  return (guint) code < G_N_ELEMENTS (error_codes) ? error_codes[code] : "internal_error";
}

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

void
hz_signal_session_leave (Session *s)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDateTime) now = NULL;
  g_autofree char *member_id = NULL;
  HzLiveRoom *room = s->room;
  gboolean listed;
  g_autofree char *user = NULL;

  if (s->member == NULL)
    return;
  member_id = g_strdup (s->member->id);
  listed = hz_role_is_listed (s->member->claims->role);
  user = g_strdup (s->member->claims->user);
  now = g_date_time_new_now_utc ();
  hz_live_room_remove_member (room, s->member);
  s->member = NULL;
  s->room = NULL;
  if (listed && !hz_cascade_is_relay_user (user) && /* cascade relays were not recorded */
      !hz_room_store_record_leave (s->sig->config.store, member_id, now, &error))
    g_warning ("room %s: leave of %s not recorded: %s", room->id, member_id, error->message);
  if (listed) /* a cascade relay leaves unannounced */
    hz_live_room_broadcast (room, NULL, left_event (member_id));
  g_message ("room %s: %s left", room->id, member_id);
  if (room->members->len == 0)
    g_hash_table_remove (s->sig->rooms, room->id);
}

Session *
hz_signal_session_ref (Session *s)
{
  s->refs++;
  return s;
}

void
hz_signal_session_unref (Session *s)
{
  if (--s->refs > 0)
    return;
  g_queue_clear_full (&s->held, g_free);
  g_free (s->relay_rid);
  g_free (s->relay_node);
  g_free (s);
}

Session *
hz_signal_session_open (HzSignal *sig, HzWsConn *conn)
{
  Session *s = g_new0 (Session, 1);

  s->sig = sig;
  s->conn = conn;
  s->refs = 1;
  g_queue_init (&s->held);
  hz_ws_conn_set_data (conn, s);
  return s;
}

void
hz_signal_session_close (HzWsConn *conn)
{
  Session *s = hz_ws_conn_get_data (conn);

  if (s == NULL)
    return;
  s->closed = TRUE;
  if (s->relay_rid != NULL)
    hz_signal_relay_entry_closed (s->sig->relay, s);
  hz_signal_session_leave (s);
  hz_ws_conn_set_data (conn, NULL);
  s->conn = NULL;
  hz_signal_session_unref (s);
}

static void
ws_open (HzWsConn *conn, gpointer user_data)
{
  hz_signal_session_open (user_data, conn);
}

static void
ws_close (HzWsConn *conn, gpointer user_data)
{
  hz_signal_session_close (conn);
}

/* Messages held while a join waited for its placement, in order: relayed
 * if the session is relayed now, handled here otherwise. */
void
hz_signal_session_release_held (Session *s)
{
  char *text;

  while (!s->closed && !s->placing && (text = g_queue_pop_head (&s->held)) != NULL) {
    hz_signal_session_message (s->conn, text, strlen (text));
    g_free (text);
  }
}

static void handle_message (Session *s, const char *text, gsize len);

void
hz_signal_session_message (HzWsConn *conn, const char *text, gsize len)
{
  Session *s = hz_ws_conn_get_data (conn);

  if (s == NULL || s->closed)
    return;
  if (s->relay_rid != NULL) {
    hz_signal_relay_forward (s->sig->relay, s, text);
    return;
  }
  if (s->placing) {
    if (s->held.length >= HZ_SIGNAL_MAX_HELD) {
      g_autoptr(GError) e = g_error_new (HZ_SIGNAL_ERROR, HZ_SIGNAL_ERROR_RATE_LIMITED,
                                         "wait for the answer to your join");
      hz_signal_reply_error (s, NULL, e);
      return;
    }
    g_queue_push_tail (&s->held, g_strndup (text, len));
    return;
  }
  hz_signal_session_ref (s);
  handle_message (s, text, len);
  if (s->remote && !s->closed)
    hz_signal_relay_settle (s->sig->relay, s);
  hz_signal_session_unref (s);
}

static void
ws_message (HzWsConn *conn, const char *text, gsize len, gpointer user_data)
{
  hz_signal_session_message (conn, text, len);
}

static void
handle_message (Session *s, const char *text, gsize len)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(GError) error = NULL;
  JsonObject *msg;
  JsonNode *root, *id = NULL;
  const char *type;
  const HzSignalHandler *handler;

  if (!json_parser_load_from_data (parser, text, (gssize) len, &error) ||
      (root = json_parser_get_root (parser)) == NULL || !JSON_NODE_HOLDS_OBJECT (root)) {
    g_autoptr(GError) e = g_error_new (HZ_SIGNAL_ERROR, HZ_SIGNAL_ERROR_BAD_JSON,
                                       "a message must be one JSON object%s%s",
                                       error != NULL ? ": " : "", error != NULL ? error->message : "");
    hz_signal_reply_error (s, NULL, e);
    return;
  }
  msg = json_node_get_object (root);
  id = json_object_get_member (msg, "id");
  if (id != NULL && !JSON_NODE_HOLDS_VALUE (id))
    id = NULL; /* ids are numbers or strings; anything else is not echoed */
  type = hz_signal_get_string (msg, "type", 32, &error);
  if (type == NULL) {
    hz_signal_reply_error (s, id, error);
    return;
  }
  handler = hz_signal_find_handler (type);
  if (handler != NULL) {
    if (handler->needs_member && s->member == NULL)
      g_set_error (&error, HZ_SIGNAL_ERROR, HZ_SIGNAL_ERROR_NOT_JOINED, "join a room first");
    else if (!handler->needs_member && s->member != NULL)
      g_set_error (&error, HZ_SIGNAL_ERROR, HZ_SIGNAL_ERROR_ALREADY_JOINED,
                   "this connection has already joined a room");
    else
      handler->handler (s, msg, id, &error);
    if (error != NULL)
      hz_signal_reply_error (s, id, error);
    return;
  }
  g_set_error (&error, HZ_SIGNAL_ERROR, HZ_SIGNAL_ERROR_UNKNOWN_TYPE,
               "unknown message type \"%.32s\"", type);
  hz_signal_reply_error (s, id, error);
}

static void
ws_too_big (HzWsConn *conn, gpointer user_data)
{
  Session *s = hz_ws_conn_get_data (conn);
  g_autoptr(GError) error = g_error_new (HZ_SIGNAL_ERROR, HZ_SIGNAL_ERROR_BAD_REQUEST,
                                         "message larger than %u bytes", HZ_WS_MAX_MESSAGE);

  if (s != NULL)
    hz_signal_reply_error (s, NULL, error);
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
  b = hz_signal_reply_begin ("trickle", NULL);
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
  hz_signal_send_node (ref->member->conn, json_builder_get_root (b));
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
  b = hz_signal_reply_begin ("connection_state", NULL);
  json_builder_set_member_name (b, "target");
  json_builder_add_string_value (b, ref->publisher ? "publisher" : "subscriber");
  json_builder_set_member_name (b, "state");
  json_builder_add_string_value (b, hz_peer_state_to_string (state));
  json_builder_end_object (b);
  hz_signal_send_node (ref->member->conn, json_builder_get_root (b));
  g_object_unref (b);
  if (state == HZ_PEER_STATE_FAILED || state == HZ_PEER_STATE_CLOSED) {
    HzMember *m = ref->member;
    /* ref is freed by the recovery (forget_endpoint): copy first */
    hz_live_room_connection_lost (m->room, m, ref->publisher);
  }
}

static void
media_layer_changed (HzEndpointId id, guint32 track_id, gint layer, gpointer user_data)
{
  HzSignal *sig = user_data;
  EndpointRef *ref = g_hash_table_lookup (sig->endpoints, GUINT_TO_POINTER (id));
  g_autofree char *key = g_strdup_printf ("t%u", track_id);
  JsonBuilder *b;

  if (ref == NULL || ref->member->conn == NULL)
    return;
  b = hz_signal_reply_begin ("layer", NULL);
  json_builder_set_member_name (b, "track_id");
  json_builder_add_string_value (b, key);
  json_builder_set_member_name (b, "layer");
  json_builder_add_int_value (b, layer);
  json_builder_end_object (b);
  hz_signal_send_node (ref->member->conn, json_builder_get_root (b));
  g_object_unref (b);
}

static void
media_active_speaker (HzEndpointId id, gpointer user_data)
{
  HzSignal *sig = user_data;
  EndpointRef *ref = g_hash_table_lookup (sig->endpoints, GUINT_TO_POINTER (id));
  g_autoptr(JsonBuilder) b = json_builder_new ();

  if (ref == NULL)
    return;
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, "active_speaker");
  json_builder_set_member_name (b, "participant_id");
  json_builder_add_string_value (b, ref->member->id);
  json_builder_end_object (b);
  hz_live_room_broadcast (ref->member->room, NULL, json_builder_get_root (b));
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

/* ---- recording ---- */

static void
recording_done (const char *room_id, HzRecordingInfo *info, const GError *error, gpointer data)
{
  HzSignal *sig = data;

  if (sig->config.recording_done != NULL)
    sig->config.recording_done (room_id, info, error, sig->config.recording_data);
  else
    g_clear_pointer (&info, hz_recording_info_free);
}

/* A recorder failed (disk full, unwritable directory): the recording stops
 * with a clear event; the room goes on. */
static void
recording_failed (const char *room_id, const GError *error, gpointer data)
{
  HzSignal *sig = data;
  HzLiveRoom *room = g_hash_table_lookup (sig->rooms, room_id);
  g_autoptr(JsonBuilder) b = json_builder_new ();

  if (room == NULL)
    return;
  hz_live_room_stop_recording (room, "recording_error");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, "recording");
  json_builder_set_member_name (b, "state");
  json_builder_add_string_value (b, "failed");
  json_builder_set_member_name (b, "message");
  json_builder_add_string_value (b, error->message);
  json_builder_end_object (b);
  hz_live_room_broadcast (room, NULL, json_builder_get_root (b));
}

gboolean
hz_signal_recording_action (HzSignal *sig, const char *room_id, gboolean start, const char *actor,
                            GError **error)
{
  HzLiveRoom *room = g_hash_table_lookup (sig->rooms, room_id);

  if (room == NULL) {
    g_set_error (error, HZ_SIGNAL_ERROR, HZ_SIGNAL_ERROR_ROOM_NOT_OPEN,
                 "room %s has nobody in it: recording starts when it is live", room_id);
    return FALSE;
  }
  if (hz_signal_cascade_is_satellite_room (sig, room)) { /* cascade: the owner node records */
    g_set_error (error, HZ_SIGNAL_ERROR, HZ_SIGNAL_ERROR_ROOM_NOT_OPEN, /* the API's 409 */
                 "room %s is relayed here from its owner node: it is recorded there only", room_id);
    return FALSE;
  }
  if (!start) {
    hz_live_room_stop_recording (room, actor);
    return TRUE;
  }
  if (!hz_live_room_start_recording (room, actor, error)) {
    if ((*error)->domain != HZ_SIGNAL_ERROR) {
      (*error)->domain = HZ_SIGNAL_ERROR;
      (*error)->code = HZ_SIGNAL_ERROR_INTERNAL;
    }
    return FALSE;
  }
  return TRUE;
}

gboolean
hz_signal_is_recording (HzSignal *sig, const char *room_id)
{
  HzLiveRoom *room = g_hash_table_lookup (sig->rooms, room_id);

  return room != NULL && room->recording != NULL;
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

static void
room_free (gpointer data)
{
  HzLiveRoom *room = data;
  HzSignal *sig = room->env->data;

  hz_signal_add_closed_stats (sig, room);
  /* the room ended here: its placement is free (only if still ours) */
  if (sig->config.cluster != NULL)
    hz_cluster_release_room (sig->config.cluster, room->id);
  hz_live_room_free (room);
}

HzSignal *
hz_signal_new (const HzSignalConfig *config)
{
  HzSignal *sig = g_new0 (HzSignal, 1);

  sig->config = *config;
  sig->media_events.local_candidate = media_local_candidate;
  sig->media_events.state_changed = media_state_changed;
  sig->media_events.layer_changed = media_layer_changed;
  sig->media_events.active_speaker = media_active_speaker;
  sig->env.workers = config->workers;
  sig->env.media.ip = config->media_ip;
  sig->env.media.port_min = config->port_min;
  sig->env.media.port_max = config->port_max;
  sig->env.media.liveness_timeout_ms = config->liveness_timeout_s * 1000;
  sig->env.media.ice_tcp = config->ice_tcp;
  sig->env.media.cert = config->cert;
  sig->env.media_events = &sig->media_events;
  sig->env.media_events_data = sig;
  sig->env.new_endpoint_id = new_endpoint_id;
  sig->env.forget_endpoint = forget_endpoint;
  sig->env.data_dir = config->data_dir;
  sig->env.recording_done = recording_done;
  sig->env.recording_failed = recording_failed;
  sig->env.data = sig;
  sig->rooms = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, room_free);
  sig->endpoints = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  sig->ice_servers = build_ice_servers (config);
  /* 30 joins at once per address (a clinic behind one NAT), then one a
   * second: enough for people, not for a token-guessing flood. */
  sig->join_limit = hz_rate_limit_new (30, G_USEC_PER_SEC, 4096);
  sig->cancel = g_cancellable_new ();
  if (config->cluster != NULL)
    sig->relay = hz_signal_relay_new (sig, config->cluster);
  return sig;
}

void
hz_signal_free (HzSignal *sig)
{
  if (sig == NULL)
    return;
  g_cancellable_cancel (sig->cancel);
  g_clear_object (&sig->cancel);
  /* remote sessions first: they are members of rooms */
  g_clear_pointer (&sig->relay, hz_signal_relay_free);
  g_hash_table_unref (sig->rooms);
  g_hash_table_unref (sig->endpoints);
  json_node_unref (sig->ice_servers);
  hz_rate_limit_free (sig->join_limit);
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
  for (guint i = 0; i < room->members->len; i++) {
    HzMember *m = g_ptr_array_index (room->members, i);

    if (hz_role_is_listed (m->claims->role)) /* not cascade relays */
      json_array_add_element (arr, hz_member_to_json (m));
  }
  return arr;
}

/* Tells every member, closes their sockets and forgets the live room. The
 * stored room state is the caller's business (shutdown keeps it, "end"
 * closes it). */
void
hz_signal_close_room (HzSignal *sig, HzLiveRoom *room, const char *reason)
{
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
  g_hash_table_remove (sig->rooms, room->id);
}

void
hz_signal_close_all (HzSignal *sig, const char *reason)
{
  GHashTableIter iter;
  HzLiveRoom *room;

  while (g_hash_table_size (sig->rooms) > 0) {
    g_hash_table_iter_init (&iter, sig->rooms);
    g_hash_table_iter_next (&iter, NULL, (gpointer *) &room);
    hz_signal_close_room (sig, room, reason);
  }
}

gboolean
hz_signal_close_room_by_id (HzSignal *sig, const char *room_id, const char *reason)
{
  HzLiveRoom *room = g_hash_table_lookup (sig->rooms, room_id);

  if (room == NULL)
    return FALSE;
  hz_signal_close_room (sig, room, reason);
  return TRUE;
}

gboolean
hz_signal_cluster_inbox (HzSignal *sig, const char *json)
{
  return sig->relay != NULL && hz_signal_relay_inbox (sig->relay, json);
}

void
hz_signal_get_relay_counts (HzSignal *sig, guint *entry, guint *remote)
{
  *entry = *remote = 0;
  if (sig->relay != NULL)
    hz_signal_relay_get_counts (sig->relay, entry, remote);
}

guint
hz_signal_get_n_rooms (HzSignal *sig)
{
  return g_hash_table_size (sig->rooms);
}

guint64
hz_signal_get_forwarded_bytes (HzSignal *sig)
{
  HzRouterStats sum = sig->closed_stats;
  GHashTableIter iter;
  HzLiveRoom *room;

  g_hash_table_iter_init (&iter, sig->rooms);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &room)) {
    HzRouterStats s;

    hz_media_room_get_stats (room->media, &s);
    sum.rtp_forwarded_bytes += s.rtp_forwarded_bytes;
  }
  return sum.rtp_forwarded_bytes;
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

static void
add_stats (HzRouterStats *sum, const HzRouterStats *s)
{
  sum->rtp_in += s->rtp_in;
  sum->rtp_forwarded += s->rtp_forwarded;
  sum->rtp_dropped += s->rtp_dropped;
  sum->rtp_paused += s->rtp_paused;
  sum->rtcp_in += s->rtcp_in;
  sum->pli_sent += s->pli_sent;
  sum->sr_forwarded += s->sr_forwarded;
  sum->nack_received += s->nack_received;
  sum->rtx_sent += s->rtx_sent;
  sum->rtx_missed += s->rtx_missed;
  sum->nack_sent += s->nack_sent;
  sum->rtx_received += s->rtx_received;
  sum->twcc_feedback_sent += s->twcc_feedback_sent;
  sum->layer_switches += s->layer_switches;
  sum->rtp_forwarded_bytes += s->rtp_forwarded_bytes;
}

/* The rooms closed so far count too: counters only go up. */
void
hz_signal_add_closed_stats (HzSignal *sig, HzLiveRoom *room)
{
  HzRouterStats s;

  hz_media_room_get_stats (room->media, &s);
  add_stats (&sig->closed_stats, &s);
}

void
hz_signal_collect_metrics (GString *out, gpointer data)
{
  HzSignal *sig = data;
  HzRouterStats sum = sig->closed_stats;
  GHashTableIter iter;
  HzLiveRoom *room;
  guint recording = 0;
  static const struct {
    const char *name, *help;
    gsize offset;
  } counters[] = {
    { "huizhen_rtp_packets_received_total", "RTP packets received from publishers.", G_STRUCT_OFFSET (HzRouterStats, rtp_in) },
    { "huizhen_rtp_packets_forwarded_total", "RTP packets sent to subscribers.", G_STRUCT_OFFSET (HzRouterStats, rtp_forwarded) },
    { "huizhen_rtp_packets_dropped_total", "RTP packets from publishers not forwarded (unknown SSRC, bad header).", G_STRUCT_OFFSET (HzRouterStats, rtp_dropped) },
    { "huizhen_rtp_packets_paused_total", "RTP packets of muted tracks not forwarded.", G_STRUCT_OFFSET (HzRouterStats, rtp_paused) },
    { "huizhen_pli_sent_total", "Key-frame requests sent to publishers.", G_STRUCT_OFFSET (HzRouterStats, pli_sent) },
    { "huizhen_nack_received_total", "Sequence numbers subscribers asked to be resent.", G_STRUCT_OFFSET (HzRouterStats, nack_received) },
    { "huizhen_rtx_sent_total", "Retransmissions sent to subscribers from the packet cache.", G_STRUCT_OFFSET (HzRouterStats, rtx_sent) },
    { "huizhen_rtx_missed_total", "NACKed packets no longer in the cache.", G_STRUCT_OFFSET (HzRouterStats, rtx_missed) },
    { "huizhen_nack_sent_total", "Sequence numbers asked again from publishers.", G_STRUCT_OFFSET (HzRouterStats, nack_sent) },
    { "huizhen_rtx_received_total", "Retransmissions received from publishers.", G_STRUCT_OFFSET (HzRouterStats, rtx_received) },
    { "huizhen_twcc_feedback_sent_total", "Transport-wide feedback packets sent to publishers.", G_STRUCT_OFFSET (HzRouterStats, twcc_feedback_sent) },
    { "huizhen_layer_switches_total", "Simulcast layer switches made for subscribers.", G_STRUCT_OFFSET (HzRouterStats, layer_switches) },
  };

  g_hash_table_iter_init (&iter, sig->rooms);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &room)) {
    HzRouterStats s;

    hz_media_room_get_stats (room->media, &s);
    add_stats (&sum, &s);
    recording += room->recording != NULL;
  }
  for (guint i = 0; i < G_N_ELEMENTS (counters); i++) {
    hz_metrics_append_family (out, counters[i].name, HZ_METRIC_COUNTER, counters[i].help);
    hz_metrics_append_sample (out, counters[i].name, NULL,
                              (double) G_STRUCT_MEMBER (guint64, &sum, counters[i].offset));
  }
  hz_metrics_append_family (out, "huizhen_recordings_running", HZ_METRIC_GAUGE, "Recordings in progress.");
  hz_metrics_append_sample (out, "huizhen_recordings_running", NULL, recording);
}

void
hz_signal_document_shared (HzSignal *sig, const char *room_id, JsonNode *document, const char *by)
{
  HzLiveRoom *room = g_hash_table_lookup (sig->rooms, room_id);
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autofree char *text = NULL;

  if (room == NULL)
    return; /* nobody to tell: late joiners get the list in joined */
  text = json_to_string (document, FALSE); /* a deep copy: the caller keeps its node */
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, "document_shared");
  json_builder_set_member_name (b, "document");
  json_builder_add_value (b, json_from_string (text, NULL));
  if (by != NULL) {
    json_builder_set_member_name (b, "by");
    json_builder_add_string_value (b, by);
  }
  json_builder_end_object (b);
  hz_live_room_broadcast (room, NULL, json_builder_get_root (b));
  hz_live_room_log (room, "share", "by", by, NULL);
}
