"""Cron-grade reliability (issue 4): lock, kill -9, all-or-nothing, atomic
outputs, I/O errors, file modes, damaged database.

Kill tests drive the real binary with SIGKILL at chosen moments, then rerun
and compare every CSV report with a clean run's, byte for byte.  The number
of rows and kills can be raised for the nightly tier (make check-long):
DDM_BIG_ROWS (default 100000) and DDM_KILLS (default 6).

Tests run as root in CI, and root ignores permission bits, so "unreadable"
and "not writable" are checked by running the binary through setpriv with
CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH removed from its bounding set.
"""
import fcntl
import hashlib
import os
import random
import shutil
import signal
import stat
import subprocess
import time

from bigcsv import write_status
from lib import BIN, STATUS_HEADER, limit_fsize, sql

AS_OF = "2026-11-21T00:00:00Z"
BIG_ROWS = int(os.environ.get("DDM_BIG_ROWS", "100000"))
KILLS = int(os.environ.get("DDM_KILLS", "6"))
NO_DAC = (["setpriv", "--bounding-set=-dac_override,-dac_read_search"]
          if os.geteuid() == 0 else [])


def env():
    e = dict(os.environ, LC_ALL="C", TZ="UTC")
    e.pop("DDMREPORT_DB", None)
    return e


def start(args, cwd, **kw):
    return subprocess.Popen([BIN] + args, cwd=cwd, env=env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, **kw)


def run(args, cwd, prefix=(), **kw):
    p = subprocess.run(list(prefix) + [BIN] + args, cwd=cwd, env=env(),
                       capture_output=True, timeout=300, **kw)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def dump_sum(db):
    """SHA-256 of the sqlite3 shell's full dump (tables in rowid order)."""
    p = subprocess.run(["sqlite3", "-batch", db, ".dump"], capture_output=True, check=True)
    return hashlib.sha256(p.stdout).hexdigest()


def data_dump(db):
    """The stored history in a fixed order, without ingest timestamps."""
    return sql(db, "SELECT * FROM observation ORDER BY 1,2,3;"
                   "SELECT * FROM device ORDER BY 1;"
                   "SELECT sha256, rows_read, rows_stored, rows_rejected FROM source_file "
                   "ORDER BY sha256;")


def integrity(db):
    return sql(db, "PRAGMA integrity_check;").strip()


def csv_set(d):
    # trend.csv is left out: it lists every evaluation the database has
    # seen, so it legitimately differs from a clean run's.
    return {n: open(os.path.join(d, n), "rb").read()
            for n in sorted(os.listdir(d)) if n.endswith(".csv") and n != "trend.csv"}


def temp_files(d):
    """Temporary outputs under d: the private folders of a run
    (".ddmreport-PID.XXXXXX", each with the files in it, as "folder/name")
    and the ".NAME.tmp-PID" files older versions left beside the outputs."""
    found = []
    for n in (os.listdir(d) if os.path.isdir(d) else []):
        if ".tmp-" in n:
            found.append(n)
        elif n.startswith(".ddmreport-"):
            found.append(n)
            try:
                found += [os.path.join(n, m) for m in os.listdir(os.path.join(d, n))]
            except FileNotFoundError:
                pass
    return found


def wait_for(cond, timeout=30, step=0.002):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(step)
    return False


def reference(t, name="ref"):
    """A clean run in its own folder with the same relative paths."""
    d = t.path(name)
    os.makedirs(d, exist_ok=True)
    if not os.path.exists(os.path.join(d, "k.csv")):
        shutil.copy(t.path("k.csv"), os.path.join(d, "k.csv"))
    rc, out, err = run(["run", "--db", "k.db", "--out", "out", "--as-of", AS_OF, "k.csv"], d)
    assert rc == 0, err
    return csv_set(os.path.join(d, "out"))


# ---- lock ------------------------------------------------------------------

