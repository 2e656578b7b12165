-- due-soon: in scope, below target, the deadline not certainly past and
-- possibly within the due-soon window (with no zone: from its earliest
-- reading, UTC+14).  hours_left counts down to deadline_utc, the instant
-- the deadline has certainly passed, so a row always agrees with itself.
-- user_notice is what the OS shows the user now (Apple's schedule for DDM
-- enforcement): daily, hourly in the final 24 hours (ignoring Do Not
-- Disturb), final-hour (at 30 minutes, then every 10); empty for legacy
-- enforcement, where the MDM, not the OS, notifies.  Nearest first.
SELECT serial_number, device_name, user, grp AS "group", platform,
       classification, os_version, target_os_version, deadline_local,
       time_zone, ddm_iso(deadline_utc) AS deadline_utc,
       ddm_iso(deadline_earliest_utc) AS deadline_earliest_utc,
       round((deadline_utc - :as_of) / 3600.0, 1) AS hours_left,
       CASE WHEN enforcement_mechanism <> 'ddm' THEN NULL
            WHEN deadline_utc - :as_of > 86400 THEN 'daily'
            WHEN deadline_utc - :as_of > 3600 THEN 'hourly'
            ELSE 'final-hour' END AS user_notice,
       status, ddm_iso(last_seen) AS last_seen, notes
  FROM ev_final
 WHERE in_due_soon
 ORDER BY deadline_utc, serial_number;
