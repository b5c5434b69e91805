/* hz-srtp-evp: SRTP/SRTCP over OpenSSL EVP. See hz-srtp-evp.h.
 *
 * Every check below is in the order libsrtp2 2.5 (srtp/srtp.c) makes it, so
 * that both give the same HzSrtpStatus for the same input; the comments name
 * the libsrtp2 function each piece mirrors.
 *
 * Hot path: OpenSSL 3.0 looks the IV length up by name (OSSL_PARAM_locate)
 * on every EVP_CipherInit_ex with an IV, and EVP_MAC HMAC mallocs a digest
 * context per packet. So AES-CM is an AES-128-ECB keystream of counter blocks
 * (context keyed once) XORed in, and HMAC-SHA1 (RFC 2104) starts from SHA_CTX
 * states pre-keyed with ipad/opad, copied by value: hand-written for speed,
 * checked bit for bit against libsrtp2 (test-srtp-evp.c, fuzz-srtp.c).
 * AES-GCM likewise (hz-srtp-gcm.c): EVP's GCM takes the IV and the tag
 * through parameters looked up by name (~1,250 instructions a packet). */
#define OPENSSL_SUPPRESS_DEPRECATED /* SHA1_Init/Update/Final: no provider dispatch */
#include "hz-srtp-evp.h"
#include "hz-srtp-gcm.h"

#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/modes.h>
#include <openssl/sha.h>

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EVP_CIPHER_CTX, EVP_CIPHER_CTX_free)

#define HZ_RTP_HEADER_LEN 12
#define HZ_RTCP_HEADER_LEN 8
#define HZ_SRTCP_TRAILER_LEN 4
#define HZ_SRTCP_E_BIT 0x80000000u
#define HZ_SRTCP_INDEX_MASK 0x7fffffffu
#define HZ_AES_CM_TAG_LEN 10
#define HZ_GCM_TAG_LEN 16
#define HZ_SHA1_LEN 20
#define HZ_SHA1_BLOCK 64
#define HZ_AES_BLOCK 16
#define HZ_CTR_CHUNK 1024 /* keystream octets made per EVP_EncryptUpdate */
typedef guint8 HzV16 __attribute__ ((vector_size (16)));

/* libsrtp2's rdbx (RTP, window as configured by hz-srtp.c) and rdb (SRTCP,
 * fixed 128) */
#define HZ_RTP_WINDOW 1024
#define HZ_RTCP_WINDOW 128
#define HZ_SEQ_MEDIAN 32768
#define HZ_SEQ_MAX 65536

typedef struct {
  /* rdbx: highest index (ROC << 16 | SEQ) and a window of HZ_RTP_WINDOW
   * packets ending at it, kept as a ring: the bit of index i is i % 1024 */
  guint64 rtp_index;
  guint64 rtp_window[HZ_RTP_WINDOW / 64];
  /* rdb: SRTCP indexes [window_start, window_start + 128), bit i for
   * window_start + i; on the sending side window_start is the last index */
  guint32 rtcp_window_start;
  unsigned __int128 rtcp_window;
} HzSrtpEvpStream;

/* HMAC-SHA1 keyed once: the states after the ipad and opad blocks */
typedef struct {
  SHA_CTX inner;
  SHA_CTX outer;
} HzSrtpEvpHmac;

typedef struct {
  EVP_CIPHER_CTX *rtp_cipher;  /* AES-128-ECB, encrypting counter blocks */
  EVP_CIPHER_CTX *rtcp_cipher;
  GCM128_CONTEXT *rtp_gcm;     /* GCM only: over rtp_cipher / rtcp_cipher */
  GCM128_CONTEXT *rtcp_gcm;
  HzSrtpEvpHmac rtp_auth; /* AES-CM only */
  HzSrtpEvpHmac rtcp_auth;
  guint8 rtp_salt[14];
  guint8 rtcp_salt[14];
  GHashTable *streams; /* SSRC -> HzSrtpEvpStream */
  guint32 last_ssrc[2]; /* two-entry cache in front of the table: a  */
  HzSrtpEvpStream *last[2]; /* subscriber's audio and video alternate */
} HzSrtpEvpDir;

struct _HzSrtpEvp {
  HzSrtpProfile profile;
  gboolean gcm;
  guint tag_len;
  HzSrtpEvpDir in;
  HzSrtpEvpDir out;
};

static inline guint16
rd16 (const guint8 *p)
{
  return (guint16) ((p[0] << 8) | p[1]);
}

static inline guint32
rd32 (const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
}

static inline void
wr32 (guint8 *p, guint32 v)
{
  p[0] = (guint8) (v >> 24), p[1] = (guint8) (v >> 16), p[2] = (guint8) (v >> 8), p[3] = (guint8) v;
}

