"""Vendor exports exactly as the vendors write them, and whether every
report row then means what its name says: a device wrongly compliant (or
wrongly without a target), a deadline read in the wrong zone, a vendor
field silently ignored.  Inputs are in tests/fixtures/sources/, each with
its origin in tests/fixtures/README.md."""
import os

from lib import ROOT

FX = os.path.join(ROOT, "tests", "fixtures", "sources")
AS_OF = "2026-11-26T12:00:00Z"


def fx(name):
    return os.path.join(FX, name)


def by_serial(rows):
    return {r["serial_number"]: r for r in rows}


# ---- Kandji ---------------------------------------------------------------

def test_kandji_library_items_report_platform_from_type_and_user(t):
    # Kandji's device_library_items.py (api-tools/device-library-items)
    # writes the device's os_version and the API's user object beside each
    # library item.  With '*' targets and no inventory, the Managed OS
    # item's type (macos-release, ipados-release) is the only word for the
    # platform: a Mac on 26.0.1 past a 26.1 deadline must be past-deadline,
    # never no-target.
    p = t.write("targets.csv",
                "platform,group,serial_number,target_os_version,target_build_version,"
                "target_local_datetime,details_url\n"
                "macOS,*,,26.1,,2026-11-24T17:00:00,\n"
                "iPadOS,*,,26.1,,2026-11-24T17:00:00,\n")
    t.ok("run", "--as-of", AS_OF, "--out", t.out, "--default-tz", "Europe/Berlin",
         p, fx("kandji-library-items-report.csv"))
    dev = by_serial(t.csv("devices"))
    assert set(dev) == {"C02KLIT0001", "DMPKLIT0002", "C02KLIT0003"}, dev.keys()
    ana, ben, chloe = dev["C02KLIT0001"], dev["DMPKLIT0002"], dev["C02KLIT0003"]
    assert (ana["platform"], ana["classification"], ana["os_version"]) == \
        ("macOS", "past-deadline", "26.0.1"), ana
    assert (ben["platform"], ben["classification"]) == ("iPadOS", "past-deadline"), ben
    assert (chloe["platform"], chloe["classification"]) == ("macOS", "compliant"), chloe
    # the user column is the person, not the Python dict of the API object
    assert ana["user"] == "ana@example.com", ana
    assert ben["user"] == "Ben Okafor", ben
    past = by_serial(t.csv("past-deadline"))
    assert set(past) == {"C02KLIT0001", "DMPKLIT0002"}, past.keys()
    err = by_serial(t.csv("errors"))
    assert set(err) == {"DMPKLIT0002"} and err["DMPKLIT0002"]["failure_reason"] == \
        "Not enough free space", err
    summ = {r["classification"]: r for r in t.csv("summary")}
    assert summ["past-deadline"]["devices"] == "2", summ
    assert summ["compliant"]["devices"] == "1", summ


# ---- DDM status reports ---------------------------------------------------

def test_ddm_pending_version_deadline_under_either_key(t):
    # Apple's schema names the enforced deadline inside
    # softwareupdate.pending-version "target-local-date-time"; iOS devices
    # have been seen writing it as "softwareupdate.target-local-date-time"
    # in the same dictionary (Apple developer forums thread 829210; macOS
    # admins' scripts read that spelling from the device's own log).  Both
    # devices report the same pending 26.1 due 2026-11-24 17:00 local: both
    # are past their deadline, neither is no-target.
    t.ok("run", "--as-of", AS_OF, "--out", t.out, "--default-tz", "America/Los_Angeles",
         fx("ddm-pending-version-key-variants.ndjson"))
    dev = by_serial(t.csv("devices"))
    for serial in ("DMPPVK0001", "DMPPVK0002"):
        d = dev[serial]
        assert (d["classification"], d["target_scope"], d["target_os_version"],
                d["deadline_local"], d["deadline_utc"]) == \
            ("past-deadline", "device", "26.1", "2026-11-24T17:00:00",
             "2026-11-25T01:00:00Z"), d
    assert set(by_serial(t.csv("past-deadline"))) == {"DMPPVK0001", "DMPPVK0002"}


# ---- What an auditor reads ------------------------------------------------

