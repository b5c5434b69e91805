/* hz-sdp-build: codec choice and the SDP we write -- answers to publisher
 * offers and subscriber offers -- built as GstSDPMessage, then printed with
 * gst_sdp_message_as_text (see hz-sdp.h). */
#include "hz-sdp.h"

#include <gst/sdp/gstsdpmessage.h>
#include <string.h>

/* header extensions the SFU understands; the others are dropped from answers */
static const char *const supported_extmaps[] = {
  "urn:ietf:params:rtp-hdrext:sdes:mid",
  "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id",
  "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id",
  "urn:ietf:params:rtp-hdrext:ssrc-audio-level",
  "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
  "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
  NULL,
};
static const char *const video_fbs[] = { "nack", "nack pli", "ccm fir", "transport-cc", NULL };
static const char *const audio_fbs[] = { "transport-cc", NULL };
static const char *const no_fbs[] = { NULL };
static const char *const direction_names[] = { "sendrecv", "sendonly", "recvonly", "inactive" };

/* ---- codec choice ------------------------------------------------------ */

/* text we put on an SDP line: no line breaks or other control characters;
 * @token also forbids spaces */
static gboolean
is_safe (const char *s, gboolean token)
{
  if (s == NULL || *s == '\0')
    return FALSE;
  for (; *s != '\0'; s++)
    if ((guchar) *s < ' ' || *s == 0x7f || (token && *s == ' '))
      return FALSE;
  return TRUE;
}

gboolean
hz_sdp_codec_is_red (const HzSdpCodec *codec)
{
  g_return_val_if_fail (codec != NULL, FALSE);
  return codec->name != NULL && g_ascii_strcasecmp (codec->name, "red") == 0;
}

/* "111/111[/111...]": every block is @pt, at least two blocks */
static gboolean
red_fmtp_carries (const char *fmtp, guint pt)
{
  g_auto (GStrv) blocks = NULL;
  guint n;

  if (fmtp == NULL)
    return FALSE;
  blocks = g_strsplit (fmtp, "/", 33);
  n = g_strv_length (blocks);
  if (n < 2 || n > 32)
    return FALSE;
  for (guint i = 0; i < n; i++) {
    guint64 v;
    if (!g_ascii_string_to_unsigned (blocks[i], 10, 0, 127, &v, NULL) || v != pt)
      return FALSE;
  }
  return TRUE;
}

HzSdpCodec *
hz_sdp_media_find_red (const HzSdpMedia *media, guint pt)
{
  g_return_val_if_fail (media != NULL, NULL);
  for (guint i = 0; i < media->codecs->len; i++) {
    HzSdpCodec *c = g_ptr_array_index (media->codecs, i);
    if (hz_sdp_codec_is_red (c) && c->pt != pt && red_fmtp_carries (c->fmtp, pt))
      return c;
  }
  return NULL;
}

static gboolean
is_h264_constrained_baseline (const HzSdpCodec *c)
{
  g_autofree char *mode = hz_sdp_fmtp_get (c->fmtp, "packetization-mode");
  g_autofree char *plid = hz_sdp_fmtp_get (c->fmtp, "profile-level-id");

  if (g_ascii_strcasecmp (c->name, "H264") != 0 || c->clock_rate != 90000 ||
      g_strcmp0 (mode, "1") != 0 || plid == NULL || strlen (plid) != 6)
    return FALSE;
  for (guint i = 0; i < 6; i++)
    if (!g_ascii_isxdigit (plid[i]))
      return FALSE;
  /* profile_idc 0x42 with constraint_set1 (0xe0, 0xc0) or none (0x00) */
  return g_ascii_strncasecmp (plid, "42e0", 4) == 0 || g_ascii_strncasecmp (plid, "42c0", 4) == 0 ||
         g_ascii_strncasecmp (plid, "4200", 4) == 0;
}

