/*
 * test_cell.c - unit tests for cell.c: CSV quoting and formula
 * neutralising, XLSX text sanitising (UTF-8, XML characters, length), and
 * escaping for diagnostics.
 */
#include <stdlib.h>
#include <string.h>

#include "cell.h"
#include "unit.h"

/* One CSV field as a C string (static buffer). */
static const char *csv(const char *s, bool is_text, csv_profile p)
{
	static buf out;

	buf_reset(&out);
	cell_csv_field(&out, s, strlen(s), is_text, p);
	return buf_cstr(&out);
}

static const char *xml(const char *s, size_t len)
{
	static buf out;

	buf_reset(&out);
	cell_xml_text(&out, s, len);
	return buf_cstr(&out);
}

static const char *diag(const char *s, size_t len, size_t max)
{
	static buf out;

	buf_reset(&out);
	cell_escape_diag(&out, s, len, max);
	return buf_cstr(&out);
}

#define X(s) xml((s), sizeof(s) - 1)
#define FFFD "\xEF\xBF\xBD"

static void test_trigger(void)
{
	static const char *const yes[] = {"=SUM(A1)",
					  "+1",
					  "-1",
					  "@x",
					  "\tx",
					  "\rx",
					  "\nx",
					  "  =x",
					  " +1",
					  "\xEF\xBC\x9D"
					  "1+1",
					  "\xEF\xBC\x8B"
					  "1",
					  "\xEF\xBC\x8D"
					  "1",
					  "\xEF\xBC\xA0"
					  "x",
					  "   \xEF\xBC\x9D",
					  "=",
					  "-"};
	static const char *const no[] = {"",
					 " ",
					 "abc",
					 "1-1",
					 "a=b",
					 "x@y.com",
					 " x",
					 "'=x",
					 "\xEF\xBC\x9E",
					 "\xEF\xBC",
					 "\xE2\x80\x8B=x",
					 "x\t"};
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		CHECK_MSG(cell_is_formula_trigger(yes[i], strlen(yes[i])),
			  "trigger #%zu not detected", i);
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		CHECK_MSG(!cell_is_formula_trigger(no[i], strlen(no[i])),
			  "#%zu wrongly a trigger", i);
	/* Only len bytes count. */
	CHECK(!cell_is_formula_trigger("  =", 2));
	CHECK(!cell_is_formula_trigger("\xEF\xBC\x9D", 2));
}

