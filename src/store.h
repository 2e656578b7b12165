/*
 * store.h - the history database (the only module that talks to SQLite).
 *
 * Owns the connection, the lock file beside the database, the schema,
 * transactions, the statements of queries/store.sql, and the SQL functions
 * the policy queries call (ddm_version_cmp, ddm_wall_to_utc, regexp, ...).
 * Other modules see statements and cursors as opaque handles and bind values
 * by parameter index.
 */
#ifndef DDM_STORE_H
#define DDM_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "res.h"
#include "util.h"

typedef struct store store;

/*
 * The one mapping from an SQLite result code (primary or extended) to our
 * error, used for every SQLite failure: FULL, IOERR, CORRUPT, NOTADB ->
 * DDM_ERR_IO (74); BUSY, LOCKED -> DDM_ERR_LOCKED (75); CANTOPEN, READONLY,
 * PERM -> DDM_ERR_CANTCREAT (73); OK, ROW, DONE -> DDM_OK; anything else
 * (a bad query, out of memory) -> DDM_ERR_INTERNAL (70).
 */
ddm_err store_err_of(int sqlite_rc);
typedef struct store_stmt store_stmt;
typedef struct store_cursor store_cursor;

/*
 * Opens (creating, mode 0600) the database at path after taking the lock
 * file "<path>.lock".  When another process holds the lock, waits up to
 * wait_seconds, then fails with DDM_ERR_LOCKED naming the holder.  Checks
 * the database (PRAGMA quick_check: DDM_ERR_IO when damaged), applies
 * queries/schema.sql and prepares queries/store.sql.  *out is owned by the
 * caller (store_close).
 */
ddm_err store_open(const char *path, int wait_seconds, store **out);
/* Closes the database and releases the lock.  Accepts NULL. */
void store_close(store *s);

/* Around an ingest's files: a database with no status report yet takes
 * them in the rollback journal (written once), then is back in WAL. */
ddm_err store_first_load(store *s);
ddm_err store_first_load_end(store *s);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK.  Rollback never fails loudly. */
ddm_err store_begin(store *s);
ddm_err store_commit(store *s);
void store_rollback(store *s);

/* A statement of queries/store.sql by name (owned by the store), or NULL
 * with a message when the file has no such statement. */
store_stmt *store_stmt_get(store *s, const char *name);
/* The 1-based index of parameter name (":serial_number"), 0 when absent. */
int store_stmt_param(store_stmt *st, const char *name);
/* Binders; index 0 is ignored so optional parameters need no test.  Text is
 * copied by SQLite.  A NULL s binds SQL NULL. */
void store_bind_text(store_stmt *st, int idx, const char *s, size_t len);
/* Like store_bind_text, but SQLite keeps the pointer, not a copy: s must
 * stay valid and unchanged until the statement has run (store_stmt_exec).
 * For the per-row hot path, where the copy was measurable. */
void store_bind_text_ref(store_stmt *st, int idx, const char *s, size_t len);
/* A blob bound without a copy (p must outlive the statement's run). */
void store_bind_blob_ref(store_stmt *st, int idx, const void *p, size_t len);
void store_bind_int(store_stmt *st, int idx, int64_t v);
void store_bind_null(store_stmt *st, int idx);
/*
 * Runs st to completion, then resets it and clears its bindings.  Stores the
 * number of rows changed in *changes (when not NULL).  For a SELECT the
 * first column of the first row is stored in *first_int (when not NULL;
 * left alone when there is no row).
 */
ddm_err store_stmt_run(store_stmt *st, int *changes, int64_t *first_int);

/* Records "section / name / value" among this run's notes (temp.run_note,
 * which the About, Summary and Rejected sheets read; value may be NULL). */
ddm_err store_note(store *s, const char *section, const char *name,
		   const char *value);

/*
 * Runs st (an INSERT, no rows expected) once and resets it, keeping its
 * bindings: for a statement whose every parameter is bound before each run,
 * so clearing them would be wasted work.  Errors are reported.
 */
ddm_err store_stmt_exec(store_stmt *st);

/*
 * Runs st like store_stmt_run, except that a constraint failure (a UNIQUE
 * index that cannot be built over duplicates) is returned as DDM_ERR_DATA
 * without a message: the caller has a remedy.  Other errors are reported.
 */
ddm_err store_stmt_try(store_stmt *st);

/* One named parameter for a script or query.  type: 'i' int, 't' text
 * (NULL s binds NULL). */
typedef struct store_param {
	const char *name; /* ":as_of" */
	char type;
	int64_t i;
	const char *s;
} store_param;

/*
 * Runs every statement of the resource r in order, binding the parameters
 * each one uses.  SQL errors are reported as origin:line:col.
 */
ddm_err store_run_script(store *s, const resource *r, const store_param *p,
			 size_t np);

/* As store_run_script, for the statements of r that start in the byte
 * range [from, to) of its text. */
