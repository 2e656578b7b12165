/*
 * xlsx.h - the workbook (the only module that uses libxlsxwriter).
 *
 * Written in constant-memory mode, one sheet after another, row by row.
 * Data never becomes a formula: text is always a string cell, made valid
 * for XML first (cell_xml_text); only template columns typed int, number,
 * datetime or local become numbers or dates, and a value that does not
 * parse as one is written as text.
 */
#ifndef DDM_XLSX_H
#define DDM_XLSX_H

#include "diag.h"
#include "row.h"
#include "template.h"

typedef struct xlsx xlsx;

/* Starts a workbook at path (created by libxlsxwriter at close).  *out
 * owned by the caller: xlsx_close or xlsx_abort. */
ddm_err xlsx_open(const char *path, xlsx **out);
/* Starts a sheet for t with the query's column names. */
ddm_err xlsx_sheet_begin(xlsx *x, const tmpl *t, const char *const *names,
			 int ncols);
ddm_err xlsx_row(xlsx *x, const rowval *v, int ncols);
/* Ends the sheet: autofilter over the rows written, chart if any. */
ddm_err xlsx_sheet_end(xlsx *x);
/* Writes the file; DDM_ERR_IO when libxlsxwriter fails.  Frees x. */
ddm_err xlsx_close(xlsx *x);

#endif
