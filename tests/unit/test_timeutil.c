/*
 * test_timeutil.c - unit tests for timeutil.c: timestamp parsing and
 * formatting, durations, zone validation, and wall-time to UTC conversion
 * across DST gaps and overlaps, independent of the process TZ.
 */
#define _DEFAULT_SOURCE

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "timeutil.h"
#include "unit.h"

static bool parse(const char *s, int64_t *t, bool *zone)
{
	return ts_parse(s, strlen(s), t, zone);
}

/* Formats t as UTC into a static buffer, for comparisons. */
static const char *utc(int64_t t)
{
	static char b[32];

	ts_format_utc(t, b);
	return b;
}

static int64_t wall_of(const char *s)
{
	int64_t w = -1;

	if (!ts_parse_wall(s, strlen(s), &w))
		printf("(cannot parse wall %s)\n", s);
	return w;
}

static void test_ts_parse(void)
{
	int64_t t = 0;
	bool z = false;

	CHECK(parse("2023-01-18T21:46:26.879113Z", &t, &z));
	CHECK_INT_EQ(t, 1674078386);
	CHECK(z);
	CHECK(parse("2022-12-13 20:21:38.903789+00:00", &t, &z));
	CHECK_STR_EQ(utc(t), "2022-12-13T20:21:38Z");
	CHECK(z);
	CHECK(parse("2021-05-11T19:45:19Z", &t, &z));
	CHECK_INT_EQ(t, 1620762319);
	CHECK(parse("2021-05-11t19:45:19z", &t, &z));
	CHECK_INT_EQ(t, 1620762319);

	CHECK(parse("2024-06-01T12:00:00+05:30", &t, &z));
	CHECK_STR_EQ(utc(t), "2024-06-01T06:30:00Z");
	CHECK(parse("2024-06-01T12:00:00-0800", &t, &z));
	CHECK_STR_EQ(utc(t), "2024-06-01T20:00:00Z");
	CHECK(parse("2024-06-01T12:00:00+09", &t, &z));
	CHECK_STR_EQ(utc(t), "2024-06-01T03:00:00Z");
	CHECK(parse("2024-06-01T12:00:00,5-00:00", &t, &z));
	CHECK_STR_EQ(utc(t), "2024-06-01T12:00:00Z");

	z = true;
	CHECK(parse("2024-06-01T12:34:56", &t, &z));
	CHECK(!z);
	CHECK_STR_EQ(utc(t), "2024-06-01T12:34:56Z");
	CHECK(parse("2024-06-01 12:34", &t, &z));
	CHECK_STR_EQ(utc(t), "2024-06-01T12:34:00Z");
	z = true;
	CHECK(parse("2024-06-01", &t, &z));
	CHECK(!z);
	CHECK_STR_EQ(utc(t), "2024-06-01T00:00:00Z");
	CHECK(parse("  2024-06-01  ", &t, &z));
	CHECK_STR_EQ(utc(t), "2024-06-01T00:00:00Z");
	CHECK(parse(" 2024-06-01T01:02:03Z ", &t, &z));
	CHECK_STR_EQ(utc(t), "2024-06-01T01:02:03Z");
	CHECK(parse("2024-02-29T00:00:00Z", &t, &z));
	CHECK_STR_EQ(utc(t), "2024-02-29T00:00:00Z");
	CHECK(parse("2000-02-29", &t, &z));
	CHECK(parse("2016-12-31T23:59:60Z", &t, &z));
	CHECK_STR_EQ(utc(t), "2016-12-31T23:59:59Z");
	CHECK(parse("1970-01-01T00:00:00Z", &t, &z));
	CHECK_INT_EQ(t, 0);
	CHECK(parse("1969-12-31T23:59:59Z", &t, &z));
	CHECK_INT_EQ(t, -1);
	/* Only len bytes are read. */
	CHECK(ts_parse("2024-06-01T00:00:00Zjunk", 20, &t, &z));
	CHECK(z);

	CHECK(!parse("2023-02-29", &t, &z));
	CHECK(!parse("2024-02-30", &t, &z));
	CHECK(!parse("1900-02-29", &t, &z));
	CHECK(!parse("2024-13-01", &t, &z));
	CHECK(!parse("2024-00-10", &t, &z));
	CHECK(!parse("2024-04-31", &t, &z));
	CHECK(!parse("2024-01-00", &t, &z));
	CHECK(!parse("2024-06-01T24:00:00Z", &t, &z));
	CHECK(!parse("2024-06-01T23:60:00Z", &t, &z));
	CHECK(!parse("2024-06-01T23:59:61Z", &t, &z));
	CHECK(!parse("2024-06-01T12:00:00Zjunk", &t, &z));
	CHECK(!parse("2024-06-01T12:00:00 junk", &t, &z));
	CHECK(!parse("2024-06-01T12:00:00+5", &t, &z));
	CHECK(!parse("2024-06-01T12:00:00+05:3", &t, &z));
	CHECK(!parse("2024-06-01T12:00:00+24:00", &t, &z));
	CHECK(!parse("2024-06-01T12:00:00.Z", &t, &z));
	CHECK(!parse("2024-06-01T12", &t, &z));
	CHECK(!parse("2024-06-01T", &t, &z));
	CHECK(!parse("2024-6-01", &t, &z));
	CHECK(!parse("24-06-01", &t, &z));
	CHECK(!parse("", &t, &z));
	CHECK(!parse("   ", &t, &z));
	CHECK(!parse("yesterday", &t, &z));
}

