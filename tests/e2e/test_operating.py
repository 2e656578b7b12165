"""The operating contract under attack (issue 8): files and links, inputs
that never end, databases that are not ours, and exit codes a cron
operator can trust.  Each case fails on the build before the fix."""
import fcntl
import hashlib
import os
import resource
import signal
import sqlite3
import stat
import subprocess
import threading
import time

from lib import BIN, SAMPLES, SAMPLES_AS_OF, STATUS_HEADER, sql

AS_OF = "2026-11-21T00:00:00Z"


def _status(t, name, serials, bad=()):
    rows = [f"{s},Pass,2026-11-20T10:00:00Z" + "," * 14 for s in serials]
    rows += [f"{s},Pass,not-a-time" + "," * 14 for s in bad]
    return t.write(name, STATUS_HEADER + "\n".join(rows) + "\n")


def _env():
    e = dict(os.environ, LC_ALL="C", TZ="UTC")
    e.pop("DDMREPORT_DB", None)
    return e


def _reports(t):
    return [line.split()[0] for line in t.ok("list").out.splitlines()]


def _sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def _dump(db):
    con = sqlite3.connect(db)
    try:
        return "\n".join(con.iterdump())
    finally:
        con.close()


# ---- files and links ---------------------------------------------------------

def test_links_planted_at_temp_names_are_never_followed(t):
    f = _status(t, "s.csv", ["C02LINK1"])
    os.makedirs(t.out)
    victim = t.write("victim.txt", "precious\n")
    os.chmod(victim, 0o600)
    names = [n + ".csv" for n in _reports(t)] + ["ddmreport.xlsx", "SHA256SUMS"]

    def plant():
        # runs in the child before exec: its pid is the run's pid
        for n in names:
            os.symlink(victim, os.path.join(t.out, f".{n}.tmp-{os.getpid()}"))

    p = subprocess.run([BIN, "run", "--db", t.db, "--out", t.out, "--as-of", AS_OF, f],
                       preexec_fn=plant, capture_output=True, env=_env(), cwd=t.tmp)
    assert p.returncode == 0, p.stderr
    assert open(victim).read() == "precious\n", "a planted link's target was overwritten"
    assert stat.S_IMODE(os.stat(victim).st_mode) == 0o600, "a planted link's target was chmod'ed"
    for n in ("summary.csv", "ddmreport.xlsx", "SHA256SUMS"):
        st = os.lstat(os.path.join(t.out, n))
        assert stat.S_ISREG(st.st_mode) and stat.S_IMODE(st.st_mode) & 0o007 == 0, n
    # no private folder is left behind
    assert not [n for n in os.listdir(t.out) if n.startswith(".ddmreport-")]


