/* hz-s3: see hz-s3.h. */
#include "hz-s3.h"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <string.h>

G_DEFINE_QUARK (hz-s3-error-quark, hz_s3_error)

#define MAX_ERROR_BODY (64 * 1024)

struct _HzS3 {
  char  *endpoint;
  char  *region;
  char  *bucket;
  char  *access_key;
  char  *secret_key;
  char  *sigv4;        /* "aws:amz:<region>:s3" */
  guint  attempts;
  guint  first_delay_ms;
  gsize  part_size;
};

typedef struct {
  const char   *method;        /* GET, PUT, POST, DELETE */
  const char   *key;           /* NULL: the bucket itself */
  const char   *query;         /* canonical (hz_s3_canonical_query), or NULL */
  const guint8 *body;
  gsize         body_len;
  const char   *range;         /* "bytes=a-b" or NULL */
  gsize         max_body;      /* answer bytes kept */
} S3Req;

typedef struct {
  long        status;
  GByteArray *body;
  char       *etag;
  char       *content_range;
  gsize       max_body;
  gsize       read_pos;
  const S3Req *req;
} S3Resp;

static void
s3_resp_clear (S3Resp *r)
{
  g_clear_pointer (&r->body, g_byte_array_unref);
  g_clear_pointer (&r->etag, g_free);
  g_clear_pointer (&r->content_range, g_free);
}

char *
hz_s3_uri_encode (const char *s, gboolean keep_slash)
{
  GString *out = g_string_new (NULL);

  for (const guchar *p = (const guchar *) s; *p != '\0'; p++) {
    if (g_ascii_isalnum (*p) || *p == '-' || *p == '_' || *p == '.' || *p == '~' || (keep_slash && *p == '/'))
      g_string_append_c (out, (char) *p);
    else
      g_string_append_printf (out, "%%%02X", *p);
  }
  return g_string_free (out, FALSE);
}

typedef struct {
  char *name;
  char *value;
} QPair;

static gint
qpair_cmp (gconstpointer a, gconstpointer b)
{
  const QPair *x = a, *y = b;
  int c = strcmp (x->name, y->name);
  return c != 0 ? c : strcmp (x->value, y->value);
}

char *
hz_s3_canonical_query (const char * const *names, const char * const *values, guint n)
{
  g_autofree QPair *pairs = g_new0 (QPair, MAX (n, 1));
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < n; i++) {
    pairs[i].name = hz_s3_uri_encode (names[i], FALSE);
    pairs[i].value = hz_s3_uri_encode (values[i] != NULL ? values[i] : "", FALSE);
  }
  /* sorted by encoded name (byte order), as SigV4 specifies */
  qsort (pairs, n, sizeof (QPair), (int (*) (const void *, const void *)) qpair_cmp);
  for (guint i = 0; i < n; i++) {
    g_string_append_printf (out, "%s%s=%s", i > 0 ? "&" : "", pairs[i].name, pairs[i].value);
    g_free (pairs[i].name);
    g_free (pairs[i].value);
  }
  return g_string_free (out, FALSE);
}

static char *
sha256_hex (const guint8 *data, gsize len)
{
  guint8 md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  GString *hex = g_string_sized_new (64);

  EVP_Digest (data != NULL ? data : (const guint8 *) "", len, md, &md_len, EVP_sha256 (), NULL);
  for (unsigned int i = 0; i < md_len; i++)
    g_string_append_printf (hex, "%02x", md[i]);
  return g_string_free (hex, FALSE);
}

