/*
 * timeutil.c - timestamp parsing and formatting, durations, and the
 * conversion of device-local deadlines to UTC instants.
 *
 * Used by ingest (timestamps in exports, --as-of, durations in options) and
 * by evaluate (the SQL function that turns TargetLocalDateTime into an
 * instant for a device's zone).
 *
 * Zones are read through the C library: TZ is set to ":<zone>" and
 * localtime_r() reports tm_gmtoff.  We considered parsing TZif files
 * ourselves and rejected it: glibc already does it correctly, including the
 * POSIX rule in the footer for dates past the last transition.  The cost is
 * that glibc re-reads the zone file whenever TZ changes, so
 *   - TZ is only changed when the wanted zone differs from the one in force;
 *   - tz_wall_to_utc() memoises results per (zone, wall) in a fixed-size,
 *     overwrite-on-collision table, which keeps a fleet of devices spread
 *     over a few zones and a few deadlines cheap without growing memory;
 *   - tz_is_valid() remembers recent answers the same way, so a zone
 *     column does not open a file per row.
 * Threads: the evaluation runs the zone functions in two threads at once.
 * The memos are per thread (a shared one under a lock made the threads
 * wait on each other tens of thousands of times per 100k devices); TZ and
 * the conversion through it, which a memo hit skips, take one mutex.
 * A consequence callers must know: after a conversion the process TZ is the
 * last zone used, so other code must not rely on localtime() (ddmreport
 * works in UTC throughout).  "UTC" is answered without touching TZ.
 *
 * Wall to UTC: with offA the offset in force a day before and offB the
 * offset a day after, the candidates are wall - offA and wall - offB; a
 * candidate is real when the zone's offset at it is the offset it assumed.
 * Two real candidates: an overlap, take the earlier.  None: a gap, read
 * with offA, which moves the time forward by the length of the gap.
 */
#define _DEFAULT_SOURCE

#include "timeutil.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SECS_PER_DAY 86400
#define TZ_NAME_MAX 255
#define TZ_MEMO_SLOTS 4096
#define TZ_MEMO_ZONE 64
#define TZ_VALID_SLOTS 64
#define TZ_VALID_WAYS 4
/* Walls beyond this (about 2 billion years) are refused: far outside any
 * real deadline, and it keeps wall +- a day and wall - offset in range. */
#define TZ_WALL_LIMIT ((int64_t)1 << 56)

/* ---- parsing helpers ---------------------------------------------- */

/* Reads exactly n decimal digits at s[*i]; advances *i on success. */
static bool digits(const char *s, size_t len, size_t *i, int n, int *out)
{
	int v = 0, k;

	if (len - *i < (size_t)n)
		return false;
	for (k = 0; k < n; k++) {
		char c = s[*i + (size_t)k];

		if (c < '0' || c > '9')
			return false;
		v = v * 10 + (c - '0');
	}
	*i += (size_t)n;
	*out = v;
	return true;
}

static bool expect(const char *s, size_t len, size_t *i, char c)
{
	if (*i >= len || s[*i] != c)
		return false;
	(*i)++;
	return true;
}

static bool is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
	static const int dim[12] = {31, 28, 31, 30, 31, 30,
				    31, 31, 30, 31, 30, 31};

	return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil): what timegm() computes, without its normalising. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* Seconds since the epoch for a UTC broken-down time (fields checked). */
static int64_t civil_to_secs(int y, int mo, int d, int h, int mi, int s)
{
	return days_from_civil(y, mo, d) * SECS_PER_DAY + h * 3600 + mi * 60 +
	       s;
}

/* Reads YYYY-MM-DD and checks it. */
static bool parse_date(const char *s, size_t len, size_t *i, int *y, int *mo,
		       int *d)
{
	if (!digits(s, len, i, 4, y) || !expect(s, len, i, '-') ||
	    !digits(s, len, i, 2, mo) || !expect(s, len, i, '-') ||
	    !digits(s, len, i, 2, d))
		return false;
	return *mo >= 1 && *mo <= 12 && *d >= 1 && *d <= days_in_month(*y, *mo);
}

