/* hz-proc: the real huizhen binary as a child process for the hostile,
 * fault and soak suites, and a raw socket client that can say what a
 * library client never would (partial HTTP, hand-made WebSocket frames).
 *
 * The binary's path comes from $HUIZHEN_BIN (meson sets it to
 * huizhen_exe.full_path()). The server listens on 127.0.0.1:0 (the port is
 * read back from its first stdout line), uses media ports in a range of its
 * own, a temporary data directory (or a given one, to restart on it) and the
 * test admin key / token secret of hz-test-client.h, so hz_test_http,
 * hz_test_create_room and hz_test_issue_token work against it. */
#pragma once

#include <gio/gio.h>
#include <glib.h>

#include "hz-test-client.h"

G_BEGIN_DECLS

typedef struct {
  GSubprocess *proc;
  GPid pid;
  char *data_dir;
  gboolean own_dir;
  char *base_url;  /* "http://127.0.0.1:PORT" */
  guint16 port;
  guint port_min, port_max;
  HzTestServer ts; /* only base_url set: for hz_test_create_room/issue_token */
} HzProc;

/* Starts huizhen on @data_dir (NULL: a new temporary one, removed by
 * hz_proc_free) with @env_extra ("KEY=VALUE", NULL-terminated, may be
 * NULL) added to the environment; asserts it comes up within 20 s. */
HzProc *hz_proc_start (const char *data_dir, const char *const *env_extra);
/* Sends @sig and waits for the process to exit; returns its wait status. */
int hz_proc_kill (HzProc *p, int sig);
/* SIGTERM (if still running), wait, remove an owned data directory. */
void hz_proc_free (HzProc *p);
gboolean hz_proc_is_running (HzProc *p);
/* VmRSS in KiB and the number of open file descriptors, from /proc. */
guint64 hz_proc_rss_kb (HzProc *p);
guint hz_proc_n_fds (HzProc *p);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HzProc, hz_proc_free)

/* ---- raw TCP / WebSocket client (blocking, with timeouts) ---- */
typedef struct {
  GSocket *sock;
  GByteArray *in; /* received, not yet consumed */
  gboolean closed; /* the peer closed (EOF or reset) */
} HzRaw;

HzRaw *hz_raw_connect (guint16 port, gint rcvbuf /* 0: default */);
void hz_raw_free (HzRaw *r);
gboolean hz_raw_send (HzRaw *r, const void *data, gsize len);
/* Reads what arrives within @timeout_ms (stops early once something came). */
gsize hz_raw_read (HzRaw *r, guint timeout_ms);
/* GET @path HTTP/1.1 sent verbatim; returns the status (0 on no answer)
 * and the body in @body (nullable). Connection: close. */
guint hz_raw_http_get (guint16 port, const char *path, char **body);
/* The WebSocket upgrade of /ws; TRUE on 101. @status gets the HTTP status. */
gboolean hz_raw_ws_handshake (HzRaw *r, guint *status);
/* One client frame (masked) with @opcode and FIN as given. */
gboolean hz_raw_ws_send_frame (HzRaw *r, guint opcode, gboolean fin, const void *data, gsize len);
gboolean hz_raw_ws_send_text (HzRaw *r, const char *text);
/* The next server frame within @timeout_ms: opcode (or -1 on timeout/close)
 * and its payload (text frames NUL-terminated). Pings are answered. */
int hz_raw_ws_recv (HzRaw *r, guint timeout_ms, GBytes **payload);
/* Waits for the next text message whose "type" is @type (others are
 * dropped); NULL on timeout or close. */
JsonObject *hz_raw_ws_wait_type (HzRaw *r, const char *type, guint timeout_ms);
/* The close code of a close frame payload (1005 when it carries none). */
guint hz_raw_ws_close_code (GBytes *payload);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HzRaw, hz_raw_free)

G_END_DECLS
