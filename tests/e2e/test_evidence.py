"""Evidence an auditor re-derives from the workbook alone: every figure of a
summary table is recomputed from the detail rows printed beside it, and a
sheet's long table prints its header on every page."""
import re

from lib import SAMPLE_INPUTS, SAMPLES_AS_OF


def _table(ws, name):
    ref = ws.tables[name].ref
    (c1, r1), (c2, r2) = [re.match(r"([A-Z]+)(\d+)", p).groups() for p in ref.split(":")]
    rows = [[c.value for c in row] for row in ws[ref]]
    return int(r1), rows[0], [dict(zip(rows[0], r)) for r in rows[1:]]


def _samples(t):
    r = t.run("run", "--out", t.out, "--as-of", SAMPLES_AS_OF, "--max-rejected", "5%",
              *SAMPLE_INPUTS)
    assert r.rc == 0, r
    return t.workbook()


def test_patch_latency_summary_accounts_for_every_device_listed(t):
    """Each summary row's counts add up to the devices listed below it for
    that target or group: a device compliant by its inventory, with no report
    saying when, was in neither 'Patched' nor 'Still open' (macOS 26.1:
    12 + 33 of 46 rows)."""
    ws = _samples(t)["Patch latency"]
    _, _, summary = _table(ws, "T_patch_latency_summary")
    _, _, devices = _table(ws, "T_patch_latency_main")
    states = {d["State"] for d in devices}
    assert "Compliant (time not reported)" in states, states
    count_cols = [h for h in summary[0] if h in ("Patched", "Still open")
                  or h.startswith("Compliant")]
    assert len(count_cols) == 3, summary[0].keys()
    for s in summary:
        if s["By"] == "Target":
            rows = [d for d in devices
                    if f"{d['Platform']} {d['Target version']}" == s["Target / group"]]
        else:
            rows = [d for d in devices if (d["Group"] or "(no group)") == s["Target / group"]]
        assert sum(s[c] or 0 for c in count_cols) == len(rows), (s, len(rows))
        assert s["Patched"] == sum(d["State"] == "Patched" for d in rows), s
        assert s["Still open"] == sum(d["State"] == "Open" for d in rows), s


def test_long_table_below_a_summary_repeats_its_header_when_printed(t):
    """Patch latency lists every device below its per-target summary; on
    paper, pages after the first carried no column headers."""
    ws = _samples(t)["Patch latency"]
    first, _, _ = _table(ws, "T_patch_latency_main")
    assert ws.print_title_rows == f"${first}:${first}", (ws.print_title_rows, first)


def test_summary_does_not_call_a_pass_without_a_version_at_or_above_target(t):
    """The samples hold a Mac compliant on the MDM's Pass alone, its OS
    version unknown; the classification table's Meaning said every
    compliant device is 'at or above the target version'."""
    wb = _samples(t)
    _, _, dev = _table(wb["Devices"], "T_devices")
    unknown = [d for d in dev if d["Classification"] == "Compliant" and not d["OS version"]]
    assert len(unknown) == 1, unknown
    _, _, rows = _table(wb["Summary"], "T_summary_main")
    meaning = next(r["Meaning"] for r in rows if r["Classification"] == "Compliant")
    assert "Pass" in meaning and "1" in meaning, meaning
    # summary.csv says the same
    row = next(r for r in t.csv("summary") if r["classification"] == "compliant")
    assert row["meaning"] == meaning, row


def test_patch_latency_says_first_report_at_target_not_when_patched(t):
    """Only report times are known: the patch happened at some time between
    the last report below the target and the first at or above it.  The
    column said 'Compliant since', the title 'to compliance'."""
    ws = _samples(t)["Patch latency"]
    _, hdr, _ = _table(ws, "T_patch_latency_main")
    assert "First report at target (UTC)" in hdr, hdr
    assert not any("since" in h.lower() or "patched at" in h.lower() for h in hdr), hdr
    assert "first report at" in ws["A1"].value.lower(), ws["A1"].value


