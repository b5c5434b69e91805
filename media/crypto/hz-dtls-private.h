/* hz-dtls-private: what hz-dtls.c and hz-dtls-cert.c share inside
 * media/crypto. Not for use outside this folder. */
#pragma once

#include <glib.h>
#include <openssl/ssl.h>

#include "hz-dtls.h"

/* The context every HzDtls of this certificate is made from. */
SSL_CTX *hz_dtls_cert_get_ssl_ctx (HzDtlsCert *cert);

/* Installed on every context: accepts the peer's certificate only if its
 * digest matches the fingerprint its HzDtls was given (hz-dtls.c). */
int hz_dtls_verify_cb (X509_STORE_CTX *store, void *arg);

/* "AB:CD:..." uppercase hex with colons. */
char *hz_dtls_format_fingerprint (const guint8 *md, guint len);

/* The oldest error on this thread's OpenSSL queue as text; clears the queue
 * so it does not leak into the next SSL object used on this thread. */
char *hz_dtls_take_openssl_error (void);
