/* hz-layer-select: which simulcast layer (0 = lowest .. 2) one subscriber
 * should receive of one video track, or none (video paused).
 *
 * Owns: the current choice and the up-switch hysteresis timer. Pure
 * decisions: the caller passes the estimate, the audio budget, each
 * layer's measured bitrate and activity and the subscriber's preferred
 * maximum; switching up needs the budget to exceed the higher layer's rate
 * by 20 % for 1 s, switching down happens at once. The lowest layer is kept
 * while the budget covers half its rate (one overuse signal cuts the
 * estimate to 0.85 × what got through, just under the layer being sent);
 * below that the video pauses, and it resumes once the budget covers the
 * whole lowest layer for 1 s. Audio is outside the budget: it always goes.
 * The caller then requests a key frame on the chosen layer and switches at
 * that key frame (hz-seq-rewriter).
 * No allocation, no logging, the clock is the caller's. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define HZ_LAYER_MAX 3
#define HZ_LAYER_PAUSED (-1)
#define HZ_LAYER_UP_MARGIN 1.2
#define HZ_LAYER_UP_HOLD_US (1 * G_TIME_SPAN_SECOND)
#define HZ_LAYER_PAUSE_FRACTION 0.5 /* of the lowest layer's rate: below, pause */

typedef struct {
  guint64 estimate_bps;               /* hz_bwe_get_target() */
  guint64 audio_bps;                  /* kept for the subscriber's audio tracks */
  guint64 layer_bps[HZ_LAYER_MAX];    /* measured moving average, 0 = unknown */
  gboolean layer_active[HZ_LAYER_MAX];/* packets seen recently on the layer */
  gint max_layer;                     /* preference/viewport: 0..2 */
} HzLayerInput;

typedef struct _HzLayerSelect HzLayerSelect;

HzLayerSelect *hz_layer_select_new (void);
void hz_layer_select_free (HzLayerSelect *sel);
gint hz_layer_select_update (HzLayerSelect *sel, const HzLayerInput *in, gint64 now_us);
gint hz_layer_select_get_current (HzLayerSelect *sel);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HzLayerSelect, hz_layer_select_free)

G_END_DECLS
