/*
 * Tests of documents/hz-dicom (the structure scan and the DCMTK shim) on
 * files written by hz-dicom-fixture: attributes of a CT series and a
 * multi-frame image, de-identification checked with DCMTK's dcmdump and
 * on the pixel bytes, JPEG-LS transcoded losslessly, and hostile files
 * (not DICOM, truncated, absurd lengths, deep nesting) refused cleanly.
 */
#define _GNU_SOURCE /* memmem */
#include <glib/gstdio.h>
#include <string.h>

#include "hz-dicom.h"
#include "hz-dicom-fixture.h"

static gboolean
have_program (const char *name)
{
  g_autofree char *path = g_find_program_in_path (name);
  return path != NULL;
}

static const guint8 test_key[32] = "0123456789abcdef0123456789abcdef";

static char *
tmpdir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("hz-dicom-XXXXXX", &error);
  g_assert_no_error (error);
  return dir;
}

static void
rmtree (const char *dir)
{
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", dir);
  g_spawn_command_line_sync (cmd, NULL, NULL, NULL, NULL);
}

static GBytes *
slurp (const char *path)
{
  char *data = NULL;
  gsize len = 0;
  g_autoptr(GError) error = NULL;

  g_file_get_contents (path, &data, &len, &error);
  g_assert_no_error (error);
  return g_bytes_new_take (data, len);
}

static char *
dcmdump (const char *path)
{
  g_autofree char *cmd = g_strdup_printf ("dcmdump '%s'", path);
  char *out = NULL;
  gint status = 0;

  g_assert_true (g_spawn_command_line_sync (cmd, &out, NULL, &status, NULL));
  g_assert_cmpint (status, ==, 0);
  return out;
}

static void
test_series (void)
{
  g_autofree char *dir = tmpdir ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) paths = hz_dicom_fixture_ct_series (dir, 8, FALSE, &error);
  g_autofree char *out = g_build_filename (dir, "out.dcm", NULL);

  g_assert_no_error (error);
  for (guint i = 0; i < paths->len; i++) {
    gboolean rewritten = TRUE;
    g_autoptr(HzDicomInfo) info = hz_dicom_process_file (g_ptr_array_index (paths, i), out, NULL, &rewritten, &error);
    g_assert_no_error (error);
    g_assert_false (rewritten); /* nothing to change: the original is served */
    g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
    g_assert_cmpstr (info->study_uid, ==, HZ_FIXTURE_STUDY_UID);
    g_assert_cmpstr (info->series_uid, ==, "1.2.826.0.1.3680043.8.498.1001.2");
    g_assert_cmpstr (info->modality, ==, "CT");
    g_assert_cmpuint (info->rows, ==, 16);
    g_assert_cmpuint (info->columns, ==, 16);
    g_assert_cmpuint (info->frames, ==, 1);
    g_assert_true (info->has_instance_number);
    g_assert_cmpint (info->instance_number, ==, i + 1);
    g_assert_true (info->has_slice_location);
    g_assert_cmpfloat_with_epsilon (info->slice_location, -50.0 + 2.5 * i, 1e-9);
    g_assert_true (info->has_window);
    g_assert_cmpfloat (info->window_width, ==, 400);
    g_assert_cmpfloat_with_epsilon (info->pixel_spacing[0], 0.7, 1e-9);
  }
  rmtree (dir);
}

