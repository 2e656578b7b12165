-- evaluate.sql: the compliance policy.  Builds temp.ev_final, one row per
-- device as of :as_of, which every report selects from: the device's one
-- classification (for the summary and the trend) and each detail report's
-- own criterion (in_*, step 6); and temp.ev_latency (step 7), the patch
-- latency the patch-latency sheet and its summary read.
--
-- Parameters (bound by the engine):
--   :as_of        instant of the evaluation (reports after it are ignored)
--   :stuck_after  seconds in Downloading before a device counts as stuck
--   :stale_after  seconds without a report before "not reporting"
--   :due_within   seconds ahead that count as "due soon"
--   :default_tz   IANA zone for devices with none, or NULL
--   :part_lo, :part_hi  the devices evaluated: serial numbers from :part_lo
--                 up to, not including, :part_hi (NULL: no bound; see
--                 "merge:" below)
--
-- SQL functions from the engine:
--   ddm_version_cmp(a, b)  -1/0/1 comparing OS versions per component
--                          ("26.1 (a)" > "26.1"); NULL when unparseable
--   ddm_meets(os, build, target_os, target_build)
--                          1/0: a device at os (its build) meets the
--                          target; a target build with a supplemental
--                          letter (an RSR or BSI: 20F770750d) is met by a
--                          newer release, and on its own release by that
--                          build or a later one (the build unknown: only if
--                          the target version names the extra), a plain
--                          one is for seeding and not compared; NULL when
--                          os is unknown or unparseable
--   ddm_wall(t)            'YYYY-MM-DDTHH:MM:SS' as seconds read as UTC
--   ddm_wall_to_utc(t, z)  that local time in zone z as an instant; DST
--                          overlap -> earlier instant, gap -> moved forward
--   ddm_wall_note(t, z)    'dst-gap' / 'dst-overlap' when that rule applied
--   ddm_deadline(t, z...)  when deadline t has certainly passed: in the
--                          first known zone of z..., else read as UTC-12
--   ddm_tz_valid(z)        1 for a known IANA zone

