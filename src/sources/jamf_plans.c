/*
 * jamf_plans.c - Jamf Pro managed software update plans as targets.
 *
 * Shape (Jamf Pro API GET /v1/managed-software-updates/plans):
 * {"totalCount", "results": [{"planUuid", "device": {"deviceId",
 * "objectType"}, "updateAction", "versionType", "specificVersion",
 * "buildVersion", "maxDeferrals", "forceInstallLocalDateTime":
 * "2026-12-01T18:00:00", "recipeId", "status": {"state", "errorReasons"}}]}.
 * A plan with a specific version and a forced install time is what Jamf
 * sends the device as its DDM enforcement declaration: a target scoped to
 * that device's serial, its time the device's wall clock.  Plans for the
 * latest version (no specific one) or without a forced time set no
 * deadline and are skipped and counted.  So are canceled plans: the
 * plan's status.state enum (ManagedSoftwareUpdatePlan / PlanStatus in the
 * Jamf Pro API reference) has PlanCanceled, a plan that no longer
 * enforces anything - its forced time is no deadline.  A failed plan
 * (PlanFailed, PlanException) keeps its target: the update it asked for
 * is still due, and a device that did not get it must not drop out.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sources/identity.h"
#include "sources/jamf.h"
#include "timeutil.h"
#include "version.h"

static int recognise(const flat_view *v)
{
	flat_view el;
	char ep[300];
	size_t pos = v->lo;

	if (!flat_next(v, "results", &pos, &el, ep, sizeof ep))
		return 0;
	return flat_find(&el, "planUuid") || flat_has(&el, "status.state") ||
			       flat_find(&el, "forceInstallLocalDateTime") ||
			       flat_find(&el, "specificVersion")
		       ? 100
		       : 0;
}

/* A canceled plan: no deadline any more, and the device's targets stored
 * from earlier files are withdrawn, unless this file states them again (a
 * row with no version only names its scope: schema.sql, target_in). */
static ddm_err withdraw(src_ctx *x, const flat_view *el, store_stmt *st,
			const char *plat)
{
	const char *id = flat_val(el, "device.deviceId");
	identity_jamf_type jt =
		identity_jamf_type_of(flat_val(el, "device.objectType"));
	bool found = false;
	ddm_err err;

	x->c->skipped++;
	/* A device the inventory does not know has nothing to withdraw. */
	err = id ? identity_jamf(x->env->store, jt, id, &x->env->tmp, &found)
		 : DDM_OK;
	if (err || !found)
		return err;
	store_bind_text(st, store_stmt_param(st, ":platform"), plat,
			strlen(plat));
	store_bind_text(st, store_stmt_param(st, ":serial_number"),
			x->env->tmp.data, x->env->tmp.len);
	store_bind_text(st, store_stmt_param(st, ":target_os_version"), "", 0);
	store_bind_text(st, store_stmt_param(st, ":target_build_version"), "",
			0);
	store_bind_text(st, store_stmt_param(st, ":target_local_datetime"), "",
			0);
	store_bind_int(st, store_stmt_param(st, ":file"), x->f->file_id);
	store_bind_int(st, store_stmt_param(st, ":line"), x->line);
	x->c->targets = true;
	return store_stmt_run(st, NULL, NULL);
}

static ddm_err read_one(src_ctx *x, const flat_view *el, store_stmt *st)
{
	const char *ver = flat_val(el, "specificVersion");
	const char *build = flat_val(el, "buildVersion");
	const char *when = flat_val(el, "forceInstallLocalDateTime");
	const char *plat = jamf_platform(flat_val(el, "device.objectType"));
	const char *state = flat_val(el, "status.state");
	char serial[128];
	bool found;
	version vv;
	int64_t wall;
	ddm_err err;

	x->c->read++;
	if (state && strcasecmp(state, "PlanCanceled") == 0)
		return withdraw(x, el, st, plat);
	if (!ver || !version_parse(ver, strlen(ver), &vv) || !when || !*when) {
		x->c->skipped++; /* latest-version plans set no deadline */
		return DDM_OK;
	}
	if (!ts_parse_wall(when, strlen(when), &wall))
		return src_reject(x, "forceInstallLocalDateTime is not "
				     "YYYY-MM-DDTHH:MM:SS");
	err = jamf_device(x, el, serial, sizeof serial, &found);
	if (err || !found)
		return err;
	store_bind_text(st, store_stmt_param(st, ":platform"), plat,
			strlen(plat));
	store_bind_text(st, store_stmt_param(st, ":serial_number"), serial,
			strlen(serial));
	store_bind_text(st, store_stmt_param(st, ":target_os_version"), ver,
			strlen(ver));
	store_bind_text(st, store_stmt_param(st, ":target_build_version"),
			build ? build : "", build ? strlen(build) : 0);
	store_bind_text(st, store_stmt_param(st, ":target_local_datetime"),
			when, 19);
	x->c->targets = true;
	return src_store(x, st);
}

static ddm_err read(src_ctx *x, const flat_view *v)
{
	return jamf_each_result(x, v, "target_serial",
				"jamf-software-update-plans", read_one);
}

const source source_jamf_plans = {"jamf-software-update-plans",
				  "Jamf Pro managed software update plans",
				  recognise,
				  read,
				  false,
				  false};
