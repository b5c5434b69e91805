/* hz-srtp: SRTP and SRTCP protection of one peer's media.
 *
 * Two backends with the same behaviour: OpenSSL EVP (hz-srtp-evp.h, the
 * default, 4x faster for AES-CM than Debian's NSS-based libsrtp2) and
 * libsrtp2, kept as the reference the EVP one is tested against. The
 * environment variable HUIZHEN_SRTP_BACKEND=libsrtp makes hz_srtp_new()
 * pick libsrtp2 for comparison.
 *
 * With libsrtp2, owns one pair of libsrtp2 sessions per peer: an inbound session keyed with
 * the remote master key (any SSRC, replay window on) and an outbound session
 * keyed with the local master key (any SSRC, repeated sends allowed for NACK
 * resends). Keys come from the DTLS-SRTP exporter (hz-dtls.h). An HzSrtp is
 * used from one thread only; libsrtp2 is initialised once per process.
 *
 * The per-packet functions work in place, allocate nothing and report a
 * status code instead of a GError.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The DTLS-SRTP protection profile ids of RFC 5764 / RFC 7714. */
typedef enum {
  HZ_SRTP_PROFILE_AES128_CM_SHA1_80 = 1,
  HZ_SRTP_PROFILE_AEAD_AES_128_GCM = 7,
} HzSrtpProfile;

#define HZ_SRTP_MAX_KEY_LEN 32
#define HZ_SRTP_MAX_SALT_LEN 14

/* Master keys of both directions. "local" protects what we send,
 * "remote" unprotects what we receive. */
typedef struct {
  HzSrtpProfile profile;
  guint key_len;
  guint salt_len;
  guint8 local_key[HZ_SRTP_MAX_KEY_LEN];
  guint8 local_salt[HZ_SRTP_MAX_SALT_LEN];
  guint8 remote_key[HZ_SRTP_MAX_KEY_LEN];
  guint8 remote_salt[HZ_SRTP_MAX_SALT_LEN];
} HzSrtpKeys;

/* The most octets a protect call appends: libsrtp2's SRTP_MAX_TRAILER_LEN
 * (tag + MKI) plus the 4-octet SRTCP index. Buffers handed to the protect
 * functions must have this much room after the packet. */
#define HZ_SRTP_MAX_TRAILER 148

typedef enum {
  HZ_SRTP_OK,
  HZ_SRTP_ERR_REPLAY,     /* sequence/index already seen or too old */
  HZ_SRTP_ERR_AUTH,       /* authentication tag did not verify */
  HZ_SRTP_ERR_BAD_PACKET, /* too short, not RTP/RTCP, or no room for the trailer */
  HZ_SRTP_ERR_OTHER,
} HzSrtpStatus;

#define HZ_SRTP_ERROR (hz_srtp_error_quark ())
typedef enum {
  HZ_SRTP_ERROR_INVALID_KEYS,
  HZ_SRTP_ERROR_LIBSRTP,
  HZ_SRTP_ERROR_EVP,
} HzSrtpError;

typedef enum {
  HZ_SRTP_BACKEND_EVP,
  HZ_SRTP_BACKEND_LIBSRTP,
} HzSrtpBackend;
GQuark hz_srtp_error_quark (void);

typedef struct _HzSrtp HzSrtp;

/* The key and salt lengths of @profile, FALSE if the profile is unknown. */
gboolean hz_srtp_profile_get_lengths (HzSrtpProfile profile, guint *key_len, guint *salt_len);
const char *hz_srtp_profile_to_string (HzSrtpProfile profile);

/* Packets HzSrtp refuses as HZ_SRTP_ERR_BAD_PACKET whatever the backend:
 * longer than a UDP datagram, an RTP header (CSRCs + extension) longer than
 * libsrtp2's 2048-octet GCM AAD buffer, or an SRTCP packet longer than that
 * (libsrtp2 2.5 leaves a failed AAD behind for the next packet). */
#define HZ_SRTP_MAX_PACKET_LEN 65535
#define HZ_SRTP_MAX_HEADER_LEN 2048

/* The EVP backend, or libsrtp2 if HUIZHEN_SRTP_BACKEND is "libsrtp". */
HzSrtp *hz_srtp_new (const HzSrtpKeys *keys, GError **error);
HzSrtp *hz_srtp_new_with_backend (const HzSrtpKeys *keys, HzSrtpBackend backend, GError **error);
HzSrtpBackend hz_srtp_get_backend (const HzSrtp *self);
const char *hz_srtp_backend_to_string (HzSrtpBackend backend);
void hz_srtp_free (HzSrtp *self);

/* In place. On entry *len is the plain packet length and buf_size the size of
 * buf (>= *len + HZ_SRTP_MAX_TRAILER); on HZ_SRTP_OK *len is the new length.
 * On any other status buf and *len are to be treated as garbage. */
HzSrtpStatus hz_srtp_protect_rtp (HzSrtp *self, guint8 *buf, gsize *len, gsize buf_size);
HzSrtpStatus hz_srtp_unprotect_rtp (HzSrtp *self, guint8 *buf, gsize *len);
HzSrtpStatus hz_srtp_protect_rtcp (HzSrtp *self, guint8 *buf, gsize *len, gsize buf_size);
HzSrtpStatus hz_srtp_unprotect_rtcp (HzSrtp *self, guint8 *buf, gsize *len);

const char *hz_srtp_status_to_string (HzSrtpStatus status);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HzSrtp, hz_srtp_free)

G_END_DECLS
