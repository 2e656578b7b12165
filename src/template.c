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
	for (int i = 0; i < t->ncharts; i++) {
		free(t->charts[i].kind);
		free(t->charts[i].part);
		free(t->charts[i].cat);
		free(t->charts[i].val);
		free(t->charts[i].title);
	}
	free(t->chart_also);
	for (int i = 0; i < t->nparts; i++) {
		free(t->parts[i].name);
		free(t->parts[i].query);
		free(t->parts[i].caption);
	}
	for (int i = 0; i < t->nlinks; i++)
		free(t->links[i]);
	for (int i = 0; i < t->nblanks; i++) {
		free(t->blanks[i].column);
		free(t->blanks[i].text);
	}
	free(t->empty);
	free(t->empty_if_query);
	free(t->empty_if);
	for (int i = 0; i < t->nlabels; i++) {
		free(t->labels[i].column);
		free(t->labels[i].value);
		free(t->labels[i].label);
	}
	free(t->labels);
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

bool tmpl_is_link(const tmpl *t, const char *name)
{
	for (int i = 0; i < t->nlinks; i++)
		if (strcmp(t->links[i], name) == 0)
			return true;
	return false;
}

const char *tmpl_blank_text(const tmpl *t, const char *name)
{
	for (int i = 0; i < t->nblanks; i++)
		if (strcmp(t->blanks[i].column, name) == 0)
			return t->blanks[i].text;
	return NULL;
}

