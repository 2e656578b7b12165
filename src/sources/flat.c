/*
 * flat.c - JSON documents as indexed leaves (see flat.h).
 *
 * Part of the ingest stage, shared by every JSON source.  The leaves are
 * exactly the rows of SQLite's json_tree (statement json_leaves, store.c):
 * the common document (strict JSON, integers that fit, plain keys) is read
 * here in one pass, which is most of the cost of a status report; anything
 * else (a real number, an escaped key, syntax the scan does not take)
 * goes to json_tree, whose leaves and error messages stay the reference.
 * Paths are normalised and hashed once per document.  A path given twice
 * (a key repeated in one object) keeps its last value, as most JSON
 * readers do.
 */
#include "sources/flat.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define CHUNK 65536

struct flat_chunk {
	flat_chunk *next;
	size_t used, cap;
	char data[];
};

/* A copy of s[0..n) (NUL-terminated) in f's arena. */
static char *arena_copy(flat *f, const char *s, size_t n)
{
	flat_chunk *c = f->chunks;
	char *out;

	if (!c || c->cap - c->used < n + 1) {
		size_t cap = n + 1 > CHUNK ? n + 1 : CHUNK;
		flat_chunk *nc;

		nc = xmalloc(sizeof *nc + cap);
		nc->cap = cap;
		nc->used = 0;
		nc->next = c;
		f->chunks = c = nc;
	}
	out = c->data + c->used;
	memcpy(out, s, n);
	out[n] = '\0';
	c->used += n + 1;
	return out;
}

/* json_tree's type names, shared rather than copied. */
static const char *type_name(flat *f, const char *type)
{
	static const char *const known[] = {"text",   "integer", "real",
					    "true",   "false",	 "null",
					    "object", "array"};

	for (size_t i = 0; i < sizeof known / sizeof *known; i++)
		if (strcmp(type, known[i]) == 0)
			return known[i];
	return arena_copy(f, type, strlen(type));
}

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
	x->path = arena_copy(f, path, strlen(path));
	x->type = type_name(f, type);
	x->val = val ? arena_copy(f, val, strlen(val)) : NULL;
}

/* flat_add for a path and value of known lengths. */
static void add_n(flat *f, const char *path, size_t plen, const char *type,
		  const char *val, size_t vlen)
{
	flat_leaf *x;

	if (f->n == f->cap) {
		f->cap = f->cap ? 2 * f->cap : 64;
		f->v = xrealloc(f->v, f->cap * sizeof *f->v);
	}
	x = &f->v[f->n++];
	x->path = arena_copy(f, path, plen);
	x->type = type;
	x->val = val ? arena_copy(f, val, vlen) : NULL;
}

void flat_index(flat *f)
{
	size_t want = 16;

	while (want < 2 * f->n)
		want *= 2;
	if (f->nslot >= want && f->nslot <= 8 * want) {
		memset(f->slot, 0, f->nslot * sizeof *f->slot);
		want = f->nslot;
	} else {
		free(f->slot);
		f->slot = xcalloc(want, sizeof *f->slot);
		f->nslot = want;
	}
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
	while (f->chunks) {
		flat_chunk *next = f->chunks->next;

		free(f->chunks);
		f->chunks = next;
	}
	free(f->v);
	free(f->slot);
	buf_free(&f->scratch);
	memset(f, 0, sizeof *f);
}

void flat_reset(flat *f)
{
	/* one ordinary chunk is kept: a document rarely needs more */
	while (f->chunks && (f->chunks->next || f->chunks->cap > CHUNK)) {
		flat_chunk *next = f->chunks->next;

		free(f->chunks);
		f->chunks = next;
	}
	if (f->chunks)
		f->chunks->used = 0;
	if (f->cap > 4096) { /* a huge document's leaves are not kept */
		free(f->v);
		f->v = NULL;
		f->cap = 0;
	}
	f->n = 0;
	if (f->nslot)
		memset(f->slot, 0, f->nslot * sizeof *f->slot);
}

/* json_tree's "$.a.\"b-c\"[0]" becomes "a.b-c[0]". */
static ddm_err on_leaf(void *ctx, const char *path, size_t plen,
		       const char *type, const char *val, size_t vlen)
{
	flat *f = ctx;
	buf *p = &f->scratch;
	size_t i = 0;

	buf_reset(p);
	if (plen && path[0] == '$')
		i = 1;
	if (i < plen && path[i] == '.')
		i++;
	for (; i < plen; i++)
		if (path[i] != '"')
			buf_putc(p, path[i]);
	add_n(f, buf_cstr(p), p->len, type_name(f, type), val, vlen);
	return DDM_OK;
}

