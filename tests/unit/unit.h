/*
 * unit.h - a minimal unit-test harness for the pure modules.
 *
 * Each test program includes this once, calls the CHECK macros from its
 * test functions and ends main() with UNIT_END("suite").  Failures print
 * "FAIL file:line: message" to stdout and the run continues, so one run
 * shows every failure; the last line is "<suite>: N passed, N failed" and
 * the exit status is 1 when anything failed.  Header-only on purpose: the
 * counters are static to the one translation unit of each test program.
 */
#ifndef DDM_UNIT_H
#define DDM_UNIT_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int unit_passed;
static int unit_failed;

#define CHECK_MSG(cond, ...)                                        \
	do {                                                        \
		if (cond) {                                         \
			unit_passed++;                              \
		} else {                                            \
			unit_failed++;                              \
			printf("FAIL %s:%d: ", __FILE__, __LINE__); \
			printf(__VA_ARGS__);                        \
			putchar('\n');                              \
		}                                                   \
	} while (0)

#define CHECK(cond) CHECK_MSG((cond), "%s", #cond)

#define CHECK_INT_EQ(a, b)                                                  \
	do {                                                                \
		long long unit_a_ = (long long)(a);                         \
		long long unit_b_ = (long long)(b);                         \
		CHECK_MSG(unit_a_ == unit_b_, "%s == %s: %lld != %lld", #a, \
			  #b, unit_a_, unit_b_);                            \
	} while (0)

#define CHECK_STR_EQ(a, b)                                                   \
	do {                                                                 \
		const char *unit_a_ = (a);                                   \
		const char *unit_b_ = (b);                                   \
		CHECK_MSG(unit_a_ &&unit_b_ &&strcmp(unit_a_, unit_b_) == 0, \
			  "%s == %s: \"%s\" != \"%s\"", #a, #b,              \
			  unit_a_ ? unit_a_ : "(null)",                      \
			  unit_b_ ? unit_b_ : "(null)");                     \
	} while (0)

/* Compares n bytes; for values that may hold NUL bytes. */
#define CHECK_MEM_EQ(a, alen, b, blen)                                     \
	do {                                                               \
		size_t unit_al_ = (alen), unit_bl_ = (blen);               \
		CHECK_MSG(unit_al_ == unit_bl_ &&                          \
				  memcmp((a), (b), unit_al_) == 0,         \
			  "%s == %s (lengths %zu, %zu)", #a, #b, unit_al_, \
			  unit_bl_);                                       \
	} while (0)

#define UNIT_END(suite)                                                    \
	do {                                                               \
		printf("%s: %d passed, %d failed\n", (suite), unit_passed, \
		       unit_failed);                                       \
		return unit_failed ? 1 : 0;                                \
	} while (0)

#endif
