/* hz-live-room: participants, published tracks and subscriber negotiation. */
#include "hz-live-room.h"

#include <openssl/rand.h>
#include <string.h>

#define HZ_SDP_MAX_LEN (128 * 1024)
#define MID_EXT_URI "urn:ietf:params:rtp-hdrext:sdes:mid"
#define AUDIO_LEVEL_EXT_URI "urn:ietf:params:rtp-hdrext:ssrc-audio-level"
#define RID_EXT_URI "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"
#define RRID_EXT_URI "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id"
#define TWCC_EXT_URI "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"

/* ICE credentials must be unpredictable (RFC 8445 §5.3): OpenSSL's RNG. */
static char *
random_ice_string (guint len)
{
  static const char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  guint8 raw[64];
  char *out = g_new (char, len + 1);

  g_assert (len <= sizeof raw);
  if (RAND_bytes (raw, (int) len) != 1)
    g_error ("OpenSSL RAND_bytes failed");
  for (guint i = 0; i < len; i++)
    out[i] = alphabet[raw[i] & 63];
  out[len] = '\0';
  return out;
}

static void
pub_track_free (HzPubTrack *t)
{
  g_free (t->key);
  g_free (t->mid);
  g_clear_pointer (&t->codec, hz_sdp_codec_free);
  g_clear_pointer (&t->secondary, hz_sdp_codec_free);
  g_free (t);
}

static void
participant_free (HzMember *p)
{
  g_free (p->id);
  g_clear_pointer (&p->claims, hz_token_claims_free);
  g_clear_pointer (&p->joined_at, g_date_time_unref);
  g_free (p->pub_ufrag);
  g_free (p->pub_pwd);
  g_free (p->pub_remote_ufrag);
  g_free (p->pub_first_mid);
  g_ptr_array_unref (p->pub_tracks);
  g_free (p->sub_ufrag);
  g_free (p->sub_pwd);
  g_free (p->sub_remote_ufrag);
  g_ptr_array_unref (p->sub_slots);
  g_array_unref (p->sub_track_ids);
  g_array_unref (p->sub_slot_flags);
  g_free (p);
}

static void
viewer_broadcast (const char *except_id, JsonNode *msg, gpointer data)
{
  HzLiveRoom *room = data;

  hz_live_room_broadcast (room, except_id != NULL ? hz_live_room_find (room, except_id) : NULL, msg);
}

HzLiveRoom *
hz_live_room_new (HzRoom *info, const HzLiveRoomEnv *env)
{
  HzLiveRoom *room = g_new0 (HzLiveRoom, 1);

  room->id = g_strdup (info->id);
  room->info = info;
  room->env = env;
  room->media = hz_media_room_new (env->workers, &env->media, env->media_events,
                                   env->media_events_data);
  room->members = g_ptr_array_new_with_free_func ((GDestroyNotify) participant_free);
  room->next_track_id = 1;
  room->out_ssrcs = g_hash_table_new (NULL, NULL);
  room->viewer = hz_viewer_sync_new (viewer_broadcast, room);
  return room;
}

void
hz_live_room_free (HzLiveRoom *room)
{
  if (room == NULL)
    return;
  for (guint i = 0; i < room->members->len; i++) {
    HzMember *p = g_ptr_array_index (room->members, i);
    if (p->pub_ep != 0)
      room->env->forget_endpoint (p->pub_ep, room->env->data);
    if (p->sub_ep != 0)
      room->env->forget_endpoint (p->sub_ep, room->env->data);
  }
  if (room->recording != NULL)
    hz_live_room_stop_recording (room, "room_closed");
  hz_media_room_free (room->media); /* tears down every peer on the worker */
  g_clear_pointer (&room->viewer, hz_viewer_sync_free);
  g_ptr_array_unref (room->members);
  g_hash_table_unref (room->out_ssrcs);
  hz_room_free (room->info);
  g_free (room->id);
  g_free (room);
}

/* ---- participants ---- */

HzMember *
hz_live_room_find (HzLiveRoom *room, const char *participant_id)
{
  for (guint i = 0; i < room->members->len; i++) {
    HzMember *p = g_ptr_array_index (room->members, i);
    if (g_strcmp0 (p->id, participant_id) == 0)
      return p;
  }
  return NULL;
}

static void subscribe_to_track (HzLiveRoom *room, HzMember *q, HzPubTrack *t);

