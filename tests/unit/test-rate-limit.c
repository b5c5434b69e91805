/* Unit tests of signaling/hz-rate-limit: the per-address limiter of joins and
 * API calls, driven by an injected clock (no real time). */
#include "hz-rate-limit.h"

#define SEC G_USEC_PER_SEC

/* A peer gets its burst at once, then one request per interval; a refused
 * request says how long to wait and takes nothing. */
static void
test_burst_then_steady (void)
{
  g_autoptr(HzRateLimit) rl = hz_rate_limit_new (3, 2 * SEC, 16);
  gint64 t = 1000 * SEC;

  for (guint i = 0; i < 3; i++)
    g_assert_cmpint (hz_rate_limit_check (rl, "203.0.113.7", t), ==, 0);
  /* the 4th at the same instant: wait the full interval */
  g_assert_cmpint (hz_rate_limit_check (rl, "203.0.113.7", t), ==, 2 * SEC);
  /* refusals do not push the wait further */
  g_assert_cmpint (hz_rate_limit_check (rl, "203.0.113.7", t + SEC), ==, SEC);
  g_assert_cmpint (hz_rate_limit_check (rl, "203.0.113.7", t + 2 * SEC - 1), ==, 1);
  g_assert_cmpint (hz_rate_limit_check (rl, "203.0.113.7", t + 2 * SEC), ==, 0);
  g_assert_cmpint (hz_rate_limit_check (rl, "203.0.113.7", t + 2 * SEC), ==, 2 * SEC);
  /* after a long quiet time the whole burst is back, not more */
  t += 100 * SEC;
  for (guint i = 0; i < 3; i++)
    g_assert_cmpint (hz_rate_limit_check (rl, "203.0.113.7", t), ==, 0);
  g_assert_cmpint (hz_rate_limit_check (rl, "203.0.113.7", t), >, 0);
}

/* One noisy address does not limit another. */
static void
test_peers_independent (void)
{
  g_autoptr(HzRateLimit) rl = hz_rate_limit_new (1, 10 * SEC, 16);

  g_assert_cmpint (hz_rate_limit_check (rl, "192.0.2.1", 0), ==, 0);
  g_assert_cmpint (hz_rate_limit_check (rl, "192.0.2.1", 0), >, 0);
  g_assert_cmpint (hz_rate_limit_check (rl, "192.0.2.2", 0), ==, 0);
  g_assert_cmpuint (hz_rate_limit_get_size (rl), ==, 2);
}

/* The source port does not make a new peer, nor do the low 64 bits of IPv6. */
static void
test_keys (void)
{
  g_autoptr(HzRateLimit) rl = hz_rate_limit_new (1, 10 * SEC, 16);
  struct { const char *in, *key; } cases[] = {
    { "192.0.2.1", "192.0.2.1" },
    { "192.0.2.1:54321", "192.0.2.1" },
    { "::ffff:192.0.2.1", "192.0.2.1" },
    { "[2001:db8:1:2::5]:443", "2001:0db8:0001:0002::/64" },
    { "2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:0db8:0001:0002::/64" },
    { "not-an-address", "not-an-address" },
    { "", "" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree char *key = hz_rate_limit_key (cases[i].in);
    g_assert_cmpstr (key, ==, cases[i].key);
  }
  g_assert_cmpint (hz_rate_limit_check (rl, "192.0.2.1:1000", 0), ==, 0);
  g_assert_cmpint (hz_rate_limit_check (rl, "192.0.2.1:1001", 0), >, 0);
  g_assert_cmpint (hz_rate_limit_check (rl, "2001:db8::1", 0), ==, 0);
  g_assert_cmpint (hz_rate_limit_check (rl, "2001:db8::2", 0), >, 0);
  g_assert_cmpint (hz_rate_limit_check (rl, NULL, 0), ==, 0);
}

/* Memory stays bounded under an address spray: newcomers past the bound
 * share one bucket, and limited peers are not forgotten (which would hand
 * them a fresh burst). */
static void
test_bounded_memory (void)
{
  g_autoptr(HzRateLimit) rl = hz_rate_limit_new (2, 60 * SEC, 4);
  guint allowed = 0;

  for (guint i = 0; i < 4; i++) {
    g_autofree char *a = g_strdup_printf ("198.51.100.%u", i);
    g_assert_cmpint (hz_rate_limit_check (rl, a, 0), ==, 0);
  }
  for (guint i = 0; i < 10000; i++) {
    g_autofree char *a = g_strdup_printf ("10.%u.%u.%u", i >> 16, (i >> 8) & 255, i & 255);
    if (hz_rate_limit_check (rl, a, SEC) == 0)
      allowed++;
  }
  g_assert_cmpuint (hz_rate_limit_get_size (rl), ==, 4);
  g_assert_cmpuint (allowed, ==, 2); /* the overflow bucket's burst, no more */
  /* the remembered peers still have their second token, not a fresh burst */
  g_assert_cmpint (hz_rate_limit_check (rl, "198.51.100.0", SEC), ==, 0);
  g_assert_cmpint (hz_rate_limit_check (rl, "198.51.100.0", SEC), >, 0);

  /* once the old peers' buckets are full again, they make room for new ones */
  g_assert_cmpint (hz_rate_limit_check (rl, "192.0.2.99", 1000 * SEC), ==, 0);
  g_assert_cmpuint (hz_rate_limit_get_size (rl), ==, 4);
  g_assert_cmpint (hz_rate_limit_check (rl, "192.0.2.99", 1000 * SEC), ==, 0);
  g_assert_cmpint (hz_rate_limit_check (rl, "192.0.2.99", 1000 * SEC), >, 0);
}

/* A clock going backwards neither crashes nor grants extra tokens. */
static void
test_clock_backwards (void)
{
  g_autoptr(HzRateLimit) rl = hz_rate_limit_new (1, 10 * SEC, 4);

  g_assert_cmpint (hz_rate_limit_check (rl, "192.0.2.1", 100 * SEC), ==, 0);
  g_assert_cmpint (hz_rate_limit_check (rl, "192.0.2.1", 50 * SEC), >, 0);
  g_assert_cmpint (hz_rate_limit_check (rl, "192.0.2.1", G_MININT64 / 2), >, 0);
}

static void
test_retry_after_header (void)
{
  g_assert_cmpuint (hz_rate_limit_retry_after_s (1), ==, 1);
  g_assert_cmpuint (hz_rate_limit_retry_after_s (SEC), ==, 1);
  g_assert_cmpuint (hz_rate_limit_retry_after_s (SEC + 1), ==, 2);
  g_assert_cmpuint (hz_rate_limit_retry_after_s (59 * SEC + 10), ==, 60);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/rate-limit/burst-then-steady", test_burst_then_steady);
  g_test_add_func ("/rate-limit/peers-independent", test_peers_independent);
  g_test_add_func ("/rate-limit/keys", test_keys);
  g_test_add_func ("/rate-limit/bounded-memory", test_bounded_memory);
  g_test_add_func ("/rate-limit/clock-backwards", test_clock_backwards);
  g_test_add_func ("/rate-limit/retry-after-header", test_retry_after_header);
  return g_test_run ();
}
