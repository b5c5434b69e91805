/*
 * hz-documents-store: staging, committing, listing and finding documents
 * under <data_dir>/documents/<room>/<doc>/. See hz-documents.h.
 */
#include "hz-documents.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <openssl/rand.h>
#include <string.h>
#include <unistd.h>

#include "hz-dicom.h"

#define HZ_UID_KEY_LEN 32

struct _HzDocumentsStaged {
  char *stage_dir;  /* <spool>/stage-XXXXXX, removed unless committed */
  char *room_dir;
  char *doc_id;
  JsonNode *json;
  gboolean committed;
};

static gboolean
hz_documents_io (GError **error, const char *what, const char *path)
{
  g_set_error (error, HZ_DOCUMENTS_ERROR, HZ_DOCUMENTS_ERROR_IO, "%s %s: %s", what, path, g_strerror (errno));
  return FALSE;
}

static void
hz_documents_rmtree (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL) {
    g_autofree char *path = g_build_filename (dir, name, NULL);
    if (g_file_test (path, G_FILE_TEST_IS_DIR) && !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
      hz_documents_rmtree (path);
    else
      g_unlink (path);
  }
  g_rmdir (dir);
}

static char *
hz_documents_room_dir (const char *data_dir, const char *room_id)
{
  return g_build_filename (data_dir, "documents", room_id, NULL);
}

/* The room's key of the UID mapping, created on first use. */
static GBytes *
hz_documents_uid_key (const char *room_dir, GError **error)
{
  g_autofree char *path = g_build_filename (room_dir, "uid-key", NULL);
  guint8 key[HZ_UID_KEY_LEN];
  char *data = NULL;
  gsize len = 0;
  int fd;

  if (g_file_get_contents (path, &data, &len, NULL) && len == HZ_UID_KEY_LEN)
    return g_bytes_new_take (data, len);
  g_free (data);
  if (g_mkdir_with_parents (room_dir, 0700) != 0) {
    hz_documents_io (error, "cannot create", room_dir);
    return NULL;
  }
  if (RAND_bytes (key, sizeof (key)) != 1) {
    g_set_error_literal (error, HZ_DOCUMENTS_ERROR, HZ_DOCUMENTS_ERROR_IO, "no random bytes for the UID key");
    return NULL;
  }
  fd = g_open (path, O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0 || write (fd, key, sizeof (key)) != (ssize_t) sizeof (key)) {
    if (fd >= 0)
      close (fd);
    hz_documents_io (error, "cannot write", path);
    return NULL;
  }
  close (fd);
  return g_bytes_new (key, sizeof (key));
}

static gboolean
hz_documents_sha256 (const char *path, char **hex, goffset *size, GError **error)
{
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  guint8 buf[65536];
  gssize n;
  int fd = g_open (path, O_RDONLY, 0);

  if (fd < 0)
    return hz_documents_io (error, "cannot read", path);
  *size = 0;
  while ((n = read (fd, buf, sizeof (buf))) > 0) {
    g_checksum_update (sum, buf, n);
    *size += n;
  }
  close (fd);
  if (n < 0)
    return hz_documents_io (error, "cannot read", path);
  *hex = g_strdup (g_checksum_get_string (sum));
  return TRUE;
}

static void
hz_json_set_uid (JsonObject *o, const char *name, const char *value)
{
  if (value != NULL)
    json_object_set_string_member (o, name, value);
}

