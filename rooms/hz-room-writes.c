/* hz-room-writes: the records written as events happen (joins, leaves,
 * documents, recordings, conclusions, audit entries). Each write is an op
 * with JSON arguments and a fresh idempotency key: applied in one
 * transaction that also stores the key in applied_keys, or, when the
 * database is unavailable (or writes are already waiting), appended to the
 * journal and replayed in order by hz_room_store_flush(), where a key already
 * applied is skipped: every record lands exactly once. */
#include "hz-room-store-private.h"

#include <stdarg.h>
#include <string.h>

#define HZ_CONCLUSION_MAX_CHARS 20000

typedef gboolean (*HzWriteApply) (HzRoomStore *self, JsonObject *args, GError **error);

static const char *
arg (JsonObject *args, const char *name)
{
  return json_object_get_string_member_with_default (args, name, NULL);
}

static gboolean
hz_write_apply_join (HzRoomStore *self, JsonObject *args, GError **error)
{
  const char *room_id = arg (args, "room_id"), *at = arg (args, "at");
  const char *params[] = {
    arg (args, "participant_id"), room_id, arg (args, "user"), arg (args, "display_name"),
    arg (args, "institution"), arg (args, "role"), at,
  };
  g_autoptr(HzDbRows) rows = hz_db_query (self->db,
    "INSERT INTO participants (id, room_id, user_id, display_name, institution, role, joined_at) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7)", params, G_N_ELEMENTS (params), error);
  g_autoptr(HzRoom) room = NULL;

  if (rows == NULL ||
      !hz_room_store_add_event (self, room_id, at, "join", params[2],
                                hz_room_store_detail ("participant_id", params[0], "role", params[5],
                                                      "institution", params[4], NULL), error))
    return FALSE;
  room = hz_room_store_get (self, room_id, error);
  if (room == NULL)
    return FALSE;
  /* the first join makes the room live; a late replay into a closed room leaves it closed */
  return room->state == HZ_ROOM_STATE_CLOSED || room->state == HZ_ROOM_STATE_LIVE ||
         hz_room_store_set_state_txn (self, room_id, HZ_ROOM_STATE_LIVE, at, error);
}

static gboolean
hz_write_apply_leave (HzRoomStore *self, JsonObject *args, GError **error)
{
  const char *participant_id = arg (args, "participant_id"), *at = arg (args, "at");
  const char *params[] = { participant_id, at };
  g_autoptr(HzDbRows) rows = hz_db_query (self->db,
    "UPDATE participants SET left_at = $2 WHERE id = $1 AND left_at IS NULL "
    "RETURNING room_id, user_id", params, G_N_ELEMENTS (params), error);

  if (rows == NULL)
    return FALSE;
  if (rows->n_rows == 0) {
    g_set_error (error, HZ_ROOM_STORE_ERROR, HZ_ROOM_STORE_ERROR_NOT_FOUND,
                 "no participant %s in any room", participant_id);
    return FALSE;
  }
  return hz_room_store_add_event (self, hz_db_rows_get (rows, 0, 0), at, "leave",
                                  hz_db_rows_get (rows, 0, 1),
                                  hz_room_store_detail ("participant_id", participant_id, NULL), error);
}

static gboolean
hz_write_apply_event (HzRoomStore *self, JsonObject *args, GError **error)
{
  JsonNode *detail = json_object_get_member (args, "detail");

  return hz_room_store_add_event (self, arg (args, "room_id"), arg (args, "at"), arg (args, "kind"),
                                  arg (args, "actor"), detail != NULL ? json_node_copy (detail) : NULL,
                                  error);
}

