/* fuzz-sdp-offer: the subscriber-offer builder (signaling/hz-sdp-build)
 * round trip. The input is read as a list of tracks (kind, codec, payload
 * types, ssrcs, mid, ids, extmaps; strings either from a small dictionary or
 * raw UTF-8 from the input), built into an offer, read back with our own
 * parser, answered as a browser would, and the answer read back with the
 * offered mids.
 * Invariants: the builder refuses only with INVALID_ARGUMENT or TOO_LARGE;
 * an offer it builds parses, with the same m-lines, mids, kinds, codecs and
 * ssrcs; an answer we build to it parses as an answer to those mids. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hz-sdp.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

typedef struct {
  const uint8_t *p;
  size_t n;
} Reader;

static guint
take (Reader *r)
{
  guint v;
  if (r->n == 0)
    return 0;
  v = r->p[0];
  r->p++;
  r->n--;
  return v;
}

static guint32
take32 (Reader *r)
{
  return (take (r) << 24) | (take (r) << 16) | (take (r) << 8) | take (r);
}

static const char *const dict[] = {
  "0", "1", "a", "audio", "video", "opus", "VP8", "H264", "rtx", "stream", "track",
  "minptime=10;useinbandfec=1", "packetization-mode=1;profile-level-id=42e01f",
  "urn:ietf:params:rtp-hdrext:sdes:mid", "urn:ietf:params:rtp-hdrext:ssrc-audio-level",
  "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
  "nack", "nack pli", "ccm fir", "transport-cc", "", "x y", "a\r\nb", "{}",
};

/* a dictionary word, NULL, or up to 31 raw bytes made valid UTF-8 */
static char *
take_string (Reader *r)
{
  guint sel = take (r);
  if (sel < 0x80)
    return g_strdup (dict[sel % G_N_ELEMENTS (dict)]);
  if (sel < 0x90)
    return NULL;
  {
    size_t len = MIN ((size_t) (sel & 0x1f), r->n);
    g_autofree char *raw = g_strndup ((const char *) r->p, len);
    r->p += len;
    r->n -= len;
    return g_utf8_make_valid (raw, -1);
  }
}

static HzSdpOutTrack *
take_track (Reader *r)
{
  HzSdpOutTrack *t = hz_sdp_out_track_new ();
  guint flags = take (r);
  g_autofree char *name = take_string (r);
  g_autofree char *fmtp = take_string (r);
  guint pt = take (r);
  guint n_ext = take (r) % 4;
  guint n_fb = take (r) % 3;

  t->kind = flags & 1 ? HZ_SDP_KIND_VIDEO : (flags & 2 ? HZ_SDP_KIND_AUDIO : (HzSdpKind) (flags >> 6));
  t->active = (flags & 4) != 0;
  t->mid = take_string (r);
  t->codec = name != NULL ? hz_sdp_codec_new (pt, name, flags & 1 ? 90000 : (flags & 8 ? 0 : 48000),
                                              flags & 1 ? 0 : 2, fmtp) : NULL;
  for (guint i = 0; t->codec != NULL && i < n_fb; i++) {
    char *fb = take_string (r);
    if (fb != NULL)
      g_ptr_array_add (t->codec->rtcp_fbs, fb);
  }
  t->rtx_pt = flags & 16 ? take (r) : 0;
  t->ssrc = take32 (r);
  t->rtx_ssrc = flags & 32 ? take32 (r) : t->ssrc + 1;
  t->stream_id = take_string (r);
  t->track_id = take_string (r);
  t->cname = take_string (r);
  if (n_ext > 0) {
    t->extmaps = hz_sdp_extmaps_new ();
    for (guint i = 0; i < n_ext; i++) {
      g_autofree char *uri = take_string (r);
      guint id = take (r);
      if (uri != NULL)
        hz_sdp_extmaps_add (t->extmaps, id, uri);
    }
  }
  return t;
}

static gboolean
is_blank (const char *s)
{
  return strspn (s, " ") == strlen (s);
}

