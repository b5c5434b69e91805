/* hz-live-room-json: how a live room's members and tracks are written to
 * clients, and sending to one member or the whole room. */
#include "hz-live-room.h"

#include "hz-db.h"

JsonNode *
hz_pub_track_to_json (const HzPubTrack *t)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  json_builder_add_string_value (b, t->key);
  json_builder_set_member_name (b, "kind");
  json_builder_add_string_value (b, hz_sdp_kind_to_string (t->kind));
  json_builder_set_member_name (b, "mid");
  json_builder_add_string_value (b, t->mid);
  json_builder_set_member_name (b, "muted");
  json_builder_add_boolean_value (b, t->muted);
  json_builder_set_member_name (b, "layers");
  json_builder_add_int_value (b, t->layers);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

JsonNode *
hz_member_to_json (const HzMember *p)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autofree char *joined = hz_db_time_to_text (p->joined_at); /* RFC 3339, whole seconds, as every API time */

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  json_builder_add_string_value (b, p->id);
  json_builder_set_member_name (b, "display_name");
  json_builder_add_string_value (b, p->claims->display_name);
  json_builder_set_member_name (b, "institution");
  json_builder_add_string_value (b, p->claims->institution);
  json_builder_set_member_name (b, "role");
  json_builder_add_string_value (b, hz_role_to_string (p->claims->role));
  json_builder_set_member_name (b, "joined_at");
  json_builder_add_string_value (b, joined);
  json_builder_set_member_name (b, "audio_muted");
  json_builder_add_boolean_value (b, p->audio_muted);
  json_builder_set_member_name (b, "video_muted");
  json_builder_add_boolean_value (b, p->video_muted);
  json_builder_set_member_name (b, "hand_raised");
  json_builder_add_boolean_value (b, p->hand_raised);
  json_builder_set_member_name (b, "promoted");
  json_builder_add_boolean_value (b, p->promoted);
  json_builder_set_member_name (b, "tracks");
  json_builder_begin_array (b);
  for (guint i = 0; i < p->pub_tracks->len; i++)
    json_builder_add_value (b, hz_pub_track_to_json (g_ptr_array_index (p->pub_tracks, i)));
  json_builder_end_array (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

JsonNode *
hz_live_room_members_json (HzLiveRoom *room)
{
  JsonArray *arr = json_array_new ();
  JsonNode *node = json_node_new (JSON_NODE_ARRAY);

  for (guint i = 0; i < room->members->len; i++) {
    HzMember *p = g_ptr_array_index (room->members, i);

    if (hz_role_is_listed (p->claims->role)) /* not cascade relays */
      json_array_add_element (arr, hz_member_to_json (p));
  }
  json_node_take_array (node, arr);
  return node;
}

void
hz_member_send (HzMember *p, JsonNode *msg)
{
  g_autofree char *text = json_to_string (msg, FALSE);

  json_node_unref (msg);
  if (p->conn != NULL)
    hz_ws_conn_send (p->conn, text);
}

void
hz_live_room_broadcast (HzLiveRoom *room, HzMember *except, JsonNode *msg)
{
  g_autofree char *text = json_to_string (msg, FALSE);

  json_node_unref (msg);
  for (guint i = 0; i < room->members->len; i++) {
    HzMember *p = g_ptr_array_index (room->members, i);
    if (p != except && p->conn != NULL)
      hz_ws_conn_send (p->conn, text);
  }
}

/* {"type": @type, "participant_id": p, <extra member>: @value} */
JsonNode *
hz_live_room_event_new (const char *type, const HzMember *p, const char *member, JsonNode *value)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, type);
  json_builder_set_member_name (b, "participant_id");
  json_builder_add_string_value (b, p->id);
  if (member != NULL) {
    json_builder_set_member_name (b, member);
    json_builder_add_value (b, value);
  }
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

