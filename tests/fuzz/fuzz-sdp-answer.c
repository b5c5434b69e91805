/* fuzz-sdp-answer: a browser's answer to our subscriber offer
 * (hz_sdp_parse_answer in signaling/hz-sdp) with the mids we offered. The
 * first input line lists the offered mids (space separated, at most 16; an
 * empty line means no mid check), the rest is the answer.
 * Invariants: a refusal carries an HZ_SDP_ERROR; an accepted answer has
 * setup active or passive, exactly the offered m-lines, and each m-line
 * that is not rejected carries its offered mid. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hz-sdp.h"

#define MAX_LEN (64 * 1024)

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const uint8_t *nl = memchr (data, '\n', size);
  g_autofree char *line = NULL;
  g_autofree char *text = NULL;
  g_auto(GStrv) mids = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(HzSdpSession) s = NULL;

  if (nl == NULL)
    return 0;
  line = g_strndup ((const char *) data, nl - data);
  text = g_strndup ((const char *) nl + 1, size - (nl + 1 - data));
  mids = g_strsplit (g_strstrip (line), " ", 17);
  if (g_strv_length (mids) > 16)
    return 0;

  s = hz_sdp_parse_answer (text, MAX_LEN, mids[0] != NULL ? (const char *const *) mids : NULL, &error);
  if (s == NULL) {
    if (error == NULL || error->domain != HZ_SDP_ERROR)
      abort ();
    return 0;
  }
  if (error != NULL || s->setup == HZ_SDP_SETUP_ACTPASS)
    abort ();
  if (mids[0] == NULL)
    return 0;
  if (s->media->len != g_strv_length (mids))
    abort ();
  for (guint i = 0; i < s->media->len; i++) {
    const HzSdpMedia *m = g_ptr_array_index (s->media, i);
    if (!m->rejected && g_strcmp0 (m->mid, mids[i]) != 0)
      abort ();
  }
  return 0;
}
