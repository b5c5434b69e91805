/*
 * hz-dicom-fixture-gen DIR [SLICES] [FRAMES]: writes the test CT series
 * (ct-NN.dcm) and a multi-frame image (mf.dcm) of hz-dicom-fixture.h into
 * DIR, for tests/pacs/run-with-orthanc.sh and the fuzzer's seed corpus.
 */
#include <stdlib.h>

#include "hz-dicom-fixture.h"

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) series = NULL;
  g_autofree char *mf = NULL;

  if (argc < 2) {
    g_printerr ("usage: %s DIR [SLICES] [FRAMES]\n", argv[0]);
    return 2;
  }
  series = hz_dicom_fixture_ct_series (argv[1], argc > 2 ? atoi (argv[2]) : 8, FALSE, &error);
  if (series != NULL)
    mf = hz_dicom_fixture_multiframe (argv[1], argc > 3 ? atoi (argv[3]) : 4, &error);
  if (error != NULL) {
    g_printerr ("%s\n", error->message);
    return 1;
  }
  return 0;
}
