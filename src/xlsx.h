/*
 * xlsx.h - the workbook (the only module that uses libxlsxwriter).
 *
 * Written in constant-memory mode, one sheet after another, row by row.
 * Data never becomes a formula: text is always a string cell, made valid
 * for XML first (cell_xml_text); only template columns typed int, number,
 * percent, datetime, local or auto become numbers or dates, and a value
 * that does not parse as one is written as text.
 *
 * A sheet holds one or more tables (a template's `part`s), each an Excel
 * table with its header row; a report with more rows than a sheet holds
 * continues on "SHEET (2)", "SHEET (3)", ... with the same table, header
 * and print setup.
 */
#ifndef DDM_XLSX_H
#define DDM_XLSX_H

#include <stdint.h>

#include "diag.h"
#include "row.h"
#include "template.h"

typedef struct xlsx xlsx;

/* What the workbook says about itself: document properties and the
 * footer of every page.  Strings are copied. */
typedef struct xlsx_info {
	int64_t as_of;	      /* the evaluation time: footer, created */
	const char *title;    /* document title */
	const char *subject;  /* document subject */
	const char *author;   /* e.g. "ddmreport 0.1.0 (user@host)" */
	const char *company;  /* --org, or NULL */
	const char *keywords; /* comma-separated */
	const char *comments; /* one line on what the file is */
} xlsx_info;

/* Starts a workbook at path (created by libxlsxwriter at close).  *out
 * owned by the caller: xlsx_close. */
ddm_err xlsx_open(const char *path, const xlsx_info *info, xlsx **out);
/* Starts a sheet for t: title row, print setup.  empty (borrowed until
 * the sheet ends; NULL: t's `empty`) is the line the report's own table
 * shows when it has no rows. */
ddm_err xlsx_sheet_begin(xlsx *x, const tmpl *t, const char *empty);
/* Starts a table with the query's column names: part NULL for the report's
 * own query (it may continue on further sheets), else a `part` of t.
 * names must stay valid until xlsx_table_end. */
ddm_err xlsx_table_begin(xlsx *x, const tmpl_part *part,
			 const char *const *names, int ncols);
ddm_err xlsx_row(xlsx *x, const rowval *v, int ncols);
/* Ends the table: Excel table, conditional formats, charts. */
ddm_err xlsx_table_end(xlsx *x);
/* Ends the sheet: fitted column widths. */
ddm_err xlsx_sheet_end(xlsx *x);
/* Sheets the last report's own table used (1, or more when continued). */
int xlsx_sheets_used(xlsx *x);
/* Hyperlinks in one workbook; later URLs are written as text and About
 * says how many.  Excel keeps at most 65,530, but libxlsxwriter holds every link of
 * the workbook in memory until it is closed (about 2.6 KB each, measured
 * with /usr/bin/time over a 100,000-device report: 197 MB peak with 65,530
 * links, 29 MB without), so the workbook would stop being constant in
 * memory; 10,000 links stay within about 26 MB. */
#define XLSX_MAX_LINKS 10000

/* URLs of the current report written as text, past the workbook's limit
 * of hyperlinks. */
long xlsx_unlinked(xlsx *x);
/* Writes the file; DDM_ERR_IO when libxlsxwriter fails, or when a sheet's
 * temporary file could not be written whole (full disk, file size limit).
 * discard: the run already failed and the file will be thrown away; close
 * without a word.  Frees x. */
ddm_err xlsx_close(xlsx *x, bool discard);

#endif
