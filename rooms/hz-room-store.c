/* hz-room-store: rooms over hz-db: creating, reading, listing, rescheduling,
 * cancelling, and moving their states by time. Every change that writes more
 * than one row runs in one transaction. */
#include "hz-room-store-private.h"

#include <stdarg.h>
#include <string.h>

#define HZ_PARTICIPANT_COLUMNS \
  "id, room_id, user_id, display_name, institution, role, joined_at, left_at"

/**
 * hz_room_store_new:
 * @db: an open database (a reference is taken)
 *
 * Returns: (transfer full): a store over @db with the default policy and no
 * journal (see hz_room_store_set_journal()).
 */
HzRoomStore *
hz_room_store_new (HzDb *db)
{
  HzRoomStore *self;
  const HzRoomPolicy defaults = HZ_ROOM_POLICY_DEFAULT;

  g_return_val_if_fail (db != NULL, NULL);
  self = g_new0 (HzRoomStore, 1);
  self->db = hz_db_ref (db);
  self->policy = defaults;
  return self;
}

void
hz_room_store_free (HzRoomStore *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->journal, hz_journal_free);
  hz_db_unref (self->db);
  g_free (self);
}

/* Returns: (transfer none): the store's database. */
HzDb *
hz_room_store_get_db (HzRoomStore *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->db;
}

/* Sets the time rules; audit retention below the 6-month minimum is raised to it. */
void
hz_room_store_set_policy (HzRoomStore *self, const HzRoomPolicy *policy)
{
  g_return_if_fail (self != NULL && policy != NULL);
  self->policy = *policy;
  self->policy.audit_retention_days = MAX (policy->audit_retention_days, HZ_AUDIT_RETENTION_MIN_DAYS);
  if (self->policy.retention_years == 0)
    self->policy.retention_years = 15;
}

const HzRoomPolicy *
hz_room_store_get_policy (HzRoomStore *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return &self->policy;
}

gboolean
hz_room_store_corrupt (GError **error, const char *table, const char *id)
{
  g_set_error (error, HZ_DB_ERROR, HZ_DB_ERROR_QUERY, "%s row %s holds unreadable values", table, id);
  return FALSE;
}

HzRoom *
hz_room_store_room_from_row (const HzDbRows *rows, guint r, GError **error)
{
  g_autoptr(HzRoom) room = g_new0 (HzRoom, 1);
  const char *record = hz_db_rows_get (rows, r, 7);

  room->id = g_strdup (hz_db_rows_get (rows, r, 0));
  room->title = g_strdup (hz_db_rows_get (rows, r, 1));
  room->kind = hz_room_kind_from_string (hz_db_rows_get (rows, r, 2));
  room->starts_at = hz_db_time_from_text (hz_db_rows_get (rows, r, 4));
  room->ends_at = hz_db_time_from_text (hz_db_rows_get (rows, r, 5));
  room->capacity = (guint) g_ascii_strtoull (hz_db_rows_get (rows, r, 6), NULL, 10);
  room->record = g_strcmp0 (record, "0") != 0;
  room->host_institution = g_strdup (hz_db_rows_get (rows, r, 8));
  room->created_at = hz_db_time_from_text (hz_db_rows_get (rows, r, 9));
  room->updated_at = hz_db_time_from_text (hz_db_rows_get (rows, r, 10));
  if (room->title == NULL || room->kind == HZ_ROOM_KIND_INVALID || room->starts_at == NULL ||
      room->ends_at == NULL || room->created_at == NULL || room->updated_at == NULL ||
      !hz_room_state_from_string (hz_db_rows_get (rows, r, 3), &room->state)) {
    hz_room_store_corrupt (error, "rooms", room->id);
    return NULL;
  }
  return g_steal_pointer (&room);
}

