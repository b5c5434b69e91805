/* test-s3-recording: recordings stored in S3, end to end. A real huizhen
 * (HUIZHEN_BIN) with [storage] s3_* pointed at the loopback Swift s3api
 * that run-with-swift.sh started records a consult (a clip published by
 * hz-test-client); once the compose job ended its files are uploaded, the
 * local media files are gone, the objects hash to the checksums taken from
 * the local files, and playback through the library API with Range
 * requests (streamed from S3 in 32 KiB chunks here) gives the stored
 * bytes, with a 416 for a range past the end. An outage (the Swift proxy
 * stopped through HUIZHEN_TEST_SWIFT_CTL) keeps the local files and the
 * upload pending with its failed attempts counted; the upload completes
 * once Swift is back, in the same process or after a restart. */
#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <openssl/evp.h>
#include <signal.h>
#include <string.h>

#include "hz-proc.h"
#include "hz-s3.h"

typedef struct {
  char *clip_dir;
  char *bucket;
  char **env;
  HzProc *p;
  HzS3 *s3;
} Fixture;

static gboolean
have_swift (void)
{
  return g_getenv ("HUIZHEN_TEST_S3_ENDPOINT") != NULL && g_getenv ("HUIZHEN_TEST_SWIFT_CTL") != NULL;
}

static void
swift_ctl (const char *what)
{
  g_autofree char *cmd = g_strdup_printf ("%s %s", g_getenv ("HUIZHEN_TEST_SWIFT_CTL"), what);
  int status = 0;

  g_assert_true (g_spawn_command_line_sync (cmd, NULL, NULL, &status, NULL));
  g_assert_true (g_spawn_check_wait_status (status, NULL));
}

static char *
sha256_hex (GBytes *bytes)
{
  guint8 md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  GString *hex = g_string_new (NULL);
  gsize size = 0;
  const guint8 *data = g_bytes_get_data (bytes, &size);

  g_assert_true (EVP_Digest (data, size, md, &len, EVP_sha256 (), NULL) == 1);
  for (unsigned int i = 0; i < len; i++)
    g_string_append_printf (hex, "%02x", md[i]);
  return g_string_free (hex, FALSE);
}

/* Encodes the clip, names a bucket of its own; FALSE (test skipped) when
 * something this machine lacks is missing. */
static gboolean
fixture_init (Fixture *f)
{
  const char *make_clip = g_getenv ("HZ_MAKE_CLIP");
  g_autofree char *gst_launch = g_find_program_in_path ("gst-launch-1.0");
  g_autofree char *cmd = NULL, *suffix = NULL;
  g_autoptr(GError) error = NULL;
  int status = 0;

  memset (f, 0, sizeof (*f));
  if (!have_swift ()) {
    g_test_skip ("needs Swift s3api (run-with-swift.sh)");
    return FALSE;
  }
  if (g_getenv ("HUIZHEN_BIN") == NULL || make_clip == NULL || gst_launch == NULL) {
    g_test_skip ("needs HUIZHEN_BIN, gst-launch-1.0 and tools/loadgen/make-clip.sh (HZ_MAKE_CLIP)");
    return FALSE;
  }
  f->clip_dir = g_dir_make_tmp ("hz-s3-clip-XXXXXX", &error);
  g_assert_no_error (error);
  cmd = g_strdup_printf ("%s %s 4", make_clip, f->clip_dir);
  if (!g_spawn_command_line_sync (cmd, NULL, NULL, &status, NULL) || !g_spawn_check_wait_status (status, NULL)) {
    g_test_skip ("GStreamer could not encode the clip");
    return FALSE;
  }
  suffix = g_strdup_printf ("%08x", g_random_int ());
  f->bucket = g_strconcat ("hz-rec-", suffix, NULL);
  f->env = g_new0 (char *, 8);
  f->env[0] = g_strdup_printf ("HUIZHEN_STORAGE_S3_ENDPOINT=%s", g_getenv ("HUIZHEN_TEST_S3_ENDPOINT"));
  f->env[1] = g_strdup_printf ("HUIZHEN_STORAGE_S3_REGION=%s", g_getenv ("HUIZHEN_TEST_S3_REGION"));
  f->env[2] = g_strdup_printf ("HUIZHEN_STORAGE_S3_BUCKET=%s", f->bucket);
  f->env[3] = g_strdup_printf ("HUIZHEN_STORAGE_S3_ACCESS_KEY=%s", g_getenv ("HUIZHEN_TEST_S3_ACCESS"));
  f->env[4] = g_strdup_printf ("HUIZHEN_STORAGE_S3_SECRET_KEY=%s", g_getenv ("HUIZHEN_TEST_S3_SECRET"));
  f->env[5] = g_strdup ("HUIZHEN_STORAGE_S3_KEEP_LOCAL=false");
  f->env[6] = g_strdup ("HZ_S3_STREAM_CHUNK=32768"); /* many chunks even for a short clip */
  f->s3 = hz_s3_new (g_getenv ("HUIZHEN_TEST_S3_ENDPOINT"), g_getenv ("HUIZHEN_TEST_S3_REGION"), f->bucket,
                     g_getenv ("HUIZHEN_TEST_S3_ACCESS"), g_getenv ("HUIZHEN_TEST_S3_SECRET"), &error);
  g_assert_no_error (error);
  return TRUE;
}

