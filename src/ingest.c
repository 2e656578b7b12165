/*
 * ingest.c - detect each input's format, map its rows, store them.
 *
 * Pipeline position: first stage.  csvin parses, formats says what the
 * columns and words mean, store keeps the rows.  Per file:
 *   BEGIN IMMEDIATE; a source_file row; every record; then the file's
 *   SHA-256 (computed while reading) is compared with those already stored:
 *   seen before -> ROLLBACK (nothing changes), else COMMIT.
 * Hashing while reading keeps the common case (a new file) to one pass.
 */
#define _GNU_SOURCE /* fopencookie */
#include "ingest.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "csvin.h"
#include "ddm.h"
#include "sources/identity.h"
#include "sources/kmfddm_files.h"
#include "formats.h"
#include "jsonin.h"
#include "sha256.h"
#include "timeutil.h"
#include "util.h"
#include "version.h"

/* Recent answers of a platform rule (a PCRE2 match per row otherwise, for
 * the handful of spellings a fleet uses): key bytes -> static name. */
#define PLAT_MEMO 8
typedef struct plat_memo {
	char key[32];
	size_t klen;	   /* 0: unused */
	const char *value; /* from formats; NULL: no rule matched */
} plat_memo;

/* Parameter indices of one store statement, resolved once. */
typedef struct stmt_params {
	store_stmt *st;
	int p[F__COUNT];
	int file, line, status_raw, reason, raw, reported_at, last_check_in;
	int failure_count;
} stmt_params;

/* A directory already walked, known by device and inode (a link back to
 * a parent or a sibling must not multiply the walk). */
typedef struct dir_id {
	dev_t dev;
	ino_t ino;
} dir_id;

struct ingest {
	store *store;	/* borrowed */
	dir_id *walked; /* owned: directories walked so far */
	size_t nwalked;
	formats *formats; /* owned */
	ddm *ddm;	  /* owned: JSON sources */
	ingest_opts opts;
	ingest_stats stats;
	plat_memo plat_memo[PLAT_MEMO], model_memo[PLAT_MEMO];
	unsigned plat_next, model_next; /* round-robin replacement */
	stmt_params stage, append, inv, tgt, rej;
	store_stmt *obs_base, *devices_of_file;		   /* store-owned */
	store_stmt *stage_flush, *stage_clear;		   /* store-owned */
	store_stmt *key_drop, *key_build, *dedupe;	   /* store-owned */
	store_stmt *file_begin, *file_known, *file_finish; /* store-owned */
	store_stmt *untimed;				   /* store-owned */
	store_stmt *file_retry, *forget_rejected, *forget; /* store-owned */
	store_stmt *devices_of_stage, *devices_of_bulk;	   /* store-owned */
	int64_t clock; /* the wall clock when the ingest began, or the
			  run's --as-of when later (a rehearsal ahead) */
	/* Files read before the input that identifies their devices, to be
	 * read again at the end (ingest_deferred); owned paths. */
	char **deferred;
	size_t ndeferred;
	bool last;	/* the file being read is the run's last input */
	bool rereading; /* ingest_deferred is reading them: final */
};

/* State while one file is read. */
typedef struct file_ctx {
	ingest *in;
	const char *path;
	int64_t file_id;
	int64_t obs_base;  /* largest observation rowid before this file */
	const format *fmt; /* NULL until the header is read */
	int col[F__COUNT];
	size_t ncols;
	long rows_read, stored, duplicate, rejected;
	long staged; /* status rows staged or appended, not yet counted */
	/* Status rows go straight into observation, its key dropped (it was
	 * empty when the file began); else they are staged.  See store_row. */
	bool bulk;
	bool kind_known;   /* bulk decided (at the first status row) */
	bool devices_done; /* the stored rows' serials are registered */
	bool retry; /* read before, nothing stored: every report unresolved */
	ddm_err fatal; /* an error that stops this file */
	bool header_bad;
	bool skip_rest; /* a file read and skipped whole (KMFDDM's CSVs) */
	char header_why[160]; /* why the header is bad, when not unrecognised */
	const char *not_input; /* what the file is instead (sniff_kind) */
	/* The header's names, trimmed, each NUL-terminated (a record that
	 * repeats them is a header again: files joined with cat). */
	buf header;
	/* rows whose group is not UTF-8, and the first one's facts */
	long bad_group, bad_group_line;
	unsigned bad_group_byte;
	size_t bad_group_at;
	/* the first rejected row's line and reason, for stderr */
	long first_rej_line;
	char first_rej_reason[160];
	/* rows the format's "only" rule skipped, and the first one's value */
	long only_skipped, only_line;
	char only_value[64];
	/* JSON files (fmt stays NULL) */
	ddm_file df;
	ddm_counts dc;
	bool endless;	/* not a regular file: may never end */
	long json_good; /* documents handed on (endless inputs) */
} file_ctx;

/* Bad documents at the start of an input that is not a regular file after
 * which it is taken for something else than JSON, and rejected rows after
 * which its share of rejected rows is judged (/dev/urandom would
 * otherwise be read for ever, holding the lock). */
#define ENDLESS_BAD_LIMIT 1000

static void resolve(stmt_params *sp, store_stmt *st)
{
	char name[64];

	sp->st = st;
	for (int f = 0; f < F__COUNT; f++) {
		const char *fname = field_name((field_id)f);

		snprintf(name, sizeof name, ":%s",
			 strcmp(fname, "group") == 0 ? "grp" : fname);
		sp->p[f] = store_stmt_param(st, name);
	}
	sp->file = store_stmt_param(st, ":file");
	sp->line = store_stmt_param(st, ":line");
	sp->status_raw = store_stmt_param(st, ":status_raw");
	sp->reason = store_stmt_param(st, ":reason");
	sp->raw = store_stmt_param(st, ":raw");
	sp->reported_at = store_stmt_param(st, ":reported_at");
	sp->last_check_in = store_stmt_param(st, ":last_check_in");
	sp->failure_count = store_stmt_param(st, ":failure_count");
}

ddm_err ingest_new(store *s, const ingest_opts *opts, ingest **out)
{
	ingest *in = xcalloc(1, sizeof *in);
	store_stmt *st[21];
	static const char *const names[21] = {
		"obs_stage",	    "observation_base",
		"inventory",	    "target",
		"rejected",	    "file_begin",
		"file_known",	    "file_finish",
		"devices_of_file",  "obs_stage_flush",
		"obs_stage_clear",  "obs_append",
		"obs_key_drop",	    "obs_key_build",
		"obs_dedupe",	    "device_untimed",
		"devices_of_stage", "devices_of_bulk",
		"file_retry",	    "file_forget_rejected",
		"file_forget",
	};
	ddm_err err;

	in->store = s;
	in->opts = *opts;
	in->clock = (int64_t)time(NULL);
	if (opts->as_of > in->clock)
		in->clock = opts->as_of;
	for (int i = 0; i < 21; i++) {
		st[i] = store_stmt_get(s, names[i]);
		if (!st[i]) {
			free(in);
			return DDM_ERR_INTERNAL;
		}
	}
	resolve(&in->stage, st[0]);
	in->stage_flush = st[9];
	in->stage_clear = st[10];
	resolve(&in->append, st[11]);
	in->key_drop = st[12];
	in->key_build = st[13];
	in->dedupe = st[14];
	in->obs_base = st[1];
	in->devices_of_file = st[8];
	resolve(&in->inv, st[2]);
	resolve(&in->tgt, st[3]);
	resolve(&in->rej, st[4]);
	in->file_begin = st[5];
	in->file_known = st[6];
	in->file_finish = st[7];
	in->untimed = st[15];
	in->devices_of_stage = st[16];
	in->devices_of_bulk = st[17];
	in->file_retry = st[18];
	in->forget_rejected = st[19];
	in->forget = st[20];
	err = formats_load(&in->formats);
	if (err) {
		free(in);
		return err;
	}
	err = ddm_new(s, in->formats, opts->source_tz, in->clock, &in->ddm);
	if (err) {
		formats_free(in->formats);
		free(in);
		return err;
	}
	*out = in;
	return DDM_OK;
}

void ingest_free(ingest *in)
{
	if (!in)
		return;
	ddm_free(in->ddm);
	formats_free(in->formats);
	free(in->walked);
	for (size_t i = 0; i < in->ndeferred; i++)
		free(in->deferred[i]);
	free(in->deferred);
	free(in);
}

const ingest_stats *ingest_get_stats(const ingest *in)
{
	return &in->stats;
}

/* ---- field helpers ----------------------------------------------------- */

typedef struct span {
	const char *s;
	size_t len;
} span;

/* The trimmed value of field f in rec ({NULL,0} when absent or empty). */
static span get(const file_ctx *fc, const csvin_record *rec, field_id f)
{
	span v = {NULL, 0};
	int c = fc->col[f];

	if (c == FORMAT_COL_DEFAULT) {
		v.s = format_default(fc->fmt, f);
		v.len = strlen(v.s);
		return v;
	}
	if (c < 0 || (size_t)c >= rec->n)
		return v;
	v.s = rec->field[c];
	v.len = rec->len[c];
	/* Blanks around a value, the no-break space (U+00A0) of a value
	 * copied out of a web page among them. */
	for (;;) {
		if (v.len && (*v.s == ' ' || *v.s == '\t'))
			v.s++, v.len--;
		else if (v.len >= 2 && memcmp(v.s, "\xC2\xA0", 2) == 0)
			v.s += 2, v.len -= 2;
		else
			break;
	}
	for (;;) {
		if (v.len && (v.s[v.len - 1] == ' ' || v.s[v.len - 1] == '\t' ||
			      v.s[v.len - 1] == '\r'))
			v.len--;
		else if (v.len >= 2 &&
			 memcmp(v.s + v.len - 2, "\xC2\xA0", 2) == 0)
			v.len -= 2;
		else
			break;
	}
	if (v.len)
		format_value(fc->fmt, f, &v.s, &v.len);
	if (!v.len)
		v.s = NULL;
	return v;
}

static void bind_span(stmt_params *sp, field_id f, span v)
{
	store_bind_text(sp->st, sp->p[f], v.s, v.len);
}

