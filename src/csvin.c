/*
 * csvin.c - libcsv driven block by block, with line numbers.
 *
 * libcsv does not say where a record starts, so data is fed to it one line
 * at a time (a block is cut after each CR or LF); the reader then knows
 * which line is being parsed.  A record starts on the line being fed when
 * the parser is between records.  CR, LF and CRLF each end one line (old
 * Mac exports use CR alone; libcsv ends a record at either).  Strict mode
 * (CSV_STRICT | CSV_STRICT_FINI) makes libcsv report malformed quoting
 * instead of guessing; after such an error the parser is reset and reading
 * resumes at the next line, so a row after a parse error is never
 * half-read.  A field over CSVIN_FIELD_CAP or a record over
 * CSVIN_RECORD_CAP (bytes of its fields) is rejected the same way as soon
 * as the cap is passed, so memory stays bounded whatever the input.  The
 * caps are exact to the byte: checked when each field ends, not only at
 * the end of each piece read (a field that ends inside a piece would
 * otherwise pass up to 64 KiB over).
 *
 * A regular file is read and parsed in a thread of its own (readahead.h)
 * while the caller's thread runs the callbacks (which store the rows):
 * parsing was about a third of a 1M-row ingest, and the two now overlap.
 * A bad record's reason is always a static string, so it is handed over
 * as a pointer.  Anything else (a pipe, a terminal, a FIFO) is read in
 * the caller's thread: it may never end, and a stop must not wait for it.
 */
#include "csvin.h"

#include <csv.h>
#include <errno.h>
#include <sys/stat.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "readahead.h"
#include "util.h"

#define BLOCK (64 * 1024)
/* An event handed over (readahead.h): a ev_head, then for a record its
 * n field lengths and the n fields' bytes each with a NUL. */
typedef struct ev_head {
	long line;
	size_t n;	    /* fields (a record) */
	const char *reason; /* a bad record's reason (static), else NULL */
} ev_head;

typedef struct reader {
	const csvin_callbacks *cb;
	readahead *ra; /* NULL: callbacks run here, as records are read */
	buf data;      /* field bytes, each NUL-terminated */
	size_t off[CSVIN_MAX_FIELDS]; /* field start offsets in data */
	size_t len[CSVIN_MAX_FIELDS];
	const char *ptr[CSVIN_MAX_FIELDS];
	size_t n;
	long line;	      /* line being fed (1-based) */
	long rec_line;	      /* first line of the record being built */
	bool too_many;	      /* record exceeded CSVIN_MAX_FIELDS */
	const char *too_long; /* why a field or the record is over its cap */
	size_t bytes;	      /* bytes of the record's fields so far */
	ddm_err stop;	      /* non-OK once a callback asked to stop */
	unsigned char delim;  /* ',' unless the header line says otherwise */
} reader;

static void on_field(void *s, size_t len, void *ctx)
{
	reader *r = ctx;
	const char *p = s;

	if (r->n >= CSVIN_MAX_FIELDS) {
		r->too_many = true;
		return;
	}
	/* Exact to the byte, whatever the block boundaries were. */
	if (len > CSVIN_FIELD_CAP)
		r->too_long = "field longer than 1 MiB";
	else if (r->bytes + len > CSVIN_RECORD_CAP)
		r->too_long = "record longer than 4 MiB";
	r->bytes += len;
	if (r->too_long) {
		r->n++;
		r->off[r->n - 1] = r->len[r->n - 1] = 0;
		return;
	}
	r->off[r->n] = r->data.len;
	r->len[r->n] = len;
	buf_append(&r->data, p ? p : "", p ? len : 0);
	buf_putc(&r->data, '\0');
	r->n++;
}

/* A record (reason NULL: the one in r) or a bad record at line: to the
 * callbacks now, or into the batch for the caller's thread.  Non-OK stops
 * the read. */
static ddm_err emit(reader *r, long line, const char *reason)
{
	ev_head e = {line, reason ? 0 : r->n, reason};
	buf *b;

	if (!r->ra && reason)
		return r->cb->bad(r->cb->ctx, line, reason);
	if (!r->ra) {
		csvin_record rec;

		for (size_t i = 0; i < r->n; i++)
			r->ptr[i] = r->data.data + r->off[i];
		rec.field = r->ptr;
		rec.len = r->len;
		rec.n = r->n;
		rec.line = line;
		return r->cb->record(r->cb->ctx, &rec);
	}
	b = readahead_event(r->ra);
	buf_append(b, &e, sizeof e);
	if (!reason) { /* the fields lie in r->data one after another */
		buf_append(b, r->len, r->n * sizeof *r->len);
		buf_append(b, r->data.data, r->data.len);
	}
	/* stopped: the callback's own error is the caller's */
	return readahead_put(r->ra) ? DDM_OK : DDM_ERR_DATA;
}