static void
test_multiframe (void)
{
  g_autofree char *dir = tmpdir ();
  g_autoptr(GError) error = NULL;
  g_autofree char *path = hz_dicom_fixture_multiframe (dir, 6, &error);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(HzDicomInfo) info = NULL;

  g_assert_no_error (error);
  bytes = slurp (path);
  info = hz_dicom_inspect_buffer (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (info->frames, ==, 6);
  g_assert_cmpstr (info->series_uid, ==, "1.2.826.0.1.3680043.8.498.1001.3");
  rmtree (dir);
}

/* The pixel data is the last element: its value is the file's tail. */
static void
assert_pixels_equal (const char *a, const char *b, gsize n)
{
  g_autoptr(GBytes) x = slurp (a);
  g_autoptr(GBytes) y = slurp (b);
  const guint8 *px = g_bytes_get_data (x, NULL), *py = g_bytes_get_data (y, NULL);

  g_assert_cmpuint (g_bytes_get_size (x), >=, n);
  g_assert_cmpuint (g_bytes_get_size (y), >=, n);
  g_assert_cmpmem (px + g_bytes_get_size (x) - n, n, py + g_bytes_get_size (y) - n, n);
}

static void
deidentify_series (gboolean implicit)
{
  g_autofree char *dir = tmpdir ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) paths = hz_dicom_fixture_ct_series (dir, 3, implicit, &error);
  g_autofree char *study = NULL;
  HzDicomOptions opts = { TRUE, test_key, sizeof (test_key) };

  g_assert_no_error (error);
  if (!have_program ("dcmdump")) {
    g_test_skip ("dcmdump (Debian dcmtk) is not installed");
    rmtree (dir);
    return;
  }
  for (guint i = 0; i < paths->len; i++) {
    g_autofree char *out = g_strdup_printf ("%s/deid-%u.dcm", dir, i);
    g_autofree char *dump = NULL;
    g_autofree char *mapped = NULL;
    gboolean rewritten = FALSE;
    g_autoptr(HzDicomInfo) info = hz_dicom_process_file (g_ptr_array_index (paths, i), out, &opts, &rewritten, &error);

    g_assert_no_error (error);
    g_assert_true (rewritten);
    g_assert_true (info->deidentified);
    dump = dcmdump (out);
    /* identifying values are gone: emptied (Z) or removed (X) */
    g_assert_null (strstr (dump, "Zhang"));
    g_assert_null (strstr (dump, HZ_FIXTURE_PATIENT_ID));
    g_assert_null (strstr (dump, HZ_FIXTURE_BIRTH_DATE));
    g_assert_null (strstr (dump, "Xiangyang"));
    g_assert_null (strstr (dump, "OTHER-77"));
    g_assert_null (strstr (dump, "ACC-991"));
    g_assert_null (strstr (dump, "Li^Si"));
    g_assert_null (strstr (dump, "secret ward"));   /* private tag */
    g_assert_null (strstr (dump, "HUIZHEN TEST"));  /* its creator */
    g_assert_null (strstr (dump, "20240301"));      /* study date */
    g_assert_nonnull (strstr (dump, "(0010,0010) PN (no value available)"));
    g_assert_nonnull (strstr (dump, "(0012,0062) CS [YES]"));
    g_assert_nonnull (strstr (dump, "(0012,0063) LO [Huizhen"));
    g_assert_nonnull (strstr (dump, "113100"));
    /* the original UIDs are gone, replaced consistently */
    g_assert_null (strstr (dump, "1.2.826.0.1.3680043.8.498.1001"));
    mapped = hz_dicom_map_uid (test_key, sizeof (test_key), HZ_FIXTURE_STUDY_UID);
    g_assert_cmpstr (info->study_uid, ==, mapped);
    if (study == NULL)
      study = g_strdup (info->study_uid);
    g_assert_cmpstr (info->study_uid, ==, study);
    g_assert_nonnull (strstr (dump, info->instance_uid));
    /* the SOP class is a DICOM-defined UID: kept */
    g_assert_cmpstr (info->sop_class_uid, ==, "1.2.840.10008.5.1.4.1.1.2");
    /* what a viewer needs survives */
    g_assert_cmpint (info->instance_number, ==, i + 1);
    g_assert_cmpuint (info->rows, ==, 16);
    assert_pixels_equal (g_ptr_array_index (paths, i), out, HZ_FIXTURE_ROWS * HZ_FIXTURE_COLUMNS * 2);
  }
  rmtree (dir);
}

