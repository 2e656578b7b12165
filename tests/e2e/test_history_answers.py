"""Answers that come from a device's history, checked on small fleets whose
right answer is worked out by hand: patch latency against what the other
reports say of the same device, the enforcement column against the
inventory's check-in, a device-reported deadline the policy cannot read,
and deadlines in far and half-hour zones at the deadline second.

Inputs are canonical status CSV exports, one file per night, as an MDM
writes them.
"""
from lib import INVENTORY_HEADER, STATUS_HEADER, TARGETS_HEADER, parse_csv


def status(serial, st, at, os_version, tz="UTC"):
    return f"{serial},{st},{at},,,,macOS,\"Mac15,3\",{os_version},,,,,,{tz},,\n"


def test_patch_that_did_not_last_is_open_not_patched(t):
    # Target 26.1 due 2026-11-25 09:00 UTC.  P1 reached 26.1 on the 22nd,
    # then reported 26.0 again on the 25th (a restore, or a source with a
    # stale version): it is past its deadline now, so patch latency must
    # not count it as patched on the 22nd.  P2 went 26.0 -> 26.1 -> 26.0 ->
    # 26.1: patched when it reached the target for good, on the 24th.
    # P3 patched once, plainly.
    nights = [
        [status("P1", "Pending", "2026-11-20T00:00:00Z", "26.0"),
         status("P2", "Pending", "2026-11-20T00:00:00Z", "26.0"),
         status("P3", "Pending", "2026-11-20T00:00:00Z", "26.0")],
        [status("P1", "Pass", "2026-11-22T00:00:00Z", "26.1"),
         status("P2", "Pass", "2026-11-21T00:00:00Z", "26.1"),
         status("P3", "Pass", "2026-11-23T00:00:00Z", "26.1")],
        [status("P1", "Pending", "2026-11-25T10:00:00Z", "26.0"),
         status("P2", "Pending", "2026-11-22T00:00:00Z", "26.0")],
        [status("P2", "Pass", "2026-11-24T00:00:00Z", "26.1"),
         status("P2", "Pass", "2026-11-26T00:00:00Z", "26.1")],
    ]
    files = [t.write("targets.csv", TARGETS_HEADER + "macOS,*,,26.1,,2026-11-25T09:00:00,\n")]
    files += [t.write(f"night{i}.csv", STATUS_HEADER + "".join(rows))
              for i, rows in enumerate(nights)]
    r = t.run("run", "--out", t.out, "--as-of", "2026-11-26T12:00:00Z", *files)
    assert r.rc == 0, r
    dev = {d["serial_number"]: d for d in t.csv("devices")}
    assert dev["P1"]["classification"] == "past-deadline"
    assert {d["serial_number"] for d in t.csv("past-deadline")} == {"P1"}
    lat = {d["serial_number"]: d for d in t.csv("patch-latency")}
    assert set(lat) == {"P1", "P2", "P3"}
    assert (lat["P1"]["state"], lat["P1"]["patched_at"]) == ("open", ""), lat["P1"]
    assert lat["P1"]["first_seen_below"] == "2026-11-20T00:00:00Z"
    assert (lat["P2"]["state"], lat["P2"]["patched_at"]) == ("patched", "2026-11-24T00:00:00Z")
    assert lat["P2"]["days_from_deadline"] == "-1.4"   # 33 h before the deadline
    assert (lat["P3"]["state"], lat["P3"]["patched_at"]) == ("patched", "2026-11-23T00:00:00Z")
    # the sheet's summary: 2 patched, P1 still open
    ws = t.workbook()["Patch latency"]
    summ = {(r[0], r[1]): r for r in ws.iter_rows(min_row=4, values_only=True) if r[0]}
    assert summ[("Target", "macOS 26.1")][2:4] == (2, 1), summ
    # As of the 23rd, P1 was at its target: patched then.
    r = t.run("report", "patch-latency", "--out", "-", "--as-of", "2026-11-23T12:00:00Z")
    assert r.rc == 0, r
    rows = {line.split(",")[0]: line for line in r.out.splitlines()[1:]}
    assert "2026-11-22T00:00:00Z" in rows["P1"] and rows["P1"].endswith(",patched"), rows


KANDJI_HEADER = ("serial_number,device_name,blueprint_name,name,status,type,reported_at,"
                 "last_audit_log,log\r\n")


