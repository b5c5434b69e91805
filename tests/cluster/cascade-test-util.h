/* Helpers shared by the cascade tests (test-cascade.c, test-cascade-hostile.c):
 * blocking in the main loop for a while, and the entry node's routing decision
 * for one join, waited for synchronously. Header-only (static functions): each
 * test is one executable that includes it once. */
#pragma once

#include <glib.h>

#include "hz-cascade.h"

static gboolean
flag_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Blocks in the main loop for @ms: whatever arrives meanwhile is handled. */
static void
pump (guint ms)
{
  gboolean done = FALSE;

  g_timeout_add (ms, flag_cb, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

static void
route_done (GObject *source, GAsyncResult *res, gpointer data)
{
  HzCascadePlace *out = data;
  g_autoptr(GError) error = NULL;

  *out = hz_cascade_route_join_finish (NULL, res, &error);
  g_assert_no_error (error);
}

/* The entry node's decision for a join of @user as @role, the owner at @owner_url. */
static HzCascadePlace
route (HzCascade *c, const char *room, const char *user, HzRole role, const char *owner_url)
{
  HzTokenClaims claims = { .room = (char *) room, .user = (char *) user, .display_name = (char *) user,
                           .institution = (char *) "", .role = role };
  HzCascadePlace place = (HzCascadePlace) -1;

  hz_cascade_route_join_async (c, &claims, "node-a", owner_url, NULL, route_done, &place);
  while (place == (HzCascadePlace) -1)
    g_main_context_iteration (NULL, TRUE);
  return place;
}
