/* hz-bwe: delay- and loss-based downlink estimate (GCC-style). The
 * constants are libwebrtc's unless a comment says otherwise. */
#include "hz-bwe.h"

#include <math.h>

#define BURST_US (5 * G_TIME_SPAN_MILLISECOND)  /* send-time grouping */
#define TREND_WINDOW 20
#define TREND_SMOOTHING 0.9
#define TREND_GAIN 4.0
#define OVERUSE_TIME_MS 10.0
#define K_UP 0.0087
#define K_DOWN 0.039
#define BETA 0.85
#define INCREASE_PER_S 1.08
#define ACKED_WINDOW_US (500 * G_TIME_SPAN_MILLISECOND)
#define ACKED_RING 1024 /* 500 ms at 2,000 packets/s; 12 KiB per subscriber */
#define LOSS_EVAL_US G_TIME_SPAN_SECOND       /* ours: loss over ≥ 1 s ... */
#define LOSS_EVAL_MIN_PACKETS 30             /* ... and ≥ 30 packets */
#define LOSS_EVAL_MAX_PACKETS 300            /* or at once after 300 */
#define REMB_ONLY_AFTER_US (2 * G_TIME_SPAN_SECOND) /* no TWCC for this long: REMB rules */

typedef enum { RC_HOLD, RC_INCREASE, RC_DECREASE } RcState;

typedef struct {
  gint64 first_send;
  gint64 last_send;
  gint64 last_arrival;
} Group;

struct _HzBwe {
  gdouble min_bps, max_bps;

  /* grouping */
  gboolean have_cur, have_prev;
  Group cur, prev;

  /* trendline */
  guint num_deltas;
  gboolean have_first_arrival;
  gint64 first_arrival;
  gdouble accumulated, smoothed;
  gdouble xs[TREND_WINDOW], ys[TREND_WINDOW];
  guint n_points, point_head;
  gdouble trend, prev_trend;

  /* detector */
  gdouble threshold;
  gdouble time_over_using;   /* ms, < 0 when not over */
  guint overuse_counter;
  gint64 last_threshold_ms;
  HzBweUsage usage;

  /* AIMD */
  RcState state;
  gdouble delay_bps;
  gint64 last_rc_us;

  /* acked bitrate, by receiver arrival time */
  gint64 acked_t[ACKED_RING];
  guint acked_size[ACKED_RING];
  guint acked_head, acked_n;
  guint64 acked_bytes;
  gint64 acked_first;
  gboolean have_acked_first;
  gdouble acked_bps;

  /* loss */
  guint loss_lost, loss_total;
  gint64 loss_since_us;
  gint64 loss_last_eval_us;
  gdouble loss_bps;
  gdouble loss_fraction;

  /* REMB */
  gdouble remb_bps;
  gint64 last_twcc_us;
  gboolean have_twcc;

  gdouble target;
};

HzBwe *
hz_bwe_new (guint64 start_bps, guint64 min_bps, guint64 max_bps)
{
  HzBwe *bwe = g_new0 (HzBwe, 1);

  bwe->min_bps = min_bps != 0 ? (gdouble) min_bps : HZ_BWE_MIN_BPS;
  bwe->max_bps = max_bps != 0 ? (gdouble) max_bps : HZ_BWE_MAX_BPS;
  bwe->delay_bps = CLAMP (start_bps != 0 ? (gdouble) start_bps : HZ_BWE_START_BPS,
                          bwe->min_bps, bwe->max_bps);
  bwe->loss_bps = bwe->max_bps;   /* not binding until loss is seen */
  bwe->target = bwe->delay_bps;
  bwe->threshold = 12.5;
  bwe->time_over_using = -1;
  bwe->last_threshold_ms = -1;
  bwe->state = RC_HOLD;
  bwe->loss_since_us = -1;
  return bwe;
}

void
hz_bwe_free (HzBwe *bwe)
{
  g_free (bwe);
}

/* ---- acked bitrate ---- */

