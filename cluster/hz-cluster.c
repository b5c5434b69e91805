/* hz-cluster: see hz-cluster.h. Threads: the main context owns every field
 * marked "main"; the command thread owns `cmd` and executes Ops from a FIFO
 * queue in order; the inbox thread owns `sub`. Results travel back with
 * g_main_context_invoke (or GTask, which does the same). */
#include "hz-cluster-private.h"

#include <hiredis/hiredis.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <sys/socket.h>

#define RECONNECT_MS  500

/* Refresh a room this node owns. KEYS: room:<id>, node:<me>:rooms.
 * ARGV: me, ttl_ms, room id. Returns 1 refreshed, 2 re-claimed (the key had
 * expired and nobody took it), or the new owner's id (lost). */
static const char *SCRIPT_REFRESH =
  "local v = redis.call('GET', KEYS[1])\n"
  "if v and v ~= ARGV[1] then redis.call('ZREM', KEYS[2], ARGV[3]) return v end\n"
  "if v then redis.call('PEXPIRE', KEYS[1], ARGV[2])\n"
  "else redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) end\n"
  "local t = redis.call('TIME')\n"
  "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
  "redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), ARGV[3])\n"
  "redis.call('PEXPIRE', KEYS[2], 2 * tonumber(ARGV[2]))\n"
  "if v then return 1 end return 2\n";

/* Compare-and-delete. KEYS: room:<id>, node:<me>:rooms. ARGV: me, room id. */
static const char *SCRIPT_RELEASE =
  "redis.call('ZREM', KEYS[2], ARGV[2])\n"
  "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end\n"
  "return 0\n";

/* Atomic placement. KEYS: room:<id>, node:<target>:rooms, node:<target>.
 * ARGV: target, ttl_ms, room id. Returns the owner, or false if the target
 * died since it was chosen. */
static const char *SCRIPT_PLACE =
  "local v = redis.call('GET', KEYS[1])\n"
  "if v then return v end\n"
  "if redis.call('EXISTS', KEYS[3]) == 0 then return false end\n"
  "redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])\n"
  "local t = redis.call('TIME')\n"
  "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
  "redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), ARGV[3])\n"
  "redis.call('PEXPIRE', KEYS[2], 2 * tonumber(ARGV[2]))\n"
  "return ARGV[1]\n";

/* Live nodes with their live room counts; prunes dead members of `nodes`.
 * Returns a flat array id, json, rooms, ... */
static const char *SCRIPT_LIST =
  "local t = redis.call('TIME')\n"
  "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
  "local out = {}\n"
  "for _, id in ipairs(redis.call('SMEMBERS', 'nodes')) do\n"
  "  local j = redis.call('GET', 'node:' .. id)\n"
  "  if j then\n"
  "    redis.call('ZREMRANGEBYSCORE', 'node:' .. id .. ':rooms', '-inf', now)\n"
  "    table.insert(out, id) table.insert(out, j)\n"
  "    table.insert(out, redis.call('ZCARD', 'node:' .. id .. ':rooms'))\n"
  "  else redis.call('SREM', 'nodes', id) end\n"
  "end\n"
  "return out\n";

typedef enum { OP_HEARTBEAT, OP_LIST, OP_PLACE, OP_RELEASE, OP_SEND, OP_GOODBYE, OP_STOP } OpKind;

typedef struct {
  OpKind  kind;
  char   *a;       /* heartbeat: node json; place/release: room; send: node */
  char   *b;       /* send: json */
  GStrv   rooms;   /* heartbeat, goodbye: the rooms owned when it was queued */
  GTask  *task;    /* list, place */
} Op;

struct _HzCluster {
  HzRedisAddress *addr;
  char           *node_id;
  char           *node_url;
  guint           ttl_ms;
  GMainContext   *context;
  /* main */
  HzClusterLoadFunc     load_func;
  gpointer              load_data;
  HzClusterInboxFunc    inbox_func;
  gpointer              inbox_data;
  HzClusterRoomLostFunc lost_func;
  gpointer              lost_data;
  GHashTable     *owned;
  guint           heartbeat_id;
  gboolean        started, draining, suspended, closed;
  /* command thread */
  GThread        *cmd_thread;
  GAsyncQueue    *ops;
  redisContext   *cmd;
  /* inbox thread */
  GThread        *sub_thread;
  GMutex          sub_lock;
  redisContext   *sub;       /* under sub_lock */
  gboolean        sub_stop;  /* under sub_lock */
};

