"""The documentation tells the truth: README.md and the man page against the binary.

A new admin knows the tool from README.md, `man ddmreport` and `--help`
only.  These tests keep the parts of them that can be compared mechanically
in step with what the tool does: the options and their defaults, the
commands, the reports and their CSV columns, the exit codes, the config
file example, the messages the docs quote and the man page's examples.
(test_install.py checks the man page against --help one way; this file
adds the README and the other direction.)
"""
import os
import re
import subprocess

import test_install as inst
from lib import BIN, ROOT, SAMPLES, SAMPLES_AS_OF, SAMPLE_INPUTS

README = os.path.join(ROOT, "README.md")


def readme():
    with open(README, encoding="utf-8") as f:
        return f.read()


def readme_section(text, title):
    """Body of the README section whose heading is `title` (any level), up
    to the next heading of the same or a higher level."""
    m = re.search(rf"^(#+) {re.escape(title)}\s*$", text, re.M)
    assert m, f"README has no section {title!r}"
    level, out, fenced = len(m.group(1)), [], False
    for line in text[m.end():].splitlines(keepends=True):
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and re.match(rf"#{{1,{level}}} ", line):
            break
        out.append(line)
    return "".join(out)


def md_table(body, first_header):
    """Rows (lists of cells) of the first Markdown table in body whose first
    header cell is first_header."""
    lines = body.splitlines()
    for i, line in enumerate(lines):
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells[0] == first_header:
            rows = []
            for row in lines[i + 2:]:
                if not row.startswith("|"):
                    break
                rows.append([c.strip() for c in row.strip().strip("|").split("|")])
            return rows
    raise AssertionError(f"no table headed {first_header!r}")


OPT = r"--[a-z][a-z-]*[a-z]"


def readme_option_table():
    """{option: (default cell, meaning cell)} of the README's option table."""
    body = readme_section(readme(), "Commands and options")
    out = {}
    for cells in md_table(body, "option"):
        for opt in re.findall(rf"`({OPT})", cells[0]):
            out[opt] = (cells[1], cells[2])
    return out


def help_defaults(text):
    """{option: default} as --help states it ('(default X' in its entry)."""
    out, cur = {}, None
    for line in text[text.index("options:"):text.index("durations:")].splitlines():
        m = re.match(rf"^  ({OPT})", line)
        if m:
            cur = m.group(1)
        if cur and cur not in out:
            d = re.search(r"\(default ([^;,)\s]+)", line)
            if d:
                out[cur] = d.group(1)
    return out


def man_defaults():
    """{option: first word after 'Default:'} of the man page's OPTIONS."""
    body = inst.sections(inst.render(inst.MAN_SRC)[0])["OPTIONS"]
    out, cur = {}, None
    for line in body.splitlines():
        m = re.match(rf"^ {{7}}({OPT})", line)
        if m:
            cur = m.group(1)
            continue
        d = re.search(r"Default:\s+(\S+?)[.,;]?(?:\s|$)", line)
        if cur and d and cur not in out:
            out[cur] = d.group(1)
    return out


def test_readme_option_table_is_the_options_of_help(t):
    helped = set(inst.help_options(inst.help_text(t))) - {"--help", "--version"}
    table = set(readme_option_table())
    assert helped - table == set(), f"options of --help missing from the README's table: {sorted(helped - table)}"
    assert table - helped == set(), f"README's option table names options --help does not know: {sorted(table - helped)}"


def test_man_page_options_are_all_known_to_help(t):
    helped = set(inst.help_options(inst.help_text(t)))
    body = inst.sections(inst.render(inst.MAN_SRC)[0])["OPTIONS"]
    tags = set(re.findall(rf"^ {{7}}({OPT})", body, re.M))
    assert tags - helped == set(), f"the man page's OPTIONS lists options --help does not know: {sorted(tags - helped)}"
    # and every option the binary accepts is accepted (no option documented but refused)
    for opt in sorted(tags - {"--help", "--version"}):
        r = t.run(opt, "--bogus-to-stop-here", db=False)
        assert f"unknown option: {opt}\n" not in r.err, (opt, r)


def test_defaults_agree_in_help_readme_and_man_page(t):
    helped = help_defaults(inst.help_text(t))
    for opt in ("--db", "--out", "--stuck-after", "--stale-after", "--due-within", "--source-tz",
                "--max-rejected", "--wait"):
        assert opt in helped, f"--help states no default for {opt}: {helped}"
    table, man = readme_option_table(), man_defaults()
    for opt, d in helped.items():
        cell = table[opt][0]
        first = re.match(r"`([^`]+)`|(\S+)", cell)
        readme_d = first.group(1) or first.group(2)
        assert readme_d == d, f"{opt}: --help says default {d}, README's table {cell!r}"
        assert man.get(opt) == d, f"{opt}: --help says default {d}, the man page {man.get(opt)!r}"


