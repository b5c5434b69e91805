/* hz-recording-compose: camera + screen + mixed audio into one file. */
#include "hz-recording-compose.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <gst/gst.h>

#include "hz-recording.h"

#define PIP_WIDTH 320
#define PIP_HEIGHT 180
#define PIP_MARGIN 16
#define POLL_INTERVAL (200 * GST_MSECOND)

typedef struct {
  GstElement *pipeline;
  GstElement *vmixer;     /* compositor, NULL for audio only */
  GstElement *amixer;     /* audiomixer, NULL when nothing was heard */
  gint64 duration_ms;
} Job;

static GstElement *
add (GstElement *pipeline, const char *factory, GError **error)
{
  GstElement *e = gst_element_factory_make (factory, NULL);

  if (e == NULL) {
    g_set_error (error, HZ_RECORDING_ERROR, HZ_RECORDING_ERROR_PIPELINE,
                 "GStreamer element %s is not installed", factory);
    return NULL;
  }
  gst_bin_add (GST_BIN (pipeline), e);
  return e;
}

/* Adds factories in order and links them; returns first and last. */
static gboolean
add_chain (GstElement *pipeline, const char *const *factories, GstElement **first,
           GstElement **last, GError **error)
{
  GstElement *prev = NULL;

  for (guint i = 0; factories[i] != NULL; i++) {
    GstElement *e = add (pipeline, factories[i], error);
    if (e == NULL)
      return FALSE;
    if (prev != NULL && !gst_element_link (prev, e)) {
      g_set_error (error, HZ_RECORDING_ERROR, HZ_RECORDING_ERROR_PIPELINE,
                   "cannot link %s to %s", factories[i - 1], factories[i]);
      return FALSE;
    }
    if (prev == NULL)
      *first = e;
    prev = e;
  }
  *last = prev;
  return TRUE;
}

static void
decoded_pad_added (GstElement *decodebin, GstPad *pad, gpointer data)
{
  GstElement *convert = data;
  g_autoptr(GstPad) sink = gst_element_get_static_pad (convert, "sink");
  g_autoptr(GstCaps) caps = gst_pad_get_current_caps (pad);
  const char *want = g_object_get_data (G_OBJECT (convert), "hz-media");
  const char *name;

  if (caps == NULL || gst_pad_is_linked (sink))
    return;
  name = gst_structure_get_name (gst_caps_get_structure (caps, 0));
  if (g_str_has_prefix (name, want))
    gst_pad_link (pad, sink);
}

/* file → decodebin → convert/scale → caps → queue → mixer pad (offset, place). */
static gboolean
add_input (Job *job, const char *dir, const HzRecordingTrackInfo *t, gboolean video, gint x,
           gint y, gint w, gint h, guint zorder, GError **error)
{
  static const char *const vchain[] = {"videoconvert", "videoscale", "capsfilter", "queue",
                                       NULL};
  static const char *const achain[] = {"audioconvert", "audioresample", "queue", NULL};
  g_autofree char *path = g_build_filename (dir, t->file, NULL);
  g_autoptr(GstPad) qsrc = NULL;
  g_autoptr(GstPad) mixpad = NULL;
  GstElement *src, *dec, *first = NULL, *last = NULL;
  GstElement *mixer = video ? job->vmixer : job->amixer;

  src = add (job->pipeline, "filesrc", error);
  dec = src != NULL ? add (job->pipeline, "decodebin", error) : NULL;
  if (dec == NULL || !add_chain (job->pipeline, video ? vchain : achain, &first, &last, error))
    return FALSE;
  g_object_set (src, "location", path, NULL);
  gst_element_link (src, dec);
  g_object_set_data (G_OBJECT (first), "hz-media", video ? "video/" : "audio/");
  g_signal_connect (dec, "pad-added", G_CALLBACK (decoded_pad_added), first);
  if (video) {
    g_autoptr(GstPad) qsink = gst_element_get_static_pad (last, "sink");
    g_autoptr(GstPad) fsrc = gst_pad_get_peer (qsink);
    GstElement *filter = gst_pad_get_parent_element (fsrc);
    g_autoptr(GstCaps) caps = gst_caps_new_simple ("video/x-raw", "width", G_TYPE_INT, w,
                                                   "height", G_TYPE_INT, h,
                                                   "pixel-aspect-ratio", GST_TYPE_FRACTION, 1,
                                                   1, NULL);
    g_object_set (filter, "caps", caps, NULL);
    gst_object_unref (filter);
  }
  qsrc = gst_element_get_static_pad (last, "src");
  mixpad = gst_element_request_pad_simple (mixer, "sink_%u");
  if (video)
    g_object_set (mixpad, "xpos", x, "ypos", y, "width", w, "height", h, "zorder", zorder, NULL);
  gst_pad_set_offset (qsrc, MAX (t->offset_ms, 0) * GST_MSECOND);
  if (gst_pad_link (qsrc, mixpad) != GST_PAD_LINK_OK) {
    g_set_error (error, HZ_RECORDING_ERROR, HZ_RECORDING_ERROR_PIPELINE,
                 "cannot link %s into the mixer", t->file);
    return FALSE;
  }
  job->duration_ms = MAX (job->duration_ms, MAX (t->offset_ms, 0) + t->duration_ms);
  return TRUE;
}

