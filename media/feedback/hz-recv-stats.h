/* hz-recv-stats: the server's receive statistics for one publisher SSRC,
 * and the RTCP receiver report block (RFC 3550 §6.4.1) built from them, so
 * each publisher hears how much of its media is lost on the way to us: its
 * Opus encoder turns in-band FEC on with loss, its video bitrate follows.
 * (The SFU terminates RTCP, so without these the publisher hears nothing.)
 *
 * Owns: sequence validation and the extended highest sequence number
 * (RFC 3550 A.1), packets expected/received over the whole stream and over
 * the report interval (A.3), interarrival jitter (A.8) and the last sender
 * report's NTP middle bits with its arrival time (LSR/DLSR).
 * No allocation after creation, no logging, the clock is the caller's. */
#pragma once

#include <glib.h>

#include "hz-rtcp.h"

G_BEGIN_DECLS

#define HZ_RECV_STATS_MAX_DROPOUT 3000 /* a larger forward jump must be confirmed */
#define HZ_RECV_STATS_MAX_MISORDER 100 /* a larger backward jump is a restart */

typedef struct _HzRecvStats HzRecvStats;

HzRecvStats *hz_recv_stats_new (guint32 ssrc);
void hz_recv_stats_free (HzRecvStats *stats);

/* One media packet (not its RTX copy) arrived at @arrival_us (monotonic
 * microseconds) with RTP timestamp @rtp_ts at @clock_rate Hz. Counts it
 * as received; advances the highest sequence number across wrap-around;
 * updates jitter for packets that advance it (not for late or duplicate
 * ones; none when @clock_rate is 0). A jump of more than MAX_DROPOUT ahead
 * (or MAX_MISORDER back) is not counted until the next packet confirms it,
 * and then the statistics restart from there (RFC 3550 A.1). Returns
 * whether the packet was counted. */
gboolean hz_recv_stats_update (HzRecvStats *stats,
                               guint16 seq,
                               guint32 rtp_ts,
                               gint64 arrival_us,
                               guint32 clock_rate);

/* A sender report for this SSRC arrived at @arrival_us; @ntp is its 64-bit
 * NTP timestamp. */
void hz_recv_stats_on_sr (HzRecvStats *stats, guint64 ntp, gint64 arrival_us);

/* Fills @out for a report sent at @now_us: ssrc, fraction lost since the
 * previous call (8-bit fixed point, 0 when nothing was lost or more arrived
 * than expected), cumulative lost (clamped to signed 24 bits, negative with
 * duplicates), extended highest sequence number, jitter (RTP units), LSR
 * and DLSR (1/65536 s; both 0 before any SR). Starts the next interval.
 * FALSE (and @out untouched) before the first counted packet. */
gboolean hz_recv_stats_fill_block (HzRecvStats *stats, gint64 now_us, HzRtcpReportBlock *out);

guint32 hz_recv_stats_get_ssrc (const HzRecvStats *stats);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HzRecvStats, hz_recv_stats_free)

G_END_DECLS
