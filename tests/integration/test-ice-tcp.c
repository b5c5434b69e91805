/* Integration: ICE-TCP (issue 3, restrictive networks). A real Huizhen in
 * process with [media] ice_tcp_port; a publisher and a subscriber whose
 * libnice agents may not use UDP at all (active ICE-TCP only, as a browser
 * behind a UDP-blocking firewall). Media must flow byte-exact over the
 * shared TCP port, and hostile connections to that port (garbage, a huge
 * frame, a Binding request for nobody, silence) are closed without
 * disturbing the call. */
#include <gio/gio.h>
#include <stun/stunagent.h>
#include <stun/usages/ice.h>
#include <string.h>

#include "hz-rtp.h"
#include "hz-test-client.h"

#define AUDIO_SSRC 0x31313131u
#define VIDEO_SSRC 0x32323232u
#define N_PACKETS 150

typedef struct {
  guint received[2];
  guint corrupt, wrong_ssrc;
  guint32 out_ssrc[2];
  gboolean seen[2][2 * N_PACKETS];
} Check;

static void
on_sub_rtp (HzTestClient *client, const guint8 *buf, gsize len, gpointer data)
{
  Check *check = data;
  guint kind = 0, index = 0;

  switch (hz_test_media_check (buf, len, check->out_ssrc, 2 * N_PACKETS, &kind, &index)) {
  case HZ_TEST_MEDIA_WRONG_SSRC:
    check->wrong_ssrc++;
    return;
  case HZ_TEST_MEDIA_CORRUPT:
    check->corrupt++;
    return;
  case HZ_TEST_MEDIA_OK:
    break;
  }
  if (!check->seen[kind][index]) {
    check->seen[kind][index] = TRUE;
    check->received[kind]++;
  }
}

static guint
free_tcp_port (void)
{
  g_autoptr(GSocket) s = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                       G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  g_autoptr(GSocketAddress) bound = NULL;

  g_assert_true (g_socket_bind (s, any, TRUE, NULL));
  bound = g_socket_get_local_address (s, NULL);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

static guint
port_of (const char *addr)
{
  const char *colon = strrchr (addr, ':');

  return colon != NULL ? (guint) atoi (colon + 1) : 0;
}

static GSocket *
tcp_connect (guint port)
{
  g_autoptr(GSocket) s = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                       G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) to = g_inet_socket_address_new (lo, (guint16) port);

  g_assert_true (g_socket_connect (s, to, NULL, NULL));
  g_socket_set_blocking (s, FALSE);
  return g_steal_pointer (&s);
}

/* TRUE once the server closed @s (read returns 0 or a reset), iterating
 * the main context meanwhile; at most @ms. */
static gboolean
wait_closed_by_server (GSocket *s, guint ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) ms * 1000;
  guint8 buf[512];

  while (g_get_monotonic_time () < end) {
    g_autoptr(GError) error = NULL;
    gssize r = g_socket_receive (s, (gchar *) buf, sizeof buf, NULL, &error);

    if (r == 0 || (r < 0 && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)))
      return TRUE;
    hz_test_iterate (10);
  }
  return FALSE;
}

static void
send_all (GSocket *s, const guint8 *buf, gsize len)
{
  gsize done = 0;

  while (done < len) {
    gssize r = g_socket_send (s, (const gchar *) buf + done, len - done, NULL, NULL);

    if (r > 0)
      done += (gsize) r;
    else
      hz_test_iterate (1);
  }
}

