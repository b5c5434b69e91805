/* test-cluster-unit: the Redis-free parts of hz-cluster: the redis:// URL,
 * node ids (they become key and channel names), the node record and the
 * least-loaded choice. */
#include "hz-cluster-private.h"

#include <string.h>

static void
test_url (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HzRedisAddress) a = hz_redis_address_parse ("redis://10.0.0.5", &error);
  g_autoptr(HzRedisAddress) b = NULL;
  g_autoptr(HzRedisAddress) c = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (a->host, ==, "10.0.0.5");
  g_assert_cmpuint (a->port, ==, 6379);
  g_assert_null (a->password);
  g_assert_cmpuint (a->db, ==, 0);

  b = hz_redis_address_parse ("redis://:s3cret@redis.internal:6380/3", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (b->host, ==, "redis.internal");
  g_assert_cmpuint (b->port, ==, 6380);
  g_assert_cmpstr (b->password, ==, "s3cret");
  g_assert_cmpuint (b->db, ==, 3);

  /* TLS is not in hiredis 0.14: refused rather than silently sent in clear */
  c = hz_redis_address_parse ("rediss://redis.internal:6380", &error);
  g_assert_error (error, HZ_CLUSTER_ERROR, HZ_CLUSTER_ERROR_INVALID);
  g_assert_null (c);
  g_clear_error (&error);
  g_assert_null (hz_redis_address_parse ("redis://h/16", &error));
  g_assert_error (error, HZ_CLUSTER_ERROR, HZ_CLUSTER_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_null (hz_redis_address_parse ("redis:///0", &error));
  g_assert_error (error, HZ_CLUSTER_ERROR, HZ_CLUSTER_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_null (hz_redis_address_parse ("not a url", &error));
  g_assert_error (error, HZ_CLUSTER_ERROR, HZ_CLUSTER_ERROR_INVALID);
}

static void
test_ids (void)
{
  g_autofree char *long_id = g_strnfill (65, 'a');
  g_autoptr(GError) error = NULL;

  g_assert_true (hz_cluster_id_valid ("node-1.example_2"));
  g_assert_false (hz_cluster_id_valid (""));
  g_assert_false (hz_cluster_id_valid (NULL));
  /* ':' and '*' would change key names and SCAN/PSUBSCRIBE patterns */
  g_assert_false (hz_cluster_id_valid ("a:b"));
  g_assert_false (hz_cluster_id_valid ("a*"));
  g_assert_false (hz_cluster_id_valid ("a b"));
  g_assert_false (hz_cluster_id_valid (long_id));
  g_assert_null (hz_cluster_new ("redis://127.0.0.1", "bad:id", NULL, 3000, &error));
  g_assert_error (error, HZ_CLUSTER_ERROR, HZ_CLUSTER_ERROR_INVALID);
}

static void
test_node_json (void)
{
  HzClusterLoad load = { .cpu = 0.25, .peers = 12, .bitrate_bps = 34000000 };
  g_autofree char *json = hz_cluster_node_to_json ("n2", "https://n2.example:8443", &load, TRUE);
  g_autoptr(GError) error = NULL;
  g_autoptr(HzClusterNode) node = hz_cluster_node_from_json (json, strlen (json), &error);

  g_assert_no_error (error);
  g_assert_cmpstr (node->id, ==, "n2");
  g_assert_cmpstr (node->url, ==, "https://n2.example:8443");
  g_assert_cmpfloat_with_epsilon (node->cpu, 0.25, 1e-9);
  g_assert_cmpuint (node->peers, ==, 12);
  g_assert_cmpuint (node->bitrate_bps, ==, 34000000);
  g_assert_true (node->draining);
}

static void
test_node_json_bad (void)
{
  static const char *bad[] = {
    "",                          /* empty */
    "[1,2]",                     /* not an object */
    "{\"peers\":3}",             /* no id */
    "{\"id\":\"a:b\"}",          /* id with a key separator */
    "{\"id\":7}",                /* id not a string */
    "{\"id\":\"n1\"",            /* truncated */
  };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_autoptr(GError) error = NULL;
    g_autoptr(HzClusterNode) n = hz_cluster_node_from_json (bad[i], strlen (bad[i]), &error);
    g_assert_null (n);
    g_assert_error (error, HZ_CLUSTER_ERROR, HZ_CLUSTER_ERROR_INVALID);
  }
  /* wrong types for load fields are ignored, values are clamped */
  {
    const char *j = "{\"id\":\"n1\",\"cpu\":7.5,\"peers\":-3,\"bitrate_bps\":\"x\",\"draining\":1}";
    g_autoptr(HzClusterNode) n = hz_cluster_node_from_json (j, strlen (j), NULL);
    g_assert_nonnull (n);
    g_assert_cmpfloat (n->cpu, ==, 1.0);
    g_assert_cmpuint (n->peers, ==, 0);
    g_assert_cmpuint (n->bitrate_bps, ==, 0);
    g_assert_false (n->draining);
    g_assert_cmpstr (n->url, ==, "");
  }
}

static HzClusterNode *
node (const char *id, guint rooms, guint peers, double cpu, gboolean draining)
{
  HzClusterNode *n = g_new0 (HzClusterNode, 1);
  n->id = g_strdup (id);
  n->url = g_strdup ("");
  n->rooms = rooms;
  n->peers = peers;
  n->cpu = cpu;
  n->draining = draining;
  return n;
}

static void
test_pick (void)
{
  g_autoptr(GPtrArray) nodes = g_ptr_array_new_with_free_func ((GDestroyNotify) hz_cluster_node_free);

  g_assert_null (hz_cluster_pick_node (nodes));
  g_ptr_array_add (nodes, node ("c", 0, 0, 0.0, TRUE));     /* idle but draining: never */
  g_assert_null (hz_cluster_pick_node (nodes));
  g_ptr_array_add (nodes, node ("b", 2, 10, 0.10, FALSE));  /* 2 + 10 + 10 = 22 */
  g_ptr_array_add (nodes, node ("a", 5, 5, 0.12, FALSE));   /* 5 + 5 + 12 = 22: tie, "a" < "b" */
  g_assert_cmpstr (hz_cluster_pick_node (nodes)->id, ==, "a");
  g_ptr_array_add (nodes, node ("d", 1, 1, 0.05, FALSE));   /* 1 + 1 + 5 = 7 */
  g_assert_cmpstr (hz_cluster_pick_node (nodes)->id, ==, "d");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/cluster/url", test_url);
  g_test_add_func ("/cluster/ids", test_ids);
  g_test_add_func ("/cluster/node-json", test_node_json);
  g_test_add_func ("/cluster/node-json-bad", test_node_json_bad);
  g_test_add_func ("/cluster/pick", test_pick);
  return g_test_run ();
}
