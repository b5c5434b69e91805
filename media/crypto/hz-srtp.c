/* hz-srtp: SRTP/SRTCP sessions over OpenSSL EVP or libsrtp2. See hz-srtp.h. */
#include "hz-srtp.h"

#include "hz-srtp-evp.h"

#include <limits.h>
#include <string.h>
#include <srtp2/srtp.h>

G_DEFINE_QUARK (hz-srtp-error-quark, hz_srtp_error)

G_STATIC_ASSERT (HZ_SRTP_MAX_TRAILER >= SRTP_MAX_TRAILER_LEN + 4);
G_STATIC_ASSERT (HZ_SRTP_MAX_KEY_LEN + HZ_SRTP_MAX_SALT_LEN <= SRTP_MAX_KEY_LEN);

/* Same window as Chromium: video with NACK resends arrives out of order by
 * more than libsrtp2's default of 128 packets on lossy links. */
#define HZ_SRTP_REPLAY_WINDOW 1024

#define HZ_RTP_HEADER_LEN 12
#define HZ_RTCP_HEADER_LEN 8

struct _HzSrtp {
  HzSrtpProfile profile;
  HzSrtpBackend backend;
  HzSrtpEvp *evp;
  srtp_t inbound;
  srtp_t outbound;
};

static gpointer
hz_srtp_init_once (gpointer data)
{
  srtp_err_status_t status = srtp_init ();
  return GINT_TO_POINTER (status);
}

/* srtp_init() must run exactly once per process, whichever worker thread
 * creates the first session. */
static srtp_err_status_t
hz_srtp_ensure_init (void)
{
  static GOnce once = G_ONCE_INIT;
  g_once (&once, hz_srtp_init_once, NULL);
  return (srtp_err_status_t) GPOINTER_TO_INT (once.retval);
}

gboolean
hz_srtp_profile_get_lengths (HzSrtpProfile profile, guint *key_len, guint *salt_len)
{
  guint k, s;

  switch (profile) {
  case HZ_SRTP_PROFILE_AES128_CM_SHA1_80:
    k = 16;
    s = 14;
    break;
  case HZ_SRTP_PROFILE_AEAD_AES_128_GCM:
    k = 16;
    s = 12;
    break;
  default:
    return FALSE;
  }
  if (key_len != NULL)
    *key_len = k;
  if (salt_len != NULL)
    *salt_len = s;
  return TRUE;
}

const char *
hz_srtp_profile_to_string (HzSrtpProfile profile)
{
  switch (profile) {
  case HZ_SRTP_PROFILE_AES128_CM_SHA1_80:
    return "SRTP_AES128_CM_SHA1_80";
  case HZ_SRTP_PROFILE_AEAD_AES_128_GCM:
    return "SRTP_AEAD_AES_128_GCM";
  default:
    return "unknown";
  }
}

const char *
hz_srtp_status_to_string (HzSrtpStatus status)
{
  switch (status) {
  case HZ_SRTP_OK:
    return "ok";
  case HZ_SRTP_ERR_REPLAY:
    return "replayed or too old packet";
  case HZ_SRTP_ERR_AUTH:
    return "authentication failed";
  case HZ_SRTP_ERR_BAD_PACKET:
    return "malformed packet";
  case HZ_SRTP_ERR_OTHER:
  default:
    return "srtp error";
  }
}

static HzSrtpStatus
hz_srtp_status_from_libsrtp (srtp_err_status_t status)
{
  switch (status) {
  case srtp_err_status_ok:
    return HZ_SRTP_OK;
  case srtp_err_status_replay_fail:
  case srtp_err_status_replay_old:
  case srtp_err_status_pkt_idx_old:
    return HZ_SRTP_ERR_REPLAY;
  case srtp_err_status_auth_fail:
  case srtp_err_status_cipher_fail:
    return HZ_SRTP_ERR_AUTH;
  case srtp_err_status_bad_param:
  case srtp_err_status_parse_err:
  case srtp_err_status_bad_mki:
    return HZ_SRTP_ERR_BAD_PACKET;
  default:
    return HZ_SRTP_ERR_OTHER;
  }
}

static gboolean
hz_srtp_set_crypto_policy (srtp_policy_t *policy, HzSrtpProfile profile)
{
  switch (profile) {
  case HZ_SRTP_PROFILE_AES128_CM_SHA1_80:
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 (&policy->rtp);
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 (&policy->rtcp);
    return TRUE;
  case HZ_SRTP_PROFILE_AEAD_AES_128_GCM:
    srtp_crypto_policy_set_aes_gcm_128_16_auth (&policy->rtp);
    srtp_crypto_policy_set_aes_gcm_128_16_auth (&policy->rtcp);
    return TRUE;
  default:
    return FALSE;
  }
}

/* One libsrtp2 session with a single wildcard stream. libsrtp2 allows only
 * one wildcard per session, hence a session per direction. */
