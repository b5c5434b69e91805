/* hz-recording-catalog: the recordings library in the database. See
 * hz-recording-catalog.h. */
#include "hz-recording-catalog.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#include "hz-audit.h"
#include "hz-recording-upload.h"

struct _HzRecordingCatalog {
  HzRoomStore *store;
  HzDb *db;
  HzRecordingUpload *upload; /* borrowed, or NULL */
};

static const char *const hz_recording_state_names[] = {
  "recording", "finished", "composing", "composed", "failed", "expired",
};

#define HZ_ENTRY_COLUMNS \
  "id, room_id, room_kind, title, course, presenter, institution, state, dir, started_at, " \
  "duration_ms, size, recovered, compose_progress, composed_file, composed_size, " \
  "composed_sha256, error, " \
  "(SELECT CASE WHEN COUNT(*) = 0 THEN 'none' " \
  "  WHEN SUM(CASE WHEN f.upload = 'pending' THEN 1 ELSE 0 END) > 0 THEN 'pending' " \
  "  WHEN SUM(CASE WHEN f.upload = 'failed' THEN 1 ELSE 0 END) > 0 THEN 'failed' " \
  "  ELSE 'uploaded' END FROM recording_files f WHERE f.recording_id = recordings.id)"

const char *
hz_recording_state_to_string (HzRecordingState state)
{
  g_return_val_if_fail (state <= HZ_RECORDING_STATE_EXPIRED, NULL);
  return hz_recording_state_names[state];
}

gboolean
hz_recording_state_from_string (const char *text, HzRecordingState *state)
{
  for (guint i = 0; text != NULL && i < G_N_ELEMENTS (hz_recording_state_names); i++) {
    if (strcmp (text, hz_recording_state_names[i]) == 0) {
      *state = (HzRecordingState) i;
      return TRUE;
    }
  }
  return FALSE;
}

HzRecordingCatalog *
hz_recording_catalog_new (HzRoomStore *store)
{
  HzRecordingCatalog *self;

  g_return_val_if_fail (store != NULL, NULL);
  self = g_new0 (HzRecordingCatalog, 1);
  self->store = store;
  self->db = hz_room_store_get_db (store);
  return self;
}

void
hz_recording_catalog_free (HzRecordingCatalog *self)
{
  g_free (self);
}

HzRoomStore *
hz_recording_catalog_get_store (HzRecordingCatalog *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->store;
}

void
hz_recording_catalog_set_upload (HzRecordingCatalog *self, HzRecordingUpload *upload)
{
  g_return_if_fail (self != NULL);
  self->upload = upload;
}

HzRecordingUpload *
hz_recording_catalog_get_upload (HzRecordingCatalog *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->upload;
}

static void
hz_recording_entry_file_free (HzRecordingEntryFile *f)
{
  g_free (f->file);
  g_free (f->location);
  g_free (f->upload);
  g_free (f->error);
  g_free (f);
}

static void
hz_recording_entry_track_free (HzRecordingEntryTrack *t)
{
  g_free (t->file);
  g_free (t->participant_id);
  g_free (t->name);
  g_free (t->kind);
  g_free (t->codec);
  g_free (t->sha256);
  g_free (t);
}

void
hz_recording_entry_free (HzRecordingEntry *e)
{
  if (e == NULL)
    return;
  g_free (e->id);
  g_free (e->room_id);
  g_free (e->room_kind);
  g_free (e->title);
  g_free (e->course);
  g_free (e->presenter);
  g_free (e->institution);
  g_free (e->dir);
  g_clear_pointer (&e->started_at, g_date_time_unref);
  g_free (e->composed_file);
  g_free (e->composed_sha256);
  g_free (e->error);
  g_clear_pointer (&e->tracks, g_ptr_array_unref);
  g_free (e->upload);
  g_clear_pointer (&e->files, g_ptr_array_unref);
  g_free (e);
}

