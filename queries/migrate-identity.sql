-- migrate-identity.sql: a database of schema version 2 or less was written
-- by builds that kept a serial as the export spelled it (a spreadsheet's
-- zero-width space or byte-order mark, an envelope's blanks or lower
-- case), stored a placeholder serial ('NOT AVAILABLE', '0', 'N/A') as one
-- device that every VM sharing it became, and kept enrollment ids in the
-- case they were learned in.  This build cleans serials and upper-cases
-- ids at ingest (src/sources/identity.c): the stored ones are made what
-- this build would have stored from the same files, so a Mac is not two
-- devices across the upgrade and tonight's report under the id in another
-- case finds its device.  Run by src/store.c once, in the open's
-- transaction, when user_version is below 3, after schema.sql and
-- migrate.sql.  ddm_serial(s) is identity_serial ('' when nothing is
-- left), ddm_placeholder(s) identity_placeholder of it.
--
-- Placeholder (or emptied) serials: their rows become rejected rows with
-- their file and line, as this build rejects them at ingest (an inventory
-- row, whose line was not kept, with line 0); their merged DDM state and
-- learned ids go.  Other serials are renamed; where the clean serial is
-- already stored, the two are merged: a report stored under both is kept
-- once, the device's facts are the newer check-in's (each unknown one
-- taken from the other), and the merged DDM state is the one with the
-- later report.

CREATE TEMP TABLE mig_serial AS
SELECT old, ddm_serial(old) AS new, ddm_placeholder(old) AS ph,
       (SELECT max(reported_at) FROM observation WHERE serial_number = old) AS old_last,
       NULL AS new_last
  FROM (SELECT serial_number AS old FROM device
	UNION SELECT serial_number FROM observation
	UNION SELECT serial_number FROM ddm_state
	UNION SELECT serial_number FROM enrollment
	UNION SELECT serial_number FROM target WHERE serial_number <> '')
 WHERE old IS NOT ddm_serial(old) OR ddm_placeholder(old);
CREATE UNIQUE INDEX mig_serial_old ON mig_serial(old);

UPDATE mig_serial SET
	new_last = (SELECT max(reported_at) FROM observation WHERE serial_number = new);