HzS3 *
hz_s3_new (const char *endpoint, const char *region, const char *bucket,
           const char *access_key, const char *secret_key, GError **error)
{
  g_autoptr(HzS3) self = g_new0 (HzS3, 1);
  gsize n;

  g_return_val_if_fail (endpoint != NULL && region != NULL && bucket != NULL, NULL);
  g_return_val_if_fail (access_key != NULL && secret_key != NULL, NULL);

  if (!g_str_has_prefix (endpoint, "http://") && !g_str_has_prefix (endpoint, "https://")) {
    g_set_error (error, HZ_S3_ERROR, HZ_S3_ERROR_INVALID, "S3 endpoint \"%s\" is not an http(s) URL", endpoint);
    return NULL;
  }
  /* S3 bucket names: 3..63 of a-z 0-9 . - */
  n = strlen (bucket);
  if (n < 3 || n > 63 || strspn (bucket, "abcdefghijklmnopqrstuvwxyz0123456789.-") != n) {
    g_set_error (error, HZ_S3_ERROR, HZ_S3_ERROR_INVALID, "S3 bucket name \"%s\" is invalid", bucket);
    return NULL;
  }
  if (region[0] == '\0' || strchr (region, ':') != NULL) {
    g_set_error (error, HZ_S3_ERROR, HZ_S3_ERROR_INVALID, "S3 region \"%s\" is invalid", region);
    return NULL;
  }
  curl_global_init (CURL_GLOBAL_DEFAULT);
  self->endpoint = g_strdup (endpoint);
  while (g_str_has_suffix (self->endpoint, "/"))
    self->endpoint[strlen (self->endpoint) - 1] = '\0';
  self->region = g_strdup (region);
  self->bucket = g_strdup (bucket);
  self->access_key = g_strdup (access_key);
  self->secret_key = g_strdup (secret_key);
  self->sigv4 = g_strdup_printf ("aws:amz:%s:s3", region);
  self->attempts = 5;
  self->first_delay_ms = 500;
  self->part_size = HZ_S3_PART_SIZE;
  return g_steal_pointer (&self);
}

void
hz_s3_free (HzS3 *self)
{
  if (self == NULL)
    return;
  g_free (self->endpoint);
  g_free (self->region);
  g_free (self->bucket);
  g_free (self->access_key);
  if (self->secret_key != NULL)
    memset (self->secret_key, 0, strlen (self->secret_key));
  g_free (self->secret_key);
  g_free (self->sigv4);
  g_free (self);
}

void
hz_s3_set_retries (HzS3 *self, guint attempts, guint first_delay_ms)
{
  self->attempts = MAX (attempts, 1);
  self->first_delay_ms = first_delay_ms;
}

void
hz_s3_set_part_size (HzS3 *self, gsize part_size)
{
  self->part_size = MAX (part_size, HZ_S3_PART_SIZE);
}

static gboolean
key_valid (const char *key, GError **error)
{
  gsize n = key != NULL ? strlen (key) : 0;

  if (n == 0 || n > 1024 || key[0] == '/' || !g_utf8_validate (key, (gssize) n, NULL)) {
    g_set_error (error, HZ_S3_ERROR, HZ_S3_ERROR_INVALID, "S3 key \"%s\" is invalid", key != NULL ? key : "");
    return FALSE;
  }
  return TRUE;
}

static size_t
write_cb (char *ptr, size_t size, size_t nmemb, void *data)
{
  S3Resp *r = data;
  gsize n = size * nmemb;
  gsize room = r->body->len < r->max_body ? r->max_body - r->body->len : 0;

  g_byte_array_append (r->body, (const guint8 *) ptr, (guint) MIN (n, room));
  return n;
}

static size_t
read_cb (char *buf, size_t size, size_t nitems, void *data)
{
  S3Resp *r = data;
  gsize n = MIN (size * nitems, r->req->body_len - r->read_pos);

  if (n > 0)
    memcpy (buf, r->req->body + r->read_pos, n);
  r->read_pos += n;
  return n;
}

static size_t
header_cb (char *buf, size_t size, size_t nitems, void *data)
{
  S3Resp *r = data;
  gsize n = size * nitems;
  g_autofree char *line = g_strndup (buf, n);
  char *colon = strchr (line, ':');

  if (colon != NULL) {
    *colon = '\0';
    if (g_ascii_strcasecmp (line, "etag") == 0) {
      g_free (r->etag);
      r->etag = g_strdup (g_strstrip (colon + 1));
    } else if (g_ascii_strcasecmp (line, "content-range") == 0) {
      g_free (r->content_range);
      r->content_range = g_strdup (g_strstrip (colon + 1));
    }
  }
  return n;
}