static void
hz_documents_dicom_json (JsonObject *o, const HzDicomInfo *info)
{
  hz_json_set_uid (o, "study_uid", info->study_uid);
  hz_json_set_uid (o, "series_uid", info->series_uid);
  hz_json_set_uid (o, "instance_uid", info->instance_uid);
  hz_json_set_uid (o, "sop_class_uid", info->sop_class_uid);
  hz_json_set_uid (o, "transfer_syntax", info->transfer_syntax);
  hz_json_set_uid (o, "modality", info->modality);
  hz_json_set_uid (o, "study_description", info->study_description);
  hz_json_set_uid (o, "series_description", info->series_description);
  hz_json_set_uid (o, "photometric", info->photometric);
  json_object_set_int_member (o, "rows", info->rows);
  json_object_set_int_member (o, "columns", info->columns);
  json_object_set_int_member (o, "frames", info->frames);
  json_object_set_int_member (o, "bits_allocated", info->bits_allocated);
  if (info->has_instance_number)
    json_object_set_int_member (o, "instance_number", info->instance_number);
  if (info->has_series_number)
    json_object_set_int_member (o, "series_number", info->series_number);
  if (info->has_slice_location)
    json_object_set_double_member (o, "slice_location", info->slice_location);
  if (info->has_position) {
    JsonArray *a = json_array_new ();
    for (guint i = 0; i < 3; i++)
      json_array_add_double_element (a, info->image_position[i]);
    json_object_set_array_member (o, "image_position", a);
  }
  if (info->has_spacing) {
    JsonArray *a = json_array_new ();
    for (guint i = 0; i < 2; i++)
      json_array_add_double_element (a, info->pixel_spacing[i]);
    json_object_set_array_member (o, "pixel_spacing", a);
  }
  if (info->has_window) {
    json_object_set_double_member (o, "window_center", info->window_center);
    json_object_set_double_member (o, "window_width", info->window_width);
  }
  json_object_set_boolean_member (o, "transcoded", info->transcoded);
}

static char *
hz_documents_new_id (void)
{
  guint8 raw[16];
  GString *s = g_string_new (NULL);

  if (RAND_bytes (raw, sizeof (raw)) != 1) {
    for (guint i = 0; i < sizeof (raw); i++)
      raw[i] = (guint8) g_random_int ();
  }
  for (guint i = 0; i < sizeof (raw); i++)
    g_string_append_printf (s, "%02x", raw[i]);
  return g_string_free (s, FALSE);
}

static HzDocumentKind
hz_documents_sniff_file (const char *path, GError **error)
{
  guint8 head[132];
  gssize n;
  int fd = g_open (path, O_RDONLY, 0);

  if (fd < 0) {
    hz_documents_io (error, "cannot read", path);
    return HZ_DOCUMENT_KIND_UNKNOWN;
  }
  n = read (fd, head, sizeof (head));
  close (fd);
  return hz_documents_sniff (head, n > 0 ? (gsize) n : 0);
}

