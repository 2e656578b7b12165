"""The admin's pipe and the unattended cron job, red-teamed: do the CSVs,
the exit codes and stderr mean what their names say, so that a script can
rely on them?  Each case failed on the build before its fix."""
import csv
import io
import os

from lib import SAMPLE_INPUTS, SAMPLES_AS_OF, STATUS_HEADER


def _samples(t):
    t.ok("ingest", *SAMPLE_INPUTS)


def _rows(text):
    return list(csv.DictReader(io.StringIO(text)))


# ---- --fail-on ----------------------------------------------------------------

def test_report_name_with_fail_on_of_another_report_counts_that_report(t):
    """`report summary --fail-on past-deadline` wrote the summary and
    exited 0 with 61 devices past their deadline: only the report written
    was counted, so cron took the night for a clean one."""
    _samples(t)
    past = t.ok("report", "past-deadline", "--out", "-", "--as-of", SAMPLES_AS_OF).out
    assert len(_rows(past)) == 61
    for out in (t.out, "-"):
        r = t.run("report", "summary", "--out", out, "--as-of", SAMPLES_AS_OF,
                  "--quiet", "--fail-on", "past-deadline")
        assert r.rc == 1, (out, r)
        assert r.err == "ddmreport: note: --fail-on: report past-deadline has 61 rows\n", r
    # The report written is still the one named, and only it.
    assert sorted(os.listdir(t.out)) == ["summary.csv"]
    # A --fail-on report with no rows still exits 0 (the samples have no
    # SOFA feed: a line says the empty report means nothing).
    r = t.run("report", "summary", "--out", "-", "--as-of", SAMPLES_AS_OF,
              "--fail-on", "exploited")
    assert r.rc == 0 and "--fail-on: report exploited has no row" in r.err, r


def test_fail_on_with_a_command_that_writes_no_report_is_a_usage_error(t):
    """`ingest --fail-on past-deadline` (and check, list) exited 0 whatever
    the fleet: no report is made, so the findings could never be seen."""
    f = t.write("s.csv", STATUS_HEADER + "C02PIPE1,Pass,2026-11-20T10:00:00Z" + "," * 14 + "\n")
    for args in (("ingest", f), ("check",), ("list",)):
        r = t.run(*args[:1], "--fail-on", "devices", *args[1:])
        assert r.rc == 64, (args, r)
        assert "--fail-on needs reports" in r.err, r
    assert not os.path.exists(t.db), "a usage error opens nothing"
    # A config's fail-on serves the report job; the ingest job sharing the
    # config is not refused for it.
    cfg = t.write("c.conf", "fail-on = devices\n")
    t.ok("ingest", "--config", cfg, f)
    r = t.run("report", "--config", cfg, "--out", t.out, "--as-of", "2026-11-21T00:00:00Z")
    assert r.rc == 1 and "report devices has 1 row" in r.err, r


# ---- --quiet ------------------------------------------------------------------

def test_quiet_still_mails_the_warnings_that_change_an_answer(t):
    """The README's cron config has `quiet = yes`.  A night whose status
    export held its header only (every device keeps last night's answer)
    and an inventory saved in Windows-1252 (its group matches no target)
    both exit 0 by design, and under --quiet said nothing at all: cron's
    mail stayed empty while the answers were stale or wrong."""
    from lib import INVENTORY_HEADER, TARGETS_HEADER
    tg = t.write("targets.csv", (TARGETS_HEADER + "macOS,*,,26.1,,2026-12-20T09:00:00,\n"
                                 "macOS,Büro,,26.1,,2026-11-20T09:00:00,\n").encode("utf-8"))
    inv = t.write("inv.csv", (INVENTORY_HEADER + 'C02Q1,Mac,,Büro,macOS,"Mac15,3",UTC,,26.0.1\n')
                  .encode("cp1252"))
    empty = t.write("night.csv", STATUS_HEADER)
    r = t.run("run", "--quiet", "--out", t.out, "--as-of", "2026-11-25T12:00:00Z", tg, inv, empty)
    assert r.rc == 0, r
    lines = r.err.splitlines()
    assert len(lines) == 2, r
    assert lines[0].startswith(f"ddmreport: warning: {inv}:2: group is not UTF-8"), r
    assert lines[1].startswith(f"ddmreport: warning: {empty}: no row after the header"), r
    # A warning that changes no answer is still left out under --quiet.
    for quiet, name in ((True, "s1.csv"), (False, "s2.csv")):
        bad = t.write(name, STATUS_HEADER + "".join(
            f"C02Q{i},Pass,2026-11-24T10:00:00Z" + "," * 14 + "\n" for i in range(200))
            + f"{name},Pass,not-a-time" + "," * 14 + "\n")
        r = t.run("run", *(["--quiet"] if quiet else []), "--out", t.out,
                  "--as-of", "2026-11-25T12:00:00Z", bad)
        assert r.rc == 0 and (r.err == "" if quiet else "1 row rejected" in r.err), r


# ---- the rejected report ------------------------------------------------------

