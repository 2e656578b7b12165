-- patch-latency: per device with a target (in scope) that was seen below
-- it, how long it took to reach the target: days from the deadline
-- (negative: before it) and from the first night (report) it was seen
-- below the target, to its first report at or above the target after
-- that.  state: patched, open (still below), or compliant-unknown-time
-- (compliant by inventory, no report shows when).  Devices never seen
-- below their target had nothing to patch and are not listed.
-- patch-latency-summary.sql repeats the first three steps (each report
-- is one statement).
WITH dev AS (
	SELECT serial_number, device_name, grp, platform, target_os_version,
	       deadline_utc, classification
	  FROM ev_final
	 WHERE target_os_version IS NOT NULL
	   AND classification <> 'out-of-scope'),
below AS (
	SELECT d.*,
	       (SELECT min(o.reported_at) FROM observation o
	         WHERE o.serial_number = d.serial_number
	           AND o.reported_at <= :as_of
	           AND ddm_version_cmp(o.os_version, d.target_os_version) < 0)
	           AS first_below
	  FROM dev d),
lat AS (
	SELECT b.*,
	       (SELECT min(o.reported_at) FROM observation o
	         WHERE o.serial_number = b.serial_number
	           AND o.reported_at > b.first_below
	           AND o.reported_at <= :as_of
	           AND ddm_version_cmp(o.os_version, b.target_os_version) >= 0)
	           AS patched_at
	  FROM below b
	 WHERE b.first_below IS NOT NULL)
SELECT serial_number, device_name, grp AS "group", platform,
       target_os_version, ddm_iso(deadline_utc) AS deadline_utc,
       ddm_iso(first_below) AS first_seen_below, ddm_iso(patched_at) AS patched_at,
       round((patched_at - deadline_utc) / 86400.0, 1) AS days_from_deadline,
       round((patched_at - first_below) / 86400.0, 1) AS days_from_first_seen,
       CASE WHEN patched_at IS NOT NULL THEN 'patched'
            WHEN classification = 'compliant' THEN 'compliant-unknown-time'
            ELSE 'open' END AS state
  FROM lat
 ORDER BY platform, target_os_version, patched_at IS NULL, patched_at,
          serial_number;
