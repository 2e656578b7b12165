/*
 * util.h - allocation that never returns NULL, and a growable byte buffer.
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

#endif
