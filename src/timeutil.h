/*
 * timeutil.h - timestamps, durations and device-local deadlines.
 *
 * All instants are int64 seconds since the Unix epoch, UTC; fractions of a
 * second are truncated.  "Wall" times are local date-times with no zone,
 * held as the seconds they would be if read as UTC.  Converting a wall
 * time to an instant in an IANA zone follows one documented rule:
 *   - ambiguous (DST fall-back overlap): the earlier instant;
 *   - non-existent (spring-forward gap): moved forward by the gap, i.e. read
 *     with the offset in force before the transition.
 */
#ifndef DDM_TIMEUTIL_H
#define DDM_TIMEUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Parses an ISO 8601 / RFC 3339 timestamp from s[0..len):
 *   YYYY-MM-DD[(T|t| )HH:MM[:SS[(.|,)fraction]]][Z|z|(+|-)HH[:MM]|(+|-)HHMM]
 * with optional surrounding spaces.  A date alone means midnight.  Fields are
 * range-checked (month 1-12, day valid for the month incl. leap years,
 * hour 0-23, minute 0-59, second 0-60 where 60 is read as 59).
 * On success stores the instant in *out and whether a zone designator was
 * present in *had_zone (when absent, *out is the wall time read as UTC).
 */
bool ts_parse(const char *s, size_t len, int64_t *out, bool *had_zone);

/* Parses exactly "YYYY-MM-DDTHH:MM:SS" (the DDM TargetLocalDateTime form)
 * into a wall time.  Returns false on anything else. */
bool ts_parse_wall(const char *s, size_t len, int64_t *wall);

/* t as UTC fields {year, month, day, hour, minute, second}; false (f
 * untouched) when the year is outside 0000-9999. */
bool ts_split(int64_t t, int f[6]);
/* Writes "YYYY-MM-DDTHH:MM:SSZ" (21 bytes with NUL) into buf; a year
 * outside 0000-9999 signed and expanded ("+10000-01-01T07:00:00Z", at
 * most 30 bytes). */
void ts_format_utc(int64_t t, char buf[32]);
/* How far an input's time may lie after the run's time: the clocks of two
 * hosts differ by seconds, at worst minutes.  Later than that, it cannot
 * have happened yet: a clock off, or a time written without its zone east
 * of UTC read in --source-tz (Tokyo's 09:00 as 09:00 UTC).  Such a row or
 * report is rejected (ts_future). */
#define TS_FUTURE_SLACK (15 * 60)
/* Whether t, the time of what (a field, "report time"), lies more than
 * TS_FUTURE_SLACK after run_time; if so, why says so for the Rejected
 * report.  The one rule for CSV rows (ingest.c) and JSON documents
 * (sources/source.c). */
bool ts_future(int64_t t, int64_t run_time, const char *what, char *why,
	       size_t cap);
/* Writes "YYYY-MM-DDTHH:MM:SS" (wall time, no zone) into buf. */
void ts_format_wall(int64_t wall, char buf[32]);

/*
 * Parses a duration: one or more <integer><unit> groups, unit one of
 * s m h d w ("24h", "7d", "1d12h", "90m"); a bare integer is seconds.
 * Returns false on anything else or on overflow.
 */
bool duration_parse(const char *s, int64_t *seconds);

/* True when zone names an IANA zone that exists in the tz database
 * (TZDIR or /usr/share/zoneinfo) and is a TZif file; "UTC" is always valid.
 * Names with "..", a leading "/", or control characters are never valid. */
bool tz_is_valid(const char *zone);

enum {
	TZ_CONV_AMBIGUOUS =
		1,	/* wall time occurred twice; earlier instant taken */
	TZ_CONV_GAP = 2 /* wall time skipped; moved forward by the gap */
};

/*
 * Converts a wall time in zone to an instant, with the rule above.  Stores
 * TZ_CONV_* bits in *flags when flags is not NULL.  Returns false when the
 * zone is not valid.  Results are memoised per (zone, wall), so calling it
 * once per device of a large fleet is cheap.  Threads may call the zone
 * functions at once (memos per thread; TZ itself under a lock).
 */
bool tz_wall_to_utc(const char *zone, int64_t wall, int64_t *out, int *flags);

/* The calendar day holding instant t in the server's own zone (TZ as the
 * process started, else /etc/localtime; what `date +%F` says): its date
 * "YYYY-MM-DD" and the instants it starts and ends at ([start, end)).
 * A night's run is filed under this date ({date} in --out) and the trend
 * keeps one row per such day, so a cron job at 02:15 local time files
 * each night under its own date across DST changes. */
void tz_server_day(int64_t t, char date[11], int64_t *start, int64_t *end);

/* Offset of zone from UTC at instant t, in seconds east.  False when the
 * zone is not valid. */
bool tz_offset_at(const char *zone, int64_t t, int *offset);

/* Call before a second thread starts that may use the zone functions or
 * read the environment (SQLite looks up TMPDIR): makes sure TZ is set, to
 * the zone in force, so that changing it later replaces a value instead of
 * growing the environment under the other thread's feet. */
void tz_prepare_threads(void);

#endif
