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
#define LOSS_EVAL_MIN_PACKETS 60             /* ... and ≥ 60 packets (5 % random loss
                                              * then rarely reads as > 10 %) */
#define LOSS_EVAL_MAX_PACKETS 300            /* or at once after 300 */
#define LOSS_EVAL_LONG_US (3 * G_TIME_SPAN_SECOND) /* audio only: ≥ 20 over 3 s */
#define LOSS_EVAL_LONG_PACKETS 20
#define LOSS_LOW 0.02
#define LOSS_HIGH 0.10
#define PROBE_CLUSTER_US (250 * G_TIME_SPAN_MILLISECOND) /* ours: long enough for 50 ms feedback
                                                        * and to empty a shaper's saved-up burst */
#define PROBE_RESULT_TIMEOUT_US G_TIME_SPAN_SECOND
#define PROBE_AGAIN_US (500 * G_TIME_SPAN_MILLISECOND)   /* after a probe that got through */
#define PROBE_CONFIRM_US (300 * G_TIME_SPAN_MILLISECOND) /* the confirming probe follows this soon */
#define PROBE_BACKOFF_MIN_US (2 * G_TIME_SPAN_SECOND)
#define PROBE_BACKOFF_MAX_US (16 * G_TIME_SPAN_SECOND)
#define PROBE_STABLE_US (2 * G_TIME_SPAN_SECOND) /* no probe this soon after a decrease */
#define LOSS_DECREASE_INTERVAL_US (2 * G_TIME_SPAN_SECOND) /* ours: see loss_control */
#define RTX_SHARE 0.25           /* retransmissions: at most this share of the estimate ... */
#define RTX_BURST_US (200 * G_TIME_SPAN_MILLISECOND) /* ... with this much saved up */
#define RTX_BURST_MIN 3000       /* bytes: two full packets always */
#define PROBE_MAX_FACTOR 2.0     /* a probe goes at most to 2 × the estimate ... */
#define PROBE_OVERSHOOT 1.15     /* ... and to 1.15 × the wish: 5 % loss and the
                                  * padding's granularity still leave it covered */
#define PROBE_MIN_PACKETS 5      /* libwebrtc's ProbeBitrateEstimator thresholds */
#define PROBE_MIN_RECEIVED 0.8
#define PROBE_SUCCESS 0.8        /* of the probe rate: counts as got through */
#define REMB_ONLY_AFTER_US (2 * G_TIME_SPAN_SECOND) /* no TWCC for this long: REMB rules */

typedef enum { RC_HOLD, RC_INCREASE, RC_DECREASE } RcState;
typedef enum { PROBE_IDLE, PROBE_SENDING, PROBE_WAITING } ProbeState;

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
  gint64 last_decrease_us;     /* delay- or loss-based, 0 never */
  gint64 loss_decrease_us;
  gboolean overuse_in_window;  /* the delay-based detector saw overuse since the last evaluation */

  /* probing: one cluster of transport-wide sequence numbers at a time */
  ProbeState probe_state;
  guint16 probe_first, probe_last;
  gdouble probe_rate, probe_base;
  gint64 probe_end_us;         /* SENDING: until then; WAITING: when sending ended */
  gint64 probe_next_us, probe_backoff_us;
  gint64 probe_ok_us;          /* when the last probe got through, 0 once it held */
  gdouble probe_candidate;     /* delivery rate of a first probe awaiting confirmation, 0 none */
  gdouble probe_confirm_rate, probe_confirm_base; /* the rate it was sent at, over what media */
  gdouble probe_failed_rate;   /* the rate of the last probe that failed, 0 none */
  gdouble probe_last_want;
  guint probe_sent_n, probe_recv_n;
  gdouble probe_sent_bytes, probe_recv_bytes;
  gint64 probe_first_send, probe_last_send, probe_first_arrival, probe_last_arrival;
  guint probe_last_send_size, probe_first_arrival_size;
  gboolean probe_saw_last;
  guint probes_ok, probes_failed;
  gdouble last_probe_bps;

  /* retransmission budget (token bucket, bytes) */
  gdouble rtx_tokens;
  gint64 rtx_last_us;
  guint rtx_denied;

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
  bwe->probe_backoff_us = PROBE_BACKOFF_MIN_US;
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
      bwe->overuse_in_window = TRUE;
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
    bwe->last_decrease_us = now_us;
  }
  bwe->delay_bps = CLAMP (bwe->delay_bps, bwe->min_bps, bwe->max_bps);
  bwe->last_rc_us = now_us;
}