static gint64
hz_cell_int (const HzDbRows *rows, guint row, guint col)
{
  const char *text = hz_db_rows_get (rows, row, col);
  return text != NULL ? g_ascii_strtoll (text, NULL, 10) : 0;
}

static HzRecordingEntry *
hz_recording_entry_from_row (const HzDbRows *rows, guint r)
{
  HzRecordingEntry *e = g_new0 (HzRecordingEntry, 1);
  const char *progress = hz_db_rows_get (rows, r, 13);

  e->id = g_strdup (hz_db_rows_get (rows, r, 0));
  e->room_id = g_strdup (hz_db_rows_get (rows, r, 1));
  e->room_kind = g_strdup (hz_db_rows_get (rows, r, 2));
  e->title = g_strdup (hz_db_rows_get (rows, r, 3));
  e->course = g_strdup (hz_db_rows_get (rows, r, 4));
  e->presenter = g_strdup (hz_db_rows_get (rows, r, 5));
  e->institution = g_strdup (hz_db_rows_get (rows, r, 6));
  if (!hz_recording_state_from_string (hz_db_rows_get (rows, r, 7), &e->state))
    e->state = HZ_RECORDING_STATE_FAILED;
  e->dir = g_strdup (hz_db_rows_get (rows, r, 8));
  e->started_at = hz_db_time_from_text (hz_db_rows_get (rows, r, 9));
  if (e->started_at == NULL)
    e->started_at = g_date_time_new_from_unix_utc (0);
  e->duration_ms = hz_cell_int (rows, r, 10);
  e->size = (guint64) hz_cell_int (rows, r, 11);
  e->recovered = hz_cell_int (rows, r, 12) != 0;
  e->compose_progress = progress != NULL ? CLAMP (g_ascii_strtod (progress, NULL), 0.0, 1.0) : 0.0;
  e->composed_file = g_strdup (hz_db_rows_get (rows, r, 14));
  e->composed_size = (guint64) hz_cell_int (rows, r, 15);
  e->composed_sha256 = g_strdup (hz_db_rows_get (rows, r, 16));
  e->error = g_strdup (hz_db_rows_get (rows, r, 17));
  e->upload = g_strdup (hz_db_rows_get (rows, r, 18) != NULL ? hz_db_rows_get (rows, r, 18) : "none");
  return e;
}

static char *
hz_now_text (void)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  return hz_db_time_to_text (now);
}

static char *
hz_recording_new_id (void)
{
  g_autofree char *uuid = g_uuid_string_random ();
  return g_strconcat ("rec-", uuid, NULL);
}

static gboolean
hz_bad_field (GError **error, const char *why)
{
  g_set_error_literal (error, HZ_ROOM_STORE_ERROR, HZ_ROOM_STORE_ERROR_INVALID_FIELD, why);
  return FALSE;
}

static const char *
hz_meta_kind (const HzRecordingMeta *meta)
{
  return meta != NULL && meta->room_kind != NULL ? meta->room_kind : "teaching";
}

static gboolean
hz_meta_valid (const HzRecordingMeta *meta, GError **error)
{
  const char *kind = hz_meta_kind (meta);
  if (g_strcmp0 (kind, "consult") != 0 && g_strcmp0 (kind, "teaching") != 0)
    return hz_bad_field (error, "room_kind: must be consult or teaching");
  return TRUE;
}