static void
op_free (Op *op)
{
  g_free (op->a);
  g_free (op->b);
  g_strfreev (op->rooms);
  g_clear_object (&op->task);
  g_free (op);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Op, op_free)

static HzCluster *
cluster_ref (HzCluster *self)
{
  return g_atomic_rc_box_acquire (self);
}

static void
cluster_clear (HzCluster *self)
{
  hz_redis_address_free (self->addr);
  g_free (self->node_id);
  g_free (self->node_url);
  g_main_context_unref (self->context);
  g_hash_table_unref (self->owned);
  g_async_queue_unref (self->ops);
  g_mutex_clear (&self->sub_lock);
}

static void
cluster_unref (HzCluster *self)
{
  g_atomic_rc_box_release_full (self, (GDestroyNotify) cluster_clear);
}

/* ---- results back in the main context ---- */

typedef struct {
  HzCluster *self;
  char      *room;
  char      *owner;   /* lost: the new owner; place: the owner */
} Posted;

static void
posted_free (Posted *p)
{
  cluster_unref (p->self);
  g_free (p->room);
  g_free (p->owner);
  g_free (p);
}

static void
post (HzCluster *self, GSourceFunc func, const char *room, const char *owner)
{
  Posted *p = g_new0 (Posted, 1);
  p->self = cluster_ref (self);
  p->room = g_strdup (room);
  p->owner = g_strdup (owner);
  g_main_context_invoke_full (self->context, G_PRIORITY_DEFAULT, func, p, (GDestroyNotify) posted_free);
}

static gboolean
room_lost_cb (gpointer data)
{
  Posted *p = data;
  HzCluster *self = p->self;

  if (self->closed || !g_hash_table_remove (self->owned, p->room))
    return G_SOURCE_REMOVE;
  g_message ("room %s is now placed on node %s: no longer hosted here", p->room, p->owner);
  if (self->lost_func != NULL)
    self->lost_func (p->room, p->owner, self->lost_data);
  return G_SOURCE_REMOVE;
}

static gboolean
inbox_cb (gpointer data)
{
  Posted *p = data;

  if (!p->self->closed && p->self->inbox_func != NULL)
    p->self->inbox_func (p->room, p->self->inbox_data);
  return G_SOURCE_REMOVE;
}

/* ---- command thread ---- */

static void
do_heartbeat (HzCluster *self, Op *op)
{
  g_autofree char *ttl = g_strdup_printf ("%u", self->ttl_ms);
  g_autofree char *ttl3 = g_strdup_printf ("%u", self->ttl_ms * 3);
  g_autofree char *nkey = g_strconcat ("node:", self->node_id, NULL);
  g_autofree char *zkey = g_strconcat ("node:", self->node_id, ":rooms", NULL);
  guint n_rooms = op->rooms != NULL ? g_strv_length (op->rooms) : 0;
  g_autoptr(GPtrArray) argvs = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) replies = NULL;
  g_autoptr(GError) error = NULL;

  {
    const char *set[] = { "SET", nkey, op->a, "PX", ttl, NULL };
    const char *sadd[] = { "SADD", "nodes", self->node_id, NULL };
    const char *exp[] = { "PEXPIRE", "nodes", ttl3, NULL };
    g_ptr_array_add (argvs, g_memdup2 (set, sizeof set));
    g_ptr_array_add (argvs, g_memdup2 (sadd, sizeof sadd));
    g_ptr_array_add (argvs, g_memdup2 (exp, sizeof exp));
  }
  for (guint i = 0; i < n_rooms; i++) {
    char *rkey = g_strconcat ("room:", op->rooms[i], NULL);
    const char *ev[] = { "EVAL", SCRIPT_REFRESH, "2", rkey, zkey, self->node_id, ttl, op->rooms[i], NULL };
    g_ptr_array_add (keys, rkey);
    g_ptr_array_add (argvs, g_memdup2 (ev, sizeof ev));
  }
  replies = hz_redis_pipeline (&self->cmd, self->addr, (const char * const * const *) argvs->pdata, argvs->len, &error);
  if (replies == NULL) {
    g_warning ("cluster heartbeat of %s failed: %s", self->node_id, error->message);
    return;
  }
  for (guint i = 0; i < n_rooms; i++) {
    redisReply *r = g_ptr_array_index (replies, 3 + i);
    if (r->type == REDIS_REPLY_STRING)
      post (self, room_lost_cb, op->rooms[i], r->str);
  }
}

