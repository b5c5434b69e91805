/* hz-layer-select: simulcast layer choice with hysteresis. */
#include "hz-layer-select.h"

struct _HzLayerSelect {
  gboolean decided;     /* FALSE until the first update: no hysteresis then */
  gint current;         /* 0..2 or HZ_LAYER_PAUSED */
  gint up_candidate;    /* layer we are waiting to switch up to, or -1 */
  gint64 up_since_us;
};

HzLayerSelect *
hz_layer_select_new (void)
{
  HzLayerSelect *sel = g_new0 (HzLayerSelect, 1);

  sel->current = HZ_LAYER_PAUSED;
  sel->up_candidate = -1;
  return sel;
}

void
hz_layer_select_free (HzLayerSelect *sel)
{
  g_free (sel);
}

/* The highest active layer ≤ max whose rate × @margin fits @budget; a layer
 * with unknown rate (0) fits. HZ_LAYER_PAUSED if none does. */
static gint
best_fit (const HzLayerInput *in, gint max, gdouble budget, gdouble margin)
{
  for (gint l = max; l >= 0; l--) {
    if (in->layer_active[l] && (gdouble) in->layer_bps[l] * margin <= budget)
      return l;
  }
  return HZ_LAYER_PAUSED;
}

/* Returns the layer to forward now (HZ_LAYER_PAUSED: no video). Call when
 * the estimate or the layer rates change, at least once a second; the
 * return value differs from the previous one exactly when a switch is due. */
gint
hz_layer_select_update (HzLayerSelect *sel, const HzLayerInput *in, gint64 now_us)
{
  gint max;
  gdouble budget;
  gint fit, up;

  g_return_val_if_fail (sel != NULL && in != NULL, HZ_LAYER_PAUSED);
  max = CLAMP (in->max_layer, 0, HZ_LAYER_MAX - 1);
  budget = in->estimate_bps > in->audio_bps ? (gdouble) (in->estimate_bps - in->audio_bps) : 0;
  fit = best_fit (in, max, budget, 1.0);
  /* Playing video keeps the lowest layer down to half its rate. */
  if (fit == HZ_LAYER_PAUSED && sel->decided && sel->current != HZ_LAYER_PAUSED &&
      in->layer_active[0] && (gdouble) in->layer_bps[0] * HZ_LAYER_PAUSE_FRACTION <= budget)
    fit = 0;

  /* down at once: first decision, the current layer is gone, above the
   * preference, or no longer fits */
  if (!sel->decided || fit < sel->current ||
      (sel->current != HZ_LAYER_PAUSED &&
       (sel->current > max || !in->layer_active[sel->current]))) {
    sel->decided = TRUE;
    sel->current = fit;
    sel->up_candidate = -1;
    return sel->current;
  }
  /* up only with a 20 % margin held for 1 s; resuming from a pause needs
   * the whole lowest layer covered for as long */
  up = best_fit (in, max, budget, HZ_LAYER_UP_MARGIN);
  if (sel->current == HZ_LAYER_PAUSED && up == HZ_LAYER_PAUSED)
    up = fit;
  if (up <= sel->current) {
    sel->up_candidate = -1;
    return sel->current;
  }
  if (sel->up_candidate < 0) {
    sel->up_candidate = up;
    sel->up_since_us = now_us;
  } else if (up < sel->up_candidate) {
    sel->up_candidate = up; /* aim lower, keep the time already held */
  }
  if (now_us - sel->up_since_us >= HZ_LAYER_UP_HOLD_US) {
    sel->current = MIN (up, sel->up_candidate);
    sel->up_candidate = -1;
  }
  return sel->current;
}

gint
hz_layer_select_get_current (HzLayerSelect *sel)
{
  g_return_val_if_fail (sel != NULL, HZ_LAYER_PAUSED);
  return sel->current;
}
