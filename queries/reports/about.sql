-- about: provenance.  The run's parameters and the resources it used
-- (noted by the engine), then every input file in the database with its
-- SHA-256 and row counts (rows_skipped: records read and deliberately not
-- used, e.g. NanoMDM events of other topics), and where its times came
-- from (content, file-name, or mtime).
SELECT section, name, value, kind, format, rows_read, rows_stored,
       rows_duplicate, rows_rejected, rows_skipped, time_basis, ingested_at
  FROM (SELECT 0 AS part, seq AS ord, section, name, value, NULL AS kind,
               NULL AS format, NULL AS rows_read, NULL AS rows_stored,
               NULL AS rows_duplicate, NULL AS rows_rejected,
               NULL AS rows_skipped, NULL AS time_basis,
               NULL AS ingested_at
          FROM temp.run_note
        UNION ALL
        SELECT 1, id, 'input', path, sha256, kind, format, rows_read,
               rows_stored, rows_duplicate, rows_rejected, rows_skipped,
               time_basis, ddm_iso(ingested_at)
          FROM source_file)
 ORDER BY part, ord;
