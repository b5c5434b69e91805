/* fuzz-signal-json: one signaling WebSocket message, as the server reads it
 * (API.md "Signaling"): json-glib's immutable parser, then the members each
 * message type reads, and the validators those members reach without a
 * running room: join tokens (rooms/hz-token, a fixed secret and clock),
 * publish offers and subscriber answers (signaling/hz-sdp, with the mids the
 * server offered), trickle candidates. The server's handlers themselves
 * (signaling/hz-signal*.c) need a live room and are covered by the
 * integration and hostile suites.
 * Invariants: every refusal carries a GError; nothing crashes or leaks. */
#include <json-glib/json-glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hz-sdp.h"
#include "hz-token.h"

#define SECRET "fuzz-token-secret"
#define NOW_S 1750000000
#define MAX_SDP (128 * 1024)

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* A string member as the server accepts it: present, a string, bounded. */
static const char *
get_string (JsonObject *o, const char *name, gsize max)
{
  JsonNode *n = json_object_get_member (o, name);
  const char *s;

  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING)
    return NULL;
  s = json_node_get_string (n);
  return s != NULL && strlen (s) <= max ? s : NULL;
}

static void
must_fail_cleanly (gpointer result, GError *error)
{
  if ((result == NULL) != (error != NULL))
    abort ();
}

static void
read_token (JsonObject *msg)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HzTokenClaims) claims = NULL;
  const char *token = get_string (msg, "token", HZ_TOKEN_MAX_LEN);

  if (token == NULL)
    return;
  claims = hz_token_verify (SECRET, token, NOW_S, &error);
  must_fail_cleanly (claims, error);
}

static void
read_sdp (JsonObject *msg, gboolean answer)
{
  static const char *const mids[] = { "0", "1", "2", "3", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(HzSdpSession) s = NULL;
  const char *sdp = get_string (msg, "sdp", MAX_SDP);

  if (sdp == NULL)
    return;
  if (answer)
    s = hz_sdp_parse_answer (sdp, MAX_SDP, mids, &error);
  else
    s = hz_sdp_parse (sdp, MAX_SDP, &error);
  must_fail_cleanly (s, error);
  if (s != NULL && answer && s->media->len != 4)
    abort (); /* the answer must match the offered m-lines */
}

static void
read_trickle (JsonObject *msg)
{
  JsonNode *cand = json_object_get_member (msg, "candidate");
  JsonObject *c;

  (void) get_string (msg, "target", 16);
  if (cand == NULL || !JSON_NODE_HOLDS_OBJECT (cand))
    return;
  c = json_node_get_object (cand);
  (void) get_string (c, "candidate", 1024);
  (void) get_string (c, "sdpMid", 64);
  if (json_object_has_member (c, "sdpMLineIndex"))
    (void) json_node_get_int (json_object_get_member (c, "sdpMLineIndex"));
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(GError) error = NULL;
  JsonNode *root;
  JsonObject *msg;
  const char *type;

  if (size > 256 * 1024) /* HZ_WS_MAX_MESSAGE: larger messages never reach the parser */
    return 0;
  if (!g_utf8_validate ((const char *) data, size, NULL))
    return 0; /* the WebSocket layer passes only valid UTF-8 text */
  if (!json_parser_load_from_data (parser, (const char *) data, size, &error)) {
    if (error == NULL)
      abort ();
    return 0;
  }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return 0;
  msg = json_node_get_object (root);
  type = get_string (msg, "type", 32);
  if (json_object_has_member (msg, "id")) {
    g_autoptr(JsonNode) id = json_node_copy (json_object_get_member (msg, "id"));
    g_autofree char *echo = json_to_string (id, FALSE); /* echoed in the reply */
    if (echo == NULL)
      abort ();
  }
  if (type == NULL)
    return 0;
  if (strcmp (type, "join") == 0)
    read_token (msg);
  else if (strcmp (type, "publish") == 0)
    read_sdp (msg, FALSE);
  else if (strcmp (type, "answer") == 0)
    read_sdp (msg, TRUE);
  else if (strcmp (type, "trickle") == 0)
    read_trickle (msg);
  else {
    (void) get_string (msg, "text", 4096);
    (void) get_string (msg, "kind", 16);
    (void) get_string (msg, "participant_id", 64);
  }
  return 0;
}
