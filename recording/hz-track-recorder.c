/* hz-track-recorder: one RTP track into one Matroska/WebM file. */
#include "hz-track-recorder.h"

#include <gst/app/gstappsrc.h>
#include <gst/gst.h>
#include <string.h>

G_DEFINE_QUARK (hz-recording-error-quark, hz_recording_error)

/* Packets queued between the worker thread and the pipeline: about two
 * seconds of 720p video; beyond that the pipeline is stuck and we drop. */
#define QUEUE_MAX_PACKETS 1024
#define POOL_BUFFER_SIZE 1600
#define POOL_MIN_BUFFERS 64
#define JITTER_LATENCY_MS 200
#define STOP_TIMEOUT_US (15 * G_TIME_SPAN_SECOND)

typedef enum {
  REC_RUNNING,
  REC_STOPPING,
  REC_STOPPED,
  REC_FAILED,
} RecState;

struct _HzTrackRecorder {
  char *path;
  HzRecCodec codec;
  GstElement *pipeline;
  GstAppSrc *appsrc;
  GstBufferPool *pool;
  GstClockTime base_time;
  gint state;                 /* RecState, atomic */
  gint have_first;            /* atomic: first_arrival_us is set */
  gsize packets_in;           /* atomic */
  gsize packets_dropped;      /* atomic */

  GMainContext *context;      /* where on_error runs */
  HzTrackRecorderErrorFunc on_error;
  gpointer on_error_data;

  GMutex lock;                /* protects what follows */
  GCond cond;
  gboolean eos;
  GError *error;              /* first failure */
  GSource *error_source;
  gint64 first_arrival_us;
  GstClockTime first_pts;
  GstClockTime max_pts;
};

const char *
hz_rec_codec_to_string (HzRecCodec codec)
{
  switch (codec) {
  case HZ_REC_CODEC_OPUS:
    return "opus";
  case HZ_REC_CODEC_VP8:
    return "vp8";
  case HZ_REC_CODEC_H264:
    return "h264";
  default:
    return "unknown";
  }
}

gboolean
hz_rec_codec_from_string (const char *str, HzRecCodec *codec)
{
  static const HzRecCodec all[] = {HZ_REC_CODEC_OPUS, HZ_REC_CODEC_VP8, HZ_REC_CODEC_H264};

  for (guint i = 0; str != NULL && i < G_N_ELEMENTS (all); i++) {
    if (g_ascii_strcasecmp (str, hz_rec_codec_to_string (all[i])) == 0) {
      *codec = all[i];
      return TRUE;
    }
  }
  return FALSE;
}

const char *
hz_rec_codec_kind (HzRecCodec codec)
{
  return codec == HZ_REC_CODEC_OPUS ? "audio" : "video";
}

const char *
hz_rec_codec_extension (HzRecCodec codec)
{
  /* WebM admits only VP8/VP9/AV1 and Vorbis/Opus. */
  return codec == HZ_REC_CODEC_H264 ? "mkv" : "webm";
}

static gboolean
error_dispatch (gpointer data)
{
  HzTrackRecorder *self = data;
  g_autoptr(GError) error = NULL;

  g_mutex_lock (&self->lock);
  if (self->error != NULL)
    error = g_error_copy (self->error);
  g_clear_pointer (&self->error_source, g_source_unref);
  g_mutex_unlock (&self->lock);
  if (error != NULL && self->on_error != NULL)
    self->on_error (self, error, self->on_error_data);
  return G_SOURCE_REMOVE;
}

