/*
 * kmfddm_files.c - KMFDDM's derived CSVs (see kmfddm_files.h).
 */
#include "sources/kmfddm_files.h"

#include <string.h>

#include "timeutil.h"

static bool starts(const char *s, size_t len, const char *pre)
{
	size_t pl = strlen(pre);

	return len >= pl && memcmp(s, pre, pl) == 0;
}

static bool is_bool(const char *s, size_t len)
{
	return (len == 4 && memcmp(s, "true", 4) == 0) ||
	       (len == 5 && memcmp(s, "false", 5) == 0);
}

bool kmfddm_files_recognise(const char *const *field, const size_t *len,
			    size_t n)
{
	int64_t t;
	bool zone;

	if (n == 4) /* status.values.csv */
		return (starts(field[0], len[0], ".StatusItems.") ||
			starts(field[0], len[0], ".Errors")) &&
		       (starts(field[1], len[1], "object") ||
			starts(field[1], len[1], "array"));
	if (n < 3 || !ts_parse(field[0], len[0], &t, &zone) || !zone)
		return false;
	if (n == 7) /* status.declarations.csv */
		return is_bool(field[2], len[2]);
	if (n == 3) /* status.errors.csv */
		return starts(field[1], len[1], ".");
	return false;
}