static gboolean
hz_room_store_insert (HzRoomStore *self, const HzRoom *room, GError **error)
{
  g_autofree char *starts = hz_db_time_to_text (room->starts_at);
  g_autofree char *ends = hz_db_time_to_text (room->ends_at);
  g_autofree char *created = hz_db_time_to_text (room->created_at);
  g_autofree char *updated = hz_db_time_to_text (room->updated_at);
  g_autofree char *capacity = g_strdup_printf ("%u", room->capacity);
  const char *params[] = {
    room->id, room->title, hz_room_kind_to_string (room->kind),
    hz_room_state_to_string (room->state), starts, ends, capacity, room->record ? "1" : "0",
    room->host_institution, created, updated,
  };
  g_autoptr(HzDbRows) rows = hz_db_query (self->db,
    "INSERT INTO rooms (" HZ_ROOM_COLUMNS ") "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    params, G_N_ELEMENTS (params), error);

  return rows != NULL;
}

/* A deep copy: json_node_copy() shares the object of an object node, so a
 * member removed from its copy is gone from the original too. */
JsonNode *
hz_room_store_json_dup (JsonNode *node)
{
  g_autofree char *text = json_to_string (node, FALSE);

  return json_from_string (text, NULL);
}

/* Takes "no_overlap" off a copy of @body: it asks for a check, it is not a
 * property of the room. */
static JsonNode *
hz_room_store_take_no_overlap (JsonNode *body, gboolean *no_overlap, GError **error)
{
  JsonNode *copy;
  JsonObject *obj;
  JsonNode *flag;

  *no_overlap = FALSE;
  if (body == NULL || !JSON_NODE_HOLDS_OBJECT (body))
    return body != NULL ? json_node_copy (body) : NULL;
  copy = hz_room_store_json_dup (body);
  obj = json_node_get_object (copy);
  flag = json_object_get_member (obj, "no_overlap");
  if (flag == NULL)
    return copy;
  if (!JSON_NODE_HOLDS_VALUE (flag) || json_node_get_value_type (flag) != G_TYPE_BOOLEAN) {
    json_node_unref (copy);
    g_set_error_literal (error, HZ_ROOM_STORE_ERROR, HZ_ROOM_STORE_ERROR_INVALID_FIELD,
                         "no_overlap: must be true or false");
    return NULL;
  }
  *no_overlap = json_node_get_boolean (flag);
  json_object_remove_member (obj, "no_overlap");
  return copy;
}

/* OVERLAP when another room of the same host institution, not closed,
 * shares part of @room's window. Rooms without a host are not checked. */
static gboolean
hz_room_store_check_overlap (HzRoomStore *self, const HzRoom *room, GError **error)
{
  g_autofree char *starts = hz_db_time_to_text (room->starts_at);
  g_autofree char *ends = hz_db_time_to_text (room->ends_at);
  const char *params[] = { room->host_institution, room->id != NULL ? room->id : "", starts, ends };
  g_autoptr(HzDbRows) rows = NULL;

  if (room->host_institution == NULL)
    return TRUE;
  rows = hz_db_query (self->db,
    "SELECT id FROM rooms WHERE host_institution = $1 AND id <> $2 AND state <> 'closed' "
    "AND starts_at < $4 AND ends_at > $3 LIMIT 1", params, G_N_ELEMENTS (params), error);
  if (rows == NULL)
    return FALSE;
  if (rows->n_rows > 0) {
    g_set_error (error, HZ_ROOM_STORE_ERROR, HZ_ROOM_STORE_ERROR_OVERLAP,
                 "%s already has room %s in that window", room->host_institution,
                 hz_db_rows_get (rows, 0, 0));
    return FALSE;
  }
  return TRUE;
}

/* Inserts @room (with its consult record when @with_consult and a consult
 * room), after the overlap check when asked. Inside the caller's transaction. */
gboolean
hz_room_store_create_txn (HzRoomStore *self, const HzRoom *room, gboolean no_overlap,
                          gboolean with_consult, GError **error)
{
  if (no_overlap && !hz_room_store_check_overlap (self, room, error))
    return FALSE;
  return hz_room_store_insert (self, room, error) &&
         (!with_consult || room->kind != HZ_ROOM_KIND_CONSULT ||
          hz_consult_insert_for_room (self, room, error));
}

