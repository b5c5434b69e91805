/* hz-bwe: the downlink bandwidth estimate of one subscriber peer, in the
 * manner of Google Congestion Control (draft-ietf-rmcat-gcc-02, as in
 * libwebrtc's TrendlineEstimator, OveruseDetector, AimdRateControl and the
 * loss-based part of SendSideBandwidthEstimation).
 *
 * Owns: the delay-based estimator (packets grouped in 5 ms send bursts,
 * a trendline over the last 20 smoothed one-way delay gradients, an
 * overuse/underuse detector with an adaptive threshold, an AIMD rate
 * controller: +8 %/s when normal, 0.85 × acked bitrate on overuse), the
 * loss-based limit (GCC's bands: loss < 2 % lets it grow 8 %/s, 2–10 %
 * holds, > 10 % reduces the target by half the loss, at most once in 2 s;
 * random loss in the
 * hold band without any delay-based overuse in the same window is taken for
 * what it is, non-congestion loss, and lets the limit grow), the acked
 * bitrate over the last 500 ms, the last REMB, and bandwidth probing:
 * short clusters (250 ms) of padding sent above the media rate whose
 * delivery rate, min (send rate, receive rate) as libwebrtc's
 * ProbeBitrateEstimator, lifts the estimate once a second probe at the
 * same rate right after confirms it (a token-bucket shaper passes the first
 * on its saved-up burst); a probe goes at most
 * to 2 × the estimate, the next follows 0.5 s after a probe that got
 * through and backs off 2 → 16 s after one that did not (the back-off ends
 * when a probe's result held 2 s, or for a wish well above the last or well
 * below what failed), none within 2 s of a decrease; and the
 * retransmission budget (a quarter of the estimate).
 * Input: HzTwccResult batches from hz_twcc_send_on_feedback(), or REMB
 * values when the receiver has no TWCC. Output: a target in bit/s, and the
 * padding rate to send while a probe runs (hz_bwe_probe_padding()).
 * No allocation after creation, no logging, the clock is the caller's. */
#pragma once

#include <glib.h>

#include "hz-twcc.h"

G_BEGIN_DECLS

#define HZ_BWE_START_BPS 300000
#define HZ_BWE_MIN_BPS 30000
#define HZ_BWE_MAX_BPS 10000000

typedef enum {
  HZ_BWE_NORMAL,
  HZ_BWE_OVERUSE,
  HZ_BWE_UNDERUSE,
} HzBweUsage;

typedef struct {
  guint64 target_bps;      /* what hz_bwe_get_target() returns */
  guint64 delay_bps;       /* the delay-based (AIMD) rate */
  guint64 loss_bps;        /* the loss-based limit */
  guint64 acked_bps;       /* measured throughput, 0 until known */
  guint64 remb_bps;        /* last REMB, 0 if none */
  HzBweUsage usage;
  gdouble trend;           /* delay gradient slope (ms per ms) */
  gdouble threshold;       /* adaptive detector threshold */
  gdouble loss_fraction;   /* of the last loss evaluation, 0..1 */
  guint probes_ok, probes_failed;
  guint64 last_probe_bps;  /* delivery rate of the last probe, 0 if none/failed */
  guint rtx_denied;        /* retransmissions refused by hz_bwe_allow_retransmit() */
} HzBweStats;

typedef struct _HzBwe HzBwe;

HzBwe *hz_bwe_new (guint64 start_bps, guint64 min_bps, guint64 max_bps);
void hz_bwe_free (HzBwe *bwe);

void hz_bwe_on_twcc (HzBwe *bwe, const HzTwccResult *results, guint n_results, gint64 now_us);
void hz_bwe_on_remb (HzBwe *bwe, guint64 bitrate_bps, gint64 now_us);
void hz_bwe_on_probe_result (HzBwe *bwe, guint64 bitrate_bps, gint64 now_us);
guint64 hz_bwe_probe_padding (HzBwe *bwe, guint64 want_bps, guint16 next_seq, gint64 now_us);
gboolean hz_bwe_allow_retransmit (HzBwe *bwe, gsize bytes, gint64 now_us);
guint64 hz_bwe_get_target (HzBwe *bwe);
void hz_bwe_get_stats (HzBwe *bwe, HzBweStats *stats);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HzBwe, hz_bwe_free)

G_END_DECLS