static void test_ts_wall(void)
{
	int64_t w = 0;
	char b[32];

	CHECK(ts_parse_wall("2026-11-24T17:00:00", 19, &w));
	ts_format_wall(w, b);
	CHECK_STR_EQ(b, "2026-11-24T17:00:00");
	CHECK(!ts_parse_wall("2026-11-24T17:00:00Z", 20, &w));
	CHECK(!ts_parse_wall("2026-11-24 17:00:00", 19, &w));
	CHECK(!ts_parse_wall("2026-11-24T17:00", 16, &w));
	CHECK(!ts_parse_wall("2026-11-24T17:00:00.5", 21, &w));
	CHECK(!ts_parse_wall(" 2026-11-24T17:00:00", 20, &w));
	CHECK(!ts_parse_wall("2026-02-29T17:00:00", 19, &w));
	CHECK(!ts_parse_wall("2026-11-24T24:00:00", 19, &w));
	CHECK(!ts_parse_wall("2026-11-24t17:00:00", 19, &w));
	CHECK(!ts_parse_wall("", 0, &w));
}

static void test_format(void)
{
	static const char *const samples[] = {
		"1970-01-01T00:00:00Z", "2000-02-29T23:59:59Z",
		"2038-01-19T03:14:08Z", "2099-12-31T00:00:01Z",
		"1901-01-01T00:00:00Z", "0001-01-01T00:00:00Z",
		"9999-12-31T23:59:59Z"};
	char b[32];
	int64_t t;
	bool z;
	size_t i;

	for (i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		CHECK(parse(samples[i], &t, &z));
		ts_format_utc(t, b);
		CHECK_STR_EQ(b, samples[i]);
		CHECK_INT_EQ(strlen(b), 20);
	}
	ts_format_utc(1674078386, b);
	CHECK_STR_EQ(b, "2023-01-18T21:46:26Z");
	ts_format_wall(1674078386, b);
	CHECK_STR_EQ(b, "2023-01-18T21:46:26");
	/* Round trip for many instants over four centuries. */
	for (t = -2208988800; t < 10000000000; t += 7777777) {
		int64_t back = 0;

		ts_format_utc(t, b);
		if (!parse(b, &back, &z) || back != t) {
			CHECK_MSG(0, "round trip of %lld gave %s", (long long)t,
				  b);
			break;
		}
	}
	CHECK(t >= 10000000000);
	/* Past 0000-9999 (a deadline that a device's zone pushes out of
	 * them): the signed expanded year, never a year-0000 sentinel that
	 * reads as long past. */
	ts_format_utc(253402300800, b);
	CHECK_STR_EQ(b, "+10000-01-01T00:00:00Z");
	ts_format_utc(253402300800 + 7 * 3600, b);
	CHECK_STR_EQ(b, "+10000-01-01T07:00:00Z");
	ts_format_utc(-62167219200, b);
	CHECK_STR_EQ(b, "0000-01-01T00:00:00Z");
	ts_format_utc(-62167219201, b);
	CHECK_STR_EQ(b, "-0001-12-31T23:59:59Z");
	ts_format_wall(253402300800, b);
	CHECK_STR_EQ(b, "+10000-01-01T00:00:00");
	/* the ends of int64_t: a year of 12 digits, inside the buffer */
	ts_format_utc(INT64_MAX, b);
	CHECK_STR_EQ(b, "+292277026596-12-04T15:30:07Z");
	ts_format_utc(INT64_MIN, b);
	CHECK_STR_EQ(b, "-292277022657-01-27T08:29:52Z");
}

