/* hz-router-private: the router's tables, shared by hz-router.c (tables and
 * the forwarding path) and hz-router-feedback.c (RTCP and the tick). */
#pragma once

#include "hz-audio-level.h"
#include "hz-bwe.h"
#include "hz-layer-select.h"
#include "hz-nack-generator.h"
#include "hz-packet-cache.h"
#include "hz-recv-stats.h"
#include "hz-router.h"
#include "hz-seq-rewriter.h"
#include "hz-twcc.h"

#define HZ_ROUTER_PLI_MIN_INTERVAL_US (500 * G_TIME_SPAN_MILLISECOND)
#define HZ_ROUTER_SCRATCH_SIZE (1500 + HZ_SRTP_MAX_TRAILER)
#define HZ_ROUTER_AUDIO_BPS 64000 /* kept aside per audio track in layer choice */

typedef struct _TrackIn TrackIn;
typedef struct _PeerState PeerState;

/* One simulcast layer of a track (or its only stream). */
typedef struct {
  guint32 ssrc, rtx_ssrc;
  HzPacketCache *cache;    /* video only */
  HzNackGenerator *nack;   /* video only */
  HzRecvStats *recv;       /* for the receiver reports the publisher gets */
  gint64 last_pli_us;
  gboolean pli_pending;
  gint64 last_packet_us;
  guint64 window_bytes;    /* bit rate meter */
  gint64 window_start_us;
  guint64 bps;
} Layer;

/* What an SSRC seen from a publisher stands for. */
typedef struct {
  TrackIn *in;
  guint8 layer;
  gboolean rtx;
} SsrcRef;

typedef struct {
  TrackIn *in;
  HzPeer *subscriber;
  PeerState *sp;
  HzTrackOutInfo info;
  HzSeqRewriter *rw;
  HzLayerSelect *select;
  gint current;            /* layer forwarded now, -1 none yet / paused */
  gint target;             /* layer wanted, switched to at its key frame */
  gint max_layer;
  guint16 rtx_seq;
  guint32 packets, octets;
  guint8 fraction_lost;    /* the subscriber's last report for this track */
  gint64 fraction_lost_us;
} TrackOut;

struct _TrackIn {
  HzTrackInInfo info;
  HzPeer *publisher;
  PeerState *pp;
  Layer layers[HZ_ROUTER_MAX_LAYERS];
  guint n_layers;
  SsrcRef refs[2 * HZ_ROUTER_MAX_LAYERS]; /* layer i: refs[2i] media, refs[2i+1] rtx */
  guint8 ext_map[256];     /* publisher ext id → subscriber id (0 = blank) */
  GPtrArray *outs;         /* TrackOut*, owned */
  gboolean paused;
  gint64 last_rr_us;
  HzRouterTap tap;
  gpointer tap_data;
};

struct _PeerState {
  HzPeer *peer;
  /* as a publisher */
  HzTwccRecv *twcc_rx;
  guint8 twcc_ext_id;      /* the publisher's transport-wide-cc id */
  guint32 twcc_media_ssrc;
  gint64 last_twcc_fb_us;
  /* as a subscriber */
  HzTwccSend *twcc_tx;
  HzBwe *bwe;
  guint16 twcc_seq;
  gboolean video_enabled;
  guint n_video_outs;
  /* probing the downlink before switching a layer up (padding on RTX);
   * hz-bwe schedules and evaluates the probes */
  guint64 probe_want_bps;   /* set by the layer choice each tick, 0 = none */
  TrackOut *probe_out;      /* whose RTX stream carries the padding */
  gint64 probe_next_us;     /* unused since hz-bwe schedules probes */
  gint64 bwe_log_us;        /* next debug line of the estimate */
};

struct _HzRouter {
  HzClockFunc clock;
  gpointer clock_data;
  HzRouterEvents events;
  gpointer events_data;
  GHashTable *tracks;      /* track_id → TrackIn*, owned */
  GHashTable *in_by_ssrc;  /* publisher SSRC → SsrcRef* */
  GHashTable *out_by_ssrc; /* subscriber-side SSRC (media and rtx) → TrackOut* */
  GHashTable *peers;       /* HzPeer* → PeerState*, owned */
  HzActiveSpeaker *speaker;
  gint64 last_speaker_us;
  guint32 ssrc;            /* sender SSRC of our own feedback */
  HzTwccResult *twcc_results; /* HZ_TWCC_WINDOW, allocated once */
  HzRouterStats stats;
  guint8 scratch[HZ_ROUTER_SCRATCH_SIZE];
};

static inline gint64
router_now (HzRouter *self)
{
  return self->clock (self->clock_data);
}

/* hz-router.c */
PeerState *hz_router_peer_state (HzRouter *self, HzPeer *peer);
TrackIn *hz_router_lookup_track (HzRouter *self, guint32 track_id);
void hz_router_send_pli (HzRouter *self, TrackIn *in, guint layer);
void hz_router_request_layer_keyframe (HzRouter *self, TrackIn *in, guint layer);

/* hz-router-feedback.c */
void hz_router_handle_publisher_rtcp (HzRouter *self, PeerState *pp, const guint8 *buf, gsize len);
void hz_router_handle_subscriber_rtcp (HzRouter *self, PeerState *sp, const guint8 *buf, gsize len);
void hz_router_choose_layer (HzRouter *self, TrackOut *out, gint64 now);
