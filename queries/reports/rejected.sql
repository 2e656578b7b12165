-- rejected: input rows that were not ingested, with file, line and reason.
SELECT f.path AS file, r.line, r.reason, r.raw, f.sha256 AS file_sha256
  FROM rejected r JOIN source_file f ON f.id = r.source_file
 ORDER BY f.id, r.line, r.rowid;
