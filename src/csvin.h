/*
 * csvin.h - streaming CSV reader (the only module that uses libcsv).
 *
 * Reads a file in 64 KiB blocks, hands each complete record to a callback
 * with the line it started on, and never holds more than one record.  A
 * record libcsv cannot parse (quote inside an unquoted field, junk after a
 * closing quote, unterminated quote at the end, a field over the cap) is
 * handed to the bad-record callback with its line and reason; reading
 * resumes at the next line.  A UTF-8 byte-order mark is skipped; a file
 * that starts with a UTF-16 one (either byte order) is read as the UTF-8
 * it stands for (the SHA-256 stays the file's own bytes').  Fields
 * are separated by commas, or by semicolons or tabs when the header line
 * has those and no comma (or an Excel "sep=;" first line says so).  Lines end
 * with LF, CRLF or CR alone; blank lines are skipped (they still count for
 * line numbers).  Fields may hold NUL bytes (kept; see csvin_record).
 */
#ifndef DDM_CSVIN_H
#define DDM_CSVIN_H

#include <stddef.h>
#include <stdio.h>

#include "diag.h"
#include "sha256.h"

/* Largest field accepted (bytes); larger ones reject the record. */
#define CSVIN_FIELD_CAP (1024 * 1024)
/* Largest record accepted (bytes of all its fields). */
#define CSVIN_RECORD_CAP (4 * 1024 * 1024)
/* Most fields accepted in one record. */
#define CSVIN_MAX_FIELDS 512

/* One record.  Fields are NUL-terminated, but may hold NUL bytes: use len.
 * Everything is owned by the reader and valid only during the callback. */
typedef struct csvin_record {
	const char *const *field;
	const size_t *len;
	size_t n;
	long line; /* 1-based line where the record starts */
} csvin_record;

typedef struct csvin_callbacks {
	/* A record was read.  Return DDM_OK to go on; anything else stops the
	 * read and is returned by csvin_read. */
	ddm_err (*record)(void *ctx, const csvin_record *rec);
	/* A record could not be parsed; same return convention. */
	ddm_err (*bad)(void *ctx, long line, const char *reason);
	void *ctx;
} csvin_callbacks;

/*
 * Reads f (named path in messages) to the end, feeding every byte to sha
 * when not NULL and counting them in *bytes.  Returns DDM_OK, the first
 * non-OK value a callback returned, or DDM_ERR_IO on a read error
 * (reported).
 */
ddm_err csvin_read(FILE *f, const char *path, const csvin_callbacks *cb,
		   sha256_ctx *sha, long long *bytes);

#endif
