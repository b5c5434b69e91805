/* test-rtcp.c: compound RTCP iteration, parsers, builders and in-place
 * rewriters (hz-rtcp). */
#include <glib.h>
#include <string.h>

#include "hz-rtcp.h"

/* SR + SDES, the compound a publisher's browser sends. */
static const guint8 sr_sdes[] = {
  /* SR */
  0x81, 0xc8, 0x00, 0x0c, /* V=2 P=0 RC=1, PT=200 SR, length 12 (52 bytes) */
  0x11, 0x22, 0x33, 0x44, /* sender ssrc */
  0xe8, 0x3e, 0x6a, 0x10, /* NTP timestamp, most significant word */
  0x80, 0x00, 0x00, 0x00, /* NTP timestamp, least significant word */
  0x00, 0x01, 0x5f, 0x90, /* RTP timestamp 90000 */
  0x00, 0x00, 0x00, 0x64, /* sender's packet count 100 */
  0x00, 0x00, 0x27, 0x10, /* sender's octet count 10000 */
  0x55, 0x66, 0x77, 0x88, /* report block: ssrc */
  0x19,                   /* fraction lost 25/256 */
  0xff, 0xff, 0xfe,       /* cumulative lost -2 (duplicates) */
  0x00, 0x01, 0x00, 0x05, /* extended highest sequence number */
  0x00, 0x00, 0x00, 0x20, /* interarrival jitter 32 */
  0xab, 0xcd, 0x12, 0x34, /* LSR */
  0x00, 0x01, 0x00, 0x00, /* DLSR: 1 s */
  /* SDES */
  0x81, 0xca, 0x00, 0x04, /* V=2 SC=1, PT=202 SDES, length 4 (20 bytes) */
  0x11, 0x22, 0x33, 0x44, /* chunk ssrc */
  0x01, 0x08,             /* CNAME, 8 bytes */
  'h', 'u', 'i', 'z', 'h', 'e', 'n', '1',
  0x00, 0x00,             /* end of items, pad to 32 bits */
};

/* RR + PLI + REMB: a subscriber's feedback compound. */
static const guint8 rr_pli_remb[] = {
  /* RR */
  0x81, 0xc9, 0x00, 0x07, /* V=2 RC=1, PT=201 RR, length 7 (32 bytes) */
  0x0a, 0x0b, 0x0c, 0x0d, /* sender ssrc */
  0x11, 0x22, 0x33, 0x44, /* report block: ssrc */
  0x00,                   /* fraction lost 0 */
  0x00, 0x00, 0x0c,       /* cumulative lost 12 */
  0x00, 0x00, 0xff, 0xff, /* extended highest sequence number */
  0x00, 0x00, 0x01, 0x00, /* jitter 256 */
  0x00, 0x00, 0x00, 0x00, /* LSR */
  0x00, 0x00, 0x00, 0x00, /* DLSR */
  /* PLI */
  0x81, 0xce, 0x00, 0x02, /* V=2 FMT=1, PT=206 PSFB, length 2 (12 bytes) */
  0x0a, 0x0b, 0x0c, 0x0d, /* sender ssrc */
  0x11, 0x22, 0x33, 0x44, /* media ssrc */
  /* REMB */
  0x8f, 0xce, 0x00, 0x05, /* V=2 FMT=15, PT=206 PSFB, length 5 (24 bytes) */
  0x0a, 0x0b, 0x0c, 0x0d, /* sender ssrc */
  0x00, 0x00, 0x00, 0x00, /* media ssrc: unused, 0 */
  'R', 'E', 'M', 'B',     /* unique identifier */
  0x01,                   /* Num SSRC 1 */
  0x0b, 0xd0, 0x90,       /* BR Exp 2, BR Mantissa 250000: 1,000,000 bps */
  0x11, 0x22, 0x33, 0x44, /* ssrc */
};

