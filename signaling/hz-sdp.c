/* hz-sdp: reading and writing WebRTC SDP through GstSDPMessage (see hz-sdp.h).
 * Line syntax is GStreamer's job; this file only reads attribute values
 * (a=rtpmap:, a=ssrc:, ...) that GstSDPMessage hands over as plain strings. */
#include "hz-sdp.h"

#include <gst/sdp/gstsdpmessage.h>
#include <string.h>

G_DEFINE_QUARK (hz-sdp-error-quark, hz_sdp_error)

/* ---- memory ------------------------------------------------------------ */

HzSdpCodec *
hz_sdp_codec_new (guint pt, const char *name, guint clock_rate, guint channels, const char *fmtp)
{
  HzSdpCodec *c = g_new0 (HzSdpCodec, 1);
  c->pt = pt;
  c->name = g_strdup (name);
  c->clock_rate = clock_rate;
  c->channels = channels;
  c->fmtp = g_strdup (fmtp);
  c->rtcp_fbs = g_ptr_array_new_with_free_func (g_free);
  return c;
}

HzSdpCodec *
hz_sdp_codec_copy (const HzSdpCodec *codec)
{
  g_return_val_if_fail (codec != NULL, NULL);
  HzSdpCodec *c = hz_sdp_codec_new (codec->pt, codec->name, codec->clock_rate,
                                    codec->channels, codec->fmtp);
  for (guint i = 0; codec->rtcp_fbs != NULL && i < codec->rtcp_fbs->len; i++)
    g_ptr_array_add (c->rtcp_fbs, g_strdup (g_ptr_array_index (codec->rtcp_fbs, i)));
  return c;
}

void
hz_sdp_codec_free (HzSdpCodec *codec)
{
  if (codec == NULL)
    return;
  g_free (codec->name);
  g_free (codec->fmtp);
  g_clear_pointer (&codec->rtcp_fbs, g_ptr_array_unref);
  g_free (codec);
}

static void
extmap_clear (gpointer p)
{
  g_free (((HzSdpExtmap *) p)->uri);
}

GArray *
hz_sdp_extmaps_new (void)
{
  GArray *a = g_array_new (FALSE, TRUE, sizeof (HzSdpExtmap));
  g_array_set_clear_func (a, extmap_clear);
  return a;
}

void
hz_sdp_extmaps_add (GArray *extmaps, guint id, const char *uri)
{
  HzSdpExtmap e = { id, g_strdup (uri) };
  g_return_if_fail (extmaps != NULL);
  g_array_append_val (extmaps, e);
}

HzSdpMedia *
hz_sdp_media_new (void)
{
  HzSdpMedia *m = g_new0 (HzSdpMedia, 1);
  m->codecs = g_ptr_array_new_with_free_func ((GDestroyNotify) hz_sdp_codec_free);
  m->extmaps = hz_sdp_extmaps_new ();
  m->ssrcs = g_array_new (FALSE, FALSE, sizeof (guint32));
  m->rtx_ssrcs = g_array_new (FALSE, FALSE, sizeof (guint32));
  m->rids = g_ptr_array_new_with_free_func (g_free);
  return m;
}

HzSdpMedia *
hz_sdp_media_copy (const HzSdpMedia *media)
{
  g_return_val_if_fail (media != NULL, NULL);
  HzSdpMedia *m = hz_sdp_media_new ();
  m->index = media->index;
  m->mid = g_strdup (media->mid);
  m->kind = media->kind;
  m->direction = media->direction;
  m->rejected = media->rejected;
  for (guint i = 0; i < media->codecs->len; i++)
    g_ptr_array_add (m->codecs, hz_sdp_codec_copy (g_ptr_array_index (media->codecs, i)));
  for (guint i = 0; i < media->extmaps->len; i++) {
    const HzSdpExtmap *e = &g_array_index (media->extmaps, HzSdpExtmap, i);
    hz_sdp_extmaps_add (m->extmaps, e->id, e->uri);
  }
  g_array_append_vals (m->ssrcs, media->ssrcs->data, media->ssrcs->len);
  g_array_append_vals (m->rtx_ssrcs, media->rtx_ssrcs->data, media->rtx_ssrcs->len);
  m->cname = g_strdup (media->cname);
  m->msid_stream = g_strdup (media->msid_stream);
  m->msid_track = g_strdup (media->msid_track);
  for (guint i = 0; i < media->rids->len; i++)
    g_ptr_array_add (m->rids, g_strdup (g_ptr_array_index (media->rids, i)));
  m->simulcast = media->simulcast;
  m->type = g_strdup (media->type);
  m->proto = g_strdup (media->proto);
  m->formats = g_strdup (media->formats);
  return m;
}