char *
hz_recording_catalog_begin (HzRecordingCatalog *self, const HzRecordingMeta *meta,
                            const char *room_id, const char *title, const char *dir,
                            GDateTime *started_at, GError **error)
{
  g_autofree char *id = hz_recording_new_id ();
  g_autofree char *start = NULL, *now = hz_now_text ();
  g_autoptr(HzDbRows) rows = NULL;

  g_return_val_if_fail (self != NULL && room_id != NULL && dir != NULL && started_at != NULL, NULL);
  if (!hz_meta_valid (meta, error))
    return NULL;
  start = hz_db_time_to_text (started_at);
  {
    const char *params[] = {
      id, room_id, hz_meta_kind (meta), title != NULL ? title : room_id,
      meta != NULL ? meta->course : NULL, meta != NULL ? meta->presenter : NULL,
      meta != NULL ? meta->institution : NULL, dir, start, now,
    };
    rows = hz_db_query (self->db,
      "INSERT INTO recordings (id, room_id, room_kind, title, course, presenter, institution, "
      "state, dir, started_at, created_at, updated_at) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7, 'recording', $8, $9, $10, $10)",
      params, G_N_ELEMENTS (params), error);
  }
  if (rows == NULL)
    return NULL;
  return g_steal_pointer (&id);
}

static gboolean
hz_recording_catalog_put_tracks (HzRecordingCatalog *self, const char *id,
                                 const HzRecordingInfo *info, GError **error)
{
  const char *del[] = { id };
  g_autoptr(HzDbRows) cleared = hz_db_query (self->db, "DELETE FROM recording_tracks WHERE recording_id = $1",
                                             del, 1, error);

  if (cleared == NULL)
    return FALSE;
  for (guint i = 0; info->tracks != NULL && i < info->tracks->len; i++) {
    const HzRecordingTrackInfo *t = g_ptr_array_index (info->tracks, i);
    g_autofree char *idx = g_strdup_printf ("%u", i);
    g_autofree char *offset = g_strdup_printf ("%" G_GINT64_FORMAT, t->offset_ms);
    g_autofree char *duration = g_strdup_printf ("%" G_GINT64_FORMAT, t->duration_ms);
    g_autofree char *size = g_strdup_printf ("%" G_GUINT64_FORMAT, t->size);
    const char *params[] = {
      id, idx, t->file, t->participant_id, t->name,
      t->kind != NULL ? t->kind : hz_rec_codec_kind (t->codec),
      hz_rec_codec_to_string (t->codec), offset, duration, size, t->sha256,
    };
    g_autoptr(HzDbRows) rows = hz_db_query (self->db,
      "INSERT INTO recording_tracks (recording_id, idx, file, participant_id, name, kind, codec, "
      "offset_ms, duration_ms, size, sha256) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
      params, G_N_ELEMENTS (params), error);
    if (rows == NULL || t->file == NULL)
      return rows != NULL || hz_bad_field (error, "track without a file");
  }
  return TRUE;
}

static char *
hz_recording_catalog_upsert (HzRecordingCatalog *self, const HzRecordingMeta *meta,
                             const HzRecordingInfo *info, GError **error)
{
  const char *dir_param[] = { info->dir };
  g_autoptr(HzDbRows) found = hz_db_query (self->db, "SELECT id FROM recordings WHERE dir = $1",
                                           dir_param, 1, error);
  g_autoptr(GDateTime) start = g_date_time_new_from_unix_utc (info->started_at_us / G_USEC_PER_SEC);
  g_autofree char *start_text = hz_db_time_to_text (start), *now = hz_now_text ();
  g_autofree char *duration = g_strdup_printf ("%" G_GINT64_FORMAT, info->duration_ms);
  g_autofree char *size = g_strdup_printf ("%" G_GUINT64_FORMAT, info->size);
  g_autofree char *id = NULL;
  const char *state = info->composed_file != NULL ? "composed" : "finished";
  const char *presenter = meta != NULL && meta->presenter != NULL ? meta->presenter : info->presenter_id;
  g_autoptr(HzDbRows) rows = NULL;

  if (found == NULL)
    return NULL;
  id = found->n_rows > 0 ? g_strdup (hz_db_rows_get (found, 0, 0)) : hz_recording_new_id ();
  {
    const char *params[] = {
      id, info->room_id, hz_meta_kind (meta), info->title != NULL ? info->title : info->room_id,
      meta != NULL ? meta->course : NULL, presenter, meta != NULL ? meta->institution : NULL,
      state, info->dir, start_text, duration, size, info->recovered ? "1" : "0",
      info->composed_file, now, info->composed_file != NULL ? "1" : "0",
    };
    /* an existing entry keeps what it knew when @meta does not say */
    rows = hz_db_query (self->db, found->n_rows > 0 ?
      "UPDATE recordings SET room_id = $2, title = $4, course = COALESCE($5, course), "
      "presenter = COALESCE($6, presenter), institution = COALESCE($7, institution), state = $8, "
      "started_at = $10, duration_ms = $11, size = $12, recovered = $13, composed_file = $14, "
      "compose_progress = $16, updated_at = $15, "
      "room_kind = CASE WHEN $3 = 'teaching' THEN room_kind ELSE $3 END WHERE id = $1 AND $9 = dir" :
      "INSERT INTO recordings (id, room_id, room_kind, title, course, presenter, institution, state, "
      "dir, started_at, duration_ms, size, recovered, composed_file, compose_progress, created_at, "
      "updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $16, $15, $15)",
      params, G_N_ELEMENTS (params), error);
  }
  if (rows == NULL || !hz_recording_catalog_put_tracks (self, id, info, error))
    return NULL;
  return g_steal_pointer (&id);
}

