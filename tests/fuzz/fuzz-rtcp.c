/* fuzz-rtcp.c: every RTCP read path over one compound packet (iterator,
 * SR, RR, BYE, feedback, NACK, PLI, FIR, REMB, TWCC), round trips through
 * the builders, and the in-place rewriters on a copy. */
#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hz-rtcp.h"

static int
cmp_u16 (const void *a, const void *b)
{
  return (int) *(const guint16 *) a - (int) *(const guint16 *) b;
}

static guint
sort_unique (guint16 *s, guint n)
{
  guint m = 0;

  qsort (s, n, sizeof (guint16), cmp_u16);
  for (guint i = 0; i < n; i++) {
    if (m == 0 || s[m - 1] != s[i])
      s[m++] = s[i];
  }
  return m;
}

static void
nack_round_trip (const HzRtcpFb *fb)
{
  guint16 seqs[256], again[256 * 17];
  guint8 buf[12 + 256 * 4];
  HzRtcpIter it;
  HzRtcpHeader h;
  HzRtcpFb fb2;
  guint n, n2;
  gsize len;

  n = hz_rtcp_nack_expand (fb, seqs, G_N_ELEMENTS (seqs));
  if (n == 0)
    return;
  len = hz_rtcp_build_nack (buf, sizeof buf, fb->sender_ssrc, fb->media_ssrc, seqs, n);
  if (len == 0)
    abort (); /* n seqs never need more than n pairs */
  hz_rtcp_iter_init (&it, buf, len);
  if (!hz_rtcp_iter_next (&it, &h) || !hz_rtcp_parse_fb (&h, &fb2))
    abort ();
  n2 = hz_rtcp_nack_expand (&fb2, again, G_N_ELEMENTS (again));
  n = sort_unique (seqs, n);
  n2 = sort_unique (again, n2);
  if (n != n2 || memcmp (seqs, again, n * sizeof (guint16)) != 0)
    abort ();
}

static void
remb_round_trip (const HzRtcpFb *fb)
{
  HzRtcpRemb remb, remb2;
  guint8 buf[12 + 8 + 255 * 4];
  HzRtcpIter it;
  HzRtcpHeader h;
  HzRtcpFb fb2;
  gsize len;

  if (!hz_rtcp_parse_remb (fb, &remb))
    return;
  len = hz_rtcp_build_remb (buf, sizeof buf, fb->sender_ssrc, remb.bitrate,
                            remb.ssrcs, remb.n_ssrcs);
  hz_rtcp_iter_init (&it, buf, len);
  if (len == 0 || !hz_rtcp_iter_next (&it, &h) || !hz_rtcp_parse_fb (&h, &fb2) ||
      !hz_rtcp_parse_remb (&fb2, &remb2))
    abort ();
  if (remb.bitrate != G_MAXUINT64 && remb2.bitrate != remb.bitrate)
    abort ();
  if (remb2.n_ssrcs != remb.n_ssrcs ||
      memcmp (remb2.ssrcs, remb.ssrcs, remb.n_ssrcs * sizeof (guint32)) != 0)
    abort ();
}

static gboolean
sr_equal (const HzRtcpSr *a, const HzRtcpSr *b)
{
  if (a->ssrc != b->ssrc || a->ntp != b->ntp || a->rtp_ts != b->rtp_ts ||
      a->packet_count != b->packet_count || a->octet_count != b->octet_count ||
      a->n_blocks != b->n_blocks)
    return FALSE;
  for (guint i = 0; i < a->n_blocks; i++) {
    const HzRtcpReportBlock *x = &a->blocks[i], *y = &b->blocks[i];
    if (x->ssrc != y->ssrc || x->fraction_lost != y->fraction_lost ||
        x->cumulative_lost != y->cumulative_lost || x->ext_highest_seq != y->ext_highest_seq ||
        x->jitter != y->jitter || x->lsr != y->lsr || x->dlsr != y->dlsr)
      return FALSE;
  }
  return TRUE;
}

static void
read_packet (const HzRtcpHeader *h)
{
  HzRtcpSr sr, sr2;
  HzRtcpRr rr;
  HzRtcpBye bye;
  HzRtcpFb fb;
  HzRtcpTwcc twcc;
  guint8 buf[28 + 31 * 24];

  if (hz_rtcp_parse_sr (h, &sr)) {
    gsize len = hz_rtcp_build_sr (buf, sizeof buf, &sr);
    HzRtcpIter it;
    HzRtcpHeader h2;
    hz_rtcp_iter_init (&it, buf, len);
    if (len == 0 || !hz_rtcp_iter_next (&it, &h2) || !hz_rtcp_parse_sr (&h2, &sr2) ||
        !sr_equal (&sr, &sr2))
      abort ();
  }
  if (hz_rtcp_parse_rr (h, &rr) && hz_rtcp_build_rr (buf, sizeof buf, &rr) == 0)
    abort ();
  hz_rtcp_parse_bye (h, &bye);
  if (!hz_rtcp_parse_fb (h, &fb))
    return;
  if (fb.fci + fb.fci_len > h->data + h->packet_len)
    abort ();
  hz_rtcp_is_pli (&fb);
  for (guint i = 0; i < hz_rtcp_fir_n_entries (&fb); i++) {
    guint32 ssrc;
    guint8 seq_nr;
    if (!hz_rtcp_fir_get_entry (&fb, i, &ssrc, &seq_nr))
      abort ();
  }
  hz_rtcp_parse_twcc (&fb, &twcc);
  nack_round_trip (&fb);
  remb_round_trip (&fb);
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree guint8 *copy = NULL;
  HzRtcpIter it;
  HzRtcpHeader h;
  gboolean valid;
  guint i = 0;

  valid = hz_rtcp_validate_compound (data, size);
  hz_rtcp_iter_init (&it, data, size);
  while (hz_rtcp_iter_next (&it, &h)) {
    if (h.offset + h.packet_len > size || h.body_len + 4 > h.packet_len)
      abort ();
    read_packet (&h);
  }

  /* rewriters change field values only: the compound stays as valid */
  copy = g_memdup2 (data, size);
  hz_rtcp_iter_init (&it, copy, size);
  while (hz_rtcp_iter_next (&it, &h)) {
    hz_rtcp_set_sender_ssrc (copy, &h, 0x11111111 * (i & 7));
    hz_rtcp_fb_set_media_ssrc (copy, &h, 0x22222222);
    hz_rtcp_fir_set_entry_ssrc (copy, &h, i, 0x33333333);
    hz_rtcp_sr_rewrite (copy, &h, 0x44444444, 0x80000000u + i);
    i++;
  }
  if (hz_rtcp_validate_compound (copy, size) != valid)
    abort ();
  return 0;
}