static void
parse_list_reply (redisReply *r, GPtrArray *nodes)
{
  for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i + 2 < r->elements; i += 3) {
    redisReply *json = r->element[i + 1];
    redisReply *count = r->element[i + 2];
    g_autoptr(GError) error = NULL;
    HzClusterNode *node;

    if (json->type != REDIS_REPLY_STRING || count->type != REDIS_REPLY_INTEGER)
      continue;
    node = hz_cluster_node_from_json (json->str, json->len, &error);
    if (node == NULL) {
      g_warning ("ignoring a node record: %s", error->message);
      continue;
    }
    node->rooms = (guint) CLAMP (count->integer, 0, G_MAXINT);
    g_ptr_array_add (nodes, node);
  }
}

static gint
node_cmp (gconstpointer a, gconstpointer b)
{
  const HzClusterNode *na = *(HzClusterNode * const *) a;
  const HzClusterNode *nb = *(HzClusterNode * const *) b;
  return strcmp (na->id, nb->id);
}

static GPtrArray *
list_nodes (HzCluster *self, GError **error)
{
  const char *argv[] = { "EVAL", SCRIPT_LIST, "0", NULL };
  g_autoptr(GPtrArray) keep = NULL;
  redisReply *r = hz_redis_one (&self->cmd, self->addr, argv, &keep, error);
  g_autoptr(GPtrArray) nodes = g_ptr_array_new_with_free_func ((GDestroyNotify) hz_cluster_node_free);

  if (r == NULL)
    return NULL;
  parse_list_reply (r, nodes);
  g_ptr_array_sort (nodes, node_cmp);
  return g_steal_pointer (&nodes);
}

static char *
node_url (HzCluster *self, const char *node, gboolean *alive, GError **error)
{
  g_autofree char *nkey = g_strconcat ("node:", node, NULL);
  const char *argv[] = { "GET", nkey, NULL };
  g_autoptr(GPtrArray) keep = NULL;
  redisReply *r = hz_redis_one (&self->cmd, self->addr, argv, &keep, error);
  g_autoptr(HzClusterNode) n = NULL;

  if (r == NULL)
    return NULL;
  *alive = r->type == REDIS_REPLY_STRING;
  if (!*alive)
    return g_strdup ("");
  n = hz_cluster_node_from_json (r->str, r->len, NULL);
  return g_strdup (n != NULL ? n->url : "");
}

typedef struct {
  char *owner;
  char *url;
} PlaceResult;

static void
place_result_free (PlaceResult *res)
{
  g_free (res->owner);
  g_free (res->url);
  g_free (res);
}

