/* hz-recording-jobs: compose queue, start-up recovery and retention timer.
 * See hz-recording-jobs.h. */
#include "hz-recording-jobs.h"

#include <glib/gstdio.h>

#include "hz-recording-compose.h"
#include "hz-recording-upload.h"

/* One compose job, shared by the queue and its thread; the thread only
 * touches dir, out_path, cancellable and permille. */
typedef struct {
  gint refcount;
  HzRecordingJobs *jobs; /* NULL once the queue was freed */
  char *id;
  char *dir;
  char *out_path;
  GCancellable *cancellable;
  gint permille;         /* atomic: last progress from the thread */
  gint idle_pending;     /* atomic: a progress idle is scheduled */
  gint written;          /* main thread: last permille written to the catalog */
  guint64 size;          /* results, read after the thread returned */
  char *sha256;
} HzComposeJob;

struct _HzRecordingJobs {
  HzRecordingCatalog *catalog;
  char *composed_name;
  GMainContext *context;
  GQueue queue;          /* char* ids waiting */
  HzComposeJob *running;
  HzRecordingJobDoneFunc on_done;
  gpointer on_done_data;
  GSource *retention;
  guint years_consult, years_teaching;
  HzRecordingUpload *upload; /* S3 storage, or NULL */
};

static HzComposeJob *
hz_compose_job_ref (HzComposeJob *job)
{
  g_atomic_int_inc (&job->refcount);
  return job;
}

static void
hz_compose_job_unref (HzComposeJob *job)
{
  if (!g_atomic_int_dec_and_test (&job->refcount))
    return;
  g_free (job->id);
  g_free (job->dir);
  g_free (job->out_path);
  g_object_unref (job->cancellable);
  g_free (job->sha256);
  g_free (job);
}

HzRecordingJobs *
hz_recording_jobs_new (HzRecordingCatalog *catalog, const char *composed_name)
{
  HzRecordingJobs *self;

  g_return_val_if_fail (catalog != NULL, NULL);
  self = g_new0 (HzRecordingJobs, 1);
  self->catalog = catalog;
  self->composed_name = g_strdup (composed_name != NULL ? composed_name : HZ_RECORDING_COMPOSED_WEBM);
  self->context = g_main_context_ref_thread_default ();
  g_queue_init (&self->queue);
  return self;
}

void
hz_recording_jobs_free (HzRecordingJobs *self)
{
  if (self == NULL)
    return;
  if (self->running != NULL) {
    self->running->jobs = NULL;
    g_cancellable_cancel (self->running->cancellable);
  }
  hz_recording_jobs_start_retention (self, 0, 0, 0);
  g_clear_pointer (&self->upload, hz_recording_upload_free);
  g_queue_clear_full (&self->queue, g_free);
  g_main_context_unref (self->context);
  g_free (self->composed_name);
  g_free (self);
}

void
hz_recording_jobs_set_on_done (HzRecordingJobs *self, HzRecordingJobDoneFunc func, gpointer user_data)
{
  g_return_if_fail (self != NULL);
  self->on_done = func;
  self->on_done_data = user_data;
}

gboolean
hz_recording_jobs_is_idle (HzRecordingJobs *self)
{
  g_return_val_if_fail (self != NULL, TRUE);
  return self->running == NULL && g_queue_is_empty (&self->queue);
}

/* ---- the thread ---------------------------------------------------------- */

static gboolean
hz_compose_progress_idle (gpointer data)
{
  HzComposeJob *job = data;
  gint permille;
  g_autoptr(GError) error = NULL;

  g_atomic_int_set (&job->idle_pending, 0);
  permille = g_atomic_int_get (&job->permille);
  /* one write per percent at most: the catalog is a database */
  if (job->jobs != NULL && permille - job->written >= 10 && permille < 1000) {
    job->written = permille;
    if (!hz_recording_catalog_set_progress (job->jobs->catalog, job->id, permille / 1000.0, &error))
      g_warning ("compose %s: progress not stored: %s", job->id, error->message);
  }
  return G_SOURCE_REMOVE;
}

