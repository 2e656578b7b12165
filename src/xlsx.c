/*
 * xlsx.c - workbook writing with libxlsxwriter.
 *
 * Row 0 of each sheet is the title; then one table per `part` of the
 * template (a detail sheet has one: headers in row 1, frozen and repeated
 * on every printed page, data from row 2).  Every table is an Excel table
 * (banded, filterable, named T_<report>[_<part>][_<sheet number>]).
 *
 * Formats are made once per workbook and shared: plain text cells get no
 * format at all (NULL is the default style, so libxlsxwriter does no
 * per-cell lookup), every date one date format.  Rows that need action are
 * marked by conditional-formatting rules over the table, not by fills, so
 * the marks follow sorting and filtering and the rule is visible in Excel.
 *
 * libxlsxwriter 1.1 refuses worksheet_add_table() in constant-memory mode
 * because it would write the header cells itself, into rows already
 * flushed.  We write those cells ourselves, then add the table with the
 * sheet's optimize flag lowered for the call: the library's header writes
 * then land in its unused in-memory row tree (freed with the sheet) and
 * the table part is written as usual.  The e2e tests read the tables back
 * with openpyxl and LibreOffice, so a library change that breaks this is
 * caught.
 *
 * Rows are written by a second thread, so a report's cells go into the
 * workbook while the next rows are read from SQLite and written as CSV:
 * xlsx_row() copies the row into a batch and hands full batches over (two
 * batches of about BATCH_BYTES, one filling, one being written).  Only
 * that thread touches the workbook until the batches are drained; every
 * other call here drains first, so sheets, tables, continuations and
 * errors happen in order on the caller's thread, as before.  The workbook
 * is the same, byte for byte.  When the thread cannot start, batches are
 * written on the caller's thread.
 */
#include "xlsx.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <xlsxwriter.h>

#include "cell.h"
#include "timeutil.h"
#include "util.h"

#define NSTYLE 4
#define MAXC (TMPL_MAX_COLS * 2)
#define MAX_LABELS_PER_COL 64
#define MAX_PENDING_CHARTS (TMPL_MAX_CHARTS * 2)
#define MAX_SHEETS 64
/* Excel's limit for a URL in a hyperlink. */
#define MAX_URL 2079
/* Characters of a cell (Excel's limit). */
#define CELL_CHARS 32767
/* The largest integer a cell's number (an IEEE double) holds exactly. */
#define EXACT_INT 9007199254740992LL
/* Widest fitted column, in characters. */
#define MAX_WIDTH 60.0
/* A template width caps a text column only above this (long free text
 * such as notes); narrower ones are fitted to their content. */
#define MIN_CAP 20.0
/* Each chart takes this many rows of the stack beside the tables. */
#define CHART_ROWS 16
/* stdio buffer of each sheet's temporary file (the library's cells go
 * there through fprintf; the default 4 KiB is a write() per 4 KiB). */
#define SHEET_BUF (64 * 1024)
/* A batch of rows is handed to the writing thread at this size. */
#define BATCH_BYTES (256 * 1024)

/* A chart anchor on a finished sheet, for `chart_also`. */
typedef struct sheet_anchor {
	char *name;	   /* owned */
	lxw_worksheet *ws; /* owned by wb */
	lxw_col_t col;	   /* column of the chart stack */
	lxw_row_t row;	   /* next free row in it */
} sheet_anchor;

struct xlsx {
	lxw_workbook *wb;	  /* owned until close */
	lxw_worksheet *ws;	  /* current sheet; owned by wb */
	lxw_format *date;	  /* owned by wb: every date cell */
	lxw_format *integer;	  /* owned by wb */
	lxw_format *number;	  /* owned by wb */
	lxw_format *percent;	  /* owned by wb */
	lxw_format *title;	  /* owned by wb */
	lxw_format *caption;	  /* owned by wb */
	lxw_format *header;	  /* owned by wb */
	lxw_format *note;	  /* owned by wb */
	lxw_format *mark[NSTYLE]; /* owned by wb: conditional formats */
	char footer[160];	  /* page footer of every sheet */
	const tmpl *t;		  /* borrowed: current template */
	const char *empty;	  /* borrowed: the own table's empty line */
	char sheet_name[128];	  /* current sheet's name */
	int sheet_no;		  /* 1, then 2... for continuations */
	lxw_row_t row;		  /* next row to write */
	double width[MAXC];	  /* widest content per column (sheet) */
	double cap[MAXC];	  /* widest a column may be fitted to */
	int sheet_cols;		  /* widest table of the sheet */
	long links;		  /* hyperlinks in the workbook */
	long unlinked;		  /* URLs of this report written as text */
	lxw_chart *pending[MAX_PENDING_CHARTS]; /* for this sheet */
	int npending;
	/* Where the sheet's tables are, so charts go beside them. */
	struct {
		lxw_row_t first, last;
		int ncols;
	} tables[TMPL_MAX_PARTS + 1];
	int ntables;
	sheet_anchor anchors[MAX_SHEETS];
	int nanchors;
	char **sheet_bufs; /* owned: SHEET_BUF each, freed after close */
	int nsheet_bufs;
	/* Each sheet's temporary file (the library's), checked for write
	 * errors before the workbook is assembled: libxlsxwriter never
	 * checks its own writes, so a full disk would give a truncated
	 * sheet in a workbook that closes without error. */
	FILE **sheet_files;
	int nsheet_files;
	char *tmpdir; /* owned: the folder of the workbook, for the library */

