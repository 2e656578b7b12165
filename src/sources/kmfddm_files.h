/*
 * kmfddm_files.h - KMFDDM's file storage, as the nightly walk finds it.
 *
 * KMFDDM's file backend keeps, per enrollment folder, status.last.json (the
 * last report: a raw DDM status report, read by ddm_report.c) beside its
 * own headerless CSVs derived from it: status.values.csv (path, container
 * type, value type, value), status.declarations.csv (time, identifier,
 * active, valid, server token, manifest type, Base64 reasons) and
 * status.errors.csv (time, path, Base64 error).  They repeat what the
 * report says, so a walk over the folder reads them as known and skips
 * them (counted) instead of failing on a header it cannot understand.
 */
#ifndef DDM_KMFDDM_FILES_H
#define DDM_KMFDDM_FILES_H

#include <stdbool.h>
#include <stddef.h>

/* True when the first record of a CSV is a row of one of those files. */
bool kmfddm_files_recognise(const char *const *field, const size_t *len,
			    size_t n);

#endif
