/* hz-signal-together: the client messages of working together in a room:
 * chat, raised hands, moderation, the consult's conclusion and the shared
 * document viewer. Joining, media negotiation and leaving are in
 * hz-signal-msgs.c, which also holds the table of every handler. */
#include "hz-signal-private.h"

#include <string.h>

#include "hz-audit.h"
#include "hz-cascade.h"

#define CHAT_MAX_CHARS 2000

gboolean
hz_signal_handle_chat (Session *s, JsonObject *msg, JsonNode *id, GError **error)
{
  const char *text = hz_signal_get_string (msg, "text", CHAT_MAX_CHARS * 4, error);
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
  hz_live_room_log (s->room, "chat", "participant_id", s->member->id, "text", text, NULL);
  return TRUE;
}

/* {"type": @type, "participant_id": @about, <name>: @value} to one member */
static void
send_flag_event (HzMember *to, const char *type, const char *about, const char *name, gboolean value)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, type);
  json_builder_set_member_name (b, "participant_id");
  json_builder_add_string_value (b, about);
  json_builder_set_member_name (b, name);
  json_builder_add_boolean_value (b, value);
  json_builder_end_object (b);
  hz_member_send (to, json_builder_get_root (b));
}

gboolean
hz_signal_handle_raise_hand (Session *s, JsonObject *msg, JsonNode *id, GError **error)
{
  gboolean raised;

  if (!hz_signal_get_bool (msg, "raised", &raised, error))
    return FALSE;
  s->member->hand_raised = raised;
  for (guint i = 0; i < s->room->members->len; i++) {
    HzMember *q = g_ptr_array_index (s->room->members, i);
    if (hz_role_can_moderate (q->claims->role, s->room->info->kind) || q == s->member)
      send_flag_event (q, "hand_raised", s->member->id, "raised", raised);
  }
  return TRUE;
}

/* Tells the target what a moderator did, and everyone its new state. */
static void
announce_moderation (Session *s, HzMember *target, const char *action)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonBuilder) u = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, "moderated");
  json_builder_set_member_name (b, "action");
  json_builder_add_string_value (b, action);
  json_builder_set_member_name (b, "by");
  json_builder_add_string_value (b, s->member->id);
  json_builder_end_object (b);
  hz_member_send (target, json_builder_get_root (b));

  json_builder_begin_object (u);
  json_builder_set_member_name (u, "type");
  json_builder_add_string_value (u, "participant_updated");
  json_builder_set_member_name (u, "participant");
  json_builder_add_value (u, hz_member_to_json (target));
  json_builder_end_object (u);
  hz_live_room_broadcast (s->room, NULL, json_builder_get_root (u));
}

static gboolean
moderate_target (Session *s, JsonObject *msg, const char *action, GError **error)
{
  const char *pid = hz_signal_get_string (msg, "participant_id", 64, error);
  HzMember *target;
  Session *ts;

  if (pid == NULL)
    return FALSE;
  target = hz_live_room_find (s->room, pid);
  if (target == NULL) {
    g_set_error (error, HZ_SIGNAL_ERROR, HZ_SIGNAL_ERROR_BAD_REQUEST,
                 "no participant %s in this room", pid);
    return FALSE;
  }
  if (strcmp (action, "mute") == 0) {
    hz_live_room_set_muted (s->room, target, HZ_SDP_KIND_AUDIO, TRUE);
    announce_moderation (s, target, action);
  } else if (strcmp (action, "promote") == 0 || strcmp (action, "demote") == 0) {
    target->promoted = action[0] == 'p';
    target->hand_raised = FALSE;
    if (!target->promoted && !hz_live_room_can_publish (s->room, target))
      hz_live_room_unpublish_all (s->room, target);
    announce_moderation (s, target, action);
  } else { /* remove */
    g_autoptr(JsonBuilder) rb = json_builder_new ();

    json_builder_begin_object (rb);
    json_builder_set_member_name (rb, "type");
    json_builder_add_string_value (rb, "removed");
    json_builder_set_member_name (rb, "by");
    json_builder_add_string_value (rb, s->member->id);
    json_builder_end_object (rb);
    hz_member_send (target, json_builder_get_root (rb));
    announce_moderation (s, target, action);
    ts = target->conn != NULL ? hz_ws_conn_get_data (target->conn) : NULL;
    if (ts != NULL) {
      HzWsConn *conn = ts->conn;
      hz_signal_session_leave (ts);
      hz_ws_conn_close (conn, 4003, "removed by a moderator");
    }
  }
  g_message ("room %s: %s %s %s", s->room->id, s->member->id, action, pid);
  hz_audit_append (s->sig->config.store, s->member->claims->user, s->member->claims->institution,
                   action, pid, "ok", NULL, NULL);
  return TRUE;
}

