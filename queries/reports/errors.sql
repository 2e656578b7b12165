-- errors: in scope, below target, the device reports a failed update (also
-- when past its deadline), with the vendor's words.
SELECT serial_number, device_name, user, grp AS "group", platform,
       classification, os_version, target_os_version, status_raw,
       failure_reason, failure_count, errors,
       ddm_iso(status_since) AS status_since,
       ddm_iso(deadline_utc) AS deadline_utc,
       ddm_iso(last_seen) AS last_seen
  FROM ev_final
 WHERE in_errors
 ORDER BY status_since, serial_number;
