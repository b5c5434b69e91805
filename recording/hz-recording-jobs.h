/* hz-recording-jobs: the background work of the recordings library.
 *
 * Owns: the compose queue (one job at a time, run in a thread of its own:
 * hz_recording_compose, then the composed file's SHA-256 and the manifest's
 * "composed" member), its progress and result written to the catalog from
 * the creator's GMainContext, the start-up recovery of sessions a crash
 * interrupted (find unfinished, repair, manifest, catalog upsert, compose),
 * the retention timer that calls hz_recording_catalog_expire, and, with
 * S3 storage on, the uploader (hz-recording-upload.h) each finished
 * recording's files go to once its compose job ended.
 *
 * Create it on the control-plane thread, whose GMainContext is
 * thread-default then: every catalog write happens there.
 */
#pragma once

#include "hz-recording-catalog.h"

G_BEGIN_DECLS

/* The composed file's name inside the recording directory. */
#define HZ_RECORDING_COMPOSED_WEBM "composed.webm"
#define HZ_RECORDING_COMPOSED_MP4 "composed.mp4"

typedef struct _HzRecordingJobs HzRecordingJobs;

/* Called in the creator's context after each compose job ends; @error NULL
 * on success. */
typedef void (*HzRecordingJobDoneFunc) (const char *recording_id, const GError *error,
                                        gpointer user_data);

/* @composed_name: HZ_RECORDING_COMPOSED_WEBM (NULL: the default) or _MP4. */
HzRecordingJobs *hz_recording_jobs_new (HzRecordingCatalog *catalog, const char *composed_name);
/* Cancels the running job (its .part file is removed) and drops the queue. */
void hz_recording_jobs_free (HzRecordingJobs *self);
void hz_recording_jobs_set_on_done (HzRecordingJobs *self, HzRecordingJobDoneFunc func,
                                    gpointer user_data);

/* Queues a compose of catalog entry @id (state "composing" now, progress 0
 * .. 1 while it runs; "composed" with file, size and checksum, or "failed"
 * with the reason). A second enqueue of a queued or running id is ignored. */
gboolean hz_recording_jobs_enqueue (HzRecordingJobs *self, const char *id, GError **error);
/* TRUE when nothing runs or waits. */
gboolean hz_recording_jobs_is_idle (HzRecordingJobs *self);

/* Stores recordings in S3-compatible storage ([storage] s3_*): creates the
 * uploader (owned by @self from then on) and resumes the uploads a stop
 * or an outage left pending. @endpoint NULL: local only, nothing happens.
 * FALSE only on an unusable endpoint, bucket or key. */
gboolean hz_recording_jobs_use_s3 (HzRecordingJobs *self, const char *endpoint, const char *region,
                                   const char *bucket, const char *access_key, const char *secret_key,
                                   gboolean keep_local, GError **error);
/* The uploader, or NULL when S3 storage is off. */
HzRecordingUpload *hz_recording_jobs_get_upload (HzRecordingJobs *self);

/* Start-up: recovers each session under @data_dir a crash left without a
 * manifest (hz_recording_find_unfinished, hz_recording_recover), upserts it
 * into the catalog (room kind and institution from the rooms table when the
 * room is known) and queues its compose; entries left "composing" or
 * "finished" are queued again, entries left "recording" whose directory
 * has no timeline any more are marked "failed". Blocking (repair remuxes
 * each track): run it before serving. Returns how many were recovered;
 * one session that cannot be recovered is logged and skipped. */
guint hz_recording_jobs_recover (HzRecordingJobs *self, const char *data_dir);

/* Runs hz_recording_catalog_expire now and then every @interval_s seconds
 * (0 stops the timer) with these years per room kind. */
void hz_recording_jobs_start_retention (HzRecordingJobs *self, guint interval_s,
                                        guint years_consult, guint years_teaching);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HzRecordingJobs, hz_recording_jobs_free)

G_END_DECLS
