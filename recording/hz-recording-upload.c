/* hz-recording-upload: recordings moved to S3-compatible storage. See
 * hz-recording-upload.h. */
#include "hz-recording-upload.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#include "hz-recording-s3-stream.h"

/* One upload, shared by the queue and its thread; the thread only reads
 * key and path and uses s3. */
typedef struct {
  gint refcount;
  HzRecordingUpload *up; /* NULL once the uploader was freed */
  char *id;
  char *file;
  char *key;
  char *path;
  HzS3Shared *s3;
  GCancellable *cancellable;
} HzUploadJob;

struct _HzRecordingUpload {
  HzRecordingCatalog *catalog;
  HzDb *db;
  HzS3Shared *s3;
  gboolean keep_local;
  GMainContext *context;
  HzUploadJob *running;
  GSource *retry;          /* the wait after a failure */
  guint failures;          /* in a row */
  guint first_ms, max_ms;
};

char *
hz_recording_upload_key (const char *id, const char *file)
{
  return g_strdup_printf ("recordings/%s/%s", id, file);
}

static HzUploadJob *
hz_upload_job_ref (HzUploadJob *job)
{
  g_atomic_int_inc (&job->refcount);
  return job;
}

static void
hz_upload_job_unref (HzUploadJob *job)
{
  if (!g_atomic_int_dec_and_test (&job->refcount))
    return;
  g_free (job->id);
  g_free (job->file);
  g_free (job->key);
  g_free (job->path);
  hz_s3_shared_unref (job->s3);
  g_object_unref (job->cancellable);
  g_free (job);
}

HzRecordingUpload *
hz_recording_upload_new (HzRecordingCatalog *catalog, HzS3 *s3, gboolean keep_local)
{
  HzRecordingUpload *self;

  g_return_val_if_fail (catalog != NULL && s3 != NULL, NULL);
  self = g_new0 (HzRecordingUpload, 1);
  self->catalog = catalog;
  self->db = hz_room_store_get_db (hz_recording_catalog_get_store (catalog));
  self->s3 = hz_s3_shared_new (s3);
  self->keep_local = keep_local;
  self->context = g_main_context_ref_thread_default ();
  self->first_ms = HZ_RECORDING_UPLOAD_BACKOFF_FIRST_MS;
  self->max_ms = HZ_RECORDING_UPLOAD_BACKOFF_MAX_MS;
  hz_recording_catalog_set_upload (catalog, self);
  return self;
}

static void
hz_recording_upload_clear_retry (HzRecordingUpload *self)
{
  if (self->retry != NULL) {
    g_source_destroy (self->retry);
    g_clear_pointer (&self->retry, g_source_unref);
  }
}

void
hz_recording_upload_free (HzRecordingUpload *self)
{
  if (self == NULL)
    return;
  if (self->running != NULL) {
    self->running->up = NULL;
    g_cancellable_cancel (self->running->cancellable);
  }
  hz_recording_upload_clear_retry (self);
  if (hz_recording_catalog_get_upload (self->catalog) == self)
    hz_recording_catalog_set_upload (self->catalog, NULL);
  hz_s3_shared_unref (self->s3);
  g_main_context_unref (self->context);
  g_free (self);
}

void
hz_recording_upload_set_backoff (HzRecordingUpload *self, guint first_ms, guint max_ms)
{
  g_return_if_fail (self != NULL && first_ms > 0);
  self->first_ms = first_ms;
  self->max_ms = MAX (max_ms, first_ms);
}

static char *
hz_now_text (void)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  return hz_db_time_to_text (now);
}

/* The manifest and the timeline stay local as well: the catalog detail
 * reads the timeline, crash recovery looks for the manifest. */
static gboolean
hz_file_stays_local (const char *file)
{
  return g_strcmp0 (file, HZ_RECORDING_MANIFEST) == 0 || g_strcmp0 (file, HZ_RECORDING_TIMELINE) == 0;
}

/* ---- the queue ------------------------------------------------------------------ */

static void hz_recording_upload_next (HzRecordingUpload *self);

