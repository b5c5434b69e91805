/* hz-cascade-private: what hz-cascade.c (satellites) and hz-cascade-route.c
 * (the decision) share (owner: cascade). */
#pragma once

#include <libsoup/soup.h>

#include "hz-cascade.h"

G_BEGIN_DECLS

struct _HzCascade {
  char *node_id, *local_url, *token_secret, *admin_key;
  SoupSession *http;      /* owners' admin API */
  GCancellable *cancel;   /* pending owner queries; cancelled when freed */
  guint cascade_viewers;
  guint idle_grace_ms;
  void (*owner_closed) (const char *room_id, const char *reason, gpointer user_data);
  gpointer user_data;
  GHashTable *satellites; /* room id → Satellite*, owned */
};

G_END_DECLS
