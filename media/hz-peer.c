/* hz-peer: one server-side WebRTC peer connection (libnice + DTLS + SRTP). */
#include "hz-peer.h"

#include <agent.h>
#include <errno.h>
#include <gio/gio.h>
#include <string.h>
#include <sys/socket.h>

#include "hz-demux.h"
#include "hz-ice-tcp.h"
#include "hz-send-batch.h"

G_DEFINE_QUARK (hz-peer-error-quark, hz_peer_error)

struct _HzPeer {
  GMainContext *context;
  NiceAgent *agent;
  guint stream_id;
  HzPeerState state;
  HzPeerCallbacks cb;
  gpointer user_data;

  HzDtlsCert *cert;
  HzDtls *dtls;
  HzDtlsRole dtls_role;
  GSource *dtls_timer;
  HzSrtp *srtp;

  /* Liveness (RFC 7675's purpose, without its STUN checks, which libnice
   * 0.1.21 got wrong on lossy links): a connected peer that has sent media
   * (RTP) and from which no authenticated SRTP/SRTCP then arrives for
   * liveness_ms is FAILED. A browser's publisher connection sends RTP all
   * the time (muted audio too: DTX frames) and RTCP every second; a
   * receive-only connection is not judged (with nothing to receive it may
   * rightly stay silent; its WebSocket covers it). The check reads the
   * packet counters from a timer: nothing is added per packet. */
  guint liveness_ms;
  GSource *liveness_timer;
  guint64 liveness_seen;    /* rtp_in + rtcp_in at the last change */
  gint64 liveness_at;       /* monotonic time of that change */

  gboolean remote_set;
  GPtrArray *early_candidates; /* remote candidates that came before set_remote */
  char *local_ufrag, *local_pwd;
  char remote_addr[64];
  HzPeerStats stats;

  /* The direct send path: the selected pair's UDP socket (libnice's own,
   * referenced) and the remote address, refreshed whenever libnice selects
   * a pair. NULL for relayed (TURN) or TCP pairs: libnice sends those. */
  GSocket *send_socket;
  int send_fd;
  socklen_t send_addr_len;
  struct sockaddr_storage send_addr;

  /* ICE-TCP (hz-ice-tcp.h): connections the shared port handed to us, and
   * the one the browser nominated (or, before a nomination, the one whose
   * DTLS/SRTP came first). While one is selected every send goes there. */
  HzIceTcp *ice_tcp;
  GPtrArray *tcp_conns;
  HzIceTcpConn *tcp_selected;
  gboolean udp_connected;   /* libnice's component is CONNECTED or READY */
  GSource *udp_failed_grace;
  gboolean tcp_only;        /* a client (tests): libnice's active ICE-TCP only */
};

/* How long a libnice failure (every UDP pair failed) waits for an ICE-TCP
 * connection before the peer is failed: a browser behind a UDP-blocking
 * firewall connects over TCP within a second or two. */
#define UDP_FAILED_GRACE_MS 10000
/* A browser opens one ICE-TCP connection per local address; more is abuse. */
#define MAX_TCP_CONNS 8

const char *
hz_peer_state_to_string (HzPeerState state)
{
  static const char *names[] = { "new", "checking", "dtls", "connected", "failed", "closed" };

  return state <= HZ_PEER_STATE_CLOSED ? names[state] : "invalid";
}

static gboolean
peer_transition_allowed (HzPeerState from, HzPeerState to)
{
  if (from == to)
    return FALSE;
  if (from == HZ_PEER_STATE_FAILED || from == HZ_PEER_STATE_CLOSED)
    return FALSE; /* terminal */
  if (to == HZ_PEER_STATE_FAILED || to == HZ_PEER_STATE_CLOSED)
    return TRUE;
  switch (from) {
  case HZ_PEER_STATE_NEW:
    return to == HZ_PEER_STATE_CHECKING;
  case HZ_PEER_STATE_CHECKING:
    return to == HZ_PEER_STATE_DTLS;
  case HZ_PEER_STATE_DTLS:
    return to == HZ_PEER_STATE_CONNECTED;
  default:
    return FALSE;
  }
}

/* The one place where the state changes. */
static void
hz_peer_set_state (HzPeer *self, HzPeerState state)
{
  if (!peer_transition_allowed (self->state, state)) {
    g_debug ("peer %p: ignoring %s -> %s", self, hz_peer_state_to_string (self->state),
             hz_peer_state_to_string (state));
    return;
  }
  g_debug ("peer %p: %s -> %s", self, hz_peer_state_to_string (self->state),
           hz_peer_state_to_string (state));
  self->state = state;
  if (self->cb.state_changed != NULL)
    self->cb.state_changed (self, state, self->user_data);
}

