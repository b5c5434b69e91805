/* fuzz-main.c: a standalone driver for builds without libFuzzer (gcc). Runs
 * LLVMFuzzerTestOneInput once over every file in the directories (or files)
 * given as arguments, so `meson test --suite fuzz` replays the corpora and
 * every crash reproducer kept there on every build. */
#include <glib.h>
#include <stdint.h>
#include <stdio.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static gboolean
run_file (const gchar *path, guint *n_run)
{
  g_autofree gchar *contents = NULL;
  g_autofree guint8 *exact = NULL;
  gsize len = 0;
  g_autoptr(GError) error = NULL;

  if (!g_file_get_contents (path, &contents, &len, &error)) {
    g_printerr ("%s: %s\n", path, error->message);
    return FALSE;
  }
  /* an exactly sized copy, so sanitizers see reads past the input */
  exact = g_memdup2 (contents, len);
  LLVMFuzzerTestOneInput (exact, len);
  (*n_run)++;
  return TRUE;
}

int
main (int argc, char **argv)
{
  guint n_run = 0;

  for (int i = 1; i < argc; i++) {
    g_autoptr(GDir) dir = NULL;
    const gchar *name;

    if (!g_file_test (argv[i], G_FILE_TEST_IS_DIR)) {
      if (!run_file (argv[i], &n_run))
        return 1;
      continue;
    }
    dir = g_dir_open (argv[i], 0, NULL);
    if (dir == NULL) {
      g_printerr ("%s: cannot open\n", argv[i]);
      return 1;
    }
    while ((name = g_dir_read_name (dir)) != NULL) {
      g_autofree gchar *path = g_build_filename (argv[i], name, NULL);
      if (name[0] == '.' || !g_file_test (path, G_FILE_TEST_IS_REGULAR))
        continue;
      if (!run_file (path, &n_run))
        return 1;
    }
  }
  printf ("replayed %u inputs\n", n_run);
  /* an empty corpus means the replay tested nothing: fail loudly */
  return n_run > 0 ? 0 : 1;
}
