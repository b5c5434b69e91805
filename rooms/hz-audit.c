/* hz-audit: hash-chained audit entries over hz-db, SHA-256 through OpenSSL. */
#include "hz-audit.h"
#include "hz-room-store-private.h"

#include <openssl/evp.h>
#include <string.h>

#define HZ_AUDIT_COLUMNS "id, at, actor, institution, action, target, outcome, detail, prev_hash, hash"
#define HZ_AUDIT_VERIFY_PAGE 1000

/* The hash of one entry: SHA-256 over the previous hash and each field as
 * "<length>:<bytes>" (NULL as "-:"), so no two entries share a preimage. */
static char *
hz_audit_hash (const char *prev_hash, const char *const fields[8])
{
  g_autoptr(GString) pre = g_string_new (NULL);
  guchar digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;

  g_string_append_printf (pre, "%zu:%s", strlen (prev_hash), prev_hash);
  for (guint i = 0; i < 8; i++) {
    if (fields[i] == NULL)
      g_string_append (pre, "|-:");
    else
      g_string_append_printf (pre, "|%zu:%s", strlen (fields[i]), fields[i]);
  }
  EVP_Digest (pre->str, pre->len, digest, &len, EVP_sha256 (), NULL);
  {
    GString *hex = g_string_sized_new (len * 2);
    for (unsigned int i = 0; i < len; i++)
      g_string_append_printf (hex, "%02x", digest[i]);
    return g_string_free (hex, FALSE);
  }
}

static const char *
hz_audit_arg (JsonObject *args, const char *name)
{
  return json_object_get_string_member_with_default (args, name, NULL);
}

/* The "audit" op: appends at the head of the chain inside the caller's
 * transaction. The head row is locked (FOR UPDATE; SQLite's IMMEDIATE
 * transaction already is), so two nodes never fork the chain. */
gboolean
hz_audit_apply (HzDb *db, JsonObject *args, GError **error)
{
  g_autoptr(HzDbRows) head = hz_db_query (db, hz_db_is_postgres (db)
    ? "SELECT last_id, last_hash FROM audit_head WHERE one = 1 FOR UPDATE"
    : "SELECT last_id, last_hash FROM audit_head WHERE one = 1", NULL, 0, error);
  g_autoptr(HzDbRows) rows = NULL;
  g_autofree char *id = NULL, *hash = NULL;
  const char *prev;

  if (head == NULL)
    return FALSE;
  if (head->n_rows != 1)
    return hz_room_store_corrupt (error, "audit_head", "1");
  id = g_strdup_printf ("%" G_GINT64_FORMAT, g_ascii_strtoll (hz_db_rows_get (head, 0, 0), NULL, 10) + 1);
  prev = hz_db_rows_get (head, 0, 1);
  {
    const char *fields[8] = { id, hz_audit_arg (args, "at"), hz_audit_arg (args, "actor"),
                              hz_audit_arg (args, "institution"), hz_audit_arg (args, "action"),
                              hz_audit_arg (args, "target"), hz_audit_arg (args, "outcome"),
                              hz_audit_arg (args, "detail") };
    const char *params[] = { fields[0], fields[1], fields[2], fields[3], fields[4], fields[5],
                             fields[6], fields[7], prev, NULL };
    hash = hz_audit_hash (prev, fields);
    params[9] = hash;
    rows = hz_db_query (db, "INSERT INTO audit_log (" HZ_AUDIT_COLUMNS ") "
                        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)", params, 10, error);
  }
  if (rows == NULL)
    return FALSE;
  g_clear_pointer (&rows, hz_db_rows_free);
  {
    const char *params[] = { id, hash };
    rows = hz_db_query (db, "UPDATE audit_head SET last_id = $1, last_hash = $2 WHERE one = 1",
                        params, 2, error);
  }
  return rows != NULL;
}

/**
 * hz_audit_append:
 * @actor: (nullable): who acted: "admin", a user id, a peer address
 * @institution: (nullable): the actor's institution
 * @action: what was done: "join_refused", "token_issued", "moderate",
 *   "record_read", "recording_read", "document_fetch", "room_create", ...
 * @target: (nullable): what it was done to (room, consult, participant id)
 * @outcome: "ok", "denied", "invalid", "error"
 * @detail: (nullable) (transfer none): more, stored as JSON text
 *
 * Appends one entry at the current time. Goes to the journal when the
 * database is unavailable, and lands in the chain, in order, on replay.
 */