gboolean
hz_srtp_evp_derive (const guint8 *master_key, const guint8 *master_salt, gsize salt_len,
                    HzSrtpLabel label, guint8 *out, gsize out_len, GError **error)
{
  g_autoptr(EVP_CIPHER_CTX) ctx = EVP_CIPHER_CTX_new ();
  guint8 iv[16] = { 0 };
  int n = 0;

  g_return_val_if_fail (salt_len <= 14 && out_len <= G_MAXINT, FALSE);

  memcpy (iv, master_salt, salt_len);
  iv[7] ^= (guint8) label;
  memset (out, 0, out_len);
  if (ctx == NULL ||
      EVP_EncryptInit_ex (ctx, EVP_aes_128_ctr (), NULL, master_key, iv) != 1 ||
      EVP_EncryptUpdate (ctx, out, &n, out, (int) out_len) != 1) {
    g_set_error (error, HZ_SRTP_ERROR, HZ_SRTP_ERROR_EVP, "AES-CM key derivation failed");
    return FALSE;
  }
  return TRUE;
}

/* RFC 2104 with a 20-octet key (shorter than the block): the inner and
 * outer states after one block of key XOR ipad / opad */
static gboolean
hz_srtp_evp_hmac_init (HzSrtpEvpHmac *hmac, const guint8 *key)
{
  guint8 pad[HZ_SHA1_BLOCK];
  gboolean ok;

  memset (pad, 0x36, sizeof (pad));
  for (guint i = 0; i < HZ_SHA1_LEN; i++)
    pad[i] ^= key[i];
  ok = SHA1_Init (&hmac->inner) == 1 && SHA1_Update (&hmac->inner, pad, sizeof (pad)) == 1;
  memset (pad, 0x5c, sizeof (pad));
  for (guint i = 0; i < HZ_SHA1_LEN; i++)
    pad[i] ^= key[i];
  ok = ok && SHA1_Init (&hmac->outer) == 1 && SHA1_Update (&hmac->outer, pad, sizeof (pad)) == 1;
  OPENSSL_cleanse (pad, sizeof (pad));
  return ok;
}

/* One direction's contexts from its session keys. */
static gboolean
hz_srtp_evp_dir_init (HzSrtpEvpDir *dir, gboolean gcm, gboolean encrypt,
                      const guint8 *rtp_key, const guint8 *rtp_salt, const guint8 *rtp_auth,
                      const guint8 *rtcp_key, const guint8 *rtcp_salt, const guint8 *rtcp_auth,
                      GError **error)
{
  /* both only ever encrypt counter blocks (see the top of the file) */
  const EVP_CIPHER *cipher = EVP_aes_128_ecb ();
  gsize salt_len = gcm ? 12 : 14;

  encrypt = TRUE;

  dir->streams = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_free);
  dir->rtp_cipher = EVP_CIPHER_CTX_new ();
  dir->rtcp_cipher = EVP_CIPHER_CTX_new ();
  if (dir->rtp_cipher == NULL || dir->rtcp_cipher == NULL ||
      EVP_CipherInit_ex (dir->rtp_cipher, cipher, NULL, rtp_key, NULL, encrypt) != 1 ||
      EVP_CipherInit_ex (dir->rtcp_cipher, cipher, NULL, rtcp_key, NULL, encrypt) != 1) {
    g_set_error (error, HZ_SRTP_ERROR, HZ_SRTP_ERROR_EVP, "cannot set up the AES context");
    return FALSE;
  }
  EVP_CIPHER_CTX_set_padding (dir->rtp_cipher, 0); /* ECB: whole blocks only, never fails */
  EVP_CIPHER_CTX_set_padding (dir->rtcp_cipher, 0);
  if (gcm) {
    dir->rtp_gcm = hz_srtp_gcm_new (dir->rtp_cipher);
    dir->rtcp_gcm = hz_srtp_gcm_new (dir->rtcp_cipher);
    if (dir->rtp_gcm == NULL || dir->rtcp_gcm == NULL) {
      g_set_error (error, HZ_SRTP_ERROR, HZ_SRTP_ERROR_EVP, "cannot set up AES-GCM");
      return FALSE;
    }
  }
  memcpy (dir->rtp_salt, rtp_salt, salt_len);
  memcpy (dir->rtcp_salt, rtcp_salt, salt_len);
  if (!gcm) {
    if (!hz_srtp_evp_hmac_init (&dir->rtp_auth, rtp_auth) ||
        !hz_srtp_evp_hmac_init (&dir->rtcp_auth, rtcp_auth)) {
      g_set_error (error, HZ_SRTP_ERROR, HZ_SRTP_ERROR_EVP, "cannot set up HMAC-SHA1");
      return FALSE;
    }
  }
  return TRUE;
}

/* srtp_stream_init_keys: labels 0..5 from one master key and salt */
static gboolean
hz_srtp_evp_dir_derive (HzSrtpEvpDir *dir, gboolean gcm, gboolean encrypt,
                        const guint8 *master_key, const guint8 *master_salt, gsize salt_len,
                        GError **error)
{
  guint8 k[6][HZ_SHA1_LEN];
  gsize lens[6] = { 16, HZ_SHA1_LEN, gcm ? 12 : 14, 16, HZ_SHA1_LEN, gcm ? 12 : 14 };
  gboolean ok = TRUE;

  for (guint label = 0; label < 6 && ok; label++)
    ok = hz_srtp_evp_derive (master_key, master_salt, salt_len, label, k[label], lens[label], error);
  if (ok)
    ok = hz_srtp_evp_dir_init (dir, gcm, encrypt, k[0], k[2], k[1], k[3], k[5], k[4], error);
  OPENSSL_cleanse (k, sizeof (k));
  return ok;
}