static GError *
error_from_message (HzTrackRecorder *self, GstMessage *msg)
{
  g_autoptr(GError) gerr = NULL;
  g_autofree char *debug = NULL;
  gboolean write_failure;
  const char *reason;

  gst_message_parse_error (msg, &gerr, &debug);
  g_debug ("%s: %s (%s)", self->path, gerr->message, debug != NULL ? debug : "");
  write_failure = gerr->domain == GST_RESOURCE_ERROR &&
                  (gerr->code == GST_RESOURCE_ERROR_OPEN_WRITE ||
                   gerr->code == GST_RESOURCE_ERROR_OPEN_READ_WRITE ||
                   gerr->code == GST_RESOURCE_ERROR_WRITE ||
                   gerr->code == GST_RESOURCE_ERROR_NO_SPACE_LEFT ||
                   gerr->code == GST_RESOURCE_ERROR_SEEK);
  /* GStreamer keeps the errno text in the debug string: users need it. */
  reason = debug != NULL ? strstr (debug, "system error: ") : NULL;
  return g_error_new (HZ_RECORDING_ERROR,
                      write_failure ? HZ_RECORDING_ERROR_WRITE : HZ_RECORDING_ERROR_PIPELINE,
                      "recording %s failed: %s%s%s%s", self->path, gerr->message,
                      reason != NULL ? " (" : "", reason != NULL ? reason + 14 : "",
                      reason != NULL ? ")" : "");
}

/* Runs in whichever thread posts: keeps nothing on the bus. */
static GstBusSyncReply
bus_sync (GstBus *bus, GstMessage *msg, gpointer data)
{
  HzTrackRecorder *self = data;

  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    g_mutex_lock (&self->lock);
    if (self->error == NULL) {
      self->error = error_from_message (self, msg);
      g_info ("%s", self->error->message);
      g_atomic_int_set (&self->state, REC_FAILED);
      self->error_source = g_idle_source_new ();
      g_source_set_callback (self->error_source, error_dispatch, self, NULL);
      g_source_attach (self->error_source, self->context);
    }
    g_cond_broadcast (&self->cond);
    g_mutex_unlock (&self->lock);
  } else if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS) {
    g_mutex_lock (&self->lock);
    self->eos = TRUE;
    g_cond_broadcast (&self->cond);
    g_mutex_unlock (&self->lock);
  }
  return GST_BUS_DROP;
}

/* What reaches the muxer: the media time the file holds (for progress and
 * the crash test). */
static GstPadProbeReturn
mux_probe (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  HzTrackRecorder *self = data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstClockTime pts = GST_BUFFER_PTS (buf);

  if (!GST_CLOCK_TIME_IS_VALID (pts))
    return GST_PAD_PROBE_OK;
  g_mutex_lock (&self->lock);
  if (!GST_CLOCK_TIME_IS_VALID (self->first_pts))
    self->first_pts = pts;
  if (!GST_CLOCK_TIME_IS_VALID (self->max_pts) || pts > self->max_pts)
    self->max_pts = pts;
  g_mutex_unlock (&self->lock);
  return GST_PAD_PROBE_OK;
}

static GstElement *
make (const char *factory, GError **error)
{
  GstElement *e = gst_element_factory_make (factory, NULL);

  if (e == NULL)
    g_set_error (error, HZ_RECORDING_ERROR, HZ_RECORDING_ERROR_PIPELINE,
                 "GStreamer element %s is not installed", factory);
  return e;
}

