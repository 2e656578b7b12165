"""One device, many names and sources: a device counted twice (once
compliant, once past its deadline) or two devices merged into one is a
wrong answer an auditor finds.  These tests feed the same device under the
spellings real exports use (a spreadsheet's invisible characters, an
envelope's blanks, a vendor's placeholder serial, an enrollment id in
another case) and check the fleet counts each device once."""
import json

from lib import INVENTORY_HEADER, STATUS_HEADER, TARGETS_HEADER, sql

AS_OF = "2026-11-26T00:00:00Z"
ZWSP, BOM, WJ = "\u200b", "\ufeff", "\u2060"


def status(serial, st, when, name, os_version):
    # serial,status,reported_at,device_name,user,group,platform,model,os_version
    return f"{serial},{st},{when},{name},,,macOS,,{os_version}" + "," * 8 + "\n"


def targets(t):
    return t.write("t.csv", TARGETS_HEADER + "macOS,,,26.1,,2026-11-20T10:00:00,\n")


def devices(t):
    return {r["serial_number"]: r["classification"] for r in t.csv("devices")}


def summary(t):
    return {r["classification"]: int(r["devices"]) for r in t.csv("summary")}


def test_invisible_characters_in_a_serial_are_the_same_device(t):
    # A serial pasted through a spreadsheet or a web page carries a
    # zero-width space, a word joiner or a byte-order mark: the Mac was two
    # devices, its latest report (26.1, compliant) on one and its older
    # one (15.0, past the deadline) on the other.
    s = t.write("s.csv", STATUS_HEADER
                + status("C02AAA0001", "Downloading", "2026-11-25T09:00:00Z", "a", "15.0")
                + status("C02AAA0001" + ZWSP, "Pass", "2026-11-25T10:00:00Z", "a", "26.1")
                + status(BOM + "C02AAA0002", "Downloading", "2026-11-25T09:00:00Z", "b", "15.0")
                + status("C02AAA0002", "Pass", "2026-11-25T10:00:00Z", "b", "26.1")
                + status("C02" + WJ + "AAA0003", "Pass", "2026-11-25T10:00:00Z", "c", "26.1"))
    inv = t.write("inv.csv", INVENTORY_HEADER
                  + "C02AAA0003" + ZWSP + ",c,,,macOS,,,,15.0\n"
                  + ZWSP + "C02AAA0003,c,,,macOS,,,,15.0\n")
    t.ok("run", "--as-of", AS_OF, "--out", t.out, inv, s, targets(t))
    assert devices(t) == {"C02AAA0001": "compliant", "C02AAA0002": "compliant",
                          "C02AAA0003": "compliant"}, devices(t)
    assert summary(t)["compliant"] == 3 and sum(summary(t).values()) == 3, summary(t)


def test_a_serial_of_only_invisible_characters_is_missing(t):
    s = t.write("s.csv", STATUS_HEADER
                + status("C02AAA0001", "Pass", "2026-11-25T10:00:00Z", "a", "26.1")
                + status(ZWSP + BOM, "Pass", "2026-11-25T10:00:00Z", "b", "26.1"))
    r = t.run("ingest", "--max-rejected", "100%", s)
    assert r.rc == 0, r
    assert sql(t.db, "SELECT reason FROM rejected") == "missing serial_number\n"
    assert sql(t.db, "SELECT serial_number FROM device") == "C02AAA0001\n"


def envelope(at, report, **meta):
    return json.dumps(dict(received_at=at, report=report, **meta)) + "\n"


def report(version, state, serial=None, full=True):
    items = {"softwareupdate": {"install-state": state},
             "device": {"operating-system": {"version": version}}}
    if serial is not None:
        items["device"]["identifier"] = {"serial-number": serial}
    return {"StatusItems": items, "Errors": [], "FullReport": full}


