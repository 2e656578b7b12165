/*
 * merge.c - DDM status reports into the merged per-device state (merge.h).
 *
 * The state is kept in SQLite (table ddm_state), so a nightly run continues
 * from the last one.  A report is read here as it comes (which items it
 * carries, who it is about, the notes it adds) and staged (temp.ddm_stage)
 * with the fields it puts; when the file ends (merge_finish) the staged
 * reports are replayed device by device, each device's in file order,
 * against its state loaded once: later wins per field, an older report
 * never overwrites a newer value, a full report drops older fields.  Each
 * report becomes one observation of the state right after it (a report
 * older than some of the state: of what the device had said by then,
 * observe_late), and each device's state is written back once.  Devices do not affect each other,
 * so the result is the report-by-report one; reading and writing in key
 * order is what makes it cheap.
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
/* Active configuration ids kept per report: a server that sends every
 * profile as a declaration leaves dozens, listed in no set order, and an
 * enforcement declaration cut off the list would leave its device with no
 * target.  The bound only keeps a hostile report's list finite. */
#define MAX_CONFIGS 1024

#define MAX_NAMES (MAX_MAP + 8)

typedef struct map_entry {
	char *key;   /* owned: "softwareupdate.pending-version.os-version" */
	char *field; /* owned */
	char *item;  /* owned */
	int fid;     /* field's index in names */
	size_t klen, ilen;
	size_t item_id; /* index of the first entry of the same item */
	bool list;	/* key has "[]": values joined */
	/* the field's part in prepare(), worked out once (the strcmps of
	 * every entry of every report were 4% of a DDM ingest) */
	enum { ROLE_PUT, ROLE_ID, ROLE_STATUS, ROLE_PLATFORM } role;
	bool device_item; /* item starts with "device." */
} map_entry;

/* One field of the device being replayed. */
typedef struct slot {
	buf field, value; /* owned; value unused when null */
	int fid;	  /* the field's index in names; -1: none */
	bool null, present, in_db, dirty;
	int64_t t, file;
} slot;

/* The observation's parameters, each the field of the same name. */
static const char *const obs_fields[] = {"status",
					 "status_raw",
					 "os_version",
					 "supplemental_build_version",
					 "build_version",
					 "extra_version",
					 "target_os_version",
					 "target_build_version",
					 "target_local_datetime",
					 "failure_count",
					 "failure_reason",
					 "model",
					 "platform",
					 "report_errors",
					 "decl_errors",
					 "active_configs",
					 "declaration_id"};
#define NOBS (sizeof obs_fields / sizeof *obs_fields)

/* The last words mapped by one formats function (a fleet spells its
 * states, families and models a few ways; each mapping runs regular
 * expressions).  The functions are pure, so a remembered answer is the
 * answer. */
#define MEMO_N 32
typedef struct memo {
	char *key[MEMO_N]; /* owned */
	const char *val[MEMO_N];
	size_t n, next;
} memo;

struct merge {
	store *store;	   /* borrowed */
	const formats *fs; /* borrowed */
	map_entry map[MAX_MAP];
	size_t nmap;
	const char *names[MAX_NAMES]; /* field names puts refer to (owned) */
	size_t nnames;
	int f_status, f_status_raw, f_platform, f_decl_errors, f_active_configs,
		f_report_errors;
	int f_serial, f_udid, f_model; /* -1 when the map has none */
	store_stmt *stage, *read, *clear, *state, *set, *obs, *any, *before,
		*fwd, *fwd_items, *pend, *pend_read, *pend_done,
		*pend_clear; /* store-owned */
	int obs_param[NOBS];
	int obs_serial, obs_at, obs_file, obs_line; /* ddm_observation's */
	int obs_fid[NOBS]; /* each observation field's index in names */
	/* A report older than some of the set (it arrived after newer ones):
	 * its observation, field by field (see observe_late). */
	buf late[NOBS];
	bool late_null[NOBS];
	long pending; /* reports staged since the last merge_finish */
	long held;    /* reports held in temp.ddm_pending (merge_resolve) */
	int64_t seq;  /* the file's reports so far: each one's place */
	buf mem;      /* staged reports held in memory (rec_hdr, strings) */
	size_t *recs; /* each one's offset in mem */
	size_t nrecs, caprecs;
	bool spilled; /* some went to temp.ddm_stage (mem was full) */
	bool fresh;   /* ddm_state was empty when merge_finish began */
	memo status, platform, model;
	buf tmp, puts, enc; /* enc: a device's set encoded (save_state) */
	slot *slots;	    /* the replayed device's fields */
	size_t nslots, capslots;
	/* each field's slot (index + 1; 0: not looked up yet) while slots
	 * stay where they are: observe's lookups by name were 1% */
	size_t fslot[MAX_NAMES];
	int rank[MAX_NAMES]; /* each name's place in byte order (slot_cmp) */
	/* ids learned by the file's reports, not yet written (learn_*) */
	buf lmem;      /* learned_hdr, id, NUL, serial, NUL each */
	size_t *lrecs; /* each one's offset in lmem, in arrival order */
	size_t nl, capl;
	size_t *lslot; /* hash of the ids: the latest one's index + 1 */
	size_t nlslot; /* power of two, 0 until the first */
	/* lslot holds the held ids: built at the first learn_find, then kept
	 * up by learn (a file whose reports all carry their serial never
	 * looks an id up: hashing its 100k ids was 3% of its ingest) */
	bool lhashed;
};

static const char *learn_find(merge *d, const char *id);

/* The index of field name in d->names, added when new. */
static int intern(merge *d, const char *name)
{
	for (size_t i = 0; i < d->nnames; i++)
		if (strcmp(d->names[i], name) == 0)
			return (int)i;
	if (d->nnames == MAX_NAMES)
		return -1;
	d->names[d->nnames] = xstrdup(name);
	return (int)d->nnames++;
}

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
		d->map[d->nmap].fid = intern(d, w[1]);
		d->map[d->nmap].klen = strlen(w[0]);
		d->map[d->nmap].ilen = strlen(d->map[d->nmap].item);
		d->map[d->nmap].list = strstr(w[0], "[]") != NULL;
		d->map[d->nmap].item_id = d->nmap;
		for (size_t j = 0; j < d->nmap; j++)
			if (strcmp(d->map[j].item, d->map[d->nmap].item) == 0) {
				d->map[d->nmap].item_id = j;
				break;
			}
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
	for (size_t i = 0; i < d->nnames; i++)
		free((char *)d->names[i]);
	for (size_t i = 0; i < d->capslots; i++) {
		buf_free(&d->slots[i].field);
		buf_free(&d->slots[i].value);
	}
	free(d->slots);
	buf_free(&d->tmp);
	buf_free(&d->puts);
	buf_free(&d->enc);
	buf_free(&d->mem);
	for (size_t i = 0; i < NOBS; i++)
		buf_free(&d->late[i]);
	free(d->recs);
	buf_free(&d->lmem);
	free(d->lrecs);
	free(d->lslot);
	for (size_t i = 0; i < MEMO_N; i++) {
		free(d->status.key[i]);
		free(d->platform.key[i]);
		free(d->model.key[i]);
	}
	free(d);
}

/* Status of a vendor word (formats_status: NULL when matching failed). */
static const char *map_status(const formats *fs, const char *s, size_t len)
{
	const char *reason;
	size_t rlen;

	return formats_status(fs, NULL, s, len, &reason, &rlen);
}

/* fn(d->fs, s), remembered in m. */
static const char *memo_map(merge *d, memo *m, const char *s,
			    const char *(*fn)(const formats *, const char *,
					      size_t))
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (strcmp(m->key[i], s) == 0)
			return m->val[i];
	i = m->n < MEMO_N ? m->n++ : m->next++ % MEMO_N;
	free(m->key[i]);
	m->key[i] = xstrdup(s);
	m->val[i] = fn(d->fs, s, strlen(s));
	return m->val[i];
}

