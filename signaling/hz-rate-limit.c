/* hz-rate-limit: see hz-rate-limit.h.
 *
 * Each bucket is kept as GCRA (the generic cell rate algorithm, ITU-T I.371):
 * one "theoretical arrival time" per peer instead of a token count and a
 * timestamp. A request at now is allowed when tat - now <= (burst - 1) *
 * interval, and then tat = max (tat, now) + interval. The bucket is full
 * again once tat <= now. Same behaviour as a token bucket, one integer. */
#include "hz-rate-limit.h"

#include <arpa/inet.h>
#include <string.h>


typedef struct {
  char *key;
  gint64 tat;   /* theoretical arrival time, µs */
  GList link;   /* in self->lru, data = this bucket */
} HzBucket;

struct _HzRateLimit {
  guint burst;
  gint64 interval_us;
  guint max_peers;
  GHashTable *buckets; /* key -> HzBucket* (owned) */
  GQueue lru;          /* least recently seen first */
  HzBucket overflow;   /* shared by newcomers when the table is full */
};

static void
bucket_free (HzBucket *b)
{
  g_free (b->key);
  g_free (b);
}

HzRateLimit *
hz_rate_limit_new (guint burst, gint64 refill_interval_us, guint max_peers)
{
  HzRateLimit *self;

  g_return_val_if_fail (burst >= 1, NULL);
  g_return_val_if_fail (refill_interval_us > 0, NULL);
  g_return_val_if_fail (max_peers >= 1, NULL);

  self = g_new0 (HzRateLimit, 1);
  self->burst = burst;
  self->interval_us = refill_interval_us;
  self->max_peers = max_peers;
  self->buckets = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) bucket_free);
  g_queue_init (&self->lru);
  self->overflow.tat = G_MININT64;
  return self;
}

void
hz_rate_limit_free (HzRateLimit *self)
{
  if (self == NULL)
    return;
  g_hash_table_destroy (self->buckets);
  g_free (self);
}

char *
hz_rate_limit_key (const char *peer_addr)
{
  const char *p = peer_addr != NULL ? peer_addr : "";
  guint8 a6[16];
  struct in_addr a4;
  g_autofree char *host = NULL;
  const char *colon = strchr (p, ':');

  /* "[v6]:port" or "[v6]" */
  if (p[0] == '[') {
    const char *end = strchr (p, ']');
    host = end != NULL ? g_strndup (p + 1, end - p - 1) : g_strdup (p + 1);
  } else if (colon != NULL && strchr (colon + 1, ':') == NULL) {
    host = g_strndup (p, colon - p); /* "v4:port" */
  } else {
    host = g_strdup (p);
  }
  if (inet_pton (AF_INET, host, &a4) == 1) {
    char buf[INET_ADDRSTRLEN];
    return g_strdup (inet_ntop (AF_INET, &a4, buf, sizeof buf));
  }
  if (inet_pton (AF_INET6, host, a6) == 1) {
    static const guint8 v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
    if (memcmp (a6, v4mapped, sizeof v4mapped) == 0)
      return g_strdup_printf ("%u.%u.%u.%u", a6[12], a6[13], a6[14], a6[15]);
    return g_strdup_printf ("%02x%02x:%02x%02x:%02x%02x:%02x%02x::/64", a6[0], a6[1], a6[2], a6[3],
                            a6[4], a6[5], a6[6], a6[7]);
  }
  return g_steal_pointer (&host);
}

/* GCRA step on one bucket: 0 (token taken) or the wait in µs. */
static gint64
bucket_take (HzRateLimit *self, HzBucket *b, gint64 now_us)
{
  gint64 tolerance = (gint64) (self->burst - 1) * self->interval_us;
  gint64 tat = MAX (b->tat, now_us);

  if (tat - now_us > tolerance)
    return tat - now_us - tolerance;
  b->tat = tat + self->interval_us;
  return 0;
}

/* A bucket for a peer not in the table, or NULL when the table is full of
 * peers still being limited. */
static HzBucket *
bucket_for_newcomer (HzRateLimit *self, const char *key, gint64 now_us)
{
  HzBucket *b;

  if (g_hash_table_size (self->buckets) >= self->max_peers) {
    HzBucket *oldest = g_queue_peek_head (&self->lru);
    if (oldest == NULL || oldest->tat > now_us)
      return NULL;
    g_queue_unlink (&self->lru, &oldest->link);
    g_hash_table_remove (self->buckets, oldest->key);
  }
  b = g_new0 (HzBucket, 1);
  b->key = g_strdup (key);
  b->tat = G_MININT64;
  b->link.data = b;
  g_hash_table_insert (self->buckets, b->key, b);
  g_queue_push_tail_link (&self->lru, &b->link);
  return b;
}

gint64
hz_rate_limit_check (HzRateLimit *self, const char *peer_addr, gint64 now_us)
{
  g_autofree char *key = NULL;
  HzBucket *b;

  g_return_val_if_fail (self != NULL, 0);

  key = hz_rate_limit_key (peer_addr);
  b = g_hash_table_lookup (self->buckets, key);
  if (b != NULL) {
    g_queue_unlink (&self->lru, &b->link);
    g_queue_push_tail_link (&self->lru, &b->link);
  } else {
    b = bucket_for_newcomer (self, key, now_us);
    if (b == NULL)
      b = &self->overflow;
  }
  return bucket_take (self, b, now_us);
}

guint
hz_rate_limit_retry_after_s (gint64 retry_after_us)
{
  if (retry_after_us <= G_USEC_PER_SEC)
    return 1;
  return (guint) MIN ((retry_after_us + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC, G_MAXUINT);
}

guint
hz_rate_limit_get_size (HzRateLimit *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return g_hash_table_size (self->buckets);
}
