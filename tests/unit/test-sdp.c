/* Tests for signaling/hz-sdp: parsing Chromium SDP, answering publisher offers,
 * offering subscriber connections, and the error for each kind of bad SDP.
 *
 * tests/fixtures/chromium-*.sdp were produced by Chromium 156.0.8078.79 itself
 * (headless, fake camera/microphone, in a network namespace with 192.0.2.2 and
 * fd00::2): the offers are pc.localDescription after ICE gathering; the
 * subscriber answer is Chromium's answer to hz_sdp_build_subscriber_offer()
 * with three tracks, the middle one inactive. During that run Chromium also
 * accepted every answer and subscriber offer (0, 1, 3 tracks) built here. */
#include "hz-sdp.h"

#include <gst/sdp/gstsdpmessage.h>
#include <string.h>

#define MAX_LEN (64 * 1024)

static const char *const local_candidates[] = {
  "candidate:1 1 udp 2130706431 198.51.100.7 40000 typ host", NULL,
};
static const HzSdpLocal local = {
  .ice_ufrag = "hzUf", .ice_pwd = "hzpwd0123456789abcdefghij", .fp_algorithm = "sha-256",
  .fp_value = "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99",
  .session_id = 4242, .session_version = 7, .candidates = local_candidates, .end_of_candidates = TRUE,
};

static char *
load (const char *name)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "fixtures", name, NULL);
  g_autoptr (GError) error = NULL;
  char *text = NULL;
  g_assert_true (g_file_get_contents (path, &text, NULL, &error));
  g_assert_no_error (error);
  return text;
}

/* @text without the lines starting with @prefix */
static char *
without_lines (const char *text, const char *prefix)
{
  g_auto (GStrv) lines = g_strsplit (text, "\r\n", -1);
  GString *s = g_string_new (NULL);
  for (guint i = 0; lines[i] != NULL; i++)
    if (*lines[i] != '\0' && !g_str_has_prefix (lines[i], prefix))
      g_string_append_printf (s, "%s\r\n", lines[i]);
  return g_string_free (s, FALSE);
}

static char *
replace (const char *text, const char *from, const char *to)
{
  g_autoptr (GString) s = g_string_new (text);
  g_assert_nonnull (strstr (text, from));
  g_string_replace (s, from, to, 0);
  return g_string_free (g_steal_pointer (&s), FALSE);
}

static GstSDPMessage *
gst_parse (const char *text)
{
  GstSDPMessage *msg = NULL;
  g_assert_cmpint (gst_sdp_message_new_from_text (text, &msg), ==, GST_SDP_OK);
  g_assert_cmpstr (gst_sdp_message_get_version (msg), ==, "0");
  return msg;
}

/* every value of attribute @key in @m joined with '|' */
static char *
attrs (const GstSDPMedia *m, const char *key)
{
  GString *s = g_string_new (NULL);
  for (guint i = 0; i < gst_sdp_media_attributes_len (m); i++) {
    const GstSDPAttribute *a = gst_sdp_media_get_attribute (m, i);
    if (g_str_equal (a->key, key))
      g_string_append_printf (s, "%s%s", s->len > 0 ? "|" : "", a->value);
  }
  return g_string_free (s, FALSE);
}

static char *
formats (const GstSDPMedia *m)
{
  GString *s = g_string_new (NULL);
  for (guint i = 0; i < gst_sdp_media_formats_len (m); i++)
    g_string_append_printf (s, "%s%s", i > 0 ? " " : "", gst_sdp_media_get_format (m, i));
  return g_string_free (s, FALSE);
}

static char *
codec_list (const HzSdpMedia *m)
{
  GString *s = g_string_new (NULL);
  for (guint i = 0; i < m->codecs->len; i++) {
    HzSdpCodec *c = g_ptr_array_index (m->codecs, i);
    g_string_append_printf (s, "%s%u:%s", i > 0 ? " " : "", c->pt, c->name);
  }
  return g_string_free (s, FALSE);
}

static char *
join_fbs (const HzSdpCodec *c)
{
  g_ptr_array_add (c->rtcp_fbs, NULL);
  char *s = g_strjoinv ("|", (GStrv) c->rtcp_fbs->pdata);
  g_ptr_array_remove_index (c->rtcp_fbs, c->rtcp_fbs->len - 1);
  return s;
}

#define ASSERT_ATTRS(m, key, expected) \
  G_STMT_START { g_autofree char *_v = attrs (m, key); g_assert_cmpstr (_v, ==, expected); } G_STMT_END

