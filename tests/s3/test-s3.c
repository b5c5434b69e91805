/* test-s3: the S3 client. /s3/unit/... need no server: the encoding and the
 * canonical query string curl 7.88 is handed. /s3/swift/... run against a real
 * OpenStack Swift with s3api (run-with-swift.sh): single and multipart
 * uploads read back with Range requests, refused credentials, an endpoint
 * that does not answer (retries, then failure) -- the local file is intact
 * after every one of them. */
#include "hz-s3.h"

#include <glib/gstdio.h>
#include <string.h>

static void
test_uri_encode (void)
{
  g_autofree char *a = hz_s3_uri_encode ("rec/2024 01/a+b=c~d.webm", TRUE);
  g_autofree char *b = hz_s3_uri_encode ("a/b", FALSE);
  g_autofree char *c = hz_s3_uri_encode ("\xe4\xbc\x9a", TRUE);  /* 会 in UTF-8 */

  g_assert_cmpstr (a, ==, "rec/2024%2001/a%2Bb%3Dc~d.webm");
  g_assert_cmpstr (b, ==, "a%2Fb");
  g_assert_cmpstr (c, ==, "%E4%BC%9A");
}

static void
test_canonical_query (void)
{
  const char *n1[] = { "uploads" };
  const char *v1[] = { "" };
  const char *n2[] = { "uploadId", "partNumber" };
  const char *v2[] = { "2~x/y+z=", "10" };
  g_autofree char *q1 = hz_s3_canonical_query (n1, v1, 1);
  g_autofree char *q2 = hz_s3_canonical_query (n2, v2, 2);

  /* the equals sign is written for an empty value */
  g_assert_cmpstr (q1, ==, "uploads=");
  /* sorted by name, values encoded ('/', '+', '=' too) */
  g_assert_cmpstr (q2, ==, "partNumber=10&uploadId=2~x%2Fy%2Bz%3D");
}

static void
test_new_invalid (void)
{
  g_autoptr(GError) error = NULL;

  g_assert_null (hz_s3_new ("ftp://x", "us-east-1", "bucket", "a", "s", &error));
  g_assert_error (error, HZ_S3_ERROR, HZ_S3_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_null (hz_s3_new ("http://x", "us-east-1", "Bad_Bucket", "a", "s", &error));
  g_assert_error (error, HZ_S3_ERROR, HZ_S3_ERROR_INVALID);
}

/* ---- against Swift ---- */

static HzS3 *
s3_for (const char *bucket, const char *secret)
{
  g_autoptr(GError) error = NULL;
  HzS3 *s3 = hz_s3_new (g_getenv ("HUIZHEN_TEST_S3_ENDPOINT"), g_getenv ("HUIZHEN_TEST_S3_REGION"),
                        bucket, g_getenv ("HUIZHEN_TEST_S3_ACCESS"),
                        secret != NULL ? secret : g_getenv ("HUIZHEN_TEST_S3_SECRET"), &error);
  g_assert_no_error (error);
  /* A freshly started Swift answers 503 ("reduce your request rate") until
   * its servers settle: retry like a real deployment would, up to ~30 s. */
  hz_s3_set_retries (s3, 8, 250);
  return s3;
}

/* A file of n bytes whose content depends on the offset (so a misplaced
 * part or range shows). */
static char *
make_file (gsize n, GBytes **content)
{
  g_autoptr(GError) error = NULL;
  char *path = NULL;
  int fd = g_file_open_tmp ("hz-s3-XXXXXX", &path, &error);
  guint8 *buf = g_malloc (n);

  g_assert_no_error (error);
  for (gsize i = 0; i < n; i++)
    buf[i] = (guint8) ((i * 2654435761u) >> 13);
  g_assert_true (g_file_set_contents (path, (const char *) buf, (gssize) n, &error));
  g_assert_no_error (error);
  close (fd);
  *content = g_bytes_new_take (buf, n);
  return path;
}

static void
assert_range (HzS3 *s3, const char *key, GBytes *content, guint64 off, guint64 len)
{
  g_autoptr(GError) error = NULL;
  guint64 total = 0;
  g_autoptr(GBytes) got = hz_s3_get_range (s3, key, off, len, &total, &error);
  gsize n = g_bytes_get_size (content);
  gsize want = (gsize) MIN (len, n - off);

  g_assert_no_error (error);
  g_assert_cmpuint (total, ==, n);
  g_assert_cmpuint (g_bytes_get_size (got), ==, want);
  g_assert_cmpmem (g_bytes_get_data (got, NULL), want, (const guint8 *) g_bytes_get_data (content, NULL) + off, want);
}

static void
test_swift_single (void)
{
  g_autoptr(HzS3) s3 = s3_for ("hz-single", NULL);
  g_autoptr(GBytes) content = NULL;
  g_autofree char *path = make_file (100000, &content);
  g_autoptr(GError) error = NULL;
  const char *key = "consult/2024 room/会诊+1.webm";  /* space, plus, UTF-8 in the key */

  hz_s3_create_bucket (s3, &error);
  g_assert_no_error (error);
  hz_s3_put_file (s3, key, path, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS));
  assert_range (s3, key, content, 0, 1000);
  assert_range (s3, key, content, 99000, 5000);  /* past the end: the tail only */
  g_assert_true (hz_s3_delete (s3, key, &error));
  g_assert_no_error (error);
  g_assert_null (hz_s3_get_range (s3, key, 0, 10, NULL, &error));
  g_assert_error (error, HZ_S3_ERROR, HZ_S3_ERROR_REFUSED);
  g_unlink (path);
}

