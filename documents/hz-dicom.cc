/*
 * hz-dicom.cc: the DCMTK half of hz-dicom.h (load, check, de-identify,
 * transcode, describe). The only C++ in the tree: everything crosses the
 * boundary as C types, every DCMTK call runs inside a try block, and the
 * C structure scan (hz-dicom-scan.c) has bounded the input before DCMTK
 * parses it.
 */
#include "hz-dicom.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dctk.h>
#include <dcmtk/dcmdata/dcistrmb.h>
#include <dcmtk/dcmdata/dcrledrg.h>
#include <dcmtk/dcmjpeg/djdecode.h>
#include <dcmtk/dcmjpls/djdecode.h>
#include <dcmtk/oflog/oflog.h>

#include <exception>
#include <mutex>
#include <new>

/* A decoded image larger than this is not transcoded (refused instead),
 * nor one larger than HZ_DICOM_MAX_RATIO times its file (with a floor):
 * a small file must not make DCMTK allocate a gigabyte. */
#define HZ_DICOM_MAX_DECODED (1024ull * 1024 * 1024)
#define HZ_DICOM_MAX_RATIO 256ull
#define HZ_DICOM_DECODED_FLOOR (16ull * 1024 * 1024)

namespace {

/* PS3.15 Annex E, Table E.1-1, Basic Profile: action Z (zero length, kept
 * because its type 2 in most IODs). */
const DcmTagKey empty_tags[] = {
  DCM_PatientName, DCM_PatientID, DCM_PatientBirthDate, DCM_PatientSex,
  DCM_AccessionNumber, DCM_ReferringPhysicianName, DCM_StudyID,
  DCM_StudyDate, DCM_StudyTime, DCM_ContentDate, DCM_ContentTime,
  DCM_ContentCreatorName,
};

/* Action X (removed), and X/Z, X/D, X/Z/D resolved to X. */
const DcmTagKey removed_tags[] = {
  DCM_InstanceCreationDate, DCM_InstanceCreationTime, DCM_SeriesDate, DCM_AcquisitionDate,
  DCM_RETIRED_OverlayDate, DCM_RETIRED_CurveDate, DCM_AcquisitionDateTime, DCM_SeriesTime, DCM_AcquisitionTime,
  DCM_RETIRED_OverlayTime, DCM_RETIRED_CurveTime, DCM_InstitutionName, DCM_InstitutionAddress,
  DCM_InstitutionCodeSequence, DCM_ReferringPhysicianAddress, DCM_ReferringPhysicianTelephoneNumbers,
  DCM_ReferringPhysicianIdentificationSequence, DCM_TimezoneOffsetFromUTC, DCM_StationName,
  DCM_StudyDescription, DCM_ProcedureCodeSequence, DCM_SeriesDescription,
  DCM_InstitutionalDepartmentName, DCM_PhysiciansOfRecord, DCM_PhysiciansOfRecordIdentificationSequence,
  DCM_PerformingPhysicianName, DCM_PerformingPhysicianIdentificationSequence,
  DCM_NameOfPhysiciansReadingStudy, DCM_PhysiciansReadingStudyIdentificationSequence,
  DCM_OperatorsName, DCM_OperatorIdentificationSequence, DCM_AdmittingDiagnosesDescription,
  DCM_AdmittingDiagnosesCodeSequence, DCM_DerivationDescription, DCM_IssuerOfPatientID,
  DCM_PatientBirthTime, DCM_PatientInsurancePlanCodeSequence, DCM_PatientPrimaryLanguageCodeSequence,
  DCM_RETIRED_OtherPatientIDs, DCM_OtherPatientNames, DCM_OtherPatientIDsSequence, DCM_PatientBirthName,
  DCM_PatientAge, DCM_PatientSize, DCM_PatientWeight, DCM_PatientAddress,
  DCM_RETIRED_InsurancePlanIdentification, DCM_PatientMotherBirthName, DCM_MilitaryRank,
  DCM_BranchOfService, DCM_RETIRED_MedicalRecordLocator, DCM_MedicalAlerts, DCM_Allergies,
  DCM_CountryOfResidence, DCM_RegionOfResidence, DCM_PatientTelephoneNumbers, DCM_EthnicGroup,
  DCM_Occupation, DCM_SmokingStatus, DCM_AdditionalPatientHistory, DCM_PregnancyStatus,
  DCM_LastMenstrualDate, DCM_PatientReligiousPreference, DCM_PatientComments,
  DCM_ResponsiblePerson, DCM_ResponsibleOrganization, DCM_DeviceSerialNumber, DCM_ProtocolName,
  DCM_ImageComments, DCM_FrameComments, DCM_RequestingPhysician, DCM_RequestingService,
  DCM_RequestedProcedureDescription, DCM_RequestAttributesSequence,
  DCM_PerformedProcedureStepStartDate, DCM_PerformedProcedureStepStartTime,
  DCM_PerformedProcedureStepID, DCM_PerformedProcedureStepDescription, DCM_AdmissionID,
  DCM_PatientState, DCM_TextValue, DCM_PersonName,
};

void
hz_dicom_init ()
{
  static std::once_flag once;
  std::call_once (once, [] {
    /* DCMTK logs its parse warnings to stderr by default; errors reach
     * the caller as a GError instead */
    OFLog::configure (OFLogger::FATAL_LOG_LEVEL);
    DJDecoderRegistration::registerCodecs ();
    DJLSDecoderRegistration::registerCodecs ();
    DcmRLEDecoderRegistration::registerCodecs ();
  });
}

bool
in_list (const DcmTagKey &key, const DcmTagKey *list, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    if (list[i] == key)
      return true;
  }
  return false;
}