static void
hz_srtp_evp_dir_clear (HzSrtpEvpDir *dir)
{
  g_clear_pointer (&dir->rtp_gcm, CRYPTO_gcm128_release); /* cleanses the context */
  g_clear_pointer (&dir->rtcp_gcm, CRYPTO_gcm128_release);
  g_clear_pointer (&dir->rtp_cipher, EVP_CIPHER_CTX_free);
  g_clear_pointer (&dir->rtcp_cipher, EVP_CIPHER_CTX_free);
  OPENSSL_cleanse (&dir->rtp_auth, sizeof (dir->rtp_auth));
  OPENSSL_cleanse (&dir->rtcp_auth, sizeof (dir->rtcp_auth));
  g_clear_pointer (&dir->streams, g_hash_table_unref);
  OPENSSL_cleanse (dir->rtp_salt, sizeof (dir->rtp_salt));
  OPENSSL_cleanse (dir->rtcp_salt, sizeof (dir->rtcp_salt));
}

static HzSrtpEvp *
hz_srtp_evp_alloc (HzSrtpProfile profile, GError **error)
{
  HzSrtpEvp *self;

  if (profile != HZ_SRTP_PROFILE_AES128_CM_SHA1_80 && profile != HZ_SRTP_PROFILE_AEAD_AES_128_GCM) {
    g_set_error (error, HZ_SRTP_ERROR, HZ_SRTP_ERROR_INVALID_KEYS,
                 "unsupported SRTP profile %d", (int) profile);
    return NULL;
  }
  self = g_new0 (HzSrtpEvp, 1);
  self->profile = profile;
  self->gcm = profile == HZ_SRTP_PROFILE_AEAD_AES_128_GCM;
  self->tag_len = self->gcm ? HZ_GCM_TAG_LEN : HZ_AES_CM_TAG_LEN;
  return self;
}

HzSrtpEvp *
hz_srtp_evp_new (const HzSrtpKeys *keys, GError **error)
{
  g_autoptr(HzSrtpEvp) self = NULL;
  guint key_len = 0, salt_len = 0;

  g_return_val_if_fail (keys != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!hz_srtp_profile_get_lengths (keys->profile, &key_len, &salt_len) ||
      keys->key_len != key_len || keys->salt_len != salt_len) {
    g_set_error (error, HZ_SRTP_ERROR, HZ_SRTP_ERROR_INVALID_KEYS,
                 "%s needs a %u-octet key and %u-octet salt, got %u and %u",
                 hz_srtp_profile_to_string (keys->profile), key_len, salt_len,
                 keys->key_len, keys->salt_len);
    return NULL;
  }
  self = hz_srtp_evp_alloc (keys->profile, error);
  if (self == NULL)
    return NULL;
  if (!hz_srtp_evp_dir_derive (&self->in, self->gcm, FALSE, keys->remote_key,
                               keys->remote_salt, salt_len, error) ||
      !hz_srtp_evp_dir_derive (&self->out, self->gcm, TRUE, keys->local_key,
                               keys->local_salt, salt_len, error))
    return NULL;
  return g_steal_pointer (&self);
}

HzSrtpEvp *
hz_srtp_evp_new_with_session_keys (HzSrtpProfile profile, const guint8 *cipher_key,
                                   const guint8 *cipher_salt, const guint8 *auth_key,
                                   GError **error)
{
  g_autoptr(HzSrtpEvp) self = NULL;
  static const guint8 no_auth[HZ_SHA1_LEN] = { 0 };

  g_return_val_if_fail (cipher_key != NULL && cipher_salt != NULL, NULL);

  self = hz_srtp_evp_alloc (profile, error);
  if (self == NULL)
    return NULL;
  if (auth_key == NULL)
    auth_key = no_auth;
  if (!hz_srtp_evp_dir_init (&self->in, self->gcm, FALSE, cipher_key, cipher_salt, auth_key,
                             cipher_key, cipher_salt, auth_key, error) ||
      !hz_srtp_evp_dir_init (&self->out, self->gcm, TRUE, cipher_key, cipher_salt, auth_key,
                             cipher_key, cipher_salt, auth_key, error))
    return NULL;
  return g_steal_pointer (&self);
}

void
hz_srtp_evp_free (HzSrtpEvp *self)
{
  if (self == NULL)
    return;
  hz_srtp_evp_dir_clear (&self->in);
  hz_srtp_evp_dir_clear (&self->out);
  g_free (self);
}

