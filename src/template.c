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

/*
 * One function per directive: each reads the rest of its line from *p
 * into t, or says what it expected (where: "FILE:LINE").
 */
typedef ddm_err (*directive_fn)(tmpl *t, char **p, const char *where);

static char **text_slot(tmpl *t, const char *d)
{
	if (strcmp(d, "report") == 0)
		return &t->report;
	if (strcmp(d, "query") == 0)
		return &t->query;
	if (strcmp(d, "title") == 0)
		return &t->title;
	if (strcmp(d, "chart_also") == 0)
		return &t->chart_also;
	return &t->empty; /* "empty" */
}

static ddm_err dir_sheet(tmpl *t, char **p, const char *where)
{
	char *s = rest(p);

	if (strlen(s) > 31 || strpbrk(s, ":\\/?*[]") || !*s)
		return diag_error(DDM_ERR_DATA, where,
				  "sheet name must be 1-31 "
				  "characters without : \\ / ? * [ ]");
	free(t->sheet);
	t->sheet = xstrdup(s);
	return DDM_OK;
}

static ddm_err dir_order(tmpl *t, char **p, const char *where)
{
	(void)where;
	t->order = atoi(rest(p));
	return DDM_OK;
}

/* The words of the rest of the line into list (at most max). */
static void add_words(char **p, char **list, int *n, int max)
{
	char *w;

	while ((w = word(p)) != NULL && *n < max)
		list[(*n)++] = xstrdup(w);
}

static ddm_err dir_personal(tmpl *t, char **p, const char *where)
{
	(void)where;
	add_words(p, t->personal, &t->npersonal, TMPL_MAX_COLS);
	return DDM_OK;
}

static ddm_err dir_link(tmpl *t, char **p, const char *where)
{
	(void)where;
	add_words(p, t->links, &t->nlinks, TMPL_MAX_LINKS);
	return DDM_OK;
}

static ddm_err dir_max_rows(tmpl *t, char **p, const char *where)
{
	char *end;
	long n = strtol(rest(p), &end, 10);

	if (*end || n < 1 || n > TMPL_SHEET_ROWS)
		return diag_error(DDM_ERR_DATA, where,
				  "max_rows must be 1 to %ld", TMPL_SHEET_ROWS);
	t->max_rows = n;
	return DDM_OK;
}

/* csv no, fit_page yes: a yes/no switch. */
static ddm_err dir_csv(tmpl *t, char **p, const char *where)
{
	(void)where;
	t->csv = strcmp(rest(p), "no") != 0;
	return DDM_OK;
}

static ddm_err dir_fit_page(tmpl *t, char **p, const char *where)
{
	(void)where;
	t->fit_page = strcmp(rest(p), "yes") == 0;
	return DDM_OK;
}

static ddm_err dir_col(tmpl *t, char **p, const char *where)
{
	char *name = word(p), *width = word(p), *type = word(p);
	char *header = rest(p);
	int ty = type ? parse_type(type) : -1;
	tmpl_col *c;

	if (!name || !width || ty < 0 || t->ncols == TMPL_MAX_COLS)
		return diag_error(DDM_ERR_DATA, where,
				  "expected: col NAME WIDTH "
				  "text|int|number|datetime|local HEADER");
	c = &t->cols[t->ncols++];
	c->name = xstrdup(name);
	c->width = atof(width);
	c->type = (tmpl_type)ty;
	c->header = xstrdup(*header ? header : name);
	return DDM_OK;
}

static ddm_err dir_highlight(tmpl *t, char **p, const char *where)
{
	char *col = word(p), *val = word(p), *sty = word(p);

	if (!add_rule(t, col, TO_EQ, val, sty))
		return diag_error(DDM_ERR_DATA, where,
				  "expected: highlight COLUMN VALUE "
				  "bad|warn|good");
	return DDM_OK;
}

