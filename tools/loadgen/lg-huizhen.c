/* lg-huizhen: the load generator's adapter for Huizhen's signaling
 * (docs/PROTOCOL.md) and its admin API (rooms and join tokens). */
#include "lg.h"

#include <string.h>

static gboolean
hz_create_room (LgRun *run, LgRoom *room, guint publishers, guint capacity, GError **error)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GDateTime) end = g_date_time_add_hours (now, 3);
  g_autofree char *a = g_date_time_format_iso8601 (now);
  g_autofree char *b = g_date_time_format_iso8601 (end);
  g_autofree char *body = g_strdup_printf (
      "{\"title\":\"loadgen %u\",\"kind\":\"%s\",\"starts_at\":\"%s\",\"ends_at\":\"%s\",\"capacity\":%u}",
      room->index, publishers == 1 ? "teaching" : "consult", a, b, MIN (capacity, 1000));
  g_autoptr(JsonNode) reply = NULL;
  guint status = lg_http (run, "POST", "/api/v1/rooms", body, &reply);

  if (status != 201 || reply == NULL || !JSON_NODE_HOLDS_OBJECT (reply)) {
    g_set_error (error, LG_ERROR, LG_ERROR_PROTOCOL, "POST /api/v1/rooms: HTTP %u", status);
    return FALSE;
  }
  room->id = g_strdup (json_object_get_string_member_with_default (json_node_get_object (reply), "id", ""));
  return TRUE;
}

static gboolean
hz_prepare (LgClient *c, GError **error)
{
  gboolean teaching = c->room->publishers == 1;
  const char *role = !teaching ? "doctor" : c->publish ? "presenter" : "student";
  g_autofree char *path = g_strdup_printf ("/api/v1/rooms/%s/tokens", c->room->id);
  g_autofree char *body = g_strdup_printf (
      "{\"user\":\"lg-%u\",\"display_name\":\"Load %u\",\"institution\":\"Load Clinic\",\"role\":\"%s\",\"ttl_s\":10800}",
      c->index, c->index, role);
  g_autoptr(JsonNode) reply = NULL;
  guint status = lg_http (c->run, "POST", path, body, &reply);

  if (status != 201 || reply == NULL || !JSON_NODE_HOLDS_OBJECT (reply)) {
    g_set_error (error, LG_ERROR, LG_ERROR_PROTOCOL, "POST %s: HTTP %u", path, status);
    return FALSE;
  }
  c->token = g_strdup (json_object_get_string_member_with_default (json_node_get_object (reply), "token", ""));
  return TRUE;
}

static void
hz_opened (LgClient *c)
{
  g_autofree char *msg = g_strdup_printf ("{\"type\":\"join\",\"id\":1,\"token\":\"%s\"}", c->token);

  lg_ws_send (c, msg);
}

static void
hz_start (LgClient *c)
{
  g_autofree char *url = g_strdup_printf ("ws%s/ws", c->run->url + 4); /* http… → ws… */

  c->t_start_us = g_get_monotonic_time ();
  c->t_sub_start_us = c->t_start_us;
  lg_ws_connect (c, url, "huizhen", hz_opened);
}

static void
hz_subscribe (LgClient *c)
{
  /* the server offers the subscriber connection by itself */
}

static void
hz_publish (LgClient *c)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *offer = lg_client_publisher_offer (c, &error);
  g_autofree char *quoted = NULL, *msg = NULL;

  if (offer == NULL) {
    lg_client_fail (c, "publisher offer: %s", error->message);
    return;
  }
  quoted = lg_json_quote (offer);
  msg = g_strdup_printf ("{\"type\":\"publish\",\"id\":2,\"sdp\":%s}", quoted);
  lg_ws_send (c, msg);
}

static void
hz_message (LgClient *c, JsonObject *o)
{
  const char *type = json_object_get_string_member_with_default (o, "type", "");
  const char *sdp = json_object_get_string_member_with_default (o, "sdp", NULL);
  g_autoptr(GError) error = NULL;

  if (strcmp (type, "joined") == 0) {
    if (c->publish)
      hz_publish (c);
  } else if (strcmp (type, "answer") == 0 && sdp != NULL) {
    if (!lg_client_publisher_answer (c, sdp, &error))
      lg_client_fail (c, "publisher answer: %s", error->message);
  } else if (strcmp (type, "offer") == 0 && sdp != NULL) {
    g_autofree char *answer = lg_client_subscriber_answer (c, sdp, TRUE, &error);
    g_autofree char *quoted = NULL, *msg = NULL;

    if (answer == NULL) {
      lg_client_fail (c, "subscriber offer: %s", error->message);
      return;
    }
    quoted = lg_json_quote (answer);
    msg = g_strdup_printf ("{\"type\":\"answer\",\"sdp\":%s}", quoted);
    lg_ws_send (c, msg);
  } else if (strcmp (type, "trickle") == 0) {
    const char *target = json_object_get_string_member_with_default (o, "target", "");
    JsonNode *cand = json_object_get_member (o, "candidate");
    HzPeer *peer = strcmp (target, "publisher") == 0 ? c->pub : c->sub;
    const char *line = NULL;

    if (peer == NULL)
      return;
    if (cand != NULL && JSON_NODE_HOLDS_OBJECT (cand))
      line = json_object_get_string_member_with_default (json_node_get_object (cand), "candidate", NULL);
    hz_peer_add_remote_candidate (peer, line, NULL);
  } else if (strcmp (type, "error") == 0) {
    lg_client_fail (c, "server error %s: %s",
                    json_object_get_string_member_with_default (o, "code", "?"),
                    json_object_get_string_member_with_default (o, "message", ""));
  } else if (strcmp (type, "room_closed") == 0) {
    lg_client_fail (c, "room closed");
  }
}

static void
hz_local_candidate (LgClient *c, gboolean publisher, const char *candidate)
{
  const char *target = publisher ? "publisher" : "subscriber";
  g_autofree char *msg = NULL;

  if (candidate == NULL) {
    msg = g_strdup_printf ("{\"type\":\"trickle\",\"target\":\"%s\",\"candidate\":null}", target);
  } else {
    g_autofree char *quoted = lg_json_quote (candidate);
    msg = g_strdup_printf ("{\"type\":\"trickle\",\"target\":\"%s\",\"candidate\":"
                           "{\"candidate\":%s,\"sdpMid\":\"0\",\"sdpMLineIndex\":0}}",
                           target, quoted);
  }
  lg_ws_send (c, msg);
}

static void
hz_keepalive (LgClient *c)
{
}

const LgAdapter lg_adapter_huizhen = {
  .name = "huizhen",
  .create_room = hz_create_room,
  .prepare = hz_prepare,
  .start = hz_start,
  .subscribe = hz_subscribe,
  .message = hz_message,
  .local_candidate = hz_local_candidate,
  .keepalive = hz_keepalive,
};
