"""The differential oracle of test_oracle, carried on to the detail
reports: for seeded random fleets, every detail report (past-deadline,
errors, stuck-downloading, not-reporting, due-soon) must list exactly the
devices that meet its own criterion in the README's second table "report |
lists every device that is" (not the devices of one classification), each
with the device's one classification beside it, in the README's order, and
each derived column (hours_overdue, days_overdue, enforcement,
first_report_after_deadline, hours_left, user_notice, hours_in_status,
days_in_status, days_silent, last_seen `never`, the latest report's
failure count and reason) as the README words it, computed here from the
oracle's per-device rows and the raw inputs; with the default windows and
others.  The summary's counts per classification and platform, the trend's
row of each night (compliant_pct as the README defines it), the Summary
sheet's tables, --fail-on's notes, `report NAME --out -` and the workbook's
detail sheets must say the same.
"""
import contextlib
import csv
import datetime as dt
import os

import test_oracle as oracle_module
from lib import INVENTORY_HEADER, ROOT, STATUS_HEADER, TARGETS_HEADER, parse_csv, sheet_rows
from test_oracle import (DAY, HOUR, SPELLINGS, ZONES, epoch, fleet, iso, oracle, vkey,
                         write_fleet)

CLASSES = ["past-deadline", "error", "stuck-downloading", "not-reporting", "due-soon",
           "in-progress", "compliant", "no-target", "out-of-scope"]
# the rest are in scope, with a target, below it
NOT_BELOW = ("compliant", "out-of-scope", "no-target")


def rounded(num, den, places):
    """NUM / DEN to PLACES decimals, a half away from zero, as a float."""
    n = num * 10 ** places
    q, r = divmod(abs(n), den)
    q += 1 if 2 * r >= den else 0
    return (q if n >= 0 else -q) / 10 ** places


