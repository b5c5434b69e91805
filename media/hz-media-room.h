/* hz-media-room: the control plane's handle on one room's media.
 *
 * Owns: the room's place on a media worker, its peers (by endpoint id) and
 * its router. Every function here is called from the control-plane thread
 * (the main context) and only posts a message to the worker; the worker
 * answers with events delivered back on the main context. No room state is
 * shared between threads, so nothing here takes a lock.
 */
#pragma once

#include <glib.h>

#include "hz-peer.h"
#include "hz-router.h"
#include "hz-worker.h"

G_BEGIN_DECLS

typedef guint32 HzEndpointId;

typedef struct {
  const char *ip;
  guint port_min, port_max;
  HzDtlsCert *cert;
  guint liveness_timeout_ms; /* 0: the peer's default (30 s) */
  HzIceTcp *ice_tcp;         /* the shared ICE-TCP port, or NULL */
} HzMediaConfig;

/* Delivered on the main context that created the room, never after
 * hz_media_room_free() returned. */
typedef struct {
  void (*local_candidate) (HzEndpointId id, const char *candidate /* NULL: done */, gpointer user_data);
  void (*state_changed) (HzEndpointId id, HzPeerState state, const char *remote_addr, gpointer user_data);
  /* @id's subscriber connection now receives layer @layer of @track_id (-1: paused) */
  void (*layer_changed) (HzEndpointId id, guint32 track_id, gint layer, gpointer user_data);
  /* the publisher endpoint @id is the room's active speaker */
  void (*active_speaker) (HzEndpointId id, gpointer user_data);
} HzMediaRoomEvents;

typedef struct _HzMediaRoom HzMediaRoom;

HzMediaRoom *hz_media_room_new (HzWorkerPool *pool, const HzMediaConfig *config,
                                const HzMediaRoomEvents *events, gpointer user_data);
void hz_media_room_free (HzMediaRoom *room);
guint hz_media_room_get_worker_index (HzMediaRoom *room);

/* A new peer connection with the given local ICE credentials (the control
 * plane generates them so it can answer SDP at once); it starts gathering. */
void hz_media_room_add_endpoint (HzMediaRoom *room, HzEndpointId id, const char *ufrag, const char *pwd);
void hz_media_room_set_remote (HzMediaRoom *room, HzEndpointId id, const char *ufrag, const char *pwd,
                               const char *fp_algorithm, const char *fingerprint, HzDtlsRole role);
void hz_media_room_restart_ice (HzMediaRoom *room, HzEndpointId id, const char *local_ufrag,
                                const char *local_pwd, const char *remote_ufrag, const char *remote_pwd);
void hz_media_room_add_candidate (HzMediaRoom *room, HzEndpointId id, const char *candidate);
void hz_media_room_remove_endpoint (HzMediaRoom *room, HzEndpointId id);

void hz_media_room_add_track (HzMediaRoom *room, HzEndpointId publisher, const HzTrackInInfo *info);
void hz_media_room_remove_track (HzMediaRoom *room, guint32 track_id);
void hz_media_room_set_paused (HzMediaRoom *room, guint32 track_id, gboolean paused);
void hz_media_room_subscribe (HzMediaRoom *room, HzEndpointId subscriber, guint32 track_id,
                              const HzTrackOutInfo *info);
void hz_media_room_set_max_layer (HzMediaRoom *room, HzEndpointId subscriber, guint32 track_id, gint max_layer);
void hz_media_room_set_video_enabled (HzMediaRoom *room, HzEndpointId subscriber, gboolean enabled);
void hz_media_room_unsubscribe (HzMediaRoom *room, HzEndpointId subscriber, guint32 track_id);

/* Installs a tap on @track_id (see hz_router_set_tap). Clearing one waits
 * until the worker has let go of it, so @data may be freed afterwards. */
void hz_media_room_set_tap (HzMediaRoom *room, guint32 track_id, HzRouterTap tap, gpointer data);
void hz_media_room_clear_tap_sync (HzMediaRoom *room, guint32 track_id);

/* Blocks until the worker has processed everything posted so far and
 * returns a snapshot of the router counters (metrics, tests). */
void hz_media_room_get_stats (HzMediaRoom *room, HzRouterStats *stats);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HzMediaRoom, hz_media_room_free)

G_END_DECLS
