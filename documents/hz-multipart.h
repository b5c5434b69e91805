/*
 * hz-multipart: a streaming reader of multipart/form-data request bodies
 * (RFC 7578 over RFC 2046 framing). Owns the boundary search across
 * chunks, the part headers (bounded), and writing each part's content to
 * its own file in a spool directory as it arrives, so an upload is never
 * held in memory. The count of parts and the size of each are enforced as
 * the bytes come in. Only the filename of a part's Content-Disposition is
 * kept (raw: the caller sanitizes it); the part's Content-Type is not
 * trusted and not kept.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Part headers larger than this are refused. */
#define HZ_MULTIPART_MAX_HEADERS 8192

typedef struct _HzMultipart HzMultipart;

typedef struct {
  char   *filename;   /* from Content-Disposition, or NULL */
  char   *path;       /* the spooled content; the caller may take it (set to NULL) */
  guint64 size;
} HzMultipartPart;

/* content_type: the request's header, "multipart/form-data; boundary=...".
 * Errors are in the HZ_DOCUMENTS_ERROR domain (hz-documents.h). */
HzMultipart *hz_multipart_new       (const char *content_type,
                                     const char *spool_dir,
                                     guint       max_parts,
                                     guint64     max_part_size,
                                     GError    **error);
gboolean     hz_multipart_feed      (HzMultipart  *self,
                                     const guint8 *data,
                                     gsize         len,
                                     GError      **error);
/* The body is complete: TRUE if it ended with the closing boundary. */
gboolean     hz_multipart_finish    (HzMultipart *self, GError **error);
/* HzMultipartPart*, in order (complete parts only). */
GPtrArray   *hz_multipart_get_parts (HzMultipart *self);
/* Removes every spooled file the caller did not take. */
void         hz_multipart_free      (HzMultipart *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HzMultipart, hz_multipart_free)

G_END_DECLS
