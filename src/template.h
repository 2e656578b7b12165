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
 *             TYPE: text, int, number, percent (a fraction shown as %),
 *             percent100 (a percentage 0-100, kept so in the CSV: the
 *             workbook cell is its fraction shown as %),
 *             datetime (UTC instant), local (date-time without zone),
 *             auto (a number, an ISO 8601 UTC instant or text, per value);
 *             columns the query returns but the template does not list
 *             are shown as text.  Columns are fitted to their content
 *             (at most 60 characters); a text column's WIDTH over 20
 *             caps it (long free text such as notes)
 *   highlight COLUMN VALUE STYLE    STYLE: bad, warn, good; the same as
 *                             `when COLUMN = VALUE STYLE`
 *   when      COLUMN OP VALUE STYLE  a conditional-formatting rule (not a
 *                             fixed fill, so it follows sorting and
 *                             filtering): OP one of = != > >= < <=; a
 *                             number compares as a number, other values
 *                             as the row's shown text (after labels)
 *   chart     bar|column|line|pie [PART.]CATEGORY_COL [PART.]VALUE_COL TITLE...
 *             up to TMPL_MAX_CHARTS; PART names a `part` (default: the
 *             report's own query)
 *   chart_also SHEET          the charts are also placed on SHEET (an
 *                             earlier sheet, e.g. the trend on Summary)
 *   part      NAME QUERY CAPTION...  another table on the same sheet (the
 *                             workbook only), below the previous one;
 *                             NAME `main` places the report's own query
 *                             (first when no `part main` is given)
 *   link      COLUMN          values are hyperlinks (http/https/mailto)
 *   blank     COLUMN TEXT...  shown instead of an empty cell (e.g. never)
 *   empty     TEXT...         the line a sheet shows when it has no rows
 *   empty_if  QUERY TEXT...   that line instead when QUERY returns a row
 *                             (e.g. why it is empty: no feed ingested);
 *                             the row's first column instead when that is
 *                             non-empty text (a line naming what is missing)
 *   fit_page  yes|no          print on one page (default: one page wide)
 *   personal  COLUMN...       columns holding personal data: with --redact
 *                             their values become stable pseudonyms
 *   max_rows  N               data rows per sheet (default and at most
 *                             Excel's 1,048,576 less the title and header
 *                             rows); more continue on "SHEET (2)", ...;
 *                             the CSV always has all.  On a sheet of
 *                             parts it bounds the report's own list
 *                             (its '-' part), which also continues past
 *                             the rows left below the parts above it
 *
 * The workbook shows readable labels for machine values (templates/
 * labels.map: COLUMN VALUE LABEL..., e.g. classification past-deadline
 * Past deadline); the CSV keeps the machine values.
 */
#ifndef DDM_TEMPLATE_H
#define DDM_TEMPLATE_H

#include <stdbool.h>

#include "diag.h"

#define TMPL_MAX_COLS 64
#define TMPL_MAX_HIGHLIGHTS 16
#define TMPL_MAX_CHARTS 4
#define TMPL_MAX_PARTS 12
#define TMPL_MAX_LINKS 8
/* Queries a template names: its own, its parts', its empty_if. */
#define TMPL_MAX_QUERIES (TMPL_MAX_PARTS + 2)
/* Excel's row limit less the title and header rows. */
#define TMPL_SHEET_ROWS (1048576L - 2)

typedef enum tmpl_type {
	TT_TEXT,
	TT_INT,
	TT_NUMBER,
	TT_DATETIME,
	TT_LOCAL,
	TT_PERCENT,
	TT_AUTO,
	TT_PERCENT100
} tmpl_type;

typedef enum tmpl_style { TS_NONE, TS_BAD, TS_WARN, TS_GOOD } tmpl_style;

typedef struct tmpl_col {
	char *name;   /* owned: the query's column name */
	char *header; /* owned */
	double width;
	tmpl_type type;
} tmpl_col;

typedef enum tmpl_op { TO_EQ, TO_NE, TO_GT, TO_GE, TO_LT, TO_LE } tmpl_op;

/* A conditional-formatting rule (`highlight` or `when`). */
typedef struct tmpl_highlight {
	char *column; /* owned */
	char *value;  /* owned */
	tmpl_op op;
	tmpl_style style;
} tmpl_highlight;

typedef struct tmpl_chart {
	char *kind;  /* owned: bar column line pie */
	char *part;  /* owned; NULL: the report's own query */
	char *cat;   /* owned: category column */
	char *val;   /* owned: value column */
	char *title; /* owned */
} tmpl_chart;

/* Another table on the sheet.  query NULL: the report's own. */
typedef struct tmpl_part {
	char *name;    /* owned */
	char *query;   /* owned; NULL for `main` */
	char *caption; /* owned */
} tmpl_part;

/* A value shown for an empty cell of a column. */
typedef struct tmpl_blank {
	char *column; /* owned */
	char *text;   /* owned */
} tmpl_blank;

/* A readable label for a machine value (templates/labels.map). */
typedef struct tmpl_label {
	char *column; /* owned */
	char *value;  /* owned */
	char *label;  /* owned */
} tmpl_label;

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
	tmpl_chart charts[TMPL_MAX_CHARTS];
	int ncharts;
	char *chart_also; /* owned; NULL: charts on this sheet only */
	tmpl_part parts[TMPL_MAX_PARTS]; /* in sheet order; empty: main only */
	int nparts;
	char *links[TMPL_MAX_LINKS]; /* owned: hyperlink columns */
	int nlinks;
	tmpl_blank blanks[TMPL_MAX_COLS];
	int nblanks;
	char *empty;	      /* owned; NULL: a generic line */
	char *empty_if_query; /* owned; NULL: `empty` only */
	char *empty_if;	      /* owned: the line when that query has a row */
	bool fit_page;	      /* one page tall as well as wide */
	tmpl_label *labels;   /* owned: templates/labels.map, one copy each */
	int nlabels;
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
/* True when column name is a `link` column. */
bool tmpl_is_link(const tmpl *t, const char *name);
/* The `blank` text of column name, or NULL. */
const char *tmpl_blank_text(const tmpl *t, const char *name);
/* Every query t names (its own, its parts', its empty_if's), borrowed
 * from t, into out; returns how many (at most TMPL_MAX_QUERIES). */
int tmpl_queries(const tmpl *t, const char *out[TMPL_MAX_QUERIES]);

#endif
