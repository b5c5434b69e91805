/* Unit: the shared ICE-TCP port (media/hz-ice-tcp.[ch]) driven by a raw TCP
 * client that builds its STUN with libnice's stun library: routing by
 * ufrag, MESSAGE-INTEGRITY, frames split across reads, the Binding
 * response, nomination, data frames both ways, unregistering. */
#include <gio/gio.h>
#include <stun/stunagent.h>
#include <stun/usages/ice.h>
#include <string.h>

#include "hz-ice-tcp.h"

#define UFRAG "srvUfrag"
#define PWD "server-password-of-22+"

typedef struct {
  HzIceTcpConn *conn;
  guint attached, nominated, closed;
  GByteArray *packets; /* concatenated packet frames */
} Owner;

static const uint16_t known[] = {
  STUN_ATTRIBUTE_USERNAME, STUN_ATTRIBUTE_MESSAGE_INTEGRITY, STUN_ATTRIBUTE_FINGERPRINT,
  STUN_ATTRIBUTE_PRIORITY, STUN_ATTRIBUTE_USE_CANDIDATE, STUN_ATTRIBUTE_ICE_CONTROLLING,
  STUN_ATTRIBUTE_ICE_CONTROLLED, STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS, 0,
};

static void
iterate (guint ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) ms * 1000;

  while (g_get_monotonic_time () < end)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (500);
}

static void
on_packet (HzIceTcpConn *conn, guint8 *buf, gsize len, gpointer data)
{
  Owner *o = data;

  g_byte_array_append (o->packets, buf, (guint) len);
}

static void
on_nominated (HzIceTcpConn *conn, gpointer data)
{
  ((Owner *) data)->nominated++;
}

static void
on_closed (HzIceTcpConn *conn, gpointer data)
{
  Owner *o = data;

  o->closed++;
  g_clear_pointer (&o->conn, hz_ice_tcp_conn_free);
}

static void
attach (gpointer owner, HzIceTcpConn *conn)
{
  static const HzIceTcpConnCallbacks cb = { on_packet, on_nominated, on_closed };
  Owner *o = owner;

  o->attached++;
  g_assert_null (o->conn);
  o->conn = conn;
  hz_ice_tcp_conn_start (conn, UFRAG, PWD, &cb, o);
}

static GSocket *
connect_to (HzIceTcp *ice)
{
  GSocket *s = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                             NULL);
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) to = g_inet_socket_address_new (lo, (guint16) hz_ice_tcp_get_port (ice));

  g_assert_true (g_socket_connect (s, to, NULL, NULL));
  g_socket_set_blocking (s, FALSE);
  return s;
}

/* A Binding request framed for RFC 4571 into @out; its transaction id too. */
static gsize
binding (guint8 *out, gsize size, const char *pwd, gboolean use_candidate, gboolean controlling,
         StunTransactionId id)
{
  StunAgent agent;
  StunMessage msg;
  const char *user = UFRAG ":client";
  gsize len;

  stun_agent_init (&agent, known, STUN_COMPATIBILITY_RFC5389,
                   STUN_AGENT_USAGE_SHORT_TERM_CREDENTIALS | STUN_AGENT_USAGE_USE_FINGERPRINT);
  len = stun_usage_ice_conncheck_create (&agent, &msg, out + 2, size - 2, (const uint8_t *) user,
                                         strlen (user), (const uint8_t *) pwd, strlen (pwd),
                                         use_candidate, controlling, 0x6e7f1eff, 7, NULL,
                                         STUN_USAGE_ICE_COMPATIBILITY_RFC5245);
  g_assert_cmpuint (len, >, 0);
  stun_message_id (&msg, id);
  out[0] = (guint8) (len >> 8);
  out[1] = (guint8) len;
  return len + 2;
}

/* Sends @buf in pieces of @piece octets (1: every octet its own segment). */
static void
send_pieces (GSocket *s, const guint8 *buf, gsize len, gsize piece)
{
  for (gsize at = 0; at < len;) {
    gssize r = g_socket_send (s, (const gchar *) buf + at, MIN (piece, len - at), NULL, NULL);

    if (r > 0)
      at += (gsize) r;
    iterate (piece < len ? 2 : 0);
  }
}

