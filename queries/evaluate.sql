-- evaluate.sql: the compliance policy.  Builds temp.ev, one row per device
-- as of :as_of, which every report selects from.
--
-- Parameters (bound by the engine):
--   :as_of        instant of the evaluation (reports after it are ignored)
--   :stuck_after  seconds in Downloading before a device counts as stuck
--   :stale_after  seconds without a report before "not reporting"
--   :due_within   seconds ahead that count as "due soon"
--   :default_tz   IANA zone for devices with none, or NULL
--
-- SQL functions from the engine:
--   ddm_version_cmp(a, b)  -1/0/1 comparing OS versions per component
--                          ("26.1 (a)" > "26.1"); NULL when unparseable
--   ddm_wall(t)            'YYYY-MM-DDTHH:MM:SS' as seconds read as UTC
--   ddm_wall_to_utc(t, z)  that local time in zone z as an instant; DST
--                          overlap -> earlier instant, gap -> moved forward
--   ddm_wall_note(t, z)    'dst-gap' / 'dst-overlap' when that rule applied
--   ddm_tz_valid(z)        1 for a known IANA zone

-- 1. Every device known as of :as_of, with (the rowids of) its latest
--    report and its latest report that carried an OS version.  Inventory facts
--    dated after :as_of are not used.
DROP TABLE IF EXISTS temp.ev_base;
CREATE TEMP TABLE ev_base AS
SELECT d.serial_number,
       d.in_inventory,
       d.device_name, d.user, d.grp, d.platform, d.model, d.time_zone,
       CASE WHEN d.last_check_in <= :as_of THEN d.last_check_in END
           AS last_check_in,
       CASE WHEN d.last_check_in IS NULL OR d.last_check_in <= :as_of
            THEN d.os_version END AS inv_os_version,
       d.untimed_status, d.untimed_status_raw,
       (SELECT o.rowid FROM observation o
         WHERE o.serial_number = d.serial_number AND o.reported_at <= :as_of
         ORDER BY o.reported_at DESC LIMIT 1) AS last_rowid,
       (SELECT o.rowid FROM observation o
         WHERE o.serial_number = d.serial_number AND o.reported_at <= :as_of
           AND o.os_version IS NOT NULL
         ORDER BY o.reported_at DESC LIMIT 1) AS version_rowid
  FROM device d;

-- 2. Current facts per device: inventory first, then its latest report.
--    The OS version is the most recent one known from either source.
DROP TABLE IF EXISTS temp.ev_dev;
CREATE TEMP TABLE ev_dev AS
SELECT b.serial_number,
       coalesce(b.device_name, o.device_name) AS device_name,
       coalesce(b.user, o.user) AS user,
       coalesce(b.grp, o.grp) AS grp,
       coalesce(b.platform, o.platform) AS platform,
       coalesce(b.model, o.model) AS model,
       -- a status known without a time counts until a report comes
       coalesce(o.status, b.untimed_status, 'Unknown') AS status,
       CASE WHEN o.rowid IS NULL THEN b.untimed_status_raw
            ELSE o.status_raw END AS status_raw,
       o.failure_count,
       o.failure_reason,
       o.errors,
       o.declarations,
       o.target_os_version AS dev_target_os_version,
       o.target_build_version AS dev_target_build_version,
       o.target_local_datetime AS dev_target_local_datetime,
       o.reported_at AS last_report,
       b.last_check_in,
       CASE WHEN o.reported_at IS NULL THEN b.last_check_in
            WHEN b.last_check_in IS NULL THEN o.reported_at
            ELSE max(o.reported_at, b.last_check_in) END AS last_seen,
       CASE WHEN v.os_version IS NOT NULL
             AND (b.inv_os_version IS NULL OR b.last_check_in IS NULL
                  OR v.reported_at >= b.last_check_in)
            THEN v.os_version ||
                 CASE WHEN nullif(trim(v.extra_version), '') IS NULL THEN ''
                      WHEN trim(v.extra_version) LIKE '(%'
                      THEN ' ' || trim(v.extra_version)
                      ELSE ' (' || trim(v.extra_version) || ')' END
            ELSE b.inv_os_version END AS os_version,
       CASE WHEN ddm_tz_valid(b.time_zone) THEN b.time_zone
            WHEN ddm_tz_valid(o.time_zone) THEN o.time_zone
            WHEN ddm_tz_valid(:default_tz) THEN :default_tz END AS time_zone,
       CASE WHEN ddm_tz_valid(b.time_zone) THEN 'inventory'
            WHEN ddm_tz_valid(o.time_zone) THEN 'status'
            WHEN ddm_tz_valid(:default_tz) THEN 'default'
            ELSE 'none' END AS time_zone_source,
       CASE WHEN nullif(b.time_zone, '') IS NOT NULL
             AND NOT ddm_tz_valid(b.time_zone)
            THEN 'unknown time zone ' || b.time_zone
            WHEN nullif(o.time_zone, '') IS NOT NULL
             AND NOT ddm_tz_valid(o.time_zone)
            THEN 'unknown time zone ' || o.time_zone END AS zone_note
  FROM ev_base b
  LEFT JOIN observation o ON o.rowid = b.last_rowid
  LEFT JOIN observation v ON v.rowid = b.version_rowid
 WHERE b.in_inventory OR b.last_rowid IS NOT NULL
    OR b.untimed_status IS NOT NULL;