int tmpl_queries(const tmpl *t, const char *out[TMPL_MAX_QUERIES])
{
	int n = 0;

	out[n++] = t->query;
	for (int i = 0; i < t->nparts; i++)
		if (t->parts[i].query)
			out[n++] = t->parts[i].query;
	if (t->empty_if_query)
		out[n++] = t->empty_if_query;
	return n;
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
	/* In tmpl_type's order. */
	static const char *const names[] = {"text",	"int",	     "number",
					    "datetime", "local",     "percent",
					    "auto",	"percent100"};

	for (int i = 0; i < (int)(sizeof names / sizeof names[0]); i++)
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

static int parse_op(const char *s)
{
	static const char *const ops[] = {"=", "!=", ">", ">=", "<", "<="};

	for (int i = 0; i < 6; i++)
		if (strcmp(ops[i], s) == 0)
			return i;
	return -1;
}

/* Adds a conditional-formatting rule; false when the line is malformed. */
static bool add_rule(tmpl *t, const char *col, int op, const char *val,
		     const char *sty)
{
	int st = sty ? parse_style(sty) : -1;

	if (!col || op < 0 || !val || st < 0 || t->nhl == TMPL_MAX_HIGHLIGHTS)
		return false;
	t->hl[t->nhl].column = xstrdup(col);
	t->hl[t->nhl].value = xstrdup(val);
	t->hl[t->nhl].op = (tmpl_op)op;
	t->hl[t->nhl].style = (tmpl_style)st;
	t->nhl++;
	return true;
}

/* Splits "PART.COLUMN" into *part (NULL when no dot) and the column. */
static char *chart_ref(char *ref, char **part)
{
	char *dot = strchr(ref, '.');

	*part = NULL;
	if (!dot)
		return ref;
	*dot = '\0';
	*part = ref;
	return dot + 1;
}

static bool add_chart(tmpl *t, char **p)
{
	char *kind = word(p), *cat = word(p), *val = word(p);
	char *cpart, *vpart;
	tmpl_chart *c;

	if (!kind || !cat || !val || t->ncharts == TMPL_MAX_CHARTS ||
	    (strcmp(kind, "bar") && strcmp(kind, "column") &&
	     strcmp(kind, "pie") && strcmp(kind, "line")))
		return false;
	cat = chart_ref(cat, &cpart);
	val = chart_ref(val, &vpart);
	if ((cpart || vpart) && (!cpart || !vpart || strcmp(cpart, vpart) != 0))
		return false;
	c = &t->charts[t->ncharts++];
	c->kind = xstrdup(kind);
	c->part = cpart && strcmp(cpart, "main") ? xstrdup(cpart) : NULL;
	c->cat = xstrdup(cat);
	c->val = xstrdup(val);
	c->title = xstrdup(rest(p));
	return true;
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

			if (!add_rule(t, col, TO_EQ, val, sty)) {
				err = diag_error(
					DDM_ERR_DATA, where,
					"expected: highlight COLUMN VALUE "
					"bad|warn|good");
				break;
			}
		} else if (strcmp(d, "when") == 0) {
			char *col = word(&p), *op = word(&p), *val = word(&p);
			char *sty = word(&p);

			if (!add_rule(t, col, op ? parse_op(op) : -1, val,
				      sty)) {
				err = diag_error(
					DDM_ERR_DATA, where,
					"expected: when COLUMN =|!=|>|>=|<|<= "
					"VALUE bad|warn|good");
				break;
			}
		} else if (strcmp(d, "chart") == 0) {
			if (!add_chart(t, &p)) {
				err = diag_error(
					DDM_ERR_DATA, where,
					"expected: chart bar|column|line|pie "
					"[PART.]CATEGORY_COL [PART.]VALUE_COL "
					"TITLE (at most %d)",
					TMPL_MAX_CHARTS);
				break;
			}
		} else if (strcmp(d, "chart_also") == 0) {
			free(t->chart_also);
			t->chart_also = xstrdup(rest(&p));
		} else if (strcmp(d, "part") == 0) {
			char *name = word(&p), *query = word(&p);
			tmpl_part *pt;

			if (!name || !query || t->nparts == TMPL_MAX_PARTS) {
				err = diag_error(DDM_ERR_DATA, where,
						 "expected: part NAME QUERY "
						 "CAPTION (at most %d)",
						 TMPL_MAX_PARTS);
				break;
			}
			pt = &t->parts[t->nparts++];
			pt->name = xstrdup(name);
			pt->query =
				strcmp(name, "main") ? xstrdup(query) : NULL;
			pt->caption = xstrdup(rest(&p));
		} else if (strcmp(d, "link") == 0) {
			char *w;

			while ((w = word(&p)) != NULL &&
			       t->nlinks < TMPL_MAX_LINKS)
				t->links[t->nlinks++] = xstrdup(w);
		} else if (strcmp(d, "blank") == 0) {
			char *col = word(&p);

			if (!col || t->nblanks == TMPL_MAX_COLS) {
				err = diag_error(DDM_ERR_DATA, where,
						 "expected: blank COLUMN TEXT");
				break;
			}
			t->blanks[t->nblanks].column = xstrdup(col);
			t->blanks[t->nblanks].text = xstrdup(rest(&p));
			t->nblanks++;
		} else if (strcmp(d, "empty") == 0) {
			free(t->empty);
			t->empty = xstrdup(rest(&p));
		} else if (strcmp(d, "empty_if") == 0) {
			char *query = word(&p);

			if (!query) {
				err = diag_error(DDM_ERR_DATA, where,
						 "expected: empty_if QUERY "
						 "TEXT");
				break;
			}
			free(t->empty_if_query);
			free(t->empty_if);
			t->empty_if_query = xstrdup(query);
			t->empty_if = xstrdup(rest(&p));
		} else if (strcmp(d, "fit_page") == 0) {
			t->fit_page = strcmp(rest(&p), "yes") == 0;
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

/*
 * Reads templates/labels.map (COLUMN VALUE LABEL... per line, # comments)
 * into a malloc'd array.  A missing file means no labels.
 */
static ddm_err load_labels(tmpl_label **out, int *n)
{
	const resource *r;
	char *text, *next;
	int cap = 0, lineno = 0;
	ddm_err err = DDM_OK;
	char **names = res_list("templates", ".map");
	bool found = false;

	*out = NULL;
	*n = 0;
	for (char **p = names; *p; p++)
		found = found || strcmp(*p, "templates/labels.map") == 0;
	res_list_free(names);
	if (!found)
		return DDM_OK;
	err = res_load("templates/labels.map", &r);
	if (err)
		return err;
	text = next = xstrdup(r->text);
	while (err == DDM_OK && next) {
		char *line = next, *p = line, *col, *val, *label;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		col = word(&p);
		if (!col || *col == '#')
			continue;
		val = word(&p);
		label = rest(&p);
		if (!val || !*label) {
			char where[300];

			snprintf(where, sizeof where, "%s:%d", r->origin,
				 lineno);
			err = diag_error(DDM_ERR_DATA, where,
					 "expected: COLUMN VALUE LABEL");
			break;
		}
		if (*n == cap) {
			cap = cap ? cap * 2 : 32;
			*out = xrealloc(*out, (size_t)cap * sizeof **out);
		}
		(*out)[*n].column = xstrdup(col);
		(*out)[*n].value = xstrdup(val);
		(*out)[*n].label = xstrdup(label);
		(*n)++;
	}
	free(text);
	return err;
}

/* A copy of the label list for one template. */
static void copy_labels(tmpl *t, const tmpl_label *l, int n)
{
	if (n == 0)
		return;
	t->labels = xcalloc((size_t)n, sizeof *t->labels);
	for (int i = 0; i < n; i++) {
		t->labels[i].column = xstrdup(l[i].column);
		t->labels[i].value = xstrdup(l[i].value);
		t->labels[i].label = xstrdup(l[i].label);
	}
	t->nlabels = n;
}

ddm_err tmpl_load_all(tmpl **out, int *n)
{
	char **names = res_list("templates", ".tmpl");
	int count = 0;
	tmpl *list;
	ddm_err err = DDM_OK;

	for (char **p = names; *p; p++)
		count++;
	tmpl_label *labels = NULL;
	int nlabels = 0;

	list = xcalloc((size_t)(count ? count : 1), sizeof *list);
	err = load_labels(&labels, &nlabels);
	for (int i = 0; i < count && err == DDM_OK; i++) {
		const resource *r;

		err = res_load(names[i], &r);
		if (err == DDM_OK)
			err = parse(r, &list[i]);
		if (err == DDM_OK)
			copy_labels(&list[i], labels, nlabels);
	}
	for (int i = 0; i < nlabels; i++) {
		free(labels[i].column);
		free(labels[i].value);
		free(labels[i].label);
	}
	free(labels);
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
