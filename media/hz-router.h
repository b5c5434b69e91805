/* hz-router: the forwarding core of one room.
 *
 * Owns: the room's published tracks (what arrives from publishers, by SSRC,
 * with up to three simulcast layers each), per track the subscribers that
 * receive it (their SSRC, payload type, sequence/timestamp continuity and
 * chosen layer), and per peer the feedback state: the packet cache and NACK
 * generator towards publishers, TWCC feedback to publishers, and for each
 * subscriber the transport-wide sequence, the downlink bandwidth estimate
 * and the layer choice it drives.
 *
 * A packet from a publisher is decrypted once by its HzPeer; its header
 * extensions are rewritten once; then for each subscriber it is copied into
 * the router's scratch buffer, renumbered, protected and sent: no
 * allocation, no lock, no queue hop. Lives on one worker thread with the
 * room's peers (hz-media-room owns the peers and tells the router when one
 * goes).
 */
#pragma once

#include <glib.h>

#include "hz-codec.h"
#include "hz-peer.h"

G_BEGIN_DECLS

typedef enum {
  HZ_MEDIA_AUDIO,
  HZ_MEDIA_VIDEO,
} HzMediaKind;


#define HZ_ROUTER_MAX_LAYERS 3
/* The header extension ids the subscriber offer announces (hz-live-room). */
#define HZ_ROUTER_SUB_TWCC_EXT_ID 5

typedef struct {
  guint32 track_id;       /* the control plane's id, unique in the room */
  guint32 owner;          /* the publisher's endpoint id (active speaker) */
  HzMediaKind kind;
  HzCodec codec;
  guint32 ssrc;           /* 0: learned from the mid/rid header extensions */
  guint32 rtx_ssrc;       /* 0 if none or learned */
  guint8 pt;
  guint8 rtx_pt;
  guint8 secondary_pt;    /* RED track: the Opus pt inside (also accepted plain); 0 none */
  guint32 clock_rate;
  char mid[32];
  /* simulcast: layer i is rids[i], lowest quality first; n_rids 0 = none */
  char rids[HZ_ROUTER_MAX_LAYERS][16];
  guint n_rids;
  guint8 mid_ext_id;      /* 0: not negotiated */
  guint8 rid_ext_id;
  guint8 rrid_ext_id;     /* repaired-rtp-stream-id (RTX of a layer) */
  guint8 audio_level_ext_id;
  guint8 twcc_ext_id;
} HzTrackInInfo;

typedef struct {
  guint32 ssrc;           /* what the subscriber's SDP announced */
  guint8 pt;
  guint8 secondary_pt;    /* the plain codec under RED, 0 none */
  guint32 rtx_ssrc;       /* 0: no RTX for this subscriber */
  guint8 rtx_pt;
} HzTrackOutInfo;

/* Microseconds, monotonic; injectable so tests drive time. */
typedef gint64 (*HzClockFunc) (gpointer user_data);

/* Called on the worker thread. */
typedef struct {
  void (*layer_changed) (HzPeer *subscriber, guint32 track_id, gint layer, gpointer user_data);
  void (*active_speaker) (guint32 owner, gpointer user_data);
} HzRouterEvents;

typedef struct _HzRouter HzRouter;

HzRouter *hz_router_new (HzClockFunc clock, gpointer clock_data);
void hz_router_free (HzRouter *router);
void hz_router_set_events (HzRouter *router, const HzRouterEvents *events, gpointer user_data);

gboolean hz_router_add_track (HzRouter *router, HzPeer *publisher, const HzTrackInInfo *info,
                              GError **error);
void hz_router_remove_track (HzRouter *router, guint32 track_id);
gboolean hz_router_subscribe (HzRouter *router, guint32 track_id, HzPeer *subscriber,
                              const HzTrackOutInfo *info, GError **error);
void hz_router_unsubscribe (HzRouter *router, guint32 track_id, HzPeer *subscriber);
/* Drops every track published by @peer and every subscription of @peer. */
void hz_router_remove_peer (HzRouter *router, HzPeer *peer);

/* A paused track is not forwarded (muted by its owner or a moderator);
 * resuming a video track asks for a key frame. */
void hz_router_set_paused (HzRouter *router, guint32 track_id, gboolean paused);
/* The highest simulcast layer @subscriber wants of @track_id (0..2). */
void hz_router_set_max_layer (HzRouter *router, guint32 track_id, HzPeer *subscriber, gint max_layer);
/* Audio-only mode for a subscriber: no video forwarded to it at all. */
void hz_router_set_video_enabled (HzRouter *router, HzPeer *subscriber, gboolean enabled);

/* A tap sees every packet of a track as it arrives (decrypted, repaired,
 * before any rewriting; for simulcast the highest layer): recording. It
 * runs on the worker and must not block. NULL removes it. */
typedef void (*HzRouterTap) (const guint8 *buf, gsize len, gint64 now_us, gpointer data);
void hz_router_set_tap (HzRouter *router, guint32 track_id, HzRouterTap tap, gpointer data);

/* Asks the publisher of @track_id for a key frame (PLI), rate-limited. */
void hz_router_request_keyframe (HzRouter *router, guint32 track_id);

/* Entry points from the peers' callbacks. */
void hz_router_on_rtp (HzRouter *router, HzPeer *from, guint8 *buf, gsize len);
void hz_router_on_rtcp (HzRouter *router, HzPeer *from, guint8 *buf, gsize len);
/* A connection became CONNECTED: its video needs a key frame. */
void hz_router_on_peer_connected (HzRouter *router, HzPeer *peer);
/* Every ~20 ms: NACKs and TWCC feedback to publishers, layer choices,
 * the active speaker. */
void hz_router_tick (HzRouter *router);

typedef struct {
  guint64 rtp_in, rtp_forwarded, rtp_dropped, rtp_paused;
  guint64 rtcp_in, pli_sent, sr_forwarded;
  guint64 nack_received, rtx_sent, rtx_missed;   /* subscribers' NACKs */
  guint64 nack_sent, rtx_received;               /* towards publishers */
  guint64 twcc_feedback_sent, layer_switches;
  guint64 rtp_forwarded_bytes;                   /* RTP bytes sent to subscribers (cluster load) */
} HzRouterStats;
void hz_router_get_stats (HzRouter *router, HzRouterStats *stats);
/* The current estimate of @subscriber's downlink, 0 if unknown. */
guint64 hz_router_get_estimate (HzRouter *router, HzPeer *subscriber);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HzRouter, hz_router_free)

G_END_DECLS