static void
hz_upload_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  HzUploadJob *job = data;
  GError *error = NULL;

  /* the bucket once per process; "already exists" answers are fine */
  if (!g_atomic_int_get (&job->s3->bucket_ready)) {
    g_autoptr(GError) bucket_error = NULL;
    if (hz_s3_create_bucket (job->s3->s3, &bucket_error) ||
        g_error_matches (bucket_error, HZ_S3_ERROR, HZ_S3_ERROR_REFUSED))
      g_atomic_int_set (&job->s3->bucket_ready, 1);
  }
  if (!hz_s3_put_file (job->s3->s3, job->key, job->path, cancellable, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static gboolean
hz_upload_update (HzRecordingUpload *self, const char *sql, const char *const *params, guint n)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HzDbRows) rows = hz_db_query (self->db, sql, params, n, &error);

  if (rows == NULL)
    g_warning ("upload: catalog not updated: %s", error->message);
  return rows != NULL;
}

static gboolean
hz_upload_row_exists (HzRecordingUpload *self, const char *id, const char *file)
{
  const char *params[] = { id, file };
  g_autoptr(HzDbRows) rows = hz_db_query (self->db,
    "SELECT 1 FROM recording_files WHERE recording_id = $1 AND file = $2", params, 2, NULL);

  return rows != NULL && rows->n_rows > 0;
}

static void hz_upload_delete_keys (HzRecordingUpload *self, GPtrArray *keys);

static void
hz_upload_succeeded (HzRecordingUpload *self, HzUploadJob *job)
{
  gboolean move = !self->keep_local && !hz_file_stays_local (job->file);
  g_autofree char *now = hz_now_text ();
  const char *params[] = { job->id, job->file, move ? "s3" : "local+s3", now };

  if (!hz_upload_row_exists (self, job->id, job->file)) {
    /* the recording was deleted while its file was on its way */
    g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func (g_free);
    g_ptr_array_add (keys, g_strdup (job->key));
    hz_upload_delete_keys (self, keys);
    return;
  }
  /* the row says "s3" before the local copy goes: a crash in between
   * leaves a copy too many, never none */
  if (!hz_upload_update (self,
        "UPDATE recording_files SET upload = 'uploaded', location = $3, error = NULL, updated_at = $4 "
        "WHERE recording_id = $1 AND file = $2", params, G_N_ELEMENTS (params)))
    return;
  g_message ("upload: %s stored as %s%s", job->path, job->key, move ? ", local copy removed" : "");
  if (move && g_unlink (job->path) != 0 && errno != ENOENT)
    g_warning ("upload: %s not removed: %s", job->path, g_strerror (errno));
}

static gboolean
hz_upload_retry_cb (gpointer data)
{
  HzRecordingUpload *self = data;

  g_clear_pointer (&self->retry, g_source_unref);
  hz_recording_upload_next (self);
  return G_SOURCE_REMOVE;
}

static void
hz_upload_failed (HzRecordingUpload *self, HzUploadJob *job, const GError *error)
{
  g_autofree char *now = hz_now_text ();
  const char *params[] = { job->id, job->file, error->message, now };
  gboolean lost = g_error_matches (error, HZ_S3_ERROR, HZ_S3_ERROR_FILE);
  guint delay;

  if (lost) {
    /* nothing to upload any more: say so, do not retry */
    g_warning ("upload: %s cannot be read: %s", job->path, error->message);
    hz_upload_update (self,
      "UPDATE recording_files SET upload = 'failed', attempts = attempts + 1, error = $3, updated_at = $4 "
      "WHERE recording_id = $1 AND file = $2", params, G_N_ELEMENTS (params));
    return;
  }
  hz_upload_update (self,
    "UPDATE recording_files SET attempts = attempts + 1, error = $3, updated_at = $4 "
    "WHERE recording_id = $1 AND file = $2", params, G_N_ELEMENTS (params));
  self->failures++;
  delay = self->first_ms;
  for (guint i = 1; i < self->failures && delay < self->max_ms; i++)
    delay *= 2;
  delay = MIN (delay, self->max_ms);
  g_warning ("upload: %s failed (%u in a row), next try in %u ms; the local file stays: %s", job->key,
             self->failures, delay, error->message);
  self->retry = g_timeout_source_new (delay);
  g_source_set_callback (self->retry, hz_upload_retry_cb, self, NULL);
  g_source_attach (self->retry, self->context);
}

static void
hz_upload_done (GObject *source, GAsyncResult *result, gpointer data)
{
  HzUploadJob *job = data;
  HzRecordingUpload *self = job->up;
  g_autoptr(GError) error = NULL;
  gboolean ok = g_task_propagate_boolean (G_TASK (result), &error);

  if (self == NULL) { /* freed meanwhile: the row stays pending for the next start */
    hz_upload_job_unref (job);
    return;
  }
  self->running = NULL;
  if (ok) {
    self->failures = 0;
    hz_upload_succeeded (self, job);
  } else {
    hz_upload_failed (self, job, error);
  }
  hz_upload_job_unref (job);
  hz_recording_upload_next (self);
}

