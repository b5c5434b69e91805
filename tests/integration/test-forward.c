/* Integration: a C publisher sends Opus and VP8 RTP through a real Huizhen
 * node (in process, real ICE/DTLS/SRTP on loopback) to a C subscriber, which
 * checks that every payload arrives intact with the SSRC the server offered;
 * key-frame requests travel back; garbage on the media ports changes
 * nothing. */
#include <gio/gio.h>
#include <string.h>

#include "hz-rtcp.h"
#include "hz-rtp.h"
#include "hz-test-client.h"

#define AUDIO_SSRC 0x11111111u
#define VIDEO_SSRC 0x22222222u
#define N_PACKETS 200

typedef struct {
  guint received[2];       /* per kind: 0 audio, 1 video */
  guint corrupt;
  guint wrong_ssrc;
  guint32 out_ssrc[2];
  gboolean seen[2][N_PACKETS];
  guint plis;              /* at the publisher */
} Check;

static gsize
make_packet (guint8 *buf, guint kind, guint index)
{
  return hz_test_media_packet (buf, kind, index, kind == 0 ? AUDIO_SSRC : VIDEO_SSRC);
}

static void
on_sub_rtp (HzTestClient *client, const guint8 *buf, gsize len, gpointer data)
{
  Check *check = data;
  HzRtpView v;
  guint kind = 0, index = 0;

  switch (hz_test_media_check (buf, len, check->out_ssrc, N_PACKETS, &kind, &index)) {
  case HZ_TEST_MEDIA_WRONG_SSRC:
    check->wrong_ssrc++;
    return;
  case HZ_TEST_MEDIA_CORRUPT:
    check->corrupt++;
    return;
  case HZ_TEST_MEDIA_OK:
    break;
  }
  /* one publisher, one subscriber, no switch: sequence numbers pass unchanged */
  if (!hz_rtp_parse (buf, len, &v) || v.seq != index) {
    check->corrupt++;
    return;
  }
  if (!check->seen[kind][index]) {
    check->seen[kind][index] = TRUE;
    check->received[kind]++;
  }
}

static void
on_pub_rtcp (HzTestClient *client, const guint8 *buf, gsize len, gpointer data)
{
  Check *check = data;

  check->plis += hz_test_count_plis (buf, len, VIDEO_SSRC);
}

/* Sends junk from a fresh socket to every media port the server told us. */
static void
spray_garbage (guint16 port)
{
  g_autoptr(GSocket) sock = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                                          G_SOCKET_PROTOCOL_UDP, NULL);
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) to = g_inet_socket_address_new (lo, port);
  guint8 junk[1200];

  for (guint i = 0; i < 50; i++) {
    for (gsize j = 0; j < sizeof junk; j++)
      junk[j] = (guint8) g_random_int ();
    junk[0] = (i % 4 == 0) ? 0x80 : (i % 4 == 1) ? 22 : (i % 4 == 2) ? 0x01 : junk[0];
    g_socket_send_to (sock, to, (const char *) junk, 20 + (i * 37) % (sizeof junk - 20), NULL, NULL);
  }
}

static guint16
server_port_of (HzPeer *peer)
{
  const char *addr = hz_peer_get_remote_address (peer);
  const char *colon = strrchr (addr, ':');

  return colon != NULL ? (guint16) atoi (colon + 1) : 0;
}

