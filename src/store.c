/*
 * store.c - the SQLite connection: lock, open, check, schema, statements,
 * transactions and the SQL functions the policy needs.
 *
 * Pipeline position: used by ingest (named statements, one transaction per
 * file), evaluate (scripts) and render (cursors).  No other module includes
 * sqlite3.h.
 *
 * Choices a reader may question:
 *   - The lock is a separate "<db>.lock" file held with flock(): SQLite's
 *     own locks are per transaction, but two nightly runs must not
 *     interleave whole runs.  The holder writes its pid and start time into
 *     the file so the loser can name it.
 *   - WAL with synchronous=FULL: a power cut after COMMIT keeps the file.
 *   - Statements are prepared once and reused; values are always bound.
 */
#define _GNU_SOURCE
#include "store.h"

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "rx.h"
#include "ident.h"
#include "timeutil.h"
#include "util.h"
#include "version.h"

#define MAX_STMTS 64

struct store_stmt {
	char *name;	     /* owned */
	sqlite3_stmt *stmt;  /* owned */
	const resource *res; /* not owned: the file it came from */
	size_t offset;	     /* byte offset of the statement in res->text */
};

/* PRAGMA application_id of our databases ("DDMR"), and PRAGMA
 * user_version: the schema version this build writes.  A database with a
 * larger version was written by a newer build and is not touched. */
#define STORE_APP_ID 1145326930 /* 0x44444d52, "DDMR" */
/* 2: merged DDM sets one row per device; 3: serials and learned ids as
 * identity.c cleans them (migrate-identity.sql) */
#define STORE_SCHEMA_VERSION 3
#define STORE_STR_(x) #x
#define STORE_STR(x) STORE_STR_(x)

struct store {
	sqlite3 *db; /* owned */
	char *path;  /* owned: as given (for messages) */
	char *real;  /* owned: the database file, links resolved */
	int lock_fd; /* owned; -1 when not held */
	/* What the lock file said before this run took it: the previous
	 * run's "clean ..." line when it closed cleanly (see check_due). */
	char prev_note[256];
	int64_t checked; /* time of the last full check (0: never known) */
	/* The schema version the database had when this run opened it (-1:
	 * a new database), for the About sheet. */
	int64_t schema_was;
	bool first_load; /* in the rollback journal (store_first_load) */
	store_stmt stmts[MAX_STMTS];
	size_t nstmts;
};

struct store_cursor {
	sqlite3_stmt *stmt;  /* owned */
	const resource *res; /* not owned */
	ddm_err err;	     /* why the last step failed */
};

/* Converts a byte offset in text into 1-based line and column. */
static void offset_to_linecol(const char *text, size_t off, int *line, int *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off && text[i]; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

ddm_err store_err_of(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:
		return DDM_OK;
	case SQLITE_FULL:
	case SQLITE_IOERR:
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return DDM_ERR_IO;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return DDM_ERR_LOCKED;
	case SQLITE_CANTOPEN:
	case SQLITE_READONLY:
	case SQLITE_PERM:
		return DDM_ERR_CANTCREAT;
	default:
		return DDM_ERR_INTERNAL;
	}
}

/* The folder of SQLite's temporary files, found as SQLite finds it
 * (SQLITE_TMPDIR, TMPDIR, /var/tmp, /usr/tmp, /tmp, the first that is a
 * writable folder); the evaluation's scratch database goes there too. */
static const char *temp_dir(void)
{
	const char *dirs[] = {getenv("SQLITE_TMPDIR"), getenv("TMPDIR"),
			      "/var/tmp", "/usr/tmp", "/tmp"};
	struct stat st;

	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
		if (dirs[i] && *dirs[i] && stat(dirs[i], &st) == 0 &&
		    S_ISDIR(st.st_mode) && access(dirs[i], W_OK | X_OK) == 0)
			return dirs[i];
	return ".";
}

/*
 * SQLite's message for db's last error.  "database or disk is full" is
 * the database's disk or the one of SQLite's temporary files (sorts, the
 * evaluation's temp tables), which need not be the same: the message says
 * where the latter go (temp_dir).
 */
static const char *db_msg(sqlite3 *db)
{
	/* Per thread: the evaluation's second connection has its own. */
	static _Thread_local char msg[700];
	const char *tmp;

	if ((sqlite3_extended_errcode(db) & 0xff) != SQLITE_FULL)
		return sqlite3_errmsg(db);
	tmp = temp_dir();
	snprintf(msg, sizeof msg,
		 "%s (the database's disk, or that of its temporary files "
		 "in %s)",
		 sqlite3_errmsg(db), diag_q(tmp));
	return msg;
}

/* Reports the current SQLite error at origin:line:col of r's text; a disk
 * error is DDM_ERR_IO (74) even inside a query. */
static ddm_err sql_error(sqlite3 *db, const resource *r, size_t stmt_off)
{
	int eoff = sqlite3_error_offset(db);
	int line, col;
	char where[512];

	offset_to_linecol(r->text, stmt_off + (eoff > 0 ? (size_t)eoff : 0),
			  &line, &col);
	snprintf(where, sizeof where, "%s:%d:%d", r->origin, line, col);
	return diag_error(store_err_of(sqlite3_extended_errcode(db)), where,
			  "sql: %s", db_msg(db));
}

static ddm_err db_error(store *s, const char *what)
{
	ddm_err err = store_err_of(sqlite3_extended_errcode(s->db));

	return diag_error(err ? err : DDM_ERR_INTERNAL, diag_q(s->path),
			  "%s: %s", what, db_msg(s->db));
}

/* ---- SQL functions ---------------------------------------------------- */

/* ddm_version_cmp(a, b): -1, 0, 1, or NULL when either does not parse. */
static void fn_version_cmp(sqlite3_context *ctx, int argc, sqlite3_value **v)
{
	const char *a = (const char *)sqlite3_value_text(v[0]);
	const char *b = (const char *)sqlite3_value_text(v[1]);
	int r;

	(void)argc;
	if (!a || !b || !version_compare_str(a, b, &r)) {
		sqlite3_result_null(ctx);
		return;
	}
	sqlite3_result_int(ctx, r < 0 ? -1 : r > 0);
}

/* ddm_meets(os, build, target_os, target_build): 1 or 0, NULL when os is
 * unknown or not a version (see version_meets). */
static void fn_meets(sqlite3_context *ctx, int argc, sqlite3_value **v)
{
	int r = version_meets((const char *)sqlite3_value_text(v[0]),
			      (const char *)sqlite3_value_text(v[1]),
			      (const char *)sqlite3_value_text(v[2]),
			      (const char *)sqlite3_value_text(v[3]));

	(void)argc;
	if (r < 0)
		sqlite3_result_null(ctx);
	else
		sqlite3_result_int(ctx, r);
}

/* ddm_version_ok(v): 1 when v parses as a version. */
static void fn_version_ok(sqlite3_context *ctx, int argc, sqlite3_value **v)
{
	const char *a = (const char *)sqlite3_value_text(v[0]);
	version ver;

	(void)argc;
	sqlite3_result_int(ctx, a && version_parse(a, strlen(a), &ver));
}

/* ddm_count(v): a DDM report's failure count as an integer: a whole
 * number from 0 up, as JSON may write it (7, 7.0, 7e0); NULL for anything
 * else (3.5, -1, 1e20 past a 64-bit integer), which CAST AS INTEGER would
 * read by its leading digits (1e20 as 1). */
static void fn_count(sqlite3_context *ctx, int argc, sqlite3_value **v)
{
	const char *a = (const char *)sqlite3_value_text(v[0]);
	char *end;
	long long n;
	double d;

	(void)argc;
	if (!a || !*a || *a < '0' || *a > '9')
		return;
	errno = 0;
	n = strtoll(a, &end, 10);
	if (!*end && !errno) {
		sqlite3_result_int64(ctx, n);
		return;
	}
	errno = 0;
	d = strtod(a, &end);
	if (*end || errno || !(d >= 0 && d < 9223372036854775808.0) ||
	    d != floor(d))
		return;
	sqlite3_result_int64(ctx, (sqlite3_int64)d);
}

/* ddm_wall(local): the wall time 'YYYY-MM-DDTHH:MM:SS' as seconds read as
 * UTC, or NULL. */
static void fn_wall(sqlite3_context *ctx, int argc, sqlite3_value **v)
{
	const char *s = (const char *)sqlite3_value_text(v[0]);
	int64_t w;

	(void)argc;
	if (!s || !ts_parse_wall(s, strlen(s), &w))
		sqlite3_result_null(ctx);
	else
		sqlite3_result_int64(ctx, w);
}

