"""JSON status sources (issue 3): raw DDM status reports, NDJSON envelopes,
NanoMDM webhook events, Jamf Pro status items and update statuses, the
enforcement declaration as a target, and bad input.  Fixtures come from
tests/gen_fixtures.py; the real captures copied into tests/fixtures/reference (origins in tests/fixtures/README.md)."""
import json
import os
import sys

from lib import REFERENCE, ROOT, sql

sys.path.insert(0, os.path.join(ROOT, "tests"))
import gen_fixtures  # noqa: E402

CAPTURES = os.path.join(REFERENCE, "ddm-status-reports")
AS_OF = "2026-11-26T12:00:00Z"


def _fx(t):
    return gen_fixtures.write_all(t.path("fx"))


def _obs(t, serial):
    q = ("SELECT status, status_raw, os_version, coalesce(extra_version,''), "
         "coalesce(build_version,''), coalesce(target_os_version,''), "
         "coalesce(target_local_datetime,''), coalesce(failure_count,''), "
         "coalesce(failure_reason,''), coalesce(errors,''), reported_at FROM observation "
         "WHERE serial_number = '%s' ORDER BY reported_at" % serial)
    return [r.split("|") for r in sql(t.db, q).splitlines()]


def _rejected(t):
    q = ("SELECT s.path, r.line, r.reason FROM rejected r JOIN source_file s "
         "ON s.id = r.source_file ORDER BY s.id, r.line")
    return [r.split("|", 2) for r in sql(t.db, q).splitlines()]


def test_reference_captures_every_file(t):
    # The KMFDDM capture named by enrollment id has no serial: teach the
    # enrollment first (an envelope carrying it with a serial).
    enr = "kmfddm-A047820F-FC6B-4104-BED0-466876D82BB8"
    t.write("teach.ndjson", '{"received_at":"2022-06-28T10:00:00Z","enrollment_id":"%s",'
            '"serial_number":"F2LXKMFDDM","report":{"StatusItems":{}}}\n' % enr)
    r = t.run("ingest", t.path("teach.ndjson"), CAPTURES)
    # kmfddm-status.D0.error.json alone has no identity: its one report is
    # rejected (see below), so the run says 65
    assert r.rc == 65 and r.err.count("error:") == 1 and "D0.error.json:1: 1 of 1" in r.err, r
    files = sorted(os.listdir(CAPTURES))
    got = sql(t.db, "SELECT path, format, rows_read FROM source_file ORDER BY id").splitlines()
    for fn in files:
        assert any(fn in g and "|ddm-status-report|1" in g for g in got), (fn, got)
    assert _obs(t, "ZRMXJQTTFX")[0][:4] == ["Unknown", "", "13.3.1", "(a)"]
    z = _obs(t, "000000000000")[0]
    assert z[:6] == ["Downloading", "downloading", "13.3.1", "(a)", "22E772610a", "13.4"], z
    assert z[6] == "2023-06-01T09:30:00"
    k = _obs(t, "F2LXKMFDDM")
    assert k[-1][2] == "16.0" and k[-1][4] == "20A5303i", k
    # its time comes from the file name (2022-06-28 10:32:25 UTC)
    assert k[-1][10] == "1656412345", k
    assert "Error.ConfigurationCannotBeApplied" in k[-1][9], k
    basis = sql(t.db, "SELECT time_basis FROM source_file WHERE path LIKE '%20220628-103225%'")
    assert basis.strip() == "file-name"
    # the capture without any identity is rejected, not dropped
    rej = _rejected(t)
    assert [x for x in rej if "D0.error" in x[0] and "no identity" in x[2]], rej


def test_reference_capture_without_identity_alone_is_rejected(t):
    r = t.run("ingest", os.path.join(CAPTURES, "kmfddm-status.D0.error.json"))
    assert r.rc == 65 and "1 of 1 rows rejected" in r.err, r
    assert "no identity" in _rejected(t)[0][2]


