/* hz-peer-private.h: what the three parts of HzPeer share (hz-peer.c:
 * state, libnice, candidates and lifetime; hz-peer-io.c: DTLS, SRTP, the
 * receive demultiplexing and the send paths; hz-peer-tcp.c: the glue to
 * the shared ICE-TCP port). Not for use outside media/hz-peer*.c. */
#pragma once

#include <agent.h>
#include <gio/gio.h>
#include <sys/socket.h>

#include "hz-peer.h"

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

/* hz-peer.c */
void hz_peer_set_state (HzPeer *self, HzPeerState state);
void hz_peer_update_remote_address (HzPeer *self);
void hz_peer_update_send_path (HzPeer *self);
void hz_peer_ice_connected (HzPeer *self);

/* hz-peer-io.c */
void hz_peer_dtls_send_cb (const guint8 *data, gsize len, gpointer user_data);
void hz_peer_dtls_arm_timer (HzPeer *self);
void hz_peer_handle_packet (HzPeer *self, const gchar *data, gsize len);

/* hz-peer-tcp.c */
gboolean hz_peer_udp_failed_grace_cb (gpointer user_data);
void hz_peer_tcp_attach_cb (gpointer owner, HzIceTcpConn *conn);
void hz_peer_announce_tcp_candidate (HzPeer *self);

/* How long a libnice failure (every UDP pair failed) waits for an ICE-TCP
 * connection before the peer is failed: a browser behind a UDP-blocking
 * firewall connects over TCP within a second or two. */
#define HZ_PEER_UDP_FAILED_GRACE_MS 10000
