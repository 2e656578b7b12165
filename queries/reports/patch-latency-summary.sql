-- patch-latency-summary: "how long does it take you to patch": per target
-- and per group, the devices patched, the median and 90th percentile of
-- the days from the deadline and from the first night seen below the
-- target to compliance (nearest-rank percentiles: the value at rank
-- ceil(p * n) of the n patched devices, sorted), how many are still
-- open, and how many are compliant with no report saying when (compliant
-- by the inventory: no latency to measure); the three counts add up to the
-- devices patch-latency.sql lists for that target or group.  From evaluate.sql's ev_latency, as patch-latency.sql.
-- A device below its target now that no status report shows below it
-- (its version from the inventory alone, as with Kandji's status exports,
-- or unknown) has no latency to measure and is not listed; it is counted
-- as 'below target, not measured', so that still open plus not measured
-- are every device below its target, as the Summary counts them.
-- A group is one row whatever the case of its name, in the Summary's
-- spelling (evaluate.sql's ev_group).
-- Target versions compare numerically, as on the Summary: '26.1' and
-- '26.1.0' are one row, in the Summary's spelling (evaluate.sql's
-- ev_version).
WITH per AS (
	SELECT 1 AS ord, 'Target' AS breakdown,
	       coalesce(l.platform, '(unknown)') || ' '
	           || coalesce(c.shown, l.target_os_version) AS name,
	       patched_at, (patched_at - deadline_utc) / 86400.0 AS dd,
	       (patched_at - first_below) / 86400.0 AS ds, classification
	  FROM ev_latency l
	  LEFT JOIN ev_version c ON c.platform IS l.platform
	                   AND c.v = l.target_os_version
	UNION ALL
	SELECT 2, 'Group',
	       coalesce(nullif(coalesce(g.name, l.grp), ''), '(no group)'),
	       patched_at, (patched_at - deadline_utc) / 86400.0,
	       (patched_at - first_below) / 86400.0, classification
	  FROM ev_latency l LEFT JOIN ev_group g ON g.grp = l.grp),
-- Every device below its target now (in scope, with a target, not
-- compliant): those ev_latency lists are its still-open rows (a listed
-- device below its counted target is open, and ev_latency's other rows
-- are all compliant), so the rest, below now less still open, are the
-- devices no report shows below: one scan into a count per platform,
-- target and group, no lookup per device.
below_cells AS (
	SELECT platform, target_os_version, grp, count(*) AS n
	  FROM ev_final
	 WHERE target_os_version IS NOT NULL
	   AND classification NOT IN ('compliant', 'no-target', 'out-of-scope')
	 GROUP BY platform, target_os_version, grp),
below_now AS (
	SELECT 1 AS ord, 'Target' AS breakdown,
	       coalesce(b.platform, '(unknown)') || ' '
	           || coalesce(c.shown, b.target_os_version) AS name,
	       n
	  FROM below_cells b
	  LEFT JOIN ev_version c ON c.platform IS b.platform
	                   AND c.v = b.target_os_version
	UNION ALL
	SELECT 2, 'Group',
	       coalesce(nullif(coalesce(g.name, b.grp), ''), '(no group)'), n
	  FROM below_cells b LEFT JOIN ev_group g ON g.grp = b.grp),
ranked AS (
	SELECT ord, breakdown, name, dd, ds,
	       row_number() OVER (PARTITION BY ord, name ORDER BY dd) AS rd,
	       row_number() OVER (PARTITION BY ord, name ORDER BY ds) AS rs,
	       count(*) OVER (PARTITION BY ord, name) AS n
	  FROM per WHERE patched_at IS NOT NULL),
stats AS (
	SELECT ord, name, max(n) AS patched,
	       round(max(CASE WHEN rd = (n + 1) / 2 THEN dd END), 1) AS med_d,
	       round(max(CASE WHEN rd = (9 * n + 9) / 10 THEN dd END), 1) AS p90_d,
	       round(max(CASE WHEN rs = (n + 1) / 2 THEN ds END), 1) AS med_s,
	       round(max(CASE WHEN rs = (9 * n + 9) / 10 THEN ds END), 1) AS p90_s
	  FROM ranked GROUP BY ord, name),
open AS (
	SELECT ord, breakdown, name, sum(still_open) AS still_open,
	       sum(unknown_time) AS unknown_time,
	       sum(below) - sum(still_open) AS unmeasured
	  FROM (SELECT ord, breakdown, name,
	               patched_at IS NULL AND classification <> 'compliant'
	                   AS still_open,
	               patched_at IS NULL AND classification = 'compliant'
	                   AS unknown_time, 0 AS below
	          FROM per
	        UNION ALL
	        SELECT ord, breakdown, name, 0, 0, n FROM below_now)
	 GROUP BY ord, name)
SELECT o.breakdown, o.name, coalesce(s.patched, 0) AS patched,
       o.still_open, o.unknown_time AS compliant_unknown_time,
       o.unmeasured AS below_not_measured,
       s.med_d AS median_days_from_deadline,
       s.p90_d AS p90_days_from_deadline,
       s.med_s AS median_days_from_first_seen,
       s.p90_s AS p90_days_from_first_seen
  FROM open o LEFT JOIN stats s ON s.ord = o.ord AND s.name = o.name
 ORDER BY o.ord, o.name;
