/*
 * Tests of documents/hz-documents and hz-multipart: content sniffing (not
 * the name), name sanitizing, PNG/JPEG/PDF structure checks (bombs and
 * truncations refused), the streaming multipart reader (boundaries split
 * across chunks, count and size limits as bytes arrive), and the store:
 * all or nothing, listed in series order, nothing left behind on refusal.
 */
#include <glib/gstdio.h>
#include <string.h>

#include "hz-dicom-fixture.h"
#include "hz-documents.h"
#include "hz-multipart.h"

static char *
tmpdir (void)
{
  char *dir = g_dir_make_tmp ("hz-docs-XXXXXX", NULL);
  g_assert_nonnull (dir);
  return dir;
}

static void
rmtree (const char *dir)
{
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", dir);
  g_spawn_command_line_sync (cmd, NULL, NULL, NULL, NULL);
}

static guint
count_entries (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  guint n = 0;

  while (d != NULL && g_dir_read_name (d) != NULL)
    n++;
  return n;
}

/* A 1x1 PNG: signature; IHDR (len 13: width 1, height 1, depth 8, colour
 * 0, compression, filter, interlace; CRC); IDAT (len 10, zlib of one
 * filter byte and one pixel); IEND. CRCs are not checked by us. */
static const guint8 png_1x1[] = {
  0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n',
  0, 0, 0, 13, 'I', 'H', 'D', 'R', 0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0, 0x3a, 0x7e, 0x9b, 0x55,
  0, 0, 0, 10, 'I', 'D', 'A', 'T', 0x78, 0x9c, 0x63, 0x60, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01, 0, 0, 0, 0,
  0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xae, 0x42, 0x60, 0x82,
};

/* A JPEG skeleton: SOI; SOF0 (len 11: precision 8, height 2, width 3, one
 * component); SOS (len 8); two bytes of scan data; EOI. */
static const guint8 jpeg_3x2[] = {
  0xff, 0xd8,
  0xff, 0xc0, 0x00, 0x0b, 0x08, 0x00, 0x02, 0x00, 0x03, 0x01, 0x01, 0x11, 0x00,
  0xff, 0xda, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3f, 0x00,
  0x12, 0x34,
  0xff, 0xd9,
};

static const char pdf_min[] = "%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

static char *
write_tmp (const char *dir, const char *name, const void *data, gsize len)
{
  char *path = g_build_filename (dir, name, NULL);
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, data, len, &error);
  g_assert_no_error (error);
  return path;
}

static void
test_sniff (void)
{
  guint8 dicm[132] = { 0 };

  memcpy (dicm + 128, "DICM", 4);
  g_assert_cmpint (hz_documents_sniff (dicm, sizeof (dicm)), ==, HZ_DOCUMENT_KIND_DICOM);
  g_assert_cmpint (hz_documents_sniff (dicm, 131), ==, HZ_DOCUMENT_KIND_UNKNOWN);
  g_assert_cmpint (hz_documents_sniff ((const guint8 *) pdf_min, 10), ==, HZ_DOCUMENT_KIND_PDF);
  g_assert_cmpint (hz_documents_sniff (png_1x1, sizeof (png_1x1)), ==, HZ_DOCUMENT_KIND_PNG);
  g_assert_cmpint (hz_documents_sniff (jpeg_3x2, sizeof (jpeg_3x2)), ==, HZ_DOCUMENT_KIND_JPEG);
  g_assert_cmpint (hz_documents_sniff ((const guint8 *) "<html>", 6), ==, HZ_DOCUMENT_KIND_UNKNOWN);
  g_assert_cmpint (hz_documents_sniff (NULL, 0), ==, HZ_DOCUMENT_KIND_UNKNOWN);
}

static void
test_sanitize (void)
{
  static const struct { const char *in, *out; } cases[] = {
    { "../../etc/passwd", "passwd" },
    { "C:\\Users\\doc\\scan.pdf", "scan.pdf" },
    { "a\nb\x01" "c\x7f.png", "abc.png" },
    { "say \"hi\".jpg", "say hi.jpg" },
    { "", "document" },
    { "..", "document" },
    { "dir/", "document" },
    { ".hidden", "hidden" },
    { "\xff\xfe bad utf8", "document" },
    { "胸部CT.dcm", "胸部CT.dcm" },
  };
  g_autofree char *longname = g_strnfill (500, 'x');
  g_autofree char *cut = hz_documents_sanitize_name (longname);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree char *got = hz_documents_sanitize_name (cases[i].in);
    g_assert_cmpstr (got, ==, cases[i].out);
  }
  g_assert_cmpuint (strlen (cut), ==, HZ_DOCUMENTS_NAME_MAX_CHARS);
  g_assert_true (hz_documents_id_valid ("1b4e28ba-2fa1-11d2-883f-0016d3cca427"));
  g_assert_false (hz_documents_id_valid ("../x"));
  g_assert_false (hz_documents_id_valid (""));
}

