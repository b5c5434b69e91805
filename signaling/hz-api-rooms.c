/*
 * hz-api-rooms: room listing, rescheduling, cancelling and the conclusion
 * by API. See hz-api-rooms.h.
 */
#include "hz-api-rooms.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <string.h>

#include "hz-audit.h"
#include "hz-room-store.h"

GDateTime *
hz_api_rooms_now (HzApiRoomsContext *ctx)
{
  if (ctx->api->now_s != NULL)
    return g_date_time_new_from_unix_utc (ctx->api->now_s (ctx->api->user_data));
  return g_date_time_new_now_utc ();
}

/* An audit entry for an admin call; a failure to write it is logged, the
 * call goes on (the journal has already been tried). */
void
hz_api_rooms_audit (HzApiRoomsContext *ctx, HzHttpRequest *req, const char *action,
                    const char *target, const char *outcome)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *actor = g_strdup_printf ("admin@%s", hz_http_request_get_peer (req));

  if (!hz_audit_append (ctx->api->store, actor, NULL, action, target, outcome, NULL, &error))
    g_warning ("audit: %s %s not written: %s", action, target != NULL ? target : "", error->message);
}

/* Same comparison as hz-api.c: SHA-256 digests through CRYPTO_memcmp, so
 * neither the key's bytes nor its length show in the time taken. */
static gboolean
hz_api_rooms_is_admin (HzApiRoomsContext *ctx, HzHttpRequest *req)
{
  const char *key = ctx->api->admin_key;
  const char *auth = hz_http_request_get_header (req, "authorization");
  guchar want[SHA256_DIGEST_LENGTH], got[SHA256_DIGEST_LENGTH];

  if (key == NULL || key[0] == '\0' || auth == NULL || g_ascii_strncasecmp (auth, "Bearer ", 7) != 0)
    return FALSE;
  SHA256 ((const guchar *) key, strlen (key), want);
  SHA256 ((const guchar *) auth + 7, strlen (auth + 7), got);
  return CRYPTO_memcmp (want, got, sizeof (want)) == 0;
}

/* Answers 401 (and audits the refusal) unless req carries the admin key. */
gboolean
hz_api_rooms_require_admin (HzApiRoomsContext *ctx, HzHttpRequest *req, const char *action,
                            const char *target)
{
  if (hz_api_rooms_is_admin (ctx, req))
    return TRUE;
  hz_api_rooms_audit (ctx, req, action, target, "denied");
  hz_http_request_respond_error (req, 401, "unauthorized", "missing or wrong admin key");
  return FALSE;
}

/* Answers @error with its status and code, and audits the failure. */
void
hz_api_rooms_fail (HzApiRoomsContext *ctx, HzHttpRequest *req, const char *action, const char *target,
                   const GError *error)
{
  guint status = hz_room_store_error_status (error);

  hz_api_rooms_audit (ctx, req, action, target, status >= 500 ? "error" : "invalid");
  if (status >= 500) {
    g_warning ("api: %s %s: %s", hz_http_request_get_method (req), hz_http_request_get_path (req),
               error->message);
    hz_http_request_respond_error (req, status, hz_room_store_error_code (error),
                                   status == 503 ? "the database is unavailable" : "internal error");
    return;
  }
  hz_http_request_respond_error (req, status, hz_room_store_error_code (error), error->message);
}

JsonNode *
hz_api_rooms_parse_body (HzHttpRequest *req, GError **error)
{
  g_autoptr(GBytes) body = hz_http_request_get_body (req);
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(GError) local = NULL;
  gsize len = 0;
  const char *data = g_bytes_get_data (body, &len);

  if (len == 0 || !json_parser_load_from_data (parser, data, len, &local)) {
    g_set_error (error, HZ_ROOM_STORE_ERROR, HZ_ROOM_STORE_ERROR_INVALID_JSON, "the body is not JSON%s%s",
                 local != NULL ? ": " : "", local != NULL ? local->message : "");
    return NULL;
  }
  if (!JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser))) {
    g_set_error_literal (error, HZ_ROOM_STORE_ERROR, HZ_ROOM_STORE_ERROR_INVALID_JSON,
                         "the body must be a JSON object");
    return NULL;
  }
  return json_parser_steal_root (parser);
}

static gboolean
hz_api_rooms_query_uint (HzHttpRequest *req, const char *name, guint max, guint *out, GError **error)
{
  const char *text = hz_http_request_get_query (req, name);
  guint64 v = 0;

  if (text == NULL)
    return TRUE;
  if (!g_ascii_string_to_unsigned (text, 10, 0, max, &v, NULL)) {
    g_set_error (error, HZ_ROOM_STORE_ERROR, HZ_ROOM_STORE_ERROR_INVALID_FIELD,
                 "%s: must be an integer from 0 to %u", name, max);
    return FALSE;
  }
  *out = (guint) v;
  return TRUE;
}

