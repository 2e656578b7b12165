"""Helpers for the end-to-end tests: run the binary, read its outputs.

Workbooks are read with openpyxl (an independent reader), CSV with the csv
module; nothing here uses ddmreport's own code to check ddmreport.
"""
import csv
import io
import os
import re
import resource
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time

# run_measured's launcher: runs argv[2:], writes its peak RSS (KiB) to
# argv[1] with its wait status.
_MEASURE = """
import os, signal, sys
pid = os.fork()
if pid == 0:
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    try:
        os.execvp(sys.argv[2], sys.argv[2:])
    finally:
        os._exit(127)
signal.signal(signal.SIGTERM, lambda n, f: os.kill(pid, signal.SIGKILL))
_, status, ru = os.wait4(pid, 0)
with open(sys.argv[1], "w") as f:
    f.write("%d %d" % (ru.ru_maxrss, status))
"""

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.path.join(ROOT, "ddmreport")
SAMPLES = os.path.join(ROOT, "samples")
REFERENCE = os.path.join(ROOT, "tests", "fixtures", "reference")
SAMPLES_AS_OF = "2026-11-26T12:00:00Z"
# The samples hold 2 deliberately bad rows in one export of 150 (1.3%, to
# show the rejected report): over the default --max-rejected of 1%, so the
# tests about something else allow it (test_cli pins the 65 itself).
SAMPLE_INPUTS = ("--max-rejected", "5%", SAMPLES)


class Result:
    def __init__(self, rc, out, err):
        self.rc, self.out, self.err = rc, out, err

    def __repr__(self):
        return f"rc={self.rc} stdout={self.out[:300]!r} stderr={self.err[:600]!r}"


class Case:
    def __init__(self, name):
        self.name = name
        self.tmp = tempfile.mkdtemp(prefix="ddm-e2e-")
        self.db = os.path.join(self.tmp, "t.db")
        self.out = os.path.join(self.tmp, "out")

    def cleanup(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def path(self, *parts):
        return os.path.join(self.tmp, *parts)

    def write(self, name, text, mode="w", newline=""):
        p = self.path(name)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        if isinstance(text, bytes):
            with open(p, "wb") as f:
                f.write(text)
        else:
            with open(p, mode, newline=newline) as f:
                f.write(text)
        return p

    def _command(self, args, env, wrap, db):
        cmd = [BIN] + list(args)
        if db and not any(a == "--db" for a in args):
            cmd += ["--db", self.db]
        wrapper = os.environ.get("DDM_WRAP", "") if wrap else ""
        if wrapper:
            cmd = shlex.split(wrapper) + cmd
        e = dict(os.environ, LC_ALL="C", TZ="UTC")
        e.pop("DDMREPORT_DB", None)
        if env:
            e.update(env)
        return cmd, e

    def run(self, *args, env=None, stdin=None, timeout=120, wrap=True, db=True):
        """Runs ddmreport with --db (unless db=False); returns a Result."""
        cmd, e = self._command(args, env, wrap, db)
        p = subprocess.run(cmd, input=stdin, capture_output=True, env=e,
                           cwd=self.tmp, timeout=timeout)
        return Result(p.returncode, p.stdout.decode("utf-8", "replace"),
                      p.stderr.decode("utf-8", "replace"))

    def run_measured(self, *args, env=None, timeout=300, db=True):
        """As run (never wrapped), and the peak RSS in KiB of this child
        alone, from os.wait4's rusage (RUSAGE_CHILDREN would give the
        largest of every child so far)."""
        cmd, e = self._command(args, env, False, db)
        # A child's peak RSS counts the pages it had before exec: those of
        # the process that forked it.  Forked from this runner (grown by the
        # workbooks earlier tests read), /bin/true measured 110 MiB after a
        # test held 100.  So a fresh, small interpreter forks the binary and
        # reports its peak: the measure no longer depends on earlier tests.
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
                tempfile.NamedTemporaryFile("r") as peak:
            p = subprocess.Popen([sys.executable, "-I", "-S", "-c", _MEASURE, peak.name, *cmd],
                                 stdout=out, stderr=err, env=e, cwd=self.tmp)
            try:
                p.wait(timeout)
            except subprocess.TimeoutExpired:
                p.terminate()  # the launcher kills the binary, then ends
                p.wait()
                raise
            kib, status = (int(x) for x in peak.read().split())
            out.seek(0)
            err.seek(0)
            r = Result(os.waitstatus_to_exitcode(status), out.read().decode("utf-8", "replace"),
                       err.read().decode("utf-8", "replace"))
            return r, kib

    def ok(self, *args, **kw):
        r = self.run(*args, **kw)
        assert r.rc == 0, f"expected exit 0: {r}"
        assert "error" not in r.err, f"unexpected error output: {r}"
        return r

    def csv(self, name, where=None):
        """Rows of out/NAME.csv as dicts."""
        with open(os.path.join(where or self.out, name + ".csv"), newline="", encoding="utf-8-sig") as f:
            return list(csv.DictReader(f))

    def workbook(self, where=None):
        import openpyxl
        return openpyxl.load_workbook(os.path.join(where or self.out, "ddmreport.xlsx"))


def parse_csv(text):
    return list(csv.DictReader(io.StringIO(text)))


def empty_sheet_line(ws):
    """The line an empty report's sheet says why with: its table's one row
    (a table needs one) is empty, so that COUNTA or a filter over the
    table counts no device, and the line is the row below, outside it."""
    (ref,) = ws.tables.values()
    first, last = (int(x) for x in re.findall(r"\d+", ref.ref))
    assert last == first + 1, ref.ref
    assert all(c.value is None for c in ws[last]), [c.value for c in ws[last]]
    below = [c.value for c in ws[last + 1]]
    assert below[0] and all(v is None for v in below[1:]), below
    return below[0]


def sheet_rows(ws):
    """(headers, rows) of a report sheet: row 1 title, row 2 headers."""
    rows = list(ws.iter_rows(values_only=True))
    return list(rows[1]), [list(r) for r in rows[2:]]


def sql(db, query):
    """Runs a query with the sqlite3 shell (an independent reader)."""
    p = subprocess.run(["sqlite3", "-batch", "-noheader", db, query],
                       capture_output=True, text=True, check=True)
    return p.stdout


STATUS_HEADER = ("serial_number,status,reported_at,device_name,user,group,platform,model,"
                 "os_version,build_version,extra_version,target_os_version,"
                 "target_build_version,target_local_datetime,time_zone,failure_count,"
                 "failure_reason\n")
TARGETS_HEADER = ("platform,group,serial_number,target_os_version,target_build_version,"
                  "target_local_datetime,details_url\n")
INVENTORY_HEADER = ("serial_number,device_name,user,group,platform,model,time_zone,"
                    "last_check_in,os_version\n")


def limit_fsize(n):
    """A preexec_fn: the child may write files of at most n bytes (a disk
    that fills up at n), and is told EFBIG instead of killed."""
    def pre():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (n, n))
    return pre