void
hz_sdp_media_free (HzSdpMedia *m)
{
  if (m == NULL)
    return;
  g_free (m->mid);
  g_ptr_array_unref (m->codecs);
  g_array_unref (m->extmaps);
  g_array_unref (m->ssrcs);
  g_array_unref (m->rtx_ssrcs);
  g_free (m->cname);
  g_free (m->msid_stream);
  g_free (m->msid_track);
  g_ptr_array_unref (m->rids);
  g_free (m->type);
  g_free (m->proto);
  g_free (m->formats);
  g_free (m);
}

HzSdpSession *
hz_sdp_session_new (void)
{
  HzSdpSession *s = g_new0 (HzSdpSession, 1);
  s->media = g_ptr_array_new_with_free_func ((GDestroyNotify) hz_sdp_media_free);
  s->candidates = g_ptr_array_new_with_free_func (g_free);
  return s;
}

void
hz_sdp_session_free (HzSdpSession *s)
{
  if (s == NULL)
    return;
  g_free (s->ice_ufrag);
  g_free (s->ice_pwd);
  g_free (s->fp_algorithm);
  g_free (s->fp_value);
  g_ptr_array_unref (s->media);
  g_ptr_array_unref (s->candidates);
  g_free (s);
}

HzSdpOutTrack *
hz_sdp_out_track_new (void)
{
  return g_new0 (HzSdpOutTrack, 1);
}

void
hz_sdp_out_track_free (HzSdpOutTrack *t)
{
  if (t == NULL)
    return;
  g_free (t->mid);
  hz_sdp_codec_free (t->codec);
  hz_sdp_codec_free (t->secondary);
  g_free (t->stream_id);
  g_free (t->track_id);
  g_free (t->cname);
  g_clear_pointer (&t->extmaps, g_array_unref);
  g_free (t);
}

/* ---- lookups ----------------------------------------------------------- */

const char *
hz_sdp_kind_to_string (HzSdpKind kind)
{
  switch (kind) {
  case HZ_SDP_KIND_AUDIO: return "audio";
  case HZ_SDP_KIND_VIDEO: return "video";
  case HZ_SDP_KIND_APPLICATION: return "application";
  default: return "other";
  }
}

HzSdpMedia *
hz_sdp_session_find_media_by_mid (const HzSdpSession *session, const char *mid)
{
  g_return_val_if_fail (session != NULL, NULL);
  for (guint i = 0; mid != NULL && i < session->media->len; i++) {
    HzSdpMedia *m = g_ptr_array_index (session->media, i);
    if (g_strcmp0 (m->mid, mid) == 0)
      return m;
  }
  return NULL;
}

HzSdpCodec *
hz_sdp_media_find_codec (const HzSdpMedia *media, guint pt)
{
  g_return_val_if_fail (media != NULL, NULL);
  for (guint i = 0; i < media->codecs->len; i++) {
    HzSdpCodec *c = g_ptr_array_index (media->codecs, i);
    if (c->pt == pt)
      return c;
  }
  return NULL;
}

char *
hz_sdp_fmtp_get (const char *fmtp, const char *key)
{
  g_auto (GStrv) pairs = NULL;
  if (fmtp == NULL)
    return NULL;
  pairs = g_strsplit (fmtp, ";", -1);
  for (guint i = 0; pairs[i] != NULL; i++) {
    char *eq = strchr (pairs[i], '=');
    if (eq == NULL)
      continue;
    *eq = '\0';
    if (g_ascii_strcasecmp (g_strstrip (pairs[i]), key) == 0)
      return g_strdup (g_strstrip (eq + 1));
  }
  return NULL;
}

HzSdpCodec *
hz_sdp_media_find_rtx (const HzSdpMedia *media, guint pt)
{
  g_return_val_if_fail (media != NULL, NULL);
  for (guint i = 0; i < media->codecs->len; i++) {
    HzSdpCodec *c = g_ptr_array_index (media->codecs, i);
    g_autofree char *apt = NULL;
    guint64 v;
    if (g_ascii_strcasecmp (c->name, "rtx") != 0)
      continue;
    apt = hz_sdp_fmtp_get (c->fmtp, "apt");
    if (apt != NULL && g_ascii_string_to_unsigned (apt, 10, 0, 127, &v, NULL) && v == pt)
      return c;
  }
  return NULL;
}

/* ---- parsing ----------------------------------------------------------- */

/* leading decimal number of @s up to @max, followed by end, ' ' or '/';
 * *rest points after the following spaces */
