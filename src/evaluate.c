/*
 * evaluate.c - binds the policy's parameters and runs queries/evaluate.sql.
 *
 * The policy itself is SQL, readable by an auditor; this file only hands it
 * its parameters and records what was used, so the About sheet can show
 * the SHA-256 of every query and template behind the numbers.
 */
#include "evaluate.h"

#include <stdlib.h>
#include <string.h>

#include "res.h"
#include "util.h"

size_t evaluate_bindings(const eval_params *ep, store_param *p)
{
	p[0] = (store_param){":as_of", 'i', ep->as_of, NULL};
	p[1] = (store_param){":stuck_after", 'i', ep->stuck_after, NULL};
	p[2] = (store_param){":stale_after", 'i', ep->stale_after, NULL};
	p[3] = (store_param){":due_within", 'i', ep->due_within, NULL};
	p[4] = (store_param){":default_tz", 't', 0, ep->default_tz};
	return EVAL_NPARAMS;
}

ddm_err evaluate_note(store *s, const char *section, const char *name,
		      const char *value)
{
	store_stmt *st = store_stmt_get(s, "note");

	if (!st)
		return DDM_ERR_INTERNAL;
	store_bind_text(st, store_stmt_param(st, ":section"), section,
			strlen(section));
	store_bind_text(st, store_stmt_param(st, ":name"), name, strlen(name));
	store_bind_text(st, store_stmt_param(st, ":value"), value,
			value ? strlen(value) : 0);
	return store_stmt_run(st, NULL, NULL);
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
	nc->err = evaluate_note(nc->s, "resource", r->name, value);
	free(value);
}

ddm_err evaluate_run(store *s, const eval_params *ep)
{
	const resource *policy;
	store_param p[EVAL_NPARAMS];
	size_t np = evaluate_bindings(ep, p);
	note_ctx nc = {s, DDM_OK};
	ddm_err err;

	err = res_load("queries/evaluate.sql", &policy);
	if (err)
		return err;
	res_each_loaded(note_resource, &nc);
	if (nc.err)
		return nc.err;
	return store_run_script(s, policy, p, np);
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