/* GCC's loss-based control (draft-ietf-rmcat-gcc-02 §6) over windows of
 * ≥ 1 s and ≥ 60 packets: < 2 % grows 8 %/s, > 10 % cuts to the target
 * × (1 − loss/2), at most once in 2 s, so losses that happened at a higher
 * rate (a queue draining after a switch down, before the lower layer's key
 * frame) do not compound into a pause — and 2–10 % holds unless the delay-based detector saw no overuse in the
 * window: then the loss is random (a lossy radio link, not a full queue)
 * and the limit grows as with no loss. The delay-based estimate still
 * answers a real bottleneck. */
static void
loss_control (HzBwe *bwe, gint64 now_us)
{
  gdouble p;
  gint64 span;

  if (bwe->loss_since_us < 0)
    bwe->loss_since_us = now_us;
  span = now_us - bwe->loss_since_us;
  if (!(bwe->loss_total >= LOSS_EVAL_MAX_PACKETS ||
        (span >= LOSS_EVAL_US && bwe->loss_total >= LOSS_EVAL_MIN_PACKETS) ||
        (span >= LOSS_EVAL_LONG_US && bwe->loss_total >= LOSS_EVAL_LONG_PACKETS)))
    return;
  p = (gdouble) bwe->loss_lost / bwe->loss_total;
  if (p > LOSS_HIGH) {
    /* the target, as GCC: an app-limited sender (video paused, audio only)
     * acks far less than the link takes, and a cut from there could never
     * be probed back out of */
    gdouble base = bwe->target;

    if (bwe->loss_decrease_us == 0 || now_us - bwe->loss_decrease_us >= LOSS_DECREASE_INTERVAL_US) {
      bwe->loss_bps = MIN (bwe->loss_bps, base * (1 - 0.5 * p));
      bwe->loss_decrease_us = bwe->last_decrease_us = now_us;
    }
  } else if ((p < LOSS_LOW || !bwe->overuse_in_window) && bwe->loss_bps < bwe->max_bps) {
    gdouble dt_s = bwe->loss_last_eval_us == 0 ? 1.0
                   : (gdouble) MIN (now_us - bwe->loss_last_eval_us, LOSS_EVAL_LONG_US) / G_TIME_SPAN_SECOND;
    bwe->loss_bps *= pow (INCREASE_PER_S, dt_s);
  }
  bwe->loss_bps = CLAMP (bwe->loss_bps, bwe->min_bps, bwe->max_bps);
  bwe->loss_fraction = p;
  bwe->loss_lost = bwe->loss_total = 0;
  bwe->overuse_in_window = FALSE;
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

/* ---- probing ---- */

/* Raises the estimate to what a probe got through (never lowers it); the
 * loss-based limit too when the probe itself lost no more than 10 %. */
static void
apply_probe (HzBwe *bwe, gdouble bps, gdouble probe_loss, gint64 now_us)
{
  if (bwe->state != RC_DECREASE)
    bwe->delay_bps = CLAMP (MAX (bwe->delay_bps, bps), bwe->min_bps, bwe->max_bps);
  if (probe_loss <= LOSS_HIGH)
    bwe->loss_bps = CLAMP (MAX (bwe->loss_bps, bps), bwe->min_bps, bwe->max_bps);
  update_target (bwe, now_us);
}

static void
probe_account (HzBwe *bwe, const HzTwccResult *r)
{
  guint16 off = (guint16) (r->seq - bwe->probe_first);

  if (bwe->probe_state == PROBE_IDLE || off >= 0x8000)
    return;
  if (bwe->probe_state == PROBE_WAITING) {
    if ((guint16) (r->seq - bwe->probe_last) < 0x8000)
      bwe->probe_saw_last = TRUE;
    if (off > (guint16) (bwe->probe_last - bwe->probe_first))
      return;
  }
  if (bwe->probe_sent_n == 0 || r->send_us < bwe->probe_first_send)
    bwe->probe_first_send = r->send_us;
  if (bwe->probe_sent_n == 0 || r->send_us >= bwe->probe_last_send) {
    bwe->probe_last_send = r->send_us;
    bwe->probe_last_send_size = r->size;
  }
  bwe->probe_sent_n++;
  bwe->probe_sent_bytes += r->size;
  if (!r->received)
    return;
  if (bwe->probe_recv_n == 0 || r->arrival_us < bwe->probe_first_arrival) {
    bwe->probe_first_arrival = r->arrival_us;
    bwe->probe_first_arrival_size = r->size;
  }
  if (bwe->probe_recv_n == 0 || r->arrival_us > bwe->probe_last_arrival)
    bwe->probe_last_arrival = r->arrival_us;
  bwe->probe_recv_n++;
  bwe->probe_recv_bytes += r->size;
}

/* The delivery rate of the cluster as libwebrtc's ProbeBitrateEstimator:
 * min (send rate, receive rate), 0.95 × the receive rate when that is
 * clearly below the send rate (the probe filled the link), 0 when too few
 * packets came back to tell. */
static gdouble
probe_delivery_rate (const HzBwe *bwe, gboolean *saturated)
{
  gdouble send_rate, recv_rate;
  gint64 send_span = bwe->probe_last_send - bwe->probe_first_send;
  gint64 recv_span = bwe->probe_last_arrival - bwe->probe_first_arrival;

  *saturated = FALSE;
  if (bwe->probe_recv_n < PROBE_MIN_PACKETS ||
      bwe->probe_recv_n < PROBE_MIN_RECEIVED * bwe->probe_sent_n ||
      bwe->probe_recv_bytes < PROBE_MIN_RECEIVED * bwe->probe_sent_bytes ||
      send_span <= 0 || recv_span <= 0)
    return 0;
  send_rate = (bwe->probe_sent_bytes - bwe->probe_last_send_size) * 8.0 * G_TIME_SPAN_SECOND / send_span;
  recv_rate = (bwe->probe_recv_bytes - bwe->probe_first_arrival_size) * 8.0 * G_TIME_SPAN_SECOND / recv_span;
  if (recv_rate > 2 * send_rate)
    return 0; /* arrivals bunched up: no rate to read */
  if (recv_rate < 0.9 * send_rate) {
    *saturated = TRUE;
    return 0.95 * recv_rate;
  }
  return MIN (send_rate, recv_rate);
}

/* A probe that filled the link (or told nothing) backs off. One that got
 * through, or lifted the estimate by a fifth without filling the link,
 * counts only once a second one at the same rate, 300 ms later, got
 * through too: a token-bucket shaper (tc tbf, many DSL and mobile links)
 * lets a short probe pass on the burst it saved up, and only a probe right
 * after, with that burst spent, shows the link's rate. Then the estimate
 * takes the lower of the two results and the next probe may follow 0.5 s
 * later (the back-off ends once the estimate has held 2 s). */
static void
probe_finish (HzBwe *bwe, gint64 now_us)
{
  gboolean saturated, ok;
  gdouble rate = probe_delivery_rate (bwe, &saturated);
  gdouble before = bwe->target;

  ok = rate > 0 && !saturated && (rate >= PROBE_SUCCESS * bwe->probe_rate || rate >= 1.2 * before);
  bwe->last_probe_bps = rate;
  bwe->probe_state = PROBE_IDLE;
  if (ok && bwe->probe_candidate == 0) {
    bwe->probe_candidate = rate;
    bwe->probe_confirm_rate = bwe->probe_rate;
    bwe->probe_confirm_base = bwe->probe_base;
    bwe->probe_next_us = now_us + PROBE_CONFIRM_US;
    return;
  }
  if (ok) {
    apply_probe (bwe, MIN (rate, bwe->probe_candidate),
                 1.0 - (gdouble) bwe->probe_recv_n / MAX (bwe->probe_sent_n, 1), now_us);
    bwe->probes_ok++;
    bwe->probe_ok_us = now_us;
    bwe->probe_next_us = now_us + PROBE_AGAIN_US;
  } else {
    bwe->probes_failed++;
    bwe->probe_failed_rate = bwe->probe_rate;
    bwe->probe_ok_us = 0;
    bwe->probe_next_us = now_us + bwe->probe_backoff_us;
    bwe->probe_backoff_us = MIN (2 * bwe->probe_backoff_us, PROBE_BACKOFF_MAX_US);
  }
  bwe->probe_candidate = 0;
}

/* Called every tick (≈ 20 ms) by the sender with the rate it wants to get
 * through (0: nothing above what it sends) and the transport-wide
 * sequence number its next packet will carry. Returns the padding rate in
 * bit/s to send on top of the media during this tick, 0 for none. A probe
 * starts when @want_bps is above the estimate and the back-off allows; it
 * aims at min (1.15 × @want_bps, 2 × estimate) for 250 ms (a confirming
 * probe at the rate of the first, see probe_finish); a higher wish than the
 * last one (a new preference, a higher layer to reach) probes at once, but
 * never within 2 s of a decrease (congestion is no time to probe). */
guint64
hz_bwe_probe_padding (HzBwe *bwe, guint64 want_bps, guint16 next_seq, gint64 now_us)
{
  gdouble want = (gdouble) want_bps;

  g_return_val_if_fail (bwe != NULL, 0);
  if (bwe->probe_state == PROBE_SENDING) {
    if (now_us < bwe->probe_end_us)
      return bwe->probe_rate > bwe->probe_base ? (guint64) (bwe->probe_rate - bwe->probe_base) : 0;
    bwe->probe_state = PROBE_WAITING;
    bwe->probe_last = (guint16) (next_seq - 1);
    bwe->probe_end_us = now_us;
    bwe->probe_saw_last = FALSE;
    return 0;
  }
  if (bwe->probe_state == PROBE_WAITING) {
    if (now_us - bwe->probe_end_us < PROBE_RESULT_TIMEOUT_US)
      return 0;
    probe_finish (bwe, now_us); /* feedback never covered the whole cluster */
  }
  /* a new wish: probe for it at once; so is one well below what the last
   * probe failed at (video paused, what resuming needs): a probe for it is
   * gentler and may well get through */
  if (want > 1.1 * bwe->probe_last_want ||
      (want_bps != 0 && bwe->probe_failed_rate > 0 && PROBE_OVERSHOOT * want < 0.8 * bwe->probe_failed_rate)) {
    bwe->probe_next_us = 0;
    bwe->probe_backoff_us = PROBE_BACKOFF_MIN_US;
    bwe->probe_failed_rate = 0;
  }
  if (want_bps != 0)
    bwe->probe_last_want = want;
  /* a probe that got through ends the back-off once its estimate has held
   * for 2 s: a token-bucket shaper lets a short probe through on its saved
   * up burst, and the overuse that follows shows it was not the link */
  if (bwe->probe_ok_us != 0 && now_us - bwe->probe_ok_us >= PROBE_STABLE_US &&
      now_us - bwe->last_decrease_us >= PROBE_STABLE_US) {
    bwe->probe_backoff_us = PROBE_BACKOFF_MIN_US;
    bwe->probe_ok_us = 0;
  }
  if (bwe->last_decrease_us != 0 && now_us - bwe->last_decrease_us < PROBE_STABLE_US)
    bwe->probe_candidate = 0; /* congested since: the first probe told nothing */
  if (want_bps == 0 || (want <= bwe->target && bwe->probe_candidate == 0) || !bwe->have_twcc ||
      now_us < bwe->probe_next_us ||
      (bwe->last_decrease_us != 0 && now_us - bwe->last_decrease_us < PROBE_STABLE_US))
    return 0;
  bwe->probe_state = PROBE_SENDING;
  bwe->probe_first = next_seq;
  bwe->probe_rate = bwe->probe_candidate != 0 ? bwe->probe_confirm_rate
                    : MIN (PROBE_OVERSHOOT * want, PROBE_MAX_FACTOR * bwe->target);
  /* what the media sends meanwhile (the acked rate right after a probe
   * still counts that probe's padding) */
  bwe->probe_base = bwe->probe_candidate != 0 ? bwe->probe_confirm_base
                    : bwe->acked_bps > 0 ? MIN (bwe->acked_bps, bwe->target) : bwe->target / 2;
  bwe->probe_end_us = now_us + PROBE_CLUSTER_US;
  bwe->probe_sent_n = bwe->probe_recv_n = 0;
  bwe->probe_sent_bytes = bwe->probe_recv_bytes = 0;
  return bwe->probe_rate > bwe->probe_base ? (guint64) (bwe->probe_rate - bwe->probe_base) : 0;
}

/* Whether @bytes of retransmission (an RTX answer to a NACK) may go now:
 * retransmissions are held to a quarter of the estimate (a token bucket
 * with 200 ms saved up), so that after a switch down the NACKs for what
 * the overflowing queue dropped do not keep it overflowing. */
gboolean
hz_bwe_allow_retransmit (HzBwe *bwe, gsize bytes, gint64 now_us)
{
  gdouble rate, cap;

  g_return_val_if_fail (bwe != NULL, TRUE);
  rate = RTX_SHARE * bwe->target / 8.0; /* bytes/s */
  cap = MAX (rate * RTX_BURST_US / G_TIME_SPAN_SECOND, RTX_BURST_MIN);
  if (bwe->rtx_last_us == 0)
    bwe->rtx_tokens = cap;
  else if (now_us > bwe->rtx_last_us)
    bwe->rtx_tokens = MIN (cap, bwe->rtx_tokens + rate * (now_us - bwe->rtx_last_us) / G_TIME_SPAN_SECOND);
  bwe->rtx_last_us = now_us;
  if (bwe->rtx_tokens < (gdouble) bytes) {
    bwe->rtx_denied++;
    return FALSE;
  }
  bwe->rtx_tokens -= (gdouble) bytes;
  return TRUE;
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

    probe_account (bwe, r);
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
  if (bwe->probe_state == PROBE_WAITING && bwe->probe_saw_last)
    probe_finish (bwe, now_us);
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
  apply_probe (bwe, (gdouble) bitrate_bps, bwe->loss_fraction, now_us);
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
  stats->probes_ok = bwe->probes_ok;
  stats->probes_failed = bwe->probes_failed;
  stats->last_probe_bps = (guint64) bwe->last_probe_bps;
  stats->rtx_denied = bwe->rtx_denied;
}