def test_raw_reports_merge_and_learn_identity(t):
    fx = _fx(t)
    t.ok("ingest", os.path.join(fx, "raw"))
    o = _obs(t, "C02RAW00001")
    assert len(o) == 2, o
    # the incremental report (no serial: enrollment learned) keeps the
    # version and pending version it does not carry, replaces failure-reason
    assert o[1][:2] == ["Error", "failed"] and o[1][2] == "26.0.1", o
    assert o[1][5:7] == ["26.1", "2026-11-22T09:00:00"], o
    assert o[1][7:9] == ["2", "Not enough space"], o
    assert "Error.ConfigurationCannotBeApplied" in o[1][9] and "Error.Internal" in o[1][9]
    f = _obs(t, "C02FOLDER01")
    assert f[0][2:5] == ["26.1", "(a)", "25B78a"], f
    assert sql(t.db, "SELECT time_basis FROM source_file WHERE path LIKE '%status.last.json'").strip() == "mtime"


def test_full_report_replaces_the_set(t):
    t.write("a.ndjson",
            '{"received_at":"2026-11-20T10:00:00Z","serial_number":"C02FULL0001","report":'
            '{"StatusItems":{"softwareupdate":{"install-state":"downloading","pending-version":'
            '{"os-version":"26.1","target-local-date-time":"2026-11-30T09:00:00"}}}}}\n'
            '{"received_at":"2026-11-21T10:00:00Z","serial_number":"C02FULL0001","report":'
            '{"StatusItems":{"device":{"operating-system":{"version":"26.1"}}},"FullReport":true}}\n')
    t.ok("ingest", t.path("a.ndjson"))
    o = _obs(t, "C02FULL0001")
    assert o[0][5] == "26.1" and o[1][5] == "" and o[1][0] == "Unknown", o


def test_envelope_ndjson(t):
    fx = _fx(t)
    t.ok("ingest", os.path.join(fx, "envelope.ndjson"))
    o = _obs(t, "C02ENV00001")
    assert [x[0] for x in o] == ["Downloading", "Cached", "Idle"], o   # "none": idle
    assert o[2][2:4] == ["26.1", "a"] and o[2][10] == "1795309200", o  # +09:00 read


def test_nanomdm_webhook(t):
    fx = _fx(t)
    r = t.ok("ingest", os.path.join(fx, "webhook.ndjson"))
    o = _obs(t, "C02HOOK0001")
    assert [x[0] for x in o] == ["Downloading", "Installing"], o   # 2nd: UDID learned
    got = sql(t.db, "SELECT format, rows_read, rows_stored, rows_skipped, rows_rejected "
                    "FROM source_file").strip()
    assert got == "nanomdm-webhook|4|2|2|0", got
    assert r.err == ""


def test_jamf_status_items_every_shape(t):
    fx = _fx(t)
    # sus.json needs the inventory's Jamf ids (next test): alone, its rows
    # are rejected, over --max-rejected
    r = t.run("ingest", os.path.join(fx, "jamf"), "--source-tz", "America/New_York")
    assert r.rc == 65 and r.err.count("error") == 1 and "sus.json:1: 3 of 3 rows" in r.err, r
    for s, st in (("C02JAMF0001", "Downloading"), ("C02JAMF0002", "Installing"),
                  ("C02JAMF0003", "Idle"), ("C02JAMF0004", "Pending"),
                  ("C02JAMF0005", "Cached")):
        o = _obs(t, s)
        assert o and o[0][0] == st, (s, o)
    # lastUpdateTime has no zone: read in --source-tz (08:00 EST = 13:00Z)
    assert _obs(t, "C02JAMF0001")[0][10] == "1795266000"