def test_defaults_are_the_ones_the_tool_uses(t):
    """The About sheet's effective parameters of a run given no option are
    the documented defaults."""
    helped = help_defaults(inst.help_text(t))
    assert helped["--db"] == "./ddmreport.db" and helped["--out"] == "./reports", helped
    # no --db, no --out: both in the working folder (the tests run in t.tmp)
    r = t.run("run", "--as-of", SAMPLES_AS_OF, *SAMPLE_INPUTS, db=False)
    assert r.rc == 0, r
    assert os.path.exists(t.path("ddmreport.db")), os.listdir(t.tmp)
    assert os.path.exists(t.path("reports", "ddmreport.xlsx")), os.listdir(t.tmp)
    r = t.run("report", "--db", t.path("ddmreport.db"), "--as-of", SAMPLES_AS_OF, "--out", t.path("o2"),
              db=False)
    assert r.rc == 0, r
    wb = t.workbook(t.path("o2"))
    params = {row[1]: row[2] for row in wb["About"].iter_rows(values_only=True) if row[0] == "Run"}
    dur = {"24h": "1d", "7d": "7d"}
    assert params["Stuck after"] == dur[helped["--stuck-after"]], params
    assert params["Not reporting after"] == dur[helped["--stale-after"]], params
    assert params["Due soon within"] == dur[helped["--due-within"]], params
    assert params["Zone of times without one"] == helped["--source-tz"], params
    assert params["Most rejected rows per file"].startswith(helped["--max-rejected"] + " "), params
    assert params["CSV profile"] == "excel", params
    assert params["Strict"] == "no" and params["Redact personal data"] == "no", params


def test_readme_commands_are_those_of_help(t):
    text = inst.help_text(t)
    helped = re.findall(r"^  ([a-z]+) ", text[text.index("commands:"):text.index("options:")], re.M)
    body = readme_section(readme(), "Commands and options")
    block = body[body.index("```"):body.index("```", body.index("```") + 3)]
    listed = list(dict.fromkeys(re.findall(r"^ddmreport ([a-z]+)", block, re.M)))
    assert listed == helped, f"README's command block {listed}, --help {helped}"


def readme_report_columns():
    """{report: [columns]} from the README's table of reports and columns;
    '…' stands for device_name, user, group, as the README uses it."""
    body = readme_section(readme(), "Reports")
    out = {}
    for name, cols in md_table(body, "report"):
        name = re.match(r"`([a-z-]+)`", name).group(1)
        cols = re.split(r" — | \(\+ ", cols)[0]
        cols = re.sub(r"\([^()]*(?:\([^()]*\)[^()]*)*\)", "", cols)  # remarks in brackets
        names = [c.strip() for c in cols.split(",")]
        expanded = []
        for c in names:
            expanded += ["device_name", "user", "group"] if c == "…" else [c]
        out[name] = expanded
    return out


def test_readme_reports_are_the_reports_of_list(t):
    listed = [line.split()[0] for line in t.run("list", db=False).out.splitlines()]
    documented = list(readme_report_columns())
    assert documented == listed, f"README's reports {documented}, ddmreport list {listed}"


def test_readme_columns_are_the_csv_headers(t):
    r = t.run("run", "--out", t.out, "--as-of", SAMPLES_AS_OF, *SAMPLE_INPUTS)
    assert r.rc == 0, r
    csvs = sorted(f[:-4] for f in os.listdir(t.out) if f.endswith(".csv"))
    documented = readme_report_columns()
    workbook_only = [n for n in documented if n not in csvs]
    assert workbook_only == ["about", "inputs"], workbook_only
    for name in csvs:
        with open(os.path.join(t.out, name + ".csv"), encoding="utf-8-sig") as f:
            header = f.readline().rstrip("\n").split(",")
        assert documented[name] == header, \
            f"{name}.csv: README lists\n{documented[name]}\nthe CSV's header is\n{header}"
        if name not in ("summary", "trend", "rejected"):
            assert header[0] == "serial_number", name  # "every device-level CSV starts with serial_number"


def test_readme_exit_codes_are_those_of_help(t):
    codes = inst.help_exit_codes(inst.help_text(t))
    text = readme()
    main = [c[0] for c in md_table(readme_section(text, "Exit codes"), "code")]
    cron = [c[0] for c in md_table(readme_section(text, "Operating it safely"), "exit")]
    assert main == codes, f"README's Exit codes {main}, --help {codes}"
    assert cron == codes, f"README's exit codes for cron {cron}, --help {codes}"
    order = re.search(r"the\s+more\s+severe\s+is\s+returned\s+\(([\d,\s]+),\s+from\s+most\s+to\s+least\)", text)
    assert order, "README's order of exit codes"
    order = re.split(r",\s+", order.group(1))
    assert sorted(order, key=int) == [c for c in codes if c != "0"], order
    man = inst.sections(inst.render(inst.MAN_SRC)[0])["EXIT STATUS"]
    morder = re.search(r"the\s+more\s+severe\s+is\s+returned\s+\(([\d,\s]+),\s+from", man)
    assert morder and re.split(r",\s+", morder.group(1)) == order, (morder, order)


