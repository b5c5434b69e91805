/* fuzz-dtls: DTLS datagrams from the network (media/crypto/hz-dtls).
 * Input: a sequence of datagrams, each [2-byte big-endian length][bytes]
 * (a short tail is one last datagram). Each datagram goes through
 * hz_dtls_check_datagram (the demultiplexer's framing check), then into a
 * server-role association (a=setup:passive, what a browser's ClientHello
 * meets) and a client-role one that has sent its ClientHello.
 * Invariants: the framing check accepts exactly the datagrams that are a
 * whole number of records (each at most 2^14 + 2048 octets, RFC 6347) with
 * a valid type and version; a refused datagram
 * leaves the association's state unchanged; nothing reaches CONNECTED
 * without a peer that holds the certificate announced in the SDP (ours is
 * a fingerprint no certificate has). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hz-dtls.h"

#define FP_NOBODY "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF"
#define MAX_DATAGRAMS 16

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
drop_send (const guint8 *data, gsize len, gpointer user_data)
{
  (*(guint *) user_data)++;
}

/* An independent walk over the record headers. */
static gboolean
well_framed (const guint8 *d, gsize len)
{
  gsize off = 0;

  if (len == 0)
    return FALSE;
  while (off < len) {
    gsize rl;
    if (len - off < 13 || d[off] < 20 || d[off] > 23 || d[off + 1] != 0xFE ||
        (d[off + 2] != 0xFF && d[off + 2] != 0xFD))
      return FALSE;
    rl = ((gsize) d[off + 11] << 8) | d[off + 12];
    if (rl > 16384 + 2048 || rl > len - off - 13)
      return FALSE;
    off += 13 + rl;
  }
  return TRUE;
}

static void
feed (HzDtls *dtls, const guint8 *d, gsize len, gboolean framed)
{
  g_autoptr(GError) error = NULL;
  HzDtlsState before = hz_dtls_get_state (dtls);
  HzDtlsState after = hz_dtls_handle_datagram (dtls, d, len, &error);

  if (after == HZ_DTLS_STATE_CONNECTED)
    abort (); /* nobody holds the announced certificate */
  if (!framed && (after != before || !g_error_matches (error, HZ_DTLS_ERROR, HZ_DTLS_ERROR_BAD_DATAGRAM)))
    abort ();
  if (after == HZ_DTLS_STATE_FAILED && error == NULL)
    abort ();
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static HzDtlsCert *cert;
  g_autoptr(HzDtls) server = NULL;
  g_autoptr(HzDtls) client = NULL;
  g_autoptr(GError) error = NULL;
  guint sent = 0;

  if (cert == NULL) {
    cert = hz_dtls_cert_new (&error);
    if (cert == NULL)
      abort ();
  }
  server = hz_dtls_new (cert, HZ_DTLS_ROLE_SERVER, "sha-256", FP_NOBODY, drop_send, &sent, &error);
  client = hz_dtls_new (cert, HZ_DTLS_ROLE_CLIENT, "sha-256", FP_NOBODY, drop_send, &sent, &error);
  if (server == NULL || client == NULL || !hz_dtls_start (client, &error))
    abort ();

  for (guint i = 0; i < MAX_DATAGRAMS && size > 0; i++) {
    gsize len = size;
    g_autoptr(GError) check_error = NULL;
    gboolean ok;

    if (size >= 2) {
      len = MIN ((gsize) ((data[0] << 8) | data[1]), size - 2);
      data += 2;
      size -= 2;
    }
    ok = hz_dtls_check_datagram (data, len, &check_error);
    if (ok != well_framed (data, len) || ok == (check_error != NULL))
      abort ();
    feed (server, data, len, ok);
    feed (client, data, len, ok);
    data += len;
    size -= len;
  }
  return 0;
}
