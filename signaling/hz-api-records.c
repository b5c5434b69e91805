/*
 * hz-api-records: consult records, the consult workflow and the audit log
 * over HTTP. See hz-api-records.h.
 */
#include "hz-api-records.h"

#include "hz-audit.h"
#include "hz-consult.h"
#include "hz-room-store.h"

static void
hz_api_records_list (HzHttpRequest *req, gpointer user_data)
{
  HzApiRoomsContext *ctx = user_data;
  HzConsultFilter filter = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GDateTime) from = NULL, to = NULL;
  g_autoptr(JsonNode) out = NULL;

  if (!hz_api_rooms_require_admin (ctx, req, "records_list", NULL))
    return;
  filter.institution = hz_http_request_get_query (req, "institution");
  filter.participant = hz_http_request_get_query (req, "participant");
  if (hz_api_rooms_query_time (req, "from", &from, &error) &&
      hz_api_rooms_query_time (req, "to", &to, &error) &&
      hz_api_rooms_query_page (req, &filter.limit, &filter.offset, &error)) {
    filter.from = from;
    filter.to = to;
    out = hz_consult_list_json (ctx->api->store, &filter, &error);
  }
  if (out == NULL) {
    hz_api_rooms_fail (ctx, req, "records_list", NULL, error);
    return;
  }
  hz_api_rooms_audit (ctx, req, "records_list", filter.institution, "ok");
  hz_http_request_respond_json (req, 200, out);
}

static void
hz_api_records_get (HzHttpRequest *req, gpointer user_data)
{
  HzApiRoomsContext *ctx = user_data;
  const char *id = hz_http_request_get_param (req, "id");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) out = NULL;

  if (!hz_api_rooms_require_admin (ctx, req, "record_read", id))
    return;
  out = hz_consult_get_json (ctx->api->store, id, &error);
  if (out == NULL) {
    hz_api_rooms_fail (ctx, req, "record_read", id, error);
    return;
  }
  hz_api_rooms_audit (ctx, req, "record_read", id, "ok");
  hz_http_request_respond_json (req, 200, out);
}

/* Answers with the whole record of @id and @status. */
static void
hz_api_records_respond_record (HzApiRoomsContext *ctx, HzHttpRequest *req, const char *action,
                               const char *id, guint status)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) out = hz_consult_get_json (ctx->api->store, id, &error);

  if (out == NULL) {
    hz_api_rooms_fail (ctx, req, action, id, error);
    return;
  }
  hz_api_rooms_audit (ctx, req, action, id, "ok");
  hz_http_request_respond_json (req, status, out);
}

static void
hz_api_records_request (HzHttpRequest *req, gpointer user_data)
{
  HzApiRoomsContext *ctx = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) body = NULL;
  g_autofree char *id = NULL;

  if (!hz_api_rooms_require_admin (ctx, req, "consult_request", NULL))
    return;
  body = hz_api_rooms_parse_body (req, &error);
  if (body != NULL)
    id = hz_consult_request (ctx->api->store, body, &error);
  if (id == NULL) {
    hz_api_rooms_fail (ctx, req, "consult_request", NULL, error);
    return;
  }
  hz_api_records_respond_record (ctx, req, "consult_request", id, 201);
}

static void
hz_api_records_accept (HzHttpRequest *req, gpointer user_data)
{
  HzApiRoomsContext *ctx = user_data;
  const char *id = hz_http_request_get_param (req, "id");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(HzRoom) room = NULL;

  if (!hz_api_rooms_require_admin (ctx, req, "consult_accept", id))
    return;
  body = hz_api_rooms_parse_body (req, &error);
  if (body != NULL)
    room = hz_consult_accept (ctx->api->store, id, body, &error);
  if (room == NULL) {
    hz_api_rooms_fail (ctx, req, "consult_accept", id, error);
    return;
  }
  hz_api_records_respond_record (ctx, req, "consult_accept", id, 201);
}

static void
hz_api_records_consent (HzHttpRequest *req, gpointer user_data)
{
  HzApiRoomsContext *ctx = user_data;
  const char *id = hz_http_request_get_param (req, "id");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) body = NULL;

  if (!hz_api_rooms_require_admin (ctx, req, "consult_consent", id))
    return;
  body = hz_api_rooms_parse_body (req, &error);
  if (body == NULL || !hz_consult_consent (ctx->api->store, id, body, &error)) {
    hz_api_rooms_fail (ctx, req, "consult_consent", id, error);
    return;
  }
  hz_api_records_respond_record (ctx, req, "consult_consent", id, 200);
}

static void
hz_api_records_audit_list (HzHttpRequest *req, gpointer user_data)
{
  HzApiRoomsContext *ctx = user_data;
  HzAuditFilter filter = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GDateTime) from = NULL, to = NULL;
  g_autoptr(JsonNode) out = NULL;

  if (!hz_api_rooms_require_admin (ctx, req, "audit_read", NULL))
    return;
  filter.actor = hz_http_request_get_query (req, "actor");
  filter.action = hz_http_request_get_query (req, "action");
  filter.outcome = hz_http_request_get_query (req, "outcome");
  if (hz_api_rooms_query_time (req, "from", &from, &error) &&
      hz_api_rooms_query_time (req, "to", &to, &error) &&
      hz_api_rooms_query_page (req, &filter.limit, &filter.offset, &error)) {
    filter.from = from;
    filter.to = to;
    out = hz_audit_list_json (hz_room_store_get_db (ctx->api->store), &filter, &error);
  }
  if (out == NULL) {
    hz_api_rooms_fail (ctx, req, "audit_read", NULL, error);
    return;
  }
  hz_api_rooms_audit (ctx, req, "audit_read", NULL, "ok");
  hz_http_request_respond_json (req, 200, out);
}

void
hz_api_records_register (HzHttpServer *server, HzApiRoomsContext *ctx)
{
  g_return_if_fail (server != NULL && ctx != NULL && ctx->api != NULL && ctx->api->store != NULL);
  hz_http_server_add_route (server, "GET", "/api/v1/consults", 0, hz_api_records_list, ctx);
  hz_http_server_add_route (server, "POST", "/api/v1/consults", HZ_API_MAX_JSON_BODY,
                            hz_api_records_request, ctx);
  hz_http_server_add_route (server, "GET", "/api/v1/consults/{id}", 0, hz_api_records_get, ctx);
  hz_http_server_add_route (server, "POST", "/api/v1/consults/{id}/accept", HZ_API_MAX_JSON_BODY,
                            hz_api_records_accept, ctx);
  hz_http_server_add_route (server, "POST", "/api/v1/consults/{id}/consent", HZ_API_MAX_JSON_BODY,
                            hz_api_records_consent, ctx);
  hz_http_server_add_route (server, "GET", "/api/v1/audit", 0, hz_api_records_audit_list, ctx);
}