/* One HTTP exchange. FALSE only for transport failures. */
static gboolean
s3_request_once (HzS3 *self, const S3Req *req, S3Resp *resp, GError **error)
{
  g_autofree char *ekey = req->key != NULL ? hz_s3_uri_encode (req->key, TRUE) : NULL;
  g_autofree char *url = g_strdup_printf ("%s/%s%s%s%s%s", self->endpoint, self->bucket,
                                          ekey != NULL ? "/" : "", ekey != NULL ? ekey : "",
                                          req->query != NULL ? "?" : "", req->query != NULL ? req->query : "");
  g_autofree char *hash = sha256_hex (req->body, req->body_len);
  g_autofree char *hash_hdr = g_strdup_printf ("x-amz-content-sha256: %s", hash);
  g_autofree char *range_hdr = req->range != NULL ? g_strdup_printf ("Range: %s", req->range) : NULL;
  struct curl_slist *hdrs = NULL;
  CURL *curl = curl_easy_init ();
  CURLcode rc;

  s3_resp_clear (resp);
  resp->body = g_byte_array_new ();
  resp->max_body = req->max_body;
  resp->read_pos = 0;
  resp->req = req;
  resp->status = 0;

  /* No "Expect:" to suppress 100-continue: curl 7.88 would sign the empty
   * header it then does not send. */
  /* curl 7.88 puts this value in the canonical request as the payload hash
   * and signs the header; without it an uploaded body would be signed as empty */
  hdrs = curl_slist_append (hdrs, hash_hdr);
  if (range_hdr != NULL)
    hdrs = curl_slist_append (hdrs, range_hdr);
  if (g_strcmp0 (req->method, "POST") == 0)
    hdrs = curl_slist_append (hdrs, "Content-Type: application/xml");

  curl_easy_setopt (curl, CURLOPT_URL, url);
  curl_easy_setopt (curl, CURLOPT_AWS_SIGV4, self->sigv4);
  curl_easy_setopt (curl, CURLOPT_USERNAME, self->access_key);
  curl_easy_setopt (curl, CURLOPT_PASSWORD, self->secret_key);
  curl_easy_setopt (curl, CURLOPT_HTTPHEADER, hdrs);
  curl_easy_setopt (curl, CURLOPT_NOSIGNAL, 1L);
  /* HZ_S3_VERBOSE=1 shows the signed headers when a store refuses a signature */
  if (g_getenv ("HZ_S3_VERBOSE") != NULL)
    curl_easy_setopt (curl, CURLOPT_VERBOSE, 1L);
  curl_easy_setopt (curl, CURLOPT_CONNECTTIMEOUT, 10L);
  curl_easy_setopt (curl, CURLOPT_EXPECT_100_TIMEOUT_MS, 200L);
  curl_easy_setopt (curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt (curl, CURLOPT_LOW_SPEED_TIME, 60L);
  curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, write_cb);
  curl_easy_setopt (curl, CURLOPT_WRITEDATA, resp);
  curl_easy_setopt (curl, CURLOPT_HEADERFUNCTION, header_cb);
  curl_easy_setopt (curl, CURLOPT_HEADERDATA, resp);
  if (g_strcmp0 (req->method, "PUT") == 0) {
    curl_easy_setopt (curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt (curl, CURLOPT_READFUNCTION, read_cb);
    curl_easy_setopt (curl, CURLOPT_READDATA, resp);
    curl_easy_setopt (curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t) req->body_len);
  } else if (g_strcmp0 (req->method, "POST") == 0) {
    curl_easy_setopt (curl, CURLOPT_POST, 1L);
    curl_easy_setopt (curl, CURLOPT_POSTFIELDS, req->body != NULL ? (const char *) req->body : "");
    curl_easy_setopt (curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) req->body_len);
  } else if (g_strcmp0 (req->method, "DELETE") == 0) {
    curl_easy_setopt (curl, CURLOPT_CUSTOMREQUEST, "DELETE");
  }
  rc = curl_easy_perform (curl);
  if (rc == CURLE_OK)
    curl_easy_getinfo (curl, CURLINFO_RESPONSE_CODE, &resp->status);
  curl_slist_free_all (hdrs);
  curl_easy_cleanup (curl);
  if (rc != CURLE_OK) {
    g_set_error (error, HZ_S3_ERROR, HZ_S3_ERROR_NETWORK, "%s %s: %s", req->method, url, curl_easy_strerror (rc));
    return FALSE;
  }
  return TRUE;
}

static char *
error_summary (S3Resp *resp)
{
  g_autofree char *text = g_strndup ((const char *) resp->body->data, MIN (resp->body->len, 400));
  return g_strdup_printf ("HTTP %ld %s", resp->status, g_strdelimit (text, "\r\n", ' '));
}

/* With retries: transport failures, 5xx and 429 are retried with a doubling
 * wait (on this worker thread); any other non-2xx is final. */