static void
test_forward_intact (void)
{
  HzTestServer *ts = hz_test_server_start ();
  g_autofree char *room = hz_test_create_room (ts, "consult");
  g_autofree char *tok_a = hz_test_issue_token (ts, room, "doctor-a", "doctor");
  g_autofree char *tok_b = hz_test_issue_token (ts, room, "specialist-b", "specialist");
  g_autoptr(HzTestClient) a = hz_test_client_new (ts->base_url);
  g_autoptr(HzTestClient) b = hz_test_client_new (ts->base_url);
  g_autoptr(JsonObject) ja = NULL, jb = NULL, published = NULL;
  Check check = { 0 };
  GArray *ssrcs;
  guint8 pkt[1500 + 160];
  guint plis_before;

  ja = hz_test_client_join (a, tok_a);
  g_assert_nonnull (ja);
  g_assert_cmpstr (json_object_get_string_member (ja, "type"), ==, "joined");
  jb = hz_test_client_join (b, tok_b);
  g_assert_cmpstr (json_object_get_string_member (jb, "type"), ==, "joined");

  hz_test_client_set_rtcp_handler (a, on_pub_rtcp, &check);
  g_assert_true (hz_test_client_publish (a, AUDIO_SSRC, VIDEO_SSRC));
  published = hz_test_client_wait (b, "track_published", 5000);
  g_assert_nonnull (published);

  /* B's subscriber offer carries both tracks (one or two offers). */
  g_assert_cmpuint (hz_test_client_subscribe (b, 5000), >=, 1);
  hz_test_client_pump (b, 100);
  if (hz_test_client_get_offered_ssrcs (b)->len < 2)
    g_assert_cmpuint (hz_test_client_subscribe (b, 5000), ==, 2);
  ssrcs = hz_test_client_get_offered_ssrcs (b);
  g_assert_cmpuint (ssrcs->len, ==, 2);
  check.out_ssrc[0] = g_array_index (ssrcs, guint32, 0);
  check.out_ssrc[1] = g_array_index (ssrcs, guint32, 1);
  g_assert_cmpuint (check.out_ssrc[0], !=, AUDIO_SSRC); /* per-subscriber SSRCs */
  hz_test_client_set_rtp_handler (b, on_sub_rtp, &check);

  g_assert_true (hz_test_clients_connected (a, b, 10000));
  /* The server side of B's connection finishes DTLS a moment later. */
  hz_test_client_pump (a, 50);
  hz_test_client_pump (b, 300);

  /* Garbage at the server's media ports must change nothing. */
  spray_garbage (server_port_of (hz_test_client_get_publisher (a)));
  spray_garbage (server_port_of (hz_test_client_get_subscriber (b)));

  for (guint i = 0; i < N_PACKETS; i++) {
    for (guint kind = 0; kind < 2; kind++) {
      gsize n = make_packet (pkt, kind, i);
      g_assert_true (hz_peer_send_rtp (hz_test_client_get_publisher (a), pkt, n, sizeof pkt));
    }
    hz_test_client_pump (a, 1);
    hz_test_client_pump (b, 1);
  }
  for (gint64 end = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
       g_get_monotonic_time () < end && check.received[0] + check.received[1] < 2 * N_PACKETS;)
    hz_test_client_pump (b, 10);

  g_test_message ("received audio %u/%d video %u/%d corrupt %u wrong-ssrc %u", check.received[0],
                  N_PACKETS, check.received[1], N_PACKETS, check.corrupt, check.wrong_ssrc);
  g_assert_cmpuint (check.corrupt, ==, 0);
  g_assert_cmpuint (check.wrong_ssrc, ==, 0);
  g_assert_cmpuint (check.received[0], ==, N_PACKETS);
  g_assert_cmpuint (check.received[1], ==, N_PACKETS);

  /* B asks for a key frame: A hears about it for its own SSRC. */
  hz_test_client_pump (a, 600); /* past the PLI rate limit */
  plis_before = check.plis;
  {
    guint8 rtcp[64 + 160];
    gsize n = hz_rtcp_build_pli (rtcp, 64, 0x12345678, check.out_ssrc[1]);
    g_assert_true (hz_peer_send_rtcp (hz_test_client_get_subscriber (b), rtcp, n, sizeof rtcp));
  }
  for (gint64 end = g_get_monotonic_time () + 3 * G_USEC_PER_SEC;
       g_get_monotonic_time () < end && check.plis == plis_before;)
    hz_test_client_pump (a, 10);
  g_assert_cmpuint (check.plis, >, plis_before);

  /* B leaves: A is told. */
  hz_test_client_send (b, "{\"type\":\"leave\"}");
  {
    g_autoptr(JsonObject) left = hz_test_client_wait (a, "participant_left", 5000);
    g_assert_nonnull (left);
  }
  g_clear_pointer (&a, hz_test_client_free);
  g_clear_pointer (&b, hz_test_client_free);
  hz_test_server_stop (ts);
}

/* A publisher whose media stops while its WebSocket lives on ([media]
 * liveness_timeout_s, here the minimum, 5 s): its connection is failed, it
 * is told (connection_state failed), the other member is told its tracks
 * are gone (track_unpublished); membership is kept. */
