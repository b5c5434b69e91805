/* hz-media-room: message passing between the control plane and a worker. */
#include "hz-media-room.h"

/* Shared by the main-side handle, the worker side and every posted event:
 * tells events whether the main side still wants them. Only read and
 * written on the main context. */
typedef struct {
  GMainContext *main_context;
  HzMediaRoomEvents events;
  gpointer user_data;
  gboolean alive;
} EventSink;

/* Lives on the worker thread only. */
typedef struct {
  HzWorker *worker;
  EventSink *sink; /* rc box ref */
  HzMediaConfig config; /* cert ref'd, ip owned */
  HzRouter *router;
  GHashTable *endpoints; /* id → Endpoint* */
  GSource *tick;         /* the router's 20 ms tick, created on the worker */
} WorkerRoom;

typedef struct {
  WorkerRoom *room;
  HzEndpointId id;
  HzPeer *peer;
} Endpoint;

struct _HzMediaRoom {
  HzWorker *worker;
  WorkerRoom *wr; /* only dereferenced by closures running on the worker */
  EventSink *sink;
};

/* ---- events: worker → main ---- */

typedef enum {
  EVENT_CANDIDATE,
  EVENT_STATE,
  EVENT_LAYER,
  EVENT_SPEAKER,
} EventKind;

typedef struct {
  EventSink *sink;
  HzEndpointId id;
  EventKind kind;
  char *candidate;
  HzPeerState state;
  char *remote_addr;
  guint32 track_id;
  gint layer;
} Event;

static void
event_free (gpointer data)
{
  Event *ev = data;

  g_atomic_rc_box_release (ev->sink);
  g_free (ev->candidate);
  g_free (ev->remote_addr);
  g_free (ev);
}

static gboolean
event_dispatch (gpointer user_data)
{
  Event *ev = user_data;
  const HzMediaRoomEvents *e = &ev->sink->events;
  gpointer data = ev->sink->user_data;

  if (!ev->sink->alive)
    return G_SOURCE_REMOVE;
  switch (ev->kind) {
  case EVENT_CANDIDATE:
    if (e->local_candidate != NULL)
      e->local_candidate (ev->id, ev->candidate, data);
    break;
  case EVENT_STATE:
    if (e->state_changed != NULL)
      e->state_changed (ev->id, ev->state, ev->remote_addr, data);
    break;
  case EVENT_LAYER:
    if (e->layer_changed != NULL)
      e->layer_changed (ev->id, ev->track_id, ev->layer, data);
    break;
  case EVENT_SPEAKER:
    if (e->active_speaker != NULL)
      e->active_speaker (ev->id, data);
    break;
  }
  return G_SOURCE_REMOVE;
}

static void
post_room_event (WorkerRoom *wr, HzEndpointId id, Event *ev)
{
  ev->sink = g_atomic_rc_box_acquire (wr->sink);
  ev->id = id;
  g_main_context_invoke_full (ev->sink->main_context, G_PRIORITY_DEFAULT, event_dispatch, ev,
                              event_free);
}

static void
post_event (Endpoint *ep, Event *ev)
{
  ev->sink = g_atomic_rc_box_acquire (ep->room->sink);
  ev->id = ep->id;
  g_main_context_invoke_full (ev->sink->main_context, G_PRIORITY_DEFAULT, event_dispatch, ev,
                              event_free);
}

static void
peer_local_candidate (HzPeer *peer, const char *candidate, gpointer user_data)
{
  Event *ev = g_new0 (Event, 1);

  ev->kind = EVENT_CANDIDATE;
  ev->candidate = g_strdup (candidate);
  post_event (user_data, ev);
}

static void
peer_state_changed (HzPeer *peer, HzPeerState state, gpointer user_data)
{
  Endpoint *ep = user_data;
  Event *ev = g_new0 (Event, 1);

  if (state == HZ_PEER_STATE_CONNECTED)
    hz_router_on_peer_connected (ep->room->router, peer);
  ev->kind = EVENT_STATE;
  ev->state = state;
  ev->remote_addr = g_strdup (hz_peer_get_remote_address (peer));
  post_event (ep, ev);
}