/* ddm_wall_to_utc(local, zone): the instant, or NULL (bad time or zone). */
static void fn_wall_to_utc(sqlite3_context *ctx, int argc, sqlite3_value **v)
{
	const char *s = (const char *)sqlite3_value_text(v[0]);
	const char *z = (const char *)sqlite3_value_text(v[1]);
	int64_t w, t;

	(void)argc;
	if (!s || !z || !ts_parse_wall(s, strlen(s), &w) ||
	    !tz_wall_to_utc(z, w, &t, NULL))
		sqlite3_result_null(ctx);
	else
		sqlite3_result_int64(ctx, t);
}

/* ddm_deadline(local, zone, ...): the instant a wall-clock deadline has
 * certainly passed: in the first of the zones that is a known IANA zone
 * (a legacy target's enforcement zone, then the device's), else, with no
 * zone or a time no zone converts, its UTC-12 reading; NULL for a bad
 * wall time. */
static void fn_deadline(sqlite3_context *ctx, int argc, sqlite3_value **v)
{
	const char *s = (const char *)sqlite3_value_text(v[0]);
	int64_t w, t;

	if (!s || !ts_parse_wall(s, strlen(s), &w)) {
		sqlite3_result_null(ctx);
		return;
	}
	for (int i = 1; i < argc; i++) {
		const char *z = (const char *)sqlite3_value_text(v[i]);

		if (z && *z && tz_is_valid(z)) {
			if (!tz_wall_to_utc(z, w, &t, NULL))
				break;
			sqlite3_result_int64(ctx, t);
			return;
		}
	}
	sqlite3_result_int64(ctx, w + 12 * 3600);
}

/* ddm_wall_note(local, zone): 'gap', 'ambiguous' or NULL for the DST rule
 * applied while converting. */
static void fn_wall_note(sqlite3_context *ctx, int argc, sqlite3_value **v)
{
	const char *s = (const char *)sqlite3_value_text(v[0]);
	const char *z = (const char *)sqlite3_value_text(v[1]);
	int64_t w, t;
	int flags = 0;

	(void)argc;
	if (!s || !z || !ts_parse_wall(s, strlen(s), &w) ||
	    !tz_wall_to_utc(z, w, &t, &flags) || !flags)
		sqlite3_result_null(ctx);
	else
		sqlite3_result_text(
			ctx, flags & TZ_CONV_GAP ? "dst-gap" : "dst-overlap",
			-1, SQLITE_STATIC);
}

/* ddm_tz_valid(zone): 1 when zone is a known IANA zone. */
static void fn_tz_valid(sqlite3_context *ctx, int argc, sqlite3_value **v)
{
	const char *z = (const char *)sqlite3_value_text(v[0]);

	(void)argc;
	sqlite3_result_int(ctx, z && *z && tz_is_valid(z));
}

/* ddm_serial(s): s as the device's identity (identity_serial), '' when
 * nothing is left; NULL for NULL. */
static void fn_serial(sqlite3_context *ctx, int argc, sqlite3_value **v)
{
	const char *z = (const char *)sqlite3_value_text(v[0]);
	char sn[512];
	size_t n;

	(void)argc;
	if (!z) {
		sqlite3_result_null(ctx);
		return;
	}
	n = (size_t)sqlite3_value_bytes(v[0]);
	if (n >= sizeof sn) { /* longer than any serial: kept as it is */
		sqlite3_result_value(ctx, v[0]);
		return;
	}
	n = identity_serial(z, n, sn, sizeof sn);
	sqlite3_result_text(ctx, sn, (int)n, SQLITE_TRANSIENT);
}

/* ddm_group(s): the group name s as targets match it (identity_group:
 * without blanks around it or invisible characters), '' when nothing is
 * left; NULL for NULL. */
static void fn_group(sqlite3_context *ctx, int argc, sqlite3_value **v)
{
	const unsigned char *z = sqlite3_value_text(v[0]);
	size_t n;
	char *out;
	bool plain;

	(void)argc;
	if (!z) {
		sqlite3_result_null(ctx);
		return;
	}
	n = (size_t)sqlite3_value_bytes(v[0]);
	/* the common case: printable ASCII, no blank at either end */
	plain = n == 0 || (z[0] != ' ' && z[n - 1] != ' ');
	for (size_t i = 0; plain && i < n; i++)
		plain = z[i] >= 0x20 && z[i] < 0x7F;
	if (plain) {
		sqlite3_result_value(ctx, v[0]);
		return;
	}
	out = sqlite3_malloc64(n + 1);
	if (!out) {
		sqlite3_result_error_nomem(ctx);
		return;
	}
	n = identity_group((const char *)z, n, out, n + 1);
	sqlite3_result_text(ctx, out, (int)n, sqlite3_free);
}

/* ddm_placeholder(s): 1 when s, as ddm_serial gives it, is a placeholder
 * serial (identity_placeholder), else 0. */
static void fn_placeholder(sqlite3_context *ctx, int argc, sqlite3_value **v)
{
	const char *z = (const char *)sqlite3_value_text(v[0]);
	char sn[512];
	size_t n;

	(void)argc;
	n = z ? (size_t)sqlite3_value_bytes(v[0]) : 0;
	if (!z || n >= sizeof sn) {
		sqlite3_result_int(ctx, 0);
		return;
	}
	identity_serial(z, n, sn, sizeof sn);
	sqlite3_result_int(ctx, identity_placeholder(sn));
}

/* ddm_iso(t): 'YYYY-MM-DDTHH:MM:SSZ' or NULL. */
static void fn_iso(sqlite3_context *ctx, int argc, sqlite3_value **v)
{
	char b[32];

	(void)argc;
	if (sqlite3_value_type(v[0]) == SQLITE_NULL) {
		sqlite3_result_null(ctx);
		return;
	}
	ts_format_utc(sqlite3_value_int64(v[0]), b);
	sqlite3_result_text(ctx, b, -1, SQLITE_TRANSIENT);
}

static void free_rx(void *p)
{
	rx_free(p);
}

/* regexp(pattern, text): X REGEXP Y.  Compiled patterns are cached per
 * statement with auxdata; a match-limit hit is an SQL error, never a match. */
static void fn_regexp(sqlite3_context *ctx, int argc, sqlite3_value **v)
{
	const char *pat = (const char *)sqlite3_value_text(v[0]);
	const char *s = (const char *)sqlite3_value_text(v[1]);
	rx *r = sqlite3_get_auxdata(ctx, 0);
	int m;

	(void)argc;
	if (!pat || !s) {
		sqlite3_result_null(ctx);
		return;
	}
	if (!r) {
		if (rx_compile(pat, false, "regexp", &r) != DDM_OK) {
			sqlite3_result_error(ctx, "bad regular expression", -1);
			return;
		}
		sqlite3_set_auxdata(ctx, 0, r, free_rx);
		r = sqlite3_get_auxdata(ctx, 0);
		if (!r) {
			sqlite3_result_error_nomem(ctx);
			return;
		}
	}
	m = rx_match(r, s, (size_t)sqlite3_value_bytes(v[1]));
	if (m < 0)
		sqlite3_result_error(ctx, "regular expression match limit", -1);
	else
		sqlite3_result_int(ctx, m);
}

/* With DDMREPORT_PROFILE set, prints each statement's run time to stderr:
 * how `make bench` and a curious operator see where a run spends time. */
static int profile_cb(unsigned type, void *ctx, void *p, void *x)
{
	sqlite3_stmt *st = p;
	const char *sql = sqlite3_sql(st);

	(void)ctx;
	if (type != SQLITE_TRACE_PROFILE || !sql)
		return 0;
	/* Skip leading comments so the line names the statement. */
	while (*sql == '-' || *sql == ' ' || *sql == '\n' || *sql == '\t') {
		if (*sql == '-')
			sql += strcspn(sql, "\n");
		else
			sql++;
	}
	fprintf(stderr, "ddmreport: profile: %8.1f ms  %.*s\n",
		(double)*(sqlite3_int64 *)x / 1e6, (int)strcspn(sql, "\n"),
		sql);
	return 0;
}

/* Collation DDM_VERSION: versions in version order (26.9 < 26.10, 26.1
 * == 26.1.0 then by bytes), after anything that is not a version (in byte
 * order): a total order, so ORDER BY picks the highest version, not the
 * highest text. */
