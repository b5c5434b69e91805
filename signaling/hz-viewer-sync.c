/* hz-viewer-sync: viewer control and coalesced state relay. */
#include "hz-viewer-sync.h"

#include <string.h>

#include "hz-signal.h"

struct _HzViewerSync {
  HzViewerBroadcast broadcast;
  gpointer user_data;
  char *controller;
  char *doc_id;
  JsonNode *state;
  gboolean dirty;  /* a state waits for the next flush */
  guint flush_id;
};

HzViewerSync *
hz_viewer_sync_new (HzViewerBroadcast broadcast, gpointer user_data)
{
  HzViewerSync *vs = g_new0 (HzViewerSync, 1);

  vs->broadcast = broadcast;
  vs->user_data = user_data;
  return vs;
}

void
hz_viewer_sync_free (HzViewerSync *vs)
{
  if (vs == NULL)
    return;
  g_clear_handle_id (&vs->flush_id, g_source_remove);
  g_free (vs->controller);
  g_free (vs->doc_id);
  g_clear_pointer (&vs->state, json_node_unref);
  g_free (vs);
}

const char *
hz_viewer_sync_get_controller (HzViewerSync *vs)
{
  return vs->controller;
}

static void
announce_controller (HzViewerSync *vs)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, "viewer_controller");
  json_builder_set_member_name (b, "participant_id");
  if (vs->controller != NULL)
    json_builder_add_string_value (b, vs->controller);
  else
    json_builder_add_null_value (b);
  json_builder_end_object (b);
  vs->broadcast (NULL, json_builder_get_root (b), vs->user_data);
}

static void
set_controller (HzViewerSync *vs, const char *who)
{
  g_free (vs->controller);
  vs->controller = g_strdup (who);
  announce_controller (vs);
}

gboolean
hz_viewer_sync_take (HzViewerSync *vs, const char *who, gboolean moderator, GError **error)
{
  if (vs->controller != NULL && g_strcmp0 (vs->controller, who) != 0 && !moderator) {
    g_set_error_literal (error, HZ_SIGNAL_ERROR, HZ_SIGNAL_ERROR_FORBIDDEN,
                         "another participant controls the viewer; ask them to hand it over");
    return FALSE;
  }
  set_controller (vs, who);
  return TRUE;
}

gboolean
hz_viewer_sync_release (HzViewerSync *vs, const char *who, gboolean moderator, GError **error)
{
  if (g_strcmp0 (vs->controller, who) != 0 && !moderator) {
    g_set_error_literal (error, HZ_SIGNAL_ERROR, HZ_SIGNAL_ERROR_FORBIDDEN,
                         "you do not control the viewer");
    return FALSE;
  }
  set_controller (vs, NULL);
  return TRUE;
}

gboolean
hz_viewer_sync_give (HzViewerSync *vs, const char *who, const char *to, gboolean moderator,
                     GError **error)
{
  if (g_strcmp0 (vs->controller, who) != 0 && !moderator) {
    g_set_error_literal (error, HZ_SIGNAL_ERROR, HZ_SIGNAL_ERROR_FORBIDDEN,
                         "only the participant in control (or a moderator) hands the viewer over");
    return FALSE;
  }
  set_controller (vs, to);
  return TRUE;
}

void
hz_viewer_sync_forget (HzViewerSync *vs, const char *who)
{
  if (g_strcmp0 (vs->controller, who) == 0)
    set_controller (vs, NULL);
}

static JsonNode *
state_message (HzViewerSync *vs)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, "viewer_state");
  json_builder_set_member_name (b, "participant_id");
  json_builder_add_string_value (b, vs->controller);
  json_builder_set_member_name (b, "doc_id");
  json_builder_add_string_value (b, vs->doc_id);
  json_builder_set_member_name (b, "state");
  json_builder_add_value (b, json_node_copy (vs->state));
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static gboolean
flush_cb (gpointer data)
{
  HzViewerSync *vs = data;

  if (!vs->dirty || vs->controller == NULL) {
    vs->flush_id = 0;
    return G_SOURCE_REMOVE;
  }
  vs->dirty = FALSE;
  vs->broadcast (vs->controller, state_message (vs), vs->user_data);
  return G_SOURCE_CONTINUE; /* stays armed while updates keep coming */
}

gboolean
hz_viewer_sync_update (HzViewerSync *vs, const char *who, const char *doc_id, JsonNode *state,
                       GError **error)
{
  g_autofree char *text = NULL;

  if (g_strcmp0 (vs->controller, who) != 0) {
    g_set_error_literal (error, HZ_SIGNAL_ERROR, HZ_SIGNAL_ERROR_FORBIDDEN,
                         "take control of the viewer first");
    return FALSE;
  }
  if (state == NULL || !JSON_NODE_HOLDS_OBJECT (state)) {
    g_set_error_literal (error, HZ_SIGNAL_ERROR, HZ_SIGNAL_ERROR_BAD_REQUEST,
                         "state must be an object");
    return FALSE;
  }
  text = json_to_string (state, FALSE);
  if (strlen (text) > HZ_VIEWER_STATE_MAX) {
    g_set_error (error, HZ_SIGNAL_ERROR, HZ_SIGNAL_ERROR_BAD_REQUEST,
                 "viewer state larger than %d bytes", HZ_VIEWER_STATE_MAX);
    return FALSE;
  }
  g_free (vs->doc_id);
  vs->doc_id = g_strdup (doc_id);
  g_clear_pointer (&vs->state, json_node_unref);
  vs->state = json_from_string (text, NULL); /* a deep copy: the message's node goes away */
  vs->dirty = TRUE;
  if (vs->flush_id == 0) {
    /* The first update of a burst goes out at once; the rest are coalesced. */
    flush_cb (vs);
    vs->flush_id = g_timeout_add (HZ_VIEWER_FLUSH_MS, flush_cb, vs);
  }
  return TRUE;
}

JsonNode *
hz_viewer_sync_to_json (HzViewerSync *vs)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "controller");
  if (vs->controller != NULL)
    json_builder_add_string_value (b, vs->controller);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "doc_id");
  if (vs->doc_id != NULL)
    json_builder_add_string_value (b, vs->doc_id);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "state");
  json_builder_add_value (b, vs->state != NULL ? json_node_copy (vs->state) : json_node_new (JSON_NODE_NULL));
  json_builder_end_object (b);
  return json_builder_get_root (b);
}
