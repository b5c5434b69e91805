/* Integration: bad input on the signaling socket and the media ports gets a
 * clear error, changes nothing else, and never disturbs the other member of
 * the room. */
#include <string.h>

#include "hz-sdp.h"
#include "hz-test-client.h"
#include "hz-token.h"

typedef struct {
  HzTestServer *ts;
  char *room;
  HzTestClient *a; /* a well-behaved member who must not notice anything */
  HzTestClient *x; /* the one sending bad input */
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autofree char *tok = NULL;
  g_autoptr(JsonObject) joined = NULL;

  f->ts = hz_test_server_start ();
  f->room = hz_test_create_room (f->ts, "consult");
  tok = hz_test_issue_token (f->ts, f->room, "good", "specialist");
  f->a = hz_test_client_new (f->ts->base_url);
  joined = hz_test_client_join (f->a, tok);
  g_assert_cmpstr (json_object_get_string_member (joined, "type"), ==, "joined");
  f->x = hz_test_client_new (f->ts->base_url);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  g_clear_pointer (&f->x, hz_test_client_free);
  g_clear_pointer (&f->a, hz_test_client_free);
  hz_test_server_stop (f->ts);
  g_free (f->room);
}

/* Sends @msg from x and expects {"type":"error","code":@code} with the id. */
static void
expect_error (Fixture *f, const char *msg, const char *code)
{
  g_autoptr(JsonObject) reply = NULL;

  hz_test_client_send (f->x, msg);
  reply = hz_test_client_wait (f->x, "error", 5000);
  g_assert_nonnull (reply);
  g_assert_cmpstr (json_object_get_string_member (reply, "code"), ==, code);
  g_assert_true (strlen (json_object_get_string_member (reply, "message")) > 0);
  if (strstr (msg, "\"id\":7") != NULL)
    g_assert_cmpint (json_object_get_int_member (reply, "id"), ==, 7);
}

/* The good member still works: its chat comes back to it. */
static void
assert_good_member_undisturbed (Fixture *f)
{
  g_autoptr(JsonObject) chat = NULL;
  g_autoptr(JsonObject) stray = NULL;

  hz_test_client_send (f->a, "{\"type\":\"chat\",\"text\":\"still here\"}");
  chat = hz_test_client_wait (f->a, "chat", 5000);
  g_assert_nonnull (chat);
  g_assert_cmpstr (json_object_get_string_member (chat, "text"), ==, "still here");
  stray = hz_test_client_wait (f->a, "error", 50);
  g_assert_null (stray);
  g_assert_false (hz_test_client_is_closed (f->a));
}

static char *
join_token (Fixture *f, const char *role)
{
  return hz_test_issue_token (f->ts, f->room, "x", role);
}

static void
join_x (Fixture *f, const char *role)
{
  g_autofree char *tok = join_token (f, role);
  g_autoptr(JsonObject) joined = hz_test_client_join (f->x, tok);

  g_assert_cmpstr (json_object_get_string_member (joined, "type"), ==, "joined");
}

static void
test_bad_messages (Fixture *f, gconstpointer data)
{
  expect_error (f, "{not json", "bad_json");
  expect_error (f, "[1,2,3]", "bad_json");
  expect_error (f, "{\"id\":7,\"type\":42}", "bad_request");
  expect_error (f, "{\"id\":7,\"type\":\"teleport\"}", "unknown_type");
  expect_error (f, "{\"id\":7,\"type\":\"publish\",\"sdp\":\"v=0\"}", "not_joined");
  expect_error (f, "{\"id\":7,\"type\":\"join\"}", "bad_request");
  expect_error (f, "{\"id\":7,\"type\":\"join\",\"token\":\"garbage.garbage\"}", "invalid_token");
  /* The connection survives all that: a valid join still works. */
  join_x (f, "doctor");
  expect_error (f, "{\"id\":7,\"type\":\"join\",\"token\":\"x\"}", "already_joined");
  expect_error (f, "{\"id\":7,\"type\":\"mute\",\"kind\":\"smell\",\"muted\":true}", "bad_request");
  expect_error (f, "{\"id\":7,\"type\":\"chat\",\"text\":\"\"}", "bad_request");
  expect_error (f, "{\"id\":7,\"type\":\"trickle\",\"target\":\"publisher\",\"candidate\":null}", "bad_request");
  expect_error (f, "{\"id\":7,\"type\":\"answer\",\"sdp\":\"v=0\"}", "bad_sdp");
  assert_good_member_undisturbed (f);
}

static void
test_tokens (Fixture *f, gconstpointer data)
{
  HzTokenClaims claims = {
    .room = f->room, .user = "late", .display_name = "Late", .institution = "Clinic",
    .role = HZ_ROLE_DOCTOR,
  };
  g_autoptr(GError) error = NULL;
  g_autofree char *expired = NULL, *other_room = NULL, *forged = NULL, *msg = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  claims.iat = now - 7200;
  claims.exp = now - 3600;
  expired = hz_token_issue (HZ_TEST_TOKEN_SECRET, &claims, &error);
  g_assert_no_error (error);
  msg = g_strdup_printf ("{\"id\":7,\"type\":\"join\",\"token\":\"%s\"}", expired);
  expect_error (f, msg, "token_expired");

  /* A valid signature for a room that does not exist opens nothing. */
  claims.room = "00000000-0000-4000-8000-000000000000";
  claims.exp = now + 3600;
  other_room = hz_token_issue (HZ_TEST_TOKEN_SECRET, &claims, &error);
  g_free (msg);
  msg = g_strdup_printf ("{\"id\":7,\"type\":\"join\",\"token\":\"%s\"}", other_room);
  expect_error (f, msg, "room_not_found");

  /* Signed with another secret: refused like garbage. */
  claims.room = f->room;
  forged = hz_token_issue ("not-the-server-secret", &claims, &error);
  g_free (msg);
  msg = g_strdup_printf ("{\"id\":7,\"type\":\"join\",\"token\":\"%s\"}", forged);
  expect_error (f, msg, "invalid_token");
  assert_good_member_undisturbed (f);
}