def config_with_paths(t, text):
    """The config example with its paths moved into the test's folder."""
    inputs = t.path("incoming")
    subprocess.run(["cp", "-r", SAMPLES, inputs], check=True)
    text = text.replace("/var/lib/ddmreport/history.db", t.db)
    text = text.replace("/srv/reports/", t.path("reports") + "/")
    text = text.replace("/srv/exports/incoming", inputs)
    assert "/srv/" not in text and "/var/" not in text, text
    return t.write("ddmreport.conf", text)


def test_readme_config_example_runs(t):
    body = readme_section(readme(), "Commands and options")
    example = re.search(r"```ini\n(.*?)```", body, re.S).group(1)
    conf = config_with_paths(t, example)
    r = t.run("run", "--config", conf, "--as-of", SAMPLES_AS_OF, "--max-rejected", "5%", db=False)
    # the example's fail-on = past-deadline,errors: the samples have both
    assert r.rc == 1, r
    assert "ddmreport: note: --fail-on: report past-deadline has" in r.err, r
    assert "ddmreport: note: --fail-on: report errors has" in r.err, r
    assert "warning" not in r.err, r  # quiet = yes
    # out = .../{date}: the as-of date
    day = t.path("reports", SAMPLES_AS_OF[:10])
    assert os.path.exists(os.path.join(day, "ddmreport.xlsx")), os.listdir(t.path("reports"))
    params = {row[1]: row[2] for row in t.workbook(day)["About"].iter_rows(values_only=True)
              if row[0] == "Run"}
    assert params["Default time zone"] == "Europe/Berlin", params
    assert params["Config file"].startswith(conf), params


def test_man_page_config_example_runs(t):
    body = inst.sections(inst.render(inst.MAN_SRC)[0])["EXAMPLES"]
    m = re.search(r"^( +)# /etc/ddmreport.conf\n((?:\1.*\n)+)", body, re.M)
    assert m, body[:800]
    example = "\n".join(line.strip() for line in m.group(0).splitlines()) + "\n"
    conf = config_with_paths(t, example)
    r = t.run("run", "--config", conf, "--as-of", SAMPLES_AS_OF, "--max-rejected", "5%", db=False)
    assert r.rc == 0, r
    assert r.err == "", r  # quiet = yes, nothing to explain
    assert os.path.exists(t.path("reports", SAMPLES_AS_OF[:10], "ddmreport.xlsx"))


def test_messages_the_readme_quotes_are_the_tools(t):
    text = readme()
    # the demo's counts in the first section
    m = re.search(r"\(the Summary's first table: (\d+) past deadline, (\d+) compliant", text)
    assert m, "README's demo counts"
    r = t.run("run", "--out", t.out, "--as-of", SAMPLES_AS_OF, SAMPLES)
    summary = {row["classification"]: row["devices"] for row in t.csv("summary")}
    assert (summary["past-deadline"], summary["compliant"]) == m.groups(), (summary, m.groups())
    # without --max-rejected 5%: exit 65 and the line the cron table quotes
    assert r.rc == 65, r
    quoted = re.search(r"`export\.csv:42: (2 of 150 rows rejected, )… \((the first: missing serial_number; )…\)`",
                       text)
    assert quoted, "README's quoted --max-rejected line"
    line = [x for x in r.err.splitlines() if "rows rejected" in x]
    assert len(line) == 1 and line[0].startswith("ddmreport: error: ") and "mdm-export-2026-11-25.csv:42: " in line[0], r
    assert quoted.group(1) in line[0] and quoted.group(2) in line[0], line
    # the --fail-on note
    note = re.search(r"`(ddmreport: note: --fail-on: report past-deadline has) (\d+) rows`", text)
    assert note and note.group(2) == summary["past-deadline"], note
    r = t.run("report", "--out", t.path("o2"), "--as-of", SAMPLES_AS_OF, "--fail-on", "past-deadline")
    assert r.rc == 1 and f"{note.group(1)} {note.group(2)} rows" in r.err.splitlines(), r
    # no database here
    assert "(`no database here`)" in text
    r = t.run("report", "--db", t.path("none.db"), "--out", t.path("o3"), db=False)
    assert r.rc == 66 and "no database here" in r.err, r
    assert not os.path.exists(t.path("none.db")) and not os.path.exists(t.path("o3")), os.listdir(t.tmp)


