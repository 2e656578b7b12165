-- stuck-downloading: in scope, below target, in Downloading without a
-- break for at least the stuck limit, per the history (also when past the
-- deadline), and heard from within the stale limit.  Longest first.
SELECT serial_number, device_name, user, grp AS "group", platform,
       classification, os_version, target_os_version,
       ddm_iso(status_since) AS status_since,
       round((:as_of - status_since) / 3600.0, 1) AS hours_in_status,
       round((:as_of - status_since) / 86400.0, 1) AS days_in_status,
       ddm_iso(deadline_utc) AS deadline_utc,
       ddm_iso(last_seen) AS last_seen
  FROM ev_final
 WHERE in_stuck_downloading
 ORDER BY status_since, serial_number;
