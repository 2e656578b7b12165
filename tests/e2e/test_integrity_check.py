"""The full database check (PRAGMA quick_check, which reads every page) runs
only when it can find something: after a run that did not close the
database cleanly (killed, crashed), when the file changed since the last
clean close, or when the last full check is a week old.  Which statements a
run executes is what DDMREPORT_PROFILE=1 shows on stderr."""
import os
import re
import signal
import subprocess
import time

from lib import BIN, STATUS_HEADER

AS_OF = "2026-11-21T00:00:00Z"
PROFILE = {"DDMREPORT_PROFILE": "1"}


def status_file(t, name="s.csv", rows=200, day=20):
    lines = [STATUS_HEADER]
    for i in range(rows):
        lines.append(f"C02CHK{i:05d},Pass,2026-11-{day}T10:{i % 60:02d}:00Z" + "," * 14 + "\n")
    return t.write(name, "".join(lines))


def checked(t, *args):
    r = t.run(*args, env=PROFILE)
    assert r.rc == 0, r
    return "PRAGMA quick_check" in r.err


def test_check_skipped_after_clean_close_and_run_after_a_change(t):
    f = status_file(t)
    assert checked(t, "ingest", f)  # a new database: nothing noted yet
    assert not checked(t, "report", "--out", t.out, "--as-of", AS_OF)
    assert not checked(t, "ingest", status_file(t, "s2.csv", day=21))
    # Anything that writes the file outside ddmreport (here only its time)
    # makes the next run check it.
    st = os.stat(t.db)
    os.utime(t.db, ns=(st.st_atime_ns, st.st_mtime_ns + 1000))
    assert checked(t, "report", "--out", t.out, "--as-of", AS_OF)
    assert not checked(t, "report", "--out", t.out, "--as-of", AS_OF)


def test_check_after_a_killed_run(t):
    f = status_file(t, rows=20000)
    assert checked(t, "ingest", status_file(t, "first.csv", rows=10))
    assert not checked(t, "report", "--out", t.out, "--as-of", AS_OF)
    p = subprocess.Popen([BIN, "ingest", "--db", t.db, f], cwd=t.tmp,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    lock = t.db + ".lock"
    deadline = time.monotonic() + 30
    # Killed once it holds the lock (its pid is in the lock file).
    while time.monotonic() < deadline and p.poll() is None:
        if os.path.exists(lock) and f"pid {p.pid} " in open(lock).read():
            break
        time.sleep(0.001)
    p.send_signal(signal.SIGKILL)
    p.wait()
    assert checked(t, "report", "--out", t.out, "--as-of", AS_OF)
    assert not checked(t, "report", "--out", t.out, "--as-of", AS_OF)


def test_full_check_at_least_weekly(t):
    assert checked(t, "ingest", status_file(t))
    assert not checked(t, "report", "--out", t.out, "--as-of", AS_OF)
    lock = t.db + ".lock"
    note = open(lock).read()
    m = re.search(r"checked=(\d+)", note)
    assert m, note
    # The last full check 8 days ago: due again.
    week_old = int(m.group(1)) - 8 * 86400
    open(lock, "w").write(note.replace(m.group(0), f"checked={week_old}"))
    assert checked(t, "report", "--out", t.out, "--as-of", AS_OF)
    assert not checked(t, "report", "--out", t.out, "--as-of", AS_OF)
