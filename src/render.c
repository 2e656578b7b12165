/*
 * render.c - runs the report queries and feeds the CSV and XLSX writers.
 *
 * Pipeline position: last stage, after evaluate has built temp.ev_final.
 * CSV headers are the query's column names (stable, snake_case, for
 * pipes); the workbook uses the template's headers.  Numeric columns (by
 * template type) are never neutralised in CSV, so -5 stays -5.
 *
 * A template's `part`s are further queries shown as tables on the same
 * sheet (the Summary's breakdowns, the patch-latency figures); only the
 * report's own query has a CSV.
 */
#define _DEFAULT_SOURCE
#include "render.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "evaluate.h"
#include "outfile.h"
#include "res.h"
#include "sha256.h"
#include "row.h"
#include "template.h"
#include "util.h"
#include "xlsx.h"

#define MAX_COLS 128

/* Writes one CSV line of the row to out. */
static void csv_line(buf *line, const rowval *v, const bool *is_text, int n,
		     csv_profile profile)
{
	buf_reset(line);
	for (int c = 0; c < n; c++) {
		if (c)
			buf_putc(line, ',');
		if (v[c].type != 'n')
			cell_csv_field(line, v[c].s, v[c].len, is_text[c],
				       profile);
	}
	buf_putc(line, '\n');
}

static bool write_all(FILE *f, const buf *b)
{
	return b->len == 0 || fwrite(b->data, 1, b->len, f) == b->len;
}

/* Runs t's query; writes CSV to csv (may be NULL) and a sheet to x (may be
 * NULL).  Stores the row count in *rows. */
/*
 * A stable pseudonym for a personal value: "anon-" and 12 hex digits of
 * SHA-256(key, NUL, value).  The same person gets the same pseudonym in
 * every report of a database, so rows can still be matched; without the
 * key (kept in the database) it cannot be reversed by hashing guesses.
 */
static void pseudonym(const char *key, const char *s, size_t len, char out[24])
{
	sha256_ctx c;
	char hex[65];

	sha256_init(&c);
	sha256_update(&c, key, strlen(key) + 1);
	sha256_update(&c, s, len);
	sha256_final_hex(&c, hex);
	snprintf(out, 24, "anon-%.12s", hex);
}

/*
 * Runs query qname; writes CSV to csv (may be NULL) and a table to x (may
 * be NULL; part as for xlsx_table_begin).  Stores the row count in *rows.
 */
static ddm_err run_table(store *s, const tmpl *t, const char *qname,
			 const tmpl_part *part, const store_param *p, size_t np,
			 FILE *csv, const char *csv_name, const render_opts *o,
			 xlsx *x, long *rows)
{
	bool personal[MAX_COLS];
	char anon[MAX_COLS][24];
	const resource *q;
	store_cursor *cur = NULL;
	const char *names[MAX_COLS];
	bool is_text[MAX_COLS];
	rowval v[MAX_COLS];
	buf line = {0};
	int n, rc;
	ddm_err err;

	*rows = 0;
	err = res_load(qname, &q);
	if (err)
		return err;
	err = store_query(s, q, p, np, &cur);
	if (err)
		return err;
	n = store_cursor_ncols(cur);
	if (n > MAX_COLS) {
		err = diag_error(DDM_ERR_USAGE, q->origin,
				 "report query returns %d columns, more than "
				 "the %d supported",
				 n, MAX_COLS);
		goto out;
	}
	for (int c = 0; c < n; c++) {
		const tmpl_col *tc;

		names[c] = store_cursor_name(cur, c);
		tc = tmpl_find_col(t, names[c]);
		is_text[c] =
			!tc ||
			(tc->type != TT_INT && tc->type != TT_NUMBER &&
			 tc->type != TT_PERCENT && tc->type != TT_PERCENT100);
		personal[c] = o->redact && tmpl_is_personal(t, names[c]);
		v[c].type = 't';
		v[c].s = names[c];
		v[c].len = strlen(names[c]);
	}
	if (csv) {
		/* Excel on Windows reads a CSV as UTF-8 only with a BOM. */
		if (o->profile == CSV_PROFILE_EXCEL)
			buf_puts(&line, "\xEF\xBB\xBF");
		if (!write_all(csv, &line))
			goto out_write;
		/* Headers are ours, never data: written raw. */
		csv_line(&line, v, is_text, n, CSV_PROFILE_RAW);
		if (!write_all(csv, &line))
			goto out_write;
	}
	if (x) {
		err = xlsx_table_begin(x, part, names, n);
		if (err)
			goto out;
	}
	while ((rc = store_cursor_step(cur)) == 1) {
		for (int c = 0; c < n; c++) {
			v[c].type = store_cursor_type(cur, c);
			v[c].s = store_cursor_text(cur, c, &v[c].len);
			v[c].i =
				v[c].type == 'i' ? store_cursor_int(cur, c) : 0;
			v[c].d = v[c].type == 'r' ? store_cursor_double(cur, c)
						  : 0;
			if (personal[c] && v[c].type != 'n') {
				pseudonym(o->redact_key, v[c].s, v[c].len,
					  anon[c]);
				v[c].type = 't';
				v[c].s = anon[c];
				v[c].len = strlen(anon[c]);
			}
		}
		if (csv) {
			csv_line(&line, v, is_text, n, o->profile);
			if (!write_all(csv, &line))
				goto out_write;
		}
		if (x) {
			err = xlsx_row(x, v, n);
			if (err)
				goto out;
		}
		(*rows)++;
	}
	if (rc < 0) {
		err = store_cursor_error(cur);
		goto out;
	}
	if (x)
		err = xlsx_table_end(x);
	goto out;

out_write:
	err = diag_error(DDM_ERR_IO, diag_q(csv_name), "cannot write: %s",
			 strerror(errno));
out:
	buf_free(&line);
	store_cursor_free(cur);
	return err;
}

