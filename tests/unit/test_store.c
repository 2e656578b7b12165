/*
 * test_store.c - the one mapping from SQLite result codes to exit codes:
 * primary and extended codes alike, so a disk error anywhere (a report
 * query included) is 74, a busy database 75, and only the rest 70.
 */
#include <sqlite3.h>

#include "diag.h"
#include "store.h"
#include "unit.h"

static void test_classifier(void)
{
	static const struct {
		int rc;
		int exit_code;
	} cases[] = {
		{SQLITE_OK, 0},
		{SQLITE_DONE, 0},
		{SQLITE_FULL, 74},
		{SQLITE_IOERR, 74},
		{SQLITE_IOERR_WRITE, 74},
		{SQLITE_IOERR_FSYNC, 74},
		{SQLITE_CORRUPT, 74},
		{SQLITE_CORRUPT_INDEX, 74},
		{SQLITE_NOTADB, 74},
		{SQLITE_BUSY, 75},
		{SQLITE_BUSY_SNAPSHOT, 75},
		{SQLITE_LOCKED, 75},
		{SQLITE_LOCKED_SHAREDCACHE, 75},
		{SQLITE_CANTOPEN, 73},
		{SQLITE_READONLY, 73},
		{SQLITE_ERROR, 70},
		{SQLITE_CONSTRAINT_UNIQUE, 70},
		{SQLITE_NOMEM, 70},
		{SQLITE_MISUSE, 70},
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		CHECK_MSG(diag_exit_code(store_err_of(cases[i].rc)) ==
				  cases[i].exit_code,
			  "SQLite code %d: exit %d, expected %d", cases[i].rc,
			  diag_exit_code(store_err_of(cases[i].rc)),
			  cases[i].exit_code);
}

int main(void)
{
	test_classifier();
	UNIT_END("store");
}
