/* hz-role: participant roles and room kinds, and the one place that says what
 * a role may do in a kind of room (publish, moderate). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  HZ_ROLE_INVALID = 0,
  HZ_ROLE_DOCTOR,      /* the requesting (township, county) doctor */
  HZ_ROLE_SPECIALIST,  /* the consulted lead-hospital specialist */
  HZ_ROLE_PRESENTER,   /* teaching presenter */
  HZ_ROLE_STUDENT,     /* teaching viewer; publishes only when promoted */
  HZ_ROLE_OBSERVER,    /* never publishes */
  HZ_ROLE_RELAY,       /* another node's cascade relay: subscribes, never publishes, hidden;
                        * minted only by nodes (token secret), never by the token API */
} HzRole;

typedef enum {
  HZ_ROOM_KIND_INVALID = 0,
  HZ_ROOM_KIND_CONSULT,
  HZ_ROOM_KIND_TEACHING,
} HzRoomKind;

HzRole      hz_role_from_string      (const char *text);
const char *hz_role_to_string        (HzRole role);
HzRoomKind  hz_room_kind_from_string (const char *text);
const char *hz_room_kind_to_string   (HzRoomKind kind);
gboolean    hz_role_can_publish      (HzRole role, HzRoomKind kind);
gboolean    hz_role_can_moderate     (HzRole role, HzRoomKind kind);
/* A participant of that role is shown to others and counted (not a relay). */
gboolean    hz_role_is_listed        (HzRole role);

G_END_DECLS
