/* hz-audio-level: the active speaker of a room from RFC 6464 audio levels.
 *
 * Owns: per participant, the levels of the last HZ_AUDIO_LEVEL_WINDOW_US
 * (a fixed ring of samples), and the current speaker with the time it was
 * chosen. A participant's score is the sum over the window of how far each
 * level is above the threshold (levels are -dBov, 0 loudest, 127 silence;
 * quieter than HZ_AUDIO_LEVEL_THRESHOLD counts as nothing). The loudest
 * score becomes the speaker, but a speaker is kept at least
 * HZ_AUDIO_LEVEL_DWELL_US. Participants are added on their first level
 * (one allocation), never per packet; no logging, caller's clock. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define HZ_AUDIO_LEVEL_WINDOW_US (300 * G_TIME_SPAN_MILLISECOND)
#define HZ_AUDIO_LEVEL_DWELL_US (1000 * G_TIME_SPAN_MILLISECOND)
#define HZ_AUDIO_LEVEL_THRESHOLD 70   /* -70 dBov: quieter is background */
#define HZ_AUDIO_LEVEL_SAMPLES 64     /* per participant: 300 ms of 10 ms packets, with room */

typedef struct _HzActiveSpeaker HzActiveSpeaker;

HzActiveSpeaker *hz_active_speaker_new (void);
void hz_active_speaker_free (HzActiveSpeaker *as);

void hz_active_speaker_add_level (HzActiveSpeaker *as, guint32 participant, guint8 level, gint64 now_us);
void hz_active_speaker_remove (HzActiveSpeaker *as, guint32 participant);
gboolean hz_active_speaker_update (HzActiveSpeaker *as, gint64 now_us, guint32 *speaker);
gboolean hz_active_speaker_get (HzActiveSpeaker *as, guint32 *speaker);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HzActiveSpeaker, hz_active_speaker_free)

G_END_DECLS
