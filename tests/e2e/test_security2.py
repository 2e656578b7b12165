"""Hostile data on the paths added since test_security.py: bidi controls in
serials, file names that look like formulas in the new sheets and columns,
the files an upgrade and a run create, a deferred JSON file that changes
between its two readings."""
import os

from lib import INVENTORY_HEADER, STATUS_HEADER, TARGETS_HEADER, sql
# the status row, 26.1 target and classification helpers of the serial tests
from test_identity import devices, status, targets

AS_OF = "2026-11-26T00:00:00Z"
LRM, RLM, RLO, PDF, LRI, PDI, ALM = ("\u200e", "\u200f", "\u202e", "\u202c",
                                     "\u2066", "\u2069", "\u061c")


def test_bidi_controls_in_a_serial_are_the_same_device(t):
    # A serial copied from a right-to-left page or an Excel cell carries a
    # left-to-right or right-to-left mark; a hostile export writes a
    # right-to-left override so that one serial reads as another on the
    # sheet.  They are invisible like the zero-width space: the Mac was
    # two devices, one compliant and one past its deadline.
    s = t.write("s.csv", STATUS_HEADER
                + status("C02AAA0001", "Downloading", "2026-11-25T09:00:00Z", "a", "15.0")
                + status("C02AAA0001" + LRM, "Pass", "2026-11-25T10:00:00Z", "a", "26.1")
                + status(RLM + "C02AAA0002", "Downloading", "2026-11-25T09:00:00Z", "b", "15.0")
                + status("C02AAA0002", "Pass", "2026-11-25T10:00:00Z", "b", "26.1")
                + status("C02" + RLO + "AAA0003" + PDF, "Pass", "2026-11-25T10:00:00Z", "c", "26.1")
                + status(LRI + "C02AAA0004" + PDI + ALM, "Pass", "2026-11-25T10:00:00Z", "d", "26.1"))
    inv = t.write("inv.csv", INVENTORY_HEADER
                  + "C02AAA0003,c,,,macOS,,,,15.0\n"
                  + "C02AAA0004,d,,,macOS,,,,15.0\n")
    t.ok("run", "--as-of", AS_OF, "--out", t.out, inv, s, targets(t))
    assert devices(t) == {"C02AAA0001": "compliant", "C02AAA0002": "compliant",
                          "C02AAA0003": "compliant", "C02AAA0004": "compliant"}, devices(t)
    # no stored serial keeps a bidi control (it would read reversed)
    for ch in (LRM, RLM, RLO, PDF, LRI, PDI, ALM):
        assert ch not in sql(t.db, "SELECT group_concat(serial_number) FROM device"), repr(ch)


def test_a_serial_of_only_bidi_controls_is_missing(t):
    s = t.write("s.csv", STATUS_HEADER
                + status("C02AAA0001", "Pass", "2026-11-25T10:00:00Z", "a", "26.1")
                + status(RLO + LRM, "Pass", "2026-11-25T10:00:00Z", "b", "26.1"))
    r = t.run("ingest", "--max-rejected", "100%", s)
    assert r.rc == 0, r
    assert sql(t.db, "SELECT reason FROM rejected") == "missing serial_number\n"
    assert sql(t.db, "SELECT serial_number FROM device") == "C02AAA0001\n"


def _checkin(message_type, udid, serial):
    import base64
    keys = [("MessageType", message_type), ("UDID", udid), ("Topic", "com.apple.mgmt.X"),
            ("SerialNumber", serial)]
    body = "".join("\t<key>%s</key>\n\t<string>%s</string>\n" % kv for kv in keys)
    x = ('<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0">\n<dict>\n%s</dict>\n'
         '</plist>\n' % body)
    return base64.b64encode(x.encode()).decode()


def _deferred_then_swapped(t, swap):
    """A DDM capture named by an enrollment id is read first and put off
    (no input so far ties its id to a serial); the second input is a pipe
    with the webhook log that names the Mac.  While ddmreport waits on the
    pipe, swap(capture path) changes the capture, then the pipe is fed.
    Returns (Result, capture path); the run must end on its own."""
    import json
    import subprocess
    udid = "00008110-72488B810DFAFE39"
    rep = {"StatusItems": {"softwareupdate": {"install-state": "downloading"},
                           "device": {"operating-system": {"version": "15.0"}}},
           "Errors": [], "FullReport": True}
    cap = t.write("night/captures/%s.20261125-100000.000001.status.json" % udid,
                  json.dumps(rep))
    ev = {"topic": "mdm.Authenticate", "event_id": "x", "created_at": "2026-11-25T09:00:00Z",
          "checkin_event": {"udid": udid, "enrollment_id": udid,
                            "raw_payload": _checkin("Authenticate", udid, "C02AAA0009")}}
    pipe = t.path("webhook.ndjson")
    os.mkfifo(pipe)
    cmd, env = t._command(("ingest", cap, pipe), None, True, True)
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                         cwd=t.tmp)
    # The input check opens the pipe without waiting; the ingest's own open
    # waits for a writer (the kernel's wait_for_partner) once the capture
    # was read and put off: only then is it swapped.
    import time
    deadline = time.time() + 60
    while time.time() < deadline and p.poll() is None:
        try:
            with open("/proc/%d/wchan" % p.pid) as f:
                if f.read().strip() == "wait_for_partner":
                    break
        except OSError:
            break
        time.sleep(0.02)
    try:
        with open(pipe, "w") as w:
            swap(cap)
            w.write(json.dumps(ev) + "\n")
        out, err = p.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        p.kill()
        p.communicate()
        raise AssertionError("ddmreport hung on the deferred file's second reading")
    from lib import Result
    return Result(p.returncode, out.decode("utf-8", "replace"),
                  err.decode("utf-8", "replace")), cap


