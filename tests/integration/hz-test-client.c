/* hz-test-client: a browser-like C participant for integration tests. */
#include "hz-test-client.h"
#include "hz-rtcp.h"

#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <string.h>

#include "hz-dtls.h"
#include "hz-rtp.h"
#include "hz-sdp.h"


struct _HzTestClient {
  SoupSession *session;
  SoupWebsocketConnection *ws;
  GQueue inbox; /* JsonNode* objects */
  gboolean closed;
  HzDtlsCert *cert;
  HzPeer *pub, *sub;
  char *pub_mid0;
  GArray *offered_ssrcs;
  char *last_error;
  HzTestRtpFunc rtp_func, rtcp_func;
  gpointer rtp_data, rtcp_data;
  gboolean tcp_only;
};

void
hz_test_client_set_tcp_only (HzTestClient *client, gboolean tcp_only)
{
  client->tcp_only = tcp_only;
}

void
hz_test_iterate (guint ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) ms * 1000;

  while (g_get_monotonic_time () < end) {
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (1000);
  }
}

/* ---- server ---- */

HzTestServer *
hz_test_server_start (void)
{
  return hz_test_server_start_with (NULL);
}

HzTestServer *
hz_test_server_start_with (const char *const *extra_env)
{
  HzTestServer *ts = g_new0 (HzTestServer, 1);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) env = NULL;

  ts->data_dir = g_dir_make_tmp ("huizhen-it-XXXXXX", &error);
  g_assert_no_error (error);
  env = g_get_environ ();
  env = g_environ_setenv (env, "HUIZHEN_HTTP_LISTEN", "127.0.0.1:0", TRUE);
  env = g_environ_setenv (env, "HUIZHEN_STORAGE_DATA_DIR", ts->data_dir, TRUE);
  env = g_environ_setenv (env, "HUIZHEN_AUTH_ADMIN_KEY", HZ_TEST_ADMIN_KEY, TRUE);
  env = g_environ_setenv (env, "HUIZHEN_AUTH_TOKEN_SECRET", HZ_TEST_TOKEN_SECRET, TRUE);
  env = g_environ_setenv (env, "HUIZHEN_MEDIA_IP", "127.0.0.1", TRUE);
  env = g_environ_setenv (env, "HUIZHEN_MEDIA_WORKERS", "2", TRUE);
  for (guint i = 0; extra_env != NULL && extra_env[i] != NULL && extra_env[i + 1] != NULL; i += 2)
    env = g_environ_setenv (env, extra_env[i], extra_env[i + 1], TRUE);
  ts->config = hz_config_load_with_environ (NULL, (const char *const *) env, &error);
  g_assert_no_error (error);
  ts->server = hz_server_new (ts->config, &error);
  g_assert_no_error (error);
  ts->base_url = g_strdup (hz_server_get_base_url (ts->server));
  return ts;
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

void
hz_test_server_stop (HzTestServer *ts)
{
  hz_server_shutdown (ts->server, "test_over");
  hz_server_free (ts->server);
  hz_config_free (ts->config);
  rm_rf (ts->data_dir);
  g_free (ts->data_dir);
  g_free (ts->base_url);
  g_free (ts);
}

typedef struct {
  GBytes *body;
  GError *error;
  gboolean done;
} HttpCall;

static void
http_done (GObject *source, GAsyncResult *res, gpointer data)
{
  HttpCall *call = data;

  call->body = soup_session_send_and_read_finish (SOUP_SESSION (source), res, &call->error);
  call->done = TRUE;
}