def test_jamf_update_statuses_through_inventory(t):
    fx = _fx(t)
    r = t.run("ingest", "--max-rejected", "50%", os.path.join(fx, "inventory.csv"),
              os.path.join(fx, "jamf", "sus.json"))
    assert r.rc == 0 and "1 row rejected" in r.err, r
    a, b = _obs(t, "C02SUS00101"), _obs(t, "C02SUS00102")
    assert a[0][:2] == ["Downloading", "DOWNLOADING"] and a[0][5] == "26.1", a
    assert b[0][0] == "Error" and b[0][8] == "SPACE", b   # numeric deviceId, reason kept
    rej = _rejected(t)
    assert len(rej) == 1 and "999" in rej[0][2] and "jamf_computer_id" in rej[0][2], rej


def test_declaration_target_applies_to_reporting_devices(t):
    fx = _fx(t)
    r = t.run("run", "--out", t.out, "--as-of", AS_OF, os.path.join(fx, "inventory.csv"),
              os.path.join(fx, "declaration.json"), os.path.join(fx, "decl-reports.ndjson"))
    assert r.rc == 0, r
    dev = {d["serial_number"]: d for d in t.csv("devices")}
    assert dev["C02DECL0001"]["classification"] == "past-deadline", dev["C02DECL0001"]
    assert dev["C02DECL0001"]["target_os_version"] == "26.1"
    assert dev["C02DECL0002"]["classification"] == "no-target", dev["C02DECL0002"]


def test_targets_csv_declaration_id_column(t):
    t.write("targets.csv", "platform,group,target_os_version,target_local_datetime,declaration_id\n"
            "macOS,*,26.1,2026-11-24T17:00:00,decl.su.26-1\n")
    fx = _fx(t)
    r = t.run("run", "--out", t.out, "--as-of", AS_OF, t.path("targets.csv"),
              os.path.join(fx, "decl-reports.ndjson"))
    assert r.rc == 0, r
    dev = {d["serial_number"]: d for d in t.csv("devices")}
    assert dev["C02DECL0001"]["classification"] == "past-deadline"
    assert dev["C02DECL0002"]["classification"] == "no-target"


def test_device_deadline_outranks_target(t):
    # The target says 2026-11-24 (past); the device reports its own pending
    # deadline 2026-11-28T09:00 (in the future): not past deadline.
    t.write("targets.csv", "platform,group,target_os_version,target_local_datetime\n"
            "macOS,*,26.1,2026-11-24T17:00:00\n")
    t.write("r.ndjson", '{"received_at":"2026-11-26T10:00:00Z","serial_number":"C02OWN00001",'
            '"report":{"StatusItems":{"device":{"model":{"identifier":"Mac15,3"},'
            '"operating-system":{"version":"26.0.1"}},"softwareupdate":{"install-state":'
            '"downloading","pending-version":{"os-version":"26.1","target-local-date-time":'
            '"2026-11-28T09:00:00"}}}}}\n')
    r = t.run("run", "--out", t.out, "--as-of", AS_OF, "--default-tz", "UTC",
              t.path("targets.csv"), t.path("r.ndjson"))
    assert r.rc == 0, r
    d = t.csv("devices")[0]
    assert d["target_scope"] == "device" and d["deadline_local"] == "2026-11-28T09:00:00", d
    assert d["classification"] != "past-deadline", d


def test_errors_shown_on_device_rows(t):
    fx = _fx(t)
    r = t.run("run", "--out", t.out, "--as-of", AS_OF, os.path.join(fx, "raw"))
    assert r.rc == 0, r
    d = {x["serial_number"]: x for x in t.csv("devices")}["C02RAW00001"]
    assert "Error.ConfigurationCannotBeApplied" in d["errors"], d
    e = {x["serial_number"]: x for x in t.csv("errors")}
    assert "errors" in next(iter(e.values()), {"errors": ""}) or not e


