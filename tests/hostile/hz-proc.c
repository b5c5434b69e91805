/* hz-proc: see hz-proc.h. */
#define _GNU_SOURCE
#include "hz-proc.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>

/* ---- the server process ---- */

/* The server dies with the test, even when the test aborts. */
static void
die_with_parent (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static void
rm_rf (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir != NULL) {
    while ((name = g_dir_read_name (dir)) != NULL) {
      g_autofree char *child = g_build_filename (path, name, NULL);
      rm_rf (child);
    }
  }
  g_remove (path);
}

HzProc *
hz_proc_start (const char *data_dir, const char *const *env_extra)
{
  g_autoptr(GSubprocessLauncher) l = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autoptr(GError) error = NULL;
  const char *bin = g_getenv ("HUIZHEN_BIN");
  HzProc *p = g_new0 (HzProc, 1);
  g_autofree char *log = NULL;
  g_autofree char *pmin = NULL, *pmax = NULL;
  g_autofree char *web = NULL, *index = NULL;
  gint64 end;

  g_assert_nonnull (bin);
  if (data_dir == NULL) {
    p->data_dir = g_dir_make_tmp ("huizhen-hostile-XXXXXX", &error);
    g_assert_no_error (error);
    p->own_dir = TRUE;
  } else {
    p->data_dir = g_strdup (data_dir);
  }
  /* a media port range of our own, so parallel suites do not collide */
  p->port_min = 30000 + (guint) (getpid () % 300) * 100;
  p->port_max = p->port_min + 99;
  pmin = g_strdup_printf ("%u", p->port_min);
  pmax = g_strdup_printf ("%u", p->port_max);
  log = g_build_filename (p->data_dir, "stdout.txt", NULL);
  g_remove (log);
  /* a web root of our own next to the secrets: a traversal out of it would
   * land on data_dir/secrets and data_dir/huizhen.db */
  web = g_build_filename (p->data_dir, "web", NULL);
  index = g_build_filename (web, "index.html", NULL);
  g_mkdir_with_parents (web, 0700);
  g_assert_true (g_file_set_contents (index, "<!doctype html><title>hostile</title>", -1, NULL));
  g_subprocess_launcher_setenv (l, "HUIZHEN_WEB_ROOT", web, TRUE);
  g_subprocess_launcher_setenv (l, "HUIZHEN_HTTP_LISTEN", "127.0.0.1:0", TRUE);
  g_subprocess_launcher_setenv (l, "HUIZHEN_STORAGE_DATA_DIR", p->data_dir, TRUE);
  g_subprocess_launcher_setenv (l, "HUIZHEN_AUTH_ADMIN_KEY", HZ_TEST_ADMIN_KEY, TRUE);
  g_subprocess_launcher_setenv (l, "HUIZHEN_AUTH_TOKEN_SECRET", HZ_TEST_TOKEN_SECRET, TRUE);
  g_subprocess_launcher_setenv (l, "HUIZHEN_MEDIA_IP", "127.0.0.1", TRUE);
  g_subprocess_launcher_setenv (l, "HUIZHEN_MEDIA_PORT_MIN", pmin, TRUE);
  g_subprocess_launcher_setenv (l, "HUIZHEN_MEDIA_PORT_MAX", pmax, TRUE);
  g_subprocess_launcher_setenv (l, "HUIZHEN_MEDIA_WORKERS", "2", TRUE);
  for (guint i = 0; env_extra != NULL && env_extra[i] != NULL; i++) {
    g_auto(GStrv) kv = g_strsplit (env_extra[i], "=", 2);
    g_subprocess_launcher_setenv (l, kv[0], kv[1] != NULL ? kv[1] : "", TRUE);
  }
  g_subprocess_launcher_set_stdout_file_path (l, log);
  g_subprocess_launcher_set_child_setup (l, die_with_parent, NULL, NULL);
  p->proc = g_subprocess_launcher_spawn (l, &error, bin, NULL);
  g_assert_no_error (error);
  p->pid = atoi (g_subprocess_get_identifier (p->proc));

  /* "Huizhen 0.1.0 listening on http://127.0.0.1:PORT/ (media on ..." */
  for (end = g_get_monotonic_time () + 20 * G_USEC_PER_SEC; g_get_monotonic_time () < end;) {
    g_autofree char *text = NULL;
    const char *at;

    if (g_file_get_contents (log, &text, NULL, NULL) &&
        (at = strstr (text, "listening on http://127.0.0.1:")) != NULL) {
      p->port = (guint16) atoi (at + strlen ("listening on http://127.0.0.1:"));
      break;
    }
    g_assert_true (hz_proc_is_running (p));
    g_usleep (20000);
  }
  g_assert_cmpuint (p->port, >, 0);
  p->base_url = g_strdup_printf ("http://127.0.0.1:%u", p->port);
  p->ts.base_url = p->base_url;
  p->ts.data_dir = p->data_dir;
  return p;
}

