/*
 * hz-documents: the documents shared into rooms, on disk. Owns the layout
 * <data_dir>/documents/<room>/<doc>/{content,meta.json} (meta.json is the
 * document's JSON as the API shows it), the spool directory of uploads in
 * progress (<data_dir>/documents/.spool, on the same file system so a
 * finished document is renamed into place), content sniffing (DICM
 * preamble, %PDF-, PNG and JPEG signatures; never the name or the declared
 * type), the structure checks of PDF, PNG and JPEG, file name sanitizing,
 * and the per-room key that makes de-identified UIDs consistent within a
 * room (<room>/uid-key, 0600). DICOM itself is hz-dicom.h.
 *
 * Sharing is two steps so a request of many files stores all or nothing:
 * hz_documents_stage() checks and processes one file into the spool,
 * hz_documents_commit() moves it into the room. No locks: the control
 * plane calls this from one thread (the PACS pull only downloads on its
 * own thread).
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define HZ_DOCUMENTS_ERROR (hz_documents_error_quark ())
GQuark hz_documents_error_quark (void);

typedef enum {
  HZ_DOCUMENTS_ERROR_UNSUPPORTED, /* 415 unsupported_type: not DICOM, PDF, PNG or JPEG */
  HZ_DOCUMENTS_ERROR_INVALID,     /* 422 invalid_document: claims a type, fails its checks */
  HZ_DOCUMENTS_ERROR_TOO_LARGE,   /* 413 too_large: size limit */
  HZ_DOCUMENTS_ERROR_TOO_MANY,    /* 413 too_many_files: count limit */
  HZ_DOCUMENTS_ERROR_BAD_REQUEST, /* 400 bad_request: multipart framing, names, ids */
  HZ_DOCUMENTS_ERROR_NOT_FOUND,   /* 404 not_found */
  HZ_DOCUMENTS_ERROR_IO,          /* 500 internal_error */
} HzDocumentsError;

typedef enum {
  HZ_DOCUMENT_KIND_UNKNOWN = 0,
  HZ_DOCUMENT_KIND_DICOM,
  HZ_DOCUMENT_KIND_PDF,
  HZ_DOCUMENT_KIND_PNG,
  HZ_DOCUMENT_KIND_JPEG,
} HzDocumentKind;

/* Images larger than this many pixels are refused (decompression bombs). */
#define HZ_DOCUMENTS_MAX_PIXELS (100u * 1000 * 1000)
#define HZ_DOCUMENTS_NAME_MAX_CHARS 200

typedef struct _HzDocumentsStaged HzDocumentsStaged;

/* From the first bytes of a file (132 are enough for every kind). */
HzDocumentKind     hz_documents_sniff          (const guint8 *head, gsize len);
/* "dicom", "pdf", "image" */
const char        *hz_document_kind_to_string  (HzDocumentKind kind);
const char        *hz_document_kind_mime       (HzDocumentKind kind);
/* The last path component, control characters and quotes removed, at most
 * HZ_DOCUMENTS_NAME_MAX_CHARS characters, never empty, "." or "..". */
char              *hz_documents_sanitize_name  (const char *name);
/* Room and document ids are [A-Za-z0-9-]{1,64}. */
gboolean           hz_documents_id_valid       (const char *id);
/* Creates and returns <data_dir>/documents/.spool */
char              *hz_documents_spool_dir      (const char *data_dir, GError **error);
/* Structure checks of a PDF, PNG or JPEG file (DICOM: hz-dicom.h). */
gboolean           hz_documents_check_file     (const char *path, HzDocumentKind kind, GError **error);

/* Checks and processes the spooled file at tmp_path (which it takes
 * over: removed with the staged document). DICOM is de-identified when
 * asked and transcoded when needed (hz-dicom.h). */
HzDocumentsStaged *hz_documents_stage          (const char *data_dir,
                                                const char *room_id,
                                                const char *tmp_path,
                                                const char *name,
                                                gboolean    deidentify,
                                                const char *shared_by,
                                                GDateTime  *now,
                                                GError    **error);
/* The document's JSON (borrowed; valid while staged lives). */
JsonNode          *hz_documents_staged_json    (HzDocumentsStaged *staged);
gboolean           hz_documents_commit         (HzDocumentsStaged *staged, GError **error);
/* Removes what was staged and not committed. */
void               hz_documents_staged_free    (HzDocumentsStaged *staged);

/* {"documents": [...]}: every document of the room in the order shared
 * (a DICOM series by instance number); an empty list for an unknown room. */
JsonNode          *hz_documents_list_json      (const char *data_dir, const char *room_id);
/* One document: its JSON, and the path of its content. */
JsonNode          *hz_documents_lookup         (const char *data_dir,
                                                const char *room_id,
                                                const char *doc_id,
                                                char      **content_path,
                                                GError    **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HzDocumentsStaged, hz_documents_staged_free)

G_END_DECLS