def tenths(seconds, unit):
    """SECONDS in UNIT to one decimal, a half rounded away from zero (the
    README: "to one decimal"), in integers so no float decides a tie."""
    n = seconds * 10
    q, r = divmod(abs(n), unit)
    q += 1 if 2 * r >= unit else 0
    q = q if n >= 0 else -q
    return "%s%d.%d" % ("-" if q < 0 else "", abs(q) // 10, abs(q) % 10)


@contextlib.contextmanager
def windows(stuck, stale, due):
    """The oracle's --stuck-after, --stale-after, --due-within (its
    module's constants, the defaults) set to others for a while."""
    m = oracle_module
    keep = m.STUCK_AFTER, m.STALE_AFTER, m.DUE_WITHIN
    m.STUCK_AFTER, m.STALE_AFTER, m.DUE_WITHIN = stuck, stale, due
    try:
        yield
    finally:
        m.STUCK_AFTER, m.STALE_AFTER, m.DUE_WITHIN = keep


def expected_reports(inv, rows, targets, as_of, default_tz):
    """Per report, serial -> the row the README says it holds."""
    STUCK_AFTER, STALE_AFTER, DUE_WITHIN = \
        oracle_module.STUCK_AFTER, oracle_module.STALE_AFTER, oracle_module.DUE_WITHIN
    want = oracle(inv, rows, targets, as_of, default_tz)
    reps = {}
    for r in rows:
        if r["at"] <= as_of:
            reps.setdefault(r["serial"], []).append(r["at"])
    out = {k: {} for k in ("past-deadline", "errors", "stuck-downloading",
                           "not-reporting", "due-soon")}
    for s, d in want.items():
        d["group"] = inv[s]["group"] if s in inv else ""
        below = d["classification"] not in NOT_BELOW
        last_seen = epoch(d["last_seen"]) if d["last_seen"] else None
        heard = last_seen is not None and last_seen > as_of - STALE_AFTER
        base = {"classification": d["classification"], "platform": d["platform"],
                "os_version": d["os_version"], "target_os_version": d["target_os_version"]}
        if below:
            d_utc = epoch(d["deadline_utc"])
            d_early = epoch(d["deadline_earliest_utc"])
            since = epoch(d["status_since"]) if d["status_since"] else None
            if as_of >= d_utc:
                # enforcement: seen after the deadline (a report, or the
                # inventory's check-in, the last one no earlier than the
                # first); the enforcement hour: first seen < 60 min ago
                first = min((t for t in reps.get(s, []) if t >= d_utc), default=None)
                check_in = inv[s]["check_in"] if s in inv else None
                if check_in is not None and not d_utc <= check_in <= as_of:
                    check_in = None
                seen = [t for t in (first, check_in) if t is not None]
                if not seen:
                    enforcement = "offline-at-deadline"
                elif as_of - min(seen) < HOUR:   # every version here is above the DDM floor
                    enforcement = "enforcement-hour"
                else:
                    enforcement = "enforcement-failed"
                out["past-deadline"][s] = dict(
                    base, deadline_utc=d["deadline_utc"], time_zone=d["time_zone"],
                    deadline_earliest_utc=d["deadline_earliest_utc"], status=d["status"],
                    last_seen=d["last_seen"], enforcement_mechanism="ddm",
                    enforcement=enforcement,
                    first_report_after_deadline=iso(first) if first is not None else "",
                    hours_overdue=tenths(as_of - d_utc, HOUR),
                    days_overdue=tenths(as_of - d_utc, DAY))
            if d["status"] == "Error":
                count, reason = failure(s, max(reps[s]))   # the latest report's
                out["errors"][s] = dict(base, status_since=d["status_since"],
                                        deadline_utc=d["deadline_utc"],
                                        last_seen=d["last_seen"],
                                        failure_count=count, failure_reason=reason)
            if d["status"] == "Downloading" and since <= as_of - STUCK_AFTER and heard:
                out["stuck-downloading"][s] = dict(
                    base, status_since=d["status_since"],
                    hours_in_status=tenths(as_of - since, HOUR),
                    days_in_status=tenths(as_of - since, DAY),
                    deadline_utc=d["deadline_utc"], last_seen=d["last_seen"])
            if as_of < d_utc and d_early <= as_of + DUE_WITHIN:
                left = d_utc - as_of
                out["due-soon"][s] = dict(
                    base, deadline_utc=d["deadline_utc"], time_zone=d["time_zone"],
                    deadline_earliest_utc=d["deadline_earliest_utc"],
                    hours_left=tenths(left, HOUR),
                    user_notice="daily" if left > DAY else "hourly" if left > HOUR
                    else "final-hour",
                    status=d["status"], last_seen=d["last_seen"])
        if not heard:
            out["not-reporting"][s] = dict(
                base, last_seen=d["last_seen"] or "never",
                days_silent=tenths(as_of - last_seen, DAY) if last_seen is not None else "",
                status=d["status"], deadline_utc=d["deadline_utc"])
    return want, out


def failure(serial, at):
    """The failure count and reason the fleet's report of SERIAL at AT
    carries: every report with a status of Error, some without either."""
    k = (int(serial[-5:]) * 7 + at) % 11
    return ("" if k == 0 else str(k), "" if k in (0, 1) else f"MDM code {k}, \"retry\" later")


def fill_failures(files):
    """Writes into each Error report of the fleet's status files its
    failure count and reason (test_oracle's fleet leaves them empty)."""
    for f in files:
        if "/status" not in f:
            continue
        with open(f, newline="") as fh:
            rows = list(csv.reader(fh))
        for r in rows[1:]:
            if r[1] in SPELLINGS["Error"]:
                at = int(dt.datetime.fromisoformat(r[2].replace(" ", "T").replace("Z", "+00:00"))
                         .timestamp())
                r[15], r[16] = failure(r[0], at)
        with open(f, "w", newline="") as fh:
            csv.writer(fh, lineterminator="\n").writerows(rows)


def run_fleet(t, seed, n, shift=0, ingest=True, options=()):
    """Runs ddmreport on fleet SEED as of its as-of minus SHIFT seconds
    (the inputs ingested only when INGEST: a later night of the same
    database); the oracle's devices and reports for that as-of."""
    inv, rows, targets, as_of = fleet(seed, n)
    as_of -= shift
    default_tz = ZONES[seed % len(ZONES)] if seed % 3 == 0 else None
    files = write_fleet(t, f"s{seed}", inv, rows, targets, seed) if ingest else []
    if ingest:
        fill_failures(files)
    out = t.path(f"out{seed}-{shift}")
    r = t.run("run", "--db", t.path(f"s{seed}.db"), "--out", out, "--as-of", iso(as_of),
              "--max-rejected", "100%", *(["--default-tz", default_tz] if default_tz else []),
              *options, *files)
    want, reports = expected_reports(inv, rows, targets[2], as_of, default_tz)
    if "--fail-on" in options:
        # --fail-on counts a report's rows, so by its criterion: one note
        # per listed report with rows, exit 1 when any has
        listed = options[options.index("--fail-on") + 1].split(",")
        notes = sorted(line for line in r.err.splitlines() if "--fail-on" in line)
        assert notes == sorted(f"ddmreport: note: --fail-on: report {n} has {len(reports[n])} "
                               + ("row" if len(reports[n]) == 1 else "rows")
                               for n in listed if reports[n]), (notes, r)
        assert r.rc == (1 if any(reports[n] for n in listed) else 0), r
    else:
        assert r.rc == 0, r
    return out, as_of, want, reports


def counts_of(want):
    """Per classification: devices, and per platform column of summary."""
    col = {"macOS": "macos", "iOS": "ios", "iPadOS": "ipados"}
    counts = {c: {"devices": 0, "macos": 0, "ios": 0, "ipados": 0, "other": 0} for c in CLASSES}
    for d in want.values():
        counts[d["classification"]]["devices"] += 1
        counts[d["classification"]][col.get(d["platform"], "other")] += 1
    return counts


def trend_row(as_of, counts):
    """The trend's row of a night: the counts, and compliant_pct the
    compliant share of the devices with a target, in scope."""
    row = {"as_of": iso(as_of), "devices": str(sum(c["devices"] for c in counts.values()))}
    for c in CLASSES:
        row[c.replace("-", "_")] = str(counts[c]["devices"])
    scoped = (int(row["devices"]) - counts["no-target"]["devices"]
              - counts["out-of-scope"]["devices"])
    row["compliant_pct"] = tenths(100 * counts["compliant"]["devices"], scoped) if scoped else ""
    return row


ORDER = {"past-deadline": lambda r: r["deadline_utc"],
         "due-soon": lambda r: r["deadline_utc"],
         "errors": lambda r: r["status_since"],
         "stuck-downloading": lambda r: r["status_since"],
         "not-reporting": lambda r: (r["last_seen"] != "never", r["last_seen"])}


def check_fleet(t, seed, n=250, shift=0, ingest=True, options=()):
    out, as_of, want, reports = run_fleet(t, seed, n, shift, ingest, options)
    diffs = []
    for name, exp in reports.items():
        got_rows = t.csv(name, where=out)
        got = {g["serial_number"]: g for g in got_rows}
        assert len(got) == len(got_rows), (seed, name, "a device listed twice")
        if set(got) == set(exp):
            # most urgent first (README, "Reports"); serial on a tie
            order = sorted(exp, key=lambda x: (ORDER[name](exp[x]), x))
            assert [g["serial_number"] for g in got_rows] == order, (seed, name)
        for s in sorted(set(got) | set(exp)):
            if s not in got or s not in exp:
                diffs.append((name, s, "listed by", "tool" if s in got else "oracle",
                              want[s]["classification"]))
                continue
            for f, v in exp[s].items():
                if f == "target_os_version" and got[s][f] and v and vkey(got[s][f]) == vkey(v):
                    continue  # 26.1 and 26.1.0 due at once: the same target (as test_oracle)
                if got[s][f] != v:
                    diffs.append((name, s, f, "tool", got[s][f], "oracle", v))
            if name == "errors":
                # the vendor's word, whichever spelling it used
                if got[s]["status_raw"] not in SPELLINGS["Error"]:
                    diffs.append((name, s, "status_raw", got[s]["status_raw"]))
    # the Devices report says the same of each device's enforcement
    for d in t.csv("devices", where=out):
        e = reports["past-deadline"].get(d["serial_number"], {}).get("enforcement", "")
        if d["enforcement"] != e:
            diffs.append(("devices", d["serial_number"], "enforcement", d["enforcement"], e))
    assert not diffs, f"seed {seed}: {len(diffs)} differences, first: {diffs[:6]}"
    # the summary: each device once, per classification and platform
    counts = counts_of(want)
    summary = t.csv("summary", where=out)
    assert [r["classification"] for r in summary] == CLASSES, summary
    got = {r["classification"]: {k: int(r[k]) for k in counts["compliant"]} for r in summary}
    assert got == counts, (seed, got, counts)
    assert sum(c["devices"] for c in got.values()) == len(want)
    # the trend's row of this night, last
    assert t.csv("trend", where=out)[-1] == trend_row(as_of, counts)
    sizes = {k: len(v) for k, v in reports.items()}
    check_summary_sheet(t, out, as_of, want, counts, sizes, reports)
    return out, as_of, counts, sizes


LABEL = {"past-deadline": "Past deadline", "error": "Error",
         "stuck-downloading": "Stuck downloading", "not-reporting": "Not reporting",
         "due-soon": "Due soon", "in-progress": "In progress", "compliant": "Compliant",
         "no-target": "No target", "out-of-scope": "Out of scope"}
ENFORCEMENT = {"offline-at-deadline": "Offline at deadline",
               "enforcement-hour": "In the enforcement hour",
               "enforcement-failed": "Enforcement failed"}


def summary_tables(ws):
    """{table name: rows} of the Summary sheet, header row first."""
    out = {}
    for name, ref in ws.tables.items():
        rows = [[c.value for c in row] for row in ws[ref]]
        out[name] = rows
    return out


def compliance(rows):
    """Per key: [in scope, compliant, past deadline, not yet compliant,
    compliance] of (key, classification) pairs."""
    out = {}
    for key, cls in rows:
        if cls in ("no-target", "out-of-scope"):
            continue
        o = out.setdefault(key, [0, 0, 0, 0])
        o[0] += 1
        o[1 if cls == "compliant" else 2 if cls == "past-deadline" else 3] += 1
    return {k: v + [rounded(v[1], v[0], 4)] for k, v in out.items()}


def check_summary_sheet(t, out, as_of, want, counts, sizes, reports):
    """The workbook's Summary: headline figures (each beside its detail
    sheet's row count), devices by classification and platform,
    compliance by platform and by group, the 10 devices longest overdue."""
    tables = summary_tables(t.workbook(where=out)["Summary"])
    scope = len(want) - counts["no-target"]["devices"] - counts["out-of-scope"]["devices"]
    listed = {"past-deadline": sizes["past-deadline"], "due-soon": sizes["due-soon"],
              "stuck-downloading": sizes["stuck-downloading"], "error": sizes["errors"],
              "not-reporting": sizes["not-reporting"]}
    head = [["All devices", len(want), None, len(want)], ["Devices in scope", scope, None, None]]
    for c in ("compliant", "past-deadline", "due-soon", "stuck-downloading", "error",
              "not-reporting", "in-progress", "no-target", "out-of-scope"):
        n = counts[c]["devices"]
        head.append([{"error": "Errors"}.get(c, LABEL[c]), n,
                     rounded(n, scope, 4) if scope and c not in ("no-target", "out-of-scope")
                     else None, listed.get(c)])
    assert tables["T_summary_headline"][1:] == head, (tables["T_summary_headline"], head)
    main = [[LABEL[c]] + [counts[c][k] for k in ("devices", "macos", "ios", "ipados", "other")]
            for c in CLASSES]
    assert [r[:6] for r in tables["T_summary_main"][1:]] == main
    plat = compliance((d["platform"], d["classification"]) for d in want.values())
    assert {r[0]: r[1:] for r in tables["T_summary_platform"][1:]} == plat
    grp = compliance((d["group"] or "(no group)", d["classification"]) for d in want.values())
    got = [r for r in tables["T_summary_group"][1:]]
    assert {r[0]: r[1:] for r in got} == grp
    assert [r[0] for r in got] == sorted(grp, key=lambda g: (grp[g][4], -grp[g][0], g))
    # per target version (26.1 and 26.1.0 one row): the earliest and the
    # latest deadline of its devices
    tv = {}
    for d in want.values():
        if d["classification"] not in ("no-target", "out-of-scope"):
            k = (d["platform"], tuple(vkey(d["target_os_version"])[0]),
                 vkey(d["target_os_version"])[1])
            tv.setdefault(k, []).append(d)
    exp = {}
    for k, ds in tv.items():
        c = compliance((k, d["classification"]) for d in ds)[k]
        exp[k] = [min(d["deadline_utc"] for d in ds), max(d["deadline_utc"] for d in ds)] + c
    got = {}
    for r in tables["T_summary_target"][1:]:
        k = (r[0], tuple(vkey(r[1])[0]), vkey(r[1])[1])
        assert k not in got, ("one target version in two rows", r)
        got[k] = [r[2].strftime("%Y-%m-%dT%H:%M:%SZ"), r[3].strftime("%Y-%m-%dT%H:%M:%SZ")] + r[4:]
    assert got == exp
    past = sorted(reports["past-deadline"].items(), key=lambda x: (x[1]["deadline_utc"], x[0]))
    worst = [[s, want[s]["os_version"] or None, vkey(want[s]["target_os_version"]),
              float(tenths(as_of - epoch(r["deadline_utc"]), DAY)), ENFORCEMENT[r["enforcement"]]]
             for s, r in past[:10]]
    assert [[r[0], r[5], vkey(r[6]), r[8], r[9]] for r in tables["T_summary_worst"][1:]] == worst


def test_oracle_detail_reports_agree(t):
    sizes = {}
    fail_on = ("--fail-on", "past-deadline,errors,stuck-downloading,not-reporting,due-soon")
    for seed in (1, 2, 3, 17, 40):
        for k, v in check_fleet(t, seed, options=fail_on if seed % 2 else ())[3].items():
            sizes[k] = sizes.get(k, 0) + v
    # every report was exercised, not compared empty
    assert all(v >= 3 for v in sizes.values()), sizes


SHEETS = {"past-deadline": "Past deadline", "errors": "Errors",
          "stuck-downloading": "Stuck downloading", "not-reporting": "Not reporting",
          "due-soon": "Due soon"}


def test_oracle_detail_sheets_and_a_second_night(t):
    # a night as of the day before, then the fleet's own night from the
    # same database: each run's reports are the oracle's for its as-of,
    # and the trend keeps both nights, oldest first
    seed = 5
    _, night1, counts1, _ = check_fleet(t, seed, shift=DAY)
    out, night2, counts2, sizes = check_fleet(t, seed, ingest=False)
    assert t.csv("trend", where=out) == [trend_row(night1, counts1), trend_row(night2, counts2)]
    # the night before reproduced: its reports are the oracle's for it,
    # its trend ends with it, and it records no row (the trend keeps what
    # each night saw)
    again = check_fleet(t, seed, shift=DAY, ingest=False)[0]
    assert t.csv("trend", where=again) == [trend_row(night1, counts1)]
    # an hour later, the same day (in the server's zone, UTC here): its
    # row replaces the night's (check_fleet has checked it is the last)
    assert iso(night2)[:10] == iso(night2 + HOUR)[:10]
    later = check_fleet(t, seed, shift=-HOUR, ingest=False)[0]
    assert t.csv("trend", where=later)[:-1] == [trend_row(night1, counts1)]
    # `report NAME --out -` from the same database writes the same rows
    for name in SHEETS:
        r = t.run("report", name, "--db", t.path(f"s{seed}.db"), "--out", "-",
                  "--as-of", iso(night2), db=False)
        assert r.rc == 0, r
        assert parse_csv(r.out) == t.csv(name, where=out), name
    # the workbook's detail sheets list the rows of their CSV, one for one,
    # every cell saying what the CSV's does (numbers as numbers, times as
    # date cells, machine values as their labels)
    wb = t.workbook(where=out)
    labels = {}
    with open(os.path.join(ROOT, "templates", "labels.map")) as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                col, val, label = line.split(None, 2)
                labels[(col, val)] = label.strip()
    for name, sheet in SHEETS.items():
        _, rows = sheet_rows(wb[sheet])
        csv_rows = t.csv(name, where=out)
        assert [r[0] for r in rows] == [c["serial_number"] for c in csv_rows], name
        assert len(rows) == sizes[name], (name, len(rows), sizes[name])
        with open(os.path.join(ROOT, "templates", f"{name}.tmpl")) as f:
            lines = f.read().splitlines()
        cols = [line.split()[1:4] for line in lines if line.startswith("col ")]
        # `blank COLUMN TEXT`: what the sheet shows for an empty value
        blank = dict(line.split(None, 2)[1:] for line in lines if line.startswith("blank "))
        for srow, crow in zip(rows, csv_rows):
            for (col, _, kind), cell in zip(cols, srow):
                v = crow[col] or blank.get(col, "")
                if kind in ("number", "int"):
                    want = float(v) if v else None
                elif kind in ("datetime", "local") and isinstance(cell, dt.datetime):
                    want = v.rstrip("Z")
                    cell = cell.strftime("%Y-%m-%dT%H:%M:%S")
                else:
                    want = labels.get((col, v), v) or None
                assert cell == want, (name, crow["serial_number"], col, cell, v)


def test_oracle_detail_reports_agree_with_other_windows(t):
    # --stuck-after, --stale-after, --due-within away from their defaults
    # (a stale limit shorter than the stuck one: a silent download is no
    # longer stuck but not-reporting)
    sizes = {}
    for seed, (stuck, stale, due) in ((7, (3 * DAY, 2 * DAY, 2 * DAY)),
                                      (8, (6 * HOUR, 4 * DAY, 3 * DAY)),
                                      (9, (2 * DAY, DAY + HOUR, 90 * 60))):
        opts = ("--stuck-after", f"{stuck}s", "--stale-after", f"{stale}s",
                "--due-within", f"{due}s")
        with windows(stuck, stale, due):
            for k, v in check_fleet(t, seed, options=opts)[3].items():
                sizes[k] = sizes.get(k, 0) + v
    assert all(v >= 3 for v in sizes.values()), sizes


def _status(serial, st, at, os_version="26.0", platform="macOS", tz="UTC"):
    return f"{serial},{st},{at},,,,{platform},,{os_version},,,,,,{tz},,\n"


def test_durations_round_to_one_decimal_and_user_notice_compares_seconds(t):
    # The README: durations are exact seconds shown to one decimal, a
    # half away from zero; user_notice compares the seconds.  So 59 and 61
    # minutes left both show 1.0 hours, final-hour and hourly; 9 minutes
    # (0.15 h, a tie) shows 0.2; 2 minutes 0.0; and past the deadline by
    # 15 minutes (0.25 h) shows 0.3 hours overdue.
    as_of = "2026-11-26T12:00:00Z"
    st = t.write("s.csv", STATUS_HEADER + "".join(
        _status(s, "Pending", "2026-11-26T11:30:00Z") for s in ("D1", "D2", "D3", "D4", "D5"))
        + _status("D6", "Pending", "2026-11-16T10:48:00Z")
        + _status("D7", "Pass", "2026-11-26T11:30:00Z", "26.1"))
    tg = t.write("t.csv", TARGETS_HEADER +
                 "macOS,,D1,26.1,,2026-11-26T12:59:00,\n"
                 "macOS,,D2,26.1,,2026-11-26T13:01:00,\n"
                 "macOS,,D3,26.1,,2026-11-26T12:09:00,\n"
                 "macOS,,D4,26.1,,2026-11-26T12:02:00,\n"
                 "macOS,,D5,26.1,,2026-11-26T11:45:00,\n"
                 "macOS,,D6,26.1,,2026-11-27T13:00:00,\n"
                 "macOS,,D7,26.1,,2026-11-27T13:00:00,\n")
    t.ok("run", "--out", t.out, "--as-of", as_of, st, tg)
    due = {r["serial_number"]: (r["hours_left"], r["user_notice"]) for r in t.csv("due-soon")}
    assert due == {"D1": ("1.0", "final-hour"), "D2": ("1.0", "hourly"),
                   "D3": ("0.2", "final-hour"), "D4": ("0.0", "final-hour")}, due
    (past,) = t.csv("past-deadline")
    assert (past["serial_number"], past["hours_overdue"], past["days_overdue"]) == \
        ("D5", "0.3", "0.0"), past
    # silent since Nov 16 10:48: 10.05 days, a tie, shows 10.1; D6's 25 h
    # left are no notice (not-reporting outranks due-soon, and the
    # deadline is not within the window)
    (silent,) = t.csv("not-reporting")
    assert (silent["serial_number"], silent["days_silent"], silent["classification"]) == \
        ("D6", "10.1", "not-reporting"), silent
    # compliant_pct: 1 of 7 in scope, 14.285... -> 14.3
    (trend,) = t.csv("trend")
    assert (trend["compliant"], trend["compliant_pct"]) == ("1", "14.3"), trend


def test_compliant_pct_is_empty_with_no_device_in_scope(t):
    # no target anywhere: no share to give (not 0 %, not 100 %)
    st = t.write("s.csv", STATUS_HEADER + _status("N1", "Pending", "2026-11-25T11:00:00Z")
                 + _status("N2", "Incompatible", "2026-11-25T11:00:00Z"))
    inv = t.write("i.csv", INVENTORY_HEADER + "N3,,,,iOS,,UTC,2026-11-25T10:00:00Z,18.7\n")
    t.ok("run", "--out", t.out, "--as-of", "2026-11-26T12:00:00Z", st, inv)
    (trend,) = t.csv("trend")
    assert (trend["devices"], trend["no_target"], trend["out_of_scope"],
            trend["compliant_pct"]) == ("3", "2", "1", ""), trend
