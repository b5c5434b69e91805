/*
 * hz-multipart: streaming multipart/form-data. See hz-multipart.h.
 *
 * The body is read as if it started with CRLF, so the first boundary is
 * found by the same delimiter search ("\r\n--" boundary) as the others.
 * At most the delimiter's length minus one byte is held back between
 * chunks; everything else goes straight to the part's file.
 */
#define _GNU_SOURCE /* memmem */
#include "hz-multipart.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "hz-documents.h"

typedef enum { HZ_MP_PREAMBLE, HZ_MP_AFTER_BOUNDARY, HZ_MP_HEADERS, HZ_MP_BODY, HZ_MP_EPILOGUE } HzMpState;

struct _HzMultipart {
  char *delim; /* "\r\n--" boundary */
  gsize delim_len;
  char *spool_dir;
  guint max_parts;
  guint64 max_part_size;
  HzMpState state;
  GByteArray *buf;
  GPtrArray *parts; /* HzMultipartPart* */
  HzMultipartPart *current;
  int fd;
};

static void
hz_multipart_part_free (HzMultipartPart *part)
{
  if (part->path != NULL)
    g_unlink (part->path);
  g_free (part->path);
  g_free (part->filename);
  g_free (part);
}

static gboolean
hz_multipart_fail (GError **error, HzDocumentsError code, const char *why)
{
  g_set_error (error, HZ_DOCUMENTS_ERROR, code, "%s", why);
  return FALSE;
}

HzMultipart *
hz_multipart_new (const char *content_type, const char *spool_dir, guint max_parts, guint64 max_part_size,
                  GError **error)
{
  g_autofree char *boundary = NULL;
  const char *p;
  HzMultipart *self;

  g_return_val_if_fail (spool_dir != NULL, NULL);
  if (content_type == NULL || g_ascii_strncasecmp (content_type, "multipart/form-data", 19) != 0 ||
      (p = strstr (content_type, "boundary=")) == NULL) {
    hz_multipart_fail (error, HZ_DOCUMENTS_ERROR_BAD_REQUEST, "multipart/form-data without a boundary");
    return NULL;
  }
  p += 9;
  if (*p == '"')
    boundary = g_strndup (p + 1, strcspn (p + 1, "\""));
  else
    boundary = g_strndup (p, strcspn (p, "; \t"));
  if (boundary[0] == '\0' || strlen (boundary) > 70) {
    hz_multipart_fail (error, HZ_DOCUMENTS_ERROR_BAD_REQUEST, "multipart boundary must have 1 to 70 characters");
    return NULL;
  }
  self = g_new0 (HzMultipart, 1);
  self->delim = g_strconcat ("\r\n--", boundary, NULL);
  self->delim_len = strlen (self->delim);
  self->spool_dir = g_strdup (spool_dir);
  self->max_parts = max_parts;
  self->max_part_size = max_part_size;
  self->buf = g_byte_array_new ();
  g_byte_array_append (self->buf, (const guint8 *) "\r\n", 2);
  self->parts = g_ptr_array_new_with_free_func ((GDestroyNotify) hz_multipart_part_free);
  self->fd = -1;
  return self;
}

static gssize
hz_find (const GByteArray *buf, const char *needle, gsize nlen)
{
  const guint8 *hit = memmem (buf->data, buf->len, needle, nlen);
  return hit != NULL ? hit - buf->data : -1;
}

/* filename="..." or filename*=UTF-8''percent-encoded, from the headers. */
static char *
hz_multipart_filename (const char *headers)
{
  g_auto(GStrv) lines = g_strsplit (headers, "\r\n", -1);

  for (guint i = 0; lines[i] != NULL; i++) {
    const char *p;
    if (g_ascii_strncasecmp (lines[i], "content-disposition:", 20) != 0)
      continue;
    if ((p = strstr (lines[i], "filename*=")) != NULL) {
      const char *q = strstr (p, "''");
      g_autofree char *enc = q != NULL ? g_strndup (q + 2, strcspn (q + 2, "; \t")) : NULL;
      char *dec = enc != NULL ? g_uri_unescape_string (enc, NULL) : NULL;
      if (dec != NULL)
        return dec;
    }
    if ((p = strstr (lines[i], "filename=\"")) != NULL)
      return g_strndup (p + 10, strcspn (p + 10, "\""));
    if ((p = strstr (lines[i], "filename=")) != NULL)
      return g_strndup (p + 9, strcspn (p + 9, "; \t"));
  }
  return NULL;
}

static gboolean
hz_multipart_open_part (HzMultipart *self, const char *headers, GError **error)
{
  g_autofree char *path = g_build_filename (self->spool_dir, "part-XXXXXX", NULL);

  if (self->parts->len + 1 > self->max_parts) {
    g_set_error (error, HZ_DOCUMENTS_ERROR, HZ_DOCUMENTS_ERROR_TOO_MANY,
                 "more than %u files in one request", self->max_parts);
    return FALSE;
  }
  self->fd = g_mkstemp_full (path, O_WRONLY, 0600);
  if (self->fd < 0) {
    g_set_error (error, HZ_DOCUMENTS_ERROR, HZ_DOCUMENTS_ERROR_IO, "cannot create a spool file: %s",
                 g_strerror (errno));
    return FALSE;
  }
  self->current = g_new0 (HzMultipartPart, 1);
  self->current->path = g_steal_pointer (&path);
  self->current->filename = hz_multipart_filename (headers);
  return TRUE;
}

