/* hz-server: one Huizhen node assembled from its parts.
 *
 * Owns: the database handle, the room store, the DTLS certificate, the media
 * worker pool, the HTTP/WebSocket port, the signaling service and the admin
 * API, in the order they must start and stop. The executable and the
 * integration tests both start a node through this.
 */
#pragma once

#include <glib.h>

#include "hz-config.h"

G_BEGIN_DECLS

typedef struct _HzServer HzServer;

/* Starts listening on the default main context; @config must outlive it. */
HzServer *hz_server_new (HzConfig *config, GError **error);
/* Stops accepting joins, tells every member the room closed, lets the
 * goodbyes flush; call before hz_server_free() for a clean shutdown. */
void hz_server_shutdown (HzServer *server, const char *reason);
void hz_server_free (HzServer *server);

guint16 hz_server_get_port (HzServer *server);
/* "http://127.0.0.1:8080" (no trailing slash), from the config or the
 * actual port when it was 0. */
const char *hz_server_get_base_url (HzServer *server);

/* In a cluster: no new rooms are placed here from now on and /healthz
 * answers 503 {"status":"draining"}; FALSE (nothing done) on a single node. */
gboolean hz_server_drain (HzServer *server);
/* Rooms live on this node. */
guint hz_server_get_n_rooms (HzServer *server);
/* Sessions of clients connected here whose rooms are on other nodes. */
guint hz_server_get_n_relayed (HzServer *server);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HzServer, hz_server_free)

G_END_DECLS
