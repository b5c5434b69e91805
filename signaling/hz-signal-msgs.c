/* hz-signal-msgs: one handler per client message type, and the replies. */
#include "hz-signal-private.h"

#include <string.h>

#include "hz-audit.h"
#include "hz-cascade-join.h"
#include "hz-cascade.h"
#include "hz-cluster.h"
#include "hz-documents.h"
#include "hz-signal-relay.h"
#include "hz-token.h"

#define CANDIDATE_MAX_LEN 1024

/* ---- replies ---- */

void
hz_signal_send_node (HzWsConn *conn, JsonNode *node)
{
  g_autofree char *text = json_to_string (node, FALSE);

  json_node_unref (node);
  hz_ws_conn_send (conn, text);
}

JsonBuilder *
hz_signal_reply_begin (const char *type, JsonNode *id)
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

void
hz_signal_reply_end (Session *s, JsonBuilder *b)
{
  json_builder_end_object (b);
  hz_signal_send_node (s->conn, json_builder_get_root (b));
  g_object_unref (b);
}

void
hz_signal_reply_error (Session *s, JsonNode *id, const GError *error)
{
  JsonBuilder *b = hz_signal_reply_begin ("error", id);
  const char *code = error->domain == HZ_SIGNAL_ERROR ? hz_signal_error_code (error->code)
                                                      : "internal_error";

  json_builder_set_member_name (b, "code");
  json_builder_add_string_value (b, code);
  json_builder_set_member_name (b, "message");
  json_builder_add_string_value (b, error->message);
  hz_signal_reply_end (s, b);
  g_message ("ws %s: %s: %s", hz_ws_conn_get_peer (s->conn), code, error->message);
}

/* ---- message fields ---- */

const char *
hz_signal_get_string (JsonObject *msg, const char *name, gsize max_len, GError **error)
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

gboolean
hz_signal_get_bool (JsonObject *msg, const char *name, gboolean *out, GError **error)
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
check_room_admits (Session *s, HzLiveRoom *room, HzRole role, GError **error)
{
  g_autoptr(GError) local = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  guint listed = 0;

  /* The configured lobby and grace ([rooms] lobby_minutes, grace_minutes). */
  if (!hz_room_store_is_open_for_join (s->sig->config.store, room->info, now, &local)) {
    g_set_error (error, HZ_SIGNAL_ERROR, HZ_SIGNAL_ERROR_ROOM_NOT_OPEN, "%s", local->message);
    return FALSE;
  }
  for (guint i = 0; i < room->members->len; i++) /* cascade relays do not count */
    listed += hz_role_is_listed (((HzMember *) g_ptr_array_index (room->members, i))->claims->role);
  if (hz_role_is_listed (role) && listed >= room->info->capacity) {
    g_set_error (error, HZ_SIGNAL_ERROR, HZ_SIGNAL_ERROR_ROOM_FULL,
                 "the room is full (%u participants)", room->info->capacity);
    return FALSE;
  }
  return TRUE;
}

/* Every join, refused or not, is in the audit log: who (from the token if
 * it could be read), where from, which room, and the outcome. */
void
hz_signal_audit_join (Session *s, const char *token, const GError *error)
{
  g_autoptr(HzTokenClaims) claims = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) detail = NULL;
  g_autoptr(GError) audit_error = NULL;

  if (token != NULL)
    claims = hz_token_verify (s->sig->config.token_secret, token, 0, NULL);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "peer");
  json_builder_add_string_value (b, hz_ws_conn_get_peer (s->conn));
  if (s->member != NULL) {
    json_builder_set_member_name (b, "participant_id");
    json_builder_add_string_value (b, s->member->id);
    json_builder_set_member_name (b, "role");
    json_builder_add_string_value (b, hz_role_to_string (s->member->claims->role));
  }
  json_builder_end_object (b);
  detail = json_builder_get_root (b);
  if (!hz_audit_append (s->sig->config.store, claims != NULL ? claims->user : "anonymous",
                        claims != NULL ? claims->institution : NULL, "join",
                        claims != NULL ? claims->room : NULL,
                        error == NULL ? "ok"
                                      : error->domain == HZ_SIGNAL_ERROR ? hz_signal_error_code (error->code)
                                                                         : "error",
                        detail, &audit_error))
    g_warning ("audit: join not logged: %s", audit_error->message);
}



