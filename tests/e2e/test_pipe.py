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
                  "--quiet", "--fail-on", "past-deadline,exploited")
        assert r.rc == 1, (out, r)
        assert r.err == "ddmreport: note: --fail-on: report past-deadline has 61 rows\n", r
    # The report written is still the one named, and only it.
    assert sorted(os.listdir(t.out)) == ["summary.csv"]
    # A --fail-on report with no rows still exits 0.
    r = t.run("report", "summary", "--out", "-", "--as-of", SAMPLES_AS_OF,
              "--fail-on", "exploited")
    assert r.rc == 0 and r.err == "", r


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
