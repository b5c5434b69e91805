/* hz-recording-s3-stream: see hz-recording-s3-stream.h. */
#include "hz-recording-s3-stream.h"

#include <string.h>

/* ---- the shared client ------------------------------------------------------ */

static void
hz_s3_shared_clear (gpointer data)
{
  HzS3Shared *shared = data;

  g_clear_pointer (&shared->s3, hz_s3_free);
}

HzS3Shared *
hz_s3_shared_new (HzS3 *s3)
{
  HzS3Shared *shared = g_atomic_rc_box_new0 (HzS3Shared);

  shared->s3 = s3;
  return shared;
}

HzS3Shared *
hz_s3_shared_ref (HzS3Shared *shared)
{
  return g_atomic_rc_box_acquire (shared);
}

void
hz_s3_shared_unref (HzS3Shared *shared)
{
  if (shared != NULL)
    g_atomic_rc_box_release_full (shared, hz_s3_shared_clear);
}

/* HZ_S3_STREAM_CHUNK, or $HZ_S3_STREAM_CHUNK (a multiple of 16 KiB, for
 * tests that want a short file read in many chunks). */
static guint64
hz_s3_stream_chunk (void)
{
  static gsize chunk;

  if (g_once_init_enter (&chunk)) {
    const char *env = g_getenv ("HZ_S3_STREAM_CHUNK");
    guint64 v = 0;
    gsize c = HZ_S3_STREAM_CHUNK;

    if (env != NULL && g_ascii_string_to_unsigned (env, 10, 16384, 64 * HZ_S3_STREAM_CHUNK, &v, NULL) &&
        v % 16384 == 0)
      c = (gsize) v;
    g_once_init_leave (&chunk, c);
  }
  return chunk;
}

/* ---- the feed: what the stream and its fetch threads share --------------------- */

typedef struct {
  gint refcount;
  GMutex lock;
  GCond cond;
  HzS3Shared *s3;
  char *key;
  guint64 next_offset;   /* first byte not fetched yet */
  guint64 to_fetch;      /* bytes not fetched yet */
  GQueue chunks;         /* GBytes*, in order */
  gsize head_used;       /* bytes of the head chunk already read */
  gboolean fetching;
  gboolean closed;
  GError *error;
  GPtrArray *wakers;     /* GSource* (ref): made ready when something arrives */
} Feed;

static Feed *
feed_ref (Feed *f)
{
  g_atomic_int_inc (&f->refcount);
  return f;
}

static void
feed_unref (gpointer data)
{
  Feed *f = data;

  if (!g_atomic_int_dec_and_test (&f->refcount))
    return;
  g_queue_clear_full (&f->chunks, (GDestroyNotify) g_bytes_unref);
  g_ptr_array_unref (f->wakers);
  g_clear_error (&f->error);
  hz_s3_shared_unref (f->s3);
  g_free (f->key);
  g_mutex_clear (&f->lock);
  g_cond_clear (&f->cond);
  g_free (f);
}

static gboolean
feed_at_end_locked (Feed *f)
{
  return g_queue_is_empty (&f->chunks) && f->to_fetch == 0 && !f->fetching;
}

static gboolean
feed_readable_locked (Feed *f)
{
  return !g_queue_is_empty (&f->chunks) || f->error != NULL || f->closed || feed_at_end_locked (f);
}

static void
feed_wake_locked (Feed *f)
{
  for (guint i = 0; i < f->wakers->len; i++)
    g_source_set_ready_time (g_ptr_array_index (f->wakers, i), 0);
  g_ptr_array_set_size (f->wakers, 0);
  g_cond_broadcast (&f->cond);
}

static void feed_fetch_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable);

/* Starts the next chunk's fetch when there is room for it. */
static void
feed_maybe_fetch_locked (Feed *f)
{
  GTask *task;

  if (f->fetching || f->closed || f->error != NULL || f->to_fetch == 0 ||
      g_queue_get_length (&f->chunks) >= HZ_S3_STREAM_AHEAD)
    return;
  f->fetching = TRUE;
  task = g_task_new (NULL, NULL, NULL, NULL);
  g_task_set_task_data (task, feed_ref (f), feed_unref);
  g_task_run_in_thread (task, feed_fetch_thread);
  g_object_unref (task);
}

