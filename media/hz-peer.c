/* hz-peer: one server-side WebRTC peer connection: its state machine, the
 * libnice agent (candidates, selected pair, failure), the remote
 * description, ICE restart and the connection's lifetime. The data path is
 * hz-peer-io.c, the ICE-TCP glue hz-peer-tcp.c (hz-peer-private.h). */
#include "hz-peer-private.h"

#include <string.h>

#include "hz-send-batch.h"

G_DEFINE_QUARK (hz-peer-error-quark, hz_peer_error)

const char *
hz_peer_state_to_string (HzPeerState state)
{
  static const char *names[] = { "new", "checking", "dtls", "connected", "failed", "closed" };

  return state <= HZ_PEER_STATE_CLOSED ? names[state] : "invalid";
}

static gboolean
peer_transition_allowed (HzPeerState from, HzPeerState to)
{
  if (from == to)
    return FALSE;
  if (from == HZ_PEER_STATE_FAILED || from == HZ_PEER_STATE_CLOSED)
    return FALSE; /* terminal */
  if (to == HZ_PEER_STATE_FAILED || to == HZ_PEER_STATE_CLOSED)
    return TRUE;
  switch (from) {
  case HZ_PEER_STATE_NEW:
    return to == HZ_PEER_STATE_CHECKING;
  case HZ_PEER_STATE_CHECKING:
    return to == HZ_PEER_STATE_DTLS;
  case HZ_PEER_STATE_DTLS:
    return to == HZ_PEER_STATE_CONNECTED;
  default:
    return FALSE;
  }
}

/* The one place where the state changes. */
void
hz_peer_set_state (HzPeer *self, HzPeerState state)
{
  if (!peer_transition_allowed (self->state, state)) {
    g_debug ("peer %p: ignoring %s -> %s", self, hz_peer_state_to_string (self->state),
             hz_peer_state_to_string (state));
    return;
  }
  g_debug ("peer %p: %s -> %s", self, hz_peer_state_to_string (self->state),
           hz_peer_state_to_string (state));
  self->state = state;
  if (self->cb.state_changed != NULL)
    self->cb.state_changed (self, state, self->user_data);
}

static void
recv_cb (NiceAgent *agent, guint stream_id, guint component_id, guint len, gchar *data,
         gpointer user_data)
{
  hz_peer_handle_packet (user_data, data, len);
}

void
hz_peer_update_remote_address (HzPeer *self)
{
  NiceCandidate *local = NULL, *remote = NULL;
  char ip[NICE_ADDRESS_STRING_LEN];

  if (nice_agent_get_selected_pair (self->agent, self->stream_id, 1, &local, &remote) &&
      remote != NULL) {
    nice_address_to_string (&remote->addr, ip);
    g_snprintf (self->remote_addr, sizeof self->remote_addr, "%s:%u", ip,
                nice_address_get_port (&remote->addr));
  }
}

/* Takes the selected pair's socket for the direct send path, or drops it
 * (relayed and TCP pairs, no pair) so that libnice sends. */
void
hz_peer_update_send_path (HzPeer *self)
{
  NiceCandidate *local = NULL, *remote = NULL;
  GSocket *sock = NULL;

  if (self->send_fd >= 0)
    hz_send_batch_flush (); /* nothing queued for the old pair stays behind */
  g_clear_object (&self->send_socket);
  self->send_fd = -1;
  if (self->tcp_selected != NULL)
    return; /* sent on the ICE-TCP connection */
  if (!nice_agent_get_selected_pair (self->agent, self->stream_id, 1, &local, &remote) ||
      remote == NULL || remote->transport != NICE_CANDIDATE_TRANSPORT_UDP)
    return;
  sock = nice_agent_get_selected_socket (self->agent, self->stream_id, 1);
  if (sock == NULL)
    return;
  if (g_socket_get_family (sock) != (nice_address_ip_version (&remote->addr) == 6
                                         ? G_SOCKET_FAMILY_IPV6 : G_SOCKET_FAMILY_IPV4)) {
    g_object_unref (sock);
    return;
  }
  memset (&self->send_addr, 0, sizeof self->send_addr);
  nice_address_copy_to_sockaddr (&remote->addr, (struct sockaddr *) &self->send_addr);
  self->send_addr_len = nice_address_ip_version (&remote->addr) == 6 ? sizeof (struct sockaddr_in6)
                                                                     : sizeof (struct sockaddr_in);
  self->send_socket = sock;
  self->send_fd = g_socket_get_fd (sock);
}