static gboolean
s3_request (HzS3 *self, const S3Req *req, S3Resp *resp, GCancellable *cancellable, GError **error)
{
  guint delay = self->first_delay_ms;

  for (guint attempt = 1;; attempt++) {
    g_autoptr(GError) local = NULL;
    gboolean retry;

    if (g_cancellable_is_cancelled (cancellable)) {
      g_set_error_literal (error, HZ_S3_ERROR, HZ_S3_ERROR_CANCELLED, "S3 request cancelled");
      return FALSE;
    }
    if (s3_request_once (self, req, resp, &local)) {
      if (resp->status >= 200 && resp->status < 300)
        return TRUE;
      retry = resp->status >= 500 || resp->status == 429;
      if (!retry || attempt >= self->attempts) {
        g_autofree char *summary = error_summary (resp);
        g_set_error (error, HZ_S3_ERROR, retry ? HZ_S3_ERROR_SERVER : HZ_S3_ERROR_REFUSED,
                     "S3 %s %s%s%s: %s", req->method, req->key != NULL ? req->key : self->bucket,
                     req->query != NULL ? "?" : "", req->query != NULL ? req->query : "", summary);
        return FALSE;
      }
    } else if (attempt >= self->attempts) {
      g_propagate_prefixed_error (error, g_steal_pointer (&local), "after %u attempts: ", attempt);
      return FALSE;
    }
    g_debug ("S3 %s %s: attempt %u failed, retrying in %u ms", req->method,
             req->key != NULL ? req->key : self->bucket, attempt, delay);
    g_usleep ((gulong) delay * 1000);
    delay = MIN (delay * 2, 30000u);
  }
}

gboolean
hz_s3_create_bucket (HzS3 *self, GError **error)
{
  S3Req req = { .method = "PUT", .max_body = MAX_ERROR_BODY };
  S3Resp resp = { 0 };
  gboolean ok = s3_request (self, &req, &resp, NULL, error);

  s3_resp_clear (&resp);
  return ok;
}

gboolean
hz_s3_delete (HzS3 *self, const char *key, GError **error)
{
  S3Req req = { .method = "DELETE", .key = key, .max_body = MAX_ERROR_BODY };
  S3Resp resp = { 0 };
  gboolean ok;

  if (!key_valid (key, error))
    return FALSE;
  ok = s3_request (self, &req, &resp, NULL, error);
  s3_resp_clear (&resp);
  return ok;
}

GBytes *
hz_s3_get_range (HzS3 *self, const char *key, guint64 offset, guint64 length,
                 guint64 *total_out, GError **error)
{
  g_autofree char *range = NULL;
  S3Req req = { .method = "GET", .key = key };
  S3Resp resp = { 0 };
  const char *slash;
  GBytes *bytes;

  g_return_val_if_fail (length > 0 && length <= G_MAXSIZE - MAX_ERROR_BODY, NULL);
  if (!key_valid (key, error))
    return NULL;
  range = g_strdup_printf ("bytes=%" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT, offset, offset + length - 1);
  req.range = range;
  req.max_body = (gsize) length + MAX_ERROR_BODY;
  if (!s3_request (self, &req, &resp, NULL, error)) {
    s3_resp_clear (&resp);
    return NULL;
  }
  if (resp.status != 206 || resp.body->len > length) {
    g_set_error (error, HZ_S3_ERROR, HZ_S3_ERROR_PROTOCOL,
                 "S3 GET %s with Range: HTTP %ld and %u bytes instead of a partial answer",
                 key, resp.status, resp.body->len);
    s3_resp_clear (&resp);
    return NULL;
  }
  if (total_out != NULL) {
    /* Content-Range: bytes a-b/total */
    slash = resp.content_range != NULL ? strrchr (resp.content_range, '/') : NULL;
    if (slash == NULL || !g_ascii_string_to_unsigned (slash + 1, 10, 0, G_MAXUINT64, total_out, NULL)) {
      g_set_error (error, HZ_S3_ERROR, HZ_S3_ERROR_PROTOCOL, "S3 GET %s: no usable Content-Range", key);
      s3_resp_clear (&resp);
      return NULL;
    }
  }
  bytes = g_byte_array_free_to_bytes (g_steal_pointer (&resp.body));
  s3_resp_clear (&resp);
  return bytes;
}

/* The text of the first <name> element, and whether the root is <Error>
 * (CompleteMultipartUpload may answer 200 with an error document). */
typedef struct {
  const char *want;
  gboolean    inside;
  gboolean    is_error;
  guint       depth;
  GString    *text;
  gboolean    found;
} XmlFind;

