/* hz-db-sqlite: the SQLite backend of hz-db (WAL, foreign keys on, busy
 * timeout). The connection is the sqlite3 handle itself. */
#include "hz-db-private.h"

#include <errno.h>
#include <sqlite3.h>

#define HZ_DB_SQLITE_BUSY_MS 5000

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, sqlite3_finalize)

static gboolean
hz_db_sqlite_fail (sqlite3 *db, const char *what, GError **error)
{
  int code = sqlite3_extended_errcode (db) & 0xff;
  /* a locked, full or failing disk is a condition to wait out, not a bad statement */
  gboolean unavailable = code == SQLITE_BUSY || code == SQLITE_LOCKED || code == SQLITE_IOERR ||
                         code == SQLITE_FULL || code == SQLITE_CANTOPEN || code == SQLITE_READONLY;

  g_set_error (error, HZ_DB_ERROR,
               code == SQLITE_CONSTRAINT ? HZ_DB_ERROR_CONSTRAINT
               : unavailable ? HZ_DB_ERROR_UNAVAILABLE : HZ_DB_ERROR_QUERY,
               "%s: %s", what, sqlite3_errmsg (db));
  return FALSE;
}

static gboolean
hz_db_sqlite_exec (gpointer conn, const char *sql, GError **error)
{
  if (sqlite3_exec (conn, sql, NULL, NULL, NULL) != SQLITE_OK)
    return hz_db_sqlite_fail (conn, "sqlite exec", error);
  return TRUE;
}

static gboolean
hz_db_sqlite_bind (sqlite3_stmt *stmt, const char * const *params, guint n_params, GError **error)
{
  if ((guint) sqlite3_bind_parameter_count (stmt) != n_params) {
    g_set_error (error, HZ_DB_ERROR, HZ_DB_ERROR_QUERY,
                 "statement takes %d parameters, %u given",
                 sqlite3_bind_parameter_count (stmt), n_params);
    return FALSE;
  }
  for (guint i = 0; i < n_params; i++) {
    char name[16];
    int idx;
    int rc;

    g_snprintf (name, sizeof name, "$%u", i + 1);
    idx = sqlite3_bind_parameter_index (stmt, name);
    if (idx == 0) {
      g_set_error (error, HZ_DB_ERROR, HZ_DB_ERROR_QUERY, "statement does not use %s", name);
      return FALSE;
    }
    rc = params[i] == NULL ? sqlite3_bind_null (stmt, idx)
                           : sqlite3_bind_text (stmt, idx, params[i], -1, SQLITE_TRANSIENT);
    if (rc != SQLITE_OK)
      return hz_db_sqlite_fail (sqlite3_db_handle (stmt), "sqlite bind", error);
  }
  return TRUE;
}

static HzDbRows *
hz_db_sqlite_query (gpointer conn, const char *sql, const char * const *params,
                    guint n_params, GError **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(HzDbRows) rows = NULL;
  const char *tail = NULL;
  int rc;

  if (sqlite3_prepare_v2 (conn, sql, -1, &stmt, &tail) != SQLITE_OK) {
    hz_db_sqlite_fail (conn, "sqlite prepare", error);
    return NULL;
  }
  if (tail != NULL && *tail != '\0') {
    g_set_error (error, HZ_DB_ERROR, HZ_DB_ERROR_QUERY, "one statement per query: \"%s\"", tail);
    return NULL;
  }
  if (!hz_db_sqlite_bind (stmt, params, n_params, error))
    return NULL;
  rows = hz_db_rows_new ((guint) sqlite3_column_count (stmt));
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW) {
    for (guint c = 0; c < rows->n_cols; c++) {
      const char *text = (const char *) sqlite3_column_text (stmt, (int) c);
      g_ptr_array_add (rows->cells, g_strdup (text));
    }
    rows->n_rows++;
  }
  if (rc != SQLITE_DONE) {
    hz_db_sqlite_fail (conn, "sqlite step", error);
    return NULL;
  }
  return g_steal_pointer (&rows);
}

/* IMMEDIATE takes the write lock at once, so two writers queue on the busy
 * timeout instead of failing at their first write. */
static gboolean
hz_db_sqlite_begin (gpointer conn, GError **error)
{
  return hz_db_sqlite_exec (conn, "BEGIN IMMEDIATE", error);
}

static gboolean
hz_db_sqlite_commit (gpointer conn, GError **error)
{
  return hz_db_sqlite_exec (conn, "COMMIT", error);
}

static void
hz_db_sqlite_rollback (gpointer conn)
{
  if (!sqlite3_get_autocommit (conn))
    sqlite3_exec (conn, "ROLLBACK", NULL, NULL, NULL);
}

static void
hz_db_sqlite_close (gpointer conn)
{
  sqlite3_close_v2 (conn);
}

const HzDbBackend hz_db_sqlite_backend = {
  .name = "sqlite",
  .dialect = HZ_DB_DIALECT_SQLITE,
  .exec = hz_db_sqlite_exec,
  .query = hz_db_sqlite_query,
  .begin = hz_db_sqlite_begin,
  .commit = hz_db_sqlite_commit,
  .rollback = hz_db_sqlite_rollback,
  .close = hz_db_sqlite_close,
};

/* Opens (creating if needed) the database file at @path, creating its folder. */
gpointer
hz_db_sqlite_open (const char *path, GError **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  sqlite3 *db = NULL;
  int rc;

  if (g_strcmp0 (path, ":memory:") != 0 && g_mkdir_with_parents (dir, 0750) != 0) {
    g_set_error (error, HZ_DB_ERROR, HZ_DB_ERROR_OPEN,
                 "cannot create %s: %s", dir, g_strerror (errno));
    return NULL;
  }
  rc = sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                        SQLITE_OPEN_FULLMUTEX, NULL);
  if (rc != SQLITE_OK) {
    g_set_error (error, HZ_DB_ERROR, HZ_DB_ERROR_OPEN, "cannot open %s: %s",
                 path, db != NULL ? sqlite3_errmsg (db) : sqlite3_errstr (rc));
    sqlite3_close_v2 (db);
    return NULL;
  }
  sqlite3_busy_timeout (db, HZ_DB_SQLITE_BUSY_MS);
  if (!hz_db_sqlite_exec (db, "PRAGMA journal_mode = WAL;"
                              "PRAGMA synchronous = NORMAL;"
                              "PRAGMA foreign_keys = ON;", error)) {
    g_prefix_error (error, "%s: ", path);
    sqlite3_close_v2 (db);
    return NULL;
  }
  return db;
}