/* In the job's thread. */
static void
hz_compose_progress (double fraction, gpointer data)
{
  HzComposeJob *job = data;

  g_atomic_int_set (&job->permille, (gint) (CLAMP (fraction, 0.0, 1.0) * 1000));
  if (g_atomic_int_compare_and_exchange (&job->idle_pending, 0, 1) && job->jobs != NULL) {
    GSource *src = g_idle_source_new ();
    g_source_set_callback (src, hz_compose_progress_idle, hz_compose_job_ref (job),
                           (GDestroyNotify) hz_compose_job_unref);
    g_source_attach (src, job->jobs->context);
    g_source_unref (src);
  }
}

static void
hz_compose_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  HzComposeJob *job = task_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(HzRecordingInfo) info = NULL;
  g_autofree char *base = g_path_get_basename (job->out_path);

  if (!hz_recording_compose (job->dir, job->out_path, cancellable, hz_compose_progress, job, &error)) {
    g_task_return_error (task, g_steal_pointer (&error));
    return;
  }
  job->sha256 = hz_recording_file_sha256 (job->out_path, &job->size, &error);
  if (job->sha256 == NULL) {
    g_task_return_error (task, g_steal_pointer (&error));
    return;
  }
  /* the manifest names the composed file too, so a rebuilt catalog finds it */
  info = hz_recording_info_load (job->dir, &error);
  if (info != NULL) {
    g_free (info->composed_file);
    info->composed_file = g_strdup (base);
  }
  if (info == NULL || !hz_recording_info_save (info, &error)) {
    g_task_return_error (task, g_steal_pointer (&error));
    return;
  }
  g_task_return_boolean (task, TRUE);
}

static void hz_recording_jobs_next (HzRecordingJobs *self);

static void
hz_compose_done (GObject *source, GAsyncResult *result, gpointer data)
{
  HzComposeJob *job = data;
  HzRecordingJobs *self = job->jobs;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) store_error = NULL;
  g_autofree char *base = g_path_get_basename (job->out_path);
  gboolean ok = g_task_propagate_boolean (G_TASK (result), &error);

  if (self == NULL) { /* the queue was freed meanwhile */
    hz_compose_job_unref (job);
    return;
  }
  self->running = NULL;
  if (ok) {
    g_message ("compose %s: %s done (%" G_GUINT64_FORMAT " bytes)", job->id, job->out_path, job->size);
    ok = hz_recording_catalog_set_composed (self->catalog, job->id, base, job->size, job->sha256,
                                            &store_error);
  } else {
    g_warning ("compose %s failed: %s", job->id, error->message);
    ok = hz_recording_catalog_set_state (self->catalog, job->id, HZ_RECORDING_STATE_FAILED,
                                         error->message, &store_error);
  }
  if (!ok)
    g_warning ("compose %s: catalog not updated: %s", job->id, store_error->message);
  /* composed or not, the files are final now: to the store with them */
  g_clear_error (&store_error);
  if (self->upload != NULL && !hz_recording_upload_add (self->upload, job->id, &store_error))
    g_warning ("recording %s: files not queued for upload: %s", job->id, store_error->message);
  if (self->on_done != NULL)
    self->on_done (job->id, error, self->on_done_data);
  hz_compose_job_unref (job);
  hz_recording_jobs_next (self);
}

static void
hz_recording_jobs_next (HzRecordingJobs *self)
{
  while (self->running == NULL && !g_queue_is_empty (&self->queue)) {
    g_autofree char *id = g_queue_pop_head (&self->queue);
    g_autoptr(GError) error = NULL;
    g_autoptr(HzRecordingEntry) entry = hz_recording_catalog_get (self->catalog, id, &error);
    g_autoptr(GTask) task = NULL;
    HzComposeJob *job;

    if (entry == NULL ||
        !hz_recording_catalog_set_state (self->catalog, id, HZ_RECORDING_STATE_COMPOSING, NULL, &error)) {
      g_warning ("compose %s not started: %s", id, error->message);
      continue;
    }
    job = g_new0 (HzComposeJob, 1);
    job->refcount = 1;
    job->jobs = self;
    job->id = g_steal_pointer (&id);
    job->dir = g_strdup (entry->dir);
    job->out_path = g_build_filename (entry->dir, self->composed_name, NULL);
    job->cancellable = g_cancellable_new ();
    self->running = job;
    /* the task's callback owns the job's first reference */
    task = g_task_new (NULL, job->cancellable, hz_compose_done, job);
    g_task_set_task_data (task, hz_compose_job_ref (job), (GDestroyNotify) hz_compose_job_unref);
    g_task_run_in_thread (task, hz_compose_thread);
  }
}

