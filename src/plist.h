/*
 * plist.h - reading one value from an XML property list, enough for an MDM
 * check-in message (a flat dict of key, string and data elements).
 */
#ifndef DDM_PLIST_H
#define DDM_PLIST_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Finds <key>KEY</key> in xml[0..len) and the element after it.  On success
 * stores the element's text in *val and *vlen (pointing into xml; entities are
 * not decoded, so only for identifiers and Base64) and its tag name
 * ("string", "data", ...) in tag (cut to tcap-1) and returns true.  An
 * empty element (a self-closing string) gives an empty value.  Returns false when the
 * key is absent or the element is malformed.
 */
bool plist_value(const char *xml, size_t len, const char *key, const char **val,
		 size_t *vlen, char *tag, size_t tcap);

#endif