	/* The current table. */
	const tmpl_part *part;	  /* borrowed; NULL: the report's own */
	const char *const *names; /* borrowed: query column names */
	int ncols;
	const tmpl_col *col[MAXC]; /* per query column, or NULL */
	bool link[MAXC];
	const char *blank[MAXC];		 /* borrowed, or NULL */
	int lab[MAXC][MAX_LABELS_PER_COL];	 /* indexes in t->labels */
	size_t lablen[MAXC][MAX_LABELS_PER_COL]; /* strlen of their values */
	int nlab[MAXC];
	/* The last date text of each column and its cell value: a column
	 * often repeats a date (a target's deadline) row after row. */
	buf last_date[MAXC];
	lxw_datetime last_dt[MAXC];
	bool last_ok[MAXC];
	lxw_row_t hdr_row; /* header row of the table */
	long trows;	   /* data rows written in this table */
	long max_rows;	   /* per sheet for this table */
	buf scratch;
	buf scratch2;

	/* The writing thread (see the top of this file). */
	bool threaded;	    /* the thread runs */
	pthread_t thread;   /* valid when threaded */
	pthread_mutex_t mu; /* guards ready, quit, werr */
	pthread_cond_t cv;  /* ready or quit changed */
	buf *ready;	    /* the batch handed over; NULL: none pending */
	bool quit;	    /* the thread is to end */
	buf batches[2];	    /* one filling (fill), one written (ready) */
	buf *fill;	    /* the caller's batch */
	long sent;	    /* rows of this table's sheet handed over */
	lxw_error werr;	    /* the writing thread's first error */
	bool wsaid;	    /* werr was reported */
};

static void *writer(void *arg);
static ddm_err drain(xlsx *x);

static const uint32_t fills[NSTYLE] = {0, 0xF8CBAD, 0xFFE699, 0xC6EFCE};
static const uint32_t fonts[NSTYLE] = {0, 0x9C0006, 0x7F6000, 0x006100};

ddm_err xlsx_open(const char *path, const xlsx_info *info, xlsx **out)
{
	lxw_workbook_options opts = {.constant_memory = LXW_TRUE,
				     .tmpdir = NULL,
				     .use_zip64 = LXW_TRUE};
	lxw_doc_properties props = {0};
	xlsx *x = xcalloc(1, sizeof *x);
	const char *slash = strrchr(path, '/');
	diag_capture cap;
	char said[512];
	char iso[32];

	/* The library's temporary files (the sheets' XML, several times the
	 * CSVs' size) go beside the workbook, not to /tmp: on the disk the
	 * outputs need anyway, in the run's private folder. */
	x->tmpdir =
		slash ? xstrndup(path, (size_t)(slash - path) + (slash == path))
		      : xstrdup(".");
	opts.tmpdir = x->tmpdir;
	diag_capture_begin(&cap);
	x->wb = workbook_new_opt(path, &opts);
	diag_capture_end(&cap, said, sizeof said);
	if (!x->wb) {
		free(x->tmpdir);
		free(x);
		return diag_error(DDM_ERR_CANTCREAT, diag_q(path),
				  "cannot start workbook%s%s",
				  *said ? ": " : "", diag_q(said));
	}
	x->date = workbook_add_format(x->wb);
	format_set_num_format(x->date, "yyyy-mm-dd hh:mm:ss");
	format_set_align(x->date, LXW_ALIGN_LEFT);
	x->integer = workbook_add_format(x->wb);
	format_set_num_format(x->integer, "#,##0");
	x->number = workbook_add_format(x->wb);
	format_set_num_format(x->number, "#,##0.0");
	x->percent = workbook_add_format(x->wb);
	format_set_num_format(x->percent, "0.0%");
	x->title = workbook_add_format(x->wb);
	format_set_bold(x->title);
	format_set_font_size(x->title, 14);
	x->caption = workbook_add_format(x->wb);
	format_set_bold(x->caption);
	format_set_font_size(x->caption, 12);
	x->note = workbook_add_format(x->wb);
	format_set_italic(x->note);
	x->header = workbook_add_format(x->wb);
	format_set_bold(x->header);
	format_set_text_wrap(x->header);
	format_set_align(x->header, LXW_ALIGN_VERTICAL_TOP);
	for (int s = 1; s < NSTYLE; s++) {
		x->mark[s] = workbook_add_format(x->wb);
		format_set_bg_color(x->mark[s], fills[s]);
		format_set_font_color(x->mark[s], fonts[s]);
	}

	ts_format_utc(info->as_of, iso);
	/* "&A" is the sheet name, "&P of &N" the page numbers. */
	snprintf(x->footer, sizeof x->footer,
		 "&L&A&CPage &P of &N&RAs of %.10s %.5s UTC", iso, iso + 11);
	props.title = (char *)info->title;
	props.subject = (char *)info->subject;
	props.author = (char *)info->author;
	props.company = (char *)info->company;
	props.keywords = (char *)info->keywords;
	props.comments = (char *)info->comments;
	/* The as-of, not the clock: the same database and as-of give the
	 * same docProps/core.xml. */
	props.created = (time_t)info->as_of;
	workbook_set_properties(x->wb, &props);
	x->fill = &x->batches[0];
	if (pthread_mutex_init(&x->mu, NULL) == 0) {
		if (pthread_cond_init(&x->cv, NULL) == 0) {
			x->threaded = pthread_create(&x->thread, NULL, writer,
						     x) == 0;
			if (!x->threaded)
				pthread_cond_destroy(&x->cv);
		}
		if (!x->threaded)
			pthread_mutex_destroy(&x->mu);
	}
	*out = x;
	return DDM_OK;
}

static ddm_err lxw_fail(lxw_error e, const char *what)
{
	return diag_error(DDM_ERR_IO, NULL, "workbook: %s: %s", what,
			  lxw_strerror(e));
}

/*
 * Makes s a valid cell text in x->scratch.  Text over Excel's 32,767
 * characters is cut on a character boundary, with a visible marker saying
 * how much is missing and where the whole text is.
 */
