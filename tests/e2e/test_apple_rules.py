"""Apple's own rules, checked against what the tool computes: the
enforcement declaration's keys (TargetOSVersion, TargetBuildVersion,
TargetLocalDateTime), the softwareupdate and device.operating-system
status items, as Apple's schema describes them.  Inputs are written here
in the shapes README.md documents."""

TARGETS_HEADER = ("platform,group,serial_number,target_os_version,target_build_version,"
                  "target_local_datetime,details_url\n")
STATUS_HEADER = ("serial_number,status,reported_at,platform,os_version,build_version,"
                 "extra_version,time_zone\n")


def by_serial(rows):
    return {r["serial_number"]: r for r in rows}


def test_rsr_device_reporting_its_base_build_meets_the_rsr_target(t):
    # Apple's status items split an RSR/BSI device's build in two:
    # device.operating-system.build-version is the release's base build
    # (schema: "such as '18F132'"), supplemental.build-version the RSR's
    # ("'20A123a'"), supplemental.extra-version the extra ("a").  A Mac on
    # 26.3.1 (a) exported with build 25D2128 and extra (a) is at the
    # target 26.3.1 (a) / 25D771280a; it was past its deadline because its
    # base build was compared with the supplemental one (25D2128 <
    # 25D771280a).  Without the extra (the plain release) it stays below.
    t.ok("run", "--as-of", "2026-12-01T12:00:00Z", "--out", t.out,
         t.write("status.csv", STATUS_HEADER +
                 "C02RSRBASE1,Idle,2026-12-01T10:00:00Z,macOS,26.3.1,25D2128,(a),UTC\n"
                 "C02RSRBASE2,Idle,2026-12-01T10:00:00Z,macOS,26.3.1,25D2128,,UTC\n"
                 "C02RSRBASE3,Idle,2026-12-01T10:00:00Z,macOS,26.3.1,25D771280a,(a),UTC\n"),
         t.write("targets.csv", TARGETS_HEADER +
                 "macOS,*,,26.3.1 (a),25D771280a,2026-11-30T10:00:00,\n"))
    dev = by_serial(t.csv("devices"))
    assert [dev["C02RSRBASE%d" % i]["classification"] for i in (1, 2, 3)] == \
        ["compliant", "past-deadline", "compliant"], dev
    assert set(by_serial(t.csv("past-deadline"))) == {"C02RSRBASE2"}


def test_rsr_target_by_build_alone_says_the_base_build_tells_nothing(t):
    # The target names the RSR by its build only (TargetOSVersion 16.4.1,
    # TargetBuildVersion 20E772520a, iOS 16.4.1 (a)).  An iPhone on
    # 16.4.1 (a) that gave its base build 20E252 may be on (a) or a later
    # RSR of 16.4.1: its supplemental build is unknown, and the row must
    # say so instead of reading 20E252 as a known build below the target.
    t.ok("run", "--as-of", "2026-12-01T12:00:00Z", "--out", t.out,
         t.write("status.csv", STATUS_HEADER +
                 "F2LRSRBASE1,Idle,2026-12-01T10:00:00Z,iOS,16.4.1,20E252,(a),UTC\n"),
         t.write("targets.csv", TARGETS_HEADER +
                 "iOS,*,,16.4.1,20E772520a,2026-11-30T10:00:00,\n"))
    dev = by_serial(t.csv("devices"))["F2LRSRBASE1"]
    assert dev["classification"] == "past-deadline", dev
    assert "supplemental build is unknown" in dev["notes"], dev


def test_release_build_meets_a_seed_build_target_of_its_version(t):
    # Apple: TargetBuildVersion is "for testing during seeding periods".
    # A seed (beta) build of 26.2 (25C5048a) numbers above the release
    # that follows it (25C56).  A Mac on the released 26.2 was past its
    # deadline against 26.2 / 25C5048a; a Mac on the earlier seed
    # 25C5031i is below it, one on that seed meets it.
    t.ok("run", "--as-of", "2026-12-01T12:00:00Z", "--out", t.out,
         t.write("status.csv", STATUS_HEADER +
                 "C02SEED0001,Idle,2026-12-01T10:00:00Z,macOS,26.2,25C56,,UTC\n"
                 "C02SEED0002,Idle,2026-12-01T10:00:00Z,macOS,26.2,25C5031i,,UTC\n"
                 "C02SEED0003,Idle,2026-12-01T10:00:00Z,macOS,26.2,25C5048a,,UTC\n"),
         t.write("targets.csv", TARGETS_HEADER +
                 "macOS,*,,26.2,25C5048a,2026-11-30T10:00:00,\n"))
    dev = by_serial(t.csv("devices"))
    assert [dev["C02SEED000%d" % i]["classification"] for i in (1, 2, 3)] == \
        ["compliant", "past-deadline", "compliant"], dev


