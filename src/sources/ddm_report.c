/*
 * ddm_report.c - a raw DDM status report, as the device sent it.
 *
 * Shape: {"StatusItems": {...}, "Errors": [...], "FullReport": bool}
 * (Apple's statusreport schema).  Open-source DDM servers capture them as
 * files: KMFDDM's file storage keeps <enrollment-id>/status.last.json,
 * its tests and other tools name captures
 * <enrollment-id>.<YYYYMMDD-HHMMSS>.<usec>.status.json.  A report carries
 * no time of its own: it comes from the file name, else the file's
 * modification time (About says which).
 */
#include "sources/merge.h"

static int recognise(const flat_view *v)
{
	if (flat_has(v, "StatusItems"))
		return 100;
	return flat_find(v, "FullReport") ? 50 : 0;
}

static ddm_err read(src_ctx *x, const flat_view *v)
{
	merge_meta m = {{0}, NULL, 0, false};

	x->c->read++;
	src_format(x, "ddm-status-report");
	m.ids[0] = x->f->enrollment;
	if (x->f->name_time_ok) {
		m.t = x->f->name_time;
		x->c->time_basis = "file-name";
	} else {
		m.t = x->f->mtime;
		if (!x->c->time_basis)
			x->c->time_basis = "mtime";
	}
	return merge_report(x, v, &m);
}

const source source_ddm_report = {"ddm-status-report",
				  "a DDM status report",
				  recognise,
				  read,
				  false,
				  false};
