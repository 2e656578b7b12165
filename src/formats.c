/*
 * formats.c - loads the input-format files and answers "what is this
 * header" and "what does this vendor word mean".
 *
 * Part of the ingest stage.  Status words are mapped once per distinct raw
 * value: a small memo per format keeps a million-row export from running a
 * million regular-expression searches.
 */
#define _DEFAULT_SOURCE
#include "formats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "res.h"
#include "rx.h"
#include "util.h"

#define MAX_RULES 128
#define MAX_ALIASES 8
#define MEMO 64

static const char *const field_names[F__COUNT] = {
	"serial_number",
	"status",
	"reported_at",
	"device_name",
	"user",
	"group",
	"platform",
	"model",
	"os_version",
	"build_version",
	"extra_version",
	"target_os_version",
	"target_build_version",
	"target_local_datetime",
	"time_zone",
	"failure_count",
	"failure_reason",
	"last_check_in",
	"details_url",
	"jamf_id",
	"declaration_id",
	"jamf_mobile_device_id",
	"management_id",
	"item_type",
	"enforcement_time_zone",
	"last_inventory_update",
	"managed",
};

static const char *const kind_names[KIND__COUNT] = {"status", "inventory",
						    "targets"};

static const char *const statuses[] = {
	"Pending", "Downloading", "Cached",	  "Installing", "Pass",
	"Error",   "Unknown",	  "Incompatible", "Excluded",	"Idle",
};

typedef struct rule {
	rx *re;		   /* owned */
	const char *value; /* static string from statuses[] or platforms */
	char *owned;	   /* owned copy when value is not static */
} rule;

typedef struct memo_entry {
	char key[48];
	size_t klen;
	const char *status;
	size_t reason_off, reason_len; /* reason span within key; len 0 none */
	bool has_reason;
} memo_entry;

struct format {
	char *name;   /* owned */
	char *origin; /* owned: resource name, for messages */
	format_kind kind;
	int priority;
	rx *header; /* owned; NULL when absent */
	bool require[F__COUNT];
	char *alias[F__COUNT][MAX_ALIASES]; /* owned; NULL-terminated lists */
	rule status[MAX_RULES];
	size_t nstatus;
	rx *value[F__COUNT];	  /* owned: "value FIELD REGEX" extractions */
	int only_field;		  /* "only FIELD REGEX": rows kept; -1 none */
	rx *only;		  /* owned */
	const char *reason_for;	  /* "reason_for STATUS"; NULL: any status */
	bool untimed;		  /* "untimed keep": rows without a time */
	char *deflt[F__COUNT];	  /* owned: "default FIELD VALUE [REGEX]" */
	rx *deflt_when[F__COUNT]; /* owned; NULL: any header */
	memo_entry memo[MEMO];
	size_t nmemo;
};

struct formats {
	format **list; /* owned */
	size_t n;
	rule status[MAX_RULES]; /* words.map defaults */
	size_t nstatus;
	rule platform[MAX_RULES];
	size_t nplatform;
	rule model[MAX_RULES];
	size_t nmodel;
	char expected[512];
};

const char *field_name(field_id f)
{
	return (unsigned)f < F__COUNT ? field_names[f] : "?";
}

const char *format_kind_name(format_kind k)
{
	return (unsigned)k < KIND__COUNT ? kind_names[k] : "?";
}

const char *format_name(const format *f)
{
	return f->name;
}

format_kind format_kind_of(const format *f)
{
	return f->kind;
}

static int field_lookup(const char *name)
{
	for (int i = 0; i < F__COUNT; i++)
		if (strcmp(field_names[i], name) == 0)
			return i;
	return -1;
}

static const char *status_lookup(const char *name)
{
	for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++)
		if (str_ieq(statuses[i], name))
			return statuses[i];
	return NULL;
}

static void free_rules(rule *r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		rx_free(r[i].re);
		free(r[i].owned);
	}
}

