/* hz-recording-catalog: the recordings library in the database.
 *
 * Owns: the recordings and recording_tracks tables (migration 4 in
 * rooms/hz-db-migrations.c): one entry per recording session directory,
 * added when recording starts (state "recording") or from a finished or
 * recovered HzRecordingInfo (upserted by directory, so a restart that
 * recovers a session updates its entry), the state of the compose job and
 * its progress, the composed file with its size and checksum, search with
 * filters and paging, and retention: entries older than the years allowed
 * for their room kind have their files removed, turn "expired" and the
 * removal is written to the audit log. Where each file lives once S3
 * storage is on is the recording_files table (migration 5), written by
 * hz-recording-upload and read here into HzRecordingEntry.files.
 *
 * Every call runs on the control-plane thread that owns the HzRoomStore
 * (an HzDb is used by one thread at a time); the compose job in
 * hz-recording-jobs reports back to that thread.
 */
#pragma once

#include <json-glib/json-glib.h>

#include "hz-recording.h"
#include "hz-room-store.h"

G_BEGIN_DECLS

typedef enum {
  HZ_RECORDING_STATE_RECORDING, /* being recorded now */
  HZ_RECORDING_STATE_FINISHED,  /* tracks final, not composed yet */
  HZ_RECORDING_STATE_COMPOSING, /* the compose job runs */
  HZ_RECORDING_STATE_COMPOSED,  /* composed file present */
  HZ_RECORDING_STATE_FAILED,    /* composition failed (tracks still playable) */
  HZ_RECORDING_STATE_EXPIRED,   /* files removed by retention */
} HzRecordingState;

const char *hz_recording_state_to_string (HzRecordingState state);
gboolean hz_recording_state_from_string (const char *text, HzRecordingState *state);

/* What the room knows and the manifest does not; every field nullable. */
typedef struct {
  const char *room_kind;   /* "consult" or "teaching" (default) */
  const char *course;
  const char *presenter;   /* display name; default: the info's presenter_id */
  const char *institution; /* the presenter's or host institution */
} HzRecordingMeta;

typedef struct {
  guint idx;               /* 0.. in manifest order: ?track=N */
  char *file;
  char *participant_id;
  char *name;
  char *kind;
  char *codec;
  gint64 offset_ms;
  gint64 duration_ms;
  guint64 size;
  char *sha256;
} HzRecordingEntryTrack;

/* Where one file of a finished recording lives (S3 storage on only). */
typedef struct {
  char *file;              /* basename in dir; object key recordings/<id>/<file> */
  guint64 size;
  char *location;          /* "local", "s3" (local copy removed) or "local+s3" */
  char *upload;            /* "pending", "uploaded" or "failed" (local file lost) */
  guint attempts;          /* failed upload attempts so far */
  char *error;             /* the last attempt's error, or NULL */
} HzRecordingEntryFile;

typedef struct {
  char *id;
  char *room_id;
  char *room_kind;
  char *title;
  char *course;
  char *presenter;
  char *institution;
  HzRecordingState state;
  char *dir;
  GDateTime *started_at;
  gint64 duration_ms;
  guint64 size;
  gboolean recovered;
  double compose_progress; /* 0..1 */
  char *composed_file;     /* basename in dir, or NULL */
  guint64 composed_size;
  char *composed_sha256;
  char *error;             /* why the compose failed, or NULL */
  GPtrArray *tracks;       /* HzRecordingEntryTrack*; filled by _get only */
  char *upload;            /* "none" (no S3 storage), "pending", "uploaded", "failed" */
  GPtrArray *files;        /* HzRecordingEntryFile*; filled by _get only */
} HzRecordingEntry;

/* GET /api/v1/recordings filters; NULL/0 means no filter. Text filters
 * match a case-insensitive substring; @q any of title, course, presenter,
 * institution. */
typedef struct {
  const char *q;
  const char *title;
  const char *course;
  const char *presenter;
  const char *institution;
  const char *room_id;
  gboolean has_state;
  HzRecordingState state;
  GDateTime *from;         /* started at or after */
  GDateTime *to;           /* started before */
  guint limit;             /* 0 = HZ_ROOM_STORE_PAGE_DEFAULT, at most _MAX */
  guint offset;
} HzRecordingFilter;