static const char *cell_text(xlsx *x, const char *s, size_t len)
{
	size_t chars;

	buf_reset(&x->scratch);
	if (len <= CELL_CHARS) {
		cell_xml_text(&x->scratch, s, len);
		return buf_cstr(&x->scratch);
	}
	chars = utf8_chars(s, len, (size_t)-1);
	if (chars <= CELL_CHARS) {
		cell_xml_text(&x->scratch, s, len);
	} else {
		/* The marker is at most 100 characters: keep the rest. */
		size_t keep = CELL_CHARS - 100;
		char marker[160];

		if (x->t->csv)
			snprintf(marker, sizeof marker,
				 "\xE2\x80\xA6 [cut: %zu characters, full text "
				 "in %s.csv]",
				 chars - keep, x->t->report);
		else
			snprintf(marker, sizeof marker,
				 "\xE2\x80\xA6 [cut: %zu characters]",
				 chars - keep);
		cell_xml_text(&x->scratch, s, utf8_prefix(s, len, keep));
		buf_puts(&x->scratch, marker);
	}
	return buf_cstr(&x->scratch);
}

/* True when s[0..len) is printable ASCII only: cell_text() would copy
 * it unchanged. */
static bool plain_ascii(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;

	for (size_t i = 0; i < len; i++)
		if (u[i] < 0x20 || u[i] >= 0x7F)
			return false;
	return true;
}

/* s[len] must be readable (every caller's text is NUL-terminated there:
 * C strings and SQLite's column text). */
static lxw_error put_text(xlsx *x, lxw_row_t row, int c, const char *s,
			  size_t len, lxw_format *f)
{
	/* The common case: written as it is, without the copy. */
	if (len <= CELL_CHARS && s[len] == '\0' && plain_ascii(s, len))
		return worksheet_write_string(x->ws, row, (lxw_col_t)c, s, f);
	return worksheet_write_string(x->ws, row, (lxw_col_t)c,
				      cell_text(x, s, len), f);
}

/* Notes a cell's width (in characters) for the fitted column width. */
static void fit(xlsx *x, int c, double w)
{
	if (c < MAXC && w > x->width[c])
		x->width[c] = w;
}

/* The sheet's name: the template's, or "NAME (k)" for a continuation,
 * the name cut on a character boundary to fit 31 characters. */
static void sheet_name(xlsx *x)
{
	const char *base = x->t->sheet;
	char suffix[16] = "";
	size_t room, keep;

	if (x->sheet_no > 1)
		snprintf(suffix, sizeof suffix, " (%d)", x->sheet_no);
	room = 31 - strlen(suffix);
	keep = utf8_prefix(base, strlen(base), room);
	snprintf(x->sheet_name, sizeof x->sheet_name, "%.*s%s", (int)keep, base,
		 suffix);
}

static ddm_err begin_sheet(xlsx *x)
{
	const tmpl *t = x->t;
	lxw_error e;
	diag_capture cap;
	char said[512];

	sheet_name(x);
	diag_capture_begin(&cap);
	x->ws = workbook_add_worksheet(x->wb, x->sheet_name);
	diag_capture_end(&cap, said, sizeof said);
	if (!x->ws)
		return diag_error(DDM_ERR_DATA, diag_q(x->sheet_name),
				  "cannot add worksheet: %s",
				  *said ? diag_q(said) : "duplicate name?");
	/* Nothing is written to the new sheet's file yet: its buffer can
	 * still be set (glibc takes the size only with a buffer given). */
	if (x->ws->optimize_tmpfile) {
		char *b = xmalloc(SHEET_BUF);

		x->sheet_files = xrealloc(x->sheet_files,
					  (size_t)(x->nsheet_files + 1) *
						  sizeof *x->sheet_files);
		x->sheet_files[x->nsheet_files++] = x->ws->optimize_tmpfile;

		if (setvbuf(x->ws->optimize_tmpfile, b, _IOFBF, SHEET_BUF) ==
		    0) {
			x->sheet_bufs = xrealloc(x->sheet_bufs,
						 (size_t)(x->nsheet_bufs + 1) *
							 sizeof *x->sheet_bufs);
			x->sheet_bufs[x->nsheet_bufs++] = b;
		} else {
			free(b);
		}
	}
	memset(x->width, 0, sizeof x->width);
	memset(x->cap, 0, sizeof x->cap);
	x->sheet_cols = 0;
	x->npending = 0;
	x->ntables = 0;
	/* Print-ready: landscape, one page wide (Summary: one page). */
	worksheet_set_landscape(x->ws);
	worksheet_set_paper(x->ws, 9); /* A4; Letter fits as well */
	worksheet_set_margins(x->ws, 0.4, 0.4, 0.6, 0.6);
	worksheet_fit_to_pages(x->ws, 1, t->fit_page ? 1 : 0);
	worksheet_set_footer(x->ws, x->footer);
	x->row = 0;
	e = put_text(x, 0, 0, t->title, strlen(t->title), x->title);
	if (e)
		return lxw_fail(e, "title");
	worksheet_set_row(x->ws, 0, 22, NULL);
	x->row = 1;
	return DDM_OK;
}

ddm_err xlsx_sheet_begin(xlsx *x, const tmpl *t, const char *empty)
{
	ddm_err err = drain(x);

	if (err)
		return err;
	x->t = t;
	x->empty = empty ? empty : t->empty;
	x->sheet_no = 1;
	x->unlinked = 0;
	return begin_sheet(x);
}

/* Finds the labels of column c, by name. */
static void find_labels(xlsx *x, int c, const char *name)
{
	const tmpl *t = x->t;

	x->nlab[c] = 0;
	for (int i = 0; i < t->nlabels && x->nlab[c] < MAX_LABELS_PER_COL; i++)
		if (strcmp(t->labels[i].column, name) == 0) {
			x->lablen[c][x->nlab[c]] = strlen(t->labels[i].value);
			x->lab[c][x->nlab[c]++] = i;
		}
}

/* The shown text of a value: its label when it has one. */
static const char *label_of(const xlsx *x, int c, const char *s, size_t len)
{
	for (int i = 0; i < x->nlab[c]; i++) {
		const tmpl_label *l = &x->t->labels[x->lab[c][i]];

		if (x->lablen[c][i] == len && memcmp(l->value, s, len) == 0)
			return l->label;
	}
	return NULL;
}