static bool dur(const char *s, int64_t *out)
{
	return duration_parse(s, out);
}

static void test_duration(void)
{
	int64_t d = -7;

	CHECK(dur("24h", &d));
	CHECK_INT_EQ(d, 86400);
	CHECK(dur("7d", &d));
	CHECK_INT_EQ(d, 604800);
	CHECK(dur("1d12h", &d));
	CHECK_INT_EQ(d, 129600);
	CHECK(dur("90m", &d));
	CHECK_INT_EQ(d, 5400);
	CHECK(dur("30s", &d));
	CHECK_INT_EQ(d, 30);
	CHECK(dur("2w", &d));
	CHECK_INT_EQ(d, 1209600);
	CHECK(dur("3600", &d));
	CHECK_INT_EQ(d, 3600);
	CHECK(dur("0", &d));
	CHECK_INT_EQ(d, 0);
	CHECK(dur("1w2d3h4m5s", &d));
	CHECK_INT_EQ(d, 604800 + 2 * 86400 + 3 * 3600 + 4 * 60 + 5);
	CHECK(dur("9223372036854775807", &d));
	CHECK_INT_EQ(d, INT64_MAX);
	CHECK(dur("9223372036854775807s", &d));
	CHECK(dur("15250284452471w", &d)); /* the largest that fits */
	CHECK_INT_EQ(d, 15250284452471LL * 604800);

	d = 42;
	CHECK(!dur("", &d));
	CHECK(!dur("h", &d));
	CHECK(!dur("5x", &d));
	CHECK(!dur("-1h", &d));
	CHECK(!dur("+1h", &d));
	CHECK(!dur("1h30", &d));
	CHECK(!dur("1 h", &d));
	CHECK(!dur(" 1h", &d));
	CHECK(!dur("1h ", &d));
	CHECK(!dur("1.5h", &d));
	CHECK(!dur("1H", &d));
	CHECK(!dur("9223372036854775808", &d));
	CHECK(!dur("99999999999999999999s", &d));
	CHECK(!dur("9223372036854775807m", &d));
	CHECK(!dur("15250284452472w", &d));
	CHECK(!dur("9223372036854775807s1s", &d));
	CHECK_INT_EQ(d, 42);
}

