/* hz-ice-tcp: ICE-TCP (RFC 6544) for clients whose network blocks UDP.
 *
 * Owns: one listening TCP port shared by every peer connection of the
 * process ([media] ice_tcp_port, announced as a passive host candidate),
 * the registry of local ICE ufrags that routes an accepted connection to
 * its peer, and each connection's RFC 4571 framing, STUN Binding answers
 * and send queue (HzIceTcpConn).
 *
 * Why hand-written: libnice has ICE-TCP, but each agent listens on a port
 * of its own, so a firewall would have to open the whole media range for
 * TCP. One port for all connections (what a hospital's IT team can open)
 * needs the connections sorted by the USERNAME of their first Binding
 * request, which no library here does. STUN parsing, MESSAGE-INTEGRITY and
 * FINGERPRINT are libnice's stun library.
 *
 * Threads: the listener runs on the context given to hz_ice_tcp_new (the
 * control plane's). It reads each new connection's first frame, checks it
 * is a Binding request authenticated for a registered ufrag, and hands the
 * connection to that peer's worker context. An HzIceTcpConn is then used on
 * that worker only. The registry is the only shared state (a mutex).
 * The server is the controlled, passive side: it answers checks and never
 * sends its own, the way an ICE-lite server does on every transport.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _HzIceTcp HzIceTcp;
typedef struct _HzIceTcpConn HzIceTcpConn;

/* Largest RFC 4571 frame (its length field is 16 bits). */
#define HZ_ICE_TCP_MAX_FRAME 65535
/* Octets queued for a slow connection before further packets are dropped
 * (a whole frame or nothing, so the stream stays framed). */
#define HZ_ICE_TCP_MAX_QUEUE (1024 * 1024)

/* Listens on @ip:@port (port 0: any free port; see hz_ice_tcp_get_port),
 * on @context (NULL: the thread-default context). */
HzIceTcp *hz_ice_tcp_new (const char *ip, guint port, GMainContext *context, GError **error);
HzIceTcp *hz_ice_tcp_ref (HzIceTcp *self);
void hz_ice_tcp_unref (HzIceTcp *self);
guint hz_ice_tcp_get_port (HzIceTcp *self);
/* Connections handed to a peer, and refused (bad or no first frame,
 * unknown ufrag, failed integrity, too many waiting), since the start. */
typedef struct {
  guint64 handed_over, refused;
} HzIceTcpStats;
void hz_ice_tcp_get_stats (HzIceTcp *self, HzIceTcpStats *stats);
/* "candidate:... 1 tcp PRIO IP PORT typ host tcptype passive" (free it) */
char *hz_ice_tcp_candidate (HzIceTcp *self);

/* Called on @context (the peer's worker) with a connection whose first
 * Binding request was authenticated with @owner's credentials. The owner
 * takes it (hz_ice_tcp_conn_start) or frees it. */
typedef void (*HzIceTcpAttachFunc) (gpointer owner, HzIceTcpConn *conn);

/* From the owner's thread. A ufrag names one owner; registering it again
 * replaces the entry. Unregister before the owner is freed. */
void hz_ice_tcp_register (HzIceTcp *self, const char *local_ufrag, const char *local_pwd,
                          GMainContext *context, HzIceTcpAttachFunc attach, gpointer owner);
void hz_ice_tcp_unregister (HzIceTcp *self, const char *local_ufrag, gpointer owner);

/* --- one connection, on its owner's context --- */

typedef struct {
  /* a frame that is not STUN (DTLS, SRTP, SRTCP); @buf is writable and
   * valid during the call only */
  void (*packet) (HzIceTcpConn *conn, guint8 *buf, gsize len, gpointer user_data);
  /* a Binding request with USE-CANDIDATE was answered: the controlling
   * agent chose this connection */
  void (*nominated) (HzIceTcpConn *conn, gpointer user_data);
  /* the remote closed it or it broke; free it (not from inside the call) */
  void (*closed) (HzIceTcpConn *conn, gpointer user_data);
} HzIceTcpConnCallbacks;

/* Starts reading (the frames already read are handled first) and answering
 * Binding requests with these credentials. */
void hz_ice_tcp_conn_start (HzIceTcpConn *conn, const char *local_ufrag, const char *local_pwd,
                            const HzIceTcpConnCallbacks *callbacks, gpointer user_data);
/* After an ICE restart: checks with the new credentials are answered. */
void hz_ice_tcp_conn_set_credentials (HzIceTcpConn *conn, const char *local_ufrag,
                                      const char *local_pwd);
/* Frames @buf (RFC 4571) and writes it, or queues it while the socket is
 * full; FALSE when the connection is closed or its queue is full. */
gboolean hz_ice_tcp_conn_send (HzIceTcpConn *conn, const guint8 *buf, gsize len);
/* "ip:port" of the remote, for logs */
const char *hz_ice_tcp_conn_get_remote (HzIceTcpConn *conn);
gboolean hz_ice_tcp_conn_is_closed (HzIceTcpConn *conn);
void hz_ice_tcp_conn_free (HzIceTcpConn *conn);

/* --- shared with the listener (hz-ice-tcp.c) --- */

/* Takes @fd and the first @pending_len octets already read from it. */
HzIceTcpConn *hz_ice_tcp_conn_new (int fd, GMainContext *context, const guint8 *pending,
                                   gsize pending_len, const char *remote);
/* TRUE when @frame is a STUN Binding request whose USERNAME starts with
 * "@local_ufrag:" and whose MESSAGE-INTEGRITY verifies with @local_pwd. */
gboolean hz_ice_tcp_check_binding (const guint8 *frame, gsize len, const char *local_ufrag,
                                   const char *local_pwd);
/* The local ufrag named by a Binding request's USERNAME, or NULL. */
char *hz_ice_tcp_binding_ufrag (const guint8 *frame, gsize len);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HzIceTcp, hz_ice_tcp_unref)

G_END_DECLS