char *
hz_recording_catalog_add (HzRecordingCatalog *self, const HzRecordingMeta *meta,
                          const HzRecordingInfo *info, GError **error)
{
  g_autofree char *id = NULL;

  g_return_val_if_fail (self != NULL && info != NULL, NULL);
  if (info->dir == NULL || info->room_id == NULL) {
    hz_bad_field (error, "recording info without a directory or room");
    return NULL;
  }
  if (!hz_meta_valid (meta, error) || !hz_db_begin (self->db, error))
    return NULL;
  id = hz_recording_catalog_upsert (self, meta, info, error);
  if (!hz_db_end (self->db, id != NULL, id != NULL ? error : NULL))
    g_clear_pointer (&id, g_free);
  return g_steal_pointer (&id);
}

static GPtrArray *
hz_recording_catalog_tracks (HzRecordingCatalog *self, const char *id, GError **error)
{
  const char *params[] = { id };
  g_autoptr(HzDbRows) rows = hz_db_query (self->db,
    "SELECT idx, file, participant_id, name, kind, codec, offset_ms, duration_ms, size, sha256 "
    "FROM recording_tracks WHERE recording_id = $1 ORDER BY idx", params, 1, error);
  GPtrArray *tracks;

  if (rows == NULL)
    return NULL;
  tracks = g_ptr_array_new_with_free_func ((GDestroyNotify) hz_recording_entry_track_free);
  for (guint r = 0; r < rows->n_rows; r++) {
    HzRecordingEntryTrack *t = g_new0 (HzRecordingEntryTrack, 1);
    t->idx = (guint) hz_cell_int (rows, r, 0);
    t->file = g_strdup (hz_db_rows_get (rows, r, 1));
    t->participant_id = g_strdup (hz_db_rows_get (rows, r, 2));
    t->name = g_strdup (hz_db_rows_get (rows, r, 3));
    t->kind = g_strdup (hz_db_rows_get (rows, r, 4));
    t->codec = g_strdup (hz_db_rows_get (rows, r, 5));
    t->offset_ms = hz_cell_int (rows, r, 6);
    t->duration_ms = hz_cell_int (rows, r, 7);
    t->size = (guint64) hz_cell_int (rows, r, 8);
    t->sha256 = g_strdup (hz_db_rows_get (rows, r, 9));
    g_ptr_array_add (tracks, t);
  }
  return tracks;
}