HzDocumentsStaged *
hz_documents_stage (const char *data_dir, const char *room_id, const char *tmp_path, const char *name,
                    gboolean deidentify, const char *shared_by, GDateTime *now, GError **error)
{
  g_autoptr(HzDocumentsStaged) st = g_new0 (HzDocumentsStaged, 1);
  g_autofree char *spool = NULL;
  g_autofree char *content = NULL;
  g_autofree char *clean = hz_documents_sanitize_name (name);
  g_autofree char *sha = NULL;
  g_autofree char *at = NULL;
  g_autoptr(HzDicomInfo) info = NULL;
  JsonObject *o;
  HzDocumentKind kind;
  goffset size = 0;

  g_return_val_if_fail (data_dir != NULL && tmp_path != NULL && now != NULL, NULL);
  if (!hz_documents_id_valid (room_id)) {
    g_unlink (tmp_path);
    g_set_error_literal (error, HZ_DOCUMENTS_ERROR, HZ_DOCUMENTS_ERROR_BAD_REQUEST, "invalid room id");
    return NULL;
  }
  st->room_dir = hz_documents_room_dir (data_dir, room_id);
  spool = hz_documents_spool_dir (data_dir, error);
  if (spool == NULL) {
    g_unlink (tmp_path);
    return NULL;
  }
  st->stage_dir = g_build_filename (spool, "stage-XXXXXX", NULL);
  if (g_mkdtemp_full (st->stage_dir, 0700) == NULL) {
    g_unlink (tmp_path);
    g_clear_pointer (&st->stage_dir, g_free);
    hz_documents_io (error, "cannot create a directory in", spool);
    return NULL;
  }
  content = g_build_filename (st->stage_dir, "content", NULL);
  kind = hz_documents_sniff_file (tmp_path, error);
  if (kind == HZ_DOCUMENT_KIND_UNKNOWN) {
    g_unlink (tmp_path);
    if (error != NULL && *error == NULL)
      g_set_error (error, HZ_DOCUMENTS_ERROR, HZ_DOCUMENTS_ERROR_UNSUPPORTED,
                   "%s: the content is not DICOM (Part 10, \"DICM\" preamble), PDF, PNG or JPEG", clean);
    return NULL;
  }
  if (kind == HZ_DOCUMENT_KIND_DICOM) {
    g_autoptr(GBytes) key = NULL;
    g_autoptr(GError) local = NULL;
    HzDicomOptions opts = { deidentify, NULL, 0 };
    gboolean rewritten = FALSE;
    if (deidentify) {
      key = hz_documents_uid_key (st->room_dir, error);
      if (key == NULL) {
        g_unlink (tmp_path);
        return NULL;
      }
      opts.uid_key = g_bytes_get_data (key, &opts.uid_key_len);
    }
    info = hz_dicom_process_file (tmp_path, content, &opts, &rewritten, &local);
    if (info == NULL || rewritten)
      g_unlink (tmp_path);
    if (info == NULL) {
      g_set_error (error, HZ_DOCUMENTS_ERROR,
                   local->code == HZ_DICOM_ERROR_IO ? HZ_DOCUMENTS_ERROR_IO : HZ_DOCUMENTS_ERROR_INVALID,
                   "%s: %s", clean, local->message);
      return NULL;
    }
  } else if (!hz_documents_check_file (tmp_path, kind, error)) {
    g_unlink (tmp_path);
    g_prefix_error (error, "%s: ", clean);
    return NULL;
  }
  if (!g_file_test (content, G_FILE_TEST_EXISTS) && g_rename (tmp_path, content) != 0) {
    g_unlink (tmp_path);
    hz_documents_io (error, "cannot move", tmp_path);
    return NULL;
  }
  g_chmod (content, 0600);
  if (!hz_documents_sha256 (content, &sha, &size, error))
    return NULL;
  st->doc_id = hz_documents_new_id ();
  at = g_date_time_format_iso8601 (now);
  st->json = json_node_init_object (json_node_alloc (), json_object_new ());
  o = json_node_get_object (st->json);
  json_object_set_string_member (o, "id", st->doc_id);
  json_object_set_string_member (o, "kind", hz_document_kind_to_string (kind));
  json_object_set_string_member (o, "name", clean);
  json_object_set_string_member (o, "content_type", hz_document_kind_mime (kind));
  json_object_set_int_member (o, "size", size);
  json_object_set_string_member (o, "sha256", sha);
  json_object_set_string_member (o, "shared_at", at);
  if (shared_by != NULL)
    json_object_set_string_member (o, "shared_by", shared_by);
  json_object_set_boolean_member (o, "deidentified", info != NULL && info->deidentified);
  if (info != NULL)
    hz_documents_dicom_json (o, info);
  return g_steal_pointer (&st);
}

JsonNode *
hz_documents_staged_json (HzDocumentsStaged *staged)
{
  g_return_val_if_fail (staged != NULL, NULL);
  return staged->json;
}

gboolean
hz_documents_commit (HzDocumentsStaged *st, GError **error)
{
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autofree char *meta = NULL;
  g_autofree char *dest = NULL;

  g_return_val_if_fail (st != NULL && !st->committed, FALSE);
  meta = g_build_filename (st->stage_dir, "meta.json", NULL);
  json_generator_set_root (gen, st->json);
  if (!json_generator_to_file (gen, meta, error))
    return FALSE;
  if (g_mkdir_with_parents (st->room_dir, 0700) != 0)
    return hz_documents_io (error, "cannot create", st->room_dir);
  dest = g_build_filename (st->room_dir, st->doc_id, NULL);
  if (g_rename (st->stage_dir, dest) != 0)
    return hz_documents_io (error, "cannot move a document into", st->room_dir);
  st->committed = TRUE;
  return TRUE;
}

