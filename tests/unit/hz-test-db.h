/*
 * hz-test-db: the database a test runs against. HUIZHEN_TEST_DATABASE_URL
 * chooses the backend: unset, each test gets a fresh SQLite file in its
 * temporary directory; a postgresql:// url (tests/pg/run-with-postgres.sh
 * exports one), each test gets a fresh database created on that server and
 * dropped afterwards. Header-only because each test is one file.
 */
#pragma once

#include <glib.h>
#include <libpq-fe.h>
#include <string.h>

static G_GNUC_UNUSED gboolean
hz_test_db_is_postgres (void)
{
  const char *base = g_getenv ("HUIZHEN_TEST_DATABASE_URL");
  return base != NULL && (g_str_has_prefix (base, "postgresql://") || g_str_has_prefix (base, "postgres://"));
}

/* Runs one statement on the server's maintenance database. */
static G_GNUC_UNUSED void
hz_test_db_admin (const char *sql)
{
  PGconn *conn = PQconnectdb (g_getenv ("HUIZHEN_TEST_DATABASE_URL"));
  PGresult *res;

  g_assert_cmpint (PQstatus (conn), ==, CONNECTION_OK);
  res = PQexec (conn, sql);
  if (PQresultStatus (res) != PGRES_COMMAND_OK)
    g_error ("%s: %s", sql, PQresultErrorMessage (res));
  PQclear (res);
  PQfinish (conn);
}

/* Returns: (transfer full): the url of a new, empty database. */
static G_GNUC_UNUSED char *
hz_test_db_url_new (const char *tmpdir)
{
  const char *base = g_getenv ("HUIZHEN_TEST_DATABASE_URL");
  g_autofree char *name = NULL;
  g_autofree char *sql = NULL;
  const char *slash;

  if (!hz_test_db_is_postgres ())
    return g_strdup_printf ("sqlite:%s/db/huizhen.db", tmpdir); /* db/ does not exist yet */
  name = g_strdup_printf ("hz_t_%08x%08x", g_random_int (), g_random_int ());
  sql = g_strdup_printf ("CREATE DATABASE %s", name);
  hz_test_db_admin (sql);
  slash = strrchr (base + strlen ("postgres://"), '/');
  g_assert_nonnull (slash);
  return g_strdup_printf ("%.*s/%s", (int) (slash - base), base, name);
}

static G_GNUC_UNUSED void
hz_test_db_drop (const char *url)
{
  g_autofree char *sql = NULL;

  if (!g_str_has_prefix (url, "postgres"))
    return;
  sql = g_strdup_printf ("DROP DATABASE IF EXISTS %s WITH (FORCE)", strrchr (url, '/') + 1);
  hz_test_db_admin (sql);
}