static void
test_parse_offer_av (void)
{
  g_autofree char *text = load ("chromium-offer-av.sdp");
  g_autoptr (GError) error = NULL;
  g_autoptr (HzSdpSession) s = hz_sdp_parse (text, MAX_LEN, &error);
  HzSdpMedia *a, *v;
  HzSdpCodec *c;
  g_autofree char *acodecs = NULL, *vcodecs = NULL, *fbs = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (s->ice_ufrag, ==, "1aXl");
  g_assert_cmpstr (s->ice_pwd, ==, "IaiHfbw+F4wuiwz4+rEfS0Fp");
  g_assert_cmpstr (s->fp_algorithm, ==, "sha-256");
  g_assert_cmpstr (s->fp_value, ==, "96:AA:F9:80:76:A7:14:CD:19:26:73:07:5C:F1:1D:0B:3F:C2:29:BE:27:E3:B9:1D:A6:08:92:93:96:6E:C8:CE");
  g_assert_cmpint (s->setup, ==, HZ_SDP_SETUP_ACTPASS);
  g_assert_false (s->ice_lite);
  g_assert_cmpuint (s->candidates->len, ==, 8); /* 4 per m-line */
  g_assert_cmpstr (g_ptr_array_index (s->candidates, 0), ==,
                   "candidate:2765354989 1 udp 2122194687 192.0.2.2 36712 typ host generation 0 network-id 1");
  g_assert_cmpuint (s->media->len, ==, 2);

  a = g_ptr_array_index (s->media, 0);
  g_assert_cmpuint (a->index, ==, 0);
  g_assert_cmpstr (a->mid, ==, "0");
  g_assert_cmpint (a->kind, ==, HZ_SDP_KIND_AUDIO);
  g_assert_cmpint (a->direction, ==, HZ_SDP_DIRECTION_SENDRECV);
  g_assert_false (a->rejected);
  acodecs = codec_list (a);
  g_assert_cmpstr (acodecs, ==, "111:opus 63:red 9:G722 0:PCMU 8:PCMA 13:CN 110:telephone-event 126:telephone-event");
  c = g_ptr_array_index (a->codecs, 0);
  g_assert_cmpuint (c->clock_rate, ==, 48000);
  g_assert_cmpuint (c->channels, ==, 2);
  g_assert_cmpstr (c->fmtp, ==, "minptime=10;useinbandfec=1");
  g_assert_cmpuint (c->rtcp_fbs->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (c->rtcp_fbs, 0), ==, "transport-cc");
  c = g_ptr_array_index (a->codecs, 1);
  g_assert_cmpstr (c->fmtp, ==, "111/111");
  g_assert_cmpuint (a->extmaps->len, ==, 4);
  g_assert_cmpuint (g_array_index (a->extmaps, HzSdpExtmap, 0).id, ==, 1);
  g_assert_cmpstr (g_array_index (a->extmaps, HzSdpExtmap, 0).uri, ==, "urn:ietf:params:rtp-hdrext:ssrc-audio-level");
  g_assert_cmpuint (g_array_index (a->extmaps, HzSdpExtmap, 3).id, ==, 4);
  g_assert_cmpuint (a->ssrcs->len, ==, 1);
  g_assert_cmpuint (g_array_index (a->ssrcs, guint32, 0), ==, 1850861804u);
  g_assert_cmpuint (a->rtx_ssrcs->len, ==, 0);
  g_assert_cmpstr (a->cname, ==, "/4R59B667wSRYtf5");
  g_assert_cmpstr (a->msid_stream, ==, "ac24fbc6-4f64-49a8-9308-49ef71de25ad");
  g_assert_cmpstr (a->msid_track, ==, "3170a310-977e-425c-8490-c2618cde66f2");
  g_assert_cmpuint (a->rids->len, ==, 0);
  g_assert_false (a->simulcast);

  v = hz_sdp_session_find_media_by_mid (s, "1");
  g_assert_true (v == g_ptr_array_index (s->media, 1));
  g_assert_null (hz_sdp_session_find_media_by_mid (s, "2"));
  g_assert_cmpint (v->kind, ==, HZ_SDP_KIND_VIDEO);
  vcodecs = codec_list (v);
  g_assert_cmpstr (vcodecs, ==, "96:VP8 97:rtx 102:H264 103:rtx 104:H264 107:rtx 108:H264 109:rtx "
                                "114:H264 115:rtx 116:H264 117:rtx 39:H264 40:rtx 45:AV1 46:rtx "
                                "98:VP9 99:rtx 100:VP9 101:rtx 118:red 119:rtx 120:ulpfec");
  c = hz_sdp_media_find_codec (v, 96);
  g_assert_cmpuint (c->clock_rate, ==, 90000);
  g_assert_cmpuint (c->channels, ==, 0);
  g_assert_null (c->fmtp);
  fbs = join_fbs (c);
  g_assert_cmpstr (fbs, ==, "goog-remb|transport-cc|ccm fir|nack|nack pli");
  g_assert_cmpuint (hz_sdp_media_find_rtx (v, 96)->pt, ==, 97);
  g_assert_cmpuint (hz_sdp_media_find_rtx (v, 108)->pt, ==, 109);
  g_assert_null (hz_sdp_media_find_rtx (v, 120));
  g_assert_cmpstr (hz_sdp_media_find_codec (v, 108)->fmtp, ==,
                   "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f");
  g_assert_cmpuint (v->extmaps->len, ==, 11);
  g_assert_cmpuint (g_array_index (v->extmaps, HzSdpExtmap, 10).id, ==, 11);
  g_assert_cmpstr (g_array_index (v->extmaps, HzSdpExtmap, 10).uri, ==,
                   "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id");
  /* a=ssrc-group:FID 2882692182 4183192058 */
  g_assert_cmpuint (v->ssrcs->len, ==, 1);
  g_assert_cmpuint (g_array_index (v->ssrcs, guint32, 0), ==, 2882692182u);
  g_assert_cmpuint (v->rtx_ssrcs->len, ==, 1);
  g_assert_cmpuint (g_array_index (v->rtx_ssrcs, guint32, 0), ==, 4183192058u);
  g_assert_cmpstr (v->msid_track, ==, "3588484d-e13f-435e-adfd-02aa0bef517d");
}

static void
test_parse_offer_simulcast (void)
{
  g_autofree char *text = load ("chromium-offer-simulcast.sdp");
  g_autoptr (GError) error = NULL;
  g_autoptr (HzSdpSession) s = hz_sdp_parse (text, MAX_LEN, &error);
  HzSdpMedia *a, *v;

  g_assert_no_error (error);
  g_assert_cmpstr (s->ice_ufrag, ==, "rMU5");
  a = hz_sdp_session_find_media_by_mid (s, "0");
  g_assert_cmpint (a->direction, ==, HZ_SDP_DIRECTION_SENDONLY);
  g_assert_cmpuint (g_array_index (a->ssrcs, guint32, 0), ==, 254837313u);
  g_assert_cmpstr (a->cname, ==, "NWiDdEI5CV/ECzRn");
  v = hz_sdp_session_find_media_by_mid (s, "1");
  g_assert_cmpint (v->direction, ==, HZ_SDP_DIRECTION_SENDONLY);
  g_assert_true (v->simulcast);
  g_assert_cmpuint (v->rids->len, ==, 3);
  g_assert_cmpstr (g_ptr_array_index (v->rids, 0), ==, "q");
  g_assert_cmpstr (g_ptr_array_index (v->rids, 1), ==, "h");
  g_assert_cmpstr (g_ptr_array_index (v->rids, 2), ==, "f");
  /* rid-based simulcast: Chromium announces no ssrcs, streams are found by rid */
  g_assert_cmpuint (v->ssrcs->len, ==, 0);
  g_assert_cmpstr (v->msid_stream, ==, "ac24fbc6-4f64-49a8-9308-49ef71de25ad");
}