static const guint8 nack[] = {
  0x81, 0xcd, 0x00, 0x03, /* V=2 FMT=1, PT=205 RTPFB, length 3 (16 bytes) */
  0x0a, 0x0b, 0x0c, 0x0d, /* sender ssrc */
  0x11, 0x22, 0x33, 0x44, /* media ssrc */
  0x00, 0x64,             /* PID 100 */
  0x80, 0x11,             /* BLP: bits 0, 4, 15 -> 101, 105, 116 */
};

static const guint8 twcc[] = {
  0x8f, 0xcd, 0x00, 0x05, /* V=2 FMT=15, PT=205 RTPFB, length 5 (24 bytes) */
  0x0a, 0x0b, 0x0c, 0x0d, /* sender ssrc */
  0x11, 0x22, 0x33, 0x44, /* media ssrc */
  0x01, 0x00,             /* base sequence number 256 */
  0x00, 0x03,             /* packet status count 3 */
  0xff, 0xff, 0xfe,       /* reference time -2 (x 64 ms) */
  0x07,                   /* feedback packet count 7 */
  0x20, 0x03,             /* run length chunk: 3 x small delta */
  0x04, 0x04,             /* receive deltas (only partly shown) */
};

static const guint8 fir[] = {
  0x84, 0xce, 0x00, 0x04, /* V=2 FMT=4, PT=206 PSFB, length 4 (20 bytes) */
  0x0a, 0x0b, 0x0c, 0x0d, /* sender ssrc */
  0x00, 0x00, 0x00, 0x00, /* media ssrc: unused, 0 */
  0x11, 0x22, 0x33, 0x44, /* FCI: target ssrc */
  0x07, 0x00, 0x00, 0x00, /* command seq nr 7, reserved */
};

static const guint8 bye[] = {
  0x82, 0xcb, 0x00, 0x04, /* V=2 SC=2, PT=203 BYE, length 4 (20 bytes) */
  0x11, 0x22, 0x33, 0x44, /* ssrc */
  0x55, 0x66, 0x77, 0x88, /* ssrc */
  0x06, 'l', 'e', 'a', 'v', 'e', /* reason "leave" (6 bytes) */
  '!', 0x00,
};

static gboolean
first_packet (const guint8 *buf, gsize len, HzRtcpHeader *hdr)
{
  HzRtcpIter it;
  hz_rtcp_iter_init (&it, buf, len);
  return hz_rtcp_iter_next (&it, hdr);
}

static void
test_rtcp_iter_sr_sdes (void)
{
  HzRtcpIter it;
  HzRtcpHeader h;
  HzRtcpSr sr;

  hz_rtcp_iter_init (&it, sr_sdes, sizeof sr_sdes);
  g_assert_true (hz_rtcp_iter_next (&it, &h));
  g_assert_cmpuint (h.pt, ==, HZ_RTCP_PT_SR);
  g_assert_cmpuint (h.count, ==, 1);
  g_assert_cmpuint (h.offset, ==, 0);
  g_assert_cmpuint (h.packet_len, ==, 52);
  g_assert_true (hz_rtcp_parse_sr (&h, &sr));
  g_assert_cmpuint (sr.ssrc, ==, 0x11223344);
  g_assert_cmpuint (sr.ntp, ==, G_GUINT64_CONSTANT (0xe83e6a1080000000));
  g_assert_cmpuint (sr.rtp_ts, ==, 90000);
  g_assert_cmpuint (sr.packet_count, ==, 100);
  g_assert_cmpuint (sr.octet_count, ==, 10000);
  g_assert_cmpuint (sr.n_blocks, ==, 1);
  g_assert_cmpuint (sr.blocks[0].ssrc, ==, 0x55667788);
  g_assert_cmpuint (sr.blocks[0].fraction_lost, ==, 25);
  g_assert_cmpint (sr.blocks[0].cumulative_lost, ==, -2);
  g_assert_cmpuint (sr.blocks[0].ext_highest_seq, ==, 0x10005);
  g_assert_cmpuint (sr.blocks[0].jitter, ==, 32);
  g_assert_cmpuint (sr.blocks[0].lsr, ==, 0xabcd1234);
  g_assert_cmpuint (sr.blocks[0].dlsr, ==, 65536);

  g_assert_true (hz_rtcp_iter_next (&it, &h));
  g_assert_cmpuint (h.pt, ==, HZ_RTCP_PT_SDES);
  g_assert_cmpuint (h.offset, ==, 52);
  g_assert_false (hz_rtcp_parse_sr (&h, &sr));
  g_assert_false (hz_rtcp_iter_next (&it, &h));
  g_assert_false (it.malformed);
  g_assert_true (hz_rtcp_validate_compound (sr_sdes, sizeof sr_sdes));
}