static const HzSdpCodec *
choose_codec (const HzSdpMedia *m)
{
  for (guint i = 0; m->kind == HZ_SDP_KIND_AUDIO && i < m->codecs->len; i++) {
    const HzSdpCodec *c = g_ptr_array_index (m->codecs, i);
    if (g_ascii_strcasecmp (c->name, "opus") == 0 && c->clock_rate == 48000 && c->channels == 2)
      return c;
  }
  for (guint i = 0; m->kind == HZ_SDP_KIND_VIDEO && i < m->codecs->len; i++) {
    const HzSdpCodec *c = g_ptr_array_index (m->codecs, i);
    if (g_ascii_strcasecmp (c->name, "VP8") == 0 && c->clock_rate == 90000)
      return c;
  }
  for (guint i = 0; m->kind == HZ_SDP_KIND_VIDEO && i < m->codecs->len; i++) {
    const HzSdpCodec *c = g_ptr_array_index (m->codecs, i);
    if (is_h264_constrained_baseline (c))
      return c;
  }
  return NULL;
}

/* a copy of @c keeping only the rtcp-fb types in @fbs that the offer had */
static HzSdpCodec *
accept_codec (const HzSdpCodec *c, const char *const *fbs)
{
  HzSdpCodec *a = hz_sdp_codec_new (c->pt, c->name, c->clock_rate, c->channels, c->fmtp);
  for (guint i = 0; c->rtcp_fbs != NULL && i < c->rtcp_fbs->len; i++) {
    const char *fb = g_ptr_array_index (c->rtcp_fbs, i);
    if (g_strv_contains (fbs, fb))
      g_ptr_array_add (a->rtcp_fbs, g_strdup (fb));
  }
  return a;
}

/* Opus with in-band FEC (RFC 7587 §6.1): "useinbandfec=1" in what we
 * answer tells the publisher's encoder that FEC will be decoded, so it adds
 * it once its receiver reports show loss. Added when the offer left it out;
 * an explicit useinbandfec=0 is kept. */
static void
ensure_inband_fec (HzSdpCodec *c)
{
  g_autofree char *fec = NULL;
  char *with;

  if (g_ascii_strcasecmp (c->name, "opus") != 0)
    return;
  fec = hz_sdp_fmtp_get (c->fmtp, "useinbandfec");
  if (fec != NULL)
    return;
  with = c->fmtp != NULL && *c->fmtp != '\0' ? g_strconcat (c->fmtp, ";useinbandfec=1", NULL)
                                               : g_strdup ("useinbandfec=1");
  g_free (c->fmtp);
  c->fmtp = with;
}

/* the offered m-line restricted to what we accept */
static HzSdpMedia *
accept_media (const HzSdpMedia *om, GError **error)
{
  g_autoptr (HzSdpMedia) m = hz_sdp_media_copy (om);
  const HzSdpCodec *chosen, *rtx, *red;
  gboolean video = om->kind == HZ_SDP_KIND_VIDEO;

  g_ptr_array_set_size (m->codecs, 0);
  g_array_set_size (m->extmaps, 0);
  if (om->rejected || (om->kind != HZ_SDP_KIND_AUDIO && !video) || !is_safe (om->mid, TRUE)) {
    m->rejected = TRUE;
    m->direction = HZ_SDP_DIRECTION_INACTIVE;
    return g_steal_pointer (&m);
  }
  chosen = choose_codec (om);
  if (chosen == NULL) {
    g_set_error (error, HZ_SDP_ERROR, HZ_SDP_ERROR_UNSUPPORTED_CODEC,
                 "m-line %u (mid %s): no supported %s codec (%s)", om->index, om->mid,
                 hz_sdp_kind_to_string (om->kind),
                 video ? "need VP8, or H264 constrained baseline with packetization-mode=1"
                       : "need opus/48000/2");
    return NULL;
  }
  /* RED before Opus: the offerer sends the first codec of our answer */
  red = video ? NULL : hz_sdp_media_find_red (om, chosen->pt);
  if (red != NULL && red->clock_rate == chosen->clock_rate && red->channels == chosen->channels)
    g_ptr_array_add (m->codecs, accept_codec (red, no_fbs));
  g_ptr_array_add (m->codecs, accept_codec (chosen, video ? video_fbs : audio_fbs));
  ensure_inband_fec (g_ptr_array_index (m->codecs, m->codecs->len - 1));
  rtx = video ? hz_sdp_media_find_rtx (om, chosen->pt) : NULL;
  if (rtx != NULL)
    g_ptr_array_add (m->codecs, accept_codec (rtx, no_fbs));
  for (guint i = 0; i < om->extmaps->len; i++) {
    const HzSdpExtmap *e = &g_array_index (om->extmaps, HzSdpExtmap, i);
    if (g_strv_contains (supported_extmaps, e->uri))
      hz_sdp_extmaps_add (m->extmaps, e->id, e->uri);
  }
  m->direction = (om->direction == HZ_SDP_DIRECTION_SENDRECV ||
                  om->direction == HZ_SDP_DIRECTION_SENDONLY)
                     ? HZ_SDP_DIRECTION_RECVONLY
                     : HZ_SDP_DIRECTION_INACTIVE;
  return g_steal_pointer (&m);
}