HzMember *
hz_live_room_add_member (HzLiveRoom *room, HzWsConn *conn, HzTokenClaims *claims)
{
  HzMember *p = g_new0 (HzMember, 1);
  g_autofree char *uuid = g_uuid_string_random ();
  g_autoptr(JsonBuilder) b = json_builder_new ();

  p->id = g_strdup_printf ("p-%.8s", uuid);
  while (hz_live_room_find (room, p->id) != NULL) {
    g_free (p->id);
    g_free (uuid);
    uuid = g_uuid_string_random ();
    p->id = g_strdup_printf ("p-%.8s", uuid);
  }
  p->claims = claims;
  p->room = room;
  p->conn = conn;
  p->joined_at = g_date_time_new_now_utc ();
  p->pub_tracks = g_ptr_array_new_with_free_func ((GDestroyNotify) pub_track_free);
  p->sub_slots = g_ptr_array_new_with_free_func ((GDestroyNotify) hz_sdp_out_track_free);
  p->sub_track_ids = g_array_new (FALSE, FALSE, sizeof (guint32));
  p->sub_slot_flags = g_array_new (FALSE, TRUE, sizeof (guint8));
  p->video_enabled = TRUE;
  g_ptr_array_add (room->members, p);

  if (!hz_role_is_listed (claims->role))
    return p; /* a cascade relay: not announced, not in the timeline */
  hz_live_room_log (room, "join", "participant_id", p->id, "display_name", claims->display_name,
                    "institution", claims->institution, "role", hz_role_to_string (claims->role), NULL);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, "participant_joined");
  json_builder_set_member_name (b, "participant");
  json_builder_add_value (b, hz_member_to_json (p));
  json_builder_end_object (b);
  hz_live_room_broadcast (room, p, json_builder_get_root (b));
  return p;
}

/* Everything already published in the room, for a newcomer's first offer. */
static void
subscribe_to_existing (HzLiveRoom *room, HzMember *q)
{
  for (guint i = 0; i < room->members->len; i++) {
    HzMember *p = g_ptr_array_index (room->members, i);
    if (p == q)
      continue;
    for (guint j = 0; j < p->pub_tracks->len; j++)
      subscribe_to_track (room, q, g_ptr_array_index (p->pub_tracks, j));
  }
}

static void
unpublish_track (HzLiveRoom *room, HzMember *owner, HzPubTrack *t)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  for (guint i = 0; i < room->members->len; i++) {
    HzMember *q = g_ptr_array_index (room->members, i);

    for (guint s = 0; s < q->sub_track_ids->len; s++) {
      HzSdpOutTrack *slot = g_ptr_array_index (q->sub_slots, s);

      if (g_array_index (q->sub_track_ids, guint32, s) != t->id)
        continue;
      g_array_index (q->sub_track_ids, guint32, s) = 0;
      slot->active = FALSE;
      g_hash_table_remove (room->out_ssrcs, GUINT_TO_POINTER (slot->ssrc));
      if (slot->rtx_ssrc != 0)
        g_hash_table_remove (room->out_ssrcs, GUINT_TO_POINTER (slot->rtx_ssrc));
      hz_media_room_unsubscribe (room->media, q->sub_ep, t->id);
      hz_live_room_negotiate (room, q);
    }
  }
  if (room->recording != NULL)
    hz_room_recording_remove_track (room->recording, t->id);
  hz_media_room_remove_track (room->media, t->id);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, "track_unpublished");
  json_builder_set_member_name (b, "participant_id");
  json_builder_add_string_value (b, owner->id);
  json_builder_set_member_name (b, "track_id");
  json_builder_add_string_value (b, t->key);
  json_builder_end_object (b);
  hz_live_room_broadcast (room, owner, json_builder_get_root (b));
}

gboolean
hz_live_room_can_publish (HzLiveRoom *room, HzMember *p)
{
  return p->promoted || hz_role_can_publish (p->claims->role, room->info->kind);
}

void
hz_live_room_unpublish_all (HzLiveRoom *room, HzMember *p)
{
  while (p->pub_tracks->len > 0) {
    HzPubTrack *t = g_ptr_array_index (p->pub_tracks, p->pub_tracks->len - 1);
    unpublish_track (room, p, t);
    g_ptr_array_remove_index (p->pub_tracks, p->pub_tracks->len - 1);
  }
}