/* The presenter's camera: a video track of the presenter not named
 * "screen", else any video track not named "screen". */
static const HzRecordingTrackInfo *
pick_camera (const HzRecordingInfo *info)
{
  const HzRecordingTrackInfo *any = NULL;

  for (guint i = 0; i < info->tracks->len; i++) {
    const HzRecordingTrackInfo *t = g_ptr_array_index (info->tracks, i);
    if (g_strcmp0 (t->kind, "video") != 0 || g_strcmp0 (t->name, "screen") == 0)
      continue;
    if (info->presenter_id != NULL && g_strcmp0 (t->participant_id, info->presenter_id) == 0)
      return t;
    if (any == NULL)
      any = t;
  }
  return any;
}

static const HzRecordingTrackInfo *
pick_screen (const HzRecordingInfo *info)
{
  for (guint i = 0; i < info->tracks->len; i++) {
    const HzRecordingTrackInfo *t = g_ptr_array_index (info->tracks, i);
    if (g_strcmp0 (t->kind, "video") == 0 && g_strcmp0 (t->name, "screen") == 0)
      return t;
  }
  return NULL;
}

/* mixer → caps → encoder(s) → mux pad. */
static gboolean
add_output (Job *job, gboolean mp4, const char *out_tmp, GError **error)
{
  const char *vchain_webm[] = {"capsfilter", "videoconvert", "vp8enc", NULL};
  const char *vchain_mp4[] = {"capsfilter", "videoconvert", "openh264enc", "h264parse", NULL};
  const char *achain_webm[] = {"capsfilter", "audioconvert", "opusenc", NULL};
  const char *achain_mp4[] = {"capsfilter", "audioconvert", "avenc_aac", "aacparse", NULL};
  GstElement *mux, *sink, *first = NULL, *last = NULL;

  mux = add (job->pipeline, mp4 ? "mp4mux" : "webmmux", error);
  sink = mux != NULL ? add (job->pipeline, "filesink", error) : NULL;
  if (sink == NULL)
    return FALSE;
  g_object_set (sink, "location", out_tmp, NULL);
  gst_element_link (mux, sink);
  if (job->vmixer != NULL) {
    g_autoptr(GstCaps) caps = gst_caps_new_simple (
      "video/x-raw", "width", G_TYPE_INT, HZ_COMPOSE_WIDTH, "height", G_TYPE_INT,
      HZ_COMPOSE_HEIGHT, "framerate", GST_TYPE_FRACTION, HZ_COMPOSE_FPS, 1, NULL);
    if (!add_chain (job->pipeline, mp4 ? vchain_mp4 : vchain_webm, &first, &last, error))
      return FALSE;
    g_object_set (first, "caps", caps, NULL);
    if (!gst_element_link (job->vmixer, first) || !gst_element_link (last, mux)) {
      g_set_error_literal (error, HZ_RECORDING_ERROR, HZ_RECORDING_ERROR_PIPELINE,
                           "cannot link the video encoder");
      return FALSE;
    }
  }
  if (job->amixer != NULL) {
    g_autoptr(GstCaps) caps = gst_caps_new_simple ("audio/x-raw", "rate", G_TYPE_INT, 48000,
                                                   "channels", G_TYPE_INT, 2, NULL);
    if (!add_chain (job->pipeline, mp4 ? achain_mp4 : achain_webm, &first, &last, error))
      return FALSE;
    g_object_set (first, "caps", caps, NULL);
    if (!gst_element_link (job->amixer, first) || !gst_element_link (last, mux)) {
      g_set_error_literal (error, HZ_RECORDING_ERROR, HZ_RECORDING_ERROR_PIPELINE,
                           "cannot link the audio encoder");
      return FALSE;
    }
  }
  return TRUE;
}

