/* hz-signal-relay: signaling relayed between cluster nodes, so a client may
 * connect its WebSocket to any node (docs/CLUSTER.md, "Signaling relay").
 *
 * Owns, on an entry node (the client's WebSocket is here, its room is on
 * another node): the table of relayed sessions (relay id → Session); every
 * client message goes to the owner's inbox, every "relay.out" from the owner
 * goes to the client. On an owner node (the room is here, the client is
 * not): the remote sessions (relay id → a Session on a virtual HzWsConn,
 * hz-ws-virtual.h) that the normal handlers serve; their replies go back to
 * the entry node's inbox. Both sides send "relay.keep" for their relay ids
 * every HZ_RELAY_KEEP_MS; a side that hears nothing about a relay id for
 * HZ_RELAY_TIMEOUT_MS treats the other node as gone: the entry tells its
 * client "node_lost", the owner drops the remote member as it would a
 * dropped WebSocket.
 *
 * Transport: hz_cluster_send() (Redis pub/sub, one channel per node, at most
 * once, in order per sender). Main context only. */
#pragma once

#include <glib.h>

#include "hz-signal-private.h"

G_BEGIN_DECLS

#define HZ_RELAY_KEEP_MS 2000
#define HZ_RELAY_TIMEOUT_MS 7000

HzSignalRelay *hz_signal_relay_new (HzSignal *sig, HzCluster *cluster);
/* Drops every remote session (their members leave) and forgets the entry
 * sessions (their owners time them out). */
void hz_signal_relay_free (HzSignalRelay *relay);

/* A cluster inbox message; FALSE if it is not a relay.* message. Bad
 * messages are logged and ignored. */
gboolean hz_signal_relay_inbox (HzSignalRelay *relay, const char *json);

/* Entry side. The session's join (@join_text, the client's message) goes
 * to @owner; from now on the session is relayed. */
void hz_signal_relay_start (HzSignalRelay *relay, Session *s, const char *owner, const char *join_text);
/* A client message of a relayed session. */
void hz_signal_relay_forward (HzSignalRelay *relay, Session *s, const char *text);
/* The client's WebSocket closed: tell the owner. */
void hz_signal_relay_entry_closed (HzSignalRelay *relay, Session *s);

/* Owner side: after a message of a remote session was handled. A remote
 * session that is not (or no longer) a member of a room ends: the entry
 * node takes the client back (its next join is placed again). */
void hz_signal_relay_settle (HzSignalRelay *relay, Session *s);

void hz_signal_relay_get_counts (HzSignalRelay *relay, guint *entry, guint *remote);

G_END_DECLS