void
hz_live_room_remove_member (HzLiveRoom *room, HzMember *p)
{
  if (hz_role_is_listed (p->claims->role))
    hz_live_room_log (room, "leave", "participant_id", p->id, NULL);
  hz_live_room_unpublish_all (room, p);
  for (guint s = 0; s < p->sub_slots->len; s++) {
    HzSdpOutTrack *slot = g_ptr_array_index (p->sub_slots, s);
    if (slot->active) {
      g_hash_table_remove (room->out_ssrcs, GUINT_TO_POINTER (slot->ssrc));
      if (slot->rtx_ssrc != 0)
        g_hash_table_remove (room->out_ssrcs, GUINT_TO_POINTER (slot->rtx_ssrc));
    }
  }
  if (p->pub_ep != 0) {
    hz_media_room_remove_endpoint (room->media, p->pub_ep);
    room->env->forget_endpoint (p->pub_ep, room->env->data);
  }
  if (p->sub_ep != 0) {
    hz_media_room_remove_endpoint (room->media, p->sub_ep);
    room->env->forget_endpoint (p->sub_ep, room->env->data);
  }
  p->conn = NULL;
  {
    g_autofree char *id = g_strdup (p->id);
    g_ptr_array_remove (room->members, p); /* frees it */
    hz_viewer_sync_forget (room->viewer, id);
  }
}

/* ---- subscriber side ---- */

static void
ensure_sub_endpoint (HzLiveRoom *room, HzMember *q)
{
  if (q->sub_ep != 0)
    return;
  q->sub_ufrag = random_ice_string (8);
  q->sub_pwd = random_ice_string (24);
  q->sub_ep = room->env->new_endpoint_id (q, FALSE, room->env->data);
  hz_media_room_add_endpoint (room->media, q->sub_ep, q->sub_ufrag, q->sub_pwd);
}

static guint32
new_out_ssrc (HzLiveRoom *room)
{
  guint32 ssrc;

  do
    ssrc = g_random_int ();
  while (ssrc == 0 || g_hash_table_contains (room->out_ssrcs, GUINT_TO_POINTER (ssrc)));
  g_hash_table_add (room->out_ssrcs, GUINT_TO_POINTER (ssrc));
  return ssrc;
}

static HzTrackOutInfo
slot_out_info (const HzSdpOutTrack *slot)
{
  HzTrackOutInfo out = {
    .ssrc = slot->ssrc,
    .pt = (guint8) slot->codec->pt,
    .rtx_ssrc = slot->rtx_pt != 0 ? slot->rtx_ssrc : 0,
    .rtx_pt = (guint8) slot->rtx_pt,
    .secondary_pt = slot->secondary != NULL ? (guint8) slot->secondary->pt : 0,
  };
  return out;
}

/* Subscriber m-lines are reused (RFC 8829 §5.2.2 lets an offerer give an
 * m-section a new sender): a slot whose track went away is offered
 * inactive, and once the subscriber has answered that offer, the next
 * track of the same kind takes its m-line (same mid, new SSRCs and msid;
 * the browser fires 'track' again). Without this every reconnect of a
 * publisher (weak township links) added two m-lines to every other
 * member's connection for the rest of the consult: its SDP, its memory on
 * both sides and every renegotiation grew without bound. */
enum {
  SLOT_OFFERED_INACTIVE = 1 << 0, /* inactive in the offer in flight */
  SLOT_REUSABLE = 1 << 1,         /* inactive in an answered offer: may take a new track */
};

static guint
find_reusable_slot (HzMember *q, HzSdpKind kind)
{
  for (guint s = 0; s < q->sub_slots->len; s++) {
    const HzSdpOutTrack *slot = g_ptr_array_index (q->sub_slots, s);

    if (!slot->active && slot->kind == kind &&
        (g_array_index (q->sub_slot_flags, guint8, s) & SLOT_REUSABLE))
      return s;
  }
  return G_MAXUINT;
}

