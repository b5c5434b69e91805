/* hz-room: the room as a value. Owns HzRoom, its states and their legal
 * transitions, reading a room from an API request body (pure: no database, no
 * clock, no random source, so a fuzzer can drive it), its JSON form, the join
 * window, and the room domain's error codes with their API code and HTTP status. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "hz-role.h"

G_BEGIN_DECLS

#define HZ_ROOM_STORE_ERROR (hz_room_store_error_quark ())
GQuark hz_room_store_error_quark (void);

typedef enum {
  HZ_ROOM_STORE_ERROR_INVALID_JSON,   /* invalid_json 400: not a JSON object */
  HZ_ROOM_STORE_ERROR_MISSING_FIELD,  /* missing_field 400 */
  HZ_ROOM_STORE_ERROR_INVALID_FIELD,  /* invalid_field 400: wrong type or value */
  HZ_ROOM_STORE_ERROR_UNKNOWN_FIELD,  /* unknown_field 400 */
  HZ_ROOM_STORE_ERROR_NOT_FOUND,      /* not_found 404 */
  HZ_ROOM_STORE_ERROR_INVALID_STATE,  /* invalid_state 409: transition not allowed */
  HZ_ROOM_STORE_ERROR_NOT_OPEN,       /* room_not_open 409: before the lobby opens */
  HZ_ROOM_STORE_ERROR_CLOSED,         /* room_closed 410: closed or past its grace */
  HZ_ROOM_STORE_ERROR_FULL,           /* room_full 409: capacity reached */
  HZ_ROOM_STORE_ERROR_WRONG_ROOM,     /* wrong_room 403: the token names another room */
  HZ_ROOM_STORE_ERROR_OVERLAP,        /* overlap 409: the host has a room in that window */
  HZ_ROOM_STORE_ERROR_FORBIDDEN,      /* forbidden 403: not allowed for this role */
} HzRoomStoreError;

typedef enum {
  HZ_ROOM_STATE_SCHEDULED,
  HZ_ROOM_STATE_OPEN,
  HZ_ROOM_STATE_LIVE,
  HZ_ROOM_STATE_CLOSED,
} HzRoomState;

#define HZ_ROOM_TITLE_MAX_CHARS     200
#define HZ_ROOM_CAPACITY_MAX        1000
#define HZ_ROOM_CAPACITY_CONSULT    9
#define HZ_ROOM_CAPACITY_TEACHING   300
#define HZ_ROOM_MAX_DURATION_S      (24 * 3600)
#define HZ_ROOM_LOBBY_S             (15 * 60)  /* joins open this long before starts_at */
#define HZ_ROOM_GRACE_S             (10 * 60)  /* and stay open this long after ends_at */

typedef struct {
  char        *id;                /* UUID v4, set by the store */
  char        *title;
  HzRoomKind   kind;
  HzRoomState  state;
  GDateTime   *starts_at;
  GDateTime   *ends_at;
  guint        capacity;
  gboolean     record;
  char        *host_institution;  /* nullable */
  GDateTime   *created_at;        /* set by the store */
  GDateTime   *updated_at;        /* set by the store */
} HzRoom;

HzRoom      *hz_room_new_from_json          (JsonNode *body, GError **error);
JsonNode    *hz_room_to_json                (const HzRoom *room);
gboolean     hz_room_is_open_for_join       (const HzRoom *room, GDateTime *now, GError **error);
gboolean     hz_room_is_open_for_join_full  (const HzRoom *room, GDateTime *now, guint lobby_s,
                                             guint grace_s, GError **error);
GDateTime   *hz_room_parse_time             (const char *text);
const char  *hz_room_state_to_string        (HzRoomState state);
gboolean     hz_room_state_from_string      (const char *text, HzRoomState *state);
gboolean     hz_room_state_check_transition (HzRoomState from, HzRoomState to, GError **error);
void         hz_room_free                   (HzRoom *room);

const char  *hz_room_store_error_code       (const GError *error);
guint        hz_room_store_error_status     (const GError *error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HzRoom, hz_room_free)

G_END_DECLS
