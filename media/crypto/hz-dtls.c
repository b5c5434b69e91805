/* hz-dtls: DTLS 1.2 handshake and DTLS-SRTP key export over OpenSSL 3.0.
 * See hz-dtls.h. */
#include "hz-dtls.h"
#include "hz-dtls-private.h"

#include <string.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/srtp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

G_DEFINE_QUARK (hz-dtls-error-quark, hz_dtls_error)

#define HZ_DTLS_DEFAULT_TIMEOUT_US 1000000u
#define HZ_DTLS_MAX_TIMEOUT_US 60000000u
/* OpenSSL counts a timer with less than 15 ms left as expired, and then
 * retransmits from inside every read: shorter timeouts would burst. */
#define HZ_DTLS_MIN_TIMEOUT_MS 16u
#define HZ_DTLS_RECORD_HEADER_LEN 13
#define HZ_DTLS_MAX_RECORD_LEN (16384 + 2048)
#define HZ_DTLS_SRTP_LABEL "EXTRACTOR-dtls_srtp"

struct _HzDtls {
  HzDtlsCert *cert;
  HzDtlsRole role;
  HzDtlsState state;
  SSL *ssl;
  BIO *rbio; /* owned by ssl */
  const EVP_MD *remote_md;
  char *remote_fp_algorithm;
  guint8 remote_fp[EVP_MAX_MD_SIZE];
  guint remote_fp_len;
  gboolean remote_fp_verified;
  char *verify_error; /* set by the verify callback on mismatch */
  int peer_alert;     /* last fatal alert received, -1 if none */
  guint initial_timeout_us;
  HzDtlsSendFunc send;
  gpointer user_data;
  /* records of one flight packed into a datagram up to the MTU */
  guint8 out[HZ_DTLS_MTU];
  gsize out_len;
};

/* ---- helpers ------------------------------------------------------------ */

static const EVP_MD *
hz_dtls_md_from_name (const char *name)
{
  if (g_ascii_strcasecmp (name, "sha-256") == 0)
    return EVP_sha256 ();
  if (g_ascii_strcasecmp (name, "sha-1") == 0)
    return EVP_sha1 ();
  if (g_ascii_strcasecmp (name, "sha-384") == 0)
    return EVP_sha384 ();
  if (g_ascii_strcasecmp (name, "sha-512") == 0)
    return EVP_sha512 ();
  return NULL;
}

/* "AB:cd:01" -> bytes; exactly two hex digits per octet. */
static gboolean
hz_dtls_parse_fingerprint (const char *text, guint8 *out, guint expected_len, GError **error)
{
  guint n = 0;
  const char *p = text;

  while (*p != '\0') {
    int hi, lo;
    if (n == expected_len)
      break;
    hi = g_ascii_xdigit_value (p[0]);
    lo = hi < 0 ? -1 : g_ascii_xdigit_value (p[1]);
    if (hi < 0 || lo < 0) {
      g_set_error (error, HZ_DTLS_ERROR, HZ_DTLS_ERROR_INVALID_ARGUMENT,
                   "fingerprint has a bad octet at position %u", (guint) (p - text));
      return FALSE;
    }
    out[n++] = (guint8) ((hi << 4) | lo);
    p += 2;
    if (*p == ':')
      p++;
    else if (*p != '\0') {
      g_set_error (error, HZ_DTLS_ERROR, HZ_DTLS_ERROR_INVALID_ARGUMENT,
                   "fingerprint expects ':' at position %u", (guint) (p - text));
      return FALSE;
    }
  }
  if (n != expected_len || *p != '\0' || p[-1] == ':') {
    g_set_error (error, HZ_DTLS_ERROR, HZ_DTLS_ERROR_INVALID_ARGUMENT,
                 "fingerprint must be %u octets", expected_len);
    return FALSE;
  }
  return TRUE;
}

/* ---- state -------------------------------------------------------------- */

const char *
hz_dtls_state_to_string (HzDtlsState state)
{
  static const char *names[] = { "new", "connecting", "connected", "failed", "closed" };
  if ((guint) state >= G_N_ELEMENTS (names))
    return "invalid";
  return names[state];
}

