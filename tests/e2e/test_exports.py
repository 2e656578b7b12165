"""Export files as they reach the tool after a spreadsheet or an admin
handled them: each mangled copy is either read like the clean file (the
same Devices report) or rejected with the file and line named, never read
into another answer.
"""
from lib import INVENTORY_HEADER, TARGETS_HEADER, sql

AS_OF = "2026-11-26T12:00:00Z"


def devices(t, *files, extra=()):
    """Runs a fresh database over files; (result, {serial: Devices row})."""
    import os
    import shutil
    for p in (t.db, t.db + "-wal", t.db + "-shm"):
        if os.path.exists(p):
            os.unlink(p)
    shutil.rmtree(t.out, ignore_errors=True)
    r = t.run("run", "--out", t.out, "--as-of", AS_OF, *extra, *files)
    rows = t.csv("devices") if os.path.exists(os.path.join(t.out, "devices.csv")) else []
    return r, {d["serial_number"]: d for d in rows}


def test_spreadsheet_dates_in_os_version_are_not_newer_versions(t):
    # Excel in a dd.mm.yyyy locale reads "18.7.2" and "26.1" as dates and
    # saves them back as "18.07.2002" and "26.01.2026"; read as versions
    # they were 18.7.2002 and 26.1.2026, above 18.7.3 and 26.1.1, and
    # both devices were reported compliant.  No Apple version has a
    # leading-zero component or a four-digit one after the first.
    tg = t.write("targets.csv", TARGETS_HEADER +
                 "iOS,*,,18.7.3,,2026-11-20T09:00:00,\n"
                 "macOS,*,,26.1.1,,2026-11-20T09:00:00,\n")

    def inv(a, b, c):
        return t.write("inventory.csv", INVENTORY_HEADER +
                       f"C02IPHONE01,Phone,,,iOS,\"iPhone15,2\",UTC,,{a}\n"
                       f"C02MAC00001,Mac,,,macOS,\"Mac15,3\",UTC,,{b}\n"
                       f"C02MAC00002,Mac 2,,,macOS,\"Mac15,3\",UTC,,{c}\n")

    r, clean = devices(t, inv("18.7.2", "26.1", "26.1"), tg)
    assert r.rc == 0, r
    r, mangled = devices(t, inv("18.07.2002", "26.01.2026", "26.1.2026"), tg)
    assert r.rc == 0, r
    for s in clean:
        assert clean[s]["classification"] == "past-deadline", clean[s]
        assert mangled[s]["classification"] == "past-deadline", (s, mangled[s])


def test_exports_joined_with_cat_repeat_no_header_as_a_device(t):
    # Two Jamf Pro Advanced Search exports joined with cat: the second
    # header (with the byte-order mark Excel wrote) was read as a row, a
    # Mac with serial "SERIAL NUMBER" on version "Operating System Version",
    # past its deadline.  A row that repeats the header is skipped and
    # counted (About -> Skipped), whatever its case.
    head = "Computer Name,Serial Number,Operating System Version,Model Identifier\r\n"
    a = 'Ana,C02CAT00001,26.0.1,"Mac14,2"\r\n'
    b = 'Bo,C02CAT00002,26.1,"Mac15,3"\r\n'
    tg = t.write("targets.csv", TARGETS_HEADER + "macOS,*,,26.1,,2026-11-20T09:00:00,\n")
    clean = t.write("jamf.csv", ("\ufeff" + head + a + b).encode())
    r, want = devices(t, clean, tg)
    assert r.rc == 0 and set(want) == {"C02CAT00001", "C02CAT00002"}, (r, want)
    joined = t.write("jamf-joined.csv",
                     ("\ufeff" + head + a + "\ufeff" + head + b + head.upper()).encode())
    r, got = devices(t, joined, tg)
    assert r.rc == 0 and "rejected" not in r.err, r
    assert got == want, sorted(got)
    assert sql(t.db, "SELECT rows_skipped FROM source_file WHERE path LIKE '%joined%'").strip() == "2"