/* The report's own table; when it continued on more sheets, or URLs past
 * the hyperlink limit became text, About says so. */
static ddm_err main_table(store *s, const tmpl *t, const tmpl_part *part,
			  const store_param *p, size_t np, FILE *csv,
			  const char *csv_name, const render_opts *o, xlsx *x,
			  long *rows)
{
	ddm_err err = run_table(s, t, t->query, part, p, np, csv, csv_name, o,
				x, rows);

	if (err == DDM_OK && x && xlsx_sheets_used(x) > 1) {
		char note[200];

		snprintf(note, sizeof note,
			 "%ld rows on %d sheets (%s, %s (2), ...): at most "
			 "%ld rows per sheet",
			 *rows, xlsx_sheets_used(x), t->sheet, t->sheet,
			 t->max_rows);
		err = store_note(s, "workbook", t->sheet, note);
	}
	if (err == DDM_OK && x && xlsx_unlinked(x) > 0) {
		char note[200];

		snprintf(note, sizeof note,
			 "%ld URLs are text, not hyperlinks: at most %d "
			 "hyperlinks per workbook",
			 xlsx_unlinked(x), XLSX_MAX_LINKS);
		err = store_note(s, "workbook", t->sheet, note);
	}
	return err;
}

/* The line t's sheet shows when its own table is empty: the `empty_if`
 * line when its query returns a row (the row's first column instead when
 * that is non-empty text: a line that names what the data lacks), else
 * NULL (the `empty` line).  *out is borrowed from t, or owned by *own. */
static ddm_err empty_line(store *s, const tmpl *t, const store_param *p,
			  size_t np, const char **out, char **own)
{
	const resource *q;
	store_cursor *cur = NULL;
	int rc;
	ddm_err err;

	*out = NULL;
	*own = NULL;
	if (!t->empty_if_query)
		return DDM_OK;
	err = res_load(t->empty_if_query, &q);
	if (err == DDM_OK)
		err = store_query(s, q, p, np, &cur);
	if (err)
		return err;
	rc = store_cursor_step(cur);
	if (rc < 0) {
		err = store_cursor_error(cur);
	} else if (rc == 1) {
		const char *line = store_cursor_type(cur, 0) == 't'
					   ? store_cursor_text(cur, 0, NULL)
					   : NULL;

		if (line && *line)
			*out = *own = xstrdup(line);
		else
			*out = t->empty_if;
	}
	store_cursor_free(cur);
	return err;
}

/*
 * Writes report t: its CSV (csv may be NULL) and, when x is not NULL, its
 * sheet with every `part` in order.  *rows: rows of the report's own
 * query.
 */