static void
feed_fetch_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  Feed *f = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;
  guint64 offset, n, total = 0;

  g_mutex_lock (&f->lock);
  offset = f->next_offset;
  n = MIN (f->to_fetch, hz_s3_stream_chunk ());
  if (f->closed) {
    f->fetching = FALSE;
    g_mutex_unlock (&f->lock);
    g_task_return_boolean (task, TRUE);
    return;
  }
  g_mutex_unlock (&f->lock);

  bytes = hz_s3_get_range (f->s3->s3, f->key, offset, n, &total, &error);
  if (bytes != NULL && g_bytes_get_size (bytes) != n)
    g_set_error (&error, HZ_S3_ERROR, HZ_S3_ERROR_PROTOCOL,
                 "%s: %" G_GSIZE_FORMAT " bytes at %" G_GUINT64_FORMAT " instead of %" G_GUINT64_FORMAT
                 " (the object has %" G_GUINT64_FORMAT ")", f->key, g_bytes_get_size (bytes), offset, n, total);

  g_mutex_lock (&f->lock);
  f->fetching = FALSE;
  if (error != NULL) {
    g_warning ("playback of %s: %s", f->key, error->message);
    if (f->error == NULL)
      f->error = g_steal_pointer (&error);
  } else if (!f->closed) {
    g_queue_push_tail (&f->chunks, g_steal_pointer (&bytes));
    f->next_offset += n;
    f->to_fetch -= n;
    feed_maybe_fetch_locked (f);
  }
  feed_wake_locked (f);
  g_mutex_unlock (&f->lock);
  g_task_return_boolean (task, TRUE);
}

/* Copies what is buffered, up to @count bytes. */
static gsize
feed_copy_locked (Feed *f, guint8 *buf, gsize count)
{
  gsize done = 0;

  while (done < count && !g_queue_is_empty (&f->chunks)) {
    GBytes *head = g_queue_peek_head (&f->chunks);
    gsize size = 0;
    const guint8 *data = g_bytes_get_data (head, &size);
    gsize n = MIN (count - done, size - f->head_used);

    memcpy (buf + done, data + f->head_used, n);
    done += n;
    f->head_used += n;
    if (f->head_used == size) {
      g_bytes_unref (g_queue_pop_head (&f->chunks));
      f->head_used = 0;
    }
  }
  feed_maybe_fetch_locked (f);
  return done;
}

/* One read once readable: bytes, 0 at the end, -1 with the error. */
static gssize
feed_read_locked (Feed *f, void *buf, gsize count, GError **error)
{
  if (!g_queue_is_empty (&f->chunks))
    return (gssize) feed_copy_locked (f, buf, count);
  if (f->error != NULL) {
    g_propagate_error (error, g_error_copy (f->error));
    return -1;
  }
  if (f->closed) {
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CLOSED, "stream is closed");
    return -1;
  }
  return 0;
}

/* ---- the stream --------------------------------------------------------------- */

#define HZ_TYPE_RECORDING_S3_STREAM (hz_recording_s3_stream_get_type ())
G_DECLARE_FINAL_TYPE (HzRecordingS3Stream, hz_recording_s3_stream, HZ, RECORDING_S3_STREAM, GInputStream)

struct _HzRecordingS3Stream {
  GInputStream parent;
  Feed *feed;
};

static void hz_recording_s3_stream_pollable_init (GPollableInputStreamInterface *iface);

G_DEFINE_TYPE_WITH_CODE (HzRecordingS3Stream, hz_recording_s3_stream, G_TYPE_INPUT_STREAM,
                         G_IMPLEMENT_INTERFACE (G_TYPE_POLLABLE_INPUT_STREAM,
                                                hz_recording_s3_stream_pollable_init))

static gssize
hz_recording_s3_stream_read (GInputStream *stream, void *buf, gsize count, GCancellable *cancellable,
                             GError **error)
{
  Feed *f = HZ_RECORDING_S3_STREAM (stream)->feed;
  gssize n;

  g_mutex_lock (&f->lock);
  while (!feed_readable_locked (f)) {
    if (g_cancellable_set_error_if_cancelled (cancellable, error)) {
      g_mutex_unlock (&f->lock);
      return -1;
    }
    g_cond_wait_until (&f->cond, &f->lock, g_get_monotonic_time () + G_TIME_SPAN_SECOND);
  }
  n = feed_read_locked (f, buf, count, error);
  g_mutex_unlock (&f->lock);
  return n;
}

static gboolean
hz_recording_s3_stream_close (GInputStream *stream, GCancellable *cancellable, GError **error)
{
  Feed *f = HZ_RECORDING_S3_STREAM (stream)->feed;

  g_mutex_lock (&f->lock);
  f->closed = TRUE;
  g_queue_clear_full (&f->chunks, (GDestroyNotify) g_bytes_unref);
  feed_wake_locked (f);
  g_mutex_unlock (&f->lock);
  return TRUE;
}

