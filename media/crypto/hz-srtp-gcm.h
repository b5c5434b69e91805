/* hz-srtp-gcm: AES-128-GCM (RFC 7714) for hz-srtp-evp.c, media/crypto-internal.
 *
 * OpenSSL 3.0's EVP GCM resolves the IV length, the IV and the tag through
 * OSSL_PARAM lookups by name on every packet (~1,250 instructions). This
 * uses OpenSSL's GCM mode code directly (CRYPTO_gcm128_*, <openssl/modes.h>:
 * the same GHASH, with PCLMULQDQ, that EVP uses) over an AES-128-ECB EVP
 * context keyed once, whose counter blocks it encrypts 1 KiB at a time.
 * Checked bit for bit against libsrtp2 by tests/unit/test-srtp-evp.c
 * (RFC 7714 known answers, differential RTP/SRTCP/garbage tests) and
 * tests/fuzz/fuzz-srtp.c.
 */
#pragma once

#include <glib.h>
#include <openssl/evp.h>
#include <openssl/modes.h>

#include "hz-srtp.h"

G_BEGIN_DECLS

/* A GCM context over @ecb (AES-128-ECB, encrypting, padding off), which
 * must outlive it; free with CRYPTO_gcm128_release(). */
GCM128_CONTEXT *hz_srtp_gcm_new (EVP_CIPHER_CTX *ecb);

/* One AES-GCM pass with the 12-octet @iv: AAD @aad1 (+ @aad2), in place
 * over @data (@len octets); seals (writes the 16-octet tag to @tag) or
 * opens (checks it: HZ_SRTP_ERR_AUTH if it does not match). */
HzSrtpStatus hz_srtp_gcm_run (GCM128_CONTEXT *gcm, gboolean seal, const guint8 *iv,
                              const guint8 *aad1, gsize aad1_len, const guint8 *aad2,
                              gsize aad2_len, guint8 *data, gsize len, guint8 *tag);

G_END_DECLS
