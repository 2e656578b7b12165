-- trend: the classification counts of every night before :as_of's (from
-- run_history: each complete run adds its counts, one row per night, a
-- calendar day in the server's zone: see record.sql) and
-- of this one, one row per night, oldest first.  compliant_pct is the compliant share of
-- the devices that have a target and are in scope.
WITH counts (as_of, classification, devices) AS (
	SELECT as_of, classification, devices
	  FROM run_history WHERE as_of < :night_start
	UNION ALL
	SELECT :as_of, classification, count(*)
	  FROM ev_final GROUP BY classification)
SELECT ddm_iso(as_of) AS as_of,
       sum(devices) AS devices,
       sum(CASE classification WHEN 'past-deadline' THEN devices ELSE 0 END)
           AS past_deadline,
       sum(CASE classification WHEN 'error' THEN devices ELSE 0 END) AS error,
       sum(CASE classification WHEN 'stuck-downloading' THEN devices ELSE 0 END)
           AS stuck_downloading,
       sum(CASE classification WHEN 'not-reporting' THEN devices ELSE 0 END)
           AS not_reporting,
       sum(CASE classification WHEN 'due-soon' THEN devices ELSE 0 END)
           AS due_soon,
       sum(CASE classification WHEN 'in-progress' THEN devices ELSE 0 END)
           AS in_progress,
       sum(CASE classification WHEN 'compliant' THEN devices ELSE 0 END)
           AS compliant,
       sum(CASE classification WHEN 'no-target' THEN devices ELSE 0 END)
           AS no_target,
       sum(CASE classification WHEN 'out-of-scope' THEN devices ELSE 0 END)
           AS out_of_scope,
       round(100.0 * sum(CASE classification WHEN 'compliant' THEN devices
                              ELSE 0 END)
             / nullif(sum(CASE WHEN classification NOT IN ('no-target',
                                                           'out-of-scope')
                               THEN devices ELSE 0 END), 0), 1)
           AS compliant_pct
  FROM counts
 GROUP BY as_of
 ORDER BY as_of;
