-- not-reporting: no status report or check-in within the stale limit (or
-- never).  Silent longest first.
SELECT serial_number, device_name, user, grp AS "group", platform,
       os_version, ddm_iso(last_seen) AS last_seen,
       round((:as_of - last_seen) / 86400.0, 1) AS days_silent,
       status, target_os_version, ddm_iso(deadline_utc) AS deadline_utc
  FROM ev_final
 WHERE classification = 'not-reporting'
 ORDER BY last_seen IS NOT NULL, last_seen, serial_number;
