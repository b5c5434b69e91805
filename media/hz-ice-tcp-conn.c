/* hz-ice-tcp-conn: one accepted ICE-TCP connection on its peer's worker:
 * RFC 4571 framing in both directions, answers to the remote's STUN
 * Binding requests (libnice's stun library), a bounded send queue. See
 * hz-ice-tcp.h for the design. */
#include "hz-ice-tcp.h"

#include <errno.h>
#include <glib-unix.h>
#include <stun/stunagent.h>
#include <stun/usages/ice.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "hz-demux.h"

struct _HzIceTcpConn {
  int fd;
  GMainContext *context;
  GSource *read_source;
  GSource *write_source;
  GSource *closed_idle;
  GByteArray *in;   /* octets read and not yet a whole frame */
  GByteArray *out;  /* framed octets the socket did not take yet */
  char *ufrag, *pwd;
  guint64 tie_breaker;
  gboolean started, closed, authenticated, closed_told;
  HzIceTcpConnCallbacks cb;
  gpointer user_data;
  char remote[64];
  struct sockaddr_storage remote_addr;
  socklen_t remote_addr_len;
  guint64 dropped;
};

static const uint16_t known_attributes[] = {
  STUN_ATTRIBUTE_USERNAME, STUN_ATTRIBUTE_MESSAGE_INTEGRITY, STUN_ATTRIBUTE_FINGERPRINT,
  STUN_ATTRIBUTE_PRIORITY, STUN_ATTRIBUTE_USE_CANDIDATE, STUN_ATTRIBUTE_ICE_CONTROLLED,
  STUN_ATTRIBUTE_ICE_CONTROLLING, 0,
};

typedef struct {
  const char *ufrag, *pwd;
} Credentials;

/* USERNAME is "<our ufrag>:<their ufrag>" (RFC 8445 §7.2.2) */
static bool
validate_username (StunAgent *agent, StunMessage *message, uint8_t *username,
                   uint16_t username_len, uint8_t **password, size_t *password_len,
                   void *user_data)
{
  const Credentials *c = user_data;
  size_t n = strlen (c->ufrag);

  if (username_len <= n || memcmp (username, c->ufrag, n) != 0 || username[n] != ':')
    return false;
  *password = (uint8_t *) c->pwd;
  *password_len = strlen (c->pwd);
  return true;
}

static void
stun_agent_setup (StunAgent *agent)
{
  stun_agent_init (agent, known_attributes, STUN_COMPATIBILITY_RFC5389,
                   STUN_AGENT_USAGE_SHORT_TERM_CREDENTIALS | STUN_AGENT_USAGE_USE_FINGERPRINT);
}

/* Validates a Binding request into @req (which then refers to @frame). */
static gboolean
validate_binding (StunAgent *agent, StunMessage *req, const guint8 *frame, gsize len,
                  const char *ufrag, const char *pwd)
{
  Credentials c = { ufrag, pwd };

  if (ufrag == NULL || pwd == NULL || len < HZ_STUN_HEADER_LEN ||
      hz_demux_classify (frame, len) != HZ_PACKET_STUN)
    return FALSE;
  stun_agent_setup (agent);
  if (stun_agent_validate (agent, req, frame, len, validate_username, &c) !=
      STUN_VALIDATION_SUCCESS)
    return FALSE;
  return stun_message_get_class (req) == STUN_REQUEST &&
         stun_message_get_method (req) == STUN_BINDING;
}

gboolean
hz_ice_tcp_check_binding (const guint8 *frame, gsize len, const char *local_ufrag,
                          const char *local_pwd)
{
  StunAgent agent;
  StunMessage req;

  return validate_binding (&agent, &req, frame, len, local_ufrag, local_pwd);
}

char *
hz_ice_tcp_binding_ufrag (const guint8 *frame, gsize len)
{
  StunMessage msg = { 0 };
  const guint8 *name;
  const guint8 *colon;
  uint16_t n = 0;

  if (len < HZ_STUN_HEADER_LEN || hz_demux_classify (frame, len) != HZ_PACKET_STUN ||
      stun_message_validate_buffer_length (frame, len, TRUE) != (int) len)
    return NULL;
  msg.buffer = (uint8_t *) frame;
  msg.buffer_len = len;
  name = stun_message_find (&msg, STUN_ATTRIBUTE_USERNAME, &n);
  if (name == NULL || n == 0 || (colon = memchr (name, ':', n)) == NULL || colon == name)
    return NULL;
  for (const guint8 *p = name; p < colon; p++)
    if (!g_ascii_isgraph (*p))
      return NULL;
  return g_strndup ((const char *) name, colon - name);
}

