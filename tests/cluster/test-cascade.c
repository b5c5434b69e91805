/* Cluster (owner: cascade): a teaching room cascaded over two real Huizhen
 * nodes in one process (real ICE/DTLS/SRTP on loopback, one shared SQLite
 * room store standing in for the cluster's PostgreSQL). The presenter
 * publishes on node A; with cascade_viewers = 1 the decision sends a second
 * viewer to a satellite on node B, which relays the presenter's tracks from
 * A over one peer connection. Checked: both viewers receive every packet
 * byte-exact with the SSRCs their offers announced; a PLI from B's viewer
 * reaches the presenter on A; A serves the relay as a hidden member (role
 * relay: counted in /metrics, never listed or announced) that leaves when
 * the satellite ends with its last viewer; chat crosses both ways and B's
 * raised hands reach A's presenter; with record: true only A records and
 * B's viewers are shown A's recording state. Prints (does not assert) the
 * extra latency of the relay hop, from RTP arrival times. The decision and
 * a hostile owner: test-cascade-hostile.c. */
#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <string.h>

#include "hz-cascade.h"
#include "hz-room-store.h"
#include "hz-rtcp.h"
#include "hz-rtp.h"
#include "hz-test-client.h"

#include "cascade-test-util.h"

#define AUDIO_SSRC 0x11111111u
#define VIDEO_SSRC 0x22222222u
#define N_PACKETS 150

typedef struct {
  const char *name;
  guint32 out_ssrc[2];
  guint received[2];
  guint corrupt, wrong_ssrc;
  gint64 arrival[2][N_PACKETS]; /* 0: not yet */
} Viewer;

typedef struct {
  gint64 sent[2][N_PACKETS];
  guint plis;
} Presenter;

static gsize
make_packet (guint8 *buf, guint kind, guint index)
{
  return hz_test_media_packet (buf, kind, index, kind == 0 ? AUDIO_SSRC : VIDEO_SSRC);
}

static void
on_viewer_rtp (HzTestClient *client, const guint8 *buf, gsize len, gpointer data)
{
  Viewer *v = data;
  guint kind = 0, index = 0;

  switch (hz_test_media_check (buf, len, v->out_ssrc, N_PACKETS, &kind, &index)) {
  case HZ_TEST_MEDIA_WRONG_SSRC:
    v->wrong_ssrc++;
    return;
  case HZ_TEST_MEDIA_CORRUPT:
    v->corrupt++;
    return;
  case HZ_TEST_MEDIA_OK:
    break;
  }
  if (v->arrival[kind][index] == 0) {
    v->arrival[kind][index] = g_get_monotonic_time ();
    v->received[kind]++;
  }
}

static void
on_presenter_rtcp (HzTestClient *client, const guint8 *buf, gsize len, gpointer data)
{
  Presenter *p = data;

  p->plis += hz_test_count_plis (buf, len, VIDEO_SSRC);
}

static JsonObject *
join_as (HzTestClient *c, HzTestServer *ts, const char *room, const char *user, const char *role)
{
  g_autofree char *tok = hz_test_issue_token (ts, room, user, role);
  JsonObject *joined = hz_test_client_join (c, tok);

  g_assert_nonnull (joined);
  g_assert_cmpstr (json_object_get_string_member (joined, "type"), ==, "joined");
  return joined;
}

/* Answers subscriber offers until both tracks are offered, then waits for
 * the connection. */
static void
subscribe_both (HzTestClient *c, Viewer *v)
{
  GArray *ssrcs;

  for (guint i = 0; i < 4 && hz_test_client_get_offered_ssrcs (c)->len < 2; i++)
    g_assert_cmpuint (hz_test_client_subscribe (c, 10000), >=, 1);
  ssrcs = hz_test_client_get_offered_ssrcs (c);
  g_assert_cmpuint (ssrcs->len, ==, 2);
  v->out_ssrc[0] = g_array_index (ssrcs, guint32, 0);
  v->out_ssrc[1] = g_array_index (ssrcs, guint32, 1);
  hz_test_client_set_rtp_handler (c, on_viewer_rtp, v);
  g_assert_true (hz_test_client_wait_connected (c, FALSE, TRUE, 10000));
}

