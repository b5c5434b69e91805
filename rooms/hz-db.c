/* hz-db: backend selection from the url, reference counting, migrations and
 * the small helpers shared by every backend (rows, time text). */
#include "hz-db-private.h"

#include <string.h>

G_DEFINE_QUARK (hz-db-error-quark, hz_db_error)

struct _HzDb {
  const HzDbBackend *backend;
  gpointer           conn;
};

static void
hz_db_clear (HzDb *self)
{
  if (self->conn != NULL)
    self->backend->close (self->conn);
}

HzDb *
hz_db_ref (HzDb *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return g_atomic_rc_box_acquire (self);
}

void
hz_db_unref (HzDb *self)
{
  if (self != NULL)
    g_atomic_rc_box_release_full (self, (GDestroyNotify) hz_db_clear);
}

/* Returns: "sqlite" or "postgresql". */
const char *
hz_db_backend_name (HzDb *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->backend->name;
}

/* Whether dialect-specific SQL (FOR UPDATE, ...) should take the PostgreSQL form. */
gboolean
hz_db_is_postgres (HzDb *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->backend->dialect == HZ_DB_DIALECT_POSTGRES;
}

gboolean
hz_db_exec (HzDb *self, const char *sql, GError **error)
{
  g_return_val_if_fail (self != NULL && sql != NULL, FALSE);
  return self->backend->exec (self->conn, sql, error);
}

/**
 * hz_db_query:
 * @self: a #HzDb
 * @sql: one statement with $1..$n placeholders
 * @params: (array length=n_params) (nullable): text parameters, %NULL for SQL NULL
 * @n_params: must equal the number of distinct placeholders in @sql
 * @error: a #GError
 *
 * Runs @sql and collects every row. Use RETURNING to learn which rows an
 * UPDATE or DELETE touched.
 *
 * Returns: (transfer full): the rows (possibly none), or %NULL with @error set.
 */
HzDbRows *
hz_db_query (HzDb *self, const char *sql, const char * const *params, guint n_params, GError **error)
{
  g_return_val_if_fail (self != NULL && sql != NULL, NULL);
  g_return_val_if_fail (n_params == 0 || params != NULL, NULL);
  return self->backend->query (self->conn, sql, params, n_params, error);
}

gboolean
hz_db_begin (HzDb *self, GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->backend->begin (self->conn, error);
}

gboolean
hz_db_commit (HzDb *self, GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  if (!self->backend->commit (self->conn, error)) {
    self->backend->rollback (self->conn);
    return FALSE;
  }
  return TRUE;
}

/* Undoes an open transaction; does nothing when none is open. */
void
hz_db_rollback (HzDb *self)
{
  g_return_if_fail (self != NULL);
  self->backend->rollback (self->conn);
}

/**
 * hz_db_end:
 * @self: a #HzDb with an open transaction
 * @ok: whether the work inside the transaction succeeded
 * @error: a #GError
 *
 * Ends the transaction begun by hz_db_begin(): commits when @ok, else rolls
 * back (the work's own error is already set). Lets a caller write
 * `return hz_db_end (db, do_work (...), error);`.
 *
 * Returns: %TRUE when @ok and the commit succeeded.
 */
gboolean
hz_db_end (HzDb *self, gboolean ok, GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  if (!ok) {
    hz_db_rollback (self);
    return FALSE;
  }
  return hz_db_commit (self, error);
}

/**
 * hz_db_schema_version:
 *
 * Returns: the highest applied migration, 0 for an empty database; on error 0
 * with @error set.
 */
guint
hz_db_schema_version (HzDb *self, GError **error)
{
  g_autoptr(HzDbRows) rows = NULL;
  const char *text;

  g_return_val_if_fail (self != NULL, 0);
  rows = hz_db_query (self, "SELECT MAX(version) FROM schema_migrations", NULL, 0, error);
  if (rows == NULL)
    return 0;
  text = hz_db_rows_get (rows, 0, 0);
  return text != NULL ? (guint) g_ascii_strtoull (text, NULL, 10) : 0;
}

static gboolean
hz_db_apply_migration (HzDb *self, const HzDbMigration *m, GError **error)
{
  g_autofree char *version = g_strdup_printf ("%u", m->version);
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *at = hz_db_time_to_text (now);
  const char *params[] = { version, m->name, at };
  g_autoptr(HzDbRows) rows = NULL;

  if (!hz_db_exec (self, m->sql[self->backend->dialect], error)) {
    g_prefix_error (error, "migration %u (%s): ", m->version, m->name);
    return FALSE;
  }
  rows = hz_db_query (self, "INSERT INTO schema_migrations (version, name, applied_at) "
                      "VALUES ($1, $2, $3)", params, G_N_ELEMENTS (params), error);
  if (rows == NULL)
    return FALSE;
  g_message ("database: applied migration %u (%s)", m->version, m->name);
  return TRUE;
}

