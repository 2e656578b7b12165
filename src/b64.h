/*
 * b64.h - Base64 decoding (RFC 4648, standard alphabet), for NanoMDM's
 * raw_payload and a check-in plist's <data>.
 */
#ifndef DDM_B64_H
#define DDM_B64_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

/*
 * Decodes s[0..len) into out (appended, NUL-terminated).  Whitespace is
 * ignored; padding is optional but must be at the end.  Returns false on
 * any other byte or a dangling single character, with out's contents
 * unspecified.
 */
bool b64_decode(const char *s, size_t len, buf *out);

#endif