static void
hz_srtp_evp_remember (HzSrtpEvpDir *dir, guint32 ssrc, HzSrtpEvpStream *stream)
{
  if (dir->last[0] != NULL && dir->last_ssrc[0] == ssrc) {
    dir->last[0] = stream; /* a provisional stream replaced by its copy */
    return;
  }
  dir->last[1] = dir->last[0];
  dir->last_ssrc[1] = dir->last_ssrc[0];
  dir->last[0] = stream;
  dir->last_ssrc[0] = ssrc;
}

static HzSrtpEvpStream *
hz_srtp_evp_lookup (HzSrtpEvpDir *dir, guint32 ssrc)
{
  HzSrtpEvpStream *stream;

  if (dir->last[0] != NULL && dir->last_ssrc[0] == ssrc)
    return dir->last[0];
  if (dir->last[1] != NULL && dir->last_ssrc[1] == ssrc)
    return dir->last[1];
  stream = g_hash_table_lookup (dir->streams, GUINT_TO_POINTER (ssrc));
  if (stream != NULL)
    hz_srtp_evp_remember (dir, ssrc, stream);
  return stream;
}

/* The sending side creates a stream on first use (srtp_protect); the
 * receiving side only once a packet authenticates (srtp_unprotect's
 * provisional stream), see hz_srtp_evp_commit(). */
static HzSrtpEvpStream *
hz_srtp_evp_lookup_or_create (HzSrtpEvpDir *dir, guint32 ssrc)
{
  HzSrtpEvpStream *stream = hz_srtp_evp_lookup (dir, ssrc);

  if (stream == NULL) {
    stream = g_new0 (HzSrtpEvpStream, 1);
    g_hash_table_insert (dir->streams, GUINT_TO_POINTER (ssrc), stream);
    hz_srtp_evp_remember (dir, ssrc, stream);
  }
  return stream;
}

/* A provisional stream that authenticated becomes a real one. */
static HzSrtpEvpStream *
hz_srtp_evp_commit (HzSrtpEvpDir *dir, guint32 ssrc, HzSrtpEvpStream *stream,
                    const HzSrtpEvpStream *provisional)
{
  if (stream == provisional) {
    stream = g_memdup2 (provisional, sizeof (*provisional));
    g_hash_table_insert (dir->streams, GUINT_TO_POINTER (ssrc), stream);
    hz_srtp_evp_remember (dir, ssrc, stream);
  }
  return stream;
}

/* srtp_validate_rtp_header + the enc_start computation: the offset of the
 * payload, FALSE if the header does not fit in @len */
static gboolean
hz_srtp_evp_rtp_header_len (const guint8 *buf, gsize len, gsize *hdr_len)
{
  gsize n = HZ_RTP_HEADER_LEN + 4 * (gsize) (buf[0] & 0x0f);

  if (buf[0] & 0x10) {
    if (len < n + 4)
      return FALSE;
    n += 4 + 4 * (gsize) rd16 (buf + n + 2);
  }
  if (len < n)
    return FALSE;
  *hdr_len = n;
  return TRUE;
}

/* srtp_index_guess (RFC 3711 appendix A) */
static gint32
hz_srtp_evp_index_guess (guint64 local, guint64 *guess, guint16 s)
{
  guint32 local_roc = (guint32) (local >> 16);
  guint16 local_seq = (guint16) local;
  guint32 guess_roc;
  gint32 difference;

  if (local_seq < HZ_SEQ_MEDIAN) {
    if ((int) s - (int) local_seq > HZ_SEQ_MEDIAN) {
      guess_roc = local_roc - 1;
      difference = (int) s - (int) local_seq - HZ_SEQ_MAX;
    } else {
      guess_roc = local_roc;
      difference = (int) s - (int) local_seq;
    }
  } else {
    if ((int) local_seq - HZ_SEQ_MEDIAN > (int) s) {
      guess_roc = local_roc + 1;
      difference = (int) s - (int) local_seq + HZ_SEQ_MAX;
    } else {
      guess_roc = local_roc;
      difference = (int) s - (int) local_seq;
    }
  }
  *guess = ((guint64) guess_roc << 16) | s;
  return difference;
}

/* srtp_rdbx_estimate_index: the index is taken as ROC 0 until it passes
 * the median once */
static gint32
hz_srtp_evp_estimate (const HzSrtpEvpStream *stream, guint64 *est, guint16 s)
{
  if (stream->rtp_index > HZ_SEQ_MEDIAN)
    return hz_srtp_evp_index_guess (stream->rtp_index, est, s);
  *est = s;
  return (gint32) (guint32) ((guint64) s - stream->rtp_index);
}

static inline gboolean
hz_srtp_evp_window_get (const HzSrtpEvpStream *stream, guint64 index)
{
  guint bit = (guint) (index % HZ_RTP_WINDOW);
  return (stream->rtp_window[bit / 64] >> (bit % 64)) & 1;
}

static inline void
hz_srtp_evp_window_put (HzSrtpEvpStream *stream, guint64 index, gboolean on)
{
  guint bit = (guint) (index % HZ_RTP_WINDOW);
  if (on)
    stream->rtp_window[bit / 64] |= G_GUINT64_CONSTANT (1) << (bit % 64);
  else
    stream->rtp_window[bit / 64] &= ~(G_GUINT64_CONSTANT (1) << (bit % 64));
}

