/*
 * hz-api-documents: sharing, listing and fetching documents, and pulling
 * studies from the PACS. See hz-api-documents.h.
 */
#include "hz-api-documents.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <string.h>
#include <unistd.h>

#include "hz-audit.h"
#include "hz-multipart.h"
#include "hz-room-store.h"

typedef enum { HZ_DOCS_SHARE, HZ_DOCS_FETCH, HZ_DOCS_SEARCH } HzDocsAction;

typedef struct {
  gboolean admin;
  HzTokenClaims *claims; /* NULL for the admin key */
  char *actor;           /* "admin@<peer>" or the token's user id */
} HzDocsCaller;

static void
hz_docs_caller_clear (HzDocsCaller *c)
{
  g_clear_pointer (&c->claims, hz_token_claims_free);
  g_clear_pointer (&c->actor, g_free);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (HzDocsCaller, hz_docs_caller_clear)

/* A JSON object body, or NULL with a BAD_REQUEST error. */
static JsonNode *
hz_docs_parse_body (HzHttpRequest *req, GError **error)
{
  g_autoptr(GBytes) body = hz_http_request_get_body (req);
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  gsize len = 0;
  const char *data = g_bytes_get_data (body, &len);

  if (len == 0 || !json_parser_load_from_data (parser, data, len, NULL) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser))) {
    g_set_error_literal (error, HZ_DOCUMENTS_ERROR, HZ_DOCUMENTS_ERROR_BAD_REQUEST, "the body must be a JSON object");
    return NULL;
  }
  return json_parser_steal_root (parser);
}

static gint64
hz_docs_now_s (HzApiDocumentsContext *ctx)
{
  if (ctx->api->now_s != NULL)
    return ctx->api->now_s (ctx->api->user_data);
  return g_get_real_time () / G_USEC_PER_SEC;
}

static void
hz_docs_audit (HzApiDocumentsContext *ctx, HzDocsCaller *caller, HzHttpRequest *req, const char *action,
               const char *target, const char *outcome, JsonNode *detail)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *anon = g_strdup_printf ("anonymous@%s", hz_http_request_get_peer (req));
  const char *actor = caller != NULL && caller->actor != NULL ? caller->actor : anon;
  const char *inst = caller != NULL && caller->claims != NULL ? caller->claims->institution : NULL;

  if (!hz_audit_append (ctx->api->store, actor, inst, action, target, outcome, detail, &error))
    g_warning ("audit: %s %s not written: %s", action, target != NULL ? target : "", error->message);
}

/* A consult record event other than the share itself (fetch, de-identify). */
static void
hz_docs_record_event (HzApiDocumentsContext *ctx, const char *room_id, const char *kind, const char *actor,
                      JsonObject *detail)
{
  g_autoptr(JsonObject) args = json_object_new ();
  g_autoptr(GDateTime) now = g_date_time_new_from_unix_utc (hz_docs_now_s (ctx));
  g_autofree char *at = hz_db_time_to_text (now);
  g_autoptr(GError) error = NULL;

  json_object_set_string_member (args, "room_id", room_id);
  json_object_set_string_member (args, "kind", kind);
  json_object_set_string_member (args, "actor", actor);
  json_object_set_string_member (args, "at", at);
  json_object_set_object_member (args, "detail", json_object_ref (detail));
  if (!hz_room_store_write (ctx->api->store, "event", args, &error))
    g_warning ("records: %s in room %s not written: %s", kind, room_id, error->message);
}

static gboolean
hz_docs_is_admin (HzApiDocumentsContext *ctx, const char *bearer)
{
  const char *key = ctx->api->admin_key;
  guchar want[SHA256_DIGEST_LENGTH], got[SHA256_DIGEST_LENGTH];

  if (key == NULL || key[0] == '\0')
    return FALSE;
  /* digests through CRYPTO_memcmp, as hz-api.c: no timing of the key */
  SHA256 ((const guchar *) key, strlen (key), want);
  SHA256 ((const guchar *) bearer, strlen (bearer), got);
  return CRYPTO_memcmp (want, got, sizeof (want)) == 0;
}

