/*
 * cell.c - make data values safe for CSV, XLSX and diagnostic output.
 *
 * Used by the render stage (CSV writer and XLSX writer) and by every
 * diagnostic that quotes user data.  Choices a reader may question:
 *   - Formula neutralising uses a leading apostrophe inside a quoted field
 *     (the OWASP "CSV injection" advice); it is applied to text columns only,
 *     so numbers such as -5 survive a round trip.  The raw profile exists
 *     for pipes, where changing data would be wrong.
 *   - Invalid UTF-8 is replaced per "maximal subpart" (Unicode ch. 3,
 *     U+FFFD substitution): one U+FFFD for each longest prefix of a
 *     well-formed sequence, so a truncated 3-byte sequence yields one
 *     replacement but C0 AF yields two.
 *   - The XLSX length limit counts code points, which is what
 *     libxlsxwriter checks against its 32767 limit.
 */
#include "cell.h"

#include <stdint.h>
#include <string.h>

#define CELL_XLSX_MAX_CHARS 32767

static const char REPLACEMENT[] = "\xEF\xBF\xBD"; /* U+FFFD */

bool cell_is_formula_trigger(const char *s, size_t len)
{
	/* Full-width = + - @ in UTF-8: EF BC 9D, EF BC 8B, EF BC 8D, EF BC A0. */
	unsigned char c;
	size_t i = 0;

	if (len == 0)
		return false;
	if (s[0] == '\t' || s[0] == '\r' || s[0] == '\n')
		return true;
	while (i < len && s[i] == ' ')
		i++;
	if (i == len)
		return false;
	if (s[i] == '=' || s[i] == '+' || s[i] == '-' || s[i] == '@')
		return true;
	if (len - i >= 3 && (unsigned char)s[i] == 0xEF &&
	    (unsigned char)s[i + 1] == 0xBC) {
		c = (unsigned char)s[i + 2];
		return c == 0x9D || c == 0x8B || c == 0x8D || c == 0xA0;
	}
	return false;
}

/*
 * When s[0..len) holds ill-formed UTF-8, appends it to out with each
 * ill-formed subpart replaced by U+FFFD and returns true; else false and
 * out is untouched (the common case costs one scan, no copy).
 */
static bool utf8_repair(buf *out, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, n, bad = 0;
	uint32_t cp;
	bool broken = false;

	while (i < len && !broken) {
		if (u[i] < 0x80) { /* ASCII: one byte, always well formed */
			i++;
			continue;
		}
		n = utf8_decode(u + i, len - i, &cp, &bad);
		broken = n == 0;
		i += n;
	}
	if (!broken)
		return false;
	for (i = 0; i < len; i += n ? n : bad) {
		n = utf8_decode(u + i, len - i, &cp, &bad);
		if (n)
			buf_append(out, s + i, n);
		else
			buf_append(out, REPLACEMENT, 3);
	}
	return true;
}

void cell_csv_field(buf *out, const char *s, size_t len, bool is_text,
		    csv_profile profile)
{
	bool neutral, quote;
	size_t i, start;
	buf fixed = {0};

	/* For people: a spreadsheet shows ill-formed UTF-8 as mojibake or
	 * refuses the file; raw keeps the bytes exactly. */
	if (profile == CSV_PROFILE_EXCEL && utf8_repair(&fixed, s, len)) {
		s = fixed.data;
		len = fixed.len;
	}

	neutral = profile == CSV_PROFILE_EXCEL && is_text &&
		  cell_is_formula_trigger(s, len);
	quote = neutral;
	if (len > 0 && (s[0] == ' ' || s[len - 1] == ' '))
		quote = true;
	for (i = 0; i < len && !quote; i++)
		if (s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n')
			quote = true;

	if (!quote) {
		buf_append(out, s, len);
		buf_free(&fixed);
		return;
	}
	buf_putc(out, '"');
	if (neutral)
		buf_putc(out, '\'');
	for (start = 0, i = 0; i < len; i++) {
		if (s[i] != '"')
			continue;
		buf_append(out, s + start, i + 1 - start); /* up to the quote */
		buf_putc(out, '"');
		start = i + 1;
	}
	buf_append(out, s + start, len - start);
	buf_putc(out, '"');
	buf_free(&fixed);
}

static bool xml_allowed(uint32_t cp)
{
	if (cp < 0x20)
		return cp == '\t' || cp == '\n' || cp == '\r';
	return cp != 0xFFFE && cp != 0xFFFF;
}

void cell_xml_text(buf *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, chars = 0, n, bad;
	uint32_t cp;

	while (i < len && chars < CELL_XLSX_MAX_CHARS) {
		/* A run of printable ASCII goes in one copy. */
		size_t run = i;

		while (run < len && run - i < CELL_XLSX_MAX_CHARS - chars &&
		       p[run] >= 0x20 && p[run] < 0x7F)
			run++;
		if (run > i) {
			buf_append(out, s + i, run - i);
			chars += run - i;
			i = run;
			continue;
		}
		n = utf8_decode(p + i, len - i, &cp, &bad);
		if (n == 0) {
			buf_append(out, REPLACEMENT, 3);
			i += bad;
		} else {
			if (xml_allowed(cp))
				buf_append(out, s + i, n);
			else
				buf_append(out, REPLACEMENT, 3);
			i += n;
		}
		chars++;
	}
}

void cell_escape_diag(buf *out, const char *s, size_t len, size_t max)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, n = len;
	unsigned char c;
	bool cut = false;

	if (len > max) {
		/* Do not end in the middle of a UTF-8 character. */
		n = utf8_floor(s, max);
		cut = true;
	}
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		switch (c) {
		case '\t':
			buf_puts(out, "\\t");
			break;
		case '\n':
			buf_puts(out, "\\n");
			break;
		case '\r':
			buf_puts(out, "\\r");
			break;
		case '\\':
			buf_puts(out, "\\\\");
			break;
		default:
			if (c < 0x20 || c == 0x7f) {
				buf_putc(out, '\\');
				buf_putc(out, 'x');
				buf_putc(out, hex[c >> 4]);
				buf_putc(out, hex[c & 15]);
			} else {
				buf_putc(out, (char)c);
			}
		}
	}
	if (cut)
		buf_puts(out, "...");
}
