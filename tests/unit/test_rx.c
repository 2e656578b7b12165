/*
 * test_rx.c - every production pattern (queries/formats/ *.fmt and
 * words.map: header, status, platform, model) meets 1 MB pumping subjects
 * in under 100 ms, or fails as an error (-1), never as a match that would
 * make a row "compliant".  The time is a safety bound, not a benchmark.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdlib.h>
#include <time.h>

#include "rx.h"
#include "unit.h"

#define SUBJECT (1024 * 1024)

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Fills s with repetitions of unit followed by tail (the classic pumping
 * shape: a long run that almost matches, then a mismatch). */
static void pump(char *s, const char *unit, const char *tail)
{
	size_t u = strlen(unit), t = strlen(tail), i = 0;

	while (i + u + t < SUBJECT) {
		memcpy(s + i, unit, u);
		i += u;
	}
	memcpy(s + i, tail, t);
	s[i + t] = '\0';
}

static int npatterns;

/* 100 ms per 1 MB subject; under a wrapper such as valgrind (DDM_WRAP,
 * set by `make valgrind`), which runs code some 50 times slower, the
 * bound scales with it. */
static double budget(void)
{
	const char *wrap = getenv("DDM_WRAP");

	return wrap && *wrap ? 0.1 * 50 : 0.1;
}

static void check_pattern(const char *pat, const char *where, char *subj)
{
	static const char *const units[][2] = {
		{"a", "!"},   {" ", "x"},  {"-", "\n"}, {"_a", "\xff"},
		{"up_", "!"}, {"1.", "x"}, {",", ""},	{"pass", "\xc0"},
	};
	rx *r;

	if (rx_compile(pat, true, where, &r) != DDM_OK) {
		CHECK_MSG(0, "%s: does not compile: %s", where, pat);
		return;
	}
	npatterns++;
	for (size_t k = 0; k < sizeof units / sizeof units[0]; k++) {
		double t0, dt;
		int m;

		pump(subj, units[k][0], units[k][1]);
		t0 = now();
		m = rx_match(r, subj, strlen(subj));
		dt = now() - t0;
		CHECK_MSG(dt < budget(), "%s: /%s/ took %.0f ms on %s...%s",
			  where, pat, dt * 1000, units[k][0], units[k][1]);
		/* A 1 MB run of junk is never a status word: no match, or a
		 * limit error the caller treats as a data error. */
		CHECK_MSG(m <= 0 || strncmp(where, "header", 6) == 0 ||
				  strstr(where, " model") != NULL,
			  "%s: /%s/ matched 1 MB of %s", where, pat,
			  units[k][0]);
	}
	rx_free(r);
}

static void scan_file(const char *path, char *subj)
{
	FILE *f = fopen(path, "r");
	char line[4096];
	int n = 0;

	CHECK_MSG(f != NULL, "cannot open %s", path);
	if (!f)
		return;
	while (fgets(line, sizeof line, f)) {
		char kw[16], pat[2048], where[600];

		n++;
		if (sscanf(line, "%15s %2047s", kw, pat) != 2)
			continue;
		if (strcmp(kw, "header") && strcmp(kw, "status") &&
		    strcmp(kw, "platform") && strcmp(kw, "model"))
			continue;
		snprintf(where, sizeof where, "%s %s:%d", kw, path, n);
		if (strcmp(kw, "model") == 0)
			strcat(where, " model");
		check_pattern(pat, where, subj);
	}
	fclose(f);
}

static void test_limit_is_an_error_not_a_match(void)
{
	char *s = malloc(SUBJECT + 1);
	rx *r;
	int m;

	pump(s, "a", "!");
	/* Catastrophic backtracking: must stop at the match limit. */
	CHECK(rx_compile("^(a+)+$", false, NULL, &r) == DDM_OK);
	m = rx_match(r, s, strlen(s));
	CHECK_INT_EQ(m < 0 || m == 0, 1);
	rx_free(r);
	/* Invalid UTF-8 in the subject is tolerated. */
	CHECK(rx_compile("^pass$", true, NULL, &r) == DDM_OK);
	CHECK_INT_EQ(rx_match(r, "\xff\xfepass", 6), 0);
	CHECK_INT_EQ(rx_match(r, "PASS", 4), 1);
	rx_free(r);
	free(s);
}

int main(void)
{
	char *subj = malloc(SUBJECT + 1);
	DIR *d = opendir("queries/formats");
	struct dirent *e;

	diag_set_quiet(true);
	CHECK(d != NULL);
	while (d && (e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);
		char path[512];

		if (n < 5 || (strcmp(e->d_name + n - 4, ".fmt") &&
			      strcmp(e->d_name + n - 4, ".map")))
			continue;
		snprintf(path, sizeof path, "queries/formats/%s", e->d_name);
		scan_file(path, subj);
	}
	if (d)
		closedir(d);
	CHECK_MSG(npatterns >= 20, "only %d production patterns found",
		  npatterns);
	test_limit_is_an_error_not_a_match();
	free(subj);
	UNIT_END("rx");
}
