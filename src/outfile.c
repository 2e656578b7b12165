/*
 * outfile.c - temporary file, fsync, rename (see outfile.h).
 *
 * The directory is synced after the renames so the new names survive a
 * power cut as well as the new contents.
 */
#define _GNU_SOURCE
#include "outfile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sha256.h"
#include "util.h"

struct outfile {
	char *dir;   /* owned */
	char *final; /* owned: dir/name */
	char *temp;  /* owned: dir/.name.tmp-PID */
	FILE *f;     /* owned; NULL when not streaming or finished */
	int finished;
};

ddm_err outfile_open(const char *dir, const char *name, int want_stream,
		     outfile **out)
{
	outfile *o = xcalloc(1, sizeof *o);
	int fd;

	o->dir = xstrdup(dir);
	o->final = xasprintf("%s/%s", dir, name);
	o->temp = xasprintf("%s/.%s.tmp-%ld", dir, name, (long)getpid());
	fd = open(o->temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0) {
		ddm_err err = diag_error(
			errno == ENOSPC || errno == EIO ? DDM_ERR_IO
							: DDM_ERR_CANTCREAT,
			diag_q(o->final), "cannot create: %s", strerror(errno));

		free(o->dir);
		free(o->final);
		free(o->temp);
		free(o);
		return err;
	}
	if (want_stream) {
		o->f = fdopen(fd, "w");
		if (!o->f) {
			close(fd);
			outfile_abort(o);
			return diag_error(DDM_ERR_CANTCREAT, NULL,
					  "cannot open stream");
		}
	} else {
		close(fd);
	}
	*out = o;
	return DDM_OK;
}

FILE *outfile_stream(outfile *o)
{
	return o->f;
}

const char *outfile_name(const outfile *o)
{
	return strrchr(o->final, '/') + 1;
}

ddm_err outfile_sha256(const outfile *o, char hex[65])
{
	FILE *f = fopen(o->temp, "rb");
	sha256_ctx c;
	char block[65536];
	size_t n;
	int bad;

	if (!f)
		return diag_error(DDM_ERR_IO, diag_q(o->final),
				  "cannot read: %s", strerror(errno));
	sha256_init(&c);
	while ((n = fread(block, 1, sizeof block, f)) > 0)
		sha256_update(&c, block, n);
	bad = ferror(f);
	fclose(f);
	if (bad)
		return diag_error(DDM_ERR_IO, diag_q(o->final), "cannot read");
	sha256_final_hex(&c, hex);
	return DDM_OK;
}

const char *outfile_temp_path(const outfile *o)
{
	return o->temp;
}

/* The process umask (read by setting it and setting it back; the job is
 * single-threaded). */
static mode_t current_umask(void)
{
	mode_t m = umask(0077);

	umask(m);
	return m;
}

static ddm_err io_error(const outfile *o, int e)
{
	return diag_error(DDM_ERR_IO, diag_q(o->final), "cannot write: %s",
			  strerror(e));
}

ddm_err outfile_finish(outfile *o)
{
	int fd;

	if (o->finished)
		return DDM_OK;
	o->finished = 1;
	if (o->f) {
		FILE *f = o->f;
		int bad = fflush(f) != 0 || ferror(f);
		int e = errno;

		o->f = NULL;
		if (!bad && fsync(fileno(f)) != 0) {
			bad = 1;
			e = errno;
		}
		if (fclose(f) != 0 && !bad) {
			bad = 1;
			e = errno;
		}
		if (bad)
			return io_error(o, e);
		return DDM_OK;
	}
	fd = open(o->temp, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return io_error(o, errno);
	/* The library may have recreated the file: set the mode again, less
	 * the caller's umask, as open() did for the streamed files. */
	if (fchmod(fd, 0640 & ~current_umask()) != 0 || fsync(fd) != 0) {
		int e = errno;

		close(fd);
		return io_error(o, e);
	}
	close(fd);
	return DDM_OK;
}

static void free_outfile(outfile *o)
{
	free(o->dir);
	free(o->final);
	free(o->temp);
	free(o);
}

ddm_err outfile_commit(outfile *o)
{
	ddm_err err = outfile_finish(o);
	int dfd;

	if (err) {
		outfile_abort(o);
		return err;
	}
	if (rename(o->temp, o->final) != 0) {
		err = diag_error(DDM_ERR_CANTCREAT, diag_q(o->final),
				 "cannot replace: %s", strerror(errno));
		outfile_abort(o);
		return err;
	}
	dfd = open(o->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	free_outfile(o);
	return DDM_OK;
}

void outfile_abort(outfile *o)
{
	if (!o)
		return;
	if (o->f)
		fclose(o->f);
	unlink(o->temp);
	free_outfile(o);
}

void outfile_clean_stale(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d)) != NULL) {
		const char *t = strstr(e->d_name, ".tmp-");
		char *end;
		long pid;

		if (e->d_name[0] != '.' || !t)
			continue;
		pid = strtol(t + 5, &end, 10);
		if (*end || pid <= 0)
			continue;
		if (pid != (long)getpid() && kill((pid_t)pid, 0) != 0 &&
		    errno == ESRCH) {
			char *p = xasprintf("%s/%s", dir, e->d_name);

			unlink(p);
			free(p);
		}
	}
	closedir(d);
}
