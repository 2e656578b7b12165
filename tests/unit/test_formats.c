/*
 * test_formats.c - status and platform words, and header detection, with
 * the built-in queries/formats files (the compiled-in defaults).
 */
#include <string.h>

#include "formats.h"
#include "res.h"
#include "unit.h"

static const char *status(const formats *fs, const format *f, const char *s,
			  char *reason, size_t cap)
{
	const char *r;
	size_t rlen;
	const char *st = formats_status(fs, f, s, strlen(s), &r, &rlen);

	reason[0] = '\0';
	if (r)
		snprintf(reason, cap, "%.*s", (int)rlen, r);
	return st;
}

static void test_status_words(const formats *fs, const format *canon)
{
	static const struct {
		const char *word, *status, *reason;
	} cases[] = {
		/* Kandji, any case, with spaces */
		{"PENDING", "Pending", ""},
		{"Downloading", "Downloading", ""},
		{"  downloading ", "Downloading", ""},
		{"CACHED", "Cached", ""},
		{"INSTALLING", "Installing", ""},
		{"PASS", "Pass", ""},
		{"ERROR", "Error", ""},
		{"INCOMPATIBLE", "Incompatible", ""},
		{"EXCLUDED", "Excluded", ""},
		/* DDM install-state (no "error": it is "failed") */
		{"none", "Idle", ""}, /* nothing pending: idle, not waiting */
		{"waiting", "Pending", ""},
		{"prepared", "Cached", ""},
		{"installing", "Installing", ""},
		{"failed", "Error", ""},
		/* Jamf, the suffix kept as the reason */
		{"IDLE", "Idle", ""},
		/* action needed: the Jamf word is the reason */
		{"DOWNLOAD_REQUIRES_COMPUTER", "Error",
		 "DOWNLOAD_REQUIRES_COMPUTER"},
		{"INSTALL_PHONE_CALL_IN_PROGRESS", "Error",
		 "INSTALL_PHONE_CALL_IN_PROGRESS"},
		{"INSTALLED", "Pass", ""},
		{"DOWNLOAD_FAILED", "Error", ""},
		{"INSTALL_FAILED", "Error", ""},
		{"DOWNLOAD_INSUFFICIENT_SPACE", "Error", "SPACE"},
		{"INSTALL_INSUFFICIENT_POWER", "Error", "POWER"},
		/* anything else is Unknown, never dropped */
		{"Snoozed", "Unknown", ""},
		{"", "Unknown", ""},
		{"passing", "Unknown", ""},
		{"error!", "Unknown", ""},
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char reason[64];
		const char *st =
			status(fs, canon, cases[i].word, reason, sizeof reason);

		CHECK_MSG(st && strcmp(st, cases[i].status) == 0,
			  "'%s' -> %s, want %s", cases[i].word,
			  st ? st : "(null)", cases[i].status);
		CHECK_MSG(strcmp(reason, cases[i].reason) == 0,
			  "'%s' reason '%s', want '%s'", cases[i].word, reason,
			  cases[i].reason);
	}
	/* the memo answers the same the second time */
	for (int k = 0; k < 3; k++) {
		char reason[64];

		CHECK_STR_EQ(status(fs, canon, "DOWNLOAD_INSUFFICIENT_SPACE",
				    reason, sizeof reason),
			     "Error");
		CHECK_STR_EQ(reason, "SPACE");
	}
}

