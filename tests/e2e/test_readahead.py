"""A regular file is read and parsed in a thread of its own while the rows
are stored (CSV always, JSON past the 16 MiB a file is read whole); a pipe
is read in the storing thread.  The two paths must store the same rows and
reject the same lines with the same reasons, across many hand-overs, and a
file refused at its header must still be named by the SHA-256 of all of
it (the reading thread read ahead of the refusal)."""
import hashlib
import sqlite3

from lib import STATUS_HEADER

FIELDS = STATUS_HEADER.strip().split(",")


def srow(i, **kw):
    f = dict(serial_number=f"C{i:07d}", status=("Downloading", "Pass", "Error")[i % 3],
             reported_at=f"2026-11-{1 + i % 25:02d}T{i % 24:02d}:{i % 60:02d}:00Z",
             device_name=f'"Mac, {i} ""quoted"""', platform="macOS", os_version="26.0",
             time_zone="Europe/Berlin")
    f.update(kw)
    return ",".join(f.get(k, "") for k in FIELDS)


def sql(db, query):
    with sqlite3.connect(db) as c:
        return c.execute(query).fetchall()


def stored(t, db):
    obs = sql(db, "SELECT serial_number, reported_at, status, device_name, line "
                  "FROM observation ORDER BY serial_number, reported_at, status")
    rej = sql(db, "SELECT line, reason FROM rejected ORDER BY line")
    counts = sql(db, "SELECT rows_read, rows_stored, rows_rejected FROM source_file")
    return obs, rej, counts


def test_a_big_csv_read_ahead_stores_and_rejects_what_a_piped_one_does(t):
    lines, bad = [STATUS_HEADER.rstrip("\n")], {}
    for i in range(60000):            # about 6 MiB: many hand-overs
        line = len(lines) + 1
        if i % 9973 == 5:
            lines.append(srow(i, reported_at="last Tuesday"))
            bad[line] = "reported_at is not a time"
        elif i % 12007 == 7:
            lines.append(srow(i) + ",extra")
            bad[line] = "fields"
        elif i % 15013 == 11:
            lines.append(srow(i, device_name='"broken "quote"'))
            bad[line] = "malformed CSV"
        elif i % 7001 == 3:
            # a quoted line break: the record spans two lines
            lines.append(srow(i, device_name='"two\nlines"'))
            lines[-1:] = lines[-1].split("\n")
        else:
            lines.append(srow(i))
    text = "\r\n".join(lines) + "\r\n"
    f = t.write("big.csv", text)
    a, b = t.path("file.db"), t.path("pipe.db")
    r1 = t.run("ingest", "--db", a, "--max-rejected", "50%", f)
    r2 = t.run("ingest", "--db", b, "--max-rejected", "50%", "/dev/stdin",
               stdin=text.encode())
    assert r1.rc == 0 and r2.rc == 0, (r1, r2)
    file_obs, file_rej, file_counts = stored(t, a)
    pipe_obs, pipe_rej, pipe_counts = stored(t, b)
    assert file_obs == pipe_obs and file_rej == pipe_rej and file_counts == pipe_counts
    # and each rejection points at the line the bad row is on
    assert [r[0] for r in file_rej] == sorted(bad), (file_rej, bad)
    for line, reason in file_rej:
        assert bad[line] in reason, (line, reason)
    assert file_counts[0][2] == len(bad)
    assert len(file_obs) == file_counts[0][1] == 60000 - len(bad)
    # rows after a quoted line break keep their own line numbers
    two = [o for o in file_obs if o[3] == "two\r\nlines"]
    assert two and all(lines[o[4] - 1].startswith(o[0]) for o in two), two[:3]


def test_a_big_file_refused_at_its_header_is_named_by_the_hash_of_all_of_it(t):
    body = "foo,bar,baz\r\n" + "".join(f"{i},x{i},y\r\n" for i in range(300000))
    f = t.write("other.csv", body)
    r = t.run("ingest", f)
    assert r.rc == 65 and "other.csv:1: unrecognised header" in r.err, r
    got = sql(t.db, "SELECT sha256, size FROM source_file")
    want = hashlib.sha256(body.encode()).hexdigest()
    assert got == [("failed:" + want, len(body.encode()))], got


def test_a_stream_of_json_read_ahead_stores_and_rejects_what_a_piped_one_does(t):
    docs, bad, n = [], {}, 0
    pad = "x" * 400
    while sum(len(d) + 1 for d in docs) < 17 * 1024 * 1024:    # streamed, not read whole
        line = len(docs) + 1
        if n % 5003 == 17:
            docs.append('{"serial_number": "J%07d", "report": {' % n)
            bad[line] = "JSON"
        elif n % 7919 == 3:
            docs.append("")                                    # a blank line: skipped
        else:
            docs.append('{"received_at":"2026-11-25T10:%02d:00Z","serial_number":"J%07d",'
                        '"note":"%s","report":{"StatusItems":{"device":{"operating-system":'
                        '{"version":"26.0","family":"macOS"}},"softwareupdate":'
                        '{"install-state":"%s"}},"Errors":[],"FullReport":true}}'
                        % (n % 60, n, pad, ("downloading", "installed", "failed")[n % 3]))
        n += 1
    text = "\n".join(docs) + "\n"
    f = t.write("big.ndjson", text)
    a, b = t.path("file.db"), t.path("pipe.db")
    r1 = t.run("ingest", "--db", a, f)
    r2 = t.run("ingest", "--db", b, "/dev/stdin", stdin=text.encode())
    assert r1.rc == r2.rc, (r1, r2)
    q_obs = ("SELECT serial_number, reported_at, status, os_version FROM observation "
             "ORDER BY serial_number, reported_at, status")
    q_rej = "SELECT line, reason FROM rejected ORDER BY line"
    file_obs, pipe_obs = sql(a, q_obs), sql(b, q_obs)
    file_rej, pipe_rej = sql(a, q_rej), sql(b, q_rej)
    assert file_obs == pipe_obs and file_rej == pipe_rej
    assert [r[0] for r in file_rej] == sorted(bad), (file_rej[:5], sorted(bad)[:5])
    assert len(file_obs) == sum(1 for d in docs if d) - len(bad)
    assert {o[2] for o in file_obs} == {"Downloading", "Pass", "Error"}
