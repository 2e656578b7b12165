/*
 * diag.h - the one error type, its exit codes, and diagnostics on stderr.
 *
 * Every failure a user can cause is a ddm_err value; libraries' own codes
 * (SQLite, libcsv, PCRE2, libxlsxwriter, errno) are translated at the
 * boundary of the module that owns the library.  Messages follow
 *   ddmreport: error: FILE:LINE: what failed: why
 * lowercase, no full stop; data shown in them goes through diag_q() so
 * control characters are escaped.
 */
#ifndef DDM_DIAG_H
#define DDM_DIAG_H

#include <stdbool.h>
#include <stddef.h>

/* Ordered by severity: when several occur the largest wins (see diag_worst). */
typedef enum ddm_err {
	DDM_OK = 0,
	DDM_FINDINGS,	 /* --fail-on reports are non-empty: exit 1 */
	DDM_ERR_DATA,	 /* bad input data: exit 65 (EX_DATAERR) */
	DDM_ERR_LOCKED,	 /* another run holds the lock: exit 75 (EX_TEMPFAIL) */
	DDM_ERR_NOINPUT, /* an input is missing or unreadable: 66 */
	DDM_ERR_CANTCREAT, /* cannot create an output: 73 */
	DDM_ERR_IO,	   /* I/O error, full disk, damaged database: 74 */
	DDM_ERR_USAGE,	   /* bad command line: 64 */
	DDM_ERR_INTERNAL,  /* a bug or an impossible state: 70 */
	DDM_ERR__COUNT
} ddm_err;

/* The process exit code for err (sysexits values). */
int diag_exit_code(ddm_err err);
/* A short lowercase description of err ("bad input data"). */
const char *diag_strerror(ddm_err err);
/* The more severe of a and b. */
ddm_err diag_worst(ddm_err a, ddm_err b);

/* "FILE:LINE" of the config line being applied, put before the WHERE of
 * every message until it is set to NULL: an error found by another
 * module (a --queries folder) still points at the line. */
void diag_set_context(const char *ctx);

/* Suppresses warnings (errors are always printed). */
void diag_set_quiet(bool quiet);
bool diag_is_quiet(void);

/*
 * Prints "ddmreport: error: WHERE: message" (WHERE omitted when NULL) and
 * returns err, so callers can write `return diag_error(...)`.
 */
ddm_err diag_error(ddm_err err, const char *where, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Prints "ddmreport: note: WHERE: message", even when quiet: for the line
 * that explains an exit code that is not an error (findings, exit 1). */
void diag_note(const char *where, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* True once an error or a note line was printed: main prints a generic
 * line for a non-zero exit that nothing explained yet. */
bool diag_explained(void);
/* Prints "ddmreport: warning: WHERE: message" unless quiet. */
void diag_warn(const char *where, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Prints "ddmreport: warning: WHERE: message", even when quiet: for what
 * changes the reports' answers though the exit is 0 (an export of no
 * device, a group no target can match), which cron must still mail. */
void diag_alert(const char *where, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * A helper thread's messages are held, not printed, so that its lines never
 * interleave with the main thread's: between diag_hold_begin and
 * diag_hold_end, the calling thread's error, note and warning lines are
 * appended to lines (which the caller owns).  diag_release prints held
 * lines (from the main thread, once the helper has finished) and empties
 * the buffer.
 */
struct buf;
void diag_hold_begin(struct buf *lines);
void diag_hold_end(void);
void diag_release(struct buf *lines);

/*
 * What a library prints on stderr itself (libxlsxwriter's "[ERROR]..."
 * lines) is caught and handed back, so that it reaches the operator
 * through our messages, escaped and on one line, never raw.  Between
 * diag_capture_begin and diag_capture_end, stderr goes to an unnamed
 * temporary file; end restores it and stores in out the lines printed,
 * without their "[ERROR][file:line]: " tags, joined by "; " (cut to cap;
 * "" when nothing was printed or the capture could not be set up).
 */
typedef struct diag_capture {
	int saved_fd; /* the real stderr, -1 when not capturing */
	void *file;   /* FILE *: where stderr goes meanwhile */
} diag_capture;
void diag_capture_begin(diag_capture *c);
void diag_capture_end(diag_capture *c, char *out, size_t cap);

/*
 * Returns s escaped for a message (controls as \xNN, cut at 200 bytes).  The
 * result lives in one of 8 rotating static buffers: use it at once.
 */
const char *diag_q(const char *s);
/* As diag_q for s[0..len). */
const char *diag_qn(const char *s, size_t len);

#endif
