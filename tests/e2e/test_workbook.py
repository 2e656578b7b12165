"""The workbook as an auditor reads it: sheet order, the Summary attestation
page, Excel tables, print setup, hyperlinks, conditional formats, charts,
trend, patch latency, document properties and provenance.  Read with
openpyxl and zipfile (independent readers), compared with the CSV files and
with figures computed here from the fixtures."""
import collections
import datetime
import hashlib
import os
import re
import subprocess
import zipfile

from lib import (INVENTORY_HEADER, ROOT, SAMPLE_INPUTS, SAMPLES_AS_OF, STATUS_HEADER,
                 TARGETS_HEADER, empty_sheet_line, sheet_rows)

SHEETS = ["Summary", "Trend", "Patch latency", "Past deadline", "Due soon", "Stuck downloading",
          "Errors", "Exploited CVEs", "Not reporting", "Devices", "Rejected", "About", "Inputs"]
DETAIL = ["Past deadline", "Due soon", "Stuck downloading", "Errors", "Exploited CVEs",
          "Not reporting", "Devices", "Rejected", "Trend", "About", "Inputs"]
AS_OF_DT = datetime.datetime(2026, 11, 26, 12, 0)


def _samples(t, *extra, rc=0):
    r = t.run("run", "--out", t.out, "--as-of", SAMPLES_AS_OF, "--org", "Example Corp",
              "--display-tz", "Europe/Berlin", *extra, *SAMPLE_INPUTS)
    assert r.rc == rc, r
    return t.workbook()


def _summary_tables(ws):
    """{caption: (headers, rows)} of the Summary's tables, by table ref."""
    out = {}
    for name, ref in ws.tables.items():
        (c1, r1), (c2, r2) = [(re.match(r"([A-Z]+)(\d+)", p).groups()) for p in ref.split(":")]
        r1, r2 = int(r1), int(r2)
        rows = [[c.value for c in row] for row in ws.iter_rows(min_row=r1, max_row=r2,
                                                                max_col=ws[f"{c2}1"].column)]
        out[name] = (rows[0], rows[1:], ws.cell(row=r1 - 1, column=1).value)
    return out