/* Reads a room request (taking "no_overlap" off it) and stamps id and times. */
HzRoom *
hz_room_store_prepare (JsonNode *body, gboolean *no_overlap, GError **error)
{
  g_autoptr(JsonNode) fields = hz_room_store_take_no_overlap (body, no_overlap, error);
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(HzRoom) room = NULL;

  if (fields == NULL && body != NULL)
    return NULL;
  room = hz_room_new_from_json (fields, error);
  if (room == NULL)
    return NULL;
  room->id = g_uuid_string_random ();
  /* Whole seconds, as stored, so this room equals what hz_room_store_get() returns. */
  room->created_at = g_date_time_new_from_unix_utc (g_date_time_to_unix (now));
  room->updated_at = g_date_time_ref (room->created_at);
  return g_steal_pointer (&room);
}

/**
 * hz_room_store_create_from_json:
 * @self: a #HzRoomStore
 * @body: the request body of POST /api/v1/rooms; "no_overlap": true asks
 *   that the host institution have no other room in the window (OVERLAP)
 * @error: a #GError; hz_room_store_error_code() gives its API code
 *
 * Validates @body (see hz_room_new_from_json()), gives the room a UUID v4
 * and stores it as scheduled, with its consult record for a consult room.
 * Nothing is written when @body is invalid.
 *
 * Returns: (transfer full): the stored room, or %NULL with @error set.
 */
HzRoom *
hz_room_store_create_from_json (HzRoomStore *self, JsonNode *body, GError **error)
{
  g_autoptr(HzRoom) room = NULL;
  gboolean no_overlap = FALSE;

  g_return_val_if_fail (self != NULL, NULL);
  room = hz_room_store_prepare (body, &no_overlap, error);
  if (room == NULL)
    return NULL;
  if (!hz_db_begin (self->db, error) ||
      !hz_db_end (self->db, hz_room_store_create_txn (self, room, no_overlap, TRUE, error), error))
    return NULL;
  return g_steal_pointer (&room);
}

/**
 * hz_room_store_get:
 *
 * Returns: (transfer full): the room @id, or %NULL with
 * HZ_ROOM_STORE_ERROR_NOT_FOUND (or a database error).
 */
HzRoom *
hz_room_store_get (HzRoomStore *self, const char *id, GError **error)
{
  const char *params[] = { id };
  g_autoptr(HzDbRows) rows = NULL;

  g_return_val_if_fail (self != NULL && id != NULL, NULL);
  rows = hz_db_query (self->db, "SELECT " HZ_ROOM_COLUMNS " FROM rooms WHERE id = $1",
                      params, 1, error);
  if (rows == NULL)
    return NULL;
  if (rows->n_rows == 0) {
    g_set_error (error, HZ_ROOM_STORE_ERROR, HZ_ROOM_STORE_ERROR_NOT_FOUND, "no room %s", id);
    return NULL;
  }
  return hz_room_store_room_from_row (rows, 0, error);
}

/**
 * hz_room_store_list:
 * @filter: state, time window and page
 * @more: (out) (optional): set when rooms follow this page
 *
 * Returns: (transfer full) (element-type HzRoom): the page of rooms by
 * starts_at then id, or %NULL with @error set.
 */
