/* hz-signal-private: what the signaling service's two files share: the
 * service and session structs, reply helpers and the handler table.
 * Not for use outside signaling/hz-signal*.c. */
#pragma once

#include "hz-live-room.h"
#include "hz-rate-limit.h"
#include "hz-signal.h"

G_BEGIN_DECLS

typedef struct _HzSignalRelay HzSignalRelay;

typedef struct {
  HzMember *member;
  gboolean publisher;
} EndpointRef;

struct _HzSignal {
  HzSignalConfig config; /* strings borrowed from the caller's HzConfig */
  HzLiveRoomEnv env;
  HzMediaRoomEvents media_events;
  GHashTable *rooms;     /* room id → HzLiveRoom*, owned */
  GHashTable *endpoints; /* HzEndpointId → EndpointRef*, owned */
  HzEndpointId next_endpoint;
  JsonNode *ice_servers;
  HzRateLimit *join_limit;    /* join attempts per client address */
  HzRouterStats closed_stats; /* of rooms already closed: counters only go up */
  HzSignalRelay *relay;       /* NULL unless config.cluster is set */
  GCancellable *cancel;       /* pending placements; cancelled when freed */
};

typedef struct {
  HzSignal *sig;
  HzWsConn *conn;
  HzLiveRoom *room;
  HzMember *member;
  /* cluster (hz-signal-relay.c) */
  gint refs;            /* a pending placement holds one */
  gboolean closed;      /* the connection is gone */
  gboolean placing;     /* a join waits for its room's placement */
  GQueue held;          /* char*: client messages received while placing */
  char *relay_rid;      /* entry node: relayed to relay_node under this id */
  char *relay_node;
  gint64 relay_heard;   /* monotonic µs: last word from relay_node about it */
  gboolean remote;      /* owner node: the client is on another node */
} Session;

typedef gboolean (*HzSignalHandlerFunc) (Session *s, JsonObject *msg, JsonNode *id, GError **error);

typedef struct {
  const char *type;
  HzSignalHandlerFunc handler;
  gboolean needs_member; /* FALSE: only before join */
} HzSignalHandler;

/* hz-signal-msgs.c */
const HzSignalHandler *hz_signal_find_handler (const char *type);
void hz_signal_send_node (HzWsConn *conn, JsonNode *node /* consumed */);
JsonBuilder *hz_signal_reply_begin (const char *type, JsonNode *id);
void hz_signal_reply_end (Session *s, JsonBuilder *b /* consumed */);
void hz_signal_reply_error (Session *s, JsonNode *id, const GError *error);
gboolean hz_signal_get_bool (JsonObject *msg, const char *name, gboolean *out, GError **error);
const char *hz_signal_get_string (JsonObject *msg, const char *name, gsize max_len, GError **error);

gboolean hz_signal_join_room (Session *s, JsonObject *msg, JsonNode *id, GError **error);

/* hz-signal-together.c: chat, hands, moderation, conclusion, shared viewer */
gboolean hz_signal_handle_chat (Session *s, JsonObject *msg, JsonNode *id, GError **error);
gboolean hz_signal_handle_raise_hand (Session *s, JsonObject *msg, JsonNode *id, GError **error);
gboolean hz_signal_handle_moderate (Session *s, JsonObject *msg, JsonNode *id, GError **error);
gboolean hz_signal_handle_conclude (Session *s, JsonObject *msg, JsonNode *id, GError **error);
gboolean hz_signal_handle_viewer_control (Session *s, JsonObject *msg, JsonNode *id, GError **error);
gboolean hz_signal_handle_viewer_state (Session *s, JsonObject *msg, JsonNode *id, GError **error);
void hz_signal_audit_join (Session *s, const char *token, const GError *error);

/* hz-signal-relay.c: places the room of a valid join first; the join is
 * answered when the placement is known (here, relayed, or wrong_node). */
void hz_signal_place_then_join (Session *s, JsonObject *msg, JsonNode *id, const char *room);

/* hz-signal.c */
void hz_signal_session_leave (Session *s);
/* The /ws callbacks, also driven by the relay for remote sessions. */
Session *hz_signal_session_open (HzSignal *sig, HzWsConn *conn);
void hz_signal_session_message (HzWsConn *conn, const char *text, gsize len);
void hz_signal_session_close (HzWsConn *conn);
Session *hz_signal_session_ref (Session *s);
void hz_signal_session_release_held (Session *s);
#define HZ_SIGNAL_MAX_HELD 64
void hz_signal_session_unref (Session *s);
void hz_signal_close_room (HzSignal *sig, HzLiveRoom *room, const char *reason);
void hz_signal_add_closed_stats (HzSignal *sig, HzLiveRoom *room);

G_END_DECLS