static void test_tz_valid(void)
{
	CHECK(tz_is_valid("America/Los_Angeles"));
	CHECK(tz_is_valid("Asia/Tokyo"));
	CHECK(tz_is_valid("UTC"));
	CHECK(tz_is_valid("Etc/GMT+12"));
	CHECK(!tz_is_valid("Nowhere/City"));
	CHECK(!tz_is_valid("../etc/passwd"));
	CHECK(!tz_is_valid("America/../Asia/Tokyo"));
	CHECK(!tz_is_valid("/etc/localtime"));
	CHECK(!tz_is_valid("/usr/share/zoneinfo/Asia/Tokyo"));
	CHECK(!tz_is_valid(""));
	CHECK(!tz_is_valid(NULL));
	CHECK(!tz_is_valid("America"));	 /* a directory */
	CHECK(!tz_is_valid("zone.tab")); /* not TZif */
	CHECK(!tz_is_valid("Asia/Tokyo\n"));
	CHECK(!tz_is_valid("Asia/\x1bTokyo"));
	CHECK(!tz_is_valid("EST5EDT,M3.2.0,M11.1.0")); /* POSIX rule, no file */
	/* TZif files that are no device's zone: leap-second clocks (27 s
	 * off) and the server's own zone */
	CHECK(!tz_is_valid("right/America/New_York"));
	CHECK(!tz_is_valid("localtime"));
	CHECK(tz_is_valid("posix/America/New_York")); /* the same zone */
	/* Twice, to exercise the cached answer in both directions. */
	CHECK(!tz_is_valid("Nowhere/City"));
	CHECK(tz_is_valid("Asia/Tokyo"));
	CHECK(tz_is_valid("Asia/Tokyo"));
	/* TZDIR is honoured, and a change of it is noticed. */
	setenv("TZDIR", "/nonexistent-zoneinfo", 1);
	CHECK(!tz_is_valid("Asia/Tokyo"));
	CHECK(tz_is_valid("UTC"));
	unsetenv("TZDIR");
	CHECK(tz_is_valid("Asia/Tokyo"));
}

/* Copies the system's zone file of name into dir (its folder made). */
static int copy_zone(const char *dir, const char *name)
{
	char cmd[512];

	snprintf(cmd, sizeof cmd,
		 "mkdir -p '%s/America' && cp /usr/share/zoneinfo/%s '%s/%s'",
		 dir, name, dir, name);
	return system(cmd);
}

/* Two zones whose names hash to one slot of the answers kept are both
 * kept: a fleet alternating between them opened a zone file on about
 * every other device.  Checked by removing the files after the first
 * answers: remembered answers need no file. */
static void test_tz_valid_remembers_colliding_zones(void)
{
	char dir[] = "/tmp/ddm-tzdir-XXXXXX";
	char cmd[600];

	CHECK(mkdtemp(dir) != NULL);
	CHECK_INT_EQ(copy_zone(dir, "America/Chicago"), 0);
	CHECK_INT_EQ(copy_zone(dir, "America/Los_Angeles"), 0);
	setenv("TZDIR", dir, 1);
	CHECK(tz_is_valid("America/Chicago"));
	CHECK(tz_is_valid("America/Los_Angeles"));
	snprintf(cmd, sizeof cmd, "rm -r '%s'", dir);
	CHECK_INT_EQ(system(cmd), 0);
	for (int i = 0; i < 3; i++) {
		CHECK(tz_is_valid("America/Chicago"));
		CHECK(tz_is_valid("America/Los_Angeles"));
	}
	unsetenv("TZDIR");
}

/* Converts and returns the instant as text; flags go to *f. */
static const char *conv(const char *zone, const char *wall, int *f)
{
	int64_t t = 0;

	*f = -1;
	if (!tz_wall_to_utc(zone, wall_of(wall), &t, f))
		return "(false)";
	return utc(t);
}