static gboolean
hz_docs_role_may (HzDocsAction action, HzRole role, HzRoomKind kind)
{
  switch (action) {
  case HZ_DOCS_SHARE:
    return role == HZ_ROLE_DOCTOR || role == HZ_ROLE_SPECIALIST || role == HZ_ROLE_PRESENTER;
  case HZ_DOCS_FETCH:
    return role != HZ_ROLE_STUDENT || kind == HZ_ROOM_KIND_TEACHING;
  case HZ_DOCS_SEARCH:
  default:
    return role == HZ_ROLE_DOCTOR || role == HZ_ROLE_SPECIALIST;
  }
}

/* Who is calling, and may they do action in room_id (NULL: no room)?
 * Answers the refusal itself (401, 403, 404, 409) and returns FALSE. */
static gboolean
hz_docs_authorize (HzApiDocumentsContext *ctx, HzHttpRequest *req, const char *room_id, HzDocsAction action,
                   const char *audit_action, HzDocsCaller *caller)
{
  const char *auth = hz_http_request_get_header (req, "authorization");
  g_autoptr(GError) error = NULL;
  g_autoptr(HzRoom) room = NULL;
  const char *deny = NULL, *code = "forbidden";
  guint status = 403;

  if (auth == NULL || g_ascii_strncasecmp (auth, "Bearer ", 7) != 0) {
    hz_docs_audit (ctx, NULL, req, audit_action, room_id, "denied", NULL);
    hz_http_request_respond_error (req, 401, "unauthorized", "the admin key or a join token of this room is required");
    return FALSE;
  }
  if (hz_docs_is_admin (ctx, auth + 7)) {
    caller->admin = TRUE;
    caller->actor = g_strdup_printf ("admin@%s", hz_http_request_get_peer (req));
  } else {
    caller->claims = hz_token_verify (ctx->api->token_secret, auth + 7, hz_docs_now_s (ctx), &error);
    if (caller->claims == NULL) {
      hz_docs_audit (ctx, NULL, req, audit_action, room_id, "denied", NULL);
      hz_http_request_respond_error (req, 401, "unauthorized", "neither the admin key nor a valid join token");
      return FALSE;
    }
    caller->actor = g_strdup (caller->claims->user);
  }
  if (room_id != NULL) {
    room = hz_room_store_get (ctx->api->store, room_id, &error);
    if (room == NULL) {
      status = hz_room_store_error_status (error);
      hz_docs_audit (ctx, caller, req, audit_action, room_id, "invalid", NULL);
      hz_http_request_respond_error (req, status, hz_room_store_error_code (error),
                                     status >= 500 ? "internal error" : error->message);
      return FALSE;
    }
  }
  if (caller->claims != NULL) {
    if (room_id != NULL && g_strcmp0 (caller->claims->room, room_id) != 0) {
      deny = "this join token is for another room";
      code = "wrong_room";
    } else if (!hz_docs_role_may (action, caller->claims->role, room != NULL ? room->kind : HZ_ROOM_KIND_INVALID)) {
      deny = action == HZ_DOCS_FETCH ? "students see a consult's documents only in teaching rooms"
                                     : "this role may not do this";
    }
  }
  if (deny == NULL && action == HZ_DOCS_SHARE && room != NULL && room->state == HZ_ROOM_STATE_CLOSED) {
    deny = "the room is closed";
    code = "room_closed";
    status = 410; /* as the room store answers for tokens and joins */
  }
  if (deny != NULL) {
    hz_docs_audit (ctx, caller, req, audit_action, room_id, "denied", NULL);
    hz_http_request_respond_error (req, status, code, deny);
    return FALSE;
  }
  return TRUE;
}

