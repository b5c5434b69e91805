/* hz-test-client: a C participant that behaves as a browser would, for the
 * integration tests (and the load generator to come): it speaks the /ws
 * signaling protocol through libsoup, publishes and subscribes with real
 * ICE (controlling), DTLS and SRTP peers from media/, and builds its SDP
 * with the same GStreamer SDP layer as the server.
 *
 * Everything runs on the thread-default main context; the wait functions
 * iterate it, so an in-process server on the same context keeps running.
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "hz-peer.h"
#include "hz-server.h"

G_BEGIN_DECLS

#define HZ_TEST_ADMIN_KEY "integration-admin-key"
#define HZ_TEST_TOKEN_SECRET "integration-token-secret"

typedef struct _HzTestClient HzTestClient;

typedef void (*HzTestRtpFunc) (HzTestClient *client, const guint8 *buf, gsize len, gpointer data);

/* ---- an in-process server on a temporary data directory ---- */
typedef struct {
  HzConfig *config;
  HzServer *server;
  char *data_dir;
  char *base_url;
} HzTestServer;

HzTestServer *hz_test_server_start (void);
/* The same with extra HUIZHEN_* variables: NULL-terminated name, value pairs. */
HzTestServer *hz_test_server_start_with (const char *const *extra_env);
void hz_test_server_stop (HzTestServer *ts);
/* An admin API call; returns the HTTP status and the parsed JSON body. */
guint hz_test_http (const char *base_url, const char *method, const char *path, const char *auth,
                    const char *json_body, JsonNode **out_body);
/* GET @path (no auth); the body as text, NULL unless 200. */
char *hz_test_http_get_text (const char *base_url, const char *path);
/* Creates a consult room open now, returns its id. */
char *hz_test_create_room (HzTestServer *ts, const char *kind);
/* Issues a join token for @role in @room_id. */
char *hz_test_issue_token (HzTestServer *ts, const char *room_id, const char *user, const char *role);

/* ---- a participant ---- */
HzTestClient *hz_test_client_new (const char *base_url);
void hz_test_client_free (HzTestClient *client);
/* Peers created after this use libnice's active ICE-TCP only, no UDP (a
 * client behind a firewall that blocks UDP). */
void hz_test_client_set_tcp_only (HzTestClient *client, gboolean tcp_only);

void hz_test_client_send (HzTestClient *client, const char *json_text);
/* Waits (iterating the main context, at most @timeout_ms) for the next
 * message of @type; earlier messages of other types stay queued. */
JsonObject *hz_test_client_wait (HzTestClient *client, const char *type, guint timeout_ms);
gboolean hz_test_client_is_closed (HzTestClient *client);

/* join → joined; returns the joined message (or an error message). */
JsonObject *hz_test_client_join (HzTestClient *client, const char *token);

/* Publishes one Opus and one VP8 track with the given SSRCs; waits for the
 * answer and sets up the publisher peer. Returns FALSE on an error reply. */
gboolean hz_test_client_publish (HzTestClient *client, guint32 audio_ssrc, guint32 video_ssrc);
/* Answers the next subscriber offer; returns the number of m-lines. */
guint hz_test_client_subscribe (HzTestClient *client, guint timeout_ms);
/* Handles trickle messages and runs the loop until both (or the existing)
 * peers are CONNECTED, at most @timeout_ms. */
gboolean hz_test_client_wait_connected (HzTestClient *client, gboolean publisher,
                                        gboolean subscriber, guint timeout_ms);
/* Handles trickle for both and runs the loop until @pub's publisher and
 * @sub's subscriber connections are both CONNECTED, at most @timeout_ms. */
gboolean hz_test_clients_connected (HzTestClient *pub, HzTestClient *sub, guint timeout_ms);
/* Drains pending messages (trickle) while iterating for @ms. */
void hz_test_client_pump (HzTestClient *client, guint ms);

/* The code of the last error reply a helper above consumed (publish). */
const char *hz_test_client_get_last_error (HzTestClient *client);

HzPeer *hz_test_client_get_publisher (HzTestClient *client);
HzPeer *hz_test_client_get_subscriber (HzTestClient *client);
/* SSRCs the server announced in the subscriber offer, in m-line order. */
GArray *hz_test_client_get_offered_ssrcs (HzTestClient *client);
void hz_test_client_set_rtp_handler (HzTestClient *client, HzTestRtpFunc func, gpointer data);
void hz_test_client_set_rtcp_handler (HzTestClient *client, HzTestRtpFunc func, gpointer data);

/* ---- test media packets ---- */
/* A packet whose payload encodes its index and kind, so any corruption,
 * truncation or cross-wiring shows: kind 0 Opus (PT 111, 160 octets of
 * payload), kind 1 VP8 (PT 96, 1000 octets, every packet a key-frame start,
 * as the server starts a subscriber's video on a key frame). Sequence number
 * = index. Returns the packet's length (buf: 1,200 octets at least). */
gsize hz_test_media_packet (guint8 *buf, guint kind, guint index, guint32 ssrc);
typedef enum {
  HZ_TEST_MEDIA_OK,
  HZ_TEST_MEDIA_CORRUPT,    /* not such a packet, or altered on the way */
  HZ_TEST_MEDIA_WRONG_SSRC, /* not the SSRC out_ssrc[kind] */
} HzTestMediaResult;
/* Checks a forwarded hz_test_media_packet(): index < max_index, SSRC
 * out_ssrc[kind], payload type and payload intact; kind and index out. */
HzTestMediaResult hz_test_media_check (const guint8 *buf, gsize len, const guint32 out_ssrc[2],
                                       guint max_index, guint *kind, guint *index);

/* The PLIs for @media_ssrc in a (compound) RTCP packet. */
guint hz_test_count_plis (const guint8 *buf, gsize len, guint32 media_ssrc);

/* Sends the clip in @dir (clip-audio.rtp, clip-video.rtp from
 * tools/loadgen/make-clip.sh) through the publisher at its real pace with
 * the given SSRCs, for at most @max_ms (0: all of it). */
void hz_test_client_send_clip (HzTestClient *client, const char *dir, guint32 audio_ssrc,
                               guint32 video_ssrc, guint max_ms);

/* Iterates the default main context for @ms milliseconds. */
void hz_test_iterate (guint ms);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HzTestClient, hz_test_client_free)

G_END_DECLS
