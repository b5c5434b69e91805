/* test-red.c: RFC 2198 RED payloads (media/rtp/hz-red): finding the primary
 * block behind one or two redundant blocks, rejecting every truncation, and
 * rewriting a RED packet into the plain Opus packet the recorder expects. */
#include <glib.h>
#include <string.h>

#include "hz-red.h"
#include "hz-rtp.h"

/* RED payload as Chromium sends it with fmtp 111/111: one redundant block. */
static const guint8 red_one[] = {
  0xef, 0x0f, 0x00, 0x03, /* F=1 PT=111, ts offset 960 (20 ms), len 3 */
  0x6f,                   /* F=0 PT=111: the primary */
  0xa1, 0xa2, 0xa3,       /* redundant block: 3 bytes (the previous frame) */
  0xb1, 0xb2, 0xb3, 0xb4, /* primary block: 4 bytes */
};
/* The ts offset is the 14 bits after the PT: 0x0f00 >> 2 = 960; the length
 * the last 10 bits: (0x00 & 0x03) << 8 | 0x03 = 3. */

/* Two redundant blocks (fmtp 111/111/111), the older one with 258 bytes to
 * use the length's high bits. */
#define OLD_LEN 258
static guint8 red_two[4 + 4 + 1 + OLD_LEN + 2 + 5];

static void
make_red_two (void)
{
  guint8 *p = red_two;
  *p++ = 0xef; *p++ = 0x1e; *p++ = 0x01; *p++ = 0x02; /* F=1 PT=111, ts offset 1920, len 0x102 = 258 */
  *p++ = 0xef; *p++ = 0x0f; *p++ = 0x00; *p++ = 0x02; /* F=1 PT=111, ts offset 960, len 2 */
  *p++ = 0x6f;                                        /* F=0 PT=111 */
  memset (p, 0xaa, OLD_LEN);                          /* redundant block 1 */
  p += OLD_LEN;
  *p++ = 0xbb; *p++ = 0xbb;                           /* redundant block 2 */
  memcpy (p, "\xc1\xc2\xc3\xc4\xc5", 5);              /* primary: 5 bytes */
  g_assert_cmpuint (p + 5 - red_two, ==, sizeof red_two);
}

/* Only a primary: the one-byte header and the data (RED with nothing to
 * repeat yet, e.g. the first packet). */
static const guint8 red_none[] = {
  0x6f,             /* F=0 PT=111 */
  0xd1, 0xd2,       /* primary */
};

/* A whole RTP packet: header with a one-byte extension and padding, RED payload. */
static const guint8 rtp_red[] = {
  0xb0, 0x3f, 0x00, 0x2a, /* V=2 P=1 X=1 CC=0, M=0 PT=63 (red), seq 42 */
  0x00, 0x00, 0x25, 0x80, /* timestamp 9600 */
  0x11, 0x22, 0x33, 0x44, /* ssrc */
  0xbe, 0xde, 0x00, 0x01, /* one-byte extensions, 1 word */
  0x10, 0x85, 0x00, 0x00, /* id 1 len 1: audio level V=1 level 5; padding */
  0xef, 0x0f, 0x00, 0x03, /* RED: F=1 PT=111, ts offset 960, len 3 */
  0x6f,                   /* F=0 PT=111 */
  0xa1, 0xa2, 0xa3,       /* redundant */
  0xb1, 0xb2, 0xb3, 0xb4, /* primary */
  0x00, 0x00, 0x03,       /* RTP padding: 3 bytes */
};

static void
test_primary_one (void)
{
  guint8 pt = 0;
  gsize off = 0, blen = 0;

  g_assert_true (hz_red_primary (red_one, sizeof red_one, &pt, &off, &blen));
  g_assert_cmpuint (pt, ==, 111);
  g_assert_cmpuint (off, ==, 8); /* 4 + 1 header bytes, 3 redundant */
  g_assert_cmpuint (blen, ==, 4);
  g_assert_cmpmem (red_one + off, blen, "\xb1\xb2\xb3\xb4", 4);
  /* every output is optional */
  g_assert_true (hz_red_primary (red_one, sizeof red_one, NULL, NULL, NULL));
}

static void
test_primary_two (void)
{
  guint8 pt = 0;
  gsize off = 0, blen = 0;

  make_red_two ();
  g_assert_true (hz_red_primary (red_two, sizeof red_two, &pt, &off, &blen));
  g_assert_cmpuint (pt, ==, 111);
  g_assert_cmpuint (off, ==, 9 + OLD_LEN + 2);
  g_assert_cmpmem (red_two + off, blen, "\xc1\xc2\xc3\xc4\xc5", 5);
}

static void
test_primary_none_redundant (void)
{
  guint8 pt = 0;
  gsize off = 0, blen = 0;

  g_assert_true (hz_red_primary (red_none, sizeof red_none, &pt, &off, &blen));
  g_assert_cmpuint (pt, ==, 111);
  g_assert_cmpuint (off, ==, 1);
  g_assert_cmpuint (blen, ==, 2);
}

/* Every prefix of a valid payload that cuts into the headers or the
 * redundant blocks, or leaves the primary empty, is refused with the
 * outputs untouched; a prefix that only shortens the primary block is a
 * valid RED payload with a shorter primary (RED has no primary length). */