static void
dtls_send_cb (const guint8 *data, gsize len, gpointer user_data)
{
  HzPeer *self = user_data;

  if (self->tcp_selected != NULL)
    hz_ice_tcp_conn_send (self->tcp_selected, data, len);
  else if (self->agent != NULL)
    nice_agent_send (self->agent, self->stream_id, 1, len, (const gchar *) data);
}

static void dtls_arm_timer (HzPeer *self);

static gboolean
dtls_timer_cb (gpointer user_data)
{
  HzPeer *self = user_data;

  g_clear_pointer (&self->dtls_timer, g_source_unref);
  if (self->dtls != NULL && self->state == HZ_PEER_STATE_DTLS) {
    g_autoptr(GError) error = NULL;

    if (hz_dtls_handle_timeout (self->dtls, &error) == HZ_DTLS_STATE_FAILED) {
      g_warning ("peer %s: DTLS handshake timed out: %s", self->remote_addr,
                 error != NULL ? error->message : "no answer");
      hz_peer_set_state (self, HZ_PEER_STATE_FAILED);
      return G_SOURCE_REMOVE;
    }
    dtls_arm_timer (self);
  }
  return G_SOURCE_REMOVE;
}

static void
dtls_arm_timer (HzPeer *self)
{
  gint64 ms;

  if (self->dtls_timer != NULL) {
    g_source_destroy (self->dtls_timer);
    g_clear_pointer (&self->dtls_timer, g_source_unref);
  }
  ms = hz_dtls_get_timeout_ms (self->dtls);
  if (ms < 0 || self->state != HZ_PEER_STATE_DTLS)
    return;
  self->dtls_timer = g_timeout_source_new ((guint) MAX (ms, 1));
  g_source_set_callback (self->dtls_timer, dtls_timer_cb, self, NULL);
  g_source_attach (self->dtls_timer, self->context);
}

static gboolean
liveness_tick (gpointer user_data)
{
  HzPeer *self = user_data;
  guint64 seen = self->stats.rtp_in + self->stats.rtcp_in;
  gint64 now = g_get_monotonic_time ();

  if (self->state != HZ_PEER_STATE_CONNECTED) {
    g_clear_pointer (&self->liveness_timer, g_source_unref);
    return G_SOURCE_REMOVE;
  }
  if (seen != self->liveness_seen || self->stats.rtp_in == 0) {
    self->liveness_seen = seen;
    self->liveness_at = now;
    return G_SOURCE_CONTINUE;
  }
  if (now - self->liveness_at < (gint64) self->liveness_ms * 1000)
    return G_SOURCE_CONTINUE;
  g_message ("peer %s: no authenticated packet for %u s: the remote is gone", self->remote_addr,
             self->liveness_ms / 1000);
  g_clear_pointer (&self->liveness_timer, g_source_unref);
  hz_peer_set_state (self, HZ_PEER_STATE_FAILED);
  return G_SOURCE_REMOVE;
}

static void
liveness_start (HzPeer *self)
{
  self->liveness_seen = self->stats.rtp_in + self->stats.rtcp_in;
  self->liveness_at = g_get_monotonic_time ();
  /* checked six times per period: failed at most a sixth late */
  self->liveness_timer = g_timeout_source_new (MAX (self->liveness_ms / 6, 100));
  g_source_set_callback (self->liveness_timer, liveness_tick, self, NULL);
  g_source_attach (self->liveness_timer, self->context);
}

static void
dtls_connected (HzPeer *self)
{
  HzSrtpKeys keys;
  g_autoptr(GError) error = NULL;

  if (!hz_dtls_get_srtp_keys (self->dtls, &keys, &error) ||
      (self->srtp = hz_srtp_new (&keys, &error)) == NULL) {
    g_warning ("peer %s: no SRTP keys after DTLS: %s", self->remote_addr, error->message);
    hz_peer_set_state (self, HZ_PEER_STATE_FAILED);
    return;
  }
  memset (&keys, 0, sizeof keys);
  hz_peer_set_state (self, HZ_PEER_STATE_CONNECTED);
  if (self->state == HZ_PEER_STATE_CONNECTED && self->liveness_timer == NULL)
    liveness_start (self);
}

