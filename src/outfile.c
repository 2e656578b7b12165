/*
 * outfile.c - temporary file, fsync, rename (see outfile.h).
 *
 * The directory is synced after the renames so the new names survive a
 * power cut as well as the new contents.
 *
 * A finished file's write-back is started (sync_file_range) and its fsync
 * left to outfile_sync, just before the renames: the disk writes one
 * report while the next is computed, and the fsync finds little left.
 */
#define _GNU_SOURCE
#include "outfile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdbool.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sha256.h"
#include "util.h"

/*
 * The private folder where this process stages its outputs for one output
 * directory: DIR/.ddmreport-PID.XXXXXX, made by mkdtemp (mode 0700), so
 * nobody else can plant a link or a file under a name we are about to
 * open, whatever the rights on DIR.  Shared by every outfile of DIR and
 * removed when the last one is committed or aborted.
 *
 * The folder is flock()ed while in use: a run tells a live folder from
 * one a killed run left by the lock, not by the PID in its name alone.
 * A PID is reused, and a run in a container is often the same PID every
 * night (PID 1 of a nightly job), so the name of a dead run's folder
 * can be the PID of a live process, even of the cleaning run itself.
 */
typedef struct stage {
	char *dir;	    /* owned: the output directory */
	char *path;	    /* owned: the private folder inside it */
	int fd;		    /* owned: the folder, flock()ed while in use */
	int refs;	    /* outfiles still using it */
	struct stage *next; /* owned: next stage of this process */
} stage;

static stage *stages; /* owned: the stages in use (usually one) */

#define STAGE_PREFIX ".ddmreport-"
#define OUT_BUF (64 * 1024)

struct outfile {
	char *final; /* owned: dir/name */
	char *temp;  /* owned: stage/name */
	stage *st;   /* shared: released at commit or abort */
	FILE *f;     /* owned; NULL when not streaming or finished */
	char *fbuf;  /* owned: f's buffer, freed once f is closed */
	int finished;
	int synced; /* fsync done (outfile_sync) */
};

/* The stage for dir, made on first use; NULL (errno set) when it cannot
 * be made. */
