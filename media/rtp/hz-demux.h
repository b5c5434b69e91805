/* hz-demux.h: sorting one datagram received on the single ICE component into
 * STUN, DTLS, RTP or RTCP (RFC 7983 §7, RFC 5761 §4). Pure function over a
 * byte buffer: no allocation, no logging, no clocks. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  HZ_PACKET_UNKNOWN = 0,
  HZ_PACKET_STUN,
  HZ_PACKET_DTLS,
  HZ_PACKET_RTP,
  HZ_PACKET_RTCP,
} HzPacketClass;

/* Minimum sizes below which a packet of a class cannot be valid. */
#define HZ_STUN_HEADER_LEN 20
#define HZ_DTLS_RECORD_HEADER_LEN 13
#define HZ_RTP_MIN_LEN 12
#define HZ_RTCP_MIN_LEN 8

HzPacketClass hz_demux_classify (const guint8 *buf, gsize len);
const gchar *hz_packet_class_to_string (HzPacketClass klass);
gboolean hz_stun_is_plausible (const guint8 *buf, gsize len);

G_END_DECLS