/* The remote's first authenticated SRTP/SRTCP packet: it has finished its
 * handshake, so it will not retransmit a flight nor need ours again, and
 * the DTLS association (the OpenSSL SSL object: ~70-90 KiB of buffers and
 * state per connection) is dropped; the SRTP keys are all that is kept.
 * Later DTLS datagrams are dropped (counted in dropped_state), and no
 * close_notify is sent when the peer is freed: the end of a connection is
 * signalled on the WebSocket (and an unauthenticated close would be a
 * forgery nobody could check anyway). */
static void
release_dtls (HzPeer *self)
{
  if (self->dtls_timer != NULL) {
    g_source_destroy (self->dtls_timer);
    g_clear_pointer (&self->dtls_timer, g_source_unref);
  }
  g_clear_pointer (&self->dtls, hz_dtls_free);
}

static void
handle_dtls (HzPeer *self, const guint8 *buf, gsize len)
{
  g_autoptr(GError) error = NULL;
  HzDtlsState before, after;

  if (self->dtls == NULL) {
    self->stats.dropped_state++;
    return;
  }
  before = hz_dtls_get_state (self->dtls);
  after = hz_dtls_handle_datagram (self->dtls, buf, len, &error);
  if (after == HZ_DTLS_STATE_FAILED) {
    g_warning ("peer %s: DTLS failed: %s", self->remote_addr,
               error != NULL ? error->message : "unknown error");
    hz_peer_set_state (self, HZ_PEER_STATE_FAILED);
    return;
  }
  if (after == HZ_DTLS_STATE_CLOSED) {
    hz_peer_set_state (self, HZ_PEER_STATE_CLOSED);
    return;
  }
  if (error != NULL)
    g_debug ("peer %s: DTLS datagram ignored: %s", self->remote_addr, error->message);
  if (after == HZ_DTLS_STATE_CONNECTED && before != HZ_DTLS_STATE_CONNECTED) {
    /* A server may see the ClientHello before libnice reports the pair. */
    if (self->state == HZ_PEER_STATE_CHECKING)
      hz_peer_set_state (self, HZ_PEER_STATE_DTLS);
    dtls_connected (self);
  } else {
    dtls_arm_timer (self);
  }
}

/* One datagram (UDP) or frame (ICE-TCP) that is not STUN. */
static void
handle_packet (HzPeer *self, const gchar *data, gsize len)
{
  gsize buf_size, n = len;
  guint8 *buf = hz_send_batch_recv_buffer (&buf_size);

  if (len > buf_size - HZ_SRTP_MAX_TRAILER) {
    self->stats.dropped_unknown++;
    return;
  }
  switch (hz_demux_classify ((const guint8 *) data, len)) {
  case HZ_PACKET_DTLS:
    handle_dtls (self, (const guint8 *) data, len);
    return;
  case HZ_PACKET_RTP:
    if (self->srtp == NULL) {
      self->stats.dropped_state++;
      return;
    }
    memcpy (buf, data, len);
    if (hz_srtp_unprotect_rtp (self->srtp, buf, &n) != HZ_SRTP_OK) {
      self->stats.dropped_srtp++;
      return;
    }
    if (G_UNLIKELY (self->dtls != NULL))
      release_dtls (self);
    self->stats.rtp_in++;
    self->stats.bytes_in += len;
    if (self->cb.rtp != NULL)
      self->cb.rtp (self, buf, n, self->user_data);
    return;
  case HZ_PACKET_RTCP:
    if (self->srtp == NULL) {
      self->stats.dropped_state++;
      return;
    }
    memcpy (buf, data, len);
    if (hz_srtp_unprotect_rtcp (self->srtp, buf, &n) != HZ_SRTP_OK) {
      self->stats.dropped_srtp++;
      return;
    }
    if (G_UNLIKELY (self->dtls != NULL))
      release_dtls (self);
    self->stats.rtcp_in++;
    if (self->cb.rtcp != NULL)
      self->cb.rtcp (self, buf, n, self->user_data);
    return;
  default:
    /* STUN never gets here: libnice and HzIceTcpConn consume it. */
    self->stats.dropped_unknown++;
    return;
  }
}

static void
recv_cb (NiceAgent *agent, guint stream_id, guint component_id, guint len, gchar *data,
         gpointer user_data)
{
  handle_packet (user_data, data, len);
}

