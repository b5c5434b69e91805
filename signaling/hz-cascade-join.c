/* hz-cascade-join: the cascade's part of a join, the cascade_relay message,
 * and which rooms are satellites here (see hz-cascade-join.h). */
#include "hz-cascade-join.h"

#include "hz-cascade.h"
#include "hz-cluster.h"

#include <string.h>

#define RELAY_CHAT_MAX_CHARS 2000 /* as a client's chat (hz-signal-msgs.c) */
#define RELAY_NAME_MAX 256
#define RELAY_ID_MAX 200

/* ---- the join ---- */

/* A viewer's join of a room placed on another node: placement (for the
 * owner's id and URL), then hz_cascade_route_join_async decides between
 * a satellite here and the normal cluster path. The session holds its
 * messages meanwhile, as during a placement. */
typedef struct {
  Session *s;
  JsonObject *msg;
  JsonNode *id;
  HzTokenClaims *claims;
} CascadeJoin;

static void
cascade_join_free (CascadeJoin *cj)
{
  hz_signal_session_unref (cj->s);
  json_object_unref (cj->msg);
  g_clear_pointer (&cj->id, json_node_unref);
  hz_token_claims_free (cj->claims);
  g_free (cj);
}

static const char *
cascade_msg_token (JsonObject *msg)
{
  JsonNode *tok = json_object_get_member (msg, "token");

  return tok != NULL && JSON_NODE_HOLDS_VALUE (tok) && json_node_get_value_type (tok) == G_TYPE_STRING
             ? json_node_get_string (tok) : NULL;
}

/* Joins @s to the live room here (the satellite's), answering it. */
static gboolean
cascade_join_here (Session *s, JsonObject *msg, JsonNode *id, GError **error)
{
  gboolean ok = hz_signal_join_room (s, msg, id, error);

  hz_signal_audit_join (s, cascade_msg_token (msg), ok ? NULL : *error);
  return ok;
}

static void
cascade_routed (GObject *source, GAsyncResult *res, gpointer data)
{
  CascadeJoin *cj = data;
  Session *s = cj->s;
  g_autoptr(GError) error = NULL;
  HzCascadePlace place = hz_cascade_route_join_finish (NULL, res, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || s->closed) {
    cascade_join_free (cj); /* the service or the client is gone */
    return;
  }
  s->placing = FALSE;
  if (place == HZ_CASCADE_JOIN_SATELLITE) {
    g_autoptr(GError) jerr = NULL;

    if (!cascade_join_here (s, cj->msg, cj->id, &jerr))
      hz_signal_reply_error (s, cj->id, jerr);
    hz_signal_session_release_held (s);
  } else {
    hz_signal_place_then_join (s, cj->msg, cj->id, cj->claims->room); /* as without cascading */
  }
  cascade_join_free (cj);
}

static void
cascade_placed (GObject *source, GAsyncResult *res, gpointer data)
{
  CascadeJoin *cj = data;
  Session *s = cj->s;
  HzCluster *cluster;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;
  g_autofree char *owner = NULL;

  if (g_cancellable_is_cancelled (g_task_get_cancellable (G_TASK (res)))) {
    cascade_join_free (cj); /* the service is gone */
    return;
  }
  cluster = s->sig->config.cluster;
  owner = hz_cluster_place_room_finish (cluster, res, &url, &error);
  if (s->closed) {
    if (owner != NULL && g_strcmp0 (owner, hz_cluster_get_node_id (cluster)) == 0 &&
        !g_hash_table_contains (s->sig->rooms, cj->claims->room))
      hz_cluster_release_room (cluster, cj->claims->room);
    cascade_join_free (cj);
    return;
  }
  if (owner != NULL && g_strcmp0 (owner, hz_cluster_get_node_id (cluster)) != 0 && url != NULL &&
      url[0] != '\0') {
    hz_cascade_route_join_async (s->sig->config.cascade, cj->claims, owner, url, s->sig->cancel,
                                 cascade_routed, cj);
    return;
  }
  /* placed here, not placed, or an owner without a URL: as without cascading */
  s->placing = FALSE;
  hz_signal_place_then_join (s, cj->msg, cj->id, cj->claims->room);
  cascade_join_free (cj);
}