/* Every prefix of a compound: only whole packets are ever returned, and the
 * compound validates only when cut at a packet boundary. */
static void
test_rtcp_truncation (void)
{
  for (gsize l = 0; l < sizeof sr_sdes; l++) {
    g_autofree guint8 *copy = g_memdup2 (sr_sdes, l);
    HzRtcpIter it;
    HzRtcpHeader h;
    gsize end = 0;

    hz_rtcp_iter_init (&it, copy, l);
    while (hz_rtcp_iter_next (&it, &h)) {
      g_assert_cmpuint (h.offset + h.packet_len, <=, l);
      end = h.offset + h.packet_len;
    }
    g_assert_cmpuint (end, ==, l >= 52 ? 52 : 0);
    g_assert_true (hz_rtcp_validate_compound (copy, l) == (l == 52));
  }
  for (gsize l = 0; l < sizeof rr_pli_remb; l++) {
    g_autofree guint8 *copy = g_memdup2 (rr_pli_remb, l);
    g_assert_true (hz_rtcp_validate_compound (copy, l) == (l == 32 || l == 44));
  }
}

/* A malformed packet in the middle stops iteration there and flags it. */
static void
test_rtcp_malformed_middle (void)
{
  guint8 p[sizeof rr_pli_remb];
  HzRtcpIter it;
  HzRtcpHeader h;

  memcpy (p, rr_pli_remb, sizeof p);
  p[35] = 0x10; /* PLI length 16 words: runs past the buffer */
  hz_rtcp_iter_init (&it, p, sizeof p);
  g_assert_true (hz_rtcp_iter_next (&it, &h));
  g_assert_cmpuint (h.pt, ==, HZ_RTCP_PT_RR);
  g_assert_false (hz_rtcp_iter_next (&it, &h));
  g_assert_true (it.malformed);
  g_assert_false (hz_rtcp_iter_next (&it, &h));
  g_assert_false (hz_rtcp_validate_compound (p, sizeof p));

  memcpy (p, rr_pli_remb, sizeof p);
  p[32] = 0x41; /* PLI version 1 */
  hz_rtcp_iter_init (&it, p, sizeof p);
  g_assert_true (hz_rtcp_iter_next (&it, &h));
  g_assert_false (hz_rtcp_iter_next (&it, &h));
  g_assert_true (it.malformed);

  memcpy (p, rr_pli_remb, sizeof p);
  p[32] |= 0x20; /* PLI P=1 with a padding count (0x44) larger than the packet */
  hz_rtcp_iter_init (&it, p, sizeof p);
  g_assert_true (hz_rtcp_iter_next (&it, &h));
  g_assert_false (hz_rtcp_iter_next (&it, &h));
  g_assert_true (it.malformed);
}

