/* hz-s3: a client for S3-compatible object storage holding the recordings
 * library. Owns request signing (libcurl's CURLOPT_AWS_SIGV4, with the
 * payload hash and canonical query string curl 7.88 needs handed to it),
 * single and multipart uploads of local files, retries with backoff, and
 * ranged reads for playback. Path-style addressing: <endpoint>/<bucket>/<key>.
 *
 * Every call is blocking and waits between retries: call it from a worker
 * thread (GTask), never from the main context. The local file is only ever
 * read: whether to remove it after a successful upload is the caller's call. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define HZ_S3_ERROR (hz_s3_error_quark ())
GQuark hz_s3_error_quark (void);

typedef enum {
  HZ_S3_ERROR_INVALID,    /* bad endpoint, bucket or key */
  HZ_S3_ERROR_NETWORK,    /* no answer after every retry */
  HZ_S3_ERROR_SERVER,     /* 5xx/429 after every retry */
  HZ_S3_ERROR_REFUSED,    /* 4xx: credentials, missing bucket/key, bad range; not retried */
  HZ_S3_ERROR_PROTOCOL,   /* an answer we could not read (no UploadId, no ETag) */
  HZ_S3_ERROR_FILE,       /* the local file cannot be read */
  HZ_S3_ERROR_CANCELLED,
} HzS3Error;

#define HZ_S3_PART_SIZE (5u * 1024u * 1024u)  /* S3's minimum for all but the last part */

typedef struct _HzS3 HzS3;

HzS3     *hz_s3_new           (const char *endpoint,   /* http(s)://host[:port], no path */
                               const char *region,     /* e.g. "us-east-1" */
                               const char *bucket,
                               const char *access_key,
                               const char *secret_key,
                               GError    **error);
void      hz_s3_free          (HzS3 *self);
/* Attempts per request (default 5) and the first wait (default 500 ms, doubled each time). */
void      hz_s3_set_retries   (HzS3 *self, guint attempts, guint first_delay_ms);
/* Files above this size go multipart in parts of this size (>= HZ_S3_PART_SIZE). */
void      hz_s3_set_part_size (HzS3 *self, gsize part_size);

gboolean  hz_s3_create_bucket (HzS3 *self, GError **error);
/* Uploads path to key: one PUT up to the part size, multipart above. */
gboolean  hz_s3_put_file      (HzS3 *self, const char *key, const char *path,
                               GCancellable *cancellable, GError **error);
/* Bytes [offset, offset + length) of key (fewer at its end); total_out: the
 * object's size from Content-Range. */
GBytes   *hz_s3_get_range     (HzS3 *self, const char *key, guint64 offset, guint64 length,
                               guint64 *total_out, GError **error);
gboolean  hz_s3_delete        (HzS3 *self, const char *key, GError **error);

/* Exposed for tests: RFC 3986 encoding as SigV4 wants it (unreserved kept,
 * '/' kept when keep_slash), and a canonical query string from name/value
 * pairs: encoded, sorted by name, "name=" written even for empty values. */
char     *hz_s3_uri_encode    (const char *s, gboolean keep_slash);
char     *hz_s3_canonical_query (const char * const *names, const char * const *values, guint n);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HzS3, hz_s3_free)

G_END_DECLS