static void
subscribe_to_track (HzLiveRoom *room, HzMember *q, HzPubTrack *t)
{
  HzSdpOutTrack *slot = hz_sdp_out_track_new ();
  guint reuse = find_reusable_slot (q, t->kind);
  HzTrackOutInfo out;

  ensure_sub_endpoint (room, q);
  if (reuse != G_MAXUINT)
    slot->mid = g_strdup (((HzSdpOutTrack *) g_ptr_array_index (q->sub_slots, reuse))->mid);
  else
    slot->mid = g_strdup_printf ("%u", q->sub_slots->len);
  slot->kind = t->kind;
  slot->active = TRUE;
  slot->codec = hz_sdp_codec_copy (t->codec);
  if (t->secondary != NULL)
    slot->secondary = hz_sdp_codec_copy (t->secondary);
  /* What the subscriber may ask of us: loss recovery (NACK → RTX from the
   * cache), key frames, and transport-wide feedback for its downlink
   * estimate. Audio is not retransmitted (Opus FEC covers it). */
  g_ptr_array_set_size (slot->codec->rtcp_fbs, 0);
  g_ptr_array_add (slot->codec->rtcp_fbs, g_strdup ("transport-cc"));
  if (slot->secondary != NULL) {
    g_ptr_array_set_size (slot->secondary->rtcp_fbs, 0);
    g_ptr_array_add (slot->secondary->rtcp_fbs, g_strdup ("transport-cc"));
  }
  if (t->kind == HZ_SDP_KIND_VIDEO) {
    g_ptr_array_add (slot->codec->rtcp_fbs, g_strdup ("nack"));
    g_ptr_array_add (slot->codec->rtcp_fbs, g_strdup ("nack pli"));
    g_ptr_array_add (slot->codec->rtcp_fbs, g_strdup ("ccm fir"));
  }
  slot->extmaps = hz_sdp_extmaps_new ();
  hz_sdp_extmaps_add (slot->extmaps, HZ_ROUTER_SUB_TWCC_EXT_ID, TWCC_EXT_URI);
  slot->ssrc = new_out_ssrc (room);
  if (t->kind == HZ_SDP_KIND_VIDEO && t->rtx_pt != 0) {
    slot->rtx_pt = t->rtx_pt;
    slot->rtx_ssrc = new_out_ssrc (room);
  }
  slot->stream_id = g_strdup (t->owner->id);
  slot->track_id = g_strdup (t->key);
  slot->cname = g_strdup (t->owner->id);
  if (reuse != G_MAXUINT) {
    hz_sdp_out_track_free (g_ptr_array_index (q->sub_slots, reuse));
    g_ptr_array_index (q->sub_slots, reuse) = slot;
    g_array_index (q->sub_track_ids, guint32, reuse) = t->id;
    g_array_index (q->sub_slot_flags, guint8, reuse) = 0;
  } else {
    guint8 none = 0;

    g_ptr_array_add (q->sub_slots, slot);
    g_array_append_val (q->sub_track_ids, t->id);
    g_array_append_val (q->sub_slot_flags, none);
  }

  out = slot_out_info (slot);
  hz_media_room_subscribe (room->media, q->sub_ep, t->id, &out);
  if (!q->video_enabled)
    hz_media_room_set_video_enabled (room->media, q->sub_ep, FALSE);
}

static HzSdpLocal
local_for (HzLiveRoom *room, const char *ufrag, const char *pwd)
{
  HzSdpLocal local = {
    .ice_ufrag = ufrag,
    .ice_pwd = pwd,
    .fp_algorithm = "sha-256",
    .fp_value = hz_dtls_cert_get_fingerprint (room->env->media.cert),
    .session_id = 1,
    .session_version = 1,
  };
  return local;
}

void
hz_live_room_negotiate (HzLiveRoom *room, HzMember *q)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *sdp = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  HzSdpLocal local;

  if (q->sub_slots->len == 0 || q->conn == NULL)
    return;
  if (q->sub_offer_in_flight) {
    q->sub_dirty = TRUE;
    return;
  }
  local = local_for (room, q->sub_ufrag, q->sub_pwd);
  local.session_id = (guint64) g_str_hash (q->id);
  local.session_version = ++q->sub_version;
  sdp = hz_sdp_build_subscriber_offer (&local, q->sub_slots, q->sub_version, &error);
  if (sdp == NULL) {
    g_warning ("participant %s: cannot build subscriber offer: %s", q->id, error->message);
    return;
  }
  q->sub_offer_in_flight = TRUE;
  q->sub_offered = q->sub_slots->len;
  q->sub_dirty = FALSE;
  for (guint s = 0; s < q->sub_slots->len; s++) {
    guint8 *flags = &g_array_index (q->sub_slot_flags, guint8, s);
    const HzSdpOutTrack *slot = g_ptr_array_index (q->sub_slots, s);

    *flags = slot->active ? 0 : (*flags | SLOT_OFFERED_INACTIVE);
  }
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, "offer");
  json_builder_set_member_name (b, "sdp");
  json_builder_add_string_value (b, sdp);
  json_builder_end_object (b);
  hz_member_send (q, json_builder_get_root (b));
}

