"""The admin who upgrades: a history database written by older builds, fed
tonight's files by this build, must give the answers this build would give
had it ingested the same files from the start, lose nothing stored, and
an older build must refuse the database once it is upgraded.

The older state is made with SQL here (no old binary is committed): rows
exactly as the build before the serial cleaning (2227b99, schema version 2)
stored them, checked against that build by hand with
`ddmreport ingest --max-rejected 100% --db n1.db n1/` on the files below."""
import json
import sqlite3

from lib import INVENTORY_HEADER, STATUS_HEADER, TARGETS_HEADER, sql

AS_OF = "2026-11-26T00:00:00Z"
ZWSP = "\u200b"
ENR = "A047820F-FC6B-4104-BED0-466876D82BB8"


def status(serial, st, when, name, os_version):
    return f"{serial},{st},{when},{name},,,macOS,,{os_version}" + "," * 8 + "\n"


def envelope(at, version, state, full=True, **meta):
    rep = {"StatusItems": {"softwareupdate": {"install-state": state},
                           "device": {"operating-system": {"version": version}}},
           "Errors": [], "FullReport": full}
    return json.dumps(dict(received_at=at, report=rep, **meta)) + "\n"


def night1(t):
    """Night 1's files (what the older build ingested)."""
    return [t.write("n1/inv.csv", INVENTORY_HEADER + "C02AAA0001" + ZWSP + ",m1,,,macOS,,,,15.0\n"
                    + "Not Available,vm1,,,macOS,,,,15.0\nC02AAA0003,m3,,,macOS,,,,15.0\n"),
            t.write("n1/s.csv", STATUS_HEADER
                    + status("C02AAA0001" + ZWSP, "Downloading", "2026-11-24T09:00:00Z", "m1", "15.0")
                    + status("Not Available", "Downloading", "2026-11-24T09:00:00Z", "vm1", "15.0")
                    + status("not available", "Pass", "2026-11-24T10:00:00Z", "vm2", "26.1")),
            t.write("n1/e.ndjson", envelope("2026-11-24T07:00:00Z", "15.0", "downloading",
                                            enrollment_id=ENR.lower(),
                                            serial_number="C02AAA0003"))]


def night2(t):
    """Tonight's files: the Mac's clean serial, the id in the device's case."""
    return [t.write("n2/s.csv", STATUS_HEADER
                    + status("C02AAA0001", "Pass", "2026-11-25T10:00:00Z", "m1", "26.1")),
            t.write("n2/e.ndjson", envelope("2026-11-25T08:00:00Z", "26.1", "none", False,
                                            enrollment_id=ENR)),
            t.write("t.csv", TARGETS_HEADER + "macOS,,,26.1,,2026-11-20T10:00:00,\n")]


def old_database(t):
    """t.db as the build before the serial cleaning left it after night 1:
    the serial with its zero-width space, the placeholder as one device,
    the enrollment id in the collector's lower case."""
    t.ok("ingest", t.write("empty.csv", INVENTORY_HEADER))  # this build's tables
    con = sqlite3.connect(t.db)
    con.executescript("""
        DELETE FROM source_file;
        INSERT INTO source_file (id, sha256, path, kind, format, size, rows_read,
                                 rows_stored, ingested_at)
        VALUES (1, 'a1', 'n1/e.ndjson', 'status', 'ddm-ndjson-envelope', 296, 1, 1, 1796212292),
               (2, 'a2', 'n1/inv.csv', 'inventory', 'canonical-inventory', 184, 3, 3, 1796212292),
               (3, 'a3', 'n1/s.csv', 'status', 'canonical-status', 421, 3, 3, 1796212292);
        INSERT INTO device (serial_number, in_inventory, device_name, platform, os_version,
                            source_file)
        VALUES ('C02AAA0001' || char(8203), 1, 'm1', 'macOS', '15.0', 2),
               ('C02AAA0003', 1, 'm3', 'macOS', '15.0', 2),
               ('NOT AVAILABLE', 1, 'vm1', 'macOS', '15.0', 2);
        INSERT INTO observation (serial_number, reported_at, status, status_raw, os_version,
                                 device_name, platform, source_file, line)
        VALUES ('C02AAA0003', 1795503600, 'Downloading', 'downloading', '15.0', NULL, NULL, 1, 1),
               ('C02AAA0001' || char(8203), 1795510800, 'Downloading', 'Downloading', '15.0',
                'm1', 'macOS', 3, 2),
               ('NOT AVAILABLE', 1795510800, 'Downloading', 'Downloading', '15.0',
                'vm1', 'macOS', 3, 3),
               ('NOT AVAILABLE', 1795514400, 'Pass', 'Pass', '26.1', 'vm2', 'macOS', 3, 4);
        INSERT INTO enrollment VALUES (lower('%s'), 'C02AAA0003', 1);
        PRAGMA user_version = 2;
    """ % ENR)
    con.close()