GPtrArray *
hz_room_store_list (HzRoomStore *self, const HzRoomFilter *filter, gboolean *more, GError **error)
{
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify) hz_room_free);
  g_autofree char *from = filter->from != NULL ? hz_db_time_to_text (filter->from) : NULL;
  g_autofree char *to = filter->to != NULL ? hz_db_time_to_text (filter->to) : NULL;
  guint limit = filter->limit == 0 ? HZ_ROOM_STORE_PAGE_DEFAULT : MIN (filter->limit, HZ_ROOM_STORE_PAGE_MAX);
  g_autofree char *limit_text = g_strdup_printf ("%u", limit + 1);
  g_autofree char *offset_text = g_strdup_printf ("%u", filter->offset);
  const char *params[] = {
    filter->has_state ? hz_room_state_to_string (filter->state) : "",
    from != NULL ? from : "", to != NULL ? to : "", limit_text, offset_text,
  };
  g_autoptr(HzDbRows) rows = NULL;

  g_return_val_if_fail (self != NULL && filter != NULL, NULL);
  /* '' stands for "no filter" so one statement serves every combination */
  rows = hz_db_query (self->db,
    "SELECT " HZ_ROOM_COLUMNS " FROM rooms WHERE ($1 = '' OR state = $1) "
    "AND ($2 = '' OR ends_at > $2) AND ($3 = '' OR starts_at < $3) "
    "ORDER BY starts_at, id LIMIT $4 OFFSET $5", params, G_N_ELEMENTS (params), error);
  if (rows == NULL)
    return NULL;
  for (guint r = 0; r < MIN (rows->n_rows, limit); r++) {
    HzRoom *room = hz_room_store_room_from_row (rows, r, error);
    if (room == NULL)
      return NULL;
    g_ptr_array_add (list, room);
  }
  if (more != NULL)
    *more = rows->n_rows > limit;
  return g_steal_pointer (&list);
}

/* The room's fields as a request body, with @patch's members laid over them. */
static JsonNode *
hz_room_store_merge_patch (const HzRoom *room, JsonObject *patch, GError **error)
{
  static const char *const allowed[] = {
    "title", "starts_at", "ends_at", "capacity", "record", "host_institution", "no_overlap", NULL,
  };
  JsonNode *merged = hz_room_to_json (room);
  JsonObject *obj = json_node_get_object (merged);
  g_autoptr(GList) members = json_object_get_members (patch);

  json_object_remove_member (obj, "id");
  json_object_remove_member (obj, "state");
  json_object_remove_member (obj, "created_at");
  json_object_remove_member (obj, "updated_at");
  if (room->host_institution == NULL)
    json_object_remove_member (obj, "host_institution");
  for (GList *l = members; l != NULL; l = l->next) {
    if (!g_strv_contains (allowed, l->data)) {
      g_set_error (error, HZ_ROOM_STORE_ERROR,
                   g_strcmp0 (l->data, "kind") == 0 || json_object_has_member (obj, l->data)
                     ? HZ_ROOM_STORE_ERROR_INVALID_FIELD : HZ_ROOM_STORE_ERROR_UNKNOWN_FIELD,
                   "%s: cannot be changed", (const char *) l->data);
      json_node_unref (merged);
      return NULL;
    }
    json_object_set_member (obj, l->data, json_node_copy (json_object_get_member (patch, l->data)));
  }
  return merged;
}