def test_man_page_examples_do_what_they_say(t):
    body = inst.sections(inst.render(inst.MAN_SRC)[0])["EXAMPLES"]
    t.run("run", "--out", t.out, "--as-of", SAMPLES_AS_OF, *SAMPLE_INPUTS)
    expected = [row["serial_number"] for row in t.csv("past-deadline")]
    assert expected, "the samples have devices past their deadline"
    pipe = "ddmreport report past-deadline --out - | tail -n +2 | cut -d, -f1"
    assert pipe in body, body
    cmd = pipe.replace("ddmreport report", f"{BIN} report --db {t.db} --as-of {SAMPLES_AS_OF}", 1)
    p = subprocess.run(["sh", "-c", cmd], capture_output=True, text=True, timeout=120,
                       env=dict(os.environ, LC_ALL="C", TZ="UTC"))
    assert p.returncode == 0 and p.stderr == "", (p.returncode, p.stderr)
    assert p.stdout.split() == expected, p.stdout[:500]
    check = "ddmreport report --fail-on past-deadline,errors --quiet"
    assert check in body, body
    r = t.run("report", "--fail-on", "past-deadline,errors", "--quiet", "--as-of", SAMPLES_AS_OF,
              "--out", t.path("o2"))
    assert r.rc == 1, r
    lines = r.err.splitlines()
    assert lines and all(x.startswith("ddmreport: note: --fail-on: report ") for x in lines), r


def test_man_page_has_no_words_run_together(t):
    """An alternating macro (.BR, .IR ...) glues its arguments: prose given
    to one renders as one long word ('anolderbuildrefuses...')."""
    text = inst.render(inst.MAN_SRC)[0]
    glued = re.findall(r"[A-Za-z][A-Za-z,.;:'\u2010-]{30,}", text)
    assert not glued, f"words run together in the rendered man page: {glued}"


def test_check_validates_an_input_format_as_the_readme_says(t):
    """README, "Adding a vendor's CSV export": "Run `ddmreport check
    --queries DIR` to validate, then ingest a sample."  A format file that
    the ingest refuses must not pass check."""
    t.write("q/formats/broken.fmt", "format broken\nkind status\nprority 40\n")
    r = t.run("check", "--queries", t.path("q"))
    assert r.rc != 0, f"check passed a format the ingest refuses: {r}"
    assert "broken.fmt:3: unknown or malformed directive prority" in r.err, r
    t.write("q2/formats/ddm-items.map", "only-one-word\n")
    r = t.run("check", "--queries", t.path("q2"))
    assert r.rc != 0 and "ddm-items.map" in r.err, f"check passed a broken ddm-items.map: {r}"



def test_readme_vendor_format_example_works(t):
    """The README's Acme example, checked and ingested: its rules map the
    vendor's words as the comments beside them say."""
    text = readme_section(readme(), "Adding a vendor's CSV export")
    fmt = re.search(r"```\n(.*?)```", text, re.S).group(1)
    t.write("q/formats/acme.fmt", fmt)
    r = t.run("check", "--queries", t.path("q"))
    assert r.rc == 0 and r.err == "", r
    header = re.match(r"# Acme MDM status export: (.+)", fmt).group(1)
    data = t.write("acme.csv", header + "\n"
                   "C02XK1ABJGH5,needs_reboot,2026-11-25T08:00:00Z,26.0,Eng\n"
                   "C02XK1ABJGH6,fail_disk_full,2026-11-25T08:00:00Z,26.0,Eng\n"
                   "C02XK1ABJGH7,Downloading,2026-11-25T08:00:00Z,26.0,Eng\n")
    r = t.run("run", "--queries", t.path("q"), "--out", t.out, "--as-of", "2026-11-26T00:00:00Z", data)
    assert r.rc == 0, r
    rows = {row["serial_number"]: row for row in t.csv("devices")}
    assert rows["C02XK1ABJGH5"]["status"] == "Installing", rows["C02XK1ABJGH5"]
    assert rows["C02XK1ABJGH6"]["status"] == "Error", rows["C02XK1ABJGH6"]
    assert rows["C02XK1ABJGH6"]["failure_reason"] == "disk_full", rows["C02XK1ABJGH6"]
    assert rows["C02XK1ABJGH7"]["status"] == "Downloading", rows["C02XK1ABJGH7"]
    assert rows["C02XK1ABJGH7"]["os_version"] == "26.0", rows["C02XK1ABJGH7"]
    assert {row["group"] for row in rows.values()} == {"Eng"}, rows
    cells = [str(c) for row in t.workbook()["Inputs"].iter_rows(values_only=True) for c in row if c]
    assert "acme" in cells, cells