gboolean
hz_signal_cascade_join (Session *s, JsonObject *msg, JsonNode *id, const HzTokenClaims *valid,
                     gboolean *ok, GError **error)
{
  HzCascade *cascade = s->sig->config.cascade;
  HzCluster *cluster = s->sig->config.cluster;
  gboolean satellite_here;
  CascadeJoin *cj;

  if (cascade == NULL || cluster == NULL || valid == NULL || s->remote ||
      hz_cluster_owns_room (cluster, valid->room))
    return FALSE;
  satellite_here = hz_cascade_get_satellite_state (cascade, valid->room) != HZ_CASCADE_SATELLITE_NONE;
  /* this node's satellite's own relay member, and viewers of a room with a
   * satellite here: the live room here */
  if (satellite_here &&
      ((hz_cascade_is_relay_user (valid->user) && valid->role == HZ_ROLE_PRESENTER) ||
       hz_cascade_counts_as_viewer (HZ_ROOM_KIND_TEACHING, valid->role, valid->user))) {
    *ok = cascade_join_here (s, msg, id, error);
    return TRUE;
  }
  if (!hz_cascade_counts_as_viewer (HZ_ROOM_KIND_TEACHING, valid->role, valid->user))
    return FALSE;
  cj = g_new0 (CascadeJoin, 1);
  cj->s = hz_signal_session_ref (s);
  cj->msg = json_object_ref (msg);
  cj->id = id != NULL ? json_node_copy (id) : NULL;
  cj->claims = hz_token_claims_copy (valid);
  s->placing = TRUE;
  hz_cluster_place_room_async (cluster, valid->room, s->sig->cancel, cascade_placed, cj);
  *ok = TRUE;
  return TRUE;
}

/* ---- satellites here ---- */

gboolean
hz_signal_cascade_is_satellite_room (HzSignal *sig, HzLiveRoom *room)
{
  HzCluster *cluster = sig->config.cluster;

  if (cluster != NULL)
    return !hz_cluster_owns_room (cluster, room->id);
  for (guint i = 0; i < room->members->len; i++) {
    HzMember *m = g_ptr_array_index (room->members, i);

    if (m->claims->role == HZ_ROLE_PRESENTER && hz_cascade_is_relay_user (m->claims->user))
      return TRUE;
  }
  return FALSE;
}

/* ---- cascade_relay: events carried between the nodes ---- */

static gboolean
relay_chat (Session *s, JsonObject *ev, const char *node, GError **error)
{
  const char *pid = hz_signal_get_string (ev, "participant_id", RELAY_ID_MAX, error);
  const char *name = pid != NULL ? hz_signal_get_string (ev, "display_name", RELAY_NAME_MAX, error) : NULL;
  const char *text = name != NULL ? hz_signal_get_string (ev, "text", RELAY_CHAT_MAX_CHARS * 4, error) : NULL;
  JsonNode *at_node = json_object_get_member (ev, "at");
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *at = NULL;
  g_autofree char *origin = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();

  if (text == NULL)
    return FALSE;
  if (!g_utf8_validate (text, -1, NULL) || g_utf8_strlen (text, -1) > RELAY_CHAT_MAX_CHARS || text[0] == '\0' ||
      !g_utf8_validate (name, -1, NULL)) {
    g_set_error (error, HZ_SIGNAL_ERROR, HZ_SIGNAL_ERROR_BAD_REQUEST,
                 "chat text must be 1 to %d characters", RELAY_CHAT_MAX_CHARS);
    return FALSE;
  }
  at = at_node != NULL && JSON_NODE_HOLDS_VALUE (at_node) && json_node_get_value_type (at_node) == G_TYPE_STRING &&
               strlen (json_node_get_string (at_node)) > 0 && strlen (json_node_get_string (at_node)) < 64
           ? g_strdup (json_node_get_string (at_node)) : g_date_time_format_iso8601 (now);
  /* p-1234@node-b: not a participant here; an id relayed further keeps its origin */
  origin = strchr (pid, '@') != NULL ? g_strdup (pid) : g_strconcat (pid, "@", node, NULL);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, "chat");
  json_builder_set_member_name (b, "participant_id");
  json_builder_add_string_value (b, origin);
  json_builder_set_member_name (b, "display_name");
  json_builder_add_string_value (b, name);
  json_builder_set_member_name (b, "text");
  json_builder_add_string_value (b, text);
  json_builder_set_member_name (b, "at");
  json_builder_add_string_value (b, at);
  json_builder_set_member_name (b, "relayed_from");
  json_builder_add_string_value (b, node);
  json_builder_end_object (b);
  hz_live_room_broadcast (s->room, s->member, json_builder_get_root (b)); /* not back to the relay */
  hz_live_room_log (s->room, "chat", "participant_id", origin, "display_name", name, "text", text, NULL);
  return TRUE;
}