guint
hz_test_http (const char *base_url, const char *method, const char *path, const char *auth,
              const char *json_body, JsonNode **out_body)
{
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autofree char *url = g_strconcat (base_url, path, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new (method, url);
  HttpCall call = { 0 };

  if (auth != NULL) {
    g_autofree char *value = g_strconcat ("Bearer ", auth, NULL);
    soup_message_headers_append (soup_message_get_request_headers (msg), "Authorization", value);
  }
  if (json_body != NULL) {
    g_autoptr(GBytes) b = g_bytes_new (json_body, strlen (json_body));
    soup_message_set_request_body_from_bytes (msg, "application/json", b);
  }
  soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, NULL, http_done, &call);
  while (!call.done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_no_error (call.error);
  if (out_body != NULL) {
    gsize n;
    const char *data = g_bytes_get_data (call.body, &n);
    *out_body = n > 0 ? json_from_string (data, NULL) : NULL;
  }
  g_bytes_unref (call.body);
  return soup_message_get_status (msg);
}

char *
hz_test_http_get_text (const char *base_url, const char *path)
{
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autofree char *url = g_strconcat (base_url, path, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
  HttpCall call = { 0 };
  char *text = NULL;

  soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, NULL, http_done, &call);
  while (!call.done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_no_error (call.error);
  if (soup_message_get_status (msg) == 200) {
    gsize n;
    const char *data = g_bytes_get_data (call.body, &n);

    text = g_strndup (data, n);
  }
  g_bytes_unref (call.body);
  return text;
}

char *
hz_test_create_room (HzTestServer *ts, const char *kind)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GDateTime) end = g_date_time_add_hours (now, 1);
  g_autofree char *a = g_date_time_format_iso8601 (now);
  g_autofree char *b = g_date_time_format_iso8601 (end);
  g_autofree char *body = g_strdup_printf (
      "{\"title\":\"integration\",\"kind\":\"%s\",\"starts_at\":\"%s\",\"ends_at\":\"%s\"}", kind, a, b);
  g_autoptr(JsonNode) reply = NULL;
  guint status = hz_test_http (ts->base_url, "POST", "/api/v1/rooms", HZ_TEST_ADMIN_KEY, body, &reply);

  g_assert_cmpuint (status, ==, 201);
  return g_strdup (json_object_get_string_member (json_node_get_object (reply), "id"));
}

char *
hz_test_issue_token (HzTestServer *ts, const char *room_id, const char *user, const char *role)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/rooms/%s/tokens", room_id);
  g_autofree char *body = g_strdup_printf (
      "{\"user\":\"%s\",\"display_name\":\"%s\",\"institution\":\"Test Clinic\",\"role\":\"%s\"}",
      user, user, role);
  g_autoptr(JsonNode) reply = NULL;
  guint status = hz_test_http (ts->base_url, "POST", path, HZ_TEST_ADMIN_KEY, body, &reply);

  g_assert_cmpuint (status, ==, 201);
  return g_strdup (json_object_get_string_member (json_node_get_object (reply), "token"));
}

/* ---- websocket ---- */

static void
ws_message_cb (SoupWebsocketConnection *ws, gint type, GBytes *message, gpointer data)
{
  HzTestClient *c = data;
  gsize n;
  const char *text = g_bytes_get_data (message, &n);
  g_autofree char *copy = g_strndup (text, n);
  JsonNode *node = json_from_string (copy, NULL);

  if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
    g_queue_push_tail (&c->inbox, node);
  else if (node != NULL)
    json_node_unref (node);
}

static void
ws_closed_cb (SoupWebsocketConnection *ws, gpointer data)
{
  ((HzTestClient *) data)->closed = TRUE;
}

typedef struct {
  SoupWebsocketConnection *ws;
  GError *error;
  gboolean done;
} WsConnect;

static void
ws_connected (GObject *source, GAsyncResult *res, gpointer data)
{
  WsConnect *wc = data;

  wc->ws = soup_session_websocket_connect_finish (SOUP_SESSION (source), res, &wc->error);
  wc->done = TRUE;
}