static void
test_deidentify (void)
{
  deidentify_series (FALSE);
}

static void
test_deidentify_implicit (void)
{
  deidentify_series (TRUE);
}

static void
test_map_uid (void)
{
  g_autofree char *a = hz_dicom_map_uid (test_key, sizeof (test_key), "1.2.3.4");
  g_autofree char *b = hz_dicom_map_uid (test_key, sizeof (test_key), "1.2.3.4");
  g_autofree char *c = hz_dicom_map_uid (test_key, sizeof (test_key), "1.2.3.5");
  g_autofree char *d = hz_dicom_map_uid ((const guint8 *) "another room key", 16, "1.2.3.4");

  g_assert_true (g_str_has_prefix (a, "2.25."));
  g_assert_cmpuint (strlen (a), <=, 64);
  g_assert_cmpstr (a, ==, b);
  g_assert_cmpstr (a, !=, c);
  g_assert_cmpstr (a, !=, d);
}

static void
test_transcode_jpegls (void)
{
  g_autofree char *dir = tmpdir ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) paths = hz_dicom_fixture_ct_series (dir, 1, FALSE, &error);
  g_autofree char *jls = g_build_filename (dir, "jls.dcm", NULL);
  g_autofree char *out = g_build_filename (dir, "out.dcm", NULL);
  g_autofree char *cmd = NULL;
  g_autoptr(HzDicomInfo) info = NULL;
  gboolean rewritten = FALSE;
  gint status = 1;

  g_assert_no_error (error);
  if (!have_program ("dcmcjpls")) {
    g_test_skip ("dcmcjpls (Debian dcmtk) is not installed");
    rmtree (dir);
    return;
  }
  cmd = g_strdup_printf ("dcmcjpls '%s' '%s'", (char *) g_ptr_array_index (paths, 0), jls);
  g_assert_true (g_spawn_command_line_sync (cmd, NULL, NULL, &status, NULL));
  g_assert_cmpint (status, ==, 0);
  info = hz_dicom_process_file (jls, out, NULL, &rewritten, &error);
  g_assert_no_error (error);
  g_assert_true (rewritten);
  g_assert_true (info->transcoded);
  g_assert_cmpstr (info->transfer_syntax, ==, "1.2.840.10008.1.2.1");
  /* lossless: the decoded pixels are the original ones */
  assert_pixels_equal (g_ptr_array_index (paths, 0), out, HZ_FIXTURE_ROWS * HZ_FIXTURE_COLUMNS * 2);
  rmtree (dir);
}

/* A Part 10 header (preamble, DICM, group 0002 with the transfer syntax)
 * followed by body. */
static GByteArray *
part10 (const char *ts, const guint8 *body, gsize len)
{
  GByteArray *b = g_byte_array_new ();
  guint8 zero[128] = { 0 };
  gsize tslen = strlen (ts) + (strlen (ts) % 2);
  /* (0002,0010) UI, 16-bit length, value padded with NUL to even */
  guint8 hdr[8] = { 0x02, 0x00, 0x10, 0x00, 'U', 'I', (guint8) tslen, 0 };

  g_byte_array_append (b, zero, 128);
  g_byte_array_append (b, (const guint8 *) "DICM", 4);
  g_byte_array_append (b, hdr, 8);
  g_byte_array_append (b, (const guint8 *) ts, strlen (ts));
  if (strlen (ts) % 2)
    g_byte_array_append (b, zero, 1);
  g_byte_array_append (b, body, len);
  return b;
}

static void
assert_refused (GByteArray *b, gint code, const char *words)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HzDicomInfo) info = hz_dicom_inspect_buffer (b->data, b->len, NULL, &error);

  g_assert_null (info);
  g_assert_error (error, HZ_DICOM_ERROR, code);
  if (words != NULL && strstr (error->message, words) == NULL)
    g_error ("\"%s\" does not say \"%s\"", error->message, words);
  g_byte_array_unref (b);
}

