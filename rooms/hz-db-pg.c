/* hz-db-pg: the PostgreSQL backend of hz-db through libpq. The connection is
 * a PGconn; text parameters and text results (the extended protocol with
 * every parameter's type inferred by the server). A lost connection is
 * re-established once per call; if that fails the call reports
 * HZ_DB_ERROR_UNAVAILABLE so callers can journal the write instead. */
#include "hz-db-private.h"

#include <libpq-fe.h>
#include <string.h>

/* Seconds libpq waits for a connection, so an unreachable host stalls the
 * caller for at most this long. */
#define HZ_DB_PG_CONNECT_TIMEOUT "3"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PGresult, PQclear)

/* SQLSTATE classes that mean the server is gone or going, not that the
 * statement was wrong: 08 connection exception, 57P0x operator intervention,
 * 53 insufficient resources. */
static gboolean
hz_db_pg_state_is_unavailable (const char *state)
{
  return state != NULL && (g_str_has_prefix (state, "08") || g_str_has_prefix (state, "57P") ||
                           g_str_has_prefix (state, "53"));
}

static void
hz_db_pg_set_error (PGconn *conn, const PGresult *res, const char *what, GError **error)
{
  const char *state = res != NULL ? PQresultErrorField (res, PG_DIAG_SQLSTATE) : NULL;
  const char *msg = res != NULL ? PQresultErrorMessage (res) : PQerrorMessage (conn);
  int code = HZ_DB_ERROR_QUERY;
  g_autofree char *text = g_strstrip (g_strdup (msg != NULL && msg[0] != '\0' ? msg : PQerrorMessage (conn)));

  if (PQstatus (conn) != CONNECTION_OK || hz_db_pg_state_is_unavailable (state))
    code = HZ_DB_ERROR_UNAVAILABLE;
  else if (state != NULL && g_str_has_prefix (state, "23"))
    code = HZ_DB_ERROR_CONSTRAINT;
  g_set_error (error, HZ_DB_ERROR, code, "%s: %s", what, text);
}

/* Re-establishes a connection the server dropped; a transaction that was
 * open on it is lost, so this is only tried outside one (the caller sees
 * the failure of the statement it ran inside the transaction). */
static gboolean
hz_db_pg_ensure (PGconn *conn, GError **error)
{
  if (PQstatus (conn) == CONNECTION_OK)
    return TRUE;
  PQreset (conn);
  if (PQstatus (conn) == CONNECTION_OK) {
    g_message ("database: reconnected to PostgreSQL");
    return TRUE;
  }
  hz_db_pg_set_error (conn, NULL, "postgresql connect", error);
  return FALSE;
}

static gboolean
hz_db_pg_result_ok (PGconn *conn, PGresult *res, const char *what, GError **error)
{
  ExecStatusType st = res != NULL ? PQresultStatus (res) : PGRES_FATAL_ERROR;

  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
    return TRUE;
  hz_db_pg_set_error (conn, res, what, error);
  return FALSE;
}

static gboolean
hz_db_pg_exec (gpointer conn, const char *sql, GError **error)
{
  g_autoptr(PGresult) res = NULL;

  if (!hz_db_pg_ensure (conn, error))
    return FALSE;
  /* PQexec runs several ';'-separated statements in one implicit transaction. */
  res = PQexec (conn, sql);
  return hz_db_pg_result_ok (conn, res, "postgresql exec", error);
}

static HzDbRows *
hz_db_pg_query (gpointer conn, const char *sql, const char * const *params, guint n_params,
                GError **error)
{
  g_autoptr(PGresult) res = NULL;
  g_autoptr(HzDbRows) rows = NULL;
  int n_rows, n_cols;

  if (!hz_db_pg_ensure (conn, error))
    return NULL;
  res = PQexecParams (conn, sql, (int) n_params, NULL, (const char * const *) params,
                      NULL, NULL, 0);
  if (!hz_db_pg_result_ok (conn, res, "postgresql query", error))
    return NULL;
  n_rows = PQntuples (res);
  n_cols = PQnfields (res);
  rows = hz_db_rows_new ((guint) n_cols);
  for (int r = 0; r < n_rows; r++) {
    for (int c = 0; c < n_cols; c++)
      g_ptr_array_add (rows->cells, PQgetisnull (res, r, c) ? NULL : g_strdup (PQgetvalue (res, r, c)));
  }
  rows->n_rows = (guint) n_rows;
  return g_steal_pointer (&rows);
}

static gboolean
hz_db_pg_begin (gpointer conn, GError **error)
{
  return hz_db_pg_exec (conn, "BEGIN", error);
}

static gboolean
hz_db_pg_commit (gpointer conn, GError **error)
{
  g_autoptr(PGresult) res = NULL;

  res = PQexec (conn, "COMMIT");
  return hz_db_pg_result_ok (conn, res, "postgresql commit", error);
}

static void
hz_db_pg_rollback (gpointer conn)
{
  if (PQstatus (conn) == CONNECTION_OK && PQtransactionStatus (conn) != PQTRANS_IDLE) {
    g_autoptr(PGresult) res = PQexec (conn, "ROLLBACK");
  }
}

static void
hz_db_pg_close (gpointer conn)
{
  PQfinish (conn);
}

static void
hz_db_pg_notice (void *arg, const char *message)
{
  /* "relation already exists, skipping" and friends: not worth a log line */
}

const HzDbBackend hz_db_pg_backend = {
  .name = "postgresql",
  .dialect = HZ_DB_DIALECT_POSTGRES,
  .exec = hz_db_pg_exec,
  .query = hz_db_pg_query,
  .begin = hz_db_pg_begin,
  .commit = hz_db_pg_commit,
  .rollback = hz_db_pg_rollback,
  .close = hz_db_pg_close,
};

/**
 * hz_db_pg_open:
 * @url: a libpq connection URI, "postgresql://user:pass@host:port/db"
 *
 * Connects (waiting at most HZ_DB_PG_CONNECT_TIMEOUT seconds). A server that
 * cannot be reached is HZ_DB_ERROR_UNAVAILABLE; a refused login or a missing
 * database HZ_DB_ERROR_OPEN.
 */
gpointer
hz_db_pg_open (const char *url, GError **error)
{
  const char *keys[] = { "dbname", "connect_timeout", "application_name", NULL };
  const char *values[] = { url, HZ_DB_PG_CONNECT_TIMEOUT, "huizhen", NULL };
  PGconn *conn = PQconnectdbParams (keys, values, 1);

  if (conn == NULL) {
    g_set_error_literal (error, HZ_DB_ERROR, HZ_DB_ERROR_OPEN, "postgresql: out of memory");
    return NULL;
  }
  if (PQstatus (conn) != CONNECTION_OK) {
    g_autofree char *msg = g_strstrip (g_strdup (PQerrorMessage (conn)));
    /* libpq gives no code; "Connection refused"/"timeout" mean no server */
    gboolean down = strstr (msg, "Connection refused") != NULL || strstr (msg, "timeout") != NULL ||
                    strstr (msg, "No such file") != NULL || strstr (msg, "shutting down") != NULL ||
                    strstr (msg, "starting up") != NULL;
    g_set_error (error, HZ_DB_ERROR, down ? HZ_DB_ERROR_UNAVAILABLE : HZ_DB_ERROR_OPEN,
                 "postgresql: %s", msg);
    PQfinish (conn);
    return NULL;
  }
  PQsetNoticeProcessor (conn, hz_db_pg_notice, NULL);
  return conn;
}