def test_sheet_order_and_document_properties(t):
    wb = _samples(t)
    assert wb.sheetnames == SHEETS, wb.sheetnames
    p = wb.properties
    assert p.title == "OS-update compliance report"
    assert p.created == AS_OF_DT and p.modified == AS_OF_DT, (p.created, p.modified)
    assert p.creator.startswith("ddmreport ") and "@" in p.creator, p.creator
    assert "2026-11-26T12:00:00Z" in p.subject and "patch compliance" in p.keywords
    with zipfile.ZipFile(os.path.join(t.out, "ddmreport.xlsx")) as z:
        app = z.read("docProps/app.xml").decode()
        sheets = [z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
    assert "<Company>Example Corp</Company>" in app, app
    # a count of 0 is evidence too: zeros are shown
    assert len(sheets) == len(SHEETS) and not any('showZeros="0"' in x for x in sheets)


def test_attestation_states_how_fresh_the_data_is(t):
    """An auditor reading a report from a history whose exports stopped
    arriving saw nothing on the Summary to say so: every report was written
    from the old data.  The attestation names the newest report or check-in
    (a date cell, the latest last_seen of devices.csv) and its age, and says
    when no device has reported within the not-reporting limit."""
    wb = _samples(t)
    attest = {r[0]: r[1] for r in _summary_tables(wb["Summary"])["T_summary_attest"][1]}
    seen = max(d["last_seen"] for d in t.csv("devices") if d["last_seen"])
    newest = datetime.datetime.strptime(seen, "%Y-%m-%dT%H:%M:%SZ")
    assert attest["Newest report or check-in (UTC)"] == newest, attest
    hours = (AS_OF_DT - newest).total_seconds() / 3600
    assert attest["Age of the data"] == f"{hours:.1f} hours before the as-of", attest
    # two weeks on with no new export: said on the page, not only in a list
    r = t.run("report", "--out", t.path("later"), "--as-of", "2026-12-10T12:00:00Z")
    assert r.rc == 0, r
    import openpyxl
    ws = openpyxl.load_workbook(t.path("later", "ddmreport.xlsx"))["Summary"]
    attest = {r[0]: r[1] for r in _summary_tables(ws)["T_summary_attest"][1]}
    age = attest["Age of the data"]
    assert age.startswith("14.0 days before the as-of: no device has reported within the "
                          "not-reporting limit"), age


def test_summary_attestation_percentages_and_breakdowns(t):
    wb = _samples(t)
    ws = wb["Summary"]
    assert ws["A1"].value == "OS-update compliance summary"
    tables = _summary_tables(ws)
    head, rows, caption = tables["T_summary_attest"]
    attest = {r[0]: r[1] for r in rows}
    assert caption == "Attestation"
    assert attest["Organisation"] == "Example Corp"
    assert attest["As of (UTC)"] == AS_OF_DT  # a date cell
    assert attest["As of (display time zone)"] == "2026-11-26 13:00 (Europe/Berlin, UTC+01:00)"
    devices = t.csv("devices")
    scope = [d for d in devices if d["classification"] not in ("no-target", "out-of-scope")]
    no_zone = sum(1 for d in scope if d["time_zone_source"] == "none")
    assert f"{no_zone} no-zone rule" in attest["How deadlines were evaluated"], attest
    # headline figures: counts and shares (percentage cells) from devices.csv
    head, rows, _ = tables["T_summary_headline"]
    fig = {r[0]: r for r in rows}
    assert fig["Devices in scope"][1] == len(scope)
    n = collections.Counter(d["classification"] for d in devices)
    for label, cls in (("Compliant", "compliant"), ("Past deadline", "past-deadline"),
                       ("Errors", "error"), ("Not reporting", "not-reporting")):
        assert fig[label][1] == n[cls], label
        assert abs(fig[label][2] - n[cls] / len(scope)) < 1e-4, (label, fig[label])
    assert fig["No target"][1] == n["no-target"] and fig["Out of scope"][1] == n["out-of-scope"]
    r0 = next(r for r in ws.iter_rows() if r[0].value == "Compliant")
    assert "%" in r0[2].number_format, r0[2].number_format
    # compliance by group, computed from devices.csv
    head, rows, caption = tables["T_summary_group"]
    assert caption == "Compliance by group" and head[0] == "Group"
    by = collections.defaultdict(collections.Counter)
    for d in scope:
        by[d["group"] or "(no group)"][d["classification"]] += 1
    got = {r[0]: r for r in rows}
    assert set(got) == set(by), (got.keys(), by.keys())
    for g, c in by.items():
        total = sum(c.values())
        assert got[g][1] == total and got[g][2] == c["compliant"], g
        assert abs(got[g][5] - c["compliant"] / total) < 1e-4, (g, got[g])
    # platform and target breakdowns, worst offenders
    assert {r[0] for r in tables["T_summary_platform"][1]} == {d["platform"] for d in scope}
    assert {r[1] for r in tables["T_summary_target"][1]} == {d["target_os_version"] for d in scope}
    worst = tables["T_summary_worst"][1]
    past = sorted((d for d in devices if d["classification"] == "past-deadline"),
                  key=lambda d: (d["deadline_utc"], d["serial_number"]))[:10]
    assert [r[0] for r in worst] == [d["serial_number"] for d in past]
    assert all(isinstance(r[8], (int, float)) and r[8] > 0 for r in worst)  # days overdue, numbers
    # the classification table keeps its CSV with machine values
    assert [r[0] for r in tables["T_summary_main"][1]][0] == "Past deadline"
    assert t.csv("summary")[0]["classification"] == "past-deadline"
    # one landscape page
    assert ws.page_setup.orientation == "landscape" and ws.sheet_properties.pageSetUpPr.fitToPage
    assert int(ws.page_setup.fitToHeight or 1) == 1 and int(ws.page_setup.fitToWidth or 1) == 1


def test_detail_sheets_tables_panes_print_setup(t):
    wb = _samples(t)
    for name in DETAIL:
        ws = wb[name]
        assert len(ws.tables) == 1, (name, ws.tables)
        tname, ref = list(ws.tables.items())[0]
        headers, rows = sheet_rows(ws)
        assert ref == f"A2:{ref.split(':')[1]}" and re.fullmatch(r"A2:[A-Z]+\d+", ref), (name, ref)
        last = int(re.search(r"\d+$", ref).group())
        if not any(rows[0]):   # an empty report: one empty row, the line below
            empty_sheet_line(ws)
            rows = []
        assert last == 2 + max(len(rows), 1), (name, ref, len(rows))
        table = ws.tables[tname]
        assert table.tableStyleInfo.showRowStripes and table.autoFilter is not None, name
        assert [c.name for c in table.tableColumns] == headers, name
        assert ws.freeze_panes == "A3", (name, ws.freeze_panes)
        assert ws.print_title_rows == "$2:$2", (name, ws.print_title_rows)
        assert ws.page_setup.orientation == "landscape", name
        assert ws.sheet_properties.pageSetUpPr.fitToPage and int(ws.page_setup.fitToHeight) == 0
        f = ws.oddFooter
        assert f.left.text == "&A" and f.center.text == "Page &P of &N", name
        assert f.right.text == "As of 2026-11-26 12:00 UTC", f.right.text
        # fitted widths: every column at least as wide as its longest value (capped)
        if len(rows) == 1 and not any(rows[0][1:]):
            continue  # the line of an empty sheet spills over
        for i, h in enumerate(headers):
            width = ws.column_dimensions[ws.cell(row=2, column=i + 1).column_letter].width
            longest = max([len(str(r[i])) for r in rows if isinstance(r[i], str)] or [0])
            assert width >= min(longest, 20), (name, h, width, longest)


def test_numbers_dates_labels_links_and_rules(t):
    wb = _samples(t)
    ws = wb["Past deadline"]
    headers, rows = sheet_rows(ws)
    csv_rows = t.csv("past-deadline")
    hc, dc, ec = headers.index("Hours overdue"), headers.index("Days overdue"), headers.index("Enforcement")
    for r, c in zip(rows, csv_rows):
        # numbers, never text
        assert isinstance(r[hc], (int, float)) and abs(r[hc] - float(c["hours_overdue"])) < 1e-9
        assert isinstance(r[dc], (int, float))
        # readable labels in the workbook, machine values in the CSV
        want = {"offline-at-deadline": "Offline at deadline", "enforcement-hour": "In the enforcement hour",
                "enforcement-failed": "Enforcement failed"}[c["enforcement"]]
        assert r[ec] == want, (r[ec], c["enforcement"])
    # conditional-formatting rules (not fills) over the table's rows
    rules = [(str(cf.sqref), rule.formula[0]) for cf in ws.conditional_formatting for rule in cf.rules]
    col = lambda h: ws.cell(row=2, column=headers.index(h) + 1).column_letter  # noqa: E731
    assert (f"A3:{ref_end(ws)}", f'${col("Enforcement")}3="Enforcement failed"') in rules, rules
    assert (f"A3:{ref_end(ws)}", f'${col("Enforcement")}3="Offline at deadline"') in rules, rules
    assert (f"A3:{ref_end(ws)}", f'${col("Hours overdue")}3>72') in rules, rules
    assert all(c.fill.fgColor.rgb in (None, "00000000") for row in ws.iter_rows(min_row=3) for c in row)
    # Devices: details_url is a hyperlink; never-heard devices say never
    ws = wb["Devices"]
    headers, rows = sheet_rows(ws)
    u = headers.index("Details URL") + 1
    links = [c for c in ws.iter_cols(min_col=u, max_col=u, min_row=3) for c in c if c.value]
    assert links and all(c.hyperlink is not None and c.hyperlink.target == c.value for c in links)
    devices = {d["serial_number"]: d for d in t.csv("devices")}
    ls = headers.index("Last seen (UTC)")
    never = [r for r in rows if devices[r[0]]["last_seen"] == ""]
    assert never and all(r[ls] == "never" for r in never), never[:1]
    assert all(isinstance(r[ls], datetime.datetime) for r in rows if devices[r[0]]["last_seen"])
    # an empty sheet says why in one line, below its table (no SOFA feed
    # among the samples)
    assert empty_sheet_line(wb["Exploited CVEs"]) == \
        "No SOFA feed was ingested: add one to see exploited CVEs."


def ref_end(ws):
    return list(ws.tables.items())[0][1].split(":")[1]


def test_charts_are_native_parts(t):
    _samples(t)
    with zipfile.ZipFile(os.path.join(t.out, "ddmreport.xlsx")) as z:
        charts = {n: z.read(n).decode() for n in z.namelist() if n.startswith("xl/charts/chart")}
        rels = {n: z.read(n).decode() for n in z.namelist() if n.startswith("xl/drawings/_rels/")}
        wbx = z.read("xl/workbook.xml").decode()
        wbrels = z.read("xl/_rels/workbook.xml.rels").decode()
    kinds = sorted(re.search(r"<c:(barChart|lineChart|pieChart)", x).group(1) for x in charts.values())
    assert kinds.count("barChart") >= 2 and kinds.count("lineChart") >= 2, kinds
    titles = " ".join(re.findall(r"<a:t>([^<]*)</a:t>", "".join(charts.values())))
    assert "Devices by classification" in titles and "Compliance by group" in titles, titles
    # the Summary (first sheet) holds three charts: classification, group, trend
    first = re.search(r'<sheet name="Summary" sheetId="\d+" r:id="(rId\d+)"', wbx).group(1)
    sheet_file = re.search(rf'Id="{first}" [^>]*Target="worksheets/(sheet\d+\.xml)"', wbrels).group(1)
    assert sheet_file == "sheet1.xml"
    drawing_rels = [v for k, v in rels.items()]
    assert max(v.count("/chart") for v in drawing_rels) >= 3, drawing_rels
    # lines have markers, so one night is a point
    for x in charts.values():
        if "<c:lineChart" in x:
            assert '<c:symbol val="circle"/>' in x, x[:400]


def _trend_case(t, nights):
    inv = t.write("inv.csv", INVENTORY_HEADER + "".join(
        f"S{i},Mac {i},u{i}@example.com,A,macOS,Mac15,UTC,,\n" for i in range(4)))
    tg = t.write("targets.csv", TARGETS_HEADER + "macOS,,,15.1,,2026-11-10T09:00:00,\n")
    for k, night in enumerate(nights):
        # one more device reaches the target each night
        st = t.write(f"s{k}.csv", STATUS_HEADER + "".join(
            f"S{i},Pass,{night}T01:00:00Z,,,,,,{'15.1' if i <= k else '15.0'},,,,,,,,\n"
            for i in range(4)))
        r = t.run("run", "--out", t.out, "--as-of", f"{night}T06:00:00Z", inv, tg, st)
        assert r.rc == 0, r


def test_trend_after_three_nights_one_row_each(t):
    nights = ["2026-11-18", "2026-11-19", "2026-11-20"]
    _trend_case(t, nights)
    # the third night again, later that day: replaces it, no fourth row
    r = t.run("report", "--out", t.out, "--as-of", "2026-11-20T07:30:00Z")
    assert r.rc == 0, r
    headers, rows = sheet_rows(t.workbook()["Trend"])
    assert [r[0].date() for r in rows] == [datetime.date.fromisoformat(n) for n in nights], rows
    # the compliant share is a fraction shown as a percentage in the
    # workbook; the CSV keeps its machine value, a percentage 0-100
    pct = headers.index("Compliant (targeted)")
    assert [r[pct] for r in rows] == [0.25, 0.5, 0.75], rows
    ws = t.workbook()["Trend"]
    assert all("%" in ws.cell(row=3 + i, column=pct + 1).number_format for i in range(3))
    assert [r["compliant_pct"] for r in t.csv("trend")] == ["25.0", "50.0", "75.0"]
    with zipfile.ZipFile(os.path.join(t.out, "ddmreport.xlsx")) as z:
        lines = [z.read(n).decode() for n in z.namelist()
                 if n.startswith("xl/charts/") and "<c:lineChart" in z.read(n).decode()]
    assert lines and all("'Trend'!$L$3:$L$5" in x for x in lines), lines[0][:2000]
    # a percentage value axis from 0 to 100 %, on the Trend and the Summary
    for x in lines:
        val_ax = re.search(r"<c:valAx>.*?</c:valAx>", x, re.S).group(0)
        assert re.search(r'<c:numFmt formatCode="0%"', val_ax), val_ax
        assert '<c:max val="1"/>' in val_ax and '<c:min val="0"/>' in val_ax, val_ax


def _nearest_rank(values, p):
    v = sorted(values)
    k = -(-len(v) * p // 100)  # ceil(p% of n)
    return v[int(k) - 1]


def test_patch_latency_against_hand_computed_case(t):
    # Deadline 2026-11-10 09:00 in UTC (the devices' zone).  Each device's
    # reports: (time, version).  D5 never below: nothing to patch.
    reports = {
        ("D1", "A"): [("2026-11-05T10:00:00Z", "15.0"), ("2026-11-08T10:00:00Z", "15.1")],
        ("D2", "A"): [("2026-11-06T00:00:00Z", "15.0"), ("2026-11-12T09:00:00Z", "15.1")],
        ("D3", "B"): [("2026-11-07T00:00:00Z", "15.0"), ("2026-11-15T21:00:00Z", "15.1")],
        ("D4", "B"): [("2026-11-09T12:00:00Z", "15.0"), ("2026-11-16T00:00:00Z", "15.0")],
        ("D5", "A"): [("2026-11-05T00:00:00Z", "15.1")],
    }
    inv = t.write("inv.csv", INVENTORY_HEADER + "".join(
        f"{s},Mac {s},,{g},macOS,Mac15,UTC,,\n" for s, g in reports))
    tg = t.write("targets.csv", TARGETS_HEADER + "macOS,,,15.1,,2026-11-10T09:00:00,\n")
    st = t.write("s.csv", STATUS_HEADER + "".join(
        f"{s},Pass,{when},,,,,,{v},,,,,,,,\n" for (s, g), rs in reports.items() for when, v in rs))
    r = t.run("run", "--out", t.out, "--as-of", "2026-11-20T00:00:00Z", inv, tg, st)
    assert r.rc == 0, r
    deadline = datetime.datetime(2026, 11, 10, 9, 0)
    ts = lambda s: datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ")  # noqa: E731
    lat = {}
    for (s, g), rs in reports.items():
        below = [ts(w) for w, v in rs if v == "15.0"]
        if not below:
            continue
        done = [ts(w) for w, v in rs if v == "15.1" and ts(w) > below[0]]
        lat[s] = (g, below[0], done[0] if done else None)
    csv_rows = {r["serial_number"]: r for r in t.csv("patch-latency")}
    assert set(csv_rows) == set(lat), csv_rows.keys()
    for s, (g, first, done) in lat.items():
        row = csv_rows[s]
        if done is None:
            assert row["state"] == "open" and row["days_from_deadline"] == "", row
            continue
        assert row["state"] == "patched"
        assert float(row["days_from_deadline"]) == round((done - deadline).total_seconds() / 86400, 1)
        assert float(row["days_from_first_seen"]) == round((done - first).total_seconds() / 86400, 1)
    ws = t.workbook()["Patch latency"]
    summ = {(r[0], r[1]): r for r in ws.iter_rows(min_row=4, max_row=6, values_only=True)}

    def expect(key, members):
        dd = [(lat[s][2] - deadline).total_seconds() / 86400 for s in members if lat[s][2]]
        ds = [(lat[s][2] - lat[s][1]).total_seconds() / 86400 for s in members if lat[s][2]]
        row = summ[key]
        assert row[2] == len(dd) and row[3] == sum(1 for s in members if not lat[s][2]), row
        assert row[4] == 0, row  # compliant with no report saying when: none here
        assert row[5] == 0, row  # below target with no report of it: none here
        assert row[6:10] == (round(_nearest_rank(dd, 50), 1), round(_nearest_rank(dd, 90), 1),
                            round(_nearest_rank(ds, 50), 1), round(_nearest_rank(ds, 90), 1)), row

    expect(("Target", "macOS 15.1"), ["D1", "D2", "D3", "D4"])
    expect(("Group", "A"), ["D1", "D2"])
    expect(("Group", "B"), ["D3", "D4"])
    # by hand, so the helper above is checked too: target median 2.0 days after the deadline
    assert summ[("Target", "macOS 15.1")][6:10] == (2.0, 5.5, 6.4, 8.9)


def test_about_hashes_inputs_like_sha256sum(t):
    wb = _samples(t, "--fail-on", "errors", rc=1)  # the samples have errors
    headers, rows = sheet_rows(wb["About"])
    inputs = {r[1]: r for r in rows if r[0] == "Input"}
    path = next(p for p in inputs if p.endswith("inventory.csv"))
    out = subprocess.run(["sha256sum", path], capture_output=True, text=True, check=True).stdout
    assert inputs[path][2] == out.split()[0]
    assert inputs[path][headers.index("Size (bytes)")] == os.path.getsize(path)
    assert inputs[path][headers.index("Kind")] == "Inventory"
    params = {r[1]: r[2] for r in rows if r[0] == "Run"}
    assert params["Fail on"] == "errors" and params["CSV profile"] == "excel"
    assert params["Organisation"] == "Example Corp"
    assert "IANA tz database" in params["Time-zone rules"]
    assert re.fullmatch(r".+@.+", params["Run by"])
    assert isinstance(params["As of (UTC)"], datetime.datetime)
    assert isinstance(params["Run time (UTC)"], datetime.datetime)
    res = {r[1]: r[2] for r in rows if r[0] == "Resource"}
    for name in ("templates/summary.tmpl", "templates/labels.map", "queries/reports/patch-latency.sql",
                 "queries/reports/summary-attest.sql", "queries/reports/patch-latency-summary.sql"):
        with open(os.path.join(ROOT, name), "rb") as f:
            assert res[name] == hashlib.sha256(f.read()).hexdigest(), name


def test_config_file_and_its_hash_in_about(t):
    cfg = t.write("ddm.conf", "stuck-after = 2d\norg = Conf Org\n")
    r = t.run("run", "--config", cfg, "--out", t.out, "--as-of", SAMPLES_AS_OF, *SAMPLE_INPUTS)
    assert r.rc == 0, r
    headers, rows = sheet_rows(t.workbook()["About"])
    params = {r[1]: r[2] for r in rows if r[0] == "Run"}
    with open(cfg, "rb") as f:
        assert params["Config file"] == f"{cfg} (SHA-256 {hashlib.sha256(f.read()).hexdigest()})"
    assert params["Stuck after"] == "2d" and params["Organisation"] == "Conf Org"


def test_same_database_and_as_of_give_identical_xml_parts(t):
    assert t.run("run", "--out", t.out, "--as-of", SAMPLES_AS_OF, *SAMPLE_INPUTS).rc == 0
    parts = []
    for k in range(2):
        out = t.path("again")  # the same command line twice
        r = t.run("report", "--out", out, "--as-of", SAMPLES_AS_OF,
                  env={"SOURCE_DATE_EPOCH": "1764500000"})
        assert r.rc == 0, r
        with zipfile.ZipFile(os.path.join(out, "ddmreport.xlsx")) as z:
            parts.append({n: z.read(n) for n in z.namelist() if n.endswith(".xml") or n.endswith(".rels")})
    assert parts[0].keys() == parts[1].keys()
    assert [n for n in parts[0] if parts[0][n] != parts[1][n]] == []


def test_excel_csv_has_bom_raw_never(t):
    assert t.run("run", "--out", t.out, "--as-of", SAMPLES_AS_OF, *SAMPLE_INPUTS).rc == 0
    with open(os.path.join(t.out, "devices.csv"), "rb") as f:
        text = f.read()
    assert text.startswith(b"\xef\xbb\xbfserial_number,")
    assert "Elena\u2019s".encode() in text
    raw = t.path("raw")
    assert t.run("report", "--out", raw, "--csv-profile", "raw", "--as-of", SAMPLES_AS_OF).rc == 0
    with open(os.path.join(raw, "devices.csv"), "rb") as f:
        assert f.read(14) == b"serial_number,"
    r = t.run("report", "devices", "--out", "-", "--as-of", SAMPLES_AS_OF)
    assert r.rc == 0 and r.out.startswith("serial_number,"), r


def test_rejected_long_row_cut_with_marker(t):
    long = "x" * 600 + "\u00e9" * 800  # 2,200 bytes
    st = t.write("s.csv", STATUS_HEADER + f",Pending,2026-11-20T10:00:00Z,{long}" + "," * 13 + "\n")
    r = t.run("run", "--out", t.out, "--as-of", SAMPLES_AS_OF, st)
    assert r.rc == 65 and "1 of 1 rows rejected" in r.err, r  # reports still written
    headers, rows = sheet_rows(t.workbook()["Rejected"])
    raw = rows[0][headers.index("Row as read")]
    whole = f",Pending,2026-11-20T10:00:00Z,{long}" + "," * 13
    m = re.search(r"\u2026 \[cut: (\d+) characters, full text in the input file\]$", raw)
    assert m, raw[-100:]
    kept = raw[:m.start()]
    assert whole.startswith(kept) and len(kept.encode()) <= 1024
    assert len(kept) + int(m.group(1)) == len(whole)


def test_template_directives_errors_point_at_file_and_line(t):
    os.makedirs(t.path("tpl"))
    src = open(os.path.join(ROOT, "templates/devices.tmpl")).read()
    assert t.run("ingest", *SAMPLE_INPUTS).rc == 0
    for bad, want in (("when hours_overdue >> 72 bad", "expected: when COLUMN"),
                      ("chart bar group.group other.devices Mixed", "expected: chart"),
                      ("part onlyname", "expected: part NAME QUERY")):
        t.write("tpl/devices.tmpl", src + bad + "\n")
        r = t.run("report", "--templates", t.path("tpl"), "--out", t.out, "--as-of", SAMPLES_AS_OF)
        line = src.count("\n") + 1
        assert r.rc == 65 and f"devices.tmpl:{line}:" in r.err and want in r.err, (bad, r)
    t.write("tpl/devices.tmpl", src)
    t.write("tpl/labels.map", "classification past-deadline\n")
    r = t.run("report", "--templates", t.path("tpl"), "--out", t.out, "--as-of", SAMPLES_AS_OF)
    assert r.rc == 65 and "labels.map:1:" in r.err and "COLUMN VALUE LABEL" in r.err, r


def test_check_prepares_part_queries(t):
    os.makedirs(t.path("q/reports"))
    t.write("q/reports/summary-group.sql", "SELECT no_such_column FROM ev_final;\n")
    r = t.run("check", "--queries", t.path("q"))
    assert r.rc == 70 and "summary-group.sql:1:" in r.err and "no_such_column" in r.err, r


def test_labels_override_changes_workbook_not_csv(t):
    os.makedirs(t.path("tpl"))
    t.write("tpl/labels.map", "classification past-deadline Overdue (audit)\n")
    r = t.run("run", "--templates", t.path("tpl"), "--out", t.out, "--as-of", SAMPLES_AS_OF, *SAMPLE_INPUTS)
    assert r.rc == 0, r
    headers, rows = sheet_rows(t.workbook()["Devices"])
    c = headers.index("Classification")
    shown = {r[c] for r in rows}
    assert "Overdue (audit)" in shown and "past-deadline" not in shown, shown
    assert "Compliant" not in shown  # the override replaces the whole list
    assert {d["classification"] for d in t.csv("devices")} >= {"past-deadline", "compliant"}
    ws = t.workbook()["Devices"]
    rules = [rule.formula[0] for cf in ws.conditional_formatting for rule in cf.rules]
    assert any(f.endswith('="Overdue (audit)"') for f in rules), rules


def test_long_and_repeated_query_column_names_still_make_a_table(t):
    os.makedirs(t.path("q/reports"))
    long = "c" * 300
    t.write("q/reports/errors.sql",
            f"SELECT 'S1' AS serial_number, 1 AS \"{long}\", 2 AS \"{long}x\", 'a' AS x, 'b' AS x;\n")
    r = t.run("run", "--queries", t.path("q"), "--out", t.out, "--as-of", SAMPLES_AS_OF, *SAMPLE_INPUTS)
    assert r.rc == 0, r
    ws = t.workbook()["Errors"]
    headers, rows = sheet_rows(ws)
    names = [c.name for c in ws.tables["T_errors"].tableColumns]
    assert names == headers and len(set(names)) == len(names), names
    # columns the template does not list are shown as text
    assert all(len(n) <= 255 for n in names) and rows == [["S1", "1", "2", "a", "b"]], (names, rows)
    assert t.csv("errors")[0]["serial_number"] == "S1"


def test_hyperlinks_bounded_and_the_rest_said_on_about(t):
    # libxlsxwriter keeps every hyperlink in memory until the workbook is
    # closed: past 10,000 a details_url is plain text (the value is kept)
    # and About says how many, so a large fleet's workbook stays small in
    # memory.
    n = 10_050
    inv = t.write("inv.csv", INVENTORY_HEADER + "".join(
        f"L{i:07d},Mac {i},u{i}@example.com,Staff,macOS,\"Mac15,3\",Europe/Berlin,"
        f"2026-11-25T10:00:00Z,26.0\n" for i in range(n)))
    tgt = t.write("tgt.csv", TARGETS_HEADER +
                  "macOS,*,,26.1,,2026-12-20T18:00:00,https://support.example.com/26.1\n")
    r = t.run("run", "--out", t.out, "--as-of", "2026-11-26T12:00:00Z", inv, tgt)
    assert r.rc == 0, r
    wb = t.workbook()
    ws = wb["Devices"]
    headers, rows = sheet_rows(ws)
    assert len(rows) == n
    u = headers.index("Details URL") + 1
    cells = [c for col in ws.iter_cols(min_col=u, max_col=u, min_row=3) for c in col]
    linked = [c for c in cells if c.hyperlink is not None]
    assert len(linked) == 10_000 and all(c.hyperlink.target == c.value for c in linked)
    assert all(c.value == "https://support.example.com/26.1" for c in cells)
    _, about = sheet_rows(wb["About"])
    note = [r[2] for r in about if r[0] == "Workbook" and r[1] == "Devices"]
    assert note == ["50 URLs are text, not hyperlinks: at most 10000 hyperlinks per workbook"], note