/* srtp_rdbx_check */
static HzSrtpStatus
hz_srtp_evp_rdbx_check (const HzSrtpEvpStream *stream, gint32 delta)
{
  if (delta > 0)
    return HZ_SRTP_OK;
  if (HZ_RTP_WINDOW - 1 + delta < 0)
    return HZ_SRTP_ERR_REPLAY;
  if (hz_srtp_evp_window_get (stream, stream->rtp_index + (gint64) delta))
    return HZ_SRTP_ERR_REPLAY;
  return HZ_SRTP_OK;
}

/* srtp_rdbx_add_index */
static void
hz_srtp_evp_rdbx_add (HzSrtpEvpStream *stream, gint32 delta)
{
  if (delta > 0) {
    guint16 step = (guint16) delta;
    if (step >= HZ_RTP_WINDOW) {
      memset (stream->rtp_window, 0, sizeof (stream->rtp_window));
    } else {
      for (guint i = 1; i <= step; i++)
        hz_srtp_evp_window_put (stream, stream->rtp_index + i, FALSE);
    }
    stream->rtp_index += step;
    hz_srtp_evp_window_put (stream, stream->rtp_index, TRUE);
  } else {
    hz_srtp_evp_window_put (stream, stream->rtp_index + (gint64) delta, TRUE);
  }
}

/* srtp_rdb_check */
static HzSrtpStatus
hz_srtp_evp_rdb_check (const HzSrtpEvpStream *stream, guint32 index)
{
  if (index >= stream->rtcp_window_start + HZ_RTCP_WINDOW)
    return HZ_SRTP_OK;
  if (index < stream->rtcp_window_start)
    return HZ_SRTP_ERR_REPLAY;
  if ((stream->rtcp_window >> (index - stream->rtcp_window_start)) & 1)
    return HZ_SRTP_ERR_REPLAY;
  return HZ_SRTP_OK;
}

/* srtp_rdb_add_index */
static void
hz_srtp_evp_rdb_add (HzSrtpEvpStream *stream, guint32 index)
{
  guint32 delta;

  if (index < stream->rtcp_window_start)
    return;
  delta = index - stream->rtcp_window_start;
  if (delta < HZ_RTCP_WINDOW) {
    stream->rtcp_window |= (unsigned __int128) 1 << delta;
  } else {
    delta -= HZ_RTCP_WINDOW - 1;
    stream->rtcp_window = delta > 127 ? 0 : stream->rtcp_window >> delta;
    stream->rtcp_window |= (unsigned __int128) 1 << (HZ_RTCP_WINDOW - 1);
    stream->rtcp_window_start += delta;
  }
}

/* RFC 3711 §4.1.1: (salt || 0x0000) XOR (SSRC << 64) XOR (index << 16) */
static void
hz_srtp_evp_cm_iv (guint8 *iv, const guint8 *salt, const guint8 *ssrc, guint64 index)
{
  memcpy (iv, salt, 14);
  iv[14] = iv[15] = 0;
  for (guint i = 0; i < 4; i++)
    iv[4 + i] ^= ssrc[i];
  for (guint i = 0; i < 6; i++)
    iv[8 + i] ^= (guint8) (index >> (40 - 8 * i));
}

/* RFC 7714 §8.1: (0x0000 || SSRC || ROC || SEQ) XOR salt, and §9.1 for
 * SRTCP: (0x0000 || SSRC || 0x0000 || 0 || index) XOR salt */
static void
hz_srtp_evp_gcm_iv (guint8 *iv, const guint8 *salt, const guint8 *ssrc, guint64 index)
{
  memcpy (iv, salt, 12);
  for (guint i = 0; i < 4; i++)
    iv[2 + i] ^= ssrc[i];
  for (guint i = 0; i < 6; i++)
    iv[6 + i] ^= (guint8) (index >> (40 - 8 * i));
}

/* AES-128-CTR as EVP_aes_128_ctr does it (the whole 16-octet block is a
 * big-endian counter starting at @iv), from @ctx, an AES-128-ECB context:
 * counter blocks -> keystream -> XOR, HZ_CTR_CHUNK octets at a time. */
