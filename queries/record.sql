-- record.sql: remembers this evaluation's counts for the trend report.
-- Run once the whole report set has been written (a failed or partial run
-- leaves the history alone); evaluating the same as-of again replaces its
-- counts.
DELETE FROM run_history WHERE as_of = :as_of;
INSERT INTO run_history (as_of, classification, devices)
SELECT :as_of, classification, count(*) FROM ev_final GROUP BY classification;