static void
test_answer_av (void)
{
  g_autofree char *text = load ("chromium-offer-av.sdp");
  g_autoptr (GError) error = NULL;
  g_autoptr (HzSdpSession) offer = hz_sdp_parse (text, MAX_LEN, &error);
  g_autoptr (HzSdpSession) acc = NULL;
  g_autoptr (HzSdpSession) back = NULL;
  g_autofree char *answer = hz_sdp_build_answer (offer, &local, &acc, &error);
  g_autoptr (GstSDPMessage) msg = NULL;
  const GstSDPMedia *a, *v;
  g_autofree char *afmt = NULL, *vfmt = NULL;
  const char *const mids[] = { "0", "1", NULL };

  g_assert_no_error (error);
  msg = gst_parse (answer);
  g_assert_cmpstr (gst_sdp_message_get_origin (msg)->sess_id, ==, "4242");
  g_assert_cmpstr (gst_sdp_message_get_origin (msg)->sess_version, ==, "7");
  g_assert_cmpstr (gst_sdp_message_get_attribute_val (msg, "group"), ==, "BUNDLE 0 1");
  g_assert_nonnull (gst_sdp_message_get_attribute_val (msg, "msid-semantic"));
  g_assert_cmpuint (gst_sdp_message_medias_len (msg), ==, 2);

  a = gst_sdp_message_get_media (msg, 0);
  g_assert_cmpstr (gst_sdp_media_get_media (a), ==, "audio");
  g_assert_cmpuint (gst_sdp_media_get_port (a), ==, 9);
  g_assert_cmpstr (gst_sdp_media_get_proto (a), ==, "UDP/TLS/RTP/SAVPF");
  afmt = formats (a);
  g_assert_cmpstr (afmt, ==, "63 111"); /* RED first (see /sdp/answer/red) */
  ASSERT_ATTRS (a, "mid", "0");
  ASSERT_ATTRS (a, "setup", "passive");
  ASSERT_ATTRS (a, "recvonly", "");
  ASSERT_ATTRS (a, "sendrecv", "");
  ASSERT_ATTRS (a, "rtcp-mux", "");
  ASSERT_ATTRS (a, "ice-options", "trickle");
  ASSERT_ATTRS (a, "ice-ufrag", "hzUf");
  ASSERT_ATTRS (a, "ice-pwd", "hzpwd0123456789abcdefghij");
  ASSERT_ATTRS (a, "fingerprint", "sha-256 AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99");
  ASSERT_ATTRS (a, "rtpmap", "63 red/48000/2|111 opus/48000/2");
  ASSERT_ATTRS (a, "fmtp", "63 111/111|111 minptime=10;useinbandfec=1");
  ASSERT_ATTRS (a, "rtcp-fb", "111 transport-cc");
  ASSERT_ATTRS (a, "extmap", "1 urn:ietf:params:rtp-hdrext:ssrc-audio-level|"
                             "2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time|"
                             "3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01|"
                             "4 urn:ietf:params:rtp-hdrext:sdes:mid");
  ASSERT_ATTRS (a, "candidate", "1 1 udp 2130706431 198.51.100.7 40000 typ host");
  ASSERT_ATTRS (a, "end-of-candidates", "");

  v = gst_sdp_message_get_media (msg, 1);
  vfmt = formats (v);
  g_assert_cmpstr (vfmt, ==, "96 97"); /* VP8 and its rtx only */
  ASSERT_ATTRS (v, "mid", "1");
  ASSERT_ATTRS (v, "setup", "passive");
  ASSERT_ATTRS (v, "recvonly", "");
  ASSERT_ATTRS (v, "rtpmap", "96 VP8/90000|97 rtx/90000");
  ASSERT_ATTRS (v, "fmtp", "97 apt=96");
  ASSERT_ATTRS (v, "rtcp-fb", "96 transport-cc|96 ccm fir|96 nack|96 nack pli"); /* no goog-remb */
  /* toffset(14), video-orientation(13), playout-delay(5), content-type(6),
   * timing(7), color-space(8) are dropped; the rest keep the offerer's ids */
  ASSERT_ATTRS (v, "extmap", "2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time|"
                             "3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01|"
                             "4 urn:ietf:params:rtp-hdrext:sdes:mid|"
                             "10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id|"
                             "11 urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id");
  ASSERT_ATTRS (v, "candidate", ""); /* candidates only on the first bundled m-line */
  ASSERT_ATTRS (v, "ssrc", "");      /* we send nothing on the publisher connection */

  /* what was accepted, for the lead's forwarding setup */
  g_assert_cmpint (acc->setup, ==, HZ_SDP_SETUP_ACTIVE); /* browser will be the DTLS client */
  g_assert_cmpstr (acc->ice_ufrag, ==, "1aXl");
  g_assert_cmpuint (acc->candidates->len, ==, 8);
  g_assert_cmpint (((HzSdpMedia *) g_ptr_array_index (acc->media, 0))->direction, ==, HZ_SDP_DIRECTION_RECVONLY);
  {
    HzSdpMedia *av = hz_sdp_session_find_media_by_mid (acc, "1");
    g_autofree char *list = codec_list (av);
    g_autofree char *fbs = join_fbs (g_ptr_array_index (av->codecs, 0));
    g_assert_cmpstr (list, ==, "96:VP8 97:rtx");
    g_assert_cmpstr (fbs, ==, "transport-cc|ccm fir|nack|nack pli");
    g_assert_cmpuint (av->extmaps->len, ==, 5);
    g_assert_cmpuint (g_array_index (av->ssrcs, guint32, 0), ==, 2882692182u);
    g_assert_cmpuint (g_array_index (av->rtx_ssrcs, guint32, 0), ==, 4183192058u);
  }
  /* our answer is valid input for our own parser too */
  back = hz_sdp_parse_answer (answer, MAX_LEN, mids, &error);
  g_assert_no_error (error);
  g_assert_cmpint (back->setup, ==, HZ_SDP_SETUP_PASSIVE);
  g_assert_cmpstr (back->ice_ufrag, ==, "hzUf");
}