static void test_tz_convert(void)
{
	int64_t tokyo = 0, la = 0, t = 0;
	int f = -1, off = 1;

	CHECK(tz_wall_to_utc("Asia/Tokyo", wall_of("2026-11-24T17:00:00"),
			     &tokyo, &f));
	CHECK_STR_EQ(utc(tokyo), "2026-11-24T08:00:00Z");
	CHECK_INT_EQ(f, 0);
	CHECK(tz_wall_to_utc("America/Los_Angeles",
			     wall_of("2026-11-24T17:00:00"), &la, &f));
	CHECK_STR_EQ(utc(la), "2026-11-25T01:00:00Z");
	CHECK_INT_EQ(f, 0);
	CHECK_INT_EQ(la - tokyo, 17 * 3600);

	CHECK_STR_EQ(conv("America/New_York", "2026-03-08T02:30:00", &f),
		     "2026-03-08T07:30:00Z");
	CHECK_INT_EQ(f, TZ_CONV_GAP);
	CHECK_STR_EQ(conv("America/New_York", "2026-03-08T01:59:59", &f),
		     "2026-03-08T06:59:59Z");
	CHECK_INT_EQ(f, 0);
	CHECK_STR_EQ(conv("America/New_York", "2026-03-08T03:00:00", &f),
		     "2026-03-08T07:00:00Z");
	CHECK_INT_EQ(f, 0);
	CHECK_STR_EQ(conv("America/New_York", "2026-11-01T01:30:00", &f),
		     "2026-11-01T05:30:00Z");
	CHECK_INT_EQ(f, TZ_CONV_AMBIGUOUS);
	CHECK_STR_EQ(conv("America/New_York", "2026-11-01T02:00:00", &f),
		     "2026-11-01T07:00:00Z");
	CHECK_INT_EQ(f, 0);
	CHECK_STR_EQ(conv("America/New_York", "2026-07-04T12:00:00", &f),
		     "2026-07-04T16:00:00Z");
	CHECK_INT_EQ(f, 0);

	CHECK_STR_EQ(conv("Europe/Berlin", "2026-03-29T02:30:00", &f),
		     "2026-03-29T01:30:00Z");
	CHECK_INT_EQ(f, TZ_CONV_GAP);
	CHECK_STR_EQ(conv("Europe/Berlin", "2026-10-25T02:30:00", &f),
		     "2026-10-25T00:30:00Z");
	CHECK_INT_EQ(f, TZ_CONV_AMBIGUOUS);

	/* Lord Howe moves by 30 minutes: 02:00 -> 02:30 on 2026-10-04. */
	CHECK_STR_EQ(conv("Australia/Lord_Howe", "2026-10-04T02:15:00", &f),
		     "2026-10-03T15:45:00Z");
	CHECK_INT_EQ(f, TZ_CONV_GAP);
	CHECK_STR_EQ(conv("Australia/Lord_Howe", "2026-10-04T02:30:00", &f),
		     "2026-10-03T15:30:00Z");
	CHECK_INT_EQ(f, 0);
	CHECK_STR_EQ(conv("Australia/Lord_Howe", "2026-04-05T01:45:00", &f),
		     "2026-04-04T14:45:00Z");
	CHECK_INT_EQ(f, TZ_CONV_AMBIGUOUS);

	CHECK_STR_EQ(conv("Pacific/Kiritimati", "2026-11-24T17:00:00", &f),
		     "2026-11-24T03:00:00Z");
	CHECK_STR_EQ(conv("Etc/GMT+12", "2026-11-24T17:00:00", &f),
		     "2026-11-25T05:00:00Z");
	CHECK_STR_EQ(conv("UTC", "2026-11-24T17:00:00", &f),
		     "2026-11-24T17:00:00Z");
	CHECK_INT_EQ(f, 0);

	CHECK(tz_offset_at("Pacific/Kiritimati", la, &off));
	CHECK_INT_EQ(off, 14 * 3600);
	CHECK(tz_offset_at("Etc/GMT+12", la, &off));
	CHECK_INT_EQ(off, -12 * 3600);
	CHECK(tz_offset_at("Asia/Kolkata", la, &off));
	CHECK_INT_EQ(off, 5 * 3600 + 1800);
	CHECK(tz_offset_at("UTC", la, &off));
	CHECK_INT_EQ(off, 0);
	CHECK(tz_offset_at("America/New_York", wall_of("2026-07-01T00:00:00"),
			   &off));
	CHECK_INT_EQ(off, -4 * 3600);

	off = 77;
	t = 99;
	CHECK(!tz_wall_to_utc("Nowhere/City", wall_of("2026-11-24T17:00:00"),
			      &t, &f));
	CHECK(!tz_wall_to_utc("../etc/passwd", 0, &t, NULL));
	CHECK(!tz_offset_at("Nowhere/City", 0, &off));
	CHECK_INT_EQ(t, 99);
	CHECK_INT_EQ(off, 77);
	/* flags may be NULL. */
	CHECK(tz_wall_to_utc("Asia/Tokyo", wall_of("2026-11-24T17:00:00"), &t,
			     NULL));
	CHECK_INT_EQ(t, tokyo);
}