static void
assert_check (const char *dir, const void *data, gsize len, HzDocumentKind kind, gboolean ok)
{
  g_autofree char *path = write_tmp (dir, "check", data, len);
  g_autoptr(GError) error = NULL;
  gboolean res = hz_documents_check_file (path, kind, &error);

  g_assert_cmpint (res, ==, ok);
  if (!ok)
    g_assert_error (error, HZ_DOCUMENTS_ERROR, HZ_DOCUMENTS_ERROR_INVALID);
}

static void
test_checks (void)
{
  g_autofree char *dir = tmpdir ();
  guint8 bomb[sizeof (png_1x1)];
  guint8 jbomb[sizeof (jpeg_3x2)];
  static const char pdf_cut[] = "%PDF-1.7\n1 0 obj << /Length 99999 >> stream\nxxxx";

  assert_check (dir, png_1x1, sizeof (png_1x1), HZ_DOCUMENT_KIND_PNG, TRUE);
  assert_check (dir, png_1x1, sizeof (png_1x1) - 12, HZ_DOCUMENT_KIND_PNG, FALSE); /* no IEND */
  memcpy (bomb, png_1x1, sizeof (bomb));
  bomb[16] = 0x00; bomb[17] = 0x01; bomb[18] = 0x00; bomb[19] = 0x00; /* width 65536 */
  bomb[20] = 0x00; bomb[21] = 0x01; bomb[22] = 0x00; bomb[23] = 0x00; /* height 65536 */
  assert_check (dir, bomb, sizeof (bomb), HZ_DOCUMENT_KIND_PNG, FALSE);
  memcpy (bomb, png_1x1, sizeof (bomb));
  bomb[33] = 0x7f; /* IDAT length 0x7f00000a: past the end */
  assert_check (dir, bomb, sizeof (bomb), HZ_DOCUMENT_KIND_PNG, FALSE);

  assert_check (dir, jpeg_3x2, sizeof (jpeg_3x2), HZ_DOCUMENT_KIND_JPEG, TRUE);
  assert_check (dir, jpeg_3x2, sizeof (jpeg_3x2) - 2, HZ_DOCUMENT_KIND_JPEG, FALSE); /* no EOI */
  memcpy (jbomb, jpeg_3x2, sizeof (jbomb));
  jbomb[7] = 0xff; jbomb[8] = 0xff; jbomb[9] = 0xff; jbomb[10] = 0xff; /* 65535 x 65535 */
  assert_check (dir, jbomb, sizeof (jbomb), HZ_DOCUMENT_KIND_JPEG, FALSE);
  memcpy (jbomb, jpeg_3x2, sizeof (jbomb));
  jbomb[5] = 0xf0; /* SOF length past the end */
  assert_check (dir, jbomb, sizeof (jbomb), HZ_DOCUMENT_KIND_JPEG, FALSE);

  assert_check (dir, pdf_min, strlen (pdf_min), HZ_DOCUMENT_KIND_PDF, TRUE);
  assert_check (dir, pdf_cut, strlen (pdf_cut), HZ_DOCUMENT_KIND_PDF, FALSE);
  rmtree (dir);
}

#define BODY_3 \
  "preamble to ignore\r\n" \
  "--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"../a.pdf\"\r\nContent-Type: text/plain\r\n\r\n" \
  "first\r\n--X not a boundary\r\n" \
  "--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename*=UTF-8''%E8%83%B8.dcm\r\n\r\n" \
  "second" \
  "\r\n--XyZ\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\n" \
  "" \
  "\r\n--XyZ--\r\nepilogue"

static void
feed_all (HzMultipart *mp, const char *body, gsize step, GError **error)
{
  gsize len = strlen (body);

  for (gsize off = 0; off < len; off += step) {
    if (!hz_multipart_feed (mp, (const guint8 *) body + off, MIN (step, len - off), error))
      return;
  }
}