static int
cmp_i64 (gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

/* Median and 95th percentile of arrival - send over the video packets. */
static void
latency_of (const Presenter *p, const Viewer *v, double *median_ms, double *p95_ms)
{
  g_autoptr(GArray) d = g_array_new (FALSE, FALSE, sizeof (gint64));

  for (guint i = 0; i < N_PACKETS; i++) {
    if (v->arrival[1][i] != 0) {
      gint64 x = v->arrival[1][i] - p->sent[1][i];
      g_array_append_val (d, x);
    }
  }
  g_assert_cmpuint (d->len, >, 0);
  g_array_sort (d, cmp_i64);
  *median_ms = g_array_index (d, gint64, d->len / 2) / 1000.0;
  *p95_ms = g_array_index (d, gint64, MIN (d->len - 1, d->len * 95 / 100)) / 1000.0;
}

static void
result_cb (GObject *source, GAsyncResult *res, gpointer data)
{
  *(GAsyncResult **) data = g_object_ref (res);
}

static void
remove_db (const char *db_path, const char *dir)
{
  g_autofree char *wal = g_strconcat (db_path, "-wal", NULL);
  g_autofree char *shm = g_strconcat (db_path, "-shm", NULL);

  g_remove (db_path);
  g_remove (wal);
  g_remove (shm);
  g_rmdir (dir);
}

/* huizhen_participants on @base_url's /metrics: every member, relays included. */
static guint
metric_participants (const char *base_url)
{
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autofree char *url = g_strconcat (base_url, "/metrics", NULL);
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
  g_autoptr(GBytes) body = NULL;
  g_autofree char *text = NULL;
  const char *line;
  GAsyncResult *result = NULL;

  soup_message_headers_append (soup_message_get_request_headers (msg), "Authorization",
                               "Bearer " HZ_TEST_ADMIN_KEY);
  soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, NULL, result_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  body = soup_session_send_and_read_finish (session, result, NULL);
  g_object_unref (result);
  g_assert_nonnull (body);
  g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
  text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  line = strstr (text, "\nhuizhen_participants ");
  g_assert_nonnull (line);
  return (guint) g_ascii_strtoull (line + strlen ("\nhuizhen_participants "), NULL, 10);
}

/* The participants a node's admin API lists for @room (the live room). */
static JsonArray *
api_participants (const char *base_url, const char *room)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/rooms/%s", room);
  g_autoptr(JsonNode) reply = NULL;
  JsonObject *o;

  g_assert_cmpuint (hz_test_http (base_url, "GET", path, HZ_TEST_ADMIN_KEY, NULL, &reply), ==, 200);
  o = json_node_get_object (reply);
  g_assert_true (json_object_has_member (o, "participants"));
  return json_array_ref (json_object_get_array_member (o, "participants"));
}

/* No participant of @arr is a relay (role relay, a cascade user or name). */
static void
assert_no_relay_in (JsonArray *arr)
{
  for (guint i = 0; i < json_array_get_length (arr); i++) {
    JsonObject *p = json_array_get_object_element (arr, i);

    g_assert_cmpstr (json_object_get_string_member (p, "role"), !=, "relay");
    g_assert_false (g_str_has_prefix (json_object_get_string_member (p, "display_name"),
                                      HZ_CASCADE_RELAY_NAME_PREFIX));
  }
}

/* The next @type message of @c whose @field is @value, skipping others of
 * that type, waiting up to 5 s. */
static JsonObject *
wait_for (HzTestClient *c, const char *type, const char *field, const char *value)
{
  for (gint64 end = g_get_monotonic_time () + 5 * G_USEC_PER_SEC; g_get_monotonic_time () < end;) {
    JsonObject *m = hz_test_client_wait (c, type, 200);

    if (m != NULL && json_object_has_member (m, field) &&
        g_strcmp0 (json_object_get_string_member (m, field), value) == 0)
      return m;
    g_clear_pointer (&m, json_object_unref);
  }
  return NULL;
}

