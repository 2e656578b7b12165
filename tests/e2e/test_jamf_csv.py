"""Jamf Pro CSV exports, recognised by their headers (queries/formats)."""
from lib import INVENTORY_HEADER, STATUS_HEADER, TARGETS_HEADER


def test_jamf_inventory_and_status_csv(t):
    inv = t.write("jamf-computers.csv",
                  "Computer Name,Serial Number,Operating System Version,Last Check-in,"
                  "Username,Email Address,Department,Model Identifier,Jamf Pro Computer ID\r\n"
                  "Ana's MacBook Air,c02jf0001,26.0.1,2026-11-25 22:10:00,ana,ana@example.com,"
                  "Finance,\"Mac14,2\",101\r\n"
                  "Bo's MacBook Pro,C02JF0002,26.1,2026-11-25 21:00:00,bo,bo@example.com,"
                  "Finance,\"Mac15,3\",102\r\n")
    st = t.write("jamf-status.csv",
                 "Serial Number,Device Name,Status,Download Percent Complete,Product Key,Updated,"
                 "Error Reason\n"
                 "C02JF0001,Ana's MacBook Air,DOWNLOAD_INSUFFICIENT_SPACE,12,MACOS_26.1,"
                 "2026-11-26T08:00:00Z,\n"
                 "C02JF0002,Bo's MacBook Pro,INSTALLED,100,MACOS_26.1,2026-11-26T07:00:00Z,\n")
    tg = t.write("targets.csv", TARGETS_HEADER + "macOS,Finance,,26.1,,2026-12-10T09:00:00,\n")
    r = t.run("run", "--out", t.out, "--as-of", "2026-11-26T12:00:00Z", inv, st, tg)
    assert r.rc == 0, r
    dev = {d["serial_number"]: d for d in t.csv("devices")}
    assert set(dev) == {"C02JF0001", "C02JF0002"}
    a, b = dev["C02JF0001"], dev["C02JF0002"]
    assert (a["status"], a["status_raw"], a["failure_reason"]) == ("Error", "DOWNLOAD_INSUFFICIENT_SPACE", "SPACE")
    assert a["classification"] == "error" and a["group"] == "Finance" and a["user"] == "ana@example.com"
    assert a["os_version"] == "26.0.1" and a["device_name"] == "Ana's MacBook Air"
    assert (b["status"], b["classification"]) == ("Pass", "compliant")
    from lib import sql
    assert sql(t.db, "SELECT group_concat(format, ' ') FROM (SELECT format FROM source_file ORDER BY id)"
               ).split() == ["jamf-inventory", "jamf-status", "canonical-targets"]
    assert sql(t.db, "SELECT jamf_id FROM device WHERE serial_number = 'C02JF0001'").strip() == "101"


# Jamf keeps the inventory record of a computer it no longer manages
# ("Managed" column: Unmanaged).  Such a Mac gets no MDM command and no
# declaration: no update is enforced on it, so it is out of scope (as after
# an MDM CheckOut) from that check-in on, not past its deadline or silent
# for ever after; a later check-in saying Managed, or a report, brings it
# back.
JAMF_MANAGED_HEADER = ("Computer Name,Serial Number,Operating System Version,Last Check-in,"
                       "Username,Department,Model Identifier,Jamf Pro Computer ID,Managed\r\n")
ALL_26_1 = TARGETS_HEADER + "macOS,*,,26.1,,2026-11-20T09:00:00,\n"


