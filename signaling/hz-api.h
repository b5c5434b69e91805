/*
 * hz-api: the REST handlers of the admin and integration API (API.md):
 * GET /healthz, POST /api/v1/rooms, GET /api/v1/rooms/{id} and
 * POST /api/v1/rooms/{id}/tokens. Owns admin authentication (bearer key,
 * compared in constant time), the validation of token requests and the
 * JSON shapes of these responses; rooms and tokens themselves belong to
 * rooms/ (hz-room-store.h, hz-token.h).
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "hz-http.h"

/* rooms/hz-room-store.h; not included here because its HzParticipant
 * clashes with the one in hz-live-room.h */
typedef struct _HzRoomStore HzRoomStore;

G_BEGIN_DECLS

/* A token asks for at most this long. */
#define HZ_API_TOKEN_TTL_MAX_S (7 * 24 * 3600)
/* Request bodies of these routes are small JSON objects. */
#define HZ_API_MAX_JSON_BODY (64 * 1024)

typedef struct {
  const char *admin_key;       /* Authorization: Bearer <admin_key>; NULL/"" refuses all */
  const char *token_secret;    /* HMAC key of join tokens */
  const char *public_base_url; /* e.g. "https://consult.example.org", no trailing '/' needed */
  HzRoomStore *store;
  /* the live participants of a room as JSON objects (transfer full), or
   * NULL for none; the lead's signaling knows who is connected */
  JsonArray *(*list_participants) (const char *room_id, gpointer user_data);
  /* the time in unix seconds; NULL means the wall clock (tests inject one) */
  gint64 (*now_s) (gpointer user_data);
  gpointer user_data;
  /* cluster drain (owner: cluster): GET /healthz answers 503 {"status":"draining"} */
  gboolean draining;
} HzApiContext;

/* Adds the routes above to server. ctx is used by pointer and must outlive
 * the server. */
void hz_api_register (HzHttpServer *server, HzApiContext *ctx);

/* The member @name of @obj when it is a JSON string, else NULL (absent,
 * null, a number, an object...): never a GLib critical on client input. */
const char *hz_api_json_string (JsonObject *obj, const char *name);

G_END_DECLS