static void
test_forward_vanished_media (void)
{
  HzTestServer *ts;
  g_autofree char *room = NULL, *tok_a = NULL, *tok_b = NULL;
  g_autoptr(HzTestClient) a = NULL;
  g_autoptr(HzTestClient) b = NULL;
  g_autoptr(JsonObject) ja = NULL, jb = NULL, published = NULL, state = NULL, gone = NULL;
  guint8 pkt[1500 + 160];
  gint64 silent_at, told_at;

  g_setenv ("HUIZHEN_MEDIA_LIVENESS_TIMEOUT_S", "5", TRUE);
  ts = hz_test_server_start ();
  g_unsetenv ("HUIZHEN_MEDIA_LIVENESS_TIMEOUT_S");
  room = hz_test_create_room (ts, "consult");
  tok_a = hz_test_issue_token (ts, room, "doctor-a", "doctor");
  tok_b = hz_test_issue_token (ts, room, "specialist-b", "specialist");
  a = hz_test_client_new (ts->base_url);
  b = hz_test_client_new (ts->base_url);
  ja = hz_test_client_join (a, tok_a);
  g_assert_nonnull (ja);
  jb = hz_test_client_join (b, tok_b);
  g_assert_nonnull (jb);
  g_assert_true (hz_test_client_publish (a, AUDIO_SSRC, VIDEO_SSRC));
  published = hz_test_client_wait (b, "track_published", 5000);
  g_assert_nonnull (published);
  for (gint64 end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
       g_get_monotonic_time () < end;) {
    if (hz_test_client_wait_connected (a, TRUE, FALSE, 10))
      break;
    hz_test_client_pump (b, 10);
  }
  g_assert_true (hz_test_client_wait_connected (a, TRUE, FALSE, 1));
  /* one second of media, then silence */
  for (guint i = 0; i < 50; i++) {
    gsize n = make_packet (pkt, i % 2, i);
    g_assert_true (hz_peer_send_rtp (hz_test_client_get_publisher (a), pkt, n, sizeof pkt));
    hz_test_client_pump (a, 20);
  }
  silent_at = g_get_monotonic_time ();
  state = NULL;
  for (gint64 end = silent_at + 12 * G_USEC_PER_SEC; g_get_monotonic_time () < end && state == NULL;) {
    JsonObject *o = hz_test_client_wait (a, "connection_state", 200);
    if (o != NULL && g_strcmp0 (json_object_get_string_member_with_default (o, "state", ""), "failed") == 0 &&
        g_strcmp0 (json_object_get_string_member_with_default (o, "target", ""), "publisher") == 0)
      state = o;
    else if (o != NULL)
      json_object_unref (o);
    hz_test_client_pump (b, 10);
  }
  g_assert_nonnull (state);
  gone = hz_test_client_wait (b, "track_unpublished", 3000);
  g_assert_nonnull (gone);
  told_at = g_get_monotonic_time ();
  g_test_message ("silent publisher failed and B told %.1f s after its last packet (limit 5 s)",
                  (told_at - silent_at) / 1e6);
  /* still a member: chat goes through */
  hz_test_client_send (a, "{\"type\":\"chat\",\"text\":\"still here\"}");
  {
    g_autoptr(JsonObject) chat = hz_test_client_wait (b, "chat", 3000);
    g_assert_nonnull (chat);
  }
  g_clear_pointer (&a, hz_test_client_free);
  g_clear_pointer (&b, hz_test_client_free);
  hz_test_server_stop (ts);
}

/* A publisher that comes and goes (a clinic on a weak link reconnecting)
 * must not grow the other member's subscriber connection: the m-lines of
 * tracks that left are offered inactive, then given to the next tracks of
 * the same kind. Four publishers in turn: B's offers never exceed two
 * m-lines, and each publisher's packets reach B on the reused ones. */