/* The legal transitions; FAILED and CLOSED are final. */
static const gboolean hz_dtls_legal[5][5] = {
  [HZ_DTLS_STATE_NEW] = { [HZ_DTLS_STATE_CONNECTING] = TRUE, [HZ_DTLS_STATE_FAILED] = TRUE,
                          [HZ_DTLS_STATE_CLOSED] = TRUE },
  [HZ_DTLS_STATE_CONNECTING] = { [HZ_DTLS_STATE_CONNECTED] = TRUE, [HZ_DTLS_STATE_FAILED] = TRUE,
                                 [HZ_DTLS_STATE_CLOSED] = TRUE },
  [HZ_DTLS_STATE_CONNECTED] = { [HZ_DTLS_STATE_FAILED] = TRUE, [HZ_DTLS_STATE_CLOSED] = TRUE },
};

static void
hz_dtls_set_state (HzDtls *self, HzDtlsState state)
{
  if (!hz_dtls_legal[self->state][state]) {
    g_critical ("illegal DTLS state change %s -> %s", hz_dtls_state_to_string (self->state),
                hz_dtls_state_to_string (state));
    return;
  }
  g_debug ("dtls %p (%s): %s -> %s", self, self->role == HZ_DTLS_ROLE_CLIENT ? "client" : "server",
           hz_dtls_state_to_string (self->state), hz_dtls_state_to_string (state));
  self->state = state;
}

/* Moves to FAILED and says why, from what the callbacks and OpenSSL saw. */
static void
hz_dtls_fail (HzDtls *self, GError **error)
{
  unsigned long err = ERR_peek_error ();

  if (self->verify_error != NULL) {
    g_set_error_literal (error, HZ_DTLS_ERROR, HZ_DTLS_ERROR_FINGERPRINT_MISMATCH,
                         self->verify_error);
  } else if (self->peer_alert >= 0) {
    g_set_error (error, HZ_DTLS_ERROR, HZ_DTLS_ERROR_HANDSHAKE, "peer sent fatal alert: %s",
                 SSL_alert_desc_string_long (self->peer_alert));
  } else if (ERR_GET_LIB (err) == ERR_LIB_SSL && ERR_GET_REASON (err) == SSL_R_READ_TIMEOUT_EXPIRED) {
    g_set_error_literal (error, HZ_DTLS_ERROR, HZ_DTLS_ERROR_TIMEOUT,
                         "peer did not answer DTLS retransmissions");
  } else {
    g_autofree char *msg = hz_dtls_take_openssl_error ();
    g_set_error (error, HZ_DTLS_ERROR, HZ_DTLS_ERROR_HANDSHAKE, "DTLS failed: %s", msg);
  }
  ERR_clear_error ();
  hz_dtls_set_state (self, HZ_DTLS_STATE_FAILED);
}

/* ---- OpenSSL callbacks and the outgoing BIO ----------------------------- */

int
hz_dtls_verify_cb (X509_STORE_CTX *store, void *arg)
{
  SSL *ssl = X509_STORE_CTX_get_ex_data (store, SSL_get_ex_data_X509_STORE_CTX_idx ());
  HzDtls *self = ssl != NULL ? SSL_get_app_data (ssl) : NULL;
  X509 *peer = X509_STORE_CTX_get0_cert (store);
  guint8 md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;

  if (self == NULL || peer == NULL)
    return 0;
  if (X509_digest (peer, self->remote_md, md, &md_len) != 1) {
    X509_STORE_CTX_set_error (store, X509_V_ERR_UNSPECIFIED);
    return 0;
  }
  if (md_len != self->remote_fp_len || CRYPTO_memcmp (md, self->remote_fp, md_len) != 0) {
    g_autofree char *expected = hz_dtls_format_fingerprint (self->remote_fp, self->remote_fp_len);
    g_autofree char *got = hz_dtls_format_fingerprint (md, md_len);
    g_free (self->verify_error);
    self->verify_error = g_strdup_printf ("peer certificate fingerprint mismatch: "
                                          "expected %s %s, got %s",
                                          self->remote_fp_algorithm, expected, got);
    X509_STORE_CTX_set_error (store, X509_V_ERR_CERT_REJECTED);
    return 0;
  }
  self->remote_fp_verified = TRUE;
  return 1;
}

