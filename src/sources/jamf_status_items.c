/*
 * jamf_status_items.c - Jamf Pro's DDM status items of one device.
 *
 * Shape (Jamf Pro API GET /v1/ddm/{clientManagementId}/status-items):
 * {"statusItems": [{"key": "softwareupdate.install-state", "value":
 * "downloading", "lastUpdateTime": "2026-11-25T08:00:00"}]}; one
 * document, an array of them, or NDJSON.  The response does not name the
 * device: its serial comes from a device.identifier.serial-number item,
 * else from the management id - a "clientManagementId" key saved beside
 * the items, or the file's name - through the inventory's management_id
 * column.  Jamf returns dictionary items as Java map strings
 * ("{os-version=27.0.1, build-version=27A5340}"); they are read like
 * their JSON form.  The items are the server's latest value of each, so
 * this is a full report; its time is the newest lastUpdateTime.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sources/javamap.h"
#include "sources/merge.h"

static int recognise(const flat_view *v)
{
	return flat_has(v, "statusItems") ? 100 : 0;
}

static ddm_err read(src_ctx *x, const flat_view *v)
{
	flat syn = {0};
	flat_view el, root;
	merge_meta m = {{0}, NULL, 0, true};
	char ep[300];
	size_t pos = v->lo;
	bool any_time = false;
	ddm_err err;

	x->c->read++;
	src_format(x, "jamf-ddm-status-items");
	while (flat_next(v, "statusItems", &pos, &el, ep, sizeof ep)) {
		const char *k = flat_val(&el, "key");
		const char *val = flat_val(&el, "value");
		const char *u = flat_val(&el, "lastUpdateTime");
		size_t vl = strlen(el.pre) + 5; /* "value" */
		int64_t t;
		char *base;

		if (u && src_time(x->env, u, &t) && (!any_time || t > m.t)) {
			m.t = t;
			any_time = true;
		}
		if (!k)
			continue;
		base = xasprintf("StatusItems.%s", k);
		if (val && javamap_flatten(val, base, &syn)) {
			/* read like its JSON form */
		} else if (!flat_find(&el, "value") && flat_has(&el, "value")) {
			/* the value as JSON: its leaves under the item */
			for (size_t i = el.lo; i < el.hi; i++) {
				const flat_leaf *lf = &el.f->v[i];
				char *p;

				if (strncmp(lf->path, el.pre, strlen(el.pre)) ||
				    strncmp(lf->path + strlen(el.pre), "value",
					    5) ||
				    (lf->path[vl] != '.' &&
				     lf->path[vl] != '['))
					continue;
				p = xasprintf("%s%s", base, lf->path + vl);
				flat_add(&syn, p, lf->type, lf->val);
				free(p);
			}
		} else {
			flat_add(&syn, base, "text", val);
		}
		free(base);
	}
	if (!any_time) {
		flat_free(&syn);
		return src_reject(x,
				  "no statusItems[].lastUpdateTime is a time");
	}
	flat_index(&syn);
	m.ids[0] = flat_val(v, "clientManagementId");
	m.ids[1] = flat_val(v, "managementId");
	m.ids[2] = x->f->stem;
	root = flat_root(&syn);
	err = merge_report(x, &root, &m);
	flat_free(&syn);
	return err;
}

const source source_jamf_status_items = {"jamf-ddm-status-items",
					 "Jamf Pro DDM status items",
					 recognise,
					 read,
					 false,
					 false};
