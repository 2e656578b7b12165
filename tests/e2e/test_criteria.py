"""Issue 7, sections 1 and 2: each detail report lists every device that
meets its own criterion (with the device's one classification beside it),
a stale device-reported pending version does not hide a configured target,
the legacy enforcement zone, what the user is being notified, and no-zone
rows that agree with themselves.  Plus the summary of an empty fleet.

Inputs are shaped like the real ones: canonical CSV exports, Kandji's
status_report.py CSV (CRLF, microsecond times, a Managed OS item per
device), raw DDM status reports as KMFDDM captures them (the softwareupdate
items as Apple's schema defines them, tests/fixtures/reference/apple-schema).
"""
import json

from lib import INVENTORY_HEADER, STATUS_HEADER, TARGETS_HEADER, sheet_rows

AS_OF = "2026-11-26T12:00:00Z"
TARGETS_ZONE_HEADER = TARGETS_HEADER.rstrip("\n") + ",enforcement_time_zone\n"
KANDJI_HEADER = ("serial_number,device_name,blueprint_name,name,status,type,reported_at,"
                 "last_audit_log,log\r\n")


def status(serial, st, at, os_version, tz="UTC", platform="macOS", model="Mac15,3",
           reason="", count=""):
    return (f"{serial},{st},{at},,,,{platform},\"{model}\",{os_version},,,,,,{tz},"
            f"{count},{reason}\n")


def inventory(serial, platform, model, tz, os_version, group="",
              check_in="2026-11-26T06:00:00Z"):
    return f"{serial},{serial} name,,{group},{platform},\"{model}\",{tz},{check_in},{os_version}\n"


def kandji(serial, group, st, at, log=""):
    # One Managed OS library item per device, as status_report.py lists it.
    return (f"{serial},{serial} name,{group},macOS Managed OS,{st},macos-release,{at},"
            f"{at},{log}\r\n")


def by_serial(rows):
    return {r["serial_number"]: r for r in rows}


def run(t, files, *extra, as_of=AS_OF):
    r = t.run("run", "--out", t.out, "--as-of", as_of, *extra, *files)
    assert r.rc == 0, r
    return by_serial(t.csv("devices"))


# ---- 1. reports are criteria; the classification is a headline ----------