static void
hz_dtls_info_cb (const SSL *ssl, int where, int ret)
{
  HzDtls *self = SSL_get_app_data (ssl);

  if ((where & SSL_CB_READ_ALERT) == SSL_CB_READ_ALERT && (ret >> 8) == SSL3_AL_FATAL)
    self->peer_alert = ret;
}

static unsigned int
hz_dtls_timer_cb (SSL *ssl, unsigned int previous_us)
{
  HzDtls *self = SSL_get_app_data (ssl);

  if (previous_us == 0)
    return self->initial_timeout_us;
  return (unsigned int) MIN ((guint64) previous_us * 2, HZ_DTLS_MAX_TIMEOUT_US);
}

static void
hz_dtls_flush_out (HzDtls *self)
{
  if (self->out_len == 0)
    return;
  self->send (self->out, self->out_len, self->user_data);
  self->out_len = 0;
}

/* A write-only BIO instead of a memory BIO: a memory BIO loses datagram
 * boundaries. OpenSSL sizes each record to what BIO_wpending() says is left
 * of the MTU and flushes when the datagram is full. */
static int
hz_dtls_bio_write (BIO *bio, const char *data, int len)
{
  HzDtls *self = BIO_get_data (bio);

  if (len <= 0)
    return 0;
  if (self->out_len + (gsize) len > sizeof (self->out))
    hz_dtls_flush_out (self);
  if ((gsize) len > sizeof (self->out)) {
    self->send ((const guint8 *) data, (gsize) len, self->user_data);
    return len;
  }
  memcpy (self->out + self->out_len, data, (gsize) len);
  self->out_len += (gsize) len;
  return len;
}

static long
hz_dtls_bio_ctrl (BIO *bio, int cmd, long num, void *ptr)
{
  HzDtls *self = BIO_get_data (bio);

  switch (cmd) {
  case BIO_CTRL_FLUSH:
    hz_dtls_flush_out (self);
    return 1;
  case BIO_CTRL_WPENDING:
    return (long) self->out_len;
  case BIO_CTRL_DGRAM_GET_MTU_OVERHEAD: /* the MTU we set is the payload size */
  default:
    return 0;
  }
}

static int
hz_dtls_bio_create (BIO *bio)
{
  BIO_set_init (bio, 1);
  return 1;
}

static BIO_METHOD *
hz_dtls_bio_method (void)
{
  static gsize method = 0;

  if (g_once_init_enter (&method)) {
    BIO_METHOD *m = BIO_meth_new (BIO_get_new_index () | BIO_TYPE_SOURCE_SINK, "hz-dtls-out");
    BIO_meth_set_write (m, hz_dtls_bio_write);
    BIO_meth_set_ctrl (m, hz_dtls_bio_ctrl);
    BIO_meth_set_create (m, hz_dtls_bio_create);
    g_once_init_leave (&method, (gsize) m);
  }
  return (BIO_METHOD *) method;
}

/* ---- association -------------------------------------------------------- */