def test_serial_in_scientific_notation_is_rejected_with_its_line(t):
    # Excel shows a serial of digits as a number and saves "1.23457E+11":
    # six digits kept, the device lost.  Read as a serial it was a device
    # of its own (no status, past its deadline) and the real one went on
    # without its inventory.  The row is rejected, file and line named.
    tg = t.write("targets.csv", TARGETS_HEADER + "macOS,*,,26.1,,2026-11-20T09:00:00,\n")
    inv = t.write("inventory.csv", INVENTORY_HEADER +
                  'C02SCI00001,Mac,,,macOS,"Mac15,3",UTC,,26.1\n'
                  '1.23457E+11,Mac 2,,,macOS,"Mac15,3",UTC,,26.0.1\n'
                  '1E+11,Mac 3,,,macOS,"Mac15,3",UTC,,26.0.1\n')
    r, got = devices(t, inv, tg, extra=("--max-rejected", "100%"))
    assert r.rc == 0, r
    assert set(got) == {"C02SCI00001"}, sorted(got)
    rej = sql(t.db, "SELECT line, reason FROM rejected ORDER BY line").splitlines()
    assert [x.split("|")[0] for x in rej] == ["3", "4"], rej
    assert all("scientific notation" in x for x in rej), rej
    assert "2 rows rejected" in r.err, r.err


FIXTURES = __import__("os").path.join(__import__("lib").ROOT, "tests", "fixtures", "sources")


def _resave(path, delim, sep_line=False, eol="\r\n", encoding="utf-8-sig"):
    """The file as a spreadsheet saves it back: every row re-written with
    delim (quotes only where needed), an optional "sep=" first line."""
    import csv
    import io
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    out = io.StringIO()
    if sep_line:
        out.write(f"sep={delim}{eol}")
    csv.writer(out, delimiter=delim, lineterminator=eol).writerows(rows)
    return out.getvalue().encode(encoding)


def _kandji_pair(t, status_bytes=None, devices_bytes=None):
    import os
    tg = t.write("targets.csv", TARGETS_HEADER + "macOS,*,,26.1,,2026-11-20T09:00:00,\n")
    st = os.path.join(FIXTURES, "kandji-status-report.csv")
    dv = os.path.join(FIXTURES, "kandji-devices-report.csv")
    if status_bytes is not None:
        st = t.write("x/status.csv", status_bytes)
    if devices_bytes is not None:
        dv = t.write("x/devices.csv", devices_bytes)
    return devices(t, dv, st, tg, extra=("--max-rejected", "100%"))


def test_semicolon_and_tab_separated_exports_read_like_the_csv(t):
    # Excel saves "CSV" with the locale's list separator (';' in most of
    # Europe, often after a "sep=;" line); Excel's "Unicode Text" and Jamf
    # Pro's tab-delimited export separate with tabs.  Each file was
    # refused whole ("unrecognised header", exit 65): the header read as
    # one column.  The separator is the header line's.
    import os
    r, want = _kandji_pair(t)
    assert r.rc == 0 and want, r
    st = os.path.join(FIXTURES, "kandji-status-report.csv")
    dv = os.path.join(FIXTURES, "kandji-devices-report.csv")
    for delim, sep_line in ((";", False), (";", True), ("\t", False), ("\t", True)):
        r, got = _kandji_pair(t, _resave(st, delim, sep_line), _resave(dv, delim, sep_line))
        assert r.rc == 0, (delim, sep_line, r)
        assert got == want, (delim, sep_line, got)
        assert sql(t.db, "SELECT count(*) FROM rejected").strip() == "0"