def test_bad_inputs_rejected_with_reason(t):
    fx = _fx(t)
    r = t.run("ingest", os.path.join(fx, "bad"))
    # a file no format recognises is refused whole (65), the others ingested
    assert r.rc == 65 and "unknown.json:1: unrecognised JSON document" in r.err, r
    assert "more than --max-rejected" in r.err, r
    rej = {os.path.basename(p): (int(line), why) for p, line, why in _rejected(t)}
    assert "truncated JSON" in rej["truncated.json"][1], rej
    assert "no identity" in rej["no-identity.json"][1]
    assert "not Base64" in rej["webhook-bad-b64.ndjson"][1]
    assert "no Data" in rej["webhook-no-data.ndjson"][1]
    assert rej["invalid-utf8.ndjson"][0] == 2 and "invalid UTF-8" in rej["invalid-utf8.ndjson"][1]
    assert "nested deeper" in rej["deep.json"][1]
    assert "not a known input format" in rej["unknown.json"][1]
    assert "NanoMDM webhook event" in rej["unknown.json"][1]   # lists what is accepted
    # the good line beside the bad one is kept
    assert _obs(t, "C02GOOD0001")


def test_huge_line_skipped_in_bounded_memory(t):
    p = t.path("huge.ndjson")
    gen_fixtures.write_huge_line(p, 1 << 30)
    r, peak_kib = t.run_measured("ingest", p, timeout=300)
    assert r.rc == 65 and "1 of 3 rows rejected" in r.err, r
    rej = _rejected(t)
    assert len(rej) == 1 and rej[0][1] == "2" and "longer than the 16 MiB limit" in rej[0][2], rej
    assert len(_obs(t, "C02HUGE0001")) == 2
    assert peak_kib < 200 * 1024, peak_kib
    os.unlink(p)


def _env(at, eid, serial=None, udid=None, version="15.7.2"):
    ident = {}
    if serial:
        ident["serial-number"] = serial
    if udid:
        ident["udid"] = udid
    return json.dumps({"received_at": at, "enrollment_id": eid, "report": {
        "StatusItems": {"device": {"identifier": ident, "operating-system": {
            "family": "macOS", "version": version}},
            "softwareupdate": {"install-state": "waiting"}},
        "Errors": [], "FullReport": True}})


def test_ids_learned_in_a_file_as_report_by_report(t):
    # Ids a file's reports teach are written in id order at the file's end
    # (merge.c): the enrollment table must end as if written one by one,
    # and a later report of the same file must see them.
    first = [_env("2026-11-01T00:00:0%dZ" % i, "E%d" % i, "SER%d" % i, udid="U%d" % i)
             for i in range(3)]
    t.write("a.ndjson", "\n".join(first) + "\n")
    t.ok("ingest", t.path("a.ndjson"))
    second = [_env("2026-11-02T00:00:00Z", "E1", "NEWB"),
              _env("2026-11-02T00:00:01Z", "E1"),                   # NEWB, held
              _env("2026-11-02T00:00:02Z", "E1", "SER1"),           # back: file 2
              _env("2026-11-02T00:00:03Z", "E1", version="26.1"),   # SER1
              _env("2026-11-02T00:00:04Z", "E2", "SER2"),           # unchanged: file 1
              _env("2026-11-02T00:00:05Z", "E9", udid="U0"),        # UDID from the db
              _env("2026-11-02T00:00:06Z", "E7", "ser7", udid="U7"),
              _env("2026-11-02T00:00:07Z", "X7", udid="U7"),        # UDID held
              _env("2026-11-02T00:00:08Z", "E8")]                   # never seen
    t.write("b.ndjson", "\n".join(second) + "\n")
    r = t.run("ingest", t.path("b.ndjson"))
    assert r.rc == 65, r
    got = sql(t.db, "SELECT enrollment_id, serial_number, source_file FROM enrollment "
                    "ORDER BY 1").split()
    assert got == ["E0|SER0|1", "E1|SER1|2", "E2|SER2|1", "E7|SER7|2", "E9|SER0|2",
                   "U0|SER0|1", "U1|SER1|1", "U2|SER2|1", "U7|SER7|2", "X7|SER7|2"], got
    got = sql(t.db, "SELECT serial_number, line FROM observation WHERE source_file = 2 "
                    "ORDER BY line").split()
    assert got == ["NEWB|1", "NEWB|2", "SER1|3", "SER1|4", "SER2|5", "SER0|6", "SER7|7",
                   "SER7|8"], got
    assert [x[1:] for x in _rejected(t)] == [["9", "report has no serial number and "
                                             "enrollment E8 has not been seen with one"]], \
        _rejected(t)
    # a webhook file after envelopes in one run: both learn
    fx = _fx(t)
    t.ok("ingest", os.path.join(fx, "envelope.ndjson"), os.path.join(fx, "webhook.ndjson"))
    assert [x[0] for x in _obs(t, "C02HOOK0001")] == ["Downloading", "Installing"]