def test_each_report_lists_every_device_meeting_its_criterion(t):
    day = ["2026-11-23T10:00:00Z", "2026-11-24T10:00:00Z", "2026-11-25T10:00:00Z",
           "2026-11-26T10:00:00Z"]
    rows = ([status("X1", "Downloading", d, "26.0") for d in day] +             # past + stuck
            [status("X2", "ERROR", day[3], "26.0", reason="Not enough free disk space",
                    count="2"),                                                  # past + error
             status("X3", "Error", day[3], "26.0", reason="Network"),           # error + due
             status("X4", "Error", day[3], "26.1")] +                           # compliant
            [status("X5", "Downloading", d, "26.1") for d in day] +             # compliant
            [status("X6", "Downloading", d, "26.0") for d in day] +             # stuck + due
            [status("X7", "Incompatible", "2026-11-10T10:00:00Z", "12.7.6",
                    model="MacBookPro11,1"),                                     # silent, out of scope
             status("X8", "Pass", "2026-11-15T10:00:00Z", "26.1")])            # silent, compliant
    targets = ["macOS,*,,26.1,,2026-11-25T17:00:00,\n",
               "macOS,,X3,26.1,,2026-11-27T09:00:00,\n",
               "macOS,,X6,26.1,,2026-11-27T09:00:00,\n"]
    inv = [inventory("X9", "macOS", "Mac15,3", "UTC", "26.0", check_in="")]     # never heard
    files = [t.write("status.csv", STATUS_HEADER + "".join(rows)),
             t.write("targets.csv", TARGETS_HEADER + "".join(targets)),
             t.write("inventory.csv", INVENTORY_HEADER + "".join(inv))]
    d = run(t, files)

    def listed(report):
        return {r["serial_number"]: r["classification"] for r in t.csv(report)}

    assert listed("past-deadline") == {"X1": "past-deadline", "X2": "past-deadline",
                                       "X9": "past-deadline"}
    assert listed("stuck-downloading") == {"X1": "past-deadline", "X6": "stuck-downloading"}
    assert listed("errors") == {"X2": "past-deadline", "X3": "error"}
    assert listed("due-soon") == {"X3": "error", "X6": "stuck-downloading"}
    assert listed("not-reporting") == {"X9": "past-deadline", "X7": "out-of-scope",
                                       "X8": "compliant"}
    # never heard from says so, and comes first
    silent = t.csv("not-reporting")
    assert [r["serial_number"] for r in silent] == ["X9", "X7", "X8"]
    assert silent[0]["last_seen"] == "never" and silent[0]["days_silent"] == ""
    assert silent[1]["last_seen"] == "2026-11-10T10:00:00Z" and silent[1]["days_silent"] == "16.1"
    assert by_serial(t.csv("stuck-downloading"))["X1"]["hours_in_status"] == "74.0"
    assert by_serial(t.csv("errors"))["X2"]["failure_reason"] == "Not enough free disk space"

    # the summary and the devices count each device once
    summary = {r["classification"]: int(r["devices"]) for r in t.csv("summary")}
    assert sum(summary.values()) == len(d) == 9
    assert (summary["past-deadline"], summary["error"], summary["stuck-downloading"],
            summary["not-reporting"], summary["compliant"], summary["out-of-scope"]) == \
        (3, 1, 1, 0, 3, 1)
    assert {s: d[s]["classification"] for s in ("X4", "X5", "X8")} == \
        dict.fromkeys(("X4", "X5", "X8"), "compliant")

    # the workbook sheet has the column too
    headers, rows_ = sheet_rows(t.workbook()["Stuck downloading"])
    col = headers.index("Classification")
    # (the workbook shows readable labels; the CSV keeps machine values)
    assert sorted(r[col] for r in rows_) == ["Past deadline", "Stuck downloading"]


def test_fail_on_counts_a_report_by_its_criterion(t):
    # --fail-on stuck-downloading fires for a stuck device past its deadline
    rows = [status("Y1", "Downloading", d, "26.0")
            for d in ("2026-11-24T10:00:00Z", "2026-11-26T10:00:00Z")]
    files = [t.write("status.csv", STATUS_HEADER + "".join(rows)),
             t.write("targets.csv", TARGETS_HEADER + "macOS,*,,26.1,,2026-11-25T17:00:00,\n")]
    r = t.run("run", "--out", t.out, "--as-of", AS_OF, "--fail-on", "stuck-downloading", *files)
    assert r.rc == 1, r


# ---- 2. targets and deadlines ------------------------------------------

def ddm_report(serial, version, pending=None, family="macOS", model="Mac15,3", state="none"):
    """A full DDM status report with the items Apple's schema defines."""
    su = {"install-state": state}
    if pending:
        su["pending-version"] = pending
    return {"StatusItems": {
        "device": {"identifier": {"serial-number": serial},
                   "model": {"identifier": model},
                   "operating-system": {"family": family, "version": version}},
        "softwareupdate": su}, "Errors": [], "FullReport": True}


def capture(t, enrollment, stamp, doc):
    # KMFDDM's file storage name: <enrollment-id>.<YYYYMMDD-HHMMSS>.<usec>.status.json
    return t.write(f"captures/{enrollment}.{stamp}.000001.status.json", json.dumps(doc, indent=2))