/* The owner of op->a, placing it if it has none. */
static PlaceResult *
place_room (HzCluster *self, const char *room, GError **error)
{
  g_autofree char *rkey = g_strconcat ("room:", room, NULL);
  g_autofree char *ttl = g_strdup_printf ("%u", self->ttl_ms);

  for (guint attempt = 0; attempt < 3; attempt++) {
    g_autoptr(GPtrArray) nodes = NULL;
    g_autoptr(GPtrArray) keep = NULL;
    g_autofree char *zkey = NULL;
    g_autofree char *nkey = NULL;
    const HzClusterNode *target;
    PlaceResult *res;
    redisReply *r;
    gboolean alive = FALSE;

    nodes = list_nodes (self, error);
    if (nodes == NULL)
      return NULL;
    target = hz_cluster_pick_node (nodes);
    /* Placing needs a target; an existing placement is read by the script
     * as well, so a cluster where every node drains still answers. */
    zkey = g_strconcat ("node:", target != NULL ? target->id : self->node_id, ":rooms", NULL);
    nkey = g_strconcat ("node:", target != NULL ? target->id : "", NULL);
    {
      const char *argv[] = { "EVAL", SCRIPT_PLACE, "3", rkey, zkey, nkey,
                             target != NULL ? target->id : "", ttl, room, NULL };
      r = hz_redis_one (&self->cmd, self->addr, argv, &keep, error);
    }
    if (r == NULL)
      return NULL;
    if (r->type != REDIS_REPLY_STRING) {
      if (target == NULL) {
        g_set_error (error, HZ_CLUSTER_ERROR, HZ_CLUSTER_ERROR_NO_NODE,
                     "no live node accepts new rooms (all draining or none registered)");
        return NULL;
      }
      continue;  /* the target died since the list was read: choose again */
    }
    res = g_new0 (PlaceResult, 1);
    res->owner = g_strdup (r->str);
    if (target != NULL && g_strcmp0 (target->id, res->owner) == 0) {
      res->url = g_strdup (target->url);
      return res;
    }
    res->url = node_url (self, res->owner, &alive, error);
    if (res->url == NULL) {
      place_result_free (res);
      return NULL;
    }
    if (!alive) {
      g_set_error (error, HZ_CLUSTER_ERROR, HZ_CLUSTER_ERROR_NO_NODE,
                   "room %s is placed on node %s, which stopped answering; "
                   "the placement expires within %u ms", room, res->owner, self->ttl_ms);
      place_result_free (res);
      return NULL;
    }
    return res;
  }
  g_set_error (error, HZ_CLUSTER_ERROR, HZ_CLUSTER_ERROR_NO_NODE,
               "room %s: the chosen nodes kept disappearing", room);
  return NULL;
}

static gboolean
place_done_cb (gpointer data)
{
  GTask *task = data;
  HzCluster *self = g_object_get_data (g_task_get_source_object (task), "hz-cluster");
  PlaceResult *res = g_task_get_task_data (task);

  if (!self->closed && g_strcmp0 (res->owner, self->node_id) == 0)
    g_hash_table_add (self->owned, g_strdup (g_object_get_data (G_OBJECT (task), "room")));
  g_task_return_pointer (task, g_steal_pointer (&res), (GDestroyNotify) place_result_free);
  g_task_set_task_data (task, NULL, NULL);
  return G_SOURCE_REMOVE;
}

static void
do_place (HzCluster *self, Op *op)
{
  GError *error = NULL;
  PlaceResult *res = place_room (self, op->a, &error);

  if (res == NULL) {
    g_task_return_error (op->task, error);
    return;
  }
  /* ownership is recorded in the main context before the caller hears of it */
  g_task_set_task_data (op->task, res, NULL);
  g_main_context_invoke_full (self->context, G_PRIORITY_DEFAULT, place_done_cb,
                              g_object_ref (op->task), g_object_unref);
}

static void
do_release (HzCluster *self, const char *room)
{
  g_autofree char *rkey = g_strconcat ("room:", room, NULL);
  g_autofree char *zkey = g_strconcat ("node:", self->node_id, ":rooms", NULL);
  const char *argv[] = { "EVAL", SCRIPT_RELEASE, "2", rkey, zkey, self->node_id, room, NULL };
  g_autoptr(GPtrArray) keep = NULL;
  g_autoptr(GError) error = NULL;

  if (hz_redis_one (&self->cmd, self->addr, argv, &keep, &error) == NULL)
    g_warning ("releasing room %s: %s (its placement expires by itself)", room, error->message);
}

