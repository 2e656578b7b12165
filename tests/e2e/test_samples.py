"""The nightly job over samples/, checked against the generator's oracle
(tests/expected/samples-classification.csv), and the workbook read back
with openpyxl."""
import csv
import datetime
import os

from lib import SAMPLE_INPUTS, ROOT, SAMPLES, SAMPLES_AS_OF, parse_csv, sheet_rows


def _run(t):
    return t.run("run", "--out", t.out, "--as-of", SAMPLES_AS_OF, *SAMPLE_INPUTS)


def test_samples_classification_matches_oracle(t):
    r = _run(t)
    assert r.rc == 0, r
    with open(os.path.join(ROOT, "tests/expected/samples-classification.csv"), newline="") as f:
        expected = {row["serial_number"]: row for row in csv.DictReader(f)}
    got = {row["serial_number"]: row for row in t.csv("devices")}
    assert set(got) == set(expected), (set(got) ^ set(expected))
    wrong = [(s, e["classification"], e["enforcement"], got[s]["classification"], got[s]["enforcement"])
             for s, e in expected.items()
             if (got[s]["classification"], got[s]["enforcement"]) != (e["classification"], e["enforcement"])]
    assert not wrong, f"{len(wrong)} devices differ: {wrong[:10]}"


def test_samples_detail_reports_match_oracle_criteria(t):
    # Each detail report lists every device meeting its own criterion, per
    # the oracle (tests/gen_samples.py, re-reading samples/), device for
    # device, with the device's one classification beside it.
    import sys
    sys.path.insert(0, os.path.join(ROOT, "tests"))
    import gen_samples
    oracle = gen_samples.classify(SAMPLES, gen_samples.AS_OF, lists=True)
    assert _run(t).rc == 0
    both = 0
    for report in ("past-deadline", "errors", "stuck-downloading", "not-reporting", "due-soon"):
        rows = t.csv(report)
        got = {r["serial_number"]: r["classification"] for r in rows}
        want = {s: c for s, (c, _, lists) in oracle.items() if report in lists}
        assert len(got) == len(rows), report
        missing, extra = sorted(set(want) - set(got)), sorted(set(got) - set(want))
        assert not missing and not extra, (report, missing[:5], extra[:5])
        wrong = [(s, got[s], want[s]) for s in want if got[s] != want[s]]
        assert not wrong, (report, wrong[:5])
        both += sum(1 for s in got if got[s] != {"errors": "error"}.get(report, report))
    assert both > 0, "no sample device is in a list other than its classification's"


def test_samples_every_classification_present(t):
    assert _run(t).rc == 0
    summary = {r["classification"]: int(r["devices"]) for r in t.csv("summary")}
    for c in ("past-deadline", "error", "stuck-downloading", "not-reporting", "due-soon",
              "in-progress", "compliant", "no-target", "out-of-scope"):
        assert summary.get(c, 0) > 0, f"no {c} in summary {summary}"
    assert sum(summary.values()) == len(t.csv("devices"))


def test_samples_rejected_rows_point_at_file_and_line(t):
    r = _run(t)
    assert r.rc == 0, r
    rej = t.csv("rejected")
    got = sorted((os.path.basename(x["file"]), int(x["line"])) for x in rej)
    assert got == [("mdm-export-2026-11-25.csv", 42), ("mdm-export-2026-11-25.csv", 92)], got
    assert "missing serial_number" in rej[0]["reason"]
    assert "yesterday" in rej[1]["reason"]
    assert "2 rows rejected" in r.err


def test_samples_unknown_status_kept_with_raw_value(t):
    assert _run(t).rc == 0
    snoozed = [d for d in t.csv("devices") if d["status_raw"] == "Snoozed"]
    assert snoozed and all(d["status"] == "Unknown" for d in snoozed), snoozed


def test_samples_past_deadline_columns(t):
    assert _run(t).rc == 0
    rows = t.csv("past-deadline")
    assert rows
    assert list(rows[0])[0] == "serial_number"
    for col in ("deadline_utc", "enforcement", "deadline_local", "time_zone"):
        assert col in rows[0], col
    for r in rows:
        assert r["enforcement"] in ("offline-at-deadline", "enforcement-hour", "enforcement-failed")
        assert r["deadline_utc"].endswith("Z") and r["deadline_utc"] <= SAMPLES_AS_OF


