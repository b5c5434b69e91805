/* hz-ice-tcp: the shared ICE-TCP port: listener, first-frame routing by
 * ufrag, hand-over to the peer's worker. See hz-ice-tcp.h. */
#define _GNU_SOURCE /* accept4 */
#include "hz-ice-tcp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <glib-unix.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* A connection must send its first Binding request within this time, it
 * may be at most this long, and at most this many may be waiting: a TCP
 * port open to the world is not a way to hold the server's memory. */
#define FIRST_FRAME_TIMEOUT_S 10
#define FIRST_FRAME_MAX 1024
#define MAX_PENDING 256

/* Priority of the passive host candidate (RFC 8445 §5.1.2.1 with RFC 6544
 * §4.2's local preference): below every UDP candidate, so a browser that
 * can use UDP does. */
#define TCP_TYPE_PREFERENCE 80
#define TCP_DIRECTION_PASSIVE 4

struct _HzIceTcp {
  gint ref_count;
  GMainContext *context;
  GSocket *socket;
  GSource *accept_source;
  char *ip;
  guint port;
  GHashTable *pending; /* Pending* set, on context only */
  HzIceTcpStats stats;  /* on context only */
  GMutex lock;         /* protects registry */
  GHashTable *registry; /* local ufrag -> Entry */
};

typedef struct {
  char *pwd;
  GMainContext *context;
  HzIceTcpAttachFunc attach;
  gpointer owner;
} Entry;

typedef struct {
  HzIceTcp *ice;
  int fd;
  GSource *read_source, *timeout;
  guint8 buf[2 + FIRST_FRAME_MAX];
  gsize len;
  char remote[64];
} Pending;

typedef struct {
  HzIceTcp *ice;
  char *ufrag;
  int fd;
  GBytes *read;
  char remote[64];
} Handoff;

static void
entry_free (Entry *e)
{
  memset (e->pwd, 0, strlen (e->pwd));
  g_free (e->pwd);
  g_main_context_unref (e->context);
  g_free (e);
}

static void
pending_free (Pending *p)
{
  if (p->read_source != NULL) {
    g_source_destroy (p->read_source);
    g_source_unref (p->read_source);
  }
  if (p->timeout != NULL) {
    g_source_destroy (p->timeout);
    g_source_unref (p->timeout);
  }
  if (p->fd >= 0)
    close (p->fd);
  g_free (p);
}

static void
handoff_free (gpointer data)
{
  Handoff *h = data;

  if (h->fd >= 0)
    close (h->fd);
  g_bytes_unref (h->read);
  g_free (h->ufrag);
  hz_ice_tcp_unref (h->ice);
  g_free (h);
}

/* On the owner's context: the owner, if still registered there, takes it. */
static gboolean
handoff_cb (gpointer data)
{
  Handoff *h = data;
  HzIceTcpAttachFunc attach = NULL;
  gpointer owner = NULL;
  GMainContext *here = NULL;
  HzIceTcpConn *conn;
  const guint8 *read;
  gsize read_len;
  Entry *e;

  g_mutex_lock (&h->ice->lock);
  e = g_hash_table_lookup (h->ice->registry, h->ufrag);
  if (e != NULL) {
    attach = e->attach;
    owner = e->owner;
    here = e->context;
  }
  g_mutex_unlock (&h->ice->lock);
  if (attach == NULL || !g_main_context_is_owner (here)) {
    g_message ("ICE-TCP from %s: its connection ended before the hand-over; closed", h->remote);
    return G_SOURCE_REMOVE;
  }
  read = g_bytes_get_data (h->read, &read_len);
  conn = hz_ice_tcp_conn_new (h->fd, here, read, read_len, h->remote);
  h->fd = -1;
  attach (owner, conn);
  return G_SOURCE_REMOVE;
}

static void
reject (Pending *p, const char *why)
{
  g_message ("ICE-TCP from %s: %s; closed", p->remote, why);
  p->ice->stats.refused++;
  g_hash_table_remove (p->ice->pending, p);
}