static gboolean
take_uint (const char *s, guint64 max, guint64 *out, const char **rest)
{
  guint64 v = 0;
  const char *p = s;
  if (s == NULL || !g_ascii_isdigit (*p))
    return FALSE;
  for (; g_ascii_isdigit (*p); p++) {
    v = v * 10 + (guint64) (*p - '0');
    if (v > max)
      return FALSE;
  }
  if (*p != '\0' && *p != ' ' && *p != '/')
    return FALSE;
  if (*p == '/') /* extmap direction: skip it */
    while (*p != '\0' && *p != ' ')
      p++;
  while (*p == ' ')
    p++;
  *out = v;
  if (rest != NULL)
    *rest = p;
  return TRUE;
}

/* an SDP token: non-empty, no spaces or control characters */
static gboolean
is_token (const char *s, gsize max_len)
{
  gsize n = 0;
  if (s == NULL || *s == '\0')
    return FALSE;
  for (; s[n] != '\0'; n++)
    if ((guchar) s[n] <= ' ' || s[n] == 0x7f || n >= max_len)
      return FALSE;
  return TRUE;
}

static gboolean
array_has (GArray *a, guint32 v)
{
  for (guint i = 0; i < a->len; i++)
    if (g_array_index (a, guint32, i) == v)
      return TRUE;
  return FALSE;
}

static void
strv_add_unique (GPtrArray *a, const char *s)
{
  for (guint i = 0; i < a->len; i++)
    if (g_strcmp0 (g_ptr_array_index (a, i), s) == 0)
      return;
  g_ptr_array_add (a, g_strdup (s));
}

/* transport attributes of one m-line (borrowed from the GstSDPMessage) */
typedef struct {
  const char *ufrag, *pwd, *fingerprint, *setup;
  gboolean rtcp_mux;
} Transport;

typedef struct {
  GArray *fid;       /* guint32 pairs from ssrc-group:FID: media, rtx, media, rtx... */
  GArray *secondary; /* ssrcs named second in any group (rtx, fec) */
  GArray *plain;     /* ssrcs from a=ssrc lines, in order */
} SsrcScan;

static gboolean
parse_codec_attr (HzSdpCodec **table, const char *key, const char *val,
                  GPtrArray *wildcard_fbs, guint index, GError **error)
{
  guint64 pt;
  const char *rest;
  if (g_str_equal (key, "rtcp-fb") && g_str_has_prefix (val, "* ")) {
    g_ptr_array_add (wildcard_fbs, g_strstrip (g_strdup (val + 2)));
    return TRUE;
  }
  if (!take_uint (val, 127, &pt, &rest) || *rest == '\0') {
    g_set_error (error, HZ_SDP_ERROR, HZ_SDP_ERROR_PARSE,
                 "m-line %u: malformed a=%s:%s", index, key, val);
    return FALSE;
  }
  if (table[pt] == NULL)
    return TRUE; /* a payload type not on the m= line: ignored */
  if (g_str_equal (key, "rtpmap")) {
    g_auto (GStrv) parts = g_strsplit (rest, "/", 4);
    guint64 clock = 0, ch = 0;
    if (g_strv_length (parts) < 2 || g_strv_length (parts) > 3 || !is_token (parts[0], 64) ||
        !g_ascii_string_to_unsigned (parts[1], 10, 1, 10000000, &clock, NULL) ||
        (parts[2] != NULL && !g_ascii_string_to_unsigned (parts[2], 10, 1, 255, &ch, NULL))) {
      g_set_error (error, HZ_SDP_ERROR, HZ_SDP_ERROR_PARSE,
                   "m-line %u: malformed a=rtpmap:%s", index, val);
      return FALSE;
    }
    g_free (table[pt]->name);
    table[pt]->name = g_strdup (parts[0]);
    table[pt]->clock_rate = (guint) clock;
    table[pt]->channels = (guint) ch;
  } else if (g_str_equal (key, "fmtp")) {
    g_free (table[pt]->fmtp);
    table[pt]->fmtp = g_strdup (rest);
  } else {
    strv_add_unique (table[pt]->rtcp_fbs, rest);
  }
  return TRUE;
}