static int coll_version(void *arg, int na, const void *a, int nb, const void *b)
{
	version va, vb;
	bool oa = version_parse(a, (size_t)na, &va);
	bool ob = version_parse(b, (size_t)nb, &vb);
	int r;

	(void)arg;
	if (oa != ob)
		return oa ? 1 : -1;
	if (oa && (r = version_compare(&va, &vb)) != 0)
		return r < 0 ? -1 : 1;
	r = memcmp(a, b, (size_t)(na < nb ? na : nb));
	if (r)
		return r < 0 ? -1 : 1;
	return (na > nb) - (na < nb);
}

/* Collation DDM_GROUP: group names in any case (utf8_casecmp: "Sales"
 * is "SALES", "\u00c9quipe" is "\u00e9QUIPE"), as targets reach their
 * group's devices.  SQLite's NOCASE folds ASCII letters only. */
static int coll_group(void *arg, int na, const void *a, int nb, const void *b)
{
	(void)arg;
	return utf8_casecmp(a, (size_t)na, b, (size_t)nb);
}

static int register_functions(sqlite3 *db)
{
	const int det = SQLITE_UTF8 | SQLITE_DETERMINISTIC;
	static const struct {
		const char *name;
		int nargs;
		void (*fn)(sqlite3_context *, int, sqlite3_value **);
	} fns[] = {
		{"ddm_version_cmp", 2, fn_version_cmp},
		{"ddm_meets", 4, fn_meets},
		{"ddm_version_ok", 1, fn_version_ok},
		{"ddm_count", 1, fn_count},
		{"ddm_wall", 1, fn_wall},
		{"ddm_wall_to_utc", 2, fn_wall_to_utc},
		{"ddm_deadline", -1, fn_deadline},
		{"ddm_wall_note", 2, fn_wall_note},
		{"ddm_tz_valid", 1, fn_tz_valid},
		{"ddm_iso", 1, fn_iso},
		{"ddm_serial", 1, fn_serial},
		{"ddm_placeholder", 1, fn_placeholder},
		{"ddm_group", 1, fn_group},
		{"regexp", 2, fn_regexp},
	};
	int rc;

	for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
		rc = sqlite3_create_function(db, fns[i].name, fns[i].nargs, det,
					     NULL, fns[i].fn, NULL, NULL);
		if (rc != SQLITE_OK)
			return rc;
	}
	rc = sqlite3_create_collation(db, "DDM_VERSION", SQLITE_UTF8, NULL,
				      coll_version);
	if (rc != SQLITE_OK)
		return rc;
	return sqlite3_create_collation(db, "DDM_GROUP", SQLITE_UTF8, NULL,
					coll_group);
}

/* ---- lock ------------------------------------------------------------- */

/*
 * The database file with every link resolved, so that two paths to one
 * database take one lock.  A database that does not exist yet is named
 * by its resolved folder.  Returns NULL (errno set) when the folder
 * cannot be resolved.
 */
static char *resolve_db_path(const char *path)
{
	char *real = realpath(path, NULL);
	const char *slash, *base;
	char *dir, *rdir;

	if (real || errno != ENOENT)
		return real;
	slash = strrchr(path, '/');
	base = slash ? slash + 1 : path;
	dir = slash ? xstrndup(path, (size_t)(slash - path) + (slash == path))
		    : xstrdup(".");
	rdir = realpath(dir, NULL);
	free(dir);
	if (!rdir)
		return NULL;
	real = xasprintf("%s%s%s", rdir,
			 rdir[strlen(rdir) - 1] == '/' ? "" : "/", base);
	free(rdir);
	return real;
}

static ddm_err take_lock(store *s, int wait_seconds)
{
	char *lpath = xasprintf("%s.lock", s->real);
	/* O_NOFOLLOW: a link planted at the lock's name is never followed
	 * (the lock file is truncated and written). */
	int fd = open(lpath, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	struct timespec now;
	double give_up;
	char info[128];

	clock_gettime(CLOCK_MONOTONIC, &now);
	give_up = (double)now.tv_sec + now.tv_nsec / 1e9 +
		  (wait_seconds > 0 ? wait_seconds : 0);

	if (fd < 0) {
		ddm_err e = diag_error(
			errno == ENOENT ? DDM_ERR_CANTCREAT : DDM_ERR_CANTCREAT,
			diag_q(lpath), "cannot create lock file: %s",
			strerror(errno));
		free(lpath);
		return e;
	}
	while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		ssize_t n;

		if (errno != EWOULDBLOCK && errno != EINTR) {
			ddm_err e =
				diag_error(DDM_ERR_IO, diag_q(lpath),
					   "cannot lock: %s", strerror(errno));
			close(fd);
			free(lpath);
			return e;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((double)now.tv_sec + now.tv_nsec / 1e9 < give_up) {
			struct timespec ts = {0, 50 * 1000 * 1000};

			nanosleep(&ts, NULL);
			continue;
		}
		n = pread(fd, info, sizeof info - 1, 0);
		info[n > 0 ? n : 0] = '\0';
		info[strcspn(info, "\n")] = '\0';
		diag_error(DDM_ERR_LOCKED, diag_q(s->path),
			   "database is in use by another run (%s)",
			   *info ? diag_q(info) : "holder unknown");
		close(fd);
		free(lpath);
		return DDM_ERR_LOCKED;
	}
	{
		char stamp[32];
		int len;
		ssize_t got =
			pread(fd, s->prev_note, sizeof s->prev_note - 1, 0);

		s->prev_note[got > 0 ? got : 0] = '\0';
		ts_format_utc((int64_t)time(NULL), stamp);
		len = snprintf(info, sizeof info, "pid %ld started %s\n",
			       (long)getpid(), stamp);
		if (ftruncate(fd, 0) == 0 &&
		    pwrite(fd, info, (size_t)len, 0) < 0) {
			/* The note is a courtesy; the lock itself is held. */
		}
	}
	/* A lock file left by an older version may be wider. */
	(void)fchmod(fd, 0600);
	s->lock_fd = fd;
	free(lpath);
	return DDM_OK;
}

/* ---- statements from queries/store.sql --------------------------------- */

/* Prepares every "-- name: X" statement of r. */
static ddm_err prepare_named(store *s, const resource *r)
{
	const char *p = r->text;

	while ((p = strstr(p, "-- name: ")) != NULL) {
		const char *name = p + 9;
		size_t nlen = strcspn(name, " \r\n");
		const char *sql = name + nlen;
		const char *tail;
		store_stmt *st;

		if (s->nstmts == MAX_STMTS)
			return diag_error(DDM_ERR_INTERNAL, r->origin,
					  "too many statements");
		st = &s->stmts[s->nstmts];
		if (sqlite3_prepare_v3(s->db, sql, -1,
				       SQLITE_PREPARE_PERSISTENT, &st->stmt,
				       &tail) != SQLITE_OK)
			return sql_error(s->db, r, (size_t)(sql - r->text));
		st->name = xstrndup(name, nlen);
		st->res = r;
		st->offset = (size_t)(sql - r->text);
		s->nstmts++;
		p = tail;
	}
	return DDM_OK;
}

store_stmt *store_stmt_get(store *s, const char *name)
{
	for (size_t i = 0; i < s->nstmts; i++)
		if (strcmp(s->stmts[i].name, name) == 0)
			return &s->stmts[i];
	diag_error(DDM_ERR_INTERNAL, "queries/store.sql",
		   "no statement named %s", name);
	return NULL;
}

int store_stmt_param(store_stmt *st, const char *name)
{
	return sqlite3_bind_parameter_index(st->stmt, name);
}

void store_bind_text(store_stmt *st, int idx, const char *s, size_t len)
{
	if (idx <= 0)
		return;
	if (!s)
		sqlite3_bind_null(st->stmt, idx);
	else
		sqlite3_bind_text(st->stmt, idx, s, (int)len, SQLITE_TRANSIENT);
}

void store_bind_text_ref(store_stmt *st, int idx, const char *s, size_t len)
{
	if (idx <= 0)
		return;
	if (!s)
		sqlite3_bind_null(st->stmt, idx);
	else
		sqlite3_bind_text(st->stmt, idx, s, (int)len, SQLITE_STATIC);
}

void store_bind_blob_ref(store_stmt *st, int idx, const void *p, size_t len)
{
	if (idx > 0)
		sqlite3_bind_blob(st->stmt, idx, len ? p : "", (int)len,
				  SQLITE_STATIC);
}

void store_bind_int(store_stmt *st, int idx, int64_t v)
{
	if (idx > 0)
		sqlite3_bind_int64(st->stmt, idx, v);
}

void store_bind_null(store_stmt *st, int idx)
{
	if (idx > 0)
		sqlite3_bind_null(st->stmt, idx);
}

ddm_err store_stmt_exec(store_stmt *st)
{
	int rc = sqlite3_step(st->stmt);
	ddm_err err = DDM_OK;

	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		err = store_err_of(rc);
		diag_error(err, st->res->origin, "%s: %s", st->name,
			   db_msg(sqlite3_db_handle(st->stmt)));
	}
	sqlite3_reset(st->stmt);
	return err;
}

