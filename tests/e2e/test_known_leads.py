"""Leads earlier sessions noticed and left alone, each checked as the user
meets it: the Summary's by-group table, a device whose zone changed, Jamf's
management ids, the workbook's table names and an empty report's table."""
import csv
import io
import json
import re

from lib import INVENTORY_HEADER, STATUS_HEADER, TARGETS_HEADER

AS_OF = "2026-11-26T12:00:00Z"


def status_row(serial, status, at, os_version="", tz="", platform="macOS", model="Mac15,3",
               group=""):
    return (f"{serial},{status},{at},,,{group},{platform},\"{model}\",{os_version},,,"
            f",,,{tz},,\n")


def inv_row(serial, group="", tz="UTC", os_version="26.0", seen="2026-11-26T08:00:00Z"):
    return f"{serial},,,{group},macOS,\"Mac15,3\",{tz},{seen},{os_version}\n"


def tables(ws):
    """{table name: (headers, rows)} of a sheet's Excel tables."""
    out = {}
    for name, ref in ws.tables.items():
        (c1, r1), (c2, r2) = [re.match(r"([A-Z]+)(\d+)", p).groups() for p in ref.split(":")]
        rows = [[c.value for c in row] for row in ws[f"{c1}{r1}:{c2}{r2}"]]
        out[name] = (rows[0], rows[1:])
    return out


def test_a_group_spelt_in_two_cases_is_one_row_of_the_summary(t):
    # Jamf spells the group "Sales" for some devices, a later export
    # "sales" for others; the group target matches both (case ignored), so
    # the Summary's "Compliance by group" must count them as one group.
    inv = t.write("inv.csv", INVENTORY_HEADER + "".join([
        inv_row("G1", "Sales", os_version="26.1"), inv_row("G2", "Sales"),
        inv_row("G3", "sales"), inv_row("G4", "Eng", os_version="26.1")]))
    tg = t.write("targets.csv", TARGETS_HEADER + "macOS,sales,,26.1,,2026-12-20T09:00:00,\n"
                 "macOS,eng,,26.1,,2026-12-20T09:00:00,\n")
    t.ok("run", "--out", t.out, "--as-of", AS_OF, inv, tg)
    head, rows = tables(t.workbook()["Summary"])["T_summary_group"]
    by = {r[0]: dict(zip(head, r)) for r in rows}
    assert sorted(k.lower() for k in by) == ["eng", "sales"], rows
    # one spelling, deterministically: the one most devices carry
    assert "Sales" in by, rows
    s = by["Sales"]
    assert [s[h] for h in head[1:5]] == [3, 1, 0, 2], (head, s)
    # every device in scope is counted once
    assert sum(r[1] for r in rows) == 4, rows
    # the patch-latency summary's group rows: one group too
    head, rows = tables(t.workbook()["Patch latency"])["T_patch_latency_summary"]
    groups = {r[1]: r for r in rows if r[0] == "Group"}
    assert list(groups) == ["Sales"], rows
    assert groups["Sales"][5] == 2, (head, rows)   # G2 and G3 below, not measured



def test_a_group_in_another_case_beyond_ascii_gets_its_target(t):
    # A French, a German and a Russian office: the MDM spells the groups
    # one way, the admin's targets file another.  Each group target
    # reaches its devices whatever the case (SQLite's own NOCASE would
    # match only ASCII letters, leaving these devices under the lax
    # platform-wide target and calling them compliant).
    inv = t.write("inv.csv", (INVENTORY_HEADER + "".join([
        inv_row("F1", "\u00c9quipe Paris", os_version="26.0.1"),
        inv_row("F2", "\u00c9QUIPE PARIS", os_version="26.0.1"),
        inv_row("D1", "B\u00fcro M\u00fcnchen", os_version="26.0.1"),
        inv_row("R1", "\u041e\u0442\u0434\u0435\u043b \u041c\u043e\u0441\u043a\u0432\u0430",
                os_version="26.0.1")])).encode())
    tg = t.write("targets.csv", (TARGETS_HEADER
                 + "macOS,*,,26.0,,2026-11-20T09:00:00,\n"
                 + "macOS,\u00e9quipe paris,,26.1,,2026-11-25T09:00:00,\n"
                 + "macOS,B\u00dcRO M\u00dcNCHEN,,26.1,,2026-11-25T09:00:00,\n"
                 + "macOS,\u041e\u0422\u0414\u0415\u041b \u041c\u041e\u0421\u041a\u0412\u0410,,"
                   "26.1,,2026-11-25T09:00:00,\n").encode())
    t.ok("run", "--out", t.out, "--as-of", AS_OF, inv, tg)
    dev = {r["serial_number"]: r for r in t.csv("devices")}
    for s in ("F1", "F2", "D1", "R1"):
        assert dev[s]["classification"] == "past-deadline", dev[s]
        assert dev[s]["target_os_version"] == "26.1", dev[s]
        assert dev[s]["target_scope"] == "group", dev[s]
    # the Summary counts the two spellings of the Paris group as one group
    head, rows = tables(t.workbook()["Summary"])["T_summary_group"]
    names = sorted(r[0] for r in rows)
    assert len(names) == 3, rows
    paris = [r for r in rows if r[0].lower() == "\u00e9quipe paris"]
    assert len(paris) == 1 and paris[0][1] == 2, rows

