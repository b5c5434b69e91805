/* hz-twcc: transport-wide-cc feedback: receive log + builder, send log +
 * parser. Hand-written: no library parses or builds this RTCP message. */
#include "hz-twcc.h"

#include <string.h>

#define WINDOW_MASK (HZ_TWCC_WINDOW - 1)
#define FB_HEADER_LEN 20        /* RTCP header, 2 SSRCs, base/count/ref/fbcount */
#define RUN_MAX 0x1fff
#define TICKS_PER_REF (HZ_TWCC_REFERENCE_US / HZ_TWCC_DELTA_US) /* 256 */

G_DEFINE_QUARK (hz-twcc-error-quark, hz_twcc_error)

static guint16
rd16 (const guint8 *p)
{
  return (guint16) ((p[0] << 8) | p[1]);
}

static void
wr16 (guint8 *p, guint16 v)
{
  p[0] = (guint8) (v >> 8);
  p[1] = (guint8) v;
}

static void
wr32 (guint8 *p, guint32 v)
{
  wr16 (p, (guint16) (v >> 16));
  wr16 (p + 2, (guint16) v);
}

/* floor (us / 250) for negative times too */
static gint64
to_ticks (gint64 us)
{
  return us >= 0 ? us / HZ_TWCC_DELTA_US : -((-us + HZ_TWCC_DELTA_US - 1) / HZ_TWCC_DELTA_US);
}

/* ---- parser -------------------------------------------------------------- */

/* Decodes the FCI of a transport-cc feedback (after the two SSRCs) into
 * @info and up to @max_statuses packet statuses (*n_statuses of them, in
 * sequence order; the rest of a longer feedback is validated but not
 * returned). Both chunk types and both delta sizes are read; padding after
 * the deltas is ignored. Returns FALSE with HZ_TWCC_ERROR_INVALID for a
 * truncated FCI or a reserved symbol. */
gboolean
hz_twcc_feedback_parse (const guint8 *fci,
                        gsize fci_len,
                        HzTwccFeedbackInfo *info,
                        HzTwccPacketStatus *statuses,
                        guint max_statuses,
                        guint *n_statuses,
                        GError **error)
{
  gsize pos = 8;
  guint seen = 0;
  guint kept;
  gsize delta_bytes = 0;
  gint64 at = 0;

  g_return_val_if_fail (info != NULL && n_statuses != NULL, FALSE);
  g_return_val_if_fail (statuses != NULL || max_statuses == 0, FALSE);
  *n_statuses = 0;
  if (fci == NULL || fci_len < 8) {
    g_set_error (error, HZ_TWCC_ERROR, HZ_TWCC_ERROR_INVALID, "feedback shorter than 8 bytes");
    return FALSE;
  }
  info->base_seq = rd16 (fci);
  info->status_count = rd16 (fci + 2);
  info->reference_time = ((guint32) fci[4] << 16) | ((guint32) fci[5] << 8) | fci[6];
  info->fb_pkt_count = fci[7];

  /* pass 1: chunks → symbols */
  while (seen < info->status_count) {
    guint16 c;
    guint n_sym;

    if (pos + 2 > fci_len) {
      g_set_error (error, HZ_TWCC_ERROR, HZ_TWCC_ERROR_INVALID,
                   "feedback ends after %u of %u packet statuses", seen, info->status_count);
      return FALSE;
    }
    c = rd16 (fci + pos);
    pos += 2;
    n_sym = (c & 0x8000) == 0 ? (c & RUN_MAX) : (c & 0x4000) == 0 ? 14 : 7;
    for (guint i = 0; i < n_sym && seen < info->status_count; i++, seen++) {
      guint sym;

      if ((c & 0x8000) == 0)
        sym = (c >> 13) & 3;
      else if ((c & 0x4000) == 0)
        sym = (c >> (13 - i)) & 1;
      else
        sym = (c >> (12 - 2 * i)) & 3;
      if (sym == 3) {
        g_set_error (error, HZ_TWCC_ERROR, HZ_TWCC_ERROR_INVALID,
                     "reserved packet status symbol at status %u", seen);
        return FALSE;
      }
      delta_bytes += sym;
      if (seen < max_statuses) {
        statuses[seen].seq = (guint16) (info->base_seq + seen);
        statuses[seen].symbol = (HzTwccSymbol) sym;
        statuses[seen].arrival_us = 0;
      }
    }
  }
  if (pos + delta_bytes > fci_len) {
    g_set_error (error, HZ_TWCC_ERROR, HZ_TWCC_ERROR_INVALID,
                 "feedback has %" G_GSIZE_FORMAT " bytes of receive deltas, needs %" G_GSIZE_FORMAT,
                 fci_len - pos, delta_bytes);
    return FALSE;
  }
  /* pass 2: receive deltas of the statuses we keep */
  kept = MIN (max_statuses, (guint) info->status_count);
  for (guint i = 0; i < kept; i++) {
    if (statuses[i].symbol == HZ_TWCC_SMALL_DELTA) {
      at += (gint64) fci[pos] * HZ_TWCC_DELTA_US;
      pos += 1;
    } else if (statuses[i].symbol == HZ_TWCC_LARGE_DELTA) {
      at += (gint64) (gint16) rd16 (fci + pos) * HZ_TWCC_DELTA_US;
      pos += 2;
    } else {
      continue;
    }
    statuses[i].arrival_us = at;
  }
  *n_statuses = kept;
  return TRUE;
}

