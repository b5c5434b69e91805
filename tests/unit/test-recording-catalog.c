/* Tests of the recordings library: the catalog (add, upsert, search,
 * states, retention with audit) and the jobs (compose queue, start-up
 * recovery) on the database of hz-test-db.h and real recordings. */
#include <glib/gstdio.h>
#include <string.h>

#include "hz-audit.h"
#include "hz-recording-catalog.h"
#include "hz-recording-jobs.h"
#include "hz-test-db.h"
#include "test-recording-session.h"

typedef struct {
  char *dir;
  char *url;
  HzDb *db;
  HzRoomStore *store;
  HzRecordingCatalog *cat;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("hz-reccat-XXXXXX", NULL);
  f->url = hz_test_db_url_new (f->dir);
  f->db = hz_db_open (f->url, &error);
  g_assert_no_error (error);
  f->store = hz_room_store_new (f->db);
  f->cat = hz_recording_catalog_new (f->store);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", f->dir);

  g_clear_pointer (&f->cat, hz_recording_catalog_free);
  g_clear_pointer (&f->store, hz_room_store_free);
  g_clear_pointer (&f->db, hz_db_unref);
  hz_test_db_drop (f->url);
  g_spawn_command_line_sync (cmd, NULL, NULL, NULL, NULL);
  g_free (f->dir);
  g_free (f->url);
}

static guint
count (Fixture *f, const char *sql)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HzDbRows) rows = hz_db_query (f->db, sql, NULL, 0, &error);

  g_assert_no_error (error);
  return (guint) g_ascii_strtoull (hz_db_rows_get (rows, 0, 0), NULL, 10);
}

static HzRecordingTrackInfo *
fake_track (const char *file, const char *name, HzRecCodec codec, gint64 duration_ms)
{
  HzRecordingTrackInfo *t = g_new0 (HzRecordingTrackInfo, 1);

  t->file = g_strdup (file);
  t->participant_id = g_strdup ("dr-wang");
  t->name = g_strdup (name);
  t->kind = g_strdup (hz_rec_codec_kind (codec));
  t->codec = codec;
  t->offset_ms = 12;
  t->duration_ms = duration_ms;
  t->size = 1000;
  t->sha256 = g_strdup ("ab12");
  return t;
}

/* A manifest as hz_recording_stop writes it, for a directory under the
 * fixture that holds one small file per track (for retention). */
static HzRecordingInfo *
fake_info (Fixture *f, const char *room_id, const char *title, GDateTime *start)
{
  HzRecordingInfo *info = g_new0 (HzRecordingInfo, 1);

  info->dir = hz_recording_dir_for (f->dir, room_id, start);
  g_assert_cmpint (g_mkdir_with_parents (info->dir, 0755), ==, 0);
  info->room_id = g_strdup (room_id);
  info->title = g_strdup (title);
  info->presenter_id = g_strdup ("dr-wang");
  info->started_at_us = g_date_time_to_unix (start) * G_USEC_PER_SEC;
  info->duration_ms = 61000;
  info->size = 2000;
  info->tracks = g_ptr_array_new_with_free_func ((GDestroyNotify) hz_recording_track_info_free);
  g_ptr_array_add (info->tracks, fake_track ("dr-wang-camera.webm", "camera", HZ_REC_CODEC_VP8, 61000));
  g_ptr_array_add (info->tracks, fake_track ("dr-wang-microphone.webm", "microphone", HZ_REC_CODEC_OPUS, 60900));
  for (guint i = 0; i < info->tracks->len; i++) {
    HzRecordingTrackInfo *t = g_ptr_array_index (info->tracks, i);
    g_autofree char *path = g_build_filename (info->dir, t->file, NULL);
    g_assert_true (g_file_set_contents (path, "media", -1, NULL));
  }
  return info;
}