static gboolean
build_pipeline (HzTrackRecorder *self, guint pt, guint clock_rate, GError **error)
{
  const char *encoding = NULL, *depay_name = NULL, *parse_name = NULL;
  const char *mux_name = self->codec == HZ_REC_CODEC_H264 ? "matroskamux" : "webmmux";
  GstElement *chain[7];
  guint n = 0;
  g_autoptr(GstCaps) caps = NULL;
  g_autoptr(GstPad) up_src = NULL;
  g_autoptr(GstPad) mux_sink = NULL;

  switch (self->codec) {
  case HZ_REC_CODEC_OPUS:
    encoding = "OPUS", depay_name = "rtpopusdepay", parse_name = "opusparse";
    break;
  case HZ_REC_CODEC_VP8:
    encoding = "VP8", depay_name = "rtpvp8depay";
    break;
  case HZ_REC_CODEC_H264:
    encoding = "H264", depay_name = "rtph264depay", parse_name = "h264parse";
    break;
  default:
    g_set_error (error, HZ_RECORDING_ERROR, HZ_RECORDING_ERROR_INVALID, "unknown codec");
    return FALSE;
  }

  self->pipeline = gst_pipeline_new ("hz-track-recorder");
  {
    const char *names[] = {"appsrc", "rtpjitterbuffer", depay_name, parse_name, mux_name,
                           "filesink"};
    for (guint i = 0; i < G_N_ELEMENTS (names); i++) {
      GstElement *e;
      if (names[i] == NULL)
        continue;
      e = make (names[i], error);
      if (e == NULL)
        return FALSE;
      gst_bin_add (GST_BIN (self->pipeline), e);
      chain[n++] = e;
    }
  }
  self->appsrc = GST_APP_SRC (chain[0]);
  caps = gst_caps_new_simple ("application/x-rtp", "media", G_TYPE_STRING,
                              hz_rec_codec_kind (self->codec), "clock-rate", G_TYPE_INT,
                              (gint) clock_rate, "encoding-name", G_TYPE_STRING, encoding,
                              "payload", G_TYPE_INT, (gint) pt, NULL);
  g_object_set (self->appsrc, "caps", caps, "is-live", TRUE, "format", GST_FORMAT_TIME,
                "block", FALSE, "max-buffers", (guint64) QUEUE_MAX_PACKETS,
                "max-bytes", (guint64) 0, "leaky-type", GST_APP_LEAKY_TYPE_UPSTREAM /* drop the new one */, NULL);
  g_object_set (chain[1], "latency", JITTER_LATENCY_MS, "do-lost", TRUE, NULL);
  if (self->codec == HZ_REC_CODEC_VP8)
    g_object_set (chain[2], "wait-for-keyframe", TRUE, NULL);
  g_object_set (chain[n - 2], "offset-to-zero", TRUE, "streamable", FALSE, NULL);
  /* Unbuffered: each block goes to the kernel at once, so a killed process
   * leaves everything muxed so far in the file. */
  g_object_set (chain[n - 1], "location", self->path, "buffer-mode", 2, "async", FALSE, NULL);
  for (guint i = 0; i + 1 < n; i++) {
    if (!gst_element_link (chain[i], chain[i + 1])) {
      g_set_error (error, HZ_RECORDING_ERROR, HZ_RECORDING_ERROR_PIPELINE,
                   "cannot link %s to %s", GST_ELEMENT_NAME (chain[i]),
                   GST_ELEMENT_NAME (chain[i + 1]));
      return FALSE;
    }
  }
  up_src = gst_element_get_static_pad (chain[n - 3], "src");
  mux_sink = gst_pad_get_peer (up_src);
  gst_pad_add_probe (mux_sink, GST_PAD_PROBE_TYPE_BUFFER, mux_probe, self, NULL);
  return TRUE;
}

static gboolean
make_pool (HzTrackRecorder *self, GError **error)
{
  GstStructure *config;

  self->pool = gst_buffer_pool_new ();
  config = gst_buffer_pool_get_config (self->pool);
  gst_buffer_pool_config_set_params (config, NULL, POOL_BUFFER_SIZE, POOL_MIN_BUFFERS, 0);
  if (!gst_buffer_pool_set_config (self->pool, config) ||
      !gst_buffer_pool_set_active (self->pool, TRUE)) {
    g_set_error_literal (error, HZ_RECORDING_ERROR, HZ_RECORDING_ERROR_PIPELINE,
                         "cannot set up the packet buffer pool");
    return FALSE;
  }
  return TRUE;
}

