/* hz-worker: media worker threads, one GMainContext each. */
#include "hz-worker.h"

#include <pthread.h>
#include <time.h>

struct _HzWorker {
  HzWorkerPool *pool;
  guint index;
  GThread *thread;
  GMainContext *context;
  GMainLoop *loop;
  gint n_rooms; /* atomic */
  clockid_t cpu_clock;
  gboolean cpu_clock_ok;
};

struct _HzWorkerPool {
  guint n;
  HzWorker *workers;
};

static gpointer
worker_thread (gpointer data)
{
  HzWorker *w = data;
  pthread_t self = pthread_self ();

  g_main_context_push_thread_default (w->context);
  w->cpu_clock_ok = pthread_getcpuclockid (self, &w->cpu_clock) == 0;
  g_main_loop_run (w->loop);
  g_main_context_pop_thread_default (w->context);
  return NULL;
}

HzWorkerPool *
hz_worker_pool_new (guint n_workers, GError **error)
{
  HzWorkerPool *pool;

  g_return_val_if_fail (n_workers > 0 && n_workers <= 64, NULL);


  pool = g_new0 (HzWorkerPool, 1);
  pool->n = n_workers;
  pool->workers = g_new0 (HzWorker, n_workers);
  for (guint i = 0; i < n_workers; i++) {
    HzWorker *w = &pool->workers[i];
    g_autofree char *name = g_strdup_printf ("hz-media-%u", i);

    w->pool = pool;
    w->index = i;
    w->context = g_main_context_new ();
    w->loop = g_main_loop_new (w->context, FALSE);
    w->thread = g_thread_try_new (name, worker_thread, w, error);
    if (w->thread == NULL) {
      pool->n = i;
      hz_worker_pool_free (pool);
      return NULL;
    }
  }
  return pool;
}

static gboolean
quit_loop_cb (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

void
hz_worker_pool_free (HzWorkerPool *pool)
{
  if (pool == NULL)
    return;
  for (guint i = 0; i < pool->n; i++) {
    HzWorker *w = &pool->workers[i];
    hz_worker_invoke (w, quit_loop_cb, w->loop, NULL);
    g_thread_join (w->thread);
    /* Let sources posted during shutdown (peer teardown) finish. */
    while (g_main_context_iteration (w->context, FALSE))
      ;
    g_main_loop_unref (w->loop);
    g_main_context_unref (w->context);
  }
  g_free (pool->workers);
  g_free (pool);
}

guint
hz_worker_pool_get_size (HzWorkerPool *pool)
{
  return pool->n;
}

HzWorker *
hz_worker_pool_get_worker (HzWorkerPool *pool, guint index)
{
  g_return_val_if_fail (index < pool->n, NULL);
  return &pool->workers[index];
}

HzWorker *
hz_worker_pool_acquire (HzWorkerPool *pool)
{
  HzWorker *best = &pool->workers[0];

  for (guint i = 1; i < pool->n; i++) {
    if (g_atomic_int_get (&pool->workers[i].n_rooms) < g_atomic_int_get (&best->n_rooms))
      best = &pool->workers[i];
  }
  g_atomic_int_inc (&best->n_rooms);
  return best;
}

void
hz_worker_release (HzWorker *worker)
{
  g_atomic_int_dec_and_test (&worker->n_rooms);
}

GMainContext *
hz_worker_get_context (HzWorker *worker)
{
  return worker->context;
}

guint
hz_worker_get_index (HzWorker *worker)
{
  return worker->index;
}

void
hz_worker_invoke (HzWorker *worker, GSourceFunc func, gpointer data, GDestroyNotify destroy)
{
  /* An idle source per call: sources of one priority are dispatched in the
   * order they were attached, which gives the FIFO order callers rely on
   * (create peer before set remote before add candidate). */
  GSource *source = g_idle_source_new ();

  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, func, data, destroy);
  g_source_set_static_name (source, "hz-worker-invoke");
  g_source_attach (source, worker->context);
  g_source_unref (source);
}

typedef struct {
  GSourceFunc func;
  gpointer data;
  GMutex lock;
  GCond cond;
  gboolean done;
} SyncCall;

static gboolean
sync_call_cb (gpointer data)
{
  SyncCall *call = data;

  call->func (call->data);
  g_mutex_lock (&call->lock);
  call->done = TRUE;
  g_cond_signal (&call->cond);
  g_mutex_unlock (&call->lock);
  return G_SOURCE_REMOVE;
}

void
hz_worker_invoke_sync (HzWorker *worker, GSourceFunc func, gpointer data)
{
  SyncCall call = { .func = func, .data = data };

  g_mutex_init (&call.lock);
  g_cond_init (&call.cond);
  hz_worker_invoke (worker, sync_call_cb, &call, NULL);
  g_mutex_lock (&call.lock);
  while (!call.done)
    g_cond_wait (&call.cond, &call.lock);
  g_mutex_unlock (&call.lock);
  g_mutex_clear (&call.lock);
  g_cond_clear (&call.cond);
}

gint64
hz_worker_get_cpu_time_us (HzWorker *worker)
{
  struct timespec ts;

  if (!worker->cpu_clock_ok || clock_gettime (worker->cpu_clock, &ts) != 0)
    return -1;
  return (gint64) ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}