static gboolean
hz_write_apply_conclude (HzRoomStore *self, JsonObject *args, GError **error)
{
  const char *room_id = arg (args, "room_id"), *pid = arg (args, "participant_id");
  const char *at = arg (args, "at");
  const char *pp[] = { pid, room_id };
  g_autoptr(HzDbRows) who = hz_db_query (self->db,
    "SELECT user_id, institution FROM participants WHERE id = $1 AND room_id = $2", pp, 2, error);
  g_autoptr(HzDbRows) rows = NULL;
  const char *user, *institution;

  if (who == NULL)
    return FALSE;
  user = who->n_rows > 0 ? hz_db_rows_get (who, 0, 0) : pid;
  institution = who->n_rows > 0 ? hz_db_rows_get (who, 0, 1) : NULL;
  {
    const char *params[] = { room_id, arg (args, "text"), user, institution, arg (args, "direction"),
                             arg (args, "institution"), at };
    rows = hz_db_query (self->db,
      "UPDATE consults SET status = 'concluded', conclusion_text = $2, conclusion_by = $3, "
      "conclusion_institution = $4, referral_direction = $5, referral_institution = $6, "
      "concluded_at = $7 WHERE room_id = $1 RETURNING id", params, G_N_ELEMENTS (params), error);
  }
  if (rows == NULL)
    return FALSE;
  if (rows->n_rows == 0) {
    g_set_error (error, HZ_ROOM_STORE_ERROR, HZ_ROOM_STORE_ERROR_NOT_FOUND,
                 "room %s has no consult record", room_id);
    return FALSE;
  }
  return hz_room_store_add_event (self, room_id, at, "conclusion", user,
                                  hz_room_store_detail ("participant_id", pid,
                                                        "referral_direction", arg (args, "direction"),
                                                        "referral_institution", arg (args, "institution"),
                                                        NULL), error);
}

static gboolean
hz_write_apply_audit (HzRoomStore *self, JsonObject *args, GError **error)
{
  return hz_audit_apply (self->db, args, error);
}

static const struct {
  const char   *op;
  HzWriteApply  apply;
} hz_write_ops[] = {
  { "join", hz_write_apply_join },
  { "leave", hz_write_apply_leave },
  { "event", hz_write_apply_event },
  { "conclude", hz_write_apply_conclude },
  { "audit", hz_write_apply_audit },
};

static HzWriteApply
hz_write_find (const char *op)
{
  for (gsize i = 0; i < G_N_ELEMENTS (hz_write_ops); i++) {
    if (g_strcmp0 (op, hz_write_ops[i].op) == 0)
      return hz_write_ops[i].apply;
  }
  return NULL;
}

/* Stores @key; FALSE in *fresh when it was applied before. */
static gboolean
hz_write_claim_key (HzRoomStore *self, const char *key, gboolean *fresh, GError **error)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *at = hz_db_time_to_text (now);
  const char *params[] = { key, at };
  g_autoptr(HzDbRows) rows = hz_db_query (self->db,
    "INSERT INTO applied_keys (key, applied_at) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING "
    "RETURNING key", params, 2, error);

  if (rows == NULL)
    return FALSE;
  *fresh = rows->n_rows > 0;
  return TRUE;
}

typedef gboolean (*HzWriteCheck) (HzRoomStore *self, JsonObject *args, GError **error);

static gboolean
hz_write_txn (HzRoomStore *self, const char *key, HzWriteApply apply, HzWriteCheck check,
              JsonObject *args, GError **error)
{
  gboolean fresh = FALSE;

  if (check != NULL && !check (self, args, error))
    return FALSE;
  if (!hz_write_claim_key (self, key, &fresh, error))
    return FALSE;
  return !fresh || apply (self, args, error);
}

static gboolean
hz_write_full (HzRoomStore *self, const char *op, JsonObject *args, HzWriteCheck check, GError **error)
{
  HzWriteApply apply = hz_write_find (op);
  g_autofree char *key = g_uuid_string_random ();
  g_autoptr(GError) local = NULL;

  g_return_val_if_fail (apply != NULL, FALSE);
  /* while writes wait in the journal, later ones queue behind them: order is kept */
  if (self->journal != NULL && hz_journal_length (self->journal) > 0)
    return hz_journal_append (self->journal, key, op, args, error);
  if (hz_db_begin (self->db, &local) &&
      hz_db_end (self->db, hz_write_txn (self, key, apply, check, args, &local), &local))
    return TRUE;
  if (self->journal != NULL && g_error_matches (local, HZ_DB_ERROR, HZ_DB_ERROR_UNAVAILABLE)) {
    g_message ("database unavailable (%s): %s kept in the journal", local->message, op);
    return hz_journal_append (self->journal, key, op, args, error);
  }
  g_propagate_error (error, g_steal_pointer (&local));
  return FALSE;
}