HzTestClient *
hz_test_client_new (const char *base_url)
{
  HzTestClient *c = g_new0 (HzTestClient, 1);
  g_autofree char *url = g_strdup_printf ("ws%s/ws", base_url + 4);
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
  const char *protocols[] = { "huizhen", NULL };
  g_autoptr(GError) error = NULL;
  WsConnect wc = { 0 };

  c->session = soup_session_new ();
  soup_session_websocket_connect_async (c->session, msg, NULL, (char **) protocols,
                                        G_PRIORITY_DEFAULT, NULL, ws_connected, &wc);
  while (!wc.done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_no_error (wc.error);
  c->ws = wc.ws;
  soup_websocket_connection_set_max_incoming_payload_size (c->ws, 1024 * 1024);
  g_signal_connect (c->ws, "message", G_CALLBACK (ws_message_cb), c);
  g_signal_connect (c->ws, "closed", G_CALLBACK (ws_closed_cb), c);
  g_queue_init (&c->inbox);
  c->cert = hz_dtls_cert_new (&error);
  g_assert_no_error (error);
  c->offered_ssrcs = g_array_new (FALSE, FALSE, sizeof (guint32));
  return c;
}

void
hz_test_client_free (HzTestClient *c)
{
  if (c == NULL)
    return;
  g_clear_pointer (&c->pub, hz_peer_free);
  g_clear_pointer (&c->sub, hz_peer_free);
  if (c->ws != NULL) {
    g_signal_handlers_disconnect_by_data (c->ws, c);
    if (soup_websocket_connection_get_state (c->ws) == SOUP_WEBSOCKET_STATE_OPEN)
      soup_websocket_connection_close (c->ws, 1000, NULL);
    g_object_unref (c->ws);
  }
  g_queue_clear_full (&c->inbox, (GDestroyNotify) json_node_unref);
  g_object_unref (c->session);
  hz_dtls_cert_unref (c->cert);
  g_array_unref (c->offered_ssrcs);
  g_free (c->pub_mid0);
  g_free (c->last_error);
  g_free (c);
}

gboolean
hz_test_client_is_closed (HzTestClient *c)
{
  return c->closed;
}

void
hz_test_client_send (HzTestClient *c, const char *json_text)
{
  soup_websocket_connection_send_text (c->ws, json_text);
}

static void handle_trickle (HzTestClient *c, JsonObject *msg);

static const char *
message_type (GList *l)
{
  return json_object_get_string_member_with_default (json_node_get_object (l->data), "type", "");
}

/* Takes the first queued message of @type; trickles are applied on the way. */
static JsonObject *
take_message (HzTestClient *c, const char *type)
{
  GList *l, *next;

  if (strcmp (type, "trickle") != 0) {
    for (l = c->inbox.head; l != NULL; l = next) {
      JsonNode *node = l->data;

      next = l->next;
      if (strcmp (message_type (l), "trickle") != 0)
        continue;
      handle_trickle (c, json_node_get_object (node));
      g_queue_delete_link (&c->inbox, l);
      json_node_unref (node);
    }
  }
  for (l = c->inbox.head; l != NULL; l = l->next) {
    if (strcmp (message_type (l), type) == 0) {
      JsonNode *node = l->data;
      JsonObject *obj = json_object_ref (json_node_get_object (node));

      g_queue_delete_link (&c->inbox, l);
      json_node_unref (node);
      return obj;
    }
  }
  return NULL;
}

JsonObject *
hz_test_client_wait (HzTestClient *c, const char *type, guint timeout_ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  JsonObject *o;

  while ((o = take_message (c, type)) == NULL) {
    if (g_get_monotonic_time () >= end)
      return NULL;
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (500);
  }
  return o;
}

void
hz_test_client_pump (HzTestClient *c, guint ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) ms * 1000;

  while (g_get_monotonic_time () < end) {
    take_message (c, "\x01none");
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (500);
  }
}

JsonObject *
hz_test_client_join (HzTestClient *c, const char *token)
{
  g_autofree char *msg = g_strdup_printf ("{\"type\":\"join\",\"id\":1,\"token\":\"%s\"}", token);
  JsonObject *o;

  hz_test_client_send (c, msg);
  for (gint64 end = g_get_monotonic_time () + 5 * G_USEC_PER_SEC; g_get_monotonic_time () < end;) {
    if ((o = take_message (c, "joined")) != NULL || (o = take_message (c, "error")) != NULL)
      return o;
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (500);
  }
  return NULL;
}

/* ---- peers ---- */

static void
send_candidate (HzTestClient *c, const char *target, const char *mid, const char *candidate)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, "trickle");
  json_builder_set_member_name (b, "target");
  json_builder_add_string_value (b, target);
  json_builder_set_member_name (b, "candidate");
  if (candidate == NULL) {
    json_builder_add_null_value (b);
  } else {
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "candidate");
    json_builder_add_string_value (b, candidate);
    json_builder_set_member_name (b, "sdpMid");
    json_builder_add_string_value (b, mid);
    json_builder_set_member_name (b, "sdpMLineIndex");
    json_builder_add_int_value (b, 0);
    json_builder_end_object (b);
  }
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  text = json_to_string (root, FALSE);
  hz_test_client_send (c, text);
}