static void
selected_pair_cb (NiceAgent *agent, guint stream_id, guint component_id, NiceCandidate *lcand,
                  NiceCandidate *rcand, gpointer user_data)
{
  HzPeer *self = user_data;

  self->tcp_selected = NULL; /* a UDP pair nominated after a TCP one wins */
  hz_peer_update_remote_address (self);
  hz_peer_update_send_path (self);
}

/* A transport is up (a UDP pair or an ICE-TCP connection): DTLS next. */
void
hz_peer_ice_connected (HzPeer *self)
{
  g_autoptr(GError) error = NULL;

  if (self->udp_failed_grace != NULL) {
    g_source_destroy (self->udp_failed_grace);
    g_clear_pointer (&self->udp_failed_grace, g_source_unref);
  }
  if (self->state != HZ_PEER_STATE_CHECKING)
    return;
  hz_peer_set_state (self, HZ_PEER_STATE_DTLS);
  if (self->dtls_role == HZ_DTLS_ROLE_CLIENT && !hz_dtls_start (self->dtls, &error)) {
    g_warning ("peer %s: cannot start DTLS: %s", self->remote_addr, error->message);
    hz_peer_set_state (self, HZ_PEER_STATE_FAILED);
    return;
  }
  hz_peer_dtls_arm_timer (self);
}

static void
component_state_cb (NiceAgent *agent, guint stream_id, guint component_id, guint state,
                    gpointer user_data)
{
  HzPeer *self = user_data;

  self->udp_connected = state == NICE_COMPONENT_STATE_CONNECTED ||
                        state == NICE_COMPONENT_STATE_READY;
  switch (state) {
  case NICE_COMPONENT_STATE_CONNECTED:
  case NICE_COMPONENT_STATE_READY:
    if (self->tcp_selected == NULL) {
      hz_peer_update_remote_address (self);
      hz_peer_update_send_path (self);
    }
    hz_peer_ice_connected (self);
    return;
  case NICE_COMPONENT_STATE_FAILED:
    hz_peer_update_send_path (self);
    if (self->tcp_selected != NULL) {
      g_debug ("peer %s: every UDP pair failed; staying on ICE-TCP", self->remote_addr);
      return;
    }
    if (self->ice_tcp != NULL && self->state == HZ_PEER_STATE_CHECKING) {
      /* the browser may still come over the ICE-TCP port */
      if (self->udp_failed_grace == NULL) {
        self->udp_failed_grace = g_timeout_source_new (HZ_PEER_UDP_FAILED_GRACE_MS);
        g_source_set_callback (self->udp_failed_grace, hz_peer_udp_failed_grace_cb, self, NULL);
        g_source_attach (self->udp_failed_grace, self->context);
      }
      return;
    }
    g_message ("peer %s: ICE failed", self->remote_addr);
    hz_peer_set_state (self, HZ_PEER_STATE_FAILED);
    return;
  default:
    return;
  }
}

static void
new_candidate_cb (NiceAgent *agent, NiceCandidate *candidate, gpointer user_data)
{
  HzPeer *self = user_data;
  g_autofree char *line = nice_agent_generate_local_candidate_sdp (agent, candidate);
  const char *text = line;

  if (line == NULL)
    return;
  if (g_str_has_prefix (text, "a="))
    text += 2;
  if (self->cb.local_candidate != NULL)
    self->cb.local_candidate (self, text, self->user_data);
}

static void
gathering_done_cb (NiceAgent *agent, guint stream_id, gpointer user_data)
{
  HzPeer *self = user_data;

  hz_peer_announce_tcp_candidate (self);
  if (self->cb.local_candidate != NULL)
    self->cb.local_candidate (self, NULL, self->user_data);
}