static void
hz_docs_fail (HzApiDocumentsContext *ctx, HzHttpRequest *req, HzDocsCaller *caller, const char *action,
              const char *target, const GError *error)
{
  static const struct { guint status; const char *code; } docs[] = {
    [HZ_DOCUMENTS_ERROR_UNSUPPORTED] = { 415, "unsupported_type" },
    [HZ_DOCUMENTS_ERROR_INVALID] = { 422, "invalid_document" },
    [HZ_DOCUMENTS_ERROR_TOO_LARGE] = { 413, "too_large" },
    [HZ_DOCUMENTS_ERROR_TOO_MANY] = { 413, "too_many_files" },
    [HZ_DOCUMENTS_ERROR_BAD_REQUEST] = { 400, "bad_request" },
    [HZ_DOCUMENTS_ERROR_NOT_FOUND] = { 404, "not_found" },
    [HZ_DOCUMENTS_ERROR_IO] = { 500, "internal_error" },
  };
  static const struct { guint status; const char *code; } pacs[] = {
    [HZ_PACS_ERROR_NOT_CONFIGURED] = { 501, "pacs_not_configured" },
    [HZ_PACS_ERROR_UNREACHABLE] = { 503, "pacs_unavailable" },
    [HZ_PACS_ERROR_STATUS] = { 502, "pacs_error" },
    [HZ_PACS_ERROR_NOT_FOUND] = { 404, "not_found" },
    [HZ_PACS_ERROR_BAD_RESPONSE] = { 502, "pacs_error" },
    [HZ_PACS_ERROR_TOO_LARGE] = { 413, "too_large" },
  };
  guint status = 500;
  const char *code = "internal_error";

  if (error->domain == HZ_DOCUMENTS_ERROR && error->code >= 0 && error->code < (gint) G_N_ELEMENTS (docs)) {
    status = docs[error->code].status;
    code = docs[error->code].code;
  } else if (error->domain == HZ_PACS_ERROR && error->code >= 0 && error->code < (gint) G_N_ELEMENTS (pacs)) {
    status = pacs[error->code].status;
    code = pacs[error->code].code;
  }
  hz_docs_audit (ctx, caller, req, action, target, status >= 500 ? "error" : "invalid", NULL);
  if (status == 500)
    g_warning ("documents: %s %s: %s", hz_http_request_get_method (req), hz_http_request_get_path (req),
               error->message);
  hz_http_request_respond_error (req, status, code, status == 500 ? "internal error" : error->message);
}

static JsonNode *
hz_docs_detail (JsonObject *doc)
{
  JsonObject *o = json_object_new ();
  const char *keys[] = { "id", "kind", "name", "study_uid", "series_uid", NULL };

  for (guint i = 0; keys[i] != NULL; i++) {
    if (json_object_has_member (doc, keys[i]))
      json_object_set_string_member (o, keys[i], json_object_get_string_member (doc, keys[i]));
  }
  return json_node_init_object (json_node_alloc (), o);
}

/* Stages every file (all or nothing), commits them, records, audits, tells
 * the room and answers 201. files: spool paths (taken over); names. */
