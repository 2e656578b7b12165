/*
 * test_b64.c - unit tests for b64.c: the RFC 4648 section 10 vectors,
 * optional padding, whitespace and line breaks as NanoMDM and plist <data>
 * send them, binary output, appending, and rejection of other alphabets,
 * stray characters and misplaced padding.
 */
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "unit.h"

/* Decodes a C string; NULL when b64_decode rejects it.  Static buffer. */
static buf dec_out;

static const char *dec(const char *s)
{
	buf_free(&dec_out);
	if (!b64_decode(s, strlen(s), &dec_out))
		return NULL;
	return dec_out.data;
}

static bool ok(const char *s)
{
	return dec(s) != NULL;
}

static void test_rfc4648(void)
{
	static const char *const v[][2] = {
		{"", ""},
		{"Zg==", "f"},
		{"Zm8=", "fo"},
		{"Zm9v", "foo"},
		{"Zm9vYg==", "foob"},
		{"Zm9vYmE=", "fooba"},
		{"Zm9vYmFy", "foobar"},
	};

	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
		CHECK_STR_EQ(dec(v[i][0]), v[i][1]);
}

static void test_padding_optional(void)
{
	CHECK_STR_EQ(dec("Zg"), "f");
	CHECK_STR_EQ(dec("Zm8"), "fo");
	CHECK_STR_EQ(dec("Zm9vYg"), "foob");
	CHECK_STR_EQ(dec("Zm9vYmE"), "fooba");
	CHECK_STR_EQ(dec("Zg==\n"), "f");
	CHECK_STR_EQ(dec("Zg= =\r\n"), "f");
}

static void test_whitespace(void)
{
	/* plist <data> as MDM clients wrap it: a newline, then tab-indented
	 * lines, then a tab before </data> */
	CHECK_STR_EQ(dec("\n\tZm9v\n\tYmFy\n\t"), "foobar");
	CHECK_STR_EQ(dec("Zm9v\r\nYmFy\r\n"), "foobar");
	CHECK_STR_EQ(dec(" Z m 9 v Y m F y "), "foobar");
	CHECK_STR_EQ(dec("Zm9vYg\n=="), "foob");
	CHECK_STR_EQ(dec("\n\n\t \r"), "");
	/* a check-in plist header, as raw_payload carries it */
	CHECK_STR_EQ(
		dec("PD94bWwgdmVyc2lvbj0iMS4wIiBlbmNvZGluZz0iVVRGLTgiPz4K"),
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
}

static void test_binary(void)
{
	buf out = {0};
	static const unsigned char want[] = {0x00, 0x01, 0x02, 0xff,
					     0xfb, 0xff, 0xbf};

	CHECK(b64_decode("AAEC//v/vw==", 12, &out));
	CHECK_MEM_EQ(out.data, out.len, want, sizeof want);
	CHECK(out.data[out.len] == '\0');
	buf_free(&out);

	/* only len bytes are read */
	CHECK(b64_decode("Zm9vYmFy", 4, &out));
	CHECK_STR_EQ(out.data, "foo");
	buf_free(&out);
}

static void test_appends(void)
{
	buf out = {0};

	buf_puts(&out, "x:");
	CHECK(b64_decode("Zm9v", 4, &out));
	CHECK_STR_EQ(out.data, "x:foo");
	buf_free(&out);
}

/* Every byte value through a small encoder and back. */
static void test_roundtrip(void)
{
	static const char a[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuv"
		"wxyz0123456789+/";
	unsigned char raw[256];
	buf enc = {0}, out = {0};

	for (int i = 0; i < 256; i++)
		raw[i] = (unsigned char)(255 - i);
	for (size_t len = 0; len <= sizeof raw; len += 37) {
		buf_reset(&enc);
		buf_reset(&out);
		for (size_t i = 0; i < len; i += 3) {
			unsigned v = (unsigned)raw[i] << 16;

			if (i + 1 < len)
				v |= (unsigned)raw[i + 1] << 8;
			if (i + 2 < len)
				v |= raw[i + 2];
			buf_putc(&enc, a[v >> 18 & 63]);
			buf_putc(&enc, a[v >> 12 & 63]);
			buf_putc(&enc, i + 1 < len ? a[v >> 6 & 63] : '=');
			buf_putc(&enc, i + 2 < len ? a[v & 63] : '=');
			if (i % 57 == 54)
				buf_putc(&enc, '\n');
		}
		CHECK(b64_decode(enc.data ? enc.data : "", enc.len, &out));
		CHECK_MEM_EQ(out.data, out.len, raw, len);
	}
	buf_free(&enc);
	buf_free(&out);
}

static void test_invalid_characters(void)
{
	CHECK(!ok("Zm9v*"));
	CHECK(!ok("Zm9v.YmFy"));
	CHECK(!ok("Zm9v-_"));	    /* base64url is another alphabet */
	CHECK(!ok("Zm9v\vYmFy"));   /* only space, tab, CR and LF are blanks */
	CHECK(!ok("Zm9v\xc3\xa9")); /* non-ASCII */
	CHECK(!ok("Zm9v\\n"));	    /* an escaped newline left in */
	CHECK(!ok("\"Zm9v\""));
	{
		buf out = {0};

		CHECK(!b64_decode("Zm\0v", 4, &out)); /* NUL inside */
		buf_free(&out);
	}
}

static void test_bad_padding(void)
{
	CHECK(!ok("Zg==Zg==")); /* data after padding */
	CHECK(!ok("Zg=x"));
	CHECK(!ok("=Zm9v"));
	CHECK(!ok("Zm9v=YmFy"));
	CHECK(!ok("Z")); /* a dangling single character */
	CHECK(!ok("Z==="));
	CHECK(!ok("Zm9vY"));
	CHECK(!ok("Zm9vY=\n"));
}

int main(void)
{
	test_rfc4648();
	test_padding_optional();
	test_whitespace();
	test_binary();
	test_appends();
	test_roundtrip();
	test_invalid_characters();
	test_bad_padding();
	buf_free(&dec_out);
	UNIT_END("b64");
}
