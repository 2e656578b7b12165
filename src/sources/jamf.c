/*
 * jamf.c - Jamf Pro device references (see jamf.h).
 */
#define _DEFAULT_SOURCE
#include "sources/jamf.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sources/identity.h"

ddm_err jamf_device(src_ctx *x, const flat_view *el, char *serial, size_t cap,
		    bool *found)
{
	const char *id = flat_val(el, "device.deviceId");
	const char *type = flat_val(el, "device.objectType");
	identity_jamf_type jt = identity_jamf_type_of(type);
	char why[300];
	ddm_err err;

	*found = false;
	if (!id)
		return src_reject(x, "results[] entry has no device.deviceId");
	err = identity_jamf(x->env->store, jt, id, &x->env->tmp, found);
	if (err)
		return err;
	if (!*found) {
		snprintf(why, sizeof why,
			 "Jamf %s id %s is not in the inventory (%s column)",
			 type && *type ? diag_q(type) : "COMPUTER", diag_q(id),
			 identity_jamf_column(jt));
		return src_reject(x, why);
	}
	snprintf(serial, cap, "%s", x->env->tmp.data);
	return DDM_OK;
}

const char *jamf_platform(const char *t)
{
	if (!t || !*t || strcasecmp(t, "COMPUTER") == 0)
		return "macOS";
	if (strcasecmp(t, "APPLE_TV") == 0)
		return "tvOS";
	return "";
}
