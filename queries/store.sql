-- store.sql: the statements the ingest stage runs for every input row.
-- Each is named by the "-- name:" line before it; values are always bound.

-- name: file_begin
INSERT INTO source_file (sha256, path, kind, format, size, time_basis,
                         source_tz, ingested_at)
VALUES (:pending, :path, '', '', :size, 'content', :source_tz, :now)
RETURNING id;

-- name: file_known
SELECT id, path FROM source_file
 WHERE sha256 = :sha256 AND name_time = :name_time;

-- name: file_finish
UPDATE source_file
   SET sha256 = :sha256, name_time = :name_time, kind = :kind,
       format = :format, size = :size,
       rows_read = :rows_read, rows_stored = :rows_stored,
       rows_duplicate = :rows_duplicate, rows_rejected = :rows_rejected,
       time_basis = :time_basis, rows_skipped = coalesce(:rows_skipped, 0),
       unresolved = :unresolved
 WHERE id = :file;

-- name: file_retry
-- A file read before (:id, the same content) of which nothing was stored:
-- every report was rejected because no input had tied its id to a serial
-- (a night's DDM capture whose Mac the next night's webhook log names).
-- Read again, it stored reports: this reading replaces that record
-- (file_forget_rejected, file_forget), which nothing else refers to.
SELECT id FROM source_file
 WHERE id = :id AND rows_stored = 0 AND unresolved > 0
   AND rows_rejected = unresolved;

-- name: file_forget_rejected
DELETE FROM rejected WHERE source_file = :id;

-- name: file_forget
DELETE FROM source_file WHERE id = :id;

-- name: observation
INSERT OR IGNORE INTO observation (
	serial_number, reported_at, status, status_raw, os_version,
	build_version, extra_version, target_os_version, target_build_version,
	target_local_datetime, failure_count, failure_reason, device_name,
	user, grp, platform, model, time_zone, source_file, line)
VALUES (:serial_number, :reported_at, :status, :status_raw, :os_version,
	:build_version, :extra_version, :target_os_version,
	:target_build_version, :target_local_datetime, :failure_count,
	:failure_reason, :device_name, :user, :grp, :platform, :model,
	:time_zone, :file, :line);

-- name: obs_stage
-- A status CSV row, staged (see temp.obs_stage in schema.sql).
INSERT INTO temp.obs_stage (
	serial_number, reported_at, status, status_raw, os_version,
	build_version, extra_version, target_os_version, target_build_version,
	target_local_datetime, failure_count, failure_reason, device_name,
	user, grp, platform, model, time_zone, source_file, line)
VALUES (:serial_number, :reported_at, :status, :status_raw, :os_version,
	:build_version, :extra_version, :target_os_version,
	:target_build_version, :target_local_datetime, :failure_count,
	:failure_reason, :device_name, :user, :grp, :platform, :model,
	:time_zone, :file, :line);

-- name: obs_stage_flush
-- The staged rows into observation in key order; a row already stored
-- (same serial, second and status) is a duplicate and ignored.  Within one
-- key the first row of the file wins, as when rows were inserted one by
-- one.  The ORDER BY is one sort of the whole rows (SQLite's external
-- sorter, in memory bounded by the cache size, then merged from the temp
-- file).  Measured against an index over the staged keys, through which
-- the rows were then read at random: a 1M-row night onto 1M, CPU of user +
-- system 16.1-16.4 s against 18.3-19.6 s (system time a third: the random
-- reads were 16 KiB page reads of the temp file), a 100k night onto 29
-- nights 1.8 s against 2.0 s, peak RSS 32 MiB against 25 MiB.
INSERT OR IGNORE INTO observation (
	serial_number, reported_at, status, status_raw, os_version,
	build_version, extra_version, target_os_version, target_build_version,
	target_local_datetime, failure_count, failure_reason, device_name,
	user, grp, platform, model, time_zone, source_file, line)
SELECT serial_number, reported_at, status, status_raw, os_version,
       build_version, extra_version, target_os_version, target_build_version,
       target_local_datetime, failure_count, failure_reason, device_name,
       user, grp, platform, model, time_zone, source_file, line
  FROM temp.obs_stage
 ORDER BY serial_number, reported_at, status, rowid;

-- name: obs_stage_clear
DELETE FROM temp.obs_stage;

-- name: obs_append
-- A status CSV row straight into an empty observation table while its key
-- index is dropped (obs_key_drop ... obs_key_build): the first load of a
-- new database appends rows only, and the index is built once, by sorting
-- the keys, instead of being grown one random key at a time.
INSERT INTO observation (
	serial_number, reported_at, status, status_raw, os_version,
	build_version, extra_version, target_os_version, target_build_version,
	target_local_datetime, failure_count, failure_reason, device_name,
	user, grp, platform, model, time_zone, source_file, line)
VALUES (:serial_number, :reported_at, :status, :status_raw, :os_version,
	:build_version, :extra_version, :target_os_version,
	:target_build_version, :target_local_datetime, :failure_count,
	:failure_reason, :device_name, :user, :grp, :platform, :model,
	:time_zone, :file, :line);

