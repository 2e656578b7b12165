#!/usr/bin/python3
"""make bench: ddmreport against what an admin would reach for instead.

Every figure is a ratio to a reference timed in the same run on the same
machine and data, interleaved with ours (reference, ours, reference, ours,
...), each the median of BENCH_RUNS whole-process runs; wall time and the
peak RSS of that child (os.wait4's rusage, not the whole process tree's
maximum).  The table is printed at the end; with BENCH_RESULTS=FILE it is
also written there as Markdown (make bench writes bench/RESULTS.md).

Environment:
  BENCH_DEVICES  fleet size (default 1000000): the status CSV rows
  BENCH_HISTORY  fleet of the history figures (default BENCH_DEVICES/10,
                 at least 1000): DDM NDJSON, 30 nights
  BENCH_NIGHTS   nights of history (default 30)
  BENCH_RUNS     runs per figure (default 3; make bench-quick uses 1)
  BENCH_DIR      where the data goes (default a new temporary folder,
                 removed at the end unless BENCH_KEEP=1); a fleet generated
                 there before with the same arguments is reused
  BENCH_SEED     generator seed (default 1)
  BENCH_ONLY     only these rows: csv,kandji,ddm,night2,report,run,history,rss

References (installed by make bench when missing): the sqlite3 shell's
.import, jq, a pandas script (pandas_ref.py) and a bare libxlsxwriter
program (xlsx_ref.c, built here with cc).
"""
import datetime
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
BIN = os.path.join(ROOT, "ddmreport")
N = int(os.environ.get("BENCH_DEVICES", "1000000"))
H = int(os.environ.get("BENCH_HISTORY", str(max(N // 10, 1000))))
NIGHTS = int(os.environ.get("BENCH_NIGHTS", "30"))
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
SEED = os.environ.get("BENCH_SEED", "1")
ENV = dict(os.environ, LC_ALL="C", TZ="UTC")
ENV.pop("DDMREPORT_PROFILE", None)
MIB = 1024.0


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


SPAWN = None  # tests/bench/spawn.c, built into the work folder


def run_child(cmd, cwd, stdout=None):
    """(wall seconds, peak RSS KiB) of one whole-process run of cmd, measured
    by spawn (wait4 of that child alone)."""
    p = subprocess.run([SPAWN, stdout or "-"] + cmd, cwd=cwd, env=ENV,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    code, wall, rss = p.stdout.split()[:3]
    # 0 done; 1 a --fail-on report has rows; 65 a few rejected rows.
    if p.returncode != 0 or int(code) not in (0, 1, 65):
        sys.exit(f"bench: {' '.join(cmd)} failed ({code}): {p.stderr.decode()[-800:]}")
    return float(wall), int(rss)


def remove(*paths):
    for p in paths:
        if os.path.isdir(p):
            shutil.rmtree(p)
        for suffix in ("", "-wal", "-shm", "-journal", ".lock"):
            if os.path.isfile(p + suffix):
                os.remove(p + suffix)


class Pair:
    """A measure: ours against a reference, interleaved run by run."""

    def __init__(self, name, target, stretch=None):
        self.name, self.target, self.stretch = name, target, stretch
        self.ours, self.ref = [], []

    def ratio(self):
        return statistics.median(t for t, _ in self.ours) / statistics.median(t for t, _ in self.ref)

    def rss(self, side):
        return max(r for _, r in side) / MIB


def measure(pair, ours, ref, cwd, setup_ours=None, setup_ref=None, out_ours=None, out_ref=None):
    for i in range(RUNS):
        # Alternate who goes first, so a noisy neighbour hurts both alike.
        order = [(ref, setup_ref, out_ref, pair.ref), (ours, setup_ours, out_ours, pair.ours)]
        if i % 2:
            order.reverse()
        for cmd, setup, out, sink in order:
            if setup:
                setup()
            sink.append(run_child(cmd, cwd, out))
    log(f"{pair.name}: {pair.ratio():.2f}")


def stored(db, expected, what):
    """Every timed ingest must have stored its rows: a figure for a file
    that was skipped or rejected would time something else."""
    con = sqlite3.connect(db)
    n = con.execute("SELECT count(*) FROM observation").fetchone()[0]
    con.close()
    if n < expected * 0.95:
        sys.exit(f"bench: {what}: ddmreport stored {n:,} of {expected:,} rows")


def want(*keys):
    """BENCH_ONLY=key,... (csv kandji ddm night2 report run history rss)
    measures only those rows, e.g. to re-measure one after a change."""
    only = os.environ.get("BENCH_ONLY")
    return not only or any(k in only.split(",") for k in keys)


def gen(work, devices, what, nights=1, first=0):
    """The fleet's files in work; its as-of.  In a BENCH_DIR that already
    holds them from the same generator and arguments (a stamp file says
    which), they are reused: the generator is deterministic, and a 1M
    fleet takes minutes to write."""
    import hashlib
    args = ["--devices", str(devices), "--nights", str(nights), "--first-night", str(first),
            "--seed", SEED, "--what", what]
    with open(os.path.join(HERE, "gen.py"), "rb") as f:
        key = hashlib.sha256(f.read() + " ".join(args).encode()).hexdigest()
    stamp = os.path.join(work, f".gen-{key[:16]}")
    if os.environ.get("BENCH_DIR") and os.path.exists(stamp):
        with open(stamp) as f:
            return f.read().strip()
    p = subprocess.run([sys.executable, os.path.join(HERE, "gen.py")] + args + [work],
                       check=True, capture_output=True, text=True)
    os.makedirs(work, exist_ok=True)
    with open(stamp, "w") as f:
        f.write(p.stdout.strip() + "\n")
    return p.stdout.strip()


def need(tool, pkg):
    if shutil.which(tool) is None:
        sys.exit(f"bench: {tool} is missing: run make bench (as root it installs {pkg})")


def build_tools(work):
    """Compiles the bare libxlsxwriter reference and the spawn helper."""
    global SPAWN
    exe = os.path.join(work, "xlsx_ref")
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "xlsxwriter"], check=True,
                           capture_output=True, text=True).stdout.split()
    subprocess.run(["cc", "-std=c11", "-O2", "-o", exe, os.path.join(HERE, "xlsx_ref.c")]
                   + flags + ["-lcsv"], check=True)
    SPAWN = os.path.join(work, "spawn")
    subprocess.run(["cc", "-std=c11", "-O2", "-o", SPAWN, os.path.join(HERE, "spawn.c")],
                   check=True)
    return exe


def commit():
    p = subprocess.run(["git", "-C", ROOT, "describe", "--always", "--dirty"],
                       capture_output=True, text=True)
    return p.stdout.strip() or "unknown"


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main():
    for tool, pkg in (("sqlite3", "sqlite3"), ("jq", "jq"), ("cc", "build-essential")):
        need(tool, pkg)
    # Not imported here: this process stays small (see spawn.c).
    if subprocess.run([sys.executable, "-c", "import pandas, xlsxwriter"],
                      capture_output=True).returncode != 0:
        sys.exit("bench: python3-pandas and python3-xlsxwriter are missing: "
                 "apt-get install -y python3-pandas python3-xlsxwriter")
    if not os.access(BIN, os.X_OK):
        sys.exit("bench: build ddmreport first (make ddmreport)")
    keep = os.environ.get("BENCH_DIR")
    work = keep or tempfile.mkdtemp(prefix="ddmreport-bench-")
    os.makedirs(work, exist_ok=True)
    load0 = os.getloadavg()
    started = time.time()
    log(f"{N} devices, history {H} devices x {NIGHTS} nights, {RUNS} runs, data in {work}")
    try:
        rows = bench(work)
    finally:
        if not keep and os.environ.get("BENCH_KEEP") != "1":
            shutil.rmtree(work, ignore_errors=True)
    load1 = os.getloadavg()
    table = render(rows, load0, load1, time.time() - started)
    print(table)
    dest = os.environ.get("BENCH_RESULTS")
    if dest:
        os.makedirs(os.path.dirname(os.path.abspath(dest)), exist_ok=True)
        with open(dest, "w") as f:
            f.write(table)
        log(f"written to {dest}")


def bench(work):
    sofa = [os.path.join(ROOT, "tests/fixtures/reference/sofa", f)
            for f in ("v2-macos_data_feed.json", "v2-ios_data_feed.json")]
    big = os.path.join(work, "big")
    hist = os.path.join(work, "hist")
    log("generating data")
    as_of = h_as_of = None
    if want("csv", "kandji", "night2", "report", "run"):
        as_of = gen(big, N, "canonical,kandji,inventory,targets", nights=2)
    if want("history"):
        h_as_of = gen(hist, H, "canonical,inventory,targets", nights=NIGHTS)
    if want("ddm"):
        gen(hist, H, "ddm", nights=1)
    xlsx_ref = build_tools(work)
    n0, n1 = os.path.join(big, "status-0.csv"), os.path.join(big, "status-1.csv")
    k0 = os.path.join(big, "kandji-0.csv")
    inv, tgt = os.path.join(big, "inventory.csv"), os.path.join(big, "targets.csv")
    db, ref_db = os.path.join(work, "ours.db"), os.path.join(work, "ref.db")
    out, ref_out = os.path.join(work, "out"), os.path.join(work, "ref-out")
    rows = []
    small_rss = 0

    if want("csv"):
        # 1. Status CSV into an empty database vs the sqlite3 shell's .import.
        p = Pair(f"ingest {N:,}-row status CSV, empty db / sqlite3 .import", 1.0, 0.7)
        measure(p, [BIN, "ingest", "--db", db, n0], ["sqlite3", ref_db, f".import --csv {n0} t"], work,
                setup_ours=lambda: remove(db), setup_ref=lambda: remove(ref_db))
        stored(db, N, "status CSV")
        rows.append(p)
    if want("kandji"):
        p = Pair(f"ingest {N:,}-row Kandji CSV, empty db / sqlite3 .import", None)
        measure(p, [BIN, "ingest", "--db", db, k0], ["sqlite3", ref_db, f".import --csv {k0} t"], work,
                setup_ours=lambda: remove(db), setup_ref=lambda: remove(ref_db))
        stored(db, N, "Kandji CSV")
        rows.append(p)

    if want("ddm"):
        # 2. DDM NDJSON envelopes vs jq pulling the same four fields.
        ddm = os.path.join(hist, "ddm-0.ndjson")
        jq_prog = ('[(.report.StatusItems.device.identifier."serial-number" // .serial_number),'
                   ' .report.StatusItems.softwareupdate."install-state",'
                   ' .report.StatusItems.device."operating-system".version,'
                   ' .report.StatusItems.softwareupdate."pending-version"."os-version"]')
        p = Pair(f"ingest {H:,} DDM reports (NDJSON), empty db / jq -c 4 fields", 1.0)
        measure(p, [BIN, "ingest", "--db", db, ddm], ["jq", "-c", jq_prog, ddm], work,
                setup_ours=lambda: remove(db), out_ref=os.path.join(work, "jq.out"))
        stored(db, H, "DDM NDJSON")
        rows.append(p)

    if want("night2"):
        # 6. Second night onto the first vs the first into an empty database.
        def first_night():
            remove(db)
            subprocess.run([BIN, "ingest", "--db", db, n0], check=True, env=ENV, cwd=work,
                           capture_output=True)
        p = Pair(f"ingest night 2 onto night 1 / night 1 into empty db ({N:,})", 1.3)
        measure(p, [BIN, "ingest", "--db", db, n1], [BIN, "ingest", "--db", db, n0], work,
                setup_ours=first_night, setup_ref=lambda: remove(db))
        rows.append(p)

    if want("report"):
        # 3. The report (every CSV and the workbook) vs a bare libxlsxwriter
        # program writing the same CSVs' cells in constant-memory mode.
        remove(db, out)
        subprocess.run([BIN, "ingest", "--db", db, inv, tgt, n0, n1] + sofa, check=True, env=ENV,
                       cwd=work, capture_output=True)
        report = [BIN, "report", "--db", db, "--out", out, "--as-of", as_of]
        subprocess.run(report, check=True, env=ENV, cwd=work)
        csvs = sorted(os.path.join(out, f) for f in os.listdir(out) if f.endswith(".csv"))
        p = Pair(f"report {N:,} devices (CSVs + workbook) / bare libxlsxwriter, same cells", 1.5)
        measure(p, report, [xlsx_ref, os.path.join(work, "ref.xlsx")] + csvs, work)
        rows.append(p)

    if want("run"):
        # 4. The nightly run vs the pandas script doing the same job.
        p = Pair(f"run {N:,} devices (ingest + every report) / pandas script", 0.33)
        measure(p, [BIN, "run", "--db", db, "--out", out, "--as-of", as_of, inv, tgt, n1] + sofa,
                [sys.executable, os.path.join(HERE, "pandas_ref.py"), n1, inv, tgt, as_of, ref_out],
                work, setup_ours=lambda: remove(db, out), setup_ref=lambda: remove(ref_out))
        rows.append(p)

    if want("history"):
        # 5 and 7. History: H devices over NIGHTS nights.
        hdb, hout = os.path.join(work, "hist.db"), os.path.join(work, "hist-out")
        last = os.path.join(hist, f"status-{NIGHTS - 1}.csv")
        hinputs = [os.path.join(hist, "inventory.csv"), os.path.join(hist, "targets.csv")]
        log(f"building {NIGHTS} nights of history")
        remove(hdb)
        subprocess.run([BIN, "ingest", "--db", hdb] + hinputs + [os.path.join(hist, "status-0.csv")],
                       check=True, env=ENV, cwd=work, capture_output=True)
        one_db = os.path.join(work, "hist1.db")
        for night in range(1, NIGHTS - 1):
            subprocess.run([BIN, "ingest", "--db", hdb, os.path.join(hist, f"status-{night}.csv")],
                           check=True, env=ENV, cwd=work, capture_output=True)
        # The last night onto NIGHTS-1 nights vs the same file into an empty db.
        # Each run starts from a copy of that history as the last clean night
        # left it: the file with its times and the lock file's clean-close
        # note (else every run would take the full check a crash calls for).
        many_db = os.path.join(work, "hist-many.db")
        shutil.copy2(hdb, many_db)
        shutil.copy2(hdb + ".lock", many_db + ".lock-saved")

        def history():
            remove(hdb)
            shutil.copy2(many_db, hdb)
            shutil.copy2(many_db + ".lock-saved", hdb + ".lock")
            # On disk, as the last night's run left it: a copy still in
            # the page cache would make the run's first fsync write the
            # whole copied file (hundreds of MB the night did not write).
            os.sync()
        p = Pair(f"ingest one {H:,}-device night onto {NIGHTS - 1} nights / into empty db", 1.3)
        measure(p, [BIN, "ingest", "--db", hdb, last], [BIN, "ingest", "--db", one_db, last],
                work, setup_ours=history, setup_ref=lambda: remove(one_db))
        rows.append(p)
        # The report after that last night alone (with the same inventory and
        # targets) vs after all NIGHTS nights.
        remove(one_db)
        subprocess.run([BIN, "ingest", "--db", one_db] + hinputs + [last], check=True, env=ENV,
                       cwd=work, capture_output=True)
        p = Pair(f"report {H:,} devices after {NIGHTS} nights / after 1 night", 1.5)
        measure(p, [BIN, "report", "--db", hdb, "--out", hout, "--as-of", h_as_of],
                [BIN, "report", "--db", one_db, "--out", hout + "1", "--as-of", h_as_of], work)
        rows.append(p)

    if want("rss"):
        # 8. Peak RSS of our commands at this size against a 10,000-device run.
        small = os.path.join(work, "small")
        s_as_of = gen(small, 10000, "canonical,inventory,targets")
        sdb = os.path.join(work, "small.db")
        remove(sdb)
        _, small_rss = run_child([BIN, "run", "--db", sdb, "--out", os.path.join(small, "out"),
                                  "--as-of", s_as_of] + [os.path.join(small, f) for f in
                                                         ("inventory.csv", "targets.csv",
                                                          "status-0.csv")], work)
    return rows, small_rss / MIB


def render(result, load0, load1, elapsed):
    rows, small_rss = result
    ours_rss = max((p.rss(p.ours) for p in rows), default=0)
    lines = []
    w = lines.append
    w("# Benchmark results (make bench)")
    w("")
    w(f"- Date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC; "
      f"{subprocess.run([BIN, '--version'], capture_output=True, text=True).stdout.strip()}"
      f" (commit {commit()})")
    if os.environ.get("BENCH_ONLY"):
        w(f"- Only these rows: {os.environ['BENCH_ONLY']}")
    w(f"- Machine: {cpu_model()}, {os.cpu_count()} CPUs, {platform.system()} "
      f"{platform.release()}; load average {load0[0]:.1f} at the start, {load1[0]:.1f} at the end"
      + (" (the machine was shared: figures are noisy)" if max(load0[0], load1[0]) > 1.5 else ""))
    w(f"- Fleet: {N:,} devices (status CSV rows); history {H:,} devices x {NIGHTS} nights; "
      f"seed {SEED}; median of {RUNS} whole-process runs per side, interleaved; "
      f"took {elapsed / 60:.1f} min")
    w("")
    w("Ratio = median wall time of ours / median of the reference (lower is better).")
    w("")
    w("| measure | ours (median s) | reference (median s) | ratio | target | met | peak RSS ours / ref (MiB) |")
    w("|---|---|---|---|---|---|---|")
    for p in rows:
        o = statistics.median(t for t, _ in p.ours)
        r = statistics.median(t for t, _ in p.ref)
        tgt = "-" if p.target is None else f"<= {p.target:.2f}" + (
            f" (stretch {p.stretch:.2f})" if p.stretch else "")
        met = "-" if p.target is None else ("yes" if p.ratio() <= p.target else "no")
        w(f"| {p.name} | {o:.2f} | {r:.2f} | {p.ratio():.2f} | {tgt} | {met} | "
          f"{p.rss(p.ours):.0f} / {p.rss(p.ref):.0f} |")
    met = "yes" if small_rss and ours_rss <= 64 and ours_rss <= 2 * small_rss else "no"
    if small_rss:
        w(f"| peak RSS of any ddmreport command here / run at 10,000 devices | {ours_rss:.0f} MiB | "
          f"{small_rss:.0f} MiB | {ours_rss / small_rss:.2f} | <= 64 MiB, <= 2.00 | {met} | |")
    w("")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