static void
acked_add (HzBwe *bwe, gint64 arrival, guint size)
{
  guint tail;

  if (bwe->acked_n == ACKED_RING) {
    bwe->acked_bytes -= bwe->acked_size[bwe->acked_head];
    bwe->acked_head = (bwe->acked_head + 1) % ACKED_RING;
    bwe->acked_n--;
  }
  if (!bwe->have_acked_first) {
    bwe->have_acked_first = TRUE;
    bwe->acked_first = arrival;
  }
  tail = (bwe->acked_head + bwe->acked_n) % ACKED_RING;
  bwe->acked_t[tail] = arrival;
  bwe->acked_size[tail] = size;
  bwe->acked_bytes += size;
  bwe->acked_n++;
  /* forget what fell out of the window behind the newest arrival */
  while (bwe->acked_n > 1 && bwe->acked_t[bwe->acked_head] <= arrival - ACKED_WINDOW_US) {
    bwe->acked_bytes -= bwe->acked_size[bwe->acked_head];
    bwe->acked_head = (bwe->acked_head + 1) % ACKED_RING;
    bwe->acked_n--;
  }
}

static void
acked_update (HzBwe *bwe, gint64 newest)
{
  gint64 span = MIN (ACKED_WINDOW_US, newest - bwe->acked_first);

  if (bwe->acked_n == 0 || span < 100 * G_TIME_SPAN_MILLISECOND)
    return;
  bwe->acked_bps = (gdouble) bwe->acked_bytes * 8.0 * G_TIME_SPAN_SECOND / (gdouble) span;
}

/* ---- trendline and detector ---- */

static void
update_threshold (HzBwe *bwe, gdouble modified, gint64 now_ms)
{
  gdouble abs_m = fabs (modified);
  gdouble k;

  if (bwe->last_threshold_ms < 0)
    bwe->last_threshold_ms = now_ms;
  if (abs_m > bwe->threshold + 15.0) {
    bwe->last_threshold_ms = now_ms; /* a spike: do not adapt to it */
    return;
  }
  k = abs_m < bwe->threshold ? K_DOWN : K_UP;
  bwe->threshold += k * (abs_m - bwe->threshold) * (gdouble) MIN (now_ms - bwe->last_threshold_ms, 100);
  bwe->threshold = CLAMP (bwe->threshold, 6.0, 600.0);
  bwe->last_threshold_ms = now_ms;
}

static void
detect (HzBwe *bwe, gdouble send_delta_ms, gint64 now_ms)
{
  gdouble modified;

  if (bwe->num_deltas < 2)
    return;
  modified = MIN (bwe->num_deltas, 60) * bwe->trend * TREND_GAIN;
  if (modified > bwe->threshold) {
    bwe->time_over_using = bwe->time_over_using < 0 ? send_delta_ms / 2 : bwe->time_over_using + send_delta_ms;
    bwe->overuse_counter++;
    if (bwe->time_over_using > OVERUSE_TIME_MS && bwe->overuse_counter > 1 &&
        bwe->trend >= bwe->prev_trend) {
      bwe->time_over_using = 0;
      bwe->overuse_counter = 0;
      bwe->usage = HZ_BWE_OVERUSE;
    }
  } else if (modified < -bwe->threshold) {
    bwe->time_over_using = -1;
    bwe->overuse_counter = 0;
    bwe->usage = HZ_BWE_UNDERUSE;
  } else {
    bwe->time_over_using = -1;
    bwe->overuse_counter = 0;
    bwe->usage = HZ_BWE_NORMAL;
  }
  bwe->prev_trend = bwe->trend;
  update_threshold (bwe, modified, now_ms);
}

static gdouble
linear_fit_slope (const HzBwe *bwe)
{
  gdouble sx = 0, sy = 0, num = 0, den = 0;

  for (guint i = 0; i < TREND_WINDOW; i++) {
    sx += bwe->xs[i];
    sy += bwe->ys[i];
  }
  sx /= TREND_WINDOW;
  sy /= TREND_WINDOW;
  for (guint i = 0; i < TREND_WINDOW; i++) {
    num += (bwe->xs[i] - sx) * (bwe->ys[i] - sy);
    den += (bwe->xs[i] - sx) * (bwe->xs[i] - sx);
  }
  return den > 0 ? num / den : bwe->trend;
}

