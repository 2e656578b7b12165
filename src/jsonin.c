/*
 * jsonin.c - JSON and NDJSON documents from a file, checked and bounded.
 *
 * Part of the ingest stage, beside csvin.  Why a scan of our own before
 * SQLite parses: SQLite's JSON functions accept invalid UTF-8 and only say
 * "malformed JSON", while a rejected row should say what is wrong and
 * where (truncated, invalid UTF-8 at byte N, nested too deep).  The scan
 * does not parse values; the parser (sources/flat.c, else SQLite's)
 * validates the syntax.
 *
 * Small files are read whole so a pretty-printed report (many lines, one
 * document) is recognised; large ones are NDJSON by necessity and are
 * streamed line by line, in a thread of their own (readahead.h) while the
 * caller's thread stores the reports: reading, hashing and checking were
 * a sixth of a 100k-report ingest.  (A small file stays in the caller's
 * thread: handing its documents over would copy them beside the whole
 * file, up to 16 MiB more.)
 */
#define _DEFAULT_SOURCE
#include "jsonin.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "readahead.h"
#include "util.h"

#define BLOCK 65536

bool jsonin_sniff(FILE *f)
{
	unsigned char head[4096];
	size_t n = fread(head, 1, sizeof head, f);

	rewind(f);
	return jsonin_looks_like(head, n);
}

bool jsonin_looks_like(const void *p, size_t n)
{
	const unsigned char *head = p;
	size_t i = 0;

	int order = utf16_bom(head, n);

	if (order) {
		/* UTF-16 (Windows PowerShell's "> file.json"): its first
		 * character that is not a blank, one unit after the mark */
		for (i = 2; i + 1 < n; i += 2) {
			unsigned c = order == 1 ? head[i] | head[i + 1] << 8
						: head[i] << 8 | head[i + 1];

			if (c != ' ' && c != '\t' && c != '\r' && c != '\n')
				return c == '{' || c == '[';
		}
		return false;
	}
	if (n >= 3 && head[0] == 0xEF && head[1] == 0xBB && head[2] == 0xBF)
		i = 3;
	while (i < n && (head[i] == ' ' || head[i] == '\t' || head[i] == '\r' ||
			 head[i] == '\n'))
		i++;
	return i < n && (head[i] == '{' || head[i] == '[');
}

bool jsonin_check(const char *text, size_t len, size_t *nvalues, char *why,
		  size_t cap)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t depth = 0, values = 0, opened_at = 0;
	bool in_str = false;

	for (size_t i = 0; i < len; i++) {
		unsigned c;

		if (in_str) {
			/* the bulk of a document: string bytes that need no
			 * more than this look */
			while (i < len && s[i] < 0x80 && s[i] != '"' &&
			       s[i] != '\\')
				i++;
			if (i == len)
				break;
		}
		c = s[i];
		if (c >= 0x80) {
			uint32_t cp;
			size_t bad;
			size_t n = utf8_decode(s + i, len - i, &cp, &bad);

			if (!n) {
				snprintf(why, cap, "invalid UTF-8 at byte %zu",
					 i);
				return false;
			}
			if (!in_str && depth == 0)
				goto unexpected;
			i += n - 1;
			continue;
		}
		if (in_str) {
			if (c == '\\' && i + 1 < len && s[i + 1] < 0x80)
				i++;
			else if (c == '"')
				in_str = false;
			continue;
		}
		switch (c) {
		case '"':
			if (depth == 0)
				goto unexpected;
			in_str = true;
			break;
		case '{':
		case '[':
			if (depth == 0)
				opened_at = i;
			if (++depth > JSONIN_MAX_DEPTH) {
				snprintf(why, cap,
					 "nested deeper than %d levels at byte "
					 "%zu",
					 JSONIN_MAX_DEPTH, i);
				return false;
			}
			break;
		case '}':
		case ']':
			if (depth == 0)
				goto unexpected;
			if (--depth == 0)
				values++;
			break;
		case ' ':
		case '\t':
		case '\r':
		case '\n':
			break;
		default:
			if (depth == 0)
				goto unexpected;
		}
		continue;
	unexpected:
		snprintf(why, cap,
			 "not JSON: unexpected %s at byte %zu (expected an "
			 "object "
			 "or an array)",
			 diag_qn(text + i, 1), i);
		return false;
	}
	if (in_str || depth) {
		snprintf(why, cap,
			 "truncated JSON: the value opened at byte %zu is not "
			 "closed (%zu bytes read)",
			 opened_at, len);
		return false;
	}
	if (values == 0) {
		snprintf(why, cap, "empty document");
		return false;
	}
	*nvalues = values;
	return true;
}

