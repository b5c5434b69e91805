/*
 * hz-api-recordings: the REST routes of the recordings library (API.md):
 *   GET  /api/v1/recordings                  search, filters, paging (admin)
 *   GET  /api/v1/recordings/{id}             entry, tracks, composed file,
 *                                            timeline summary (admin or token)
 *   GET  /api/v1/recordings/{id}/media       the composed file, ?track=N a
 *                                            track file; HTTP Range (206, 416)
 *                                            streamed from disk, or from S3 once
 *                                            uploaded (admin or token)
 *   POST /api/v1/recordings/{id}/tokens      a short-lived playback token (admin)
 *   DELETE /api/v1/recordings/{id}           entry and files (admin)
 *   POST /api/v1/rooms/{id}/recording        {"action":"start"|"stop"} (admin)
 * Owns the recording tokens (HMAC-SHA256 under [auth] token_secret over the
 * recording id and expiry, passed as ?token= so a <video src> can use it),
 * the Range parsing and the audit of every call and every download. The
 * catalog is recording/hz-recording-catalog.h; starting and stopping a
 * live recording is the signaling's, through recording_action.
 */
#pragma once

#include "hz-api-rooms.h"

G_BEGIN_DECLS

typedef struct _HzRecordingCatalog HzRecordingCatalog;

/* A playback token lives this long unless asked otherwise, at most _MAX. */
#define HZ_RECORDING_TOKEN_TTL_S (3600)
#define HZ_RECORDING_TOKEN_TTL_MAX_S (24 * 3600)

typedef struct {
  HzApiRoomsContext *rooms;     /* admin key, token secret, store, clock */
  HzRecordingCatalog *catalog;
  /* POST /api/v1/rooms/{id}/recording: starts or stops recording the live
   * room; FALSE with an HZ_ROOM_STORE_ERROR (NOT_FOUND, INVALID_STATE...)
   * when it cannot. NULL answers 501. */
  gboolean (*recording_action) (const char *room_id, gboolean start, const char *actor,
                                GError **error, gpointer user_data);
  gpointer user_data;
} HzApiRecordingsContext;

/* Adds the routes above; ctx must outlive the server. */
void hz_api_recordings_register (HzHttpServer *server, HzApiRecordingsContext *ctx);

/* "<expiry unix s>.<base64url HMAC>" for @recording_id. */
char *hz_recording_token_new (const char *secret, const char *recording_id, gint64 expires_s);
gboolean hz_recording_token_check (const char *secret, const char *recording_id, const char *token,
                                   gint64 now_s);

typedef enum {
  HZ_RANGE_NONE,          /* no usable Range: send the whole file (200) */
  HZ_RANGE_OK,            /* *first..*last inclusive (206) */
  HZ_RANGE_UNSATISFIABLE, /* 416 */
} HzRangeResult;

/* One "bytes=" range of RFC 9110 against a file of @size bytes; several
 * ranges or another unit are ignored (HZ_RANGE_NONE), as the RFC allows. */
HzRangeResult hz_http_parse_range (const char *header, guint64 size, guint64 *first, guint64 *last);

G_END_DECLS
