/*
 * nanomdm_webhook.c - NanoMDM (and MicroMDM) webhook events, one per line.
 *
 * Shape (micromdm/nanomdm service/webhook/event.json): {"topic",
 * "created_at", "event_id"?, "checkin_event": {"udid", "enrollment_id",
 * "ids": {"id", "type", "parent_id"}, "raw_payload": Base64 plist}} or
 * "acknowledge_event" for command results (topic mdm.Connect).
 *   - mdm.DeclarativeManagement with Endpoint "status": the plist's Data is
 *     the DDM status report (merged like any report).
 *   - mdm.Authenticate (SerialNumber beside UDID), mdm.TokenUpdate and a
 *     DeviceInformation result (QueryResponses.SerialNumber) teach which
 *     serial the UDID and enrollment ids stand for, so later reports that
 *     carry no serial are identified.
 *   - mdm.CheckOut: the device unenrolled (Apple's CheckOut message, sent
 *     when the MDM profile is removed).  Its time is stored with the
 *     device found by the event's ids; the evaluation takes the device out
 *     of scope until it is heard from again, or enrolls again: the latest
 *     Authenticate, TokenUpdate or command result is kept as the time the
 *     device was last known enrolled.
 *   - The user channel (ids.type User / Shared iPad / User Enrollment, or
 *     a plist with UserID / EnrollmentUserID) speaks for a user, not the
 *     device: its reports never change the device's state.
 * Everything that is not an observation is skipped and counted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "jsonin.h"
#include "plist.h"
#include "sources/identity.h"
#include "sources/merge.h"
#include "timeutil.h"

static int recognise(const flat_view *v)
{
	if (!flat_find(v, "topic"))
		return 0;
	return flat_has(v, "checkin_event") || flat_has(v, "acknowledge_event")
		       ? 100
		       : 40;
}

/* A plist string value as a new string, or NULL. */
static char *pval(const buf *pl, const char *key)
{
	const char *v;
	size_t vlen;
	char tag[32];

	if (!plist_value(pl->data, pl->len, key, &v, &vlen, tag, sizeof tag) ||
	    strcmp(tag, "string") != 0 || vlen == 0)
		return NULL;
	return xstrndup(v, vlen);
}

static bool user_channel(const flat_view *ev, const buf *pl)
{
	const char *type = flat_val(ev, "ids.type");
	const char *v;
	size_t vlen;
	char tag[32];

	if (type &&
	    (strcmp(type, "User") == 0 || strcmp(type, "Shared iPad") == 0 ||
	     strcmp(type, "User Enrollment") == 0))
		return true;
	return plist_value(pl->data, pl->len, "UserID", &v, &vlen, tag,
			   sizeof tag) ||
	       plist_value(pl->data, pl->len, "EnrollmentUserID", &v, &vlen,
			   tag, sizeof tag);
}

/* The ids an event names: its udid, enrollment_id and ids.id, then its
 * plist's UDID and EnrollmentID (those two in own, to free). */
#define EVENT_IDS 5
typedef struct event_ids {
	const char *id[EVENT_IDS];
	char *own[2];
} event_ids;

static void ids_of(const flat_view *ev, const buf *pl, event_ids *e)
{
	e->id[0] = flat_val(ev, "udid");
	e->id[1] = flat_val(ev, "enrollment_id");
	e->id[2] = flat_val(ev, "ids.id");
	e->id[3] = e->own[0] = pval(pl, "UDID");
	e->id[4] = e->own[1] = pval(pl, "EnrollmentID");
}

static void ids_free(event_ids *e)
{
	free(e->own[0]);
	free(e->own[1]);
}

/* Learns serial for every id of the event (ev is its checkin_event or
 * acknowledge_event) and of the plist. */
static ddm_err learn(src_ctx *x, const flat_view *ev, const buf *pl,
		     const char *serial)
{
	event_ids e;
	ddm_err err = DDM_OK;

	ids_of(ev, pl, &e);
	for (size_t i = 0; i < EVENT_IDS && !err; i++)
		err = identity_learn(x->env->store, e.id[i], serial,
				     x->f->file_id);
	ids_free(&e);
	return err;
}

/* The serial an event's ids (of the event, then of its plist) were
 * learned with, into serial; found false when none was. */
