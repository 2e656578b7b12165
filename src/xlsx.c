/*
 * xlsx.c - workbook writing with libxlsxwriter.
 *
 * Row 0 of each sheet is the title, row 1 the headers (frozen, with an
 * autofilter), data from row 2.  Formats are made once per workbook: one
 * per (cell type, highlight style) pair.  Dates are real date cells
 * (yyyy-mm-dd hh:mm:ss); a UTC instant arrives as ISO 8601 with Z, a local
 * deadline without a zone.
 */
#include "xlsx.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <xlsxwriter.h>

#include "cell.h"
#include "timeutil.h"
#include "util.h"

#define NSTYLE 4
#define NTYPE 5

struct xlsx {
	lxw_workbook *wb;		/* owned until close */
	lxw_worksheet *ws;		/* current sheet; owned by wb */
	lxw_format *fmt[NSTYLE][NTYPE]; /* owned by wb */
	lxw_format *title;		/* owned by wb */
	lxw_format *header;		/* owned by wb */
	const tmpl *t;			/* borrowed: current template */
	int ncols;
	const tmpl_col *col[TMPL_MAX_COLS * 2]; /* per query column, or NULL */
	int hl_col[TMPL_MAX_HIGHLIGHTS];	/* query column per highlight */
	int chart_cat, chart_val;		/* query columns, -1 none */
	lxw_row_t row;				/* next row to write */
	long omitted; /* rows past the sheet's max_rows, not written */
	buf scratch;
};

static const uint32_t fills[NSTYLE] = {0, 0xF8CBAD, 0xFFE699, 0xC6EFCE};

ddm_err xlsx_open(const char *path, xlsx **out)
{
	lxw_workbook_options opts = {.constant_memory = LXW_TRUE,
				     .tmpdir = NULL,
				     .use_zip64 = LXW_TRUE};
	xlsx *x = xcalloc(1, sizeof *x);
	diag_capture cap;
	char said[512];

	diag_capture_begin(&cap);
	x->wb = workbook_new_opt(path, &opts);
	diag_capture_end(&cap, said, sizeof said);
	if (!x->wb) {
		free(x);
		return diag_error(DDM_ERR_CANTCREAT, diag_q(path),
				  "cannot start workbook%s%s",
				  *said ? ": " : "", diag_q(said));
	}
	for (int s = 0; s < NSTYLE; s++) {
		for (int ty = 0; ty < NTYPE; ty++) {
			lxw_format *f = workbook_add_format(x->wb);

			if (s)
				format_set_bg_color(f, fills[s]);
			if (ty == TT_DATETIME || ty == TT_LOCAL)
				format_set_num_format(f, "yyyy-mm-dd hh:mm:ss");
			else if (ty == TT_NUMBER)
				format_set_num_format(f, "0.0");
			else if (ty == TT_INT)
				format_set_num_format(f, "0");
			x->fmt[s][ty] = f;
		}
	}
	x->title = workbook_add_format(x->wb);
	format_set_bold(x->title);
	format_set_font_size(x->title, 14);
	x->header = workbook_add_format(x->wb);
	format_set_bold(x->header);
	format_set_bottom(x->header, LXW_BORDER_THIN);
	format_set_text_wrap(x->header);
	format_set_bg_color(x->header, 0xD9E1F2);
	*out = x;
	return DDM_OK;
}

static ddm_err lxw_fail(lxw_error e, const char *what)
{
	return diag_error(DDM_ERR_IO, NULL, "workbook: %s: %s", what,
			  lxw_strerror(e));
}

/* Writes text as a string cell, made valid for XML. */
static lxw_error put_text(xlsx *x, int c, const char *s, size_t len,
			  lxw_format *f)
{
	buf_reset(&x->scratch);
	cell_xml_text(&x->scratch, s, len);
	return worksheet_write_string(x->ws, x->row, (lxw_col_t)c,
				      buf_cstr(&x->scratch), f);
}

