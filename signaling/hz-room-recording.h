/* hz-room-recording: recording one live room.
 *
 * Owns: the room's HzRecording session while it runs: one track recorder
 * per published track, fed by a tap on the media worker (the decrypted RTP
 * as it arrives, no transcoding), the timeline of what happens in the room
 * (joins, leaves, chat, shares, promotions) and the stop, which finalizes
 * the files off the main thread and hands the finished recording's
 * description to the library. Main context only.
 */
#pragma once

#include <glib.h>

#include "hz-media-room.h"
#include "hz-recording.h"

G_BEGIN_DECLS

typedef struct _HzRoomRecording HzRoomRecording;

/* Called on the main context when the files are final (@info owned by the
 * callee, NULL with @error when stopping failed). */
typedef void (*HzRoomRecordingDone) (const char *room_id, HzRecordingInfo *info, const GError *error,
                                     gpointer user_data);
/* A recorder failed while running (disk full, unwritable directory): the
 * room should stop the recording and say so; the room itself goes on. */
typedef void (*HzRoomRecordingFailed) (const char *room_id, const GError *error, gpointer user_data);

HzRoomRecording *hz_room_recording_start (HzMediaRoom *media, const char *data_dir, const char *room_id,
                                          const char *title, const char *presenter_id,
                                          HzRoomRecordingFailed failed, gpointer user_data,
                                          GError **error);
/* A track to record from now on: @name "microphone", "camera", "screen". */
gboolean hz_room_recording_add_track (HzRoomRecording *rec, guint32 track_id, const char *participant_id,
                                      const char *name, HzCodec codec, guint pt, guint clock_rate,
                                      GError **error);
/* The track was unpublished: stop feeding its recorder (its file stays). */
void hz_room_recording_remove_track (HzRoomRecording *rec, guint32 track_id);
/* One timeline event with string fields (key, value, ..., NULL). */
void hz_room_recording_log (HzRoomRecording *rec, const char *event, const char *first_key, ...)
    G_GNUC_NULL_TERMINATED;
/* Stops feeding every recorder now, finalizes the files in a thread, calls
 * @done, and frees @rec. */
void hz_room_recording_stop (HzRoomRecording *rec, HzRoomRecordingDone done, gpointer user_data);
/* Recordings whose files are still being finalized (process-wide): a clean
 * shutdown waits for 0 so every file is complete. */
guint hz_room_recording_get_n_stopping (void);

G_END_DECLS