static void
test_answer_codec_choice (void)
{
  g_autofree char *h264 = load ("chromium-offer-h264.sdp");
  g_autofree char *av = load ("chromium-offer-av.sdp");
  /* H264 listed before VP8: we still prefer VP8 */
  g_autofree char *h264_first = replace (av, "SAVPF 96 97 102 103 ", "SAVPF 102 103 96 97 ");
  g_autoptr (GError) error = NULL;
  g_autoptr (HzSdpSession) offer = hz_sdp_parse (h264, MAX_LEN, &error);
  g_autoptr (HzSdpSession) acc = NULL;
  g_autoptr (HzSdpSession) acc2 = NULL;
  g_autoptr (HzSdpSession) offer2 = NULL;
  g_autofree char *answer = hz_sdp_build_answer (offer, &local, &acc, &error);
  g_autofree char *answer2 = NULL;
  g_autofree char *list = NULL, *list2 = NULL;

  g_assert_no_error (error);
  /* first H264 with packetization-mode=1 and 42001f: 102, with its rtx 103 */
  list = codec_list (hz_sdp_session_find_media_by_mid (acc, "1"));
  g_assert_cmpstr (list, ==, "102:H264 103:rtx");
  g_assert_nonnull (strstr (answer, "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f\r\n"));
  g_assert_nonnull (strstr (answer, "a=fmtp:103 apt=102\r\n"));

  offer2 = hz_sdp_parse (h264_first, MAX_LEN, &error);
  g_assert_no_error (error);
  answer2 = hz_sdp_build_answer (offer2, &local, &acc2, &error);
  g_assert_no_error (error);
  list2 = codec_list (hz_sdp_session_find_media_by_mid (acc2, "1"));
  g_assert_cmpstr (list2, ==, "96:VP8 97:rtx");
}

static void
test_answer_simulcast (void)
{
  g_autofree char *text = load ("chromium-offer-simulcast.sdp");
  g_autoptr (GError) error = NULL;
  g_autoptr (HzSdpSession) offer = hz_sdp_parse (text, MAX_LEN, &error);
  g_autofree char *answer = hz_sdp_build_answer (offer, &local, NULL, &error);
  g_autoptr (GstSDPMessage) msg = NULL;

  g_assert_no_error (error);
  msg = gst_parse (answer);
  ASSERT_ATTRS (gst_sdp_message_get_media (msg, 0), "simulcast", "");
  ASSERT_ATTRS (gst_sdp_message_get_media (msg, 1), "rid", "q recv|h recv|f recv");
  ASSERT_ATTRS (gst_sdp_message_get_media (msg, 1), "simulcast", "recv q;h;f");
  ASSERT_ATTRS (gst_sdp_message_get_media (msg, 1), "recvonly", "");
}

static void
test_answer_datachannel_rejected (void)
{
  g_autofree char *text = load ("chromium-offer-datachannel.sdp");
  g_autoptr (GError) error = NULL;
  g_autoptr (HzSdpSession) offer = hz_sdp_parse (text, MAX_LEN, &error);
  g_autoptr (HzSdpSession) acc = NULL;
  g_autofree char *answer = NULL;
  g_autoptr (GstSDPMessage) msg = NULL;
  const GstSDPMedia *dc;
  g_autofree char *fmt = NULL;

  g_assert_no_error (error);
  g_assert_cmpint (((HzSdpMedia *) g_ptr_array_index (offer->media, 2))->kind, ==, HZ_SDP_KIND_APPLICATION);
  answer = hz_sdp_build_answer (offer, &local, &acc, &error);
  g_assert_no_error (error);
  msg = gst_parse (answer);
  g_assert_cmpuint (gst_sdp_message_medias_len (msg), ==, 3);
  g_assert_cmpstr (gst_sdp_message_get_attribute_val (msg, "group"), ==, "BUNDLE 0 1");
  dc = gst_sdp_message_get_media (msg, 2);
  g_assert_cmpstr (gst_sdp_media_get_media (dc), ==, "application");
  g_assert_cmpuint (gst_sdp_media_get_port (dc), ==, 0);
  g_assert_cmpstr (gst_sdp_media_get_proto (dc), ==, "UDP/DTLS/SCTP");
  fmt = formats (dc);
  g_assert_cmpstr (fmt, ==, "webrtc-datachannel");
  ASSERT_ATTRS (dc, "mid", "2");
  g_assert_true (((HzSdpMedia *) g_ptr_array_index (acc->media, 2))->rejected);
}

static void
assert_parse_error (const char *text, gsize max_len, HzSdpError code, const char *needle)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (HzSdpSession) s = hz_sdp_parse (text, max_len, &error);
  g_assert_null (s);
  g_assert_error (error, HZ_SDP_ERROR, (gint) code);
  if (strstr (error->message, needle) == NULL)
    g_error ("message '%s' does not name '%s'", error->message, needle);
}

static void
test_errors (void)
{
  g_autofree char *av = load ("chromium-offer-av.sdp");
  g_autofree char *no_fp = without_lines (av, "a=fingerprint");
  g_autofree char *no_mux = without_lines (av, "a=rtcp-mux");
  g_autofree char *no_bundle = without_lines (av, "a=group:BUNDLE");
  g_autofree char *no_ice = without_lines (av, "a=ice-ufrag");
  g_autofree char *no_setup = without_lines (av, "a=setup");
  g_autofree char *bad_ice = replace (av, "a=mid:1\r\n", "a=mid:1\r\na=ice-ufrag:other\r\n");
  g_autofree char *dup_mid = replace (av, "a=mid:1\r\n", "a=mid:0\r\n");
  g_autofree char *bad_rtpmap = replace (av, "a=rtpmap:96 VP8/90000", "a=rtpmap:96 VP8/ninety");
  g_autofree char *bad_pt = replace (av, "SAVPF 96 97 ", "SAVPF 96 x97 ");
  g_autofree char *empty_group = replace (av, "a=ssrc-group:FID 2882692182 4183192058", "a=ssrc-group:"); /* fuzz-sdp */
  g_autofree char *bad_fmtp = replace (av, "useinbandfec=1", "useinb\001andfec=1"); /* found by fuzz-sdp */
  g_autoptr (GString) many = g_string_new ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n");

  assert_parse_error (no_fp, MAX_LEN, HZ_SDP_ERROR_NO_FINGERPRINT, "a=fingerprint");
  assert_parse_error (no_mux, MAX_LEN, HZ_SDP_ERROR_NO_RTCP_MUX, "mid 0) has no a=rtcp-mux");
  assert_parse_error (no_bundle, MAX_LEN, HZ_SDP_ERROR_NO_BUNDLE, "BUNDLE");
  assert_parse_error (no_ice, MAX_LEN, HZ_SDP_ERROR_NO_ICE, "ice-ufrag");
  assert_parse_error (bad_ice, MAX_LEN, HZ_SDP_ERROR_NO_ICE, "mid 1): ICE credentials differ");
  assert_parse_error (no_setup, MAX_LEN, HZ_SDP_ERROR_NO_SETUP, "a=setup");
  assert_parse_error (dup_mid, MAX_LEN, HZ_SDP_ERROR_PARSE, "repeats mid 0");
  assert_parse_error (bad_rtpmap, MAX_LEN, HZ_SDP_ERROR_PARSE, "rtpmap:96 VP8/ninety");
  assert_parse_error (bad_pt, MAX_LEN, HZ_SDP_ERROR_PARSE, "'x97'");
  assert_parse_error ("hello, this is not SDP\r\n", MAX_LEN, HZ_SDP_ERROR_PARSE, "not an SDP");
  assert_parse_error ("v=0\r\n\xff\xfe\r\n", MAX_LEN, HZ_SDP_ERROR_PARSE, "UTF-8");
  assert_parse_error ("", MAX_LEN, HZ_SDP_ERROR_PARSE, "not an SDP");
  assert_parse_error (empty_group, MAX_LEN, HZ_SDP_ERROR_PARSE, "m-line 1: empty a=ssrc-group");
  assert_parse_error (bad_fmtp, MAX_LEN, HZ_SDP_ERROR_PARSE, "control character 0x01");
  assert_parse_error (av, strlen (av) - 1, HZ_SDP_ERROR_TOO_LARGE, "larger than");

  for (guint i = 0; i < 1000; i++)
    g_string_append_printf (many, "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:%u\r\na=rtcp-mux\r\n", i);
  assert_parse_error (many->str, 1024 * 1024, HZ_SDP_ERROR_TOO_LARGE, "1000 m-lines");
}

