/*
 * test_util.c - unit tests for util.c: the buffer, the string copies,
 * str_ieq and the UTF-8 helpers.  (Exit on out of memory is not tested: it cannot be provoked
 * portably without taking over malloc.)
 */
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "util.h"

static void test_buf(void)
{
	buf b = {0};
	size_t i;
	int bad = 0;

	CHECK_STR_EQ(buf_cstr(&b), "");
	CHECK_INT_EQ(b.len, 0);
	buf_puts(&b, "hello");
	buf_putc(&b, ' ');
	buf_append(&b, "world!!", 5);
	CHECK_STR_EQ(buf_cstr(&b), "hello world");
	CHECK_INT_EQ(b.len, 11);
	CHECK(b.data[b.len] == '\0');
	buf_append(&b, "\0x", 2);
	CHECK_INT_EQ(b.len, 13);
	CHECK_MEM_EQ(b.data, b.len, "hello world\0x", (size_t)13);
	buf_reset(&b);
	CHECK_INT_EQ(b.len, 0);
	CHECK_STR_EQ(buf_cstr(&b), "");
	buf_append(&b, NULL, 0);
	CHECK_INT_EQ(b.len, 0);

	/* Growth keeps the contents. */
	for (i = 0; i < 100000; i++)
		buf_putc(&b, (char)('a' + i % 26));
	CHECK_INT_EQ(b.len, 100000);
	CHECK(b.cap > b.len);
	for (i = 0; i < 100000; i++)
		if (b.data[i] != (char)('a' + i % 26))
			bad++;
	CHECK_INT_EQ(bad, 0);
	CHECK(b.data[100000] == '\0');
	buf_free(&b);
	CHECK(b.data == NULL);
	CHECK_INT_EQ(b.len, 0);
	CHECK_INT_EQ(b.cap, 0);
	buf_free(&b); /* twice is harmless */
	buf_free(NULL);
}

static void test_strings(void)
{
	char *s;
	int *p;

	s = xstrdup("abc");
	CHECK_STR_EQ(s, "abc");
	free(s);
	s = xstrndup("abcdef", 3);
	CHECK_STR_EQ(s, "abc");
	free(s);
	s = xstrndup("a\0c", 3);
	CHECK(s[0] == 'a' && s[1] == '\0' && s[2] == 'c' && s[3] == '\0');
	free(s);
	s = xasprintf("%s-%d-%05.1f", "x", 42, 3.14159);
	CHECK_STR_EQ(s, "x-42-003.1");
	free(s);
	s = xasprintf("%s", "");
	CHECK_STR_EQ(s, "");
	free(s);
	p = xcalloc(10, sizeof(*p));
	CHECK(p[0] == 0 && p[9] == 0);
	p = xrealloc(p, 1000 * sizeof(*p));
	CHECK(p[9] == 0);
	p[999] = 7;
	CHECK_INT_EQ(p[999], 7);
	free(p);
	s = xmalloc(0);
	CHECK(s != NULL);
	free(s);
}

static void test_ieq(void)
{
	CHECK(str_ieq("Serial_Number", "serial_number"));
	CHECK(str_ieq("", ""));
	CHECK(str_ieq("ABC", "abc"));
	CHECK(!str_ieq("abc", "abcd"));
	CHECK(!str_ieq("abcd", "abc"));
	CHECK(!str_ieq("abc", "abd"));
	CHECK(!str_ieq("[", "{")); /* not case pairs */
	CHECK(!str_ieq("@", "`"));
	CHECK(!str_ieq("\xC3\x89", "\xC3\xA9")); /* ASCII only */
}

/* "a", U+00E9, U+20AC, U+1F600: 1 + 2 + 3 + 4 bytes. */
static const char MIXED[] = "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80";

static void test_utf8_count_and_cut(void)
{
	size_t n = strlen(MIXED);

	CHECK_INT_EQ(n, 10);
	CHECK_INT_EQ(utf8_chars(MIXED, n, (size_t)-1), 4);
	CHECK_INT_EQ(utf8_chars(MIXED, n, 2), 2);
	CHECK_INT_EQ(utf8_chars(MIXED, 0, (size_t)-1), 0);
	/* a cut character still counts once; stray tails not at all */
	CHECK_INT_EQ(utf8_chars(MIXED, 4, (size_t)-1), 3);
	CHECK_INT_EQ(utf8_chars("\x80\xBF", 2, (size_t)-1), 0);

	CHECK_INT_EQ(utf8_prefix(MIXED, n, 0), 0);
	CHECK_INT_EQ(utf8_prefix(MIXED, n, 1), 1);
	CHECK_INT_EQ(utf8_prefix(MIXED, n, 2), 3);
	CHECK_INT_EQ(utf8_prefix(MIXED, n, 3), 6);
	CHECK_INT_EQ(utf8_prefix(MIXED, n, 4), 10);
	CHECK_INT_EQ(utf8_prefix(MIXED, n, 99), 10);
	CHECK_INT_EQ(utf8_prefix(MIXED, 5, 3), 5); /* fewer: all of it */

	/* a cut before any byte never splits a character */
	CHECK_INT_EQ(utf8_floor(MIXED, 0), 0);
	CHECK_INT_EQ(utf8_floor(MIXED, 1), 1);
	CHECK_INT_EQ(utf8_floor(MIXED, 2), 1);
	CHECK_INT_EQ(utf8_floor(MIXED, 3), 3);
	CHECK_INT_EQ(utf8_floor(MIXED, 5), 3);
	CHECK_INT_EQ(utf8_floor(MIXED, 7), 6);
	CHECK_INT_EQ(utf8_floor(MIXED, 9), 6);
	/* in a run of stray tails it goes back 3 bytes at most */
	CHECK_INT_EQ(utf8_floor("\x80\x80\x80\x80\x80\x80", 5), 2);
}

