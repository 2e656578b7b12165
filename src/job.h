/*
 * job.h - one invocation of ddmreport as a flat list of steps:
 * lock and open the database, ingest, evaluate, render, decide the exit
 * code.  main.c fills a job_opts from the command line and calls job_run.
 */
#ifndef DDM_JOB_H
#define DDM_JOB_H

#include <stdbool.h>
#include <stdint.h>

#include "cell.h"
#include "diag.h"

#define DDMREPORT_VERSION "0.1.0"

typedef enum job_cmd {
	CMD_RUN,
	CMD_INGEST,
	CMD_REPORT,
	CMD_LIST,
	CMD_CHECK
} job_cmd;

typedef struct job_opts {
	job_cmd cmd;
	const char *db;		 /* database path */
	const char *out;	 /* output directory, "{date}" expanded; "-" */
	const char *out_pattern; /* --out as given ("{date}" kept) */
	const char *report;	 /* report name (report NAME), or NULL */
	int64_t as_of;
	int64_t stuck_after, stale_after, due_within; /* seconds */
	const char *default_tz;			      /* NULL when none */
	const char *source_tz;			      /* NULL: UTC */
	const char *fail_on;	   /* comma-separated report names, or NULL */
	const char *fail_on_where; /* "FILE:LINE" of a config's fail-on */
	bool strict;
	double max_rejected; /* percent of a file's rows; more is exit 65 */
	bool redact;	     /* personal columns become pseudonyms */
	int wait_seconds;
	csv_profile profile;
	char **inputs; /* borrowed from argv */
	int ninputs;
	const char *command_line; /* for the About sheet */
	const char *org;	  /* --org: organisation, or NULL */
	const char *display_tz;	  /* --display-tz: a zone, or NULL */
	const char *config_path;  /* --config file, or NULL */
} job_opts;

/* Runs the job; returns the most severe outcome (see diag.h). */
ddm_err job_run(const job_opts *o);

#endif
