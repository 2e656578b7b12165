"""A fleet's life, night after night, on one database: devices that move
between groups, report for the first time, or leave a classification
empty.  Each test drives the real CLI over several nightly runs, as cron
does, and checks what an admin or auditor reads the next morning.

Inputs are the vendors' export shapes (Kandji's status_report.py CSV, the
canonical CSVs), one file per night.
"""
import json

from lib import STATUS_HEADER, TARGETS_HEADER, parse_csv

KANDJI_HEADER = ("serial_number,device_name,blueprint_name,name,status,type,reported_at,"
                 "last_audit_log,log\r\n")


def kandji(serial, name, blueprint, status, reported_at):
    return f"{serial},{name},{blueprint},macOS Tahoe,{status},macos-release,{reported_at},,\r\n"


def devices(t, as_of):
    r = t.run("report", "--out", t.out, "--as-of", as_of)
    assert r.rc == 0, r
    return {d["serial_number"]: d for d in t.csv("devices")}


def test_kandji_device_that_never_reported_meets_its_blueprint_target(t):
    # Kandji lists a Mac that never reported as PENDING with an empty
    # reported_at; its type, macos-release, says it is a Mac.  Its
    # blueprint Eng has 26.1 due on the 20th: as of the 26th the Mac is
    # below a passed deadline (offline since before it), not 'no target'.
    tg = t.write("targets.csv", TARGETS_HEADER + "macOS,Eng,,26.1,,2026-11-20T09:00:00,\n")
    k = t.write("night1.csv", "serial_number,device_name,blueprint_name,name,status,type,"
                "reported_at,last_audit_log,log\r\n" + kandji("K1", "Mac K1", "Eng", "PENDING", ""))
    t.ok("ingest", tg, k)
    dev = devices(t, "2026-11-26T12:00:00Z")
    assert dev["K1"]["platform"] == "macOS", dev["K1"]
    assert (dev["K1"]["classification"], dev["K1"]["target_os_version"]) == \
        ("past-deadline", "26.1"), dev["K1"]
    assert dev["K1"]["enforcement"] == "offline-at-deadline", dev["K1"]


def test_kandji_device_moved_to_another_blueprint_after_its_first_report(t):
    # Night 1: K1 is enrolled in blueprint Eng and has not reported yet
    # (PENDING, no time).  Night 2: it reports for the first time, moved
    # to blueprint Sales and renamed.  Eng's 26.1 was due on the 20th,
    # Sales' is due on Dec 20: K1 is in Sales now, in progress, not past
    # Eng's deadline under its old name.
    tg = t.write("targets.csv", TARGETS_HEADER +
                 "macOS,Eng,,26.1,,2026-11-20T09:00:00,\n"
                 "macOS,Sales,,26.1,,2026-12-20T09:00:00,\n")
    n1 = t.write("night1.csv", KANDJI_HEADER + kandji("K1", "Old name", "Eng", "PENDING", ""))
    t.ok("ingest", tg, n1)
    n2 = t.write("night2.csv", KANDJI_HEADER +
                 kandji("K1", "New name", "Sales", "DOWNLOADING", "2026-11-25T10:00:00.123456Z"))
    t.ok("ingest", n2)
    dev = devices(t, "2026-11-26T00:00:00Z")
    k1 = dev["K1"]
    assert (k1["group"], k1["device_name"]) == ("Sales", "New name"), k1
    assert k1["classification"] == "in-progress", k1
    assert k1["deadline_local"] == "2026-12-20T09:00:00", k1
    assert not t.csv("past-deadline"), t.csv("past-deadline")


