"""Hostile data on the paths added since test_security.py: bidi controls in
serials, file names that look like formulas in the new sheets and columns,
the files an upgrade and a run create, a deferred JSON file that changes
between its two readings."""
import os

from lib import INVENTORY_HEADER, STATUS_HEADER, TARGETS_HEADER, sql

AS_OF = "2026-11-26T00:00:00Z"
LRM, RLM, RLO, PDF, LRI, PDI, ALM = ("\u200e", "\u200f", "\u202e", "\u202c",
                                     "\u2066", "\u2069", "\u061c")


def status(serial, st, when, name, os_version):
    # serial,status,reported_at,device_name,user,group,platform,model,os_version
    return f"{serial},{st},{when},{name},,,macOS,,{os_version}" + "," * 8 + "\n"


def targets(t):
    return t.write("t.csv", TARGETS_HEADER + "macOS,,,26.1,,2026-11-20T10:00:00,\n")


def devices(t):
    return {r["serial_number"]: r["classification"] for r in t.csv("devices")}


def test_bidi_controls_in_a_serial_are_the_same_device(t):
    # A serial copied from a right-to-left page or an Excel cell carries a
    # left-to-right or right-to-left mark; a hostile export writes a
    # right-to-left override so that one serial reads as another on the
    # sheet.  They are invisible like the zero-width space: the Mac was
    # two devices, one compliant and one past its deadline.
    s = t.write("s.csv", STATUS_HEADER
                + status("C02AAA0001", "Downloading", "2026-11-25T09:00:00Z", "a", "15.0")
                + status("C02AAA0001" + LRM, "Pass", "2026-11-25T10:00:00Z", "a", "26.1")
                + status(RLM + "C02AAA0002", "Downloading", "2026-11-25T09:00:00Z", "b", "15.0")
                + status("C02AAA0002", "Pass", "2026-11-25T10:00:00Z", "b", "26.1")
                + status("C02" + RLO + "AAA0003" + PDF, "Pass", "2026-11-25T10:00:00Z", "c", "26.1")
                + status(LRI + "C02AAA0004" + PDI + ALM, "Pass", "2026-11-25T10:00:00Z", "d", "26.1"))
    inv = t.write("inv.csv", INVENTORY_HEADER
                  + "C02AAA0003,c,,,macOS,,,,15.0\n"
                  + "C02AAA0004,d,,,macOS,,,,15.0\n")
    t.ok("run", "--as-of", AS_OF, "--out", t.out, inv, s, targets(t))
    assert devices(t) == {"C02AAA0001": "compliant", "C02AAA0002": "compliant",
                          "C02AAA0003": "compliant", "C02AAA0004": "compliant"}, devices(t)
    # no stored serial keeps a bidi control (it would read reversed)
    for ch in (LRM, RLM, RLO, PDF, LRI, PDI, ALM):
        assert ch not in sql(t.db, "SELECT group_concat(serial_number) FROM device"), repr(ch)


def test_a_serial_of_only_bidi_controls_is_missing(t):
    s = t.write("s.csv", STATUS_HEADER
                + status("C02AAA0001", "Pass", "2026-11-25T10:00:00Z", "a", "26.1")
                + status(RLO + LRM, "Pass", "2026-11-25T10:00:00Z", "b", "26.1"))
    r = t.run("ingest", "--max-rejected", "100%", s)
    assert r.rc == 0, r
    assert sql(t.db, "SELECT reason FROM rejected") == "missing serial_number\n"
    assert sql(t.db, "SELECT serial_number FROM device") == "C02AAA0001\n"
