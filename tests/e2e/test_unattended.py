"""The unattended contract, red-teamed: what cron and the auditor who opens
the outputs later depend on (complete or absent outputs, one explaining
line, the right exit code), in the cases test_reliability.py and
test_operating.py do not already cover.  Each case failed on the build
before its fix."""
import os
import shlex
import signal
import subprocess
import zipfile

from bigcsv import write_status
from lib import BIN, limit_fsize

AS_OF = "2026-11-21T00:00:00Z"


def _env(**extra):
    # SOURCE_DATE_EPOCH: two runs of one as-of write the same workbook.
    e = dict(os.environ, LC_ALL="C", TZ="UTC", SOURCE_DATE_EPOCH="1795000000")
    e.pop("DDMREPORT_DB", None)
    e.pop("DDMREPORT_CONFIG", None)
    e.update(extra)
    return e


def _run(t, args, preexec_fn=None, **env):
    p = subprocess.run([BIN] + args, cwd=t.tmp, env=_env(**env), capture_output=True,
                       timeout=300, preexec_fn=preexec_fn)
    return p.returncode, p.stderr.decode("utf-8", "replace")


def _files(d):
    """The outputs in d (its private folders left out)."""
    return {n: open(os.path.join(d, n), "rb").read() for n in sorted(os.listdir(d))
            if not n.startswith(".")}


# ---- the workbook's own temporary files ------------------------------------------

def test_workbook_temp_file_cut_short_is_74_never_a_corrupt_workbook(t):
    """libxlsxwriter writes each sheet's XML (about four times the CSV) to a
    temporary file and never checks those writes: with the disk full, or a
    file size limit (a quota) between the CSVs' size and the sheet's, the
    Devices sheet was cut short and the run exited 0 with a workbook no
    reader opens, its hash in SHA256SUMS.  Now: 74, one line, and the
    previous set stays."""
    write_status(t.path("k.csv"), 20000, devices=10000)
    rc, err = _run(t, ["run", "--db", "k.db", "--out", "out", "--as-of",
                       "2026-11-15T00:00:00Z", "k.csv"])
    assert rc == 0, err
    out = t.path("out")
    prev = _files(out)
    zipfile.ZipFile(os.path.join(out, "ddmreport.xlsx")).testzip()
    # Every CSV and the workbook fit under 8 MiB; the Devices sheet's XML
    # (10,000 rows) does not.
    big = max(len(v) for v in prev.values())
    assert big < 6 * 1024 * 1024, big
    rc, err = _run(t, ["report", "--quiet", "--db", "k.db", "--out", "out", "--as-of", AS_OF],
                   preexec_fn=limit_fsize(8 * 1024 * 1024))
    assert rc == 74, (rc, err, os.path.getsize(os.path.join(out, "ddmreport.xlsx")))
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("ddmreport: error: ") and \
        "workbook" in lines[0] and "File too large" in lines[0], err
    assert _files(out) == prev, "a failed workbook replaced the previous set"
    assert [n for n in os.listdir(out) if n.startswith(".")] == []
    # Without the limit the same report is whole.
    rc, err = _run(t, ["report", "--db", "k.db", "--out", "out", "--as-of", AS_OF])
    assert rc == 0, err
    import openpyxl
    wb = openpyxl.load_workbook(os.path.join(out, "ddmreport.xlsx"), read_only=True)
    assert sum(1 for _ in wb["Devices"].iter_rows()) >= 10000
    wb.close()


def _small_disk_run(t, size, args):
    """Runs ddmreport in a private mount namespace with a tmpfs of `size`
    at t.path("small"); None when this machine cannot mount (not root, or
    no CAP_SYS_ADMIN in a container): the case is then not checked."""
    os.makedirs(t.path("small"), exist_ok=True)
    probe = subprocess.run(["unshare", "-m", "sh", "-c",
                            f"mount -t tmpfs -o size={size} tmpfs small"],
                           cwd=t.tmp, capture_output=True)
    if probe.returncode != 0:
        print("     (skipped: cannot mount a small tmpfs here)")
        return None
    script = f'mount -t tmpfs -o size={size} tmpfs small && exec "$0" "$@"'
    wrap = shlex.split(os.environ.get("DDM_WRAP", ""))  # make valgrind
    p = subprocess.run(["unshare", "-m", "sh", "-c", script] + wrap + [BIN] + args, cwd=t.tmp,
                       env=_env(), capture_output=True, timeout=300)
    return p.returncode, p.stderr.decode("utf-8", "replace")