static gboolean
hz_room_store_update_txn (HzRoomStore *self, const char *id, JsonNode *body, GDateTime *now,
                          HzRoom **out, GError **error)
{
  g_autoptr(HzRoom) room = hz_room_store_get (self, id, error);
  g_autoptr(JsonNode) merged = NULL;
  g_autoptr(JsonNode) fields = NULL;
  g_autoptr(HzRoom) next = NULL;
  g_autofree char *at = hz_db_time_to_text (now);
  g_autofree char *starts = NULL, *ends = NULL, *capacity = NULL;
  g_autoptr(HzDbRows) rows = NULL;
  gboolean no_overlap = FALSE;

  if (room == NULL)
    return FALSE;
  if (room->state == HZ_ROOM_STATE_CLOSED) {
    g_set_error (error, HZ_ROOM_STORE_ERROR, HZ_ROOM_STORE_ERROR_INVALID_STATE,
                 "room %s is closed and cannot be rescheduled", id);
    return FALSE;
  }
  merged = hz_room_store_merge_patch (room, json_node_get_object (body), error);
  if (merged == NULL)
    return FALSE;
  fields = hz_room_store_take_no_overlap (merged, &no_overlap, error);
  if (fields == NULL)
    return FALSE;
  next = hz_room_new_from_json (fields, error);
  if (next == NULL)
    return FALSE;
  if (g_date_time_compare (next->ends_at, room->ends_at) != 0 && g_date_time_compare (next->ends_at, now) <= 0) {
    g_set_error_literal (error, HZ_ROOM_STORE_ERROR, HZ_ROOM_STORE_ERROR_INVALID_FIELD,
                         "ends_at: a room cannot be rescheduled to end in the past");
    return FALSE;
  }
  next->id = g_strdup (room->id);
  next->state = room->state;
  next->created_at = g_date_time_ref (room->created_at);
  next->updated_at = g_date_time_new_from_unix_utc (g_date_time_to_unix (now));
  if (no_overlap && !hz_room_store_check_overlap (self, next, error))
    return FALSE;
  starts = hz_db_time_to_text (next->starts_at);
  ends = hz_db_time_to_text (next->ends_at);
  capacity = g_strdup_printf ("%u", next->capacity);
  {
    const char *params[] = { id, next->title, starts, ends, capacity, next->record ? "1" : "0",
                             next->host_institution, at };
    rows = hz_db_query (self->db,
      "UPDATE rooms SET title = $2, starts_at = $3, ends_at = $4, capacity = $5, record = $6, "
      "host_institution = $7, updated_at = $8 WHERE id = $1", params, G_N_ELEMENTS (params), error);
  }
  if (rows == NULL ||
      !hz_room_store_add_event (self, id, at, "schedule", NULL,
                                hz_room_store_detail ("starts_at", starts, "ends_at", ends, NULL), error))
    return FALSE;
  *out = g_steal_pointer (&next);
  return TRUE;
}

/**
 * hz_room_store_update_from_json:
 * @body: the PATCH body: any of title, starts_at, ends_at, capacity,
 *   record, host_institution, no_overlap
 * @now: the time of the change (a new ends_at must be after it)
 *
 * Reschedules room @id with the same validation as creation. A closed room
 * is INVALID_STATE; "kind" cannot change. Writes a "schedule" event.
 *
 * Returns: (transfer full): the room as stored, or %NULL with @error set.
 */
HzRoom *
hz_room_store_update_from_json (HzRoomStore *self, const char *id, JsonNode *body, GDateTime *now,
                                GError **error)
{
  HzRoom *out = NULL;

  g_return_val_if_fail (self != NULL && id != NULL && now != NULL, NULL);
  if (body == NULL || !JSON_NODE_HOLDS_OBJECT (body)) {
    g_set_error_literal (error, HZ_ROOM_STORE_ERROR, HZ_ROOM_STORE_ERROR_INVALID_JSON,
                         "the request body must be a JSON object");
    return NULL;
  }
  if (!hz_db_begin (self->db, error) ||
      !hz_db_end (self->db, hz_room_store_update_txn (self, id, body, now, &out, error), error)) {
    g_clear_pointer (&out, hz_room_free);
    return NULL;
  }
  return out;
}

/* Appends one consult event; @detail (transfer full) is stored as JSON text. */
gboolean
hz_room_store_add_event (HzRoomStore *self, const char *room_id, const char *at,
                         const char *kind, const char *actor, JsonNode *detail, GError **error)
{
  g_autoptr(JsonNode) owned = detail;
  g_autofree char *json = owned != NULL ? json_to_string (owned, FALSE) : NULL;
  const char *params[] = { room_id, at, kind, actor, json };
  g_autoptr(HzDbRows) rows = hz_db_query (self->db,
    "INSERT INTO consult_events (room_id, at, kind, actor, detail_json) "
    "VALUES ($1, $2, $3, $4, $5)", params, G_N_ELEMENTS (params), error);

  return rows != NULL;
}