static void
check_truncations (const guint8 *payload, gsize len)
{
  gsize full_off = 0;

  g_assert_true (hz_red_primary (payload, len, NULL, &full_off, NULL));
  for (gsize n = 0; n < len; n++) {
    g_autofree guint8 *copy = g_memdup2 (payload, n); /* exact size: ASan sees overreads */
    guint8 pt = 0x55;
    gsize off = 77, blen = 88;
    gboolean ok = hz_red_primary (copy, n, &pt, &off, &blen);

    if (n > full_off) {
      g_assert_true (ok);
      g_assert_cmpuint (pt, ==, 111);
      g_assert_cmpuint (off, ==, full_off);
      g_assert_cmpuint (blen, ==, n - full_off);
    } else {
      g_assert_false (ok);
      g_assert_cmpuint (pt, ==, 0x55);
      g_assert_cmpuint (off, ==, 77);
      g_assert_cmpuint (blen, ==, 88);
    }
  }
}

static void
test_truncations (void)
{
  make_red_two ();
  check_truncations (red_one, sizeof red_one);
  check_truncations (red_two, sizeof red_two);
  check_truncations (red_none, sizeof red_none);
}

static void
test_malformed (void)
{
  /* all headers have F=1: no primary header */
  static const guint8 no_primary[] = { 0xef, 0x00, 0x00, 0x00, 0xef, 0x00, 0x00, 0x00 };
  /* the redundant length (1023) is longer than the payload */
  static const guint8 too_long[] = { 0xef, 0x00, 0x03, 0xff, 0x6f, 0x01, 0x02, 0x03 };
  /* redundant block exactly fills the rest: no primary data */
  static const guint8 empty_primary[] = { 0xef, 0x00, 0x00, 0x02, 0x6f, 0x01, 0x02 };

  g_assert_false (hz_red_primary (no_primary, sizeof no_primary, NULL, NULL, NULL));
  g_assert_false (hz_red_primary (too_long, sizeof too_long, NULL, NULL, NULL));
  g_assert_false (hz_red_primary (empty_primary, sizeof empty_primary, NULL, NULL, NULL));
  g_assert_false (hz_red_primary (NULL, 0, NULL, NULL, NULL));
}

static void
check_plain (const guint8 *out, gsize n)
{
  HzRtpView v;
  guint8 level;
  gboolean voice;

  g_assert_cmpuint (n, ==, 20 + 4);
  g_assert_true (hz_rtp_parse (out, n, &v));
  g_assert_cmpuint (v.pt, ==, 111);   /* plain Opus */
  g_assert_cmpuint (v.seq, ==, 42);   /* the rest of the header as it was */
  g_assert_cmpuint (v.ts, ==, 9600);
  g_assert_cmpuint (v.ssrc, ==, 0x11223344);
  g_assert_false (v.padding);         /* the padding is gone */
  g_assert_true (hz_rtp_ext_read_audio_level (out, &v, 1, &voice, &level));
  g_assert_cmpuint (level, ==, 5);
  g_assert_cmpmem (out + v.payload_offset, v.payload_len, "\xb1\xb2\xb3\xb4", 4);
}

static void
test_to_primary (void)
{
  guint8 out[64];
  guint8 inplace[sizeof rtp_red];
  guint8 small[23];

  check_plain (out, hz_red_to_primary (rtp_red, sizeof rtp_red, out, sizeof out));
  /* in place, as the router would do it in its scratch buffer */
  memcpy (inplace, rtp_red, sizeof rtp_red);
  check_plain (inplace, hz_red_to_primary (inplace, sizeof inplace, inplace, sizeof inplace));
  /* one byte short of room: nothing written */
  memset (small, 0x5a, sizeof small);
  g_assert_cmpuint (hz_red_to_primary (rtp_red, sizeof rtp_red, small, sizeof small), ==, 0);
  for (gsize i = 0; i < sizeof small; i++)
    g_assert_cmpuint (small[i], ==, 0x5a);
}

static void
test_to_primary_truncated (void)
{
  guint8 out[64];
  HzRtpView v;

  /* every cut breaks the RTP padding, the RED headers or the redundant
   * block, or leaves a packet whose primary is still correctly found */
  for (gsize n = 0; n < sizeof rtp_red; n++) {
    g_autofree guint8 *copy = g_memdup2 (rtp_red, n);
    gsize got = hz_red_to_primary (copy, n, out, sizeof out);

    if (got == 0)
      continue;
    g_assert_true (hz_rtp_parse (copy, n, &v));
    g_assert_true (hz_rtp_parse (out, got, &v));
    g_assert_cmpuint (v.pt, ==, 111);
    g_assert_cmpuint (v.payload_offset + v.payload_len, ==, got);
    g_assert_cmpmem (out + 20, got - 20, rtp_red + 28, got - 20); /* a prefix of the primary */
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/red/primary/one-redundant", test_primary_one);
  g_test_add_func ("/red/primary/two-redundant", test_primary_two);
  g_test_add_func ("/red/primary/no-redundant", test_primary_none_redundant);
  g_test_add_func ("/red/primary/truncations", test_truncations);
  g_test_add_func ("/red/primary/malformed", test_malformed);
  g_test_add_func ("/red/to-primary/rewrite", test_to_primary);
  g_test_add_func ("/red/to-primary/truncated", test_to_primary_truncated);
  return g_test_run ();
}
