-- due-soon: below target with the deadline inside the due-soon window, when
-- the OS notifies hourly.  Nearest deadline first.
SELECT serial_number, device_name, user, grp AS "group", platform,
       os_version, target_os_version, deadline_local, time_zone,
       ddm_iso(deadline_utc) AS deadline_utc,
       round((deadline_earliest_utc - :as_of) / 3600.0, 1) AS hours_left,
       status, ddm_iso(last_seen) AS last_seen, notes
  FROM ev_final
 WHERE classification = 'due-soon'
 ORDER BY deadline_earliest_utc, serial_number;