def test_target_raised_so_nobody_is_compliant_claims_no_pass_only_device(t):
    # Night 1: every Mac meets 26.1.  Night 2: the target is raised to
    # 26.2 (due Dec 20) and nobody has it yet: the Summary counts no
    # compliant device, and its meaning must not claim one compliant on
    # the MDM's Pass alone (there is no device at all in that row).
    rows = "".join(f"C{i},Pass,2026-11-25T10:00:00Z,,,Eng,macOS,\"Mac15,3\",26.1,,,,,,UTC,,\n"
                   for i in range(3))
    st = t.write("status.csv", STATUS_HEADER + rows)
    t.ok("ingest", st, t.write("targets-1.csv", TARGETS_HEADER +
                                "macOS,*,,26.1,,2026-11-20T09:00:00,\n"))
    t.ok("report", "--out", t.out, "--as-of", "2026-11-25T12:00:00Z")
    summ = {r["classification"]: r for r in t.csv("summary")}
    assert summ["compliant"]["devices"] == "3"
    t.ok("ingest", t.write("targets-2.csv", TARGETS_HEADER +
                           "macOS,*,,26.2,,2026-12-20T09:00:00,\n"))
    t.ok("report", "--out", t.out, "--as-of", "2026-11-26T12:00:00Z")
    summ = {r["classification"]: r for r in t.csv("summary")}
    assert (summ["compliant"]["devices"], summ["in-progress"]["devices"]) == ("0", "3"), summ
    assert "Pass" not in summ["compliant"]["meaning"], summ["compliant"]
    ws = t.workbook()["Summary"]
    texts = [c for row in ws.iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert not any("MDM's word" in c or "Pass status alone" in c for c in texts), \
        [c for c in texts if "Pass" in c]


JAMF_INVENTORY = ("Computer Name,Serial Number,Operating System Version,Last Check-in,"
                  "Last Inventory Update,Username,Model Identifier,Jamf Pro Computer ID\n")


def ddm_report(serial, at, version):
    return json.dumps({"received_at": at, "serial_number": serial, "report": {
        "StatusItems": {"device": {"identifier": {"serial-number": serial},
                                   "operating-system": {"version": version}},
                        "softwareupdate": {"install-state": "none"}},
        "Errors": [], "FullReport": True}}) + "\n"


def test_jamf_version_is_as_old_as_its_inventory_update_not_its_check_in(t):
    # Jamf Pro reads a Mac's OS version at its inventory update (recon),
    # while the Mac checks in every few minutes: the export's Last
    # Check-in is today, its version may be days old.  J1's own DDM
    # report of the 23rd says 26.1 (it upgraded after Jamf's inventory
    # update of the 20th): compliant, not past the 24th's deadline as the
    # stale 26.0 says.  J2 reported 26.1 on the 22nd and was erased back
    # to 26.0, which its inventory update of the 25th read: past deadline.
    tg = t.write("targets.csv", TARGETS_HEADER + "macOS,*,,26.1,,2026-11-24T09:00:00,\n")
    inv1 = t.write("inventory-1.csv", JAMF_INVENTORY +
                   "Mac J1,J1,26.0,2026-11-20T23:00:00Z,2026-11-20T08:00:00Z,alice,\"Mac15,3\",11\n"
                   "Mac J2,J2,26.0,2026-11-20T23:00:00Z,2026-11-20T08:00:00Z,bob,\"Mac15,3\",12\n")
    t.ok("ingest", tg, inv1)
    dev = devices(t, "2026-11-21T00:00:00Z")
    assert [dev[s]["classification"] for s in ("J1", "J2")] == ["in-progress"] * 2, dev
    ddm = t.write("ddm.ndjson", ddm_report("J2", "2026-11-22T10:00:00Z", "26.1") +
                  ddm_report("J1", "2026-11-23T10:00:00Z", "26.1"))
    inv2 = t.write("inventory-2.csv", JAMF_INVENTORY +
                   "Mac J1,J1,26.0,2026-11-25T23:40:00Z,2026-11-20T08:00:00Z,alice,\"Mac15,3\",11\n"
                   "Mac J2,J2,26.0,2026-11-25T23:40:00Z,2026-11-25T08:00:00Z,bob,\"Mac15,3\",12\n")
    t.ok("ingest", ddm, inv2)
    dev = devices(t, "2026-11-26T00:00:00Z")
    assert (dev["J1"]["classification"], dev["J1"]["os_version"]) == ("compliant", "26.1"), dev["J1"]
    assert (dev["J2"]["classification"], dev["J2"]["os_version"]) == ("past-deadline", "26.0"), dev["J2"]
    assert [d["serial_number"] for d in t.csv("past-deadline")] == ["J2"]
    # night 3: an export without the inventory-update column: its check-in
    # is the version's time, as before, and that is newer than the report
    inv3 = t.write("inventory-3.csv", "Serial Number,Computer Name,Operating System Version,"
                   "Last Check-in\nJ1,Mac J1,26.0,2026-11-26T23:40:00Z\n")
    t.ok("ingest", inv3)
    dev = devices(t, "2026-11-27T00:00:00Z")
    assert (dev["J1"]["classification"], dev["J1"]["os_version"]) == ("past-deadline", "26.0"), dev["J1"]


def test_check_in_stamped_years_ahead_does_not_freeze_the_device(t):
    # Night 1's inventory stamps X1's check-in in 2036 (a clock years off,
    # a mistyped year).  Kept, it outranked every true check-in: the
    # inventory keeps a device's latest check-in and the version read with
    # it, so night 2's 26.1 of the 25th was ignored and X1 read past its
    # deadline, never seen, for ten years.  The row is rejected instead,
    # with its time, and night 2 counts.  A status row stamped in 2036 is
    # rejected too (else it is silently left out of every run until then).
    INV = "serial_number,device_name,platform,time_zone,last_check_in,os_version\n"
    tg = t.write("targets.csv", TARGETS_HEADER + "macOS,*,,26.1,,2026-11-24T09:00:00,\n")
    n1 = t.write("inventory-1.csv", INV +
                 "X1,Mac X1,macOS,UTC,2036-11-20T10:00:00Z,26.0\n"
                 "X2,Mac X2,macOS,UTC,2026-11-20T10:00:00Z,26.0\n")
    st = t.write("status-1.csv", STATUS_HEADER +
                 "X3,Downloading,2036-11-20T10:00:00Z,,,,macOS,,26.0,,,,,,UTC,,\n"
                 "X2,Downloading,2026-11-20T10:00:00Z,,,,macOS,,26.0,,,,,,UTC,,\n")
    r = t.run("ingest", "--max-rejected", "50%", tg, n1, st)
    assert r.rc == 0, r
    r = t.run("report", "rejected", "--out", "-", "--as-of", "2026-11-21T00:00:00Z")
    assert r.rc == 0, r
    rej = {row["raw"].split(",")[0]: row["reason"] for row in parse_csv(r.out)}
    assert set(rej) == {"X1", "X3"}, rej
    assert rej["X1"].startswith("last_check_in 2036-11-20T10:00:00Z is after the time of this run"), rej
    assert rej["X3"].startswith("reported_at 2036-11-20T10:00:00Z is after the time of this run"), rej
    n2 = t.write("inventory-2.csv", INV +
                 "X1,Mac X1,macOS,UTC,2026-11-25T10:00:00Z,26.1\n"
                 "X2,Mac X2,macOS,UTC,2026-11-25T10:00:00Z,26.1\n")
    t.ok("ingest", n2)
    dev = devices(t, "2026-11-26T00:00:00Z")
    assert (dev["X1"]["classification"], dev["X1"]["os_version"], dev["X1"]["last_seen"]) == \
        ("compliant", "26.1", "2026-11-25T10:00:00Z"), dev["X1"]
    assert not t.csv("past-deadline")


def test_check_in_without_a_version_does_not_make_the_old_version_new(t):
    # Night 1's inventory read V1 at 26.0 on the 20th; V1's own DDM
    # report of the 22nd says 26.1: compliant.  Night 3 brings an
    # inventory without an OS version column (a zone map with check-ins):
    # its check-in of the 25th says V1 was seen then, not that 26.0 was
    # read then.  V1 stays compliant at 26.1 (it read past deadline).
    tg = t.write("targets.csv", TARGETS_HEADER + "macOS,*,,26.1,,2026-11-24T09:00:00,\n")
    inv1 = t.write("inventory-1.csv", "serial_number,device_name,platform,last_check_in,os_version\n"
                   "V1,Mac V1,macOS,2026-11-20T10:00:00Z,26.0\n")
    t.ok("ingest", tg, inv1, t.write("ddm.ndjson", ddm_report("V1", "2026-11-22T10:00:00Z", "26.1")))
    dev = devices(t, "2026-11-23T00:00:00Z")
    assert (dev["V1"]["classification"], dev["V1"]["os_version"]) == ("compliant", "26.1"), dev["V1"]
    t.ok("ingest", t.write("zones.csv", "serial_number,time_zone,last_check_in\n"
                                        "V1,Europe/Berlin,2026-11-25T10:00:00Z\n"))
    dev = devices(t, "2026-11-26T00:00:00Z")
    v1 = dev["V1"]
    assert (v1["classification"], v1["os_version"], v1["time_zone"], v1["last_seen"]) == \
        ("compliant", "26.1", "Europe/Berlin", "2026-11-25T10:00:00Z"), v1
    # a later inventory that reads the version again still counts
    t.ok("ingest", t.write("inventory-3.csv", "serial_number,last_check_in,os_version\n"
                                              "V1,2026-11-26T10:00:00Z,26.0\n"))
    dev = devices(t, "2026-11-27T00:00:00Z")
    assert (dev["V1"]["classification"], dev["V1"]["os_version"]) == ("past-deadline", "26.0"), dev["V1"]


def test_inventory_fed_late_does_not_move_the_device_back(t):
    # O1 moved from Eng (26.1 due Nov 20) to Sales (26.1 due Dec 20) and
    # from alice to bob, Berlin to Tokyo: the export of the 25th says so.
    # The export of the 19th arrives a night late (or a second inventory
    # lags a night): its check-in is older, so it says nothing new about
    # O1 and must not move it back to Eng, past Eng's deadline.  A field
    # the newer export left empty is still filled from it.
    tg = t.write("targets.csv", TARGETS_HEADER + "macOS,Eng,,26.1,,2026-11-20T09:00:00,\n"
                 "macOS,Sales,,26.1,,2026-12-20T09:00:00,\n")
    INV = "serial_number,device_name,user,group,platform,time_zone,last_check_in,os_version\n"
    t.ok("ingest", tg, t.write("inventory-20.csv", INV +
                               "O1,Mac O1,alice,Eng,macOS,Europe/Berlin,2026-11-20T10:00:00Z,26.0\n"))
    t.ok("ingest", t.write("inventory-25.csv", INV +
                           "O1,,bob,Sales,macOS,Asia/Tokyo,2026-11-25T10:00:00Z,26.0\n"
                           "O2,,,Sales,macOS,,2026-11-25T10:00:00Z,26.0\n"))
    t.ok("ingest", t.write("inventory-19.csv", INV +
                           "O1,Old Mac O1,alice,Eng,macOS,Europe/Berlin,2026-11-19T10:00:00Z,26.0\n"
                           "O2,Mac O2,carol,Eng,macOS,Europe/Paris,2026-11-19T10:00:00Z,26.0\n"))
    dev = devices(t, "2026-11-26T00:00:00Z")
    o1, o2 = dev["O1"], dev["O2"]
    assert (o1["group"], o1["user"], o1["time_zone"], o1["device_name"]) == \
        ("Sales", "bob", "Asia/Tokyo", "Mac O1"), o1
    assert (o1["classification"], o1["deadline_local"]) == ("in-progress", "2026-12-20T09:00:00"), o1
    assert (o2["group"], o2["user"], o2["time_zone"], o2["device_name"]) == \
        ("Sales", "carol", "Europe/Paris", "Mac O2"), o2
    assert not t.csv("past-deadline"), t.csv("past-deadline")


def test_check_in_hours_ahead_from_a_zone_misread_keeps_the_earlier_answer(t):
    # A Jamf Pro server in Tokyo writes Last Check-in in its local time,
    # without a zone; read as UTC (the default --source-tz), a Mac that
    # checked in just now is stamped 8-9 hours ahead of tonight's run.
    # Stored, that check-in was after the run's time, so the run ignored
    # the whole inventory row: a Mac at 26.1, compliant the night before,
    # read past its deadline, offline, never seen, version unknown.  The
    # row is rejected with its time instead, and the Mac keeps the night
    # before's answer.  (Times here are relative to the real clock: the
    # check is against the run's own time.)
    import datetime
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None, microsecond=0)
    ahead = (now + datetime.timedelta(hours=8)).strftime("%Y-%m-%d %H:%M:%S")
    before = (now - datetime.timedelta(days=1)).strftime("%Y-%m-%d %H:%M:%S")
    INV = "serial_number,device_name,platform,time_zone,last_check_in,os_version\n"
    tg = t.write("targets.csv", TARGETS_HEADER + "macOS,*,,26.1,,2026-11-24T09:00:00,\n")
    t.ok("ingest", tg, t.write("inventory-1.csv", INV + f"S1,Mac S1,macOS,Asia/Tokyo,{before},26.1\n"))
    r = t.run("ingest", t.write("inventory-2.csv", INV +
                                f"S1,Mac S1,macOS,Asia/Tokyo,{ahead},26.1\n"))
    assert r.rc == 65 and "1 of 1 rows rejected" in r.err, r
    r = t.run("report", "devices", "--out", "-")
    assert r.rc == 0, r
    s1 = parse_csv(r.out)[0]
    assert (s1["classification"], s1["os_version"], s1["last_seen"]) == \
        ("compliant", "26.1", before.replace(" ", "T") + "Z"), s1
    r = t.run("report", "rejected", "--out", "-")
    assert "is after the time of this run" in parse_csv(r.out)[0]["reason"], r.out


