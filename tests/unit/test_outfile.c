/*
 * test_outfile.c - atomic outputs: nothing appears under the final name
 * until commit, a full disk (EFBIG under RLIMIT_FSIZE) is DDM_ERR_IO, an
 * abort leaves no temporary file, and stale temporary files of dead
 * processes are removed.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "diag.h"
#include "outfile.h"
#include "unit.h"

static char dir[] = "/tmp/ddm-outfile-XXXXXX";

static bool exists(const char *name)
{
	char p[256];
	struct stat st;

	snprintf(p, sizeof p, "%s/%s", dir, name);
	return stat(p, &st) == 0;
}

static void test_commit_and_abort(void)
{
	outfile *o;
	char tmp[256];

	CHECK_INT_EQ(outfile_open(dir, "a.csv", 1, &o), DDM_OK);
	fputs("x,y\n", outfile_stream(o));
	snprintf(tmp, sizeof tmp, "%s", outfile_temp_path(o));
	CHECK(!exists("a.csv"));
	CHECK(access(tmp, F_OK) == 0);
	CHECK_INT_EQ(outfile_commit(o), DDM_OK);
	CHECK(exists("a.csv"));
	CHECK(access(tmp, F_OK) != 0);

	CHECK_INT_EQ(outfile_open(dir, "b.csv", 1, &o), DDM_OK);
	snprintf(tmp, sizeof tmp, "%s", outfile_temp_path(o));
	outfile_abort(o);
	CHECK(access(tmp, F_OK) != 0);
	CHECK(!exists("b.csv"));
	outfile_abort(NULL);
}

static void test_file_too_large_is_io_error(void)
{
	struct rlimit old, lim = {64 * 1024, 64 * 1024};
	outfile *o;
	char block[4096];
	ddm_err err;

	memset(block, 'z', sizeof block);
	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, &old);
	lim.rlim_max = old.rlim_max;
	setrlimit(RLIMIT_FSIZE, &lim);
	CHECK_INT_EQ(outfile_open(dir, "big.csv", 1, &o), DDM_OK);
	for (int i = 0; i < 64; i++)
		fwrite(block, 1, sizeof block, outfile_stream(o));
	err = outfile_commit(o); /* finish fails, the temp file is removed */
	setrlimit(RLIMIT_FSIZE, &old);
	CHECK_INT_EQ(err, DDM_ERR_IO);
	CHECK(!exists("big.csv"));
}

static void test_stale_cleanup(void)
{
	char p[256];
	pid_t child = fork();
	FILE *f;

	int st;

	if (child == 0)
		_exit(0);
	while (waitpid(child, &st, 0) < 0)
		;
	snprintf(p, sizeof p, "%s/.c.csv.tmp-%ld", dir, (long)child);
	f = fopen(p, "w");
	fclose(f);
	snprintf(p, sizeof p, "%s/.d.csv.tmp-%ld", dir, (long)getpid());
	f = fopen(p, "w");
	fclose(f);
	outfile_clean_stale(dir);
	snprintf(p, sizeof p, ".c.csv.tmp-%ld", (long)child);
	CHECK(!exists(p));
	snprintf(p, sizeof p, ".d.csv.tmp-%ld", (long)getpid());
	CHECK(exists(p));
}

/* The temporary file sits in a folder only this process can enter, and a
 * link planted in the output folder under any name is left alone. */
static void test_private_folder(void)
{
	outfile *o;
	char link[256], parent[256], *slash;
	struct stat st;

	snprintf(link, sizeof link, "%s/.e.csv.tmp-%ld", dir, (long)getpid());
	CHECK(symlink("/nonexistent-victim", link) == 0);
	CHECK_INT_EQ(outfile_open(dir, "e.csv", 1, &o), DDM_OK);
	snprintf(parent, sizeof parent, "%s", outfile_temp_path(o));
	slash = strrchr(parent, '/');
	*slash = '\0';
	CHECK(stat(parent, &st) == 0 && S_ISDIR(st.st_mode) &&
	      (st.st_mode & 0777) == 0700);
	CHECK(strncmp(parent, dir, strlen(dir)) == 0);
	fputs("e\n", outfile_stream(o));
	CHECK_INT_EQ(outfile_commit(o), DDM_OK);
	CHECK(lstat(link, &st) == 0 && S_ISLNK(st.st_mode));
	CHECK(access("/nonexistent-victim", F_OK) != 0);
	/* the private folder is gone once its last file is committed */
	CHECK(stat(parent, &st) != 0);
	unlink(link);
}

/* A folder left by a killed run is removed, in every dated folder the
 * --out pattern names. */
static void test_stale_stage_in_dated_folders(void)
{
	char p[512], sub[300];
	pid_t child = fork();
	int st;
	FILE *f;

	if (child == 0)
		_exit(0);
	while (waitpid(child, &st, 0) < 0)
		;
	snprintf(sub, sizeof sub, "%s/r-2026-01-02", dir);
	CHECK(mkdir(sub, 0700) == 0);
	snprintf(p, sizeof p, "%s/.ddmreport-%ld.AbC123", sub, (long)child);
	CHECK(mkdir(p, 0700) == 0);
	snprintf(p, sizeof p, "%s/.ddmreport-%ld.AbC123/x.csv", sub,
		 (long)child);
	f = fopen(p, "w");
	fclose(f);
	snprintf(p, sizeof p, "%s/r-{date}", dir);
	outfile_clean_stale_all(p);
	snprintf(p, sizeof p, "%s/.ddmreport-%ld.AbC123", sub, (long)child);
	CHECK(access(p, F_OK) != 0);
	CHECK(access(sub, F_OK) == 0);
}

int main(void)
{
	diag_set_quiet(true);
	if (!mkdtemp(dir))
		return 70;
	test_commit_and_abort();
	test_file_too_large_is_io_error();
	test_stale_cleanup();
	test_private_folder();
	test_stale_stage_in_dated_folders();
	{
		char cmd[300];

		snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			return 70;
	}
	UNIT_END("outfile");
}
