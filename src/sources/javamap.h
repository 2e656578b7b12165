/*
 * javamap.h - values Jamf Pro returns as Java map strings.
 *
 * Jamf Pro's DDM status items give a dictionary or list item's value as
 * Java prints it (AbstractMap / AbstractCollection toString):
 * "{os-version=27.0.1, build-version=27A5340}", "{count=2, reason=...}",
 * "[{active=true, identifier=com.example.a}, {...}]".  This module turns
 * such a string into the leaves its JSON form would have, so every source
 * reads the item the same way.  Pure: no I/O, no database.
 */
#ifndef DDM_JAVAMAP_H
#define DDM_JAVAMAP_H

#include <stdbool.h>

#include "sources/flat.h"

/*
 * When s is a Java map or list, adds its leaves under base to out
 * ("base.os-version" = "27.0.1", "base[0].active" = true) and returns
 * true; otherwise adds nothing and returns false.  A scalar runs to the
 * next ", name=" (in a map) or ", " (in a list) or its closing bracket, so
 * a reason may hold commas.  Nesting deeper than 16 levels is read as text.
 */
bool javamap_flatten(const char *s, const char *base, flat *out);

#endif
