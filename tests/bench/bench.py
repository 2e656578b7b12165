#!/usr/bin/python3
"""make bench: times whole commands and reports medians and ratios against a
reference run on the same machine (the sqlite3 shell's .import of the same
file).  Machines are noisy: each figure is the median of RUNS runs.

usage: bench.py [ROWS] [RUNS]      (defaults 1000000 and 3)
Environment: BENCH_DIR (default build/bench) holds generated exports;
BENCH_NIGHTS (default 30) nights of history for the history figure.
"""
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.path.join(ROOT, "ddmreport")
ROWS = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
RUNS = int(sys.argv[2]) if len(sys.argv) > 2 else 3
WORK = os.environ.get("BENCH_DIR", os.path.join(ROOT, "build", "bench"))


def export(night, rows=ROWS):
    path = os.path.join(WORK, f"export-{rows}-{night}.csv")
    if not os.path.exists(path):
        subprocess.run([sys.executable, os.path.join(ROOT, "tests/bench/gen_export.py"),
                        str(rows), path, str(night)], check=True)
    return path


def timed(cmd, setup=None):
    """Median wall time and max peak RSS (KiB) of cmd over RUNS runs."""
    times, rss = [], []
    for _ in range(RUNS):
        if setup:
            setup()
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        t0 = time.perf_counter()
        p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           cwd=WORK, env=dict(os.environ, LC_ALL="C", TZ="UTC"))
        times.append(time.perf_counter() - t0)
        if p.returncode not in (0, 1):
            sys.exit(f"bench: {' '.join(cmd)} failed ({p.returncode}): {p.stderr.decode()[-500:]}")
        rss.append(max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
    return statistics.median(times), max(rss)


def fresh(*paths):
    def f():
        for p in paths:
            if os.path.isdir(p):
                shutil.rmtree(p)
            for suffix in ("", "-wal", "-shm", ".lock"):
                if os.path.exists(p + suffix) and not os.path.isdir(p + suffix):
                    os.remove(p + suffix)
    return f


def main():
    os.makedirs(WORK, exist_ok=True)
    n0, n1 = export(0), export(1)
    db = os.path.join(WORK, "bench.db")
    ref_db = os.path.join(WORK, "import.db")
    out = os.path.join(WORK, "reports")
    as_of = "2026-11-22T12:00:00Z"
    rows = []
    ref, ref_rss = timed(["sqlite3", ref_db, f".import --csv {n0} t"], fresh(ref_db))
    rows.append(("sqlite3 .import (reference)", ref, ref_rss))
    rows.append(("ddmreport ingest, empty db",) + timed([BIN, "ingest", "--db", db, n0], fresh(db)))

    def night0():
        fresh(db)()
        subprocess.run([BIN, "ingest", "--db", db, n0], check=True, cwd=WORK)
    rows.append(("ddmreport ingest, 2nd night",) + timed([BIN, "ingest", "--db", db, n1], night0))
    rows.append(("ddmreport report (CSV + xlsx)",) + timed(
        [BIN, "report", "--db", db, "--out", out, "--as-of", as_of]))
    rows.append(("ddmreport run, empty db",) + timed(
        [BIN, "run", "--db", db, "--out", out, "--as-of", as_of, n0], fresh(db, out)))
    # History: the nightly report after 1 night and after NIGHTS nights of a
    # fleet a tenth the size; the ratio shows what history costs.
    hrows, nights = max(ROWS // 10, 1000), int(os.environ.get("BENCH_NIGHTS", "30"))
    hdb = os.path.join(WORK, "history.db")
    hout = os.path.join(WORK, "history-reports")
    fresh(hdb, hout)()
    subprocess.run([BIN, "ingest", "--db", hdb, export(0, hrows)], check=True, cwd=WORK)
    h_as_of = "2027-06-01T00:00:00Z"
    one = timed([BIN, "report", "--db", hdb, "--out", hout, "--as-of", h_as_of])
    for n in range(1, nights):
        subprocess.run([BIN, "ingest", "--db", hdb, export(n, hrows)], check=True, cwd=WORK)
    many = timed([BIN, "report", "--db", hdb, "--out", hout, "--as-of", h_as_of])
    print(f"bench: {ROWS} rows per export, median of {RUNS} runs, {os.cpu_count()} cpus")
    print(f"{'command':34} {'median s':>9} {'ratio':>7} {'peak RSS MiB':>13}")
    for name, t, rss in rows:
        print(f"{name:34} {t:9.2f} {t / ref:7.2f} {rss / 1024:13.0f}")
    print(f"history: {hrows} devices; report after 1 night {one[0]:.2f} s, after {nights} "
          f"nights {many[0]:.2f} s: ratio {many[0] / one[0]:.2f} (peak RSS {many[1] / 1024:.0f} MiB)")


if __name__ == "__main__":
    main()