def hold_lock(db, note="pid 4242 started 2026-11-20T01:02:03Z\n"):
    fd = os.open(db + ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    os.ftruncate(fd, 0)
    os.write(fd, note.encode())
    return fd


def test_lock_second_run_exits_75_naming_holder(t):
    fd = hold_lock(t.db)
    try:
        t0 = time.monotonic()
        r = t.run("run", "--out", t.out, "--as-of", AS_OF)
        took = time.monotonic() - t0
    finally:
        os.close(fd)
    assert r.rc == 75, r
    assert took < 1.0 or os.environ.get("DDM_WRAP"), took
    lines = r.err.splitlines()
    assert len(lines) == 1 and "pid 4242" in lines[0] and "2026-11-20T01:02:03Z" in lines[0], r.err
    assert lines[0].startswith("ddmreport: error: ") and t.db in lines[0], r.err
    assert not os.path.exists(t.out)


def test_lock_real_holder_named_and_wait_succeeds(t):
    write_status(t.path("k.csv"), BIG_ROWS)
    first = start(["ingest", "--db", "t.db", "k.csv"], t.tmp)
    try:
        assert wait_for(lambda: os.path.exists(t.db + ".lock") and
                        f"pid {first.pid} " in open(t.db + ".lock").read()), "holder never wrote its pid"
        t0 = time.monotonic()
        rc, _, err = run(["ingest", "--db", "t.db", "k.csv"], t.tmp)
        took = time.monotonic() - t0
        if first.poll() is None:  # only meaningful while the first still runs
            assert rc == 75, err
            assert f"pid {first.pid} started " in err, err
            assert took < 1.0, took
        rc, _, err = run(["report", "--db", "t.db", "--wait", "60", "--out", "out",
                          "--as-of", AS_OF], t.tmp)
        assert rc == 0, err
    finally:
        first.wait(timeout=120)
    assert first.returncode == 0
    assert os.path.exists(t.path("out", "devices.csv"))


def test_lock_wait_then_succeeds_when_released(t):
    fd = hold_lock(t.db)
    p = start(["report", "--db", t.db, "--wait", "20", "--out", t.out, "--as-of", AS_OF], t.tmp)
    time.sleep(1.2)
    assert p.poll() is None, "gave up while the lock was still held"
    os.close(fd)
    assert p.wait(timeout=30) == 0, p.stderr.read()
    assert os.path.exists(os.path.join(t.out, "devices.csv"))


def test_lock_wait_times_out_with_75(t):
    fd = hold_lock(t.db)
    try:
        t0 = time.monotonic()
        r = t.run("report", "--wait", "1", "--out", t.out, "--as-of", AS_OF, wrap=False)
        took = time.monotonic() - t0
    finally:
        os.close(fd)
    assert r.rc == 75 and 0.9 < took < 3, (r, took)


# ---- kill -9 -----------------------------------------------------------------

def check_recovered(t, ref, where):
    db = t.path("k.db")
    assert integrity(db) == "ok", where
    rc, _, err = run(["run", "--db", "k.db", "--out", "out", "--as-of", AS_OF, "k.csv"], t.tmp)
    assert rc == 0, (where, err)
    assert integrity(db) == "ok", where
    got = csv_set(t.path("out"))
    assert got.keys() == ref.keys(), where
    for name in ref:
        assert got[name] == ref[name], f"{where}: {name} differs from a clean run's"
    assert not temp_files(t.path("out")), where


def kill_ingest(t, when):
    """Starts an ingest of k.csv into k.db and kills it when when(p) says so;
    returns True when the kill happened before the process ended."""
    p = start(["ingest", "--db", "k.db", "k.csv"], t.tmp)
    try:
        wait_for(lambda: p.poll() is not None or when(p), timeout=60, step=0.001)
        killed = p.poll() is None
        p.send_signal(signal.SIGKILL)
    finally:
        p.wait()
    return killed


def test_kill_during_ingest_then_rerun_equals_clean_run(t):
    write_status(t.path("k.csv"), BIG_ROWS)
    ref = reference(t)
    t0 = time.monotonic()
    assert run(["ingest", "--db", "c.db", "k.csv"], t.tmp)[0] == 0
    clean = time.monotonic() - t0
    wal = t.path("k.db-wal")
    rnd = random.Random(4)
    delays = [clean * f for f in (0.1, 0.4, 0.7, 0.9)]
    delays += [clean * rnd.uniform(0.05, 1.0) for _ in range(max(0, KILLS - 6))]

    def reset():
        for f in ("k.db", "k.db-wal", "k.db-shm", "k.db-journal"):
            if os.path.exists(t.path(f)):
                os.unlink(t.path(f))

    # As soon as the lock is taken (database being opened or created).
    n_killed = kill_ingest(t, lambda p: os.path.exists(t.path("k.db.lock")))
    check_recovered(t, ref, "at start")
    reset()
    for d in delays:
        start_t = time.monotonic()
        n_killed += kill_ingest(t, lambda p: time.monotonic() - start_t >= d)
        check_recovered(t, ref, f"after {d:.3f}s")
        reset()
    # While the pages are written: a first load goes in the rollback
    # journal (store_first_load), its pages into the database file while
    # the journal is beside it (the cache spills them; the commit writes
    # the rest and deletes the journal), so a file grown to near its clean
    # size with a journal beside it is the load at its commit.
    journal, final = t.path("k.db-journal"), os.path.getsize(t.path("c.db"))
    for frac in (0.0, 0.5, 0.9):
        n_killed += kill_ingest(t, lambda p: os.path.exists(journal) and
                                os.path.getsize(t.path("k.db")) > final * frac)
        check_recovered(t, ref, f"in the first load (file > {frac:.0%} of its size)")
        reset()
    # On a history: SQLite writes the transaction's pages to the WAL only
    # when it commits (the cache holds them until then), so a growing WAL
    # means the commit is under way.
    write_status(t.path("k0.csv"), 50, devices=50, seed=7)
    os.makedirs(t.path("ref0"))
    shutil.copy(t.path("k0.csv"), t.path("ref0", "k0.csv"))
    assert run(["ingest", "--db", "k.db", "k0.csv"], t.path("ref0"))[0] == 0
    ref0 = reference(t, "ref0")
    for size in (1, 256 * 1024, 2 * 1024 * 1024):
        assert run(["ingest", "--db", "k.db", "k0.csv"], t.tmp)[0] == 0
        n_killed += kill_ingest(t, lambda p: os.path.exists(wal) and
                                os.path.getsize(wal) >= size)
        check_recovered(t, ref0, f"at commit (wal >= {size})")
        reset()
    assert n_killed >= 4, f"only {n_killed} kills landed before the process ended"


def test_kill_on_top_of_history_keeps_previous_history(t):
    """A kill while a second file is ingested leaves the first one intact."""
    write_status(t.path("k.csv"), BIG_ROWS)
    write_status(t.path("k2.csv"), BIG_ROWS, seed=2)
    assert run(["ingest", "--db", "k.db", "k2.csv"], t.tmp)[0] == 0
    before = data_dump(t.path("k.db"))
    kill_ingest(t, lambda p: os.path.exists(t.path("k.db-wal")) and
                os.path.getsize(t.path("k.db-wal")) > 64 * 1024)
    assert integrity(t.path("k.db")) == "ok"
    after = data_dump(t.path("k.db"))
    assert after == before or after.count("\n") > before.count("\n"), \
        "killed ingest left a partial file"


def test_kill_during_report_writing_leaves_previous_set(t):
    write_status(t.path("k.csv"), BIG_ROWS)
    ref = reference(t)
    out = t.path("out")
    assert run(["ingest", "--db", "k.db", "k.csv"], t.tmp)[0] == 0
    # The previous set: a different as-of gives different contents.
    rc, _, err = run(["report", "--db", "k.db", "--out", "out", "--as-of",
                      "2026-11-15T00:00:00Z"], t.tmp)
    assert rc == 0, err
    prev = csv_set(out)
    prev_xlsx = open(os.path.join(out, "ddmreport.xlsx"), "rb").read()
    assert prev != ref
    xlsx_tmp = lambda: [n for n in temp_files(out) if "xlsx" in n]  # noqa: E731
    points = [
        ("first temp file", lambda: bool(temp_files(out))),
        ("three temp files", lambda: len(temp_files(out)) >= 4),
        ("workbook being zipped", lambda: any(os.path.getsize(os.path.join(out, n)) > 0
                                              for n in xlsx_tmp() if os.path.exists(os.path.join(out, n)))),
    ]
    landed = 0
    for label, cond in points:
        p = start(["report", "--db", "k.db", "--out", "out", "--as-of", AS_OF], t.tmp)

        def ready():
            try:
                return cond()
            except FileNotFoundError:
                return False
        wait_for(lambda: p.poll() is not None or ready(), timeout=60, step=0.0005)
        if p.poll() is None:
            landed += 1
        p.send_signal(signal.SIGKILL)
        p.wait()
        now = csv_set(out)
        # Each file is the previous one or the new one, never partial.
        for name in prev:
            assert now[name] in (prev[name], ref[name]), f"{label}: {name} is partial"
        wb = open(os.path.join(out, "ddmreport.xlsx"), "rb").read()
        if now == prev:
            assert wb == prev_xlsx, label
        import openpyxl
        openpyxl.load_workbook(os.path.join(out, "ddmreport.xlsx"), read_only=True).close()
    assert landed >= 2, f"only {landed} kills landed during report writing"
    # The next run cleans the stray temporary files and writes the new set.
    rc, _, err = run(["report", "--db", "k.db", "--out", "out", "--as-of", AS_OF], t.tmp)
    assert rc == 0, err
    assert not temp_files(out), temp_files(out)
    assert csv_set(out) == ref


def test_stray_temp_of_dead_process_is_cleaned_live_one_kept(t):
    f = t.write("s.csv", STATUS_HEADER + "C02AAA,Pass,2026-11-20T10:00:00Z" + "," * 14 + "\n")
    os.makedirs(t.out)
    dead = subprocess.Popen(["true"])
    dead.wait()
    stray = os.path.join(t.out, f".devices.csv.tmp-{dead.pid}")
    live = os.path.join(t.out, f".devices.csv.tmp-{os.getpid()}")
    for p in (stray, live):
        open(p, "w").write("partial")
    r = t.run("run", "--out", t.out, "--as-of", AS_OF, f)
    assert r.rc == 0, r
    assert not os.path.exists(stray)
    assert os.path.exists(live), "a temp file of a running process was removed"


# ---- all or nothing, idempotence ------------------------------------------------

def test_strict_bad_record_near_end_changes_nothing(t):
    write_status(t.path("good.csv"), 2000, seed=3)
    write_status(t.path("big.csv"), BIG_ROWS, bad_at=BIG_ROWS - 3, seed=5)
    assert run(["ingest", "--db", "k.db", "good.csv"], t.tmp)[0] == 0
    before = dump_sum(t.path("k.db"))
    rc, _, err = run(["ingest", "--strict", "--db", "k.db", "big.csv"], t.tmp)
    assert rc == 65, err
    assert f"big.csv:{BIG_ROWS - 1}:" in err or "big.csv" in err, err
    assert "file not ingested (--strict)" in err, err
    assert dump_sum(t.path("k.db")) == before, "--strict left a trace of the bad file"
    assert integrity(t.path("k.db")) == "ok"
    # Without --strict the same file goes in, with the bad row rejected at its line.
    rc, _, err = run(["ingest", "--db", "k.db", "big.csv"], t.tmp)
    assert rc == 0, err
    assert sql(t.path("k.db"), "SELECT line FROM rejected;").split() == [str(BIG_ROWS - 1)]


def test_same_bytes_again_or_renamed_change_nothing(t):
    write_status(t.path("k.csv"), 5000)
    assert run(["ingest", "--db", "k.db", "k.csv"], t.tmp)[0] == 0
    before = data_dump(t.path("k.db"))
    full = dump_sum(t.path("k.db"))
    shutil.copy(t.path("k.csv"), t.path("renamed.csv"))
    for f in ("k.csv", "renamed.csv"):
        rc, _, err = run(["ingest", "--db", "k.db", f], t.tmp)
        assert rc == 0, err
    assert dump_sum(t.path("k.db")) == full
    # Overlapping export (half the rows again plus new ones): no doubles.
    lines = open(t.path("k.csv")).read().splitlines(True)
    extra = [l.replace("C0", "N0", 1) for l in lines[1:50]]
    open(t.path("overlap.csv"), "w").write(lines[0] + "".join(lines[2000:4000] + extra))
    assert run(["ingest", "--db", "k.db", "overlap.csv"], t.tmp)[0] == 0
    after = data_dump(t.path("k.db"))
    n_before = sql(t.path("k.db"), "SELECT count(*) FROM observation WHERE serial_number LIKE 'C0%';")
    assert int(n_before) == 5000, n_before
    assert int(sql(t.path("k.db"), "SELECT count(*) FROM observation;")) == 5049
    assert after != before


# ---- I/O errors --------------------------------------------------------------------

def test_unreadable_input_exits_66_before_anything_is_written(t):
    f = t.write("s.csv", STATUS_HEADER + "C02AAA,Pass,2026-11-20T10:00:00Z" + "," * 14 + "\n")
    os.chmod(f, 0)
    rc, _, err = run(["run", "--db", t.db, "--out", t.out, "--as-of", AS_OF, f], t.tmp,
                     prefix=NO_DAC)
    assert rc == 66, err
    assert len(err.splitlines()) == 1 and "s.csv" in err and "Permission denied" in err, err
    assert not os.path.exists(t.db) and not os.path.exists(t.out)


def test_output_dir_not_writable_exits_73(t):
    f = t.write("s.csv", STATUS_HEADER + "C02AAA,Pass,2026-11-20T10:00:00Z" + "," * 14 + "\n")
    assert t.run("ingest", f).rc == 0
    before = dump_sum(t.db)
    # A folder without write permission (root's override removed) ...
    ro = t.path("ro")
    os.makedirs(ro)
    os.chmod(ro, 0o555)
    rc, _, err = run(["report", "--db", t.db, "--out", ro, "--as-of", AS_OF], t.tmp, prefix=NO_DAC)
    assert rc == 73, err
    assert len(err.splitlines()) == 1 and "ro" in err, err
    assert os.listdir(ro) == []
    # ... and a folder that cannot exist (its parent is a regular file).
    r = t.run("report", "--out", os.path.join(f, "sub"), "--as-of", AS_OF)
    assert r.rc == 73, r
    assert len(r.err.splitlines()) == 1, r.err
    assert dump_sum(t.db) == before and integrity(t.db) == "ok"


def test_disk_full_while_writing_reports_exits_74_previous_set_kept(t):
    write_status(t.path("k.csv"), 20000)
    assert run(["run", "--db", "k.db", "--out", "out", "--as-of", "2026-11-15T00:00:00Z",
                "k.csv"], t.tmp)[0] == 0
    prev = csv_set(t.path("out"))
    before = dump_sum(t.path("k.db"))
    rc, _, err = run(["report", "--db", "k.db", "--out", "out", "--as-of", AS_OF], t.tmp,
                     preexec_fn=limit_fsize(512 * 1024))
    # Whichever write passes the limit first (SQLite's temporary files
    # while evaluating, or an output) the run stops with 74 and one line;
    # tests/unit/test_outfile.c pins the output path itself.
    assert rc == 74, err
    assert len(err.splitlines()) == 1 and ("File too large" in err or "disk I/O" in err), err
    assert csv_set(t.path("out")) == prev
    assert not temp_files(t.path("out"))
    assert dump_sum(t.path("k.db")) == before and integrity(t.path("k.db")) == "ok"


def test_disk_full_while_ingesting_exits_74_database_intact(t):
    write_status(t.path("small.csv"), 1000, seed=7)
    write_status(t.path("k.csv"), BIG_ROWS)
    assert run(["ingest", "--db", "k.db", "small.csv"], t.tmp)[0] == 0
    before = dump_sum(t.path("k.db"))
    rc, _, err = run(["run", "--db", "k.db", "--out", "out", "--as-of", AS_OF, "k.csv"], t.tmp,
                     preexec_fn=limit_fsize(1024 * 1024))
    assert rc == 74, err
    assert len(err.splitlines()) == 1, err
    assert not os.path.exists(t.path("out", "devices.csv"))
    assert integrity(t.path("k.db")) == "ok"
    assert dump_sum(t.path("k.db")) == before


def test_stdout_to_dev_full_exits_74(t):
    f = t.write("s.csv", STATUS_HEADER + "C02AAA,Pass,2026-11-20T10:00:00Z" + "," * 14 + "\n")
    assert t.run("ingest", f).rc == 0
    for args in (["report", "devices", "--out", "-", "--as-of", AS_OF], ["list"], ["--help"]):
        with open("/dev/full", "w") as full:
            p = subprocess.run([BIN] + args + ["--db", t.db], stdout=full,
                               stderr=subprocess.PIPE, env=env())
        err = p.stderr.decode()
        assert p.returncode == 74, (args, p.returncode, err)
        assert len(err.splitlines()) == 1 and "No space left" in err, (args, err)


# ---- modes and the damaged database ---------------------------------------------------

def test_file_modes_private(t):
    f = t.write("s.csv", STATUS_HEADER + "C02AAA,Pass,2026-11-20T10:00:00Z" + "," * 14 + "\n")
    p = subprocess.run([BIN, "run", "--db", t.db, "--out", t.out, "--as-of", AS_OF, f],
                       env=env(), capture_output=True, preexec_fn=lambda: os.umask(0o022))
    assert p.returncode == 0, p.stderr
    mode = lambda p: stat.S_IMODE(os.stat(p).st_mode)  # noqa: E731
    assert mode(t.db) == 0o600, oct(mode(t.db))
    assert mode(t.db + ".lock") == 0o600
    for ext in ("-wal", "-shm"):
        if os.path.exists(t.db + ext):
            assert mode(t.db + ext) == 0o600, ext
    names = os.listdir(t.out)
    assert "ddmreport.xlsx" in names and "devices.csv" in names
    for n in names:
        assert mode(os.path.join(t.out, n)) == 0o640, (n, oct(mode(os.path.join(t.out, n))))
    # A stricter umask narrows the outputs, never widens them.
    p = subprocess.run([BIN, "report", "--db", t.db, "--out", t.out, "--as-of", AS_OF],
                       env=env(), capture_output=True, preexec_fn=lambda: os.umask(0o077))
    assert p.returncode == 0, p.stderr
    for n in os.listdir(t.out):
        assert mode(os.path.join(t.out, n)) == 0o600, (n, oct(mode(os.path.join(t.out, n))))


def test_damaged_database_exits_74_before_anything_is_written(t):
    write_status(t.path("k.csv"), 5000)
    assert run(["ingest", "--db", "k.db", "k.csv"], t.tmp)[0] == 0
    db = t.path("k.db")
    page = 4096
    size = os.path.getsize(db)
    with open(db, "r+b") as f:  # scribble over a b-tree page in the middle
        f.seek((size // page // 2) * page)
        f.write(b"\xa5" * page)
    damaged = open(db, "rb").read()
    rc, _, err = run(["run", "--db", "k.db", "--out", "out", "--as-of", AS_OF, "k.csv"], t.tmp)
    assert rc == 74, err
    assert "restore it from a backup" in err and len(err.splitlines()) == 1, err
    assert open(db, "rb").read() == damaged
    assert not os.path.exists(t.path("out"))
    # Not a database at all.
    open(t.path("junk.db"), "wb").write(b"this is not sqlite\n" * 300)
    rc, _, err = run(["report", "--db", "junk.db", "--out", "out"], t.tmp)
    assert rc == 74 and "restore it from a backup" in err, err
    assert not os.path.exists(t.path("out"))