def test_a_json_serial_with_blanks_is_the_inventory_device(t):
    # An admin's own report logging writes the serial as the MDM's web page
    # showed it: blanks, a no-break space, lower case.  The inventory's Mac
    # was listed past its deadline with no report, and a second "device"
    # ' C02AAA0003 ' carried the report that made it compliant.
    inv = t.write("inv.csv", INVENTORY_HEADER
                  + "C02AAA0003,m3,,,macOS,,,,15.0\n"
                  + "C02AAA0004,m4,,,macOS,,,,15.0\n"
                  + "C02AAA0005,m5,,,macOS,,,,15.0\n")
    e = t.write("e.ndjson",
                envelope("2026-11-25T08:00:00Z", report("26.1", "none"),
                         enrollment_id="A047820F-FC6B-4104-BED0-466876D82BB8",
                         serial_number=" c02aaa0003 ")
                + envelope("2026-11-25T08:00:00Z", report("26.1", "none", "\u00a0C02AAA0004\t"))
                + envelope("2026-11-25T08:00:00Z", report("26.1", "none", "C02AAA0005" + ZWSP)))
    t.ok("run", "--as-of", AS_OF, "--out", t.out, inv, e, targets(t))
    assert devices(t) == {"C02AAA0003": "compliant", "C02AAA0004": "compliant",
                          "C02AAA0005": "compliant"}, devices(t)
    # the enrollment id is learned with the clean serial
    assert sql(t.db, "SELECT serial_number FROM enrollment") == "C02AAA0003\n"


def test_placeholder_serials_are_not_one_device(t):
    # Vendors write a placeholder where a device (a virtual machine, a
    # record being set up) has no serial: Jamf's 'Not Available', '0',
    # 'N/A'.  Three VMs became one device 'NOT AVAILABLE' whose status
    # flipped with each row (here compliant, its two siblings unseen), and
    # the fleet was one device short.  A placeholder names no device: the
    # rows are rejected, each with the reason, and nothing is merged.
    s = t.write("s.csv", STATUS_HEADER
                + status("C02AAA0001", "Pass", "2026-11-25T10:00:00Z", "real", "26.1")
                + status("Not Available", "Downloading", "2026-11-25T09:00:00Z", "vm1", "15.0")
                + status("not available", "Pass", "2026-11-25T10:00:00Z", "vm2", "26.1")
                + status("0", "Error", "2026-11-25T10:00:00Z", "vm3", "15.0")
                + status("N/A", "Pass", "2026-11-25T10:00:00Z", "vm4", "26.1")
                + status("Unknown", "Pass", "2026-11-25T10:00:00Z", "vm5", "26.1"))
    inv = t.write("inv.csv", INVENTORY_HEADER + "C02AAA0001,real,,,macOS,,,,26.1\n"
                  + "Not Available,vm1,,,macOS,,,,15.0\n")
    r = t.run("run", "--as-of", AS_OF, "--out", t.out, "--max-rejected", "100%",
              inv, s, targets(t))
    assert r.rc == 0, r
    assert devices(t) == {"C02AAA0001": "compliant"}, devices(t)
    why = sql(t.db, "SELECT reason FROM rejected ORDER BY source_file, line").splitlines()
    assert len(why) == 6 and all("placeholder" in w for w in why), why
    assert "'Not Available'" in why[0], why


def test_a_placeholder_in_an_envelope_falls_back_to_the_enrollment_id(t):
    # An envelope whose serial_number is a placeholder is identified by
    # its enrollment id, as if it had none.
    enr = "A047820F-FC6B-4104-BED0-466876D82BB8"
    inv = t.write("inv.csv", INVENTORY_HEADER + "C02AAA0003,m3,,,macOS,,,,15.0\n")
    e = t.write("e.ndjson",
                envelope("2026-11-25T07:00:00Z", report("15.0", "downloading"),
                         enrollment_id=enr, serial_number="C02AAA0003")
                + envelope("2026-11-25T08:00:00Z", report("26.1", "none", full=False),
                           enrollment_id=enr, serial_number="Not Available")
                + envelope("2026-11-25T08:00:00Z", report("26.1", "none"),
                           serial_number="0"))
    r = t.run("run", "--as-of", AS_OF, "--out", t.out, "--max-rejected", "100%",
              inv, e, targets(t))
    assert r.rc == 0, r
    assert devices(t) == {"C02AAA0003": "compliant"}, devices(t)
    assert sql(t.db, "SELECT reason FROM rejected") == (
        "report's serial number '0' is a placeholder, not a device's serial, and it has no "
        "enrollment id\n")


