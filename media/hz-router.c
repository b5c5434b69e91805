/* hz-router: tables and the forwarding path of one room. */
#include "hz-router-private.h"

#include <string.h>

#include "hz-codec.h"
#include "hz-red.h"
#include "hz-rtcp.h"
#include "hz-rtp.h"

static gint64
default_clock (gpointer data)
{
  return g_get_monotonic_time ();
}

static void
track_out_free (TrackOut *out)
{
  hz_seq_rewriter_free (out->rw);
  g_clear_pointer (&out->select, hz_layer_select_free);
  g_free (out);
}

static void
track_in_free (TrackIn *in)
{
  for (guint i = 0; i < HZ_ROUTER_MAX_LAYERS; i++) {
    g_clear_pointer (&in->layers[i].cache, hz_packet_cache_free);
    g_clear_pointer (&in->layers[i].nack, hz_nack_generator_free);
    g_clear_pointer (&in->layers[i].recv, hz_recv_stats_free);
  }
  g_ptr_array_unref (in->outs);
  g_free (in);
}

static void
peer_state_free (PeerState *ps)
{
  g_clear_pointer (&ps->twcc_rx, hz_twcc_recv_free);
  g_clear_pointer (&ps->twcc_tx, hz_twcc_send_free);
  g_clear_pointer (&ps->bwe, hz_bwe_free);
  g_free (ps);
}

HzRouter *
hz_router_new (HzClockFunc clock, gpointer clock_data)
{
  HzRouter *self = g_new0 (HzRouter, 1);

  self->clock = clock != NULL ? clock : default_clock;
  self->clock_data = clock_data;
  self->tracks = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) track_in_free);
  self->in_by_ssrc = g_hash_table_new (NULL, NULL);
  self->out_by_ssrc = g_hash_table_new (NULL, NULL);
  self->peers = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) peer_state_free);
  self->speaker = hz_active_speaker_new ();
  self->twcc_results = g_new (HzTwccResult, HZ_TWCC_WINDOW);
  self->ssrc = g_random_int () | 1;
  return self;
}

void
hz_router_free (HzRouter *self)
{
  if (self == NULL)
    return;
  g_hash_table_unref (self->out_by_ssrc);
  g_hash_table_unref (self->in_by_ssrc);
  g_hash_table_unref (self->tracks);
  g_hash_table_unref (self->peers);
  hz_active_speaker_free (self->speaker);
  g_free (self->twcc_results);
  g_free (self);
}

void
hz_router_set_events (HzRouter *self, const HzRouterEvents *events, gpointer user_data)
{
  self->events = *events;
  self->events_data = user_data;
}

PeerState *
hz_router_peer_state (HzRouter *self, HzPeer *peer)
{
  PeerState *ps = g_hash_table_lookup (self->peers, peer);

  if (ps == NULL) {
    ps = g_new0 (PeerState, 1);
    ps->peer = peer;
    ps->video_enabled = TRUE;
    g_hash_table_insert (self->peers, peer, ps);
  }
  return ps;
}

TrackIn *
hz_router_lookup_track (HzRouter *self, guint32 track_id)
{
  return g_hash_table_lookup (self->tracks, GUINT_TO_POINTER (track_id));
}

static void
bind_ssrc (HzRouter *self, TrackIn *in, guint layer, gboolean rtx, guint32 ssrc)
{
  SsrcRef *ref = &in->refs[2 * layer + (rtx ? 1 : 0)];

  if (rtx)
    in->layers[layer].rtx_ssrc = ssrc;
  else
    in->layers[layer].ssrc = ssrc;
  g_hash_table_insert (self->in_by_ssrc, GUINT_TO_POINTER (ssrc), ref);
}

