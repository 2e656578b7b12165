"""Malformed-CSV corpus (issue 4): each case has its documented result.

A bad record is a rejected row (file:line and reason, in the rejected
report) and reading resumes at the next line; a bad header is a file error
(exit 65, file:1).  Good rows around a bad one are always stored.
"""
import os
import subprocess

from lib import BIN, STATUS_HEADER, sql

AS_OF = "2026-11-21T00:00:00Z"
H = STATUS_HEADER.rstrip("\n").encode()


def row(serial, status=b"Pass"):
    return serial + b"," + status + b",2026-11-20T10:00:00Z" + b"," * 14


def ingest(t, name, data, *extra):
    p = t.write(name, data)
    r = t.run("ingest", *extra, p)
    serials = sql(t.db, "SELECT serial_number FROM observation ORDER BY 1;").split() \
        if os.path.exists(t.db) else []
    rejected = [tuple(x.split("|", 1)) for x in
                sql(t.db, "SELECT line, reason FROM rejected ORDER BY rowid;").splitlines()] \
        if os.path.exists(t.db) else []
    return r, serials, rejected


def lines(*rows, eol=b"\n"):
    return eol.join(rows) + eol


def test_quote_in_unquoted_field_rejects_that_row_only(t):
    r, s, rej = ingest(t, "q.csv", lines(H, row(b"A1"), b'A2,Pa"ss,x' + b"," * 14, row(b"A3")),
                       "--max-rejected", "50%")
    assert r.rc == 0 and s == ["A1", "A3"], (r, s)
    assert rej[0][0] == "3" and "malformed CSV" in rej[0][1], rej
    assert "1 row rejected" in r.err


def test_junk_after_closing_quote(t):
    r, s, rej = ingest(t, "j.csv", lines(H, row(b"A1"), b'A2,"Pass"x,y' + b"," * 14, row(b"A3")))
    assert s == ["A1", "A3"] and rej[0][0] == "3", (s, rej)


def test_unterminated_quote_at_eof(t):
    r, s, rej = ingest(t, "u.csv", lines(H, row(b"A1")) + b'A2,"Pass,2026' + b"\n")
    assert s == ["A1"] and rej == [("3", "malformed CSV: unterminated quoted field at end of file")], rej


def test_multiline_quoted_record_failing_later_reports_its_first_line(t):
    r, s, rej = ingest(t, "m.csv", lines(H, row(b"A1"), b'A2,"Pa\nss"x,y' + b"," * 14, row(b"A3")))
    assert rej[0][0] == "3", rej
    assert "A1" in s and "A3" in s


def test_strict_rejects_whole_file_with_65_and_line(t):
    r, s, rej = ingest(t, "s.csv", lines(H, row(b"A1"), b'A2,Pa"ss' + b"," * 15, row(b"A3")),
                       "--strict")
    assert r.rc == 65 and s == [], r
    assert "s.csv" in r.err and "file not ingested (--strict)" in r.err, r.err


def test_nul_bytes_kept_in_value_never_truncate(t):
    r, s, rej = ingest(t, "n.csv", lines(H, b"A1,Pass,2026-11-20T10:00:00Z,dev\x00ice" + b"," * 13))
    assert r.rc == 0 and s == ["A1"], r
    assert sql(t.db, "SELECT length(CAST(device_name AS BLOB)) FROM observation;").strip() == "7"


def test_nul_in_serial_is_a_plain_value_not_a_crash(t):
    # A NUL would cut the serial short ("A"), merging two devices: the row
    # is rejected with its reason; 1 of 2 rows is over --max-rejected.
    r, s, rej = ingest(t, "n2.csv", lines(H, row(b"A\x001"), row(b"A2")))
    assert r.rc == 65 and "1 of 2 rows rejected" in r.err, r
    assert s == ["A2"], s
    assert rej == [("2", "serial_number contains a NUL byte")], rej


def test_bom_is_skipped(t):
    r, s, rej = ingest(t, "b.csv", b"\xef\xbb\xbf" + lines(H, row(b"A1")))
    assert r.rc == 0 and s == ["A1"] and rej == [], r


