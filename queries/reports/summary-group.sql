-- summary-group: devices in scope per group (blueprint) with compliance,
-- least compliant first.  A group is one row whatever the case of its
-- name (evaluate.sql's ev_group: the spelling most devices carry).
SELECT coalesce(nullif(name, ''), '(no group)') AS "group",
       sum(devices_in_scope) AS devices_in_scope,
       sum(compliant) AS compliant,
       sum(past_deadline) AS past_deadline,
       sum(other_open) AS other_open,
       round(1.0 * sum(compliant) / sum(devices_in_scope), 4)
           AS compliance_pct
  FROM ev_group
 GROUP BY 1
 ORDER BY compliance_pct, devices_in_scope DESC, 1;
