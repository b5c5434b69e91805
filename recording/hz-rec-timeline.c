/* hz-rec-timeline: JSON-lines event log of a recording. */
#include "hz-rec-timeline.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "hz-track-recorder.h"

struct _HzRecTimeline {
  char *path;
  int fd;
  gint64 start_wall_us;
  gint64 start_mono_us;
  GMainContext *context;
  GMutex lock;
  gboolean dirty;       /* written since the last fsync */
  GSource *sync_timer;  /* pending fsync, or NULL */
};

static gboolean
io_error (GError **error, const char *what, const char *path, int errsv)
{
  g_set_error (error, HZ_RECORDING_ERROR, HZ_RECORDING_ERROR_WRITE, "cannot %s %s: %s", what,
               path, g_strerror (errsv));
  return FALSE;
}

HzRecTimeline *
hz_rec_timeline_new (const char *path, gint64 start_wall_us, gint64 start_mono_us,
                     GError **error)
{
  HzRecTimeline *self;
  int fd;

  g_return_val_if_fail (path != NULL, NULL);

  fd = g_open (path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    io_error (error, "open timeline", path, errno);
    return NULL;
  }
  self = g_new0 (HzRecTimeline, 1);
  self->path = g_strdup (path);
  self->fd = fd;
  self->start_wall_us = start_wall_us;
  self->start_mono_us = start_mono_us;
  self->context = g_main_context_ref_thread_default ();
  g_mutex_init (&self->lock);
  return self;
}

static gboolean
sync_locked (HzRecTimeline *self, GError **error)
{
  if (self->sync_timer != NULL) {
    g_source_destroy (self->sync_timer);
    g_clear_pointer (&self->sync_timer, g_source_unref);
  }
  if (!self->dirty)
    return TRUE;
  self->dirty = FALSE;
  if (fsync (self->fd) != 0)
    return io_error (error, "sync timeline", self->path, errno);
  return TRUE;
}

gboolean
hz_rec_timeline_sync (HzRecTimeline *self, GError **error)
{
  gboolean ok;

  g_return_val_if_fail (self != NULL, FALSE);
  g_mutex_lock (&self->lock);
  ok = sync_locked (self, error);
  g_mutex_unlock (&self->lock);
  return ok;
}

static gboolean
sync_timer_cb (gpointer data)
{
  HzRecTimeline *self = data;
  g_autoptr(GError) error = NULL;

  g_mutex_lock (&self->lock);
  /* sync_locked() would destroy the source that is running now: drop it first */
  g_clear_pointer (&self->sync_timer, g_source_unref);
  if (!sync_locked (self, &error))
    g_warning ("%s", error->message);
  g_mutex_unlock (&self->lock);
  return G_SOURCE_REMOVE;
}

static char *
format_wall (gint64 wall_us)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (wall_us / G_USEC_PER_SEC);
  g_autofree char *base = NULL;

  if (dt == NULL)
    return g_strdup ("1970-01-01T00:00:00.000Z");
  base = g_date_time_format (dt, "%Y-%m-%dT%H:%M:%S");
  return g_strdup_printf ("%s.%03dZ", base, (int) ((wall_us % G_USEC_PER_SEC) / 1000));
}

static gboolean
write_all (int fd, const char *buf, gsize len)
{
  while (len > 0) {
    gssize n = write (fd, buf, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return FALSE;
    buf += n;
    len -= (gsize) n;
  }
  return TRUE;
}

gboolean
hz_rec_timeline_log (HzRecTimeline *self, gint64 mono_us, const char *event,
                     JsonObject *fields, GError **error)
{
  g_autoptr(JsonObject) obj = json_object_new ();
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  g_autofree char *json = NULL;
  g_autofree char *line = NULL;
  g_autofree char *wall = NULL;
  gint64 offset_us;
  gboolean ok = TRUE;

  g_return_val_if_fail (self != NULL && event != NULL, FALSE);

  if (mono_us < 0)
    mono_us = g_get_monotonic_time ();
  offset_us = mono_us - self->start_mono_us;
  json_object_set_string_member (obj, "event", event);
  wall = format_wall (self->start_wall_us + offset_us);
  json_object_set_string_member (obj, "time", wall);
  json_object_set_int_member (obj, "media_ms", offset_us / 1000);
  if (fields != NULL) {
    JsonObjectIter iter;
    const char *key;
    JsonNode *value;

    json_object_iter_init (&iter, fields);
    while (json_object_iter_next (&iter, &key, &value)) {
      if (!json_object_has_member (obj, key))
        json_object_set_member (obj, key, json_node_copy (value));
    }
  }
  json_node_set_object (node, obj);
  json = json_to_string (node, FALSE);
  line = g_strconcat (json, "\n", NULL);

  g_mutex_lock (&self->lock);
  if (!write_all (self->fd, line, strlen (line))) {
    ok = io_error (error, "write timeline", self->path, errno != 0 ? errno : ENOSPC);
  } else {
    self->dirty = TRUE;
    if (self->sync_timer == NULL) {
      self->sync_timer = g_timeout_source_new (HZ_REC_TIMELINE_SYNC_MS);
      g_source_set_callback (self->sync_timer, sync_timer_cb, self, NULL);
      g_source_attach (self->sync_timer, self->context);
    }
  }
  g_mutex_unlock (&self->lock);
  return ok;
}

gboolean
hz_rec_timeline_log_simple (HzRecTimeline *self, const char *event, GError **error,
                            const char *first_key, ...)
{
  g_autoptr(JsonObject) fields = json_object_new ();
  va_list ap;

  va_start (ap, first_key);
  for (const char *key = first_key; key != NULL; key = va_arg (ap, const char *)) {
    const char *value = va_arg (ap, const char *);
    json_object_set_string_member (fields, key, value != NULL ? value : "");
  }
  va_end (ap);
  return hz_rec_timeline_log (self, -1, event, fields, error);
}

const char *
hz_rec_timeline_get_path (HzRecTimeline *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->path;
}

void
hz_rec_timeline_free (HzRecTimeline *self)
{
  g_autoptr(GError) error = NULL;

  if (self == NULL)
    return;
  if (!hz_rec_timeline_sync (self, &error))
    g_warning ("%s", error->message);
  close (self->fd);
  g_main_context_unref (self->context);
  g_mutex_clear (&self->lock);
  g_free (self->path);
  g_free (self);
}

GPtrArray *
hz_rec_timeline_load (const char *path, GError **error)
{
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);

  if (!g_file_get_contents (path, &contents, NULL, error))
    return NULL;
  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++) {
    g_autoptr(JsonParser) parser = json_parser_new ();
    JsonNode *root;

    if (lines[i][0] == '\0')
      continue;
    /* A crash may tear the last line: skip what does not parse. */
    if (!json_parser_load_from_data (parser, lines[i], -1, NULL))
      continue;
    root = json_parser_get_root (parser);
    if (root != NULL && JSON_NODE_HOLDS_OBJECT (root))
      g_ptr_array_add (events, json_object_ref (json_node_get_object (root)));
  }
  return g_steal_pointer (&events);
}