static gboolean
hz_recording_s3_stream_can_poll (GPollableInputStream *stream)
{
  return TRUE;
}

static gboolean
hz_recording_s3_stream_is_readable (GPollableInputStream *stream)
{
  Feed *f = HZ_RECORDING_S3_STREAM (stream)->feed;
  gboolean readable;

  g_mutex_lock (&f->lock);
  readable = feed_readable_locked (f);
  g_mutex_unlock (&f->lock);
  return readable;
}

static gssize
hz_recording_s3_stream_read_nonblocking (GPollableInputStream *stream, void *buf, gsize count,
                                         GError **error)
{
  Feed *f = HZ_RECORDING_S3_STREAM (stream)->feed;
  gssize n = -1;

  g_mutex_lock (&f->lock);
  if (feed_readable_locked (f))
    n = feed_read_locked (f, buf, count, error);
  else
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK, "the next chunk is on its way");
  g_mutex_unlock (&f->lock);
  return n;
}

/* A child source that only becomes ready (ready time 0) when a chunk
 * arrives; the pollable source around it dispatches the caller. */
static gboolean
hz_waker_dispatch (GSource *source, GSourceFunc callback, gpointer data)
{
  g_source_set_ready_time (source, -1);
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs hz_waker_funcs = { NULL, NULL, hz_waker_dispatch, NULL, NULL, NULL };

static GSource *
hz_recording_s3_stream_create_source (GPollableInputStream *stream, GCancellable *cancellable)
{
  Feed *f = HZ_RECORDING_S3_STREAM (stream)->feed;
  GSource *child = g_source_new (&hz_waker_funcs, sizeof (GSource));
  GSource *source;

  g_source_set_static_name (child, "hz-s3-stream-waker");
  g_mutex_lock (&f->lock);
  if (feed_readable_locked (f))
    g_source_set_ready_time (child, 0);
  else
    g_ptr_array_add (f->wakers, g_source_ref (child));
  g_mutex_unlock (&f->lock);
  /* added by hand: g_pollable_source_new_full would give the child a
   * dummy closure, which a source without closure_callback refuses */
  source = g_pollable_source_new_full (stream, NULL, cancellable);
  g_source_add_child_source (source, child);
  g_source_unref (child);
  return source;
}

static void
hz_recording_s3_stream_finalize (GObject *object)
{
  HzRecordingS3Stream *self = HZ_RECORDING_S3_STREAM (object);

  hz_recording_s3_stream_close (G_INPUT_STREAM (self), NULL, NULL);
  feed_unref (self->feed);
  G_OBJECT_CLASS (hz_recording_s3_stream_parent_class)->finalize (object);
}

static void
hz_recording_s3_stream_class_init (HzRecordingS3StreamClass *klass)
{
  GInputStreamClass *stream_class = G_INPUT_STREAM_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = hz_recording_s3_stream_finalize;
  stream_class->read_fn = hz_recording_s3_stream_read;
  stream_class->close_fn = hz_recording_s3_stream_close;
}

static void
hz_recording_s3_stream_pollable_init (GPollableInputStreamInterface *iface)
{
  iface->can_poll = hz_recording_s3_stream_can_poll;
  iface->is_readable = hz_recording_s3_stream_is_readable;
  iface->create_source = hz_recording_s3_stream_create_source;
  iface->read_nonblocking = hz_recording_s3_stream_read_nonblocking;
}

static void
hz_recording_s3_stream_init (HzRecordingS3Stream *self)
{
}

GInputStream *
hz_recording_s3_stream_new (HzS3Shared *s3, const char *key, guint64 offset, guint64 length)
{
  HzRecordingS3Stream *self;
  Feed *f;

  g_return_val_if_fail (s3 != NULL && key != NULL, NULL);
  self = g_object_new (HZ_TYPE_RECORDING_S3_STREAM, NULL);
  f = g_new0 (Feed, 1);
  f->refcount = 1;
  g_mutex_init (&f->lock);
  g_cond_init (&f->cond);
  f->s3 = hz_s3_shared_ref (s3);
  f->key = g_strdup (key);
  f->next_offset = offset;
  f->to_fetch = length;
  g_queue_init (&f->chunks);
  f->wakers = g_ptr_array_new_with_free_func ((GDestroyNotify) g_source_unref);
  self->feed = f;
  g_mutex_lock (&f->lock);
  feed_maybe_fetch_locked (f);
  g_mutex_unlock (&f->lock);
  return G_INPUT_STREAM (self);
}
