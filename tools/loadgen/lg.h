/* lg: the load generator's shared types. Owns nothing by itself; it is the
 * contract between the clip reader (lg-clip.c), the media side of one
 * simulated browser (lg-media.c: publisher replay, subscriber accounting,
 * RTCP feedback), the two signaling adapters (lg-huizhen.c, lg-janus.c) and
 * the scenarios (lg-main.c).
 *
 * Everything runs on one GMainContext (the default one) in one thread:
 * hundreds of clients, each a WebSocket plus one or two HzPeer.
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "hz-dtls.h"
#include "hz-peer.h"

G_BEGIN_DECLS

#define LG_ERROR (lg_error_quark ())
GQuark lg_error_quark (void);

typedef enum {
  LG_ERROR_FAILED,
  LG_ERROR_TIMEOUT,
  LG_ERROR_PROTOCOL,
} LgError;

/* ---- the clip: RTP packets paced by their timestamps ---- */
typedef struct {
  guint8 *data;
  guint16 len;
  guint64 t_us;      /* from the first packet of its stream */
} LgClipPacket;

typedef struct {
  LgClipPacket *pkts;
  guint n;
  guint32 clock_rate;
  guint32 first_ts;
  guint16 first_seq;
} LgClipStream;

typedef struct {
  LgClipStream audio, video;
  guint64 period_us; /* both streams loop with this period */
} LgClip;

LgClip *lg_clip_load (const char *dir, GError **error);
void lg_clip_free (LgClip *clip);

/* ---- one simulated browser ---- */
#define LG_MAX_STREAMS 16

typedef struct {
  guint32 ssrc;
  gboolean video;
  gint64 base_ext, max_ext;  /* extended sequence numbers */
  guint64 received, bytes, gaps, reordered, nacks_sent, plis_sent;
  guint64 snap_expected, snap_received, snap_bytes;
} LgStream;

typedef struct _LgRun LgRun;
typedef struct _LgRoom LgRoom;
typedef struct _LgClient LgClient;

typedef struct {
  const char *name;
  /* Creates the room for @publishers publishers; fills room->id / janus_room. */
  gboolean (*create_room) (LgRun *run, LgRoom *room, guint publishers, guint capacity,
                           GError **error);
  /* Prepares what a client needs before it starts (a Huizhen join token). */
  gboolean (*prepare) (LgClient *c, GError **error);
  /* Connects and joins; publishes when c->publish; subscribes when c->subscribe. */
  void (*start) (LgClient *c);
  /* Janus: subscribes to the room's other feeds now (Huizhen does it itself). */
  void (*subscribe) (LgClient *c);
  void (*message) (LgClient *c, JsonObject *msg);
  void (*local_candidate) (LgClient *c, gboolean publisher, const char *candidate);
  void (*keepalive) (LgClient *c);
} LgAdapter;

extern const LgAdapter lg_adapter_huizhen;
extern const LgAdapter lg_adapter_janus;

struct _LgRoom {
  char *id;            /* Huizhen room id */
  guint publishers;    /* 1: a teaching room (presenter + students) */
  guint64 janus_room;
  GArray *feeds;       /* guint64 Janus publisher ids that have published */
  guint index;
};

struct _LgRun {
  const LgAdapter *adapter;
  char *url;           /* http://host:port (Huizhen) or ws://host:port (Janus) */
  char *admin_key;
  char *ip;            /* our media address */
  LgClip *clip;
  HzDtlsCert *cert;
  SoupSession *session;
  GPtrArray *clients;  /* LgClient*, owned */
  GPtrArray *rooms;    /* LgRoom*, owned */
  gint64 deadline_us;  /* monotonic: nothing runs past it */
  guint64 janus_room_base;
  /* the ticker's lateness: how far the loop falls behind its 5 ms period */
  gint64 tick_last_us, tick_max_late_us, tick_late_sum_us;
  guint64 tick_count;
};

struct _LgClient {
  LgRun *run;
  LgRoom *room;
  guint index;
  gboolean publish, subscribe;

  SoupWebsocketConnection *ws;
  gboolean ws_connecting;
  char *token;                       /* Huizhen */
  gint64 session_id, pub_handle, sub_handle; /* Janus */
  guint64 feed_id;                   /* Janus publisher id */
  guint janus_tx;

  HzPeer *pub, *sub;
  guint32 video_pts[4];              /* bit set of the video payload types offered to us */
  LgStream streams[LG_MAX_STREAMS];
  guint n_streams;

  /* publisher replay */
  gboolean sending;
  gint64 send_start_us;
  guint next[2];                     /* next clip packet per stream: 0 audio, 1 video */
  guint64 loop[2];
  guint32 out_ssrc[2];
  guint16 seq_base[2];
  guint32 ts_base[2];
  guint64 pkts_sent, bytes_sent, sr_sent;
  guint64 plis_in, nacks_in, rrs_in;

  gint64 t_start_us, t_sub_start_us, t_first_media_us;
  gboolean failed;
  char *error;
};

/* lg-media.c */
LgClient *lg_client_new (LgRun *run, LgRoom *room, guint index, gboolean publish,
                         gboolean subscribe);
void lg_client_free (LgClient *c);
void lg_client_fail (LgClient *c, const char *fmt, ...) G_GNUC_PRINTF (2, 3);
HzPeer *lg_client_new_peer (LgClient *c, gboolean publisher, gboolean controlling);
/* Remembers which payload types of the offer @sdp are video (for PLI/NACK). */
void lg_client_note_video_pts (LgClient *c, GPtrArray *media);
/* Publisher replay and periodic RTCP, driven by lg_run_tick(). */
void lg_client_send_due (LgClient *c, gint64 now_us);
void lg_client_send_reports (LgClient *c);
gboolean lg_client_connected (LgClient *c);
gboolean lg_client_has_media (LgClient *c, guint streams);

/* lg-sdp.c: the offer/answer work of a browser, shared by both adapters */
/* Creates the publisher peer and returns its offer (Opus + VP8, sendonly). */
char *lg_client_publisher_offer (LgClient *c, GError **error);
/* Applies the server's answer to our publisher offer and starts ICE. */
gboolean lg_client_publisher_answer (LgClient *c, const char *sdp, GError **error);
/* Answers a subscriber offer (creating the peer the first time) and
 * returns the answer; ICE starts on the first offer. */
char *lg_client_subscriber_answer (LgClient *c, const char *sdp, gboolean controlling,
                                   GError **error);

/* lg-ws.c: WebSocket plumbing shared by both adapters */
void lg_ws_connect (LgClient *c, const char *url, const char *protocol,
                    void (*opened) (LgClient *c));
void lg_ws_send (LgClient *c, const char *text);
/* A JSON string literal (quoted, escaped) for building messages by printf. */
char *lg_json_quote (const char *s);
/* Iterates the default main context until @done(@data) or @timeout_ms. */
gboolean lg_wait (LgRun *run, gboolean (*done) (gpointer data), gpointer data, guint timeout_ms);
void lg_iterate (LgRun *run, guint ms);
/* A blocking HTTP call for room setup; returns the status (0 on transport error). */
guint lg_http (LgRun *run, const char *method, const char *path, const char *json_body,
               JsonNode **out_body);

G_END_DECLS