static void format_free(format *f)
{
	if (!f)
		return;
	free(f->name);
	free(f->origin);
	rx_free(f->header);
	for (int i = 0; i < F__COUNT; i++)
		for (int j = 0; j < MAX_ALIASES && f->alias[i][j]; j++)
			free(f->alias[i][j]);
	free_rules(f->status, f->nstatus);
	for (int i = 0; i < F__COUNT; i++)
		rx_free(f->value[i]);
	rx_free(f->only);
	for (int i = 0; i < F__COUNT; i++) {
		free(f->deflt[i]);
		rx_free(f->deflt_when[i]);
	}
	free(f);
}

void formats_free(formats *fs)
{
	if (!fs)
		return;
	for (size_t i = 0; i < fs->n; i++)
		format_free(fs->list[i]);
	free(fs->list);
	free_rules(fs->status, fs->nstatus);
	free_rules(fs->platform, fs->nplatform);
	free_rules(fs->model, fs->nmodel);
	free(fs);
}

/* Splits line into whitespace-separated words in place; returns count. */
static int split_words(char *line, char **w, int max)
{
	int n = 0;
	char *save = NULL;

	for (char *t = strtok_r(line, " \t\r", &save); t && n < max;
	     t = strtok_r(NULL, " \t\r", &save))
		w[n++] = t;
	return n;
}

/* Adds a "REGEX VALUE" rule; status values are checked against the list. */
static ddm_err add_rule(rule *rules, size_t *n, char **w, int nw,
			const char *where, bool is_status)
{
	rule *r;
	const char *value;
	ddm_err err;

	if (nw != 3)
		return diag_error(DDM_ERR_DATA, where,
				  "expected: %s REGEX VALUE", w[0]);
	if (*n == MAX_RULES)
		return diag_error(DDM_ERR_DATA, where, "too many rules");
	value = is_status ? status_lookup(w[2]) : NULL;
	if (is_status && !value)
		return diag_error(
			DDM_ERR_DATA, where,
			"unknown status %s (expected Pending, "
			"Downloading, Cached, Installing, Pass, Error, "
			"Unknown, Incompatible, Excluded or Idle)",
			diag_q(w[2]));
	r = &rules[*n];
	err = rx_compile(w[1], true, where, &r->re);
	if (err)
		return err;
	if (!value)
		value = r->owned = xstrdup(w[2]);
	r->value = value;
	(*n)++;
	return DDM_OK;
}

/* The canonical field a format line names, or an error at where. */
static ddm_err known_field(const char *name, const char *where, int *id)
{
	*id = field_lookup(name);
	if (*id < 0)
		return diag_error(DDM_ERR_DATA, where, "unknown field %s",
				  diag_q(name));
	return DDM_OK;
}