/* Every UID that is not a DICOM-defined one (1.2.840.10008.*: SOP
 * classes, transfer syntaxes, coding schemes) is replaced, in each item. */
void
map_uids (DcmElement *el, const HzDicomOptions *opts)
{
  OFString value, out;
  size_t start = 0;

  if (el->getOFStringArray (value).bad () || value.empty ())
    return;
  while (start <= value.size ()) {
    size_t end = value.find ('\\', start);
    OFString one = value.substr (start, end == OFString_npos ? OFString_npos : end - start);
    if (!out.empty () || start > 0)
      out += "\\";
    if (one.empty () || one.compare (0, 14, "1.2.840.10008.") == 0) {
      out += one;
    } else {
      char *mapped = hz_dicom_map_uid (opts->uid_key, opts->uid_key_len, one.c_str ());
      out += mapped;
      g_free (mapped);
    }
    if (end == OFString_npos)
      break;
    start = end + 1;
  }
  el->putOFStringArray (out);
}

void
deidentify_item (DcmItem *item, const HzDicomOptions *opts, unsigned depth)
{
  for (unsigned long i = item->card (); i-- > 0;) {
    DcmElement *el = item->getElement (i);
    const DcmTag &tag = el->getTag ();
    DcmTagKey key = tag.getXTag ();
    Uint16 g = key.getGroup ();

    /* private attributes; curves (50xx); overlay data and comments (60xx) */
    if (tag.isPrivate () || (g >= 0x5000 && g <= 0x50ff && g % 2 == 0) ||
        (g >= 0x6000 && g <= 0x60ff && g % 2 == 0 &&
         (key.getElement () == 0x3000 || key.getElement () == 0x4000)) ||
        in_list (key, removed_tags, G_N_ELEMENTS (removed_tags))) {
      delete item->remove (i);
      continue;
    }
    if (in_list (key, empty_tags, G_N_ELEMENTS (empty_tags))) {
      el->clear ();
      continue;
    }
    if (el->ident () == EVR_UI) {
      map_uids (el, opts);
    } else if (el->ident () == EVR_SQ && depth < HZ_DICOM_MAX_DEPTH) {
      DcmSequenceOfItems *sq = static_cast<DcmSequenceOfItems *> (el);
      for (unsigned long j = 0; j < sq->card (); j++)
        deidentify_item (sq->getItem (j), opts, depth + 1);
    }
  }
}

void
deidentify (DcmDataset *ds, const HzDicomOptions *opts)
{
  DcmItem *code = NULL;

  deidentify_item (ds, opts, 0);
  ds->putAndInsertString (DCM_PatientIdentityRemoved, "YES");
  ds->putAndInsertString (DCM_DeidentificationMethod,
                          "Huizhen: DICOM PS3.15 E.1 Basic Application Level Confidentiality Profile");
  ds->findAndDeleteElement (DCM_DeidentificationMethodCodeSequence);
  if (ds->findOrCreateSequenceItem (DCM_DeidentificationMethodCodeSequence, code, 0).good () && code != NULL) {
    code->putAndInsertString (DCM_CodeValue, "113100");
    code->putAndInsertString (DCM_CodingSchemeDesignator, "DCM");
    code->putAndInsertString (DCM_CodeMeaning, "Basic Application Confidentiality Profile");
  }
}