def test_tz_names_the_night_as_the_docs_say(t):
    """TZ decides no deadline, but it is the server's day: the {date} of
    --out and the night of a trend row (a later run of the same day
    replaces it).  Two runs 23:30 and 00:30 UTC are two nights in UTC and
    one evening in New York; the README and the man page must say so
    rather than 'TZ changes nothing'."""
    data = t.write("s.csv", "serial_number,status,reported_at,platform,os_version\n"
                   "AAA1,Idle,2026-11-25T08:00:00Z,macOS,26.0\n")
    nights = {}
    for tz in ("UTC", "America/New_York"):
        db = t.path(tz.replace("/", "_") + ".db")
        out = t.path("o-" + tz.replace("/", "_"))
        for as_of in ("2026-11-26T23:30:00Z", "2026-11-27T00:30:00Z"):
            r = t.run("run", "--db", db, "--out", out + "/{date}", "--as-of", as_of, data,
                      env={"TZ": tz}, db=False)
            assert r.rc == 0, r
        days = sorted(os.listdir(out))
        nights[tz] = (days, [row["as_of"] for row in t.csv("trend", os.path.join(out, days[-1]))])
    assert nights["UTC"] == (["2026-11-26", "2026-11-27"],
                             ["2026-11-26T23:30:00Z", "2026-11-27T00:30:00Z"]), nights
    assert nights["America/New_York"] == (["2026-11-26"], ["2026-11-27T00:30:00Z"]), nights
    env = readme_section(readme(), "Exit codes")
    assert "`TZ` changes nothing" not in env, "README says TZ changes nothing"
    assert re.search(r"`TZ`.{0,300}`trend` row", env, re.S), "README's Environment does not say TZ names the trend's night"
    man = inst.sections(inst.render(inst.MAN_SRC)[0])["ENVIRONMENT"]
    assert "Not used for any decision or output" not in man, man
    assert re.search(r"TZ\s.{0,300}trend\s+row", man, re.S), man


def test_make_targets_the_readme_names_exist(t):
    with open(os.path.join(ROOT, "Makefile"), encoding="utf-8") as f:
        targets = set(re.findall(r"^([a-z][a-z-]*):", f.read(), re.M))
    named = set(re.findall(r"(?:`|^)make ([a-z][a-z-]*)", readme(), re.M))
    assert {"demo", "test", "bench"} <= named, named
    assert named <= targets, f"README names make targets the Makefile lacks: {sorted(named - targets)}"


def test_readme_envelope_example_is_read(t):
    text = readme_section(readme(), "The NDJSON envelope")
    line = re.search(r"```json\n(.*?)\n```", text, re.S).group(1)
    data = t.write("env.ndjson", line + "\n")
    r = t.run("run", "--out", t.out, "--as-of", "2026-11-26T00:00:00Z", data)
    assert r.rc == 0 and r.err == "", r
    (row,) = t.csv("devices")
    assert (row["serial_number"], row["status"], row["last_seen"]) == \
        ("C02XK1ABJGH5", "Downloading", "2026-11-25T08:12:03Z"), row


def test_cron_lines_of_readme_and_man_page_run(t):
    """The crontab line (README and man page) and the systemd ExecStart:
    the same command; run on the samples it is quiet but for the one line
    that explains its exit (the samples' 2 bad rows of 150 are over 1%)."""
    cron = re.search(r"```cron\n(.*?)\n```", readme(), re.S).group(1)
    man = inst.sections(inst.render(inst.MAN_SRC)[0])["EXAMPLES"]
    assert cron.strip() in man, f"the man page's cron line differs from the README's: {cron}"
    exec_start = re.search(r"ExecStart=(.*?)\n\n", man, re.S).group(1)
    exec_start = re.sub(r"\\\n\s*", "", exec_start).split()
    command = cron.split("&&", 1)[1].split()
    assert command[0] == "./ddmreport" and exec_start[0].endswith("/ddmreport"), (command, exec_start)
    assert command[1:] == exec_start[1:], (command, exec_start)
    inputs = t.path("incoming")
    subprocess.run(["cp", "-r", SAMPLES, inputs], check=True)
    args = [a.replace("/var/lib/ddmreport/history.db", t.db).replace("/srv/reports/", t.path("reports") + "/")
            .replace("/srv/exports/incoming/", inputs + "/") for a in command[1:]]
    assert not [a for a in args if a.startswith(("/srv", "/var"))], args
    r = t.run(*args, "--as-of", SAMPLES_AS_OF, db=False)
    assert r.rc == 65, r
    assert len(r.err.splitlines()) == 1 and "2 of 150 rows rejected" in r.err, r
    assert os.path.exists(t.path("reports", SAMPLES_AS_OF[:10], "ddmreport.xlsx"))