def test_an_enrollment_id_in_another_case_is_the_same_device(t):
    # UDIDs and enrollment ids are hexadecimal: one tool writes them upper
    # case (a Mac's UDID as the device sends it, Jamf), another lower case
    # (a collector that lower-cases its keys, a file name).  The Mac's
    # later reports, under the lower-case id, were rejected as 'not seen
    # with a serial': it stayed past its deadline on its first report.
    enr = "A047820F-FC6B-4104-BED0-466876D82BB8"
    ios = "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567"   # an iOS 40-hex UDID
    inv = t.write("inv.csv", INVENTORY_HEADER + "C02AAA0003,m3,,,macOS,,,,15.0\n"
                  + "C02AAA0006,m6,,,macOS,,,,15.0\n")
    night1 = t.write("n1.ndjson",
                     envelope("2026-11-24T07:00:00Z", report("15.0", "downloading"),
                              enrollment_id=enr, serial_number="C02AAA0003")
                     # the same file, the same id in lower case: held in memory
                     + envelope("2026-11-24T08:00:00Z", report("15.0", "failed", full=False),
                                enrollment_id=enr.lower())
                     + envelope("2026-11-24T07:00:00Z", report("15.0", "downloading"),
                                enrollment_id=ios, serial_number="C02AAA0006"))
    t.ok("ingest", inv, night1)
    # the next night: from the database, in the other case each
    night2 = t.write("n2.ndjson",
                     envelope("2026-11-25T08:00:00Z", report("26.1", "none", full=False),
                              enrollment_id=enr.lower())
                     + envelope("2026-11-25T08:00:00Z", report("26.1", "none", full=False),
                                enrollment_id=ios.upper()))
    t.ok("run", "--as-of", AS_OF, "--out", t.out, night2, targets(t))
    assert devices(t) == {"C02AAA0003": "compliant", "C02AAA0006": "compliant"}, devices(t)
    assert sql(t.db, "SELECT count(*) FROM rejected") == "0\n"
    assert sql(t.db, "SELECT status_raw FROM observation WHERE serial_number = 'C02AAA0003' "
                     "ORDER BY reported_at") == "downloading\nfailed\nnone\n"


def _checkin(message_type, udid, serial):
    import base64
    keys = [("MessageType", message_type), ("UDID", udid), ("Topic", "com.apple.mgmt.X"),
            ("SerialNumber", serial)]
    body = "".join("\t<key>%s</key>\n\t<string>%s</string>\n" % kv for kv in keys)
    x = ('<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0">\n<dict>\n%s</dict>\n'
         '</plist>\n' % body)
    return base64.b64encode(x.encode()).decode()


def test_a_report_read_before_the_file_that_names_its_device(t):
    # One night's folder: the DDM captures (named by enrollment id, no
    # serial) sort before the NanoMDM webhook log whose mdm.Authenticate
    # ties that id to the Mac's serial.  The captures were rejected ('not
    # seen with one'), the Mac was in no list at all, and the next night the
    # same files were 'ingested before': its reports were lost for good.
    # Now a file whose reports name an id no earlier input tied to a serial
    # is read again once the run's other inputs are in.
    udid = "00008110-72488B810DFAFE39"
    d = t.path("night")
    rep = report("15.0", "downloading")
    t.write("night/captures/%s.20261125-100000.000001.status.json" % udid, json.dumps(rep))
    ev = {"topic": "mdm.Authenticate", "event_id": "x", "created_at": "2026-11-25T09:00:00Z",
          "checkin_event": {"udid": udid, "enrollment_id": udid,
                            "raw_payload": _checkin("Authenticate", udid, "C02AAA0009")}}
    t.write("night/webhook.ndjson", json.dumps(ev) + "\n")
    inv = t.write("inv.csv", INVENTORY_HEADER + "C02AAA0009,m9,,,macOS,,,,\n")
    t.ok("run", "--as-of", AS_OF, "--out", t.out, inv, d, targets(t))
    assert devices(t) == {"C02AAA0009": "past-deadline"}, devices(t)
    assert sql(t.db, "SELECT count(*) FROM rejected") == "0\n"
    assert sql(t.db, "SELECT status_raw FROM observation") == "downloading\n"
    # each file is stored once
    assert sql(t.db, "SELECT count(*) FROM source_file") == "4\n"


