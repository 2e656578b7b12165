/*
 * jsonin.h - reading JSON inputs: one document per file, or one per line
 * (NDJSON), in bounded memory.
 *
 * A file up to JSONIN_DOC_CAP bytes that holds exactly one JSON value is one
 * document; otherwise every non-blank line is a document.  Lines are read
 * as a stream and a line longer than the cap is skipped without being
 * buffered (only its length is counted), so a 1 GB line costs 16 MiB at
 * most.  Before a document is handed on it is checked here: valid UTF-8,
 * brackets balanced, strings closed, nesting at most JSONIN_MAX_DEPTH.
 * Full JSON syntax is left to the parser (sources/flat.c, else SQLite's).
 */
#ifndef DDM_JSONIN_H
#define DDM_JSONIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "diag.h"
#include "sha256.h"

/* Largest document or line accepted (bytes). */
#define JSONIN_DOC_CAP (16 * 1024 * 1024)
/* Deepest nesting of objects and arrays accepted. */
#define JSONIN_MAX_DEPTH 128

typedef struct jsonin_callbacks {
	/* A checked document: text[0..len) (not NUL-terminated), the 1-based
	 * line it starts on and its byte offset in the file.  Valid only
	 * during the call.  Non-OK stops the read and is returned. */
	ddm_err (*doc)(void *ctx, const char *text, size_t len, long line,
		       long long offset);
	/* A document that cannot be used; reason names what and where. */
	ddm_err (*bad)(void *ctx, long line, long long offset,
		       const char *reason);
	void *ctx;
} jsonin_callbacks;

/* True when the first byte of f after a UTF-8 byte-order mark and blanks
 * is '{' or '['.  Leaves f at its start (f must be seekable). */
bool jsonin_sniff(FILE *f);
/* The same test on the first n bytes of a file (for a pipe, which cannot
 * be rewound: the caller keeps the bytes). */
bool jsonin_looks_like(const void *head, size_t n);

/*
 * Reads f (a regular file, at its start) to the end, feeding every byte to
 * sha when not NULL and counting them in *bytes.  Returns DDM_OK, the first
 * non-OK callback result, or DDM_ERR_IO on a read error (reported with
 * path).
 */
ddm_err jsonin_read(FILE *f, const char *path, const jsonin_callbacks *cb,
		    sha256_ctx *sha, long long *bytes);

/*
 * Checks s[0..len) as above.  On success stores the number of top-level
 * values in *nvalues and returns true; else writes the reason (with the
 * byte offset within s) into why and returns false.
 */
bool jsonin_check(const char *s, size_t len, size_t *nvalues, char *why,
		  size_t cap);

#endif