/* The presenter sends N_PACKETS per kind at 50 packets/s per kind; both
 * viewers must get them all, byte-exact; arrival times give latencies. */
static void
exchange (HzTestClient *presenter, Presenter *pres, Viewer *va, Viewer *vb)
{
  guint8 pkt[1500 + 160];

  for (guint i = 0; i < N_PACKETS; i++) {
    for (guint kind = 0; kind < 2; kind++) {
      gsize n = make_packet (pkt, kind, i);

      pres->sent[kind][i] = g_get_monotonic_time ();
      g_assert_true (hz_peer_send_rtp (hz_test_client_get_publisher (presenter), pkt, n, sizeof pkt));
    }
    pump (20);
  }
  for (gint64 end = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
       g_get_monotonic_time () < end &&
       (va->received[0] + va->received[1] < 2 * N_PACKETS || vb->received[0] + vb->received[1] < 2 * N_PACKETS);)
    pump (20);
  g_test_message ("viewer on A: %u audio + %u video, viewer on B: %u audio + %u video of %u each",
                  va->received[0], va->received[1], vb->received[0], vb->received[1], N_PACKETS);
  g_assert_cmpuint (va->corrupt + va->wrong_ssrc, ==, 0);
  g_assert_cmpuint (vb->corrupt + vb->wrong_ssrc, ==, 0);
  /* Loopback: nothing may be lost but the first packets before B's
   * subscriber path settles. */
  g_assert_cmpuint (va->received[0], >=, N_PACKETS - 5);
  g_assert_cmpuint (va->received[1], >=, N_PACKETS - 5);
  g_assert_cmpuint (vb->received[0], >=, N_PACKETS - 5);
  g_assert_cmpuint (vb->received[1], >=, N_PACKETS - 5);
}

/* Chat both ways and a raised hand of B's viewer, seen by the presenter on A. */
static void
relay_chat_and_hands (HzTestClient *presenter, HzTestClient *viewer_a, HzTestClient *viewer_b)
{
  g_autoptr(JsonObject) m = NULL;

  /* B → A: the presenter and A's viewer get it, named and marked relayed */
  hz_test_client_send (viewer_b, "{\"type\":\"chat\",\"text\":\"question from B\"}");
  m = wait_for (presenter, "chat", "text", "question from B");
  g_assert_nonnull (m);
  g_assert_cmpstr (json_object_get_string_member (m, "display_name"), ==, "student-b");
  g_assert_cmpstr (json_object_get_string_member (m, "relayed_from"), ==, "node-b");
  g_assert_true (g_str_has_suffix (json_object_get_string_member (m, "participant_id"), "@node-b"));
  g_clear_pointer (&m, json_object_unref);
  m = wait_for (viewer_a, "chat", "text", "question from B");
  g_assert_nonnull (m);
  g_clear_pointer (&m, json_object_unref);
  /* B's viewer sees its own line once (the local broadcast), not echoed back */
  m = wait_for (viewer_b, "chat", "text", "question from B");
  g_assert_nonnull (m);
  g_assert_false (json_object_has_member (m, "relayed_from"));
  g_clear_pointer (&m, json_object_unref);

  /* A → B */
  hz_test_client_send (presenter, "{\"type\":\"chat\",\"text\":\"answer from A\"}");
  m = wait_for (viewer_b, "chat", "text", "answer from A");
  g_assert_nonnull (m);
  g_assert_cmpstr (json_object_get_string_member (m, "display_name"), ==, "teacher");
  g_assert_cmpstr (json_object_get_string_member (m, "relayed_from"), ==, "node-a");
  g_clear_pointer (&m, json_object_unref);
  m = wait_for (presenter, "chat", "text", "answer from A"); /* its own, once */
  g_assert_nonnull (m);
  g_assert_false (json_object_has_member (m, "relayed_from"));
  g_clear_pointer (&m, json_object_unref);
  pump (300);
  m = wait_for (viewer_b, "chat", "text", "question from B"); /* no loop back */
  g_assert_null (m);

  /* B's viewer raises a hand: the presenter on A sees who */
  hz_test_client_send (viewer_b, "{\"type\":\"raise_hand\",\"raised\":true}");
  m = wait_for (presenter, "hand_raised", "display_name", "student-b");
  g_assert_nonnull (m);
  g_assert_true (json_object_get_boolean_member (m, "raised"));
  g_assert_cmpstr (json_object_get_string_member (m, "relayed_from"), ==, "node-b");
  g_clear_pointer (&m, json_object_unref);
  hz_test_client_send (viewer_b, "{\"type\":\"raise_hand\",\"raised\":false}");
  m = wait_for (presenter, "hand_raised", "display_name", "student-b");
  g_assert_nonnull (m);
  g_assert_false (json_object_get_boolean_member (m, "raised"));
  g_clear_pointer (&m, json_object_unref);
  m = hz_test_client_wait (viewer_a, "hand_raised", 200); /* viewers do not see hands */
  g_assert_null (m);

  /* Only relays may relay: a student's cascade_relay is refused, nothing sent */
  hz_test_client_send (viewer_b, "{\"type\":\"cascade_relay\",\"event\":{\"type\":\"chat\","
                                 "\"participant_id\":\"x\",\"display_name\":\"Forged\",\"text\":\"forged\"}}");
  m = hz_test_client_wait (viewer_b, "error", 3000);
  g_assert_nonnull (m);
  g_assert_cmpstr (json_object_get_string_member (m, "code"), ==, "forbidden");
  g_clear_pointer (&m, json_object_unref);
  m = wait_for (presenter, "chat", "text", "forged");
  g_assert_null (m);
}

