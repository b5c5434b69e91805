/* hz-signal-relay: signaling relayed between cluster nodes. See the header
 * and docs/CLUSTER.md for the messages. */
#include "hz-signal-relay.h"

#include <string.h>

#include "hz-cluster.h"
#include "hz-ws-virtual.h"

#define RID_MAX_LEN 128

struct _HzSignalRelay {
  HzSignal *sig;
  HzCluster *cluster;
  char *prefix;               /* "<node id>.<random>." : relay ids of this process */
  guint64 next_id;
  GHashTable *entry;          /* rid → Session* (a ref), clients here relayed elsewhere */
  GHashTable *remote;         /* rid → Remote*, owned: clients elsewhere served here */
  GHashTable *remote_by_conn; /* HzWsConn* → Remote* */
  guint keep_timer;
};

typedef struct {
  HzSignalRelay *relay;
  char *rid;
  char *entry_node;
  HzWsConn *conn;
  gint64 heard;       /* monotonic µs */
  guint drop_idle;    /* the session ends at the next idle */
} Remote;

/* ---- messages ---- */

static gboolean
id_valid (const char *id, gsize max)
{
  gsize n = id != NULL ? strlen (id) : 0;

  if (n == 0 || n > max)
    return FALSE;
  for (const char *p = id; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '.' && *p != '_' && *p != '-')
      return FALSE;
  return TRUE;
}

static const char *
str_member (JsonObject *o, const char *name, const char *def)
{
  JsonNode *n = json_object_get_member (o, name);

  return n != NULL && JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING
             ? json_node_get_string (n) : def;
}

/* {"type", "from", "rid", "msg"?, "code"?, "reason"? ("peer" in relay.open)} to @node's inbox */
static void
send_to (HzSignalRelay *r, const char *node, const char *type, const char *rid, const char *msg,
         gint code, const char *reason)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, type);
  json_builder_set_member_name (b, "from");
  json_builder_add_string_value (b, hz_cluster_get_node_id (r->cluster));
  json_builder_set_member_name (b, "rid");
  json_builder_add_string_value (b, rid);
  if (msg != NULL) {
    json_builder_set_member_name (b, "msg");
    json_builder_add_string_value (b, msg);
  }
  if (code != 0) {
    json_builder_set_member_name (b, "code");
    json_builder_add_int_value (b, code);
  }
  if (reason != NULL) { /* relay.open: the client's address */
    json_builder_set_member_name (b, strcmp (type, "relay.open") == 0 ? "peer" : "reason");
    json_builder_add_string_value (b, reason);
  }
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  text = json_to_string (root, FALSE);
  hz_cluster_send (r->cluster, node, text);
}

static void
tell_node_lost (Session *s, const char *message)
{
  g_autoptr(GError) e = g_error_new (HZ_SIGNAL_ERROR, HZ_SIGNAL_ERROR_NODE_LOST, "%s", message);

  hz_signal_reply_error (s, NULL, e);
}

/* ---- entry side ---- */

/* The session is not relayed any more. */
static void
entry_stop (HzSignalRelay *r, Session *s)
{
  if (s->relay_rid == NULL)
    return;
  g_hash_table_steal (r->entry, s->relay_rid);
  g_clear_pointer (&s->relay_rid, g_free);
  g_clear_pointer (&s->relay_node, g_free);
  hz_signal_session_unref (s);
}

void
hz_signal_relay_start (HzSignalRelay *r, Session *s, const char *owner, const char *join_text)
{
  g_return_if_fail (s->relay_rid == NULL && !s->remote);
  s->relay_rid = g_strdup_printf ("%s%" G_GUINT64_FORMAT, r->prefix, ++r->next_id);
  s->relay_node = g_strdup (owner);
  s->relay_heard = g_get_monotonic_time ();
  g_hash_table_insert (r->entry, s->relay_rid, hz_signal_session_ref (s));
  g_message ("ws %s: relayed to node %s as %s", hz_ws_conn_get_peer (s->conn), owner, s->relay_rid);
  send_to (r, owner, "relay.open", s->relay_rid, join_text, 0, hz_ws_conn_get_peer (s->conn));
}

