/*
 * xlsx_ref.c - the benchmark's reference for `ddmreport report`: the least
 * a program can do to turn the report CSVs into one workbook.
 *
 * usage: xlsx_ref OUT.xlsx FILE.csv...
 *
 * One worksheet per CSV (named after the file), every cell written as it
 * stands in the CSV: a number when the whole field is one, else a string,
 * with no format (NULL), in libxlsxwriter's constant-memory mode, default
 * zip settings.  No titles, widths, filters, charts or date cells: what is
 * left is the bare cost of the cells themselves.  Built and run by
 * tests/bench/bench.py only; not part of ddmreport.
 */
#include <csv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xlsxwriter.h>

typedef struct sheet_state {
	lxw_worksheet *ws;
	lxw_row_t row;
	lxw_col_t col;
	int failed;
} sheet_state;

/* True when s (NUL-terminated) is a whole decimal number. */
static int is_number(const char *s, size_t len, double *out)
{
	char *end;

	if (len == 0 || len > 20 || s[0] == ' ' || s[0] == '+')
		return 0;
	*out = strtod(s, &end);
	return end == s + len;
}

static void on_field(void *data, size_t len, void *ctx)
{
	sheet_state *st = ctx;
	char small[256], *s = small;
	double d;

	if (len >= sizeof small)
		s = malloc(len + 1);
	if (!s) {
		st->failed = 1;
		return;
	}
	memcpy(s, data, len);
	s[len] = '\0';
	if (is_number(s, len, &d)) {
		if (worksheet_write_number(st->ws, st->row, st->col, d, NULL))
			st->failed = 1;
	} else if (len > 0) {
		if (worksheet_write_string(st->ws, st->row, st->col, s, NULL))
			st->failed = 1;
	}
	if (s != small)
		free(s);
	st->col++;
}

static void on_record(int c, void *ctx)
{
	sheet_state *st = ctx;

	(void)c;
	st->row++;
	st->col = 0;
}

int main(int argc, char **argv)
{
	lxw_workbook_options opt = {.constant_memory = LXW_TRUE};
	lxw_workbook *wb;
	char buf[65536];

	if (argc < 3) {
		fprintf(stderr, "usage: xlsx_ref OUT.xlsx FILE.csv...\n");
		return 64;
	}
	wb = workbook_new_opt(argv[1], &opt);
	if (!wb)
		return 73;
	for (int i = 2; i < argc; i++) {
		const char *base = strrchr(argv[i], '/');
		char name[32];
		struct csv_parser p;
		sheet_state st = {0};
		FILE *f = fopen(argv[i], "rb");
		size_t n;

		if (!f) {
			perror(argv[i]);
			return 66;
		}
		base = base ? base + 1 : argv[i];
		snprintf(name, sizeof name, "%.*s", (int)strcspn(base, "."),
			 base);
		st.ws = workbook_add_worksheet(wb, name);
		csv_init(&p, 0);
		while ((n = fread(buf, 1, sizeof buf, f)) > 0)
			if (csv_parse(&p, buf, n, on_field, on_record, &st) !=
			    n)
				return 65;
		csv_fini(&p, on_field, on_record, &st);
		csv_free(&p);
		fclose(f);
		if (st.failed)
			return 70;
	}
	return workbook_close(wb) == LXW_NO_ERROR ? 0 : 74;
}