gboolean
hz_live_room_subscriber_answer (HzLiveRoom *room, HzMember *q, const char *answer_sdp,
                                GError **error)
{
  g_autoptr(HzSdpSession) answer = NULL;
  g_autoptr(GPtrArray) mids = g_ptr_array_new ();

  if (!q->sub_offer_in_flight) {
    g_set_error_literal (error, HZ_SDP_ERROR, HZ_SDP_ERROR_MISMATCH,
                         "no subscriber offer is waiting for an answer");
    return FALSE;
  }
  /* The answer is to the offer in flight, which may have fewer m-lines
   * than there are slots now. */
  for (guint i = 0; i < q->sub_offered; i++)
    g_ptr_array_add (mids, ((HzSdpOutTrack *) g_ptr_array_index (q->sub_slots, i))->mid);
  g_ptr_array_add (mids, NULL);
  answer = hz_sdp_parse_answer (answer_sdp, HZ_SDP_MAX_LEN, (const char *const *) mids->pdata, error);
  if (answer == NULL)
    return FALSE;
  if (q->sub_remote_set && g_strcmp0 (answer->ice_ufrag, q->sub_remote_ufrag) != 0) {
    hz_media_room_restart_ice (room->media, q->sub_ep, q->sub_ufrag, q->sub_pwd, answer->ice_ufrag,
                               answer->ice_pwd);
    g_free (q->sub_remote_ufrag);
    q->sub_remote_ufrag = g_strdup (answer->ice_ufrag);
  }
  if (!q->sub_remote_set) {
    HzDtlsRole role = answer->setup == HZ_SDP_SETUP_PASSIVE ? HZ_DTLS_ROLE_CLIENT
                                                            : HZ_DTLS_ROLE_SERVER;

    hz_media_room_set_remote (room->media, q->sub_ep, answer->ice_ufrag, answer->ice_pwd,
                              answer->fp_algorithm, answer->fp_value, role);
    q->sub_remote_set = TRUE;
    g_free (q->sub_remote_ufrag);
    q->sub_remote_ufrag = g_strdup (answer->ice_ufrag);
  }
  for (guint i = 0; i < answer->candidates->len; i++)
    hz_media_room_add_candidate (room->media, q->sub_ep, g_ptr_array_index (answer->candidates, i));
  for (guint s = 0; s < q->sub_offered; s++) {
    guint8 *flags = &g_array_index (q->sub_slot_flags, guint8, s);
    const HzSdpOutTrack *slot = g_ptr_array_index (q->sub_slots, s);

    if ((*flags & SLOT_OFFERED_INACTIVE) && !slot->active)
      *flags |= SLOT_REUSABLE;
  }
  q->sub_offer_in_flight = FALSE;
  if (q->sub_dirty)
    hz_live_room_negotiate (room, q);
  return TRUE;
}

/* ---- publisher side ---- */

static guint8
find_extmap (const HzSdpMedia *m, const char *uri)
{
  for (guint i = 0; i < m->extmaps->len; i++) {
    HzSdpExtmap *e = &g_array_index (m->extmaps, HzSdpExtmap, i);
    if (g_strcmp0 (e->uri, uri) == 0 && e->id > 0 && e->id < 256)
      return (guint8) e->id;
  }
  return 0;
}

static HzPubTrack *
find_pub_track_by_mid (HzMember *p, const char *mid)
{
  for (guint i = 0; i < p->pub_tracks->len; i++) {
    HzPubTrack *t = g_ptr_array_index (p->pub_tracks, i);
    if (g_strcmp0 (t->mid, mid) == 0)
      return t;
  }
  return NULL;
}

static HzCodec
codec_id_of (const HzSdpCodec *c)
{
  if (g_ascii_strcasecmp (c->name, "VP8") == 0)
    return HZ_CODEC_VP8;
  if (g_ascii_strcasecmp (c->name, "H264") == 0)
    return HZ_CODEC_H264;
  return HZ_CODEC_OPUS;
}