/* The header of column c, made unique in the table and at most 255
 * characters (Excel requires both of a table's column names). */
static const char *header_of(xlsx *x, int c, char *tmp, size_t cap)
{
	const char *h = x->col[c] ? x->col[c]->header : x->names[c];
	size_t len = strlen(h), keep = utf8_prefix(h, len, 200);

	if (keep < len) {
		snprintf(tmp, cap, "%.*s (%d)", (int)keep, h, c + 1);
		return tmp;
	}
	for (int p = 0; p < c; p++) {
		const char *o = x->col[p] ? x->col[p]->header : x->names[p];

		if (strcmp(o, h) == 0) {
			snprintf(tmp, cap, "%s (%d)", h, c + 1);
			return tmp;
		}
	}
	return h;
}

static ddm_err write_header(xlsx *x)
{
	char tmp[900];

	x->hdr_row = x->row;
	for (int c = 0; c < x->ncols; c++) {
		const char *h = header_of(x, c, tmp, sizeof tmp);
		size_t hl = utf8_chars(h, strlen(h), 200);
		lxw_error e = put_text(x, x->row, c, h, strlen(h), x->header);

		if (e)
			return lxw_fail(e, "header");
		/* Headers wrap; room for the filter button. */
		fit(x, c, (double)(hl < 16 ? hl : 16) + 3);
		/* A long text column stops at its template width. */
		if (c < MAXC) {
			const tmpl_col *tc = x->col[c];
			double cap = tc &&
						     (tc->type == TT_TEXT ||
						      tc->type == TT_AUTO) &&
						     tc->width > MIN_CAP &&
						     tc->width < MAX_WIDTH
					     ? tc->width
					     : MAX_WIDTH;

			if (cap > x->cap[c])
				x->cap[c] = cap;
		}
	}
	worksheet_set_row(x->ws, x->row, 32, NULL);
	if ((!x->part && x->t->nparts == 0) || x->sheet_no > 1) {
		worksheet_freeze_panes(x->ws, x->row + 1, 0);
		worksheet_repeat_rows(x->ws, x->row, x->row);
	} else if (x->part && !x->part->query &&
		   x->part == &x->t->parts[x->t->nparts - 1]) {
		/* The report's own list, last below short summary tables
		 * (Patch latency's every device), runs over many pages:
		 * each printed page repeats its header. */
		worksheet_repeat_rows(x->ws, x->row, x->row);
	}
	x->row++;
	x->trows = 0;
	x->sent = 0;
	/* The rows left on this sheet below the header: a list below summary
	 * tables (Patch latency's) has fewer than Excel's 1,048,576 less two.
	 * The report's own list stops at the template's max_rows too.  Past
	 * either it goes on at "SHEET (2)", ... (continue_sheet). */
	x->max_rows = (long)LXW_ROW_MAX - (long)x->row;
	if ((!x->part || !x->part->query) && x->t->max_rows < x->max_rows)
		x->max_rows = x->t->max_rows;
	if (x->ncols > x->sheet_cols)
		x->sheet_cols = x->ncols;
	return DDM_OK;
}

ddm_err xlsx_table_begin(xlsx *x, const tmpl_part *part,
			 const char *const *names, int ncols)
{
	const tmpl *t = x->t;
	ddm_err err = drain(x);

	if (err)
		return err;
	x->part = part;
	x->names = names;
	x->ncols = ncols < MAXC ? ncols : MAXC;
	for (int c = 0; c < x->ncols; c++) {
		x->col[c] = tmpl_find_col(t, names[c]);
		x->link[c] = tmpl_is_link(t, names[c]);
		x->blank[c] = tmpl_blank_text(t, names[c]);
		find_labels(x, c, names[c]);
		buf_reset(&x->last_date[c]);
		x->last_ok[c] = false;
	}
	if (part && part->caption && *part->caption) {
		lxw_error e;

		if (x->row > 1)
			x->row++; /* a blank row between tables */
		e = put_text(x, x->row, 0, part->caption, strlen(part->caption),
			     x->caption);
		if (e)
			return lxw_fail(e, "caption");
		x->row++;
	}
	return write_header(x);
}

/* Converts an ISO 8601 instant or wall time to libxlsxwriter's date;
 * zone_only: accept only an instant with a zone (auto columns). */
static int to_datetime(const char *s, size_t len, lxw_datetime *dt,
		       bool zone_only)
{
	int64_t t;
	bool had_zone;
	int f[6];

	if (len < 10 || len > 40 || !ts_parse(s, len, &t, &had_zone))
		return 0;
	if (zone_only && (!had_zone || len < 19))
		return 0;
	if (!ts_split(t, f)) /* UTC; outside 0000-9999 */
		return 0;
	dt->year = f[0];
	dt->month = f[1];
	dt->day = f[2];
	dt->hour = f[3];
	dt->min = f[4];
	dt->sec = f[5];
	return dt->year >= 1900;
}

/* to_datetime() of column c's text, remembered while the column repeats
 * it. */
static int col_datetime(xlsx *x, int c, const char *s, size_t len,
			lxw_datetime *dt, bool zone_only)
{
	buf *last = &x->last_date[c];

	if (last->len != len || !last->data || memcmp(last->data, s, len)) {
		buf_reset(last);
		buf_append(last, s, len);
		x->last_ok[c] =
			to_datetime(s, len, &x->last_dt[c], zone_only) != 0;
	}
	*dt = x->last_dt[c];
	return x->last_ok[c];
}

static bool is_url(const char *s, size_t len)
{
	return len > 8 && len <= MAX_URL && !memchr(s, '\0', len) &&
	       (strncmp(s, "https://", 8) == 0 ||
		strncmp(s, "http://", 7) == 0 || strncmp(s, "mailto:", 7) == 0);
}

/* Digits of a number as shown, for the fitted width. */
static double num_width(double d, int decimals)
{
	double w = d < 0 ? 2 : 1;

	for (d = fabs(d); d >= 10; d /= 10)
		w++;
	return w + (w > 3 ? (w - 1) / 3 : 0) + (decimals ? decimals + 1 : 0);
}