def test_satisfied_pending_version_does_not_hide_configured_target(t):
    capture(t, "ENR-P1", "20261126-080000", ddm_report(
        "P1SERIAL01", "26.0.1", {"os-version": "26.0.1", "build-version": "25A362",
                                 "target-local-date-time": "2026-11-10T17:00:00"}))
    capture(t, "ENR-P2", "20261126-080000", ddm_report(
        "P2SERIAL02", "26.0", {"os-version": "26.0.1", "build-version": "25A362",
                               "target-local-date-time": "2026-11-30T09:00:00"}))
    capture(t, "ENR-P3", "20261126-080000", ddm_report(
        "P3SERIAL03", "26.1", {"os-version": "26.1", "build-version": "25B78",
                               "target-local-date-time": "2026-11-20T09:00:00"}))
    capture(t, "ENR-P4", "20261126-080000", ddm_report(
        "P4SERIAL04", "26.0.1", {"os-version": "26.0.1",
                                 "target-local-date-time": "2026-11-10T17:00:00"},
        family="iOS", model="iPhone17,1"))
    inv = [inventory(s, p, m, "UTC", "") for s, p, m in
           (("P1SERIAL01", "macOS", "Mac15,3"), ("P2SERIAL02", "macOS", "Mac15,3"),
            ("P3SERIAL03", "macOS", "Mac15,3"), ("P4SERIAL04", "iOS", "iPhone17,1"))]
    files = [t.path("captures"),
             t.write("targets.csv", TARGETS_HEADER + "macOS,*,,26.1,,2026-11-25T17:00:00,\n"),
             t.write("inventory.csv", INVENTORY_HEADER + "".join(inv))]
    d = run(t, files)
    # on 26.0.1, reporting pending 26.0.1 (installed): the configured 26.1,
    # due yesterday, counts
    p1 = d["P1SERIAL01"]
    assert (p1["classification"], p1["target_os_version"], p1["target_scope"],
            p1["deadline_local"]) == ("past-deadline", "26.1", "all", "2026-11-25T17:00:00")
    # below its pending version 26.0.1 (due 11-30), which is itself below
    # the configured 26.1 due yesterday: installing it would still leave
    # the device short of 26.1, so the configured deadline stands
    p2 = d["P2SERIAL02"]
    assert (p2["classification"], p2["target_os_version"], p2["target_scope"],
            p2["deadline_local"]) == ("past-deadline", "26.1", "all", "2026-11-25T17:00:00")
    assert d["P3SERIAL03"]["classification"] == "compliant"
    assert d["P3SERIAL03"]["target_scope"] == "all"
    # no configured target for it: at its reported version it is compliant
    assert (d["P4SERIAL04"]["classification"], d["P4SERIAL04"]["target_scope"]) == \
        ("compliant", "device")


def _legacy_fleet(t):
    targets = ["macOS,*,,15.7.2,,2026-11-26T09:00:00,,America/New_York\n",
               "macOS,Lab,,15.7.2,,2026-11-26T09:00:00,,\n",
               "macOS,Pilot,,26.1,,2026-11-26T11:00:00,,UTC\n",
               "iOS,*,,18.7.2,,2026-11-26T09:00:00,,America/Los_Angeles\n",
               "tvOS,*,,26.1,,2026-11-26T09:00:00,,America/New_York\n"]
    inv = [inventory("L1", "macOS", "MacBookPro14,1", "Asia/Tokyo", "13.7.8"),
           inventory("D1", "macOS", "Mac14,2", "Asia/Tokyo", "14.8.2"),
           inventory("L2", "macOS", "MacBookAir8,1", "Europe/Berlin", "12.7.6", group="Lab"),
           inventory("L3", "macOS", "MacBookPro14,1", "UTC", "13.7.8", group="Pilot"),
           inventory("D3", "macOS", "Mac15,3", "UTC", "15.7.1", group="Pilot"),
           inventory("I1", "iOS", "iPhone10,4", "Asia/Tokyo", "16.7.12"),
           inventory("I2", "iOS", "iPhone15,2", "Asia/Tokyo", "17.0"),
           inventory("T1", "tvOS", "AppleTV11,1", "Asia/Tokyo", "18.3"),
           inventory("T2", "tvOS", "AppleTV14,1", "Asia/Tokyo", "18.4")]
    ks = [kandji(s, g, "PENDING", "2026-11-26T11:30:00.123456Z")
          for s, g in (("L1", "Office"), ("D1", "Office"), ("L2", "Lab"), ("L3", "Pilot"),
                       ("D3", "Pilot"))]
    return [t.write("targets.csv", TARGETS_ZONE_HEADER + "".join(targets)),
            t.write("inventory.csv", INVENTORY_HEADER + "".join(inv)),
            t.write("kandji.csv", KANDJI_HEADER + "".join(ks))]


