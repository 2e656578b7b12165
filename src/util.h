/*
 * util.h - allocation that never returns NULL, a growable byte buffer, and
 * UTF-8 character counting and decoding.
 *
 * Every module allocates through xmalloc and friends: on failure they print
 * "ddmreport: error: out of memory" and exit with EX_SOFTWARE (70), so callers
 * never test for NULL.  Foreign constructors (sqlite3_open, workbook_new) are
 * still checked by their callers.
 */
#ifndef DDM_UTIL_H
#define DDM_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t n);
void *xrealloc(void *p, size_t n);
/* Returns a malloc'd copy of s (caller frees). */
char *xstrdup(const char *s);
/* Returns a malloc'd, NUL-terminated copy of the first n bytes of s. */
char *xstrndup(const char *s, size_t n);
/* Returns a malloc'd string formatted like printf (caller frees). */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A growable byte buffer; data is always NUL-terminated when len > 0 or
 * after buf_cstr().  Owns data. */
typedef struct buf {
	char *data;
	size_t len;
	size_t cap;
} buf;

void buf_append(buf *b, const void *p, size_t n);
void buf_putc(buf *b, char c);
void buf_puts(buf *b, const char *s);
/* Returns the contents as a C string (never NULL; "" when empty). */
const char *buf_cstr(buf *b);
void buf_reset(buf *b);
void buf_free(buf *b);

/* Cuts spaces, tabs (and trailing CRs) off both ends of s, in place;
 * returns the start of what is left. */
char *str_trim(char *s);

/* True when a and b are equal ignoring ASCII case. */
bool str_ieq(const char *a, const char *b);

/* True when name is one of the comma-separated entries of list (NULL: an
 * empty list). */
bool str_listed(const char *list, const char *name);

/*
 * UTF-8.  Counting and cutting go by lead bytes (every byte that is not a
 * continuation byte 10xxxxxx), so they never fail and ill-formed text
 * still counts at most one character per byte; utf8_decode validates.
 */
/* Characters in s[0..len), counted up to stop ((size_t)-1: all). */
size_t utf8_chars(const char *s, size_t len, size_t stop);
/* Bytes of the first chars characters of s[0..len) (len when it has
 * fewer). */
size_t utf8_prefix(const char *s, size_t len, size_t chars);
/* Where to cut s before byte at (s[at] readable) so that no character is
 * split: at, or the start of the character s[at] continues (at most 3
 * bytes back, the longest a character's tail is). */
size_t utf8_floor(const char *s, size_t at);
/* Decodes one well-formed UTF-8 sequence at s[0..len) (len >= 1) into
 * *cp and returns its length; or returns 0 with *bad set to the length of
 * its maximal ill-formed subpart (at least 1), to be replaced by one
 * U+FFFD (Unicode ch. 3).  No overlongs, surrogates or values above
 * U+10FFFF. */
size_t utf8_decode(const unsigned char *s, size_t len, uint32_t *cp,
		   size_t *bad);

/* A UTF-16 stream read as UTF-8 (utf16_to_utf8): the byte order, a byte
 * left over from the last piece, a high surrogate waiting for its pair. */
typedef struct utf16 {
	int order; /* 0: not UTF-16; 1: little-endian; 2: big-endian */
	int odd;   /* the byte left over, or -1 */
	unsigned hi;
} utf16;

/* 1 (little-endian) or 2 (big-endian) when p[0..n) starts with a UTF-16
 * byte-order mark, else 0. */
int utf16_bom(const void *p, size_t n);

/* s[0..n) of UTF-16 in u's byte order into out, which has room for
 * 2 * n + 4 bytes; returns the bytes written.  A unit split between two
 * pieces is joined; an unpaired surrogate becomes U+FFFD, visible. */
size_t utf16_to_utf8(utf16 *u, const unsigned char *s, size_t n, char *out);

/* Writes code point cp as UTF-8 at o (1 to 4 bytes); returns how many. */
size_t utf8_put(char *o, unsigned cp);

/* Unicode's simple case folding of the Latin, Greek, Cyrillic and
 * Armenian letters and the fullwidth Latin ones (what an organisation's
 * group names are written in): the lower-case partner of cp, or cp. */
uint32_t case_fold(uint32_t cp);
/* Compares UTF-8 texts code point by code point after case_fold: < 0, 0
 * or > 0, a total order ("\xc3\x89quipe" equals "\xc3\xa9QUIPE").  A
 * byte that is not well-formed UTF-8 compares as itself, after every code
 * point. */
int utf8_casecmp(const char *a, size_t na, const char *b, size_t nb);

#endif