HzPeer *
hz_peer_new (GMainContext *context, const HzPeerConfig *config,
             const HzPeerCallbacks *callbacks, gpointer user_data, GError **error)
{
  g_autoptr(HzPeer) self = g_new0 (HzPeer, 1);
  NiceAddress addr;
  gchar *ufrag = NULL, *pwd = NULL;

  g_return_val_if_fail (config != NULL && config->cert != NULL, NULL);

  self->context = g_main_context_ref (context);
  self->cb = *callbacks;
  self->user_data = user_data;
  self->cert = hz_dtls_cert_ref (config->cert);
  self->early_candidates = g_ptr_array_new_with_free_func (g_free);
  self->send_fd = -1;
  self->liveness_ms = config->liveness_timeout_ms != 0 ? config->liveness_timeout_ms : 30000;
  g_strlcpy (self->remote_addr, "(not connected)", sizeof self->remote_addr);

  /* No NICE_AGENT_OPTION_CONSENT_FRESHNESS: libnice 0.1.21 failed healthy
   * connections on a 5 % lossy link with it (tests/impair). A vanished
   * browser is noticed by its WebSocket (pinged after 10 s, dropped after
   * 25 s), which removes its connections. */
  self->agent = nice_agent_new_full (context, NICE_COMPATIBILITY_RFC5245,
                                     NICE_AGENT_OPTION_ICE_TRICKLE);
  /* The server's ICE-TCP is the shared port (hz-ice-tcp.h), not libnice's
   * per-agent one; a tcp_only client (tests) lets libnice do active TCP. */
  g_object_set (self->agent, "controlling-mode", config->controlling, "ice-tcp",
                config->tcp_only, "ice-udp", !config->tcp_only, "upnp", FALSE, NULL);
  self->tcp_only = config->tcp_only;
  if (config->ip != NULL && config->ip[0] != '\0') {
    /* libnice skips loopback when it gathers on its own: name the address. */
    nice_address_init (&addr);
    if (!nice_address_set_from_string (&addr, config->ip)) {
      g_set_error (error, HZ_PEER_ERROR, HZ_PEER_ERROR_FAILED, "bad media ip '%s'", config->ip);
      return NULL;
    }
    nice_agent_add_local_address (self->agent, &addr);
  }
  self->stream_id = nice_agent_add_stream (self->agent, 1);
  if (self->stream_id == 0) {
    g_set_error_literal (error, HZ_PEER_ERROR, HZ_PEER_ERROR_FAILED, "cannot add ICE stream");
    return NULL;
  }
  if (config->port_min > 0 && config->port_max >= config->port_min)
    nice_agent_set_port_range (self->agent, self->stream_id, 1, config->port_min,
                               config->port_max);
  if (config->local_ufrag != NULL && config->local_pwd != NULL &&
      !nice_agent_set_local_credentials (self->agent, self->stream_id, config->local_ufrag,
                                         config->local_pwd)) {
    g_set_error_literal (error, HZ_PEER_ERROR, HZ_PEER_ERROR_FAILED,
                         "cannot set local ICE credentials");
    return NULL;
  }
  nice_agent_get_local_credentials (self->agent, self->stream_id, &ufrag, &pwd);
  self->local_ufrag = ufrag;
  self->local_pwd = pwd;
  self->tcp_conns = g_ptr_array_new_with_free_func ((GDestroyNotify) hz_ice_tcp_conn_free);
  if (config->ice_tcp != NULL) {
    self->ice_tcp = hz_ice_tcp_ref (config->ice_tcp);
    hz_ice_tcp_register (self->ice_tcp, ufrag, pwd, context, hz_peer_tcp_attach_cb, self);
  }

  g_signal_connect (self->agent, "component-state-changed", G_CALLBACK (component_state_cb), self);
  g_signal_connect (self->agent, "new-candidate-full", G_CALLBACK (new_candidate_cb), self);
  g_signal_connect (self->agent, "candidate-gathering-done", G_CALLBACK (gathering_done_cb), self);
  g_signal_connect (self->agent, "new-selected-pair-full", G_CALLBACK (selected_pair_cb), self);
  nice_agent_attach_recv (self->agent, self->stream_id, 1, context, recv_cb, self);
  return g_steal_pointer (&self);
}

gboolean
hz_peer_gather (HzPeer *self, GError **error)
{
  if (!nice_agent_gather_candidates (self->agent, self->stream_id)) {
    g_set_error (error, HZ_PEER_ERROR, HZ_PEER_ERROR_FAILED,
                 "cannot gather ICE candidates (no free port in the media port range?)");
    return FALSE;
  }
  return TRUE;
}