def test_legacy_enforcement_zone_decides_below_the_ddm_floor(t):
    d = run(t, _legacy_fleet(t))

    def facts(s):
        x = d[s]
        return (x["enforcement_mechanism"], x["time_zone"], x["time_zone_source"],
                x["deadline_utc"], x["classification"])
    # macOS 13 upgrading: the target's zone (09:00 New York = 14:00Z)
    assert facts("L1") == ("legacy", "America/New_York", "target", "2026-11-26T14:00:00Z",
                           "due-soon")
    assert "legacy enforcement" in d["L1"]["notes"]
    # macOS 14 is DDM: its own clock (09:00 Tokyo = 00:00Z), the zone ignored
    assert facts("D1") == ("ddm", "Asia/Tokyo", "inventory", "2026-11-26T00:00:00Z",
                           "past-deadline")
    assert "legacy" not in d["D1"]["notes"]
    # a legacy device whose target has no zone falls back to its own, noted
    assert facts("L2") == ("legacy", "Europe/Berlin", "inventory", "2026-11-26T08:00:00Z",
                           "past-deadline")
    assert "no enforcement_time_zone" in d["L2"]["notes"]
    # iOS: below 17 legacy, 17.0 itself is DDM
    assert facts("I1") == ("legacy", "America/Los_Angeles", "target", "2026-11-26T17:00:00Z",
                           "due-soon")
    assert facts("I2") == ("ddm", "Asia/Tokyo", "inventory", "2026-11-26T00:00:00Z",
                           "past-deadline")
    # tvOS: DDM enforcement from 18.4
    assert facts("T1")[:4] == ("legacy", "America/New_York", "target", "2026-11-26T14:00:00Z")
    assert facts("T2")[:4] == ("ddm", "Asia/Tokyo", "inventory", "2026-11-26T00:00:00Z")

    pd = by_serial(t.csv("past-deadline"))
    assert pd["L2"]["enforcement_mechanism"] == "legacy"
    assert pd["D1"]["enforcement_mechanism"] == "ddm"
    # no OS notification schedule for a legacy upgrade
    due = by_serial(t.csv("due-soon"))
    assert due["L1"]["user_notice"] == "" and due["L1"]["hours_left"] == "2.0"


def test_enforcement_hour_is_ddm_only(t):
    # Both reported 30 minutes ago, 30 minutes after an 11:00Z deadline.
    d = run(t, _legacy_fleet(t))
    assert (d["D3"]["enforcement_mechanism"], d["D3"]["enforcement"]) == \
        ("ddm", "enforcement-hour")
    assert (d["L3"]["enforcement_mechanism"], d["L3"]["enforcement"]) == \
        ("legacy", "enforcement-failed")


def test_summary_says_how_legacy_deadlines_were_read(t):
    # The attestation sentence counts the legacy devices (below the DDM
    # floor) read in their target's enforcement zone and those that fell
    # back to their own, as devices.csv shows them.
    d = run(t, _legacy_fleet(t))
    scope = [x for x in d.values()
             if x["target_os_version"] and x["classification"] != "out-of-scope"]
    legacy = [x for x in scope if x["enforcement_mechanism"] == "legacy"]
    target = sum(1 for x in legacy if x["time_zone_source"] == "target")
    own = len(legacy) - target
    assert target and own, legacy
    ws = t.workbook()["Summary"]
    said = next(r[1].value for r in ws.iter_rows() if r[0].value == "How deadlines were evaluated")
    assert f"{target} in the target's enforcement zone, {own} fell back to their own zone" \
        in said, said


