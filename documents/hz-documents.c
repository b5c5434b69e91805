/*
 * hz-documents: the document store on disk, sniffing and checks. See
 * hz-documents.h.
 */
#include "hz-documents.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#include "hz-dicom.h"

G_DEFINE_QUARK (hz-documents-error-quark, hz_documents_error)


HzDocumentKind
hz_documents_sniff (const guint8 *head, gsize len)
{
  static const guint8 png[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };

  if (head == NULL)
    return HZ_DOCUMENT_KIND_UNKNOWN;
  if (len >= 132 && memcmp (head + 128, "DICM", 4) == 0)
    return HZ_DOCUMENT_KIND_DICOM;
  if (len >= 5 && memcmp (head, "%PDF-", 5) == 0)
    return HZ_DOCUMENT_KIND_PDF;
  if (len >= 8 && memcmp (head, png, 8) == 0)
    return HZ_DOCUMENT_KIND_PNG;
  if (len >= 3 && head[0] == 0xff && head[1] == 0xd8 && head[2] == 0xff)
    return HZ_DOCUMENT_KIND_JPEG;
  return HZ_DOCUMENT_KIND_UNKNOWN;
}

const char *
hz_document_kind_to_string (HzDocumentKind kind)
{
  switch (kind) {
  case HZ_DOCUMENT_KIND_DICOM: return "dicom";
  case HZ_DOCUMENT_KIND_PDF: return "pdf";
  case HZ_DOCUMENT_KIND_PNG:
  case HZ_DOCUMENT_KIND_JPEG: return "image";
  default: return "unknown";
  }
}

const char *
hz_document_kind_mime (HzDocumentKind kind)
{
  switch (kind) {
  case HZ_DOCUMENT_KIND_DICOM: return "application/dicom";
  case HZ_DOCUMENT_KIND_PDF: return "application/pdf";
  case HZ_DOCUMENT_KIND_PNG: return "image/png";
  case HZ_DOCUMENT_KIND_JPEG: return "image/jpeg";
  default: return "application/octet-stream";
  }
}

char *
hz_documents_sanitize_name (const char *name)
{
  g_autoptr(GString) out = g_string_new (NULL);
  const char *base = name != NULL ? name : "";
  const char *p;
  guint chars = 0;

  /* the last component of either kind of path */
  for (p = base; *p != '\0'; p++) {
    if (*p == '/' || *p == '\\')
      base = p + 1;
  }
  if (!g_utf8_validate (base, -1, NULL))
    base = "";
  for (p = base; *p != '\0' && chars < HZ_DOCUMENTS_NAME_MAX_CHARS; p = g_utf8_next_char (p)) {
    gunichar c = g_utf8_get_char (p);
    if (g_unichar_iscntrl (c) || c == '"' || c == 0x2028 || c == 0x2029 || g_unichar_type (c) == G_UNICODE_FORMAT)
      continue;
    g_string_append_unichar (out, c);
    chars++;
  }
  g_strstrip (out->str);
  g_string_set_size (out, strlen (out->str));
  while (out->len > 0 && out->str[0] == '.')
    g_string_erase (out, 0, 1);
  if (out->len == 0)
    return g_strdup ("document");
  return g_string_free (g_steal_pointer (&out), FALSE);
}

gboolean
hz_documents_id_valid (const char *id)
{
  gsize n = 0;

  if (id == NULL)
    return FALSE;
  for (; id[n] != '\0'; n++) {
    if (!g_ascii_isalnum (id[n]) && id[n] != '-')
      return FALSE;
  }
  return n > 0 && n <= 64;
}

static char *
hz_documents_root (const char *data_dir)
{
  return g_build_filename (data_dir, "documents", NULL);
}

char *
hz_documents_spool_dir (const char *data_dir, GError **error)
{
  g_autofree char *root = hz_documents_root (data_dir);
  g_autofree char *spool = g_build_filename (root, ".spool", NULL);

  g_return_val_if_fail (data_dir != NULL, NULL);
  if (g_mkdir_with_parents (spool, 0700) != 0) {
    g_set_error (error, HZ_DOCUMENTS_ERROR, HZ_DOCUMENTS_ERROR_IO, "cannot create %s: %s", spool,
                 g_strerror (errno));
    return NULL;
  }
  return g_steal_pointer (&spool);
}

static gboolean
hz_documents_invalid (GError **error, const char *kind, const char *why)
{
  g_set_error (error, HZ_DOCUMENTS_ERROR, HZ_DOCUMENTS_ERROR_INVALID, "not a valid %s: %s", kind, why);
  return FALSE;
}

static gboolean
hz_documents_check_pixels (guint64 w, guint64 h, const char *kind, GError **error)
{
  if (w == 0 || h == 0)
    return hz_documents_invalid (error, kind, "zero width or height");
  if (w * h > HZ_DOCUMENTS_MAX_PIXELS)
    return hz_documents_invalid (error, kind, "more than 100 million pixels");
  return TRUE;
}

static guint32
hz_be32 (const guint8 *p)
{
  return (guint32) p[0] << 24 | (guint32) p[1] << 16 | (guint32) p[2] << 8 | p[3];
}