static char *
add (Fixture *f, const char *kind, const char *course, const char *institution,
     const char *room_id, const char *title, GDateTime *start)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HzRecordingInfo) info = fake_info (f, room_id, title, start);
  HzRecordingMeta meta = { kind, course, NULL, institution };
  char *id = hz_recording_catalog_add (f->cat, &meta, info, &error);

  g_assert_no_error (error);
  g_assert_nonnull (id);
  return id;
}

static void
test_add_get_upsert (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDateTime) start = g_date_time_new_utc (2025, 2, 19, 13, 20, 0);
  g_autoptr(HzRecordingInfo) info = fake_info (f, "room-42", "Chest CT reading", start);
  HzRecordingMeta meta = { "teaching", "Radiology 101", "王医生", "省人民医院" };
  g_autofree char *id = hz_recording_catalog_add (f->cat, &meta, info, &error);
  g_autofree char *again = NULL;
  g_autoptr(HzRecordingEntry) e = NULL;
  g_autoptr(HzRecordingEntry) e2 = NULL;
  g_autofree char *path = NULL;
  HzRecordingEntryTrack *t;

  g_assert_no_error (error);
  e = hz_recording_catalog_get (f->cat, id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (e->room_id, ==, "room-42");
  g_assert_cmpstr (e->title, ==, "Chest CT reading");
  g_assert_cmpstr (e->course, ==, "Radiology 101");
  g_assert_cmpstr (e->presenter, ==, "王医生");
  g_assert_cmpstr (e->institution, ==, "省人民医院");
  g_assert_cmpint (e->state, ==, HZ_RECORDING_STATE_FINISHED);
  g_assert_cmpint (g_date_time_compare (e->started_at, start), ==, 0);
  g_assert_cmpint (e->duration_ms, ==, 61000);
  g_assert_cmpuint (e->tracks->len, ==, 2);
  t = g_ptr_array_index (e->tracks, 1);
  g_assert_cmpuint (t->idx, ==, 1);
  g_assert_cmpstr (t->file, ==, "dr-wang-microphone.webm");
  g_assert_cmpstr (t->codec, ==, "opus");
  g_assert_cmpstr (t->kind, ==, "audio");
  g_assert_cmpint (t->offset_ms, ==, 12);
  path = hz_recording_entry_media_path (e, 1, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_suffix (path, "/dr-wang-microphone.webm"));
  g_assert_true (g_str_has_prefix (path, info->dir));
  /* no composed file yet, no track 7 */
  g_assert_null (hz_recording_entry_media_path (e, -1, &error));
  g_assert_error (error, HZ_ROOM_STORE_ERROR, HZ_ROOM_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_null (hz_recording_entry_media_path (e, 7, &error));
  g_assert_error (error, HZ_ROOM_STORE_ERROR, HZ_ROOM_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* the same directory again (a recovery): same entry, meta kept, one track */
  g_ptr_array_remove_index (info->tracks, 1);
  info->recovered = TRUE;
  again = hz_recording_catalog_add (f->cat, NULL, info, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (again, ==, id);
  e2 = hz_recording_catalog_get (f->cat, id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (e2->course, ==, "Radiology 101");
  g_assert_cmpstr (e2->room_kind, ==, "teaching");
  g_assert_true (e2->recovered);
  g_assert_cmpuint (e2->tracks->len, ==, 1);
  g_assert_cmpuint (count (f, "SELECT COUNT(*) FROM recordings"), ==, 1);

  g_assert_null (hz_recording_catalog_get (f->cat, "rec-nope", &error));
  g_assert_error (error, HZ_ROOM_STORE_ERROR, HZ_ROOM_STORE_ERROR_NOT_FOUND);
}

static guint
list_count (Fixture *f, const HzRecordingFilter *filter, gboolean *more)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = hz_recording_catalog_list (f->cat, filter, more, &error);

  g_assert_no_error (error);
  return list->len;
}

static void
test_search (Fixture *f, gconstpointer data)
{
  g_autoptr(GDateTime) d1 = g_date_time_new_utc (2025, 1, 10, 8, 0, 0);
  g_autoptr(GDateTime) d2 = g_date_time_new_utc (2025, 2, 10, 8, 0, 0);
  g_autoptr(GDateTime) d3 = g_date_time_new_utc (2025, 3, 10, 8, 0, 0);
  g_autofree char *a = add (f, "teaching", "Radiology 101", "省人民医院", "room-a", "Chest CT", d1);
  g_autofree char *b = add (f, "teaching", "Cardiology", "County Hospital", "room-b", "ECG basics", d2);
  g_autofree char *c = add (f, "consult", NULL, "County Hospital", "room-c", "100% case_review", d3);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) all = NULL;
  HzRecordingFilter filter = { 0 };
  gboolean more = TRUE;

  all = hz_recording_catalog_list (f->cat, &filter, &more, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (all->len, ==, 3);
  g_assert_false (more);
  /* newest first */
  g_assert_cmpstr (((HzRecordingEntry *) all->pdata[0])->id, ==, c);
  g_assert_cmpstr (((HzRecordingEntry *) all->pdata[2])->id, ==, a);
  g_assert_null (((HzRecordingEntry *) all->pdata[0])->tracks);

  filter.q = "radiology"; /* case-insensitive, matches the course */
  g_assert_cmpuint (list_count (f, &filter, NULL), ==, 1);
  filter.q = "county";    /* the institution */
  g_assert_cmpuint (list_count (f, &filter, NULL), ==, 2);
  filter.q = "%";         /* a literal percent, not a wildcard */
  g_assert_cmpuint (list_count (f, &filter, NULL), ==, 1);
  filter.q = "e_g";       /* '_' is literal too: "ECG" does not match */
  g_assert_cmpuint (list_count (f, &filter, NULL), ==, 0);
  filter.q = NULL;
  filter.institution = "省人民";
  g_assert_cmpuint (list_count (f, &filter, NULL), ==, 1);
  filter.institution = NULL;
  filter.presenter = "DR-WANG";
  g_assert_cmpuint (list_count (f, &filter, NULL), ==, 3);
  filter.presenter = NULL;
  filter.title = "ecg";
  filter.course = "cardio";
  g_assert_cmpuint (list_count (f, &filter, NULL), ==, 1);
  filter.title = filter.course = NULL;
  filter.room_id = "room-b";
  g_assert_cmpuint (list_count (f, &filter, NULL), ==, 1);
  filter.room_id = "room";  /* room is exact, not a substring */
  g_assert_cmpuint (list_count (f, &filter, NULL), ==, 0);
  filter.room_id = NULL;
  filter.from = d2;         /* from inclusive, to exclusive */
  g_assert_cmpuint (list_count (f, &filter, NULL), ==, 2);
  filter.to = d3;
  g_assert_cmpuint (list_count (f, &filter, NULL), ==, 1);
  filter.from = filter.to = NULL;
  filter.has_state = TRUE;
  filter.state = HZ_RECORDING_STATE_COMPOSED;
  g_assert_cmpuint (list_count (f, &filter, NULL), ==, 0);
  filter.has_state = FALSE;
  /* paging: 2 + 1 */
  filter.limit = 2;
  g_assert_cmpuint (list_count (f, &filter, &more), ==, 2);
  g_assert_true (more);
  filter.offset = 2;
  g_assert_cmpuint (list_count (f, &filter, &more), ==, 1);
  g_assert_false (more);
}

static void
test_states (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDateTime) start = g_date_time_new_utc (2025, 2, 19, 13, 20, 0);
  g_autoptr(HzRecordingInfo) info = fake_info (f, "room-s", "States", start);
  g_autofree char *id = hz_recording_catalog_begin (f->cat, NULL, "room-s", "States", info->dir, start, &error);
  g_autofree char *id2 = NULL;
  g_autoptr(HzRecordingEntry) e = NULL;
  g_autoptr(HzRecordingEntry) e2 = NULL;
  g_autoptr(HzRecordingEntry) e3 = NULL;
  g_autofree char *path = NULL;
  HzRecordingMeta bad = { "lecture", NULL, NULL, NULL };

  g_assert_no_error (error);
  e = hz_recording_catalog_get (f->cat, id, &error);
  g_assert_cmpint (e->state, ==, HZ_RECORDING_STATE_RECORDING);
  g_assert_cmpuint (e->tracks->len, ==, 0);
  /* stopping stores the manifest in the entry begun for the same directory */
  id2 = hz_recording_catalog_add (f->cat, NULL, info, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (id2, ==, id);
  g_assert_true (hz_recording_catalog_set_state (f->cat, id, HZ_RECORDING_STATE_COMPOSING, NULL, &error));
  g_assert_true (hz_recording_catalog_set_progress (f->cat, id, 0.426, &error));
  e2 = hz_recording_catalog_get (f->cat, id, &error);
  g_assert_cmpint (e2->state, ==, HZ_RECORDING_STATE_COMPOSING);
  g_assert_cmpfloat_with_epsilon (e2->compose_progress, 0.426, 1e-6);
  g_assert_true (hz_recording_catalog_set_composed (f->cat, id, "composed.webm", 4242, "cafe", &error));
  g_assert_no_error (error);
  e3 = hz_recording_catalog_get (f->cat, id, &error);
  g_assert_cmpint (e3->state, ==, HZ_RECORDING_STATE_COMPOSED);
  g_assert_cmpfloat (e3->compose_progress, ==, 1.0);
  g_assert_cmpuint (e3->composed_size, ==, 4242);
  g_assert_cmpstr (e3->composed_sha256, ==, "cafe");
  path = hz_recording_entry_media_path (e3, -1, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_suffix (path, "/composed.webm"));

  /* refused: a path as composed file, unknown ids, an unknown room kind */
  g_assert_false (hz_recording_catalog_set_composed (f->cat, id, "../x", 1, "x", &error));
  g_assert_error (error, HZ_ROOM_STORE_ERROR, HZ_ROOM_STORE_ERROR_INVALID_FIELD);
  g_clear_error (&error);
  g_assert_false (hz_recording_catalog_set_state (f->cat, "rec-x", HZ_RECORDING_STATE_FAILED, "x", &error));
  g_assert_error (error, HZ_ROOM_STORE_ERROR, HZ_ROOM_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_null (hz_recording_catalog_add (f->cat, &bad, info, &error));
  g_assert_error (error, HZ_ROOM_STORE_ERROR, HZ_ROOM_STORE_ERROR_INVALID_FIELD);
  g_clear_error (&error);

  g_assert_true (hz_recording_catalog_delete (f->cat, id, TRUE, &error));
  g_assert_false (g_file_test (info->dir, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (count (f, "SELECT COUNT(*) FROM recording_tracks"), ==, 0);
  g_assert_null (hz_recording_catalog_get (f->cat, id, &error));
}

static void
test_retention (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_utc (2030, 6, 1, 0, 0, 0);
  g_autoptr(GDateTime) old = g_date_time_new_utc (2026, 5, 1, 0, 0, 0);   /* 4 years 1 month */
  g_autoptr(GDateTime) young = g_date_time_new_utc (2028, 5, 1, 0, 0, 0); /* 2 years */
  g_autofree char *consult_old = add (f, "consult", NULL, "County", "room-1", "old consult", old);
  g_autofree char *teaching_old = add (f, "teaching", NULL, "County", "room-2", "old teaching", old);
  g_autofree char *teaching_young = add (f, "teaching", NULL, "County", "room-3", "young", young);
  g_autoptr(HzRecordingEntry) gone = NULL, kept = NULL, young_e = NULL;
  g_autoptr(JsonNode) audit = NULL;
  g_autoptr(HzDbRows) rows = NULL;
  g_autofree char *gone_path = NULL;
  HzAuditFilter af = { .action = "recording_expired" };
  gint64 broken = -1;
  guint n;

  /* consult 3 years, teaching 5: only the old consult goes */
  n = hz_recording_catalog_expire (f->cat, now, 3, 5, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, 1);
  gone = hz_recording_catalog_get (f->cat, consult_old, &error);
  kept = hz_recording_catalog_get (f->cat, teaching_old, &error);
  young_e = hz_recording_catalog_get (f->cat, teaching_young, &error);
  g_assert_cmpint (gone->state, ==, HZ_RECORDING_STATE_EXPIRED);
  g_assert_false (g_file_test (gone->dir, G_FILE_TEST_EXISTS));
  g_assert_cmpint (kept->state, ==, HZ_RECORDING_STATE_FINISHED);
  g_assert_true (g_file_test (kept->dir, G_FILE_TEST_IS_DIR));
  g_assert_null (hz_recording_entry_media_path (gone, 0, &error));
  g_assert_error (error, HZ_ROOM_STORE_ERROR, HZ_ROOM_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  /* the removal is in the audit log, with the chain intact */
  rows = hz_db_query (f->db, "SELECT actor, target, outcome FROM audit_log WHERE action = 'recording_expired'",
                      NULL, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (rows->n_rows, ==, 1);
  g_assert_cmpstr (hz_db_rows_get (rows, 0, 0), ==, "retention");
  g_assert_cmpstr (hz_db_rows_get (rows, 0, 1), ==, consult_old);
  g_assert_true (hz_audit_verify (f->db, &broken, &error));
  g_assert_cmpint (broken, ==, 0);
  audit = hz_audit_list_json (f->db, &af, &error);
  g_assert_no_error (error);
  /* a second run finds nothing more; at 3 years for teaching the old one goes */
  g_assert_cmpuint (hz_recording_catalog_expire (f->cat, now, 3, 5, &error), ==, 0);
  g_assert_cmpuint (hz_recording_catalog_expire (f->cat, now, 3, 3, &error), ==, 1);
  g_assert_no_error (error);
  g_assert_true (g_file_test (young_e->dir, G_FILE_TEST_IS_DIR));
  g_assert_cmpuint (count (f, "SELECT COUNT(*) FROM recordings WHERE state = 'expired'"), ==, 2);
}

/* ---- jobs on real recordings ---------------------------------------------- */

static void
wait_idle (HzRecordingJobs *jobs)
{
  while (!hz_recording_jobs_is_idle (jobs))
    g_main_context_iteration (NULL, TRUE);
}

static void
job_done (const char *id, const GError *error, gpointer data)
{
  g_assert_no_error (error);
  (*(guint *) data)++;
}

static void
assert_composed (Fixture *f, const char *id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HzRecordingEntry) e = hz_recording_catalog_get (f->cat, id, &error);
  g_autofree char *path = NULL, *contents = NULL, *sum = NULL;
  g_autoptr(HzRecordingInfo) manifest = NULL;
  g_autoptr(GstDiscovererInfo) disc = NULL;
  gsize len = 0;

  g_assert_no_error (error);
  g_assert_cmpstr (hz_recording_state_to_string (e->state), ==, "composed");
  g_assert_cmpfloat (e->compose_progress, ==, 1.0);
  g_assert_cmpstr (e->composed_file, ==, HZ_RECORDING_COMPOSED_WEBM);
  path = hz_recording_entry_media_path (e, -1, &error);
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
  sum = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guint8 *) contents, len);
  g_assert_cmpstr (e->composed_sha256, ==, sum);
  g_assert_cmpuint (e->composed_size, ==, len);
  manifest = hz_recording_info_load (e->dir, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (manifest->composed_file, ==, HZ_RECORDING_COMPOSED_WEBM);
  disc = test_discover (path);
  g_assert_cmpint (test_duration_ms (disc), >=, SRC_SECONDS * 1000 - 500);
  g_assert_cmpint (test_duration_ms (disc), <=, SRC_SECONDS * 1000 + 500);
}

static void
test_jobs_compose (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HzRecordingInfo) info = test_make_recording (f->dir, "room-c", "Compose me", TRUE, NULL);
  g_autoptr(HzRecordingJobs) jobs = hz_recording_jobs_new (f->cat, NULL);
  HzRecordingMeta meta = { "teaching", "Course", NULL, "Inst" };
  g_autofree char *id = hz_recording_catalog_add (f->cat, &meta, info, &error);
  g_autoptr(HzRecordingEntry) during = NULL;
  guint done = 0;

  g_assert_no_error (error);
  hz_recording_jobs_set_on_done (jobs, job_done, &done);
  g_assert_true (hz_recording_jobs_enqueue (jobs, id, &error));
  g_assert_true (hz_recording_jobs_enqueue (jobs, id, &error)); /* ignored: already running */
  g_assert_false (hz_recording_jobs_is_idle (jobs));
  during = hz_recording_catalog_get (f->cat, id, &error);
  g_assert_cmpint (during->state, ==, HZ_RECORDING_STATE_COMPOSING);
  wait_idle (jobs);
  g_assert_cmpuint (done, ==, 1);
  assert_composed (f, id);
  g_assert_false (hz_recording_jobs_enqueue (jobs, "rec-missing", &error));
  g_assert_error (error, HZ_ROOM_STORE_ERROR, HZ_ROOM_STORE_ERROR_NOT_FOUND);
}

static void
test_jobs_recover (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autoptr(HzRecordingInfo) none = test_make_recording (f->dir, "room-k", "Killed", FALSE, &dir);
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *lost_dir = g_build_filename (f->dir, "recordings", "lost", NULL);
  g_autofree char *id = NULL, *lost = NULL;
  g_autoptr(HzRecordingJobs) jobs = NULL;
  g_autoptr(HzRecordingEntry) e = NULL, l = NULL;
  guint done = 0;

  g_assert_null (none);
  /* the live orchestration had begun an entry; the process then died */
  id = hz_recording_catalog_begin (f->cat, NULL, "room-k", "Killed", dir, now, &error);
  g_assert_no_error (error);
  lost = hz_recording_catalog_begin (f->cat, NULL, "room-l", "Lost", lost_dir, now, &error);
  g_assert_no_error (error);

  jobs = hz_recording_jobs_new (f->cat, NULL);
  hz_recording_jobs_set_on_done (jobs, job_done, &done);
  g_assert_cmpuint (hz_recording_jobs_recover (jobs, f->dir), ==, 1);
  wait_idle (jobs);
  g_assert_cmpuint (done, ==, 1);
  e = hz_recording_catalog_get (f->cat, id, &error);
  g_assert_no_error (error);
  g_assert_true (e->recovered);
  g_assert_cmpuint (e->tracks->len, ==, 2);
  g_assert_cmpint (e->duration_ms, >=, SRC_SECONDS * 1000 - 500);
  assert_composed (f, id);
  l = hz_recording_catalog_get (f->cat, lost, &error);
  g_assert_cmpint (l->state, ==, HZ_RECORDING_STATE_FAILED);
  g_assert_nonnull (l->error);
  /* a second start-up finds nothing left to do */
  g_assert_cmpuint (hz_recording_jobs_recover (jobs, f->dir), ==, 0);
  g_assert_true (hz_recording_jobs_is_idle (jobs));
}

int
main (int argc, char **argv)
{
  gst_init (NULL, NULL);
  g_test_init (&argc, &argv, NULL);
#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/recording-catalog/add-get-upsert", test_add_get_upsert);
  ADD ("/recording-catalog/search", test_search);
  ADD ("/recording-catalog/states", test_states);
  ADD ("/recording-catalog/retention", test_retention);
  ADD ("/recording-jobs/compose", test_jobs_compose);
  ADD ("/recording-jobs/recover", test_jobs_recover);
  return g_test_run ();
}