-- name: obs_key_drop
DROP INDEX IF EXISTS observation_status_key;

-- name: obs_dedupe
-- Before the key is rebuilt: a report given twice in the file keeps its
-- first row (what INSERT OR IGNORE row by row would have kept).
DELETE FROM observation
 WHERE rowid > :base
   AND rowid NOT IN (SELECT min(rowid) FROM observation WHERE rowid > :base
                      GROUP BY serial_number, reported_at, status);

-- name: obs_key_build
-- The same index as in schema.sql (keep the two alike).
CREATE UNIQUE INDEX IF NOT EXISTS observation_status_key
	ON observation(serial_number, reported_at, status);

-- name: observation_base
SELECT coalesce(max(rowid), 0) FROM observation;

-- name: devices_of_file
-- Every serial a file's status rows added, registered once per file in
-- serial order (rows are appended, so they are the rowids after :base):
-- far cheaper than a lookup per row.
INSERT OR IGNORE INTO device (serial_number)
SELECT serial_number FROM observation WHERE rowid > :base ORDER BY 1;

-- name: devices_of_stage
-- The same after obs_stage_flush stored at least one row: those rows were
-- appended in key order, so their serials are read back in order without
-- a sort.  Measured at 1M rows onto 1M: 1.0 s of CPU against 2.1 s for
-- sorting the staged file's serials (a second pass over the staged rows).
INSERT OR IGNORE INTO device (serial_number)
SELECT serial_number FROM observation WHERE rowid > :base;

-- name: devices_of_bulk
-- The same after a bulk load (obs_append into an empty observation, then
-- obs_key_build): every row is this file's, and the serials are read in
-- order from the key index just built, keys only.
INSERT OR IGNORE INTO device (serial_number)
SELECT DISTINCT serial_number FROM observation;

-- name: inventory
-- The OS version is the newer one by the time it was read: the row's
-- last_inventory_update when the export has it, else its check-in.  A
-- row with a later check-in and no version (an export without that
-- column) keeps the stored version with the time it was read: a check-in
-- does not make an old version new.  A row whose check-in is older than
-- the stored one (an export fed late, a second inventory a night behind)
-- only fills what is unknown: it does not move the device back to its
-- former group, user, name, zone or Jamf ids; an unknown version it
-- fills is dated by that row's own reading.
INSERT INTO device (serial_number, in_inventory, device_name, user, grp,
                    platform, model, time_zone, last_check_in, os_version,
                    os_version_at, source_file, jamf_id,
                    jamf_mobile_device_id, management_id, unenrolled_at,
                    unenrolled_by)
