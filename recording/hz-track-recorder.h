/* hz-track-recorder: records one forwarded RTP track into a Matroska/WebM file.
 *
 * Owns: one GStreamer pipeline per track,
 *   appsrc (application/x-rtp) → rtpjitterbuffer (200 ms, do-lost) → depayloader
 *   → parser (H.264) → webmmux/matroskamux → filesink (unbuffered),
 * the bounded hand-over from the media worker thread (push_rtp never blocks:
 * a full queue drops the packet and counts it), and the error report when the
 * file cannot be written.
 *
 * Crash safety: the muxer runs in non-streamable mode, so the header carries
 * an "unknown size" segment that players read to its end; the file is written
 * to the kernel packet by packet (no user-space buffering), so SIGKILL loses
 * at most the last block. A clean stop seeks back and writes duration and
 * cues; a file left by a crash gets them from hz_recording_repair().
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define HZ_RECORDING_ERROR (hz_recording_error_quark ())
GQuark hz_recording_error_quark (void);

typedef enum {
  HZ_RECORDING_ERROR_PIPELINE, /* a GStreamer element is missing or refused to start */
  HZ_RECORDING_ERROR_WRITE,    /* the file or directory cannot be written (disk full...) */
  HZ_RECORDING_ERROR_TIMEOUT,  /* the file was not finalized in time */
  HZ_RECORDING_ERROR_INVALID,  /* bad argument or unreadable manifest/file */
  HZ_RECORDING_ERROR_STATE,    /* the recorder already failed or stopped */
} HzRecordingError;

typedef enum {
  HZ_REC_CODEC_OPUS,
  HZ_REC_CODEC_VP8,
  HZ_REC_CODEC_H264,
} HzRecCodec;

/* "opus", "vp8", "h264"; "audio" or "video"; file extension "webm" or "mkv". */
const char *hz_rec_codec_to_string (HzRecCodec codec);
gboolean hz_rec_codec_from_string (const char *str, HzRecCodec *codec);
const char *hz_rec_codec_kind (HzRecCodec codec);
const char *hz_rec_codec_extension (HzRecCodec codec);

typedef struct _HzTrackRecorder HzTrackRecorder;

/* Called once when the recorder fails while running (e.g. disk full); it has
 * then stopped accepting packets. Runs in the GMainContext that was
 * thread-default when the recorder was created. @error is borrowed. */
typedef void (*HzTrackRecorderErrorFunc) (HzTrackRecorder *rec, const GError *error,
                                          gpointer user_data);

typedef struct {
  guint64 packets_in;       /* accepted into the queue */
  guint64 packets_dropped;  /* queue full, recorder failed or stopped */
} HzTrackRecorderStats;

/* Builds the pipeline and opens @path for writing (its directory must exist).
 * Fails with HZ_RECORDING_ERROR_WRITE when the file cannot be created. */
HzTrackRecorder *hz_track_recorder_new (const char *path, HzRecCodec codec, guint pt,
                                        guint clock_rate, GError **error);
void hz_track_recorder_set_on_error (HzTrackRecorder *rec, HzTrackRecorderErrorFunc func,
                                     gpointer user_data);

/* Hot path, any thread: copies @buf (a plaintext RTP packet) into a pooled
 * buffer stamped with @arrival_us (g_get_monotonic_time() clock) and queues
 * it. Never blocks; drops and counts when the queue is full. */
void hz_track_recorder_push_rtp (HzTrackRecorder *rec, const guint8 *buf, gsize len,
                                 gint64 arrival_us);

/* Sends EOS and waits (bounded) until the file is finalized. Not from the
 * media worker thread. Returns the failure if the recorder failed. */
gboolean hz_track_recorder_stop (HzTrackRecorder *rec, GError **error);

/* Monotonic µs of the first accepted packet, or 0 if none arrived yet. */
gint64 hz_track_recorder_get_first_arrival_us (HzTrackRecorder *rec);
/* Monotonic µs of the file's time zero (the first frame muxed), 0 if none yet. */
gint64 hz_track_recorder_get_media_start_us (HzTrackRecorder *rec);
/* Highest media time (ns from the file's start) handed to the muxer. */
guint64 hz_track_recorder_get_muxed_time (HzTrackRecorder *rec);
void hz_track_recorder_get_stats (HzTrackRecorder *rec, HzTrackRecorderStats *stats);
const char *hz_track_recorder_get_path (HzTrackRecorder *rec);
HzRecCodec hz_track_recorder_get_codec (HzTrackRecorder *rec);

/* Stops (without waiting for a clean finish if it was not stopped) and frees.
 * The media worker must have stopped calling push_rtp on @rec before. */
void hz_track_recorder_free (HzTrackRecorder *rec);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HzTrackRecorder, hz_track_recorder_free)

G_END_DECLS
