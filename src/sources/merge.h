/*
 * merge.h - DDM status reports merged per device into observations.
 *
 * Part of the ingest stage, used by every source that carries DDM status
 * items (raw reports, envelopes, NanoMDM webhooks, Jamf status items,
 * KMFDDM status values).  Reports are incremental: each report writes the
 * fields of the items it carries into the device's merged set (table
 * ddm_state; later wins per field, a full report drops older ones except
 * the device facts it does not carry), then the merged set becomes one
 * observation (merge_finish, once the file is read: see merge.c).  Which
 * status item feeds which field is data:
 * queries/formats/ddm-items.map.
 */
#ifndef DDM_MERGE_H
#define DDM_MERGE_H

#include <stdbool.h>
#include <stdint.h>

#include "sources/source.h"

#define MERGE_MAX_IDS 6

/* What the source knows besides the report body. */
typedef struct merge_meta {
	const char *ids[MERGE_MAX_IDS]; /* enrollment ids / UDIDs / management
					   ids, may be NULL */
	const char *serial;		/* from an envelope, may be NULL */
	int64_t t;			/* the report's time */
	bool full_default;		/* the server's whole set (Jamf) */
} merge_meta;

/* Loads the map; s and fs borrowed.  *out owned by the caller. */
ddm_err merge_new(store *s, const formats *fs, merge **out);
void merge_free(merge *m);

/*
 * Merges the report whose StatusItems / Errors / FullReport are under
 * v->pre: finds the device (its serial item, else meta's serial, else an
 * id learned earlier), stores the items, remembers the ids, writes one
 * observation.  A report without identity is rejected.  Returns a
 * database error only.
 */
ddm_err merge_report(src_ctx *x, const flat_view *v, const merge_meta *m);

/*
 * Merges the reports merge_report staged since the last call into the
 * devices' sets and writes their observations, counting them in c as
 * stored or duplicate.  Called when a file has been read, and before a
 * source that writes observations itself.  Returns a database error only.
 */
ddm_err merge_finish(merge *m, ddm_counts *c);

/*
 * At a file's end, before its last merge_finish: the reports merge_report
 * held because their ids were tied to no serial yet are staged for the
 * serial a later line of the file tied them to, each in its place of the
 * file; the others are rejected now through rej (their line, the reason
 * they would have had when read, their document), counted in
 * c->unidentified.  Returns a database error only.
 */
ddm_err merge_resolve(merge *m, ddm_counts *c, ddm_reject_fn rej, void *rctx);

/* Writes the ids the reports taught (held until merge_finish, so that they
 * go in id order): before anything else reads or writes the enrollment
 * table. */
ddm_err merge_flush_ids(merge *m);
/* Drops the staged reports (the file failed: its transaction is rolled
 * back). */
void merge_discard(merge *m);

#endif