gboolean
hz_router_add_track (HzRouter *self, HzPeer *publisher, const HzTrackInInfo *info, GError **error)
{
  TrackIn *in;

  if (hz_router_lookup_track (self, info->track_id) != NULL) {
    g_set_error (error, HZ_PEER_ERROR, HZ_PEER_ERROR_BAD_STATE, "track %u already exists",
                 info->track_id);
    return FALSE;
  }
  if (info->ssrc != 0 && g_hash_table_contains (self->in_by_ssrc, GUINT_TO_POINTER (info->ssrc))) {
    g_set_error (error, HZ_PEER_ERROR, HZ_PEER_ERROR_BAD_STATE,
                 "SSRC %u is already published in this room", info->ssrc);
    return FALSE;
  }
  in = g_new0 (TrackIn, 1);
  in->info = *info;
  in->publisher = publisher;
  in->pp = hz_router_peer_state (self, publisher);
  in->n_layers = info->n_rids > 0 ? MIN (info->n_rids, HZ_ROUTER_MAX_LAYERS) : 1;
  in->outs = g_ptr_array_new_with_free_func ((GDestroyNotify) track_out_free);
  for (guint i = 0; i < in->n_layers; i++) {
    in->refs[2 * i] = (SsrcRef) { in, (guint8) i, FALSE };
    in->refs[2 * i + 1] = (SsrcRef) { in, (guint8) i, TRUE };
    if (info->kind == HZ_MEDIA_VIDEO) {
      in->layers[i].cache = hz_packet_cache_new (0);
      in->layers[i].nack = hz_nack_generator_new ();
    }
  }
  /* Subscribers get one extension only: transport-wide-cc, renumbered. */
  if (info->twcc_ext_id != 0)
    in->ext_map[info->twcc_ext_id] = HZ_ROUTER_SUB_TWCC_EXT_ID;
  if (info->twcc_ext_id != 0 && in->pp->twcc_rx == NULL) {
    in->pp->twcc_rx = hz_twcc_recv_new ();
    in->pp->twcc_ext_id = info->twcc_ext_id;
    in->pp->twcc_media_ssrc = info->ssrc;
  }
  g_hash_table_insert (self->tracks, GUINT_TO_POINTER (info->track_id), in);
  if (info->ssrc != 0 && in->info.n_rids == 0)
    bind_ssrc (self, in, 0, FALSE, info->ssrc);
  if (info->rtx_ssrc != 0 && in->info.n_rids == 0)
    bind_ssrc (self, in, 0, TRUE, info->rtx_ssrc);
  return TRUE;
}

static void
forget_out (HzRouter *self, TrackOut *out)
{
  if (out->in->info.kind == HZ_MEDIA_VIDEO && out->sp->n_video_outs > 0)
    out->sp->n_video_outs--;
  if (out->sp->probe_out == out)
    out->sp->probe_out = NULL;
  g_hash_table_remove (self->out_by_ssrc, GUINT_TO_POINTER (out->info.ssrc));
  if (out->info.rtx_ssrc != 0)
    g_hash_table_remove (self->out_by_ssrc, GUINT_TO_POINTER (out->info.rtx_ssrc));
}

void
hz_router_remove_track (HzRouter *self, guint32 track_id)
{
  TrackIn *in = hz_router_lookup_track (self, track_id);

  if (in == NULL)
    return;
  for (guint i = 0; i < in->outs->len; i++)
    forget_out (self, g_ptr_array_index (in->outs, i));
  for (guint i = 0; i < 2 * HZ_ROUTER_MAX_LAYERS; i++) {
    guint32 ssrc = (i % 2 == 0) ? in->layers[i / 2].ssrc : in->layers[i / 2].rtx_ssrc;
    if (ssrc != 0 && g_hash_table_lookup (self->in_by_ssrc, GUINT_TO_POINTER (ssrc)) == &in->refs[i])
      g_hash_table_remove (self->in_by_ssrc, GUINT_TO_POINTER (ssrc));
  }
  hz_active_speaker_remove (self->speaker, in->info.owner);
  g_hash_table_remove (self->tracks, GUINT_TO_POINTER (track_id));
}

