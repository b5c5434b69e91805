/* hz-rec-timeline: the event timeline of one recording.
 *
 * Owns: a JSON-lines file beside the track files, one object per event
 * (join, leave, chat, share, promote, demote, recording_start,
 * recording_stop, track_start, ...), each with "event", "time" (RFC 3339
 * wall clock, ms precision), "media_ms" (offset from the recording's start)
 * and the caller's fields. Each line reaches the kernel when it is logged;
 * fsync follows at most HZ_REC_TIMELINE_SYNC_MS later (a timer in the
 * thread-default GMainContext of the creator) so a power cut loses at most
 * about a second. Safe to use from several threads.
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define HZ_REC_TIMELINE_SYNC_MS 1000

typedef struct _HzRecTimeline HzRecTimeline;

/* Opens @path for appending. @start_wall_us is the recording's start on the
 * real-time clock (g_get_real_time()), @start_mono_us the same instant on the
 * monotonic clock: media offsets and wall times derive from them. */
HzRecTimeline *hz_rec_timeline_new (const char *path, gint64 start_wall_us,
                                    gint64 start_mono_us, GError **error);
/* Appends one event at monotonic time @mono_us (< 0: now). @fields (nullable,
 * borrowed) adds members; "event", "time" and "media_ms" are reserved. */
gboolean hz_rec_timeline_log (HzRecTimeline *tl, gint64 mono_us, const char *event,
                              JsonObject *fields, GError **error);
/* Convenience: string key/value pairs ending with NULL. */
gboolean hz_rec_timeline_log_simple (HzRecTimeline *tl, const char *event, GError **error,
                                     const char *first_key, ...) G_GNUC_NULL_TERMINATED;
/* fsync now if anything was written since the last one. */
gboolean hz_rec_timeline_sync (HzRecTimeline *tl, GError **error);
const char *hz_rec_timeline_get_path (HzRecTimeline *tl);
/* Syncs and closes. */
void hz_rec_timeline_free (HzRecTimeline *tl);

/* Reads a timeline back, skipping a torn last line left by a crash.
 * Returns JsonObject* elements. */
GPtrArray *hz_rec_timeline_load (const char *path, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HzRecTimeline, hz_rec_timeline_free)

G_END_DECLS
