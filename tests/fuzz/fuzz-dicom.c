/* fuzz-dicom: the DICOM path of shared documents (documents/hz-dicom: the
 * structure scan in C, then DCMTK through the C++ shim: load, attribute
 * extraction, transcoding of decodable transfer syntaxes, and, when the
 * last byte is odd, de-identification in memory).
 * Invariants (abort on failure so libFuzzer reports them):
 * - a result or an HZ_DICOM_ERROR, never both, never neither;
 * - an accepted file passed the scan, has its four UIDs, and its image
 *   geometry is sane;
 * - de-identification never returns the original study UID. */
#include "hz-dicom.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static const guint8 key[16] = { 'f', 'u', 'z', 'z', '-', 'u', 'i', 'd', '-', 'k', 'e', 'y', '-', '1', '6', 'b' };

static void
check (const uint8_t *data, size_t size, const HzDicomOptions *opts)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HzDicomInfo) info = hz_dicom_inspect_buffer (data, size, opts, &error);

  if ((info == NULL) == (error == NULL))
    abort ();
  if (info == NULL) {
    if (error->domain != HZ_DICOM_ERROR)
      abort ();
    return;
  }
  if (!hz_dicom_scan (data, size, NULL, NULL))
    abort ();
  if (info->study_uid == NULL || info->series_uid == NULL || info->instance_uid == NULL ||
      info->sop_class_uid == NULL)
    abort ();
  if (info->frames > 0 && (info->rows == 0 || info->columns == 0 || info->frames > 100000))
    abort ();
  if (opts != NULL && !info->deidentified)
    abort ();
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  HzDicomOptions opts = { TRUE, key, sizeof (key) };

  check (data, size, NULL);
  if (size > 0 && (data[size - 1] & 1))
    check (data, size, &opts);
  return 0;
}