static void
test_unsupported_codec (void)
{
  g_autofree char *av = load ("chromium-offer-av.sdp");
  /* video offering only VP9 (98) and H264 packetization-mode=0 (104) */
  g_autofree char *video = replace (av, "SAVPF 96 97 102 103 104 107 108 109 114 115 116 117 39 40 45 46 98 99 100 101 118 119 120",
                                    "SAVPF 98 99 104 107");
  g_autofree char *audio = replace (av, "SAVPF 111 63 9 0 8 13 110 126", "SAVPF 9 0 8");
  struct { const char *text, *needle; } cases[] = {
    { video, "mid 1): no supported video codec" },
    { audio, "mid 0): no supported audio codec" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (HzSdpSession) offer = hz_sdp_parse (cases[i].text, MAX_LEN, &error);
    g_autoptr (HzSdpSession) acc = NULL;
    g_autofree char *answer = NULL;
    g_assert_no_error (error);
    answer = hz_sdp_build_answer (offer, &local, &acc, &error);
    g_assert_null (answer);
    g_assert_null (acc);
    g_assert_error (error, HZ_SDP_ERROR, HZ_SDP_ERROR_UNSUPPORTED_CODEC);
    g_assert_nonnull (strstr (error->message, cases[i].needle));
  }
}

static HzSdpOutTrack *
out_track (const char *mid, HzSdpKind kind, gboolean active, guint32 ssrc)
{
  HzSdpOutTrack *t = hz_sdp_out_track_new ();
  t->mid = g_strdup (mid);
  t->kind = kind;
  t->active = active;
  t->ssrc = ssrc;
  t->stream_id = g_strdup ("alice");
  t->track_id = g_strdup_printf ("alice-%s", mid);
  t->cname = g_strdup ("hz");
  t->extmaps = hz_sdp_extmaps_new ();
  hz_sdp_extmaps_add (t->extmaps, 4, "urn:ietf:params:rtp-hdrext:sdes:mid");
  if (kind == HZ_SDP_KIND_AUDIO) {
    t->codec = hz_sdp_codec_new (111, "opus", 48000, 2, "minptime=10;useinbandfec=1");
    g_ptr_array_add (t->codec->rtcp_fbs, g_strdup ("transport-cc"));
  } else {
    t->codec = hz_sdp_codec_new (96, "VP8", 90000, 0, NULL);
    g_ptr_array_add (t->codec->rtcp_fbs, g_strdup ("nack"));
    g_ptr_array_add (t->codec->rtcp_fbs, g_strdup ("nack pli"));
    t->rtx_pt = 97;
    t->rtx_ssrc = ssrc + 1;
  }
  return t;
}

static void
test_subscriber_offer_empty (void)
{
  g_autoptr (GPtrArray) tracks = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *offer = hz_sdp_build_subscriber_offer (&local, tracks, 3, &error);
  g_autoptr (GstSDPMessage) msg = NULL;
  g_autoptr (HzSdpSession) answer = NULL;
  const char *chromium_empty_answer =
    "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=msid-semantic: WMS\r\n";
  const char *const no_mids[] = { NULL };

  g_assert_no_error (error);
  msg = gst_parse (offer);
  g_assert_cmpuint (gst_sdp_message_medias_len (msg), ==, 0);
  g_assert_cmpstr (gst_sdp_message_get_origin (msg)->sess_version, ==, "3");
  g_assert_null (gst_sdp_message_get_attribute_val (msg, "group"));
  /* Chromium's answer to it has no m-lines and no transport either */
  answer = hz_sdp_parse_answer (chromium_empty_answer, MAX_LEN, no_mids, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (answer->media->len, ==, 0);
  g_assert_cmpint (answer->setup, ==, HZ_SDP_SETUP_NONE);
}

static void
test_subscriber_offer_tracks (void)
{
  g_autoptr (GPtrArray) tracks = g_ptr_array_new_with_free_func ((GDestroyNotify) hz_sdp_out_track_free);
  g_autoptr (GError) error = NULL;
  g_autofree char *one = NULL, *three = NULL;
  g_autoptr (GstSDPMessage) msg1 = NULL;
  g_autoptr (GstSDPMessage) msg3 = NULL;
  g_autoptr (HzSdpSession) back = NULL;
  const GstSDPMedia *m;
  HzSdpMedia *hm;

  g_ptr_array_add (tracks, out_track ("a0", HZ_SDP_KIND_AUDIO, TRUE, 1000));
  one = hz_sdp_build_subscriber_offer (&local, tracks, 1, &error);
  g_assert_no_error (error);
  msg1 = gst_parse (one);
  g_assert_cmpuint (gst_sdp_message_medias_len (msg1), ==, 1);
  g_assert_cmpstr (gst_sdp_message_get_attribute_val (msg1, "group"), ==, "BUNDLE a0");
  m = gst_sdp_message_get_media (msg1, 0);
  ASSERT_ATTRS (m, "setup", "actpass");
  ASSERT_ATTRS (m, "sendonly", "");
  ASSERT_ATTRS (m, "rtcp-mux", "");
  ASSERT_ATTRS (m, "ice-options", "trickle");
  ASSERT_ATTRS (m, "msid", "alice alice-a0");
  ASSERT_ATTRS (m, "ssrc", "1000 cname:hz|1000 msid:alice alice-a0");
  ASSERT_ATTRS (m, "rtpmap", "111 opus/48000/2");
  ASSERT_ATTRS (m, "extmap", "4 urn:ietf:params:rtp-hdrext:sdes:mid");

  /* renegotiation: two video tracks appended, the middle one inactive */
  g_ptr_array_add (tracks, out_track ("v1", HZ_SDP_KIND_VIDEO, FALSE, 2000));
  g_ptr_array_add (tracks, out_track ("v2", HZ_SDP_KIND_VIDEO, TRUE, 3000));
  three = hz_sdp_build_subscriber_offer (&local, tracks, 2, &error);
  g_assert_no_error (error);
  msg3 = gst_parse (three);
  g_assert_cmpuint (gst_sdp_message_medias_len (msg3), ==, 3);
  g_assert_cmpstr (gst_sdp_message_get_attribute_val (msg3, "group"), ==, "BUNDLE a0 v1 v2");
  ASSERT_ATTRS (gst_sdp_message_get_media (msg3, 0), "mid", "a0");
  m = gst_sdp_message_get_media (msg3, 1);
  ASSERT_ATTRS (m, "mid", "v1");
  ASSERT_ATTRS (m, "inactive", "");
  ASSERT_ATTRS (m, "sendonly", "");
  ASSERT_ATTRS (m, "ssrc", "");
  ASSERT_ATTRS (m, "msid", "");
  ASSERT_ATTRS (m, "rtpmap", "96 VP8/90000|97 rtx/90000");
  m = gst_sdp_message_get_media (msg3, 2);
  ASSERT_ATTRS (m, "mid", "v2");
  ASSERT_ATTRS (m, "sendonly", "");
  ASSERT_ATTRS (m, "rtcp-fb", "96 nack|96 nack pli");
  ASSERT_ATTRS (m, "fmtp", "97 apt=96");
  ASSERT_ATTRS (m, "ssrc-group", "FID 3000 3001");
  ASSERT_ATTRS (m, "ssrc", "3000 cname:hz|3000 msid:alice alice-v2|3001 cname:hz|3001 msid:alice alice-v2");
  ASSERT_ATTRS (m, "candidate", "");
  ASSERT_ATTRS (gst_sdp_message_get_media (msg3, 0), "candidate",
                "1 1 udp 2130706431 198.51.100.7 40000 typ host");

  /* and it reads back through our own parser with the same ssrcs */
  back = hz_sdp_parse (three, MAX_LEN, &error);
  g_assert_no_error (error);
  g_assert_cmpint (back->setup, ==, HZ_SDP_SETUP_ACTPASS);
  hm = hz_sdp_session_find_media_by_mid (back, "v2");
  g_assert_cmpuint (g_array_index (hm->ssrcs, guint32, 0), ==, 3000);
  g_assert_cmpuint (g_array_index (hm->rtx_ssrcs, guint32, 0), ==, 3001);
  g_assert_cmpstr (hm->cname, ==, "hz");
  g_assert_cmpstr (hm->msid_track, ==, "alice-v2");
  g_assert_cmpint (hz_sdp_session_find_media_by_mid (back, "v1")->direction, ==, HZ_SDP_DIRECTION_INACTIVE);
}

static void
test_subscriber_offer_invalid (void)
{
  g_autoptr (GPtrArray) tracks = g_ptr_array_new_with_free_func ((GDestroyNotify) hz_sdp_out_track_free);
  g_autoptr (GError) error = NULL;
  g_autofree char *offer = NULL;
  HzSdpOutTrack *t;

  g_ptr_array_add (tracks, out_track ("a0", HZ_SDP_KIND_AUDIO, TRUE, 1000));
  g_ptr_array_add (tracks, out_track ("a0", HZ_SDP_KIND_AUDIO, TRUE, 2000));
  offer = hz_sdp_build_subscriber_offer (&local, tracks, 1, &error);
  g_assert_null (offer);
  g_assert_error (error, HZ_SDP_ERROR, HZ_SDP_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "repeats the mid"));
  g_clear_error (&error);

  t = g_ptr_array_index (tracks, 1);
  g_free (t->mid);
  t->mid = g_strdup ("a1");
  g_free (t->track_id);
  t->track_id = g_strdup ("evil\r\na=setup:active"); /* no line injection */
  offer = hz_sdp_build_subscriber_offer (&local, tracks, 1, &error);
  g_assert_null (offer);
  g_assert_error (error, HZ_SDP_ERROR, HZ_SDP_ERROR_INVALID_ARGUMENT);
}

static void
test_parse_subscriber_answer (void)
{
  g_autofree char *text = load ("chromium-answer-subscriber.sdp");
  g_autofree char *actpass = replace (text, "a=setup:active", "a=setup:actpass");
  const char *const mids[] = { "0", "1", "2", NULL };
  const char *const two_mids[] = { "0", "1", NULL };
  const char *const wrong_mids[] = { "0", "7", "2", NULL };
  g_autoptr (GError) error = NULL;
  g_autoptr (HzSdpSession) s = hz_sdp_parse_answer (text, MAX_LEN, mids, &error);
  HzSdpSession *bad;

  g_assert_no_error (error);
  g_assert_cmpint (s->setup, ==, HZ_SDP_SETUP_ACTIVE);
  g_assert_cmpstr (s->ice_ufrag, ==, "/PGE");
  g_assert_cmpstr (s->ice_pwd, ==, "BLUEMY8dAV7+FaPd/5oFMoLV");
  g_assert_cmpstr (s->fp_value, ==, "ED:75:EA:D0:59:93:34:AD:3F:77:EB:6B:18:77:A1:ED:D1:81:BE:01:72:02:3E:23:49:B3:45:58:00:1B:DF:B4");
  g_assert_cmpuint (s->candidates->len, ==, 4);
  g_assert_cmpint (((HzSdpMedia *) g_ptr_array_index (s->media, 0))->direction, ==, HZ_SDP_DIRECTION_RECVONLY);
  g_assert_cmpint (((HzSdpMedia *) g_ptr_array_index (s->media, 1))->direction, ==, HZ_SDP_DIRECTION_INACTIVE);
  g_assert_false (((HzSdpMedia *) g_ptr_array_index (s->media, 2))->rejected);

  bad = hz_sdp_parse_answer (text, MAX_LEN, two_mids, &error);
  g_assert_null (bad);
  g_assert_error (error, HZ_SDP_ERROR, HZ_SDP_ERROR_MISMATCH);
  g_clear_error (&error);
  bad = hz_sdp_parse_answer (text, MAX_LEN, wrong_mids, &error);
  g_assert_null (bad);
  g_assert_error (error, HZ_SDP_ERROR, HZ_SDP_ERROR_MISMATCH);
  g_assert_nonnull (strstr (error->message, "mid 1, the offer had 7"));
  g_clear_error (&error);
  bad = hz_sdp_parse_answer (actpass, MAX_LEN, mids, &error);
  g_assert_null (bad);
  g_assert_error (error, HZ_SDP_ERROR, HZ_SDP_ERROR_NO_SETUP);
}

/* Chromium offers red/48000/2 with fmtp 111/111 (RFC 2198 around Opus): the
 * answer keeps RED first so Chromium sends it, Opus (with useinbandfec=1)
 * second; a RED we cannot use is dropped and plain Opus answered. */
static void
check_red_answer (const char *offer_text, const char *want_formats, const char *want_codecs)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (HzSdpSession) offer = hz_sdp_parse (offer_text, MAX_LEN, &error);
  g_autoptr (HzSdpSession) acc = NULL;
  g_autoptr (HzSdpSession) back = NULL;
  g_autoptr (GstSDPMessage) msg = NULL;
  g_autofree char *answer = hz_sdp_build_answer (offer, &local, &acc, &error);
  g_autofree char *fmts = NULL, *acc_list = NULL, *back_list = NULL;

  g_assert_no_error (error);
  msg = gst_parse (answer);
  fmts = formats (gst_sdp_message_get_media (msg, 0));
  g_assert_cmpstr (fmts, ==, want_formats);
  acc_list = codec_list (g_ptr_array_index (acc->media, 0));
  g_assert_cmpstr (acc_list, ==, want_codecs);
  back = hz_sdp_parse_answer (answer, MAX_LEN, NULL, &error);
  g_assert_no_error (error);
  back_list = codec_list (g_ptr_array_index (back->media, 0));
  g_assert_cmpstr (back_list, ==, want_codecs);
}

