/* hz-cascade-join: the signaling side of cascading (owner: cascade).
 *
 * Owns: the cascade's part of a join (a viewer of a room owned by another
 * node may be served by this node's satellite, see hz-cascade.h), the
 * "cascade_relay" message by which a satellite's two members carry chat,
 * raised hands and the owner's recording state between the nodes, and the
 * rule that a satellite's room never records (the owner does).
 *
 * Runs on the main context only.
 */
#pragma once

#include "hz-signal-private.h"

G_BEGIN_DECLS

/* In handle_join, before the cluster's placement: TRUE when cascading took
 * the join (@ok: answered now, or later); FALSE: go on as without cascading. */
gboolean hz_signal_cascade_join (Session *s, JsonObject *msg, JsonNode *id, const HzTokenClaims *valid,
                                 gboolean *ok, GError **error);

/* {"type":"cascade_relay","event":{...}} from a relay member (a cascade
 * user: the hidden relay on the owner, the relayed presenter on a
 * satellite); anyone else is refused (forbidden). */
gboolean hz_signal_cascade_relay (Session *s, JsonObject *msg, JsonNode *id, GError **error);

/* @room is served here as another node's satellite: in a cluster, a room
 * this node does not own; else a room the relayed presenter (a cascade
 * user) is in. Such a room never records here. */
gboolean hz_signal_cascade_is_satellite_room (HzSignal *sig, HzLiveRoom *room);

G_END_DECLS