static void
pub_candidate (HzPeer *peer, const char *candidate, gpointer data)
{
  HzTestClient *c = data;
  send_candidate (c, "publisher", c->pub_mid0, candidate);
}

static void
sub_candidate (HzPeer *peer, const char *candidate, gpointer data)
{
  send_candidate (data, "subscriber", "0", candidate);
}

static void
peer_rtp (HzPeer *peer, guint8 *buf, gsize len, gpointer data)
{
  HzTestClient *c = data;
  if (c->rtp_func != NULL)
    c->rtp_func (c, buf, len, c->rtp_data);
}

static void
peer_rtcp (HzPeer *peer, guint8 *buf, gsize len, gpointer data)
{
  HzTestClient *c = data;
  if (c->rtcp_func != NULL)
    c->rtcp_func (c, buf, len, c->rtcp_data);
}

static HzPeer *
new_peer (HzTestClient *c, gboolean publisher)
{
  HzPeerCallbacks cb = {
    .local_candidate = publisher ? pub_candidate : sub_candidate,
    .rtp = peer_rtp,
    .rtcp = peer_rtcp,
  };
  HzPeerConfig pc = { .ip = "127.0.0.1", .cert = c->cert, .controlling = TRUE,
                      .tcp_only = c->tcp_only };
  g_autoptr(GError) error = NULL;
  HzPeer *peer = hz_peer_new (g_main_context_default (), &pc, &cb, c, &error);

  g_assert_no_error (error);
  return peer;
}

static void
handle_trickle (HzTestClient *c, JsonObject *msg)
{
  const char *target = json_object_get_string_member_with_default (msg, "target", "");
  JsonNode *cand = json_object_get_member (msg, "candidate");
  HzPeer *peer = strcmp (target, "publisher") == 0 ? c->pub : c->sub;
  const char *line = NULL;

  if (peer == NULL)
    return;
  if (cand != NULL && JSON_NODE_HOLDS_OBJECT (cand))
    line = json_object_get_string_member (json_node_get_object (cand), "candidate");
  hz_peer_add_remote_candidate (peer, line, NULL);
}

static HzSdpOutTrack *
make_track (const char *mid, HzSdpKind kind, guint pt, const char *codec, guint rate, guint ch,
            guint32 ssrc)
{
  HzSdpOutTrack *t = hz_sdp_out_track_new ();

  t->mid = g_strdup (mid);
  t->kind = kind;
  t->active = TRUE;
  t->codec = hz_sdp_codec_new (pt, codec, rate, ch, kind == HZ_SDP_KIND_AUDIO ? "minptime=10;useinbandfec=1" : NULL);
  if (kind == HZ_SDP_KIND_VIDEO) {
    g_ptr_array_add (t->codec->rtcp_fbs, g_strdup ("nack pli"));
    g_ptr_array_add (t->codec->rtcp_fbs, g_strdup ("ccm fir"));
  }
  t->ssrc = ssrc;
  t->stream_id = g_strdup ("test-stream");
  t->track_id = g_strdup_printf ("test-%s", mid);
  t->cname = g_strdup ("test-cname");
  return t;
}

