-- summary-attest: the attestation block at the top of the Summary: who,
-- when (as-of in UTC, and in --display-tz when given), and how deadlines
-- were evaluated (device local time; how many devices with a target used
-- an assumed zone or the no-zone rule; how many legacy devices, below the
-- DDM floor, had their deadline read in the target's enforcement zone and
-- how many fell back to their own), and how fresh the data is: the newest
-- report or check-in of any device, and how long before the as-of it came
-- (a history whose exports stopped arriving still yields every report;
-- this line says so before the Not reporting list fills up a week later).
-- Values come from the run's notes (temp.run_note) and ev_final.  An
-- input of this run of which no row was stored (every row skipped or
-- rejected: a Kandji export of another library item, a log of other
-- events) is named, so the page never attests a fleet read from nothing
-- (a NanoMDM log of identity events only is named too: it taught
-- identities, stored nothing); KMFDDM's derived files and DDM sync
-- documents, skipped by design, are not.  A status or inventory CSV with
-- a header and no row (an export of no device) is named too, also when
-- its bytes were seen before (the same empty export two nights running).
-- The rules behind the answer are named: built in, or each query,
-- format or template a --queries / --templates folder replaced, with its
-- path, so a sampled page never passes a site's own policy off as the
-- built-in one.  A report for an as-of earlier than data the database
-- holds says what it cannot reproduce: targets and inventory as last
-- ingested.  Rows rejected are counted: a fleet judged without some
-- rows of its inputs must not look complete.
WITH note(name, value) AS (
	SELECT name, value FROM temp.run_note WHERE section = 'run'),
unused AS (
	SELECT row_number() OVER (ORDER BY id) AS n, count(*) OVER () AS total,
	       path || ' (' || format || ': ' || rows_read || ' rows read, ' ||
	       rows_skipped || ' skipped, ' || rows_rejected || ' rejected)'
	           AS what
	  FROM source_file
	 WHERE id > coalesce((SELECT CAST(value AS INTEGER) FROM note
	                       WHERE name = 'last_input_before_run'), 0)
	   AND rows_read > 0 AND rows_stored = 0 AND rows_duplicate = 0
	   AND format NOT IN ('kmfddm-file-storage', 'ddm-sync-documents')),
-- One pass over the devices for both (the newest of all of them; the
-- zones of those with a target, in scope): two passes were a second of
-- a 1M-device report.
scan AS MATERIALIZED (
	SELECT count(*) FILTER (WHERE in_scope) AS devices,
	       count(*) FILTER (WHERE in_scope
	                          AND time_zone_source IN ('inventory', 'status'))
	           AS known,
	       count(*) FILTER (WHERE in_scope AND time_zone_source = 'default')
	           AS assumed,
	       count(*) FILTER (WHERE in_scope AND time_zone_source = 'none')
	           AS no_zone,
	       count(*) FILTER (WHERE in_scope
	                          AND enforcement_mechanism = 'legacy'
	                          AND time_zone_source = 'target')
	           AS legacy_target,
	       count(*) FILTER (WHERE in_scope
	                          AND enforcement_mechanism = 'legacy'
	                          AND time_zone_source <> 'target')
	           AS legacy_own,
	       count(*) FILTER (WHERE in_scope AND classification = 'compliant'
	                          AND os_version IS NULL) AS pass_only,
	       max(last_seen) AS newest
	  FROM (SELECT *, target_os_version IS NOT NULL
	                  AND classification <> 'out-of-scope' AS in_scope
	          FROM ev_final)),
zones AS (
	SELECT devices, known, assumed, no_zone, legacy_target, legacy_own,
	       pass_only
	  FROM scan),
fresh AS (
	SELECT newest FROM scan),
