/*
 * ddm.c - JSON status documents into observations, targets and rejects.
 *
 * Pipeline position: ingest stage, called by ingest.c for every document
 * jsonin hands it.  A document is flattened by SQLite's json_tree (store.c)
 * into (path, value) leaves; its shape says which source it is; status
 * items are mapped to canonical fields by queries/formats/ddm-items.map.
 *
 * Merging is done in the database, not here: each report writes the fields
 * of the items it carries into ddm_item (later wins per field, a full
 * report drops older ones) and then the device's merged set becomes an
 * observation (statement ddm_observation).  Keeping the state in SQLite
 * means a nightly run continues from the last one, and a report ingested
 * out of order cannot overwrite a newer value.
 *
 * Identity: the report's serial number; else an enrollment id or UDID
 * (envelope, webhook, file or folder name) that an earlier report carrying
 * a serial was seen with (table enrollment).
 */
#define _DEFAULT_SOURCE
#include "ddm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "jsonin.h"
#include "plist.h"
#include "res.h"
#include "timeutil.h"
#include "util.h"
#include "version.h"

#define MAX_MAP 64
#define MAX_IDS 6
#define MAX_NOTES 20 /* errors / reasons kept per report */
#define MAX_CONFIGS 64

typedef struct map_entry {
	char *key;   /* owned: "softwareupdate.pending-version.os-version" */
	char *field; /* owned */
	char *item;  /* owned */
} map_entry;

struct ddm {
	store *store;	   /* borrowed */
	const formats *fs; /* borrowed */
	const char *tz;	   /* borrowed; NULL = UTC */
	map_entry map[MAX_MAP];
	size_t nmap;
	store_stmt *full, *put, *obs, *enr_put, *enr_get, *jamf, *raw_obs,
		*target, *feed_shape, *feed_entries, *feed_clear, *feed_stage,
		*feed_release; /* store-owned */
	buf tmp;	       /* scratch for store_stmt_text */
};

/* One scalar of a document: normalised path ("a.b[0].c"), type, value. */
typedef struct leaf {
	char *path; /* owned */
	char *type; /* owned */
	char *val;  /* owned; NULL for JSON null */
} leaf;

typedef struct leaves {
	leaf *v;
	size_t n, cap;
} leaves;

/* The context of one document while it is handled. */
typedef struct dctx {
	ddm *d;
	const ddm_file *f;
	ddm_counts *c;
	ddm_reject_fn reject;
	void *rctx;
	long line;
	const char *doc; /* for the raw column of a reject */
	size_t len;
} dctx;

/* ---- setup ----------------------------------------------------------- */

static ddm_err load_map(ddm *d)
{
	const resource *r;
	char *text, *line, *next, *save;
	int lineno = 0;
	ddm_err err = res_load("queries/formats/ddm-items.map", &r);

	if (err)
		return err;
	text = xstrdup(r->text);
	for (next = text; next && err == DDM_OK;) {
		char *w[4];
		int nw = 0;

		line = next;
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		if (*line == '#')
			continue;
		for (char *t = strtok_r(line, " \t\r", &save); t && nw < 4;
		     t = strtok_r(NULL, " \t\r", &save))
			w[nw++] = t;
		if (nw == 0)
			continue;
		if (nw < 2 || nw > 3 || d->nmap == MAX_MAP) {
			char where[300];

			snprintf(where, sizeof where, "%s:%d", r->origin,
				 lineno);
			err = diag_error(DDM_ERR_DATA, where,
					 nw > 3 || d->nmap < MAX_MAP
						 ? "expected: KEY FIELD [ITEM]"
						 : "too many keys");
			break;
		}
		d->map[d->nmap].key = xstrdup(w[0]);
		d->map[d->nmap].field = xstrdup(w[1]);
		d->map[d->nmap].item = xstrdup(nw == 3 ? w[2] : w[0]);
		d->nmap++;
	}
	free(text);
	return err;
}

void ddm_free(ddm *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->nmap; i++) {
		free(d->map[i].key);
		free(d->map[i].field);
		free(d->map[i].item);
	}
	buf_free(&d->tmp);
	free(d);
}

ddm_err ddm_new(store *s, const formats *fs, const char *source_tz, ddm **out)
{
	ddm *d = xcalloc(1, sizeof *d);
	ddm_err err;

	d->store = s;
	d->fs = fs;
	d->tz = source_tz;
	d->full = store_stmt_get(s, "ddm_full");
	d->put = store_stmt_get(s, "ddm_put");
	d->obs = store_stmt_get(s, "ddm_observation");
	d->enr_put = store_stmt_get(s, "enrollment_put");
	d->enr_get = store_stmt_get(s, "enrollment_get");
	d->jamf = store_stmt_get(s, "jamf_serial");
	d->raw_obs = store_stmt_get(s, "observation");
	d->target = store_stmt_get(s, "target");
	d->feed_shape = store_stmt_get(s, "feed_shape");
	d->feed_entries = store_stmt_get(s, "feed_entries");
	d->feed_clear = store_stmt_get(s, "feed_clear");
	d->feed_stage = store_stmt_get(s, "feed_stage");
	d->feed_release = store_stmt_get(s, "feed_release");
	if (!d->full || !d->put || !d->obs || !d->enr_put || !d->enr_get ||
	    !d->jamf || !d->raw_obs || !d->target || !d->feed_shape ||
	    !d->feed_entries || !d->feed_clear || !d->feed_stage ||
	    !d->feed_release) {
		ddm_free(d);
		return DDM_ERR_INTERNAL;
	}
	err = load_map(d);
	if (err) {
		ddm_free(d);
		return err;
	}
	*out = d;
	return DDM_OK;
}