ddm_err store_stmt_try(store_stmt *st)
{
	int rc;

	while ((rc = sqlite3_step(st->stmt)) == SQLITE_ROW)
		;
	sqlite3_reset(st->stmt);
	sqlite3_clear_bindings(st->stmt);
	if (rc == SQLITE_DONE)
		return DDM_OK;
	if ((rc & 0xff) == SQLITE_CONSTRAINT)
		return DDM_ERR_DATA;
	return diag_error(store_err_of(rc), st->res->origin, "%s: %s", st->name,
			  db_msg(sqlite3_db_handle(st->stmt)));
}

ddm_err store_stmt_run(store_stmt *st, int *changes, int64_t *first_int)
{
	sqlite3 *db = sqlite3_db_handle(st->stmt);
	int rc;
	bool first = true;
	ddm_err err = DDM_OK;

	while ((rc = sqlite3_step(st->stmt)) == SQLITE_ROW) {
		if (first && first_int)
			*first_int = sqlite3_column_int64(st->stmt, 0);
		first = false;
	}
	if (rc != SQLITE_DONE) {
		err = diag_error(store_err_of(rc), st->res->origin, "%s: %s",
				 st->name, db_msg(db));
	} else if (changes) {
		*changes = sqlite3_changes(db);
	}
	sqlite3_reset(st->stmt);
	sqlite3_clear_bindings(st->stmt);
	return err;
}

ddm_err store_note(store *s, const char *section, const char *name,
		   const char *value)
{
	store_stmt *st = store_stmt_get(s, "note");

	if (!st)
		return DDM_ERR_INTERNAL;
	store_bind_text(st, store_stmt_param(st, ":section"), section,
			strlen(section));
	store_bind_text(st, store_stmt_param(st, ":name"), name, strlen(name));
	store_bind_text(st, store_stmt_param(st, ":value"), value,
			value ? strlen(value) : 0);
	return store_stmt_run(st, NULL, NULL);
}

/* ---- open / close ----------------------------------------------------- */

/* True when sql holds only spaces and comments. */
static bool is_blank_sql(const char *sql)
{
	return sqlite3_complete(sql) == 0 &&
	       strspn(sql, " \t\r\n") == strlen(sql);
}

static ddm_err exec_simple(store *s, const char *sql, const char *what)
{
	if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return db_error(s, what);
	return DDM_OK;
}

/*
 * Whether this open must run the full PRAGMA quick_check, which reads every
 * page (2.1 s of an 8.1 s night on a 30-night database, growing with the
 * history).  It is skipped only when all of these hold:
 *   - the previous run closed the database cleanly: its last act was to
 *     note "clean size=... mtime=... checked=..." in the lock file;
 *   - the database file is exactly as that run left it (same size and
 *     modification time to the nanosecond) and no -wal file is left over:
 *     nothing else wrote to it since, no crash, no kill;
 *   - the last full check is less than CHECK_EVERY old.
 * A damaged disk that changes no metadata is thus found within a week;
 * anything else is checked at the next run.  Without the check SQLite
 * still verifies each page it reads, so damage met mid-run is exit 74.
 */
#define CHECK_EVERY (7 * 86400)

static bool check_due(store *s)
{
	const char *clean = strstr(s->prev_note, "\nclean ");
	long long size, sec, nsec, checked;
	struct stat st;
	char *wal;
	bool wal_left;

	if (!clean || sscanf(clean,
			     "\nclean size=%lld mtime=%lld.%lld "
			     "checked=%lld",
			     &size, &sec, &nsec, &checked) != 4)
		return true;
	s->checked = checked;
	wal = xasprintf("%s-wal", s->path);
	wal_left = stat(wal, &st) == 0 && st.st_size > 0;
	free(wal);
	if (wal_left || stat(s->path, &st) != 0 || st.st_size != size ||
	    st.st_mtim.tv_sec != sec || st.st_mtim.tv_nsec != nsec)
		return true;
	return (int64_t)time(NULL) - checked >= CHECK_EVERY ||
	       checked > (int64_t)time(NULL);
}

/* After a clean close: notes the database's size and modification time
 * and the last full check in the lock file (still held), for check_due. */
static void note_clean_close(store *s)
{
	struct stat st;
	char note[160];
	int len;
	off_t end;

	if (s->lock_fd < 0 || stat(s->path, &st) != 0)
		return;
	len = snprintf(note, sizeof note,
		       "clean size=%lld mtime=%lld.%09ld checked=%lld\n",
		       (long long)st.st_size, (long long)st.st_mtim.tv_sec,
		       (long)st.st_mtim.tv_nsec, (long long)s->checked);
	end = lseek(s->lock_fd, 0, SEEK_END);
	if (end > 0 && pwrite(s->lock_fd, note, (size_t)len, end) < 0) {
		/* Only a missed shortcut: the next run checks in full. */
	}
}

/* Opens one connection to the database file at real (path as the user
 * named it, for the message), as every connection of a run is set up:
 * extended result codes, a busy timeout, the profile when asked for. */
static ddm_err open_connection(const char *real, const char *path, sqlite3 **db)
{
	if (sqlite3_open_v2(real, db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK)
		return diag_error(DDM_ERR_IO, diag_q(path),
				  "cannot open database: %s",
				  *db ? sqlite3_errmsg(*db) : "out of memory");
	sqlite3_extended_result_codes(*db, 1);
	sqlite3_busy_timeout(*db, 5000);
	if (getenv("DDMREPORT_PROFILE"))
		sqlite3_trace_v2(*db, SQLITE_TRACE_PROFILE, profile_cb, NULL);
	return DDM_OK;
}

/* True for the SQLite errors that say the file itself is bad (damaged,
 * not a database, unreadable), not that it cannot be opened for writing
 * here (a read-only folder, a lock): only those call for a backup. */
static bool is_damage(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
	case SQLITE_IOERR:
		return true;
	default:
		return false;
	}
}

static ddm_err quick_check(store *s)
{
	sqlite3_stmt *st;
	int rc;
	const char *res;
	ddm_err err = DDM_OK;

	if (sqlite3_prepare_v2(s->db, "PRAGMA quick_check", -1, &st, NULL) !=
	    SQLITE_OK) {
		if (!is_damage(sqlite3_extended_errcode(s->db)))
			return db_error(s, "cannot open database");
		return diag_error(
			DDM_ERR_IO, diag_q(s->path),
			"database cannot be read: %s; restore it from "
			"a backup",
			sqlite3_errmsg(s->db));
	}
	rc = sqlite3_step(st);
	res = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0)
			       : NULL;
	if (rc != SQLITE_ROW && !is_damage(rc))
		err = db_error(s, "cannot open database");
	else if (!res || strcmp(res, "ok") != 0)
		err = diag_error(DDM_ERR_IO, diag_q(s->path),
				 "database is damaged (%s); restore it from a "
				 "backup",
				 res ? diag_q(res) : sqlite3_errmsg(s->db));
	sqlite3_finalize(st);
	return err;
}

static bool query_int(sqlite3 *db, const char *sql, int64_t *out);

/*
 * The conversions an older database needs once, each a script run in the
 * open's transaction when its query says it is due, in this order:
 *   - the first builds' source_file had no name_time and sha256 UNIQUE
 *     alone: remade, ids kept;
 *   - schema version 1 kept the merged DDM sets a row per field
 *     (ddm_item): moved into ddm_state; version 2 keeps an older build,
 *     which would start an empty ddm_item, away;
 *   - schema version 3: the serials and learned ids an older build stored
 *     are made what this build stores; version 3 keeps an older build,
 *     which would store them as the export spelled them again, away.
 * A query that cannot be read leaves its script out.
 */