static void
test_rtcp_padding (void)
{
  const guint8 rr_padded[] = {
    0xa0, 0xc9, 0x00, 0x02, /* V=2 P=1 RC=0, PT=201 RR, length 2 (12 bytes) */
    0x0a, 0x0b, 0x0c, 0x0d, /* sender ssrc */
    0x00, 0x00, 0x00, 0x04, /* 4 bytes of padding */
  };
  HzRtcpHeader h;
  HzRtcpRr rr;

  g_assert_true (first_packet (rr_padded, sizeof rr_padded, &h));
  g_assert_true (h.padding);
  g_assert_cmpuint (h.body_len, ==, 4);
  g_assert_true (hz_rtcp_parse_rr (&h, &rr));
  g_assert_cmpuint (rr.ssrc, ==, 0x0a0b0c0d);
  g_assert_cmpuint (rr.n_blocks, ==, 0);
}

static void
test_rtcp_rr_pli_remb (void)
{
  HzRtcpIter it;
  HzRtcpHeader h;
  HzRtcpRr rr;
  HzRtcpFb fb;
  HzRtcpRemb remb;

  hz_rtcp_iter_init (&it, rr_pli_remb, sizeof rr_pli_remb);
  g_assert_true (hz_rtcp_iter_next (&it, &h));
  g_assert_true (hz_rtcp_parse_rr (&h, &rr));
  g_assert_cmpuint (rr.ssrc, ==, 0x0a0b0c0d);
  g_assert_cmpuint (rr.n_blocks, ==, 1);
  g_assert_cmpint (rr.blocks[0].cumulative_lost, ==, 12);
  g_assert_cmpuint (rr.blocks[0].ext_highest_seq, ==, 0xffff);
  g_assert_cmpuint (rr.blocks[0].jitter, ==, 256);
  g_assert_false (hz_rtcp_parse_fb (&h, &fb));

  g_assert_true (hz_rtcp_iter_next (&it, &h));
  g_assert_true (hz_rtcp_parse_fb (&h, &fb));
  g_assert_true (hz_rtcp_is_pli (&fb));
  g_assert_cmpuint (fb.sender_ssrc, ==, 0x0a0b0c0d);
  g_assert_cmpuint (fb.media_ssrc, ==, 0x11223344);
  g_assert_false (hz_rtcp_parse_remb (&fb, &remb));

  g_assert_true (hz_rtcp_iter_next (&it, &h));
  g_assert_true (hz_rtcp_parse_fb (&h, &fb));
  g_assert_false (hz_rtcp_is_pli (&fb));
  g_assert_true (hz_rtcp_parse_remb (&fb, &remb));
  g_assert_cmpuint (remb.bitrate, ==, 1000000);
  g_assert_cmpuint (remb.exp, ==, 2);
  g_assert_cmpuint (remb.mantissa, ==, 250000);
  g_assert_cmpuint (remb.n_ssrcs, ==, 1);
  g_assert_cmpuint (remb.ssrcs[0], ==, 0x11223344);
  g_assert_false (hz_rtcp_iter_next (&it, &h));
  g_assert_false (it.malformed);
}

static void
test_rtcp_rr_too_many_blocks (void)
{
  guint8 p[32];
  HzRtcpHeader h;
  HzRtcpRr rr;

  memcpy (p, rr_pli_remb, sizeof p);
  p[0] = 0x82; /* RC=2 but only one block in the length */
  g_assert_true (first_packet (p, sizeof p, &h));
  g_assert_false (hz_rtcp_parse_rr (&h, &rr));
}

static void
test_rtcp_bye (void)
{
  HzRtcpHeader h;
  HzRtcpBye b;
  guint8 p[sizeof bye];

  g_assert_true (first_packet (bye, sizeof bye, &h));
  g_assert_true (hz_rtcp_parse_bye (&h, &b));
  g_assert_cmpuint (b.n_ssrcs, ==, 2);
  g_assert_cmpuint (b.ssrcs[0], ==, 0x11223344);
  g_assert_cmpuint (b.ssrcs[1], ==, 0x55667788);
  memcpy (p, bye, sizeof p);
  p[12] = 0x08; /* reason length past the packet */
  g_assert_true (first_packet (p, sizeof p, &h));
  g_assert_false (hz_rtcp_parse_bye (&h, &b));
}

