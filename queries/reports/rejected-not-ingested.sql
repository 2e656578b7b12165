-- rejected-not-ingested: one row when this run's --strict rolled a file
-- back whole (src/ingest.c notes it): nothing of it is stored, so no
-- rejected row of it either.  An empty Rejected sheet then says so
-- (templates/rejected.tmpl, empty_if) instead of that every row was
-- ingested.
SELECT 1 AS not_ingested
  FROM temp.run_note
 WHERE section = 'not-ingested'
 LIMIT 1;