bool ts_parse(const char *s, size_t len, int64_t *out, bool *had_zone)
{
	size_t i = 0;
	int y, mo, d, h = 0, mi = 0, sec = 0, oh, om = 0, sign;
	int64_t off = 0;
	bool zone = false;

	if (!s)
		return false;
	while (i < len && s[i] == ' ')
		i++;
	if (!parse_date(s, len, &i, &y, &mo, &d))
		return false;

	/* A space separates a time only when a digit follows; otherwise it
	 * is trailing space. */
	if (i < len && (s[i] == 'T' || s[i] == 't' ||
			(s[i] == ' ' && i + 1 < len && s[i + 1] >= '0' &&
			 s[i + 1] <= '9'))) {
		i++;
		if (!digits(s, len, &i, 2, &h) || !expect(s, len, &i, ':') ||
		    !digits(s, len, &i, 2, &mi))
			return false;
		if (i < len && s[i] == ':') {
			i++;
			if (!digits(s, len, &i, 2, &sec))
				return false;
			if (i < len && (s[i] == '.' || s[i] == ',')) {
				i++;
				if (i >= len || s[i] < '0' || s[i] > '9')
					return false;
				while (i < len && s[i] >= '0' && s[i] <= '9')
					i++;
			}
		}
		if (h > 23 || mi > 59 || sec > 60)
			return false;
		if (sec == 60)
			sec = 59;
	}

	if (i < len && (s[i] == 'Z' || s[i] == 'z')) {
		i++;
		zone = true;
	} else if (i < len && (s[i] == '+' || s[i] == '-')) {
		sign = s[i] == '-' ? -1 : 1;
		i++;
		if (!digits(s, len, &i, 2, &oh))
			return false;
		if (i < len && s[i] == ':') {
			i++;
			if (!digits(s, len, &i, 2, &om))
				return false;
		} else if (i < len && s[i] >= '0' && s[i] <= '9') {
			if (!digits(s, len, &i, 2, &om))
				return false;
		}
		if (oh > 23 || om > 59)
			return false;
		off = sign * (int64_t)(oh * 3600 + om * 60);
		zone = true;
	}

	while (i < len && s[i] == ' ')
		i++;
	if (i != len)
		return false;
	*out = civil_to_secs(y, mo, d, h, mi, sec) - off;
	if (had_zone)
		*had_zone = zone;
	return true;
}

bool ts_parse_wall(const char *s, size_t len, int64_t *wall)
{
	size_t i = 0;
	int y, mo, d, h, mi, sec;

	if (!s || len != 19)
		return false;
	if (!parse_date(s, len, &i, &y, &mo, &d) || !expect(s, len, &i, 'T') ||
	    !digits(s, len, &i, 2, &h) || !expect(s, len, &i, ':') ||
	    !digits(s, len, &i, 2, &mi) || !expect(s, len, &i, ':') ||
	    !digits(s, len, &i, 2, &sec))
		return false;
	if (h > 23 || mi > 59 || sec > 59)
		return false;
	*wall = civil_to_secs(y, mo, d, h, mi, sec);
	return true;
}

/* The civil date and time of t (any int64_t): the year in *year, month
 * .. second in f[1..5]. */
static void civil(int64_t t, int64_t *year, int f[6])
{
	int64_t days, secs, era, doe, yoe, doy, mp;

	/* floor division without overflow at the ends of int64_t */
	days = t / SECS_PER_DAY;
	secs = t % SECS_PER_DAY;
	if (secs < 0) {
		secs += SECS_PER_DAY;
		days--;
	}
	/* H. Hinnant's civil_from_days */
	days += 719468;
	era = (days >= 0 ? days : days - 146096) / 146097;
	doe = days - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	f[2] = (int)(doy - (153 * mp + 2) / 5 + 1);
	f[1] = (int)(mp < 10 ? mp + 3 : mp - 9);
	*year = yoe + era * 400 + (f[1] <= 2);
	f[3] = (int)(secs / 3600);
	f[4] = (int)(secs / 60 % 60);
	f[5] = (int)(secs % 60);
}

