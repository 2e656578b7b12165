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

ddm_err identity_learner_get(store *s, identity_learner *l)
{
	l->st = store_stmt_get(s, "enrollment_put");
	if (!l->st)
		return DDM_ERR_INTERNAL;
	l->id = store_stmt_param(l->st, ":enrollment_id");
	l->serial = store_stmt_param(l->st, ":serial_number");
	l->file = store_stmt_param(l->st, ":file");
	return DDM_OK;
}

ddm_err identity_learn_with(const identity_learner *l, const char *id,
			    const char *serial, int64_t file)
{
	store_stmt *st = l->st;
	char sn[128], idu[IDENTITY_ID_MAX];

	if (!id || !*id || !serial || strlen(serial) > IDENTITY_SERIAL_MAX ||
	    !identity_serial(serial, strlen(serial), sn, sizeof sn) ||
	    identity_placeholder(sn))
		return DDM_OK;
	serial = sn;
	id = identity_id(id, idu, sizeof idu);
	store_bind_text(st, l->id, id, strlen(id));
	store_bind_text(st, l->serial, serial, strlen(serial));
	store_bind_int(st, l->file, file);
	return store_stmt_run(st, NULL, NULL);
}

ddm_err identity_learn(store *s, const char *id, const char *serial,
		       int64_t file)
{
	identity_learner l;

	if (!id || !*id || !serial)
		return DDM_OK;
	return identity_learner_get(s, &l)
		       ? DDM_ERR_INTERNAL
		       : identity_learn_with(&l, id, serial, file);
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