static GPtrArray *
hz_recording_catalog_files (HzRecordingCatalog *self, const char *id, GError **error)
{
  const char *params[] = { id };
  g_autoptr(HzDbRows) rows = hz_db_query (self->db,
    "SELECT file, size, location, upload, attempts, error FROM recording_files "
    "WHERE recording_id = $1 ORDER BY file", params, 1, error);
  GPtrArray *files;

  if (rows == NULL)
    return NULL;
  files = g_ptr_array_new_with_free_func ((GDestroyNotify) hz_recording_entry_file_free);
  for (guint r = 0; r < rows->n_rows; r++) {
    HzRecordingEntryFile *f = g_new0 (HzRecordingEntryFile, 1);
    f->file = g_strdup (hz_db_rows_get (rows, r, 0));
    f->size = (guint64) hz_cell_int (rows, r, 1);
    f->location = g_strdup (hz_db_rows_get (rows, r, 2));
    f->upload = g_strdup (hz_db_rows_get (rows, r, 3));
    f->attempts = (guint) hz_cell_int (rows, r, 4);
    f->error = g_strdup (hz_db_rows_get (rows, r, 5));
    g_ptr_array_add (files, f);
  }
  return files;
}

HzRecordingEntry *
hz_recording_catalog_get (HzRecordingCatalog *self, const char *id, GError **error)
{
  const char *params[] = { id };
  g_autoptr(HzDbRows) rows = NULL;
  g_autoptr(HzRecordingEntry) entry = NULL;

  g_return_val_if_fail (self != NULL && id != NULL, NULL);
  rows = hz_db_query (self->db, "SELECT " HZ_ENTRY_COLUMNS " FROM recordings WHERE id = $1",
                      params, 1, error);
  if (rows == NULL)
    return NULL;
  if (rows->n_rows == 0) {
    g_set_error (error, HZ_ROOM_STORE_ERROR, HZ_ROOM_STORE_ERROR_NOT_FOUND, "no recording %s", id);
    return NULL;
  }
  entry = hz_recording_entry_from_row (rows, 0);
  entry->tracks = hz_recording_catalog_tracks (self, id, error);
  if (entry->tracks == NULL)
    return NULL;
  entry->files = hz_recording_catalog_files (self, id, error);
  if (entry->files == NULL)
    return NULL;
  return g_steal_pointer (&entry);
}

/* "%text%" for LIKE with '\' escaping the wildcards of @text. */
static char *
hz_like_pattern (const char *text)
{
  GString *s = g_string_new ("%");
  g_autofree char *lower = g_utf8_strdown (text, -1);

  for (const char *p = lower; *p != '\0'; p++) {
    if (*p == '%' || *p == '_' || *p == '\\')
      g_string_append_c (s, '\\');
    g_string_append_c (s, *p);
  }
  g_string_append_c (s, '%');
  return g_string_free (s, FALSE);
}

typedef struct {
  GString *where;
  GPtrArray *params; /* char*, owned */
} HzQueryBuilder;

static void
hz_query_add (HzQueryBuilder *qb, const char *clause_fmt, char *param)
{
  g_autofree char *n = g_strdup_printf ("$%u", qb->params->len + 1);
  g_autofree char *clause = NULL;
  GString *c = g_string_new (clause_fmt);

  g_string_replace (c, "?", n, 0);
  clause = g_string_free (c, FALSE);
  g_string_append_printf (qb->where, "%s%s", qb->where->len == 0 ? " WHERE " : " AND ", clause);
  g_ptr_array_add (qb->params, param);
}

static void
hz_query_like (HzQueryBuilder *qb, const char *column, const char *text)
{
  g_autofree char *clause = NULL;

  if (text == NULL || text[0] == '\0')
    return;
  clause = g_strdup_printf ("LOWER(COALESCE(%s, '')) LIKE ? ESCAPE '\\'", column);
  hz_query_add (qb, clause, hz_like_pattern (text));
}