ddm_err store_run_script_part(store *s, const resource *r, size_t from,
			      size_t to, const store_param *p, size_t np);

/*
 * The evaluation of a large fleet in two halves at once (src/evaluate.c):
 *
 * store_split_open opens a second connection to s's database (*peer, for
 * a thread of its own: it reports through diag, so hold its messages),
 * with the same SQL functions, and a scratch database attached to both
 * connections as "part": a private file in SQLite's temporary folder,
 * unlinked at once, so nothing is left behind however the run ends.  Both
 * connections then hold a read transaction on the same snapshot.
 * store_split_send copies the peer's temp table into part (in the peer's
 * thread); store_split_take appends part's copy to s's temp table of that
 * name (after the peer has finished).  store_split_close (accepting a
 * NULL peer) closes the peer, ends s's read transaction and detaches
 * part, freeing its space.
 */
ddm_err store_split_open(store *s, store **peer);
ddm_err store_split_send(store *peer, const char *table);
ddm_err store_split_take(store *s, const char *table);
ddm_err store_split_close(store *s, store *peer);

/* Prepares the single query in r with parameters bound; *out owned by the
 * caller (store_cursor_free). */
ddm_err store_query(store *s, const resource *r, const store_param *p,
		    size_t np, store_cursor **out);
/* Steps: 1 a row is ready, 0 done, -1 error (reported). */
int store_cursor_step(store_cursor *c);
/* Why the last store_cursor_step returned -1 (store_err_of its code). */
ddm_err store_cursor_error(const store_cursor *c);
int store_cursor_ncols(store_cursor *c);
const char *store_cursor_name(store_cursor *c, int col);
/* Value type of the current row: 'n' NULL, 'i' integer, 'r' real, 't' text. */
char store_cursor_type(store_cursor *c, int col);
/* Text of a column (valid until the next step); *len set when not NULL. */
const char *store_cursor_text(store_cursor *c, int col, size_t *len);
int64_t store_cursor_int(store_cursor *c, int col);
double store_cursor_double(store_cursor *c, int col);
void store_cursor_free(store_cursor *c);

/*
 * Runs st (a SELECT) and copies the first column of its first row into out
 * (NUL-terminated); *found says whether there was a non-NULL value.  Resets
 * st and clears its bindings.  Errors are reported (DDM_ERR_INTERNAL).
 */
ddm_err store_stmt_text(store_stmt *st, buf *out, bool *found);

/*
 * Steps st (a SELECT read row by row): *row says whether a row is ready.
 * At the end, or on an error (reported), st is reset and its bindings
 * cleared; store_stmt_reset abandons a read before its end.
 */
ddm_err store_stmt_step(store_stmt *st, bool *row);
void store_stmt_reset(store_stmt *st);
/* Columns of the row store_stmt_step made ready, valid until the next
 * step: text (NULL for SQL NULL, *len set when not NULL), integer, blob. */
const char *store_stmt_col_text(store_stmt *st, int col, size_t *len);
int64_t store_stmt_col_int(store_stmt *st, int col);
const void *store_stmt_col_blob(store_stmt *st, int col, size_t *len);

/* One scalar of a JSON document: path as SQLite's json_tree spells it
 * ($.a."b-c"[0]), type (null true false integer real text) and the value's
 * text (NULL for null; strings unescaped).  Valid during the call only. */
typedef ddm_err (*store_leaf_fn)(void *ctx, const char *path, size_t plen,
				 const char *type, const char *val,
				 size_t vlen);

/*
 * Walks every scalar of the JSON text doc[0..len) in document order with
 * SQLite's json_tree (statement json_leaves of queries/store.sql), calling
 * fn for each; fn's non-OK result stops the walk and is returned.  Returns
 * DDM_ERR_DATA with SQLite's reason in why (not printed) when doc is not
 * JSON (malformed, nested too deep); DDM_ERR_IO when memory or the disk ran
 * out.  The caller checks UTF-8 and size first (SQLite does not).
 */
ddm_err store_json_leaves(store *s, const char *doc, size_t len,
			  store_leaf_fn fn, void *ctx, char *why, size_t cap);

/*
 * The secret named name of this database, as 64 hex digits in out: made
 * from /dev/urandom the first time it is asked for and kept in table meta
 * (so it lives and dies with the personal data it protects).
 */
ddm_err store_secret(store *s, const char *name, char out[65]);

/*
 * The database's schema version for the About sheet, written to out (cap
 * bytes): "3", with " (a new database)" when this run made it, and each
 * upgrade an earlier or this run made ("; upgraded to 3 at TIME from
 * schema version 2").
 */
void store_schema_note(store *s, char *out, size_t cap);

/* Checks that every query resource prepares against the schema (used by
 * `--check`); reports each failure as origin:line:col. */
ddm_err store_check(store *s, const resource *r);

#endif
