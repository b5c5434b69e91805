/* hz-signal: the /ws signaling protocol of API.md.
 *
 * Owns: the live rooms of this node (room id → HzLiveRoom), the WebSocket
 * sessions and what each one is (a member of which room), the table of
 * message handlers (one small function per message type), and the mapping
 * from media endpoints back to members for the worker's events (local ICE
 * candidates, connection state). Main context only.
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "hz-http.h"
#include "hz-media-room.h"
#include "hz-recording.h"
#include "hz-room-store.h"

G_BEGIN_DECLS

typedef struct _HzCluster HzCluster;
typedef struct _HzCascade HzCascade;

#define HZ_SIGNAL_ERROR (hz_signal_error_quark ())
GQuark hz_signal_error_quark (void);

/* Each code is sent to the client as the snake_case string of
 * hz_signal_error_code(). */
typedef enum {
  HZ_SIGNAL_ERROR_BAD_JSON,
  HZ_SIGNAL_ERROR_BAD_REQUEST,
  HZ_SIGNAL_ERROR_UNKNOWN_TYPE,
  HZ_SIGNAL_ERROR_NOT_JOINED,
  HZ_SIGNAL_ERROR_ALREADY_JOINED,
  HZ_SIGNAL_ERROR_INVALID_TOKEN,
  HZ_SIGNAL_ERROR_TOKEN_EXPIRED,
  HZ_SIGNAL_ERROR_ROOM_NOT_FOUND,
  HZ_SIGNAL_ERROR_ROOM_NOT_OPEN,
  HZ_SIGNAL_ERROR_ROOM_FULL,
  HZ_SIGNAL_ERROR_FORBIDDEN,
  HZ_SIGNAL_ERROR_BAD_SDP,
  HZ_SIGNAL_ERROR_UNSUPPORTED_CODEC,
  HZ_SIGNAL_ERROR_BAD_CANDIDATE,
  HZ_SIGNAL_ERROR_RATE_LIMITED,
  HZ_SIGNAL_ERROR_INTERNAL,
  /* cluster: the room's placement failed or its node stopped answering
   * (join again); the room is on another node and the join asked for a
   * redirect ("redirect": true) */
  HZ_SIGNAL_ERROR_UNAVAILABLE,
  HZ_SIGNAL_ERROR_NODE_LOST,
  HZ_SIGNAL_ERROR_WRONG_NODE,
} HzSignalError;

const char *hz_signal_error_code (HzSignalError code);

typedef struct {
  HzWorkerPool *workers;
  HzDtlsCert *cert;
  HzRoomStore *store;
  const char *token_secret;
  const char *media_ip;
  guint port_min, port_max;
  guint liveness_timeout_s;  /* [media] liveness_timeout_s; 0: 30 */
  HzIceTcp *ice_tcp;         /* [media] ice_tcp_port's listener, or NULL */
  const char *stun_server;   /* "host:port" or NULL */
  const char *turn_server;   /* "turn:host:port?transport=udp" style URL or host:port, or NULL */
  const char *turn_user, *turn_password;
  const char *data_dir;      /* recordings are written under it */
  /* A recording's files are final (catalog them); @info is the callee's. */
  void (*recording_done) (const char *room_id, HzRecordingInfo *info, const GError *error, gpointer data);
  gpointer recording_data;
  /* NULL on a single node; else joins place rooms through it and sessions
   * of rooms on other nodes are relayed (hz-signal-relay.h). Must outlive
   * the HzSignal. */
  HzCluster *cluster;
  /* NULL: no cascading. With a cluster, viewers of a large teaching room
   * placed elsewhere may join a satellite here (hz-cascade.h). Must
   * outlive the HzSignal. (owner: cascade) */
  HzCascade *cascade;
} HzSignalConfig;

typedef struct _HzSignal HzSignal;

HzSignal *hz_signal_new (const HzSignalConfig *config);
void hz_signal_free (HzSignal *sig);
void hz_signal_attach (HzSignal *sig, HzHttpServer *http);

/* The live members of a room as a JSON array, or NULL when nobody is in it. */
JsonArray *hz_signal_list_members (HzSignal *sig, const char *room_id);
/* Tells every member {"type":"room_closed","reason"} and closes every room. */
void hz_signal_close_all (HzSignal *sig, const char *reason);
/* The same for one room (cancelled by the API, ended); FALSE if not live. */
gboolean hz_signal_close_room_by_id (HzSignal *sig, const char *room_id, const char *reason);

/* Starts or stops recording a room (the API, a presenter); the room must be
 * live to start. */
gboolean hz_signal_recording_action (HzSignal *sig, const char *room_id, gboolean start,
                                     const char *actor, GError **error);
/* Whether @room_id is being recorded now. */
gboolean hz_signal_is_recording (HzSignal *sig, const char *room_id);

/* A document was shared into @room_id: tell whoever is there. */
void hz_signal_document_shared (HzSignal *sig, const char *room_id, JsonNode *document, const char *by);

/* A collector for hz-metrics: media counters over all rooms, recordings. */
void hz_signal_collect_metrics (GString *out, gpointer data);

/* A message from this node's cluster inbox (hz_cluster_set_inbox_func);
 * FALSE if it is not one for signaling (relay.*). */
gboolean hz_signal_cluster_inbox (HzSignal *sig, const char *json);
/* Sessions relayed through this node to others, and hosted here for others. */
void hz_signal_get_relay_counts (HzSignal *sig, guint *entry, guint *remote);

guint hz_signal_get_n_rooms (HzSignal *sig);
/* RTP bytes forwarded to subscribers since start (all rooms, closed too). */
guint64 hz_signal_get_forwarded_bytes (HzSignal *sig);
guint hz_signal_get_n_members (HzSignal *sig);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HzSignal, hz_signal_free)

G_END_DECLS