gboolean
hz_router_subscribe (HzRouter *self, guint32 track_id, HzPeer *subscriber,
                     const HzTrackOutInfo *info, GError **error)
{
  TrackIn *in = hz_router_lookup_track (self, track_id);
  TrackOut *out;

  if (in == NULL) {
    g_set_error (error, HZ_PEER_ERROR, HZ_PEER_ERROR_BAD_STATE, "no track %u", track_id);
    return FALSE;
  }
  if (g_hash_table_contains (self->out_by_ssrc, GUINT_TO_POINTER (info->ssrc)) ||
      (info->rtx_ssrc != 0 &&
       g_hash_table_contains (self->out_by_ssrc, GUINT_TO_POINTER (info->rtx_ssrc)))) {
    g_set_error (error, HZ_PEER_ERROR, HZ_PEER_ERROR_BAD_STATE,
                 "outgoing SSRC %u already in use", info->ssrc);
    return FALSE;
  }
  out = g_new0 (TrackOut, 1);
  out->in = in;
  out->subscriber = subscriber;
  out->sp = hz_router_peer_state (self, subscriber);
  out->info = *info;
  out->rw = hz_seq_rewriter_new (in->info.codec, in->info.clock_rate);
  out->current = -1;
  out->target = in->info.kind == HZ_MEDIA_VIDEO && in->n_layers > 1 ? -1 : 0;
  out->max_layer = HZ_ROUTER_MAX_LAYERS - 1;
  if (in->n_layers > 1)
    out->select = hz_layer_select_new ();
  if (out->sp->twcc_tx == NULL) {
    out->sp->twcc_tx = hz_twcc_send_new ();
    out->sp->bwe = hz_bwe_new (0, 0, 0);
  }
  g_ptr_array_add (in->outs, out);
  if (in->info.kind == HZ_MEDIA_VIDEO)
    out->sp->n_video_outs++;
  g_hash_table_insert (self->out_by_ssrc, GUINT_TO_POINTER (info->ssrc), out);
  if (info->rtx_ssrc != 0)
    g_hash_table_insert (self->out_by_ssrc, GUINT_TO_POINTER (info->rtx_ssrc), out);
  if (out->select != NULL)
    hz_router_choose_layer (self, out, router_now (self));
  else if (in->info.kind == HZ_MEDIA_VIDEO)
    hz_router_request_layer_keyframe (self, in, 0);
  return TRUE;
}

void
hz_router_unsubscribe (HzRouter *self, guint32 track_id, HzPeer *subscriber)
{
  TrackIn *in = hz_router_lookup_track (self, track_id);

  if (in == NULL)
    return;
  for (guint i = 0; i < in->outs->len; i++) {
    TrackOut *out = g_ptr_array_index (in->outs, i);

    if (out->subscriber == subscriber) {
      forget_out (self, out);
      g_ptr_array_remove_index_fast (in->outs, i);
      return;
    }
  }
}

void
hz_router_remove_peer (HzRouter *self, HzPeer *peer)
{
  GHashTableIter iter;
  TrackIn *in;
  g_autoptr(GArray) gone = g_array_new (FALSE, FALSE, sizeof (guint32));

  g_hash_table_iter_init (&iter, self->tracks);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &in)) {
    if (in->publisher == peer) {
      g_array_append_val (gone, in->info.track_id);
      continue;
    }
    for (guint i = in->outs->len; i > 0; i--) {
      TrackOut *out = g_ptr_array_index (in->outs, i - 1);

      if (out->subscriber == peer) {
        forget_out (self, out);
        g_ptr_array_remove_index_fast (in->outs, i - 1);
      }
    }
  }
  for (guint i = 0; i < gone->len; i++)
    hz_router_remove_track (self, g_array_index (gone, guint32, i));
  g_hash_table_remove (self->peers, peer);
}

void
hz_router_send_pli (HzRouter *self, TrackIn *in, guint layer)
{
  guint8 buf[64 + HZ_SRTP_MAX_TRAILER];
  Layer *l = &in->layers[layer];
  gsize n;

  if (l->ssrc == 0 || hz_peer_get_state (in->publisher) != HZ_PEER_STATE_CONNECTED) {
    l->pli_pending = TRUE; /* ask again once we know where to send it */
    return;
  }
  n = hz_rtcp_build_pli (buf, sizeof buf, self->ssrc, l->ssrc);
  if (n > 0 && hz_peer_send_rtcp (in->publisher, buf, n, sizeof buf))
    self->stats.pli_sent++;
  l->last_pli_us = router_now (self);
  l->pli_pending = FALSE;
}

