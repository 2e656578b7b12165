/*
 * ddm.h - JSON inputs into the history: each document goes to the source
 * (src/sources/, one file each, listed in sources/registry.c) whose shape
 * it has, never by a file name: raw DDM status reports, NDJSON envelopes,
 * NanoMDM webhook events, Jamf Pro DDM status items, managed software
 * update statuses and plans, KMFDDM status values, the enforcement
 * declaration itself as a target, and SOFA feeds.  A top-level array is
 * read element by element.  DDM reports are merged per device
 * (sources/merge.c).
 */
#ifndef DDM_DDM_H
#define DDM_DDM_H

#include <stdbool.h>
#include <stdint.h>

#include "diag.h"
#include "formats.h"
#include "sources/doc.h"
#include "store.h"

typedef struct ddm ddm;

/* Loads queries/formats/ddm-items.map.  s and fs are borrowed; source_tz
 * (may be NULL: UTC) is for Jamf times written without a zone; a DDM report
 * timed more than TS_FUTURE_SLACK after run_time is rejected.  *out owned
 * by the caller (ddm_free). */
ddm_err ddm_new(store *s, const formats *fs, const char *source_tz,
		int64_t run_time, ddm **out);
void ddm_free(ddm *d);

/*
 * Ingests one checked JSON document (see jsonin) inside the caller's
 * transaction.  Documents that cannot be used are passed to reject and
 * counted; events of other kinds (webhook topics, check-in endpoints) are
 * counted as skipped.  Returns a fatal error (database) only.
 */
/* What JSON inputs are understood, for an error message (owned by d). */
const char *ddm_expected(const ddm *d);

ddm_err ddm_document(ddm *d, const ddm_file *f, const char *doc, size_t len,
		     long line, ddm_counts *c, ddm_reject_fn reject,
		     void *rctx);

/* Once a file's documents are read: stores what ddm_document held back
 * (DDM reports are merged per device when the file ends; a report whose
 * device a later line tied is stored for it, one still unknown is rejected
 * now through reject) and counts it in c.  Inside the caller's
 * transaction; returns a database error only. */
ddm_err ddm_finish(ddm *d, ddm_counts *c, ddm_reject_fn reject, void *rctx);
/* Forgets what ddm_document held back when the file is not stored. */
void ddm_discard(ddm *d);

#endif
