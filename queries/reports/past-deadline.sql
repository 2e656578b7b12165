-- past-deadline: below the target version after the deadline, with how the
-- OS's enforcement stands (offline-at-deadline, enforcement-hour,
-- enforcement-failed).  Oldest deadline first.
SELECT serial_number, device_name, user, grp AS "group", platform,
       os_version, target_os_version, deadline_local, time_zone,
       ddm_iso(deadline_utc) AS deadline_utc,
       enforcement,
       ddm_iso(first_report_after_deadline) AS first_report_after_deadline,
       status, ddm_iso(last_seen) AS last_seen, notes
  FROM ev_final
 WHERE classification = 'past-deadline'
 ORDER BY deadline_utc, serial_number;
