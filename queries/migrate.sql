-- migrate.sql: columns added after the first release.  Run at every open,
-- after schema.sql; each statement is tried on its own and "duplicate
-- column name" (already migrated) is not an error.

-- Errors entries and declaration reasons of a DDM report, '; '-separated.
ALTER TABLE observation ADD COLUMN errors TEXT;
-- Active configuration identifiers and the install-reason declaration id of
-- a DDM report, space-separated (matched by declaration targets).
ALTER TABLE observation ADD COLUMN declarations TEXT;
-- Jamf Pro computer/mobile device id, to map Jamf update statuses.
ALTER TABLE device ADD COLUMN jamf_id TEXT;
CREATE INDEX IF NOT EXISTS device_jamf_id ON device(jamf_id) WHERE jamf_id IS NOT NULL;
-- A target that applies only to devices reporting this declaration.
ALTER TABLE target ADD COLUMN declaration_id TEXT NOT NULL DEFAULT '';
-- Events of other kinds in a JSON input (webhook topics and endpoints
-- that are not status reports): skipped and counted, not rejected.
ALTER TABLE source_file ADD COLUMN rows_skipped INTEGER NOT NULL DEFAULT 0;
-- The key index gained the status (one index instead of two).
DROP INDEX IF EXISTS observation_key;
DROP INDEX IF EXISTS observation_run;
-- Jamf Pro ids are unique only within their type: mobile devices have
-- their own column (jamf_id is the computer id); the management id names a
-- device in Jamf's DDM status items.
ALTER TABLE device ADD COLUMN jamf_mobile_device_id TEXT;
CREATE INDEX IF NOT EXISTS device_jamf_mobile_id ON device(jamf_mobile_device_id) WHERE jamf_mobile_device_id IS NOT NULL;
ALTER TABLE device ADD COLUMN management_id TEXT;
CREATE INDEX IF NOT EXISTS device_management_id ON device(management_id) WHERE management_id IS NOT NULL;
-- A status known without a report time (Kandji's PENDING before the
-- device ever reported): shown while no observation exists.
ALTER TABLE device ADD COLUMN untimed_status TEXT;
ALTER TABLE device ADD COLUMN untimed_status_raw TEXT;
-- The zone a legacy (pre-DDM) upgrade's deadline is read in (IANA; '' for
-- none): Kandji's Managed OS keeps this option for devices below the DDM
-- floor.  DDM-capable devices always use their own local time.
ALTER TABLE target ADD COLUMN enforcement_time_zone TEXT NOT NULL DEFAULT '';
-- When the inventory's OS version was read, when the export says so apart
-- from the check-in (Jamf Pro's Last Inventory Update: a Mac checks in
-- every few minutes, its version is read at its inventory update); NULL:
-- at last_check_in.
ALTER TABLE device ADD COLUMN os_version_at INTEGER;
-- When the device last unenrolled (an MDM CheckOut: NanoMDM's webhook
-- mdm.CheckOut); it is out of scope until heard from after that time.
ALTER TABLE device ADD COLUMN unenrolled_at INTEGER;
-- What said so: NULL or 'checkout' (the MDM's CheckOut), 'inventory' (an
-- inventory row saying the MDM no longer manages the device, Jamf's
-- Managed column: Unmanaged, dated by that row's check-in).
ALTER TABLE device ADD COLUMN unenrolled_by TEXT;
-- When the device was last known enrolled (NanoMDM's Authenticate,
-- TokenUpdate or a command result): a CheckOut before it was undone by
-- enrolling again.
ALTER TABLE device ADD COLUMN enrolled_at INTEGER;
-- Of a file's rejected reports, those rejected because no input had yet
-- tied their enrollment or Jamf id to a serial.  A file of which nothing
-- was stored and every report was rejected so is read again when given
-- again (file_retry): its device may be known by then.
ALTER TABLE source_file ADD COLUMN unresolved INTEGER NOT NULL DEFAULT 0;