/**
 * hz_room_store_write:
 * @op: "join", "leave", "event", "conclude" or "audit"
 * @args: the op's arguments (serialised into the journal when needed)
 *
 * Applies one record write exactly once, now or after the database returns.
 * Returns %TRUE once the write is in the database or on disk in the journal.
 */
gboolean
hz_room_store_write (HzRoomStore *self, const char *op, JsonObject *args, GError **error)
{
  g_return_val_if_fail (self != NULL && op != NULL && args != NULL, FALSE);
  return hz_write_full (self, op, args, NULL, error);
}

/**
 * hz_room_store_set_journal:
 * @path: the journal file, e.g. <data_dir>/journal/records.jsonl
 *
 * Turns on the journal and replays what an earlier run left in it (if the
 * database is reachable now; otherwise the next flush does).
 */
gboolean
hz_room_store_set_journal (HzRoomStore *self, const char *path, GError **error)
{
  g_autoptr(GError) local = NULL;

  g_return_val_if_fail (self != NULL && path != NULL, FALSE);
  g_clear_pointer (&self->journal, hz_journal_free);
  self->journal = hz_journal_open (path, error);
  if (self->journal == NULL)
    return FALSE;
  if (hz_journal_length (self->journal) > 0 && !hz_room_store_flush (self, &local))
    g_message ("journal %s: %u records wait for the database: %s", path,
               hz_journal_length (self->journal), local->message);
  return TRUE;
}

/* Returns: the number of records waiting in the journal. */
guint
hz_room_store_journal_length (HzRoomStore *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->journal != NULL ? hz_journal_length (self->journal) : 0;
}

/* A record the database refuses for good (a leave of a participant it never
 * saw, ...) is set aside next to the journal, never silently dropped. */
static void
hz_write_reject (HzRoomStore *self, HzJournalEntry *e, const GError *why)
{
  g_autofree char *path = g_strconcat (hz_journal_get_path (self->journal), ".rejected", NULL);
  g_autoptr(HzJournal) rejected = hz_journal_open (path, NULL);

  g_warning ("journal: %s %s refused by the database (%s); kept in %s", e->op, e->key,
             why->message, path);
  if (rejected != NULL)
    hz_journal_append (rejected, e->key, e->op, e->args, NULL);
}

/**
 * hz_room_store_flush:
 *
 * Replays the journal into the database, oldest first, each entry in its own
 * transaction; keys already applied are skipped. Stops at the first entry the
 * database is unavailable for (HZ_DB_ERROR_UNAVAILABLE), keeping it and
 * those after it. The control plane calls this on its timer.
 *
 * Returns: %TRUE when the journal is empty afterwards.
 */
gboolean
hz_room_store_flush (HzRoomStore *self, GError **error)
{
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GError) local = NULL;
  guint done = 0;

  g_return_val_if_fail (self != NULL, FALSE);
  if (self->journal == NULL || hz_journal_length (self->journal) == 0)
    return TRUE;
  entries = hz_journal_read (self->journal, error);
  if (entries == NULL)
    return FALSE;
  for (; done < entries->len; done++) {
    HzJournalEntry *e = g_ptr_array_index (entries, done);
    HzWriteApply apply = hz_write_find (e->op);

    if (apply != NULL && hz_db_begin (self->db, &local) &&
        hz_db_end (self->db, hz_write_txn (self, e->key, apply, NULL, e->args, &local), &local))
      continue;
    if (apply == NULL)
      g_set_error (&local, HZ_DB_ERROR, HZ_DB_ERROR_QUERY, "unknown op %s", e->op);
    if (g_error_matches (local, HZ_DB_ERROR, HZ_DB_ERROR_UNAVAILABLE))
      break;
    hz_write_reject (self, e, local);
    g_clear_error (&local);
  }
  if (!hz_journal_drop_head (self->journal, done, error))
    return FALSE;
  if (local != NULL) {
    g_propagate_error (error, g_steal_pointer (&local));
    return FALSE;
  }
  if (done > 0)
    g_message ("journal: %u records replayed into the database", done);
  return TRUE;
}