/* ---- leaves ---------------------------------------------------------- */

static void leaves_free(leaves *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].path);
		free(l->v[i].type);
		free(l->v[i].val);
	}
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

static void leaves_add(leaves *l, const char *path, size_t plen,
		       const char *type, const char *val, size_t vlen)
{
	leaf *x;

	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 64;
		l->v = xrealloc(l->v, l->cap * sizeof *l->v);
	}
	x = &l->v[l->n++];
	x->path = xstrndup(path, plen);
	x->type = xstrdup(type);
	x->val = val ? xstrndup(val, vlen) : NULL;
}

/* json_tree's "$.a.\"b-c\"[0]" becomes "a.b-c[0]". */
static ddm_err on_leaf(void *ctx, const char *path, size_t plen,
		       const char *type, const char *val, size_t vlen)
{
	leaves *l = ctx;
	char *p = xmalloc(plen + 1);
	size_t o = 0, i = 0;

	if (plen && path[0] == '$')
		i = 1;
	if (i < plen && path[i] == '.')
		i++;
	for (; i < plen; i++)
		if (path[i] != '"')
			p[o++] = path[i];
	leaves_add(l, p, o, type, val, vlen);
	free(p);
	return DDM_OK;
}

/* Flattens doc; on bad JSON rejects it and returns DDM_OK with *ok false. */
static ddm_err flatten(dctx *x, const char *doc, size_t len, leaves *l,
		       bool *ok, const char *what)
{
	char why[200], reason[300];
	ddm_err err;

	*ok = false;
	err = store_json_leaves(x->d->store, doc, len, on_leaf, l, why,
				sizeof why);
	if (err == DDM_ERR_DATA) {
		leaves_free(l);
		snprintf(reason, sizeof reason, "%s is not valid JSON: %s",
			 what, why);
		x->c->rejected++;
		return x->reject(x->rctx, x->line, reason, doc, len);
	}
	if (err)
		return err;
	*ok = true;
	return DDM_OK;
}

/* The value at path pre+name within [lo, hi), or NULL. */
static const leaf *find(const leaves *l, size_t lo, size_t hi, const char *pre,
			const char *name)
{
	size_t pl = strlen(pre);

	for (size_t i = lo; i < hi; i++)
		if (strncmp(l->v[i].path, pre, pl) == 0 &&
		    strcmp(l->v[i].path + pl, name) == 0)
			return &l->v[i];
	return NULL;
}

static const char *val_of(const leaves *l, size_t lo, size_t hi,
			  const char *pre, const char *name)
{
	const leaf *x = find(l, lo, hi, pre, name);

	return x ? x->val : NULL;
}

static bool has_prefix(const leaves *l, size_t lo, size_t hi, const char *pre)
{
	size_t pl = strlen(pre);

	for (size_t i = lo; i < hi; i++)
		if (strncmp(l->v[i].path, pre, pl) == 0)
			return true;
	return false;
}

/* ---- helpers ----------------------------------------------------------- */

static ddm_err reject(dctx *x, const char *reason)
{
	x->c->rejected++;
	return x->reject(x->rctx, x->line, reason, x->doc, x->len);
}

/* Parses a time; one without a zone is read in the source zone. */
static bool parse_time(const ddm *d, const char *s, int64_t *out)
{
	bool had_zone;
	int64_t t;

	if (!s || !ts_parse(s, strlen(s), &t, &had_zone))
		return false;
	if (!had_zone && d->tz && !tz_wall_to_utc(d->tz, t, &t, NULL))
		return false;
	*out = t;
	return true;
}

static void upper(char *s)
{
	for (; *s; s++)
		if (*s >= 'a' && *s <= 'z')
			*s = (char)(*s - 32);
}

static ddm_err put(ddm *d, const char *serial, const char *field,
		   const char *value, int64_t t, int64_t file)
{
	store_stmt *st = d->put;

	store_bind_text(st, store_stmt_param(st, ":serial_number"), serial,
			strlen(serial));
	store_bind_text(st, store_stmt_param(st, ":field"), field,
			strlen(field));
	store_bind_text(st, store_stmt_param(st, ":value"), value,
			value ? strlen(value) : 0);
	store_bind_int(st, store_stmt_param(st, ":reported_at"), t);
	store_bind_int(st, store_stmt_param(st, ":file"), file);
	return store_stmt_run(st, NULL, NULL);
}

/* Strips "[n]" indexes: "a[3].b" -> "a[].b". */
static void strip_index(const char *p, char *out, size_t cap)
{
	size_t o = 0;

	for (; *p && o + 1 < cap; p++) {
		out[o++] = *p;
		if (*p == '[') {
			while (p[1] && p[1] != ']')
				p++;
		}
	}
	out[o] = '\0';
}

/* ---- one DDM report -------------------------------------------------- */

/* What the caller knows besides the report body. */
typedef struct report_meta {
	const char *ids[MAX_IDS]; /* enrollment ids / UDIDs, may be NULL */
	const char *serial;	  /* from an envelope, may be NULL */
	int64_t t;
	bool full_default; /* Jamf: the server's whole set */
} report_meta;