static void
test_rtcp_nack_fixture (void)
{
  HzRtcpHeader h;
  HzRtcpFb fb;
  guint16 seqs[32];
  const guint16 expected[] = { 100, 101, 105, 116 };

  g_assert_true (first_packet (nack, sizeof nack, &h));
  g_assert_true (hz_rtcp_parse_fb (&h, &fb));
  g_assert_cmpuint (hz_rtcp_nack_expand (&fb, seqs, G_N_ELEMENTS (seqs)), ==, 4);
  g_assert_cmpmem (seqs, sizeof expected, expected, sizeof expected);
  /* the caller's array bounds the expansion */
  g_assert_cmpuint (hz_rtcp_nack_expand (&fb, seqs, 2), ==, 2);
  /* a PLI is not a NACK */
  fb.pt = HZ_RTCP_PT_PSFB;
  g_assert_cmpuint (hz_rtcp_nack_expand (&fb, seqs, G_N_ELEMENTS (seqs)), ==, 0);
}

static void
test_rtcp_nack_round_trip (void)
{
  const guint16 lost[] = { 100, 101, 105, 116, 117, 200, 65535, 0, 3 };
  const guint16 with_dups[] = { 7, 7, 8 };
  guint8 buf[64];
  guint16 seqs[64];
  HzRtcpHeader h;
  HzRtcpFb fb;
  gsize len;

  len = hz_rtcp_build_nack (buf, sizeof buf, 0x0a0b0c0d, 0x11223344, lost, G_N_ELEMENTS (lost));
  /* 100+{101,105,116}, 117, 200, 65535+{0,3}: four PID/BLP pairs */
  g_assert_cmpuint (len, ==, 12 + 4 * 4);
  g_assert_cmpmem (buf + 12, 4, nack + 12, 4);
  g_assert_true (hz_rtcp_validate_compound (buf, len));
  g_assert_true (first_packet (buf, len, &h));
  g_assert_true (hz_rtcp_parse_fb (&h, &fb));
  g_assert_cmpuint (fb.media_ssrc, ==, 0x11223344);
  g_assert_cmpuint (hz_rtcp_nack_expand (&fb, seqs, G_N_ELEMENTS (seqs)), ==, G_N_ELEMENTS (lost));
  g_assert_cmpmem (seqs, sizeof lost, lost, sizeof lost);

  len = hz_rtcp_build_nack (buf, sizeof buf, 1, 2, with_dups, G_N_ELEMENTS (with_dups));
  g_assert_cmpuint (len, ==, 16);
  g_assert_true (first_packet (buf, len, &h));
  g_assert_true (hz_rtcp_parse_fb (&h, &fb));
  g_assert_cmpuint (hz_rtcp_nack_expand (&fb, seqs, G_N_ELEMENTS (seqs)), ==, 2);
  g_assert_cmpuint (seqs[0], ==, 7);
  g_assert_cmpuint (seqs[1], ==, 8);

  /* does not fit: nothing written */
  memset (buf, 0xaa, sizeof buf);
  g_assert_cmpuint (hz_rtcp_build_nack (buf, 27, 1, 2, lost, G_N_ELEMENTS (lost)), ==, 0);
  g_assert_cmpuint (buf[0], ==, 0xaa);
  g_assert_cmpuint (hz_rtcp_build_nack (buf, sizeof buf, 1, 2, lost, 0), ==, 0);
}