/* ---- receive side ---------------------------------------------------------- */

struct _HzTwccRecv {
  gboolean started;
  guint32 highest;                  /* extended: cycles << 16 | seq */
  guint32 next;                     /* first extended seq not yet reported */
  guint8 fb_pkt_count;
  guint32 slot_seq[HZ_TWCC_WINDOW]; /* extended seq held by the slot, 0 = none */
  gint64 arrival[HZ_TWCC_WINDOW];
  guint8 symbols[HZ_TWCC_WINDOW];   /* scratch for build_feedback */
  gint16 deltas[HZ_TWCC_WINDOW];
};

HzTwccRecv *
hz_twcc_recv_new (void)
{
  return g_new0 (HzTwccRecv, 1);
}

void
hz_twcc_recv_free (HzTwccRecv *rx)
{
  g_free (rx);
}

/* Records that the packet stamped @twcc_seq (the transport-wide-cc header
 * extension of a publisher's packet, read with hz_rtp_ext_read_twcc_seq)
 * arrived at @now_us. Call on arrival, before anything else is done with the
 * packet. Packets already reported, or more than HZ_TWCC_WINDOW behind, are
 * ignored. */
void
hz_twcc_recv_on_packet (HzTwccRecv *rx, guint16 twcc_seq, gint64 now_us)
{
  guint32 ext;

  g_return_if_fail (rx != NULL);
  if (!rx->started) {
    rx->started = TRUE;
    rx->highest = rx->next = ext = (1u << 16) | twcc_seq;
  } else {
    ext = rx->highest + (guint32) (gint32) (gint16) (guint16) (twcc_seq - (guint16) rx->highest);
    if (ext < rx->next)
      return;
    if (ext > rx->highest)
      rx->highest = ext;
    if (rx->highest - rx->next >= HZ_TWCC_WINDOW)
      rx->next = rx->highest - HZ_TWCC_WINDOW + 1;
  }
  rx->slot_seq[ext & WINDOW_MASK] = ext;
  rx->arrival[ext & WINDOW_MASK] = now_us;
}

static gboolean
recv_has (HzTwccRecv *rx, guint32 ext)
{
  return rx->slot_seq[ext & WINDOW_MASK] == ext;
}

/* Writes the packet status chunks for symbols[0..n) at @p; returns bytes. */
static gsize
write_chunks (const guint8 *sym, guint n, guint8 *p)
{
  gsize len = 0;
  guint i = 0;

  while (i < n) {
    guint run = 1;
    guint span = MIN (14u, n - i);
    gboolean one_bit = TRUE;
    guint16 c;

    while (i + run < n && sym[i + run] == sym[i] && run < RUN_MAX)
      run++;
    for (guint k = 0; k < span; k++)
      one_bit = one_bit && sym[i + k] != HZ_TWCC_LARGE_DELTA;
    if (run >= 14 || run == n - i || (!one_bit && run >= 7)) {
      c = (guint16) ((sym[i] << 13) | run);
      i += run;
    } else if (one_bit) {
      c = 0x8000;
      for (guint k = 0; k < span; k++)
        c |= (guint16) (sym[i + k] << (13 - k));
      i += span;
    } else {
      c = 0xc000;
      span = MIN (7u, n - i);
      for (guint k = 0; k < span; k++)
        c |= (guint16) (sym[i + k] << (12 - 2 * k));
      i += span;
    }
    wr16 (p + len, c);
    len += 2;
  }
  return len;
}