CREATE TEMP TABLE mig_rejected AS
SELECT source_file, line,
       CASE WHEN m.new = '' THEN 'missing serial_number'
	    ELSE 'serial_number ''' || m.old || ''' is a placeholder, not a '
		 || 'device''s serial (devices sharing it would be counted as one)'
       END || '; stored by an older build, rejected when the database was upgraded'
	 AS reason
  FROM observation JOIN mig_serial AS m ON m.old = observation.serial_number
 WHERE m.ph OR m.new = ''
UNION ALL
SELECT source_file, line,
       CASE WHEN m.new = '' THEN 'missing serial_number'
	    ELSE 'serial_number ''' || m.old || ''' is a placeholder, not a '
		 || 'device''s serial'
       END || '; a target stored by an older build, rejected when the database '
	 || 'was upgraded'
  FROM target JOIN mig_serial AS m ON m.old = target.serial_number
 WHERE m.ph OR m.new = '';

INSERT INTO rejected (source_file, line, reason, raw)
SELECT source_file, line, reason, NULL FROM mig_rejected;

UPDATE source_file SET
	rows_rejected = rows_rejected
		+ (SELECT count(*) FROM mig_rejected WHERE source_file = source_file.id),
	rows_stored = max(0, rows_stored
		- (SELECT count(*) FROM mig_rejected WHERE source_file = source_file.id))
 WHERE id IN (SELECT source_file FROM mig_rejected);

INSERT INTO rejected (source_file, line, reason, raw)
SELECT device.source_file, 0,
       CASE WHEN m.new = '' THEN 'missing serial_number'
	    ELSE 'serial_number ''' || m.old || ''' is a placeholder, not a '
		 || 'device''s serial (devices sharing it would be counted as one)'
       END || '; an inventory row stored by an older build, rejected when the '
	 || 'database was upgraded',
       NULL
  FROM device JOIN mig_serial AS m ON m.old = device.serial_number
 WHERE (m.ph OR m.new = '') AND device.source_file IS NOT NULL;

DELETE FROM observation
 WHERE serial_number IN (SELECT old FROM mig_serial WHERE ph OR new = '');
DELETE FROM target
 WHERE serial_number IN (SELECT old FROM mig_serial WHERE ph OR new = '');
DELETE FROM device
 WHERE serial_number IN (SELECT old FROM mig_serial WHERE ph OR new = '');
DELETE FROM ddm_state
 WHERE serial_number IN (SELECT old FROM mig_serial WHERE ph OR new = '');
DELETE FROM enrollment
 WHERE serial_number IN (SELECT old FROM mig_serial WHERE ph OR new = '');
DELETE FROM mig_serial WHERE ph OR new = '';

-- reports: a report stored under both spellings is one report
UPDATE OR IGNORE observation
   SET serial_number = (SELECT new FROM mig_serial WHERE old = serial_number)
 WHERE serial_number IN (SELECT old FROM mig_serial);
DELETE FROM observation WHERE serial_number IN (SELECT old FROM mig_serial);

-- targets: the same target under both spellings is one target
UPDATE OR IGNORE target
   SET serial_number = (SELECT new FROM mig_serial WHERE old = serial_number)
 WHERE serial_number IN (SELECT old FROM mig_serial);
DELETE FROM target WHERE serial_number IN (SELECT old FROM mig_serial);

-- devices: the newer check-in's facts, each unknown one from the other
UPDATE device AS d SET
	in_inventory = max(d.in_inventory, o.in_inventory),
	device_name = CASE WHEN n THEN coalesce(o.device_name, d.device_name)
		      ELSE coalesce(d.device_name, o.device_name) END,
	user = CASE WHEN n THEN coalesce(o.user, d.user) ELSE coalesce(d.user, o.user) END,
	grp = CASE WHEN n THEN coalesce(o.grp, d.grp) ELSE coalesce(d.grp, o.grp) END,
	platform = CASE WHEN n THEN coalesce(o.platform, d.platform)
		   ELSE coalesce(d.platform, o.platform) END,
	model = CASE WHEN n THEN coalesce(o.model, d.model) ELSE coalesce(d.model, o.model) END,
	time_zone = CASE WHEN n THEN coalesce(o.time_zone, d.time_zone)
		    ELSE coalesce(d.time_zone, o.time_zone) END,
	last_check_in = max(coalesce(d.last_check_in, o.last_check_in),
			    coalesce(o.last_check_in, d.last_check_in)),
	os_version = CASE WHEN n THEN coalesce(o.os_version, d.os_version)
		     ELSE coalesce(d.os_version, o.os_version) END,
	os_version_at = CASE WHEN n THEN coalesce(o.os_version_at, d.os_version_at)
			ELSE coalesce(d.os_version_at, o.os_version_at) END,
	source_file = CASE WHEN n THEN coalesce(o.source_file, d.source_file)
		      ELSE coalesce(d.source_file, o.source_file) END,
	jamf_id = coalesce(d.jamf_id, o.jamf_id),
	jamf_mobile_device_id = coalesce(d.jamf_mobile_device_id, o.jamf_mobile_device_id),
	management_id = coalesce(d.management_id, o.management_id),
	untimed_status = coalesce(d.untimed_status, o.untimed_status),
	untimed_status_raw = coalesce(d.untimed_status_raw, o.untimed_status_raw),
	unenrolled_by = CASE WHEN o.unenrolled_at >= coalesce(d.unenrolled_at, -9e18)
			THEN o.unenrolled_by ELSE d.unenrolled_by END,
	unenrolled_at = max(coalesce(d.unenrolled_at, o.unenrolled_at),
			    coalesce(o.unenrolled_at, d.unenrolled_at)),
	enrolled_at = max(coalesce(d.enrolled_at, o.enrolled_at),
			  coalesce(o.enrolled_at, d.enrolled_at))
  FROM (SELECT o.*, m.new,
	       coalesce(o.last_check_in, -1) > coalesce(c.last_check_in, -1) AS n
	  FROM device AS o JOIN mig_serial AS m ON m.old = o.serial_number
	  JOIN device AS c ON c.serial_number = m.new) AS o
 WHERE d.serial_number = o.new;
UPDATE OR IGNORE device
   SET serial_number = (SELECT new FROM mig_serial WHERE old = serial_number)
 WHERE serial_number IN (SELECT old FROM mig_serial);
DELETE FROM device WHERE serial_number IN (SELECT old FROM mig_serial);

-- merged DDM state: the one with the later report
DELETE FROM ddm_state
 WHERE serial_number IN (SELECT new FROM mig_serial AS m
			  WHERE coalesce(old_last, 0) > coalesce(new_last, 0)
			    AND EXISTS (SELECT 1 FROM ddm_state WHERE serial_number = m.old));
UPDATE OR IGNORE ddm_state
   SET serial_number = (SELECT new FROM mig_serial WHERE old = serial_number)
 WHERE serial_number IN (SELECT old FROM mig_serial);
DELETE FROM ddm_state WHERE serial_number IN (SELECT old FROM mig_serial);

-- learned ids: the clean serial, the id upper case (the later file's
-- serial where two cases of one id were learned)
UPDATE enrollment
   SET serial_number = (SELECT new FROM mig_serial WHERE old = serial_number)
 WHERE serial_number IN (SELECT old FROM mig_serial);
CREATE TEMP TABLE mig_enr AS
SELECT enrollment_id AS id, upper(enrollment_id) AS up, source_file
  FROM enrollment WHERE enrollment_id <> upper(enrollment_id);
CREATE INDEX mig_enr_up ON mig_enr(up);
DELETE FROM enrollment
 WHERE enrollment_id IN (SELECT up FROM mig_enr AS m
			  WHERE m.source_file > (SELECT source_file FROM enrollment
						  WHERE enrollment_id = m.up));
DELETE FROM enrollment
 WHERE enrollment_id IN (SELECT id FROM mig_enr AS m
			  WHERE EXISTS (SELECT 1 FROM enrollment WHERE enrollment_id = m.up)
			     OR EXISTS (SELECT 1 FROM mig_enr AS k
					 WHERE k.up = m.up AND k.source_file > m.source_file));
UPDATE OR REPLACE enrollment SET enrollment_id = upper(enrollment_id)
 WHERE enrollment_id IN (SELECT id FROM mig_enr);

DROP TABLE mig_enr;
DROP TABLE mig_serial;
DROP TABLE mig_rejected;