/* The first frame is whole: route it or close the connection. */
static void
route (Pending *p, gsize frame_len)
{
  const guint8 *frame = p->buf + 2;
  g_autofree char *ufrag = hz_ice_tcp_binding_ufrag (frame, frame_len);
  GMainContext *target = NULL;
  Handoff *h;
  Entry *e;

  if (ufrag == NULL) {
    reject (p, "first frame is not a STUN Binding request with a USERNAME");
    return;
  }
  g_mutex_lock (&p->ice->lock);
  e = g_hash_table_lookup (p->ice->registry, ufrag);
  if (e != NULL && hz_ice_tcp_check_binding (frame, frame_len, ufrag, e->pwd))
    target = g_main_context_ref (e->context);
  g_mutex_unlock (&p->ice->lock);
  if (target == NULL) {
    reject (p, e == NULL ? "Binding request for no live connection"
                         : "Binding request failed MESSAGE-INTEGRITY");
    return;
  }
  h = g_new0 (Handoff, 1);
  h->ice = hz_ice_tcp_ref (p->ice);
  h->ufrag = g_steal_pointer (&ufrag);
  h->fd = p->fd;
  h->read = g_bytes_new (p->buf, p->len);
  g_strlcpy (h->remote, p->remote, sizeof h->remote);
  p->fd = -1;
  p->ice->stats.handed_over++;
  g_hash_table_remove (p->ice->pending, p);
  g_main_context_invoke_full (target, G_PRIORITY_DEFAULT, handoff_cb, h, handoff_free);
  g_main_context_unref (target);
}

static gboolean
pending_read (gint fd, GIOCondition cond, gpointer data)
{
  Pending *p = data;
  gsize want = 2, frame_len = 0;
  ssize_t r;

  if (p->len >= 2) {
    frame_len = ((gsize) p->buf[0] << 8) | p->buf[1];
    want = 2 + frame_len;
  }
  do
    r = recv (p->fd, p->buf + p->len, want - p->len, MSG_DONTWAIT);
  while (r < 0 && errno == EINTR);
  if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
    return G_SOURCE_CONTINUE;
  if (r <= 0) {
    g_clear_pointer (&p->read_source, g_source_unref);
    g_debug ("ICE-TCP from %s: closed before its first frame", p->remote);
    g_hash_table_remove (p->ice->pending, p);
    return G_SOURCE_REMOVE;
  }
  p->len += (gsize) r;
  if (p->len == 2) {
    frame_len = ((gsize) p->buf[0] << 8) | p->buf[1];
    if (frame_len < 20 || frame_len > FIRST_FRAME_MAX) {
      g_clear_pointer (&p->read_source, g_source_unref);
      reject (p, "first frame is not a STUN message (RFC 4571 length out of range)");
      return G_SOURCE_REMOVE;
    }
  } else if (p->len == want) {
    g_clear_pointer (&p->read_source, g_source_unref);
    route (p, frame_len);
    return G_SOURCE_REMOVE;
  }
  return G_SOURCE_CONTINUE;
}

static gboolean
pending_timeout (gpointer data)
{
  Pending *p = data;

  g_clear_pointer (&p->timeout, g_source_unref);
  reject (p, "no Binding request within " G_STRINGIFY (FIRST_FRAME_TIMEOUT_S) " s");
  return G_SOURCE_REMOVE;
}

static void
describe_remote (int fd, char *out, gsize size)
{
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  char ip[INET6_ADDRSTRLEN] = "?";
  guint port = 0;

  if (getpeername (fd, (struct sockaddr *) &ss, &len) == 0) {
    if (ss.ss_family == AF_INET) {
      struct sockaddr_in *a = (struct sockaddr_in *) &ss;
      inet_ntop (AF_INET, &a->sin_addr, ip, sizeof ip);
      port = ntohs (a->sin_port);
    } else if (ss.ss_family == AF_INET6) {
      struct sockaddr_in6 *a = (struct sockaddr_in6 *) &ss;
      inet_ntop (AF_INET6, &a->sin6_addr, ip, sizeof ip);
      port = ntohs (a->sin6_port);
    }
  }
  g_snprintf (out, size, strchr (ip, ':') != NULL ? "[%s]:%u" : "%s:%u", ip, port);
}

static gboolean
accept_ready (GSocket *socket, GIOCondition cond, gpointer data)
{
  HzIceTcp *self = data;

  for (int i = 0; i < 32; i++) {
    int fd = accept4 (g_socket_get_fd (socket), NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    Pending *p;

    if (fd < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED)
        g_warning ("ICE-TCP: accept failed: %s", g_strerror (errno));
      break;
    }
    p = g_new0 (Pending, 1);
    p->ice = self;
    p->fd = fd;
    describe_remote (fd, p->remote, sizeof p->remote);
    if (g_hash_table_size (self->pending) >= MAX_PENDING) {
      g_message ("ICE-TCP from %s: %u connections already wait for their first frame; closed",
                 p->remote, MAX_PENDING);
      self->stats.refused++;
      pending_free (p);
      continue;
    }
    p->read_source = g_unix_fd_source_new (fd, G_IO_IN);
    g_source_set_callback (p->read_source, (GSourceFunc) (void (*) (void)) pending_read, p, NULL);
    g_source_attach (p->read_source, self->context);
    p->timeout = g_timeout_source_new_seconds (FIRST_FRAME_TIMEOUT_S);
    g_source_set_callback (p->timeout, pending_timeout, p, NULL);
    g_source_attach (p->timeout, self->context);
    g_hash_table_add (self->pending, p);
  }
  return G_SOURCE_CONTINUE;
}

