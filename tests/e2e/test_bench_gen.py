"""The benchmark's fleet generator (tests/bench/gen.py): the same seed gives
the same bytes, and the fleet it writes gives every report rows, as a real
fleet does (the benchmark measures real work, not empty sheets)."""
import filecmp
import os
import subprocess
import sys

from lib import ROOT, REFERENCE

GEN = os.path.join(ROOT, "tests", "bench", "gen.py")
WHAT = "canonical,kandji,ddm,inventory,targets"


def gen(out, seed, devices=3000, nights=2):
    p = subprocess.run([sys.executable, GEN, "--devices", str(devices), "--nights", str(nights),
                        "--seed", str(seed), "--what", WHAT, out],
                       capture_output=True, text=True, check=True)
    return p.stdout.strip()


def test_same_seed_same_bytes(t):
    a, b, c = t.path("a"), t.path("b"), t.path("c")
    assert gen(a, 7) == gen(b, 7)
    names = sorted(os.listdir(a))
    assert names == ["ddm-0.ndjson", "ddm-1.ndjson", "inventory.csv", "kandji-0.csv",
                     "kandji-1.csv", "status-0.csv", "status-1.csv", "targets.csv"]
    match, mismatch, errors = filecmp.cmpfiles(a, b, names, shallow=False)
    assert match == names, (mismatch, errors)
    gen(c, 8)
    assert not filecmp.cmp(os.path.join(a, "status-1.csv"), os.path.join(c, "status-1.csv"),
                           shallow=False)


def test_every_report_has_rows(t):
    d = t.path("fleet")
    as_of = gen(d, 1)
    feeds = [os.path.join(REFERENCE, "sofa", f)
             for f in ("v2-macos_data_feed.json", "v2-ios_data_feed.json")]
    r = t.run("run", "--out", t.out, "--as-of", as_of, "--quiet",
              *[os.path.join(d, f) for f in ("inventory.csv", "targets.csv",
                                             "status-0.csv", "status-1.csv")], *feeds)
    assert r.rc in (0, 65), r  # 65: the few rows with a bad time, by design
    for name in ("past-deadline", "due-soon", "stuck-downloading", "errors",
                 "not-reporting", "exploited", "rejected"):
        assert len(t.csv(name)) > 0, f"{name} is empty"
    counts = {row["classification"]: int(row["devices"]) for row in t.csv("summary")}
    assert sum(counts.values()) == 3000, counts
    assert all(counts[c] > 0 for c in ("past-deadline", "due-soon", "error", "compliant",
                                       "no-target", "out-of-scope")), counts
    # Kandji CSV and DDM NDJSON of the same night are accepted whole.
    r = t.run("ingest", "--db", t.path("k.db"), os.path.join(d, "kandji-1.csv"),
              os.path.join(d, "ddm-1.ndjson"))
    assert r.rc == 0 and "rejected" not in r.err, r
