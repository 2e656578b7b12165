/*
 * version.h - Apple OS version numbers: parse and compare.
 *
 * Compliance is decided by comparing versions numerically per component
 * ("14.10" > "14.9", "14" == "14.0"); a Rapid Security Response adds an
 * extra version spelt "a" or "(a)" ("13.3.1 (a)" > "13.3.1").  Pure code,
 * no allocation; used by the evaluate stage as the SQL function
 * ddm_version_cmp().
 */
#ifndef DDM_VERSION_H
#define DDM_VERSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VERSION_MAX_COMPONENTS 6

typedef struct version {
	uint32_t comp
		[VERSION_MAX_COMPONENTS]; /* numeric components, missing = 0 */
	int ncomp;			  /* how many were written (>= 1) */
	char extra[8];			  /* RSR letters ("a"), "" when none */
} version;

/*
 * Parses s[0..len).  Accepted: optional leading/trailing spaces, an optional
 * leading "macOS "/"iOS "/"iPadOS " word, 1..6 dot-separated decimal
 * components (each at most 9 digits, those after the first at most 3; no
 * leading zero: "26.01.2026" is a spreadsheet's date, not a version), then optionally an extra version of
 * 1..7 lowercase letters, bare ("13.3.1a"), after a space ("13.3.1 a") or in
 * parentheses ("13.3.1 (a)"), then optionally a parenthesised build such as
 * " (24B83)" which is ignored.  Anything else returns false.
 */
bool version_parse(const char *s, size_t len, version *out);

/* Returns <0, 0, >0 as a is older than, equal to, newer than b. */
int version_compare(const version *a, const version *b);

/*
 * Compares two NUL-terminated version strings.  Returns false (and leaves
 * *result alone) when either does not parse.
 */
bool version_compare_str(const char *a, const char *b, int *result);

/*
 * Apple build numbers: a major number, a train letter, a number and
 * optionally lowercase letters ("24B83", "20F770750d": a Rapid Security
 * Response's supplemental build; "23A5276g": a beta).  Compares the major
 * number, the train, then a seed (a beta: number 5000..5999 with letters)
 * before any other build of its train (25C5048a before the release 25C56),
 * then the number, then the letters (none before any), and returns false
 * (leaving *result alone) when either is not such a build.
 * version_meets uses the same order when a target names a supplemental
 * build: the target version alone does not tell 16.5.1 from 16.5.1 (c).
 */
bool build_compare_str(const char *a, const char *b, int *result);

/*
 * Whether a device at version os (os_build: its build, NULL when unknown)
 * meets a target version tov (tbv: the target's build, NULL when none):
 * 1 or 0, -1 when os is unknown or not a version (the caller decides).
 * Compliance is by version (os >= tov).  A target whose build carries a
 * supplemental letter (a Rapid Security Response or Background Security
 * Improvement: 20F770750d) is met by a newer release, and on the target's
 * own release by that build or a later one; with the device's build
 * unknown, only when the target version names the extra itself
 * ("16.5.1 (c)"): 16.5.1 (a) and (c) cannot be told apart otherwise (a
 * device at an extra version whose build has no letter gave its release's
 * base build, not its supplemental one: that counts as unknown too) (a
 * newer release can have a smaller build number: 26.3.2 is 25D2140,
 * 26.3.1 (a) 25D771280a, so builds are compared on one release).  A plain
 * target build is for seeding and does not count (Apple's schema: the
 * version takes precedence), nor does one of another major number or train
 * than the device's build on the target's release: it is not of the target
 * version, and the version takes precedence.
 */
int version_meets(const char *os, const char *os_build, const char *tov,
		  const char *tbv);

#endif