static gboolean
hz_srtp_evp_ctr (EVP_CIPHER_CTX *ctx, const guint8 *iv, guint8 *data, gsize len)
{
  guint64 ks[HZ_CTR_CHUNK / 8] __attribute__ ((aligned (16))), hi, lo;
  HzV16 w;

  memcpy (&hi, iv, 8);
  memcpy (&lo, iv + 8, 8);
  hi = GUINT64_FROM_BE (hi);
  lo = GUINT64_FROM_BE (lo);
  while (len > 0) {
    gsize chunk = MIN (len, sizeof (ks)), i;
    gsize blocks = (chunk + HZ_AES_BLOCK - 1) / HZ_AES_BLOCK;
    int n = 0;

    for (gsize b = 0; b < blocks; b++, hi += ++lo == 0) {
      ks[2 * b] = GUINT64_TO_BE (hi);
      ks[2 * b + 1] = GUINT64_TO_BE (lo);
    }
    if (EVP_EncryptUpdate (ctx, (guint8 *) ks, &n, (guint8 *) ks, (int) (blocks * HZ_AES_BLOCK)) != 1)
      return FALSE;
    for (i = 0; i + 16 <= chunk; i += 16) { /* 16 octets at a time; data may be unaligned */
      memcpy (&w, data + i, 16);
      w ^= *(const HzV16 *) (ks + i / 8);
      memcpy (data + i, &w, 16);
    }
    for (; i < chunk; i++)
      data[i] ^= ((const guint8 *) ks)[i];
    data += chunk;
    len -= chunk;
  }
  return TRUE;
}

/* HMAC-SHA1 over @a (and @b if any), first @tag_len octets to @tag */
static gboolean
hz_srtp_evp_hmac_sha1 (const HzSrtpEvpHmac *hmac, const guint8 *a, gsize a_len,
                       const guint8 *b, gsize b_len, guint8 *tag, gsize tag_len)
{
  SHA_CTX ctx = hmac->inner;
  guint8 full[HZ_SHA1_LEN];
  gboolean ok;

  ok = SHA1_Update (&ctx, a, a_len) == 1 &&
       (b_len == 0 || SHA1_Update (&ctx, b, b_len) == 1) &&
       SHA1_Final (full, &ctx) == 1;
  ctx = hmac->outer;
  ok = ok && SHA1_Update (&ctx, full, sizeof (full)) == 1 && SHA1_Final (full, &ctx) == 1;
  if (ok)
    memcpy (tag, full, tag_len);
  OPENSSL_cleanse (&ctx, sizeof (ctx));
  return ok;
}

/* srtp_protect_mki / srtp_protect_aead */
HzSrtpStatus
hz_srtp_evp_protect_rtp (HzSrtpEvp *self, guint8 *buf, gsize *len)
{
  HzSrtpEvpStream *stream;
  HzSrtpStatus st;
  guint8 iv[16], roc[4];
  guint64 est;
  gint32 delta;
  gsize hdr_len;

  g_return_val_if_fail (self != NULL && buf != NULL && len != NULL, HZ_SRTP_ERR_OTHER);

  if (*len < HZ_RTP_HEADER_LEN || !hz_srtp_evp_rtp_header_len (buf, *len, &hdr_len))
    return HZ_SRTP_ERR_BAD_PACKET;
  stream = hz_srtp_evp_lookup_or_create (&self->out, rd32 (buf + 8));

  delta = hz_srtp_evp_estimate (stream, &est, rd16 (buf + 2));
  st = hz_srtp_evp_rdbx_check (stream, delta);
  /* a repeated index is a resend (allow_repeat_tx); too old is refused */
  if (st != HZ_SRTP_OK && HZ_RTP_WINDOW - 1 + delta < 0)
    return st;
  hz_srtp_evp_rdbx_add (stream, delta);

  if (self->gcm) {
    hz_srtp_evp_gcm_iv (iv, self->out.rtp_salt, buf + 8, est);
    st = hz_srtp_gcm_run (self->out.rtp_gcm, TRUE, iv, buf, hdr_len, NULL, 0,
                          buf + hdr_len, *len - hdr_len, buf + *len);
    if (st != HZ_SRTP_OK)
      return st;
  } else {
    hz_srtp_evp_cm_iv (iv, self->out.rtp_salt, buf + 8, est);
    if (!hz_srtp_evp_ctr (self->out.rtp_cipher, iv, buf + hdr_len, *len - hdr_len))
      return HZ_SRTP_ERR_AUTH;
    wr32 (roc, (guint32) (est >> 16));
    if (!hz_srtp_evp_hmac_sha1 (&self->out.rtp_auth, buf, *len, roc, 4, buf + *len, HZ_AES_CM_TAG_LEN))
      return HZ_SRTP_ERR_AUTH;
  }
  *len += self->tag_len;
  return HZ_SRTP_OK;
}

