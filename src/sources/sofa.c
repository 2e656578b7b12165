/*
 * sofa.c - SOFA feeds (macadmins/sofa v1 and v2): OS releases and the CVEs
 * they fix.
 *
 * Shape: {"UpdateHash", "OSVersions": [{"OSVersion", "SecurityReleases":
 * [...]}], "SchemaVersion"? (v2)}.  The walk over the releases is SQL
 * (statements feed_* of queries/store.sql) bound with the whole document;
 * here only the counts.  Only a whole file is a feed, never an element of
 * an array.
 */
#include "sources/source.h"

static int recognise(const flat_view *v)
{
	if (v->pre[0] || !flat_find(v, "UpdateHash"))
		return 0;
	return flat_has(v, "OSVersions") ? 100 : 0;
}

static ddm_err read(src_ctx *x, const flat_view *v)
{
	store *s = x->env->store;
	store_stmt *shape_st = store_stmt_get(s, "feed_shape"),
		   *entries_st = store_stmt_get(s, "feed_entries"),
		   *clear = store_stmt_get(s, "feed_clear"),
		   *stage = store_stmt_get(s, "feed_stage"),
		   *release = store_stmt_get(s, "feed_release");
	int64_t shape = 0, entries = 0;
	int keys = 0, stored = 0;
	ddm_err err;

	(void)v;
	if (!shape_st || !entries_st || !clear || !stage || !release)
		return DDM_ERR_INTERNAL;
	store_bind_text(shape_st, store_stmt_param(shape_st, ":doc"), x->doc,
			x->len);
	err = store_stmt_run(shape_st, NULL, &shape);
	if (err)
		return err;
	if (shape == 0) {
		x->c->read++;
		return src_reject(x, "SOFA feed: OSVersions is not a list");
	}
	x->c->feed = true;
	src_format(x, shape == 2 ? "sofa-v2" : "sofa-v1");
	store_bind_text(entries_st, store_stmt_param(entries_st, ":doc"),
			x->doc, x->len);
	err = store_stmt_run(entries_st, NULL, &entries);
	if (!err)
		err = store_stmt_run(clear, NULL, NULL);
	if (err)
		return err;
	x->c->read += (long)entries;
	store_bind_text(stage, store_stmt_param(stage, ":doc"), x->doc, x->len);
	err = store_stmt_run(stage, &keys, NULL);
	if (err)
		return err;
	if (keys == 0)
		return src_reject(x,
				  "SOFA feed lists no security release with "
				  "a ProductVersion and a known ProductName");
	store_bind_int(release, store_stmt_param(release, ":file"),
		       x->f->file_id);
	err = store_stmt_run(release, &stored, NULL);
	if (err)
		return err;
	x->c->stored += stored;
	x->c->duplicate += keys - stored;
	return store_stmt_run(clear, NULL, NULL);
}

const source source_sofa = {"sofa", "a SOFA feed", recognise,
			    read,   false,	   false};