static gboolean
parse_ssrc_attr (HzSdpMedia *m, SsrcScan *scan, const char *key, const char *val, GError **error)
{
  guint64 v;
  const char *rest;
  if (g_str_equal (key, "ssrc-group")) {
    g_auto (GStrv) parts = g_strsplit (val, " ", -1);
    gboolean fid = g_strcmp0 (parts[0], "FID") == 0;
    gboolean sim = g_strcmp0 (parts[0], "SIM") == 0;
    if (parts[0] == NULL) {
      g_set_error (error, HZ_SDP_ERROR, HZ_SDP_ERROR_PARSE, "m-line %u: empty a=ssrc-group", m->index);
      return FALSE;
    }
    if (scan->fid->len + scan->secondary->len > 2 * HZ_SDP_MAX_SSRCS) {
      g_set_error (error, HZ_SDP_ERROR, HZ_SDP_ERROR_TOO_LARGE,
                   "m-line %u: too many a=ssrc-group lines", m->index);
      return FALSE;
    }
    for (guint i = 1; parts[i] != NULL; i++) {
      if (!g_ascii_string_to_unsigned (parts[i], 10, 0, G_MAXUINT32, &v, NULL)) {
        g_set_error (error, HZ_SDP_ERROR, HZ_SDP_ERROR_PARSE,
                     "m-line %u: malformed a=ssrc-group:%s", m->index, val);
        return FALSE;
      }
      if (fid && i <= 2) {
        guint32 s32 = (guint32) v;
        g_array_append_val (scan->fid, s32);
      }
      if (!sim && i >= 2 && !array_has (scan->secondary, (guint32) v)) {
        guint32 s32 = (guint32) v;
        g_array_append_val (scan->secondary, s32);
      }
    }
    if (fid && g_strv_length (parts) < 3) {
      g_set_error (error, HZ_SDP_ERROR, HZ_SDP_ERROR_PARSE,
                   "m-line %u: a=ssrc-group:FID needs two ssrcs", m->index);
      return FALSE;
    }
    return TRUE;
  }
  if (!take_uint (val, G_MAXUINT32, &v, &rest)) {
    g_set_error (error, HZ_SDP_ERROR, HZ_SDP_ERROR_PARSE,
                 "m-line %u: malformed a=ssrc:%s", m->index, val);
    return FALSE;
  }
  if (!array_has (scan->plain, (guint32) v)) {
    guint32 s32 = (guint32) v;
    if (scan->plain->len >= HZ_SDP_MAX_SSRCS) {
      g_set_error (error, HZ_SDP_ERROR, HZ_SDP_ERROR_TOO_LARGE,
                   "m-line %u: more than %u ssrcs", m->index, HZ_SDP_MAX_SSRCS);
      return FALSE;
    }
    g_array_append_val (scan->plain, s32);
  }
  if (g_str_has_prefix (rest, "cname:") && m->cname == NULL)
    m->cname = g_strdup (rest + 6);
  if (g_str_has_prefix (rest, "msid:") && m->msid_stream == NULL) {
    g_auto (GStrv) parts = g_strsplit (rest + 5, " ", 2);
    m->msid_stream = g_strdup (parts[0]);
    m->msid_track = g_strdup (parts[0] != NULL ? parts[1] : NULL);
  }
  return TRUE;
}

/* media SSRCs: FID primaries first, then other ssrcs not named second in a group */
static gboolean
finish_ssrcs (HzSdpMedia *m, SsrcScan *scan, GError **error)
{
  for (guint i = 0; i + 1 < scan->fid->len; i += 2) {
    guint32 media = g_array_index (scan->fid, guint32, i);
    guint32 rtx = g_array_index (scan->fid, guint32, i + 1);
    if (!array_has (m->ssrcs, media)) {
      g_array_append_val (m->ssrcs, media);
      g_array_append_val (m->rtx_ssrcs, rtx);
    }
  }
  for (guint i = 0; i < scan->plain->len; i++) {
    guint32 s = g_array_index (scan->plain, guint32, i);
    if (!array_has (m->ssrcs, s) && !array_has (scan->secondary, s))
      g_array_append_val (m->ssrcs, s);
  }
  if (scan->plain->len + scan->fid->len > HZ_SDP_MAX_SSRCS) {
    g_set_error (error, HZ_SDP_ERROR, HZ_SDP_ERROR_TOO_LARGE,
                 "m-line %u: more than %u ssrcs", m->index, HZ_SDP_MAX_SSRCS);
    return FALSE;
  }
  return TRUE;
}