static gboolean
hz_multipart_write (HzMultipart *self, const guint8 *data, gsize len, GError **error)
{
  if (self->current->size + len > self->max_part_size) {
    g_set_error (error, HZ_DOCUMENTS_ERROR, HZ_DOCUMENTS_ERROR_TOO_LARGE,
                 "a file is larger than %" G_GUINT64_FORMAT " bytes", self->max_part_size);
    return FALSE;
  }
  while (len > 0) {
    gssize n = write (self->fd, data, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      g_set_error (error, HZ_DOCUMENTS_ERROR, HZ_DOCUMENTS_ERROR_IO, "cannot write a spool file: %s",
                   g_strerror (errno));
      return FALSE;
    }
    data += n;
    len -= n;
    self->current->size += n;
  }
  return TRUE;
}

static void
hz_multipart_close_part (HzMultipart *self)
{
  if (self->fd >= 0)
    close (self->fd);
  self->fd = -1;
  if (self->current != NULL)
    g_ptr_array_add (self->parts, g_steal_pointer (&self->current));
}

/* One step of the state machine; FALSE when it needs more input. */
static gboolean
hz_multipart_step (HzMultipart *self, GError **error, gboolean *failed)
{
  GByteArray *buf = self->buf;
  gssize at;
  gsize keep = self->delim_len - 1;

  switch (self->state) {
  case HZ_MP_PREAMBLE:
    at = hz_find (buf, self->delim, self->delim_len);
    if (at < 0) {
      if (buf->len > keep)
        g_byte_array_remove_range (buf, 0, buf->len - keep);
      return FALSE;
    }
    g_byte_array_remove_range (buf, 0, at + self->delim_len);
    self->state = HZ_MP_AFTER_BOUNDARY;
    return TRUE;
  case HZ_MP_AFTER_BOUNDARY:
    /* transport padding (spaces, tabs) may follow a boundary */
    while (buf->len > 0 && (buf->data[0] == ' ' || buf->data[0] == '\t'))
      g_byte_array_remove_range (buf, 0, 1);
    if (buf->len < 2)
      return FALSE;
    if (buf->data[0] == '-' && buf->data[1] == '-') {
      self->state = HZ_MP_EPILOGUE;
      g_byte_array_set_size (buf, 0);
      return FALSE;
    }
    if (buf->data[0] != '\r' || buf->data[1] != '\n') {
      *failed = !hz_multipart_fail (error, HZ_DOCUMENTS_ERROR_BAD_REQUEST, "malformed multipart boundary line");
      return FALSE;
    }
    g_byte_array_remove_range (buf, 0, 2);
    self->state = HZ_MP_HEADERS;
    return TRUE;
  case HZ_MP_HEADERS: {
    g_autofree char *headers = NULL;
    gsize hlen;
    if (buf->len >= 2 && buf->data[0] == '\r' && buf->data[1] == '\n') {
      hlen = 0;
      at = 0;
    } else {
      at = hz_find (buf, "\r\n\r\n", 4);
      if (at < 0) {
        if (buf->len > HZ_MULTIPART_MAX_HEADERS)
          *failed = !hz_multipart_fail (error, HZ_DOCUMENTS_ERROR_BAD_REQUEST, "multipart part headers too large");
        return FALSE;
      }
      hlen = at;
      at += 2;
    }
    if (hlen > HZ_MULTIPART_MAX_HEADERS) {
      *failed = !hz_multipart_fail (error, HZ_DOCUMENTS_ERROR_BAD_REQUEST, "multipart part headers too large");
      return FALSE;
    }
    headers = g_strndup ((const char *) buf->data, hlen);
    g_byte_array_remove_range (buf, 0, at + 2);
    if (!hz_multipart_open_part (self, headers, error)) {
      *failed = TRUE;
      return FALSE;
    }
    self->state = HZ_MP_BODY;
    return TRUE;
  }
  case HZ_MP_BODY:
    at = hz_find (buf, self->delim, self->delim_len);
    if (at < 0) {
      if (buf->len > keep) {
        gsize n = buf->len - keep;
        if (!hz_multipart_write (self, buf->data, n, error)) {
          *failed = TRUE;
          return FALSE;
        }
        g_byte_array_remove_range (buf, 0, n);
      }
      return FALSE;
    }
    if (!hz_multipart_write (self, buf->data, at, error)) {
      *failed = TRUE;
      return FALSE;
    }
    g_byte_array_remove_range (buf, 0, at + self->delim_len);
    hz_multipart_close_part (self);
    self->state = HZ_MP_AFTER_BOUNDARY;
    return TRUE;
  case HZ_MP_EPILOGUE:
  default:
    g_byte_array_set_size (buf, 0);
    return FALSE;
  }
}

gboolean
hz_multipart_feed (HzMultipart *self, const guint8 *data, gsize len, GError **error)
{
  gboolean failed = FALSE;

  g_return_val_if_fail (self != NULL, FALSE);
  if (self->state == HZ_MP_EPILOGUE)
    return TRUE;
  g_byte_array_append (self->buf, data, len);
  while (hz_multipart_step (self, error, &failed))
    ;
  return !failed;
}

gboolean
hz_multipart_finish (HzMultipart *self, GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  if (self->state != HZ_MP_EPILOGUE)
    return hz_multipart_fail (error, HZ_DOCUMENTS_ERROR_BAD_REQUEST,
                              "the multipart body ends before its closing boundary");
  if (self->parts->len == 0)
    return hz_multipart_fail (error, HZ_DOCUMENTS_ERROR_BAD_REQUEST, "the multipart body has no files");
  return TRUE;
}

GPtrArray *
hz_multipart_get_parts (HzMultipart *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->parts;
}

void
hz_multipart_free (HzMultipart *self)
{
  if (self == NULL)
    return;
  if (self->fd >= 0)
    close (self->fd);
  if (self->current != NULL)
    hz_multipart_part_free (self->current);
  g_ptr_array_unref (self->parts);
  g_byte_array_unref (self->buf);
  g_free (self->delim);
  g_free (self->spool_dir);
  g_free (self);
}