void
hz_router_request_layer_keyframe (HzRouter *self, TrackIn *in, guint layer)
{
  Layer *l = &in->layers[layer];

  if (in->info.kind != HZ_MEDIA_VIDEO || layer >= in->n_layers)
    return;
  if (l->last_pli_us != 0 && router_now (self) - l->last_pli_us < HZ_ROUTER_PLI_MIN_INTERVAL_US) {
    l->pli_pending = TRUE; /* sent with the next packet after the interval */
    return;
  }
  hz_router_send_pli (self, in, layer);
}

void
hz_router_request_keyframe (HzRouter *self, guint32 track_id)
{
  TrackIn *in = hz_router_lookup_track (self, track_id);

  if (in == NULL)
    return;
  for (guint i = 0; i < in->n_layers; i++)
    hz_router_request_layer_keyframe (self, in, i);
}

void
hz_router_set_paused (HzRouter *self, guint32 track_id, gboolean paused)
{
  TrackIn *in = hz_router_lookup_track (self, track_id);

  if (in == NULL || in->paused == paused)
    return;
  in->paused = paused;
  if (!paused)
    hz_router_request_keyframe (self, track_id);
}

void
hz_router_set_tap (HzRouter *self, guint32 track_id, HzRouterTap tap, gpointer data)
{
  TrackIn *in = hz_router_lookup_track (self, track_id);

  if (in == NULL)
    return;
  in->tap = tap;
  in->tap_data = data;
  if (tap != NULL)
    hz_router_request_layer_keyframe (self, in, in->n_layers - 1); /* files start on a key frame */
}

void
hz_router_set_max_layer (HzRouter *self, guint32 track_id, HzPeer *subscriber, gint max_layer)
{
  TrackIn *in = hz_router_lookup_track (self, track_id);

  if (in == NULL)
    return;
  for (guint i = 0; i < in->outs->len; i++) {
    TrackOut *out = g_ptr_array_index (in->outs, i);

    if (out->subscriber == subscriber) {
      out->max_layer = CLAMP (max_layer, 0, HZ_ROUTER_MAX_LAYERS - 1);
      out->sp->probe_next_us = 0; /* a new wish: probe for it at once */
      if (out->select != NULL)
        hz_router_choose_layer (self, out, router_now (self));
    }
  }
}

void
hz_router_set_video_enabled (HzRouter *self, HzPeer *subscriber, gboolean enabled)
{
  GHashTableIter iter;
  TrackIn *in;

  hz_router_peer_state (self, subscriber)->video_enabled = enabled;
  if (!enabled)
    return;
  g_hash_table_iter_init (&iter, self->tracks);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &in)) {
    for (guint i = 0; i < in->outs->len; i++) {
      TrackOut *out = g_ptr_array_index (in->outs, i);
      if (out->subscriber == subscriber && in->info.kind == HZ_MEDIA_VIDEO)
        hz_router_request_layer_keyframe (self, in, MAX (out->target, 0));
    }
  }
}

void
hz_router_on_peer_connected (HzRouter *self, HzPeer *peer)
{
  GHashTableIter iter;
  TrackIn *in;

  g_hash_table_iter_init (&iter, self->tracks);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &in)) {
    if (in->publisher == peer) {
      for (guint l = 0; l < in->n_layers; l++)
        if (in->layers[l].pli_pending)
          hz_router_send_pli (self, in, l);
      continue;
    }
    for (guint i = 0; i < in->outs->len; i++) {
      TrackOut *out = g_ptr_array_index (in->outs, i);
      if (out->subscriber == peer)
        hz_router_request_layer_keyframe (self, in, MAX (out->target, 0));
    }
  }
}

/* A publisher that announced no SSRC (simulcast, or SDP without a=ssrc)
 * is bound by the first packet carrying its mid (and rid) extensions. */