gboolean
hz_proc_is_running (HzProc *p)
{
  g_autofree char *path = NULL;
  g_autofree char *stat = NULL;
  const char *paren;

  if (p->proc == NULL || g_subprocess_get_identifier (p->proc) == NULL)
    return FALSE;
  /* exited but not reaped yet: a zombie, state 'Z' after "pid (comm) " */
  path = g_strdup_printf ("/proc/%d/stat", (int) p->pid);
  if (!g_file_get_contents (path, &stat, NULL, NULL) || (paren = strrchr (stat, ')')) == NULL)
    return FALSE;
  return paren[1] == ' ' && paren[2] != 'Z' && paren[2] != 'X';
}

int
hz_proc_kill (HzProc *p, int sig)
{
  int status;

  g_assert_nonnull (p->proc);
  g_subprocess_send_signal (p->proc, sig);
  g_assert_true (g_subprocess_wait (p->proc, NULL, NULL));
  status = g_subprocess_get_status (p->proc);
  g_clear_object (&p->proc);
  return status;
}

void
hz_proc_free (HzProc *p)
{
  if (p == NULL)
    return;
  if (p->proc != NULL)
    hz_proc_kill (p, SIGTERM);
  if (p->own_dir)
    rm_rf (p->data_dir);
  g_free (p->data_dir);
  g_free (p->base_url);
  g_free (p);
}

guint64
hz_proc_rss_kb (HzProc *p)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/status", (int) p->pid);
  g_autofree char *text = NULL;
  const char *at;

  if (!g_file_get_contents (path, &text, NULL, NULL) || (at = strstr (text, "VmRSS:")) == NULL)
    return 0;
  return g_ascii_strtoull (at + 6 + strspn (at + 6, " \t"), NULL, 10);
}

guint
hz_proc_n_fds (HzProc *p)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/fd", (int) p->pid);
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  guint n = 0;

  while (dir != NULL && g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

/* ---- raw client ---- */

HzRaw *
hz_raw_connect (guint16 port, gint rcvbuf)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) addr = g_inet_socket_address_new (lo, port);
  HzRaw *r = g_new0 (HzRaw, 1);

  r->sock = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  if (rcvbuf > 0)
    g_socket_set_option (r->sock, SOL_SOCKET, SO_RCVBUF, rcvbuf, NULL);
  g_socket_set_timeout (r->sock, 10);
  if (!g_socket_connect (r->sock, addr, NULL, &error)) {
    g_test_message ("connect: %s", error->message);
    r->closed = TRUE;
  }
  r->in = g_byte_array_new ();
  return r;
}

void
hz_raw_free (HzRaw *r)
{
  if (r == NULL)
    return;
  g_socket_close (r->sock, NULL);
  g_object_unref (r->sock);
  g_byte_array_unref (r->in);
  g_free (r);
}

gboolean
hz_raw_send (HzRaw *r, const void *data, gsize len)
{
  const guint8 *d = data;

  while (len > 0 && !r->closed) {
    gssize n = g_socket_send (r->sock, (const char *) d, len, NULL, NULL);
    if (n <= 0) {
      r->closed = TRUE;
      return FALSE;
    }
    d += n;
    len -= n;
  }
  return !r->closed;
}

gsize
hz_raw_read (HzRaw *r, guint timeout_ms)
{
  guint8 buf[65536];
  gssize n;

  if (r->closed)
    return 0;
  if (!g_socket_condition_timed_wait (r->sock, G_IO_IN, (gint64) timeout_ms * 1000, NULL, NULL))
    return 0;
  n = g_socket_receive (r->sock, (char *) buf, sizeof buf, NULL, NULL);
  if (n <= 0) {
    r->closed = TRUE;
    return 0;
  }
  g_byte_array_append (r->in, buf, n);
  return n;
}

guint
hz_raw_http_get (guint16 port, const char *path, char **body)
{
  g_autoptr(HzRaw) r = hz_raw_connect (port, 0);
  g_autofree char *req = g_strdup_printf ("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", path);
  gint64 end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  guint status = 0;
  const char *text;

  hz_raw_send (r, req, strlen (req));
  while (!r->closed && g_get_monotonic_time () < end)
    hz_raw_read (r, 200);
  g_byte_array_append (r->in, (const guint8 *) "", 1);
  text = (const char *) r->in->data;
  if (g_str_has_prefix (text, "HTTP/1.1 ") || g_str_has_prefix (text, "HTTP/1.0 "))
    status = atoi (text + 9);
  if (body != NULL) {
    const char *b = strstr (text, "\r\n\r\n");
    *body = g_strdup (b != NULL ? b + 4 : "");
  }
  return status;
}

