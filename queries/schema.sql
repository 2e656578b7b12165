-- schema.sql: the history database.  Run at every open; idempotent.
--
-- Times are INTEGER seconds since the Unix epoch, UTC (fractions dropped).
-- Local deadlines are TEXT 'YYYY-MM-DDTHH:MM:SS' with no zone, as in the
-- DDM declaration.  Raw values from the inputs are kept beside the mapped
-- ones (status_raw) so nothing a vendor said is lost.

-- Every input file ever ingested; a file is known by its content.
CREATE TABLE IF NOT EXISTS source_file (
	id             INTEGER PRIMARY KEY,
	sha256         TEXT NOT NULL,   -- of the content
	-- The time a file's name gives its only report (raw DDM captures named
	-- <enrollment-id>.<YYYYMMDD-HHMMSS>.<usec>.status.json), else 0.  Two
	-- captures with the same bytes at different times are two reports.
	name_time      INTEGER NOT NULL DEFAULT 0,
	path           TEXT NOT NULL,   -- as given on the command line
	kind           TEXT NOT NULL,   -- status | inventory | targets | feed
	format         TEXT NOT NULL,   -- input format name (queries/formats)
	size           INTEGER NOT NULL,
	rows_read      INTEGER NOT NULL DEFAULT 0,
	rows_stored    INTEGER NOT NULL DEFAULT 0,
	rows_duplicate INTEGER NOT NULL DEFAULT 0,
	rows_rejected  INTEGER NOT NULL DEFAULT 0,
	time_basis     TEXT NOT NULL DEFAULT 'content', -- content | file-name | mtime
	source_tz      TEXT,            -- zone used for times without one
	ingested_at    INTEGER NOT NULL,
	UNIQUE (sha256, name_time)
);

-- Every serial ever seen, with what the inventory says about it.
CREATE TABLE IF NOT EXISTS device (
	serial_number  TEXT PRIMARY KEY,
	in_inventory   INTEGER NOT NULL DEFAULT 0,
	device_name    TEXT,
	user           TEXT,
	grp            TEXT,
	platform       TEXT,
	model          TEXT,
	time_zone      TEXT,
	last_check_in  INTEGER,
	os_version     TEXT,
	source_file    INTEGER REFERENCES source_file(id)
) WITHOUT ROWID;

-- One status report of one device at one instant.  A device reports at
-- most once per second, so (serial, reported_at) identifies a report and
-- overlapping exports never double one (see observation_status_key).
CREATE TABLE IF NOT EXISTS observation (
	serial_number         TEXT NOT NULL,
	reported_at           INTEGER NOT NULL,
	status                TEXT NOT NULL,  -- Pending Downloading Cached Installing Pass Error Unknown Incompatible Excluded
	status_raw            TEXT,
	os_version            TEXT,
	build_version         TEXT,
	extra_version         TEXT,
	target_os_version     TEXT,           -- device-reported pending version
	target_build_version  TEXT,
	target_local_datetime TEXT,           -- device-reported deadline
	failure_count         INTEGER,
	failure_reason        TEXT,
	device_name           TEXT,
	user                  TEXT,
	grp                   TEXT,
	platform              TEXT,
	model                 TEXT,
	time_zone             TEXT,
	source_file           INTEGER NOT NULL REFERENCES source_file(id),
	line                  INTEGER NOT NULL
);
-- Rows are appended in file order (a rowid table: fast to load).  This one
-- index keeps a report out twice (overlapping exports, the same capture
-- fed again), finds a device's latest report in one seek, and holds the
-- status so that finding when the current status began (status_since)
-- reads index entries only: a year of nightly history costs little more
-- than a week.  Two different statuses for one device in the same second
-- are two reports and both are kept.
CREATE UNIQUE INDEX IF NOT EXISTS observation_status_key
	ON observation(serial_number, reported_at, status);