gboolean
hz_test_client_publish (HzTestClient *c, guint32 audio_ssrc, guint32 video_ssrc)
{
  g_autoptr(GPtrArray) tracks = g_ptr_array_new_with_free_func ((GDestroyNotify) hz_sdp_out_track_free);
  g_autoptr(GError) error = NULL;
  g_autofree char *offer = NULL;
  g_autoptr(HzSdpSession) answer = NULL;
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;
  HzSdpLocal local = { 0 };

  c->pub = new_peer (c, TRUE);
  c->pub_mid0 = g_strdup ("0");
  local.ice_ufrag = hz_peer_get_local_ufrag (c->pub);
  local.ice_pwd = hz_peer_get_local_pwd (c->pub);
  local.fp_algorithm = "sha-256";
  local.fp_value = hz_dtls_cert_get_fingerprint (c->cert);
  local.session_id = 42;
  local.session_version = 1;
  g_ptr_array_add (tracks, make_track ("0", HZ_SDP_KIND_AUDIO, 111, "opus", 48000, 2, audio_ssrc));
  g_ptr_array_add (tracks, make_track ("1", HZ_SDP_KIND_VIDEO, 96, "VP8", 90000, 0, video_ssrc));
  offer = hz_sdp_build_subscriber_offer (&local, tracks, 1, &error);
  g_assert_no_error (error);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, "publish");
  json_builder_set_member_name (b, "id");
  json_builder_add_int_value (b, 2);
  json_builder_set_member_name (b, "sdp");
  json_builder_add_string_value (b, offer);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  text = json_to_string (root, FALSE);
  hz_test_client_send (c, text);

  for (gint64 end = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
       reply == NULL && g_get_monotonic_time () < end;) {
    if ((reply = take_message (c, "answer")) == NULL && (reply = take_message (c, "error")) == NULL)
      g_main_context_iteration (NULL, FALSE);
  }
  if (reply == NULL)
    return FALSE;
  if (g_strcmp0 (json_object_get_string_member (reply, "type"), "answer") != 0) {
    g_free (c->last_error);
    c->last_error = g_strdup (json_object_get_string_member_with_default (reply, "code", ""));
    return FALSE;
  }
  answer = hz_sdp_parse (json_object_get_string_member (reply, "sdp"), 128 * 1024, &error);
  g_assert_no_error (error);
  /* We offered actpass; the server answered passive, so we are the client. */
  g_assert_cmpint (answer->setup, ==, HZ_SDP_SETUP_PASSIVE);
  hz_peer_set_remote (c->pub, answer->ice_ufrag, answer->ice_pwd, answer->fp_algorithm,
                      answer->fp_value, HZ_DTLS_ROLE_CLIENT, &error);
  g_assert_no_error (error);
  hz_peer_gather (c->pub, &error);
  g_assert_no_error (error);
  return TRUE;
}

guint
hz_test_client_subscribe (HzTestClient *c, guint timeout_ms)
{
  g_autoptr(JsonObject) offer_msg = hz_test_client_wait (c, "offer", timeout_ms);
  g_autoptr(HzSdpSession) offer = NULL;
  g_autoptr(HzSdpSession) accepted = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *answer = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;
  gboolean first = c->sub == NULL;
  HzSdpLocal local = { 0 };

  if (offer_msg == NULL)
    return 0;
  offer = hz_sdp_parse (json_object_get_string_member (offer_msg, "sdp"), 128 * 1024, &error);
  g_assert_no_error (error);
  g_assert_cmpint (offer->setup, ==, HZ_SDP_SETUP_ACTPASS);
  if (first)
    c->sub = new_peer (c, FALSE);
  local.ice_ufrag = hz_peer_get_local_ufrag (c->sub);
  local.ice_pwd = hz_peer_get_local_pwd (c->sub);
  local.fp_algorithm = "sha-256";
  local.fp_value = hz_dtls_cert_get_fingerprint (c->cert);
  local.session_id = 43;
  local.session_version = 1;
  answer = hz_sdp_build_answer (offer, &local, &accepted, &error);
  g_assert_no_error (error);
  g_array_set_size (c->offered_ssrcs, 0);
  for (guint i = 0; i < offer->media->len; i++) {
    HzSdpMedia *m = g_ptr_array_index (offer->media, i);
    guint32 ssrc = m->ssrcs->len > 0 ? g_array_index (m->ssrcs, guint32, 0) : 0;
    g_array_append_val (c->offered_ssrcs, ssrc);
  }

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, "answer");
  json_builder_set_member_name (b, "sdp");
  json_builder_add_string_value (b, answer);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  text = json_to_string (root, FALSE);
  hz_test_client_send (c, text);

  if (first) {
    /* We answered passive to actpass: the server is the DTLS client. */
    hz_peer_set_remote (c->sub, offer->ice_ufrag, offer->ice_pwd, offer->fp_algorithm,
                        offer->fp_value,
                        accepted->setup == HZ_SDP_SETUP_ACTIVE ? HZ_DTLS_ROLE_SERVER
                                                               : HZ_DTLS_ROLE_CLIENT,
                        &error);
    g_assert_no_error (error);
    hz_peer_gather (c->sub, &error);
    g_assert_no_error (error);
  }
  return offer->media->len;
}