/* Hands one line (or document) to the callbacks after checking it. */
static ddm_err one(const jsonin_callbacks *cb, const char *s, size_t len,
		   long line, long long off, bool single_value)
{
	char why[160], reason[200];
	size_t nv = 0;

	while (len && (s[len - 1] == '\r' || s[len - 1] == ' ' ||
		       s[len - 1] == '\t' || s[len - 1] == '\n'))
		len--;
	if (strspn(s, " \t\r\n") >= len)
		return DDM_OK; /* blank line */
	if (!jsonin_check(s, len, &nv, why, sizeof why)) {
		snprintf(reason, sizeof reason, "%s (document at byte %lld)",
			 why, off);
		return cb->bad(cb->ctx, line, off, reason);
	}
	if (single_value && nv != 1) {
		snprintf(reason, sizeof reason,
			 "%zu JSON values on one line (expected one)", nv);
		return cb->bad(cb->ctx, line, off, reason);
	}
	return cb->doc(cb->ctx, s, len, line, off);
}

/* Calls one() for every line of the in-memory text. */
static ddm_err lines_of(const jsonin_callbacks *cb, const char *s, size_t len,
			long long base)
{
	long line = 1;
	size_t start = 0;

	for (size_t i = 0; i <= len; i++) {
		if (i == len || s[i] == '\n') {
			ddm_err err = one(cb, s + start, i - start, line,
					  base + (long long)start, true);

			if (err)
				return err;
			line++;
			start = i + 1;
		}
	}
	return DDM_OK;
}

/* True when the first line of s is one whole value and something follows
 * it: then s is not one value, nor a broken pretty-printed one, and
 * whole() would read it line by line after checking it all for nothing. */
static bool ndjson_at_once(const char *s, size_t len)
{
	const char *nl = memchr(s, '\n', len), *p;
	size_t nv = 0;
	char why[160];

	if (!nl)
		return false;
	for (p = nl + 1; p < s + len; p++)
		if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
			break;
	return p < s + len &&
	       jsonin_check(s, (size_t)(nl - s), &nv, why, sizeof why) &&
	       nv == 1;
}