ddm_err merge_new(store *s, const formats *fs, merge **out)
{
	merge *d = xcalloc(1, sizeof *d);
	ddm_err err;

	d->store = s;
	d->fs = fs;
	d->stage = store_stmt_get(s, "ddm_stage");
	d->read = store_stmt_get(s, "ddm_stage_read");
	d->clear = store_stmt_get(s, "ddm_stage_clear");
	d->state = store_stmt_get(s, "ddm_state");
	d->set = store_stmt_get(s, "ddm_set");
	d->any = store_stmt_get(s, "ddm_any");
	d->obs = store_stmt_get(s, "ddm_observation");
	d->before = store_stmt_get(s, "ddm_observation_before");
	d->fwd = store_stmt_get(s, "ddm_observation_forward");
	d->fwd_items = store_stmt_get(s, "ddm_observation_forward_items");
	d->pend = store_stmt_get(s, "ddm_pending_put");
	d->pend_read = store_stmt_get(s, "ddm_pending_read");
	d->pend_done = store_stmt_get(s, "ddm_pending_done");
	d->pend_clear = store_stmt_get(s, "ddm_pending_clear");
	if (!d->stage || !d->read || !d->clear || !d->state || !d->set ||
	    !d->obs || !d->any || !d->before || !d->fwd || !d->fwd_items ||
	    !d->pend || !d->pend_read || !d->pend_done || !d->pend_clear) {
		merge_free(d);
		return DDM_ERR_INTERNAL;
	}
	for (size_t i = 0; i < NOBS; i++) {
		char p[64];

		snprintf(p, sizeof p, ":%s", obs_fields[i]);
		d->obs_param[i] = store_stmt_param(d->obs, p);
	}
	d->obs_serial = store_stmt_param(d->obs, ":serial_number");
	d->obs_at = store_stmt_param(d->obs, ":reported_at");
	d->obs_file = store_stmt_param(d->obs, ":file");
	d->obs_line = store_stmt_param(d->obs, ":line");
	err = load_map(d);
	if (err) {
		merge_free(d);
		return err;
	}
	d->f_status = intern(d, "status");
	d->f_status_raw = intern(d, "status_raw");
	d->f_platform = intern(d, "platform");
	d->f_decl_errors = intern(d, "decl_errors");
	d->f_active_configs = intern(d, "active_configs");
	d->f_report_errors = intern(d, "report_errors");
	for (size_t i = 0; i < NOBS; i++)
		if ((d->obs_fid[i] = intern(d, obs_fields[i])) < 0)
			err = DDM_ERR_INTERNAL;
	d->f_serial = d->f_udid = d->f_model = -1;
	for (size_t k = 0; k < d->nmap; k++) {
		const char *f = d->map[k].field;
		map_entry *e = &d->map[k];

		e->device_item = strncmp(e->item, "device.", 7) == 0;
		e->role = strcmp(f, "udid") == 0 ||
					  strcmp(f, "serial_number") == 0
				  ? ROLE_ID
			  : strcmp(f, "status") == 0   ? ROLE_STATUS
			  : strcmp(f, "platform") == 0 ? ROLE_PLATFORM
						       : ROLE_PUT;
		if (strcmp(f, "serial_number") == 0)
			d->f_serial = e->fid;
		else if (strcmp(f, "udid") == 0)
			d->f_udid = e->fid;
		else if (strcmp(f, "model") == 0)
			d->f_model = e->fid;
	}
	for (size_t k = 0; k < d->nmap; k++)
		if (d->map[k].fid < 0)
			err = DDM_ERR_INTERNAL;
	for (size_t i = 0; i < d->nnames; i++) {
		d->rank[i] = 0;
		for (size_t j = 0; j < d->nnames; j++)
			d->rank[i] += strcmp(d->names[j], d->names[i]) < 0;
	}
	if (err || d->f_report_errors < 0) {
		merge_free(d);
		return diag_error(DDM_ERR_INTERNAL, "ddm-items.map",
				  "too many fields");
	}
	*out = d;
	return DDM_OK;
}

/* A put's length byte: below PUT_NULL the value's length; PUT_NULL null;
 * PUT_LONG four bytes of length follow. */
#define PUT_NULL 254u
#define PUT_LONG 255u

/* Appends "field fid is value" to the report's puts: a byte for the
 * field, a length byte (see PUT_NULL), then the value.  Two bytes, not
 * five, for the short values of nearly every put (with keep as ids,
 * below, a staged report is 130 bytes, not 203: so the benchmark's 100k
 * reports fit in MEM_CAP). */
static void put(merge *d, int fid, const char *value)
{
	unsigned char h[6];
	size_t hl = 2;
	uint32_t n = value ? (uint32_t)strlen(value) : 0;

	h[0] = (unsigned char)fid;
	if (!value) {
		h[1] = PUT_NULL;
	} else if (n < PUT_NULL) {
		h[1] = (unsigned char)n;
	} else {
		h[1] = PUT_LONG;
		memcpy(h + 2, &n, 4);
		hl = 6;
	}
	buf_append(&d->puts, h, hl);
	if (value)
		buf_append(&d->puts, value, n);
}

/* a then b into out[cap], cut as snprintf("%s%s") would (a report's
 * paths are built several times per report: snprintf was measurable). */
