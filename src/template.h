/*
 * template.h - how a report looks (templates/NAME.tmpl).
 *
 * A query says what a report holds; its template says how it is shown:
 * sheet name, title, column headers, widths and types, highlighting and a
 * chart.  One directive per line, '#' starts a comment:
 *
 *   report    NAME            report name (CSV file NAME.csv)
 *   order     N               position of the sheet in the workbook
 *   query     PATH            e.g. queries/reports/NAME.sql
 *   sheet     TEXT            worksheet name (at most 31 characters)
 *   title     TEXT            first row of the sheet
 *   csv       yes|no          whether NAME.csv is written
 *   col       NAME WIDTH TYPE HEADER...
 *             TYPE: text, int, number, datetime (UTC instant), local
 *             (date-time without zone); columns the query returns but the
 *             template does not list are shown as text
 *   highlight COLUMN VALUE STYLE    STYLE: bad, warn, good
 *   chart     bar|column|line|pie CATEGORY_COL VALUE_COL TITLE...
 *   personal  COLUMN...       columns holding personal data: with --redact
 *                             their values become stable pseudonyms
 *   max_rows  N               data rows shown in the workbook (default and
 *                             at most Excel's 1,048,576 less three: title,
 *                             header, and a note saying how many more
 *                             rows the CSV has); the CSV always has all
 */
#ifndef DDM_TEMPLATE_H
#define DDM_TEMPLATE_H

#include <stdbool.h>

#include "diag.h"

#define TMPL_MAX_COLS 64
#define TMPL_MAX_HIGHLIGHTS 16
/* Excel's row limit less the title, header and "more rows" note rows. */
#define TMPL_SHEET_ROWS (1048576L - 3)

typedef enum tmpl_type {
	TT_TEXT,
	TT_INT,
	TT_NUMBER,
	TT_DATETIME,
	TT_LOCAL
} tmpl_type;

typedef enum tmpl_style { TS_NONE, TS_BAD, TS_WARN, TS_GOOD } tmpl_style;

typedef struct tmpl_col {
	char *name;   /* owned: the query's column name */
	char *header; /* owned */
	double width;
	tmpl_type type;
} tmpl_col;

typedef struct tmpl_highlight {
	char *column; /* owned */
	char *value;  /* owned */
	tmpl_style style;
} tmpl_highlight;

typedef struct tmpl {
	char *report; /* owned */
	char *query;  /* owned */
	char *sheet;  /* owned */
	char *title;  /* owned */
	int order;
	bool csv;
	long max_rows; /* data rows in the workbook, <= TMPL_SHEET_ROWS */
	char *personal[TMPL_MAX_COLS]; /* owned: column names to redact */
	int npersonal;
	tmpl_col cols[TMPL_MAX_COLS];
	int ncols;
	tmpl_highlight hl[TMPL_MAX_HIGHLIGHTS];
	int nhl;
	char *chart_kind;  /* owned; NULL when no chart */
	char *chart_cat;   /* owned */
	char *chart_val;   /* owned */
	char *chart_title; /* owned */
} tmpl;

/*
 * Loads every templates/NAME.tmpl, sorted by order.  *out is a malloc'd array
 * of *n templates, owned by the caller (tmpl_free_all).
 */
ddm_err tmpl_load_all(tmpl **out, int *n);
void tmpl_free_all(tmpl *t, int n);
/* True when column name holds personal data (a `personal` directive). */
bool tmpl_is_personal(const tmpl *t, const char *name);
/* The column description for query column name, or NULL. */
const tmpl_col *tmpl_find_col(const tmpl *t, const char *name);

#endif
