/* hz-db-migrations: the numbered schema migrations, oldest first. A migration
 * is never edited once released: change the schema by appending one. Where
 * the dialects agree one text serves both; times are RFC 3339 UTC text. */
#include "hz-db-private.h"

#define HZ_V1_TABLES(EVENT_ID) \
  "CREATE TABLE rooms (" \
  "  id TEXT PRIMARY KEY," \
  "  title TEXT NOT NULL," \
  "  kind TEXT NOT NULL CHECK (kind IN ('consult', 'teaching'))," \
  "  state TEXT NOT NULL CHECK (state IN ('scheduled', 'open', 'live', 'closed'))," \
  "  starts_at TEXT NOT NULL," \
  "  ends_at TEXT NOT NULL," \
  "  capacity INTEGER NOT NULL," \
  "  record INTEGER NOT NULL DEFAULT 0," \
  "  host_institution TEXT," \
  "  created_at TEXT NOT NULL," \
  "  updated_at TEXT NOT NULL);" \
  "CREATE INDEX rooms_starts_at ON rooms (starts_at);" \
  "CREATE TABLE participants (" \
  "  id TEXT PRIMARY KEY," \
  "  room_id TEXT NOT NULL REFERENCES rooms (id)," \
  "  user_id TEXT NOT NULL," \
  "  display_name TEXT NOT NULL," \
  "  institution TEXT NOT NULL," \
  "  role TEXT NOT NULL," \
  "  joined_at TEXT NOT NULL," \
  "  left_at TEXT);" \
  "CREATE INDEX participants_room ON participants (room_id);" \
  "CREATE TABLE consult_events (" \
  "  id " EVENT_ID "," \
  "  room_id TEXT NOT NULL REFERENCES rooms (id)," \
  "  at TEXT NOT NULL," \
  "  kind TEXT NOT NULL," \
  "  actor TEXT," \
  "  detail_json TEXT);" \
  "CREATE INDEX consult_events_room ON consult_events (room_id, at);"

/* The consult record (one per consult room, id = the room's id, created at
 * the request before the room exists), the idempotency keys of every write
 * that can come through the journal, and the join indexes of the filters. */
#define HZ_V2_RECORDS \
  "CREATE TABLE consults (" \
  "  id TEXT PRIMARY KEY," \
  "  room_id TEXT REFERENCES rooms (id)," \
  "  status TEXT NOT NULL CHECK (status IN ('requested', 'scheduled', 'concluded', 'cancelled'))," \
  "  inviting_institution TEXT," \
  "  invited_institution TEXT," \
  "  reason TEXT," \
  "  patient_context TEXT," \
  "  requested_by TEXT," \
  "  requested_at TEXT," \
  "  accepted_by TEXT," \
  "  accepted_at TEXT," \
  "  consent_by TEXT," \
  "  consent_at TEXT," \
  "  conclusion_text TEXT," \
  "  conclusion_by TEXT," \
  "  conclusion_institution TEXT," \
  "  referral_direction TEXT CHECK (referral_direction IN ('up', 'down'))," \
  "  referral_institution TEXT," \
  "  concluded_at TEXT," \
  "  created_at TEXT NOT NULL," \
  "  retain_until TEXT NOT NULL);" \
  "CREATE INDEX consults_created ON consults (created_at);" \
  "CREATE INDEX consults_retain ON consults (retain_until);" \
  "CREATE INDEX participants_user ON participants (user_id);" \
  "CREATE INDEX participants_institution ON participants (institution);" \
  "CREATE TABLE applied_keys (" \
  "  key TEXT PRIMARY KEY," \
  "  applied_at TEXT NOT NULL);"

/* The audit log: explicit ids (1, 2, ...) so each entry's hash can cover its
 * id; audit_head holds the chain's end and the anchor left by purges. */
#define HZ_V3_AUDIT \
  "CREATE TABLE audit_log (" \
  "  id BIGINT PRIMARY KEY," \
  "  at TEXT NOT NULL," \
  "  actor TEXT," \
  "  institution TEXT," \
  "  action TEXT NOT NULL," \
  "  target TEXT," \
  "  outcome TEXT NOT NULL," \
  "  detail TEXT," \
  "  prev_hash TEXT NOT NULL," \
  "  hash TEXT NOT NULL);" \
  "CREATE INDEX audit_log_at ON audit_log (at);" \
  "CREATE TABLE audit_head (" \
  "  one INTEGER PRIMARY KEY CHECK (one = 1)," \
  "  last_id BIGINT NOT NULL," \
  "  last_hash TEXT NOT NULL," \
  "  anchor_id BIGINT NOT NULL," \
  "  anchor_hash TEXT NOT NULL);" \
  "INSERT INTO audit_head VALUES (1, 0, " \
  "  '0000000000000000000000000000000000000000000000000000000000000000', 0," \
  "  '0000000000000000000000000000000000000000000000000000000000000000');"

