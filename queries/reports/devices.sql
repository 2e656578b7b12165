-- devices: every device with its classification and the facts behind it.
SELECT serial_number, device_name, user, grp AS "group", platform, model,
       classification, enforcement_mechanism, enforcement, status,
       status_raw, ddm_iso(status_since) AS status_since, os_version,
       target_os_version, target_build_version, target_scope,
       deadline_local, time_zone, time_zone_source,
       ddm_iso(deadline_utc) AS deadline_utc,
       ddm_iso(deadline_earliest_utc) AS deadline_earliest_utc,
       ddm_iso(last_seen) AS last_seen, failure_count, failure_reason,
       errors, details_url, notes, latest_os_version, exploited_cve_count,
       exploited_cves
  FROM ev_final
 ORDER BY serial_number;