static char *
publish_message (const char *sdp)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, "publish");
  json_builder_set_member_name (b, "id");
  json_builder_add_int_value (b, 7);
  json_builder_set_member_name (b, "sdp");
  json_builder_add_string_value (b, sdp);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}

static char *
fixture_sdp (const char *name)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "fixtures", name, NULL);
  char *text = NULL;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  return text;
}

/* Removes every line starting with @prefix. */
static char *
drop_lines (const char *sdp, const char *prefix)
{
  g_auto(GStrv) lines = g_strsplit (sdp, "\r\n", -1);
  GString *out = g_string_new (NULL);

  for (guint i = 0; lines[i] != NULL; i++) {
    if (lines[i][0] == '\0' || g_str_has_prefix (lines[i], prefix))
      continue;
    g_string_append_printf (out, "%s\r\n", lines[i]);
  }
  return g_string_free (out, FALSE);
}

static void
test_bad_sdp (Fixture *f, gconstpointer data)
{
  g_autofree char *offer = fixture_sdp ("captured-chromium-offer-av.sdp");
  g_autofree char *no_fp = drop_lines (offer, "a=fingerprint");
  g_autofree char *no_mux = drop_lines (offer, "a=rtcp-mux");
  g_autofree char *m1 = NULL, *m2 = NULL, *m3 = NULL, *m4 = NULL;
  GString *huge = g_string_new (offer);

  join_x (f, "doctor");
  m1 = publish_message (no_fp);
  expect_error (f, m1, "bad_sdp");
  m2 = publish_message (no_mux);
  expect_error (f, m2, "bad_sdp");
  /* 1,000 m-lines */
  for (guint i = 0; i < 1000; i++)
    g_string_append_printf (huge, "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:x%u\r\n", i);
  m3 = publish_message (huge->str);
  g_string_free (huge, TRUE);
  expect_error (f, m3, "bad_sdp");
  {
    /* Only codecs we do not forward (H.265 video). */
    g_autoptr(GPtrArray) tracks = g_ptr_array_new_with_free_func ((GDestroyNotify) hz_sdp_out_track_free);
    HzSdpOutTrack *t = hz_sdp_out_track_new ();
    HzSdpLocal local = { .ice_ufrag = "abcd", .ice_pwd = "abcdefghijklmnopqrstuvwx",
                         .fp_algorithm = "sha-256",
                         .fp_value = "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99",
                         .session_id = 1, .session_version = 1 };
    g_autoptr(GError) error = NULL;
    g_autofree char *sdp = NULL;

    t->mid = g_strdup ("0");
    t->kind = HZ_SDP_KIND_VIDEO;
    t->active = TRUE;
    t->codec = hz_sdp_codec_new (100, "H265", 90000, 0, NULL);
    t->ssrc = 1234;
    t->stream_id = g_strdup ("s");
    t->track_id = g_strdup ("t");
    t->cname = g_strdup ("c");
    g_ptr_array_add (tracks, t);
    sdp = hz_sdp_build_subscriber_offer (&local, tracks, 1, &error);
    g_assert_no_error (error);
    m4 = publish_message (sdp);
    expect_error (f, m4, "unsupported_codec");
  }
  expect_error (f,
                "{\"id\":7,\"type\":\"trickle\",\"target\":\"subscriber\",\"candidate\":{\"candidate\":\"x\"}}",
                "bad_request");
  assert_good_member_undisturbed (f);
}

static void
test_roles (Fixture *f, gconstpointer data)
{
  g_autofree char *offer = fixture_sdp ("captured-chromium-offer-av.sdp");
  g_autofree char *msg = publish_message (offer);

  join_x (f, "observer");
  expect_error (f, msg, "forbidden");
  assert_good_member_undisturbed (f);
}

static void
test_oversized (Fixture *f, gconstpointer data)
{
  GString *big = g_string_new ("{\"type\":\"chat\",\"text\":\"");
  g_autoptr(JsonObject) reply = NULL;

  join_x (f, "doctor");
  while (big->len < 300 * 1024)
    g_string_append (big, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
  g_string_append (big, "\"}");
  hz_test_client_send (f->x, big->str);
  g_string_free (big, TRUE);
  reply = hz_test_client_wait (f->x, "error", 5000);
  g_assert_nonnull (reply);
  for (gint64 end = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
       !hz_test_client_is_closed (f->x) && g_get_monotonic_time () < end;)
    hz_test_client_pump (f->x, 10);
  g_assert_true (hz_test_client_is_closed (f->x));
  /* Its departure is announced to the good member, who carries on. */
  {
    g_autoptr(JsonObject) left = hz_test_client_wait (f->a, "participant_left", 5000);
    g_assert_nonnull (left);
  }
  assert_good_member_undisturbed (f);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/integration/signal/bad-messages", Fixture, NULL, fixture_set_up, test_bad_messages, fixture_tear_down);
  g_test_add ("/integration/signal/tokens", Fixture, NULL, fixture_set_up, test_tokens, fixture_tear_down);
  g_test_add ("/integration/signal/bad-sdp", Fixture, NULL, fixture_set_up, test_bad_sdp, fixture_tear_down);
  g_test_add ("/integration/signal/roles", Fixture, NULL, fixture_set_up, test_roles, fixture_tear_down);
  g_test_add ("/integration/signal/oversized", Fixture, NULL, fixture_set_up, test_oversized, fixture_tear_down);
  return g_test_run ();
}