static ddm_err find_device(src_ctx *x, const flat_view *ev, const buf *pl,
			   buf *serial, bool *found)
{
	event_ids e;
	ddm_err err = DDM_OK;

	*found = false;
	ids_of(ev, pl, &e);
	for (size_t i = 0; i < EVENT_IDS && !*found && !err; i++)
		if (e.id[i] && *e.id[i])
			err = identity_find(x->env->store, e.id[i], serial,
					    found);
	ids_free(&e);
	return err;
}

/* A check-in of the device channel (Authenticate, TokenUpdate, a command
 * result): the device is enrolled at that time, so a CheckOut before it no
 * longer takes it out of scope (it enrolled again).  SERIAL is the
 * event's own, else the one its ids were learned with.  An event without
 * a usable time, or of a device never identified, only teaches ids, as
 * before. */
static ddm_err enrolled(src_ctx *x, const flat_view *ev, const buf *pl,
			const char *serial, const char *at)
{
	buf known = {0};
	char why[200];
	bool found = serial != NULL;
	int64_t t;
	store_stmt *st;
	ddm_err err = DDM_OK;

	if (!at || !src_time(x->env, at, &t) ||
	    ts_future(t, x->env->run_time, "event time", why, sizeof why))
		return DDM_OK;
	if (!found) {
		err = find_device(x, ev, pl, &known, &found);
		serial = found ? buf_cstr(&known) : NULL;
	}
	if (!err && found) {
		st = store_stmt_get(x->env->store, "device_enrolled");
		if (!st) {
			err = DDM_ERR_INTERNAL;
		} else {
			store_bind_text(st,
					store_stmt_param(st, ":serial_number"),
					serial, strlen(serial));
			store_bind_int(st, store_stmt_param(st, ":enrolled_at"),
				       t);
			err = store_stmt_run(st, NULL, NULL);
		}
	}
	buf_free(&known);
	return err;
}

/* mdm.CheckOut: the serial its ids were learned with gets the event's time
 * as its unenrolment; an event of a device never identified (no
 * Authenticate seen) or of the user channel is skipped. */
static ddm_err checkout(src_ctx *x, const flat_view *ev, const char *raw,
			const char *at)
{
	buf pl = {0}, serial = {0};
	char why[300];
	bool found = false;
	int64_t t;
	store_stmt *st;
	ddm_err err = DDM_OK;

	if (!src_time(x->env, at, &t)) {
		snprintf(why, sizeof why,
			 "created_at is missing or not an RFC 3339 time: %s",
			 at ? diag_q(at) : "(none)");
		return src_reject(x, why);
	}
	if (src_future(x, t, &err))
		return err;
	if (raw && !b64_decode(raw, strlen(raw), &pl)) {
		err = src_reject(x, "raw_payload is not Base64");
		goto out;
	}
	buf_cstr(&pl);
	if (user_channel(ev, &pl)) {
		x->c->skipped++;
		goto out;
	}
	err = find_device(x, ev, &pl, &serial, &found);
	if (err)
		goto out;
	if (!found) {
		x->c->skipped++;
		goto out;
	}
	st = store_stmt_get(x->env->store, "device_checkout");
	if (!st) {
		err = DDM_ERR_INTERNAL;
		goto out;
	}
	store_bind_text(st, store_stmt_param(st, ":serial_number"),
			buf_cstr(&serial), serial.len);
	store_bind_int(st, store_stmt_param(st, ":unenrolled_at"), t);
	err = src_store(x, st);
out:
	buf_free(&pl);
	buf_free(&serial);
	return err;
}

