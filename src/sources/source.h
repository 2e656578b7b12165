/*
 * source.h - one JSON input source: how it is recognised and how it is read.
 *
 * Every JSON source is one file in src/sources/ that defines one `source`
 * and is listed once in registry.c.  ddm.c flattens each document
 * (flat.h), asks every source how well the value fits its shape, and hands
 * it to the single best one: recognition never depends on the order of the
 * table.  A source's recognise is a pure shape test that returns a score
 * (0 = not mine); shapes that could be confused (Jamf plans and statuses)
 * each require something the other never has, so no two sources claim a
 * document with the same score.  Adding a source is one new file, one line
 * in registry.c and its test.
 */
#ifndef DDM_SOURCE_H
#define DDM_SOURCE_H

#include <stdbool.h>
#include <stdint.h>

#include "formats.h"
#include "sources/doc.h"
#include "sources/flat.h"
#include "store.h"
#include "util.h"

typedef struct merge merge;

/* What every source may use; owned by ddm.c for the whole ingest. */
typedef struct src_env {
	store *store;	      /* borrowed */
	const formats *fs;    /* borrowed */
	const char *tz;	      /* borrowed; NULL = UTC (times without a zone) */
	int64_t run_time;     /* the run's time (ingest.c's clock) */
	merge *merge;	      /* owned by ddm.c: the DDM report merge */
	const char *expected; /* borrowed: what is accepted, for messages */
	buf tmp;	      /* scratch */
} src_env;

/* The document being read. */
typedef struct src_ctx {
	src_env *env;
	const ddm_file *f;
	ddm_counts *c;
	ddm_reject_fn reject;
	void *rctx;
	long line;
	const char *doc; /* the document text, for a reject's raw column */
	size_t len;
} src_ctx;

typedef struct source {
	const char *name; /* the format name shown in About */
	const char *what; /* for the "expected one of" message */
	/* How well the value v has this source's shape: 0 not at all, else
	 * a score (10 = a key shared with others, 100 = a unique one). */
	int (*recognise)(const flat_view *v);
	/* Reads it: observations, targets, identities, rejects, skips. */
	ddm_err (*read)(src_ctx *x, const flat_view *v);
	/* It stores observations itself, not through the merge: the reports
	 * the merge holds are stored first (merge_finish), as if each had
	 * been stored when read. */
	bool observes;
	/* It reads or writes the enrollment table itself (identity_learn,
	 * identity_find): the ids the merge holds are written first
	 * (merge_flush_ids), as if each had been written when learned. */
	bool identities;
} source;

/* The table (registry.c), NULL-terminated. */
extern const source *const sources_table[];

/* ---- helpers every source uses (source.c) --------------------------- */

/* Rejects the document with reason (counted). */
ddm_err src_reject(src_ctx *x, const char *reason);
/* Parses a time; one without a zone is read in the source zone. */
bool src_time(const src_env *e, const char *s, int64_t *out);
/* Whether t, a report's time, lies more than TS_FUTURE_SLACK after the
 * run's time (it has not happened: a clock off, a zone misread); if so the
 * document is rejected naming it and *err is the reject's result. */
bool src_future(src_ctx *x, int64_t t, ddm_err *err);
/* Binds the document's :file and :line to st, runs it, and counts the row
 * as stored, or as a duplicate when it changed nothing. */
ddm_err src_store(src_ctx *x, store_stmt *st);
/* Sets the file's format name once (the first shape recognised). */
void src_format(src_ctx *x, const char *name);

#endif