HzIceTcpConn *
hz_ice_tcp_conn_new (int fd, GMainContext *context, const guint8 *pending, gsize pending_len,
                     const char *remote)
{
  HzIceTcpConn *self = g_new0 (HzIceTcpConn, 1);

  self->fd = fd;
  self->context = g_main_context_ref (context);
  self->in = g_byte_array_sized_new (MAX (pending_len, 2048));
  g_byte_array_append (self->in, pending, pending_len);
  self->out = g_byte_array_new ();
  /* The server never sends checks on ICE-TCP, so it can never nominate:
   * the remote must be the controlling agent. A browser that answered our
   * offer thinks it is controlled too; RFC 8445 §7.3.1.1 resolves that by
   * tie-breaker, and the lowest one (0) makes us answer 487 Role Conflict
   * every time, so the browser switches to controlling and nominates. A
   * random value switched us instead half of the time (seen with
   * Chromium on subscriber connections: a connection that never got
   * media). */
  self->tie_breaker = 0;
  self->remote_addr_len = sizeof self->remote_addr;
  if (getpeername (fd, (struct sockaddr *) &self->remote_addr, &self->remote_addr_len) != 0)
    self->remote_addr_len = 0;
  g_strlcpy (self->remote, remote, sizeof self->remote);
  return self;
}

static void
stop_sources (HzIceTcpConn *self)
{
  if (self->read_source != NULL) {
    g_source_destroy (self->read_source);
    g_clear_pointer (&self->read_source, g_source_unref);
  }
  if (self->write_source != NULL) {
    g_source_destroy (self->write_source);
    g_clear_pointer (&self->write_source, g_source_unref);
  }
  if (self->closed_idle != NULL) {
    g_source_destroy (self->closed_idle);
    g_clear_pointer (&self->closed_idle, g_source_unref);
  }
}

/* Closed from inside a source: tell the owner once, from an idle, so that
 * it may free the connection in its callback. */
static gboolean
tell_closed (gpointer data)
{
  HzIceTcpConn *self = data;

  g_clear_pointer (&self->closed_idle, g_source_unref);
  if (self->cb.closed != NULL)
    self->cb.closed (self, self->user_data);
  return G_SOURCE_REMOVE;
}

static void
mark_closed (HzIceTcpConn *self, const char *why)
{
  GSource *idle;

  if (self->closed)
    return;
  self->closed = TRUE;
  g_debug ("ICE-TCP %s: %s", self->remote, why);
  stop_sources (self);
  if (!self->closed_told) {
    self->closed_told = TRUE;
    idle = g_idle_source_new ();
    g_source_set_callback (idle, tell_closed, self, NULL);
    g_source_attach (idle, self->context);
    self->closed_idle = idle; /* freeing the connection cancels it */
  }
}

static gboolean write_ready (gint fd, GIOCondition cond, gpointer data);

static void
want_write (HzIceTcpConn *self, gboolean on)
{
  if (on && self->write_source == NULL && !self->closed) {
    self->write_source = g_unix_fd_source_new (self->fd, G_IO_OUT);
    g_source_set_callback (self->write_source, (GSourceFunc) (void (*) (void)) write_ready, self,
                           NULL);
    g_source_attach (self->write_source, self->context);
  } else if (!on && self->write_source != NULL) {
    g_source_destroy (self->write_source);
    g_clear_pointer (&self->write_source, g_source_unref);
  }
}

static gboolean
write_ready (gint fd, GIOCondition cond, gpointer data)
{
  HzIceTcpConn *self = data;
  ssize_t r;

  while (self->out->len > 0) {
    r = send (self->fd, self->out->data, self->out->len, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
      return G_SOURCE_CONTINUE;
    if (r <= 0) {
      g_clear_pointer (&self->write_source, g_source_unref);
      mark_closed (self, "send failed");
      return G_SOURCE_REMOVE;
    }
    g_byte_array_remove_range (self->out, 0, (guint) r);
  }
  g_clear_pointer (&self->write_source, g_source_unref);
  return G_SOURCE_REMOVE;
}

gboolean
hz_ice_tcp_conn_send (HzIceTcpConn *self, const guint8 *buf, gsize len)
{
  guint8 header[2] = { (guint8) (len >> 8), (guint8) len };
  struct iovec iov[2] = { { header, 2 }, { (void *) buf, len } };
  ssize_t r = 0;
  gsize done;

  if (self->closed || len == 0 || len > HZ_ICE_TCP_MAX_FRAME)
    return FALSE;
  if (self->out->len == 0) {
    do
      r = writev (self->fd, iov, 2);
    while (r < 0 && errno == EINTR);
    if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
      mark_closed (self, "write failed");
      return FALSE;
    }
    if (r == (ssize_t) (len + 2))
      return TRUE;
  } else if (self->out->len + len + 2 > HZ_ICE_TCP_MAX_QUEUE) {
    self->dropped++;
    return FALSE;
  }
  /* keep the rest of this frame: a frame is never cut */
  done = r > 0 ? (gsize) r : 0;
  if (done < 2)
    g_byte_array_append (self->out, header + done, 2 - done);
  g_byte_array_append (self->out, buf + (done > 2 ? done - 2 : 0), len - (done > 2 ? done - 2 : 0));
  want_write (self, TRUE);
  return TRUE;
}

