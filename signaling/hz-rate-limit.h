/* hz-rate-limit: a token-bucket limiter keyed by peer address, for the join
 * path and the HTTP API (too many bad tokens from one address -> 429 /
 * "rate_limited").
 *
 * Owns: one bucket per peer (burst tokens, refilled at a steady rate), the
 * normalisation of peer addresses into keys, and the memory bound. Pure: the
 * clock is an argument (monotonic microseconds), no logging, no random
 * source, no threads; one limiter belongs to one thread (the control plane's
 * main context).
 *
 * Keys: an IPv4 address (with or without ":port") is one key; an IPv6
 * address is keyed by its /64 prefix (one host usually owns a whole /64, so
 * rotating the low bits buys an attacker nothing). Anything else is used as
 * given.
 *
 * Memory: at most max_peers buckets. A new peer first reuses the least
 * recently seen bucket if it has refilled completely (that peer would start
 * from a full bucket anyway, so forgetting it changes nothing). When every
 * bucket is in use, newcomers share one overflow bucket: an address spray
 * is limited as a whole instead of growing the table or evicting the peers
 * being limited.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _HzRateLimit HzRateLimit;

/* @burst: requests a fresh peer may make at once (>= 1).
 * @refill_interval_us: one token comes back every this many microseconds
 * (> 0), e.g. 10 joins at once then one per 6 s: (10, 6 * G_USEC_PER_SEC).
 * @max_peers: bound on remembered peers (>= 1). */
HzRateLimit *hz_rate_limit_new (guint burst, gint64 refill_interval_us, guint max_peers);
void hz_rate_limit_free (HzRateLimit *self);

/* Takes one token from @peer_addr's bucket at @now_us (monotonic; a clock
 * that goes backwards is treated as not moving). Returns 0 when the request
 * is allowed, else the microseconds until the next token (> 0, nothing
 * taken): answer 429 with Retry-After: hz_rate_limit_retry_after_s (result). */
gint64 hz_rate_limit_check (HzRateLimit *self, const char *peer_addr, gint64 now_us);

/* Whole seconds (rounded up, at least 1) for a Retry-After header. */
guint hz_rate_limit_retry_after_s (gint64 retry_after_us);

/* The number of buckets held (for tests and metrics); at most max_peers. */
guint hz_rate_limit_get_size (HzRateLimit *self);

/* The key @peer_addr is counted under (newly allocated). */
char *hz_rate_limit_key (const char *peer_addr);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HzRateLimit, hz_rate_limit_free)

G_END_DECLS