gboolean
hz_raw_ws_handshake (HzRaw *r, guint *status)
{
  static const char req[] =
      "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
  gint64 end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  const guint8 *hdr_end = NULL;

  if (status != NULL)
    *status = 0;
  if (!hz_raw_send (r, req, sizeof req - 1))
    return FALSE;
  while (!r->closed && g_get_monotonic_time () < end) {
    hz_raw_read (r, 200);
    hdr_end = r->in->len >= 4 ? memmem (r->in->data, r->in->len, "\r\n\r\n", 4) : NULL;
    if (hdr_end != NULL)
      break;
  }
  if (hdr_end == NULL)
    return FALSE;
  if (status != NULL && r->in->len > 12)
    *status = atoi ((const char *) r->in->data + 9);
  g_byte_array_remove_range (r->in, 0, hdr_end + 4 - r->in->data);
  return status == NULL || *status == 101;
}

gboolean
hz_raw_ws_send_frame (HzRaw *r, guint opcode, gboolean fin, const void *data, gsize len)
{
  static const guint8 mask[4] = { 0x12, 0x34, 0x56, 0x78 };
  g_autoptr(GByteArray) f = g_byte_array_sized_new (len + 14);
  guint8 b[10];

  b[0] = (fin ? 0x80 : 0) | (opcode & 0x0f);
  if (len < 126) {
    b[1] = 0x80 | len;
    g_byte_array_append (f, b, 2);
  } else if (len < 65536) {
    b[1] = 0x80 | 126;
    b[2] = len >> 8;
    b[3] = len & 0xff;
    g_byte_array_append (f, b, 4);
  } else {
    b[1] = 0x80 | 127;
    for (guint i = 0; i < 8; i++)
      b[2 + i] = ((guint64) len >> (56 - 8 * i)) & 0xff;
    g_byte_array_append (f, b, 10);
  }
  g_byte_array_append (f, mask, 4);
  for (gsize i = 0; i < len; i++) {
    guint8 c = ((const guint8 *) data)[i] ^ mask[i % 4];
    g_byte_array_append (f, &c, 1);
  }
  return hz_raw_send (r, f->data, f->len);
}

gboolean
hz_raw_ws_send_text (HzRaw *r, const char *text)
{
  return hz_raw_ws_send_frame (r, 1, TRUE, text, strlen (text));
}

/* One complete frame from r->in, or -1 when not there yet. */
static int
take_frame (HzRaw *r, GBytes **payload)
{
  const guint8 *d = r->in->data;
  gsize n = r->in->len, hdr = 2;
  guint64 len;
  int opcode;

  if (n < 2)
    return -1;
  len = d[1] & 0x7f;
  if (len == 126) {
    if (n < 4)
      return -1;
    len = (d[2] << 8) | d[3];
    hdr = 4;
  } else if (len == 127) {
    if (n < 10)
      return -1;
    len = 0;
    for (guint i = 0; i < 8; i++)
      len = (len << 8) | d[2 + i];
    hdr = 10;
  }
  if (d[1] & 0x80)
    hdr += 4; /* servers do not mask, but do not choke on it */
  if (n < hdr + len)
    return -1;
  opcode = d[0] & 0x0f;
  {
    g_autofree guint8 *copy = g_malloc (len + 1);
    memcpy (copy, d + hdr, len);
    copy[len] = 0;
    *payload = g_bytes_new_take (g_steal_pointer (&copy), len);
  }
  g_byte_array_remove_range (r->in, 0, hdr + len);
  return opcode;
}

int
hz_raw_ws_recv (HzRaw *r, guint timeout_ms, GBytes **payload)
{
  gint64 end = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  *payload = NULL;
  for (;;) {
    int op = take_frame (r, payload);
    if (op == 9) { /* ping: pong with the same payload */
      gsize len;
      const void *d = g_bytes_get_data (*payload, &len);
      hz_raw_ws_send_frame (r, 10, TRUE, d, len);
      g_clear_pointer (payload, g_bytes_unref);
      continue;
    }
    if (op >= 0)
      return op;
    if (r->closed || g_get_monotonic_time () >= end)
      return -1;
    hz_raw_read (r, MAX (1, (end - g_get_monotonic_time ()) / 1000));
  }
}

JsonObject *
hz_raw_ws_wait_type (HzRaw *r, const char *type, guint timeout_ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (g_get_monotonic_time () < end) {
    g_autoptr(GBytes) payload = NULL;
    g_autoptr(JsonNode) node = NULL;
    int op = hz_raw_ws_recv (r, MAX (1, (end - g_get_monotonic_time ()) / 1000), &payload);

    if (op < 0 || op == 8)
      return NULL;
    if (op != 1)
      continue;
    node = json_from_string (g_bytes_get_data (payload, NULL), NULL);
    if (node != NULL && JSON_NODE_HOLDS_OBJECT (node) &&
        g_strcmp0 (json_object_get_string_member_with_default (json_node_get_object (node), "type", ""), type) == 0)
      return json_object_ref (json_node_get_object (node));
  }
  return NULL;
}

guint
hz_raw_ws_close_code (GBytes *payload)
{
  gsize len;
  const guint8 *d = payload != NULL ? g_bytes_get_data (payload, &len) : NULL;

  if (d == NULL || len < 2)
    return 1005;
  return (d[0] << 8) | d[1];
}
