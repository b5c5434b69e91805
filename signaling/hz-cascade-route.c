/* hz-cascade-route: the placement decision for a viewer of a teaching room
 * owned by another node: the pure rule, and the entry node's question to
 * the owner's admin API (see hz-cascade.h). */
#include "hz-cascade-private.h"

#include <json-glib/json-glib.h>

/* A member of the owner's answer, of the expected type, or @def. */
static const char *
str_of (JsonObject *o, const char *name, const char *def)
{
  JsonNode *n = json_object_get_member (o, name);

  return n != NULL && JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING
             ? json_node_get_string (n) : def;
}

/* ---- the decision ---- */

gboolean
hz_cascade_is_relay_user (const char *user)
{
  return user != NULL && g_str_has_prefix (user, HZ_CASCADE_USER_PREFIX);
}

gboolean
hz_cascade_counts_as_viewer (HzRoomKind kind, HzRole role, const char *user)
{
  return role != HZ_ROLE_INVALID && role != HZ_ROLE_RELAY && !hz_role_can_publish (role, kind) &&
         !hz_cascade_is_relay_user (user);
}

HzCascadePlace
hz_cascade_decide (guint cascade_viewers, HzRoomKind kind, HzRole role, const char *user,
                   guint owner_viewers, gboolean satellite_here)
{
  if (kind != HZ_ROOM_KIND_TEACHING || !hz_cascade_counts_as_viewer (kind, role, user))
    return HZ_CASCADE_JOIN_OWNER;
  if (satellite_here)
    return HZ_CASCADE_JOIN_SATELLITE;
  return owner_viewers >= MAX (cascade_viewers, 1) ? HZ_CASCADE_JOIN_SATELLITE : HZ_CASCADE_JOIN_OWNER;
}

/* ---- routing a join on the entry node ---- */

typedef struct {
  HzCascade *self;           /* only dereferenced when not cancelled */
  HzTokenClaims *claims;
  char *owner_node, *owner_url;
  SoupMessage *msg;
} RouteCall;

static void
route_call_free (RouteCall *rc)
{
  hz_token_claims_free (rc->claims);
  g_free (rc->owner_node);
  g_free (rc->owner_url);
  g_clear_object (&rc->msg);
  g_free (rc);
}

/* Viewers in a GET /api/v1/rooms/{id} answer; kind_out its room kind. */
static gboolean
count_owner_viewers (GBytes *body, HzRoomKind *kind_out, guint *viewers_out)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  gsize len;
  const char *data = g_bytes_get_data (body, &len);
  JsonNode *root;
  JsonObject *room;
  JsonArray *parts;

  if (data == NULL || !json_parser_load_from_data (parser, data, len, NULL))
    return FALSE;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return FALSE;
  room = json_node_get_object (root);
  *kind_out = hz_room_kind_from_string (str_of (room, "kind", ""));
  if (!json_object_has_member (room, "participants") ||
      !JSON_NODE_HOLDS_ARRAY (json_object_get_member (room, "participants")))
    return FALSE;
  parts = json_object_get_array_member (room, "participants");
  *viewers_out = 0;
  for (guint i = 0; i < json_array_get_length (parts); i++) {
    JsonNode *n = json_array_get_element (parts, i);
    JsonObject *p = JSON_NODE_HOLDS_OBJECT (n) ? json_node_get_object (n) : NULL;
    HzRole role;

    if (p == NULL)
      continue;
    role = hz_role_from_string (str_of (p, "role", ""));
    if (g_str_has_prefix (str_of (p, "display_name", ""),
                          HZ_CASCADE_RELAY_NAME_PREFIX) && role == HZ_ROLE_OBSERVER)
      continue; /* another node's relay */
    if (hz_cascade_counts_as_viewer (*kind_out, role, NULL))
      (*viewers_out)++;
  }
  return TRUE;
}

