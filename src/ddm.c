/*
 * ddm.c - JSON documents to the source that reads them.
 *
 * Pipeline position: ingest stage, called by ingest.c for every document
 * jsonin hands it.  A document is flattened once (sources/flat.c); a
 * top-level array is taken element by element; each value goes to the
 * source of sources_table (sources/registry.c) whose shape fits it best.
 * Recognition is a contest of scores, not an if-chain: the order of the
 * table does not matter, and two sources claiming a value equally is
 * reported (a rejected document) rather than settled by position.  A
 * value no source claims is rejected, and a file none of whose documents
 * was recognised is refused whole by ingest.c (exit 65).
 */
#define _DEFAULT_SOURCE
#include "ddm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sources/merge.h"
#include "sources/source.h"
#include "util.h"

struct ddm {
	src_env env;
	char *expected; /* owned: "a DDM status report, ..." */
	flat doc;	/* owned: the current document, memory reused */
};

void ddm_free(ddm *d)
{
	if (!d)
		return;
	merge_free(d->env.merge);
	flat_free(&d->doc);
	buf_free(&d->env.tmp);
	free(d->expected);
	free(d);
}

ddm_err ddm_new(store *s, const formats *fs, const char *source_tz,
		int64_t run_time, ddm **out)
{
	ddm *d = xcalloc(1, sizeof *d);
	buf what = {0};
	ddm_err err;

	d->env.store = s;
	d->env.fs = fs;
	d->env.tz = source_tz;
	d->env.run_time = run_time;
	err = merge_new(s, fs, &d->env.merge);
	if (err) {
		free(d);
		return err;
	}
	for (size_t i = 0; sources_table[i]; i++) {
		if (i)
			buf_puts(&what, sources_table[i + 1] ? ", " : " or ");
		buf_puts(&what, sources_table[i]->what);
	}
	d->expected = xstrdup(buf_cstr(&what));
	d->env.expected = d->expected;
	buf_free(&what);
	*out = d;
	return DDM_OK;
}

ddm_err ddm_finish(ddm *d, ddm_counts *c, ddm_reject_fn reject, void *rctx)
{
	ddm_err err = merge_resolve(d->env.merge, c, reject, rctx);

	return err ? err : merge_finish(d->env.merge, c);
}

void ddm_discard(ddm *d)
{
	merge_discard(d->env.merge);
}

const char *ddm_expected(const ddm *d)
{
	return d->expected;
}

/* The source whose shape fits v best; NULL when none does or two tie
 * (then *tie names the other). */
static const source *recognise(const flat_view *v, const source **tie)
{
	const source *best = NULL;
	int score = 0;

	*tie = NULL;
	for (size_t i = 0; sources_table[i]; i++) {
		int s = sources_table[i]->recognise(v);

		if (s > score) {
			score = s;
			best = sources_table[i];
			*tie = NULL;
		} else if (s > 0 && s == score) {
			*tie = sources_table[i];
		}
	}
	return *tie ? NULL : best;
}

static ddm_err dispatch(src_ctx *x, const flat_view *v)
{
	const source *tie, *s = recognise(v, &tie);
	char why[900];

	if (s && s->observes) {
		ddm_err err = merge_finish(x->env->merge, x->c);

		if (err)
			return err;
	}
	if (s && s->identities) {
		ddm_err err = merge_flush_ids(x->env->merge);

		if (err)
			return err;
	}
	if (s)
		return s->read(x, v);
	x->c->read++;
	if (tie) {
		snprintf(why, sizeof why,
			 "document has the shape of more than one input (%s)",
			 tie->name);
		return src_reject(x, why);
	}
	x->c->unknown++;
	snprintf(why, sizeof why, "not a known JSON input (expected %s)",
		 x->env->expected);
	return src_reject(x, why);
}

ddm_err ddm_document(ddm *d, const ddm_file *f, const char *doc, size_t len,
		     long line, ddm_counts *c, ddm_reject_fn rej, void *rctx)
{
	src_ctx x = {&d->env, f, c, rej, rctx, line, doc, len};
	flat *l = &d->doc;
	flat_view root;
	char why[200], reason[300];
	ddm_err err;

	flat_reset(l);
	err = flat_parse(d->env.store, doc, len, l, why, sizeof why);

	if (err == DDM_ERR_DATA) {
		snprintf(reason, sizeof reason,
			 "document is not valid JSON: %s", why);
		return src_reject(&x, reason);
	}
	if (err)
		return err;
	root = flat_root(l);
	if (l->n && l->v[0].path[0] == '[') {
		/* a top-level array: each element on its own */
		size_t pos = 0;
		flat_view el;
		char pre[64];

		while (err == DDM_OK &&
		       flat_next(&root, "", &pos, &el, pre, sizeof pre))
			err = dispatch(&x, &el);
	} else {
		err = dispatch(&x, &root);
	}
	return err;
}
