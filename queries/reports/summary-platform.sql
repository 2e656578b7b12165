-- summary-platform: devices in scope per platform with compliance (the
-- compliant share, as a fraction).
SELECT coalesce(platform, '(unknown)') AS platform,
       count(*) AS devices_in_scope,
       sum(classification = 'compliant') AS compliant,
       sum(classification = 'past-deadline') AS past_deadline,
       sum(classification NOT IN ('compliant', 'past-deadline')) AS other_open,
       round(1.0 * sum(classification = 'compliant') / count(*), 4)
           AS compliance_pct
  FROM ev_final
 WHERE classification NOT IN ('no-target', 'out-of-scope')
 GROUP BY 1
 ORDER BY devices_in_scope DESC, 1;
