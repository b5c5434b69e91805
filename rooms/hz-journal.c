/* hz-journal: durable JSON-lines journal of pending record writes. */
#include "hz-journal.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

G_DEFINE_QUARK (hz-journal-error-quark, hz_journal_error)

struct _HzJournal {
  char *path;
  int   fd;      /* O_APPEND */
  guint length;  /* entries in the file */
};

static gboolean
hz_journal_io_error (GError **error, const char *what, const char *path)
{
  int saved = errno;
  g_set_error (error, HZ_JOURNAL_ERROR, HZ_JOURNAL_ERROR_IO, "journal %s: %s: %s",
               path, what, g_strerror (saved));
  return FALSE;
}

/* fsync of the folder makes a created or renamed file's name durable too. */
static gboolean
hz_journal_sync_dir (const char *path, GError **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  gboolean ok;

  if (fd < 0)
    return hz_journal_io_error (error, "open folder", dir);
  ok = fsync (fd) == 0 || hz_journal_io_error (error, "fsync folder", dir);
  close (fd);
  return ok;
}

static gboolean
hz_journal_reopen (HzJournal *self, GError **error)
{
  if (self->fd >= 0)
    close (self->fd);
  self->fd = open (self->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (self->fd < 0)
    return hz_journal_io_error (error, "open", self->path);
  return TRUE;
}

/**
 * hz_journal_open:
 * @path: the journal file (created with its folder when missing)
 *
 * Returns: (transfer full): the journal, holding whatever an earlier run
 * left in it, or %NULL with @error set.
 */
HzJournal *
hz_journal_open (const char *path, GError **error)
{
  g_autoptr(HzJournal) self = g_new0 (HzJournal, 1);
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr(GPtrArray) entries = NULL;

  g_return_val_if_fail (path != NULL, NULL);
  self->path = g_strdup (path);
  self->fd = -1;
  if (g_mkdir_with_parents (dir, 0700) != 0) {
    hz_journal_io_error (error, "create folder", dir);
    return NULL;
  }
  if (!hz_journal_reopen (self, error) || !hz_journal_sync_dir (path, error))
    return NULL;
  entries = hz_journal_read (self, error);
  if (entries == NULL)
    return NULL;
  self->length = entries->len;
  return g_steal_pointer (&self);
}

void
hz_journal_free (HzJournal *self)
{
  if (self == NULL)
    return;
  if (self->fd >= 0)
    close (self->fd);
  g_free (self->path);
  g_free (self);
}

const char *
hz_journal_get_path (HzJournal *self)
{
  return self->path;
}

/* Returns: the number of entries waiting for the database. */
guint
hz_journal_length (HzJournal *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->length;
}

static char *
hz_journal_line (const char *key, const char *op, JsonObject *args)
{
  g_autoptr(JsonObject) obj = json_object_new ();
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  g_autofree char *text = NULL;

  json_object_set_string_member (obj, "key", key);
  json_object_set_string_member (obj, "op", op);
  json_object_set_object_member (obj, "args", json_object_ref (args));
  json_node_set_object (node, obj);
  text = json_to_string (node, FALSE);
  return g_strconcat (text, "\n", NULL);
}

static gboolean
hz_journal_write_all (int fd, const char *data, gsize len, const char *path, GError **error)
{
  while (len > 0) {
    gssize n = write (fd, data, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return hz_journal_io_error (error, "write", path);
    data += n;
    len -= (gsize) n;
  }
  return TRUE;
}

/**
 * hz_journal_append:
 * @args: the op's arguments (a reference is not taken; it is serialised now)
 *
 * Appends one entry and returns only once it is on disk (fsync).
 */
gboolean
hz_journal_append (HzJournal *self, const char *key, const char *op, JsonObject *args,
                   GError **error)
{
  g_autofree char *line = NULL;

  g_return_val_if_fail (self != NULL && key != NULL && op != NULL && args != NULL, FALSE);
  line = hz_journal_line (key, op, args);
  if (!hz_journal_write_all (self->fd, line, strlen (line), self->path, error))
    return FALSE;
  if (fdatasync (self->fd) != 0)
    return hz_journal_io_error (error, "fsync", self->path);
  self->length++;
  return TRUE;
}

static HzJournalEntry *
hz_journal_parse_line (const char *line)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(HzJournalEntry) e = g_new0 (HzJournalEntry, 1);
  JsonNode *root;
  JsonObject *obj;
  JsonNode *args;

  if (!json_parser_load_from_data (parser, line, -1, NULL))
    return NULL;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;
  obj = json_node_get_object (root);
  args = json_object_get_member (obj, "args");
  e->key = g_strdup (json_object_get_string_member_with_default (obj, "key", NULL));
  e->op = g_strdup (json_object_get_string_member_with_default (obj, "op", NULL));
  if (e->key == NULL || e->op == NULL || args == NULL || !JSON_NODE_HOLDS_OBJECT (args))
    return NULL;
  e->args = json_object_ref (json_node_get_object (args));
  return g_steal_pointer (&e);
}

/**
 * hz_journal_read:
 *
 * Returns: (transfer full) (element-type HzJournalEntry): the entries in the
 * order they were appended, or %NULL with @error set. A line that does not
 * parse (only a crash mid-write makes one, and only last) is skipped.
 */
GPtrArray *
hz_journal_read (HzJournal *self, GError **error)
{
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func ((GDestroyNotify) hz_journal_entry_free);
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GError) local = NULL;

  if (!g_file_get_contents (self->path, &text, NULL, &local)) {
    g_propagate_prefixed_error (error, g_steal_pointer (&local), "journal: ");
    return NULL;
  }
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++) {
    HzJournalEntry *e;

    if (lines[i][0] == '\0')
      continue;
    e = hz_journal_parse_line (lines[i]);
    if (e == NULL) {
      g_warning ("journal %s: line %u is torn or unreadable, skipped", self->path, i + 1);
      continue;
    }
    g_ptr_array_add (entries, e);
  }
  return g_steal_pointer (&entries);
}