/* ---- writing ----------------------------------------------------------- */

static gboolean
check_local (const HzSdpLocal *local, GError **error)
{
  if (!is_safe (local->ice_ufrag, TRUE) || !is_safe (local->ice_pwd, TRUE) ||
      !is_safe (local->fp_algorithm, TRUE) || !is_safe (local->fp_value, TRUE)) {
    g_set_error_literal (error, HZ_SDP_ERROR, HZ_SDP_ERROR_INVALID_ARGUMENT,
                         "local ICE credentials or fingerprint missing or malformed");
    return FALSE;
  }
  for (guint i = 0; local->candidates != NULL && local->candidates[i] != NULL; i++) {
    if (!is_safe (local->candidates[i], FALSE)) {
      g_set_error (error, HZ_SDP_ERROR, HZ_SDP_ERROR_INVALID_ARGUMENT,
                   "local candidate %u is empty or contains control characters", i);
      return FALSE;
    }
  }
  return TRUE;
}

static GstSDPMessage *
message_new (const HzSdpLocal *local, guint64 version)
{
  GstSDPMessage *msg = NULL;
  g_autofree char *id = g_strdup_printf ("%" G_GUINT64_FORMAT, local->session_id);
  g_autofree char *ver = g_strdup_printf ("%" G_GUINT64_FORMAT, version);

  gst_sdp_message_new (&msg);
  gst_sdp_message_set_version (msg, "0");
  gst_sdp_message_set_origin (msg, "-", id, ver, "IN", "IP4", "127.0.0.1");
  gst_sdp_message_set_session_name (msg, "-");
  gst_sdp_message_add_time (msg, "0", "0", NULL);
  if (local->ice_lite)
    gst_sdp_message_add_attribute (msg, "ice-lite", "");
  return msg;
}

static void
add_attr_printf (GstSDPMedia *gm, const char *key, const char *fmt, ...) G_GNUC_PRINTF (3, 4);

static void
add_attr_printf (GstSDPMedia *gm, const char *key, const char *fmt, ...)
{
  va_list args;
  g_autofree char *v = NULL;
  va_start (args, fmt);
  v = g_strdup_vprintf (fmt, args);
  va_end (args);
  gst_sdp_media_add_attribute (gm, key, v);
}

/* m= line, c= line and the ICE/DTLS attributes of one bundled m-line */
static void
add_transport (GstSDPMedia *gm, const char *type, const HzSdpLocal *local,
               const char *setup, const char *mid)
{
  gst_sdp_media_set_media (gm, type);
  gst_sdp_media_set_port_info (gm, 9, 0);
  gst_sdp_media_set_proto (gm, "UDP/TLS/RTP/SAVPF");
  gst_sdp_media_add_connection (gm, "IN", "IP4", "0.0.0.0", 0, 0);
  gst_sdp_media_add_attribute (gm, "ice-ufrag", local->ice_ufrag);
  gst_sdp_media_add_attribute (gm, "ice-pwd", local->ice_pwd);
  gst_sdp_media_add_attribute (gm, "ice-options", "trickle");
  add_attr_printf (gm, "fingerprint", "%s %s", local->fp_algorithm, local->fp_value);
  gst_sdp_media_add_attribute (gm, "setup", setup);
  gst_sdp_media_add_attribute (gm, "mid", mid);
}

/* our candidates go on the first m-line of the BUNDLE group only */
static void
add_candidates (GstSDPMedia *gm, const HzSdpLocal *local)
{
  for (guint i = 0; local->candidates != NULL && local->candidates[i] != NULL; i++) {
    const char *c = local->candidates[i];
    if (g_str_has_prefix (c, "a="))
      c += 2;
    if (g_str_has_prefix (c, "candidate:"))
      c += strlen ("candidate:");
    gst_sdp_media_add_attribute (gm, "candidate", c);
  }
  if (local->end_of_candidates)
    gst_sdp_media_add_attribute (gm, "end-of-candidates", "");
}