def _decl(ident, version, when):
    import json
    return json.dumps({"Type": "com.apple.configuration.softwareupdate.enforcement.specific",
                       "Identifier": ident, "ServerToken": "1",
                       "Payload": {"TargetOSVersion": version, "TargetLocalDateTime": when}})


def test_earlier_active_declaration_is_not_hidden_by_a_later_pending_version(t):
    # Two enforcement declarations are active on a Mac on 26.0 (the Mac's
    # own report lists both): 26.1 by Nov 30, 26.2 by Dec 15.  Apple: the
    # earliest deadline is processed first.  The Mac reports pending 26.2
    # due Dec 15; on Dec 1 it is still below 26.1, whose deadline passed.
    # It was 'in-progress' against 26.2: the device's own pending version
    # outranked the configured 26.1 because installing 26.2 would also
    # meet 26.1, but the deadline of 26.1 has passed all the same.  The
    # same version with a later deadline of the device's own still wins
    # (the device's word on that version's deadline), and a pending
    # version with an earlier deadline than every configured one counts.
    import json

    def report(serial, version, pending, when):
        cfgs = [{"identifier": i, "active": True, "valid": "valid", "server-token": "1"}
                for i in ("com.example.su.26-1", "com.example.su.26-2")]
        return json.dumps({"received_at": "2026-12-01T10:00:00Z", "report": {
            "StatusItems": {
                "device": {"identifier": {"serial-number": serial},
                           "operating-system": {"family": "macOS", "version": version,
                                                "build-version": "25A354"}},
                "softwareupdate": {"install-state": "downloading",
                                   "pending-version": {"os-version": pending,
                                                       "build-version": "",
                                                       "target-local-date-time": when}},
                "management": {"declarations": {"activations": [], "assets": [],
                                                "management": [], "configurations": cfgs}}},
            "Errors": [], "FullReport": True}}) + "\n"

    t.ok("run", "--as-of", "2026-12-01T12:00:00Z", "--out", t.out, "--default-tz", "UTC",
         t.write("d1.json", _decl("com.example.su.26-1", "26.1", "2026-11-30T10:00:00")),
         t.write("d2.json", _decl("com.example.su.26-2", "26.2", "2026-12-15T10:00:00")),
         t.write("r.ndjson",
                 report("C02TWODECL1", "26.0", "26.2", "2026-12-15T10:00:00") +
                 report("C02TWODECL2", "26.0", "26.1", "2026-12-03T10:00:00") +
                 report("C02TWODECL3", "26.0", "26.2", "2026-11-29T10:00:00")))
    dev = by_serial(t.csv("devices"))
    got = {s: (d["classification"], d["target_os_version"], d["deadline_local"])
           for s, d in dev.items()}
    assert got == {
        "C02TWODECL1": ("past-deadline", "26.1", "2026-11-30T10:00:00"),
        "C02TWODECL2": ("in-progress", "26.1", "2026-12-03T10:00:00"),
        "C02TWODECL3": ("past-deadline", "26.2", "2026-11-29T10:00:00")}, got


def test_empty_pending_version_is_no_pending_version(t):
    # Apple's softwareupdate.pending-version: os-version and build-version
    # are "empty if no update is pending".  A Mac with nothing pending
    # that writes its deadline empty too had a note saying it "reports
    # pending version  with a deadline that is not YYYY-MM-DDTHH:MM:SS ()".
    import json
    lines = ""
    for serial, pv in (("C02NOPEND01", {"os-version": "", "build-version": ""}),
                       ("C02NOPEND02", {"os-version": "", "build-version": "",
                                        "target-local-date-time": ""})):
        lines += json.dumps({"received_at": "2026-12-01T10:00:00Z", "report": {
            "StatusItems": {
                "device": {"identifier": {"serial-number": serial},
                           "operating-system": {"family": "macOS", "version": "26.0",
                                                "build-version": "25A354"}},
                "softwareupdate": {"install-state": "none", "pending-version": pv}},
            "Errors": [], "FullReport": True}}) + "\n"
    t.ok("run", "--as-of", "2026-12-01T12:00:00Z", "--out", t.out, "--default-tz", "UTC",
         t.write("r.ndjson", lines),
         t.write("targets.csv", TARGETS_HEADER + "macOS,*,,26.1,,2026-12-05T10:00:00,\n"))
    dev = by_serial(t.csv("devices"))
    for serial in ("C02NOPEND01", "C02NOPEND02"):
        d = dev[serial]
        assert (d["classification"], d["target_scope"], d["notes"]) == \
            ("in-progress", "all", "deadline uses the default zone"), d


