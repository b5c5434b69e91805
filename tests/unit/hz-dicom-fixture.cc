/*
 * hz-dicom-fixture: see hz-dicom-fixture.h. Test-only C++ (DCMTK writes
 * the files), beside the shim in documents/hz-dicom.cc.
 */
#include "hz-dicom-fixture.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dctk.h>

#include <vector>

guint16
hz_dicom_fixture_pixel (guint s, guint i)
{
  return (guint16) (100 * (s + 1) + i * 7);
}

static void
fill_common (DcmDataset *ds, const char *series_uid, const char *sop_uid)
{
  ds->putAndInsertString (DCM_SOPClassUID, UID_CTImageStorage);
  ds->putAndInsertString (DCM_SOPInstanceUID, sop_uid);
  ds->putAndInsertString (DCM_StudyInstanceUID, HZ_FIXTURE_STUDY_UID);
  ds->putAndInsertString (DCM_SeriesInstanceUID, series_uid);
  ds->putAndInsertString (DCM_FrameOfReferenceUID, "1.2.826.0.1.3680043.8.498.1001.9");
  ds->putAndInsertString (DCM_PatientName, HZ_FIXTURE_PATIENT_NAME);
  ds->putAndInsertString (DCM_PatientID, HZ_FIXTURE_PATIENT_ID);
  ds->putAndInsertString (DCM_PatientBirthDate, HZ_FIXTURE_BIRTH_DATE);
  ds->putAndInsertString (DCM_PatientSex, "M");
  ds->putAndInsertString (DCM_RETIRED_OtherPatientIDs, "OTHER-77");
  ds->putAndInsertString (DCM_AccessionNumber, "ACC-991");
  ds->putAndInsertString (DCM_InstitutionName, HZ_FIXTURE_INSTITUTION);
  ds->putAndInsertString (DCM_ReferringPhysicianName, "Li^Si");
  ds->putAndInsertString (DCM_StudyID, "S-17");
  ds->putAndInsertString (DCM_StudyDate, "20240301");
  ds->putAndInsertString (DCM_StudyTime, "101500");
  ds->putAndInsertString (DCM_StudyDescription, "CT chest");
  ds->putAndInsertString (DCM_Modality, "CT");
  ds->putAndInsertString (DCM_SeriesNumber, "2");
  ds->putAndInsertString (DCM_PhotometricInterpretation, "MONOCHROME2");
  ds->putAndInsertUint16 (DCM_SamplesPerPixel, 1);
  ds->putAndInsertUint16 (DCM_Rows, HZ_FIXTURE_ROWS);
  ds->putAndInsertUint16 (DCM_Columns, HZ_FIXTURE_COLUMNS);
  ds->putAndInsertUint16 (DCM_BitsAllocated, 16);
  ds->putAndInsertUint16 (DCM_BitsStored, 12);
  ds->putAndInsertUint16 (DCM_HighBit, 11);
  ds->putAndInsertUint16 (DCM_PixelRepresentation, 0);
  ds->putAndInsertString (DCM_PixelSpacing, "0.7\\0.7");
  ds->putAndInsertString (DCM_WindowCenter, "40");
  ds->putAndInsertString (DCM_WindowWidth, "400");
  ds->putAndInsertString (DCM_RescaleIntercept, "-1024");
  ds->putAndInsertString (DCM_RescaleSlope, "1");
  /* a private block: creator (0009,0010) and one value (0009,1001) */
  ds->putAndInsertString (DcmTag (0x0009, 0x0010, EVR_LO), "HUIZHEN TEST");
  DcmTag priv (DcmTagKey (0x0009, 0x1001), "HUIZHEN TEST");
  priv.setVR (EVR_LO);
  ds->putAndInsertString (priv, "secret ward 3");
}

static gboolean
save (DcmFileFormat &ff, const char *path, gboolean implicit, GError **error)
{
  OFCondition c = ff.saveFile (path, implicit ? EXS_LittleEndianImplicit : EXS_LittleEndianExplicit);
  if (c.bad ()) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "%s: %s", path, c.text ());
    return FALSE;
  }
  return TRUE;
}

GPtrArray *
hz_dicom_fixture_ct_series (const char *dir, guint n, gboolean implicit, GError **error)
{
  GPtrArray *paths = g_ptr_array_new_with_free_func (g_free);

  for (guint s = 0; s < n; s++) {
    DcmFileFormat ff;
    DcmDataset *ds = ff.getDataset ();
    std::vector<Uint16> px (HZ_FIXTURE_ROWS * HZ_FIXTURE_COLUMNS);
    g_autofree char *sop = g_strdup_printf ("1.2.826.0.1.3680043.8.498.1001.2.%u", s + 1);
    g_autofree char *pos = g_strdup_printf ("-100\\-100\\%g", -50.0 + 2.5 * s);
    g_autofree char *loc = g_strdup_printf ("%g", -50.0 + 2.5 * s);
    g_autofree char *num = g_strdup_printf ("%u", s + 1);
    g_autofree char *name = g_strdup_printf ("ct-%02u.dcm", s + 1);
    char *path = g_build_filename (dir, name, NULL);

    fill_common (ds, "1.2.826.0.1.3680043.8.498.1001.2", sop);
    ds->putAndInsertString (DCM_InstanceNumber, num);
    ds->putAndInsertString (DCM_ImagePositionPatient, pos);
    ds->putAndInsertString (DCM_ImageOrientationPatient, "1\\0\\0\\0\\1\\0");
    ds->putAndInsertString (DCM_SliceLocation, loc);
    for (guint i = 0; i < px.size (); i++)
      px[i] = hz_dicom_fixture_pixel (s, i);
    ds->putAndInsertUint16Array (DCM_PixelData, px.data (), px.size ());
    g_ptr_array_add (paths, path);
    if (!save (ff, path, implicit, error)) {
      g_ptr_array_unref (paths);
      return NULL;
    }
  }
  return paths;
}

char *
hz_dicom_fixture_multiframe (const char *dir, guint frames, GError **error)
{
  DcmFileFormat ff;
  DcmDataset *ds = ff.getDataset ();
  std::vector<Uint16> px (HZ_FIXTURE_ROWS * HZ_FIXTURE_COLUMNS * frames);
  g_autofree char *nf = g_strdup_printf ("%u", frames);
  char *path = g_build_filename (dir, "mf.dcm", NULL);

  fill_common (ds, "1.2.826.0.1.3680043.8.498.1001.3", "1.2.826.0.1.3680043.8.498.1001.3.1");
  ds->putAndInsertString (DCM_InstanceNumber, "1");
  ds->putAndInsertString (DCM_NumberOfFrames, nf);
  for (guint f = 0; f < frames; f++) {
    for (guint i = 0; i < HZ_FIXTURE_ROWS * HZ_FIXTURE_COLUMNS; i++)
      px[f * HZ_FIXTURE_ROWS * HZ_FIXTURE_COLUMNS + i] = hz_dicom_fixture_pixel (f, i);
  }
  ds->putAndInsertUint16Array (DCM_PixelData, px.data (), px.size ());
  if (!save (ff, path, FALSE, error)) {
    g_free (path);
    return NULL;
  }
  return path;
}
