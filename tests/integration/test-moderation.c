/* Integration: raise hand, moderation (mute, promote, demote, remove, end)
 * and the permissions behind them, enforced by the server. */
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

static const char *
error_code (HzTestClient *c)
{
  static char code[64];
  g_autoptr(JsonObject) e = hz_test_client_wait (c, "error", 5000);

  g_assert_nonnull (e);
  g_strlcpy (code, json_object_get_string_member (e, "code"), sizeof code);
  return code;
}

static void
test_consult_moderation (void)
{
  HzTestServer *ts = hz_test_server_start ();
  g_autofree char *room = hz_test_create_room (ts, "consult");
  g_autoptr(HzTestClient) spec = hz_test_client_new (ts->base_url);
  g_autoptr(HzTestClient) doc = hz_test_client_new (ts->base_url);
  g_autoptr(HzTestClient) doc2 = hz_test_client_new (ts->base_url);
  g_autoptr(JsonObject) js = join_as (ts, spec, room, "spec", "specialist");
  g_autoptr(JsonObject) jd = join_as (ts, doc, room, "doc", "doctor");
  g_autoptr(JsonObject) jd2 = join_as (ts, doc2, room, "doc2", "doctor");
  const char *doc_id = json_object_get_string_member (jd, "participant_id");
  const char *doc2_id = json_object_get_string_member (jd2, "participant_id");
  g_autofree char *msg = NULL;

  g_assert_true (json_object_get_boolean_member (js, "can_moderate"));
  g_assert_false (json_object_get_boolean_member (jd, "can_moderate"));

  /* A doctor raises a hand: the specialist hears of it, the other doctor not. */
  hz_test_client_send (doc, "{\"type\":\"raise_hand\",\"raised\":true}");
  {
    g_autoptr(JsonObject) h = hz_test_client_wait (spec, "hand_raised", 5000);
    g_autoptr(JsonObject) none = NULL;
    g_assert_nonnull (h);
    g_assert_cmpstr (json_object_get_string_member (h, "participant_id"), ==, doc_id);
    g_assert_true (json_object_get_boolean_member (h, "raised"));
    none = hz_test_client_wait (doc2, "hand_raised", 200);
    g_assert_null (none);
  }

  /* A doctor may not moderate. */
  msg = g_strdup_printf ("{\"type\":\"moderate\",\"action\":\"mute\",\"participant_id\":\"%s\"}", doc2_id);
  hz_test_client_send (doc, msg);
  g_assert_cmpstr (error_code (doc), ==, "forbidden");
  hz_test_client_send (spec, "{\"type\":\"moderate\",\"action\":\"explode\",\"participant_id\":\"x\"}");
  g_assert_cmpstr (error_code (spec), ==, "bad_request");
  hz_test_client_send (spec, "{\"type\":\"moderate\",\"action\":\"mute\",\"participant_id\":\"p-nobody\"}");
  g_assert_cmpstr (error_code (spec), ==, "bad_request");

  /* The specialist mutes doctor 2: it is told, the others see it muted. */
  hz_test_client_send (spec, msg);
  {
    g_autoptr(JsonObject) m = hz_test_client_wait (doc2, "moderated", 5000);
    g_autoptr(JsonObject) tm = hz_test_client_wait (doc, "track_muted", 5000);
    g_assert_nonnull (m);
    g_assert_cmpstr (json_object_get_string_member (m, "action"), ==, "mute");
    g_assert_nonnull (tm);
    g_assert_cmpstr (json_object_get_string_member (tm, "participant_id"), ==, doc2_id);
    g_assert_true (json_object_get_boolean_member (tm, "muted"));
  }

  /* Remove doctor 2: its socket closes, the others are told. */
  g_free (msg);
  msg = g_strdup_printf ("{\"type\":\"moderate\",\"action\":\"remove\",\"participant_id\":\"%s\"}", doc2_id);
  hz_test_client_send (spec, msg);
  {
    g_autoptr(JsonObject) left = hz_test_client_wait (doc, "participant_left", 5000);
    g_assert_nonnull (left);
    g_assert_cmpstr (json_object_get_string_member (left, "participant_id"), ==, doc2_id);
  }
  for (gint64 end = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
       !hz_test_client_is_closed (doc2) && g_get_monotonic_time () < end;)
    hz_test_client_pump (doc2, 10);
  g_assert_true (hz_test_client_is_closed (doc2));

  /* End: everyone gets room_closed; the room no longer admits anyone. */
  hz_test_client_send (spec, "{\"type\":\"moderate\",\"action\":\"end\"}");
  {
    g_autoptr(JsonObject) closed = hz_test_client_wait (doc, "room_closed", 5000);
    g_assert_nonnull (closed);
    g_assert_cmpstr (json_object_get_string_member (closed, "reason"), ==, "ended_by_moderator");
  }
  {
    /* The ended room issues no more invitations. */
    g_autofree char *path = g_strdup_printf ("/api/v1/rooms/%s/tokens", room);
    guint status = hz_test_http (ts->base_url, "POST", path, HZ_TEST_ADMIN_KEY,
                                 "{\"user\":\"late\",\"display_name\":\"Late\",\"institution\":\"X\",\"role\":\"doctor\"}",
                                 NULL);
    g_assert_cmpuint (status, ==, 410);
  }
  g_clear_pointer (&spec, hz_test_client_free);
  g_clear_pointer (&doc, hz_test_client_free);
  g_clear_pointer (&doc2, hz_test_client_free);
  hz_test_server_stop (ts);
}

