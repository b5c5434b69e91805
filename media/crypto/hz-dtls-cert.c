/* hz-dtls-cert: the local DTLS certificate and the OpenSSL context built
 * from it, shared read-only by every media worker. See hz-dtls.h. */
#include "hz-dtls.h"
#include "hz-dtls-private.h"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EVP_PKEY, EVP_PKEY_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (X509, X509_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BIGNUM, BN_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SSL_CTX, SSL_CTX_free)

#define HZ_DTLS_CERT_DAYS 30

/* ECDSA certificate, so ECDSA suites only; AEAD first as Chromium orders them. */
#define HZ_DTLS_CIPHERS \
  "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305"
#define HZ_DTLS_GROUPS "X25519:P-256"
#define HZ_DTLS_SRTP_PROFILES "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80"

struct _HzDtlsCert {
  EVP_PKEY *pkey;
  X509 *x509;
  SSL_CTX *ctx; /* shared by all workers: SSL_new() on it is thread-safe */
  char *fingerprint;
};

char *
hz_dtls_format_fingerprint (const guint8 *md, guint len)
{
  GString *s = g_string_sized_new (len * 3);
  for (guint i = 0; i < len; i++)
    g_string_append_printf (s, i == 0 ? "%02X" : ":%02X", md[i]);
  return g_string_free (s, FALSE);
}

char *
hz_dtls_take_openssl_error (void)
{
  char buf[256];
  unsigned long err = ERR_peek_error ();

  if (err == 0) {
    ERR_clear_error ();
    return g_strdup ("unknown OpenSSL error");
  }
  ERR_error_string_n (err, buf, sizeof (buf));
  ERR_clear_error ();
  return g_strdup (buf);
}

static void
hz_dtls_cert_clear (gpointer data)
{
  HzDtlsCert *cert = data;
  SSL_CTX_free (cert->ctx);
  X509_free (cert->x509);
  EVP_PKEY_free (cert->pkey);
  g_free (cert->fingerprint);
}

static SSL_CTX *
hz_dtls_ctx_new (EVP_PKEY *pkey, X509 *x509, GError **error)
{
  g_autoptr(SSL_CTX) ctx = SSL_CTX_new (DTLS_method ());

  if (ctx == NULL ||
      SSL_CTX_set_min_proto_version (ctx, DTLS1_2_VERSION) != 1 ||
      SSL_CTX_set_max_proto_version (ctx, DTLS1_2_VERSION) != 1 ||
      SSL_CTX_use_certificate (ctx, x509) != 1 ||
      SSL_CTX_use_PrivateKey (ctx, pkey) != 1 ||
      SSL_CTX_check_private_key (ctx) != 1 ||
      SSL_CTX_set_cipher_list (ctx, HZ_DTLS_CIPHERS) != 1 ||
      SSL_CTX_set1_groups_list (ctx, HZ_DTLS_GROUPS) != 1 ||
      SSL_CTX_set_tlsext_use_srtp (ctx, HZ_DTLS_SRTP_PROFILES) != 0 /* 0 is success */) {
    g_autofree char *msg = hz_dtls_take_openssl_error ();
    g_set_error (error, HZ_DTLS_ERROR, HZ_DTLS_ERROR_CERTIFICATE,
                 "cannot set up the DTLS context: %s", msg);
    return NULL;
  }
  /* ICE already proved the peer answers on this path: no cookie exchange.
   * The MTU is ours to set, renegotiation and tickets are not used. */
  SSL_CTX_set_options (ctx, SSL_OP_NO_QUERY_MTU | SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_session_cache_mode (ctx, SSL_SESS_CACHE_OFF);
  /* the peer's certificate is self-signed: it is checked only against the
   * fingerprint from the SDP, in hz_dtls_verify_cb */
  SSL_CTX_set_verify (ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
  SSL_CTX_set_cert_verify_callback (ctx, hz_dtls_verify_cb, NULL);
  return g_steal_pointer (&ctx);
}

HzDtlsCert *
hz_dtls_cert_new (GError **error)
{
  g_autoptr(EVP_PKEY) pkey = NULL;
  g_autoptr(X509) x509 = NULL;
  g_autoptr(BIGNUM) serial = NULL;
  X509_NAME *name;
  guint8 rnd[8];
  guint8 md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  HzDtlsCert *cert;
  SSL_CTX *ctx;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  ERR_clear_error ();
  pkey = EVP_EC_gen ("P-256");
  x509 = X509_new ();
  if (pkey == NULL || x509 == NULL || RAND_bytes (rnd, sizeof (rnd)) != 1) {
    g_autofree char *msg = hz_dtls_take_openssl_error ();
    g_set_error (error, HZ_DTLS_ERROR, HZ_DTLS_ERROR_CERTIFICATE, "cannot create key: %s", msg);
    return NULL;
  }
  rnd[0] &= 0x7f; /* serial must be positive */
  serial = BN_bin2bn (rnd, sizeof (rnd), NULL);
  name = X509_get_subject_name (x509);
  if (serial == NULL ||
      X509_set_version (x509, X509_VERSION_3) != 1 ||
      BN_to_ASN1_INTEGER (serial, X509_get_serialNumber (x509)) == NULL ||
      X509_gmtime_adj (X509_getm_notBefore (x509), -24 * 3600) == NULL ||
      X509_gmtime_adj (X509_getm_notAfter (x509), (long) HZ_DTLS_CERT_DAYS * 24 * 3600) == NULL ||
      X509_set_pubkey (x509, pkey) != 1 ||
      X509_NAME_add_entry_by_txt (name, "CN", MBSTRING_ASC,
                                  (const unsigned char *) "huizhen", -1, -1, 0) != 1 ||
      X509_set_issuer_name (x509, name) != 1 ||
      X509_sign (x509, pkey, EVP_sha256 ()) <= 0 ||
      X509_digest (x509, EVP_sha256 (), md, &md_len) != 1) {
    g_autofree char *msg = hz_dtls_take_openssl_error ();
    g_set_error (error, HZ_DTLS_ERROR, HZ_DTLS_ERROR_CERTIFICATE,
                 "cannot create certificate: %s", msg);
    return NULL;
  }
  ctx = hz_dtls_ctx_new (pkey, x509, error);
  if (ctx == NULL)
    return NULL;

  cert = g_atomic_rc_box_new0 (HzDtlsCert);
  cert->pkey = g_steal_pointer (&pkey);
  cert->x509 = g_steal_pointer (&x509);
  cert->ctx = ctx;
  cert->fingerprint = hz_dtls_format_fingerprint (md, md_len);
  return cert;
}

HzDtlsCert *
hz_dtls_cert_ref (HzDtlsCert *cert)
{
  g_return_val_if_fail (cert != NULL, NULL);
  return g_atomic_rc_box_acquire (cert);
}

void
hz_dtls_cert_unref (HzDtlsCert *cert)
{
  g_return_if_fail (cert != NULL);
  g_atomic_rc_box_release_full (cert, hz_dtls_cert_clear);
}

const char *
hz_dtls_cert_get_fingerprint (HzDtlsCert *cert)
{
  g_return_val_if_fail (cert != NULL, NULL);
  return cert->fingerprint;
}

SSL_CTX *
hz_dtls_cert_get_ssl_ctx (HzDtlsCert *cert)
{
  g_return_val_if_fail (cert != NULL, NULL);
  return cert->ctx;
}
