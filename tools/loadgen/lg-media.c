/* lg-media: the media side of one simulated browser. A publisher replays the
 * clip at its real pace, rewriting SSRC, sequence number and timestamp for
 * every loop, and sends sender reports; a subscriber decrypts (HzPeer does),
 * counts packets, bytes, gaps and reordering per SSRC, and answers as a
 * browser does: a PLI for each video stream as it starts, a NACK for every
 * gap in video, a receiver report every second. No decoding. */
#include "lg.h"

#include <stdarg.h>
#include <string.h>

#include "hz-rtcp.h"
#include "hz-rtp.h"
#include "hz-sdp.h"
#include "hz-srtp.h"

#define LG_NACK_MAX 17 /* one FCI: the lost packet and a 16-bit mask */

LgClient *
lg_client_new (LgRun *run, LgRoom *room, guint index, gboolean publish, gboolean subscribe)
{
  LgClient *c = g_new0 (LgClient, 1);

  c->run = run;
  c->room = room;
  c->index = index;
  c->publish = publish;
  c->subscribe = subscribe;
  /* distinct per client so reports name distinct senders */
  c->out_ssrc[0] = 0x10000000u + index * 2;
  c->out_ssrc[1] = 0x10000001u + index * 2;
  c->seq_base[0] = (guint16) g_random_int ();
  c->seq_base[1] = (guint16) g_random_int ();
  c->ts_base[0] = g_random_int ();
  c->ts_base[1] = g_random_int ();
  return c;
}

void
lg_client_free (LgClient *c)
{
  if (c == NULL)
    return;
  g_clear_pointer (&c->pub, hz_peer_free);
  g_clear_pointer (&c->sub, hz_peer_free);
  if (c->ws != NULL) {
    g_signal_handlers_disconnect_by_data (c->ws, c);
    if (soup_websocket_connection_get_state (c->ws) == SOUP_WEBSOCKET_STATE_OPEN)
      soup_websocket_connection_close (c->ws, 1000, NULL);
    g_object_unref (c->ws);
  }
  g_free (c->token);
  g_free (c->error);
  g_free (c);
}

void
lg_client_fail (LgClient *c, const char *fmt, ...)
{
  va_list ap;

  if (c->failed)
    return;
  va_start (ap, fmt);
  c->error = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  c->failed = TRUE;
  c->sending = FALSE;
  g_printerr ("client %u: %s\n", c->index, c->error);
}

gboolean
lg_client_connected (LgClient *c)
{
  if (c->publish && (c->pub == NULL || hz_peer_get_state (c->pub) != HZ_PEER_STATE_CONNECTED))
    return FALSE;
  if (c->subscribe && (c->sub == NULL || hz_peer_get_state (c->sub) != HZ_PEER_STATE_CONNECTED))
    return FALSE;
  return TRUE;
}

gboolean
lg_client_has_media (LgClient *c, guint streams)
{
  guint with_data = 0;

  for (guint i = 0; i < c->n_streams; i++)
    with_data += c->streams[i].received > 0;
  return with_data >= streams;
}

/* ---- subscriber: accounting and feedback ---- */

static void
send_rtcp (HzPeer *peer, guint8 *buf, gsize len, gsize size)
{
  if (len > 0)
    hz_peer_send_rtcp (peer, buf, len, size);
}

static void
send_pli (LgClient *c, LgStream *s)
{
  guint8 buf[64 + HZ_SRTP_MAX_TRAILER];

  send_rtcp (c->sub, buf, hz_rtcp_build_pli (buf, 64, c->out_ssrc[1], s->ssrc), sizeof buf);
  s->plis_sent++;
}

static void
send_nack (LgClient *c, LgStream *s, gint64 first_missing, gint64 last_missing)
{
  guint16 seqs[LG_NACK_MAX];
  guint n = 0;
  guint8 buf[128 + HZ_SRTP_MAX_TRAILER];

  /* A browser asks for recent losses only; more than one FCI's worth is
   * burst loss that retransmission would not fix in time. */
  for (gint64 e = MAX (first_missing, last_missing - LG_NACK_MAX + 1); e <= last_missing; e++)
    seqs[n++] = (guint16) e;
  send_rtcp (c->sub, buf, hz_rtcp_build_nack (buf, 128, c->out_ssrc[1], s->ssrc, seqs, n),
             sizeof buf);
  s->nacks_sent++;
}

