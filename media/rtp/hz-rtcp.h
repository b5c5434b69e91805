/* hz-rtcp.h: RTCP (RFC 3550 §6, RFC 4585, RFC 5104) for the SFU: a strict
 * iterator over compound packets, parsers for SR, RR, BYE, generic NACK,
 * PLI, FIR, REMB and the transport-wide-cc feedback header, builders into a
 * caller buffer, and in-place rewriters for forwarding feedback and sender
 * reports. No allocation, no logging, no clocks. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define HZ_RTCP_HEADER_LEN 4

typedef enum {
  HZ_RTCP_PT_SR = 200,
  HZ_RTCP_PT_RR = 201,
  HZ_RTCP_PT_SDES = 202,
  HZ_RTCP_PT_BYE = 203,
  HZ_RTCP_PT_APP = 204,
  HZ_RTCP_PT_RTPFB = 205,
  HZ_RTCP_PT_PSFB = 206,
  HZ_RTCP_PT_XR = 207,
} HzRtcpType;

/* Feedback message types (FMT) */
#define HZ_RTCP_RTPFB_NACK 1
#define HZ_RTCP_RTPFB_TWCC 15
#define HZ_RTCP_PSFB_PLI 1
#define HZ_RTCP_PSFB_FIR 4
#define HZ_RTCP_PSFB_AFB 15 /* application layer feedback: REMB */

#define HZ_RTCP_MAX_REPORT_BLOCKS 31
#define HZ_RTCP_MAX_REMB_SSRCS 255

/* One packet of a compound packet, as returned by hz_rtcp_iter_next(). */
typedef struct {
  gboolean padding;
  guint8 count;          /* RC / SC / FMT: the 5 low bits of the first byte */
  guint8 pt;
  guint16 length;        /* the length field: 32-bit words minus one */
  gsize offset;          /* of this packet in the compound buffer */
  gsize packet_len;      /* bytes incl. header and padding: (length + 1) * 4 */
  const guint8 *data;    /* start of this packet (the header) */
  gsize body_len;        /* bytes after the 4-byte header, padding excluded */
} HzRtcpHeader;

typedef struct {
  const guint8 *buf;
  gsize len;
  gsize pos;
  gboolean malformed;    /* iteration stopped at an invalid packet */
} HzRtcpIter;

typedef struct {
  guint32 ssrc;
  guint8 fraction_lost;
  gint32 cumulative_lost;   /* signed 24 bits */
  guint32 ext_highest_seq;
  guint32 jitter;
  guint32 lsr;
  guint32 dlsr;
} HzRtcpReportBlock;

typedef struct {
  guint32 ssrc;
  guint64 ntp;
  guint32 rtp_ts;
  guint32 packet_count;
  guint32 octet_count;
  guint n_blocks;
  HzRtcpReportBlock blocks[HZ_RTCP_MAX_REPORT_BLOCKS];
} HzRtcpSr;

typedef struct {
  guint32 ssrc;
  guint n_blocks;
  HzRtcpReportBlock blocks[HZ_RTCP_MAX_REPORT_BLOCKS];
} HzRtcpRr;

typedef struct {
  guint n_ssrcs;
  guint32 ssrcs[HZ_RTCP_MAX_REPORT_BLOCKS];
} HzRtcpBye;

/* Common part of RTPFB/PSFB feedback (RFC 4585 §6.1). */
typedef struct {
  guint8 pt;
  guint8 fmt;
  guint32 sender_ssrc;
  guint32 media_ssrc;
  const guint8 *fci;
  gsize fci_len;
} HzRtcpFb;

typedef struct {
  guint64 bitrate;       /* bits per second, saturated at G_MAXUINT64 */
  guint8 exp;
  guint32 mantissa;      /* 18 bits */
  guint n_ssrcs;
  guint32 ssrcs[HZ_RTCP_MAX_REMB_SSRCS];
} HzRtcpRemb;

typedef struct {
  guint16 base_seq;
  guint16 status_count;
  gint32 reference_time; /* signed 24 bits, multiples of 64 ms */
  guint8 fb_pkt_count;
} HzRtcpTwcc;

void hz_rtcp_iter_init (HzRtcpIter *iter, const guint8 *buf, gsize len);
gboolean hz_rtcp_iter_next (HzRtcpIter *iter, HzRtcpHeader *out);
gboolean hz_rtcp_validate_compound (const guint8 *buf, gsize len);

gboolean hz_rtcp_parse_sr (const HzRtcpHeader *hdr, HzRtcpSr *out);
gboolean hz_rtcp_parse_rr (const HzRtcpHeader *hdr, HzRtcpRr *out);
gboolean hz_rtcp_parse_bye (const HzRtcpHeader *hdr, HzRtcpBye *out);
gboolean hz_rtcp_parse_fb (const HzRtcpHeader *hdr, HzRtcpFb *out);
guint hz_rtcp_nack_expand (const HzRtcpFb *fb, guint16 *seqs, guint max_seqs);
gboolean hz_rtcp_is_pli (const HzRtcpFb *fb);
guint hz_rtcp_fir_n_entries (const HzRtcpFb *fb);
gboolean hz_rtcp_fir_get_entry (const HzRtcpFb *fb, guint index, guint32 *ssrc, guint8 *seq_nr);
gboolean hz_rtcp_parse_remb (const HzRtcpFb *fb, HzRtcpRemb *out);
gboolean hz_rtcp_parse_twcc (const HzRtcpFb *fb, HzRtcpTwcc *out);

gsize hz_rtcp_build_sr (guint8 *buf, gsize size, const HzRtcpSr *sr);
gsize hz_rtcp_build_rr (guint8 *buf, gsize size, const HzRtcpRr *rr);
gsize hz_rtcp_build_pli (guint8 *buf, gsize size, guint32 sender_ssrc, guint32 media_ssrc);
gsize hz_rtcp_build_fir (guint8 *buf,
                         gsize size,
                         guint32 sender_ssrc,
                         guint32 target_ssrc,
                         guint8 seq_nr);
gsize hz_rtcp_build_nack (guint8 *buf,
                          gsize size,
                          guint32 sender_ssrc,
                          guint32 media_ssrc,
                          const guint16 *seqs,
                          guint n_seqs);
gsize hz_rtcp_build_remb (guint8 *buf,
                          gsize size,
                          guint32 sender_ssrc,
                          guint64 bitrate,
                          const guint32 *ssrcs,
                          guint n_ssrcs);

gboolean hz_rtcp_set_sender_ssrc (guint8 *buf, const HzRtcpHeader *hdr, guint32 ssrc);
gboolean hz_rtcp_fb_set_media_ssrc (guint8 *buf, const HzRtcpHeader *hdr, guint32 ssrc);
gboolean hz_rtcp_fir_set_entry_ssrc (guint8 *buf, const HzRtcpHeader *hdr, guint index, guint32 ssrc);
gboolean hz_rtcp_sr_rewrite (guint8 *buf, const HzRtcpHeader *hdr, guint32 ssrc, guint32 ts_offset);

G_END_DECLS