static srtp_t
hz_srtp_session_new (const HzSrtpKeys *keys, gboolean inbound, GError **error)
{
  srtp_policy_t policy;
  guint8 master[HZ_SRTP_MAX_KEY_LEN + HZ_SRTP_MAX_SALT_LEN];
  const guint8 *key = inbound ? keys->remote_key : keys->local_key;
  const guint8 *salt = inbound ? keys->remote_salt : keys->local_salt;
  srtp_t session = NULL;
  srtp_err_status_t status;

  /* libsrtp2 takes the master key and salt as one concatenated buffer */
  memcpy (master, key, keys->key_len);
  memcpy (master + keys->key_len, salt, keys->salt_len);

  memset (&policy, 0, sizeof (policy));
  hz_srtp_set_crypto_policy (&policy, keys->profile);
  policy.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
  policy.key = master;
  policy.window_size = HZ_SRTP_REPLAY_WINDOW;
  policy.allow_repeat_tx = inbound ? 0 : 1;
  policy.next = NULL;

  status = srtp_create (&session, &policy);
  memset (master, 0, sizeof (master));
  if (status != srtp_err_status_ok) {
    g_set_error (error, HZ_SRTP_ERROR, HZ_SRTP_ERROR_LIBSRTP,
                 "srtp_create (%s, %s) failed: error %d",
                 inbound ? "inbound" : "outbound",
                 hz_srtp_profile_to_string (keys->profile), (int) status);
    return NULL;
  }
  return session;
}

const char *
hz_srtp_backend_to_string (HzSrtpBackend backend)
{
  switch (backend) {
  case HZ_SRTP_BACKEND_EVP:
    return "evp";
  case HZ_SRTP_BACKEND_LIBSRTP:
    return "libsrtp";
  default:
    return "unknown";
  }
}

HzSrtpBackend
hz_srtp_get_backend (const HzSrtp *self)
{
  g_return_val_if_fail (self != NULL, HZ_SRTP_BACKEND_EVP);
  return self->backend;
}

HzSrtp *
hz_srtp_new (const HzSrtpKeys *keys, GError **error)
{
  const char *env = g_getenv ("HUIZHEN_SRTP_BACKEND");
  HzSrtpBackend backend = HZ_SRTP_BACKEND_EVP;

  if (g_strcmp0 (env, "libsrtp") == 0)
    backend = HZ_SRTP_BACKEND_LIBSRTP;
  return hz_srtp_new_with_backend (keys, backend, error);
}

HzSrtp *
hz_srtp_new_with_backend (const HzSrtpKeys *keys, HzSrtpBackend backend, GError **error)
{
  g_autoptr(HzSrtp) self = NULL;
  guint key_len = 0, salt_len = 0;
  srtp_err_status_t status;

  g_return_val_if_fail (keys != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!hz_srtp_profile_get_lengths (keys->profile, &key_len, &salt_len)) {
    g_set_error (error, HZ_SRTP_ERROR, HZ_SRTP_ERROR_INVALID_KEYS,
                 "unsupported SRTP profile %d", (int) keys->profile);
    return NULL;
  }
  if (keys->key_len != key_len || keys->salt_len != salt_len) {
    g_set_error (error, HZ_SRTP_ERROR, HZ_SRTP_ERROR_INVALID_KEYS,
                 "%s needs a %u-octet key and %u-octet salt, got %u and %u",
                 hz_srtp_profile_to_string (keys->profile), key_len, salt_len,
                 keys->key_len, keys->salt_len);
    return NULL;
  }

  if (backend == HZ_SRTP_BACKEND_EVP) {
    self = g_new0 (HzSrtp, 1);
    self->profile = keys->profile;
    self->backend = backend;
    self->evp = hz_srtp_evp_new (keys, error);
    if (self->evp == NULL)
      return NULL;
    return g_steal_pointer (&self);
  }
  if (backend != HZ_SRTP_BACKEND_LIBSRTP) {
    g_set_error (error, HZ_SRTP_ERROR, HZ_SRTP_ERROR_INVALID_KEYS,
                 "unknown SRTP backend %d", (int) backend);
    return NULL;
  }
  status = hz_srtp_ensure_init ();
  if (status != srtp_err_status_ok) {
    g_set_error (error, HZ_SRTP_ERROR, HZ_SRTP_ERROR_LIBSRTP,
                 "srtp_init failed: error %d", (int) status);
    return NULL;
  }

  self = g_new0 (HzSrtp, 1);
  self->profile = keys->profile;
  self->backend = backend;
  self->inbound = hz_srtp_session_new (keys, TRUE, error);
  if (self->inbound == NULL)
    return NULL;
  self->outbound = hz_srtp_session_new (keys, FALSE, error);
  if (self->outbound == NULL)
    return NULL;
  return g_steal_pointer (&self);
}

void
hz_srtp_free (HzSrtp *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->evp, hz_srtp_evp_free);
  if (self->inbound != NULL)
    srtp_dealloc (self->inbound);
  if (self->outbound != NULL)
    srtp_dealloc (self->outbound);
  g_free (self);
}