/* Builds one RTCP transport-cc feedback packet (RTPFB, FMT 15) reporting
 * every packet since the last feedback, into @buf: base seq, status count,
 * reference time (64 ms units) from the first received packet's arrival,
 * packet status chunks (run-length, or 1- and 2-bit status vectors),
 * receive deltas (250 µs units, 1 byte or signed 2 bytes), RTP padding to
 * a 32-bit boundary (P bit set). @media_ssrc: any SSRC of the publisher
 * (browsers ignore it). Returns the packet length, or 0 when nothing is
 * new or @size is below 32. A report that does not fit in @size, or that
 * spans a delta beyond ±8 s, is cut there; the rest goes in the next call.
 * Call every HZ_TWCC_FEEDBACK_INTERVAL_US per publisher peer. */
gsize
hz_twcc_recv_build_feedback (HzTwccRecv *rx,
                             guint8 *buf,
                             gsize size,
                             guint32 sender_ssrc,
                             guint32 media_ssrc,
                             gint64 now_us)
{
  guint32 ext = 0;
  gint64 ref_ticks = 0;
  gint64 prev = 0;
  gboolean have_ref = FALSE;
  gsize delta_bytes = 0;
  gsize len;
  guint n = 0;
  guint pad;

  g_return_val_if_fail (rx != NULL && buf != NULL, 0);
  if (!rx->started || rx->next > rx->highest || size < 32)
    return 0;

  for (ext = rx->next; ext <= rx->highest && n < HZ_TWCC_WINDOW; ext++, n++) {
    guint8 sym = HZ_TWCC_NOT_RECEIVED;
    gint64 d = 0;

    if (recv_has (rx, ext)) {
      gint64 t = to_ticks (rx->arrival[ext & WINDOW_MASK]);

      if (!have_ref) {
        /* floor to 64 ms: the first delta is then 0 .. 255 ticks */
        ref_ticks = t >= 0 ? t / TICKS_PER_REF : -((-t + TICKS_PER_REF - 1) / TICKS_PER_REF);
        prev = ref_ticks * TICKS_PER_REF;
        have_ref = TRUE;
      }
      d = t - prev;
      if (d < G_MININT16 || d > G_MAXINT16)
        break;
      sym = d >= 0 && d <= 255 ? HZ_TWCC_SMALL_DELTA : HZ_TWCC_LARGE_DELTA;
      prev = t;
    }
    /* worst case: one 2-byte chunk per 7 statuses, then 3 bytes padding */
    if (FB_HEADER_LEN + 2 * ((n + 1 + 6) / 7) + delta_bytes + sym + 3 > size)
      break;
    rx->symbols[n] = sym;
    rx->deltas[n] = (gint16) d;
    delta_bytes += sym;
  }
  if (n == 0)
    return 0;

  buf[0] = 0x80 | 15;             /* V=2, P set below, FMT=15 */
  buf[1] = 205;                   /* RTPFB */
  wr32 (buf + 4, sender_ssrc);
  wr32 (buf + 8, media_ssrc);
  wr16 (buf + 12, (guint16) rx->next);
  wr16 (buf + 14, (guint16) n);
  buf[16] = (guint8) (ref_ticks >> 16);
  buf[17] = (guint8) (ref_ticks >> 8);
  buf[18] = (guint8) ref_ticks;
  buf[19] = rx->fb_pkt_count++;
  len = FB_HEADER_LEN + write_chunks (rx->symbols, n, buf + FB_HEADER_LEN);
  for (guint i = 0; i < n; i++) {
    if (rx->symbols[i] == HZ_TWCC_SMALL_DELTA) {
      buf[len++] = (guint8) rx->deltas[i];
    } else if (rx->symbols[i] == HZ_TWCC_LARGE_DELTA) {
      wr16 (buf + len, (guint16) rx->deltas[i]);
      len += 2;
    }
  }
  pad = (4 - len % 4) % 4;
  if (pad > 0) {
    memset (buf + len, 0, pad);
    len += pad;
    buf[len - 1] = (guint8) pad;
    buf[0] |= 0x20;
  }
  wr16 (buf + 2, (guint16) (len / 4 - 1));
  rx->next += n;
  return len;
}

