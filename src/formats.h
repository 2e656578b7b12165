/*
 * formats.h - input formats as data.
 *
 * Which columns of which export mean what, and which vendor words mean which
 * status or platform, is not C: each source format is one small file in
 * queries/formats/ (NAME.fmt), and the words shared by all formats are in
 * queries/formats/words.map.  Both are compiled in and overridable with
 * --queries DIR.  Syntax (one directive per line, '#' starts a comment):
 *
 *   format   NAME                  name shown in reports
 *   kind     status|inventory|targets
 *   priority N                     highest matching format wins
 *   header   REGEX                 optional; must match the normalised
 *                                  header (names joined by ",")
 *   require  FIELD...              canonical fields that must be present
 *   field    FIELD HEADER...       header names (normalised) for a field,
 *                                  the first one present wins; a field with
 *                                  no line matches its own name
 *   value    FIELD REGEX           the field's value is capture group 1 when
 *                                  the regex matches (else the whole value)
 *   only     FIELD REGEX           rows whose FIELD does not match are
 *                                  skipped and counted, not stored
 *   default  FIELD VALUE [REGEX]   a file with no column for FIELD (and,
 *                                  with REGEX, whose normalised header
 *                                  matches it) has VALUE on every row
 *   reason_for STATUS              the failure reason column is kept only
 *                                  for rows of that status
 *   untimed  keep                  a status row without a time keeps the
 *                                  device and its status (no observation)
 *   status   REGEX STATUS          vendor word -> status (before words.map);
 *                                  capture group 1, when set, is kept as the
 *                                  failure reason
 *   platform REGEX PLATFORM        (words.map) platform spelling -> name
 *   model    REGEX PLATFORM        (words.map) model identifier -> platform
 *
 * Header names are normalised: trimmed, lower-cased, runs of spaces, '-'
 * and '.' become '_'.  Regular expressions are PCRE2, caseless.
 */
#ifndef DDM_FORMATS_H
#define DDM_FORMATS_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"

typedef enum format_kind {
	KIND_STATUS,
	KIND_INVENTORY,
	KIND_TARGETS,
	KIND__COUNT
} format_kind;

/* Canonical fields, shared by all kinds. */
typedef enum field_id {
	F_SERIAL_NUMBER,
	F_STATUS,
	F_REPORTED_AT,
	F_DEVICE_NAME,
	F_USER,
	F_GROUP,
	F_PLATFORM,
	F_MODEL,
	F_OS_VERSION,
	F_BUILD_VERSION,
	F_EXTRA_VERSION,
	F_TARGET_OS_VERSION,
	F_TARGET_BUILD_VERSION,
	F_TARGET_LOCAL_DATETIME,
	F_TIME_ZONE,
	F_FAILURE_COUNT,
	F_FAILURE_REASON,
	F_LAST_CHECK_IN,
	F_DETAILS_URL,
	F_JAMF_ID,		 /* inventory: Jamf Pro device id */
	F_DECLARATION_ID,	 /* targets: scope to devices reporting it */
	F_JAMF_MOBILE_DEVICE_ID, /* inventory: Jamf Pro mobile device id */
	F_MANAGEMENT_ID,	 /* inventory: Jamf Pro management id */
	F_ITEM_TYPE,		 /* status: the vendor's kind of item */
	F_ENFORCEMENT_TIME_ZONE, /* targets: zone of a legacy (pre-DDM) upgrade */
	F_LAST_INVENTORY_UPDATE, /* inventory: when its OS version was read */
	F_MANAGED, /* inventory: the MDM still manages it (Jamf's Managed) */
	F__COUNT
} field_id;

/* The canonical name of f ("serial_number"). */
const char *field_name(field_id f);
const char *format_kind_name(format_kind k);

typedef struct format format;
typedef struct formats formats;

/* Loads queries/formats/words.map and every queries/formats/NAME.fmt.
 * *out owned by the caller (formats_free). */
ddm_err formats_load(formats **out);
void formats_free(formats *fs);

/*
 * Picks the format for a header record.  On success stores the format and,
 * for each canonical field, the column index, or -1 (none), or
 * FORMAT_COL_DEFAULT (none: the format's default applies) in
 * col[F__COUNT].  Returns NULL when no format matches.
 */
#define FORMAT_COL_DEFAULT (-2)
const format *formats_detect(const formats *fs, const char *const *names,
			     const size_t *lens, size_t n, int col[F__COUNT]);
/* Applies f's "value" extraction of field id to *s, *len (unchanged
 * when there is none or it does not match).  1 ok, -1 match limit. */
int format_value(const format *f, field_id id, const char **s, size_t *len);
/* 1 when a row whose only-field is s[0..len) is wanted, 0 when it is
 * skipped, -1 on match failure; format_only_field: -1 when f has no "only". */
int format_row_wanted(const format *f, const char *s, size_t len);
int format_only_field(const format *f);
/* The "default" value of field id (NULL: none). */
const char *format_default(const format *f, field_id id);
/* The status a failure reason is kept for, or NULL (any). */
const char *format_reason_for(const format *f);
/* True when a status row without a time keeps the device's status. */
bool format_keeps_untimed(const format *f);

/* Writes a one-line description of what headers are understood. */
const char *formats_expected(const formats *fs);

const char *format_name(const format *f);
format_kind format_kind_of(const format *f);

/*
 * Maps a vendor status word to a status (f may be NULL: words.map only)
 * (Pending Downloading Cached
 * Installing Pass Error Incompatible Excluded; "Unknown" when nothing
 * matches).  When the mapping captured a failure reason, stores it in
 * *reason and *reason_len (pointing into s), else sets *reason NULL.
 * Returns NULL when matching failed (match limit): a data error.
 */
const char *formats_status(const formats *fs, const format *f, const char *s,
			   size_t len, const char **reason, size_t *reason_len);
/* Maps a platform spelling to its name; NULL when unknown. */
const char *formats_platform(const formats *fs, const char *s, size_t len);
/* Infers a platform from a model identifier; NULL when unknown. */
const char *formats_platform_of_model(const formats *fs, const char *s,
				      size_t len);

#endif
