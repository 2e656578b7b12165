-- record.sql: remembers this evaluation's counts for the trend report.
-- Run once the whole report set has been written (a failed or partial run
-- leaves the history alone).  One row per night: evaluating any time of
-- the same day again replaces that day's counts.  A night is a calendar
-- day in the server's own zone ([:night_start, :night_end), the day `date`
-- prints there), so a cron job at 02:15 local time keeps one row for each
-- night across DST changes (by UTC days, 02:15 in Helsinki fell on the
-- same UTC day twice at the spring change and replaced Sunday's counts).
-- A report for an earlier night than one already recorded (an auditor's
-- re-run with --as-of in the past) records nothing: it reads today's
-- targets and inventory, so its counts are not what that night saw, and
-- the trend keeps the counts the nights themselves recorded.
DELETE FROM run_history
 WHERE as_of >= :night_start AND as_of < :night_end
   AND NOT EXISTS (SELECT 1 FROM run_history WHERE as_of >= :night_end);
INSERT INTO run_history (as_of, classification, devices)
SELECT :as_of, classification, count(*) FROM ev_final
 WHERE NOT EXISTS (SELECT 1 FROM run_history WHERE as_of >= :night_end)
 GROUP BY classification;
