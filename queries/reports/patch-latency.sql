-- patch-latency: per device with a target (in scope) that was seen below
-- it, how long it took to reach the target: days from the deadline
-- (negative: before it) and from the first night (report) it was seen
-- below the target, to its first report at or above the target after
-- that.  state: patched, open (still below), or compliant-unknown-time
-- (compliant by inventory, no report shows when).  The history lookups
-- are evaluate.sql's step 7 (ev_latency), shared with
-- patch-latency-summary.sql.
SELECT serial_number, device_name, grp AS "group", platform,
       target_os_version, ddm_iso(deadline_utc) AS deadline_utc,
       ddm_iso(first_below) AS first_seen_below, ddm_iso(patched_at) AS patched_at,
       round((patched_at - deadline_utc) / 86400.0, 1) AS days_from_deadline,
       round((patched_at - first_below) / 86400.0, 1) AS days_from_first_seen,
       CASE WHEN patched_at IS NOT NULL THEN 'patched'
            WHEN classification = 'compliant' THEN 'compliant-unknown-time'
            ELSE 'open' END AS state
  FROM ev_latency
 ORDER BY platform, target_os_version, patched_at IS NULL, patched_at,
          serial_number;