/* srtp_unprotect_mki / srtp_unprotect_aead */
HzSrtpStatus
hz_srtp_evp_unprotect_rtp (HzSrtpEvp *self, guint8 *buf, gsize *len)
{
  HzSrtpEvpStream provisional = { 0 };
  HzSrtpEvpStream *stream;
  HzSrtpStatus st;
  guint8 iv[16], roc[4], tag[HZ_AES_CM_TAG_LEN];
  guint64 est;
  gint32 delta;
  gsize hdr_len, n = *len;
  guint32 ssrc;

  g_return_val_if_fail (self != NULL && buf != NULL && len != NULL, HZ_SRTP_ERR_OTHER);

  if (n < HZ_RTP_HEADER_LEN || !hz_srtp_evp_rtp_header_len (buf, n, &hdr_len))
    return HZ_SRTP_ERR_BAD_PACKET;
  ssrc = rd32 (buf + 8);
  stream = hz_srtp_evp_lookup (&self->in, ssrc);
  if (stream == NULL) {
    /* a new SSRC: ROC 0, index = SEQ, no replay check */
    stream = &provisional;
    est = rd16 (buf + 2);
    delta = (gint32) est;
  } else {
    delta = hz_srtp_evp_estimate (stream, &est, rd16 (buf + 2));
    st = hz_srtp_evp_rdbx_check (stream, delta);
    if (st != HZ_SRTP_OK)
      return st;
  }

  if (self->gcm) {
    /* libsrtp2 compares in unsigned arithmetic: a packet shorter than the
     * tag passes the first check and fails as a cipher error */
    if (n >= HZ_GCM_TAG_LEN && hdr_len > n - HZ_GCM_TAG_LEN)
      return HZ_SRTP_ERR_BAD_PACKET;
    if (n - hdr_len < HZ_GCM_TAG_LEN)
      return HZ_SRTP_ERR_AUTH;
    hz_srtp_evp_gcm_iv (iv, self->in.rtp_salt, buf + 8, est);
    st = hz_srtp_gcm_run (self->in.rtp_gcm, FALSE, iv, buf, hdr_len, NULL, 0,
                          buf + hdr_len, n - hdr_len - HZ_GCM_TAG_LEN, buf + n - HZ_GCM_TAG_LEN);
    if (st != HZ_SRTP_OK)
      return st;
  } else {
    if (hdr_len > n - HZ_AES_CM_TAG_LEN)
      return HZ_SRTP_ERR_BAD_PACKET;
    wr32 (roc, (guint32) (est >> 16));
    if (!hz_srtp_evp_hmac_sha1 (&self->in.rtp_auth, buf, n - HZ_AES_CM_TAG_LEN, roc, 4,
                                tag, HZ_AES_CM_TAG_LEN))
      return HZ_SRTP_ERR_AUTH;
    if (CRYPTO_memcmp (tag, buf + n - HZ_AES_CM_TAG_LEN, HZ_AES_CM_TAG_LEN) != 0)
      return HZ_SRTP_ERR_AUTH;
    hz_srtp_evp_cm_iv (iv, self->in.rtp_salt, buf + 8, est);
    if (!hz_srtp_evp_ctr (self->in.rtp_cipher, iv, buf + hdr_len, n - HZ_AES_CM_TAG_LEN - hdr_len))
      return HZ_SRTP_ERR_AUTH;
  }
  stream = hz_srtp_evp_commit (&self->in, ssrc, stream, &provisional);
  hz_srtp_evp_rdbx_add (stream, delta);
  *len = n - self->tag_len;
  return HZ_SRTP_OK;
}

/* srtp_protect_rtcp_mki / srtp_protect_rtcp_aead: always encrypted, E set */
HzSrtpStatus
hz_srtp_evp_protect_rtcp (HzSrtpEvp *self, guint8 *buf, gsize *len)
{
  HzSrtpEvpStream *stream;
  guint8 iv[16], trailer[HZ_SRTCP_TRAILER_LEN];
  gsize n = *len;
  guint32 index;

  g_return_val_if_fail (self != NULL && buf != NULL && len != NULL, HZ_SRTP_ERR_OTHER);

  if (n < HZ_RTCP_HEADER_LEN)
    return HZ_SRTP_ERR_BAD_PACKET;
  stream = hz_srtp_evp_lookup_or_create (&self->out, rd32 (buf + 4));
  /* srtp_rdb_increment: indexes start at 1 and stop at 2^31 - 1 */
  if (stream->rtcp_window_start >= HZ_SRTCP_INDEX_MASK)
    return HZ_SRTP_ERR_OTHER;
  index = ++stream->rtcp_window_start;
  wr32 (trailer, HZ_SRTCP_E_BIT | index);

  if (self->gcm) {
    HzSrtpStatus st;
    /* header | ciphertext | tag | E+index; AAD = header, E+index */
    hz_srtp_evp_gcm_iv (iv, self->out.rtcp_salt, buf + 4, index);
    st = hz_srtp_gcm_run (self->out.rtcp_gcm, TRUE, iv, buf, HZ_RTCP_HEADER_LEN,
                          trailer, HZ_SRTCP_TRAILER_LEN, buf + HZ_RTCP_HEADER_LEN,
                          n - HZ_RTCP_HEADER_LEN, buf + n);
    if (st != HZ_SRTP_OK)
      return st;
    memcpy (buf + n + HZ_GCM_TAG_LEN, trailer, HZ_SRTCP_TRAILER_LEN);
  } else {
    /* header | ciphertext | E+index | tag over all before it */
    hz_srtp_evp_cm_iv (iv, self->out.rtcp_salt, buf + 4, index);
    if (!hz_srtp_evp_ctr (self->out.rtcp_cipher, iv, buf + HZ_RTCP_HEADER_LEN, n - HZ_RTCP_HEADER_LEN))
      return HZ_SRTP_ERR_AUTH;
    memcpy (buf + n, trailer, HZ_SRTCP_TRAILER_LEN);
    if (!hz_srtp_evp_hmac_sha1 (&self->out.rtcp_auth, buf, n + HZ_SRTCP_TRAILER_LEN, NULL, 0,
                                buf + n + HZ_SRTCP_TRAILER_LEN, HZ_AES_CM_TAG_LEN))
      return HZ_SRTP_ERR_AUTH;
  }
  *len = n + self->tag_len + HZ_SRTCP_TRAILER_LEN;
  return HZ_SRTP_OK;
}

