/* hz-live-room-rec: a live room's recording: which tracks are recorded
 * under which name, start and stop, the timeline, and telling the room
 * (consent matters in medicine: everyone sees when recording runs). */
#include "hz-live-room.h"

static const char *
track_name (HzMember *p, HzPubTrack *t)
{
  guint videos_before = 0;

  if (t->kind == HZ_SDP_KIND_AUDIO)
    return "microphone";
  for (guint i = 0; i < p->pub_tracks->len && g_ptr_array_index (p->pub_tracks, i) != t; i++)
    if (((HzPubTrack *) g_ptr_array_index (p->pub_tracks, i))->kind == HZ_SDP_KIND_VIDEO)
      videos_before++;
  return videos_before == 0 ? "camera" : "screen";
}

void
hz_live_room_record_track (HzLiveRoom *room, HzMember *p, HzPubTrack *t)
{
  g_autoptr(GError) error = NULL;
  const HzSdpCodec *rc = t->secondary != NULL ? t->secondary : t->codec; /* Opus, not RED */

  if (room->recording != NULL &&
      !hz_room_recording_add_track (room->recording, t->id, p->id, track_name (p, t),
                                    hz_codec_from_name (rc->name), rc->pt, rc->clock_rate, &error))
    g_warning ("room %s: track %s not recorded: %s", room->id, t->key, error->message);
}

static void
announce_recording (HzLiveRoom *room, const char *state, const char *message)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, "recording");
  json_builder_set_member_name (b, "state");
  json_builder_add_string_value (b, state);
  if (message != NULL) {
    json_builder_set_member_name (b, "message");
    json_builder_add_string_value (b, message);
  }
  json_builder_end_object (b);
  hz_live_room_broadcast (room, NULL, json_builder_get_root (b));
}

gboolean
hz_live_room_start_recording (HzLiveRoom *room, const char *actor, GError **error)
{
  const char *presenter = NULL;

  if (room->recording != NULL)
    return TRUE;
  for (guint i = 0; i < room->members->len && presenter == NULL; i++) {
    HzMember *p = g_ptr_array_index (room->members, i);
    if (p->claims->role == HZ_ROLE_PRESENTER || p->claims->role == HZ_ROLE_SPECIALIST)
      presenter = p->id;
  }
  room->recording = hz_room_recording_start (room->media, room->env->data_dir, room->id,
                                             room->info->title, presenter,
                                             room->env->recording_failed, room->env->data, error);
  if (room->recording == NULL)
    return FALSE;
  hz_room_recording_log (room->recording, "recording_started", "by", actor, NULL);
  for (guint i = 0; i < room->members->len; i++) {
    HzMember *p = g_ptr_array_index (room->members, i);

    if (!hz_role_is_listed (p->claims->role))
      continue; /* a cascade relay publishes nothing and is not a participant */
    hz_room_recording_log (room->recording, "present", "participant_id", p->id, "display_name",
                           p->claims->display_name, "institution", p->claims->institution,
                           "role", hz_role_to_string (p->claims->role), NULL);
    for (guint j = 0; j < p->pub_tracks->len; j++)
      hz_live_room_record_track (room, p, g_ptr_array_index (p->pub_tracks, j));
  }
  announce_recording (room, "started", NULL);
  return TRUE;
}

void
hz_live_room_stop_recording (HzLiveRoom *room, const char *actor)
{
  if (room->recording == NULL)
    return;
  hz_room_recording_log (room->recording, "stop_requested", "by", actor, NULL);
  hz_room_recording_stop (g_steal_pointer (&room->recording), room->env->recording_done,
                          room->env->data);
  announce_recording (room, "stopped", NULL);
}

void
hz_live_room_log (HzLiveRoom *room, const char *event, const char *first_key, ...)
{
  g_autoptr(JsonObject) fields = NULL;
  va_list ap;

  if (room->recording == NULL)
    return;
  /* Forward the pairs: the timeline takes at most a handful of fields. */
  {
    const char *k[8] = { NULL }, *v[8] = { NULL };
    guint n = 0;

    va_start (ap, first_key);
    for (const char *key = first_key; key != NULL && n < 8; key = va_arg (ap, const char *)) {
      k[n] = key;
      v[n++] = va_arg (ap, const char *);
    }
    va_end (ap);
    hz_room_recording_log (room->recording, event, k[0], v[0], k[1], v[1], k[2], v[2], k[3], v[3],
                           k[4], v[4], k[5], v[5], k[6], v[6], k[7], v[7], NULL);
  }
}