VALUES (:serial_number, 1, :device_name, :user, :grp, :platform, :model,
        :time_zone, :last_check_in, :os_version,
        CASE WHEN :os_version IS NOT NULL THEN :last_inventory_update END,
        :file, :jamf_id, :jamf_mobile_device_id, :management_id,
        -- Unmanaged (Jamf's Managed column): the MDM let the device go;
        -- out of scope from this check-in on, as after a CheckOut, until
        -- it is heard from later (a later row saying Managed, a report)
        CASE WHEN :managed = 0 THEN :last_check_in END,
        CASE WHEN :managed = 0 THEN 'inventory' END)
ON CONFLICT (serial_number) DO UPDATE SET
	in_inventory  = 1,
	unenrolled_by = CASE WHEN excluded.unenrolled_at
	                          >= coalesce(unenrolled_at, -9e18)
	                     THEN excluded.unenrolled_by ELSE unenrolled_by END,
	unenrolled_at = max(coalesce(unenrolled_at, excluded.unenrolled_at),
	                    coalesce(excluded.unenrolled_at, unenrolled_at)),
	jamf_id = CASE WHEN excluded.last_check_in < last_check_in
		THEN coalesce(jamf_id, excluded.jamf_id)
		ELSE coalesce(excluded.jamf_id, jamf_id) END,
	jamf_mobile_device_id = CASE WHEN excluded.last_check_in < last_check_in
		THEN coalesce(jamf_mobile_device_id, excluded.jamf_mobile_device_id)
		ELSE coalesce(excluded.jamf_mobile_device_id, jamf_mobile_device_id) END,
	management_id = CASE WHEN excluded.last_check_in < last_check_in
		THEN coalesce(management_id, excluded.management_id)
		ELSE coalesce(excluded.management_id, management_id) END,
	device_name = CASE WHEN excluded.last_check_in < last_check_in
		THEN coalesce(device_name, excluded.device_name)
		ELSE coalesce(excluded.device_name, device_name) END,
	user = CASE WHEN excluded.last_check_in < last_check_in
		THEN coalesce(user, excluded.user)
		ELSE coalesce(excluded.user, user) END,
	grp = CASE WHEN excluded.last_check_in < last_check_in
		THEN coalesce(grp, excluded.grp)
		ELSE coalesce(excluded.grp, grp) END,
	platform      = coalesce(excluded.platform, platform),
	model         = coalesce(excluded.model, model),
	time_zone = CASE WHEN excluded.last_check_in < last_check_in
		THEN coalesce(time_zone, excluded.time_zone)
		ELSE coalesce(excluded.time_zone, time_zone) END,
	last_check_in = CASE
		WHEN last_check_in IS NULL
		  OR excluded.last_check_in >= last_check_in
		THEN coalesce(excluded.last_check_in, last_check_in)
		ELSE last_check_in END,
	os_version    = CASE
		-- unknown: any row's version fills it, an older row's too
		WHEN os_version IS NULL THEN excluded.os_version
		WHEN coalesce(os_version_at, last_check_in) IS NULL
		  OR coalesce(excluded.os_version_at,
		              excluded.last_check_in) IS NULL
		  OR coalesce(excluded.os_version_at, excluded.last_check_in)
		     >= coalesce(os_version_at, last_check_in)
		THEN coalesce(excluded.os_version, os_version)
		ELSE os_version END,
	os_version_at = CASE
		-- an older row's version fills an unknown one, dated by when
		-- that row read it: the stored check-in is the newer row's
		WHEN os_version IS NULL AND excluded.os_version IS NOT NULL
		THEN CASE WHEN excluded.last_check_in < last_check_in
		          THEN coalesce(excluded.os_version_at,
		                        excluded.last_check_in)
		          ELSE excluded.os_version_at END
		WHEN excluded.os_version IS NOT NULL
		 AND (coalesce(os_version_at, last_check_in) IS NULL
		      OR coalesce(excluded.os_version_at,
		                  excluded.last_check_in) IS NULL
		      OR coalesce(excluded.os_version_at, excluded.last_check_in)
		         >= coalesce(os_version_at, last_check_in))
		THEN excluded.os_version_at
		WHEN excluded.os_version IS NULL AND os_version IS NOT NULL
		THEN coalesce(os_version_at, last_check_in)
		ELSE os_version_at END,
	source_file   = excluded.source_file;

-- name: target
-- A target, staged for its file (temp.target_in in schema.sql).  Seen
-- twice in one file, the first is kept, unless the second names an
-- enforcement zone the first did not have.
INSERT INTO temp.target_in (platform, grp, serial_number,
	target_os_version, target_build_version, target_local_datetime,
	details_url, source_file, line, declaration_id, enforcement_time_zone)
VALUES (:platform, :grp, :serial_number, :target_os_version,
	:target_build_version, :target_local_datetime, :details_url, :file,
	:line, coalesce(:declaration_id, ''),
	coalesce(:enforcement_time_zone, ''))
ON CONFLICT (platform, grp, serial_number, target_os_version,
	     target_build_version, target_local_datetime) DO UPDATE SET
	enforcement_time_zone = excluded.enforcement_time_zone
 WHERE excluded.enforcement_time_zone <> ''
   AND excluded.enforcement_time_zone <> target_in.enforcement_time_zone;

-- name: target_serial
-- A target for one device (a Jamf managed software update plan): its
-- platform is the plan's, else the device's.  An empty
-- :target_os_version withdraws the device's targets (a canceled plan).
INSERT OR IGNORE INTO temp.target_in (platform, grp, serial_number,
	target_os_version, target_build_version, target_local_datetime,
	details_url, source_file, line, declaration_id, enforcement_time_zone)
VALUES (coalesce(nullif(:platform, ''),
                 (SELECT platform FROM device
                   WHERE serial_number = :serial_number), ''),
	'', :serial_number, :target_os_version, :target_build_version,
	:target_local_datetime, '', :file, :line, '', '');

-- name: target_repeated
-- The staged targets stored already, as they are (an earlier file stated
-- them): the file's duplicates.  One that now names an enforcement zone
-- it did not have is stored (the zone is kept).
SELECT count(*) FROM temp.target_in i JOIN target t
    ON t.platform = i.platform AND t.grp = i.grp
   AND t.serial_number = i.serial_number
   AND t.target_os_version = i.target_os_version
   AND t.target_build_version = i.target_build_version
   AND t.target_local_datetime = i.target_local_datetime
 WHERE i.enforcement_time_zone = ''
    OR i.enforcement_time_zone = t.enforcement_time_zone;

-- name: target_flush
-- The file's targets into target, in file order.
INSERT INTO target (platform, grp, serial_number,
	target_os_version, target_build_version, target_local_datetime,
	details_url, source_file, line, declaration_id, enforcement_time_zone)
SELECT platform, grp, serial_number, target_os_version,
       target_build_version, target_local_datetime, details_url,
       source_file, line, declaration_id, enforcement_time_zone
  FROM temp.target_in
 WHERE target_os_version <> ''
 ORDER BY rowid
ON CONFLICT (platform, grp, serial_number, target_os_version,
	     target_build_version, target_local_datetime) DO UPDATE SET
	enforcement_time_zone = excluded.enforcement_time_zone
 WHERE excluded.enforcement_time_zone <> ''
   AND excluded.enforcement_time_zone <> target.enforcement_time_zone;

-- name: target_supersede
-- Every stored target of a scope the file names that the file does not
-- repeat: superseded (see temp.target_in).  Groups compare without case,
-- as the evaluation matches them.  A serial's scope is the serial, whatever
-- platform each file gave it (the evaluation lets a serial target reach its
-- device across iOS and iPadOS, and one stored with no platform - a Jamf
-- plan read before the device's model was known - whatever its platform).
DELETE FROM target
 WHERE ((target.serial_number <> '' AND target.grp = ''
         AND (target.serial_number, target.declaration_id) IN
             (SELECT serial_number, declaration_id FROM temp.target_in
               WHERE serial_number <> '' AND grp = ''))
        OR EXISTS (SELECT 1 FROM temp.target_in i
                    WHERE i.platform = target.platform
                      AND i.grp = target.grp COLLATE DDM_GROUP
                      AND i.serial_number = target.serial_number
                      AND i.declaration_id = target.declaration_id))
   AND NOT EXISTS (SELECT 1 FROM temp.target_in i
                    WHERE i.platform = target.platform
                      AND i.grp = target.grp
                      AND i.serial_number = target.serial_number
                      AND i.target_os_version = target.target_os_version
                      AND i.target_build_version = target.target_build_version
                      AND i.target_local_datetime = target.target_local_datetime
                      AND i.target_os_version <> '');

-- name: target_in_clear
DELETE FROM temp.target_in;

-- name: device_checkout
-- The device unenrolled (an MDM CheckOut) at :unenrolled_at; the latest
-- such time is kept.  A device row is made if none exists yet (a report
-- in the same file is stored after it).
INSERT INTO device (serial_number, unenrolled_at, unenrolled_by)
VALUES (:serial_number, :unenrolled_at, 'checkout')
ON CONFLICT (serial_number) DO UPDATE SET
	unenrolled_by = CASE WHEN excluded.unenrolled_at
	                          >= coalesce(unenrolled_at, -9e18)
	                     THEN 'checkout' ELSE unenrolled_by END,
	unenrolled_at = max(coalesce(unenrolled_at, excluded.unenrolled_at),
	                    excluded.unenrolled_at);

-- name: device_enrolled
-- The device's channel checked in (NanoMDM's Authenticate, TokenUpdate or
-- a command result) at :enrolled_at: it was enrolled then, and a CheckOut
-- before that no longer counts; the latest such time is kept.  A device
-- row is made if none exists yet (listed only once it is in an inventory
-- or reported).
INSERT INTO device (serial_number, enrolled_at)
VALUES (:serial_number, :enrolled_at)
ON CONFLICT (serial_number) DO UPDATE SET
	enrolled_at = max(coalesce(enrolled_at, excluded.enrolled_at),
	                  excluded.enrolled_at);

-- name: device_untimed
-- A status row without a time (Kandji's PENDING: the device never
-- reported): the device is known, with that status, and no observation.
-- Names and groups already known are kept (the evaluation puts a later
-- report's before them).  The platform is the row's (Kandji's type
-- macos-release), so the device meets its blueprint's targets.
INSERT INTO device (serial_number, device_name, grp, platform,
                    untimed_status, untimed_status_raw, source_file)
VALUES (:serial_number, :device_name, :grp, :platform, :status, :status_raw,
        :file)
ON CONFLICT (serial_number) DO UPDATE SET
	device_name = coalesce(device_name, excluded.device_name),
	grp = coalesce(grp, excluded.grp),
	platform = coalesce(platform, excluded.platform),
	untimed_status = excluded.untimed_status,
	untimed_status_raw = excluded.untimed_status_raw;

-- name: rejected
INSERT INTO rejected (source_file, line, reason, raw)
VALUES (:file, :line, :reason, :raw);

-- name: note
INSERT INTO temp.run_note (section, name, value) VALUES (:section, :name, :value);

-- ---- DDM status reports (src/sources/) -------------------------------------

-- name: json_leaves
-- Every scalar of a JSON document with its path ($.a."b-c"[0]), and every
-- empty object or array (so {"StatusItems": {}} is still seen).
SELECT fullkey, type, atom FROM json_tree(:doc)
 WHERE type NOT IN ('object', 'array') OR value IN ('{}', '[]');

-- name: ddm_stage
-- One merged DDM report, kept until the file is read (src/sources/merge.c):
-- the fields it puts, in order, and whether it is a full report.
INSERT INTO temp.ddm_stage (serial_number, reported_at, full, keep, puts,
                            source_file, line, seq)
VALUES (:serial_number, :reported_at, :full, :keep, :puts, :file, :line,
        :seq);

-- name: ddm_stage_read
-- The file's reports device by device, each device's in file order.
SELECT serial_number, reported_at, full, keep, puts, source_file, line, seq
  FROM temp.ddm_stage
 ORDER BY serial_number, seq;

-- name: ddm_stage_clear
DELETE FROM temp.ddm_stage;

-- name: ddm_pending_put
-- A report whose device is not known yet, held (temp.ddm_pending).
INSERT INTO temp.ddm_pending (seq, reported_at, full, keep, puts,
                              source_file, line, ids, reason, raw)
VALUES (:seq, :reported_at, :full, :keep, :puts, :file, :line, :ids,
        :reason, :raw);

-- name: ddm_pending_read
-- The held reports not tied yet, in file order.
SELECT seq, reported_at, full, keep, puts, source_file, line, ids, reason,
       raw, rowid
  FROM temp.ddm_pending
 WHERE NOT done
 ORDER BY rowid;

-- name: ddm_pending_done
UPDATE temp.ddm_pending SET done = 1 WHERE rowid = :rowid;

-- name: ddm_pending_clear
DELETE FROM temp.ddm_pending;

-- name: ddm_any
-- 1 when some device has a merged set (0: a first load, nothing to read).
SELECT EXISTS (SELECT 1 FROM ddm_state);

-- name: ddm_state
-- A device's merged set as the database has it (encoded: schema.sql).
SELECT fields FROM ddm_state WHERE serial_number = :serial_number;

-- name: ddm_set
-- A device's merged set after the file's reports, written whole (one
-- statement per changed device).  The merge itself is done in merge.c:
-- later wins per field, an older report never overwrites a newer value, a
-- full report drops older fields.
INSERT OR REPLACE INTO ddm_state (serial_number, fields)
VALUES (:serial_number, :fields);

-- name: ddm_observation
-- The device's merged set (one parameter per field, NULL when the set has
-- none) as one observation at the report's time.  The effective build is
-- the supplemental (RSR/BSI) build when there is one.  Re-ingesting the
-- same report elsewhere (webhook log and capture folder) changes nothing
-- and counts as a duplicate.
INSERT INTO observation (
	serial_number, reported_at, status, status_raw, os_version,
	build_version, extra_version, target_os_version, target_build_version,
	target_local_datetime, failure_count, failure_reason, model, platform,
	errors, declarations, source_file, line)
VALUES (:serial_number, :reported_at,
       coalesce(:status, 'Unknown'),
       :status_raw,
       :os_version,
       coalesce(:supplemental_build_version, :build_version),
       :extra_version,
       :target_os_version,
       :target_build_version,
       :target_local_datetime,
       ddm_count(:failure_count),
       :failure_reason,
       :model,
       :platform,
       nullif(trim(coalesce(:report_errors, '') || '; ' ||
                   coalesce(:decl_errors, ''), '; '), ''),
       nullif(trim(coalesce(:active_configs, '') || ' ' ||
                   coalesce(:declaration_id, '')), ''),
       :file, :line)
ON CONFLICT (serial_number, reported_at, status) DO UPDATE SET
	status = excluded.status, status_raw = excluded.status_raw,
	os_version = excluded.os_version, build_version = excluded.build_version,
	extra_version = excluded.extra_version,
	target_os_version = excluded.target_os_version,
	target_build_version = excluded.target_build_version,
	target_local_datetime = excluded.target_local_datetime,
	failure_count = excluded.failure_count,
	failure_reason = excluded.failure_reason, model = excluded.model,
	platform = excluded.platform, errors = excluded.errors,
	declarations = excluded.declarations,
	source_file = excluded.source_file, line = excluded.line
 WHERE (observation.status, observation.status_raw, observation.os_version,
        observation.build_version, observation.extra_version,
        observation.target_os_version, observation.target_build_version,
        observation.target_local_datetime, observation.failure_count,
        observation.failure_reason, observation.errors,
        observation.declarations)
   IS NOT (excluded.status, excluded.status_raw, excluded.os_version,
        excluded.build_version, excluded.extra_version,
        excluded.target_os_version, excluded.target_build_version,
        excluded.target_local_datetime, excluded.failure_count,
        excluded.failure_reason, excluded.errors, excluded.declarations);

-- name: enrollment_put
INSERT INTO enrollment (enrollment_id, serial_number, source_file)
VALUES (:enrollment_id, :serial_number, :file)
ON CONFLICT (enrollment_id) DO UPDATE SET
	serial_number = excluded.serial_number, source_file = excluded.source_file
 WHERE serial_number IS NOT excluded.serial_number;

-- name: enrollment_get
SELECT serial_number FROM enrollment WHERE enrollment_id = :enrollment_id;

-- name: jamf_serial
-- A Jamf computer id (inventory column jamf_computer_id, alias jamf_id).
SELECT serial_number FROM device WHERE jamf_id = :jamf_id
 ORDER BY serial_number LIMIT 1;

-- name: jamf_mobile_serial
SELECT serial_number FROM device WHERE jamf_mobile_device_id = :jamf_id
 ORDER BY serial_number LIMIT 1;

-- name: management_serial
-- A Jamf Pro management id is a UUID (hexadecimal): the inventory writes
-- it lower case, another tool upper case; it is the same device in either
-- (as identity_id reads UDIDs and enrollment ids).  Stored as the
-- inventory wrote it, so it is looked up as written, upper- and
-- lower-cased (ASCII), each through the index.
SELECT serial_number FROM device
 WHERE management_id IN (:management_id, upper(:management_id),
                         lower(:management_id))
 ORDER BY serial_number LIMIT 1;

-- name: meta_put
-- Keeps the first value ever stored under a key.
INSERT OR IGNORE INTO meta (key, value) VALUES (:key, :value);

-- name: meta_get
SELECT value FROM meta WHERE key = :key;

-- ---- SOFA feeds (macadmins/sofa v1/v2; src/sources/sofa.c) -------------------------

-- name: feed_shape
-- 0: not a feed; 1: a v1 feed; 2: a v2 feed (it has SchemaVersion).  A
-- feed is an object with OSVersions[] and UpdateHash.
SELECT CASE WHEN NOT json_valid(:doc) THEN 0
            WHEN json_type(:doc) <> 'object' THEN 0
            WHEN json_type(:doc, '$.OSVersions') IS NOT 'array' THEN 0
            WHEN json_type(:doc, '$.UpdateHash') IS NULL THEN 0
            WHEN json_type(:doc, '$.SchemaVersion') IS NOT NULL THEN 2
            ELSE 1 END;

-- name: feed_entries
-- How many security releases the feed lists.
SELECT count(*)
  FROM json_each(:doc, '$.OSVersions') o,
       json_each(CASE o.type WHEN 'object' THEN o.value END,
                 '$.SecurityReleases') r;

-- name: feed_clear
DELETE FROM temp.feed_stage;

-- name: feed_stage
-- Every OSVersions[].SecurityReleases[] entry, one row per platform it is
-- for: the platforms its UpdateName names ("iOS 18.7.6" is for iPhones
-- only, "iPadOS 17.7.10" for iPads only, "iOS 26.1 and iPadOS 26.1" for
-- both), else those its ProductName names (the iOS feed's ProductName is
-- "iOS and iPadOS" for every entry).  A version listed twice
-- (a device-specific release, then the universal one) is one release: the
-- earliest date, the union of its actively exploited CVEs.
INSERT INTO temp.feed_stage
WITH plat (p) AS (VALUES ('macOS'), ('iOS'), ('iPadOS'), ('tvOS'),
                         ('watchOS'), ('visionOS')),
entry AS (
	SELECT json_extract(CASE o.type WHEN 'object' THEN o.value END,
	                    '$.OSVersion') AS os_major_name,
	       CASE r.type WHEN 'object' THEN r.value END AS rel
	  FROM json_each(:doc, '$.OSVersions') o,
	       json_each(CASE o.type WHEN 'object' THEN o.value END,
	                 '$.SecurityReleases') r),
rel AS (
	SELECT pl.p AS platform, e.os_major_name,
	       CAST(json_extract(e.rel, '$.ProductVersion') AS TEXT) AS version,
	       nullif(CAST(json_extract(e.rel, '$.Build') AS TEXT), '') AS build,
	       CAST(strftime('%s', json_extract(e.rel, '$.ReleaseDate'))
	            AS INTEGER) AS release_date,
	       coalesce(CAST(json_extract(e.rel, '$.UniqueCVEsCount') AS INTEGER),
	                CASE json_type(e.rel, '$.CVEs') WHEN 'object' THEN
	                  (SELECT count(*) FROM json_each(e.rel, '$.CVEs')) END)
	           AS cve_count,
	       e.rel
	  FROM (SELECT e.*,
	               CASE WHEN EXISTS (SELECT 1 FROM plat q
	                                  WHERE instr(e.update_name, ' ' || q.p || ' ') > 0)
	                    THEN e.update_name
	                    ELSE ' ' || coalesce(json_extract(e.rel, '$.ProductName'), '') || ' '
	               END AS names
	          FROM (SELECT e.*,
	                       ' ' || replace(replace(replace(coalesce(
	                           CAST(json_extract(e.rel, '$.UpdateName') AS TEXT), ''),
	                           ',', ' '), '(', ' '), ')', ' ') || ' ' AS update_name
	                  FROM entry e WHERE e.rel IS NOT NULL) e) e
	  JOIN plat pl ON instr(e.names, ' ' || pl.p || ' ') > 0)
SELECT platform, max(os_major_name), version, max(build), min(release_date),
       max(cve_count),
       coalesce((SELECT group_concat(cve, ' ') FROM (
	           SELECT DISTINCT x.value AS cve
	             FROM rel r2, json_each(r2.rel, '$.ActivelyExploitedCVEs') x
	            WHERE r2.platform = rel.platform AND r2.version = rel.version
	              AND json_type(r2.rel, '$.ActivelyExploitedCVEs') = 'array'
	              AND x.type = 'text' AND x.value <> ''
	              AND instr(x.value, ' ') = 0
	            ORDER BY x.value)), '')
  FROM rel
 WHERE ddm_version_ok(version)
 GROUP BY platform, version;

-- name: feed_release
-- The staged releases into os_release: a later feed updates a release
-- (what it leaves out is kept); an unchanged release is not a change.
INSERT INTO os_release (platform, os_major_name, version, build,
                        release_date, cve_count, exploited_cves, source_file)
SELECT platform, os_major_name, version, build, release_date, cve_count,
       exploited_cves, :file
  FROM temp.feed_stage WHERE true
 ORDER BY platform, version
ON CONFLICT (platform, version) DO UPDATE SET
	os_major_name  = coalesce(excluded.os_major_name, os_major_name),
	build          = coalesce(excluded.build, build),
	release_date   = coalesce(excluded.release_date, release_date),
	cve_count      = coalesce(excluded.cve_count, cve_count),
	exploited_cves = excluded.exploited_cves,
	source_file    = excluded.source_file
 WHERE (os_release.os_major_name, os_release.build, os_release.release_date,
        os_release.cve_count, os_release.exploited_cves)
   IS NOT (coalesce(excluded.os_major_name, os_release.os_major_name),
           coalesce(excluded.build, os_release.build),
           coalesce(excluded.release_date, os_release.release_date),
           coalesce(excluded.cve_count, os_release.cve_count),
           excluded.exploited_cves);

-- name: eval_split
-- How many devices the history knows, and the serial number in the middle
-- of their order: a large fleet is evaluated in two parts at once, the
-- devices below it and the rest (src/evaluate.c).
SELECT count(*),
       (SELECT serial_number FROM device ORDER BY serial_number
         LIMIT 1 OFFSET (SELECT count(*) FROM device) / 2)
  FROM device;

-- name: last_file_id
-- The newest input's id before a run ingests: later ids are that run's.
SELECT coalesce(max(id), 0) FROM source_file;

-- name: ddm_observation_forward
-- A report that arrived after newer ones (merge.c, forward): the items it
-- carried that no newer report changed were the device's through those
-- newer reports too (they are incremental: a report carries what
-- changed), so the newer observations that lack them get them: the
-- pending version with its deadline (:pending 1) and the active
-- declarations (:decl 1), which decide the device's target.
UPDATE observation SET
	target_os_version = CASE WHEN :pending AND target_os_version IS NULL
	                          AND target_local_datetime IS NULL
	                         THEN :target_os_version
	                         ELSE target_os_version END,
	target_build_version = CASE WHEN :pending AND target_os_version IS NULL
	                             AND target_local_datetime IS NULL
	                            THEN :target_build_version
	                            ELSE target_build_version END,
	target_local_datetime = CASE WHEN :pending AND target_os_version IS NULL
	                              AND target_local_datetime IS NULL
	                             THEN :target_local_datetime
	                             ELSE target_local_datetime END,
	declarations = CASE WHEN :decl AND declarations IS NULL
	                    THEN nullif(trim(coalesce(:active_configs, '') || ' ' ||
	                                     coalesce(:declaration_id, '')), '')
	                    ELSE declarations END
 WHERE serial_number = :serial_number AND reported_at > :reported_at
   AND ((:pending AND target_os_version IS NULL
         AND target_local_datetime IS NULL)
        OR (:decl AND declarations IS NULL));

-- name: ddm_observation_forward_items
-- A report that arrived after newer ones (merge.c, forward_items): a
-- status item it carried that no newer report changed (:f_<field> 1; or
-- dropped, a full report) was the device's through those newer reports
-- too, so the newer observations that still show what the device had said
-- before it (the value of its observation just before the report) get
-- its value, up to the first newer one that shows another: a backlog's
-- "failed" or "installing" is the device's latest install state when no
-- report since carried one.  A value unknown before the report (NULL, or
-- status Unknown) is not carried forward, but a device fact's (OS
-- version, platform, model), which no full report drops: a newer full
-- report may have dropped it.
WITH b AS MATERIALIZED (
	SELECT status, status_raw, os_version, build_version,
	       extra_version, failure_count, failure_reason, platform,
	       model, target_os_version, target_build_version, target_local_datetime
	  FROM observation
	 WHERE serial_number = :serial_number AND reported_at < :reported_at
	 ORDER BY reported_at DESC LIMIT 1),