static void
update_remote_address (HzPeer *self)
{
  NiceCandidate *local = NULL, *remote = NULL;
  char ip[NICE_ADDRESS_STRING_LEN];

  if (nice_agent_get_selected_pair (self->agent, self->stream_id, 1, &local, &remote) &&
      remote != NULL) {
    nice_address_to_string (&remote->addr, ip);
    g_snprintf (self->remote_addr, sizeof self->remote_addr, "%s:%u", ip,
                nice_address_get_port (&remote->addr));
  }
}

/* Takes the selected pair's socket for the direct send path, or drops it
 * (relayed and TCP pairs, no pair) so that libnice sends. */
static void
update_send_path (HzPeer *self)
{
  NiceCandidate *local = NULL, *remote = NULL;
  GSocket *sock = NULL;

  if (self->send_fd >= 0)
    hz_send_batch_flush (); /* nothing queued for the old pair stays behind */
  g_clear_object (&self->send_socket);
  self->send_fd = -1;
  if (self->tcp_selected != NULL)
    return; /* sent on the ICE-TCP connection */
  if (!nice_agent_get_selected_pair (self->agent, self->stream_id, 1, &local, &remote) ||
      remote == NULL || remote->transport != NICE_CANDIDATE_TRANSPORT_UDP)
    return;
  sock = nice_agent_get_selected_socket (self->agent, self->stream_id, 1);
  if (sock == NULL)
    return;
  if (g_socket_get_family (sock) != (nice_address_ip_version (&remote->addr) == 6
                                         ? G_SOCKET_FAMILY_IPV6 : G_SOCKET_FAMILY_IPV4)) {
    g_object_unref (sock);
    return;
  }
  memset (&self->send_addr, 0, sizeof self->send_addr);
  nice_address_copy_to_sockaddr (&remote->addr, (struct sockaddr *) &self->send_addr);
  self->send_addr_len = nice_address_ip_version (&remote->addr) == 6 ? sizeof (struct sockaddr_in6)
                                                                     : sizeof (struct sockaddr_in);
  self->send_socket = sock;
  self->send_fd = g_socket_get_fd (sock);
}

static void
selected_pair_cb (NiceAgent *agent, guint stream_id, guint component_id, NiceCandidate *lcand,
                  NiceCandidate *rcand, gpointer user_data)
{
  HzPeer *self = user_data;

  self->tcp_selected = NULL; /* a UDP pair nominated after a TCP one wins */
  update_remote_address (self);
  update_send_path (self);
}

/* A transport is up (a UDP pair or an ICE-TCP connection): DTLS next. */
static void
ice_connected (HzPeer *self)
{
  g_autoptr(GError) error = NULL;

  if (self->udp_failed_grace != NULL) {
    g_source_destroy (self->udp_failed_grace);
    g_clear_pointer (&self->udp_failed_grace, g_source_unref);
  }
  if (self->state != HZ_PEER_STATE_CHECKING)
    return;
  hz_peer_set_state (self, HZ_PEER_STATE_DTLS);
  if (self->dtls_role == HZ_DTLS_ROLE_CLIENT && !hz_dtls_start (self->dtls, &error)) {
    g_warning ("peer %s: cannot start DTLS: %s", self->remote_addr, error->message);
    hz_peer_set_state (self, HZ_PEER_STATE_FAILED);
    return;
  }
  dtls_arm_timer (self);
}

static gboolean
udp_failed_grace_cb (gpointer user_data)
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
  update_send_path (self);
  ice_connected (self);
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
  handle_packet (self, (const gchar *) buf, len);
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
    update_remote_address (self);
    update_send_path (self);
  } else {
    hz_peer_set_state (self, HZ_PEER_STATE_FAILED);
  }
}

static void
tcp_attach_cb (gpointer owner, HzIceTcpConn *conn)
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