-- 3. Candidate targets, by scope level: the device's own reported pending
--    version and deadline (4) beats a serial-scoped target (3), a group
--    target (2) and a platform-wide '*' target (1).
DROP TABLE IF EXISTS temp.ev_cand;
CREATE TEMP TABLE ev_cand AS
SELECT e.serial_number, 4 AS level, 'device' AS scope,
       e.dev_target_os_version AS target_os_version,
       e.dev_target_build_version AS target_build_version,
       e.dev_target_local_datetime AS target_local_datetime,
       NULL AS details_url
  FROM ev_dev e
 WHERE e.dev_target_os_version IS NOT NULL
   AND ddm_wall(e.dev_target_local_datetime) IS NOT NULL
UNION ALL
SELECT e.serial_number, 3, 'serial', t.target_os_version,
       t.target_build_version, t.target_local_datetime, t.details_url
  FROM ev_dev e JOIN target t ON t.serial_number = e.serial_number
 WHERE (e.platform IS NULL OR t.platform = e.platform)
   AND (t.declaration_id = '' OR instr(' ' || e.declarations || ' ',
                                       ' ' || t.declaration_id || ' ') > 0)
UNION ALL
SELECT e.serial_number, 2, 'group', t.target_os_version,
       t.target_build_version, t.target_local_datetime, t.details_url
  FROM ev_dev e JOIN target t
    ON t.platform = e.platform AND t.serial_number = ''
   AND t.grp = e.grp COLLATE NOCASE AND t.grp <> '*'
 WHERE t.declaration_id = '' OR instr(' ' || e.declarations || ' ',
                                      ' ' || t.declaration_id || ' ') > 0
UNION ALL
SELECT e.serial_number, 1, 'all', t.target_os_version,
       t.target_build_version, t.target_local_datetime, t.details_url
  FROM ev_dev e JOIN target t
    ON (t.platform = e.platform OR (t.platform = '' AND t.declaration_id <> ''))
   AND t.serial_number = '' AND t.grp = '*'
 -- A declaration target (its JSON, or a targets row naming it) applies
 -- only to devices whose latest report lists it as an active
 -- configuration or as the install reason.
 WHERE t.declaration_id = '' OR instr(' ' || e.declarations || ' ',
                                      ' ' || t.declaration_id || ' ') > 0;

-- 4. The target that counts: the highest level; within it, an unmet target
--    before a met one, the earliest deadline first (when every target is
--    met, the latest one is shown).  Compliance is by OS
--    version, whatever the status says; a Pass with no known version is
--    compliant.
DROP TABLE IF EXISTS temp.ev_pick;
CREATE TEMP TABLE ev_pick AS
SELECT * FROM (
	SELECT m.*,
	       row_number() OVER (PARTITION BY m.serial_number
	                          ORDER BY m.level DESC, m.met ASC,
	                                   CASE WHEN m.met = 0
	                                        THEN m.target_local_datetime END,
	                                   m.target_local_datetime DESC,
	                                   m.target_os_version DESC) AS rn
	  FROM (SELECT c.*,
	               CASE WHEN e.os_version IS NOT NULL
	                     AND ddm_version_cmp(e.os_version,
	                                         c.target_os_version) >= 0
	                    THEN 1
	                    WHEN e.os_version IS NULL AND e.status = 'Pass'
	                    THEN 1
	                    ELSE 0 END AS met
	          FROM ev_cand c JOIN ev_dev e USING (serial_number)) m
) WHERE rn = 1;