char *
get_string (DcmItem *ds, const DcmTagKey &key)
{
  OFString v;
  if (ds->findAndGetOFString (key, v).bad () || v.empty ())
    return NULL;
  return g_strdup (v.c_str ());
}

bool
get_doubles (DcmItem *ds, const DcmTagKey &key, gdouble *out, unsigned n)
{
  for (unsigned i = 0; i < n; i++) {
    Float64 v = 0;
    if (ds->findAndGetFloat64 (key, v, i).bad ())
      return false;
    out[i] = v;
  }
  return true;
}

/* The attributes a viewer needs, and the checks a viewer would trip on. */
HzDicomInfo *
describe (DcmDataset *ds, GError **error)
{
  g_autoptr(HzDicomInfo) info = g_new0 (HzDicomInfo, 1);
  Uint16 u16 = 0;
  Sint32 s32 = 0;
  Float64 f64 = 0;
  DcmElement *pixels = NULL;

  info->sop_class_uid = get_string (ds, DCM_SOPClassUID);
  info->study_uid = get_string (ds, DCM_StudyInstanceUID);
  info->series_uid = get_string (ds, DCM_SeriesInstanceUID);
  info->instance_uid = get_string (ds, DCM_SOPInstanceUID);
  if (info->sop_class_uid == NULL || info->study_uid == NULL || info->series_uid == NULL ||
      info->instance_uid == NULL) {
    g_set_error_literal (error, HZ_DICOM_ERROR, HZ_DICOM_ERROR_MALFORMED,
                         "not a usable DICOM instance: SOP class, study, series or instance UID missing");
    return NULL;
  }
  info->transfer_syntax = g_strdup (DcmXfer (ds->getOriginalXfer ()).getXferID ());
  info->modality = get_string (ds, DCM_Modality);
  info->study_description = get_string (ds, DCM_StudyDescription);
  info->series_description = get_string (ds, DCM_SeriesDescription);
  info->photometric = get_string (ds, DCM_PhotometricInterpretation);
  if (ds->findAndGetUint16 (DCM_Rows, u16).good ())
    info->rows = u16;
  if (ds->findAndGetUint16 (DCM_Columns, u16).good ())
    info->columns = u16;
  if (ds->findAndGetUint16 (DCM_BitsAllocated, u16).good ())
    info->bits_allocated = u16;
  if (ds->findAndGetUint16 (DCM_SamplesPerPixel, u16).good ())
    info->samples_per_pixel = u16;
  if (ds->findAndGetSint32 (DCM_InstanceNumber, s32).good ()) {
    info->has_instance_number = TRUE;
    info->instance_number = s32;
  }
  if (ds->findAndGetSint32 (DCM_SeriesNumber, s32).good ()) {
    info->has_series_number = TRUE;
    info->series_number = s32;
  }
  if (ds->findAndGetFloat64 (DCM_SliceLocation, f64).good ()) {
    info->has_slice_location = TRUE;
    info->slice_location = f64;
  }
  info->has_position = get_doubles (ds, DCM_ImagePositionPatient, info->image_position, 3);
  info->has_spacing = get_doubles (ds, DCM_PixelSpacing, info->pixel_spacing, 2);
  info->has_window = get_doubles (ds, DCM_WindowCenter, &info->window_center, 1) &&
                     get_doubles (ds, DCM_WindowWidth, &info->window_width, 1);
  if (ds->findAndGetElement (DCM_PixelData, pixels).good () && pixels != NULL) {
    info->frames = 1;
    if (ds->findAndGetSint32 (DCM_NumberOfFrames, s32).good ()) {
      if (s32 < 1 || s32 > 100000) {
        g_set_error (error, HZ_DICOM_ERROR, HZ_DICOM_ERROR_MALFORMED, "implausible number of frames %d", (int) s32);
        return NULL;
      }
      info->frames = (guint) s32;
    }
    if (info->rows == 0 || info->columns == 0 || info->bits_allocated == 0 || info->samples_per_pixel == 0 ||
        info->bits_allocated > 64 || info->samples_per_pixel > 4) {
      g_set_error_literal (error, HZ_DICOM_ERROR, HZ_DICOM_ERROR_MALFORMED,
                           "image without usable rows, columns, bits allocated or samples per pixel");
      return NULL;
    }
    if (!DcmXfer (ds->getOriginalXfer ()).isEncapsulated () && ds->getOriginalXfer () == ds->getCurrentXfer ()) {
      guint64 need = (guint64) info->rows * info->columns * info->frames * info->samples_per_pixel *
                     info->bits_allocated / 8;
      if (need > pixels->getLength ()) {
        g_set_error (error, HZ_DICOM_ERROR, HZ_DICOM_ERROR_MALFORMED,
                     "pixel data has %u bytes, the image needs %" G_GUINT64_FORMAT,
                     (unsigned) pixels->getLength (), need);
        return NULL;
      }
    }
  }
  return (HzDicomInfo *) g_steal_pointer (&info);
}