def _status_event(udid, at, rep):
    import base64
    data = base64.b64encode(json.dumps(rep).encode()).decode()
    x = ('<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0">\n<dict>\n'
         '\t<key>Data</key>\n\t<data>%s</data>\n\t<key>Endpoint</key>\n\t<string>status</string>\n'
         '\t<key>MessageType</key>\n\t<string>DeclarativeManagement</string>\n'
         '\t<key>UDID</key>\n\t<string>%s</string>\n</dict>\n</plist>\n' % (data, udid))
    return {"topic": "mdm.DeclarativeManagement", "event_id": "s" + at, "created_at": at,
            "checkin_event": {"udid": udid,
                              "raw_payload": base64.b64encode(x.encode()).decode()}}


def test_a_webhook_log_that_names_its_device_in_a_later_line(t):
    # A NanoMDM webhook log, the night's only input, begins with an iPad's
    # incremental status reports (Downloading since 20 Nov, by enrollment id
    # only: the log was cut after its Authenticate) and names the iPad's
    # serial only in a later line, its next full report.  Those first
    # reports were rejected ('has not been seen with one', exit 65) though
    # the same file tied the id: the iPad's Downloading run began on
    # 25 Nov, and it was not stuck.  A report is now held until its file
    # is read; the reports before the line that names the device are its.
    udid = "00008110-72488B810DFAFE39"
    inc = {"StatusItems": {"softwareupdate": {"install-state": "downloading"}},
           "Errors": [], "FullReport": False}
    full = report("18.0", "downloading", serial="DMPAAA0009")
    full["StatusItems"]["softwareupdate"]["pending-version"] = {"os-version": "26.1"}
    lines = [_status_event(udid, "2026-11-20T09:00:00Z", inc),
             _status_event(udid, "2026-11-22T09:00:00Z", inc),
             _status_event(udid, "2026-11-25T09:00:00Z", full),
             _status_event("00008110-000000000000AAAA", "2026-11-25T10:00:00Z", inc)]
    log = t.write("webhook.ndjson", "".join(json.dumps(e) + "\n" for e in lines))
    r = t.run("ingest", log)
    # the last line's enrollment is named nowhere: still rejected, at its line
    assert r.rc == 65, r
    assert sql(t.db, "SELECT line, reason LIKE '%has not been seen with one' FROM rejected") \
        == "4|1\n"
    got = sql(t.db, "SELECT reported_at, status FROM observation ORDER BY 1")
    assert got == "1795165200|Downloading\n1795338000|Downloading\n1795597200|Downloading\n", got
    assert sql(t.db, "SELECT rows_stored, rows_rejected FROM source_file") == "3|1\n"
    # Downloading since 20 Nov, not 25 Nov
    t.ok("report", "--as-of", AS_OF, "--out", t.out)
    import csv
    with open(t.path("out", "devices.csv"), encoding="utf-8-sig") as f:
        rows = {r["serial_number"]: r for r in csv.DictReader(f)}
    assert rows["DMPAAA0009"]["status_since"] == "2026-11-20T09:00:00Z", rows