/* The status report in a DeclarativeManagement check-in's Data. */
static ddm_err status_report(src_ctx *x, const flat_view *ev, const buf *pl,
			     int64_t t)
{
	merge_meta m = {{0}, NULL, t, false};
	const char *v;
	size_t vlen, nv = 0;
	char tag[32], cwhy[200] = "", why[300];
	event_ids e = {{0}, {0}};
	buf json = {0};
	flat inner = {0};
	flat_view root;
	ddm_err err = DDM_OK;

	if (!plist_value(pl->data, pl->len, "Data", &v, &vlen, tag,
			 sizeof tag) ||
	    strcmp(tag, "data") != 0) {
		err = src_reject(
			x, "check-in plist has no Data (the status report)");
		goto out;
	}
	if (!b64_decode(v, vlen, &json)) {
		err = src_reject(x, "check-in plist Data is not Base64");
		goto out;
	}
	if (!jsonin_check(json.data ? json.data : "", json.len, &nv, cwhy,
			  sizeof cwhy) ||
	    nv != 1) {
		snprintf(why, sizeof why, "status report in check-in Data: %s",
			 cwhy[0] ? cwhy : "not exactly one JSON value");
		err = src_reject(x, why);
		goto out;
	}
	err = flat_parse(x->env->store, json.data, json.len, &inner, cwhy,
			 sizeof cwhy);
	if (err == DDM_ERR_DATA) {
		snprintf(why, sizeof why,
			 "status report in check-in Data is not valid JSON: "
			 "%s",
			 cwhy);
		err = src_reject(x, why);
		goto out;
	}
	if (err)
		goto out;
	ids_of(ev, pl, &e);
	m.ids[0] = e.id[0];
	m.ids[1] = e.id[1];
	m.ids[2] = e.id[2];
	m.ids[4] = e.id[3];
	m.ids[5] = e.id[4];
	root = flat_root(&inner);
	err = merge_report(x, &root, &m);
out:
	flat_free(&inner);
	buf_free(&json);
	ids_free(&e);
	return err;
}

static ddm_err read(src_ctx *x, const flat_view *v)
{
	const char *topic = flat_val(v, "topic");
	const char *at = flat_val(v, "created_at");
	bool ack = flat_has(v, "acknowledge_event");
	char epre[300], why[300];
	flat_view ev = *v;
	const char *raw;
	buf pl = {0};
	char *serial = NULL;
	const char *ep;
	size_t eplen;
	char tag[32];
	int64_t t;
	ddm_err err = DDM_OK;

	x->c->read++;
	src_format(x, "nanomdm-webhook");
	snprintf(epre, sizeof epre, "%s%s.", v->pre,
		 ack ? "acknowledge_event" : "checkin_event");
	ev.pre = epre;
	raw = flat_val(&ev, "raw_payload");
	if (topic && strcmp(topic, "mdm.CheckOut") == 0)
		return checkout(x, &ev, raw, at);
	if (!topic ||
	    (strcmp(topic, "mdm.DeclarativeManagement") != 0 &&
	     strcmp(topic, "mdm.Authenticate") != 0 &&
	     strcmp(topic, "mdm.TokenUpdate") != 0 &&
	     strcmp(topic, "mdm.Connect") != 0) ||
	    !raw) {
		if (topic && strcmp(topic, "mdm.DeclarativeManagement") == 0)
			return src_reject(
				x, "checkin_event.raw_payload is missing");
		x->c->skipped++;
		return DDM_OK;
	}
	if (!b64_decode(raw, strlen(raw), &pl)) {
		err = src_reject(x, "raw_payload is not Base64");
		goto out;
	}
	buf_cstr(&pl);
	if (strcmp(topic, "mdm.DeclarativeManagement") != 0) {
		/* identity only: Authenticate, TokenUpdate, DeviceInformation */
		serial = pval(&pl, "SerialNumber");
		if (serial && !user_channel(&ev, &pl))
			err = learn(x, &ev, &pl, serial);
		if (!err && !user_channel(&ev, &pl))
			err = enrolled(x, &ev, &pl, serial, at);
		x->c->skipped++;
		goto out;
	}
	if (!src_time(x->env, at, &t)) {
		snprintf(why, sizeof why,
			 "created_at is missing or not an RFC 3339 time: %s",
			 at ? diag_q(at) : "(none)");
		err = src_reject(x, why);
		goto out;
	}
	if (!plist_value(pl.data, pl.len, "Endpoint", &ep, &eplen, tag,
			 sizeof tag)) {
		err = src_reject(x, "check-in plist has no Endpoint");
		goto out;
	}
	if (eplen != 6 || memcmp(ep, "status", 6) != 0 ||
	    user_channel(&ev, &pl)) {
		x->c->skipped++;
		goto out;
	}
	err = status_report(x, &ev, &pl, t);
out:
	free(serial);
	buf_free(&pl);
	return err;
}

const source source_nanomdm_webhook = {"nanomdm-webhook",
				       "a NanoMDM webhook event",
				       recognise,
				       read,
				       false,
				       true};
