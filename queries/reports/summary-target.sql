-- summary-target: devices in scope per target version with compliance.
-- Deadlines are device-local, so one target version is many UTC instants
-- (up to 26 hours apart across zones, more across groups): the earliest
-- and the latest of its devices are shown, never one as "the" deadline.
-- Versions compare numerically, as the policy compares them: '26.1' and
-- '26.1.0' are one target version, shown in its shortest spelling
-- (evaluate.sql's ev_version).
SELECT coalesce(e.platform, '(unknown)') AS platform,
       coalesce(c.shown, e.target_os_version) AS target_os_version,
       ddm_iso(min(deadline_utc)) AS earliest_deadline_utc,
       ddm_iso(max(deadline_utc)) AS latest_deadline_utc,
       count(*) AS devices_in_scope,
       sum(classification = 'compliant') AS compliant,
       sum(classification = 'past-deadline') AS past_deadline,
       sum(classification NOT IN ('compliant', 'past-deadline')) AS other_open,
       round(1.0 * sum(classification = 'compliant') / count(*), 4)
           AS compliance_pct
  FROM ev_final e
  LEFT JOIN ev_version c ON c.platform IS e.platform
                       AND c.v = e.target_os_version
 WHERE classification NOT IN ('no-target', 'out-of-scope')
 GROUP BY 1, 2
 ORDER BY 1, 3, 2;