gboolean
hz_signal_handle_moderate (Session *s, JsonObject *msg, JsonNode *id, GError **error)
{
  static const char *const actions[] = { "mute", "remove", "promote", "demote", "end" };
  const char *action = hz_signal_get_string (msg, "action", 16, error);
  gboolean known = FALSE;

  if (action == NULL)
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (actions); i++)
    known |= strcmp (action, actions[i]) == 0;
  if (!known) {
    g_set_error (error, HZ_SIGNAL_ERROR, HZ_SIGNAL_ERROR_BAD_REQUEST,
                 "action must be mute, remove, promote, demote or end");
    return FALSE;
  }
  if (!hz_role_can_moderate (s->member->claims->role, s->room->info->kind)) {
    g_set_error (error, HZ_SIGNAL_ERROR, HZ_SIGNAL_ERROR_FORBIDDEN,
                 "a %s may not moderate this room", hz_role_to_string (s->member->claims->role));
    return FALSE;
  }
  if (strcmp (action, "end") == 0) {
    g_autoptr(GError) db_error = NULL;
    HzLiveRoom *room = s->room;

    if (!hz_room_store_set_state (s->sig->config.store, room->id, HZ_ROOM_STATE_CLOSED, &db_error))
      g_warning ("room %s: not marked closed: %s", room->id, db_error->message);
    g_message ("room %s: ended by %s", room->id, s->member->id);
    hz_audit_append (s->sig->config.store, s->member->claims->user, s->member->claims->institution,
                     "end", room->id, "ok", NULL, NULL);
    hz_signal_close_room (s->sig, room, "ended_by_moderator");
    return TRUE;
  }
  return moderate_target (s, msg, action, error);
}

gboolean
hz_signal_handle_conclude (Session *s, JsonObject *msg, JsonNode *id, GError **error)
{
  const char *text = hz_signal_get_string (msg, "text", 64 * 1024, error);
  JsonNode *referral = json_object_get_member (msg, "referral");
  const char *direction = NULL, *institution = NULL;
  g_autoptr(GError) store_error = NULL;
  JsonBuilder *b;

  if (text == NULL)
    return FALSE;
  if (s->member->claims->role != HZ_ROLE_SPECIALIST) {
    g_set_error (error, HZ_SIGNAL_ERROR, HZ_SIGNAL_ERROR_FORBIDDEN,
                 "only the consulted specialist writes the conclusion");
    return FALSE;
  }
  if (referral != NULL && !JSON_NODE_HOLDS_NULL (referral)) {
    if (!JSON_NODE_HOLDS_OBJECT (referral) ||
        (direction = hz_signal_get_string (json_node_get_object (referral), "direction", 8, error)) == NULL ||
        (institution = hz_signal_get_string (json_node_get_object (referral), "institution", 256, error)) == NULL) {
      g_clear_error (error);
      g_set_error (error, HZ_SIGNAL_ERROR, HZ_SIGNAL_ERROR_BAD_REQUEST,
                   "referral must be {\"direction\": \"up\" or \"down\", \"institution\"}");
      return FALSE;
    }
  }
  if (!hz_room_store_conclude (s->sig->config.store, s->room->id, s->member->id, text, direction,
                               institution, &store_error)) {
    g_set_error (error, HZ_SIGNAL_ERROR, HZ_SIGNAL_ERROR_BAD_REQUEST, "%s", store_error->message);
    return FALSE;
  }
  b = hz_signal_reply_begin ("concluded", id);
  json_builder_end_object (b);
  hz_signal_send_node (s->conn, json_builder_get_root (b));
  g_object_unref (b);
  {
    g_autoptr(JsonBuilder) e = json_builder_new ();

    json_builder_begin_object (e);
    json_builder_set_member_name (e, "type");
    json_builder_add_string_value (e, "conclusion");
    json_builder_set_member_name (e, "participant_id");
    json_builder_add_string_value (e, s->member->id);
    json_builder_set_member_name (e, "text");
    json_builder_add_string_value (e, text);
    if (direction != NULL) {
      json_builder_set_member_name (e, "referral");
      json_builder_begin_object (e);
      json_builder_set_member_name (e, "direction");
      json_builder_add_string_value (e, direction);
      json_builder_set_member_name (e, "institution");
      json_builder_add_string_value (e, institution);
      json_builder_end_object (e);
    }
    json_builder_end_object (e);
    hz_live_room_broadcast (s->room, s->member, json_builder_get_root (e));
  }
  return TRUE;
}

gboolean
hz_signal_handle_viewer_control (Session *s, JsonObject *msg, JsonNode *id, GError **error)
{
  const char *action = hz_signal_get_string (msg, "action", 16, error);
  gboolean moderator;
  const char *to;

  if (action == NULL)
    return FALSE;
  moderator = hz_role_can_moderate (s->member->claims->role, s->room->info->kind);
  if (g_strcmp0 (action, "take") == 0)
    return hz_viewer_sync_take (s->room->viewer, s->member->id, moderator, error);
  if (g_strcmp0 (action, "release") == 0)
    return hz_viewer_sync_release (s->room->viewer, s->member->id, moderator, error);
  if (g_strcmp0 (action, "give") == 0) {
    to = hz_signal_get_string (msg, "participant_id", 64, error);
    if (to == NULL)
      return FALSE;
    if (hz_live_room_find (s->room, to) == NULL) {
      g_set_error (error, HZ_SIGNAL_ERROR, HZ_SIGNAL_ERROR_BAD_REQUEST, "no participant %s here", to);
      return FALSE;
    }
    return hz_viewer_sync_give (s->room->viewer, s->member->id, to, moderator, error);
  }
  g_set_error (error, HZ_SIGNAL_ERROR, HZ_SIGNAL_ERROR_BAD_REQUEST,
               "action must be take, release or give");
  return FALSE;
}

gboolean
hz_signal_handle_viewer_state (Session *s, JsonObject *msg, JsonNode *id, GError **error)
{
  const char *doc_id = hz_signal_get_string (msg, "doc_id", 128, error);

  if (doc_id == NULL)
    return FALSE;
  return hz_viewer_sync_update (s->room->viewer, s->member->id, doc_id,
                                json_object_get_member (msg, "state"), error);
}