def _summary_items(t):
    ws = t.workbook()["Summary"]
    return {r[0]: r[1] for r in ws.iter_rows(values_only=True) if r and isinstance(r[0], str)}


def test_export_of_no_device_is_named_not_a_quiet_night(t):
    # Night 1: Z1's export.  Night 2: the vendor's API was down and the
    # export script wrote its header only; night 3 the same again (the
    # same bytes: a file already seen).  Z1 keeps night 1's answer; the
    # runs said nothing of it (exit 0, no word on stderr or the Summary).
    tg = t.write("targets.csv", TARGETS_HEADER + "macOS,*,,26.1,,2026-11-24T09:00:00,\n")
    n1 = t.write("night1.csv", STATUS_HEADER +
                 "Z1,Downloading,2026-11-25T10:00:00Z,,,,macOS,,26.0,,,,,,UTC,,\n")
    r = t.run("run", "--out", t.out, "--as-of", "2026-11-25T12:00:00Z", tg, n1)
    assert r.rc == 0 and not r.err, r
    assert "Inputs with no rows" not in _summary_items(t)
    for night in (2, 3):
        empty = t.write(f"night{night}.csv", STATUS_HEADER)
        r = t.run("run", "--out", t.out, "--as-of", f"2026-11-2{4 + night}T12:00:00Z", empty)
        assert r.rc == 0, r
        assert f"night{night}.csv: no row after the header: an export of no device" in r.err, r
        item = _summary_items(t).get("Inputs with no rows", "")
        assert item.startswith("1 file of this run held a header and no row") and \
            f"night{night}.csv (status)" in item, (night, item)
        assert [d["serial_number"] for d in t.csv("past-deadline")] == ["Z1"]