static ddm_err one_report(store *s, const tmpl *t, const store_param *p,
			  size_t np, FILE *csv, const char *csv_name,
			  const render_opts *o, xlsx *x, long *rows)
{
	bool main_listed = false;
	const char *empty = NULL;
	char *own = NULL;
	ddm_err err;

	if (!x)
		return run_table(s, t, t->query, NULL, p, np, csv, csv_name, o,
				 NULL, rows);
	for (int i = 0; i < t->nparts; i++)
		main_listed = main_listed || !t->parts[i].query;
	err = empty_line(s, t, p, np, &empty, &own);
	if (err == DDM_OK)
		err = xlsx_sheet_begin(x, t, empty);
	if (err == DDM_OK && !main_listed)
		err = main_table(s, t, NULL, p, np, csv, csv_name, o, x, rows);
	for (int i = 0; i < t->nparts && err == DDM_OK; i++) {
		const tmpl_part *pt = &t->parts[i];
		long n;

		if (!pt->query)
			err = main_table(s, t, pt, p, np, csv, csv_name, o, x,
					 rows);
		else
			err = run_table(s, t, pt->query, pt, p, np, NULL, NULL,
					o, x, &n);
	}
	if (err == DDM_OK)
		err = xlsx_sheet_end(x);
	free(own); /* the sheet's empty line is written by now */
	return err;
}

static const tmpl *find_tmpl(const tmpl *ts, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (strcmp(ts[i].report, name) == 0)
			return &ts[i];
	return NULL;
}

/*
 * Notes t's row count in rc.  A --fail-on report with no row whose
 * `empty_if` query says why (the Exploited CVEs of a database with no SOFA
 * feed) keeps that line: its emptiness is not a clean answer, and the
 * caller says so instead of a silent exit 0.
 */
static ddm_err count(render_counts *rc, store *s, const tmpl *t,
		     const store_param *p, size_t np, const render_opts *o,
		     long rows)
{
	const char *why = NULL;
	char *own = NULL;
	ddm_err err = DDM_OK;

	if (!rc)
		return DDM_OK;
	if (rows == 0 && str_listed(o->count_also, t->report))
		err = empty_line(s, t, p, np, &why, &own);
	rc->name = xrealloc(rc->name, (size_t)(rc->n + 1) * sizeof *rc->name);
	rc->rows = xrealloc(rc->rows, (size_t)(rc->n + 1) * sizeof *rc->rows);
	rc->why = xrealloc(rc->why, (size_t)(rc->n + 1) * sizeof *rc->why);
	rc->name[rc->n] = xstrdup(t->report);
	rc->why[rc->n] = own ? own : why ? xstrdup(why) : NULL;
	rc->rows[rc->n++] = rows;
	return err;
}

void render_counts_free(render_counts *rc)
{
	for (int i = 0; i < rc->n; i++) {
		free(rc->name[i]);
		free(rc->why[i]);
	}
	free(rc->name);
	free(rc->rows);
	free(rc->why);
	rc->name = NULL;
	rc->rows = NULL;
	rc->why = NULL;
	rc->n = 0;
}

/*
 * `report NAME --fail-on OTHER`: OTHER's rows are counted though only NAME
 * is written.  Left uncounted, `report summary --fail-on past-deadline`
 * exited 0 with 61 devices past their deadline, and cron took it for a
 * clean night.
 */
static ddm_err count_unwritten(store *s, const tmpl *ts, int nt,
			       const store_param *p, size_t np,
			       const render_opts *o, render_counts *rc)
{
	ddm_err err = DDM_OK;

	for (int i = 0; i < nt && err == DDM_OK; i++) {
		long rows;

		if (!o->only || strcmp(o->only, ts[i].report) == 0 ||
		    !str_listed(o->count_also, ts[i].report))
			continue;
		err = run_table(s, &ts[i], ts[i].query, NULL, p, np, NULL, NULL,
				o, NULL, &rows);
		if (err == DDM_OK)
			err = count(rc, s, &ts[i], p, np, o, rows);
	}
	return err;
}

/* One report as CSV on stdout; a closed or full stdout is an I/O error. */
static ddm_err to_stdout(store *s, const tmpl *t, const store_param *p,
			 size_t np, const render_opts *o, render_counts *rc)
{
	long rows;
	ddm_err err = one_report(s, t, p, np, stdout, "stdout", o, NULL, &rows);

	if (fflush(stdout) != 0 || ferror(stdout)) {
		if (err == DDM_OK)
			err = diag_error(DDM_ERR_IO, "stdout",
					 "cannot write: %s", strerror(errno));
	}
	if (err == DDM_OK)
		err = count(rc, s, t, p, np, o, rows);
	return err;
}

static ddm_err ensure_dir(const char *dir)
{
	struct stat st;
	char *copy;

	if (stat(dir, &st) == 0)
		return S_ISDIR(st.st_mode)
			       ? DDM_OK
			       : diag_error(DDM_ERR_CANTCREAT, diag_q(dir),
					    "output path is not a directory");
	copy = xstrdup(dir);
	for (char *p = copy + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(copy, 0750);
		*p = '/';
	}
	free(copy);
	if (mkdir(dir, 0750) != 0 && errno != EEXIST)
		return diag_error(DDM_ERR_CANTCREAT, diag_q(dir),
				  "cannot create output directory: %s",
				  strerror(errno));
	return DDM_OK;
}