static void
test_cascade_two_nodes (void)
{
  g_autofree char *shared_dir = g_dir_make_tmp ("huizhen-cascade-XXXXXX", NULL);
  g_autofree char *db_url = g_strdup_printf ("sqlite:%s/shared.db", shared_dir);
  g_autofree char *db_path = g_strdup_printf ("%s/shared.db", shared_dir);
  HzTestServer *a, *b;
  g_autofree char *room = NULL;
  g_autoptr(HzTestClient) presenter = NULL, viewer_a = NULL, viewer_b = NULL;
  g_autoptr(JsonObject) jp = NULL, ja = NULL, jb = NULL, msg = NULL;
  g_autoptr(HzCascade) cascade = NULL;
  Presenter pres = { 0 };
  Viewer va = { "viewer on A" }, vb = { "viewer on B" };
  double med_a, p95_a, med_b, p95_b;
  guint plis_before;

  /* Two nodes sharing the room store, as the cluster's PostgreSQL would. */
  g_setenv ("HUIZHEN_DATABASE_URL", db_url, TRUE);
  a = hz_test_server_start ();
  b = hz_test_server_start ();
  g_unsetenv ("HUIZHEN_DATABASE_URL");
  room = hz_test_create_room (a, "teaching");
  {
    /* relay identities are minted by nodes only, never by the token API */
    g_autofree char *path = g_strdup_printf ("/api/v1/rooms/%s/tokens", room);

    g_assert_cmpuint (hz_test_http (a->base_url, "POST", path, HZ_TEST_ADMIN_KEY,
                                    "{\"user\":\"u\",\"display_name\":\"u\",\"institution\":\"Test Clinic\","
                                    "\"role\":\"relay\"}", NULL), ==, 400);
    g_assert_cmpuint (hz_test_http (a->base_url, "POST", path, HZ_TEST_ADMIN_KEY,
                                    "{\"user\":\"cascade:node-x\",\"display_name\":\"u\",\"institution\":\"Test Clinic\","
                                    "\"role\":\"student\"}", NULL), ==, 400);
    g_assert_cmpuint (hz_test_http (a->base_url, "POST", path, HZ_TEST_ADMIN_KEY,
                                    "{\"user\":\"u\",\"display_name\":\"u\",\"institution\":\"Test Clinic\","
                                    "\"role\":\"student\"}", NULL), ==, 201); /* the control */
  }

  cascade = hz_cascade_new (&(HzCascadeConfig) {
      .node_id = "node-b", .local_url = b->base_url, .token_secret = HZ_TEST_TOKEN_SECRET,
      .admin_key = HZ_TEST_ADMIN_KEY,
      .cascade_viewers = 1, .idle_grace_ms = 2000 }); /* B's viewer may join after the relay (ASan) */

  presenter = hz_test_client_new (a->base_url);
  jp = join_as (presenter, a, room, "teacher", "presenter");
  hz_test_client_set_rtcp_handler (presenter, on_presenter_rtcp, &pres);
  g_assert_true (hz_test_client_publish (presenter, AUDIO_SSRC, VIDEO_SSRC));
  g_assert_true (hz_test_client_wait_connected (presenter, TRUE, FALSE, 10000));

  /* The first viewer fits on the owner (asked over its admin API). */
  g_assert_cmpint (route (cascade, room, "student-a", HZ_ROLE_STUDENT, a->base_url), ==, HZ_CASCADE_JOIN_OWNER);
  g_assert_cmpuint (hz_cascade_get_n_satellites (cascade), ==, 0);
  viewer_a = hz_test_client_new (a->base_url);
  ja = join_as (viewer_a, a, room, "student-a", "student");
  subscribe_both (viewer_a, &va);

  /* The owner has cascade_viewers viewers: the next one goes to a satellite
   * on the node it came through (started by the decision); presenters
   * never cascade. */
  g_assert_cmpint (route (cascade, room, "teacher-2", HZ_ROLE_PRESENTER, a->base_url), ==, HZ_CASCADE_JOIN_OWNER);
  g_assert_cmpint (route (cascade, room, "student-b", HZ_ROLE_STUDENT, a->base_url), ==,
                   HZ_CASCADE_JOIN_SATELLITE);
  viewer_b = hz_test_client_new (b->base_url);
  jb = join_as (viewer_b, b, room, "student-b", "student");
  g_assert_cmpuint (hz_cascade_get_n_satellites (cascade), ==, 1);
  /* sticky and once per node: a further viewer stays here, same relay */
  g_assert_cmpint (route (cascade, room, "student-c", HZ_ROLE_OBSERVER, "http://127.0.0.1:1"), ==,
                   HZ_CASCADE_JOIN_SATELLITE);
  g_assert_true (hz_cascade_ensure_satellite (cascade, room, "node-a", a->base_url, NULL));
  g_assert_cmpuint (hz_cascade_get_n_satellites (cascade), ==, 1);

  /* B's viewer is offered the presenter's two tracks, published on B by
   * the relay member (before or after it joined). */
  subscribe_both (viewer_b, &vb);
  g_assert_cmpint (hz_cascade_get_satellite_state (cascade, room), ==, HZ_CASCADE_SATELLITE_RELAYING);
  /* The relay is on A (one more member there) but hidden: no event, not in
   * the participant list. */
  g_assert_cmpuint (metric_participants (a->base_url), ==, 3);
  msg = hz_test_client_wait (viewer_a, "participant_joined", 300);
  g_assert_null (msg);
  {
    g_autoptr(JsonArray) parts = api_participants (a->base_url, room);

    g_assert_cmpuint (json_array_get_length (parts), ==, 2); /* presenter, student-a */
    assert_no_relay_in (parts);
  }
  g_assert_cmpuint (vb.out_ssrc[1], !=, VIDEO_SSRC);
  pump (500);

  exchange (presenter, &pres, &va, &vb);
  latency_of (&pres, &va, &med_a, &p95_a);
  latency_of (&pres, &vb, &med_b, &p95_b);
  g_test_message ("latency presenter->viewer on A: median %.3f ms, p95 %.3f ms", med_a, p95_a);
  g_test_message ("latency presenter->viewer on B (one relay hop): median %.3f ms, p95 %.3f ms", med_b, p95_b);
  g_test_message ("relay hop adds: median %.3f ms", med_b - med_a);
  g_print ("# cascade relay latency: A median %.3f ms p95 %.3f ms; B median %.3f ms p95 %.3f ms; hop +%.3f ms\n",
           med_a, p95_a, med_b, p95_b, med_b - med_a);

  /* A key-frame request from B's viewer reaches the presenter on A. Wait
   * for quiet first so the PLI counted is this one. */
  for (guint quiet = 0, last = pres.plis, rounds = 0; quiet < 3 && rounds < 40; rounds++) {
    pump (500);
    quiet = pres.plis == last ? quiet + 1 : 0;
    last = pres.plis;
  }
  plis_before = pres.plis;
  {
    guint8 rtcp[HZ_PEER_SEND_BUF];
    gsize n = hz_rtcp_build_pli (rtcp, 64, 0x5eed5eed, vb.out_ssrc[1]);

    g_assert_cmpuint (n, >, 0);
    g_assert_true (hz_peer_send_rtcp (hz_test_client_get_subscriber (viewer_b), rtcp, n, sizeof rtcp));
  }
  for (gint64 end = g_get_monotonic_time () + 3 * G_USEC_PER_SEC;
       g_get_monotonic_time () < end && pres.plis == plis_before;)
    pump (20);
  g_test_message ("PLIs at the presenter: %u before B's request, %u after", plis_before, pres.plis);
  g_assert_cmpuint (pres.plis, >, plis_before);

  /* Chat and hands cross the nodes over the satellite's two members. */
  relay_chat_and_hands (presenter, viewer_a, viewer_b);

  /* B's last viewer leaves: the satellite ends, the relay leaves A, unannounced. */
  hz_test_client_send (viewer_b, "{\"type\":\"leave\"}");
  for (gint64 end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
       g_get_monotonic_time () < end && metric_participants (a->base_url) > 2;)
    pump (100);
  g_assert_cmpuint (metric_participants (a->base_url), ==, 2);
  msg = hz_test_client_wait (viewer_a, "participant_left", 300);
  g_assert_null (msg);
  g_assert_cmpint (hz_cascade_get_satellite_state (cascade, room), ==, HZ_CASCADE_SATELLITE_NONE);
  g_assert_cmpuint (hz_cascade_get_n_satellites (cascade), ==, 0);

  g_clear_pointer (&viewer_b, hz_test_client_free);
  g_clear_pointer (&viewer_a, hz_test_client_free);
  g_clear_pointer (&presenter, hz_test_client_free);
  g_clear_pointer (&cascade, hz_cascade_free);
  hz_test_server_stop (b);
  hz_test_server_stop (a);
  remove_db (db_path, shared_dir);
}