def test_full_output_disk_says_one_line(t):
    """A full disk under the output folder: the CSV that met it was
    named, then the workbook, closed anyway, added a second error line
    ("Zip generic error ZIP_ERRNO ...") about a file that was being thrown
    away.  --quiet promises the one line that explains the exit."""
    write_status(t.path("k.csv"), 20000, devices=10000)
    rc, err = _run(t, ["ingest", "--db", "k.db", "k.csv"])
    assert rc == 0, err
    for size in ("1m", "3m"):
        r = _small_disk_run(t, size, ["report", "--quiet", "--db", "k.db", "--out",
                                      "small/out", "--as-of", AS_OF])
        if r is None:
            return
        rc, err = r
        assert rc == 74, (size, rc, err)
        lines = err.splitlines()
        assert len(lines) == 1 and "No space left on device" in lines[0], (size, err)


# ---- the config file -------------------------------------------------------------

def test_config_that_is_a_folder_is_66_not_the_defaults(t):
    """DDMREPORT_CONFIG=/etc/ddmreport/ (the folder, not the file): fopen
    succeeds on a folder and the read fails, which was taken for an empty
    config: the run went on with the defaults, made ./ddmreport.db and
    ./reports, and exited 0.  A config that cannot be read is 66, like one
    that is missing, and nothing is created."""
    os.makedirs(t.path("etc"))
    for args, env in ((["run", "--config", "etc"], {}),
                      (["report"], {"DDMREPORT_CONFIG": "etc"})):
        p = subprocess.run([BIN] + args + ["--quiet"], cwd=t.tmp, env=_env(**env),
                           capture_output=True, timeout=60)
        err = p.stderr.decode()
        assert p.returncode == 66, (args, p.returncode, err)
        assert err.splitlines() == ["ddmreport: error: etc: cannot read config: Is a directory"], err
        assert sorted(os.listdir(t.tmp)) == ["etc"], os.listdir(t.tmp)


# ---- what a killed run leaves ------------------------------------------------------

def test_killed_runs_folder_is_cleaned_when_its_pid_is_reused(t):
    """A killed run's private folder (.ddmreport-PID.XXXXXX, holding its
    half-written CSVs) was removed only when no process had that PID.  A
    nightly job in a container is often the same PID every night, and PIDs
    are reused: the folder then stayed for good beside the reports.  A
    run's folder is now locked while in use; an unlocked one whose PID is
    this run's own, or that is over an hour old, is a dead run's."""
    import fcntl
    import time
    from lib import STATUS_HEADER
    f = t.write("s.csv", STATUS_HEADER + "C02AAA,Pass,2026-11-20T10:00:00Z" + "," * 14 + "\n")
    out = t.path("out")
    os.makedirs(out)
    sleeper = subprocess.Popen(["sleep", "60"])
    live = os.path.join(out, f".ddmreport-{os.getpid()}.LiVe01")
    reused = os.path.join(out, f".ddmreport-{sleeper.pid}.OlD001")
    for d in (live, reused):
        os.mkdir(d, 0o700)
        with open(os.path.join(d, "devices.csv"), "w") as fh:
            fh.write("serial_number\nC02HALF")
    old = time.time() - 2 * 3600
    os.utime(reused, (old, old))
    held = os.open(live, os.O_RDONLY | os.O_DIRECTORY)
    fcntl.flock(held, fcntl.LOCK_EX)  # a live run's, whatever its age
    os.utime(live, (old, old))

    def plant():
        # In the child before exec: this PID is the run's own, as when
        # the killed run of last night had the same PID.
        d = os.path.join(out, f".ddmreport-{os.getpid()}.SaMe01")
        os.mkdir(d, 0o700)
        with open(os.path.join(d, "devices.csv"), "w") as fh:
            fh.write("serial_number\nC02HALF")

    try:
        p = subprocess.run([BIN, "run", "--db", t.db, "--out", out, "--as-of", AS_OF, f],
                           cwd=t.tmp, env=_env(), capture_output=True, timeout=120,
                           preexec_fn=plant)
    finally:
        sleeper.kill()
        sleeper.wait()
    assert p.returncode == 0, p.stderr
    hidden = sorted(n for n in os.listdir(out) if n.startswith("."))
    assert hidden == [os.path.basename(live)], hidden
    os.close(held)


