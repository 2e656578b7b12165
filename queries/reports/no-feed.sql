-- no-feed: why an empty Exploited CVEs sheet is empty (templates/
-- exploited.tmpl, empty_if), when it is not that every device is patched.
-- One row when no SOFA feed was ever ingested (NULL: the template's line);
-- else one row naming the devices no feed could check (their platform has
-- no release in the feeds ingested, e.g. iPhones with only the macOS feed,
-- or their OS version is unknown): the sheet must not say of them that
-- none is missing a fix.  No row when every device was checked.
SELECT NULL AS line
 WHERE NOT EXISTS (SELECT 1 FROM source_file WHERE kind = 'feed')
UNION ALL
SELECT 'No checked device is missing a fix for an actively exploited CVE, but '
       || sum(n) || CASE WHEN sum(n) = 1 THEN ' device was' ELSE ' devices were' END
       || ' not checked (' || group_concat(what || ' ' || n, ', ')
       || '): no SOFA feed ingested lists releases of their platform, or their OS version is unknown.'
  FROM (SELECT coalesce(platform, 'unknown platform') AS what, count(*) AS n
          FROM ev_final
         WHERE exploited_cve_count IS NULL
         GROUP BY 1 ORDER BY 1)
 WHERE EXISTS (SELECT 1 FROM source_file WHERE kind = 'feed')
HAVING sum(n) > 0;