/* Collects "identifier: code (details)" notes of declaration reasons and
 * active configuration ids; bounded by MAX_NOTES / MAX_CONFIGS. */
static void declarations(const leaves *l, size_t lo, size_t hi, const char *pre,
			 buf *notes, buf *active)
{
	size_t pl = strlen(pre), nn = 0, na = 0;

	for (size_t i = lo; i < hi; i++) {
		const char *p = l->v[i].path, *r;
		char elem[512];
		size_t el;

		if (strncmp(p, pre, pl) != 0)
			continue;
		p += pl;
		r = strstr(p, ".reasons[");
		if (r && nn < MAX_NOTES &&
		    strcmp(r + strlen(r) - 5, ".code") == 0 && l->v[i].val) {
			const char *id, *det;
			char rpre[600];

			el = (size_t)(r - (l->v[i].path));
			if (el >= sizeof elem)
				continue;
			memcpy(elem, l->v[i].path, el);
			elem[el] = '\0';
			id = val_of(l, lo, hi, elem, ".identifier");
			snprintf(rpre, sizeof rpre, "%.*s",
				 (int)(strlen(l->v[i].path) - 5), l->v[i].path);
			det = val_of(l, lo, hi, rpre, ".details.Error");
			if (notes->len)
				buf_puts(notes, "; ");
			buf_puts(notes, id ? id : "?");
			buf_puts(notes, ": ");
			buf_puts(notes, l->v[i].val);
			if (det) {
				buf_puts(notes, " (");
				buf_puts(notes, det);
				buf_putc(notes, ')');
			}
			nn++;
		} else if (!r && na < MAX_CONFIGS &&
			   strncmp(p, "configurations[", 15) == 0 &&
			   strcmp(p + strlen(p) - 7, ".active") == 0 &&
			   strcmp(l->v[i].type, "true") == 0) {
			const char *id;

			el = strlen(l->v[i].path) - 7;
			if (el >= sizeof elem)
				continue;
			memcpy(elem, l->v[i].path, el);
			elem[el] = '\0';
			id = val_of(l, lo, hi, elem, ".identifier");
			if (id) {
				if (active->len)
					buf_putc(active, ' ');
				buf_puts(active, id);
				na++;
			}
		}
	}
}

/* Errors[]: "StatusItem: Code (Description)" notes. */
static void report_errors(const leaves *l, size_t lo, size_t hi,
			  const char *pre, buf *notes)
{
	size_t pl = strlen(pre), nn = 0;

	for (size_t i = lo; i < hi && nn < MAX_NOTES; i++) {
		const char *p = l->v[i].path;
		const char *last;

		if (strncmp(p, pre, pl) != 0 || !l->v[i].val)
			continue;
		last = strrchr(p, '.');
		last = last ? last + 1 : p;
		if (strcmp(last, "StatusItem") == 0) {
			if (notes->len)
				buf_puts(notes, "; ");
			buf_puts(notes, l->v[i].val);
			buf_putc(notes, ':');
			nn++;
		} else if (strcmp(last, "Code") == 0 ||
			   strcmp(last, "code") == 0) {
			if (!notes->len)
				buf_puts(notes, "report:");
			buf_putc(notes, ' ');
			buf_puts(notes, l->v[i].val);
		}
	}
}

/* What one report says, gathered from its leaves by collect(). */
typedef struct report_items {
	const char *vals[MAX_MAP]; /* value per map entry; NULL when absent */
	bool on[MAX_MAP];	   /* the entry's item is in the report */
	buf list[MAX_MAP];	   /* owned: joined values of "[]" entries */
	buf dnotes;		   /* owned: declaration reason notes */
	buf active;		   /* owned: active configuration ids */
	buf enotes;		   /* owned: the report's Errors */
	bool full;		   /* FullReport: replaces the device's set */
	bool decl; /* the report carries management.declarations */
} report_items;

static void items_free(report_items *r)
{
	for (size_t k = 0; k < MAX_MAP; k++)
		buf_free(&r->list[k]);
	buf_free(&r->dnotes);
	buf_free(&r->active);
	buf_free(&r->enotes);
}

/* Gathers the mapped status items, declarations, Errors and FullReport of
 * the report under pre in leaves [lo, hi).  r is zeroed first. */
