/* hz-recording-s3-stream: playback of a stored recording file.
 *
 * Owns: a GInputStream (and GPollableInputStream) over bytes [offset,
 * offset + length) of one S3 object, filled ahead by worker threads (one
 * GTask per chunk, hz_s3_get_range) into a buffer of at most
 * HZ_S3_STREAM_AHEAD chunks of HZ_S3_STREAM_CHUNK bytes: a whole file is
 * never held. Chunks are cut from @offset, so a reader taking pieces that
 * divide HZ_S3_STREAM_CHUNK (hz-http takes 16 KiB) finds each piece whole
 * once the stream is readable. Reading while nothing is buffered: the
 * pollable read answers G_IO_ERROR_WOULD_BLOCK, the blocking read waits
 * for the chunk ($HZ_S3_STREAM_CHUNK, a multiple of 16 KiB, overrides the
 * chunk size for tests). An object that ends before @offset + @length, or a store
 * that fails after hz-s3's retries, is a read error.
 *
 * HzS3Shared: the client shared by the uploader and the streams still
 * open, freed with the last of them.
 */
#pragma once

#include <gio/gio.h>

#include "hz-s3.h"

G_BEGIN_DECLS

#define HZ_S3_STREAM_CHUNK (1024 * 1024)
#define HZ_S3_STREAM_AHEAD 2

typedef struct {
  HzS3 *s3;
  gint bucket_ready; /* atomic: the uploader created (or found) the bucket */
} HzS3Shared;

/* @s3: (transfer full) */
HzS3Shared *hz_s3_shared_new (HzS3 *s3);
HzS3Shared *hz_s3_shared_ref (HzS3Shared *shared);
void hz_s3_shared_unref (HzS3Shared *shared);

GInputStream *hz_recording_s3_stream_new (HzS3Shared *s3, const char *key, guint64 offset,
                                          guint64 length);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HzS3Shared, hz_s3_shared_unref)

G_END_DECLS
