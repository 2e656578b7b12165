/* fuzz_javamap.c - libFuzzer target: Jamf's Java map strings
 * (src/sources/javamap.c).  Whatever the bytes, the parser stays inside
 * them, adds leaves only when it says it read a map or list, and every
 * leaf path starts with the base it was given. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sources/javamap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	flat f = {0};
	bool ok;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0'; /* a C string: values are NUL-terminated in flat */
	ok = javamap_flatten(s, "b", &f);
	assert(ok || f.n == 0);
	for (size_t i = 0; i < f.n; i++) {
		assert(f.v[i].path[0] == 'b');
		assert(f.v[i].val && strlen(f.v[i].val) <= size);
	}
	flat_free(&f);
	free(s);
	return 0;
}