static void
test_multipart (void)
{
  g_autofree char *dir = tmpdir ();
  const gsize steps[] = { 1, 2, 3, 7, 1000 };

  for (guint s = 0; s < G_N_ELEMENTS (steps); s++) {
    g_autoptr(GError) error = NULL;
    g_autoptr(HzMultipart) mp = hz_multipart_new ("multipart/form-data; boundary=XyZ", dir, 10, 1000, &error);
    GPtrArray *parts;
    char *data = NULL;

    g_assert_no_error (error);
    feed_all (mp, BODY_3, steps[s], &error);
    g_assert_no_error (error);
    g_assert_true (hz_multipart_finish (mp, &error));
    parts = hz_multipart_get_parts (mp);
    g_assert_cmpuint (parts->len, ==, 3);
    g_assert_cmpstr (((HzMultipartPart *) parts->pdata[0])->filename, ==, "../a.pdf");
    g_assert_cmpstr (((HzMultipartPart *) parts->pdata[1])->filename, ==, "胸.dcm");
    g_assert_null (((HzMultipartPart *) parts->pdata[2])->filename);
    g_file_get_contents (((HzMultipartPart *) parts->pdata[0])->path, &data, NULL, NULL);
    g_assert_cmpstr (data, ==, "first\r\n--X not a boundary");
    g_free (data);
    g_file_get_contents (((HzMultipartPart *) parts->pdata[1])->path, &data, NULL, NULL);
    g_assert_cmpstr (data, ==, "second");
    g_free (data);
    g_assert_cmpuint (((HzMultipartPart *) parts->pdata[2])->size, ==, 0);
  }
  /* everything spooled is removed with the reader */
  g_assert_cmpuint (count_entries (dir), ==, 0);
  rmtree (dir);
}

static void
test_multipart_limits (void)
{
  g_autofree char *dir = tmpdir ();
  g_autoptr(GError) error = NULL;
  g_autoptr(HzMultipart) few = hz_multipart_new ("multipart/form-data; boundary=\"XyZ\"", dir, 2, 1000, &error);
  g_autoptr(HzMultipart) small = hz_multipart_new ("multipart/form-data; boundary=XyZ", dir, 10, 5, &error);
  g_autoptr(HzMultipart) open_ended = hz_multipart_new ("multipart/form-data; boundary=XyZ", dir, 10, 100, &error);

  g_assert_no_error (error);
  /* the third part is refused as it starts */
  feed_all (few, BODY_3, 4, &error);
  g_assert_error (error, HZ_DOCUMENTS_ERROR, HZ_DOCUMENTS_ERROR_TOO_MANY);
  g_clear_error (&error);
  /* "first..." passes 5 bytes: refused while streaming */
  feed_all (small, BODY_3, 4, &error);
  g_assert_error (error, HZ_DOCUMENTS_ERROR, HZ_DOCUMENTS_ERROR_TOO_LARGE);
  g_clear_error (&error);
  /* no closing boundary */
  feed_all (open_ended, "--XyZ\r\n\r\nabc", 100, &error);
  g_assert_no_error (error);
  g_assert_false (hz_multipart_finish (open_ended, &error));
  g_assert_error (error, HZ_DOCUMENTS_ERROR, HZ_DOCUMENTS_ERROR_BAD_REQUEST);
  g_clear_error (&error);
  g_assert_null (hz_multipart_new ("multipart/form-data", dir, 1, 1, &error));
  g_assert_error (error, HZ_DOCUMENTS_ERROR, HZ_DOCUMENTS_ERROR_BAD_REQUEST);
  g_clear_pointer (&few, hz_multipart_free);
  g_clear_pointer (&small, hz_multipart_free);
  g_clear_pointer (&open_ended, hz_multipart_free);
  g_assert_cmpuint (count_entries (dir), ==, 0);
  rmtree (dir);
}

#define ROOM "1b4e28ba-2fa1-41d2-883f-0016d3cca427"

