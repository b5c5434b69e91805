/*
 * hz-http-route: the routing table of the HTTP port (method + path pattern
 * with "{name}" captures -> handler) and the static web client files
 * (path confined to web_root, MIME type, cache headers). The connection and
 * request lifecycle stay in hz-http.c.
 */
#include "hz-http-private.h"

#include <stdlib.h>
#include <string.h>

static const struct {
  const char *ext;
  const char *mime;
} hz_mime_types[] = {
  { ".html", "text/html; charset=utf-8" },
  { ".js", "text/javascript; charset=utf-8" },
  { ".mjs", "text/javascript; charset=utf-8" },
  { ".css", "text/css; charset=utf-8" },
  { ".svg", "image/svg+xml" },
  { ".png", "image/png" },
  { ".jpg", "image/jpeg" },
  { ".ico", "image/x-icon" },
  { ".json", "application/json" },
  { ".map", "application/json" },
  { ".wasm", "application/wasm" },
  { ".woff2", "font/woff2" },
  { ".txt", "text/plain; charset=utf-8" },
};

/* ----------------------------------------------------------------- routing */

void
hz_route_free (HzRoute *route)
{
  g_free (route->method);
  g_strfreev (route->segments);
  g_free (route);
}


static gboolean
hz_route_match (HzRoute *route, char **segs, GHashTable *params)
{
  guint n = g_strv_length (route->segments);

  if (n != g_strv_length (segs))
    return FALSE;
  for (guint i = 0; i < n; i++) {
    const char *pat = route->segments[i];
    gsize plen = strlen (pat);
    if (plen > 2 && pat[0] == '{' && pat[plen - 1] == '}') {
      if (segs[i][0] == '\0')
        return FALSE;
      continue;
    }
    if (g_strcmp0 (pat, segs[i]) != 0)
      return FALSE;
  }
  for (guint i = 0; params != NULL && i < n; i++) {
    const char *pat = route->segments[i];
    if (pat[0] == '{')
      g_hash_table_insert (params, g_strndup (pat + 1, strlen (pat) - 2), g_strdup (segs[i]));
  }
  return TRUE;
}

/* Finds the route for method+path; *path_known tells whether any method
 * has a route for this path (405 rather than 404). */
HzRoute *
hz_http_server_find_route (HzHttpServer *self, HzHttpRequest *req, gboolean *path_known)
{
  g_auto(GStrv) segs = g_strsplit (req->path, "/", -1);

  *path_known = FALSE;
  for (guint i = 0; i < self->routes->len; i++) {
    HzRoute *route = g_ptr_array_index (self->routes, i);
    if (!hz_route_match (route, segs, NULL))
      continue;
    *path_known = TRUE;
    if (g_strcmp0 (route->method, req->method) == 0) {
      hz_route_match (route, segs, req->params);
      return route;
    }
  }
  return NULL;
}

static HzRoute *
hz_http_server_add_route_full (HzHttpServer *self, const char *method, const char *pattern,
                               guint64 max_body, HzHttpHandler handler, gpointer user_data)
{
  HzRoute *route;

  g_return_val_if_fail (self != NULL && method != NULL && handler != NULL, NULL);
  g_return_val_if_fail (pattern != NULL && pattern[0] == '/', NULL);
  route = g_new0 (HzRoute, 1);
  route->method = g_ascii_strup (method, -1);
  route->segments = g_strsplit (pattern, "/", -1);
  route->max_body = max_body;
  route->handler = handler;
  route->user_data = user_data;
  g_ptr_array_add (self->routes, route);
  return route;
}

void
hz_http_server_add_route (HzHttpServer *self, const char *method, const char *pattern,
                          gsize max_body, HzHttpHandler handler, gpointer user_data)
{
  hz_http_server_add_route_full (self, method, pattern, max_body, handler, user_data);
}

void
hz_http_server_add_streaming_route (HzHttpServer *self, const char *method, const char *pattern,
                                    guint64 max_body, HzHttpHandler handler, gpointer user_data)
{
  HzRoute *route = hz_http_server_add_route_full (self, method, pattern, max_body, handler, user_data);

  if (route != NULL)
    route->streaming = TRUE;
}

/* ------------------------------------------------------------ static files */

static const char *
hz_http_mime_type (const char *path)
{
  for (guint i = 0; i < G_N_ELEMENTS (hz_mime_types); i++) {
    if (g_str_has_suffix (path, hz_mime_types[i].ext))
      return hz_mime_types[i].mime;
  }
  return "application/octet-stream";
}

/* Maps a decoded URL path to a regular file inside web_root, or NULL.
 * Refuses "." and ".." segments and anything whose real path (symlinks
 * resolved) leaves web_root. */
static char *
hz_http_resolve_static (HzHttpServer *self, const char *path)
{
  g_auto(GStrv) segs = NULL;
  g_autofree char *joined = NULL;
  g_autofree char *real = NULL;
  g_autofree char *prefix = NULL;

  if (self->web_root == NULL || path[0] != '/' || strchr (path, '\\') != NULL)
    return NULL;
  segs = g_strsplit (path, "/", -1);
  for (guint i = 0; segs[i] != NULL; i++) {
    if (g_strcmp0 (segs[i], ".") == 0 || g_strcmp0 (segs[i], "..") == 0)
      return NULL;
  }
  joined = g_build_filename (self->web_root, path, NULL);
  if (g_file_test (joined, G_FILE_TEST_IS_DIR)) {
    char *index = g_build_filename (joined, "index.html", NULL);
    g_free (joined);
    joined = index;
  }
  real = realpath (joined, NULL);
  if (real == NULL || !g_file_test (real, G_FILE_TEST_IS_REGULAR))
    return NULL;
  prefix = g_strconcat (self->web_root, "/", NULL);
  if (!g_str_has_prefix (real, prefix))
    return NULL;
  return g_steal_pointer (&real);
}

/* Returns what the lws callback returns. */
int
hz_http_serve_static (HzHttpServer *self, struct lws *wsi, HzSession *pss)
{
  HzHttpRequest *req = pss->req;
  g_autofree char *file = hz_http_resolve_static (self, req->path);
  g_autofree char *extra = NULL;
  const char *cache;
  int n;

  if (file == NULL) {
    hz_http_request_fail (req, 404, "not_found", "no such file");
    return 0;
  }
  /* html revalidates so a deploy is seen at once; assets may be reused briefly */
  cache = g_str_has_suffix (file, ".html") ? "no-cache" : "public, max-age=300";
  extra = g_strdup_printf ("cache-control: %s\r\nx-content-type-options: nosniff\r\n", cache);
  pss->req = NULL;
  req->wsi = NULL;
  hz_http_request_unref (req);
  n = lws_serve_http_file (wsi, file, hz_http_mime_type (file), extra, (int) strlen (extra));
  if (n < 0 || (n > 0 && lws_http_transaction_completed (wsi)))
    return -1;
  return 0;
}