static void
component_state_cb (NiceAgent *agent, guint stream_id, guint component_id, guint state,
                    gpointer user_data)
{
  HzPeer *self = user_data;

  self->udp_connected = state == NICE_COMPONENT_STATE_CONNECTED ||
                        state == NICE_COMPONENT_STATE_READY;
  switch (state) {
  case NICE_COMPONENT_STATE_CONNECTED:
  case NICE_COMPONENT_STATE_READY:
    if (self->tcp_selected == NULL) {
      update_remote_address (self);
      update_send_path (self);
    }
    ice_connected (self);
    return;
  case NICE_COMPONENT_STATE_FAILED:
    update_send_path (self);
    if (self->tcp_selected != NULL) {
      g_debug ("peer %s: every UDP pair failed; staying on ICE-TCP", self->remote_addr);
      return;
    }
    if (self->ice_tcp != NULL && self->state == HZ_PEER_STATE_CHECKING) {
      /* the browser may still come over the ICE-TCP port */
      if (self->udp_failed_grace == NULL) {
        self->udp_failed_grace = g_timeout_source_new (UDP_FAILED_GRACE_MS);
        g_source_set_callback (self->udp_failed_grace, udp_failed_grace_cb, self, NULL);
        g_source_attach (self->udp_failed_grace, self->context);
      }
      return;
    }
    g_message ("peer %s: ICE failed", self->remote_addr);
    hz_peer_set_state (self, HZ_PEER_STATE_FAILED);
    return;
  default:
    return;
  }
}

static void
new_candidate_cb (NiceAgent *agent, NiceCandidate *candidate, gpointer user_data)
{
  HzPeer *self = user_data;
  g_autofree char *line = nice_agent_generate_local_candidate_sdp (agent, candidate);
  const char *text = line;

  if (line == NULL)
    return;
  if (g_str_has_prefix (text, "a="))
    text += 2;
  if (self->cb.local_candidate != NULL)
    self->cb.local_candidate (self, text, self->user_data);
}

static void
announce_tcp_candidate (HzPeer *self)
{
  g_autofree char *line = NULL;

  if (self->ice_tcp == NULL || self->cb.local_candidate == NULL)
    return;
  line = hz_ice_tcp_candidate (self->ice_tcp);
  self->cb.local_candidate (self, line, self->user_data);
}

static void
gathering_done_cb (NiceAgent *agent, guint stream_id, gpointer user_data)
{
  HzPeer *self = user_data;

  announce_tcp_candidate (self);
  if (self->cb.local_candidate != NULL)
    self->cb.local_candidate (self, NULL, self->user_data);
}

HzPeer *
hz_peer_new (GMainContext *context, const HzPeerConfig *config,
             const HzPeerCallbacks *callbacks, gpointer user_data, GError **error)
{
  g_autoptr(HzPeer) self = g_new0 (HzPeer, 1);
  NiceAddress addr;
  gchar *ufrag = NULL, *pwd = NULL;

  g_return_val_if_fail (config != NULL && config->cert != NULL, NULL);

  self->context = g_main_context_ref (context);
  self->cb = *callbacks;
  self->user_data = user_data;
  self->cert = hz_dtls_cert_ref (config->cert);
  self->early_candidates = g_ptr_array_new_with_free_func (g_free);
  self->send_fd = -1;
  self->liveness_ms = config->liveness_timeout_ms != 0 ? config->liveness_timeout_ms : 30000;
  g_strlcpy (self->remote_addr, "(not connected)", sizeof self->remote_addr);

  /* No NICE_AGENT_OPTION_CONSENT_FRESHNESS: libnice 0.1.21 failed healthy
   * connections on a 5 % lossy link with it (tests/impair). A vanished
   * browser is noticed by its WebSocket (pinged after 10 s, dropped after
   * 25 s), which removes its connections. */
  self->agent = nice_agent_new_full (context, NICE_COMPATIBILITY_RFC5245,
                                     NICE_AGENT_OPTION_ICE_TRICKLE);
  /* The server's ICE-TCP is the shared port (hz-ice-tcp.h), not libnice's
   * per-agent one; a tcp_only client (tests) lets libnice do active TCP. */
  g_object_set (self->agent, "controlling-mode", config->controlling, "ice-tcp",
                config->tcp_only, "ice-udp", !config->tcp_only, "upnp", FALSE, NULL);
  self->tcp_only = config->tcp_only;
  if (config->ip != NULL && config->ip[0] != '\0') {
    /* libnice skips loopback when it gathers on its own: name the address. */
    nice_address_init (&addr);
    if (!nice_address_set_from_string (&addr, config->ip)) {
      g_set_error (error, HZ_PEER_ERROR, HZ_PEER_ERROR_FAILED, "bad media ip '%s'", config->ip);
      return NULL;
    }
    nice_agent_add_local_address (self->agent, &addr);
  }
  self->stream_id = nice_agent_add_stream (self->agent, 1);
  if (self->stream_id == 0) {
    g_set_error_literal (error, HZ_PEER_ERROR, HZ_PEER_ERROR_FAILED, "cannot add ICE stream");
    return NULL;
  }
  if (config->port_min > 0 && config->port_max >= config->port_min)
    nice_agent_set_port_range (self->agent, self->stream_id, 1, config->port_min,
                               config->port_max);
  if (config->local_ufrag != NULL && config->local_pwd != NULL &&
      !nice_agent_set_local_credentials (self->agent, self->stream_id, config->local_ufrag,
                                         config->local_pwd)) {
    g_set_error_literal (error, HZ_PEER_ERROR, HZ_PEER_ERROR_FAILED,
                         "cannot set local ICE credentials");
    return NULL;
  }
  nice_agent_get_local_credentials (self->agent, self->stream_id, &ufrag, &pwd);
  self->local_ufrag = ufrag;
  self->local_pwd = pwd;
  self->tcp_conns = g_ptr_array_new_with_free_func ((GDestroyNotify) hz_ice_tcp_conn_free);
  if (config->ice_tcp != NULL) {
    self->ice_tcp = hz_ice_tcp_ref (config->ice_tcp);
    hz_ice_tcp_register (self->ice_tcp, ufrag, pwd, context, tcp_attach_cb, self);
  }

  g_signal_connect (self->agent, "component-state-changed", G_CALLBACK (component_state_cb), self);
  g_signal_connect (self->agent, "new-candidate-full", G_CALLBACK (new_candidate_cb), self);
  g_signal_connect (self->agent, "candidate-gathering-done", G_CALLBACK (gathering_done_cb), self);
  g_signal_connect (self->agent, "new-selected-pair-full", G_CALLBACK (selected_pair_cb), self);
  nice_agent_attach_recv (self->agent, self->stream_id, 1, context, recv_cb, self);
  return g_steal_pointer (&self);
}