static void
test_store (void)
{
  g_autofree char *data = tmpdir ();
  g_autofree char *src = tmpdir ();
  g_autofree char *spool = NULL;
  g_autofree char *room_dir = g_build_filename (data, "documents", ROOM, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_from_unix_utc (1700000000);
  g_autoptr(GPtrArray) series = hz_dicom_fixture_ct_series (src, 4, FALSE, &error);
  g_autoptr(GPtrArray) staged = g_ptr_array_new_with_free_func ((GDestroyNotify) hz_documents_staged_free);
  g_autoptr(JsonNode) list = NULL;
  g_autoptr(JsonNode) meta = NULL;
  g_autofree char *content = NULL;
  g_autofree char *pdf = NULL;
  g_autofree char *fake = NULL;
  HzDocumentsStaged *st;
  JsonArray *docs;

  g_assert_no_error (error);
  spool = hz_documents_spool_dir (data, &error);
  g_assert_no_error (error);
  /* shared in reverse: listed by instance number */
  for (guint i = series->len; i-- > 0;) {
    g_autofree char *name = g_path_get_basename (g_ptr_array_index (series, i));
    st = hz_documents_stage (data, ROOM, g_ptr_array_index (series, i), name, FALSE, "dr-wang", now, &error);
    g_assert_no_error (error);
    g_ptr_array_add (staged, st);
  }
  /* staged is not stored: the room has nothing yet */
  list = hz_documents_list_json (data, ROOM);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (json_node_get_object (list), "documents")), ==, 0);
  g_clear_pointer (&list, json_node_unref);
  for (guint i = 0; i < staged->len; i++) {
    g_assert_true (hz_documents_commit (g_ptr_array_index (staged, i), &error));
    g_assert_no_error (error);
  }
  list = hz_documents_list_json (data, ROOM);
  docs = json_object_get_array_member (json_node_get_object (list), "documents");
  g_assert_cmpuint (json_array_get_length (docs), ==, 4);
  for (guint i = 0; i < 4; i++) {
    JsonObject *o = json_array_get_object_element (docs, i);
    g_assert_cmpint (json_object_get_int_member (o, "instance_number"), ==, i + 1);
    g_assert_cmpstr (json_object_get_string_member (o, "kind"), ==, "dicom");
    g_assert_cmpstr (json_object_get_string_member (o, "content_type"), ==, "application/dicom");
    g_assert_cmpuint (strlen (json_object_get_string_member (o, "sha256")), ==, 64);
    g_assert_false (json_object_get_boolean_member (o, "deidentified"));
  }
  meta = hz_documents_lookup (data, ROOM, json_object_get_string_member (json_array_get_object_element (docs, 0), "id"),
                              &content, &error);
  g_assert_no_error (error);
  g_assert_true (g_file_test (content, G_FILE_TEST_IS_REGULAR));
  g_assert_null (hz_documents_lookup (data, ROOM, "../../etc", NULL, &error));
  g_assert_error (error, HZ_DOCUMENTS_ERROR, HZ_DOCUMENTS_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* a "DICOM" that is text: refused, the spool file gone, nothing stored */
  fake = write_tmp (spool, "fake", "hello, I am not DICOM", 21);
  st = hz_documents_stage (data, ROOM, fake, "scan.dcm", FALSE, NULL, now, &error);
  g_assert_null (st);
  g_assert_error (error, HZ_DOCUMENTS_ERROR, HZ_DOCUMENTS_ERROR_UNSUPPORTED);
  g_clear_error (&error);
  g_assert_false (g_file_test (fake, G_FILE_TEST_EXISTS));

  /* a PDF staged then dropped: nothing stored */
  pdf = write_tmp (spool, "pdf", pdf_min, strlen (pdf_min));
  st = hz_documents_stage (data, ROOM, pdf, "report.pdf", FALSE, NULL, now, &error);
  g_assert_no_error (error);
  hz_documents_staged_free (st);
  g_assert_cmpuint (count_entries (spool), ==, 0);
  g_assert_cmpuint (count_entries (room_dir), ==, 4);
  rmtree (data);
  rmtree (src);
}

static void
test_store_deidentify (void)
{
  g_autofree char *data = tmpdir ();
  g_autofree char *src = tmpdir ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_from_unix_utc (1700000000);
  g_autoptr(GPtrArray) series = hz_dicom_fixture_ct_series (src, 2, FALSE, &error);
  g_autofree char *key = NULL;
  g_autofree char *study = NULL;

  g_assert_no_error (error);
  for (guint i = 0; i < series->len; i++) {
    g_autoptr(HzDocumentsStaged) st = hz_documents_stage (data, ROOM, g_ptr_array_index (series, i), "x.dcm",
                                                          TRUE, NULL, now, &error);
    JsonObject *o;
    g_assert_no_error (error);
    o = json_node_get_object (hz_documents_staged_json (st));
    g_assert_true (json_object_get_boolean_member (o, "deidentified"));
    g_assert_cmpstr (json_object_get_string_member (o, "study_uid"), !=, HZ_FIXTURE_STUDY_UID);
    /* one room key: the series stays one study */
    if (study == NULL)
      study = g_strdup (json_object_get_string_member (o, "study_uid"));
    g_assert_cmpstr (json_object_get_string_member (o, "study_uid"), ==, study);
    g_assert_true (hz_documents_commit (st, &error));
  }
  key = g_build_filename (data, "documents", ROOM, "uid-key", NULL);
  g_assert_true (g_file_test (key, G_FILE_TEST_IS_REGULAR));
  rmtree (data);
  rmtree (src);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/documents/sniff", test_sniff);
  g_test_add_func ("/documents/sanitize", test_sanitize);
  g_test_add_func ("/documents/checks", test_checks);
  g_test_add_func ("/documents/multipart", test_multipart);
  g_test_add_func ("/documents/multipart-limits", test_multipart_limits);
  g_test_add_func ("/documents/store", test_store);
  g_test_add_func ("/documents/store-deidentify", test_store_deidentify);
  return g_test_run ();
}
