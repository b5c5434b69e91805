/*
 * hz-api-documents: the REST routes of shared documents (API.md,
 * docs/DOCUMENTS.md):
 *   POST /api/v1/rooms/{id}/documents[?deidentify=true][&name=...]  (streamed)
 *   GET  /api/v1/rooms/{id}/documents
 *   GET  /api/v1/rooms/{id}/documents/{doc_id}
 *   POST /api/v1/rooms/{id}/documents/pacs  {"study_uid", "deidentify"?}
 *   GET  /api/v1/pacs/studies?PatientID=...
 * Owns who may do what (the admin key, or a join token of that room whose
 * role may share: doctor, specialist, presenter; students may fetch in
 * teaching rooms only), the upload stream into the spool (limits enforced
 * as the bytes arrive), the consult record and audit entries of every
 * share, fetch and de-identification, and telling the room
 * (document_shared). The documents themselves are documents/.
 */
#pragma once

#include "hz-api.h"
#include "hz-documents.h" /* hz_documents_list_json () for late joiners */
#include "hz-pacs.h"

G_BEGIN_DECLS

#define HZ_DOCUMENTS_DEFAULT_MAX_UPLOAD (2ull * 1024 * 1024 * 1024)
#define HZ_DOCUMENTS_DEFAULT_MAX_FILES 1000

typedef struct {
  HzApiContext *api;          /* admin_key, token_secret, store, now_s */
  const char   *data_dir;     /* documents live in <data_dir>/documents */
  HzPacsConfig  pacs;         /* [pacs] url, username, password; url NULL = none */
  guint64       max_upload_bytes; /* one request; 0 = HZ_DOCUMENTS_DEFAULT_MAX_UPLOAD */
  guint         max_files;        /* one request; 0 = HZ_DOCUMENTS_DEFAULT_MAX_FILES */
  /* A document is in the room: the lead broadcasts
   * {"type":"document_shared","document":document}. by is the sharer's
   * user id from the join token, NULL for the admin key or the PACS.
   * May be NULL. document is borrowed. */
  void (*document_shared) (const char *room_id, JsonNode *document, const char *by, gpointer user_data);
  gpointer      user_data;
} HzApiDocumentsContext;

/* Adds the routes above; ctx must outlive the server. */
void      hz_api_documents_register (HzHttpServer *server, HzApiDocumentsContext *ctx);

G_END_DECLS