def test_a_deferred_file_turned_into_a_fifo_does_not_hang_the_run(t):
    # The incoming folder is writable by the export job (and whoever holds
    # it): a capture replaced by a FIFO between its first reading and the
    # second one blocked the nightly run for ever, waiting for a writer
    # that never comes, and no report was written that night.
    def to_fifo(cap):
        os.unlink(cap)
        os.mkfifo(cap)
    r, cap = _deferred_then_swapped(t, to_fifo)
    assert r.rc == 65, r
    assert "regular file" in r.err and os.path.basename(cap) in r.err, r
    # the pipe's own events were stored; nothing of the capture
    assert sql(t.db, "SELECT count(*) FROM observation") == "0\n"


def test_a_deferred_file_rewritten_between_its_readings_is_counted_once(t):
    # The second reading is the one stored, with the hash of what it read:
    # the first reading was rolled back, so nothing is counted twice.
    import hashlib
    import json

    def rewrite(cap):
        rep = json.load(open(cap))
        rep["StatusItems"]["softwareupdate"]["install-state"] = "none"
        rep["StatusItems"]["device"]["operating-system"]["version"] = "26.1"
        with open(cap, "w") as f:
            json.dump(rep, f)
    r, cap = _deferred_then_swapped(t, rewrite)
    assert r.rc == 0, r
    assert sql(t.db, "SELECT serial_number, status_raw, os_version FROM observation") \
        == "C02AAA0009|none|26.1\n"
    digest = hashlib.sha256(open(cap, "rb").read()).hexdigest()
    assert sql(t.db, "SELECT count(*) FROM source_file WHERE sha256 = '%s'" % digest) == "1\n"
    assert sql(t.db, "SELECT count(*) FROM source_file") == "2\n"


def test_a_json_serial_longer_than_a_csv_may_hold_is_rejected_not_cut(t):
    # A CSV row whose serial is over 127 bytes is rejected; a JSON report's
    # was cut to its first 127 bytes in silence, so two reports of two
    # different serials sharing those bytes were one device, whose answer
    # was whichever came last (here compliant, hiding the one at 15.0).
    import json

    def env(sn, version, state, at):
        rep = {"StatusItems": {"softwareupdate": {"install-state": state},
                               "device": {"operating-system": {"version": version}}},
               "Errors": [], "FullReport": True}
        return json.dumps({"received_at": at, "serial_number": sn, "report": rep}) + "\n"
    long1 = "C02AAA0001" + "X" * 130 + "1"
    long2 = "C02AAA0001" + "X" * 130 + "2"
    e = t.write("e.ndjson", env(long1, "15.0", "downloading", "2026-11-25T08:00:00Z")
                + env(long2, "26.1", "none", "2026-11-25T09:00:00Z")
                + env("C02AAA0003", "26.1", "none", "2026-11-25T09:00:00Z"))
    r = t.run("run", "--max-rejected", "100%", "--as-of", AS_OF, "--out", t.out, e, targets(t))
    assert r.rc == 0, r
    assert set(devices(t)) == {"C02AAA0003"}, devices(t)
    assert sql(t.db, "SELECT count(*) FROM rejected WHERE reason LIKE '%longer than 127 bytes%'") \
        == "2\n", sql(t.db, "SELECT reason FROM rejected")


def _old_db(t):
    """t.db as a schema version 2 database (test_upgrade's older build)."""
    import test_upgrade
    test_upgrade.old_database(t)
    return test_upgrade.night2(t)


def test_every_file_of_an_upgrade_night_is_private_under_umask_000(t):
    # cron may run with a umask of 000: the copy kept before an upgrade
    # holds every device, user and raw row, as the database does.
    import glob
    import stat
    inputs = _old_db(t)
    old = os.umask(0)
    try:
        r = t.run("run", "--as-of", AS_OF, "--out", t.path("out-{date}"), *inputs)
    finally:
        os.umask(old)
    assert r.rc == 0, r
    made = glob.glob(t.db + "*") + glob.glob(t.path("out-*")) + glob.glob(t.path("out-*", "*"))
    assert any(p.endswith(".bak") for p in made) and any(p.endswith(".lock") for p in made), made
    for p in made:
        mode = stat.S_IMODE(os.lstat(p).st_mode)
        assert mode & 0o007 == 0, (p, oct(mode))  # nothing for others
        if p.startswith(t.db):
            assert mode & 0o077 == 0, (p, oct(mode))  # the database's files: owner only