HzDtls *
hz_dtls_new (HzDtlsCert *cert, HzDtlsRole role, const char *remote_fp_algorithm,
             const char *remote_fp, HzDtlsSendFunc send, gpointer user_data, GError **error)
{
  g_autoptr(HzDtls) self = NULL;
  BIO *wbio;

  g_return_val_if_fail (cert != NULL, NULL);
  g_return_val_if_fail (role == HZ_DTLS_ROLE_CLIENT || role == HZ_DTLS_ROLE_SERVER, NULL);
  g_return_val_if_fail (remote_fp_algorithm != NULL && remote_fp != NULL, NULL);
  g_return_val_if_fail (send != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = g_new0 (HzDtls, 1);
  self->cert = hz_dtls_cert_ref (cert);
  self->role = role;
  self->state = HZ_DTLS_STATE_NEW;
  self->peer_alert = -1;
  self->initial_timeout_us = HZ_DTLS_DEFAULT_TIMEOUT_US;
  self->send = send;
  self->user_data = user_data;

  self->remote_md = hz_dtls_md_from_name (remote_fp_algorithm);
  if (self->remote_md == NULL) {
    g_set_error (error, HZ_DTLS_ERROR, HZ_DTLS_ERROR_INVALID_ARGUMENT,
                 "unsupported fingerprint algorithm '%s'", remote_fp_algorithm);
    return NULL;
  }
  self->remote_fp_algorithm = g_ascii_strdown (remote_fp_algorithm, -1);
  self->remote_fp_len = (guint) EVP_MD_get_size (self->remote_md);
  if (!hz_dtls_parse_fingerprint (remote_fp, self->remote_fp, self->remote_fp_len, error))
    return NULL;

  ERR_clear_error ();
  self->ssl = SSL_new (hz_dtls_cert_get_ssl_ctx (cert));
  self->rbio = BIO_new (BIO_s_mem ());
  wbio = BIO_new (hz_dtls_bio_method ());
  if (self->ssl == NULL || self->rbio == NULL || wbio == NULL) {
    g_autofree char *msg = hz_dtls_take_openssl_error ();
    BIO_free (self->rbio);
    BIO_free (wbio);
    self->rbio = NULL;
    g_set_error (error, HZ_DTLS_ERROR, HZ_DTLS_ERROR_INTERNAL, "SSL_new failed: %s", msg);
    return NULL;
  }
  BIO_set_mem_eof_return (self->rbio, -1); /* empty means "wait", not EOF */
  BIO_set_data (wbio, self);
  SSL_set_bio (self->ssl, self->rbio, wbio);
  SSL_set_app_data (self->ssl, self);
  SSL_set_info_callback (self->ssl, hz_dtls_info_cb);
  DTLS_set_timer_cb (self->ssl, hz_dtls_timer_cb);
  DTLS_set_link_mtu (self->ssl, HZ_DTLS_MTU);
  if (role == HZ_DTLS_ROLE_CLIENT)
    SSL_set_connect_state (self->ssl);
  else
    SSL_set_accept_state (self->ssl);
  return g_steal_pointer (&self);
}

void
hz_dtls_free (HzDtls *self)
{
  if (self == NULL)
    return;
  if (self->ssl != NULL)
    SSL_free (self->ssl); /* frees both BIOs */
  hz_dtls_cert_unref (self->cert);
  g_free (self->remote_fp_algorithm);
  g_free (self->verify_error);
  g_free (self);
}

gboolean
hz_dtls_set_srtp_profiles (HzDtls *self, const HzSrtpProfile *profiles, guint n_profiles,
                           GError **error)
{
  g_autoptr(GString) list = g_string_new (NULL);

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (profiles != NULL || n_profiles == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (self->state != HZ_DTLS_STATE_NEW) {
    g_set_error_literal (error, HZ_DTLS_ERROR, HZ_DTLS_ERROR_STATE,
                         "SRTP profiles must be set before the handshake starts");
    return FALSE;
  }
  for (guint i = 0; i < n_profiles; i++) {
    if (!hz_srtp_profile_get_lengths (profiles[i], NULL, NULL)) {
      g_set_error (error, HZ_DTLS_ERROR, HZ_DTLS_ERROR_INVALID_ARGUMENT,
                   "unsupported SRTP profile %d", (int) profiles[i]);
      return FALSE;
    }
    if (list->len > 0)
      g_string_append_c (list, ':');
    g_string_append (list, hz_srtp_profile_to_string (profiles[i]));
  }
  if (list->len == 0) {
    g_set_error_literal (error, HZ_DTLS_ERROR, HZ_DTLS_ERROR_INVALID_ARGUMENT,
                         "at least one SRTP profile is needed");
    return FALSE;
  }
  if (SSL_set_tlsext_use_srtp (self->ssl, list->str) != 0) { /* 0 is success */
    g_autofree char *msg = hz_dtls_take_openssl_error ();
    g_set_error (error, HZ_DTLS_ERROR, HZ_DTLS_ERROR_INVALID_ARGUMENT,
                 "cannot set SRTP profiles %s: %s", list->str, msg);
    return FALSE;
  }
  return TRUE;
}

void
hz_dtls_set_initial_timeout_ms (HzDtls *self, guint timeout_ms)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (timeout_ms >= HZ_DTLS_MIN_TIMEOUT_MS);
  g_return_if_fail (timeout_ms <= HZ_DTLS_MAX_TIMEOUT_US / 1000);
  self->initial_timeout_us = timeout_ms * 1000;
}

/* Called once SSL_do_handshake() succeeded. */
static gboolean
hz_dtls_on_handshake_done (HzDtls *self, GError **error)
{
  if (!self->remote_fp_verified || SSL_get0_peer_certificate (self->ssl) == NULL) {
    g_set_error_literal (error, HZ_DTLS_ERROR, HZ_DTLS_ERROR_HANDSHAKE,
                         "peer presented no certificate");
    hz_dtls_set_state (self, HZ_DTLS_STATE_FAILED);
    return FALSE;
  }
  if (SSL_get_selected_srtp_profile (self->ssl) == NULL) {
    g_set_error_literal (error, HZ_DTLS_ERROR, HZ_DTLS_ERROR_NO_SRTP,
                         "peer did not negotiate a common DTLS-SRTP profile");
    hz_dtls_set_state (self, HZ_DTLS_STATE_FAILED);
    return FALSE;
  }
  hz_dtls_set_state (self, HZ_DTLS_STATE_CONNECTED);
  return TRUE;
}

static gboolean
hz_dtls_do_handshake (HzDtls *self, GError **error)
{
  int ret = SSL_do_handshake (self->ssl);
  int err;

  hz_dtls_flush_out (self);
  if (ret == 1)
    return hz_dtls_on_handshake_done (self, error);
  err = SSL_get_error (self->ssl, ret);
  if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
    ERR_clear_error ();
    return TRUE;
  }
  hz_dtls_fail (self, error);
  return FALSE;
}

