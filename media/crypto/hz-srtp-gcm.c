/* hz-srtp-gcm: AES-128-GCM for hz-srtp-evp.c. See hz-srtp-gcm.h. */
#include "hz-srtp-gcm.h"

#include <string.h>

#define HZ_GCM_TAG_LEN 16
#define HZ_CTR_CHUNK 1024 /* keystream octets made per EVP_EncryptUpdate */
typedef guint8 HzV16 __attribute__ ((vector_size (16)));

/* block128_f of CRYPTO_gcm128: one AES block with the ECB context @key */
static void
hz_srtp_gcm_block (const unsigned char in[16], unsigned char out[16], const void *key)
{
  int n = 0;

  if (EVP_EncryptUpdate ((EVP_CIPHER_CTX *) key, out, &n, in, 16) != 1)
    memset (out, 0, 16); /* cannot happen with ECB; never leave it undefined */
}

/* ctr128_f of CRYPTO_gcm128_encrypt/decrypt_ctr32: @blocks whole blocks of
 * AES-CTR with a 32-bit big-endian counter in the last 4 octets of @ivec,
 * counter blocks encrypted HZ_CTR_CHUNK octets per EVP call. */
static void
hz_srtp_gcm_ctr32 (const unsigned char *in, unsigned char *out, size_t blocks,
                   const void *key, const unsigned char ivec[16])
{
  guint32 ks[HZ_CTR_CHUNK / 4] __attribute__ ((aligned (16))), iv32[3], ctr;
  HzV16 w;

  memcpy (iv32, ivec, 12);
  memcpy (&ctr, ivec + 12, 4);
  ctr = GUINT32_FROM_BE (ctr);
  while (blocks > 0) {
    gsize nb = MIN (blocks, sizeof (ks) / 16);
    int n = 0;

    for (gsize b = 0; b < nb; b++, ctr++) {
      ks[4 * b] = iv32[0], ks[4 * b + 1] = iv32[1], ks[4 * b + 2] = iv32[2];
      ks[4 * b + 3] = GUINT32_TO_BE (ctr);
    }
    if (EVP_EncryptUpdate ((EVP_CIPHER_CTX *) key, (guint8 *) ks, &n, (guint8 *) ks,
                           (int) (nb * 16)) != 1)
      memset (ks, 0, sizeof (ks)); /* cannot happen with ECB */
    for (gsize i = 0; i < nb * 16; i += 16) { /* in and out may be unaligned */
      memcpy (&w, in + i, 16);
      w ^= *(const HzV16 *) (ks + i / 4);
      memcpy (out + i, &w, 16);
    }
    in += nb * 16;
    out += nb * 16;
    blocks -= nb;
  }
}

GCM128_CONTEXT *
hz_srtp_gcm_new (EVP_CIPHER_CTX *ecb)
{
  return CRYPTO_gcm128_new (ecb, hz_srtp_gcm_block);
}

/* One AES-GCM pass: AAD @aad1 (+ @aad2), in place over @data; seals (writes
 * the tag to @tag) or opens (checks it). */
HzSrtpStatus
hz_srtp_gcm_run (GCM128_CONTEXT *gcm, gboolean seal, const guint8 *iv,
                 const guint8 *aad1, gsize aad1_len, const guint8 *aad2, gsize aad2_len,
                 guint8 *data, gsize len, guint8 *tag)
{
  CRYPTO_gcm128_setiv (gcm, iv, 12);
  if (CRYPTO_gcm128_aad (gcm, aad1, aad1_len) != 0 ||
      (aad2_len > 0 && CRYPTO_gcm128_aad (gcm, aad2, aad2_len) != 0))
    return HZ_SRTP_ERR_AUTH;
  if (len > 0 &&
      (seal ? CRYPTO_gcm128_encrypt_ctr32 (gcm, data, data, len, hz_srtp_gcm_ctr32)
            : CRYPTO_gcm128_decrypt_ctr32 (gcm, data, data, len, hz_srtp_gcm_ctr32)) != 0)
    return HZ_SRTP_ERR_AUTH;
  if (seal) {
    CRYPTO_gcm128_tag (gcm, tag, HZ_GCM_TAG_LEN);
    return HZ_SRTP_OK;
  }
  return CRYPTO_gcm128_finish (gcm, tag, HZ_GCM_TAG_LEN) == 0 ? HZ_SRTP_OK : HZ_SRTP_ERR_AUTH;
}