static void
on_group_delta (HzBwe *bwe, gdouble recv_delta_ms, gdouble send_delta_ms, gint64 arrival)
{
  if (!bwe->have_first_arrival) {
    bwe->have_first_arrival = TRUE;
    bwe->first_arrival = arrival;
  }
  if (bwe->num_deltas < 1000)
    bwe->num_deltas++;
  bwe->accumulated += recv_delta_ms - send_delta_ms;
  bwe->smoothed = TREND_SMOOTHING * bwe->smoothed + (1 - TREND_SMOOTHING) * bwe->accumulated;
  bwe->xs[bwe->point_head] = (gdouble) (arrival - bwe->first_arrival) / 1000.0;
  bwe->ys[bwe->point_head] = bwe->smoothed;
  bwe->point_head = (bwe->point_head + 1) % TREND_WINDOW;
  if (bwe->n_points < TREND_WINDOW)
    bwe->n_points++;
  if (bwe->n_points == TREND_WINDOW)
    bwe->trend = linear_fit_slope (bwe);
  detect (bwe, send_delta_ms, arrival / 1000);
}

static void
on_received (HzBwe *bwe, const HzTwccResult *r)
{
  if (!bwe->have_cur) {
    bwe->have_cur = TRUE;
    bwe->cur = (Group) { r->send_us, r->send_us, r->arrival_us };
    return;
  }
  if (r->send_us < bwe->cur.first_send)
    return; /* sent before the current burst: reordered, no delay information */
  if (r->send_us - bwe->cur.first_send <= BURST_US) {
    bwe->cur.last_send = MAX (bwe->cur.last_send, r->send_us);
    bwe->cur.last_arrival = MAX (bwe->cur.last_arrival, r->arrival_us);
    return;
  }
  if (bwe->have_prev && bwe->cur.last_arrival >= bwe->prev.last_arrival)
    on_group_delta (bwe, (gdouble) (bwe->cur.last_arrival - bwe->prev.last_arrival) / 1000.0,
                    (gdouble) (bwe->cur.last_send - bwe->prev.last_send) / 1000.0,
                    bwe->cur.last_arrival);
  bwe->prev = bwe->cur;
  bwe->have_prev = TRUE;
  bwe->cur = (Group) { r->send_us, r->send_us, r->arrival_us };
}

/* ---- rate control ---- */

static void
rate_control (HzBwe *bwe, gint64 now_us)
{
  gdouble dt_s = bwe->last_rc_us == 0 ? 0 : (gdouble) MIN (now_us - bwe->last_rc_us, G_TIME_SPAN_SECOND) / G_TIME_SPAN_SECOND;

  switch (bwe->usage) {
  case HZ_BWE_OVERUSE:
    bwe->state = RC_DECREASE;
    break;
  case HZ_BWE_UNDERUSE:
    bwe->state = RC_HOLD;
    break;
  case HZ_BWE_NORMAL:
    if (bwe->state != RC_INCREASE) {
      bwe->state = RC_INCREASE;
      dt_s = 0; /* count increase time from now */
    }
    break;
  }
  if (bwe->state == RC_INCREASE) {
    gdouble next = bwe->delay_bps * pow (INCREASE_PER_S, MAX (dt_s, 0));

    /* never more than 1.5× what actually got through (+10 kbit/s) */
    if (bwe->acked_bps > 0)
      next = MIN (next, MAX (bwe->delay_bps, 1.5 * bwe->acked_bps + 10000));
    bwe->delay_bps = next;
  } else if (bwe->state == RC_DECREASE) {
    gdouble next = BETA * (bwe->acked_bps > 0 ? bwe->acked_bps : bwe->delay_bps);

    bwe->delay_bps = MIN (bwe->delay_bps, next);
    bwe->state = RC_HOLD;
  }
  bwe->delay_bps = CLAMP (bwe->delay_bps, bwe->min_bps, bwe->max_bps);
  bwe->last_rc_us = now_us;
}