static void
peer_rtp (HzPeer *peer, guint8 *buf, gsize len, gpointer user_data)
{
  Endpoint *ep = user_data;

  hz_router_on_rtp (ep->room->router, peer, buf, len);
}

static void
peer_rtcp (HzPeer *peer, guint8 *buf, gsize len, gpointer user_data)
{
  Endpoint *ep = user_data;

  hz_router_on_rtcp (ep->room->router, peer, buf, len);
}

static const HzPeerCallbacks peer_callbacks = {
  .local_candidate = peer_local_candidate,
  .state_changed = peer_state_changed,
  .rtp = peer_rtp,
  .rtcp = peer_rtcp,
};

static HzEndpointId
endpoint_of_peer (WorkerRoom *wr, HzPeer *peer)
{
  GHashTableIter iter;
  Endpoint *ep;

  g_hash_table_iter_init (&iter, wr->endpoints);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &ep))
    if (ep->peer == peer)
      return ep->id;
  return 0;
}

static void
router_layer_changed (HzPeer *subscriber, guint32 track_id, gint layer, gpointer data)
{
  WorkerRoom *wr = data;
  Event *ev = g_new0 (Event, 1);

  ev->kind = EVENT_LAYER;
  ev->track_id = track_id;
  ev->layer = layer;
  post_room_event (wr, endpoint_of_peer (wr, subscriber), ev);
}

static void
router_active_speaker (guint32 owner, gpointer data)
{
  Event *ev = g_new0 (Event, 1);

  ev->kind = EVENT_SPEAKER;
  post_room_event (data, owner, ev);
}

static gboolean
router_tick_cb (gpointer data)
{
  WorkerRoom *wr = data;

  hz_router_tick (wr->router);
  return G_SOURCE_CONTINUE;
}

static void
endpoint_free (Endpoint *ep)
{
  hz_router_remove_peer (ep->room->router, ep->peer);
  hz_peer_free (ep->peer);
  g_free (ep);
}

/* ---- operations: main → worker ---- */

typedef enum {
  OP_ADD_ENDPOINT,
  OP_SET_REMOTE,
  OP_ADD_CANDIDATE,
  OP_RESTART_ICE,
  OP_REMOVE_ENDPOINT,
  OP_ADD_TRACK,
  OP_REMOVE_TRACK,
  OP_SET_PAUSED,
  OP_SET_TAP,
  OP_SET_MAX_LAYER,
  OP_SET_VIDEO_ENABLED,
  OP_SUBSCRIBE,
  OP_UNSUBSCRIBE,
  OP_DESTROY,
} OpKind;

typedef struct {
  WorkerRoom *wr;
  OpKind kind;
  HzEndpointId id;
  char *s1, *s2, *s3, *s4; /* ufrag, pwd, fp algorithm, fingerprint / candidate */
  HzDtlsRole role;
  gboolean flag;
  gint layer;
  guint32 track_id;
  HzTrackInInfo in_info;
  HzTrackOutInfo out_info;
  HzRouterTap tap;
  gpointer tap_data;
} Op;

static void
op_free (gpointer data)
{
  Op *op = data;

  g_free (op->s1);
  g_free (op->s2);
  g_free (op->s3);
  g_free (op->s4);
  g_free (op);
}

static Endpoint *
find_endpoint (WorkerRoom *wr, HzEndpointId id)
{
  return g_hash_table_lookup (wr->endpoints, GUINT_TO_POINTER (id));
}

static void
worker_room_free (WorkerRoom *wr)
{
  if (wr->tick != NULL) {
    g_source_destroy (wr->tick);
    g_source_unref (wr->tick);
  }
  g_hash_table_unref (wr->endpoints); /* frees peers while the router exists */
  hz_router_free (wr->router);
  hz_dtls_cert_unref (wr->config.cert);
  g_free ((char *) wr->config.ip);
  g_clear_pointer (&wr->config.ice_tcp, hz_ice_tcp_unref);
  hz_worker_release (wr->worker);
  g_atomic_rc_box_release (wr->sink);
  g_free (wr);
}

