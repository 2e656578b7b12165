"""Metamorphic invariants: the same facts about a fleet, given to ddmreport
in different but equivalent ways, give the same answers; and one report
set agrees with itself (Summary counts, detail reports, workbook sheets).
Inputs are samples/ (read, never written)."""
import collections
import glob
import os

from lib import SAMPLES, SAMPLES_AS_OF

WEBHOOK_LOGS = sorted(glob.glob(os.path.join(SAMPLES, "status", "nanomdm-webhook-*.ndjson")))


def _run(t, name, *inputs):
    db = t.path(name + ".db")
    out = t.path(name)
    r = t.run("run", "--db", db, "--out", out, "--as-of", SAMPLES_AS_OF, "--max-rejected", "100%",
              *inputs)
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
