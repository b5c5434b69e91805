/* hz-audit: the tamper-evident audit log. Owns the audit_log and audit_head
 * tables: appending an entry (time, actor, institution, action, target,
 * outcome, detail) whose SHA-256 hash covers the previous entry's hash and
 * the entry's canonical fields, verifying the chain from its anchor to its
 * head (reporting the first broken link), listing entries for the API, and
 * the retention purge that deletes the oldest entries but leaves an anchor
 * (the last deleted id and hash) so what remains still verifies. Appends go
 * through hz_room_store_write(), so they are journaled like every record. */
#pragma once

#include "hz-room-store.h"

G_BEGIN_DECLS

typedef struct {
  const char *actor;
  const char *action;
  const char *outcome;
  GDateTime  *from;
  GDateTime  *to;
  guint       limit;   /* 0 = HZ_ROOM_STORE_PAGE_DEFAULT */
  guint       offset;
} HzAuditFilter;

gboolean  hz_audit_append    (HzRoomStore *store,
                              const char  *actor,
                              const char  *institution,
                              const char  *action,
                              const char  *target,
                              const char  *outcome,
                              JsonNode    *detail,
                              GError     **error);
gboolean  hz_audit_verify    (HzDb    *db,
                              gint64  *first_broken_id,
                              GError **error);
JsonNode *hz_audit_list_json (HzDb *db, const HzAuditFilter *filter, GError **error);
guint     hz_audit_purge     (HzDb *db, GDateTime *before, GError **error);

G_END_DECLS
