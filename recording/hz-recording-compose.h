/* hz-recording-compose: the composed teaching video of a finished recording.
 *
 * Owns: one GStreamer job per call that reads a recording's manifest and
 * track files and writes a single file: the screen share large with the
 * presenter's camera as a picture-in-picture in the lower right corner (the
 * camera alone when nothing was shared), and every audio track mixed. Tracks
 * are placed by their offsets in the recording. Output by extension:
 * ".webm" VP8 + Opus (default; GStreamer -base/-good only, plays in every
 * browser) or ".mp4" H.264 (openh264enc, -bad) + AAC (avenc_aac, -libav).
 * The output is written to "<out>.part" and renamed when complete; the
 * track files are not touched.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define HZ_COMPOSE_WIDTH 1280
#define HZ_COMPOSE_HEIGHT 720
#define HZ_COMPOSE_FPS 15

/* @fraction in 0..1 from position/duration. */
typedef void (*HzComposeProgressFunc) (double fraction, gpointer user_data);

/* Blocking: runs the job in the calling thread; @progress is called from it. */
gboolean hz_recording_compose (const char *dir, const char *out_path, GCancellable *cancellable,
                               HzComposeProgressFunc progress, gpointer progress_data,
                               GError **error);

/* Runs the job in its own thread. @progress and @callback run in the
 * thread-default GMainContext of the caller. */
void hz_recording_compose_async (const char *dir, const char *out_path,
                                 GCancellable *cancellable, HzComposeProgressFunc progress,
                                 gpointer progress_data, GAsyncReadyCallback callback,
                                 gpointer user_data);
gboolean hz_recording_compose_finish (GAsyncResult *result, GError **error);

G_END_DECLS
