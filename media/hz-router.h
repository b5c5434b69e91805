/* hz-router: the forwarding core of one room.
 *
 * Owns: the room's published tracks (what arrives from publishers, keyed by
 * SSRC) and, per track, the subscribers that receive it with their own SSRC,
 * payload type and sequence/timestamp offsets. A packet from a publisher is
 * decrypted once by its HzPeer, then for each subscriber copied into the
 * router's scratch buffer, its header rewritten and protected and sent: no
 * allocation, no lock, no queue hop. Feedback from subscribers (PLI, FIR) is
 * mapped back to the publisher, rate-limited; sender reports from publishers
 * are rewritten for each subscriber so browsers keep lip sync.
 *
 * Lives on one worker thread with the room's peers; it does not own the
 * peers (hz-media-room does) but must be told when one goes away.
 */
#pragma once

#include <glib.h>

#include "hz-peer.h"

G_BEGIN_DECLS

typedef enum {
  HZ_MEDIA_AUDIO,
  HZ_MEDIA_VIDEO,
} HzMediaKind;

typedef enum {
  HZ_CODEC_OPUS,
  HZ_CODEC_VP8,
  HZ_CODEC_H264,
} HzCodecId;

typedef struct {
  guint32 track_id;       /* the control plane's id, unique in the room */
  HzMediaKind kind;
  HzCodecId codec;
  guint32 ssrc;           /* 0: learned from the mid header extension */
  guint32 rtx_ssrc;       /* 0 if none */
  guint8 pt;
  guint8 rtx_pt;
  guint32 clock_rate;
  char mid[32];
  guint8 mid_ext_id;      /* 0: not negotiated */
  guint8 audio_level_ext_id;
} HzTrackInInfo;

typedef struct {
  guint32 ssrc;           /* what the subscriber's SDP announced */
  guint8 pt;
} HzTrackOutInfo;

/* Microseconds, monotonic; injectable so tests drive time. */
typedef gint64 (*HzClockFunc) (gpointer user_data);

typedef struct _HzRouter HzRouter;

HzRouter *hz_router_new (HzClockFunc clock, gpointer clock_data);
void hz_router_free (HzRouter *router);

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

/* Asks the publisher of @track_id for a key frame (PLI), rate-limited. */
void hz_router_request_keyframe (HzRouter *router, guint32 track_id);

/* Entry points from the peers' callbacks. */
void hz_router_on_rtp (HzRouter *router, HzPeer *from, guint8 *buf, gsize len);
void hz_router_on_rtcp (HzRouter *router, HzPeer *from, guint8 *buf, gsize len);
/* A subscriber connection became CONNECTED: its video needs a key frame. */
void hz_router_on_peer_connected (HzRouter *router, HzPeer *peer);

typedef struct {
  guint64 rtp_in, rtp_forwarded, rtp_dropped, rtp_paused;
  guint64 rtcp_in, pli_sent, sr_forwarded;
} HzRouterStats;
void hz_router_get_stats (HzRouter *router, HzRouterStats *stats);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HzRouter, hz_router_free)

G_END_DECLS
