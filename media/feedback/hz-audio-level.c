/* hz-audio-level: smoothed active-speaker detection. */
#include "hz-audio-level.h"

typedef struct {
  guint32 id;
  guint head, n;
  gint64 t[HZ_AUDIO_LEVEL_SAMPLES];
  guint8 weight[HZ_AUDIO_LEVEL_SAMPLES]; /* threshold - level, > 0 */
} Participant;

struct _HzActiveSpeaker {
  GArray *parts;         /* Participant */
  gboolean has_speaker;
  guint32 speaker;
  gint64 since_us;
};

HzActiveSpeaker *
hz_active_speaker_new (void)
{
  HzActiveSpeaker *as = g_new0 (HzActiveSpeaker, 1);

  as->parts = g_array_new (FALSE, TRUE, sizeof (Participant));
  return as;
}

void
hz_active_speaker_free (HzActiveSpeaker *as)
{
  if (as == NULL)
    return;
  g_array_unref (as->parts);
  g_free (as);
}

static Participant *
find (HzActiveSpeaker *as, guint32 id, guint *index)
{
  for (guint i = 0; i < as->parts->len; i++) {
    Participant *p = &g_array_index (as->parts, Participant, i);
    if (p->id == id) {
      if (index != NULL)
        *index = i;
      return p;
    }
  }
  return NULL;
}

/* Records one audio level (hz_rtp_ext_read_audio_level: 0..127 -dBov) of
 * @participant's audio track, arrived at @now_us. The V flag is not used:
 * browsers do not all set it. */
void
hz_active_speaker_add_level (HzActiveSpeaker *as, guint32 participant, guint8 level, gint64 now_us)
{
  Participant *p;
  guint tail;

  g_return_if_fail (as != NULL);
  p = find (as, participant, NULL);
  if (p == NULL) {
    Participant fresh = { .id = participant };
    g_array_append_val (as->parts, fresh);
    p = &g_array_index (as->parts, Participant, as->parts->len - 1);
  }
  level = MIN (level, 127);
  if (level >= HZ_AUDIO_LEVEL_THRESHOLD)
    return; /* background: counts as silence */
  if (p->n == HZ_AUDIO_LEVEL_SAMPLES) {
    p->head = (p->head + 1) % HZ_AUDIO_LEVEL_SAMPLES;
    p->n--;
  }
  tail = (p->head + p->n) % HZ_AUDIO_LEVEL_SAMPLES;
  p->t[tail] = now_us;
  p->weight[tail] = (guint8) (HZ_AUDIO_LEVEL_THRESHOLD - level);
  p->n++;
}

/* Forgets @participant (left the room, or stopped publishing audio). If it
 * was the speaker, the next update() picks another without dwell. */
void
hz_active_speaker_remove (HzActiveSpeaker *as, guint32 participant)
{
  guint i;

  g_return_if_fail (as != NULL);
  if (find (as, participant, &i) != NULL)
    g_array_remove_index_fast (as->parts, i);
  if (as->has_speaker && as->speaker == participant)
    as->has_speaker = FALSE;
}

static guint
score (Participant *p, gint64 now_us)
{
  guint sum = 0;

  while (p->n > 0 && p->t[p->head] <= now_us - HZ_AUDIO_LEVEL_WINDOW_US) {
    p->head = (p->head + 1) % HZ_AUDIO_LEVEL_SAMPLES;
    p->n--;
  }
  for (guint k = 0; k < p->n; k++)
    sum += p->weight[(p->head + k) % HZ_AUDIO_LEVEL_SAMPLES];
  return sum;
}

/* Re-evaluates at @now_us (call every 100-300 ms per room). Returns TRUE
 * and sets *speaker when the active speaker changed: send the
 * active_speaker event then. Nobody speaking keeps the last speaker. */
gboolean
hz_active_speaker_update (HzActiveSpeaker *as, gint64 now_us, guint32 *speaker)
{
  guint best = 0, current = 0;
  guint32 best_id = 0;

  g_return_val_if_fail (as != NULL && speaker != NULL, FALSE);
  for (guint i = 0; i < as->parts->len; i++) {
    Participant *p = &g_array_index (as->parts, Participant, i);
    guint s = score (p, now_us);

    if (s > best || (s == best && s > 0 && as->has_speaker && p->id == as->speaker)) {
      best = s;
      best_id = p->id;
    }
    if (as->has_speaker && p->id == as->speaker)
      current = s;
  }
  if (best == 0 || (as->has_speaker && best_id == as->speaker))
    return FALSE;
  if (as->has_speaker && (now_us - as->since_us < HZ_AUDIO_LEVEL_DWELL_US || best <= current))
    return FALSE;
  as->has_speaker = TRUE;
  as->speaker = best_id;
  as->since_us = now_us;
  *speaker = best_id;
  return TRUE;
}

gboolean
hz_active_speaker_get (HzActiveSpeaker *as, guint32 *speaker)
{
  g_return_val_if_fail (as != NULL && speaker != NULL, FALSE);
  if (as->has_speaker)
    *speaker = as->speaker;
  return as->has_speaker;
}
