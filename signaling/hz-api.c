/*
 * hz-api: the first REST handlers of the admin API. See hz-api.h.
 */
#include "hz-api.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <string.h>

#include "hz-room-store.h"
#include "hz-token.h"

#define HZ_API_NAME_MAX_CHARS 128
#define HZ_API_INSTITUTION_MAX_CHARS 200

static gint64
hz_api_now (HzApiContext *ctx)
{
  if (ctx->now_s != NULL)
    return ctx->now_s (ctx->user_data);
  return g_get_real_time () / G_USEC_PER_SEC;
}

/* Compares SHA-256 digests with CRYPTO_memcmp so neither the key's bytes
 * nor its length show in the time taken. */
static gboolean
hz_api_is_admin (HzApiContext *ctx, HzHttpRequest *req)
{
  const char *auth = hz_http_request_get_header (req, "authorization");
  guchar want[SHA256_DIGEST_LENGTH], got[SHA256_DIGEST_LENGTH];

  if (ctx->admin_key == NULL || ctx->admin_key[0] == '\0' || auth == NULL ||
      g_ascii_strncasecmp (auth, "Bearer ", 7) != 0)
    return FALSE;
  SHA256 ((const guchar *) ctx->admin_key, strlen (ctx->admin_key), want);
  SHA256 ((const guchar *) auth + 7, strlen (auth + 7), got);
  return CRYPTO_memcmp (want, got, sizeof (want)) == 0;
}

/* Answers 401 and returns FALSE unless req carries the admin key. */
static gboolean
hz_api_require_admin (HzApiContext *ctx, HzHttpRequest *req)
{
  if (hz_api_is_admin (ctx, req))
    return TRUE;
  hz_http_request_respond_error (req, 401, "unauthorized", "missing or wrong admin key");
  return FALSE;
}

static void
hz_api_respond_gerror (HzHttpRequest *req, const GError *error)
{
  guint status = hz_room_store_error_status (error);

  if (status >= 500) {
    g_warning ("api: %s %s: %s", hz_http_request_get_method (req),
               hz_http_request_get_path (req), error->message);
    hz_http_request_respond_error (req, status, hz_room_store_error_code (error), "internal error");
    return;
  }
  hz_http_request_respond_error (req, status, hz_room_store_error_code (error), error->message);
}

/* The request body as JSON, or NULL with HZ_ROOM_STORE_ERROR_INVALID_JSON. */
static JsonNode *
hz_api_parse_body (HzHttpRequest *req, GError **error)
{
  g_autoptr(GBytes) body = hz_http_request_get_body (req);
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(GError) local = NULL;
  gsize len = 0;
  const char *data = g_bytes_get_data (body, &len);

  if (len == 0 || !json_parser_load_from_data (parser, data, len, &local)) {
    g_set_error (error, HZ_ROOM_STORE_ERROR, HZ_ROOM_STORE_ERROR_INVALID_JSON,
                 "the body is not JSON%s%s", local != NULL ? ": " : "",
                 local != NULL ? local->message : "");
    return NULL;
  }
  return json_parser_steal_root (parser);
}

static void
hz_api_healthz (HzHttpRequest *req, gpointer user_data)
{
  HzApiContext *ctx = user_data;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "status");
  json_builder_add_string_value (b, ctx->draining ? "draining" : "ok");
  json_builder_set_member_name (b, "version");
  json_builder_add_string_value (b, HZ_VERSION);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  hz_http_request_respond_json (req, ctx->draining ? 503 : 200, root);
}

static void
hz_api_rooms_create (HzHttpRequest *req, gpointer user_data)
{
  HzApiContext *ctx = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(HzRoom) room = NULL;
  g_autoptr(JsonNode) out = NULL;

  if (!hz_api_require_admin (ctx, req))
    return;
  body = hz_api_parse_body (req, &error);
  if (body != NULL)
    room = hz_room_store_create_from_json (ctx->store, body, &error);
  if (room == NULL) {
    hz_api_respond_gerror (req, error);
    return;
  }
  g_message ("api: %s created room %s", hz_http_request_get_peer (req), room->id);
  out = hz_room_to_json (room);
  hz_http_request_respond_json (req, 201, out);
}

