/* hz-router-feedback: RTCP from publishers and subscribers, and the
 * router's periodic tick (NACK and TWCC feedback upstream, layer choice,
 * active speaker). */
#include "hz-router-private.h"

#include <string.h>

#include "hz-rtcp.h"
#include "hz-rtp.h"

#define SPEAKER_INTERVAL_US (200 * G_TIME_SPAN_MILLISECOND)
#define LAYER_ACTIVE_US (1 * G_USEC_PER_SEC)

/* ---- from publishers ---- */

static void
forward_sr (HzRouter *self, const HzRtcpHeader *hdr)
{
  HzRtcpSr sr;
  SsrcRef *ref;

  if (!hz_rtcp_parse_sr (hdr, &sr))
    return;
  ref = g_hash_table_lookup (self->in_by_ssrc, GUINT_TO_POINTER (sr.ssrc));
  if (ref == NULL || ref->rtx)
    return;
  if (ref->in->layers[ref->layer].recv != NULL)
    hz_recv_stats_on_sr (ref->in->layers[ref->layer].recv, sr.ntp, router_now (self));
  for (guint i = 0; i < ref->in->outs->len; i++) {
    TrackOut *out = g_ptr_array_index (ref->in->outs, i);
    HzRtcpSr mine = { 0 };
    gsize n;

    if (out->current != ref->layer || hz_peer_get_state (out->subscriber) != HZ_PEER_STATE_CONNECTED ||
        !hz_seq_rewriter_map_ts (out->rw, sr.ssrc, sr.rtp_ts, &mine.rtp_ts))
      continue;
    mine.ssrc = out->info.ssrc;
    mine.ntp = sr.ntp;
    mine.packet_count = out->packets;
    mine.octet_count = out->octets;
    n = hz_rtcp_build_sr (self->scratch, sizeof self->scratch, &mine);
    if (n > 0 && hz_peer_send_rtcp (out->subscriber, self->scratch, n, sizeof self->scratch))
      self->stats.sr_forwarded++;
  }
}

void
hz_router_handle_publisher_rtcp (HzRouter *self, PeerState *pp, const guint8 *buf, gsize len)
{
  HzRtcpIter iter;
  HzRtcpHeader hdr;

  hz_rtcp_iter_init (&iter, buf, len);
  while (hz_rtcp_iter_next (&iter, &hdr)) {
    if (hdr.pt == HZ_RTCP_PT_SR)
      forward_sr (self, &hdr);
    /* RR, SDES, BYE from a publisher: nothing to act on. */
  }
}

/* ---- from subscribers ---- */

/* Answers one NACKed output sequence number from the packet cache, as RTX
 * when the subscriber negotiated it, as a plain resend otherwise. */
static void
resend (HzRouter *self, TrackOut *out, guint16 out_seq, gint64 now)
{
  TrackIn *in = out->in;
  const guint8 *cached;
  gsize len, n;
  guint16 in_seq;
  guint8 *pkt = self->scratch;
  HzRtpView view;

  if (out->current < 0 || in->layers[out->current].cache == NULL ||
      !hz_seq_rewriter_unmap (out->rw, out_seq, &in_seq) ||
      !hz_packet_cache_get (in->layers[out->current].cache, in_seq, now, &cached, &len) ||
      len + HZ_RTX_OVERHEAD > HZ_ROUTER_SCRATCH_SIZE - HZ_SRTP_MAX_TRAILER) {
    self->stats.rtx_missed++;
    return;
  }
  /* within the retransmission budget of the subscriber's estimate */
  if (out->sp->bwe != NULL && !hz_bwe_allow_retransmit (out->sp->bwe, len + HZ_RTX_OVERHEAD, now)) {
    self->stats.rtx_missed++;
    return;
  }
  memcpy (pkt, cached, len);
  if (!hz_seq_rewriter_rewrite_again (out->rw, pkt, len, out_seq)) {
    self->stats.rtx_missed++;
    return;
  }
  hz_rtp_set_ssrc (pkt, out->info.ssrc);
  hz_rtp_set_pt (pkt, out->info.pt);
  n = len;
  if (out->info.rtx_ssrc != 0) {
    n = hz_rtx_build (pkt, HZ_ROUTER_SCRATCH_SIZE - HZ_SRTP_MAX_TRAILER, pkt, len,
                      out->info.rtx_ssrc, out->info.rtx_pt, out->rtx_seq++, out_seq);
    if (n == 0)
      return;
  }
  if (hz_rtp_parse (pkt, n, &view) &&
      hz_rtp_ext_write_twcc_seq (pkt, &view, HZ_ROUTER_SUB_TWCC_EXT_ID, out->sp->twcc_seq)) {
    if (!hz_peer_send_rtp (out->subscriber, pkt, n, HZ_ROUTER_SCRATCH_SIZE))
      return;
    hz_twcc_send_register (out->sp->twcc_tx, out->sp->twcc_seq++, n, now);
  } else if (!hz_peer_send_rtp (out->subscriber, pkt, n, HZ_ROUTER_SCRATCH_SIZE)) {
    return;
  }
  self->stats.rtx_sent++;
}

