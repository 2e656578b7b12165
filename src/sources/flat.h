/*
 * flat.h - a JSON document as (path, type, value) leaves, indexed by path.
 *
 * Every JSON source reads its document through this module: it is
 * flattened once into the leaves SQLite's json_tree gives (store.c), paths
 * normalised ("a.b-c[0].d"), and a hash index on the full path makes every
 * lookup O(1), so a reader that walks thousands of array elements stays
 * linear in the document.  Leaves keep document order: the leaves of one
 * array element are contiguous, which is what flat_next relies on.
 */
#ifndef DDM_FLAT_H
#define DDM_FLAT_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"
#include "store.h"
#include "util.h"

/* One scalar (or empty object / array) of a document.  The strings live
 * in the flat's arena until flat_free / flat_reset. */
typedef struct flat_leaf {
	const char *path; /* "StatusItems.device.identifier.serial-number" */
	const char *type; /* json_tree's type ("text", "integer", "true") */
	const char *val;  /* NULL for JSON null */
} flat_leaf;

typedef struct flat_chunk flat_chunk;

/* A flattened document.  Zero-initialise; flat_free releases it. */
typedef struct flat {
	flat_leaf *v; /* owned, in document order */
	size_t n, cap;
	size_t *slot;	    /* owned: hash index, leaf index + 1, 0 = empty */
	size_t nslot;	    /* power of two, 0 until flat_index */
	flat_chunk *chunks; /* owned: the arena the leaves' strings are in */
	buf scratch;	    /* owned: the parser's path and value */
} flat;

/* One JSON value inside a document: the leaves [lo, hi) under pre ("" for
 * the root, "results[3]." for an element).  pre is borrowed. */
typedef struct flat_view {
	const flat *f;
	size_t lo, hi;
	const char *pre;
} flat_view;

/* Flattens doc[0..len) into *out (empty or reset on entry) and indexes
 * it.  Returns DDM_ERR_DATA with the reason in why when it is not valid
 * JSON (out is then empty), or another error (database). */
ddm_err flat_parse(store *s, const char *doc, size_t len, flat *out, char *why,
		   size_t cap);

/* Appends a leaf (copies every string; val may be NULL).  Call flat_index
 * after the last one before looking anything up. */
void flat_add(flat *f, const char *path, const char *type, const char *val);
void flat_index(flat *f);
void flat_free(flat *f);
/* Empties f for the next document, keeping its memory. */
void flat_reset(flat *f);

/* A view of the whole document. */
flat_view flat_root(const flat *f);

/* The leaf at exactly pre+name inside v, or NULL.  O(1). */
const flat_leaf *flat_find(const flat_view *v, const char *name);
/* Its value (NULL when absent or null). */
const char *flat_val(const flat_view *v, const char *name);
/* True when v has a leaf at pre+name or below it (pre+name "." or "["). */
bool flat_has(const flat_view *v, const char *name);

/*
 * Iterates the elements of the array pre+arr inside v ("" names v itself
 * when it is an array).  *pos starts at v->lo; each call stores the next
 * element's view in *elem (its pre written to out) and returns true, or
 * returns false at the end.  Linear over the view in total.
 */
bool flat_next(const flat_view *v, const char *arr, size_t *pos,
	       flat_view *elem, char *out, size_t cap);

#endif