/* A well-formed, signed Binding request for a ufrag the server never gave. */
static gsize
binding_for_nobody (guint8 *frame, gsize size)
{
  static const uint16_t known[] = { STUN_ATTRIBUTE_USERNAME, STUN_ATTRIBUTE_MESSAGE_INTEGRITY,
                                    STUN_ATTRIBUTE_PRIORITY, 0 };
  StunAgent agent;
  StunMessage msg;
  const char *user = "nobodyhere:client";
  const char *pwd = "not-a-password-of-anyone";
  gsize len;

  stun_agent_init (&agent, known, STUN_COMPATIBILITY_RFC5389,
                   STUN_AGENT_USAGE_SHORT_TERM_CREDENTIALS | STUN_AGENT_USAGE_USE_FINGERPRINT);
  len = stun_usage_ice_conncheck_create (&agent, &msg, frame + 2, size - 2, (const uint8_t *) user,
                                         strlen (user), (const uint8_t *) pwd, strlen (pwd), TRUE,
                                         TRUE, 0x6e0001ff, 42, NULL,
                                         STUN_USAGE_ICE_COMPATIBILITY_RFC5245);
  g_assert_cmpuint (len, >, 0);
  frame[0] = (guint8) (len >> 8);
  frame[1] = (guint8) len;
  return len + 2;
}

/* The value of a /metrics sample line that starts with @prefix, or -1. */
static double
metric (const char *text, const char *prefix)
{
  const char *line = strstr (text, prefix);

  return line != NULL ? g_ascii_strtod (line + strlen (prefix), NULL) : -1;
}

static void
send_packets (HzTestClient *a, HzTestClient *b, guint first, guint count)
{
  guint8 pkt[1500 + 160];

  for (guint i = first; i < first + count; i++) {
    for (guint kind = 0; kind < 2; kind++) {
      gsize n = hz_test_media_packet (pkt, kind, i, kind == 0 ? AUDIO_SSRC : VIDEO_SSRC);
      g_assert_true (hz_peer_send_rtp (hz_test_client_get_publisher (a), pkt, n, sizeof pkt));
    }
    hz_test_client_pump (a, 1);
    hz_test_client_pump (b, 1);
  }
}

static void
wait_received (HzTestClient *b, Check *check, guint each)
{
  for (gint64 end = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
       g_get_monotonic_time () < end && (check->received[0] < each || check->received[1] < each);)
    hz_test_client_pump (b, 10);
}