void
hz_signal_relay_forward (HzSignalRelay *r, Session *s, const char *text)
{
  send_to (r, s->relay_node, "relay.msg", s->relay_rid, text, 0, NULL);
}

void
hz_signal_relay_entry_closed (HzSignalRelay *r, Session *s)
{
  if (s->relay_rid == NULL)
    return;
  send_to (r, s->relay_node, "relay.bye", s->relay_rid, NULL, 0, NULL);
  entry_stop (r, s);
}

/* ---- owner side ---- */

static void
remote_free (Remote *rm)
{
  g_clear_handle_id (&rm->drop_idle, g_source_remove);
  g_free (rm->rid);
  g_free (rm->entry_node);
  g_free (rm);
}

/* The remote session ends as a closed WebSocket would: its member leaves. */
static void
remote_drop (Remote *rm)
{
  HzSignalRelay *r = rm->relay;
  HzWsConn *conn = rm->conn;

  g_hash_table_remove (r->remote_by_conn, conn);
  g_hash_table_steal (r->remote, rm->rid);
  hz_ws_conn_mark_closed (conn);
  hz_signal_session_close (conn);
  hz_ws_conn_free_virtual (conn);
  remote_free (rm);
}

static gboolean
remote_drop_idle (gpointer data)
{
  Remote *rm = data;

  rm->drop_idle = 0;
  remote_drop (rm);
  return G_SOURCE_REMOVE;
}

static void
remote_drop_later (Remote *rm)
{
  if (rm->drop_idle == 0)
    rm->drop_idle = g_idle_add (remote_drop_idle, rm);
}

static void
virt_send (HzWsConn *conn, const char *text, gpointer data)
{
  Remote *rm = data;

  send_to (rm->relay, rm->entry_node, "relay.out", rm->rid, text, 0, NULL);
}

static void
virt_close (HzWsConn *conn, guint16 code, const char *reason, gpointer data)
{
  Remote *rm = data;

  send_to (rm->relay, rm->entry_node, "relay.close", rm->rid, NULL, code, reason != NULL ? reason : "");
  remote_drop_later (rm);
}

static const HzWsVirtualFuncs virt_funcs = { virt_send, virt_close };

static void
remote_open (HzSignalRelay *r, const char *from, const char *rid, const char *peer, const char *msg)
{
  Remote *rm;
  Session *s;
  g_autofree char *vpeer = NULL;

  if (g_hash_table_contains (r->remote, rid)) {
    g_message ("relay: %s opened twice by node %s, ignored", rid, from);
    return;
  }
  rm = g_new0 (Remote, 1);
  rm->relay = r;
  rm->rid = g_strdup (rid);
  rm->entry_node = g_strdup (from);
  rm->heard = g_get_monotonic_time ();
  vpeer = g_strdup_printf ("%.64s via %s", peer != NULL ? peer : "?", from);
  rm->conn = hz_ws_conn_new_virtual (vpeer, &virt_funcs, rm);
  g_hash_table_insert (r->remote, rm->rid, rm);
  g_hash_table_insert (r->remote_by_conn, rm->conn, rm);
  s = hz_signal_session_open (r->sig, rm->conn);
  s->remote = TRUE;
  g_message ("relay: %s from node %s (%s) served here", rid, from, vpeer);
  hz_signal_session_message (rm->conn, msg, strlen (msg));
}

void
hz_signal_relay_settle (HzSignalRelay *r, Session *s)
{
  Remote *rm = g_hash_table_lookup (r->remote_by_conn, s->conn);

  if (rm == NULL || !s->remote || s->closed || s->placing || s->member != NULL || rm->drop_idle != 0)
    return;
  /* not joined (the join failed): the entry node takes its client back */
  send_to (r, rm->entry_node, "relay.end", rm->rid, NULL, 0, "not_joined");
  hz_ws_conn_mark_closed (rm->conn);
  remote_drop_later (rm);
}