GPtrArray *
hz_recording_catalog_list (HzRecordingCatalog *self, const HzRecordingFilter *filter,
                           gboolean *more, GError **error)
{
  HzQueryBuilder qb = { g_string_new (NULL), g_ptr_array_new_with_free_func (g_free) };
  g_autoptr(GString) where = qb.where;
  g_autoptr(GPtrArray) params = qb.params;
  g_autoptr(HzDbRows) rows = NULL;
  g_autofree char *sql = NULL;
  g_autoptr(GPtrArray) out = NULL;
  guint limit;

  g_return_val_if_fail (self != NULL && filter != NULL, NULL);
  limit = filter->limit == 0 ? HZ_ROOM_STORE_PAGE_DEFAULT : MIN (filter->limit, HZ_ROOM_STORE_PAGE_MAX);
  if (filter->q != NULL && filter->q[0] != '\0') {
    g_autofree char *pat = hz_like_pattern (filter->q);
    hz_query_add (&qb, "(LOWER(title) LIKE ? ESCAPE '\\' OR LOWER(COALESCE(course, '')) LIKE ? ESCAPE '\\' "
                       "OR LOWER(COALESCE(presenter, '')) LIKE ? ESCAPE '\\' "
                       "OR LOWER(COALESCE(institution, '')) LIKE ? ESCAPE '\\')", g_strdup (pat));
  }
  hz_query_like (&qb, "title", filter->title);
  hz_query_like (&qb, "course", filter->course);
  hz_query_like (&qb, "presenter", filter->presenter);
  hz_query_like (&qb, "institution", filter->institution);
  if (filter->room_id != NULL)
    hz_query_add (&qb, "room_id = ?", g_strdup (filter->room_id));
  if (filter->has_state)
    hz_query_add (&qb, "state = ?", g_strdup (hz_recording_state_to_string (filter->state)));
  if (filter->from != NULL)
    hz_query_add (&qb, "started_at >= ?", hz_db_time_to_text (filter->from));
  if (filter->to != NULL)
    hz_query_add (&qb, "started_at < ?", hz_db_time_to_text (filter->to));
  sql = g_strdup_printf ("SELECT " HZ_ENTRY_COLUMNS " FROM recordings%s "
                         "ORDER BY started_at DESC, id LIMIT %u OFFSET %u",
                         where->str, limit + 1, filter->offset);
  rows = hz_db_query (self->db, sql, (const char * const *) params->pdata, params->len, error);
  if (rows == NULL)
    return NULL;
  out = g_ptr_array_new_with_free_func ((GDestroyNotify) hz_recording_entry_free);
  for (guint r = 0; r < rows->n_rows && r < limit; r++)
    g_ptr_array_add (out, hz_recording_entry_from_row (rows, r));
  if (more != NULL)
    *more = rows->n_rows > limit;
  return g_steal_pointer (&out);
}

GPtrArray *
hz_recording_catalog_ids_in_state (HzRecordingCatalog *self, HzRecordingState state, GError **error)
{
  const char *params[] = { hz_recording_state_to_string (state) };
  g_autoptr(HzDbRows) rows = NULL;
  GPtrArray *ids;

  g_return_val_if_fail (self != NULL, NULL);
  rows = hz_db_query (self->db, "SELECT id FROM recordings WHERE state = $1 ORDER BY started_at, id",
                      params, 1, error);
  if (rows == NULL)
    return NULL;
  ids = g_ptr_array_new_with_free_func (g_free);
  for (guint r = 0; r < rows->n_rows; r++)
    g_ptr_array_add (ids, g_strdup (hz_db_rows_get (rows, r, 0)));
  return ids;
}

/* Runs an UPDATE of one entry; NOT_FOUND when no row has @params[0]. */
static gboolean
hz_recording_catalog_update (HzRecordingCatalog *self, const char *sql, const char *const *params,
                             guint n, GError **error)
{
  g_autoptr(HzDbRows) rows = hz_db_query (self->db, sql, params, n, error);
  g_autoptr(HzRecordingEntry) entry = NULL;

  if (rows == NULL)
    return FALSE;
  /* both backends report no row count through hz-db: check the id exists */
  entry = hz_recording_catalog_get (self, params[0], error);
  return entry != NULL;
}