static void
fixture_clear (Fixture *f)
{
  g_clear_pointer (&f->p, hz_proc_free);
  g_clear_pointer (&f->s3, hz_s3_free);
  if (f->clip_dir != NULL) {
    g_autofree char *rm = g_strdup_printf ("rm -rf %s", f->clip_dir);
    g_spawn_command_line_sync (rm, NULL, NULL, NULL, NULL);
  }
  g_free (f->clip_dir);
  g_free (f->bucket);
  g_strfreev (f->env);
}

/* A consult with ~3 s of the clip recorded, then stopped. */
static void
record_session (Fixture *f)
{
  g_autofree char *room = hz_test_create_room (&f->p->ts, "consult");
  g_autofree char *tok = hz_test_issue_token (&f->p->ts, room, "spec", "specialist");
  HzTestClient *c = hz_test_client_new (f->p->base_url);
  g_autoptr(JsonObject) joined = hz_test_client_join (c, tok);
  g_autoptr(JsonObject) started = NULL, stopped = NULL;

  g_assert_cmpstr (json_object_get_string_member (joined, "type"), ==, "joined");
  g_assert_true (hz_test_client_publish (c, 0x9001, 0x9002));
  g_assert_true (hz_test_client_wait_connected (c, TRUE, FALSE, 10000));
  hz_test_client_send (c, "{\"type\":\"recording\",\"action\":\"start\"}");
  started = hz_test_client_wait (c, "recording", 5000);
  g_assert_cmpstr (json_object_get_string_member (started, "state"), ==, "started");
  hz_test_client_pump (c, 200);
  hz_test_client_send_clip (c, f->clip_dir, 0x9001, 0x9002, 3000);
  hz_test_client_send (c, "{\"type\":\"recording\",\"action\":\"stop\"}");
  stopped = hz_test_client_wait (c, "recording", 10000);
  g_assert_cmpstr (json_object_get_string_member (stopped, "state"), ==, "stopped");
  hz_test_client_free (c);
}

/* The library's only entry, in detail. */
static JsonObject *
get_entry (Fixture *f)
{
  g_autoptr(JsonNode) list = NULL, entry = NULL;
  g_autofree char *path = NULL;
  JsonArray *recs;

  g_assert_cmpuint (hz_test_http (f->p->base_url, "GET", "/api/v1/recordings", HZ_TEST_ADMIN_KEY, NULL, &list),
                    ==, 200);
  recs = json_object_get_array_member (json_node_get_object (list), "recordings");
  if (json_array_get_length (recs) == 0)
    return NULL;
  g_assert_cmpuint (json_array_get_length (recs), ==, 1);
  path = g_strdup_printf ("/api/v1/recordings/%s",
                          json_object_get_string_member (json_array_get_object_element (recs, 0), "id"));
  g_assert_cmpuint (hz_test_http (f->p->base_url, "GET", path, HZ_TEST_ADMIN_KEY, NULL, &entry), ==, 200);
  return json_object_ref (json_node_get_object (entry));
}

/* Polls the entry until @pred holds (at most @timeout_s). */
static JsonObject *
wait_entry (Fixture *f, gboolean (*pred) (JsonObject *e), guint timeout_s, const char *what)
{
  gint64 end = g_get_monotonic_time () + timeout_s * G_USEC_PER_SEC;

  while (g_get_monotonic_time () < end) {
    JsonObject *e = get_entry (f);
    if (e != NULL && pred (e))
      return e;
    g_clear_pointer (&e, json_object_unref);
    g_usleep (250 * 1000);
  }
  g_error ("timed out waiting for the recording to be %s", what);
  return NULL;
}

static gboolean
is_uploaded (JsonObject *e)
{
  return g_strcmp0 (json_object_get_string_member (e, "upload"), "uploaded") == 0;
}