/* The checks libsrtp2 leaves to its caller: lengths that fit a UDP
 * datagram (and so its int API), room for the trailer, and an RTP version
 * of 2. */
static gboolean
hz_srtp_check_len (gsize len, gsize min_len)
{
  return len >= min_len && len <= HZ_SRTP_MAX_PACKET_LEN;
}

/* An RTP header (CSRCs and extension included) that fits libsrtp2's GCM
 * AAD buffer; a longer one is refused for both backends alike, whether it
 * fits in the packet or not. */
static gboolean
hz_srtp_check_rtp_header (const guint8 *buf, gsize len)
{
  gsize n = HZ_RTP_HEADER_LEN + 4 * (gsize) (buf[0] & 0x0f);

  if ((buf[0] & 0x10) && len >= n + 4)
    n += 4 + 4 * (gsize) ((buf[n + 2] << 8) | buf[n + 3]);
  return n <= HZ_SRTP_MAX_HEADER_LEN;
}

static gboolean
hz_srtp_is_version_2 (const guint8 *buf)
{
  return (buf[0] >> 6) == 2;
}

HzSrtpStatus
hz_srtp_protect_rtp (HzSrtp *self, guint8 *buf, gsize *len, gsize buf_size)
{
  int n;
  srtp_err_status_t status;

  g_return_val_if_fail (self != NULL && buf != NULL && len != NULL, HZ_SRTP_ERR_OTHER);

  if (!hz_srtp_check_len (*len, HZ_RTP_HEADER_LEN) || buf_size < *len + HZ_SRTP_MAX_TRAILER ||
      !hz_srtp_is_version_2 (buf) || !hz_srtp_check_rtp_header (buf, *len))
    return HZ_SRTP_ERR_BAD_PACKET;
  if (self->evp != NULL)
    return hz_srtp_evp_protect_rtp (self->evp, buf, len);
  n = (int) *len;
  status = srtp_protect (self->outbound, buf, &n);
  if (status != srtp_err_status_ok)
    return hz_srtp_status_from_libsrtp (status);
  *len = (gsize) n;
  return HZ_SRTP_OK;
}

HzSrtpStatus
hz_srtp_unprotect_rtp (HzSrtp *self, guint8 *buf, gsize *len)
{
  int n;
  srtp_err_status_t status;

  g_return_val_if_fail (self != NULL && buf != NULL && len != NULL, HZ_SRTP_ERR_OTHER);

  if (!hz_srtp_check_len (*len, HZ_RTP_HEADER_LEN) || !hz_srtp_is_version_2 (buf) ||
      !hz_srtp_check_rtp_header (buf, *len))
    return HZ_SRTP_ERR_BAD_PACKET;
  if (self->evp != NULL)
    return hz_srtp_evp_unprotect_rtp (self->evp, buf, len);
  n = (int) *len;
  status = srtp_unprotect (self->inbound, buf, &n);
  if (status != srtp_err_status_ok)
    return hz_srtp_status_from_libsrtp (status);
  *len = (gsize) n;
  return HZ_SRTP_OK;
}

HzSrtpStatus
hz_srtp_protect_rtcp (HzSrtp *self, guint8 *buf, gsize *len, gsize buf_size)
{
  int n;
  srtp_err_status_t status;

  g_return_val_if_fail (self != NULL && buf != NULL && len != NULL, HZ_SRTP_ERR_OTHER);

  if (!hz_srtp_check_len (*len, HZ_RTCP_HEADER_LEN) || buf_size < *len + HZ_SRTP_MAX_TRAILER ||
      !hz_srtp_is_version_2 (buf))
    return HZ_SRTP_ERR_BAD_PACKET;
  if (self->evp != NULL)
    return hz_srtp_evp_protect_rtcp (self->evp, buf, len);
  n = (int) *len;
  status = srtp_protect_rtcp (self->outbound, buf, &n);
  if (status != srtp_err_status_ok)
    return hz_srtp_status_from_libsrtp (status);
  *len = (gsize) n;
  return HZ_SRTP_OK;
}

HzSrtpStatus
hz_srtp_unprotect_rtcp (HzSrtp *self, guint8 *buf, gsize *len)
{
  int n;
  srtp_err_status_t status;

  g_return_val_if_fail (self != NULL && buf != NULL && len != NULL, HZ_SRTP_ERR_OTHER);

  /* header + SRTCP index; libsrtp2 checks the tag length itself */
  if (!hz_srtp_check_len (*len, HZ_RTCP_HEADER_LEN + 4) || *len > HZ_SRTP_MAX_HEADER_LEN ||
      !hz_srtp_is_version_2 (buf))
    return HZ_SRTP_ERR_BAD_PACKET;
  if (self->evp != NULL)
    return hz_srtp_evp_unprotect_rtcp (self->evp, buf, len);
  n = (int) *len;
  status = srtp_unprotect_rtcp (self->inbound, buf, &n);
  if (status != srtp_err_status_ok)
    return hz_srtp_status_from_libsrtp (status);
  *len = (gsize) n;
  return HZ_SRTP_OK;
}