-- 5. Deadlines as instants.  With a zone: the local time in that zone.
--    Without one, the conservative rule: certainly past once the local time
--    has passed in UTC-12 (wall + 12 h); possibly due from UTC+14 (wall - 14 h).
DROP TABLE IF EXISTS temp.ev_time;
CREATE TEMP TABLE ev_time AS
SELECT e.*,
       p.level AS target_level, p.scope AS target_scope,
       p.target_os_version, p.target_build_version, p.details_url,
       p.target_local_datetime AS deadline_local,
       coalesce(p.met, 0) AS met,
       CASE WHEN p.serial_number IS NULL THEN NULL
            WHEN e.time_zone IS NOT NULL
            THEN ddm_wall_to_utc(p.target_local_datetime, e.time_zone)
            ELSE ddm_wall(p.target_local_datetime) + 12 * 3600 END
           AS deadline_utc,
       CASE WHEN p.serial_number IS NULL THEN NULL
            WHEN e.time_zone IS NOT NULL
            THEN ddm_wall_to_utc(p.target_local_datetime, e.time_zone)
            ELSE ddm_wall(p.target_local_datetime) - 14 * 3600 END
           AS deadline_earliest_utc,
       CASE WHEN e.time_zone IS NOT NULL
            THEN ddm_wall_note(p.target_local_datetime, e.time_zone) END
           AS dst_note,
       (SELECT min(o.reported_at) FROM observation o
         WHERE o.serial_number = e.serial_number
           AND o.reported_at <= e.last_report
           AND o.reported_at > coalesce(
                 (SELECT x.reported_at FROM observation x
                   WHERE x.serial_number = e.serial_number
                     AND x.reported_at < e.last_report
                     AND x.status <> e.status
                   ORDER BY x.reported_at DESC LIMIT 1), -9e18))
           AS status_since
  FROM ev_dev e LEFT JOIN ev_pick p USING (serial_number);

-- 5b. What the SOFA feed (table os_release, releases dated on or before
--     :as_of) says about each platform and OS version in use: the newest
--     release of the same major version line, and the actively exploited
--     CVEs fixed by newer releases of the platform that the device's own
--     line has not already fixed at or below its version.  Information
--     only: no classification depends on it.  With no feed, all NULL.
DROP TABLE IF EXISTS temp.ev_sofa;
CREATE TEMP TABLE ev_sofa AS
WITH dv AS (
	SELECT DISTINCT platform, os_version FROM ev_dev
	 WHERE platform IS NOT NULL AND ddm_version_ok(os_version)),
rel AS (
	SELECT platform, version, exploited_cves, release_date
	  FROM os_release WHERE ddm_version_ok(version)),
cve (platform, version, release_date, rest, cve) AS (
	SELECT platform, version, release_date, exploited_cves || ' ', ''
	  FROM rel WHERE exploited_cves <> ''
	UNION ALL
	SELECT platform, version, release_date,
	       substr(rest, instr(rest, ' ') + 1),
	       substr(rest, 1, instr(rest, ' ') - 1)
	  FROM cve WHERE rest <> ''),
line AS (
	SELECT dv.platform, dv.os_version, r.version
	  FROM dv JOIN rel r ON r.platform = dv.platform
	   AND CAST(r.version AS INTEGER) = CAST(dv.os_version AS INTEGER)
	 WHERE r.release_date <= :as_of),
latest AS (
	SELECT l.platform, l.os_version, min(l.version) AS latest_os_version
	  FROM line l
	 WHERE NOT EXISTS (SELECT 1 FROM line n
	                    WHERE n.platform = l.platform
	                      AND n.os_version = l.os_version
	                      AND ddm_version_cmp(n.version, l.version) > 0)
	 GROUP BY l.platform, l.os_version),
missing AS (
	SELECT dv.platform, dv.os_version, c.cve
	  FROM dv JOIN cve c ON c.platform = dv.platform AND c.cve <> ''
	 WHERE c.release_date <= :as_of
	   AND ddm_version_cmp(c.version, dv.os_version) > 0
	EXCEPT
	SELECT dv.platform, dv.os_version, c.cve
	  FROM dv JOIN cve c ON c.platform = dv.platform AND c.cve <> ''
	 WHERE CAST(c.version AS INTEGER) = CAST(dv.os_version AS INTEGER)
	   AND ddm_version_cmp(c.version, dv.os_version) <= 0)
