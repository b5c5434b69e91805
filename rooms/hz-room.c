/* hz-room: reading, writing and checking one room. */
#include "hz-room.h"
#include "hz-db.h"

#include <string.h>

G_DEFINE_QUARK (hz-room-store-error-quark, hz_room_store_error)

static const char *const hz_room_state_names[] = {
  [HZ_ROOM_STATE_SCHEDULED] = "scheduled",
  [HZ_ROOM_STATE_OPEN] = "open",
  [HZ_ROOM_STATE_LIVE] = "live",
  [HZ_ROOM_STATE_CLOSED] = "closed",
};

/* [from][to]: the legal state changes. Re-entering the same state is a no-op;
 * closed is final. */
static const gboolean hz_room_transitions[4][4] = {
  [HZ_ROOM_STATE_SCHEDULED] = { [HZ_ROOM_STATE_SCHEDULED] = TRUE, [HZ_ROOM_STATE_OPEN] = TRUE,
                                [HZ_ROOM_STATE_LIVE] = TRUE, [HZ_ROOM_STATE_CLOSED] = TRUE },
  [HZ_ROOM_STATE_OPEN] = { [HZ_ROOM_STATE_OPEN] = TRUE, [HZ_ROOM_STATE_LIVE] = TRUE,
                           [HZ_ROOM_STATE_CLOSED] = TRUE },
  [HZ_ROOM_STATE_LIVE] = { [HZ_ROOM_STATE_LIVE] = TRUE, [HZ_ROOM_STATE_OPEN] = TRUE,
                           [HZ_ROOM_STATE_CLOSED] = TRUE },
  [HZ_ROOM_STATE_CLOSED] = { [HZ_ROOM_STATE_CLOSED] = TRUE },
};

static const struct {
  const char *code;
  guint       status;
} hz_room_error_map[] = {
  [HZ_ROOM_STORE_ERROR_INVALID_JSON] = { "invalid_json", 400 },
  [HZ_ROOM_STORE_ERROR_MISSING_FIELD] = { "missing_field", 400 },
  [HZ_ROOM_STORE_ERROR_INVALID_FIELD] = { "invalid_field", 400 },
  [HZ_ROOM_STORE_ERROR_UNKNOWN_FIELD] = { "unknown_field", 400 },
  [HZ_ROOM_STORE_ERROR_NOT_FOUND] = { "not_found", 404 },
  [HZ_ROOM_STORE_ERROR_INVALID_STATE] = { "invalid_state", 409 },
  [HZ_ROOM_STORE_ERROR_NOT_OPEN] = { "room_not_open", 409 },
  [HZ_ROOM_STORE_ERROR_CLOSED] = { "room_closed", 410 },
  [HZ_ROOM_STORE_ERROR_FULL] = { "room_full", 409 },
  [HZ_ROOM_STORE_ERROR_WRONG_ROOM] = { "wrong_room", 403 },
  [HZ_ROOM_STORE_ERROR_OVERLAP] = { "overlap", 409 },
  [HZ_ROOM_STORE_ERROR_FORBIDDEN] = { "forbidden", 403 },
};

/**
 * hz_room_store_error_code:
 * @error: any error from the room domain or below it
 *
 * Returns: the API error code ("invalid_field", ...); "conflict" for a
 * database constraint, "internal_error" for anything else.
 */
const char *
hz_room_store_error_code (const GError *error)
{
  g_return_val_if_fail (error != NULL, "internal_error");
  if (error->domain == HZ_ROOM_STORE_ERROR && error->code >= 0 &&
      (gsize) error->code < G_N_ELEMENTS (hz_room_error_map))
    return hz_room_error_map[error->code].code;
  if (g_error_matches (error, HZ_DB_ERROR, HZ_DB_ERROR_CONSTRAINT))
    return "conflict";
  if (g_error_matches (error, HZ_DB_ERROR, HZ_DB_ERROR_UNAVAILABLE))
    return "unavailable";
  return "internal_error";
}