/* In the caller's thread: the callbacks on one event handed over. */
static ddm_err play(void *ctx, const char *ev, size_t len)
{
	const csvin_callbacks *cb = ctx;
	const char *ptr[CSVIN_MAX_FIELDS];
	ev_head e;
	const size_t *flen;
	const char *d;

	(void)len;
	memcpy(&e, ev, sizeof e);
	if (e.reason)
		return cb->bad(cb->ctx, e.line, e.reason);
	/* aligned: ev_head's size is a multiple of size_t's */
	flen = (const size_t *)(ev + sizeof e);
	d = (const char *)(flen + e.n);
	for (size_t i = 0; i < e.n; i++) {
		ptr[i] = d;
		d += flen[i] + 1;
	}
	return cb->record(cb->ctx, &(csvin_record){ptr, flen, e.n, e.line});
}

static void on_record(int term, void *ctx)
{
	reader *r = ctx;

	(void)term;
	if (r->stop != DDM_OK) {
		r->n = 0;
		buf_reset(&r->data);
		return;
	}
	if (r->too_many)
		r->stop =
			emit(r, r->rec_line, "record has more than 512 fields");
	else if (r->too_long)
		r->stop = emit(r, r->rec_line, r->too_long);
	else if (r->n > 0)
		r->stop = emit(r, r->rec_line, NULL);
	r->n = 0;
	r->too_many = false;
	r->too_long = NULL;
	r->bytes = 0;
	buf_reset(&r->data);
}

/* Restarts the parser after a bad record; the rest of the line is skipped
 * by the caller. */
static void restart(struct csv_parser *p, reader *r)
{
	csv_free(p);
	csv_init(p, CSV_STRICT | CSV_STRICT_FINI);
	csv_set_delim(p, r->delim);
	r->n = 0;
	r->too_many = false;
	r->too_long = NULL;
	r->bytes = 0;
	buf_reset(&r->data);
}

static const char *parse_error_reason(struct csv_parser *p)
{
	if (csv_error(p) == CSV_EPARSE)
		return "malformed CSV: a quote inside an unquoted field or "
		       "text after a closing quote";
	return csv_strerror(csv_error(p));
}

/* Length of s[0..len) up to and including the first CR or LF (all of it
 * when there is none). */
static size_t strcspn_len(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] == '\n' || s[i] == '\r')
			return i + 1;
	return len;
}

/*
 * The field separator of a file whose first line is s[0..n): ',' unless
 * that line (the header) has no comma outside quotes and has semicolons
 * (Excel's CSV where the list separator is ';', as in most of Europe) or
 * tabs (Excel's "Unicode Text", Jamf Pro's tab-delimited export) -- the
 * more of the two.  Excel's own "sep=X" first line names it; *skip is
 * then that line's length, line end included, to be read past (as is
 * the "#TYPE ..." line Windows PowerShell's Export-Csv writes first).
 */
static unsigned char sniff_delim(const char *s, size_t n, size_t *skip)
{
	size_t comma = 0, semi = 0, tab = 0, i = 0;
	bool quoted = false;

	*skip = 0;
	/* Windows PowerShell's Export-Csv writes "#TYPE <class>" first. */
	if (n >= 6 && memcmp(s, "#TYPE ", 6) == 0) {
		while (*skip < n && s[*skip] != '\r' && s[*skip] != '\n')
			(*skip)++;
		if (*skip < n && s[*skip] == '\r')
			(*skip)++;
		if (*skip < n && s[*skip] == '\n')
			(*skip)++;
		i = *skip;
	}
	while (i < n && (s[i] == '\r' || s[i] == '\n'))
		i++;
	if (n - i >= 5 && strncasecmp(s + i, "sep=", 4) == 0 &&
	    (s[i + 4] == ',' || s[i + 4] == ';' || s[i + 4] == '\t' ||
	     s[i + 4] == '|') &&
	    (n - i == 5 || s[i + 5] == '\r' || s[i + 5] == '\n')) {
		if (i > 0)
			return ','; /* not the first line: a header name */
		*skip = 5;
		if (*skip < n && s[*skip] == '\r')
			(*skip)++;
		if (*skip < n && s[*skip] == '\n')
			(*skip)++;
		return (unsigned char)s[4];
	}
	for (; i < n && (quoted || (s[i] != '\r' && s[i] != '\n')); i++) {
		if (s[i] == '"')
			quoted = !quoted;
		else if (quoted)
			continue;
		else if (s[i] == ',')
			comma++;
		else if (s[i] == ';')
			semi++;
		else if (s[i] == '\t')
			tab++;
	}
	if (comma > 0 || (semi == 0 && tab == 0))
		return ',';
	return semi >= tab ? ';' : '\t';
}

/* libcsv's parser state between records (ROW_NOT_BEGUN in libcsv.c; the
 * field is public in struct csv_parser, the name is not). */
#define LIBCSV_ROW_NOT_BEGUN 0

/* Reports a bad record at line, restarts the parser, and says whether the
 * rest of the current line must be skipped (it had no line end yet). */
static void bad_record(struct csv_parser *p, reader *r, long line,
		       const char *reason)
{
	r->stop = emit(r, line, reason);
	restart(p, r);
}

