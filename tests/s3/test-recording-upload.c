/* test-recording-upload: the upload queue of hz-recording-upload on the
 * database of hz-test-db.h and a real recording (3 s of synthetic RTP).
 * /recording-upload/unreachable needs no store: an endpoint that refuses
 * connections leaves every file pending and local, with its failed
 * attempts and error counted, while the main context keeps running.
 * /recording-upload/swift (run-with-swift.sh): a new uploader (a restart)
 * resumes those rows against Swift s3api, the media files leave the disk,
 * and the pollable playback stream, read without blocking, gives bytes
 * that hash to the manifest's checksums. */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <openssl/evp.h>
#include <string.h>

#include "hz-recording-catalog.h"
#include "hz-recording-upload.h"
#include "hz-test-db.h"
#include "test-recording-session.h"

typedef struct {
  char *dir;
  char *url;
  HzDb *db;
  HzRoomStore *store;
  HzRecordingCatalog *cat;
  char *id;
  char *rec_dir;
} Fixture;

static void
fixture_setup (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HzRecordingInfo) info = NULL;

  f->dir = g_dir_make_tmp ("hz-recupload-XXXXXX", NULL);
  f->url = hz_test_db_url_new (f->dir);
  f->db = hz_db_open (f->url, &error);
  g_assert_no_error (error);
  f->store = hz_room_store_new (f->db);
  f->cat = hz_recording_catalog_new (f->store);
  info = test_make_recording (f->dir, "room-7", "Upload", TRUE, &f->rec_dir);
  f->id = hz_recording_catalog_add (f->cat, NULL, info, &error);
  g_assert_no_error (error);
  /* no compose here: "failed" leaves the tracks final */
  g_assert_true (hz_recording_catalog_set_state (f->cat, f->id, HZ_RECORDING_STATE_FAILED, "skipped", &error));
}

static void
fixture_teardown (Fixture *f)
{
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", f->dir);

  g_clear_pointer (&f->cat, hz_recording_catalog_free);
  g_clear_pointer (&f->store, hz_room_store_free);
  g_clear_pointer (&f->db, hz_db_unref);
  hz_test_db_drop (f->url);
  g_spawn_command_line_sync (cmd, NULL, NULL, NULL, NULL);
  g_free (f->dir);
  g_free (f->url);
  g_free (f->id);
  g_free (f->rec_dir);
}

/* Iterates the main context until @done (at most @timeout_s). */
static gboolean
iterate_until (gboolean (*done) (Fixture *f), Fixture *f, guint timeout_s)
{
  gint64 end = g_get_monotonic_time () + timeout_s * G_USEC_PER_SEC;

  while (!done (f) && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE) || (g_usleep (2000), TRUE);
  return done (f);
}

static gboolean
two_failures (Fixture *f)
{
  g_autoptr(HzRecordingEntry) e = hz_recording_catalog_get (f->cat, f->id, NULL);

  for (guint i = 0; e != NULL && i < e->files->len; i++)
    if (((HzRecordingEntryFile *) g_ptr_array_index (e->files, i))->attempts >= 2)
      return TRUE;
  return FALSE;
}

static gboolean
uploaded (Fixture *f)
{
  g_autoptr(HzRecordingEntry) e = hz_recording_catalog_get (f->cat, f->id, NULL);

  return e != NULL && g_strcmp0 (e->upload, "uploaded") == 0;
}

static guint16
closed_port (void)
{
  g_autoptr(GSocket) s = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  g_autoptr(GSocketAddress) bound = NULL;

  g_assert_true (g_socket_bind (s, any, FALSE, NULL));
  bound = g_socket_get_local_address (s, NULL);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)); /* closed when s goes */
}

/* Nothing reaches the store: the rows stay pending with their attempts,
 * the files stay on disk. */