def _children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as fh:
            return [int(c) for c in fh.read().split()]
    except OSError:
        return []


def test_stop_signal_while_the_set_is_replaced_waits_for_the_whole_set(t):
    """SIGTERM (systemd stopping the unit, timeout(1)) or Ctrl-C between
    two renames left tonight's first CSVs beside last night's others, with
    last night's SHA256SUMS: a set an auditor cannot trust.  The renames
    are slowed down here (strace delays each one) so that the signal lands
    between them; the set must be wholly the old one or wholly the new."""
    import shutil
    import time
    if not shutil.which("strace"):
        print("     (skipped: strace is not installed; make test installs it)")
        return
    write_status(t.path("k.csv"), 2000, devices=1000)
    rc, err = _run(t, ["ingest", "--db", "k.db", "k.csv"])
    assert rc == 0, err
    out = t.path("out")
    report = ["report", "--quiet", "--db", "k.db", "--out", "out", "--as-of"]
    sets = {}
    for as_of in ("2026-11-15T00:00:00Z", AS_OF):
        rc, err = _run(t, report + [as_of])
        assert rc == 0, err
        sets[as_of] = _files(out)
        shutil.copytree(out, t.path(as_of[:10]))
    old, new = sets["2026-11-15T00:00:00Z"], sets[AS_OF]
    assert all(old[n] != new[n] for n in ("summary.csv", "ddmreport.xlsx", "SHA256SUMS"))
    renames = "?rename,?renameat,?renameat2"
    for sig in (signal.SIGTERM, signal.SIGINT):
        if os.path.exists(out):
            shutil.rmtree(out)
        shutil.copytree(t.path("2026-11-15"), out)
        first = os.stat(os.path.join(out, "summary.csv")).st_ino
        tracer = subprocess.Popen(
            ["strace", "-f", "-o", "/dev/null", "-e", "trace=" + renames,
             "-e", f"inject={renames}:delay_exit=200000",
             BIN] + report + [AS_OF],
            cwd=t.tmp, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            end = time.monotonic() + 120
            while time.monotonic() < end and tracer.poll() is None:
                if os.stat(os.path.join(out, "summary.csv")).st_ino != first:
                    break
                time.sleep(0.005)
            kids = _children(tracer.pid)
            assert tracer.poll() is None and kids, "the first rename was never seen"
            os.kill(kids[0], sig)
        finally:
            tracer.wait(timeout=120)
        now = _files(out)
        # The signal came after the first rename: the new set, whole.
        assert now == new, f"{sig.name}: a mixed set: " + ", ".join(
            n for n in new if now.get(n) != new[n])
        p = subprocess.run(["sha256sum", "-c", "--quiet", "SHA256SUMS"], cwd=out,
                           capture_output=True)
        assert p.returncode == 0, (sig.name, p.stdout, p.stderr)


def test_config_comment_after_a_value_is_a_comment(t):
    """The README says '#' starts a comment; after a value it became part
    of the value: `db = history.db   # main` silently made a new, empty
    database named "history.db   # main" (exit 0, every device gone from
    the reports), `out = ... # nightly` a folder of that name."""
    from lib import STATUS_HEADER
    f = t.write("s.csv", STATUS_HEADER + "C02AAA,Pass,2026-11-20T10:00:00Z" + "," * 14 + "\n")
    rc, err = _run(t, ["ingest", "--db", "history.db", f])
    assert rc == 0, err
    cfg = t.write("ddm.conf", "db = history.db   # the nightly history\n"
                              "out = reports/{date}\t# one folder a night\n"
                              "org = ACME#1\n"
                              "  # an indented comment\n"
                              "quiet = yes # mail only on trouble\n")
    rc, err = _run(t, ["report", "--config", cfg, "--as-of", AS_OF])
    assert (rc, err) == (0, ""), (rc, err)
    assert sorted(os.listdir(t.tmp)) == ["ddm.conf", "history.db", "history.db.lock",
                                         "reports", "s.csv"], os.listdir(t.tmp)
    assert os.listdir(t.path("reports")) == ["2026-11-21"]
    rows = t.csv("devices", where=t.path("reports", "2026-11-21"))
    assert [r["serial_number"] for r in rows] == ["C02AAA"], rows
    import openpyxl
    wb = openpyxl.load_workbook(t.path("reports", "2026-11-21", "ddmreport.xlsx"))
    assert "ACME#1" in [c for r in wb["About"].values for c in r], "org cut at its '#'"


# ---- the database path -------------------------------------------------------------

def test_database_link_to_a_missing_file_is_73_and_says_so(t):
    """/var/lib/ddmreport/history.db -> /mnt/data/history.db with /mnt/data
    not mounted: nothing must be created through the link (a new, empty
    history), and the line must say what is wrong.  It said 74 "Too many
    levels of symbolic links", and the README's advice for 74 is to restore
    the database from a backup; it is a path problem (73)."""
    os.symlink(t.path("not-mounted", "history.db"), t.path("history.db"))
    rc, err = _run(t, ["report", "--quiet", "--db", "history.db", "--out", "out",
                       "--as-of", AS_OF])
    assert rc == 73, (rc, err)
    assert err.splitlines() == [
        "ddmreport: error: history.db: cannot open database: it is a link to "
        f"{t.path('not-mounted', 'history.db')}, which does not exist"], err
    assert not os.path.exists(t.path("not-mounted")) and not os.path.exists(t.path("out"))


def test_report_on_a_database_path_with_nothing_there_is_66_not_an_empty_fleet(t):
    """A typo in --db (or DDMREPORT_DB, or a cron job started in another
    folder) created an empty database and wrote every report empty with exit
    0: nobody past the deadline.  It is 66, naming the path, and nothing is
    created; the same for `run` with no input and for the variable."""
    from lib import STATUS_HEADER
    f = t.write("s.csv", STATUS_HEADER + "C02AAA,Pending,2026-11-20T10:00:00Z" + "," * 14 + "\n")
    rc, err = _run(t, ["ingest", "--quiet", "--db", "history.db", f])
    assert rc == 0, err
    for args, env in ((["report", "--db", "histroy.db"], {}),
                      (["run", "--quiet", "--db", "histroy.db"], {}),
                      (["report", "--quiet"], {"DDMREPORT_DB": t.path("histroy.db")})):
        rc, err = _run(t, args + ["--out", "out", "--as-of", AS_OF], **env)
        assert rc == 66, (args, rc, err)
        assert err.startswith("ddmreport: error: ") and "histroy.db: no database here" in err, err
        assert len(err.splitlines()) == 1, err
        assert not os.path.exists(t.path("histroy.db")) and not os.path.exists(t.path("out"))
    rc, err = _run(t, ["report", "--quiet", "--db", "history.db", "--out", "out", "--as-of", AS_OF])
    assert rc == 0 and os.path.exists(t.path("out", "devices.csv")), err


# ---- {date} --------------------------------------------------------------------------

def test_every_date_in_out_is_the_as_of_date(t):
    """--out reports/{date}/ddm-{date}: only the first {date} was replaced,
    so the reports went to a folder literally named 'ddm-{date}', and a
    killed run's folder in yesterday's was never cleaned."""
    from lib import STATUS_HEADER
    f = t.write("s.csv", STATUS_HEADER + "C02AAA,Pass,2026-11-20T10:00:00Z" + "," * 14 + "\n")
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = t.path("r", "2026-11-20", "ddm-2026-11-20", f".ddmreport-{dead.pid}.DeAd01")
    os.makedirs(stale)
    rc, err = _run(t, ["run", "--quiet", "--db", "k.db", "--out", "r/{date}/ddm-{date}",
                       "--as-of", AS_OF, f])
    assert (rc, err) == (0, ""), (rc, err)
    assert sorted(os.listdir(t.path("r"))) == ["2026-11-20", "2026-11-21"], os.listdir(t.path("r"))
    assert os.listdir(t.path("r", "2026-11-21")) == ["ddm-2026-11-21"]
    assert "devices.csv" in os.listdir(t.path("r", "2026-11-21", "ddm-2026-11-21"))
    assert not os.path.exists(stale)


# ---- SQLite's temporary files ----------------------------------------------------------

def test_full_temporary_folder_is_named_in_the_line(t):
    """The evaluation's temp tables go to TMPDIR (else /var/tmp): when
    that disk is full the line said only 'database or disk is full', and
    the operator looked at the database's disk, which had room.  The line
    now names the folder of the temporary files too; 74, database as it
    was."""
    import hashlib
    write_status(t.path("k.csv"), 20000, devices=10000)
    rc, err = _run(t, ["ingest", "--db", "k.db", "k.csv"])
    assert rc == 0, err
    before = hashlib.sha256(open(t.path("k.db"), "rb").read()).hexdigest()
    os.makedirs(t.path("small"), exist_ok=True)
    probe = subprocess.run(["unshare", "-m", "sh", "-c", "mount -t tmpfs -o size=256k tmpfs small"],
                           cwd=t.tmp, capture_output=True)
    if probe.returncode != 0:
        print("     (skipped: cannot mount a small tmpfs here)")
        return
    p = subprocess.run(["unshare", "-m", "sh", "-c",
                        'mount -t tmpfs -o size=256k tmpfs small && exec "$0" "$@"', BIN,
                        "report", "--quiet", "--db", "k.db", "--out", "out", "--as-of", AS_OF],
                       cwd=t.tmp, env=_env(TMPDIR=t.path("small")), capture_output=True,
                       timeout=300)
    err = p.stderr.decode()
    assert p.returncode == 74, (p.returncode, err)
    lines = err.splitlines()
    assert len(lines) == 1 and "database or disk is full" in lines[0] and \
        t.path("small") in lines[0], err
    assert hashlib.sha256(open(t.path("k.db"), "rb").read()).hexdigest() == before
    assert not os.path.exists(t.path("out", "devices.csv"))


def test_evaluation_in_two_parts_leaves_nothing_in_the_temporary_folder(t):
    """A fleet is evaluated in two parts at once, the second part's rows
    handed over through a scratch database in the temporary folder.  It is
    unlinked as soon as both connections hold it: after a report, and after
    one whose second part failed, the folder is as empty as before, the
    failure is one line naming the policy's line, and no report is
    written."""
    write_status(t.path("k.csv"), 2000, devices=1000)
    rc, err = _run(t, ["ingest", "--quiet", "--db", "k.db", "k.csv"])
    assert rc == 0, err
    os.makedirs(t.path("tmp"))
    rc, err = _run(t, ["report", "--quiet", "--db", "k.db", "--out", "out", "--as-of", AS_OF],
                   TMPDIR=t.path("tmp"))
    assert (rc, err) == (0, ""), (rc, err)
    assert os.listdir(t.path("tmp")) == []
    assert os.path.exists(t.path("out", "devices.csv"))
    # A policy that fails in the upper part only (where :part_lo is set).
    policy = open(os.path.join(os.path.dirname(BIN), "queries", "evaluate.sql")).read()
    bad = ("SELECT CASE WHEN count(*) > 0 THEN abs(-9223372036854775807 - 1) END\n"
           "  FROM device WHERE serial_number >= :part_lo;\n")
    assert "\n-- merge:" in policy
    os.makedirs(t.path("q"))
    with open(t.path("q", "evaluate.sql"), "w") as f:
        f.write(policy.replace("\n-- merge:", "\n" + bad + "\n-- merge:", 1))
    rc, err = _run(t, ["report", "--quiet", "--db", "k.db", "--queries", "q", "--out", "out2",
                       "--as-of", AS_OF], TMPDIR=t.path("tmp"))
    assert rc == 70, (rc, err)
    assert len(err.splitlines()) == 1 and "evaluate.sql:" in err and "integer overflow" in err, err
    assert os.listdir(t.path("tmp")) == []
    assert not os.path.exists(t.path("out2", "devices.csv"))


def test_database_folder_not_writable_is_73_never_restore_from_backup(t):
    """The database's folder read-only (a restore as another user, a
    read-only mount): SQLite cannot make the -wal/-shm files there.  When
    the full check was due (the previous run was killed) this was 74
    'database cannot be read ...; restore it from a backup', advice that
    replaces a good history; when not due, 73.  It is 73 either way."""
    import hashlib
    from lib import STATUS_HEADER
    no_dac = (["setpriv", "--bounding-set=-dac_override,-dac_read_search"]
              if os.geteuid() == 0 else [])
    f = t.write("s.csv", STATUS_HEADER + "C02AAA,Pass,2026-11-20T10:00:00Z" + "," * 14 + "\n")
    os.makedirs(t.path("db"))
    db = t.path("db", "h.db")
    rc, err = _run(t, ["ingest", "--db", db, f])
    assert rc == 0, err
    before = hashlib.sha256(open(db, "rb").read()).hexdigest()
    for killed in (True, False):
        if killed:  # what a killed run leaves: no clean-close note
            with open(db + ".lock", "w") as fh:
                fh.write("pid 4242 started 2026-11-20T01:02:03Z\n")
        os.chmod(t.path("db"), 0o555)
        try:
            p = subprocess.run(no_dac + [BIN, "report", "--quiet", "--db", db, "--out", "out",
                                         "--as-of", AS_OF], cwd=t.tmp, env=_env(),
                               capture_output=True, timeout=120)
        finally:
            os.chmod(t.path("db"), 0o755)
        err = p.stderr.decode()
        assert p.returncode == 73, (killed, p.returncode, err)
        assert len(err.splitlines()) == 1 and "readonly" in err and "backup" not in err, err
        assert hashlib.sha256(open(db, "rb").read()).hexdigest() == before
        assert not os.path.exists(t.path("out"))


# ---- closed standard streams ---------------------------------------------------------

def test_closed_stdout_is_74_and_the_csv_never_lands_in_the_lock_file(t):
    """`ddmreport report summary --out - >&-`: with fd 1 closed, the lock
    file opened next became fd 1 and the CSV meant for stdout was written
    into it (its note gone, the exit 74 only because the lock was closed
    before stdout was flushed)."""
    from lib import STATUS_HEADER
    f = t.write("s.csv", STATUS_HEADER + "C02AAA,Pass,2026-11-20T10:00:00Z" + "," * 14 + "\n")
    rc, err = _run(t, ["ingest", "--db", "k.db", f])
    assert rc == 0, err
    # stdout closed: the CSV; stderr closed: the line explaining 73.
    for closed, args, code in ((1, ["report", "summary", "--out", "-"], 74),
                               (2, ["report", "--out", os.path.join(f, "sub")], 73)):
        os.unlink(t.path("k.db.lock"))

        def close_it(fd=closed):
            os.close(fd)
        p = subprocess.run([BIN] + args + ["--db", "k.db", "--as-of", AS_OF], cwd=t.tmp,
                           env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           preexec_fn=close_it, timeout=60)
        assert p.returncode == code, (args, p.returncode, p.stderr)
        if closed == 1:
            assert p.stderr.decode().splitlines() == [
                "ddmreport: error: stdout: cannot write: Bad file descriptor"], p.stderr
        lock = open(t.path("k.db.lock")).read()
        assert lock.startswith("pid ") and "classification" not in lock \
            and "ddmreport" not in lock, (closed, lock)


_NO_DIR_LOCKS = r'''
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <sys/file.h>
#include <sys/stat.h>
/* flock() on a folder fails as on NFS (record locks need a file opened
 * for writing); on files it works. */
int flock(int fd, int op)
{
	int (*real)(int, int) = (int (*)(int, int))dlsym(RTLD_NEXT, "flock");
	struct stat st;

	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		errno = ENOLCK;
		return -1;
	}
	return real(fd, op);
}
'''


def test_output_folder_without_folder_locks_still_works(t):
    """Where folders cannot be flock()ed (NFS), the private folder is used
    unlocked and a dead run's is known by its PID alone, as before folders
    were locked; the first version of that lock failed every run there
    with 73 'cannot create private temporary folder'."""
    import shutil
    from lib import STATUS_HEADER
    cc = shutil.which("cc") or shutil.which("gcc")
    if not cc:
        print("     (skipped: no C compiler)")
        return
    src = t.write("nolocks.c", _NO_DIR_LOCKS)
    so = t.path("nolocks.so")
    subprocess.run([cc, "-shared", "-fPIC", "-o", so, src, "-ldl"], check=True)
    f = t.write("s.csv", STATUS_HEADER + "C02AAA,Pass,2026-11-20T10:00:00Z" + "," * 14 + "\n")
    dead = subprocess.Popen(["true"])
    dead.wait()
    out = t.path("out")
    stale = os.path.join(out, f".ddmreport-{dead.pid}.DeAd01")
    live = os.path.join(out, f".ddmreport-{os.getpid()}.LiVe01")
    os.makedirs(stale)
    os.makedirs(live)
    rc, err = _run(t, ["run", "--quiet", "--db", "k.db", "--out", "out", "--as-of", AS_OF, f],
                   LD_PRELOAD=so, ASAN_OPTIONS="verify_asan_link_order=0")  # make sanitize
    assert (rc, err) == (0, ""), (rc, err)
    assert "devices.csv" in os.listdir(out)
    assert not os.path.exists(stale) and os.path.exists(live)


def test_config_errors_found_later_still_name_the_file_and_line(t):
    """A bad config line must point at FILE:LINE.  Two did not: a fail-on
    report name (checked once the reports are loaded) and a queries or
    templates folder that is not there (checked by another module): the
    line named the value only, and with a config of many lines the
    operator had to guess which."""
    cfg = t.write("ddm.conf", "db = k.db\nout = out\n"
                              "fail-on = past-deadline,past-deadlines\n")
    rc, err = _run(t, ["report", "--config", cfg, "--as-of", AS_OF])
    assert rc == 64, (rc, err)
    assert err.splitlines()[0] == (f"ddmreport: error: {cfg}:3: --fail-on: no report named "
                                   "past-deadlines (see 'ddmreport list')"), err
    # The command line overrides the file, and its own error has no file.
    rc, err = _run(t, ["report", "--config", cfg, "--fail-on", "nosuch", "--as-of", AS_OF])
    assert rc == 64 and err.startswith("ddmreport: error: --fail-on: no report named nosuch"), err
    for key in ("queries", "templates"):
        cfg = t.write(f"{key}.conf", f"db = k.db\n\n{key} = {t.path('missing')}\n")
        rc, err = _run(t, ["report", "--config", cfg, "--as-of", AS_OF])
        assert rc == 64, (rc, err)
        assert err.splitlines()[0].startswith(f"ddmreport: error: {cfg}:3: "), err
    assert not os.path.exists(t.path("k.db")) and not os.path.exists(t.path("out"))


def test_nightly_folder_with_no_export_is_66_not_last_nights_reports(t):
    # The crontab reads a folder; the export did not arrive (the folder is
    # empty, or holds only a file the tool does not read, such as a .gz).
    # Exit 0 and reports written from old data would pass for tonight's,
    # in silence under --quiet.  A folder of files already seen is exit 0
    # with a warning (test_pipe).
    good = t.write("incoming/status.csv",
                   "serial_number,status,reported_at,platform,os_version\nC02A,Pass,2026-11-20T01:00:00Z,macOS,26.1\n")
    r = t.run("run", "--quiet", "--out", t.out, "--as-of", AS_OF, os.path.dirname(good))
    assert r.rc == 0, r
    r = t.run("run", "--quiet", "--out", t.out, "--as-of", AS_OF, os.path.dirname(good))
    assert r.rc == 0, r   # the same file again: known, nothing new, fine
    empty = t.path("tonight")
    os.makedirs(empty)
    t.write("tonight/status.csv.gz", b"\x1f\x8b\x08\x00")
    before = os.path.getmtime(os.path.join(t.out, "devices.csv"))
    r = t.run("run", "--quiet", "--out", t.out, "--as-of", AS_OF, empty)
    assert r.rc == 66, r
    assert r.err.count("\n") == 1 and "no input file in this folder" in r.err, r.err
    assert os.path.getmtime(os.path.join(t.out, "devices.csv")) == before
