/* fuzz_timever.c - libFuzzer target: timestamp and version parsing, and
 * the version order's antisymmetry on two halves of the input. */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "timeutil.h"
#include "version.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	size_t half = size / 2;
	int64_t t;
	bool zone;
	version a, b;
	char out[40];

	if (ts_parse(s, size, &t, &zone))
		ts_format_utc(t, out);
	(void)ts_parse_wall(s, size, &t);
	if (version_parse(s, half, &a) && version_parse(s + half, size - half, &b)) {
		int x = version_compare(&a, &b), y = version_compare(&b, &a);

		assert((x > 0) - (x < 0) == -((y > 0) - (y < 0)));
		assert(version_compare(&a, &a) == 0);
	}
	return 0;
}