def test_utf16_exports_read_like_the_utf8_file(t):
    # Excel's "Unicode Text" (UTF-16LE with its byte-order mark, tabs) and
    # UTF-16 CSV from Windows tools were refused whole: the header's NUL
    # bytes matched no format.  Names beyond the Basic Multilingual Plane
    # (surrogate pairs) and a file over one read block (64 KiB) included.
    import csv
    import io
    rows = [["serial_number", "device_name", "user", "group", "platform", "model",
             "time_zone", "last_check_in", "os_version"]]
    for i in range(900):
        rows.append([f"C02U16{i:05d}", f"Zoë’s Mac \U0001F34E {i}", f"u{i}@example.com",
                     "Design", "macOS", "Mac15,3", "Europe/Berlin",
                     "2026-11-25T10:00:00Z", "26.0.1" if i % 2 else "26.1"])
    tg = t.write("targets.csv", TARGETS_HEADER + "macOS,*,,26.1,,2026-11-20T09:00:00,\n")

    def text(delim):
        out = io.StringIO()
        csv.writer(out, delimiter=delim, lineterminator="\r\n").writerows(rows)
        return out.getvalue()

    r, want = devices(t, t.write("inv.csv", text(",").encode("utf-8")), tg)
    assert r.rc == 0 and len(want) == 900, r
    for name, data in (("le-tab", b"\xff\xfe" + text("\t").encode("utf-16-le")),
                       ("le-comma", b"\xff\xfe" + text(",").encode("utf-16-le")),
                       ("be-comma", b"\xfe\xff" + text(",").encode("utf-16-be"))):
        assert len(data) > 65536
        r, got = devices(t, t.write(f"{name}/inv.csv", data), tg)
        assert r.rc == 0, (name, r)
        assert got == want, (name, [s for s in want if got.get(s) != want[s]][:3])


def test_powershell_export_csv_and_utf16_without_its_mark(t):
    # Windows PowerShell's Export-Csv writes a "#TYPE ..." line before the
    # header and quotes every field: the file was refused whole
    # (unrecognised header).  UTF-16 without its byte-order mark cannot be
    # told from other bytes: still refused, now saying why.
    tg = t.write("targets.csv", TARGETS_HEADER + "macOS,*,,26.1,,2026-11-20T09:00:00,\n")
    clean = t.write("inv.csv", INVENTORY_HEADER + 'C02PSH00001,Mac,,,macOS,"Mac15,3",UTC,,26.0.1\n')
    r, want = devices(t, clean, tg)
    assert r.rc == 0 and want["C02PSH00001"]["classification"] == "past-deadline", r
    ps = ("#TYPE System.Management.Automation.PSCustomObject\r\n" +
          ",".join(f'"{h}"' for h in INVENTORY_HEADER.strip().split(",")) + "\r\n" +
          '"C02PSH00001","Mac","","","macOS","Mac15,3","UTC","","26.0.1"\r\n')
    r, got = devices(t, t.write("ps/inv.csv", ps.encode()), tg)
    assert r.rc == 0 and got == want, (r, got)
    r, got = devices(t, t.write("u16/inv.csv", (INVENTORY_HEADER + 'C02PSH00001,Mac,,,macOS,,UTC,,26.0.1\n'
                                                ).encode("utf-16-le")), tg)
    assert r.rc == 65, r
    assert "u16/inv.csv:1: unrecognised header: it has NUL bytes (UTF-16 without its " \
           "byte-order mark?); save the file as UTF-8" in r.err, r.err


def test_jamf_json_saved_as_utf16_by_powershell_reads_like_utf8(t):
    # Windows PowerShell 5.1 writes "Invoke-RestMethod ... | ConvertTo-Json
    # > statuses.json" as UTF-16LE with its mark and CRLF.  Not taken for
    # JSON, it was refused whole as a CSV with an unrecognised header.
    import os
    inv = [os.path.join(FIXTURES, "jamf-computers.csv"),
           os.path.join(FIXTURES, "jamf-mobile-devices.csv")]
    tg = t.write("targets.csv", TARGETS_HEADER + "macOS,*,,26.1,,2026-11-20T09:00:00,\n"
                 "iOS,*,,26.1,,2026-11-20T09:00:00,\n")
    src = os.path.join(FIXTURES, "jamf-update-statuses.json")
    with open(src, encoding="utf-8") as f:
        text = f.read()
    # the fixture names one device no inventory has (a rejected row)
    extra = ("--max-rejected", "50%")
    r, want = devices(t, *inv, src, tg, extra=extra)
    assert r.rc == 0 and len(want) == 3, r
    u16 = t.write("ps/statuses.json", b"\xff\xfe" + text.replace("\n", "\r\n").encode("utf-16-le"))
    r, got = devices(t, *inv, u16, tg, extra=extra)
    assert r.rc == 0, r
    assert got == want, got
    r = t.run("ingest", "--db", t.path("pipe.db"), "/dev/stdin", stdin=open(u16, "rb").read())
    assert r.rc == 65, r
    assert "UTF-16" in sql(t.path("pipe.db"), "SELECT reason FROM rejected"), r


