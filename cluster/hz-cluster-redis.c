/* hz-cluster-redis: blocking hiredis calls with timeouts, for the cluster's
 * threads; see hz-cluster-private.h. */
#include "hz-cluster-private.h"

#include <string.h>

#define IO_TIMEOUT_MS 1000

/* ---- Redis helpers (the calling thread owns *ctx) ---- */

redisContext *
hz_redis_connect (HzRedisAddress *addr, GError **error)
{
  struct timeval tv = { IO_TIMEOUT_MS / 1000, (IO_TIMEOUT_MS % 1000) * 1000 };
  redisContext *c = redisConnectWithTimeout (addr->host, (int) addr->port, tv);
  redisReply *r;

  if (c == NULL || c->err) {
    g_set_error (error, HZ_CLUSTER_ERROR, HZ_CLUSTER_ERROR_REDIS, "redis %s:%u: %s",
                 addr->host, addr->port, c != NULL ? c->errstr : "out of memory");
    if (c != NULL)
      redisFree (c);
    return NULL;
  }
  redisSetTimeout (c, tv);
  if (addr->password != NULL) {
    r = redisCommand (c, "AUTH %s", addr->password);
    if (r == NULL || r->type == REDIS_REPLY_ERROR) {
      g_set_error (error, HZ_CLUSTER_ERROR, HZ_CLUSTER_ERROR_REDIS, "redis AUTH: %s",
                   r != NULL ? r->str : c->errstr);
      if (r != NULL)
        freeReplyObject (r);
      redisFree (c);
      return NULL;
    }
    freeReplyObject (r);
  }
  if (addr->db != 0) {
    r = redisCommand (c, "SELECT %u", addr->db);
    if (r == NULL || r->type == REDIS_REPLY_ERROR) {
      g_set_error (error, HZ_CLUSTER_ERROR, HZ_CLUSTER_ERROR_REDIS, "redis SELECT: %s",
                   r != NULL ? r->str : c->errstr);
      if (r != NULL)
        freeReplyObject (r);
      redisFree (c);
      return NULL;
    }
    freeReplyObject (r);
  }
  return c;
}

/* Sends argc commands pipelined (each a NULL-terminated argv) and returns
 * their replies, or NULL with error (the connection is dropped then; the
 * next call reconnects). */
GPtrArray *
hz_redis_pipeline (redisContext **ctx, HzRedisAddress *addr, const char * const * const *cmds, guint n, GError **error)
{
  g_autoptr(GPtrArray) replies = g_ptr_array_new_with_free_func (freeReplyObject);

  if ((*ctx) == NULL) {
    *ctx = hz_redis_connect (addr, error);
    if (*ctx == NULL)
      return NULL;
  }
  for (guint i = 0; i < n; i++)
    redisAppendCommandArgv ((*ctx), (int) g_strv_length ((GStrv) cmds[i]), (const char **) cmds[i], NULL);
  for (guint i = 0; i < n; i++) {
    void *r = NULL;
    if (redisGetReply ((*ctx), &r) != REDIS_OK || r == NULL) {
      g_set_error (error, HZ_CLUSTER_ERROR, HZ_CLUSTER_ERROR_REDIS, "redis: %s", (*ctx)->errstr);
      g_clear_pointer (&(*ctx), redisFree);
      return NULL;
    }
    g_ptr_array_add (replies, r);
  }
  for (guint i = 0; i < n; i++) {
    redisReply *r = g_ptr_array_index (replies, i);
    if (r->type == REDIS_REPLY_ERROR) {
      g_set_error (error, HZ_CLUSTER_ERROR, HZ_CLUSTER_ERROR_REDIS, "redis: %s", r->str);
      return NULL;
    }
  }
  return g_steal_pointer (&replies);
}

redisReply *
hz_redis_one (redisContext **ctx, HzRedisAddress *addr, const char * const *argv, GPtrArray **keep, GError **error)
{
  const char * const *cmds[] = { argv };
  *keep = hz_redis_pipeline (ctx, addr, cmds, 1, error);
  return *keep != NULL ? g_ptr_array_index (*keep, 0) : NULL;
}

