/* hz-consult: the consult record and its workflow (远程会诊). Owns the
 * consults table: the request by the inviting institution (邀请方) with a
 * reason and the patient's context, the acceptance and scheduling by the
 * invited institution (受邀方, which creates the room with the consult's
 * id), the patient's consent (who confirmed it, when), the conclusion (set
 * by hz_room_store_conclude()), the record's JSON for the API with its
 * participants, documents and recordings, the filtered listing, and the
 * retention purge (default 15 years). */
#pragma once

#include "hz-room-store.h"

G_BEGIN_DECLS

typedef struct {
  const char *institution;  /* inviting, invited or any participant's */
  const char *participant;  /* a participant's user id */
  GDateTime  *from;         /* consults held (or requested) at or after */
  GDateTime  *to;           /* and before */
  guint       limit;        /* 0 = HZ_ROOM_STORE_PAGE_DEFAULT */
  guint       offset;
} HzConsultFilter;

char     *hz_consult_request  (HzRoomStore *store, JsonNode *body, GError **error);
HzRoom   *hz_consult_accept   (HzRoomStore *store, const char *id, JsonNode *body, GError **error);
gboolean  hz_consult_consent  (HzRoomStore *store, const char *id, JsonNode *body, GError **error);
JsonNode *hz_consult_get_json (HzRoomStore *store, const char *id, GError **error);
JsonNode *hz_consult_list_json (HzRoomStore *store, const HzConsultFilter *filter, GError **error);
guint     hz_consult_purge    (HzRoomStore *store, GDateTime *now, GError **error);

G_END_DECLS
