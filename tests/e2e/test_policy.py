"""The compliance policy on small, hand-made fleets: each test states one
rule of the brief and checks the classification a user would see."""
from lib import INVENTORY_HEADER, STATUS_HEADER, TARGETS_HEADER


def status_row(serial, status, at, os_version="", tz="", platform="macOS", model="Mac15,3",
               group="", target_os="", target_dt="", extra="", reason="", count=""):
    return (f"{serial},{status},{at},,,{group},{platform},\"{model}\",{os_version},,{extra},"
            f"{target_os},,{target_dt},{tz},{count},{reason}\n")


def fleet(t, status_rows, targets, inventory=None, as_of="2026-11-26T12:00:00Z", extra_args=()):
    files = [t.write("status.csv", STATUS_HEADER + "".join(status_rows)),
             t.write("targets.csv", TARGETS_HEADER + "".join(targets))]
    if inventory is not None:
        files.append(t.write("inventory.csv", INVENTORY_HEADER + "".join(inventory)))
    r = t.run("run", "--out", t.out, "--as-of", as_of, *extra_args, *files)
    assert r.rc == 0, r
    return {d["serial_number"]: d for d in t.csv("devices")}


def test_compliance_is_by_version_whatever_the_status(t):
    d = fleet(t, [status_row("A1", "Error", "2026-11-26T10:00:00Z", "26.1", "UTC"),
                  status_row("A2", "Pass", "2026-11-26T10:00:00Z", "26.0.1", "UTC"),
                  status_row("A3", "Pass", "2026-11-26T10:00:00Z", "", "UTC"),
                  status_row("A4", "Pending", "2026-11-26T10:00:00Z", "26.1 (a)", "UTC"),
                  status_row("A5", "Pending", "2026-11-26T10:00:00Z", "26.1", "UTC", extra="(a)")],
              ["macOS,*,,26.1,,2026-12-20T09:00:00,\n"])
    assert d["A1"]["classification"] == "compliant"
    assert d["A2"]["classification"] == "in-progress"   # says Pass, but below target
    assert d["A3"]["classification"] == "compliant"     # Pass with no known version
    assert d["A4"]["classification"] == "compliant"
    assert d["A5"]["os_version"] == "26.1 (a)" and d["A5"]["classification"] == "compliant"


def test_versions_compare_numerically(t):
    d = fleet(t, [status_row("B1", "Pending", "2026-11-26T10:00:00Z", "15.7.10", "UTC"),
                  status_row("B2", "Pending", "2026-11-26T10:00:00Z", "15.7.9", "UTC")],
              ["macOS,*,,15.7.10,,2026-12-20T09:00:00,\n"])
    assert d["B1"]["classification"] == "compliant"
    assert d["B2"]["classification"] == "in-progress"


def test_target_precedence_serial_then_group_then_all(t):
    rows = [status_row(s, "Pending", "2026-11-26T10:00:00Z", "26.0", "UTC", group=g)
            for s, g in (("C1", "Eng"), ("C2", "Eng"), ("C3", "Sales"))]
    d = fleet(t, rows, ["macOS,*,,26.1,,2026-11-20T09:00:00,\n",
                        "macOS,eng,,26.1,,2026-12-01T09:00:00,\n",   # group match ignores case
                        "macOS,,C1,26.1,,2026-12-10T09:00:00,\n"])
    assert (d["C1"]["target_scope"], d["C1"]["deadline_local"]) == ("serial", "2026-12-10T09:00:00")
    assert (d["C2"]["target_scope"], d["C2"]["deadline_local"]) == ("group", "2026-12-01T09:00:00")
    assert (d["C3"]["target_scope"], d["C3"]["classification"]) == ("all", "past-deadline")


def test_earliest_unmet_deadline_counts_and_platform_must_match(t):
    d = fleet(t, [status_row("D1", "Pending", "2026-11-26T10:00:00Z", "26.0", "UTC"),
                  status_row("D2", "Pending", "2026-11-26T10:00:00Z", "26.0.1", "UTC"),
                  status_row("D3", "Pending", "2026-11-26T10:00:00Z", "18.0", "UTC",
                             platform="", model="iPhone16,1")],
              ["macOS,*,,26.1,,2026-12-20T09:00:00,\n",
               "macOS,*,,26.0.1,,2026-11-20T09:00:00,\n"])
    assert (d["D1"]["target_os_version"], d["D1"]["classification"]) == ("26.0.1", "past-deadline")
    assert (d["D2"]["target_os_version"], d["D2"]["classification"]) == ("26.1", "in-progress")
    assert d["D3"]["platform"] == "iOS" and d["D3"]["classification"] == "no-target"