static void
hz_docs_ingest (HzApiDocumentsContext *ctx, HzHttpRequest *req, const char *room_id, HzDocsCaller *caller,
                GPtrArray *files, GPtrArray *names, gboolean deidentify, const char *declared, const char *action)
{
  g_autoptr(GPtrArray) staged = g_ptr_array_new_with_free_func ((GDestroyNotify) hz_documents_staged_free);
  g_autoptr(GDateTime) now = g_date_time_new_from_unix_utc (hz_docs_now_s (ctx));
  g_autoptr(GError) error = NULL;
  JsonArray *out = json_array_new ();
  g_autoptr(JsonNode) root = json_node_init_object (json_node_alloc (), json_object_new ());
  const char *by = caller->claims != NULL ? caller->claims->user : NULL;

  json_object_set_array_member (json_node_get_object (root), "documents", out);
  for (guint i = 0; i < files->len; i++) {
    char *path = g_ptr_array_index (files, i);
    HzDocumentsStaged *st = NULL;
    if (error == NULL)
      st = hz_documents_stage (ctx->data_dir, room_id, path, g_ptr_array_index (names, i), deidentify,
                               caller->actor, now, &error);
    else
      g_unlink (path);
    if (st != NULL) {
      const char *ct = json_object_get_string_member (json_node_get_object (hz_documents_staged_json (st)),
                                                      "content_type");
      g_ptr_array_add (staged, st);
      if (declared != NULL && g_strcmp0 (ct, declared) != 0)
        g_set_error (&error, HZ_DOCUMENTS_ERROR, HZ_DOCUMENTS_ERROR_UNSUPPORTED,
                     "the body was declared %s but its content is %s", declared, ct);
    }
  }
  for (guint i = 0; error == NULL && i < staged->len; i++)
    hz_documents_commit (g_ptr_array_index (staged, i), &error);
  if (error != NULL) {
    hz_docs_fail (ctx, req, caller, action, room_id, error);
    return;
  }
  for (guint i = 0; i < staged->len; i++) {
    JsonNode *doc = hz_documents_staged_json (g_ptr_array_index (staged, i));
    JsonObject *o = json_node_get_object (doc);
    const char *id = json_object_get_string_member (o, "id");
    g_autofree char *target = g_strdup_printf ("%s/%s", room_id, id);
    g_autoptr(GError) rec = NULL;

    if (!hz_room_store_record_document (ctx->api->store, room_id, caller->actor, id,
                                        json_object_get_string_member (o, "kind"),
                                        json_object_get_string_member (o, "name"), now, &rec))
      g_warning ("records: document %s in room %s not written: %s", id, room_id, rec->message);
    hz_docs_audit (ctx, caller, req, action, target, "ok", hz_docs_detail (o));
    if (json_object_get_boolean_member_with_default (o, "deidentified", FALSE)) {
      g_autoptr(JsonNode) detail = hz_docs_detail (o);
      hz_docs_record_event (ctx, room_id, "document_deidentify", caller->actor, json_node_get_object (detail));
      hz_docs_audit (ctx, caller, req, "document_deidentify", target, "ok", json_node_copy (detail));
    }
    json_array_add_element (out, json_node_copy (doc));
    if (ctx->document_shared != NULL)
      ctx->document_shared (room_id, doc, by, ctx->user_data);
  }
  g_message ("documents: %s shared %u document(s) into room %s", caller->actor, staged->len, room_id);
  hz_http_request_respond_json (req, 201, root);
}

/* ------------------------------------------------------------ uploads */

typedef struct {
  HzApiDocumentsContext *ctx;
  char *room_id;
  HzDocsCaller caller;
  gboolean deidentify;
  char *declared;  /* raw bodies: the declared type */
  char *name;      /* raw bodies: ?name= */
  HzMultipart *mp; /* multipart bodies */
  char *raw_path;
  int fd;
  guint64 size;
} HzUpload;

static void
hz_upload_free (gpointer data)
{
  HzUpload *up = data;

  if (up->fd >= 0)
    close (up->fd);
  if (up->raw_path != NULL)
    g_unlink (up->raw_path);
  g_free (up->raw_path);
  g_clear_pointer (&up->mp, hz_multipart_free);
  hz_docs_caller_clear (&up->caller);
  g_free (up->room_id);
  g_free (up->declared);
  g_free (up->name);
  g_free (up);
}

