/*
 * cell.h - making data values safe for the places they are written.
 *
 * Data never becomes a formula and never breaks the file it is written to:
 *   - CSV: RFC 4180 quoting; in the "excel" profile a text value that a
 *     spreadsheet would run as a formula gets a leading apostrophe.
 *   - XLSX: text is valid UTF-8 with only characters XML allows.
 *   - diagnostics: control characters shown escaped, long values cut.
 */
#ifndef DDM_CELL_H
#define DDM_CELL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "util.h"

typedef enum csv_profile {
	CSV_PROFILE_EXCEL, /* neutralise formula triggers (files for people) */
	CSV_PROFILE_RAW	   /* exact data, RFC 4180 quoting only (pipes) */
} csv_profile;

/*
 * True when a spreadsheet could read text as a formula: after any leading
 * ASCII spaces, it starts with = + - @ or the full-width forms U+FF1D U+FF0B
 * U+FF0D U+FF20; or it starts (position 0) with TAB, CR or LF.
 */
bool cell_is_formula_trigger(const char *s, size_t len);

/*
 * Appends one CSV field to out.  is_text says the column holds text (numeric
 * columns are never prefixed, so -5 stays -5).  In the excel profile a text
 * field that is a formula trigger is written as "'<value>" and quoted.  A
 * field is quoted when it contains , " CR or LF, or starts/ends with a space,
 * or was neutralised; embedded quotes are doubled.  NUL bytes are kept.
 * In the excel profile ill-formed UTF-8 becomes U+FFFD (raw keeps bytes).
 */
void cell_csv_field(buf *out, const char *s, size_t len, bool is_text,
		    csv_profile profile);

/*
 * Appends to out the text made valid for an XLSX string cell: invalid UTF-8
 * sequences (incl. overlongs and encoded surrogates) become U+FFFD; C0
 * controls other than TAB LF CR, U+FFFE and U+FFFF become U+FFFD; NUL becomes
 * U+FFFD (never truncates); the result is cut to at most 32767 characters
 * (Excel's limit) without splitting a character.
 */
void cell_xml_text(buf *out, const char *s, size_t len);

/*
 * Appends s to out for a diagnostic line: bytes < 0x20 and 0x7f as \xNN
 * (\t \n \r \\ included as \t \n \r \\), and cut after max bytes with "...".
 */
void cell_escape_diag(buf *out, const char *s, size_t len, size_t max);

#endif