static void
add_extmaps (GstSDPMedia *gm, const GArray *extmaps)
{
  for (guint i = 0; extmaps != NULL && i < extmaps->len; i++) {
    const HzSdpExtmap *e = &g_array_index (extmaps, HzSdpExtmap, i);
    add_attr_printf (gm, "extmap", "%u %s", e->id, e->uri);
  }
}

static void
add_codec (GstSDPMedia *gm, const HzSdpCodec *c)
{
  g_autofree char *pt = g_strdup_printf ("%u", c->pt);
  gst_sdp_media_add_format (gm, pt);
  if (c->channels > 0)
    add_attr_printf (gm, "rtpmap", "%u %s/%u/%u", c->pt, c->name, c->clock_rate, c->channels);
  else
    add_attr_printf (gm, "rtpmap", "%u %s/%u", c->pt, c->name, c->clock_rate);
  for (guint i = 0; c->rtcp_fbs != NULL && i < c->rtcp_fbs->len; i++)
    add_attr_printf (gm, "rtcp-fb", "%u %s", c->pt, (const char *) g_ptr_array_index (c->rtcp_fbs, i));
  if (c->fmtp != NULL && *c->fmtp != '\0')
    add_attr_printf (gm, "fmtp", "%u %s", c->pt, c->fmtp);
}

/* a rejected m-line echoes the offer's m= line with port 0 */
static void
add_rejected (GstSDPMessage *msg, const HzSdpMedia *m)
{
  GstSDPMedia gm = { 0 };
  g_auto (GStrv) formats = g_strsplit (m->formats != NULL ? m->formats : "0", " ", -1);

  gst_sdp_media_init (&gm);
  gst_sdp_media_set_media (&gm, m->type != NULL ? m->type : hz_sdp_kind_to_string (m->kind));
  gst_sdp_media_set_port_info (&gm, 0, 0);
  gst_sdp_media_set_proto (&gm, m->proto != NULL ? m->proto : "UDP/TLS/RTP/SAVPF");
  for (guint i = 0; formats[i] != NULL; i++)
    gst_sdp_media_add_format (&gm, formats[i]);
  gst_sdp_media_add_connection (&gm, "IN", "IP4", "0.0.0.0", 0, 0);
  if (m->mid != NULL)
    gst_sdp_media_add_attribute (&gm, "mid", m->mid);
  gst_sdp_media_add_attribute (&gm, "inactive", "");
  gst_sdp_message_add_media (msg, &gm);
}

static char *
finish (GstSDPMessage *msg, GString *bundle, guint n_bundled)
{
  if (n_bundled > 0)
    gst_sdp_message_add_attribute (msg, "group", bundle->str);
  gst_sdp_message_add_attribute (msg, "msid-semantic", " WMS");
  return gst_sdp_message_as_text (msg);
}