def test_enforcement_zone_must_be_a_known_zone(t):
    # a targets export of 150 serial-scoped rows, one naming a zone that
    # does not exist: that row is rejected with its line, the rest is kept
    rows = [f"macOS,,S{i:04d},26.1,,2026-12-01T09:00:00,,Europe/Paris\n" for i in range(150)]
    rows[41] = "macOS,,S0041,26.1,,2026-12-01T09:00:00,,Europe/Pariss\n"
    t.write("targets.csv", TARGETS_ZONE_HEADER + "".join(rows))
    r = t.run("ingest", t.path("targets.csv"))
    assert r.rc == 0, r
    t.run("report", "rejected", "--out", t.out)
    rej = t.csv("rejected")
    assert [(x["line"], x["reason"]) for x in rej] == \
        [("43", "enforcement_time_zone is not a known IANA time zone")], rej


def test_targets_reingested_with_a_zone_keep_it(t):
    inv = t.write("inventory.csv", INVENTORY_HEADER +
                  inventory("L1", "macOS", "MacBookPro14,1", "Asia/Tokyo", "13.7.8"))
    old = t.write("old.csv", TARGETS_HEADER + "macOS,*,,15.7.2,,2026-11-26T09:00:00,\n")
    new = t.write("new.csv", TARGETS_ZONE_HEADER +
                  "macOS,*,,15.7.2,,2026-11-26T09:00:00,,America/New_York\n")
    d = run(t, [inv, old])
    assert (d["L1"]["time_zone"], d["L1"]["classification"]) == ("Asia/Tokyo", "past-deadline")
    d = run(t, [new])
    assert (d["L1"]["time_zone"], d["L1"]["deadline_utc"]) == \
        ("America/New_York", "2026-11-26T14:00:00Z")


def test_due_soon_user_notice_and_rows_that_agree_with_themselves(t):
    rows = [status(s, "Downloading", "2026-11-26T10:00:00Z", "26.0", tz=tz)
            for s, tz in (("N1", "UTC"), ("N2", "UTC"), ("N3", "UTC"), ("N4", "UTC"),
                          ("N5", ""))]
    targets = ["macOS,,N1,26.1,,2026-11-27T18:00:00,\n",   # 30 h left
               "macOS,,N2,26.1,,2026-11-26T17:00:00,\n",   # 5 h
               "macOS,,N3,26.1,,2026-11-26T12:30:00,\n",   # 30 min
               "macOS,,N4,26.1,,2026-11-27T12:00:00,\n",   # exactly 24 h
               "macOS,,N5,26.1,,2026-11-26T08:00:00,\n"]   # no zone
    files = [t.write("status.csv", STATUS_HEADER + "".join(rows)),
             t.write("targets.csv", TARGETS_HEADER + "".join(targets))]
    d = run(t, files, "--due-within", "2d")
    due = by_serial(t.csv("due-soon"))
    assert {s: (r["hours_left"], r["user_notice"]) for s, r in due.items()} == {
        "N1": ("30.0", "daily"), "N2": ("5.0", "hourly"), "N3": ("0.5", "final-hour"),
        "N4": ("24.0", "hourly"), "N5": ("8.0", "hourly")}
    assert list(due) == ["N3", "N2", "N5", "N4", "N1"]   # nearest first
    # no zone: deadline_utc is the certainly-past instant (UTC-12 reading),
    # deadline_earliest_utc the UTC+14 one, hours_left counts to the first
    n5 = due["N5"]
    assert (n5["deadline_utc"], n5["deadline_earliest_utc"]) == \
        ("2026-11-26T20:00:00Z", "2026-11-25T18:00:00Z")
    assert "UTC-12" in n5["notes"]
    assert (d["N5"]["deadline_utc"], d["N5"]["deadline_earliest_utc"]) == \
        ("2026-11-26T20:00:00Z", "2026-11-25T18:00:00Z")
    # with a zone both instants are one
    assert due["N2"]["deadline_utc"] == due["N2"]["deadline_earliest_utc"] == \
        "2026-11-26T17:00:00Z"


