-- inputs: every input file in the database, oldest first, with its
-- SHA-256, size, kind, format, row counts and ingest time (the About sheet
-- lists only this run's).
SELECT path AS file, sha256, size, kind, format, rows_read, rows_stored,
       rows_duplicate, rows_rejected, rows_skipped, time_basis,
       ddm_iso(ingested_at) AS ingested_at
  FROM source_file
 ORDER BY ingested_at, id;
