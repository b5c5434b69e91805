/* hz-role: role and room-kind names, and the permission table. */
#include "hz-role.h"

static const char *const hz_role_names[] = {
  [HZ_ROLE_DOCTOR] = "doctor",
  [HZ_ROLE_SPECIALIST] = "specialist",
  [HZ_ROLE_PRESENTER] = "presenter",
  [HZ_ROLE_STUDENT] = "student",
  [HZ_ROLE_OBSERVER] = "observer",
  [HZ_ROLE_RELAY] = "relay",
};

static const char *const hz_room_kind_names[] = {
  [HZ_ROOM_KIND_CONSULT] = "consult",
  [HZ_ROOM_KIND_TEACHING] = "teaching",
};

typedef struct {
  gboolean publish;
  gboolean moderate;
} HzRolePermissions;

/* [kind][role]: who may publish and moderate. A student in a teaching room
 * publishes only after a presenter promotes them; that is session state kept by
 * signaling, not a property of the role. */
static const HzRolePermissions hz_role_permissions[][G_N_ELEMENTS (hz_role_names)] = {
  [HZ_ROOM_KIND_CONSULT] = {
    [HZ_ROLE_DOCTOR] = { TRUE, FALSE },
    [HZ_ROLE_SPECIALIST] = { TRUE, TRUE },
    [HZ_ROLE_PRESENTER] = { TRUE, FALSE },
    [HZ_ROLE_STUDENT] = { FALSE, FALSE },
    [HZ_ROLE_OBSERVER] = { FALSE, FALSE },
    [HZ_ROLE_RELAY] = { FALSE, FALSE },
  },
  [HZ_ROOM_KIND_TEACHING] = {
    [HZ_ROLE_DOCTOR] = { FALSE, FALSE },
    [HZ_ROLE_SPECIALIST] = { FALSE, FALSE },
    [HZ_ROLE_PRESENTER] = { TRUE, TRUE },
    [HZ_ROLE_STUDENT] = { FALSE, FALSE },
    [HZ_ROLE_OBSERVER] = { FALSE, FALSE },
    [HZ_ROLE_RELAY] = { FALSE, FALSE },
  },
};

HzRole
hz_role_from_string (const char *text)
{
  for (guint i = 1; text != NULL && i < G_N_ELEMENTS (hz_role_names); i++) {
    if (g_strcmp0 (text, hz_role_names[i]) == 0)
      return (HzRole) i;
  }
  return HZ_ROLE_INVALID;
}

const char *
hz_role_to_string (HzRole role)
{
  if (role <= HZ_ROLE_INVALID || role >= G_N_ELEMENTS (hz_role_names))
    return NULL;
  return hz_role_names[role];
}

HzRoomKind
hz_room_kind_from_string (const char *text)
{
  for (guint i = 1; text != NULL && i < G_N_ELEMENTS (hz_room_kind_names); i++) {
    if (g_strcmp0 (text, hz_room_kind_names[i]) == 0)
      return (HzRoomKind) i;
  }
  return HZ_ROOM_KIND_INVALID;
}

const char *
hz_room_kind_to_string (HzRoomKind kind)
{
  if (kind <= HZ_ROOM_KIND_INVALID || kind >= G_N_ELEMENTS (hz_room_kind_names))
    return NULL;
  return hz_room_kind_names[kind];
}

static const HzRolePermissions *
hz_role_permissions_get (HzRole role, HzRoomKind kind)
{
  if (hz_role_to_string (role) == NULL || hz_room_kind_to_string (kind) == NULL)
    return NULL;
  return &hz_role_permissions[kind][role];
}

/**
 * hz_role_can_publish:
 *
 * Consult rooms: doctors, specialists and presenters publish. Teaching rooms:
 * only presenters. Students and observers never (by role alone).
 */
gboolean
hz_role_can_publish (HzRole role, HzRoomKind kind)
{
  const HzRolePermissions *p = hz_role_permissions_get (role, kind);
  return p != NULL && p->publish;
}

/**
 * hz_role_can_moderate:
 *
 * Consult rooms: the specialist leads. Teaching rooms: presenters.
 */
gboolean
hz_role_can_moderate (HzRole role, HzRoomKind kind)
{
  const HzRolePermissions *p = hz_role_permissions_get (role, kind);
  return p != NULL && p->moderate;
}

/**
 * hz_role_is_listed:
 *
 * Every role but relay: a cascade relay is not in participant lists or
 * events, not counted against capacity and not in the consult record.
 */
gboolean
hz_role_is_listed (HzRole role)
{
  return role != HZ_ROLE_RELAY;
}
