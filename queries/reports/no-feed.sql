-- no-feed: one row when no SOFA feed was ever ingested, so an empty
-- Exploited CVEs sheet says that no feed is the reason (templates/
-- exploited.tmpl, empty_if) rather than that every device is patched.
SELECT 1 AS no_feed
 WHERE NOT EXISTS (SELECT 1 FROM source_file WHERE kind = 'feed');
