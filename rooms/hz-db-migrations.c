/* hz-db-migrations: the numbered schema migrations, oldest first. A migration
 * is never edited once released: change the schema by appending one. */
#include "hz-db-private.h"

static const HzDbMigration hz_db_migration_list[] = {
  { 1, "rooms, participants, consult events", {
    [HZ_DB_DIALECT_SQLITE] =
      "CREATE TABLE rooms ("
      "  id TEXT PRIMARY KEY,"
      "  title TEXT NOT NULL,"
      "  kind TEXT NOT NULL CHECK (kind IN ('consult', 'teaching')),"
      "  state TEXT NOT NULL CHECK (state IN ('scheduled', 'open', 'live', 'closed')),"
      "  starts_at TEXT NOT NULL,"
      "  ends_at TEXT NOT NULL,"
      "  capacity INTEGER NOT NULL,"
      "  record INTEGER NOT NULL DEFAULT 0,"
      "  host_institution TEXT,"
      "  created_at TEXT NOT NULL,"
      "  updated_at TEXT NOT NULL);"
      "CREATE INDEX rooms_starts_at ON rooms (starts_at);"
      "CREATE TABLE participants ("
      "  id TEXT PRIMARY KEY,"
      "  room_id TEXT NOT NULL REFERENCES rooms (id),"
      "  user_id TEXT NOT NULL,"
      "  display_name TEXT NOT NULL,"
      "  institution TEXT NOT NULL,"
      "  role TEXT NOT NULL,"
      "  joined_at TEXT NOT NULL,"
      "  left_at TEXT);"
      "CREATE INDEX participants_room ON participants (room_id);"
      "CREATE TABLE consult_events ("
      "  id INTEGER PRIMARY KEY,"
      "  room_id TEXT NOT NULL REFERENCES rooms (id),"
      "  at TEXT NOT NULL,"
      "  kind TEXT NOT NULL,"
      "  actor TEXT,"
      "  detail_json TEXT);"
      "CREATE INDEX consult_events_room ON consult_events (room_id, at);",
  } },
};

const HzDbMigration *
hz_db_migrations (guint *n_migrations)
{
  *n_migrations = G_N_ELEMENTS (hz_db_migration_list);
  return hz_db_migration_list;
}