static ddm_err dir_when(tmpl *t, char **p, const char *where)
{
	char *col = word(p), *op = word(p), *val = word(p), *sty = word(p);

	if (!add_rule(t, col, op ? parse_op(op) : -1, val, sty))
		return diag_error(DDM_ERR_DATA, where,
				  "expected: when COLUMN =|!=|>|>=|<|<= "
				  "VALUE bad|warn|good");
	return DDM_OK;
}

static ddm_err dir_chart(tmpl *t, char **p, const char *where)
{
	if (!add_chart(t, p))
		return diag_error(DDM_ERR_DATA, where,
				  "expected: chart bar|column|line|pie "
				  "[PART.]CATEGORY_COL [PART.]VALUE_COL "
				  "TITLE (at most %d)",
				  TMPL_MAX_CHARTS);
	return DDM_OK;
}

static ddm_err dir_part(tmpl *t, char **p, const char *where)
{
	char *name = word(p), *query = word(p);
	tmpl_part *pt;

	if (!name || !query || t->nparts == TMPL_MAX_PARTS)
		return diag_error(DDM_ERR_DATA, where,
				  "expected: part NAME QUERY CAPTION "
				  "(at most %d)",
				  TMPL_MAX_PARTS);
	pt = &t->parts[t->nparts++];
	pt->name = xstrdup(name);
	pt->query = strcmp(name, "main") ? xstrdup(query) : NULL;
	pt->caption = xstrdup(rest(p));
	return DDM_OK;
}

static ddm_err dir_blank(tmpl *t, char **p, const char *where)
{
	char *col = word(p);

	if (!col || t->nblanks == TMPL_MAX_COLS)
		return diag_error(DDM_ERR_DATA, where,
				  "expected: blank COLUMN TEXT");
	t->blanks[t->nblanks].column = xstrdup(col);
	t->blanks[t->nblanks].text = xstrdup(rest(p));
	t->nblanks++;
	return DDM_OK;
}

static ddm_err dir_empty_if(tmpl *t, char **p, const char *where)
{
	char *query = word(p);

	if (!query)
		return diag_error(DDM_ERR_DATA, where,
				  "expected: empty_if QUERY TEXT");
	free(t->empty_if_query);
	free(t->empty_if);
	t->empty_if_query = xstrdup(query);
	t->empty_if = xstrdup(rest(p));
	return DDM_OK;
}

static const struct directive {
	const char *name;
	directive_fn fn; /* NULL: the rest of the line, into text_slot() */
} directives[] = {
	{"report", NULL},
	{"query", NULL},
	{"title", NULL},
	{"chart_also", NULL},
	{"empty", NULL},
	{"order", dir_order},
	{"sheet", dir_sheet},
	{"personal", dir_personal},
	{"max_rows", dir_max_rows},
	{"csv", dir_csv},
	{"col", dir_col},
	{"highlight", dir_highlight},
	{"when", dir_when},
	{"chart", dir_chart},
	{"part", dir_part},
	{"link", dir_link},
	{"blank", dir_blank},
	{"empty_if", dir_empty_if},
	{"fit_page", dir_fit_page},
};

static ddm_err parse(const resource *r, tmpl *t)
{
	char *text = xstrdup(r->text), *next = text;
	int lineno = 0;
	ddm_err err = DDM_OK;

	t->csv = true;
	t->max_rows = TMPL_SHEET_ROWS;
	while (err == DDM_OK && next) {
		char *line = next, *p, *d;
		const struct directive *dir = NULL;
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
		for (size_t i = 0; i < sizeof directives / sizeof *directives;
		     i++)
			if (strcmp(d, directives[i].name) == 0)
				dir = &directives[i];
		if (!dir) {
			err = diag_error(DDM_ERR_DATA, where,
					 "unknown directive %s", diag_q(d));
		} else if (dir->fn) {
			err = dir->fn(t, &p, where);
		} else {
			char **slot = text_slot(t, d);

			free(*slot);
			*slot = xstrdup(rest(&p));
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
