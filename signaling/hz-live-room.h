/* hz-live-room: a room while people are in it, as the control plane sees it.
 *
 * Owns: the participants of one live room (identity from their join token,
 * their WebSocket, their two peer connections), the tracks they publish,
 * and for each participant the m-lines of its subscriber connection (the
 * server-side offer, kept in a stable order across renegotiations). Talks to
 * the media worker only through HzMediaRoom messages.
 *
 * Runs on the main context only.
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "hz-http.h"
#include "hz-media-room.h"
#include "hz-room-recording.h"
#include "hz-room.h"
#include "hz-sdp.h"
#include "hz-token.h"
#include "hz-viewer-sync.h"

G_BEGIN_DECLS

typedef struct _HzLiveRoom HzLiveRoom;
typedef struct _HzMember HzMember;

/* What a live room needs from the process: shared, owned by HzSignal. */
typedef struct {
  HzWorkerPool *workers;
  HzMediaConfig media;
  const HzMediaRoomEvents *media_events;
  gpointer media_events_data;
  HzEndpointId (*new_endpoint_id) (HzMember *p, gboolean publisher, gpointer data);
  void (*forget_endpoint) (HzEndpointId id, gpointer data);
  const char *data_dir;  /* recordings go under it */
  HzRoomRecordingDone recording_done;       /* the files are final: catalog them */
  HzRoomRecordingFailed recording_failed;   /* a recorder failed: stop and tell */
  gpointer data;
} HzLiveRoomEnv;

typedef struct {
  guint32 id;            /* room-unique; the router's track id */
  char *key;             /* "t<id>", what clients see */
  HzMember *owner;
  HzSdpKind kind;
  char *mid;             /* the publisher's mid */
  HzSdpCodec *codec;     /* the codec we answered (RED for audio when offered) */
  HzSdpCodec *secondary; /* Opus under RED, or NULL */
  guint rtx_pt;
  guint32 ssrc;
  guint layers;          /* simulcast layers, 1 without */
  gboolean muted;
} HzPubTrack;

struct _HzMember {
  char *id;
  HzTokenClaims *claims;
  HzLiveRoom *room;
  HzWsConn *conn;
  GDateTime *joined_at;

  HzEndpointId pub_ep;   /* 0: no publisher connection yet */
  char *pub_ufrag, *pub_pwd, *pub_remote_ufrag;
  char *pub_first_mid;   /* sdpMid for our trickled publisher candidates */
  GPtrArray *pub_tracks; /* HzPubTrack*, owned */
  gboolean audio_muted, video_muted, hand_raised;
  gboolean promoted;     /* a student given the floor by a presenter */
  gboolean video_enabled; /* FALSE: audio-only mode, no video forwarded to it */

  HzEndpointId sub_ep;   /* 0: no subscriber connection yet */
  char *sub_ufrag, *sub_pwd, *sub_remote_ufrag;
  GPtrArray *sub_slots;  /* HzSdpOutTrack*, m-line order */
  GArray *sub_track_ids; /* guint32 per slot; 0 when the slot is inactive */
  GArray *sub_slot_flags; /* guint8 per slot: reuse bookkeeping (hz-live-room.c) */
  guint64 sub_version;
  guint sub_offered;      /* m-lines in the offer in flight */
  gboolean sub_offer_in_flight, sub_dirty, sub_remote_set;
};

struct _HzLiveRoom {
  char *id;
  HzRoom *info;
  const HzLiveRoomEnv *env;
  HzMediaRoom *media;
  GPtrArray *members; /* HzMember*, owned, join order */
  guint32 next_track_id;
  GHashTable *out_ssrcs;   /* subscriber-side SSRCs in use */
  HzViewerSync *viewer;    /* the shared document viewer */
  HzRoomRecording *recording; /* NULL when not recording */
  gboolean recording_mirrored; /* a cascade satellite: the owner node records (hz-cascade-join.c) */
};

HzLiveRoom *hz_live_room_new (HzRoom *info /* owned */, const HzLiveRoomEnv *env);
void hz_live_room_free (HzLiveRoom *room);

HzMember *hz_live_room_add_member (HzLiveRoom *room, HzWsConn *conn, HzTokenClaims *claims /* owned */);
/* Tells the others, stops its connections and tracks, frees it. */
void hz_live_room_remove_member (HzLiveRoom *room, HzMember *p);
HzMember *hz_live_room_find (HzLiveRoom *room, const char *participant_id);
HzPubTrack *hz_live_room_find_track (HzLiveRoom *room, const char *key);

/* {"type":"restart_ice","target":"subscriber"}: see the .c. */
gboolean hz_live_room_restart_subscriber (HzLiveRoom *room, HzMember *q, GError **error);

/* A peer connection of @p failed or closed: recover it (see the .c). */
void hz_live_room_connection_lost (HzLiveRoom *room, HzMember *p, gboolean publisher);

/* The role may publish in this kind of room, or a moderator promoted it. */
gboolean hz_live_room_can_publish (HzLiveRoom *room, HzMember *p);
/* Withdraws every track @p publishes (demotion, leaving). */
void hz_live_room_unpublish_all (HzLiveRoom *room, HzMember *p);

/* Publisher offer → answer SDP; tracks added or removed by it are announced
 * and the other participants' subscriber connections renegotiated. */
char *hz_live_room_publish (HzLiveRoom *room, HzMember *p, const char *offer_sdp, GError **error);
/* The browser's answer to our latest subscriber offer. */
gboolean hz_live_room_subscriber_answer (HzLiveRoom *room, HzMember *p, const char *answer_sdp,
                                         GError **error);
/* Sends a new subscriber offer when something changed (or marks it dirty
 * while an offer is in flight). */
void hz_live_room_negotiate (HzLiveRoom *room, HzMember *p);

/* A newcomer's subscriber connection gets everything already published. */
void hz_live_room_subscribe_existing (HzLiveRoom *room, HzMember *q);

void hz_live_room_set_muted (HzLiveRoom *room, HzMember *p, HzSdpKind kind, gboolean muted);

/* Recording: start (every published track from now on, and the timeline),
 * stop (files finalized in the background). Both tell the room. */
gboolean hz_live_room_start_recording (HzLiveRoom *room, const char *actor, GError **error);
void hz_live_room_stop_recording (HzLiveRoom *room, const char *actor);
/* Records @t from now on when the room is being recorded (no-op otherwise). */
void hz_live_room_record_track (HzLiveRoom *room, HzMember *p, HzPubTrack *t);
/* Records @t from now on when the room is being recorded (no-op otherwise). */
void hz_live_room_record_track (HzLiveRoom *room, HzMember *p, HzPubTrack *t);
/* A timeline event while recording (no-op otherwise). */
void hz_live_room_log (HzLiveRoom *room, const char *event, const char *first_key, ...)
    G_GNUC_NULL_TERMINATED;

/* JSON helpers */
JsonNode *hz_member_to_json (const HzMember *p);
JsonNode *hz_pub_track_to_json (const HzPubTrack *t);
/* {"type": @type, "participant_id": p, <member>: @value (consumed)} */
JsonNode *hz_live_room_event_new (const char *type, const HzMember *p, const char *member, JsonNode *value);
JsonNode *hz_live_room_members_json (HzLiveRoom *room);
void hz_member_send (HzMember *p, JsonNode *msg /* consumed */);
/* Sends @msg to everyone except @except (nullable). */
void hz_live_room_broadcast (HzLiveRoom *room, HzMember *except, JsonNode *msg /* consumed */);

G_END_DECLS
