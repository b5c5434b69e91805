/* hz-consult: consult records over hz-db. */
#include "hz-consult.h"
#include "hz-room-store-private.h"

#include <string.h>

#define HZ_CONSULT_TEXT_MAX_CHARS 4000
#define HZ_CONSULT_CONTEXT_MAX_BYTES (32 * 1024)
#define HZ_CONSULT_COLUMNS \
  "c.id, c.room_id, c.status, c.inviting_institution, c.invited_institution, c.reason, " \
  "c.patient_context, c.requested_by, c.requested_at, c.accepted_by, c.accepted_at, " \
  "c.consent_by, c.consent_at, c.conclusion_text, c.conclusion_by, c.conclusion_institution, " \
  "c.referral_direction, c.referral_institution, c.concluded_at, c.created_at, c.retain_until"

static char *
hz_consult_retain_until (HzRoomStore *self, GDateTime *from)
{
  g_autoptr(GDateTime) until = g_date_time_add_years (from, (gint) self->policy.retention_years);
  return hz_db_time_to_text (until);
}

/* The consult record of a consult room scheduled directly (POST /rooms). */
gboolean
hz_consult_insert_for_room (HzRoomStore *self, const HzRoom *room, GError **error)
{
  g_autofree char *created = hz_db_time_to_text (room->created_at);
  g_autofree char *until = hz_consult_retain_until (self, room->created_at);
  const char *params[] = { room->id, room->host_institution, created, until };
  g_autoptr(HzDbRows) rows = hz_db_query (self->db,
    "INSERT INTO consults (id, room_id, status, invited_institution, created_at, retain_until) "
    "VALUES ($1, $1, 'scheduled', $2, $3, $4)", params, G_N_ELEMENTS (params), error);

  return rows != NULL;
}

static gboolean
hz_consult_bad (GError **error, int code, const char *field, const char *why)
{
  g_set_error (error, HZ_ROOM_STORE_ERROR, code, "%s: %s", field, why);
  return FALSE;
}

/* Checks @obj has only @known members. */
static gboolean
hz_consult_known_fields (JsonObject *obj, const char *const *known, GError **error)
{
  g_autoptr(GList) members = json_object_get_members (obj);

  for (GList *l = members; l != NULL; l = l->next) {
    if (!g_strv_contains (known, l->data))
      return hz_consult_bad (error, HZ_ROOM_STORE_ERROR_UNKNOWN_FIELD, l->data, "unknown field");
  }
  return TRUE;
}

/* A string member of 1..@max characters; absent is %NULL when !@required. */
static gboolean
hz_consult_text (JsonObject *obj, const char *name, gboolean required, glong max, const char **out,
                 GError **error)
{
  JsonNode *node = json_object_get_member (obj, name);
  const char *s;

  *out = NULL;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return !required || hz_consult_bad (error, HZ_ROOM_STORE_ERROR_MISSING_FIELD, name, "is required");
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return hz_consult_bad (error, HZ_ROOM_STORE_ERROR_INVALID_FIELD, name, "must be a string");
  s = json_node_get_string (node);
  if (s[0] == '\0' || g_utf8_strlen (s, -1) > max)
    return hz_consult_bad (error, HZ_ROOM_STORE_ERROR_INVALID_FIELD, name, "has the wrong length");
  *out = s;
  return TRUE;
}

static JsonObject *
hz_consult_body (JsonNode *body, GError **error)
{
  if (body == NULL || !JSON_NODE_HOLDS_OBJECT (body)) {
    g_set_error_literal (error, HZ_ROOM_STORE_ERROR, HZ_ROOM_STORE_ERROR_INVALID_JSON,
                         "the request body must be a JSON object");
    return NULL;
  }
  return json_node_get_object (body);
}

/**
 * hz_consult_request:
 * @body: {"inviting_institution", "invited_institution", "reason",
 *   "patient_context": object or string, "requested_by"}
 *
 * Records a consult request (status "requested", no room yet).
 *
 * Returns: (transfer full): the consult id (later also its room's id).
 */