static gboolean
hz_upload_chunk (HzHttpRequest *req, const guint8 *data, gsize len, gpointer user_data)
{
  HzUpload *up = user_data;
  g_autoptr(GError) error = NULL;

  if (up->mp != NULL) {
    if (hz_multipart_feed (up->mp, data, len, &error))
      return TRUE;
  } else {
    guint64 max = up->ctx->max_upload_bytes ? up->ctx->max_upload_bytes : HZ_DOCUMENTS_DEFAULT_MAX_UPLOAD;
    if (up->size + len > max)
      g_set_error (&error, HZ_DOCUMENTS_ERROR, HZ_DOCUMENTS_ERROR_TOO_LARGE,
                   "the file is larger than %" G_GUINT64_FORMAT " bytes", max);
    while (error == NULL && len > 0) {
      gssize n = write (up->fd, data, len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0) {
        g_set_error (&error, HZ_DOCUMENTS_ERROR, HZ_DOCUMENTS_ERROR_IO, "spool write: %s", g_strerror (errno));
        break;
      }
      data += n;
      len -= n;
      up->size += n;
    }
    if (error == NULL)
      return TRUE;
  }
  hz_docs_fail (up->ctx, req, &up->caller, "document_share", up->room_id, error);
  return FALSE;
}

static void
hz_upload_done (HzHttpRequest *req, gpointer user_data)
{
  HzUpload *up = user_data;
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;

  if (up->mp != NULL) {
    GPtrArray *parts;
    if (!hz_multipart_finish (up->mp, &error)) {
      hz_docs_fail (up->ctx, req, &up->caller, "document_share", up->room_id, error);
      return;
    }
    parts = hz_multipart_get_parts (up->mp);
    for (guint i = 0; i < parts->len; i++) {
      HzMultipartPart *part = g_ptr_array_index (parts, i);
      g_ptr_array_add (files, g_steal_pointer (&part->path));
      g_ptr_array_add (names, g_strdup (part->filename));
    }
  } else {
    close (up->fd);
    up->fd = -1;
    if (up->size == 0) {
      g_set_error_literal (&error, HZ_DOCUMENTS_ERROR, HZ_DOCUMENTS_ERROR_BAD_REQUEST, "the body is empty");
      hz_docs_fail (up->ctx, req, &up->caller, "document_share", up->room_id, error);
      return;
    }
    g_ptr_array_add (files, g_steal_pointer (&up->raw_path));
    g_ptr_array_add (names, g_strdup (up->name));
  }
  hz_docs_ingest (up->ctx, req, up->room_id, &up->caller, files, names, up->deidentify, up->declared,
                  "document_share");
}

static gboolean
hz_docs_query_bool (HzHttpRequest *req, const char *name)
{
  const char *v = hz_http_request_get_query (req, name);
  return v != NULL && (g_ascii_strcasecmp (v, "true") == 0 || g_strcmp0 (v, "1") == 0);
}