ddm_err xlsx_sheet_begin(xlsx *x, const tmpl *t, const char *const *names,
			 int ncols)
{
	lxw_error e;
	diag_capture cap;
	char said[512];

	diag_capture_begin(&cap);
	x->ws = workbook_add_worksheet(x->wb, t->sheet);
	diag_capture_end(&cap, said, sizeof said);
	if (!x->ws)
		return diag_error(DDM_ERR_DATA, diag_q(t->sheet),
				  "cannot add worksheet: %s",
				  *said ? diag_q(said) : "duplicate name?");
	x->t = t;
	x->ncols = ncols < TMPL_MAX_COLS * 2 ? ncols : TMPL_MAX_COLS * 2;
	x->chart_cat = x->chart_val = -1;
	for (int h = 0; h < t->nhl; h++)
		x->hl_col[h] = -1;
	x->row = 0;
	e = put_text(x, 0, t->title, strlen(t->title), x->title);
	if (e)
		return lxw_fail(e, "title");
	x->row = 1;
	for (int c = 0; c < x->ncols; c++) {
		const tmpl_col *tc = tmpl_find_col(t, names[c]);
		const char *h = tc ? tc->header : names[c];

		x->col[c] = tc;
		worksheet_set_column(x->ws, (lxw_col_t)c, (lxw_col_t)c,
				     tc && tc->width > 0 ? tc->width : 14,
				     NULL);
		e = put_text(x, c, h, strlen(h), x->header);
		if (e)
			return lxw_fail(e, "header");
		for (int hi = 0; hi < t->nhl; hi++)
			if (strcmp(t->hl[hi].column, names[c]) == 0)
				x->hl_col[hi] = c;
		if (t->chart_cat && strcmp(t->chart_cat, names[c]) == 0)
			x->chart_cat = c;
		if (t->chart_val && strcmp(t->chart_val, names[c]) == 0)
			x->chart_val = c;
	}
	worksheet_set_row(x->ws, 1, 30, NULL);
	worksheet_freeze_panes(x->ws, 2, 0);
	x->row = 2;
	return DDM_OK;
}

/* Converts an instant or wall time to libxlsxwriter's date. */
static int to_datetime(const char *s, size_t len, lxw_datetime *dt)
{
	int64_t t;
	bool had_zone;
	char iso[32];

	if (!ts_parse(s, len, &t, &had_zone))
		return 0;
	ts_format_wall(t, iso); /* "YYYY-MM-DDTHH:MM:SS" in UTC */
	dt->year = atoi(iso);
	dt->month = atoi(iso + 5);
	dt->day = atoi(iso + 8);
	dt->hour = atoi(iso + 11);
	dt->min = atoi(iso + 14);
	dt->sec = atof(iso + 17);
	return dt->year >= 1900;
}