/* ---- inbox ---- */

static void
on_keep (HzSignalRelay *r, const char *from, JsonObject *msg)
{
  JsonNode *rids = json_object_get_member (msg, "rids");
  gint64 now = g_get_monotonic_time ();
  JsonArray *arr;

  if (rids == NULL || !JSON_NODE_HOLDS_ARRAY (rids))
    return;
  arr = json_node_get_array (rids);
  for (guint i = 0; i < json_array_get_length (arr); i++) {
    JsonNode *n = json_array_get_element (arr, i);
    const char *rid = JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING
                          ? json_node_get_string (n) : NULL;
    Session *s;
    Remote *rm;

    if (rid == NULL)
      continue;
    if ((s = g_hash_table_lookup (r->entry, rid)) != NULL && g_strcmp0 (s->relay_node, from) == 0)
      s->relay_heard = now;
    if ((rm = g_hash_table_lookup (r->remote, rid)) != NULL && g_strcmp0 (rm->entry_node, from) == 0)
      rm->heard = now;
  }
}

static void
on_entry_message (HzSignalRelay *r, const char *type, const char *from, const char *rid, JsonObject *msg)
{
  Session *s = g_hash_table_lookup (r->entry, rid);
  const char *text = str_member (msg, "msg", NULL);
  const char *reason = str_member (msg, "reason", "");

  if (s == NULL || g_strcmp0 (s->relay_node, from) != 0) {
    /* the client is gone: the owner should forget it too */
    if (strcmp (type, "relay.out") == 0)
      send_to (r, from, "relay.bye", rid, NULL, 0, NULL);
    return;
  }
  s->relay_heard = g_get_monotonic_time ();
  if (strcmp (type, "relay.out") == 0) {
    if (text != NULL)
      hz_ws_conn_send (s->conn, text);
  } else if (strcmp (type, "relay.close") == 0) {
    JsonNode *cn = json_object_get_member (msg, "code");
    gint64 code = cn != NULL && JSON_NODE_HOLDS_VALUE (cn) && json_node_get_value_type (cn) == G_TYPE_INT64
                      ? json_node_get_int (cn) : 1000;

    entry_stop (r, s);
    hz_ws_conn_close (s->conn, code >= 1000 && code <= 4999 && code != 1005 && code != 1006 ? code : 1011,
                      reason);
  } else { /* relay.end */
    entry_stop (r, s);
    if (strcmp (reason, "not_joined") != 0)
      tell_node_lost (s, "the room's node does not know this session any more; join again");
  }
}

static void
on_owner_message (HzSignalRelay *r, const char *type, const char *from, const char *rid, JsonObject *msg)
{
  Remote *rm = g_hash_table_lookup (r->remote, rid);
  const char *text = str_member (msg, "msg", NULL);

  if (strcmp (type, "relay.open") == 0) {
    if (text == NULL)
      g_message ("relay: relay.open from %s without a message, ignored", from);
    else
      remote_open (r, from, rid, str_member (msg, "peer", NULL), text);
    return;
  }
  if (rm == NULL || g_strcmp0 (rm->entry_node, from) != 0) {
    if (strcmp (type, "relay.msg") == 0)
      send_to (r, from, "relay.end", rid, NULL, 0, "unknown");
    return;
  }
  rm->heard = g_get_monotonic_time ();
  if (rm->drop_idle != 0)
    return; /* ending already */
  if (strcmp (type, "relay.bye") == 0) {
    hz_ws_conn_mark_closed (rm->conn);
    remote_drop_later (rm);
  } else if (text != NULL) {
    hz_signal_session_message (rm->conn, text, strlen (text));
  }
}

