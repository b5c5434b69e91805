/* hz-room-store: rooms, participants and consult records in the database.
 * Owns the SQL over the rooms, participants, consult_events and consults
 * tables, the room lifecycle by time (hz_room_store_tick), and the record
 * writes that must not be lost (joins, leaves, documents, recordings,
 * conclusions, audit entries): each carries an idempotency key and goes to
 * the on-disk journal when the database is unavailable, to be replayed in
 * order, once, by hz_room_store_flush(). The room value, its validation and
 * its error codes are in hz-room.h; the consult workflow in hz-consult.h,
 * the audit log in hz-audit.h.
 *
 * Every call is one short transaction on the caller's thread (the control
 * plane, never a media worker); an unreachable PostgreSQL costs at most its
 * connect timeout once, after which writes go to the journal until a flush
 * finds the server back. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "hz-db.h"
#include "hz-room.h"
#include "hz-token.h"

G_BEGIN_DECLS

typedef struct _HzRoomStore HzRoomStore;

/* Time rules of rooms and records ([rooms], [records], [audit] in the config). */
typedef struct {
  guint lobby_s;          /* joins open this long before starts_at (default 15 min) */
  guint grace_s;          /* and stay open this long after ends_at (default 10 min) */
  guint empty_close_s;    /* a live room empty this long is closed (default 10 min) */
  guint retention_years;  /* consult records are kept this long (default 15) */
  guint audit_retention_days; /* audit entries at least this long (default and minimum 183) */
} HzRoomPolicy;

#define HZ_ROOM_POLICY_DEFAULT { HZ_ROOM_LOBBY_S, HZ_ROOM_GRACE_S, 10 * 60, 15, 183 }
#define HZ_AUDIT_RETENTION_MIN_DAYS 183

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

/* GET /api/v1/rooms filters; NULL/0 means no filter. */
typedef struct {
  gboolean     has_state;
  HzRoomState  state;
  GDateTime   *from;    /* rooms that end after this */
  GDateTime   *to;      /* rooms that start before this */
  guint        limit;   /* 1..HZ_ROOM_STORE_PAGE_MAX; 0 = HZ_ROOM_STORE_PAGE_DEFAULT */
  guint        offset;
} HzRoomFilter;

#define HZ_ROOM_STORE_PAGE_DEFAULT 50
#define HZ_ROOM_STORE_PAGE_MAX     500

/* The paging every list answer ends with: "limit", "offset" and
 * "next_offset" (a number when @more, else null). */
void         hz_room_store_add_page          (JsonBuilder *b, guint limit, guint offset, gboolean more);

HzRoomStore *hz_room_store_new               (HzDb *db);
void         hz_room_store_free              (HzRoomStore *self);
HzDb        *hz_room_store_get_db            (HzRoomStore *self);
void         hz_room_store_set_policy        (HzRoomStore *self, const HzRoomPolicy *policy);
const HzRoomPolicy *hz_room_store_get_policy (HzRoomStore *self);
gboolean     hz_room_store_set_journal       (HzRoomStore *self,
                                              const char  *path,
                                              GError     **error);
guint        hz_room_store_journal_length    (HzRoomStore *self);
gboolean     hz_room_store_flush             (HzRoomStore *self, GError **error);

HzRoom      *hz_room_store_create_from_json  (HzRoomStore *self,
                                              JsonNode    *body,
                                              GError     **error);
HzRoom      *hz_room_store_get               (HzRoomStore *self,
                                              const char  *id,
                                              GError     **error);
GPtrArray   *hz_room_store_list              (HzRoomStore        *self,
                                              const HzRoomFilter *filter,
                                              gboolean           *more,
                                              GError            **error);
HzRoom      *hz_room_store_update_from_json  (HzRoomStore *self,
                                              const char  *id,
                                              JsonNode    *body,
                                              GDateTime   *now,
                                              GError     **error);
HzRoom      *hz_room_store_cancel            (HzRoomStore *self,
                                              const char  *id,
                                              HzRoomState *previous,
                                              GError     **error);
gboolean     hz_room_store_set_state         (HzRoomStore *self,
                                              const char  *id,
                                              HzRoomState  state,
                                              GError     **error);
GPtrArray   *hz_room_store_tick              (HzRoomStore *self,
                                              GDateTime   *now,
                                              GError     **error);
gboolean     hz_room_store_is_open_for_join  (HzRoomStore  *self,
                                              const HzRoom *room,
                                              GDateTime    *now,
                                              GError      **error);

/* hz-room-writes.c: records written as events happen */
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
gboolean     hz_room_store_record_document   (HzRoomStore *self,
                                              const char  *room_id,
                                              const char  *actor,
                                              const char  *document_id,
                                              const char  *kind,
                                              const char  *name,
                                              GDateTime   *at,
                                              GError     **error);
gboolean     hz_room_store_record_recording  (HzRoomStore *self,
                                              const char  *room_id,
                                              const char  *actor,
                                              const char  *recording_id,
                                              const char  *state,
                                              GDateTime   *at,
                                              GError     **error);
gboolean     hz_room_store_conclude          (HzRoomStore *self,
                                              const char  *room_id,
                                              const char  *participant_id,
                                              const char  *text,
                                              const char  *referral_direction,
                                              const char  *referral_institution,
                                              GError     **error);
gboolean     hz_room_store_write             (HzRoomStore *self,
                                              const char  *op,
                                              JsonObject  *args,
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
