/* Integration: the shared viewer: control, the coalesced state relay, and a
 * late joiner opening at the current state. */
#include <string.h>

#include "hz-test-client.h"

static JsonObject *
join_as (HzTestServer *ts, HzTestClient *c, const char *room, const char *user, const char *role)
{
  g_autofree char *tok = hz_test_issue_token (ts, room, user, role);
  JsonObject *joined = hz_test_client_join (c, tok);

  g_assert_cmpstr (json_object_get_string_member (joined, "type"), ==, "joined");
  return joined;
}

static void
send_slice (HzTestClient *c, guint slice)
{
  g_autofree char *msg = g_strdup_printf (
      "{\"type\":\"viewer_state\",\"doc_id\":\"doc-1\",\"state\":{\"kind\":\"dicom\",\"slice\":%u,"
      "\"window\":{\"center\":40,\"width\":400}}}", slice);
  hz_test_client_send (c, msg);
}

static void
test_viewer_sync (void)
{
  HzTestServer *ts = hz_test_server_start ();
  g_autofree char *room = hz_test_create_room (ts, "consult");
  g_autoptr(HzTestClient) doc = hz_test_client_new (ts->base_url);
  g_autoptr(HzTestClient) spec = hz_test_client_new (ts->base_url);
  g_autoptr(JsonObject) jd = join_as (ts, doc, room, "doc", "doctor");
  g_autoptr(JsonObject) js = join_as (ts, spec, room, "spec", "specialist");
  const char *doc_id = json_object_get_string_member (jd, "participant_id");
  const char *spec_id = json_object_get_string_member (js, "participant_id");
  g_autoptr(JsonObject) ctl = NULL, err = NULL, last = NULL;
  guint received = 0;

  /* Nobody controls the viewer yet: state updates are refused. */
  send_slice (doc, 1);
  err = hz_test_client_wait (doc, "error", 5000);
  g_assert_cmpstr (json_object_get_string_member (err, "code"), ==, "forbidden");

  hz_test_client_send (doc, "{\"type\":\"viewer_control\",\"action\":\"take\"}");
  ctl = hz_test_client_wait (spec, "viewer_controller", 5000);
  g_assert_cmpstr (json_object_get_string_member (ctl, "participant_id"), ==, doc_id);
  g_clear_pointer (&ctl, json_object_unref);
  ctl = hz_test_client_wait (doc, "viewer_controller", 5000); /* everyone is told, the taker too */
  g_assert_cmpstr (json_object_get_string_member (ctl, "participant_id"), ==, doc_id);

  /* A burst of 40 updates reaches the other side coalesced, ending on 40. */
  for (guint i = 1; i <= 40; i++)
    send_slice (doc, i);
  for (gint64 end = g_get_monotonic_time () + 3 * G_USEC_PER_SEC; g_get_monotonic_time () < end;) {
    JsonObject *st = hz_test_client_wait (spec, "viewer_state", 200);
    if (st == NULL)
      break;
    received++;
    g_clear_pointer (&last, json_object_unref);
    last = st;
  }
  g_assert_nonnull (last);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (last, "state"), "slice"), ==, 40);
  g_assert_cmpstr (json_object_get_string_member (last, "participant_id"), ==, doc_id);
  g_test_message ("40 updates relayed as %u messages", received);
  g_assert_cmpuint (received, <, 40);

  /* The specialist (a moderator) takes over; the doctor's updates stop counting. */
  hz_test_client_send (spec, "{\"type\":\"viewer_control\",\"action\":\"take\"}");
  g_clear_pointer (&ctl, json_object_unref);
  ctl = hz_test_client_wait (doc, "viewer_controller", 5000);
  g_assert_cmpstr (json_object_get_string_member (ctl, "participant_id"), ==, spec_id);
  send_slice (doc, 99);
  g_clear_pointer (&err, json_object_unref);
  err = hz_test_client_wait (doc, "error", 5000);
  g_assert_cmpstr (json_object_get_string_member (err, "code"), ==, "forbidden");
  send_slice (spec, 7);
  hz_test_client_pump (spec, 200);

  /* A late joiner opens at slice 7 with the specialist in control. */
  {
    g_autoptr(HzTestClient) late = hz_test_client_new (ts->base_url);
    g_autoptr(JsonObject) jl = join_as (ts, late, room, "late", "doctor");
    JsonObject *viewer = json_object_get_object_member (jl, "viewer");

    g_assert_cmpstr (json_object_get_string_member (viewer, "controller"), ==, spec_id);
    g_assert_cmpstr (json_object_get_string_member (viewer, "doc_id"), ==, "doc-1");
    g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (viewer, "state"), "slice"), ==, 7);
  }
  g_clear_pointer (&doc, hz_test_client_free);
  g_clear_pointer (&spec, hz_test_client_free);
  hz_test_server_stop (ts);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/integration/viewer/sync", test_viewer_sync);
  return g_test_run ();
}