static void
test_ice_tcp_forward (void)
{
  guint port = free_tcp_port ();
  g_autofree char *port_text = g_strdup_printf ("%u", port);
  const char *env[] = { "HUIZHEN_MEDIA_ICE_TCP_PORT", port_text, NULL };
  HzTestServer *ts = hz_test_server_start_with (env);
  g_autofree char *room = hz_test_create_room (ts, "consult");
  g_autofree char *tok_a = hz_test_issue_token (ts, room, "doctor-a", "doctor");
  g_autofree char *tok_b = hz_test_issue_token (ts, room, "specialist-b", "specialist");
  g_autoptr(HzTestClient) a = hz_test_client_new (ts->base_url);
  g_autoptr(HzTestClient) b = hz_test_client_new (ts->base_url);
  g_autoptr(JsonObject) ja = NULL, jb = NULL, published = NULL;
  Check check = { 0 };
  GArray *ssrcs;
  gint64 t0;
  guint8 frame[600];
  gsize n;

  hz_test_client_set_tcp_only (a, TRUE);
  hz_test_client_set_tcp_only (b, TRUE);
  ja = hz_test_client_join (a, tok_a);
  g_assert_cmpstr (json_object_get_string_member (ja, "type"), ==, "joined");
  jb = hz_test_client_join (b, tok_b);
  g_assert_cmpstr (json_object_get_string_member (jb, "type"), ==, "joined");

  t0 = g_get_monotonic_time ();
  g_assert_true (hz_test_client_publish (a, AUDIO_SSRC, VIDEO_SSRC));
  published = hz_test_client_wait (b, "track_published", 5000);
  g_assert_nonnull (published);
  g_assert_cmpuint (hz_test_client_subscribe (b, 5000), >=, 1);
  hz_test_client_pump (b, 100);
  if (hz_test_client_get_offered_ssrcs (b)->len < 2)
    g_assert_cmpuint (hz_test_client_subscribe (b, 5000), ==, 2);
  ssrcs = hz_test_client_get_offered_ssrcs (b);
  check.out_ssrc[0] = g_array_index (ssrcs, guint32, 0);
  check.out_ssrc[1] = g_array_index (ssrcs, guint32, 1);
  hz_test_client_set_rtp_handler (b, on_sub_rtp, &check);

  g_assert_true (hz_test_clients_connected (a, b, 15000));
  g_test_message ("both connected over ICE-TCP %.0f ms after the publish",
                  (g_get_monotonic_time () - t0) / 1000.0);
  /* the pairs the clients use end at the shared TCP port */
  g_test_message ("publisher pair -> %s, subscriber pair -> %s",
                  hz_peer_get_remote_address (hz_test_client_get_publisher (a)),
                  hz_peer_get_remote_address (hz_test_client_get_subscriber (b)));
  g_assert_cmpuint (port_of (hz_peer_get_remote_address (hz_test_client_get_publisher (a))), ==,
                    port);
  g_assert_cmpuint (port_of (hz_peer_get_remote_address (hz_test_client_get_subscriber (b))), ==,
                    port);
  hz_test_client_pump (a, 50);
  hz_test_client_pump (b, 300);

  send_packets (a, b, 0, N_PACKETS);
  wait_received (b, &check, N_PACKETS);
  g_test_message ("over TCP: audio %u/%d video %u/%d corrupt %u wrong-ssrc %u", check.received[0],
                  N_PACKETS, check.received[1], N_PACKETS, check.corrupt, check.wrong_ssrc);
  g_assert_cmpuint (check.corrupt, ==, 0);
  g_assert_cmpuint (check.wrong_ssrc, ==, 0);
  g_assert_cmpuint (check.received[0], ==, N_PACKETS);
  g_assert_cmpuint (check.received[1], ==, N_PACKETS);

  /* Hostile connections to the shared port: each is closed, the call goes on. */
  {
    g_autoptr(GSocket) junk = tcp_connect (port);
    g_autoptr(GSocket) huge = tcp_connect (port);
    g_autoptr(GSocket) nobody = tcp_connect (port);
    guint8 garbage[300];

    for (guint i = 0; i < sizeof garbage; i++)
      garbage[i] = (guint8) (i * 37 + 11);
    garbage[0] = 0x00;
    garbage[1] = 0x40; /* a 64-octet frame of junk */
    send_all (junk, garbage, sizeof garbage);
    send_all (huge, (const guint8 *) "\xff\xff", 2); /* a 65,535-octet first frame */
    n = binding_for_nobody (frame, sizeof frame);
    send_all (nobody, frame, n);
    g_assert_true (wait_closed_by_server (junk, 3000));
    g_assert_true (wait_closed_by_server (huge, 3000));
    g_assert_true (wait_closed_by_server (nobody, 3000));
  }
  send_packets (a, b, N_PACKETS, N_PACKETS);
  wait_received (b, &check, 2 * N_PACKETS);
  g_test_message ("after the hostile connections: audio %u video %u (of %d each)",
                  check.received[0], check.received[1], 2 * N_PACKETS);
  g_assert_cmpuint (check.corrupt, ==, 0);
  g_assert_cmpuint (check.received[0], ==, 2 * N_PACKETS);
  g_assert_cmpuint (check.received[1], ==, 2 * N_PACKETS);

  /* what an IT team sees: two connections handed over, three refused */
  {
    g_autofree char *metrics = hz_test_http_get_text (ts->base_url, "/metrics");

    g_assert_nonnull (metrics);
    g_assert_cmpfloat (metric (metrics, "huizhen_ice_tcp_connections_total{outcome=\"accepted\"} "), ==, 2);
    g_assert_cmpfloat (metric (metrics, "huizhen_ice_tcp_connections_total{outcome=\"refused\"} "), ==, 3);
  }

  g_clear_pointer (&a, hz_test_client_free);
  g_clear_pointer (&b, hz_test_client_free);
  hz_test_server_stop (ts);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/integration/ice-tcp/forward", test_ice_tcp_forward);
  return g_test_run ();
}
