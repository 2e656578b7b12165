#!/usr/bin/python3
"""Writes the hostile fixture: a canonical status export whose text values
try to become formulas, break XML or CSV, or smuggle terminal escapes.

usage: gen_hostile.py OUT.csv
Every row is a valid record (quoted as needed), so every value reaches the
reports; the serial numbers are plain so rows can be matched back.
"""
import sys

# (name, bytes) - each is written into device_name, user, group and
# failure_reason of one device.
VALUES = [
    ("eq", b"=cmd|' /C calc'!A0"),
    ("plus", b"+1+1"),
    ("minus", b"-2+3"),
    ("at", b"@SUM(1,2)"),
    ("tab", b"\t=1+1"),
    ("cr", b"\r=1+1"),
    ("lf", b"\n=1+1"),
    ("spaces", b"   =HYPERLINK(\"http://x\")"),
    ("fw_eq", "\uff1d1+1".encode()),
    ("fw_plus", "\uff0b1".encode()),
    ("fw_minus", "\uff0d1".encode()),
    ("fw_at", "\uff20SUM(1)".encode()),
    ("controls", bytes(range(1, 32)) + b"\x7f"),
    ("esc", b"\x1b[31mred\x1b[0m\x1b]0;title\x07"),
    ("nul", b"before\x00after"),
    ("bad_utf8", b"\xc0\xaf\xff\xfe\xe2\x82\xed\xa0\x80x\xf4\x90\x80\x80"),
    ("surrogate", b"\xed\xa0\x80\xed\xbf\xbf"),
    ("fffe", "a\ufffeb\uffffc".encode()),
    ("bidi", "\u202egnp.exe\u202c \u2066x\u2069".encode()),
    ("xml", b"<f>1+1</f>&amp;<![CDATA[x]]>\"'"),
    ("long", b"L" * 40000 + "\u00e9".encode() * 10),
    ("quotes", b'a "quoted" ,comma'),
    ("dde", b"=DDE(\"cmd\";\"/C calc\";\"!A0\")"),
]

HEADER = ("serial_number,status,reported_at,device_name,user,group,platform,model,"
          "os_version,build_version,extra_version,target_os_version,"
          "target_build_version,target_local_datetime,time_zone,failure_count,"
          "failure_reason\n").encode()


def q(b):
    return b'"' + b.replace(b'"', b'""') + b'"'


def main(out):
    with open(out, "wb") as f:
        f.write(HEADER)
        for i, (_, v) in enumerate(VALUES):
            serial = b"H%03d" % i
            f.write(b",".join([serial, b"Error", b"2026-11-20T10:00:00Z", q(v), q(v), q(v),
                               b"macOS", b"Mac14.2", b"14.1", b"", b"", b"15.1", b"",
                               b"2026-12-10T09:00:00", b"", b"2",
                               q(v)]) + b"\r\n")


if __name__ == "__main__":
    main(sys.argv[1])
