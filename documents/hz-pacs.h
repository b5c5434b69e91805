/*
 * hz-pacs: the DICOMweb client of the consortium PACS ([pacs] in the
 * configuration). Owns QIDO-RS study search (GET {url}/studies?..., DICOM
 * JSON) and WADO-RS study retrieval (GET {url}/studies/{uid}, a
 * multipart/related; type="application/dicom" response read part by part
 * into spool files with the count and size limits enforced as it streams).
 * Synchronous libsoup calls with their own session: run them on a worker
 * thread (GTask), never on the control plane's main context. What is
 * retrieved goes through the same checks as an upload (hz-documents.h).
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define HZ_PACS_ERROR (hz_pacs_error_quark ())
GQuark hz_pacs_error_quark (void);

typedef enum {
  HZ_PACS_ERROR_NOT_CONFIGURED, /* no [pacs] url */
  HZ_PACS_ERROR_UNREACHABLE,    /* connect, TLS or read failed */
  HZ_PACS_ERROR_STATUS,         /* the PACS answered an HTTP error */
  HZ_PACS_ERROR_NOT_FOUND,      /* no such study */
  HZ_PACS_ERROR_BAD_RESPONSE,   /* not DICOM JSON / not multipart/related */
  HZ_PACS_ERROR_TOO_LARGE,      /* more files or bytes than allowed */
} HzPacsError;

typedef struct {
  const char *url;        /* DICOMweb root, e.g. http://pacs:8042/dicom-web */
  const char *username;   /* HTTP basic auth, or NULL */
  const char *password;
  guint       timeout_s;  /* 0 = 60 */
} HzPacsConfig;

/* QIDO-RS: query keys are DICOM keywords or tags (PatientID,
 * StudyDate, 00100020...); only [A-Za-z0-9] keys are passed. Returns the
 * PACS's DICOM JSON array. */
JsonNode  *hz_pacs_search_studies (const HzPacsConfig *config,
                                   GHashTable         *query,
                                   GError            **error);
/* WADO-RS: every instance of the study into spool_dir; returns the file
 * paths (transfer full; the caller removes them). */
GPtrArray *hz_pacs_retrieve_study (const HzPacsConfig *config,
                                   const char         *study_uid,
                                   const char         *spool_dir,
                                   guint               max_files,
                                   guint64             max_bytes,
                                   GError            **error);
/* 1..64 characters of digits and dots */
gboolean   hz_pacs_uid_valid      (const char *uid);

G_END_DECLS
