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

int main(void)
{
	diag_set_quiet(true);
	if (!mkdtemp(dir))
		return 70;
	test_commit_and_abort();
	test_file_too_large_is_io_error();
	test_stale_cleanup();
	{
		char cmd[300];

		snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			return 70;
	}
	UNIT_END("outfile");
}