typedef struct _HzRecordingCatalog HzRecordingCatalog;

/* @store gives the database and the audit log; borrowed, must outlive it. */
HzRecordingCatalog *hz_recording_catalog_new (HzRoomStore *store);
void hz_recording_catalog_free (HzRecordingCatalog *self);
HzRoomStore *hz_recording_catalog_get_store (HzRecordingCatalog *self);
/* The S3 uploader (recording/hz-recording-upload.h), borrowed; NULL: the
 * library is local only. Deleting or expiring an entry then also removes
 * its objects, and playback reads files no longer local from the store. */
typedef struct _HzRecordingUpload HzRecordingUpload;
void hz_recording_catalog_set_upload (HzRecordingCatalog *self, HzRecordingUpload *upload);
HzRecordingUpload *hz_recording_catalog_get_upload (HzRecordingCatalog *self);

/* An entry in state "recording" for a session that just started in @dir.
 * Returns: (transfer full): its id. */
char *hz_recording_catalog_begin (HzRecordingCatalog *self, const HzRecordingMeta *meta,
                                  const char *room_id, const char *title, const char *dir,
                                  GDateTime *started_at, GError **error);
/* Stores a finished (or recovered) recording: updates the entry of
 * @info->dir if there is one (keeping its meta where @meta has none), else
 * adds one; state "finished" ("composed" when @info has a composed file);
 * tracks replaced by @info's. Returns: (transfer full): the id. */
char *hz_recording_catalog_add (HzRecordingCatalog *self, const HzRecordingMeta *meta,
                                const HzRecordingInfo *info, GError **error);
HzRecordingEntry *hz_recording_catalog_get (HzRecordingCatalog *self, const char *id,
                                            GError **error);
/* Entries without tracks, newest first; *more tells whether a next page exists. */
GPtrArray *hz_recording_catalog_list (HzRecordingCatalog *self, const HzRecordingFilter *filter,
                                      gboolean *more, GError **error);
/* Ids of the entries in @state, oldest first. */
GPtrArray *hz_recording_catalog_ids_in_state (HzRecordingCatalog *self, HzRecordingState state,
                                              GError **error);
/* @error_text (nullable) is kept with "failed". */
gboolean hz_recording_catalog_set_state (HzRecordingCatalog *self, const char *id,
                                         HzRecordingState state, const char *error_text,
                                         GError **error);
gboolean hz_recording_catalog_set_progress (HzRecordingCatalog *self, const char *id,
                                            double fraction, GError **error);
/* State "composed", progress 1. */
gboolean hz_recording_catalog_set_composed (HzRecordingCatalog *self, const char *id,
                                            const char *file, guint64 size, const char *sha256,
                                            GError **error);
/* Removes the entry; with @remove_files also its directory's files. */
gboolean hz_recording_catalog_delete (HzRecordingCatalog *self, const char *id,
                                      gboolean remove_files, GError **error);

/* Retention: entries started before @now minus the years of their room kind
 * (not "recording", "composing" or "expired") have their directory removed,
 * become "expired", and get a "recording_expired" audit entry (actor
 * "retention"). Returns how many expired; a failure stops at that entry. */
guint hz_recording_catalog_expire (HzRecordingCatalog *self, GDateTime *now, guint years_consult,
                                   guint years_teaching, GError **error);

/* Absolute path of the composed file, or of track @track_idx (>= 0), or
 * NULL with NOT_FOUND. */
char *hz_recording_entry_media_path (const HzRecordingEntry *entry, gint track_idx,
                                     GError **error);
/* The file row of @file (see HzRecordingEntryFile), or NULL when it has none. */
const HzRecordingEntryFile *hz_recording_entry_find_file (const HzRecordingEntry *entry,
                                                          const char *file);
/* The API shape: with @detail the tracks and composed file as well. */
JsonNode *hz_recording_entry_to_json (const HzRecordingEntry *entry, gboolean detail);
void hz_recording_entry_free (HzRecordingEntry *entry);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HzRecordingCatalog, hz_recording_catalog_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HzRecordingEntry, hz_recording_entry_free)

G_END_DECLS
