"""The auditor who checks the evidence: opens the workbook (and the CSVs)
with nobody to explain them, and tries to trust every figure.  Read with
openpyxl and the csv module (independent readers); figures are re-derived
here from the rows the workbook prints or from the inputs the test wrote."""
import os
import re
import shutil

from lib import ROOT, SAMPLE_INPUTS, SAMPLES_AS_OF


def _table(ws, name):
    """(first row, headers, rows as dicts) of an Excel table."""
    ref = ws.tables[name].ref
    first = int(re.match(r"[A-Z]+(\d+)", ref.split(":")[0]).group(1))
    rows = [[c.value for c in row] for row in ws[ref]]
    return first, rows[0], [dict(zip(rows[0], r)) for r in rows[1:]]


def _attest(wb):
    _, _, rows = _table(wb["Summary"], "T_summary_attest")
    return {r["Statement"]: str(r["Value"]) for r in rows}


def test_policy_override_is_stated_on_the_attestation(t):
    """A run with --queries replacing the policy (evaluate.sql) wrote a
    Summary whose attestation read 'Written by: ddmreport 0.1.0' and
    nothing else: the page an auditor samples looked like the built-in
    rules had produced it; only row 60-odd of About said '(from DIR)'.
    The attestation must say which rules made the answer: built in, or
    which files were replaced, and from where."""
    r = t.run("run", "--out", t.out, "--as-of", SAMPLES_AS_OF, *SAMPLE_INPUTS)
    assert r.rc == 0, r
    said = " ".join(_attest(t.workbook()).values())
    assert "built in" in said, said
    assert "--queries" not in said, said
    q = t.path("policy")
    os.makedirs(q)
    shutil.copy(os.path.join(ROOT, "queries", "evaluate.sql"), q)
    with open(os.path.join(q, "evaluate.sql"), "a") as f:
        f.write("-- site rule\n")
    r = t.run("report", "--out", t.path("out2"), "--as-of", SAMPLES_AS_OF, "--queries", q)
    assert r.rc == 0, r
    attest = _attest(t.workbook(t.path("out2")))
    said = " ".join(attest.values())
    assert "--queries" in said and "queries/evaluate.sql" in said, attest
    assert os.path.join(q, "evaluate.sql") in said, attest
    assert "built in" not in said, attest


def test_patch_latency_still_open_accounts_for_every_device_below_target(t):
    """The samples' Patch latency summary said 'macOS 26.1: Still open 33'
    while the Summary counted 60 Macs past their deadline alone: the Macs
    whose version comes from the inventory (no status report carries one)
    were in no count at all, and the list below was headed 'Every device
    seen below its target'.  Per target and per group, the devices below
    their target now must all be counted: still open (measured) plus
    below target with no report giving the version (not measured)."""
    r = t.run("run", "--out", t.out, "--as-of", SAMPLES_AS_OF, *SAMPLE_INPUTS)
    assert r.rc == 0, r
    wb = t.workbook()
    _, _, dev = _table(wb["Devices"], "T_devices")
    ws = wb["Patch latency"]
    _, head, summary = _table(ws, "T_patch_latency_summary")
    _, _, listed = _table(ws, "T_patch_latency_main")
    unmeasured = [h for h in head if "not measured" in h.lower()]
    assert len(unmeasured) == 1, head
    done = ("Compliant", "No target", "Out of scope")
    assert {r["Target / group"] for r in summary if r["By"] == "Group"} >= \
        {d["Group"] for d in dev if d["Classification"] not in done}
    for s in summary:
        if s["By"] == "Target":
            below = [d for d in dev if d["Classification"] not in done
                     and f"{d['Platform']} {d['Target version']}" == s["Target / group"]]
        else:
            below = [d for d in dev if d["Classification"] not in done
                     and (d["Group"] or "(no group)") == s["Target / group"]]
        assert s["Still open"] + s[unmeasured[0]] == len(below), (s, len(below))
    # the list says which devices it holds: not every device below target
    caption = ws.cell(row=_table(ws, "T_patch_latency_main")[0] - 1, column=1).value
    assert caption != "Every device seen below its target", caption