/* A whole small file: one document if it is one value, else NDJSON. */
static ddm_err whole(const jsonin_callbacks *cb, char *s, size_t len)
{
	size_t skip = 0, nv = 0;
	char why[160];
	const char *first;
	size_t flen;

	if (len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
		skip = 3;
	if (ndjson_at_once(s + skip, len - skip))
		return lines_of(cb, s + skip, len - skip, (long long)skip);
	if (jsonin_check(s + skip, len - skip, &nv, why, sizeof why) &&
	    nv == 1) {
		long line = 1;

		for (size_t i = 0; i < skip + strspn(s + skip, " \t\r\n"); i++)
			if (s[i] == '\n')
				line++;
		return cb->doc(cb->ctx, s + skip, len - skip, line,
			       (long long)skip);
	}
	/* A pretty-printed document that is broken: one rejected document,
	 * not a rejected row per line. */
	first = s + skip + strspn(s + skip, " \t\r\n");
	flen = strcspn(first, "\r\n");
	if ((flen == 1 && (*first == '{' || *first == '[')) ||
	    !memchr(s, '\n', len)) {
		char reason[200];

		if (!jsonin_check(s + skip, len - skip, &nv, why, sizeof why))
			snprintf(reason, sizeof reason, "%s", why);
		else
			snprintf(reason, sizeof reason,
				 "%zu JSON values in a document (expected one, "
				 "or one per line)",
				 nv);
		return cb->bad(cb->ctx, 1, (long long)skip, reason);
	}
	return lines_of(cb, s + skip, len - skip, (long long)skip);
}

/* True when s[0..len) is "{" or "[" alone (blanks aside): the first line
 * of a pretty-printed document. */
static bool pretty_start(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'))
		i++;
	if (i == len || (s[i] != '{' && s[i] != '['))
		return false;
	for (i++; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return false;
	return true;
}

/* Streams lines; a line over the cap is counted and skipped unbuffered. */
static ddm_err stream(FILE *f, const char *path, const jsonin_callbacks *cb,
		      sha256_ctx *sha, long long *bytes)
{
	char *block = xmalloc(BLOCK + 1); /* NUL after the bytes read */
	buf line = {0};
	long lineno = 1;
	long long off = 0, line_off = 0, line_len = 0;
	bool overlong = false, unread = false, started = false;
	ddm_err err = DDM_OK;
	size_t n;

	while (err == DDM_OK && (n = fread(block, 1, BLOCK, f)) > 0) {
		size_t start = 0;

		block[n] = '\0'; /* strspn in one() stops here at the latest */
		if (sha)
			sha256_update(sha, block, n);
		*bytes += (long long)n;
		if (off == 0 && utf16_bom(block, n)) {
			/* read whole only (a regular file of at most 16
			 * MiB); the rest is hashed, not read */
			unread = true;
			err = cb->bad(cb->ctx, 1, 0,
				      "JSON in UTF-16 is read only from a "
				      "file of at most 16 MiB: save it as "
				      "UTF-8");
		}
		if (unread) {
			off += (long long)n;
			continue;
		}
		/* A byte-order mark is skipped as in whole(). */
		if (off == 0 && n >= 3 && memcmp(block, "\xEF\xBB\xBF", 3) == 0)
			start = 3, line_off = 3;
		for (size_t i = start; i <= n && err == DDM_OK && !unread;
		     i++) {
			const char *ld;
			size_t ll;
			bool eol;

			/* to the line's end at once, not byte by byte (the
			 * loop was 3% of a DDM ingest) */
			if (i < n) {
				const char *nl = memchr(block + i, '\n', n - i);

				i = nl ? (size_t)(nl - block) : n;
			}
			eol = i < n;
			/* block[start..i) belongs to the current line */
			line_len += (long long)(i - start);
			if (!overlong && line_len > JSONIN_DOC_CAP) {
				overlong = true;
				buf_free(&line);
			}
			/* a line whole in the block is read where it is; one
			 * begun in the last block is put together in line */
			if (eol && !overlong && !line.len) {
				ld = block + start;
				ll = i - start;
			} else {
				if (!overlong)
					buf_append(&line, block + start,
						   i - start);
				ld = line.data ? line.data : "";
				ll = line.len;
			}
			if (eol) {
				if (overlong) {
					char reason[160];

					snprintf(reason, sizeof reason,
						 "line of %lld bytes is longer "
						 "than "
						 "the %d MiB limit: skipped",
						 line_len,
						 JSONIN_DOC_CAP >> 20);
					err = cb->bad(cb->ctx, lineno, line_off,
						      reason);
				} else if (!started && pretty_start(ld, ll)) {
					/* one document over many lines, too
					 * big to hold: its lines are no
					 * documents (a rejected row each) */
					unread = true;
					err = cb->bad(
						cb->ctx, lineno, line_off,
						"a JSON document written over "
						"many lines is read only from "
						"a "
						"file of at most 16 MiB: write "
						"one document per line "
						"(NDJSON; "
						"Jamf Pro pages one per line)");
				} else {
					err = one(cb, ld, ll, lineno, line_off,
						  true);
				}
				if (ll && strspn(ld, " \t\r") < ll)
					started = true;
				buf_reset(&line);
				overlong = false;
				lineno++;
				line_off = off + (long long)i + 1;
				line_len = 0;
			}
			start = i + 1;
		}
		off += (long long)n;
	}
	if (err == DDM_OK && ferror(f))
		err = diag_error(DDM_ERR_IO, diag_q(path), "read failed: %s",
				 strerror(errno));
	if (err == DDM_OK && line_len > 0 && !unread) {
		if (overlong) {
			char reason[160];

			snprintf(reason, sizeof reason,
				 "line of %lld bytes is longer than the %d MiB "
				 "limit: skipped",
				 line_len, JSONIN_DOC_CAP >> 20);
			err = cb->bad(cb->ctx, lineno, line_off, reason);
		} else {
			err = one(cb, line.data ? line.data : "", line.len,
				  lineno, line_off, true);
		}
	}
	buf_free(&line);
	free(block);
	return err;
}

/* A whole small file (st: its status), else streamed. */
static ddm_err read_file(FILE *f, const char *path, const jsonin_callbacks *cb,
			 sha256_ctx *sha, long long *bytes,
			 const struct stat *st)
{
	char *all;
	size_t n;
	ddm_err err;

	if (!st || st->st_size > JSONIN_DOC_CAP)
		return stream(f, path, cb, sha, bytes);
	all = xmalloc((size_t)st->st_size + 1);
	n = fread(all, 1, (size_t)st->st_size + 1, f);
	if (ferror(f)) {
		free(all);
		return diag_error(DDM_ERR_IO, diag_q(path), "read failed: %s",
				  strerror(errno));
	}
	if (n > (size_t)st->st_size || !feof(f)) {
		/* The file grew while we read it: stream it from the start. */
		free(all);
		rewind(f);
		return stream(f, path, cb, sha, bytes);
	}
	all[n] = '\0';
	if (sha)
		sha256_update(sha, all, n);
	*bytes = (long long)n;
	if (utf16_bom(all, n)) {
		/* UTF-16 (Windows PowerShell's "> file.json"): read as the
		 * UTF-8 it stands for; byte offsets in reasons are then the
		 * UTF-8 text's */
		utf16 u = {utf16_bom(all, n), -1, 0};
		char *u8 = xmalloc(2 * n + 8);
		size_t m = utf16_to_utf8(&u, (const unsigned char *)all + 2,
					 n - 2, u8);

		if (u.odd >= 0 || u.hi)
			m += utf8_put(u8 + m, 0xFFFD);
		u8[m] = '\0';
		free(all);
		all = u8;
		n = m;
	}
	err = whole(cb, all, n);
	free(all);
	return err;
}

/* An event handed over (readahead.h): a doc_head, then the document's
 * text (or the bad document's reason) and a NUL. */
typedef struct doc_head {
	long line;
	long long off;
	size_t len;
	bool bad;
} doc_head;

/* A streamed file read in a thread of its own. */
typedef struct read_job {
	FILE *f;
	const char *path;
	sha256_ctx *sha;
	long long *bytes;
	const struct stat *st;
	ddm_err err; /* the read's own: a read error */
	buf held;    /* its message, told when the caller's thread did not
			stop first */
} read_job;

static ddm_err put_event(readahead *ra, long line, long long off, const char *s,
			 size_t len, bool bad)
{
	doc_head h = {line, off, len, bad};
	buf *b = readahead_event(ra);

	buf_append(b, &h, sizeof h);
	buf_append(b, s, len);
	buf_putc(b, '\0');
	/* stopped: the callback's own error is the caller's */
	return readahead_put(ra) ? DDM_OK : DDM_ERR_DATA;
}

static ddm_err ahead_doc(void *ctx, const char *text, size_t len, long line,
			 long long off)
{
	return put_event(ctx, line, off, text, len, false);
}

static ddm_err ahead_bad(void *ctx, long line, long long off,
			 const char *reason)
{
	return put_event(ctx, line, off, reason, strlen(reason), true);
}

/* In the caller's thread: the callbacks on one event handed over. */
static ddm_err play(void *ctx, const char *ev, size_t len)
{
	const jsonin_callbacks *cb = ctx;
	const char *s = ev + sizeof(doc_head);
	doc_head h;

	(void)len;
	memcpy(&h, ev, sizeof h);
	return h.bad ? cb->bad(cb->ctx, h.line, h.off, s)
		     : cb->doc(cb->ctx, s, h.len, h.line, h.off);
}

/* The reading thread's part. */
static void read_ahead(readahead *ra, void *arg)
{
	read_job *j = arg;
	jsonin_callbacks ahead = {ahead_doc, ahead_bad, ra};

	diag_hold_begin(&j->held);
	j->err = read_file(j->f, j->path, &ahead, j->sha, j->bytes, j->st);
	diag_hold_end();
}

ddm_err jsonin_read(FILE *f, const char *path, const jsonin_callbacks *cb,
		    sha256_ctx *sha, long long *bytes)
{
	struct stat st;
	bool regular = fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode);
	read_job j = {f, path, sha, bytes, regular ? &st : NULL, DDM_OK, {0}};
	readahead *ra = NULL;
	ddm_err err;

	*bytes = 0;
	if (regular && st.st_size > JSONIN_DOC_CAP)
		ra = readahead_start(read_ahead, &j);
	if (!ra)
		return read_file(f, path, cb, sha, bytes, j.st);
	err = readahead_play(ra, play, (void *)cb);
	if (err == DDM_OK) {
		err = j.err;
		diag_release(&j.held);
	}
	buf_free(&j.held);
	return err;
}