enum class Plan { KEEP, DECODE, REFUSE };

/* What the browser viewer (Cornerstone3D's image loader) shows as is, what
 * DCMTK decodes for it, what is refused. */
Plan
plan_for (E_TransferSyntax xfer)
{
  switch (xfer) {
  case EXS_LittleEndianImplicit:
  case EXS_LittleEndianExplicit:
  case EXS_JPEGProcess1:
  case EXS_JPEG2000LosslessOnly:
  case EXS_JPEG2000:
    return Plan::KEEP;
  case EXS_BigEndianExplicit:
  case EXS_JPEGProcess2_4:
  case EXS_JPEGProcess14:
  case EXS_JPEGProcess14SV1:
  case EXS_JPEGLSLossless:
  case EXS_JPEGLSLossy:
  case EXS_RLELossless:
    return Plan::DECODE;
  default:
    return Plan::REFUSE;
  }
}

bool
transcode (DcmDataset *ds, const HzDicomInfo *info, guint64 input_len, GError **error)
{
  E_TransferSyntax xfer = ds->getOriginalXfer ();
  guint64 size = (guint64) info->rows * info->columns * info->frames * info->samples_per_pixel *
                 ((info->bits_allocated + 7) / 8);
  guint64 limit = MIN (HZ_DICOM_MAX_DECODED, MAX (HZ_DICOM_DECODED_FLOOR, input_len * HZ_DICOM_MAX_RATIO));

  if (size > limit) {
    g_set_error (error, HZ_DICOM_ERROR, HZ_DICOM_ERROR_UNSUPPORTED,
                 "%s pixel data would decode to %" G_GUINT64_FORMAT " bytes, more than is plausible "
                 "for this file or allowed (1 GiB); not transcoded", DcmXfer (xfer).getXferName (), size);
    return false;
  }
  if (ds->chooseRepresentation (EXS_LittleEndianExplicit, NULL).bad () ||
      !ds->canWriteXfer (EXS_LittleEndianExplicit)) {
    g_set_error (error, HZ_DICOM_ERROR, HZ_DICOM_ERROR_UNSUPPORTED,
                 "the pixel data (%s) could not be decoded", DcmXfer (xfer).getXferName ());
    return false;
  }
  return true;
}

/* Loads into ff (from a file or a buffer), checks and applies opts.
 * *changed says whether the dataset differs from the input. */
HzDicomInfo *
process (DcmFileFormat &ff, const HzDicomOptions *opts, guint64 input_len, bool *changed, GError **error)
{
  DcmDataset *ds = ff.getDataset ();
  g_autoptr(HzDicomInfo) info = describe (ds, error);
  Plan plan;

  *changed = false;
  if (info == NULL)
    return NULL;
  plan = plan_for (ds->getOriginalXfer ());
  if (plan == Plan::REFUSE && info->frames > 0) {
    g_set_error (error, HZ_DICOM_ERROR, HZ_DICOM_ERROR_UNSUPPORTED,
                 "the viewer cannot show %s pixel data and it cannot be decoded here; "
                 "export the study uncompressed, JPEG or JPEG 2000",
                 DcmXfer (ds->getOriginalXfer ()).getXferName ());
    return NULL;
  }
  if (plan == Plan::DECODE && info->frames > 0) {
    if (!transcode (ds, info, input_len, error))
      return NULL;
    *changed = true;
  }
  if (opts != NULL && opts->deidentify) {
    g_return_val_if_fail (opts->uid_key != NULL && opts->uid_key_len > 0, NULL);
    deidentify (ds, opts);
    *changed = true;
  }
  if (*changed) {
    bool transcoded = plan == Plan::DECODE && info->frames > 0;
    g_clear_pointer (&info, hz_dicom_info_free);
    info = describe (ds, error);
    if (info == NULL)
      return NULL;
    info->transcoded = transcoded;
    info->deidentified = opts != NULL && opts->deidentify;
    if (transcoded) {
      g_free (info->transfer_syntax);
      info->transfer_syntax = g_strdup (UID_LittleEndianExplicitTransferSyntax);
    }
  }
  return (HzDicomInfo *) g_steal_pointer (&info);
}

