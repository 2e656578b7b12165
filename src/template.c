/*
 * template.c - reads templates/NAME.tmpl (see template.h for the syntax).
 *
 * Part of the render stage.  Errors point at template file and line; a
 * sheet name Excel would refuse (over 31 characters, or one of : \ / ? * [ ])
 * is an error here rather than a corrupt workbook later.
 */
#include "template.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "res.h"
#include "util.h"

static void tmpl_free(tmpl *t)
{
	free(t->report);
	free(t->query);
	free(t->sheet);
	free(t->title);
	for (int i = 0; i < t->ncols; i++) {
		free(t->cols[i].name);
		free(t->cols[i].header);
	}
	for (int i = 0; i < t->nhl; i++) {
		free(t->hl[i].column);
		free(t->hl[i].value);
	}
	for (int i = 0; i < t->npersonal; i++)
		free(t->personal[i]);
	free(t->chart_kind);
	free(t->chart_cat);
	free(t->chart_val);
	free(t->chart_title);
}

void tmpl_free_all(tmpl *t, int n)
{
	if (!t)
		return;
	for (int i = 0; i < n; i++)
		tmpl_free(&t[i]);
	free(t);
}

bool tmpl_is_personal(const tmpl *t, const char *name)
{
	for (int i = 0; i < t->npersonal; i++)
		if (strcmp(t->personal[i], name) == 0)
			return true;
	return false;
}

const tmpl_col *tmpl_find_col(const tmpl *t, const char *name)
{
	for (int i = 0; i < t->ncols; i++)
		if (strcmp(t->cols[i].name, name) == 0)
			return &t->cols[i];
	return NULL;
}

/* Cuts the next blank-separated word off *p; NULL at end of line. */
static char *word(char **p)
{
	char *s = *p, *w;

	while (*s == ' ' || *s == '\t')
		s++;
	if (!*s)
		return NULL;
	w = s;
	while (*s && *s != ' ' && *s != '\t')
		s++;
	if (*s)
		*s++ = '\0';
	*p = s;
	return w;
}

/* The rest of the line, trimmed. */
static char *rest(char **p)
{
	char *s = str_trim(*p);

	*p = s + strlen(s);
	return s;
}

