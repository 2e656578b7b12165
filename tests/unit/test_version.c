/*
 * test_version.c - unit tests for version.c: Apple version parsing and
 * ordering, including RSR extras, builds, garbage, and a property test that
 * the order is antisymmetric and transitive.
 */
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "version.h"

/* Sign of the comparison of two strings; 99 when either does not parse. */
static int cmp(const char *a, const char *b)
{
	int r = 0;

	if (!version_compare_str(a, b, &r))
		return 99;
	return (r > 0) - (r < 0);
}

static bool parses(const char *s)
{
	version v;

	return version_parse(s, strlen(s), &v);
}

static void test_ordering(void)
{
	CHECK_INT_EQ(cmp("14.10", "14.9"), 1);
	CHECK_INT_EQ(cmp("14.9", "14.10"), -1);
	CHECK_INT_EQ(cmp("14", "14.0"), 0);
	CHECK_INT_EQ(cmp("14.0.0", "14"), 0);
	CHECK_INT_EQ(cmp("15.7.10", "15.7.9"), 1);
	CHECK_INT_EQ(cmp("15.7.9", "15.7.9"), 0);
	CHECK_INT_EQ(cmp("15.7", "15.7.1"), -1);
	CHECK_INT_EQ(cmp("26.1 (a)", "26.1"), 1);
	CHECK_INT_EQ(cmp("26.1", "26.1 (a)"), -1);
	CHECK_INT_EQ(cmp("26.1 (a)", "26.1.1"), -1);
	CHECK_INT_EQ(cmp("13.3.1 (a)", "13.3.1a"), 0);
	CHECK_INT_EQ(cmp("13.3.1a", "13.3.1 a"), 0);
	CHECK_INT_EQ(cmp("13.3.1 (a)", "13.3.1 a"), 0);
	CHECK_INT_EQ(cmp("13.3.1 (b)", "13.3.1 (a)"), 1);
	CHECK_INT_EQ(cmp("13.3.1 (c)", "13.3.1b"), 1);
	CHECK_INT_EQ(cmp("15.1 (24B83)", "15.1"), 0);
	CHECK_INT_EQ(cmp("13.3.1 (a) (22E772610a)", "13.3.1a"), 0);
	CHECK_INT_EQ(cmp("macOS 14.2", "14.2.0"), 0);
	CHECK_INT_EQ(cmp("iOS 17.1", "iPadOS 17.0.3"), 1);
	CHECK_INT_EQ(cmp("  14.1  ", "14.1"), 0);
	CHECK_INT_EQ(cmp("999999999", "99999999"), 1);
	CHECK_INT_EQ(cmp("10.15.7", "11"), -1);
}

static void test_parse_fields(void)
{
	version v;

	CHECK(version_parse("13.3.1 (a)", 10, &v));
	CHECK_INT_EQ(v.ncomp, 3);
	CHECK_INT_EQ(v.comp[0], 13);
	CHECK_INT_EQ(v.comp[1], 3);
	CHECK_INT_EQ(v.comp[2], 1);
	CHECK_STR_EQ(v.extra, "a");
	CHECK(version_parse("15.1 (24B83)", 12, &v));
	CHECK_INT_EQ(v.ncomp, 2);
	CHECK_STR_EQ(v.extra, "");
	/* Only len bytes are read. */
	CHECK(version_parse("14.2junk", 4, &v));
	CHECK_INT_EQ(v.comp[1], 2);
	CHECK(version_parse("1.2.3.4.5.6", 11, &v));
	CHECK_INT_EQ(v.ncomp, 6);
}

static void test_garbage(void)
{
	char big[301];
	int r = 12345;

	memset(big, '1', 300);
	big[300] = '\0';
	CHECK(!parses(""));
	CHECK(!parses("   "));
	CHECK(!parses("abc"));
	CHECK(!parses("\xE2\x88\x9E")); /* U+221E infinity */
	CHECK(!parses("1..2"));
	CHECK(!parses("1."));
	CHECK(!parses(".1"));
	CHECK(!parses("-1"));
	CHECK(!parses("+1"));
	CHECK(!parses(big));
	CHECK(!parses("1.2.3.4.5.6.7.8.9.10"));
	CHECK(!parses("1.2.3.4.5.6.7"));
	CHECK(!parses("1234567890")); /* 10 digits */
	CHECK(!parses("14.1 (A)x"));
	CHECK(!parses("14.1 (a"));
	CHECK(!parses("14.1 ()"));
	CHECK(!parses("14.1 abcdefgh"));
	CHECK(!parses("14.1A"));
	CHECK(!parses("14.1 beta 2"));
	CHECK(!parses("macOS"));
	CHECK(!parses("Windows 11"));
	CHECK(!parses("14.1\n"));
	/* a spreadsheet's dates, not versions */
	CHECK(!parses("26.01.2026"));
	CHECK(!parses("18.07.2002"));
	CHECK(!parses("26.1.2026"));
	CHECK(!parses("01.2"));
	CHECK(parses("10.0"));
	CHECK(parses("26.0.1"));
	CHECK(!version_compare_str("14.1", "x", &r));
	CHECK(!version_compare_str("x", "14.1", &r));
	CHECK_INT_EQ(r, 12345);
}