-- per field, the first newer observation that shows another value than
-- before (read before any row is updated)
stop AS MATERIALIZED (
	SELECT (SELECT min(p.reported_at) FROM observation p
	         WHERE p.serial_number = :serial_number
	           AND p.reported_at > :reported_at
	           AND p.status IS NOT b.status) AS status,
	       (SELECT min(p.reported_at) FROM observation p
	         WHERE p.serial_number = :serial_number
	           AND p.reported_at > :reported_at
	           AND p.status_raw IS NOT b.status_raw) AS status_raw,
	       (SELECT min(p.reported_at) FROM observation p
	         WHERE p.serial_number = :serial_number
	           AND p.reported_at > :reported_at
	           AND p.os_version IS NOT b.os_version) AS os_version,
	       (SELECT min(p.reported_at) FROM observation p
	         WHERE p.serial_number = :serial_number
	           AND p.reported_at > :reported_at
	           AND p.build_version IS NOT b.build_version) AS build_version,
	       (SELECT min(p.reported_at) FROM observation p
	         WHERE p.serial_number = :serial_number
	           AND p.reported_at > :reported_at
	           AND p.extra_version IS NOT b.extra_version) AS extra_version,
	       (SELECT min(p.reported_at) FROM observation p
	         WHERE p.serial_number = :serial_number
	           AND p.reported_at > :reported_at
	           AND p.failure_count IS NOT b.failure_count) AS failure_count,
	       (SELECT min(p.reported_at) FROM observation p
	         WHERE p.serial_number = :serial_number
	           AND p.reported_at > :reported_at
	           AND p.failure_reason IS NOT b.failure_reason) AS failure_reason,
	       (SELECT min(p.reported_at) FROM observation p
	         WHERE p.serial_number = :serial_number
	           AND p.reported_at > :reported_at
	           AND p.platform IS NOT b.platform) AS platform,
	       (SELECT min(p.reported_at) FROM observation p
	         WHERE p.serial_number = :serial_number
	           AND p.reported_at > :reported_at
	           AND p.model IS NOT b.model) AS model,
	       (SELECT min(p.reported_at) FROM observation p
	         WHERE p.serial_number = :serial_number
	           AND p.reported_at > :reported_at
	           AND p.target_os_version IS NOT b.target_os_version) AS target_os_version,
	       (SELECT min(p.reported_at) FROM observation p
	         WHERE p.serial_number = :serial_number
	           AND p.reported_at > :reported_at
	           AND p.target_build_version IS NOT b.target_build_version) AS target_build_version,
	       (SELECT min(p.reported_at) FROM observation p
	         WHERE p.serial_number = :serial_number
	           AND p.reported_at > :reported_at
	           AND p.target_local_datetime IS NOT b.target_local_datetime) AS target_local_datetime
	  FROM b)