def test_lock_follows_the_database_through_a_link(t):
    t.ok("ingest", _status(t, "s.csv", ["C02LOCK1"]))
    os.symlink("t.db", t.path("link.db"))
    fd = os.open(t.db + ".lock", os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        r = t.run("report", "--db", t.path("link.db"), "--out", t.out, "--as-of", AS_OF)
    finally:
        os.close(fd)
    assert r.rc == 75 and "in use by another run" in r.err, r
    assert not os.path.exists(t.path("link.db.lock"))


def test_wider_modes_made_private_at_open(t):
    t.ok("ingest", _status(t, "s.csv", ["C02MODE1"]))
    for suffix in ("-wal", "-shm"):
        open(t.db + suffix, "wb").close()
    for suffix in ("", "-wal", "-shm", ".lock"):
        os.chmod(t.db + suffix, 0o644)
    fifo = t.path("in.csv")
    os.mkfifo(fifo)
    p = subprocess.Popen([BIN, "ingest", "--db", t.db, fifo], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=_env(), cwd=t.tmp)
    # Once the lock names the run, its input check is done; then it opens
    # the FIFO to read only after the database: once this open returns,
    # the database, its WAL and its SHM are open.
    mine = f"pid {p.pid} "
    end = time.monotonic() + 30
    while mine not in open(t.db + ".lock").read() and time.monotonic() < end:
        time.sleep(0.01)
    with open(fifo, "w") as w:
        modes = {s: stat.S_IMODE(os.stat(t.db + s).st_mode)
                 for s in ("", "-wal", "-shm", ".lock") if os.path.exists(t.db + s)}
        w.write(STATUS_HEADER)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 0, err
    assert set(modes) >= {"", "-wal", "-shm", ".lock"}, modes
    assert all(m == 0o600 for m in modes.values()), modes


def test_stale_temp_removed_in_every_dated_folder(t):
    f = _status(t, "s.csv", ["C02DATE1"])
    dead = subprocess.Popen(["true"])
    dead.wait()
    old = t.path("r-2026-11-01")
    stage = os.path.join(old, f".ddmreport-{dead.pid}.AbC123")
    os.makedirs(stage)
    open(os.path.join(stage, "devices.csv"), "w").write("partial")
    legacy = os.path.join(old, f".devices.csv.tmp-{dead.pid}")
    open(legacy, "w").write("partial")
    r = t.run("run", "--out", t.path("r-{date}"), "--as-of", AS_OF, f)
    assert r.rc == 0, r
    assert os.path.exists(t.path("r-2026-11-21", "summary.csv"))
    assert not os.path.exists(stage), "yesterday's stale folder was left"
    assert not os.path.exists(legacy), "yesterday's stale temp file was left"


# ---- inputs that never end ---------------------------------------------------------

def test_endless_devices_end_with_65_in_seconds(t):
    for dev in ("/dev/zero", "/dev/urandom"):
        start = time.monotonic()
        r = t.run("ingest", dev, timeout=60)
        took = time.monotonic() - start
        assert r.rc == 65 and dev in r.err, (dev, r)
        assert took < 20, f"{dev}: {took:.1f} s"
    # the lock was released: another run goes ahead at once
    t.ok("ingest", _status(t, "s.csv", ["C02ENDL1"]))


def test_endless_json_stream_ends_with_65(t):
    r = subprocess.run(["bash", "-c", f'exec "{BIN}" ingest --db "{t.db}" <(yes \'{{"a":\')'],
                       capture_output=True, env=_env(), cwd=t.tmp, timeout=60)
    err = r.stderr.decode()
    assert r.returncode == 65 and "not a JSON input" in err, err


def test_endless_junk_after_a_good_header_ends_with_65(t):
    head = STATUS_HEADER.rstrip("\n")
    r = subprocess.run(["bash", "-c", f'exec "{BIN}" ingest --db "{t.db}" '
                        f'<(echo "{head}"; yes "junk,row")'],
                       capture_output=True, env=_env(), cwd=t.tmp, timeout=60)
    err = r.stderr.decode()
    assert r.returncode == 65 and "stopped reading" in err, err
    assert sql(t.db, "SELECT count(*) FROM observation;").strip() == "0"


def test_pipe_and_process_substitution_are_read_whole(t):
    f = _status(t, "s.csv", [f"C02PIPE{i:02d}" for i in range(50)])
    cap = os.path.join(t.path(), "cap.json")
    with open(cap, "w") as w:
        w.write('{"StatusItems":{"device":{"identifier":{"serial-number":"C02PIPEJSON"},'
                '"operating-system":{"version":"15.1"}},'
                '"softwareupdate":{"install-state":"none"}},"Errors":[]}')
    r = subprocess.run(["bash", "-c", f'exec "{BIN}" ingest --db "{t.db}" <(cat "{f}") <(cat "{cap}")'],
                       capture_output=True, env=_env(), cwd=t.tmp, timeout=60)
    assert r.returncode == 0, r.stderr
    got = sql(t.db, "SELECT serial_number FROM observation ORDER BY 1;").split()
    assert got == sorted([f"C02PIPE{i:02d}" for i in range(50)] + ["C02PIPEJSON"]), got


def test_fifo_without_writer_does_not_block_the_input_check(t):
    fifo = t.path("nobody.csv")
    os.mkfifo(fifo)
    r = t.run("ingest", fifo, t.path("missing.csv"), timeout=20)
    assert r.rc == 66 and "missing.csv" in r.err, r
    assert not os.path.exists(t.db)


def test_directory_reached_through_links_is_walked_once(t):
    d = t.path("loop")
    os.makedirs(d)
    _status(t, "loop/s.csv", ["C02LOOP1"])
    os.symlink(".", os.path.join(d, "a"))
    os.symlink(".", os.path.join(d, "b"))
    r = t.run("ingest", d, timeout=30)
    assert r.rc == 0, r
    assert sql(t.db, "SELECT count(*) FROM source_file;").strip() == "1"


def test_field_and_record_caps_are_exact_to_the_byte(t):
    mib = 1 << 20

    def row(serial, *pads):
        fields = [serial, "Pass", "2026-11-20T10:00:00Z"] + list(pads)
        return ",".join(fields + [""] * (17 - len(fields)))

    head = len("C02CAP4") + len("Pass") + len("2026-11-20T10:00:00Z")
    rows = [
        row("C02CAP1", "x" * mib),                   # a field of exactly 1 MiB
        row("C02CAP2", "x" * (mib + 1)),             # one byte more
        row("C02CAP3", "x" * (mib + 30000)),         # the case
        row("C02CAP4", *(["y" * mib] * 3 + ["y" * (mib - head)])),      # record of 4 MiB
        row("C02CAP5", *(["y" * mib] * 3 + ["y" * (mib - head + 1)])),  # one byte more
    ]
    p = t.write("caps.csv", STATUS_HEADER + "\n".join(rows) + "\n")
    r = t.run("ingest", "--max-rejected", "100", p)
    assert r.rc == 0, r
    assert sql(t.db, "SELECT serial_number FROM observation ORDER BY 1;").split() == \
        ["C02CAP1", "C02CAP4"]
    assert sql(t.db, "SELECT line, reason FROM rejected ORDER BY line;").splitlines() == [
        "3|field longer than 1 MiB", "4|field longer than 1 MiB", "6|record longer than 4 MiB"]


def test_header_with_too_many_columns_says_so(t):
    p = t.write("wide.csv", ",".join(f"c{i}" for i in range(600)) + "\n")
    r = t.run("ingest", p)
    assert r.rc == 65 and "wide.csv:1: header has more columns than supported (at most 512)" in r.err, r


# ---- the database ---------------------------------------------------------------

def test_newer_schema_refused_untouched(t):
    t.ok("ingest", _status(t, "s.csv", ["C02NEW01"]))
    con = sqlite3.connect(t.db)
    con.execute("PRAGMA user_version = 99")
    con.close()
    before = _sha(t.db)
    r = t.run("run", "--out", t.out, "--as-of", AS_OF, _status(t, "s2.csv", ["C02NEW02"]))
    assert r.rc == 74 and "newer ddmreport" in r.err and "99" in r.err, r
    assert _sha(t.db) == before
    assert not os.path.exists(t.out)


def test_another_programs_sqlite_file_refused_untouched(t):
    con = sqlite3.connect(t.db)
    con.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
    con.execute("INSERT INTO invoices VALUES (1, 9.5)")
    con.commit()
    con.close()
    os.chmod(t.db, 0o644)
    before = _sha(t.db)
    r = t.run("ingest", _status(t, "s.csv", ["C02FRGN1"]))
    assert r.rc == 74 and "not a ddmreport database" in r.err, r
    assert _sha(t.db) == before and stat.S_IMODE(os.stat(t.db).st_mode) == 0o644
    # marked by another program: refused too
    other = t.path("other.db")
    con = sqlite3.connect(other)
    con.execute("PRAGMA application_id = 1234")
    con.close()
    r = t.run("ingest", "--db", other, _status(t, "s.csv", ["C02FRGN1"]))
    assert r.rc == 74 and "application id" in r.err, r


def test_strict_unrecognised_file_leaves_database_exactly_as_it_was(t):
    t.ok("ingest", _status(t, "s.csv", ["C02STR01"]))
    before = _dump(t.db)
    bad = t.write("bad.csv", "what,is,this\n1,2,3\n")
    r = t.run("ingest", "--strict", bad)
    assert r.rc == 65 and "unrecognised header" in r.err, r
    assert _dump(t.db) == before


# ---- exit codes ----------------------------------------------------------------

def test_report_query_disk_error_is_74(t):
    # A report query whose sort spills to a temporary file that cannot
    # grow (RLIMIT_FSIZE): SQLite says IOERR in the middle of a report.
    t.ok("ingest", _status(t, "s.csv", ["C02DISK1"]))
    os.makedirs(t.path("q", "reports"))
    t.write("q/reports/due-soon.sql",
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 400000)\n"
            "SELECT printf('S%07d', x) AS serial_number, hex(randomblob(100)) AS pad FROM c "
            "ORDER BY pad;\n")

    def small_files():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20))

    p = subprocess.run([BIN, "report", "--db", t.db, "--queries", t.path("q"), "--out", t.out,
                        "--as-of", AS_OF], preexec_fn=small_files, capture_output=True,
                       env=_env(), cwd=t.tmp, timeout=120)
    err = p.stderr.decode()
    assert p.returncode == 74 and "due-soon.sql" in err, (p.returncode, err)