static lxw_error put_number(xlsx *x, int c, double d, lxw_format *f,
			    int decimals)
{
	fit(x, c, num_width(f == x->percent ? d * 100 : d, decimals));
	return worksheet_write_number(x->ws, x->row, (lxw_col_t)c, d, f);
}

/* One cell of the current row. */
static lxw_error put_cell(xlsx *x, int c, const rowval *v)
{
	tmpl_type ty = x->col[c] ? x->col[c]->type : TT_TEXT;
	bool num = v->type == 'i' || (v->type == 'r' && isfinite(v->d));
	double d = v->type == 'i' ? (double)v->i : v->d;
	lxw_datetime dt;
	const char *s;

	if (v->type == 'n') {
		if (!x->blank[c])
			return LXW_NO_ERROR;
		fit(x, c, (double)strlen(x->blank[c]));
		return put_text(x, x->row, c, x->blank[c], strlen(x->blank[c]),
				NULL);
	}
	if (v->type == 'i' && (v->i > EXACT_INT || v->i < -EXACT_INT)) {
		/* A number cell would show it rounded (9007199254740993 as
		 * ...992), not as the CSV has it: its digits go in as text. */
		char digits[24];
		int n = snprintf(digits, sizeof digits, "%lld",
				 (long long)v->i);

		fit(x, c, (double)n);
		return put_text(x, x->row, c, digits, (size_t)n, NULL);
	}
	if (num && ty == TT_INT)
		return put_number(x, c, d, x->integer, 0);
	if (num && ty == TT_NUMBER)
		return put_number(x, c, d, x->number, 1);
	if (num && ty == TT_PERCENT)
		return put_number(x, c, d, x->percent, 1);
	if (num && ty == TT_PERCENT100)
		return put_number(x, c, d / 100, x->percent, 1);
	if (num && ty == TT_AUTO)
		return put_number(x, c, d,
				  v->type == 'i' ? x->integer : x->number,
				  v->type == 'i' ? 0 : 1);
	if (v->type == 't' &&
	    (((ty == TT_DATETIME || ty == TT_LOCAL) &&
	      col_datetime(x, c, v->s, v->len, &dt, false)) ||
	     (ty == TT_AUTO && col_datetime(x, c, v->s, v->len, &dt, true)))) {
		fit(x, c, 19);
		return worksheet_write_datetime(x->ws, x->row, (lxw_col_t)c,
						&dt, x->date);
	}
	if (x->link[c] && x->links >= XLSX_MAX_LINKS && is_url(v->s, v->len))
		x->unlinked++;
	else if (x->link[c] && is_url(v->s, v->len)) {
		lxw_error e;

		buf_reset(&x->scratch2);
		cell_xml_text(&x->scratch2, v->s, v->len);
		e = worksheet_write_url(x->ws, x->row, (lxw_col_t)c,
					buf_cstr(&x->scratch2), NULL);
		if (e == LXW_NO_ERROR) {
			x->links++;
			fit(x, c, (double)utf8_chars(v->s, v->len, 80));
			return e;
		}
	}
	s = x->nlab[c] ? label_of(x, c, v->s, v->len) : NULL;
	if (s) {
		fit(x, c, (double)utf8_chars(s, strlen(s), 80));
		return put_text(x, x->row, c, s, strlen(s), NULL);
	}
	/* Most values are short ASCII: one scan gives the width and says the
	 * text goes in as it is. */
	if (v->len <= CELL_CHARS && v->s[v->len] == '\0' &&
	    plain_ascii(v->s, v->len)) {
		fit(x, c, (double)(v->len < 80 ? v->len : 80));
		return worksheet_write_string(x->ws, x->row, (lxw_col_t)c, v->s,
					      NULL);
	}
	fit(x, c, (double)utf8_chars(v->s, v->len, 80));
	return put_text(x, x->row, c, v->s, v->len, NULL);
}

static ddm_err end_table(xlsx *x);
static ddm_err end_sheet(xlsx *x);

/* The report's own table is full: end this sheet, go on with the next. */
static ddm_err continue_sheet(xlsx *x)
{
	/* The table goes on as the same part (its name, its print titles). */
	const tmpl_part *part = x->part;
	ddm_err err = end_table(x);

	if (err == DDM_OK)
		err = end_sheet(x);
	if (err)
		return err;
	x->sheet_no++;
	x->part = part;
	err = begin_sheet(x);
	if (err == DDM_OK)
		err = write_header(x);
	return err;
}

/* Writes the rows of batch b (see put_row for the layout). */
static lxw_error play(xlsx *x, const buf *b)
{
	rowval v[MAXC];
	size_t at = 0;

	while (at < b->len) {
		int n;

		memcpy(&n, b->data + at, sizeof n);
		at += sizeof n;
		for (int c = 0; c < n; c++) {
			rowval *r = &v[c];

			memcpy(r, b->data + at, sizeof *r);
			at += sizeof *r;
			r->s = b->data + at;
			at += r->len + 1;
		}
		for (int c = 0; c < x->ncols && c < n; c++) {
			lxw_error e = put_cell(x, c, &v[c]);

			if (e)
				return e;
		}
		x->row++;
		x->trows++;
	}
	return LXW_NO_ERROR;
}

static void *writer(void *arg)
{
	xlsx *x = arg;

	pthread_mutex_lock(&x->mu);
	for (;;) {
		buf *b;

		while (!x->ready && !x->quit)
			pthread_cond_wait(&x->cv, &x->mu);
		if (!x->ready)
			break;
		lxw_error e = LXW_NO_ERROR;
		bool skip = x->werr != LXW_NO_ERROR;

		b = x->ready;
		pthread_mutex_unlock(&x->mu);
		if (!skip)
			e = play(x, b);
		pthread_mutex_lock(&x->mu);
		if (x->werr == LXW_NO_ERROR)
			x->werr = e;
		x->ready = NULL;
		pthread_cond_broadcast(&x->cv);
	}
	pthread_mutex_unlock(&x->mu);
	return NULL;
}