def test_a_link_planted_at_the_upgrade_copys_temporary_name_is_not_written_through(t):
    # The copy's temporary name (DB.schema-2-TIME.bak.tmp) can be guessed
    # to the second: a link planted there must not make the run write the
    # database's contents to the link's target.
    import time
    inputs = _old_db(t)
    victim = t.write("victim.txt", "keep me\n")
    now = int(time.time())
    for s in range(now - 1, now + 30):
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(s))
        os.symlink(victim, "%s.schema-2-%s.bak.tmp" % (t.db, stamp))
    r = t.run("run", "--as-of", AS_OF, "--out", t.out, *inputs)
    assert r.rc != 0 and "cannot copy the database" in r.err, r
    assert open(victim).read() == "keep me\n"
    # nothing was converted: the database is still the older build's
    assert sql(t.db, "PRAGMA user_version") == "2\n"


HOSTILE_NAMES = ('=HYPERLINK("http:\\\\x","click").csv', "+cmd|' -C calc'!A0.csv", "-2+3.csv",
                 "@SUM(1).csv", "a\nb=1+1.csv", "\tab.csv", " =1+2.csv")


def test_file_names_that_look_like_formulas_stay_text_in_the_new_cells(t):
    # Export names an attacker controls, dropped in the incoming folder and
    # read by their relative names: they reach the Rejected sheet and
    # rejected.csv (file), About's inputs and, on the next night, its
    # 'Seen before' list.  Every such cell is text: a string cell in the
    # workbook, a guarded field in the excel profile's CSV.
    import csv
    import glob
    import openpyxl
    from lib import STATUS_HEADER as H
    for i, n in enumerate(HOSTILE_NAMES):
        t.write(os.path.join("in", n), H + status("C02AAA%04d" % i, "Pass", "2026-11-25T10:00:00Z",
                                                  "m", "26.1")
                + status("", "Pass", "2026-11-25T10:00:00Z", "m", "26.1"))
    for out in ("o1", "o2"):  # the second night: every file seen before
        import subprocess
        cmd, env = t._command(("run", "--db", t.db, "--max-rejected", "100%", "--as-of", AS_OF,
                               "--out", t.path(out), "--") + HOSTILE_NAMES, None, True, True)
        p = subprocess.run(cmd, cwd=t.path("in"), env=env, capture_output=True)
        assert p.returncode == 0, p.stderr
        seen = set()
        wb = openpyxl.load_workbook(t.path(out, "ddmreport.xlsx"))
        for ws in wb:
            for row in ws.iter_rows():
                for c in row:
                    assert c.data_type != "f", (ws.title, c.coordinate, c.value)
                    if c.value in HOSTILE_NAMES:
                        assert c.data_type == "s"
                        seen.add((ws.title, c.value))
        assert {n for s, n in seen if s == "About"} == set(HOSTILE_NAMES), seen
        assert {n for s, n in seen if s == "Rejected"} == set(HOSTILE_NAMES), seen
        for f in glob.glob(t.path(out, "*.csv")):
            with open(f, newline="", encoding="utf-8-sig") as fh:
                for row in csv.reader(fh):
                    for v in row:
                        assert v[:1] not in ("\t", "\r", "\n") and \
                            v.lstrip(" ")[:1] not in ("=", "+", "-", "@"), (f, v)
        files = [r["file"] for r in t.csv("rejected", t.path(out))]
        assert sorted(files) == sorted(n if n.startswith("a\n") else "'" + n
                                       for n in HOSTILE_NAMES), files


def _status_group(serial, group):
    return (f"{serial},Downloading,2026-11-25T10:00:00Z,m,,{group},macOS,,15.0"
            + "," * 8 + "\n")


def test_invisible_characters_in_a_group_do_not_lose_its_target(t):
    # A group typed through a spreadsheet or copied from a web page ends
    # with a zero-width space or a direction mark: the Mac at 15.0, past
    # its group's 26.1 deadline, was 'no-target', on no action list.  The
    # serial's invisible characters were dropped (31ae8ec), not the group's.
    s = t.write("s.csv", STATUS_HEADER
                + _status_group("C02AAA0001", "Engineering\u200b")
                + _status_group("C02AAA0002", "Engineering" + LRM)
                + _status_group("C02AAA0003", RLO + "Engi\u2060neering" + PDF)
                + _status_group("C02AAA0004", "\ufeffEngineering\u00a0")
                + _status_group("C02AAA0005", "Sales"))
    tg = t.write("t.csv", TARGETS_HEADER + "macOS,Engineering\u200b,,26.1,,2026-11-20T10:00:00,\n")
    t.ok("run", "--as-of", AS_OF, "--out", t.out, s, tg)
    assert devices(t) == {"C02AAA0001": "past-deadline", "C02AAA0002": "past-deadline",
                          "C02AAA0003": "past-deadline", "C02AAA0004": "past-deadline",
                          "C02AAA0005": "no-target"}, devices(t)
    groups = {r["group"] for r in t.csv("devices")}
    assert groups == {"Engineering", "Sales"}, groups
