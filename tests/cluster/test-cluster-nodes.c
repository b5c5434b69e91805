/* Cluster end to end: three real `huizhen` processes on loopback (distinct
 * HTTP ports and media port ranges) sharing one redis-server and one
 * PostgreSQL database, both started by run-with-redis.sh and
 * run-with-postgres.sh. C participants (real ICE/DTLS/SRTP) connect to one
 * node and are served by the room's node through the signaling relay:
 *
 *   - rooms joined through node 1 spread over the three nodes;
 *   - a consult placed on node O, joined through another node E: media
 *     flows, and the subscriber's media address is O's (not E's);
 *   - "redirect": true answers wrong_node with O's URL;
 *   - O is SIGKILLed: the entry node tells its clients node_lost, the room
 *     is placed again once O's keys expire, clients rejoining through the
 *     other nodes get media again;
 *   - SIGTERM on the new owner drains it (/healthz 503 "draining", its node
 *     record says so) until its room ends, then it exits 0;
 *   - the consult record in PostgreSQL lists both participants;
 *   - an entry node drains while it relays a session (stays up), then is
 *     SIGKILLed: the room's node drops the member it
 *     served for it (participant_left) after the relay timeout.
 *
 * Per-node load figures (the node:<id> records) are printed in the log. */
#include <hiredis.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>

#include "hz-rtp.h"
#include "hz-test-client.h"

#define N_NODES 3
#define TTL_S 10
#define AUDIO_SSRC 0x11111111u
#define VIDEO_SSRC 0x22222222u

typedef struct {
  char id[16];
  guint16 http_port;
  guint port_min, port_max;
  char *url;
  char *data_dir;
  char *log;
  GSubprocess *proc;
  gboolean exited;
  gint status;
} Node;

static Node nodes[N_NODES];
static redisContext *redis;
static char *tmp_dir;

/* ---- processes ---- */

static guint16
free_port (void)
{
  g_autoptr(GSocket) s = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  g_autoptr(GSocketAddress) bound = NULL;

  g_assert_true (g_socket_bind (s, any, TRUE, NULL));
  bound = g_socket_get_local_address (s, NULL);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

static void
die_with_parent (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static void
node_exited (GObject *src, GAsyncResult *res, gpointer data)
{
  Node *n = data;

  g_subprocess_wait_finish (G_SUBPROCESS (src), res, NULL);
  n->exited = TRUE;
  n->status = g_subprocess_get_if_exited (G_SUBPROCESS (src)) ? g_subprocess_get_exit_status (G_SUBPROCESS (src))
                                                              : -g_subprocess_get_term_sig (G_SUBPROCESS (src));
}

static gboolean
port_open (guint16 port)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) conn = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL, NULL);

  return conn != NULL;
}

static gboolean
node_healthy (Node *n, guint *status_out, char **status_text)
{
  g_autoptr(JsonNode) body = NULL;
  guint status = hz_test_http (n->url, "GET", "/healthz", NULL, NULL, &body);

  if (status_out != NULL)
    *status_out = status;
  if (status_text != NULL && body != NULL && JSON_NODE_HOLDS_OBJECT (body))
    *status_text = g_strdup (json_object_get_string_member_with_default (json_node_get_object (body), "status", ""));
  return status == 200;
}