def test_json_reingest_changes_nothing(t):
    fx = _fx(t)
    t.ok("ingest", os.path.join(fx, "envelope.ndjson"), os.path.join(fx, "webhook.ndjson"))
    before = sql(t.db, "SELECT count(*) FROM observation").strip()
    t.ok("ingest", os.path.join(fx, "envelope.ndjson"), os.path.join(fx, "webhook.ndjson"))
    assert sql(t.db, "SELECT count(*) FROM observation").strip() == before


def test_same_bytes_at_another_time_is_another_report(t):
    # Two captures of one device with identical content but different times in
    # their names: two observations (the second extends last_seen), while the
    # very same capture fed again under another folder changes nothing.
    import json
    import shutil
    doc = json.dumps({"StatusItems": {"device": {"identifier": {"serial-number": "X1DUP"}},
                                      "softwareupdate": {"install-state": "downloading"}},
                      "Errors": []})
    a = t.write("caps/E1.20261120-080000.000001.status.json", doc)
    t.write("caps/E1.20261121-080000.000002.status.json", doc)
    r = t.run("run", "--out", t.out, "--as-of", "2026-11-22T00:00:00Z", t.path("caps"))
    assert r.rc == 0, r
    from lib import sql
    assert sql(t.db, "SELECT count(*) FROM observation WHERE serial_number = 'X1DUP'").strip() == "2"
    dev = {d["serial_number"]: d for d in t.csv("devices")}["X1DUP"]
    assert dev["last_seen"] == "2026-11-21T08:00:00Z"
    assert dev["status_since"] == "2026-11-20T08:00:00Z"
    os_copy = t.path("again")
    import os
    os.makedirs(os_copy)
    shutil.copy(a, os_copy)
    assert t.run("ingest", os_copy).rc == 0
    assert sql(t.db, "SELECT count(*) FROM observation WHERE serial_number = 'X1DUP'").strip() == "2"
    assert sql(t.db, "SELECT count(*) FROM source_file").strip() == "2"


def _decode_fields(blob):
    """ddm_state.fields as schema.sql documents it: (field, value, reported_at,
    source_file) tuples (value None for null)."""
    out, i = [], 0
    while i < len(blob):
        nums = []
        for _ in range(4):
            j = blob.index(b" ", i)
            nums.append(int(blob[i:j]))
            i = j + 1
        t, f, fl, vl = nums
        field = blob[i:i + fl].decode()
        i += fl
        value = None if vl < 0 else blob[i:i + vl].decode()
        i += max(vl, 0)
        assert vl >= -1 and i <= len(blob), blob
        out.append((field, value, t, f))
    return out


def _merged(db):
    import sqlite3
    con = sqlite3.connect(db)
    rows = sorted((s, *x) for s, b in con.execute("SELECT serial_number, fields FROM ddm_state")
                  for x in _decode_fields(bytes(b)))
    con.close()
    return rows


def _report(at, serial, items, full=False):
    import json
    return json.dumps({"received_at": at, "serial_number": serial,
                       "report": {"StatusItems": items, "FullReport": full}}) + "\n"


