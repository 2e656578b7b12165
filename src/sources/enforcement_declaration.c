/*
 * enforcement_declaration.c - the DDM software update enforcement
 * declaration itself, as a target.
 *
 * Shape (Apple's declaration schema): {"Type":
 * "com.apple.configuration.softwareupdate.enforcement.specific",
 * "Identifier", "ServerToken"?, "Payload": {"TargetOSVersion",
 * "TargetBuildVersion"?, "TargetLocalDateTime", "DetailsURL"?}}.  It applies
 * to the devices whose latest report lists its Identifier as an active
 * configuration or as the install reason.  Declarations of other types
 * are skipped and counted.
 */
#include <string.h>

#include "sources/source.h"
#include "timeutil.h"
#include "version.h"

#define ENFORCEMENT \
	"com.apple.configuration.softwareupdate.enforcement.specific"

static int recognise(const flat_view *v)
{
	const char *type = flat_val(v, "Type");

	if (!type)
		return 0;
	return strcmp(type, ENFORCEMENT) == 0 ? 100 : 30;
}

static ddm_err read(src_ctx *x, const flat_view *v)
{
	store_stmt *st = store_stmt_get(x->env->store, "target");
	const char *id = flat_val(v, "Identifier");
	const char *ver = flat_val(v, "Payload.TargetOSVersion");
	const char *build = flat_val(v, "Payload.TargetBuildVersion");
	const char *when = flat_val(v, "Payload.TargetLocalDateTime");
	const char *url = flat_val(v, "Payload.DetailsURL");
	version vv;
	int64_t wall;

	x->c->read++;
	if (!st)
		return DDM_ERR_INTERNAL;
	if (strcmp(flat_val(v, "Type"), ENFORCEMENT) != 0) {
		x->c->skipped++;
		return DDM_OK;
	}
	src_format(x, "ddm-enforcement-declaration");
	if (!id || !*id)
		return src_reject(x, "declaration has no Identifier");
	if (!ver || !version_parse(ver, strlen(ver), &vv))
		return src_reject(x, "Payload.TargetOSVersion is missing or "
				     "not a version");
	if (!when || !ts_parse_wall(when, strlen(when), &wall))
		return src_reject(x, "Payload.TargetLocalDateTime is not "
				     "YYYY-MM-DDTHH:MM:SS");
	store_bind_text(st, store_stmt_param(st, ":platform"), "", 0);
	store_bind_text(st, store_stmt_param(st, ":grp"), "*", 1);
	store_bind_text(st, store_stmt_param(st, ":serial_number"), "", 0);
	store_bind_text(st, store_stmt_param(st, ":target_os_version"), ver,
			strlen(ver));
	store_bind_text(st, store_stmt_param(st, ":target_build_version"),
			build ? build : "", build ? strlen(build) : 0);
	store_bind_text(st, store_stmt_param(st, ":target_local_datetime"),
			when, strlen(when));
	store_bind_text(st, store_stmt_param(st, ":details_url"),
			url ? url : "", url ? strlen(url) : 0);
	store_bind_text(st, store_stmt_param(st, ":declaration_id"), id,
			strlen(id));
	x->c->targets = true;
	return src_store(x, st);
}

const source source_enforcement_declaration = {"ddm-enforcement-declaration",
					       "an enforcement declaration",
					       recognise,
					       read,
					       false,
					       false};
