/* hz-cluster-load: the pure parts of hz-cluster; see hz-cluster-private.h. */
#include "hz-cluster-private.h"

#include <json-glib/json-glib.h>
#include <string.h>

G_DEFINE_QUARK (hz-cluster-error-quark, hz_cluster_error)

void
hz_redis_address_free (HzRedisAddress *addr)
{
  if (addr == NULL)
    return;
  g_free (addr->host);
  g_free (addr->password);
  g_free (addr);
}

HzRedisAddress *
hz_redis_address_parse (const char *url, GError **error)
{
  g_autoptr(GUri) uri = NULL;
  g_autoptr(HzRedisAddress) addr = g_new0 (HzRedisAddress, 1);
  g_autoptr(GError) local = NULL;
  const char *path;

  g_return_val_if_fail (url != NULL, NULL);

  uri = g_uri_parse (url, G_URI_FLAGS_HAS_PASSWORD | G_URI_FLAGS_ENCODED_PATH, &local);
  if (uri == NULL) {
    g_set_error (error, HZ_CLUSTER_ERROR, HZ_CLUSTER_ERROR_INVALID,
                 "redis URL \"%s\": %s", url, local->message);
    return NULL;
  }
  if (g_strcmp0 (g_uri_get_scheme (uri), "redis") != 0) {
    g_set_error (error, HZ_CLUSTER_ERROR, HZ_CLUSTER_ERROR_INVALID,
                 "redis URL \"%s\": only redis:// is supported (no TLS in hiredis 0.14)", url);
    return NULL;
  }
  if (g_uri_get_host (uri) == NULL || g_uri_get_host (uri)[0] == '\0') {
    g_set_error (error, HZ_CLUSTER_ERROR, HZ_CLUSTER_ERROR_INVALID,
                 "redis URL \"%s\" has no host", url);
    return NULL;
  }
  addr->host = g_strdup (g_uri_get_host (uri));
  addr->port = g_uri_get_port (uri) > 0 ? (guint) g_uri_get_port (uri) : 6379;
  if (g_uri_get_password (uri) != NULL && g_uri_get_password (uri)[0] != '\0')
    addr->password = g_strdup (g_uri_get_password (uri));
  path = g_uri_get_path (uri);
  if (path != NULL && path[0] == '/' && path[1] != '\0') {
    guint64 db = 0;
    if (!g_ascii_string_to_unsigned (path + 1, 10, 0, 15, &db, NULL)) {
      g_set_error (error, HZ_CLUSTER_ERROR, HZ_CLUSTER_ERROR_INVALID,
                   "redis URL \"%s\": database must be 0..15", url);
      return NULL;
    }
    addr->db = (guint) db;
  }
  return g_steal_pointer (&addr);
}

gboolean
hz_cluster_id_valid (const char *id)
{
  gsize n;

  if (id == NULL)
    return FALSE;
  n = strlen (id);
  if (n == 0 || n > 64)
    return FALSE;
  for (gsize i = 0; i < n; i++) {
    char c = id[i];
    if (!g_ascii_isalnum (c) && c != '.' && c != '_' && c != '-')
      return FALSE;
  }
  return TRUE;
}

char *
hz_cluster_node_to_json (const char *id, const char *url, const HzClusterLoad *load, gboolean draining)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  json_builder_add_string_value (b, id);
  json_builder_set_member_name (b, "url");
  json_builder_add_string_value (b, url != NULL ? url : "");
  json_builder_set_member_name (b, "cpu");
  json_builder_add_double_value (b, CLAMP (load->cpu, 0.0, 1.0));
  json_builder_set_member_name (b, "peers");
  json_builder_add_int_value (b, load->peers);
  json_builder_set_member_name (b, "bitrate_bps");
  json_builder_add_int_value (b, (gint64) MIN (load->bitrate_bps, (guint64) G_MAXINT64));
  json_builder_set_member_name (b, "draining");
  json_builder_add_boolean_value (b, draining);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  return json_generator_to_data (gen, NULL);
}

void
hz_cluster_node_free (HzClusterNode *node)
{
  if (node == NULL)
    return;
  g_free (node->id);
  g_free (node->url);
  g_free (node);
}

HzClusterNode *
hz_cluster_node_from_json (const char *json, gsize len, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(HzClusterNode) node = g_new0 (HzClusterNode, 1);
  g_autoptr(GError) local = NULL;
  JsonObject *o;
  JsonNode *m;

  if (!json_parser_load_from_data (parser, json, (gssize) len, &local)) {
    g_set_error (error, HZ_CLUSTER_ERROR, HZ_CLUSTER_ERROR_INVALID, "node record: %s", local->message);
    return NULL;
  }
  if (json_parser_get_root (parser) == NULL || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser))) {
    g_set_error_literal (error, HZ_CLUSTER_ERROR, HZ_CLUSTER_ERROR_INVALID, "node record is not an object");
    return NULL;
  }
  o = json_node_get_object (json_parser_get_root (parser));
  m = json_object_get_member (o, "id");
  if (m == NULL || json_node_get_value_type (m) != G_TYPE_STRING ||
      !hz_cluster_id_valid (json_node_get_string (m))) {
    g_set_error_literal (error, HZ_CLUSTER_ERROR, HZ_CLUSTER_ERROR_INVALID, "node record has no valid id");
    return NULL;
  }
  node->id = g_strdup (json_node_get_string (m));
  m = json_object_get_member (o, "url");
  node->url = g_strdup (m != NULL && json_node_get_value_type (m) == G_TYPE_STRING ? json_node_get_string (m) : "");
  m = json_object_get_member (o, "cpu");
  if (m != NULL && JSON_NODE_HOLDS_VALUE (m) &&
      (json_node_get_value_type (m) == G_TYPE_DOUBLE || json_node_get_value_type (m) == G_TYPE_INT64))
    node->cpu = CLAMP (json_node_get_double (m), 0.0, 1.0);
  m = json_object_get_member (o, "peers");
  if (m != NULL && JSON_NODE_HOLDS_VALUE (m) && json_node_get_value_type (m) == G_TYPE_INT64)
    node->peers = (guint) CLAMP (json_node_get_int (m), 0, G_MAXINT);
  m = json_object_get_member (o, "bitrate_bps");
  if (m != NULL && JSON_NODE_HOLDS_VALUE (m) && json_node_get_value_type (m) == G_TYPE_INT64)
    node->bitrate_bps = (guint64) MAX (json_node_get_int (m), 0);
  m = json_object_get_member (o, "draining");
  if (m != NULL && JSON_NODE_HOLDS_VALUE (m) && json_node_get_value_type (m) == G_TYPE_BOOLEAN)
    node->draining = json_node_get_boolean (m);
  return g_steal_pointer (&node);
}

static double
node_score (const HzClusterNode *n)
{
  return (double) n->rooms + (double) n->peers + 100.0 * n->cpu;
}

const HzClusterNode *
hz_cluster_pick_node (GPtrArray *nodes)
{
  const HzClusterNode *best = NULL;

  g_return_val_if_fail (nodes != NULL, NULL);
  for (guint i = 0; i < nodes->len; i++) {
    const HzClusterNode *n = g_ptr_array_index (nodes, i);
    if (n->draining)
      continue;
    if (best == NULL || node_score (n) < node_score (best) ||
        (node_score (n) == node_score (best) && strcmp (n->id, best->id) < 0))
      best = n;
  }
  return best;
}