void
hz_documents_staged_free (HzDocumentsStaged *st)
{
  if (st == NULL)
    return;
  if (!st->committed && st->stage_dir != NULL)
    hz_documents_rmtree (st->stage_dir);
  g_free (st->stage_dir);
  g_free (st->room_dir);
  g_free (st->doc_id);
  if (st->json != NULL)
    json_node_unref (st->json);
  g_free (st);
}

static JsonNode *
hz_documents_read_meta (const char *doc_dir)
{
  g_autofree char *path = g_build_filename (doc_dir, "meta.json", NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();

  if (!json_parser_load_from_file (parser, path, NULL) || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return NULL;
  return json_parser_steal_root (parser);
}

static gint
hz_documents_compare (gconstpointer a, gconstpointer b)
{
  JsonObject *x = json_node_get_object (*(JsonNode **) a);
  JsonObject *y = json_node_get_object (*(JsonNode **) b);
  gint c = g_strcmp0 (json_object_get_string_member_with_default (x, "shared_at", ""),
                      json_object_get_string_member_with_default (y, "shared_at", ""));
  gint64 ix, iy;

  if (c != 0)
    return c;
  c = g_strcmp0 (json_object_get_string_member_with_default (x, "series_uid", ""),
                 json_object_get_string_member_with_default (y, "series_uid", ""));
  if (c != 0)
    return c;
  ix = json_object_get_int_member_with_default (x, "instance_number", 0);
  iy = json_object_get_int_member_with_default (y, "instance_number", 0);
  if (ix != iy)
    return ix < iy ? -1 : 1;
  return g_strcmp0 (json_object_get_string_member (x, "name"), json_object_get_string_member (y, "name"));
}

JsonNode *
hz_documents_list_json (const char *data_dir, const char *room_id)
{
  g_autoptr(GPtrArray) docs = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
  g_autofree char *room_dir = NULL;
  g_autoptr(GDir) dir = NULL;
  JsonArray *arr = json_array_new ();
  JsonObject *root = json_object_new ();
  const char *name;

  g_return_val_if_fail (data_dir != NULL, NULL);
  if (hz_documents_id_valid (room_id)) {
    room_dir = hz_documents_room_dir (data_dir, room_id);
    dir = g_dir_open (room_dir, 0, NULL);
  }
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL) {
    g_autofree char *doc_dir = g_build_filename (room_dir, name, NULL);
    JsonNode *meta;
    if (!hz_documents_id_valid (name) || !g_file_test (doc_dir, G_FILE_TEST_IS_DIR))
      continue;
    meta = hz_documents_read_meta (doc_dir);
    if (meta != NULL)
      g_ptr_array_add (docs, meta);
  }
  g_ptr_array_sort (docs, hz_documents_compare);
  for (guint i = 0; i < docs->len; i++)
    json_array_add_element (arr, json_node_ref (g_ptr_array_index (docs, i)));
  json_object_set_array_member (root, "documents", arr);
  return json_node_init_object (json_node_alloc (), root);
}

JsonNode *
hz_documents_lookup (const char *data_dir, const char *room_id, const char *doc_id, char **content_path,
                     GError **error)
{
  g_autofree char *room_dir = NULL;
  g_autofree char *doc_dir = NULL;
  JsonNode *meta = NULL;

  g_return_val_if_fail (data_dir != NULL, NULL);
  if (hz_documents_id_valid (room_id) && hz_documents_id_valid (doc_id)) {
    room_dir = hz_documents_room_dir (data_dir, room_id);
    doc_dir = g_build_filename (room_dir, doc_id, NULL);
    meta = hz_documents_read_meta (doc_dir);
  }
  if (meta == NULL) {
    g_set_error_literal (error, HZ_DOCUMENTS_ERROR, HZ_DOCUMENTS_ERROR_NOT_FOUND, "no such document in this room");
    return NULL;
  }
  if (content_path != NULL)
    *content_path = g_build_filename (doc_dir, "content", NULL);
  return meta;
}