def classes(t, out):
    return {r["serial_number"]: r["classification"] for r in t.csv("devices", out)}


def test_serials_and_ids_an_older_build_stored_are_this_builds_at_upgrade(t):
    # A database of the build before the serial cleaning held the Mac
    # 'C02AAA0001<zero-width space>' (its spreadsheet's spelling), a device
    # 'NOT AVAILABLE' (two VMs merged) and an enrollment id learned in lower
    # case.  Upgraded and fed tonight's files, the fleet had 4 devices: the
    # Mac twice (compliant, and past its deadline on last night's report),
    # the placeholder 'device' compliant, and C02AAA0003 past its deadline
    # because tonight's report, under the id in the device's upper case,
    # was rejected ('not seen with a serial').  The same files fed to this
    # build from the start give 2 devices, both compliant.
    old_database(t)
    n2 = night2(t)
    r = t.run("run", "--as-of", AS_OF, "--out", t.out, "--max-rejected", "100%", *n2)
    assert r.rc == 0, r
    fresh, fresh_out = t.path("fresh.db"), t.path("fresh")
    r = t.run("run", "--db", fresh, "--as-of", AS_OF, "--out", fresh_out,
              "--max-rejected", "100%", *night1(t), *n2)
    assert r.rc == 0, r
    assert classes(t, fresh_out) == {"C02AAA0001": "compliant", "C02AAA0003": "compliant"}
    assert classes(t, t.out) == classes(t, fresh_out), classes(t, t.out)
    for report in ("summary", "past-deadline", "not-reporting", "patch-latency"):
        assert t.csv(report) == t.csv(report, fresh_out), report
    # nothing stored is lost: the Mac's report of night 1 is its history now
    assert sql(t.db, "SELECT status FROM observation WHERE serial_number = 'C02AAA0001' "
                     "ORDER BY reported_at") == "Downloading\nPass\n"
    # the placeholder's rows are rejected, with their file and line, as
    # this build rejects them at ingest (the inventory row's line was not
    # kept: 0), saying why they appear only now
    assert sql(t.db, "SELECT source_file || ':' || line FROM rejected "
                     "WHERE reason LIKE '%placeholder%upgraded' ORDER BY 1") == "2:0\n3:3\n3:4\n", \
        sql(t.db, "SELECT * FROM rejected")
    assert sql(t.db, "SELECT count(*) FROM device WHERE serial_number LIKE 'NOT%'") == "0\n"
    assert sql(t.db, "SELECT enrollment_id FROM enrollment") == ENR + "\n"
    # and an older build (schema version 2) now refuses the database
    assert sql(t.db, "PRAGMA user_version") == "3\n"


def about(t, out):
    rows = t.workbook(out)["About"].iter_rows(values_only=True)
    return {r[1]: r[2] for r in rows if r and r[0] == "Run"}


def test_about_says_the_database_was_upgraded(t):
    # An auditor reading tonight's workbook could not tell that the
    # history behind it was written by an older build under older rules
    # and converted tonight: About named the tool's version only.
    old_database(t)
    t.ok("run", "--as-of", AS_OF, "--out", t.out, *night2(t))
    schema = about(t, t.out)["Database schema version"]
    assert schema.startswith("3; upgraded to 3 at 20") and "from schema version 2" in schema, schema
    # the next night still says so; a database this build made says that
    t.ok("report", "--as-of", AS_OF, "--out", t.path("next"))
    assert about(t, t.path("next"))["Database schema version"] == schema
    s, _, tg = night2(t)
    t.ok("run", "--db", t.path("new.db"), "--as-of", AS_OF, "--out", t.path("new"), s, tg)
    assert about(t, t.path("new"))["Database schema version"] == "3 (a new database)"