/* Runs on the headers: authorizes, then streams the body into the spool. */
static void
hz_docs_upload (HzHttpRequest *req, gpointer user_data)
{
  HzApiDocumentsContext *ctx = user_data;
  const char *room_id = hz_http_request_get_param (req, "id");
  const char *ctype = hz_http_request_get_header (req, "content-type");
  g_autofree char *base = g_ascii_strdown (ctype != NULL ? ctype : "", strcspn (ctype != NULL ? ctype : "", "; "));
  g_autofree char *spool = NULL;
  g_autoptr(GError) error = NULL;
  HzUpload *up = g_new0 (HzUpload, 1);
  static const char *const raw_types[] = { "application/dicom", "application/pdf", "image/png", "image/jpeg", NULL };

  up->fd = -1;
  up->ctx = ctx;
  up->room_id = g_strdup (room_id);
  if (!hz_docs_authorize (ctx, req, room_id, HZ_DOCS_SHARE, "document_share", &up->caller)) {
    hz_upload_free (up);
    return;
  }
  up->deidentify = hz_docs_query_bool (req, "deidentify");
  spool = hz_documents_spool_dir (ctx->data_dir, &error);
  if (spool != NULL && g_strcmp0 (base, "multipart/form-data") == 0) {
    up->mp = hz_multipart_new (ctype, spool, ctx->max_files ? ctx->max_files : HZ_DOCUMENTS_DEFAULT_MAX_FILES,
                               ctx->max_upload_bytes ? ctx->max_upload_bytes : HZ_DOCUMENTS_DEFAULT_MAX_UPLOAD,
                               &error);
  } else if (spool != NULL && g_strv_contains (raw_types, base)) {
    up->declared = g_strdup (base);
    up->name = g_strdup (hz_http_request_get_query (req, "name"));
    up->raw_path = g_build_filename (spool, "upload-XXXXXX", NULL);
    up->fd = g_mkstemp_full (up->raw_path, O_WRONLY, 0600);
    if (up->fd < 0) {
      g_clear_pointer (&up->raw_path, g_free);
      g_set_error (&error, HZ_DOCUMENTS_ERROR, HZ_DOCUMENTS_ERROR_IO, "spool: %s", g_strerror (errno));
    }
  } else if (spool != NULL) {
    g_set_error (&error, HZ_DOCUMENTS_ERROR, HZ_DOCUMENTS_ERROR_UNSUPPORTED,
                 "Content-Type must be application/dicom, application/pdf, image/png, image/jpeg "
                 "or multipart/form-data, not %s", ctype != NULL ? ctype : "none");
  }
  if (error != NULL) {
    hz_docs_fail (ctx, req, &up->caller, "document_share", room_id, error);
    hz_upload_free (up);
    return;
  }
  hz_http_request_stream_body (req, hz_upload_chunk, hz_upload_done, up, hz_upload_free);
}

/* ------------------------------------------------------- list and fetch */

static void
hz_docs_list (HzHttpRequest *req, gpointer user_data)
{
  HzApiDocumentsContext *ctx = user_data;
  const char *room_id = hz_http_request_get_param (req, "id");
  g_auto(HzDocsCaller) caller = { 0 };
  g_autoptr(JsonNode) list = NULL;

  if (!hz_docs_authorize (ctx, req, room_id, HZ_DOCS_FETCH, "document_list", &caller))
    return;
  list = hz_documents_list_json (ctx->data_dir, room_id);
  hz_http_request_respond_json (req, 200, list);
}

static void
hz_docs_fetch (HzHttpRequest *req, gpointer user_data)
{
  HzApiDocumentsContext *ctx = user_data;
  const char *room_id = hz_http_request_get_param (req, "id");
  const char *doc_id = hz_http_request_get_param (req, "doc_id");
  g_auto(HzDocsCaller) caller = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) meta = NULL;
  g_autoptr(GMappedFile) map = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autofree char *path = NULL;
  g_autofree char *target = g_strdup_printf ("%s/%s", room_id, doc_id);
  JsonObject *o;

  if (!hz_docs_authorize (ctx, req, room_id, HZ_DOCS_FETCH, "document_fetch", &caller))
    return;
  meta = hz_documents_lookup (ctx->data_dir, room_id, doc_id, &path, &error);
  if (meta != NULL)
    map = g_mapped_file_new (path, FALSE, &error);
  if (map == NULL) {
    if (error->domain != HZ_DOCUMENTS_ERROR) {
      g_autoptr(GError) io = g_error_new (HZ_DOCUMENTS_ERROR, HZ_DOCUMENTS_ERROR_IO, "%s", error->message);
      hz_docs_fail (ctx, req, &caller, "document_fetch", target, io);
      return;
    }
    hz_docs_fail (ctx, req, &caller, "document_fetch", target, error);
    return;
  }
  o = json_node_get_object (meta);
  /* the mapping, not a copy: large series stay in the page cache */
  bytes = g_mapped_file_get_bytes (map);
  {
    g_autoptr(JsonNode) detail = hz_docs_detail (o);
    hz_docs_record_event (ctx, room_id, "document_fetch", caller.actor, json_node_get_object (detail));
  }
  hz_docs_audit (ctx, &caller, req, "document_fetch", target, "ok", hz_docs_detail (o));
  hz_http_request_respond (req, 200, json_object_get_string_member (o, "content_type"), bytes);
}