UPDATE OR IGNORE observation SET
	status = CASE WHEN :f_status AND (SELECT status FROM b) IS NOT NULL AND (SELECT status FROM b) <> 'Unknown'
	              AND reported_at < coalesce((SELECT status FROM stop), 9e18)
	         THEN :status ELSE status END,
	status_raw = CASE WHEN :f_status_raw AND (SELECT status_raw FROM b) IS NOT NULL
	              AND reported_at < coalesce((SELECT status_raw FROM stop), 9e18)
	         THEN :status_raw ELSE status_raw END,
	os_version = CASE WHEN :f_os_version
	              AND reported_at < coalesce((SELECT os_version FROM stop), 9e18)
	         THEN :os_version ELSE os_version END,
	build_version = CASE WHEN :f_build_version
	              AND reported_at < coalesce((SELECT build_version FROM stop), 9e18)
	         THEN :build_version ELSE build_version END,
	extra_version = CASE WHEN :f_extra_version
	              AND reported_at < coalesce((SELECT extra_version FROM stop), 9e18)
	         THEN :extra_version ELSE extra_version END,
	failure_count = CASE WHEN :f_failure_count AND (SELECT failure_count FROM b) IS NOT NULL
	              AND reported_at < coalesce((SELECT failure_count FROM stop), 9e18)
	         THEN :failure_count ELSE failure_count END,
	failure_reason = CASE WHEN :f_failure_reason AND (SELECT failure_reason FROM b) IS NOT NULL
	              AND reported_at < coalesce((SELECT failure_reason FROM stop), 9e18)
	         THEN :failure_reason ELSE failure_reason END,
	platform = CASE WHEN :f_platform
	              AND reported_at < coalesce((SELECT platform FROM stop), 9e18)
	         THEN :platform ELSE platform END,
	model = CASE WHEN :f_model
	              AND reported_at < coalesce((SELECT model FROM stop), 9e18)
	         THEN :model ELSE model END,
	target_os_version = CASE WHEN :f_target_os_version AND (SELECT target_os_version FROM b) IS NOT NULL
	              AND reported_at < coalesce((SELECT target_os_version FROM stop), 9e18)
	         THEN :target_os_version ELSE target_os_version END,
	target_build_version = CASE WHEN :f_target_build_version AND (SELECT target_build_version FROM b) IS NOT NULL
	              AND reported_at < coalesce((SELECT target_build_version FROM stop), 9e18)
	         THEN :target_build_version ELSE target_build_version END,
	target_local_datetime = CASE WHEN :f_target_local_datetime AND (SELECT target_local_datetime FROM b) IS NOT NULL
	              AND reported_at < coalesce((SELECT target_local_datetime FROM stop), 9e18)
	         THEN :target_local_datetime ELSE target_local_datetime END
 WHERE serial_number = :serial_number AND reported_at > :reported_at;

-- name: ddm_observation_before
-- A device's observation just before :reported_at, as the fields of
-- ddm_observation (in merge.c's obs_fields order): what the device had
-- said by then, for a report that arrives after newer ones (merge.c,
-- observe_late).  The effective build stands for both builds, the errors
-- for both kinds, the declarations for both lists.
SELECT status, status_raw, os_version, NULL, build_version, extra_version,
       target_os_version, target_build_version, target_local_datetime,
       failure_count, failure_reason, model, platform, errors, NULL,
       declarations, NULL
  FROM observation
 WHERE serial_number = :serial_number AND reported_at < :reported_at
 ORDER BY reported_at DESC LIMIT 1;