/* After the handshake: notices close_notify and fatal alerts, lets OpenSSL
 * answer a retransmitted final flight, drops application data. */
static gboolean
hz_dtls_read_records (HzDtls *self, GError **error)
{
  guint8 buf[2048];

  for (;;) {
    int n = SSL_read (self->ssl, buf, sizeof (buf));
    int err;

    hz_dtls_flush_out (self);
    if (n > 0) {
      g_debug ("dtls %p: dropping %d octets of application data", self, n);
      continue;
    }
    err = SSL_get_error (self->ssl, n);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
      ERR_clear_error ();
      return TRUE;
    }
    if (err == SSL_ERROR_ZERO_RETURN) {
      SSL_shutdown (self->ssl); /* answer with our close_notify */
      hz_dtls_flush_out (self);
      ERR_clear_error ();
      hz_dtls_set_state (self, HZ_DTLS_STATE_CLOSED);
      return TRUE;
    }
    hz_dtls_fail (self, error);
    return FALSE;
  }
}

gboolean
hz_dtls_start (HzDtls *self, GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (self->state != HZ_DTLS_STATE_NEW) {
    g_set_error (error, HZ_DTLS_ERROR, HZ_DTLS_ERROR_STATE, "DTLS already started (%s)",
                 hz_dtls_state_to_string (self->state));
    return FALSE;
  }
  hz_dtls_set_state (self, HZ_DTLS_STATE_CONNECTING);
  if (self->role == HZ_DTLS_ROLE_SERVER)
    return TRUE;
  ERR_clear_error ();
  return hz_dtls_do_handshake (self, error);
}

gboolean
hz_dtls_check_datagram (const guint8 *data, gsize len, GError **error)
{
  gsize off = 0;

  if (len == 0) {
    g_set_error_literal (error, HZ_DTLS_ERROR, HZ_DTLS_ERROR_BAD_DATAGRAM, "empty datagram");
    return FALSE;
  }
  while (off < len) {
    const guint8 *r = data + off;
    guint record_len;

    if (len - off < HZ_DTLS_RECORD_HEADER_LEN) {
      g_set_error (error, HZ_DTLS_ERROR, HZ_DTLS_ERROR_BAD_DATAGRAM,
                   "truncated DTLS record header at offset %" G_GSIZE_FORMAT, off);
      return FALSE;
    }
    /* content type: change_cipher_spec(20) alert(21) handshake(22) application_data(23) */
    if (r[0] < 20 || r[0] > 23) {
      g_set_error (error, HZ_DTLS_ERROR, HZ_DTLS_ERROR_BAD_DATAGRAM,
                   "not a DTLS 1.2 record: content type %u at offset %" G_GSIZE_FORMAT,
                   r[0], off);
      return FALSE;
    }
    /* version: DTLS 1.0 (FE FF, first ClientHello) or DTLS 1.2 (FE FD) */
    if (r[1] != 0xFE || (r[2] != 0xFF && r[2] != 0xFD)) {
      g_set_error (error, HZ_DTLS_ERROR, HZ_DTLS_ERROR_BAD_DATAGRAM,
                   "unsupported DTLS record version %02X%02X", r[1], r[2]);
      return FALSE;
    }
    /* r[3..4] epoch, r[5..10] sequence number, r[11..12] length */
    record_len = ((guint) r[11] << 8) | r[12];
    if (record_len > HZ_DTLS_MAX_RECORD_LEN || record_len > len - off - HZ_DTLS_RECORD_HEADER_LEN) {
      g_set_error (error, HZ_DTLS_ERROR, HZ_DTLS_ERROR_BAD_DATAGRAM,
                   "DTLS record length %u overruns the datagram", record_len);
      return FALSE;
    }
    off += HZ_DTLS_RECORD_HEADER_LEN + record_len;
  }
  return TRUE;
}