/* The join path itself: two clustered nodes on a real redis-server
 * (run-with-redis.sh), [cluster] cascade_viewers = 1. The presenter and the
 * first viewer join node A (the room's owner); a viewer joining through
 * node B is placed in a satellite on B by B's join path (placement, the
 * owner's count over its admin API, the relay), not relayed to A. */
static HzTestServer *
start_node (const char *node_id, const char *db_url)
{
  HzTestServer *ts;

  g_setenv ("HUIZHEN_DATABASE_URL", db_url, TRUE);
  g_setenv ("HUIZHEN_CLUSTER_REDIS_URL", g_getenv ("HUIZHEN_TEST_REDIS_URL"), TRUE);
  g_setenv ("HUIZHEN_CLUSTER_NODE_ID", node_id, TRUE);
  g_setenv ("HUIZHEN_CLUSTER_CASCADE_VIEWERS", "1", TRUE);
  ts = hz_test_server_start ();
  g_unsetenv ("HUIZHEN_DATABASE_URL");
  g_unsetenv ("HUIZHEN_CLUSTER_REDIS_URL");
  g_unsetenv ("HUIZHEN_CLUSTER_NODE_ID");
  g_unsetenv ("HUIZHEN_CLUSTER_CASCADE_VIEWERS");
  return ts;
}