def test_the_newest_reading_of_a_devices_zone_reads_its_deadline(t):
    # The inventory export of 20 Nov says K1 is in New York; its status
    # report of 25 Nov, newer, says Asia/Tokyo (the Mac moved).  Its
    # deadline, 17:00 on its own clock, is 08:00Z in Tokyo: at 09:00Z it
    # is past.  Read in the inventory's older zone it was 22:00Z, "in
    # progress" for 13 more hours.  K2 is the other way round: the
    # inventory (26 Nov) is newer than the report (25 Nov) and counts.
    inv = t.write("inv.csv", INVENTORY_HEADER +
                  inv_row("K1", tz="America/New_York", seen="2026-11-20T08:00:00Z") +
                  inv_row("K2", tz="Asia/Tokyo", seen="2026-11-26T08:00:00Z") +
                  inv_row("K3", tz="Asia/Tokyo", seen="2026-11-20T08:00:00Z"))
    st = t.write("status.csv", STATUS_HEADER +
                 status_row("K1", "Pending", "2026-11-25T10:00:00Z", "26.0", "Asia/Tokyo") +
                 status_row("K2", "Pending", "2026-11-25T10:00:00Z", "26.0",
                            "America/New_York") +
                 status_row("K3", "Pending", "2026-11-25T10:00:00Z", "26.0", "Asia/Tokyo"))
    tg = t.write("targets.csv", TARGETS_HEADER + "macOS,*,,26.1,,2026-11-26T17:00:00,\n")
    t.ok("run", "--out", t.out, "--as-of", "2026-11-26T09:00:00Z", inv, st, tg)
    d = {r["serial_number"]: r for r in t.csv("devices")}
    assert (d["K1"]["time_zone"], d["K1"]["time_zone_source"], d["K1"]["deadline_utc"],
            d["K1"]["classification"]) == \
        ("Asia/Tokyo", "status", "2026-11-26T08:00:00Z", "past-deadline"), d["K1"]
    assert (d["K2"]["time_zone"], d["K2"]["time_zone_source"], d["K2"]["deadline_utc"],
            d["K2"]["classification"]) == \
        ("Asia/Tokyo", "inventory", "2026-11-26T08:00:00Z", "past-deadline"), d["K2"]
    # a newer report that says the same zone: still the inventory's reading
    assert (d["K3"]["time_zone"], d["K3"]["time_zone_source"]) == \
        ("Asia/Tokyo", "inventory"), d["K3"]
    assert [r["serial_number"] for r in t.csv("past-deadline")] == ["K1", "K2", "K3"]


def _jamf_items(mid, state="failed"):
    return json.dumps({"clientManagementId": mid, "statusItems": [
        {"key": "device.operating-system.version", "value": "26.0.1",
         "lastUpdateTime": "2026-11-25T07:00:00Z"},
        {"key": "softwareupdate.install-state", "value": state,
         "lastUpdateTime": "2026-11-25T10:00:00Z"}]})


