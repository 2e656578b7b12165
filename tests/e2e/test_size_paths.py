"""Answers that must not change with the code path that size or state picks:
an ingest into an empty database (rows appended, key built after, repeats
deleted) against one onto history (staged, sorted, INSERT OR IGNORE); the
evaluation split at the middle serial; numbers and dates at the edges of
what a workbook cell holds, read back against the CSV."""
from lib import STATUS_HEADER, TARGETS_HEADER

AS_OF = "2026-11-26T12:00:00Z"
FIELDS = STATUS_HEADER.strip().split(",")


def srow(serial, status, at, **kw):
    f = dict(serial_number=serial, status=status, reported_at=at, platform="macOS",
             os_version="26.0", time_zone="UTC", **kw)
    return ",".join(f.get(k, "") for k in FIELDS) + "\n"


def sheet_dicts(ws):
    """Rows of a report sheet's table (title row, then header) as dicts."""
    rows = list(ws.iter_rows(values_only=True))
    head = rows[1]
    return [dict(zip(head, r)) for r in rows[2:] if r[0] is not None]


def test_a_failure_count_past_2_53_reads_in_the_workbook_as_in_the_csv(t):
    # A double holds integers exactly only up to 2^53: written as a number,
    # 9007199254740993 read back as ...992 and 2^63-1 as 9.2e18, while the
    # CSV (and the database) keep the exact count.
    big = ["9007199254740993", "9223372036854775807"]
    st = t.write("s.csv", STATUS_HEADER
                 + srow("A1", "Error", "2026-11-25T10:00:00Z", failure_count=big[0],
                        failure_reason="x")
                 + srow("A2", "Error", "2026-11-25T10:00:00Z", failure_count=big[1],
                        failure_reason="y")
                 + srow("A3", "Error", "2026-11-25T10:00:00Z", failure_count="7",
                        failure_reason="z"))
    tg = t.write("t.csv", TARGETS_HEADER + "macOS,*,,26.1,,2026-12-20T09:00:00,\n")
    t.ok("run", "--out", t.out, "--as-of", AS_OF, st, tg)
    csv_counts = {r["serial_number"]: r["failure_count"] for r in t.csv("errors")}
    assert csv_counts == {"A1": big[0], "A2": big[1], "A3": "7"}, csv_counts
    wb = t.workbook()
    for sheet in ("Errors", "Devices"):
        got = {r["Serial number"]: r["Failures"] for r in sheet_dicts(wb[sheet])}
        assert str(got["A1"]) == big[0] and str(got["A2"]) == big[1], (sheet, got)
        assert got["A3"] == 7, (sheet, got)   # a plain count stays a number


def test_a_ddm_failure_count_is_its_number_or_none_never_its_leading_digit(t):
    # SQLite's CAST read the count's text by its leading digits: a count
    # of 1e20 (past a 64-bit integer) showed as 1 failure, 3.5 as 3, and a
    # negative count, which a CSV row is rejected for, was kept.  A count
    # that is no whole number from 0 up is unknown: an empty cell, not a
    # made-up one; whole numbers in any JSON form (1E3, 7.0) keep their value.
    counts = {"K1": "1E3", "K2": "7.0", "K3": "1e20", "K4": "3.5", "K5": "-5",
              "K6": "9007199254740993", "K7": "12"}
    lines = []
    for s, c in counts.items():
        lines.append('{"received_at":"2026-11-25T10:00:00Z","serial_number":"%s","report":'
                     '{"StatusItems":{"device":{"operating-system":{"version":"26.0",'
                     '"family":"macOS"}},"softwareupdate":{"install-state":"failed",'
                     '"failure-reason":{"count":%s,"reason":"disk"}}},"Errors":[],'
                     '"FullReport":true}}' % (s, c))
    nd = t.write("r.ndjson", "\n".join(lines) + "\n")
    tg = t.write("t.csv", TARGETS_HEADER + "macOS,*,,26.1,,2026-12-20T09:00:00,\n")
    t.ok("run", "--out", t.out, "--as-of", AS_OF, nd, tg)
    got = {r["serial_number"]: r["failure_count"] for r in t.csv("errors")}
    assert got == {"K1": "1000", "K2": "7", "K3": "", "K4": "", "K5": "",
                   "K6": "9007199254740993", "K7": "12"}, got
    rows = {r["Serial number"]: r["Failures"] for r in sheet_dicts(t.workbook()["Errors"])}
    assert rows["K1"] == 1000 and rows["K3"] is None, rows
