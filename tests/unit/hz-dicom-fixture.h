/*
 * hz-dicom-fixture: DICOM test files written with DCMTK (tests only):
 * a CT-like series of small slices and a multi-frame image, with patient
 * name, ID and birth date, an institution, a private tag and a pixel
 * pattern that differs per slice, so a test can check what
 * de-identification removed and that the pixels survived unchanged.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define HZ_FIXTURE_PATIENT_NAME "Zhang^San"
#define HZ_FIXTURE_PATIENT_ID "P-2024-0042"
#define HZ_FIXTURE_BIRTH_DATE "19580317"
#define HZ_FIXTURE_INSTITUTION "Xiangyang Township Clinic"
#define HZ_FIXTURE_STUDY_UID "1.2.826.0.1.3680043.8.498.1001"
#define HZ_FIXTURE_ROWS 16
#define HZ_FIXTURE_COLUMNS 16

/* n slices of one series, "ct-01.dcm"... in dir; implicit: Implicit VR
 * Little Endian instead of Explicit. Returns the paths. */
GPtrArray *hz_dicom_fixture_ct_series (const char *dir, guint n, gboolean implicit, GError **error);
/* One multi-frame instance ("mf.dcm") of frames frames. */
char      *hz_dicom_fixture_multiframe (const char *dir, guint frames, GError **error);
/* The value of pixel i of slice s, as written. */
guint16    hz_dicom_fixture_pixel (guint s, guint i);

G_END_DECLS