static HzPubTrack *
add_pub_track (HzLiveRoom *room, HzMember *p, const HzSdpMedia *m)
{
  HzPubTrack *t = g_new0 (HzPubTrack, 1);
  const HzSdpCodec *codec = g_ptr_array_index (m->codecs, 0);
  HzSdpCodec *rtx = hz_sdp_media_find_rtx (m, codec->pt);
  HzTrackInInfo info = { 0 };

  t->id = room->next_track_id++;
  t->key = g_strdup_printf ("t%u", t->id);
  t->owner = p;
  t->kind = m->kind;
  t->mid = g_strdup (m->mid);
  t->codec = hz_sdp_codec_copy (codec);
  /* RED (RFC 2198) answered first for audio: the publisher sends RED with
   * Opus inside; subscribers get the same, Opus as the secondary codec. */
  if (g_ascii_strcasecmp (codec->name, "red") == 0 && m->codecs->len > 1)
    t->secondary = hz_sdp_codec_copy (g_ptr_array_index (m->codecs, 1));
  t->rtx_pt = rtx != NULL ? rtx->pt : 0;
  t->ssrc = m->ssrcs->len > 0 ? g_array_index (m->ssrcs, guint32, 0) : 0;
  t->layers = MAX (m->rids->len, 1);
  t->muted = m->kind == HZ_SDP_KIND_AUDIO ? p->audio_muted : p->video_muted;
  g_ptr_array_add (p->pub_tracks, t);

  info.track_id = t->id;
  info.owner = p->pub_ep;
  info.kind = m->kind == HZ_SDP_KIND_AUDIO ? HZ_MEDIA_AUDIO : HZ_MEDIA_VIDEO;
  info.codec = codec_id_of (t->secondary != NULL ? t->secondary : codec);
  info.ssrc = t->ssrc;
  info.rtx_ssrc = m->rtx_ssrcs->len > 0 ? g_array_index (m->rtx_ssrcs, guint32, 0) : 0;
  info.pt = (guint8) codec->pt;
  info.rtx_pt = (guint8) t->rtx_pt;
  info.secondary_pt = t->secondary != NULL ? (guint8) t->secondary->pt : 0;
  info.clock_rate = codec->clock_rate;
  g_strlcpy (info.mid, m->mid, sizeof info.mid);
  info.mid_ext_id = find_extmap (m, MID_EXT_URI);
  info.rid_ext_id = find_extmap (m, RID_EXT_URI);
  info.rrid_ext_id = find_extmap (m, RRID_EXT_URI);
  info.twcc_ext_id = find_extmap (m, TWCC_EXT_URI);
  info.audio_level_ext_id = find_extmap (m, AUDIO_LEVEL_EXT_URI);
  /* Simulcast: the layers in the order the offer lists them, lowest
   * first (how browsers are told to send them: q, h, f). */
  for (guint i = 0; i < m->rids->len && i < HZ_ROUTER_MAX_LAYERS; i++)
    g_strlcpy (info.rids[info.n_rids++], g_ptr_array_index (m->rids, i), sizeof info.rids[0]);
  if (info.n_rids > 0) {
    info.ssrc = 0; /* learned per layer from the rid extension */
    info.rtx_ssrc = 0;
  }
  hz_media_room_add_track (room->media, p->pub_ep, &info);
  if (t->muted)
    hz_media_room_set_paused (room->media, t->id, TRUE);
  return t;
}

static void
announce_track (HzLiveRoom *room, HzMember *p, HzPubTrack *t)
{
  hz_live_room_record_track (room, p, t);
  hz_live_room_broadcast (room, p, hz_live_room_event_new ("track_published", p, "track", hz_pub_track_to_json (t)));
  for (guint i = 0; i < room->members->len; i++) {
    HzMember *q = g_ptr_array_index (room->members, i);
    if (q == p)
      continue;
    subscribe_to_track (room, q, t);
  }
}

static gboolean
media_sends (const HzSdpMedia *m)
{
  return !m->rejected && m->codecs->len > 0 &&
         (m->direction == HZ_SDP_DIRECTION_RECVONLY || m->direction == HZ_SDP_DIRECTION_SENDRECV) &&
         (m->kind == HZ_SDP_KIND_AUDIO || m->kind == HZ_SDP_KIND_VIDEO);
}