static stage *stage_get(const char *dir)
{
	stage *s;

	for (s = stages; s; s = s->next)
		if (strcmp(s->dir, dir) == 0) {
			s->refs++;
			return s;
		}
	s = xcalloc(1, sizeof *s);
	s->dir = xstrdup(dir);
	s->path = NULL;
	s->fd = -1;
	/* Locked right after it is made; a cleaner that removed it in
	 * between (it was not locked yet) makes us start again.  Where
	 * folders cannot be locked (NFS emulates flock with record locks,
	 * which a folder opened for reading does not take), the folder is
	 * used unlocked and only its PID tells it is live, as before. */
	for (int tries = 0; s->fd < 0 && tries < 8; tries++) {
		struct stat a, b;

		free(s->path);
		s->path = xasprintf("%s/" STAGE_PREFIX "%ld.XXXXXX", dir,
				    (long)getpid());
		if (!mkdtemp(s->path))
			break;
		s->fd = open(s->path,
			     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (s->fd < 0)
			continue;
		if ((flock(s->fd, LOCK_EX | LOCK_NB) != 0 &&
		     errno == EWOULDBLOCK) ||
		    fstat(s->fd, &a) != 0 || lstat(s->path, &b) != 0 ||
		    a.st_dev != b.st_dev || a.st_ino != b.st_ino) {
			close(s->fd);
			s->fd = -1;
			errno = EAGAIN;
		}
	}
	if (s->fd < 0) {
		int e = errno;

		free(s->path);
		free(s->dir);
		free(s);
		errno = e;
		return NULL;
	}
	s->refs = 1;
	s->next = stages;
	stages = s;
	return s;
}

static void stage_release(stage *s)
{
	stage **pp;

	if (--s->refs > 0)
		return;
	for (pp = &stages; *pp != s; pp = &(*pp)->next)
		;
	*pp = s->next;
	rmdir(s->path);
	close(s->fd); /* the lock goes with it */
	free(s->path);
	free(s->dir);
	free(s);
}

static void free_outfile(outfile *o)
{
	if (o->st)
		stage_release(o->st);
	free(o->final);
	free(o->temp);
	free(o);
}

ddm_err outfile_open(const char *dir, const char *name, int want_stream,
		     outfile **out)
{
	outfile *o = xcalloc(1, sizeof *o);
	ddm_err err;
	int fd;

	o->final = xasprintf("%s/%s", dir, name);
	o->st = stage_get(dir);
	if (!o->st) {
		err = diag_error(errno == ENOSPC || errno == EIO
					 ? DDM_ERR_IO
					 : DDM_ERR_CANTCREAT,
				 diag_q(o->final),
				 "cannot create private temporary folder: %s",
				 strerror(errno));
		free_outfile(o);
		return err;
	}
	o->temp = xasprintf("%s/%s", o->st->path, name);
	/* O_EXCL and O_NOFOLLOW: a name that exists (it cannot, in a folder
	 * only we can write) is an error, never a file to reuse. */
	fd = open(o->temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0640);
	if (fd < 0) {
		err = diag_error(
			errno == ENOSPC || errno == EIO ? DDM_ERR_IO
							: DDM_ERR_CANTCREAT,
			diag_q(o->final), "cannot create: %s", strerror(errno));
		free_outfile(o);
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
		/* 64 KiB writes, not stdio's 4 KiB: a large report is a
		 * few thousand write() calls, not tens of thousands. */
		o->fbuf = xmalloc(OUT_BUF);
		if (setvbuf(o->f, o->fbuf, _IOFBF, OUT_BUF) != 0) {
			free(o->fbuf);
			o->fbuf = NULL;
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

bool outfile_hash(const outfile *o, char hex[65])
{
	FILE *f = fopen(o->temp, "rb");
	sha256_ctx c;
	char block[65536];
	size_t n;
	int bad;

	if (!f)
		return false;
	sha256_init(&c);
	while ((n = fread(block, 1, sizeof block, f)) > 0)
		sha256_update(&c, block, n);
	bad = ferror(f);
	fclose(f);
	if (bad)
		return false;
	sha256_final_hex(&c, hex);
	return true;
}

ddm_err outfile_sha256(const outfile *o, char hex[65])
{
	errno = 0;
	if (outfile_hash(o, hex))
		return DDM_OK;
	return diag_error(DDM_ERR_IO, diag_q(o->final), "cannot read%s%s",
			  errno ? ": " : "", errno ? strerror(errno) : "");
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

/* Starts writing fd's data to disk without waiting; outfile_sync waits. */
static void start_writeback(int fd)
{
#ifdef SYNC_FILE_RANGE_WRITE
	(void)sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
#else
	(void)fd;
#endif
}

ddm_err outfile_sync(outfile *o)
{
	int fd;

	if (o->synced)
		return DDM_OK;
	fd = open(o->temp, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return io_error(o, errno);
	if (fsync(fd) != 0) {
		int e = errno;

		close(fd);
		return io_error(o, e);
	}
	close(fd);
	o->synced = 1;
	return DDM_OK;
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
		if (!bad)
			start_writeback(fileno(f));
		if (fclose(f) != 0 && !bad) {
			bad = 1;
			e = errno;
		}
		free(o->fbuf);
		o->fbuf = NULL;
		if (bad)
			return io_error(o, e);
		return DDM_OK;
	}
	fd = open(o->temp, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return io_error(o, errno);
	/* The library may have recreated the file: set the mode again, less
	 * the caller's umask, as open() did for the streamed files. */
	if (fchmod(fd, 0640 & ~current_umask()) != 0) {
		int e = errno;

		close(fd);
		return io_error(o, e);
	}
	start_writeback(fd);
	close(fd);
	return DDM_OK;
}

ddm_err outfile_commit(outfile *o)
{
	ddm_err err = outfile_finish(o);
	int dfd;

	if (err == DDM_OK)
		err = outfile_sync(o);
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
	dfd = open(o->st->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
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
	free(o->fbuf);
	unlink(o->temp);
	free_outfile(o);
}

/* Reads dir/SHA256SUMS into b; false when there is none (or it is not a
 * plain file of reasonable size: then there is no set to keep). */
static bool read_manifest(const char *dir, buf *b)
{
	char *p = xasprintf("%s/SHA256SUMS", dir);
	int fd = open(p, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	char block[4096];
	ssize_t n = 0;

	free(p);
	if (fd < 0)
		return false;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > 1024 * 1024) {
		close(fd);
		return false;
	}
	while ((n = read(fd, block, sizeof block)) > 0)
		buf_append(b, block, (size_t)n);
	close(fd);
	return n == 0;
}

/* One line of SHA256SUMS, as `sha256sum` writes it. */
static void sum_line(buf *b, const char hex[65], const outfile *o)
{
	buf_puts(b, hex);
	buf_puts(b, "  ");
	buf_puts(b, outfile_name(o));
	buf_putc(b, '\n');
}

ddm_err outfile_manifest_update(const char *dir, outfile *const *files, int n,
				outfile **out)
{
	buf old = {0}, text = {0};
	bool *done = xcalloc((size_t)n + 1, sizeof *done);
	char hex[65];
	outfile *m = NULL;
	ddm_err err = DDM_OK;

	*out = NULL;
	if (!read_manifest(dir, &old))
		goto out_free;
	buf_cstr(&old);
	for (char *line = old.data, *next; line && *line; line = next) {
		size_t len = strcspn(line, "\n");
		int i = 0;

		next = line[len] ? line + len + 1 : NULL;
		/* "HEX  NAME": the hash of a file written now is replaced */
		while (i < n && !(len == 66 + strlen(outfile_name(files[i])) &&
				  strncmp(line + 66, outfile_name(files[i]),
					  len - 66) == 0))
			i++;
		if (i < n) {
			err = outfile_sha256(files[i], hex);
			if (err)
				goto out_free;
			sum_line(&text, hex, files[i]);
			done[i] = true;
		} else {
			buf_append(&text, line, len);
			buf_putc(&text, '\n');
		}
	}
	for (int i = 0; i < n; i++) {
		if (done[i])
			continue;
		err = outfile_sha256(files[i], hex);
		if (err)
			goto out_free;
		sum_line(&text, hex, files[i]);
	}
	err = outfile_open(dir, "SHA256SUMS", 1, &m);
	if (err)
		goto out_free;
	if (fwrite(text.data, 1, text.len, outfile_stream(m)) != text.len)
		err = io_error(m, errno);
	if (err == DDM_OK)
		err = outfile_finish(m);
	if (err)
		outfile_abort(m);
	else
		*out = m;
out_free:
	free(done);
	buf_free(&text);
	buf_free(&old);
	return err;
}

/* True when name ends in "PID" of a process that is gone (not this one). */
static bool pid_is_gone(const char *digits)
{
	char *end;
	long pid = strtol(digits, &end, 10);

	if (end == digits || (*end && *end != '.') || pid <= 0)
		return false;
	return pid != (long)getpid() && kill((pid_t)pid, 0) != 0 &&
	       errno == ESRCH;
}

/* An unlocked stage folder this old is stale whatever its name says: an
 * older version, which did not lock it, never took this long to write. */
#define STAGE_UNLOCKED_MAX_AGE (3600)

/*
 * Removes the stage folder name in the directory dfd, and what it holds
 * (files only: we never make folders inside it), when no live run holds
 * it: its lock is free, and its PID is gone, or is this very process (a
 * folder named with our PID that we did not make), or it is over an hour
 * old (the PID was reused).  The lock is held while it is removed.  Where
 * folders cannot be locked, only a PID that is gone tells.
 */
static void remove_stage(int dfd, const char *name)
{
	int sfd = openat(dfd, name,
			 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	const char *digits = name + strlen(STAGE_PREFIX);
	DIR *d;
	struct dirent *e;
	struct stat st;
	bool locked;

	if (sfd < 0)
		return;
	locked = flock(sfd, LOCK_EX | LOCK_NB) == 0;
	if ((!locked && errno == EWOULDBLOCK) || fstat(sfd, &st) != 0 ||
	    !(pid_is_gone(digits) ||
	      (locked &&
	       (strtol(digits, NULL, 10) == getpid() ||
		st.st_mtime < time(NULL) - STAGE_UNLOCKED_MAX_AGE)))) {
		close(sfd);
		return;
	}
	d = fdopendir(sfd);
	if (!d) {
		close(sfd);
		return;
	}
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			unlinkat(sfd, e->d_name, 0);
	closedir(d);
	unlinkat(dfd, name, AT_REMOVEDIR);
}

void outfile_clean_stale(const char *dir)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d;
	struct dirent *e;

	if (dfd < 0)
		return;
	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return;
	}
	while ((e = readdir(d)) != NULL) {
		const char *t = strstr(e->d_name, ".tmp-");

		if (strncmp(e->d_name, STAGE_PREFIX, strlen(STAGE_PREFIX)) == 0)
			remove_stage(dfd, e->d_name);
		else if (e->d_name[0] == '.' && t && !strchr(t + 5, '.') &&
			 pid_is_gone(t + 5))
			/* ".NAME.tmp-PID", left by an older version */
			unlinkat(dfd, e->d_name, 0);
	}
	closedir(d);
}

void outfile_clean_stale_all(const char *pattern)
{
	const char *date = strstr(pattern, "{date}");
	buf g = {0};
	glob_t gl;

	if (!date) {
		outfile_clean_stale(pattern);
		return;
	}
	/* Every folder the pattern can name: each {date} becomes a date
	 * wildcard, the rest is matched literally. */
	for (const char *p = pattern; *p; p++) {
		if (strncmp(p, "{date}", 6) == 0) {
			buf_puts(&g, "[0-9][0-9][0-9][0-9]-[0-9][0-9]-"
				     "[0-9][0-9]");
			p += strlen("{date}") - 1;
			continue;
		}
		if (strchr("*?[\\", *p))
			buf_putc(&g, '\\');
		buf_putc(&g, *p);
	}
	if (glob(buf_cstr(&g), GLOB_ONLYDIR | GLOB_NOSORT, NULL, &gl) == 0) {
		for (size_t i = 0; i < gl.gl_pathc; i++)
			outfile_clean_stale(gl.gl_pathv[i]);
		globfree(&gl);
	}
	buf_free(&g);
}
