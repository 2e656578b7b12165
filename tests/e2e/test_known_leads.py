"""Leads earlier sessions noticed and left alone, each checked as the user
meets it: the Summary's by-group table, a device whose zone changed, Jamf's
management ids, the workbook's table names and an empty report's table."""
import re

from lib import INVENTORY_HEADER, STATUS_HEADER, TARGETS_HEADER

AS_OF = "2026-11-26T12:00:00Z"


def status_row(serial, status, at, os_version="", tz="", platform="macOS", model="Mac15,3",
               group=""):
    return (f"{serial},{status},{at},,,{group},{platform},\"{model}\",{os_version},,,"
            f",,,{tz},,\n")


def inv_row(serial, group="", tz="UTC", os_version="26.0"):
    return f"{serial},,,{group},macOS,\"Mac15,3\",{tz},2026-11-26T08:00:00Z,{os_version}\n"


def tables(ws):
    """{table name: (headers, rows)} of a sheet's Excel tables."""
    out = {}
    for name, ref in ws.tables.items():
        (c1, r1), (c2, r2) = [re.match(r"([A-Z]+)(\d+)", p).groups() for p in ref.split(":")]
        rows = [[c.value for c in row] for row in ws[f"{c1}{r1}:{c2}{r2}"]]
        out[name] = (rows[0], rows[1:])
    return out


def test_a_group_spelt_in_two_cases_is_one_row_of_the_summary(t):
    # Jamf spells the group "Sales" for some devices, a later export
    # "sales" for others; the group target matches both (case ignored), so
    # the Summary's "Compliance by group" must count them as one group.
    inv = t.write("inv.csv", INVENTORY_HEADER + "".join([
        inv_row("G1", "Sales", os_version="26.1"), inv_row("G2", "Sales"),
        inv_row("G3", "sales"), inv_row("G4", "Eng", os_version="26.1")]))
    tg = t.write("targets.csv", TARGETS_HEADER + "macOS,sales,,26.1,,2026-12-20T09:00:00,\n"
                 "macOS,eng,,26.1,,2026-12-20T09:00:00,\n")
    t.ok("run", "--out", t.out, "--as-of", AS_OF, inv, tg)
    head, rows = tables(t.workbook()["Summary"])["T_summary_group"]
    by = {r[0]: dict(zip(head, r)) for r in rows}
    assert sorted(k.lower() for k in by) == ["eng", "sales"], rows
    # one spelling, deterministically: the one most devices carry
    assert "Sales" in by, rows
    s = by["Sales"]
    assert [s[h] for h in head[1:5]] == [3, 1, 0, 2], (head, s)
    # every device in scope is counted once
    assert sum(r[1] for r in rows) == 4, rows
    # the patch-latency summary's group rows: one group too
    head, rows = tables(t.workbook()["Patch latency"])["T_patch_latency_summary"]
    groups = {r[1]: r for r in rows if r[0] == "Group"}
    assert list(groups) == ["Sales"], rows
    assert groups["Sales"][5] == 2, (head, rows)   # G2 and G3 below, not measured