char *
hz_live_room_publish (HzLiveRoom *room, HzMember *p, const char *offer_sdp, GError **error)
{
  g_autoptr(HzSdpSession) offer = NULL;
  g_autoptr(HzSdpSession) accepted = NULL;
  g_autofree char *answer = NULL;
  g_autoptr(GPtrArray) added = g_ptr_array_new ();
  HzSdpLocal local;
  gboolean first = p->pub_ep == 0;
  gboolean restart;

  offer = hz_sdp_parse (offer_sdp, HZ_SDP_MAX_LEN, error);
  if (offer == NULL)
    return NULL;
  /* New ICE credentials in a re-offer: the browser restarts ICE (its
   * network changed); our side restarts too and keeps DTLS and tracks. */
  restart = !first && g_strcmp0 (offer->ice_ufrag, p->pub_remote_ufrag) != 0;
  if (restart) {
    g_free (p->pub_ufrag);
    g_free (p->pub_pwd);
    p->pub_ufrag = random_ice_string (8);
    p->pub_pwd = random_ice_string (24);
  }
  if (first) {
    p->pub_ufrag = random_ice_string (8);
    p->pub_pwd = random_ice_string (24);
  }
  local = local_for (room, p->pub_ufrag, p->pub_pwd);
  answer = hz_sdp_build_answer (offer, &local, &accepted, error);
  if (answer == NULL)
    return NULL;

  if (first) {
    p->pub_ep = room->env->new_endpoint_id (p, TRUE, room->env->data);
    p->pub_remote_ufrag = g_strdup (offer->ice_ufrag);
    if (accepted->media->len > 0)
      p->pub_first_mid = g_strdup (((HzSdpMedia *) g_ptr_array_index (accepted->media, 0))->mid);
    hz_media_room_add_endpoint (room->media, p->pub_ep, p->pub_ufrag, p->pub_pwd);
    /* The answer said passive to an actpass/active offer: we are the DTLS server. */
    hz_media_room_set_remote (room->media, p->pub_ep, offer->ice_ufrag, offer->ice_pwd,
                              offer->fp_algorithm, offer->fp_value,
                              accepted->setup == HZ_SDP_SETUP_PASSIVE ? HZ_DTLS_ROLE_CLIENT
                                                                      : HZ_DTLS_ROLE_SERVER);
  }
  if (restart) {
    hz_media_room_restart_ice (room->media, p->pub_ep, p->pub_ufrag, p->pub_pwd, offer->ice_ufrag,
                               offer->ice_pwd);
    g_free (p->pub_remote_ufrag);
    p->pub_remote_ufrag = g_strdup (offer->ice_ufrag);
  }
  for (guint i = 0; i < offer->candidates->len; i++)
    hz_media_room_add_candidate (room->media, p->pub_ep, g_ptr_array_index (offer->candidates, i));

  /* Tracks that stopped sending go; new sending m-lines become tracks. */
  for (guint i = p->pub_tracks->len; i > 0; i--) {
    HzPubTrack *t = g_ptr_array_index (p->pub_tracks, i - 1);
    HzSdpMedia *m = hz_sdp_session_find_media_by_mid (accepted, t->mid);

    if (m == NULL || !media_sends (m)) {
      unpublish_track (room, p, t);
      g_ptr_array_remove_index (p->pub_tracks, i - 1);
    }
  }
  for (guint i = 0; i < accepted->media->len; i++) {
    HzSdpMedia *m = g_ptr_array_index (accepted->media, i);

    if (media_sends (m) && find_pub_track_by_mid (p, m->mid) == NULL)
      g_ptr_array_add (added, add_pub_track (room, p, m));
  }
  for (guint i = 0; i < added->len; i++)
    announce_track (room, p, g_ptr_array_index (added, i));
  if (added->len > 0) {
    for (guint i = 0; i < room->members->len; i++) {
      HzMember *q = g_ptr_array_index (room->members, i);
      if (q != p)
        hz_live_room_negotiate (room, q); /* one offer for all new tracks */
    }
  }
  return g_steal_pointer (&answer);
}