def test_a_capture_rejected_one_night_is_read_when_its_device_is_known(t):
    # The captures folder keeps every DDM status report; the webhook log
    # that ties the enrollment to the Mac's serial arrives a night later
    # (the Mac enrolled just before the log was cut).  Night 1 rejects the
    # capture: no input names its device.  Night 2 was given the same
    # capture beside the log, found it 'ingested before' and skipped it:
    # the Mac's full report (Downloading 26.1, the only one it sent) was
    # lost for good and the Mac stood in no list.  A file of which nothing
    # was stored, every report rejected for an unknown id, is now read
    # again when given again; its old rejection is replaced.
    udid = "00008110-72488B810DFAFE39"
    cap = "captures/%s.20261125-100000.000001.status.json" % udid
    t.write("night1/" + cap, json.dumps(report("15.0", "downloading")))
    r = t.run("ingest", t.path("night1"))
    assert r.rc == 65 and "has not been seen with one" in r.err, r
    assert sql(t.db, "SELECT count(*) FROM rejected") == "1\n"
    t.write("night2/" + cap, json.dumps(report("15.0", "downloading")))
    ev = {"topic": "mdm.Authenticate", "event_id": "x", "created_at": "2026-11-25T09:00:00Z",
          "checkin_event": {"udid": udid, "enrollment_id": udid,
                            "raw_payload": _checkin("Authenticate", udid, "C02AAA0009")}}
    t.write("night2/webhook.ndjson", json.dumps(ev) + "\n")
    inv = t.write("inv.csv", INVENTORY_HEADER + "C02AAA0009,m9,,,macOS,,,,\n")
    t.ok("run", "--as-of", AS_OF, "--out", t.out, inv, t.path("night2"), targets(t))
    assert devices(t) == {"C02AAA0009": "past-deadline"}, devices(t)
    assert sql(t.db, "SELECT status_raw FROM observation") == "downloading\n"
    # the old rejection is gone with the old record; the file is one record
    assert sql(t.db, "SELECT count(*) FROM rejected") == "0\n"
    assert sql(t.db, "SELECT count(*) FROM source_file WHERE path LIKE '%status.json'") == "1\n"
    # a third night with the same files: read before, nothing changes
    before = sql(t.db, "SELECT id, rows_stored FROM source_file ORDER BY 1")
    t.ok("ingest", t.path("night2"))
    assert sql(t.db, "SELECT id, rows_stored FROM source_file ORDER BY 1") == before


def test_a_capture_still_unidentified_is_not_told_again(t):
    # control: given again while its device is still unknown, the file is
    # what it was (ingested before), its rejection stated once
    udid = "00008110-72488B810DFAFE39"
    cap = "captures/%s.20261125-100000.000001.status.json" % udid
    t.write("n/" + cap, json.dumps(report("15.0", "downloading")))
    r = t.run("ingest", t.path("n"))
    assert r.rc == 65, r
    r = t.run("ingest", t.path("n"))
    assert r.rc == 0 and "has not been seen with one" not in r.err, r
    assert sql(t.db, "SELECT count(*) FROM rejected") == "1\n"
    assert sql(t.db, "SELECT count(*) FROM source_file") == "1\n"


def test_jamf_statuses_read_before_the_inventory_that_lists_their_ids(t):
    # Jamf Pro's update statuses name devices by Jamf id; the inventory
    # export says which serial each id is.  In a folder where the statuses'
    # file sorts first ('2026-11-25-update-statuses.json' before
    # 'inventory.csv'), every status was rejected as 'not in the inventory'.
    import shutil
    from lib import ROOT
    import os
    fx = os.path.join(ROOT, "tests", "fixtures", "sources")
    os.makedirs(t.path("night"))
    shutil.copy(os.path.join(fx, "jamf-computers.csv"), t.path("night", "inventory.csv"))
    shutil.copy(os.path.join(fx, "jamf-update-statuses.json"),
                t.path("night", "2026-11-25-update-statuses.json"))
    ref = t.path("ref.db")
    r = t.run("ingest", "--db", ref, t.path("night", "inventory.csv"),
              t.path("night", "2026-11-25-update-statuses.json"))
    r2 = t.run("ingest", t.path("night"))
    # the folder gives what the inventory-first order gives
    q = "SELECT serial_number, reported_at, status FROM observation ORDER BY 1, 2"
    assert sql(t.db, q) == sql(ref, q) and sql(ref, q), (sql(t.db, q), sql(ref, q))
    q = "SELECT reason FROM rejected ORDER BY 1"
    assert sql(t.db, q) == sql(ref, q), (sql(t.db, q), sql(ref, q))
    assert r2.rc == r.rc, (r, r2)