/* Builds a flat JSON object from name/value string pairs ending with NULL;
 * a NULL value becomes JSON null. */
JsonNode *
hz_room_store_detail (const char *first_name, ...)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  va_list ap;

  json_builder_begin_object (b);
  va_start (ap, first_name);
  for (const char *name = first_name; name != NULL; name = va_arg (ap, const char *)) {
    const char *value = va_arg (ap, const char *);
    json_builder_set_member_name (b, name);
    if (value != NULL)
      json_builder_add_string_value (b, value);
    else
      json_builder_add_null_value (b);
  }
  va_end (ap);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

gboolean
hz_room_store_set_state_txn (HzRoomStore *self, const char *id, HzRoomState state, const char *at,
                             GError **error)
{
  g_autoptr(HzRoom) room = hz_room_store_get (self, id, error);
  const char *params[] = { id, hz_room_state_to_string (state), at };
  g_autoptr(HzDbRows) rows = NULL;

  if (room == NULL || !hz_room_state_check_transition (room->state, state, error))
    return FALSE;
  if (room->state == state)
    return TRUE;
  rows = hz_db_query (self->db, "UPDATE rooms SET state = $2, updated_at = $3 WHERE id = $1",
                      params, G_N_ELEMENTS (params), error);
  return rows != NULL &&
         hz_room_store_add_event (self, id, at, "state", NULL,
                                  hz_room_store_detail ("from", hz_room_state_to_string (room->state),
                                                        "to", hz_room_state_to_string (state), NULL),
                                  error);
}

/**
 * hz_room_store_set_state:
 *
 * Moves room @id to @state if hz_room_state_check_transition() allows it
 * (HZ_ROOM_STORE_ERROR_INVALID_STATE otherwise) and logs a "state" event.
 * Setting the current state again changes nothing.
 */
gboolean
hz_room_store_set_state (HzRoomStore *self, const char *id, HzRoomState state, GError **error)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *at = hz_db_time_to_text (now);

  g_return_val_if_fail (self != NULL && id != NULL, FALSE);
  if (!hz_db_begin (self->db, error))
    return FALSE;
  return hz_db_end (self->db, hz_room_store_set_state_txn (self, id, state, at, error), error);
}

static gboolean
hz_room_store_cancel_txn (HzRoomStore *self, const char *id, const char *at, HzRoomState *previous,
                          GError **error)
{
  g_autoptr(HzRoom) room = hz_room_store_get (self, id, error);
  const char *params[] = { id };
  g_autoptr(HzDbRows) rows = NULL;

  if (room == NULL)
    return FALSE;
  if (room->state == HZ_ROOM_STATE_CLOSED) {
    g_set_error (error, HZ_ROOM_STORE_ERROR, HZ_ROOM_STORE_ERROR_INVALID_STATE, "room %s is already closed", id);
    return FALSE;
  }
  *previous = room->state;
  if (!hz_room_store_set_state_txn (self, id, HZ_ROOM_STATE_CLOSED, at, error))
    return FALSE;
  rows = hz_db_query (self->db, "UPDATE consults SET status = 'cancelled' "
                      "WHERE room_id = $1 AND status IN ('requested', 'scheduled')", params, 1, error);
  return rows != NULL;
}

/**
 * hz_room_store_cancel:
 * @previous: (out) (optional): the state the room was in
 *
 * Closes room @id (DELETE /api/v1/rooms/{id}); its consult record, unless
 * concluded, becomes "cancelled". A room already closed is INVALID_STATE.
 * Whoever serves the live room must then close it.
 *
 * Returns: (transfer full): the closed room, or %NULL with @error set.
 */
HzRoom *
hz_room_store_cancel (HzRoomStore *self, const char *id, HzRoomState *previous, GError **error)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *at = hz_db_time_to_text (now);
  HzRoomState prev = HZ_ROOM_STATE_SCHEDULED;

  g_return_val_if_fail (self != NULL && id != NULL, NULL);
  if (!hz_db_begin (self->db, error) ||
      !hz_db_end (self->db, hz_room_store_cancel_txn (self, id, at, &prev, error), error))
    return NULL;
  if (previous != NULL)
    *previous = prev;
  return hz_room_store_get (self, id, error);
}