/* Returns: the HTTP status that goes with hz_room_store_error_code(). */
guint
hz_room_store_error_status (const GError *error)
{
  g_return_val_if_fail (error != NULL, 500);
  if (error->domain == HZ_ROOM_STORE_ERROR && error->code >= 0 &&
      (gsize) error->code < G_N_ELEMENTS (hz_room_error_map))
    return hz_room_error_map[error->code].status;
  if (g_error_matches (error, HZ_DB_ERROR, HZ_DB_ERROR_CONSTRAINT))
    return 409;
  if (g_error_matches (error, HZ_DB_ERROR, HZ_DB_ERROR_UNAVAILABLE))
    return 503;
  return 500;
}

const char *
hz_room_state_to_string (HzRoomState state)
{
  g_return_val_if_fail (state <= HZ_ROOM_STATE_CLOSED, NULL);
  return hz_room_state_names[state];
}

gboolean
hz_room_state_from_string (const char *text, HzRoomState *state)
{
  for (guint i = 0; text != NULL && i < G_N_ELEMENTS (hz_room_state_names); i++) {
    if (strcmp (text, hz_room_state_names[i]) == 0) {
      *state = (HzRoomState) i;
      return TRUE;
    }
  }
  return FALSE;
}

/* The one place that says which room state changes are legal. */
gboolean
hz_room_state_check_transition (HzRoomState from, HzRoomState to, GError **error)
{
  g_return_val_if_fail (from <= HZ_ROOM_STATE_CLOSED && to <= HZ_ROOM_STATE_CLOSED, FALSE);
  if (hz_room_transitions[from][to])
    return TRUE;
  g_set_error (error, HZ_ROOM_STORE_ERROR, HZ_ROOM_STORE_ERROR_INVALID_STATE,
               "a %s room cannot become %s", hz_room_state_names[from], hz_room_state_names[to]);
  return FALSE;
}

/* RFC 3339 date-time: "YYYY-MM-DDTHH:MM:SS[.frac](Z|+hh:mm|-hh:mm)". GLib's
 * ISO 8601 reader accepts more (week dates, no zone, no seconds), so the shape
 * is checked first. */
static gboolean
hz_room_time_has_rfc3339_shape (const char *s)
{
  static const char shape[] = "dddd-dd-ddTdd:dd:dd";
  gsize i;

  for (i = 0; shape[i] != '\0'; i++) {
    if (shape[i] == 'd' ? !g_ascii_isdigit (s[i])
        : shape[i] == 'T' ? (s[i] != 'T' && s[i] != 't') : s[i] != shape[i])
      return FALSE;
  }
  if (s[i] == '.') {
    if (!g_ascii_isdigit (s[++i]))
      return FALSE;
    while (g_ascii_isdigit (s[i]))
      i++;
  }
  if ((s[i] == 'Z' || s[i] == 'z') && s[i + 1] == '\0')
    return TRUE;
  return (s[i] == '+' || s[i] == '-') && g_ascii_isdigit (s[i + 1]) && g_ascii_isdigit (s[i + 2]) &&
         s[i + 3] == ':' && g_ascii_isdigit (s[i + 4]) && g_ascii_isdigit (s[i + 5]) && s[i + 6] == '\0';
}

/* Returns: (transfer full) (nullable): @text as a time, or %NULL when it is
 * not an RFC 3339 date-time. */
GDateTime *
hz_room_parse_time (const char *text)
{
  if (text == NULL || !hz_room_time_has_rfc3339_shape (text))
    return NULL;
  return g_date_time_new_from_iso8601 (text, NULL);
}

static gboolean
hz_room_field_error (GError **error, int code, const char *field, const char *why)
{
  g_set_error (error, HZ_ROOM_STORE_ERROR, code, "%s: %s", field, why);
  return FALSE;
}

static gboolean
hz_room_node_is (JsonNode *node, GType type)
{
  return JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == type;
}