static void
handle_nack (HzRouter *self, PeerState *sp, const HzRtcpFb *fb, gint64 now)
{
  TrackOut *out = g_hash_table_lookup (self->out_by_ssrc, GUINT_TO_POINTER (fb->media_ssrc));
  guint16 seqs[256];
  guint n;

  if (out == NULL || out->sp != sp)
    return;
  n = hz_rtcp_nack_expand (fb, seqs, G_N_ELEMENTS (seqs));
  self->stats.nack_received += n;
  for (guint i = 0; i < n; i++)
    resend (self, out, seqs[i], now);
}

static void
handle_keyframe_request (HzRouter *self, PeerState *sp, guint32 media_ssrc)
{
  TrackOut *out = g_hash_table_lookup (self->out_by_ssrc, GUINT_TO_POINTER (media_ssrc));

  if (out != NULL && out->sp == sp)
    hz_router_request_layer_keyframe (self, out->in, MAX (out->current, 0));
}

static void
handle_twcc (HzRouter *self, PeerState *sp, const HzRtcpFb *fb, gint64 now)
{
  guint n = 0;

  if (sp->twcc_tx == NULL ||
      !hz_twcc_send_on_feedback (sp->twcc_tx, fb->fci, fb->fci_len, self->twcc_results,
                                 HZ_TWCC_WINDOW, &n, NULL))
    return;
  hz_bwe_on_twcc (sp->bwe, self->twcc_results, n, now);
}

void
hz_router_handle_subscriber_rtcp (HzRouter *self, PeerState *sp, const guint8 *buf, gsize len)
{
  HzRtcpIter iter;
  HzRtcpHeader hdr;
  HzRtcpFb fb;
  HzRtcpRemb remb;
  HzRtcpRr rr;
  gint64 now = router_now (self);

  hz_rtcp_iter_init (&iter, buf, len);
  while (hz_rtcp_iter_next (&iter, &hdr)) {
    if (hdr.pt == HZ_RTCP_PT_RR && hz_rtcp_parse_rr (&hdr, &rr)) {
      /* The subscriber's loss, folded into the publisher's reports for
       * audio so its Opus encoder turns in-band FEC on. */
      for (guint i = 0; i < rr.n_blocks; i++) {
        TrackOut *o = g_hash_table_lookup (self->out_by_ssrc, GUINT_TO_POINTER (rr.blocks[i].ssrc));
        if (o != NULL && o->sp == sp) {
          o->fraction_lost = rr.blocks[i].fraction_lost;
          o->fraction_lost_us = now;
        }
      }
      continue;
    }
    if ((hdr.pt != HZ_RTCP_PT_PSFB && hdr.pt != HZ_RTCP_PT_RTPFB) || !hz_rtcp_parse_fb (&hdr, &fb))
      continue;
    if (fb.pt == HZ_RTCP_PT_RTPFB && fb.fmt == HZ_RTCP_RTPFB_NACK) {
      handle_nack (self, sp, &fb, now);
    } else if (fb.pt == HZ_RTCP_PT_RTPFB && fb.fmt == HZ_RTCP_RTPFB_TWCC) {
      handle_twcc (self, sp, &fb, now);
    } else if (hz_rtcp_is_pli (&fb)) {
      handle_keyframe_request (self, sp, fb.media_ssrc);
    } else if (fb.pt == HZ_RTCP_PT_PSFB && fb.fmt == HZ_RTCP_PSFB_FIR) {
      guint32 ssrc;
      guint8 seq;
      for (guint i = 0; i < hz_rtcp_fir_n_entries (&fb) && hz_rtcp_fir_get_entry (&fb, i, &ssrc, &seq); i++)
        handle_keyframe_request (self, sp, ssrc);
    } else if (fb.pt == HZ_RTCP_PT_PSFB && fb.fmt == HZ_RTCP_PSFB_AFB &&
               hz_rtcp_parse_remb (&fb, &remb) && sp->bwe != NULL) {
      hz_bwe_on_remb (sp->bwe, remb.bitrate, now);
    }
  }
}

