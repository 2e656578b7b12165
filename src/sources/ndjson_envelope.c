/*
 * ndjson_envelope.c - DDM status reports wrapped with their arrival time.
 *
 * Shape (one per line): {"received_at", "enrollment_id"?, "serial_number"?,
 * "report": {StatusItems...}} - the form this tool documents for servers
 * that log reports themselves (README, "The NDJSON envelope").
 */
#include <stdio.h>
#include <string.h>

#include "sources/merge.h"

static int recognise(const flat_view *v)
{
	bool rep = flat_has(v, "report"), at = flat_find(v, "received_at");

	return rep && at ? 100 : rep || at ? 40 : 0;
}

static ddm_err read(src_ctx *x, const flat_view *v)
{
	merge_meta m = {{0}, NULL, 0, false};
	const char *at = flat_val(v, "received_at");
	char rpre[300], why[200];
	size_t pl, rl;
	flat_view r = *v;

	x->c->read++;
	src_format(x, "ddm-ndjson-envelope");
	if (!src_time(x->env, at, &m.t)) {
		snprintf(why, sizeof why,
			 "received_at is missing or not an RFC 3339 time: %s",
			 at ? diag_q(at) : "(none)");
		return src_reject(x, why);
	}
	m.ids[0] = flat_val(v, "enrollment_id");
	m.serial = flat_val(v, "serial_number");
	/* v->pre "report.", cut to rpre as snprintf would */
	pl = strlen(v->pre);
	if (pl > sizeof rpre - 1)
		pl = sizeof rpre - 1;
	memcpy(rpre, v->pre, pl);
	rl = sizeof rpre - 1 - pl < 7 ? sizeof rpre - 1 - pl : 7;
	memcpy(rpre + pl, "report.", rl);
	rpre[pl + rl] = '\0';
	r.pre = rpre;
	return merge_report(x, &r, &m);
}

const source source_ndjson_envelope = {"ddm-ndjson-envelope",
				       "an NDJSON envelope",
				       recognise,
				       read,
				       false,
				       false};
