/*
 * doc.h - what a JSON source is handed with each document: the file it came
 * from (as the ingest stage knows it), the counts of that file, and how a
 * document is rejected.  Shared by ddm.c (which dispatches documents) and
 * every source (source.h), so the sources need nothing of ddm.c.
 */
#ifndef DDM_SOURCES_DOC_H
#define DDM_SOURCES_DOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"

/* What the ingest stage knows about the file a document came from. */
typedef struct ddm_file {
	int64_t file_id;
	const char *enrollment; /* from the file or folder name, or NULL */
	bool name_time_ok;	/* the file name carries a time */
	int64_t name_time;	/* that time (instant) */
	int64_t mtime;		/* the file's modification time */
	const char *stem;	/* the file name without extension when it is a
			     UUID (a Jamf management id), else NULL */
} ddm_file;

/* Results for one file, accumulated over its documents. */
typedef struct ddm_counts {
	long read, stored, duplicate, rejected, skipped;
	long unknown; /* documents no source recognised */
	/* rejected: they name a device by an id (enrollment id, UDID, Jamf
	 * id) that no input read so far ties to a serial */
	long unidentified;
	const char *format;	/* first shape recognised (static), or NULL */
	bool targets;		/* a declaration was stored as a target */
	bool feed;		/* a SOFA feed was stored (os_release) */
	const char *time_basis; /* "file-name" / "mtime" when a report took
				   its time from the file, else NULL */
	/* A paged list (Jamf Pro's {"totalCount", "results"}): the largest
	 * totalCount seen, and the results entries of every page read. */
	long paged_total, paged_listed;
} ddm_counts;

/* Stores a rejected document: 1-based line and reason. */
typedef ddm_err (*ddm_reject_fn)(void *ctx, long line, const char *reason,
				 const char *raw, size_t rawlen);

#endif