def test_met_group_target_does_not_hide_an_active_declaration(t):
    # A Mac's own report lists the enforcement declaration 26.1 (due Nov
    # 30) as active: the OS enforces it.  A targets file also gives its
    # group (Sales) 26.0.1, which the Mac meets.  The group target, a
    # higher scope level than the declaration's, hid it: 'compliant' on
    # Dec 1 while the Mac was below 26.1 past its deadline.  A Mac of
    # another group (only the '*' target beside the declaration) was
    # already past-deadline; both are now, and a Mac that does not list
    # the declaration keeps its group target.
    import json

    def report(serial, cfgs):
        return json.dumps({"received_at": "2026-12-01T10:00:00Z", "report": {
            "StatusItems": {
                "device": {"identifier": {"serial-number": serial},
                           "operating-system": {"family": "macOS", "version": "26.0.1",
                                                "build-version": "25A362"}},
                "softwareupdate": {"install-state": "none"},
                "management": {"declarations": {
                    "activations": [], "assets": [], "management": [],
                    "configurations": [{"identifier": i, "active": True, "valid": "valid",
                                        "server-token": "1"} for i in cfgs]}}},
            "Errors": [], "FullReport": True}}) + "\n"

    t.ok("run", "--as-of", "2026-12-01T12:00:00Z", "--out", t.out,
         t.write("d.json", _decl("com.example.su.26-1", "26.1", "2026-11-30T10:00:00")),
         t.write("r.ndjson", report("C02GRPDECL1", ["com.example.su.26-1"]) +
                 report("C02GRPDECL2", ["com.example.su.26-1"]) +
                 report("C02GRPDECL3", ["com.example.other"])),
         t.write("inventory.csv", "serial_number,group,platform,time_zone\n"
                 "C02GRPDECL1,Sales,macOS,UTC\nC02GRPDECL2,Eng,macOS,UTC\n"
                 "C02GRPDECL3,Sales,macOS,UTC\n"),
         t.write("targets.csv", TARGETS_HEADER +
                 "macOS,Sales,,26.0.1,,2026-11-01T10:00:00,\n"
                 "macOS,*,,26.0.1,,2026-11-01T10:00:00,\n"))
    dev = by_serial(t.csv("devices"))
    got = {s: (d["classification"], d["target_os_version"]) for s, d in dev.items()}
    assert got == {"C02GRPDECL1": ("past-deadline", "26.1"),
                   "C02GRPDECL2": ("past-deadline", "26.1"),
                   "C02GRPDECL3": ("compliant", "26.0.1")}, got


def test_target_build_of_another_release_yields_to_the_target_version(t):
    # Apple's schema of TargetBuildVersion: "If the build version isn't
    # consistent with the target OS version specified in the
    # 'TargetOSVersion' key, the target OS version takes precedence."
    # TargetOSVersion 26.1 with 26.3.1 (a)'s build 25D771280a (train D;
    # 26.1's builds are 25B...): a Mac on 26.1 (25B78) meets the target;
    # it was past its deadline.  A Mac on 26.0.1 stays below it.
    t.ok("run", "--as-of", "2026-12-01T12:00:00Z", "--out", t.out,
         t.write("status.csv", STATUS_HEADER +
                 "C02BADBLD01,Idle,2026-12-01T10:00:00Z,macOS,26.1,25B78,,UTC\n"
                 "C02BADBLD02,Idle,2026-12-01T10:00:00Z,macOS,26.0.1,25A362,,UTC\n"),
         t.write("targets.csv", TARGETS_HEADER +
                 "macOS,*,,26.1,25D771280a,2026-11-30T10:00:00,\n"))
    dev = by_serial(t.csv("devices"))
    assert [dev["C02BADBLD0%d" % i]["classification"] for i in (1, 2)] == \
        ["compliant", "past-deadline"], dev
