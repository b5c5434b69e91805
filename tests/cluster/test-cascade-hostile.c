/* Cluster (owner: cascade): the cascade's decision and its robustness,
 * without media: the pure rule and the relay role, bad arguments, and a
 * hostile "owner" (a libsoup server) whose admin API and /ws answer
 * garbage on both sides of a satellite's bridge. */
#include <libsoup/soup.h>
#include <string.h>

#include "hz-cascade.h"

#include "cascade-test-util.h"

static void
test_cascade_decide (void)
{
  /* viewers only, teaching only, sticky once a satellite exists, relays never */
  g_assert_cmpint (hz_cascade_decide (200, HZ_ROOM_KIND_TEACHING, HZ_ROLE_STUDENT, "s", 199, FALSE), ==,
                   HZ_CASCADE_JOIN_OWNER);
  g_assert_cmpint (hz_cascade_decide (200, HZ_ROOM_KIND_TEACHING, HZ_ROLE_STUDENT, "s", 200, FALSE), ==,
                   HZ_CASCADE_JOIN_SATELLITE);
  g_assert_cmpint (hz_cascade_decide (200, HZ_ROOM_KIND_TEACHING, HZ_ROLE_OBSERVER, "s", 0, TRUE), ==,
                   HZ_CASCADE_JOIN_SATELLITE);
  g_assert_cmpint (hz_cascade_decide (200, HZ_ROOM_KIND_TEACHING, HZ_ROLE_PRESENTER, "p", 500, TRUE), ==,
                   HZ_CASCADE_JOIN_OWNER);
  g_assert_cmpint (hz_cascade_decide (200, HZ_ROOM_KIND_TEACHING, HZ_ROLE_OBSERVER, "cascade:node-b", 500, TRUE), ==,
                   HZ_CASCADE_JOIN_OWNER);
  g_assert_cmpint (hz_cascade_decide (200, HZ_ROOM_KIND_CONSULT, HZ_ROLE_OBSERVER, "o", 500, TRUE), ==,
                   HZ_CASCADE_JOIN_OWNER);
  g_assert_true (hz_cascade_counts_as_viewer (HZ_ROOM_KIND_TEACHING, HZ_ROLE_STUDENT, "s"));
  g_assert_false (hz_cascade_counts_as_viewer (HZ_ROOM_KIND_TEACHING, HZ_ROLE_STUDENT, "cascade:x"));
  g_assert_false (hz_cascade_counts_as_viewer (HZ_ROOM_KIND_TEACHING, HZ_ROLE_PRESENTER, "p"));
  /* the relay role: subscribes only, hidden, never a viewer, never cascades */
  g_assert_cmpint (hz_role_from_string ("relay"), ==, HZ_ROLE_RELAY);
  g_assert_cmpstr (hz_role_to_string (HZ_ROLE_RELAY), ==, "relay");
  for (HzRoomKind k = HZ_ROOM_KIND_CONSULT; k <= HZ_ROOM_KIND_TEACHING; k++) {
    g_assert_false (hz_role_can_publish (HZ_ROLE_RELAY, k));
    g_assert_false (hz_role_can_moderate (HZ_ROLE_RELAY, k));
  }
  g_assert_false (hz_role_is_listed (HZ_ROLE_RELAY));
  g_assert_true (hz_role_is_listed (HZ_ROLE_OBSERVER));
  g_assert_false (hz_cascade_counts_as_viewer (HZ_ROOM_KIND_TEACHING, HZ_ROLE_RELAY, "s"));
  g_assert_cmpint (hz_cascade_decide (200, HZ_ROOM_KIND_TEACHING, HZ_ROLE_RELAY, "s", 500, TRUE), ==,
                   HZ_CASCADE_JOIN_OWNER);
}

