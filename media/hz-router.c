/* hz-router: per-room forwarding of RTP and RTCP between peers. */
#include "hz-router.h"

#include <string.h>

#include "hz-rtcp.h"
#include "hz-rtp.h"

/* A subscriber gets at most one key-frame request per track this often. */
#define PLI_MIN_INTERVAL_US (500 * G_TIME_SPAN_MILLISECOND)
#define SCRATCH_SIZE (1500 + HZ_SRTP_MAX_TRAILER)

typedef struct _TrackIn TrackIn;

typedef struct {
  TrackIn *in;
  HzPeer *subscriber;
  HzTrackOutInfo info;
  guint16 seq_offset;
  guint32 ts_offset;
  guint32 packets;
  guint32 octets;
} TrackOut;

struct _TrackIn {
  HzTrackInInfo info;
  HzPeer *publisher;
  GPtrArray *outs; /* TrackOut*, owned */
  gint64 last_pli_us;
  gboolean pli_pending;
  gboolean paused;
};

struct _HzRouter {
  HzClockFunc clock;
  gpointer clock_data;
  GHashTable *tracks;      /* track_id → TrackIn*, owned */
  GHashTable *in_by_ssrc;  /* publisher SSRC → TrackIn* */
  GHashTable *out_by_ssrc; /* subscriber-side SSRC → TrackOut* */
  HzRtpExtIdSet no_ext;    /* subscribers negotiate no header extension yet */
  guint32 ssrc;            /* sender SSRC of our own feedback */
  HzRouterStats stats;
  guint8 scratch[SCRATCH_SIZE];
};

static gint64
default_clock (gpointer data)
{
  return g_get_monotonic_time ();
}

static void
track_in_free (TrackIn *in)
{
  g_ptr_array_unref (in->outs);
  g_free (in);
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
  hz_rtp_ext_id_set_clear (&self->no_ext);
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
  g_free (self);
}

static TrackIn *
lookup_track (HzRouter *self, guint32 track_id)
{
  return g_hash_table_lookup (self->tracks, GUINT_TO_POINTER (track_id));
}

gboolean
hz_router_add_track (HzRouter *self, HzPeer *publisher, const HzTrackInInfo *info, GError **error)
{
  TrackIn *in;

  if (lookup_track (self, info->track_id) != NULL) {
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
  in->outs = g_ptr_array_new_with_free_func (g_free);
  g_hash_table_insert (self->tracks, GUINT_TO_POINTER (info->track_id), in);
  if (info->ssrc != 0)
    g_hash_table_insert (self->in_by_ssrc, GUINT_TO_POINTER (info->ssrc), in);
  return TRUE;
}

static void
forget_outs (HzRouter *self, TrackIn *in)
{
  for (guint i = 0; i < in->outs->len; i++) {
    TrackOut *out = g_ptr_array_index (in->outs, i);
    g_hash_table_remove (self->out_by_ssrc, GUINT_TO_POINTER (out->info.ssrc));
  }
}

void
hz_router_remove_track (HzRouter *self, guint32 track_id)
{
  TrackIn *in = lookup_track (self, track_id);

  if (in == NULL)
    return;
  forget_outs (self, in);
  if (in->info.ssrc != 0)
    g_hash_table_remove (self->in_by_ssrc, GUINT_TO_POINTER (in->info.ssrc));
  g_hash_table_remove (self->tracks, GUINT_TO_POINTER (track_id));
}

gboolean
hz_router_subscribe (HzRouter *self, guint32 track_id, HzPeer *subscriber,
                     const HzTrackOutInfo *info, GError **error)
{
  TrackIn *in = lookup_track (self, track_id);
  TrackOut *out;

  if (in == NULL) {
    g_set_error (error, HZ_PEER_ERROR, HZ_PEER_ERROR_BAD_STATE, "no track %u", track_id);
    return FALSE;
  }
  if (g_hash_table_contains (self->out_by_ssrc, GUINT_TO_POINTER (info->ssrc))) {
    g_set_error (error, HZ_PEER_ERROR, HZ_PEER_ERROR_BAD_STATE,
                 "outgoing SSRC %u already in use", info->ssrc);
    return FALSE;
  }
  out = g_new0 (TrackOut, 1);
  out->in = in;
  out->subscriber = subscriber;
  out->info = *info;
  g_ptr_array_add (in->outs, out);
  g_hash_table_insert (self->out_by_ssrc, GUINT_TO_POINTER (info->ssrc), out);
  if (in->info.kind == HZ_MEDIA_VIDEO)
    hz_router_request_keyframe (self, track_id);
  return TRUE;
}

void
hz_router_unsubscribe (HzRouter *self, guint32 track_id, HzPeer *subscriber)
{
  TrackIn *in = lookup_track (self, track_id);

  if (in == NULL)
    return;
  for (guint i = 0; i < in->outs->len; i++) {
    TrackOut *out = g_ptr_array_index (in->outs, i);

    if (out->subscriber == subscriber) {
      g_hash_table_remove (self->out_by_ssrc, GUINT_TO_POINTER (out->info.ssrc));
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
        g_hash_table_remove (self->out_by_ssrc, GUINT_TO_POINTER (out->info.ssrc));
        g_ptr_array_remove_index_fast (in->outs, i - 1);
      }
    }
  }
  for (guint i = 0; i < gone->len; i++)
    hz_router_remove_track (self, g_array_index (gone, guint32, i));
}