static void
test_teaching_promotion (void)
{
  HzTestServer *ts = hz_test_server_start ();
  g_autofree char *room = hz_test_create_room (ts, "teaching");
  g_autoptr(HzTestClient) pres = hz_test_client_new (ts->base_url);
  g_autoptr(HzTestClient) stu = hz_test_client_new (ts->base_url);
  g_autoptr(JsonObject) jp = join_as (ts, pres, room, "pres", "presenter");
  g_autoptr(JsonObject) jst = join_as (ts, stu, room, "stu", "student");
  const char *stu_id = json_object_get_string_member (jst, "participant_id");
  g_autofree char *promote = g_strdup_printf ("{\"type\":\"moderate\",\"action\":\"promote\",\"participant_id\":\"%s\"}", stu_id);
  g_autofree char *demote = g_strdup_printf ("{\"type\":\"moderate\",\"action\":\"demote\",\"participant_id\":\"%s\"}", stu_id);

  g_assert_false (json_object_get_boolean_member (jst, "can_publish"));
  /* A student may not publish until promoted. */
  g_assert_false (hz_test_client_publish (stu, 0x5001, 0x5002));
  g_assert_cmpstr (hz_test_client_get_last_error (stu), ==, "forbidden");

  hz_test_client_send (pres, promote);
  {
    g_autoptr(JsonObject) m = hz_test_client_wait (stu, "moderated", 5000);
    g_assert_cmpstr (json_object_get_string_member (m, "action"), ==, "promote");
  }
  g_clear_pointer (&stu, hz_test_client_free);
  /* (a fresh connection is a new participant: promote again on it) */
  stu = hz_test_client_new (ts->base_url);
  {
    g_autoptr(JsonObject) j2 = join_as (ts, stu, room, "stu", "student");
    const char *id2 = json_object_get_string_member (j2, "participant_id");
    g_autofree char *p2 = g_strdup_printf ("{\"type\":\"moderate\",\"action\":\"promote\",\"participant_id\":\"%s\"}", id2);
    g_autofree char *d2 = g_strdup_printf ("{\"type\":\"moderate\",\"action\":\"demote\",\"participant_id\":\"%s\"}", id2);
    g_autoptr(JsonObject) m = NULL;
    g_autoptr(JsonObject) pub = NULL;
    g_autoptr(JsonObject) unpub = NULL;

    hz_test_client_send (pres, p2);
    m = hz_test_client_wait (stu, "moderated", 5000);
    g_assert_nonnull (m);
    g_assert_true (hz_test_client_publish (stu, 0x5001, 0x5002));
    pub = hz_test_client_wait (pres, "track_published", 5000);
    g_assert_nonnull (pub);
    hz_test_client_send (pres, d2);
    unpub = hz_test_client_wait (pres, "track_unpublished", 5000);
    g_assert_nonnull (unpub);
    g_assert_cmpstr (json_object_get_string_member (unpub, "participant_id"), ==, id2);
  }
  (void) demote;
  g_clear_pointer (&pres, hz_test_client_free);
  g_clear_pointer (&stu, hz_test_client_free);
  hz_test_server_stop (ts);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/integration/moderation/consult", test_consult_moderation);
  g_test_add_func ("/integration/moderation/teaching-promotion", test_teaching_promotion);
  return g_test_run ();
}