static gboolean
parse_media_attrs (HzSdpSession *s, HzSdpMedia *m, const GstSDPMedia *gm,
                   HzSdpCodec **table, Transport *tr, GError **error)
{
  g_autoptr (GPtrArray) wildcard_fbs = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GArray) fid = g_array_new (FALSE, FALSE, sizeof (guint32));
  g_autoptr (GArray) secondary = g_array_new (FALSE, FALSE, sizeof (guint32));
  g_autoptr (GArray) plain = g_array_new (FALSE, FALSE, sizeof (guint32));
  SsrcScan scan = { fid, secondary, plain };

  for (guint i = 0; i < gst_sdp_media_attributes_len (gm); i++) {
    const GstSDPAttribute *a = gst_sdp_media_get_attribute (gm, i);
    const char *k = a->key, *v = a->value != NULL ? a->value : "";
    if (g_str_equal (k, "mid")) {
      if (m->mid != NULL || !is_token (v, 64)) {
        g_set_error (error, HZ_SDP_ERROR, HZ_SDP_ERROR_PARSE,
                     "m-line %u: bad or repeated a=mid:%s", m->index, v);
        return FALSE;
      }
      m->mid = g_strdup (v);
    } else if (g_str_equal (k, "sendrecv")) {
      m->direction = HZ_SDP_DIRECTION_SENDRECV;
    } else if (g_str_equal (k, "sendonly")) {
      m->direction = HZ_SDP_DIRECTION_SENDONLY;
    } else if (g_str_equal (k, "recvonly")) {
      m->direction = HZ_SDP_DIRECTION_RECVONLY;
    } else if (g_str_equal (k, "inactive")) {
      m->direction = HZ_SDP_DIRECTION_INACTIVE;
    } else if (g_str_equal (k, "rtcp-mux")) {
      tr->rtcp_mux = TRUE;
    } else if (g_str_equal (k, "ice-ufrag")) {
      tr->ufrag = v;
    } else if (g_str_equal (k, "ice-pwd")) {
      tr->pwd = v;
    } else if (g_str_equal (k, "fingerprint")) {
      tr->fingerprint = v;
    } else if (g_str_equal (k, "setup")) {
      tr->setup = v;
    } else if (table != NULL && (g_str_equal (k, "rtpmap") || g_str_equal (k, "fmtp") ||
                                 g_str_equal (k, "rtcp-fb"))) {
      if (!parse_codec_attr (table, k, v, wildcard_fbs, m->index, error))
        return FALSE;
    } else if (g_str_equal (k, "extmap")) {
      guint64 id;
      const char *uri;
      g_auto (GStrv) parts = NULL;
      if (!take_uint (v, 255, &id, &uri) || id == 0 || *uri == '\0') {
        g_set_error (error, HZ_SDP_ERROR, HZ_SDP_ERROR_PARSE,
                     "m-line %u: malformed a=extmap:%s", m->index, v);
        return FALSE;
      }
      parts = g_strsplit (uri, " ", 2);
      hz_sdp_extmaps_add (m->extmaps, (guint) id, parts[0]);
    } else if (g_str_equal (k, "ssrc") || g_str_equal (k, "ssrc-group")) {
      if (!parse_ssrc_attr (m, &scan, k, v, error))
        return FALSE;
    } else if (g_str_equal (k, "msid")) {
      g_auto (GStrv) parts = g_strsplit (v, " ", 2);
      g_free (m->msid_stream);
      g_free (m->msid_track);
      m->msid_stream = g_strdup (parts[0]);
      m->msid_track = g_strdup (parts[0] != NULL ? parts[1] : NULL);
    } else if (g_str_equal (k, "rid")) {
      g_auto (GStrv) parts = g_strsplit (v, " ", 3);
      if (g_strv_length (parts) < 2 || !is_token (parts[0], 32)) {
        g_set_error (error, HZ_SDP_ERROR, HZ_SDP_ERROR_PARSE,
                     "m-line %u: malformed a=rid:%s", m->index, v);
        return FALSE;
      }
      if (g_str_equal (parts[1], "send"))
        strv_add_unique (m->rids, parts[0]);
      if (m->rids->len > HZ_SDP_MAX_RIDS) {
        g_set_error (error, HZ_SDP_ERROR, HZ_SDP_ERROR_TOO_LARGE,
                     "m-line %u: more than %u rids", m->index, HZ_SDP_MAX_RIDS);
        return FALSE;
      }
    } else if (g_str_equal (k, "simulcast")) {
      m->simulcast = TRUE;
    } else if (g_str_equal (k, "candidate")) {
      if (s->candidates->len >= HZ_SDP_MAX_CANDIDATES) {
        g_set_error (error, HZ_SDP_ERROR, HZ_SDP_ERROR_TOO_LARGE,
                     "more than %u candidates", HZ_SDP_MAX_CANDIDATES);
        return FALSE;
      }
      g_ptr_array_add (s->candidates, g_strconcat ("candidate:", v, NULL));
    }
  }
  /* codecs in m= line order; wildcard rtcp-fb applies to all of them */
  for (guint i = 0; table != NULL && i < gst_sdp_media_formats_len (gm); i++) {
    guint64 pt;
    HzSdpCodec *c;
    if (!take_uint (gst_sdp_media_get_format (gm, i), 127, &pt, NULL) || table[pt] == NULL)
      continue;
    c = g_steal_pointer (&table[pt]);
    for (guint j = 0; j < wildcard_fbs->len; j++)
      strv_add_unique (c->rtcp_fbs, g_ptr_array_index (wildcard_fbs, j));
    if (c->name == NULL) { /* static payload types Chromium may list without rtpmap */
      static const char *const statics[] = { [0] = "PCMU", [8] = "PCMA", [9] = "G722" };
      if (pt < G_N_ELEMENTS (statics) && statics[pt] != NULL) {
        c->name = g_strdup (statics[pt]);
        c->clock_rate = 8000;
        c->channels = 1;
      }
    }
    if (c->name != NULL)
      g_ptr_array_add (m->codecs, c);
    else
      hz_sdp_codec_free (c);
  }
  return finish_ssrcs (m, &scan, error);
}

