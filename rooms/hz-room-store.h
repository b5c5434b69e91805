/* hz-room-store: rooms and their participants in the database. Owns the SQL
 * over the rooms, participants and consult_events tables; the room value, its
 * validation and its error codes are in hz-room.h. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "hz-db.h"
#include "hz-room.h"
#include "hz-token.h"

G_BEGIN_DECLS

typedef struct _HzRoomStore HzRoomStore;

typedef struct {
  char      *id;
  char      *room_id;
  char      *user_id;
  char      *display_name;
  char      *institution;
  HzRole     role;
  GDateTime *joined_at;
  GDateTime *left_at;   /* NULL while present */
} HzParticipant;

HzRoomStore *hz_room_store_new               (HzDb *db);
void         hz_room_store_free              (HzRoomStore *self);
HzRoom      *hz_room_store_create_from_json  (HzRoomStore *self,
                                              JsonNode    *body,
                                              GError     **error);
HzRoom      *hz_room_store_get               (HzRoomStore *self,
                                              const char  *id,
                                              GError     **error);
gboolean     hz_room_store_set_state         (HzRoomStore *self,
                                              const char  *id,
                                              HzRoomState  state,
                                              GError     **error);
gboolean     hz_room_store_record_join       (HzRoomStore         *self,
                                              const char          *room_id,
                                              const char          *participant_id,
                                              const HzTokenClaims *claims,
                                              GDateTime           *at,
                                              GError             **error);
gboolean     hz_room_store_record_leave      (HzRoomStore *self,
                                              const char  *participant_id,
                                              GDateTime   *at,
                                              GError     **error);
GPtrArray   *hz_room_store_list_participants (HzRoomStore *self,
                                              const char  *room_id,
                                              gboolean     present_only,
                                              GError     **error);

JsonNode    *hz_participant_to_json          (const HzParticipant *participant);
void         hz_participant_free             (HzParticipant *participant);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HzRoomStore, hz_room_store_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HzParticipant, hz_participant_free)

G_END_DECLS