#define EXPLICIT_LE "1.2.840.10008.1.2.1"
#define IMPLICIT_LE "1.2.840.10008.1.2"

static void
test_hostile (void)
{
  /* (0010,0010) PN claiming 0xfff0 bytes, 4 present */
  static const guint8 long_pn[] = { 0x10, 0x00, 0x10, 0x00, 'P', 'N', 0xf0, 0xff, 'A', 'B', 'C', 'D' };
  /* (7fe0,0010) OW, reserved, 32-bit length 0x7ffffff0, 2 bytes present */
  static const guint8 huge_ow[] = { 0xe0, 0x7f, 0x10, 0x00, 'O', 'W', 0, 0, 0xf0, 0xff, 0xff, 0x7f, 1, 2 };
  /* an unknown VR "LC": read, as DCMTK does, with a 32-bit length (here
   * 1.9 GB, which DCMTK would try to allocate) */
  static const guint8 unknown_vr[] = { 0x09, 0x00, 0x01, 0x10, 'L', 'C', 0, 0, 0x72, 0x65, 0x65, 0x73, 'x', 'y' };
  /* an element header cut in the middle */
  static const guint8 cut[] = { 0x10, 0x00, 0x10 };
  /* undefined length on a plain string value */
  static const guint8 undef_ut[] = { 0x10, 0x00, 0x20, 0x00, 'U', 'T', 0, 0, 0xff, 0xff, 0xff, 0xff };
  /* structurally fine, but no UIDs: (0010,0010) PN "AB" */
  static const guint8 no_uids[] = { 0x10, 0x00, 0x10, 0x00, 'P', 'N', 2, 0, 'A', 'B' };
  /* a meta element with an unknown VR "LU": DCMTK would take the whole
   * meta header for implicit VR and read "LU.." as a 3 GB length */
  static const guint8 meta_lu[] = { 0x02, 0x00, 0x00, 0x00, 'L', 'U', 0x04, 0xb2, 0, 0, 0, 0 };
  GByteArray *deep = g_byte_array_new ();
  GByteArray *odd_meta = part10 (EXPLICIT_LE, no_uids, sizeof (no_uids));
  GByteArray *deep_implicit = g_byte_array_new ();
  g_autoptr(GByteArray) text = g_byte_array_new ();
  guint32 inner = 0;

  g_byte_array_append (text, (const guint8 *) "%PDF-1.4 this is not a DICOM file at all", 40);
  assert_refused (g_byte_array_ref (text), HZ_DICOM_ERROR_NOT_DICOM, "DICM");
  assert_refused (part10 (EXPLICIT_LE, long_pn, sizeof (long_pn)), HZ_DICOM_ERROR_MALFORMED, "past the end");
  assert_refused (part10 (EXPLICIT_LE, huge_ow, sizeof (huge_ow)), HZ_DICOM_ERROR_MALFORMED, "past the end");
  assert_refused (part10 (EXPLICIT_LE, cut, sizeof (cut)), HZ_DICOM_ERROR_MALFORMED, "truncated");
  assert_refused (part10 (EXPLICIT_LE, unknown_vr, sizeof (unknown_vr)), HZ_DICOM_ERROR_MALFORMED, "past the end");
  assert_refused (part10 (EXPLICIT_LE, no_uids, sizeof (no_uids)), HZ_DICOM_ERROR_MALFORMED, "UID missing");
  assert_refused (part10 ("1.2.840.10008.1.2.1.99", no_uids, sizeof (no_uids)), HZ_DICOM_ERROR_UNSUPPORTED,
                  "deflated");
  assert_refused (part10 (EXPLICIT_LE, undef_ut, sizeof (undef_ut)), HZ_DICOM_ERROR_MALFORMED, "undefined length");
  g_byte_array_remove_range (odd_meta, 0, 132);
  g_byte_array_prepend (odd_meta, meta_lu, sizeof (meta_lu));
  g_byte_array_prepend (odd_meta, (const guint8 *) "DICM", 4);
  for (guint i = 0; i < 128; i++)
    g_byte_array_prepend (odd_meta, (const guint8 *) "", 1);
  assert_refused (odd_meta, HZ_DICOM_ERROR_MALFORMED, "meta header");
  /* 5000 nested sequences of undefined length: (0008,1115) SQ, an item */
  for (guint i = 0; i < 5000; i++) {
    static const guint8 sq[] = { 0x08, 0x00, 0x15, 0x11, 'S', 'Q', 0, 0, 0xff, 0xff, 0xff, 0xff,
                                 0xfe, 0xff, 0x00, 0xe0, 0xff, 0xff, 0xff, 0xff };
    g_byte_array_append (deep, sq, sizeof (sq));
  }
  assert_refused (part10 (EXPLICIT_LE, deep->data, deep->len), HZ_DICOM_ERROR_MALFORMED, "too deep");
  g_byte_array_unref (deep);
  /* the same in implicit VR with defined lengths, built inside out:
   * (0008,1115) len, item (fffe,e000) len, ... */
  for (guint i = 0; i < 2000; i++) {
    guint8 hdr[16] = { 0x08, 0x00, 0x15, 0x11, 0, 0, 0, 0, 0xfe, 0xff, 0x00, 0xe0, 0, 0, 0, 0 };
    guint32 item_len = inner, seq_len = inner + 8;
    memcpy (hdr + 4, &seq_len, 4);   /* little-endian host */
    memcpy (hdr + 12, &item_len, 4);
    g_byte_array_prepend (deep_implicit, hdr, sizeof (hdr));
    inner = deep_implicit->len;
  }
  assert_refused (part10 (IMPLICIT_LE, deep_implicit->data, deep_implicit->len), HZ_DICOM_ERROR_MALFORMED,
                  "too deep");
  g_byte_array_unref (deep_implicit);
}