/* A viewer on a satellite raised or lowered a hand: the moderators here see it. */
static gboolean
relay_hand (Session *s, JsonObject *ev, const char *node, GError **error)
{
  const char *pid = hz_signal_get_string (ev, "participant_id", RELAY_ID_MAX, error);
  const char *name = pid != NULL ? hz_signal_get_string (ev, "display_name", RELAY_NAME_MAX, error) : NULL;
  g_autofree char *origin = NULL;
  gboolean raised;

  if (name == NULL || !hz_signal_get_bool (ev, "raised", &raised, error))
    return FALSE;
  origin = strchr (pid, '@') != NULL ? g_strdup (pid) : g_strconcat (pid, "@", node, NULL);
  for (guint i = 0; i < s->room->members->len; i++) {
    HzMember *q = g_ptr_array_index (s->room->members, i);
    g_autoptr(JsonBuilder) b = NULL;

    if (!hz_role_can_moderate (q->claims->role, s->room->info->kind))
      continue;
    b = json_builder_new ();
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "type");
    json_builder_add_string_value (b, "hand_raised");
    json_builder_set_member_name (b, "participant_id");
    json_builder_add_string_value (b, origin);
    json_builder_set_member_name (b, "raised");
    json_builder_add_boolean_value (b, raised);
    json_builder_set_member_name (b, "display_name");
    json_builder_add_string_value (b, name);
    json_builder_set_member_name (b, "relayed_from");
    json_builder_add_string_value (b, node);
    json_builder_end_object (b);
    hz_member_send (q, json_builder_get_root (b));
  }
  hz_live_room_log (s->room, raised ? "hand_raised" : "hand_lowered", "participant_id", origin, NULL);
  return TRUE;
}

/* The owner's recording state, shown on the satellite (consent indicator);
 * nothing is recorded here. */
static gboolean
relay_recording (Session *s, JsonObject *ev, GError **error)
{
  const char *state = hz_signal_get_string (ev, "state", 16, error);
  g_autoptr(JsonBuilder) b = json_builder_new ();

  if (state == NULL)
    return FALSE;
  if (g_strcmp0 (state, "started") != 0 && g_strcmp0 (state, "stopped") != 0 &&
      g_strcmp0 (state, "failed") != 0) {
    g_set_error (error, HZ_SIGNAL_ERROR, HZ_SIGNAL_ERROR_BAD_REQUEST,
                 "state must be started, stopped or failed");
    return FALSE;
  }
  s->room->recording_mirrored = g_strcmp0 (state, "started") == 0;
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, "recording");
  json_builder_set_member_name (b, "state");
  json_builder_add_string_value (b, state);
  json_builder_end_object (b);
  hz_live_room_broadcast (s->room, s->member, json_builder_get_root (b));
  return TRUE;
}

gboolean
hz_signal_cascade_relay (Session *s, JsonObject *msg, JsonNode *id, GError **error)
{
  HzTokenClaims *c = s->member->claims;
  /* the hidden relay on the owner; the relayed presenter on a satellite */
  gboolean on_owner = c->role == HZ_ROLE_RELAY;
  gboolean on_satellite = c->role == HZ_ROLE_PRESENTER && hz_signal_cascade_is_satellite_room (s->sig, s->room);
  JsonNode *evn = json_object_get_member (msg, "event");
  JsonObject *ev;
  const char *type, *node;

  if (!hz_cascade_is_relay_user (c->user) || (!on_owner && !on_satellite)) {
    g_set_error (error, HZ_SIGNAL_ERROR, HZ_SIGNAL_ERROR_FORBIDDEN, "only a cascade relay may relay events");
    return FALSE;
  }
  if (evn == NULL || !JSON_NODE_HOLDS_OBJECT (evn)) {
    g_set_error (error, HZ_SIGNAL_ERROR, HZ_SIGNAL_ERROR_BAD_REQUEST, "event must be an object");
    return FALSE;
  }
  ev = json_node_get_object (evn);
  type = hz_signal_get_string (ev, "type", 32, error);
  if (type == NULL)
    return FALSE;
  node = c->user + strlen (HZ_CASCADE_USER_PREFIX); /* the node the event comes from */
  if (g_strcmp0 (type, "chat") == 0)
    return relay_chat (s, ev, node, error);
  if (g_strcmp0 (type, "hand_raised") == 0 && on_owner)
    return relay_hand (s, ev, node, error);
  if (g_strcmp0 (type, "recording") == 0 && on_satellite)
    return relay_recording (s, ev, error);
  g_set_error (error, HZ_SIGNAL_ERROR, HZ_SIGNAL_ERROR_BAD_REQUEST, "no relayed event \"%s\" here", type);
  return FALSE;
}
