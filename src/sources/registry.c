/*
 * registry.c - the table of JSON sources (see source.h).
 *
 * Order does not matter: ddm.c asks every source and the best score wins.
 */
#include "sources/source.h"

extern const source source_ddm_report, source_ndjson_envelope,
	source_nanomdm_webhook, source_jamf_status_items,
	source_jamf_update_statuses, source_jamf_plans,
	source_kmfddm_status_values, source_enforcement_declaration,
	source_sofa, source_ddm_sync_documents;

const source *const sources_table[] = {
	&source_ddm_report,
	&source_ndjson_envelope,
	&source_nanomdm_webhook,
	&source_jamf_status_items,
	&source_jamf_update_statuses,
	&source_jamf_plans,
	&source_kmfddm_status_values,
	&source_enforcement_declaration,
	&source_sofa,
	&source_ddm_sync_documents,
	NULL,
};
