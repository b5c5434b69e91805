/* hz-send-batch: per-thread send queue (sendmmsg) and receive buffer. */
#define _GNU_SOURCE /* sendmmsg */
#include "hz-send-batch.h"

#include <errno.h>

#include "hz-srtp.h"

/* Large enough for any datagram a browser sends (DTLS flights are cut to
 * the MTU) plus the SRTP trailer when the receiver re-protects in place. */
#define HZ_RECV_BUF 4096
#define HZ_BATCH 64          /* packets queued before a flush */
#define HZ_SLOT (1500 + HZ_SRTP_MAX_TRAILER) /* HZ_PEER_SEND_BUF (hz-peer.h) */

typedef struct {
  GMainContext *context; /* the one the flush source is attached to */
  GSource *flush;        /* owned by @context; NULL once finalized */
  guint n;
  int fds[HZ_BATCH];
  guint64 *errors[HZ_BATCH];
  guint64 *group_errors[HZ_BATCH];
  struct mmsghdr msgs[HZ_BATCH];
  struct iovec iov[HZ_BATCH];
  struct mmsghdr group[HZ_BATCH];
  guint8 slots[HZ_BATCH][HZ_SLOT];
  guint8 recv_buf[HZ_RECV_BUF];
} Batch;

/* The GPrivate owns it (freed at thread exit); the __thread copy is the
 * fast path the forwarding loop reads. */
static __thread Batch *batch_cached;

static void
batch_free (gpointer data)
{
  Batch *b = data;

  batch_cached = NULL;
  if (b->flush != NULL)
    g_source_destroy (b->flush); /* its finalize sees batch_cached NULL */
  g_free (b);
}

static GPrivate batch_key = G_PRIVATE_INIT (batch_free);

static Batch *
batch_get (void)
{
  Batch *b = batch_cached;

  if (G_UNLIKELY (b == NULL)) {
    b = g_malloc (sizeof *b); /* not zeroed: ~100 KiB, pages touched as used */
    b->context = NULL;
    b->flush = NULL;
    b->n = 0;
    g_private_set (&batch_key, b);
    batch_cached = b;
  }
  return b;
}

/* One sendmmsg() per socket, carrying that socket's packets in the order
 * they were queued. */
static void
batch_flush (Batch *b)
{
  guint64 done = 0; /* bit i: slot i sent */

  G_STATIC_ASSERT (HZ_BATCH <= 64);
  for (guint i = 0; i < b->n; i++) {
    guint k = 0, off = 0;

    if (done & (G_GUINT64_CONSTANT (1) << i))
      continue;
    for (guint j = i; j < b->n; j++) {
      if (b->fds[j] == b->fds[i]) {
        b->group_errors[k] = b->errors[j];
        b->group[k++] = b->msgs[j];
        done |= G_GUINT64_CONSTANT (1) << j;
      }
    }
    while (off < k) {
      int r = sendmmsg (b->fds[i], b->group + off, k - off, 0);

      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0) {
        /* EAGAIN (full socket buffer) and the like: dropped, as UDP would */
        (*b->group_errors[off])++;
        off++;
      } else {
        off += (guint) r;
      }
    }
  }
  b->n = 0;
}

static gboolean
flush_prepare (GSource *source, gint *timeout)
{
  batch_flush (batch_get ());
  *timeout = -1;
  return FALSE;
}

static gboolean
flush_dispatch (GSource *source, GSourceFunc callback, gpointer data)
{
  return G_SOURCE_CONTINUE;
}

static void
flush_finalize (GSource *source)
{
  Batch *b = batch_cached;

  /* Runs on the thread that drops the context's last reference: only
   * this thread's own source concerns it. */
  if (b != NULL && b->flush == source) {
    b->flush = NULL;
    b->context = NULL;
  }
}

static GSourceFuncs flush_funcs = { flush_prepare, NULL, flush_dispatch, flush_finalize, NULL, NULL };

guint8 *
hz_send_batch_recv_buffer (gsize *size)
{
  *size = HZ_RECV_BUF;
  return batch_get ()->recv_buf;
}

guint8 *
hz_send_batch_slot (GMainContext *context, gsize slot_size)
{
  Batch *b = batch_get ();

  g_return_val_if_fail (slot_size <= HZ_SLOT, NULL);
  if (G_UNLIKELY (b->context != context || b->flush == NULL)) {
    batch_flush (b);
    if (b->flush != NULL)
      g_source_destroy (b->flush);
    b->flush = g_source_new (&flush_funcs, sizeof (GSource));
    g_source_set_priority (b->flush, G_PRIORITY_HIGH); /* prepared before anything else */
    g_source_set_static_name (b->flush, "hz-send-batch");
    g_source_attach (b->flush, context);
    g_source_unref (b->flush); /* owned by the context */
    b->context = context;
  }
  if (b->n == HZ_BATCH)
    batch_flush (b);
  return b->slots[b->n];
}

gboolean
hz_send_batch_queue (GMainContext *context, guint8 *buf, gsize len, int fd,
                     const struct sockaddr *addr, socklen_t addr_len, guint64 *errors)
{
  Batch *b = batch_cached;

  if (b == NULL || b->n == HZ_BATCH || buf != b->slots[b->n] || b->context != context ||
      b->flush == NULL)
    return FALSE;
  b->fds[b->n] = fd;
  b->errors[b->n] = errors;
  b->iov[b->n] = (struct iovec) { buf, len };
  b->msgs[b->n] = (struct mmsghdr) {
    .msg_hdr = { .msg_name = (void *) addr, .msg_namelen = addr_len,
                 .msg_iov = &b->iov[b->n], .msg_iovlen = 1 } };
  b->n++;
  return TRUE;
}

void
hz_send_batch_flush (void)
{
  if (batch_cached != NULL)
    batch_flush (batch_cached);
}