static const struct {
	const char *due; /* one integer, non-zero when the script is due */
	const char *script;
} one_time[] = {
	{"SELECT count(*) = 0 FROM pragma_table_info('source_file') "
	 "WHERE name = 'name_time'",
	 "queries/migrate-source-file.sql"},
	{"SELECT count(*) FROM sqlite_master WHERE type = 'table' "
	 "AND name = 'ddm_item'",
	 "queries/migrate-ddm-item.sql"},
	{"SELECT user_version < 3 FROM pragma_user_version",
	 "queries/migrate-identity.sql"},
};

static ddm_err run_one_time(store *s)
{
	for (size_t i = 0; i < sizeof one_time / sizeof *one_time; i++) {
		const resource *r;
		int64_t due = 0;
		ddm_err err;

		if (!query_int(s->db, one_time[i].due, &due) || !due)
			continue;
		err = res_load(one_time[i].script, &r);
		if (!err)
			err = store_run_script(s, r, NULL, 0);
		if (err)
			return err;
	}
	return DDM_OK;
}

/* Runs queries/migrate.sql one statement at a time ("duplicate column
 * name" means the column is already there and is not an error), then the
 * one-time conversions. */
static ddm_err run_migrations(store *s)
{
	const resource *r;
	const char *sql;
	ddm_err err = res_load("queries/migrate.sql", &r);

	if (err)
		return err;
	sql = r->text;
	while (*sql && !is_blank_sql(sql)) {
		sqlite3_stmt *st = NULL;
		const char *tail = NULL;
		int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, &tail);

		if (rc == SQLITE_OK && st) {
			rc = sqlite3_step(st);
			if (rc == SQLITE_DONE || rc == SQLITE_ROW)
				rc = SQLITE_OK;
		}
		if (rc != SQLITE_OK &&
		    strncmp(sqlite3_errmsg(s->db), "duplicate column name",
			    21) != 0) {
			err = sql_error(s->db, r, (size_t)(sql - r->text));
			sqlite3_finalize(st);
			return err;
		}
		sqlite3_finalize(st);
		if (rc != SQLITE_OK) {
			/* A failed prepare leaves tail mid-statement: each
			 * statement of the file ends with ";" and a newline. */
			tail = strstr(sql, ";\n");
			tail = tail ? tail + 2 : sql + strlen(sql);
		}
		sql = tail;
	}
	return run_one_time(s);
}

/* One integer PRAGMA or query result; false when it cannot be read. */
static bool query_int(sqlite3 *db, const char *sql, int64_t *out)
{
	sqlite3_stmt *st;
	bool ok;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return false;
	ok = sqlite3_step(st) == SQLITE_ROW;
	if (ok)
		*out = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return ok;
}

/*
 * Refuses, before anything is written, a database that is not ours: one
 * marked by another program (application_id), one with tables but none of
 * ours, or one written by a newer build (user_version).  A file SQLite
 * cannot read at all is left to quick_check, which says so.
 */
static ddm_err check_identity(store *s)
{
	int64_t app = 0, schema = 0, objects = 0, ours = 0;

	if (!query_int(s->db, "PRAGMA application_id", &app) ||
	    !query_int(s->db, "PRAGMA user_version", &schema) ||
	    !query_int(s->db, "SELECT count(*) FROM sqlite_master", &objects) ||
	    !query_int(s->db,
		       "SELECT count(*) FROM sqlite_master WHERE type = "
		       "'table' AND name IN ('source_file', 'observation')",
		       &ours))
		return DDM_OK;
	if (app != 0 && app != STORE_APP_ID)
		return diag_error(DDM_ERR_IO, diag_q(s->path),
				  "not a ddmreport database (application id "
				  "0x%08llx): left untouched; check --db",
				  (unsigned long long)app);
	if (app == 0 && objects > 0 && ours < 2)
		return diag_error(DDM_ERR_IO, diag_q(s->path),
				  "not a ddmreport database (it holds tables "
				  "of another program): left untouched; check "
				  "--db");
	if (schema > STORE_SCHEMA_VERSION)
		return diag_error(
			DDM_ERR_IO, diag_q(s->path),
			"database was written by a newer ddmreport (schema "
			"version %lld, this build knows %d): left untouched; "
			"use the newer build",
			(long long)schema, STORE_SCHEMA_VERSION);
	return DDM_OK;
}

/* Marks the database as ours, at this schema version (after the schema
 * and the migrations are applied). */
static ddm_err mark_ours(store *s)
{
	int64_t app = 0, schema = 0;

	if (query_int(s->db, "PRAGMA application_id", &app) &&
	    query_int(s->db, "PRAGMA user_version", &schema) &&
	    app == STORE_APP_ID && schema == STORE_SCHEMA_VERSION)
		return DDM_OK;
	return exec_simple(
		s,
		"PRAGMA application_id = " STORE_STR(
			STORE_APP_ID) ";"
				      "PRAGMA user_version = " STORE_STR(
					      STORE_SCHEMA_VERSION) ";",
		"cannot mark database");
}

/* The schema version of the database as opened (0: made before the
 * marker), or -1 when it holds nothing yet (a new database). */
static int64_t schema_before(sqlite3 *db)
{
	int64_t objects = 0, schema = 0;

	if (!query_int(db, "SELECT count(*) FROM sqlite_master", &objects) ||
	    objects == 0)
		return -1;
	return query_int(db, "PRAGMA user_version", &schema) ? schema : 0;
}

/* Before a database of an older schema is converted, it is copied whole
 * beside itself (DB.schema-N-YYYYMMDDTHHMMSSZ.bak, 0600, VACUUM INTO: a
 * consistent copy of this run's snapshot), so nothing an older build
 * stored is lost and the admin can go back to that build with that copy:
 * the migration cleans serials, rejects placeholder rows and remakes
 * tables, and an older build refuses the converted database.  A copy that
 * cannot be written whole (full disk) stops the run before anything is
 * converted. */
static ddm_err backup_before_upgrade(store *s)
{
	char now[32], stamp[20];
	char *bak, *tmp, *sql;
	int fd, rc;
	size_t j = 0;

	if (s->schema_was < 0 || s->schema_was >= STORE_SCHEMA_VERSION)
		return DDM_OK;
	ts_format_utc((int64_t)time(NULL), now);
	for (size_t i = 0; now[i] && j + 1 < sizeof stamp; i++)
		if (now[i] != '-' && now[i] != ':')
			stamp[j++] = now[i];
	stamp[j] = '\0';
	bak = xasprintf("%s.schema-%lld-%s.bak", s->real,
			(long long)s->schema_was, stamp);
	tmp = xasprintf("%s.tmp", bak);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0600);
	if (fd < 0) {
		ddm_err err = diag_error(
			errno == ENOSPC || errno == EIO ? DDM_ERR_IO
							: DDM_ERR_CANTCREAT,
			diag_q(tmp),
			"cannot copy the database before upgrading it: %s",
			strerror(errno));
		free(tmp);
		free(bak);
		return err;
	}
	close(fd);
	/* copied under a .tmp name, renamed once whole: a run killed while
	 * copying leaves no partial copy under the backup's name */
	sql = sqlite3_mprintf("VACUUM INTO %Q", tmp);
	rc = sql ? sqlite3_exec(s->db, sql, NULL, NULL, NULL) : SQLITE_NOMEM;
	sqlite3_free(sql);
	if (rc == SQLITE_OK && rename(tmp, bak) != 0) {
		ddm_err err =
			diag_error(DDM_ERR_IO, diag_q(bak),
				   "cannot copy the database before "
				   "upgrading it: %s; nothing was converted",
				   strerror(errno));
		unlink(tmp);
		free(tmp);
		free(bak);
		return err;
	}
	if (rc != SQLITE_OK) {
		ddm_err err = diag_error(
			store_err_of(sqlite3_extended_errcode(s->db)),
			diag_q(bak),
			"cannot copy the database before upgrading it: %s; "
			"nothing was converted",
			sqlite3_errmsg(s->db));
		unlink(tmp);
		free(tmp);
		free(bak);
		return err;
	}
	/* printed with --quiet too: the upgrade may change answers (a Mac
	 * counted twice is now once), and the copy takes disk space */
	diag_alert(diag_q(s->path),
		   "database of schema version %lld copied to %s before it is "
		   "upgraded to %d (an older build refuses it then)",
		   (long long)s->schema_was, diag_q(bak), STORE_SCHEMA_VERSION);
	free(tmp);
	free(bak);
	return DDM_OK;
}

/* An upgrade is remembered in table meta (key schema_N: when, from which
 * version), so the About sheet of every later run can say
 * that the history was written under older rules and migrated. */