gboolean
hz_signal_relay_inbox (HzSignalRelay *r, const char *json)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  JsonNode *root;
  JsonObject *msg;
  const char *type, *from, *rid;

  if (!json_parser_load_from_data (parser, json, -1, NULL) || (root = json_parser_get_root (parser)) == NULL ||
      !JSON_NODE_HOLDS_OBJECT (root))
    return FALSE;
  msg = json_node_get_object (root);
  type = str_member (msg, "type", NULL);
  if (type == NULL || !g_str_has_prefix (type, "relay."))
    return FALSE;
  from = str_member (msg, "from", NULL);
  if (!id_valid (from, 64)) {
    g_message ("relay: %s without a valid sender, ignored", type);
    return TRUE;
  }
  if (strcmp (type, "relay.keep") == 0) {
    on_keep (r, from, msg);
    return TRUE;
  }
  rid = str_member (msg, "rid", NULL);
  if (!id_valid (rid, RID_MAX_LEN)) {
    g_message ("relay: %s from %s without a valid relay id, ignored", type, from);
    return TRUE;
  }
  if (strcmp (type, "relay.out") == 0 || strcmp (type, "relay.close") == 0 || strcmp (type, "relay.end") == 0)
    on_entry_message (r, type, from, rid, msg);
  else if (strcmp (type, "relay.open") == 0 || strcmp (type, "relay.msg") == 0 ||
           strcmp (type, "relay.bye") == 0)
    on_owner_message (r, type, from, rid, msg);
  else
    g_message ("relay: unknown message %.32s from %s, ignored", type, from);
  return TRUE;
}

/* ---- keepalive ---- */

static void
add_rid (GHashTable *by_node, const char *node, const char *rid)
{
  JsonArray *arr = g_hash_table_lookup (by_node, node);

  if (arr == NULL) {
    arr = json_array_new ();
    g_hash_table_insert (by_node, (gpointer) node, arr);
  }
  json_array_add_string_element (arr, rid);
}

static gboolean
keep_tick (gpointer data)
{
  HzSignalRelay *r = data;
  g_autoptr(GHashTable) by_node = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                                         (GDestroyNotify) json_array_unref);
  g_autoptr(GPtrArray) lost = g_ptr_array_new ();
  g_autoptr(GPtrArray) gone = g_ptr_array_new ();
  gint64 now = g_get_monotonic_time ();
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, r->entry);
  while (g_hash_table_iter_next (&iter, &key, &value)) {
    Session *s = value;

    add_rid (by_node, s->relay_node, key);
    if (now - s->relay_heard > HZ_RELAY_TIMEOUT_MS * G_TIME_SPAN_MILLISECOND)
      g_ptr_array_add (lost, s);
  }
  g_hash_table_iter_init (&iter, r->remote);
  while (g_hash_table_iter_next (&iter, &key, &value)) {
    Remote *rm = value;

    add_rid (by_node, rm->entry_node, key);
    if (rm->drop_idle == 0 && now - rm->heard > HZ_RELAY_TIMEOUT_MS * G_TIME_SPAN_MILLISECOND)
      g_ptr_array_add (gone, rm);
  }
  g_hash_table_iter_init (&iter, by_node);
  while (g_hash_table_iter_next (&iter, &key, &value)) {
    g_autoptr(JsonBuilder) b = json_builder_new ();
    g_autoptr(JsonNode) root = NULL;
    g_autofree char *text = NULL;

    json_builder_begin_object (b);
    json_builder_set_member_name (b, "type");
    json_builder_add_string_value (b, "relay.keep");
    json_builder_set_member_name (b, "from");
    json_builder_add_string_value (b, hz_cluster_get_node_id (r->cluster));
    json_builder_set_member_name (b, "rids");
    json_builder_add_value (b, json_node_init_array (json_node_alloc (), value));
    json_builder_end_object (b);
    root = json_builder_get_root (b);
    text = json_to_string (root, FALSE);
    hz_cluster_send (r->cluster, key, text);
  }
  /* by_node's keys point into sessions: send first, then drop */
  g_hash_table_remove_all (by_node);
  for (guint i = 0; i < lost->len; i++) {
    Session *s = g_ptr_array_index (lost, i);

    g_message ("relay: node %s stopped answering for %s: the client is told to join again", s->relay_node,
               s->relay_rid);
    send_to (r, s->relay_node, "relay.bye", s->relay_rid, NULL, 0, NULL);
    hz_signal_session_ref (s);
    entry_stop (r, s);
    tell_node_lost (s, "the room's node stopped answering; join again (the room is placed again)");
    hz_signal_session_unref (s);
  }
  for (guint i = 0; i < gone->len; i++) {
    Remote *rm = g_ptr_array_index (gone, i);

    g_message ("relay: node %s stopped answering for %s: its member is dropped", rm->entry_node, rm->rid);
    hz_ws_conn_close (rm->conn, 1001, "the client's node stopped answering");
  }
  return G_SOURCE_CONTINUE;
}

