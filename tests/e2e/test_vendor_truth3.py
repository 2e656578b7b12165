"""Vendor inputs as they really arrive, third pass: several enforcement
targets at once, the SOFA feed's reports, the history's reports (patch
latency, trend) and the admin CSVs, each checked for meaning what its
name says.  Inputs are written here in the shapes README.md documents."""
import json

TARGETS_HEADER = ("platform,group,serial_number,target_os_version,target_build_version,"
                  "target_local_datetime,details_url\n")


def by_serial(rows):
    return {r["serial_number"]: r for r in rows}


# ---- patch latency of a Rapid Security Response target ----------------

def test_patch_latency_reads_the_rsr_extra_of_each_report(t):
    # A target that names a Rapid Security Response / Background Security
    # Improvement (26.3.1 (a), Apple's BSI of March 2026: build
    # 25D771280a) is met by a report of 26.3.1 with extra version (a).
    # The Devices sheet says so; patch latency must read each report the
    # same way: a Mac on 26.3.1 (a) in every report was never below the
    # target (not in the sheet), and a Mac that got the (a) a night after
    # the deadline was patched then (not "compliant, time unknown").
    t.ok("ingest",
         t.write("status.csv",
                 "serial_number,status,reported_at,platform,os_version,"
                 "build_version,extra_version\n"
                 "C02RSR00001,Idle,2026-03-20T10:00:00Z,macOS,26.3.1,25D771280a,(a)\n"
                 "C02RSR00001,Idle,2026-03-21T10:00:00Z,macOS,26.3.1,25D771280a,(a)\n"
                 "C02RSR00002,Idle,2026-03-20T10:00:00Z,macOS,26.3.1,25D2128,\n"
                 "C02RSR00002,Idle,2026-03-22T10:00:00Z,macOS,26.3.1,25D771280a,(a)\n"),
         t.write("targets.csv", TARGETS_HEADER +
                 "macOS,*,,26.3.1 (a),,2026-03-21T17:00:00,\n"))
    t.ok("report", "--as-of", "2026-03-23T00:00:00Z", "--out", t.out,
         "--default-tz", "UTC")
    dev = by_serial(t.csv("devices"))
    assert [dev[s]["classification"] for s in ("C02RSR00001", "C02RSR00002")] == \
        ["compliant", "compliant"], dev
    lat = by_serial(t.csv("patch-latency"))
    assert "C02RSR00001" not in lat, lat
    row = lat["C02RSR00002"]
    assert (row["first_seen_below"], row["patched_at"], row["days_from_deadline"],
            row["state"]) == ("2026-03-20T10:00:00Z", "2026-03-22T10:00:00Z",
                              "0.7", "patched"), row


# ---- Exploited CVEs with a feed for one platform only -----------------

def test_exploited_sheet_never_vouches_for_devices_no_feed_checked(t):
    # SOFA's macOS feed is the one most admins pull.  With it alone, a
    # fleet's iPhones are checked against nothing: the Exploited CVEs
    # sheet may not say "No device is missing a fix" while an iPhone on
    # iOS 17.7.2 misses thirteen (the iOS feed lists them).  Its empty
    # line names the devices no feed checked; with both feeds the iPhone
    # is listed.
    from lib import REFERENCE, empty_sheet_line
    import os
    sofa = os.path.join(REFERENCE, "sofa")
    t.write("status.csv",
            "serial_number,status,reported_at,platform,model,os_version\n"
            "C02MAC00001,Idle,2026-01-10T10:00:00Z,macOS,\"Mac15,3\",26.2\n"
            "F2LIPHONE01,Idle,2026-01-10T10:00:00Z,iOS,\"iPhone12,1\",17.7.2\n")
    as_of = "2026-01-20T00:00:00Z"
    t.ok("run", "--out", t.path("a"), "--as-of", as_of, "--db", t.path("a.db"),
         t.path("status.csv"), os.path.join(sofa, "v2-macos_data_feed.json"))
    assert t.csv("exploited", where=t.path("a")) == []
    line = empty_sheet_line(t.workbook(where=t.path("a"))["Exploited CVEs"])
    assert line != "No device is missing a fix for an actively exploited CVE.", line
    assert "1 device was not checked (iOS 1)" in line, line
    t.ok("run", "--out", t.path("b"), "--as-of", as_of, "--db", t.path("b.db"),
         t.path("status.csv"), os.path.join(sofa, "v2-macos_data_feed.json"),
         os.path.join(sofa, "v2-ios_data_feed.json"))
    ex = by_serial(t.csv("exploited", where=t.path("b")))
    assert list(ex) == ["F2LIPHONE01"] and ex["F2LIPHONE01"]["exploited_cve_count"] == "13", ex