def test_patch_latency_without_versions_in_the_history_says_why(t):
    # Kandji's status_report.py rows carry no OS version: it comes from the
    # inventory, a snapshot with no history.  K1 is past its deadline, so
    # an empty Patch latency sheet must not say that no device has been
    # below its target.
    kandji = t.write("status.csv", KANDJI_HEADER + "".join(
        f"{s},Mac {s},Eng,macOS Tahoe,{st},macos-release,2026-11-25T10:00:00.123456Z,,\r\n"
        for s, st in (("K1", "DOWNLOADING"), ("K2", "PASS"))))
    inv = t.write("inventory.csv", INVENTORY_HEADER +
                  "K1,Mac K1,,Eng,macOS,\"Mac15,3\",UTC,2026-11-25T11:00:00Z,26.0\n"
                  "K2,Mac K2,,Eng,macOS,\"Mac15,3\",UTC,2026-11-25T11:00:00Z,26.1\n")
    tg = t.write("targets.csv", TARGETS_HEADER + "macOS,*,,26.1,,2026-11-24T20:00:00,\n")
    r = t.run("run", "--out", t.out, "--as-of", "2026-11-26T00:00:00Z", tg, inv, kandji)
    assert r.rc == 0, r
    assert [d["serial_number"] for d in t.csv("past-deadline")] == ["K1"]
    assert t.csv("patch-latency") == []
    lines = [r[0] for r in t.workbook()["Patch latency"].iter_rows(values_only=True) if r[0]]
    assert not any("No device has been seen below" in str(x) for x in lines), lines
    assert any("patch latency cannot be measured" in str(x) for x in lines), lines
    # A fleet with nothing below its target keeps the plain line.
    t2 = t.path("all-patched")
    inv2 = t.write("inventory2.csv", INVENTORY_HEADER +
                   "K1,Mac K1,,Eng,macOS,\"Mac15,3\",UTC,2026-11-25T11:00:00Z,26.1\n")
    r = t.run("run", "--db", t.path("t2.db"), "--out", t2, "--as-of", "2026-11-26T00:00:00Z",
              tg, inv2)
    assert r.rc == 0, r
    lines = [r[0] for r in t.workbook(t2)["Patch latency"].iter_rows(values_only=True) if r[0]]
    assert "No device has been seen below its target yet." in lines, lines


def test_checked_in_after_the_deadline_is_not_offline_at_it(t):
    # Kandji fleet, target 26.1 due 2026-11-24 09:00 Tokyo time (00:00 UTC).
    # Kandji's status rows for the Managed OS item were last updated before
    # the deadline; the inventory's last check-in says whether each Mac
    # has been running since.  The OS enforces within an hour of running
    # after the deadline, so a Mac that checked in 3 hours after it and is
    # still on 26.0.1 had its enforcement fail; one that checked in 30
    # minutes ago is in the enforcement hour; one silent since before the
    # deadline was offline at it.
    kandji = t.write("status.csv", KANDJI_HEADER + "".join(
        f"{s},Mac {s},Eng,macOS Tahoe 26.1 Enforcement,DOWNLOADING,macos-release,"
        f"2026-11-22 08:24:54.329104+00:00,Downloading update,\r\n" for s in ("E1", "E2", "E3")))
    inv = t.write("inventory.csv", INVENTORY_HEADER + "".join(
        f"{s},Mac {s},,Eng,macOS,\"Mac16,10\",Asia/Tokyo,{ci},26.0.1\n"
        for s, ci in (("E1", "2026-11-24T03:06:23Z"), ("E2", "2026-11-26T11:30:00Z"),
                      ("E3", "2026-11-23T20:00:00Z"))))
    tg = t.write("targets.csv", TARGETS_HEADER + "macOS,*,,26.1,,2026-11-24T09:00:00,\n")
    r = t.run("run", "--out", t.out, "--as-of", "2026-11-26T12:00:00Z", tg, inv, kandji)
    assert r.rc == 0, r
    pd = {d["serial_number"]: d for d in t.csv("past-deadline")}
    assert set(pd) == {"E1", "E2", "E3"}
    assert all(d["deadline_utc"] == "2026-11-24T00:00:00Z" for d in pd.values())
    assert pd["E1"]["enforcement"] == "enforcement-failed", pd["E1"]
    assert pd["E2"]["enforcement"] == "enforcement-hour", pd["E2"]
    assert pd["E3"]["enforcement"] == "offline-at-deadline", pd["E3"]
    # no status report since the deadline: the column stays empty, the notes say why
    assert pd["E1"]["first_report_after_deadline"] == ""
    assert "checked in after" in pd["E1"]["notes"] and "checked in" not in pd["E3"]["notes"]
    dev = {d["serial_number"]: d for d in t.csv("devices")}
    assert {s: d["enforcement"] for s, d in dev.items()} == {s: d["enforcement"] for s, d in pd.items()}


def _envelope(serial, at, deadline):
    import json
    return json.dumps({"received_at": at, "serial_number": serial, "report": {
        "StatusItems": {
            "device": {"model": {"identifier": "Mac15,3"},
                       "operating-system": {"family": "macOS", "version": "26.0",
                                            "build-version": "25A354"}},
            "softwareupdate": {"install-state": "downloading",
                               "pending-version": {"os-version": "26.1", "build-version": "25B78",
                                                   "target-local-date-time": deadline}}},
        "Errors": [], "FullReport": True}}) + "\n"