def test_no_zone_past_deadline_only_once_certain(t):
    # 19:59 is still due soon with 0.0 hours left on the UTC-12 reading;
    # 20:00 is past-deadline, and its row shows the instant it passed
    rows = [status("H1", "Pending", "2026-11-26T10:00:00Z", "26.0", tz="")]
    files = [t.write("status.csv", STATUS_HEADER + "".join(rows)),
             t.write("targets.csv", TARGETS_HEADER + "macOS,*,,26.1,,2026-11-26T08:00:00,\n")]
    run(t, files, as_of="2026-11-26T19:59:00Z")
    assert [(r["hours_left"], r["user_notice"]) for r in t.csv("due-soon")] == \
        [("0.0", "final-hour")]
    run(t, [], as_of="2026-11-26T20:00:00Z")
    pd = t.csv("past-deadline")
    assert [(r["serial_number"], r["deadline_utc"], r["deadline_earliest_utc"]) for r in pd] == \
        [("H1", "2026-11-26T20:00:00Z", "2026-11-25T18:00:00Z")]
    assert t.csv("due-soon") == []


# ---- summary of what is there (issue 8) ---------------------------------

def test_summary_counts_nothing_for_empty_classifications(t):
    files = [t.write("status.csv", STATUS_HEADER +
                     status("Z1", "Pending", "2026-11-26T10:00:00Z", "26.0", platform="",
                            model="VirtualMac2,1")),
             t.write("targets.csv", TARGETS_HEADER + "macOS,*,,26.1,,2026-11-25T17:00:00,\n")]
    run(t, files, as_of="2026-01-01T00:00:00Z")   # before any data
    for r in t.csv("summary"):
        assert (r["devices"], r["macos"], r["ios"], r["ipados"], r["other"]) == \
            ("0", "0", "0", "0", "0"), r
    # the Summary's classification table: every cell 0, "Other" included
    rows = list(t.workbook()["Summary"].iter_rows(values_only=True))
    top = next(i for i, r in enumerate(rows) if r[:6] == ("Classification", "Devices", "macOS",
                                                           "iOS", "iPadOS", "Other"))
    table = rows[top + 1:top + 10]
    assert len(table) == 9 and all(r[1:6] == (0, 0, 0, 0, 0) for r in table), table
    # once there is data, the one device counts once
    run(t, [], as_of=AS_OF)
    counted = [r for r in t.csv("summary") if r["devices"] != "0"]
    assert [(r["classification"], r["devices"], r["macos"], r["other"]) for r in counted] == \
        [("past-deadline", "1", "1", "0")]


def test_compliant_on_pass_alone_is_said_on_the_row_and_the_attestation(t):
    """A Kandji status file says PASS for its own Managed OS item and carries
    no OS version.  With no inventory, the device counts compliant against
    our target on the MDM's word alone (documented policy), and nothing told
    the auditor which compliant devices were never checked by version.  The
    row's notes say so, and the attestation counts them; a device whose
    version is known and meets the target gets no such note."""
    k = t.write("kandji.csv", KANDJI_HEADER
                + kandji("C02PASSONLY1", "Sales", "PASS", "2026-11-25T10:00:00.123456Z")
                + kandji("C02PASSONLY2", "Sales", "PASS", "2026-11-25T11:00:00.5Z"))
    s = t.write("s.csv", STATUS_HEADER + status("C02VERSIONED", "Pass", "2026-11-25T10:00:00Z",
                                                "26.1"))
    g = t.write("targets.csv", TARGETS_HEADER + "macOS,*,,26.1,25B78,2026-11-20T09:00:00,\n"
                + "".join(f"macOS,,{s},26.1,25B78,2026-11-20T09:00:00,\n"
                          for s in ("C02PASSONLY1", "C02PASSONLY2")))
    r = t.run("run", "--out", t.out, "--as-of", AS_OF, k, s, g)
    assert r.rc == 0, r
    dev = by_serial(t.csv("devices"))
    for serial in ("C02PASSONLY1", "C02PASSONLY2"):
        assert dev[serial]["classification"] == "compliant", dev[serial]
        assert "Pass status alone: no OS version known" in dev[serial]["notes"], dev[serial]
    assert dev["C02VERSIONED"]["classification"] == "compliant"
    assert "Pass status alone" not in dev["C02VERSIONED"]["notes"], dev["C02VERSIONED"]
    ws = t.workbook()["Summary"]
    attest = {row[0].value: row[1].value for row in ws.iter_rows(max_row=20)}
    assert attest["Compliant without a known version"].startswith(
        "2 compliant devices are counted on the MDM's Pass status alone"), attest