static ddm_err parse_file(formats *fs, const resource *res, format *f)
{
	char *text = xstrdup(res->text);
	char *save = NULL;
	int lineno = 0;
	ddm_err err = DDM_OK;
	char *line, *next = text;

	while (err == DDM_OK && next) {
		char *w[3 + MAX_ALIASES];
		char where[300];
		int nw;

		line = next;
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		if (*line == '#' || strspn(line, " \t\r") == strlen(line))
			continue;
		snprintf(where, sizeof where, "%s:%d", res->origin, lineno);
		/* A regex may hold spaces only as \s; split on blanks. */
		nw = split_words(line, w, 3 + MAX_ALIASES);
		if (strcmp(w[0], "status") == 0) {
			err = f ? add_rule(f->status, &f->nstatus, w, nw, where,
					   true)
				: add_rule(fs->status, &fs->nstatus, w, nw,
					   where, true);
		} else if (!f && strcmp(w[0], "platform") == 0) {
			err = add_rule(fs->platform, &fs->nplatform, w, nw,
				       where, false);
		} else if (!f && strcmp(w[0], "model") == 0) {
			err = add_rule(fs->model, &fs->nmodel, w, nw, where,
				       false);
		} else if (f && strcmp(w[0], "format") == 0 && nw == 2) {
			free(f->name);
			f->name = xstrdup(w[1]);
		} else if (f && strcmp(w[0], "kind") == 0 && nw == 2) {
			int k;

			for (k = 0; k < KIND__COUNT; k++)
				if (strcmp(kind_names[k], w[1]) == 0)
					break;
			if (k == KIND__COUNT)
				err = diag_error(DDM_ERR_DATA, where,
						 "unknown kind %s",
						 diag_q(w[1]));
			f->kind = (format_kind)k;
		} else if (f && strcmp(w[0], "priority") == 0 && nw == 2) {
			f->priority = atoi(w[1]);
		} else if (f && strcmp(w[0], "header") == 0 && nw == 2) {
			err = rx_compile(w[1], true, where, &f->header);
		} else if (f && strcmp(w[0], "require") == 0 && nw >= 2) {
			for (int i = 1; i < nw && err == DDM_OK; i++) {
				int id = field_lookup(w[i]);

				if (id < 0)
					err = diag_error(DDM_ERR_DATA, where,
							 "unknown field %s",
							 diag_q(w[i]));
				else
					f->require[id] = true;
			}
		} else if (f && nw == 3 &&
			   (strcmp(w[0], "value") == 0 ||
			    strcmp(w[0], "only") == 0)) {
			bool only = w[0][0] == 'o';
			int id;

			err = known_field(w[1], where, &id);
			if (err)
				break;
			if (only)
				f->only_field = id;
			rx_free(only ? f->only : f->value[id]);
			err = rx_compile(w[2], true, where,
					 only ? &f->only : &f->value[id]);
		} else if (f && strcmp(w[0], "reason_for") == 0 && nw == 2) {
			f->reason_for = status_lookup(w[1]);
			if (!f->reason_for)
				err = diag_error(DDM_ERR_DATA, where,
						 "unknown status %s",
						 diag_q(w[1]));
		} else if (f && strcmp(w[0], "default") == 0 &&
			   (nw == 3 || nw == 4)) {
			int id;

			err = known_field(w[1], where, &id);
			if (err)
				break;
			free(f->deflt[id]);
			f->deflt[id] = xstrdup(w[2]);
			rx_free(f->deflt_when[id]);
			f->deflt_when[id] = NULL;
			if (nw == 4)
				err = rx_compile(w[3], true, where,
						 &f->deflt_when[id]);
		} else if (f && strcmp(w[0], "untimed") == 0 && nw == 2 &&
			   strcmp(w[1], "keep") == 0) {
			f->untimed = true;
		} else if (f && strcmp(w[0], "field") == 0 && nw >= 3) {
			int id;

			err = known_field(w[1], where, &id);
			if (err)
				break;
			for (int i = 2, j = 0; i < nw && j < MAX_ALIASES - 1;
			     i++, j++) {
				free(f->alias[id][j]);
				f->alias[id][j] = xstrdup(w[i]);
			}
		} else {
			err = diag_error(DDM_ERR_DATA, where,
					 "unknown or malformed directive %s",
					 diag_q(w[0]));
		}
		(void)save;
	}
	free(text);
	if (err == DDM_OK && f && !f->name)
		err = diag_error(DDM_ERR_DATA, res->origin,
				 "no 'format NAME' line");
	return err;
}