static void
op_add_endpoint (Op *op)
{
  WorkerRoom *wr = op->wr;
  g_autoptr(GError) error = NULL;
  HzPeerConfig pc = {
    .ip = wr->config.ip,
    .port_min = wr->config.port_min,
    .port_max = wr->config.port_max,
    .cert = wr->config.cert,
    .controlling = FALSE,
    .local_ufrag = op->s1,
    .local_pwd = op->s2,
    .liveness_timeout_ms = wr->config.liveness_timeout_ms,
    .ice_tcp = wr->config.ice_tcp,
  };
  Endpoint *ep = g_new0 (Endpoint, 1);

  ep->room = wr;
  ep->id = op->id;
  ep->peer = hz_peer_new (hz_worker_get_context (wr->worker), &pc, &peer_callbacks, ep, &error);
  if (ep->peer == NULL || !hz_peer_gather (ep->peer, &error)) {
    Event *ev = g_new0 (Event, 1);

    g_warning ("endpoint %u: %s", op->id, error->message);
    ev->kind = EVENT_STATE;
    ev->state = HZ_PEER_STATE_FAILED;
    post_event (ep, ev);
    g_clear_pointer (&ep->peer, hz_peer_free);
    g_free (ep);
    return;
  }
  g_hash_table_replace (wr->endpoints, GUINT_TO_POINTER (op->id), ep);
}

static gboolean
op_run (gpointer data)
{
  Op *op = data;
  WorkerRoom *wr = op->wr;
  Endpoint *ep = find_endpoint (wr, op->id);
  g_autoptr(GError) error = NULL;

  if (wr->tick == NULL && op->kind != OP_DESTROY) {
    static const HzRouterEvents router_events = {
      .layer_changed = router_layer_changed,
      .active_speaker = router_active_speaker,
    };

    hz_router_set_events (wr->router, &router_events, wr);
    wr->tick = g_timeout_source_new (20);
    g_source_set_callback (wr->tick, router_tick_cb, wr, NULL);
    g_source_set_static_name (wr->tick, "hz-router-tick");
    g_source_attach (wr->tick, hz_worker_get_context (wr->worker));
  }
  switch (op->kind) {
  case OP_ADD_ENDPOINT:
    op_add_endpoint (op);
    break;
  case OP_SET_REMOTE:
    if (ep != NULL &&
        !hz_peer_set_remote (ep->peer, op->s1, op->s2, op->s3, op->s4, op->role, &error))
      g_warning ("endpoint %u: %s", op->id, error->message);
    break;
  case OP_ADD_CANDIDATE:
    if (ep != NULL && !hz_peer_add_remote_candidate (ep->peer, op->s1, &error))
      g_debug ("endpoint %u: %s", op->id, error->message);
    break;
  case OP_RESTART_ICE:
    if (ep != NULL && !hz_peer_restart_ice (ep->peer, op->s1, op->s2, op->s3, op->s4, &error))
      g_warning ("endpoint %u: %s", op->id, error->message);
    break;
  case OP_REMOVE_ENDPOINT:
    g_hash_table_remove (wr->endpoints, GUINT_TO_POINTER (op->id));
    break;
  case OP_ADD_TRACK:
    if (ep != NULL && !hz_router_add_track (wr->router, ep->peer, &op->in_info, &error))
      g_warning ("endpoint %u: %s", op->id, error->message);
    break;
  case OP_REMOVE_TRACK:
    hz_router_remove_track (wr->router, op->track_id);
    break;
  case OP_SET_PAUSED:
    hz_router_set_paused (wr->router, op->track_id, op->flag);
    break;
  case OP_SET_TAP:
    hz_router_set_tap (wr->router, op->track_id, op->tap, op->tap_data);
    break;
  case OP_SET_MAX_LAYER:
    if (ep != NULL)
      hz_router_set_max_layer (wr->router, op->track_id, ep->peer, op->layer);
    break;
  case OP_SET_VIDEO_ENABLED:
    if (ep != NULL)
      hz_router_set_video_enabled (wr->router, ep->peer, op->flag);
    break;
  case OP_SUBSCRIBE:
    if (ep != NULL &&
        !hz_router_subscribe (wr->router, op->track_id, ep->peer, &op->out_info, &error))
      g_warning ("endpoint %u: %s", op->id, error->message);
    break;
  case OP_UNSUBSCRIBE:
    if (ep != NULL)
      hz_router_unsubscribe (wr->router, op->track_id, ep->peer);
    break;
  case OP_DESTROY:
    worker_room_free (wr);
    break;
  }
  return G_SOURCE_REMOVE;
}

