/*
 * jamf.c - Jamf Pro device references (see jamf.h).
 */
#define _DEFAULT_SOURCE
#include "sources/jamf.h"

#include <stdio.h>
#include <stdlib.h>
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
		x->c->unidentified++;
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

ddm_err jamf_each_result(src_ctx *x, const flat_view *v, const char *stmt,
			 const char *format_name,
			 ddm_err (*read_one)(src_ctx *, const flat_view *,
					     store_stmt *))
{
	store_stmt *st = store_stmt_get(x->env->store, stmt);
	flat_view el;
	char ep[300];
	size_t pos = v->lo;
	ddm_err err = DDM_OK;

	const char *total = flat_val(v, "totalCount");

	if (!st)
		return DDM_ERR_INTERNAL;
	src_format(x, format_name);
	/* One page of a paged response (the plans list pages by 100) is
	 * not the fleet: counted, the file is checked whole (ingest.c). */
	if (total && atol(total) > x->c->paged_total)
		x->c->paged_total = atol(total);
	while (err == DDM_OK &&
	       flat_next(v, "results", &pos, &el, ep, sizeof ep)) {
		x->c->paged_listed++;
		err = read_one(x, &el, st);
	}
	return err;
}