static gboolean
handle_join (Session *s, JsonObject *msg, JsonNode *id, GError **error)
{
  JsonNode *tok = json_object_get_member (msg, "token");
  const char *token = tok != NULL && JSON_NODE_HOLDS_VALUE (tok) &&
                              json_node_get_value_type (tok) == G_TYPE_STRING
                          ? json_node_get_string (tok) : NULL;
  g_autoptr(HzTokenClaims) valid = token != NULL ? hz_token_verify (s->sig->config.token_secret, token,
                                                                     g_get_real_time () / G_USEC_PER_SEC, NULL)
                                                 : NULL;
  gboolean ok;

  /* Only failed attempts count: an address that keeps presenting bad or
   * expired invitations is slowed down (30 at once, then one a second);
   * a valid invitation is never refused for its address (clinics share
   * one NAT address). */
  if (valid == NULL) {
    gint64 wait = hz_rate_limit_check (s->sig->join_limit, hz_ws_conn_get_peer (s->conn),
                                       g_get_monotonic_time ());
    if (wait > 0) {
      g_set_error (error, HZ_SIGNAL_ERROR, HZ_SIGNAL_ERROR_RATE_LIMITED,
                   "too many failed join attempts from your address; try again in %u s",
                   hz_rate_limit_retry_after_s (wait));
      return FALSE; /* not audited one by one: a flood would flood the log */
    }
  }
  if (hz_signal_cascade_join (s, msg, id, valid, &ok, error)) /* cascade: hz-cascade-join.c */
    return ok;
  /* In a cluster a room lives on one node: place it first (answered from
   * join_placed: here, relayed to its node, or wrong_node on request). */
  if (valid != NULL && s->sig->config.cluster != NULL &&
      !hz_cluster_owns_room (s->sig->config.cluster, valid->room)) {
    hz_signal_place_then_join (s, msg, id, valid->room);
    return TRUE;
  }
  ok = hz_signal_join_room (s, msg, id, error);

  hz_signal_audit_join (s, tok != NULL && JSON_NODE_HOLDS_VALUE (tok) &&
                     json_node_get_value_type (tok) == G_TYPE_STRING
                 ? json_node_get_string (tok) : NULL,
              ok ? NULL : *error);
  return ok;
}

gboolean
hz_signal_join_room (Session *s, JsonObject *msg, JsonNode *id, GError **error)
{
  const char *token = hz_signal_get_string (msg, "token", HZ_TOKEN_MAX_LEN, error);
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
  if (!check_room_admits (s, room, claims->role, error)) {
    if (room->members->len == 0)
      g_hash_table_remove (s->sig->rooms, room->id);
    return FALSE;
  }
  m = hz_live_room_add_member (room, s->conn, g_steal_pointer (&claims));
  s->room = room;
  s->member = m;
  if (hz_role_is_listed (m->claims->role) && !hz_cascade_is_relay_user (m->claims->user) &&
      /* cascade relays (the hidden one, a satellite's relayed presenter) are no participants */
      !hz_room_store_record_join (s->sig->config.store, room->id, m->id, m->claims, m->joined_at,
                                  &db_error))
    g_warning ("room %s: join of %s not recorded: %s", room->id, m->id, db_error->message);
  g_message ("ws %s: %s (%s, %s) joined room %s", hz_ws_conn_get_peer (s->conn), m->id,
             m->claims->display_name, hz_role_to_string (m->claims->role), room->id);

  b = hz_signal_reply_begin ("joined", id);
  json_builder_set_member_name (b, "participant_id");
  json_builder_add_string_value (b, m->id);
  json_builder_set_member_name (b, "room");
  {
    JsonNode *info = hz_room_to_json (room->info);

    json_object_set_boolean_member (json_node_get_object (info), "recording",
                                    room->recording != NULL || room->recording_mirrored);
    json_builder_add_value (b, info);
  }
  json_builder_set_member_name (b, "participants");
  json_builder_begin_array (b);
  for (guint i = 0; i < room->members->len; i++) {
    HzMember *other = g_ptr_array_index (room->members, i);
    if (other != m && hz_role_is_listed (other->claims->role))
      json_builder_add_value (b, hz_member_to_json (other));
  }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "ice_servers");
  json_builder_add_value (b, json_node_copy (s->sig->ice_servers));
  json_builder_set_member_name (b, "can_publish");
  json_builder_add_boolean_value (b, hz_live_room_can_publish (room, m));
  json_builder_set_member_name (b, "recording");
  json_builder_add_boolean_value (b, room->recording != NULL || room->recording_mirrored);
  json_builder_set_member_name (b, "documents");
  {
    JsonNode *docs = hz_documents_list_json (s->sig->config.data_dir, room->id);
    JsonNode *list = docs != NULL && JSON_NODE_HOLDS_OBJECT (docs)
                         ? json_object_get_member (json_node_get_object (docs), "documents")
                         : NULL;

    json_builder_add_value (b, list != NULL ? json_node_copy (list) : json_node_new (JSON_NODE_NULL));
    g_clear_pointer (&docs, json_node_unref);
  }
  json_builder_set_member_name (b, "viewer");
  json_builder_add_value (b, hz_viewer_sync_to_json (room->viewer));
  json_builder_set_member_name (b, "can_moderate");
  json_builder_add_boolean_value (b, hz_role_can_moderate (m->claims->role, room->info->kind));
  hz_signal_reply_end (s, b);

  hz_live_room_subscribe_existing (room, m);
  if (room->info->record && room->recording == NULL &&
      !hz_signal_cascade_is_satellite_room (s->sig, room)) { /* recorded on the owner only */
    g_autoptr(GError) rec_error = NULL;

    /* record: true on the room: consent is shown by the recording event */
    if (!hz_live_room_start_recording (room, "auto", &rec_error))
      g_warning ("room %s: automatic recording did not start: %s", room->id, rec_error->message);
  }
  return TRUE;
}

