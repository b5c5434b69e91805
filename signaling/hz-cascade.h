/* hz-cascade: teaching rooms larger than one node (owner: cascade).
 *
 * Owns: the placement decision for a viewer of a teaching room (the owner
 * node, or a satellite of the room on the node the viewer came through), and
 * the satellites on this node. A satellite is one relay per room and node: a
 * signaling bridge with two WebSocket clients, one to the owner's /ws (a
 * subscriber there, role relay: hidden from the room, identity
 * "cascade:<this node>") and one to this node's own /ws (a publisher here,
 * role presenter, identity "cascade:<owner node>"). The owner's subscriber offer is handed to this
 * node as the relay member's publish offer and the answer goes back, trickle
 * both ways; so the owner's subscriber endpoint and this node's publisher
 * endpoint form ONE peer connection between the nodes: ICE, its own DTLS
 * handshake and so SRTP keys of its own (keyed per relay), BUNDLE, RTX.
 *
 * The presenter's packets are decrypted here once and forwarded to this
 * node's viewers by the normal router path, as if the relay member published
 * them; key-frame requests (PLI/FIR) and the NACKs this node cannot answer
 * from its cache go upstream over the same connection's RTCP, where the
 * owner's router treats them as a subscriber's and passes PLIs on to the
 * presenter. Mutes on the owner are mirrored, and so is its recording state
 * (the satellite never records: hz-cascade-join.c); chat crosses both ways
 * and this node's raised hands go up to the owner's moderators, as
 * "cascade_relay" messages of the two members. The satellite ends when its
 * last local viewer has left (after a short grace), when the owner closes the
 * room, or when either WebSocket closes.
 *
 * Runs on the main context only; Knows nothing of Redis (the caller brings
 * the owner's viewer count, see hz_cascade_decide).
 */
#pragma once

#include <gio/gio.h>

#include "hz-role.h"
#include "hz-token.h"

G_BEGIN_DECLS

#define HZ_CASCADE_ERROR (hz_cascade_error_quark ())
GQuark hz_cascade_error_quark (void);

typedef enum {
  HZ_CASCADE_ERROR_INVALID, /* bad URL or room id */
  HZ_CASCADE_ERROR_TOKEN,   /* the relay tokens could not be minted */
} HzCascadeError;

/* Prefix of the user id of relay members on both nodes. */
#define HZ_CASCADE_USER_PREFIX "cascade:"
/* Display name of the relay member on the owner (role relay: not listed, not counted). */
#define HZ_CASCADE_RELAY_NAME_PREFIX "relay to "

typedef struct {
  const char *node_id;       /* this node (relay identities, logs) */
  const char *local_url;     /* this node's own base URL, e.g. http://127.0.0.1:8080 */
  const char *token_secret;  /* shared by the cluster's nodes */
  const char *admin_key;     /* the owner's admin API key (shared), for its viewer count */
  guint cascade_viewers;     /* [cluster] cascade_viewers */
  guint idle_grace_ms;       /* a satellite with no viewer ends after this; 0: 5000 */
  /* The owner closed the room (its room_closed reached the satellite):
   * close the local room too, with the same @reason. Optional. */
  void (*owner_closed) (const char *room_id, const char *reason, gpointer user_data);
  gpointer user_data;
} HzCascadeConfig;

typedef struct _HzCascade HzCascade;

HzCascade *hz_cascade_new (const HzCascadeConfig *config);
/* Ends every satellite (both WebSockets closed). */
void hz_cascade_free (HzCascade *self);

/* ---- the decision (a pure function of its arguments) ---- */

typedef enum {
  HZ_CASCADE_JOIN_OWNER,     /* join on the room's owner node, as without cascading */
  HZ_CASCADE_JOIN_SATELLITE, /* join this node's satellite of the room */
} HzCascadePlace;

/* A join of @role to a room of @kind owned by another node whose viewer
 * count is @owner_viewers. Only viewers (roles that cannot publish) of
 * teaching rooms cascade; a node that already has a satellite of the room
 * keeps its viewers (the presenter is relayed once per node); otherwise the
 * owner takes viewers until it has @cascade_viewers. Relay members
 * themselves always join where they are sent. */
HzCascadePlace hz_cascade_decide (guint cascade_viewers, HzRoomKind kind, HzRole role,
                                  const char *user, guint owner_viewers, gboolean satellite_here);

/* The entry node's whole decision for a join of @claims to a room placed on
 * @owner_node (public base URL @owner_url): without HTTP when the answer is
 * plain (a publishing role: the owner; a satellite of the room here: the
 * satellite); else the owner's admin API (GET /api/v1/rooms/{id}) tells the
 * room's kind and its live participants, whose viewers are counted. When the
 * answer is HZ_CASCADE_JOIN_SATELLITE the satellite has been started
 * (hz_cascade_ensure_satellite) and the caller joins the client here. Never
 * fails a join: an owner that cannot be asked is answered OWNER (logged).
 *
 * A soft limit: entry nodes asking at the same moment may each send one more
 * viewer to the owner (at most one per node and concurrent join); once a node
 * runs a satellite its viewers stay on it. */
void hz_cascade_route_join_async (HzCascade *self, const HzTokenClaims *claims, const char *owner_node,
                                  const char *owner_url, GCancellable *cancellable,
                                  GAsyncReadyCallback callback, gpointer user_data);
HzCascadePlace hz_cascade_route_join_finish (HzCascade *self, GAsyncResult *result, GError **error);

/* The user id is a relay member's (HZ_CASCADE_USER_PREFIX). */
gboolean hz_cascade_is_relay_user (const char *user);
/* A viewer for the counts above: a role that cannot publish in @kind and
 * not a relay member. */
gboolean hz_cascade_counts_as_viewer (HzRoomKind kind, HzRole role, const char *user);

/* ---- satellites ---- */

typedef enum {
  HZ_CASCADE_SATELLITE_NONE,       /* no satellite of that room here */
  HZ_CASCADE_SATELLITE_CONNECTING, /* WebSockets or the first offer under way */
  HZ_CASCADE_SATELLITE_RELAYING,   /* the owner's offer was answered: media can flow */
} HzCascadeSatelliteState;

/* Starts this node's satellite of @room_id, owned by @owner_node at
 * @owner_url (its base URL, http:// or https://), unless one runs already.
 * Returns FALSE only for bad arguments; a satellite that fails later ends
 * (logged) and the next call starts a new one. */
gboolean hz_cascade_ensure_satellite (HzCascade *self, const char *room_id, const char *owner_node,
                                      const char *owner_url, GError **error);
HzCascadeSatelliteState hz_cascade_get_satellite_state (HzCascade *self, const char *room_id);
guint hz_cascade_get_n_satellites (HzCascade *self);
/* Ends the satellite of @room_id now (no-op without one). */
void hz_cascade_end_satellite (HzCascade *self, const char *room_id);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HzCascade, hz_cascade_free)

G_END_DECLS