/* srtp_unprotect_rtcp_mki / srtp_unprotect_rtcp_aead */
HzSrtpStatus
hz_srtp_evp_unprotect_rtcp (HzSrtpEvp *self, guint8 *buf, gsize *len)
{
  HzSrtpEvpStream provisional = { 0 };
  HzSrtpEvpStream *stream;
  HzSrtpStatus st;
  guint8 iv[16], tag[HZ_AES_CM_TAG_LEN];
  const guint8 *trailer;
  gsize n = *len;
  guint32 ssrc, index;
  gboolean e_bit;

  g_return_val_if_fail (self != NULL && buf != NULL && len != NULL, HZ_SRTP_ERR_OTHER);

  if (n < HZ_RTCP_HEADER_LEN + HZ_SRTCP_TRAILER_LEN + self->tag_len)
    return HZ_SRTP_ERR_BAD_PACKET;
  ssrc = rd32 (buf + 4);
  stream = hz_srtp_evp_lookup (&self->in, ssrc);
  if (stream == NULL)
    stream = &provisional;

  if (self->gcm) {
    /* header | ciphertext | tag | E+index */
    const guint8 *tag_in = buf + n - HZ_SRTCP_TRAILER_LEN - HZ_GCM_TAG_LEN;
    trailer = buf + n - HZ_SRTCP_TRAILER_LEN;
    e_bit = (trailer[0] & 0x80) != 0;
    index = rd32 (trailer) & HZ_SRTCP_INDEX_MASK;
    st = hz_srtp_evp_rdb_check (stream, index);
    if (st != HZ_SRTP_OK)
      return st;
    hz_srtp_evp_gcm_iv (iv, self->in.rtcp_salt, buf + 4, index);
    if (e_bit) {
      st = hz_srtp_gcm_run (self->in.rtcp_gcm, FALSE, iv, buf, HZ_RTCP_HEADER_LEN,
                            trailer, HZ_SRTCP_TRAILER_LEN, buf + HZ_RTCP_HEADER_LEN,
                            n - HZ_RTCP_HEADER_LEN - HZ_SRTCP_TRAILER_LEN - HZ_GCM_TAG_LEN,
                            (guint8 *) tag_in);
    } else {
      /* RFC 7714 §9.3: unencrypted, the whole packet is AAD */
      st = hz_srtp_gcm_run (self->in.rtcp_gcm, FALSE, iv, buf,
                            n - HZ_SRTCP_TRAILER_LEN - HZ_GCM_TAG_LEN,
                            trailer, HZ_SRTCP_TRAILER_LEN, NULL, 0, (guint8 *) tag_in);
    }
    if (st != HZ_SRTP_OK)
      return st;
  } else {
    /* header | ciphertext | E+index | tag; libsrtp2 wants E set as we
     * asked for confidentiality ("cannot check") */
    gsize auth_len = n - HZ_AES_CM_TAG_LEN;
    trailer = buf + auth_len - HZ_SRTCP_TRAILER_LEN;
    e_bit = (trailer[0] & 0x80) != 0;
    if (!e_bit)
      return HZ_SRTP_ERR_OTHER;
    index = rd32 (trailer) & HZ_SRTCP_INDEX_MASK;
    st = hz_srtp_evp_rdb_check (stream, index);
    if (st != HZ_SRTP_OK)
      return st;
    if (!hz_srtp_evp_hmac_sha1 (&self->in.rtcp_auth, buf, auth_len, NULL, 0, tag, HZ_AES_CM_TAG_LEN))
      return HZ_SRTP_ERR_AUTH;
    if (CRYPTO_memcmp (tag, buf + auth_len, HZ_AES_CM_TAG_LEN) != 0)
      return HZ_SRTP_ERR_AUTH;
    hz_srtp_evp_cm_iv (iv, self->in.rtcp_salt, buf + 4, index);
    if (!hz_srtp_evp_ctr (self->in.rtcp_cipher, iv, buf + HZ_RTCP_HEADER_LEN,
                          auth_len - HZ_SRTCP_TRAILER_LEN - HZ_RTCP_HEADER_LEN))
      return HZ_SRTP_ERR_AUTH;
  }
  stream = hz_srtp_evp_commit (&self->in, ssrc, stream, &provisional);
  hz_srtp_evp_rdb_add (stream, index);
  *len = n - self->tag_len - HZ_SRTCP_TRAILER_LEN;
  return HZ_SRTP_OK;
}
