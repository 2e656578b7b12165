"""Helpers for the end-to-end tests: run the binary, read its outputs.

Workbooks are read with openpyxl (an independent reader), CSV with the csv
module; nothing here uses ddmreport's own code to check ddmreport.
"""
import csv
import io
import os
import shlex
import shutil
import subprocess
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.path.join(ROOT, "ddmreport")
SAMPLES = os.path.join(ROOT, "samples")
REFERENCE = os.path.join(ROOT, "tests", "fixtures", "reference")
SAMPLES_AS_OF = "2026-11-26T12:00:00Z"


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

    def run(self, *args, env=None, stdin=None, timeout=120, wrap=True, db=True):
        """Runs ddmreport with --db (unless db=False); returns a Result."""
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
        p = subprocess.run(cmd, input=stdin, capture_output=True, env=e,
                           cwd=self.tmp, timeout=timeout)
        return Result(p.returncode, p.stdout.decode("utf-8", "replace"),
                      p.stderr.decode("utf-8", "replace"))

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