static void collect(const ddm *d, const leaves *l, size_t lo, size_t hi,
		    const char *pre, bool full_default, report_items *r)
{
	char items[640], key[512];
	size_t ipl;
	const leaf *f;

	memset(r, 0, sizeof *r);
	r->full = full_default;
	snprintf(items, sizeof items, "%sStatusItems.", pre);
	ipl = strlen(items);
	for (size_t i = lo; i < hi; i++) {
		const char *p = l->v[i].path;

		if (strncmp(p, items, ipl) != 0)
			continue;
		strip_index(p + ipl, key, sizeof key);
		for (size_t k = 0; k < d->nmap; k++) {
			if (strcmp(d->map[k].key, key) != 0)
				continue;
			if (strstr(key, "[]")) {
				if (l->v[i].val) {
					if (r->list[k].len)
						buf_putc(&r->list[k], ',');
					buf_puts(&r->list[k], l->v[i].val);
				}
				r->vals[k] = buf_cstr(&r->list[k]);
			} else {
				r->vals[k] = l->v[i].val;
			}
			/* the whole item is present: all its fields */
			for (size_t j = 0; j < d->nmap; j++)
				if (strcmp(d->map[j].item, d->map[k].item) == 0)
					r->on[j] = true;
		}
	}
	/* an item given as an empty object or array still replaces */
	for (size_t k = 0; k < d->nmap; k++) {
		char ipre[600];
		int n = snprintf(ipre, sizeof ipre, "%s%s", items,
				 d->map[k].item);

		if (n < 0 || (size_t)n >= sizeof ipre)
			continue; /* no item path is that long */
		if (!r->on[k] && has_prefix(l, lo, hi, ipre))
			r->on[k] = true;
	}
	snprintf(key, sizeof key, "%sStatusItems.management.declarations.",
		 pre);
	r->decl = has_prefix(l, lo, hi, key);
	if (r->decl)
		declarations(l, lo, hi, key, &r->dnotes, &r->active);
	snprintf(key, sizeof key, "%sErrors[", pre);
	report_errors(l, lo, hi, key, &r->enotes);
	f = find(l, lo, hi, pre, "FullReport");
	if (f)
		r->full = strcmp(f->type, "true") == 0;
}

/* The value of the first map entry for field, or NULL. */
static const char *field_val(const ddm *d, const report_items *r,
			     const char *field)
{
	for (size_t k = 0; k < d->nmap; k++)
		if (strcmp(d->map[k].field, field) == 0 && r->vals[k])
			return r->vals[k];
	return NULL;
}

/*
 * Finds the report's serial (upper-cased into serial): its own
 * serial-number item, else the envelope's, else the serial an enrollment
 * id or UDID of it was seen with earlier.  When there is none the report
 * is rejected and serial is left empty.
 */
static ddm_err identify(dctx *x, const report_items *r, const report_meta *m,
			char serial[128])
{
	ddm *d = x->d;
	const char *own = field_val(d, r, "serial_number");
	const char *tried = field_val(d, r, "udid");
	const char *any = NULL;
	bool found = false;
	char why[300];
	ddm_err err;

	serial[0] = '\0';
	if (own && *own)
		snprintf(serial, 128, "%s", own);
	else if (m->serial && *m->serial)
		snprintf(serial, 128, "%s", m->serial);
	for (int i = 0; i < MAX_IDS + 1 && !*serial; i++) {
		const char *id = i < MAX_IDS ? m->ids[i] : tried;
		store_stmt *st = d->enr_get;

		if (!id || !*id)
			continue;
		store_bind_text(st, store_stmt_param(st, ":enrollment_id"), id,
				strlen(id));
		err = store_stmt_text(st, &d->tmp, &found);
		if (err)
			return err;
		if (found)
			snprintf(serial, 128, "%s", d->tmp.data);
		tried = tried ? tried : id;
	}
	if (*serial) {
		upper(serial);
		return DDM_OK;
	}
	for (int i = 0; i < MAX_IDS && !any; i++)
		if (m->ids[i] && *m->ids[i])
			any = m->ids[i];
	if (any)
		snprintf(why, sizeof why,
			 "report has no serial number and enrollment %s has "
			 "not been seen with one",
			 diag_q(any));
	else
		snprintf(why, sizeof why,
			 "report has no identity: no "
			 "device.identifier.serial-number and no enrollment "
			 "id");
	return reject(x, why);
}

/* Stores each item the report carries in the device's merged set (a
 * full report first drops what is older). */
static ddm_err apply(dctx *x, const char *serial, int64_t t,
		     const report_items *r)
{
	ddm *d = x->d;
	int64_t file = x->f->file_id;
	const char *pv = field_val(d, r, "platform");
	const char *platform =
		pv ? formats_platform(d->fs, pv, strlen(pv)) : NULL;
	const char *model = field_val(d, r, "model");
	ddm_err err = DDM_OK;

	if (r->full) {
		store_stmt *st = d->full;

		store_bind_text(st, store_stmt_param(st, ":serial_number"),
				serial, strlen(serial));
		store_bind_int(st, store_stmt_param(st, ":reported_at"), t);
		err = store_stmt_run(st, NULL, NULL);
	}
	for (size_t k = 0; k < d->nmap && !err; k++) {
		const char *f = d->map[k].field, *v = r->vals[k];

		if (!r->on[k] || strcmp(f, "udid") == 0 ||
		    strcmp(f, "serial_number") == 0)
			continue;
		if (strcmp(f, "status") == 0) {
			const char *reason;
			size_t rlen;
			const char *st =
				v ? formats_status(d->fs, NULL, v, strlen(v),
						   &reason, &rlen)
				  : NULL;

			err = put(d, serial, "status",
				  st ? st : (v ? "Unknown" : NULL), t, file);
			if (!err)
				err = put(d, serial, "status_raw", v, t, file);
		} else if (strcmp(f, "platform") == 0) {
			err = put(d, serial, f, platform ? platform : v, t,
				  file);
		} else {
			err = put(d, serial, f, v, t, file);
		}
	}
	if (!err && !platform && model) {
		const char *p =
			formats_platform_of_model(d->fs, model, strlen(model));

		if (p)
			err = put(d, serial, "platform", p, t, file);
	}
	if (!err && r->decl) {
		err = put(d, serial, "decl_errors",
			  r->dnotes.len ? r->dnotes.data : NULL, t, file);
		if (!err)
			err = put(d, serial, "active_configs",
				  r->active.len ? r->active.data : NULL, t,
				  file);
	}
	if (!err)
		err = put(d, serial, "report_errors",
			  r->enotes.len ? r->enotes.data : NULL, t, file);
	return err;
}