static void
tune_encoders (GstElement *pipeline)
{
  g_autoptr(GstIterator) it = gst_bin_iterate_elements (GST_BIN (pipeline));
  GValue v = G_VALUE_INIT;

  while (gst_iterator_next (it, &v) == GST_ITERATOR_OK) {
    GstElement *e = g_value_get_object (&v);
    g_autofree char *name = gst_object_get_name (GST_OBJECT (gst_element_get_factory (e)));

    /* Key frames every 2 s keep the browser's seeking quick. */
    if (g_strcmp0 (name, "vp8enc") == 0)
      g_object_set (e, "deadline", (gint64) 1, "cpu-used", 8, "threads", 2, "target-bitrate",
                    1500000, "keyframe-max-dist", 2 * HZ_COMPOSE_FPS, NULL);
    else if (g_strcmp0 (name, "openh264enc") == 0)
      g_object_set (e, "bitrate", 1500000, "gop-size", 2 * HZ_COMPOSE_FPS, NULL);
    g_value_reset (&v);
  }
  g_value_unset (&v);
}

static gboolean
build_job (Job *job, const HzRecordingInfo *info, gboolean mp4, const char *out_tmp,
           GError **error)
{
  const HzRecordingTrackInfo *camera = pick_camera (info);
  const HzRecordingTrackInfo *screen = pick_screen (info);
  gboolean any_audio = FALSE;

  for (guint i = 0; i < info->tracks->len; i++)
    any_audio |= g_strcmp0 (((HzRecordingTrackInfo *) g_ptr_array_index (info->tracks, i))->kind,
                            "audio") == 0;
  if (camera == NULL && screen == NULL && !any_audio) {
    g_set_error_literal (error, HZ_RECORDING_ERROR, HZ_RECORDING_ERROR_INVALID,
                         "the recording has no track to compose");
    return FALSE;
  }
  job->pipeline = gst_object_ref_sink (gst_pipeline_new ("hz-compose"));
  if (camera != NULL || screen != NULL) {
    job->vmixer = add (job->pipeline, "compositor", error);
    if (job->vmixer == NULL)
      return FALSE;
    g_object_set (job->vmixer, "background", 1 /* black */, NULL);
  }
  if (any_audio) {
    job->amixer = add (job->pipeline, "audiomixer", error);
    if (job->amixer == NULL)
      return FALSE;
  }
  if (screen != NULL &&
      !add_input (job, info->dir, screen, TRUE, 0, 0, HZ_COMPOSE_WIDTH, HZ_COMPOSE_HEIGHT, 0,
                  error))
    return FALSE;
  if (camera != NULL && screen != NULL &&
      !add_input (job, info->dir, camera, TRUE, HZ_COMPOSE_WIDTH - PIP_WIDTH - PIP_MARGIN,
                  HZ_COMPOSE_HEIGHT - PIP_HEIGHT - PIP_MARGIN, PIP_WIDTH, PIP_HEIGHT, 1, error))
    return FALSE;
  if (camera != NULL && screen == NULL &&
      !add_input (job, info->dir, camera, TRUE, 0, 0, HZ_COMPOSE_WIDTH, HZ_COMPOSE_HEIGHT, 0,
                  error))
    return FALSE;
  for (guint i = 0; i < info->tracks->len; i++) {
    const HzRecordingTrackInfo *t = g_ptr_array_index (info->tracks, i);
    if (g_strcmp0 (t->kind, "audio") == 0 &&
        !add_input (job, info->dir, t, FALSE, 0, 0, 0, 0, 0, error))
      return FALSE;
  }
  if (!add_output (job, mp4, out_tmp, error))
    return FALSE;
  tune_encoders (job->pipeline);
  return TRUE;
}

