-- about: provenance.  The run's parameters and the resources it used
-- (noted by the engine, with their SHA-256), then the input files this run
-- ingested (ids after the last one known when it started) with their SHA-256,
-- size and row counts (rows_skipped: records read and deliberately not
-- used, e.g. NanoMDM events of other topics) and where their times came
-- from (content, file-name, or mtime); earlier inputs are counted in one
-- line and listed on the Inputs sheet, so About does not grow without end.
-- Files this run's --strict rolled back whole (section not-ingested: never
-- stored, so on no other sheet) follow this run's inputs, then the inputs
-- this run was given whose content was ingested before (section known:
-- not read again; the first 20, then a count), with the stored file's
-- facts: a night whose export job stopped shows which old files it read.
-- A status or inventory CSV of this run with a header and no row (section
-- no-rows) is named beside the inputs too.
WITH started AS (
	SELECT coalesce((SELECT CAST(value AS INTEGER) FROM temp.run_note
	                  WHERE section = 'run'
	                    AND name = 'last_input_before_run'), 0) AS last)
SELECT section, name, value, kind, format, size, rows_read, rows_stored,
       rows_duplicate, rows_rejected, rows_skipped, time_basis, ingested_at
  FROM (SELECT CASE section WHEN 'not-ingested' THEN 1.5
                             WHEN 'no-rows' THEN 1.6 ELSE 0 END AS part,
               seq AS ord, section, name, value, NULL AS kind,
               NULL AS format, NULL AS size, NULL AS rows_read,
               NULL AS rows_stored, NULL AS rows_duplicate,
               NULL AS rows_rejected, NULL AS rows_skipped,
               NULL AS time_basis, NULL AS ingested_at
          FROM temp.run_note
         WHERE section NOT IN ('known', 'nothing-new')
        UNION ALL
        SELECT 1.7, n.seq, 'known', n.name,
               n.value || CASE WHEN f.path = n.name
                               THEN ' (ingested before: not read again)'
                               ELSE ' (the same content as '
                                    || coalesce(f.path, '?')
                                    || ', ingested before: not read again)'
                          END,
               f.kind, f.format, f.size, NULL, NULL, NULL, NULL, NULL,
               NULL, ddm_iso(f.ingested_at)
          FROM (SELECT r.seq, r.name, r.value,
                       row_number() OVER (ORDER BY r.seq) AS k,
                       coalesce((SELECT min(s.id) FROM source_file s
                                  WHERE s.sha256 = r.value
                                    AND s.path = r.name),
                                (SELECT min(s.id) FROM source_file s
                                  WHERE s.sha256 = r.value)) AS file
                  FROM temp.run_note r WHERE r.section = 'known') n
          LEFT JOIN source_file f ON f.id = n.file
         WHERE n.k <= 20
        UNION ALL
        SELECT 1.8, 0, 'known', 'more_known',
               (count(*) - 20) || ' more inputs of this run were ingested '
               || 'before (the same content): not read again',
               NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
          FROM temp.run_note WHERE section = 'known'
        HAVING count(*) > 20
        UNION ALL
        SELECT 1, source_file.id, 'input', path, sha256, kind, format, size, rows_read,
               rows_stored, rows_duplicate, rows_rejected, rows_skipped,
               time_basis, ddm_iso(ingested_at)
          FROM source_file, started
         WHERE source_file.id > started.last
        UNION ALL
        SELECT 2, 0, 'inputs', 'earlier_inputs',
               count(*) || ' files ingested by earlier runs: see the Inputs sheet',
               NULL, NULL, sum(size), sum(rows_read), sum(rows_stored),
               sum(rows_duplicate), sum(rows_rejected), sum(rows_skipped),
               NULL, ddm_iso(max(ingested_at))
          FROM source_file, started
         WHERE source_file.id <= started.last)
 ORDER BY part, ord;