static gpointer
cmd_thread (gpointer data)
{
  HzCluster *self = data;

  for (;;) {
    g_autoptr(Op) op = g_async_queue_pop (self->ops);
    g_autoptr(GError) error = NULL;

    switch (op->kind) {
    case OP_HEARTBEAT:
      do_heartbeat (self, op);
      break;
    case OP_LIST: {
      GPtrArray *nodes = list_nodes (self, &error);
      if (nodes == NULL)
        g_task_return_error (op->task, g_steal_pointer (&error));
      else
        g_task_return_pointer (op->task, nodes, (GDestroyNotify) g_ptr_array_unref);
      break;
    }
    case OP_PLACE:
      do_place (self, op);
      break;
    case OP_RELEASE:
      do_release (self, op->a);
      break;
    case OP_SEND: {
      g_autofree char *chan = g_strconcat ("node:", op->a, ":inbox", NULL);
      const char *argv[] = { "PUBLISH", chan, op->b, NULL };
      g_autoptr(GPtrArray) keep = NULL;
      if (hz_redis_one (&self->cmd, self->addr, argv, &keep, &error) == NULL)
        g_warning ("sending to node %s: %s", op->a, error->message);
      break;
    }
    case OP_GOODBYE: {
      g_autofree char *nkey = g_strconcat ("node:", self->node_id, NULL);
      const char *argv[] = { "DEL", nkey, NULL };
      g_autoptr(GPtrArray) keep = NULL;
      for (guint i = 0; op->rooms != NULL && op->rooms[i] != NULL; i++)
        do_release (self, op->rooms[i]);
      if (hz_redis_one (&self->cmd, self->addr, argv, &keep, &error) == NULL)
        g_warning ("leaving the cluster: %s (the node key expires by itself)", error->message);
      break;
    }
    case OP_STOP:
      g_clear_pointer (&self->cmd, redisFree);
      return NULL;
    }
  }
}

/* ---- inbox thread ---- */

static gpointer
sub_thread (gpointer data)
{
  HzCluster *self = data;
  g_autofree char *chan = g_strconcat ("node:", self->node_id, ":inbox", NULL);

  for (;;) {
    g_autoptr(GError) error = NULL;
    redisContext *c = hz_redis_connect (self->addr, &error);
    redisReply *r = NULL;
    gboolean stop;

    g_mutex_lock (&self->sub_lock);
    self->sub = c;
    stop = self->sub_stop;
    g_mutex_unlock (&self->sub_lock);
    if (c != NULL && !stop) {
      struct timeval none = { 0, 0 };
      redisSetTimeout (c, none);  /* a subscriber waits for messages without end */
      r = redisCommand (c, "SUBSCRIBE %s", chan);
      if (r != NULL)
        freeReplyObject (r);
      while (r != NULL && redisGetReply (c, (void **) &r) == REDIS_OK && r != NULL) {
        if (r->type == REDIS_REPLY_ARRAY && r->elements == 3 &&
            r->element[0]->type == REDIS_REPLY_STRING && strcmp (r->element[0]->str, "message") == 0 &&
            r->element[2]->type == REDIS_REPLY_STRING)
          post (self, inbox_cb, r->element[2]->str, NULL);
        freeReplyObject (r);
      }
    } else if (c == NULL && !stop) {
      g_warning ("cluster inbox of %s: %s", self->node_id, error->message);
    }
    g_mutex_lock (&self->sub_lock);
    self->sub = NULL;
    stop = self->sub_stop;
    g_mutex_unlock (&self->sub_lock);
    if (c != NULL)
      redisFree (c);
    if (stop)
      return NULL;
    g_usleep (RECONNECT_MS * 1000);  /* this thread only: back off before reconnecting */
  }
}

/* ---- main context API ---- */

HzCluster *
hz_cluster_new (const char *redis_url, const char *node_id, const char *node_url, guint ttl_ms, GError **error)
{
  g_autoptr(HzRedisAddress) addr = NULL;
  HzCluster *self;

  g_return_val_if_fail (redis_url != NULL, NULL);
  g_return_val_if_fail (node_id != NULL, NULL);

  if (!hz_cluster_id_valid (node_id)) {
    g_set_error (error, HZ_CLUSTER_ERROR, HZ_CLUSTER_ERROR_INVALID,
                 "node id \"%s\" must be 1..64 of A-Z a-z 0-9 . _ -", node_id);
    return NULL;
  }
  if (ttl_ms < 300 || ttl_ms > 600000) {
    g_set_error (error, HZ_CLUSTER_ERROR, HZ_CLUSTER_ERROR_INVALID, "cluster TTL %u ms out of 300..600000", ttl_ms);
    return NULL;
  }
  addr = hz_redis_address_parse (redis_url, error);
  if (addr == NULL)
    return NULL;
  self = g_atomic_rc_box_new0 (HzCluster);
  self->addr = g_steal_pointer (&addr);
  self->node_id = g_strdup (node_id);
  self->node_url = g_strdup (node_url != NULL ? node_url : "");
  self->ttl_ms = ttl_ms;
  self->context = g_main_context_ref_thread_default ();
  self->owned = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->ops = g_async_queue_new_full ((GDestroyNotify) op_free);
  g_mutex_init (&self->sub_lock);
  return self;
}

