/*
 * plist.c - a scanner for the XML plists MDM check-ins carry.
 *
 * Part of the ingest stage (NanoMDM webhook events).  A full XML parser is
 * not needed: a DeclarativeManagement check-in is a flat dict, and what we
 * read from it (Endpoint, Data, UDID, EnrollmentID) is plain text or
 * Base64.  The scan is bounded by the input and never recurses.
 */
#include "plist.h"

#include <string.h>

/* memmem for bounded text without relying on the GNU extension. */
static const char *find(const char *h, size_t hlen, const char *n, size_t nlen)
{
	if (nlen == 0 || hlen < nlen)
		return NULL;
	for (size_t i = 0; i + nlen <= hlen; i++)
		if (h[i] == n[0] && memcmp(h + i, n, nlen) == 0)
			return h + i;
	return NULL;
}

bool plist_value(const char *xml, size_t len, const char *key, const char **val,
		 size_t *vlen, char *tag, size_t tcap)
{
	const char *end = xml + len, *p = xml, *lt, *gt, *close;
	size_t klen = strlen(key), tlen;

	for (;;) {
		const char *k = find(p, (size_t)(end - p), "<key>", 5);

		if (!k)
			return false;
		k += 5;
		if ((size_t)(end - k) >= klen + 6 &&
		    memcmp(k, key, klen) == 0 &&
		    memcmp(k + klen, "</key>", 6) == 0) {
			p = k + klen + 6;
			break;
		}
		p = k;
	}
	lt = memchr(p, '<', (size_t)(end - p));
	if (!lt)
		return false;
	gt = memchr(lt, '>', (size_t)(end - lt));
	if (!gt || gt == lt + 1)
		return false;
	tlen = (size_t)(gt - lt - 1);
	if (lt[tlen] == '/') { /* self-closing element */
		tlen--;
		*val = gt;
		*vlen = 0;
	} else {
		char closing[40];

		if (tlen + 4 > sizeof closing)
			return false;
		closing[0] = '<';
		closing[1] = '/';
		memcpy(closing + 2, lt + 1, tlen);
		closing[tlen + 2] = '>';
		close = find(gt + 1, (size_t)(end - gt - 1), closing, tlen + 3);
		if (!close)
			return false;
		*val = gt + 1;
		*vlen = (size_t)(close - gt - 1);
	}
	if (tlen >= tcap)
		tlen = tcap - 1;
	memcpy(tag, lt + 1, tlen);
	tag[tlen] = '\0';
	return true;
}