gboolean
hz_audit_append (HzRoomStore *store, const char *actor, const char *institution, const char *action,
                 const char *target, const char *outcome, JsonNode *detail, GError **error)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *at = g_date_time_format (now, "%Y-%m-%dT%H:%M:%S.%fZ");
  g_autofree char *detail_text = detail != NULL ? json_to_string (detail, FALSE) : NULL;
  g_autoptr(JsonObject) args = json_object_new ();

  g_return_val_if_fail (store != NULL && action != NULL && outcome != NULL, FALSE);
  json_object_set_string_member (args, "at", at);
  json_object_set_string_member (args, "actor", actor);
  json_object_set_string_member (args, "institution", institution);
  json_object_set_string_member (args, "action", action);
  json_object_set_string_member (args, "target", target);
  json_object_set_string_member (args, "outcome", outcome);
  json_object_set_string_member (args, "detail", detail_text);
  return hz_room_store_write (store, "audit", args, error);
}

/* Checks rows (id > *expect_id - 1) of one page; sets *broken on the first bad one. */
static void
hz_audit_verify_rows (const HzDbRows *rows, gint64 *expect_id, char **prev, gint64 *broken)
{
  for (guint r = 0; r < rows->n_rows && *broken == 0; r++) {
    const char *fields[8];
    g_autofree char *hash = NULL;
    gint64 id = g_ascii_strtoll (hz_db_rows_get (rows, r, 0), NULL, 10);

    for (guint i = 0; i < 8; i++)
      fields[i] = hz_db_rows_get (rows, r, i);
    hash = hz_audit_hash (*prev, fields);
    /* a missing entry shows as a gap; an edited one as a wrong hash; an
     * edited prev_hash or hash as a mismatch with its neighbour */
    if (id != *expect_id || g_strcmp0 (hz_db_rows_get (rows, r, 8), *prev) != 0 ||
        g_strcmp0 (hz_db_rows_get (rows, r, 9), hash) != 0) {
      *broken = MIN (id, *expect_id);
      return;
    }
    g_free (*prev);
    *prev = g_strdup (hash);
    (*expect_id)++;
  }
}

/**
 * hz_audit_verify:
 * @first_broken_id: (out): 0 when the chain is intact, else the id of the
 *   first entry that is missing, altered or does not link to its predecessor
 *
 * Recomputes the chain from the anchor to the head.
 *
 * Returns: %FALSE only when the database cannot be read (@error set).
 */
gboolean
hz_audit_verify (HzDb *db, gint64 *first_broken_id, GError **error)
{
  g_autoptr(HzDbRows) head = hz_db_query (db, "SELECT last_id, last_hash, anchor_id, anchor_hash "
                                          "FROM audit_head WHERE one = 1", NULL, 0, error);
  g_autofree char *prev = NULL;
  gint64 expect, last, broken = 0;

  g_return_val_if_fail (first_broken_id != NULL, FALSE);
  *first_broken_id = 0;
  if (head == NULL)
    return FALSE;
  if (head->n_rows != 1) {
    *first_broken_id = 1;
    return TRUE;
  }
  last = g_ascii_strtoll (hz_db_rows_get (head, 0, 0), NULL, 10);
  expect = g_ascii_strtoll (hz_db_rows_get (head, 0, 2), NULL, 10) + 1;
  prev = g_strdup (hz_db_rows_get (head, 0, 3));
  while (broken == 0) {
    g_autofree char *after = g_strdup_printf ("%" G_GINT64_FORMAT, expect - 1);
    g_autofree char *page = g_strdup_printf ("%d", HZ_AUDIT_VERIFY_PAGE);
    const char *params[] = { after, page };
    g_autoptr(HzDbRows) rows = hz_db_query (db,
      "SELECT id, at, actor, institution, action, target, outcome, detail, prev_hash, hash "
      "FROM audit_log WHERE id > $1 ORDER BY id LIMIT $2", params, 2, error);

    if (rows == NULL)
      return FALSE;
    hz_audit_verify_rows (rows, &expect, &prev, &broken);
    if (rows->n_rows < HZ_AUDIT_VERIFY_PAGE)
      break;
  }
  /* entries cut off the end, or a head that does not match the last entry */
  if (broken == 0 && (expect - 1 != last || g_strcmp0 (prev, hz_db_rows_get (head, 0, 1)) != 0))
    broken = expect <= last ? expect : last;
  *first_broken_id = broken;
  return TRUE;
}