gboolean
hz_recording_catalog_set_state (HzRecordingCatalog *self, const char *id, HzRecordingState state,
                                const char *error_text, GError **error)
{
  g_autofree char *now = hz_now_text ();
  const char *params[] = { id, hz_recording_state_to_string (state), error_text, now };

  g_return_val_if_fail (self != NULL && id != NULL, FALSE);
  return hz_recording_catalog_update (self,
    "UPDATE recordings SET state = $2, error = $3, updated_at = $4, "
    "compose_progress = CASE WHEN $2 = 'composing' THEN 0 ELSE compose_progress END WHERE id = $1",
    params, G_N_ELEMENTS (params), error);
}

gboolean
hz_recording_catalog_set_progress (HzRecordingCatalog *self, const char *id, double fraction,
                                   GError **error)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  const char *params[] = { id, g_ascii_formatd (buf, sizeof (buf), "%.3f", CLAMP (fraction, 0.0, 1.0)) };

  g_return_val_if_fail (self != NULL && id != NULL, FALSE);
  return hz_recording_catalog_update (self, "UPDATE recordings SET compose_progress = $2 WHERE id = $1",
                                      params, G_N_ELEMENTS (params), error);
}

gboolean
hz_recording_catalog_set_composed (HzRecordingCatalog *self, const char *id, const char *file,
                                   guint64 size, const char *sha256, GError **error)
{
  g_autofree char *now = hz_now_text ();
  g_autofree char *size_text = g_strdup_printf ("%" G_GUINT64_FORMAT, size);
  const char *params[] = { id, file, size_text, sha256, now };

  g_return_val_if_fail (self != NULL && id != NULL && file != NULL, FALSE);
  if (strchr (file, '/') != NULL)
    return hz_bad_field (error, "composed file: must be a basename");
  return hz_recording_catalog_update (self,
    "UPDATE recordings SET state = 'composed', compose_progress = 1, composed_file = $2, "
    "composed_size = $3, composed_sha256 = $4, error = NULL, updated_at = $5 WHERE id = $1",
    params, G_N_ELEMENTS (params), error);
}

/* Removes the regular files of @dir (a session directory holds no
 * subdirectories) and the directory, then its empty date parents. */
static gboolean
hz_recording_remove_dir (const char *dir, GError **error)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  g_autofree char *parent = NULL;

  if (d == NULL)
    return TRUE; /* already gone */
  while ((name = g_dir_read_name (d)) != NULL) {
    g_autofree char *path = g_build_filename (dir, name, NULL);
    if (g_unlink (path) != 0 && errno != ENOENT) {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "cannot remove %s: %s", path,
                   g_strerror (saved));
      return FALSE;
    }
  }
  if (g_rmdir (dir) != 0) {
    int saved = errno;
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "cannot remove %s: %s", dir,
                 g_strerror (saved));
    return FALSE;
  }
  /* DD, MM, YYYY: removed only when empty (rmdir refuses otherwise) */
  parent = g_path_get_dirname (dir);
  for (guint i = 0; i < 3 && g_rmdir (parent) == 0; i++) {
    char *up = g_path_get_dirname (parent);
    g_free (parent);
    parent = up;
  }
  return TRUE;
}