SELECT dv.platform, dv.os_version, lt.latest_os_version,
       (SELECT group_concat(o.cve, ' ') FROM (
	   SELECT m.cve FROM missing m
	    WHERE m.platform = dv.platform AND m.os_version = dv.os_version
	    ORDER BY CAST(substr(m.cve, 5, 4) AS INTEGER),
	             CAST(substr(m.cve, 10) AS INTEGER), m.cve) o)
           AS exploited_cves,
       CASE WHEN EXISTS (SELECT 1 FROM rel WHERE rel.platform = dv.platform
                                             AND rel.release_date <= :as_of)
            THEN (SELECT count(*) FROM missing m
                   WHERE m.platform = dv.platform
                     AND m.os_version = dv.os_version) END
           AS exploited_cve_count
  FROM dv LEFT JOIN latest lt
    ON lt.platform = dv.platform AND lt.os_version = dv.os_version;

-- 6. One classification per device: the first that applies, in this order;
--    for a past-deadline device, how it stands with the OS's own
--    enforcement (the OS installs about an hour after the device is next
--    running).  The first report after the deadline is looked up only for
--    past-deadline devices.
DROP TABLE IF EXISTS temp.ev;
DROP TABLE IF EXISTS temp.ev_final;
CREATE TEMP TABLE ev_final AS
SELECT c.*,
       CASE WHEN c.classification <> 'past-deadline' THEN NULL
            WHEN c.first_report_after_deadline IS NULL
              THEN 'offline-at-deadline'
            WHEN c.first_report_after_deadline > :as_of - 3600
              THEN 'enforcement-hour'
            ELSE 'enforcement-failed' END AS enforcement,
       trim(coalesce(CASE c.time_zone_source
                       WHEN 'default' THEN 'deadline uses the default zone; '
                       WHEN 'none' THEN 'no time zone: deadline read as UTC-12 (past) and UTC+14 (due); '
                     END, '') ||
            coalesce(c.zone_note || '; ', '') ||
            coalesce(CASE c.dst_note
                       WHEN 'dst-gap' THEN 'deadline falls in a DST gap: moved forward; '
                       WHEN 'dst-overlap' THEN 'deadline falls in a DST overlap: earlier instant; '
                     END, ''), '; ') AS notes,
       sofa.latest_os_version, sofa.exploited_cves, sofa.exploited_cve_count
  FROM (SELECT k.*,
               CASE WHEN k.classification = 'past-deadline' THEN
                 (SELECT min(o.reported_at) FROM observation o
                   WHERE o.serial_number = k.serial_number
                     AND o.reported_at >= k.deadline_utc
                     AND o.reported_at <= :as_of) END
                 AS first_report_after_deadline
          FROM (SELECT t.*,
                       CASE
                         WHEN t.status IN ('Incompatible', 'Excluded') THEN 'out-of-scope'
                         WHEN t.target_os_version IS NULL THEN 'no-target'
                         WHEN t.met THEN 'compliant'
                         WHEN t.deadline_utc IS NOT NULL AND :as_of >= t.deadline_utc
                           THEN 'past-deadline'
                         WHEN t.status = 'Error' THEN 'error'
                         WHEN t.status = 'Downloading'
                          AND t.status_since <= :as_of - :stuck_after
                           THEN 'stuck-downloading'
                         WHEN t.last_seen IS NULL OR t.last_seen < :as_of - :stale_after
                           THEN 'not-reporting'
                         WHEN t.deadline_earliest_utc IS NOT NULL
                          AND t.deadline_earliest_utc <= :as_of + :due_within
                           THEN 'due-soon'
                         ELSE 'in-progress'
                       END AS classification
                  FROM ev_time t
                 -- OFFSET 0 keeps each layer computed once per row
                 LIMIT -1 OFFSET 0) k
         LIMIT -1 OFFSET 0) c
  LEFT JOIN ev_sofa sofa
    ON sofa.platform = c.platform AND sofa.os_version = c.os_version;
CREATE INDEX temp.ev_final_class ON ev_final(classification, serial_number);