/* ---- cluster: a join for a room this node does not own is placed first ---- */

typedef struct {
  Session *s;
  JsonObject *msg;
  JsonNode *id;
  char *room;
} PendingJoin;

static void
pending_join_free (PendingJoin *pj)
{
  hz_signal_session_unref (pj->s);
  json_object_unref (pj->msg);
  g_clear_pointer (&pj->id, json_node_unref);
  g_free (pj->room);
  g_free (pj);
}

static const char *
msg_token (JsonObject *msg)
{
  JsonNode *tok = json_object_get_member (msg, "token");

  return tok != NULL && JSON_NODE_HOLDS_VALUE (tok) && json_node_get_value_type (tok) == G_TYPE_STRING
             ? json_node_get_string (tok) : NULL;
}

/* {"type":"error","code":"wrong_node","node","url"}: only when the join
 * asked for it with "redirect": true */
static void
reply_wrong_node (Session *s, JsonNode *id, const char *node, const char *url)
{
  JsonBuilder *b = hz_signal_reply_begin ("error", id);

  json_builder_set_member_name (b, "code");
  json_builder_add_string_value (b, hz_signal_error_code (HZ_SIGNAL_ERROR_WRONG_NODE));
  json_builder_set_member_name (b, "message");
  json_builder_add_string_value (b, "this room is on another node: connect there and join again");
  json_builder_set_member_name (b, "node");
  json_builder_add_string_value (b, node);
  json_builder_set_member_name (b, "url");
  json_builder_add_string_value (b, url != NULL ? url : "");
  hz_signal_reply_end (s, b);
}