-- 1. Every device known as of :as_of, with (the rowids of) its latest
--    report and its latest report that carried an OS version.  Inventory facts
--    dated after :as_of are not used.  When the inventory has a version
--    with a check-in, a report older than the time that version was read
--    (the inventory update when the export gives one, as Jamf Pro's Last
--    Inventory Update: a Mac checks in every few minutes, its version is
--    read at its inventory update; else the check-in) cannot give the
--    version (step 2), so the walk back stops there: a source that never
--    carries a version (Kandji's) costs one short index range a night,
--    not the device's whole history.
--    (Steps 1 and 2 are one pass: the lookups are a layer of ev_dev's
--    query, not a table of their own.)
--
-- 2. Current facts per device: inventory first, then its latest report.
--    The OS version is the most recent one known from either source.
--    dev_zone is the device's own zone (the newer of the inventory's and
--    the latest report's, else --default-tz);
--    step 3 decides which zone reads the deadline.
--
--    How the OS update is enforced: DDM enforces from macOS 14, iOS/iPadOS
--    17, tvOS 18.4 and visionOS 26 (Apple's schema of the enforcement
--    declaration); watchOS has no enforcement declaration.  A device below
--    its platform's floor is upgraded the legacy way (MDM commands), where
--    the target's enforcement_time_zone, not the device's clock, decides
--    the deadline.  A device whose version is unknown is taken as DDM (the
--    default rule: device local time).
DROP TABLE IF EXISTS temp.ev_dev;
CREATE TEMP TABLE ev_dev AS
SELECT f.*,
       CASE WHEN f.platform = 'watchOS' THEN 'legacy'
            WHEN ddm_version_cmp(f.os_version,
                                 CASE f.platform
                                   WHEN 'macOS' THEN '14'
                                   WHEN 'iOS' THEN '17'
                                   WHEN 'iPadOS' THEN '17'
                                   WHEN 'tvOS' THEN '18.4'
                                   WHEN 'visionOS' THEN '26' END) < 0
            THEN 'legacy' ELSE 'ddm' END AS enforcement_mechanism
  FROM (
SELECT b.serial_number,
       -- the inventory's name, user and group first; else the latest
       -- report's; else what a status row without a time said (Kandji's
       -- PENDING of a device that had not reported yet): a report made
       -- since speaks for the device now (moved to another blueprint)
       coalesce(b.inv_device_name, o.device_name, b.device_name)
           AS device_name,
       coalesce(b.inv_user, o.user, b.user) AS user,
       -- without blanks around it or invisible characters (a
       -- spreadsheet's zero-width space, a direction mark), as targets
       -- match it: ddm_group
       ddm_group(coalesce(b.inv_grp, o.grp, b.grp)) AS grp,
       -- a device's platform and model do not change: when its latest
       -- report has none (an incremental DDM report stored before the
       -- backlog that carried its device facts), its latest report with a
       -- version has them
       coalesce(b.platform, o.platform, v.platform) AS platform,
       coalesce(b.model, o.model, v.model) AS model,
       -- a status known without a time counts until a report comes
       coalesce(o.status, b.untimed_status, 'Unknown') AS status,
       CASE WHEN o.rowid IS NULL THEN b.untimed_status_raw
            ELSE o.status_raw END AS status_raw,
       o.failure_count,
       o.failure_reason,
       o.errors,
       o.declarations,
       -- Apple: pending-version's strings are empty when no update is
       -- pending; empty is no pending version
       nullif(o.target_os_version, '') AS dev_target_os_version,
       o.target_build_version AS dev_target_build_version,
       nullif(o.target_local_datetime, '') AS dev_target_local_datetime,
       o.reported_at AS last_report,
       b.last_check_in,
       CASE WHEN o.reported_at IS NULL THEN b.last_check_in
            WHEN b.last_check_in IS NULL THEN o.reported_at
            ELSE max(o.reported_at, b.last_check_in) END AS last_seen,
       -- unenrolled (an MDM CheckOut) and not heard from since
       CASE WHEN b.unenrolled_at >= coalesce(o.reported_at, -9e18)
             AND b.unenrolled_at >= coalesce(b.last_check_in, -9e18)
            THEN b.unenrolled_at END AS unenrolled_at,
       b.unenrolled_by,
       CASE WHEN v.os_version IS NOT NULL
             AND (b.inv_os_version IS NULL OR b.inv_os_at IS NULL
                  OR v.reported_at >= b.inv_os_at)
            THEN v.os_version ||
                 CASE WHEN nullif(trim(v.extra_version), '') IS NULL THEN ''
                      WHEN trim(v.extra_version) LIKE '(%'
                      THEN ' ' || trim(v.extra_version)
                      ELSE ' (' || trim(v.extra_version) || ')' END
            ELSE b.inv_os_version END AS os_version,
       CASE WHEN v.os_version IS NOT NULL
             AND (b.inv_os_version IS NULL OR b.inv_os_at IS NULL
                  OR v.reported_at >= b.inv_os_at)
            THEN nullif(trim(v.build_version), '') END AS build_version,
       -- when that version was read (a report's time, or the inventory's)
       CASE WHEN v.os_version IS NOT NULL
             AND (b.inv_os_version IS NULL OR b.inv_os_at IS NULL
                  OR v.reported_at >= b.inv_os_at)
            THEN v.reported_at
            WHEN b.inv_os_version IS NOT NULL THEN b.inv_os_at END
           AS os_version_at,
       -- the newest reading of the device's zone: the latest report's
       -- when it is newer than the inventory's check-in and says
       -- another zone (a Mac moved from New York to Tokyo since the last
       -- inventory export), else the inventory's (also when the
       -- inventory gives no check-in: which is newer is unknown; and
       -- when both say the same zone, the inventory is its source)
       CASE WHEN ddm_tz_valid(o.time_zone)
             AND (NOT ddm_tz_valid(b.time_zone)
                  OR (o.reported_at > b.last_check_in
                      AND o.time_zone <> b.time_zone)) THEN o.time_zone
            WHEN ddm_tz_valid(b.time_zone) THEN b.time_zone
            WHEN ddm_tz_valid(:default_tz) THEN :default_tz END AS dev_zone,
       CASE WHEN ddm_tz_valid(o.time_zone)
             AND (NOT ddm_tz_valid(b.time_zone)
                  OR (o.reported_at > b.last_check_in
                      AND o.time_zone <> b.time_zone)) THEN 'status'
            WHEN ddm_tz_valid(b.time_zone) THEN 'inventory'
            WHEN ddm_tz_valid(:default_tz) THEN 'default'
            ELSE 'none' END AS dev_zone_source,
       CASE WHEN nullif(b.time_zone, '') IS NOT NULL
             AND NOT ddm_tz_valid(b.time_zone)
            THEN 'unknown time zone ' || b.time_zone
            -- a bad status zone matters only when no inventory zone
            -- read the deadline
            WHEN nullif(o.time_zone, '') IS NOT NULL
             AND NOT ddm_tz_valid(o.time_zone)
             AND NOT ddm_tz_valid(b.time_zone)
            THEN 'unknown time zone ' || o.time_zone END AS zone_note
  FROM (SELECT d.serial_number,
             d.in_inventory,
             d.device_name, d.user, d.grp, d.platform, d.model, d.time_zone,
             CASE WHEN d.in_inventory THEN d.device_name END AS inv_device_name,
             CASE WHEN d.in_inventory THEN d.user END AS inv_user,
             CASE WHEN d.in_inventory THEN d.grp END AS inv_grp,
             CASE WHEN d.last_check_in <= :as_of THEN d.last_check_in END
                 AS last_check_in,
             CASE WHEN d.last_check_in IS NULL OR d.last_check_in <= :as_of
                  THEN d.os_version END AS inv_os_version,
             -- when the inventory's version was read: its inventory
             -- update (Jamf: Last Inventory Update), else the check-in
             CASE WHEN coalesce(d.os_version_at, d.last_check_in) <= :as_of
                  THEN coalesce(d.os_version_at, d.last_check_in) END
                 AS inv_os_at,
             d.untimed_status, d.untimed_status_raw,
             -- a CheckOut counts until the device enrolled again
             CASE WHEN d.unenrolled_at <= :as_of
                   AND NOT coalesce(d.enrolled_at > d.unenrolled_at
                                    AND d.enrolled_at <= :as_of, 0)
                  THEN d.unenrolled_at END
                 AS unenrolled_at,
             d.unenrolled_by,
             (SELECT o.rowid FROM observation o
               WHERE o.serial_number = d.serial_number AND o.reported_at <= :as_of
               ORDER BY o.reported_at DESC LIMIT 1) AS last_rowid,
             (SELECT o.rowid FROM observation o
               WHERE o.serial_number = d.serial_number AND o.reported_at <= :as_of
                 AND o.reported_at >= CASE WHEN d.os_version IS NOT NULL
                                            AND d.last_check_in <= :as_of
                                           THEN coalesce(d.os_version_at,
                                                         d.last_check_in)
                                           ELSE -9e18 END
                 AND o.os_version IS NOT NULL
               ORDER BY o.reported_at DESC LIMIT 1) AS version_rowid
        FROM device d
       WHERE (:part_lo IS NULL OR d.serial_number >= :part_lo)
         AND (:part_hi IS NULL OR d.serial_number < :part_hi)
         -- OFFSET 0 keeps the lookups computed once per device
         LIMIT -1 OFFSET 0) b
  LEFT JOIN observation o ON o.rowid = b.last_rowid
  LEFT JOIN observation v ON v.rowid = b.version_rowid
 WHERE b.in_inventory OR b.last_rowid IS NOT NULL
    OR b.untimed_status IS NOT NULL) f;