HzDtlsState
hz_dtls_handle_datagram (HzDtls *self, const guint8 *data, gsize len, GError **error)
{
  g_return_val_if_fail (self != NULL, HZ_DTLS_STATE_FAILED);
  g_return_val_if_fail (data != NULL || len == 0, self->state);
  g_return_val_if_fail (error == NULL || *error == NULL, self->state);

  /* OpenSSL drops malformed DTLS records silently; reject them here so the
   * caller gets an error and nothing reaches the handshake. */
  if (!hz_dtls_check_datagram (data, len, error))
    return self->state;
  if (self->state == HZ_DTLS_STATE_NEW && self->role == HZ_DTLS_ROLE_SERVER)
    hz_dtls_set_state (self, HZ_DTLS_STATE_CONNECTING);
  if (self->state != HZ_DTLS_STATE_CONNECTING && self->state != HZ_DTLS_STATE_CONNECTED) {
    g_set_error (error, HZ_DTLS_ERROR, HZ_DTLS_ERROR_STATE,
                 "DTLS datagram received while %s", hz_dtls_state_to_string (self->state));
    return self->state;
  }

  ERR_clear_error ();
  if (BIO_write (self->rbio, data, (int) MIN (len, (gsize) G_MAXINT)) <= 0) {
    ERR_clear_error ();
    g_set_error_literal (error, HZ_DTLS_ERROR, HZ_DTLS_ERROR_INTERNAL, "cannot buffer datagram");
    return self->state;
  }
  if (self->state == HZ_DTLS_STATE_CONNECTING)
    hz_dtls_do_handshake (self, error);
  /* later datagrams, or records that followed the peer's Finished in this
   * one (then already in OpenSSL's record buffer, not in the BIO) */
  if (self->state == HZ_DTLS_STATE_CONNECTED &&
      (BIO_ctrl_pending (self->rbio) > 0 || SSL_has_pending (self->ssl)))
    hz_dtls_read_records (self, error);
  /* one datagram per call: never let a leftover join the next datagram */
  (void) BIO_reset (self->rbio);
  return self->state;
}

gint64
hz_dtls_get_timeout_ms (HzDtls *self)
{
  struct timeval tv = { 0, 0 };

  g_return_val_if_fail (self != NULL, -1);

  if (self->state != HZ_DTLS_STATE_CONNECTING && self->state != HZ_DTLS_STATE_CONNECTED)
    return -1;
  if (DTLSv1_get_timeout (self->ssl, &tv) != 1)
    return -1;
  return (gint64) tv.tv_sec * 1000 + (tv.tv_usec + 999) / 1000;
}

HzDtlsState
hz_dtls_handle_timeout (HzDtls *self, GError **error)
{
  g_return_val_if_fail (self != NULL, HZ_DTLS_STATE_FAILED);
  g_return_val_if_fail (error == NULL || *error == NULL, self->state);

  if (self->state != HZ_DTLS_STATE_CONNECTING && self->state != HZ_DTLS_STATE_CONNECTED)
    return self->state;
  ERR_clear_error ();
  if (DTLSv1_handle_timeout (self->ssl) < 0) {
    hz_dtls_flush_out (self); /* the alert, if any */
    hz_dtls_fail (self, error);
    return self->state;
  }
  hz_dtls_flush_out (self);
  ERR_clear_error ();
  return self->state;
}

