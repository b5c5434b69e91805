/* gen-dtls-corpus: writes real DTLS 1.2 handshake datagrams as seeds for
 * fuzz-dtls: a client and a server HzDtls (media/crypto/hz-dtls) with
 * matching fingerprints handshake in memory; every flight either side sends
 * is saved in fuzz-dtls's input format ([2-byte length][datagram]...).
 *   meson compile -C BUILD gen-dtls-corpus && BUILD/tests/fuzz/gen-dtls-corpus tests/fuzz/corpus/dtls */
#include <glib.h>
#include <glib/gstdio.h>

#include "hz-dtls.h"

typedef struct {
  GPtrArray *queue; /* GBytes* datagrams waiting for the other side */
  GByteArray *log;  /* everything this side sent, length-prefixed */
} Side;

static void
on_send (const guint8 *data, gsize len, gpointer user_data)
{
  Side *s = user_data;
  guint8 hdr[2] = { len >> 8, len & 0xff };

  g_ptr_array_add (s->queue, g_bytes_new (data, len));
  g_byte_array_append (s->log, hdr, 2);
  g_byte_array_append (s->log, data, len);
}

static void
deliver (Side *from, HzDtls *to)
{
  g_autoptr(GPtrArray) q = g_steal_pointer (&from->queue);

  from->queue = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  for (guint i = 0; i < q->len; i++) {
    gsize n;
    const guint8 *d = g_bytes_get_data (g_ptr_array_index (q, i), &n);
    hz_dtls_handle_datagram (to, d, n, NULL);
  }
  g_ptr_array_set_free_func (q, (GDestroyNotify) g_bytes_unref);
}

static void
save (const char *dir, const char *name, GByteArray *b)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr(GError) error = NULL;

  if (!g_file_set_contents (path, (const char *) b->data, b->len, &error))
    g_error ("%s", error->message);
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HzDtlsCert) cc = hz_dtls_cert_new (&error);
  g_autoptr(HzDtlsCert) sc = hz_dtls_cert_new (&error);
  Side cs = { g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref), g_byte_array_new () };
  Side ss = { g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref), g_byte_array_new () };
  g_autoptr(HzDtls) client = hz_dtls_new (cc, HZ_DTLS_ROLE_CLIENT, "sha-256", hz_dtls_cert_get_fingerprint (sc),
                                          on_send, &cs, &error);
  g_autoptr(HzDtls) server = hz_dtls_new (sc, HZ_DTLS_ROLE_SERVER, "sha-256", hz_dtls_cert_get_fingerprint (cc),
                                          on_send, &ss, &error);

  if (argc != 2)
    g_error ("usage: gen-dtls-corpus DIR");
  g_mkdir_with_parents (argv[1], 0755);
  if (!hz_dtls_start (client, &error))
    g_error ("%s", error->message);
  for (guint round = 0; round < 8; round++) {
    deliver (&cs, server);
    deliver (&ss, client);
  }
  if (hz_dtls_get_state (client) != HZ_DTLS_STATE_CONNECTED || hz_dtls_get_state (server) != HZ_DTLS_STATE_CONNECTED)
    g_error ("handshake did not complete");
  hz_dtls_close (client);
  save (argv[1], "client-flights", cs.log);
  save (argv[1], "server-flights", ss.log);
  /* the ClientHello alone, as a fresh server meets it */
  {
    g_autoptr(GByteArray) hello = g_byte_array_new ();
    guint n = (cs.log->data[0] << 8) | cs.log->data[1];
    g_byte_array_append (hello, cs.log->data, 2 + n);
    save (argv[1], "client-hello", hello);
  }
  g_byte_array_unref (cs.log);
  g_byte_array_unref (ss.log);
  g_ptr_array_unref (cs.queue);
  g_ptr_array_unref (ss.queue);
  return 0;
}