gboolean
hz_test_clients_connected (HzTestClient *pub, HzTestClient *sub, guint timeout_ms)
{
  for (gint64 end = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
       g_get_monotonic_time () < end;) {
    if (hz_test_client_wait_connected (pub, TRUE, FALSE, 10) &&
        hz_test_client_wait_connected (sub, FALSE, TRUE, 10))
      return TRUE;
  }
  return hz_test_client_wait_connected (pub, TRUE, FALSE, 1) &&
         hz_test_client_wait_connected (sub, FALSE, TRUE, 1);
}

gboolean
hz_test_client_wait_connected (HzTestClient *c, gboolean publisher, gboolean subscriber,
                               guint timeout_ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  for (;;) {
    gboolean ok = (!publisher || (c->pub != NULL && hz_peer_get_state (c->pub) == HZ_PEER_STATE_CONNECTED)) &&
                  (!subscriber || (c->sub != NULL && hz_peer_get_state (c->sub) == HZ_PEER_STATE_CONNECTED));
    if (ok)
      return TRUE;
    if (g_get_monotonic_time () >= end)
      return FALSE;
    take_message (c, "\x01none");
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (500);
  }
}

HzPeer *
hz_test_client_get_publisher (HzTestClient *c)
{
  return c->pub;
}

HzPeer *
hz_test_client_get_subscriber (HzTestClient *c)
{
  return c->sub;
}

GArray *
hz_test_client_get_offered_ssrcs (HzTestClient *c)
{
  return c->offered_ssrcs;
}

void
hz_test_client_set_rtp_handler (HzTestClient *c, HzTestRtpFunc func, gpointer data)
{
  c->rtp_func = func;
  c->rtp_data = data;
}

void
hz_test_client_set_rtcp_handler (HzTestClient *c, HzTestRtpFunc func, gpointer data)
{
  c->rtcp_func = func;
  c->rtcp_data = data;
}

const char *
hz_test_client_get_last_error (HzTestClient *c)
{
  return c->last_error;
}

/* ---- a real VP8 + Opus clip (tools/loadgen/make-clip.sh), RFC 4571 framed ---- */

typedef struct {
  GBytes *data;
  gsize pos;
  guint32 clock_rate;
  guint32 first_ts;
  gboolean started;
} ClipStream;

/* RFC 4571 framing: 2-byte big-endian length, then the packet. */
static gboolean
clip_next (ClipStream *s, const guint8 **pkt, gsize *len, gint64 *offset_us)
{
  gsize size;
  const guint8 *d = g_bytes_get_data (s->data, &size);
  guint32 ts;

  if (s->pos + 2 > size)
    return FALSE;
  *len = (d[s->pos] << 8) | d[s->pos + 1];
  if (s->pos + 2 + *len > size || *len < 12)
    return FALSE;
  *pkt = d + s->pos + 2;
  ts = ((guint32) (*pkt)[4] << 24) | ((guint32) (*pkt)[5] << 16) | ((guint32) (*pkt)[6] << 8) | (*pkt)[7];
  if (!s->started) {
    s->first_ts = ts;
    s->started = TRUE;
  }
  *offset_us = (gint64) (guint32) (ts - s->first_ts) * G_USEC_PER_SEC / s->clock_rate;
  return TRUE;
}