static gboolean
hz_str_in_queue (GQueue *queue, const char *id)
{
  return g_queue_find_custom (queue, id, (GCompareFunc) g_strcmp0) != NULL;
}

gboolean
hz_recording_jobs_enqueue (HzRecordingJobs *self, const char *id, GError **error)
{
  g_autoptr(HzRecordingEntry) entry = NULL;

  g_return_val_if_fail (self != NULL && id != NULL, FALSE);
  if ((self->running != NULL && g_strcmp0 (self->running->id, id) == 0) ||
      hz_str_in_queue (&self->queue, id))
    return TRUE;
  entry = hz_recording_catalog_get (self->catalog, id, error);
  if (entry == NULL)
    return FALSE;
  if (entry->state == HZ_RECORDING_STATE_RECORDING || entry->state == HZ_RECORDING_STATE_EXPIRED) {
    g_set_error (error, HZ_ROOM_STORE_ERROR, HZ_ROOM_STORE_ERROR_INVALID_STATE,
                 "recording %s is %s: nothing to compose", id, hz_recording_state_to_string (entry->state));
    return FALSE;
  }
  /* "composing" shows in the API from now on, queued or running */
  if (!hz_recording_catalog_set_state (self->catalog, id, HZ_RECORDING_STATE_COMPOSING, NULL, error))
    return FALSE;
  g_queue_push_tail (&self->queue, g_strdup (id));
  hz_recording_jobs_next (self);
  return TRUE;
}

gboolean
hz_recording_jobs_use_s3 (HzRecordingJobs *self, const char *endpoint, const char *region,
                          const char *bucket, const char *access_key, const char *secret_key,
                          gboolean keep_local, GError **error)
{
  HzS3 *s3;
  guint pending;

  g_return_val_if_fail (self != NULL && self->upload == NULL, FALSE);
  if (endpoint == NULL || endpoint[0] == '\0')
    return TRUE;
  s3 = hz_s3_new (endpoint, region, bucket, access_key, secret_key, error);
  if (s3 == NULL)
    return FALSE;
  /* hz-s3 retries a request a few times; the uploader retries the file */
  hz_s3_set_retries (s3, 3, 500);
  self->upload = hz_recording_upload_new (self->catalog, s3, keep_local);
  pending = hz_recording_upload_resume (self->upload);
  g_message ("recordings: stored in %s/%s%s, %u files waiting for upload", endpoint, bucket,
             keep_local ? " (local copies kept)" : "", pending);
  return TRUE;
}

HzRecordingUpload *
hz_recording_jobs_get_upload (HzRecordingJobs *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->upload;
}

/* ---- start-up recovery ---------------------------------------------------- */

static void
hz_recording_jobs_requeue (HzRecordingJobs *self, HzRecordingState state)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) ids = hz_recording_catalog_ids_in_state (self->catalog, state, &error);

  for (guint i = 0; ids != NULL && i < ids->len; i++) {
    if (!hz_recording_jobs_enqueue (self, g_ptr_array_index (ids, i), &error)) {
      g_warning ("recovery: compose of %s not queued: %s", (char *) g_ptr_array_index (ids, i),
                 error->message);
      g_clear_error (&error);
    }
  }
  if (ids == NULL)
    g_warning ("recovery: catalog not readable: %s", error->message);
}