/* Remembers every enrollment id and UDID the serial was seen with, so a
 * later report without a serial can be matched. */
static ddm_err remember_ids(dctx *x, const char *serial, const report_meta *m,
			    const report_items *r)
{
	ddm *d = x->d;
	ddm_err err = DDM_OK;

	for (int i = 0; i < MAX_IDS + 1 && !err; i++) {
		const char *id =
			i < MAX_IDS ? m->ids[i] : field_val(d, r, "udid");
		store_stmt *st = d->enr_put;

		if (!id || !*id)
			continue;
		store_bind_text(st, store_stmt_param(st, ":enrollment_id"), id,
				strlen(id));
		store_bind_text(st, store_stmt_param(st, ":serial_number"),
				serial, strlen(serial));
		store_bind_int(st, store_stmt_param(st, ":file"),
			       x->f->file_id);
		err = store_stmt_run(st, NULL, NULL);
	}
	return err;
}

/* Writes the device's merged set as one observation at the report's
 * time (a report already stored counts as a duplicate). */
static ddm_err observe(dctx *x, const char *serial, int64_t t)
{
	ddm *d = x->d;
	store_stmt *st = d->obs;
	int changes = 0;
	ddm_err err;

	store_bind_text(st, store_stmt_param(st, ":serial_number"), serial,
			strlen(serial));
	store_bind_int(st, store_stmt_param(st, ":reported_at"), t);
	store_bind_int(st, store_stmt_param(st, ":file"), x->f->file_id);
	store_bind_int(st, store_stmt_param(st, ":line"), x->line);
	err = store_stmt_run(st, &changes, NULL);
	if (err)
		return err;
	if (changes == 0) {
		x->c->duplicate++;
		return DDM_OK;
	}
	x->c->stored++;
	return DDM_OK;
}

/*
 * Merges the report whose StatusItems / Errors / FullReport are under pre
 * in leaves [lo, hi): who it is, what it says, then one observation.
 */
static ddm_err report(dctx *x, const leaves *l, size_t lo, size_t hi,
		      const char *pre, const report_meta *m)
{
	report_items r;
	char serial[128];
	ddm_err err;

	collect(x->d, l, lo, hi, pre, m->full_default, &r);
	err = identify(x, &r, m, serial);
	if (!err && *serial)
		err = apply(x, serial, m->t, &r);
	if (!err && *serial)
		err = remember_ids(x, serial, m, &r);
	if (!err && *serial)
		err = observe(x, serial, m->t);
	items_free(&r);
	return err;
}

/* ---- shapes ------------------------------------------------------------ */

/* A raw report: its time from the file name, else the file's mtime. */
static ddm_err raw_report(dctx *x, const leaves *l, size_t lo, size_t hi,
			  const char *pre)
{
	report_meta m = {{0}, NULL, 0, false};

	m.ids[0] = x->f->enrollment;
	if (x->f->name_time_ok) {
		m.t = x->f->name_time;
		x->c->time_basis = "file-name";
	} else {
		m.t = x->f->mtime;
		if (!x->c->time_basis)
			x->c->time_basis = "mtime";
	}
	if (!x->c->format)
		x->c->format = "ddm-status-report";
	return report(x, l, lo, hi, pre, &m);
}

static ddm_err envelope(dctx *x, const leaves *l, size_t lo, size_t hi,
			const char *pre)
{
	report_meta m = {{0}, NULL, 0, false};
	const char *at = val_of(l, lo, hi, pre, "received_at");
	char rpre[256];

	if (!x->c->format)
		x->c->format = "ddm-ndjson-envelope";
	if (!parse_time(x->d, at, &m.t)) {
		char why[200];

		snprintf(why, sizeof why,
			 "received_at is missing or not an RFC 3339 time: %s",
			 at ? diag_q(at) : "(none)");
		return reject(x, why);
	}
	m.ids[0] = val_of(l, lo, hi, pre, "enrollment_id");
	m.serial = val_of(l, lo, hi, pre, "serial_number");
	snprintf(rpre, sizeof rpre, "%sreport.", pre);
	return report(x, l, lo, hi, rpre, &m);
}