void
hz_cluster_set_load_func (HzCluster *self, HzClusterLoadFunc func, gpointer user_data)
{
  self->load_func = func;
  self->load_data = user_data;
}

void
hz_cluster_set_inbox_func (HzCluster *self, HzClusterInboxFunc func, gpointer user_data)
{
  self->inbox_func = func;
  self->inbox_data = user_data;
}

void
hz_cluster_set_room_lost_func (HzCluster *self, HzClusterRoomLostFunc func, gpointer user_data)
{
  self->lost_func = func;
  self->lost_data = user_data;
}

const char *
hz_cluster_get_node_id (HzCluster *self)
{
  return self->node_id;
}

guint
hz_cluster_get_ttl_ms (HzCluster *self)
{
  return self->ttl_ms;
}

static void
push (HzCluster *self, OpKind kind, char *a, char *b, GStrv rooms, GTask *task)
{
  Op *op = g_new0 (Op, 1);
  op->kind = kind;
  op->a = a;
  op->b = b;
  op->rooms = rooms;
  op->task = task;
  g_async_queue_push (self->ops, op);
}

static GStrv
owned_rooms (HzCluster *self)
{
  g_autoptr(GStrvBuilder) b = g_strv_builder_new ();
  GHashTableIter it;
  gpointer key;

  g_hash_table_iter_init (&it, self->owned);
  while (g_hash_table_iter_next (&it, &key, NULL))
    g_strv_builder_add (b, key);
  return g_strv_builder_end (b);
}

static gboolean
heartbeat_cb (gpointer data)
{
  HzCluster *self = data;
  HzClusterLoad load = { 0 };

  if (self->load_func != NULL)
    self->load_func (&load, self->load_data);
  push (self, OP_HEARTBEAT, hz_cluster_node_to_json (self->node_id, self->node_url, &load, self->draining),
        NULL, owned_rooms (self), NULL);
  return G_SOURCE_CONTINUE;
}

static void
heartbeat_start (HzCluster *self)
{
  GSource *src = g_timeout_source_new (MAX (self->ttl_ms / 3, 1));

  heartbeat_cb (self);
  g_source_set_callback (src, heartbeat_cb, self, NULL);
  self->heartbeat_id = g_source_attach (src, self->context);
  g_source_unref (src);
}

void
hz_cluster_start (HzCluster *self)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (!self->started);

  self->started = TRUE;
  self->cmd_thread = g_thread_new ("hz-cluster-cmd", cmd_thread, self);
  self->sub_thread = g_thread_new ("hz-cluster-inbox", sub_thread, self);
  heartbeat_start (self);
}

static gboolean
refuse_if_stopped (HzCluster *self, GTask *task)
{
  if (!self->started || self->suspended || self->closed) {
    g_task_return_new_error (task, HZ_CLUSTER_ERROR, HZ_CLUSTER_ERROR_STOPPED,
                             "cluster node %s is not running", self->node_id);
    return TRUE;
  }
  return FALSE;
}

/* The task's source object must be a GObject; the cluster is not one, so a
 * plain GObject stands in and keeps a pointer back. */
static GTask *
cluster_task (HzCluster *self, GCancellable *cancellable, GAsyncReadyCallback callback,
              gpointer user_data, gpointer tag)
{
  g_autoptr(GObject) source = g_object_new (G_TYPE_OBJECT, NULL);
  GTask *task;

  g_object_set_data_full (source, "hz-cluster", cluster_ref (self), (GDestroyNotify) cluster_unref);
  task = g_task_new (source, cancellable, callback, user_data);
  g_task_set_source_tag (task, tag);
  return task;
}