static void test_platforms(const formats *fs)
{
	static const struct {
		const char *in, *out;
	} p[] = {
		{"macOS", "macOS"},   {"MacOS", "macOS"}, {"mac os x", "macOS"},
		{"OS X", "macOS"},    {"ios", "iOS"},	  {"iPhone OS", "iOS"},
		{"iPadOS", "iPadOS"}, {"tvOS", "tvOS"},	  {"Windows", NULL}};
	static const struct {
		const char *model, *platform;
	} m[] = {{"Mac15,3", "macOS"},	  {"MacBookPro18,1", "macOS"},
		 {"iMac24,1", "macOS"},	  {"Macmini9,1", "macOS"},
		 {"iPhone16,1", "iOS"},	  {"iPad14,3", "iPadOS"},
		 {"AppleTV14,1", "tvOS"}, {"Pixel 8", NULL}};

	for (size_t i = 0; i < sizeof p / sizeof p[0]; i++) {
		const char *got =
			formats_platform(fs, p[i].in, strlen(p[i].in));

		CHECK_MSG(got == p[i].out || (got && p[i].out &&
					      strcmp(got, p[i].out) == 0),
			  "platform '%s' -> %s", p[i].in, got ? got : "(null)");
	}
	for (size_t i = 0; i < sizeof m / sizeof m[0]; i++) {
		const char *got = formats_platform_of_model(fs, m[i].model,
							    strlen(m[i].model));

		CHECK_MSG(got == m[i].platform ||
				  (got && m[i].platform &&
				   strcmp(got, m[i].platform) == 0),
			  "model '%s' -> %s", m[i].model, got ? got : "(null)");
	}
}

/* Detects a header given as one comma-separated string. */
static const char *detect(const formats *fs, const char *header,
			  int col[F__COUNT])
{
	char copy[512];
	const char *names[32];
	size_t lens[32], n = 0;
	const format *f;

	snprintf(copy, sizeof copy, "%s", header);
	for (char *p = strtok(copy, ","); p && n < 32; p = strtok(NULL, ",")) {
		names[n] = p;
		lens[n++] = strlen(p);
	}
	f = formats_detect(fs, names, lens, n, col);
	return f ? format_name(f) : "(none)";
}

static void test_detect(const formats *fs)
{
	int col[F__COUNT];

	CHECK_STR_EQ(detect(fs,
			    "serial_number,device_name,blueprint_name,name,"
			    "status,type,reported_at,last_audit_log,log",
			    col),
		     "kandji");
	CHECK_INT_EQ(col[F_GROUP], 2);
	CHECK_INT_EQ(col[F_FAILURE_REASON], 8);
	CHECK_INT_EQ(col[F_DEVICE_NAME], 1);
	CHECK_STR_EQ(detect(fs, "Reported At,STATUS,Serial Number", col),
		     "canonical-status");
	CHECK_INT_EQ(col[F_SERIAL_NUMBER], 2);
	CHECK_INT_EQ(col[F_REPORTED_AT], 0);
	CHECK_STR_EQ(detect(fs,
			    "platform,group,serial_number,target_os_version,"
			    "target_build_version,target_local_datetime,"
			    "details_url",
			    col),
		     "canonical-targets");
	CHECK_STR_EQ(detect(fs, "serial_number,device_name,time_zone", col),
		     "canonical-inventory");
	CHECK_STR_EQ(detect(fs,
			    "Computer Name,Serial Number,Username,Email "
			    "Address,Jamf Pro Computer ID",
			    col),
		     "jamf-inventory");
	CHECK_INT_EQ(col[F_USER], 3); /* email before username */
	CHECK_STR_EQ(detect(fs,
			    "Serial Number,Status,Download Percent "
			    "Complete,Updated",
			    col),
		     "jamf-status");
	CHECK_STR_EQ(detect(fs, "foo,bar", col), "(none)");
	CHECK_STR_EQ(detect(fs, "status,reported_at", col), "(none)");
}

int main(void)
{
	formats *fs = NULL;
	const format *canon;
	int col[F__COUNT];
	const char *names[] = {"serial_number", "status", "reported_at"};
	size_t lens[] = {13, 6, 11};

	CHECK(formats_load(&fs) == DDM_OK);
	if (!fs)
		return 1;
	canon = formats_detect(fs, names, lens, 3, col);
	CHECK(canon != NULL);
	if (canon)
		test_status_words(fs, canon);
	test_platforms(fs);
	test_detect(fs);
	formats_free(fs);
	res_free_all();
	UNIT_END("formats");
}