static ddm_err webhook(dctx *x, const leaves *l, size_t lo, size_t hi,
		       const char *pre)
{
	ddm *d = x->d;
	const char *topic = val_of(l, lo, hi, pre, "topic");
	const char *at = val_of(l, lo, hi, pre, "created_at");
	const char *raw = val_of(l, lo, hi, pre, "checkin_event.raw_payload");
	report_meta m = {{0}, NULL, 0, false};
	buf plist = {0}, json = {0};
	const char *v;
	size_t vlen;
	char tag[32], why[300];
	char *udid = NULL, *eid = NULL;
	leaves inner = {0};
	bool ok;
	ddm_err err = DDM_OK;

	if (!x->c->format)
		x->c->format = "nanomdm-webhook";
	if (!topic || strcmp(topic, "mdm.DeclarativeManagement") != 0) {
		x->c->skipped++;
		return DDM_OK;
	}
	if (!parse_time(d, at, &m.t)) {
		snprintf(why, sizeof why,
			 "created_at is missing or not an RFC 3339 time: %s",
			 at ? diag_q(at) : "(none)");
		return reject(x, why);
	}
	if (!raw)
		return reject(x, "checkin_event.raw_payload is missing");
	if (!b64_decode(raw, strlen(raw), &plist)) {
		err = reject(x, "checkin_event.raw_payload is not Base64");
		goto out;
	}
	buf_cstr(&plist);
	if (!plist_value(plist.data, plist.len, "Endpoint", &v, &vlen, tag,
			 sizeof tag)) {
		err = reject(x, "check-in plist has no Endpoint");
		goto out;
	}
	if (vlen != 6 || memcmp(v, "status", 6) != 0) {
		x->c->skipped++;
		goto out;
	}
	if (plist_value(plist.data, plist.len, "UDID", &v, &vlen, tag,
			sizeof tag))
		udid = xstrndup(v, vlen);
	if (plist_value(plist.data, plist.len, "EnrollmentID", &v, &vlen, tag,
			sizeof tag))
		eid = xstrndup(v, vlen);
	if (!plist_value(plist.data, plist.len, "Data", &v, &vlen, tag,
			 sizeof tag) ||
	    strcmp(tag, "data") != 0) {
		err = reject(x,
			     "check-in plist has no Data (the status report)");
		goto out;
	}
	if (!b64_decode(v, vlen, &json)) {
		err = reject(x, "check-in plist Data is not Base64");
		goto out;
	}
	{
		size_t nv;
		char cwhy[200];

		if (!jsonin_check(json.data ? json.data : "", json.len, &nv,
				  cwhy, sizeof cwhy) ||
		    nv != 1) {
			snprintf(why, sizeof why,
				 "status report in check-in Data: %s",
				 nv != 1 ? cwhy : "more than one JSON value");
			err = reject(x, why);
			goto out;
		}
	}
	err = flatten(x, json.data, json.len, &inner, &ok,
		      "status report in check-in Data");
	if (err || !ok)
		goto out;
	m.ids[0] = val_of(l, lo, hi, pre, "checkin_event.udid");
	m.ids[1] = val_of(l, lo, hi, pre, "checkin_event.enrollment_id");
	m.ids[2] = val_of(l, lo, hi, pre, "ids.id");
	m.ids[3] = val_of(l, lo, hi, pre, "enrollment_id");
	m.ids[4] = udid;
	m.ids[5] = eid;
	err = report(x, &inner, 0, inner.n, "", &m);
out:
	leaves_free(&inner);
	free(udid);
	free(eid);
	buf_free(&plist);
	buf_free(&json);
	return err;
}

/* Jamf Pro GET /v1/ddm/{id}/status-items: the server's latest value of
 * every item, so a full report; its time is the newest lastUpdateTime. */
static ddm_err jamf_items(dctx *x, const leaves *l, size_t lo, size_t hi,
			  const char *pre)
{
	leaves syn = {0};
	report_meta m = {{0}, NULL, 0, true};
	char ip[300];
	bool any_time = false;
	ddm_err err;

	if (!x->c->format)
		x->c->format = "jamf-ddm-status-items";
	for (size_t i = 0;; i++) {
		const char *k, *v, *u;
		leaf *kl;
		int64_t t;

		snprintf(ip, sizeof ip, "%sstatusItems[%zu]", pre, i);
		kl = (leaf *)find(l, lo, hi, ip, ".key");
		if (!kl) {
			if (!has_prefix(l, lo, hi, ip))
				break;
			continue;
		}
		k = kl->val;
		v = val_of(l, lo, hi, ip, ".value");
		u = val_of(l, lo, hi, ip, ".lastUpdateTime");
		if (u && parse_time(x->d, u, &t) && (!any_time || t > m.t)) {
			m.t = t;
			any_time = true;
		}
		if (k) {
			char *p = xasprintf("StatusItems.%s", k);

			leaves_add(&syn, p, strlen(p), "text", v,
				   v ? strlen(v) : 0);
			free(p);
		}
	}
	if (!any_time) {
		leaves_free(&syn);
		return reject(x, "no statusItems[].lastUpdateTime is a time");
	}
	err = report(x, &syn, 0, syn.n, "", &m);
	leaves_free(&syn);
	return err;
}

/* Jamf Pro managed software update statuses: one observation per result,
 * its deviceId mapped to a serial through the inventory's jamf_id. */
