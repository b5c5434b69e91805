/* hz-twcc: transport-wide congestion control feedback
 * (draft-holmer-rmcat-transport-wide-cc-extensions-01), both directions.
 *
 * HzTwccRecv (one per publisher peer) owns the arrival times of the
 * transport-wide sequence numbers it received and builds RTCP RTPFB FMT=15
 * feedback packets from them. HzTwccSend (one per subscriber peer) owns the
 * send time and size of every packet it stamped with a transport-wide
 * sequence number and turns the feedback that comes back into per-packet
 * results for the bandwidth estimator (hz-bwe). hz_twcc_feedback_parse() is
 * the pure parser of the feedback FCI (fuzzable: no state, no logging).
 *
 * Fixed rings allocated at creation, no allocation per packet, no logging;
 * the clock is the caller's (microseconds). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define HZ_TWCC_ERROR (hz_twcc_error_quark ())
GQuark hz_twcc_error_quark (void);

typedef enum {
  HZ_TWCC_ERROR_INVALID,   /* malformed feedback */
} HzTwccError;

/* packets remembered, each side: ~1 s at 1,000 packets/s, far more than an
 * RTT plus a feedback interval; sized per subscriber (16 KiB of send slots) */
#define HZ_TWCC_WINDOW 1024
#define HZ_TWCC_FEEDBACK_INTERVAL_US (50 * G_TIME_SPAN_MILLISECOND)
#define HZ_TWCC_DELTA_US 250           /* receive delta unit */
#define HZ_TWCC_REFERENCE_US 64000     /* reference time unit */

typedef enum {
  HZ_TWCC_NOT_RECEIVED = 0,
  HZ_TWCC_SMALL_DELTA = 1,
  HZ_TWCC_LARGE_DELTA = 2,
} HzTwccSymbol;

/* The fixed part of one feedback FCI. */
typedef struct {
  guint16 base_seq;
  guint16 status_count;
  guint32 reference_time;  /* 24 bits as sent, × 64 ms */
  guint8 fb_pkt_count;
} HzTwccFeedbackInfo;

/* One packet status of a parsed feedback. */
typedef struct {
  guint16 seq;
  HzTwccSymbol symbol;
  gint64 arrival_us;       /* received only: µs after reference_time × 64 ms */
} HzTwccPacketStatus;

/* What hz-bwe consumes: one sent packet and its fate. */
typedef struct {
  guint16 seq;
  gboolean received;
  gint64 send_us;          /* our clock */
  gint64 arrival_us;       /* the receiver's clock (arbitrary origin), when received */
  guint size;              /* bytes as sent */
} HzTwccResult;

gboolean hz_twcc_feedback_parse (const guint8 *fci,
                                 gsize fci_len,
                                 HzTwccFeedbackInfo *info,
                                 HzTwccPacketStatus *statuses,
                                 guint max_statuses,
                                 guint *n_statuses,
                                 GError **error);

typedef struct _HzTwccRecv HzTwccRecv;

HzTwccRecv *hz_twcc_recv_new (void);
void hz_twcc_recv_free (HzTwccRecv *rx);
void hz_twcc_recv_on_packet (HzTwccRecv *rx, guint16 twcc_seq, gint64 now_us);
gsize hz_twcc_recv_build_feedback (HzTwccRecv *rx,
                                   guint8 *buf,
                                   gsize size,
                                   guint32 sender_ssrc,
                                   guint32 media_ssrc,
                                   gint64 now_us);

typedef struct _HzTwccSend HzTwccSend;

HzTwccSend *hz_twcc_send_new (void);
void hz_twcc_send_free (HzTwccSend *tx);
void hz_twcc_send_register (HzTwccSend *tx, guint16 twcc_seq, gsize size, gint64 now_us);
gboolean hz_twcc_send_on_feedback (HzTwccSend *tx,
                                   const guint8 *fci,
                                   gsize fci_len,
                                   HzTwccResult *results,
                                   guint max_results,
                                   guint *n_results,
                                   GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HzTwccRecv, hz_twcc_recv_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HzTwccSend, hz_twcc_send_free)

G_END_DECLS
