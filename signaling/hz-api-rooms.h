/*
 * hz-api-rooms: the REST routes of the room lifecycle and the consult
 * workflow that complete hz-api's first ones (API.md, docs/openapi.yaml):
 *   GET /api/v1/rooms, PATCH and DELETE /api/v1/rooms/{id},
 *   POST /api/v1/rooms/{id}/conclusion.
 * hz-api-records.h adds the consult records and the audit log. Owns the
 * shared helpers of both (admin check with an audit entry for every admin
 * call and every refused key, paging and time query parameters, error
 * answers). Rooms, records and audit themselves live in rooms/.
 */
#pragma once

#include "hz-api.h"

G_BEGIN_DECLS

typedef struct {
  HzApiContext *api;  /* admin_key, store, now_s: shared with hz_api_register() */
  /* Called after DELETE closed a room, so the signaling ends a live session
   * and tells its participants (reason "cancelled"). May be NULL. */
  void (*room_closed) (const char *room_id, const char *reason, gpointer user_data);
  gpointer user_data;
} HzApiRoomsContext;

/* Both add their routes to server; ctx must outlive it. */
void hz_api_rooms_register   (HzHttpServer *server, HzApiRoomsContext *ctx);
void hz_api_records_register (HzHttpServer *server, HzApiRoomsContext *ctx);

/* shared by hz-api-rooms.c and hz-api-records.c */
gboolean    hz_api_rooms_require_admin (HzApiRoomsContext *ctx, HzHttpRequest *req, const char *action,
                                        const char *target);
void        hz_api_rooms_audit         (HzApiRoomsContext *ctx, HzHttpRequest *req, const char *action,
                                        const char *target, const char *outcome);
void        hz_api_rooms_fail          (HzApiRoomsContext *ctx, HzHttpRequest *req, const char *action,
                                        const char *target, const GError *error);
JsonNode   *hz_api_rooms_parse_body    (HzHttpRequest *req, GError **error);
gboolean    hz_api_rooms_query_page    (HzHttpRequest *req, guint *limit, guint *offset, GError **error);
gboolean    hz_api_rooms_query_time    (HzHttpRequest *req, const char *name, GDateTime **out,
                                        GError **error);
GDateTime  *hz_api_rooms_now           (HzApiRoomsContext *ctx);

G_END_DECLS
