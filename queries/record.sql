-- record.sql: remembers this evaluation's counts for the trend report.
-- Run once the whole report set has been written (a failed or partial run
-- leaves the history alone).  One row per night: evaluating any time of
-- the same day again replaces that day's counts.  A night is a calendar
-- day in the server's own zone ([:night_start, :night_end), the day `date`
-- prints there), so a cron job at 02:15 local time keeps one row for each
-- night across DST changes (by UTC days, 02:15 in Helsinki fell on the
-- same UTC day twice at the spring change and replaced Sunday's counts).
DELETE FROM run_history WHERE as_of >= :night_start AND as_of < :night_end;
INSERT INTO run_history (as_of, classification, devices)
SELECT :as_of, classification, count(*) FROM ev_final GROUP BY classification;