def test_rsr_target_is_met_by_its_build_not_by_the_version_alone(t):
    """A target that names a Rapid Security Response's supplemental build
    (iOS 16.5.1 (c) is 20F770750d; Apple's enforcement declaration takes it
    in TargetBuildVersion beside TargetOSVersion 16.5.1) was met by any
    16.5.1: a device without the response counted compliant.  The build
    decides now; a newer release meets it; a device whose build is unknown
    is below it, and says why.  A plain target build is for seeding and is
    not compared (the version takes precedence)."""
    rows = [("C02RSRPLAIN", "16.5.1", "20F75", ""),
            ("C02RSROLDER", "16.5.1", "20F770750b", "(a)"),
            ("C02RSRDONE1", "16.5.1", "20F770750d", "(c)"),
            ("C02RSRNEWER", "16.6", "20G75", ""),
            ("C02RSRNOBLD", "16.5.1", "", "(c)")]
    s = t.write("s.csv", STATUS_HEADER + "".join(
        f"{serial},Idle,2026-11-25T10:00:00Z,,,,iOS,\"iPhone15,2\",{v},{b},{x},,,,UTC,,\n"
        for serial, v, b, x in rows)
        + "C02SEEDBLD1,Idle,2026-11-25T10:00:00Z,,,,macOS,\"Mac15,3\",26.1,25B1,,,,,UTC,,\n"
        # SOFA's macOS feed: 26.3.1 (a) is 25D771280a, the later 26.3.2 is 25D2140
        + "C02BSINEWER,Idle,2026-11-25T10:00:00Z,,,Lab,macOS,\"Mac15,3\",26.3.2,25D2140,,,,,UTC,,\n"
        + "C02BSIPLAIN,Idle,2026-11-25T10:00:00Z,,,Lab,macOS,\"Mac15,3\",26.3.1,25D2128,,,,,UTC,,\n")
    g = t.write("targets.csv", TARGETS_HEADER
                + "iOS,*,,16.5.1,20F770750d,2026-11-20T09:00:00,\n"
                + "macOS,*,,26.1,25B78,2026-11-20T09:00:00,\n"
                + "macOS,Lab,,26.3.1,25D771280a,2026-11-20T09:00:00,\n")
    r = t.run("run", "--out", t.out, "--as-of", AS_OF, s, g)
    assert r.rc == 0, r
    dev = by_serial(t.csv("devices"))
    got = {serial: dev[serial]["classification"] for serial in dev}
    assert got == {"C02RSRPLAIN": "past-deadline", "C02RSROLDER": "past-deadline",
                   "C02RSRDONE1": "compliant", "C02RSRNEWER": "compliant",
                   "C02RSRNOBLD": "past-deadline", "C02SEEDBLD1": "compliant",
                   "C02BSINEWER": "compliant", "C02BSIPLAIN": "past-deadline"}, got
    assert "build is unknown" in dev["C02RSRNOBLD"]["notes"], dev["C02RSRNOBLD"]
    assert "build is unknown" not in dev["C02RSRPLAIN"]["notes"], dev["C02RSRPLAIN"]
    past = {r["serial_number"] for r in t.csv("past-deadline")}
    assert past == {"C02RSRPLAIN", "C02RSROLDER", "C02RSRNOBLD", "C02BSIPLAIN"}, past