/* A short human text: 1..200 characters, not blank, no control characters. */
static gboolean
hz_room_read_text (JsonNode *node, const char *field, char **out, GError **error)
{
  const char *s;
  glong n;

  if (!hz_room_node_is (node, G_TYPE_STRING))
    return hz_room_field_error (error, HZ_ROOM_STORE_ERROR_INVALID_FIELD, field, "must be a string");
  s = json_node_get_string (node);
  n = g_utf8_strlen (s, -1);
  if (n < 1 || n > HZ_ROOM_TITLE_MAX_CHARS)
    return hz_room_field_error (error, HZ_ROOM_STORE_ERROR_INVALID_FIELD, field,
                                "must be 1 to 200 characters");
  for (const char *p = s; *p != '\0'; p = g_utf8_next_char (p)) {
    if (g_unichar_iscntrl (g_utf8_get_char (p)))
      return hz_room_field_error (error, HZ_ROOM_STORE_ERROR_INVALID_FIELD, field,
                                  "must not contain control characters");
  }
  {
    g_autofree char *stripped = g_strstrip (g_strdup (s));
    if (stripped[0] == '\0')
      return hz_room_field_error (error, HZ_ROOM_STORE_ERROR_INVALID_FIELD, field, "must not be blank");
  }
  *out = g_strdup (s);
  return TRUE;
}

static gboolean
hz_room_read_title (HzRoom *room, JsonNode *node, GError **error)
{
  return hz_room_read_text (node, "title", &room->title, error);
}

static gboolean
hz_room_read_host_institution (HzRoom *room, JsonNode *node, GError **error)
{
  return hz_room_read_text (node, "host_institution", &room->host_institution, error);
}

static gboolean
hz_room_read_kind (HzRoom *room, JsonNode *node, GError **error)
{
  if (hz_room_node_is (node, G_TYPE_STRING))
    room->kind = hz_room_kind_from_string (json_node_get_string (node));
  if (room->kind == HZ_ROOM_KIND_INVALID)
    return hz_room_field_error (error, HZ_ROOM_STORE_ERROR_INVALID_FIELD, "kind",
                                "must be \"consult\" or \"teaching\"");
  return TRUE;
}

static gboolean
hz_room_read_time (JsonNode *node, const char *field, GDateTime **out, GError **error)
{
  if (hz_room_node_is (node, G_TYPE_STRING))
    *out = hz_room_parse_time (json_node_get_string (node));
  if (*out == NULL)
    return hz_room_field_error (error, HZ_ROOM_STORE_ERROR_INVALID_FIELD, field,
                                "must be an RFC 3339 time such as 2025-03-01T08:30:00+08:00");
  return TRUE;
}

static gboolean
hz_room_read_starts_at (HzRoom *room, JsonNode *node, GError **error)
{
  return hz_room_read_time (node, "starts_at", &room->starts_at, error);
}

static gboolean
hz_room_read_ends_at (HzRoom *room, JsonNode *node, GError **error)
{
  return hz_room_read_time (node, "ends_at", &room->ends_at, error);
}

static gboolean
hz_room_read_capacity (HzRoom *room, JsonNode *node, GError **error)
{
  gint64 n;

  if (!hz_room_node_is (node, G_TYPE_INT64))
    return hz_room_field_error (error, HZ_ROOM_STORE_ERROR_INVALID_FIELD, "capacity",
                                "must be an integer");
  n = json_node_get_int (node);
  if (n < 1 || n > HZ_ROOM_CAPACITY_MAX)
    return hz_room_field_error (error, HZ_ROOM_STORE_ERROR_INVALID_FIELD, "capacity",
                                "must be 1 to 1000");
  room->capacity = (guint) n;
  return TRUE;
}

static gboolean
hz_room_read_record (HzRoom *room, JsonNode *node, GError **error)
{
  if (!hz_room_node_is (node, G_TYPE_BOOLEAN))
    return hz_room_field_error (error, HZ_ROOM_STORE_ERROR_INVALID_FIELD, "record",
                                "must be true or false");
  room->record = json_node_get_boolean (node);
  return TRUE;
}

typedef gboolean (*HzRoomFieldReader) (HzRoom *room, JsonNode *node, GError **error);

