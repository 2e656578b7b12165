/*
 * ident.h - a device's serial number, group name and ids as they are
 * compared and kept, whatever the export wrote around them.
 *
 * Below the store and the ingest stage: the store's SQL functions
 * (ddm_serial, ddm_group) and every source clean names with these same
 * functions, so a device is one device in both.
 */
#ifndef DDM_IDENT_H
#define DDM_IDENT_H

#include <stdbool.h>
#include <stddef.h>

/*
 * A serial number as the device's identity: s[0..len) without the blanks
 * around it (space, tab, CR, LF, the no-break space U+00A0) and without
 * the invisible characters a spreadsheet or a web page leaves anywhere in
 * it (zero-width space, non-joiner and joiner U+200B..U+200D, word joiner
 * U+2060, byte-order mark U+FEFF) and the bidirectional controls (marks
 * U+200E, U+200F, U+061C; embeddings and overrides U+202A..U+202E;
 * isolates U+2066..U+2069), which make a serial read as another one on a
 * sheet, ASCII upper-cased (Apple serials are
 * upper-case letters and digits; exports vary).  Written NUL-terminated to
 * out (cut at cap - 1 bytes); returns its length, 0 when nothing is left.
 */
size_t identity_serial(const char *s, size_t len, char *out, size_t cap);

/* A group name as targets match it: s[0..len) without the blanks around
 * it and the invisible characters anywhere (as identity_serial drops
 * them), its case kept (groups compare without case).  out has room for
 * len + 1 bytes (cap); returns its length. */
size_t identity_group(const char *s, size_t len, char *out, size_t cap);

/* The longest serial taken, in bytes as written (a CSV row with a longer
 * one is rejected; a JSON report's is rejected too, never cut: two serials
 * cut to the same bytes would be one device). */
#define IDENTITY_SERIAL_MAX 127

/*
 * Whether serial (as identity_serial wrote it) is a placeholder an export
 * writes where a device has no serial it knows (a virtual machine, a
 * record being set up): "0", "NOT AVAILABLE", "N/A", "UNKNOWN"...  Many
 * devices share it, so it names none of them.
 */
bool identity_placeholder(const char *serial);

/*
 * An enrollment id or UDID as it is kept and looked up: ASCII upper-cased
 * (UDIDs and enrollment ids are hexadecimal; one tool writes them upper
 * case, another lower case).  Writes it to out (cap bytes) and returns
 * out, or returns id itself when it does not fit.
 */
const char *identity_id(const char *id, char *out, size_t cap);
/* A buffer identity_id fills for every id but a hostile one. */
#define IDENTITY_ID_MAX 512

#endif