def test_usage_errors_found_before_anything_is_opened(t):
    cases = [
        (["report", "nosuch", "--out", t.out], "no report named nosuch"),
        (["run", "--fail-on", "past-deadline,nosuch", "--out", t.out], "--fail-on: no report named nosuch"),
        (["report", "--db", "", "--out", t.out], "--db: empty path"),
        (["report", "--out", ""], "--out: empty path"),
        (["report", "--nope", "--out", t.out], "unknown option: --nope"),
        (["report", "--strict=yes", "--out", t.out], "option --strict takes no value"),
        (["report", "--db", t.db, "--out"], "option --out needs a value"),
        (["report", "--max-rejected", "150%", "--out", t.out], "--max-rejected: not a percentage"),
    ]
    for args, want in cases:
        r = t.run(*args)
        lines = r.err.splitlines()
        assert r.rc == 64, (args, r)
        assert lines and lines[0] == f"ddmreport: error: {want}" or \
            lines[0].startswith(f"ddmreport: error: {want}"), (args, r.err)
        assert all(line.startswith("ddmreport: ") or line.startswith("Try ") for line in lines), r.err
        assert not os.path.exists(t.db) and not os.path.exists(t.db + ".lock"), args
        assert not os.path.exists(t.out), args


def test_max_rejected_exits_65_quietly_explained_and_keeps_good_rows(t):
    f = _status(t, "half.csv", ["C02HALF1", "C02HALF2"], bad=["C02BAD01", "C02BAD02"])
    r = t.run("run", "--quiet", "--out", t.out, "--as-of", AS_OF, f)
    assert r.rc == 65, r
    assert r.err.splitlines() == [
        f"ddmreport: error: {f}:4: 2 of 4 rows rejected, more than --max-rejected 1% "
        "(the first: reported_at is not a time: not-a-time; the other rows are stored; "
        "see the rejected report)"], r.err
    assert sql(t.db, "SELECT serial_number FROM observation ORDER BY 1;").split() == \
        ["C02HALF1", "C02HALF2"]
    assert len(t.csv("rejected")) == 2 and os.path.exists(os.path.join(t.out, "ddmreport.xlsx"))
    # at the limit is not over it
    r = t.run("ingest", "--max-rejected", "50%", _status(t, "h2.csv", ["C02HALF3"], bad=["C02BAD03"]))
    assert r.rc == 0, r
    # --strict: nothing of the file is stored
    r = t.run("ingest", "--strict", _status(t, "h3.csv", ["C02HALF4"], bad=["C02BAD04"]))
    assert r.rc == 65, r
    assert "C02HALF4" not in sql(t.db, "SELECT serial_number FROM observation;")


