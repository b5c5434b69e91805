/* hz-peer-tcp: a peer connection's side of the shared ICE-TCP port
 * (hz-ice-tcp.h): taking the connections handed over, choosing the one to
 * send on (the nominated one, or before a nomination the one whose data
 * came first), announcing the passive candidate, and waiting for TCP when
 * every UDP pair failed. */
#include "hz-peer-private.h"

/* A browser opens one ICE-TCP connection per local address; more is abuse. */
#define MAX_TCP_CONNS 8

gboolean
hz_peer_udp_failed_grace_cb (gpointer user_data)
{
  HzPeer *self = user_data;

  g_clear_pointer (&self->udp_failed_grace, g_source_unref);
  if (self->tcp_selected == NULL && !self->udp_connected) {
    g_message ("peer %s: ICE failed (no UDP pair, no ICE-TCP connection)", self->remote_addr);
    hz_peer_set_state (self, HZ_PEER_STATE_FAILED);
  }
  return G_SOURCE_REMOVE;
}

static void
tcp_select (HzPeer *self, HzIceTcpConn *conn)
{
  if (self->tcp_selected == conn)
    return;
  self->tcp_selected = conn;
  g_snprintf (self->remote_addr, sizeof self->remote_addr, "tcp:%s",
              hz_ice_tcp_conn_get_remote (conn));
  g_message ("peer %s: media over ICE-TCP", self->remote_addr);
  hz_peer_update_send_path (self);
  hz_peer_ice_connected (self);
}

static void
tcp_packet_cb (HzIceTcpConn *conn, guint8 *buf, gsize len, gpointer user_data)
{
  HzPeer *self = user_data;

  /* Data before a nomination (the browser may send its ClientHello on the
   * pair it picked before the USE-CANDIDATE check): answer where it came
   * from, as an ICE-lite agent does, unless a UDP pair is up. */
  if (self->tcp_selected == NULL && !self->udp_connected)
    tcp_select (self, conn);
  hz_peer_handle_packet (self, (const gchar *) buf, len);
}

static void
tcp_nominated_cb (HzIceTcpConn *conn, gpointer user_data)
{
  tcp_select (user_data, conn);
}

static void
tcp_closed_cb (HzIceTcpConn *conn, gpointer user_data)
{
  HzPeer *self = user_data;
  gboolean was_selected = self->tcp_selected == conn;

  g_ptr_array_remove (self->tcp_conns, conn); /* frees it */
  if (!was_selected)
    return;
  self->tcp_selected = NULL;
  g_message ("peer %s: its ICE-TCP connection closed", self->remote_addr);
  if (self->udp_connected) {
    hz_peer_update_remote_address (self);
    hz_peer_update_send_path (self);
  } else {
    hz_peer_set_state (self, HZ_PEER_STATE_FAILED);
  }
}

void
hz_peer_tcp_attach_cb (gpointer owner, HzIceTcpConn *conn)
{
  static const HzIceTcpConnCallbacks callbacks = {
    .packet = tcp_packet_cb,
    .nominated = tcp_nominated_cb,
    .closed = tcp_closed_cb,
  };
  HzPeer *self = owner;

  if (self->tcp_conns->len >= MAX_TCP_CONNS || self->state == HZ_PEER_STATE_FAILED ||
      self->state == HZ_PEER_STATE_CLOSED) {
    g_message ("ICE-TCP from %s: peer %p takes no more connections; closed",
               hz_ice_tcp_conn_get_remote (conn), self);
    hz_ice_tcp_conn_free (conn);
    return;
  }
  g_ptr_array_add (self->tcp_conns, conn);
  hz_ice_tcp_conn_start (conn, self->local_ufrag, self->local_pwd, &callbacks, self);
}

void
hz_peer_announce_tcp_candidate (HzPeer *self)
{
  g_autofree char *line = NULL;

  if (self->ice_tcp == NULL || self->cb.local_candidate == NULL)
    return;
  line = hz_ice_tcp_candidate (self->ice_tcp);
  self->cb.local_candidate (self, line, self->user_data);
}