static gboolean
run_job (Job *job, GCancellable *cancellable, HzComposeProgressFunc progress,
         gpointer progress_data, GError **error)
{
  g_autoptr(GstBus) bus = gst_element_get_bus (job->pipeline);
  GstClockTime total = (GstClockTime) MAX (job->duration_ms, 1) * GST_MSECOND;

  if (gst_element_set_state (job->pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    g_autoptr(GstMessage) msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
    g_autoptr(GError) gerr = NULL;
    if (msg != NULL)
      gst_message_parse_error (msg, &gerr, NULL);
    g_set_error (error, HZ_RECORDING_ERROR, HZ_RECORDING_ERROR_PIPELINE,
                 "composition did not start: %s", gerr != NULL ? gerr->message : "unknown");
    return FALSE;
  }
  for (;;) {
    g_autoptr(GstMessage) msg =
      gst_bus_timed_pop_filtered (bus, POLL_INTERVAL, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
    gint64 pos = 0;

    if (g_cancellable_set_error_if_cancelled (cancellable, error))
      return FALSE;
    if (msg != NULL && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS)
      break;
    if (msg != NULL) {
      g_autoptr(GError) gerr = NULL;
      g_autofree char *debug = NULL;
      gst_message_parse_error (msg, &gerr, &debug);
      g_debug ("compose: %s (%s)", gerr->message, debug);
      g_set_error (error, HZ_RECORDING_ERROR,
                   gerr->domain == GST_RESOURCE_ERROR ? HZ_RECORDING_ERROR_WRITE
                                                      : HZ_RECORDING_ERROR_PIPELINE,
                   "composition failed: %s", gerr->message);
      return FALSE;
    }
    if (progress != NULL && gst_element_query_position (job->pipeline, GST_FORMAT_TIME, &pos))
      progress (CLAMP ((double) pos / (double) total, 0.0, 0.99), progress_data);
  }
  if (progress != NULL)
    progress (1.0, progress_data);
  return TRUE;
}

gboolean
hz_recording_compose (const char *dir, const char *out_path, GCancellable *cancellable,
                      HzComposeProgressFunc progress, gpointer progress_data, GError **error)
{
  g_autoptr(HzRecordingInfo) info = NULL;
  g_autofree char *tmp = NULL;
  Job job = {0};
  gboolean ok;

  g_return_val_if_fail (dir != NULL && out_path != NULL, FALSE);
  if (!gst_init_check (NULL, NULL, error))
    return FALSE;
  info = hz_recording_info_load (dir, error);
  if (info == NULL)
    return FALSE;
  tmp = g_strconcat (out_path, ".part", NULL);
  ok = build_job (&job, info, g_str_has_suffix (out_path, ".mp4"), tmp, error) &&
       run_job (&job, cancellable, progress, progress_data, error);
  if (job.pipeline != NULL) {
    gst_element_set_state (job.pipeline, GST_STATE_NULL);
    gst_object_unref (job.pipeline);
  }
  if (ok && g_rename (tmp, out_path) != 0) {
    g_set_error (error, HZ_RECORDING_ERROR, HZ_RECORDING_ERROR_WRITE, "cannot rename %s: %s",
                 tmp, g_strerror (errno));
    ok = FALSE;
  }
  if (!ok)
    g_unlink (tmp);
  return ok;
}

/* ---- in a thread ----------------------------------------------------------- */

typedef struct {
  char *dir;
  char *out_path;
  HzComposeProgressFunc progress;
  gpointer progress_data;
  GMainContext *context;
} AsyncData;

typedef struct {
  HzComposeProgressFunc progress;
  gpointer progress_data;
  double fraction;
} ProgressCall;

static void
async_data_free (AsyncData *d)
{
  g_free (d->dir);
  g_free (d->out_path);
  g_main_context_unref (d->context);
  g_free (d);
}

static gboolean
progress_dispatch (gpointer data)
{
  ProgressCall *call = data;

  call->progress (call->fraction, call->progress_data);
  return G_SOURCE_REMOVE;
}

static void
progress_forward (double fraction, gpointer data)
{
  AsyncData *d = data;
  ProgressCall *call = g_new0 (ProgressCall, 1);

  call->progress = d->progress;
  call->progress_data = d->progress_data;
  call->fraction = fraction;
  g_main_context_invoke_full (d->context, G_PRIORITY_DEFAULT, progress_dispatch, call, g_free);
}

static void
compose_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  AsyncData *d = task_data;
  g_autoptr(GError) error = NULL;

  if (!hz_recording_compose (d->dir, d->out_path, cancellable,
                             d->progress != NULL ? progress_forward : NULL, d, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

void
hz_recording_compose_async (const char *dir, const char *out_path, GCancellable *cancellable,
                            HzComposeProgressFunc progress, gpointer progress_data,
                            GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  AsyncData *d = g_new0 (AsyncData, 1);

  d->dir = g_strdup (dir);
  d->out_path = g_strdup (out_path);
  d->progress = progress;
  d->progress_data = progress_data;
  d->context = g_main_context_ref_thread_default ();
  g_task_set_source_tag (task, hz_recording_compose_async);
  g_task_set_task_data (task, d, (GDestroyNotify) async_data_free);
  g_task_run_in_thread (task, compose_thread);
}

gboolean
hz_recording_compose_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