/* ---- the tick ---- */

void
hz_router_choose_layer (HzRouter *self, TrackOut *out, gint64 now)
{
  TrackIn *in = out->in;
  HzLayerInput input = { 0 };
  guint64 estimate = out->sp->bwe != NULL ? hz_bwe_get_target (out->sp->bwe) : 0;
  guint shares = MAX (out->sp->n_video_outs, 1);
  gint layer;

  if (out->select == NULL)
    return;
  /* Audio first: what is left is shared by the subscriber's video tracks. */
  input.audio_bps = HZ_ROUTER_AUDIO_BPS;
  input.estimate_bps = estimate / shares + (shares > 1 ? HZ_ROUTER_AUDIO_BPS : 0);
  for (guint i = 0; i < HZ_LAYER_MAX && i < in->n_layers; i++) {
    input.layer_bps[i] = in->layers[i].bps;
    input.layer_active[i] = in->layers[i].last_packet_us != 0 &&
                            now - in->layers[i].last_packet_us < LAYER_ACTIVE_US;
  }
  if (in->layers[0].last_packet_us == 0) /* nothing heard yet: every layer may come */
    for (guint i = 0; i < in->n_layers; i++)
      input.layer_active[i] = TRUE;
  input.max_layer = MIN (out->max_layer, (gint) in->n_layers - 1);
  layer = hz_layer_select_update (out->select, &input, now);
  /* A higher layer is wanted (or video is paused) but the estimate cannot
   * show it fits without more traffic than we send: ask hz-bwe to probe
   * with padding up to what the highest wanted layer needs (tick_probe);
   * from a pause, what the lowest layer needs to resume. */
  if (layer < input.max_layer && out->info.rtx_ssrc != 0) {
    gint top = input.max_layer;
    guint64 need = 0;

    while (top > MAX (layer, 0) && (!input.layer_active[top] || in->layers[top].bps == 0))
      top--;
    if (layer == HZ_LAYER_PAUSED && input.layer_active[0] && in->layers[0].bps != 0)
      need = (in->layers[0].bps + input.audio_bps) * shares; /* to resume layer 0 */
    else if (layer != HZ_LAYER_PAUSED && top > layer)
      need = (in->layers[top].bps * 6 / 5 + input.audio_bps) * shares;
    if (need > out->sp->probe_want_bps) {
      out->sp->probe_want_bps = need;
      out->sp->probe_out = out;
    }
  }
  /* Waiting for the target layer's key frame: ask again (at most every
   * 500 ms per layer). Chromium drops a key frame request that comes within
   * 300 ms of one for any other layer of the same encoder, as on a switch
   * down by two layers in quick succession. */
  if (layer == out->target && layer >= 0 && out->current != layer && in->layers[layer].last_pli_us != 0 &&
      now - in->layers[layer].last_pli_us >= HZ_ROUTER_PLI_MIN_INTERVAL_US && !in->layers[layer].pli_pending)
    hz_router_request_layer_keyframe (self, in, (guint) layer);
  if (layer == out->target)
    return;
  g_debug ("track %u to %p: layer %d -> %d (estimate %" G_GUINT64_FORMAT ", layers %" G_GUINT64_FORMAT " %"
           G_GUINT64_FORMAT " %" G_GUINT64_FORMAT ")", in->info.track_id, (void *) out->subscriber, out->target, layer,
           estimate, input.layer_bps[0], input.layer_bps[1], input.layer_bps[2]);
  out->target = layer;
  /* Down because the layer being sent no longer fits: stop sending it now
   * rather than until the lower layer's key frame arrives. Over a link it
   * overflows it only loses packets (and takes the audio with it), and its
   * retransmissions would keep the queue full. */
  if (layer >= 0 && out->current > layer && in->layers[out->current].bps != 0 &&
      (gdouble) in->layers[out->current].bps > (gdouble) (input.estimate_bps - MIN (input.estimate_bps, input.audio_bps)))
    out->current = -1;
  if (layer == HZ_LAYER_PAUSED) {
    /* Even the lowest layer does not fit: video stops, audio goes on. */
    out->current = -1;
    if (self->events.layer_changed != NULL)
      self->events.layer_changed (out->subscriber, in->info.track_id, -1, self->events_data);
    return;
  }
  hz_router_request_layer_keyframe (self, in, (guint) layer);
}

