/* hz-cluster: this node's membership of a Huizhen cluster in Redis. Owns the
 * node registry (node:<id>, a JSON load record with a TTL refreshed by a
 * heartbeat), the placement of rooms on nodes (room:<id> = owning node, set
 * atomically with NX and refreshed only by its owner), the per-node room
 * counts used for least-loaded placement (node:<id>:rooms), drain, and the
 * per-node pub/sub inbox (channel node:<id>:inbox) used to relay signaling.
 *
 * Redis is reached with hiredis' synchronous API from two dedicated threads
 * (one for commands, one for the inbox subscription), with connect and I/O
 * timeouts; every result and callback is delivered in the GMainContext that
 * was thread-default when hz_cluster_new() was called. The main context never
 * waits on Redis, except hz_cluster_free() which says goodbye (bounded by the
 * I/O timeout). */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define HZ_CLUSTER_ERROR (hz_cluster_error_quark ())
GQuark hz_cluster_error_quark (void);

typedef enum {
  HZ_CLUSTER_ERROR_INVALID,   /* bad redis URL or node id */
  HZ_CLUSTER_ERROR_REDIS,     /* Redis unreachable, timed out or answered an error */
  HZ_CLUSTER_ERROR_NO_NODE,   /* no live, non-draining node can take a room */
  HZ_CLUSTER_ERROR_STOPPED,   /* the cluster handle was suspended or is shutting down */
} HzClusterError;

#define HZ_CLUSTER_DEFAULT_TTL_MS 10000

typedef struct _HzCluster HzCluster;

/* This node's load, filled by the server at every heartbeat. */
typedef struct {
  double  cpu;          /* 0..1: process CPU over all cores since the last heartbeat */
  guint   peers;        /* connected peers on this node */
  guint64 bitrate_bps;  /* bit rate forwarded by this node's SFU */
} HzClusterLoad;

/* A live node as read from Redis. */
typedef struct {
  char    *id;
  char    *url;         /* the node's public base URL (for redirects), may be "" */
  double   cpu;
  guint    peers;
  guint64  bitrate_bps;
  guint    rooms;       /* rooms placed on it whose placement has not expired */
  gboolean draining;
} HzClusterNode;

void hz_cluster_node_free (HzClusterNode *node);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HzClusterNode, hz_cluster_node_free)

typedef void (*HzClusterLoadFunc)     (HzClusterLoad *load, gpointer user_data);
/* A message published to this node's inbox; json is as given to hz_cluster_send(). */
typedef void (*HzClusterInboxFunc)    (const char *json, gpointer user_data);
/* A room this node owned was placed on another node meanwhile (this node was
 * frozen or cut off for longer than the TTL): stop hosting it. */
typedef void (*HzClusterRoomLostFunc) (const char *room_id, const char *new_owner, gpointer user_data);

HzCluster  *hz_cluster_new              (const char *redis_url,
                                         const char *node_id,
                                         const char *node_url,
                                         guint       ttl_ms,
                                         GError    **error);
void        hz_cluster_set_load_func    (HzCluster *self, HzClusterLoadFunc func, gpointer user_data);
void        hz_cluster_set_inbox_func   (HzCluster *self, HzClusterInboxFunc func, gpointer user_data);
void        hz_cluster_set_room_lost_func (HzCluster *self, HzClusterRoomLostFunc func, gpointer user_data);
/* Registers the node (first heartbeat), subscribes the inbox, starts the heartbeat. */
void        hz_cluster_start            (HzCluster *self);
const char *hz_cluster_get_node_id      (HzCluster *self);
guint       hz_cluster_get_ttl_ms       (HzCluster *self);

/* Live nodes, sorted by id. finish returns a GPtrArray of HzClusterNode. */
void        hz_cluster_list_nodes_async (HzCluster *self, GCancellable *cancellable,
                                         GAsyncReadyCallback callback, gpointer user_data);
GPtrArray  *hz_cluster_list_nodes_finish (HzCluster *self, GAsyncResult *result, GError **error);

/* The room's node: its current placement, or, if it has none (never placed,
 * or its node died and the key expired), a new atomic placement on the
 * least-loaded live non-draining node. When the answer is this node, the room
 * is owned from now on: refreshed by the heartbeat until hz_cluster_release_room(). */
void        hz_cluster_place_room_async (HzCluster *self, const char *room_id, GCancellable *cancellable,
                                         GAsyncReadyCallback callback, gpointer user_data);
/* Returns the owner's node id; url_out (optional) its public URL. */
char       *hz_cluster_place_room_finish (HzCluster *self, GAsyncResult *result,
                                          char **url_out, GError **error);
gboolean    hz_cluster_owns_room        (HzCluster *self, const char *room_id);
guint       hz_cluster_get_n_owned_rooms (HzCluster *self);
/* The room ended here: compare-and-delete its placement (only if still ours). */
void        hz_cluster_release_room     (HzCluster *self, const char *room_id);

/* Publishes json to node_id's inbox (fire and forget; Redis pub/sub is at most once). */
void        hz_cluster_send             (HzCluster *self, const char *node_id, const char *json);

/* Stops new placements on this node: its node record says "draining" from the
 * next heartbeat on, which is sent at once. Rooms already here stay. */
void        hz_cluster_drain            (HzCluster *self);
gboolean    hz_cluster_is_draining      (HzCluster *self);

/* Freeze: no heartbeat, no refresh, no Redis traffic, as a SIGSTOPped or
 * partitioned process. resume starts the heartbeat again; rooms placed
 * elsewhere meanwhile are reported through the room-lost callback. */
void        hz_cluster_suspend          (HzCluster *self);
void        hz_cluster_resume           (HzCluster *self);

/* Graceful leave: deletes this node's key and releases its rooms, then stops. */
void        hz_cluster_free             (HzCluster *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HzCluster, hz_cluster_free)

G_END_DECLS
