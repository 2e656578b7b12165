/*
 * res.h - the queries, templates and input formats the engine runs.
 *
 * Defaults are compiled into the binary (see src/tools/embed.c); an
 * override directory per top folder ("queries", "templates") replaces a
 * default of the same name or adds a new file, so policy and look change
 * without a compiler.  Every resource loaded is fingerprinted (SHA-256) and
 * remembered for the About sheet.
 */
#ifndef DDM_RES_H
#define DDM_RES_H

#include <stddef.h>

#include "diag.h"

/* One embedded file; the table ends with a NULL name. */
typedef struct res_file {
	const char *name; /* "queries/evaluate.sql" */
	const char *data; /* NUL-terminated */
	size_t len;
} res_file;

extern const res_file res_embedded[];

/* A loaded resource.  Owned by the res module; valid until res_free_all. */
typedef struct resource {
	char *name;   /* "queries/evaluate.sql" */
	char *origin; /* where it came from, for messages: a path, or the name
			    for an embedded default */
	char *text;   /* contents, NUL-terminated */
	size_t len;
	char sha256[65]; /* hex digest of text */
	int embedded;	 /* 1 when the compiled-in default was used */
} resource;

/*
 * Sets the override directory for top ("queries" or "templates").  dir is
 * copied.  Returns DDM_ERR_NOINPUT (with a message) when dir is not a
 * readable directory.
 */
ddm_err res_set_dir(const char *top, const char *dir);

/* Loads name ("queries/evaluate.sql").  On success *out points at the
 * module-owned resource; errors: DDM_ERR_NOINPUT with a message. */
ddm_err res_load(const char *name, const resource **out);

/*
 * Lists the names under folder (e.g. "queries/formats") ending in suffix,
 * embedded and overriding, sorted, without duplicates.  Returns a
 * malloc'd, NULL-terminated array of malloc'd strings; free with
 * res_list_free.
 */
char **res_list(const char *folder, const char *suffix);
void res_list_free(char **names);

/* Calls fn for every resource loaded so far, in load order. */
void res_each_loaded(void (*fn)(const resource *r, void *ctx), void *ctx);

/* Releases every loaded resource and the override settings. */
void res_free_all(void);

#endif