/* ---- the scan ------------------------------------------------------------
 * Strict JSON only; false means "not taken here" (json_tree decides), never
 * "invalid". */

#define SCAN_MAX_DEPTH 256

typedef struct scan {
	const char *p, *end;
	flat *f;
	buf *path; /* the current leaf's path */
	buf val;   /* an unescaped string */
} scan;

static void ws(scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' ||
				 *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

static int hex4(const char *p)
{
	int v = 0;

	for (int i = 0; i < 4; i++) {
		char c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

/* A string at s->p ('"'): its text in *out / *len (s->val when it had
 * escapes).  Keys (key = true) with escapes are left to json_tree. */
static bool string(scan *s, bool key, const char **out, size_t *len)
{
	const char *q = ++s->p, *start = q;

	while (q < s->end && *q != '"' && *q != '\\' &&
	       (unsigned char)*q >= 0x20)
		q++;
	if (q >= s->end || (unsigned char)*q < 0x20)
		return false;
	if (*q == '"') {
		*out = start;
		*len = (size_t)(q - start);
		s->p = q + 1;
		return true;
	}
	if (key)
		return false;
	buf_reset(&s->val);
	buf_append(&s->val, start, (size_t)(q - start));
	while (q < s->end && *q != '"') {
		unsigned char c = (unsigned char)*q;

		if (c < 0x20)
			return false;
		if (c != '\\') {
			const char *r = q;

			while (r < s->end && *r != '"' && *r != '\\' &&
			       (unsigned char)*r >= 0x20)
				r++;
			buf_append(&s->val, q, (size_t)(r - q));
			q = r;
			continue;
		}
		if (q + 1 >= s->end)
			return false;
		switch (q[1]) {
		case '"':
		case '\\':
		case '/':
			buf_putc(&s->val, q[1]);
			break;
		case 'b':
			buf_putc(&s->val, '\b');
			break;
		case 'f':
			buf_putc(&s->val, '\f');
			break;
		case 'n':
			buf_putc(&s->val, '\n');
			break;
		case 'r':
			buf_putc(&s->val, '\r');
			break;
		case 't':
			buf_putc(&s->val, '\t');
			break;
		case 'u': {
			int cp = s->end - q >= 6 ? hex4(q + 2) : -1;
			char u[4];
			size_t n;

			if (cp <= 0 || (cp >= 0xDC00 && cp <= 0xDFFF))
				return false;
			if (cp >= 0xD800 && cp <= 0xDBFF) {
				int lo = s->end - q >= 12 && q[6] == '\\' &&
							 q[7] == 'u'
						 ? hex4(q + 8)
						 : -1;

				if (lo < 0xDC00 || lo > 0xDFFF)
					return false;
				cp = 0x10000 + ((cp - 0xD800) << 10) +
				     (lo - 0xDC00);
				q += 6;
			}
			if (cp < 0x80) {
				u[0] = (char)cp;
				n = 1;
			} else if (cp < 0x800) {
				u[0] = (char)(0xC0 | (cp >> 6));
				u[1] = (char)(0x80 | (cp & 0x3F));
				n = 2;
			} else if (cp < 0x10000) {
				u[0] = (char)(0xE0 | (cp >> 12));
				u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
				u[2] = (char)(0x80 | (cp & 0x3F));
				n = 3;
			} else {
				u[0] = (char)(0xF0 | (cp >> 18));
				u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
				u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
				u[3] = (char)(0x80 | (cp & 0x3F));
				n = 4;
			}
			buf_append(&s->val, u, n);
			q += 4;
			break;
		}
		default:
			return false;
		}
		q += 2;
	}
	if (q >= s->end)
		return false;
	*out = buf_cstr(&s->val);
	*len = s->val.len;
	s->p = q + 1;
	return true;
}

static bool literal(scan *s, const char *word, size_t n)
{
	if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
		return false;
	s->p += n;
	return true;
}

static bool value(scan *s, int depth);

/* The members of an object, s->p after its '{'. */
static bool object(scan *s, int depth)
{
	size_t base = s->path->len;

	ws(s);
	if (s->p < s->end && *s->p == '}') {
		s->p++;
		add_n(s->f, buf_cstr(s->path), base, "object", NULL, 0);
		return true;
	}
	for (;;) {
		const char *k;
		size_t kl;

		if (s->p >= s->end || *s->p != '"' || !string(s, true, &k, &kl))
			return false;
		ws(s);
		if (s->p >= s->end || *s->p != ':')
			return false;
		s->p++;
		if (depth)
			buf_putc(s->path, '.');
		buf_append(s->path, k, kl);
		if (!value(s, depth + 1))
			return false;
		s->path->len = base;
		ws(s);
		if (s->p < s->end && *s->p == ',') {
			s->p++;
			ws(s);
			continue;
		}
		if (s->p < s->end && *s->p == '}') {
			s->p++;
			return true;
		}
		return false;
	}
}

static bool array(scan *s, int depth)
{
	size_t base = s->path->len;
	char ix[32];

	ws(s);
	if (s->p < s->end && *s->p == ']') {
		s->p++;
		add_n(s->f, buf_cstr(s->path), base, "array", NULL, 0);
		return true;
	}
	for (size_t i = 0;; i++) {
		size_t n = sizeof ix, v = i;

		ix[--n] = ']';
		do
			ix[--n] = (char)('0' + v % 10);
		while ((v /= 10) != 0);
		ix[--n] = '[';
		buf_append(s->path, ix + n, sizeof ix - n);
		if (!value(s, depth + 1))
			return false;
		s->path->len = base;
		ws(s);
		if (s->p < s->end && *s->p == ',') {
			s->p++;
			continue;
		}
		if (s->p < s->end && *s->p == ']') {
			s->p++;
			return true;
		}
		return false;
	}
}

/* A number json_tree gives as the same integer text: no fraction, no
 * exponent, no leading zero, no "-0", at most 18 digits. */
static bool integer(scan *s)
{
	const char *q = s->p, *d;

	if (*q == '-')
		q++;
	d = q;
	while (q < s->end && *q >= '0' && *q <= '9')
		q++;
	if (q == d || q - d > 18 || (*d == '0' && q - d > 1) ||
	    (*d == '0' && d > s->p))
		return false;
	if (q < s->end && (*q == '.' || *q == 'e' || *q == 'E'))
		return false;
	add_n(s->f, buf_cstr(s->path), s->path->len, "integer", s->p,
	      (size_t)(q - s->p));
	s->p = q;
	return true;
}

static bool value(scan *s, int depth)
{
	const char *v;
	size_t vl;

	ws(s);
	if (s->p >= s->end || depth > SCAN_MAX_DEPTH)
		return false;
	switch (*s->p) {
	case '{':
		s->p++;
		return object(s, depth);
	case '[':
		s->p++;
		return array(s, depth);
	case '"':
		if (!string(s, false, &v, &vl))
			return false;
		add_n(s->f, buf_cstr(s->path), s->path->len, "text", v, vl);
		return true;
	case 't':
		if (!literal(s, "true", 4))
			return false;
		add_n(s->f, buf_cstr(s->path), s->path->len, "true", "1", 1);
		return true;
	case 'f':
		if (!literal(s, "false", 5))
			return false;
		add_n(s->f, buf_cstr(s->path), s->path->len, "false", "0", 1);
		return true;
	case 'n':
		if (!literal(s, "null", 4))
			return false;
		add_n(s->f, buf_cstr(s->path), s->path->len, "null", NULL, 0);
		return true;
	default:
		return (*s->p == '-' || (*s->p >= '0' && *s->p <= '9')) &&
		       integer(s);
	}
}

ddm_err flat_parse(store *s, const char *doc, size_t len, flat *out, char *why,
		   size_t cap)
{
	scan sc = {doc, doc + len, out, &out->scratch, {0}};
	ddm_err err;
	bool ok;

	buf_reset(&out->scratch);
	ok = value(&sc, 0);
	if (ok) {
		ws(&sc);
		ok = sc.p == sc.end;
	}
	buf_free(&sc.val);
	if (ok) {
		flat_index(out);
		return DDM_OK;
	}
	flat_reset(out);
	err = store_json_leaves(s, doc, len, on_leaf, out, why, cap);
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
	/* the first byte that can differ, tested before the calls: each
	 * source's recognise scans every leaf here (4% of a DDM ingest) */
	char c0 = pl ? v->pre[0] : name[0];

	for (size_t i = v->lo; i < v->hi; i++) {
		const char *p = v->f->v[i].path;

		if ((p[0] == c0 || !c0) && strncmp(p, v->pre, pl) == 0 &&
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
	size_t pl = strlen(v->pre), al = strlen(arr), wl = pl + al + 1;

	/* built by hand: snprintf was most of a recognise that finds no
	 * array (two sources ask for "results" of every document) */
	if (wl >= sizeof want)
		return false;
	memcpy(want, v->pre, pl);
	memcpy(want + pl, arr, al);
	want[wl - 1] = '[';
	want[wl] = '\0';
	for (size_t i = *pos; i < v->hi; i++) {
		const char *p = v->f->v[i].path, *close;
		size_t el, j;

		if (p[0] != want[0] || strncmp(p, want, (size_t)wl) != 0)
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