/*
 * Years outside 0..9999 cannot be written as YYYY (nor parsed back, nor
 * held by a spreadsheet date): false for those.
 */
bool ts_split(int64_t t, int f[6])
{
	int64_t y;

	/* 0000-01-01T00:00:00 .. 9999-12-31T23:59:59 */
	if (t < -62167219200 || t > 253402300799)
		return false;
	civil(t, &y, f);
	f[0] = (int)y;
	return true;
}

static char *put2(char *p, int v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
	return p + 2;
}

/* "YYYY-MM-DDTHH:MM:SS" and suffix.  A year outside 0000-9999 is written
 * as ISO 8601's expanded years write it, signed and at least 4 digits
 * (+10000-01-01T07:00:00Z, -0001-12-31T...): a deadline a device's zone
 * pushes past 9999-12-31 in UTC reads as the far future it is, not as a
 * year 0000 that looks long past.  Digits by hand: a report formats a
 * few million of these. */
static void format_tm(int64_t t, char buf[32], const char *suffix)
{
	int f[6];
	int64_t y;
	char *p = buf;

	civil(t, &y, f);
	if (y >= 0 && y <= 9999) {
		p = put2(p, (int)y / 100);
		p = put2(p, (int)y % 100);
	} else {
		/* |y| < 3e11 for any int64_t t: 12 digits at most */
		char digits[24];
		uint64_t u = y < 0 ? (uint64_t)(-(y + 1)) + 1 : (uint64_t)y;
		int n = 0;

		do {
			digits[n++] = (char)('0' + u % 10);
			u /= 10;
		} while (u);
		while (n < 4)
			digits[n++] = '0';
		*p++ = y < 0 ? '-' : '+';
		while (n)
			*p++ = digits[--n];
	}
	*p++ = '-';
	p = put2(p, f[1]);
	*p++ = '-';
	p = put2(p, f[2]);
	*p++ = 'T';
	p = put2(p, f[3]);
	*p++ = ':';
	p = put2(p, f[4]);
	*p++ = ':';
	p = put2(p, f[5]);
	strcpy(p, suffix);
}

void ts_format_utc(int64_t t, char buf[32])
{
	format_tm(t, buf, "Z");
}

bool ts_future(int64_t t, int64_t run_time, const char *what, char *why,
	       size_t cap)
{
	char at[32], now[32];

	if (t <= run_time + TS_FUTURE_SLACK)
		return false;
	ts_format_utc(t, at);
	ts_format_utc(run_time, now);
	snprintf(why, cap,
		 "%s %s is after the time of this run (%s): a clock or time "
		 "zone error at the source",
		 what, at, now);
	return true;
}

void ts_format_wall(int64_t wall, char buf[32])
{
	format_tm(wall, buf, "");
}

bool duration_parse(const char *s, int64_t *seconds)
{
	int64_t total = 0, n, unit;
	size_t i = 0;
	bool any;

	if (!s || !*s)
		return false;
	while (s[i]) {
		n = 0;
		any = false;
		while (s[i] >= '0' && s[i] <= '9') {
			if (n > (INT64_MAX - (s[i] - '0')) / 10)
				return false;
			n = n * 10 + (s[i] - '0');
			i++;
			any = true;
		}
		if (!any)
			return false;
		switch (s[i]) {
		case '\0':
			/* A bare integer is seconds, but only on its own. */
			if (s[strspn(s, "0123456789")] != '\0')
				return false;
			*seconds = n;
			return true;
		case 's':
			unit = 1;
			break;
		case 'm':
			unit = 60;
			break;
		case 'h':
			unit = 3600;
			break;
		case 'd':
			unit = SECS_PER_DAY;
			break;
		case 'w':
			unit = 7 * SECS_PER_DAY;
			break;
		default:
			return false;
		}
		i++;
		if (n > INT64_MAX / unit || n * unit > INT64_MAX - total)
			return false;
		total += n * unit;
	}
	*seconds = total;
	return true;
}