def test_samples_every_detail_csv_starts_with_serial(t):
    assert _run(t).rc == 0
    for name in ("past-deadline", "due-soon", "stuck-downloading", "errors", "not-reporting", "devices"):
        with open(os.path.join(t.out, name + ".csv"), "rb") as f:
            # the excel profile (the default for files) starts with a BOM
            assert f.readline().startswith(b"\xef\xbb\xbfserial_number,"), name
    devices = t.csv("devices")
    for col in ("classification", "status", "status_since", "os_version", "target_os_version",
                "deadline_local", "time_zone", "deadline_utc", "last_seen"):
        assert col in devices[0], col
    assert "status_since" in t.csv("stuck-downloading")[0]
    assert list(t.csv("rejected")[0])[:3] == ["file", "line", "reason"]


def test_samples_workbook_sheets_dates_and_filters(t):
    assert _run(t).rc == 0
    wb = t.workbook()
    assert wb.sheetnames == ["Summary", "Trend", "Patch latency", "Past deadline", "Due soon", "Stuck downloading",
                             "Errors", "Exploited CVEs", "Not reporting", "Devices", "Rejected", "About",
                             "Inputs"], wb.sheetnames
    ws = wb["Past deadline"]
    headers, rows = sheet_rows(ws)
    assert headers[0] == "Serial number"
    assert ws.freeze_panes == "A3", ws.freeze_panes
    # an Excel table (filterable) from the header row over every data row
    assert list(ws.tables) == ["T_past_deadline"], ws.tables
    assert ws.tables["T_past_deadline"].ref == f"A2:{ws.tables['T_past_deadline'].ref.split(':')[1]}"
    assert int(ws.tables["T_past_deadline"].ref.split(":")[1].lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")) == len(rows) + 2
    col = headers.index("Deadline (UTC)")
    assert all(isinstance(r[col], datetime.datetime) for r in rows), rows[0]
    # the same rows as the CSV, in the same order
    csv_rows = t.csv("past-deadline")
    assert [r[0] for r in rows] == [c["serial_number"] for c in csv_rows]
    first = csv_rows[0]["deadline_utc"]
    assert rows[0][col] == datetime.datetime.strptime(first, "%Y-%m-%dT%H:%M:%SZ")


def test_samples_workbook_summary_has_native_chart(t):
    assert _run(t).rc == 0
    import zipfile
    with zipfile.ZipFile(os.path.join(t.out, "ddmreport.xlsx")) as z:
        names = z.namelist()
    assert any(n.startswith("xl/charts/chart") for n in names), names


def test_samples_about_lists_inputs_with_sha256(t):
    assert _run(t).rc == 0
    import hashlib
    headers, rows = sheet_rows(t.workbook()["About"])
    inputs = {r[1]: r for r in rows if r[0] == "Input"}
    inv = [p for p in inputs if p.endswith("inventory.csv")]
    assert inv, inputs.keys()
    with open(os.path.join(SAMPLES, "inventory.csv"), "rb") as f:
        assert inputs[inv[0]][2] == hashlib.sha256(f.read()).hexdigest()
    params = {r[1]: r[2] for r in rows if r[0] == "Run"}
    # readable names; times are date cells
    assert params["As of (UTC)"] == datetime.datetime(2026, 11, 26, 12, 0), params
    assert isinstance(params["Run time (UTC)"], datetime.datetime), params
    assert params["Stuck after"] == "1d" and params["Not reporting after"] == "7d"
    resources = {r[1]: r[2] for r in rows if r[0] == "Resource"}
    assert "queries/evaluate.sql" in resources and len(resources["queries/evaluate.sql"]) == 64


def test_samples_rerun_is_idempotent_and_byte_identical(t):
    assert _run(t).rc == 0
    first = {n: open(os.path.join(t.out, n), "rb").read() for n in os.listdir(t.out) if n.endswith(".csv")}
    before = t.run("report", "devices", "--out", "-", "--as-of", SAMPLES_AS_OF).out
    # Same inputs again, one under another name: nothing changes.
    import shutil
    shutil.copy(os.path.join(SAMPLES, "inventory.csv"), t.path("renamed.csv"))
    r = t.run("run", "--out", t.out, "--as-of", SAMPLES_AS_OF, SAMPLES, t.path("renamed.csv"))
    assert r.rc == 0, r
    second = {n: open(os.path.join(t.out, n), "rb").read() for n in os.listdir(t.out) if n.endswith(".csv")}
    assert first == second
    assert t.run("report", "devices", "--out", "-", "--as-of", SAMPLES_AS_OF).out == before


def test_samples_overlapping_exports_not_doubled(t):
    assert _run(t).rc == 0
    from lib import sql
    dup = sql(t.db, "SELECT sum(rows_duplicate) FROM source_file").strip()
    assert int(dup) >= 12, dup
    n = sql(t.db, "SELECT count(*) - count(DISTINCT serial_number || reported_at) FROM observation").strip()
    assert n == "0"


def _ddm_devices():
    """(serial, source, classification, enforcement) from samples/README.md."""
    import re
    out = []
    with open(os.path.join(SAMPLES, "README.md"), encoding="utf-8") as f:
        for line in f:
            m = re.match(r"- `(\w+)` (webhook|raw) `[\w-]+` -> ([\w-]+)(?: \(([\w-]+)\))?$", line.strip())
            if m:
                out.append((m.group(1), m.group(2), m.group(3), m.group(4) or ""))
    return out


def test_samples_ddm_sourced_devices_in_reports(t):
    assert _run(t).rc == 0
    ddm = _ddm_devices()
    assert len({s for s, src, _, _ in ddm if src == "webhook"}) >= 10, ddm
    assert len({s for s, src, _, _ in ddm if src == "raw"}) >= 10, ddm
    got = {row["serial_number"]: row for row in t.csv("devices")}
    wrong = [(s, c, e, got.get(s, {}).get("classification"), got.get(s, {}).get("enforcement"))
             for s, _, c, e in ddm
             if (got.get(s, {}).get("classification"), got.get(s, {}).get("enforcement")) != (c, e)]
    assert not wrong, wrong
    # none of them is in the CSV exports: their observations come from the JSON sources
    status = os.path.join(SAMPLES, "status")
    csv_text = "".join(open(os.path.join(status, n), encoding="utf-8").read()
                       for n in os.listdir(status) if n.endswith(".csv"))
    assert not [s for s, _, _, _ in ddm if s in csv_text]
    # the About sheet lists the webhook logs and the raw captures
    headers, rows = sheet_rows(t.workbook()["About"])
    inputs = [r[1] for r in rows if r[0] == "Input"]
    hooks = sorted(os.path.basename(p) for p in inputs if "nanomdm-webhook-" in p)
    assert hooks == sorted(n for n in os.listdir(status) if n.startswith("nanomdm-webhook-")), hooks
    assert any("/ddm-reports/" in p for p in inputs)
    # the events that are not status reports are skipped and counted, not rejected
    from lib import sql
    got = sql(t.db, "SELECT sum(rows_skipped), sum(rows_rejected) FROM source_file "
                    "WHERE format = 'nanomdm-webhook'").strip()
    with open(os.path.join(SAMPLES, "README.md"), encoding="utf-8") as f:
        import re
        skipped = re.search(r"(\d+) events are not status reports", f.read()).group(1)
    assert got == skipped + "|0", (got, skipped)


def test_samples_kandji_other_library_items_skipped(t):
    # The Kandji exports list apps and profiles beside the Managed OS items
    # (types *-release): those rows are skipped and counted, never an
    # observation, and their install logs are no device's failure reason.
    assert _run(t).rc == 0
    from lib import sql
    import re
    status = os.path.join(SAMPLES, "status")
    other, logs = 0, set()
    for n in sorted(os.listdir(status)):
        if n.startswith("kandji-"):
            with open(os.path.join(status, n), encoding="utf-8", newline="") as f:
                for r in csv.DictReader(f):
                    if not r["type"].endswith("-release"):
                        other += 1
                        logs.add(r["log"])
    assert other > 0
    got = sql(t.db, "SELECT sum(rows_skipped), sum(rows_rejected) FROM source_file "
                    "WHERE format = 'kandji'").strip()
    assert got == f"{other}|0", (got, other)
    with open(os.path.join(SAMPLES, "README.md"), encoding="utf-8") as f:
        said = re.search(r"(\d+) rows of other library items", f.read()).group(1)
    assert int(said) == other
    reasons = {d["failure_reason"] for d in t.csv("devices")} | \
        {d["failure_reason"] for d in t.csv("errors")}
    assert not reasons & logs, reasons & logs


def test_workbook_rows_past_the_sheet_limit_continue_on_more_sheets(t):
    # Excel holds 1,048,576 rows a sheet; a lowered limit (max_rows) shows
    # the continuation: "Devices (2)", ... with the same table, header and
    # print setup, every row once, and About says so.
    os.makedirs(t.path("tpl"))
    src = open(os.path.join(ROOT, "templates/devices.tmpl")).read()
    t.write("tpl/devices.tmpl", src + "max_rows  120\n")
    r = t.run("run", "--templates", t.path("tpl"), "--out", t.out, "--as-of", SAMPLES_AS_OF, *SAMPLE_INPUTS)
    assert r.rc == 0, r
    csv_rows = t.csv("devices")
    wb = t.workbook()
    names = [n for n in wb.sheetnames if n.startswith("Devices")]
    want = (len(csv_rows) + 119) // 120
    assert want >= 3 and names == ["Devices"] + [f"Devices ({k})" for k in range(2, want + 1)], names
    serials = []
    headers0 = None
    for k, n in enumerate(names):
        ws = wb[n]
        headers, rows = sheet_rows(ws)
        headers0 = headers0 or headers
        assert headers == headers0 and headers[0] == "Serial number"
        assert len(rows) == (120 if k < want - 1 else len(csv_rows) - 120 * (want - 1)), (n, len(rows))
        (name, ref), = ws.tables.items()
        assert name == ("T_devices" if k == 0 else f"T_devices_{k + 1}"), name
        assert ref.startswith("A2:") and ref.endswith(str(len(rows) + 2)), ref
        assert ws.freeze_panes == "A3" and ws.print_title_rows == "$2:$2", n
        # landscape, fit to one page wide (width 1 is the default, so absent), any height
        assert ws.page_setup.orientation == "landscape" and ws.sheet_properties.pageSetUpPr.fitToPage, n
        assert ws.page_setup.fitToWidth in (None, 1) and int(ws.page_setup.fitToHeight) == 0, n
        assert "Page &P of &N" in ws.oddFooter.center.text, n
        serials += [r[0] for r in rows]
    assert serials == [c["serial_number"] for c in csv_rows]
    headers, rows = sheet_rows(wb["About"])
    note = [r[2] for r in rows if r[0] == "Workbook" and r[1] == "Devices"]
    assert note == [f"{len(csv_rows)} rows on {want} sheets (Devices, Devices (2), ...): "
                    f"at most 120 rows per sheet"], note
    t.write("tpl/devices.tmpl", src + "max_rows  0\n")
    r = t.run("report", "--templates", t.path("tpl"), "--out", t.out, "--as-of", SAMPLES_AS_OF)
    assert r.rc == 65 and "devices.tmpl:" in r.err and "max_rows" in r.err, r


def test_sha256sums_manifest_checks_with_sha256sum(t):
    assert _run(t).rc == 0
    import subprocess
    with open(os.path.join(t.out, "SHA256SUMS")) as f:
        names = sorted(line.split("  ", 1)[1].strip() for line in f)
    assert names == sorted(n for n in os.listdir(t.out) if n != "SHA256SUMS"), names
    p = subprocess.run(["sha256sum", "--strict", "-c", "SHA256SUMS"], cwd=t.out,
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr
    # A tampered report no longer checks.
    with open(os.path.join(t.out, "summary.csv"), "a") as f:
        f.write("x\n")
    p = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=t.out, capture_output=True, text=True)
    assert p.returncode != 0 and "summary.csv: FAILED" in p.stdout


def test_trend_has_one_row_per_night(t):
    nights = ["2026-11-23T12:00:00Z", "2026-11-24T12:00:00Z", "2026-11-25T12:00:00Z", SAMPLES_AS_OF]
    assert t.run("ingest", *SAMPLE_INPUTS).rc == 0
    summaries = {}
    for as_of in nights:
        r = t.run("report", "--out", t.out, "--as-of", as_of)
        assert r.rc == 0, r
        summaries[as_of] = {s["classification"]: int(s["devices"]) for s in t.csv("summary")}
    # Evaluating a night again replaces its row; `check` records nothing.
    assert t.run("report", "--out", t.out, "--as-of", "2026-11-24T12:00:00Z").rc == 0
    assert t.run("check", "--as-of", "2026-11-22T00:00:00Z").rc == 0
    assert t.run("report", "--out", t.out, "--as-of", SAMPLES_AS_OF).rc == 0
    trend = t.csv("trend")
    assert [r["as_of"] for r in trend] == nights, trend
    for row in trend:
        s = summaries[row["as_of"]]
        assert int(row["past_deadline"]) == s["past-deadline"]
        assert int(row["compliant"]) == s["compliant"]
        assert int(row["devices"]) == sum(s.values())
        targeted = sum(s.values()) - s["no-target"] - s["out-of-scope"]
        assert float(row["compliant_pct"]) == round(100.0 * s["compliant"] / targeted, 1)
    # An earlier as-of shows only the history up to it.
    r = t.run("report", "trend", "--out", "-", "--as-of", "2026-11-24T12:00:00Z")
    assert [x["as_of"] for x in parse_csv(r.out)] == nights[:2], r
    import zipfile
    with zipfile.ZipFile(os.path.join(t.out, "ddmreport.xlsx")) as z:
        charts = [z.read(n).decode() for n in z.namelist() if n.startswith("xl/charts/chart")]
    assert any("<c:lineChart>" in c for c in charts)