static Op *
op_new (HzMediaRoom *room, OpKind kind, HzEndpointId id)
{
  Op *op = g_new0 (Op, 1);

  op->wr = room->wr;
  op->kind = kind;
  op->id = id;
  return op;
}

static void
op_post (HzMediaRoom *room, Op *op)
{
  hz_worker_invoke (room->worker, op_run, op, op_free);
}

/* ---- public API (main context) ---- */

HzMediaRoom *
hz_media_room_new (HzWorkerPool *pool, const HzMediaConfig *config,
                   const HzMediaRoomEvents *events, gpointer user_data)
{
  HzMediaRoom *room = g_new0 (HzMediaRoom, 1);
  WorkerRoom *wr = g_new0 (WorkerRoom, 1);

  room->sink = g_atomic_rc_box_new0 (EventSink);
  room->sink->main_context = g_main_context_ref_thread_default ();
  room->sink->events = *events;
  room->sink->user_data = user_data;
  room->sink->alive = TRUE;
  room->worker = hz_worker_pool_acquire (pool);

  wr->worker = room->worker;
  wr->sink = g_atomic_rc_box_acquire (room->sink);
  wr->config = *config;
  wr->config.ip = g_strdup (config->ip);
  wr->config.cert = hz_dtls_cert_ref (config->cert);
  if (config->ice_tcp != NULL)
    wr->config.ice_tcp = hz_ice_tcp_ref (config->ice_tcp);
  wr->router = hz_router_new (NULL, NULL);
  wr->endpoints = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) endpoint_free);
  room->wr = wr;
  return room;
}

static void
sink_clear (gpointer data)
{
  EventSink *sink = data;

  g_main_context_unref (sink->main_context);
}

void
hz_media_room_free (HzMediaRoom *room)
{
  if (room == NULL)
    return;
  room->sink->alive = FALSE;
  op_post (room, op_new (room, OP_DESTROY, 0));
  g_atomic_rc_box_release_full (room->sink, sink_clear);
  g_free (room);
}

guint
hz_media_room_get_worker_index (HzMediaRoom *room)
{
  return hz_worker_get_index (room->worker);
}

void
hz_media_room_add_endpoint (HzMediaRoom *room, HzEndpointId id, const char *ufrag, const char *pwd)
{
  Op *op = op_new (room, OP_ADD_ENDPOINT, id);

  op->s1 = g_strdup (ufrag);
  op->s2 = g_strdup (pwd);
  op_post (room, op);
}

void
hz_media_room_set_remote (HzMediaRoom *room, HzEndpointId id, const char *ufrag, const char *pwd,
                          const char *fp_algorithm, const char *fingerprint, HzDtlsRole role)
{
  Op *op = op_new (room, OP_SET_REMOTE, id);

  op->s1 = g_strdup (ufrag);
  op->s2 = g_strdup (pwd);
  op->s3 = g_strdup (fp_algorithm);
  op->s4 = g_strdup (fingerprint);
  op->role = role;
  op_post (room, op);
}

void
hz_media_room_restart_ice (HzMediaRoom *room, HzEndpointId id, const char *local_ufrag,
                           const char *local_pwd, const char *remote_ufrag, const char *remote_pwd)
{
  Op *op = op_new (room, OP_RESTART_ICE, id);

  op->s1 = g_strdup (local_ufrag);
  op->s2 = g_strdup (local_pwd);
  op->s3 = g_strdup (remote_ufrag);
  op->s4 = g_strdup (remote_pwd);
  op_post (room, op);
}