static void
xml_start (GMarkupParseContext *ctx, const char *name, const char **an, const char **av,
           gpointer data, GError **error)
{
  XmlFind *f = data;
  if (f->depth++ == 0 && strcmp (name, "Error") == 0)
    f->is_error = TRUE;
  if (!f->found && strcmp (name, f->want) == 0)
    f->inside = TRUE;
}

static void
xml_end (GMarkupParseContext *ctx, const char *name, gpointer data, GError **error)
{
  XmlFind *f = data;
  f->depth--;
  if (f->inside && strcmp (name, f->want) == 0) {
    f->inside = FALSE;
    f->found = TRUE;
  }
}

static void
xml_text (GMarkupParseContext *ctx, const char *text, gsize len, gpointer data, GError **error)
{
  XmlFind *f = data;
  if (f->inside)
    g_string_append_len (f->text, text, (gssize) len);
}

/* NULL unless the document parses, is not an <Error> and has <want>. */
static char *
xml_find (GByteArray *body, const char *want)
{
  static const GMarkupParser parser = { xml_start, xml_end, xml_text, NULL, NULL };
  g_autoptr(GString) text = g_string_new (NULL);
  XmlFind f = { .want = want, .text = text };
  g_autoptr(GMarkupParseContext) ctx = g_markup_parse_context_new (&parser, 0, &f, NULL);
  const char *data = (const char *) body->data;
  gsize len = body->len;

  /* GMarkup does not take the XML declaration */
  if (len > 5 && memcmp (data, "<?xml", 5) == 0) {
    const char *end = g_strstr_len (data, (gssize) len, "?>");
    if (end == NULL)
      return NULL;
    len -= (gsize) (end + 2 - data);
    data = end + 2;
  }
  if (!g_markup_parse_context_parse (ctx, data, (gssize) len, NULL) ||
      !g_markup_parse_context_end_parse (ctx, NULL) || f.is_error || !f.found)
    return NULL;
  return g_strdup (text->str);
}

static gboolean
put_small (HzS3 *self, const char *key, const char *path, GCancellable *cancellable, GError **error)
{
  g_autofree char *data = NULL;
  gsize len = 0;
  g_autoptr(GError) local = NULL;
  S3Req req = { .method = "PUT", .key = key, .max_body = MAX_ERROR_BODY };
  S3Resp resp = { 0 };
  gboolean ok;

  if (!g_file_get_contents (path, &data, &len, &local)) {
    g_set_error (error, HZ_S3_ERROR, HZ_S3_ERROR_FILE, "%s", local->message);
    return FALSE;
  }
  req.body = (const guint8 *) data;
  req.body_len = len;
  ok = s3_request (self, &req, &resp, cancellable, error);
  s3_resp_clear (&resp);
  return ok;
}

static void
abort_upload (HzS3 *self, const char *key, const char *upload_id)
{
  const char *names[] = { "uploadId" };
  const char *values[] = { upload_id };
  g_autofree char *query = hz_s3_canonical_query (names, values, 1);
  S3Req req = { .method = "DELETE", .key = key, .query = query, .max_body = MAX_ERROR_BODY };
  S3Resp resp = { 0 };
  g_autoptr(GError) error = NULL;

  if (!s3_request (self, &req, &resp, NULL, &error))
    g_warning ("aborting the multipart upload of %s: %s", key, error->message);
  s3_resp_clear (&resp);
}

static gboolean
upload_parts (HzS3 *self, const char *key, const char *upload_id, GInputStream *in,
              GString *complete, GCancellable *cancellable, GError **error)
{
  g_autofree guint8 *buf = g_malloc (self->part_size);

  for (guint part = 1;; part++) {
    g_autofree char *num = g_strdup_printf ("%u", part);
    const char *names[] = { "partNumber", "uploadId" };
    const char *values[] = { num, upload_id };
    g_autofree char *query = NULL;
    g_autoptr(GError) local = NULL;
    S3Req req = { .method = "PUT", .key = key, .body = buf, .max_body = MAX_ERROR_BODY };
    S3Resp resp = { 0 };
    gsize n = 0;

    if (!g_input_stream_read_all (in, buf, self->part_size, &n, cancellable, &local)) {
      g_set_error (error, HZ_S3_ERROR, HZ_S3_ERROR_FILE, "%s", local->message);
      return FALSE;
    }
    if (n == 0 && part > 1)
      return TRUE;
    if (part > 10000) {
      g_set_error_literal (error, HZ_S3_ERROR, HZ_S3_ERROR_INVALID, "file needs more than 10000 parts");
      return FALSE;
    }
    query = hz_s3_canonical_query (names, values, 2);
    req.query = query;
    req.body_len = n;
    if (!s3_request (self, &req, &resp, cancellable, error)) {
      s3_resp_clear (&resp);
      return FALSE;
    }
    if (resp.etag == NULL) {
      g_set_error (error, HZ_S3_ERROR, HZ_S3_ERROR_PROTOCOL, "S3 part %u of %s: no ETag", part, key);
      s3_resp_clear (&resp);
      return FALSE;
    }
    {
      g_autofree char *etag = g_markup_escape_text (resp.etag, -1);
      g_string_append_printf (complete, "<Part><PartNumber>%u</PartNumber><ETag>%s</ETag></Part>", part, etag);
    }
    s3_resp_clear (&resp);
    if (n < self->part_size)
      return TRUE;
  }
}

