-- summary-worst: the 10 devices longest past their deadline.
SELECT serial_number, device_name, user, grp AS "group", platform,
       os_version, target_os_version, ddm_iso(deadline_utc) AS deadline_utc,
       round((:as_of - deadline_utc) / 86400.0, 1) AS days_overdue,
       enforcement
  FROM ev_final
 WHERE classification = 'past-deadline'
 ORDER BY deadline_utc, serial_number
 LIMIT 10;