void
hz_cluster_list_nodes_async (HzCluster *self, GCancellable *cancellable,
                             GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = cluster_task (self, cancellable, callback, user_data, hz_cluster_list_nodes_async);

  if (refuse_if_stopped (self, task)) {
    g_object_unref (task);
    return;
  }
  push (self, OP_LIST, NULL, NULL, NULL, task);
}

GPtrArray *
hz_cluster_list_nodes_finish (HzCluster *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == hz_cluster_list_nodes_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
hz_cluster_place_room_async (HzCluster *self, const char *room_id, GCancellable *cancellable,
                             GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = cluster_task (self, cancellable, callback, user_data, hz_cluster_place_room_async);

  g_return_if_fail (room_id != NULL);
  if (refuse_if_stopped (self, task)) {
    g_object_unref (task);
    return;
  }
  g_object_set_data_full (G_OBJECT (task), "room", g_strdup (room_id), g_free);
  push (self, OP_PLACE, g_strdup (room_id), NULL, NULL, task);
}

char *
hz_cluster_place_room_finish (HzCluster *self, GAsyncResult *result, char **url_out, GError **error)
{
  PlaceResult *res;
  char *owner;

  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == hz_cluster_place_room_async, NULL);
  res = g_task_propagate_pointer (G_TASK (result), error);
  if (res == NULL)
    return NULL;
  owner = g_steal_pointer (&res->owner);
  if (url_out != NULL)
    *url_out = g_steal_pointer (&res->url);
  place_result_free (res);
  return owner;
}

gboolean
hz_cluster_owns_room (HzCluster *self, const char *room_id)
{
  return g_hash_table_contains (self->owned, room_id);
}

guint
hz_cluster_get_n_owned_rooms (HzCluster *self)
{
  return g_hash_table_size (self->owned);
}

void
hz_cluster_release_room (HzCluster *self, const char *room_id)
{
  g_return_if_fail (room_id != NULL);
  if (!g_hash_table_remove (self->owned, room_id) || self->suspended || !self->started)
    return;
  push (self, OP_RELEASE, g_strdup (room_id), NULL, NULL, NULL);
}

void
hz_cluster_send (HzCluster *self, const char *node_id, const char *json)
{
  g_return_if_fail (node_id != NULL && json != NULL);
  if (!hz_cluster_id_valid (node_id)) {
    g_warning ("not sending to an invalid node id");
    return;
  }
  if (!self->started || self->suspended || self->closed)
    return;
  push (self, OP_SEND, g_strdup (node_id), g_strdup (json), NULL, NULL);
}

void
hz_cluster_drain (HzCluster *self)
{
  if (self->draining)
    return;
  self->draining = TRUE;
  g_message ("cluster node %s drains: no new rooms are placed here", self->node_id);
  if (self->started && !self->suspended)
    heartbeat_cb (self);
}

gboolean
hz_cluster_is_draining (HzCluster *self)
{
  return self->draining;
}

void
hz_cluster_suspend (HzCluster *self)
{
  if (self->suspended)
    return;
  self->suspended = TRUE;
  if (self->heartbeat_id != 0) {
    g_source_destroy (g_main_context_find_source_by_id (self->context, self->heartbeat_id));
    self->heartbeat_id = 0;
  }
}

void
hz_cluster_resume (HzCluster *self)
{
  if (!self->suspended)
    return;
  self->suspended = FALSE;
  if (self->started)
    heartbeat_start (self);
}

void
hz_cluster_free (HzCluster *self)
{
  if (self == NULL)
    return;
  hz_cluster_suspend (self);
  self->closed = TRUE;
  if (self->started) {
    push (self, OP_GOODBYE, NULL, NULL, owned_rooms (self), NULL);
    push (self, OP_STOP, NULL, NULL, NULL, NULL);
    g_thread_join (self->cmd_thread);
    g_mutex_lock (&self->sub_lock);
    self->sub_stop = TRUE;
    if (self->sub != NULL)
      shutdown (self->sub->fd, SHUT_RDWR);  /* wakes the blocked redisGetReply */
    g_mutex_unlock (&self->sub_lock);
    g_thread_join (self->sub_thread);
  }
  g_hash_table_remove_all (self->owned);
  cluster_unref (self);
}