def test_device_deadline_not_in_the_schema_form_is_said_not_dropped(t):
    # Apple's TargetLocalDateTime is exactly YYYY-MM-DDTHH:MM:SS.  A device
    # reporting its pending version with a deadline in another form has no
    # deadline the policy can read: its row must say so, not show a silent
    # no-target (nor a note about reading a deadline it does not have).
    f = t.write("reports.ndjson", _envelope("M1", "2026-11-25T10:00:00Z", "2026-11-25T09:00:00") +
                _envelope("M2", "2026-11-25T10:00:00Z", "2026-11-25"))
    r = t.run("run", "--out", t.out, "--as-of", "2026-11-26T00:00:00Z", f)
    assert r.rc == 0, r
    dev = {d["serial_number"]: d for d in t.csv("devices")}
    assert dev["M1"]["classification"] == "past-deadline"
    assert "no time zone" in dev["M1"]["notes"]
    assert dev["M2"]["classification"] == "no-target" and dev["M2"]["deadline_utc"] == ""
    assert "pending version 26.1" in dev["M2"]["notes"] and "(2026-11-25)" in dev["M2"]["notes"], dev["M2"]
    assert "deadline_utc read as" not in dev["M2"]["notes"], dev["M2"]


def test_far_zones_and_half_hour_dst_at_the_deadline_second(t):
    # Deadlines worked out by hand from the tz database (each zone's offset
    # on that day); each device is past its deadline from that UTC second
    # on, not one second before.  Lord Howe moves its clocks by 30 minutes:
    # 02:15 on its spring-forward night does not exist (moved forward by the
    # gap, to 02:45 +11:00), 01:45 on its fall-back night occurs twice (the
    # earlier, +11:00).
    cases = [("Z14", "Pacific/Kiritimati", "2026-12-01T09:00:00", "2026-11-30T19:00:00Z"),
             ("ZM12", "Etc/GMT+12", "2026-12-01T09:00:00", "2026-12-01T21:00:00Z"),
             ("Z545", "Asia/Kathmandu", "2026-12-01T09:00:00", "2026-12-01T03:15:00Z"),
             ("Z1345", "Pacific/Chatham", "2026-12-01T09:00:00", "2026-11-30T19:15:00Z"),
             ("LHGAP", "Australia/Lord_Howe", "2026-10-04T02:15:00", "2026-10-03T15:45:00Z"),
             ("LHOVL", "Australia/Lord_Howe", "2026-04-05T01:45:00", "2026-04-04T14:45:00Z")]
    st = t.write("status.csv", STATUS_HEADER + "".join(
        status(s, "Pending", "2026-01-01T00:00:00Z", "26.0", z) for s, z, _, _ in cases))
    tg = t.write("targets.csv", TARGETS_HEADER + "".join(
        f"macOS,,{s},26.1,,{w},\n" for s, _, w, _ in cases))
    r = t.run("ingest", tg, st)
    assert r.rc == 0, r
    import datetime
    for s, zone, wall, utc in cases:
        at = datetime.datetime.strptime(utc, "%Y-%m-%dT%H:%M:%SZ")
        before = (at - datetime.timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        for as_of, want in ((before, "not-reporting"), (utc, "past-deadline")):
            r = t.run("report", "devices", "--out", "-", "--as-of", as_of)
            assert r.rc == 0, r
            row = next(d for d in parse_csv(r.out) if d["serial_number"] == s)
            assert (row["time_zone"], row["deadline_local"], row["deadline_utc"]) == (zone, wall, utc), row
            # silent since January: not reporting until the deadline passes
            assert row["classification"] == want, (as_of, row)
        note = {"LHGAP": "DST gap", "LHOVL": "DST overlap"}.get(s)
        assert (note in row["notes"]) if note else row["notes"] == "", row


def test_silent_exactly_stale_after_is_not_reporting(t):
    # --stale-after 7d: "silent this long is not reporting", as --stuck-after
    # "Downloading this long is stuck" counts its edge.  S7 last reported
    # exactly 7 days before the as-of time, S6 one second later.
    rows = [status("S7", "Pass", "2026-11-19T12:00:00Z", "26.1"),
            status("S6", "Pass", "2026-11-19T12:00:01Z", "26.1")]
    f = t.write("night.csv", STATUS_HEADER + "".join(rows))
    r = t.run("run", "--out", t.out, "--as-of", "2026-11-26T12:00:00Z", "--stale-after", "7d", f)
    assert r.rc == 0, r
    assert {d["serial_number"] for d in t.csv("not-reporting")} == {"S7"}