-- Rows rejected (the Rejected sheet's rows): by this run's inputs, and
-- in all.
rej AS (
	SELECT count(*) AS total,
	       coalesce(sum(r.source_file > last.id), 0) AS this_run,
	       count(DISTINCT CASE WHEN r.source_file > last.id
	                           THEN r.source_file END) AS files
	  FROM rejected r,
	       (SELECT coalesce((SELECT CAST(value AS INTEGER) FROM note
	                          WHERE name = 'last_input_before_run'), 0)
	                   AS id) last),
-- Signs that the as-of is earlier than what the database holds: a later
-- as-of already evaluated (trend history), or an inventory check-in after
-- it (by more than the 15 minutes of clock skew ingest accepts past the
-- time of a run, so tonight's run at its own time never says so).
-- Targets and the inventory keep no history (README, "What it decides"),
-- so such a report cannot be that night's report again.
later AS (
	SELECT (SELECT max(as_of) FROM run_history
	         WHERE as_of >= :night_end) AS later_run,
	       (SELECT max(last_check_in) FROM device
	         WHERE last_check_in > :as_of + 900) AS later_check_in),
-- A query, format or template read from --queries / --templates: its
-- note is 'SHA-256 (from PATH)' (evaluate.c), a built-in's the hash alone.
overridden AS (
	SELECT seq, name,
	       substr(value, 72, length(value) - 72) AS origin
	  FROM temp.run_note
	 WHERE section = 'resource' AND value LIKE '% (from %)')
SELECT item, value FROM (
	SELECT 1 AS ord, 'Organisation' AS item, value
	  FROM note WHERE name = 'org' AND value <> '(not set)'
	UNION ALL
	SELECT 2, 'As of (UTC)', ddm_iso(:as_of)
	UNION ALL
	SELECT 3, 'As of (display time zone)', value
	  FROM note WHERE name = 'display_tz' AND value <> '(not set)'
	UNION ALL
	SELECT 3.5, 'Reproducing an earlier as-of',
	       'this database holds later data ('
	       || CASE WHEN later_run IS NOT NULL
	               THEN 'it was evaluated for '
	                    || strftime('%Y-%m-%d %H:%M', later_run, 'unixepoch')
	                    || ' UTC' ELSE '' END
	       || CASE WHEN later_run IS NOT NULL AND later_check_in IS NOT NULL
	               THEN '; ' ELSE '' END
	       || CASE WHEN later_check_in IS NOT NULL
	               THEN 'an inventory check-in of '
	                    || strftime('%Y-%m-%d %H:%M', later_check_in,
	                                'unixepoch') || ' UTC' ELSE '' END
	       || '): reports and check-ins after the as-of are left out, but '
	       || 'the targets and the inventory (group, time zone, name) are '
	       || 'read as last ingested, not as they stood at the as-of, so '
	       || 'the answers may differ from a report written at the as-of'
	  FROM later
	 WHERE later_run IS NOT NULL OR later_check_in IS NOT NULL
	UNION ALL
	SELECT 4, 'How deadlines were evaluated',
	       'In each device''s local time: ' || known || ' own zone, ' ||
	       assumed || ' assumed zone, ' || no_zone ||
	       ' no-zone rule (past once passed at UTC-12); legacy enforcement '
	       || '(OS below the DDM floor): ' || legacy_target ||
	       ' in the target''s enforcement zone, ' || legacy_own ||
	       ' fell back to their own zone'
	  FROM zones
	UNION ALL
	SELECT 5, 'Limits',
	       'stuck after ' || (SELECT value FROM note WHERE name = 'stuck_after') ||
	       ', not reporting after ' || (SELECT value FROM note WHERE name = 'stale_after') ||
	       ', due soon within ' || (SELECT value FROM note WHERE name = 'due_within')
	UNION ALL
	SELECT 5.5, 'Compliant without a known version',
	       pass_only || CASE WHEN pass_only = 1
	                         THEN ' compliant device is' ELSE
	                         ' compliant devices are' END
	       || ' counted on the MDM''s Pass status alone: no OS version is '
	       || 'known for them '
	       || '(no inventory version, none in their reports), so whether '
	       || 'they run this target''s version is the MDM''s word; an '
	       || 'inventory export with OS versions checks them'
	  FROM zones WHERE pass_only > 0
	UNION ALL
	SELECT 6, 'Counting', 'each device once, under the first '
	       || 'classification that applies (out of scope, no target, '
	       || 'compliant, past deadline, error, stuck downloading, not '
	       || 'reporting, due soon, in progress);'
	       || ' each detail sheet lists every device meeting its own '
	       || 'criterion, so it may list more (Rows in its sheet)'
	UNION ALL
	SELECT 6.5, 'Inputs with no row stored',
	       group_concat(what, '; ') ||
	       CASE WHEN max(total) > 10
	            THEN '; and ' || (max(total) - 10) || ' more (About sheet)'
	            ELSE '' END
	  FROM (SELECT what, total FROM unused WHERE n <= 10 ORDER BY n)
	HAVING count(*) > 0
	UNION ALL
	SELECT 6.55, 'Inputs with no rows',
	       count(*) || CASE WHEN count(*) = 1 THEN ' file' ELSE ' files' END
	       || ' of this run held a header and no row, an export of no '
	       || 'device (did the export step fail?); every device keeps '
	       || 'what earlier inputs said: '
	       || (SELECT group_concat(name || ' (' || value || ')', '; ')
	             FROM (SELECT name, value FROM temp.run_note
	                    WHERE section = 'no-rows' ORDER BY seq LIMIT 10))
	       || CASE WHEN count(*) > 10
	               THEN '; and ' || (count(*) - 10) || ' more' ELSE '' END
	  FROM temp.run_note WHERE section = 'no-rows'
	HAVING count(*) > 0
	UNION ALL
	SELECT 6.6, 'Inputs not ingested (--strict)',
	       count(*) || CASE WHEN count(*) = 1 THEN ' file' ELSE ' files' END
	       || ' with a bad row rolled back whole by --strict in this run, '
	       || 'none of its rows stored or counted here: '
	       || (SELECT group_concat(name, '; ')
	             FROM (SELECT name FROM temp.run_note
	                    WHERE section = 'not-ingested' ORDER BY seq LIMIT 10))
	       || CASE WHEN count(*) > 10
	               THEN '; and ' || (count(*) - 10) || ' more' ELSE '' END
	       || ' (About sheet: SHA-256)'
	  FROM temp.run_note WHERE section = 'not-ingested'
	HAVING count(*) > 0
	UNION ALL
	SELECT 6.65, 'Nothing new',
	       'every input of this run (' || count(*)
	       || CASE WHEN count(*) = 1 THEN ' file' ELSE ' files' END
	       || ') was ingested before (the same content) and not read '
	       || 'again: these answers are those of the data stored by '
	       || 'earlier runs; did the export arrive? (About sheet: '
	       || 'SHA-256 of each)'
	  FROM temp.run_note
	 WHERE section = 'known'
	   AND EXISTS (SELECT 1 FROM temp.run_note
	                WHERE section = 'nothing-new')
	HAVING count(*) > 0
	UNION ALL
	SELECT 6.7, 'Input rows rejected',
	       CASE WHEN this_run = 0 THEN 'none in this run'
	            ELSE this_run || CASE WHEN this_run = 1 THEN ' row'
	                                  ELSE ' rows' END
	                 || ' of this run''s inputs (' || files
	                 || CASE WHEN files = 1 THEN ' file' ELSE ' files' END
	                 || ') rejected, not ingested: the devices were judged '
	                 || 'without them' END
	       || CASE WHEN total > this_run
	               THEN '; ' || (total - this_run)
	                    || ' rejected by earlier runs' ELSE '' END
	       || '; the Rejected sheet lists each with its file, line and '
	       || 'reason'
	  FROM rej WHERE total > 0
	UNION ALL
	SELECT 7, 'Newest report or check-in (UTC)',
	       coalesce(ddm_iso(newest), 'none: no device has reported')
	  FROM fresh
	UNION ALL
	SELECT 7.5, 'Age of the data',
	       CASE WHEN :as_of - newest < 2 * 86400
	            THEN printf('%.1f hours', (:as_of - newest) / 3600.0)
	            ELSE printf('%.1f days', (:as_of - newest) / 86400.0) END
	       || ' before the as-of'
	       || CASE WHEN :as_of - newest >= :stale_after
	               THEN ': no device has reported within the '
	                    || 'not-reporting limit; did the exports stop '
	                    || 'arriving?'
	               ELSE '' END
	  FROM fresh WHERE newest IS NOT NULL
	UNION ALL
	SELECT 8, 'Evidence', 'inputs with SHA-256 on the About sheet; '
	       || 'files checked by SHA256SUMS'
	UNION ALL
	SELECT 8.5, 'Rules (queries, templates)',
	       CASE WHEN count(*) = 0
	            THEN 'built in (' || (SELECT value FROM note
	                                   WHERE name = 'version')
	                 || '; no file overridden): SHA-256 of each on the '
	                 || 'About sheet'
	            ELSE count(*) || CASE WHEN count(*) = 1 THEN ' file'
	                                  ELSE ' files' END
	                 || ' from --queries or --templates, not the built-in '
	                 || 'rules or layout: '
	                 || (SELECT group_concat(name || ' (from ' || origin
	                                         || ')', '; ')
	                       FROM (SELECT name, origin FROM overridden
	                              ORDER BY seq LIMIT 10))
	                 || CASE WHEN count(*) > 10
	                         THEN '; and ' || (count(*) - 10) || ' more'
	                         ELSE '' END
	                 || ' (About sheet: SHA-256)' END
	  FROM overridden
	UNION ALL
	SELECT 9, 'Written by', value FROM note WHERE name = 'version')
 ORDER BY ord;