static void
table_clear (HzSdpCodec **table)
{
  for (guint i = 0; i < 128; i++)
    g_clear_pointer (&table[i], hz_sdp_codec_free);
}

static HzSdpMedia *
parse_media (HzSdpSession *s, const GstSDPMedia *gm, guint index, Transport *tr, GError **error)
{
  g_autoptr (HzSdpMedia) m = hz_sdp_media_new ();
  g_autoptr (GString) fmts = g_string_new (NULL);
  HzSdpCodec *table[128] = { NULL };
  gboolean ok;
  const char *type = gst_sdp_media_get_media (gm);
  const char *proto = gst_sdp_media_get_proto (gm);

  m->index = index;
  if (!is_token (type, 32) || !is_token (proto, 64) || gst_sdp_media_formats_len (gm) == 0) {
    g_set_error (error, HZ_SDP_ERROR, HZ_SDP_ERROR_PARSE, "m-line %u: malformed m= line", index);
    return NULL;
  }
  m->kind = g_str_equal (type, "audio") ? HZ_SDP_KIND_AUDIO
            : g_str_equal (type, "video") ? HZ_SDP_KIND_VIDEO
            : g_str_equal (type, "application") ? HZ_SDP_KIND_APPLICATION
            : HZ_SDP_KIND_OTHER;
  m->rejected = gst_sdp_media_get_port (gm) == 0;
  for (guint i = 0; i < gst_sdp_media_formats_len (gm); i++) {
    const char *f = gst_sdp_media_get_format (gm, i);
    guint64 pt;
    if (!is_token (f, 64)) {
      g_set_error (error, HZ_SDP_ERROR, HZ_SDP_ERROR_PARSE, "m-line %u: malformed format", index);
      table_clear (table);
      return NULL;
    }
    g_string_append_printf (fmts, "%s%s", i > 0 ? " " : "", f);
    if (m->kind != HZ_SDP_KIND_AUDIO && m->kind != HZ_SDP_KIND_VIDEO)
      continue;
    if (!take_uint (f, 127, &pt, NULL)) {
      g_set_error (error, HZ_SDP_ERROR, HZ_SDP_ERROR_PARSE,
                   "m-line %u: payload type '%s' is not a number 0-127", index, f);
      table_clear (table);
      return NULL;
    }
    if (table[pt] == NULL)
      table[pt] = hz_sdp_codec_new ((guint) pt, NULL, 0, 0, NULL);
  }
  m->type = g_strdup (type);
  m->proto = g_strdup (proto);
  m->formats = g_string_free (g_steal_pointer (&fmts), FALSE);
  ok = parse_media_attrs (s, m, gm, (m->kind == HZ_SDP_KIND_AUDIO || m->kind == HZ_SDP_KIND_VIDEO) ? table : NULL,
                          tr, error);
  table_clear (table);
  if (!ok)
    return NULL;
  if (m->mid == NULL && !m->rejected) {
    g_set_error (error, HZ_SDP_ERROR, HZ_SDP_ERROR_PARSE, "m-line %u has no a=mid", index);
    return NULL;
  }
  return g_steal_pointer (&m);
}

static gboolean
parse_setup (const char *v, HzSdpSetup *out)
{
  if (g_strcmp0 (v, "actpass") == 0)
    *out = HZ_SDP_SETUP_ACTPASS;
  else if (g_strcmp0 (v, "active") == 0)
    *out = HZ_SDP_SETUP_ACTIVE;
  else if (g_strcmp0 (v, "passive") == 0)
    *out = HZ_SDP_SETUP_PASSIVE;
  else
    return FALSE;
  return TRUE;
}

