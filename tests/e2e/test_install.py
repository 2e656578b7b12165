"""make install / make uninstall and the man page (src/ddmreport.1).

Installs into a temporary DESTDIR only; the page is rendered by man-db (or
groff) with warnings on and checked against `ddmreport --help`.
"""
import os
import re
import shutil
import stat
import subprocess

from lib import BIN, ROOT

MAN_SRC = os.path.join(ROOT, "src", "ddmreport.1")


def make(t, *args):
    """Runs make -s from the repo root, outside any parent make's jobserver."""
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    p = subprocess.run(["make", "-s", *args], cwd=ROOT, env=env, capture_output=True,
                       text=True, timeout=600)
    assert p.returncode == 0, f"make {' '.join(args)}: rc={p.returncode} {p.stdout[-500:]} {p.stderr[-1500:]}"
    return p


def files_under(top):
    return sorted(os.path.relpath(os.path.join(d, f), top)
                  for d, _, fs in os.walk(top) for f in fs)


def render(page):
    """(text, warnings) of the page rendered to plain text, hyphenation off."""
    env = dict(os.environ, LC_ALL="C.UTF-8", MANWIDTH="80", MANPAGER="cat", PAGER="cat",
               MANROFFOPT="-rHY=0")
    if shutil.which("man"):
        cmd = ["man", "--warnings=w", "-l", page]
    elif shutil.which("groff"):
        cmd = ["groff", "-man", "-Tutf8", "-ww", "-rHY=0", "-P-cbou", page]
    else:
        raise AssertionError("no man page renderer: install Debian's man-db or groff-base")
    p = subprocess.run(cmd, env=env, capture_output=True, timeout=60)
    assert p.returncode == 0, f"{cmd}: rc={p.returncode} {p.stderr.decode()[:1000]}"
    # man-db strips overstrikes when not on a terminal; strip any left anyway.
    text = re.sub(r".\x08", "", p.stdout.decode("utf-8", "replace"))
    return text, p.stderr.decode("utf-8", "replace")


def sections(text):
    """{SECTION NAME: body} of rendered man page text."""
    out, name = {}, None
    for line in text.splitlines():
        if re.match(r"^[A-Z][A-Z ]+$", line):
            name = line.strip()
            out[name] = []
        elif name:
            out[name].append(line)
    return {k: "\n".join(v) for k, v in out.items()}


def help_text(t):
    r = t.run("--help", db=False)
    assert r.rc == 0, r
    return r.out


def help_options(text):
    return sorted(set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*[a-z])", text)))


def help_exit_codes(text):
    tail = text[text.index("exit codes:"):]
    return sorted(set(re.findall(r"(?:^|[:;])\s*(\d+)\s+\S", tail)), key=int)


def test_install_and_uninstall_into_destdir(t):
    dest = t.path("dest")
    make(t, "install", f"DESTDIR={dest}", "PREFIX=/usr")
    binp = os.path.join(dest, "usr", "bin", "ddmreport")
    manp = os.path.join(dest, "usr", "share", "man", "man1", "ddmreport.1")
    assert files_under(dest) == ["usr/bin/ddmreport", "usr/share/man/man1/ddmreport.1"], files_under(dest)
    assert stat.S_IMODE(os.stat(binp).st_mode) == 0o755, oct(os.stat(binp).st_mode)
    assert stat.S_IMODE(os.stat(manp).st_mode) == 0o644, oct(os.stat(manp).st_mode)
    with open(manp, "rb") as a, open(MAN_SRC, "rb") as b:
        assert a.read() == b.read(), "installed page differs from src/ddmreport.1"

    p = subprocess.run([binp, "--version"], capture_output=True, text=True, timeout=30)
    assert p.returncode == 0 and p.stdout.startswith("ddmreport "), (p.returncode, p.stdout, p.stderr)
    repo = subprocess.run([BIN, "--version"], capture_output=True, text=True, timeout=30)
    assert p.stdout == repo.stdout, (p.stdout, repo.stdout)

    text, warnings = render(manp)
    assert warnings.strip() == "", f"man page warnings:\n{warnings[:1500]}"
    assert "DDMREPORT(1)" in text and "SYNOPSIS" in text

    make(t, "uninstall", f"DESTDIR={dest}", "PREFIX=/usr")
    assert files_under(dest) == [], files_under(dest)


def test_man_page_renders_without_warnings(t):
    text, warnings = render(MAN_SRC)
    assert warnings.strip() == "", f"man page warnings:\n{warnings[:1500]}"
    found = sections(text)
    for name in ("NAME", "SYNOPSIS", "DESCRIPTION", "COMMANDS", "OPTIONS", "INPUT FORMATS",
                 "REPORTS", "EXIT STATUS", "ENVIRONMENT", "FILES", "EXAMPLES", "SEE ALSO"):
        assert name in found, f"section {name} missing: {sorted(found)}"


def test_man_page_lists_every_option_of_help(t):
    opts = help_options(help_text(t))
    assert "--db" in opts and "--version" in opts, opts
    body = sections(render(MAN_SRC)[0])["OPTIONS"]
    # each option is an entry of OPTIONS: a tag at the start of a line
    tags = set(re.findall(r"^ {7}(--[a-z][a-z-]*[a-z])", body, re.M))
    missing = [o for o in opts if o not in tags]
    assert not missing, f"options of --help missing from the man page's OPTIONS: {missing}"


def test_man_page_lists_every_exit_code_of_help(t):
    codes = help_exit_codes(help_text(t))
    assert codes[:2] == ["0", "1"] and "75" in codes, codes
    body = sections(render(MAN_SRC)[0])["EXIT STATUS"]
    listed = re.findall(r"^ {7}(\d+) ", body, re.M)
    assert listed == codes, f"EXIT STATUS lists {listed}, --help says {codes}"


def test_man_page_commands_reports_and_version_match_binary(t):
    text = render(MAN_SRC)[0]
    found = sections(text)
    reports = [line.split()[0] for line in t.run("list", db=False).out.splitlines()]
    listed = re.findall(r"^ {7}([a-z][a-z-]*)(?: |$)", found["REPORTS"], re.M)
    missing = [r for r in reports if r not in listed]
    assert not missing, f"reports of ddmreport list missing from the man page's REPORTS: {missing}"
    unknown = [r for r in listed if r not in reports]
    assert not unknown, f"REPORTS lists reports ddmreport list does not know: {unknown}"
    for cmd in ("run", "ingest", "report", "list", "check"):
        assert re.search(rf"^ {{7}}{cmd}\b", found["COMMANDS"], re.M), cmd
    version = t.run("--version", db=False).out.strip()
    assert version in text.splitlines()[-1], f"footer {text.splitlines()[-1]!r} is not {version!r}"
