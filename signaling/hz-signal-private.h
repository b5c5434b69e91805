/* hz-signal-private: what the signaling service's two files share: the
 * service and session structs, reply helpers and the handler table.
 * Not for use outside signaling/hz-signal*.c. */
#pragma once

#include "hz-live-room.h"
#include "hz-rate-limit.h"
#include "hz-signal.h"

G_BEGIN_DECLS

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
};

typedef struct {
  HzSignal *sig;
  HzWsConn *conn;
  HzLiveRoom *room;
  HzMember *member;
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

/* hz-signal.c */
void hz_signal_session_leave (Session *s);
void hz_signal_close_room (HzSignal *sig, HzLiveRoom *room, const char *reason);
void hz_signal_add_closed_stats (HzSignal *sig, HzLiveRoom *room);

G_END_DECLS