static void test_memo(void)
{
	int64_t w = wall_of("2026-11-01T01:30:00"), a, b;
	int fa, fb, i, bad = 0;

	for (i = 0; i < 2000; i++) {
		/* Alternate zones, and sweep walls so slots get overwritten. */
		int64_t ww = w + (int64_t)(i % 50) * 1800;
		int64_t ny = 0, be = 0;

		if (!tz_wall_to_utc("America/New_York", w, &a, &fa) ||
		    !tz_wall_to_utc("Europe/Berlin", w, &b, &fb) ||
		    a != w + 4 * 3600 || fa != TZ_CONV_AMBIGUOUS ||
		    b != w - 3600 || fb != 0)
			bad++;
		if (!tz_wall_to_utc("America/New_York", ww, &ny, NULL) ||
		    !tz_wall_to_utc("Europe/Berlin", ww, &be, NULL))
			bad++;
		/* Berlin is always 5 or 6 hours ahead of New York here. */
		if (ny - be != 5 * 3600 && ny - be != 6 * 3600)
			bad++;
	}
	CHECK_INT_EQ(bad, 0);
}

/* The answers must not depend on the zone the process was started in or on
 * later changes to TZ by other code. */
static void test_process_tz(void)
{
	static const char *const envs[] = {"Asia/Kolkata", ":Pacific/Chatham",
					   "America/New_York", "UTC0", NULL};
	size_t i;
	int f;

	for (i = 0; i < sizeof(envs) / sizeof(envs[0]); i++) {
		if (envs[i])
			setenv("TZ", envs[i], 1);
		else
			unsetenv("TZ");
		tzset();
		CHECK_STR_EQ(conv("Asia/Tokyo", "2026-11-24T17:00:00", &f),
			     "2026-11-24T08:00:00Z");
		CHECK_STR_EQ(
			conv("America/New_York", "2026-03-08T02:30:00", &f),
			"2026-03-08T07:30:00Z");
		CHECK_INT_EQ(f, TZ_CONV_GAP);
		/* A wall time not memoised yet, in a zone just displaced. */
		setenv("TZ", envs[i] ? envs[i] : "UTC", 1);
		tzset();
		CHECK_STR_EQ(conv("America/New_York",
				  i == 0 ? "2026-01-15T09:00:00"
					 : "2026-01-16T09:00:00",
				  &f),
			     i == 0 ? "2026-01-15T14:00:00Z"
				    : "2026-01-16T14:00:00Z");
	}
	setenv("TZ", "Asia/Kolkata", 1);
	tzset();
	{
		int64_t t;
		bool z;

		CHECK(parse("2024-06-01T12:00:00", &t, &z));
		CHECK_STR_EQ(utc(t), "2024-06-01T12:00:00Z");
	}
}

int main(void)
{
	test_ts_parse();
	test_ts_wall();
	test_format();
	test_duration();
	test_tz_valid();
	test_tz_valid_remembers_colliding_zones();
	test_tz_convert();
	test_memo();
	test_process_tz();
	UNIT_END("timeutil");
}