/* --------------------------------------------------------------- PACS */

typedef struct {
  HzApiDocumentsContext *ctx;
  HzHttpRequest *req;
  char *room_id;
  HzDocsCaller caller;
  gboolean deidentify;
  char *study_uid;
  char *spool;
  GHashTable *query;
} HzPacsJob;

static void
hz_pacs_job_free (HzPacsJob *job)
{
  hz_docs_caller_clear (&job->caller);
  g_free (job->room_id);
  g_free (job->study_uid);
  g_free (job->spool);
  g_clear_pointer (&job->query, g_hash_table_unref);
  g_free (job);
}

static void
hz_pacs_pull_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancel)
{
  HzPacsJob *job = data;
  HzApiDocumentsContext *ctx = job->ctx;
  GError *error = NULL;
  GPtrArray *files = hz_pacs_retrieve_study (&ctx->pacs, job->study_uid, job->spool,
                                             ctx->max_files ? ctx->max_files : HZ_DOCUMENTS_DEFAULT_MAX_FILES,
                                             ctx->max_upload_bytes ? ctx->max_upload_bytes
                                                                   : HZ_DOCUMENTS_DEFAULT_MAX_UPLOAD,
                                             &error);
  if (files == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, files, (GDestroyNotify) g_ptr_array_unref);
}

static void
hz_pacs_pull_done (GObject *source, GAsyncResult *res, gpointer data)
{
  HzPacsJob *job = g_task_get_task_data (G_TASK (res));
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) files = g_task_propagate_pointer (G_TASK (res), &error);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *target = g_strdup_printf ("%s/pacs:%s", job->room_id, job->study_uid);

  if (files == NULL) {
    hz_docs_fail (job->ctx, job->req, &job->caller, "pacs_pull", target, error);
    return;
  }
  g_ptr_array_set_free_func (files, g_free);
  for (guint i = 0; i < files->len; i++)
    g_ptr_array_add (names, g_strdup_printf ("%s-%04u.dcm", job->study_uid, i + 1));
  hz_docs_ingest (job->ctx, job->req, job->room_id, &job->caller, files, names, job->deidentify,
                  "application/dicom", "pacs_pull");
}

static void
hz_docs_pacs_pull (HzHttpRequest *req, gpointer user_data)
{
  HzApiDocumentsContext *ctx = user_data;
  const char *room_id = hz_http_request_get_param (req, "id");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(GTask) task = NULL;
  HzPacsJob *job = g_new0 (HzPacsJob, 1);
  JsonObject *o;

  if (!hz_docs_authorize (ctx, req, room_id, HZ_DOCS_SHARE, "pacs_pull", &job->caller)) {
    hz_pacs_job_free (job);
    return;
  }
  body = hz_docs_parse_body (req, &error);
  o = body != NULL ? json_node_get_object (body) : NULL;
  if (o != NULL && !hz_pacs_uid_valid (hz_api_json_string (o, "study_uid")))
    g_set_error_literal (&error, HZ_DOCUMENTS_ERROR, HZ_DOCUMENTS_ERROR_BAD_REQUEST,
                         "study_uid must be a DICOM UID (digits and dots)");
  if (error == NULL)
    job->spool = hz_documents_spool_dir (ctx->data_dir, &error);
  if (error != NULL) {
    hz_docs_fail (ctx, req, &job->caller, "pacs_pull", room_id, error);
    hz_pacs_job_free (job);
    return;
  }
  job->ctx = ctx;
  job->req = req;
  job->room_id = g_strdup (room_id);
  job->study_uid = g_strdup (json_object_get_string_member (o, "study_uid"));
  job->deidentify = hz_docs_query_bool (req, "deidentify") ||
                    json_object_get_boolean_member_with_default (o, "deidentify", FALSE);
  task = g_task_new (NULL, NULL, hz_pacs_pull_done, NULL);
  g_task_set_task_data (task, job, (GDestroyNotify) hz_pacs_job_free);
  g_task_run_in_thread (task, hz_pacs_pull_thread);
}