/* ---- send side ------------------------------------------------------------- */

/* 16 octets: one per subscriber per sent packet in the window, so packed
 * (an SRTP packet is < 64 KiB) */
typedef struct {
  gint64 send_us;
  guint16 size;
  guint16 seq;
  guint8 used;
  guint8 acked;                     /* reported received already */
} SentSlot;

struct _HzTwccSend {
  SentSlot slots[HZ_TWCC_WINDOW];
  gboolean have_ref;
  guint32 last_ref;                 /* 24 bits as sent */
  gint64 ref_unwrapped;
  HzTwccPacketStatus scratch[HZ_TWCC_WINDOW];
};

HzTwccSend *
hz_twcc_send_new (void)
{
  return g_new0 (HzTwccSend, 1);
}

void
hz_twcc_send_free (HzTwccSend *tx)
{
  g_free (tx);
}

/* Records that a packet stamped @twcc_seq (hz_rtp_ext_write_twcc_seq, one
 * counter per subscriber peer across all its tracks) of @size bytes (as
 * sent, SRTP included) left at @now_us. Call right after the send. */
void
hz_twcc_send_register (HzTwccSend *tx, guint16 twcc_seq, gsize size, gint64 now_us)
{
  SentSlot *s;

  g_return_if_fail (tx != NULL);
  s = &tx->slots[twcc_seq & WINDOW_MASK];
  s->seq = twcc_seq;
  s->used = TRUE;
  s->acked = FALSE;
  s->send_us = now_us;
  s->size = (guint16) MIN (size, G_MAXUINT16);
}

/* Parses a transport-cc feedback FCI from the subscriber (HzRtcpFb.fci and
 * .fci_len after hz_rtcp_parse_fb with fmt HZ_RTCP_RTPFB_TWCC) and writes
 * one result per packet we registered and have not seen acknowledged, in
 * sequence order, at most @max_results (HZ_TWCC_WINDOW covers any
 * feedback). Arrival times are on the receiver's clock made continuous
 * across feedbacks (the 24-bit reference time is unwrapped). Statuses for
 * packets we never sent or forgot are skipped. Returns FALSE with
 * HZ_TWCC_ERROR_INVALID, changing nothing, for a malformed feedback. */
gboolean
hz_twcc_send_on_feedback (HzTwccSend *tx,
                          const guint8 *fci,
                          gsize fci_len,
                          HzTwccResult *results,
                          guint max_results,
                          guint *n_results,
                          GError **error)
{
  HzTwccFeedbackInfo info;
  guint n = 0;
  guint out = 0;
  gint64 ref_us;

  g_return_val_if_fail (tx != NULL && n_results != NULL, FALSE);
  g_return_val_if_fail (results != NULL || max_results == 0, FALSE);
  *n_results = 0;
  if (!hz_twcc_feedback_parse (fci, fci_len, &info, tx->scratch, HZ_TWCC_WINDOW, &n, error))
    return FALSE;
  if (!tx->have_ref) {
    tx->have_ref = TRUE;
    tx->ref_unwrapped = info.reference_time;
  } else {
    gint32 diff = (gint32) ((info.reference_time - tx->last_ref) << 8) >> 8; /* signed 24 */
    tx->ref_unwrapped += diff;
  }
  tx->last_ref = info.reference_time;
  ref_us = tx->ref_unwrapped * HZ_TWCC_REFERENCE_US;

  for (guint i = 0; i < n && out < max_results; i++) {
    const HzTwccPacketStatus *st = &tx->scratch[i];
    SentSlot *s = &tx->slots[st->seq & WINDOW_MASK];
    HzTwccResult *r;

    if (!s->used || s->seq != st->seq || s->acked)
      continue;
    r = &results[out++];
    r->seq = st->seq;
    r->send_us = s->send_us;
    r->size = s->size;
    r->received = st->symbol != HZ_TWCC_NOT_RECEIVED;
    r->arrival_us = r->received ? ref_us + st->arrival_us : 0;
    s->acked = r->received;
  }
  *n_results = out;
  return TRUE;
}