HzTrackRecorder *
hz_track_recorder_new (const char *path, HzRecCodec codec, guint pt, guint clock_rate,
                       GError **error)
{
  g_autoptr(HzTrackRecorder) self = NULL;
  g_autoptr(GstBus) bus = NULL;
  GstStateChangeReturn ret;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (pt < 128 && clock_rate > 0, NULL);

  if (!gst_init_check (NULL, NULL, error))
    return NULL;
  self = g_new0 (HzTrackRecorder, 1);
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->path = g_strdup (path);
  self->codec = codec;
  self->first_pts = GST_CLOCK_TIME_NONE;
  self->max_pts = GST_CLOCK_TIME_NONE;
  self->context = g_main_context_ref_thread_default ();
  g_atomic_int_set (&self->state, REC_RUNNING);
  if (!make_pool (self, error))
    return NULL;
  if (!build_pipeline (self, pt, clock_rate, error))
    return NULL;
  bus = gst_element_get_bus (self->pipeline);
  gst_bus_set_sync_handler (bus, bus_sync, self, NULL);

  ret = gst_element_set_state (self->pipeline, GST_STATE_PLAYING);
  if (ret == GST_STATE_CHANGE_ASYNC)
    ret = gst_element_get_state (self->pipeline, NULL, NULL, 5 * GST_SECOND);
  if (ret == GST_STATE_CHANGE_FAILURE || ret == GST_STATE_CHANGE_ASYNC) {
    g_mutex_lock (&self->lock);
    if (self->error != NULL) {
      g_propagate_error (error, g_steal_pointer (&self->error));
      g_source_destroy (self->error_source);
      g_clear_pointer (&self->error_source, g_source_unref);
    } else {
      g_set_error (error, HZ_RECORDING_ERROR, HZ_RECORDING_ERROR_PIPELINE,
                   "recording %s: the pipeline did not start", path);
    }
    g_mutex_unlock (&self->lock);
    return NULL;
  }
  self->base_time = gst_element_get_base_time (self->pipeline);
  return g_steal_pointer (&self);
}

void
hz_track_recorder_set_on_error (HzTrackRecorder *self, HzTrackRecorderErrorFunc func,
                                gpointer user_data)
{
  g_return_if_fail (self != NULL);
  self->on_error = func;
  self->on_error_data = user_data;
}

void
hz_track_recorder_push_rtp (HzTrackRecorder *self, const guint8 *data, gsize len,
                            gint64 arrival_us)
{
  GstBufferPoolAcquireParams params = {.flags = GST_BUFFER_POOL_ACQUIRE_FLAG_DONTWAIT};
  GstBuffer *buf = NULL;
  GstClockTime arrival_ns = (GstClockTime) MAX (arrival_us, 0) * GST_USECOND;
  GstClockTime running;

  if (G_UNLIKELY (self == NULL || data == NULL || len < 12))
    return;
  if (G_UNLIKELY (g_atomic_int_get (&self->state) != REC_RUNNING ||
                  gst_app_src_get_current_level_buffers (self->appsrc) >= QUEUE_MAX_PACKETS)) {
    g_atomic_pointer_add (&self->packets_dropped, 1);
    return;
  }
  if (len <= POOL_BUFFER_SIZE &&
      gst_buffer_pool_acquire_buffer (self->pool, &buf, &params) == GST_FLOW_OK) {
    gst_buffer_fill (buf, 0, data, len);
    gst_buffer_set_size (buf, len);
  } else {
    buf = gst_buffer_new_memdup (data, len);
  }
  /* The pipeline runs on the system clock (CLOCK_MONOTONIC, as
   * g_get_monotonic_time), so arrival maps straight to running time. */
  running = arrival_ns > self->base_time ? arrival_ns - self->base_time : 0;
  GST_BUFFER_DTS (buf) = running;
  GST_BUFFER_PTS (buf) = running;
  if (G_UNLIKELY (!g_atomic_int_get (&self->have_first))) {
    g_mutex_lock (&self->lock);
    if (self->first_arrival_us == 0)
      self->first_arrival_us = MAX (arrival_us, 1);
    g_atomic_int_set (&self->have_first, TRUE);
    g_mutex_unlock (&self->lock);
  }
  if (gst_app_src_push_buffer (self->appsrc, buf) == GST_FLOW_OK)
    g_atomic_pointer_add (&self->packets_in, 1);
  else
    g_atomic_pointer_add (&self->packets_dropped, 1);
}

