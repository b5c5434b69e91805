/* hz-db-private: what a database backend implements, and the migrations each
 * backend's dialect runs. Only hz-db.c and the backends include this. */
#pragma once

#include "hz-db.h"

G_BEGIN_DECLS

typedef enum {
  HZ_DB_DIALECT_SQLITE,
  HZ_DB_DIALECT_POSTGRES,
  HZ_DB_DIALECT_LAST,
} HzDbDialect;

typedef struct {
  const char  *name;
  HzDbDialect  dialect;
  /* Runs one or more statements without parameters or results. */
  gboolean   (*exec)     (gpointer conn, const char *sql, GError **error);
  /* Runs one statement with $1..$n text parameters; returns all rows. */
  HzDbRows  *(*query)    (gpointer conn, const char *sql, const char * const *params,
                          guint n_params, GError **error);
  gboolean   (*begin)    (gpointer conn, GError **error);
  gboolean   (*commit)   (gpointer conn, GError **error);
  void       (*rollback) (gpointer conn);
  void       (*close)    (gpointer conn);
} HzDbBackend;

typedef struct {
  guint       version;
  const char *name;
  const char *sql[HZ_DB_DIALECT_LAST];
} HzDbMigration;

/* hz-db-sqlite.c */
extern const HzDbBackend hz_db_sqlite_backend;
gpointer hz_db_sqlite_open (const char *path, GError **error);

/* hz-db-pg.c */
extern const HzDbBackend hz_db_pg_backend;
gpointer hz_db_pg_open (const char *url, GError **error);

/* hz-db-migrations.c */
const HzDbMigration *hz_db_migrations (guint *n_migrations);

HzDbRows *hz_db_rows_new (guint n_cols);

G_END_DECLS