char *
hz_sdp_build_answer (const HzSdpSession *offer, const HzSdpLocal *local,
                     HzSdpSession **out_accepted, GError **error)
{
  g_autoptr (HzSdpSession) acc = hz_sdp_session_new ();
  g_autoptr (GstSDPMessage) msg = NULL;
  g_autoptr (GString) bundle = g_string_new ("BUNDLE");
  guint n_bundled = 0;
  const char *setup;

  g_return_val_if_fail (offer != NULL, NULL);
  g_return_val_if_fail (local != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!check_local (local, error))
    return NULL;
  for (guint i = 0; i < offer->media->len; i++) {
    HzSdpMedia *am = accept_media (g_ptr_array_index (offer->media, i), error);
    if (am == NULL)
      return NULL;
    g_ptr_array_add (acc->media, am);
  }
  /* we take the DTLS server role unless the offerer insists on it */
  setup = offer->setup == HZ_SDP_SETUP_PASSIVE ? "active" : "passive";
  acc->setup = offer->setup == HZ_SDP_SETUP_PASSIVE ? HZ_SDP_SETUP_PASSIVE
               : offer->setup == HZ_SDP_SETUP_NONE  ? HZ_SDP_SETUP_NONE
                                                    : HZ_SDP_SETUP_ACTIVE;
  acc->ice_ufrag = g_strdup (offer->ice_ufrag);
  acc->ice_pwd = g_strdup (offer->ice_pwd);
  acc->fp_algorithm = g_strdup (offer->fp_algorithm);
  acc->fp_value = g_strdup (offer->fp_value);
  acc->ice_lite = offer->ice_lite;
  for (guint i = 0; i < offer->candidates->len; i++)
    g_ptr_array_add (acc->candidates, g_strdup (g_ptr_array_index (offer->candidates, i)));

  msg = message_new (local, local->session_version);
  for (guint i = 0; i < acc->media->len; i++) {
    const HzSdpMedia *m = g_ptr_array_index (acc->media, i);
    GstSDPMedia gm = { 0 };
    if (m->rejected) {
      add_rejected (msg, m);
      continue;
    }
    gst_sdp_media_init (&gm);
    add_transport (&gm, hz_sdp_kind_to_string (m->kind), local, setup, m->mid);
    add_extmaps (&gm, m->extmaps);
    gst_sdp_media_add_attribute (&gm, direction_names[m->direction], "");
    gst_sdp_media_add_attribute (&gm, "rtcp-mux", "");
    for (guint j = 0; j < m->codecs->len; j++)
      add_codec (&gm, g_ptr_array_index (m->codecs, j));
    if (m->simulcast && m->rids->len > 0) {
      g_autoptr (GString) list = g_string_new ("recv ");
      for (guint j = 0; j < m->rids->len; j++) {
        const char *rid = g_ptr_array_index (m->rids, j);
        add_attr_printf (&gm, "rid", "%s recv", rid);
        g_string_append_printf (list, "%s%s", j > 0 ? ";" : "", rid);
      }
      gst_sdp_media_add_attribute (&gm, "simulcast", list->str);
    }
    if (n_bundled++ == 0)
      add_candidates (&gm, local);
    g_string_append_printf (bundle, " %s", m->mid);
    gst_sdp_message_add_media (msg, &gm);
  }
  if (out_accepted != NULL)
    *out_accepted = g_steal_pointer (&acc);
  return finish (msg, bundle, n_bundled);
}

/* a codec we can write on an m-line: token name, pt 0-127, a clock rate,
 * fmtp and rtcp-fbs without control characters */
static gboolean
codec_is_writable (const HzSdpCodec *c)
{
  if (c == NULL || !is_safe (c->name, TRUE) || c->pt > 127 || c->clock_rate == 0 ||
      (c->fmtp != NULL && *c->fmtp != '\0' && !is_safe (c->fmtp, FALSE)))
    return FALSE;
  for (guint i = 0; c->rtcp_fbs != NULL && i < c->rtcp_fbs->len; i++)
    if (!is_safe (g_ptr_array_index (c->rtcp_fbs, i), FALSE))
      return FALSE;
  return TRUE;
}

static gboolean
check_track (const HzSdpOutTrack *t, GPtrArray *tracks, guint index, GError **error)
{
  const char *problem = NULL;
  const HzSdpCodec *c = t != NULL ? t->codec : NULL;
  const HzSdpCodec *c2 = t != NULL ? t->secondary : NULL;

  if (t == NULL || !is_safe (t->mid, TRUE))
    problem = "has no valid mid";
  else if (t->kind != HZ_SDP_KIND_AUDIO && t->kind != HZ_SDP_KIND_VIDEO)
    problem = "is neither audio nor video";
  else if (!codec_is_writable (c))
    problem = "has no valid codec";
  else if (c2 != NULL && (!codec_is_writable (c2) || c2->pt == c->pt))
    problem = "has an invalid secondary codec";
  else if (t->rtx_pt > 127 || (t->rtx_pt != 0 && (t->rtx_pt == c->pt || (c2 != NULL && t->rtx_pt == c2->pt))))
    problem = "has an invalid rtx payload type";
  else if (t->active && (t->ssrc == 0 || (t->rtx_pt != 0 && (t->rtx_ssrc == 0 || t->rtx_ssrc == t->ssrc))))
    problem = "is active without distinct ssrc/rtx ssrc";
  else if ((t->stream_id != NULL && !is_safe (t->stream_id, TRUE)) ||
           (t->track_id != NULL && !is_safe (t->track_id, TRUE)) ||
           (t->cname != NULL && !is_safe (t->cname, TRUE)))
    problem = "has a stream id, track id or cname that is not an SDP token";
  for (guint i = 0; problem == NULL && t->extmaps != NULL && i < t->extmaps->len; i++) {
    const HzSdpExtmap *e = &g_array_index (t->extmaps, HzSdpExtmap, i);
    if (e->id == 0 || e->id > 255 || !is_safe (e->uri, TRUE))
      problem = "has an invalid extmap";
  }
  for (guint i = 0; problem == NULL && i < index; i++)
    if (g_strcmp0 (((HzSdpOutTrack *) g_ptr_array_index (tracks, i))->mid, t->mid) == 0)
      problem = "repeats the mid of an earlier track";
  if (problem != NULL) {
    g_set_error (error, HZ_SDP_ERROR, HZ_SDP_ERROR_INVALID_ARGUMENT,
                 "subscriber track %u (mid %s) %s", index, t != NULL ? t->mid : NULL, problem);
    return FALSE;
  }
  return TRUE;
}

