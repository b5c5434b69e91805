/* Synthetic RTP for the recording tests: live GStreamer test sources are
 * encoded and payloaded as a browser would, and every packet is handed to a
 * track recorder exactly as the forwarding core does (push_rtp with its
 * arrival time). Shared by test-recording.c and test-recording-compose.c. */
#pragma once

#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <gst/pbutils/pbutils.h>

#include "hz-track-recorder.h"

/* 3 s of each: 45 frames at 15 fps, 150 Opus frames of 20 ms. */
#define SRC_SECONDS 3
#define SRC_VP8(pattern, w, h, frames, name)                                                  \
  "videotestsrc is-live=true pattern=" pattern " num-buffers=" #frames                        \
  " ! video/x-raw,width=" #w ",height=" #h ",framerate=15/1"                                  \
  " ! vp8enc deadline=1 keyframe-max-dist=15 ! rtpvp8pay pt=96 mtu=1200"                     \
  " ! appsink name=" name " sync=false "
#define SRC_OPUS(freq, frames, name)                                                          \
  "audiotestsrc is-live=true wave=sine freq=" #freq " samplesperbuffer=960"                   \
  " num-buffers=" #frames " ! audio/x-raw,rate=48000,channels=2"                              \
  " ! opusenc frame-size=20 ! rtpopuspay pt=111 ! appsink name=" name " sync=false "
#define SRC_H264(frames, name)                                                                \
  "videotestsrc is-live=true num-buffers=" #frames                                           \
  " ! video/x-raw,width=320,height=240,framerate=15/1,format=I420"                            \
  " ! openh264enc gop-size=15 ! h264parse ! rtph264pay pt=102 mtu=1200 config-interval=-1"    \
  " ! appsink name=" name " sync=false "

typedef void (*TestPacketHook) (HzTrackRecorder *rec, gpointer data);

typedef struct {
  HzTrackRecorder *rec;
  TestPacketHook hook;   /* after each packet, on the streaming thread */
  gpointer hook_data;
} TestFeed;

static GstFlowReturn
test_feed_sample (GstAppSink *sink, gpointer data)
{
  TestFeed *feed = data;
  g_autoptr(GstSample) sample = gst_app_sink_pull_sample (sink);
  GstBuffer *buf = sample != NULL ? gst_sample_get_buffer (sample) : NULL;
  GstMapInfo map;

  if (buf == NULL || !gst_buffer_map (buf, &map, GST_MAP_READ))
    return GST_FLOW_OK;
  hz_track_recorder_push_rtp (feed->rec, map.data, map.size, g_get_monotonic_time ());
  gst_buffer_unmap (buf, &map);
  if (feed->hook != NULL)
    feed->hook (feed->rec, feed->hook_data);
  return GST_FLOW_OK;
}

/* Runs @desc (appsinks named "rtp0".."rtpN-1") in real time until every
 * source ends, feeding appsink i into @recs[i]. */
static void
test_feed_rtp (const char *desc, HzTrackRecorder **recs, guint n, TestPacketHook hook,
               gpointer hook_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GstElement) pipeline = gst_parse_launch (desc, &error);
  g_autoptr(GstBus) bus = NULL;
  g_autoptr(GstMessage) msg = NULL;
  g_autofree TestFeed *feeds = g_new0 (TestFeed, n);

  g_assert_no_error (error);
  for (guint i = 0; i < n; i++) {
    g_autofree char *name = g_strdup_printf ("rtp%u", i);
    g_autoptr(GstElement) sink = gst_bin_get_by_name (GST_BIN (pipeline), name);
    GstAppSinkCallbacks cb = {.new_sample = test_feed_sample};

    g_assert_nonnull (sink);
    feeds[i].rec = recs[i];
    feeds[i].hook = hook;
    feeds[i].hook_data = hook_data;
    gst_app_sink_set_callbacks (GST_APP_SINK (sink), &cb, &feeds[i], NULL);
  }
  bus = gst_element_get_bus (pipeline);
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), !=,
                   GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_timed_pop_filtered (bus, 30 * GST_SECOND, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  g_assert_nonnull (msg);
  g_assert_cmpint (GST_MESSAGE_TYPE (msg), ==, GST_MESSAGE_EOS);
  gst_element_set_state (pipeline, GST_STATE_NULL);
}

/* What a player sees in @path. */
static GstDiscovererInfo *
test_discover (const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GstDiscoverer) disc = gst_discoverer_new (15 * GST_SECOND, &error);
  g_autofree char *uri = gst_filename_to_uri (path, &error);
  GstDiscovererInfo *info;

  g_assert_no_error (error);
  info = gst_discoverer_discover_uri (disc, uri, &error);
  g_assert_no_error (error);
  g_assert_nonnull (info);
  g_assert_cmpint (gst_discoverer_info_get_result (info), ==, GST_DISCOVERER_OK);
  return info;
}

static gint64
test_duration_ms (GstDiscovererInfo *info)
{
  GstClockTime d = gst_discoverer_info_get_duration (info);
  return GST_CLOCK_TIME_IS_VALID (d) ? (gint64) (d / GST_MSECOND) : 0;
}

/* The caps name of the only stream of @type ("video"/"audio"), asserting one. */
static char *
test_stream_caps (GstDiscovererInfo *info, gboolean video)
{
  GList *streams = video ? gst_discoverer_info_get_video_streams (info)
                         : gst_discoverer_info_get_audio_streams (info);
  g_autoptr(GstCaps) caps = NULL;
  char *name;

  g_assert_cmpuint (g_list_length (streams), ==, 1);
  caps = gst_discoverer_stream_info_get_caps (streams->data);
  name = g_strdup (gst_structure_get_name (gst_caps_get_structure (caps, 0)));
  gst_discoverer_stream_info_list_free (streams);
  return name;
}