gboolean
hz_peer_gather (HzPeer *self, GError **error)
{
  if (!nice_agent_gather_candidates (self->agent, self->stream_id)) {
    g_set_error (error, HZ_PEER_ERROR, HZ_PEER_ERROR_FAILED,
                 "cannot gather ICE candidates (no free port in the media port range?)");
    return FALSE;
  }
  return TRUE;
}

void
hz_peer_free (HzPeer *self)
{
  if (self == NULL)
    return;
  if (self->dtls_timer != NULL) {
    g_source_destroy (self->dtls_timer);
    g_source_unref (self->dtls_timer);
  }
  if (self->liveness_timer != NULL) {
    g_source_destroy (self->liveness_timer);
    g_source_unref (self->liveness_timer);
  }
  if (self->udp_failed_grace != NULL) {
    g_source_destroy (self->udp_failed_grace);
    g_source_unref (self->udp_failed_grace);
  }
  if (self->ice_tcp != NULL) {
    hz_ice_tcp_unregister (self->ice_tcp, self->local_ufrag, self);
    hz_ice_tcp_unref (self->ice_tcp);
  }
  self->tcp_selected = NULL;
  g_clear_pointer (&self->tcp_conns, g_ptr_array_unref);
  if (self->send_fd >= 0) {
    hz_send_batch_flush (); /* before the socket can close */
    g_clear_object (&self->send_socket);
    self->send_fd = -1;
  }
  if (self->dtls != NULL && self->state == HZ_PEER_STATE_CONNECTED)
    hz_dtls_close (self->dtls); /* not released yet (see release_dtls): close_notify */
  if (self->agent != NULL) {
    g_signal_handlers_disconnect_by_data (self->agent, self);
    nice_agent_attach_recv (self->agent, self->stream_id, 1, self->context, NULL, NULL);
    nice_agent_remove_stream (self->agent, self->stream_id);
    g_object_unref (self->agent);
  }
  g_clear_pointer (&self->srtp, hz_srtp_free);
  g_clear_pointer (&self->dtls, hz_dtls_free);
  g_clear_pointer (&self->cert, hz_dtls_cert_unref);
  g_clear_pointer (&self->early_candidates, g_ptr_array_unref);
  g_free (self->local_ufrag);
  g_free (self->local_pwd);
  g_main_context_unref (self->context);
  g_free (self);
}

const char *
hz_peer_get_local_ufrag (HzPeer *self)
{
  return self->local_ufrag;
}

const char *
hz_peer_get_local_pwd (HzPeer *self)
{
  return self->local_pwd;
}