/* Reads one RFC 4571 frame (iterating meanwhile), at most 2 s. */
static GBytes *
read_frame (GSocket *s)
{
  guint8 buf[70000];
  gsize have = 0;
  gint64 end = g_get_monotonic_time () + 2 * G_USEC_PER_SEC;

  while (g_get_monotonic_time () < end) {
    gssize r;

    if (have >= 2 && have >= 2 + (((gsize) buf[0] << 8) | buf[1]))
      return g_bytes_new (buf + 2, ((gsize) buf[0] << 8) | buf[1]);
    r = g_socket_receive (s, (gchar *) buf + have, have < 2 ? 2 - have
                          : 2 + (((gsize) buf[0] << 8) | buf[1]) - have, NULL, NULL);
    if (r == 0)
      return NULL;
    if (r > 0)
      have += (gsize) r;
    else
      iterate (2);
  }
  return NULL;
}

static gboolean
closed_by_server (GSocket *s, guint ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) ms * 1000;
  guint8 b[64];

  while (g_get_monotonic_time () < end) {
    g_autoptr(GError) error = NULL;
    gssize r = g_socket_receive (s, (gchar *) b, sizeof b, NULL, &error);

    if (r == 0 || (r < 0 && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)))
      return TRUE;
    iterate (5);
  }
  return FALSE;
}

static void
test_ice_tcp_binding (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HzIceTcp) ice = hz_ice_tcp_new ("127.0.0.1", 0, NULL, &error);
  Owner o = { .packets = g_byte_array_new () };
  g_autoptr(GSocket) s = NULL;
  g_autoptr(GSocketAddress) local = NULL;
  g_autoptr(GBytes) reply = NULL, echoed = NULL;
  g_autofree char *cand = NULL;
  StunTransactionId id, reply_id;
  StunMessage msg = { 0 };
  struct sockaddr_storage mapped;
  socklen_t mapped_len = sizeof mapped;
  guint8 frame[600];
  guint8 dtls[] = { 0, 5, 22, 0xfe, 0xfd, 0, 1 }; /* a 5-octet "DTLS" frame */
  const guint8 *data;
  gsize n;

  g_assert_no_error (error);
  cand = hz_ice_tcp_candidate (ice);
  g_assert_true (g_str_has_prefix (cand, "candidate:"));
  g_assert_nonnull (strstr (cand, " tcp "));
  g_assert_true (g_str_has_suffix (cand, " typ host tcptype passive"));
  hz_ice_tcp_register (ice, UFRAG, PWD, g_main_context_default (), attach, &o);

  /* a Binding request one octet per segment: routed, answered */
  s = connect_to (ice);
  n = binding (frame, sizeof frame, PWD, FALSE, TRUE, id);
  send_pieces (s, frame, n, 1);
  reply = read_frame (s);
  g_assert_nonnull (reply);
  g_assert_cmpuint (o.attached, ==, 1);
  g_assert_cmpuint (o.nominated, ==, 0);
  data = g_bytes_get_data (reply, &n);
  g_assert_cmpint (stun_message_validate_buffer_length (data, n, TRUE), ==, (int) n);
  msg.buffer = (uint8_t *) data;
  msg.buffer_len = n;
  g_assert_cmpint (stun_message_get_class (&msg), ==, STUN_RESPONSE);
  g_assert_cmpint (stun_message_get_method (&msg), ==, STUN_BINDING);
  stun_message_id (&msg, reply_id);
  g_assert_cmpmem (id, sizeof id, reply_id, sizeof reply_id);
  g_assert_true (stun_message_has_attribute (&msg, STUN_ATTRIBUTE_MESSAGE_INTEGRITY));
  /* XOR-MAPPED-ADDRESS is our own end of the connection */
  g_assert_cmpint (stun_message_find_xor_addr (&msg, STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS, &mapped,
                                               &mapped_len), ==, STUN_MESSAGE_RETURN_SUCCESS);
  local = g_socket_get_local_address (s, NULL);
  g_assert_cmpuint (g_ntohs (((struct sockaddr_in *) &mapped)->sin_port), ==,
                    g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local)));

  /* A remote that believes it is controlled too (a browser answering the
   * server's offer): 487 Role Conflict, so that it takes the controlling
   * role; the server never switches (it sends no checks over TCP). */
  g_clear_pointer (&reply, g_bytes_unref);
  n = binding (frame, sizeof frame, PWD, FALSE, FALSE, id);
  send_pieces (s, frame, n, n);
  reply = read_frame (s);
  g_assert_nonnull (reply);
  data = g_bytes_get_data (reply, &n);
  msg.buffer = (uint8_t *) data;
  msg.buffer_len = n;
  g_assert_cmpint (stun_message_get_class (&msg), ==, STUN_ERROR);
  {
    int code = 0;

    g_assert_cmpint (stun_message_find_error (&msg, &code), ==, STUN_MESSAGE_RETURN_SUCCESS);
    g_assert_cmpint (code, ==, STUN_ERROR_ROLE_CONFLICT);
  }
  g_assert_cmpuint (o.nominated, ==, 0);

  /* USE-CANDIDATE nominates; then a data frame reaches the owner intact */
  n = binding (frame, sizeof frame, PWD, TRUE, TRUE, id);
  memcpy (frame + n, dtls, sizeof dtls);
  send_pieces (s, frame, n + sizeof dtls, 7);
  g_bytes_unref (read_frame (s));
  for (gint64 end = g_get_monotonic_time () + G_USEC_PER_SEC;
       g_get_monotonic_time () < end && o.packets->len < 5;)
    iterate (5);
  g_assert_cmpuint (o.nominated, ==, 1);
  g_assert_cmpmem (o.packets->data, o.packets->len, dtls + 2, 5);

  /* the owner's sends arrive framed */
  g_assert_true (hz_ice_tcp_conn_send (o.conn, (const guint8 *) "\x80hello", 6));
  echoed = read_frame (s);
  g_assert_nonnull (echoed);
  data = g_bytes_get_data (echoed, &n);
  g_assert_cmpmem (data, n, "\x80hello", 6);

  /* the remote closes: the owner is told once */
  g_clear_object (&s);
  for (gint64 end = g_get_monotonic_time () + G_USEC_PER_SEC;
       g_get_monotonic_time () < end && o.closed == 0;)
    iterate (5);
  g_assert_cmpuint (o.closed, ==, 1);
  g_assert_null (o.conn);

  hz_ice_tcp_unregister (ice, UFRAG, &o);
  g_byte_array_unref (o.packets);
}

