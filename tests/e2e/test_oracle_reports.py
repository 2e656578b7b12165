"""The detail reports against the differential oracle of test_oracle.py:
each report lists exactly the devices that meet its own criterion (the
README's table "report | lists every device that is"), each with the
device's one classification beside it, and its derived columns are what
the README and the report's header say (hours and days to one decimal,
rounded half away from zero; user_notice by Apple's schedule; `never` for
a device never heard from).  summary.csv and the trend's last row count
each device once, by the oracle's classification and platform.

The same seeded random fleets as test_oracle (canonical CSV exports fed
in any order, inventories, targets of every scope, zones and none).
"""
from fractions import Fraction

from test_oracle import (DAY, DUE_WITHIN, HOUR, STALE_AFTER, STUCK_AFTER, fleet, iso, oracle,
                         write_fleet)


def r1(num, den):
    """num / den to one decimal, half away from zero (SQLite's round)."""
    x = Fraction(num, den) * 10
    n = abs(x)
    q = int(n) + (1 if n - int(n) >= Fraction(1, 2) else 0)
    return (q if x >= 0 else -q) / 10


def run_fleet(t, seed, n=250):
    inv, rows, targets, as_of = fleet(seed, n)
    default_tz = "Asia/Tokyo" if seed % 2 else None
    files = write_fleet(t, f"s{seed}", inv, rows, targets, seed)
    out = t.path(f"out{seed}")
    r = t.run("run", "--db", t.path(f"s{seed}.db"), "--out", out, "--as-of", iso(as_of),
              "--max-rejected", "100%", *(["--default-tz", default_tz] if default_tz else []),
              *files)
    assert r.rc == 0, r
    return oracle(inv, rows, targets[2], as_of, default_tz), as_of, out


def criteria(w, as_of):
    """Per report, whether the oracle's device row meets its criterion."""
    below = w["_below"]
    seen = w["_last_seen"]
    heard = seen is not None and seen > as_of - STALE_AFTER
    return {
        "past-deadline": below and as_of >= w["_d_utc"],
        "errors": below and w["status"] == "Error",
        "stuck-downloading": below and w["status"] == "Downloading"
        and w["_since"] <= as_of - STUCK_AFTER and heard,
        "not-reporting": not heard,
        "due-soon": below and as_of < w["_d_utc"] and w["_d_early"] <= as_of + DUE_WITHIN,
    }


def derived(report, w, as_of):
    """The report's own columns, from the oracle's row."""
    if report == "past-deadline":
        late = as_of - w["_d_utc"]
        return {"hours_overdue": r1(late, HOUR), "days_overdue": r1(late, DAY)}
    if report == "due-soon":
        left = w["_d_utc"] - as_of
        notice = "daily" if left > DAY else "hourly" if left > HOUR else "final-hour"
        return {"hours_left": r1(left, HOUR), "user_notice": notice}
    if report == "stuck-downloading":
        held = as_of - w["_since"]
        return {"hours_in_status": r1(held, HOUR), "days_in_status": r1(held, DAY)}
    if report == "not-reporting":
        seen = w["_last_seen"]
        return {"last_seen": "never" if seen is None else iso(seen),
                "days_silent": None if seen is None else r1(as_of - seen, DAY)}
    return {}


def check_reports(t, seed):
    want, as_of, out = run_fleet(t, seed)
    diffs = []
    for report in ("past-deadline", "errors", "stuck-downloading", "not-reporting", "due-soon"):
        got = {r["serial_number"]: r for r in t.csv(report, where=out)}
        meets = {s for s, w in want.items() if criteria(w, as_of)[report]}
        for s in sorted(set(got) ^ meets):
            diffs.append((report, s, "listed by", "tool" if s in got else "oracle",
                          want.get(s, {}).get("classification")))
        for s in sorted(set(got) & meets):
            g, w = got[s], want[s]
            if g["classification"] != w["classification"]:
                diffs.append((report, s, "classification", g["classification"],
                              w["classification"]))
            for col, v in derived(report, w, as_of).items():
                if isinstance(v, float) or (v is None and col == "days_silent"):
                    ok = (g[col] == "") if v is None else abs(float(g[col]) - v) < 1e-9
                else:
                    ok = g[col] == v
                if not ok:
                    diffs.append((report, s, col, g[col], v))
    # the Summary counts each device once, by classification and platform
    summary = {r["classification"]: r for r in t.csv("summary", where=out)}
    counts = {}
    for w in want.values():
        col = {"macOS": "macos", "iOS": "ios", "iPadOS": "ipados"}.get(w["platform"], "other")
        c = counts.setdefault(w["classification"], {"devices": 0, "macos": 0, "ios": 0,
                                                    "ipados": 0, "other": 0})
        c["devices"] += 1
        c[col] += 1
    for cls, row in summary.items():
        c = counts.get(cls, {"devices": 0, "macos": 0, "ios": 0, "ipados": 0, "other": 0})
        for k, v in c.items():
            if int(row[k] or 0) != v:
                diffs.append(("summary", cls, k, row[k], v))
    for cls in set(counts) - set(summary):
        diffs.append(("summary", cls, "missing", counts[cls]))
    trend = t.csv("trend", where=out)[-1]
    for cls, c in counts.items():
        if int(trend[cls.replace("-", "_")]) != c["devices"]:
            diffs.append(("trend", cls, trend[cls.replace("-", "_")], c["devices"]))
    assert int(trend["devices"]) == len(want), (trend, len(want))
    return diffs


def test_detail_reports_list_exactly_the_devices_meeting_their_criteria(t):
    for seed in (3, 8, 21):
        diffs = check_reports(t, seed)
        assert not diffs, f"seed {seed}: {len(diffs)} differences, first: {diffs[:6]}"