def test_samples_over_the_default_max_rejected_exit_65(t):
    # 2 of the 150 rows of one sample export are deliberately bad (1.3%).
    r = t.run("run", "--quiet", "--out", t.out, "--as-of", SAMPLES_AS_OF, SAMPLES)
    assert r.rc == 65 and "2 of 150 rows rejected" in r.err and len(r.err.splitlines()) == 1, r
    assert os.path.exists(os.path.join(t.out, "SHA256SUMS"))


def test_quiet_fail_on_exit_1_is_explained(t):
    f = _status(t, "s.csv", ["C02FAIL1"])
    r = t.run("run", "--quiet", "--out", t.out, "--as-of", AS_OF, "--fail-on", "devices", f)
    assert r.rc == 1 and r.err == "ddmreport: note: --fail-on: report devices has 1 row\n", r


def test_report_name_into_a_full_set_keeps_sha256sums_consistent(t):
    f = _status(t, "s.csv", ["C02SUMS1"])
    t.ok("run", "--out", t.out, "--as-of", AS_OF, f)
    old = open(os.path.join(t.out, "SHA256SUMS")).read()
    t.ok("ingest", _status(t, "s2.csv", ["C02SUMS2"]))
    t.ok("report", "devices", "--out", t.out, "--as-of", "2026-12-24T00:00:00Z")
    new = open(os.path.join(t.out, "SHA256SUMS")).read()
    assert new != old and len(new.splitlines()) == len(old.splitlines()), (old, new)
    p = subprocess.run(["sha256sum", "-c", "--quiet", "SHA256SUMS"], cwd=t.out,
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr


def test_workbook_library_errors_are_escaped_on_one_line(t):
    # Two templates with one sheet name holding an escape character: the
    # workbook library refuses the second and says so on stderr itself.
    os.makedirs(t.path("tpl"))
    for i, rep in enumerate(("summary", "devices")):
        t.write(f"tpl/{rep}.tmpl", f"report {rep}\norder {i}\nquery queries/reports/{rep}.sql\n"
                                  "sheet Ev\x1b[31mil\n".replace("[31m", ""))
    t.ok("ingest", _status(t, "s.csv", ["C02XLSX1"]))
    r = t.run("report", "--templates", t.path("tpl"), "--out", t.out, "--as-of", AS_OF)
    assert r.rc != 0, r
    assert "\x1b" not in r.err, repr(r.err)
    assert r.err and all(line.startswith("ddmreport: ") for line in r.err.splitlines()), repr(r.err)
    assert "already in use" in r.err and "\\x1b" in r.err, r.err


def test_no_silent_caps_on_reports_and_columns(t):
    # 40 more reports than the built-in ones: every CSV is written and
    # --fail-on sees the last one.
    os.makedirs(t.path("tpl"))
    os.makedirs(t.path("q", "reports"))
    for i in range(40):
        t.write(f"tpl/x{i:02d}.tmpl", f"report x{i:02d}\norder {900 + i}\n"
                                     f"query queries/reports/x{i:02d}.sql\nsheet X{i:02d}\n")
        t.write(f"q/reports/x{i:02d}.sql", f"SELECT 'S{i:02d}' AS serial_number;\n")
    t.ok("ingest", _status(t, "s.csv", ["C02CAPS1"]))
    r = t.run("report", "--templates", t.path("tpl"), "--queries", t.path("q"), "--out", t.out,
              "--as-of", AS_OF, "--fail-on", "x39")
    assert r.rc == 1 and "report x39 has 1 row" in r.err, r
    assert os.path.exists(os.path.join(t.out, "x39.csv"))
    assert "x39.csv" in open(os.path.join(t.out, "SHA256SUMS")).read()
    # a report query wider than supported fails loudly, not cut
    cols = ", ".join(f"{c} AS c{c}" for c in range(1, 131))
    t.write("q/reports/x00.sql", f"SELECT 'S' AS serial_number, {cols};\n")
    r = t.run("report", "x00", "--templates", t.path("tpl"), "--queries", t.path("q"),
              "--out", t.path("wide"), "--as-of", AS_OF)
    assert r.rc == 64 and "131 columns, more than the 128 supported" in r.err, r
