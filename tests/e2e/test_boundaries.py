"""Each rule's edge, to the second: the README's "Boundaries" paragraph.
A deadline is passed at its own second; silence of exactly --stale-after
is not-reporting; Downloading for exactly --stuck-after is stuck; a
deadline exactly --due-within away is due soon; a report at --as-of counts
and one a second later does not.  Every device is a UTC Mac so that the
instants are the wall-clock times written.
"""
from lib import STATUS_HEADER, TARGETS_HEADER

AS_OF = "2026-11-26T12:00:00Z"


def status(serial, st, at, os_version="26.0"):
    return f'{serial},{st},{at},,,,macOS,"Mac15,3",{os_version},,,,,,UTC,,\n'


def target(serial, deadline):
    return f"macOS,,{serial},26.1,,{deadline},\n"


def run(t, rows, targets, *extra):
    t.write("status.csv", STATUS_HEADER + "".join(rows))
    t.write("targets.csv", TARGETS_HEADER + "".join(targets))
    r = t.run("run", "--out", t.out, "--as-of", AS_OF, *extra,
              t.path("targets.csv"), t.path("status.csv"))
    assert r.rc == 0, r
    return {d["serial_number"]: d for d in t.csv("devices")}


def names(t, report):
    return sorted(r["serial_number"] for r in t.csv(report))


def test_a_deadline_is_passed_at_its_own_second(t):
    rows = [status(s, "Downloading", "2026-11-26T11:00:00Z") for s in ("AT", "BEFORE")]
    dev = run(t, rows, [target("AT", "2026-11-26T12:00:00"),
                        target("BEFORE", "2026-11-26T12:00:01")])
    assert dev["AT"]["classification"] == "past-deadline", dev["AT"]
    assert dev["BEFORE"]["classification"] == "due-soon", dev["BEFORE"]
    assert names(t, "past-deadline") == ["AT"]
    assert names(t, "due-soon") == ["BEFORE"]


def test_silent_for_exactly_stale_after_is_not_reporting(t):
    # heard from 7 days ago to the second, and one second later
    rows = [status("SILENT", "Pending", "2026-11-19T12:00:00Z"),
            status("HEARD", "Pending", "2026-11-19T12:00:01Z")]
    dev = run(t, rows, [target(s, "2026-12-31T12:00:00") for s in ("SILENT", "HEARD")])
    assert dev["SILENT"]["classification"] == "not-reporting", dev["SILENT"]
    assert dev["HEARD"]["classification"] == "in-progress", dev["HEARD"]
    assert names(t, "not-reporting") == ["SILENT"]
    # --stale-after moves the edge with it
    dev = run(t, rows, [target(s, "2026-12-31T12:00:00") for s in ("SILENT", "HEARD")],
              "--stale-after", "8d")
    assert dev["SILENT"]["classification"] == "in-progress", dev["SILENT"]


def test_downloading_for_exactly_stuck_after_is_stuck(t):
    rows = [status("STUCK", "Downloading", "2026-11-25T12:00:00Z"),
            status("STUCK", "Downloading", "2026-11-26T11:00:00Z"),
            status("NOTYET", "Downloading", "2026-11-25T12:00:01Z"),
            status("NOTYET", "Downloading", "2026-11-26T11:00:00Z")]
    dev = run(t, rows, [target(s, "2026-12-31T12:00:00") for s in ("STUCK", "NOTYET")])
    assert dev["STUCK"]["classification"] == "stuck-downloading", dev["STUCK"]
    assert dev["STUCK"]["status_since"] == "2026-11-25T12:00:00Z", dev["STUCK"]
    assert dev["NOTYET"]["classification"] == "in-progress", dev["NOTYET"]
    assert names(t, "stuck-downloading") == ["STUCK"]


def test_a_deadline_exactly_due_within_away_is_due_soon(t):
    rows = [status(s, "Pending", "2026-11-26T11:00:00Z") for s in ("EDGE", "BEYOND")]
    dev = run(t, rows, [target("EDGE", "2026-11-27T12:00:00"),
                        target("BEYOND", "2026-11-27T12:00:01")])
    assert dev["EDGE"]["classification"] == "due-soon", dev["EDGE"]
    assert dev["BEYOND"]["classification"] == "in-progress", dev["BEYOND"]
    assert names(t, "due-soon") == ["EDGE"]


def test_a_report_at_as_of_counts_and_one_a_second_later_does_not(t):
    rows = [status("AT", "Pending", "2026-11-26T10:00:00Z"),
            status("AT", "Pass", "2026-11-26T12:00:00Z", "26.1"),
            status("LATER", "Pending", "2026-11-26T10:00:00Z"),
            status("LATER", "Pass", "2026-11-26T12:00:01Z", "26.1")]
    dev = run(t, rows, [target(s, "2026-11-26T06:00:00") for s in ("AT", "LATER")])
    assert dev["AT"]["classification"] == "compliant", dev["AT"]
    assert dev["AT"]["last_seen"] == "2026-11-26T12:00:00Z", dev["AT"]
    assert dev["LATER"]["classification"] == "past-deadline", dev["LATER"]
    assert dev["LATER"]["last_seen"] == "2026-11-26T10:00:00Z", dev["LATER"]


def test_durations_round_half_away_from_zero(t):
    # 540 s past the deadline is 0.15 h: written 0.2 (as the README says),
    # not 0.1 (0.15 is a little below itself in binary)
    rows = [status("TIE", "Downloading", "2026-11-26T11:00:00Z")]
    dev = run(t, rows, [target("TIE", "2026-11-26T11:51:00")])
    assert dev["TIE"]["classification"] == "past-deadline", dev["TIE"]
    (row,) = t.csv("past-deadline")
    assert (row["hours_overdue"], row["days_overdue"]) == ("0.2", "0.0"), row