# ---- several enforcement declarations, many configurations ------------

def _decl(ident, version, when):
    return json.dumps({"Type": "com.apple.configuration.softwareupdate.enforcement.specific",
                       "Identifier": ident, "ServerToken": "1",
                       "Payload": {"TargetOSVersion": version, "TargetLocalDateTime": when}})


def test_declaration_target_found_among_many_active_configurations(t):
    # A DDM server that sends every profile as a declaration (legacy
    # configurations) leaves a Mac with dozens of active configurations;
    # Apple's status item lists them in no set order.  The enforcement
    # declaration past 64 of them is still the Mac's target: it was
    # no-target, not past its deadline.
    cfgs = [{"identifier": "com.example.legacy.profile-%03d" % i, "active": True,
             "valid": "valid", "server-token": str(i)} for i in range(80)]
    cfgs.append({"identifier": "com.example.su.macos-26-1", "active": True,
                 "valid": "valid", "server-token": "1"})
    report = {"StatusItems": {
        "device": {"identifier": {"serial-number": "C02MANY0001"},
                   "operating-system": {"family": "macOS", "version": "26.0.1",
                                        "build-version": "25A362"}},
        "softwareupdate": {"install-state": "none"},
        "management": {"declarations": {"activations": [], "assets": [],
                                        "management": [], "configurations": cfgs}}},
        "Errors": [], "FullReport": True}
    t.ok("ingest",
         t.write("decl.json", _decl("com.example.su.macos-26-1", "26.1",
                                    "2026-11-24T17:00:00")),
         t.write("reports.ndjson", json.dumps({"received_at": "2026-11-26T08:00:00Z",
                                               "report": report}) + "\n"))
    t.ok("report", "--as-of", "2026-11-26T12:00:00Z", "--out", t.out,
         "--default-tz", "UTC")
    dev = by_serial(t.csv("devices"))["C02MANY0001"]
    assert (dev["classification"], dev["target_os_version"]) == \
        ("past-deadline", "26.1"), dev


def test_backlog_declarations_and_deadline_reach_the_newer_reports(t):
    # A collector's backlog arrives a night late: tonight's incremental
    # report (install state only) was ingested first, then the full
    # report of three days ago that lists the Mac's active enforcement
    # declaration and its pending version with the deadline.  Reports are
    # incremental: the newer one changed neither, so both were still the
    # Mac's.  The same reports ingested in time order say past-deadline;
    # in arrival order the Mac was no-target.
    full = {"device": {"identifier": {"serial-number": "C02BACK0001"},
                       "operating-system": {"family": "macOS", "version": "26.0.1",
                                            "build-version": "25A362"}},
            "softwareupdate": {"install-state": "none",
                               "pending-version": {"os-version": "26.1",
                                                   "build-version": "25B78",
                                                   "target-local-date-time":
                                                       "2026-11-24T17:00:00"}},
            "management": {"declarations": {
                "activations": [], "assets": [], "management": [],
                "configurations": [{"identifier": "com.example.su.macos-26-1",
                                    "active": True, "valid": "valid",
                                    "server-token": "1"}]}}}

    def env(at, items, full_report):
        return json.dumps({"received_at": at, "serial_number": "C02BACK0001",
                           "report": {"StatusItems": items, "Errors": [],
                                      "FullReport": full_report}}) + "\n"

    newer = t.write("tonight.ndjson", env("2026-11-26T08:00:00Z",
                                          {"softwareupdate": {"install-state": "downloading"}},
                                          False))
    backlog = t.write("backlog.ndjson", env("2026-11-23T08:00:00Z", full, True))
    # the device's own pending version alone (no configured target)
    t.ok("ingest", newer, "--db", t.path("own.db"))
    t.ok("ingest", backlog, "--db", t.path("own.db"))
    # the declaration as the target (the device's pending version aside)
    decl = t.write("decl.json", _decl("com.example.su.macos-26-1", "26.2",
                                      "2026-11-25T17:00:00"))
    t.ok("ingest", decl, newer, "--db", t.path("decl.db"))
    t.ok("ingest", backlog, "--db", t.path("decl.db"))
    for db, scope, version in (("own.db", "device", "26.1"), ("decl.db", "all", "26.2")):
        t.ok("report", "devices", "--db", t.path(db), "--as-of", "2026-11-26T12:00:00Z",
             "--out", t.path(db + ".out"), "--default-tz", "UTC")
        dev = by_serial(t.csv("devices", where=t.path(db + ".out")))["C02BACK0001"]
        assert (dev["classification"], dev["status"], dev["target_os_version"]) == \
            ("past-deadline", "Downloading", version), (db, dev)