static void test_csv(void)
{
	buf out = {0};

	CHECK_STR_EQ(csv("=SUM(A1)", true, CSV_PROFILE_EXCEL), "\"'=SUM(A1)\"");
	CHECK_STR_EQ(csv("+1", true, CSV_PROFILE_EXCEL), "\"'+1\"");
	CHECK_STR_EQ(csv("-1", true, CSV_PROFILE_EXCEL), "\"'-1\"");
	CHECK_STR_EQ(csv("@x", true, CSV_PROFILE_EXCEL), "\"'@x\"");
	CHECK_STR_EQ(csv("\tx", true, CSV_PROFILE_EXCEL), "\"'\tx\"");
	CHECK_STR_EQ(csv("\rx", true, CSV_PROFILE_EXCEL), "\"'\rx\"");
	CHECK_STR_EQ(csv("\nx", true, CSV_PROFILE_EXCEL), "\"'\nx\"");
	CHECK_STR_EQ(csv("  =x", true, CSV_PROFILE_EXCEL), "\"'  =x\"");
	CHECK_STR_EQ(csv("\xEF\xBC\x9D"
			 "1",
			 true, CSV_PROFILE_EXCEL),
		     "\"'\xEF\xBC\x9D"
		     "1\"");
	CHECK_STR_EQ(csv("\xEF\xBC\x8B"
			 "1",
			 true, CSV_PROFILE_EXCEL),
		     "\"'\xEF\xBC\x8B"
		     "1\"");
	CHECK_STR_EQ(csv("\xEF\xBC\x8D"
			 "1",
			 true, CSV_PROFILE_EXCEL),
		     "\"'\xEF\xBC\x8D"
		     "1\"");
	CHECK_STR_EQ(csv("\xEF\xBC\xA0x", true, CSV_PROFILE_EXCEL),
		     "\"'\xEF\xBC\xA0x\"");
	CHECK_STR_EQ(
		csv("=HYPERLINK(\"http://x\",\"y\")", true, CSV_PROFILE_EXCEL),
		"\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"");
	/* Numeric columns are never prefixed. */
	CHECK_STR_EQ(csv("-5", false, CSV_PROFILE_EXCEL), "-5");
	CHECK_STR_EQ(csv("+5", false, CSV_PROFILE_EXCEL), "+5");
	/* The raw profile keeps data exact. */
	CHECK_STR_EQ(csv("=SUM(A1)", true, CSV_PROFILE_RAW), "=SUM(A1)");
	CHECK_STR_EQ(csv("-1", true, CSV_PROFILE_RAW), "-1");
	CHECK_STR_EQ(csv("\tx", true, CSV_PROFILE_RAW), "\tx");
	CHECK_STR_EQ(csv("\nx", true, CSV_PROFILE_RAW), "\"\nx\"");
	CHECK_STR_EQ(csv("=a,b", true, CSV_PROFILE_RAW), "\"=a,b\"");

	/* RFC 4180 quoting, both profiles. */
	CHECK_STR_EQ(csv("plain", true, CSV_PROFILE_EXCEL), "plain");
	CHECK_STR_EQ(csv("", true, CSV_PROFILE_EXCEL), "");
	CHECK_STR_EQ(csv("a,b", true, CSV_PROFILE_EXCEL), "\"a,b\"");
	CHECK_STR_EQ(csv("say \"hi\"", true, CSV_PROFILE_RAW),
		     "\"say \"\"hi\"\"\"");
	CHECK_STR_EQ(csv("\"", true, CSV_PROFILE_RAW), "\"\"\"\"");
	CHECK_STR_EQ(csv("line1\nline2", true, CSV_PROFILE_RAW),
		     "\"line1\nline2\"");
	CHECK_STR_EQ(csv("a\r\nb", false, CSV_PROFILE_EXCEL), "\"a\r\nb\"");
	CHECK_STR_EQ(csv(" lead", true, CSV_PROFILE_RAW), "\" lead\"");
	CHECK_STR_EQ(csv("trail ", true, CSV_PROFILE_RAW), "\"trail \"");
	CHECK_STR_EQ(csv("in side", true, CSV_PROFILE_RAW), "in side");
	CHECK_STR_EQ(csv("x@y.com", true, CSV_PROFILE_EXCEL), "x@y.com");

	/* NUL bytes are kept, and the field appends to what is there. */
	buf_puts(&out, "A,");
	cell_csv_field(&out, "a\0b", 3, true, CSV_PROFILE_RAW);
	CHECK_MEM_EQ(out.data, out.len, "A,a\0b", (size_t)5);
	buf_reset(&out);
	cell_csv_field(&out, "=\0,", 3, true, CSV_PROFILE_EXCEL);
	CHECK_MEM_EQ(out.data, out.len, "\"'=\0,\"", (size_t)6);
	buf_free(&out);
}

/* Ill-formed UTF-8: U+FFFD for people (excel), exact bytes for pipes. */
static void test_csv_utf8(void)
{
	CHECK_STR_EQ(csv("a\xff"
			 "b",
			 true, CSV_PROFILE_EXCEL),
		     "a\xEF\xBF\xBD"
		     "b");
	CHECK_STR_EQ(csv("a\xff"
			 "b",
			 true, CSV_PROFILE_RAW),
		     "a\xff"
		     "b");
	CHECK_STR_EQ(csv("x\xC0\xAF", true, CSV_PROFILE_EXCEL),
		     "x\xEF\xBF\xBD\xEF\xBF\xBD");
	CHECK_STR_EQ(csv("\xE2\x82", false, CSV_PROFILE_EXCEL), "\xEF\xBF\xBD");
	CHECK_STR_EQ(csv("caf\xC3\xA9 \xE2\x82\xAC", true, CSV_PROFILE_EXCEL),
		     "caf\xC3\xA9 \xE2\x82\xAC");
	CHECK_STR_EQ(csv("=\xff,", true, CSV_PROFILE_EXCEL),
		     "\"'=\xEF\xBF\xBD,\"");
}

static void test_xml(void)
{
	buf out = {0};
	char *big;
	size_t i, n, chars;

	CHECK_STR_EQ(X("plain text"), "plain text");
	CHECK_STR_EQ(X("caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x98\x80"),
		     "caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x98\x80");
	CHECK_STR_EQ(X("a\tb\nc\rd"), "a\tb\nc\rd");
	CHECK_STR_EQ(X("<&>\"'"), "<&>\"'");	 /* escaping is the writer's */
	CHECK_STR_EQ(X("a\x80z"), "a" FFFD "z"); /* lone cont. */
	CHECK_STR_EQ(X("a\xE2\x82"), "a" FFFD);	 /* truncated */
	CHECK_STR_EQ(X("\xE2\x82z"), FFFD "z");	 /* truncated */
	CHECK_STR_EQ(X("\xC0\xAF"), FFFD FFFD);	 /* overlong / */
	CHECK_STR_EQ(X("\xE0\x80\xAF"), FFFD FFFD FFFD); /* overlong */
	CHECK_STR_EQ(X("\xF0\x80\x80\xAF"), FFFD FFFD FFFD FFFD);
	CHECK_STR_EQ(X("\xED\xA0\x80"), FFFD FFFD FFFD); /* surrogate */
	CHECK_STR_EQ(X("\xED\x9F\xBF"), "\xED\x9F\xBF"); /* U+D7FF ok */
	CHECK_STR_EQ(X("\xF5\x80\x80\x80"), FFFD FFFD FFFD FFFD);
	CHECK_STR_EQ(X("\xF4\x90\x80\x80"), FFFD FFFD FFFD FFFD);
	CHECK_STR_EQ(X("\xF4\x8F\xBF\xBF"), "\xF4\x8F\xBF\xBF"); /* U+10FFFF */
	CHECK_STR_EQ(X("\xFF\xFE"), FFFD FFFD);
	CHECK_STR_EQ(X("a\x01"
		       "b\x1b"
		       "c\x1f"),
		     "a" FFFD "b" FFFD "c" FFFD);
	CHECK_STR_EQ(X("\x7f"), "\x7f");
	CHECK_STR_EQ(X("\xEF\xBF\xBE|\xEF\xBF\xBF"), FFFD "|" FFFD);
	CHECK_STR_EQ(X("\xEF\xBF\xBD"), FFFD);
	CHECK_STR_EQ(X(""), "");

	/* NUL never truncates. */
	cell_xml_text(&out, "a\0b", 3);
	CHECK_MEM_EQ(out.data, out.len, "a" FFFD "b", (size_t)5);
	buf_reset(&out);

	/* Cut to 32767 characters without splitting one: 40000 x U+00E9. */
	n = 40000;
	big = malloc(4 * n);
	if (!big) {
		CHECK_MSG(0, "cannot allocate test data");
		return;
	}
	for (i = 0; i < n; i++) {
		big[2 * i] = '\xC3';
		big[2 * i + 1] = '\xA9';
	}
	cell_xml_text(&out, big, 2 * n);
	CHECK_INT_EQ(out.len, 2 * 32767);
	CHECK((unsigned char)out.data[out.len - 2] == 0xC3);
	/* Mixed widths: one ASCII byte, then 4-byte characters. */
	buf_reset(&out);
	big[0] = 'x';
	for (i = 1; i + 4 <= 4 * n; i += 4)
		memcpy(big + i, "\xF0\x9F\x98\x80", 4);
	cell_xml_text(&out, big, i);
	for (chars = 0, i = 0; i < out.len; i++)
		if (((unsigned char)out.data[i] & 0xC0) != 0x80)
			chars++;
	CHECK_INT_EQ(chars, 32767);
	CHECK_INT_EQ(out.len, 1 + 4 * 32766);
	/* Exactly at the limit: nothing cut. */
	buf_reset(&out);
	memset(big, 'y', 32767);
	cell_xml_text(&out, big, 32767);
	CHECK_INT_EQ(out.len, 32767);
	buf_reset(&out);
	cell_xml_text(&out, big, 32768);
	CHECK_INT_EQ(out.len, 32767);
	free(big);
	buf_free(&out);
}

static void test_diag(void)
{
	char big[200];

	CHECK_STR_EQ(diag("abc", 3, 80), "abc");
	CHECK_STR_EQ(diag("\x1b[31mred", 8, 80), "\\x1b[31mred");
	CHECK_STR_EQ(diag("a\tb\nc\rd\\e", 9, 80), "a\\tb\\nc\\rd\\\\e");
	CHECK_STR_EQ(diag("\x7f\x01", 2, 80), "\\x7f\\x01");
	CHECK_STR_EQ(diag("a\0b", 3, 80), "a\\x00b");
	CHECK_STR_EQ(diag("caf\xC3\xA9", 5, 80), "caf\xC3\xA9");
	memset(big, 'z', sizeof(big));
	CHECK_STR_EQ(diag(big, sizeof(big), 5), "zzzzz...");
	CHECK_STR_EQ(diag(big, 5, 5), "zzzzz");
	/* A cut does not split a UTF-8 character. */
	CHECK_STR_EQ(diag("ab\xC3\xA9xyz", 7, 3), "ab...");
	CHECK_STR_EQ(diag("ab\xC3\xA9xyz", 7, 4), "ab\xC3\xA9...");
}

int main(void)
{
	test_trigger();
	test_csv();
	test_csv_utf8();
	test_xml();
	test_diag();
	UNIT_END("cell");
}