/* A receiver report per publisher track every second, from the server's own
 * reception (RFC 3550 A.3, A.8), so the publisher's encoder adapts. */
static void
send_rr (HzRouter *self, TrackIn *in, gint64 now)
{
  HzRtcpRr rr = { .ssrc = self->ssrc };
  guint8 buf[256 + HZ_SRTP_MAX_TRAILER];
  gsize n;

  if (now - in->last_rr_us < G_USEC_PER_SEC || hz_peer_get_state (in->publisher) != HZ_PEER_STATE_CONNECTED)
    return;
  in->last_rr_us = now;
  for (guint l = 0; l < in->n_layers; l++) {
    HzRtcpReportBlock *b = &rr.blocks[rr.n_blocks];

    if (in->layers[l].recv == NULL || !hz_recv_stats_fill_block (in->layers[l].recv, now, b))
      continue;
    if (in->info.kind == HZ_MEDIA_AUDIO)
      for (guint i = 0; i < in->outs->len; i++) {
        TrackOut *o = g_ptr_array_index (in->outs, i);
        if (now - o->fraction_lost_us < 10 * G_USEC_PER_SEC)
          b->fraction_lost = MAX (b->fraction_lost, o->fraction_lost);
      }
    rr.n_blocks++;
  }
  if (rr.n_blocks > 0 && (n = hz_rtcp_build_rr (buf, sizeof buf - HZ_SRTP_MAX_TRAILER, &rr)) > 0)
    hz_peer_send_rtcp (in->publisher, buf, n, sizeof buf);
}

static void
tick_track (HzRouter *self, TrackIn *in, gint64 now)
{
  guint16 seqs[64];
  guint8 buf[512];

  for (guint l = 0; l < in->n_layers; l++) {
    Layer *layer = &in->layers[l];
    guint n;

    if (layer->pli_pending && now - layer->last_pli_us >= HZ_ROUTER_PLI_MIN_INTERVAL_US)
      hz_router_send_pli (self, in, l);
    if (layer->nack == NULL || layer->ssrc == 0 ||
        hz_peer_get_state (in->publisher) != HZ_PEER_STATE_CONNECTED)
      continue;
    n = hz_nack_generator_poll (layer->nack, now, seqs, G_N_ELEMENTS (seqs));
    if (n > 0) {
      gsize len = hz_rtcp_build_nack (buf, sizeof buf - HZ_SRTP_MAX_TRAILER, self->ssrc, layer->ssrc, seqs, n);
      if (len > 0 && hz_peer_send_rtcp (in->publisher, buf, len, sizeof buf))
        self->stats.nack_sent += n;
    }
  }
  for (guint i = 0; i < in->outs->len; i++)
    hz_router_choose_layer (self, g_ptr_array_index (in->outs, i), now);
  send_rr (self, in, now);
}

static void
tick_twcc_feedback (HzRouter *self, PeerState *pp, gint64 now)
{
  guint8 buf[1200 + HZ_SRTP_MAX_TRAILER];
  gsize len;

  if (pp->twcc_rx == NULL || now - pp->last_twcc_fb_us < HZ_TWCC_FEEDBACK_INTERVAL_US ||
      hz_peer_get_state (pp->peer) != HZ_PEER_STATE_CONNECTED)
    return;
  pp->last_twcc_fb_us = now;
  while ((len = hz_twcc_recv_build_feedback (pp->twcc_rx, buf, 1200, self->ssrc, pp->twcc_media_ssrc,
                                             now)) > 0) {
    if (!hz_peer_send_rtcp (pp->peer, buf, len, sizeof buf))
      break;
    self->stats.twcc_feedback_sent++;
  }
}

#define PROBE_PACKET_MAX (12 + 8 + 240) /* bytes: header, TWCC extension, padding */
#define PROBE_PACKET_MIN (12 + 8 + 16)
#define PROBE_TICK_US (20 * G_TIME_SPAN_MILLISECOND) /* hz-media-room's tick */