def test_rejected_raw_is_the_row_as_a_csv_line_a_script_can_fix_and_feed_again(t):
    """The raw column joined the fields with commas and no quoting: a
    Kandji model "iPhone16,1" read as two fields, a quoted name with a
    quote or a line end became several, so a script could not split the
    row it was meant to fix and feed again (17 columns read as 18)."""
    fields = ["C02RAW1", "Pending", "yesterday", 'Ann "A" Lee', "ann@example.com",
              "Sales, EMEA", "iOS", "iPhone16,1", "26.0.1", "", "", "", "", "", "",
              "", "line1\nline2"]
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(fields)
    f = t.write("s.csv", STATUS_HEADER + buf.getvalue())
    r = t.run("run", "--out", t.out, "--as-of", "2026-11-21T00:00:00Z", f)
    assert r.rc == 65 and "1 of 1 rows rejected" in r.err, r
    rows = t.csv("rejected")
    assert [r["line"] for r in rows] == ["2"], rows
    assert next(csv.reader(io.StringIO(rows[0]["raw"]))) == fields, rows[0]["raw"]
    # a row without such fields is as it was: the fields joined by commas
    g = t.write("s2.csv", STATUS_HEADER + "C02RAW2,Pass,not-a-time" + "," * 14 + "\n")
    t.run("ingest", g)
    r = t.run("report", "rejected", "--out", "-")
    assert _rows(r.out)[-1]["raw"] == "C02RAW2,Pass,not-a-time" + "," * 14, r.out


def test_fail_on_a_report_empty_for_want_of_data_says_so(t):
    """`--fail-on exploited` on a database with no SOFA feed exited 0 in
    silence: the report is empty because nothing could be checked, not
    because no device misses a fix, and the cron job read it as the
    latter.  The exit stays 0 (no row), but a line says why, --quiet or
    not; with a feed and no device missing a fix, nothing is said."""
    _samples(t)
    r = t.run("run", "--quiet", "--out", t.out, "--as-of", SAMPLES_AS_OF,
              "--fail-on", "exploited")
    assert r.rc == 0, r
    assert r.err == ("ddmreport: warning: --fail-on: report exploited has no row, which does "
                     "not mean none: No SOFA feed was ingested: add one to see exploited "
                     "CVEs.\n"), r
    assert t.csv("exploited") == []
    r = t.run("report", "devices", "--out", "-", "--as-of", SAMPLES_AS_OF,
              "--fail-on", "exploited")
    assert r.rc == 0 and "report exploited has no row, which does not mean none" in r.err, r
    # Without --fail-on exploited, nothing is said of it.
    r = t.run("report", "--quiet", "--out", t.out, "--as-of", SAMPLES_AS_OF)
    assert r.rc == 0 and r.err == "", r


def test_rejected_rows_line_names_the_first_rows_line_and_reason(t):
    """The line cron mails for rejected rows named the file only
    ('FILE: 2 of 150 rows rejected'): every other message points into the
    user's file as FILE:LINE.  It now names the first rejected row's line
    and reason; the rejected report still lists every row."""
    f = t.write("s.csv", STATUS_HEADER + "C02L1,Pass,2026-11-20T10:00:00Z" + "," * 14 + "\n"
                + "C02L2,Pass,last Tuesday" + "," * 14 + "\n"
                + ",Pass,2026-11-20T10:00:00Z" + "," * 14 + "\n")
    r = t.run("ingest", f)
    assert r.rc == 65, r
    assert r.err == (f"ddmreport: error: {f}:3: 2 of 3 rows rejected, more than --max-rejected 1% "
                     "(the first: reported_at is not a time: last Tuesday; the other rows are "
                     "stored; see the rejected report)\n"), r
    g = t.write("g.csv", STATUS_HEADER + "".join(
        f"C02M{i},Pass,2026-11-20T10:00:00Z" + "," * 14 + "\n" for i in range(150))
        + "C02MX,Pass,\x1b[2Jsoon" + "," * 14 + "\n")
    r = t.run("ingest", g)
    assert r.rc == 0, r
    assert r.err == (f"ddmreport: warning: {g}:152: 1 row rejected (the first: reported_at is "
                     "not a time: \\x1b[2Jsoon; see the rejected report)\n"), r


def test_a_night_of_files_already_ingested_is_said_even_under_quiet(t):
    # The export job stopped and left last night's file in the folder: the
    # run exited 0 in silence under --quiet and wrote the same answers as
    # tonight's.  The exit stays 0 (a folder may hold only known files), but
    # cron now mails a warning; a night with one new file says nothing.
    d = t.path("incoming")
    os.makedirs(d)
    with open(os.path.join(d, "s1.csv"), "w") as f:
        f.write(STATUS_HEADER + "C02A,Pass,2026-11-20T01:00:00Z" + "," * 14 + "\n")
    r = t.run("run", "--quiet", "--out", t.out, "--as-of", SAMPLES_AS_OF, d)
    assert r.rc == 0 and r.err == "", r
    r = t.run("run", "--quiet", "--out", t.out, "--as-of", SAMPLES_AS_OF, d)
    assert r.rc == 0 and "nothing new: every input was ingested before" in r.err, r
    assert r.err.count("\n") == 1, r.err
    with open(os.path.join(d, "s2.csv"), "w") as f:
        f.write(STATUS_HEADER + "C02A,Pass,2026-11-21T01:00:00Z" + "," * 14 + "\n")
    r = t.run("run", "--quiet", "--out", t.out, "--as-of", SAMPLES_AS_OF, d)
    assert r.rc == 0 and r.err == "", r
