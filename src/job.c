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
#include <pwd.h>
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
#include "sha256.h"
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
		if (fd < 0) {
			err = diag_error(DDM_ERR_NOINPUT, diag_q(o->inputs[i]),
					 "cannot open: %s", strerror(errno));
			continue;
		}
		close(fd);
		/* A nightly folder with nothing to read: tonight's export did
		 * not arrive, and reports from old data must not pass for
		 * fresh ones in silence (--quiet included). */
		if (S_ISDIR(st.st_mode) && !ingest_dir_has_input(o->inputs[i]))
			err = diag_error(DDM_ERR_NOINPUT, diag_q(o->inputs[i]),
					 "no input file in this folder (read: "
					 "*.csv, *.json, *.ndjson, *.jsonl): "
					 "did the export arrive?");
	}
	return err;
}

/* Reports read history that an ingest wrote.  A database path with nothing
 * at it (a typo in --db, DDMREPORT_DB or the config, a cron job run from
 * another folder) would otherwise be created empty, and every report would
 * say in silence, exit 0, that no device is past its deadline.  A link to a
 * missing file is store_open's to explain (73). */
static ddm_err check_history(const job_opts *o)
{
	struct stat st;
	char lock[4096];

	if (o->cmd == CMD_INGEST || o->cmd == CMD_CHECK || o->ninputs > 0)
		return DDM_OK;
	if (lstat(o->db, &st) == 0 || errno != ENOENT)
		return DDM_OK;
	/* A lock file beside it: a first run may be creating it right now,
	 * and the lock decides (75, or --wait). */
	snprintf(lock, sizeof lock, "%s.lock", o->db);
	if (lstat(lock, &st) == 0)
		return DDM_OK;
	return diag_error(DDM_ERR_NOINPUT, diag_q(o->db),
			  "no database here: nothing has been ingested into "
			  "it; ingest the exports first (ddmreport run FILE "
			  "or DIR), or check --db, DDMREPORT_DB and the "
			  "config's db");
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

/* The clock, or SOURCE_DATE_EPOCH when set (reproducible builds' variable):
 * then two runs over the same database and as-of write identical
 * workbooks, run time included. */
static int64_t clock_now(void)
{
	const char *e = getenv("SOURCE_DATE_EPOCH");
	char *end;
	long long v;

	if (e && *e) {
		v = strtoll(e, &end, 10);
		if (!*end && v >= 0)
			return (int64_t)v;
	}
	return (int64_t)time(NULL);
}

/* "user@host" of whoever runs the job, for About and the document. */
static void who(char *out, size_t cap)
{
	struct passwd *pw = getpwuid(geteuid());
	const char *user = pw && pw->pw_name ? pw->pw_name : getenv("USER");
	char host[256] = "";

	if (gethostname(host, sizeof host - 1) != 0)
		strcpy(host, "unknown");
	snprintf(out, cap, "%s@%s", user ? user : "unknown", host);
}

/* The tz database's version ("2025b") from tzdata.zi, or "unknown". */
static void zone_rules(char *out, size_t cap)
{
	const char *dir = getenv("TZDIR");
	char path[512], line[128] = "";
	FILE *f;

	snprintf(path, sizeof path, "%s/tzdata.zi",
		 dir && *dir ? dir : "/usr/share/zoneinfo");
	f = fopen(path, "r");
	if (f) {
		if (!fgets(line, sizeof line, f))
			line[0] = '\0';
		fclose(f);
	}
	line[strcspn(line, "\r\n")] = '\0';
	snprintf(out, cap,
		 "IANA tz database %s; deadlines in device local time, "
		 "DST gaps move forward, overlaps take the earlier instant",
		 strncmp(line, "# version ", 10) == 0 ? line + 10 : "unknown");
}

/* "PATH (SHA-256 HEX)" of the config file, or "(none)". */
static void config_note(const char *path, char *out, size_t cap)
{
	FILE *f;
	sha256_ctx c;
	char hex[65], data[8192];
	size_t n;

	if (!path) {
		snprintf(out, cap, "(none)");
		return;
	}
	f = fopen(path, "rb");
	if (!f) {
		snprintf(out, cap, "%s (unreadable)", path);
		return;
	}
	sha256_init(&c);
	while ((n = fread(data, 1, sizeof data, f)) > 0)
		sha256_update(&c, data, n);
	fclose(f);
	sha256_final_hex(&c, hex);
	snprintf(out, cap, "%s (SHA-256 %s)", path, hex);
}

/* The as-of time in the --display-tz zone, "YYYY-MM-DD HH:MM (ZONE,
 * UTC+HH:MM)". */
static void display_time(int64_t t, const char *zone, char *out, size_t cap)
{
	int off = 0;
	char wall[32];

	if (!zone || !tz_offset_at(zone, t, &off)) {
		snprintf(out, cap, "(not set)");
		return;
	}
	ts_format_wall(t + off, wall);
	snprintf(out, cap, "%.10s %.5s (%s, UTC%c%02d:%02d)", wall, wall + 11,
		 zone, off < 0 ? '-' : '+', abs(off) / 3600,
		 abs(off) % 3600 / 60);
}

static ddm_err note_run(store *s, const job_opts *o, const char *by,
			int64_t started_at, int64_t last_file)
{
	char started[32], last[32];

	char as_of[32], now[32], d[3][32], cfg[700], zr[300], shown[120];
	char maxrej[32], schema[400];
	ddm_err err = DDM_OK;

	ts_format_utc(o->as_of, as_of);
	ts_format_utc(clock_now(), now);
	ts_format_utc(started_at, started);
	fmt_duration(o->stuck_after, d[0], sizeof d[0]);
	fmt_duration(o->stale_after, d[1], sizeof d[1]);
	fmt_duration(o->due_within, d[2], sizeof d[2]);
	config_note(o->config_path, cfg, sizeof cfg);
	zone_rules(zr, sizeof zr);
	display_time(o->as_of, o->display_tz, shown, sizeof shown);
	snprintf(maxrej, sizeof maxrej, "%g%% of a file's rows",
		 o->max_rejected);
	snprintf(last, sizeof last, "%lld", (long long)last_file);
	store_schema_note(s, schema, sizeof schema);
	/* Every effective parameter, in the order About shows them. */
	const struct {
		const char *name, *value;
	} notes[] = {
		{"as_of", as_of},
		{"generated_at", now},
		{"version", "ddmreport " DDMREPORT_VERSION},
		{"command", o->command_line},
		{"database", o->db},
		{"database_schema", schema},
		{"stuck_after", d[0]},
		{"stale_after", d[1]},
		{"due_within", d[2]},
		{"default_tz",
		 o->default_tz ? o->default_tz
			       : "(none: conservative UTC-12/UTC+14 rule)"},
		{"source_tz", o->source_tz ? o->source_tz : "UTC"},
		{"strict", o->strict ? "yes" : "no"},
		{"max_rejected", maxrej},
		{"redact",
		 o->redact ? "yes: personal columns are pseudonyms" : "no"},
		{"org", o->org ? o->org : "(not set)"},
		{"display_tz", o->display_tz ? shown : "(not set)"},
		{"fail_on", o->fail_on && *o->fail_on ? o->fail_on : "(none)"},
		{"csv_profile",
		 o->profile == CSV_PROFILE_RAW ? "raw" : "excel"},
		{"config", cfg},
		{"run_by", by},
		{"zone_rules", zr},
		{"started_at", started},
		{"last_input_before_run", last},
	};

	for (size_t i = 0; i < sizeof notes / sizeof notes[0] && err == DDM_OK;
	     i++)
		err = store_note(s, "run", notes[i].name, notes[i].value);
	return err;
}

/* Loads every template and the queries it names (its parts' too), so the
 * About sheet can list them all before the reports are written. */
static ddm_err preload_reports(void)
{
	tmpl *ts = NULL;
	int n = 0;
	ddm_err err = tmpl_load_all(&ts, &n);

	if (err)
		return err;
	for (int i = 0; i < n && err == DDM_OK; i++) {
		const char *q[TMPL_MAX_QUERIES];
		int nq = tmpl_queries(&ts[i], q);
		const resource *r;

		for (int k = 0; k < nq && err == DDM_OK; k++)
			err = res_load(q[k], &r);
	}
	tmpl_free_all(ts, n);
	return err;
}

/* check: the input formats (queries/formats/: *.fmt, words.map and
 * ddm-items.map, built in or from --queries) load as the ingest loads
 * them, so a format file the ingest would refuse fails check too. */
static ddm_err check_formats(store *s, const job_opts *o)
{
	ingest_opts io = {o->strict, o->source_tz, o->max_rejected, o->as_of};
	ingest *in;
	ddm_err err = ingest_new(s, &io, &in);

	if (err == DDM_OK)
		ingest_free(in);
	return err;
}

static ddm_err do_ingest(store *s, const job_opts *o)
{
	ingest_opts io = {o->strict, o->source_tz, o->max_rejected, o->as_of};
	ingest *in;
	const ingest_stats *st;
	ddm_err worst = DDM_OK;
	ddm_err err = ingest_new(s, &io, &in);

	if (!err)
		err = store_first_load(s);
	if (err) {
		ingest_free(in);
		return err;
	}
	for (int i = 0; i < o->ninputs; i++) {
		if (i + 1 == o->ninputs)
			ingest_set_last(in);
		err = ingest_path(in, o->inputs[i]);
		if (err != DDM_OK && err != DDM_ERR_DATA) {
			worst = err;
			break;
		}
		worst = diag_worst(worst, err);
	}
	/* the files read before the input that names their devices */
	if (worst == DDM_OK || worst == DDM_ERR_DATA)
		worst = diag_worst(worst, ingest_deferred(in));
	err = store_first_load_end(s);
	if (err)
		worst = diag_worst(worst, err);
	/* Every input already stored (same bytes): the export job stopped
	 * and left last night's file, and the reports would repeat what is
	 * stored as tonight's, exit 0.  Not an error (a folder may well hold
	 * only known files some night), but cron must hear it. */
	st = ingest_get_stats(in);
	if (worst == DDM_OK && st->files == 0 && st->files_failed == 0 &&
	    st->files_known > 0) {
		diag_alert(NULL, "nothing new: every input was ingested before "
				 "(the same content); did tonight's export "
				 "arrive?");
		/* The Summary's attestation says it too (summary-attest). */
		worst = store_note(s, "nothing-new", "files", "");
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
			err = diag_error(DDM_ERR_USAGE, o->fail_on_where,
					 "--fail-on: no report named %s (see "
					 "'ddmreport list')",
					 diag_qn(p, len));
		p += len + (p[len] == ',');
	}
	tmpl_free_all(ts, nt);
	return err;
}

ddm_err job_run(const job_opts *o)
{
	store *s = NULL;
	eval_params ep = {o->as_of,
			  o->stuck_after,
			  o->stale_after,
			  o->due_within,
			  o->default_tz,
			  0,
			  0};
	store_param p[EVAL_NPARAMS];
	size_t np;
	char night[11], by[300], author[400], subject[120], as_of[32];
	xlsx_info info = {0};
	render_opts ro = {o->out,    o->report, o->profile, true,
			  o->redact, NULL,	&info,	    o->fail_on};
	char key[65];
	render_counts counts = {0};
	ddm_err outcome = DDM_OK, err;
	/* Inputs ingested from now on are this run's (the About sheet). */
	int64_t started_at = clock_now();
	int64_t last_file = 0;

	tz_server_day(o->as_of, night, &ep.night_start, &ep.night_end);
	np = evaluate_bindings(&ep, p);

	if (o->cmd == CMD_LIST)
		return render_list();
	err = check_report_names(o);
	if (err)
		return err;
	err = check_inputs(o);
	if (err)
		return err;
	err = check_history(o);
	if (err)
		return err;
	err = store_open(o->db, o->wait_seconds, &s);
	if (err)
		return err;
	err = store_stmt_run(store_stmt_get(s, "last_file_id"), NULL,
			     &last_file);
	if (err)
		goto out_close;
	if (o->cmd == CMD_RUN || o->cmd == CMD_INGEST) {
		err = do_ingest(s, o);
		if (err != DDM_OK && err != DDM_ERR_DATA)
			goto out_close;
		outcome = err;
		if (o->cmd == CMD_INGEST)
			goto out_close;
	}
	who(by, sizeof by);
	err = preload_reports();
	if (err == DDM_OK)
		err = note_run(s, o, by, started_at, last_file);
	if (err == DDM_OK)
		err = evaluate_run(s, &ep);
	if (err)
		goto out_close;
	if (o->cmd == CMD_CHECK) {
		err = render_check(s);
		if (err == DDM_OK)
			err = check_formats(s, o);
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
	ts_format_utc(o->as_of, as_of);
	snprintf(author, sizeof author, "ddmreport %s (%s)", DDMREPORT_VERSION,
		 by);
	snprintf(subject, sizeof subject,
		 "OS-update compliance of managed Apple devices as of %s",
		 as_of);
	info.as_of = o->as_of;
	info.title = "OS-update compliance report";
	info.subject = subject;
	info.author = author;
	info.company = o->org;
	info.keywords = "OS updates, patch compliance, Declarative Device "
			"Management, DDM, audit evidence";
	info.comments = "Written by ddmreport from its history database; "
			"the About sheet lists every input with its SHA-256";
	err = render_reports(s, p, np, &ro, &counts);
	if (err == DDM_OK && !o->report)
		err = evaluate_record(s, &ep);
	if (err)
		goto out_close;
	for (int i = 0; i < counts.n; i++)
		if (counts.rows[i] > 0 &&
		    str_listed(o->fail_on, counts.name[i])) {
			/* Printed even under --quiet: it explains exit 1. */
			diag_note("--fail-on", "report %s has %ld row%s",
				  counts.name[i], counts.rows[i],
				  counts.rows[i] == 1 ? "" : "s");
			outcome = diag_worst(outcome, DDM_FINDINGS);
		} else if (counts.why[i]) {
			/* No row, but not because all is well (no SOFA feed
			 * for exploited): exit 0 must not read as a clean
			 * answer, so cron hears it, --quiet or not. */
			diag_alert("--fail-on",
				   "report %s has no row, which does not mean "
				   "none: %s",
				   counts.name[i], counts.why[i]);
		}
out_close:
	render_counts_free(&counts);
	store_close(s);
	return err ? err : outcome;
}
