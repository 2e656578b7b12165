-- not-reporting: no status report or check-in within the stale limit,
-- whatever the classification (a silent device is an inventory problem
-- even when its last word was good); never heard from shows 'never'.
-- Silent longest first, never first of all.
SELECT serial_number, device_name, user, grp AS "group", platform,
       classification, os_version,
       coalesce(ddm_iso(last_seen), 'never') AS last_seen,
       round((:as_of - last_seen) / 86400.0, 1) AS days_silent,
       status, target_os_version, ddm_iso(deadline_utc) AS deadline_utc
  FROM ev_final
 WHERE in_not_reporting
 ORDER BY last_seen IS NOT NULL, last_seen, serial_number;
