-- migrate-source-file.sql: the first builds (before a raw capture was
-- known by the time in its name) kept source_file without name_time and
-- with sha256 UNIQUE alone.  This build could not open such a database
-- ('no such column: name_time'), and two captures with the same bytes at
-- different times must be two reports.  SQLite cannot change a table's
-- constraints in place: the table is made anew (schema.sql's definition,
-- with rows_skipped and unresolved, which migrate.sql has added by now)
-- and the rows copied, ids kept (observation, device, target, rejected,
-- enrollment and os_release name them).  Run by src/store.c once, after migrate.sql,
-- when source_file has no column name_time.

CREATE TABLE source_file_new (
	id             INTEGER PRIMARY KEY,
	sha256         TEXT NOT NULL,
	name_time      INTEGER NOT NULL DEFAULT 0,
	path           TEXT NOT NULL,
	kind           TEXT NOT NULL,
	format         TEXT NOT NULL,
	size           INTEGER NOT NULL,
	rows_read      INTEGER NOT NULL DEFAULT 0,
	rows_stored    INTEGER NOT NULL DEFAULT 0,
	rows_duplicate INTEGER NOT NULL DEFAULT 0,
	rows_rejected  INTEGER NOT NULL DEFAULT 0,
	time_basis     TEXT NOT NULL DEFAULT 'content',
	source_tz      TEXT,
	ingested_at    INTEGER NOT NULL,
	rows_skipped   INTEGER NOT NULL DEFAULT 0,
	unresolved     INTEGER NOT NULL DEFAULT 0,
	UNIQUE (sha256, name_time)
);
INSERT INTO source_file_new (id, sha256, name_time, path, kind, format, size,
			     rows_read, rows_stored, rows_duplicate,
			     rows_rejected, time_basis, source_tz, ingested_at,
			     rows_skipped, unresolved)
SELECT id, sha256, 0, path, kind, format, size, rows_read, rows_stored,
       rows_duplicate, rows_rejected, time_basis, source_tz, ingested_at,
       rows_skipped, unresolved
  FROM source_file ORDER BY id;
DROP TABLE source_file;
ALTER TABLE source_file_new RENAME TO source_file;
