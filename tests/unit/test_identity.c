/*
 * test_identity.c - unit tests for the pure parts of sources/identity.c:
 * a serial as the device's identity (blanks and invisible characters,
 * case), placeholder serials, and enrollment ids in any case.
 */
#include <string.h>

#include "sources/identity.h"
#include "unit.h"

static const char *serial(const char *s)
{
	static char out[128];

	identity_serial(s, strlen(s), out, sizeof out);
	return out;
}

static void test_serial(void)
{
	CHECK_STR_EQ(serial("C02XK1ABJGH5"), "C02XK1ABJGH5");
	CHECK_STR_EQ(serial("c02xk1abjgh5"), "C02XK1ABJGH5");
	CHECK_STR_EQ(serial("  c02xk1abjgh5\t\r\n"), "C02XK1ABJGH5");
	/* no-break spaces at both ends */
	CHECK_STR_EQ(serial("\xC2\xA0"
			    "C02X\xC2\xA0"),
		     "C02X");
	/* zero-width space, non-joiner, joiner, word joiner, BOM anywhere */
	CHECK_STR_EQ(serial("\xE2\x80\x8B"
			    "C02X"),
		     "C02X");
	CHECK_STR_EQ(serial("C0\xE2\x80\x8C"
			    "2X\xE2\x80\x8D"),
		     "C02X");
	CHECK_STR_EQ(serial("C02\xE2\x81\xA0X"), "C02X");
	CHECK_STR_EQ(serial("\xEF\xBB\xBF"
			    "C02X"),
		     "C02X");
	CHECK_STR_EQ(serial("C02X \xE2\x80\x8B "), "C02X");
	/* a blank inside is kept: it is not ours to guess */
	CHECK_STR_EQ(serial("Not Available"), "NOT AVAILABLE");
	/* only invisible characters: nothing */
	CHECK_INT_EQ(identity_serial("\xE2\x80\x8B \xEF\xBB\xBF", 7,
				     (char[8]){0}, 8),
		     0);
	CHECK_INT_EQ(identity_serial("", 0, (char[8]){0}, 8), 0);
	/* other non-ASCII bytes stay as they are */
	CHECK_STR_EQ(serial("C\xC3\xA9"), "C\xC3\xA9");
	/* bidi controls: marks, overrides, isolates; a curly quote (E2 80 9C)
	 * or an Arabic letter (D8 xx) beside them is kept */
	CHECK_STR_EQ(serial("\xE2\x80\x8E"
			    "C02X\xE2\x80\x8F"),
		     "C02X");
	CHECK_STR_EQ(serial("C0\xE2\x80\xAE"
			    "2X\xE2\x80\xAC"),
		     "C02X");
	CHECK_STR_EQ(serial("\xE2\x81\xA6"
			    "C02X\xE2\x81\xA9\xD8\x9C"),
		     "C02X");
	CHECK_STR_EQ(serial("C02X\xE2\x80\x9C"), "C02X\xE2\x80\x9C");
	CHECK_STR_EQ(serial("C02X\xD8\xA7"), "C02X\xD8\xA7");
	/* cut at cap - 1 */
	{
		char out[4];

		CHECK_INT_EQ(identity_serial("abcdef", 6, out, sizeof out), 3);
		CHECK_STR_EQ(out, "ABC");
	}
}

static void test_placeholder(void)
{
	CHECK(identity_placeholder("0"));
	CHECK(identity_placeholder("NOT AVAILABLE"));
	CHECK(identity_placeholder("N/A"));
	CHECK(identity_placeholder("UNKNOWN"));
	CHECK(identity_placeholder("SYSTEM SERIAL NUMBER"));
	CHECK(!identity_placeholder("C02XK1ABJGH5"));
	CHECK(!identity_placeholder("000000000000")); /* scrubbed captures */
	CHECK(!identity_placeholder("00"));
	CHECK(!identity_placeholder(""));
	CHECK(!identity_placeholder(NULL));
}

static void test_id(void)
{
	char out[64];

	CHECK_STR_EQ(identity_id("a047820f-fc6b-4104-bed0-466876d82bb8", out,
				 sizeof out),
		     "A047820F-FC6B-4104-BED0-466876D82BB8");
	CHECK_STR_EQ(identity_id("00008110-72488B810DFAFE39", out, sizeof out),
		     "00008110-72488B810DFAFE39");
	/* too long for the buffer: the id as it is */
	{
		const char *id = "abcdef";
		char small[4];

		CHECK(identity_id(id, small, sizeof small) == id);
	}
	CHECK(identity_id(NULL, out, sizeof out) == NULL);
}

int main(void)
{
	test_serial();
	test_placeholder();
	test_id();
	UNIT_END("identity");
}
