/* hz-worker: the pool of media worker threads.
 *
 * Owns: a small fixed set of threads, each running its own GMainContext. A
 * room's peer connections all live on one worker so that forwarding between
 * them needs no locks; the control plane talks to a worker only by posting
 * closures to its context (hz_worker_invoke), never by sharing state.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _HzWorker HzWorker;
typedef struct _HzWorkerPool HzWorkerPool;

HzWorkerPool *hz_worker_pool_new (guint n_workers, GError **error);
void hz_worker_pool_free (HzWorkerPool *pool);
guint hz_worker_pool_get_size (HzWorkerPool *pool);
HzWorker *hz_worker_pool_get_worker (HzWorkerPool *pool, guint index);

/* Picks the worker with the fewest rooms and counts one more room on it;
 * give it back with hz_worker_release(). */
HzWorker *hz_worker_pool_acquire (HzWorkerPool *pool);
void hz_worker_release (HzWorker *worker);

GMainContext *hz_worker_get_context (HzWorker *worker);
guint hz_worker_get_index (HzWorker *worker);

/* Runs @func(@data) on the worker's thread, in posting order (FIFO). */
void hz_worker_invoke (HzWorker *worker, GSourceFunc func, gpointer data,
                       GDestroyNotify destroy);

/* Runs @func(@data) on the worker's thread and waits for it to return. For
 * start-up, shutdown and tests; never from a worker thread. */
void hz_worker_invoke_sync (HzWorker *worker, GSourceFunc func, gpointer data);

/* CPU time (user + system, microseconds) consumed by the worker thread. */
gint64 hz_worker_get_cpu_time_us (HzWorker *worker);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HzWorkerPool, hz_worker_pool_free)

G_END_DECLS