def test_a_database_of_the_first_builds_opens_and_keeps_its_history(t):
    # The first builds (76ee979, 8285a43) kept source_file without
    # name_time and with sha256 UNIQUE alone (`git show
    # 8285a43:queries/schema.sql`).  This build refused to start on such a
    # history: 'queries/store.sql:12:29: sql: no such column: name_time',
    # no report written, night after night.  Now the table is remade once,
    # ids kept, and a capture with the same bytes at another time is a
    # second report, as in a database this build made.
    first = t.write("s.csv", STATUS_HEADER
                    + status("C02AAA0001", "Downloading", "2026-11-24T09:00:00Z", "m1", "15.0"))
    t.ok("ingest", first)
    con = sqlite3.connect(t.db)
    con.executescript("""
        CREATE TABLE old_sf (
            id             INTEGER PRIMARY KEY,
            sha256         TEXT NOT NULL UNIQUE,
            path           TEXT NOT NULL,
            kind           TEXT NOT NULL,
            format         TEXT NOT NULL,
            size           INTEGER NOT NULL,
            rows_read      INTEGER NOT NULL DEFAULT 0,
            rows_stored    INTEGER NOT NULL DEFAULT 0,
            rows_duplicate INTEGER NOT NULL DEFAULT 0,
            rows_rejected  INTEGER NOT NULL DEFAULT 0,
            time_basis     TEXT NOT NULL DEFAULT 'content',
            source_tz      TEXT,
            ingested_at    INTEGER NOT NULL,
            rows_skipped   INTEGER NOT NULL DEFAULT 0);
        INSERT INTO old_sf SELECT id, sha256, path, kind, format, size, rows_read, rows_stored,
               rows_duplicate, rows_rejected, time_basis, source_tz, ingested_at, rows_skipped
          FROM source_file;
        DROP TABLE source_file;
        ALTER TABLE old_sf RENAME TO source_file;
        PRAGMA user_version = 0;
        PRAGMA application_id = 0;
    """)
    con.close()
    rep = json.dumps({"StatusItems": {
        "device": {"identifier": {"serial-number": "C02AAA0001"},
                   "operating-system": {"version": "26.1"}},
        "softwareupdate": {"install-state": "none"}}, "Errors": [], "FullReport": True})
    d = t.path("captures")
    for when in ("20261125-080000", "20261125-090000"):
        t.write(f"captures/{ENR}.{when}.000001.status.json", rep)
    tg = night2(t)[2]
    r = t.run("run", "--as-of", AS_OF, "--out", t.out, d, tg)
    assert r.rc == 0, r
    fresh = t.path("fresh")
    t.ok("run", "--db", t.path("fresh.db"), "--as-of", AS_OF, "--out", fresh, first, d, tg)
    assert t.csv("devices") == t.csv("devices", fresh)
    assert t.csv("summary") == t.csv("summary", fresh)
    assert sql(t.db, "SELECT status, source_file FROM observation "
                     "WHERE serial_number = 'C02AAA0001' ORDER BY reported_at") == \
        "Downloading|1\nIdle|2\nIdle|3\n", sql(t.db, "SELECT * FROM observation")
    assert sql(t.db, "SELECT id, path FROM source_file ORDER BY id").splitlines()[0] == "1|" + first
    # feeding the first file again changes nothing: it is still known
    r = t.run("ingest", first)
    assert r.rc == 0 and "nothing new" in r.err, r


def test_the_older_database_is_kept_whole_before_it_is_converted(t):
    # The conversion renames serials, turns a placeholder's rows into
    # rejected rows and an older build refuses the result: nothing kept
    # what the older build had stored, nor a way back to that build.  Now
    # the database is copied whole beside itself first (0600, like it),
    # once, and the run says where, also with --quiet (cron mails it).
    import glob
    import os
    old_database(t)
    before = sql(t.db, "SELECT * FROM observation ORDER BY 1, 2")
    r = t.run("run", "--quiet", "--as-of", AS_OF, "--out", t.out, *night2(t))
    assert r.rc == 0, r
    baks = glob.glob(t.db + ".schema-2-*.bak")
    assert len(baks) == 1 and baks[0] in r.err and "copied" in r.err, (baks, r)
    assert os.stat(baks[0]).st_mode & 0o777 == 0o600
    assert sql(baks[0], "PRAGMA user_version") == "2\n"
    assert sql(baks[0], "SELECT * FROM observation ORDER BY 1, 2") == before
    assert not glob.glob(t.db + "*.tmp")
    # the next night copies nothing and says nothing of it
    r = t.run("run", "--as-of", AS_OF, "--out", t.out, *night2(t))
    assert r.rc == 0 and glob.glob(t.db + ".schema-*") == baks and "copied" not in r.err, r
    # a new database has nothing to keep
    s, _, tg = night2(t)
    r = t.run("run", "--db", t.path("new.db"), "--as-of", AS_OF, "--out", t.path("n"), s, tg)
    assert r.rc == 0 and not glob.glob(t.path("new.db") + ".schema-*") and "copied" not in r.err, r
