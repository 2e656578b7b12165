/*
 * source.c - the helpers every JSON source uses (declared in source.h):
 * rejecting a document, reading a time, naming the file's format.
 *
 * They live here, beside the sources, rather than in ddm.c: the sources
 * and the merge call them, and ddm.c calls the sources, so keeping them in
 * ddm.c would tie the dispatcher and its sources in a circle.
 */
#define _DEFAULT_SOURCE
#include "sources/source.h"

#include <stdio.h>
#include <string.h>

#include "timeutil.h"

ddm_err src_reject(src_ctx *x, const char *reason)
{
	x->c->rejected++;
	return x->reject(x->rctx, x->line, reason, x->doc, x->len);
}

bool src_time(const src_env *e, const char *s, int64_t *out)
{
	bool had_zone;
	int64_t t;

	if (!s || !ts_parse(s, strlen(s), &t, &had_zone))
		return false;
	if (!had_zone && e->tz && !tz_wall_to_utc(e->tz, t, &t, NULL))
		return false;
	*out = t;
	return true;
}

bool src_future(src_ctx *x, int64_t t, ddm_err *err)
{
	/* Kept, such a report would be left out of every run until then (a
	 * device whose only report it is on no sheet) and be the device's
	 * newest: as a CSV row's time (ingest.c). */
	char why[200];

	if (!ts_future(t, x->env->run_time, "report time", why, sizeof why))
		return false;
	*err = src_reject(x, why);
	return true;
}

ddm_err src_store(src_ctx *x, store_stmt *st)
{
	int changes = 0;
	ddm_err err;

	store_bind_int(st, store_stmt_param(st, ":file"), x->f->file_id);
	store_bind_int(st, store_stmt_param(st, ":line"), x->line);
	err = store_stmt_run(st, &changes, NULL);
	if (err)
		return err;
	if (changes)
		x->c->stored++;
	else
		x->c->duplicate++;
	return DDM_OK;
}

void src_format(src_ctx *x, const char *name)
{
	if (!x->c->format)
		x->c->format = name;
}
