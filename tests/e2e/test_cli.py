"""The command line: help, version, list, exit codes, stdout output."""
import os

from lib import SAMPLE_INPUTS, SAMPLES, SAMPLES_AS_OF, STATUS_HEADER, parse_csv


def test_help_lists_commands_and_exit_codes(t):
    r = t.run("--help", db=False)
    assert r.rc == 0
    for word in ("run", "ingest", "report", "list", "--fail-on", "--as-of", "75"):
        assert word in r.out, word
    # The help is printed as is, not through printf: a percent sign shows once.
    assert "(default 1%;" in r.out and "%%" not in r.out, r.out


def test_version(t):
    r = t.run("--version", db=False)
    assert r.rc == 0 and r.out.startswith("ddmreport ")


def test_list_reports(t):
    r = t.run("list", db=False)
    assert r.rc == 0
    names = [line.split()[0] for line in r.out.splitlines()]
    assert names == ["summary", "trend", "patch-latency", "past-deadline", "due-soon", "stuck-downloading", "errors",
                     "exploited", "not-reporting", "devices", "rejected", "about", "inputs"], names


def test_exit_64_usage(t):
    for args in (["frobnicate"], ["run", "--as-of", "tuesday"], ["run", "--stuck-after", "5x"],
                 ["run", "--default-tz", "Mars/Olympus"], ["run", "--bogus"], [],
                 ["run", "--out", "-"], ["report", "a", "b"], ["ingest"]):
        r = t.run(*args)
        assert r.rc == 64, (args, r)
        assert r.err.startswith("ddmreport: error: ") or "Try 'ddmreport --help'" in r.err, (args, r)
    assert not os.path.exists(t.db), "a usage error must not create the database"


def test_exit_66_missing_input_changes_nothing(t):
    r = t.run("run", "--out", t.out, "missing.csv")
    assert r.rc == 66, r
    assert "missing.csv" in r.err and "ddmreport: error:" in r.err
    assert not os.path.exists(t.out)


def test_exit_65_unrecognised_file_others_still_ingested(t):
    bad = t.write("bad.csv", "foo,bar\n1,2\n")
    good = t.write("good.csv", STATUS_HEADER + "C02AAA,Pass,2026-11-20T10:00:00Z" + "," * 14 + "\n")
    r = t.run("run", "--out", t.out, "--as-of", "2026-11-21T00:00:00Z", bad, good)
    assert r.rc == 65, r
    assert f"{bad}:1: unrecognised header" in r.err, r.err
    assert [d["serial_number"] for d in t.csv("devices")] == ["C02AAA"]
    rej = t.csv("rejected")
    assert rej[0]["file"] == bad and rej[0]["line"] == "1"


def test_exit_1_fail_on_findings(t):
    r = t.run("run", "--out", t.out, "--as-of", SAMPLES_AS_OF, "--fail-on", "past-deadline", *SAMPLE_INPUTS)
    assert r.rc == 1, r
    r = t.run("report", "--out", t.out, "--as-of", SAMPLES_AS_OF, "--fail-on", "rejected,errors")
    assert r.rc == 1, r


def test_fail_on_empty_report_exits_0(t):
    f = t.write("s.csv", STATUS_HEADER + "C02AAA,Pass,2026-11-20T10:00:00Z" + "," * 14 + "\n")
    r = t.run("run", "--out", t.out, "--as-of", "2026-11-21T00:00:00Z", "--fail-on", "past-deadline,errors", f)
    assert r.rc == 0, r


def test_report_to_stdout_is_raw_csv(t):
    assert t.run("ingest", *SAMPLE_INPUTS).rc == 0
    r = t.run("report", "past-deadline", "--out", "-", "--as-of", SAMPLES_AS_OF)
    assert r.rc == 0, r
    rows = parse_csv(r.out)
    assert rows and list(rows[0])[0] == "serial_number"
    assert r.err == ""


def test_report_unknown_name_is_usage_error(t):
    r = t.run("report", "nonsense", "--out", "-")
    assert r.rc == 64, r
    assert "no report named nonsense" in r.err


def test_stdout_full_is_io_error(t):
    assert t.run("ingest", *SAMPLE_INPUTS).rc == 0
    import subprocess
    from lib import BIN
    with open("/dev/full", "w") as full:
        p = subprocess.run([BIN, "report", "devices", "--out", "-", "--db", t.db,
                            "--as-of", SAMPLES_AS_OF], stdout=full, stderr=subprocess.PIPE)
    assert p.returncode == 74, p


def test_out_date_placeholder(t):
    r = t.run("run", "--out", t.path("r-{date}"), "--as-of", SAMPLES_AS_OF, *SAMPLE_INPUTS)
    assert r.rc == 0, r
    assert os.path.exists(t.path("r-2026-11-26", "ddmreport.xlsx"))


def test_db_from_environment(t):
    db = t.path("env.db")
    r = t.run("ingest", *SAMPLE_INPUTS, db=False, env={"DDMREPORT_DB": db})
    assert r.rc == 0, r
    assert os.path.exists(db)


