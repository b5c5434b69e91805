/* hz-cluster-private: the pure parts of hz-cluster (no Redis, no threads, no
 * logging): the redis:// URL, the node record's JSON both ways, and the
 * least-loaded choice. Separate so the unit tests and a fuzzer reach them. */
#pragma once

#include "hz-cluster.h"

#include <hiredis/hiredis.h>

G_BEGIN_DECLS

typedef struct {
  char  *host;
  guint  port;       /* default 6379 */
  char  *password;   /* NULL: no AUTH */
  guint  db;         /* default 0 */
} HzRedisAddress;

void            hz_redis_address_free   (HzRedisAddress *addr);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HzRedisAddress, hz_redis_address_free)

/* redis://[:password@]host[:port][/db]; rediss:// is refused (hiredis 0.14 has no TLS). */
HzRedisAddress *hz_redis_address_parse  (const char *url, GError **error);

/* A node id becomes part of Redis keys and channel names: 1..64 of [A-Za-z0-9._-]. */
gboolean        hz_cluster_id_valid     (const char *id);

/* The value of node:<id>. */
char           *hz_cluster_node_to_json (const char *id, const char *url,
                                         const HzClusterLoad *load, gboolean draining);
/* Parses a node record; rooms is set by the caller (it lives in another key). */
HzClusterNode  *hz_cluster_node_from_json (const char *json, gsize len, GError **error);

/* The live, non-draining node with the lowest load score
 * (rooms + peers + 100 * cpu), ties broken by id; NULL if none. */
const HzClusterNode *hz_cluster_pick_node (GPtrArray *nodes);

/* Blocking Redis access for the cluster's threads (hz-cluster-redis.c):
 * connect with 1 s connect/I/O timeouts, AUTH and SELECT from addr; send n
 * commands pipelined (each a NULL-terminated argv) and return their replies,
 * or NULL with error after dropping *ctx (the next call reconnects). */
redisContext *hz_redis_connect  (HzRedisAddress *addr, GError **error);
GPtrArray    *hz_redis_pipeline (redisContext **ctx, HzRedisAddress *addr,
                                 const char * const * const *cmds, guint n, GError **error);
redisReply   *hz_redis_one      (redisContext **ctx, HzRedisAddress *addr,
                                 const char * const *argv, GPtrArray **keep, GError **error);

G_END_DECLS
