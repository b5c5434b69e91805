/* hz-red.h: RTP payload for redundant audio data (RED, RFC 2198), as
 * Chromium sends it for Opus once "red/48000/2" with fmtp "111/111" is
 * negotiated. Owns reading the block headers to find the primary encoding
 * and turning a RED packet into the plain primary packet (for the recorder,
 * which expects plain Opus, and for receivers that did not negotiate RED).
 *
 * Pure functions over the caller's buffer: no allocation, no logging. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define HZ_RED_BLOCK_HEADER_LEN 4   /* F=1: PT, timestamp offset, length */
#define HZ_RED_PRIMARY_HEADER_LEN 1 /* F=0: PT only, always the last header */

/* Finds the primary block in the RED payload @payload of @len bytes: walks
 * the block headers while F=1 (each 4 bytes, its 10-bit length added to the
 * redundant data), the header with F=0 names the primary's payload type.
 * The primary block is what follows the headers and the redundant blocks,
 * up to the end of the payload. FALSE (outputs untouched) when a header is
 * cut off, the redundant blocks do not fit, or the primary block is empty.
 * Each output is optional. */
gboolean hz_red_primary (const guint8 *payload,
                         gsize len,
                         guint8 *primary_pt,
                         gsize *offset,
                         gsize *block_len);

/* Rewrites the RED packet @pkt (@len bytes, a valid RTP packet) into the
 * plain primary packet in @out: RTP header copied (CSRCs and header
 * extensions included), payload type set to the primary's, payload = the
 * primary block, padding dropped. @out is either @pkt itself (rewritten in
 * place) or a buffer that does not overlap it. Returns the new length, or 0
 * (nothing written) when @pkt is not RTP, its RED payload is malformed or
 * the result would not fit in @out_size. */
gsize hz_red_to_primary (const guint8 *pkt, gsize len, guint8 *out, gsize out_size);

G_END_DECLS
