/*
 * ingest.h - the ingest stage: input files into the history database.
 *
 * Each file is read as a stream and stored inside one transaction: either
 * all of its usable rows land or none.  A row that cannot be used is stored
 * in `rejected` with its file, line and reason; under --strict any rejected
 * row rolls the whole file back.  A file whose content was ingested before
 * (same SHA-256, any name) changes nothing.  The kind of a file is found
 * from its header or structure, never from its name.
 */
#ifndef DDM_INGEST_H
#define DDM_INGEST_H

#include <stdbool.h>
#include <stdint.h>

#include "diag.h"
#include "store.h"

typedef struct ingest_opts {
	bool strict;	       /* reject the whole file on any bad row */
	const char *source_tz; /* zone for times without one; NULL = UTC */
	double max_rejected;   /* percent: a file with more rejected rows
				  is DDM_ERR_DATA (its good rows stay) */
	int64_t as_of;	       /* the run's --as-of (else its start): with
				  the wall clock, the latest a row's time
				  can be (see time_is_future) */
} ingest_opts;

/* Totals over every file handed to one ingest. */
typedef struct ingest_stats {
	long files;	   /* files stored */
	long files_known;  /* files skipped: same content seen before */
	long files_failed; /* files rolled back (unrecognised, --strict) */
	long rows_stored;
	long rows_duplicate;
	long rows_rejected;
} ingest_stats;

typedef struct ingest ingest;

/* *out owned by the caller (ingest_free); s is borrowed and must outlive
 * it.  Loads the input formats. */
ddm_err ingest_new(store *s, const ingest_opts *opts, ingest **out);
void ingest_free(ingest *in);

/*
 * Ingests path: a file, or a directory walked recursively in name order
 * (files ending .csv, .json, .ndjson, .jsonl; hidden files skipped).
 * Returns DDM_OK, DDM_ERR_DATA when a file was rejected as a whole (the
 * others are still ingested), or a fatal error (I/O, missing input) that
 * should stop the run.
 */
ddm_err ingest_path(ingest *in, const char *path);
/* Says the next ingest_path is the last input of the run. */
void ingest_set_last(ingest *in);
/*
 * Reads again the JSON files whose reports named a device by an id no
 * input read before them tied to a serial (a DDM capture read before the
 * webhook log whose Authenticate names its Mac, Jamf statuses before the
 * inventory): such a file is rolled back when it is read and is read
 * again here, after every other input.  Returns as ingest_path.
 */
ddm_err ingest_deferred(ingest *in);
/* Whether a folder (or a folder below it) holds a file that ingest_path()
 * would read: checked before the database is opened. */
bool ingest_dir_has_input(const char *path);

const ingest_stats *ingest_get_stats(const ingest *in);

#endif