char *
hz_consult_request (HzRoomStore *self, JsonNode *body, GError **error)
{
  static const char *const known[] = { "inviting_institution", "invited_institution", "reason",
                                       "patient_context", "requested_by", NULL };
  JsonObject *obj = hz_consult_body (body, error);
  const char *inviting, *invited, *reason, *by;
  JsonNode *context;
  g_autofree char *context_text = NULL;
  g_autofree char *id = NULL, *at = NULL, *until = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(HzDbRows) rows = NULL;

  if (obj == NULL || !hz_consult_known_fields (obj, known, error) ||
      !hz_consult_text (obj, "inviting_institution", TRUE, HZ_ROOM_TITLE_MAX_CHARS, &inviting, error) ||
      !hz_consult_text (obj, "invited_institution", TRUE, HZ_ROOM_TITLE_MAX_CHARS, &invited, error) ||
      !hz_consult_text (obj, "reason", TRUE, HZ_CONSULT_TEXT_MAX_CHARS, &reason, error) ||
      !hz_consult_text (obj, "requested_by", FALSE, 128, &by, error))
    return NULL;
  context = json_object_get_member (obj, "patient_context");
  if (context != NULL && !JSON_NODE_HOLDS_NULL (context)) {
    if (!JSON_NODE_HOLDS_OBJECT (context) &&
        !(JSON_NODE_HOLDS_VALUE (context) && json_node_get_value_type (context) == G_TYPE_STRING)) {
      hz_consult_bad (error, HZ_ROOM_STORE_ERROR_INVALID_FIELD, "patient_context",
                      "must be an object or a string");
      return NULL;
    }
    context_text = json_to_string (context, FALSE);
    if (strlen (context_text) > HZ_CONSULT_CONTEXT_MAX_BYTES) {
      hz_consult_bad (error, HZ_ROOM_STORE_ERROR_INVALID_FIELD, "patient_context", "is larger than 32 KiB");
      return NULL;
    }
  }
  id = g_uuid_string_random ();
  at = hz_db_time_to_text (now);
  until = hz_consult_retain_until (self, now);
  {
    const char *params[] = { id, inviting, invited, reason, context_text, by, at, until };
    rows = hz_db_query (self->db,
      "INSERT INTO consults (id, status, inviting_institution, invited_institution, reason, "
      "patient_context, requested_by, requested_at, created_at, retain_until) "
      "VALUES ($1, 'requested', $2, $3, $4, $5, $6, $7, $7, $8)", params, G_N_ELEMENTS (params), error);
  }
  return rows != NULL ? g_steal_pointer (&id) : NULL;
}

static gboolean
hz_consult_status (HzRoomStore *self, const char *id, char **status, char **invited, GError **error)
{
  const char *params[] = { id };
  g_autoptr(HzDbRows) rows = hz_db_query (self->db,
    "SELECT status, invited_institution FROM consults WHERE id = $1", params, 1, error);

  if (rows == NULL)
    return FALSE;
  if (rows->n_rows == 0) {
    g_set_error (error, HZ_ROOM_STORE_ERROR, HZ_ROOM_STORE_ERROR_NOT_FOUND, "no consult %s", id);
    return FALSE;
  }
  *status = g_strdup (hz_db_rows_get (rows, 0, 0));
  if (invited != NULL)
    *invited = g_strdup (hz_db_rows_get (rows, 0, 1));
  return TRUE;
}