static void
loss_control (HzBwe *bwe, gint64 now_us)
{
  gdouble p;

  if (bwe->loss_since_us < 0)
    bwe->loss_since_us = now_us;
  if (bwe->loss_total < LOSS_EVAL_MIN_PACKETS ||
      (now_us - bwe->loss_since_us < LOSS_EVAL_US && bwe->loss_total < LOSS_EVAL_MAX_PACKETS))
    return;
  p = (gdouble) bwe->loss_lost / bwe->loss_total;
  if (p > 0.10) {
    bwe->loss_bps = MIN (bwe->loss_bps, bwe->target) * (1 - 0.5 * p);
  } else if (p < 0.02 && bwe->loss_bps < bwe->max_bps) {
    gdouble dt_s = bwe->loss_last_eval_us == 0 ? 1.0
                   : (gdouble) MIN (now_us - bwe->loss_last_eval_us, G_TIME_SPAN_SECOND) / G_TIME_SPAN_SECOND;
    bwe->loss_bps *= pow (INCREASE_PER_S, dt_s);
  }
  bwe->loss_bps = CLAMP (bwe->loss_bps, bwe->min_bps, bwe->max_bps);
  bwe->loss_fraction = p;
  bwe->loss_lost = bwe->loss_total = 0;
  bwe->loss_since_us = now_us;
  bwe->loss_last_eval_us = now_us;
}

static void
update_target (HzBwe *bwe, gint64 now_us)
{
  gdouble t;

  if (!bwe->have_twcc || now_us - bwe->last_twcc_us > REMB_ONLY_AFTER_US)
    t = bwe->remb_bps > 0 ? bwe->remb_bps : bwe->target;
  else
    t = MIN (bwe->delay_bps, bwe->loss_bps);
  if (bwe->remb_bps > 0)
    t = MIN (t, bwe->remb_bps);
  bwe->target = CLAMP (t, bwe->min_bps, bwe->max_bps);
}

/* Feeds one feedback's results (hz_twcc_send_on_feedback, in sequence
 * order) at @now_us, the time the feedback arrived. Updates the estimate. */
void
hz_bwe_on_twcc (HzBwe *bwe, const HzTwccResult *results, guint n_results, gint64 now_us)
{
  gint64 newest = G_MININT64;

  g_return_if_fail (bwe != NULL);
  g_return_if_fail (results != NULL || n_results == 0);
  if (n_results == 0)
    return;
  for (guint i = 0; i < n_results; i++) {
    const HzTwccResult *r = &results[i];

    bwe->loss_total++;
    if (!r->received) {
      bwe->loss_lost++;
      continue;
    }
    acked_add (bwe, r->arrival_us, r->size);
    newest = MAX (newest, r->arrival_us);
    on_received (bwe, r);
  }
  if (newest != G_MININT64)
    acked_update (bwe, newest);
  bwe->have_twcc = TRUE;
  bwe->last_twcc_us = now_us;
  rate_control (bwe, now_us);
  loss_control (bwe, now_us);
  update_target (bwe, now_us);
}

/* A REMB from the subscriber (hz_rtcp_parse_remb). It caps the estimate;
 * when the subscriber sends no TWCC feedback it is the estimate. */
void
hz_bwe_on_remb (HzBwe *bwe, guint64 bitrate_bps, gint64 now_us)
{
  g_return_if_fail (bwe != NULL);
  bwe->remb_bps = (gdouble) bitrate_bps;
  update_target (bwe, now_us);
}

/* A probe (padding sent above the media rate) got @bitrate_bps through
 * without overuse: the link takes at least that much, at once, instead of
 * the slow multiplicative climb. */
void
hz_bwe_on_probe_result (HzBwe *bwe, guint64 bitrate_bps, gint64 now_us)
{
  g_return_if_fail (bwe != NULL);
  if (bwe->state == RC_DECREASE)
    return;
  bwe->delay_bps = CLAMP (MAX (bwe->delay_bps, (gdouble) bitrate_bps), bwe->min_bps, bwe->max_bps);
  update_target (bwe, now_us);
}

guint64
hz_bwe_get_target (HzBwe *bwe)
{
  g_return_val_if_fail (bwe != NULL, 0);
  return (guint64) bwe->target;
}

void
hz_bwe_get_stats (HzBwe *bwe, HzBweStats *stats)
{
  g_return_if_fail (bwe != NULL && stats != NULL);
  stats->target_bps = (guint64) bwe->target;
  stats->delay_bps = (guint64) bwe->delay_bps;
  stats->loss_bps = (guint64) bwe->loss_bps;
  stats->acked_bps = (guint64) bwe->acked_bps;
  stats->remb_bps = (guint64) bwe->remb_bps;
  stats->usage = bwe->usage;
  stats->trend = bwe->trend;
  stats->threshold = bwe->threshold;
  stats->loss_fraction = bwe->loss_fraction;
}