static const struct {
  const char        *name;
  gboolean           required;
  HzRoomFieldReader  read;
} hz_room_fields[] = {
  { "title", TRUE, hz_room_read_title },
  { "kind", TRUE, hz_room_read_kind },
  { "starts_at", TRUE, hz_room_read_starts_at },
  { "ends_at", TRUE, hz_room_read_ends_at },
  { "capacity", FALSE, hz_room_read_capacity },
  { "record", FALSE, hz_room_read_record },
  { "host_institution", FALSE, hz_room_read_host_institution },
};

static gboolean
hz_room_check_unknown_fields (JsonObject *obj, GError **error)
{
  g_autoptr(GList) members = json_object_get_members (obj);

  for (GList *l = members; l != NULL; l = l->next) {
    gboolean known = FALSE;
    for (gsize i = 0; i < G_N_ELEMENTS (hz_room_fields); i++)
      known = known || strcmp (l->data, hz_room_fields[i].name) == 0;
    if (!known)
      return hz_room_field_error (error, HZ_ROOM_STORE_ERROR_UNKNOWN_FIELD, l->data, "unknown field");
  }
  return TRUE;
}

static gboolean
hz_room_check_schedule (HzRoom *room, GError **error)
{
  GTimeSpan span = g_date_time_difference (room->ends_at, room->starts_at);

  if (span <= 0)
    return hz_room_field_error (error, HZ_ROOM_STORE_ERROR_INVALID_FIELD, "ends_at",
                                "must be after starts_at");
  if (span > (GTimeSpan) HZ_ROOM_MAX_DURATION_S * G_TIME_SPAN_SECOND)
    return hz_room_field_error (error, HZ_ROOM_STORE_ERROR_INVALID_FIELD, "ends_at",
                                "a room lasts at most 24 hours");
  return TRUE;
}

/**
 * hz_room_new_from_json:
 * @body: the parsed request body of POST /api/v1/rooms
 * @error: a #GError in HZ_ROOM_STORE_ERROR
 *
 * Reads and validates a room request; the first problem found is reported,
 * naming the field. id, created_at and updated_at are left for the store.
 *
 * Returns: (transfer full): a scheduled room, or %NULL with @error set.
 */
HzRoom *
hz_room_new_from_json (JsonNode *body, GError **error)
{
  g_autoptr(HzRoom) room = g_new0 (HzRoom, 1);
  JsonObject *obj;

  if (body == NULL || !JSON_NODE_HOLDS_OBJECT (body)) {
    g_set_error_literal (error, HZ_ROOM_STORE_ERROR, HZ_ROOM_STORE_ERROR_INVALID_JSON,
                         "the request body must be a JSON object");
    return NULL;
  }
  obj = json_node_get_object (body);
  if (!hz_room_check_unknown_fields (obj, error))
    return NULL;
  for (gsize i = 0; i < G_N_ELEMENTS (hz_room_fields); i++) {
    JsonNode *node = json_object_get_member (obj, hz_room_fields[i].name);

    if (node == NULL || JSON_NODE_HOLDS_NULL (node)) {
      if (hz_room_fields[i].required) {
        hz_room_field_error (error, HZ_ROOM_STORE_ERROR_MISSING_FIELD, hz_room_fields[i].name,
                             "is required");
        return NULL;
      }
      continue;
    }
    if (!hz_room_fields[i].read (room, node, error))
      return NULL;
  }
  if (!hz_room_check_schedule (room, error))
    return NULL;
  if (room->capacity == 0)
    room->capacity = room->kind == HZ_ROOM_KIND_TEACHING ? HZ_ROOM_CAPACITY_TEACHING
                                                         : HZ_ROOM_CAPACITY_CONSULT;
  room->state = HZ_ROOM_STATE_SCHEDULED;
  return g_steal_pointer (&room);
}

static void
hz_room_add_time (JsonBuilder *b, const char *name, GDateTime *t)
{
  g_autofree char *text = t != NULL ? hz_db_time_to_text (t) : NULL;

  json_builder_set_member_name (b, name);
  if (text != NULL)
    json_builder_add_string_value (b, text);
  else
    json_builder_add_null_value (b);
}

