/*
 * csvin.c - libcsv driven block by block, with line numbers.
 *
 * libcsv does not say where a record starts, so data is fed to it one line
 * at a time (a block is cut after each LF); the reader then knows which
 * line is being parsed when a field arrives.  A record's first line is the
 * current line minus the line feeds inside its first field (a quoted field
 * may span lines).  Strict mode (CSV_STRICT | CSV_STRICT_FINI) makes libcsv
 * report malformed quoting instead of guessing; after such an error the
 * parser is reset and reading resumes at the next line, so a row after a
 * parse error is never half-read.
 */
#include "csvin.h"

#include <csv.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define BLOCK (64 * 1024)

typedef struct reader {
	const csvin_callbacks *cb;
	buf data;                      /* field bytes, each NUL-terminated */
	size_t off[CSVIN_MAX_FIELDS];  /* field start offsets in data */
	size_t len[CSVIN_MAX_FIELDS];
	const char *ptr[CSVIN_MAX_FIELDS];
	size_t n;
	long line;        /* line being fed (1-based) */
	long rec_line;    /* first line of the record being built */
	bool too_many;    /* record exceeded CSVIN_MAX_FIELDS */
	ddm_err stop;     /* non-OK once a callback asked to stop */
} reader;

static void on_field(void *s, size_t len, void *ctx)
{
	reader *r = ctx;
	const char *p = s;

	if (r->n == 0) {
		long nl = 0;

		for (size_t i = 0; i < len; i++)
			nl += p[i] == '\n';
		r->rec_line = r->line - nl;
	}
	if (r->n >= CSVIN_MAX_FIELDS) {
		r->too_many = true;
		return;
	}
	r->off[r->n] = r->data.len;
	r->len[r->n] = len;
	buf_append(&r->data, p ? p : "", p ? len : 0);
	buf_putc(&r->data, '\0');
	r->n++;
}

static void on_record(int term, void *ctx)
{
	reader *r = ctx;
	csvin_record rec;

	(void)term;
	if (r->stop != DDM_OK) {
		r->n = 0;
		buf_reset(&r->data);
		return;
	}
	if (r->too_many) {
		r->stop = r->cb->bad(r->cb->ctx, r->rec_line,
				     "record has more than 512 fields");
	} else if (r->n > 0) {
		for (size_t i = 0; i < r->n; i++)
			r->ptr[i] = r->data.data + r->off[i];
		rec.field = r->ptr;
		rec.len = r->len;
		rec.n = r->n;
		rec.line = r->rec_line;
		r->stop = r->cb->record(r->cb->ctx, &rec);
	}
	r->n = 0;
	r->too_many = false;
	buf_reset(&r->data);
}

/* Restarts the parser after a bad record; the rest of the line is skipped
 * by the caller. */
static void restart(struct csv_parser *p, reader *r)
{
	csv_free(p);
	csv_init(p, CSV_STRICT | CSV_STRICT_FINI);
	r->n = 0;
	r->too_many = false;
	buf_reset(&r->data);
}

static const char *parse_error_reason(struct csv_parser *p)
{
	if (csv_error(p) == CSV_EPARSE)
		return "malformed CSV: a quote inside an unquoted field or "
		       "text after a closing quote";
	return csv_strerror(csv_error(p));
}

ddm_err csvin_read(FILE *f, const char *path, const csvin_callbacks *cb,
		   sha256_ctx *sha, long long *bytes)
{
	struct csv_parser p;
	reader r = {.cb = cb, .line = 1, .rec_line = 1};
	char block[BLOCK];
	size_t got;
	bool first = true, skipping = false;
	long bad_line = 0;
	ddm_err err = DDM_OK;

	if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI) != 0) {
		fprintf(stderr, "ddmreport: error: out of memory\n");
		exit(70);
	}
	while (r.stop == DDM_OK && (got = fread(block, 1, sizeof block, f)) > 0) {
		const char *s = block, *end = block + got;

		if (sha)
			sha256_update(sha, block, got);
		if (bytes)
			*bytes += (long long)got;
		if (first && got >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
			s += 3;
		first = false;
		while (s < end && r.stop == DDM_OK) {
			const char *nl = memchr(s, '\n', (size_t)(end - s));
			size_t n = nl ? (size_t)(nl - s) + 1 : (size_t)(end - s);

			if (skipping) {
				/* Skip the rest of a line after a bad record. */
				if (nl) {
					skipping = false;
					r.line++;
				}
				s += n;
				continue;
			}
			if (csv_parse(&p, s, n, on_field, on_record, &r) != n) {
				bad_line = p.entry_pos || r.n ? r.rec_line : r.line;
				if (r.n == 0)
					bad_line = r.line;
				r.stop = cb->bad(cb->ctx, bad_line,
						 parse_error_reason(&p));
				restart(&p, &r);
				skipping = nl == NULL;
				if (nl)
					r.line++;
				s += n;
				continue;
			}
			if (p.entry_pos > CSVIN_FIELD_CAP) {
				r.stop = cb->bad(cb->ctx, r.n ? r.rec_line : r.line,
						 "field longer than 1 MiB");
				restart(&p, &r);
				skipping = nl == NULL;
				if (nl)
					r.line++;
				s += n;
				continue;
			}
			if (nl)
				r.line++;
			s += n;
		}
	}
	if (ferror(f)) {
		err = diag_error(DDM_ERR_IO, diag_q(path), "cannot read: %s",
				 strerror(errno));
		goto out;
	}
	if (r.stop == DDM_OK && !skipping &&
	    csv_fini(&p, on_field, on_record, &r) != 0)
		r.stop = cb->bad(cb->ctx, r.n ? r.rec_line : r.line,
				 "malformed CSV: unterminated quoted field at "
				 "end of file");
	err = r.stop;
out:
	csv_free(&p);
	buf_free(&r.data);
	return err;
}
