/*
 * identity.h - who a document is about, when it does not say its serial.
 *
 * Part of the ingest stage.  Sources that identify devices by something
 * else than a serial number (enrollment ids, UDIDs, Jamf ids, Jamf
 * management ids) resolve it here against what was learned before
 * (table enrollment: ids seen beside a serial) and what the inventory
 * says (device.jamf_id, jamf_mobile_device_id, management_id).  Every
 * function returns DDM_OK or a database error; *found says whether a
 * serial was written to out (upper case, owned by the caller).
 */
#ifndef DDM_IDENTITY_H
#define DDM_IDENTITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "store.h"
#include "util.h"

/*
 * A serial number as the device's identity: s[0..len) without the blanks
 * around it (space, tab, CR, LF, the no-break space U+00A0) and without
 * the invisible characters a spreadsheet or a web page leaves anywhere in
 * it (zero-width space, non-joiner and joiner U+200B..U+200D, word joiner
 * U+2060, byte-order mark U+FEFF) and the bidirectional controls (marks
 * U+200E, U+200F, U+061C; embeddings and overrides U+202A..U+202E;
 * isolates U+2066..U+2069), which make a serial read as another one on a
 * sheet, ASCII upper-cased (Apple serials are
 * upper-case letters and digits; exports vary).  Written NUL-terminated to
 * out (cut at cap - 1 bytes); returns its length, 0 when nothing is left.
 */
size_t identity_serial(const char *s, size_t len, char *out, size_t cap);

/* A group name as targets match it: s[0..len) without the blanks around
 * it and the invisible characters anywhere (as identity_serial drops
 * them), its case kept (groups compare without case).  out has room for
 * len + 1 bytes (cap); returns its length. */
size_t identity_group(const char *s, size_t len, char *out, size_t cap);

/* The longest serial taken, in bytes as written (a CSV row with a longer
 * one is rejected; a JSON report's is rejected too, never cut: two serials
 * cut to the same bytes would be one device). */
#define IDENTITY_SERIAL_MAX 127

/*
 * Whether serial (as identity_serial wrote it) is a placeholder an export
 * writes where a device has no serial it knows (a virtual machine, a
 * record being set up): "0", "NOT AVAILABLE", "N/A", "UNKNOWN"...  Many
 * devices share it, so it names none of them.
 */
bool identity_placeholder(const char *serial);

/*
 * An enrollment id or UDID as it is kept and looked up: ASCII upper-cased
 * (UDIDs and enrollment ids are hexadecimal; one tool writes them upper
 * case, another lower case).  Writes it to out (cap bytes) and returns
 * out, or returns id itself when it does not fit.
 */
const char *identity_id(const char *id, char *out, size_t cap);
/* A buffer identity_id fills for every id but a hostile one. */
#define IDENTITY_ID_MAX 512

/* Remembers that id (enrollment id, UDID, management id) is serial (both
 * as identity_id and identity_serial write them). */
ddm_err identity_learn(store *s, const char *id, const char *serial,
		       int64_t file);
/* The serial id was learned with in any case (identity_id; a database
 * learned before ids were upper-cased: as written), or the inventory's
 * management_id. */
ddm_err identity_find(store *s, const char *id, buf *out, bool *found);

/* The Jamf object types a device id belongs to. */
typedef enum identity_jamf_type {
	IDENTITY_JAMF_COMPUTER,
	IDENTITY_JAMF_MOBILE
} identity_jamf_type;

/* Maps Jamf's objectType ("COMPUTER", "MOBILE_DEVICE", "APPLE_TV"; NULL
 * or empty = COMPUTER, as Jamf's computer-only endpoints imply). */
identity_jamf_type identity_jamf_type_of(const char *object_type);
/* The inventory column a type's ids are kept in ("jamf_computer_id"). */
const char *identity_jamf_column(identity_jamf_type t);
/* The serial of Jamf device id of type t in the inventory. */
ddm_err identity_jamf(store *s, identity_jamf_type t, const char *id, buf *out,
		      bool *found);

#endif