static gboolean
add_candidate_now (HzPeer *self, const char *candidate, GError **error)
{
  g_autofree char *line = NULL;
  NiceCandidate *cand;
  GSList *list;
  int added;

  line = g_str_has_prefix (candidate, "a=") ? g_strdup (candidate)
                                            : g_strconcat ("a=", candidate, NULL);
  cand = nice_agent_parse_remote_candidate_sdp (self->agent, self->stream_id, line);
  if (cand == NULL) {
    /* mDNS (.local) host names and TCP candidates land here; the peer's
     * checks still reach us and become peer-reflexive candidates. */
    g_set_error (error, HZ_PEER_ERROR, HZ_PEER_ERROR_BAD_CANDIDATE,
                 "unusable ICE candidate '%.120s'", candidate);
    return FALSE;
  }
  if ((cand->transport != NICE_CANDIDATE_TRANSPORT_UDP && !self->tcp_only) ||
      cand->component_id != 1) {
    nice_candidate_free (cand);
    g_set_error (error, HZ_PEER_ERROR, HZ_PEER_ERROR_BAD_CANDIDATE,
                 "ICE candidate is not UDP component 1: '%.120s'", candidate);
    return FALSE;
  }
  list = g_slist_append (NULL, cand);
  added = nice_agent_set_remote_candidates (self->agent, self->stream_id, 1, list);
  g_slist_free_full (list, (GDestroyNotify) nice_candidate_free);
  if (added < 0) {
    g_set_error (error, HZ_PEER_ERROR, HZ_PEER_ERROR_BAD_CANDIDATE,
                 "ICE candidate refused: '%.120s'", candidate);
    return FALSE;
  }
  return TRUE;
}

gboolean
hz_peer_set_remote (HzPeer *self, const char *ufrag, const char *pwd, const char *fp_algorithm,
                    const char *fingerprint, HzDtlsRole dtls_role, GError **error)
{
  if (self->remote_set) {
    g_set_error_literal (error, HZ_PEER_ERROR, HZ_PEER_ERROR_BAD_STATE,
                         "remote description already set (ICE restart is not supported)");
    return FALSE;
  }
  if (!nice_agent_set_remote_credentials (self->agent, self->stream_id, ufrag, pwd)) {
    g_set_error_literal (error, HZ_PEER_ERROR, HZ_PEER_ERROR_FAILED,
                         "bad remote ICE credentials");
    return FALSE;
  }
  self->dtls_role = dtls_role;
  self->dtls = hz_dtls_new (self->cert, dtls_role, fp_algorithm, fingerprint, dtls_send_cb, self,
                            error);
  if (self->dtls == NULL)
    return FALSE;
  self->remote_set = TRUE;
  hz_peer_set_state (self, HZ_PEER_STATE_CHECKING);
  for (guint i = 0; i < self->early_candidates->len; i++) {
    g_autoptr(GError) local_error = NULL;
    const char *c = g_ptr_array_index (self->early_candidates, i);

    if (c[0] == '\0')
      nice_agent_peer_candidate_gathering_done (self->agent, self->stream_id);
    else if (!add_candidate_now (self, c, &local_error))
      g_debug ("%s", local_error->message);
  }
  g_ptr_array_set_size (self->early_candidates, 0);
  return TRUE;
}

gboolean
hz_peer_add_remote_candidate (HzPeer *self, const char *candidate, GError **error)
{
  if (!self->remote_set) {
    if (self->early_candidates->len >= 64) {
      g_set_error_literal (error, HZ_PEER_ERROR, HZ_PEER_ERROR_BAD_CANDIDATE,
                           "too many ICE candidates before the remote description");
      return FALSE;
    }
    g_ptr_array_add (self->early_candidates, g_strdup (candidate != NULL ? candidate : ""));
    return TRUE;
  }
  if (candidate == NULL || candidate[0] == '\0') {
    nice_agent_peer_candidate_gathering_done (self->agent, self->stream_id);
    return TRUE;
  }
  return add_candidate_now (self, candidate, error);
}

