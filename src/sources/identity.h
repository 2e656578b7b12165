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
#include "ident.h"
#include "store.h"
#include "util.h"

/* Remembers that id (enrollment id, UDID, management id) is serial (both
 * as identity_id and identity_serial write them). */
ddm_err identity_learn(store *s, const char *id, const char *serial,
		       int64_t file);
/* identity_learn's statement and parameters, looked up once for many
 * (merge_flush_ids writes a file's ids: looking them up by name per id
 * was 1% of a DDM ingest). */
typedef struct identity_learner {
	store_stmt *st;
	int id, serial, file;
} identity_learner;
ddm_err identity_learner_get(store *s, identity_learner *l);
ddm_err identity_learn_with(const identity_learner *l, const char *id,
			    const char *serial, int64_t file);
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