static void
add_ssrc_lines (GstSDPMedia *gm, guint32 ssrc, const char *cname, const char *stream, const char *track)
{
  add_attr_printf (gm, "ssrc", "%u cname:%s", ssrc, cname);
  add_attr_printf (gm, "ssrc", "%u msid:%s %s", ssrc, stream, track);
}

char *
hz_sdp_build_subscriber_offer (const HzSdpLocal *local, GPtrArray *tracks,
                               guint64 version, GError **error)
{
  g_autoptr (GstSDPMessage) msg = NULL;
  g_autoptr (GString) bundle = g_string_new ("BUNDLE");

  g_return_val_if_fail (local != NULL, NULL);
  g_return_val_if_fail (tracks != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!check_local (local, error))
    return NULL;
  if (tracks->len > HZ_SDP_MAX_MEDIA) {
    g_set_error (error, HZ_SDP_ERROR, HZ_SDP_ERROR_TOO_LARGE,
                 "%u subscriber tracks, at most %u m-lines", tracks->len, (guint) HZ_SDP_MAX_MEDIA);
    return NULL;
  }
  for (guint i = 0; i < tracks->len; i++)
    if (!check_track (g_ptr_array_index (tracks, i), tracks, i, error))
      return NULL;

  msg = message_new (local, version);
  for (guint i = 0; i < tracks->len; i++) {
    const HzSdpOutTrack *t = g_ptr_array_index (tracks, i);
    const char *stream = t->stream_id != NULL ? t->stream_id : "-";
    const char *track = t->track_id != NULL ? t->track_id : t->mid;
    const char *cname = t->cname != NULL ? t->cname : "huizhen";
    GstSDPMedia gm = { 0 };

    gst_sdp_media_init (&gm);
    add_transport (&gm, hz_sdp_kind_to_string (t->kind), local, "actpass", t->mid);
    add_extmaps (&gm, t->extmaps);
    gst_sdp_media_add_attribute (&gm, t->active ? "sendonly" : "inactive", "");
    if (t->active)
      add_attr_printf (&gm, "msid", "%s %s", stream, track);
    gst_sdp_media_add_attribute (&gm, "rtcp-mux", "");
    add_codec (&gm, t->codec);
    if (t->secondary != NULL)
      add_codec (&gm, t->secondary);
    if (t->rtx_pt != 0) {
      g_autofree char *apt = g_strdup_printf ("apt=%u", t->codec->pt);
      HzSdpCodec rtx = { t->rtx_pt, (char *) "rtx", t->codec->clock_rate, 0, apt, NULL };
      add_codec (&gm, &rtx);
    }
    if (t->active && t->rtx_pt != 0)
      add_attr_printf (&gm, "ssrc-group", "FID %u %u", t->ssrc, t->rtx_ssrc);
    if (t->active)
      add_ssrc_lines (&gm, t->ssrc, cname, stream, track);
    if (t->active && t->rtx_pt != 0)
      add_ssrc_lines (&gm, t->rtx_ssrc, cname, stream, track);
    if (i == 0)
      add_candidates (&gm, local);
    g_string_append_printf (bundle, " %s", t->mid);
    gst_sdp_message_add_media (msg, &gm);
  }
  return finish (msg, bundle, tracks->len);
}