/* The rows of a file, rejected ones included (a JSON document rejected
 * before it was read as a report is not in rows_read). */
static long rows_total(const file_ctx *fc)
{
	return fc->rows_read > fc->rejected ? fc->rows_read : fc->rejected;
}

/* True when more than --max-rejected percent of the file's rows were
 * rejected. */
static bool too_many_rejected(const ingest *in, const file_ctx *fc)
{
	return fc->rejected > 0 &&
	       (double)fc->rejected * 100.0 >
		       in->opts.max_rejected * (double)rows_total(fc);
}

/* Stops reading an input that may never end (not a regular file) once it
 * is plainly not what it claimed to be; what says why, at line. */
static ddm_err endless_stop(const file_ctx *fc, long line, const char *what)
{
	char *where = xasprintf("%s:%ld", diag_q(fc->path), line);

	diag_error(DDM_ERR_DATA, where, "%s; stopped reading", what);
	free(where);
	return DDM_ERR_DATA;
}

/* Bytes of an input row kept in the rejected table. */
#define RAW_MAX 1024

/*
 * Puts a row into out for the rejected table: s[0..len) is its start (at
 * least RAW_MAX + 1 bytes of it when it is longer), total_len and chars
 * its whole size.  A row over RAW_MAX bytes is cut on a character
 * boundary with a visible marker saying how many characters are missing
 * (the input file has them).
 */
static void raw_cut(buf *out, const char *s, size_t len, size_t total_len,
		    size_t chars)
{
	size_t keep;
	char marker[96];

	buf_reset(out);
	if (total_len <= RAW_MAX) {
		buf_append(out, s, len);
		return;
	}
	keep = utf8_floor(s, RAW_MAX);
	buf_append(out, s, keep);
	snprintf(marker, sizeof marker,
		 "\xE2\x80\xA6 [cut: %zu characters, full text in the input "
		 "file]",
		 chars - utf8_chars(s, keep, (size_t)-1));
	buf_puts(out, marker);
}

/* Binds v without a copy: for the staged status row, whose every value
 * lives in the CSV record (or is static) until the row is stored. */
static void bind_span_ref(stmt_params *sp, field_id f, span v)
{
	store_bind_text_ref(sp->st, sp->p[f], v.s, v.len);
}

/* Keeps the first rejected row's line and reason: cron's line points at
 * it, as every other message points into the user's file.  Reasons quote
 * data escaped already (diag_qn); a control character one might still
 * hold becomes '?' rather than reach a terminal. */
