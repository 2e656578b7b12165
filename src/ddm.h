/*
 * ddm.h - JSON status sources into the history: raw DDM status reports,
 * NDJSON envelopes, NanoMDM webhook events, Jamf Pro DDM status items and
 * managed software update statuses, the enforcement declaration itself
 * as a target, and SOFA feeds (OS releases and their CVEs).
 *
 * Each document is recognised by its shape (never by a file name):
 *   {"StatusItems": ..., "Errors": [...], "FullReport": ...}   raw report
 *   {"received_at", "enrollment_id", "serial_number"?, "report": {...}}
 *                                                          NDJSON envelope
 *   {"topic", "created_at", "checkin_event": {...}}       NanoMDM webhook
 *   {"statusItems": [{"key", "value", "lastUpdateTime"}]} Jamf status items
 *   {"totalCount", "results": [{"device": {...}, ...}]}   Jamf update statuses
 *   {"Type": "com.apple.configuration.softwareupdate.enforcement.specific",
 *    "Identifier", "Payload": {...}}                      declaration (target)
 *   {"UpdateHash", "OSVersions": [...]}    SOFA feed (OS releases, CVEs)
 *   [ ...any of these... ]
 * How status items map to fields is data: queries/formats/ddm-items.map.
 * Reports are merged per device in the database (queries/store.sql).
 */
#ifndef DDM_DDM_H
#define DDM_DDM_H

#include <stdbool.h>
#include <stdint.h>

#include "diag.h"
#include "formats.h"
#include "store.h"

typedef struct ddm ddm;

/* What the ingest stage knows about the file a document came from. */
typedef struct ddm_file {
	int64_t file_id;
	const char *enrollment; /* from the file or folder name, or NULL */
	bool name_time_ok;	/* the file name carries a time */
	int64_t name_time;	/* that time (instant) */
	int64_t mtime;		/* the file's modification time */
} ddm_file;

/* Results for one file, accumulated over its documents. */
typedef struct ddm_counts {
	long read, stored, duplicate, rejected, skipped;
	const char *format;	/* first shape recognised (static), or NULL */
	bool targets;		/* a declaration was stored as a target */
	bool feed;		/* a SOFA feed was stored (os_release) */
	const char *time_basis; /* "file-name" / "mtime" when a report took
				   its time from the file, else NULL */
} ddm_counts;

/* Stores a rejected document: 1-based line and reason. */
typedef ddm_err (*ddm_reject_fn)(void *ctx, long line, const char *reason,
				 const char *raw, size_t rawlen);

/* Loads queries/formats/ddm-items.map.  s and fs are borrowed; source_tz
 * (may be NULL: UTC) is for Jamf times written without a zone.  *out owned
 * by the caller (ddm_free). */
ddm_err ddm_new(store *s, const formats *fs, const char *source_tz, ddm **out);
void ddm_free(ddm *d);

/*
 * Ingests one checked JSON document (see jsonin) inside the caller's
 * transaction.  Documents that cannot be used are passed to reject and
 * counted; events of other kinds (webhook topics, check-in endpoints) are
 * counted as skipped.  Returns a fatal error (database) only.
 */
ddm_err ddm_document(ddm *d, const ddm_file *f, const char *doc, size_t len,
		     long line, ddm_counts *c, ddm_reject_fn reject,
		     void *rctx);

#endif
