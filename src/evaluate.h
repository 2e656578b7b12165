/*
 * evaluate.h - the evaluate stage: runs the policy (queries/evaluate.sql)
 * over the history as of one instant, producing temp.ev_final for the
 * reports.
 */
#ifndef DDM_EVALUATE_H
#define DDM_EVALUATE_H

#include <stdbool.h>
#include <stdint.h>

#include "diag.h"
#include "store.h"

/* The policy's parameters. */
typedef struct eval_params {
	int64_t as_of;
	int64_t stuck_after;	/* seconds */
	int64_t stale_after;	/* seconds */
	int64_t due_within;	/* seconds */
	const char *default_tz; /* NULL when none */
	/* The night of as_of: its calendar day in the server's zone
	 * (tz_server_day), which the trend keeps one row for. */
	int64_t night_start, night_end;
} eval_params;

/* How many bindings evaluate_bindings writes. */
#define EVAL_NPARAMS 7

/* The parameters as SQL bindings (":as_of", ...); p must hold
 * EVAL_NPARAMS entries.
 * Returns the count. */
size_t evaluate_bindings(const eval_params *ep, store_param *p);

/* Remembers the counts of the evaluation just run (queries/record.sql) for
 * the trend report; call once its reports are written. */
ddm_err evaluate_record(store *s, const eval_params *ep);

/* Notes every resource loaded so far (queries, templates, formats) with
 * its SHA-256, then runs queries/evaluate.sql. */
ddm_err evaluate_run(store *s, const eval_params *ep);

#endif