def test_device_reported_deadline_beats_configured_targets(t):
    d = fleet(t, [status_row("E1", "Downloading", "2026-11-26T10:00:00Z", "26.0", "UTC",
                             target_os="26.1", target_dt="2026-11-25T09:00:00")],
              ["macOS,,E1,26.1,,2026-12-20T09:00:00,\n"])
    assert d["E1"]["target_scope"] == "device"
    assert d["E1"]["classification"] == "past-deadline"


def test_deadline_is_device_local_time(t):
    rows = [status_row("F1", "Pending", "2026-11-26T10:00:00Z", "26.0", "Asia/Tokyo"),
            status_row("F2", "Pending", "2026-11-26T10:00:00Z", "26.0", "America/Los_Angeles")]
    d = fleet(t, rows, ["macOS,*,,26.1,,2026-11-26T17:00:00,\n"])
    assert d["F1"]["deadline_utc"] == "2026-11-26T08:00:00Z"
    assert d["F1"]["classification"] == "past-deadline"
    assert d["F2"]["deadline_utc"] == "2026-11-27T01:00:00Z"
    assert d["F2"]["classification"] == "due-soon"


def test_dst_gap_moves_forward_and_overlap_takes_earlier(t):
    rows = [status_row("G1", "Pending", "2026-03-01T10:00:00Z", "26.0", "America/New_York"),
            status_row("G2", "Pending", "2026-03-01T10:00:00Z", "26.0", "America/New_York", group="Late")]
    d = fleet(t, rows, ["macOS,*,,26.1,,2026-03-08T02:30:00,\n",
                        "macOS,Late,,26.1,,2026-11-01T01:30:00,\n"], as_of="2026-03-02T00:00:00Z")
    assert d["G1"]["deadline_utc"] == "2026-03-08T07:30:00Z"   # 03:30 EDT
    assert "DST gap" in d["G1"]["notes"]
    assert d["G2"]["deadline_utc"] == "2026-11-01T05:30:00Z"   # 01:30 EDT, the first one
    assert "DST overlap" in d["G2"]["notes"]


def test_no_zone_rule_is_conservative(t):
    # Deadline wall time 2026-11-26T08:00.  As UTC-12 it passes at 20:00Z; as UTC+14 at
    # 2026-11-25T18:00Z.
    target = ["macOS,*,,26.1,,2026-11-26T08:00:00,\n"]
    row = [status_row("H1", "Pending", "2026-11-24T10:00:00Z", "26.0")]
    for as_of, want in (("2026-11-25T17:00:00Z", "due-soon"),
                        ("2026-11-26T19:59:59Z", "due-soon"),
                        ("2026-11-26T20:00:00Z", "past-deadline")):
        d = fleet(t, row, target, as_of=as_of)
        assert d["H1"]["classification"] == want, (as_of, d["H1"])
        assert d["H1"]["time_zone_source"] == "none"
    d = fleet(t, row, target, as_of="2026-11-24T17:00:00Z")
    assert d["H1"]["classification"] == "in-progress"


def test_default_zone_is_used_and_said(t):
    d = fleet(t, [status_row("I1", "Pending", "2026-11-26T10:00:00Z", "26.0")],
              ["macOS,*,,26.1,,2026-11-26T17:00:00,\n"], extra_args=("--default-tz", "Asia/Tokyo"))
    assert d["I1"]["time_zone"] == "Asia/Tokyo" and d["I1"]["time_zone_source"] == "default"
    assert "default zone" in d["I1"]["notes"]
    assert d["I1"]["classification"] == "past-deadline"