/* Answers one Binding request; tells the owner when it nominates us. */
static void
handle_stun (HzIceTcpConn *self, const guint8 *frame, gsize len)
{
  StunAgent agent;
  StunMessage req, msg;
  guint8 reply[512];
  size_t reply_len = sizeof reply;
  bool control = FALSE;
  StunUsageIceReturn ret;

  if (!validate_binding (&agent, &req, frame, len, self->ufrag, self->pwd)) {
    /* responses, indications, other ufrags, bad integrity: not ours */
    g_debug ("ICE-TCP %s: STUN message ignored", self->remote);
    return;
  }
  if (self->remote_addr_len == 0)
    return;
  ret = stun_usage_ice_conncheck_create_reply (&agent, &req, &msg, reply, &reply_len,
                                               &self->remote_addr, self->remote_addr_len,
                                               &control, self->tie_breaker,
                                               STUN_USAGE_ICE_COMPATIBILITY_RFC5245);
  if (reply_len > 0)
    hz_ice_tcp_conn_send (self, reply, reply_len);
  /* MESSAGE-INTEGRITY verified: the remote knows this connection's
   * password, whatever the role answer was */
  self->authenticated = TRUE;
  if (ret != STUN_USAGE_ICE_RETURN_SUCCESS)
    return;
  if (stun_usage_ice_conncheck_use_candidate (&req) && self->cb.nominated != NULL)
    self->cb.nominated (self, self->user_data);
}

/* Handles every whole frame in self->in (stops once closed). */
static void
handle_frames (HzIceTcpConn *self)
{
  gsize at = 0;

  while (!self->closed && self->in->len - at >= 2) {
    gsize n = ((gsize) self->in->data[at] << 8) | self->in->data[at + 1];
    guint8 *frame = self->in->data + at + 2;

    if (self->in->len - at - 2 < n)
      break;
    at += 2 + n;
    if (n == 0)
      continue;
    if (hz_demux_classify (frame, n) == HZ_PACKET_STUN)
      handle_stun (self, frame, n);
    else if (self->authenticated && self->cb.packet != NULL)
      self->cb.packet (self, frame, n, self->user_data);
    else
      self->dropped++; /* data before any authenticated check */
  }
  if (at > 0)
    g_byte_array_remove_range (self->in, 0, (guint) at);
}

static gboolean
read_ready (gint fd, GIOCondition cond, gpointer data)
{
  HzIceTcpConn *self = data;
  guint8 chunk[16384];
  ssize_t r;

  for (int i = 0; i < 16; i++) { /* then let the loop's other sources run */
    r = recv (self->fd, chunk, sizeof chunk, MSG_DONTWAIT);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
      break;
    if (r <= 0) {
      g_clear_pointer (&self->read_source, g_source_unref);
      mark_closed (self, r == 0 ? "closed by the remote" : "receive failed");
      return G_SOURCE_REMOVE;
    }
    /* only a frame being read in part waits here: at most one frame */
    g_byte_array_append (self->in, chunk, (guint) r);
    handle_frames (self);
    if (self->closed)
      return G_SOURCE_REMOVE;
  }
  return G_SOURCE_CONTINUE;
}

void
hz_ice_tcp_conn_start (HzIceTcpConn *self, const char *local_ufrag, const char *local_pwd,
                       const HzIceTcpConnCallbacks *callbacks, gpointer user_data)
{
  g_return_if_fail (!self->started);
  self->started = TRUE;
  self->cb = *callbacks;
  self->user_data = user_data;
  hz_ice_tcp_conn_set_credentials (self, local_ufrag, local_pwd);
  self->read_source = g_unix_fd_source_new (self->fd, G_IO_IN);
  g_source_set_callback (self->read_source, (GSourceFunc) (void (*) (void)) read_ready, self,
                         NULL);
  g_source_attach (self->read_source, self->context);
  handle_frames (self); /* the first request, read by the listener */
}

void
hz_ice_tcp_conn_set_credentials (HzIceTcpConn *self, const char *local_ufrag,
                                 const char *local_pwd)
{
  g_free (self->ufrag);
  g_free (self->pwd);
  self->ufrag = g_strdup (local_ufrag);
  self->pwd = g_strdup (local_pwd);
}

const char *
hz_ice_tcp_conn_get_remote (HzIceTcpConn *self)
{
  return self->remote;
}

gboolean
hz_ice_tcp_conn_is_closed (HzIceTcpConn *self)
{
  return self->closed;
}

void
hz_ice_tcp_conn_free (HzIceTcpConn *self)
{
  if (self == NULL)
    return;
  stop_sources (self);
  if (self->fd >= 0)
    close (self->fd);
  g_byte_array_unref (self->in);
  g_byte_array_unref (self->out);
  g_free (self->ufrag);
  if (self->pwd != NULL)
    memset (self->pwd, 0, strlen (self->pwd));
  g_free (self->pwd);
  g_main_context_unref (self->context);
  g_free (self);
}