static gboolean
put_multipart (HzS3 *self, const char *key, GFile *file, GCancellable *cancellable, GError **error)
{
  const char *names[] = { "uploads" };
  const char *values[] = { "" };
  g_autofree char *query = hz_s3_canonical_query (names, values, 1);   /* "uploads=" */
  g_autofree char *upload_id = NULL;
  g_autofree char *done_query = NULL;
  g_autoptr(GString) complete = g_string_new ("<CompleteMultipartUpload>");
  g_autoptr(GFileInputStream) in = NULL;
  g_autoptr(GError) local = NULL;
  S3Req req = { .method = "POST", .key = key, .query = query, .max_body = MAX_ERROR_BODY };
  S3Resp resp = { 0 };

  in = g_file_read (file, cancellable, &local);
  if (in == NULL) {
    g_set_error (error, HZ_S3_ERROR, HZ_S3_ERROR_FILE, "%s", local->message);
    return FALSE;
  }
  if (!s3_request (self, &req, &resp, cancellable, error)) {
    s3_resp_clear (&resp);
    return FALSE;
  }
  upload_id = xml_find (resp.body, "UploadId");
  s3_resp_clear (&resp);
  if (upload_id == NULL || upload_id[0] == '\0') {
    g_set_error (error, HZ_S3_ERROR, HZ_S3_ERROR_PROTOCOL, "S3 CreateMultipartUpload of %s: no UploadId", key);
    return FALSE;
  }
  if (!upload_parts (self, key, upload_id, G_INPUT_STREAM (in), complete, cancellable, error)) {
    abort_upload (self, key, upload_id);
    return FALSE;
  }
  g_string_append (complete, "</CompleteMultipartUpload>");
  {
    const char *dn[] = { "uploadId" };
    const char *dv[] = { upload_id };
    done_query = hz_s3_canonical_query (dn, dv, 1);
  }
  req.query = done_query;
  req.body = (const guint8 *) complete->str;
  req.body_len = complete->len;
  if (!s3_request (self, &req, &resp, cancellable, error)) {
    s3_resp_clear (&resp);
    abort_upload (self, key, upload_id);
    return FALSE;
  }
  {
    g_autofree char *etag = xml_find (resp.body, "ETag");
    if (etag == NULL) {
      g_autofree char *summary = error_summary (&resp);
      g_set_error (error, HZ_S3_ERROR, HZ_S3_ERROR_SERVER, "S3 CompleteMultipartUpload of %s: %s", key, summary);
      s3_resp_clear (&resp);
      abort_upload (self, key, upload_id);
      return FALSE;
    }
  }
  s3_resp_clear (&resp);
  return TRUE;
}

gboolean
hz_s3_put_file (HzS3 *self, const char *key, const char *path, GCancellable *cancellable, GError **error)
{
  g_autoptr(GFile) file = NULL;
  g_autoptr(GFileInfo) info = NULL;
  g_autoptr(GError) local = NULL;

  g_return_val_if_fail (path != NULL, FALSE);
  if (!key_valid (key, error))
    return FALSE;
  file = g_file_new_for_path (path);
  info = g_file_query_info (file, G_FILE_ATTRIBUTE_STANDARD_SIZE, G_FILE_QUERY_INFO_NONE, cancellable, &local);
  if (info == NULL) {
    g_set_error (error, HZ_S3_ERROR, HZ_S3_ERROR_FILE, "%s", local->message);
    return FALSE;
  }
  if ((guint64) g_file_info_get_size (info) <= self->part_size)
    return put_small (self, key, path, cancellable, error);
  return put_multipart (self, key, file, cancellable, error);
}
