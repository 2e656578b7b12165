/*
 * merge.c - DDM status reports into the merged per-device state (merge.h).
 *
 * Merging is done in the database, not here: keeping the state in SQLite
 * means a nightly run continues from the last one, and a report ingested
 * out of order cannot overwrite a newer value (statements ddm_* of
 * queries/store.sql).  Here: which items a report carries, who it is
 * about, and the notes (Errors, declaration reasons) it adds.
 */
#define _DEFAULT_SOURCE
#include "sources/merge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "res.h"
#include "sources/identity.h"

#define MAX_MAP 64
#define MAX_NOTES 20 /* errors / reasons kept per report */
#define MAX_CONFIGS 64

typedef struct map_entry {
	char *key;   /* owned: "softwareupdate.pending-version.os-version" */
	char *field; /* owned */
	char *item;  /* owned */
} map_entry;

struct merge {
	store *store;	   /* borrowed */
	const formats *fs; /* borrowed */
	map_entry map[MAX_MAP];
	size_t nmap;
	store_stmt *full, *put, *obs; /* store-owned */
	buf tmp;
};

static ddm_err load_map(merge *d)
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

void merge_free(merge *d)
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

ddm_err merge_new(store *s, const formats *fs, merge **out)
{
	merge *d = xcalloc(1, sizeof *d);
	ddm_err err;

	d->store = s;
	d->fs = fs;
	d->full = store_stmt_get(s, "ddm_full");
	d->put = store_stmt_get(s, "ddm_put");
	d->obs = store_stmt_get(s, "ddm_observation");
	if (!d->full || !d->put || !d->obs) {
		merge_free(d);
		return DDM_ERR_INTERNAL;
	}
	err = load_map(d);
	if (err) {
		merge_free(d);
		return err;
	}
	*out = d;
	return DDM_OK;
}