/* Starts the oldest pending upload unless one runs or a retry waits. */
static void
hz_recording_upload_next (HzRecordingUpload *self)
{
  while (self->running == NULL && self->retry == NULL) {
    g_autoptr(GError) error = NULL;
    g_autoptr(HzDbRows) rows = hz_db_query (self->db,
      "SELECT f.recording_id, f.file, r.dir FROM recording_files f JOIN recordings r ON r.id = f.recording_id "
      "WHERE f.upload = 'pending' ORDER BY f.attempts, f.updated_at, f.recording_id, f.file LIMIT 1",
      NULL, 0, &error);
    g_autoptr(GTask) task = NULL;
    HzUploadJob *job;

    if (rows == NULL) {
      g_warning ("upload: queue not readable: %s", error->message);
      return;
    }
    if (rows->n_rows == 0)
      return;
    job = g_new0 (HzUploadJob, 1);
    job->refcount = 1;
    job->up = self;
    job->id = g_strdup (hz_db_rows_get (rows, 0, 0));
    job->file = g_strdup (hz_db_rows_get (rows, 0, 1));
    job->key = hz_recording_upload_key (job->id, job->file);
    job->path = g_build_filename (hz_db_rows_get (rows, 0, 2), job->file, NULL);
    job->s3 = hz_s3_shared_ref (self->s3);
    job->cancellable = g_cancellable_new ();
    self->running = job;
    /* the task's callback owns the job's first reference */
    task = g_task_new (NULL, job->cancellable, hz_upload_done, job);
    g_task_set_task_data (task, hz_upload_job_ref (job), (GDestroyNotify) hz_upload_job_unref);
    g_task_run_in_thread (task, hz_upload_thread);
  }
}

/* ---- adding files ----------------------------------------------------------------- */

static gboolean
hz_upload_add_file (HzRecordingUpload *self, const HzRecordingEntry *e, const char *file, GError **error)
{
  g_autofree char *path = NULL, *size = NULL, *now = NULL;
  g_autoptr(HzDbRows) rows = NULL;
  GStatBuf st;

  /* names come from our own manifest; refuse anything that could leave dir */
  if (file == NULL || file[0] == '\0' || file[0] == '.' || strchr (file, '/') != NULL ||
      hz_recording_entry_find_file (e, file) != NULL)
    return TRUE;
  path = g_build_filename (e->dir, file, NULL);
  if (g_stat (path, &st) != 0 || !S_ISREG (st.st_mode))
    return TRUE; /* a track the recorder never wrote: nothing to store */
  size = g_strdup_printf ("%" G_GUINT64_FORMAT, (guint64) st.st_size);
  now = hz_now_text ();
  {
    const char *params[] = { e->id, file, size, now };
    rows = hz_db_query (self->db,
      "INSERT INTO recording_files (recording_id, file, size, location, upload, attempts, updated_at) "
      "VALUES ($1, $2, $3, 'local', 'pending', 0, $4)", params, G_N_ELEMENTS (params), error);
  }
  return rows != NULL;
}

gboolean
hz_recording_upload_add (HzRecordingUpload *self, const char *id, GError **error)
{
  g_autoptr(HzRecordingEntry) e = NULL;
  gboolean ok = TRUE;

  g_return_val_if_fail (self != NULL && id != NULL, FALSE);
  e = hz_recording_catalog_get (self->catalog, id, error);
  if (e == NULL)
    return FALSE;
  if (e->state == HZ_RECORDING_STATE_RECORDING || e->state == HZ_RECORDING_STATE_COMPOSING ||
      e->state == HZ_RECORDING_STATE_EXPIRED) {
    g_set_error (error, HZ_ROOM_STORE_ERROR, HZ_ROOM_STORE_ERROR_INVALID_STATE,
                 "recording %s is %s: its files are not final", id, hz_recording_state_to_string (e->state));
    return FALSE;
  }
  if (!hz_db_begin (self->db, error))
    return FALSE;
  for (guint i = 0; ok && i < e->tracks->len; i++)
    ok = hz_upload_add_file (self, e, ((HzRecordingEntryTrack *) g_ptr_array_index (e->tracks, i))->file, error);
  if (ok)
    ok = hz_upload_add_file (self, e, HZ_RECORDING_TIMELINE, error) &&
         hz_upload_add_file (self, e, HZ_RECORDING_MANIFEST, error) &&
         (e->state != HZ_RECORDING_STATE_COMPOSED || hz_upload_add_file (self, e, e->composed_file, error));
  if (!hz_db_end (self->db, ok, ok ? error : NULL))
    return FALSE;
  if (ok)
    hz_recording_upload_next (self);
  return ok;
}