static void test_utf8_decode(void)
{
	static const struct {
		const char *s;
		size_t len, n, bad;
		uint32_t cp;
	} cases[] = {
		{"A", 1, 1, 0, 0x41},
		{"\xC3\xA9", 2, 2, 0, 0xE9},
		{"\xE2\x82\xAC", 3, 3, 0, 0x20AC},
		{"\xF0\x9F\x98\x80", 4, 4, 0, 0x1F600},
		{"\xF4\x8F\xBF\xBF", 4, 4, 0, 0x10FFFF},
		{"\x80", 1, 0, 1, 0},		  /* a lone tail */
		{"\xC0\xAF", 2, 0, 1, 0},	  /* overlong '/' */
		{"\xE0\x80\x80", 3, 0, 1, 0},	  /* overlong */
		{"\xED\xA0\x80", 3, 0, 1, 0},	  /* a surrogate */
		{"\xF4\x90\x80\x80", 4, 0, 1, 0}, /* above U+10FFFF */
		{"\xF5\x80", 2, 0, 1, 0},
		{"\xE2\x82", 2, 0, 2, 0}, /* cut short: one subpart */
		{"\xE2\x82"
		 "A",
		 3, 0, 2, 0},
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		uint32_t cp = 0;
		size_t bad = 0;
		size_t n = utf8_decode((const unsigned char *)cases[i].s,
				       cases[i].len, &cp, &bad);

		CHECK_MSG(n == cases[i].n, "case %zu: length %zu", i, n);
		if (cases[i].n)
			CHECK_MSG(cp == cases[i].cp, "case %zu: U+%04X", i,
				  (unsigned)cp);
		else
			CHECK_MSG(bad == cases[i].bad, "case %zu: bad %zu", i,
				  bad);
	}
}

/* Group names match in any case, beyond ASCII too; the order is total. */
static void test_utf8_casecmp(void)
{
	static const struct {
		const char *a, *b;
		int want; /* sign */
	} cases[] = {
		{"Sales", "sALES", 0},
		{"\xc3\x89quipe", "\xc3\xa9QUIPE", 0}, /* Équipe */
		{"B\xc3\x9cRO", "b\xc3\xbcro", 0},     /* BÜRO */
		{"\xc5\x81\xc3\x93"
		 "D\xc5\xb9",
		 "\xc5\x82\xc3\xb3"
		 "d\xc5\xba",
		 0}, /* ŁÓDŹ */
		{"\xce\x9f\xce\x9c\xce\x91\xce\x94\xce\x91",
		 "\xce\xbf\xce\xbc\xce\xb1\xce\xb4\xce\xb1", 0}, /* ΟΜΑΔΑ */
		{"\xd0\x9e\xd1\x82\xd0\xb4\xd0\x95\xd0\x9b",
		 "\xd0\xbe\xd1\x82\xd0\xb4\xd0\xb5\xd0\xbb", 0}, /* ОтдЕЛ */
		{"\xd0\x81", "\xd1\x91", 0},			 /* Ё ё */
		{"\xef\xbc\xa1", "\xef\xbd\x81", 0}, /* fullwidth A a */
		{"STRA\xe1\xba\x9e"
		 "E",
		 "stra\xc3\x9f"
		 "e",
		 0},			      /* ẞ ß */
		{"\xc3\x97", "\xc3\xb7", -1}, /* × and ÷ are no letters */
		{"Sales", "Sales2", -1},
		{"Sales2", "Sales", 1},
		{"a", "B", -1},
		{"\xc3\xa9", "f", 1},	 /* é after every ASCII letter */
		{"\xff", "\xc3\xa9", 1}, /* a bad byte after code points */
		{"\xff", "\xfe", 1},
		{"\xc3", "\xc3", 0},
		{"", "", 0},
		{"", "a", -1},
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int r = utf8_casecmp(cases[i].a, strlen(cases[i].a), cases[i].b,
				     strlen(cases[i].b));
		int sign = (r > 0) - (r < 0);
		int back = utf8_casecmp(cases[i].b, strlen(cases[i].b),
					cases[i].a, strlen(cases[i].a));

		CHECK_MSG(sign == cases[i].want, "case %zu: %d, want %d", i,
			  sign, cases[i].want);
		CHECK_MSG(((back > 0) - (back < 0)) == -cases[i].want,
			  "case %zu reversed: %d", i, back);
	}
	CHECK(case_fold(0x130) == 0x130); /* dotted I: no simple folding */
	CHECK(case_fold(0x3A2) == 0x3A2); /* unassigned between Rho and Sigma */
	CHECK(case_fold(0x1C5) == 0x1C6);
	CHECK(case_fold(0x178) == 0xFF);
}

int main(void)
{
	test_buf();
	test_strings();
	test_ieq();
	test_utf8_count_and_cut();
	test_utf8_decode();
	test_utf8_casecmp();
	UNIT_END("util");
}
