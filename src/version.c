/*
 * version.c - parse and compare Apple OS version strings.
 *
 * Sits under the evaluate stage: the SQL function ddm_version_cmp() calls
 * version_compare_str() for every device/target pair, so this is pure code
 * with no allocation.  The grammar is deliberately narrow (see version.h):
 * a string we cannot read is reported as unparseable instead of being
 * guessed at, because a wrong guess would decide compliance.  The extra
 * (RSR) version compares as "" < "a" < "b" < ... < "z" < "aa", i.e. by
 * length first, then alphabetically.
 */
#include "version.h"

#include <string.h>

#define VERSION_MAX_DIGITS 9
#define VERSION_MAX_EXTRA 7
#define VERSION_MAX_BUILD 32

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_lower(char c)
{
	return c >= 'a' && c <= 'z';
}

static bool is_alnum(char c)
{
	return is_digit(c) || is_lower(c) || (c >= 'A' && c <= 'Z');
}

/* Skips an optional product word ("macOS ", "iOS ", "iPadOS "). */
static size_t skip_product(const char *s, size_t len, size_t i)
{
	static const char *const words[] = {"macOS ", "iOS ", "iPadOS "};
	size_t k, n;

	for (k = 0; k < sizeof(words) / sizeof(words[0]); k++) {
		n = strlen(words[k]);
		if (len - i >= n && memcmp(s + i, words[k], n) == 0)
			return i + n;
	}
	return i;
}

/* Length of an extra version, bounded by its array in case a caller built
 * the struct by hand without a terminator. */
static size_t extra_len(const version *v)
{
	size_t n = 0;

	while (n < sizeof(v->extra) && v->extra[n])
		n++;
	return n;
}

static size_t skip_spaces(const char *s, size_t len, size_t i)
{
	while (i < len && s[i] == ' ')
		i++;
	return i;
}

/*
 * Reads a run of 1..VERSION_MAX_EXTRA lowercase letters at s[i] ending at
 * stop (or anywhere when stop is 0); returns how many, 0 when not one.
 */
static size_t letters_at(const char *s, size_t len, size_t i, char stop)
{
	size_t n = 0;

	while (i + n < len && is_lower(s[i + n]))
		n++;
	if (n == 0 || n > VERSION_MAX_EXTRA)
		return 0;
	if (stop && (i + n >= len || s[i + n] != stop))
		return 0;
	return n;
}

bool version_parse(const char *s, size_t len, version *out)
{
	version v;
	size_t i, n, j;
	uint32_t val;

	if (!s)
		return false;
	memset(&v, 0, sizeof(v));
	i = skip_spaces(s, len, 0);
	i = skip_product(s, len, i);

	for (;;) {
		if (v.ncomp == VERSION_MAX_COMPONENTS)
			return false;
		val = 0;
		n = 0;
		/* Apple never writes a component with a leading zero, nor one
		 * of four digits after the first: those are a spreadsheet's
		 * date ("26.1" saved back as "26.01.2026", "18.7.2" as
		 * "18.07.2002"), which would compare as a newer version. */
		if (i + 1 < len && s[i] == '0' && is_digit(s[i + 1]))
			return false;
		while (i < len && is_digit(s[i])) {
			if (++n > VERSION_MAX_DIGITS)
				return false;
			val = val * 10 + (uint32_t)(s[i] - '0');
			i++;
		}
		if (n == 0 || (v.ncomp > 0 && n > 3))
			return false;
		v.comp[v.ncomp++] = val;
		if (i < len && s[i] == '.') {
			i++;
			continue;
		}
		break;
	}

	/* Extra version: bare, after spaces, or in parentheses after spaces. */
	n = letters_at(s, len, i, 0);
	if (n) {
		memcpy(v.extra, s + i, n);
		i += n;
	} else {
		j = skip_spaces(s, len, i);
		if (j > i && (n = letters_at(s, len, j, 0)) != 0) {
			memcpy(v.extra, s + j, n);
			i = j + n;
		} else if (j < len && s[j] == '(' &&
			   (n = letters_at(s, len, j + 1, ')')) != 0) {
			memcpy(v.extra, s + j + 1, n);
			i = j + 1 + n + 1;
		}
	}

	/* Optional build in parentheses, ignored. */
	j = skip_spaces(s, len, i);
	if (j < len && s[j] == '(') {
		n = 0;
		j++;
		while (j + n < len && is_alnum(s[j + n]))
			n++;
		if (n == 0 || n > VERSION_MAX_BUILD || j + n >= len ||
		    s[j + n] != ')')
			return false;
		i = j + n + 1;
	}

	i = skip_spaces(s, len, i);
	if (i != len)
		return false;
	if (out)
		*out = v;
	return true;
}

