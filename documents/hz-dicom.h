/*
 * hz-dicom: DICOM Part 10 files of shared documents. A C face over DCMTK
 * (hz-dicom.cc is the only C++ in the tree) plus a structure scan in C
 * (hz-dicom-scan.c). Owns: the structural pre-check that bounds what DCMTK
 * is handed (lengths inside the file, nesting depth, a known transfer
 * syntax), loading with DCMTK with every exception caught, the attributes a
 * viewer needs, de-identification following DICOM PS3.15 Annex E (Basic
 * Application Level Confidentiality Profile) with UIDs replaced by a keyed
 * hash so a study stays consistent, and transcoding transfer syntaxes a
 * browser viewer cannot decode to Explicit VR Little Endian.
 *
 * No logging, no random source, no global state beyond DCMTK's codec
 * registration (done once, thread safe): a fuzzer drives
 * hz_dicom_inspect_buffer() directly.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define HZ_DICOM_ERROR (hz_dicom_error_quark ())
GQuark hz_dicom_error_quark (void);

typedef enum {
  HZ_DICOM_ERROR_NOT_DICOM,   /* no Part 10 preamble "DICM" */
  HZ_DICOM_ERROR_MALFORMED,   /* truncated, lengths past the end, too deep, DCMTK refused it */
  HZ_DICOM_ERROR_UNSUPPORTED, /* a transfer syntax the viewer cannot show and DCMTK cannot decode */
  HZ_DICOM_ERROR_IO,          /* the file cannot be read or written */
} HzDicomError;

/* Sequences nested deeper than this are refused (real studies use < 8). */
#define HZ_DICOM_MAX_DEPTH 16

typedef struct {
  char    *sop_class_uid;
  char    *study_uid;
  char    *series_uid;
  char    *instance_uid;
  char    *transfer_syntax;      /* of the file as stored */
  char    *modality;
  char    *study_description;    /* NULL when absent (or removed) */
  char    *series_description;
  char    *photometric;          /* PhotometricInterpretation */
  guint    rows, columns, frames, bits_allocated, samples_per_pixel;
  gboolean has_instance_number;
  gint     instance_number;
  gboolean has_series_number;
  gint     series_number;
  gboolean has_slice_location;
  gdouble  slice_location;
  gboolean has_position;
  gdouble  image_position[3];    /* ImagePositionPatient */
  gboolean has_spacing;
  gdouble  pixel_spacing[2];     /* row, column spacing in mm */
  gboolean has_window;
  gdouble  window_center, window_width; /* the first pair */
  gboolean deidentified;         /* the file was de-identified here */
  gboolean transcoded;           /* pixel data decoded to Explicit VR LE here */
} HzDicomInfo;

typedef struct {
  gboolean      deidentify;
  /* key of the UID mapping: the same key maps a UID to the same new UID,
   * so one room's de-identified series stay one study */
  const guint8 *uid_key;
  gsize         uid_key_len;
} HzDicomOptions;

/* hz-dicom-scan.c: walks the Part 10 structure without DCMTK. On success
 * *transfer_syntax (may be NULL) gets the dataset's transfer syntax UID. */
gboolean     hz_dicom_scan             (const guint8 *data,
                                        gsize         len,
                                        char        **transfer_syntax,
                                        GError      **error);

/* Scans, loads, checks, and applies opts. If the file had to change
 * (de-identified or transcoded) it is written to out_path and
 * *rewritten is TRUE; otherwise out_path is untouched and the input is the
 * file as participants see it. The info describes that file. */
HzDicomInfo *hz_dicom_process_file     (const char           *in_path,
                                        const char           *out_path,
                                        const HzDicomOptions *opts,
                                        gboolean             *rewritten,
                                        GError              **error);
/* The same checks and attribute extraction on a buffer (and, when opts
 * asks, a de-identification in memory): for the fuzzer and the tests. */
HzDicomInfo *hz_dicom_inspect_buffer   (const guint8         *data,
                                        gsize                 len,
                                        const HzDicomOptions *opts,
                                        GError              **error);
/* "2.25.<decimal>" from the first 128 bits of HMAC-SHA-256(key, uid). */
char        *hz_dicom_map_uid          (const guint8 *key,
                                        gsize         key_len,
                                        const char   *uid);
void         hz_dicom_info_free        (HzDicomInfo *info);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HzDicomInfo, hz_dicom_info_free)

G_END_DECLS