def test_inventory_zone_wins_and_bad_zone_is_noted(t):
    inv = ["J1,,,,macOS,\"Mac15,3\",Asia/Tokyo,,\n", "J2,,,,macOS,\"Mac15,3\",Mars/Olympus,,\n"]
    d = fleet(t, [status_row("J1", "Pending", "2026-11-26T10:00:00Z", "26.0", "America/Los_Angeles"),
                  status_row("J2", "Pending", "2026-11-26T10:00:00Z", "26.0")],
              ["macOS,*,,26.1,,2026-11-26T17:00:00,\n"], inventory=inv)
    assert d["J1"]["time_zone"] == "Asia/Tokyo" and d["J1"]["time_zone_source"] == "inventory"
    assert d["J2"]["time_zone_source"] == "none" and "unknown time zone Mars/Olympus" in d["J2"]["notes"]


def test_enforcement_categories(t):
    target = ["macOS,*,,26.1,,2026-11-26T08:00:00,\n"]
    rows = [status_row("K1", "Pending", "2026-11-25T10:00:00Z", "26.0", "UTC"),    # silent since
            status_row("K2", "Pending", "2026-11-25T10:00:00Z", "26.0", "UTC"),
            status_row("K2", "Installing", "2026-11-26T11:30:00Z", "26.0", "UTC"),  # 30 min ago
            status_row("K3", "Pending", "2026-11-25T10:00:00Z", "26.0", "UTC"),
            status_row("K3", "Pending", "2026-11-26T09:00:00Z", "26.0", "UTC"),     # 3 h ago
            status_row("K4", "Pending", "2026-11-26T11:00:00Z", "26.0", "UTC")]     # exactly 60 min
    d = fleet(t, rows, target)
    assert d["K1"]["enforcement"] == "offline-at-deadline"
    assert d["K2"]["enforcement"] == "enforcement-hour"
    assert d["K3"]["enforcement"] == "enforcement-failed"
    assert d["K4"]["enforcement"] == "enforcement-failed"
    pd = {r["serial_number"]: r for r in t.csv("past-deadline")}
    assert pd["K2"]["first_report_after_deadline"] == "2026-11-26T11:30:00Z"


def test_stuck_downloading_uses_unbroken_history(t):
    target = ["macOS,*,,26.1,,2026-12-20T09:00:00,\n"]
    rows = [status_row("L1", "Downloading", "2026-11-24T10:00:00Z", "26.0", "UTC"),
            status_row("L1", "downloading", "2026-11-25T10:00:00Z", "26.0", "UTC"),
            status_row("L1", "Downloading", "2026-11-26T10:00:00Z", "26.0", "UTC"),
            status_row("L2", "Downloading", "2026-11-24T10:00:00Z", "26.0", "UTC"),
            status_row("L2", "Cached", "2026-11-25T10:00:00Z", "26.0", "UTC"),
            status_row("L2", "Downloading", "2026-11-26T10:00:00Z", "26.0", "UTC")]
    d = fleet(t, rows, target)
    assert d["L1"]["classification"] == "stuck-downloading"
    assert d["L1"]["status_since"] == "2026-11-24T10:00:00Z"
    assert d["L2"]["classification"] == "in-progress"
    assert d["L2"]["status_since"] == "2026-11-26T10:00:00Z"
    stuck = t.csv("stuck-downloading")
    assert [s["serial_number"] for s in stuck] == ["L1"] and stuck[0]["hours_in_status"] == "50.0"


def test_stuck_after_option(t):
    rows = [status_row("M1", "Downloading", "2026-11-26T06:00:00Z", "26.0", "UTC")]
    d = fleet(t, rows, ["macOS,*,,26.1,,2026-12-20T09:00:00,\n"], extra_args=("--stuck-after", "5h"))
    assert d["M1"]["classification"] == "stuck-downloading"


def test_errors_report_reason_and_count(t):
    fleet(t, [status_row("N1", "ERROR", "2026-11-26T10:00:00Z", "26.0", "UTC",
                         reason="Not enough free disk space", count="3")],
          ["macOS,*,,26.1,,2026-12-20T09:00:00,\n"])
    e = t.csv("errors")
    assert (e[0]["serial_number"], e[0]["failure_reason"], e[0]["failure_count"], e[0]["status_raw"]) == \
        ("N1", "Not enough free disk space", "3", "ERROR")