void
hz_peer_free (HzPeer *self)
{
  if (self == NULL)
    return;
  if (self->dtls_timer != NULL) {
    g_source_destroy (self->dtls_timer);
    g_source_unref (self->dtls_timer);
  }
  if (self->liveness_timer != NULL) {
    g_source_destroy (self->liveness_timer);
    g_source_unref (self->liveness_timer);
  }
  if (self->udp_failed_grace != NULL) {
    g_source_destroy (self->udp_failed_grace);
    g_source_unref (self->udp_failed_grace);
  }
  if (self->ice_tcp != NULL) {
    hz_ice_tcp_unregister (self->ice_tcp, self->local_ufrag, self);
    hz_ice_tcp_unref (self->ice_tcp);
  }
  self->tcp_selected = NULL;
  g_clear_pointer (&self->tcp_conns, g_ptr_array_unref);
  if (self->send_fd >= 0) {
    hz_send_batch_flush (); /* before the socket can close */
    g_clear_object (&self->send_socket);
    self->send_fd = -1;
  }
  if (self->dtls != NULL && self->state == HZ_PEER_STATE_CONNECTED)
    hz_dtls_close (self->dtls); /* not released yet (see release_dtls): close_notify */
  if (self->agent != NULL) {
    g_signal_handlers_disconnect_by_data (self->agent, self);
    nice_agent_attach_recv (self->agent, self->stream_id, 1, self->context, NULL, NULL);
    nice_agent_remove_stream (self->agent, self->stream_id);
    g_object_unref (self->agent);
  }
  g_clear_pointer (&self->srtp, hz_srtp_free);
  g_clear_pointer (&self->dtls, hz_dtls_free);
  g_clear_pointer (&self->cert, hz_dtls_cert_unref);
  g_clear_pointer (&self->early_candidates, g_ptr_array_unref);
  g_free (self->local_ufrag);
  g_free (self->local_pwd);
  g_main_context_unref (self->context);
  g_free (self);
}

const char *
hz_peer_get_local_ufrag (HzPeer *self)
{
  return self->local_ufrag;
}

const char *
hz_peer_get_local_pwd (HzPeer *self)
{
  return self->local_pwd;
}

static gboolean
add_candidate_now (HzPeer *self, const char *candidate, GError **error)
{
  g_autofree char *line = NULL;
  NiceCandidate *cand;
  GSList *list;
  int added;

  line = g_str_has_prefix (candidate, "a=") ? g_strdup (candidate)
                                            : g_strconcat ("a=", candidate, NULL);
  cand = nice_agent_parse_remote_candidate_sdp (self->agent, self->stream_id, line);
  if (cand == NULL) {
    /* mDNS (.local) host names and TCP candidates land here; the peer's
     * checks still reach us and become peer-reflexive candidates. */
    g_set_error (error, HZ_PEER_ERROR, HZ_PEER_ERROR_BAD_CANDIDATE,
                 "unusable ICE candidate '%.120s'", candidate);
    return FALSE;
  }
  if ((cand->transport != NICE_CANDIDATE_TRANSPORT_UDP && !self->tcp_only) ||
      cand->component_id != 1) {
    nice_candidate_free (cand);
    g_set_error (error, HZ_PEER_ERROR, HZ_PEER_ERROR_BAD_CANDIDATE,
                 "ICE candidate is not UDP component 1: '%.120s'", candidate);
    return FALSE;
  }
  list = g_slist_append (NULL, cand);
  added = nice_agent_set_remote_candidates (self->agent, self->stream_id, 1, list);
  g_slist_free_full (list, (GDestroyNotify) nice_candidate_free);
  if (added < 0) {
    g_set_error (error, HZ_PEER_ERROR, HZ_PEER_ERROR_BAD_CANDIDATE,
                 "ICE candidate refused: '%.120s'", candidate);
    return FALSE;
  }
  return TRUE;
}

