/*
 * kmfddm_status_values.c - KMFDDM's collected status values.
 *
 * Shape (jessepeterson/kmfddm API GET /v1/status-values/{ids}):
 * {"<enrollment-id>": [{"path": ".StatusItems.softwareupdate.install-state",
 * "value": "downloading", "timestamp"?, "status_id"?}, ...], ...}.  Each
 * enrollment's values are one report about it (not a full one: KMFDDM
 * accumulates values, and a path given twice keeps its later value).  Its
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

/* One enrollment's values [lo, hi) under key. */
static ddm_err one(src_ctx *x, const flat_view *v, const char *key)
{
	flat syn = {0};
	flat_view el, root;
	merge_meta m = {{0}, NULL, 0, false};
	char ep[600];
	size_t pos = v->lo;
	bool any_time = false;
	ddm_err err;

	x->c->read++;
	while (flat_next(v, key, &pos, &el, ep, sizeof ep)) {
		const char *p = flat_val(&el, "path");
		const char *val = flat_val(&el, "value");
		const char *ts = flat_val(&el, "timestamp");
		int64_t t;

		/* Go's zero time (0001-01-01) means "not kept" */
		if (ts && strncmp(ts, "0001-", 5) != 0 &&
		    src_time(x->env, ts, &t) && (!any_time || t > m.t)) {
			m.t = t;
			any_time = true;
		}
		if (p && *p == '.')
			flat_add(&syn, p + 1, "text", val);
	}
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