def test_config_file_rules_as_documented(t):
    """README: relative paths from the working folder, not the config's;
    '#' after a blank is a comment; input = used when the command line
    names none; DDMREPORT_CONFIG; the command line overrides the file, and
    a flag it sets is undone by running without it (--config /dev/null)."""
    row = "serial_number,status,reported_at,platform,os_version\n{},Idle,2026-11-25T08:00:00Z,macOS,26.0\n"
    t.write("work/a.csv", row.format("C1"))
    t.write("work/b.csv", "serial_number,status,reported_at\n")  # no row: a warning, also under --quiet
    t.write("work/c.csv", row.format("C3"))
    conf = t.write("etc/c.conf", "db = h.db  # main\nout = outdir\t# a tab, then a comment\n"
                   "input = a.csv\nquiet = yes\nstale-after = 2d\n")
    work = t.path("work")

    def run(*args, env=None):
        cmd = [BIN, *args, "--as-of", "2026-11-26T00:00:00Z"]
        e = dict(os.environ, LC_ALL="C", TZ="UTC", **(env or {}))
        e.pop("DDMREPORT_DB", None)
        if not env:
            e.pop("DDMREPORT_CONFIG", None)
        return subprocess.run(cmd, cwd=work, env=e, capture_output=True, text=True, timeout=120)

    p = run("run", env={"DDMREPORT_CONFIG": conf})
    assert p.returncode == 0 and p.stderr == "", p
    assert sorted(os.listdir(work)) == ["a.csv", "b.csv", "c.csv", "h.db", "h.db.lock", "outdir"], os.listdir(work)
    with open(os.path.join(work, "outdir", "devices.csv"), encoding="utf-8-sig") as f:
        assert [r.split(",")[0] for r in f.read().split()[1:]] == ["C1"]
    # inputs on the command line replace the config's; options override
    p = run("run", "--config", conf, "--out", "o2", "c.csv")
    assert p.returncode == 0, p
    with open(os.path.join(work, "o2", "devices.csv"), encoding="utf-8-sig") as f:
        assert [r.split(",")[0] for r in f.read().split()[1:]] == ["C1", "C3"]
    # quiet = yes: b.csv's warning (an export of no device) is still printed, as --quiet says
    p = run("run", "--config", conf, "b.csv")
    assert p.returncode == 0 and "no row after the header" in p.stderr, p
    # a flag the file sets: the way to undo it is to run without the file
    p = run("run", "--config", conf, "--quiet=no", "c.csv")
    assert p.returncode == 64, p
    p = run("run", "--config", "/dev/null", "--db", "h.db", "--out", "o3", "c.csv", env={"DDMREPORT_CONFIG": conf})
    assert p.returncode == 0 and "nothing new" in p.stderr, p  # not quiet: the warnings come back
    readme_text = readme_section(readme(), "Commands and options")
    assert "--config /dev/null" in readme_text, "README does not say how to undo a flag the config sets"
    man = re.sub(r"\s+", " ", inst.sections(inst.render(inst.MAN_SRC)[0])["OPTIONS"])
    assert "--config /dev/null" in man, "the man page does not say how to undo a flag the config sets"


def test_quiet_lists_every_warning_it_keeps(t):
    """--quiet keeps the warnings about answers that are not what they
    seem (diag_alert in the source).  The README's --quiet entry quotes
    each one's words; a new such warning must be documented there, and in
    the man page and --help."""
    calls = []
    for d, _, fs in os.walk(os.path.join(ROOT, "src")):
        for f in fs:
            if f.endswith(".c") and f != "diag.c":
                with open(os.path.join(d, f), encoding="utf-8") as fh:
                    calls += re.findall(r"\bdiag_alert\(", fh.read())
    row = readme_option_table()["--quiet"][1]
    quoted = re.findall(r"\(`([^`]+)`", row)
    assert len(quoted) == len(calls), \
        f"--quiet keeps {len(calls)} kinds of warning (diag_alert), the README's --quiet entry quotes {quoted}"
    src = ""
    for d, _, fs in os.walk(os.path.join(ROOT, "src")):
        for f in fs:
            if f.endswith(".c"):
                with open(os.path.join(d, f), encoding="utf-8") as fh:
                    src += re.sub(r'"\s*\n\s*"', "", fh.read())
    for q in quoted:
        assert q in src, f"README quotes {q!r} for --quiet; no message of the source says it"
    man = re.sub(r"\s+", " ", inst.sections(inst.render(inst.MAN_SRC)[0])["OPTIONS"])
    help_ = re.sub(r"\s+", " ", inst.help_text(t))
    for text, where in ((man, "man page"), (help_, "--help")):
        entry = text[re.search(r"--quiet [Nn]o warnings", text).start():]
        assert "upgrade" in entry[:600], f"the {where}'s --quiet does not name the upgrade's copy"


def test_readme_source_layout_names_every_source_file(t):
    """The README's map of the source (## Building) names every .c file of
    src/ and src/sources/, and only files that exist; its links point at
    files of the repository."""
    text = readme()
    block = re.search(r"```\nsrc/main\.c.*?```", text, re.S).group(0)
    named = set(re.findall(r"\b([a-z0-9_]+\.c)\b", block))
    have = {f for d in ("src", os.path.join("src", "sources"))
            for f in os.listdir(os.path.join(ROOT, d)) if f.endswith(".c")}
    assert have - named == set(), f"source files missing from the README's layout: {sorted(have - named)}"
    assert named - have == set(), f"README's layout names files that do not exist: {sorted(named - have)}"
    links = [p for p in re.findall(r"\]\(([^)#\s]+)\)", text) if "://" not in p]
    assert links and not [p for p in links if not os.path.exists(os.path.join(ROOT, p))], links