gboolean
hz_recording_catalog_delete (HzRecordingCatalog *self, const char *id, gboolean remove_files,
                             GError **error)
{
  g_autoptr(HzRecordingEntry) entry = NULL;
  const char *params[] = { id };
  g_autoptr(HzDbRows) files = NULL, tracks = NULL, rows = NULL;

  g_return_val_if_fail (self != NULL && id != NULL, FALSE);
  entry = hz_recording_catalog_get (self, id, error);
  if (entry == NULL || (remove_files && !hz_recording_remove_dir (entry->dir, error)))
    return FALSE;
  if (remove_files && self->upload != NULL)
    hz_recording_upload_forget (self->upload, entry);
  files = hz_db_query (self->db, "DELETE FROM recording_files WHERE recording_id = $1", params, 1, error);
  if (files != NULL)
    tracks = hz_db_query (self->db, "DELETE FROM recording_tracks WHERE recording_id = $1", params, 1, error);
  if (tracks != NULL)
    rows = hz_db_query (self->db, "DELETE FROM recordings WHERE id = $1", params, 1, error);
  return rows != NULL;
}

/* An expired entry's objects go too, and its file rows with them. */
static void
hz_recording_catalog_forget_files (HzRecordingCatalog *self, const char *id)
{
  g_autoptr(HzRecordingEntry) e = hz_recording_catalog_get (self, id, NULL);
  const char *params[] = { id };
  g_autoptr(HzDbRows) rows = NULL;
  g_autoptr(GError) error = NULL;

  if (e == NULL)
    return;
  hz_recording_upload_forget (self->upload, e);
  rows = hz_db_query (self->db, "DELETE FROM recording_files WHERE recording_id = $1", params, 1, &error);
  if (rows == NULL)
    g_warning ("retention: file rows of %s not removed: %s", id, error->message);
}

guint
hz_recording_catalog_expire (HzRecordingCatalog *self, GDateTime *now, guint years_consult,
                             guint years_teaching, GError **error)
{
  g_autoptr(GDateTime) cut_consult = NULL, cut_teaching = NULL;
  g_autofree char *c = NULL, *t = NULL;
  g_autoptr(HzDbRows) rows = NULL;
  guint n = 0;

  g_return_val_if_fail (self != NULL && now != NULL, 0);
  cut_consult = g_date_time_add_years (now, -(gint) MAX (years_consult, 1));
  cut_teaching = g_date_time_add_years (now, -(gint) MAX (years_teaching, 1));
  c = hz_db_time_to_text (cut_consult);
  t = hz_db_time_to_text (cut_teaching);
  {
    const char *params[] = { c, t };
    rows = hz_db_query (self->db,
      "SELECT " HZ_ENTRY_COLUMNS " FROM recordings "
      "WHERE state IN ('finished', 'composed', 'failed') AND "
      "((room_kind = 'consult' AND started_at < $1) OR (room_kind = 'teaching' AND started_at < $2)) "
      "ORDER BY started_at", params, 2, error);
  }
  if (rows == NULL)
    return 0;
  for (guint r = 0; r < rows->n_rows; r++) {
    g_autoptr(HzRecordingEntry) e = hz_recording_entry_from_row (rows, r);
    g_autoptr(JsonObject) detail = json_object_new ();
    g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);
    g_autofree char *started = hz_db_time_to_text (e->started_at);
    g_autoptr(GError) audit_error = NULL;

    if (!hz_recording_remove_dir (e->dir, error) ||
        !hz_recording_catalog_set_state (self, e->id, HZ_RECORDING_STATE_EXPIRED, NULL, error))
      return n;
    if (self->upload != NULL)
      hz_recording_catalog_forget_files (self, e->id);
    json_object_set_string_member (detail, "dir", e->dir);
    json_object_set_string_member (detail, "room_id", e->room_id);
    json_object_set_string_member (detail, "started_at", started);
    json_object_set_int_member (detail, "size", (gint64) e->size);
    json_node_set_object (node, detail);
    if (!hz_audit_append (self->store, "retention", e->institution, "recording_expired", e->id, "ok",
                          node, &audit_error))
      g_warning ("retention: audit of %s not written: %s", e->id, audit_error->message);
    g_message ("retention: recording %s (%s, started %s) expired, files removed", e->id, e->dir, started);
    n++;
  }
  return n;
}