/* Hands the filling batch over (written here when there is no thread).
 * False when writing has failed: the batch is dropped. */
static bool submit(xlsx *x)
{
	buf *next;
	bool ok, handed = false;

	if (!x->threaded) {
		if (x->werr == LXW_NO_ERROR && x->fill->len)
			x->werr = play(x, x->fill);
		buf_reset(x->fill);
		return x->werr == LXW_NO_ERROR;
	}
	next = x->fill == &x->batches[0] ? &x->batches[1] : &x->batches[0];
	pthread_mutex_lock(&x->mu);
	while (x->ready)
		pthread_cond_wait(&x->cv, &x->mu);
	ok = x->werr == LXW_NO_ERROR;
	if (ok && x->fill->len) {
		x->ready = x->fill;
		handed = true;
		pthread_cond_broadcast(&x->cv);
	}
	pthread_mutex_unlock(&x->mu);
	if (handed) { /* the other batch is written: fill it next */
		buf_reset(next);
		x->fill = next;
	} else if (!ok) {
		buf_reset(x->fill); /* dropped */
	}
	return ok;
}

/* Waits until every row handed over is in the workbook; then x is the
 * caller's alone.  The writing thread's error, reported once. */
static ddm_err drain(xlsx *x)
{
	lxw_error e;

	submit(x);
	if (x->threaded) {
		pthread_mutex_lock(&x->mu);
		while (x->ready)
			pthread_cond_wait(&x->cv, &x->mu);
		e = x->werr;
		pthread_mutex_unlock(&x->mu);
	} else {
		e = x->werr;
	}
	if (e == LXW_NO_ERROR)
		return DDM_OK;
	if (x->wsaid)
		return DDM_ERR_IO;
	x->wsaid = true;
	return lxw_fail(e, "cell");
}

/* Batch layout, per row: int n, then n times (rowval, the text and a
 * NUL); the rowval's s is set again when it is read. */
static void put_row(buf *b, const rowval *v, int n)
{
	buf_append(b, &n, sizeof n);
	for (int c = 0; c < n; c++) {
		buf_append(b, &v[c], sizeof v[c]);
		buf_append(b, v[c].s, v[c].len);
		buf_putc(b, '\0');
	}
}

ddm_err xlsx_row(xlsx *x, const rowval *v, int ncols)
{
	if (x->sent >= x->max_rows) {
		ddm_err err = drain(x);

		if (err == DDM_OK)
			err = continue_sheet(x);
		if (err)
			return err;
	}
	put_row(x->fill, v, ncols < MAXC ? ncols : MAXC);
	x->sent++;
	if (x->fill->len >= BATCH_BYTES && !submit(x))
		return drain(x);
	return DDM_OK;
}

/* libxlsxwriter's chart type for a template's chart kind. */
static uint8_t chart_type(const char *kind)
{
	if (strcmp(kind, "pie") == 0)
		return LXW_CHART_PIE;
	if (strcmp(kind, "bar") == 0)
		return LXW_CHART_BAR;
	if (strcmp(kind, "line") == 0)
		return LXW_CHART_LINE;
	return LXW_CHART_COLUMN;
}

/* "'Sheet name'!$A$3:$A$11" for a column range of the current sheet. */
static void range_ref(const xlsx *x, int col, lxw_row_t first, lxw_row_t last,
		      buf *b)
{
	char name[16], cell[64];

	buf_reset(b);
	buf_putc(b, '\'');
	for (const char *p = x->sheet_name; *p; p++) {
		if (*p == '\'')
			buf_putc(b, '\'');
		buf_putc(b, *p);
	}
	buf_puts(b, "'!");
	lxw_col_to_name(name, (lxw_col_t)col, LXW_TRUE);
	snprintf(cell, sizeof cell, "%s$%u:%s$%u", name, (unsigned)first + 1,
		 name, (unsigned)last + 1);
	buf_puts(b, cell);
}

static int find_name(const xlsx *x, const char *name)
{
	for (int c = 0; c < x->ncols; c++)
		if (strcmp(x->names[c], name) == 0)
			return c;
	return -1;
}

/* A chart of the current table; NULL when its columns are missing. */
static lxw_chart *make_chart(xlsx *x, const tmpl_chart *tc)
{
	int cat = find_name(x, tc->cat), val = find_name(x, tc->val);
	lxw_row_t first = x->hdr_row + 1,
		  last = x->hdr_row + (lxw_row_t)x->trows;
	uint8_t type = chart_type(tc->kind);
	lxw_chart *ch;
	lxw_chart_series *s;
	buf c = {0}, v = {0};
	bool pct = val >= 0 && x->col[val] &&
		   (x->col[val]->type == TT_PERCENT ||
		    x->col[val]->type == TT_PERCENT100);

	if (cat < 0 || val < 0 || x->trows == 0)
		return NULL;
	ch = workbook_add_chart(x->wb, type);
	if (!ch)
		return NULL;
	range_ref(x, cat, first, last, &c);
	range_ref(x, val, first, last, &v);
	s = chart_add_series(ch, buf_cstr(&c), buf_cstr(&v));
	buf_free(&c);
	buf_free(&v);
	if (s && *tc->title)
		chart_series_set_name(s, tc->title);
	if (*tc->title)
		chart_title_set_name(ch, tc->title);
	if (type == LXW_CHART_PIE) {
		chart_legend_set_position(ch, LXW_CHART_LEGEND_RIGHT);
		return ch;
	}
	chart_legend_set_position(ch, LXW_CHART_LEGEND_NONE);
	if (s && type == LXW_CHART_LINE) {
		/* One night is a point, ten nights a line. */
		chart_series_set_marker_type(s, LXW_CHART_MARKER_CIRCLE);
		chart_series_set_marker_size(s, 7);
	}
	if (type == LXW_CHART_BAR)
		chart_axis_set_reverse(ch->y_axis);
	if (x->col[cat] &&
	    (x->col[cat]->type == TT_DATETIME || x->col[cat]->type == TT_LOCAL))
		chart_axis_set_num_format(ch->x_axis, "yyyy-mm-dd");
	if (pct) {
		lxw_chart_axis *a =
			type == LXW_CHART_BAR ? ch->x_axis : ch->y_axis;

		chart_axis_set_num_format(a, "0%");
		chart_axis_set_min(a, 0);
		chart_axis_set_max(a, 1);
	}
	if (s && type == LXW_CHART_BAR) {
		chart_series_set_labels(s);
		if (pct)
			chart_series_set_labels_num_format(s, "0%");
	}
	return ch;
}