static void
test_ice_tcp_refused (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HzIceTcp) ice = hz_ice_tcp_new ("127.0.0.1", 0, NULL, &error);
  Owner o = { .packets = g_byte_array_new () };
  StunTransactionId id;
  guint8 frame[600];
  gsize n;

  g_assert_no_error (error);
  hz_ice_tcp_register (ice, UFRAG, PWD, g_main_context_default (), attach, &o);
  {
    /* the right ufrag signed with a wrong password */
    g_autoptr(GSocket) s = connect_to (ice);
    n = binding (frame, sizeof frame, "wrong-password-0123456", TRUE, TRUE, id);
    send_pieces (s, frame, n, n);
    g_assert_true (closed_by_server (s, 2000));
  }
  {
    /* data before any Binding request */
    g_autoptr(GSocket) s = connect_to (ice);
    guint8 rtp[40] = { 0, 38, 0x80, 96 };
    send_pieces (s, rtp, sizeof rtp, sizeof rtp);
    g_assert_true (closed_by_server (s, 2000));
  }
  g_assert_cmpuint (o.attached, ==, 0);
  /* unregistered: a correct request for the old ufrag is refused */
  hz_ice_tcp_unregister (ice, UFRAG, &o);
  {
    g_autoptr(GSocket) s = connect_to (ice);
    n = binding (frame, sizeof frame, PWD, TRUE, TRUE, id);
    send_pieces (s, frame, n, n);
    g_assert_true (closed_by_server (s, 2000));
  }
  g_assert_cmpuint (o.attached, ==, 0);
  g_byte_array_unref (o.packets);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ice-tcp/binding", test_ice_tcp_binding);
  g_test_add_func ("/ice-tcp/refused", test_ice_tcp_refused);
  return g_test_run ();
}