/* PNG: the chunk chain from IHDR to IEND, every length inside the file. */
static gboolean
hz_documents_check_png (const guint8 *d, gsize len, GError **error)
{
  gsize off = 8;
  gboolean first = TRUE;

  while (TRUE) {
    guint32 clen;
    if (len - off < 12)
      return hz_documents_invalid (error, "PNG", "truncated");
    clen = hz_be32 (d + off);
    if (clen > len - off - 12)
      return hz_documents_invalid (error, "PNG", "chunk length past the end of the file");
    if (first) {
      if (memcmp (d + off + 4, "IHDR", 4) != 0 || clen != 13)
        return hz_documents_invalid (error, "PNG", "does not start with IHDR");
      if (!hz_documents_check_pixels (hz_be32 (d + off + 8), hz_be32 (d + off + 12), "PNG", error))
        return FALSE;
      first = FALSE;
    }
    if (memcmp (d + off + 4, "IEND", 4) == 0)
      return TRUE;
    off += 12 + (gsize) clen;
  }
}

/* JPEG: markers from SOI to SOS, a frame header with sane dimensions
 * before the scan, an EOI near the end. */
static gboolean
hz_documents_check_jpeg (const guint8 *d, gsize len, GError **error)
{
  gsize off = 2, tail;
  gboolean sof = FALSE;

  while (TRUE) {
    guint8 m;
    guint16 seglen;
    if (off >= len || d[off] != 0xff)
      return hz_documents_invalid (error, "JPEG", "marker expected");
    while (off < len && d[off] == 0xff)
      off++;
    if (off >= len)
      return hz_documents_invalid (error, "JPEG", "truncated");
    m = d[off++];
    if (m == 0x01 || (m >= 0xd0 && m <= 0xd7))
      continue;
    if (m == 0xd9)
      return hz_documents_invalid (error, "JPEG", "ends before any image data");
    if (len - off < 2)
      return hz_documents_invalid (error, "JPEG", "truncated");
    seglen = (guint16) (d[off] << 8 | d[off + 1]);
    if (seglen < 2 || seglen > len - off)
      return hz_documents_invalid (error, "JPEG", "segment length past the end of the file");
    if (m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc) {
      if (seglen < 8)
        return hz_documents_invalid (error, "JPEG", "short frame header");
      if (!hz_documents_check_pixels ((guint) (d[off + 5] << 8 | d[off + 6]),
                                      (guint) (d[off + 3] << 8 | d[off + 4]), "JPEG", error))
        return FALSE;
      sof = TRUE;
    }
    if (m == 0xda)
      break;
    off += seglen;
  }
  if (!sof)
    return hz_documents_invalid (error, "JPEG", "no frame header before the scan");
  for (tail = len; tail >= 2 && len - tail < 1024; tail--) {
    if (d[tail - 2] == 0xff && d[tail - 1] == 0xd9)
      return TRUE;
  }
  return hz_documents_invalid (error, "JPEG", "truncated (no end of image)");
}

/* PDF: the header, and an end-of-file marker in the last KiB (a file cut
 * short has none). The content is rendered by pdf.js in the browser. */
static gboolean
hz_documents_check_pdf (const guint8 *d, gsize len, GError **error)
{
  gsize from = len > 1024 ? len - 1024 : 0;

  if (len < 8 || memcmp (d, "%PDF-", 5) != 0 || !g_ascii_isdigit (d[5]) || d[6] != '.')
    return hz_documents_invalid (error, "PDF", "no %PDF-n.n header");
  if (g_strstr_len ((const char *) d + from, len - from, "%%EOF") == NULL) {
    /* g_strstr_len stops at a NUL: search byte-wise as well */
    for (gsize i = from; i + 5 <= len; i++) {
      if (memcmp (d + i, "%%EOF", 5) == 0)
        return TRUE;
    }
    return hz_documents_invalid (error, "PDF", "truncated (no %%EOF at the end)");
  }
  return TRUE;
}

gboolean
hz_documents_check_file (const char *path, HzDocumentKind kind, GError **error)
{
  g_autoptr(GError) local = NULL;
  g_autoptr(GMappedFile) map = g_mapped_file_new (path, FALSE, &local);
  const guint8 *d;
  gsize len;

  if (map == NULL) {
    g_set_error (error, HZ_DOCUMENTS_ERROR, HZ_DOCUMENTS_ERROR_IO, "%s", local->message);
    return FALSE;
  }
  d = (const guint8 *) g_mapped_file_get_contents (map);
  len = g_mapped_file_get_length (map);
  switch (kind) {
  case HZ_DOCUMENT_KIND_PNG: return hz_documents_check_png (d, len, error);
  case HZ_DOCUMENT_KIND_JPEG: return hz_documents_check_jpeg (d, len, error);
  case HZ_DOCUMENT_KIND_PDF: return hz_documents_check_pdf (d, len, error);
  default:
    g_set_error_literal (error, HZ_DOCUMENTS_ERROR, HZ_DOCUMENTS_ERROR_UNSUPPORTED, "not a PDF, PNG or JPEG");
    return FALSE;
  }
}