def test_readme_classifications_are_the_tools(t):
    """The README's table of classifications (in the order they apply) is
    what summary.csv counts, the trend's columns and the Summary's
    'Counting' order."""
    documented = [row[0].strip("`") for row in md_table(readme_section(readme(), "What it decides"),
                                                        "classification")]
    man = re.sub(r"\s+", " ", inst.sections(inst.render(inst.MAN_SRC)[0])["DESCRIPTION"])
    m = re.search(r"each device gets the first of these classifications that applies: (.*?)\. ", man)
    assert m, man[:600]
    in_man = re.findall(r"(?:^|, )([a-z-]+)", re.sub(r" \([^()]*\)", "", m.group(1)))
    assert in_man == documented, (in_man, documented)
    r = t.run("run", "--out", t.out, "--as-of", SAMPLES_AS_OF, *SAMPLE_INPUTS)
    assert r.rc == 0, r
    counted = [row["classification"] for row in t.csv("summary")]
    assert sorted(counted) == sorted(documented), (counted, documented)
    with open(os.path.join(t.out, "trend.csv"), encoding="utf-8-sig") as f:
        cols = f.readline().strip().split(",")
    assert cols[2:-1] == [c.replace("-", "_") for c in counted], cols
    wb = t.workbook()
    counting = [str(r[1]) for r in wb["Summary"].iter_rows(values_only=True) if r[0] == "Counting"]
    assert counting, "no Counting line on the Summary"
    order = re.search(r"first classification that applies \(([^)]*)\)", counting[0])
    assert order and [x.strip().replace(" ", "-") for x in order.group(1).split(",")] == documented, counting


def test_folder_walk_as_documented(t):
    """README: folders are walked recursively in name order; .csv, .json,
    .ndjson, .jsonl files are read (any case), hidden files and folders
    skipped, other files ignored."""
    row = "serial_number,status,reported_at\n{},Idle,2026-11-25T08:00:00Z\n"
    t.write("in/.git/a.csv", row.format("H1"))
    t.write("in/.b.csv", row.format("H2"))
    t.write("in/sub/c.CSV", row.format("H3"))
    t.write("in/sub/deep/d.csv", row.format("H4"))
    t.write("in/notes.txt", row.format("H5"))
    r = t.run("run", "--out", t.out, "--as-of", "2026-11-26T00:00:00Z", t.path("in"))
    assert r.rc == 0, r
    assert sorted(row["serial_number"] for row in t.csv("devices")) == ["H3", "H4"]
    assert "(in any case" in readme() and "hidden\nfiles and folders skipped" in readme()


def test_strict_names_the_file_where_the_readme_says(t):
    r = t.run("run", "--strict", "--out", t.out, "--as-of", SAMPLES_AS_OF, SAMPLES)
    assert r.rc == 65 and "file not ingested (--strict)" in r.err, r
    name = "mdm-export-2026-11-25.csv"
    wb = t.workbook()

    def cells(sheet):
        return " ".join(str(c) for row in wb[sheet].iter_rows(values_only=True) for c in row if c)
    assert name in cells("Summary") and name in cells("About"), "Summary and About name the file"
    assert t.csv("rejected") == [], "rejected.csv holds no row of a file --strict rolled back"
    assert "--strict rolled back" in cells("Rejected"), cells("Rejected")[:300]
    row = readme_option_table()["--strict"][1]
    assert "Rejected sheet)" not in row and "`rejected.csv` has none of them" in row, row


def test_usage_errors_exit_64_before_anything_is_opened(t):
    """README's 64: unknown command, option or report name, a value an
    option does not take, empty --db/--out; nothing was opened."""
    for args in (["frobnicate"], ["report", "--bogus"], ["report", "nosuch"],
                 ["report", "--fail-on", "nosuch"], ["report", "--default-tz", "Mars/Base"],
                 ["report", "--stuck-after", "5x"], ["report", "--max-rejected", "150%"],
                 ["report", "--db", ""], ["report", "--out", ""], ["report", "--as-of", "yesterday"]):
        r = t.run(*args, "--out" if "--out" not in args else "--wait", t.out if "--out" not in args else "0")
        assert r.rc == 64, (args, r)
        assert r.err.startswith("ddmreport: error: "), (args, r)
        assert not os.path.exists(t.db) and not os.path.exists(t.out), (args, os.listdir(t.tmp))
    row = md_table(readme_section(readme(), "Exit codes"), "code")[2]
    assert row[0] == "64" and "a value an option does not take" in row[1], row


def test_environment_variables_are_documented_alike(t):
    """Every variable the source reads (getenv) is in the man page's
    ENVIRONMENT and the README's Environment paragraph, and they name no
    other.  USER is only the fallback of the About sheet's user@host when
    the password database has no entry."""
    read = set()
    for d, _, fs in os.walk(os.path.join(ROOT, "src")):
        for f in fs:
            if f.endswith(".c"):
                with open(os.path.join(d, f), encoding="utf-8") as fh:
                    read |= set(re.findall(r'getenv\("([A-Z_]+)"\)', fh.read()))
    read -= {"USER"}
    man = inst.sections(inst.render(inst.MAN_SRC)[0])["ENVIRONMENT"]
    in_man = set(re.findall(r"^ {7}([A-Z][A-Z_]+)", man, re.M)) | \
        set(re.findall(r"^ {7}[A-Z_]+, ([A-Z][A-Z_]+)$", man, re.M))
    assert in_man == read, f"man ENVIRONMENT {sorted(in_man)}, the source reads {sorted(read)}"
    text = readme_section(readme(), "Exit codes")
    para = text[text.index("Environment: "):]
    para = para[:para.index("\n\n")]
    in_readme = set(re.findall(r"`([A-Z][A-Z_]+)(?:=1)?`", para))
    assert in_readme == read, f"README's Environment {sorted(in_readme)}, the source reads {sorted(read)}"


