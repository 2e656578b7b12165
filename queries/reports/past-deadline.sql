-- past-deadline: in scope, below the target version after the deadline
-- (deadline_utc: with no zone, the instant it has passed everywhere), with
-- how the OS's enforcement stands (offline-at-deadline, enforcement-hour
-- -- DDM only --, enforcement-failed), and how long it is overdue.  Oldest deadline first.
SELECT serial_number, device_name, user, grp AS "group", platform,
       classification, os_version, target_os_version, deadline_local,
       time_zone, ddm_iso(deadline_utc) AS deadline_utc,
       ddm_iso(deadline_earliest_utc) AS deadline_earliest_utc,
       enforcement_mechanism, enforcement,
       ddm_iso(first_report_after_deadline) AS first_report_after_deadline,
       status, ddm_iso(last_seen) AS last_seen, notes,
       round((:as_of - deadline_utc) / 3600.0, 1) AS hours_overdue,
       round((:as_of - deadline_utc) / 86400.0, 1) AS days_overdue
  FROM ev_final
 WHERE in_past_deadline
 ORDER BY deadline_utc, serial_number;
