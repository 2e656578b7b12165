"""LibreOffice (an independent reader and renderer) opens the workbook
headless, converts it to PDF and to CSV, and the converted Summary says what
the auditor must read: title, organisation, as-of time and the compliant
percentage.  Needs libreoffice-calc-nogui and poppler-utils (make deps)."""
import collections
import os
import shutil
import subprocess

from lib import SAMPLE_INPUTS, SAMPLES_AS_OF


def _soffice(t, fmt, src, out):
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    assert exe, "LibreOffice is missing: install libreoffice-calc-nogui (make deps)"
    profile = "file://" + t.path("lo-profile")
    p = subprocess.run([exe, f"-env:UserInstallation={profile}", "--headless",
                        "--convert-to", fmt, "--outdir", out, src],
                       capture_output=True, text=True, timeout=300,
                       env=dict(os.environ, HOME=t.path("home")))
    assert p.returncode == 0, (p.stdout, p.stderr)


def test_libreoffice_converts_summary_to_pdf_and_csv(t):
    r = t.run("run", "--out", t.out, "--as-of", SAMPLES_AS_OF, "--org", "Example Corp", *SAMPLE_INPUTS)
    assert r.rc == 0, r
    book = os.path.join(t.out, "ddmreport.xlsx")
    conv = t.path("conv")
    # CSV: LibreOffice writes the first sheet, the Summary
    _soffice(t, "csv:Text - txt - csv (StarCalc):44,34,76", book, conv)  # UTF-8
    with open(os.path.join(conv, "ddmreport.csv"), encoding="utf-8") as f:
        text = f.read()
    devices = t.csv("devices")
    n = collections.Counter(d["classification"] for d in devices)
    scope = len(devices) - n["no-target"] - n["out-of-scope"]
    pct = f"{100 * n['compliant'] / scope:.1f}%"
    assert text.startswith("OS-update compliance summary"), text[:200]
    for want in ("Organisation,Example Corp", "As of (UTC),2026-11-26 12:00:00",
                 f"Compliant,{n['compliant']},{pct}", "Compliance by group"):
        assert want in text, (want, text[:1500])
    # PDF: the Summary fits one page; every page has its footer
    _soffice(t, "pdf", book, conv)
    pdf = os.path.join(conv, "ddmreport.pdf")
    first = subprocess.run(["pdftotext", "-layout", "-f", "1", "-l", "1", pdf, "-"],
                           capture_output=True, text=True, check=True).stdout
    assert "OS-update compliance summary" in first and "Example Corp" in first, first[:600]
    assert "Worst offenders" in first, "the Summary spills over its page"
    assert "Page 1 of" in first and "As of 2026-11-26 12:00 UTC" in first, first[-600:]
    second = subprocess.run(["pdftotext", "-layout", "-f", "2", "-l", "2", pdf, "-"],
                            capture_output=True, text=True, check=True).stdout
    assert "Compliance across nights" in second, second[:300]