static void
join_placed (GObject *source, GAsyncResult *res, gpointer data)
{
  PendingJoin *pj = data;
  Session *s = pj->s;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) jerr = NULL;
  g_autofree char *url = NULL;
  g_autofree char *owner = NULL;
  HzSignal *sig;
  HzCluster *cluster;
  JsonNode *redirect;

  if (g_cancellable_is_cancelled (g_task_get_cancellable (G_TASK (res)))) {
    pending_join_free (pj); /* the service is gone */
    return;
  }
  sig = s->sig;
  cluster = sig->config.cluster;
  owner = hz_cluster_place_room_finish (cluster, res, &url, &error);
  s->placing = FALSE;
  redirect = json_object_get_member (pj->msg, "redirect");
  if (s->closed) {
    /* nobody to answer */
  } else if (owner == NULL) {
    jerr = g_error_new (HZ_SIGNAL_ERROR, HZ_SIGNAL_ERROR_UNAVAILABLE,
                        "the room could not be placed on a node (%s); try again", error->message);
    hz_signal_reply_error (s, pj->id, jerr);
    hz_signal_audit_join (s, msg_token (pj->msg), jerr);
  } else if (g_strcmp0 (owner, hz_cluster_get_node_id (cluster)) != 0) {
    if (redirect != NULL && JSON_NODE_HOLDS_VALUE (redirect) &&
        json_node_get_value_type (redirect) == G_TYPE_BOOLEAN && json_node_get_boolean (redirect)) {
      reply_wrong_node (s, pj->id, owner, url);
    } else if (s->remote) {
      /* relayed here, but placed elsewhere meanwhile: no second hop */
      jerr = g_error_new (HZ_SIGNAL_ERROR, HZ_SIGNAL_ERROR_UNAVAILABLE,
                          "the room moved to another node; join again");
      hz_signal_reply_error (s, pj->id, jerr);
    } else {
      g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), pj->msg);
      g_autofree char *text = json_to_string (node, FALSE);

      hz_signal_relay_start (sig->relay, s, owner, text);
    }
  } else {
    if (!hz_signal_join_room (s, pj->msg, pj->id, &jerr))
      hz_signal_reply_error (s, pj->id, jerr);
    hz_signal_audit_join (s, msg_token (pj->msg), jerr);
  }
  /* placed here but nobody is in it (refused, or the client left) */
  if (owner != NULL && g_strcmp0 (owner, hz_cluster_get_node_id (cluster)) == 0 &&
      !g_hash_table_contains (sig->rooms, pj->room))
    hz_cluster_release_room (cluster, pj->room);
  if (!s->closed) {
    hz_signal_session_release_held (s);
    if (s->remote && !s->closed)
      hz_signal_relay_settle (sig->relay, s);
  }
  pending_join_free (pj);
}

void
hz_signal_place_then_join (Session *s, JsonObject *msg, JsonNode *id, const char *room)
{
  PendingJoin *pj = g_new0 (PendingJoin, 1);

  pj->s = hz_signal_session_ref (s);
  pj->msg = json_object_ref (msg);
  pj->id = id != NULL ? json_node_copy (id) : NULL;
  pj->room = g_strdup (room);
  s->placing = TRUE;
  hz_cluster_place_room_async (s->sig->config.cluster, room, s->sig->cancel, join_placed, pj);
}

/* ---- lifecycle ---- */

HzSignalRelay *
hz_signal_relay_new (HzSignal *sig, HzCluster *cluster)
{
  HzSignalRelay *r = g_new0 (HzSignalRelay, 1);

  r->sig = sig;
  r->cluster = cluster;
  r->prefix = g_strdup_printf ("%s.%08x.", hz_cluster_get_node_id (cluster), g_random_int ());
  r->entry = g_hash_table_new (g_str_hash, g_str_equal);
  r->remote = g_hash_table_new (g_str_hash, g_str_equal);
  r->remote_by_conn = g_hash_table_new (NULL, NULL);
  r->keep_timer = g_timeout_add (HZ_RELAY_KEEP_MS, keep_tick, r);
  return r;
}

void
hz_signal_relay_free (HzSignalRelay *r)
{
  GHashTableIter iter;
  gpointer value;

  if (r == NULL)
    return;
  g_clear_handle_id (&r->keep_timer, g_source_remove);
  while (g_hash_table_size (r->remote) > 0) {
    g_hash_table_iter_init (&iter, r->remote);
    g_hash_table_iter_next (&iter, NULL, &value);
    remote_drop (value);
  }
  while (g_hash_table_size (r->entry) > 0) {
    g_hash_table_iter_init (&iter, r->entry);
    g_hash_table_iter_next (&iter, NULL, &value);
    entry_stop (r, value);
  }
  g_hash_table_unref (r->entry);
  g_hash_table_unref (r->remote);
  g_hash_table_unref (r->remote_by_conn);
  g_free (r->prefix);
  g_free (r);
}

void
hz_signal_relay_get_counts (HzSignalRelay *r, guint *entry, guint *remote)
{
  *entry = g_hash_table_size (r->entry);
  *remote = g_hash_table_size (r->remote);
}