static int parse_type(const char *s)
{
	static const char *const names[] = {"text", "int", "number", "datetime",
					    "local"};

	for (int i = 0; i < 5; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	return -1;
}

static int parse_style(const char *s)
{
	if (strcmp(s, "bad") == 0)
		return TS_BAD;
	if (strcmp(s, "warn") == 0)
		return TS_WARN;
	if (strcmp(s, "good") == 0)
		return TS_GOOD;
	return -1;
}

static ddm_err parse(const resource *r, tmpl *t)
{
	char *text = xstrdup(r->text), *next = text;
	int lineno = 0;
	ddm_err err = DDM_OK;

	t->csv = true;
	t->max_rows = TMPL_SHEET_ROWS;
	while (err == DDM_OK && next) {
		char *line = next, *p, *d;
		char where[300];

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		p = line;
		d = word(&p);
		if (!d || *d == '#')
			continue;
		snprintf(where, sizeof where, "%s:%d", r->origin, lineno);
		if (strcmp(d, "report") == 0) {
			t->report = xstrdup(rest(&p));
		} else if (strcmp(d, "order") == 0) {
			t->order = atoi(rest(&p));
		} else if (strcmp(d, "query") == 0) {
			t->query = xstrdup(rest(&p));
		} else if (strcmp(d, "sheet") == 0) {
			char *s = rest(&p);

			if (strlen(s) > 31 || strpbrk(s, ":\\/?*[]") || !*s)
				err = diag_error(
					DDM_ERR_DATA, where,
					"sheet name must be 1-31 "
					"characters without : \\ / ? * [ ]");
			else
				t->sheet = xstrdup(s);
		} else if (strcmp(d, "title") == 0) {
			t->title = xstrdup(rest(&p));
		} else if (strcmp(d, "personal") == 0) {
			char *w;

			while ((w = word(&p)) != NULL &&
			       t->npersonal < TMPL_MAX_COLS)
				t->personal[t->npersonal++] = xstrdup(w);
		} else if (strcmp(d, "max_rows") == 0) {
			char *end;
			long n = strtol(rest(&p), &end, 10);

			if (*end || n < 1 || n > TMPL_SHEET_ROWS)
				err = diag_error(DDM_ERR_DATA, where,
						 "max_rows must be 1 to %ld",
						 TMPL_SHEET_ROWS);
			else
				t->max_rows = n;
		} else if (strcmp(d, "csv") == 0) {
			t->csv = strcmp(rest(&p), "no") != 0;
		} else if (strcmp(d, "col") == 0) {
			char *name = word(&p), *width = word(&p),
			     *type = word(&p);
			char *header = rest(&p);
			int ty = type ? parse_type(type) : -1;
			tmpl_col *c;

			if (!name || !width || ty < 0 ||
			    t->ncols == TMPL_MAX_COLS) {
				err = diag_error(
					DDM_ERR_DATA, where,
					"expected: col NAME WIDTH "
					"text|int|number|datetime|local "
					"HEADER");
				break;
			}
			c = &t->cols[t->ncols++];
			c->name = xstrdup(name);
			c->width = atof(width);
			c->type = (tmpl_type)ty;
			c->header = xstrdup(*header ? header : name);
		} else if (strcmp(d, "highlight") == 0) {
			char *col = word(&p), *val = word(&p), *sty = word(&p);
			int st = sty ? parse_style(sty) : -1;

			if (!col || !val || st < 0 ||
			    t->nhl == TMPL_MAX_HIGHLIGHTS) {
				err = diag_error(
					DDM_ERR_DATA, where,
					"expected: highlight COLUMN VALUE "
					"bad|warn|good");
				break;
			}
			t->hl[t->nhl].column = xstrdup(col);
			t->hl[t->nhl].value = xstrdup(val);
			t->hl[t->nhl].style = (tmpl_style)st;
			t->nhl++;
		} else if (strcmp(d, "chart") == 0) {
			char *kind = word(&p), *cat = word(&p), *val = word(&p);

			if (!kind || !cat || !val ||
			    (strcmp(kind, "bar") && strcmp(kind, "column") &&
			     strcmp(kind, "pie") && strcmp(kind, "line"))) {
				err = diag_error(
					DDM_ERR_DATA, where,
					"expected: chart bar|column|line|pie "
					"CATEGORY_COL VALUE_COL TITLE");
				break;
			}
			t->chart_kind = xstrdup(kind);
			t->chart_cat = xstrdup(cat);
			t->chart_val = xstrdup(val);
			t->chart_title = xstrdup(rest(&p));
		} else {
			err = diag_error(DDM_ERR_DATA, where,
					 "unknown directive %s", diag_q(d));
		}
	}
	free(text);
	if (err == DDM_OK && (!t->report || !t->query || !t->sheet))
		err = diag_error(DDM_ERR_DATA, r->origin,
				 "a template needs report, query and sheet");
	if (err == DDM_OK && !t->title)
		t->title = xstrdup(t->sheet);
	return err;
}

static int cmp_order(const void *a, const void *b)
{
	const tmpl *x = a, *y = b;

	if (x->order != y->order)
		return x->order < y->order ? -1 : 1;
	return strcmp(x->report, y->report);
}

ddm_err tmpl_load_all(tmpl **out, int *n)
{
	char **names = res_list("templates", ".tmpl");
	int count = 0;
	tmpl *list;
	ddm_err err = DDM_OK;

	for (char **p = names; *p; p++)
		count++;
	list = xcalloc((size_t)(count ? count : 1), sizeof *list);
	for (int i = 0; i < count && err == DDM_OK; i++) {
		const resource *r;

		err = res_load(names[i], &r);
		if (err == DDM_OK)
			err = parse(r, &list[i]);
	}
	res_list_free(names);
	if (err) {
		tmpl_free_all(list, count);
		return err;
	}
	qsort(list, (size_t)count, sizeof *list, cmp_order);
	*out = list;
	*n = count;
	return DDM_OK;
}