static SsrcRef *
learn_ssrc (HzRouter *self, HzPeer *from, const guint8 *buf, const HzRtpView *view)
{
  GHashTableIter iter;
  TrackIn *in;
  char mid[HZ_RTP_SDES_MAX + 1], rid[HZ_RTP_SDES_MAX + 1];

  if (!view->extension)
    return NULL;
  g_hash_table_iter_init (&iter, self->tracks);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &in)) {
    gboolean rtx;
    guint layer = 0;

    if (in->publisher != from || in->info.mid_ext_id == 0 ||
        !hz_rtp_ext_read_sdes (buf, view, in->info.mid_ext_id, mid) || strcmp (mid, in->info.mid) != 0)
      continue;
    rtx = in->info.rtx_pt != 0 && view->pt == in->info.rtx_pt;
    if (in->info.n_rids > 0) {
      guint8 id = rtx ? in->info.rrid_ext_id : in->info.rid_ext_id;

      if (id == 0 || !hz_rtp_ext_read_sdes (buf, view, id, rid))
        return NULL;
      for (layer = 0; layer < in->n_layers; layer++)
        if (strcmp (in->info.rids[layer], rid) == 0)
          break;
      if (layer == in->n_layers)
        return NULL;
    }
    if ((rtx ? in->layers[layer].rtx_ssrc : in->layers[layer].ssrc) != 0)
      return NULL; /* already bound: a second SSRC for one layer is refused */
    bind_ssrc (self, in, layer, rtx, view->ssrc);
    if (!rtx && in->layers[layer].pli_pending)
      hz_router_send_pli (self, in, layer);
    return &in->refs[2 * layer + (rtx ? 1 : 0)];
  }
  return NULL;
}

/* An RTX packet from a publisher (RFC 4588) becomes the packet it repairs:
 * OSN out of the payload, primary SSRC and payload type back. */
static gboolean
unwrap_rtx (TrackIn *in, guint layer, guint8 *buf, gsize *len, HzRtpView *view)
{
  guint16 osn;

  if (view->payload_len <= 2 || view->padding)
    return FALSE; /* a padding-only bandwidth probe */
  osn = (guint16) ((buf[view->payload_offset] << 8) | buf[view->payload_offset + 1]);
  memmove (buf + view->payload_offset, buf + view->payload_offset + 2, view->payload_len - 2);
  *len = view->payload_offset + view->payload_len - 2;
  hz_rtp_set_seq (buf, osn);
  hz_rtp_set_ssrc (buf, in->layers[layer].ssrc);
  hz_rtp_set_pt (buf, in->info.pt);
  return hz_rtp_parse (buf, *len, view);
}

static void
meter_layer (Layer *l, gsize len, gint64 now)
{
  l->last_packet_us = now;
  l->window_bytes += len;
  if (l->window_start_us == 0)
    l->window_start_us = now;
  if (now - l->window_start_us >= G_USEC_PER_SEC) {
    guint64 bps = l->window_bytes * 8 * G_USEC_PER_SEC / (guint64) (now - l->window_start_us);
    l->bps = l->bps == 0 ? bps : (l->bps * 3 + bps) / 4;
    l->window_bytes = 0;
    l->window_start_us = now;
  }
}

/* Publisher-side bookkeeping of one packet: TWCC arrival, audio level,
 * loss detection and the retransmission cache. */
static void
account_incoming (HzRouter *self, TrackIn *in, guint layer, const guint8 *buf, gsize len,
                  const HzRtpView *view, gint64 now)
{
  gboolean voice;
  guint8 level;

  if (in->info.audio_level_ext_id != 0 &&
      hz_rtp_ext_read_audio_level (buf, view, in->info.audio_level_ext_id, &voice, &level))
    hz_active_speaker_add_level (self->speaker, in->info.owner, level, now);
  if (in->layers[layer].recv == NULL)
    in->layers[layer].recv = hz_recv_stats_new (view->ssrc);
  hz_recv_stats_update (in->layers[layer].recv, view->seq, view->ts, now, in->info.clock_rate);
  if (in->layers[layer].nack != NULL &&
      hz_nack_generator_on_packet (in->layers[layer].nack, view->seq, now) == HZ_NACK_PACKET_RESET)
    hz_router_request_layer_keyframe (self, in, layer);
  meter_layer (&in->layers[layer], len, now);
}