static void
send_pli (HzRouter *self, TrackIn *in)
{
  guint8 buf[64 + HZ_SRTP_MAX_TRAILER];
  gsize n;

  if (in->info.ssrc == 0 || hz_peer_get_state (in->publisher) != HZ_PEER_STATE_CONNECTED) {
    in->pli_pending = TRUE; /* ask again once we know where to send it */
    return;
  }
  n = hz_rtcp_build_pli (buf, sizeof buf, self->ssrc, in->info.ssrc);
  if (n > 0 && hz_peer_send_rtcp (in->publisher, buf, n, sizeof buf))
    self->stats.pli_sent++;
  in->last_pli_us = self->clock (self->clock_data);
  in->pli_pending = FALSE;
}

static void
request_keyframe (HzRouter *self, TrackIn *in)
{
  gint64 now = self->clock (self->clock_data);

  if (in->info.kind != HZ_MEDIA_VIDEO)
    return;
  if (in->last_pli_us != 0 && now - in->last_pli_us < PLI_MIN_INTERVAL_US) {
    in->pli_pending = TRUE; /* sent with the next packet after the interval */
    return;
  }
  send_pli (self, in);
}

void
hz_router_set_paused (HzRouter *self, guint32 track_id, gboolean paused)
{
  TrackIn *in = lookup_track (self, track_id);

  if (in == NULL || in->paused == paused)
    return;
  in->paused = paused;
  if (!paused)
    request_keyframe (self, in);
}

void
hz_router_request_keyframe (HzRouter *self, guint32 track_id)
{
  TrackIn *in = lookup_track (self, track_id);

  if (in != NULL)
    request_keyframe (self, in);
}

void
hz_router_on_peer_connected (HzRouter *self, HzPeer *peer)
{
  GHashTableIter iter;
  TrackIn *in;

  g_hash_table_iter_init (&iter, self->tracks);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &in)) {
    if (in->publisher == peer && in->pli_pending) {
      send_pli (self, in);
      continue;
    }
    for (guint i = 0; i < in->outs->len; i++) {
      TrackOut *out = g_ptr_array_index (in->outs, i);
      if (out->subscriber == peer)
        request_keyframe (self, in);
    }
  }
}

/* A publisher that announced no SSRC (simulcast, or SDP without a=ssrc)
 * is bound by the first packet carrying its mid header extension. */
static TrackIn *
learn_ssrc (HzRouter *self, HzPeer *from, const guint8 *buf, const HzRtpView *view)
{
  GHashTableIter iter;
  TrackIn *in;
  char mid[HZ_RTP_SDES_MAX + 1];

  if (!view->extension)
    return NULL;
  g_hash_table_iter_init (&iter, self->tracks);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &in)) {
    if (in->publisher != from || in->info.ssrc != 0 || in->info.mid_ext_id == 0 ||
        (in->info.rtx_pt != 0 && view->pt == in->info.rtx_pt))
      continue;
    if (hz_rtp_ext_read_sdes (buf, view, in->info.mid_ext_id, mid) &&
        strcmp (mid, in->info.mid) == 0 &&
        !g_hash_table_contains (self->in_by_ssrc, GUINT_TO_POINTER (view->ssrc))) {
      in->info.ssrc = view->ssrc;
      g_hash_table_insert (self->in_by_ssrc, GUINT_TO_POINTER (view->ssrc), in);
      if (in->pli_pending)
        send_pli (self, in);
      return in;
    }
  }
  return NULL;
}

