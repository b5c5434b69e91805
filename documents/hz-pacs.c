/*
 * hz-pacs: QIDO-RS and WADO-RS over libsoup 3. See hz-pacs.h.
 */
#include "hz-pacs.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <string.h>
#include <unistd.h>

G_DEFINE_QUARK (hz-pacs-error-quark, hz_pacs_error)

gboolean
hz_pacs_uid_valid (const char *uid)
{
  gsize n = 0;

  if (uid == NULL)
    return FALSE;
  for (; uid[n] != '\0'; n++) {
    if (!g_ascii_isdigit (uid[n]) && uid[n] != '.')
      return FALSE;
  }
  return n > 0 && n <= 64;
}

static SoupSession *
hz_pacs_session (const HzPacsConfig *config)
{
  return soup_session_new_with_options ("timeout", config->timeout_s > 0 ? config->timeout_s : 60,
                                        "user-agent", "huizhen/" HZ_VERSION, NULL);
}

static SoupMessage *
hz_pacs_message (const HzPacsConfig *config, const char *path_and_query, const char *accept, GError **error)
{
  g_autofree char *base = NULL;
  g_autofree char *url = NULL;
  SoupMessage *msg;
  gsize len;

  if (config == NULL || config->url == NULL || config->url[0] == '\0') {
    g_set_error_literal (error, HZ_PACS_ERROR, HZ_PACS_ERROR_NOT_CONFIGURED, "no PACS is configured ([pacs] url)");
    return NULL;
  }
  base = g_strdup (config->url);
  len = strlen (base);
  while (len > 0 && base[len - 1] == '/')
    base[--len] = '\0';
  url = g_strconcat (base, path_and_query, NULL);
  msg = soup_message_new ("GET", url);
  if (msg == NULL) {
    g_set_error (error, HZ_PACS_ERROR, HZ_PACS_ERROR_NOT_CONFIGURED, "the PACS url %s is not valid", config->url);
    return NULL;
  }
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Accept", accept);
  if (config->username != NULL && config->username[0] != '\0') {
    g_autofree char *pair = g_strdup_printf ("%s:%s", config->username,
                                             config->password != NULL ? config->password : "");
    g_autofree char *b64 = g_base64_encode ((const guchar *) pair, strlen (pair));
    g_autofree char *auth = g_strconcat ("Basic ", b64, NULL);
    soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
  }
  return msg;
}

static gboolean
hz_pacs_check_status (SoupMessage *msg, GError **error)
{
  guint status = soup_message_get_status (msg);

  if (status == 404) {
    g_set_error_literal (error, HZ_PACS_ERROR, HZ_PACS_ERROR_NOT_FOUND, "the PACS has no such study");
    return FALSE;
  }
  if (status < 200 || status >= 300) {
    g_set_error (error, HZ_PACS_ERROR, HZ_PACS_ERROR_STATUS, "the PACS answered %u %s", status,
                 soup_message_get_reason_phrase (msg) != NULL ? soup_message_get_reason_phrase (msg) : "");
    return FALSE;
  }
  return TRUE;
}

JsonNode *
hz_pacs_search_studies (const HzPacsConfig *config, GHashTable *query, GError **error)
{
  g_autoptr(GString) pq = g_string_new ("/studies");
  g_autoptr(SoupSession) session = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) local = NULL;
  GHashTableIter it;
  gpointer k, v;
  char sep = '?';

  if (query != NULL) {
    g_hash_table_iter_init (&it, query);
    while (g_hash_table_iter_next (&it, &k, &v)) {
      gboolean ok = ((const char *) k)[0] != '\0';
      for (const char *c = k; *c != '\0'; c++)
        ok = ok && g_ascii_isalnum (*c);
      if (!ok)
        continue;
      g_autofree char *ev = g_uri_escape_string (v, NULL, FALSE);
      g_string_append_printf (pq, "%c%s=%s", sep, (const char *) k, ev);
      sep = '&';
    }
  }
  msg = hz_pacs_message (config, pq->str, "application/dicom+json", error);
  if (msg == NULL)
    return NULL;
  session = hz_pacs_session (config);
  body = soup_session_send_and_read (session, msg, NULL, &local);
  if (body == NULL) {
    g_set_error (error, HZ_PACS_ERROR, HZ_PACS_ERROR_UNREACHABLE, "the PACS cannot be reached: %s", local->message);
    return NULL;
  }
  if (soup_message_get_status (msg) == 204)
    return json_node_init_array (json_node_alloc (), json_array_new ());
  if (!hz_pacs_check_status (msg, error))
    return NULL;
  if (!json_parser_load_from_data (parser, g_bytes_get_data (body, NULL), g_bytes_get_size (body), NULL) ||
      !JSON_NODE_HOLDS_ARRAY (json_parser_get_root (parser))) {
    g_set_error_literal (error, HZ_PACS_ERROR, HZ_PACS_ERROR_BAD_RESPONSE, "the PACS did not answer a DICOM JSON array");
    return NULL;
  }
  return json_parser_steal_root (parser);
}

