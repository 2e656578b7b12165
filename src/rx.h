/*
 * rx.h - regular expressions (the only module that uses PCRE2).
 *
 * Patterns come from queries/formats and from SQL (the REGEXP operator).
 * Matching is bounded: a match limit and a depth limit keep a hostile
 * subject from taking more than a few milliseconds, and invalid UTF-8 in a
 * subject is tolerated (PCRE2_MATCH_INVALID_UTF), never a crash.
 */
#ifndef DDM_RX_H
#define DDM_RX_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"

typedef struct rx rx;

/*
 * Compiles pattern (UTF-8).  caseless adds PCRE2_CASELESS.  On error prints
 * "WHERE: bad regular expression at offset N: why" and returns
 * DDM_ERR_DATA; where may be NULL.  *out owned by the caller (rx_free).
 */
ddm_err rx_compile(const char *pattern, bool caseless, const char *where,
		   rx **out);
/* Returns 1 on a match, 0 on none, -1 when the match limit was hit or the
 * match failed otherwise (treat as data error, never as a match). */
int rx_match(const rx *r, const char *s, size_t len);
/*
 * Like rx_match and, on a match, stores capture group g's span in *gs and *glen
 * (group 0 is the whole match; an unset group gives *gs NULL).
 */
int rx_match_group(const rx *r, const char *s, size_t len, int g,
		   const char **gs, size_t *glen);
void rx_free(rx *r);

#endif
