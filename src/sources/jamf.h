/*
 * jamf.h - what Jamf Pro's managed software update responses share.
 *
 * Plans and statuses both answer {"totalCount", "results": [...]} and name
 * each device as {"device": {"deviceId", "objectType"}}.  A deviceId is
 * unique only within its objectType, so the serial is looked up in that
 * type's inventory column.
 */
#ifndef DDM_JAMF_H
#define DDM_JAMF_H

#include "sources/source.h"

/*
 * The serial of the result el's device, into serial (cap bytes).  When
 * the result names no device, or one not in the inventory, the result is
 * rejected with a reason naming the id and type, and *found is false.
 * Returns a database error only.
 */
ddm_err jamf_device(src_ctx *x, const flat_view *el, char *serial, size_t cap,
		    bool *found);

/* Reads every element of v's "results" list with read_one, writing through
 * the store statement named stmt; format_name names the file in About. */
ddm_err jamf_each_result(src_ctx *x, const flat_view *v, const char *stmt,
			 const char *format_name,
			 ddm_err (*read_one)(src_ctx *, const flat_view *,
					     store_stmt *));

/* The platform a Jamf objectType stands for ("" when it depends on the
 * device: iOS or iPadOS). */
const char *jamf_platform(const char *object_type);

#endif