static ddm_err note_upgrade(store *s)
{
	char now[32], *sql;
	ddm_err err;

	if (s->schema_was < 0 || s->schema_was >= STORE_SCHEMA_VERSION)
		return DDM_OK;
	ts_format_utc((int64_t)time(NULL), now);
	sql = sqlite3_mprintf(
		"INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_%d', "
		"'%q from schema version %lld');",
		STORE_SCHEMA_VERSION, now, (long long)s->schema_was);
	if (!sql)
		return DDM_ERR_INTERNAL;
	err = exec_simple(s, sql, "cannot mark database");
	sqlite3_free(sql);
	return err;
}

void store_schema_note(store *s, char *out, size_t cap)
{
	sqlite3_stmt *st;
	size_t n;

	n = (size_t)snprintf(out, cap, "%d", STORE_SCHEMA_VERSION);
	if (s->schema_was < 0)
		n += (size_t)snprintf(out + n, n < cap ? cap - n : 0,
				      " (a new database)");
	if (sqlite3_prepare_v2(s->db,
			       "SELECT substr(key, 8), value FROM meta WHERE "
			       "key GLOB 'schema_[0-9]*' ORDER BY "
			       "CAST(substr(key, 8) AS INTEGER)",
			       -1, &st, NULL) != SQLITE_OK)
		return;
	while (n < cap && sqlite3_step(st) == SQLITE_ROW)
		n += (size_t)snprintf(out + n, cap - n,
				      "; upgraded to %s at %s",
				      (const char *)sqlite3_column_text(st, 0),
				      (const char *)sqlite3_column_text(st, 1));
	sqlite3_finalize(st);
}

/* A database, journal or shared-memory file restored or made with a wider
 * mode is made private: history holds names and serials.  Links are not
 * followed (the names beside the database are not ours to chase). */
static void make_private(const char *real)
{
	static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};

	for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
		char *p = xasprintf("%s%s", real, suffix[i]);
		int fd =
			open(p, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		struct stat st;

		if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
		    (st.st_mode & 077))
			(void)fchmod(fd, st.st_mode & 0700);
		if (fd >= 0)
			close(fd);
		free(p);
	}
}

ddm_err store_open(const char *path, int wait_seconds, store **out)
{
	store *s = xcalloc(1, sizeof *s);
	const resource *schema, *stmts;
	ddm_err err;
	int fd;

	s->path = xstrdup(path);
	s->lock_fd = -1;
	s->real = resolve_db_path(path);
	if (!s->real) {
		err = diag_error(DDM_ERR_CANTCREAT, diag_q(path),
				 "cannot open database: %s", strerror(errno));
		goto out_free;
	}
	err = take_lock(s, wait_seconds);
	if (err)
		goto out_free;
	/* Create the file private before SQLite does (it keeps the mode for
	 * the -wal and -shm files). */
	fd = open(s->real, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 && errno == ELOOP) {
		/* realpath() found no file at the link's end: a link to a
		 * database on a disk that is not mounted, say.  Nothing is
		 * created through it (a new, empty history elsewhere). */
		char to[512];
		ssize_t n = readlink(s->real, to, sizeof to - 1);

		to[n > 0 ? n : 0] = '\0';
		err = diag_error(DDM_ERR_CANTCREAT, diag_q(path),
				 "cannot open database: it is a link to %s, "
				 "which does not exist",
				 diag_q(to));
		goto out_unlock;
	}
	if (fd < 0) {
		err = diag_error(errno == EACCES || errno == ENOENT ||
						 errno == EROFS
					 ? DDM_ERR_CANTCREAT
					 : DDM_ERR_IO,
				 diag_q(path), "cannot open database: %s",
				 strerror(errno));
		goto out_unlock;
	}
	close(fd);
	/* Each connection is used by one thread at a time: a connection's
	 * mutex and the memory statistics are pure cost, a lock/unlock pair
	 * per bind and step (about 5% of an ingest).  Multi-thread, not
	 * single-thread, mode: the evaluation runs a second connection in a
	 * thread of its own (store_split_open), and SQLite's few process-wide
	 * structures (open files, temp names) keep their mutexes.
	 * sqlite3_config only takes effect before SQLite initialises, i.e. at
	 * the first open; later calls are refused harmlessly, and NOMUTEX
	 * covers this connection anyway. */
	sqlite3_config(SQLITE_CONFIG_MULTITHREAD);
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	err = open_connection(s->real, path, &s->db);
	if (err)
		goto out_close;
	err = check_identity(s);
	if (err)
		goto out_close;
	make_private(s->real);
	if (check_due(s)) {
		err = quick_check(s);
		if (err)
			goto out_close;
		s->checked = (int64_t)time(NULL);
	}
	s->schema_was = schema_before(s->db);
	err = backup_before_upgrade(s);
	if (err)
		goto out_close;
	/* WAL, not the rollback journal, although WAL writes each page
	 * twice (log, then checkpoint): a backup or a reader may hold the
	 * database while a run writes, and the crash tests watch the log.
	 * Measured on a history, the rollback journal was no faster (both
	 * write each changed page twice); a database with no status report
	 * yet takes its first load in it (store_first_load). */
	err = exec_simple(s,
			  /* 16 KiB pages for a new database (an existing one
			     keeps its own): a quarter of the page reads and
			     writes of 4 KiB pages.  Measured on a 2-core
			     machine, CPU of user + system, 3 runs each: a
			     1M-row status CSV into an empty database fell
			     from 5.4-7.6 s to 4.6-5.8 s, mostly system time
			     (230k pwrite calls before), a night onto 29
			     nights of 100k devices lost a third of its
			     system time, the 100k report did not move
			     (byte-identical CSVs).  64 KiB pages were no
			     faster and took 8 MiB more memory in the
			     ingest's sorts. */
			  "PRAGMA page_size=16384;"
			  "PRAGMA journal_mode=WAL;"
			  "PRAGMA synchronous=FULL;"
			  /* 8 MiB of page cache.  Sorts (a file's rows in
			     key order, building the key index, the
			     evaluation's temp tables) use as much again,
			     so this bounds a run's memory.  Measured: 64 MiB
			     peaked at 152 MiB RSS for a 1M-row ingest, 16
			     MiB at 44 MiB, 8 MiB at 26 MiB, all as fast
			     (the sorts spill to a temp file either way, and
			     rows arrive in key order); the 100k report took
			     the same time with 8 and 16 MiB. */
			  "PRAGMA cache_size=-8192;"
			  /* Temp tables (the evaluation of a whole fleet) go
			     to a temp file, not RAM: memory stays flat. */
			  "PRAGMA temp_store=FILE;",
			  "cannot set up database");
	if (err)
		goto out_close;
	if (register_functions(s->db) != SQLITE_OK) {
		err = db_error(s, "cannot register functions");
		goto out_close;
	}
	err = res_load("queries/schema.sql", &schema);
	if (err)
		goto out_close;
	/* The schema, the migrations and the marks as one transaction: a
	 * new database is made with one sync instead of one per statement
	 * (about 35), and a migration is all or nothing.  Deferred, so an
	 * open that changes nothing writes nothing. */
	err = exec_simple(s, "BEGIN", "cannot begin transaction");
	if (err)
		goto out_close;
	err = store_run_script(s, schema, NULL, 0);
	if (err)
		goto out_close;
	err = run_migrations(s);
	if (err)
		goto out_close;
	err = res_load("queries/store.sql", &stmts);
	if (err)
		goto out_close;
	err = prepare_named(s, stmts);
	if (err)
		goto out_close;
	err = mark_ours(s);
	if (!err)
		err = note_upgrade(s);
	if (!err)
		err = exec_simple(s, "COMMIT", "cannot set up database");
	if (err)
		goto out_close;
	*out = s;
	return DDM_OK;

out_close:
	if (s->db)
		store_rollback(s);
	for (size_t i = 0; i < s->nstmts; i++) {
		sqlite3_finalize(s->stmts[i].stmt);
		free(s->stmts[i].name);
	}
	sqlite3_close(s->db);
out_unlock:
	close(s->lock_fd);
out_free:
	free(s->real);
	free(s->path);
	free(s);
	return err;
}

void store_close(store *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nstmts; i++) {
		sqlite3_finalize(s->stmts[i].stmt);
		free(s->stmts[i].name);
	}
	if (sqlite3_close(s->db) == SQLITE_OK)
		note_clean_close(s);
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	free(s->real);
	free(s->path);
	free(s);
}

