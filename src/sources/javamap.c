/*
 * javamap.c - Java map strings into JSON-like leaves (see javamap.h).
 *
 * Part of the ingest stage (Jamf Pro DDM status items).  Java's toString
 * does not quote or escape anything, so the format is ambiguous in
 * principle; the rule here (a value ends where the next "key=" or the
 * closing bracket begins) reads every value Jamf documents.
 */
#include "sources/javamap.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define MAX_DEPTH 16

typedef struct jm {
	const char *p, *end;
	flat *out;
} jm;

static bool key_char(char c)
{
	return isalnum((unsigned char)c) || c == '-' || c == '_' || c == '.';
}

/* True when r starts "name=". */
static bool key_eq(const char *r, const char *end)
{
	const char *k = r;

	while (k < end && key_char(*k))
		k++;
	return k > r && k < end && *k == '=';
}

/* True when a bracket ending at r closes its value (end, or a separator
 * or another closing bracket follows). */
static bool closes(const char *r, const char *end)
{
	return r == end || *r == ',' || *r == '}' || *r == ']';
}

static const char *type_of(const char *v, size_t n)
{
	size_t i = 0;

	if (n == 4 && memcmp(v, "true", 4) == 0)
		return "true";
	if (n == 5 && memcmp(v, "false", 5) == 0)
		return "false";
	if (n && v[0] == '-')
		i = 1;
	if (i == n)
		return "text";
	for (; i < n; i++)
		if (!isdigit((unsigned char)v[i]))
			return "text";
	return "integer";
}

static bool value(jm *j, const char *path, char in, int depth);

/* A scalar inside a map (in '}') or a list (in ']'). */
static void scalar(jm *j, const char *path, char in)
{
	const char *q = j->p;
	char *v;

	for (; q < j->end; q++) {
		if (*q == ',' && q + 1 < j->end && q[1] == ' ' &&
		    (in == ']' || key_eq(q + 2, j->end)))
			break;
		if (*q == in && closes(q + 1, j->end))
			break;
	}
	v = xstrndup(j->p, (size_t)(q - j->p));
	flat_add(j->out, path, type_of(v, strlen(v)), v);
	free(v);
	j->p = q;
}

static bool map(jm *j, const char *path, int depth)
{
	j->p++; /* '{' */
	while (j->p < j->end && *j->p != '}') {
		const char *k = j->p;
		char *sub;
		bool ok;

		while (j->p < j->end && key_char(*j->p))
			j->p++;
		if (j->p == k || j->p >= j->end || *j->p != '=')
			return false;
		sub = xasprintf("%s.%.*s", path, (int)(j->p - k), k);
		j->p++;
		ok = value(j, sub, '}', depth + 1);
		free(sub);
		if (!ok)
			return false;
		if (j->p + 1 < j->end && j->p[0] == ',' && j->p[1] == ' ')
			j->p += 2;
		else if (j->p >= j->end || *j->p != '}')
			return false;
	}
	if (j->p >= j->end)
		return false;
	j->p++; /* '}' */
	return true;
}

static bool list(jm *j, const char *path, int depth)
{
	size_t i = 0;

	j->p++; /* '[' */
	while (j->p < j->end && *j->p != ']') {
		char *sub = xasprintf("%s[%zu]", path, i++);
		bool ok = value(j, sub, ']', depth + 1);

		free(sub);
		if (!ok)
			return false;
		if (j->p + 1 < j->end && j->p[0] == ',' && j->p[1] == ' ')
			j->p += 2;
		else if (j->p >= j->end || *j->p != ']')
			return false;
	}
	if (j->p >= j->end)
		return false;
	j->p++; /* ']' */
	return true;
}

static bool value(jm *j, const char *path, char in, int depth)
{
	if (depth < MAX_DEPTH && j->p < j->end && *j->p == '{')
		return map(j, path, depth);
	if (depth < MAX_DEPTH && j->p < j->end && *j->p == '[')
		return list(j, path, depth);
	scalar(j, path, in);
	return true;
}

bool javamap_flatten(const char *s, const char *base, flat *out)
{
	size_t n = strlen(s);
	flat tmp = {0};
	jm j = {s, s + n, &tmp};
	bool ok;

	if (n < 2 ||
	    !((s[0] == '{' && s[n - 1] == '}' && key_eq(s + 1, s + n)) ||
	      (s[0] == '[' && s[n - 1] == ']' && n > 2 &&
	       (s[1] == '{' || s[1] == '['))))
		return false;
	ok = value(&j, base, s[0] == '{' ? '}' : ']', 0) && j.p == j.end;
	if (ok)
		for (size_t i = 0; i < tmp.n; i++)
			flat_add(out, tmp.v[i].path, tmp.v[i].type,
				 tmp.v[i].val);
	flat_free(&tmp);
	return ok;
}
