/*
 * hz-dicom-scan: the structural walk of a DICOM Part 10 file that runs
 * before DCMTK sees it, the UID mapping and the info value. See hz-dicom.h.
 *
 * Hand-written because DCMTK has no bound on sequence nesting (it recurses
 * once per level, so a few hundred kilobytes of nested empty items exhaust
 * the stack) and trusts a declared length until it runs out of input. The
 * walk checks every length against what is left of its container and
 * counts nesting, including defined-length values that merely look like a
 * sequence (implicit VR carries no VR, DCMTK decides from its dictionary:
 * we count them as sequences when they parse as one, which over-counts,
 * never under-counts).
 */
#include "hz-dicom.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

G_DEFINE_QUARK (hz-dicom-error-quark, hz_dicom_error)

#define HZ_UNDEFINED 0xffffffffu
#define HZ_SCAN_TOO_DEEP "sequences nested too deep"

typedef struct {
  const guint8 *data;
  gsize len;
  gboolean explicit_vr, big_endian;
} HzScan;

static guint16
hz_scan_u16 (const HzScan *s, gsize off)
{
  const guint8 *p = s->data + off;
  return s->big_endian ? (guint16) (p[0] << 8 | p[1]) : (guint16) (p[1] << 8 | p[0]);
}

static guint32
hz_scan_u32 (const HzScan *s, gsize off)
{
  const guint8 *p = s->data + off;
  if (s->big_endian)
    return (guint32) p[0] << 24 | (guint32) p[1] << 16 | (guint32) p[2] << 8 | p[3];
  return (guint32) p[3] << 24 | (guint32) p[2] << 16 | (guint32) p[1] << 8 | p[0];
}

static gboolean
hz_scan_fail (GError **error, gsize off, const char *what)
{
  g_set_error (error, HZ_DICOM_ERROR, HZ_DICOM_ERROR_MALFORMED, "not a valid DICOM file: %s at byte %" G_GSIZE_FORMAT,
               what, off);
  return FALSE;
}

/* Whether an explicit VR header is VR, 2 reserved bytes and a 32-bit
 * length. Only the VRs with a 16-bit length are listed: like DCMTK, an
 * unknown VR is read with a 32-bit length, so the scan and DCMTK agree on
 * where every element ends. */
static gboolean
hz_scan_long_vr (const guint8 *vr)
{
  static const char *const shorts[] = { "AE", "AS", "AT", "CS", "DA", "DS", "DT", "FL", "FD", "IS", "LO",
                                        "LT", "PN", "SH", "SL", "SS", "ST", "TM", "UI", "UL", "US" };
  for (guint i = 0; i < G_N_ELEMENTS (shorts); i++) {
    if (vr[0] == shorts[i][0] && vr[1] == shorts[i][1])
      return FALSE;
  }
  return TRUE;
}

static gboolean
hz_scan_known_vr (const guint8 *vr)
{
  static const char known[] = "AEASATCSDADSDTFLFDISLOLTOBODOFOLOVOWPNSHSLSQSSSTSVTMUCUIULUNURUSUTUV";
  for (gsize i = 0; i + 1 < sizeof (known); i += 2) {
    if (vr[0] == known[i] && vr[1] == known[i + 1])
      return TRUE;
  }
  return FALSE;
}

static gboolean hz_scan_items (const HzScan *s, gsize *off, gsize end, gboolean undefined, guint depth,
                               gboolean fragments, GError **error);

/* Elements from *off up to end (defined length) or up to an item
 * delimiter (undefined length), which is consumed. */