/* Deterministic generator so a failure can be reproduced. */
static unsigned long rng_state = 12345;

static unsigned rnd(unsigned n)
{
	rng_state = rng_state * 6364136223846793005ul + 1442695040888963407ul;
	return (unsigned)((rng_state >> 33) % n);
}

static void gen_version(char *out, size_t cap)
{
	static const char *const extras[] = {"",  "a",	  " a", " (a)",
					     "b", " (b)", "c",	"aa"};
	static const char *const tails[] = {"", " (24B83)", " (22E772610a)"};
	int n = 1 + (int)rnd(4), k;
	size_t len = 0;

	for (k = 0; k < n; k++)
		len += (size_t)snprintf(out + len, cap - len, "%s%u",
					k ? "." : "",
					rnd(4) == 0 ? 10 : rnd(3));
	snprintf(out + len, cap - len, "%s%s", extras[rnd(8)], tails[rnd(3)]);
}

#define NGEN 300

static void test_properties(void)
{
	static char vs[NGEN][48];
	static int sign[NGEN][NGEN];
	int i, j, k, bad_parse = 0, bad_anti = 0, bad_trans = 0, bad_refl = 0;

	for (i = 0; i < NGEN; i++) {
		gen_version(vs[i], sizeof(vs[i]));
		if (!parses(vs[i]))
			bad_parse++;
	}
	CHECK_INT_EQ(bad_parse, 0);
	for (i = 0; i < NGEN; i++)
		for (j = 0; j < NGEN; j++)
			sign[i][j] = cmp(vs[i], vs[j]);
	for (i = 0; i < NGEN; i++) {
		if (sign[i][i] != 0)
			bad_refl++;
		for (j = 0; j < NGEN; j++)
			if (sign[i][j] != -sign[j][i])
				bad_anti++;
	}
	for (i = 0; i < NGEN; i++)
		for (j = 0; j < NGEN; j++) {
			if (sign[i][j] > 0)
				continue;
			for (k = 0; k < NGEN; k++)
				if (sign[j][k] <= 0 &&
				    sign[i][k] > (sign[i][j] + sign[j][k] < 0
							  ? -1
							  : 0))
					bad_trans++;
		}
	CHECK_INT_EQ(bad_refl, 0);
	CHECK_INT_EQ(bad_anti, 0);
	CHECK_INT_EQ(bad_trans, 0);
}

/* Sign of the build comparison; 99 when either is not a build. */
static int bcmp_(const char *a, const char *b)
{
	int r = 0;

	if (!build_compare_str(a, b, &r))
		return 99;
	return r;
}

static void test_builds(void)
{
	/* iOS 16.5.1: 20F75, then RSR (a) 20F770750b, (c) 20F770750d */
	CHECK_INT_EQ(bcmp_("20F75", "20F770750d"), -1);
	CHECK_INT_EQ(bcmp_("20F770750b", "20F770750d"), -1);
	CHECK_INT_EQ(bcmp_("20F770750d", "20F770750d"), 0);
	CHECK_INT_EQ(bcmp_("20G75", "20F770750d"), 1);
	CHECK_INT_EQ(bcmp_("21A329", "20F770750d"), 1);
	CHECK_INT_EQ(bcmp_("22E772610a", "22E772610"), 1);
	CHECK_INT_EQ(bcmp_("9A1", "10A1"), -1);
	CHECK_INT_EQ(bcmp_(" 25B78 ", "25B78"), 0);
	CHECK_INT_EQ(bcmp_("", "25B78"), 99);
	CHECK_INT_EQ(bcmp_("25b78", "25B78"), 99);
	CHECK_INT_EQ(bcmp_("25B", "25B78"), 99);
	CHECK_INT_EQ(bcmp_("26.1", "25B78"), 99);
	CHECK_INT_EQ(bcmp_("25B78x1", "25B78"), 99);
	CHECK(!build_compare_str(NULL, "25B78", &(int){0}));
	/* seeds (betas) come before their release: 26.2 beta 25C5031i,
	 * beta 25C5048a, release 25C56; an RSR after both */
	CHECK_INT_EQ(bcmp_("25C5031i", "25C5048a"), -1);
	CHECK_INT_EQ(bcmp_("25C56", "25C5048a"), 1);
	CHECK_INT_EQ(bcmp_("25C5048a", "25C56"), -1);
	CHECK_INT_EQ(bcmp_("25C5048a", "25C771280a"), -1);
	CHECK_INT_EQ(bcmp_("25B78", "25C5031i"), -1);
}