ddm_err xlsx_row(xlsx *x, const rowval *v, int ncols)
{
	int style = TS_NONE;

	if ((long)x->row - 2 >= x->t->max_rows) {
		x->omitted++;
		return DDM_OK;
	}

	for (int h = 0; h < x->t->nhl; h++) {
		int c = x->hl_col[h];

		if (c >= 0 && c < ncols && v[c].type != 'n' &&
		    strcmp(v[c].s, x->t->hl[h].value) == 0) {
			style = x->t->hl[h].style;
			break;
		}
	}
	for (int c = 0; c < x->ncols && c < ncols; c++) {
		tmpl_type ty = x->col[c] ? x->col[c]->type : TT_TEXT;
		lxw_format *f = x->fmt[style][ty];
		lxw_error e = LXW_NO_ERROR;
		lxw_datetime dt;

		if (v[c].type == 'n') {
			e = worksheet_write_blank(x->ws, x->row, (lxw_col_t)c,
						  style ? f : NULL);
		} else if ((ty == TT_INT || ty == TT_NUMBER) &&
			   (v[c].type == 'i' ||
			    (v[c].type == 'r' && isfinite(v[c].d)))) {
			e = worksheet_write_number(
				x->ws, x->row, (lxw_col_t)c,
				v[c].type == 'i' ? (double)v[c].i : v[c].d, f);
		} else if ((ty == TT_DATETIME || ty == TT_LOCAL) &&
			   v[c].type == 't' &&
			   to_datetime(v[c].s, v[c].len, &dt)) {
			e = worksheet_write_datetime(x->ws, x->row,
						     (lxw_col_t)c, &dt, f);
		} else {
			e = put_text(x, c, v[c].s, v[c].len,
				     x->fmt[style][TT_TEXT]);
		}
		if (e)
			return lxw_fail(e, "cell");
	}
	x->row++;
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
static char *range_ref(const char *sheet, int col, lxw_row_t first,
		       lxw_row_t last)
{
	buf b = {0};
	char cell[32];
	char *out;

	buf_putc(&b, '\'');
	for (const char *p = sheet; *p; p++) {
		if (*p == '\'')
			buf_putc(&b, '\'');
		buf_putc(&b, *p);
	}
	buf_puts(&b, "'!");
	snprintf(cell, sizeof cell, "$%c$%u:$%c$%u", 'A' + col,
		 (unsigned)first + 1, 'A' + col, (unsigned)last + 1);
	buf_puts(&b, cell);
	out = xstrdup(buf_cstr(&b));
	buf_free(&b);
	return out;
}

ddm_err xlsx_sheet_end(xlsx *x)
{
	const tmpl *t = x->t;
	lxw_row_t last = x->row > 2 ? x->row - 1 : 2;

	if (x->omitted) {
		char note[160];
		lxw_error e;

		snprintf(note, sizeof note,
			 "%ld more rows are not shown here (at most %ld per "
			 "sheet): the %s CSV has them all",
			 x->omitted, t->max_rows, t->report);
		e = put_text(x, 0, note, strlen(note), x->title);
		if (e)
			return lxw_fail(e, "note");
		x->omitted = 0;
	}

	if (x->ncols > 0)
		worksheet_autofilter(x->ws, 1, 0, last,
				     (lxw_col_t)(x->ncols - 1));
	if (t->chart_kind && x->chart_cat >= 0 && x->chart_val >= 0 &&
	    x->chart_cat < 26 && x->chart_val < 26 && x->row > 2) {
		uint8_t type = chart_type(t->chart_kind);
		lxw_chart *ch = workbook_add_chart(x->wb, type);
		char *cat = range_ref(t->sheet, x->chart_cat, 2, x->row - 1);
		char *val = range_ref(t->sheet, x->chart_val, 2, x->row - 1);
		lxw_chart_series *s;

		if (!ch) {
			free(cat);
			free(val);
			return diag_error(DDM_ERR_INTERNAL, t->sheet,
					  "cannot add chart");
		}
		s = chart_add_series(ch, cat, val);
		free(cat);
		free(val);
		if (s && t->chart_title && *t->chart_title)
			chart_series_set_name(s, t->chart_title);
		if (t->chart_title && *t->chart_title)
			chart_title_set_name(ch, t->chart_title);
		chart_legend_set_position(ch, LXW_CHART_LEGEND_NONE);
		if (type == LXW_CHART_BAR)
			chart_axis_set_reverse(ch->y_axis);
		worksheet_insert_chart(x->ws, 1, (lxw_col_t)(x->ncols + 1), ch);
	}
	x->ws = NULL;
	x->t = NULL;
	return DDM_OK;
}

ddm_err xlsx_close(xlsx *x)
{
	diag_capture cap;
	char said[512];
	lxw_error e;
	ddm_err err = DDM_OK;

	diag_capture_begin(&cap);
	e = workbook_close(x->wb);
	diag_capture_end(&cap, said, sizeof said);
	if (e != LXW_NO_ERROR && *said)
		err = diag_error(DDM_ERR_IO, NULL,
				 "workbook: cannot write: %s: %s",
				 lxw_strerror(e), diag_q(said));
	else if (e != LXW_NO_ERROR)
		err = lxw_fail(e, "cannot write");
	else if (*said)
		diag_warn(NULL, "workbook: %s", diag_q(said));
	buf_free(&x->scratch);
	free(x);
	return err;
}