static JsonObject *
hz_write_args_new (const char *first_name, ...)
{
  JsonObject *args = json_object_new ();
  va_list ap;

  va_start (ap, first_name);
  for (const char *name = first_name; name != NULL; name = va_arg (ap, const char *)) {
    const char *value = va_arg (ap, const char *);
    if (value != NULL)
      json_object_set_string_member (args, name, value);
    else
      json_object_set_null_member (args, name);
  }
  va_end (ap);
  return args;
}

/* Inside the join's transaction: the room is open for join and has room. */
static gboolean
hz_write_check_join (HzRoomStore *self, JsonObject *args, GError **error)
{
  const char *room_id = arg (args, "room_id");
  g_autoptr(HzRoom) room = hz_room_store_get (self, room_id, error);
  g_autoptr(GDateTime) at = hz_db_time_from_text (arg (args, "at"));
  const char *params[] = { room_id };
  g_autoptr(HzDbRows) rows = NULL;

  if (room == NULL || !hz_room_store_is_open_for_join (self, room, at, error))
    return FALSE;
  rows = hz_db_query (self->db, "SELECT COUNT(*) FROM participants WHERE room_id = $1 AND left_at IS NULL",
                      params, 1, error);
  if (rows == NULL)
    return FALSE;
  if (g_ascii_strtoull (hz_db_rows_get (rows, 0, 0), NULL, 10) >= room->capacity) {
    g_set_error (error, HZ_ROOM_STORE_ERROR, HZ_ROOM_STORE_ERROR_FULL,
                 "the room is full (%u participants)", room->capacity);
    return FALSE;
  }
  return TRUE;
}

/**
 * hz_room_store_record_join:
 * @self: a #HzRoomStore
 * @room_id: the room joined
 * @participant_id: a new, unique participant id chosen by signaling
 * @claims: the verified join token's claims; must name @room_id
 * @at: the time of the join
 * @error: a #GError
 *
 * Admits and records a participant: the token must be for this room
 * (WRONG_ROOM), the room open for join at @at (NOT_OPEN, CLOSED) and below
 * capacity (FULL). Writes the participants row and a "join" event together
 * and makes the room live. With the database unavailable the join is
 * journaled unchecked (signaling has admitted it from its own state).
 */
gboolean
hz_room_store_record_join (HzRoomStore *self, const char *room_id, const char *participant_id,
                           const HzTokenClaims *claims, GDateTime *at, GError **error)
{
  g_autoptr(JsonObject) args = NULL;
  g_autofree char *joined = NULL;

  g_return_val_if_fail (self != NULL && room_id != NULL && participant_id != NULL, FALSE);
  g_return_val_if_fail (claims != NULL && at != NULL, FALSE);

  if (g_strcmp0 (claims->room, room_id) != 0) {
    g_set_error (error, HZ_ROOM_STORE_ERROR, HZ_ROOM_STORE_ERROR_WRONG_ROOM,
                 "the token is for another room than %s", room_id);
    return FALSE;
  }
  joined = hz_db_time_to_text (at);
  args = hz_write_args_new ("room_id", room_id, "participant_id", participant_id, "user", claims->user,
                            "display_name", claims->display_name, "institution", claims->institution,
                            "role", hz_role_to_string (claims->role), "at", joined, NULL);
  return hz_write_full (self, "join", args, hz_write_check_join, error);
}

/**
 * hz_room_store_record_leave:
 *
 * Records that @participant_id left at @at, with a "leave" event.
 * HZ_ROOM_STORE_ERROR_NOT_FOUND when no such participant is present.
 */
gboolean
hz_room_store_record_leave (HzRoomStore *self, const char *participant_id, GDateTime *at,
                            GError **error)
{
  g_autofree char *left = NULL;
  g_autoptr(JsonObject) args = NULL;

  g_return_val_if_fail (self != NULL && participant_id != NULL && at != NULL, FALSE);
  left = hz_db_time_to_text (at);
  args = hz_write_args_new ("participant_id", participant_id, "at", left, NULL);
  return hz_write_full (self, "leave", args, NULL, error);
}

static gboolean
hz_write_event (HzRoomStore *self, const char *room_id, const char *kind, const char *actor,
                JsonNode *detail, GDateTime *at, GError **error)
{
  g_autoptr(JsonNode) owned = detail;
  g_autofree char *when = hz_db_time_to_text (at);
  g_autoptr(JsonObject) args = hz_write_args_new ("room_id", room_id, "kind", kind, "actor", actor,
                                                  "at", when, NULL);

  json_object_set_member (args, "detail", g_steal_pointer (&owned));
  return hz_write_full (self, "event", args, NULL, error);
}

