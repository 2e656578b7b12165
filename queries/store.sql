-- store.sql: the statements the ingest stage runs for every input row.
-- Each is named by the "-- name:" line before it; values are always bound.

-- name: file_begin
INSERT INTO source_file (sha256, path, kind, format, size, time_basis,
                         source_tz, ingested_at)
VALUES (:pending, :path, '', '', :size, 'content', :source_tz, :now)
RETURNING id;

-- name: file_known
SELECT id, path FROM source_file WHERE sha256 = :sha256;

-- name: file_finish
UPDATE source_file
   SET sha256 = :sha256, kind = :kind, format = :format, size = :size,
       rows_read = :rows_read, rows_stored = :rows_stored,
       rows_duplicate = :rows_duplicate, rows_rejected = :rows_rejected,
       time_basis = :time_basis
 WHERE id = :file;

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

-- name: device_seen
INSERT OR IGNORE INTO device (serial_number) VALUES (:serial_number);

-- name: inventory
INSERT INTO device (serial_number, in_inventory, device_name, user, grp,
                    platform, model, time_zone, last_check_in, os_version,
                    source_file)
VALUES (:serial_number, 1, :device_name, :user, :grp, :platform, :model,
        :time_zone, :last_check_in, :os_version, :file)
ON CONFLICT (serial_number) DO UPDATE SET
	in_inventory  = 1,
	device_name   = coalesce(excluded.device_name, device_name),
	user          = coalesce(excluded.user, user),
	grp           = coalesce(excluded.grp, grp),
	platform      = coalesce(excluded.platform, platform),
	model         = coalesce(excluded.model, model),
	time_zone     = coalesce(excluded.time_zone, time_zone),
	last_check_in = CASE
		WHEN last_check_in IS NULL
		  OR excluded.last_check_in >= last_check_in
		THEN coalesce(excluded.last_check_in, last_check_in)
		ELSE last_check_in END,
	os_version    = CASE
		WHEN last_check_in IS NULL OR excluded.last_check_in IS NULL
		  OR excluded.last_check_in >= last_check_in
		THEN coalesce(excluded.os_version, os_version)
		ELSE os_version END,
	source_file   = excluded.source_file;

-- name: target
INSERT OR IGNORE INTO target (platform, grp, serial_number,
	target_os_version, target_build_version, target_local_datetime,
	details_url, source_file, line)
VALUES (:platform, :grp, :serial_number, :target_os_version,
	:target_build_version, :target_local_datetime, :details_url, :file,
	:line);

-- name: rejected
INSERT INTO rejected (source_file, line, reason, raw)
VALUES (:file, :line, :reason, :raw);

-- name: note
INSERT INTO temp.run_note (section, name, value) VALUES (:section, :name, :value);