/*
 * The finished CSVs' SHA-256, made by a second thread while the
 * workbook is packed: its compression keeps one core busy for about a
 * third of a large report, and the other was idle.  It only prepares:
 * a file it could not read is read again on the main path, which says
 * the error (the thread says nothing: the workbook's messages are
 * being captured meanwhile).
 */
typedef struct prehash {
	outfile *const *files;
	int n;
	char (*hex)[65]; /* hex[i] valid when have[i] */
	bool *have;
	pthread_t thread;
	bool running;
} prehash;

static void *prehash_run(void *arg)
{
	prehash *ph = arg;

	for (int i = 0; i < ph->n; i++)
		ph->have[i] = outfile_hash(ph->files[i], ph->hex[i]);
	return NULL;
}

static void prehash_start(prehash *ph, outfile *const *files, int n)
{
	memset(ph, 0, sizeof *ph);
	ph->files = files;
	ph->n = n;
	if (n == 0)
		return;
	ph->hex = xmalloc((size_t)n * sizeof *ph->hex);
	ph->have = xcalloc((size_t)n, sizeof *ph->have);
	ph->running = pthread_create(&ph->thread, NULL, prehash_run, ph) == 0;
}

static void prehash_join(prehash *ph)
{
	if (ph->running)
		pthread_join(ph->thread, NULL);
	ph->running = false;
}

static void prehash_free(prehash *ph)
{
	prehash_join(ph);
	free(ph->hex);
	free(ph->have);
	ph->hex = NULL;
	ph->have = NULL;
}

/*
 * Writes SHA256SUMS (the `sha256sum -c` format) over the finished outputs,
 * so an auditor can check that a workbook or CSV is the one this run
 * wrote.  *out is the manifest's outfile, to be committed with the rest.
 * ph: the CSVs' sums already made (files[i] when ph->have[i]).
 */
static ddm_err write_manifest(const char *dir, outfile *const *files, int n,
			      outfile *wb, const prehash *ph, outfile **out)
{
	outfile *m;
	FILE *f;
	char hex[65];
	ddm_err err = outfile_open(dir, "SHA256SUMS", 1, &m);

	if (err)
		return err;
	f = outfile_stream(m);
	for (int i = 0; i <= n && err == DDM_OK; i++) {
		const outfile *o = i < n ? files[i] : wb;

		if (!o)
			continue;
		if (i < n && i < ph->n && ph->have && ph->have[i])
			memcpy(hex, ph->hex[i], sizeof hex);
		else
			err = outfile_sha256(o, hex);
		if (err == DDM_OK)
			fprintf(f, "%s  %s\n", hex, outfile_name(o));
	}
	if (err == DDM_OK)
		err = outfile_finish(m);
	if (err) {
		outfile_abort(m);
		return err;
	}
	*out = m;
	return DDM_OK;
}

