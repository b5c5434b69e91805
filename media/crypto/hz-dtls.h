/* hz-dtls: the DTLS 1.2 handshake of one peer and its DTLS-SRTP key export
 * (OpenSSL 3.0).
 *
 * Owns:
 * - HzDtlsCert: the server's ECDSA P-256 key and self-signed certificate
 *   with its SHA-256 fingerprint for a=fingerprint, and the OpenSSL SSL_CTX
 *   built from them. Refcounted and immutable after creation, so one
 *   certificate is shared read-only by every media worker thread.
 * - HzDtls: one DTLS association. No sockets: received datagrams are fed in
 *   with hz_dtls_handle_datagram(), datagrams to send leave through the
 *   HzDtlsSendFunc (records of one flight packed up to the 1200-octet MTU).
 *   The peer's certificate is required and accepted only if its digest
 *   matches the fingerprint from the remote SDP. An HzDtls belongs to one
 *   thread (its worker's GMainContext); the caller drives the retransmission
 *   timer with hz_dtls_get_timeout_ms() / hz_dtls_handle_timeout().
 *
 * State: NEW -> CONNECTING -> CONNECTED -> CLOSED, and FAILED from NEW,
 * CONNECTING or CONNECTED. FAILED and CLOSED are final. Every change goes
 * through one function that refuses illegal transitions.
 */
#pragma once

#include <glib.h>

#include "hz-srtp.h"

G_BEGIN_DECLS

#define HZ_DTLS_ERROR (hz_dtls_error_quark ())
typedef enum {
  HZ_DTLS_ERROR_INVALID_ARGUMENT,     /* bad fingerprint, algorithm or profile list */
  HZ_DTLS_ERROR_CERTIFICATE,          /* could not create the local certificate */
  HZ_DTLS_ERROR_BAD_DATAGRAM,         /* input is not a well-framed DTLS 1.2 datagram */
  HZ_DTLS_ERROR_STATE,                /* call not allowed in the current state */
  HZ_DTLS_ERROR_FINGERPRINT_MISMATCH, /* the peer's certificate does not match the SDP */
  HZ_DTLS_ERROR_HANDSHAKE,            /* handshake failed (alert, protocol error) */
  HZ_DTLS_ERROR_NO_SRTP,              /* peer did not negotiate use_srtp */
  HZ_DTLS_ERROR_TIMEOUT,              /* peer stopped answering retransmissions */
  HZ_DTLS_ERROR_INTERNAL,
} HzDtlsError;
GQuark hz_dtls_error_quark (void);

/* The DTLS record MTU (payload of one UDP datagram). */
#define HZ_DTLS_MTU 1200

typedef struct _HzDtlsCert HzDtlsCert;

/* ECDSA P-256 key, self-signed X.509 v3, random 63-bit serial, valid from
 * one day ago to 30 days from now. */
HzDtlsCert *hz_dtls_cert_new (GError **error);
HzDtlsCert *hz_dtls_cert_ref (HzDtlsCert *cert);
void hz_dtls_cert_unref (HzDtlsCert *cert);
/* "AB:CD:..." uppercase hex SHA-256 of the DER certificate, for
 * "a=fingerprint:sha-256 ...". Valid as long as @cert. */
const char *hz_dtls_cert_get_fingerprint (HzDtlsCert *cert);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HzDtlsCert, hz_dtls_cert_unref)

typedef enum {
  HZ_DTLS_ROLE_CLIENT, /* a=setup:active */
  HZ_DTLS_ROLE_SERVER, /* a=setup:passive */
} HzDtlsRole;

typedef enum {
  HZ_DTLS_STATE_NEW,
  HZ_DTLS_STATE_CONNECTING,
  HZ_DTLS_STATE_CONNECTED,
  HZ_DTLS_STATE_FAILED,
  HZ_DTLS_STATE_CLOSED,
} HzDtlsState;

const char *hz_dtls_state_to_string (HzDtlsState state);

/* Called synchronously from inside hz_dtls_start/handle_datagram/
 * handle_timeout/close with one datagram to send. It must not free the
 * HzDtls nor call back into it. */
typedef void (*HzDtlsSendFunc) (const guint8 *data, gsize len, gpointer user_data);

typedef struct _HzDtls HzDtls;

/* @remote_fp_algorithm: "sha-256", "sha-1", "sha-384" or "sha-512"
 * (case-insensitive); @remote_fp: hex octets separated by colons, as in
 * the remote SDP's a=fingerprint. */
HzDtls *hz_dtls_new (HzDtlsCert *cert, HzDtlsRole role, const char *remote_fp_algorithm,
                     const char *remote_fp, HzDtlsSendFunc send, gpointer user_data,
                     GError **error);
void hz_dtls_free (HzDtls *self);

/* Optional, before hz_dtls_start: the SRTP profiles to offer (client) or
 * accept (server), most preferred first. The default is
 * AEAD_AES_128_GCM, AES128_CM_SHA1_80. */
gboolean hz_dtls_set_srtp_profiles (HzDtls *self, const HzSrtpProfile *profiles, guint n_profiles,
                                    GError **error);
/* Optional, before hz_dtls_start: the first retransmission timeout
 * (default 1000 ms, RFC 6347 4.2.4.1; 16 ms to 60 s, as OpenSSL counts a
 * timer with under 15 ms left as due); it doubles on every retransmission
 * up to 60 s. */
void hz_dtls_set_initial_timeout_ms (HzDtls *self, guint timeout_ms);

/* Client: sends the ClientHello. Server: waits for it (a server that
 * receives a datagram while NEW starts by itself). */
gboolean hz_dtls_start (HzDtls *self, GError **error);

/* TRUE if @data is a sequence of well-framed DTLS 1.2 records (content
 * type 20-23, version FEFF/FEFD, lengths within the datagram). A pure
 * function over the bytes, for the demultiplexer and fuzzers. */
gboolean hz_dtls_check_datagram (const guint8 *data, gsize len, GError **error);

/* Feeds one received datagram. Returns the state afterwards. The state
 * becomes CONNECTED exactly once: compare with hz_dtls_get_state() taken
 * before the call to see the transition. Sets @error when the datagram is
 * rejected (state unchanged: BAD_DATAGRAM, STATE) or when the association
 * fails (state FAILED) or the peer closed it (CLOSED, no error).
 * Application data (data channels) is not supported and is dropped. */
HzDtlsState hz_dtls_handle_datagram (HzDtls *self, const guint8 *data, gsize len, GError **error);

/* Milliseconds until hz_dtls_handle_timeout() is due (0: due now), -1 if
 * no retransmission timer is running. */
gint64 hz_dtls_get_timeout_ms (HzDtls *self);
/* Retransmits the last flight if the timer expired; fails the association
 * (state FAILED, error TIMEOUT) after OpenSSL's 12 unanswered
 * retransmissions. Returns the state afterwards. */
HzDtlsState hz_dtls_handle_timeout (HzDtls *self, GError **error);

HzDtlsState hz_dtls_get_state (HzDtls *self);
HzDtlsRole hz_dtls_get_role (HzDtls *self);

/* After CONNECTED: the negotiated profile and both directions' master keys
 * exported with "EXTRACTOR-dtls_srtp" and split per RFC 5764 4.2 (the
 * client's write key is our local key when we are the client). */
gboolean hz_dtls_get_srtp_keys (HzDtls *self, HzSrtpKeys *out, GError **error);

/* Sends close_notify when CONNECTED; the state becomes CLOSED. */
void hz_dtls_close (HzDtls *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HzDtls, hz_dtls_free)

G_END_DECLS