static void join(char *out, size_t cap, const char *a, const char *b)
{
	size_t al = strlen(a), bl = strlen(b);

	if (al >= cap)
		al = cap - 1;
	memcpy(out, a, al);
	if (bl > cap - 1 - al)
		bl = cap - 1 - al;
	memcpy(out + al, b, bl);
	out[al + bl] = '\0';
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

static void items_free(const merge *d, report_items *r)
{
	for (size_t k = 0; k < d->nmap; k++) /* only "[]" entries have one */
		if (d->map[k].list)
			buf_free(&r->list[k]);
	buf_free(&r->dnotes);
	buf_free(&r->active);
	buf_free(&r->enotes);
}

/* True when path p is name or lies below it (p continues with '.' or '['),
 * as flat_has tests. */
static bool under(const char *p, size_t plen, const char *name, size_t nl)
{
	return plen >= nl && (p[nl] == '\0' || p[nl] == '.' || p[nl] == '[') &&
	       memcmp(p, name, nl) == 0;
}

static void collect(const merge *d, const flat_view *v, bool full_default,
		    report_items *r)
{
	static const char decl[] = "management.declarations";
	char items[640], key[512];
	size_t ipl;
	const flat_leaf *f;
	bool has[MAX_MAP] = {false}; /* by item_id: the item is there */

	memset(r, 0, sizeof *r);
	r->full = full_default;
	join(items, sizeof items, v->pre, "StatusItems.");
	ipl = strlen(items);
	for (size_t i = v->lo; i < v->hi; i++) {
		const flat_leaf *lf = &v->f->v[i];
		const char *p = lf->path + ipl, *kp, *val;
		size_t pl, kl;

		if (strncmp(lf->path, items, ipl) != 0)
			continue;
		pl = strlen(p);
		/* an item given as an empty object or array still replaces */
		for (size_t k = 0; k < d->nmap; k++)
			if (d->map[k].item_id == k && !has[k] &&
			    under(p, pl, d->map[k].item, d->map[k].ilen))
				has[k] = true;
		if (!r->decl && under(p, pl, decl, sizeof decl - 1))
			r->decl = true;
		/* most paths have no index: compared as they are */
		if (memchr(p, '[', pl)) {
			strip_index(p, key, sizeof key);
			kp = key;
			kl = strlen(key);
		} else {
			kp = p;
			kl = pl;
		}
		/* A JSON true or false is a word, not the 1 or 0 of json_tree's
		 * atom: a failure count of true is no count of 1.  No mapped
		 * item of Apple's schema is a boolean. */
		val = lf->val;
		if (lf->val && (strcmp(lf->type, "true") == 0 ||
				strcmp(lf->type, "false") == 0))
			val = lf->type;
		for (size_t k = 0; k < d->nmap; k++) {
			if (d->map[k].klen != kl ||
			    memcmp(d->map[k].key, kp, kl) != 0)
				continue;
			if (d->map[k].list) {
				if (val) {
					if (r->list[k].len)
						buf_putc(&r->list[k], ',');
					buf_puts(&r->list[k], val);
				}
				r->vals[k] = buf_cstr(&r->list[k]);
			} else {
				r->vals[k] = val;
			}
			/* the whole item is present: all its fields */
			has[d->map[k].item_id] = true;
		}
	}
	for (size_t k = 0; k < d->nmap; k++)
		r->on[k] = has[d->map[k].item_id];
	join(key, sizeof key, v->pre, "StatusItems.management.declarations.");
	if (r->decl)
		declarations(v, key, &r->dnotes, &r->active);
	join(key, sizeof key, v->pre, "Errors[");
	report_errors(v, key, &r->enotes);
	f = flat_find(v, "FullReport");
	if (f)
		r->full = strcmp(f->type, "true") == 0;
}

/* The value of the first map entry for field fid (of d->names), or
 * NULL. */
static const char *field_val(const merge *d, const report_items *r, int fid)
{
	for (size_t k = 0; k < d->nmap; k++)
		if (d->map[k].fid == fid && r->vals[k])
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
/* The serial the first of ids (n of them, NULL or empty ones skipped)
 * is tied to, by this file's reports (held) or the database, in serial
 * (upper case); "" when none is. */
static ddm_err find_serial(merge *d, const char *const *ids, size_t n,
			   char serial[128])
{
	serial[0] = '\0';
	for (size_t i = 0; i < n && !*serial; i++) {
		const char *held;
		bool found = false;
		ddm_err err;

		if (!ids[i] || !*ids[i])
			continue;
		held = learn_find(d, ids[i]);
		if (held) {
			snprintf(serial, 128, "%s", held);
			break;
		}
		err = identity_find(d->store, ids[i], &d->tmp, &found);
		if (err)
			return err;
		if (found)
			snprintf(serial, 128, "%s", d->tmp.data);
	}
	upper(serial);
	return DDM_OK;
}

/*
 * The device the report is about, in serial: its own serial item, else the
 * envelope's, else one its ids are tied to.  A report that names its
 * device only by ids nothing ties yet is not rejected here: *hold is set
 * and why says why it would be (merge_resolve decides at the file's end,
 * when its later lines have been read).  Other reports without identity
 * are rejected.
 */
static ddm_err identify(src_ctx *x, const report_items *r, const merge_meta *m,
			char serial[128], char why[300], bool *hold)
{
	merge *d = x->env->merge;
	const char *own = field_val(d, r, d->f_serial);
	const char *udid = field_val(d, r, d->f_udid);
	const char *any = NULL, *placeholder = NULL;
	const char *ids[MERGE_MAX_IDS + 1];
	ddm_err err;

	*hold = false;
	serial[0] = '\0';
	/* cut, two serials would be one device: rejected, as a CSV row's */
	if ((own && strlen(own) > IDENTITY_SERIAL_MAX) ||
	    (m->serial && strlen(m->serial) > IDENTITY_SERIAL_MAX)) {
		snprintf(why, 300,
			 "report's serial number is longer than %d bytes",
			 IDENTITY_SERIAL_MAX);
		return src_reject(x, why);
	}
	/* a placeholder ("Not Available") is no serial: the ids decide */
	if (own && identity_serial(own, strlen(own), serial, 128) &&
	    identity_placeholder(serial))
		placeholder = own, serial[0] = '\0';
	if (!*serial && m->serial &&
	    identity_serial(m->serial, strlen(m->serial), serial, 128) &&
	    identity_placeholder(serial))
		placeholder = m->serial, serial[0] = '\0';
	for (int i = 0; i < MERGE_MAX_IDS; i++)
		ids[i] = m->ids[i];
	ids[MERGE_MAX_IDS] = udid;
	if (*serial) {
		upper(serial);
		return DDM_OK;
	}
	err = find_serial(d, ids, MERGE_MAX_IDS + 1, serial);
	if (err || *serial)
		return err;
	for (int i = 0; i < MERGE_MAX_IDS + 1 && !any; i++)
		if (ids[i] && *ids[i])
			any = ids[i];
	*hold = any != NULL;
	if (any && placeholder)
		snprintf(why, 300,
			 "report's serial number '%s' is a placeholder and "
			 "enrollment %s has not been seen with a serial",
			 diag_q(placeholder), diag_q(any));
	else if (placeholder)
		snprintf(why, 300,
			 "report's serial number '%s' is a placeholder, not a "
			 "device's serial, and it has no enrollment id",
			 diag_q(placeholder));
	else if (any)
		snprintf(why, 300,
			 "report has no serial number and enrollment %s has "
			 "not been seen with one",
			 diag_q(any));
	else
		snprintf(why, 300,
			 "report has no identity: no "
			 "device.identifier.serial-number and no enrollment "
			 "id");
	return *hold ? DDM_OK : src_reject(x, why);
}

/* Staged reports are held in memory up to this many bytes (some 120,000
 * reports of about 130 bytes: the benchmark's 100k-report file), then
 * moved to temp.ddm_stage, whose ORDER BY sorts them within bounded
 * memory.  At 8 MiB the 100k file went through the table: 2.54 s CPU
 * against 2.00 s held here (median of 9), and peak RSS fell from 40 to
 * 34 MiB (the table and its sorter cost more than the bytes held); a
 * 400k-report file, which spills, peaks at 52 MiB (43 at 8 MiB). */
#define MEM_CAP (16u << 20)

/* A staged report: this header, then its serial, keep and puts. */
typedef struct rec_hdr {
	int64_t t, file, line;
	int64_t seq; /* its place in the file (merge_resolve stages late) */
	uint32_t plen;
	uint16_t klen;
	uint8_t slen; /* a serial is below 128 bytes (identify) */
	uint8_t full;
} rec_hdr;

/* Moves the reports held in memory to temp.ddm_stage, in arrival order. */
static ddm_err spill(merge *d)
{
	store_stmt *st = d->stage;
	ddm_err err = DDM_OK;

	for (size_t i = 0; i < d->nrecs && !err; i++) {
		rec_hdr h;
		const char *r = d->mem.data + d->recs[i], *p = r + sizeof h;

		memcpy(&h, r, sizeof h);
		store_bind_text_ref(st, 1, p, h.slen);
		store_bind_int(st, 2, h.t);
		store_bind_int(st, 3, h.full);
		store_bind_blob_ref(st, 4, p + h.slen, h.klen);
		store_bind_blob_ref(st, 5, p + h.slen + h.klen, h.plen);
		store_bind_int(st, 6, h.file);
		store_bind_int(st, 7, h.line);
		store_bind_int(st, 8, h.seq);
		err = store_stmt_exec(st);
	}
	d->nrecs = 0;
	buf_reset(&d->mem);
	d->spilled = true;
	return err;
}

/* Stages one report (its serial, keep and puts are copied). */
static ddm_err stage(merge *d, const rec_hdr *h, const char *serial,
		     const char *keep, const char *puts)
{
	size_t need = sizeof *h + h->slen + h->klen + h->plen;
	ddm_err err;

	if (d->nrecs && d->mem.len + need > MEM_CAP) {
		err = spill(d);
		if (err)
			return err;
	}
	if (d->nrecs == d->caprecs) {
		d->caprecs = d->caprecs ? 2 * d->caprecs : 1024;
		d->recs = xrealloc(d->recs, d->caprecs * sizeof *d->recs);
	}
	d->recs[d->nrecs++] = d->mem.len;
	buf_append(&d->mem, h, sizeof *h);
	buf_append(&d->mem, serial, h->slen);
	buf_append(&d->mem, keep, h->klen);
	buf_append(&d->mem, puts, h->plen);
	d->pending++;
	return DDM_OK;
}

/* Whether another key of map entry k's field has a value in the report. */
static bool other_key_has(const merge *d, const report_items *r, size_t k)
{
	for (size_t j = 0; j < d->nmap; j++)
		if (j != k && d->map[j].fid == d->map[k].fid && r->vals[j])
			return true;
	return false;
}

/* The items the report carries for the device's merged set (see the top
 * of the file), as a staged record's header h, keep (d->tmp) and puts
 * (d->puts).  A full report first drops what is older, except the device
 * facts (device.* items) it does not carry: a full report that leaves out
 * the model does not make the model unknown. */
static void prepare(src_ctx *x, int64_t t, const report_items *r, rec_hdr *h)
{
	merge *d = x->env->merge;
	const char *pv = field_val(d, r, d->f_platform);
	const char *platform =
		pv ? memo_map(d, &d->platform, pv, formats_platform) : NULL;
	const char *model = field_val(d, r, d->f_model);
	buf *keep = &d->tmp;

	buf_reset(keep);
	buf_reset(&d->puts);
	if (r->full)
		for (size_t k = 0; k < d->nmap; k++)
			if (!r->on[k] && d->map[k].device_item)
				buf_putc(keep, (char)d->map[k].fid);
	for (size_t k = 0; k < d->nmap; k++) {
		const char *v = r->vals[k];

		if (!r->on[k] || d->map[k].role == ROLE_ID)
			continue;
		/* a field two keys feed: the one the report carries counts,
		 * the other's absence does not clear it */
		if (!v && other_key_has(d, r, k))
			continue;
		if (d->map[k].role == ROLE_STATUS) {
			const char *sv =
				v ? memo_map(d, &d->status, v, map_status)
				  : NULL;

			put(d, d->f_status, sv ? sv : (v ? "Unknown" : NULL));
			put(d, d->f_status_raw, v);
		} else if (d->map[k].role == ROLE_PLATFORM) {
			put(d, d->f_platform, platform ? platform : v);
		} else {
			put(d, d->map[k].fid, v);
		}
	}
	if (!platform && model) {
		const char *p = memo_map(d, &d->model, model,
					 formats_platform_of_model);

		if (p)
			put(d, d->f_platform, p);
	}
	if (r->decl) {
		put(d, d->f_decl_errors, r->dnotes.len ? r->dnotes.data : NULL);
		put(d, d->f_active_configs,
		    r->active.len ? r->active.data : NULL);
	}
	put(d, d->f_report_errors, r->enotes.len ? r->enotes.data : NULL);
	h->t = t;
	h->file = x->f->file_id;
	h->line = x->line;
	h->seq = d->seq++;
	h->slen = 0;
	h->klen = (uint16_t)keep->len;
	h->plen = (uint32_t)d->puts.len;
	h->full = r->full;
}

/* Stages the report for the device serial. */
static ddm_err apply(src_ctx *x, const char *serial, int64_t t,
		     const report_items *r)
{
	merge *d = x->env->merge;
	rec_hdr h;

	prepare(x, t, r, &h);
	h.slen = (uint8_t)strlen(serial);
	return stage(d, &h, serial, buf_cstr(&d->tmp), buf_cstr(&d->puts));
}

/* Holds the report for merge_resolve (temp.ddm_pending): why is the
 * rejection it gets if the file ties none of its ids to a serial. */
static ddm_err hold(src_ctx *x, int64_t t, const report_items *r,
		    const merge_meta *m, const char *why)
{
	merge *d = x->env->merge;
	store_stmt *st = d->pend;
	buf ids = {0};
	rec_hdr h;
	ddm_err err;

	prepare(x, t, r, &h);
	for (int i = 0; i < MERGE_MAX_IDS + 1; i++) {
		const char *id = i < MERGE_MAX_IDS ? m->ids[i]
						   : field_val(d, r, d->f_udid);

		if (id && *id)
			buf_append(&ids, id, strlen(id) + 1);
	}
	store_bind_int(st, 1, h.seq);
	store_bind_int(st, 2, h.t);
	store_bind_int(st, 3, h.full);
	store_bind_blob_ref(st, 4, buf_cstr(&d->tmp), h.klen);
	store_bind_blob_ref(st, 5, buf_cstr(&d->puts), h.plen);
	store_bind_int(st, 6, h.file);
	store_bind_int(st, 7, h.line);
	store_bind_blob_ref(st, 8, ids.data ? ids.data : "", ids.len);
	store_bind_text_ref(st, 9, why, strlen(why));
	if (x->doc)
		store_bind_blob_ref(st, 10, x->doc, x->len);
	else
		store_bind_null(st, 10);
	err = store_stmt_exec(st);
	buf_free(&ids);
	if (!err)
		d->held++;
	return err;
}

/*
 * Ids learned (enrollment id or UDID -> serial) are held here and written
 * to the enrollment table in id order when the file's reports are merged,
 * or when LEARN_CAP bytes are held: written one by one as they came they
 * were inserts at random places of a B-tree as large as the fleet (a
 * report each).  Per id the order is kept, so the table ends as it did;
 * identify() looks here first, so a later report sees an earlier one's
 * ids as before.  Another source that writes the table itself
 * (identity_learn) is preceded by merge_flush_ids (ddm.c).
 */
#define LEARN_CAP (4u << 20)

typedef struct learned_hdr {
	int64_t file;
	uint32_t ilen, slen;
} learned_hdr;

static const char *learned_id(const merge *d, size_t i)
{
	return d->lmem.data + d->lrecs[i] + sizeof(learned_hdr);
}

static uint64_t id_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

/* The hash slot of id: its entry, else the empty one it would take. */
static size_t learn_slot(const merge *d, const char *id)
{
	size_t s = (size_t)id_hash(id) & (d->nlslot - 1);

	while (d->lslot[s] && strcmp(learned_id(d, d->lslot[s] - 1), id) != 0)
		s = (s + 1) & (d->nlslot - 1);
	return s;
}

/* Puts every held id in lslot (grown to hold twice as many), in arrival
 * order: the latest of an id wins. */
static void learn_rehash(merge *d)
{
	size_t want = d->nlslot ? d->nlslot : 4096;

	while (2 * (d->nl + 1) > want)
		want *= 2;
	if (want != d->nlslot) {
		free(d->lslot);
		d->lslot = xcalloc(want, sizeof *d->lslot);
		d->nlslot = want;
	} else {
		memset(d->lslot, 0, d->nlslot * sizeof *d->lslot);
	}
	for (size_t i = 0; i < d->nl; i++)
		d->lslot[learn_slot(d, learned_id(d, i))] = i + 1;
	d->lhashed = true;
}

/* The serial id (in any case) was last learned with in this file, or
 * NULL. */
static const char *learn_find(merge *d, const char *id)
{
	size_t s, i;
	learned_hdr h;
	char idu[IDENTITY_ID_MAX];

	if (!d->nl)
		return NULL;
	id = identity_id(id, idu, sizeof idu);
	if (!d->lhashed)
		learn_rehash(d);
	s = learn_slot(d, id);
	if (!d->lslot[s])
		return NULL;
	i = d->lslot[s] - 1;
	memcpy(&h, d->lmem.data + d->lrecs[i], sizeof h);
	return learned_id(d, i) + h.ilen + 1;
}

/* Learned records in id order, then arrival (their place in lmem). */
static int learn_cmp(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	int c = strcmp(x + sizeof(learned_hdr), y + sizeof(learned_hdr));

	return c ? c : (x > y) - (x < y);
}

/* Pointers to n records held in one buffer (base + each offset), sorted
 * by cmp; the caller frees the array. */
static const char **sorted_records(const char *base, const size_t *offs,
				   size_t n,
				   int (*cmp)(const void *, const void *))
{
	const char **at = xmalloc((n ? n : 1) * sizeof *at);

	for (size_t i = 0; i < n; i++)
		at[i] = base + offs[i];
	qsort(at, n, sizeof *at, cmp);
	return at;
}

/* Forgets the held ids (written, or the file rolled back). */
static void learn_clear(merge *d)
{
	d->nl = 0;
	buf_reset(&d->lmem);
	d->lhashed = false; /* learn_rehash clears lslot */
}

ddm_err merge_flush_ids(merge *d)
{
	const char **order;
	identity_learner l;
	ddm_err err;

	if (!d->nl)
		return DDM_OK;
	err = identity_learner_get(d->store, &l);
	if (err)
		return err;
	order = sorted_records(d->lmem.data, d->lrecs, d->nl, learn_cmp);
	for (size_t i = 0; i < d->nl && !err; i++) {
		learned_hdr h;
		const char *id = order[i] + sizeof h;

		memcpy(&h, order[i], sizeof h);
		err = identity_learn_with(&l, id, id + h.ilen + 1, h.file);
	}
	free(order);
	learn_clear(d);
	return err;
}

/* identity_learn(id, serial, file), held (see above). */
static ddm_err learn(merge *d, const char *id, const char *serial, int64_t file)
{
	learned_hdr h;
	size_t s;
	char idu[IDENTITY_ID_MAX];

	if (!id || !*id || !serial || !*serial)
		return DDM_OK;
	id = identity_id(id, idu, sizeof idu);
	if (d->nl && d->lmem.len > LEARN_CAP) {
		ddm_err err = merge_flush_ids(d);

		if (err)
			return err;
	}
	if (d->nl == d->capl) {
		d->capl = d->capl ? 2 * d->capl : 1024;
		d->lrecs = xrealloc(d->lrecs, d->capl * sizeof *d->lrecs);
	}
	if (d->lhashed && 2 * (d->nl + 1) > d->nlslot)
		learn_rehash(d); /* grown; the id below goes in after */
	h.file = file;
	h.ilen = (uint32_t)strlen(id);
	h.slen = (uint32_t)strlen(serial);
	d->lrecs[d->nl] = d->lmem.len;
	buf_append(&d->lmem, &h, sizeof h);
	buf_append(&d->lmem, id, h.ilen + 1);
	buf_append(&d->lmem, serial, h.slen + 1);
	d->nl++;
	if (d->lhashed) {
		s = learn_slot(d, id);
		d->lslot[s] = d->nl;
	}
	return DDM_OK;
}

/* Remembers every id and UDID the serial was seen with, so a later report
 * without a serial can be matched. */
static ddm_err remember_ids(src_ctx *x, const char *serial, const merge_meta *m,
			    const report_items *r)
{
	merge *d = x->env->merge;
	ddm_err err = DDM_OK;

	for (int i = 0; i < MERGE_MAX_IDS + 1 && !err; i++)
		err = learn(d,
			    i < MERGE_MAX_IDS ? m->ids[i]
					      : field_val(d, r, d->f_udid),
			    serial, x->f->file_id);
	return err;
}

/*
 * Whether the report came from a user channel: NanoMDM (and KMFDDM, which
 * takes its ids) names a user-channel enrollment '<device id>:<user id>'
 * (a Mac's logged-in user, a Shared iPad's user), and a device channel
 * never has a ':' in its id (a UDID, a User Enrollment's EnrollmentID).
 * Such a report speaks for the user: on macOS it may carry the device's
 * serial and OS version (Apple's schema allows them in the user scope)
 * but never softwareupdate.*, so as the device's full report it would drop
 * the device's install state, failure and pending version.
 */
static bool user_channel_id(const merge_meta *m)
{
	for (int i = 0; i < MERGE_MAX_IDS; i++)
		if (m->ids[i] && strchr(m->ids[i], ':'))
			return true;
	return false;
}

ddm_err merge_report(src_ctx *x, const flat_view *v, const merge_meta *m)
{
	report_items r;
	char serial[128], why[300];
	bool held = false;
	ddm_err err;

	if (user_channel_id(m)) {
		x->c->skipped++;
		return DDM_OK;
	}
	if (src_future(x, m->t, &err))
		return err;
	collect(x->env->merge, v, m->full_default, &r);
	err = identify(x, &r, m, serial, why, &held);
	if (!err && held)
		err = hold(x, m->t, &r, m, why);
	if (!err && *serial)
		err = apply(x, serial, m->t, &r);
	if (!err && *serial)
		err = remember_ids(x, serial, m, &r);
	items_free(x->env->merge, &r);
	return err;
}

/* ---- the replay (merge_finish) ----------------------------------------- */

static slot *slot_find(merge *d, const char *field, size_t len)
{
	for (size_t i = 0; i < d->nslots; i++)
		if (d->slots[i].field.len == len &&
		    memcmp(d->slots[i].field.data, field, len) == 0)
			return &d->slots[i];
	return NULL;
}

/* fslot's mark of a field the device has no slot for (replay's slot_new
 * replaces it): most devices lack a few observation fields, looked up by
 * name again for each report (1%). */
#define NO_SLOT ((size_t)-1)

/* The slot of field fid (of d->names), or NULL. */
static slot *slot_fid(merge *d, int fid)
{
	slot *x;

	if (d->fslot[fid] == NO_SLOT)
		return NULL;
	if (d->fslot[fid])
		return &d->slots[d->fslot[fid] - 1];
	x = slot_find(d, d->names[fid], strlen(d->names[fid]));
	d->fslot[fid] = x ? (size_t)(x - d->slots) + 1 : NO_SLOT;
	return x;
}

/* The index of field name [field, field + len) in d->names, or -1. */
static int name_id(const merge *d, const char *field, size_t len)
{
	for (size_t i = 0; i < d->nnames; i++)
		if (strlen(d->names[i]) == len &&
		    memcmp(d->names[i], field, len) == 0)
			return (int)i;
	return -1;
}

static slot *slot_new(merge *d, const char *field, size_t len, int fid)
{
	slot *sl;

	if (d->nslots == d->capslots) {
		size_t cap = d->capslots ? 2 * d->capslots : 32;

		d->slots = xrealloc(d->slots, cap * sizeof *d->slots);
		memset(d->slots + d->capslots, 0,
		       (cap - d->capslots) * sizeof *d->slots);
		d->capslots = cap;
	}
	sl = &d->slots[d->nslots++];
	buf_reset(&sl->field);
	buf_append(&sl->field, field, len);
	buf_cstr(&sl->field);
	sl->fid = fid;
	sl->null = true;
	sl->present = sl->in_db = sl->dirty = false;
	sl->t = sl->file = 0;
	return sl;
}

static void slot_set(slot *sl, const char *v, size_t len, int64_t t,
		     int64_t file)
{
	buf_reset(&sl->value);
	sl->null = v == NULL;
	if (v) {
		buf_append(&sl->value, v, len);
		buf_cstr(&sl->value);
	}
	sl->t = t;
	sl->file = file;
	sl->present = true;
}

/* Reads a decimal integer (an optional '-', then digits) and the space
 * after it from *p (below end); false when there is none. */
static bool dec_get(const unsigned char **p, const unsigned char *end,
		    int64_t *out)
{
	const unsigned char *q = *p;
	bool neg = q < end && *q == '-';
	uint64_t v = 0;
	size_t nd = 0;

	if (neg)
		q++;
	for (; q < end && *q >= '0' && *q <= '9' && nd < 19; q++, nd++)
		v = v * 10 + (uint64_t)(*q - '0');
	if (!nd || q == end || *q != ' ')
		return false;
	*out = neg ? -(int64_t)v : (int64_t)v;
	*p = q + 1;
	return true;
}

/* v in decimal, then a space, at the start of out; its length. */
static size_t dec_fmt(char out[24], int64_t v)
{
	char t[24];
	size_t i = sizeof t;
	uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;

	t[--i] = ' ';
	do
		t[--i] = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (v < 0)
		t[--i] = '-';
	memcpy(out, t + i, sizeof t - i);
	return sizeof t - i;
}

/* Appends v in decimal, then a space. */
static void dec_put(buf *b, int64_t v)
{
	char t[24];

	buf_append(b, t, dec_fmt(t, v));
}

/* The device's merged set as the database has it: one row, its fields
 * encoded as schema.sql (table ddm_state) says. */
static ddm_err load_state(merge *d, const char *serial)
{
	store_stmt *st = d->state;
	bool row = true;
	ddm_err err;

	d->nslots = 0;
	memset(d->fslot, 0, sizeof d->fslot);
	if (d->fresh)
		return DDM_OK;
	store_bind_text(st, store_stmt_param(st, ":serial_number"), serial,
			strlen(serial));
	while (!(err = store_stmt_step(st, &row)) && row) {
		size_t n = 0;
		const unsigned char *p = store_stmt_col_blob(st, 0, &n);
		const unsigned char *end = p ? p + n : p;

		while (p < end) {
			int64_t t, file, fl, vl;
			slot *sl;

			if (!dec_get(&p, end, &t) || !dec_get(&p, end, &file) ||
			    !dec_get(&p, end, &fl) || !dec_get(&p, end, &vl) ||
			    fl < 0 || vl < -1 || fl > end - p ||
			    (vl > 0 && vl > end - p - fl)) {
				store_stmt_reset(st);
				return diag_error(DDM_ERR_DATA, "ddm_state",
						  "device %s: bad merged set",
						  diag_q(serial));
			}
			sl = slot_new(d, (const char *)p, (size_t)fl,
				      name_id(d, (const char *)p, (size_t)fl));
			p += fl;
			slot_set(sl, vl < 0 ? NULL : (const char *)p,
				 vl < 0 ? 0 : (size_t)vl, t, file);
			sl->in_db = true;
			if (vl > 0)
				p += vl;
		}
	}
	return err;
}

/* Fields in byte order of their names (then length); by their names'
 * ranks when both have one (the same order, without the compares: the
 * sort was 1.6% of a DDM ingest). */
static int slot_cmp(const int *rank, const slot *x, const slot *y)
{
	size_t n;
	int c;

	if (x->fid >= 0 && y->fid >= 0)
		return (rank[x->fid] > rank[y->fid]) -
		       (rank[x->fid] < rank[y->fid]);
	n = x->field.len < y->field.len ? x->field.len : y->field.len;
	c = memcmp(x->field.data, y->field.data, n);
	return c ? c
		 : (x->field.len > y->field.len) -
			       (x->field.len < y->field.len);
}

/* Writes back the device's set, whole, when the file's reports changed
 * it (a field set, or one the database has dropped). */
static ddm_err save_state(merge *d, const char *serial)
{
	store_stmt *st = d->set;
	bool changed = false;
	char tb[24], fb[24];
	size_t tl = 0, fl = 0;
	int64_t tv = 0, fv = 0;

	for (size_t i = 0; i < d->nslots; i++)
		if ((d->slots[i].present && d->slots[i].dirty) ||
		    (!d->slots[i].present && d->slots[i].in_db))
			changed = true;
	if (!changed)
		return DDM_OK;
	memset(d->fslot, 0, sizeof d->fslot);  /* the sort moves slots */
	for (size_t j = 1; j < d->nslots; j++) /* a dozen: insertion */
		for (size_t k = j; k > 0 && slot_cmp(d->rank, &d->slots[k - 1],
						     &d->slots[k]) > 0;
		     k--) {
			slot t = d->slots[k];

			d->slots[k] = d->slots[k - 1];
			d->slots[k - 1] = t;
		}
	buf_reset(&d->enc);
	for (size_t i = 0; i < d->nslots; i++) {
		const slot *x = &d->slots[i];

		if (!x->present)
			continue;
		/* a device's fields mostly share their time and file: their
		 * digits are the last field's (dec_put was 4%) */
		if (!tl || x->t != tv)
			tl = dec_fmt(tb, tv = x->t);
		if (!fl || x->file != fv)
			fl = dec_fmt(fb, fv = x->file);
		buf_append(&d->enc, tb, tl);
		buf_append(&d->enc, fb, fl);
		dec_put(&d->enc, (int64_t)x->field.len);
		dec_put(&d->enc, x->null ? -1 : (int64_t)x->value.len);
		buf_append(&d->enc, x->field.data, x->field.len);
		if (!x->null)
			buf_append(&d->enc, x->value.data, x->value.len);
	}
	store_bind_text_ref(st, 1, serial, strlen(serial));
	store_bind_blob_ref(st, 2, d->enc.data, d->enc.len);
	return store_stmt_exec(st);
}

/*
 * The next put of a staged report's puts [*p, *p + *n): its field id and
 * value (*v NULL: set to null, *len 0).  False at the end, and with *bad
 * set when a put runs past the end.
 */
static bool put_next(const unsigned char **p, size_t *n, unsigned *fid,
		     const char **v, uint32_t *len, bool *bad)
{
	unsigned lb;

	*bad = false;
	if (*n < 2)
		return false;
	*fid = (*p)[0];
	lb = (*p)[1];
	*p += 2;
	*n -= 2;
	*v = NULL;
	if (lb == PUT_NULL) {
		*len = 0;
		return true;
	}
	*len = lb;
	if (lb == PUT_LONG) {
		if (*n < 4) {
			*bad = true;
			return false;
		}
		memcpy(len, *p, 4);
		*p += 4;
		*n -= 4;
	}
	if (*len > *n) {
		*bad = true;
		return false;
	}
	*v = (const char *)*p;
	*p += *len;
	*n -= *len;
	return true;
}

/* Whether a full report keeps field x: keep is the ids (of names) of the
 * device facts it does not carry, a byte each (their names spelt out
 * were a fifth of a staged report). */
static bool kept(const char *keep, size_t klen, const slot *x)
{
	return x->fid >= 0 && memchr(keep, x->fid, klen) != NULL;
}

/* The set's record of its newest full report (a field of no status item:
 * its time, an empty value).  A full report drops what is older, so a
 * report older than it, fed late, sets none of the fields it dropped. */
#define FULL_MARK "@full-report"

/* Whether field fid is a device fact (a device.* item's): a full report
 * does not drop it when it leaves it out. */
static bool device_fid(const merge *d, int fid)
{
	for (size_t k = 0; k < d->nmap; k++)
		if (d->map[k].fid == fid && d->map[k].device_item)
			return true;
	return false;
}

/* One staged report applied to the loaded set. */
static ddm_err replay(merge *d, int64_t t, bool full, const char *keep,
		      size_t klen, const unsigned char *p, size_t n,
		      int64_t file)
{
	slot *m = slot_find(d, FULL_MARK, strlen(FULL_MARK));
	int64_t full_t = m && m->present ? m->t : INT64_MIN;

	if (full) {
		for (size_t i = 0; i < d->nslots; i++) {
			slot *x = &d->slots[i];

			if (x->present && x->t < t && !kept(keep, klen, x)) {
				x->present = false;
				x->dirty = false;
			}
		}
		if (!m)
			m = slot_new(d, FULL_MARK, strlen(FULL_MARK), -1);
		if (!m->present || t >= m->t) {
			slot_set(m, "", 0, t, file);
			m->dirty = true;
		}
	}
	unsigned fid;
	uint32_t len;
	const char *v;
	bool bad;

	while (put_next(&p, &n, &fid, &v, &len, &bad)) {
		const char *name;
		slot *x;

		if (fid >= d->nnames)
			return diag_error(DDM_ERR_INTERNAL, "ddm_stage",
					  "bad record");
		name = d->names[fid];
		x = slot_fid(d, (int)fid);
		if (!x) {
			x = slot_new(d, name, strlen(name), (int)fid);
			d->fslot[fid] = (size_t)(x - d->slots) + 1;
		}
		/* a newer full report dropped it (or set it since) */
		if (t < full_t && !device_fid(d, (int)fid))
			continue;
		if (!x->present || t >= x->t) {
			slot_set(x, v, len, t, file);
			x->dirty = true;
		}
	}
	if (bad)
		return diag_error(DDM_ERR_INTERNAL, "ddm_stage", "bad record");
	return DDM_OK;
}

/* Whether some field of the loaded set is newer than t: the report at t
 * arrived after newer ones (another file ingested first, or a file whose
 * lines are not in time order). */
static bool is_late(const merge *d, int64_t t)
{
	for (size_t i = 0; i < d->nslots; i++)
		if (d->slots[i].present && d->slots[i].t > t)
			return true;
	return false;
}

static void late_set(merge *d, size_t i, const char *v, size_t len)
{
	d->late_null[i] = v == NULL;
	buf_reset(&d->late[i]);
	if (v)
		buf_append(&d->late[i], v, len);
	buf_cstr(&d->late[i]);
}

/*
 * The observation of a late report: what the device had said by its time,
 * not the newer values the set holds.  Each field is the report's own
 * value when it carries the field; else the set's when that is no newer
 * than the report; else what the device's observation just before the
 * report said (a full report drops it, as replay does, unless it is a
 * device fact the report leaves out; a newer full report that dropped it
 * from the set does not); else none.  So a history fed out of
 * order reads as the device reported it: a report of "downloading" on
 * 26.0.1 stays one, though a newer report of 26.1 was stored first.
 */
static ddm_err observe_late(merge *d, const char *serial, int64_t t, bool full,
			    const char *keep, size_t klen,
			    const unsigned char *puts, size_t n)
{
	bool want[NOBS], carried[NOBS] = {false}, need = false, row = false,
			 bad;
	store_stmt *st = d->before;
	const slot *m = slot_find(d, FULL_MARK, strlen(FULL_MARK));
	int64_t full_t = m && m->present ? m->t : INT64_MIN;
	unsigned fid;
	uint32_t len;
	const char *v;
	ddm_err err;

	/* The report's own values (a field's last put wins). */
	while (put_next(&puts, &n, &fid, &v, &len, &bad))
		for (size_t i = 0; i < NOBS; i++)
			if ((int)fid == d->obs_fid[i]) {
				carried[i] = true;
				late_set(d, i, v, len);
			}
	for (size_t i = 0; i < NOBS; i++) {
		slot *x;

		want[i] = false;
		if (carried[i])
			continue;
		x = slot_fid(d, d->obs_fid[i]);
		if ((!x || !x->present) && !full && t < full_t)
			want[i] = need =
				true; /* a newer full report dropped it */
		else if (!x || !x->present)
			late_set(d, i, NULL, 0);
		else if (x->t <= t)
			late_set(d, i, x->null ? NULL : x->value.data,
				 x->value.len);
		else if (full && !kept(keep, klen, x))
			late_set(d, i, NULL, 0);
		else
			want[i] = need = true;
	}
	if (!need)
		return DDM_OK;
	store_bind_text(st, store_stmt_param(st, ":serial_number"), serial,
			strlen(serial));
	store_bind_int(st, store_stmt_param(st, ":reported_at"), t);
	err = store_stmt_step(st, &row);
	if (err)
		return err;
	for (size_t i = 0; i < NOBS; i++) {
		size_t clen = 0;
		const char *cv =
			row && want[i] ? store_stmt_col_text(st, (int)i, &clen)
				       : NULL;

		if (want[i])
			late_set(d, i, cv, clen);
	}
	if (row)
		store_stmt_reset(st);
	return DDM_OK;
}

/* The set right after a report as its observation, or for a late report
 * the fields observe_late worked out (a report already stored counts as a
 * duplicate). */
static ddm_err observe(merge *d, const char *serial, int64_t t, int64_t file,
		       int64_t line, bool late, ddm_counts *c)
{
	store_stmt *st = d->obs;
	int changes = 0;
	ddm_err err;

	store_bind_text(st, d->obs_serial, serial, strlen(serial));
	store_bind_int(st, d->obs_at, t);
	store_bind_int(st, d->obs_file, file);
	store_bind_int(st, d->obs_line, line);
	for (size_t i = 0; i < NOBS; i++) {
		slot *x = late ? NULL : slot_fid(d, d->obs_fid[i]);

		if (late && !d->late_null[i])
			store_bind_text_ref(st, d->obs_param[i],
					    d->late[i].data, d->late[i].len);
		else if (x && x->present && !x->null)
			store_bind_text_ref(st, d->obs_param[i], x->value.data,
					    x->value.len);
		else
			store_bind_null(st, d->obs_param[i]);
	}
	err = store_stmt_run(st, &changes, NULL);
	if (err)
		return err;
	if (changes)
		c->stored++;
	else
		c->duplicate++;
	return DDM_OK;
}

/* Whether the staged puts [p, p+n) set field fid. */
static bool carries(const unsigned char *p, size_t n, int fid)
{
	unsigned f;
	uint32_t len;
	const char *v;
	bool bad;

	while (put_next(&p, &n, &f, &v, &len, &bad))
		if ((int)f == fid)
			return true;
	return false;
}

/* Observation field i of obs_fields when the late report at t set it and
 * no newer report changed it since: it is still the set's value. */
static bool still_set(merge *d, size_t i, int64_t t, const unsigned char *p,
		      size_t n)
{
	slot *x = slot_fid(d, d->obs_fid[i]);

	return x && x->present && x->t == t && !d->late_null[i] &&
	       carries(p, n, d->obs_fid[i]);
}

/*
 * A late report's pending version (with its deadline) and active
 * declarations, when no newer report changed them, were the device's
 * through the newer reports too (they are incremental): the newer
 * observations that lack them get them (store.sql,
 * ddm_observation_forward).  Otherwise a backlog fed after the night's
 * incremental reports leaves the device's latest observation without the
 * declaration and the deadline that decide its target.
 */
static ddm_err forward_items(merge *d, const char *serial, int64_t t, bool full,
			     const char *keep, size_t klen,
			     const unsigned char *p, size_t n);

static ddm_err forward(merge *d, const char *serial, int64_t t, bool full,
		       const char *keep, size_t klen, const unsigned char *p,
		       size_t n)
{
	static const char *const names[] = {
		"target_os_version", "target_build_version",
		"target_local_datetime", "active_configs", "declaration_id"};
	store_stmt *st = d->fwd;
	bool pending = false, decl = false;

	for (size_t i = 0; i < NOBS; i++) {
		if (strcmp(obs_fields[i], "target_os_version") == 0)
			pending = still_set(d, i, t, p, n);
		else if (strcmp(obs_fields[i], "active_configs") == 0)
			decl = still_set(d, i, t, p, n);
	}
	ddm_err err = forward_items(d, serial, t, full, keep, klen, p, n);

	if (err || (!pending && !decl))
		return err;
	store_bind_text(st, store_stmt_param(st, ":serial_number"), serial,
			strlen(serial));
	store_bind_int(st, store_stmt_param(st, ":reported_at"), t);
	store_bind_int(st, store_stmt_param(st, ":pending"), pending);
	store_bind_int(st, store_stmt_param(st, ":decl"), decl);
	for (size_t k = 0; k < sizeof names / sizeof *names; k++) {
		char pn[64];
		int idx;

		snprintf(pn, sizeof pn, ":%s", names[k]);
		idx = store_stmt_param(st, pn);
		for (size_t i = 0; i < NOBS; i++)
			if (strcmp(obs_fields[i], names[k]) == 0) {
				if (d->late_null[i])
					store_bind_null(st, idx);
				else
					store_bind_text(st, idx,
							d->late[i].data,
							d->late[i].len);
			}
	}
	return store_stmt_run(st, NULL, NULL);
}

/*
 * The other items a late report carried that no newer report changed
 * (its install state, failure reason, OS version, platform, model, and a
 * pending version that replaces one: ddm_observation_forward fills one
 * where the newer observations have none) were
 * the device's through the newer reports too: the newer observations that
 * still show the value from before the report get the report's (store.sql,
 * ddm_observation_forward_items).  Otherwise a backlog's "failed" or
 * "installing" leaves the device's latest observation in the install state
 * it had before, though the device never reported that state since.  A
 * late full report's drop is forwarded alike: what it does not carry and
 * no newer report set (but a device fact it leaves out) is gone.  An item
 * a newer report carried too is left as the newer observations show it:
 * the set knows only the newest report that carried it, not which of the
 * reports between did.
 */
static ddm_err forward_items(merge *d, const char *serial, int64_t t, bool full,
			     const char *keep, size_t klen,
			     const unsigned char *p, size_t n)
{
	static const char *const names[] = {"status",
					    "status_raw",
					    "os_version",
					    "build_version",
					    "extra_version",
					    "failure_count",
					    "failure_reason",
					    "platform",
					    "model",
					    "target_os_version",
					    "target_build_version",
					    "target_local_datetime"};
	store_stmt *st = d->fwd_items;
	bool any = false;

	for (size_t k = 0; k < sizeof names / sizeof *names; k++) {
		char pn[64];
		bool on = false, gone = false;
		size_t at = NOBS;
		slot *x;

		for (size_t i = 0; i < NOBS; i++)
			if (strcmp(obs_fields[i], names[k]) == 0) {
				int fid = d->obs_fid[i];

				x = slot_fid(d, fid);
				on = still_set(d, i, t, p, n);
				gone = full && (!x || !x->present) &&
				       !carries(p, n, fid) &&
				       !(fid >= 0 && memchr(keep, fid, klen));
				at = i;
			}
		any = any || on || gone;
		snprintf(pn, sizeof pn, ":f_%s", names[k]);
		store_bind_int(st, store_stmt_param(st, pn), on || gone);
		snprintf(pn, sizeof pn, ":%s", names[k]);
		if (on && at < NOBS && !d->late_null[at])
			store_bind_text(st, store_stmt_param(st, pn),
					d->late[at].data, d->late[at].len);
		else if (strcmp(names[k], "status") == 0)
			store_bind_text(st, store_stmt_param(st, pn), "Unknown",
					7);
		else
			store_bind_null(st, store_stmt_param(st, pn));
	}
	if (!any)
		return DDM_OK;
	store_bind_text(st, store_stmt_param(st, ":serial_number"), serial,
			strlen(serial));
	store_bind_int(st, store_stmt_param(st, ":reported_at"), t);
	return store_stmt_run(st, NULL, NULL);
}

/* Where the replay is: the device whose set is loaded. */
typedef struct cursor {
	char serial[128];
	bool have;
} cursor;

/* One staged report replayed: the device's set loaded when it is another
 * device (the last one's written back), the report applied, observed. */
static ddm_err replay_one(merge *d, cursor *cu, const rec_hdr *h,
			  const char *serial, const char *keep,
			  const unsigned char *puts, ddm_counts *c)
{
	ddm_err err = DDM_OK;
	bool late;

	if (h->slen >= sizeof cu->serial || memchr(serial, 0, h->slen))
		return diag_error(DDM_ERR_INTERNAL, "ddm_stage", "bad record");
	if (!cu->have || strlen(cu->serial) != h->slen ||
	    memcmp(serial, cu->serial, h->slen) != 0) {
		if (cu->have)
			err = save_state(d, cu->serial);
		memcpy(cu->serial, serial, h->slen);
		cu->serial[h->slen] = '\0';
		cu->have = true;
		if (!err)
			err = load_state(d, cu->serial);
	}
	late = !err && is_late(d, h->t);
	if (!err)
		err = replay(d, h->t, h->full != 0, keep, h->klen, puts,
			     h->plen, h->file);
	if (!err && late)
		err = observe_late(d, cu->serial, h->t, h->full != 0, keep,
				   h->klen, puts, h->plen);
	if (!err)
		err = observe(d, cu->serial, h->t, h->file, h->line, late, c);
	if (!err && late)
		err = forward(d, cu->serial, h->t, h->full != 0, keep, h->klen,
			      puts, h->plen);
	return err;
}

/* Serial order (BINARY, as the stage table's ORDER BY), then arrival. */
static int rec_cmp(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	rec_hdr hx, hy;
	size_t n;
	int c;

	memcpy(&hx, x, sizeof hx);
	memcpy(&hy, y, sizeof hy);
	n = hx.slen < hy.slen ? hx.slen : hy.slen;
	c = memcmp(x + sizeof hx, y + sizeof hy, n);
	if (c)
		return c;
	if (hx.slen != hy.slen)
		return hx.slen < hy.slen ? -1 : 1;
	return (hx.seq > hy.seq) - (hx.seq < hy.seq);
}

/* The staged reports all held in memory, sorted here. */
static ddm_err finish_in_memory(merge *d, cursor *cu, ddm_counts *c)
{
	const char **at =
		sorted_records(d->mem.data, d->recs, d->nrecs, rec_cmp);
	ddm_err err = DDM_OK;

	for (size_t i = 0; i < d->nrecs && !err; i++) {
		rec_hdr h;
		const char *p = at[i] + sizeof h;

		memcpy(&h, at[i], sizeof h);
		err = replay_one(d, cu, &h, p, p + h.slen,
				 (const unsigned char *)p + h.slen + h.klen, c);
	}
	free(at);
	return err;
}

/* The staged reports read back from temp.ddm_stage in order. */
static ddm_err finish_from_table(merge *d, cursor *cu, ddm_counts *c)
{
	store_stmt *st = d->read;
	bool row = true;
	ddm_err err;

	while (!(err = store_stmt_step(st, &row)) && row) {
		size_t sl = 0, kl = 0, pl = 0;
		const char *serial = store_stmt_col_text(st, 0, &sl);
		const char *keep = store_stmt_col_blob(st, 3, &kl);
		const void *puts = store_stmt_col_blob(st, 4, &pl);
		rec_hdr h;

		if (sl >= 128 || kl > UINT16_MAX) {
			store_stmt_reset(st);
			return diag_error(DDM_ERR_INTERNAL, "ddm_stage",
					  "bad record");
		}
		h.t = store_stmt_col_int(st, 1);
		h.full = store_stmt_col_int(st, 2) != 0;
		h.file = store_stmt_col_int(st, 5);
		h.line = store_stmt_col_int(st, 6);
		h.seq = store_stmt_col_int(st, 7);
		h.slen = (uint8_t)sl;
		h.klen = keep ? (uint16_t)kl : 0;
		h.plen = (uint32_t)pl;
		err = serial ? replay_one(d, cu, &h, serial, keep ? keep : "",
					  puts, c)
			     : diag_error(DDM_ERR_INTERNAL, "ddm_stage",
					  "bad record");
		if (err) {
			store_stmt_reset(st);
			return err;
		}
	}
	return err;
}

void merge_discard(merge *d)
{
	learn_clear(d);
	/* the held reports went with the file's transaction */
	d->held = 0;
	d->seq = 0;
	d->pending = 0;
	d->nrecs = 0;
	buf_reset(&d->mem);
	d->spilled = false;
}

/* One sweep of the held reports: each one whose ids are tied to a serial
 * now is staged for it, in its place of the file, and teaches its other
 * ids; *tied counts them. */
static ddm_err resolve_sweep(merge *d, long *tied)
{
	store_stmt *st = d->pend_read;
	int64_t *done = NULL;
	size_t ndone = 0, cap = 0;
	bool row = true;
	ddm_err err;

	*tied = 0;
	while (!(err = store_stmt_step(st, &row)) && row) {
		size_t kl = 0, pl = 0, il = 0, n = 0;
		const char *keep = store_stmt_col_blob(st, 3, &kl);
		const char *puts = store_stmt_col_blob(st, 4, &pl);
		const char *blob = store_stmt_col_blob(st, 7, &il);
		const char *ids[MERGE_MAX_IDS + 1];
		char serial[128];
		rec_hdr h;

		for (size_t at = 0; blob && at < il && n < MERGE_MAX_IDS + 1;
		     at += strlen(blob + at) + 1)
			ids[n++] = blob + at;
		err = find_serial(d, ids, n, serial);
		if (err || !*serial)
			continue;
		h.seq = store_stmt_col_int(st, 0);
		h.t = store_stmt_col_int(st, 1);
		h.full = store_stmt_col_int(st, 2) != 0;
		h.file = store_stmt_col_int(st, 5);
		h.line = store_stmt_col_int(st, 6);
		h.slen = (uint8_t)strlen(serial);
		h.klen = keep ? (uint16_t)kl : 0;
		h.plen = (uint32_t)pl;
		err = stage(d, &h, serial, keep ? keep : "", puts ? puts : "");
		for (size_t i = 0; i < n && !err; i++)
			err = learn(d, ids[i], serial, h.file);
		if (err)
			break;
		if (ndone == cap) {
			cap = cap ? 2 * cap : 64;
			done = xrealloc(done, cap * sizeof *done);
		}
		done[ndone++] = store_stmt_col_int(st, 10);
	}
	if (err)
		store_stmt_reset(st);
	for (size_t i = 0; i < ndone && !err; i++) {
		store_bind_int(d->pend_done, 1, done[i]);
		err = store_stmt_exec(d->pend_done);
	}
	free(done);
	*tied = (long)ndone;
	return err;
}

ddm_err merge_resolve(merge *d, ddm_counts *c, ddm_reject_fn rej, void *rctx)
{
	store_stmt *st = d->pend_read;
	bool row = true;
	long tied = 1;
	ddm_err err = DDM_OK;

	if (!d->held)
		return DDM_OK;
	/* a report tied in one sweep may tie an earlier one by its ids */
	while (!err && tied > 0)
		err = resolve_sweep(d, &tied);
	while (!err && !(err = store_stmt_step(st, &row)) && row) {
		size_t rl = 0;
		const char *why = store_stmt_col_text(st, 8, NULL);
		const char *raw = store_stmt_col_blob(st, 9, &rl);

		c->unidentified++;
		err = rej(rctx, store_stmt_col_int(st, 6), why ? why : "", raw,
			  raw ? rl : 0);
		if (err)
			store_stmt_reset(st);
	}
	if (!err)
		err = store_stmt_run(d->pend_clear, NULL, NULL);
	d->held = 0;
	return err;
}

ddm_err merge_finish(merge *d, ddm_counts *c)
{
	cursor cu = {"", false};
	int64_t any = 1;
	ddm_err err = merge_flush_ids(d);

	if (err || !d->pending)
		return err;
	/* Each device is replayed once here, so when the table is empty now
	 * no device has a state to load (a first load). */
	err = store_stmt_run(d->any, NULL, &any);
	d->fresh = any == 0;
	if (!err && d->spilled) {
		err = spill(d);
		if (!err)
			err = finish_from_table(d, &cu, c);
	} else if (!err) {
		err = finish_in_memory(d, &cu, c);
	}
	if (!err && cu.have)
		err = save_state(d, cu.serial);
	if (!err && d->spilled)
		err = store_stmt_run(d->clear, NULL, NULL);
	merge_discard(d);
	return err;
}