static void
test_rtcp_remb_round_trip (void)
{
  const guint64 rates[] = { 0, 1, 0x3ffff, 0x40000, 1000000, 2500001,
                            G_GUINT64_CONSTANT (1) << 40 };
  const guint32 ssrcs[] = { 0x11223344, 0x55667788 };
  guint8 buf[64];

  for (guint i = 0; i < G_N_ELEMENTS (rates); i++) {
    HzRtcpHeader h;
    HzRtcpFb fb;
    HzRtcpRemb remb;
    gsize len = hz_rtcp_build_remb (buf, sizeof buf, 0x0a0b0c0d, rates[i], ssrcs, 2);

    g_assert_cmpuint (len, ==, 28);
    g_assert_true (first_packet (buf, len, &h));
    g_assert_true (hz_rtcp_parse_fb (&h, &fb));
    g_assert_true (hz_rtcp_parse_remb (&fb, &remb));
    /* rounded down, by less than one part in 2^17 */
    g_assert_cmpuint (remb.bitrate, <=, rates[i]);
    g_assert_cmpuint (remb.bitrate, >=, rates[i] - rates[i] / 131072);
    g_assert_cmpuint (remb.n_ssrcs, ==, 2);
    g_assert_cmpmem (remb.ssrcs, sizeof ssrcs, ssrcs, sizeof ssrcs);
    g_assert_cmpuint (fb.sender_ssrc, ==, 0x0a0b0c0d);
  }
  /* same bytes as the browser's REMB for 1 Mbps */
  g_assert_cmpuint (hz_rtcp_build_remb (buf, sizeof buf, 0x0a0b0c0d, 1000000, ssrcs, 1), ==, 24);
  g_assert_cmpmem (buf, 24, rr_pli_remb + 44, 24);
  g_assert_cmpuint (hz_rtcp_build_remb (buf, 23, 1, 1000000, ssrcs, 1), ==, 0);
}

static void
test_rtcp_remb_rejects (void)
{
  guint8 p[24];
  HzRtcpHeader h;
  HzRtcpFb fb;
  HzRtcpRemb remb;

  memcpy (p, rr_pli_remb + 44, sizeof p);
  p[16] = 0x02; /* claims 2 SSRCs, carries 1 */
  g_assert_true (first_packet (p, sizeof p, &h));
  g_assert_true (hz_rtcp_parse_fb (&h, &fb));
  g_assert_false (hz_rtcp_parse_remb (&fb, &remb));
  memcpy (p, rr_pli_remb + 44, sizeof p);
  p[12] = 'X'; /* not "REMB" */
  g_assert_true (first_packet (p, sizeof p, &h));
  g_assert_true (hz_rtcp_parse_fb (&h, &fb));
  g_assert_false (hz_rtcp_parse_remb (&fb, &remb));
  /* exp 63 with a full mantissa saturates instead of overflowing */
  memcpy (p, rr_pli_remb + 44, sizeof p);
  p[17] = 0xff;
  g_assert_true (first_packet (p, sizeof p, &h));
  g_assert_true (hz_rtcp_parse_fb (&h, &fb));
  g_assert_true (hz_rtcp_parse_remb (&fb, &remb));
  g_assert_cmpuint (remb.bitrate, ==, G_MAXUINT64);
}

static void
test_rtcp_twcc (void)
{
  HzRtcpHeader h;
  HzRtcpFb fb;
  HzRtcpTwcc t;

  g_assert_true (first_packet (twcc, sizeof twcc, &h));
  g_assert_true (hz_rtcp_parse_fb (&h, &fb));
  g_assert_true (hz_rtcp_parse_twcc (&fb, &t));
  g_assert_cmpuint (t.base_seq, ==, 256);
  g_assert_cmpuint (t.status_count, ==, 3);
  g_assert_cmpint (t.reference_time, ==, -2);
  g_assert_cmpuint (t.fb_pkt_count, ==, 7);
  g_assert_cmpuint (hz_rtcp_nack_expand (&fb, NULL, 0), ==, 0);
}