ddm_err formats_load(formats **out)
{
	formats *fs = xcalloc(1, sizeof *fs);
	const resource *words;
	char **names;
	ddm_err err;
	size_t used = 0;

	err = res_load("queries/formats/words.map", &words);
	if (err == DDM_OK)
		err = parse_file(fs, words, NULL);
	if (err) {
		formats_free(fs);
		return err;
	}
	names = res_list("queries/formats", ".fmt");
	for (char **p = names; *p && err == DDM_OK; p++) {
		const resource *r;
		format *f;

		err = res_load(*p, &r);
		if (err)
			break;
		f = xcalloc(1, sizeof *f);
		f->only_field = -1;
		f->origin = xstrdup(r->origin);
		err = parse_file(fs, r, f);
		if (err) {
			format_free(f);
			break;
		}
		fs->list = xrealloc(fs->list, (fs->n + 1) * sizeof *fs->list);
		fs->list[fs->n++] = f;
		used += (size_t)snprintf(fs->expected + used,
					 used < sizeof fs->expected
						 ? sizeof fs->expected - used
						 : 0,
					 "%s%s", used ? ", " : "", f->name);
		if (used >= sizeof fs->expected)
			used = sizeof fs->expected - 1;
	}
	res_list_free(names);
	if (err == DDM_OK && fs->n == 0)
		err = diag_error(DDM_ERR_DATA, "queries/formats",
				 "no input formats (*.fmt)");
	if (err) {
		formats_free(fs);
		return err;
	}
	*out = fs;
	return DDM_OK;
}

/* Normalises a header name into out (NUL-terminated, cut to cap-1). */
static void normalise(const char *s, size_t len, char *out, size_t cap)
{
	size_t o = 0;
	bool sep = false;

	while (len && (*s == ' ' || *s == '\t' || *s == '"')) {
		s++;
		len--;
	}
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t' ||
		       s[len - 1] == '\r' || s[len - 1] == '"'))
		len--;
	for (size_t i = 0; i < len && o + 1 < cap; i++) {
		char c = s[i];

		/* a no-break space (U+00A0: a header copied out of a web
		 * page) separates words as a space does */
		if (c == '\xC2' && i + 1 < len && s[i + 1] == '\xA0') {
			i++;
			sep = true;
			continue;
		}
		if (c == ' ' || c == '-' || c == '.' || c == '\t' || c == '_') {
			sep = true;
			continue;
		}
		if (sep && o > 0)
			out[o++] = '_';
		sep = false;
		if (o + 1 < cap)
			out[o++] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
	}
	out[o] = '\0';
}

/*
 * The column of field fid in the normalised header, or -1: its aliases
 * in the order the format lists them (the first one present wins), else a
 * column of the field's own name.
 */
static int header_column(const format *f, field_id fid, char (*norm)[64],
			 size_t n)
{
	if (!f->alias[fid][0]) {
		for (size_t i = 0; i < n; i++)
			if (strcmp(norm[i], field_names[fid]) == 0)
				return (int)i;
		return -1;
	}
	for (int j = 0; j < MAX_ALIASES && f->alias[fid][j]; j++)
		for (size_t i = 0; i < n; i++)
			if (strcmp(norm[i], f->alias[fid][j]) == 0)
				return (int)i;
	return -1;
}

const format *formats_detect(const formats *fs, const char *const *names,
			     const size_t *lens, size_t n, int col[F__COUNT])
{
	char(*norm)[64] = xcalloc(n ? n : 1, sizeof *norm);
	buf joined = {0};
	const format *best = NULL;
	int best_col[F__COUNT];

	for (size_t i = 0; i < n; i++) {
		normalise(names[i], lens[i], norm[i], sizeof norm[i]);
		if (i)
			buf_putc(&joined, ',');
		buf_puts(&joined, norm[i]);
	}
	buf_cstr(&joined);
	for (size_t k = 0; k < fs->n; k++) {
		const format *f = fs->list[k];
		int c[F__COUNT];
		bool ok = true;

		if (best && f->priority <= best->priority)
			continue;
		if (f->header &&
		    rx_match(f->header, joined.data, joined.len) != 1)
			continue;
		for (int fid = 0; fid < F__COUNT; fid++) {
			c[fid] = header_column(f, (field_id)fid, norm, n);
			if (f->require[fid] && c[fid] < 0)
				ok = false;
		}
		if (ok) {
			best = f;
			memcpy(best_col, c, sizeof best_col);
		}
	}
	if (best) {
		/* A field with no column takes the format's default when the
		 * header is the one the default is for. */
		for (int fid = 0; fid < F__COUNT; fid++)
			if (best_col[fid] < 0 && best->deflt[fid] &&
			    (!best->deflt_when[fid] ||
			     rx_match(best->deflt_when[fid], joined.data,
				      joined.len) == 1))
				best_col[fid] = FORMAT_COL_DEFAULT;
		memcpy(col, best_col, sizeof best_col);
	}
	buf_free(&joined);
	free(norm);
	return best;
}

