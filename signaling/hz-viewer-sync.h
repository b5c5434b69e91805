/* hz-viewer-sync: the shared viewer of a room (DICOM, PDF, images seen
 * together).
 *
 * Owns: who controls the viewer, which document it shows and the latest
 * view state (slice, window, zoom, pan, pointer...), and the relay of that
 * state to the other members: coalesced to the latest every 50 ms, so a
 * controller dragging the window sends many updates and everyone else gets
 * a steady, small stream. A late joiner starts from the stored state.
 * Main context only; one per live room.
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define HZ_VIEWER_STATE_MAX 4096 /* bytes of serialized state */
#define HZ_VIEWER_FLUSH_MS 50

typedef struct _HzViewerSync HzViewerSync;

/* Sends @msg (consumed) to everyone in the room except @except_id (nullable). */
typedef void (*HzViewerBroadcast) (const char *except_id, JsonNode *msg, gpointer user_data);

HzViewerSync *hz_viewer_sync_new (HzViewerBroadcast broadcast, gpointer user_data);
void hz_viewer_sync_free (HzViewerSync *vs);

const char *hz_viewer_sync_get_controller (HzViewerSync *vs);
/* take/release/give, with the caller's right to moderate; FALSE + error
 * (a sentence for the user) when not allowed. Announces the new controller. */
gboolean hz_viewer_sync_take (HzViewerSync *vs, const char *who, gboolean moderator, GError **error);
gboolean hz_viewer_sync_release (HzViewerSync *vs, const char *who, gboolean moderator, GError **error);
gboolean hz_viewer_sync_give (HzViewerSync *vs, const char *who, const char *to, gboolean moderator,
                              GError **error);
/* A member left: if it held control, nobody does now. */
void hz_viewer_sync_forget (HzViewerSync *vs, const char *who);

/* The controller's new state for @doc_id (@state is copied). */
gboolean hz_viewer_sync_update (HzViewerSync *vs, const char *who, const char *doc_id, JsonNode *state,
                                GError **error);
/* {"controller","doc_id","state"} for the joined reply. */
JsonNode *hz_viewer_sync_to_json (HzViewerSync *vs);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HzViewerSync, hz_viewer_sync_free)

G_END_DECLS
