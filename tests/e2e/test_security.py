"""Output safety (issue 4): no data value becomes a formula, every workbook
part is valid XML, diagnostics escape control characters.

The hostile fixture comes from tests/gen_hostile.py.  Workbooks are checked
with xmllint (every XML part) and openpyxl, CSV with Python's csv module.
"""
import csv
import io
import os
import re
import subprocess
import sys
import zipfile

from lib import BIN, ROOT, STATUS_HEADER, parse_csv

sys.path.insert(0, os.path.join(ROOT, "tests"))
import gen_hostile  # noqa: E402

AS_OF = "2026-11-21T00:00:00Z"
TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
TEXT_COLS = ("device_name", "user", "group", "failure_reason")


def hostile(t):
    p = t.path("hostile.csv")
    gen_hostile.main(p)
    return p


def read_csv(path):
    with open(path, newline="", encoding="utf-8-sig", errors="surrogateescape") as f:
        return list(csv.DictReader(f))


def is_trigger(v):
    return v[:1] in ("\t", "\r", "\n") or v.lstrip(" ")[:1] in TRIGGERS


def expected_values():
    """Serial -> value as stored: ingest trims spaces and TABs."""
    return {("H%03d" % i): v.decode("utf-8", "surrogateescape").strip(" \t")
            for i, (_, v) in enumerate(gen_hostile.VALUES)}


# A group is evaluated and shown without blanks at its ends and without
# invisible or bidirectional characters (identity_group), as a serial is.
INVISIBLE = ("\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
             "\u2060\u2066\u2067\u2068\u2069\ufeff\u061c")


def as_group(v):
    return "".join(c for c in v if c not in INVISIBLE).strip(" \t\r\n\u00a0")


def test_csv_excel_profile_neutralises_every_trigger(t):
    f = hostile(t)
    r = t.run("run", "--out", t.out, "--as-of", AS_OF, f)
    assert r.rc == 0, r
    want = expected_values()
    rows = read_csv(os.path.join(t.out, "errors.csv"))
    assert {row["serial_number"] for row in rows} == set(want), rows
    seen_neutralised = 0
    for row in rows:
        for col in TEXT_COLS:
            v = want[row["serial_number"]]
            v = as_group(v) if col == "group" else v
            got = row[col]
            if is_trigger(v):
                assert got == "'" + v, (row["serial_number"], col, got[:40])
                seen_neutralised += 1
            else:
                assert not is_trigger(got), (col, got[:40])
        assert row["failure_count"] == "2"
    assert seen_neutralised >= 10 * 4
    # Neutralised fields are always quoted in the file itself.
    raw = open(os.path.join(t.out, "errors.csv"), "rb").read()
    assert b",'=" not in raw and b"\"'=cmd" in raw


def test_csv_raw_profile_keeps_exact_data(t):
    f = hostile(t)
    assert t.run("ingest", f).rc == 0
    want = expected_values()
    for args in (["--out", "-"], ["--out", "-", "--csv-profile", "raw"]):
        p = subprocess.run([BIN, "report", "errors", "--db", t.db, "--as-of", AS_OF] + args,
                           capture_output=True, env=dict(os.environ, LC_ALL="C", TZ="UTC"))
        assert p.returncode == 0, p.stderr
        rows = list(csv.DictReader(io.StringIO(p.stdout.decode("utf-8", "surrogateescape"),
                                               newline="")))
        for row in rows:
            assert row["device_name"] == want[row["serial_number"]], row["serial_number"]
    # and --csv-profile excel on stdout neutralises
    p = subprocess.run([BIN, "report", "errors", "--db", t.db, "--as-of", AS_OF, "--out", "-",
                        "--csv-profile", "excel"], capture_output=True)
    rows = list(csv.DictReader(io.StringIO(p.stdout.decode("utf-8", "surrogateescape"),
                                           newline="")))
    assert any(r["device_name"].startswith("'=") for r in rows)
    # --csv-profile raw for files
    r = t.run("report", "--out", t.out, "--as-of", AS_OF, "--csv-profile", "raw")
    assert r.rc == 0, r
    rows = read_csv(os.path.join(t.out, "errors.csv"))
    assert all(row["device_name"] == want[row["serial_number"]] for row in rows)
    r = t.run("report", "--out", t.out, "--csv-profile", "lotus")
    assert r.rc == 64, r


