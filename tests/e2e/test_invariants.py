"""Metamorphic invariants: the same facts about a fleet, given to ddmreport
in different but equivalent ways, give the same answers; and one report
set agrees with itself (Summary counts, detail reports, workbook sheets).
Inputs are samples/ (read, never written)."""
import collections
import glob
import os

from lib import SAMPLES, SAMPLES_AS_OF

WEBHOOK_LOGS = sorted(glob.glob(os.path.join(SAMPLES, "status", "nanomdm-webhook-*.ndjson")))


def _run(t, name, *inputs, max_rejected="100%"):
    db = t.path(name + ".db")
    out = t.path(name)
    r = t.run("run", "--db", db, "--out", out, "--as-of", SAMPLES_AS_OF,
              "--max-rejected", max_rejected, *inputs)
    assert r.rc == 0, r
    return {row["serial_number"]: row for row in t.csv("devices", where=out)}, out


def test_webhook_logs_in_any_order_give_the_same_devices(t):
    # A night's DDM status reports after the first name the device only by
    # its enrollment id: the serial comes with a full report (Apple sends
    # the items that changed). Given newest first (`ls -t`), the log that
    # ties an enrollment to its serial is read after the ones that need it,
    # and a file that both needs and tells it (an incremental report, then
    # a full one) was read as final before the file that told it: the
    # iPhone's newest report (Installing, after its deadline) was rejected
    # and it showed Cached since three days, "no status report since the
    # deadline".
    inv = os.path.join(SAMPLES, "inventory.csv")
    tg = os.path.join(SAMPLES, "targets.csv")
    fwd, _ = _run(t, "fwd", inv, tg, *WEBHOOK_LOGS)
    rev, out = _run(t, "rev", inv, tg, *reversed(WEBHOOK_LOGS))
    assert t.csv("rejected", where=out) == [], t.csv("rejected", where=out)[:3]
    differ = {s: [(k, fwd[s][k], rev[s][k]) for k in fwd[s] if fwd[s][k] != rev[s][k]]
              for s in fwd if fwd[s] != rev.get(s)}
    assert not differ, differ
    assert fwd["AW7JGYWS77"]["status"] == "Installing"


def _summary_table(wb, title):
    """Rows of the Summary's table under TITLE, to the next blank row."""
    rows, on = [], False
    for r in wb["Summary"].iter_rows(values_only=True):
        cells = [x for x in r if x is not None]
        if on:
            if not cells:
                break
            rows.append(cells)
        elif cells and cells[0] == title:
            on = True
    return rows[1:]


def _group_table_of_patch_latency(wb):
    return [list(r[1:10]) for r in wb["Patch latency"].iter_rows(values_only=True)
            if r and r[0] == "Group"]


def test_group_spelled_in_two_cases_is_one_group_on_the_summary(t):
    # Groups compare without case (a target for 'Sales' applies to a device
    # of 'SALES'), so the same fleet with half the Sales devices spelled
    # 'SALES' (another export, a hand-edited inventory) has the same
    # answers; the Summary's "Compliance by group" and the patch-latency
    # table showed 'Sales' 41.5% and 'SALES' 54.8% for one group at 48.2%.
    import csv
    import shutil
    src = t.path("samples")
    shutil.copytree(SAMPLES, src)
    inv = os.path.join(src, "inventory.csv")
    with open(inv, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    gi, n = rows[0].index("group"), 0
    for r in rows[1:]:
        if r[gi] == "Sales":
            n += 1
            if n % 2:
                r[gi] = "SALES"
    with open(inv, "w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    da, a = _run(t, "a", SAMPLES, max_rejected="5%")
    db_, b = _run(t, "b", src, max_rejected="5%")
    wa, wb = t.workbook(a), t.workbook(b)
    for table in ("Compliance by group",):
        ta = [[str(c).lower() for c in r] for r in _summary_table(wa, table)]
        tb = [[str(c).lower() for c in r] for r in _summary_table(wb, table)]
        assert sorted(ta) == sorted(tb), (ta, tb)
    pa = [[str(c).lower() for c in r] for r in _group_table_of_patch_latency(wa)]
    pb = [[str(c).lower() for c in r] for r in _group_table_of_patch_latency(wb)]
    assert sorted(pa) == sorted(pb), (pa, pb)
    # Each device keeps its group as written, and the same answer.
    assert {s: r["classification"] for s, r in da.items()} == \
        {s: r["classification"] for s, r in db_.items()}
    assert sum(r["group"] == "SALES" for r in db_.values()) > 0


def test_one_target_version_written_two_ways_is_one_row(t):
    # Versions compare numerically (26.1 == 26.1.0), so a group target
    # written '26.1.0' beside the fleet's '26.1' gives every device the same
    # answer; the Summary's "Compliance by target version" and the
    # patch-latency table per target showed macOS '26.1.0' (42 devices,
    # 61.9%) and '26.1' (121, 61.2%): two rows for one version.
    import shutil
    src = t.path("samples")
    shutil.copytree(SAMPLES, src)
    tg = os.path.join(src, "targets.csv")
    with open(tg, encoding="utf-8") as f:
        text = f.read()
    assert "\nmacOS,Engineering,,26.1," in text
    with open(tg, "w", encoding="utf-8") as f:
        f.write(text.replace("\nmacOS,Engineering,,26.1,", "\nmacOS,Engineering,,26.1.0,"))
    _, a = _run(t, "a", SAMPLES, max_rejected="5%")
    _, b = _run(t, "b", src, max_rejected="5%")
    wa, wb = t.workbook(a), t.workbook(b)
    ta = _summary_table(wa, "Compliance by target version")
    tb = _summary_table(wb, "Compliance by target version")
    assert ta == tb, (ta, tb)
    pa = [list(r[:10]) for r in wa["Patch latency"].iter_rows(values_only=True) if r[0] == "Target"]
    pb = [list(r[:10]) for r in wb["Patch latency"].iter_rows(values_only=True) if r[0] == "Target"]
    assert pa == pb, (pa, pb)
    ca = collections.Counter(r["classification"] for r in t.csv("devices", where=a))
    cb = collections.Counter(r["classification"] for r in t.csv("devices", where=b))
    assert ca == cb
