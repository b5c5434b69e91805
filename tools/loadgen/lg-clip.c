/* lg-clip: reads the clip made by make-clip.sh (RFC 4571 framing: a 2-byte
 * big-endian length before each RTP packet) and derives each packet's send
 * time from its RTP timestamp, so the replay keeps the encoder's real pace. */
#include "lg.h"

#include <string.h>

#include "hz-rtp.h"

G_DEFINE_QUARK (lg-error-quark, lg_error)

static gboolean
load_stream (const char *path, guint32 clock_rate, LgClipStream *out, GError **error)
{
  g_autofree char *data = NULL;
  gsize len, pos = 0;
  g_autoptr(GArray) pkts = g_array_new (FALSE, TRUE, sizeof (LgClipPacket));
  guint64 ext_ts = 0;
  guint32 last_ts = 0;

  if (!g_file_get_contents (path, &data, &len, error))
    return FALSE;
  out->clock_rate = clock_rate;
  while (pos + 2 <= len) {
    guint16 n = ((guint8) data[pos] << 8) | (guint8) data[pos + 1];
    HzRtpView v;
    LgClipPacket p = { 0 };

    pos += 2;
    if (n == 0 || pos + n > len || !hz_rtp_parse ((const guint8 *) data + pos, n, &v)) {
      g_set_error (error, LG_ERROR, LG_ERROR_FAILED, "%s: bad RTP packet at byte %zu", path, pos);
      return FALSE;
    }
    if (pkts->len == 0) {
      out->first_ts = v.ts;
      out->first_seq = v.seq;
    } else {
      ext_ts += (guint32) (v.ts - last_ts);
    }
    last_ts = v.ts;
    p.data = g_memdup2 (data + pos, n);
    p.len = n;
    p.t_us = ext_ts * G_USEC_PER_SEC / clock_rate;
    g_array_append_val (pkts, p);
    pos += n;
  }
  if (pkts->len < 2) {
    g_set_error (error, LG_ERROR, LG_ERROR_FAILED, "%s: fewer than 2 packets", path);
    return FALSE;
  }
  out->n = pkts->len;
  out->pkts = (LgClipPacket *) g_array_free (g_steal_pointer (&pkts), FALSE);
  return TRUE;
}

/* One period of a stream: its span plus one frame interval (the average
 * distance between distinct timestamps), so the loop seam keeps the pace. */
static guint64
stream_period (const LgClipStream *s)
{
  guint distinct = 1;
  guint64 span = s->pkts[s->n - 1].t_us;

  for (guint i = 1; i < s->n; i++)
    distinct += s->pkts[i].t_us != s->pkts[i - 1].t_us;
  return distinct > 1 ? span + span / (distinct - 1) : span + 20000;
}

LgClip *
lg_clip_load (const char *dir, GError **error)
{
  g_autofree char *vpath = g_build_filename (dir, "clip-video.rtp", NULL);
  g_autofree char *apath = g_build_filename (dir, "clip-audio.rtp", NULL);
  LgClip *clip = g_new0 (LgClip, 1);

  if (!load_stream (vpath, 90000, &clip->video, error) ||
      !load_stream (apath, 48000, &clip->audio, error)) {
    lg_clip_free (clip);
    return NULL;
  }
  clip->period_us = MAX (stream_period (&clip->video), stream_period (&clip->audio));
  return clip;
}

static void
stream_clear (LgClipStream *s)
{
  for (guint i = 0; i < s->n; i++)
    g_free (s->pkts[i].data);
  g_free (s->pkts);
}

void
lg_clip_free (LgClip *clip)
{
  if (clip == NULL)
    return;
  stream_clear (&clip->audio);
  stream_clear (&clip->video);
  g_free (clip);
}