void
hz_live_room_set_muted (HzLiveRoom *room, HzMember *p, HzSdpKind kind, gboolean muted)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  if (kind == HZ_SDP_KIND_AUDIO)
    p->audio_muted = muted;
  else
    p->video_muted = muted;
  for (guint i = 0; i < p->pub_tracks->len; i++) {
    HzPubTrack *t = g_ptr_array_index (p->pub_tracks, i);
    if (t->kind == kind) {
      t->muted = muted;
      /* A muted track is not forwarded at all: no bandwidth for silence or
       * black frames, and a moderator's mute holds. */
      hz_media_room_set_paused (room->media, t->id, muted);
    }
  }
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, "track_muted");
  json_builder_set_member_name (b, "participant_id");
  json_builder_add_string_value (b, p->id);
  json_builder_set_member_name (b, "kind");
  json_builder_add_string_value (b, hz_sdp_kind_to_string (kind));
  json_builder_set_member_name (b, "muted");
  json_builder_add_boolean_value (b, muted);
  json_builder_end_object (b);
  hz_live_room_broadcast (room, p, json_builder_get_root (b));
}

void
hz_live_room_subscribe_existing (HzLiveRoom *room, HzMember *q)
{
  subscribe_to_existing (room, q);
  hz_live_room_negotiate (room, q);
}

/* A peer connection failed (ICE consent lost, DTLS failure) or the browser
 * closed it while its WebSocket lives on. The publisher side withdraws its
 * tracks and starts afresh on the next publish; the subscriber side gets a
 * new connection with the same m-lines, offered at once (a server-side ICE
 * restart). Membership is kept either way. */
void
hz_live_room_connection_lost (HzLiveRoom *room, HzMember *p, gboolean publisher)
{
  if (publisher) {
    if (p->pub_ep == 0)
      return;
    hz_live_room_unpublish_all (room, p);
    hz_media_room_remove_endpoint (room->media, p->pub_ep);
    room->env->forget_endpoint (p->pub_ep, room->env->data);
    p->pub_ep = 0;
    g_clear_pointer (&p->pub_ufrag, g_free);
    g_clear_pointer (&p->pub_pwd, g_free);
    g_clear_pointer (&p->pub_remote_ufrag, g_free);
    g_clear_pointer (&p->pub_first_mid, g_free);
    return;
  }
  if (p->sub_ep == 0)
    return;
  hz_media_room_remove_endpoint (room->media, p->sub_ep);
  room->env->forget_endpoint (p->sub_ep, room->env->data);
  p->sub_ep = 0;
  g_clear_pointer (&p->sub_ufrag, g_free);
  g_clear_pointer (&p->sub_pwd, g_free);
  g_clear_pointer (&p->sub_remote_ufrag, g_free);
  p->sub_remote_set = FALSE;
  p->sub_offer_in_flight = FALSE;
  ensure_sub_endpoint (room, p);
  for (guint s = 0; s < p->sub_slots->len; s++) {
    HzSdpOutTrack *slot = g_ptr_array_index (p->sub_slots, s);
    guint32 track_id = g_array_index (p->sub_track_ids, guint32, s);
    HzTrackOutInfo out = slot_out_info (slot);

    if (slot->active && track_id != 0)
      hz_media_room_subscribe (room->media, p->sub_ep, track_id, &out);
  }
  hz_live_room_negotiate (room, p);
}

/* The client asks for an ICE restart of its subscriber connection (its
 * network changed): new local credentials in the next offer; the answer's
 * new remote credentials restart ICE on the same connection. */
gboolean
hz_live_room_restart_subscriber (HzLiveRoom *room, HzMember *q, GError **error)
{
  if (q->sub_ep == 0 || !q->sub_remote_set) {
    g_set_error_literal (error, HZ_SDP_ERROR, HZ_SDP_ERROR_MISMATCH,
                         "no subscriber connection to restart");
    return FALSE;
  }
  g_free (q->sub_ufrag);
  g_free (q->sub_pwd);
  q->sub_ufrag = random_ice_string (8);
  q->sub_pwd = random_ice_string (24);
  q->sub_dirty = TRUE;
  hz_live_room_negotiate (room, q);
  return TRUE;
}

HzPubTrack *
hz_live_room_find_track (HzLiveRoom *room, const char *key)
{
  for (guint i = 0; i < room->members->len; i++) {
    HzMember *p = g_ptr_array_index (room->members, i);

    for (guint j = 0; j < p->pub_tracks->len; j++) {
      HzPubTrack *t = g_ptr_array_index (p->pub_tracks, j);
      if (g_strcmp0 (t->key, key) == 0)
        return t;
    }
  }
  return NULL;
}