/* ICE, DTLS, rtcp-mux and BUNDLE checks over the m-lines that carry media */
static gboolean
validate_transport (HzSdpSession *s, const GstSDPMessage *msg, Transport *trs, GError **error)
{
  const char *group = NULL;
  g_auto (GStrv) bundle = NULL;
  Transport sess = { gst_sdp_message_get_attribute_val (msg, "ice-ufrag"),
                     gst_sdp_message_get_attribute_val (msg, "ice-pwd"),
                     gst_sdp_message_get_attribute_val (msg, "fingerprint"),
                     gst_sdp_message_get_attribute_val (msg, "setup"), FALSE };
  gboolean first = TRUE;

  for (guint i = 0; (group = gst_sdp_message_get_attribute_val_n (msg, "group", i)) != NULL; i++)
    if (g_str_has_prefix (group, "BUNDLE ") || g_str_equal (group, "BUNDLE"))
      break;
  bundle = g_strsplit (group != NULL ? group : "", " ", -1);
  s->ice_lite = gst_sdp_message_get_attribute_val (msg, "ice-lite") != NULL;

  for (guint i = 0; i < s->media->len; i++) {
    HzSdpMedia *m = g_ptr_array_index (s->media, i);
    gboolean av = m->kind == HZ_SDP_KIND_AUDIO || m->kind == HZ_SDP_KIND_VIDEO;
    gboolean bundled = group != NULL && m->mid != NULL && g_strv_contains ((const char *const *) bundle + 1, m->mid);
    const char *ufrag = trs[i].ufrag ? trs[i].ufrag : sess.ufrag;
    const char *pwd = trs[i].pwd ? trs[i].pwd : sess.pwd;
    const char *fp = trs[i].fingerprint ? trs[i].fingerprint : sess.fingerprint;
    const char *setup = trs[i].setup ? trs[i].setup : sess.setup;
    if (m->rejected || (!av && !bundled))
      continue;
    if (av && !trs[i].rtcp_mux) {
      g_set_error (error, HZ_SDP_ERROR, HZ_SDP_ERROR_NO_RTCP_MUX,
                   "m-line %u (mid %s) has no a=rtcp-mux", i, m->mid);
      return FALSE;
    }
    if (!bundled) {
      g_set_error (error, HZ_SDP_ERROR, HZ_SDP_ERROR_NO_BUNDLE,
                   "m-line %u (mid %s) is not in an a=group:BUNDLE", i, m->mid);
      return FALSE;
    }
    if (!is_token (ufrag, 256) || !is_token (pwd, 256)) {
      g_set_error (error, HZ_SDP_ERROR, HZ_SDP_ERROR_NO_ICE,
                   "m-line %u (mid %s) has no a=ice-ufrag/a=ice-pwd", i, m->mid);
      return FALSE;
    }
    if (fp == NULL) {
      g_set_error (error, HZ_SDP_ERROR, HZ_SDP_ERROR_NO_FINGERPRINT,
                   "m-line %u (mid %s) has no a=fingerprint", i, m->mid);
      return FALSE;
    }
    if (first) {
      g_auto (GStrv) parts = g_strsplit (fp, " ", 2);
      if (g_strv_length (parts) != 2 || !is_token (parts[0], 32) || !is_token (parts[1], 256)) {
        g_set_error (error, HZ_SDP_ERROR, HZ_SDP_ERROR_NO_FINGERPRINT,
                     "m-line %u (mid %s): malformed a=fingerprint:%s", i, m->mid, fp);
        return FALSE;
      }
      if (!parse_setup (setup, &s->setup)) {
        g_set_error (error, HZ_SDP_ERROR, HZ_SDP_ERROR_NO_SETUP,
                     "m-line %u (mid %s): a=setup missing or not actpass/active/passive", i, m->mid);
        return FALSE;
      }
      s->ice_ufrag = g_strdup (ufrag);
      s->ice_pwd = g_strdup (pwd);
      s->fp_algorithm = g_ascii_strdown (parts[0], -1);
      s->fp_value = g_strdup (parts[1]);
      first = FALSE;
    } else if (g_strcmp0 (ufrag, s->ice_ufrag) != 0 || g_strcmp0 (pwd, s->ice_pwd) != 0) {
      g_set_error (error, HZ_SDP_ERROR, HZ_SDP_ERROR_NO_ICE,
                   "m-line %u (mid %s): ICE credentials differ from the other bundled m-lines",
                   i, m->mid);
      return FALSE;
    }
  }
  return TRUE;
}