def test_version_1_database_keeps_merging(t):
    # A database written before the merged sets were one row per device kept
    # them a row per field (ddm_item, schema version 1).  Opened by this
    # build it is converted, and merging goes on as in a database that was
    # never converted.
    import shutil
    import sqlite3
    pending = {"os-version": "26.1", "target-local-date-time": "2026-11-30T09:00:00"}
    t.write("a.ndjson",
            _report("2026-11-20T10:00:00Z", "C02MIGR0001",
                    {"device": {"operating-system": {"version": "26.0.1", "build-version": "25A362"},
                                "model": {"identifier": "Mac15,3"}},
                     "softwareupdate": {"install-state": "downloading", "pending-version": pending,
                                        "failure-reason": {"count": 1, "reason": "Ünïcode space"}}}, True)
            + _report("2026-11-20T11:00:00Z", "C02MIGR0002",
                      {"softwareupdate": {"install-state": "downloading", "pending-version": pending},
                       "device": {"operating-system": {"version": "15.7"}}}))
    t.write("b.ndjson",
            _report("2026-11-21T10:00:00Z", "C02MIGR0001",
                    {"softwareupdate": {"install-state": "installing"}})
            + _report("2026-11-19T10:00:00Z", "C02MIGR0002",   # older: state wins
                      {"device": {"operating-system": {"version": "15.6"}}})
            + _report("2026-11-22T10:00:00Z", "C02MIGR0002",   # full: older fields go
                      {"softwareupdate": {"install-state": "idle"}}, True)
            + _report("2026-11-22T11:00:00Z", "C02MIGR0003",
                      {"softwareupdate": {"install-state": "idle"}}))
    t.ok("ingest", t.path("a.ndjson"))
    old = t.path("old.db")
    shutil.copy(t.db, old)
    first = _merged(t.db)
    assert {r[0] for r in first} == {"C02MIGR0001", "C02MIGR0002"}, first
    assert ("C02MIGR0001", "failure_reason", "Ünïcode space") in [r[:3] for r in first], first
    # the same database in the version-1 layout (schema.sql of that version)
    con = sqlite3.connect(old)
    con.execute("""CREATE TABLE ddm_item (
	serial_number TEXT NOT NULL,
	field         TEXT NOT NULL,
	value         TEXT,
	reported_at   INTEGER NOT NULL,
	source_file   INTEGER NOT NULL REFERENCES source_file(id),
	PRIMARY KEY (serial_number, field)
) WITHOUT ROWID""")
    con.executemany("INSERT INTO ddm_item VALUES (?, ?, ?, ?, ?)", first)
    con.execute("DROP TABLE ddm_state")
    con.execute("PRAGMA user_version = 1")
    con.commit()
    con.close()
    t.ok("ingest", t.path("b.ndjson"))
    t.ok("ingest", "--db", old, t.path("b.ndjson"))
    assert sql(old, "SELECT count(*) FROM sqlite_master WHERE name = 'ddm_item'").strip() == "0"
    assert sql(old, "PRAGMA user_version").strip() == "3"  # the current schema version
    assert _merged(old) == _merged(t.db)
    q = "SELECT * FROM observation ORDER BY serial_number, reported_at"
    assert sql(old, q) == sql(t.db, q)
    o = _obs(t, "C02MIGR0001")
    assert len(o) == 2 and o[1][0] == "Installing" and o[1][2] == "26.0.1", o  # kept from file a
    # the older report does not overwrite the newer version in the merged
    # set, and is stored as what it said then (15.6; no pending version
    # known before it); the full one drops the pending version but keeps
    # the device facts it does not carry
    assert ("C02MIGR0002", "os_version", "15.7") in [r[:3] for r in _merged(t.db)]
    o = [(r[2], r[5]) for r in _obs(t, "C02MIGR0002")]
    assert o == [("15.6", ""), ("15.7", "26.1"), ("15.7", "")], o