def test_one_page_of_jamf_plans_is_not_the_fleet(t):
    # GET /v1/managed-software-updates/plans is paged (100 a page): a
    # file with page 0 only ("totalCount": 3, one result) was read as if
    # it were every plan, and the devices on the missing pages had no
    # target ("no-target" instead of past their deadline), with nothing
    # said.  Now the file is named in the Rejected report; the pages
    # joined (one per line) read like the whole response.
    import json
    import os
    inv = [os.path.join(FIXTURES, "jamf-computers.csv"),
           os.path.join(FIXTURES, "jamf-mobile-devices.csv")]
    with open(os.path.join(FIXTURES, "jamf-plans.json"), encoding="utf-8") as f:
        doc = json.load(f)
    res = doc["results"]
    r, want = devices(t, *inv, os.path.join(FIXTURES, "jamf-plans.json"))
    assert r.rc == 0, r
    page0 = t.write("p0/plans.json", json.dumps({"totalCount": 3, "results": res[:1]}, indent=2))
    r, got = devices(t, *inv, page0, extra=("--max-rejected", "100%"))
    rej = sql(t.db, "SELECT s.path, r.line, r.reason FROM rejected r "
                    "JOIN source_file s ON s.id = r.source_file").splitlines()
    assert rej == [page0 + "|1|the file lists 1 of the 3 results its totalCount names: "
                   "the other pages of the response are missing"], (rej, r)
    pages = t.write("p/plans.json", "".join(
        json.dumps({"totalCount": 3, "results": res[i:i + 1]}) + "\n" for i in range(3)))
    r, got = devices(t, *inv, pages)
    assert r.rc == 0 and got == want, (r, got)


def test_group_saved_in_windows_1252_is_named_not_matched_in_silence(t):
    # Excel's "CSV (Comma delimited)" writes Windows-1252: the inventory's
    # group "Büro" became b"B\xfcro", which never equals the targets
    # file's UTF-8 "Büro".  The Mac took the '*' target (due in a month)
    # instead of its group's (past its deadline), with nothing said.  The
    # row is kept exactly as written (values are stored as they are: the
    # output-safety tests hold such bytes in every text column), and a
    # warning names the file, the first such line and what to do.
    tg = t.write("targets.csv", (TARGETS_HEADER +
                                 "macOS,*,,26.1,,2026-12-20T09:00:00,\n"
                                 "macOS,Büro,,26.1,,2026-11-20T09:00:00,\n").encode("utf-8"))
    row = 'C02ENC00001,Zoë’s Mac,,Büro,macOS,"Mac15,3",Europe/Berlin,,26.0.1\n'
    r, want = devices(t, t.write("inv.csv", (INVENTORY_HEADER + row).encode("utf-8")), tg)
    assert r.rc == 0 and want["C02ENC00001"]["classification"] == "past-deadline", (r, want)
    assert "warning" not in r.err, r
    inv = t.write("cp1252/inv.csv", (INVENTORY_HEADER + 'C02ENC00002,Mac,,Sales,macOS,,UTC,,26.1\n'
                                     + row).encode("cp1252"))
    r, got = devices(t, inv, tg)
    assert r.rc == 0, r
    assert ("warning: " + inv + ":3: group is not UTF-8 (byte 0xFC at 2) on 1 row: the file was "
            "saved in another encoding (Excel's 'CSV (Comma delimited)' is Windows-1252), and such "
            "a group matches no group of a UTF-8 targets file; save it as 'CSV UTF-8'") in r.err, r.err
    # a targets file saved the same way is named too
    r, got = devices(t, t.write("inv2.csv", (INVENTORY_HEADER + row).encode("utf-8")),
                     t.write("cp1252/targets.csv", (TARGETS_HEADER +
                                                    "macOS,Büro,,26.1,,2026-11-20T09:00:00,\n"
                                                    ).encode("cp1252")))
    assert r.rc == 0 and "cp1252/targets.csv:2: group is not UTF-8" in r.err, r