HzDtlsState
hz_dtls_get_state (HzDtls *self)
{
  g_return_val_if_fail (self != NULL, HZ_DTLS_STATE_FAILED);
  return self->state;
}

HzDtlsRole
hz_dtls_get_role (HzDtls *self)
{
  g_return_val_if_fail (self != NULL, HZ_DTLS_ROLE_CLIENT);
  return self->role;
}

gboolean
hz_dtls_get_srtp_keys (HzDtls *self, HzSrtpKeys *out, GError **error)
{
  const SRTP_PROTECTION_PROFILE *p;
  guint8 material[2 * (HZ_SRTP_MAX_KEY_LEN + HZ_SRTP_MAX_SALT_LEN)];
  HzSrtpKeys keys = { 0 };
  const guint8 *client_key, *server_key, *client_salt, *server_salt;
  gsize total;

  g_return_val_if_fail (self != NULL && out != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (self->state != HZ_DTLS_STATE_CONNECTED) {
    g_set_error (error, HZ_DTLS_ERROR, HZ_DTLS_ERROR_STATE,
                 "SRTP keys are available once connected, not while %s",
                 hz_dtls_state_to_string (self->state));
    return FALSE;
  }
  p = SSL_get_selected_srtp_profile (self->ssl);
  keys.profile = p != NULL ? (HzSrtpProfile) p->id : 0;
  if (p == NULL || !hz_srtp_profile_get_lengths (keys.profile, &keys.key_len, &keys.salt_len)) {
    g_set_error (error, HZ_DTLS_ERROR, HZ_DTLS_ERROR_NO_SRTP, "unsupported SRTP profile %s",
                 p != NULL ? p->name : "(none)");
    return FALSE;
  }
  /* RFC 5764 4.2: client_write_key | server_write_key | client_write_salt |
   * server_write_salt */
  total = 2 * ((gsize) keys.key_len + keys.salt_len);
  ERR_clear_error ();
  if (SSL_export_keying_material (self->ssl, material, total, HZ_DTLS_SRTP_LABEL,
                                  strlen (HZ_DTLS_SRTP_LABEL), NULL, 0, 0) != 1) {
    g_autofree char *msg = hz_dtls_take_openssl_error ();
    g_set_error (error, HZ_DTLS_ERROR, HZ_DTLS_ERROR_INTERNAL, "key export failed: %s", msg);
    return FALSE;
  }
  client_key = material;
  server_key = client_key + keys.key_len;
  client_salt = server_key + keys.key_len;
  server_salt = client_salt + keys.salt_len;
  if (self->role == HZ_DTLS_ROLE_CLIENT) {
    memcpy (keys.local_key, client_key, keys.key_len);
    memcpy (keys.local_salt, client_salt, keys.salt_len);
    memcpy (keys.remote_key, server_key, keys.key_len);
    memcpy (keys.remote_salt, server_salt, keys.salt_len);
  } else {
    memcpy (keys.local_key, server_key, keys.key_len);
    memcpy (keys.local_salt, server_salt, keys.salt_len);
    memcpy (keys.remote_key, client_key, keys.key_len);
    memcpy (keys.remote_salt, client_salt, keys.salt_len);
  }
  OPENSSL_cleanse (material, sizeof (material));
  *out = keys;
  OPENSSL_cleanse (&keys, sizeof (keys));
  return TRUE;
}

void
hz_dtls_close (HzDtls *self)
{
  g_return_if_fail (self != NULL);

  switch (self->state) {
  case HZ_DTLS_STATE_CONNECTED:
    ERR_clear_error ();
    SSL_shutdown (self->ssl); /* sends close_notify */
    hz_dtls_flush_out (self);
    ERR_clear_error ();
    hz_dtls_set_state (self, HZ_DTLS_STATE_CLOSED);
    break;
  case HZ_DTLS_STATE_NEW:
  case HZ_DTLS_STATE_CONNECTING:
    hz_dtls_set_state (self, HZ_DTLS_STATE_CLOSED);
    break;
  case HZ_DTLS_STATE_FAILED:
  case HZ_DTLS_STATE_CLOSED:
  default:
    break;
  }
}
