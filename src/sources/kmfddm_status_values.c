/*
 * kmfddm_status_values.c - KMFDDM's collected status values.
 *
 * Shape (jessepeterson/kmfddm API GET /v1/status-values/{ids}):
 * {"<enrollment-id>": [{"path": ".StatusItems.softwareupdate.install-state",
 * "value": "downloading", "timestamp"?, "status_id"?}, ...], ...}.  Each
 * enrollment's values are one report about it (not a full one: KMFDDM
 * accumulates values).  KMFDDM's MySQL storage keeps one row per value a
 * path has ever had, listed by when it was first seen, its timestamp the
 * last time it was: a path given twice keeps the value of its newest
 * timestamp (every value of that time: an array's), not the one listed
 * last (a Mac downloading, then failed, then downloading again lists
 * "downloading" first).  Without timestamps the later value counts.  Its
 * time is the newest timestamp; the file storage backend gives none (or
 * Go's zero time), and then the file's modification time is used.  The
 * enrollment id names the device once a report has been seen with its
 * serial (or the values carry device.identifier.serial-number).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sources/merge.h"

/* "<key>[n].path" with a status-report path as its value. */
static bool value_leaf(const flat_view *v, const flat_leaf *lf)
{
	const char *p = lf->path + strlen(v->pre);
	const char *b = strchr(p, '[');

	if (!b || b == p || !lf->val || memchr(p, '.', (size_t)(b - p)))
		return false;
	b = strchr(b, ']');
	return b && strcmp(b, "].path") == 0 &&
	       (strncmp(lf->val, ".StatusItems.", 13) == 0 ||
		strncmp(lf->val, ".Errors", 7) == 0);
}

static int recognise(const flat_view *v)
{
	for (size_t i = v->lo; i < v->hi; i++)
		if (value_leaf(v, &v->f->v[i]))
			return 100;
	return 0;
}

/* One value of an enrollment, as listed. */
typedef struct value {
	const char *path, *val;
	int64_t t; /* its timestamp, when has_t */
	bool has_t;
	size_t i;    /* its place in the list */
	int64_t top; /* the newest timestamp of its path (has_t) */
} value;

static int by_path_time(const void *a, const void *b)
{
	const value *x = a, *y = b;
	int c = strcmp(x->path, y->path);

	if (c)
		return c;
	if (x->has_t != y->has_t)
		return x->has_t ? 1 : -1;
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

static int by_place(const void *a, const void *b)
{
	const value *x = a, *y = b;

	return x->i < y->i ? -1 : x->i > y->i;
}

/* One enrollment's values [lo, hi) under key. */
static ddm_err one(src_ctx *x, const flat_view *v, const char *key)
{
	flat syn = {0};
	flat_view el, root;
	merge_meta m = {{0}, NULL, 0, false};
	char ep[600];
	size_t pos = v->lo, n = 0, cap = 0;
	value *vs = NULL;
	bool any_time = false;
	ddm_err err;

	x->c->read++;
	while (flat_next(v, key, &pos, &el, ep, sizeof ep)) {
		const char *p = flat_val(&el, "path");
		const char *ts = flat_val(&el, "timestamp");
		value e = {p, flat_val(&el, "value"), 0, false, n, 0};

		/* Go's zero time (0001-01-01) means "not kept" */
		e.has_t = ts && strncmp(ts, "0001-", 5) != 0 &&
			  src_time(x->env, ts, &e.t);
		if (e.has_t && (!any_time || e.t > m.t)) {
			m.t = e.t;
			any_time = true;
		}
		if (!p || *p != '.')
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			vs = xrealloc(vs, cap * sizeof *vs);
		}
		vs[n++] = e;
	}
	/* each path's newest timestamp, then the values in their order */
	if (n > 1)
		qsort(vs, n, sizeof *vs, by_path_time);
	for (size_t i = n; i-- > 0;)
		vs[i].top = i + 1 < n && !strcmp(vs[i].path, vs[i + 1].path)
				    ? vs[i + 1].top
				    : vs[i].t;
	if (n > 1)
		qsort(vs, n, sizeof *vs, by_place);
	for (size_t i = 0; i < n; i++)
		if (!vs[i].has_t || vs[i].t == vs[i].top)
			flat_add(&syn, vs[i].path + 1, "text", vs[i].val);
	free(vs);
	flat_index(&syn);
	if (!any_time) {
		m.t = x->f->mtime;
		if (!x->c->time_basis)
			x->c->time_basis = "mtime";
	}
	m.ids[0] = key;
	root = flat_root(&syn);
	err = merge_report(x, &root, &m);
	flat_free(&syn);
	return err;
}

static ddm_err read(src_ctx *x, const flat_view *v)
{
	size_t pl = strlen(v->pre);
	ddm_err err = DDM_OK;

	src_format(x, "kmfddm-status-values");
	for (size_t i = v->lo; i < v->hi && !err;) {
		const char *p = v->f->v[i].path + pl;
		size_t kl = strcspn(p, "[");
		char *key = xstrndup(p, kl);
		flat_view g = *v;
		size_t j = i + 1;

		while (j < v->hi && strncmp(v->f->v[j].path + pl, p, kl) == 0 &&
		       v->f->v[j].path[pl + kl] == '[')
			j++;
		g.lo = i;
		g.hi = j;
		if (kl && p[kl] == '[')
			err = one(x, &g, key);
		free(key);
		i = j;
	}
	return err;
}

const source source_kmfddm_status_values = {"kmfddm-status-values",
					    "KMFDDM status values",
					    recognise,
					    read,
					    false,
					    false};
