/* hz-packet-cache: the last N plaintext RTP packets of one publisher track,
 * kept to answer NACKs with retransmissions, and the RFC 4588 RTX packet
 * builder.
 *
 * Owns: a fixed ring of slots indexed by sequence number (N a power of two,
 * default 512), each slot a HZ_PACKET_CACHE_SLOT_SIZE buffer allocated once
 * at creation. put() copies, get() hands out a pointer into the ring that
 * stays valid until the next put(). No allocation per packet, no logging;
 * the clock is the caller's (now_us, microseconds, monotonic). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define HZ_PACKET_CACHE_DEFAULT_SLOTS 512
#define HZ_PACKET_CACHE_SLOT_SIZE 1500
/* A packet older than this is not retransmitted: the receiver has given up. */
#define HZ_PACKET_CACHE_MAX_AGE_US (1000 * G_TIME_SPAN_MILLISECOND)
/* RTX adds the 2-byte original sequence number (RFC 4588 §4). */
#define HZ_RTX_OVERHEAD 2

typedef struct _HzPacketCache HzPacketCache;

HzPacketCache *hz_packet_cache_new (guint n_slots);
void hz_packet_cache_free (HzPacketCache *cache);
guint hz_packet_cache_get_n_slots (HzPacketCache *cache);

gboolean hz_packet_cache_put (HzPacketCache *cache, const guint8 *buf, gsize len, gint64 now_us);
gboolean hz_packet_cache_get (HzPacketCache *cache,
                              guint16 seq,
                              gint64 now_us,
                              const guint8 **buf,
                              gsize *len);
void hz_packet_cache_clear (HzPacketCache *cache);

gsize hz_rtx_build (guint8 *dst,
                    gsize dst_size,
                    const guint8 *src,
                    gsize src_len,
                    guint32 rtx_ssrc,
                    guint8 rtx_pt,
                    guint16 rtx_seq,
                    guint16 osn);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HzPacketCache, hz_packet_cache_free)

G_END_DECLS