def test_summary_target_deadline_is_a_range_not_one_instant(t):
    # Deadlines are device-local: one target version is many UTC instants
    # (the samples' macOS 26.1 spans zones).  The Summary's "Compliance by
    # target version" must not present one of them as the target's deadline.
    import collections
    import datetime
    from lib import SAMPLE_INPUTS, SAMPLES_AS_OF
    t.run("run", "--as-of", SAMPLES_AS_OF, "--out", t.out, *SAMPLE_INPUTS)
    devices = t.csv("devices")
    span = collections.defaultdict(set)
    for d in devices:
        if d["classification"] not in ("no-target", "out-of-scope") and d["deadline_utc"]:
            span[(d["platform"], d["target_os_version"])].add(d["deadline_utc"])
    assert any(len(v) > 1 for v in span.values()), span
    ws = t.workbook()["Summary"]
    ref = ws.tables["T_summary_target"].ref
    rows = [[c.value for c in r] for r in ws[ref]]
    head, body = rows[0], rows[1:]
    assert "Deadline (UTC)" not in head, head
    first, last = head.index("Deadlines from (UTC)"), head.index("Deadlines to (UTC)")
    iso = "%Y-%m-%dT%H:%M:%SZ"
    for r in body:
        got = span[(r[0], r[1])]
        assert r[first] == datetime.datetime.strptime(min(got), iso), (r, sorted(got))
        assert r[last] == datetime.datetime.strptime(max(got), iso), (r, sorted(got))


def test_summary_headline_reconciles_with_detail_sheets(t):
    # The headline counts each device once (its first classification); the
    # detail sheets list every device meeting their criterion, so Errors
    # lists more rows than the headline's Errors.  An auditor sampling a
    # sheet must find its row count on the Summary, and the rule stated.
    from lib import SAMPLE_INPUTS, SAMPLES_AS_OF
    t.run("run", "--as-of", SAMPLES_AS_OF, "--out", t.out, *SAMPLE_INPUTS)
    wb = t.workbook()
    ws = wb["Summary"]

    def table(name):
        rows = [[c.value for c in r] for r in ws[ws.tables[name].ref]]
        return rows[0], rows[1:]

    head, body = table("T_summary_headline")
    fig = {r[0]: r for r in body}
    col = head.index("Rows in its sheet")
    sheets = {"Past deadline": "past-deadline", "Due soon": "due-soon",
              "Stuck downloading": "stuck-downloading", "Errors": "errors",
              "Not reporting": "not-reporting"}
    differ = 0
    for label, report in sheets.items():
        n = len(t.csv(report))
        assert fig[label][col] == n, (label, fig[label], n)
        differ += fig[label][1] != n
    assert differ, "the samples should show a sheet longer than its headline"
    _, attest = table("T_summary_attest")
    said = {r[0]: r[1] for r in attest}
    assert "each device once" in said.get("Counting", ""), said


def test_summary_names_an_input_of_which_no_row_was_used(t):
    # Kandji's status_report.py run for the wrong library item (or a type
    # the format does not take for the OS) writes rows that are all
    # skipped: the run reads the file and uses nothing.  The attestation
    # page must say so, naming the file, rather than attest a fleet of 0.
    k = t.write("kandji-chrome.csv",
                "serial_number,device_name,blueprint_name,name,status,type,reported_at,"
                "last_audit_log,log\r\n"
                "C02KSK0001,Ana Mac,Eng,Google Chrome,PASS,automatic-app,"
                "2026-11-25T08:00:00Z,Chrome is up to date,\r\n"
                "C02KSK0002,Ben Mac,Eng,Google Chrome,ERROR,automatic-app,"
                "2026-11-25T08:00:00Z,Install failed,curl failed\r\n")
    tg = t.write("targets.csv",
                 "platform,group,serial_number,target_os_version,target_build_version,"
                 "target_local_datetime,details_url\n"
                 "macOS,*,,26.1,,2026-11-24T17:00:00,\n")
    r = t.run("run", "--as-of", AS_OF, "--out", t.out, tg, k)
    # and cron hears it: 65, the file and the first line, what to export
    assert r.rc == 65, r
    assert ("kandji-chrome.csv:2: no row is about the OS update: all 2 rows are items of "
            "another kind (the first: 'automatic-app'), which the kandji format skips") in r.err, r
    ws = t.workbook()["Summary"]
    rows = [[c.value for c in r] for r in ws[ws.tables["T_summary_attest"].ref]]
    said = {r[0]: r[1] for r in rows[1:]}
    assert "kandji-chrome.csv" in said.get("Inputs with no row stored", ""), said
    assert "2 rows read, 2 skipped" in said["Inputs with no row stored"], said
    assert "targets.csv" not in said["Inputs with no row stored"], said
