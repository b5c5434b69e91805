/* bench-records [DATABASE_URL]: prints operations per second on this thread
 * for room creation (POST /api/v1/rooms's store call, with its consult
 * record) and consult record queries (GET /api/v1/consults's, 50 per page),
 * against a temporary SQLite file or the given database. Figures, no
 * asserts: the store and database cost of those API calls, without HTTP. */
#include <stdio.h>

#include "hz-consult.h"
#include "hz-room-store.h"

#define N_CREATE 2000
#define N_QUERY 1000

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("hz-bench-XXXXXX", NULL);
  g_autofree char *url = argc > 1 ? g_strdup (argv[1]) : g_strdup_printf ("sqlite:%s/bench.db", dir);
  g_autoptr(HzDb) db = hz_db_open (url, &error);
  g_autoptr(HzRoomStore) store = NULL;
  gint64 t0;
  double s;

  if (db == NULL) {
    fprintf (stderr, "%s\n", error->message);
    return 1;
  }
  store = hz_room_store_new (db);
  t0 = g_get_monotonic_time ();
  for (int i = 0; i < N_CREATE; i++) {
    g_autofree char *text = g_strdup_printf (
      "{\"title\":\"bench %d\",\"kind\":\"consult\",\"host_institution\":\"H%d\","
      "\"starts_at\":\"2030-01-%02dT09:00:00Z\",\"ends_at\":\"2030-01-%02dT10:00:00Z\"}",
      i, i % 20, 1 + i % 28, 1 + i % 28);
    g_autoptr(JsonNode) body = json_from_string (text, NULL);
    g_autoptr(HzRoom) room = hz_room_store_create_from_json (store, body, &error);
    if (room == NULL) {
      fprintf (stderr, "%s\n", error->message);
      return 1;
    }
  }
  s = (g_get_monotonic_time () - t0) / 1e6;
  printf ("%s room creation: %.0f/s (%d in %.2f s)\n", hz_db_backend_name (db), N_CREATE / s, N_CREATE, s);
  t0 = g_get_monotonic_time ();
  for (int i = 0; i < N_QUERY; i++) {
    HzConsultFilter f = { .institution = (i % 2) ? "H3" : NULL, .limit = 50, .offset = (guint) (i % 10) * 50 };
    g_autoptr(JsonNode) page = hz_consult_list_json (store, &f, &error);
    g_autofree char *text = page != NULL ? json_to_string (page, FALSE) : NULL;
    if (page == NULL) {
      fprintf (stderr, "%s\n", error->message);
      return 1;
    }
  }
  s = (g_get_monotonic_time () - t0) / 1e6;
  printf ("%s consult record queries (50 per page): %.0f/s (%d in %.2f s)\n", hz_db_backend_name (db),
          N_QUERY / s, N_QUERY, s);
  return 0;
}