def test_spreadsheet_empty_rows_are_blank_lines(t):
    # Excel writes ",,,,,," for rows that were once formatted or cleared:
    # each was a rejected row ("missing platform"), and three of them in a
    # small targets file made the nightly run exit 65.  A row with every
    # field empty holds no data: skipped and counted, like a blank line.
    inv = t.write("inv.csv", INVENTORY_HEADER + 'C02EMPTY001,Mac,,,macOS,"Mac15,3",UTC,,26.0.1\n')
    body = "macOS,*,,26.1,,2026-11-20T09:00:00,\n"
    r, want = devices(t, inv, t.write("targets.csv", TARGETS_HEADER + body))
    assert r.rc == 0 and want["C02EMPTY001"]["classification"] == "past-deadline", r
    tg = t.write("x/targets.csv", (TARGETS_HEADER + body + ",,,,,,\r\n" * 3).replace("\n", "\r\n"))
    r, got = devices(t, inv, tg)
    assert r.rc == 0 and "rejected" not in r.err, r
    assert got == want, got
    assert sql(t.db, "SELECT rows_skipped FROM source_file WHERE path LIKE '%x/targets.csv'").strip() == "3"


def test_pretty_printed_json_over_16_mib_is_one_clear_rejection(t):
    # A Jamf Pro update-statuses response for ~35,000 devices or more is
    # over 16 MiB pretty-printed (as the API writes it): too big to hold,
    # it was read line by line and every line ("{", "\"status\": ...")
    # became a rejected row, over a million of them for 70,000 devices.
    # Now one rejected row says what to do; the same results as NDJSON
    # pages (one per line) are read.  The files are written a result at a
    # time: a runner grown large would inflate the peak RSS later tests
    # measure of their children.
    import json
    import os
    n = 36000

    def result(i):
        return {"osUpdatesStatusId": str(i), "device": {"deviceId": str(i + 1), "objectType": "COMPUTER"},
                "downloaded": False, "downloadPercentComplete": 0.5, "productKey": "MACOS_26.1_25B78",
                "status": "DOWNLOADING", "deferralsRemaining": 0, "maxDeferrals": 0,
                "nextScheduledInstall": None, "pastNotifications": [],
                "created": "2026-11-24T08:00:00.000Z", "updated": "2026-11-25T08:00:00.000Z"}

    inv = t.path("inv.csv")
    with open(inv, "w") as f:
        f.write(INVENTORY_HEADER.strip() + ",jamf_computer_id\n")
        for i in range(n):
            f.write(f"C02BIG{i:05d},Mac,,,macOS,\"Mac15,3\",UTC,,26.0.1,{i + 1}\n")
    t.ok("ingest", inv)
    big = t.path("big.json")
    with open(big, "w") as f:
        f.write('{\n  "totalCount": %d,\n  "results": [\n' % n)
        for i in range(n):
            body = json.dumps(result(i), indent=2).replace("\n", "\n    ")
            f.write("    " + body + (",\n" if i + 1 < n else "\n"))
        f.write("  ]\n}\n")
    assert os.path.getsize(big) > 16 << 20
    r = t.run("ingest", big)
    assert r.rc == 65, r
    rej = sql(t.db, "SELECT line, reason FROM rejected").splitlines()
    assert rej == ["1|a JSON document written over many lines is read only from a file of at "
                   "most 16 MiB: write one document per line (NDJSON; Jamf Pro pages one per line)"], rej[:3]
    pages = t.path("pages.json")
    with open(pages, "w") as f:
        for p in range(0, n, 1000):
            f.write(json.dumps({"totalCount": n, "results": [result(i) for i in range(p, min(n, p + 1000))]})
                    + "\n")
    t.ok("ingest", pages)
    assert sql(t.db, "SELECT count(*) FROM observation").strip() == str(n)