static gboolean
hz_consult_accept_txn (HzRoomStore *self, const char *id, HzRoom *room, gboolean no_overlap,
                       const char *by, GError **error)
{
  g_autofree char *status = NULL, *invited = NULL, *at = NULL;
  g_autoptr(HzDbRows) rows = NULL;

  if (!hz_consult_status (self, id, &status, &invited, error))
    return FALSE;
  if (g_strcmp0 (status, "requested") != 0) {
    g_set_error (error, HZ_ROOM_STORE_ERROR, HZ_ROOM_STORE_ERROR_INVALID_STATE,
                 "consult %s is %s, not requested", id, status);
    return FALSE;
  }
  g_free (room->id);
  room->id = g_strdup (id);
  if (room->host_institution == NULL)
    room->host_institution = g_strdup (invited);
  at = hz_db_time_to_text (room->created_at);
  if (!hz_room_store_create_txn (self, room, no_overlap, FALSE, error))
    return FALSE;
  {
    const char *params[] = { id, by, at };
    rows = hz_db_query (self->db, "UPDATE consults SET room_id = $1, status = 'scheduled', "
                        "accepted_by = $2, accepted_at = $3 WHERE id = $1", params, 3, error);
  }
  return rows != NULL;
}

/**
 * hz_consult_accept:
 * @body: a room request (title, starts_at, ends_at, ... as POST /rooms,
 *   kind may be omitted and must be "consult") plus "accepted_by"
 *
 * The invited institution accepts the request and schedules it: the room is
 * created with the consult's id, hosted by the invited institution unless
 * the body names a host. INVALID_STATE unless the consult is "requested".
 */
HzRoom *
hz_consult_accept (HzRoomStore *self, const char *id, JsonNode *body, GError **error)
{
  JsonObject *obj = hz_consult_body (body, error);
  g_autoptr(JsonNode) fields = NULL;
  g_autoptr(HzRoom) room = NULL;
  const char *by = NULL;
  gboolean no_overlap = FALSE;

  if (obj == NULL || !hz_consult_text (obj, "accepted_by", FALSE, 128, &by, error))
    return NULL;
  fields = hz_room_store_json_dup (body);
  obj = json_node_get_object (fields);
  json_object_remove_member (obj, "accepted_by");
  if (!json_object_has_member (obj, "kind"))
    json_object_set_string_member (obj, "kind", "consult");
  room = hz_room_store_prepare (fields, &no_overlap, error);
  if (room == NULL)
    return NULL;
  if (room->kind != HZ_ROOM_KIND_CONSULT) {
    hz_consult_bad (error, HZ_ROOM_STORE_ERROR_INVALID_FIELD, "kind", "a consult is held in a consult room");
    return NULL;
  }
  if (!hz_db_begin (self->db, error) ||
      !hz_db_end (self->db, hz_consult_accept_txn (self, id, room, no_overlap, by, error), error))
    return NULL;
  return hz_room_store_get (self, id, error);
}

/**
 * hz_consult_consent:
 * @body: {"confirmed_by": who confirmed the patient's consent, "at"?: RFC 3339}
 *
 * Records the patient's consent on consult @id (not after it is concluded
 * or cancelled: INVALID_STATE).
 */
gboolean
hz_consult_consent (HzRoomStore *self, const char *id, JsonNode *body, GError **error)
{
  static const char *const known[] = { "confirmed_by", "at", NULL };
  JsonObject *obj = hz_consult_body (body, error);
  const char *by, *at_text = NULL;
  g_autoptr(GDateTime) at = NULL;
  g_autofree char *status = NULL, *at_db = NULL;
  g_autoptr(HzDbRows) rows = NULL;

  if (obj == NULL || !hz_consult_known_fields (obj, known, error) ||
      !hz_consult_text (obj, "confirmed_by", TRUE, 128, &by, error) ||
      !hz_consult_text (obj, "at", FALSE, 64, &at_text, error))
    return FALSE;
  at = at_text != NULL ? hz_room_parse_time (at_text) : g_date_time_new_now_utc ();
  if (at == NULL)
    return hz_consult_bad (error, HZ_ROOM_STORE_ERROR_INVALID_FIELD, "at", "must be an RFC 3339 time");
  if (!hz_consult_status (self, id, &status, NULL, error))
    return FALSE;
  if (g_strcmp0 (status, "requested") != 0 && g_strcmp0 (status, "scheduled") != 0) {
    g_set_error (error, HZ_ROOM_STORE_ERROR, HZ_ROOM_STORE_ERROR_INVALID_STATE,
                 "consult %s is %s", id, status);
    return FALSE;
  }
  at_db = hz_db_time_to_text (at);
  {
    const char *params[] = { id, by, at_db };
    rows = hz_db_query (self->db, "UPDATE consults SET consent_by = $2, consent_at = $3 WHERE id = $1",
                        params, 3, error);
  }
  return rows != NULL;
}