static void
test_forward_mline_reuse (void)
{
  HzTestServer *ts = hz_test_server_start ();
  g_autofree char *room = hz_test_create_room (ts, "consult");
  g_autofree char *tok_b = hz_test_issue_token (ts, room, "specialist-b", "specialist");
  g_autoptr(HzTestClient) b = hz_test_client_new (ts->base_url);
  g_autoptr(JsonObject) jb = hz_test_client_join (b, tok_b);
  guint8 pkt[1500 + 160];

  g_assert_cmpstr (json_object_get_string_member (jb, "type"), ==, "joined");
  for (guint round = 0; round < 4; round++) {
    g_autofree char *user = g_strdup_printf ("doctor-%u", round);
    g_autofree char *tok = hz_test_issue_token (ts, room, user, "doctor");
    g_autoptr(HzTestClient) a = hz_test_client_new (ts->base_url);
    g_autoptr(JsonObject) ja = hz_test_client_join (a, tok);
    guint32 audio = AUDIO_SSRC + round * 16, video = VIDEO_SSRC + round * 16;
    Check check = { 0 };
    GArray *ssrcs;
    guint lines, live = 0;

    g_assert_cmpstr (json_object_get_string_member (ja, "type"), ==, "joined");
    g_assert_true (hz_test_client_publish (a, audio, video));
    /* both tracks offered (in one offer or two) */
    for (guint offers = 0; offers < 3 && live < 2; offers++) {
      lines = hz_test_client_subscribe (b, 5000);
      g_assert_cmpuint (lines, >=, 1);
      g_assert_cmpuint (lines, <=, 2);
      hz_test_client_pump (b, 50);
      ssrcs = hz_test_client_get_offered_ssrcs (b);
      live = 0;
      for (guint i = 0; i < ssrcs->len; i++)
        live += g_array_index (ssrcs, guint32, i) != 0;
    }
    g_assert_cmpuint (live, ==, 2);
    g_assert_cmpuint (ssrcs->len, ==, 2);
    check.out_ssrc[0] = g_array_index (ssrcs, guint32, 0);
    check.out_ssrc[1] = g_array_index (ssrcs, guint32, 1);
    hz_test_client_set_rtp_handler (b, on_sub_rtp, &check);
    g_assert_true (hz_test_clients_connected (a, b, 10000));
    hz_test_client_pump (a, 50);
    hz_test_client_pump (b, 300);
    for (guint i = 0; i < 40; i++) {
      for (guint kind = 0; kind < 2; kind++) {
        gsize n = hz_test_media_packet (pkt, kind, i, kind == 0 ? audio : video);
        g_assert_true (hz_peer_send_rtp (hz_test_client_get_publisher (a), pkt, n, sizeof pkt));
      }
      hz_test_client_pump (a, 1);
      hz_test_client_pump (b, 1);
    }
    for (gint64 end = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
         g_get_monotonic_time () < end && check.received[0] + check.received[1] < 80;)
      hz_test_client_pump (b, 10);
    g_test_message ("round %u: offer of %u m-lines, B got audio %u/40 video %u/40 (corrupt %u, wrong ssrc %u)",
                    round, lines, check.received[0], check.received[1], check.corrupt, check.wrong_ssrc);
    g_assert_cmpuint (check.corrupt, ==, 0);
    g_assert_cmpuint (check.received[0], ==, 40);
    g_assert_cmpuint (check.received[1], ==, 40);
    hz_test_client_set_rtp_handler (b, NULL, NULL);

    /* A leaves: B is offered its m-lines inactive, and answers */
    hz_test_client_send (a, "{\"type\":\"leave\"}");
    g_clear_pointer (&a, hz_test_client_free);
    live = 2;
    for (guint offers = 0; offers < 3 && live > 0; offers++) {
      g_assert_cmpuint (hz_test_client_subscribe (b, 5000), ==, 2);
      ssrcs = hz_test_client_get_offered_ssrcs (b);
      live = (g_array_index (ssrcs, guint32, 0) != 0) + (g_array_index (ssrcs, guint32, 1) != 0);
      hz_test_client_pump (b, 50);
    }
    g_assert_cmpuint (live, ==, 0);
  }
  g_clear_pointer (&b, hz_test_client_free);
  hz_test_server_stop (ts);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/integration/forward/intact", test_forward_intact);
  g_test_add_func ("/integration/forward/vanished-media", test_forward_vanished_media);
  g_test_add_func ("/integration/forward/mline-reuse", test_forward_mline_reuse);
  return g_test_run ();
}