static LgStream *
find_stream (LgClient *c, guint32 ssrc, guint8 pt)
{
  LgStream *s;

  for (guint i = 0; i < c->n_streams; i++) {
    if (c->streams[i].ssrc == ssrc)
      return &c->streams[i];
  }
  if (c->n_streams == LG_MAX_STREAMS)
    return NULL;
  s = &c->streams[c->n_streams++];
  memset (s, 0, sizeof *s);
  s->ssrc = ssrc;
  s->video = (c->video_pts[pt / 32] >> (pt % 32)) & 1;
  return s;
}

static void
sub_rtp (HzPeer *peer, guint8 *buf, gsize len, gpointer data)
{
  LgClient *c = data;
  HzRtpView v;
  LgStream *s;

  if (!hz_rtp_parse (buf, len, &v) || (s = find_stream (c, v.ssrc, v.pt)) == NULL)
    return;
  if (c->t_first_media_us == 0)
    c->t_first_media_us = g_get_monotonic_time ();
  if (s->received == 0) {
    s->base_ext = s->max_ext = v.seq;
    if (s->video)
      send_pli (c, s);
  } else {
    gint16 delta = (gint16) (v.seq - (guint16) s->max_ext);

    if (delta > 0) {
      if (delta > 1) {
        s->gaps++;
        if (s->video)
          send_nack (c, s, s->max_ext + 1, s->max_ext + delta - 1);
      }
      s->max_ext += delta;
    } else {
      s->reordered++; /* late, duplicate or retransmitted */
    }
  }
  s->received++;
  s->bytes += len;
}

static void
count_feedback (LgClient *c, const guint8 *buf, gsize len)
{
  HzRtcpIter iter;
  HzRtcpHeader hdr;
  HzRtcpFb fb;

  hz_rtcp_iter_init (&iter, buf, len);
  while (hz_rtcp_iter_next (&iter, &hdr)) {
    if (hdr.pt == HZ_RTCP_PT_RR)
      c->rrs_in++;
    else if (hdr.pt == HZ_RTCP_PT_PSFB && hz_rtcp_parse_fb (&hdr, &fb) && hz_rtcp_is_pli (&fb))
      c->plis_in++;
    else if (hdr.pt == HZ_RTCP_PT_RTPFB && hdr.count == HZ_RTCP_RTPFB_NACK)
      c->nacks_in++;
  }
}

static void
pub_rtcp (HzPeer *peer, guint8 *buf, gsize len, gpointer data)
{
  count_feedback (data, buf, len);
}

static void
sub_rtcp (HzPeer *peer, guint8 *buf, gsize len, gpointer data)
{
  /* sender reports from the server; nothing to do without a decoder */
}

static void
pub_rtp (HzPeer *peer, guint8 *buf, gsize len, gpointer data)
{
}

static void
peer_state (HzPeer *peer, HzPeerState state, gpointer data)
{
  LgClient *c = data;

  if (state == HZ_PEER_STATE_FAILED) {
    lg_client_fail (c, "%s peer failed", peer == c->pub ? "publisher" : "subscriber");
  } else if (state == HZ_PEER_STATE_CONNECTED && peer == c->pub && c->pub != NULL) {
    c->sending = TRUE;
    c->send_start_us = g_get_monotonic_time ();
  }
}

static void
pub_candidate (HzPeer *peer, const char *candidate, gpointer data)
{
  LgClient *c = data;
  c->run->adapter->local_candidate (c, TRUE, candidate);
}

static void
sub_candidate (HzPeer *peer, const char *candidate, gpointer data)
{
  LgClient *c = data;
  c->run->adapter->local_candidate (c, FALSE, candidate);
}

HzPeer *
lg_client_new_peer (LgClient *c, gboolean publisher, gboolean controlling)
{
  HzPeerCallbacks cb = {
    .local_candidate = publisher ? pub_candidate : sub_candidate,
    .state_changed = peer_state,
    .rtp = publisher ? pub_rtp : sub_rtp,
    .rtcp = publisher ? pub_rtcp : sub_rtcp,
  };
  HzPeerConfig pc = { .ip = c->run->ip, .cert = c->run->cert, .controlling = controlling };
  g_autoptr(GError) error = NULL;
  HzPeer *peer = hz_peer_new (g_main_context_default (), &pc, &cb, c, &error);

  if (peer == NULL)
    lg_client_fail (c, "cannot create a peer: %s", error->message);
  return peer;
}

