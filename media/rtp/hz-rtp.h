/* hz-rtp.h: the RTP fixed header (RFC 3550 §5.1) and header extensions
 * (RFC 8285, one-byte 0xBEDE and two-byte 0x100X forms): validation into a
 * view, in-place setters, extension lookup, neutralization and id remapping,
 * and readers for the extensions the SFU uses (sdes:mid, rid, repaired-rid,
 * ssrc-audio-level, transport-wide-cc, abs-send-time).
 *
 * Everything works on the caller's buffer: no allocation, no logging, no
 * clocks. Offsets in HzRtpView are relative to the start of the packet. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define HZ_RTP_VERSION 2
#define HZ_RTP_HEADER_LEN 12
#define HZ_RTP_EXT_PROFILE_ONE_BYTE 0xBEDE
#define HZ_RTP_EXT_PROFILE_TWO_BYTE 0x1000 /* low 4 bits are appbits */
/* Longest value an SDES-item extension (mid, rid) can carry, without the NUL. */
#define HZ_RTP_SDES_MAX 255

typedef struct {
  gboolean padding;      /* P bit */
  gboolean extension;    /* X bit */
  guint8 csrc_count;
  gboolean marker;
  guint8 pt;
  guint16 seq;
  guint32 ts;
  guint32 ssrc;
  gsize header_len;      /* fixed header + CSRCs + extension block */
  gsize payload_offset;  /* == header_len */
  gsize payload_len;     /* padding excluded */
  guint8 padding_len;    /* trailing padding bytes, incl. the count byte */
  guint16 ext_profile;   /* 0 when there is no extension block */
  gsize ext_offset;      /* first byte of extension data (after the 4-byte block header) */
  gsize ext_len;         /* bytes of extension data */
} HzRtpView;

/* A set of extension ids 0..255 (one bit each). */
typedef struct {
  guint32 bits[8];
} HzRtpExtIdSet;

/* One extension element found by HzRtpExtIter. */
typedef struct {
  guint8 id;
  guint8 len;            /* bytes of data */
  gsize elem_offset;     /* first byte of the element header */
  gsize data_offset;     /* first byte of data */
} HzRtpExtElement;

typedef struct {
  const guint8 *buf;
  gsize pos;
  gsize end;
  gboolean two_byte;
  gboolean malformed;    /* set when iteration stopped at a bad element */
} HzRtpExtIter;

gboolean hz_rtp_parse (const guint8 *buf, gsize len, HzRtpView *out);

/* Setters for a packet that hz_rtp_parse() accepted. They change only the
 * named field; the view the caller holds is not updated. */
void hz_rtp_set_marker (guint8 *buf, gboolean marker);
void hz_rtp_set_pt (guint8 *buf, guint8 pt);
void hz_rtp_set_seq (guint8 *buf, guint16 seq);
void hz_rtp_set_ts (guint8 *buf, guint32 ts);
void hz_rtp_set_ssrc (guint8 *buf, guint32 ssrc);

void hz_rtp_ext_id_set_clear (HzRtpExtIdSet *set);
void hz_rtp_ext_id_set_add (HzRtpExtIdSet *set, guint8 id);
gboolean hz_rtp_ext_id_set_contains (const HzRtpExtIdSet *set, guint8 id);

void hz_rtp_ext_iter_init (HzRtpExtIter *iter, const guint8 *buf, const HzRtpView *view);
gboolean hz_rtp_ext_iter_next (HzRtpExtIter *iter, HzRtpExtElement *out);

gboolean hz_rtp_ext_find (const guint8 *buf,
                          const HzRtpView *view,
                          guint8 id,
                          const guint8 **data,
                          gsize *len);
guint hz_rtp_ext_neutralize (guint8 *buf, const HzRtpView *view, const HzRtpExtIdSet *allowed);
guint hz_rtp_ext_rewrite_ids (guint8 *buf, const HzRtpView *view, const guint8 id_map[256]);

gboolean hz_rtp_ext_read_sdes (const guint8 *buf,
                               const HzRtpView *view,
                               guint8 id,
                               gchar out[HZ_RTP_SDES_MAX + 1]);
gboolean hz_rtp_ext_read_audio_level (const guint8 *buf,
                                      const HzRtpView *view,
                                      guint8 id,
                                      gboolean *voice,
                                      guint8 *level);
gboolean hz_rtp_ext_read_twcc_seq (const guint8 *buf,
                                   const HzRtpView *view,
                                   guint8 id,
                                   guint16 *seq);
gboolean hz_rtp_ext_write_twcc_seq (guint8 *buf, const HzRtpView *view, guint8 id, guint16 seq);
gboolean hz_rtp_ext_read_abs_send_time (const guint8 *buf,
                                        const HzRtpView *view,
                                        guint8 id,
                                        guint32 *abs_send_time);

G_END_DECLS