def test_patch_latency_of_a_staged_target_counts_devices_past_it(t):
    # Two targets of one scope stand (a staged rollout, or two active
    # enforcement declarations): 26.1 due Dec 1, 26.2 due Dec 15.  A Mac
    # patched to 26.1 is counted against 26.2 now; its 26.1 patch must
    # still be measured: the Patch latency summary said "macOS 26.1:
    # patched 0, still open 1" while two of three Macs had patched it.
    from lib import sheet_rows
    t.write("status.csv",
            "serial_number,status,reported_at,platform,os_version\n"
            "C02STAGE001,Idle,2026-11-28T10:00:00Z,macOS,26.0\n"
            "C02STAGE001,Idle,2026-12-02T10:00:00Z,macOS,26.1\n"
            "C02STAGE002,Idle,2026-11-28T10:00:00Z,macOS,26.0\n"
            "C02STAGE002,Idle,2026-12-03T10:00:00Z,macOS,26.1\n"
            "C02STAGE003,Idle,2026-11-28T10:00:00Z,macOS,26.0\n"
            "C02STAGE003,Idle,2026-12-03T10:00:00Z,macOS,26.0\n")
    t.write("targets.csv", TARGETS_HEADER +
            "macOS,*,,26.1,,2026-12-01T17:00:00,\n"
            "macOS,*,,26.2,,2026-12-15T17:00:00,\n")
    t.ok("run", "--as-of", "2026-12-04T00:00:00Z", "--out", t.out, "--default-tz", "UTC",
         t.path("status.csv"), t.path("targets.csv"))
    dev = by_serial(t.csv("devices"))
    assert [dev["C02STAGE00%d" % i]["target_os_version"] for i in (1, 2, 3)] == \
        ["26.2", "26.2", "26.1"], dev
    got = sorted((r["target_os_version"], r["serial_number"], r["patched_at"],
                  r["days_from_deadline"], r["state"]) for r in t.csv("patch-latency"))
    assert got == [
        ("26.1", "C02STAGE001", "2026-12-02T10:00:00Z", "0.7", "patched"),
        ("26.1", "C02STAGE002", "2026-12-03T10:00:00Z", "1.7", "patched"),
        ("26.1", "C02STAGE003", "", "", "open"),
        ("26.2", "C02STAGE001", "", "", "open"),
        ("26.2", "C02STAGE002", "", "", "open")], got
    rows = [r for r in t.workbook()["Patch latency"].iter_rows(values_only=True)
            if r and r[0] == "Target"]
    assert [r[:8] for r in rows] == [("Target", "macOS 26.1", 2, 1, 0, 0, 0.7, 1.7),
                                     ("Target", "macOS 26.2", 0, 2, 0, 0, None, None)], rows
