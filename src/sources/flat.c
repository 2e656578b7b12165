/*
 * flat.c - JSON documents as indexed leaves (see flat.h).
 *
 * Part of the ingest stage, shared by every JSON source.  SQLite parses
 * (one JSON parser for the whole program); here the paths are normalised
 * and hashed once per document.  A path given twice (a key repeated in one
 * object) keeps its last value, as most JSON readers do.
 */
#include "sources/flat.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static uint64_t hash(const char *a, size_t al, const char *b)
{
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < al; i++)
		h = (h ^ (unsigned char)a[i]) * 1099511628211ULL;
	for (; *b; b++)
		h = (h ^ (unsigned char)*b) * 1099511628211ULL;
	return h;
}

void flat_add(flat *f, const char *path, const char *type, const char *val)
{
	flat_leaf *x;

	if (f->n == f->cap) {
		f->cap = f->cap ? 2 * f->cap : 64;
		f->v = xrealloc(f->v, f->cap * sizeof *f->v);
	}
	x = &f->v[f->n++];
	x->path = xstrdup(path);
	x->type = xstrdup(type);
	x->val = val ? xstrdup(val) : NULL;
}

void flat_index(flat *f)
{
	size_t want = 16;

	while (want < 2 * f->n)
		want *= 2;
	free(f->slot);
	f->slot = xcalloc(want, sizeof *f->slot);
	f->nslot = want;
	for (size_t i = 0; i < f->n; i++) {
		size_t s = (size_t)hash("", 0, f->v[i].path) & (want - 1);

		while (f->slot[s] &&
		       strcmp(f->v[f->slot[s] - 1].path, f->v[i].path) != 0)
			s = (s + 1) & (want - 1);
		f->slot[s] = i + 1; /* a later duplicate wins */
	}
}

void flat_free(flat *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->v[i].path);
		free(f->v[i].type);
		free(f->v[i].val);
	}
	free(f->v);
	free(f->slot);
	memset(f, 0, sizeof *f);
}

/* json_tree's "$.a.\"b-c\"[0]" becomes "a.b-c[0]". */
static ddm_err on_leaf(void *ctx, const char *path, size_t plen,
		       const char *type, const char *val, size_t vlen)
{
	flat *f = ctx;
	char *p = xmalloc(plen + 1), *v = val ? xstrndup(val, vlen) : NULL;
	size_t o = 0, i = 0;

	if (plen && path[0] == '$')
		i = 1;
	if (i < plen && path[i] == '.')
		i++;
	for (; i < plen; i++)
		if (path[i] != '"')
			p[o++] = path[i];
	p[o] = '\0';
	flat_add(f, p, type, v);
	free(p);
	free(v);
	return DDM_OK;
}

ddm_err flat_parse(store *s, const char *doc, size_t len, flat *out, char *why,
		   size_t cap)
{
	ddm_err err = store_json_leaves(s, doc, len, on_leaf, out, why, cap);

	if (err) {
		flat_free(out);
		return err;
	}
	flat_index(out);
	return DDM_OK;
}

flat_view flat_root(const flat *f)
{
	flat_view v = {f, 0, f->n, ""};

	return v;
}

const flat_leaf *flat_find(const flat_view *v, const char *name)
{
	const flat *f = v->f;
	size_t pl = strlen(v->pre), s;

	if (!f->nslot)
		return NULL;
	s = (size_t)hash(v->pre, pl, name) & (f->nslot - 1);
	for (; f->slot[s]; s = (s + 1) & (f->nslot - 1)) {
		size_t i = f->slot[s] - 1;
		const char *p = f->v[i].path;

		if (strncmp(p, v->pre, pl) == 0 && strcmp(p + pl, name) == 0)
			return i >= v->lo && i < v->hi ? &f->v[i] : NULL;
	}
	return NULL;
}

const char *flat_val(const flat_view *v, const char *name)
{
	const flat_leaf *x = flat_find(v, name);

	return x ? x->val : NULL;
}

bool flat_has(const flat_view *v, const char *name)
{
	size_t pl = strlen(v->pre), nl = strlen(name);

	for (size_t i = v->lo; i < v->hi; i++) {
		const char *p = v->f->v[i].path;

		if (strncmp(p, v->pre, pl) == 0 &&
		    strncmp(p + pl, name, nl) == 0 &&
		    (p[pl + nl] == '\0' || p[pl + nl] == '.' ||
		     p[pl + nl] == '['))
			return true;
	}
	return false;
}

bool flat_next(const flat_view *v, const char *arr, size_t *pos,
	       flat_view *elem, char *out, size_t cap)
{
	char want[512];
	int wl = snprintf(want, sizeof want, "%s%s[", v->pre, arr);

	if (wl < 0 || (size_t)wl >= sizeof want)
		return false;
	for (size_t i = *pos; i < v->hi; i++) {
		const char *p = v->f->v[i].path, *close;
		size_t el, j;

		if (strncmp(p, want, (size_t)wl) != 0)
			continue;
		close = strchr(p + wl, ']');
		if (!close)
			continue;
		el = (size_t)(close - p) + 1;
		for (j = i + 1; j < v->hi; j++) {
			const char *q = v->f->v[j].path;

			if (strncmp(q, p, el) != 0 ||
			    (q[el] != '\0' && q[el] != '.' && q[el] != '['))
				break;
		}
		if (el + 2 > cap)
			continue;
		memcpy(out, p, el);
		out[el] = '.';
		out[el + 1] = '\0';
		elem->f = v->f;
		elem->lo = i;
		elem->hi = j;
		elem->pre = out;
		*pos = j;
		return true;
	}
	*pos = v->hi;
	return false;
}
