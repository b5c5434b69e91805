/* lg-sdp: offer/answer as a browser does it, with the server's own SDP layer
 * (signaling/hz-sdp, GStreamer's GstSDPMessage). Candidates the server put
 * in its SDP (Janus does) are applied as if they had been trickled. */
#include "lg.h"

#include "hz-sdp.h"

static HzSdpOutTrack *
make_track (LgClient *c, const char *mid, HzSdpKind kind, guint pt, const char *codec,
            guint rate, guint ch, guint32 ssrc)
{
  HzSdpOutTrack *t = hz_sdp_out_track_new ();

  t->mid = g_strdup (mid);
  t->kind = kind;
  t->active = TRUE;
  t->codec = hz_sdp_codec_new (pt, codec, rate, ch,
                               kind == HZ_SDP_KIND_AUDIO ? "minptime=10;useinbandfec=1" : NULL);
  if (kind == HZ_SDP_KIND_VIDEO) {
    g_ptr_array_add (t->codec->rtcp_fbs, g_strdup ("nack"));
    g_ptr_array_add (t->codec->rtcp_fbs, g_strdup ("nack pli"));
    g_ptr_array_add (t->codec->rtcp_fbs, g_strdup ("ccm fir"));
  }
  t->ssrc = ssrc;
  t->stream_id = g_strdup_printf ("lg-stream-%u", c->index);
  t->track_id = g_strdup_printf ("lg-%u-%s", c->index, mid);
  t->cname = g_strdup_printf ("lg-cname-%u", c->index);
  return t;
}

static void
fill_local (LgClient *c, HzPeer *peer, HzSdpLocal *local, guint64 session_id)
{
  local->ice_ufrag = hz_peer_get_local_ufrag (peer);
  local->ice_pwd = hz_peer_get_local_pwd (peer);
  local->fp_algorithm = "sha-256";
  local->fp_value = hz_dtls_cert_get_fingerprint (c->run->cert);
  local->session_id = session_id;
  local->session_version = 1;
}

static void
add_sdp_candidates (HzPeer *peer, const HzSdpSession *s)
{
  for (guint i = 0; i < s->candidates->len; i++)
    hz_peer_add_remote_candidate (peer, g_ptr_array_index (s->candidates, i), NULL);
}

char *
lg_client_publisher_offer (LgClient *c, GError **error)
{
  g_autoptr(GPtrArray) tracks = g_ptr_array_new_with_free_func ((GDestroyNotify) hz_sdp_out_track_free);
  HzSdpLocal local = { 0 };

  if (c->pub == NULL && (c->pub = lg_client_new_peer (c, TRUE, TRUE)) == NULL) {
    g_set_error_literal (error, LG_ERROR, LG_ERROR_FAILED, "no publisher peer");
    return NULL;
  }
  fill_local (c, c->pub, &local, 1000 + c->index);
  g_ptr_array_add (tracks, make_track (c, "0", HZ_SDP_KIND_AUDIO, 111, "opus", 48000, 2, c->out_ssrc[0]));
  g_ptr_array_add (tracks, make_track (c, "1", HZ_SDP_KIND_VIDEO, 96, "VP8", 90000, 0, c->out_ssrc[1]));
  return hz_sdp_build_subscriber_offer (&local, tracks, 1, error);
}

gboolean
lg_client_publisher_answer (LgClient *c, const char *sdp, GError **error)
{
  g_autoptr(HzSdpSession) answer = hz_sdp_parse (sdp, 256 * 1024, error);

  if (answer == NULL || c->pub == NULL)
    return FALSE;
  /* We offered actpass: an active answerer makes us the DTLS server. */
  if (!hz_peer_set_remote (c->pub, answer->ice_ufrag, answer->ice_pwd, answer->fp_algorithm,
                           answer->fp_value,
                           answer->setup == HZ_SDP_SETUP_ACTIVE ? HZ_DTLS_ROLE_SERVER
                                                                : HZ_DTLS_ROLE_CLIENT,
                           error))
    return FALSE;
  add_sdp_candidates (c->pub, answer);
  return hz_peer_gather (c->pub, error);
}

char *
lg_client_subscriber_answer (LgClient *c, const char *sdp, gboolean controlling, GError **error)
{
  g_autoptr(HzSdpSession) offer = hz_sdp_parse (sdp, 256 * 1024, error);
  g_autoptr(HzSdpSession) accepted = NULL;
  gboolean first = c->sub == NULL;
  HzSdpLocal local = { 0 };
  char *answer;

  if (offer == NULL)
    return NULL;
  if (first && (c->sub = lg_client_new_peer (c, FALSE, controlling)) == NULL) {
    g_set_error_literal (error, LG_ERROR, LG_ERROR_FAILED, "no subscriber peer");
    return NULL;
  }
  lg_client_note_video_pts (c, offer->media);
  fill_local (c, c->sub, &local, 2000 + c->index);
  answer = hz_sdp_build_answer (offer, &local, &accepted, error);
  if (answer == NULL)
    return NULL;
  if (first) {
    if (c->t_sub_start_us == 0)
      c->t_sub_start_us = g_get_monotonic_time ();
    /* accepted->setup is the offerer's role: ACTIVE (we answered passive) makes us the DTLS server */
    if (!hz_peer_set_remote (c->sub, offer->ice_ufrag, offer->ice_pwd, offer->fp_algorithm,
                             offer->fp_value,
                             accepted->setup == HZ_SDP_SETUP_ACTIVE ? HZ_DTLS_ROLE_SERVER
                                                                    : HZ_DTLS_ROLE_CLIENT,
                             error) ||
        !hz_peer_gather (c->sub, error)) {
      g_free (answer);
      return NULL;
    }
    add_sdp_candidates (c->sub, offer);
  }
  return answer;
}
