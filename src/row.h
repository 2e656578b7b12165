/*
 * row.h - one value of a report row, as the render stage hands it to the
 * CSV and XLSX writers.  Values point into the query cursor: valid until
 * the next row.
 */
#ifndef DDM_ROW_H
#define DDM_ROW_H

#include <stddef.h>
#include <stdint.h>

typedef struct rowval {
	char type;     /* 'n' NULL, 'i' integer, 'r' real, 't' text */
	const char *s; /* text form (all types; "" for NULL) */
	size_t len;
	int64_t i;
	double d;
} rowval;

#endif
