/* hz-sdp: the SDP layer of the SFU. Owns reading browser SDP (publisher offers,
 * subscriber answers) into plain structs, choosing codecs, and writing our
 * answers and subscriber offers -- all through GStreamer's GstSDPMessage, never
 * by pasting strings. Unified Plan, BUNDLE, rtcp-mux, trickle ICE only.
 *
 * Every parsed HzSdpSession describes the *remote* peer. Pure functions: no
 * logging, no randomness, no global state, so the fuzzer needs no stubs. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define HZ_SDP_ERROR (hz_sdp_error_quark ())
GQuark hz_sdp_error_quark (void);

typedef enum {
  HZ_SDP_ERROR_PARSE,             /* not SDP, or a malformed line/attribute */
  HZ_SDP_ERROR_NO_FINGERPRINT,    /* no a=fingerprint (DTLS impossible) */
  HZ_SDP_ERROR_NO_ICE,            /* ice-ufrag/pwd missing or disagreeing */
  HZ_SDP_ERROR_NO_RTCP_MUX,       /* an audio/video m-line without a=rtcp-mux */
  HZ_SDP_ERROR_NO_BUNDLE,         /* an audio/video m-line outside a=group:BUNDLE */
  HZ_SDP_ERROR_TOO_LARGE,         /* text, m-lines, ssrcs, rids or candidates over the limits */
  HZ_SDP_ERROR_UNSUPPORTED_CODEC, /* an audio/video m-line with no codec we forward */
  HZ_SDP_ERROR_NO_SETUP,          /* no a=setup, or a role not allowed here */
  HZ_SDP_ERROR_MISMATCH,          /* an answer whose m-lines/mids do not match our offer */
  HZ_SDP_ERROR_INVALID_ARGUMENT,  /* bad local input to a builder (our bug, not the peer's) */
} HzSdpError;

#define HZ_SDP_MAX_MEDIA      64
#define HZ_SDP_MAX_SSRCS      32  /* per m-line */
#define HZ_SDP_MAX_RIDS       16  /* per m-line */
#define HZ_SDP_MAX_CANDIDATES 256 /* per session */

typedef enum {
  HZ_SDP_KIND_AUDIO,
  HZ_SDP_KIND_VIDEO,
  HZ_SDP_KIND_APPLICATION,
  HZ_SDP_KIND_OTHER, /* any other media type; always rejected in answers */
} HzSdpKind;

typedef enum {
  HZ_SDP_DIRECTION_SENDRECV, /* also the default when no direction is given */
  HZ_SDP_DIRECTION_SENDONLY,
  HZ_SDP_DIRECTION_RECVONLY,
  HZ_SDP_DIRECTION_INACTIVE,
} HzSdpDirection;

typedef enum {
  HZ_SDP_SETUP_NONE, /* only when there is no transport (no accepted m-line) */
  HZ_SDP_SETUP_ACTPASS,
  HZ_SDP_SETUP_ACTIVE,
  HZ_SDP_SETUP_PASSIVE,
} HzSdpSetup;

typedef struct {
  guint pt;
  char *name;      /* as in a=rtpmap: "opus", "VP8", "H264", "rtx", "red", "ulpfec" */
  guint clock_rate;
  guint channels;  /* 0 when a=rtpmap gives none (video) */
  char *fmtp;      /* parameters after "a=fmtp:<pt> ", or NULL */
  GPtrArray *rtcp_fbs; /* char*: "nack", "nack pli", "ccm fir", "transport-cc", "goog-remb" */
} HzSdpCodec;

typedef struct {
  guint id;
  char *uri;
} HzSdpExtmap;

typedef struct {
  guint index;  /* m-line position */
  char *mid;
  HzSdpKind kind;
  HzSdpDirection direction;
  gboolean rejected; /* port 0 */
  GPtrArray *codecs; /* HzSdpCodec*, in m-line order */
  GArray *extmaps;   /* HzSdpExtmap */
  GArray *ssrcs;     /* guint32 media SSRCs (ssrc-group:FID primaries first) */
  GArray *rtx_ssrcs; /* guint32, rtx_ssrcs[i] repairs ssrcs[i] when from FID */
  char *cname;
  char *msid_stream, *msid_track;
  GPtrArray *rids;   /* char*: a=rid:<id> send, in order (simulcast layers) */
  gboolean simulcast; /* a=simulcast present */
  char *type, *proto, *formats; /* the m= line as written: "audio", "UDP/TLS/RTP/SAVPF", "111 63 9" */
} HzSdpMedia;

typedef struct {
  char *ice_ufrag, *ice_pwd;
  char *fp_algorithm, *fp_value; /* "sha-256", "AB:CD:..." */
  HzSdpSetup setup;
  gboolean ice_lite;
  GPtrArray *media;      /* HzSdpMedia*, in m-line order */
  GPtrArray *candidates; /* char*: "candidate:..." found in the SDP */
} HzSdpSession;

/* Our side of a connection; filled by the caller, borrowed by the builders. */
typedef struct {
  const char *ice_ufrag, *ice_pwd;
  const char *fp_algorithm; /* "sha-256" */
  const char *fp_value;
  guint64 session_id, session_version;
  const char *const *candidates; /* NULL-terminated "candidate:..." or NULL */
  gboolean end_of_candidates;
  gboolean ice_lite;
} HzSdpLocal;

