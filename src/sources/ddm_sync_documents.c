/*
 * ddm_sync_documents.c - the DDM synchronisation documents a server keeps.
 *
 * Shapes (Apple's DDM protocol): the tokens response {"SyncTokens":
 * {"DeclarationsToken", "Timestamp"}} and the declaration-items response
 * {"Declarations": {"Activations", "Assets", "Configurations",
 * "Management"}, "DeclarationsToken"}.  KMFDDM's file storage keeps them
 * as tokens.json and declaration-items.json in each enrollment folder,
 * beside status.last.json.  They say what the server sends, not what the
 * device reports, so a walk over the folder skips and counts them rather
 * than failing on them.
 */
#include "sources/source.h"

static int recognise(const flat_view *v)
{
	if (flat_has(v, "SyncTokens"))
		return 100;
	return flat_has(v, "Declarations") && flat_find(v, "DeclarationsToken")
		       ? 100
		       : 0;
}

static ddm_err read(src_ctx *x, const flat_view *v)
{
	(void)v;
	x->c->read++;
	x->c->skipped++;
	src_format(x, "ddm-sync-documents");
	return DDM_OK;
}

const source source_ddm_sync_documents = {"ddm-sync-documents",
					  "DDM tokens or declaration items",
					  recognise,
					  read,
					  false,
					  false};