gboolean
hz_peer_restart_ice (HzPeer *self, const char *local_ufrag, const char *local_pwd,
                     const char *remote_ufrag, const char *remote_pwd, GError **error)
{
  GSList *locals;

  if (!self->remote_set || self->state == HZ_PEER_STATE_FAILED ||
      self->state == HZ_PEER_STATE_CLOSED) {
    g_set_error_literal (error, HZ_PEER_ERROR, HZ_PEER_ERROR_BAD_STATE,
                         "ICE restart needs a live connection");
    return FALSE;
  }
  if (!nice_agent_restart_stream (self->agent, self->stream_id) ||
      !nice_agent_set_local_credentials (self->agent, self->stream_id, local_ufrag, local_pwd) ||
      !nice_agent_set_remote_credentials (self->agent, self->stream_id, remote_ufrag, remote_pwd)) {
    g_set_error_literal (error, HZ_PEER_ERROR, HZ_PEER_ERROR_FAILED, "ICE restart refused");
    return FALSE;
  }
  if (self->ice_tcp != NULL) {
    hz_ice_tcp_unregister (self->ice_tcp, self->local_ufrag, self);
    hz_ice_tcp_register (self->ice_tcp, local_ufrag, local_pwd, self->context, tcp_attach_cb,
                         self);
  }
  for (guint i = 0; i < self->tcp_conns->len; i++)
    hz_ice_tcp_conn_set_credentials (g_ptr_array_index (self->tcp_conns, i), local_ufrag,
                                     local_pwd);
  g_free (self->local_ufrag);
  g_free (self->local_pwd);
  self->local_ufrag = g_strdup (local_ufrag);
  self->local_pwd = g_strdup (local_pwd);
  /* The remote side needs our candidates for the new generation. */
  locals = nice_agent_get_local_candidates (self->agent, self->stream_id, 1);
  for (GSList *l = locals; l != NULL; l = l->next)
    new_candidate_cb (self->agent, l->data, self);
  g_slist_free_full (locals, (GDestroyNotify) nice_candidate_free);
  announce_tcp_candidate (self);
  if (self->cb.local_candidate != NULL)
    self->cb.local_candidate (self, NULL, self->user_data);
  return TRUE;
}

HzPeerState
hz_peer_get_state (HzPeer *self)
{
  return self->state;
}

const char *
hz_peer_get_remote_address (HzPeer *self)
{
  return self->remote_addr;
}

guint8 *
hz_peer_get_send_buffer (HzPeer *self, gsize *size)
{
  *size = HZ_PEER_SEND_BUF;
  return hz_send_batch_slot (self->context, HZ_PEER_SEND_BUF);
}

/* One datagram now: on the selected pair's socket, or through libnice. */
static gboolean
send_now (HzPeer *self, const guint8 *buf, gsize n)
{
  if (self->send_fd >= 0) {
    ssize_t r;

    do
      r = sendto (self->send_fd, buf, n, 0, (const struct sockaddr *) &self->send_addr,
                  self->send_addr_len);
    while (r < 0 && errno == EINTR);
    if (r != (ssize_t) n)
      self->stats.send_errors++;
    return r == (ssize_t) n;
  }
  if (self->tcp_selected != NULL) {
    if (!hz_ice_tcp_conn_send (self->tcp_selected, buf, n)) {
      self->stats.send_errors++;
      return FALSE;
    }
    return TRUE;
  }
  return nice_agent_send (self->agent, self->stream_id, 1, n, (const gchar *) buf) >= 0;
}

gboolean
hz_peer_send_rtp (HzPeer *self, guint8 *buf, gsize len, gsize buf_size)
{
  gsize n = len;

  if (self->srtp == NULL) {
    self->stats.dropped_state++;
    return FALSE;
  }
  if (hz_srtp_protect_rtp (self->srtp, buf, &n, buf_size) != HZ_SRTP_OK)
    return FALSE;
  /* built in the batch slot (hz_peer_get_send_buffer): queued */
  if (!(self->send_fd >= 0 &&
        hz_send_batch_queue (self->context, buf, n, self->send_fd,
                             (const struct sockaddr *) &self->send_addr, self->send_addr_len,
                             &self->stats.send_errors)) &&
      !send_now (self, buf, n))
    return FALSE;
  self->stats.rtp_out++;
  self->stats.bytes_out += n;
  return TRUE;
}

gboolean
hz_peer_send_rtcp (HzPeer *self, guint8 *buf, gsize len, gsize buf_size)
{
  gsize n = len;

  if (self->srtp == NULL) {
    self->stats.dropped_state++;
    return FALSE;
  }
  if (hz_srtp_protect_rtcp (self->srtp, buf, &n, buf_size) != HZ_SRTP_OK)
    return FALSE;
  if (!send_now (self, buf, n))
    return FALSE;
  self->stats.rtcp_out++;
  return TRUE;
}

void
hz_peer_get_stats (HzPeer *self, HzPeerStats *stats)
{
  *stats = self->stats;
}