void
lg_client_note_video_pts (LgClient *c, GPtrArray *media)
{
  for (guint i = 0; i < media->len; i++) {
    HzSdpMedia *m = g_ptr_array_index (media, i);

    if (m->kind != HZ_SDP_KIND_VIDEO)
      continue;
    for (guint j = 0; j < m->codecs->len; j++) {
      HzSdpCodec *codec = g_ptr_array_index (m->codecs, j);
      if (codec->pt < 128)
        c->video_pts[codec->pt / 32] |= 1u << (codec->pt % 32);
    }
  }
}

/* ---- publisher: paced replay ---- */

static void
send_clip_packet (LgClient *c, guint kind, const LgClipStream *cs, const LgClipPacket *p)
{
  guint8 buf[1500 + HZ_SRTP_MAX_TRAILER];
  guint64 loop = c->loop[kind];
  guint64 period_ticks = c->run->clip->period_us * cs->clock_rate / G_USEC_PER_SEC;
  HzRtpView v;

  if (p->len > 1500 || !hz_rtp_parse (p->data, p->len, &v))
    return;
  memcpy (buf, p->data, p->len);
  hz_rtp_set_ssrc (buf, c->out_ssrc[kind]);
  hz_rtp_set_seq (buf, (guint16) (c->seq_base[kind] + loop * cs->n + (guint16) (v.seq - cs->first_seq)));
  hz_rtp_set_ts (buf, (guint32) (c->ts_base[kind] + loop * period_ticks + (guint32) (v.ts - cs->first_ts)));
  if (hz_peer_send_rtp (c->pub, buf, p->len, sizeof buf)) {
    c->pkts_sent++;
    c->bytes_sent += p->len;
  }
}

void
lg_client_send_due (LgClient *c, gint64 now_us)
{
  const LgClip *clip = c->run->clip;

  if (!c->sending || c->pub == NULL)
    return;
  for (guint kind = 0; kind < 2; kind++) {
    const LgClipStream *cs = kind == 0 ? &clip->audio : &clip->video;

    for (;;) {
      const LgClipPacket *p = &cs->pkts[c->next[kind]];
      gint64 due = c->send_start_us + (gint64) (c->loop[kind] * clip->period_us + p->t_us);

      if (due > now_us)
        break;
      send_clip_packet (c, kind, cs, p);
      if (++c->next[kind] == cs->n) {
        c->next[kind] = 0;
        c->loop[kind]++;
      }
    }
  }
}

static guint32
ext_lost (const LgStream *s)
{
  gint64 expected = s->max_ext - s->base_ext + 1;
  gint64 lost = expected - (gint64) s->received;

  return (guint32) CLAMP (lost, 0, 0x7fffff);
}

void
lg_client_send_reports (LgClient *c)
{
  guint8 buf[1024 + HZ_SRTP_MAX_TRAILER];

  if (c->sub != NULL && hz_peer_get_state (c->sub) == HZ_PEER_STATE_CONNECTED && c->n_streams > 0) {
    HzRtcpRr rr = { .ssrc = c->out_ssrc[1] };

    for (guint i = 0; i < c->n_streams && rr.n_blocks < HZ_RTCP_MAX_REPORT_BLOCKS; i++) {
      LgStream *s = &c->streams[i];
      HzRtcpReportBlock *b = &rr.blocks[rr.n_blocks++];

      b->ssrc = s->ssrc;
      b->cumulative_lost = ext_lost (s);
      b->ext_highest_seq = (guint32) s->max_ext;
    }
    send_rtcp (c->sub, buf, hz_rtcp_build_rr (buf, 1024, &rr), sizeof buf);
  }
  if (c->sending && c->pub != NULL) {
    gint64 now = g_get_real_time ();
    guint64 ntp = ((guint64) (now / G_USEC_PER_SEC + 2208988800u) << 32) |
                  (guint64) ((now % G_USEC_PER_SEC) * 4294967296.0 / G_USEC_PER_SEC);

    for (guint kind = 0; kind < 2; kind++) {
      const LgClipStream *cs = kind == 0 ? &c->run->clip->audio : &c->run->clip->video;
      gint64 elapsed = g_get_monotonic_time () - c->send_start_us;
      HzRtcpSr sr = {
        .ssrc = c->out_ssrc[kind],
        .ntp = ntp,
        .rtp_ts = (guint32) (c->ts_base[kind] + (guint64) elapsed * cs->clock_rate / G_USEC_PER_SEC),
        .packet_count = (guint32) c->pkts_sent,
        .octet_count = (guint32) c->bytes_sent,
      };
      send_rtcp (c->pub, buf, hz_rtcp_build_sr (buf, 1024, &sr), sizeof buf);
      c->sr_sent++;
    }
  }
}