ddm_err render_reports(store *s, const store_param *p, size_t np,
		       const render_opts *o, render_counts *rc)
{
	tmpl *ts = NULL;
	int nt = 0;
	outfile **files = NULL; /* owned: one per CSV written */
	int nfiles = 0;
	outfile *wbfile = NULL;
	outfile *sums = NULL;
	xlsx *x = NULL;
	prehash ph = {0};
	sigset_t stop, was;
	ddm_err err;

	err = tmpl_load_all(&ts, &nt);
	if (err)
		return err;
	if (o->only && !find_tmpl(ts, nt, o->only)) {
		err = diag_error(DDM_ERR_USAGE, NULL,
				 "no report named %s (see 'ddmreport list')",
				 diag_q(o->only));
		goto out_free;
	}
	if (strcmp(o->out_dir, "-") == 0) {
		if (!o->only) {
			err = diag_error(DDM_ERR_USAGE, NULL,
					 "--out - needs one report: ddmreport "
					 "report NAME --out -");
			goto out_free;
		}
		err = to_stdout(s, find_tmpl(ts, nt, o->only), p, np, o, rc);
		if (err == DDM_OK)
			err = count_unwritten(s, ts, nt, p, np, o, rc);
		goto out_free;
	}
	err = ensure_dir(o->out_dir);
	if (err)
		goto out_free;
	outfile_clean_stale(o->out_dir);
	if (o->workbook && !o->only) {
		err = outfile_open(o->out_dir, "ddmreport.xlsx", 0, &wbfile);
		if (err)
			goto out_free;
		err = xlsx_open(outfile_temp_path(wbfile), o->info, &x);
		if (err)
			goto out_abort;
	}
	for (int i = 0; i < nt && err == DDM_OK; i++) {
		const tmpl *t = &ts[i];
		outfile *csv = NULL;
		char name[64];
		long rows;

		if (o->only && strcmp(o->only, t->report) != 0)
			continue;
		if (t->csv || o->only) {
			snprintf(name, sizeof name, "%s.csv", t->report);
			err = outfile_open(o->out_dir, name, 1, &csv);
			if (err)
				break;
			files = xrealloc(files,
					 (size_t)(nfiles + 1) * sizeof *files);
			files[nfiles++] = csv;
		}
		err = one_report(s, t, p, np, csv ? outfile_stream(csv) : NULL,
				 name, o, x, &rows);
		if (err == DDM_OK && csv)
			err = outfile_finish(csv);
		if (err == DDM_OK)
			err = count(rc, s, t, p, np, o, rows);
	}
	if (x) {
		/* After an error the workbook is thrown away: closed without
		 * a second line about it. */
		ddm_err e;

		if (err == DDM_OK)
			prehash_start(&ph, files, nfiles);
		e = xlsx_close(x, err != DDM_OK);
		prehash_join(&ph);
		x = NULL;
		err = diag_worst(err, e);
		if (err == DDM_OK)
			err = outfile_finish(wbfile);
	}
	if (err == DDM_OK)
		err = count_unwritten(s, ts, nt, p, np, o, rc);
	if (err == DDM_OK && !o->only)
		err = write_manifest(o->out_dir, files, nfiles, wbfile, &ph,
				     &sums);
	else if (err == DDM_OK) /* report NAME: keep the set's SHA256SUMS */
		err = outfile_manifest_update(o->out_dir, files, nfiles, &sums);
	for (int i = 0; i < nfiles && err == DDM_OK; i++)
		err = outfile_sync(files[i]);
	if (err == DDM_OK && wbfile)
		err = outfile_sync(wbfile);
	if (err == DDM_OK && sums)
		err = outfile_sync(sums);
	if (err)
		goto out_abort;
	/* Everything is written and synced: now replace the old set.  A
	 * stop request (systemd's or timeout(1)'s SIGTERM, Ctrl-C) waits
	 * until the set is replaced whole: taken in the middle, it left
	 * tonight's first files beside last night's others and a
	 * SHA256SUMS that matches neither.  (SIGKILL cannot wait: that case
	 * is what the manifest, renamed last, tells.) */
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGHUP);
	sigaddset(&stop, SIGQUIT);
	pthread_sigmask(SIG_BLOCK, &stop, &was);
	for (int i = 0; i < nfiles; i++) {
		ddm_err e = outfile_commit(files[i]);

		files[i] = NULL;
		err = diag_worst(err, e);
	}
	if (wbfile) {
		err = diag_worst(err, outfile_commit(wbfile));
		wbfile = NULL;
	}
	if (sums) {
		err = diag_worst(err, outfile_commit(sums));
		sums = NULL;
	}
	pthread_sigmask(SIG_SETMASK, &was, NULL);
	goto out_free;

out_abort:
	outfile_abort(sums);
	for (int i = 0; i < nfiles; i++)
		outfile_abort(files[i]);
	outfile_abort(wbfile);
out_free:
	prehash_free(&ph);
	free(files);
	tmpl_free_all(ts, nt);
	return err;
}

ddm_err render_list(void)
{
	tmpl *ts = NULL;
	int nt = 0;
	ddm_err err = tmpl_load_all(&ts, &nt);

	if (err)
		return err;
	for (int i = 0; i < nt; i++)
		printf("%-18s %s%s\n", ts[i].report, ts[i].title,
		       ts[i].csv ? "" : " (workbook only)");
	tmpl_free_all(ts, nt);
	if (fflush(stdout) != 0 || ferror(stdout))
		return diag_error(DDM_ERR_IO, "stdout", "cannot write: %s",
				  strerror(errno));
	return DDM_OK;
}

ddm_err render_check(store *s)
{
	tmpl *ts = NULL;
	int nt = 0;
	ddm_err err = tmpl_load_all(&ts, &nt);

	for (int i = 0; i < nt && err == DDM_OK; i++) {
		const char *names[TMPL_MAX_QUERIES];
		int nq = tmpl_queries(&ts[i], names);

		for (int k = 0; k < nq && err == DDM_OK; k++) {
			const resource *q;

			err = res_load(names[k], &q);
			if (err == DDM_OK)
				err = store_check(s, q);
		}
	}
	tmpl_free_all(ts, nt);
	return err;
}