static void
test_answer_red (void)
{
  g_autofree char *text = load ("captured-chromium-offer-av.sdp");
  g_autofree char *no_red = without_lines (text, "a=rtpmap:63 ");
  g_autofree char *no_red2 = replace (no_red, "SAVPF 111 63 9", "SAVPF 111 9"); /* fmtp:63 ignored */
  g_autofree char *g722 = replace (text, "a=fmtp:63 111/111", "a=fmtp:63 9/9");
  g_autofree char *single = replace (text, "a=fmtp:63 111/111", "a=fmtp:63 111");
  g_autofree char *mixed = replace (text, "a=fmtp:63 111/111", "a=fmtp:63 111/9");
  g_autofree char *triple = replace (text, "a=fmtp:63 111/111", "a=fmtp:63 111/111/111");
  g_autofree char *mono = replace (text, "a=rtpmap:63 red/48000/2", "a=rtpmap:63 red/48000");
  g_autoptr (GError) error = NULL;
  g_autoptr (HzSdpSession) offer = hz_sdp_parse (text, MAX_LEN, &error);
  g_autoptr (HzSdpSession) acc = NULL;
  g_autofree char *answer = hz_sdp_build_answer (offer, &local, &acc, &error);
  g_autofree char *vlist = NULL;
  HzSdpMedia *am;

  /* the lines themselves: /sdp/answer/av; out_accepted: codecs[0] red,
   * codecs[1] the opus inside it, and video untouched (no red/90000) */
  g_assert_no_error (error);
  am = g_ptr_array_index (acc->media, 0);
  g_assert_true (hz_sdp_codec_is_red (g_ptr_array_index (am->codecs, 0)));
  g_assert_true (hz_sdp_media_find_red (am, 111) == g_ptr_array_index (am->codecs, 0));
  g_assert_null (hz_sdp_media_find_red (am, 9));
  g_assert_cmpstr (((HzSdpCodec *) g_ptr_array_index (am->codecs, 1))->fmtp, ==, "minptime=10;useinbandfec=1");
  vlist = codec_list (g_ptr_array_index (acc->media, 1));
  g_assert_cmpstr (vlist, ==, "96:VP8 97:rtx");
  check_red_answer (text, "63 111", "63:red 111:opus");
  check_red_answer (triple, "63 111", "63:red 111:opus");
  check_red_answer (no_red2, "111", "111:opus");
  check_red_answer (g722, "111", "111:opus");   /* RED around another codec */
  check_red_answer (single, "111", "111:opus"); /* no redundancy in it */
  check_red_answer (mixed, "111", "111:opus");
  check_red_answer (mono, "111", "111:opus");   /* channels differ from opus */
  /* Opus offered without useinbandfec: the answer asks for in-band FEC;
   * an explicit useinbandfec=0 is left alone */
  {
    g_autofree char *no_fec = replace (text, "a=fmtp:111 minptime=10;useinbandfec=1", "a=fmtp:111 minptime=10");
    g_autofree char *fec0 = replace (text, "useinbandfec=1", "useinbandfec=0");
    g_autoptr (HzSdpSession) o1 = hz_sdp_parse (no_fec, MAX_LEN, &error);
    g_autoptr (HzSdpSession) o2 = hz_sdp_parse (fec0, MAX_LEN, &error);
    g_autoptr (HzSdpSession) a1 = NULL;
    g_autoptr (HzSdpSession) a2 = NULL;
    g_autofree char *t1 = hz_sdp_build_answer (o1, &local, &a1, &error);
    g_autofree char *t2 = hz_sdp_build_answer (o2, &local, &a2, &error);

    g_assert_no_error (error);
    g_assert_cmpstr (((HzSdpCodec *) g_ptr_array_index (((HzSdpMedia *) g_ptr_array_index (a1->media, 0))->codecs, 1))->fmtp,
                     ==, "minptime=10;useinbandfec=1");
    g_assert_nonnull (strstr (t1, "a=fmtp:111 minptime=10;useinbandfec=1"));
    g_assert_cmpstr (((HzSdpCodec *) g_ptr_array_index (((HzSdpMedia *) g_ptr_array_index (a2->media, 0))->codecs, 1))->fmtp,
                     ==, "minptime=10;useinbandfec=0");
    g_assert_nonnull (t2);
  }
}

