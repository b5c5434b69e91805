/* hz-packet-cache: ring of recent RTP packets for NACK answers, RTX builder. */
#include "hz-packet-cache.h"

#include <string.h>

#include "hz-rtp.h"

typedef struct {
  gint64 stored_us;
  guint16 seq;
  guint16 len;     /* 0: empty slot */
} Slot;

struct _HzPacketCache {
  guint n_slots;   /* power of two, divides 65536 so seq → slot survives wrap */
  guint mask;
  Slot *slots;
  guint8 *data;    /* n_slots × HZ_PACKET_CACHE_SLOT_SIZE, allocated once */
};

/* @n_slots: how many packets to keep; 0 means HZ_PACKET_CACHE_DEFAULT_SLOTS.
 * Rounded up to a power of two, at most 32768. */
HzPacketCache *
hz_packet_cache_new (guint n_slots)
{
  HzPacketCache *cache = g_new0 (HzPacketCache, 1);
  guint n = 1;

  if (n_slots == 0)
    n_slots = HZ_PACKET_CACHE_DEFAULT_SLOTS;
  while (n < n_slots && n < 32768)
    n <<= 1;
  cache->n_slots = n;
  cache->mask = n - 1;
  cache->slots = g_new0 (Slot, n);
  cache->data = g_malloc ((gsize) n * HZ_PACKET_CACHE_SLOT_SIZE);
  return cache;
}

void
hz_packet_cache_free (HzPacketCache *cache)
{
  if (cache == NULL)
    return;
  g_free (cache->data);
  g_free (cache->slots);
  g_free (cache);
}

guint
hz_packet_cache_get_n_slots (HzPacketCache *cache)
{
  g_return_val_if_fail (cache != NULL, 0);
  return cache->n_slots;
}

/* Copies a plaintext RTP packet (before any per-subscriber rewrite) into
 * the ring. Returns FALSE, storing nothing, when @buf is not RTP, is larger
 * than a slot, or is older than the packet already holding its slot (a late
 * duplicate must not evict newer history). */
gboolean
hz_packet_cache_put (HzPacketCache *cache, const guint8 *buf, gsize len, gint64 now_us)
{
  HzRtpView view;
  Slot *slot;

  g_return_val_if_fail (cache != NULL, FALSE);
  if (buf == NULL || len > HZ_PACKET_CACHE_SLOT_SIZE || !hz_rtp_parse (buf, len, &view))
    return FALSE;
  slot = &cache->slots[view.seq & cache->mask];
  if (slot->len != 0 && slot->seq != view.seq && (gint16) (guint16) (view.seq - slot->seq) < 0 &&
      now_us - slot->stored_us <= HZ_PACKET_CACHE_MAX_AGE_US)
    return FALSE;
  memcpy (cache->data + (gsize) (view.seq & cache->mask) * HZ_PACKET_CACHE_SLOT_SIZE, buf, len);
  slot->seq = view.seq;
  slot->len = (guint16) len;
  slot->stored_us = now_us;
  return TRUE;
}

/* Looks up packet @seq. Returns FALSE when it was never stored, has been
 * overwritten by a newer packet, or was stored more than
 * HZ_PACKET_CACHE_MAX_AGE_US before @now_us. On TRUE, *buf points into the
 * cache and stays valid until the next put(). */
gboolean
hz_packet_cache_get (HzPacketCache *cache,
                     guint16 seq,
                     gint64 now_us,
                     const guint8 **buf,
                     gsize *len)
{
  const Slot *slot;

  g_return_val_if_fail (cache != NULL, FALSE);
  g_return_val_if_fail (buf != NULL && len != NULL, FALSE);
  *buf = NULL;
  *len = 0;
  slot = &cache->slots[seq & cache->mask];
  if (slot->len == 0 || slot->seq != seq || now_us - slot->stored_us > HZ_PACKET_CACHE_MAX_AGE_US)
    return FALSE;
  *buf = cache->data + (gsize) (seq & cache->mask) * HZ_PACKET_CACHE_SLOT_SIZE;
  *len = slot->len;
  return TRUE;
}

/* Forgets every packet (e.g. when the publisher's SSRC changes). */
void
hz_packet_cache_clear (HzPacketCache *cache)
{
  g_return_if_fail (cache != NULL);
  memset (cache->slots, 0, sizeof (Slot) * cache->n_slots);
}

/* Builds an RFC 4588 retransmission of @src into @dst: the original header
 * (CSRCs and header extensions kept, marker and timestamp kept) with SSRC,
 * payload type and sequence number replaced, the original sequence number
 * @osn as the first two payload bytes, then the original payload; RTP
 * padding is dropped (P bit cleared). Returns the length written, or 0 when
 * @src is not valid RTP or @dst_size is too small. */
gsize
hz_rtx_build (guint8 *dst,
              gsize dst_size,
              const guint8 *src,
              gsize src_len,
              guint32 rtx_ssrc,
              guint8 rtx_pt,
              guint16 rtx_seq,
              guint16 osn)
{
  HzRtpView view;
  gsize out_len;

  g_return_val_if_fail (dst != NULL, 0);
  if (src == NULL || !hz_rtp_parse (src, src_len, &view))
    return 0;
  out_len = view.header_len + HZ_RTX_OVERHEAD + view.payload_len;
  if (out_len > dst_size)
    return 0;
  memmove (dst, src, view.header_len);
  memmove (dst + view.header_len + HZ_RTX_OVERHEAD, src + view.payload_offset, view.payload_len);
  dst[view.header_len] = (guint8) (osn >> 8);
  dst[view.header_len + 1] = (guint8) osn;
  dst[0] &= (guint8) ~0x20; /* P bit: the padding is not copied */
  hz_rtp_set_pt (dst, rtx_pt);
  hz_rtp_set_seq (dst, rtx_seq);
  hz_rtp_set_ssrc (dst, rtx_ssrc);
  return out_len;
}