static void
fail_against_closed_port (Fixture *f)
{
  g_autofree char *endpoint = g_strdup_printf ("http://127.0.0.1:%u", closed_port ());
  g_autoptr(GError) error = NULL;
  HzS3 *s3 = hz_s3_new (endpoint, "us-east-1", "bucket", "a", "b", &error);
  g_autoptr(HzRecordingUpload) up = NULL;
  g_autoptr(HzRecordingEntry) e = NULL;

  g_assert_no_error (error);
  hz_s3_set_retries (s3, 1, 10);
  up = hz_recording_upload_new (f->cat, s3, FALSE);
  hz_recording_upload_set_backoff (up, 20, 40);
  g_assert_true (hz_recording_catalog_get_upload (f->cat) == up);
  g_assert_true (hz_recording_upload_add (up, f->id, &error));
  g_assert_no_error (error);
  g_assert_false (hz_recording_upload_is_idle (up));
  g_assert_true (iterate_until (two_failures, f, 60));
  e = hz_recording_catalog_get (f->cat, f->id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (e->upload, ==, "pending");
  /* 2 tracks, timeline, manifest */
  g_assert_cmpuint (e->files->len, ==, 4);
  for (guint i = 0; i < e->files->len; i++) {
    HzRecordingEntryFile *file = g_ptr_array_index (e->files, i);
    g_autofree char *path = g_build_filename (e->dir, file->file, NULL);

    g_assert_cmpstr (file->location, ==, "local");
    g_assert_cmpstr (file->upload, ==, "pending");
    g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
    if (file->attempts > 0)
      g_assert_nonnull (strstr (file->error, "onnect"));
  }
  /* a second add queues nothing twice */
  g_assert_true (hz_recording_upload_add (up, f->id, &error));
  g_clear_pointer (&e, hz_recording_entry_free);
  e = hz_recording_catalog_get (f->cat, f->id, &error);
  g_assert_cmpuint (e->files->len, ==, 4);
  /* freed with an upload in flight or a retry waiting: nothing is lost */
  g_clear_pointer (&up, hz_recording_upload_free);
  g_assert_null (hz_recording_catalog_get_upload (f->cat));
}

static void
test_unreachable (void)
{
  Fixture f = { 0 };

  fixture_setup (&f);
  fail_against_closed_port (&f);
  fixture_teardown (&f);
}

static char *
sha256_hex (const guint8 *data, gsize size)
{
  guint8 md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  GString *hex = g_string_new (NULL);

  g_assert_true (EVP_Digest (data, size, md, &len, EVP_sha256 (), NULL) == 1);
  for (unsigned int i = 0; i < len; i++)
    g_string_append_printf (hex, "%02x", md[i]);
  return g_string_free (hex, FALSE);
}

static gboolean
mark_fired (GObject *stream, gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* The stream read as hz-http does: 16 KiB pieces, only when readable,
 * waiting in the main context on the stream's source otherwise. */
static GByteArray *
read_pollable (GInputStream *in, guint64 length, guint *waits)
{
  GByteArray *out = g_byte_array_new ();
  GPollableInputStream *p = G_POLLABLE_INPUT_STREAM (in);

  g_assert_true (g_pollable_input_stream_can_poll (p));
  while (out->len < length) {
    guint8 buf[16384];
    g_autoptr(GError) error = NULL;
    gssize n = g_pollable_input_stream_read_nonblocking (p, buf, MIN (sizeof (buf), length - out->len), NULL,
                                                         &error);

    if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
      gboolean fired = FALSE;
      gint64 end = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
      GSource *source = g_pollable_input_stream_create_source (p, NULL);

      g_source_set_callback (source, G_SOURCE_FUNC (mark_fired), &fired, NULL);
      g_source_attach (source, NULL);
      while (!fired && g_get_monotonic_time () < end)
        g_main_context_iteration (NULL, FALSE) || (g_usleep (1000), TRUE);
      g_source_destroy (source);
      g_source_unref (source);
      g_assert_true (fired);
      g_assert_true (g_pollable_input_stream_is_readable (p));
      (*waits)++;
      continue;
    }
    g_assert_no_error (error);
    g_assert_cmpint (n, >, 0);
    g_byte_array_append (out, buf, (guint) n);
  }
  return out;
}

static void
test_swift (void)
{
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autofree char *bucket = g_strdup_printf ("hz-up-%08x", g_random_int ());
  g_autoptr(HzRecordingUpload) up = NULL;
  g_autoptr(HzRecordingEntry) e = NULL;
  guint n_tracks = 0;
  guint64 max_size = 0;
  HzS3 *s3;

  if (g_getenv ("HUIZHEN_TEST_S3_ENDPOINT") == NULL) {
    g_test_skip ("needs Swift s3api (run-with-swift.sh)");
    return;
  }
  fixture_setup (&f);
  fail_against_closed_port (&f);
  /* the next start, with a store that answers */
  s3 = hz_s3_new (g_getenv ("HUIZHEN_TEST_S3_ENDPOINT"), g_getenv ("HUIZHEN_TEST_S3_REGION"), bucket,
                  g_getenv ("HUIZHEN_TEST_S3_ACCESS"), g_getenv ("HUIZHEN_TEST_S3_SECRET"), &error);
  g_assert_no_error (error);
  up = hz_recording_upload_new (f.cat, s3, FALSE);
  g_assert_cmpuint (hz_recording_upload_resume (up), ==, 4);
  g_assert_true (iterate_until (uploaded, &f, 60));
  g_assert_true (hz_recording_upload_is_idle (up));
  e = hz_recording_catalog_get (f.cat, f.id, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < e->files->len; i++) {
    HzRecordingEntryFile *file = g_ptr_array_index (e->files, i);
    g_autofree char *path = g_build_filename (e->dir, file->file, NULL);
    gboolean meta = strcmp (file->file, HZ_RECORDING_MANIFEST) == 0 || strcmp (file->file, HZ_RECORDING_TIMELINE) == 0;

    g_assert_cmpstr (file->upload, ==, "uploaded");
    g_assert_cmpstr (file->location, ==, meta ? "local+s3" : "s3");
    g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS) == meta);
  }
  for (guint t = 0; t < e->tracks->len; t++) {
    HzRecordingEntryTrack *track = g_ptr_array_index (e->tracks, t);
    const HzRecordingEntryFile *file = hz_recording_entry_find_file (e, track->file);
    g_autoptr(GInputStream) whole = NULL, part = NULL;
    g_autoptr(GByteArray) all = NULL;
    g_autofree char *sha = NULL;
    guint waits = 0;
    gsize got = 0;
    guint8 buf[20000];

    g_assert_nonnull (file);
    g_assert_cmpuint (file->size, ==, track->size);
    guint64 offset = track->size / 4, len = MIN (sizeof (buf), track->size - offset);

    max_size = MAX (max_size, track->size);
    whole = hz_recording_upload_open (up, f.id, track->file, file->size, 0, file->size);
    all = read_pollable (whole, file->size, &waits);
    sha = sha256_hex (all->data, all->len);
    g_assert_cmpstr (sha, ==, track->sha256);
    g_test_message ("%s: %u bytes in 16 KiB chunks, %u waits", track->file, all->len, waits);
    g_assert_cmpuint (waits, >, 0);
    /* the end of the stream */
    {
      guint8 one;
      g_assert_cmpint (g_pollable_input_stream_read_nonblocking (G_POLLABLE_INPUT_STREAM (whole), &one, 1, NULL,
                                                                 &error), ==, 0);
      g_assert_no_error (error);
    }
    /* a range from the middle (crossing a chunk border when long enough), read blocking */
    part = hz_recording_upload_open (up, f.id, track->file, file->size, offset, len);
    g_assert_true (g_input_stream_read_all (part, buf, sizeof (buf), &got, NULL, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (got, ==, len);
    g_assert_true (memcmp (buf, all->data + offset, len) == 0);
    n_tracks++;
  }
  g_assert_cmpuint (n_tracks, ==, 2);
  g_assert_cmpuint (max_size, >, 16384); /* the camera was read in more than one chunk */
  /* deleting the entry removes the objects (in a worker thread) */
  {
    g_autoptr(HzS3) check = hz_s3_new (g_getenv ("HUIZHEN_TEST_S3_ENDPOINT"), g_getenv ("HUIZHEN_TEST_S3_REGION"),
                                       bucket, g_getenv ("HUIZHEN_TEST_S3_ACCESS"),
                                       g_getenv ("HUIZHEN_TEST_S3_SECRET"), NULL);
    g_autofree char *key = hz_recording_upload_key (f.id, HZ_RECORDING_MANIFEST);
    gint64 end = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
    gboolean gone = FALSE;

    g_assert_true (hz_recording_catalog_delete (f.cat, f.id, TRUE, &error));
    g_assert_no_error (error);
    while (!gone && g_get_monotonic_time () < end) {
      g_autoptr(GError) get_error = NULL;
      g_autoptr(GBytes) b = hz_s3_get_range (check, key, 0, 1, NULL, &get_error);
      gone = b == NULL && g_error_matches (get_error, HZ_S3_ERROR, HZ_S3_ERROR_REFUSED);
      if (!gone)
        g_usleep (100 * 1000);
    }
    g_assert_true (gone);
  }
  g_clear_pointer (&up, hz_recording_upload_free);
  fixture_teardown (&f);
}

int
main (int argc, char **argv)
{
  /* 16 KiB chunks: every track is read in several */
  g_setenv ("HZ_S3_STREAM_CHUNK", "16384", TRUE);
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  /* failed uploads are logged as warnings on purpose; criticals stay fatal */
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
  g_test_add_func ("/recording-upload/unreachable", test_unreachable);
  g_test_add_func ("/recording-upload/swift", test_swift);
  return g_test_run ();
}