/* Returns: (transfer full): {"entries": [...], "limit", "offset", "next_offset"}, newest first. */
JsonNode *
hz_audit_list_json (HzDb *db, const HzAuditFilter *f, GError **error)
{
  static const char *const names[] = { "id", "at", "actor", "institution", "action", "target",
                                       "outcome", "detail", "prev_hash", "hash" };
  g_autofree char *from = f->from != NULL ? g_date_time_format (f->from, "%Y-%m-%dT%H:%M:%SZ") : g_strdup ("");
  g_autofree char *to = f->to != NULL ? g_date_time_format (f->to, "%Y-%m-%dT%H:%M:%SZ") : g_strdup ("");
  guint limit = f->limit == 0 ? HZ_ROOM_STORE_PAGE_DEFAULT : MIN (f->limit, HZ_ROOM_STORE_PAGE_MAX);
  g_autofree char *limit_text = g_strdup_printf ("%u", limit + 1);
  g_autofree char *offset_text = g_strdup_printf ("%u", f->offset);
  const char *params[] = { f->actor != NULL ? f->actor : "", f->action != NULL ? f->action : "",
                           f->outcome != NULL ? f->outcome : "", from, to, limit_text, offset_text };
  g_autoptr(HzDbRows) rows = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();

  rows = hz_db_query (db, "SELECT " HZ_AUDIT_COLUMNS " FROM audit_log WHERE ($1 = '' OR actor = $1) "
                      "AND ($2 = '' OR action = $2) AND ($3 = '' OR outcome = $3) "
                      "AND ($4 = '' OR at >= $4) AND ($5 = '' OR at < $5) "
                      "ORDER BY id DESC LIMIT $6 OFFSET $7", params, G_N_ELEMENTS (params), error);
  if (rows == NULL)
    return NULL;
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "entries");
  json_builder_begin_array (b);
  for (guint r = 0; r < MIN (rows->n_rows, limit); r++) {
    json_builder_begin_object (b);
    for (guint c = 0; c < G_N_ELEMENTS (names); c++) {
      const char *v = hz_db_rows_get (rows, r, c);
      json_builder_set_member_name (b, names[c]);
      if (c == 0)
        json_builder_add_int_value (b, g_ascii_strtoll (v, NULL, 10));
      else if (v != NULL)
        json_builder_add_string_value (b, v);
      else
        json_builder_add_null_value (b);
    }
    json_builder_end_object (b);
  }
  json_builder_end_array (b);
  hz_room_store_add_page (b, limit, f->offset, rows->n_rows > limit);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static gboolean
hz_audit_purge_txn (HzDb *db, const char *before, guint *n, GError **error)
{
  const char *params[] = { before };
  g_autoptr(HzDbRows) cut = hz_db_query (db,
    "SELECT id, hash FROM audit_log WHERE at < $1 AND id < COALESCE("
    "(SELECT MIN(id) FROM audit_log WHERE at >= $1), (SELECT last_id + 1 FROM audit_head)) "
    "ORDER BY id DESC LIMIT 1", params, 1, error);
  g_autoptr(HzDbRows) gone = NULL, head = NULL;

  if (cut == NULL)
    return FALSE;
  if (cut->n_rows == 0)
    return TRUE;
  {
    const char *p[] = { hz_db_rows_get (cut, 0, 0), hz_db_rows_get (cut, 0, 1) };
    gone = hz_db_query (db, "DELETE FROM audit_log WHERE id <= $1 RETURNING id", p, 1, error);
    if (gone == NULL)
      return FALSE;
    head = hz_db_query (db, "UPDATE audit_head SET anchor_id = $1, anchor_hash = $2 WHERE one = 1",
                        p, 2, error);
  }
  *n = gone->n_rows;
  return head != NULL;
}

/**
 * hz_audit_purge:
 * @before: entries older than this go (the caller passes now minus at least
 *   the 6-month minimum, [audit] retention_days)
 *
 * Deletes the oldest run of entries older than @before and moves the anchor
 * to the last one deleted, so hz_audit_verify() still checks what is left.
 *
 * Returns: how many entries were deleted (0 with @error on failure).
 */
guint
hz_audit_purge (HzDb *db, GDateTime *before, GError **error)
{
  g_autofree char *text = g_date_time_format (before, "%Y-%m-%dT%H:%M:%SZ");
  guint n = 0;

  if (!hz_db_begin (db, error) || !hz_db_end (db, hz_audit_purge_txn (db, text, &n, error), error))
    return 0;
  return n;
}