static ddm_err jamf_statuses(dctx *x, const leaves *l, size_t lo, size_t hi,
			     const char *pre)
{
	ddm *d = x->d;
	char ep[300];
	ddm_err err = DDM_OK;

	if (!x->c->format)
		x->c->format = "jamf-software-update-statuses";
	for (size_t i = 0; err == DDM_OK; i++) {
		const char *id, *status, *when, *pk, *reason;
		size_t rlen;
		const char *mapped;
		int64_t t;
		bool found = false;
		store_stmt *st = d->raw_obs;
		char serial[128];
		int changes = 0;

		snprintf(ep, sizeof ep, "%sresults[%zu].", pre, i);
		if (!has_prefix(l, lo, hi, ep))
			break;
		x->c->read++;
		id = val_of(l, lo, hi, ep, "device.deviceId");
		status = val_of(l, lo, hi, ep, "status");
		when = val_of(l, lo, hi, ep, "updated");
		if (!when)
			when = val_of(l, lo, hi, ep, "created");
		pk = val_of(l, lo, hi, ep, "productKey");
		if (!id) {
			err = reject(x,
				     "results[] entry has no device.deviceId");
			continue;
		}
		store_bind_text(d->jamf, store_stmt_param(d->jamf, ":jamf_id"),
				id, strlen(id));
		err = store_stmt_text(d->jamf, &d->tmp, &found);
		if (err)
			break;
		if (!found) {
			char why[200];

			snprintf(why, sizeof why,
				 "Jamf device id %s is not in the inventory "
				 "(jamf_id column)",
				 diag_q(id));
			err = reject(x, why);
			continue;
		}
		snprintf(serial, sizeof serial, "%s", d->tmp.data);
		if (!parse_time(d, when, &t)) {
			err = reject(
				x,
				"results[] entry has no updated/created time");
			continue;
		}
		mapped = formats_status(d->fs, NULL, status ? status : "",
					status ? strlen(status) : 0, &reason,
					&rlen);
		if (!mapped)
			mapped = "Unknown";
		store_bind_text(st, store_stmt_param(st, ":serial_number"),
				serial, strlen(serial));
		store_bind_int(st, store_stmt_param(st, ":reported_at"), t);
		store_bind_text(st, store_stmt_param(st, ":status"), mapped,
				strlen(mapped));
		store_bind_text(st, store_stmt_param(st, ":status_raw"),
				status ? status : "",
				status ? strlen(status) : 0);
		store_bind_text(st, store_stmt_param(st, ":failure_reason"),
				reason, rlen);
		if (pk) {
			/* "MACOS_15.1_24B83" style product keys carry the
			 * pending version */
			const char *u = strchr(pk, '_');
			version ver;
			size_t vl;

			if (u) {
				u++;
				vl = strcspn(u, "_");
				if (version_parse(u, vl, &ver))
					store_bind_text(
						st,
						store_stmt_param(
							st,
							":target_os_version"),
						u, vl);
			}
		}
		store_bind_int(st, store_stmt_param(st, ":file"),
			       x->f->file_id);
		store_bind_int(st, store_stmt_param(st, ":line"), x->line);
		err = store_stmt_run(st, &changes, NULL);
		if (err)
			break;
		if (!changes) {
			x->c->duplicate++;
			continue;
		}
		x->c->stored++;
	}
	return err;
}

/* The enforcement declaration: a target for the devices that report it. */
static ddm_err declaration(dctx *x, const leaves *l, size_t lo, size_t hi,
			   const char *pre)
{
	ddm *d = x->d;
	store_stmt *st = d->target;
	const char *id = val_of(l, lo, hi, pre, "Identifier");
	const char *ver = val_of(l, lo, hi, pre, "Payload.TargetOSVersion");
	const char *build =
		val_of(l, lo, hi, pre, "Payload.TargetBuildVersion");
	const char *when =
		val_of(l, lo, hi, pre, "Payload.TargetLocalDateTime");
	const char *url = val_of(l, lo, hi, pre, "Payload.DetailsURL");
	version v;
	int64_t wall;
	int changes = 0;
	ddm_err err;

	if (!x->c->format)
		x->c->format = "ddm-enforcement-declaration";
	if (!id || !*id)
		return reject(x, "declaration has no Identifier");
	if (!ver || !version_parse(ver, strlen(ver), &v))
		return reject(x, "Payload.TargetOSVersion is missing or not a "
				 "version");
	if (!when || !ts_parse_wall(when, strlen(when), &wall))
		return reject(x, "Payload.TargetLocalDateTime is not "
				 "YYYY-MM-DDTHH:MM:SS");
	store_bind_text(st, store_stmt_param(st, ":platform"), "", 0);
	store_bind_text(st, store_stmt_param(st, ":grp"), "*", 1);
	store_bind_text(st, store_stmt_param(st, ":serial_number"), "", 0);
	store_bind_text(st, store_stmt_param(st, ":target_os_version"), ver,
			strlen(ver));
	store_bind_text(st, store_stmt_param(st, ":target_build_version"),
			build ? build : "", build ? strlen(build) : 0);
	store_bind_text(st, store_stmt_param(st, ":target_local_datetime"),
			when, strlen(when));
	store_bind_text(st, store_stmt_param(st, ":details_url"),
			url ? url : "", url ? strlen(url) : 0);
	store_bind_text(st, store_stmt_param(st, ":declaration_id"), id,
			strlen(id));
	store_bind_int(st, store_stmt_param(st, ":file"), x->f->file_id);
	store_bind_int(st, store_stmt_param(st, ":line"), x->line);
	err = store_stmt_run(st, &changes, NULL);
	if (err)
		return err;
	x->c->targets = true;
	if (changes)
		x->c->stored++;
	else
		x->c->duplicate++;
	return DDM_OK;
}

