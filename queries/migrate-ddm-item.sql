-- migrate-ddm-item.sql: a database of schema version 1 kept the merged DDM
-- sets one row per device and field (table ddm_item); they move into
-- ddm_state (encoding: schema.sql) and the old table goes.  Run by
-- src/store.c once, when table ddm_item exists, after schema.sql.

INSERT OR REPLACE INTO ddm_state (serial_number, fields)
SELECT serial_number,
       CAST(group_concat(reported_at || ' ' || source_file || ' '
                         || length(CAST(field AS BLOB)) || ' '
                         || coalesce(length(CAST(value AS BLOB)), -1) || ' '
                         || field || coalesce(value, ''), '') AS BLOB)
  FROM (SELECT * FROM ddm_item ORDER BY serial_number, field)
 GROUP BY serial_number;

DROP TABLE ddm_item;