static ddm_err put(merge *d, const char *serial, const char *field,
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

/* The value at elem+name (elem is a path prefix inside v), or NULL. */
static const char *val_at(const flat_view *v, const char *elem,
			  const char *name)
{
	flat_view e = {v->f, v->lo, v->hi, elem};

	return flat_val(&e, name);
}

/* Collects "identifier: code (details)" notes of declaration reasons and
 * active configuration ids under pre; bounded by MAX_NOTES / MAX_CONFIGS. */
static void declarations(const flat_view *v, const char *pre, buf *notes,
			 buf *active)
{
	size_t pl = strlen(pre), nn = 0, na = 0;

	for (size_t i = v->lo; i < v->hi; i++) {
		const flat_leaf *lf = &v->f->v[i];
		const char *p = lf->path, *r;
		char elem[512];
		size_t el;

		if (strncmp(p, pre, pl) != 0)
			continue;
		p += pl;
		r = strstr(p, ".reasons[");
		if (r && nn < MAX_NOTES && strlen(r) >= 5 &&
		    strcmp(r + strlen(r) - 5, ".code") == 0 && lf->val) {
			const char *id, *det;
			char rpre[600];

			el = (size_t)(r - lf->path);
			if (el >= sizeof elem)
				continue;
			memcpy(elem, lf->path, el);
			elem[el] = '\0';
			id = val_at(v, elem, ".identifier");
			snprintf(rpre, sizeof rpre, "%.*s",
				 (int)(strlen(lf->path) - 5), lf->path);
			det = val_at(v, rpre, ".details.Error");
			if (notes->len)
				buf_puts(notes, "; ");
			buf_puts(notes, id ? id : "?");
			buf_puts(notes, ": ");
			buf_puts(notes, lf->val);
			if (det) {
				buf_puts(notes, " (");
				buf_puts(notes, det);
				buf_putc(notes, ')');
			}
			nn++;
		} else if (!r && na < MAX_CONFIGS && strlen(p) >= 7 &&
			   strncmp(p, "configurations[", 15) == 0 &&
			   strcmp(p + strlen(p) - 7, ".active") == 0 &&
			   strcmp(lf->type, "true") == 0) {
			const char *id;

			el = strlen(lf->path) - 7;
			if (el >= sizeof elem)
				continue;
			memcpy(elem, lf->path, el);
			elem[el] = '\0';
			id = val_at(v, elem, ".identifier");
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
static void report_errors(const flat_view *v, const char *pre, buf *notes)
{
	size_t pl = strlen(pre), nn = 0;

	for (size_t i = v->lo; i < v->hi && nn < MAX_NOTES; i++) {
		const flat_leaf *lf = &v->f->v[i];
		const char *last;

		if (strncmp(lf->path, pre, pl) != 0 || !lf->val)
			continue;
		last = strrchr(lf->path, '.');
		last = last ? last + 1 : lf->path;
		if (strcmp(last, "StatusItem") == 0) {
			if (notes->len)
				buf_puts(notes, "; ");
			buf_puts(notes, lf->val);
			buf_putc(notes, ':');
			nn++;
		} else if (strcmp(last, "Code") == 0 ||
			   strcmp(last, "code") == 0) {
			if (!notes->len)
				buf_puts(notes, "report:");
			buf_putc(notes, ' ');
			buf_puts(notes, lf->val);
		}
	}
}

/* What one report says, gathered from its leaves by collect(). */
typedef struct report_items {
	const char *vals[MAX_MAP]; /* value per map entry; NULL when absent */
	bool on[MAX_MAP];	   /* the entry's item is in the report */
	buf list[MAX_MAP];	   /* owned: joined values of "[]" entries */
	bool full;		   /* FullReport (or the source's default) */
	bool decl;		   /* management.declarations present */
	buf dnotes, active;	   /* owned: declaration notes, active ids */
	buf enotes;		   /* owned: Errors[] notes */
} report_items;

static void items_free(report_items *r)
{
	for (size_t k = 0; k < MAX_MAP; k++)
		buf_free(&r->list[k]);
	buf_free(&r->dnotes);
	buf_free(&r->active);
	buf_free(&r->enotes);
}

static void collect(const merge *d, const flat_view *v, bool full_default,
		    report_items *r)
{
	char items[640], key[512];
	size_t ipl;
	const flat_leaf *f;
	flat_view iv;

	memset(r, 0, sizeof *r);
	r->full = full_default;
	snprintf(items, sizeof items, "%sStatusItems.", v->pre);
	ipl = strlen(items);
	for (size_t i = v->lo; i < v->hi; i++) {
		const flat_leaf *lf = &v->f->v[i];

		if (strncmp(lf->path, items, ipl) != 0)
			continue;
		strip_index(lf->path + ipl, key, sizeof key);
		for (size_t k = 0; k < d->nmap; k++) {
			if (strcmp(d->map[k].key, key) != 0)
				continue;
			if (strstr(key, "[]")) {
				if (lf->val) {
					if (r->list[k].len)
						buf_putc(&r->list[k], ',');
					buf_puts(&r->list[k], lf->val);
				}
				r->vals[k] = buf_cstr(&r->list[k]);
			} else {
				r->vals[k] = lf->val;
			}
			/* the whole item is present: all its fields */
			for (size_t j = 0; j < d->nmap; j++)
				if (strcmp(d->map[j].item, d->map[k].item) == 0)
					r->on[j] = true;
		}
	}
	/* an item given as an empty object or array still replaces */
	iv = *v;
	iv.pre = items;
	for (size_t k = 0; k < d->nmap; k++)
		if (!r->on[k] && flat_has(&iv, d->map[k].item))
			r->on[k] = true;
	snprintf(key, sizeof key, "%sStatusItems.management.declarations.",
		 v->pre);
	iv.pre = v->pre;
	r->decl = flat_has(&iv, "StatusItems.management.declarations");
	if (r->decl)
		declarations(v, key, &r->dnotes, &r->active);
	snprintf(key, sizeof key, "%sErrors[", v->pre);
	report_errors(v, key, &r->enotes);
	f = flat_find(v, "FullReport");
	if (f)
		r->full = strcmp(f->type, "true") == 0;
}

/* The value of the first map entry for field, or NULL. */
static const char *field_val(const merge *d, const report_items *r,
			     const char *field)
{
	for (size_t k = 0; k < d->nmap; k++)
		if (strcmp(d->map[k].field, field) == 0 && r->vals[k])
			return r->vals[k];
	return NULL;
}

static void upper(char *s)
{
	for (; *s; s++)
		if (*s >= 'a' && *s <= 'z')
			*s = (char)(*s - 32);
}

/*
 * Finds the report's serial (upper-cased into serial): its own
 * serial-number item, else the source's, else the serial an id of it was
 * seen with earlier.  When there is none the report is rejected and
 * serial is left empty.
 */
static ddm_err identify(src_ctx *x, const report_items *r, const merge_meta *m,
			char serial[128])
{
	merge *d = x->env->merge;
	const char *own = field_val(d, r, "serial_number");
	const char *udid = field_val(d, r, "udid");
	const char *any = NULL;
	bool found = false;
	char why[300];
	ddm_err err;

	serial[0] = '\0';
	if (own && *own)
		snprintf(serial, 128, "%s", own);
	else if (m->serial && *m->serial)
		snprintf(serial, 128, "%s", m->serial);
	for (int i = 0; i < MERGE_MAX_IDS + 1 && !*serial; i++) {
		const char *id = i < MERGE_MAX_IDS ? m->ids[i] : udid;

		if (!id || !*id)
			continue;
		err = identity_find(d->store, id, &d->tmp, &found);
		if (err)
			return err;
		if (found)
			snprintf(serial, 128, "%s", d->tmp.data);
	}
	if (*serial) {
		upper(serial);
		return DDM_OK;
	}
	for (int i = 0; i < MERGE_MAX_IDS && !any; i++)
		if (m->ids[i] && *m->ids[i])
			any = m->ids[i];
	if (!any && udid && *udid)
		any = udid;
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
	return src_reject(x, why);
}

/* Stores each item the report carries in the device's merged set.  A
 * full report first drops what is older, except the device facts
 * (device.* items) it does not carry: a full report that leaves out the
 * model does not make the model unknown. */
static ddm_err apply(src_ctx *x, const char *serial, int64_t t,
		     const report_items *r)
{
	merge *d = x->env->merge;
	int64_t file = x->f->file_id;
	const char *pv = field_val(d, r, "platform");
	const char *platform =
		pv ? formats_platform(d->fs, pv, strlen(pv)) : NULL;
	const char *model = field_val(d, r, "model");
	ddm_err err = DDM_OK;

	if (r->full) {
		store_stmt *st = d->full;
		buf keep = {0};

		for (size_t k = 0; k < d->nmap; k++)
			if (!r->on[k] &&
			    strncmp(d->map[k].item, "device.", 7) == 0) {
				buf_putc(&keep, ' ');
				buf_puts(&keep, d->map[k].field);
			}
		store_bind_text(st, store_stmt_param(st, ":serial_number"),
				serial, strlen(serial));
		store_bind_int(st, store_stmt_param(st, ":reported_at"), t);
		store_bind_text(st, store_stmt_param(st, ":keep"),
				keep.len ? buf_cstr(&keep) : "", keep.len);
		err = store_stmt_run(st, NULL, NULL);
		buf_free(&keep);
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

/* Remembers every id and UDID the serial was seen with, so a later report
 * without a serial can be matched. */
static ddm_err remember_ids(src_ctx *x, const char *serial, const merge_meta *m,
			    const report_items *r)
{
	merge *d = x->env->merge;
	ddm_err err = DDM_OK;

	for (int i = 0; i < MERGE_MAX_IDS + 1 && !err; i++)
		err = identity_learn(
			d->store,
			i < MERGE_MAX_IDS ? m->ids[i] : field_val(d, r, "udid"),
			serial, x->f->file_id);
	return err;
}

/* Writes the device's merged set as one observation at the report's
 * time (a report already stored counts as a duplicate). */
static ddm_err observe(src_ctx *x, const char *serial, int64_t t)
{
	store_stmt *st = x->env->merge->obs;

	store_bind_text(st, store_stmt_param(st, ":serial_number"), serial,
			strlen(serial));
	store_bind_int(st, store_stmt_param(st, ":reported_at"), t);
	return src_store(x, st);
}

ddm_err merge_report(src_ctx *x, const flat_view *v, const merge_meta *m)
{
	report_items r;
	char serial[128];
	ddm_err err;

	collect(x->env->merge, v, m->full_default, &r);
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