def test_a_computer_jamf_no_longer_manages_is_out_of_scope_from_that_check_in(t):
    inv = t.write("jamf-computers.csv", JAMF_MANAGED_HEADER +
                  "Ana's Mac,C02JM0001,26.0.1,2026-11-25 22:10:00,ana,Finance,\"Mac14,2\",101,Managed\r\n"
                  "Old Mac,C02JM0002,26.0,2026-10-01 09:00:00,bo,Finance,\"Mac15,3\",102,Unmanaged\r\n"
                  "Lab Mac,C02JM0003,26.0,2026-11-25 20:00:00,cy,Lab,\"Mac15,3\",103,unmanaged\r\n")
    tg = t.write("targets.csv", ALL_26_1)
    r = t.run("run", "--out", t.out, "--as-of", "2026-11-26T12:00:00Z", inv, tg)
    assert r.rc == 0, r
    dev = {d["serial_number"]: d for d in t.csv("devices")}
    assert dev["C02JM0001"]["classification"] == "past-deadline", dev["C02JM0001"]
    for s, at in (("C02JM0002", "2026-10-01T09:00:00Z"), ("C02JM0003", "2026-11-25T20:00:00Z")):
        assert dev[s]["classification"] == "out-of-scope", dev[s]
        assert (f"unmanaged: the inventory said the MDM no longer manages it at its check-in {at}"
                in dev[s]["notes"]), dev[s]
    # on no action list: not past its deadline, not silent since October
    assert [r["serial_number"] for r in t.csv("past-deadline")] == ["C02JM0001"]
    assert t.csv("not-reporting") == []
    summary = {r["classification"]: r for r in t.csv("summary")}
    assert summary["out-of-scope"]["devices"] == "2", summary
    # A night later Jamf manages the lab Mac again: in scope from that
    # check-in; the old Mac's record still says Unmanaged.
    inv2 = t.write("jamf-computers-2.csv", JAMF_MANAGED_HEADER +
                   "Old Mac,C02JM0002,26.0,2026-10-01 09:00:00,bo,Finance,\"Mac15,3\",102,Unmanaged\r\n"
                   "Lab Mac,C02JM0003,26.0,2026-11-26 20:00:00,cy,Lab,\"Mac15,3\",103,Managed\r\n")
    r = t.run("run", "--out", t.out, "--as-of", "2026-11-27T12:00:00Z", inv2)
    assert r.rc == 0, r
    dev = {d["serial_number"]: d for d in t.csv("devices")}
    assert dev["C02JM0003"]["classification"] == "past-deadline", dev["C02JM0003"]
    assert "unmanaged" not in dev["C02JM0003"]["notes"], dev["C02JM0003"]
    assert dev["C02JM0002"]["classification"] == "out-of-scope", dev["C02JM0002"]


def test_a_report_after_the_unmanaged_check_in_brings_the_device_back(t):
    inv = t.write("jamf-computers.csv", JAMF_MANAGED_HEADER +
                  "Old Mac,C02JM0002,26.0,2026-11-20 09:00:00,bo,Finance,\"Mac15,3\",102,Unmanaged\r\n")
    st = t.write("status.csv", STATUS_HEADER +
                 "C02JM0002,Downloading,2026-11-26T08:00:00Z,,,,macOS,\"Mac15,3\",26.0,,,,,,,,\n")
    r = t.run("run", "--out", t.out, "--as-of", "2026-11-26T12:00:00Z", inv, st,
              t.write("targets.csv", ALL_26_1))
    assert r.rc == 0, r
    dev = {d["serial_number"]: d for d in t.csv("devices")}["C02JM0002"]
    assert dev["classification"] == "past-deadline", dev
    assert "unmanaged" not in dev["notes"], dev


def test_a_canonical_inventory_says_managed_false_and_a_bad_word_is_rejected(t):
    inv = t.write("inventory.csv", INVENTORY_HEADER.rstrip("\n") + ",managed\n"
                  "CM0001,,,,macOS,\"Mac15,3\",UTC,2026-11-25T08:00:00Z,26.0,false\n"
                  "CM0002,,,,macOS,\"Mac15,3\",UTC,2026-11-25T08:00:00Z,26.0,TRUE\n"
                  "CM0003,,,,macOS,\"Mac15,3\",UTC,2026-11-25T08:00:00Z,26.0,\n"
                  "CM0004,,,,macOS,\"Mac15,3\",UTC,2026-11-25T08:00:00Z,26.0,retired\n"
                  "CM0005,,,,macOS,\"Mac15,3\",UTC,,26.0,no\n")
    r = t.run("run", "--out", t.out, "--as-of", "2026-11-26T12:00:00Z", "--max-rejected", "50%",
              inv, t.write("targets.csv", ALL_26_1))
    assert r.rc == 0, r
    dev = {d["serial_number"]: d["classification"] for d in t.csv("devices")}
    assert dev == {"CM0001": "out-of-scope", "CM0002": "past-deadline",
                   "CM0003": "past-deadline"}, dev
    rej = {r["line"]: r["reason"] for r in t.csv("rejected")}
    assert rej == {"5": "managed is not Managed or Unmanaged (true/false, yes/no, 1/0): retired",
                   "6": "managed is Unmanaged and last_check_in is empty: since when is unknown"}, rej
    assert "inventory.csv:5" in r.err, r