/* The comparison of a rule as an Excel formula over the table's first
 * row ("$G3=\"Past deadline\"", "$K3>72"). */
static void rule_formula(const xlsx *x, const tmpl_highlight *h, int c, buf *b)
{
	static const char *const ops[] = {"=", "<>", ">", ">=", "<", "<="};
	char col[16], ref[64];
	const char *val = h->value, *lab = label_of(x, c, val, strlen(val));
	char *end;

	buf_reset(b);
	lxw_col_to_name(col, (lxw_col_t)c, LXW_TRUE);
	snprintf(ref, sizeof ref, "=%s%u%s", col, (unsigned)x->hdr_row + 2,
		 ops[h->op]);
	buf_puts(b, ref);
	(void)strtod(val, &end);
	if (!lab && *val && !*end) {
		buf_puts(b, val);
		return;
	}
	buf_putc(b, '"');
	for (const char *p = lab ? lab : val; *p; p++) {
		if (*p == '"')
			buf_putc(b, '"');
		buf_putc(b, *p);
	}
	buf_putc(b, '"');
}

/* A name Excel accepts for a table: letters, digits and underscores. */
static void table_name(const xlsx *x, char *out, size_t cap)
{
	buf b = {0};
	size_t n;

	buf_puts(&b, "T_");
	buf_puts(&b, x->t->report);
	if (x->part) {
		buf_putc(&b, '_');
		buf_puts(&b, x->part->name);
	}
	if (x->sheet_no > 1) {
		char num[16];

		snprintf(num, sizeof num, "_%d", x->sheet_no);
		buf_puts(&b, num);
	}
	n = b.len < cap - 1 ? b.len : cap - 1;
	for (size_t i = 0; i < n; i++) {
		char ch = b.data[i];

		out[i] = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
					 (ch >= '0' && ch <= '9')
				 ? ch
				 : '_';
	}
	out[n] = '\0';
	buf_free(&b);
}

static ddm_err add_table(xlsx *x, lxw_row_t last)
{
	lxw_table_column cols[MAXC], *colp[MAXC + 1];
	lxw_table_options opts = {0};
	char name[80], tmp[MAXC][900];
	uint8_t optimize = x->ws->optimize;
	lxw_error e;

	memset(cols, 0, sizeof cols);
	for (int c = 0; c < x->ncols; c++) {
		cols[c].header = (char *)header_of(x, c, tmp[c], sizeof tmp[c]);
		cols[c].header_format = x->header;
		colp[c] = &cols[c];
	}
	colp[x->ncols] = NULL;
	table_name(x, name, sizeof name);
	opts.name = name;
	opts.style_type = LXW_TABLE_STYLE_TYPE_MEDIUM;
	opts.style_type_number = 2;
	opts.columns = colp;
	/* See the top of this file. */
	x->ws->optimize = LXW_FALSE;
	e = worksheet_add_table(x->ws, x->hdr_row, 0, last,
				(lxw_col_t)(x->ncols - 1), &opts);
	x->ws->optimize = optimize;
	return e ? lxw_fail(e, "table") : DDM_OK;
}

static ddm_err end_table(xlsx *x)
{
	const tmpl *t = x->t;
	lxw_row_t last = x->hdr_row + (lxw_row_t)x->trows;
	buf f = {0};
	ddm_err err;

	if (x->ncols == 0)
		return DDM_OK;
	if (x->trows == 0) {
		/* A table needs a data row: an empty one, so that a filter or
		 * COUNTA over the table counts no row; the line below the
		 * table, outside it, says why it is empty. */
		bool main = !x->part || !x->part->query;
		const char *why = !main	     ? "None."
				  : x->empty ? x->empty
					     : "No rows.";
		lxw_error e;

		last = x->row++;
		e = put_text(x, x->row, 0, why, strlen(why), x->note);
		if (e)
			return lxw_fail(e, "note");
		x->row++;
	}
	err = add_table(x, last);
	if (err)
		return err;
	if (x->ntables <= TMPL_MAX_PARTS) {
		x->tables[x->ntables].first = x->hdr_row;
		x->tables[x->ntables].last = last;
		x->tables[x->ntables].ncols = x->ncols;
		x->ntables++;
	}
	for (int h = 0; h < t->nhl && x->trows > 0; h++) {
		int c = find_name(x, t->hl[h].column);
		lxw_conditional_format cf = {0};

		if (c < 0)
			continue;
		rule_formula(x, &t->hl[h], c, &f);
		cf.type = LXW_CONDITIONAL_TYPE_FORMULA;
		cf.value_string = (char *)buf_cstr(&f);
		cf.format = x->mark[t->hl[h].style];
		worksheet_conditional_format_range(
			x->ws, x->hdr_row + 1, 0, last,
			(lxw_col_t)(x->ncols - 1), &cf);
	}
	buf_free(&f);
	for (int i = 0; i < t->ncharts; i++) {
		const tmpl_chart *tc = &t->charts[i];
		lxw_chart *ch;
		bool main = !x->part || !x->part->query;
		bool mine =
			tc->part ? !main && strcmp(tc->part, x->part->name) == 0
				 : main;

		if (!mine || x->sheet_no > 1)
			continue;
		ch = make_chart(x, tc);
		if (ch && x->npending < MAX_PENDING_CHARTS)
			x->pending[x->npending++] = ch;
		if (ch && t->chart_also) {
			for (int a = 0; a < x->nanchors; a++) {
				sheet_anchor *an = &x->anchors[a];
				lxw_chart *again;

				if (strcmp(an->name, t->chart_also) != 0)
					continue;
				again = make_chart(x, tc);
				if (again)
					worksheet_insert_chart(an->ws, an->row,
							       an->col, again);
				an->row += CHART_ROWS;
			}
		}
	}
	x->part = NULL;
	return DDM_OK;
}

