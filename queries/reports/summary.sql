-- summary: devices per classification and platform, most urgent first.
WITH class(classification, ord, meaning) AS (VALUES
	('past-deadline',     1, 'below the target version after the deadline'),
	('error',             2, 'update failed on the device'),
	('stuck-downloading', 3, 'downloading for longer than the stuck limit'),
	('not-reporting',     4, 'no report or check-in within the stale limit'),
	('due-soon',          5, 'deadline within the due-soon window'),
	('in-progress',       6, 'below target, deadline not yet near'),
	('compliant',         7, 'at or above the target version'),
	('no-target',         8, 'no enforcement target applies'),
	('out-of-scope',      9, 'incompatible with or excluded from the update, or unenrolled')),
unversioned(n) AS MATERIALIZED (
	SELECT count(*) FROM ev_final
	 WHERE +classification = 'compliant' AND os_version IS NULL)
SELECT c.classification,
       count(e.serial_number) AS devices,
       coalesce(sum(e.platform = 'macOS'), 0) AS macos,
       coalesce(sum(e.platform = 'iOS'), 0) AS ios,
       coalesce(sum(e.platform = 'iPadOS'), 0) AS ipados,
       -- A classification with no device has one LEFT JOIN row of NULLs:
       -- it must count as nothing, not as one device of another platform.
       coalesce(sum(e.serial_number IS NOT NULL
                    AND (e.platform IS NULL
                         OR e.platform NOT IN ('macOS', 'iOS', 'iPadOS'))),
                0) AS other,
       -- A Pass with no OS version known is compliant on the MDM's word
       -- (the attestation's "Compliant without a known version"): the
       -- meaning must not claim a version for those devices.  Counted in
       -- one pass over the rows (the unary + keeps the planner off the
       -- classification index), so the join above reads only that index:
       -- read beside it, os_version cost a lookup of every device's row
       -- (4 s of a 1M-device report).
       c.meaning || CASE WHEN c.classification = 'compliant'
                              AND (SELECT n FROM unversioned) > 0
                         THEN ', or Pass with no OS version known ('
                              || (SELECT n FROM unversioned)
                              || ': the MDM''s word, see the attestation)'
                         ELSE '' END AS meaning
  FROM class c LEFT JOIN ev_final e ON e.classification = c.classification
 GROUP BY c.classification
 ORDER BY c.ord;