/* Final files queued, every upload still pending, at least one attempt failed. */
static gboolean
is_pending_after_failure (JsonObject *e)
{
  JsonArray *files = json_object_get_array_member (e, "files");
  gboolean failed = FALSE;

  if (g_strcmp0 (json_object_get_string_member (e, "upload"), "pending") != 0 || json_array_get_length (files) == 0)
    return FALSE;
  for (guint i = 0; i < json_array_get_length (files); i++) {
    JsonObject *file = json_array_get_object_element (files, i);
    if (json_object_get_int_member (file, "attempts") > 0 && !json_object_get_null_member (file, "error"))
      failed = TRUE;
  }
  return failed;
}

/* Whether a file named @name is anywhere under @dir. */
static gboolean
find_file (const char *dir, const char *name)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *entry;

  while (d != NULL && (entry = g_dir_read_name (d)) != NULL) {
    g_autofree char *path = g_build_filename (dir, entry, NULL);
    if (strcmp (entry, name) == 0 || (g_file_test (path, G_FILE_TEST_IS_DIR) && find_file (path, name)))
      return TRUE;
  }
  return FALSE;
}

static GBytes *
s3_object (Fixture *f, const char *id, const char *file, guint64 size)
{
  g_autofree char *key = g_strdup_printf ("recordings/%s/%s", id, file);
  g_autoptr(GError) error = NULL;
  guint64 total = 0;
  GBytes *bytes = hz_s3_get_range (f->s3, key, 0, size, &total, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (total, ==, size);
  g_assert_cmpuint (g_bytes_get_size (bytes), ==, size);
  return bytes;
}

/* GET of the media route with @range (NULL: none): the status, the body,
 * and the Content-Range answered. */
static guint
get_media (Fixture *f, const char *id, const char *query, const char *range, GBytes **body, char **content_range)
{
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autofree char *url = g_strdup_printf ("%s/api/v1/recordings/%s/media%s", f->p->base_url, id,
                                          query != NULL ? query : "");
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
  g_autofree char *auth = g_strdup_printf ("Bearer %s", HZ_TEST_ADMIN_KEY);
  g_autoptr(GError) error = NULL;
  SoupMessageHeaders *req = soup_message_get_request_headers (msg);

  soup_message_headers_append (req, "Authorization", auth);
  if (range != NULL)
    soup_message_headers_append (req, "Range", range);
  *body = soup_session_send_and_read (session, msg, NULL, &error);
  g_assert_no_error (error);
  *content_range = g_strdup (soup_message_headers_get_one (soup_message_get_response_headers (msg), "Content-Range"));
  return soup_message_get_status (msg);
}

static void
assert_slice (GBytes *body, GBytes *whole, guint64 first, guint64 last)
{
  gsize size = 0, n = 0;
  const guint8 *want = g_bytes_get_data (whole, &size);
  const guint8 *got = g_bytes_get_data (body, &n);

  g_assert_cmpuint (n, ==, last - first + 1);
  g_assert_true (memcmp (got, want + first, n) == 0);
}

/* Every Range form against the stored copy of @file of @id. */
static void
check_playback (Fixture *f, const char *id, const char *query, GBytes *stored)
{
  guint64 size = g_bytes_get_size (stored);
  struct { guint64 first, last; } ranges[] = {
    { 0, 0 }, { 100, 2099 }, { 32768 - 10, 32768 + 9 }, { 1000, size - 1 }, { size - 500, size - 1 },
  };
  g_autoptr(GBytes) body = NULL;
  g_autofree char *cr = NULL;

  g_assert_cmpuint (size, >, 70000); /* more than two 32 KiB chunks */
  /* the whole file: 200 */
  g_assert_cmpuint (get_media (f, id, query, NULL, &body, &cr), ==, 200);
  g_assert_true (g_bytes_equal (body, stored));
  for (guint i = 0; i < G_N_ELEMENTS (ranges); i++) {
    g_autofree char *range = g_strdup_printf ("bytes=%" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT,
                                              ranges[i].first, ranges[i].last);
    g_autofree char *want = g_strdup_printf ("bytes %" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT,
                                             ranges[i].first, ranges[i].last, size);
    g_clear_pointer (&body, g_bytes_unref);
    g_clear_pointer (&cr, g_free);
    g_assert_cmpuint (get_media (f, id, query, range, &body, &cr), ==, 206);
    g_assert_cmpstr (cr, ==, want);
    assert_slice (body, stored, ranges[i].first, ranges[i].last);
  }
  /* open-ended and suffix forms */
  {
    g_autofree char *want = g_strdup_printf ("bytes 50000-%" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT, size - 1, size);
    g_clear_pointer (&body, g_bytes_unref);
    g_clear_pointer (&cr, g_free);
    g_assert_cmpuint (get_media (f, id, query, "bytes=50000-", &body, &cr), ==, 206);
    g_assert_cmpstr (cr, ==, want);
    assert_slice (body, stored, 50000, size - 1);
  }
  {
    g_autofree char *want = g_strdup_printf ("bytes %" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT,
                                             size - 777, size - 1, size);
    g_clear_pointer (&body, g_bytes_unref);
    g_clear_pointer (&cr, g_free);
    g_assert_cmpuint (get_media (f, id, query, "bytes=-777", &body, &cr), ==, 206);
    g_assert_cmpstr (cr, ==, want);
    assert_slice (body, stored, size - 777, size - 1);
  }
  /* past the end: 416 with the size */
  {
    g_autofree char *range = g_strdup_printf ("bytes=%" G_GUINT64_FORMAT "-", size);
    g_autofree char *want = g_strdup_printf ("bytes */%" G_GUINT64_FORMAT, size);
    g_clear_pointer (&body, g_bytes_unref);
    g_clear_pointer (&cr, g_free);
    g_assert_cmpuint (get_media (f, id, query, range, &body, &cr), ==, 416);
    g_assert_cmpstr (cr, ==, want);
  }
}

/* After the upload: media files in S3 only (hashing to the checksums taken
 * from the local files), manifest and timeline in both places. Returns the
 * stored composed file. */
static GBytes *
check_stored (Fixture *f, JsonObject *e)
{
  const char *id = json_object_get_string_member (e, "id");
  JsonArray *files = json_object_get_array_member (e, "files");
  JsonArray *tracks = json_object_get_array_member (e, "tracks");
  JsonObject *composed = json_object_get_object_member (e, "composed");
  GBytes *composed_bytes = NULL;
  guint n_media = 0;

  g_assert_cmpstr (json_object_get_string_member (e, "state"), ==, "composed");
  g_assert_nonnull (composed);
  for (guint i = 0; i < json_array_get_length (files); i++) {
    JsonObject *file = json_array_get_object_element (files, i);
    const char *name = json_object_get_string_member (file, "file");
    guint64 size = (guint64) json_object_get_int_member (file, "size");
    gboolean meta = strcmp (name, "manifest.json") == 0 || strcmp (name, "timeline.jsonl") == 0;
    g_autoptr(GBytes) bytes = s3_object (f, id, name, size);
    g_autofree char *sha = sha256_hex (bytes);

    g_test_message ("%s: %" G_GUINT64_FORMAT " bytes, %s", name, size, json_object_get_string_member (file, "location"));
    g_assert_cmpstr (json_object_get_string_member (file, "upload"), ==, "uploaded");
    g_assert_cmpstr (json_object_get_string_member (file, "location"), ==, meta ? "local+s3" : "s3");
    g_assert_true (find_file (f->p->data_dir, name) == meta);
    if (strcmp (name, json_object_get_string_member (composed, "file")) == 0) {
      g_assert_cmpstr (sha, ==, json_object_get_string_member (composed, "sha256"));
      composed_bytes = g_bytes_ref (bytes);
      n_media++;
    }
    for (guint t = 0; t < json_array_get_length (tracks); t++) {
      JsonObject *track = json_array_get_object_element (tracks, t);
      if (strcmp (name, json_object_get_string_member (track, "file")) == 0) {
        g_assert_cmpstr (sha, ==, json_object_get_string_member (track, "sha256"));
        n_media++;
      }
    }
  }
  /* both tracks and the composed file */
  g_assert_cmpuint (n_media, ==, json_array_get_length (tracks) + 1);
  g_assert_cmpuint (json_array_get_length (tracks), ==, 2);
  g_assert_nonnull (composed_bytes);
  return composed_bytes;
}

static void
test_upload_and_playback (void)
{
  Fixture f;
  g_autoptr(JsonObject) e = NULL;
  g_autoptr(GBytes) composed = NULL, track = NULL, body = NULL;
  g_autofree char *cr = NULL;
  JsonArray *tracks;
  const char *id;

  if (!fixture_init (&f)) {
    fixture_clear (&f);
    return;
  }
  f.p = hz_proc_start (NULL, (const char *const *) f.env);
  record_session (&f);
  e = wait_entry (&f, is_uploaded, 180, "uploaded");
  id = json_object_get_string_member (e, "id");
  composed = check_stored (&f, e);
  check_playback (&f, id, NULL, composed);
  /* a track too, through ?track= */
  tracks = json_object_get_array_member (e, "tracks");
  {
    JsonObject *t0 = json_array_get_object_element (tracks, 0);
    g_autofree char *want = NULL;
    track = s3_object (&f, id, json_object_get_string_member (t0, "file"),
                       (guint64) json_object_get_int_member (t0, "size"));
    want = g_strdup_printf ("bytes 10-19/%" G_GSIZE_FORMAT, g_bytes_get_size (track));
    g_assert_cmpuint (get_media (&f, id, "?track=0", "bytes=10-19", &body, &cr), ==, 206);
    g_assert_cmpstr (cr, ==, want);
    assert_slice (body, track, 10, 19);
  }
  /* deleting the entry deletes its objects (in the background) */
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/recordings/%s", id);
    g_autofree char *key = g_strdup_printf ("recordings/%s/%s", id,
                                            json_object_get_string_member (json_object_get_object_member (e, "composed"), "file"));
    gint64 end = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
    gboolean gone = FALSE;

    g_assert_cmpuint (hz_test_http (f.p->base_url, "DELETE", path, HZ_TEST_ADMIN_KEY, NULL, NULL), ==, 204);
    while (!gone && g_get_monotonic_time () < end) {
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) b = hz_s3_get_range (f.s3, key, 0, 16, NULL, &error);
      gone = b == NULL && g_error_matches (error, HZ_S3_ERROR, HZ_S3_ERROR_REFUSED);
      if (!gone)
        g_usleep (200 * 1000);
    }
    g_assert_true (gone);
  }
  fixture_clear (&f);
}