/* The recordings library (recording/hz-recording-catalog.c): one row per
 * recording session directory, its tracks, the composed file and the state
 * of the compose job. No foreign key to rooms: an entry outlives its room's
 * purge and may be recovered from disk for a room the database lost. */
#define HZ_V4_RECORDINGS(REAL) \
  "CREATE TABLE recordings (" \
  "  id TEXT PRIMARY KEY," \
  "  room_id TEXT NOT NULL," \
  "  room_kind TEXT NOT NULL CHECK (room_kind IN ('consult', 'teaching'))," \
  "  title TEXT NOT NULL," \
  "  course TEXT," \
  "  presenter TEXT," \
  "  institution TEXT," \
  "  state TEXT NOT NULL CHECK (state IN ('recording', 'finished', 'composing', 'composed'," \
  "                                       'failed', 'expired'))," \
  "  dir TEXT NOT NULL UNIQUE," \
  "  started_at TEXT NOT NULL," \
  "  duration_ms BIGINT NOT NULL DEFAULT 0," \
  "  size BIGINT NOT NULL DEFAULT 0," \
  "  recovered INTEGER NOT NULL DEFAULT 0," \
  "  compose_progress " REAL " NOT NULL DEFAULT 0," \
  "  composed_file TEXT," \
  "  composed_size BIGINT," \
  "  composed_sha256 TEXT," \
  "  error TEXT," \
  "  created_at TEXT NOT NULL," \
  "  updated_at TEXT NOT NULL);" \
  "CREATE INDEX recordings_started ON recordings (started_at);" \
  "CREATE INDEX recordings_room ON recordings (room_id);" \
  "CREATE TABLE recording_tracks (" \
  "  recording_id TEXT NOT NULL REFERENCES recordings (id) ON DELETE CASCADE," \
  "  idx INTEGER NOT NULL," \
  "  file TEXT NOT NULL," \
  "  participant_id TEXT," \
  "  name TEXT," \
  "  kind TEXT NOT NULL," \
  "  codec TEXT NOT NULL," \
  "  offset_ms BIGINT NOT NULL," \
  "  duration_ms BIGINT NOT NULL," \
  "  size BIGINT NOT NULL," \
  "  sha256 TEXT," \
  "  PRIMARY KEY (recording_id, idx));"

/* Where each file of a recording lives (recording/hz-recording-upload.c):
 * one row per file once the recording is final and S3 storage is on; the
 * persistent upload queue ("pending" rows survive a crash or an outage). */
#define HZ_V5_RECORDING_FILES \
  "CREATE TABLE recording_files (" \
  "  recording_id TEXT NOT NULL REFERENCES recordings (id) ON DELETE CASCADE," \
  "  file TEXT NOT NULL," \
  "  size BIGINT NOT NULL DEFAULT 0," \
  "  location TEXT NOT NULL CHECK (location IN ('local', 's3', 'local+s3'))," \
  "  upload TEXT NOT NULL CHECK (upload IN ('pending', 'uploaded', 'failed'))," \
  "  attempts INTEGER NOT NULL DEFAULT 0," \
  "  error TEXT," \
  "  updated_at TEXT NOT NULL," \
  "  PRIMARY KEY (recording_id, file));" \
  "CREATE INDEX recording_files_upload ON recording_files (upload);"

static const HzDbMigration hz_db_migration_list[] = {
  { 1, "rooms, participants, consult events", {
    [HZ_DB_DIALECT_SQLITE] = HZ_V1_TABLES ("INTEGER PRIMARY KEY"),
    [HZ_DB_DIALECT_POSTGRES] = HZ_V1_TABLES ("BIGSERIAL PRIMARY KEY"),
  } },
  { 2, "consult records, idempotency keys", {
    [HZ_DB_DIALECT_SQLITE] = HZ_V2_RECORDS,
    [HZ_DB_DIALECT_POSTGRES] = HZ_V2_RECORDS,
  } },
  { 3, "audit log with hash chain", {
    [HZ_DB_DIALECT_SQLITE] = HZ_V3_AUDIT,
    [HZ_DB_DIALECT_POSTGRES] = HZ_V3_AUDIT,
  } },
  { 4, "recordings library", {
    [HZ_DB_DIALECT_SQLITE] = HZ_V4_RECORDINGS ("REAL"),
    [HZ_DB_DIALECT_POSTGRES] = HZ_V4_RECORDINGS ("DOUBLE PRECISION"),
  } },
  { 5, "recording files and their uploads", {
    [HZ_DB_DIALECT_SQLITE] = HZ_V5_RECORDING_FILES,
    [HZ_DB_DIALECT_POSTGRES] = HZ_V5_RECORDING_FILES,
  } },
};

const HzDbMigration *
hz_db_migrations (guint *n_migrations)
{
  *n_migrations = G_N_ELEMENTS (hz_db_migration_list);
  return hz_db_migration_list;
}
