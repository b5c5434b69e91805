/* hz-bytes.h: private big-endian load/store helpers shared by media/rtp/.
 * Not installed, not part of any public contract. */
#pragma once

#include <glib.h>

static inline guint16
hz_read_u16 (const guint8 *p)
{
  return (guint16) (((guint16) p[0] << 8) | p[1]);
}

static inline guint32
hz_read_u24 (const guint8 *p)
{
  return ((guint32) p[0] << 16) | ((guint32) p[1] << 8) | p[2];
}

static inline guint32
hz_read_u32 (const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
}

static inline guint64
hz_read_u64 (const guint8 *p)
{
  return ((guint64) hz_read_u32 (p) << 32) | hz_read_u32 (p + 4);
}

static inline void
hz_write_u16 (guint8 *p, guint16 v)
{
  p[0] = (guint8) (v >> 8);
  p[1] = (guint8) v;
}

static inline void
hz_write_u24 (guint8 *p, guint32 v)
{
  p[0] = (guint8) (v >> 16);
  p[1] = (guint8) (v >> 8);
  p[2] = (guint8) v;
}

static inline void
hz_write_u32 (guint8 *p, guint32 v)
{
  p[0] = (guint8) (v >> 24);
  p[1] = (guint8) (v >> 16);
  p[2] = (guint8) (v >> 8);
  p[3] = (guint8) v;
}

static inline void
hz_write_u64 (guint8 *p, guint64 v)
{
  hz_write_u32 (p, (guint32) (v >> 32));
  hz_write_u32 (p + 4, (guint32) v);
}