static void
hz_pacs_search_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancel)
{
  HzPacsJob *job = data;
  GError *error = NULL;
  JsonNode *found = hz_pacs_search_studies (&job->ctx->pacs, job->query, &error);

  if (found == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, found, (GDestroyNotify) json_node_unref);
}

static void
hz_pacs_search_done (GObject *source, GAsyncResult *res, gpointer data)
{
  HzPacsJob *job = g_task_get_task_data (G_TASK (res));
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) found = g_task_propagate_pointer (G_TASK (res), &error);
  g_autoptr(JsonNode) root = NULL;

  if (found == NULL) {
    hz_docs_fail (job->ctx, job->req, &job->caller, "pacs_search", NULL, error);
    return;
  }
  hz_docs_audit (job->ctx, &job->caller, job->req, "pacs_search", NULL, "ok", NULL);
  root = json_node_init_object (json_node_alloc (), json_object_new ());
  json_object_set_member (json_node_get_object (root), "studies", g_steal_pointer (&found));
  hz_http_request_respond_json (job->req, 200, root);
}

static void
hz_docs_pacs_search (HzHttpRequest *req, gpointer user_data)
{
  static const char *const keys[] = { "PatientID", "PatientName", "StudyDate", "AccessionNumber",
                                       "StudyInstanceUID", "ModalitiesInStudy", "limit", "offset", NULL };
  HzApiDocumentsContext *ctx = user_data;
  g_autoptr(GTask) task = NULL;
  HzPacsJob *job = g_new0 (HzPacsJob, 1);

  if (!hz_docs_authorize (ctx, req, NULL, HZ_DOCS_SEARCH, "pacs_search", &job->caller)) {
    hz_pacs_job_free (job);
    return;
  }
  job->ctx = ctx;
  job->req = req;
  job->query = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  for (guint i = 0; keys[i] != NULL; i++) {
    const char *v = hz_http_request_get_query (req, keys[i]);
    if (v != NULL)
      g_hash_table_insert (job->query, (gpointer) keys[i], g_strdup (v));
  }
  task = g_task_new (NULL, NULL, hz_pacs_search_done, NULL);
  g_task_set_task_data (task, job, (GDestroyNotify) hz_pacs_job_free);
  g_task_run_in_thread (task, hz_pacs_search_thread);
}

void
hz_api_documents_register (HzHttpServer *server, HzApiDocumentsContext *ctx)
{
  guint64 max = ctx != NULL && ctx->max_upload_bytes ? ctx->max_upload_bytes : HZ_DOCUMENTS_DEFAULT_MAX_UPLOAD;

  g_return_if_fail (server != NULL && ctx != NULL && ctx->api != NULL && ctx->data_dir != NULL);
  /* multipart framing adds a little to the files' own limit */
  hz_http_server_add_streaming_route (server, "POST", "/api/v1/rooms/{id}/documents", max + 1024 * 1024,
                                      hz_docs_upload, ctx);
  hz_http_server_add_route (server, "GET", "/api/v1/rooms/{id}/documents", 0, hz_docs_list, ctx);
  hz_http_server_add_route (server, "GET", "/api/v1/rooms/{id}/documents/{doc_id}", 0, hz_docs_fetch, ctx);
  hz_http_server_add_route (server, "POST", "/api/v1/rooms/{id}/documents/pacs", HZ_API_MAX_JSON_BODY,
                            hz_docs_pacs_pull, ctx);
  hz_http_server_add_route (server, "GET", "/api/v1/pacs/studies", 0, hz_docs_pacs_search, ctx);
}
