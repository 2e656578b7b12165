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
             os_version="26.0", time_zone="UTC")
    f.update(kw)
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


def _one_night(t, name, seed):
    """The same status file into an empty database (appended, key built
    after, repeats deleted) or onto one other device's history (staged,
    sorted, INSERT OR IGNORE): the devices, errors and Inputs' counts."""
    db = t.path(name + ".db")
    out = t.path(name)
    rows = (srow("B1", "Error", "2026-11-25T10:00:00Z", failure_count="3",
                 failure_reason="first")
            + srow("b1 ", "Error", "2026-11-25T10:00:00Z", failure_count="4",
                   failure_reason="second")                       # the same report
            + srow("B1", "Downloading", "2026-11-25T10:00:00Z")   # same second
            + srow("B2", "Downloading", "2026-11-25T10:00:00.9Z")
            + srow("B2", "Downloading", "2026-11-25T10:00:00Z", os_version="26.1")
            + srow("B3", "Pass", "2026-11-25T11:00:00+01:00", os_version="26.1")
            + srow("B3", "Pass", "2026-11-25T10:00:00Z")
            + srow("", "Pass", "2026-11-25T10:00:00Z")            # rejected
            + srow("B4", "Pass", "yesterday")                     # rejected
            + srow("B5", "Idle", "2026-11-24T10:00:00Z"))
    f = t.write("night.csv", STATUS_HEADER + rows)
    tg = t.write("t.csv", TARGETS_HEADER + "macOS,*,,26.1,,2026-12-20T09:00:00,\n")
    if seed:
        s = t.write("seed.csv", STATUS_HEADER + srow("ZZ9", "Idle", "2026-11-01T10:00:00Z"))
        t.ok("ingest", "--db", db, s)
    r = t.run("run", "--db", db, "--out", out, "--as-of", AS_OF, "--max-rejected", "50%", f, tg)
    assert r.rc == 0, r
    devices = [d for d in t.csv("devices", out) if d["serial_number"] != "ZZ9"]
    wb = t.workbook(out)
    inputs = [r for r in sheet_dicts(wb["Inputs"]) if str(r.get("File", "")).endswith("night.csv")]
    latency = [d for d in t.csv("patch-latency", out) if d["serial_number"] != "ZZ9"]
    return devices, t.csv("errors", out), latency, \
        [{k: v for k, v in r.items() if "ngested" not in str(k)} for r in inputs]


def test_a_file_gives_the_same_answers_into_an_empty_database_and_onto_history(t):
    empty = _one_night(t, "empty", seed=False)
    onto = _one_night(t, "onto", seed=True)
    assert empty == onto, (empty, onto)
    devices, errors, _, inputs = empty
    assert [d["serial_number"] for d in devices] == ["B1", "B2", "B3", "B5"], devices
    # the first row of a report given twice is kept, in both paths
    assert [(e["serial_number"], e["failure_reason"]) for e in errors] == [("B1", "first")], errors
    assert len(inputs) == 1, inputs


def _ddm_file(t, name, pad, n=1500):
    """n Macs, each a full report, then an incremental one (failed with a
    reason padded by pad characters, or at 26.1), and for every fifth a
    backlog report older than the newer one, arriving after it."""
    import json
    per = []
    for i in range(n):
        s = f"D{i:05d}"
        dev = {"identifier": {"serial-number": s},
               "operating-system": {"version": "26.0", "family": "macOS"}}
        ev = [("2026-11-22T10:00:00Z", True, {"device": dev, "softwareupdate": {
            "install-state": "downloading", "pending-version": {
                "os-version": "26.1", "target-local-date-time": "2026-11-24T09:00:00"}}})]
        if i % 2 == 0:
            ev.append(("2026-11-25T10:00:00Z", False, {"softwareupdate": {
                "install-state": "failed", "failure-reason": {
                    "count": i % 7 + 1, "reason": "R" * pad + str(i)}}}))
        else:
            ev.append(("2026-11-25T10:00:00Z", False, {"device": {
                "operating-system": {"version": "26.1"}}, "softwareupdate": {
                    "install-state": "none"}}))
        if i % 5 == 0:
            ev.append(("2026-11-23T10:00:00Z", False, {"softwareupdate": {
                "install-state": "installing"}}))
        per.append([json.dumps({"received_at": at, "serial_number": s, "report": {
            "StatusItems": items, "Errors": [], "FullReport": full}}) for at, full, items in ev])
    # the devices' reports interleaved, each device's in order
    lines = [p[k] for k in range(3) for p in per if k < len(p)]
    return t.write(name, "\n".join(lines) + "\n")


def test_ddm_reports_past_the_in_memory_stage_give_the_same_answers(t):
    # A file's staged reports pass 16 MiB and go through a temp table; the
    # same reports with short reasons stay in memory.  Every report but the
    # reasons' padding must read alike.
    import re
    tg = t.write("t.csv", TARGETS_HEADER + "macOS,*,,26.1,,2026-12-20T09:00:00,\n")
    got = []
    for name, pad in (("small", 0), ("big", 28000)):
        f = _ddm_file(t, name + ".ndjson", pad)
        out = t.path(name)
        t.ok("run", "--db", t.path(name + ".db"), "--out", out, "--as-of", AS_OF, f, tg)
        got.append({rep: [{k: re.sub("R{2,}", "", v) for k, v in d.items()}
                          for d in t.csv(rep, out)]
                    for rep in ("devices", "past-deadline", "errors", "stuck-downloading",
                                "patch-latency", "summary")})
    small, big = got
    assert len(big["devices"]) == 1500 and len(big["errors"]) == 750, \
        (len(big["devices"]), len(big["errors"]))
    for rep in small:
        assert small[rep] == big[rep], rep
