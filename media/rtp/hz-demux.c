/* hz-demux.c: RFC 7983 / RFC 5761 demultiplexing. Hand-written: a few byte
 * comparisons that run for every datagram; no library offers it. */
#include "hz-demux.h"

#include "hz-bytes.h"

#define HZ_STUN_MAGIC_COOKIE 0x2112A442u

/*
 * hz_demux_classify:
 * Classifies a datagram by its first byte (RFC 7983 §7): 0..3 STUN,
 * 20..63 DTLS, 128..191 RTP or RTCP; RTCP when the second byte (the packet
 * type with the marker bit) is 192..223 (RFC 5761 §4). A datagram shorter
 * than the fixed header of its class is HZ_PACKET_UNKNOWN.
 */
HzPacketClass
hz_demux_classify (const guint8 *buf, gsize len)
{
  guint8 b0;

  if (buf == NULL || len == 0)
    return HZ_PACKET_UNKNOWN;
  b0 = buf[0];
  if (b0 <= 3)
    return len >= HZ_STUN_HEADER_LEN ? HZ_PACKET_STUN : HZ_PACKET_UNKNOWN;
  if (b0 >= 20 && b0 <= 63)
    return len >= HZ_DTLS_RECORD_HEADER_LEN ? HZ_PACKET_DTLS : HZ_PACKET_UNKNOWN;
  if (b0 >= 128 && b0 <= 191) {
    if (len < 2)
      return HZ_PACKET_UNKNOWN;
    if (buf[1] >= 192 && buf[1] <= 223)
      return len >= HZ_RTCP_MIN_LEN ? HZ_PACKET_RTCP : HZ_PACKET_UNKNOWN;
    return len >= HZ_RTP_MIN_LEN ? HZ_PACKET_RTP : HZ_PACKET_UNKNOWN;
  }
  return HZ_PACKET_UNKNOWN;
}

const gchar *
hz_packet_class_to_string (HzPacketClass klass)
{
  switch (klass) {
  case HZ_PACKET_STUN:
    return "stun";
  case HZ_PACKET_DTLS:
    return "dtls";
  case HZ_PACKET_RTP:
    return "rtp";
  case HZ_PACKET_RTCP:
    return "rtcp";
  case HZ_PACKET_UNKNOWN:
  default:
    return "unknown";
  }
}

/*
 * hz_stun_is_plausible:
 * Cheap RFC 5389 §6 check before handing a datagram to libnice: the two top
 * bits are zero, the magic cookie is present, and the message length field
 * is a multiple of 4 that matches the datagram exactly.
 */
gboolean
hz_stun_is_plausible (const guint8 *buf, gsize len)
{
  guint16 msg_len;

  if (buf == NULL || len < HZ_STUN_HEADER_LEN)
    return FALSE;
  if ((buf[0] & 0xC0) != 0)
    return FALSE;
  if (hz_read_u32 (buf + 4) != HZ_STUN_MAGIC_COOKIE)
    return FALSE;
  msg_len = hz_read_u16 (buf + 2);
  if ((msg_len & 3) != 0)
    return FALSE;
  return (gsize) msg_len + HZ_STUN_HEADER_LEN == len;
}