const char *formats_expected(const formats *fs)
{
	return fs->expected;
}

int format_value(const format *f, field_id id, const char **s, size_t *len)
{
	const char *g;
	size_t gl;
	int m;

	if (!f || !f->value[id] || !*s)
		return 1;
	m = rx_match_group(f->value[id], *s, *len, 1, &g, &gl);
	if (m == 1 && g) {
		*s = g;
		*len = gl;
	}
	return m < 0 ? -1 : 1;
}

int format_row_wanted(const format *f, const char *s, size_t len)
{
	if (!f->only)
		return 1;
	return rx_match(f->only, s ? s : "", s ? len : 0);
}

const char *format_default(const format *f, field_id id)
{
	return f->deflt[id];
}

int format_only_field(const format *f)
{
	return f->only_field;
}

const char *format_reason_for(const format *f)
{
	return f->reason_for;
}

bool format_keeps_untimed(const format *f)
{
	return f->untimed;
}

/* Runs rules; returns the value, NULL for no match, or "" on match error.
 * A set capture group 1 is returned in *g1. */
static const char *run_rules(const rule *r, size_t n, const char *s, size_t len,
			     const char **g1, size_t *g1len)
{
	for (size_t i = 0; i < n; i++) {
		int m = rx_match_group(r[i].re, s, len, 1, g1, g1len);

		if (m < 0)
			return "";
		if (m == 1)
			return r[i].value;
	}
	return NULL;
}

const char *formats_status(const formats *fs, const format *cf, const char *s,
			   size_t len, const char **reason, size_t *reason_len)
{
	format *f = (format *)cf; /* the memo is a cache, not state */
	const char *g1 = NULL, *v;
	size_t g1len = 0;

	*reason = NULL;
	*reason_len = 0;
	while (len && (*s == ' ' || *s == '\t')) {
		s++;
		len--;
	}
	while (len &&
	       (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r'))
		len--;
	if (len == 0)
		return "Unknown";
	for (size_t i = 0; f && i < f->nmemo; i++) {
		memo_entry *m = &f->memo[i];

		if (m->klen == len && memcmp(m->key, s, len) == 0) {
			if (m->has_reason) {
				*reason = s + m->reason_off;
				*reason_len = m->reason_len;
			}
			return m->status;
		}
	}
	v = f ? run_rules(f->status, f->nstatus, s, len, &g1, &g1len) : NULL;
	if (!v)
		v = run_rules(fs->status, fs->nstatus, s, len, &g1, &g1len);
	if (v && !*v)
		return NULL;
	if (!v)
		v = "Unknown";
	if (g1 && g1len) {
		*reason = g1;
		*reason_len = g1len;
	}
	if (f && len < sizeof f->memo[0].key) {
		memo_entry *m =
			&f->memo[f->nmemo < MEMO ? f->nmemo++ : (len % MEMO)];

		memcpy(m->key, s, len);
		m->klen = len;
		m->status = v;
		m->has_reason = g1 && g1len;
		m->reason_off = g1 ? (size_t)(g1 - s) : 0;
		m->reason_len = g1len;
	}
	return v;
}

const char *formats_platform(const formats *fs, const char *s, size_t len)
{
	const char *g1;
	size_t g1len;
	const char *v =
		run_rules(fs->platform, fs->nplatform, s, len, &g1, &g1len);

	return v && *v ? v : NULL;
}

const char *formats_platform_of_model(const formats *fs, const char *s,
				      size_t len)
{
	const char *g1;
	size_t g1len;
	const char *v = run_rules(fs->model, fs->nmodel, s, len, &g1, &g1len);

	return v && *v ? v : NULL;
}