def test_report_for_an_earlier_night_says_what_it_cannot_reproduce(t):
    """An auditor re-runs 'report --as-of' for an earlier night on the live
    database, to reproduce what that night's report said.  Reports after
    the as-of are left out, but targets and the inventory are read as last
    ingested (the README says so): the answer may differ from that night's,
    and the workbook said nothing of it; its attestation looked like any
    other night's.  It must say so when the database holds later data."""
    r = t.run("run", "--out", t.out, "--as-of", SAMPLES_AS_OF, *SAMPLE_INPUTS)
    assert r.rc == 0, r
    said = " ".join(_attest(t.workbook()).values())
    assert "as last ingested" not in said, said
    r = t.run("report", "--out", t.path("earlier"), "--as-of", "2026-11-24T12:00:00Z")
    assert r.rc == 0, r
    attest = _attest(t.workbook(t.path("earlier")))
    said = " ".join(attest.values())
    assert "as last ingested" in said, attest
    assert "targets" in said and "inventory" in said, attest
    assert "2026-11-26 12:00" in said, attest  # the later night it was evaluated for
    # a database that was never evaluated later but holds inventory
    # check-ins after the as-of says so too
    inv = t.write("inv.csv", "serial_number,platform,os_version,last_check_in\n"
                  "C1,macOS,26.0,2026-11-25T08:00:00Z\n")
    r = t.run("run", "--db", t.path("b.db"), "--out", t.path("b"), "--as-of",
              "2026-11-24T12:00:00Z", inv)
    assert r.rc == 0, r
    said = " ".join(_attest(t.workbook(t.path("b"))).values())
    assert "as last ingested" in said and "2026-11-25 08:00" in said, said


def test_attestation_counts_the_rejected_rows_it_was_judged_without(t):
    """The samples' run (--max-rejected 5%, exit 0) left 2 input rows out,
    one of them device D7M80VDPHM's report, and the Summary's attestation
    said nothing of it: it named inputs with no row stored and files
    rolled back by --strict, but a fleet judged without some rows of its
    inputs looked complete.  The page must count them (the Rejected
    sheet's rows of this run) and point at the Rejected sheet; a later
    report with no inputs must not claim them as its own."""
    r = t.run("run", "--out", t.out, "--as-of", SAMPLES_AS_OF, *SAMPLE_INPUTS)
    assert r.rc == 0, r
    wb = t.workbook()
    _, _, rejected = _table(wb["Rejected"], "T_rejected")
    _, _, inputs = _table(wb["Inputs"], "T_inputs")
    assert len(rejected) == sum(i["Rejected"] for i in inputs) == 2
    attest = _attest(wb)
    line = [v for k, v in attest.items() if "reject" in k.lower()]
    assert len(line) == 1, attest
    assert line[0].startswith("2 rows of this run's inputs (1 file)"), line
    assert "Rejected sheet" in line[0], line
    r = t.run("report", "--out", t.path("again"), "--as-of", SAMPLES_AS_OF)
    assert r.rc == 0, r
    attest = _attest(t.workbook(t.path("again")))
    line = [v for k, v in attest.items() if "reject" in k.lower()]
    assert len(line) == 1 and line[0].startswith("none in this run"), attest
    assert "2 rejected by earlier runs" in line[0], line


