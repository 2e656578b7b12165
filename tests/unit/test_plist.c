/*
 * test_plist.c - unit tests for plist.c: Endpoint, UDID, EnrollmentID and
 * Data from a DeclarativeManagement check-in as a device sends it, missing
 * and look-alike keys, self-closing elements, entities and CDATA (returned
 * verbatim: not decoded), the tag buffer, and truncated or malformed input
 * read strictly within its length.
 */
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "plist.h"
#include "unit.h"

static const char checkin[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" "
	"\"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n"
	"<plist version=\"1.0\">\n"
	"<dict>\n"
	"\t<key>Data</key>\n"
	"\t<data>\n"
	"\teyJTdGF0dXNJdGVtcyI6eyJzb2Z0d2FyZXVwZGF0ZSI6eyJpbnN0YWxs\n"
	"\tLXN0YXRlIjoiZG93bmxvYWRpbmcifX0sIkVycm9ycyI6W119\n"
	"\t</data>\n"
	"\t<key>Endpoint</key>\n"
	"\t<string>status</string>\n"
	"\t<key>EnrollmentID</key>\n"
	"\t<string>A&amp;B-1</string>\n"
	"\t<key>MessageType</key>\n"
	"\t<string>DeclarativeManagement</string>\n"
	"\t<key>UDID</key>\n"
	"\t<string>00008110-8E9082B8BC75F5EB</string>\n"
	"</dict>\n"
	"</plist>\n";

/* The value of key in s[0..len) as a C string, or NULL.  Static buffer. */
static char got[4096], tag[32];

static const char *get(const char *s, size_t len, const char *key)
{
	const char *v = NULL;
	size_t vlen = 0;

	tag[0] = '\0';
	if (!plist_value(s, len, key, &v, &vlen, tag, sizeof tag))
		return NULL;
	if (v < s || v + vlen > s + len || vlen >= sizeof got)
		return "(out of bounds)";
	memcpy(got, v, vlen);
	got[vlen] = '\0';
	return got;
}

#define GET(lit, key) get((lit), strlen(lit), (key))

static void test_checkin(void)
{
	buf json = {0};
	const char *d;

	CHECK_STR_EQ(GET(checkin, "Endpoint"), "status");
	CHECK_STR_EQ(tag, "string");
	CHECK_STR_EQ(GET(checkin, "UDID"), "00008110-8E9082B8BC75F5EB");
	CHECK_STR_EQ(GET(checkin, "MessageType"), "DeclarativeManagement");
	d = GET(checkin, "Data");
	CHECK_STR_EQ(tag, "data");
	CHECK(d && b64_decode(d, strlen(d), &json));
	CHECK_STR_EQ(json.data, "{\"StatusItems\":{\"softwareupdate\":{"
				"\"install-state\":\"downloading\"}},"
				"\"Errors\":[]}");
	buf_free(&json);
}

static void test_missing_keys(void)
{
	CHECK(GET(checkin, "Token") == NULL);
	CHECK(GET(checkin, "End") == NULL);	 /* a prefix of a key */
	CHECK(GET(checkin, "endpoint") == NULL); /* keys are case-sensitive */
	CHECK(GET(checkin, "status") == NULL);	 /* a value, not a key */
	CHECK(GET("", "Endpoint") == NULL);
	CHECK(GET("<dict></dict>", "Endpoint") == NULL);
	/* a longer key first, then the one asked for */
	CHECK_STR_EQ(GET("<key>UDIDs</key><string>x</string>"
			 "<key>UDID</key><string>y</string>",
			 "UDID"),
		     "y");
	/* a key with no element after it */
	CHECK(GET("<dict><key>UDID</key></dict>", "UDID") == NULL);
	CHECK(GET("<key>UDID</key>", "UDID") == NULL);
}

static void test_entities_cdata(void)
{
	/* entities are not decoded (identifiers and Base64 have none) */
	CHECK_STR_EQ(GET(checkin, "EnrollmentID"), "A&amp;B-1");
	CHECK_STR_EQ(GET("<key>K</key><string>&lt;&#65;&gt;</string>", "K"),
		     "&lt;&#65;&gt;");
	/* CDATA is not interpreted: the section comes back as written */
	CHECK_STR_EQ(GET("<key>K</key><string><![CDATA[a&b]]></string>", "K"),
		     "<![CDATA[a&b]]>");
}

static void test_elements(void)
{
	const char *v;
	size_t vlen;
	char small[4];

	CHECK_STR_EQ(GET("<key>K</key><string/>", "K"), "");
	CHECK_STR_EQ(tag, "string");
	CHECK_STR_EQ(GET("<key>K</key>\n\t<string></string>", "K"), "");
	CHECK_STR_EQ(GET("<key>K</key><integer>42</integer>", "K"), "42");
	CHECK_STR_EQ(tag, "integer");
	CHECK_STR_EQ(GET("<key>K</key><true/>", "K"), "");
	CHECK_STR_EQ(tag, "true");
	/* the tag is cut to the buffer */
	CHECK(plist_value(checkin, strlen(checkin), "Endpoint", &v, &vlen,
			  small, sizeof small));
	CHECK_STR_EQ(small, "str");
	CHECK_INT_EQ(vlen, 6);
	/* malformed elements */
	CHECK(GET("<key>K</key><>x</>", "K") == NULL);
	CHECK(GET("<key>K</key><string>x</data>", "K") == NULL);
	CHECK(GET("<key>K</key><aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa>x"
		  "</aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa>",
		  "K") == NULL); /* a tag name longer than any plist's */
}

static void test_truncated(void)
{
	const char *end = strstr(checkin, "<string>status</string>");
	size_t at = (size_t)(end - checkin);

	/* cut inside the value, the closing tag and the opening tag */
	CHECK(get(checkin, at + 11, "Endpoint") == NULL);
	CHECK(get(checkin, at + 20, "Endpoint") == NULL);
	CHECK(get(checkin, at + 4, "Endpoint") == NULL);
	CHECK(get(checkin, at, "Endpoint") == NULL);
	/* cut inside the key */
	CHECK(get(checkin, at - 12, "Endpoint") == NULL);
	/* the whole closing tag is needed */
	CHECK_STR_EQ(get(checkin, at + 23, "Endpoint"), "status");
	CHECK(get(checkin, at + 22, "Endpoint") == NULL);
	/* every prefix of the plist either fails or gives a value within it */
	for (size_t n = 0; n <= strlen(checkin); n++) {
		const char *v = get(checkin, n, "UDID");

		CHECK(v == NULL || strcmp(v, "00008110-8E9082B8BC75F5EB") == 0);
	}
}

int main(void)
{
	test_checkin();
	test_missing_keys();
	test_entities_cdata();
	test_elements();
	test_truncated();
	UNIT_END("plist");
}