/**
 * hz_journal_drop_head:
 * @n: how many entries, from the oldest, have been applied
 *
 * Replaces the file with the entries after the first @n (atomically: a
 * crash leaves either the old or the new file, and the database's
 * idempotency keys make a second replay of applied entries harmless).
 */
gboolean
hz_journal_drop_head (HzJournal *self, guint n, GError **error)
{
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GString) rest = g_string_new (NULL);
  g_autofree char *tmp = NULL;
  int fd;
  gboolean ok;

  if (n == 0)
    return TRUE;
  entries = hz_journal_read (self, error);
  if (entries == NULL)
    return FALSE;
  for (guint i = n; i < entries->len; i++) {
    HzJournalEntry *e = g_ptr_array_index (entries, i);
    g_autofree char *line = hz_journal_line (e->key, e->op, e->args);
    g_string_append (rest, line);
  }
  tmp = g_strconcat (self->path, ".tmp", NULL);
  fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    return hz_journal_io_error (error, "open", tmp);
  ok = hz_journal_write_all (fd, rest->str, rest->len, tmp, error) &&
       (fsync (fd) == 0 || hz_journal_io_error (error, "fsync", tmp));
  close (fd);
  if (!ok)
    return FALSE;
  if (rename (tmp, self->path) != 0)
    return hz_journal_io_error (error, "rename", tmp);
  self->length = entries->len > n ? entries->len - n : 0;
  return hz_journal_sync_dir (self->path, error) && hz_journal_reopen (self, error);
}

void
hz_journal_entry_free (HzJournalEntry *e)
{
  if (e == NULL)
    return;
  g_free (e->key);
  g_free (e->op);
  if (e->args != NULL)
    json_object_unref (e->args);
  g_free (e);
}