void
set_dcmtk_error (GError **error, const char *what, const OFCondition &c)
{
  g_set_error (error, HZ_DICOM_ERROR, HZ_DICOM_ERROR_MALFORMED, "not a valid DICOM file: %s (%s)", what,
               c.text ());
}

} /* namespace */

HzDicomInfo *
hz_dicom_process_file (const char *in_path, const char *out_path, const HzDicomOptions *opts,
                       gboolean *rewritten, GError **error)
{
  g_return_val_if_fail (in_path != NULL && out_path != NULL && rewritten != NULL, NULL);
  *rewritten = FALSE;
  try {
    g_autoptr(GMappedFile) map = g_mapped_file_new (in_path, FALSE, NULL);
    DcmFileFormat ff;
    OFCondition c;
    HzDicomInfo *info;
    bool changed = false;

    hz_dicom_init ();
    if (map == NULL) {
      g_set_error (error, HZ_DICOM_ERROR, HZ_DICOM_ERROR_IO, "cannot read %s", in_path);
      return NULL;
    }
    if (!hz_dicom_scan ((const guint8 *) g_mapped_file_get_contents (map), g_mapped_file_get_length (map),
                        NULL, error))
      return NULL;
    /* values above 4 KiB stay on disk until written (lazy loading) */
    c = ff.loadFile (OFFilename (in_path), EXS_Unknown, EGL_noChange, DCM_MaxReadLength, ERM_fileOnly);
    if (c.bad ()) {
      set_dcmtk_error (error, "DCMTK could not read it", c);
      return NULL;
    }
    info = process (ff, opts, g_mapped_file_get_length (map), &changed, error);
    if (info == NULL || !changed)
      return info;
    c = ff.saveFile (OFFilename (out_path), info->transcoded ? EXS_LittleEndianExplicit : EXS_Unknown,
                     EET_ExplicitLength, EGL_recalcGL, EPD_noChange, 0, 0, EWM_createNewMeta);
    if (c.bad ()) {
      hz_dicom_info_free (info);
      g_set_error (error, HZ_DICOM_ERROR, HZ_DICOM_ERROR_IO, "cannot write %s: %s", out_path, c.text ());
      return NULL;
    }
    *rewritten = TRUE;
    return info;
  } catch (const std::bad_alloc &) {
    g_set_error_literal (error, HZ_DICOM_ERROR, HZ_DICOM_ERROR_MALFORMED, "not a valid DICOM file: out of memory");
  } catch (const std::exception &e) {
    g_set_error (error, HZ_DICOM_ERROR, HZ_DICOM_ERROR_MALFORMED, "not a valid DICOM file: %s", e.what ());
  } catch (...) {
    g_set_error_literal (error, HZ_DICOM_ERROR, HZ_DICOM_ERROR_MALFORMED, "not a valid DICOM file");
  }
  return NULL;
}

HzDicomInfo *
hz_dicom_inspect_buffer (const guint8 *data, gsize len, const HzDicomOptions *opts, GError **error)
{
  g_return_val_if_fail (data != NULL || len == 0, NULL);
  try {
    DcmFileFormat ff;
    DcmInputBufferStream is;
    OFCondition c;
    bool changed = false;

    hz_dicom_init ();
    if (!hz_dicom_scan (data, len, NULL, error))
      return NULL;
    is.setBuffer (data, (offile_off_t) len);
    is.setEos ();
    ff.transferInit ();
    c = ff.read (is, EXS_Unknown, EGL_noChange, DCM_MaxReadLength);
    ff.transferEnd ();
    if (c.bad ()) {
      set_dcmtk_error (error, "DCMTK could not read it", c);
      return NULL;
    }
    return process (ff, opts, len, &changed, error);
  } catch (const std::bad_alloc &) {
    g_set_error_literal (error, HZ_DICOM_ERROR, HZ_DICOM_ERROR_MALFORMED, "not a valid DICOM file: out of memory");
  } catch (const std::exception &e) {
    g_set_error (error, HZ_DICOM_ERROR, HZ_DICOM_ERROR_MALFORMED, "not a valid DICOM file: %s", e.what ());
  } catch (...) {
    g_set_error_literal (error, HZ_DICOM_ERROR, HZ_DICOM_ERROR_MALFORMED, "not a valid DICOM file");
  }
  return NULL;
}
