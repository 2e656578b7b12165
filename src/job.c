/*
 * job.c - the nightly job as a flat list of steps.
 *
 *   1. check that every input exists (nothing is written if one is missing)
 *   2. lock and open the database            (store)
 *   3. ingest each input, one transaction per file   (ingest)
 *   4. evaluate the policy as of --as-of     (evaluate)
 *   5. write the reports                     (render)
 *   6. --fail-on: exit 1 when a named report has rows
 *
 * A bad input file does not stop the run: the other files are ingested and
 * the reports are written, and the exit code says 65.  Errors that make the
 * reports untrustworthy (I/O, a damaged database) stop it.
 */
#define _DEFAULT_SOURCE
#include "job.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "evaluate.h"
#include "ingest.h"
#include "outfile.h"
#include "render.h"
#include "res.h"
#include "store.h"
#include "template.h"
#include "timeutil.h"
#include "util.h"

/* Every input must exist and be readable before the database is touched
 * (access() would not do: it says yes to root whatever the bits).  A FIFO
 * is opened without waiting for its writer: the check must not block. */
static ddm_err check_inputs(const job_opts *o)
{
	ddm_err err = DDM_OK;

	for (int i = 0; i < o->ninputs; i++) {
		struct stat st;
		int fd;

		if (stat(o->inputs[i], &st) != 0) {
			err = diag_error(DDM_ERR_NOINPUT, diag_q(o->inputs[i]),
					 "no such file or directory");
			continue;
		}
		fd = open(o->inputs[i],
			  O_RDONLY | O_CLOEXEC | O_NONBLOCK |
				  (S_ISDIR(st.st_mode) ? O_DIRECTORY : 0));
		if (fd < 0)
			err = diag_error(DDM_ERR_NOINPUT, diag_q(o->inputs[i]),
					 "cannot open: %s", strerror(errno));
		else
			close(fd);
	}
	return err;
}

static void fmt_duration(int64_t s, char *out, size_t cap)
{
	if (s % 86400 == 0)
		snprintf(out, cap, "%lldd", (long long)(s / 86400));
	else if (s % 3600 == 0)
		snprintf(out, cap, "%lldh", (long long)(s / 3600));
	else
		snprintf(out, cap, "%llds", (long long)s);
}

static ddm_err note_run(store *s, const job_opts *o)
{
	char as_of[32], now[32], d[3][32];
	const char *names[] = {"as_of",	      "generated_at", "version",
			       "command",     "database",     "stuck_after",
			       "stale_after", "due_within",   "default_tz",
			       "source_tz",   "strict",	      "redact"};
	const char *values[12];
	ddm_err err = DDM_OK;

	ts_format_utc(o->as_of, as_of);
	ts_format_utc((int64_t)time(NULL), now);
	fmt_duration(o->stuck_after, d[0], sizeof d[0]);
	fmt_duration(o->stale_after, d[1], sizeof d[1]);
	fmt_duration(o->due_within, d[2], sizeof d[2]);
	values[0] = as_of;
	values[1] = now;
	values[2] = "ddmreport " DDMREPORT_VERSION;
	values[3] = o->command_line;
	values[4] = o->db;
	values[5] = d[0];
	values[6] = d[1];
	values[7] = d[2];
	values[8] = o->default_tz ? o->default_tz
				  : "(none: conservative UTC-12/UTC+14 rule)";
	values[9] = o->source_tz ? o->source_tz : "UTC";
	values[10] = o->strict ? "yes" : "no";
	values[11] = o->redact ? "yes: personal columns are pseudonyms" : "no";
	for (int i = 0; i < 12 && err == DDM_OK; i++)
		err = evaluate_note(s, "run", names[i], values[i]);
	return err;
}

/* Loads every template and the query it names, so the About sheet can list
 * them all before the reports are written. */
static ddm_err preload_reports(void)
{
	tmpl *ts = NULL;
	int n = 0;
	ddm_err err = tmpl_load_all(&ts, &n);

	if (err)
		return err;
	for (int i = 0; i < n && err == DDM_OK; i++) {
		const resource *r;

		err = res_load(ts[i].query, &r);
	}
	tmpl_free_all(ts, n);
	return err;
}