gboolean
hz_track_recorder_stop (HzTrackRecorder *self, GError **error)
{
  gint64 deadline = g_get_monotonic_time () + STOP_TIMEOUT_US;
  gboolean ok = TRUE;

  g_return_val_if_fail (self != NULL, FALSE);

  if (g_atomic_int_compare_and_exchange (&self->state, REC_RUNNING, REC_STOPPING)) {
    gst_app_src_end_of_stream (self->appsrc);
    g_mutex_lock (&self->lock);
    while (!self->eos && self->error == NULL) {
      if (!g_cond_wait_until (&self->cond, &self->lock, deadline))
        break;
    }
    if (self->error == NULL && !self->eos) {
      g_set_error (error, HZ_RECORDING_ERROR, HZ_RECORDING_ERROR_TIMEOUT,
                   "recording %s was not finalized in time", self->path);
      ok = FALSE;
    }
    g_mutex_unlock (&self->lock);
  }
  gst_element_set_state (self->pipeline, GST_STATE_NULL);
  g_mutex_lock (&self->lock);
  if (self->error != NULL) {
    if (ok)
      g_propagate_error (error, g_error_copy (self->error));
    ok = FALSE;
  } else {
    g_atomic_int_set (&self->state, REC_STOPPED);
  }
  g_mutex_unlock (&self->lock);
  return ok;
}

gint64
hz_track_recorder_get_first_arrival_us (HzTrackRecorder *self)
{
  gint64 t;

  g_return_val_if_fail (self != NULL, 0);
  g_mutex_lock (&self->lock);
  t = self->first_arrival_us;
  g_mutex_unlock (&self->lock);
  return t;
}

gint64
hz_track_recorder_get_media_start_us (HzTrackRecorder *self)
{
  gint64 t = 0;

  g_return_val_if_fail (self != NULL, 0);
  g_mutex_lock (&self->lock);
  if (GST_CLOCK_TIME_IS_VALID (self->first_pts))
    t = (gint64) ((self->base_time + self->first_pts) / GST_USECOND);
  g_mutex_unlock (&self->lock);
  return t;
}

guint64
hz_track_recorder_get_muxed_time (HzTrackRecorder *self)
{
  guint64 t = 0;

  g_return_val_if_fail (self != NULL, 0);
  g_mutex_lock (&self->lock);
  if (GST_CLOCK_TIME_IS_VALID (self->max_pts))
    t = self->max_pts - self->first_pts;
  g_mutex_unlock (&self->lock);
  return t;
}

void
hz_track_recorder_get_stats (HzTrackRecorder *self, HzTrackRecorderStats *stats)
{
  g_return_if_fail (self != NULL && stats != NULL);
  stats->packets_in = (guint64) g_atomic_pointer_get (&self->packets_in);
  stats->packets_dropped = (guint64) g_atomic_pointer_get (&self->packets_dropped);
}

const char *
hz_track_recorder_get_path (HzTrackRecorder *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->path;
}

HzRecCodec
hz_track_recorder_get_codec (HzTrackRecorder *self)
{
  g_return_val_if_fail (self != NULL, HZ_REC_CODEC_OPUS);
  return self->codec;
}

void
hz_track_recorder_free (HzTrackRecorder *self)
{
  if (self == NULL)
    return;
  g_atomic_int_set (&self->state, REC_STOPPED);
  if (self->pipeline != NULL) {
    g_autoptr(GstBus) bus = gst_element_get_bus (self->pipeline);
    gst_element_set_state (self->pipeline, GST_STATE_NULL);
    gst_bus_set_sync_handler (bus, NULL, NULL, NULL);
    gst_object_unref (self->pipeline);
  }
  if (self->pool != NULL) {
    gst_buffer_pool_set_active (self->pool, FALSE);
    gst_object_unref (self->pool);
  }
  if (self->error_source != NULL) {
    g_source_destroy (self->error_source);
    g_source_unref (self->error_source);
  }
  g_clear_error (&self->error);
  g_main_context_unref (self->context);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  g_free (self->path);
  g_free (self);
}