static void test_meets(void)
{
	/* by version; a plain target build (seeding) does not count */
	CHECK_INT_EQ(version_meets("26.1", NULL, "26.1", NULL), 1);
	CHECK_INT_EQ(version_meets("26.0.1", "25A362", "26.1", NULL), 0);
	CHECK_INT_EQ(version_meets("26.1", "25B1", "26.1", "25B78"), 1);
	CHECK_INT_EQ(version_meets(NULL, "25B78", "26.1", NULL), -1);
	CHECK_INT_EQ(version_meets("x", NULL, "26.1", NULL), -1);
	/* an RSR target: 16.5.1 (c) is 20F770750d */
	CHECK_INT_EQ(version_meets("16.5.1", "20F75", "16.5.1", "20F770750d"),
		     0);
	CHECK_INT_EQ(version_meets("16.5.1 (a)", "20F770750b", "16.5.1",
				   "20F770750d"),
		     0);
	CHECK_INT_EQ(version_meets("16.5.1 (c)", "20F770750d", "16.5.1",
				   "20F770750d"),
		     1);
	CHECK_INT_EQ(version_meets("16.6", "20G75", "16.5.1", "20F770750d"), 1);
	/* a newer release with a smaller build number (SOFA's macOS feed:
	 * 26.3.1 (a) is 25D771280a, 26.3.2 is 25D2140) */
	CHECK_INT_EQ(version_meets("26.3.2", "25D2140", "26.3.1", "25D771280a"),
		     1);
	CHECK_INT_EQ(version_meets("26.3.1", "25D2128", "26.3.1", "25D771280a"),
		     0);
	CHECK_INT_EQ(version_meets("26.3.1 (a)", "25D771280a", "26.3.1",
				   "25D771280a"),
		     1);
	/* the target names the extra itself: the version can tell */
	CHECK_INT_EQ(
		version_meets("16.5.1 (c)", NULL, "16.5.1 (c)", "20F770750d"),
		1);
	CHECK_INT_EQ(
		version_meets("16.5.1 (a)", NULL, "16.5.1 (c)", "20F770750d"),
		0);
	/* the build unknown: only a newer release counts */
	CHECK_INT_EQ(version_meets("16.5.1 (c)", NULL, "16.5.1", "20F770750d"),
		     0);
	CHECK_INT_EQ(version_meets("16.5.2", NULL, "16.5.1", "20F770750d"), 1);
	CHECK_INT_EQ(version_meets("16.5", "20F66", "16.5.1", "20F770750d"), 0);
	/* a device at an extra with its base build (20E252 is 16.4.1's):
	 * its supplemental build is unknown, the target's extra decides */
	CHECK_INT_EQ(version_meets("16.4.1 (a)", "20E252", "16.4.1 (a)",
				   "20E772520a"),
		     1);
	CHECK_INT_EQ(
		version_meets("16.4.1 (a)", "20E252", "16.4.1", "20E772520a"),
		0);
	CHECK_INT_EQ(
		version_meets("16.4.1", "20E252", "16.4.1 (a)", "20E772520a"),
		0);
	/* a seed (beta) target build: the release of that version meets it,
	 * an earlier seed does not */
	CHECK_INT_EQ(version_meets("26.2", "25C56", "26.2", "25C5048a"), 1);
	CHECK_INT_EQ(version_meets("26.2", "25C5031i", "26.2", "25C5048a"), 0);
	CHECK_INT_EQ(version_meets("26.2", "25C5048a", "26.2", "25C5048a"), 1);
	/* a target build not of the target version (26.3.1 (a)'s build with
	 * TargetOSVersion 26.1): the version takes precedence */
	CHECK_INT_EQ(version_meets("26.1", "25B78", "26.1", "25D771280a"), 1);
	CHECK_INT_EQ(version_meets("26.0.1", "25A362", "26.1", "25D771280a"),
		     0);
	CHECK_INT_EQ(version_meets("26.1", "25B78", "26.1", "26B771280a"), 1);
}

int main(void)
{
	test_meets();
	test_builds();
	test_ordering();
	test_parse_fields();
	test_garbage();
	test_properties();
	UNIT_END("version");
}
