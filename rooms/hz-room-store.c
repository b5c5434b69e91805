/* hz-room-store: rooms, participants and their consult events over hz-db.
 * Every change that writes more than one row runs in one transaction. */
#include "hz-room-store.h"

#include <stdarg.h>

struct _HzRoomStore {
  HzDb *db;
};

#define HZ_ROOM_COLUMNS \
  "id, title, kind, state, starts_at, ends_at, capacity, record, host_institution, " \
  "created_at, updated_at"
#define HZ_PARTICIPANT_COLUMNS \
  "id, room_id, user_id, display_name, institution, role, joined_at, left_at"

/**
 * hz_room_store_new:
 * @db: an open database (a reference is taken)
 *
 * Returns: (transfer full): a store over @db.
 */
HzRoomStore *
hz_room_store_new (HzDb *db)
{
  HzRoomStore *self;

  g_return_val_if_fail (db != NULL, NULL);
  self = g_new0 (HzRoomStore, 1);
  self->db = hz_db_ref (db);
  return self;
}

void
hz_room_store_free (HzRoomStore *self)
{
  if (self == NULL)
    return;
  hz_db_unref (self->db);
  g_free (self);
}

static gboolean
hz_room_store_corrupt (GError **error, const char *table, const char *id)
{
  g_set_error (error, HZ_DB_ERROR, HZ_DB_ERROR_QUERY, "%s row %s holds unreadable values", table, id);
  return FALSE;
}

static HzRoom *
hz_room_from_row (const HzDbRows *rows, guint r, GError **error)
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

/**
 * hz_room_store_create_from_json:
 * @self: a #HzRoomStore
 * @body: the request body of POST /api/v1/rooms
 * @error: a #GError; hz_room_store_error_code() gives its API code
 *
 * Validates @body (see hz_room_new_from_json()), gives the room a UUID v4
 * and stores it as scheduled. Nothing is written when @body is invalid.
 *
 * Returns: (transfer full): the stored room, or %NULL with @error set.
 */
HzRoom *
hz_room_store_create_from_json (HzRoomStore *self, JsonNode *body, GError **error)
{
  g_autoptr(HzRoom) room = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();

  g_return_val_if_fail (self != NULL, NULL);
  room = hz_room_new_from_json (body, error);
  if (room == NULL)
    return NULL;
  room->id = g_uuid_string_random ();
  /* Whole seconds, as stored, so this room equals what hz_room_store_get() returns. */
  room->created_at = g_date_time_new_from_unix_utc (g_date_time_to_unix (now));
  room->updated_at = g_date_time_ref (room->created_at);
  if (!hz_room_store_insert (self, room, error))
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
  return hz_room_from_row (rows, 0, error);
}

/* Appends one consult event; @detail (transfer full) is stored as JSON text. */
static gboolean
hz_room_store_add_event (HzRoomStore *self, const char *room_id, const char *at,
                         const char *kind, const char *actor, JsonNode *detail, GError **error)
{
  g_autoptr(JsonNode) owned = detail;
  g_autofree char *json = json_to_string (owned, FALSE);
  const char *params[] = { room_id, at, kind, actor, json };
  g_autoptr(HzDbRows) rows = hz_db_query (self->db,
    "INSERT INTO consult_events (room_id, at, kind, actor, detail_json) "
    "VALUES ($1, $2, $3, $4, $5)", params, G_N_ELEMENTS (params), error);

  return rows != NULL;
}

/* Builds a flat JSON object from name/value string pairs ending with NULL. */
static JsonNode *
hz_room_store_detail (const char *first_name, ...)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  va_list ap;

  json_builder_begin_object (b);
  va_start (ap, first_name);
  for (const char *name = first_name; name != NULL; name = va_arg (ap, const char *)) {
    json_builder_set_member_name (b, name);
    json_builder_add_string_value (b, va_arg (ap, const char *));
  }
  va_end (ap);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static gboolean
hz_room_store_set_state_txn (HzRoomStore *self, const char *id, HzRoomState state, GError **error)
{
  g_autoptr(HzRoom) room = hz_room_store_get (self, id, error);
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *at = hz_db_time_to_text (now);
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
  g_return_val_if_fail (self != NULL && id != NULL, FALSE);
  if (!hz_db_begin (self->db, error))
    return FALSE;
  return hz_db_end (self->db, hz_room_store_set_state_txn (self, id, state, error), error);
}

static gboolean
hz_room_store_check_capacity (HzRoomStore *self, const HzRoom *room, GError **error)
{
  const char *params[] = { room->id };
  g_autoptr(HzDbRows) rows = hz_db_query (self->db,
    "SELECT COUNT(*) FROM participants WHERE room_id = $1 AND left_at IS NULL",
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

static gboolean
hz_room_store_record_join_txn (HzRoomStore *self, const char *room_id, const char *participant_id,
                               const HzTokenClaims *claims, GDateTime *at, GError **error)
{
  g_autoptr(HzRoom) room = hz_room_store_get (self, room_id, error);
  g_autofree char *joined = hz_db_time_to_text (at);
  const char *role = hz_role_to_string (claims->role);
  const char *params[] = {
    participant_id, room_id, claims->user, claims->display_name, claims->institution, role, joined,
  };
  g_autoptr(HzDbRows) rows = NULL;

  if (room == NULL || !hz_room_is_open_for_join (room, at, error) ||
      !hz_room_store_check_capacity (self, room, error))
    return FALSE;
  rows = hz_db_query (self->db,
    "INSERT INTO participants (id, room_id, user_id, display_name, institution, role, joined_at) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7)", params, G_N_ELEMENTS (params), error);
  return rows != NULL &&
         hz_room_store_add_event (self, room_id, joined, "join", claims->user,
                                  hz_room_store_detail ("participant_id", participant_id,
                                                        "role", role,
                                                        "institution", claims->institution, NULL),
                                  error);
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
 * capacity (FULL). Writes the participants row and a "join" event together.
 */
gboolean
hz_room_store_record_join (HzRoomStore *self, const char *room_id, const char *participant_id,
                           const HzTokenClaims *claims, GDateTime *at, GError **error)
{
  g_return_val_if_fail (self != NULL && room_id != NULL && participant_id != NULL, FALSE);
  g_return_val_if_fail (claims != NULL && at != NULL, FALSE);

  if (g_strcmp0 (claims->room, room_id) != 0) {
    g_set_error (error, HZ_ROOM_STORE_ERROR, HZ_ROOM_STORE_ERROR_WRONG_ROOM,
                 "the token is for another room than %s", room_id);
    return FALSE;
  }
  if (!hz_db_begin (self->db, error))
    return FALSE;
  return hz_db_end (self->db,
                    hz_room_store_record_join_txn (self, room_id, participant_id, claims, at, error),
                    error);
}

static gboolean
hz_room_store_record_leave_txn (HzRoomStore *self, const char *participant_id, GDateTime *at,
                                GError **error)
{
  g_autofree char *left = hz_db_time_to_text (at);
  const char *params[] = { participant_id, left };
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
  return hz_room_store_add_event (self, hz_db_rows_get (rows, 0, 0), left, "leave",
                                  hz_db_rows_get (rows, 0, 1),
                                  hz_room_store_detail ("participant_id", participant_id, NULL),
                                  error);
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
  g_return_val_if_fail (self != NULL && participant_id != NULL && at != NULL, FALSE);
  if (!hz_db_begin (self->db, error))
    return FALSE;
  return hz_db_end (self->db, hz_room_store_record_leave_txn (self, participant_id, at, error), error);
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