void
hz_test_client_send_clip (HzTestClient *c, const char *dir, guint32 audio_ssrc, guint32 video_ssrc,
                          guint max_ms)
{
  g_autofree char *vpath = g_build_filename (dir, "clip-video.rtp", NULL);
  g_autofree char *apath = g_build_filename (dir, "clip-audio.rtp", NULL);
  g_autoptr(GMappedFile) vf = g_mapped_file_new (vpath, FALSE, NULL);
  g_autoptr(GMappedFile) af = g_mapped_file_new (apath, FALSE, NULL);
  ClipStream s[2] = { { g_mapped_file_get_bytes (af), 0, 48000 }, { g_mapped_file_get_bytes (vf), 0, 90000 } };
  guint32 ssrc[2] = { audio_ssrc, video_ssrc };
  gint64 start = g_get_monotonic_time ();
  guint8 buf[1500 + 160];
  guint sent = 0;

  g_assert_nonnull (vf);
  g_assert_nonnull (af);
  for (;;) {
    gboolean any = FALSE;

    for (guint k = 0; k < 2; k++) {
      const guint8 *pkt;
      gsize len;
      gint64 off;

      while (clip_next (&s[k], &pkt, &len, &off)) {
        any = TRUE;
        if (start + off > g_get_monotonic_time ())
          break; /* not due yet */
        if (max_ms > 0 && off > (gint64) max_ms * 1000)
          break; /* past the requested length */
        memcpy (buf, pkt, len);
        buf[8] = ssrc[k] >> 24;
        buf[9] = ssrc[k] >> 16;
        buf[10] = ssrc[k] >> 8;
        buf[11] = ssrc[k];
        hz_peer_send_rtp (hz_test_client_get_publisher (c), buf, len, sizeof buf);
        s[k].pos += 2 + len;
        sent++;
      }
    }
    if (!any || (max_ms > 0 && g_get_monotonic_time () - start > (gint64) max_ms * 1000))
      break;
    hz_test_client_pump (c, 2);
  }
  g_test_message ("sent %u clip packets", sent);
  g_bytes_unref (s[0].data);
  g_bytes_unref (s[1].data);
}


/* ---------------------------------------------------------- test media */

gsize
hz_test_media_packet (guint8 *buf, guint kind, guint index, guint32 ssrc)
{
  gsize payload = kind == 0 ? 160 : 1000;
  guint32 ts = index * (kind == 0 ? 960 : 3000);

  buf[0] = 0x80;
  buf[1] = kind == 0 ? 111 : 96;
  buf[2] = (guint8) (index >> 8);
  buf[3] = (guint8) index;
  buf[4] = ts >> 24;
  buf[5] = ts >> 16;
  buf[6] = ts >> 8;
  buf[7] = ts;
  buf[8] = ssrc >> 24;
  buf[9] = ssrc >> 16;
  buf[10] = ssrc >> 8;
  buf[11] = ssrc;
  /* VP8 payload descriptor S=1 PID=0, frame tag P=0, start code 9d 01 2a */
  memcpy (buf + 12, "\x10\x00\x00\x00\x9d\x01\x2a", 7);
  buf[12 + 7] = (guint8) (index >> 8);
  buf[12 + 8] = (guint8) index;
  buf[12 + 9] = (guint8) kind;
  for (gsize i = 10; i < payload; i++)
    buf[12 + i] = (guint8) (index * 7 + i * 13 + kind);
  return 12 + payload;
}

HzTestMediaResult
hz_test_media_check (const guint8 *buf, gsize len, const guint32 out_ssrc[2], guint max_index,
                     guint *kind_out, guint *index_out)
{
  HzRtpView v;
  guint8 expect[1500];
  guint kind, index;

  if (!hz_rtp_parse (buf, len, &v) || v.payload_len < 10)
    return HZ_TEST_MEDIA_CORRUPT;
  index = (buf[v.payload_offset + 7] << 8) | buf[v.payload_offset + 8];
  kind = buf[v.payload_offset + 9];
  if (kind > 1 || index >= max_index)
    return HZ_TEST_MEDIA_CORRUPT;
  if (v.ssrc != out_ssrc[kind])
    return HZ_TEST_MEDIA_WRONG_SSRC;
  hz_test_media_packet (expect, kind, index, 0);
  if (v.payload_len != (kind == 0 ? 160u : 1000u) || v.pt != (kind == 0 ? 111 : 96) ||
      memcmp (buf + v.payload_offset, expect + 12, v.payload_len) != 0)
    return HZ_TEST_MEDIA_CORRUPT;
  *kind_out = kind;
  *index_out = index;
  return HZ_TEST_MEDIA_OK;
}

guint
hz_test_count_plis (const guint8 *buf, gsize len, guint32 media_ssrc)
{
  HzRtcpIter iter;
  HzRtcpHeader hdr;
  HzRtcpFb fb;
  guint n = 0;

  hz_rtcp_iter_init (&iter, buf, len);
  while (hz_rtcp_iter_next (&iter, &hdr))
    if (hdr.pt == HZ_RTCP_PT_PSFB && hz_rtcp_parse_fb (&hdr, &fb) && hz_rtcp_is_pli (&fb) &&
        fb.media_ssrc == media_ssrc)
      n++;
  return n;
}