static void
hz_api_rooms_get (HzHttpRequest *req, gpointer user_data)
{
  HzApiContext *ctx = user_data;
  const char *id = hz_http_request_get_param (req, "id");
  g_autoptr(GError) error = NULL;
  g_autoptr(HzRoom) room = NULL;
  g_autoptr(JsonNode) out = NULL;
  JsonArray *participants = NULL;

  if (!hz_api_require_admin (ctx, req))
    return;
  room = hz_room_store_get (ctx->store, id, &error);
  if (room == NULL) {
    hz_api_respond_gerror (req, error);
    return;
  }
  out = hz_room_to_json (room);
  if (ctx->list_participants != NULL)
    participants = ctx->list_participants (id, ctx->user_data);
  json_object_set_array_member (json_node_get_object (out), "participants",
                                participants != NULL ? participants : json_array_new ());
  hz_http_request_respond_json (req, 200, out);
}

/* A required string member of 1..max_chars characters. */
static const char *
hz_api_get_string (JsonObject *obj, const char *name, guint max_chars, GError **error)
{
  JsonNode *node = json_object_get_member (obj, name);
  const char *value;

  if (node == NULL) {
    g_set_error (error, HZ_ROOM_STORE_ERROR, HZ_ROOM_STORE_ERROR_MISSING_FIELD, "%s is missing", name);
    return NULL;
  }
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING) {
    g_set_error (error, HZ_ROOM_STORE_ERROR, HZ_ROOM_STORE_ERROR_INVALID_FIELD, "%s must be a string", name);
    return NULL;
  }
  value = json_node_get_string (node);
  if (value[0] == '\0' || g_utf8_strlen (value, -1) > max_chars) {
    g_set_error (error, HZ_ROOM_STORE_ERROR, HZ_ROOM_STORE_ERROR_INVALID_FIELD,
                 "%s must have 1 to %u characters", name, max_chars);
    return NULL;
  }
  return value;
}

/* Reads {"user","display_name","institution","role","ttl_s"?} into claims
 * (strings borrowed from obj) and *ttl_s (0 when absent). */
static gboolean
hz_api_read_token_request (JsonObject *obj, HzTokenClaims *claims, gint64 *ttl_s, GError **error)
{
  static const char *const known[] = { "user", "display_name", "institution", "role", "ttl_s", NULL };
  g_autoptr(GList) members = json_object_get_members (obj);
  const char *role;
  JsonNode *ttl;

  for (GList *l = members; l != NULL; l = l->next) {
    if (!g_strv_contains ((const char *const *) known, l->data)) {
      g_set_error (error, HZ_ROOM_STORE_ERROR, HZ_ROOM_STORE_ERROR_UNKNOWN_FIELD,
                   "unknown field %s", (const char *) l->data);
      return FALSE;
    }
  }
  claims->user = (char *) hz_api_get_string (obj, "user", HZ_API_NAME_MAX_CHARS, error);
  if (claims->user == NULL)
    return FALSE;
  if (g_str_has_prefix (claims->user, "cascade:")) { /* cascade relay identities: nodes only */
    g_set_error (error, HZ_ROOM_STORE_ERROR, HZ_ROOM_STORE_ERROR_INVALID_FIELD,
                 "user ids starting with \"cascade:\" are reserved for the cluster's nodes");
    return FALSE;
  }
  claims->display_name = (char *) hz_api_get_string (obj, "display_name", HZ_API_NAME_MAX_CHARS, error);
  if (claims->display_name == NULL)
    return FALSE;
  claims->institution = (char *) hz_api_get_string (obj, "institution", HZ_API_INSTITUTION_MAX_CHARS, error);
  if (claims->institution == NULL)
    return FALSE;
  role = hz_api_get_string (obj, "role", 32, error);
  if (role == NULL)
    return FALSE;
  claims->role = hz_role_from_string (role);
  if (claims->role == HZ_ROLE_INVALID || claims->role == HZ_ROLE_RELAY) { /* relay: nodes only */
    g_set_error (error, HZ_ROOM_STORE_ERROR, HZ_ROOM_STORE_ERROR_INVALID_FIELD,
                 "role must be doctor, specialist, presenter, student or observer");
    return FALSE;
  }
  *ttl_s = 0;
  ttl = json_object_get_member (obj, "ttl_s");
  if (ttl != NULL) {
    if (!JSON_NODE_HOLDS_VALUE (ttl) || json_node_get_value_type (ttl) != G_TYPE_INT64 ||
        json_node_get_int (ttl) <= 0 || json_node_get_int (ttl) > HZ_API_TOKEN_TTL_MAX_S) {
      g_set_error (error, HZ_ROOM_STORE_ERROR, HZ_ROOM_STORE_ERROR_INVALID_FIELD,
                   "ttl_s must be an integer from 1 to %d", HZ_API_TOKEN_TTL_MAX_S);
      return FALSE;
    }
    *ttl_s = json_node_get_int (ttl);
  }
  return TRUE;
}

