/*
 * rx.c - PCRE2 behind a small API with bounded matching.
 *
 * One match-data block and one match context per compiled pattern, so a
 * match allocates nothing.  JIT is not used: patterns here are tiny and the
 * interpreter with a match limit gives predictable worst cases.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "rx.h"

#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>

#include "util.h"

#define RX_MATCH_LIMIT 100000
#define RX_DEPTH_LIMIT 5000

struct rx {
	pcre2_code *code;	 /* owned */
	pcre2_match_data *md;	 /* owned */
	pcre2_match_context *mc; /* owned */
};

ddm_err rx_compile(const char *pattern, bool caseless, const char *where,
		   rx **out)
{
	int errcode;
	PCRE2_SIZE erroff;
	uint32_t opts = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF;
	rx *r;

	if (caseless)
		opts |= PCRE2_CASELESS;
	r = xcalloc(1, sizeof *r);
	r->code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
				opts, &errcode, &erroff, NULL);
	if (!r->code) {
		PCRE2_UCHAR msg[256];

		pcre2_get_error_message(errcode, msg, sizeof msg);
		free(r);
		return diag_error(DDM_ERR_DATA, where,
				  "bad regular expression at offset %zu: %s",
				  (size_t)erroff, (const char *)msg);
	}
	r->md = pcre2_match_data_create_from_pattern(r->code, NULL);
	r->mc = pcre2_match_context_create(NULL);
	if (!r->md || !r->mc) {
		rx_free(r);
		fprintf(stderr, "ddmreport: error: out of memory\n");
		exit(70);
	}
	pcre2_set_match_limit(r->mc, RX_MATCH_LIMIT);
	pcre2_set_depth_limit(r->mc, RX_DEPTH_LIMIT);
	*out = r;
	return DDM_OK;
}

int rx_match_group(const rx *r, const char *s, size_t len, int g,
		   const char **gs, size_t *glen)
{
	int rc = pcre2_match(r->code, (PCRE2_SPTR)s, len, 0, 0, r->md, r->mc);

	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	if (rc < 0)
		return -1;
	if (gs) {
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(r->md);

		if (g < rc && ov[2 * g] != PCRE2_UNSET) {
			*gs = s + ov[2 * g];
			*glen = ov[2 * g + 1] - ov[2 * g];
		} else {
			*gs = NULL;
			*glen = 0;
		}
	}
	return 1;
}

int rx_match(const rx *r, const char *s, size_t len)
{
	return rx_match_group(r, s, len, 0, NULL, NULL);
}

void rx_free(rx *r)
{
	if (!r)
		return;
	pcre2_match_context_free(r->mc);
	pcre2_match_data_free(r->md);
	pcre2_code_free(r->code);
	free(r);
}
