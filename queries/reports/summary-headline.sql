-- summary-headline: the headline figures of the Summary.  Shares are of
-- the devices in scope (with a target, not out of scope), as fractions
-- (the workbook shows them as percentages).
WITH c AS (SELECT classification, count(*) AS n FROM ev_final
            GROUP BY classification),
t AS (SELECT coalesce(sum(n), 0) AS all_devices,
             coalesce(sum(CASE WHEN classification NOT IN ('no-target',
                                   'out-of-scope') THEN n END), 0) AS scope
        FROM c),
figure(ord, figure, class) AS (VALUES
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
            ELSE coalesce((SELECT n FROM c WHERE c.classification = f.class),
                          0) END AS devices,
       CASE WHEN f.class IS NULL OR f.class IN ('no-target', 'out-of-scope')
              OR t.scope = 0 THEN NULL
            ELSE round(1.0 * coalesce((SELECT n FROM c
                                        WHERE c.classification = f.class), 0)
                       / t.scope, 4) END AS share
  FROM figure f, t
 ORDER BY f.ord;
