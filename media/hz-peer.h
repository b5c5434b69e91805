/* hz-peer: one WebRTC peer connection on the server side.
 *
 * Owns: the libnice agent (one stream, one component: BUNDLE + rtcp-mux
 * only), the DTLS session and the SRTP contexts of one connection, and the
 * RFC 7983 demultiplexing of what arrives on it. Decrypted RTP and RTCP are
 * handed to the owner through callbacks; the owner (the router) decides what
 * to do with them. A peer lives on one worker thread: create it, call it and
 * free it from that thread only.
 *
 * The DTLS association is dropped once the remote's first authenticated
 * SRTP/SRTCP packet shows it finished the handshake (memory: see
 * release_dtls in hz-peer.c); from then on DTLS datagrams are dropped and
 * no close_notify is sent.
 *
 * Knows nothing of rooms, SDP text, JSON or HTTP.
 */
#pragma once

#include <glib.h>

#include "hz-dtls.h"
#include "hz-ice-tcp.h"
#include "hz-srtp.h"

G_BEGIN_DECLS

#define HZ_PEER_ERROR (hz_peer_error_quark ())
GQuark hz_peer_error_quark (void);

typedef enum {
  HZ_PEER_ERROR_FAILED,
  HZ_PEER_ERROR_BAD_CANDIDATE,
  HZ_PEER_ERROR_BAD_STATE,
} HzPeerError;

/* Every change of state passes hz_peer_set_state(), which asserts it is one
 * of the legal transitions below (see hz-peer.c, peer_transition_allowed). */
typedef enum {
  HZ_PEER_STATE_NEW,        /* created, gathering; no remote description yet */
  HZ_PEER_STATE_CHECKING,   /* remote credentials known, ICE checks running */
  HZ_PEER_STATE_DTLS,       /* ICE connected, DTLS handshake in progress */
  HZ_PEER_STATE_CONNECTED,  /* SRTP keys in place: media flows */
  HZ_PEER_STATE_FAILED,     /* ICE or DTLS failed; terminal */
  HZ_PEER_STATE_CLOSED,     /* closed by us or by the remote; terminal */
} HzPeerState;

const char *hz_peer_state_to_string (HzPeerState state);

typedef struct _HzPeer HzPeer;

/* Buffers handed to on_rtp/on_rtcp are writable and @buf_size long, so the
 * receiver may rewrite and re-protect them in place. They are valid only
 * during the callback. */
typedef struct {
  void (*local_candidate) (HzPeer *peer, const char *candidate, gpointer user_data); /* "candidate:..."; NULL = gathering done */
  void (*state_changed) (HzPeer *peer, HzPeerState state, gpointer user_data);
  void (*rtp) (HzPeer *peer, guint8 *buf, gsize len, gpointer user_data);
  void (*rtcp) (HzPeer *peer, guint8 *buf, gsize len, gpointer user_data);
} HzPeerCallbacks;

typedef struct {
  const char *ip;          /* address for host candidates ([media] ip) */
  guint port_min, port_max; /* 0, 0 = any */
  HzDtlsCert *cert;
  gboolean controlling;    /* ICE role: FALSE on the server (browsers control) */
  const char *local_ufrag; /* NULL: libnice generates them */
  const char *local_pwd;
  guint liveness_timeout_ms; /* connected, no authenticated SRTP/SRTCP this long: FAILED; 0 = 30 s */
  HzIceTcp *ice_tcp;       /* server: the shared ICE-TCP port (announced, answered); NULL: none */
  gboolean tcp_only;       /* client side (tests, load generator): libnice's active ICE-TCP, no UDP */
} HzPeerConfig;

HzPeer *hz_peer_new (GMainContext *context, const HzPeerConfig *config,
                     const HzPeerCallbacks *callbacks, gpointer user_data,
                     GError **error);
void hz_peer_free (HzPeer *peer);

/* Starts gathering; local candidates arrive through local_candidate. */
gboolean hz_peer_gather (HzPeer *peer, GError **error);

const char *hz_peer_get_local_ufrag (HzPeer *peer);
const char *hz_peer_get_local_pwd (HzPeer *peer);

/* The remote description: ICE credentials, DTLS fingerprint and our DTLS
 * role (which follows a=setup). May be called once. */
gboolean hz_peer_set_remote (HzPeer *peer, const char *ufrag, const char *pwd,
                             const char *fp_algorithm, const char *fingerprint,
                             HzDtlsRole dtls_role, GError **error);
/* @candidate is "candidate:..." (with or without "a="); NULL ends them. */
gboolean hz_peer_add_remote_candidate (HzPeer *peer, const char *candidate, GError **error);

/* ICE restart (RFC 8445 §9): new local and remote credentials on the same
 * stream; the DTLS association and SRTP keys stay, media resumes on the new
 * pair. Local candidates are announced again through local_candidate. */
gboolean hz_peer_restart_ice (HzPeer *peer, const char *local_ufrag, const char *local_pwd,
                              const char *remote_ufrag, const char *remote_pwd, GError **error);

HzPeerState hz_peer_get_state (HzPeer *peer);
const char *hz_peer_get_remote_address (HzPeer *peer); /* of the selected pair, for logs */

/* Protects @buf in place and sends it. @buf_size must leave room for the
 * SRTP trailer (HZ_SRTP_MAX_TRAILER). Returns FALSE (and drops the packet)
 * when the peer is not connected or the send failed.
 *
 * Sends go straight to the selected pair's UDP socket (libnice sends only
 * relayed/TCP pairs and its own STUN). RTP built in the buffer that
 * hz_peer_get_send_buffer() returned is queued instead: the queue of the
 * calling thread is sent with one sendmmsg() per socket before the peer's
 * main context polls again (or when 64 packets are queued), so one packet
 * fanned out to many subscribers, or a burst for one, costs fewer system
 * calls. TRUE then means "queued"; a failure of the later send is counted
 * and dropped, as UDP would. */
gboolean hz_peer_send_rtp (HzPeer *peer, guint8 *buf, gsize len, gsize buf_size);

/* Size of the buffer hz_peer_get_send_buffer() returns: the largest packet
 * the router forwards (1,500 octets) plus the SRTP trailer. */
#define HZ_PEER_SEND_BUF (1500 + HZ_SRTP_MAX_TRAILER)
/* A buffer of *@size (HZ_PEER_SEND_BUF) octets in the calling thread's send
 * queue, to build one RTP packet for @peer in and pass to
 * hz_peer_send_rtp(@peer, buf, len, *size) without a further copy. Valid
 * until the next call on this thread; not passing it on is fine. */
guint8 *hz_peer_get_send_buffer (HzPeer *peer, gsize *size);
gboolean hz_peer_send_rtcp (HzPeer *peer, guint8 *buf, gsize len, gsize buf_size);

/* Counters for metrics and tests. */
typedef struct {
  guint64 rtp_in, rtp_out, rtcp_in, rtcp_out;
  guint64 bytes_in, bytes_out;
  guint64 dropped_srtp, dropped_unknown, dropped_state;
  guint64 send_errors; /* datagrams the socket refused (sent ones count in rtp_out too) */
} HzPeerStats;
void hz_peer_get_stats (HzPeer *peer, HzPeerStats *stats);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HzPeer, hz_peer_free)

G_END_DECLS