/*
 * A database that holds no status report yet (a new one, or one with only
 * an inventory) takes its first load in the rollback journal instead of
 * the WAL: the WAL writes each page twice (log, then checkpoint), where a
 * journal holds only the few pages the database had, so the load's pages
 * are written once.  What WAL gives (a reader or a backup beside a run)
 * has nothing to read yet, and a crash is still undone (the journal is
 * rolled back at the next open).  Measured at 1M status rows into a new
 * database on a 2-core machine, 3 runs each: 7.7-7.9 s against 5.9-6.2 s
 * (CPU of user + system 6.5 s against 5.6 s).  Loads onto a history keep
 * the WAL: for them both journals write each page twice (measured: a
 * 100k night onto 29 nights no faster).  store_first_load_end goes back
 * to the WAL, which every open also asks for.
 */
ddm_err store_first_load(store *s)
{
	int64_t empty = 0;
	ddm_err err;

	if (!query_int(s->db, "SELECT NOT EXISTS (SELECT 1 FROM observation)",
		       &empty) ||
	    !empty)
		return DDM_OK;
	err = exec_simple(s, "PRAGMA journal_mode=DELETE",
			  "cannot set up database");
	if (!err)
		s->first_load = true;
	return err;
}

ddm_err store_first_load_end(store *s)
{
	if (!s->first_load)
		return DDM_OK;
	s->first_load = false;
	return exec_simple(s, "PRAGMA journal_mode=WAL",
			   "cannot set up database");
}

ddm_err store_begin(store *s)
{
	return exec_simple(s, "BEGIN IMMEDIATE", "cannot begin transaction");
}

ddm_err store_commit(store *s)
{
	return exec_simple(s, "COMMIT", "cannot commit");
}

void store_rollback(store *s)
{
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

/* ---- scripts and cursors ---------------------------------------------- */

static void bind_params(sqlite3_stmt *st, const store_param *p, size_t np)
{
	for (size_t i = 0; i < np; i++) {
		int idx = sqlite3_bind_parameter_index(st, p[i].name);

		if (!idx)
			continue;
		if (p[i].type == 'i')
			sqlite3_bind_int64(st, idx, p[i].i);
		else if (p[i].s)
			sqlite3_bind_text(st, idx, p[i].s, -1,
					  SQLITE_TRANSIENT);
		else
			sqlite3_bind_null(st, idx);
	}
}

ddm_err store_run_script(store *s, const resource *r, const store_param *p,
			 size_t np)
{
	return store_run_script_part(s, r, 0, strlen(r->text), p, np);
}

ddm_err store_run_script_part(store *s, const resource *r, size_t from,
			      size_t to, const store_param *p, size_t np)
{
	const char *sql = r->text + from;
	const char *end = r->text + to;

	while (sql < end && !is_blank_sql(sql)) {
		sqlite3_stmt *st = NULL;
		const char *tail;
		int rc;

		/* Only what lies before end is read. */
		if (sqlite3_prepare_v2(s->db, sql, (int)(end - sql), &st,
				       &tail) != SQLITE_OK)
			return sql_error(s->db, r, (size_t)(sql - r->text));
		if (!st) /* comment-only remainder */
			break;
		bind_params(st, p, np);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW)
			;
		if (rc != SQLITE_DONE) {
			ddm_err err =
				sql_error(s->db, r, (size_t)(sql - r->text));

			sqlite3_finalize(st);
			return err;
		}
		sqlite3_finalize(st);
		sql = tail;
	}
	return DDM_OK;
}

ddm_err store_query(store *s, const resource *r, const store_param *p,
		    size_t np, store_cursor **out)
{
	sqlite3_stmt *st = NULL;
	store_cursor *c;

	if (sqlite3_prepare_v2(s->db, r->text, -1, &st, NULL) != SQLITE_OK)
		return sql_error(s->db, r, 0);
	if (!st)
		return diag_error(DDM_ERR_INTERNAL, r->origin, "no query");
	bind_params(st, p, np);
	c = xcalloc(1, sizeof *c);
	c->stmt = st;
	c->res = r;
	*out = c;
	return DDM_OK;
}

int store_cursor_step(store_cursor *c)
{
	int rc = sqlite3_step(c->stmt);

	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	c->err = sql_error(sqlite3_db_handle(c->stmt), c->res, 0);
	return -1;
}

ddm_err store_cursor_error(const store_cursor *c)
{
	return c->err ? c->err : DDM_ERR_INTERNAL;
}

int store_cursor_ncols(store_cursor *c)
{
	return sqlite3_column_count(c->stmt);
}

const char *store_cursor_name(store_cursor *c, int col)
{
	return sqlite3_column_name(c->stmt, col);
}

char store_cursor_type(store_cursor *c, int col)
{
	switch (sqlite3_column_type(c->stmt, col)) {
	case SQLITE_INTEGER:
		return 'i';
	case SQLITE_FLOAT:
		return 'r';
	case SQLITE_NULL:
		return 'n';
	default:
		return 't';
	}
}

const char *store_cursor_text(store_cursor *c, int col, size_t *len)
{
	const char *t = (const char *)sqlite3_column_text(c->stmt, col);

	if (len)
		*len = (size_t)sqlite3_column_bytes(c->stmt, col);
	return t ? t : "";
}

int64_t store_cursor_int(store_cursor *c, int col)
{
	return sqlite3_column_int64(c->stmt, col);
}

double store_cursor_double(store_cursor *c, int col)
{
	return sqlite3_column_double(c->stmt, col);
}

void store_cursor_free(store_cursor *c)
{
	if (!c)
		return;
	sqlite3_finalize(c->stmt);
	free(c);
}

ddm_err store_check(store *s, const resource *r)
{
	const char *sql = r->text;
	ddm_err err = DDM_OK;

	while (*sql && !is_blank_sql(sql)) {
		sqlite3_stmt *st = NULL;
		const char *tail;

		if (sqlite3_prepare_v2(s->db, sql, -1, &st, &tail) !=
		    SQLITE_OK) {
			err = sql_error(s->db, r, (size_t)(sql - r->text));
			break;
		}
		if (!st)
			break;
		sqlite3_finalize(st);
		sql = tail;
	}
	return err;
}

/* ---- JSON and single values ------------------------------------------- */

ddm_err store_stmt_text(store_stmt *st, buf *out, bool *found)
{
	int rc = sqlite3_step(st->stmt);
	ddm_err err = DDM_OK;

	*found = false;
	buf_reset(out);
	if (rc == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(st->stmt, 0);

		if (t) {
			buf_append(out, t,
				   (size_t)sqlite3_column_bytes(st->stmt, 0));
			buf_cstr(out);
			*found = true;
		}
	} else if (rc != SQLITE_DONE) {
		err = diag_error(store_err_of(rc), st->res->origin, "%s: %s",
				 st->name, db_msg(sqlite3_db_handle(st->stmt)));
	}
	sqlite3_reset(st->stmt);
	sqlite3_clear_bindings(st->stmt);
	return err;
}

ddm_err store_stmt_step(store_stmt *st, bool *row)
{
	int rc = sqlite3_step(st->stmt);
	ddm_err err = DDM_OK;

	*row = rc == SQLITE_ROW;
	if (*row)
		return DDM_OK;
	if (rc != SQLITE_DONE)
		err = diag_error(store_err_of(rc), st->res->origin, "%s: %s",
				 st->name, db_msg(sqlite3_db_handle(st->stmt)));
	store_stmt_reset(st);
	return err;
}

void store_stmt_reset(store_stmt *st)
{
	sqlite3_reset(st->stmt);
	sqlite3_clear_bindings(st->stmt);
}

const char *store_stmt_col_text(store_stmt *st, int col, size_t *len)
{
	const char *t = (const char *)sqlite3_column_text(st->stmt, col);

	if (t && len)
		*len = (size_t)sqlite3_column_bytes(st->stmt, col);
	return t;
}

int64_t store_stmt_col_int(store_stmt *st, int col)
{
	return sqlite3_column_int64(st->stmt, col);
}

const void *store_stmt_col_blob(store_stmt *st, int col, size_t *len)
{
	const void *b = sqlite3_column_blob(st->stmt, col);

	*len = (size_t)sqlite3_column_bytes(st->stmt, col);
	return b;
}