/* A real file cut short, and one whose Rows promise more pixels than it has. */
static void
test_truncated_and_lying (void)
{
  g_autofree char *dir = tmpdir ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) paths = hz_dicom_fixture_ct_series (dir, 1, FALSE, &error);
  g_autoptr(GBytes) bytes = NULL;
  GByteArray *b;
  static const guint8 rows_tag[] = { 0x28, 0x00, 0x10, 0x00, 'U', 'S', 0x02, 0x00 };
  guint8 *hit;

  g_assert_no_error (error);
  bytes = slurp (g_ptr_array_index (paths, 0));
  b = g_byte_array_new ();
  g_byte_array_append (b, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes) - 100);
  assert_refused (b, HZ_DICOM_ERROR_MALFORMED, "past the end");

  b = g_byte_array_new ();
  g_byte_array_append (b, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  hit = memmem (b->data, b->len, rows_tag, sizeof (rows_tag));
  g_assert_nonnull (hit);
  hit[8] = 0x00; /* Rows = 0x4000 */
  hit[9] = 0x40;
  assert_refused (b, HZ_DICOM_ERROR_MALFORMED, "pixel data");
  rmtree (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/dicom/series", test_series);
  g_test_add_func ("/dicom/multiframe", test_multiframe);
  g_test_add_func ("/dicom/deidentify", test_deidentify);
  g_test_add_func ("/dicom/deidentify-implicit", test_deidentify_implicit);
  g_test_add_func ("/dicom/map-uid", test_map_uid);
  g_test_add_func ("/dicom/transcode-jpeg-ls", test_transcode_jpegls);
  g_test_add_func ("/dicom/hostile", test_hostile);
  g_test_add_func ("/dicom/truncated-and-lying", test_truncated_and_lying);
  return g_test_run ();
}