/* One read: the reader, its file, and what the read leaves the caller. */
typedef struct read_job {
	reader r;
	FILE *f;
	sha256_ctx *sha;
	long long *bytes;
	int errnum; /* the file could not be read: errno, else 0 */
} read_job;

/* Reads and parses the whole file (until a callback stops it). */
static void read_all(read_job *j)
{
	struct csv_parser p;
	reader *r = &j->r;
	FILE *f = j->f;
	char block[BLOCK], *wide = NULL;
	size_t got;
	bool first = true, skipping = false, prev_cr = false, at_eof = false;
	utf16 u16 = {0, -1, 0};

	if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI) != 0) {
		fprintf(stderr, "ddmreport: error: out of memory\n");
		exit(70);
	}
	while (r->stop == DDM_OK && !at_eof) {
		const char *s = block, *end;

		got = fread(block, 1, sizeof block, f);
		end = block + got;
		if (j->sha)
			sha256_update(j->sha, block, got);
		if (j->bytes)
			*j->bytes += (long long)got;
		/* UTF-16 with its byte-order mark (Excel's "Unicode Text",
		 * Windows tools): read as the UTF-8 it stands for. */
		if (first && (u16.order = utf16_bom(block, got)) != 0) {
			wide = xmalloc(2 * BLOCK + 4);
			s += 2;
		}
		if (u16.order) {
			size_t w = utf16_to_utf8(&u16, (const unsigned char *)s,
						 (size_t)(end - s), wide);

			if (got == 0 && (u16.odd >= 0 || u16.hi)) {
				w += utf8_put(wide + w, 0xFFFD); /* cut short */
				u16.odd = -1;
				u16.hi = 0;
			}
			s = wide;
			end = wide + w;
		}
		if (got == 0) {
			at_eof = true;
			if (s == end)
				break;
		}
		if (first && end - s >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
			s += 3;
		if (first) {
			size_t skip;

			r->delim = sniff_delim(s, (size_t)(end - s), &skip);
			csv_set_delim(&p, r->delim);
			if (skip) {
				/* "sep=;" is no record: its line counts */
				s += skip;
				r->line++;
				prev_cr = s[-1] == '\r';
			}
		}
		first = false;
		while (s < end && r->stop == DDM_OK) {
			/* One piece: up to and including the next CR or LF, so
			 * CR, LF and CRLF line ends all count as one line. */
			size_t n = strcspn_len(s, (size_t)(end - s));
			char last = s[n - 1];
			bool eol = last == '\n' || last == '\r';
			/* The LF of a CRLF split by a block boundary or not:
			 * the CR already counted the line. */
			bool lf_of_crlf = prev_cr && n == 1 && last == '\n';

			prev_cr = last == '\r';
			if (skipping) {
				if (eol) {
					skipping = false;
					if (!lf_of_crlf)
						r->line++;
				}
				s += n;
				continue;
			}
			if (p.pstate == LIBCSV_ROW_NOT_BEGUN && r->n == 0 &&
			    !lf_of_crlf)
				r->rec_line = r->line;
			if (csv_parse(&p, s, n, on_field, on_record, r) != n) {
				bad_record(&p, r, r->rec_line,
					   parse_error_reason(&p));
				skipping = !eol;
			} else if (p.entry_pos > CSVIN_FIELD_CAP) {
				bad_record(&p, r, r->rec_line,
					   "field longer than 1 MiB");
				skipping = !eol;
			} else if (r->bytes + p.entry_pos > CSVIN_RECORD_CAP) {
				bad_record(&p, r, r->rec_line,
					   "record longer than 4 MiB");
				skipping = !eol;
			}
			if (eol && !lf_of_crlf)
				r->line++;
			s += n;
		}
	}
	if (ferror(f))
		j->errnum = errno ? errno : EIO;
	else if (r->stop == DDM_OK && !skipping &&
		 csv_fini(&p, on_field, on_record, r) != 0)
		r->stop = emit(r, r->rec_line,
			       "malformed CSV: unterminated quoted field at "
			       "end of file");
	free(wide);
	csv_free(&p);
	buf_free(&r->data);
}

/* The reading thread's part (readahead.h). */
static void read_ahead(readahead *ra, void *arg)
{
	read_job *j = arg;

	j->r.ra = ra;
	read_all(j);
}

ddm_err csvin_read(FILE *f, const char *path, const csvin_callbacks *cb,
		   sha256_ctx *sha, long long *bytes)
{
	read_job j = {.r = {.cb = cb, .line = 1, .rec_line = 1},
		      .f = f,
		      .sha = sha,
		      .bytes = bytes};
	readahead *ra = NULL;
	struct stat st;
	ddm_err err;

	if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode))
		ra = readahead_start(read_ahead, &j);
	if (ra) {
		err = readahead_play(ra, play, (void *)cb);
	} else {
		read_all(&j);
		err = j.r.stop;
	}
	if (j.errnum)
		return diag_error(DDM_ERR_IO, diag_q(path), "cannot read: %s",
				  strerror(j.errnum));
	return err;
}