-- Enforcement targets.  Scope: serial_number (one device), else grp (a
-- group name, or '*' for every device of the platform).  Empty strings, not
-- NULL, so the UNIQUE constraint folds repeats.
CREATE TABLE IF NOT EXISTS target (
	id                    INTEGER PRIMARY KEY,
	platform              TEXT NOT NULL DEFAULT '',
	grp                   TEXT NOT NULL DEFAULT '',
	serial_number         TEXT NOT NULL DEFAULT '',
	target_os_version     TEXT NOT NULL,
	target_build_version  TEXT NOT NULL DEFAULT '',
	target_local_datetime TEXT NOT NULL,
	details_url           TEXT NOT NULL DEFAULT '',
	source_file           INTEGER NOT NULL REFERENCES source_file(id),
	line                  INTEGER NOT NULL,
	UNIQUE (platform, grp, serial_number, target_os_version,
		target_build_version, target_local_datetime)
);
CREATE INDEX IF NOT EXISTS target_group ON target(platform, grp);
CREATE INDEX IF NOT EXISTS target_serial ON target(serial_number);

-- One file's targets while it is read (src/ingest.c): each targets CSV row,
-- enforcement declaration or Jamf plan is staged here, then at the file's
-- end moved into target (target_flush) and the targets it supersedes are
-- removed (target_supersede): a file that names a scope -- (platform,
-- group, serial, declaration) -- states that scope's targets now, so an
-- earlier file's targets of the same scope that this file does not repeat
-- are gone (a moved deadline, a new version of a declaration, a replaced
-- Jamf plan).  A row with an empty target_os_version only withdraws its
-- scope (a canceled Jamf plan) and is not stored.  Same key as target.
CREATE TEMP TABLE IF NOT EXISTS target_in (
	platform              TEXT NOT NULL,
	grp                   TEXT NOT NULL,
	serial_number         TEXT NOT NULL,
	target_os_version     TEXT NOT NULL,
	target_build_version  TEXT NOT NULL,
	target_local_datetime TEXT NOT NULL,
	details_url           TEXT NOT NULL,
	source_file           INTEGER NOT NULL,
	line                  INTEGER NOT NULL,
	declaration_id        TEXT NOT NULL,
	enforcement_time_zone TEXT NOT NULL,
	UNIQUE (platform, grp, serial_number, target_os_version,
		target_build_version, target_local_datetime)
);

-- Input rows that were not ingested, and why.
CREATE TABLE IF NOT EXISTS rejected (
	source_file INTEGER NOT NULL REFERENCES source_file(id),
	line        INTEGER NOT NULL,
	reason      TEXT NOT NULL,
	raw         TEXT
);

-- What this run was asked and what it used (parameters, queries, templates
-- with their SHA-256), for the About sheet.  Temporary: one run's notes.
CREATE TEMP TABLE IF NOT EXISTS run_note (
	seq     INTEGER PRIMARY KEY,
	section TEXT NOT NULL,
	name    TEXT NOT NULL,
	value   TEXT
);

-- One status CSV's rows while the file is read (src/ingest.c): appended in
-- file order to a table with no index (as cheap as a row can be stored),
-- then moved into observation in key order by obs_stage_flush.  Rows that
-- arrive in key order keep observation_status_key's pages in cache and its
-- B-tree appended to, not split at random (measured: the insert step was
-- 39% of an ingest, mostly that index).
-- Its columns are observation's (derived, so the two cannot drift apart).
CREATE TEMP TABLE IF NOT EXISTS obs_stage AS
SELECT * FROM observation LIMIT 0;

-- DDM status reports (issue 3).  Reports are incremental, so each device's
-- current set of mapped status-item fields is kept here; every report
-- updates it (later wins per field; a full report drops older fields) and
-- then becomes an observation built from the merged set.  One row per
-- device, read and written whole by src/sources/merge.c (a row per field
-- was a dozen rows per report).
--
-- fields: the device's fields one after another, each
--   REPORTED_AT ' ' SOURCE_FILE ' ' FLEN ' ' VLEN ' ' FIELD VALUE
-- the first four in decimal ASCII; FLEN and VLEN are the byte lengths of
-- FIELD (the canonical field of queries/formats/ddm-items.map) and VALUE
-- (UTF-8, no terminator), VLEN -1 for a null value (then no VALUE bytes);
-- REPORTED_AT is the report's time, SOURCE_FILE its source_file id.  The
-- order of the fields carries no meaning.  SQL can build it (queries/
-- migrate-ddm-item.sql does, from the former per-field table) and a reader
-- splits it without quoting rules.
CREATE TABLE IF NOT EXISTS ddm_state (
	serial_number TEXT PRIMARY KEY,
	fields        BLOB NOT NULL
) WITHOUT ROWID;