def test_not_reporting_uses_report_or_check_in(t):
    inv = ["P2,,,,macOS,\"Mac15,3\",UTC,2026-11-25T00:00:00Z,26.0\n",
           "P3,,,,macOS,\"Mac15,3\",UTC,,26.0\n"]
    d = fleet(t, [status_row("P1", "Pending", "2026-11-18T10:00:00Z", "26.0", "UTC"),
                  status_row("P2", "Pending", "2026-11-18T10:00:00Z", "26.0", "UTC")],
              ["macOS,*,,26.1,,2026-12-20T09:00:00,\n"], inventory=inv)
    assert d["P1"]["classification"] == "not-reporting"
    assert d["P2"]["classification"] == "in-progress"   # checked in yesterday
    assert d["P3"]["classification"] == "not-reporting" and d["P3"]["last_seen"] == ""


def test_due_within_option(t):
    rows = [status_row("Q1", "Pending", "2026-11-26T10:00:00Z", "26.0", "UTC")]
    target = ["macOS,*,,26.1,,2026-11-28T09:00:00,\n"]
    assert fleet(t, rows, target)["Q1"]["classification"] == "in-progress"
    assert fleet(t, rows, target, extra_args=("--due-within", "2d"))["Q1"]["classification"] == "due-soon"


def test_out_of_scope_and_no_target(t):
    d = fleet(t, [status_row("R1", "INCOMPATIBLE", "2026-11-26T10:00:00Z", "12.7", "UTC"),
                  status_row("R2", "Pending", "2026-11-26T10:00:00Z", "26.0", "UTC", platform="iPadOS",
                             model="iPad14,3")],
              ["macOS,*,,26.1,,2026-11-20T09:00:00,\n"])
    assert d["R1"]["classification"] == "out-of-scope"
    assert d["R2"]["classification"] == "no-target"


def test_as_of_ignores_later_reports(t):
    rows = [status_row("S1", "Downloading", "2026-11-20T10:00:00Z", "26.0", "UTC"),
            status_row("S1", "Pass", "2026-11-27T10:00:00Z", "26.1", "UTC")]
    target = ["macOS,*,,26.1,,2026-12-20T09:00:00,\n"]
    d = fleet(t, rows, target, as_of="2026-11-22T00:00:00Z")
    assert d["S1"]["classification"] == "stuck-downloading" and d["S1"]["os_version"] == "26.0"
    d = fleet(t, rows, target, as_of="2026-11-28T00:00:00Z")
    assert d["S1"]["classification"] == "compliant"


def test_os_version_is_the_most_recent_of_report_and_inventory(t):
    # Only reports at or after the inventory's check-in can beat its version
    # (evaluate.sql stops looking for a versioned report there).
    rows = [status_row("V1", "Pending", "2026-11-20T10:00:00Z", "26.0", "UTC"),
            status_row("V1", "Pending", "2026-11-25T10:00:00Z", "", "UTC"),   # no version
            status_row("V2", "Pending", "2026-11-25T10:00:00Z", "26.1", "UTC"),
            status_row("V3", "Pending", "2026-11-24T00:00:00Z", "26.1", "UTC"),  # at the check-in
            status_row("V4", "Pending", "2026-11-25T10:00:00Z", "", "UTC")]
    inv = [f"{s},,,,macOS,\"Mac15,3\",UTC,2026-11-24T00:00:00Z,{v}\n"
           for s, v in (("V1", "26.1"), ("V2", "26.0"), ("V3", "26.0"), ("V4", ""))]
    d = fleet(t, rows, ["macOS,*,,26.1,,2026-12-20T09:00:00,\n"], inventory=inv)
    assert {s: d[s]["os_version"] for s in ("V1", "V2", "V3", "V4")} == \
        {"V1": "26.1", "V2": "26.1", "V3": "26.1", "V4": ""}
    assert d["V1"]["classification"] == "compliant"