def test_numeric_columns_never_prefixed(t):
    """A negative number in an int/number column stays -5; the same text in
    a text column is neutralised."""
    os.makedirs(t.path("q", "reports"))
    t.write("q/reports/errors.sql",
            "SELECT 'S1' AS serial_number, '-5' AS device_name, -5 AS failure_count,"
            " '=1' AS failure_reason;\n")
    f = t.write("s.csv", STATUS_HEADER + "C02AAA,Pass,2026-11-20T10:00:00Z" + "," * 14 + "\n")
    r = t.run("run", "--queries", t.path("q"), "--out", t.out, "--as-of", AS_OF, f)
    assert r.rc == 0, r
    text = open(os.path.join(t.out, "errors.csv")).read().splitlines()
    assert text[1] == "S1,\"'-5\",-5,\"'=1\"", text


def test_workbook_from_hostile_fixture_is_valid_xml_without_formulas(t):
    f = hostile(t)
    r = t.run("run", "--out", t.out, "--as-of", AS_OF, f)
    assert r.rc == 0, r
    path = os.path.join(t.out, "ddmreport.xlsx")
    xml_parts = 0
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if not (name.endswith(".xml") or name.endswith(".rels")):
                continue
            data = z.read(name)
            p = subprocess.run(["xmllint", "--noout", "-"], input=data, capture_output=True)
            assert p.returncode == 0, (name, p.stderr[:300])
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in data and b"<f " not in data, name
            xml_parts += 1
        strings = z.read("xl/sharedStrings.xml") if "xl/sharedStrings.xml" in z.namelist() else b""
        sheets = b"".join(z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/sheet"))
    assert xml_parts >= 10
    assert b"\x00" not in strings + sheets
    import openpyxl
    wb = openpyxl.load_workbook(path)
    ws = wb["Errors"] if "Errors" in wb.sheetnames else None
    assert ws is not None, wb.sheetnames
    cells = [c for row in ws.iter_rows(min_row=3) for c in row]
    assert all(c.data_type != "f" for c in cells)
    values = [c.value for c in cells if isinstance(c.value, str)]
    assert any(v.startswith("=cmd") for v in values), "formula text kept as a string"
    assert any(v == "before\ufffdafter" for v in values), "NUL must not truncate"
    assert "a\ufffdb\ufffdc" in values, "U+FFFE/U+FFFF replaced"
    assert "\ufffd\ufffd\ufffd\ufffd\ufffd\ufffd" in values, "encoded surrogates replaced"
    assert any(v.startswith("\u202egnp") for v in values), "BiDi controls are allowed text"
    # cut to Excel's limit on a character boundary, with a visible marker
    cut = [v for v in values if v.startswith("L" * 1000)]
    assert cut and all(len(v) <= 32767 for v in cut), [len(v) for v in cut]
    m = re.search(r"\u2026 \[cut: (\d+) characters, full text in errors\.csv\]$", cut[0])
    assert m, cut[0][-80:]
    full = [r for r in read_csv(os.path.join(t.out, "errors.csv")) if r["failure_reason"].startswith("L" * 1000)]
    assert len(full) == 1
    assert len(cut[0]) - len(m.group(0)) + int(m.group(1)) == len(full[0]["failure_reason"])


def test_stderr_escapes_control_characters_one_event_per_line(t):
    # An unrecognised file whose name carries an escape sequence and a line feed.
    name = "evil\x1b[31m\nname.csv"
    bad = t.write(name, "foo,bar\n1,2\n")
    f = hostile(t)
    r = t.run("run", "--out", t.out, "--as-of", AS_OF, bad, f)
    assert r.rc == 65, r
    assert "\x1b" not in r.err and "\\x1b[31m" in r.err, r.err
    assert "\\n" in r.err
    for line in r.err.splitlines():
        assert line.startswith("ddmreport: "), line
    # A value over the cut shows "..." and stays on one line.
    long_name = t.write("L" * 240 + ".csv", "foo\n")
    r = t.run("ingest", long_name)
    assert r.rc == 65 and "..." in r.err and len(r.err.splitlines()) == 1, r


def test_rejected_report_raw_values_are_neutralised(t):
    f = t.write("s.csv", STATUS_HEADER +
                "=1+1,Pass,not-a-time" + "," * 14 + "\n")
    r = t.run("run", "--out", t.out, "--as-of", AS_OF, f)
    assert r.rc == 65, r  # its one row is rejected: reports still written
    rows = read_csv(os.path.join(t.out, "rejected.csv"))
    assert rows and rows[0]["raw"].startswith("'="), rows
    assert parse_csv  # imported helper kept for symmetry with other suites