/* Applies @m unless the schema already has it; runs inside a transaction. A
 * schema newer than this program's newest migration (@last) is refused. */
static gboolean
hz_db_migrate_one (HzDb *self, const HzDbMigration *m, guint last, GError **error)
{
  g_autoptr(GError) error_local = NULL;
  guint current = hz_db_schema_version (self, &error_local);

  if (error_local != NULL) {
    g_propagate_error (error, g_steal_pointer (&error_local));
    return FALSE;
  }
  if (current > last) {
    g_set_error (error, HZ_DB_ERROR, HZ_DB_ERROR_SCHEMA,
                 "database schema version %u is newer than this program's %u", current, last);
    return FALSE;
  }
  return current >= m->version || hz_db_apply_migration (self, m, error);
}

/* Brings the schema up to date, one transaction per migration. The version is
 * read inside the transaction, so two servers starting on one database apply
 * each migration once. */
static gboolean
hz_db_migrate (HzDb *self, GError **error)
{
  guint n = 0;
  const HzDbMigration *list = hz_db_migrations (&n);

  if (!hz_db_exec (self, "CREATE TABLE IF NOT EXISTS schema_migrations ("
                   "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)", error))
    return FALSE;
  for (guint i = 0; i < n; i++) {
    /* SQLite's BEGIN IMMEDIATE already serialises writers; PostgreSQL needs
     * the table lock so two servers do not both apply a migration. */
    gboolean ok;

    if (!hz_db_begin (self, error))
      return FALSE;
    ok = self->backend->dialect != HZ_DB_DIALECT_POSTGRES ||
         hz_db_exec (self, "LOCK TABLE schema_migrations IN EXCLUSIVE MODE", error);
    ok = ok && hz_db_migrate_one (self, &list[i], list[n - 1].version, error);
    if (!hz_db_end (self, ok, error))
      return FALSE;
  }
  return TRUE;
}

/**
 * hz_db_open:
 * @url: "sqlite:PATH" (PATH may be ":memory:") or
 *   "postgresql://user:pass@host:port/db" ("postgres://" too)
 * @error: a #GError; HZ_DB_ERROR_UNAVAILABLE when the server is not there
 *
 * Opens the database and applies pending migrations.
 *
 * Returns: (transfer full): the database, or %NULL with @error set.
 */
HzDb *
hz_db_open (const char *url, GError **error)
{
  g_autoptr(HzDb) self = NULL;

  g_return_val_if_fail (url != NULL, NULL);

  self = g_atomic_rc_box_new0 (HzDb);
  if (g_str_has_prefix (url, "sqlite:") && url[7] != '\0') {
    self->backend = &hz_db_sqlite_backend;
    self->conn = hz_db_sqlite_open (url + 7, error);
  } else if (g_str_has_prefix (url, "postgresql://") || g_str_has_prefix (url, "postgres://")) {
    self->backend = &hz_db_pg_backend;
    self->conn = hz_db_pg_open (url, error);
  } else {
    g_set_error (error, HZ_DB_ERROR, HZ_DB_ERROR_URL,
                 "database url \"%s\": must be sqlite:PATH or postgresql://user:pass@host:port/db",
                 url);
    return NULL;
  }
  if (self->conn == NULL)
    return NULL;
  if (!hz_db_migrate (self, error))
    return NULL;
  return g_steal_pointer (&self);
}

HzDbRows *
hz_db_rows_new (guint n_cols)
{
  HzDbRows *rows = g_new0 (HzDbRows, 1);

  rows->n_cols = n_cols;
  rows->cells = g_ptr_array_new_with_free_func (g_free);
  return rows;
}

/* Returns: (nullable): the cell's text, %NULL for SQL NULL. */
const char *
hz_db_rows_get (const HzDbRows *rows, guint row, guint col)
{
  g_return_val_if_fail (rows != NULL, NULL);
  g_return_val_if_fail (row < rows->n_rows && col < rows->n_cols, NULL);
  return g_ptr_array_index (rows->cells, row * rows->n_cols + col);
}

void
hz_db_rows_free (HzDbRows *rows)
{
  if (rows == NULL)
    return;
  g_ptr_array_unref (rows->cells);
  g_free (rows);
}

/* Returns: (transfer full): @t in UTC as RFC 3339 text, whole seconds. */
char *
hz_db_time_to_text (GDateTime *t)
{
  g_autoptr(GDateTime) utc = NULL;

  g_return_val_if_fail (t != NULL, NULL);
  utc = g_date_time_to_utc (t);
  return g_date_time_format (utc, "%Y-%m-%dT%H:%M:%SZ");
}

/* Returns: (transfer full) (nullable): the time stored as @text. */
GDateTime *
hz_db_time_from_text (const char *text)
{
  if (text == NULL)
    return NULL;
  return g_date_time_new_from_iso8601 (text, NULL);
}
