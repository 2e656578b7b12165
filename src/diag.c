/*
 * diag.c - error codes, their messages, and the lines written to stderr.
 *
 * The enum, the exit-code table and the message table are kept in step by
 * _Static_assert.  Output is one line per event; everything that comes from
 * data is escaped so an export cannot paint the operator's terminal.
 */
#define _POSIX_C_SOURCE 200809L /* fileno */
#include "diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cell.h"
#include "util.h"

static const int exit_codes[] = {
	[DDM_OK] = 0,	       [DDM_FINDINGS] = 1,     [DDM_ERR_DATA] = 65,
	[DDM_ERR_LOCKED] = 75, [DDM_ERR_NOINPUT] = 66, [DDM_ERR_CANTCREAT] = 73,
	[DDM_ERR_IO] = 74,     [DDM_ERR_USAGE] = 64,   [DDM_ERR_INTERNAL] = 70,
};

static const char *const messages[] = {
	[DDM_OK] = "success",
	[DDM_FINDINGS] = "findings present",
	[DDM_ERR_DATA] = "bad input data",
	[DDM_ERR_LOCKED] = "another run holds the lock",
	[DDM_ERR_NOINPUT] = "input missing or unreadable",
	[DDM_ERR_CANTCREAT] = "cannot create output",
	[DDM_ERR_IO] = "input/output error",
	[DDM_ERR_USAGE] = "usage error",
	[DDM_ERR_INTERNAL] = "internal error",
};

_Static_assert(sizeof exit_codes / sizeof exit_codes[0] == DDM_ERR__COUNT,
	       "exit code table out of step with ddm_err");
_Static_assert(sizeof messages / sizeof messages[0] == DDM_ERR__COUNT,
	       "message table out of step with ddm_err");

static bool quiet;
static bool explained;	    /* an error or note line was printed */
static const char *context; /* see diag_set_context; not owned */
/* The lines a helper thread holds back (diag_hold_begin); NULL: print. */
static _Thread_local buf *held;

int diag_exit_code(ddm_err err)
{
	if ((unsigned)err >= DDM_ERR__COUNT)
		return 70;
	return exit_codes[err];
}

const char *diag_strerror(ddm_err err)
{
	if ((unsigned)err >= DDM_ERR__COUNT)
		return "unknown error";
	return messages[err];
}

ddm_err diag_worst(ddm_err a, ddm_err b)
{
	return a > b ? a : b;
}

void diag_set_quiet(bool q)
{
	quiet = q;
}

bool diag_is_quiet(void)
{
	return quiet;
}

static void vline(const char *level, const char *where, const char *fmt,
		  va_list ap)
{
	char msg[2048];

	vsnprintf(msg, sizeof msg, fmt, ap);
	if (held) {
		char *line =
			xasprintf("ddmreport: %s: %s%s%s%s%s\n", level,
				  context ? context : "", context ? ": " : "",
				  where ? where : "", where ? ": " : "", msg);

		buf_append(held, line, strlen(line));
		free(line);
		return;
	}
	fprintf(stderr, "ddmreport: %s: %s%s%s%s%s\n", level,
		context ? context : "", context ? ": " : "", where ? where : "",
		where ? ": " : "", msg);
}

void diag_set_context(const char *ctx)
{
	context = ctx;
}

ddm_err diag_error(ddm_err err, const char *where, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vline("error", where, fmt, ap);
	va_end(ap);
	if (!held)
		explained = true;
	return err;
}

void diag_note(const char *where, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vline("note", where, fmt, ap);
	va_end(ap);
	if (!held)
		explained = true;
}

void diag_hold_begin(buf *lines)
{
	held = lines;
}

void diag_hold_end(void)
{
	held = NULL;
}

void diag_release(buf *lines)
{
	if (!lines->len)
		return;
	fwrite(lines->data, 1, lines->len, stderr);
	explained = true;
	buf_reset(lines);
}

bool diag_explained(void)
{
	return explained;
}

void diag_warn(const char *where, const char *fmt, ...)
{
	va_list ap;

	if (quiet)
		return;
	va_start(ap, fmt);
	vline("warning", where, fmt, ap);
	va_end(ap);
}

void diag_alert(const char *where, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vline("warning", where, fmt, ap);
	va_end(ap);
}

const char *diag_qn(const char *s, size_t len)
{
	/* Per thread: a helper thread's messages quote names too. */
	static _Thread_local char ring[8][1024];
	static _Thread_local unsigned next;
	char *slot = ring[next++ % 8];
	buf b = {0};

	if (!s)
		return "(null)";
	cell_escape_diag(&b, s, len, 200);
	snprintf(slot, sizeof ring[0], "%s", buf_cstr(&b));
	buf_free(&b);
	return slot;
}

const char *diag_q(const char *s)
{
	return diag_qn(s, s ? strlen(s) : 0);
}

void diag_capture_begin(diag_capture *c)
{
	FILE *f = tmpfile();

	c->saved_fd = -1;
	c->file = NULL;
	if (!f)
		return;
	fflush(stderr);
	c->saved_fd = dup(STDERR_FILENO);
	if (c->saved_fd < 0 || dup2(fileno(f), STDERR_FILENO) < 0) {
		if (c->saved_fd >= 0)
			close(c->saved_fd);
		c->saved_fd = -1;
		fclose(f);
		return;
	}
	c->file = f;
}

void diag_capture_end(diag_capture *c, char *out, size_t cap)
{
	FILE *f = c->file;
	char line[1024];
	size_t used = 0;

	if (cap)
		out[0] = '\0';
	if (c->saved_fd < 0)
		return;
	fflush(stderr);
	dup2(c->saved_fd, STDERR_FILENO);
	close(c->saved_fd);
	c->saved_fd = -1;
	rewind(f);
	while (fgets(line, sizeof line, f)) {
		char *msg = line, *tag = strstr(line, "]: ");

		if (line[0] == '[' && tag)
			msg = tag + 3;
		msg[strcspn(msg, "\r\n")] = '\0';
		if (!*msg || used + 1 >= cap)
			continue;
		used += (size_t)snprintf(out + used, cap - used, "%s%s",
					 used ? "; " : "", msg);
		if (used >= cap)
			used = cap - 1;
	}
	fclose(f);
	c->file = NULL;
}