int version_compare(const version *a, const version *b)
{
	size_t la, lb;
	int k, c;

	for (k = 0; k < VERSION_MAX_COMPONENTS; k++) {
		uint32_t x = k < a->ncomp ? a->comp[k] : 0;
		uint32_t y = k < b->ncomp ? b->comp[k] : 0;

		if (x != y)
			return x < y ? -1 : 1;
	}
	la = extra_len(a);
	lb = extra_len(b);
	if (la != lb)
		return la < lb ? -1 : 1;
	c = memcmp(a->extra, b->extra, la);
	return (c > 0) - (c < 0);
}

bool version_compare_str(const char *a, const char *b, int *result)
{
	version va, vb;

	if (!a || !b)
		return false;
	if (!version_parse(a, strlen(a), &va) ||
	    !version_parse(b, strlen(b), &vb))
		return false;
	*result = version_compare(&va, &vb);
	return true;
}

typedef struct build {
	uint32_t major, number;
	char train;
	char letters[4];
} apple_build;

static bool build_parse(const char *s, apple_build *b)
{
	size_t i = 0, n;

	memset(b, 0, sizeof *b);
	while (s[i] == ' ')
		i++;
	for (n = 0; is_digit(s[i]) && n < 3; n++, i++)
		b->major = b->major * 10 + (uint32_t)(s[i] - '0');
	if (n == 0 || s[i] < 'A' || s[i] > 'Z')
		return false;
	b->train = s[i++];
	for (n = 0; is_digit(s[i]) && n < 9; n++, i++)
		b->number = b->number * 10 + (uint32_t)(s[i] - '0');
	if (n == 0)
		return false;
	for (n = 0; s[i] >= 'a' && s[i] <= 'z' && n < 3; n++)
		b->letters[n] = s[i++];
	while (s[i] == ' ')
		i++;
	return s[i] == '\0';
}

/* A seed (beta) build: a number of 5000..5999 with letters ("25C5031i",
 * "20A5303i", "23A5276g").  Apple numbers the seeds of a release from
 * 5000 and its final build below that ("25C56"), so numerically a seed
 * reads as newer than the release that follows it. */
static bool build_is_seed(const apple_build *b)
{
	return b->letters[0] && b->number >= 5000 && b->number <= 5999;
}

static int build_compare(const apple_build *x, const apple_build *y)
{
	int c;

	if (x->major != y->major)
		return x->major < y->major ? -1 : 1;
	if (x->train != y->train)
		return x->train < y->train ? -1 : 1;
	/* the seeds of a train come before its release and what follows */
	if (build_is_seed(x) != build_is_seed(y))
		return build_is_seed(x) ? -1 : 1;
	if (x->number != y->number)
		return x->number < y->number ? -1 : 1;
	c = strcmp(x->letters, y->letters);
	return (c > 0) - (c < 0);
}

bool build_compare_str(const char *a, const char *b, int *result)
{
	apple_build x, y;

	if (!a || !b || !build_parse(a, &x) || !build_parse(b, &y))
		return false;
	*result = build_compare(&x, &y);
	return true;
}

int version_meets(const char *os, const char *os_build, const char *tov,
		  const char *tbv)
{
	version vo, vt, ro, rt;
	apple_build bt, bo;

	if (!os || !tov || !version_parse(os, strlen(os), &vo) ||
	    !version_parse(tov, strlen(tov), &vt))
		return -1;
	if (version_compare(&vo, &vt) < 0)
		return 0;
	if (!tbv || !build_parse(tbv, &bt) || !bt.letters[0])
		return 1;
	/* A supplemental target build: a newer release meets it whatever
	 * its build (26.3.2 is 25D2140, after 26.3.1 (a)'s 25D771280a);
	 * on the target's own release the build decides. */
	ro = vo;
	rt = vt;
	ro.extra[0] = rt.extra[0] = '\0';
	if (version_compare(&ro, &rt) > 0)
		return 1;
	/* A device on an RSR/BSI whose build has no letter gave its base
	 * build (device.operating-system.build-version: 25D2128 beside the
	 * extra (a); the supplemental build, 25D771280a, is another item):
	 * its supplemental build is unknown. */
	if (os_build && build_parse(os_build, &bo) &&
	    !(vo.extra[0] && !bo.letters[0])) {
		/* A release's builds share its major number and train
		 * (26.3.1 25D2128, 26.3.1 (a) 25D771280a): a target build
		 * of another train is not of the target version, and then
		 * Apple's schema says the version takes precedence. */
		if (bo.major != bt.major || bo.train != bt.train)
			return 1;
		return build_compare(&bo, &bt) >= 0;
	}
	/* the build unknown: only an extra version the target names */
	return vt.extra[0] != '\0';
}