/* hz_room_is_open_for_join() with the store's lobby and grace times. */
gboolean
hz_room_store_is_open_for_join (HzRoomStore *self, const HzRoom *room, GDateTime *now, GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return hz_room_is_open_for_join_full (room, now, self->policy.lobby_s, self->policy.grace_s, error);
}

/* Runs @sql (params: $1 = a time) and moves each room id it returns to @state;
 * ids of rooms closed this way are added to @closed. */
static gboolean
hz_room_store_tick_move (HzRoomStore *self, const char *sql, const char *param, const char *at,
                         HzRoomState state, GPtrArray *closed, GError **error)
{
  const char *params[] = { param };
  g_autoptr(HzDbRows) rows = hz_db_query (self->db, sql, params, 1, error);

  if (rows == NULL)
    return FALSE;
  for (guint r = 0; r < rows->n_rows; r++) {
    const char *id = hz_db_rows_get (rows, r, 0);
    gboolean ok = hz_db_begin (self->db, error) &&
                  hz_db_end (self->db, hz_room_store_set_state_txn (self, id, state, at, error), error);
    if (!ok)
      return FALSE;
    if (state == HZ_ROOM_STATE_CLOSED)
      g_ptr_array_add (closed, g_strdup (id));
  }
  return TRUE;
}

/**
 * hz_room_store_tick:
 * @now: the current time (tests pass their own)
 *
 * Moves rooms by time, as the control plane's timer asks every few seconds:
 * scheduled → open once the lobby opens (starts_at - lobby); any room not
 * closed → closed after ends_at + grace; a live room with nobody present
 * since empty_close → closed.
 *
 * Returns: (transfer full) (element-type utf8): ids of the rooms this call
 * closed (the caller ends their live sessions), or %NULL with @error set.
 */
GPtrArray *
hz_room_store_tick (HzRoomStore *self, GDateTime *now, GError **error)
{
  g_autoptr(GPtrArray) closed = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GDateTime) lobby = NULL, grace = NULL, empty = NULL;
  g_autofree char *at = NULL, *lobby_text = NULL, *grace_text = NULL, *empty_text = NULL;

  g_return_val_if_fail (self != NULL && now != NULL, NULL);
  at = hz_db_time_to_text (now);
  lobby = g_date_time_add_seconds (now, self->policy.lobby_s);
  grace = g_date_time_add_seconds (now, -(gdouble) self->policy.grace_s);
  empty = g_date_time_add_seconds (now, -(gdouble) self->policy.empty_close_s);
  lobby_text = hz_db_time_to_text (lobby);
  grace_text = hz_db_time_to_text (grace);
  empty_text = hz_db_time_to_text (empty);
  if (!hz_room_store_tick_move (self, "SELECT id FROM rooms WHERE state <> 'closed' AND ends_at < $1",
                                grace_text, at, HZ_ROOM_STATE_CLOSED, closed, error) ||
      !hz_room_store_tick_move (self,
        "SELECT r.id FROM rooms r WHERE r.state = 'live' "
        "AND NOT EXISTS (SELECT 1 FROM participants p WHERE p.room_id = r.id AND p.left_at IS NULL) "
        "AND (SELECT MAX(p.left_at) FROM participants p WHERE p.room_id = r.id) <= $1",
        empty_text, at, HZ_ROOM_STATE_CLOSED, closed, error) ||
      !hz_room_store_tick_move (self, "SELECT id FROM rooms WHERE state = 'scheduled' AND starts_at <= $1",
                                lobby_text, at, HZ_ROOM_STATE_OPEN, closed, error))
    return NULL;
  return g_steal_pointer (&closed);
}

