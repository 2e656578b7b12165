-- summary-group: devices in scope per group (blueprint) with compliance,
-- least compliant first.  Groups compare without case, as targets match
-- them: 'Sales' and 'SALES' are one group, shown as most of its devices
-- spell it (the first in byte order on a tie).
WITH spelled AS (
	SELECT lower(grp) AS k, grp,
	       row_number() OVER (PARTITION BY lower(grp)
	                          ORDER BY count(*) DESC, grp) AS rn
	  FROM ev_final
	 GROUP BY grp)
SELECT coalesce(nullif(s.grp, ''), '(no group)') AS "group",
       count(*) AS devices_in_scope,
       sum(classification = 'compliant') AS compliant,
       sum(classification = 'past-deadline') AS past_deadline,
       sum(classification NOT IN ('compliant', 'past-deadline')) AS other_open,
       round(1.0 * sum(classification = 'compliant') / count(*), 4)
           AS compliance_pct
  FROM ev_final e
  LEFT JOIN spelled s ON s.k = lower(e.grp) AND s.rn = 1
 WHERE classification NOT IN ('no-target', 'out-of-scope')
 GROUP BY 1
 ORDER BY compliance_pct, devices_in_scope DESC, 1;
