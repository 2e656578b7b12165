-- summary-headline: the headline figures of the Summary.  Shares are of
-- the devices in scope (with a target, not out of scope), as fractions
-- (the workbook shows them as percentages).  A figure counts each device
-- once, by its classification; "listed" is the row count of the figure's
-- detail sheet, which lists every device meeting its own criterion (a
-- device past its deadline and stuck is in both sheets), so an auditor
-- can reconcile the two.  "All devices" is the fleet, every row of the
-- Devices sheet: devices in scope, no target and out of scope add up to it.
WITH c AS (SELECT classification, count(*) AS n FROM ev_final
            GROUP BY classification),
t AS (SELECT coalesce(sum(n), 0) AS all_devices,
             coalesce(sum(CASE WHEN classification NOT IN ('no-target',
                                   'out-of-scope') THEN n END), 0) AS scope
        FROM c),
l AS (SELECT coalesce(sum(in_past_deadline), 0) AS past_deadline,
             coalesce(sum(in_due_soon), 0) AS due_soon,
             coalesce(sum(in_stuck_downloading), 0) AS stuck_downloading,
             coalesce(sum(in_errors), 0) AS errors,
             coalesce(sum(in_not_reporting), 0) AS not_reporting
        FROM ev_final),
figure(ord, figure, class) AS (VALUES
	(0, 'All devices', 'all'),
	(1, 'Devices in scope', NULL),
	(2, 'Compliant', 'compliant'),
	(3, 'Past deadline', 'past-deadline'),
	(4, 'Due soon', 'due-soon'),
	(5, 'Stuck downloading', 'stuck-downloading'),
	(6, 'Errors', 'error'),
	(7, 'Not reporting', 'not-reporting'),
	(8, 'In progress', 'in-progress'),
	(9, 'No target', 'no-target'),
	(10, 'Out of scope', 'out-of-scope'))
SELECT f.figure,
       CASE WHEN f.class IS NULL THEN t.scope
            WHEN f.class = 'all' THEN t.all_devices
            ELSE coalesce((SELECT n FROM c WHERE c.classification = f.class),
                          0) END AS devices,
       CASE WHEN f.class IS NULL
              OR f.class IN ('all', 'no-target', 'out-of-scope')
              OR t.scope = 0 THEN NULL
            ELSE round(1.0 * coalesce((SELECT n FROM c
                                        WHERE c.classification = f.class), 0)
                       / t.scope, 4) END AS share,
       CASE f.class WHEN 'all' THEN t.all_devices
                    WHEN 'past-deadline' THEN l.past_deadline
                    WHEN 'due-soon' THEN l.due_soon
                    WHEN 'stuck-downloading' THEN l.stuck_downloading
                    WHEN 'error' THEN l.errors
                    WHEN 'not-reporting' THEN l.not_reporting END AS listed
  FROM figure f, t, l
 ORDER BY f.ord;