/* ?limit=1..500&offset=N */
gboolean
hz_api_rooms_query_page (HzHttpRequest *req, guint *limit, guint *offset, GError **error)
{
  *limit = HZ_ROOM_STORE_PAGE_DEFAULT;
  *offset = 0;
  if (!hz_api_rooms_query_uint (req, "limit", HZ_ROOM_STORE_PAGE_MAX, limit, error) ||
      !hz_api_rooms_query_uint (req, "offset", 10000000, offset, error))
    return FALSE;
  if (*limit == 0) {
    g_set_error_literal (error, HZ_ROOM_STORE_ERROR, HZ_ROOM_STORE_ERROR_INVALID_FIELD,
                         "limit: must be 1 to 500");
    return FALSE;
  }
  return TRUE;
}

/* ?name=<RFC 3339>; absent leaves *out NULL. */
gboolean
hz_api_rooms_query_time (HzHttpRequest *req, const char *name, GDateTime **out, GError **error)
{
  const char *text = hz_http_request_get_query (req, name);

  *out = NULL;
  if (text == NULL)
    return TRUE;
  *out = hz_room_parse_time (text);
  if (*out == NULL) {
    g_set_error (error, HZ_ROOM_STORE_ERROR, HZ_ROOM_STORE_ERROR_INVALID_FIELD,
                 "%s: must be an RFC 3339 time", name);
    return FALSE;
  }
  return TRUE;
}

static void
hz_api_rooms_list (HzHttpRequest *req, gpointer user_data)
{
  HzApiRoomsContext *ctx = user_data;
  HzRoomFilter filter = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) rooms = NULL;
  g_autoptr(GDateTime) from = NULL, to = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) out = NULL;
  const char *state = hz_http_request_get_query (req, "state");
  gboolean more = FALSE;

  if (!hz_api_rooms_require_admin (ctx, req, "rooms_list", NULL))
    return;
  if (state != NULL && !hz_room_state_from_string (state, &filter.state))
    g_set_error_literal (&error, HZ_ROOM_STORE_ERROR, HZ_ROOM_STORE_ERROR_INVALID_FIELD,
                         "state: must be scheduled, open, live or closed");
  filter.has_state = state != NULL;
  if (error == NULL && hz_api_rooms_query_time (req, "from", &from, &error) &&
      hz_api_rooms_query_time (req, "to", &to, &error) &&
      hz_api_rooms_query_page (req, &filter.limit, &filter.offset, &error)) {
    filter.from = from;
    filter.to = to;
    rooms = hz_room_store_list (ctx->api->store, &filter, &more, &error);
  }
  if (rooms == NULL) {
    hz_api_rooms_fail (ctx, req, "rooms_list", NULL, error);
    return;
  }
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "rooms");
  json_builder_begin_array (b);
  for (guint i = 0; i < rooms->len; i++)
    json_builder_add_value (b, hz_room_to_json (g_ptr_array_index (rooms, i)));
  json_builder_end_array (b);
  hz_room_store_add_page (b, filter.limit, filter.offset, more);
  json_builder_end_object (b);
  out = json_builder_get_root (b);
  hz_http_request_respond_json (req, 200, out);
}

static void
hz_api_rooms_patch (HzHttpRequest *req, gpointer user_data)
{
  HzApiRoomsContext *ctx = user_data;
  const char *id = hz_http_request_get_param (req, "id");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(HzRoom) room = NULL;
  g_autoptr(JsonNode) out = NULL;
  g_autoptr(GDateTime) now = hz_api_rooms_now (ctx);

  if (!hz_api_rooms_require_admin (ctx, req, "room_update", id))
    return;
  body = hz_api_rooms_parse_body (req, &error);
  if (body != NULL)
    room = hz_room_store_update_from_json (ctx->api->store, id, body, now, &error);
  if (room == NULL) {
    hz_api_rooms_fail (ctx, req, "room_update", id, error);
    return;
  }
  hz_api_rooms_audit (ctx, req, "room_update", id, "ok");
  out = hz_room_to_json (room);
  hz_http_request_respond_json (req, 200, out);
}

static void
hz_api_rooms_delete (HzHttpRequest *req, gpointer user_data)
{
  HzApiRoomsContext *ctx = user_data;
  const char *id = hz_http_request_get_param (req, "id");
  g_autoptr(GError) error = NULL;
  g_autoptr(HzRoom) room = NULL;
  g_autoptr(JsonNode) out = NULL;
  HzRoomState previous = HZ_ROOM_STATE_SCHEDULED;

  if (!hz_api_rooms_require_admin (ctx, req, "room_cancel", id))
    return;
  room = hz_room_store_cancel (ctx->api->store, id, &previous, &error);
  if (room == NULL) {
    hz_api_rooms_fail (ctx, req, "room_cancel", id, error);
    return;
  }
  hz_api_rooms_audit (ctx, req, "room_cancel", id, "ok");
  g_message ("api: %s cancelled room %s (was %s)", hz_http_request_get_peer (req), id,
             hz_room_state_to_string (previous));
  if (ctx->room_closed != NULL)
    ctx->room_closed (id, "cancelled", ctx->user_data);
  out = hz_room_to_json (room);
  hz_http_request_respond_json (req, 200, out);
}