/* A subscriber m-line with RED as the codec and Opus as the secondary. */
static void
test_subscriber_offer_red (void)
{
  g_autoptr (GPtrArray) tracks = g_ptr_array_new_with_free_func ((GDestroyNotify) hz_sdp_out_track_free);
  g_autoptr (GError) error = NULL;
  g_autoptr (GstSDPMessage) msg = NULL;
  g_autoptr (HzSdpSession) back = NULL;
  g_autofree char *offer = NULL, *again = NULL, *fmts = NULL, *list = NULL;
  HzSdpOutTrack *t = out_track ("a0", HZ_SDP_KIND_AUDIO, TRUE, 1000);
  const GstSDPMedia *m;
  HzSdpMedia *hm;

  t->secondary = g_steal_pointer (&t->codec); /* the opus from out_track() */
  t->codec = hz_sdp_codec_new (63, "red", 48000, 2, "111/111");
  g_ptr_array_add (tracks, t);
  offer = hz_sdp_build_subscriber_offer (&local, tracks, 1, &error);
  g_assert_no_error (error);
  msg = gst_parse (offer);
  m = gst_sdp_message_get_media (msg, 0);
  fmts = formats (m);
  g_assert_cmpstr (fmts, ==, "63 111");
  ASSERT_ATTRS (m, "rtpmap", "63 red/48000/2|111 opus/48000/2");
  ASSERT_ATTRS (m, "fmtp", "63 111/111|111 minptime=10;useinbandfec=1");
  ASSERT_ATTRS (m, "rtcp-fb", "111 transport-cc");
  ASSERT_ATTRS (m, "ssrc", "1000 cname:hz|1000 msid:alice alice-a0");
  /* GStreamer prints back what it read, and our parser reads that */
  again = gst_sdp_message_as_text (msg);
  back = hz_sdp_parse (again, MAX_LEN, &error);
  g_assert_no_error (error);
  hm = g_ptr_array_index (back->media, 0);
  list = codec_list (hm);
  g_assert_cmpstr (list, ==, "63:red 111:opus");
  g_assert_true (hz_sdp_media_find_red (hm, 111) == g_ptr_array_index (hm->codecs, 0));
  g_assert_cmpuint (((HzSdpCodec *) g_ptr_array_index (hm->codecs, 1))->channels, ==, 2);

  /* a secondary that collides with the codec or the rtx pt is refused */
  t->secondary->pt = 63;
  g_assert_null (hz_sdp_build_subscriber_offer (&local, tracks, 2, &error));
  g_assert_error (error, HZ_SDP_ERROR, HZ_SDP_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  t->secondary->pt = t->rtx_pt = 111;
  t->rtx_ssrc = 1001;
  g_assert_null (hz_sdp_build_subscriber_offer (&local, tracks, 2, &error));
  g_assert_error (error, HZ_SDP_ERROR, HZ_SDP_ERROR_INVALID_ARGUMENT);
}

/* SDPs captured from real browsers by the web client (tests/fixtures/captured-*.sdp) */
static void
test_captured (void)
{
  g_autofree char *dir = g_test_build_filename (G_TEST_DIST, "fixtures", NULL);
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  guint n = 0;

  g_assert_nonnull (d);
  while ((name = g_dir_read_name (d)) != NULL) {
    g_autofree char *text = NULL;
    g_autoptr (GError) error = NULL;
    g_autoptr (HzSdpSession) s = NULL;
    if (!g_str_has_prefix (name, "captured-") || !g_str_has_suffix (name, ".sdp"))
      continue;
    g_test_message ("captured fixture %s", name);
    text = load (name);
    s = hz_sdp_parse (text, MAX_LEN, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (s->media->len, >, 0);
    if (s->setup == HZ_SDP_SETUP_ACTPASS) { /* an offer: we must be able to answer it */
      g_autoptr (HzSdpSession) back = NULL;
      g_autofree char *answer = hz_sdp_build_answer (s, &local, NULL, &error);
      g_assert_no_error (error);
      back = hz_sdp_parse_answer (answer, MAX_LEN, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (back->media->len, ==, s->media->len);
    } else {
      g_autoptr (HzSdpSession) ans = hz_sdp_parse_answer (text, MAX_LEN, NULL, &error);
      g_assert_no_error (error);
    }
    n++;
  }
  if (n == 0)
    g_test_skip ("no captured-*.sdp fixtures");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sdp/parse/offer-av", test_parse_offer_av);
  g_test_add_func ("/sdp/parse/offer-simulcast", test_parse_offer_simulcast);
  g_test_add_func ("/sdp/parse/errors", test_errors);
  g_test_add_func ("/sdp/parse/subscriber-answer", test_parse_subscriber_answer);
  g_test_add_func ("/sdp/parse/captured", test_captured);
  g_test_add_func ("/sdp/answer/av", test_answer_av);
  g_test_add_func ("/sdp/answer/codec-choice", test_answer_codec_choice);
  g_test_add_func ("/sdp/answer/simulcast", test_answer_simulcast);
  g_test_add_func ("/sdp/answer/datachannel-rejected", test_answer_datachannel_rejected);
  g_test_add_func ("/sdp/answer/unsupported-codec", test_unsupported_codec);
  g_test_add_func ("/sdp/answer/red", test_answer_red);
  g_test_add_func ("/sdp/subscriber-offer/empty", test_subscriber_offer_empty);
  g_test_add_func ("/sdp/subscriber-offer/tracks", test_subscriber_offer_tracks);
  g_test_add_func ("/sdp/subscriber-offer/invalid", test_subscriber_offer_invalid);
  g_test_add_func ("/sdp/subscriber-offer/red", test_subscriber_offer_red);
  return g_test_run ();
}
