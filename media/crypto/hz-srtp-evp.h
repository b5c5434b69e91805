/* hz-srtp-evp: SRTP/SRTCP on OpenSSL EVP (RFC 3711 AES_CM_128_HMAC_SHA1_80,
 * RFC 7714 AEAD_AES_128_GCM), the forwarding path's default transform.
 *
 * Owns the session keys of both directions (derived once with the AES-CM
 * PRF, key derivation rate 0), one pre-created EVP_CIPHER_CTX (and, for
 * AES-CM, EVP_MAC_CTX) per direction and per RTP/RTCP, and the per-SSRC
 * stream state (rollover counter, highest index, 1024-packet replay window
 * for RTP, 128-entry SRTCP index window) created on first use. Nothing is
 * allocated per packet except the state of a new SSRC.
 *
 * Hand-written because Debian's libsrtp2 runs on NSS, which is 4x slower for
 * the profile browsers use; it reproduces libsrtp2 2.5's behaviour bit for
 * bit, including its order of checks and so its status codes, so libsrtp2
 * stays the reference (hz-srtp.c, tests/unit/test-srtp-evp.c,
 * tests/fuzz/fuzz-srtp.c). Used through HzSrtp (hz-srtp.h), which checks
 * versions, lengths and buffer room before calling in here.
 */
#pragma once

#include <glib.h>

#include "hz-srtp.h"

G_BEGIN_DECLS

typedef struct _HzSrtpEvp HzSrtpEvp;

/* The SRTP key derivation labels of RFC 3711 §4.3.2. */
typedef enum {
  HZ_SRTP_LABEL_RTP_CIPHER = 0,
  HZ_SRTP_LABEL_RTP_AUTH = 1,
  HZ_SRTP_LABEL_RTP_SALT = 2,
  HZ_SRTP_LABEL_RTCP_CIPHER = 3,
  HZ_SRTP_LABEL_RTCP_AUTH = 4,
  HZ_SRTP_LABEL_RTCP_SALT = 5,
} HzSrtpLabel;

/* RFC 3711 §4.3.1/§4.3.3 with key derivation rate 0: @out_len octets of the
 * AES-128-CM PRF keyed with @master_key (16 octets) at IV
 * (@master_salt padded with zeros to 14 octets, XOR label at octet 7) || 0x0000.
 * @salt_len is 14 (AES-CM) or 12 (GCM, RFC 7714 §11). */
gboolean hz_srtp_evp_derive (const guint8 *master_key, const guint8 *master_salt,
                             gsize salt_len, HzSrtpLabel label,
                             guint8 *out, gsize out_len, GError **error);

HzSrtpEvp *hz_srtp_evp_new (const HzSrtpKeys *keys, GError **error);

/* For known-answer tests: both directions use the session keys given as is
 * (no derivation). @auth_key (20 octets) is ignored for GCM. */
HzSrtpEvp *hz_srtp_evp_new_with_session_keys (HzSrtpProfile profile,
                                              const guint8 *cipher_key,
                                              const guint8 *cipher_salt,
                                              const guint8 *auth_key,
                                              GError **error);
void hz_srtp_evp_free (HzSrtpEvp *self);

/* Same contract as hz_srtp_protect_rtp() and friends, minus the checks
 * HzSrtp does first: buf holds *len octets and has room for
 * HZ_SRTP_MAX_TRAILER more; RTP packets are at least 12 octets with an RTP
 * header of at most 2048, SRTCP packets at least 12 octets. */
HzSrtpStatus hz_srtp_evp_protect_rtp (HzSrtpEvp *self, guint8 *buf, gsize *len);
HzSrtpStatus hz_srtp_evp_unprotect_rtp (HzSrtpEvp *self, guint8 *buf, gsize *len);
HzSrtpStatus hz_srtp_evp_protect_rtcp (HzSrtpEvp *self, guint8 *buf, gsize *len);
HzSrtpStatus hz_srtp_evp_unprotect_rtcp (HzSrtpEvp *self, guint8 *buf, gsize *len);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HzSrtpEvp, hz_srtp_evp_free)

G_END_DECLS