static void
test_rtcp_fir (void)
{
  HzRtcpHeader h;
  HzRtcpFb fb;
  guint32 ssrc = 0;
  guint8 seq_nr = 0;
  guint8 buf[32];
  gsize len;

  g_assert_true (first_packet (fir, sizeof fir, &h));
  g_assert_true (hz_rtcp_parse_fb (&h, &fb));
  g_assert_cmpuint (hz_rtcp_fir_n_entries (&fb), ==, 1);
  g_assert_true (hz_rtcp_fir_get_entry (&fb, 0, &ssrc, &seq_nr));
  g_assert_cmpuint (ssrc, ==, 0x11223344);
  g_assert_cmpuint (seq_nr, ==, 7);
  g_assert_false (hz_rtcp_fir_get_entry (&fb, 1, &ssrc, &seq_nr));

  len = hz_rtcp_build_fir (buf, sizeof buf, 0x0a0b0c0d, 0x11223344, 7);
  g_assert_cmpmem (buf, len, fir, sizeof fir);
  g_assert_cmpuint (hz_rtcp_build_fir (buf, 19, 1, 2, 3), ==, 0);
}

static void
test_rtcp_build_pli_rr_sr (void)
{
  guint8 buf[128];
  HzRtcpHeader h;
  HzRtcpSr sr, sr2;
  HzRtcpRr rr, rr2;
  gsize len;

  len = hz_rtcp_build_pli (buf, sizeof buf, 0x0a0b0c0d, 0x11223344);
  g_assert_cmpmem (buf, len, rr_pli_remb + 32, 12);

  memset (&rr, 0, sizeof rr);
  rr.ssrc = 0x0a0b0c0d;
  len = hz_rtcp_build_rr (buf, sizeof buf, &rr);
  g_assert_cmpuint (len, ==, 8);
  rr.n_blocks = 1;
  rr.blocks[0].ssrc = 0x11223344;
  rr.blocks[0].cumulative_lost = 12;
  rr.blocks[0].ext_highest_seq = 0xffff;
  rr.blocks[0].jitter = 256;
  len = hz_rtcp_build_rr (buf, sizeof buf, &rr);
  g_assert_cmpmem (buf, len, rr_pli_remb, 32);
  g_assert_cmpuint (hz_rtcp_build_rr (buf, 31, &rr), ==, 0);
  rr.blocks[0].cumulative_lost = -9000000; /* clamps to the 24-bit minimum */
  len = hz_rtcp_build_rr (buf, sizeof buf, &rr);
  g_assert_true (first_packet (buf, len, &h));
  g_assert_true (hz_rtcp_parse_rr (&h, &rr2));
  g_assert_cmpint (rr2.blocks[0].cumulative_lost, ==, -0x800000);

  g_assert_true (first_packet (sr_sdes, sizeof sr_sdes, &h));
  g_assert_true (hz_rtcp_parse_sr (&h, &sr));
  len = hz_rtcp_build_sr (buf, sizeof buf, &sr);
  g_assert_cmpmem (buf, len, sr_sdes, 52);
  g_assert_true (first_packet (buf, len, &h));
  g_assert_true (hz_rtcp_parse_sr (&h, &sr2));
  g_assert_cmpuint (sr2.ntp, ==, sr.ntp);
  g_assert_cmpuint (hz_rtcp_build_sr (buf, 51, &sr), ==, 0);
}