/* {"text", "referral"?: {"direction", "institution"}, "by"?} */
static gboolean
hz_api_rooms_read_conclusion (JsonObject *obj, const char **text, const char **direction,
                              const char **institution, const char **by, GError **error)
{
  static const char *const known[] = { "text", "referral", "by", NULL };
  g_autoptr(GList) members = json_object_get_members (obj);
  JsonNode *referral = json_object_get_member (obj, "referral");

  for (GList *l = members; l != NULL; l = l->next) {
    if (!g_strv_contains (known, l->data)) {
      g_set_error (error, HZ_ROOM_STORE_ERROR, HZ_ROOM_STORE_ERROR_UNKNOWN_FIELD, "%s: unknown field",
                   (const char *) l->data);
      return FALSE;
    }
  }
  *text = hz_api_json_string (obj, "text");
  *by = hz_api_json_string (obj, "by");
  if (*by == NULL)
    *by = "admin";
  *direction = *institution = NULL;
  if (referral != NULL && !JSON_NODE_HOLDS_NULL (referral)) {
    if (!JSON_NODE_HOLDS_OBJECT (referral)) {
      g_set_error_literal (error, HZ_ROOM_STORE_ERROR, HZ_ROOM_STORE_ERROR_INVALID_FIELD,
                           "referral: must be an object");
      return FALSE;
    }
    *direction = hz_api_json_string (json_node_get_object (referral), "direction");
    *institution = hz_api_json_string (json_node_get_object (referral), "institution");
    if (*direction == NULL) {
      g_set_error_literal (error, HZ_ROOM_STORE_ERROR, HZ_ROOM_STORE_ERROR_INVALID_FIELD,
                           "referral.direction: must be \"up\" or \"down\"");
      return FALSE;
    }
  }
  if (*text == NULL) {
    g_set_error_literal (error, HZ_ROOM_STORE_ERROR, HZ_ROOM_STORE_ERROR_MISSING_FIELD,
                         "text: is required and must be a string");
    return FALSE;
  }
  return TRUE;
}

static void
hz_api_rooms_conclusion (HzHttpRequest *req, gpointer user_data)
{
  HzApiRoomsContext *ctx = user_data;
  const char *id = hz_http_request_get_param (req, "id");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(HzRoom) room = NULL;
  const char *text = NULL, *direction = NULL, *institution = NULL, *by = NULL;

  if (!hz_api_rooms_require_admin (ctx, req, "conclusion", id))
    return;
  room = hz_room_store_get (ctx->api->store, id, &error);
  if (room != NULL)
    body = hz_api_rooms_parse_body (req, &error);
  if (body == NULL ||
      !hz_api_rooms_read_conclusion (json_node_get_object (body), &text, &direction, &institution, &by, &error) ||
      !hz_room_store_conclude (ctx->api->store, id, by, text, direction, institution, &error)) {
    hz_api_rooms_fail (ctx, req, "conclusion", id, error);
    return;
  }
  hz_api_rooms_audit (ctx, req, "conclusion", id, "ok");
  {
    g_autoptr(JsonBuilder) b = json_builder_new ();
    g_autoptr(JsonNode) out = NULL;
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "consult_id");
    json_builder_add_string_value (b, id);
    json_builder_set_member_name (b, "status");
    json_builder_add_string_value (b, "concluded");
    json_builder_end_object (b);
    out = json_builder_get_root (b);
    hz_http_request_respond_json (req, 201, out);
  }
}

void
hz_api_rooms_register (HzHttpServer *server, HzApiRoomsContext *ctx)
{
  g_return_if_fail (server != NULL && ctx != NULL && ctx->api != NULL && ctx->api->store != NULL);
  hz_http_server_add_route (server, "GET", "/api/v1/rooms", 0, hz_api_rooms_list, ctx);
  hz_http_server_add_route (server, "PATCH", "/api/v1/rooms/{id}", HZ_API_MAX_JSON_BODY,
                            hz_api_rooms_patch, ctx);
  hz_http_server_add_route (server, "DELETE", "/api/v1/rooms/{id}", 0, hz_api_rooms_delete, ctx);
  hz_http_server_add_route (server, "POST", "/api/v1/rooms/{id}/conclusion", HZ_API_MAX_JSON_BODY,
                            hz_api_rooms_conclusion, ctx);
}