static void
hz_consult_add (JsonBuilder *b, const char *name, const char *value)
{
  json_builder_set_member_name (b, name);
  if (value != NULL)
    json_builder_add_string_value (b, value);
  else
    json_builder_add_null_value (b);
}

/* The record's own fields (row @r of a HZ_CONSULT_COLUMNS query) into @b. */
static void
hz_consult_fields (JsonBuilder *b, const HzDbRows *rows, guint r)
{
  static const char *const names[] = {
    "id", "room_id", "status", "inviting_institution", "invited_institution", "reason",
    "patient_context", "requested_by", "requested_at", "accepted_by", "accepted_at",
  };
  const char *context = hz_db_rows_get (rows, r, 6);

  for (guint i = 0; i < G_N_ELEMENTS (names); i++) {
    if (i == 6 && context != NULL) {
      g_autoptr(JsonParser) p = json_parser_new ();
      json_builder_set_member_name (b, "patient_context");
      if (json_parser_load_from_data (p, context, -1, NULL))
        json_builder_add_value (b, json_node_copy (json_parser_get_root (p)));
      else
        json_builder_add_string_value (b, context);
      continue;
    }
    hz_consult_add (b, names[i], hz_db_rows_get (rows, r, i));
  }
  json_builder_set_member_name (b, "consent");
  if (hz_db_rows_get (rows, r, 11) != NULL) {
    json_builder_begin_object (b);
    hz_consult_add (b, "confirmed_by", hz_db_rows_get (rows, r, 11));
    hz_consult_add (b, "at", hz_db_rows_get (rows, r, 12));
    json_builder_end_object (b);
  } else {
    json_builder_add_null_value (b);
  }
  json_builder_set_member_name (b, "conclusion");
  if (hz_db_rows_get (rows, r, 13) != NULL) {
    json_builder_begin_object (b);
    hz_consult_add (b, "text", hz_db_rows_get (rows, r, 13));
    hz_consult_add (b, "by", hz_db_rows_get (rows, r, 14));
    hz_consult_add (b, "institution", hz_db_rows_get (rows, r, 15));
    hz_consult_add (b, "at", hz_db_rows_get (rows, r, 18));
    json_builder_set_member_name (b, "referral");
    if (hz_db_rows_get (rows, r, 16) != NULL) {
      json_builder_begin_object (b);
      hz_consult_add (b, "direction", hz_db_rows_get (rows, r, 16));
      hz_consult_add (b, "institution", hz_db_rows_get (rows, r, 17));
      json_builder_end_object (b);
    } else {
      json_builder_add_null_value (b);
    }
    json_builder_end_object (b);
  } else {
    json_builder_add_null_value (b);
  }
  hz_consult_add (b, "created_at", hz_db_rows_get (rows, r, 19));
  hz_consult_add (b, "retain_until", hz_db_rows_get (rows, r, 20));
}

/* "documents" or "recordings": the detail objects of the room's events of @kind. */
static gboolean
hz_consult_add_events (HzRoomStore *self, JsonBuilder *b, const char *room_id, const char *kind,
                       const char *member, GError **error)
{
  const char *params[] = { room_id, kind };
  g_autoptr(HzDbRows) rows = hz_db_query (self->db,
    "SELECT at, actor, detail_json FROM consult_events WHERE room_id = $1 AND kind = $2 "
    "ORDER BY at, id", params, 2, error);

  if (rows == NULL)
    return FALSE;
  json_builder_set_member_name (b, member);
  json_builder_begin_array (b);
  for (guint r = 0; r < rows->n_rows; r++) {
    g_autoptr(JsonParser) p = json_parser_new ();
    JsonNode *detail;

    if (!json_parser_load_from_data (p, hz_db_rows_get (rows, r, 2), -1, NULL))
      continue;
    detail = json_node_copy (json_parser_get_root (p));
    if (JSON_NODE_HOLDS_OBJECT (detail)) {
      json_object_set_string_member (json_node_get_object (detail), "at", hz_db_rows_get (rows, r, 0));
      if (hz_db_rows_get (rows, r, 1) != NULL)
        json_object_set_string_member (json_node_get_object (detail), "by", hz_db_rows_get (rows, r, 1));
    }
    json_builder_add_value (b, detail);
  }
  json_builder_end_array (b);
  return TRUE;
}