def test_patch_latency_list_continues_past_the_sheet_limit_every_row_once(t):
    """A sheet of one table continues on 'SHEET (2)' past its row limit;
    Patch latency, whose list sits below its summary table, did not: its
    limit was Excel's whole sheet whatever row the list starts on, so a
    list of more than 1,048,561 devices (a fleet of a million, or half
    that with two staged targets) ran off the sheet and the workbook
    failed, and a template's max_rows was ignored.  With a small limit,
    the list must continue, every row exactly once, each part a table with
    its header repeated on paper, and About must say so."""
    tdir = t.path("tmpl")
    os.makedirs(tdir)
    with open(os.path.join(ROOT, "templates", "patch-latency.tmpl")) as f:
        text = f.read()
    with open(os.path.join(tdir, "patch-latency.tmpl"), "w") as f:
        f.write(text + "max_rows  30\n")
    r = t.run("run", "--out", t.out, "--as-of", SAMPLES_AS_OF, "--templates", tdir,
              *SAMPLE_INPUTS)
    assert r.rc == 0, r
    wb = t.workbook()
    csv_rows = [d["serial_number"] + " " + d["target_os_version"]
                for d in t.csv("patch-latency")]
    assert len(csv_rows) == 100, len(csv_rows)
    sheets = [n for n in wb.sheetnames if n.split(" (")[0] == "Patch latency"]
    assert len(sheets) > 1, wb.sheetnames
    got = []
    for n in sheets:
        ws = wb[n]
        mains = [k for k in ws.tables if k.startswith("T_patch_latency_main")]
        assert len(mains) == 1, (n, list(ws.tables))
        first, head, rows = _table(ws, mains[0])
        assert head[0] == "Serial number", (n, head)
        assert len(rows) <= 30, (n, len(rows))
        assert ws.print_title_rows == f"${first}:${first}", (n, ws.print_title_rows)
        got += [f"{d['Serial number']} {d['Target version']}" for d in rows]
        if n != sheets[0]:
            assert not [k for k in ws.tables if "summary" in k], (n, list(ws.tables))
            assert ws.max_row == first + len(rows), (n, ws.max_row)
    assert got == csv_rows
    about = " ".join(str(c) for row in wb["About"].iter_rows(values_only=True)
                     for c in row if c)
    assert f"100 rows on {len(sheets)} sheets (Patch latency" in about, about


def test_inputs_already_ingested_are_named_on_about_and_the_attestation(t):
    """A night whose export job stopped leaves last night's files in the
    folder: the run reads them, finds every one ingested before, and warns
    on stderr ('nothing new').  The workbook, the evidence kept, named none
    of them: About listed no input of this run and the attestation read
    like any night's.  An auditor must see which files the run was given,
    with their SHA-256, that they were not read again, and, when no input
    was new, that the answers are the stored data's."""
    import hashlib
    r = t.run("run", "--out", t.out, "--as-of", SAMPLES_AS_OF, *SAMPLE_INPUTS)
    assert r.rc == 0, r
    given = [os.path.join(ROOT, "samples", "targets.csv"),
             os.path.join(ROOT, "samples", "inventory.csv")]
    r = t.run("run", "--out", t.path("again"), "--as-of", SAMPLES_AS_OF, *given)
    assert r.rc == 0 and "nothing new" in r.err, r
    wb = t.workbook(t.path("again"))
    about = [row for row in wb["About"].iter_rows(values_only=True)]
    for p in given:
        sha = hashlib.sha256(open(p, "rb").read()).hexdigest()
        hit = [row for row in about if row[1] == p]
        assert len(hit) == 1, (p, [row[:3] for row in about if row[0] != "Resource"])
        assert sha in str(hit[0][2]) and "not read again" in str(hit[0][2]), hit
        assert hit[0][0] != "Input", hit  # not counted as this run's input
    attest = _attest(wb)
    line = [v for v in attest.values() if "ingested before" in v]
    assert len(line) == 1 and "2 files" in line[0], attest
    # a night with one new file and one known: both on About, no such line
    inv = t.write("inv.csv", "serial_number,platform,os_version,last_check_in\n"
                  "C1,macOS,26.1,2026-11-26T08:00:00Z\n")
    r = t.run("run", "--out", t.path("third"), "--as-of", SAMPLES_AS_OF, given[0], inv)
    assert r.rc == 0 and "nothing new" not in r.err, r
    wb = t.workbook(t.path("third"))
    about = [row for row in wb["About"].iter_rows(values_only=True)]
    assert [row[0] for row in about if row[1] == inv] == ["Input"], about
    assert len([row for row in about if row[1] == given[0]]) == 1
    assert not [v for v in _attest(wb).values() if "ingested before" in v]


