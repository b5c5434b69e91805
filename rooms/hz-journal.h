/* hz-journal: the append-only on-disk journal of record writes that could not
 * reach the database. Owns the file format (one JSON object per line:
 * {"key", "op", "args"}), durable appends (write + fsync before returning),
 * reading the entries back in order (a torn last line from a crash is
 * dropped with a warning), and replacing the file with what is left after a
 * replay (write to a temporary file, fsync, rename). Knows nothing of what an
 * op means: hz-room-store applies them. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define HZ_JOURNAL_ERROR (hz_journal_error_quark ())
GQuark hz_journal_error_quark (void);

typedef enum {
  HZ_JOURNAL_ERROR_IO,  /* the file cannot be opened, written or synced */
} HzJournalError;

typedef struct {
  char       *key;   /* idempotency key: applied at most once */
  char       *op;    /* "join", "leave", "event", "conclude", "audit", ... */
  JsonObject *args;
} HzJournalEntry;

typedef struct _HzJournal HzJournal;

HzJournal  *hz_journal_open      (const char *path, GError **error);
void        hz_journal_free      (HzJournal *self);
const char *hz_journal_get_path  (HzJournal *self);
guint       hz_journal_length    (HzJournal *self);
gboolean    hz_journal_append    (HzJournal        *self,
                                  const char       *key,
                                  const char       *op,
                                  JsonObject       *args,
                                  GError          **error);
GPtrArray  *hz_journal_read      (HzJournal *self, GError **error);
gboolean    hz_journal_drop_head (HzJournal *self, guint n, GError **error);
void        hz_journal_entry_free (HzJournalEntry *entry);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HzJournal, hz_journal_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HzJournalEntry, hz_journal_entry_free)

G_END_DECLS