/* One padding-only RTX packet of @len bytes carrying a transport-wide
 * sequence number, so the subscriber's feedback shows whether the link
 * takes more. */
static gboolean
send_padding (HzRouter *self, PeerState *sp, TrackOut *out, gsize len, gint64 now)
{
  guint8 *p = self->scratch;

  memset (p, 0, len);
  p[0] = 0x80 | 0x20 | 0x10; /* V=2, P, X */
  p[1] = out->info.rtx_pt;
  hz_rtp_set_seq (p, out->rtx_seq++);
  hz_rtp_set_ts (p, (guint32) (now / 1000 * 90));
  hz_rtp_set_ssrc (p, out->info.rtx_ssrc);
  p[12] = 0xBE; /* one-byte header extensions, one word */
  p[13] = 0xDE;
  p[14] = 0x00;
  p[15] = 0x01;
  p[16] = (HZ_ROUTER_SUB_TWCC_EXT_ID << 4) | 1; /* transport-wide-cc, 2 bytes */
  p[17] = sp->twcc_seq >> 8;
  p[18] = sp->twcc_seq & 0xff;
  p[len - 1] = (guint8) (len - 20);
  if (!hz_peer_send_rtp (sp->peer, p, len, HZ_ROUTER_SCRATCH_SIZE))
    return FALSE;
  hz_twcc_send_register (sp->twcc_tx, sp->twcc_seq++, len, now);
  return TRUE;
}

/* Probing the subscriber's downlink (hz-bwe schedules and evaluates the
 * probe clusters): this tick's share of the padding rate hz-bwe asks for,
 * on the RTX stream of the track that wants more. */
static void
tick_probe (HzRouter *self, PeerState *sp, gint64 now)
{
  guint64 pad_bps = 0;
  gsize bytes, packets;

  if (sp->bwe != NULL && sp->twcc_tx != NULL && hz_peer_get_state (sp->peer) == HZ_PEER_STATE_CONNECTED)
    pad_bps = hz_bwe_probe_padding (sp->bwe, sp->probe_out != NULL ? sp->probe_want_bps : 0,
                                    sp->twcc_seq, now);
  bytes = (gsize) (pad_bps * PROBE_TICK_US / 8 / G_TIME_SPAN_SECOND);
  if (sp->probe_out != NULL && bytes >= PROBE_PACKET_MIN / 2) {
    packets = MIN ((bytes + PROBE_PACKET_MAX - 1) / PROBE_PACKET_MAX, 64);
    for (gsize i = 0; i < packets; i++)
      if (!send_padding (self, sp, sp->probe_out, CLAMP (bytes / packets, PROBE_PACKET_MIN, PROBE_PACKET_MAX), now))
        break;
  }
  if (sp->bwe != NULL && now >= sp->bwe_log_us) {
    HzBweStats st;

    sp->bwe_log_us = now + G_USEC_PER_SEC;
    hz_bwe_get_stats (sp->bwe, &st);
    g_debug ("bwe %p: target %" G_GUINT64_FORMAT " delay %" G_GUINT64_FORMAT " loss-based %" G_GUINT64_FORMAT
             " acked %" G_GUINT64_FORMAT " loss %.3f usage %d want %" G_GUINT64_FORMAT " probes %u ok %u failed, last %"
             G_GUINT64_FORMAT ", rtx denied %u", (void *) sp->peer, st.target_bps, st.delay_bps, st.loss_bps,
             st.acked_bps, st.loss_fraction, st.usage, sp->probe_want_bps, st.probes_ok, st.probes_failed,
             st.last_probe_bps, st.rtx_denied);
  }
  sp->probe_want_bps = 0; /* the layer choice asks again next tick */
  sp->probe_out = NULL;
}

void
hz_router_tick (HzRouter *self)
{
  gint64 now = router_now (self);
  GHashTableIter iter;
  gpointer value;
  guint32 speaker;

  g_hash_table_iter_init (&iter, self->tracks);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    tick_track (self, value, now);
  g_hash_table_iter_init (&iter, self->peers);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    tick_twcc_feedback (self, value, now);
    tick_probe (self, value, now);
  }
  if (now - self->last_speaker_us >= SPEAKER_INTERVAL_US) {
    self->last_speaker_us = now;
    if (hz_active_speaker_update (self->speaker, now, &speaker) && self->events.active_speaker != NULL)
      self->events.active_speaker (speaker, self->events_data);
  }
}