def test_a_jamf_management_id_in_another_case_is_the_same_device(t):
    # Jamf Pro's management id is a UUID (hexadecimal): the inventory
    # export writes it lower case, a status-items file saved by another
    # tool upper case (and the other way round).  Like UDIDs and
    # enrollment ids, it names the same device in either case; the items
    # were rejected with "no identity" and the Mac shown never reporting.
    inv = t.write("inv.csv", "serial_number,management_id,platform,last_check_in\n"
                  "C02MID0001,3f1c2b7a-9e4d-4c1b-8a6f-2d5e7b9c0a11,macOS,2026-11-25T08:00:00Z\n"
                  "C02MID0002,7B9E4D2C-1A3F-4E5B-9C8D-0F1E2A3B4C22,macOS,2026-11-25T08:00:00Z\n")
    a = t.write("a.json", _jamf_items("3F1C2B7A-9E4D-4C1B-8A6F-2D5E7B9C0A11"))
    b = t.write("b.json", _jamf_items("7b9e4d2c-1a3f-4e5b-9c8d-0f1e2a3b4c22", "downloading"))
    tg = t.write("targets.csv", TARGETS_HEADER + "macOS,*,,26.1,,2026-12-20T09:00:00,\n")
    t.ok("run", "--out", t.out, "--as-of", AS_OF, inv, a, b, tg)
    assert t.csv("rejected") == [], t.csv("rejected")
    d = {r["serial_number"]: r for r in t.csv("devices")}
    assert (d["C02MID0001"]["status"], d["C02MID0001"]["os_version"],
            d["C02MID0001"]["last_seen"]) == ("Error", "26.0.1", "2026-11-25T10:00:00Z"), d
    assert d["C02MID0002"]["status"] == "Downloading", d
    assert sorted(d) == ["C02MID0001", "C02MID0002"], d


def test_an_empty_reports_table_counts_no_device_and_the_sheet_says_why(t):
    # A fleet with nothing past its deadline: the Past deadline sheet's
    # table held one data row, "No device is past its deadline.", so a
    # filter, COUNTA(T_past_deadline[Serial number]) or ROWS over the
    # table's non-empty cells counted one device that does not exist.  The
    # line belongs outside the table; the table's row is empty.
    inv = t.write("inv.csv", INVENTORY_HEADER + inv_row("E1", os_version="26.1"))
    tg = t.write("targets.csv", TARGETS_HEADER + "macOS,*,,26.1,,2026-12-20T09:00:00,\n")
    t.ok("run", "--out", t.out, "--as-of", AS_OF, inv, tg)
    assert t.csv("past-deadline") == []
    wb = t.workbook()
    for sheet, table, why in (("Past deadline", "T_past_deadline", "No device is past its deadline."),
                              ("Summary", "T_summary_worst", "None.")):
        ws = wb[sheet]
        head, rows = tables(ws)[table]
        assert all(v is None for r in rows for v in r), (table, rows)
        last = int(re.search(r"(\d+)$", ws.tables[table].ref).group(1))
        assert ws.cell(row=last + 1, column=1).value == why, (sheet, ws.tables[table].ref)


def test_a_deadline_a_zone_pushes_past_year_9999_reads_as_that_future(t):
    # 9999-12-31T23:00 in Los Angeles is 10000-01-01T07:00 UTC.  It read
    # 0000-00-00T00:00:00Z, a year-zero date that looks long past, beside
    # a device that is not past it.  Now ISO 8601's expanded year.
    st = t.write("s.csv", STATUS_HEADER
                 + "F1,Downloading,2026-11-26T10:00:00Z,,,,macOS,,26.0,,,26.1,,"
                   "9999-12-31T23:00:00,America/Los_Angeles,,\n"
                 + "F2,Downloading,2026-11-26T10:00:00Z,,,,macOS,,26.0,,,26.1,,"
                   "9999-12-31T23:00:00,Pacific/Kiritimati,,\n")
    t.ok("ingest", st)
    r = t.ok("report", "devices", "--out", "-", "--as-of", AS_OF)
    rows = {d["serial_number"]: d for d in csv.DictReader(io.StringIO(r.out))}
    far, near = rows["F1"], rows["F2"]
    assert far["classification"] == "in-progress", far
    assert far["deadline_utc"] == far["deadline_earliest_utc"] == "+10000-01-01T07:00:00Z", far
    assert near["deadline_utc"] == "9999-12-31T09:00:00Z", near
    t.ok("report", "--out", t.out, "--as-of", AS_OF)
    ws = t.workbook()["Devices"]
    vals = list(ws.iter_rows(values_only=True))
    head = vals[1]
    cells = {v[0]: dict(zip(head, v)) for v in vals[2:] if v[0]}
    assert cells["F1"]["Deadline (UTC)"] == "+10000-01-01T07:00:00Z", cells["F1"]
