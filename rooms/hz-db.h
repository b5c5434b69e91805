/* hz-db: the database layer. Owns the connection, the backend vtable (SQLite
 * and PostgreSQL through libpq), the numbered schema migrations (SQL per
 * backend where the dialects differ) and their bookkeeping in
 * schema_migrations.
 *
 * SQL uses $1, $2, ... placeholders (understood by SQLite and PostgreSQL alike);
 * parameters and results are text, NULL meaning SQL NULL. An HzDb is used by
 * one thread at a time. Times are stored as RFC 3339 UTC text
 * ("2025-03-01T08:30:00Z"), which sorts and compares as text. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define HZ_DB_ERROR (hz_db_error_quark ())
GQuark hz_db_error_quark (void);

typedef enum {
  HZ_DB_ERROR_URL,        /* the url names no usable backend */
  HZ_DB_ERROR_OPEN,       /* the database cannot be opened */
  HZ_DB_ERROR_QUERY,      /* a statement failed */
  HZ_DB_ERROR_CONSTRAINT, /* a statement broke a constraint (unique, foreign key) */
  HZ_DB_ERROR_SCHEMA,     /* the database's schema is newer than this program */
  HZ_DB_ERROR_UNAVAILABLE,/* the server cannot be reached or is busy: retry later */
} HzDbError;

typedef struct _HzDb HzDb;

/* The rows of a query: n_rows x n_cols text cells. */
typedef struct {
  guint      n_rows;
  guint      n_cols;
  GPtrArray *cells;  /* row-major char*, NULL for SQL NULL */
} HzDbRows;

HzDb       *hz_db_open           (const char *url, GError **error);
HzDb       *hz_db_ref            (HzDb *self);
void        hz_db_unref          (HzDb *self);
guint       hz_db_schema_version (HzDb *self, GError **error);
const char *hz_db_backend_name   (HzDb *self);
gboolean    hz_db_is_postgres    (HzDb *self);
gboolean    hz_db_exec           (HzDb *self, const char *sql, GError **error);
HzDbRows   *hz_db_query          (HzDb               *self,
                                  const char         *sql,
                                  const char * const *params,
                                  guint               n_params,
                                  GError            **error);
gboolean    hz_db_begin          (HzDb *self, GError **error);
gboolean    hz_db_commit         (HzDb *self, GError **error);
void        hz_db_rollback       (HzDb *self);
gboolean    hz_db_end            (HzDb *self, gboolean ok, GError **error);

char       *hz_db_time_to_text   (GDateTime *t);
GDateTime  *hz_db_time_from_text (const char *text);

const char *hz_db_rows_get       (const HzDbRows *rows, guint row, guint col);
void        hz_db_rows_free      (HzDbRows *rows);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HzDb, hz_db_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HzDbRows, hz_db_rows_free)

G_END_DECLS
