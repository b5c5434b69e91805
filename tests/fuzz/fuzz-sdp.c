/* fuzz-sdp: any bytes through the SDP layer (signaling/hz-sdp). Parses as a
 * publisher offer and as a subscriber answer; when the offer parses, answers
 * it, checks our answer reads back through our own parser with the same
 * m-lines, and offers the accepted tracks on a subscriber connection, which
 * must read back too. Invariant failures abort, so libFuzzer reports them. */
#include "hz-sdp.h"

#include <stdint.h>
#include <string.h>

#define MAX_LEN (64 * 1024)

static const char *const candidates[] = { "candidate:1 1 udp 2130706431 127.0.0.1 40000 typ host", NULL };
static const HzSdpLocal local = {
  .ice_ufrag = "fuzz", .ice_pwd = "fuzzfuzzfuzzfuzzfuzzfuzz", .fp_algorithm = "sha-256",
  .fp_value = "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF",
  .session_id = 1, .session_version = 1, .candidates = candidates, .end_of_candidates = TRUE,
};

/* the accepted m-lines of a publisher, as the lead would forward them */
static GPtrArray *
tracks_from (const HzSdpSession *acc)
{
  GPtrArray *tracks = g_ptr_array_new_with_free_func ((GDestroyNotify) hz_sdp_out_track_free);
  for (guint i = 0; i < acc->media->len; i++) {
    const HzSdpMedia *m = g_ptr_array_index (acc->media, i);
    HzSdpOutTrack *t;
    HzSdpCodec *rtx = NULL, *secondary = NULL;
    if (m->rejected)
      continue;
    /* audio with RED: red then its opus; video: the codec then its rtx */
    if (m->codecs->len > 1 && hz_sdp_codec_is_red (g_ptr_array_index (m->codecs, 0)))
      secondary = g_ptr_array_index (m->codecs, 1);
    else if (m->codecs->len > 1)
      rtx = g_ptr_array_index (m->codecs, 1);
    t = hz_sdp_out_track_new ();
    t->mid = g_strdup_printf ("s%u", i);
    t->kind = m->kind;
    t->active = m->direction != HZ_SDP_DIRECTION_INACTIVE;
    t->codec = hz_sdp_codec_copy (g_ptr_array_index (m->codecs, 0));
    t->secondary = secondary != NULL ? hz_sdp_codec_copy (secondary) : NULL;
    t->rtx_pt = rtx != NULL ? rtx->pt : 0;
    t->ssrc = 1000 + i * 2;
    t->rtx_ssrc = t->ssrc + 1;
    t->stream_id = g_strdup ("stream");
    t->track_id = g_strdup_printf ("track%u", i);
    t->extmaps = hz_sdp_extmaps_new ();
    for (guint j = 0; j < m->extmaps->len; j++) {
      const HzSdpExtmap *e = &g_array_index (m->extmaps, HzSdpExtmap, j);
      hz_sdp_extmaps_add (t->extmaps, e->id, e->uri);
    }
    g_ptr_array_add (tracks, t);
  }
  return tracks;
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *text = g_strndup ((const char *) data, size);
  g_autoptr (GError) error = NULL;
  g_autoptr (HzSdpSession) offer = NULL;
  g_autoptr (HzSdpSession) answer_in = NULL;
  g_autoptr (HzSdpSession) acc = NULL;
  g_autoptr (HzSdpSession) back = NULL;
  g_autoptr (HzSdpSession) sub_back = NULL;
  g_autoptr (GPtrArray) tracks = NULL;
  g_autofree char *answer = NULL;
  g_autofree char *sub_offer = NULL;

  answer_in = hz_sdp_parse_answer (text, MAX_LEN, NULL, &error);
  g_clear_error (&error);
  offer = hz_sdp_parse (text, MAX_LEN, &error);
  if (offer == NULL) {
    if (error == NULL)
      abort (); /* every failure must explain itself */
    return 0;
  }
  answer = hz_sdp_build_answer (offer, &local, &acc, &error);
  if (answer == NULL) {
    if (error == NULL || acc != NULL)
      abort ();
    return 0;
  }
  back = hz_sdp_parse_answer (answer, 4 * MAX_LEN, NULL, &error);
  if (back == NULL || back->media->len != offer->media->len)
    abort (); /* an answer we cannot read back ourselves */

  tracks = tracks_from (acc);
  sub_offer = hz_sdp_build_subscriber_offer (&local, tracks, 2, &error);
  if (sub_offer == NULL)
    abort ();
  sub_back = hz_sdp_parse (sub_offer, 4 * MAX_LEN, &error);
  if (sub_back == NULL || sub_back->media->len != tracks->len)
    abort ();
  return 0;
}