ddm_err xlsx_table_end(xlsx *x)
{
	ddm_err err = drain(x);

	return err ? err : end_table(x);
}

static ddm_err end_sheet(xlsx *x)
{
	/* Beside the tables the chart stack overlaps (a later table may
	 * be wider; a chart from another sheet may join the stack). */
	lxw_row_t chart_row = 1;
	lxw_row_t stack_end = chart_row + CHART_ROWS * (x->npending + 1);
	int beside = 0;
	lxw_col_t chart_col;

	for (int i = 0; i < x->ntables; i++)
		if (x->tables[i].first < stack_end &&
		    x->tables[i].ncols > beside)
			beside = x->tables[i].ncols;
	chart_col = (lxw_col_t)(beside + 1);

	for (int c = 0; c < x->sheet_cols; c++) {
		double w = x->width[c] + 1.5;

		if (w > x->cap[c])
			w = x->cap[c];
		if (w < 6)
			w = 6;
		worksheet_set_column(x->ws, (lxw_col_t)c, (lxw_col_t)c, w,
				     NULL);
	}
	for (int i = 0; i < x->npending; i++) {
		worksheet_insert_chart(x->ws, chart_row, chart_col,
				       x->pending[i]);
		chart_row += CHART_ROWS;
	}
	if (x->nanchors < MAX_SHEETS) {
		sheet_anchor *an = &x->anchors[x->nanchors++];

		an->name = xstrdup(x->sheet_name);
		an->ws = x->ws;
		an->col = chart_col;
		an->row = chart_row;
	}
	x->npending = 0;
	x->ws = NULL;
	return DDM_OK;
}

ddm_err xlsx_sheet_end(xlsx *x)
{
	ddm_err err = drain(x);

	if (err == DDM_OK)
		err = end_sheet(x);

	x->t = NULL;
	return err;
}

long xlsx_unlinked(xlsx *x)
{
	(void)drain(x); /* an error shows at the next call */
	return x->unlinked;
}

int xlsx_sheets_used(xlsx *x)
{
	(void)drain(x);
	return x->sheet_no;
}

/* The sheets' buffers of a workbook the library failed to close (see
 * xlsx_close); reachable until the process ends. */
static char **volatile kept_sheet_bufs; /* volatile: kept, never read */

/* The first sheet file with a write error, its errno in *e; NULL when
 * every sheet's data reached its file. */
static FILE *failed_sheet_file(xlsx *x, int *e)
{
	for (int i = 0; i < x->nsheet_files; i++) {
		FILE *f = x->sheet_files[i];

		errno = 0;
		if (fflush(f) != 0 || ferror(f)) {
			*e = errno ? errno : EIO;
			return f;
		}
	}
	return NULL;
}

ddm_err xlsx_close(xlsx *x, bool discard)
{
	diag_capture cap;
	char said[512];
	lxw_error e;
	ddm_err err;
	int werr = 0;

	if (discard)
		x->wsaid = true; /* a cell's error is not news either */
	err = drain(x);
	if (discard)
		err = DDM_OK;

	if (x->threaded) {
		pthread_mutex_lock(&x->mu);
		x->quit = true;
		pthread_cond_broadcast(&x->cv);
		pthread_mutex_unlock(&x->mu);
		pthread_join(x->thread, NULL);
		pthread_mutex_destroy(&x->mu);
		pthread_cond_destroy(&x->cv);
	}
	if (!discard && err == DDM_OK && failed_sheet_file(x, &werr)) {
		err = diag_error(DDM_ERR_IO, NULL,
				 "workbook: cannot write its temporary file "
				 "in %s: %s",
				 diag_q(x->tmpdir), strerror(werr));
		discard = true;
	}
	/* Closed even when discarded: the library frees its memory and
	 * files only here.  What it says then is not news. */
	diag_capture_begin(&cap);
	e = workbook_close(x->wb);
	diag_capture_end(&cap, said, sizeof said);
	if (discard)
		; /* the error that made the workbook useless was said */
	else if (e != LXW_NO_ERROR && *said)
		err = diag_error(DDM_ERR_IO, NULL,
				 "workbook: cannot write: %s: %s",
				 lxw_strerror(e), diag_q(said));
	else if (e != LXW_NO_ERROR)
		err = lxw_fail(e, "cannot write");
	else if (*said)
		diag_warn(NULL, "workbook: %s", diag_q(said));
	for (int i = 0; i < x->nanchors; i++)
		free(x->anchors[i].name);
	buf_free(&x->scratch);
	buf_free(&x->scratch2);
	for (int c = 0; c < MAXC; c++)
		buf_free(&x->last_date[c]);
	buf_free(&x->batches[0]);
	buf_free(&x->batches[1]);
	/* The library closed the sheets' files: their buffers are free.
	 * Not when it failed: it stops at the first error, the files of
	 * the sheets after it stay open (exit flushes them), and which
	 * ones cannot be told; their buffers are kept to the end of the
	 * run, which ends with that error. */
	if (e == LXW_NO_ERROR) {
		for (int i = 0; i < x->nsheet_bufs; i++)
			free(x->sheet_bufs[i]);
		free(x->sheet_bufs);
	} else {
		kept_sheet_bufs = x->sheet_bufs;
	}
	free(x->sheet_files);
	free(x->tmpdir);
	free(x);
	return err;
}