/* Returns: (transfer full): the room object of the API, times in RFC 3339 UTC. */
JsonNode *
hz_room_to_json (const HzRoom *room)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  g_return_val_if_fail (room != NULL, NULL);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  json_builder_add_string_value (b, room->id);
  json_builder_set_member_name (b, "title");
  json_builder_add_string_value (b, room->title);
  json_builder_set_member_name (b, "kind");
  json_builder_add_string_value (b, hz_room_kind_to_string (room->kind));
  json_builder_set_member_name (b, "state");
  json_builder_add_string_value (b, hz_room_state_to_string (room->state));
  hz_room_add_time (b, "starts_at", room->starts_at);
  hz_room_add_time (b, "ends_at", room->ends_at);
  json_builder_set_member_name (b, "capacity");
  json_builder_add_int_value (b, room->capacity);
  json_builder_set_member_name (b, "record");
  json_builder_add_boolean_value (b, room->record);
  json_builder_set_member_name (b, "host_institution");
  if (room->host_institution != NULL)
    json_builder_add_string_value (b, room->host_institution);
  else
    json_builder_add_null_value (b);
  hz_room_add_time (b, "created_at", room->created_at);
  hz_room_add_time (b, "updated_at", room->updated_at);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

/**
 * hz_room_is_open_for_join:
 * @room: a room
 * @now: the time of the join
 * @error: HZ_ROOM_STORE_ERROR_NOT_OPEN or _CLOSED when not open
 *
 * A room takes joins from starts_at minus the 15-minute lobby until ends_at
 * plus 10 minutes of grace, both ends included, unless it is closed. The
 * configured times are applied by hz_room_is_open_for_join_full().
 */
gboolean
hz_room_is_open_for_join (const HzRoom *room, GDateTime *now, GError **error)
{
  return hz_room_is_open_for_join_full (room, now, HZ_ROOM_LOBBY_S, HZ_ROOM_GRACE_S, error);
}

/* hz_room_is_open_for_join() with a lobby of @lobby_s and a grace of @grace_s. */
gboolean
hz_room_is_open_for_join_full (const HzRoom *room, GDateTime *now, guint lobby_s, guint grace_s,
                               GError **error)
{
  g_autoptr(GDateTime) opens = NULL;
  g_autoptr(GDateTime) closes = NULL;
  g_autofree char *text = NULL;

  g_return_val_if_fail (room != NULL && now != NULL, FALSE);
  if (room->state == HZ_ROOM_STATE_CLOSED) {
    g_set_error_literal (error, HZ_ROOM_STORE_ERROR, HZ_ROOM_STORE_ERROR_CLOSED, "the room is closed");
    return FALSE;
  }
  opens = g_date_time_add_seconds (room->starts_at, -(gdouble) lobby_s);
  closes = g_date_time_add_seconds (room->ends_at, grace_s);
  if (g_date_time_compare (now, opens) < 0) {
    text = hz_db_time_to_text (opens);
    g_set_error (error, HZ_ROOM_STORE_ERROR, HZ_ROOM_STORE_ERROR_NOT_OPEN, "the room opens at %s", text);
    return FALSE;
  }
  if (g_date_time_compare (now, closes) > 0) {
    text = hz_db_time_to_text (room->ends_at);
    g_set_error (error, HZ_ROOM_STORE_ERROR, HZ_ROOM_STORE_ERROR_CLOSED, "the room ended at %s", text);
    return FALSE;
  }
  return TRUE;
}

void
hz_room_free (HzRoom *room)
{
  if (room == NULL)
    return;
  g_free (room->id);
  g_free (room->title);
  g_clear_pointer (&room->starts_at, g_date_time_unref);
  g_clear_pointer (&room->ends_at, g_date_time_unref);
  g_free (room->host_institution);
  g_clear_pointer (&room->created_at, g_date_time_unref);
  g_clear_pointer (&room->updated_at, g_date_time_unref);
  g_free (room);
}