/* Copies one part to a new spool file, within *budget bytes. */
static char *
hz_pacs_spool_part (GInputStream *part, const char *spool_dir, guint64 *budget, GError **error)
{
  g_autofree char *path = g_build_filename (spool_dir, "pacs-XXXXXX", NULL);
  guint8 buf[65536];
  int fd = g_mkstemp_full (path, O_WRONLY, 0600);

  if (fd < 0) {
    g_set_error (error, HZ_PACS_ERROR, HZ_PACS_ERROR_UNREACHABLE, "cannot create a spool file: %s", g_strerror (errno));
    return NULL;
  }
  while (TRUE) {
    gssize n = g_input_stream_read (part, buf, sizeof (buf), NULL, error);
    if (n == 0)
      break;
    if (n < 0 || (guint64) n > *budget || write (fd, buf, n) != n) {
      if (n > 0 && (guint64) n > *budget)
        g_set_error_literal (error, HZ_PACS_ERROR, HZ_PACS_ERROR_TOO_LARGE, "the study is larger than the upload limit");
      else if (n > 0)
        g_set_error (error, HZ_PACS_ERROR, HZ_PACS_ERROR_UNREACHABLE, "cannot write a spool file: %s",
                     g_strerror (errno));
      close (fd);
      g_unlink (path);
      return NULL;
    }
    *budget -= n;
  }
  close (fd);
  return g_steal_pointer (&path);
}

GPtrArray *
hz_pacs_retrieve_study (const HzPacsConfig *config, const char *study_uid, const char *spool_dir, guint max_files,
                        guint64 max_bytes, GError **error)
{
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(SoupSession) session = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GInputStream) stream = NULL;
  g_autoptr(SoupMultipartInputStream) multi = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GError) local = NULL;
  g_autoptr(GError) fail = NULL;
  const char *ctype;
  guint64 budget = max_bytes;

  g_return_val_if_fail (spool_dir != NULL, NULL);
  if (!hz_pacs_uid_valid (study_uid)) {
    g_set_error_literal (error, HZ_PACS_ERROR, HZ_PACS_ERROR_NOT_FOUND, "study_uid is not a DICOM UID");
    return NULL;
  }
  path = g_strdup_printf ("/studies/%s", study_uid);
  msg = hz_pacs_message (config, path, "multipart/related; type=\"application/dicom\"", error);
  if (msg == NULL)
    return NULL;
  session = hz_pacs_session (config);
  stream = soup_session_send (session, msg, NULL, &local);
  if (stream == NULL) {
    g_set_error (error, HZ_PACS_ERROR, HZ_PACS_ERROR_UNREACHABLE, "the PACS cannot be reached: %s", local->message);
    return NULL;
  }
  if (!hz_pacs_check_status (msg, error))
    return NULL;
  ctype = soup_message_headers_get_content_type (soup_message_get_response_headers (msg), NULL);
  if (ctype == NULL || g_ascii_strcasecmp (ctype, "multipart/related") != 0) {
    g_set_error (error, HZ_PACS_ERROR, HZ_PACS_ERROR_BAD_RESPONSE, "the PACS answered %s, not multipart/related",
                 ctype != NULL ? ctype : "no content type");
    return NULL;
  }
  multi = soup_multipart_input_stream_new (msg, stream);
  while (TRUE) {
    g_autoptr(GInputStream) part = soup_multipart_input_stream_next_part (multi, NULL, &local);
    char *file;
    if (part == NULL) {
      if (local != NULL) {
        g_set_error (error, HZ_PACS_ERROR, HZ_PACS_ERROR_BAD_RESPONSE, "the PACS's multipart answer is broken: %s",
                     local->message);
        return NULL;
      }
      break;
    }
    if (files->len + 1 > max_files) {
      g_set_error (&fail, HZ_PACS_ERROR, HZ_PACS_ERROR_TOO_LARGE, "the study has more than %u instances", max_files);
      break;
    }
    file = hz_pacs_spool_part (part, spool_dir, &budget, &fail);
    if (file == NULL)
      break;
    g_ptr_array_add (files, file);
  }
  if (fail != NULL) {
    for (guint i = 0; i < files->len; i++)
      g_unlink (g_ptr_array_index (files, i));
    g_propagate_error (error, g_steal_pointer (&fail));
    return NULL;
  }
  if (files->len == 0) {
    g_set_error_literal (error, HZ_PACS_ERROR, HZ_PACS_ERROR_NOT_FOUND, "the PACS returned no instances for this study");
    return NULL;
  }
  return g_steal_pointer (&files);
}