static gboolean
handle_publish (Session *s, JsonObject *msg, JsonNode *id, GError **error)
{
  const char *sdp = hz_signal_get_string (msg, "sdp", 128 * 1024, error);
  g_autofree char *answer = NULL;
  JsonBuilder *b;

  if (sdp == NULL)
    return FALSE;
  if (!hz_live_room_can_publish (s->room, s->member)) {
    g_set_error (error, HZ_SIGNAL_ERROR, HZ_SIGNAL_ERROR_FORBIDDEN,
                 "a %s may not publish in this room", hz_role_to_string (s->member->claims->role));
    return FALSE;
  }
  answer = hz_live_room_publish (s->room, s->member, sdp, error);
  if (answer == NULL) {
    map_sdp_error (error);
    return FALSE;
  }
  b = hz_signal_reply_begin ("answer", id);
  json_builder_set_member_name (b, "sdp");
  json_builder_add_string_value (b, answer);
  hz_signal_reply_end (s, b);
  return TRUE;
}

static gboolean
handle_answer (Session *s, JsonObject *msg, JsonNode *id, GError **error)
{
  const char *sdp = hz_signal_get_string (msg, "sdp", 128 * 1024, error);

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
  const char *target = hz_signal_get_string (msg, "target", 16, error);
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
    candidate = hz_signal_get_string (json_node_get_object (cand_node), "candidate", CANDIDATE_MAX_LEN, error);
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
  const char *kind = hz_signal_get_string (msg, "kind", 16, error);
  gboolean muted;

  if (kind == NULL || !hz_signal_get_bool (msg, "muted", &muted, error))
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
handle_recording (Session *s, JsonObject *msg, JsonNode *id, GError **error)
{
  const char *action = hz_signal_get_string (msg, "action", 8, error);

  if (action == NULL)
    return FALSE;
  if (g_strcmp0 (action, "start") != 0 && g_strcmp0 (action, "stop") != 0) {
    g_set_error (error, HZ_SIGNAL_ERROR, HZ_SIGNAL_ERROR_BAD_REQUEST, "action must be start or stop");
    return FALSE;
  }
  if (!hz_role_can_moderate (s->member->claims->role, s->room->info->kind)) {
    g_set_error (error, HZ_SIGNAL_ERROR, HZ_SIGNAL_ERROR_FORBIDDEN,
                 "a %s may not start or stop the recording", hz_role_to_string (s->member->claims->role));
    return FALSE;
  }
  hz_audit_append (s->sig->config.store, s->member->claims->user, s->member->claims->institution,
                   action[2] == 'a' ? "recording_start" : "recording_stop", s->room->id, "ok", NULL, NULL);
  return hz_signal_recording_action (s->sig, s->room->id, action[2] == 'a', s->member->id, error);
}

static gboolean
handle_leave (Session *s, JsonObject *msg, JsonNode *id, GError **error)
{
  hz_signal_session_leave (s);
  hz_ws_conn_close (s->conn, 1000, "left");
  return TRUE;
}


static gboolean
handle_restart_ice (Session *s, JsonObject *msg, JsonNode *id, GError **error)
{
  const char *target = hz_signal_get_string (msg, "target", 16, error);

  if (target == NULL)
    return FALSE;
  if (strcmp (target, "subscriber") != 0) {
    g_set_error (error, HZ_SIGNAL_ERROR, HZ_SIGNAL_ERROR_BAD_REQUEST,
                 "only the subscriber connection is restarted this way; restart the publisher "
                 "with a new publish offer (iceRestart)");
    return FALSE;
  }
  if (!hz_live_room_restart_subscriber (s->room, s->member, error)) {
    (*error)->domain = HZ_SIGNAL_ERROR;
    (*error)->code = HZ_SIGNAL_ERROR_BAD_REQUEST;
    return FALSE;
  }
  return TRUE;
}

static gboolean
handle_video_preference (Session *s, JsonObject *msg, JsonNode *id, GError **error)
{
  const char *key = hz_signal_get_string (msg, "track_id", 32, error);
  JsonNode *layer = json_object_get_member (msg, "max_layer");
  HzPubTrack *t;

  if (key == NULL)
    return FALSE;
  if (layer == NULL || json_node_get_value_type (layer) != G_TYPE_INT64 ||
      json_node_get_int (layer) < 0 || json_node_get_int (layer) > 2) {
    g_set_error (error, HZ_SIGNAL_ERROR, HZ_SIGNAL_ERROR_BAD_REQUEST, "max_layer must be 0, 1 or 2");
    return FALSE;
  }
  t = hz_live_room_find_track (s->room, key);
  if (t == NULL || t->kind != HZ_SDP_KIND_VIDEO || s->member->sub_ep == 0) {
    g_set_error (error, HZ_SIGNAL_ERROR, HZ_SIGNAL_ERROR_BAD_REQUEST,
                 "no video track %s is sent to you", key);
    return FALSE;
  }
  hz_media_room_set_max_layer (s->room->media, s->member->sub_ep, t->id,
                               (gint) json_node_get_int (layer));
  return TRUE;
}

static gboolean
handle_subscribe_video (Session *s, JsonObject *msg, JsonNode *id, GError **error)
{
  gboolean enabled;

  if (!hz_signal_get_bool (msg, "enabled", &enabled, error))
    return FALSE;
  s->member->video_enabled = enabled;
  if (s->member->sub_ep != 0)
    hz_media_room_set_video_enabled (s->room->media, s->member->sub_ep, enabled);
  return TRUE;
}

static const HzSignalHandler handlers[] = {
  { "join", handle_join, FALSE },
  { "publish", handle_publish, TRUE },
  { "answer", handle_answer, TRUE },
  { "trickle", handle_trickle, TRUE },
  { "mute", handle_mute, TRUE },
  { "chat", hz_signal_handle_chat, TRUE },
  { "restart_ice", handle_restart_ice, TRUE },
  { "video_preference", handle_video_preference, TRUE },
  { "subscribe_video", handle_subscribe_video, TRUE },
  { "raise_hand", hz_signal_handle_raise_hand, TRUE },
  { "moderate", hz_signal_handle_moderate, TRUE },
  { "conclude", hz_signal_handle_conclude, TRUE },
  { "recording", handle_recording, TRUE },
  { "viewer_control", hz_signal_handle_viewer_control, TRUE },
  { "viewer_state", hz_signal_handle_viewer_state, TRUE },
  { "leave", handle_leave, TRUE },
  { "cascade_relay", hz_signal_cascade_relay, TRUE }, /* nodes only: hz-cascade-join.c */
};


const HzSignalHandler *
hz_signal_find_handler (const char *type)
{
  for (guint i = 0; i < G_N_ELEMENTS (handlers); i++)
    if (strcmp (handlers[i].type, type) == 0)
      return &handlers[i];
  return NULL;
}
