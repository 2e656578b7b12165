/* fuzz_cell.c - libFuzzer target: CSV and XLSX cell sanitising.  The XLSX
 * text must be valid UTF-8 without characters XML forbids; an excel-profile
 * CSV field never starts with a formula trigger once unquoted. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>

#include "cell.h"

static void check_xml(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned c = p[i];
		size_t k = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;

		assert(c != 0 && (c >= 0x20 || c == 9 || c == 10 || c == 13));
		assert(c < 0x80 || (c >= 0xC2 && c <= 0xF4));
		assert(i + k <= n);
		if (c == 0xEF && p[i + 1] == 0xBF)
			assert(p[i + 2] != 0xBE && p[i + 2] != 0xBF);
		if (c == 0xED)
			assert(p[i + 1] < 0xA0);
		i += k;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	buf b = {0};

	cell_xml_text(&b, s, size);
	check_xml((const unsigned char *)b.data, b.len);
	buf_reset(&b);
	cell_csv_field(&b, s, size, true, CSV_PROFILE_EXCEL);
	if (cell_is_formula_trigger(s, size))
		assert(b.len >= 2 && b.data[0] == '"' && b.data[1] == '\'');
	buf_reset(&b);
	cell_csv_field(&b, s, size, false, CSV_PROFILE_RAW);
	buf_reset(&b);
	cell_escape_diag(&b, s, size, 200);
	for (size_t i = 0; i < b.len; i++)
		assert((unsigned char)b.data[i] >= 0x20 && b.data[i] != 0x7f);
	buf_free(&b);
	return 0;
}