-- 3. The target that counts, per device, and its deadline.  Candidates by
--    scope level: the pending version the device itself reports (4) beats
--    a serial-scoped target (3), a group target (2) and a platform-wide '*'
--    target (1) -- but only while the device is below it: Jamf and some
--    devices keep reporting a pending version after installing it, and
--    that stale one (level 0) must not hide a configured target; and only
--    when it is not below the configured target that would count: a
--    device headed for a lower version stays short of that target, whose
--    deadline then stands.  Within the highest level, an unmet target
--    before a met one, the earliest deadline first (when every target is met, the latest one is shown;
--    targets still equal: the first one stored).  Compliance is by OS
--    version, whatever the status says; a Pass with no known version is
--    compliant, unless the report names the version it passed for (Jamf's
--    INSTALLED names its update: productKey MACOS_26.0.1_...) and that
--    version is below the target: a Pass for 26.0.1 is no word on 26.1.
--    A device has few candidates: it looks them up (by
--    serial, by group, the '*' targets of its platform) in ev_target's
--    indexes and keeps the first in that order, with no sort of the whole
--    fleet's candidates; the pick is a layer of ev_final's query (step 6),
--    not a table.
--
--    The deadline as instants.  With a zone: the local time in that zone
--    (legacy: the target's enforcement zone, else the device's own; DDM:
--    always the device's own).  Without one, the conservative rule:
--    deadline_utc is the instant it has certainly passed, the local time
--    read in UTC-12 (wall + 12 h); deadline_earliest_utc the earliest it
--    may pass, read in UTC+14 (wall - 14 h).  With a zone both are equal.
-- The targets' scope columns, indexed the way a device looks them up
-- (group names compare without case): a lookup reads a few rows.
DROP TABLE IF EXISTS temp.ev_target;
CREATE TEMP TABLE ev_target AS
SELECT id, platform, ddm_group(grp) AS grp, serial_number, target_os_version,
       target_build_version, target_local_datetime, declaration_id,
       enforcement_time_zone
  FROM target;
CREATE INDEX temp.ev_target_serial ON ev_target(serial_number);
CREATE INDEX temp.ev_target_group ON ev_target(platform, grp COLLATE DDM_GROUP);
CREATE INDEX temp.ev_target_all ON ev_target(grp, serial_number);

-- 4. Each device with its target and deadline (a device with no target
--    keeps its own zone), whether it is below the target while in scope,
--    and status_since: the first report of the current unbroken run of the
--    same status (an index-only walk back over the device's history).
--    Also a layer of ev_final's query (step 6).

-- 5. What the SOFA feed (table os_release, releases dated on or before
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

-- 6. Each report's own criterion, and one classification per device.
--    The criteria (in_*) are independent: a device past its deadline and
--    stuck downloading meets both, and both detail reports list it.  The
--    classification is the first that applies, in this order, so the
--    summary and the trend count each device once.
--      in_past_deadline      in scope, below target, deadline_utc passed
--      in_errors             in scope, below target, status Error
--      in_stuck_downloading  in scope, below target, Downloading without a
--                            break for :stuck_after, and heard from (a
--                            report or check-in) within :stale_after: a
--                            silent device is not known to be downloading
--      in_not_reporting      no report or check-in for :stale_after (or
--                            never), whatever the classification, unless
--                            unenrolled (an MDM CheckOut, nothing since)
--      in_due_soon           in scope, below target, not certainly past,
--                            possibly due within :due_within
--    For a past-deadline device, how it stands with the enforcement: the
--    OS installs about an hour after the device is next running, a DDM
--    behaviour only (legacy devices get no enforcement hour).  The first
--    report after the deadline is looked up only for past-deadline devices.
--    A device that checked in after the deadline (the inventory's
--    last_check_in) was running then too: not offline at the deadline,
--    and its hour started no later than that check-in (a status export
--    can keep a report time from before the deadline while the device
--    checks in every day, still below its target).
DROP TABLE IF EXISTS temp.ev;
DROP TABLE IF EXISTS temp.ev_final;
CREATE TEMP TABLE ev_final AS
SELECT c.*,
       CASE WHEN c.classification <> 'past-deadline' THEN NULL
            -- seen after the deadline: a report, or a check-in (the
            -- inventory's last one; the first after the deadline was no
            -- later)
            WHEN c.first_report_after_deadline IS NULL
             AND NOT coalesce(c.last_check_in >= c.deadline_utc, 0)
              THEN 'offline-at-deadline'
            WHEN c.enforcement_mechanism = 'ddm'
             AND CASE WHEN c.last_check_in >= c.deadline_utc
                      THEN min(coalesce(c.first_report_after_deadline,
                                        c.last_check_in), c.last_check_in)
                      ELSE c.first_report_after_deadline END
                 > :as_of - 3600
              THEN 'enforcement-hour'
            ELSE 'enforcement-failed' END AS enforcement,
       trim(coalesce(CASE WHEN c.target_os_version IS NULL THEN NULL
                          WHEN c.time_zone_source = 'target'
                          THEN 'legacy enforcement (OS below the DDM floor): deadline in the target''s enforcement zone, no enforcement hour; '
                          WHEN c.enforcement_mechanism = 'legacy'
                          THEN 'legacy enforcement (OS below the DDM floor): the target has no enforcement_time_zone, deadline in the device''s zone, no enforcement hour; '
                     END, '') ||
            coalesce(CASE WHEN c.target_os_version IS NULL THEN NULL
                          WHEN c.time_zone_source = 'default'
                          THEN 'deadline uses the default zone; '
                          WHEN c.time_zone_source = 'none'
                          THEN 'no time zone: deadline_utc read as UTC-12 (certainly past), deadline_earliest_utc as UTC+14; '
                     END, '') ||
            CASE WHEN c.dev_target_os_version IS NOT NULL
                  AND c.dev_target_local_datetime IS NOT NULL
                  AND ddm_wall(c.dev_target_local_datetime) IS NULL
                 THEN 'the device reports pending version ' ||
                      c.dev_target_os_version || ' with a deadline that is not YYYY-MM-DDTHH:MM:SS (' ||
                      c.dev_target_local_datetime || '): not used as a target; '
                 ELSE '' END ||
            coalesce(c.zone_note || '; ', '') ||
            CASE WHEN NOT c.below
                   OR coalesce(c.target_build_version, '') NOT GLOB '*[0-9][a-z]'
                 THEN ''
                 WHEN c.target_build_version GLOB '[0-9]*[A-Z]5[0-9][0-9][0-9][a-z]*'
                  AND (c.build_version IS NULL
                       OR (c.build_version NOT GLOB '*[a-z]'
                           AND rtrim(c.os_version, ') ') GLOB '*[0-9]*[a-z]'))
                 THEN 'the target names beta build ' ||
                      c.target_build_version || '; the device''s build is unknown, so only a newer release than ' ||
                      c.target_os_version || ' counts as meeting it; '
                 WHEN c.build_version IS NULL
                 THEN 'the target names supplemental build ' ||
                      c.target_build_version || ' (a Rapid Security Response); the device''s build is unknown, so only a newer release than ' ||
                      c.target_os_version || ' counts as meeting it; '
                 -- an extra version beside a build with no letter: that
                 -- build is the release's base build (Apple's
                 -- device.operating-system.build-version), not the
                 -- supplemental one (ddm_meets reads it as unknown)
                 WHEN c.build_version NOT GLOB '*[a-z]'
                  AND rtrim(c.os_version, ') ') GLOB '*[0-9]*[a-z]'
                 THEN 'the target names supplemental build ' ||
                      c.target_build_version || ' (a Rapid Security Response); the device reports ' ||
                      c.build_version || ', its release''s base build, beside its extra version, so its supplemental build is unknown and only a newer release than ' ||
                      c.target_os_version || ' counts as meeting it; '
                 ELSE '' END ||
            CASE WHEN c.classification = 'compliant' AND c.os_version IS NULL
                 THEN 'compliant on the MDM''s Pass status alone: no OS version known (no inventory version, none in its reports); '
                 WHEN c.below AND c.os_version IS NULL AND c.status = 'Pass'
                  AND c.dev_target_os_version IS NOT NULL
                 THEN 'the MDM''s Pass is for ' || c.dev_target_os_version ||
                      ', below the target, and no OS version is known: not compliant; '
                 -- a Pass newer than the version known (Kandji's PASS the
                 -- day after the inventory read 26.0): the version decides,
                 -- but the conflict is said, for someone to look at
                 WHEN c.below AND c.status = 'Pass'
                  AND c.last_report > c.os_version_at
                 THEN 'the MDM reported Pass at ' || ddm_iso(c.last_report) ||
                      ', after OS version ' || c.os_version || ' was read (' ||
                      ddm_iso(c.os_version_at) ||
                      '): counted by that version until one is read since; '
                 ELSE '' END ||
            CASE WHEN c.unenrolled_at IS NULL THEN ''
                 WHEN c.unenrolled_by = 'inventory'
                 THEN 'unmanaged: the inventory said the MDM no longer ' ||
                      'manages it at its check-in ' ||
                      ddm_iso(c.unenrolled_at) ||
                      ', nothing heard since; no update is enforced on it; '
                 ELSE 'unenrolled: the MDM''s CheckOut at ' ||
                      ddm_iso(c.unenrolled_at) ||
                      ', nothing heard since; no update is enforced on it; '
                 END ||
            CASE WHEN c.classification = 'past-deadline'
                  AND c.first_report_after_deadline IS NULL
                  AND c.last_check_in >= c.deadline_utc
                 THEN 'no status report since the deadline, but checked in after it; '
                 ELSE '' END ||
            coalesce(CASE c.dst_note
                       WHEN 'dst-gap' THEN 'deadline falls in a DST gap: moved forward; '
                       WHEN 'dst-overlap' THEN 'deadline falls in a DST overlap: earlier instant; '
                     END, ''), '; ') AS notes,
       sofa.latest_os_version, sofa.exploited_cves, sofa.exploited_cve_count
  FROM (SELECT k.*,
               CASE
                 WHEN k.status IN ('Incompatible', 'Excluded')
                   OR k.unenrolled_at IS NOT NULL THEN 'out-of-scope'
                 WHEN k.target_os_version IS NULL THEN 'no-target'
                 WHEN k.met THEN 'compliant'
                 WHEN k.in_past_deadline THEN 'past-deadline'
                 WHEN k.in_errors THEN 'error'
                 WHEN k.in_stuck_downloading THEN 'stuck-downloading'
                 WHEN k.in_not_reporting THEN 'not-reporting'
                 WHEN k.in_due_soon THEN 'due-soon'
                 ELSE 'in-progress'
               END AS classification,
               CASE WHEN k.in_past_deadline THEN
                 (SELECT min(o.reported_at) FROM observation o
                   WHERE o.serial_number = k.serial_number
                     AND o.reported_at >= k.deadline_utc
                     AND o.reported_at <= :as_of) END
                 AS first_report_after_deadline
          FROM (SELECT t.*,
                       t.below AND :as_of >= t.deadline_utc
                         AS in_past_deadline,
                       t.below AND t.status = 'Error' AS in_errors,
                       t.below AND t.status = 'Downloading'
                         AND t.status_since <= :as_of - :stuck_after
                         AND t.last_seen > :as_of - :stale_after
                         AS in_stuck_downloading,
                       t.unenrolled_at IS NULL
                         AND (t.last_seen IS NULL
                              OR t.last_seen <= :as_of - :stale_after)
                         AS in_not_reporting,
                       t.below AND :as_of < t.deadline_utc
                         AND t.deadline_earliest_utc <= :as_of + :due_within
                         AS in_due_soon
                  FROM (
-- step 4
SELECT e.serial_number, e.device_name, e.user, e.grp, e.platform, e.model,
       e.status, e.status_raw, e.failure_count, e.failure_reason, e.errors,
       e.declarations, e.dev_target_os_version, e.dev_target_build_version,
       e.dev_target_local_datetime, e.last_report, e.last_check_in,
       e.last_seen, e.os_version, e.os_version_at, e.build_version, e.dev_zone,
       e.dev_zone_source, e.unenrolled_at, e.unenrolled_by,
       e.zone_note, e.enforcement_mechanism,
       e.target_level, e.target_scope,
       e.target_os_version, e.target_build_version, e.details_url,
       e.target_local_datetime AS deadline_local,
       coalesce(e.met, 0) AS met,
       e.target_os_version IS NOT NULL AND NOT e.met
         AND e.status NOT IN ('Incompatible', 'Excluded')
         AND e.unenrolled_at IS NULL AS below,
       e.time_zone, e.time_zone_source,
       CASE WHEN e.time_zone IS NOT NULL
            THEN ddm_wall_to_utc(e.target_local_datetime, e.time_zone)
            ELSE ddm_wall(e.target_local_datetime) + 12 * 3600 END
           AS deadline_utc,
       CASE WHEN e.time_zone IS NOT NULL
            THEN ddm_wall_to_utc(e.target_local_datetime, e.time_zone)
            ELSE ddm_wall(e.target_local_datetime) - 14 * 3600 END
           AS deadline_earliest_utc,
       CASE WHEN e.time_zone IS NOT NULL
            THEN ddm_wall_note(e.target_local_datetime, e.time_zone) END
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
  FROM (
-- step 3: the picked target's columns (NULL when none)
SELECT x.*,
       CASE WHEN t.id IS NOT NULL
            THEN CASE WHEN t.serial_number <> '' THEN 3
                      WHEN t.grp <> '*' THEN 2 ELSE 1 END
            WHEN x.has_own THEN 4 END AS target_level,
       CASE WHEN t.id IS NOT NULL
            THEN CASE WHEN t.serial_number <> '' THEN 'serial'
                      WHEN t.grp <> '*' THEN 'group' ELSE 'all' END
            WHEN x.has_own THEN 'device' END AS target_scope,
       CASE WHEN t.id IS NOT NULL THEN t.target_os_version
            WHEN x.has_own THEN x.dev_target_os_version END
           AS target_os_version,
       CASE WHEN t.id IS NOT NULL THEN t.target_build_version
            WHEN x.has_own THEN x.dev_target_build_version END
           AS target_build_version,
       CASE WHEN t.id IS NOT NULL THEN t.target_local_datetime
            WHEN x.has_own THEN x.dev_target_local_datetime END
           AS target_local_datetime,
       t.details_url,
       CASE WHEN t.id IS NOT NULL
            THEN coalesce(ddm_meets(x.os_version, x.build_version,
                                    t.target_os_version,
                                    t.target_build_version),
                          x.os_version IS NULL AND x.status = 'Pass'
                            AND (x.dev_target_os_version IS NULL
                                 OR coalesce(ddm_version_cmp(
                                      x.dev_target_os_version,
                                      t.target_os_version) >= 0, 0)))
            WHEN x.has_own THEN x.own_met END AS met,
       CASE WHEN x.enforcement_mechanism = 'legacy'
             AND ddm_tz_valid(t.enforcement_time_zone)
            THEN t.enforcement_time_zone ELSE x.dev_zone END AS time_zone,
       CASE WHEN x.enforcement_mechanism = 'legacy'
             AND ddm_tz_valid(t.enforcement_time_zone)
            THEN 'target' ELSE x.dev_zone_source END AS time_zone_source
  FROM (SELECT z.*,
               -- the device's own pending version wins while the device is
               -- below it, unless it is below the configured target that
               -- would count (installing it would still leave the device
               -- short of that target, whose deadline then stands), or
               -- above an unmet one due before it (two declarations: the
               -- earliest deadline is processed first, and it stands
               -- though the device heads for the later version; of the
               -- same version, the device's own deadline is the word).
               -- A legacy device compares the two as instants, as its
               -- targets are compared: the configured one in its
               -- enforcement zone, its own in the device's zone.
               coalesce(z.has_own AND NOT z.own_met
                          AND (p.id IS NULL
                               OR ddm_version_cmp(z.dev_target_os_version,
                                                  p.target_os_version) = 0
                               OR (ddm_version_cmp(z.dev_target_os_version,
                                                   p.target_os_version) > 0
                                   AND (CASE WHEN z.enforcement_mechanism = 'legacy'
                                             THEN ddm_deadline(p.target_local_datetime,
                                                               p.enforcement_time_zone,
                                                               z.dev_zone)
                                                  >= ddm_deadline(z.dev_target_local_datetime,
                                                                  z.dev_zone)
                                             ELSE ddm_wall(p.target_local_datetime)
                                                  >= ddm_wall(z.dev_target_local_datetime)
                                        END
                                        OR coalesce(ddm_meets(
                                             z.os_version, z.build_version,
                                             p.target_os_version,
                                             p.target_build_version), 0)))),
                        0) AS own_wins
          FROM (SELECT y.*,
               -- the best configured target of the highest level with a
               -- candidate: 3 serial, 2 group, 1 '*' (with no platform, a
               -- declaration target is for every platform).  A serial
               -- target names its device: one for iOS reaches an iPad
               -- (Apple's enforcement declaration has one platform, iOS,
               -- for both), and one whose platform was unknown when it was
               -- read (a Jamf plan before the device's model was known)
               -- reaches the device whatever its platform.  A declaration
               -- target (its JSON, or a targets row naming it) applies only
               -- to devices whose latest report lists it as an active
               -- configuration or as the install reason; the device then
               -- enforces it, whatever the scope of the other targets:
               -- it competes with the highest level's targets (y.top;
               -- Apple enforces every active declaration, the earliest
               -- deadline first), so a met group target cannot hide it.
               (SELECT c.id FROM (
                  SELECT c.*,
                         coalesce(ddm_meets(y.os_version, y.build_version,
                                            c.tov, c.tbv),
                                  y.os_version IS NULL
                                    AND y.status = 'Pass'
                                    AND (y.dev_target_os_version IS NULL
                                         OR coalesce(ddm_version_cmp(
                                              y.dev_target_os_version,
                                              c.tov) >= 0, 0))) AS met,
                         CASE WHEN y.top IS NULL
                                OR (c.did = '' AND c.lvl < y.top)
                              THEN c.lvl ELSE 9 END AS rank,
                         CASE WHEN y.enforcement_mechanism = 'legacy'
                              THEN ddm_deadline(c.tld, c.etz, y.dev_zone)
                              ELSE c.tld END AS due
                    FROM (SELECT 3 AS lvl, t.id, t.declaration_id AS did,
                                 t.target_os_version AS tov,
                                 t.target_build_version AS tbv,
                                 t.target_local_datetime AS tld,
                                 t.enforcement_time_zone AS etz
                            FROM ev_target t
                           WHERE t.serial_number = y.serial_number
                             AND (y.platform IS NULL OR t.platform = ''
                                  OR t.platform = y.platform
                                  OR (t.platform IN ('iOS', 'iPadOS')
                                      AND y.platform IN ('iOS', 'iPadOS')))
                          UNION ALL
                          SELECT 2, t.id, t.declaration_id,
                                 t.target_os_version, t.target_build_version,
                                 t.target_local_datetime,
                                 t.enforcement_time_zone
                            FROM ev_target t
                           WHERE t.platform = y.platform
                             AND t.serial_number = ''
                             AND t.grp = y.grp COLLATE DDM_GROUP
                             AND t.grp <> '*'
                          UNION ALL
                          SELECT 1, t.id, t.declaration_id,
                                 t.target_os_version, t.target_build_version,
                                 t.target_local_datetime,
                                 t.enforcement_time_zone
                            FROM ev_target t
                           WHERE t.grp = '*' AND t.serial_number = ''
                             AND (t.platform = y.platform
                                  OR (t.platform = ''
                                      AND t.declaration_id <> ''))) c
                   WHERE c.did = ''
                      OR instr(' ' || y.declarations || ' ',
                               ' ' || c.did || ' ') > 0) c
                ORDER BY c.rank DESC, c.met,
                         -- earliest deadline first: the wall time, read
                         -- in the device's zone for every target alike;
                         -- a legacy device reads each target in its own
                         -- enforcement zone (else the device's), so its
                         -- targets compare as instants, as step 4 reads
                         -- them (12:00 in Tokyo comes before 09:00 in
                         -- New York)
                         CASE WHEN c.met = 0 THEN c.due END,
                         -- deadlines equal: the highest version, in
                         -- version order (26.10 after 26.9), the one
                         -- the device must reach by then
                         c.tld DESC, c.lvl DESC,
                         c.tov COLLATE DDM_VERSION DESC, c.id
                LIMIT 1) AS pick_id
          FROM (SELECT e.*,
                       e.dev_target_os_version IS NOT NULL
                         AND ddm_wall(e.dev_target_local_datetime) IS NOT NULL
                         AS has_own,
                       coalesce(ddm_meets(e.os_version, e.build_version,
                                          e.dev_target_os_version,
                                          e.dev_target_build_version),
                                e.os_version IS NULL AND e.status = 'Pass')
                         AS own_met,
                       -- with active declarations: the highest level of
                       -- the device's other targets, at which its
                       -- declaration targets compete (NULL: none active,
                       -- levels alone decide)
                       CASE WHEN e.declarations IS NULL THEN NULL
                            WHEN EXISTS (
                              SELECT 1 FROM ev_target t
                               WHERE t.serial_number = e.serial_number
                                 AND t.declaration_id = ''
                                 AND (e.platform IS NULL OR t.platform = ''
                                      OR t.platform = e.platform
                                      OR (t.platform IN ('iOS', 'iPadOS')
                                          AND e.platform IN ('iOS', 'iPadOS'))))
                            THEN 3
                            WHEN EXISTS (
                              SELECT 1 FROM ev_target t
                               WHERE t.platform = e.platform
                                 AND t.serial_number = ''
                                 AND t.grp = e.grp COLLATE DDM_GROUP
                                 AND t.grp <> '*' AND t.declaration_id = '')
                            THEN 2 ELSE 1 END AS top
                  FROM ev_dev e) y
         -- OFFSET 0 keeps the lookup computed once per device
         LIMIT -1 OFFSET 0) z
  LEFT JOIN target p ON p.id = z.pick_id) x
  LEFT JOIN target t ON t.id = x.pick_id AND NOT x.own_wins) e
 LIMIT -1 OFFSET 0) t) k
         -- OFFSET 0 keeps the layer computed once per row
         LIMIT -1 OFFSET 0) c
  LEFT JOIN ev_sofa sofa
    ON sofa.platform = c.platform AND sofa.os_version = c.os_version;

-- 7. Patch latency, from the history: for each device with a target (in
--    scope) that was ever seen below it, the first report below the target
--    (first_below) and, for a device at its target now, the first report
--    at or above it after the last report below it (patched_at): a patch
--    that did not last (a later report below again: a stale source, a
--    restore) is no patch, and a device below its target now is still
--    open, as the other reports say.  A report's version is read with
--    its extra (26.3.1 (a)), as step 2 reads the current one.  Devices
--    never seen below their target had nothing to patch and are not here.
--    The patch-latency sheet and its summary both read this; it is
--    computed once.
DROP TABLE IF EXISTS temp.ev_latency;
CREATE TEMP TABLE ev_latency AS
SELECT b.serial_number, b.device_name, b.grp, b.platform,
       b.target_os_version, b.deadline_utc, b.classification, b.first_below,
       CASE WHEN b.met THEN
         (SELECT min(o.reported_at) FROM observation o
           WHERE o.serial_number = b.serial_number
             AND o.reported_at > (SELECT max(l.reported_at) FROM observation l
                                   WHERE l.serial_number = b.serial_number
                                     AND l.reported_at <= :as_of
                                     AND ddm_meets(l.os_version || CASE WHEN nullif(trim(l.extra_version), '') IS NULL THEN ''
                                                   WHEN trim(l.extra_version) LIKE '(%' THEN ' ' || trim(l.extra_version)
                                                   ELSE ' (' || trim(l.extra_version) || ')' END,
                                                   l.build_version,
                                                   b.target_os_version,
                                                   b.target_build_version)
                                         = 0)
             AND o.reported_at <= :as_of
             AND ddm_meets(o.os_version || CASE WHEN nullif(trim(o.extra_version), '') IS NULL THEN ''
                           WHEN trim(o.extra_version) LIKE '(%' THEN ' ' || trim(o.extra_version)
                           ELSE ' (' || trim(o.extra_version) || ')' END,
                           o.build_version, b.target_os_version,
                           b.target_build_version) = 1)
       END AS patched_at
  FROM (SELECT d.serial_number, d.device_name, d.grp, d.platform,
               d.target_os_version, d.target_build_version, d.deadline_utc,
               d.classification, d.met,
               (SELECT min(o.reported_at) FROM observation o
                 WHERE o.serial_number = d.serial_number
                   AND o.reported_at <= :as_of
                   AND ddm_meets(o.os_version || CASE WHEN nullif(trim(o.extra_version), '') IS NULL THEN ''
                                 WHEN trim(o.extra_version) LIKE '(%' THEN ' ' || trim(o.extra_version)
                                 ELSE ' (' || trim(o.extra_version) || ')' END,
                                 o.build_version,
                                 d.target_os_version,
                                 d.target_build_version) = 0)
                   AS first_below
          FROM (SELECT serial_number, device_name, grp, platform,
                       target_os_version, target_build_version, deadline_utc,
                       classification, met
                  FROM ev_final
                 WHERE target_os_version IS NOT NULL
                   AND classification <> 'out-of-scope'
                UNION ALL
                -- the device's other targets of its scope that it meets
                -- now (a staged 26.1 then 26.2: a Mac patched to 26.1
                -- is counted against 26.2, and its 26.1 patch is measured
                -- here), each version once, its earliest deadline read in
                -- the device's zone as step 4 reads the counted one's
                -- (a legacy device: each target in its own enforcement
                -- zone, else the device's, as step 3 compares them)
                SELECT f.serial_number, f.device_name, f.grp, f.platform,
                       t.target_os_version, t.target_build_version,
                       CASE WHEN f.enforcement_mechanism = 'legacy'
                            THEN min(ddm_deadline(t.target_local_datetime,
                                                  t.enforcement_time_zone,
                                                  f.dev_zone))
                            WHEN f.time_zone IS NOT NULL
                            THEN ddm_wall_to_utc(min(t.target_local_datetime),
                                                 f.time_zone)
                            ELSE ddm_wall(min(t.target_local_datetime))
                                 + 12 * 3600 END,
                       'compliant', 1
                  FROM ev_final f JOIN ev_target t
                    ON (f.target_scope = 'serial'
                        AND t.serial_number = f.serial_number
                        AND (f.platform IS NULL OR t.platform = ''
                             OR t.platform = f.platform
                             OR (t.platform IN ('iOS', 'iPadOS')
                                 AND f.platform IN ('iOS', 'iPadOS'))))
                    OR (f.target_scope = 'group' AND t.serial_number = ''
                        AND t.platform = f.platform
                        AND t.grp = f.grp COLLATE DDM_GROUP AND t.grp <> '*')
                    OR (f.target_scope = 'all' AND t.grp = '*'
                        AND t.serial_number = ''
                        AND (t.platform = f.platform
                             OR (t.platform = '' AND t.declaration_id <> '')))
                 WHERE f.classification <> 'out-of-scope'
                   AND (t.declaration_id = ''
                        OR instr(' ' || f.declarations || ' ',
                                 ' ' || t.declaration_id || ' ') > 0)
                   AND (t.target_os_version, t.target_build_version)
                       IS NOT (f.target_os_version,
                               coalesce(f.target_build_version, ''))
                   AND ddm_meets(f.os_version, f.build_version,
                                 t.target_os_version,
                                 t.target_build_version) = 1
                 GROUP BY f.serial_number, t.target_os_version,
                          t.target_build_version) d
         LIMIT -1 OFFSET 0) b
 WHERE b.first_below IS NOT NULL;

-- merge: ev_final ev_latency
-- Up to here each device is evaluated on its own (ev_sofa holds only the
-- versions of the devices evaluated with it, the only ones they look up).
-- So the engine may evaluate the fleet in parts at once, a part being the
-- devices with :part_lo <= serial_number < :part_hi (NULL: no bound), and
-- append the other parts' rows of the tables named on the line above, in
-- serial order, to the first part's; what follows runs once, over the
-- whole fleet.  Only those tables are whole afterwards: the steps' own
-- tables (ev_dev, ev_sofa) may hold the first part only, so they are
-- dropped here; a report written with --queries that reads them fails
-- with the table's name instead of counting half the fleet.
DROP TABLE temp.ev_dev;
DROP TABLE temp.ev_sofa;

-- The Summary's breakdowns, the trend and the attestation count devices
-- by these columns only: they read this index, not the whole wide rows.
CREATE INDEX temp.ev_final_class ON ev_final(classification, platform, grp,
    target_os_version, deadline_utc, time_zone_source, enforcement_mechanism,
    serial_number);
-- The Devices list reads ev_final in serial order through this index (the
-- rows are stored in that order already) instead of sorting every row.
CREATE INDEX temp.ev_final_serial ON ev_final(serial_number);

-- The groups as the Summary and the patch-latency summary count them: one
-- group whatever the case of its name ("Sales" in one export, "sales" in
-- another, accented capitals too), as targets match it (COLLATE
-- DDM_GROUP: Latin, Greek, Cyrillic letters in any case), shown in the
-- spelling most devices in scope carry (the first in byte order
-- on a tie), so the same fleet always shows the same name.  One row per
-- exact spelling with its counts, read from the index above; the reports
-- add these rows up by name.
DROP TABLE IF EXISTS temp.ev_group;
CREATE TEMP TABLE ev_group AS
SELECT grp,
       first_value(grp) OVER (PARTITION BY grp COLLATE DDM_GROUP
                              ORDER BY devices_in_scope DESC, grp) AS name,
       devices_in_scope, compliant, past_deadline, other_open
  FROM (SELECT grp, count(*) AS devices_in_scope,
               sum(classification = 'compliant') AS compliant,
               sum(classification = 'past-deadline') AS past_deadline,
               sum(classification NOT IN ('compliant', 'past-deadline'))
                   AS other_open
          FROM ev_final
         WHERE classification NOT IN ('no-target', 'out-of-scope')
         GROUP BY grp);
CREATE INDEX temp.ev_group_grp ON ev_group(grp);

-- The target versions as the Summary and the patch-latency summary name
-- them: versions compare numerically, as the policy compares them ('26.1'
-- and '26.1.0' are one target version), each shown in the shortest
-- spelling (the first in byte order on a tie) among those the fleet's
-- targets and its patch latency carry, so both tables name it alike.
DROP TABLE IF EXISTS temp.ev_version;
CREATE TEMP TABLE ev_version AS
WITH tv AS (
	SELECT platform, target_os_version AS v
	  FROM ev_final WHERE target_os_version IS NOT NULL
	UNION
	SELECT platform, target_os_version FROM ev_latency)
SELECT a.platform, a.v,
       (SELECT b.v FROM tv b
         WHERE b.platform IS a.platform
           AND (b.v = a.v OR ddm_version_cmp(a.v, b.v) = 0)
         ORDER BY length(b.v), b.v LIMIT 1) AS shown
  FROM tv a;