static char *
hz_api_join_url (HzApiContext *ctx, const char *token)
{
  const char *base = ctx->public_base_url != NULL ? ctx->public_base_url : "";
  gsize len = strlen (base);
  g_autofree char *escaped = g_uri_escape_string (token, NULL, FALSE);

  while (len > 0 && base[len - 1] == '/')
    len--;
  return g_strdup_printf ("%.*s/?token=%s", (int) len, base, escaped);
}

static void
hz_api_tokens_create (HzHttpRequest *req, gpointer user_data)
{
  HzApiContext *ctx = user_data;
  const char *id = hz_http_request_get_param (req, "id");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(HzRoom) room = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) out = NULL;
  g_autoptr(GDateTime) exp = NULL;
  g_autofree char *token = NULL;
  g_autofree char *url = NULL;
  g_autofree char *exp_text = NULL;
  HzTokenClaims claims = { 0 };
  gint64 now = hz_api_now (ctx), ttl_s = 0;

  if (!hz_api_require_admin (ctx, req))
    return;
  room = hz_room_store_get (ctx->store, id, &error);
  if (room == NULL) {
    hz_api_respond_gerror (req, error);
    return;
  }
  body = hz_api_parse_body (req, &error);
  if (body != NULL && !JSON_NODE_HOLDS_OBJECT (body))
    g_set_error (&error, HZ_ROOM_STORE_ERROR, HZ_ROOM_STORE_ERROR_INVALID_JSON, "the body is not a JSON object");
  if (error != NULL || !hz_api_read_token_request (json_node_get_object (body), &claims, &ttl_s, &error)) {
    hz_api_respond_gerror (req, error);
    return;
  }
  if (ttl_s == 0) {
    /* until the room's grace period ends, at most the maximum */
    ttl_s = MIN (g_date_time_to_unix (room->ends_at) + HZ_ROOM_GRACE_S - now,
                 (gint64) HZ_API_TOKEN_TTL_MAX_S);
  }
  if (room->state == HZ_ROOM_STATE_CLOSED || ttl_s <= 0) {
    hz_http_request_respond_error (req, 410, "room_closed", "the room is over");
    return;
  }
  claims.room = room->id;
  claims.iat = now;
  claims.exp = now + ttl_s;
  token = hz_token_issue (ctx->token_secret, &claims, &error);
  if (token == NULL) {
    hz_http_request_respond_error (req, 500, "internal_error", error->message);
    return;
  }
  url = hz_api_join_url (ctx, token);
  exp = g_date_time_new_from_unix_utc (claims.exp);
  exp_text = g_date_time_format (exp, "%Y-%m-%dT%H:%M:%SZ");
  g_message ("api: %s issued a %s token for room %s, user %s", hz_http_request_get_peer (req),
             hz_role_to_string (claims.role), room->id, claims.user);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "token");
  json_builder_add_string_value (b, token);
  json_builder_set_member_name (b, "join_url");
  json_builder_add_string_value (b, url);
  json_builder_set_member_name (b, "expires_at");
  json_builder_add_string_value (b, exp_text);
  json_builder_end_object (b);
  out = json_builder_get_root (b);
  hz_http_request_respond_json (req, 201, out);
}

void
hz_api_register (HzHttpServer *server, HzApiContext *ctx)
{
  g_return_if_fail (server != NULL && ctx != NULL && ctx->store != NULL);
  hz_http_server_add_route (server, "GET", "/healthz", 0, hz_api_healthz, ctx);
  hz_http_server_add_route (server, "POST", "/api/v1/rooms", HZ_API_MAX_JSON_BODY, hz_api_rooms_create, ctx);
  hz_http_server_add_route (server, "GET", "/api/v1/rooms/{id}", 0, hz_api_rooms_get, ctx);
  hz_http_server_add_route (server, "POST", "/api/v1/rooms/{id}/tokens", HZ_API_MAX_JSON_BODY,
                            hz_api_tokens_create, ctx);
}

const char *
hz_api_json_string (JsonObject *obj, const char *name)
{
  JsonNode *node = obj != NULL ? json_object_get_member (obj, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}