/* Entries left "recording" by a crash whose directory was not recoverable. */
static void
hz_recording_jobs_fail_orphans (HzRecordingJobs *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) ids = hz_recording_catalog_ids_in_state (self->catalog, HZ_RECORDING_STATE_RECORDING,
                                                                &error);

  for (guint i = 0; ids != NULL && i < ids->len; i++) {
    const char *id = g_ptr_array_index (ids, i);
    g_autoptr(HzRecordingEntry) e = hz_recording_catalog_get (self->catalog, id, NULL);
    g_autofree char *timeline = e != NULL ? g_build_filename (e->dir, HZ_RECORDING_TIMELINE, NULL) : NULL;

    if (e != NULL && !g_file_test (timeline, G_FILE_TEST_EXISTS) &&
        !hz_recording_catalog_set_state (self->catalog, id, HZ_RECORDING_STATE_FAILED,
                                         "the process stopped and the session left no files", &error)) {
      g_warning ("recovery: %s: %s", id, error->message);
      g_clear_error (&error);
    }
  }
}

guint
hz_recording_jobs_recover (HzRecordingJobs *self, const char *data_dir)
{
  g_autoptr(GPtrArray) dirs = NULL;
  HzRoomStore *store;
  guint n = 0;

  g_return_val_if_fail (self != NULL && data_dir != NULL, 0);
  store = hz_recording_catalog_get_store (self->catalog);
  dirs = hz_recording_find_unfinished (data_dir);
  for (guint i = 0; dirs != NULL && i < dirs->len; i++) {
    const char *dir = g_ptr_array_index (dirs, i);
    g_autoptr(GError) error = NULL;
    g_autoptr(HzRecordingInfo) info = hz_recording_recover (dir, &error);
    g_autoptr(HzRoom) room = NULL;
    g_autofree char *id = NULL;
    HzRecordingMeta meta = { NULL };

    if (info == NULL) {
      g_warning ("recovery: %s not recovered: %s", dir, error->message);
      continue;
    }
    room = hz_room_store_get (store, info->room_id, NULL);
    if (room != NULL) {
      meta.room_kind = hz_room_kind_to_string (room->kind);
      meta.institution = room->host_institution;
    }
    id = hz_recording_catalog_add (self->catalog, &meta, info, &error);
    if (id == NULL) {
      g_warning ("recovery: %s not catalogued: %s", dir, error->message);
      continue;
    }
    g_message ("recovery: recording %s of room %s recovered from %s (%" G_GINT64_FORMAT " ms)", id,
               info->room_id, dir, info->duration_ms);
    n++;
  }
  hz_recording_jobs_fail_orphans (self);
  /* a compose the crash interrupted, then the ones never started */
  hz_recording_jobs_requeue (self, HZ_RECORDING_STATE_COMPOSING);
  hz_recording_jobs_requeue (self, HZ_RECORDING_STATE_FINISHED);
  return n;
}

/* ---- retention ------------------------------------------------------------ */

static gboolean
hz_recording_jobs_retention_tick (gpointer data)
{
  HzRecordingJobs *self = data;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GError) error = NULL;
  guint n = hz_recording_catalog_expire (self->catalog, now, self->years_consult,
                                         self->years_teaching, &error);

  if (error != NULL)
    g_warning ("retention: stopped after %u recordings: %s", n, error->message);
  return G_SOURCE_CONTINUE;
}

void
hz_recording_jobs_start_retention (HzRecordingJobs *self, guint interval_s, guint years_consult,
                                   guint years_teaching)
{
  g_return_if_fail (self != NULL);
  if (self->retention != NULL) {
    g_source_destroy (self->retention);
    g_clear_pointer (&self->retention, g_source_unref);
  }
  self->years_consult = years_consult;
  self->years_teaching = years_teaching;
  if (interval_s == 0)
    return;
  hz_recording_jobs_retention_tick (self);
  self->retention = g_timeout_source_new_seconds (interval_s);
  g_source_set_callback (self->retention, hz_recording_jobs_retention_tick, self, NULL);
  g_source_attach (self->retention, self->context);
}