HzIceTcp *
hz_ice_tcp_new (const char *ip, guint port, GMainContext *context, GError **error)
{
  g_autoptr(GInetAddress) addr = g_inet_address_new_from_string (ip);
  g_autoptr(GSocketAddress) sa = NULL;
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GSocket) sock = NULL;
  HzIceTcp *self;

  if (addr == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "bad ICE-TCP address '%s'", ip);
    return NULL;
  }
  sock = g_socket_new (g_inet_address_get_family (addr), G_SOCKET_TYPE_STREAM,
                       G_SOCKET_PROTOCOL_TCP, error);
  if (sock == NULL)
    return NULL;
  sa = g_inet_socket_address_new (addr, (guint16) port);
  g_socket_set_blocking (sock, FALSE);
  g_socket_set_listen_backlog (sock, 128);
  if (!g_socket_bind (sock, sa, TRUE, error) || !g_socket_listen (sock, error)) {
    g_prefix_error (error, "ICE-TCP port %s:%u: ", ip, port);
    return NULL;
  }
  bound = g_socket_get_local_address (sock, error);
  if (bound == NULL)
    return NULL;
  self = g_new0 (HzIceTcp, 1);
  self->ref_count = 1;
  self->context = context != NULL ? g_main_context_ref (context)
                                  : g_main_context_ref_thread_default ();
  self->socket = g_steal_pointer (&sock);
  self->ip = g_strdup (ip);
  self->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  self->pending = g_hash_table_new_full (NULL, NULL, (GDestroyNotify) pending_free, NULL);
  g_mutex_init (&self->lock);
  self->registry = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                          (GDestroyNotify) entry_free);
  self->accept_source = g_socket_create_source (self->socket, G_IO_IN, NULL);
  g_source_set_callback (self->accept_source, (GSourceFunc) (void (*) (void)) accept_ready, self,
                         NULL);
  g_source_attach (self->accept_source, self->context);
  return self;
}

HzIceTcp *
hz_ice_tcp_ref (HzIceTcp *self)
{
  g_atomic_int_inc (&self->ref_count);
  return self;
}

/* The last reference must be dropped on the listener's context (the
 * server's main thread), after the workers stopped. */
void
hz_ice_tcp_unref (HzIceTcp *self)
{
  if (self == NULL || !g_atomic_int_dec_and_test (&self->ref_count))
    return;
  g_source_destroy (self->accept_source);
  g_source_unref (self->accept_source);
  g_hash_table_unref (self->pending);
  g_object_unref (self->socket);
  g_hash_table_unref (self->registry);
  g_mutex_clear (&self->lock);
  g_main_context_unref (self->context);
  g_free (self->ip);
  g_free (self);
}

/* From the listener's context. */
void
hz_ice_tcp_get_stats (HzIceTcp *self, HzIceTcpStats *stats)
{
  *stats = self->stats;
}

guint
hz_ice_tcp_get_port (HzIceTcp *self)
{
  return self->port;
}

char *
hz_ice_tcp_candidate (HzIceTcp *self)
{
  guint32 local_pref = (TCP_DIRECTION_PASSIVE << 13) | 8191;
  guint32 priority = ((guint32) TCP_TYPE_PREFERENCE << 24) | (local_pref << 8) | (256 - 1);

  return g_strdup_printf ("candidate:hztcp 1 tcp %u %s %u typ host tcptype passive", priority,
                          self->ip, self->port);
}

void
hz_ice_tcp_register (HzIceTcp *self, const char *local_ufrag, const char *local_pwd,
                     GMainContext *context, HzIceTcpAttachFunc attach, gpointer owner)
{
  Entry *e = g_new0 (Entry, 1);

  e->pwd = g_strdup (local_pwd);
  e->context = g_main_context_ref (context);
  e->attach = attach;
  e->owner = owner;
  g_mutex_lock (&self->lock);
  g_hash_table_replace (self->registry, g_strdup (local_ufrag), e);
  g_mutex_unlock (&self->lock);
}

void
hz_ice_tcp_unregister (HzIceTcp *self, const char *local_ufrag, gpointer owner)
{
  Entry *e;

  g_mutex_lock (&self->lock);
  e = g_hash_table_lookup (self->registry, local_ufrag);
  if (e != NULL && e->owner == owner)
    g_hash_table_remove (self->registry, local_ufrag);
  g_mutex_unlock (&self->lock);
}