HzSdpSession *
hz_sdp_parse (const char *text, gsize max_len, GError **error)
{
  g_autoptr (HzSdpSession) s = hz_sdp_session_new ();
  g_autoptr (GstSDPMessage) msg = NULL;
  g_autofree Transport *trs = NULL;
  gsize len;

  g_return_val_if_fail (text != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  len = strnlen (text, max_len + 1);
  if (len > max_len) {
    g_set_error (error, HZ_SDP_ERROR, HZ_SDP_ERROR_TOO_LARGE,
                 "SDP is larger than %" G_GSIZE_FORMAT " bytes", max_len);
    return NULL;
  }
  for (gsize i = 0; i < len; i++) {
    guchar ch = (guchar) text[i];
    if ((ch < ' ' && ch != '\r' && ch != '\n') || ch == 0x7f) {
      g_set_error (error, HZ_SDP_ERROR, HZ_SDP_ERROR_PARSE,
                   "control character 0x%02x at byte %" G_GSIZE_FORMAT, ch, i);
      return NULL;
    }
  }
  if (!g_str_has_prefix (text, "v=0") || !g_utf8_validate (text, (gssize) len, NULL) ||
      gst_sdp_message_new_from_text (text, &msg) != GST_SDP_OK ||
      g_strcmp0 (gst_sdp_message_get_version (msg), "0") != 0 ||
      gst_sdp_message_get_origin (msg)->sess_id == NULL) {
    g_set_error_literal (error, HZ_SDP_ERROR, HZ_SDP_ERROR_PARSE,
                         "not an SDP description (needs UTF-8 text starting v=0 with an o= line)");
    return NULL;
  }
  if (gst_sdp_message_medias_len (msg) > HZ_SDP_MAX_MEDIA) {
    g_set_error (error, HZ_SDP_ERROR, HZ_SDP_ERROR_TOO_LARGE, "%u m-lines, at most %u allowed",
                 gst_sdp_message_medias_len (msg), (guint) HZ_SDP_MAX_MEDIA);
    return NULL;
  }
  trs = g_new0 (Transport, gst_sdp_message_medias_len (msg) + 1);
  for (guint i = 0; i < gst_sdp_message_medias_len (msg); i++) {
    HzSdpMedia *m = parse_media (s, gst_sdp_message_get_media (msg, i), i, &trs[i], error);
    if (m == NULL)
      return NULL;
    for (guint j = 0; m->mid != NULL && j < s->media->len; j++) {
      if (g_strcmp0 (((HzSdpMedia *) g_ptr_array_index (s->media, j))->mid, m->mid) == 0) {
        g_set_error (error, HZ_SDP_ERROR, HZ_SDP_ERROR_PARSE,
                     "m-line %u repeats mid %s", i, m->mid);
        hz_sdp_media_free (m);
        return NULL;
      }
    }
    g_ptr_array_add (s->media, m);
  }
  if (!validate_transport (s, msg, trs, error))
    return NULL;
  return g_steal_pointer (&s);
}

HzSdpSession *
hz_sdp_parse_answer (const char *text, gsize max_len, const char *const *offered_mids, GError **error)
{
  g_autoptr (HzSdpSession) s = hz_sdp_parse (text, max_len, error);
  if (s == NULL)
    return NULL;
  if (s->setup == HZ_SDP_SETUP_ACTPASS) {
    g_set_error_literal (error, HZ_SDP_ERROR, HZ_SDP_ERROR_NO_SETUP,
                         "an answer must say a=setup:active or a=setup:passive, not actpass");
    return NULL;
  }
  if (offered_mids != NULL) {
    guint n = g_strv_length ((GStrv) offered_mids);
    if (n != s->media->len) {
      g_set_error (error, HZ_SDP_ERROR, HZ_SDP_ERROR_MISMATCH,
                   "answer has %u m-lines, the offer had %u", s->media->len, n);
      return NULL;
    }
    for (guint i = 0; i < n; i++) {
      HzSdpMedia *m = g_ptr_array_index (s->media, i);
      if (!m->rejected && g_strcmp0 (m->mid, offered_mids[i]) != 0) {
        g_set_error (error, HZ_SDP_ERROR, HZ_SDP_ERROR_MISMATCH,
                     "answer m-line %u has mid %s, the offer had %s", i, m->mid, offered_mids[i]);
        return NULL;
      }
    }
  }
  return g_steal_pointer (&s);
}