def test_spreadsheet_date_as_target_version_is_rejected(t):
    # The same date in a targets file ("26.1" saved back as "26.01.2026")
    # was a target 26.1.2026 that no device meets: a Mac on 26.1 was past
    # its deadline.  Now the row is rejected with its line (exit 65).
    inv = t.write("inventory.csv", INVENTORY_HEADER + 'C02TGT00001,Mac,,,macOS,"Mac15,3",UTC,,26.1\n')
    r, got = devices(t, inv, t.write("targets.csv", TARGETS_HEADER +
                                     "macOS,*,,26.01.2026,,2026-11-20T09:00:00,\n"))
    assert r.rc == 65, r
    assert got["C02TGT00001"]["classification"] != "past-deadline", got
    assert sql(t.db, "SELECT line, reason FROM rejected").strip() == \
        "2|target_os_version is missing or not a version", r


def test_no_break_spaces_around_values_and_in_headers_are_blanks(t):
    # Values and headers copied out of a web page into a spreadsheet carry
    # no-break spaces (U+00A0).  The inventory row of serial " C02NBS00001"
    # was a device of its own, never matched by the status rows: the Mac
    # that reported had no platform and was "no-target" instead of past
    # its group's deadline (and "Sales " would have matched no group).
    nb = "\u00a0"
    tg = t.write("targets.csv", TARGETS_HEADER + "macOS,*,,26.1,,2026-12-20T09:00:00,\n"
                 "macOS,Sales,,26.1,,2026-11-20T09:00:00,\n")
    st = t.write("status.csv", "serial_number,status,reported_at\nC02NBS00001,Downloading,2026-11-25T10:00:00Z\n")
    # a Jamf Pro computers export (no time column that would reject the row)
    head = "Serial Number,Computer Name,Department,Operating System Version,Model Identifier\n"
    row = 'C02NBS00001,Mac,Sales,26.0.1,"Mac15,3"\n'
    r, want = devices(t, t.write("inv.csv", head + row), st, tg)
    assert r.rc == 0 and want["C02NBS00001"]["classification"] == "past-deadline", (r, want)
    values = f'{nb}C02NBS00001{nb},Mac,Sales{nb}{nb},26.0.1,"Mac15,3"\n'
    r, got = devices(t, t.write("x/inv.csv", (head + values).encode()), st, tg)
    assert r.rc == 0, r
    assert got == want, got
    # the header's no-break space (the file was refused: unrecognised)
    r, got = devices(t, t.write("y/inv.csv", (head.replace("Serial Number", f"Serial{nb}Number")
                                              + values).encode()), st, tg)
    assert r.rc == 0, r
    assert got == want, got


def test_no_export_at_all_is_named_for_what_it_is(t):
    # A workbook saved instead of a CSV, a compressed export, an export
    # step that wrote nothing: each is refused (exit 65) with what it is
    # and what to do, named in the Rejected report with its whole size;
    # the good file beside it is stored.
    import gzip
    import os
    good = t.write("inventory.csv", INVENTORY_HEADER + "C02MAC00001,Mac,,,macOS,\"Mac15,3\",UTC,,26.1\n")
    xlsx = t.write("fleet.xlsx", b"PK\x03\x04" + b"\x00" * 70000)
    gz = t.write("fleet.csv.gz", gzip.compress((INVENTORY_HEADER * 3).encode()))
    empty = t.write("status.csv", "")
    r = t.run("ingest", good, xlsx, gz, empty)
    assert r.rc == 65, r
    for path, words in ((xlsx, "Excel workbook (.xlsx)"), (gz, "gzip-compressed"), (empty, "empty file")):
        assert f"{os.path.basename(path)}:1: " in r.err and words in r.err, (words, r.err)
    rows = sql(t.db, "SELECT path, size FROM source_file ORDER BY id").split()
    sizes = {os.path.basename(line.split("|")[0]): int(line.split("|")[1]) for line in rows}
    assert sizes["fleet.xlsx"] == 70004 and sizes["status.csv"] == 0, rows
    assert sql(t.db, "SELECT count(*) FROM device WHERE in_inventory").strip() == "1"
    rej = t.run("report", "rejected", "--out", "-")
    assert "Excel workbook" in rej.out and "empty file" in rej.out, rej.out
