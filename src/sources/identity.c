/*
 * identity.c - ids that stand for a serial number (see identity.h).
 *
 * The lookups are statements of queries/store.sql; a Jamf device id is
 * looked up in its own type's column because Jamf numbers computers and
 * mobile devices separately (computer 1 and mobile device 1 are two
 * devices).
 */
#define _DEFAULT_SOURCE
#include "sources/identity.h"

#include <string.h>
#include <strings.h>

static void upper(buf *b)
{
	for (size_t i = 0; i < b->len; i++)
		if (b->data[i] >= 'a' && b->data[i] <= 'z')
			b->data[i] = (char)(b->data[i] - 32);
}

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

ddm_err identity_learn(store *s, const char *id, const char *serial,
		       int64_t file)
{
	store_stmt *st;
	char sn[128], idu[IDENTITY_ID_MAX];

	if (!id || !*id || !serial || strlen(serial) > IDENTITY_SERIAL_MAX ||
	    !identity_serial(serial, strlen(serial), sn, sizeof sn) ||
	    identity_placeholder(sn))
		return DDM_OK;
	serial = sn;
	id = identity_id(id, idu, sizeof idu);
	st = store_stmt_get(s, "enrollment_put");
	if (!st)
		return DDM_ERR_INTERNAL;
	store_bind_text(st, store_stmt_param(st, ":enrollment_id"), id,
			strlen(id));
	store_bind_text(st, store_stmt_param(st, ":serial_number"), serial,
			strlen(serial));
	store_bind_int(st, store_stmt_param(st, ":file"), file);
	return store_stmt_run(st, NULL, NULL);
}

static ddm_err lookup(store *s, const char *name, const char *param,
		      const char *id, buf *out, bool *found)
{
	store_stmt *st = store_stmt_get(s, name);
	ddm_err err;

	*found = false;
	if (!st)
		return DDM_ERR_INTERNAL;
	if (!id || !*id)
		return DDM_OK;
	store_bind_text(st, store_stmt_param(st, param), id, strlen(id));
	err = store_stmt_text(st, out, found);
	if (!err && *found)
		upper(out);
	return err;
}

ddm_err identity_find(store *s, const char *id, buf *out, bool *found)
{
	char idu[IDENTITY_ID_MAX];
	const char *up = identity_id(id, idu, sizeof idu);
	ddm_err err =
		lookup(s, "enrollment_get", ":enrollment_id", up, out, found);

	if (!err && !*found && up != id && strcmp(up, id) != 0)
		err = lookup(s, "enrollment_get", ":enrollment_id", id, out,
			     found);
	if (err || *found)
		return err;
	return lookup(s, "management_serial", ":management_id", id, out, found);
}

identity_jamf_type identity_jamf_type_of(const char *t)
{
	if (t &&
	    (strcasecmp(t, "MOBILE_DEVICE") == 0 ||
	     strcasecmp(t, "APPLE_TV") == 0 || strcasecmp(t, "MOBILE") == 0))
		return IDENTITY_JAMF_MOBILE;
	return IDENTITY_JAMF_COMPUTER;
}

const char *identity_jamf_column(identity_jamf_type t)
{
	return t == IDENTITY_JAMF_MOBILE ? "jamf_mobile_device_id"
					 : "jamf_computer_id";
}

ddm_err identity_jamf(store *s, identity_jamf_type t, const char *id, buf *out,
		      bool *found)
{
	return lookup(s,
		      t == IDENTITY_JAMF_MOBILE ? "jamf_mobile_serial"
						: "jamf_serial",
		      ":jamf_id", id, out, found);
}
