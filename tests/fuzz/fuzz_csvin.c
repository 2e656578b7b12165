/* fuzz_csvin.c - libFuzzer target: the CSV reader on arbitrary bytes.
 * Every record and bad record callback must see sane values. */
#define _GNU_SOURCE
#include <assert.h>
#include <stdint.h>
#include <stdio.h>

#include "csvin.h"

static ddm_err on_rec(void *ctx, const csvin_record *r)
{
	(void)ctx;
	assert(r->line >= 1 && r->n <= CSVIN_MAX_FIELDS);
	for (size_t i = 0; i < r->n; i++)
		assert(r->len[i] <= CSVIN_FIELD_CAP && r->field[i][r->len[i]] == 0);
	return DDM_OK;
}

static ddm_err on_bad(void *ctx, long line, const char *why)
{
	(void)ctx;
	assert(line >= 1 && why && *why);
	return DDM_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FILE *f = fmemopen(size ? (void *)data : (void *)"", size, "rb");
	csvin_callbacks cb = {on_rec, on_bad, NULL};
	long long bytes = 0;

	if (!f)
		return 0;
	csvin_read(f, "fuzz.csv", &cb, NULL, &bytes);
	fclose(f);
	return 0;
}