def test_compliance_tables_name_the_devices_they_count(t):
    """'Compliance by platform' said macOS: Devices 163 under 'Devices by
    classification and platform', whose macOS column adds up to 165: its
    count leaves out devices out of scope or with no target, but both
    columns were headed 'Devices'.  Each compliance table's count must say
    it counts the devices in scope (with a target), the headline's term,
    and equal that count from the Devices sheet."""
    r = t.run("run", "--out", t.out, "--as-of", SAMPLES_AS_OF, *SAMPLE_INPUTS)
    assert r.rc == 0, r
    wb = t.workbook()
    _, _, dev = _table(wb["Devices"], "T_devices")
    _, _, head = _table(wb["Summary"], "T_summary_headline")
    assert "Devices in scope" in {h["Figure"] for h in head}
    scope = [d for d in dev if d["Classification"] not in ("No target", "Out of scope")]
    for name, key in (("T_summary_platform", lambda d: d["Platform"]),
                      ("T_summary_group", lambda d: d["Group"] or "(no group)"),
                      ("T_summary_target",
                       lambda d: (d["Platform"], d["Target version"]))):
        _, hdr, rows = _table(wb["Summary"], name)
        assert "Devices" not in hdr and "Devices in scope" in hdr, (name, hdr)
        for r in rows:
            k = (r["Platform"], r["Target version"]) if name == "T_summary_target" \
                else r[hdr[0]]
            assert r["Devices in scope"] == sum(1 for d in scope if key(d) == k), (name, r)


def test_about_names_a_header_only_input_in_words_beside_the_inputs(t):
    """A status CSV with a header and no row is noted for the Summary; on
    About the note came first, above the run's parameters, with the
    machine section name 'no-rows' where every other row has a label."""
    st = t.write("night.csv", "serial_number,status,reported_at\n")
    r = t.run("run", "--out", t.out, "--as-of", SAMPLES_AS_OF, st)
    assert r.rc == 0, r
    about = [row for row in t.workbook()["About"].iter_rows(values_only=True)][2:]
    sections = [row[0] for row in about]
    assert "no-rows" not in sections, sections
    hits = [i for i, row in enumerate(about) if row[1] == st]
    assert len(hits) == 2, about  # the note and the input itself
    first_input = min(hits)
    assert all(s == "Run" or s == "Resource" for s in sections[:first_input]) \
        and sections[0] == "Run", sections


def test_a_report_for_an_earlier_night_leaves_that_nights_trend_row_alone(t):
    """The trend is the record of what each night saw.  An auditor's re-run
    of 'report --as-of' for an earlier night, after the targets changed,
    replaced that night's stored row with counts read against today's
    targets: the trend then showed a night that never was, and the next
    night's report carried it on."""
    inv = t.write("inv.csv", "serial_number,platform,os_version,last_check_in\n"
                  "E1,macOS,26.0,2026-11-20T08:00:00Z\n")
    t1 = t.write("t1.csv", "platform,group,serial_number,target_os_version,"
                 "target_build_version,target_local_datetime,details_url\n"
                 "macOS,*,,26.1,,2026-11-30T12:00:00,\n")
    t.ok("run", "--out", t.path("n1"), "--as-of", "2026-11-21T06:00:00Z", inv, t1)
    t.ok("report", "--out", t.path("n2"), "--as-of", "2026-11-22T06:00:00Z")
    # a new target, due before the first night: E1 was in progress that
    # night, past deadline by today's targets
    t2 = t.write("t2.csv", "platform,group,serial_number,target_os_version,"
                 "target_build_version,target_local_datetime,details_url\n"
                 "macOS,*,,26.1,,2026-11-20T12:00:00,\n")
    t.ok("ingest", t2)
    t.ok("report", "--out", t.path("again"), "--as-of", "2026-11-21T06:00:00Z")
    assert [r["classification"] for r in t.csv("devices", where=t.path("again"))] == \
        ["past-deadline"]
    t.ok("report", "--out", t.path("n3"), "--as-of", "2026-11-23T06:00:00Z")
    trend = t.csv("trend", where=t.path("n3"))
    assert [(r["as_of"], r["in_progress"], r["past_deadline"]) for r in trend] == [
        ("2026-11-21T06:00:00Z", "1", "0"),
        ("2026-11-22T06:00:00Z", "1", "0"),
        ("2026-11-23T06:00:00Z", "0", "1")], trend