static gboolean
hz_consult_add_participants (HzRoomStore *self, JsonBuilder *b, const char *room_id, GError **error)
{
  g_autoptr(GPtrArray) list = hz_room_store_list_participants (self, room_id, FALSE, error);

  if (list == NULL)
    return FALSE;
  json_builder_set_member_name (b, "participants");
  json_builder_begin_array (b);
  for (guint i = 0; i < list->len; i++) {
    HzParticipant *p = g_ptr_array_index (list, i);
    JsonNode *node = hz_participant_to_json (p);
    g_autofree char *left = p->left_at != NULL ? hz_db_time_to_text (p->left_at) : NULL;
    JsonObject *obj = json_node_get_object (node);

    json_object_set_string_member (obj, "user", p->user_id);
    if (left != NULL)
      json_object_set_string_member (obj, "left_at", left);
    else
      json_object_set_null_member (obj, "left_at");
    json_builder_add_value (b, node);
  }
  json_builder_end_array (b);
  return TRUE;
}

/**
 * hz_consult_get_json:
 *
 * Returns: (transfer full): the whole record of consult @id (GET
 * /api/v1/consults/{id}): its fields, the room, every participant with
 * institution, role, join and leave times, documents, recordings, consent
 * and conclusion; %NULL with NOT_FOUND or a database error.
 */