def test_quiet_success_prints_nothing(t):
    f = t.write("s.csv", STATUS_HEADER + "C02AAA,Pass,2026-11-20T10:00:00Z" + "," * 14 + "\n")
    r = t.run("run", "--out", t.out, "--as-of", "2026-11-21T00:00:00Z", f)
    assert r.rc == 0 and r.out == "" and r.err == "", r


def test_check_passes_on_builtin_queries(t):
    r = t.run("check")
    assert r.rc == 0, r


def test_query_override_error_points_at_line_and_column(t):
    os.makedirs(t.path("q", "reports"))
    t.write("q/reports/summary.sql", "-- broken\nSELECT classification,\n  nonsense_column FROM ev_final;\n")
    assert t.run("ingest", t.write("s.csv", STATUS_HEADER + "C02AAA,Pass,2026-11-20T10:00:00Z"
                                   + "," * 14 + "\n")).rc == 0
    r = t.run("report", "--queries", t.path("q"), "--out", t.out)
    assert r.rc == 70, r
    assert "q/reports/summary.sql:3:" in r.err and "nonsense_column" in r.err, r.err


def test_query_override_reading_a_part_table_fails_instead_of_half_the_fleet(t):
    # The evaluation runs in two parts at once; its step tables (ev_dev,
    # ev_sofa) hold one part only, so a custom report that reads them must
    # fail by name, not list half the devices.
    os.makedirs(t.path("q", "reports"))
    t.write("q/reports/devices.sql", "SELECT serial_number FROM ev_dev ORDER BY 1;\n")
    rows = "".join(f"C02A{i:02d},Pass,2026-11-20T10:00:00Z" + "," * 14 + "\n" for i in range(10))
    assert t.run("ingest", t.write("s.csv", STATUS_HEADER + rows)).rc == 0
    r = t.run("report", "--queries", t.path("q"), "--out", "-", "devices")
    assert r.rc == 70 and r.out == "", r
    assert "q/reports/devices.sql:1:" in r.err and "no such table: ev_dev" in r.err, r.err


def test_query_override_in_the_wrong_folder_is_refused_not_ignored(t):
    # An admin's stricter past-deadline.sql dropped at the top of DIR (or
    # --queries naming the reports folder itself) was silently ignored and
    # the built-in policy ran, exit 0; it is now a usage error naming where
    # the file must go.
    os.makedirs(t.path("q"))
    t.write("q/past-deadline.sql", "SELECT serial_number FROM ev_final;\n")
    assert t.run("ingest", t.write("s.csv", STATUS_HEADER + "C02AAA,Pass,2026-11-20T10:00:00Z"
                                   + "," * 14 + "\n")).rc == 0
    r = t.run("report", "--queries", t.path("q"), "--out", t.out)
    assert r.rc == 64 and not os.path.exists(t.out), r
    assert t.path("q/past-deadline.sql") in r.err and t.path("q/reports/past-deadline.sql") in r.err, r.err
    os.makedirs(t.path("t"))
    t.write("t/reports/devices.tmpl", "sheet Devices\n")
    r = t.run("check", "--templates", t.path("t"))
    assert r.rc == 64 and t.path("t/devices.tmpl") in r.err, r
    # in its place the same file overrides, and new files are not refused
    os.makedirs(t.path("q", "reports"))
    os.rename(t.path("q/past-deadline.sql"), t.path("q/reports/past-deadline.sql"))
    t.write("q/reports/my-own.sql", "SELECT 1;\n")
    r = t.run("report", "--queries", t.path("q"), "--out", "-", "past-deadline")
    assert r.rc == 0 and r.out.splitlines() == ["serial_number", "C02AAA"], r


def test_config_file_sets_options_and_inputs(t):
    cfg = t.write("ddmreport.conf", f"# nightly\ndb = {t.path('c.db')}\nout = {t.out}\n"
                  f"as-of = {SAMPLES_AS_OF}\nstale-after = 30d\nquiet = yes\nmax-rejected = 5%\ninput = {SAMPLES}\n")
    r = t.run("run", "--config", cfg, db=False)
    assert r.rc == 0 and r.err == "", r
    assert os.path.exists(t.path("c.db"))
    assert not [d for d in t.csv("devices") if d["classification"] == "not-reporting"
                and d["last_seen"] > "2026-10-27"]
    # the command line overrides the file; DDMREPORT_CONFIG names it too
    other = t.path("other")
    r = t.run("report", "--out", other, db=False, env={"DDMREPORT_CONFIG": cfg})
    assert r.rc == 0, r
    assert os.path.exists(os.path.join(other, "ddmreport.xlsx"))


def test_config_file_errors_point_at_line(t):
    for text, msg in (("db = x.db\nfrobnicate = 1\n", ":2: unknown setting: frobnicate"),
                      ("\n\nstuck-after = soon\n", ":3: --stuck-after: not a duration: soon"),
                      ("strict = maybe\n", ":1: strict: expected yes or no, not maybe"),
                      ("just words\n", ":1: expected 'name = value'")):
        cfg = t.write("bad.conf", text)
        r = t.run("run", "--config", cfg)
        assert r.rc == 64, (text, r)
        assert f"{cfg}{msg}" in r.err, (text, r.err)
    r = t.run("run", "--config", t.path("missing.conf"))
    assert r.rc == 66 and "missing.conf" in r.err, r
    assert not os.path.exists(t.db)