/* One m-line of a subscriber offer. */
typedef struct {
  char *mid;
  HzSdpKind kind;     /* AUDIO or VIDEO */
  gboolean active;    /* FALSE: a=inactive, m-line kept for reuse, no ssrc lines */
  HzSdpCodec *codec;  /* required, also for inactive m-lines */
  HzSdpCodec *secondary; /* optional, owned: a second codec written after @codec
                          * on the m-line (rtpmap, rtcp-fb, fmtp), e.g. the Opus
                          * that @codec red/48000/2 (fmtp "111/111") carries */
  guint rtx_pt;       /* 0: none */
  guint32 ssrc, rtx_ssrc;
  char *stream_id, *track_id, *cname;
  GArray *extmaps;    /* HzSdpExtmap, may be NULL */
} HzSdpOutTrack;

HzSdpCodec *hz_sdp_codec_new (guint pt, const char *name, guint clock_rate,
                              guint channels, const char *fmtp);
HzSdpCodec *hz_sdp_codec_copy (const HzSdpCodec *codec);
void hz_sdp_codec_free (HzSdpCodec *codec);
HzSdpMedia *hz_sdp_media_new (void); /* all arrays allocated and empty */
HzSdpMedia *hz_sdp_media_copy (const HzSdpMedia *media);
void hz_sdp_media_free (HzSdpMedia *media);
HzSdpSession *hz_sdp_session_new (void); /* empty media and candidates arrays */
void hz_sdp_session_free (HzSdpSession *session);
HzSdpOutTrack *hz_sdp_out_track_new (void);
void hz_sdp_out_track_free (HzSdpOutTrack *track);
GArray *hz_sdp_extmaps_new (void); /* HzSdpExtmap array that frees its uris */
void hz_sdp_extmaps_add (GArray *extmaps, guint id, const char *uri);

const char *hz_sdp_kind_to_string (HzSdpKind kind);
HzSdpMedia *hz_sdp_session_find_media_by_mid (const HzSdpSession *session, const char *mid);
HzSdpCodec *hz_sdp_media_find_codec (const HzSdpMedia *media, guint pt);
/* the value of @key in an a=fmtp parameter string "k=v;k2=v2", or NULL */
char *hz_sdp_fmtp_get (const char *fmtp, const char *key);
/* the rtx codec whose apt= is @pt, or NULL */
HzSdpCodec *hz_sdp_media_find_rtx (const HzSdpMedia *media, guint pt);
/* TRUE for a RED codec (RFC 2198, a=rtpmap:<pt> red/...) */
gboolean hz_sdp_codec_is_red (const HzSdpCodec *codec);
/* the first RED codec whose a=fmtp lists only @pt, primary plus at least
 * one redundant block ("111/111", "111/111/111"), or NULL */
HzSdpCodec *hz_sdp_media_find_red (const HzSdpMedia *media, guint pt);

/* Parses and validates remote SDP of at most @max_len bytes: UTF-8 with no
 * control characters but CR/LF, v=0 and o= lines, a=mid on every non-rejected
 * m-line, unique mids, at most HZ_SDP_MAX_MEDIA m-lines; when at least one
 * audio/video m-line is not rejected: ICE ufrag/pwd (session or media level,
 * equal on all bundled m-lines), a=fingerprint, a=setup, a=rtcp-mux on each
 * audio/video m-line and a=group:BUNDLE covering them. */
HzSdpSession *hz_sdp_parse (const char *text, gsize max_len, GError **error);

/* Parses the browser's answer to our subscriber offer: hz_sdp_parse, plus
 * setup must be active or passive, and when @offered_mids (NULL-terminated) is
 * given the answer must have exactly those m-lines in that order. Rejected
 * m-lines come back with ->rejected set. */
HzSdpSession *hz_sdp_parse_answer (const char *text, gsize max_len,
                                   const char *const *offered_mids, GError **error);

/* Answers a publisher offer: same m-lines, order and mids; recvonly (inactive
 * when the offer does not send); setup passive for actpass/active offers,
 * active for passive ones. Codecs: audio opus/48000/2 (fmtp kept); video VP8,
 * else H264 packetization-mode=1 constrained baseline (42e0xx/42c0xx/4200xx),
 * each with its rtx partner. Only supported extmap URIs are kept, with the
 * offerer's ids. Simulcast offers (a=rid send) get a=rid recv + a=simulcast recv.
 * application and other m-lines are rejected (port 0).
 * @out_accepted (nullable): the offer restricted to what was accepted -- per
 * m-line the chosen codec first then its rtx -- for audio with RED: red
 * first, then the opus it carries (codecs[0] red, codecs[1] opus; without
 * RED codecs[0] is opus) --, the kept extmaps, the offerer's
 * ssrcs/rids, the answer's direction; ->setup is the offerer's resulting DTLS
 * role (ACTIVE when we answered passive). */
char *hz_sdp_build_answer (const HzSdpSession *offer, const HzSdpLocal *local,
                           HzSdpSession **out_accepted, GError **error);

/* Offers the subscriber connection (o= line: local->session_id and @version,
 * which must grow with every renegotiation): one m-line per track in the given order
 * (keep it stable across renegotiations), setup actpass, sendonly or
 * inactive, the codec then the track's secondary codec then rtx,
 * a=msid and a=ssrc cname/msid lines (+ ssrc-group:FID with rtx),
 * rtcp-mux, BUNDLE over all m-lines, trickle. Zero tracks give an offer with
 * no m-lines (Chromium 156 accepts it and answers with no m-lines). */
char *hz_sdp_build_subscriber_offer (const HzSdpLocal *local, GPtrArray *tracks,
                                     guint64 version, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HzSdpCodec, hz_sdp_codec_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HzSdpMedia, hz_sdp_media_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HzSdpSession, hz_sdp_session_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HzSdpOutTrack, hz_sdp_out_track_free)

G_END_DECLS