/* ---- zones --------------------------------------------------------- */

static bool is_utc(const char *zone)
{
	return strcmp(zone, "UTC") == 0;
}

static bool tz_name_ok(const char *zone)
{
	const unsigned char *p;

	if (!zone || !*zone || zone[0] == '/' || strstr(zone, ".."))
		return false;
	/* Files of the tz database that name no zone: "right/..." counts
	 * leap seconds (every time 27 s off the clock devices keep) and
	 * "localtime" is this server's zone, not a device's. */
	if (strncmp(zone, "right/", 6) == 0 || strcmp(zone, "localtime") == 0)
		return false;
	if (strlen(zone) > TZ_NAME_MAX)
		return false;
	for (p = (const unsigned char *)zone; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

static const char *tz_dir(void)
{
	const char *d = getenv("TZDIR");

	return d && *d ? d : "/usr/share/zoneinfo";
}

/* Opens the zone file and checks the TZif magic. */
static bool tz_file_ok(const char *dir, const char *zone)
{
	char path[4096], magic[4];
	FILE *f;
	bool ok;
	int n;

	n = snprintf(path, sizeof(path), "%s/%s", dir, zone);
	if (n < 0 || (size_t)n >= sizeof(path))
		return false;
	f = fopen(path, "rb");
	if (!f)
		return false;
	ok = fread(magic, 1, 4, f) == 4 && memcmp(magic, "TZif", 4) == 0;
	fclose(f);
	return ok;
}

/* FNV-1a over a zone name, continued by tz_memo_slot() over a wall time. */
static uint64_t zone_hash(const char *zone)
{
	uint64_t h = 14695981039346656037u;

	for (; *zone; zone++)
		h = (h ^ (unsigned char)*zone) * 1099511628211u;
	return h;
}

/*
 * Answers for recently asked names, so that a column of zones costs one
 * open per distinct zone rather than one per row; forgotten when TZDIR
 * changes.  Names too long for a slot are simply not cached.
 */
struct tz_valid_entry {
	char zone[TZ_MEMO_ZONE]; /* "" when the slot is empty */
	bool ok;
};

static _Thread_local struct tz_valid_entry tz_valid_cache[TZ_VALID_SLOTS];
static _Thread_local char tz_valid_dir[4096];

/* The entry of zone among the TZ_VALID_WAYS slots from its hash, else the
 * one to fill: an empty one, or the next in turn.  Probing a few slots
 * keeps two zones of one slot from evicting each other: America/Chicago
 * and America/Los_Angeles share a slot of 64, and a fleet of both opened
 * a zone file on about every other device (11,000 opens per 100k). */
static struct tz_valid_entry *tz_valid_find(const char *zone)
{
	static _Thread_local unsigned turn;
	size_t first = zone_hash(zone) % TZ_VALID_SLOTS;
	struct tz_valid_entry *empty = NULL;

	for (size_t k = 0; k < TZ_VALID_WAYS; k++) {
		struct tz_valid_entry *e =
			&tz_valid_cache[(first + k) % TZ_VALID_SLOTS];

		if (strcmp(e->zone, zone) == 0)
			return e;
		if (!e->zone[0] && !empty)
			empty = e;
	}
	if (empty)
		return empty;
	return &tz_valid_cache[(first + turn++ % TZ_VALID_WAYS) %
			       TZ_VALID_SLOTS];
}

/* Guards TZ (tz_use) and reading the zone through it. */
static pthread_mutex_t tz_lock = PTHREAD_MUTEX_INITIALIZER;

bool tz_is_valid(const char *zone)
{
	struct tz_valid_entry *e;
	const char *dir;

	if (!tz_name_ok(zone))
		return false;
	if (is_utc(zone))
		return true;
	dir = tz_dir();
	if (strlen(zone) >= TZ_MEMO_ZONE || strlen(dir) >= sizeof(tz_valid_dir))
		return tz_file_ok(dir, zone);
	if (strcmp(tz_valid_dir, dir) != 0) {
		memset(tz_valid_cache, 0, sizeof(tz_valid_cache));
		strcpy(tz_valid_dir, dir);
	}
	e = tz_valid_find(zone);
	if (strcmp(e->zone, zone) != 0) {
		e->ok = tz_file_ok(dir, zone);
		strcpy(e->zone, zone);
	}
	return e->ok;
}

/*
 * Makes zone (already validated) the process zone, unless it already is.
 * TZ is compared with the environment too, in case other code changed it.
 */
static char in_force[TZ_NAME_MAX + 2];
/* The process's TZ as it started (the server's own zone), kept before the
 * first conversion replaces it: tz_server_day reads in it. */
static char server_tz[256];
static bool server_tz_saved, server_tz_unset;

static void save_server_tz(void)
{
	const char *env = getenv("TZ");

	if (server_tz_saved)
		return;
	server_tz_saved = true;
	server_tz_unset = !env || strlen(env) >= sizeof(server_tz);
	if (!server_tz_unset)
		strcpy(server_tz, env);
}

static void tz_use(const char *zone)
{
	char want[TZ_NAME_MAX + 2];
	const char *env;

	save_server_tz();
	snprintf(want, sizeof(want), ":%s", zone);
	env = getenv("TZ");
	if (strcmp(in_force, want) == 0 && env && strcmp(env, want) == 0)
		return;
	setenv("TZ", want, 1);
	tzset();
	strcpy(in_force, want);
}

/* Offset at t in the zone in force; false when t is out of range. */
static bool offset_in_force(int64_t t, int *offset)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if ((int64_t)tt != t || !localtime_r(&tt, &tm))
		return false;
	*offset = (int)tm.tm_gmtoff;
	return true;
}

void tz_prepare_threads(void)
{
	pthread_mutex_lock(&tz_lock);
	save_server_tz();
	/* Unset TZ means the system zone, which ":/etc/localtime" names. */
	if (!getenv("TZ"))
		setenv("TZ", ":/etc/localtime", 1);
	pthread_mutex_unlock(&tz_lock);
}

void tz_server_day(int64_t t, char date[11], int64_t *start, int64_t *end)
{
	time_t tt = (time_t)t, s, e;
	struct tm tm, mid;

	pthread_mutex_lock(&tz_lock);
	save_server_tz();
	if (server_tz_unset)
		unsetenv("TZ");
	else
		setenv("TZ", server_tz, 1);
	tzset();
	in_force[0] = '\0'; /* the next tz_use sets its zone again */
	if ((int64_t)tt != t || !localtime_r(&tt, &tm)) {
		char iso[32];

		pthread_mutex_unlock(&tz_lock);
		/* Out of the C library's range: the UTC day. */
		ts_format_utc(t, iso);
		memcpy(date, iso, 10);
		date[10] = '\0';
		*start = t - ((t % SECS_PER_DAY) + SECS_PER_DAY) % SECS_PER_DAY;
		*end = *start + SECS_PER_DAY;
		return;
	}
	if (strftime(date, 11, "%Y-%m-%d", &tm) != 10)
		strcpy(date, "0000-00-00"); /* not reached: as_of is parsed
					       within years 0000-9999 */
	mid = tm;
	mid.tm_hour = mid.tm_min = mid.tm_sec = 0;
	mid.tm_isdst = -1;
	s = mktime(&mid);
	mid = tm;
	mid.tm_mday++;
	mid.tm_hour = mid.tm_min = mid.tm_sec = 0;
	mid.tm_isdst = -1;
	e = mktime(&mid);
	pthread_mutex_unlock(&tz_lock);
	/* A zone whose clocks skip midnight (Santiago, Havana) has no 00:00
	 * on that day: mktime may answer an hour either side; the day still
	 * holds t. */
	*start = s == (time_t)-1 || s > tt ? t : (int64_t)s;
	*end = e == (time_t)-1 || e <= tt ? t + 1 : (int64_t)e;
}

bool tz_offset_at(const char *zone, int64_t t, int *offset)
{
	bool ok;

	if (!tz_is_valid(zone))
		return false;
	if (is_utc(zone)) {
		*offset = 0;
		return true;
	}
	pthread_mutex_lock(&tz_lock);
	tz_use(zone);
	ok = offset_in_force(t, offset);
	pthread_mutex_unlock(&tz_lock);
	return ok;
}

struct tz_memo {
	char zone[TZ_MEMO_ZONE]; /* "" when the slot is empty */
	int64_t wall;
	int64_t instant;
	int flags;
};

static _Thread_local struct tz_memo tz_memo_table[TZ_MEMO_SLOTS];

static size_t tz_memo_slot(const char *zone, int64_t wall)
{
	uint64_t h = zone_hash(zone);
	uint64_t w = (uint64_t)wall;
	int k;

	for (k = 0; k < 8; k++, w >>= 8)
		h = (h ^ (w & 0xff)) * 1099511628211u;
	return (size_t)(h % TZ_MEMO_SLOTS);
}

/* The conversion proper, for a valid zone that is in force. */
static bool wall_to_utc(int64_t wall, int64_t *out, int *flags)
{
	int off_a, off_b, o1, o2;
	int64_t t1, t2;
	bool ok1, ok2;

	if (!offset_in_force(wall - SECS_PER_DAY, &off_a) ||
	    !offset_in_force(wall + SECS_PER_DAY, &off_b))
		return false;
	t1 = wall - off_a;
	t2 = wall - off_b;
	if (!offset_in_force(t1, &o1) || !offset_in_force(t2, &o2))
		return false;
	ok1 = o1 == off_a;
	ok2 = o2 == off_b;
	*flags = 0;
	if (ok1 && ok2) {
		if (t1 != t2)
			*flags = TZ_CONV_AMBIGUOUS;
		*out = t1 < t2 ? t1 : t2;
	} else if (ok1) {
		*out = t1;
	} else if (ok2) {
		*out = t2;
	} else {
		*flags = TZ_CONV_GAP;
		*out = t1;
	}
	return true;
}

bool tz_wall_to_utc(const char *zone, int64_t wall, int64_t *out, int *flags)
{
	struct tz_memo *m = NULL;
	int64_t t;
	int f = 0;
	bool ok;

	/* A memoised answer was validated when it was stored. */
	if (zone && strlen(zone) < TZ_MEMO_ZONE) {
		m = &tz_memo_table[tz_memo_slot(zone, wall)];
		if (m->zone[0] && m->wall == wall &&
		    strcmp(m->zone, zone) == 0) {
			t = m->instant;
			f = m->flags;
			goto done;
		}
	}
	if (!tz_is_valid(zone))
		return false;
	if (wall < -TZ_WALL_LIMIT || wall > TZ_WALL_LIMIT)
		return false;
	if (is_utc(zone)) {
		t = wall;
		goto done;
	}
	pthread_mutex_lock(&tz_lock);
	tz_use(zone);
	ok = wall_to_utc(wall, &t, &f);
	pthread_mutex_unlock(&tz_lock);
	if (!ok)
		return false;
	if (m) {
		strcpy(m->zone, zone);
		m->wall = wall;
		m->instant = t;
		m->flags = f;
	}
done:
	*out = t;
	if (flags)
		*flags = f;
	return true;
}