/**
 * hz_room_store_record_document:
 * @actor: (nullable): who shared it (participant or user id)
 * @kind: "dicom", "pdf", "image", ...
 *
 * Records that document @document_id was shared into @room_id (a "document"
 * event of the consult record: its id, kind and name; not its content).
 */
gboolean
hz_room_store_record_document (HzRoomStore *self, const char *room_id, const char *actor,
                               const char *document_id, const char *kind, const char *name,
                               GDateTime *at, GError **error)
{
  g_return_val_if_fail (self != NULL && room_id != NULL && document_id != NULL && at != NULL, FALSE);
  return hz_write_event (self, room_id, "document", actor,
                         hz_room_store_detail ("id", document_id, "kind", kind, "name", name, NULL),
                         at, error);
}

/**
 * hz_room_store_record_recording:
 * @state: "started", "stopped" or "ready"
 *
 * Records a recording of @room_id by its library id (a "recording" event).
 */
gboolean
hz_room_store_record_recording (HzRoomStore *self, const char *room_id, const char *actor,
                                const char *recording_id, const char *state, GDateTime *at,
                                GError **error)
{
  g_return_val_if_fail (self != NULL && room_id != NULL && recording_id != NULL && at != NULL, FALSE);
  return hz_write_event (self, room_id, "recording", actor,
                         hz_room_store_detail ("id", recording_id, "state", state, NULL), at, error);
}

static gboolean
hz_write_bad (GError **error, const char *why)
{
  g_set_error_literal (error, HZ_ROOM_STORE_ERROR, HZ_ROOM_STORE_ERROR_INVALID_FIELD, why);
  return FALSE;
}

/**
 * hz_room_store_conclude:
 * @participant_id: the specialist writing it (signaling has checked the role)
 * @text: the conclusion (会诊意见), 1..20000 characters
 * @referral_direction: (nullable): "up" or "down" (双向转诊)
 * @referral_institution: (nullable): required with a direction, else %NULL
 *
 * Archives the conclusion of the consult held in @room_id: the record becomes
 * "concluded" with the author's user and institution, and a "conclusion"
 * event is written. A second conclusion replaces the first (both events
 * stay). INVALID_FIELD for bad input, NOT_FOUND when the room has no
 * consult record.
 */
gboolean
hz_room_store_conclude (HzRoomStore *self, const char *room_id, const char *participant_id,
                        const char *text, const char *referral_direction,
                        const char *referral_institution, GError **error)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *at = hz_db_time_to_text (now);
  g_autoptr(JsonObject) args = NULL;
  glong n;

  g_return_val_if_fail (self != NULL && room_id != NULL && participant_id != NULL, FALSE);
  if (text == NULL || !g_utf8_validate (text, -1, NULL))
    return hz_write_bad (error, "text: must be a string");
  n = g_utf8_strlen (text, -1);
  if (n < 1 || n > HZ_CONCLUSION_MAX_CHARS)
    return hz_write_bad (error, "text: must be 1 to 20000 characters");
  if (referral_direction != NULL && g_strcmp0 (referral_direction, "up") != 0 &&
      g_strcmp0 (referral_direction, "down") != 0)
    return hz_write_bad (error, "referral.direction: must be \"up\" or \"down\"");
  if ((referral_direction == NULL) != (referral_institution == NULL))
    return hz_write_bad (error, "referral: needs both direction and institution");
  if (referral_institution != NULL &&
      (!g_utf8_validate (referral_institution, -1, NULL) || referral_institution[0] == '\0' ||
       g_utf8_strlen (referral_institution, -1) > HZ_ROOM_TITLE_MAX_CHARS))
    return hz_write_bad (error, "referral.institution: must be 1 to 200 characters");
  args = hz_write_args_new ("room_id", room_id, "participant_id", participant_id, "text", text,
                            "direction", referral_direction, "institution", referral_institution,
                            "at", at, NULL);
  return hz_write_full (self, "conclude", args, NULL, error);
}