static gboolean
hz_scan_dataset (const HzScan *s, gsize *off, gsize end, gboolean undefined, guint depth, GError **error)
{
  if (depth > HZ_DICOM_MAX_DEPTH)
    return hz_scan_fail (error, *off, HZ_SCAN_TOO_DEEP);
  while (undefined || *off < end) {
    gsize at = *off;
    guint16 group, elem;
    guint32 vlen;
    gboolean seq = FALSE, fragments = FALSE;
    HzScan inner = *s;

    if (end - at < 8)
      return hz_scan_fail (error, at, "truncated element header");
    group = hz_scan_u16 (s, at);
    elem = hz_scan_u16 (s, at + 2);
    if (group == 0xfffe) {
      if (elem == 0xe00d && undefined) {
        *off = at + 8;
        return TRUE;
      }
      return hz_scan_fail (error, at, "misplaced item or delimiter");
    }
    if (s->explicit_vr) {
      const guint8 *vr = s->data + at + 4;
      if (!g_ascii_isupper (vr[0]) || !g_ascii_isupper (vr[1]))
        return hz_scan_fail (error, at, "invalid value representation");
      if (hz_scan_long_vr (vr)) {
        if (end - at < 12)
          return hz_scan_fail (error, at, "truncated element header");
        vlen = hz_scan_u32 (s, at + 8);
        *off = at + 12;
      } else {
        vlen = hz_scan_u16 (s, at + 6);
        *off = at + 8;
      }
      seq = vr[0] == 'S' && vr[1] == 'Q';
      if (vr[0] == 'U' && vr[1] == 'N' && vlen == HZ_UNDEFINED) {
        /* DCMTK reads an undefined-length UN as an implicit VR LE sequence */
        seq = TRUE;
        inner.explicit_vr = FALSE;
        inner.big_endian = FALSE;
      } else if (vlen == HZ_UNDEFINED && !seq) {
        if (!((vr[0] == 'O' && (vr[1] == 'B' || vr[1] == 'W'))))
          return hz_scan_fail (error, at, "undefined length on a plain value");
        fragments = TRUE; /* encapsulated pixel data */
      }
    } else {
      vlen = hz_scan_u32 (s, at + 4);
      *off = at + 8;
      seq = vlen == HZ_UNDEFINED;
      /* a defined-length value that starts like an item may be a sequence:
       * parsed once as one; too deep is final, any other failure means an
       * opaque value */
      if (!seq && vlen >= 8 && vlen <= end - *off && hz_scan_u16 (s, *off) == 0xfffe &&
          hz_scan_u16 (s, *off + 2) == 0xe000) {
        gsize probe = *off;
        g_autoptr(GError) local = NULL;
        if (hz_scan_items (s, &probe, *off + vlen, FALSE, depth + 1, FALSE, &local) &&
            probe == *off + vlen) {
          *off = probe;
          continue;
        }
        if (local != NULL && strstr (local->message, HZ_SCAN_TOO_DEEP) != NULL) {
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      }
    }
    if (vlen != HZ_UNDEFINED && vlen > end - *off)
      return hz_scan_fail (error, at, "element length past the end of the file");
    if (seq || fragments) {
      gsize stop = vlen == HZ_UNDEFINED ? end : *off + vlen;
      if (depth + 1 > HZ_DICOM_MAX_DEPTH)
        return hz_scan_fail (error, at, HZ_SCAN_TOO_DEEP);
      if (!hz_scan_items (&inner, off, stop, vlen == HZ_UNDEFINED, depth + 1, fragments, error))
        return FALSE;
      if (vlen != HZ_UNDEFINED && *off != stop)
        return hz_scan_fail (error, *off, "sequence content does not fill its length");
    } else {
      *off += vlen;
    }
  }
  return TRUE;
}

/* Items of a sequence (or fragments of encapsulated pixel data) up to end
 * or up to a sequence delimiter, which is consumed. */
static gboolean
hz_scan_items (const HzScan *s, gsize *off, gsize end, gboolean undefined, guint depth, gboolean fragments,
               GError **error)
{
  while (undefined || *off < end) {
    gsize at = *off;
    guint16 group, elem;
    guint32 ilen;

    if (end - at < 8)
      return hz_scan_fail (error, at, "truncated item");
    group = hz_scan_u16 (s, at);
    elem = hz_scan_u16 (s, at + 2);
    ilen = hz_scan_u32 (s, at + 4);
    *off = at + 8;
    if (group == 0xfffe && elem == 0xe0dd && undefined)
      return TRUE;
    if (group != 0xfffe || elem != 0xe000)
      return hz_scan_fail (error, at, "expected an item");
    if (fragments) {
      if (ilen == HZ_UNDEFINED || ilen > end - *off)
        return hz_scan_fail (error, at, "pixel data fragment past the end of the file");
      *off += ilen;
      continue;
    }
    if (ilen == HZ_UNDEFINED) {
      if (!hz_scan_dataset (s, off, end, TRUE, depth, error))
        return FALSE;
    } else {
      gsize stop;
      if (ilen > end - *off)
        return hz_scan_fail (error, at, "item length past the end of the file");
      stop = *off + ilen;
      if (!hz_scan_dataset (s, off, stop, FALSE, depth, error))
        return FALSE;
    }
  }
  return TRUE;
}

gboolean
hz_dicom_scan (const guint8 *data, gsize len, char **transfer_syntax, GError **error)
{
  HzScan meta = { data, len, TRUE, FALSE };
  HzScan body;
  gsize off = 132;
  g_autofree char *ts = NULL;

  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  if (len < 132 || memcmp (data + 128, "DICM", 4) != 0) {
    g_set_error_literal (error, HZ_DICOM_ERROR, HZ_DICOM_ERROR_NOT_DICOM,
                         "not a DICOM Part 10 file (no \"DICM\" after the 128-byte preamble)");
    return FALSE;
  }
  /* the file meta information: group 0002, always explicit VR LE */
  while (off + 8 <= len && hz_scan_u16 (&meta, off) == 0x0002) {
    gsize at = off;
    guint16 elem = hz_scan_u16 (&meta, at + 2);
    guint32 vlen;
    /* DCMTK takes a meta header whose VRs it does not know for implicit
     * VR, and reads odd VRs with other lengths: refuse anything but a
     * standard VR here, so both always agree on where an element ends */
    if (!hz_scan_known_vr (data + at + 4))
      return hz_scan_fail (error, at, "invalid value representation in the meta header");
    if (hz_scan_long_vr (data + at + 4)) {
      if (len - at < 12)
        return hz_scan_fail (error, at, "truncated meta header");
      vlen = hz_scan_u32 (&meta, at + 8);
      off = at + 12;
    } else {
      vlen = hz_scan_u16 (&meta, at + 6);
      off = at + 8;
    }
    if (vlen > len - off)
      return hz_scan_fail (error, at, "meta element length past the end of the file");
    if (elem == 0x0010 && ts == NULL) { /* DCMTK keeps the first of duplicates */
      ts = g_strndup ((const char *) data + off, vlen);
      g_strchomp (ts); /* padded with a NUL or a space to an even length */
      while (ts[0] != '\0' && ts[strlen (ts) - 1] == '\0')
        ts[strlen (ts) - 1] = '\0';
    }
    off += vlen;
  }
  if (ts == NULL || ts[0] == '\0')
    return hz_scan_fail (error, off, "no transfer syntax in the meta header");
  body = meta;
  if (g_strcmp0 (ts, "1.2.840.10008.1.2") == 0) {
    body.explicit_vr = FALSE;
  } else if (g_strcmp0 (ts, "1.2.840.10008.1.2.2") == 0) {
    body.big_endian = TRUE;
  } else if (g_str_has_prefix (ts, "1.2.840.10008.1.2.1.99")) {
    g_set_error_literal (error, HZ_DICOM_ERROR, HZ_DICOM_ERROR_UNSUPPORTED,
                         "deflated DICOM (transfer syntax 1.2.840.10008.1.2.1.99) is not accepted; "
                         "send it uncompressed or with a pixel data compression");
    return FALSE;
  } else if (!g_str_has_prefix (ts, "1.2.840.10008.1.2.")) {
    g_set_error (error, HZ_DICOM_ERROR, HZ_DICOM_ERROR_UNSUPPORTED, "unknown transfer syntax %s", ts);
    return FALSE;
  }
  if (!hz_scan_dataset (&body, &off, len, FALSE, 0, error))
    return FALSE;
  if (transfer_syntax != NULL)
    *transfer_syntax = g_steal_pointer (&ts);
  return TRUE;
}

char *
hz_dicom_map_uid (const guint8 *key, gsize key_len, const char *uid)
{
  guint8 mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  unsigned __int128 v = 0;
  char digits[48];
  int n = sizeof (digits) - 1;

  g_return_val_if_fail (key != NULL && key_len > 0 && uid != NULL, NULL);
  HMAC (EVP_sha256 (), key, (int) key_len, (const guint8 *) uid, strlen (uid), mac, &mac_len);
  for (int i = 0; i < 16; i++)
    v = (v << 8) | mac[i];
  digits[n] = '\0';
  do {
    digits[--n] = (char) ('0' + (int) (v % 10));
    v /= 10;
  } while (v != 0);
  return g_strconcat ("2.25.", digits + n, NULL);
}

void
hz_dicom_info_free (HzDicomInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->sop_class_uid);
  g_free (info->study_uid);
  g_free (info->series_uid);
  g_free (info->instance_uid);
  g_free (info->transfer_syntax);
  g_free (info->modality);
  g_free (info->study_description);
  g_free (info->series_description);
  g_free (info->photometric);
  g_free (info);
}