ddm_err store_json_leaves(store *s, const char *doc, size_t len,
			  store_leaf_fn fn, void *ctx, char *why, size_t cap)
{
	store_stmt *st = store_stmt_get(s, "json_leaves");
	ddm_err err = DDM_OK;
	int rc;

	if (!st)
		return DDM_ERR_INTERNAL;
	if (len > INT_MAX)
		return DDM_ERR_DATA;
	sqlite3_bind_text(st->stmt, 1, doc, (int)len, SQLITE_STATIC);
	while ((rc = sqlite3_step(st->stmt)) == SQLITE_ROW) {
		const char *path =
			(const char *)sqlite3_column_text(st->stmt, 0);
		size_t plen = (size_t)sqlite3_column_bytes(st->stmt, 0);
		const char *type =
			(const char *)sqlite3_column_text(st->stmt, 1);
		const char *val =
			(const char *)sqlite3_column_text(st->stmt, 2);
		size_t vlen = (size_t)sqlite3_column_bytes(st->stmt, 2);

		/* 1e999 is JSON but no number: never store it as one. */
		if (sqlite3_column_type(st->stmt, 2) == SQLITE_FLOAT &&
		    !isfinite(sqlite3_column_double(st->stmt, 2))) {
			snprintf(why, cap, "number out of range at %s",
				 diag_q(path ? path : "$"));
			err = DDM_ERR_DATA;
			break;
		}
		err = fn(ctx, path ? path : "", plen, type ? type : "null", val,
			 vlen);
		if (err)
			break;
	}
	if (!err && rc != SQLITE_DONE) {
		ddm_err e = store_err_of(rc);

		/* Malformed JSON is an SQLITE_ERROR (the document's fault);
		 * the disk, the lock or memory are the run's. */
		if (e != DDM_ERR_INTERNAL || (rc & 0xff) == SQLITE_NOMEM) {
			err = diag_error(e == DDM_ERR_INTERNAL ? DDM_ERR_IO : e,
					 st->res->origin, "%s: %s", st->name,
					 sqlite3_errmsg(s->db));
		} else {
			snprintf(why, cap, "%s", sqlite3_errmsg(s->db));
			err = DDM_ERR_DATA;
		}
	}
	sqlite3_reset(st->stmt);
	sqlite3_clear_bindings(st->stmt);
	return err;
}

ddm_err store_secret(store *s, const char *name, char out[65])
{
	store_stmt *put = store_stmt_get(s, "meta_put");
	store_stmt *get = store_stmt_get(s, "meta_get");
	unsigned char raw[32];
	char fresh[65];
	FILE *f;
	int rc;
	ddm_err err;

	if (!put || !get)
		return DDM_ERR_INTERNAL;
	f = fopen("/dev/urandom", "rb");
	if (!f || fread(raw, 1, sizeof raw, f) != sizeof raw) {
		if (f)
			fclose(f);
		return diag_error(DDM_ERR_IO, "/dev/urandom", "cannot read");
	}
	fclose(f);
	for (size_t i = 0; i < sizeof raw; i++)
		snprintf(fresh + 2 * i, 3, "%02x", raw[i]);
	store_bind_text(put, store_stmt_param(put, ":key"), name, strlen(name));
	store_bind_text(put, store_stmt_param(put, ":value"), fresh, 64);
	err = store_stmt_run(put, NULL, NULL);
	if (err)
		return err;
	sqlite3_bind_text(get->stmt,
			  sqlite3_bind_parameter_index(get->stmt, ":key"), name,
			  -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(get->stmt);
	if (rc == SQLITE_ROW)
		snprintf(out, 65, "%s",
			 (const char *)sqlite3_column_text(get->stmt, 0));
	sqlite3_reset(get->stmt);
	sqlite3_clear_bindings(get->stmt);
	if (rc != SQLITE_ROW)
		return db_error(s, "cannot read secret");
	return DDM_OK;
}

/* ---- a second connection, for a helper thread ------------------------- */

/* Runs sql on db; a failure is reported (held, in a helper thread). */
static ddm_err exec_on(store *s, sqlite3 *db, const char *sql, const char *what)
{
	ddm_err err;

	if (sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK)
		return DDM_OK;
	err = store_err_of(sqlite3_extended_errcode(db));
	return diag_error(err ? err : DDM_ERR_INTERNAL, diag_q(s->path),
			  "%s: %s", what, db_msg(db));
}

/* ATTACHes the file at path to db as "part". */
static ddm_err attach_part(sqlite3 *db, const char *path)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, "ATTACH ?1 AS part", -1, &st, NULL);

	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_OK || rc == SQLITE_DONE)
		return DDM_OK;
	return diag_error(DDM_ERR_CANTCREAT, diag_q(path),
			  "cannot open scratch database: %s", db_msg(db));
}

ddm_err store_split_open(store *s, store **out)
{
	store *p = xcalloc(1, sizeof *p);
	char *scratch = xasprintf("%s/ddmreport-part-XXXXXX", temp_dir());
	bool attached = false;
	ddm_err err;
	int fd;

	p->path = xstrdup(s->path);
	p->real = xstrdup(s->real);
	p->lock_fd = -1;
	/* mkstemp: a new file, mode 0600 (it holds serials and names). */
	fd = mkstemp(scratch);
	if (fd < 0) {
		err = diag_error(DDM_ERR_CANTCREAT, diag_q(scratch),
				 "cannot create scratch database: %s",
				 strerror(errno));
		free(scratch);
		store_close(p);
		return err;
	}
	close(fd);
	err = open_connection(p->real, s->path, &p->db);
	if (err)
		goto fail;
	/* As the main connection (store_open); the scratch database is
	 * written once and read once, never to be recovered: no journal. */
	err = exec_on(s, p->db,
		      "PRAGMA cache_size=-8192;"
		      "PRAGMA temp_store=FILE;",
		      "cannot set up database");
	if (!err && register_functions(p->db) != SQLITE_OK)
		err = db_error(p, "cannot register functions");
	if (!err)
		err = attach_part(p->db, scratch);
	if (!err)
		err = exec_on(s, p->db,
			      "PRAGMA part.journal_mode=OFF;"
			      "PRAGMA part.synchronous=OFF;",
			      "cannot set up scratch database");
	if (!err)
		err = attach_part(s->db, scratch);
	if (err)
		goto fail;
	attached = true;
	/* Both connections hold the file open: its name is not needed any
	 * more, and without one nothing is left behind, whatever ends the
	 * run (its space is freed when both have let go). */
	unlink(scratch);
	free(scratch);
	scratch = NULL;
	/* One snapshot for both: the main connection's read transaction
	 * starts, then the helper's.  No commit can come between: every
	 * writer takes the lock file, which this run holds. */
	err = exec_on(s, s->db,
		      "BEGIN; SELECT count(*) FROM main.sqlite_master;",
		      "cannot begin transaction");
	if (!err)
		err = exec_on(s, p->db,
			      "BEGIN; SELECT count(*) FROM main.sqlite_master;",
			      "cannot begin transaction");
	if (err)
		goto fail;
	*out = p;
	return DDM_OK;

fail:
	if (scratch) {
		unlink(scratch);
		free(scratch);
	}
	if (p->db)
		store_rollback(p);
	store_close(p);
	if (attached) {
		store_rollback(s);
		sqlite3_exec(s->db, "DETACH DATABASE part", NULL, NULL, NULL);
	}
	return err;
}

/* One table's rows from the helper's temp schema into the scratch
 * database (send), or from there after the main connection's (take). */
static ddm_err copy_part(store *s, const char *table, bool send)
{
	char *sql = send ? xasprintf("CREATE TABLE part.\"%s\" AS "
				     "SELECT * FROM temp.\"%s\"",
				     table, table)
			 : xasprintf("INSERT INTO temp.\"%s\" "
				     "SELECT * FROM part.\"%s\"",
				     table, table);
	ddm_err err =
		exec_on(s, s->db, sql,
			send ? "cannot keep results" : "cannot gather results");

	free(sql);
	return err;
}

ddm_err store_split_send(store *peer, const char *table)
{
	return copy_part(peer, table, true);
}

ddm_err store_split_take(store *s, const char *table)
{
	return copy_part(s, table, false);
}

ddm_err store_split_close(store *s, store *peer)
{
	ddm_err err = DDM_OK;

	if (peer) {
		store_rollback(peer);
		store_close(peer);
	}
	/* The main connection only read: its end commits nothing. */
	if (!sqlite3_get_autocommit(s->db))
		err = exec_on(s, s->db, "COMMIT", "cannot end transaction");
	if (err)
		store_rollback(s);
	if (sqlite3_exec(s->db, "DETACH DATABASE part", NULL, NULL, NULL) !=
		    SQLITE_OK &&
	    !err)
		err = db_error(s, "cannot close scratch database");
	return err;
}
