-- about: provenance.  The run's parameters and the resources it used
-- (noted by the engine), then every input file in the database with its
-- SHA-256 and row counts.
SELECT section, name, value, NULL AS kind, NULL AS format,
       NULL AS rows_read, NULL AS rows_stored, NULL AS rows_duplicate,
       NULL AS rows_rejected, NULL AS time_basis, NULL AS ingested_at
  FROM temp.run_note
UNION ALL
SELECT 'input', path, sha256, kind, format, rows_read, rows_stored,
       rows_duplicate, rows_rejected, time_basis, ddm_iso(ingested_at)
  FROM (SELECT * FROM source_file ORDER BY id);