guint
hz_recording_upload_resume (HzRecordingUpload *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HzDbRows) orphans = NULL, pending = NULL;

  g_return_val_if_fail (self != NULL, 0);
  /* a crash between the end of a compose and the queueing of its files */
  orphans = hz_db_query (self->db,
    "SELECT id FROM recordings r WHERE state IN ('composed', 'failed') AND NOT EXISTS "
    "(SELECT 1 FROM recording_files f WHERE f.recording_id = r.id) ORDER BY started_at", NULL, 0, &error);
  for (guint i = 0; orphans != NULL && i < orphans->n_rows; i++) {
    g_autoptr(GError) add_error = NULL;
    if (!hz_recording_upload_add (self, hz_db_rows_get (orphans, i, 0), &add_error))
      g_warning ("upload: %s not queued: %s", hz_db_rows_get (orphans, i, 0), add_error->message);
  }
  pending = hz_db_query (self->db, "SELECT COUNT(*) FROM recording_files WHERE upload = 'pending'",
                         NULL, 0, &error);
  if (pending == NULL) {
    g_warning ("upload: queue not readable: %s", error->message);
    return 0;
  }
  hz_recording_upload_next (self);
  return (guint) g_ascii_strtoull (hz_db_rows_get (pending, 0, 0), NULL, 10);
}

gboolean
hz_recording_upload_is_idle (HzRecordingUpload *self)
{
  g_autoptr(HzDbRows) rows = NULL;

  g_return_val_if_fail (self != NULL, TRUE);
  if (self->running != NULL || self->retry != NULL)
    return FALSE;
  rows = hz_db_query (self->db, "SELECT 1 FROM recording_files WHERE upload = 'pending' LIMIT 1", NULL, 0, NULL);
  return rows != NULL && rows->n_rows == 0;
}

/* ---- deletion and playback ------------------------------------------------------- */

typedef struct {
  HzS3Shared *s3;
  GPtrArray *keys;
} HzDeleteJob;

static void
hz_delete_job_free (gpointer data)
{
  HzDeleteJob *job = data;

  hz_s3_shared_unref (job->s3);
  g_ptr_array_unref (job->keys);
  g_free (job);
}

static void
hz_delete_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  HzDeleteJob *job = data;

  for (guint i = 0; i < job->keys->len; i++) {
    g_autoptr(GError) error = NULL;
    if (!hz_s3_delete (job->s3->s3, g_ptr_array_index (job->keys, i), &error))
      g_warning ("upload: object %s not deleted: %s", (char *) g_ptr_array_index (job->keys, i), error->message);
  }
  g_task_return_boolean (task, TRUE);
}

static void
hz_upload_delete_keys (HzRecordingUpload *self, GPtrArray *keys)
{
  HzDeleteJob *job = g_new0 (HzDeleteJob, 1);
  g_autoptr(GTask) task = g_task_new (NULL, NULL, NULL, NULL);

  job->s3 = hz_s3_shared_ref (self->s3);
  job->keys = g_ptr_array_ref (keys);
  g_task_set_task_data (task, job, hz_delete_job_free);
  g_task_run_in_thread (task, hz_delete_thread);
}

void
hz_recording_upload_forget (HzRecordingUpload *self, const HzRecordingEntry *entry)
{
  g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func (g_free);

  g_return_if_fail (self != NULL && entry != NULL);
  for (guint i = 0; entry->files != NULL && i < entry->files->len; i++) {
    const HzRecordingEntryFile *f = g_ptr_array_index (entry->files, i);
    if (g_strcmp0 (f->upload, "uploaded") == 0)
      g_ptr_array_add (keys, hz_recording_upload_key (entry->id, f->file));
  }
  if (keys->len > 0)
    hz_upload_delete_keys (self, keys);
}

GInputStream *
hz_recording_upload_open (HzRecordingUpload *self, const char *id, const char *file, guint64 size,
                          guint64 offset, guint64 length)
{
  g_autofree char *key = NULL;

  g_return_val_if_fail (self != NULL && id != NULL && file != NULL, NULL);
  g_return_val_if_fail (offset <= size && length <= size - offset, NULL);
  key = hz_recording_upload_key (id, file);
  return hz_recording_s3_stream_new (self->s3, key, offset, length);
}
