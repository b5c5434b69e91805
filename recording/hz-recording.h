/* hz-recording: one recording session on disk and the facts the library keeps.
 *
 * Owns: the directory layout under [storage] data_dir,
 *   recordings/YYYY/MM/DD/<room_id>-<HHMMSS>/
 *     <participant>-<track>.webm|.mkv   one file per recorded track
 *     timeline.jsonl                    the event timeline (hz-rec-timeline)
 *     manifest.json                     written after stop: HzRecordingInfo
 * the session object that creates track recorders and the timeline, the
 * manifest (read/write), checksums, and recovery of sessions a crash left
 * without a manifest (repair each track file, rebuild the manifest from the
 * timeline). The database catalog stores HzRecordingInfo; it is not here.
 */
#pragma once

#include <glib.h>

#include "hz-rec-timeline.h"
#include "hz-track-recorder.h"

G_BEGIN_DECLS

#define HZ_RECORDING_MANIFEST "manifest.json"
#define HZ_RECORDING_TIMELINE "timeline.jsonl"

typedef struct {
  char *file;            /* basename inside the recording directory */
  char *participant_id;
  char *name;            /* "camera", "screen", "microphone", ... */
  char *kind;            /* "audio" or "video" */
  HzRecCodec codec;
  gint64 offset_ms;      /* where the file's time zero sits in the recording */
  gint64 duration_ms;
  guint64 size;          /* bytes */
  char *sha256;          /* lowercase hex of the file */
} HzRecordingTrackInfo;

/* A finished recording: what the catalog stores, as in manifest.json. */
typedef struct {
  char *dir;             /* absolute directory */
  char *room_id;
  char *title;
  char *presenter_id;    /* whose camera leads the composition; may be NULL */
  gint64 started_at_us;  /* Unix time, µs */
  gint64 duration_ms;    /* longest track end */
  guint64 size;          /* all track files plus the timeline */
  gboolean recovered;    /* rebuilt after a crash */
  GPtrArray *tracks;     /* HzRecordingTrackInfo* */
  char *composed_file;   /* basename, NULL until composed */
} HzRecordingInfo;

void hz_recording_track_info_free (HzRecordingTrackInfo *track);
void hz_recording_info_free (HzRecordingInfo *info);
HzRecordingInfo *hz_recording_info_load (const char *dir, GError **error);
/* Writes <dir>/manifest.json atomically. */
gboolean hz_recording_info_save (const HzRecordingInfo *info, GError **error);

/* Fills each track's size, sha256 and duration from its file, and the
 * totals; run after the files are final. */
gboolean hz_recording_info_measure (HzRecordingInfo *info, GError **error);

/* data_dir/recordings/YYYY/MM/DD/<room_id>-<HHMMSS>/ (UTC); characters of
 * @room_id outside [A-Za-z0-9_-] become '_'. Does not create it. */
char *hz_recording_dir_for (const char *data_dir, const char *room_id, GDateTime *started_at);

/* Streams @path through SHA-256; @size_out (nullable) gets its size. */
char *hz_recording_file_sha256 (const char *path, guint64 *size_out, GError **error);
/* Duration the player sees (GstDiscoverer), 0 if none. */
gboolean hz_recording_probe_duration (const char *path, gint64 *duration_ms, GError **error);

/* Remuxes a track file left by a crash so it has a duration and cues
 * (seekable); replaces @path only when the remux succeeded. */
gboolean hz_recording_repair (const char *path, GError **error);
/* Recording directories under data_dir/recordings that have a timeline but
 * no manifest: sessions a crash interrupted. */
GPtrArray *hz_recording_find_unfinished (const char *data_dir);
/* Repairs every track of an interrupted session and writes its manifest
 * (recovered = TRUE), from the timeline's recording_start/track_start events. */
HzRecordingInfo *hz_recording_recover (const char *dir, GError **error);

typedef struct _HzRecording HzRecording;

/* Creates the directory and the timeline and logs recording_start. */
HzRecording *hz_recording_new (const char *data_dir, const char *room_id, const char *title,
                               const char *presenter_id, GError **error);
/* Starts recording a track; the recorder stays owned by @rec. */
HzTrackRecorder *hz_recording_add_track (HzRecording *rec, const char *participant_id,
                                         const char *name, HzRecCodec codec, guint pt,
                                         guint clock_rate, GError **error);
HzRecTimeline *hz_recording_get_timeline (HzRecording *rec);
const char *hz_recording_get_dir (HzRecording *rec);
/* Stops every track (failed tracks are kept as far as they got), logs
 * recording_stop, checksums and writes the manifest. Not from a media worker. */
HzRecordingInfo *hz_recording_stop (HzRecording *rec, GError **error);
void hz_recording_free (HzRecording *rec);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HzRecordingTrackInfo, hz_recording_track_info_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HzRecordingInfo, hz_recording_info_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HzRecording, hz_recording_free)

G_END_DECLS