def test_crlf_cr_only_and_mixed_line_ends(t):
    for name, data in (("crlf.csv", lines(H, row(b"A1"), b'A2,Pa"ss' + b"," * 15, row(b"A3"), eol=b"\r\n")),
                       ("cr.csv", lines(H, row(b"A1"), b'A2,Pa"ss' + b"," * 15, row(b"A3"), eol=b"\r")),
                       ("mixed.csv", H + b"\r" + row(b"A1") + b"\n" + b'A2,Pa"ss' + b"," * 15 +
                        b"\r\n" + row(b"A3") + b"\r")):
        os.path.exists(t.db) and os.unlink(t.db)
        for ext in ("-wal", "-shm"):
            os.path.exists(t.db + ext) and os.unlink(t.db + ext)
        r, s, rej = ingest(t, name, data)
        assert s == ["A1", "A3"], (name, s, r)
        assert [x[0] for x in rej] == ["3"], (name, rej)


def test_blank_lines_skipped_and_counted(t):
    r, s, rej = ingest(t, "bl.csv", lines(H, b"", row(b"A1"), b"", b"", b'A2,Pa"ss' + b"," * 15, row(b"A3")))
    assert s == ["A1", "A3"] and [x[0] for x in rej] == ["6"], (s, rej)


def test_ragged_rows_rejected_with_field_counts(t):
    r, s, rej = ingest(t, "r.csv", lines(H, row(b"A1"), b"A2,Pass", row(b"A3") + b",extra"))
    assert s == ["A1"], s
    assert rej == [("3", "row has 2 fields, header has 17"), ("4", "row has 18 fields, header has 17")], rej


def test_duplicate_header_column_is_a_file_error(t):
    r, s, rej = ingest(t, "d.csv", lines(H + b", Serial_Number ", row(b"A1") + b",B1"))
    assert r.rc == 65, r
    assert "d.csv:1: duplicate column serial_number in header (columns 1 and 18)" in r.err, r.err
    assert s == []


def test_missing_required_header_column_is_a_file_error(t):
    r, s, rej = ingest(t, "m.csv", lines(b"device_name,status,reported_at", b"A1,Pass,2026-11-20T10:00:00Z"))
    assert r.rc == 65 and "m.csv:1: unrecognised header" in r.err, r
    assert s == []


def test_empty_file_and_header_only(t):
    r, s, rej = ingest(t, "e.csv", b"")
    assert r.rc == 65 and "e.csv:1:" in r.err, r
    r, s, rej = ingest(t, "h.csv", lines(H))
    assert r.rc == 0 and s == [], r


def test_too_many_fields_rejected(t):
    r, s, rej = ingest(t, "w.csv", lines(H, b"," * 600, row(b"A1")))
    assert s == ["A1"] and rej == [("2", "record has more than 512 fields")], rej


def test_100mb_field_rejected_with_bounded_memory(t):
    p = t.path("big.csv")
    with open(p, "wb") as f:
        f.write(lines(H, row(b"A1")))
        f.write(b"A2,")
        chunk = b"x" * (1 << 20)
        for _ in range(100):
            f.write(chunk)
        f.write(b",2026-11-20T10:00:00Z" + b"," * 14 + b"\n")
        f.write(lines(row(b"A3")))
    r, peak_kb = t.run_measured("ingest", "--max-rejected", "50", p)
    assert r.rc == 0, r
    s = sql(t.db, "SELECT serial_number FROM observation ORDER BY 1;").split()
    assert s == ["A1", "A3"], s
    assert sql(t.db, "SELECT line, reason FROM rejected;").strip() == "3|field longer than 1 MiB"
    sanitized = b"asan" in subprocess.run(["ldd", BIN], capture_output=True).stdout
    if not sanitized and not os.environ.get("DDM_WRAP"):
        assert peak_kb < 64 * 1024, f"peak RSS {peak_kb} KiB"
    print(f"     100 MB field: peak RSS {peak_kb} KiB")


def test_quoted_100mb_field_with_newlines_rejected(t):
    p = t.path("bigq.csv")
    with open(p, "wb") as f:
        f.write(lines(H, row(b"A1")))
        f.write(b'A2,"')
        for _ in range(3):
            f.write(b"y" * (1 << 20))
        f.write(b'",2026-11-20T10:00:00Z' + b"," * 14 + b"\n")
        f.write(lines(row(b"A3")))
    r = t.run("ingest", p)
    s = sql(t.db, "SELECT serial_number FROM observation ORDER BY 1;").split()
    assert "A1" in s and "A3" in s, (s, r)
    assert "3|field longer than 1 MiB" in sql(t.db, "SELECT line, reason FROM rejected;")