static void
route_answered (GObject *source, GAsyncResult *res, gpointer data)
{
  g_autoptr(GTask) task = data;
  RouteCall *rc = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), res, &error);
  HzRoomKind kind = HZ_ROOM_KIND_INVALID;
  guint viewers = 0;
  HzCascadePlace place = HZ_CASCADE_JOIN_OWNER;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
    g_task_return_error (task, g_steal_pointer (&error));
    return;
  }
  if (body == NULL || soup_message_get_status (rc->msg) != SOUP_STATUS_OK ||
      !count_owner_viewers (body, &kind, &viewers)) {
    g_message ("cascade: room %s: no viewer count from owner %s (%s): the viewer joins there",
               rc->claims->room, rc->owner_node,
               error != NULL ? error->message
               : soup_message_get_status (rc->msg) != SOUP_STATUS_OK ? soup_message_get_reason_phrase (rc->msg)
               : "unreadable answer");
  } else {
    place = hz_cascade_decide (rc->self->cascade_viewers, kind, rc->claims->role, rc->claims->user, viewers,
                               FALSE);
    if (place == HZ_CASCADE_JOIN_SATELLITE &&
        !hz_cascade_ensure_satellite (rc->self, rc->claims->room, rc->owner_node, rc->owner_url, &error)) {
      g_message ("cascade: room %s: no satellite: %s", rc->claims->room, error->message);
      place = HZ_CASCADE_JOIN_OWNER;
    }
  }
  g_task_return_int (task, place);
}

void
hz_cascade_route_join_async (HzCascade *self, const HzTokenClaims *claims, const char *owner_node,
                             const char *owner_url, GCancellable *cancellable,
                             GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  RouteCall *rc = g_new0 (RouteCall, 1);
  g_autofree char *escaped = NULL;
  g_autofree char *url = NULL;
  g_autofree char *auth = NULL;

  g_task_set_source_tag (task, hz_cascade_route_join_async);
  rc->self = self;
  rc->claims = hz_token_claims_copy (claims);
  rc->owner_node = g_strdup (owner_node);
  rc->owner_url = g_strdup (owner_url);
  g_task_set_task_data (task, rc, (GDestroyNotify) route_call_free);

  /* the plain answers */
  if (!hz_cascade_counts_as_viewer (HZ_ROOM_KIND_TEACHING, claims->role, claims->user)) {
    g_task_return_int (task, HZ_CASCADE_JOIN_OWNER);
    return;
  }
  if (hz_cascade_get_satellite_state (self, claims->room) != HZ_CASCADE_SATELLITE_NONE) {
    g_task_return_int (task, HZ_CASCADE_JOIN_SATELLITE);
    return;
  }
  escaped = g_uri_escape_string (claims->room, NULL, FALSE);
  url = owner_url != NULL ? g_strdup_printf ("%s%sapi/v1/rooms/%s", owner_url,
                                             g_str_has_suffix (owner_url, "/") ? "" : "/", escaped)
                          : NULL;
  rc->msg = url != NULL ? soup_message_new ("GET", url) : NULL;
  if (rc->msg == NULL || self->admin_key == NULL) {
    g_message ("cascade: room %s: owner %s cannot be asked: the viewer joins there", claims->room, owner_node);
    g_task_return_int (task, HZ_CASCADE_JOIN_OWNER);
    return;
  }
  auth = g_strconcat ("Bearer ", self->admin_key, NULL);
  soup_message_headers_replace (soup_message_get_request_headers (rc->msg), "Authorization", auth);
  soup_session_send_and_read_async (self->http, rc->msg, G_PRIORITY_DEFAULT, self->cancel, route_answered,
                                    g_steal_pointer (&task));
}

HzCascadePlace
hz_cascade_route_join_finish (HzCascade *self, GAsyncResult *result, GError **error)
{
  gssize place = g_task_propagate_int (G_TASK (result), error);

  return place < 0 ? HZ_CASCADE_JOIN_OWNER : (HzCascadePlace) place;
}