gboolean
hz_peer_set_remote (HzPeer *self, const char *ufrag, const char *pwd, const char *fp_algorithm,
                    const char *fingerprint, HzDtlsRole dtls_role, GError **error)
{
  if (self->remote_set) {
    g_set_error_literal (error, HZ_PEER_ERROR, HZ_PEER_ERROR_BAD_STATE,
                         "remote description already set (ICE restart is not supported)");
    return FALSE;
  }
  if (!nice_agent_set_remote_credentials (self->agent, self->stream_id, ufrag, pwd)) {
    g_set_error_literal (error, HZ_PEER_ERROR, HZ_PEER_ERROR_FAILED,
                         "bad remote ICE credentials");
    return FALSE;
  }
  self->dtls_role = dtls_role;
  self->dtls = hz_dtls_new (self->cert, dtls_role, fp_algorithm, fingerprint, hz_peer_dtls_send_cb, self,
                            error);
  if (self->dtls == NULL)
    return FALSE;
  self->remote_set = TRUE;
  hz_peer_set_state (self, HZ_PEER_STATE_CHECKING);
  for (guint i = 0; i < self->early_candidates->len; i++) {
    g_autoptr(GError) local_error = NULL;
    const char *c = g_ptr_array_index (self->early_candidates, i);

    if (c[0] == '\0')
      nice_agent_peer_candidate_gathering_done (self->agent, self->stream_id);
    else if (!add_candidate_now (self, c, &local_error))
      g_debug ("%s", local_error->message);
  }
  g_ptr_array_set_size (self->early_candidates, 0);
  return TRUE;
}

gboolean
hz_peer_add_remote_candidate (HzPeer *self, const char *candidate, GError **error)
{
  if (!self->remote_set) {
    if (self->early_candidates->len >= 64) {
      g_set_error_literal (error, HZ_PEER_ERROR, HZ_PEER_ERROR_BAD_CANDIDATE,
                           "too many ICE candidates before the remote description");
      return FALSE;
    }
    g_ptr_array_add (self->early_candidates, g_strdup (candidate != NULL ? candidate : ""));
    return TRUE;
  }
  if (candidate == NULL || candidate[0] == '\0') {
    nice_agent_peer_candidate_gathering_done (self->agent, self->stream_id);
    return TRUE;
  }
  return add_candidate_now (self, candidate, error);
}

gboolean
hz_peer_restart_ice (HzPeer *self, const char *local_ufrag, const char *local_pwd,
                     const char *remote_ufrag, const char *remote_pwd, GError **error)
{
  GSList *locals;

  if (!self->remote_set || self->state == HZ_PEER_STATE_FAILED ||
      self->state == HZ_PEER_STATE_CLOSED) {
    g_set_error_literal (error, HZ_PEER_ERROR, HZ_PEER_ERROR_BAD_STATE,
                         "ICE restart needs a live connection");
    return FALSE;
  }
  if (!nice_agent_restart_stream (self->agent, self->stream_id) ||
      !nice_agent_set_local_credentials (self->agent, self->stream_id, local_ufrag, local_pwd) ||
      !nice_agent_set_remote_credentials (self->agent, self->stream_id, remote_ufrag, remote_pwd)) {
    g_set_error_literal (error, HZ_PEER_ERROR, HZ_PEER_ERROR_FAILED, "ICE restart refused");
    return FALSE;
  }
  if (self->ice_tcp != NULL) {
    hz_ice_tcp_unregister (self->ice_tcp, self->local_ufrag, self);
    hz_ice_tcp_register (self->ice_tcp, local_ufrag, local_pwd, self->context, hz_peer_tcp_attach_cb,
                         self);
  }
  for (guint i = 0; i < self->tcp_conns->len; i++)
    hz_ice_tcp_conn_set_credentials (g_ptr_array_index (self->tcp_conns, i), local_ufrag,
                                     local_pwd);
  g_free (self->local_ufrag);
  g_free (self->local_pwd);
  self->local_ufrag = g_strdup (local_ufrag);
  self->local_pwd = g_strdup (local_pwd);
  /* The remote side needs our candidates for the new generation. */
  locals = nice_agent_get_local_candidates (self->agent, self->stream_id, 1);
  for (GSList *l = locals; l != NULL; l = l->next)
    new_candidate_cb (self->agent, l->data, self);
  g_slist_free_full (locals, (GDestroyNotify) nice_candidate_free);
  hz_peer_announce_tcp_candidate (self);
  if (self->cb.local_candidate != NULL)
    self->cb.local_candidate (self, NULL, self->user_data);
  return TRUE;
}

HzPeerState
hz_peer_get_state (HzPeer *self)
{
  return self->state;
}

const char *
hz_peer_get_remote_address (HzPeer *self)
{
  return self->remote_addr;
}
