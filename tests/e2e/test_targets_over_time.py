"""Targets over time.  A file that names a scope (platform, group, serial,
declaration) states that scope's targets now: a deadline moved in the
targets file, a new version of an enforcement declaration or a canceled
Jamf plan takes the earlier target away, and a device is no longer shown
past a deadline that was withdrawn.  Scopes a file does not name keep
their targets, and an old file fed again brings nothing back."""
import json
import os
import sys

from lib import ROOT, STATUS_HEADER, TARGETS_HEADER, sql
from test_policy import status_row

sys.path.insert(0, os.path.join(ROOT, "tests"))
import gen_fixtures  # noqa: E402

AS_OF = "2026-11-26T12:00:00Z"


def devices(t):
    r = t.run("report", "--out", t.out, "--as-of", AS_OF)
    assert r.rc == 0, r
    return {d["serial_number"]: d for d in t.csv("devices")}


def stored_targets(t):
    return sql(t.db, "SELECT platform, grp, serial_number, target_os_version, "
                     "target_local_datetime FROM target ORDER BY 1, 2, 3, 4, 5").split()


def last_file(t):
    return sql(t.db, "SELECT rows_read, rows_stored, rows_duplicate FROM source_file "
                     "ORDER BY id DESC LIMIT 1").strip()


def test_moved_deadline_replaces_the_earlier_one(t):
    st = t.write("status.csv", STATUS_HEADER +
                 status_row("M1", "Downloading", "2026-11-26T10:00:00Z", "26.0", "UTC"))
    old = t.write("targets-1.csv", TARGETS_HEADER + "macOS,*,,26.1,,2026-11-20T09:00:00,\n")
    t.ok("ingest", st, old)
    assert devices(t)["M1"]["classification"] == "past-deadline"
    new = t.write("targets-2.csv", TARGETS_HEADER + "macOS,*,,26.1,,2026-12-10T09:00:00,\n")
    t.ok("ingest", new)
    d = devices(t)["M1"]
    assert (d["classification"], d["deadline_local"]) == \
        ("in-progress", "2026-12-10T09:00:00"), d
    assert stored_targets(t) == ["macOS|*||26.1|2026-12-10T09:00:00"]
    # The old file fed again is known: the old deadline does not come back.
    t.ok("ingest", old)
    assert stored_targets(t) == ["macOS|*||26.1|2026-12-10T09:00:00"]
    assert devices(t)["M1"]["classification"] == "in-progress"


def test_a_file_replaces_only_the_scopes_it_names(t):
    t.ok("ingest", t.write("t1.csv", TARGETS_HEADER +
                           "macOS,*,,26.0.1,,2026-11-01T09:00:00,\n"
                           "macOS,*,,26.1,,2026-11-20T09:00:00,\n"
                           "macOS,Eng,,26.1,,2026-11-15T09:00:00,\n"
                           "macOS,,S1,26.1,,2026-11-10T09:00:00,\n"
                           "iOS,*,,26.1,,2026-11-20T09:00:00,\n"))
    # The macOS '*' scope again: its first step repeated, the second moved;
    # the group named in another case (groups match without case).
    t.ok("ingest", t.write("t2.csv", TARGETS_HEADER +
                           "macOS,*,,26.0.1,,2026-11-01T09:00:00,\n"
                           "macOS,*,,26.1,,2026-12-01T09:00:00,\n"
                           "macOS,eng,,26.1,,2026-12-05T09:00:00,\n"))
    assert last_file(t) == "3|2|1"   # the repeated step is a duplicate
    assert stored_targets(t) == [
        "iOS|*||26.1|2026-11-20T09:00:00",
        "macOS||S1|26.1|2026-11-10T09:00:00",   # a device's own scope: not named
        "macOS|*||26.0.1|2026-11-01T09:00:00",
        "macOS|*||26.1|2026-12-01T09:00:00",
        "macOS|eng||26.1|2026-12-05T09:00:00",
    ]


def test_two_targets_of_one_scope_in_one_file_are_both_kept(t):
    # A staged rollout: both steps stand; the earliest unmet one counts.
    st = t.write("status.csv", STATUS_HEADER +
                 status_row("P1", "Pending", "2026-11-26T10:00:00Z", "26.0", "UTC") +
                 status_row("P2", "Pending", "2026-11-26T10:00:00Z", "26.0.1", "UTC"))
    tg = t.write("targets.csv", TARGETS_HEADER +
                 "macOS,*,,26.0.1,,2026-11-20T09:00:00,\n"
                 "macOS,*,,26.1,,2026-12-20T09:00:00,\n")
    t.ok("ingest", st, tg)
    d = devices(t)
    assert (d["P1"]["target_os_version"], d["P1"]["classification"]) == \
        ("26.0.1", "past-deadline")
    assert (d["P2"]["target_os_version"], d["P2"]["classification"]) == \
        ("26.1", "in-progress")


def test_new_version_of_a_declaration_replaces_the_old_one(t):
    fx = gen_fixtures.write_all(t.path("fx"))
    t.ok("ingest", os.path.join(fx, "inventory.csv"), os.path.join(fx, "declaration.json"),
         os.path.join(fx, "decl-reports.ndjson"))
    d = devices(t)["C02DECL0001"]
    assert (d["classification"], d["deadline_local"]) == ("past-deadline", "2026-11-24T17:00:00")
    # The server sends the declaration again, same identifier, a new token
    # and a later deadline.
    with open(os.path.join(fx, "declaration.json")) as f:
        decl = json.load(f)
    decl["ServerToken"] = "2"
    decl["Payload"]["TargetLocalDateTime"] = "2026-12-10T17:00:00"
    t.ok("ingest", t.write("declaration-2.json", json.dumps(decl)))
    d = devices(t)["C02DECL0001"]
    # Downloading since 11-23: stuck, no longer past a deadline.
    assert (d["classification"], d["deadline_local"]) == \
        ("stuck-downloading", "2026-12-10T17:00:00"), d
    assert stored_targets(t) == ["|*||26.1|2026-12-10T17:00:00"]


def _plans(t, name, state, when="2026-11-20T17:00:00"):
    doc = {"totalCount": 1, "results": [{
        "planUuid": "3E9C2074-2F3D-4DA0-9B5C-7A4F6E8D0C23",
        "device": {"deviceId": "7", "objectType": "COMPUTER", "href": "/v1/computers-inventory/7"},
        "updateAction": "DOWNLOAD_INSTALL_SCHEDULE", "versionType": "SPECIFIC_VERSION",
        "specificVersion": "26.1", "buildVersion": "25B78", "maxDeferrals": 0,
        "forceInstallLocalDateTime": when, "recipeId": "-1",
        "status": {"state": state, "errorReasons": []}}]}
    return t.write(name, json.dumps(doc))


def test_canceled_jamf_plan_withdraws_the_deadline_it_set(t):
    inv = t.write("inventory.csv",
                  "serial_number,device_name,platform,model,time_zone,os_version,jamf_id\n"
                  "C02PLAN0007,plan-7,macOS,\"Mac15,3\",UTC,26.0,7\n")
    t.ok("ingest", inv, _plans(t, "plans-1.json", "DDMPlanScheduled"))
    d = devices(t)["C02PLAN0007"]
    assert (d["classification"], d["target_scope"]) == ("past-deadline", "serial"), d
    # Next night's export: Jamf lists the same plan, canceled.
    t.ok("ingest", _plans(t, "plans-2.json", "PlanCanceled"))
    assert stored_targets(t) == []
    assert devices(t)["C02PLAN0007"]["classification"] == "no-target"
