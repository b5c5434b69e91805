/* hz-peer-io: the data path of one peer connection: DTLS handshake and
 * its timer, liveness, the RFC 7983 demultiplexing of what arrives (UDP
 * datagrams from libnice, frames from an ICE-TCP connection), SRTP, and
 * the send paths (the per-thread batch, the selected UDP socket, the
 * ICE-TCP connection, libnice). See hz-peer.h. */
#include "hz-peer-private.h"

#include <errno.h>
#include <string.h>

#include "hz-demux.h"
#include "hz-send-batch.h"

void
hz_peer_dtls_send_cb (const guint8 *data, gsize len, gpointer user_data)
{
  HzPeer *self = user_data;

  if (self->tcp_selected != NULL)
    hz_ice_tcp_conn_send (self->tcp_selected, data, len);
  else if (self->agent != NULL)
    nice_agent_send (self->agent, self->stream_id, 1, len, (const gchar *) data);
}

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
    hz_peer_dtls_arm_timer (self);
  }
  return G_SOURCE_REMOVE;
}

void
hz_peer_dtls_arm_timer (HzPeer *self)
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
    hz_peer_dtls_arm_timer (self);
  }
}

/* One datagram (UDP) or frame (ICE-TCP) that is not STUN. */
void
hz_peer_handle_packet (HzPeer *self, const gchar *data, gsize len)
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