/* A teaching room open now with record: true. */
static char *
create_recorded_room (HzTestServer *ts)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GDateTime) end = g_date_time_add_hours (now, 1);
  g_autofree char *a = g_date_time_format_iso8601 (now);
  g_autofree char *b = g_date_time_format_iso8601 (end);
  g_autofree char *body = g_strdup_printf ("{\"title\":\"cascade\",\"kind\":\"teaching\",\"record\":true,"
                                           "\"starts_at\":\"%s\",\"ends_at\":\"%s\"}", a, b);
  g_autoptr(JsonNode) reply = NULL;

  g_assert_cmpuint (hz_test_http (ts->base_url, "POST", "/api/v1/rooms", HZ_TEST_ADMIN_KEY, body, &reply), ==, 201);
  return g_strdup (json_object_get_string_member (json_node_get_object (reply), "id"));
}

/* A recording was started on that node (its library directory exists). */
static gboolean
recordings_exist (HzTestServer *ts)
{
  g_autofree char *dir = g_build_filename (ts->data_dir, "recordings", NULL);

  return g_file_test (dir, G_FILE_TEST_IS_DIR);
}

static void
test_cascade_join_path (void)
{
  g_autofree char *shared_dir = NULL;
  g_autofree char *db_url = NULL;
  g_autofree char *db_path = NULL;
  HzTestServer *a, *b;
  g_autofree char *room = NULL;
  g_autoptr(HzTestClient) presenter = NULL, viewer_a = NULL, viewer_b = NULL;
  g_autoptr(JsonObject) jp = NULL, ja = NULL, jb = NULL, msg = NULL;
  Presenter pres = { 0 };
  Viewer va = { "viewer on A" }, vb = { "viewer on B" };
  double med_a, p95_a, med_b, p95_b;

  if (g_getenv ("HUIZHEN_TEST_REDIS_URL") == NULL) {
    g_test_skip ("no redis-server (run through tests/cluster/run-with-redis.sh)");
    return;
  }
  shared_dir = g_dir_make_tmp ("huizhen-cascade-XXXXXX", NULL);
  db_url = g_strdup_printf ("sqlite:%s/shared.db", shared_dir);
  db_path = g_strdup_printf ("%s/shared.db", shared_dir);

  /* A alone first, so the room is placed on it; record: true (the owner
   * records, the satellite only shows it). */
  a = start_node ("node-a", db_url);
  room = create_recorded_room (a);
  presenter = hz_test_client_new (a->base_url);
  jp = join_as (presenter, a, room, "teacher", "presenter");
  msg = wait_for (presenter, "recording", "state", "started"); /* the automatic recording on A */
  g_assert_nonnull (msg);
  g_clear_pointer (&msg, json_object_unref);
  hz_test_client_set_rtcp_handler (presenter, on_presenter_rtcp, &pres);
  g_assert_true (hz_test_client_publish (presenter, AUDIO_SSRC, VIDEO_SSRC));
  g_assert_true (hz_test_client_wait_connected (presenter, TRUE, FALSE, 10000));
  viewer_a = hz_test_client_new (a->base_url);
  ja = join_as (viewer_a, a, room, "student-a", "student");
  subscribe_both (viewer_a, &va);

  b = start_node ("node-b", db_url);
  viewer_b = hz_test_client_new (b->base_url);
  jb = join_as (viewer_b, b, room, "student-b", "student");
  subscribe_both (viewer_b, &vb);
  /* served by B (a satellite), not relayed: A has the hidden relay (3
   * members), lists presenter and student-a only, announces nobody */
  g_assert_cmpuint (metric_participants (a->base_url), ==, 3);
  g_assert_cmpuint (metric_participants (b->base_url), ==, 2); /* student-b, the relayed presenter */
  msg = hz_test_client_wait (viewer_a, "participant_joined", 300);
  g_assert_null (msg);
  {
    g_autoptr(JsonArray) parts = api_participants (a->base_url, room);

    g_assert_cmpuint (json_array_get_length (parts), ==, 2);
    assert_no_relay_in (parts);
  }
  /* B's viewer is told the owner records (consent), B itself does not */
  if (!json_object_get_boolean_member (jb, "recording")) {
    msg = wait_for (viewer_b, "recording", "state", "started");
    g_assert_nonnull (msg);
    g_clear_pointer (&msg, json_object_unref);
  }
  g_assert_true (recordings_exist (a));
  g_assert_false (recordings_exist (b));
  {
    /* nor by API on B: refused (the owner records) */
    g_autofree char *path = g_strdup_printf ("/api/v1/rooms/%s/recording", room);
    guint status = hz_test_http (b->base_url, "POST", path, HZ_TEST_ADMIN_KEY, "{\"action\":\"start\"}", NULL);

    g_test_message ("recording start on the satellite's node: HTTP %u", status);
    g_assert_cmpuint (status, ==, 409);
    g_assert_false (recordings_exist (b));
  }
  /* a later viewer on B learns it from its joined */
  {
    g_autoptr(HzTestClient) late = hz_test_client_new (b->base_url);
    g_autoptr(JsonObject) jl = join_as (late, b, room, "student-c", "observer");

    g_assert_true (json_object_get_boolean_member (jl, "recording"));
    hz_test_client_send (late, "{\"type\":\"leave\"}");
  }
  pump (500);
  exchange (presenter, &pres, &va, &vb);
  latency_of (&pres, &va, &med_a, &p95_a);
  latency_of (&pres, &vb, &med_b, &p95_b);
  g_test_message ("join path: latency A median %.3f ms p95 %.3f ms; B median %.3f ms p95 %.3f ms",
                  med_a, p95_a, med_b, p95_b);

  /* The presenter stops the recording: B's viewers see it stop. */
  hz_test_client_send (presenter, "{\"type\":\"recording\",\"action\":\"stop\"}");
  msg = wait_for (viewer_b, "recording", "state", "stopped");
  g_assert_nonnull (msg);
  g_clear_pointer (&msg, json_object_unref);
  g_assert_false (recordings_exist (b));

  /* The presenter ends the room on A: B's satellite room closes too. */
  hz_test_client_send (presenter, "{\"type\":\"moderate\",\"action\":\"end\"}");
  msg = hz_test_client_wait (viewer_b, "room_closed", 10000);
  g_assert_nonnull (msg);
  g_test_message ("B's viewer: room_closed (%s)", json_object_get_string_member (msg, "reason"));
  g_clear_pointer (&msg, json_object_unref);
  {
    /* the room's record of who was there (shared store): the people on
     * both nodes (the relayed presenter on B is a cascade user), never the
     * relay on A */
    g_autoptr(GError) error = NULL;
    g_autoptr(HzDb) db = hz_db_open (db_url, &error);
    g_autoptr(HzRoomStore) store = NULL;
    g_autoptr(GPtrArray) parts = NULL;
    guint people = 0;

    g_assert_no_error (error);
    store = hz_room_store_new (db);
    parts = hz_room_store_list_participants (store, room, FALSE, &error);
    g_assert_no_error (error);
    for (guint i = 0; i < parts->len; i++) {
      HzParticipant *p = g_ptr_array_index (parts, i);

      g_test_message ("recorded participant: %s (%s, %s)", p->user_id, p->display_name, hz_role_to_string (p->role));
      g_assert_cmpint (p->role, !=, HZ_ROLE_RELAY);
      g_assert_false (hz_cascade_is_relay_user (p->user_id));
      g_assert_false (g_str_has_prefix (p->display_name, HZ_CASCADE_RELAY_NAME_PREFIX));
      people += g_strcmp0 (p->user_id, "teacher") == 0 || g_strcmp0 (p->user_id, "student-a") == 0 ||
                g_strcmp0 (p->user_id, "student-b") == 0;
    }
    g_assert_cmpuint (people, ==, 3);
  }

  g_clear_pointer (&viewer_b, hz_test_client_free);
  g_clear_pointer (&viewer_a, hz_test_client_free);
  g_clear_pointer (&presenter, hz_test_client_free);
  hz_test_server_stop (b);
  hz_test_server_stop (a);
  remove_db (db_path, shared_dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/cascade/two-nodes", test_cascade_two_nodes);
  g_test_add_func ("/cascade/join-path", test_cascade_join_path);
  return g_test_run ();
}