static void
node_start (guint i)
{
  Node *n = &nodes[i];
  g_autoptr(GSubprocessLauncher) l = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autoptr(GError) error = NULL;
  g_autofree char *listen = NULL, *pmin = NULL, *pmax = NULL;
  const char *bin = g_getenv ("HZ_HUIZHEN");

  g_snprintf (n->id, sizeof n->id, "node%u", i + 1);
  if (n->http_port == 0) {
    n->http_port = free_port ();
    n->port_min = 42000 + 200 * i;
    n->port_max = n->port_min + 199;
    n->url = g_strdup_printf ("http://127.0.0.1:%u", n->http_port);
    n->data_dir = g_build_filename (tmp_dir, n->id, NULL);
    n->log = g_strdup_printf ("%s/%s.log", tmp_dir, n->id);
    g_assert_cmpint (g_mkdir_with_parents (n->data_dir, 0700), ==, 0);
  }
  listen = g_strdup_printf ("127.0.0.1:%u", n->http_port);
  pmin = g_strdup_printf ("%u", n->port_min);
  pmax = g_strdup_printf ("%u", n->port_max);
  g_subprocess_launcher_setenv (l, "HUIZHEN_HTTP_LISTEN", listen, TRUE);
  g_subprocess_launcher_setenv (l, "HUIZHEN_STORAGE_DATA_DIR", n->data_dir, TRUE);
  g_subprocess_launcher_setenv (l, "HUIZHEN_AUTH_ADMIN_KEY", HZ_TEST_ADMIN_KEY, TRUE);
  g_subprocess_launcher_setenv (l, "HUIZHEN_AUTH_TOKEN_SECRET", HZ_TEST_TOKEN_SECRET, TRUE);
  g_subprocess_launcher_setenv (l, "HUIZHEN_MEDIA_IP", "127.0.0.1", TRUE);
  g_subprocess_launcher_setenv (l, "HUIZHEN_MEDIA_PORT_MIN", pmin, TRUE);
  g_subprocess_launcher_setenv (l, "HUIZHEN_MEDIA_PORT_MAX", pmax, TRUE);
  g_subprocess_launcher_setenv (l, "HUIZHEN_MEDIA_WORKERS", "1", TRUE);
  g_subprocess_launcher_setenv (l, "HUIZHEN_DATABASE_URL", g_getenv ("HUIZHEN_TEST_DATABASE_URL"), TRUE);
  g_subprocess_launcher_setenv (l, "HUIZHEN_CLUSTER_REDIS_URL", g_getenv ("HUIZHEN_TEST_REDIS_URL"), TRUE);
  g_subprocess_launcher_setenv (l, "HUIZHEN_CLUSTER_NODE_ID", n->id, TRUE);
  g_subprocess_launcher_setenv (l, "HUIZHEN_CLUSTER_DRAIN_GRACE_S", "60", TRUE);
  g_subprocess_launcher_setenv (l, "G_MESSAGES_DEBUG", "", TRUE);
  g_subprocess_launcher_set_stdout_file_path (l, n->log);
  g_subprocess_launcher_set_flags (l, G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_subprocess_launcher_set_child_setup (l, die_with_parent, NULL, NULL);
  n->proc = g_subprocess_launcher_spawn (l, &error, bin, NULL);
  g_assert_no_error (error);
  n->exited = FALSE;
  g_subprocess_wait_async (n->proc, NULL, node_exited, n);
  for (gint64 end = g_get_monotonic_time () + 30 * G_USEC_PER_SEC; g_get_monotonic_time () < end;) {
    if (port_open (n->http_port) && node_healthy (n, NULL, NULL))
      return;
    g_assert_false (n->exited);
    hz_test_iterate (100);
  }
  g_error ("%s did not answer /healthz (log: %s)", n->id, n->log);
}

static Node *
node_by_id (const char *id)
{
  for (guint i = 0; i < N_NODES; i++)
    if (g_strcmp0 (nodes[i].id, id) == 0)
      return &nodes[i];
  return NULL;
}

static gboolean
wait_exit (Node *n, guint timeout_s)
{
  for (gint64 end = g_get_monotonic_time () + timeout_s * G_USEC_PER_SEC;
       !n->exited && g_get_monotonic_time () < end;)
    hz_test_iterate (50);
  return n->exited;
}

/* ---- redis ---- */

static char *
redis_get (const char *key)
{
  redisReply *r = redisCommand (redis, "GET %s", key);
  char *out = NULL;

  g_assert_nonnull (r);
  if (r->type == REDIS_REPLY_STRING)
    out = g_strndup (r->str, r->len);
  freeReplyObject (r);
  return out;
}

static char *
room_owner (const char *room)
{
  g_autofree char *key = g_strdup_printf ("room:%s", room);

  return redis_get (key);
}

static JsonObject *
node_record (const char *id)
{
  g_autofree char *key = g_strdup_printf ("node:%s", id);
  g_autofree char *text = redis_get (key);
  JsonNode *node = text != NULL ? json_from_string (text, NULL) : NULL;
  JsonObject *o = node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_object_ref (json_node_get_object (node)) : NULL;

  g_clear_pointer (&node, json_node_unref);
  return o;
}

static void
print_loads (const char *when)
{
  for (guint i = 0; i < N_NODES; i++) {
    g_autoptr(JsonObject) o = node_record (nodes[i].id);

    if (o == NULL) {
      g_test_message ("load %s: %s: no record (dead or gone)", when, nodes[i].id);
      continue;
    }
    g_test_message ("load %s: %s: cpu %.4f, peers %" G_GINT64_FORMAT ", forwarded %.1f kbit/s%s", when,
                    nodes[i].id, json_object_get_double_member_with_default (o, "cpu", -1),
                    json_object_get_int_member_with_default (o, "peers", -1),
                    json_object_get_int_member_with_default (o, "bitrate_bps", 0) / 1000.0,
                    json_object_get_boolean_member_with_default (o, "draining", FALSE) ? ", draining" : "");
  }
}

/* ---- participants ---- */

static char *
issue (const char *node_url, const char *room, const char *user, const char *role)
{
  HzTestServer ts = { .base_url = (char *) node_url };

  return hz_test_issue_token (&ts, room, user, role);
}

/* Joins through @node, again while the answer is "unavailable" (the room's
 * old placement has not expired yet), at most @timeout_s. */
static HzTestClient *
join_via (Node *node, const char *token, guint timeout_s)
{
  for (gint64 end = g_get_monotonic_time () + timeout_s * G_USEC_PER_SEC; g_get_monotonic_time () < end;) {
    g_autoptr(HzTestClient) c = hz_test_client_new (node->url);
    g_autoptr(JsonObject) o = hz_test_client_join (c, token);
    const char *type = o != NULL ? json_object_get_string_member (o, "type") : "timeout";

    if (g_strcmp0 (type, "joined") == 0)
      return g_steal_pointer (&c);
    g_test_message ("join via %s: %s %s", node->id, type,
                    o != NULL ? json_object_get_string_member_with_default (o, "code", "") : "");
    g_assert_true (o == NULL || g_strcmp0 (json_object_get_string_member_with_default (o, "code", ""),
                                           "unavailable") == 0 ||
                   g_strcmp0 (json_object_get_string_member_with_default (o, "code", ""), "node_lost") == 0);
    hz_test_iterate (500);
  }
  g_error ("could not join through %s within %u s", node->id, timeout_s);
  return NULL;
}

typedef struct {
  guint received;
  guint32 ssrcs[2];
} Count;

static void
on_rtp (HzTestClient *client, const guint8 *buf, gsize len, gpointer data)
{
  Count *count = data;
  HzRtpView v;

  if (hz_rtp_parse (buf, len, &v) && (v.ssrc == count->ssrcs[0] || v.ssrc == count->ssrcs[1]))
    count->received++;
}

static guint16
port_of (HzPeer *peer)
{
  const char *addr = hz_peer_get_remote_address (peer);
  const char *colon = addr != NULL ? strrchr (addr, ':') : NULL;

  return colon != NULL ? (guint16) atoi (colon + 1) : 0;
}

/* A publishes, B subscribes; returns the packets B received of 100 sent
 * per kind; *sub_port: the server's media port B's subscriber talks to. */
static guint
media_flows (HzTestClient *a, HzTestClient *b, guint16 *sub_port)
{
  Count count = { 0 };
  guint8 pkt[1500];
  GArray *ssrcs;

  g_assert_true (hz_test_client_publish (a, AUDIO_SSRC, VIDEO_SSRC));
  g_assert_cmpuint (hz_test_client_subscribe (b, 10000), >=, 1);
  hz_test_client_pump (b, 200);
  if (hz_test_client_get_offered_ssrcs (b)->len < 2)
    g_assert_cmpuint (hz_test_client_subscribe (b, 10000), ==, 2);
  ssrcs = hz_test_client_get_offered_ssrcs (b);
  g_assert_cmpuint (ssrcs->len, ==, 2);
  count.ssrcs[0] = g_array_index (ssrcs, guint32, 0);
  count.ssrcs[1] = g_array_index (ssrcs, guint32, 1);
  hz_test_client_set_rtp_handler (b, on_rtp, &count);
  g_assert_true (hz_test_clients_connected (a, b, 15000));
  hz_test_client_pump (a, 50);
  hz_test_client_pump (b, 300);
  for (guint i = 0; i < 100; i++) {
    for (guint kind = 0; kind < 2; kind++) {
      gsize payload = kind == 0 ? 160 : 800;
      guint32 ssrc = kind == 0 ? AUDIO_SSRC : VIDEO_SSRC;

      memset (pkt, 0, 12 + payload);
      pkt[0] = 0x80;
      pkt[1] = kind == 0 ? 111 : 96;
      pkt[2] = (guint8) (i >> 8);
      pkt[3] = (guint8) i;
      pkt[5] = (guint8) i;
      pkt[8] = ssrc >> 24, pkt[9] = ssrc >> 16, pkt[10] = ssrc >> 8, pkt[11] = ssrc;
      memcpy (pkt + 12, "\x10\x00\x00\x00\x9d\x01\x2a", 7); /* VP8 key frame start */
      g_assert_true (hz_peer_send_rtp (hz_test_client_get_publisher (a), pkt, 12 + payload, sizeof pkt));
    }
    hz_test_client_pump (a, 2);
    hz_test_client_pump (b, 2);
  }
  for (gint64 end = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
       g_get_monotonic_time () < end && count.received < 200;)
    hz_test_client_pump (b, 10);
  hz_test_client_set_rtp_handler (b, NULL, NULL);
  *sub_port = port_of (hz_test_client_get_subscriber (b));
  return count.received;
}

/* A keeps publishing (50 audio + 50 video packets a second) for @ms, so
 * the heartbeats carry a forwarded bit rate. */
static void
stream (HzTestClient *a, HzTestClient *b, guint ms)
{
  guint8 pkt[1500];
  guint i = 1000;

  for (gint64 end = g_get_monotonic_time () + (gint64) ms * 1000; g_get_monotonic_time () < end; i++) {
    for (guint kind = 0; kind < 2; kind++) {
      gsize payload = kind == 0 ? 160 : 800;
      guint32 ssrc = kind == 0 ? AUDIO_SSRC : VIDEO_SSRC;

      memset (pkt, 0, 12 + payload);
      pkt[0] = 0x80;
      pkt[1] = kind == 0 ? 111 : 96;
      pkt[2] = (guint8) (i >> 8);
      pkt[3] = (guint8) i;
      pkt[8] = ssrc >> 24, pkt[9] = ssrc >> 16, pkt[10] = ssrc >> 8, pkt[11] = ssrc;
      memcpy (pkt + 12, "\x10\x00\x00\x00\x9d\x01\x2a", 7);
      hz_peer_send_rtp (hz_test_client_get_publisher (a), pkt, 12 + payload, sizeof pkt);
    }
    hz_test_client_pump (a, 10);
    hz_test_client_pump (b, 10);
  }
}

static gboolean
port_in (Node *n, guint16 port)
{
  return port >= n->port_min && port <= n->port_max;
}

static char *
create_consult (Node *via)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GDateTime) start = g_date_time_add_minutes (now, -1);
  g_autoptr(GDateTime) end = g_date_time_add_hours (now, 1);
  g_autofree char *a = g_date_time_format_iso8601 (start);
  g_autofree char *b = g_date_time_format_iso8601 (end);
  g_autofree char *body = g_strdup_printf ("{\"title\":\"cluster\",\"starts_at\":\"%s\",\"ends_at\":\"%s\","
                                           "\"accepted_by\":\"dr.wang\"}", a, b);
  g_autofree char *path = NULL;
  g_autoptr(JsonNode) o1 = NULL, o2 = NULL;
  char *id;

  g_assert_cmpuint (hz_test_http (via->url, "POST", "/api/v1/consults", HZ_TEST_ADMIN_KEY,
                                  "{\"inviting_institution\":\"Clinic A\",\"invited_institution\":\"Lead\","
                                  "\"reason\":\"cluster test\",\"patient_context\":\"M, 58\"}", &o1), ==, 201);
  id = g_strdup (json_object_get_string_member (json_node_get_object (o1), "id"));
  path = g_strdup_printf ("/api/v1/consults/%s/accept", id);
  g_assert_cmpuint (hz_test_http (via->url, "POST", path, HZ_TEST_ADMIN_KEY, body, &o2), ==, 201);
  return id;
}

