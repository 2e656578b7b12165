/*
 * render.h - the render stage: report queries into CSV files and a workbook.
 *
 * For each template (templates/NAME.tmpl, in order) its query runs once and
 * every row goes to both writers at the same time, so memory does not grow
 * with the fleet.  All outputs of a run are committed together at the end
 * (see outfile.h).
 */
#ifndef DDM_RENDER_H
#define DDM_RENDER_H

#include <stdbool.h>

#include "cell.h"
#include "diag.h"
#include "store.h"
#include "xlsx.h"

typedef struct render_opts {
	const char *out_dir;	/* directory for the outputs; "-" for stdout */
	const char *only;	/* one report by name, or NULL for all */
	csv_profile profile;	/* CSV profile */
	bool workbook;		/* write ddmreport.xlsx (all reports only) */
	bool redact;		/* personal columns become pseudonyms */
	const char *redact_key; /* secret mixed into pseudonyms (redact) */
	const xlsx_info *info;	/* document properties and footer */
	const char *count_also; /* comma-separated reports whose rows are
				   counted though `only` leaves them unwritten
				   (--fail-on), or NULL */
} render_opts;

/* Rows per report, for --fail-on: of every report written, and of every
 * report of count_also that was not. */
typedef struct render_counts {
	char **name; /* owned: report names */
	long *rows;  /* owned */
	char **why;  /* owned: for a count_also report with no row, its
			`empty_if` line (why it is empty), else NULL */
	int n;
} render_counts;

/* Frees what render_reports stored in rc (not rc itself). */
void render_counts_free(render_counts *rc);

/*
 * Writes the reports.  p/np are the parameters bound to every query.
 * Errors: DDM_ERR_USAGE (unknown report), DDM_ERR_CANTCREAT / DDM_ERR_IO
 * (outputs), DDM_ERR_INTERNAL (SQL).  counts may be NULL.
 */
ddm_err render_reports(store *s, const store_param *p, size_t np,
		       const render_opts *o, render_counts *counts);

/* Prints every report to stdout, one a line: its name, padded to 18
 * columns and then a space, and its title. */
ddm_err render_list(void);

/* Prepares every report query (after evaluation): the --check. */
ddm_err render_check(store *s);

#endif
