/* hz-red.c: RFC 2198 RED payloads (see hz-red.h). Hand-written: GStreamer's
 * rtpreddec works on GstBuffers in a pipeline; the router needs the primary
 * block of one packet in place, on the forwarding path. */
#include "hz-red.h"

#include <string.h>

#include "hz-rtp.h"

gboolean
hz_red_primary (const guint8 *payload,
                gsize len,
                guint8 *primary_pt,
                gsize *offset,
                gsize *block_len)
{
  gsize pos = 0;      /* next block header */
  gsize redundant = 0; /* bytes of redundant blocks announced so far */

  g_return_val_if_fail (payload != NULL || len == 0, FALSE);

  /*  0                   1                   2                   3
   *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
   * |F|   block PT  |  timestamp offset         |   block length    |
   * The last header is one byte: |0|   block PT  | */
  while (pos < len && (payload[pos] & 0x80) != 0) {
    if (len - pos < HZ_RED_BLOCK_HEADER_LEN)
      return FALSE;
    redundant += ((gsize) (payload[pos + 2] & 0x03) << 8) | payload[pos + 3];
    pos += HZ_RED_BLOCK_HEADER_LEN;
  }
  if (pos >= len)
    return FALSE; /* no primary header */
  pos += HZ_RED_PRIMARY_HEADER_LEN;
  /* pos <= len here, and redundant is at most 1023 per header: no overflow */
  if (redundant >= len - pos)
    return FALSE; /* the redundant blocks run past the end, or no primary data */
  if (primary_pt != NULL)
    *primary_pt = payload[pos - 1] & 0x7f;
  if (offset != NULL)
    *offset = pos + redundant;
  if (block_len != NULL)
    *block_len = len - pos - redundant;
  return TRUE;
}

gsize
hz_red_to_primary (const guint8 *pkt, gsize len, guint8 *out, gsize out_size)
{
  HzRtpView v;
  guint8 pt;
  gsize off, block, total;

  g_return_val_if_fail (pkt != NULL || len == 0, 0);
  g_return_val_if_fail (out != NULL, 0);

  if (!hz_rtp_parse (pkt, len, &v) ||
      !hz_red_primary (pkt + v.payload_offset, v.payload_len, &pt, &off, &block))
    return 0;
  total = v.header_len + block;
  if (total > out_size)
    return 0;
  if (out != pkt)
    memcpy (out, pkt, v.header_len);
  /* in place the primary block moves towards the header: memmove */
  memmove (out + v.header_len, pkt + v.payload_offset + off, block);
  out[0] &= (guint8) ~0x20; /* P=0: the padding stayed behind */
  hz_rtp_set_pt (out, pt);
  return total;
}