static HzParticipant *
hz_participant_from_row (const HzDbRows *rows, guint r, GError **error)
{
  g_autoptr(HzParticipant) p = g_new0 (HzParticipant, 1);
  const char *left = hz_db_rows_get (rows, r, 7);

  p->id = g_strdup (hz_db_rows_get (rows, r, 0));
  p->room_id = g_strdup (hz_db_rows_get (rows, r, 1));
  p->user_id = g_strdup (hz_db_rows_get (rows, r, 2));
  p->display_name = g_strdup (hz_db_rows_get (rows, r, 3));
  p->institution = g_strdup (hz_db_rows_get (rows, r, 4));
  p->role = hz_role_from_string (hz_db_rows_get (rows, r, 5));
  p->joined_at = hz_db_time_from_text (hz_db_rows_get (rows, r, 6));
  p->left_at = hz_db_time_from_text (left);
  if (p->role == HZ_ROLE_INVALID || p->joined_at == NULL || (left != NULL && p->left_at == NULL)) {
    hz_room_store_corrupt (error, "participants", p->id);
    return NULL;
  }
  return g_steal_pointer (&p);
}

/**
 * hz_room_store_list_participants:
 * @present_only: only those who have not left
 *
 * Returns: (transfer full) (element-type HzParticipant): the participants of
 * @room_id in join order (empty for an unknown room), or %NULL with @error set.
 */
GPtrArray *
hz_room_store_list_participants (HzRoomStore *self, const char *room_id, gboolean present_only,
                                 GError **error)
{
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify) hz_participant_free);
  const char *params[] = { room_id };
  g_autoptr(HzDbRows) rows = NULL;

  g_return_val_if_fail (self != NULL && room_id != NULL, NULL);
  rows = hz_db_query (self->db, present_only
    ? "SELECT " HZ_PARTICIPANT_COLUMNS " FROM participants WHERE room_id = $1 "
      "AND left_at IS NULL ORDER BY joined_at, id"
    : "SELECT " HZ_PARTICIPANT_COLUMNS " FROM participants WHERE room_id = $1 "
      "ORDER BY joined_at, id", params, 1, error);
  if (rows == NULL)
    return NULL;
  for (guint r = 0; r < rows->n_rows; r++) {
    HzParticipant *p = hz_participant_from_row (rows, r, error);
    if (p == NULL)
      return NULL;
    g_ptr_array_add (list, p);
  }
  return g_steal_pointer (&list);
}

/* Returns: (transfer full): the API's participant object. */
JsonNode *
hz_participant_to_json (const HzParticipant *p)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autofree char *joined = hz_db_time_to_text (p->joined_at);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  json_builder_add_string_value (b, p->id);
  json_builder_set_member_name (b, "display_name");
  json_builder_add_string_value (b, p->display_name);
  json_builder_set_member_name (b, "institution");
  json_builder_add_string_value (b, p->institution);
  json_builder_set_member_name (b, "role");
  json_builder_add_string_value (b, hz_role_to_string (p->role));
  json_builder_set_member_name (b, "joined_at");
  json_builder_add_string_value (b, joined);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

void
hz_participant_free (HzParticipant *p)
{
  if (p == NULL)
    return;
  g_free (p->id);
  g_free (p->room_id);
  g_free (p->user_id);
  g_free (p->display_name);
  g_free (p->institution);
  g_clear_pointer (&p->joined_at, g_date_time_unref);
  g_clear_pointer (&p->left_at, g_date_time_unref);
  g_free (p);
}

void
hz_room_store_add_page (JsonBuilder *b, guint limit, guint offset, gboolean more)
{
  json_builder_set_member_name (b, "limit");
  json_builder_add_int_value (b, limit);
  json_builder_set_member_name (b, "offset");
  json_builder_add_int_value (b, offset);
  json_builder_set_member_name (b, "next_offset");
  if (more)
    json_builder_add_int_value (b, (gint64) offset + limit);
  else
    json_builder_add_null_value (b);
}