def test_report_name_writes_that_csv_alone(t):
    """man: report NAME writes NAME.csv alone; the workbook is left as it
    was, and a SHA256SUMS in the folder gets that file's new line."""
    t.run("run", "--out", t.out, "--as-of", SAMPLES_AS_OF, *SAMPLE_INPUTS)
    r = t.run("report", "errors", "--out", t.path("one"), "--as-of", SAMPLES_AS_OF)
    assert r.rc == 0, r
    assert os.listdir(t.path("one")) == ["errors.csv"], os.listdir(t.path("one"))
    with open(os.path.join(t.out, "ddmreport.xlsx"), "rb") as f:
        book = f.read()
    r = t.run("report", "errors", "--out", t.out, "--as-of", "2026-11-27T12:00:00Z")
    assert r.rc == 0, r
    with open(os.path.join(t.out, "ddmreport.xlsx"), "rb") as f:
        assert f.read() == book, "report NAME rewrote the workbook"
    p = subprocess.run(["sha256sum", "-c", "--quiet", "SHA256SUMS"], cwd=t.out, capture_output=True, text=True)
    assert p.returncode == 0, p
    man = re.sub(r"\s+", " ", inst.sections(inst.render(inst.MAN_SRC)[0])["COMMANDS"])
    assert "is written as NAME.csv alone" in man, man[:500]


def test_a_template_or_format_that_does_not_parse_exits_65_as_documented(t):
    """README's 65: a format of --queries that does not parse stops the
    ingest (run still writes the reports); a template, the reports."""
    t.write("tb/errors.tmpl", "report errors\nfrobnicate x\n")
    t.write("qb/formats/x.fmt", "format x\nprority 3\n")
    data = os.path.join(SAMPLES, "status")
    for cmd in ("check", "report"):
        r = t.run(cmd, "--templates", t.path("tb"), "--out", t.out)
        assert r.rc == 65 and "errors.tmpl:2: " in r.err, (cmd, r)
        assert not os.path.exists(t.out), os.listdir(t.out)
    r = t.run("check", "--queries", t.path("qb"))
    assert r.rc == 65 and "x.fmt:2: " in r.err, r
    r = t.run("run", "--queries", t.path("qb"), "--out", t.out, "--as-of", SAMPLES_AS_OF, data)
    assert r.rc == 65 and "x.fmt:2: " in r.err, r
    assert t.csv("devices") == [] and os.path.exists(os.path.join(t.out, "ddmreport.xlsx"))
    row = md_table(readme_section(readme(), "Exit codes"), "code")[3]
    assert row[0] == "65" and "a format stops the ingest" in row[1], row


def test_workbook_table_names_are_the_ones_the_docs_give(t):
    """A user writing formulas (=COUNTA(T_past_deadline[serial_number]))
    takes the table names from the README: every name it quotes is a table
    of the workbook, and every table is named by its rule (T_<report>, '-'
    written '_'; else one the README quotes: a sheet of several tables)."""
    m = re.search(r"\*\*Every report is an Excel table\*\*(.*?)\n- \*\*", readme(), re.S)
    assert m, "README has no 'Every report is an Excel table' item"
    quoted = set(re.findall(r"`(T_[A-Za-z0-9_]+)`", m.group(1)))
    # a lowered sheet limit (max_rows) shows a continuation sheet's table
    os.makedirs(t.path("tpl"))
    with open(os.path.join(ROOT, "templates", "devices.tmpl"), encoding="utf-8") as f:
        t.write("tpl/devices.tmpl", f.read() + "max_rows  120\n")
    r = t.run("run", "--templates", t.path("tpl"), "--out", t.out, "--as-of", SAMPLES_AS_OF,
              *SAMPLE_INPUTS)
    assert r.rc == 0, r
    reports = [line.split()[0] for line in t.run("list").out.splitlines() if line.strip()]
    by_rule = {"T_" + n.replace("-", "_") for n in reports}
    by_rule |= {f"T_devices_{k}" for k in range(3, 10)}
    tables = {name for ws in t.workbook() for name in ws.tables}
    assert quoted and quoted <= tables, (sorted(quoted - tables), sorted(tables))
    assert tables <= by_rule | quoted, sorted(tables - by_rule - quoted)
    man = re.sub(r"\s+", " ", inst.sections(inst.render(inst.MAN_SRC)[0])["WORKBOOK"])
    for name in ("T_past_deadline", "T_summary_group"):
        assert name in man, man[:600]
