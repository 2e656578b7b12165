/*
 * test_util.c - unit tests for util.c: the buffer, the string copies and
 * str_ieq.  (Exit on out of memory is not tested: it cannot be provoked
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

int main(void)
{
	test_buf();
	test_strings();
	test_ieq();
	UNIT_END("util");
}
