/* hz-room-store-private: what the files of the room store share (rooms and
 * lifecycle in hz-room-store.c, written records and the journal in
 * hz-room-writes.c, consult records in hz-consult.c, the audit log in
 * hz-audit.c). Not for other modules. */
#pragma once

#include "hz-journal.h"
#include "hz-room-store.h"

G_BEGIN_DECLS

struct _HzRoomStore {
  HzDb         *db;
  HzJournal    *journal;  /* NULL: writes fail when the database does */
  HzRoomPolicy  policy;
};

#define HZ_ROOM_COLUMNS \
  "id, title, kind, state, starts_at, ends_at, capacity, record, host_institution, " \
  "created_at, updated_at"

HzRoom   *hz_room_store_room_from_row (const HzDbRows *rows, guint r, GError **error);
gboolean  hz_room_store_add_event     (HzRoomStore *self, const char *room_id, const char *at,
                                       const char *kind, const char *actor, JsonNode *detail,
                                       GError **error);
JsonNode *hz_room_store_detail        (const char *first_name, ...) G_GNUC_NULL_TERMINATED;
gboolean  hz_room_store_set_state_txn (HzRoomStore *self, const char *id, HzRoomState state,
                                       const char *at, GError **error);
gboolean  hz_room_store_create_txn    (HzRoomStore *self, const HzRoom *room, gboolean no_overlap,
                                       gboolean with_consult, GError **error);
HzRoom   *hz_room_store_prepare       (JsonNode *body, gboolean *no_overlap, GError **error);
JsonNode *hz_room_store_json_dup      (JsonNode *node);
gboolean  hz_room_store_corrupt       (GError **error, const char *table, const char *id);
/* hz-consult.c: the consult row of a newly created consult room */
gboolean  hz_consult_insert_for_room  (HzRoomStore *self, const HzRoom *room, GError **error);
/* hz-audit.c: the "audit" journal op */
gboolean  hz_audit_apply              (HzDb *db, JsonObject *args, GError **error);

G_END_DECLS