static void
test_cascade_bad_arguments (void)
{
  g_autoptr(HzCascade) c = hz_cascade_new (&(HzCascadeConfig) {
      .node_id = "node-b", .local_url = "http://127.0.0.1:1", .token_secret = "s", .admin_key = "k",
      .cascade_viewers = 1 });
  g_autoptr(GError) error = NULL;

  g_assert_false (hz_cascade_ensure_satellite (c, "room", "node-a", "ftp://x/", &error));
  g_assert_error (error, HZ_CASCADE_ERROR, HZ_CASCADE_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (hz_cascade_ensure_satellite (c, "room", "node-a", "not a url", &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  g_assert_false (hz_cascade_ensure_satellite (c, "", "node-a", "http://127.0.0.1:2", &error));
  g_assert_error (error, HZ_CASCADE_ERROR, HZ_CASCADE_ERROR_INVALID);
  g_assert_cmpuint (hz_cascade_get_n_satellites (c), ==, 0);
  /* an owner that cannot be asked: the viewer joins there, no satellite */
  g_assert_cmpint (route (c, "room", "s", HZ_ROLE_STUDENT, "http://127.0.0.1:1"), ==, HZ_CASCADE_JOIN_OWNER);
  g_assert_cmpuint (hz_cascade_get_n_satellites (c), ==, 0);
}

/* A hostile "owner": its admin API and its /ws answer garbage. The route
 * skips what it cannot read; the satellite survives every message (no
 * critical: G_DEBUG=fatal-criticals) and ends on room_closed. */
static const char *const hostile_msgs[] = {
  "not json", "[]", "{\"type\":5}", "{\"type\":\"joined\",\"participants\":{\"a\":1}}",
  "{\"type\":\"joined\",\"participants\":[1,\"x\",{\"role\":5,\"id\":[]}]}",
  "{\"type\":\"offer\",\"sdp\":{\"x\":1}}", "{\"type\":\"trickle\",\"candidate\":\"x\",\"target\":7}",
  "{\"type\":\"track_muted\",\"participant_id\":[1],\"kind\":{},\"muted\":\"yes\"}",
  "{\"type\":\"participant_joined\",\"participant\":\"x\"}", "{\"type\":\"participant_left\",\"participant_id\":{}}",
  "{\"type\":\"answer\",\"sdp\":null}",
};

typedef struct {
  const char *rooms_body;
  GPtrArray *conns;
  guint joins;
} Hostile;

static void
hostile_http (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query, gpointer data)
{
  Hostile *h = data;

  soup_server_message_set_status (msg, 200, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, h->rooms_body,
                                    strlen (h->rooms_body));
}

static void
hostile_ws_message (SoupWebsocketConnection *conn, gint type, GBytes *message, gpointer data)
{
  Hostile *h = data;

  if (g_object_get_data (G_OBJECT (conn), "answered") != NULL ||
      soup_websocket_connection_get_state (conn) != SOUP_WEBSOCKET_STATE_OPEN)
    return;
  g_object_set_data (G_OBJECT (conn), "answered", GINT_TO_POINTER (1));
  h->joins++; /* the first thing it sends: the join */
  soup_websocket_connection_send_binary (conn, "\x00\xff", 2);
  for (guint i = 0; i < G_N_ELEMENTS (hostile_msgs); i++)
    soup_websocket_connection_send_text (conn, hostile_msgs[i]);
}

static void
hostile_ws (SoupServer *server, SoupServerMessage *msg, const char *path, SoupWebsocketConnection *conn,
            gpointer data)
{
  Hostile *h = data;

  g_ptr_array_add (h->conns, g_object_ref (conn));
  g_signal_connect (conn, "message", G_CALLBACK (hostile_ws_message), h);
}

static char *closed_reason;

static void
on_owner_closed (const char *room_id, const char *reason, gpointer data)
{
  g_assert_cmpstr (room_id, ==, "room-2");
  g_free (closed_reason);
  closed_reason = g_strdup (reason);
}

static void
test_cascade_hostile_owner (void)
{
  Hostile h = { .conns = g_ptr_array_new_with_free_func (g_object_unref) };
  g_autoptr(SoupServer) server = soup_server_new (NULL, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(HzCascade) c = NULL;
  g_autofree char *url = NULL;
  GSList *uris;

  soup_server_add_handler (server, "/api", hostile_http, &h, NULL);
  soup_server_add_websocket_handler (server, "/ws", NULL, NULL, hostile_ws, &h, NULL);
  g_assert_true (soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
  uris = soup_server_get_uris (server);
  url = g_strdup_printf ("http://127.0.0.1:%d/", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  c = hz_cascade_new (&(HzCascadeConfig) { .node_id = "node-b", .local_url = url, .token_secret = "s",
                                           .admin_key = "k", .cascade_viewers = 1, .idle_grace_ms = 200,
                                           .owner_closed = on_owner_closed });

  /* unreadable answers: the owner keeps the viewer */
  h.rooms_body = "{\"kind\":\"teaching\",\"participants\":\"nope\"}";
  g_assert_cmpint (route (c, "room-1", "s", HZ_ROLE_STUDENT, url), ==, HZ_CASCADE_JOIN_OWNER);
  h.rooms_body = "[1,2]";
  g_assert_cmpint (route (c, "room-1", "s", HZ_ROLE_STUDENT, url), ==, HZ_CASCADE_JOIN_OWNER);
  h.rooms_body = "{\"kind\":\"consult\",\"participants\":[{\"role\":\"observer\"}]}";
  g_assert_cmpint (route (c, "room-1", "s", HZ_ROLE_STUDENT, url), ==, HZ_CASCADE_JOIN_OWNER);
  g_assert_cmpuint (hz_cascade_get_n_satellites (c), ==, 0);
  /* garbage entries are skipped, the one viewer counts (relays do not) */
  h.rooms_body = "{\"kind\":\"teaching\",\"participants\":[1,\"x\",{\"role\":5},"
                 "{\"role\":\"observer\",\"display_name\":\"relay to node-c\"},{\"role\":\"student\"}]}";
  g_assert_cmpint (route (c, "room-1", "s", HZ_ROLE_STUDENT, url), ==, HZ_CASCADE_JOIN_SATELLITE);
  g_assert_cmpuint (hz_cascade_get_n_satellites (c), ==, 1);

  /* its /ws (both sides of the bridge here: up and down) sends garbage */
  for (gint64 end = g_get_monotonic_time () + 5 * G_USEC_PER_SEC; g_get_monotonic_time () < end && h.joins < 2;)
    pump (20);
  g_assert_cmpuint (h.joins, ==, 2);
  pump (300); /* past the idle grace: garbage made no local member */
  g_assert_cmpuint (hz_cascade_get_n_satellites (c), ==, 0);
  g_assert_null (closed_reason); /* it ended on its own, the owner did not close */

  /* again, and this time the owner closes the room (a reason that is no string) */
  h.joins = 0;
  h.rooms_body = "{\"kind\":\"teaching\",\"participants\":[{\"role\":\"student\"}]}";
  g_assert_cmpint (route (c, "room-2", "s", HZ_ROLE_STUDENT, url), ==, HZ_CASCADE_JOIN_SATELLITE);
  for (gint64 end = g_get_monotonic_time () + 5 * G_USEC_PER_SEC; g_get_monotonic_time () < end && h.joins < 1;)
    pump (20);
  g_assert_cmpuint (h.conns->len, >=, 3);
  soup_websocket_connection_send_text (g_ptr_array_index (h.conns, 2), "{\"type\":\"room_closed\",\"reason\":7}");
  for (gint64 end = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
       g_get_monotonic_time () < end && hz_cascade_get_n_satellites (c) > 0;)
    pump (20);
  g_assert_cmpuint (hz_cascade_get_n_satellites (c), ==, 0);
  g_assert_cmpstr (closed_reason, ==, "ended");
  g_clear_pointer (&closed_reason, g_free);
  g_clear_pointer (&c, hz_cascade_free);
  soup_server_disconnect (server);
  g_ptr_array_unref (h.conns);
}

int
main (int argc, char **argv)
{
  /* loopback only: no system proxy lookup (libproxy's C++ would throw
   * through ASan's interceptor in this C-only program) */
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/cascade/decide", test_cascade_decide);
  g_test_add_func ("/cascade/bad-arguments", test_cascade_bad_arguments);
  g_test_add_func ("/cascade/hostile-owner", test_cascade_hostile_owner);
  return g_test_run ();
}