static gint
cmp_double (gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

/* Median round trip of a chat message (the sender gets it back), in ms:
 * printed, not asserted (a measurement, not a test). */
static double
chat_rtt_ms (HzTestClient *c, guint n)
{
  g_autoptr(GArray) rtts = g_array_new (FALSE, FALSE, sizeof (double));

  for (guint i = 0; i < n; i++) {
    gint64 t0 = g_get_monotonic_time ();
    g_autofree char *text = g_strdup_printf ("ping %p %u", (void *) c, i);
    g_autofree char *msg = g_strdup_printf ("{\"type\":\"chat\",\"text\":\"%s\"}", text);
    gboolean mine = FALSE;

    hz_test_client_send (c, msg);
    while (!mine) { /* the others' chats are queued here too */
      g_autoptr(JsonObject) echo = hz_test_client_wait (c, "chat", 0);

      if (echo == NULL) { /* block until the socket has data: no polling granularity */
        g_assert_cmpint (g_get_monotonic_time () - t0, <, 5 * G_USEC_PER_SEC);
        g_main_context_iteration (NULL, TRUE);
        continue;
      }
      mine = g_strcmp0 (json_object_get_string_member (echo, "text"), text) == 0;
    }
    double ms = (double) (g_get_monotonic_time () - t0) / 1000.0;

    g_array_append_val (rtts, ms);
  }
  g_array_sort (rtts, cmp_double);
  return g_array_index (rtts, double, n / 2);
}

/* join with "redirect": true; the answer (joined or error) */
static JsonObject *
join_redirect (HzTestClient *c, const char *token)
{
  g_autofree char *msg = g_strdup_printf ("{\"type\":\"join\",\"id\":7,\"token\":\"%s\",\"redirect\":true}", token);

  hz_test_client_send (c, msg);
  for (gint64 end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC; g_get_monotonic_time () < end;) {
    JsonObject *o = hz_test_client_wait (c, "joined", 10);

    if (o != NULL || (o = hz_test_client_wait (c, "error", 10)) != NULL)
      return o;
  }
  g_error ("no answer to a join with redirect");
  return NULL;
}

/* ---- the test ---- */

static void
test_cluster (void)
{
  HzTestServer admin = { 0 };
  g_autoptr(GPtrArray) holders = g_ptr_array_new_with_free_func ((GDestroyNotify) hz_test_client_free);
  g_autofree char *consult = NULL, *owner_id = NULL, *owner2_id = NULL;
  g_autofree char *tok_a = NULL, *tok_b = NULL, *tok_p = NULL;
  g_autoptr(HzTestClient) a = NULL, b = NULL, probe = NULL;
  Node *owner, *entry = NULL, *third = NULL, *owner2;
  guint per_node[N_NODES] = { 0 };
  guint16 sub_port = 0;
  guint received;
  gint64 killed_at;

  for (guint i = 0; i < N_NODES; i++)
    node_start (i);
  admin.base_url = nodes[0].url;
  g_test_message ("nodes up: %s %s %s (logs in %s)", nodes[0].url, nodes[1].url, nodes[2].url, tmp_dir);

  /* 0. Hostile inbox messages change nothing (and log no critical, checked
   * at the end). */
  {
    static const char *const junk[] = {
      "", "not json", "[1,2]", "{\"type\":7}", "{\"type\":\"relay.open\"}",
      "{\"type\":\"relay.open\",\"from\":\"../x\",\"rid\":\"a\",\"msg\":\"{}\"}",
      "{\"type\":\"relay.open\",\"from\":\"node9\",\"rid\":{\"a\":1},\"msg\":\"{}\"}",
      "{\"type\":\"relay.open\",\"from\":\"node9\",\"rid\":\"r1\",\"msg\":[1]}",
      "{\"type\":\"relay.open\",\"from\":\"node9\",\"rid\":\"r2\",\"msg\":\"{\\\"type\\\":\\\"join\\\"}\",\"peer\":5}",
      "{\"type\":\"relay.msg\",\"from\":\"node9\",\"rid\":\"nope\",\"msg\":\"x\"}",
      "{\"type\":\"relay.close\",\"from\":\"node9\",\"rid\":\"nope\",\"code\":\"x\"}",
      "{\"type\":\"relay.keep\",\"from\":\"node9\",\"rids\":[1,null,{},\"r2\"]}",
      "{\"type\":\"relay.keep\",\"from\":\"node9\",\"rids\":\"all\"}",
      "{\"type\":\"relay.what\",\"from\":\"node9\",\"rid\":\"r2\"}",
    };

    for (guint i = 0; i < G_N_ELEMENTS (junk); i++) {
      redisReply *r = redisCommand (redis, "PUBLISH node:node2:inbox %s", junk[i]);
      freeReplyObject (r);
    }
    hz_test_iterate (300);
    g_assert_true (node_healthy (&nodes[1], NULL, NULL));
  }

  /* 1. Nine rooms, every one joined through node 1: they spread. */
  for (guint i = 0; i < 9; i++) {
    g_autofree char *room = hz_test_create_room (&admin, "consult");
    g_autofree char *tok = issue (nodes[0].url, room, "holder", "doctor");
    g_autofree char *where = NULL;
    Node *n;

    g_ptr_array_add (holders, join_via (&nodes[0], tok, 20));
    where = room_owner (room);
    n = node_by_id (where);
    g_assert_nonnull (n);
    per_node[n - nodes]++;
  }
  g_test_message ("9 rooms joined through node1 placed: node1 %u, node2 %u, node3 %u", per_node[0], per_node[1],
                  per_node[2]);
  for (guint i = 0; i < N_NODES; i++)
    g_assert_cmpuint (per_node[i], >=, 1);
  g_ptr_array_set_size (holders, 0); /* they leave: those rooms end and are released */

  /* 2. A consult. A probe asks node 1 with "redirect": true: wrong_node
   * names the room's node O (or node 1 hosts it and the probe is in). A and
   * B then join through the two other nodes: both are relayed to O. */
  consult = create_consult (&nodes[1]);
  tok_a = issue (nodes[2].url, consult, "doctor-a", "doctor");
  tok_b = issue (nodes[2].url, consult, "specialist-b", "specialist");
  tok_p = issue (nodes[2].url, consult, "probe", "observer");
  probe = hz_test_client_new (nodes[0].url);
  {
    g_autoptr(JsonObject) answer = join_redirect (probe, tok_p);

    if (g_strcmp0 (json_object_get_string_member (answer, "type"), "joined") == 0) {
      owner = &nodes[0];
    } else {
      g_assert_cmpstr (json_object_get_string_member (answer, "code"), ==, "wrong_node");
      owner = node_by_id (json_object_get_string_member (answer, "node"));
      g_assert_nonnull (owner);
      g_assert_true (owner != &nodes[0]);
      g_assert_cmpstr (json_object_get_string_member (answer, "url"), ==, owner->url);
      g_clear_pointer (&probe, hz_test_client_free);
    }
  }
  for (guint i = 0; i < N_NODES; i++)
    if (&nodes[i] != owner)
      *(entry == NULL ? &entry : &third) = &nodes[i];
  g_test_message ("consult %s placed on %s; A enters through %s, B through %s", consult, owner->id, entry->id,
                  third->id);
  a = join_via (entry, tok_a, 20);
  b = join_via (third, tok_b, 20);
  g_clear_pointer (&probe, hz_test_client_free);
  owner_id = room_owner (consult);
  g_assert_cmpstr (owner_id, ==, owner->id);
  /* wrong_node through a node that is not the room's, only when asked for */
  probe = hz_test_client_new (entry->url);
  {
    g_autoptr(JsonObject) answer = join_redirect (probe, tok_p);

    g_assert_cmpstr (json_object_get_string_member (answer, "code"), ==, "wrong_node");
    g_assert_cmpstr (json_object_get_string_member (answer, "node"), ==, owner->id);
    g_assert_cmpstr (json_object_get_string_member (answer, "url"), ==, owner->url);
  }
  g_clear_pointer (&probe, hz_test_client_free);
  received = media_flows (a, b, &sub_port);
  g_test_message ("through the relay: B received %u/200 packets from %s port %u", received, owner->id, sub_port);
  g_assert_cmpuint (received, >, 0);
  g_assert_true (port_in (owner, sub_port)); /* media goes straight to the room's node */
  g_assert_true (port_in (owner, port_of (hz_test_client_get_publisher (a))));
  stream (a, b, 4000); /* a heartbeat with the forwarded bit rate */
  print_loads ("with media");

  /* 3. The room's node dies. */
  g_test_message ("SIGKILL %s", owner->id);
  g_subprocess_send_signal (owner->proc, SIGKILL);
  killed_at = g_get_monotonic_time ();
  g_assert_true (wait_exit (owner, 10));
  {
    /* the entry nodes notice and tell their clients */
    g_autoptr(JsonObject) lost_a = hz_test_client_wait (a, "error", (TTL_S + 5) * 1000);
    g_autoptr(JsonObject) lost_b = hz_test_client_wait (b, "error", (TTL_S + 5) * 1000);

    g_assert_nonnull (lost_a);
    g_assert_nonnull (lost_b);
    g_assert_cmpstr (json_object_get_string_member (lost_a, "code"), ==, "node_lost");
    g_assert_cmpstr (json_object_get_string_member (lost_b, "code"), ==, "node_lost");
    g_test_message ("A and B told node_lost after %.1f s", (g_get_monotonic_time () - killed_at) / 1e6);
  }
  g_clear_pointer (&a, hz_test_client_free);
  g_clear_pointer (&b, hz_test_client_free);
  a = join_via (third, tok_a, 3 * TTL_S);
  b = join_via (entry, tok_b, 3 * TTL_S);
  g_test_message ("rejoined %.1f s after the kill (ttl %d s)", (g_get_monotonic_time () - killed_at) / 1e6, TTL_S);
  owner2_id = room_owner (consult);
  owner2 = node_by_id (owner2_id);
  g_assert_nonnull (owner2);
  g_assert_true (owner2 != owner);
  received = media_flows (a, b, &sub_port);
  stream (a, b, 4000);
  g_test_message ("after the move: B received %u/200 packets from %s port %u", received, owner2->id, sub_port);
  g_assert_cmpuint (received, >, 0);
  g_assert_true (port_in (owner2, sub_port));
  print_loads ("after the move");

  /* 4. Drain the new owner: it stops taking rooms, keeps this one until it ends. */
  g_subprocess_send_signal (owner2->proc, SIGTERM);
  {
    g_autofree char *status = NULL;
    guint code = 0;

    for (gint64 end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC; g_get_monotonic_time () < end;) {
      g_clear_pointer (&status, g_free);
      if (!node_healthy (owner2, &code, &status) && code == 503)
        break;
      hz_test_iterate (100);
    }
    g_assert_cmpuint (code, ==, 503);
    g_assert_cmpstr (status, ==, "draining");
  }
  {
    g_autoptr(JsonObject) rec = node_record (owner2->id);
    g_assert_nonnull (rec);
    g_assert_true (json_object_get_boolean_member_with_default (rec, "draining", FALSE));
  }
  hz_test_client_pump (b, 1500);
  g_assert_false (owner2->exited); /* its room is still live */
  print_loads ("draining");
  hz_test_client_send (a, "{\"type\":\"leave\"}");
  hz_test_client_send (b, "{\"type\":\"leave\"}");
  hz_test_client_pump (a, 500);
  g_assert_true (wait_exit (owner2, 20));
  g_assert_cmpint (owner2->status, ==, 0);

  /* 5. The consult record in PostgreSQL has both participants. */
  {
    Node *alive = entry != owner2 ? entry : third;
    g_autofree char *path = g_strdup_printf ("/api/v1/consults/%s", consult);
    g_autoptr(JsonNode) rec = NULL;
    JsonArray *parts;
    gboolean seen_a = FALSE, seen_b = FALSE, left_a = FALSE, left_b = FALSE;

    g_assert_cmpuint (hz_test_http (alive->url, "GET", path, HZ_TEST_ADMIN_KEY, NULL, &rec), ==, 200);
    parts = json_object_get_array_member (json_node_get_object (rec), "participants");
    for (guint i = 0; i < json_array_get_length (parts); i++) {
      JsonObject *p = json_array_get_object_element (parts, i);
      const char *user = json_object_get_string_member_with_default (p, "user", "");
      gboolean left = !json_object_get_null_member (p, "left_at");

      seen_a |= g_strcmp0 (user, "doctor-a") == 0;
      seen_b |= g_strcmp0 (user, "specialist-b") == 0;
      left_a |= g_strcmp0 (user, "doctor-a") == 0 && left;
      left_b |= g_strcmp0 (user, "specialist-b") == 0 && left;
    }
    g_test_message ("consult record: %u participant rows", json_array_get_length (parts));
    g_assert_true (seen_a && seen_b);
    g_assert_true (left_a && left_b); /* the sessions on the drained node were closed properly */
  }
  g_clear_pointer (&a, hz_test_client_free);
  g_clear_pointer (&b, hz_test_client_free);

  /* 6. An entry node dies: the room's node drops the member it served for
   * it after the relay timeout, as it would a dropped WebSocket. The killed
   * node comes back first; D follows a wrong_node redirect to the room's
   * node, C joins through the other node. */
  node_start (owner - nodes);
  {
    Node *alive = entry != owner2 ? entry : third;
    Node *d_node, *c_node;
    g_autofree char *tok_c = issue (alive->url, consult, "doctor-c", "doctor");
    g_autofree char *tok_d = issue (alive->url, consult, "specialist-d", "specialist");
    g_autoptr(HzTestClient) c = NULL, d = hz_test_client_new (alive->url);
    g_autoptr(JsonObject) answer = join_redirect (d, tok_d);
    g_autoptr(JsonObject) joined = NULL, left = NULL;
    gint64 t0;

    if (g_strcmp0 (json_object_get_string_member (answer, "type"), "joined") == 0) {
      d_node = alive;
    } else {
      g_assert_cmpstr (json_object_get_string_member (answer, "code"), ==, "wrong_node");
      d_node = node_by_id (json_object_get_string_member (answer, "node"));
      g_assert_true (d_node == owner);
      g_clear_pointer (&d, hz_test_client_free);
      d = join_via (d_node, tok_d, 20);
    }
    c_node = d_node == alive ? owner : alive;
    c = join_via (c_node, tok_c, 20);
    joined = hz_test_client_wait (d, "participant_joined", 5000);
    g_assert_nonnull (joined);
    {
      double direct = chat_rtt_ms (d, 21), relayed = chat_rtt_ms (c, 21);

      g_test_message ("chat round trip, median of 21: direct %.2f ms, relayed %.2f ms (+%.2f ms for the "
                      "relay hop through Redis)", direct, relayed, relayed - direct);
    }
    /* an entry node drains too: it stays while it relays C's session */
    g_subprocess_send_signal (c_node->proc, SIGTERM);
    {
      guint code = 0;

      for (gint64 end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC; g_get_monotonic_time () < end && code != 503;) {
        node_healthy (c_node, &code, NULL);
        hz_test_iterate (100);
      }
      g_assert_cmpuint (code, ==, 503);
    }
    hz_test_client_pump (c, 2500);
    g_assert_false (c_node->exited);
    g_test_message ("D on %s, C relayed through %s (draining, still up): SIGKILL %s", d_node->id, c_node->id,
                    c_node->id);
    g_subprocess_send_signal (c_node->proc, SIGKILL);
    t0 = g_get_monotonic_time ();
    g_assert_true (wait_exit (c_node, 10));
    left = hz_test_client_wait (d, "participant_left", 30000);
    g_assert_nonnull (left);
    g_test_message ("D told participant_left %.1f s after C's node died", (g_get_monotonic_time () - t0) / 1e6);
    hz_test_client_send (d, "{\"type\":\"leave\"}");
    hz_test_client_pump (d, 300);
  }
  /* the others stop cleanly (drain with no rooms: at once), and no node
   * complained of a bug (criticals, sanitizer or leak reports) */
  for (guint i = 0; i < N_NODES; i++) {
    g_autofree char *text = NULL;

    if (!nodes[i].exited) {
      g_subprocess_send_signal (nodes[i].proc, SIGTERM);
      g_assert_true (wait_exit (&nodes[i], 30));
      g_assert_cmpint (nodes[i].status, ==, 0);
    }

    g_assert_true (g_file_get_contents (nodes[i].log, &text, NULL, NULL));
    if (strstr (text, "CRITICAL") != NULL || strstr (text, "AddressSanitizer") != NULL ||
        strstr (text, "LeakSanitizer") != NULL ||
        strstr (text, "runtime error:") != NULL)
      g_error ("%s logged a critical or sanitizer report: see %s", nodes[i].id, nodes[i].log);
  }
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  const char *redis_port = g_getenv ("HUIZHEN_TEST_REDIS_PORT");
  int ret;

  g_test_init (&argc, &argv, NULL);
  if (redis_port == NULL || g_getenv ("HUIZHEN_TEST_DATABASE_URL") == NULL || g_getenv ("HZ_HUIZHEN") == NULL) {
    g_test_skip ("needs run-with-postgres.sh and run-with-redis.sh (HUIZHEN_TEST_*), and HZ_HUIZHEN");
    g_print ("1..0 # SKIP no redis-server/PostgreSQL from the runner scripts\n");
    return 0;
  }
  redis = redisConnect ("127.0.0.1", atoi (redis_port));
  g_assert_true (redis != NULL && redis->err == 0);
  tmp_dir = g_dir_make_tmp ("hz-cluster-XXXXXX", &error);
  g_assert_no_error (error);
  g_test_add_func ("/cluster/nodes", test_cluster);
  ret = g_test_run ();
  for (guint i = 0; i < N_NODES; i++) {
    if (nodes[i].proc != NULL && !nodes[i].exited) {
      g_subprocess_send_signal (nodes[i].proc, SIGTERM);
      if (!wait_exit (&nodes[i], 30))
        g_subprocess_force_exit (nodes[i].proc);
    }
    g_clear_object (&nodes[i].proc);
  }
  redisFree (redis);
  if (ret == 0) {
    g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", tmp_dir);
    (void) !system (cmd);
  } else {
    g_printerr ("# node logs kept in %s\n", tmp_dir);
  }
  return ret;
}