def test_pick_within_a_level_and_ties_go_to_the_first_target_stored(t):
    rows = [status_row("P1", "Pending", "2026-11-26T10:00:00Z", "26.0.1", "UTC"),
            status_row("P2", "Pass", "2026-11-26T10:00:00Z", "26.2", "UTC"),
            status_row("P3", "Pass", "2026-11-26T10:00:00Z", "26.2", "UTC", group="Eng")]
    d = fleet(t, rows, ["macOS,*,,26.1,25B1,2026-12-20T09:00:00,https://a.example/\n",
                        "macOS,*,,26.1,25B2,2026-12-20T09:00:00,https://b.example/\n",
                        "macOS,*,,26.0.1,,2026-11-10T09:00:00,\n",
                        "macOS,Eng,,26.1,,2026-11-01T09:00:00,\n",
                        "macOS,*,,27.0,,2027-01-20T09:00:00,\n"])
    # unmet first, earliest deadline: 26.1 (26.0.1 is met); the two equal
    # 26.1 targets: the first stored
    assert (d["P1"]["target_os_version"], d["P1"]["target_build_version"],
            d["P1"]["details_url"]) == ("26.1", "25B1", "https://a.example/")
    # unmet 27.0 before the met ones
    assert d["P2"]["target_os_version"] == "27.0"
    # a met group target outranks an unmet platform-wide one
    assert (d["P3"]["target_scope"], d["P3"]["classification"]) == ("group", "compliant")


def test_a_silent_device_is_not_reporting_not_stuck_downloading(t):
    # Q1 said Downloading on Nov 10 and nothing since: 16 days of silence
    # are no evidence of 16 days of downloading (it may be off, wiped or
    # gone), so it is not-reporting and not on the stuck list that an admin
    # works through to fix downloads.  Q2 still says Downloading, and Q3
    # checks in every day while its last status is Downloading: both stuck.
    rows = [status_row("Q1", "Downloading", "2026-11-10T10:00:00Z", "26.0", "UTC"),
            status_row("Q2", "Downloading", "2026-11-10T10:00:00Z", "26.0", "UTC"),
            status_row("Q2", "Downloading", "2026-11-25T10:00:00Z", "26.0", "UTC"),
            status_row("Q3", "Downloading", "2026-11-10T10:00:00Z", "26.0", "UTC")]
    inv = ["Q3,,,,macOS,\"Mac15,3\",UTC,2026-11-26T08:00:00Z,26.0\n"]
    d = fleet(t, rows, ["macOS,*,,26.1,,2026-12-20T09:00:00,\n"], inventory=inv)
    assert d["Q1"]["classification"] == "not-reporting", d["Q1"]
    assert d["Q2"]["classification"] == "stuck-downloading", d["Q2"]
    assert d["Q3"]["classification"] == "stuck-downloading", d["Q3"]
    stuck = {s["serial_number"]: s for s in t.csv("stuck-downloading")}
    assert sorted(stuck) == ["Q2", "Q3"] and stuck["Q2"]["hours_in_status"] == "386.0", stuck
    assert [s["serial_number"] for s in t.csv("not-reporting")] == ["Q1"]


def test_a_pass_newer_than_the_version_known_is_said_not_silently_overruled(t):
    # The inventory read 26.0 on Nov 24; the MDM says Pass on Nov 25 with no
    # version.  The version decides (past its deadline: no version at the
    # target has been read), but the conflict is in notes, for someone to
    # look at, instead of a silent past-deadline.  P2's Pass is older than
    # its version reading: nothing to say.
    rows = [status_row("P1", "Pass", "2026-11-25T10:00:00Z", "", "UTC"),
            status_row("P2", "Pass", "2026-11-23T10:00:00Z", "", "UTC")]
    inv = ["P1,,,,macOS,\"Mac15,3\",UTC,2026-11-24T08:00:00Z,26.0\n",
           "P2,,,,macOS,\"Mac15,3\",UTC,2026-11-24T08:00:00Z,26.0\n"]
    d = fleet(t, rows, ["macOS,*,,26.1,,2026-11-20T09:00:00,\n"], inventory=inv)
    assert d["P1"]["classification"] == "past-deadline", d["P1"]
    assert ("the MDM reported Pass at 2026-11-25T10:00:00Z, after OS version 26.0 was read "
            "(2026-11-24T08:00:00Z)") in d["P1"]["notes"], d["P1"]["notes"]
    assert d["P2"]["classification"] == "past-deadline" and "reported Pass" not in d["P2"]["notes"]