static void
check_answer (const HzSdpSession *offer, GPtrArray *tracks)
{
  static const HzSdpLocal browser = {
    .ice_ufrag = "brws", .ice_pwd = "browserbrowserbrowser123", .fp_algorithm = "sha-256",
    .fp_value = "AA:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF",
    .session_id = 7, .session_version = 1,
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(HzSdpSession) back = NULL;
  g_autofree char *answer = hz_sdp_build_answer (offer, &browser, NULL, &error);
  g_autofree const char **mids = g_new0 (const char *, tracks->len + 1);

  if (answer == NULL)
    return;
  for (guint i = 0; i < tracks->len; i++)
    mids[i] = ((HzSdpOutTrack *) g_ptr_array_index (tracks, i))->mid;
  back = hz_sdp_parse_answer (answer, 256 * 1024, mids, &error);
  if (back == NULL)
    abort (); /* an answer to our own offer that we cannot read */
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static const char *const candidates[] = { "candidate:1 1 udp 2130706431 127.0.0.1 40000 typ host", NULL };
  static const HzSdpLocal local = {
    .ice_ufrag = "fuzz", .ice_pwd = "fuzzfuzzfuzzfuzzfuzzfuzz", .fp_algorithm = "sha-256",
    .fp_value = "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF",
    .session_id = 1, .session_version = 1, .candidates = candidates, .end_of_candidates = TRUE,
  };
  g_autoptr(GPtrArray) tracks = g_ptr_array_new_with_free_func ((GDestroyNotify) hz_sdp_out_track_free);
  g_autoptr(GError) error = NULL;
  g_autoptr(HzSdpSession) back = NULL;
  g_autofree char *offer = NULL;
  Reader r = { data, size };
  guint n = take (&r) % 70; /* past HZ_SDP_MAX_MEDIA too */

  for (guint i = 0; i < n; i++)
    g_ptr_array_add (tracks, take_track (&r));
  offer = hz_sdp_build_subscriber_offer (&local, tracks, 2, &error);
  if (offer == NULL) {
    if (!g_error_matches (error, HZ_SDP_ERROR, HZ_SDP_ERROR_INVALID_ARGUMENT) &&
        !g_error_matches (error, HZ_SDP_ERROR, HZ_SDP_ERROR_TOO_LARGE))
      abort ();
    return 0;
  }
  /* Known divergences, reported to the SDP owner (docs/HARDENING.md): the
   * builder takes mids and codec names of any length, codec names with '/'
   * (which splits a=rtpmap) and an fmtp or rtcp-fb of only spaces; our parser takes at most 64 octets (RFC 8843's sdes:mid
   * header extension carries 16) and refuses a blank fmtp or rtcp-fb. Such strings never come
   * out of our parser, which is where the server's tracks come from. Until
   * check_track() in hz-sdp-build.c refuses them, those offers are not read
   * back (corpus/sdp-offer/crash-*). */
  for (guint i = 0; i < tracks->len; i++) {
    const HzSdpOutTrack *t = g_ptr_array_index (tracks, i);
    const char *fmtp = t->codec->fmtp;
    if (strlen (t->mid) > 64 || strlen (t->codec->name) > 64 || strchr (t->codec->name, '/') != NULL ||
        (fmtp != NULL && *fmtp != '\0' && is_blank (fmtp)))
      return 0;
    for (guint j = 0; j < t->codec->rtcp_fbs->len; j++)
      if (is_blank (g_ptr_array_index (t->codec->rtcp_fbs, j)))
        return 0;
  }
  back = hz_sdp_parse (offer, 256 * 1024, &error);
  if (back == NULL || back->media->len != tracks->len) {
    g_printerr ("our own offer does not parse: %s\n%s\n", error != NULL ? error->message : "m-line count", offer);
    abort ();
  }
  for (guint i = 0; i < tracks->len; i++) {
    const HzSdpOutTrack *t = g_ptr_array_index (tracks, i);
    const HzSdpMedia *m = g_ptr_array_index (back->media, i);
    const HzSdpCodec *c = m->codecs->len > 0 ? g_ptr_array_index (m->codecs, 0) : NULL;

    if (g_strcmp0 (m->mid, t->mid) != 0 || m->kind != t->kind || c == NULL ||
        c->pt != t->codec->pt || g_ascii_strcasecmp (c->name, t->codec->name) != 0)
      abort ();
    if (m->direction != (t->active ? HZ_SDP_DIRECTION_SENDONLY : HZ_SDP_DIRECTION_INACTIVE))
      abort ();
    if (t->active && (m->ssrcs->len == 0 || g_array_index (m->ssrcs, guint32, 0) != t->ssrc)) {
      g_printerr ("m-line %u: ssrc %u rtx %u/%u, parsed %u ssrcs\n%s\n", i, t->ssrc, t->rtx_pt, t->rtx_ssrc,
                  m->ssrcs->len, offer);
      abort ();
    }
  }
  check_answer (back, tracks);
  return 0;
}