def test_summary_states_the_fleet_and_its_parts_add_up_to_it(t):
    """The headline gave devices in scope, no target and out of scope, but
    never the fleet: an auditor could not tie the Summary to the Devices
    sheet's rows without adding it up by hand."""
    wb = _samples(t)
    _, _, dev = _table(wb["Devices"], "T_devices")
    _, _, head = _table(wb["Summary"], "T_summary_headline")
    fig = {r["Figure"]: r for r in head}
    assert "All devices" in fig, list(fig)
    assert fig["All devices"]["Devices"] == len(dev) == 300, fig["All devices"]
    assert fig["All devices"]["Rows in its sheet"] == len(dev)
    assert (fig["Devices in scope"]["Devices"] + fig["No target"]["Devices"]
            + fig["Out of scope"]["Devices"]) == len(dev)
    parts = ("Compliant", "Past deadline", "Due soon", "Stuck downloading", "Errors",
             "Not reporting", "In progress")
    assert sum(fig[p]["Devices"] for p in parts) == fig["Devices in scope"]["Devices"]


def test_summary_target_deadline_range_names_the_column_it_spans(t):
    """'Compliance by target version' headed its range 'Earliest deadline
    (UTC)', while every detail sheet has a column 'Deadline, earliest (UTC)'
    meaning something else (the UTC+14 reading for a device with no zone):
    macOS 26.1's 'earliest deadline' 2026-11-23 22:00 is not the least
    'Deadline, earliest' (19:00).  Each figure must re-derive from the column
    its header names."""
    wb = _samples(t)
    _, _, dev = _table(wb["Devices"], "T_devices")
    _, hdr, rows = _table(wb["Summary"], "T_summary_target")
    for h in hdr:
        if "deadline" not in h.lower() or not h.endswith("(UTC)"):
            continue
        assert "earliest" not in h.lower(), hdr
        src = next(c for c in dev[0] if c.startswith("Deadline") and c.endswith("(UTC)")
                   and c.split(" (")[0] in h)
        assert src == "Deadline (UTC)", (h, src)
    first = next(h for h in hdr if "from" in h)
    last = next(h for h in hdr if " to " in h)
    for r in rows:
        got = [d["Deadline (UTC)"] for d in dev
               if (d["Platform"], d["Target version"]) == (r["Platform"], r["Target version"])
               and d["Classification"] not in ("No target", "Out of scope")]
        assert (r[first], r[last]) == (min(got), max(got)), r


def test_strict_run_workbook_names_the_files_it_rolled_back(t):
    """--strict rolls a file with a bad row back whole and exits 65, but the
    reports are still written: its Rejected sheet said 'Every input row was
    ingested.' and no sheet named the file, while 150 rows of it were left
    out.  The workbook must say which file was not ingested, with its
    SHA-256, on the Summary, Rejected and About sheets."""
    import hashlib
    import os
    from lib import ROOT
    r = t.run("run", "--out", t.out, "--as-of", SAMPLES_AS_OF, "--strict", *SAMPLE_INPUTS)
    assert r.rc == 65, r
    wb = t.workbook()
    bad = "samples/status/mdm-export-2026-11-25.csv"
    sha = hashlib.sha256(open(os.path.join(ROOT, bad), "rb").read()).hexdigest()
    _, _, inputs = _table(wb["Inputs"], "T_inputs")
    assert not any(i["File"].endswith(bad) for i in inputs)  # rolled back: not stored
    texts = [c for row in wb["Rejected"].iter_rows(values_only=True) for c in row if c]
    assert not any("Every input row was ingested" in str(c) for c in texts), texts
    assert any("--strict" in str(c) for c in texts), texts
    about = [row for row in wb["About"].iter_rows(values_only=True)]
    hit = [row for row in about if row[1] and str(row[1]).endswith(bad)]
    assert hit and sha in str(hit[0][2]), hit
    _, _, attest = _table(wb["Summary"], "T_summary_attest")
    said = " ".join(str(a["Value"]) for a in attest)
    assert "--strict" in said and "1 file" in said, said