static void
test_swift_multipart (void)
{
  g_autoptr(HzS3) s3 = s3_for ("hz-multi", NULL);
  g_autoptr(GBytes) content = NULL;
  gsize n = 2 * HZ_S3_PART_SIZE + 123457;  /* three parts, the last one short */
  g_autofree char *path = make_file (n, &content);
  g_autoptr(GError) error = NULL;

  hz_s3_create_bucket (s3, &error);
  g_assert_no_error (error);
  hz_s3_put_file (s3, "teaching/lecture.mkv", path, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS));
  /* ranges across both part boundaries, and the end */
  assert_range (s3, "teaching/lecture.mkv", content, 0, 4096);
  assert_range (s3, "teaching/lecture.mkv", content, HZ_S3_PART_SIZE - 100, 200);
  assert_range (s3, "teaching/lecture.mkv", content, 2 * HZ_S3_PART_SIZE - 7, 70000);
  assert_range (s3, "teaching/lecture.mkv", content, n - 10, 10);
  g_unlink (path);
}

static void
test_swift_refused (void)
{
  g_autoptr(HzS3) s3 = s3_for ("hz-refused", "not-the-secret");
  g_autoptr(GBytes) content = NULL;
  g_autofree char *path = make_file (6 * 1024 * 1024, &content);
  g_autoptr(GError) error = NULL;
  g_autofree char *after = NULL;
  gsize after_len = 0;

  /* a bad signature is final: no retries, and the file stays as it was */
  g_assert_false (hz_s3_put_file (s3, "x/y.webm", path, NULL, &error));
  g_assert_error (error, HZ_S3_ERROR, HZ_S3_ERROR_REFUSED);
  g_assert_true (g_file_get_contents (path, &after, &after_len, NULL));
  g_assert_cmpmem (after, after_len, g_bytes_get_data (content, NULL), g_bytes_get_size (content));
  g_unlink (path);
}

static void
test_swift_unreachable (void)
{
  g_autoptr(GError) error = NULL;
  /* port 9 (discard) on loopback: nothing listens, connections are refused */
  g_autoptr(HzS3) s3 = hz_s3_new ("http://127.0.0.1:9", "us-east-1", "hz-gone", "a", "b", &error);
  g_autoptr(GBytes) content = NULL;
  g_autofree char *path = make_file (1000, &content);

  hz_s3_set_retries (s3, 3, 1);
  g_assert_false (hz_s3_put_file (s3, "k", path, NULL, &error));
  g_assert_error (error, HZ_S3_ERROR, HZ_S3_ERROR_NETWORK);
  g_assert_nonnull (strstr (error->message, "after 3 attempts"));
  g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS));
  g_unlink (path);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/s3/unit/uri-encode", test_uri_encode);
  g_test_add_func ("/s3/unit/canonical-query", test_canonical_query);
  g_test_add_func ("/s3/unit/new-invalid", test_new_invalid);
  g_test_add_func ("/s3/unit/unreachable", test_swift_unreachable);
  if (g_getenv ("HUIZHEN_TEST_S3_ENDPOINT") != NULL) {
    g_test_add_func ("/s3/swift/single", test_swift_single);
    g_test_add_func ("/s3/swift/multipart", test_swift_multipart);
    g_test_add_func ("/s3/swift/refused", test_swift_refused);
  }
  return g_test_run ();
}
