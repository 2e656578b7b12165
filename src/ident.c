/*
 * ident.c - how a device's serial, group and ids are written to be
 * compared (see ident.h).  Text only: no database, so that the store's SQL
 * functions and the ingest's sources clean names the same way.
 */
#include "ident.h"

#include <string.h>

/* The length of the blank or invisible character at s[0..len), or 0. */
static size_t invisible(const unsigned char *s, size_t len, bool blank)
{
	if (blank && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n'))
		return 1;
	if (blank && len >= 2 && s[0] == 0xC2 && s[1] == 0xA0)
		return 2;
	if (len >= 2 && s[0] == 0xD8 && s[1] == 0x9C)
		return 2; /* U+061C arabic letter mark */
	if (len >= 3 && s[0] == 0xE2 && s[1] == 0x80 &&
	    ((s[2] >= 0x8B && s[2] <= 0x8F) || (s[2] >= 0xAA && s[2] <= 0xAE)))
		return 3; /* U+200B..U+200F, U+202A..U+202E */
	if (len >= 3 && s[0] == 0xE2 && s[1] == 0x81 &&
	    (s[2] == 0xA0 || (s[2] >= 0xA6 && s[2] <= 0xA9)))
		return 3; /* U+2060, U+2066..U+2069 */
	if (len >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF)
		return 3; /* U+FEFF */
	return 0;
}

/* identity_serial, and identity_group without the upper-casing. */
static size_t clean(const char *s, size_t len, char *out, size_t cap, bool up)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n = 0, k, end;

	if (!s || cap == 0)
		return 0;
	/* the blanks at the ends, an invisible character among them */
	while (len && (k = invisible(u, len, true)) != 0)
		u += k, len -= k;
	for (end = len; end;) {
		size_t back = 0;
		unsigned char c = u[end - 1];

		/* what a blank or invisible character can end with */
		if (c != ' ' && c != '\t' && c != '\r' && c != '\n' &&
		    c != 0xA0 && c != 0xBF && c != 0x9C &&
		    (c < 0x8B || c > 0x8F) && (c < 0xA6 || c > 0xAE))
			break;
		for (size_t b = 1; b <= 3 && b <= end && !back; b++)
			if (invisible(u + end - b, b, true) == b)
				back = b;
		if (!back)
			break;
		end -= back;
	}
	for (size_t i = 0; i < end && n + 1 < cap;) {
		/* the invisible characters start with 0xD8, 0xE2 or 0xEF:
		 * any other byte is copied at once */
		if ((u[i] == 0xE2 || u[i] == 0xEF || u[i] == 0xD8) &&
		    (k = invisible(u + i, end - i, false)) != 0) {
			i += k;
			continue;
		}
		out[n++] = (char)(up && u[i] >= 'a' && u[i] <= 'z' ? u[i] - 32
								   : u[i]);
		i++;
	}
	out[n] = '\0';
	return n;
}

size_t identity_serial(const char *s, size_t len, char *out, size_t cap)
{
	return clean(s, len, out, cap, true);
}

size_t identity_group(const char *s, size_t len, char *out, size_t cap)
{
	return clean(s, len, out, cap, false);
}

const char *identity_id(const char *id, char *out, size_t cap)
{
	if (!id)
		return id;
	for (size_t i = 0; i < cap; i++) {
		char c = id[i];

		out[i] = (char)(c >= 'a' && c <= 'z' ? c - 32 : c);
		if (!c)
			return out;
	}
	return id; /* too long for out */
}

bool identity_placeholder(const char *serial)
{
	/* Jamf Pro's "Not Available", blanks some exports spell out, and the
	 * firmware defaults of virtual and white-box machines. */
	static const char *const words[] = {"NOT AVAILABLE",
					    "NOT_AVAILABLE",
					    "NOTAVAILABLE",
					    "UNAVAILABLE",
					    "N/A",
					    "NA",
					    "NONE",
					    "NULL",
					    "(NULL)",
					    "NIL",
					    "UNKNOWN",
					    "UNDEFINED",
					    "NOT SPECIFIED",
					    "NOT APPLICABLE",
					    "SYSTEM SERIAL NUMBER",
					    "TO BE FILLED BY O.E.M.",
					    "DEFAULT STRING",
					    "-",
					    "--",
					    "?"};
	if (!serial || !*serial)
		return false;
	/* none has a digit but "0": a serial with one is no placeholder */
	for (const char *p = serial; *p; p++)
		if (*p >= '1' && *p <= '9')
			return false;
	/* "0"; not "000000000000", the serial public captures are scrubbed
	 * to (one stand-in device in each) */
	if (strcmp(serial, "0") == 0)
		return true;
	for (size_t i = 0; i < sizeof words / sizeof *words; i++)
		if (strcmp(serial, words[i]) == 0)
			return true;
	return false;
}