def test_a_report_no_input_identifies_is_rejected_once(t):
    # control: with nothing to teach its id, the capture is still rejected,
    # once, with its reason (read again, it is not told twice)
    udid = "00008110-72488B810DFAFE39"
    t.write("night/captures/%s.20261125-100000.000001.status.json" % udid,
            json.dumps(report("15.0", "downloading")))
    t.write("night/zz.csv", STATUS_HEADER
            + status("C02AAA0001", "Pass", "2026-11-25T10:00:00Z", "a", "26.1"))
    r = t.run("ingest", t.path("night"))
    assert r.rc == 65 and r.err.count("has not been seen with one") == 1, r
    assert sql(t.db, "SELECT count(*) FROM rejected") == "1\n"
    assert sql(t.db, "SELECT count(*) FROM source_file") == "2\n"


def test_a_macs_user_channel_report_does_not_replace_its_device_report(t):
    # A Mac's user channel (NanoMDM's enrollment id '<UDID>:<UserID>')
    # sends its own DDM status reports; Apple's schema allows the serial
    # number and OS version in the user scope on macOS, and no
    # softwareupdate.* item.  Captured beside the device channel's, the
    # user's full report became the Mac's: its failed install, failure
    # reason and pending 26.1 deadline were dropped, and a Mac past its
    # deadline with a failed update was 'no-target', status Unknown.  The
    # webhook source already skips the user channel; the captures, the
    # envelope and KMFDDM's status values now do too (skipped, counted).
    udid = "9C3F6A2E-1B4D-4E8F-A5C7-2D9B8E1F0A3C"
    user = udid + ":A1B2C3D4-0000-1111-2222-333344445555"
    items = {"device": {"identifier": {"serial-number": "C02AAA0010"},
                        "operating-system": {"version": "15.0", "family": "macOS"},
                        "model": {"identifier": "Mac15,3"}},
             "softwareupdate": {"install-state": "failed",
                                "failure-reason": {"count": 3, "reason": "Not enough space"},
                                "pending-version": {"os-version": "26.1",
                                                    "target-local-date-time":
                                                        "2026-11-20T10:00:00"}}}
    dev = {"StatusItems": items, "Errors": [], "FullReport": True}
    usr = {"StatusItems": {"device": {"identifier": {"serial-number": "C02AAA0010"},
                                      "operating-system": {"version": "15.0",
                                                           "family": "macOS"}}},
           "Errors": [], "FullReport": True}
    t.write("cap/%s.20261125-090000.000001.status.json" % udid, json.dumps(dev))
    t.write("cap/%s.20261125-100000.000001.status.json" % user, json.dumps(usr))
    t.write("cap/user.ndjson", envelope("2026-11-25T10:30:00Z", usr, enrollment_id=user))
    r = t.run("run", "--as-of", AS_OF, "--out", t.out, t.path("cap"))
    assert r.rc == 0, r
    d = {x["serial_number"]: x for x in t.csv("devices")}
    assert list(d) == ["C02AAA0010"], d
    got = {k: d["C02AAA0010"][k] for k in ("classification", "status", "failure_reason",
                                            "target_os_version")}
    assert got == {"classification": "past-deadline", "status": "Error",
                   "failure_reason": "Not enough space", "target_os_version": "26.1"}, got
    assert sql(t.db, "SELECT count(*) FROM observation") == "1\n"
    assert sql(t.db, "SELECT sum(rows_skipped) FROM source_file") == "2\n"


def test_a_target_for_an_invisible_or_placeholder_serial_is_rejected(t):
    # A serial-scoped target whose serial is only a zero-width space must
    # not become the whole platform's target (no serial: the group '*'),
    # nor one for a placeholder serial that names no device.
    s = t.write("s.csv", STATUS_HEADER
                + status("C02AAA0001", "Pass", "2026-11-25T10:00:00Z", "a", "15.0"))
    tg = t.write("t.csv", TARGETS_HEADER + "macOS,,%s,26.1,,2026-11-20T10:00:00,\n" % ZWSP
                 + "macOS,,Not Available,26.1,,2026-11-20T10:00:00,\n")
    r = t.run("run", "--as-of", AS_OF, "--out", t.out, "--max-rejected", "100%", s, tg)
    assert r.rc == 0, r
    assert devices(t) == {"C02AAA0001": "no-target"}, devices(t)
    why = sql(t.db, "SELECT reason FROM rejected ORDER BY line").splitlines()
    assert why[0] == "serial_number has only invisible characters", why
    assert "placeholder" in why[1], why