void
hz_media_room_add_candidate (HzMediaRoom *room, HzEndpointId id, const char *candidate)
{
  Op *op = op_new (room, OP_ADD_CANDIDATE, id);

  op->s1 = g_strdup (candidate);
  op_post (room, op);
}

void
hz_media_room_remove_endpoint (HzMediaRoom *room, HzEndpointId id)
{
  op_post (room, op_new (room, OP_REMOVE_ENDPOINT, id));
}

void
hz_media_room_add_track (HzMediaRoom *room, HzEndpointId publisher, const HzTrackInInfo *info)
{
  Op *op = op_new (room, OP_ADD_TRACK, publisher);

  op->in_info = *info;
  op_post (room, op);
}

void
hz_media_room_remove_track (HzMediaRoom *room, guint32 track_id)
{
  Op *op = op_new (room, OP_REMOVE_TRACK, 0);

  op->track_id = track_id;
  op_post (room, op);
}

void
hz_media_room_set_paused (HzMediaRoom *room, guint32 track_id, gboolean paused)
{
  Op *op = op_new (room, OP_SET_PAUSED, 0);

  op->track_id = track_id;
  op->flag = paused;
  op_post (room, op);
}

void
hz_media_room_subscribe (HzMediaRoom *room, HzEndpointId subscriber, guint32 track_id,
                         const HzTrackOutInfo *info)
{
  Op *op = op_new (room, OP_SUBSCRIBE, subscriber);

  op->track_id = track_id;
  op->out_info = *info;
  op_post (room, op);
}

void
hz_media_room_set_max_layer (HzMediaRoom *room, HzEndpointId subscriber, guint32 track_id, gint max_layer)
{
  Op *op = op_new (room, OP_SET_MAX_LAYER, subscriber);

  op->track_id = track_id;
  op->layer = max_layer;
  op_post (room, op);
}

void
hz_media_room_set_video_enabled (HzMediaRoom *room, HzEndpointId subscriber, gboolean enabled)
{
  Op *op = op_new (room, OP_SET_VIDEO_ENABLED, subscriber);

  op->flag = enabled;
  op_post (room, op);
}

void
hz_media_room_unsubscribe (HzMediaRoom *room, HzEndpointId subscriber, guint32 track_id)
{
  Op *op = op_new (room, OP_UNSUBSCRIBE, subscriber);

  op->track_id = track_id;
  op_post (room, op);
}

void
hz_media_room_set_tap (HzMediaRoom *room, guint32 track_id, HzRouterTap tap, gpointer data)
{
  Op *op = op_new (room, OP_SET_TAP, 0);

  op->track_id = track_id;
  op->tap = tap;
  op->tap_data = data;
  op_post (room, op);
}

typedef struct {
  WorkerRoom *wr;
  guint32 track_id;
} TapCall;

static gboolean
clear_tap_cb (gpointer data)
{
  TapCall *call = data;

  hz_router_set_tap (call->wr->router, call->track_id, NULL, NULL);
  return G_SOURCE_REMOVE;
}

void
hz_media_room_clear_tap_sync (HzMediaRoom *room, guint32 track_id)
{
  TapCall call = { room->wr, track_id };

  /* FIFO on the worker: runs after every op posted before it. */
  hz_worker_invoke_sync (room->worker, clear_tap_cb, &call);
}

typedef struct {
  WorkerRoom *wr;
  HzRouterStats *stats;
} StatsCall;

static gboolean
stats_cb (gpointer data)
{
  StatsCall *call = data;

  hz_router_get_stats (call->wr->router, call->stats);
  return G_SOURCE_REMOVE;
}

void
hz_media_room_get_stats (HzMediaRoom *room, HzRouterStats *stats)
{
  StatsCall call = { room->wr, stats };

  hz_worker_invoke_sync (room->worker, stats_cb, &call);
}