/* For a subscriber waiting to switch layers: is this the key frame that
 * starts the target layer? */
static gboolean
starts_target_layer (TrackIn *in, TrackOut *out, guint layer, const guint8 *buf,
                     const HzRtpView *view)
{
  if (out->target < 0 || (guint) out->target != layer || out->target == out->current)
    return FALSE;
  if (in->info.kind != HZ_MEDIA_VIDEO)
    return TRUE;
  return hz_codec_is_keyframe (in->info.codec, buf + view->payload_offset,
                               view->payload_len);
}

static void
forward_one (HzRouter *self, TrackIn *in, TrackOut *out, guint layer, const guint8 *buf, gsize len,
             const HzRtpView *view, gboolean has_twcc, gint64 now)
{
  guint8 *pkt;
  gsize pkt_size;
  PeerState *sp = out->sp;

  G_STATIC_ASSERT (HZ_PEER_SEND_BUF >= HZ_ROUTER_SCRATCH_SIZE);

  if (in->info.kind == HZ_MEDIA_VIDEO && !sp->video_enabled)
    return;
  if (starts_target_layer (in, out, layer, buf, view)) {
    hz_seq_rewriter_switch (out->rw, view->ssrc, view->seq, view->ts, now);
    if (out->current != out->target && out->current >= 0)
      self->stats.layer_switches++;
    out->current = out->target;
    if (self->events.layer_changed != NULL && in->n_layers > 1)
      self->events.layer_changed (out->subscriber, in->info.track_id, out->current, self->events_data);
  }
  if (out->current < 0 || (guint) out->current != layer)
    return;
  /* The copy is what lets the original stay plaintext for the next
   * subscriber: SRTP encrypts in place. It goes straight into the
   * subscriber's slot of the send queue (sent batched, hz-peer.h). */
  pkt = hz_peer_get_send_buffer (out->subscriber, &pkt_size);
  memcpy (pkt, buf, len);
  if (!hz_seq_rewriter_rewrite (out->rw, pkt, len, now))
    return;
  hz_rtp_set_ssrc (pkt, out->info.ssrc);
  hz_rtp_set_pt (pkt, view->pt == in->info.pt || out->info.secondary_pt == 0 ? out->info.pt
                                                                           : out->info.secondary_pt);
  if (has_twcc)
    hz_rtp_ext_write_twcc_seq (pkt, view, HZ_ROUTER_SUB_TWCC_EXT_ID, sp->twcc_seq);
  if (hz_peer_send_rtp (out->subscriber, pkt, len, pkt_size)) {
    if (has_twcc)
      hz_twcc_send_register (sp->twcc_tx, sp->twcc_seq++, len, now);
    out->packets++;
    out->octets += (guint32) view->payload_len;
    self->stats.rtp_forwarded++;
    self->stats.rtp_forwarded_bytes += len;
  }
}