JsonNode *
hz_consult_get_json (HzRoomStore *self, const char *id, GError **error)
{
  const char *params[] = { id };
  g_autoptr(HzDbRows) rows = hz_db_query (self->db,
    "SELECT " HZ_CONSULT_COLUMNS " FROM consults c WHERE c.id = $1", params, 1, error);
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(HzRoom) room = NULL;
  const char *room_id;

  if (rows == NULL)
    return NULL;
  if (rows->n_rows == 0) {
    g_set_error (error, HZ_ROOM_STORE_ERROR, HZ_ROOM_STORE_ERROR_NOT_FOUND, "no consult %s", id);
    return NULL;
  }
  room_id = hz_db_rows_get (rows, 0, 1);
  json_builder_begin_object (b);
  hz_consult_fields (b, rows, 0);
  json_builder_set_member_name (b, "room");
  if (room_id != NULL) {
    room = hz_room_store_get (self, room_id, error);
    if (room == NULL)
      return NULL;
    json_builder_add_value (b, hz_room_to_json (room));
  } else {
    json_builder_add_null_value (b);
  }
  if (!hz_consult_add_participants (self, b, room_id != NULL ? room_id : "", error) ||
      !hz_consult_add_events (self, b, room_id != NULL ? room_id : "", "document", "documents", error) ||
      !hz_consult_add_events (self, b, room_id != NULL ? room_id : "", "recording", "recordings", error))
    return NULL;
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

/**
 * hz_consult_list_json:
 *
 * Returns: (transfer full): {"consults": [records without participants and
 * events, plus "starts_at"], "limit", "offset", "next_offset": number or
 * null}, newest first.
 */
JsonNode *
hz_consult_list_json (HzRoomStore *self, const HzConsultFilter *f, GError **error)
{
  g_autofree char *from = f->from != NULL ? hz_db_time_to_text (f->from) : g_strdup ("");
  g_autofree char *to = f->to != NULL ? hz_db_time_to_text (f->to) : g_strdup ("");
  guint limit = f->limit == 0 ? HZ_ROOM_STORE_PAGE_DEFAULT : MIN (f->limit, HZ_ROOM_STORE_PAGE_MAX);
  g_autofree char *limit_text = g_strdup_printf ("%u", limit + 1);
  g_autofree char *offset_text = g_strdup_printf ("%u", f->offset);
  const char *params[] = { f->institution != NULL ? f->institution : "",
                           f->participant != NULL ? f->participant : "", from, to, limit_text,
                           offset_text };
  g_autoptr(HzDbRows) rows = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();

  /* '' stands for "no filter"; "held" is the room's start, else the request */
  rows = hz_db_query (self->db,
    "SELECT " HZ_CONSULT_COLUMNS ", r.starts_at FROM consults c LEFT JOIN rooms r ON r.id = c.room_id "
    "WHERE ($1 = '' OR c.inviting_institution = $1 OR c.invited_institution = $1 OR EXISTS "
    "  (SELECT 1 FROM participants p WHERE p.room_id = c.room_id AND p.institution = $1)) "
    "AND ($2 = '' OR EXISTS (SELECT 1 FROM participants p WHERE p.room_id = c.room_id AND p.user_id = $2)) "
    "AND ($3 = '' OR COALESCE(r.starts_at, c.created_at) >= $3) "
    "AND ($4 = '' OR COALESCE(r.starts_at, c.created_at) < $4) "
    "ORDER BY COALESCE(r.starts_at, c.created_at) DESC, c.id LIMIT $5 OFFSET $6",
    params, G_N_ELEMENTS (params), error);
  if (rows == NULL)
    return NULL;
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "consults");
  json_builder_begin_array (b);
  for (guint r = 0; r < MIN (rows->n_rows, limit); r++) {
    json_builder_begin_object (b);
    hz_consult_fields (b, rows, r);
    hz_consult_add (b, "starts_at", hz_db_rows_get (rows, r, 21));
    json_builder_end_object (b);
  }
  json_builder_end_array (b);
  hz_room_store_add_page (b, limit, f->offset, rows->n_rows > limit);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static gboolean
hz_consult_purge_txn (HzRoomStore *self, const char *until, guint *n, GError **error)
{
  static const char *const steps[] = {
    "DELETE FROM consult_events WHERE room_id IN (SELECT room_id FROM consults WHERE retain_until < $1)",
    "DELETE FROM participants WHERE room_id IN (SELECT room_id FROM consults WHERE retain_until < $1)",
  };
  const char *params[] = { until };
  g_autoptr(HzDbRows) gone = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (steps); i++) {
    g_autoptr(HzDbRows) rows = hz_db_query (self->db, steps[i], params, 1, error);
    if (rows == NULL)
      return FALSE;
  }
  gone = hz_db_query (self->db, "DELETE FROM consults WHERE retain_until < $1 RETURNING room_id",
                      params, 1, error);
  if (gone == NULL)
    return FALSE;
  for (guint r = 0; r < gone->n_rows; r++) {
    const char *room[] = { hz_db_rows_get (gone, r, 0) };
    g_autoptr(HzDbRows) rows = NULL;
    if (room[0] == NULL)
      continue;
    rows = hz_db_query (self->db, "DELETE FROM rooms WHERE id = $1 AND state = 'closed'", room, 1, error);
    if (rows == NULL)
      return FALSE;
  }
  *n = gone->n_rows;
  return TRUE;
}

/**
 * hz_consult_purge:
 * @now: the current time
 *
 * Deletes the consult records whose retention ([records] retention_years,
 * counted from their creation) has passed, with their participants and
 * events, and their rooms once closed.
 *
 * Returns: the number of records deleted (0 with @error set on failure).
 */
guint
hz_consult_purge (HzRoomStore *self, GDateTime *now, GError **error)
{
  g_autofree char *until = hz_db_time_to_text (now);
  guint n = 0;

  if (!hz_db_begin (self->db, error) ||
      !hz_db_end (self->db, hz_consult_purge_txn (self, until, &n, error), error))
    return 0;
  return n;
}