-- One file's DDM reports while it is read (statements ddm_stage*): each
-- report's fields are merged into ddm_state when the file ends, device by
-- device, so the merged set and observation are written in key order
-- rather than at random.  puts: the fields the report writes, in order
-- (merge.c encodes them); keep: a full report's device facts it keeps
-- (a byte each: the field's id in merge.c).
CREATE TEMP TABLE IF NOT EXISTS ddm_stage (
	serial_number TEXT NOT NULL,
	reported_at   INTEGER NOT NULL,
	full          INTEGER NOT NULL,
	keep          BLOB NOT NULL,
	puts          BLOB NOT NULL,
	source_file   INTEGER NOT NULL,
	line          INTEGER NOT NULL,
	seq           INTEGER NOT NULL  -- the report's place in the file
);

-- One file's DDM reports that named their device only by ids no input
-- read so far ties to a serial (statements ddm_pending*): held until the
-- file is read, as a later line of the same file may tie them (a webhook
-- log whose device's first full report, or Authenticate, comes after its
-- incremental reports).  Then staged with the serial found, in their
-- place of the file (seq), or rejected as they were read.  ids: each id
-- the report carries, NUL-terminated, in the order they are looked up.
CREATE TEMP TABLE IF NOT EXISTS ddm_pending (
	seq           INTEGER NOT NULL,
	reported_at   INTEGER NOT NULL,
	full          INTEGER NOT NULL,
	keep          BLOB NOT NULL,
	puts          BLOB NOT NULL,
	source_file   INTEGER NOT NULL,
	line          INTEGER NOT NULL,
	ids           BLOB NOT NULL,
	reason        TEXT NOT NULL,
	raw           BLOB,
	done          INTEGER NOT NULL DEFAULT 0
);

-- Enrollment ids (and UDIDs) seen in a report that carried a serial, so a
-- later report of the same enrollment without one can be attributed.
CREATE TABLE IF NOT EXISTS enrollment (
	enrollment_id TEXT PRIMARY KEY,
	serial_number TEXT NOT NULL,
	source_file   INTEGER NOT NULL REFERENCES source_file(id)
) WITHOUT ROWID;

-- The classification counts of every evaluation, by as-of time: the memory
-- behind the trend report.  Re-evaluating the same as-of replaces its row.
CREATE TABLE IF NOT EXISTS run_history (
	as_of          INTEGER NOT NULL,
	classification TEXT NOT NULL,
	devices        INTEGER NOT NULL,
	PRIMARY KEY (as_of, classification)
) WITHOUT ROWID;

-- Settings and secrets of this database, e.g. the key that makes
-- redaction pseudonyms impossible to reverse by hashing guesses.
CREATE TABLE IF NOT EXISTS meta (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
) WITHOUT ROWID;

-- OS releases from a SOFA feed (macadmins/sofa v1/v2): every security
-- release, per platform (the iOS feed's "iOS and iPadOS" gives a row for
-- each).  A later feed updates a release's row.  exploited_cves is the
-- release's ActivelyExploitedCVEs, space-separated.
CREATE TABLE IF NOT EXISTS os_release (
	platform       TEXT NOT NULL,   -- macOS | iOS | iPadOS | ...
	os_major_name  TEXT,            -- OSVersions[].OSVersion ("Sequoia 15")
	version        TEXT NOT NULL,   -- ProductVersion
	build          TEXT,
	release_date   INTEGER,         -- ReleaseDate (instant)
	cve_count      INTEGER,         -- UniqueCVEsCount (else CVEs' size)
	exploited_cves TEXT NOT NULL DEFAULT '',
	source_file    INTEGER NOT NULL REFERENCES source_file(id),
	UNIQUE (platform, version)
);

-- One feed's releases while it is ingested (statements feed_*).
CREATE TEMP TABLE IF NOT EXISTS feed_stage (
	platform       TEXT NOT NULL,
	os_major_name  TEXT,
	version        TEXT NOT NULL,
	build          TEXT,
	release_date   INTEGER,
	cve_count      INTEGER,
	exploited_cves TEXT NOT NULL,
	PRIMARY KEY (platform, version)
);