void
hz_router_on_rtp (HzRouter *self, HzPeer *from, guint8 *buf, gsize len)
{
  HzRtpView view;
  TrackIn *in;

  self->stats.rtp_in++;
  if (!hz_rtp_parse (buf, len, &view) || len > SCRATCH_SIZE - HZ_SRTP_MAX_TRAILER) {
    self->stats.rtp_dropped++;
    return;
  }
  in = g_hash_table_lookup (self->in_by_ssrc, GUINT_TO_POINTER (view.ssrc));
  if (in == NULL)
    in = learn_ssrc (self, from, buf, &view);
  /* Unknown SSRCs (RTX and padding probes for now) and packets claiming
   * another publisher's SSRC are dropped. */
  if (in == NULL || in->publisher != from || view.pt != in->info.pt) {
    self->stats.rtp_dropped++;
    return;
  }
  if (in->paused) {
    self->stats.rtp_paused++;
    return;
  }
  if (in->pli_pending &&
      self->clock (self->clock_data) - in->last_pli_us >= PLI_MIN_INTERVAL_US)
    send_pli (self, in);
  /* Once per packet, not per subscriber: blank the header extensions the
   * subscribers did not negotiate (zero bytes are RFC 8285 padding). */
  if (view.extension)
    hz_rtp_ext_neutralize (buf, &view, &self->no_ext);

  for (guint i = 0; i < in->outs->len; i++) {
    TrackOut *out = g_ptr_array_index (in->outs, i);
    guint8 *pkt = self->scratch;

    if (hz_peer_get_state (out->subscriber) != HZ_PEER_STATE_CONNECTED)
      continue;
    /* The copy is what lets the original stay plaintext for the next
     * subscriber: SRTP encrypts in place. */
    memcpy (pkt, buf, len);
    hz_rtp_set_ssrc (pkt, out->info.ssrc);
    hz_rtp_set_pt (pkt, out->info.pt);
    hz_rtp_set_seq (pkt, (guint16) (view.seq + out->seq_offset));
    hz_rtp_set_ts (pkt, view.ts + out->ts_offset);
    if (hz_peer_send_rtp (out->subscriber, pkt, len, SCRATCH_SIZE)) {
      out->packets++;
      out->octets += (guint32) view.payload_len;
      self->stats.rtp_forwarded++;
    }
  }
}

static void
forward_sr (HzRouter *self, const HzRtcpHeader *hdr)
{
  HzRtcpSr sr;
  TrackIn *in;

  if (!hz_rtcp_parse_sr (hdr, &sr))
    return;
  in = g_hash_table_lookup (self->in_by_ssrc, GUINT_TO_POINTER (sr.ssrc));
  if (in == NULL)
    return;
  for (guint i = 0; i < in->outs->len; i++) {
    TrackOut *out = g_ptr_array_index (in->outs, i);
    HzRtcpSr mine = { 0 };
    gsize n;

    if (hz_peer_get_state (out->subscriber) != HZ_PEER_STATE_CONNECTED)
      continue;
    mine.ssrc = out->info.ssrc;
    mine.ntp = sr.ntp;
    mine.rtp_ts = sr.rtp_ts + out->ts_offset;
    mine.packet_count = out->packets;
    mine.octet_count = out->octets;
    n = hz_rtcp_build_sr (self->scratch, sizeof self->scratch, &mine);
    if (n > 0 && hz_peer_send_rtcp (out->subscriber, self->scratch, n, sizeof self->scratch))
      self->stats.sr_forwarded++;
  }
}

static void
handle_feedback (HzRouter *self, HzPeer *from, const HzRtcpHeader *hdr)
{
  HzRtcpFb fb;
  TrackOut *out;

  if (!hz_rtcp_parse_fb (hdr, &fb))
    return;
  if (fb.pt == HZ_RTCP_PT_PSFB && fb.fmt == HZ_RTCP_PSFB_FIR) {
    guint32 ssrc;
    guint8 seq;

    for (guint i = 0; i < hz_rtcp_fir_n_entries (&fb); i++) {
      if (!hz_rtcp_fir_get_entry (&fb, i, &ssrc, &seq))
        break;
      out = g_hash_table_lookup (self->out_by_ssrc, GUINT_TO_POINTER (ssrc));
      if (out != NULL && out->subscriber == from)
        request_keyframe (self, out->in);
    }
    return;
  }
  if (hz_rtcp_is_pli (&fb)) {
    out = g_hash_table_lookup (self->out_by_ssrc, GUINT_TO_POINTER (fb.media_ssrc));
    if (out != NULL && out->subscriber == from)
      request_keyframe (self, out->in);
  }
}

void
hz_router_on_rtcp (HzRouter *self, HzPeer *from, guint8 *buf, gsize len)
{
  HzRtcpIter iter;
  HzRtcpHeader hdr;

  self->stats.rtcp_in++;
  hz_rtcp_iter_init (&iter, buf, len);
  while (hz_rtcp_iter_next (&iter, &hdr)) {
    switch (hdr.pt) {
    case HZ_RTCP_PT_SR:
      forward_sr (self, &hdr);
      break;
    case HZ_RTCP_PT_PSFB:
    case HZ_RTCP_PT_RTPFB:
      handle_feedback (self, from, &hdr);
      break;
    default:
      /* RR, SDES, BYE: nothing to do until loss recovery and bandwidth
       * estimation read them. */
      break;
    }
  }
}

void
hz_router_get_stats (HzRouter *self, HzRouterStats *stats)
{
  *stats = self->stats;
}
