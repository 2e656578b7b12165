"""Jamf Pro CSV exports, recognised by their headers (queries/formats)."""
from lib import TARGETS_HEADER


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
