/* hz-recording-upload: recordings moved to S3-compatible storage.
 *
 * Owns: the persistent upload queue (the recording_files table, migration
 * 5: one row per file of a finished recording, "pending" until the store
 * confirmed it), the uploads themselves (one file at a time, in a GTask
 * thread, through hz-s3: multipart above the part size), the retry of a
 * failed upload with a doubling wait (the local file is never touched
 * before the store confirmed its copy; pending rows resume at the next
 * start), the removal of the local copy once uploaded (unless keep_local;
 * the manifest and the timeline always stay local as well, for the catalog
 * detail and crash recovery), the deletion of a deleted or expired
 * recording's objects, and ranged reads of stored files for playback
 * (hz-recording-s3-stream.h).
 *
 * Object keys: recordings/<recording id>/<file>. Create it on the
 * control-plane thread (its GMainContext thread-default): every catalog
 * write happens there, never in the upload thread.
 */
#pragma once

#include "hz-recording-catalog.h"
#include "hz-s3.h"

G_BEGIN_DECLS

/* The first wait after a failed upload and the longest one. */
#define HZ_RECORDING_UPLOAD_BACKOFF_FIRST_MS 2000
#define HZ_RECORDING_UPLOAD_BACKOFF_MAX_MS (5 * 60 * 1000)

/* @s3: (transfer full). Registers itself with @catalog (which must
 * outlive it). Nothing runs before hz_recording_upload_resume or _add. */
HzRecordingUpload *hz_recording_upload_new (HzRecordingCatalog *catalog, HzS3 *s3, gboolean keep_local);
/* Cancels the running upload (its row stays pending) and unregisters. */
void hz_recording_upload_free (HzRecordingUpload *self);
void hz_recording_upload_set_backoff (HzRecordingUpload *self, guint first_ms, guint max_ms);

/* Queues every file of entry @id (tracks, timeline, manifest, composed
 * file) that is in its directory and has no row yet. Call it once the
 * files are final (the compose job ended). */
gboolean hz_recording_upload_add (HzRecordingUpload *self, const char *id, GError **error);
/* Start-up: composed or failed entries whose files were never queued are
 * queued, then the pending rows are uploaded. Returns how many are pending. */
guint hz_recording_upload_resume (HzRecordingUpload *self);
/* TRUE when no upload runs, waits for a retry, or is pending. */
gboolean hz_recording_upload_is_idle (HzRecordingUpload *self);

/* Removes @entry's objects in the background (deleted or expired entry). */
void hz_recording_upload_forget (HzRecordingUpload *self, const HzRecordingEntry *entry);

/* A pollable stream of bytes [offset, offset + length) of stored file
 * @file of recording @id, @size bytes in all as catalogued: read from the
 * store in bounded chunks by worker threads, never all at once. */
GInputStream *hz_recording_upload_open (HzRecordingUpload *self, const char *id, const char *file,
                                        guint64 size, guint64 offset, guint64 length);

/* "recordings/<id>/<file>" */
char *hz_recording_upload_key (const char *id, const char *file);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HzRecordingUpload, hz_recording_upload_free)

G_END_DECLS
