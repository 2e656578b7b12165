/*
 * evaluate.c - binds the policy's parameters and runs queries/evaluate.sql.
 *
 * The policy itself is SQL, readable by an auditor; this file only hands it
 * its parameters and records what was used, so the About sheet can show
 * the SHA-256 of every query and template behind the numbers.
 *
 * A fleet is evaluated in two parts at once, split by serial number at the
 * middle device, on two connections (the main one and a helper thread's):
 * the policy evaluates each device on its own up to its "-- merge:" line,
 * after which the helper's rows are appended to the main connection's
 * tables and the rest of the policy runs once.  The rows end up in the
 * same order as from one pass (the lower serials are the main part's), so
 * every report reads what it would read otherwise.  Measured at 1M
 * devices on two cores shared with other work: 10% more CPU, the
 * evaluation's wall time from 53-57 s to 39-51 s.
 */
#include "evaluate.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "res.h"
#include "timeutil.h"
#include "util.h"

/* Fewer devices than this are evaluated in one part.  Kept low so that
 * every fleet of the tests goes through the split. */
#define SPLIT_MIN_DEVICES 2
/* The tables named on the policy's "-- merge:" line. */
#define MERGE_MAX 8

size_t evaluate_bindings(const eval_params *ep, store_param *p)
{
	p[0] = (store_param){":as_of", 'i', ep->as_of, NULL};
	p[1] = (store_param){":stuck_after", 'i', ep->stuck_after, NULL};
	p[2] = (store_param){":stale_after", 'i', ep->stale_after, NULL};
	p[3] = (store_param){":due_within", 'i', ep->due_within, NULL};
	p[4] = (store_param){":default_tz", 't', 0, ep->default_tz};
	p[5] = (store_param){":night_start", 'i', ep->night_start, NULL};
	p[6] = (store_param){":night_end", 'i', ep->night_end, NULL};
	return EVAL_NPARAMS;
}

typedef struct note_ctx {
	store *s;
	ddm_err err;
} note_ctx;

static void note_resource(const resource *r, void *ctx)
{
	note_ctx *nc = ctx;
	char *value;

	if (nc->err)
		return;
	value = r->embedded ? xstrdup(r->sha256)
			    : xasprintf("%s (from %s)", r->sha256, r->origin);
	nc->err = store_note(nc->s, "resource", r->name, value);
	free(value);
}

/* The policy's "-- merge:" line: where its per-device part ends (*at,
 * the line's start) and the tables it names.  False when it has none (a
 * policy from --queries may not), or names none or too many. */
static bool find_merge(const resource *r, size_t *at, char names[][64],
		       size_t *n)
{
	const char *m = strstr(r->text, "\n-- merge:");
	const char *q;

	*n = 0;
	if (!m)
		return false;
	*at = (size_t)(m + 1 - r->text);
	q = m + strlen("\n-- merge:");
	for (;;) {
		size_t len;

		q += strspn(q, " \t");
		len = strspn(q, "abcdefghijklmnopqrstuvwxyz"
				"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
		if (!len)
			break;
		if (*n == MERGE_MAX || len >= sizeof names[0])
			return false;
		memcpy(names[*n], q, len);
		names[(*n)++][len] = '\0';
		q += len;
	}
	return *n > 0 && (*q == '\n' || *q == '\r' || *q == '\0');
}

/* The helper thread's part of the fleet. */
typedef struct part_job {
	store *peer;
	const resource *policy;
	size_t end;
	const store_param *p;
	size_t np;
	char (*names)[64];
	size_t nnames;
	ddm_err err;
	buf held; /* its messages, printed by the main thread */
} part_job;

static void *run_part(void *arg)
{
	part_job *j = arg;

	diag_hold_begin(&j->held);
	j->err = store_run_script_part(j->peer, j->policy, 0, j->end, j->p,
				       j->np);
	for (size_t i = 0; i < j->nnames && !j->err; i++)
		j->err = store_split_send(j->peer, j->names[i]);
	if (!j->err)
		j->err = store_commit(j->peer);
	diag_hold_end();
	return NULL;
}

/*
 * Runs the policy's per-device statements (text before end) in two parts,
 * the devices from mid on in a helper thread, then appends the helper's
 * rows of the named tables.
 */
static ddm_err run_split(store *s, const resource *policy, size_t end,
			 store_param *p, size_t np, const char *mid,
			 char names[][64], size_t nnames)
{
	part_job j = {NULL, policy, end, NULL, 0, names, nnames, DDM_OK, {0}};
	store_param hp[EVAL_NPARAMS + 2];
	pthread_t t;
	bool threaded;
	ddm_err err, e2;

	err = store_split_open(s, &j.peer);
	if (err)
		return err;
	memcpy(hp, p, np * sizeof *p);
	hp[np - 2].s = mid; /* the helper: from mid on */
	j.p = hp;
	j.np = np;
	p[np - 1].s = mid; /* this thread: below mid */
	tz_prepare_threads();
	threaded = pthread_create(&t, NULL, run_part, &j) == 0;
	if (!threaded)
		run_part(&j);
	err = store_run_script_part(s, policy, 0, end, p, np);
	if (threaded)
		pthread_join(t, NULL);
	/* One failure is explained once: a full temporary disk, say, fails
	 * both parts, and this thread's line already names it. */
	if (!err)
		diag_release(&j.held);
	buf_free(&j.held);
	p[np - 1].s = NULL;
	if (!err)
		err = j.err;
	for (size_t i = 0; i < nnames && !err; i++)
		err = store_split_take(s, names[i]);
	e2 = store_split_close(s, j.peer);
	return err ? err : e2;
}

ddm_err evaluate_run(store *s, const eval_params *ep)
{
	const resource *policy;
	store_param p[EVAL_NPARAMS + 2];
	size_t np = evaluate_bindings(ep, p);
	note_ctx nc = {s, DDM_OK};
	char names[MERGE_MAX][64];
	size_t nnames, end;
	store_stmt *st;
	buf mid = {0};
	bool row;
	int64_t devices = 0;
	ddm_err err;

	err = res_load("queries/evaluate.sql", &policy);
	if (err)
		return err;
	res_each_loaded(note_resource, &nc);
	if (nc.err)
		return nc.err;
	/* The whole fleet unless split below. */
	p[np++] = (store_param){":part_lo", 't', 0, NULL};
	p[np++] = (store_param){":part_hi", 't', 0, NULL};
	if (!find_merge(policy, &end, names, &nnames))
		return store_run_script(s, policy, p, np);
	st = store_stmt_get(s, "eval_split");
	if (!st)
		return DDM_ERR_INTERNAL;
	err = store_stmt_step(st, &row);
	if (!err && row) {
		const char *m = store_stmt_col_text(st, 1, NULL);

		devices = store_stmt_col_int(st, 0);
		if (m)
			buf_puts(&mid, m);
		store_stmt_reset(st);
	}
	if (err)
		return err;
	if (devices >= SPLIT_MIN_DEVICES && mid.len)
		err = run_split(s, policy, end, p, np, buf_cstr(&mid), names,
				nnames);
	else
		err = store_run_script_part(s, policy, 0, end, p, np);
	buf_free(&mid);
	if (err)
		return err;
	return store_run_script_part(s, policy, end, strlen(policy->text), p,
				     np);
}

ddm_err evaluate_record(store *s, const eval_params *ep)
{
	const resource *r;
	store_param p[EVAL_NPARAMS];
	size_t np = evaluate_bindings(ep, p);
	ddm_err err = res_load("queries/record.sql", &r);

	if (err)
		return err;
	return store_run_script(s, r, p, np);
}