def test_ddm_report_timed_ahead_of_the_run_is_rejected_not_silently_left_out(t):
    # A collector whose clock runs a day ahead (or that logs local time
    # east of UTC without a zone) stamps a new Mac's first DDM report in
    # the future of tonight's run.  The run left the report out (reports
    # after its time are not used), so the Mac was on no sheet at all and
    # nothing said why.  It is a rejected row naming the time instead.
    import datetime
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    ahead = (now + datetime.timedelta(hours=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    f = t.write("ddm.ndjson", ddm_report("N1", ahead, "26.1"))
    r = t.run("run", "--out", t.out, f)
    assert r.rc == 65 and "1 of 1 rows rejected" in r.err, r
    rej = t.csv("rejected")
    assert len(rej) == 1 and rej[0]["reason"].startswith(
        f"report time {ahead} is after the time of this run"), rej
    assert "N1" not in {d["serial_number"] for d in t.csv("devices")}
    # the same for Jamf Pro's managed software update statuses ('updated')
    inv = t.write("inventory.csv", "serial_number,jamf_computer_id,platform\nJ9,9,macOS\n")
    st = t.write("statuses.json", json.dumps({"totalCount": 1, "results": [{
        "device": {"deviceId": "9", "objectType": "COMPUTER"}, "status": "DOWNLOADING",
        "productKey": "MACOS_26.1_25B78", "updated": ahead}]}))
    r = t.run("ingest", inv, st)
    assert r.rc == 65 and "statuses.json:1: 1 of 1 rows rejected" in r.err, r
    r = t.run("report", "rejected", "--out", "-")
    assert any(row["reason"].startswith(f"report time {ahead} is after the time of this run")
               and "statuses.json" in row["file"] for row in parse_csv(r.out)), r.out
