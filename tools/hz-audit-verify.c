/* hz-audit-verify: checks the audit log's hash chain of a Huizhen database.
 *   hz-audit-verify DATABASE_URL      (sqlite:PATH or postgresql://...)
 * Prints "audit chain intact (N entries)" and exits 0, or "audit chain
 * broken at entry ID" and exits 1; 2 when the database cannot be read. */
#include <stdio.h>

#include "hz-audit.h"
#include "hz-db.h"

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HzDb) db = NULL;
  g_autoptr(HzDbRows) rows = NULL;
  gint64 broken = 0;

  if (argc != 2) {
    fprintf (stderr, "usage: %s DATABASE_URL\n", argv[0]);
    return 2;
  }
  db = hz_db_open (argv[1], &error);
  if (db == NULL || !hz_audit_verify (db, &broken, &error)) {
    fprintf (stderr, "hz-audit-verify: %s\n", error->message);
    return 2;
  }
  if (broken != 0) {
    printf ("audit chain broken at entry %" G_GINT64_FORMAT "\n", broken);
    return 1;
  }
  rows = hz_db_query (db, "SELECT COUNT(*) FROM audit_log", NULL, 0, NULL);
  printf ("audit chain intact (%s entries)\n", rows != NULL ? hz_db_rows_get (rows, 0, 0) : "?");
  return 0;
}
