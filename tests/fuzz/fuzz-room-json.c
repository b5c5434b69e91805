/* fuzz-room-json: the body of POST /api/v1/rooms (API.md) through
 * json-glib and rooms/hz-room's hz_room_new_from_json, the validation the
 * admin API runs before anything touches the database.
 * Invariants: a refused body has an error with an API code and a 4xx
 * status; an accepted room has a title, a known kind, ends_at after
 * starts_at within the maximum duration, a capacity in range, and a JSON
 * form. */
#include <json-glib/json-glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hz-room.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(GError) error = NULL;
  g_autoptr(HzRoom) room = NULL;
  g_autoptr(JsonNode) out = NULL;
  JsonNode *root;
  guint status;

  if (size > 64 * 1024) /* HZ_API_MAX_JSON_BODY: larger bodies get 413 first */
    return 0;
  if (!json_parser_load_from_data (parser, (const char *) data, size, NULL))
    return 0;
  root = json_parser_get_root (parser);
  if (root == NULL)
    return 0;
  room = hz_room_new_from_json (root, &error);
  if (room == NULL) {
    if (error == NULL)
      abort ();
    status = hz_room_store_error_status (error);
    if (status < 400 || status >= 500 || hz_room_store_error_code (error) == NULL)
      abort ();
    return 0;
  }
  if (error != NULL || room->title == NULL || room->kind == HZ_ROOM_KIND_INVALID ||
      room->starts_at == NULL || room->ends_at == NULL ||
      g_date_time_compare (room->ends_at, room->starts_at) <= 0 ||
      g_date_time_difference (room->ends_at, room->starts_at) > (GTimeSpan) HZ_ROOM_MAX_DURATION_S * G_TIME_SPAN_SECOND ||
      room->capacity == 0 || room->capacity > HZ_ROOM_CAPACITY_MAX)
    abort ();
  out = hz_room_to_json (room);
  if (out == NULL || !JSON_NODE_HOLDS_OBJECT (out))
    abort ();
  return 0;
}
