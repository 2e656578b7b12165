-- record.sql: remembers this evaluation's counts for the trend report.
-- Run once the whole report set has been written (a failed or partial run
-- leaves the history alone).  One row per night: evaluating any time of
-- the same UTC day again replaces that day's counts.
DELETE FROM run_history WHERE as_of / 86400 = :as_of / 86400;
INSERT INTO run_history (as_of, classification, devices)
SELECT :as_of, classification, count(*) FROM ev_final GROUP BY classification;