/* Swift down while a recording finishes: the upload fails and waits, the
 * files stay local and play from there; then Swift comes back and the
 * upload completes. With @restart the server is killed while the upload is
 * pending and the next start resumes it. */
static void
outage (gboolean restart)
{
  Fixture f;
  g_autoptr(JsonObject) pending = NULL, e = NULL;
  g_autoptr(GBytes) composed = NULL, body = NULL;
  g_autofree char *cr = NULL, *dir = NULL;
  JsonArray *files;

  if (!fixture_init (&f)) {
    fixture_clear (&f);
    return;
  }
  f.p = hz_proc_start (NULL, (const char *const *) f.env);
  swift_ctl ("stop");
  record_session (&f);
  pending = wait_entry (&f, is_pending_after_failure, 180, "pending after a failed upload");
  files = json_object_get_array_member (pending, "files");
  for (guint i = 0; i < json_array_get_length (files); i++) {
    JsonObject *file = json_array_get_object_element (files, i);
    g_test_message ("during the outage: %s %s, %" G_GINT64_FORMAT " attempts, %s",
                    json_object_get_string_member (file, "file"), json_object_get_string_member (file, "location"),
                    json_object_get_int_member (file, "attempts"),
                    json_object_get_null_member (file, "error") ? "-" : json_object_get_string_member (file, "error"));
    g_assert_cmpstr (json_object_get_string_member (file, "location"), ==, "local");
    g_assert_true (find_file (f.p->data_dir, json_object_get_string_member (file, "file")));
  }
  /* playback goes on from the local file */
  g_assert_cmpuint (get_media (&f, json_object_get_string_member (pending, "id"), NULL, "bytes=0-99", &body, &cr),
                    ==, 206);
  g_assert_cmpuint (g_bytes_get_size (body), ==, 100);
  if (restart) {
    dir = g_strdup (f.p->data_dir);
    f.p->own_dir = FALSE;
    g_assert_true (WIFSIGNALED (hz_proc_kill (f.p, SIGKILL)));
    g_clear_pointer (&f.p, hz_proc_free);
  }
  swift_ctl ("start");
  if (restart) {
    f.p = hz_proc_start (dir, (const char *const *) f.env);
    f.p->own_dir = TRUE;
  }
  e = wait_entry (&f, is_uploaded, 180, "uploaded after the outage");
  composed = check_stored (&f, e);
  g_clear_pointer (&body, g_bytes_unref);
  g_clear_pointer (&cr, g_free);
  g_assert_cmpuint (get_media (&f, json_object_get_string_member (e, "id"), NULL, "bytes=40000-40099", &body, &cr),
                    ==, 206);
  assert_slice (body, composed, 40000, 40099);
  fixture_clear (&f);
}

static void
test_outage_retry (void)
{
  outage (FALSE);
}

static void
test_outage_restart (void)
{
  outage (TRUE);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/s3-recording/upload-and-playback", test_upload_and_playback);
  g_test_add_func ("/s3-recording/outage-retry", test_outage_retry);
  g_test_add_func ("/s3-recording/outage-restart", test_outage_restart);
  return g_test_run ();
}