static void
test_rtcp_rewrite (void)
{
  guint8 p[sizeof rr_pli_remb];
  guint8 s[sizeof sr_sdes];
  HzRtcpIter it;
  HzRtcpHeader h;
  HzRtcpFb fb;
  HzRtcpSr sr;

  /* forward the PLI to the publisher under the SFU's own SSRCs */
  memcpy (p, rr_pli_remb, sizeof p);
  hz_rtcp_iter_init (&it, p, sizeof p);
  g_assert_true (hz_rtcp_iter_next (&it, &h));
  g_assert_true (hz_rtcp_iter_next (&it, &h));
  g_assert_true (hz_rtcp_set_sender_ssrc (p, &h, 0x5f5f5f5f));
  g_assert_true (hz_rtcp_fb_set_media_ssrc (p, &h, 0xcafebabe));
  g_assert_true (hz_rtcp_parse_fb (&h, &fb));
  g_assert_cmpuint (fb.sender_ssrc, ==, 0x5f5f5f5f);
  g_assert_cmpuint (fb.media_ssrc, ==, 0xcafebabe);
  g_assert_cmpmem (p, 32, rr_pli_remb, 32);
  g_assert_cmpmem (p + 44, 24, rr_pli_remb + 44, 24);

  /* FIR target */
  {
    guint8 f[sizeof fir];
    guint32 ssrc;
    memcpy (f, fir, sizeof f);
    g_assert_true (first_packet (f, sizeof f, &h));
    g_assert_true (hz_rtcp_fir_set_entry_ssrc (f, &h, 0, 0xcafebabe));
    g_assert_false (hz_rtcp_fir_set_entry_ssrc (f, &h, 1, 0xcafebabe));
    g_assert_true (hz_rtcp_parse_fb (&h, &fb));
    g_assert_true (hz_rtcp_fir_get_entry (&fb, 0, &ssrc, NULL));
    g_assert_cmpuint (ssrc, ==, 0xcafebabe);
  }

  /* publisher SR forwarded to a subscriber: new SSRC, timestamp offset wraps */
  memcpy (s, sr_sdes, sizeof s);
  g_assert_true (first_packet (s, sizeof s, &h));
  g_assert_true (hz_rtcp_sr_rewrite (s, &h, 0x99999999, 0xffffffff - 89999 + 16));
  g_assert_true (hz_rtcp_parse_sr (&h, &sr));
  g_assert_cmpuint (sr.ssrc, ==, 0x99999999);
  g_assert_cmpuint (sr.rtp_ts, ==, 16);
  g_assert_cmpuint (sr.packet_count, ==, 100);
  g_assert_cmpmem (s + 20, sizeof s - 20, sr_sdes + 20, sizeof s - 20);

  /* rewriters refuse packets of the wrong type */
  hz_rtcp_iter_init (&it, s, sizeof s);
  g_assert_true (hz_rtcp_iter_next (&it, &h));
  g_assert_false (hz_rtcp_fb_set_media_ssrc (s, &h, 1));
  g_assert_true (hz_rtcp_iter_next (&it, &h));
  g_assert_false (hz_rtcp_sr_rewrite (s, &h, 1, 1));
  g_assert_false (hz_rtcp_set_sender_ssrc (s, &h, 1));
  g_assert_cmpmem (s + 52, 20, sr_sdes + 52, 20);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/rtcp/iter/sr-sdes", test_rtcp_iter_sr_sdes);
  g_test_add_func ("/rtcp/iter/truncation", test_rtcp_truncation);
  g_test_add_func ("/rtcp/iter/malformed-middle", test_rtcp_malformed_middle);
  g_test_add_func ("/rtcp/iter/padding", test_rtcp_padding);
  g_test_add_func ("/rtcp/parse/rr-pli-remb", test_rtcp_rr_pli_remb);
  g_test_add_func ("/rtcp/parse/rr-too-many-blocks", test_rtcp_rr_too_many_blocks);
  g_test_add_func ("/rtcp/parse/bye", test_rtcp_bye);
  g_test_add_func ("/rtcp/nack/fixture", test_rtcp_nack_fixture);
  g_test_add_func ("/rtcp/nack/round-trip", test_rtcp_nack_round_trip);
  g_test_add_func ("/rtcp/remb/round-trip", test_rtcp_remb_round_trip);
  g_test_add_func ("/rtcp/remb/rejects", test_rtcp_remb_rejects);
  g_test_add_func ("/rtcp/twcc", test_rtcp_twcc);
  g_test_add_func ("/rtcp/fir", test_rtcp_fir);
  g_test_add_func ("/rtcp/build/pli-rr-sr", test_rtcp_build_pli_rr_sr);
  g_test_add_func ("/rtcp/rewrite", test_rtcp_rewrite);
  return g_test_run ();
}
