/*
 * jamf_update_statuses.c - Jamf Pro managed software update statuses.
 *
 * Shape (Jamf Pro API GET /v1/managed-software-updates/update-statuses):
 * {"totalCount", "results": [{"osUpdatesStatusId", "device": {"deviceId",
 * "objectType"}, "downloaded", "downloadPercentComplete", "productKey",
 * "status": "DOWNLOADING", "deferralsRemaining", "maxDeferrals",
 * "nextScheduledInstall", "pastNotifications", "created", "updated"}]}.
 * One observation per result.  Its status is a word (Jamf's enum, mapped
 * by words.map, the word kept as status_raw); a plans response has an
 * object there and planUuid, so the two are never confused.
 */
#include <stdio.h>
#include <string.h>

#include "sources/jamf.h"
#include "version.h"

static int recognise(const flat_view *v)
{
	flat_view el;
	char ep[300];
	size_t pos = v->lo;
	const flat_leaf *st;

	if (!flat_next(v, "results", &pos, &el, ep, sizeof ep))
		return flat_find(v, "totalCount") ? 20 : 0;
	st = flat_find(&el, "status");
	if (flat_find(&el, "planUuid") || flat_has(&el, "status.state"))
		return 0;
	if ((st && strcmp(st->type, "text") == 0) ||
	    flat_find(&el, "productKey") ||
	    flat_find(&el, "downloadPercentComplete") ||
	    flat_find(&el, "osUpdatesStatusId"))
		return 100;
	return flat_has(&el, "device") ? 20 : 0;
}

/* "MACOS_15.1_24B83" style product keys carry the pending version. */
static void bind_product_key(store_stmt *st, const char *pk)
{
	const char *u = pk ? strchr(pk, '_') : NULL;
	version ver;
	size_t vl;

	if (!u)
		return;
	u++;
	vl = strcspn(u, "_");
	if (version_parse(u, vl, &ver))
		store_bind_text(st, store_stmt_param(st, ":target_os_version"),
				u, vl);
}

static ddm_err read_one(src_ctx *x, const flat_view *el, store_stmt *st)
{
	const char *status = flat_val(el, "status");
	const char *when = flat_val(el, "updated");
	const char *mapped, *reason;
	size_t rlen;
	char serial[128];
	bool found;
	int64_t t;
	ddm_err err;

	x->c->read++;
	err = jamf_device(x, el, serial, sizeof serial, &found);
	if (err || !found)
		return err;
	if (!when)
		when = flat_val(el, "created");
	if (!src_time(x->env, when, &t))
		return src_reject(
			x, "results[] entry has no updated/created time");
	if (src_future(x, t, &err))
		return err;
	mapped = formats_status(x->env->fs, NULL, status ? status : "",
				status ? strlen(status) : 0, &reason, &rlen);
	if (!mapped)
		mapped = "Unknown";
	store_bind_text(st, store_stmt_param(st, ":serial_number"), serial,
			strlen(serial));
	store_bind_int(st, store_stmt_param(st, ":reported_at"), t);
	store_bind_text(st, store_stmt_param(st, ":status"), mapped,
			strlen(mapped));
	store_bind_text(st, store_stmt_param(st, ":status_raw"),
			status ? status : "", status ? strlen(status) : 0);
	store_bind_text(st, store_stmt_param(st, ":failure_reason"), reason,
			rlen);
	bind_product_key(st, flat_val(el, "productKey"));
	return src_store(x, st);
}

static ddm_err read(src_ctx *x, const flat_view *v)
{
	return jamf_each_result(x, v, "observation",
				"jamf-software-update-statuses", read_one);
}

const source source_jamf_update_statuses = {
	"jamf-software-update-statuses",
	"Jamf Pro managed software update statuses",
	recognise,
	read,
	true,
	false};