static ddm_err do_ingest(store *s, const job_opts *o)
{
	ingest_opts io = {o->strict, o->source_tz, o->max_rejected};
	ingest *in;
	ddm_err worst = DDM_OK;
	ddm_err err = ingest_new(s, &io, &in);

	if (err)
		return err;
	for (int i = 0; i < o->ninputs; i++) {
		err = ingest_path(in, o->inputs[i]);
		if (err != DDM_OK && err != DDM_ERR_DATA) {
			worst = err;
			break;
		}
		worst = diag_worst(worst, err);
	}
	ingest_free(in);
	return worst;
}

/*
 * Names given on the command line that must name reports (report NAME and
 * every --fail-on entry) are checked before anything is opened: a typo is
 * a usage error (64) that leaves the database and the outputs alone, and a
 * --fail-on that can never fire is not silently accepted.
 */
static ddm_err check_report_names(const job_opts *o)
{
	tmpl *ts = NULL;
	int nt = 0;
	ddm_err err = DDM_OK;

	if (!o->report && !o->fail_on)
		return DDM_OK;
	err = tmpl_load_all(&ts, &nt);
	if (err)
		return err;
	for (const char *p = o->report; p && err == DDM_OK; p = NULL) {
		int i = 0;

		while (i < nt && strcmp(ts[i].report, p) != 0)
			i++;
		if (i == nt)
			err = diag_error(DDM_ERR_USAGE, NULL,
					 "no report named %s (see 'ddmreport "
					 "list')",
					 diag_q(p));
	}
	for (const char *p = o->fail_on; p && *p && err == DDM_OK;) {
		size_t len = strcspn(p, ",");
		int i = 0;

		while (i < nt && (strlen(ts[i].report) != len ||
				  strncmp(ts[i].report, p, len) != 0))
			i++;
		if (len && i == nt)
			err = diag_error(DDM_ERR_USAGE, NULL,
					 "--fail-on: no report named %s (see "
					 "'ddmreport list')",
					 diag_qn(p, len));
		p += len + (p[len] == ',');
	}
	tmpl_free_all(ts, nt);
	return err;
}

/* True when name is listed in the comma-separated list. */
static bool listed(const char *list, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = list; p && *p;) {
		size_t len = strcspn(p, ",");

		if (len == n && strncmp(p, name, n) == 0)
			return true;
		p += len + (p[len] == ',');
	}
	return false;
}

ddm_err job_run(const job_opts *o)
{
	store *s = NULL;
	eval_params ep = {o->as_of, o->stuck_after, o->stale_after,
			  o->due_within, o->default_tz};
	store_param p[EVAL_NPARAMS];
	size_t np = evaluate_bindings(&ep, p);
	render_opts ro = {o->out, o->report, o->profile, true, o->redact, NULL};
	char key[65];
	render_counts counts = {0};
	ddm_err outcome = DDM_OK, err;

	if (o->cmd == CMD_LIST)
		return render_list();
	err = check_report_names(o);
	if (err)
		return err;
	err = check_inputs(o);
	if (err)
		return err;
	err = store_open(o->db, o->wait_seconds, &s);
	if (err)
		return err;
	if (o->cmd == CMD_RUN || o->cmd == CMD_INGEST) {
		err = do_ingest(s, o);
		if (err != DDM_OK && err != DDM_ERR_DATA)
			goto out_close;
		outcome = err;
		if (o->cmd == CMD_INGEST)
			goto out_close;
	}
	err = preload_reports();
	if (err == DDM_OK)
		err = note_run(s, o);
	if (err == DDM_OK)
		err = evaluate_run(s, &ep);
	if (err)
		goto out_close;
	if (o->cmd == CMD_CHECK) {
		err = render_check(s);
		goto out_close;
	}
	if (o->redact) {
		err = store_secret(s, "redact-key", key);
		if (err)
			goto out_close;
		ro.redact_key = key;
	}
	if (strcmp(o->out, "-") != 0)
		outfile_clean_stale_all(o->out_pattern ? o->out_pattern
						       : o->out);
	err = render_reports(s, p, np, &ro, &counts);
	if (err == DDM_OK && !o->report)
		err = evaluate_record(s, &ep);
	if (err)
		goto out_close;
	for (int i = 0; i < counts.n; i++)
		if (counts.rows[i] > 0 && listed(o->fail_on, counts.name[i])) {
			/* Printed even under --quiet: it explains exit 1. */
			diag_note("--fail-on", "report %s has %ld row%s",
				  counts.name[i], counts.rows[i],
				  counts.rows[i] == 1 ? "" : "s");
			outcome = diag_worst(outcome, DDM_FINDINGS);
		}
out_close:
	render_counts_free(&counts);
	store_close(s);
	return err ? err : outcome;
}