static void note_first_rejected(file_ctx *fc, long line, const char *reason)
{
	if (fc->rejected)
		return;
	fc->first_rej_line = line;
	snprintf(fc->first_rej_reason, sizeof fc->first_rej_reason, "%s",
		 reason);
	for (char *c = fc->first_rej_reason; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
}

/* Appends s[0..n) to b, as far as b stays within RAW_MAX + 1 bytes. */
static void raw_put(buf *b, const char *s, size_t n)
{
	size_t room = b->len < RAW_MAX + 1 ? RAW_MAX + 1 - b->len : 0;

	buf_append(b, s, n < room ? n : room);
}

/*
 * Stores a rejected row; raw is the record as a CSV line (fields joined
 * with commas, one holding a comma, quote or line end quoted as RFC 4180
 * says), cut.  Unquoted, a Kandji model "iPhone16,1" read as two fields,
 * and the row could not be fixed and fed again.  Only the start is
 * copied: a field may be megabytes long.
 */
static ddm_err reject(file_ctx *fc, long line, const char *reason,
		      const csvin_record *rec)
{
	ingest *in = fc->in;
	buf start = {0}, raw = {0};
	size_t total = 0, chars = 0;
	ddm_err err;

	if (rec) {
		for (size_t i = 0; i < rec->n; i++) {
			const char *f = rec->field[i];
			size_t len = rec->len[i], quotes = 0;
			bool quote = false;

			if (i) {
				total++;
				chars++;
				raw_put(&start, ",", 1);
			}
			for (size_t k = 0; k < len; k++) {
				quote = quote || f[k] == ',' || f[k] == '"' ||
					f[k] == '\r' || f[k] == '\n';
				quotes += f[k] == '"';
			}
			total += len;
			chars += utf8_chars(f, len, (size_t)-1);
			if (!quote) {
				raw_put(&start, f, len);
				continue;
			}
			total += 2 + quotes;
			chars += 2 + quotes;
			raw_put(&start, "\"", 1);
			for (size_t k = 0, from = 0; k <= len; k++)
				if (k == len || f[k] == '"') {
					raw_put(&start, f + from, k - from);
					if (k < len)
						raw_put(&start, "\"\"", 2);
					from = k + 1;
				}
			raw_put(&start, "\"", 1);
		}
		raw_cut(&raw, buf_cstr(&start), start.len, total, chars);
		buf_free(&start);
	}
	note_first_rejected(fc, line, reason);
	store_bind_int(in->rej.st, in->rej.file, fc->file_id);
	store_bind_int(in->rej.st, in->rej.line, line);
	store_bind_text(in->rej.st, in->rej.reason, reason, strlen(reason));
	store_bind_text(in->rej.st, in->rej.raw, rec ? buf_cstr(&raw) : NULL,
			raw.len);
	err = store_stmt_run(in->rej.st, NULL, NULL);
	buf_free(&raw);
	fc->rejected++;
	/* A stream of junk after a good header (a pipe of /dev/urandom)
	 * would otherwise be read for ever. */
	if (err == DDM_OK && fc->endless && fc->rejected >= ENDLESS_BAD_LIMIT &&
	    too_many_rejected(in, fc))
		err = endless_stop(fc, line,
				   "more than --max-rejected of the rows "
				   "rejected in a stream");
	return err;
}

/* Parses a timestamp field; times without a zone are read in source_tz. */
static bool parse_time(const ingest *in, span v, int64_t *out)
{
	bool had_zone;
	int64_t t = 0;

	if (!v.s || !ts_parse(v.s, v.len, &t, &had_zone))
		return false;
	if (!had_zone && in->opts.source_tz &&
	    !tz_wall_to_utc(in->opts.source_tz, t, &t, NULL))
		return false;
	*out = t;
	return true;
}

/* Why a present serial cannot be stored, or NULL.  A NUL byte would cut
 * it short (and merge two devices), so it is refused, not kept. */
static const char *serial_problem(span v)
{
	size_t i = 0;

	if (v.len > 127)
		return "serial_number longer than 127 bytes";
	if (memchr(v.s, '\0', v.len))
		return "serial_number contains a NUL byte";
	/* "1.23457E+11" ("1,23457E+11" in a decimal-comma locale): a
	 * spreadsheet took a serial of digits for a number
	 * and kept only six of them; it names no device, or another one. */
	while (i < v.len && v.s[i] >= '0' && v.s[i] <= '9')
		i++;
	if (i == 1 && i < v.len && (v.s[i] == '.' || v.s[i] == ','))
		for (i++; i < v.len && v.s[i] >= '0' && v.s[i] <= '9'; i++)
			;
	if (i == 0 || i + 2 >= v.len || (v.s[i] != 'E' && v.s[i] != 'e') ||
	    (v.s[i + 1] != '+' && v.s[i + 1] != '-'))
		return NULL;
	for (i += 2; i < v.len; i++)
		if (v.s[i] < '0' || v.s[i] > '9')
			return NULL;
	return "serial_number is a number in scientific notation (a "
	       "spreadsheet rewrote it and lost digits): export the "
	       "column as text";
}

/*
 * Notes a group name that is not UTF-8: a file saved in a legacy code
 * page (Excel's "CSV (Comma delimited)" writes Windows-1252), whose
 * "B\xfcro" never equals the "B\xc3\xbcro" of a UTF-8 targets file: the
 * device would take another target, or none, with nothing said.  The row
 * is kept as it is (values are stored exactly); the file is named with
 * its first such line when it is done (ingest_file).
 */
static void note_group(file_ctx *fc, long line, span v)
{
	for (size_t i = 0; v.s && i < v.len;) {
		uint32_t cp;
		size_t bad = 0;
		size_t n = utf8_decode((const unsigned char *)v.s + i,
				       v.len - i, &cp, &bad);

		if (!n) {
			if (fc->bad_group++ == 0) {
				fc->bad_group_line = line;
				fc->bad_group_byte = (unsigned char)v.s[i];
				fc->bad_group_at = i + 1;
			}
			return;
		}
		i += n;
	}
}

/* The serial as the device's identity (identity_serial: upper-cased,
 * without the invisible characters a spreadsheet leaves in it); returns
 * its length, 0 when nothing is left. */
static size_t serial_norm(span v, char *out, size_t cap)
{
	return identity_serial(v.s, v.len, out, cap);
}

/* The reason a serial (sn, normalised from v) is refused as a placeholder,
 * in why; NULL when it is a serial. */
static const char *serial_placeholder(span v, const char *sn, char *why,
				      size_t cap)
{
	if (!identity_placeholder(sn))
		return NULL;
	snprintf(why, cap,
		 "serial_number '%s' is a placeholder, not a device's serial "
		 "(devices sharing it would be counted as one)",
		 diag_qn(v.s, v.len));
	return why;
}

/* fn(v) through the memo m (next: where the next new answer goes). */
static const char *memo_lookup(ingest *in, plat_memo *m, unsigned *next, span v,
			       const char *(*fn)(const formats *, const char *,
						 size_t))
{
	plat_memo *e;

	if (v.len >= sizeof m->key)
		return fn(in->formats, v.s, v.len);
	for (int i = 0; i < PLAT_MEMO; i++)
		if (m[i].klen == v.len && memcmp(m[i].key, v.s, v.len) == 0)
			return m[i].value;
	e = &m[(*next)++ % PLAT_MEMO];
	memcpy(e->key, v.s, v.len);
	e->klen = v.len;
	e->value = fn(in->formats, v.s, v.len);
	return e->value;
}

/* The platform name for a row: its own column, else from the model. */
static span platform_of(const file_ctx *fc, span plat, span model)
{
	ingest *in = fc->in;
	const char *p = NULL;
	span out = plat;

	if (plat.s)
		p = memo_lookup(in, in->plat_memo, &in->plat_next, plat,
				formats_platform);
	else if (model.s)
		p = memo_lookup(in, in->model_memo, &in->model_next, model,
				formats_platform_of_model);
	if (p) {
		out.s = p;
		out.len = strlen(p);
	}
	return out;
}

static bool parse_count(span v, int64_t *out)
{
	char tmp[24], *end;
	long long n;

	if (!v.s || v.len >= sizeof tmp)
		return false;
	memcpy(tmp, v.s, v.len);
	tmp[v.len] = '\0';
	errno = 0;
	n = strtoll(tmp, &end, 10);
	if (errno || *end || n < 0)
		return false;
	*out = n;
	return true;
}

/* ---- rows by kind -------------------------------------------------------- */

/* A status row without a time (Kandji's PENDING: the device never
 * reported): the device and its status are kept, with no observation. */
static ddm_err row_untimed(file_ctx *fc, const csvin_record *rec)
{
	store_stmt *st = fc->in->untimed;
	span serial = get(fc, rec, F_SERIAL_NUMBER);
	span raw = get(fc, rec, F_STATUS);
	span name = get(fc, rec, F_DEVICE_NAME), grp = get(fc, rec, F_GROUP);
	span plat = platform_of(fc, get(fc, rec, F_PLATFORM),
				get(fc, rec, F_MODEL));
	const char *status, *r;
	size_t rl;
	char sn[128];
	ddm_err err;

	status = formats_status(fc->in->formats, fc->fmt, raw.s ? raw.s : "",
				raw.len, &r, &rl);
	if (!status)
		return reject(fc, rec->line,
			      "status could not be matched (match limit)", rec);
	serial_norm(serial, sn, sizeof sn);
	store_bind_text(st, store_stmt_param(st, ":serial_number"), sn,
			strlen(sn));
	store_bind_text(st, store_stmt_param(st, ":status"), status,
			strlen(status));
	store_bind_text(st, store_stmt_param(st, ":status_raw"),
			raw.s ? raw.s : "", raw.len);
	store_bind_text(st, store_stmt_param(st, ":device_name"), name.s,
			name.len);
	store_bind_text(st, store_stmt_param(st, ":grp"), grp.s, grp.len);
	store_bind_text(st, store_stmt_param(st, ":platform"), plat.s,
			plat.len);
	store_bind_int(st, store_stmt_param(st, ":file"), fc->file_id);
	err = store_stmt_run(st, NULL, NULL);
	if (!err)
		fc->stored++;
	return err;
}

/* Whether the format's "only" rule keeps this row (formats.h); a row it
 * skips is counted, and false with *err set says what to return.  Without
 * the rule's column the file cannot say: every row is kept. */
static bool wanted(file_ctx *fc, const csvin_record *rec, ddm_err *err)
{
	int f = format_only_field(fc->fmt), w;
	span it;

	*err = DDM_OK;
	if (f < 0 || fc->col[f] < 0)
		return true;
	it = get(fc, rec, (field_id)f);
	w = format_row_wanted(fc->fmt, it.s, it.len);
	if (w < 0)
		*err = reject(fc, rec->line,
			      "row could not be matched (match limit)", rec);
	else if (w == 0) { /* an app, a profile, an Android phone, ... */
		fc->dc.skipped++;
		if (fc->only_skipped++ == 0) {
			fc->only_line = rec->line;
			snprintf(fc->only_value, sizeof fc->only_value, "%.*s",
				 (int)(it.len < 60 ? it.len : 60), it.s);
		}
	}
	return w > 0;
}

/*
 * A row whose time (a report's, a check-in's) is more than TS_FUTURE_SLACK
 * after the wall clock (or a later --as-of) names something that has not
 * happened: a clock off, a mistyped year, a zone misread.  Kept, it would
 * be ignored by every run until then (a device whose only report it is
 * would vanish from the reports) and, as a check-in, outrank every true
 * one: the inventory keeps a device's latest check-in and the version
 * read with it, which a run before that time does not use, so the device
 * read 'never seen', its version unknown, until then (for years, or for
 * the hours of a zone).  The row is rejected instead, naming the time
 * (writes why, returns true), so the Rejected report shows it and the
 * device keeps what the earlier exports said.
 */
static bool time_is_future(const file_ctx *fc, const char *field, int64_t t,
			   char *why, size_t cap)
{
	return ts_future(t, fc->in->clock, field, why, cap);
}

static ddm_err row_status(file_ctx *fc, const csvin_record *rec)
{
	ingest *in = fc->in;
	stmt_params *sp;
	span serial = get(fc, rec, F_SERIAL_NUMBER);
	span when = get(fc, rec, F_REPORTED_AT);
	span raw = get(fc, rec, F_STATUS);
	span tdt = get(fc, rec, F_TARGET_LOCAL_DATETIME);
	span fcount = get(fc, rec, F_FAILURE_COUNT);
	span reason = get(fc, rec, F_FAILURE_REASON);
	const char *status, *cap_reason;
	size_t cap_len;
	char sn[128];
	int64_t t, wall, count = 0;
	ddm_err err;

	if (!wanted(fc, rec, &err))
		return err;
	if (!serial.s || !serial_norm(serial, sn, sizeof sn))
		return reject(fc, rec->line, "missing serial_number", rec);
	if (serial_problem(serial))
		return reject(fc, rec->line, serial_problem(serial), rec);
	{
		char why[300];

		if (serial_placeholder(serial, sn, why, sizeof why))
			return reject(fc, rec->line, why, rec);
	}
	note_group(fc, rec->line, get(fc, rec, F_GROUP));
	if (!when.s && format_keeps_untimed(fc->fmt))
		return row_untimed(fc, rec);
	if (!when.s)
		return reject(fc, rec->line, "missing reported_at", rec);
	if (!parse_time(in, when, &t)) {
		char why[160];

		snprintf(why, sizeof why, "reported_at is not a time: %s",
			 diag_qn(when.s, when.len));
		return reject(fc, rec->line, why, rec);
	}
	{
		char why[160];

		if (time_is_future(fc, "reported_at", t, why, sizeof why))
			return reject(fc, rec->line, why, rec);
	}
	if (tdt.s && !ts_parse_wall(tdt.s, tdt.len, &wall))
		return reject(
			fc, rec->line,
			"target_local_datetime is not YYYY-MM-DDTHH:MM:SS",
			rec);
	if (fcount.s && !parse_count(fcount, &count))
		return reject(fc, rec->line,
			      "failure_count is not a whole number", rec);
	status = formats_status(in->formats, fc->fmt, raw.s ? raw.s : "",
				raw.len, &cap_reason, &cap_len);
	if (!status)
		return reject(fc, rec->line,
			      "status could not be matched (match limit)", rec);
	if (!fc->kind_known) {
		/* An empty observation table: append, build the key after. */
		fc->kind_known = true;
		fc->bulk = fc->obs_base == 0;
		if (fc->bulk) {
			err = store_stmt_run(in->key_drop, NULL, NULL);
			if (err)
				return err;
		}
	}
	sp = fc->bulk ? &in->append : &in->stage;
	/* Every parameter is bound on every row (store_stmt_exec keeps the
	 * bindings), each without a copy: sn and the spans live until the
	 * statement has run. */
	store_bind_text_ref(sp->st, sp->p[F_SERIAL_NUMBER], sn, strlen(sn));
	store_bind_int(sp->st, sp->reported_at, t);
	store_bind_text_ref(sp->st, sp->p[F_STATUS], status, strlen(status));
	store_bind_text_ref(sp->st, sp->status_raw, raw.s ? raw.s : "",
			    raw.len);
	for (int f = F_DEVICE_NAME; f <= F_TIME_ZONE; f++)
		if (f != F_PLATFORM)
			bind_span_ref(sp, (field_id)f,
				      get(fc, rec, (field_id)f));
	bind_span_ref(sp, F_PLATFORM,
		      platform_of(fc, get(fc, rec, F_PLATFORM),
				  get(fc, rec, F_MODEL)));
	if (fcount.s)
		store_bind_int(sp->st, sp->failure_count, count);
	else
		store_bind_null(sp->st, sp->failure_count);
	if (!reason.s && cap_reason) {
		reason.s = cap_reason;
		reason.len = cap_len;
	}
	if (format_reason_for(fc->fmt) &&
	    strcmp(format_reason_for(fc->fmt), status) != 0)
		reason.s = NULL, reason.len = 0; /* e.g. an install log */
	bind_span_ref(sp, F_FAILURE_REASON, reason);
	store_bind_int(sp->st, sp->file, fc->file_id);
	store_bind_int(sp->st, sp->line, rec->line);
	err = store_stmt_exec(sp->st);
	if (err)
		return err;
	fc->staged++;
	return DDM_OK;
}

/*
 * Stores the file's status rows and counts what was new and what was a
 * duplicate.  Bulk: the rows are in observation already; the key index is
 * built over them (one sort of the keys), after dropping the later copies
 * of a report the file gives twice.  Else: the staged rows go into
 * observation in key order (one sort of the whole rows), so the index,
 * large after many nights, is walked once from start to end instead of at
 * random.
 */
static ddm_err flush_staged(file_ctx *fc)
{
	ingest *in = fc->in;
	int changes = 0;
	ddm_err err;

	if (fc->bulk) {
		err = store_stmt_try(in->key_build);
		if (err == DDM_ERR_DATA) {
			store_bind_int(in->dedupe,
				       store_stmt_param(in->dedupe, ":base"),
				       fc->obs_base);
			err = store_stmt_run(in->dedupe, &changes, NULL);
			if (!err)
				err = store_stmt_run(in->key_build, NULL, NULL);
		}
		if (!err && fc->staged > changes)
			err = store_stmt_run(in->devices_of_bulk, NULL, NULL);
		if (err)
			return err;
		fc->devices_done = true;
		fc->stored += fc->staged - changes;
		fc->duplicate += changes;
		fc->staged = 0;
		return DDM_OK;
	}
	if (fc->staged == 0)
		return DDM_OK;
	err = store_stmt_run(in->stage_flush, &changes, NULL);
	if (!err && changes > 0) {
		store_stmt *st = in->devices_of_stage;

		store_bind_int(st, store_stmt_param(st, ":base"), fc->obs_base);
		err = store_stmt_run(st, NULL, NULL);
	}
	if (err)
		return err;
	fc->devices_done = true;
	fc->stored += changes;
	fc->duplicate += fc->staged - changes;
	fc->staged = 0;
	return store_stmt_run(in->stage_clear, NULL, NULL);
}

/* An inventory's word for whether the MDM manages the device: 1 (Jamf's
 * Managed, true, yes, 1), 0 (Unmanaged, false, no, 0), any case; -1 for
 * anything else. */
static int managed_word(span v)
{
	static const char *const yes[] = {"managed", "true", "yes", "1"};
	static const char *const no[] = {"unmanaged", "false", "no", "0"};

	for (size_t i = 0; i < sizeof yes / sizeof *yes; i++) {
		if (utf8_casecmp(v.s, v.len, yes[i], strlen(yes[i])) == 0)
			return 1;
		if (utf8_casecmp(v.s, v.len, no[i], strlen(no[i])) == 0)
			return 0;
	}
	return -1;
}

static ddm_err row_inventory(file_ctx *fc, const csvin_record *rec)
{
	ingest *in = fc->in;
	stmt_params *sp = &in->inv;
	span serial = get(fc, rec, F_SERIAL_NUMBER);
	span check = get(fc, rec, F_LAST_CHECK_IN);
	span inv_at = get(fc, rec, F_LAST_INVENTORY_UPDATE);
	span managed = get(fc, rec, F_MANAGED);
	char sn[128];
	int64_t t = 0, inv_t = 0;
	ddm_err err;

	if (!wanted(fc, rec, &err))
		return err;
	if (!serial.s || !serial_norm(serial, sn, sizeof sn))
		return reject(fc, rec->line, "missing serial_number", rec);
	if (serial_problem(serial))
		return reject(fc, rec->line, serial_problem(serial), rec);
	{
		char why[300];

		if (serial_placeholder(serial, sn, why, sizeof why))
			return reject(fc, rec->line, why, rec);
	}
	note_group(fc, rec->line, get(fc, rec, F_GROUP));
	if (check.s && !parse_time(in, check, &t)) {
		char why[160];

		snprintf(why, sizeof why, "last_check_in is not a time: %s",
			 diag_qn(check.s, check.len));
		return reject(fc, rec->line, why, rec);
	}
	if (check.s) {
		char why[160];

		if (time_is_future(fc, "last_check_in", t, why, sizeof why))
			return reject(fc, rec->line, why, rec);
	}
	if (inv_at.s && !parse_time(in, inv_at, &inv_t)) {
		char why[160];

		snprintf(why, sizeof why,
			 "last_inventory_update is not a time: %s",
			 diag_qn(inv_at.s, inv_at.len));
		return reject(fc, rec->line, why, rec);
	}
	store_bind_text(sp->st, sp->p[F_SERIAL_NUMBER], sn, strlen(sn));
	bind_span(sp, F_DEVICE_NAME, get(fc, rec, F_DEVICE_NAME));
	bind_span(sp, F_USER, get(fc, rec, F_USER));
	bind_span(sp, F_GROUP, get(fc, rec, F_GROUP));
	bind_span(sp, F_MODEL, get(fc, rec, F_MODEL));
	bind_span(sp, F_TIME_ZONE, get(fc, rec, F_TIME_ZONE));
	{
		/* a Rapid Security Response rides on the version: "26.1 (a)" */
		span os = get(fc, rec, F_OS_VERSION);
		span ex = get(fc, rec, F_EXTRA_VERSION);
		char *full = NULL;

		if (os.s && ex.s) {
			full = xasprintf(ex.s[0] == '(' ? "%.*s %.*s"
							: "%.*s (%.*s)",
					 (int)os.len, os.s, (int)ex.len, ex.s);
			os.s = full;
			os.len = strlen(full);
		}
		store_bind_text(sp->st, sp->p[F_OS_VERSION], os.s, os.len);
		free(full);
	}
	bind_span(sp, F_JAMF_ID, get(fc, rec, F_JAMF_ID));
	bind_span(sp, F_JAMF_MOBILE_DEVICE_ID,
		  get(fc, rec, F_JAMF_MOBILE_DEVICE_ID));
	bind_span(sp, F_MANAGEMENT_ID, get(fc, rec, F_MANAGEMENT_ID));
	bind_span(sp, F_PLATFORM,
		  platform_of(fc, get(fc, rec, F_PLATFORM),
			      get(fc, rec, F_MODEL)));
	if (check.s)
		store_bind_int(sp->st, sp->last_check_in, t);
	if (inv_at.s)
		store_bind_int(sp->st, sp->p[F_LAST_INVENTORY_UPDATE], inv_t);
	if (managed.s) {
		int m = managed_word(managed);

		if (m < 0) {
			char why[200];

			snprintf(why, sizeof why,
				 "managed is not Managed or Unmanaged "
				 "(true/false, yes/no, 1/0): %s",
				 diag_qn(managed.s, managed.len));
			return reject(fc, rec->line, why, rec);
		}
		/* Unmanaged from its check-in on: undated, the time the MDM
		 * let the device go is unknown, and a guess would decide
		 * whether its later reports bring it back. */
		if (m == 0 && !check.s)
			return reject(fc, rec->line,
				      "managed is Unmanaged and last_check_in "
				      "is empty: since when is unknown",
				      rec);
		store_bind_int(sp->st, sp->p[F_MANAGED], m);
	}
	store_bind_int(sp->st, sp->file, fc->file_id);
	err = store_stmt_run(sp->st, NULL, NULL);
	if (err == DDM_OK)
		fc->stored++;
	return err;
}

/* Whether a cell names a known IANA zone (a zone name is short: anything
 * longer is not one). */
static bool zone_is_valid(span z)
{
	char name[128];

	if (z.len >= sizeof name)
		return false;
	memcpy(name, z.s, z.len);
	name[z.len] = '\0';
	return tz_is_valid(name);
}

static ddm_err row_target(file_ctx *fc, const csvin_record *rec)
{
	ingest *in = fc->in;
	stmt_params *sp = &in->tgt;
	span plat = get(fc, rec, F_PLATFORM);
	span grp = get(fc, rec, F_GROUP);
	span serial = get(fc, rec, F_SERIAL_NUMBER);
	span ver = get(fc, rec, F_TARGET_OS_VERSION);
	span tdt = get(fc, rec, F_TARGET_LOCAL_DATETIME);
	span ezone = get(fc, rec, F_ENFORCEMENT_TIME_ZONE);
	span empty = {"", 0};
	const char *pname;
	char sn[128];
	version v;
	int64_t wall;
	int changes = 0;
	ddm_err err;

	if (!plat.s)
		return reject(fc, rec->line, "missing platform", rec);
	pname = formats_platform(in->formats, plat.s, plat.len);
	if (!pname)
		return reject(
			fc, rec->line,
			"platform is not one of macOS, iOS, iPadOS, tvOS, "
			"visionOS, watchOS",
			rec);
	if (!ver.s || !version_parse(ver.s, ver.len, &v))
		return reject(fc, rec->line,
			      "target_os_version is missing or not a version",
			      rec);
	if (!tdt.s || !ts_parse_wall(tdt.s, tdt.len, &wall))
		return reject(
			fc, rec->line,
			"target_local_datetime is not YYYY-MM-DDTHH:MM:SS",
			rec);
	if (serial.s && serial_problem(serial))
		return reject(fc, rec->line, serial_problem(serial), rec);
	/* invisible characters only: not the whole group's target */
	if (serial.s && !serial_norm(serial, sn, sizeof sn))
		return reject(fc, rec->line,
			      "serial_number has only invisible characters",
			      rec);
	if (serial.s) {
		char why[300];

		if (serial_placeholder(serial, sn, why, sizeof why))
			return reject(fc, rec->line, why, rec);
	}
	note_group(fc, rec->line, grp);
	if (ezone.s && !zone_is_valid(ezone))
		return reject(fc, rec->line,
			      "enforcement_time_zone is not a known IANA time "
			      "zone",
			      rec);
	store_bind_text(sp->st, sp->p[F_PLATFORM], pname, strlen(pname));
	if (serial.s) {
		serial_norm(serial, sn, sizeof sn);
		store_bind_text(sp->st, sp->p[F_SERIAL_NUMBER], sn, strlen(sn));
		bind_span(sp, F_GROUP, empty);
	} else {
		store_bind_text(sp->st, sp->p[F_SERIAL_NUMBER], "", 0);
		bind_span(sp, F_GROUP, grp.s ? grp : (span){"*", 1});
	}
	bind_span(sp, F_TARGET_OS_VERSION, ver);
	{
		span b = get(fc, rec, F_TARGET_BUILD_VERSION);
		span u = get(fc, rec, F_DETAILS_URL);

		bind_span(sp, F_TARGET_BUILD_VERSION, b.s ? b : empty);
		bind_span(sp, F_DETAILS_URL, u.s ? u : empty);
	}
	bind_span(sp, F_TARGET_LOCAL_DATETIME, tdt);
	bind_span(sp, F_DECLARATION_ID, get(fc, rec, F_DECLARATION_ID));
	bind_span(sp, F_ENFORCEMENT_TIME_ZONE, ezone);
	store_bind_int(sp->st, sp->file, fc->file_id);
	store_bind_int(sp->st, sp->line, rec->line);
	err = store_stmt_run(sp->st, &changes, NULL);
	if (err)
		return err;
	if (changes)
		fc->stored++;
	else
		fc->duplicate++;
	return DDM_OK;
}

/* ---- CSV callbacks ------------------------------------------------------- */

/* True when two header names are equal ignoring case and surrounding
 * spaces (which one would be used is a guess): writes the reason to why. */
static bool duplicate_column(const csvin_record *rec, char *why, size_t cap)
{
	for (size_t i = 0; i < rec->n; i++) {
		span a = {rec->field[i], rec->len[i]};

		while (a.len && (*a.s == ' ' || *a.s == '\t'))
			a.s++, a.len--;
		while (a.len &&
		       (a.s[a.len - 1] == ' ' || a.s[a.len - 1] == '\t'))
			a.len--;
		if (a.len == 0)
			continue;
		for (size_t j = i + 1; j < rec->n; j++) {
			span b = {rec->field[j], rec->len[j]};

			while (b.len && (*b.s == ' ' || *b.s == '\t'))
				b.s++, b.len--;
			while (b.len && (b.s[b.len - 1] == ' ' ||
					 b.s[b.len - 1] == '\t'))
				b.len--;
			if (a.len == b.len &&
			    strncasecmp(a.s, b.s, a.len) == 0) {
				snprintf(why, cap,
					 "duplicate column %s in header "
					 "(columns %zu and %zu)",
					 diag_qn(a.s, a.len), i + 1, j + 1);
				return true;
			}
		}
	}
	return false;
}

/* Field i of rec without a byte-order mark, surrounding blanks or quotes
 * (a header name as normalise() in formats.c reads it). */
static span header_name(const csvin_record *rec, size_t i)
{
	span a = {rec->field[i], rec->len[i]};

	if (a.len >= 3 && memcmp(a.s, "\xEF\xBB\xBF", 3) == 0)
		a.s += 3, a.len -= 3;
	while (a.len && (*a.s == ' ' || *a.s == '\t' || *a.s == '"'))
		a.s++, a.len--;
	while (a.len && (a.s[a.len - 1] == ' ' || a.s[a.len - 1] == '\t' ||
			 a.s[a.len - 1] == '\r' || a.s[a.len - 1] == '"'))
		a.len--;
	return a;
}

/* Keeps the header's names for header_again(). */
static void keep_header(file_ctx *fc, const csvin_record *rec)
{
	for (size_t i = 0; i < rec->n; i++) {
		span a = header_name(rec, i);

		buf_append(&fc->header, a.s, a.len);
		buf_putc(&fc->header, '\0');
	}
}

/* True when rec repeats the header, whatever the case: the second of two
 * exports joined with cat (its byte-order mark included).  Read as data,
 * its "Serial Number" was a device of its own. */
static bool header_again(const file_ctx *fc, const csvin_record *rec)
{
	const char *h = fc->header.data;

	if (!h || rec->n != fc->ncols)
		return false;
	for (size_t i = 0; i < rec->n; i++) {
		span a = header_name(rec, i);
		size_t hl = strlen(h);

		if (a.len != hl || (hl && strncasecmp(a.s, h, hl) != 0))
			return false;
		h += hl + 1;
	}
	return true;
}

/* True when every field of rec is empty or blanks: a spreadsheet's empty
 * row (",,,,"), which it writes for rows once formatted; no data, like a
 * blank line. */
static bool all_blank(const csvin_record *rec)
{
	for (size_t i = 0; i < rec->n; i++)
		for (size_t j = 0; j < rec->len[i]; j++)
			if (rec->field[i][j] != ' ' && rec->field[i][j] != '\t')
				return false;
	return true;
}

static ddm_err on_record(void *ctx, const csvin_record *rec)
{
	file_ctx *fc = ctx;
	char why[96];

	if (!fc->fmt) {
		fc->fmt = formats_detect(fc->in->formats, rec->field, rec->len,
					 rec->n, fc->col);
		fc->ncols = rec->n;
		if (!fc->fmt &&
		    kmfddm_files_recognise(rec->field, rec->len, rec->n)) {
			/* KMFDDM's own derived files: status.last.json
			 * beside them is the report */
			fc->dc.format = "kmfddm-file-storage";
			fc->skip_rest = true;
		}
		if (fc->skip_rest) {
			fc->dc.skipped++;
			return DDM_OK;
		}
		if (!fc->fmt) {
			fc->header_bad = true;
			for (size_t i = 0; i < rec->n; i++)
				if (memchr(rec->field[i], '\0', rec->len[i]))
					snprintf(
						fc->header_why,
						sizeof fc->header_why,
						"unrecognised header: it has "
						"NUL bytes (UTF-16 without its "
						"byte-order mark?); save the "
						"file as UTF-8");
			return DDM_ERR_DATA;
		}
		if (duplicate_column(rec, fc->header_why,
				     sizeof fc->header_why)) {
			fc->header_bad = true;
			return DDM_ERR_DATA;
		}
		keep_header(fc, rec);
		return DDM_OK;
	}
	if (fc->skip_rest) {
		fc->dc.skipped++;
		return DDM_OK;
	}
	fc->rows_read++;
	if (header_again(fc, rec) || all_blank(rec)) {
		fc->dc.skipped++;
		return DDM_OK;
	}
	if (rec->n != fc->ncols) {
		snprintf(why, sizeof why, "row has %zu fields, header has %zu",
			 rec->n, fc->ncols);
		return reject(fc, rec->line, why, rec);
	}
	switch (format_kind_of(fc->fmt)) {
	case KIND_STATUS:
		return row_status(fc, rec);
	case KIND_INVENTORY:
		return row_inventory(fc, rec);
	case KIND_TARGETS:
		return row_target(fc, rec);
	default:
		return DDM_ERR_INTERNAL;
	}
}

static ddm_err on_bad(void *ctx, long line, const char *reason)
{
	file_ctx *fc = ctx;

	if (fc->skip_rest) {
		fc->dc.skipped++;
		return DDM_OK;
	}
	if (!fc->fmt) {
		fc->header_bad = true;
		if (strstr(reason, "more than 512 fields"))
			snprintf(fc->header_why, sizeof fc->header_why,
				 "header has more columns than supported "
				 "(at most %d)",
				 CSVIN_MAX_FIELDS);
		else
			snprintf(fc->header_why, sizeof fc->header_why,
				 "header cannot be read: %s", reason);
		return DDM_ERR_DATA;
	}
	fc->rows_read++;
	return reject(fc, line, reason, NULL);
}

/* ---- files --------------------------------------------------------------- */

/* Records a file that could not be ingested at all, in its own
 * transaction, so the rejected report shows it. */
static void record_failed_file(ingest *in, const char *path, long long size,
			       const char *sha, const char *reason)
{
	file_ctx fc = {.in = in, .path = path};
	char *pending = xasprintf("failed:%s", sha);
	int64_t id = 0;
	int p;

	if (store_begin(in->store) != DDM_OK)
		goto out;
	p = store_stmt_param(in->file_begin, ":pending");
	store_bind_text(in->file_begin, p, pending, strlen(pending));
	store_bind_text(in->file_begin,
			store_stmt_param(in->file_begin, ":path"), path,
			strlen(path));
	store_bind_int(in->file_begin,
		       store_stmt_param(in->file_begin, ":size"), size);
	store_bind_int(in->file_begin, store_stmt_param(in->file_begin, ":now"),
		       (int64_t)time(NULL));
	if (store_stmt_run(in->file_begin, NULL, &id) != DDM_OK || !id) {
		store_rollback(in->store);
		goto out;
	}
	fc.file_id = id;
	if (reject(&fc, 1, reason, NULL) != DDM_OK ||
	    store_commit(in->store) != DDM_OK)
		store_rollback(in->store);
out:
	free(pending);
}

/*
 * A targets file's staged targets (temp.target_in) into target, and the
 * stored targets of every scope the file names that it does not repeat
 * removed: the file states those scopes' targets now (schema.sql).  Its
 * rows were counted as staged; the ones stored already are duplicates.
 */
static ddm_err flush_targets(ingest *in, file_ctx *fc)
{
	static const char *const names[] = {"target_repeated", "target_flush",
					    "target_supersede",
					    "target_in_clear"};
	store_stmt *st[4];
	int64_t repeated = 0;
	ddm_err err;

	if (fc->fmt ? format_kind_of(fc->fmt) != KIND_TARGETS : !fc->dc.targets)
		return DDM_OK;
	for (int i = 0; i < 4; i++)
		if (!(st[i] = store_stmt_get(in->store, names[i])))
			return DDM_ERR_INTERNAL;
	err = store_stmt_run(st[0], NULL, &repeated);
	if (!err) {
		fc->stored -= (long)repeated;
		fc->duplicate += (long)repeated;
		err = store_stmt_run(st[1], NULL, NULL);
	}
	if (!err)
		err = store_stmt_run(st[2], NULL, NULL);
	if (!err)
		err = store_stmt_run(st[3], NULL, NULL);
	return err;
}

/*
 * The same content was read before (record id) and stored nothing: every
 * report was rejected because no input had tied its id to a serial.  This
 * reading stored reports (the webhook log or inventory that names the
 * device came since), so it replaces that record and its rejections,
 * instead of being skipped as read before: a capture folder keeps each
 * report once, and the report would be lost for good.
 */
/* Runs st with :id bound to id; *first (when not NULL) its first value. */
static ddm_err run_with_id(store_stmt *st, int64_t id, int64_t *first)
{
	store_bind_int(st, store_stmt_param(st, ":id"), id);
	return store_stmt_run(st, NULL, first);
}

static ddm_err retry_unresolved(ingest *in, file_ctx *fc, int64_t id,
				bool *known)
{
	int64_t again = 0;
	ddm_err err = run_with_id(in->file_retry, id, &again);

	if (err || again == 0)
		return err;
	if (fc->stored == 0) {
		/* nothing stored yet: worth reading after the run's other
		 * inputs (defer_file) */
		fc->retry = true;
		return DDM_OK;
	}
	err = run_with_id(in->forget_rejected, id, NULL);
	if (!err)
		err = run_with_id(in->forget, id, NULL);
	if (!err) {
		*known = false;
		diag_note(diag_q(fc->path),
			  "read again: its reports named no known device when "
			  "it was read before; %ld stored now",
			  fc->stored);
	}
	return err;
}

/*
 * What, beside its bytes, makes a file's reports the reports they are: a
 * capture's time is in its name, a KMFDDM status.last.json's (or a status
 * values file's without timestamps) is its modification time, and the
 * device is the enrollment id of its name or folder.  The same bytes at
 * another time, or of another device, are another report: a Mac that
 * reports "downloading" again after a failure, or two devices sending the
 * same incremental report, are not a file fed again.  0 when the bytes
 * alone count; else the time, with a hash of the enrollment id (any case)
 * above its 32 bits.
 */
static int64_t report_key(const file_ctx *fc)
{
	uint64_t t = 0, h = 2166136261u;

	if (fc->df.name_time_ok)
		t = (uint64_t)fc->df.name_time;
	else if (fc->dc.time_basis && strcmp(fc->dc.time_basis, "mtime") == 0)
		t = (uint64_t)fc->df.mtime;
	if (!t || !fc->df.enrollment)
		return (int64_t)t;
	for (const char *c = fc->df.enrollment; *c; c++)
		h = ((h ^ (uint64_t)(unsigned char)tolower((unsigned char)*c)) *
		     16777619u) &
		    0x7fffffffu;
	return (int64_t)((t & 0xffffffffu) | (h << 32));
}

static ddm_err finish_file(ingest *in, file_ctx *fc, const char *sha,
			   long long size, bool *known)
{
	store_stmt *st = in->file_known;
	int64_t id = 0;
	const char *fmt = fc->fmt	  ? format_name(fc->fmt)
			  : fc->dc.format ? fc->dc.format
					  : "json";
	const char *kind = fc->fmt ? format_kind_name(format_kind_of(fc->fmt))
			   : fc->dc.feed    ? "feed"
			   : fc->dc.targets ? "targets"
					    : "status";
	const char *basis = fc->dc.time_basis ? fc->dc.time_basis : "content";
	int64_t name_time = report_key(fc);
	ddm_err err;

	store_bind_text(st, store_stmt_param(st, ":sha256"), sha, 64);
	store_bind_int(st, store_stmt_param(st, ":name_time"), name_time);
	err = store_stmt_run(st, NULL, &id);
	if (err)
		return err;
	*known = id != 0;
	if (*known)
		err = retry_unresolved(in, fc, id, known);
	if (err || *known)
		return err;
	st = in->file_finish;
	store_bind_text(st, store_stmt_param(st, ":sha256"), sha, 64);
	store_bind_int(st, store_stmt_param(st, ":name_time"), name_time);
	store_bind_text(st, store_stmt_param(st, ":kind"), kind, strlen(kind));
	store_bind_text(st, store_stmt_param(st, ":format"), fmt, strlen(fmt));
	store_bind_int(st, store_stmt_param(st, ":size"), size);
	store_bind_int(st, store_stmt_param(st, ":rows_read"), fc->rows_read);
	store_bind_int(st, store_stmt_param(st, ":rows_stored"), fc->stored);
	store_bind_int(st, store_stmt_param(st, ":rows_duplicate"),
		       fc->duplicate);
	store_bind_int(st, store_stmt_param(st, ":rows_rejected"),
		       fc->rejected);
	store_bind_text(st, store_stmt_param(st, ":time_basis"), basis,
			strlen(basis));
	store_bind_int(st, store_stmt_param(st, ":rows_skipped"),
		       fc->dc.skipped);
	store_bind_int(st, store_stmt_param(st, ":unresolved"),
		       fc->dc.unidentified);
	store_bind_int(st, store_stmt_param(st, ":file"), fc->file_id);
	err = store_stmt_run(st, NULL, NULL);
	if (err || fc->stored == 0 || fc->devices_done)
		return err;
	st = in->devices_of_file;
	store_bind_int(st, store_stmt_param(st, ":base"), fc->obs_base);
	return store_stmt_run(st, NULL, NULL);
}

/* ---- JSON files ---------------------------------------------------------- */

/* Stores a rejected JSON document; raw is its start, cut (raw_cut). */
static ddm_err json_reject(void *ctx, long line, const char *reason,
			   const char *raw, size_t rawlen)
{
	file_ctx *fc = ctx;
	ingest *in = fc->in;
	buf cut = {0};
	ddm_err err;

	note_first_rejected(fc, line, reason);
	store_bind_int(in->rej.st, in->rej.file, fc->file_id);
	store_bind_int(in->rej.st, in->rej.line, line);
	store_bind_text(in->rej.st, in->rej.reason, reason, strlen(reason));
	if (raw) {
		raw_cut(&cut, raw, rawlen, rawlen,
			utf8_chars(raw, rawlen, (size_t)-1));
		store_bind_text(in->rej.st, in->rej.raw, buf_cstr(&cut),
				cut.len);
	} else {
		store_bind_null(in->rej.st, in->rej.raw);
	}
	err = store_stmt_run(in->rej.st, NULL, NULL);
	buf_free(&cut);
	fc->rejected++;
	return err;
}

static ddm_err on_json_doc(void *ctx, const char *text, size_t len, long line,
			   long long offset)
{
	file_ctx *fc = ctx;
	long before = fc->dc.rejected;
	ddm_err err;

	(void)offset;
	fc->json_good++;
	err = ddm_document(fc->in->ddm, &fc->df, text, len, line, &fc->dc,
			   json_reject, fc);
	/* json_reject counted them already */
	fc->dc.rejected = before;
	return err;
}

static ddm_err on_json_bad(void *ctx, long line, long long offset,
			   const char *reason)
{
	file_ctx *fc = ctx;

	(void)offset;
	fc->dc.read++;
	if (fc->endless && !fc->json_good && fc->dc.read >= ENDLESS_BAD_LIMIT)
		return endless_stop(fc, line,
				    "no usable JSON document in the first "
				    "1000: not a JSON input");
	return json_reject(fc, line, reason, NULL, 0);
}

/*
 * What a capture's name says: "<enrollment-id>.<YYYYMMDD-HHMMSS>.<usec>
 * .status.json" gives the enrollment and the time (read in --source-tz,
 * default UTC); "<enrollment-id>/status.last.json" gives the enrollment.
 */
static void name_facts(const ingest *in, const char *path, ddm_file *df)
{
	const char *base = strrchr(path, '/');
	size_t n;
	const char *suffix = ".status.json";
	static char enr[256];

	base = base ? base + 1 : path;
	n = strlen(base);
	df->enrollment = NULL;
	df->name_time_ok = false;
	df->stem = NULL;
	if (n >= 36 && strspn(base, "0123456789abcdefABCDEF-") == 36 &&
	    (base[36] == '.' || base[36] == '\0') && base[8] == '-' &&
	    base[13] == '-' && base[18] == '-' && base[23] == '-') {
		static char stem[37];

		memcpy(stem, base, 36);
		stem[36] = '\0';
		df->stem = stem;
	}
	if (strcmp(base, "status.last.json") == 0 && base > path + 1) {
		const char *e = base - 1, *b = e;

		while (b > path && b[-1] != '/')
			b--;
		if (e > b && (size_t)(e - b) < sizeof enr) {
			memcpy(enr, b, (size_t)(e - b));
			enr[e - b] = '\0';
			df->enrollment = enr;
		}
		return;
	}
	if (n > strlen(suffix) + 24 &&
	    strcmp(base + n - strlen(suffix), suffix) == 0) {
		/* <id>.YYYYMMDD-HHMMSS.<digits>.status.json */
		const char *end = base + n - strlen(suffix);
		const char *us = end, *ts;
		char iso[32];
		int64_t wall;

		while (us > base && us[-1] >= '0' && us[-1] <= '9')
			us--;
		if (us == end || us - base < 17 || us[-1] != '.')
			return;
		ts = us - 16;
		if (ts[-1] != '.' || ts[8] != '-')
			return;
		for (int i = 0; i < 15; i++)
			if (i != 8 && (ts[i] < '0' || ts[i] > '9'))
				return;
		snprintf(iso, sizeof iso, "%.4s-%.2s-%.2sT%.2s:%.2s:%.2s", ts,
			 ts + 4, ts + 6, ts + 9, ts + 11, ts + 13);
		if (!ts_parse_wall(iso, strlen(iso), &wall))
			return;
		if (in->opts.source_tz &&
		    !tz_wall_to_utc(in->opts.source_tz, wall, &wall, NULL))
			return;
		if ((size_t)(ts - 1 - base) < sizeof enr && ts - 1 > base) {
			memcpy(enr, base, (size_t)(ts - 1 - base));
			enr[ts - 1 - base] = '\0';
			df->enrollment = enr;
		}
		df->name_time = wall;
		df->name_time_ok = true;
	}
}

/*
 * --strict rolled a file back whole: nothing of it is stored, but the
 * reports this run writes must still say that it was read and left out
 * (the Summary, the Rejected and About sheets read the run's notes).
 */
static void note_not_ingested(ingest *in, const char *path, const char *sha,
			      const char *why)
{
	char *value = xasprintf("%s (%s)", sha, why);

	(void)store_note(in->store, "not-ingested", path, value);
	free(value);
}

/*
 * Rolls back a file no format recognised (or whose header is bad) and
 * records it on its own, so the rejected report shows it; the message
 * lists what is accepted.  Returns DDM_ERR_DATA (exit 65).
 */
static ddm_err refuse_file(ingest *in, file_ctx *fc, const char *path,
			   sha256_ctx *sha, char hex[65], long long bytes)
{
	char *where = xasprintf("%s:1", diag_q(path));
	char *why =
		fc->not_input ? xstrdup(fc->not_input)
		: fc->header_why[0]
			? xstrdup(fc->header_why)
			: xasprintf("%s: not a known input format (expected "
				    "CSV: %s; JSON: %s)",
				    fc->fmt || fc->header_bad
					    ? "unrecognised header"
					    : "unrecognised JSON document",
				    formats_expected(in->formats),
				    ddm_expected(in->ddm));

	sha256_final_hex(sha, hex);
	store_rollback(in->store);
	in->stats.files_failed++;
	diag_error(DDM_ERR_DATA, where, "%s", why);
	/* --strict leaves the database exactly as it was. */
	if (!in->opts.strict)
		record_failed_file(in, path, bytes, hex, why);
	else
		note_not_ingested(in, path, hex, why);
	free(why);
	free(where);
	return DDM_ERR_DATA;
}

/*
 * An input that cannot be rewound (a pipe, `<(zcat x.gz)`, a device) is
 * read through this: the bytes read to detect its format first, then the
 * rest of the stream.
 */
typedef struct prefixed {
	FILE *f; /* owned: the input, past its first n bytes */
	size_t n, pos;
	char head[4096];
} prefixed;

static ssize_t prefixed_read(void *cookie, char *out, size_t cap)
{
	prefixed *p = cookie;
	size_t n;

	if (p->pos < p->n) {
		n = p->n - p->pos < cap ? p->n - p->pos : cap;
		memcpy(out, p->head + p->pos, n);
		p->pos += n;
		return (ssize_t)n;
	}
	n = fread(out, 1, cap, p->f);
	return n == 0 && ferror(p->f) ? -1 : (ssize_t)n;
}

static int prefixed_close(void *cookie)
{
	prefixed *p = cookie;
	int rc = fclose(p->f);

	free(p);
	return rc;
}

/*
 * Opens path and finds whether it holds JSON from its first bytes.  A
 * regular file is rewound; anything else is read on from those bytes
 * (rewind() fails silently on a pipe and would lose them).  *endless says
 * the input is not a regular file.
 */
/*
 * What a file is when its first bytes say it is no export at all, said
 * with what to do; NULL when it may be one (its format decides).
 */
static const char *sniff_kind(const unsigned char *h, size_t n)
{
	if (n == 0)
		return "empty file: an export with no header and no rows "
		       "(did the export step fail?)";
	if (n >= 4 && memcmp(h, "PK\x03\x04", 4) == 0)
		return "a ZIP archive, such as an Excel workbook (.xlsx): "
		       "export or save it as CSV (UTF-8)";
	if (n >= 4 && memcmp(h, "\xd0\xcf\x11\xe0", 4) == 0)
		return "an Excel 97-2003 workbook (.xls): save it as CSV "
		       "(UTF-8)";
	if (n >= 2 && h[0] == 0x1f && h[1] == 0x8b)
		return "gzip-compressed: decompress it first "
		       "(zcat FILE > FILE.csv, or pass <(zcat FILE))";
	if (n >= 5 && memcmp(h, "%PDF-", 5) == 0)
		return "a PDF document: export the data as CSV or JSON";
	return NULL;
}

/*
 * Opens a file a folder's walk found regular, or one put off to be read
 * again (ingest_deferred), without waiting: the folder is writable by the
 * export job, and a FIFO put in the file's place since it was looked at
 * (or since its first reading) would block the run for ever on a writer
 * that never comes.  Such a file is refused and not read.
 */
static FILE *open_regular(const char *path, ddm_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct stat st;
	FILE *f;

	if (fd < 0) {
		*err = diag_error(DDM_ERR_NOINPUT, diag_q(path),
				  "cannot open: %s", strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		*err = diag_error(DDM_ERR_DATA, diag_q(path),
				  "not read: no longer a regular file (a FIFO "
				  "or device was put in its place during the "
				  "run)");
		return NULL;
	}
	(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	f = fdopen(fd, "rb");
	if (!f) {
		*err = diag_error(DDM_ERR_NOINPUT, diag_q(path),
				  "cannot open: %s", strerror(errno));
		close(fd);
	}
	return f;
}

static ddm_err open_input(const char *path, bool regular, FILE **out,
			  bool *json, bool *endless, const char **not_input)
{
	static const cookie_io_functions_t io = {prefixed_read, NULL, NULL,
						 prefixed_close};
	ddm_err refused = DDM_OK;
	FILE *f = regular ? open_regular(path, &refused) : fopen(path, "rb");
	struct stat st;
	prefixed *p;

	if (!f && refused)
		return refused;
	if (!f)
		return diag_error(DDM_ERR_NOINPUT, diag_q(path),
				  "cannot open: %s", strerror(errno));
	*endless = fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode);
	p = xcalloc(1, sizeof *p);
	p->n = fread(p->head, 1, sizeof p->head, f);
	if (ferror(f)) {
		ddm_err err = diag_error(DDM_ERR_IO, diag_q(path),
					 "cannot read: %s", strerror(errno));

		free(p);
		fclose(f);
		return err;
	}
	*json = jsonin_looks_like(p->head, p->n);
	*not_input = sniff_kind((const unsigned char *)p->head, p->n);
	if (!*endless && fseek(f, 0, SEEK_SET) == 0) {
		free(p);
		*out = f;
		return DDM_OK;
	}
	p->f = f;
	*out = fopencookie(p, "rb", io);
	if (!*out) {
		free(p);
		fclose(f);
		return diag_error(DDM_ERR_INTERNAL, diag_q(path),
				  "cannot open stream");
	}
	return DDM_OK;
}

/*
 * Hashes the rest of a file that is refused, so a known bad file is named
 * consistently and its size is all of it; an input that may never end
 * (/dev/zero) is not read on.
 */
static void hash_rest(const file_ctx *fc, FILE *f, sha256_ctx *sha,
		      long long *bytes)
{
	char block[65536];
	size_t n;

	while (!fc->endless && (n = fread(block, 1, sizeof block, f)) > 0) {
		sha256_update(sha, block, n);
		*bytes += (long long)n;
	}
}

/* The file's source_file row (its hash and counts come at the end), and
 * the staging left clean. */
static ddm_err begin_file(ingest *in, file_ctx *fc, const char *path)
{
	store_stmt *fb = in->file_begin;
	int64_t id = 0;
	ddm_err err;

	store_bind_text(fb, store_stmt_param(fb, ":pending"), "pending", 7);
	store_bind_text(fb, store_stmt_param(fb, ":path"), path, strlen(path));
	store_bind_int(fb, store_stmt_param(fb, ":size"), 0);
	store_bind_text(fb, store_stmt_param(fb, ":source_tz"),
			in->opts.source_tz,
			in->opts.source_tz ? strlen(in->opts.source_tz) : 0);
	store_bind_int(fb, store_stmt_param(fb, ":now"), (int64_t)time(NULL));
	err = store_stmt_run(fb, NULL, &id);
	if (err)
		return err;
	fc->file_id = id;
	/* Left over only if a failed file's rollback missed it. */
	err = store_stmt_run(in->stage_clear, NULL, NULL);
	if (!err)
		err = store_stmt_run(in->obs_base, NULL, &fc->obs_base);
	return err;
}

/* A JSON input: every document through the DDM stage.  *unknown: no
 * document was of a known kind (the file is refused). */
static ddm_err read_json(ingest *in, file_ctx *fc, FILE *f, sha256_ctx *sha,
			 long long *bytes, bool *unknown)
{
	jsonin_callbacks jcb = {on_json_doc, on_json_bad, fc};
	struct stat fst;
	ddm_err err;

	fc->df.file_id = fc->file_id;
	fc->df.mtime = fstat(fileno(f), &fst) == 0 ? (int64_t)fst.st_mtime : 0;
	name_facts(in, fc->path, &fc->df);
	err = jsonin_read(f, fc->path, &jcb, sha, bytes);
	if (!err)
		err = ddm_finish(in->ddm, &fc->dc, json_reject, fc);
	else
		ddm_discard(in->ddm);
	if (!err && fc->dc.paged_total > fc->dc.paged_listed) {
		/* Devices of the missing pages would have no status, or no
		 * target: say so where the audit looks. */
		char why[200];

		snprintf(why, sizeof why,
			 "the file lists %ld of the %ld results its "
			 "totalCount names: the other pages of the "
			 "response are missing",
			 fc->dc.paged_listed, fc->dc.paged_total);
		err = json_reject(fc, 1, why, NULL, 0);
	}
	fc->rows_read = fc->dc.read;
	fc->stored = fc->dc.stored;
	fc->duplicate = fc->dc.duplicate;
	*unknown = !fc->dc.format && fc->dc.unknown;
	return err;
}

/*
 * A status or inventory CSV with a header and no row (the vendor's API
 * down, an export step that failed, a token expired: the script still
 * writes its header) is an export of no device.  Every device keeps what
 * earlier exports said, so it must not pass for a quiet night: a warning
 * (under --quiet too, so cron mails it), and a note the Summary names (a night later the same bytes are a file
 * already seen, and are told again).  Called after the file's
 * transaction ended, so the note stays.
 */
static void tell_no_rows(ingest *in, const file_ctx *fc)
{
	format_kind k;

	if (!fc->fmt || fc->rows_read)
		return;
	k = format_kind_of(fc->fmt);
	if (k != KIND_STATUS && k != KIND_INVENTORY)
		return;
	diag_alert(diag_q(fc->path),
		   "no row after the header: an export of no device (did the "
		   "export step fail?); every device keeps what earlier "
		   "inputs said");
	(void)store_note(in->store, "no-rows", fc->path, format_kind_name(k));
}

/* After a file is committed: its counts, and what cron must hear of it. */
static ddm_err tell_file(ingest *in, const file_ctx *fc)
{
	const char *path = fc->path;
	ddm_err err = DDM_OK;

	in->stats.files++;
	in->stats.rows_stored += fc->stored;
	in->stats.rows_duplicate += fc->duplicate;
	in->stats.rows_rejected += fc->rejected;
	if (fc->rejected) {
		char *where =
			xasprintf("%s:%ld", diag_q(path), fc->first_rej_line);

		if (too_many_rejected(in, fc))
			err = diag_error(DDM_ERR_DATA, where,
					 "%ld of %ld rows rejected, more than "
					 "--max-rejected %g%% (the first: "
					 "%s; the other rows are stored; see "
					 "the rejected report)",
					 fc->rejected, rows_total(fc),
					 in->opts.max_rejected,
					 fc->first_rej_reason);
		else
			diag_warn(where,
				  "%ld row%s rejected (the first: %s; "
				  "see the rejected report)",
				  fc->rejected, fc->rejected == 1 ? "" : "s",
				  fc->first_rej_reason);
		free(where);
	}
	/* Every row of another kind than the OS update (a Kandji export of
	 * another library item): a fleet read from nothing must not pass
	 * for a quiet night. */
	if (fc->only_skipped && !fc->stored && !fc->duplicate &&
	    !fc->rejected) {
		char *where = xasprintf("%s:%ld", diag_q(path), fc->only_line);

		err = diag_worst(
			err, diag_error(DDM_ERR_DATA, where,
					"no row is about the OS update: all "
					"%ld rows are items of another kind "
					"(the first: '%s'), which the %s "
					"format skips; export the OS-update "
					"item (Kandji: the Managed OS library "
					"item)",
					fc->only_skipped, fc->only_value,
					format_name(fc->fmt)));
		free(where);
	}
	if (fc->bad_group) {
		char *where =
			xasprintf("%s:%ld", diag_q(path), fc->bad_group_line);

		diag_alert(where,
			   "group is not UTF-8 (byte 0x%02X at %zu) on %ld "
			   "row%s: the file was saved in another encoding "
			   "(Excel's 'CSV (Comma delimited)' is Windows-1252), "
			   "and such a group matches no group of a UTF-8 "
			   "targets file; save it as 'CSV UTF-8'",
			   fc->bad_group_byte, fc->bad_group_at, fc->bad_group,
			   fc->bad_group == 1 ? "" : "s");
		free(where);
	}
	return err;
}

/*
 * Whether a JSON file whose reports named devices by an id no input read
 * so far ties to a serial is put off, to be read again when the run's
 * other inputs are in (ingest_deferred): a night's folder is read in name
 * order, and the file that names the device (the webhook log with its
 * Authenticate, the Jamf inventory) may come after.  Not when it is the
 * last input (nothing after it could tell more), when it is read again
 * already, or when it is not a regular file (it cannot be read twice).
 */
static bool defer_file(ingest *in, const file_ctx *fc, bool json)
{
	struct stat st;

	if (!json || !fc->dc.unidentified || in->rereading || in->last ||
	    fc->endless || stat(fc->path, &st) != 0 || !S_ISREG(st.st_mode))
		return false;
	in->deferred = xrealloc(in->deferred,
				(in->ndeferred + 1) * sizeof *in->deferred);
	in->deferred[in->ndeferred++] = xstrdup(fc->path);
	return true;
}

/* regular: the path was found a regular file (a folder's walk, a file
 * put off): it must still be one (open_regular). */
static ddm_err ingest_file(ingest *in, const char *path, bool regular)
{
	FILE *f = NULL;
	file_ctx fc = {.in = in, .path = path};
	csvin_callbacks cb = {on_record, on_bad, &fc};
	sha256_ctx sha;
	char hex[65];
	long long bytes = 0;
	bool known = false, refuse = false;
	bool json = false;
	ddm_err err = open_input(path, regular, &f, &json, &fc.endless,
				 &fc.not_input);

	if (err)
		return err;
	err = store_begin(in->store);
	if (!err)
		err = begin_file(in, &fc, path);
	if (err)
		goto out_rollback;
	sha256_init(&sha);
	if (fc.not_input) {
		/* No export at all (empty, a workbook, compressed): refused
		 * unread, hashed whole so the rejected report names it. */
		hash_rest(&fc, f, &sha, &bytes);
		refuse = true;
	} else if (json) {
		err = read_json(in, &fc, f, &sha, &bytes, &refuse);
	} else {
		err = csvin_read(f, path, &cb, &sha, &bytes);
		refuse = fc.header_bad ||
			 (err == DDM_OK && !fc.fmt && !fc.skip_rest);
		if (refuse)
			hash_rest(&fc, f, &sha, &bytes);
		else if (!err)
			err = flush_staged(&fc);
	}
	if (refuse && (!err || !json)) {
		err = refuse_file(in, &fc, path, &sha, hex, bytes);
		goto out_close;
	}
	if (err)
		goto out_rollback;
	sha256_final_hex(&sha, hex);
	err = flush_targets(in, &fc);
	if (!err)
		err = finish_file(in, &fc, hex, bytes, &known);
	if (err)
		goto out_rollback;
	if (known && fc.retry && defer_file(in, &fc, json)) {
		/* read before when nothing named its device: again after
		 * the others, which may name it now */
		store_rollback(in->store);
		goto out_close;
	}
	if (known) {
		store_rollback(in->store);
		in->stats.files_known++;
		/* Named on About with its SHA-256 (after the rollback, so the
		 * note stays): the run was given it, and did not read it. */
		(void)store_note(in->store, "known", path, hex);
		tell_no_rows(in, &fc);
		goto out_close;
	}
	if (defer_file(in, &fc, json)) {
		/* read again after the others: as if not read yet */
		store_rollback(in->store);
		goto out_close;
	}
	if (in->opts.strict && fc.rejected) {
		char *why = xasprintf("%ld of %ld rows rejected; file not "
				      "ingested (--strict)",
				      fc.rejected, fc.rows_read);

		store_rollback(in->store);
		in->stats.files_failed++;
		note_not_ingested(in, path, hex, why);
		free(why);
		err = diag_error(
			DDM_ERR_DATA, diag_q(path),
			"%ld rows rejected; file not ingested (--strict)",
			fc.rejected);
		goto out_close;
	}
	err = store_commit(in->store);
	if (err)
		goto out_rollback;
	err = tell_file(in, &fc);
	tell_no_rows(in, &fc);
	goto out_close;

out_rollback:
	store_rollback(in->store);
out_close:
	buf_free(&fc.header);
	fclose(f);
	return err;
}

static bool wanted_in_dir(const char *name)
{
	static const char *const ext[] = {".csv", ".json", ".ndjson", ".jsonl"};
	size_t n = strlen(name);

	if (name[0] == '.')
		return false;
	for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++) {
		size_t e = strlen(ext[i]);

		if (n > e && strcasecmp(name + n - e, ext[i]) == 0)
			return true;
	}
	return false;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Remembers the directory d; false when it was walked before (reached
 * again through a link such as "a -> ."). */
static bool first_walk(ingest *in, DIR *d)
{
	struct stat st;

	if (fstat(dirfd(d), &st) != 0)
		return true;
	for (size_t i = 0; i < in->nwalked; i++)
		if (in->walked[i].dev == st.st_dev &&
		    in->walked[i].ino == st.st_ino)
			return false;
	in->walked =
		xrealloc(in->walked, (in->nwalked + 1) * sizeof *in->walked);
	in->walked[in->nwalked].dev = st.st_dev;
	in->walked[in->nwalked].ino = st.st_ino;
	in->nwalked++;
	return true;
}

/* Whether a folder (or one below it) holds a file ingest_dir() reads. */
static bool dir_has_input(const char *path, int depth)
{
	DIR *d = depth > 32 ? NULL : opendir(path);
	struct dirent *e;
	bool found = false;

	if (!d)
		return depth > 32; /* too deep: let the walk say so */
	while (!found && (e = readdir(d)) != NULL) {
		struct stat st;
		char *name;

		if (e->d_name[0] == '.')
			continue;
		name = xasprintf("%s/%s", path, e->d_name);
		if (stat(name, &st) == 0)
			found = S_ISDIR(st.st_mode)
					? dir_has_input(name, depth + 1)
					: S_ISREG(st.st_mode) &&
						  wanted_in_dir(e->d_name);
		free(name);
	}
	closedir(d);
	return found;
}

static ddm_err ingest_dir(ingest *in, const char *path, int depth)
{
	DIR *d;
	struct dirent *e;
	char **names = NULL;
	size_t n = 0;
	ddm_err worst = DDM_OK;
	bool last;

	if (depth > 32)
		return diag_error(DDM_ERR_DATA, diag_q(path),
				  "directories nested too deep");
	d = opendir(path);
	if (!d)
		return diag_error(DDM_ERR_NOINPUT, diag_q(path),
				  "cannot open: %s", strerror(errno));
	if (!first_walk(in, d)) {
		closedir(d);
		return DDM_OK;
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		names = xrealloc(names, (n + 1) * sizeof *names);
		names[n++] = xasprintf("%s%s%s", path,
				       path[strlen(path) - 1] == '/' ? "" : "/",
				       e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof *names, cmp_str);
	last = in->last;
	for (size_t i = 0; i < n; i++) {
		struct stat st;
		const char *base = strrchr(names[i], '/') + 1;
		ddm_err err = DDM_OK;

		in->last = last && i + 1 == n;

		if (stat(names[i], &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode))
			err = ingest_dir(in, names[i], depth + 1);
		else if (S_ISREG(st.st_mode) && wanted_in_dir(base))
			err = ingest_file(in, names[i], true);
		if (err != DDM_OK && err != DDM_ERR_DATA) {
			worst = err;
			for (; i < n; i++)
				free(names[i]);
			break;
		}
		worst = diag_worst(worst, err);
		free(names[i]);
	}
	in->last = last;
	free(names);
	return worst;
}

bool ingest_dir_has_input(const char *path)
{
	return dir_has_input(path, 0);
}

void ingest_set_last(ingest *in)
{
	in->last = true;
}

/*
 * Reads the files put off again, in passes, until none is left.  A file
 * that still names a device no input read so far ties to a serial is put
 * off once more while a file of the queue was stored since it was last
 * put off: the file that tells the serial may be later in the queue, or
 * be one that needs, in its first lines, what another file tells (logs
 * given newest first).  A pass that stores none leaves nothing to learn:
 * then a file is read as final, its unknown reports rejected; so is the
 * queue's last file when nothing of its pass was stored.  Each pass but
 * the final stores a file, so the passes end.
 */
ddm_err ingest_deferred(ingest *in)
{
	ddm_err worst = DDM_OK;
	bool stored = true; /* since each file of the queue was put off */
	bool stop = false;

	in->last = false;
	while (in->ndeferred > 0 && !stop) {
		char **queue = in->deferred;
		size_t n = in->ndeferred, i;
		bool any = false; /* a file of this pass stored */

		in->deferred = NULL;
		in->ndeferred = 0;
		for (i = 0; i < n; i++) {
			size_t before = in->ndeferred;
			ddm_err err;

			in->rereading = !stored || (i + 1 == n && !any);
			err = ingest_file(in, queue[i], true);
			free(queue[i]);
			if (in->ndeferred == before)
				any = true;
			if (err != DDM_OK && err != DDM_ERR_DATA) {
				worst = err;
				stop = true;
				i++;
				break;
			}
			worst = diag_worst(worst, err);
		}
		for (; i < n; i++)
			free(queue[i]);
		free(queue);
		stored = any;
	}
	for (size_t i = 0; i < in->ndeferred; i++)
		free(in->deferred[i]);
	free(in->deferred);
	in->deferred = NULL;
	in->ndeferred = 0;
	in->rereading = false;
	return worst;
}

ddm_err ingest_path(ingest *in, const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return diag_error(DDM_ERR_NOINPUT, diag_q(path),
				  "cannot open: %s", strerror(errno));
	if (S_ISDIR(st.st_mode))
		return ingest_dir(in, path, 0);
	return ingest_file(in, path, false);
}