/* Recognises the shape of the value under pre and handles it. */
static ddm_err dispatch(dctx *x, const leaves *l, size_t lo, size_t hi,
			const char *pre)
{
	char p[300];
	const char *type;

	snprintf(p, sizeof p, "%sStatusItems", pre);
	if (has_prefix(l, lo, hi, p) || find(l, lo, hi, pre, "FullReport"))
		return x->c->read++, raw_report(x, l, lo, hi, pre);
	snprintf(p, sizeof p, "%sreport", pre);
	if (has_prefix(l, lo, hi, p) || find(l, lo, hi, pre, "received_at"))
		return x->c->read++, envelope(x, l, lo, hi, pre);
	if (find(l, lo, hi, pre, "topic"))
		return x->c->read++, webhook(x, l, lo, hi, pre);
	snprintf(p, sizeof p, "%sstatusItems[", pre);
	if (has_prefix(l, lo, hi, p))
		return x->c->read++, jamf_items(x, l, lo, hi, pre);
	snprintf(p, sizeof p, "%sresults[", pre);
	if (has_prefix(l, lo, hi, p) || find(l, lo, hi, pre, "totalCount"))
		return jamf_statuses(x, l, lo, hi, pre);
	type = val_of(l, lo, hi, pre, "Type");
	if (type) {
		x->c->read++;
		if (strcmp(type, "com.apple.configuration.softwareupdate."
				 "enforcement.specific") == 0)
			return declaration(x, l, lo, hi, pre);
		x->c->skipped++;
		return DDM_OK;
	}
	x->c->read++;
	return reject(x, "not a known JSON input (expected a DDM status "
			 "report, an NDJSON envelope, a NanoMDM webhook event, "
			 "Jamf Pro status items or update statuses, or an "
			 "enforcement declaration)");
}

/* True when the bounded text s[0..len) contains the key "key" (quoted). */
static bool has_key(const char *s, size_t len, const char *key)
{
	size_t kl = strlen(key);

	for (const char *p = s; (size_t)(p - s) + kl + 2 <= len; p++) {
		p = memchr(p, '"', len - (size_t)(p - s));
		if (!p || (size_t)(p - s) + kl + 2 > len)
			return false;
		if (memcmp(p + 1, key, kl) == 0 && p[kl + 1] == '"')
			return true;
	}
	return false;
}

/*
 * A SOFA feed: the walk over its releases is SQL (statements feed_* of
 * queries/store.sql) bound with the whole document; here only the counts.
 * *is_feed is false (nothing done) when doc does not have a feed's shape.
 */
static ddm_err feed(dctx *x, bool *is_feed)
{
	ddm *d = x->d;
	int64_t shape = 0, entries = 0;
	int keys = 0, stored = 0;
	ddm_err err;

	*is_feed = false;
	/* cheap test first: most documents are status reports */
	if (!has_key(x->doc, x->len, "OSVersions") ||
	    !has_key(x->doc, x->len, "UpdateHash"))
		return DDM_OK;
	store_bind_text(d->feed_shape, store_stmt_param(d->feed_shape, ":doc"),
			x->doc, x->len);
	err = store_stmt_run(d->feed_shape, NULL, &shape);
	if (err || shape == 0)
		return err;
	*is_feed = true;
	x->c->feed = true;
	if (!x->c->format)
		x->c->format = shape == 2 ? "sofa-v2" : "sofa-v1";
	store_bind_text(d->feed_entries,
			store_stmt_param(d->feed_entries, ":doc"), x->doc,
			x->len);
	err = store_stmt_run(d->feed_entries, NULL, &entries);
	if (!err)
		err = store_stmt_run(d->feed_clear, NULL, NULL);
	if (err)
		return err;
	x->c->read += (long)entries;
	store_bind_text(d->feed_stage, store_stmt_param(d->feed_stage, ":doc"),
			x->doc, x->len);
	err = store_stmt_run(d->feed_stage, &keys, NULL);
	if (err)
		return err;
	if (keys == 0)
		return reject(x, "SOFA feed lists no security release with a "
				 "ProductVersion and a known ProductName");
	store_bind_int(d->feed_release,
		       store_stmt_param(d->feed_release, ":file"),
		       x->f->file_id);
	err = store_stmt_run(d->feed_release, &stored, NULL);
	if (err)
		return err;
	x->c->stored += stored;
	x->c->duplicate += keys - stored;
	return store_stmt_run(d->feed_clear, NULL, NULL);
}

ddm_err ddm_document(ddm *d, const ddm_file *f, const char *doc, size_t len,
		     long line, ddm_counts *c, ddm_reject_fn rej, void *rctx)
{
	dctx x = {d, f, c, rej, rctx, line, doc, len};
	leaves l = {0};
	bool ok, is_feed;
	ddm_err err = feed(&x, &is_feed);

	if (err || is_feed)
		return err;
	err = flatten(&x, doc, len, &l, &ok, "document");
	if (err || !ok)
		return err;
	if (l.n && l.v[0].path[0] == '[') {
		/* a top-level array: each element on its own */
		size_t lo = 0;

		while (lo < l.n && err == DDM_OK) {
			size_t hi = lo, el = strcspn(l.v[lo].path, "]") + 1;
			char pre[64];

			while (hi < l.n &&
			       strncmp(l.v[hi].path, l.v[lo].path, el) == 0)
				hi++;
			snprintf(pre, sizeof pre, "%.*s.", (int)el,
				 l.v[lo].path);
			err = dispatch(&x, &l, lo, hi, pre);
			lo = hi;
		}
	} else {
		err = dispatch(&x, &l, 0, l.n, "");
	}
	leaves_free(&l);
	return err;
}