void
hz_router_on_rtp (HzRouter *self, HzPeer *from, guint8 *buf, gsize len)
{
  HzRtpView view;
  SsrcRef *ref;
  TrackIn *in;
  gint64 now;
  gboolean has_twcc = FALSE;
  guint16 tmp;

  self->stats.rtp_in++;
  if (!hz_rtp_parse (buf, len, &view) || len > HZ_ROUTER_SCRATCH_SIZE - HZ_SRTP_MAX_TRAILER) {
    self->stats.rtp_dropped++;
    return;
  }
  ref = g_hash_table_lookup (self->in_by_ssrc, GUINT_TO_POINTER (view.ssrc));
  if (ref == NULL)
    ref = learn_ssrc (self, from, buf, &view);
  now = router_now (self);
  /* Every packet the publisher numbered must show up in its TWCC feedback,
   * dropped or not (probes, RTX, other payload types): a packet missing
   * from the feedback reads as loss and collapses its send rate. */
  {
    PeerState *pp = ref != NULL ? ref->in->pp : g_hash_table_lookup (self->peers, from);
    guint16 twcc_seq;

    if (pp != NULL && pp->twcc_rx != NULL && view.extension &&
        hz_rtp_ext_read_twcc_seq (buf, &view, pp->twcc_ext_id, &twcc_seq))
      hz_twcc_recv_on_packet (pp->twcc_rx, twcc_seq, now);
  }
  /* Unknown SSRCs and packets claiming another publisher's SSRC are dropped. */
  if (ref == NULL || ref->in->publisher != from) {
    self->stats.rtp_dropped++;
    return;
  }
  in = ref->in;
  if (ref->rtx) {
    if (in->layers[ref->layer].ssrc == 0 || !unwrap_rtx (in, ref->layer, buf, &len, &view))
      return;
    self->stats.rtx_received++;
    if (in->layers[ref->layer].nack != NULL)
      hz_nack_generator_on_packet (in->layers[ref->layer].nack, view.seq, now);
  } else {
    if (view.pt != in->info.pt && (in->info.secondary_pt == 0 || view.pt != in->info.secondary_pt)) {
      self->stats.rtp_dropped++;
      return;
    }
    account_incoming (self, in, ref->layer, buf, len, &view, now);
  }
  if (in->tap != NULL && ref->layer == in->n_layers - 1) {
    if (in->info.secondary_pt != 0 && view.pt == in->info.pt) {
      /* RED: the recorder wants the plain Opus inside */
      gsize n = hz_red_to_primary (buf, len, self->scratch, sizeof self->scratch);
      if (n > 0)
        in->tap (self->scratch, n, now, in->tap_data);
    } else {
      in->tap (buf, len, now, in->tap_data);
    }
  }
  if (in->paused) {
    self->stats.rtp_paused++;
    return;
  }
  if (in->layers[ref->layer].pli_pending &&
      now - in->layers[ref->layer].last_pli_us >= HZ_ROUTER_PLI_MIN_INTERVAL_US)
    hz_router_send_pli (self, in, ref->layer);
  /* Once per packet, not per subscriber: blank the header extensions the
   * subscribers did not negotiate and renumber transport-wide-cc. */
  if (view.extension) {
    hz_rtp_ext_rewrite_ids (buf, &view, in->ext_map);
    has_twcc = in->info.twcc_ext_id != 0 &&
               hz_rtp_ext_read_twcc_seq (buf, &view, HZ_ROUTER_SUB_TWCC_EXT_ID, &tmp);
  }
  if (in->layers[ref->layer].cache != NULL)
    hz_packet_cache_put (in->layers[ref->layer].cache, buf, len, now);
  for (guint i = 0; i < in->outs->len; i++) {
    TrackOut *out = g_ptr_array_index (in->outs, i);

    if (hz_peer_get_state (out->subscriber) == HZ_PEER_STATE_CONNECTED)
      forward_one (self, in, out, ref->layer, buf, len, &view, has_twcc, now);
  }
}

void
hz_router_on_rtcp (HzRouter *self, HzPeer *from, guint8 *buf, gsize len)
{
  PeerState *ps = g_hash_table_lookup (self->peers, from);

  self->stats.rtcp_in++;
  if (ps == NULL)
    return;
  if (ps->twcc_tx != NULL)
    hz_router_handle_subscriber_rtcp (self, ps, buf, len);
  else
    hz_router_handle_publisher_rtcp (self, ps, buf, len);
}

void
hz_router_get_stats (HzRouter *self, HzRouterStats *stats)
{
  *stats = self->stats;
}

guint64
hz_router_get_estimate (HzRouter *self, HzPeer *subscriber)
{
  PeerState *ps = g_hash_table_lookup (self->peers, subscriber);

  return ps != NULL && ps->bwe != NULL ? hz_bwe_get_target (ps->bwe) : 0;
}
