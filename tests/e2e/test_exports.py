"""Export files as they reach the tool after a spreadsheet or an admin
handled them: each mangled copy is either read like the clean file (the
same Devices report) or rejected with the file and line named, never read
into another answer.
"""
from lib import INVENTORY_HEADER, TARGETS_HEADER, sql

AS_OF = "2026-11-26T12:00:00Z"


def devices(t, *files, extra=()):
    """Runs a fresh database over files; (result, {serial: Devices row})."""
    import os
    import shutil
    for p in (t.db, t.db + "-wal", t.db + "-shm"):
        if os.path.exists(p):
            os.unlink(p)
    shutil.rmtree(t.out, ignore_errors=True)
    r = t.run("run", "--out", t.out, "--as-of", AS_OF, *extra, *files)
    rows = t.csv("devices") if os.path.exists(os.path.join(t.out, "devices.csv")) else []
    return r, {d["serial_number"]: d for d in rows}


def test_spreadsheet_dates_in_os_version_are_not_newer_versions(t):
    # Excel in a dd.mm.yyyy locale reads "18.7.2" and "26.1" as dates and
    # saves them back as "18.07.2002" and "26.01.2026"; read as versions
    # they were 18.7.2002 and 26.1.2026, above 18.7.3 and 26.1.1, and
    # both devices were reported compliant.  No Apple version has a
    # leading-zero component or a four-digit one after the first.
    tg = t.write("targets.csv", TARGETS_HEADER +
                 "iOS,*,,18.7.3,,2026-11-20T09:00:00,\n"
                 "macOS,*,,26.1.1,,2026-11-20T09:00:00,\n")

    def inv(a, b, c):
        return t.write("inventory.csv", INVENTORY_HEADER +
                       f"C02IPHONE01,Phone,,,iOS,\"iPhone15,2\",UTC,,{a}\n"
                       f"C02MAC00001,Mac,,,macOS,\"Mac15,3\",UTC,,{b}\n"
                       f"C02MAC00002,Mac 2,,,macOS,\"Mac15,3\",UTC,,{c}\n")

    r, clean = devices(t, inv("18.7.2", "26.1", "26.1"), tg)
    assert r.rc == 0, r
    r, mangled = devices(t, inv("18.07.2002", "26.01.2026", "26.1.2026"), tg)
    assert r.rc == 0, r
    for s in clean:
        assert clean[s]["classification"] == "past-deadline", clean[s]
        assert mangled[s]["classification"] == "past-deadline", (s, mangled[s])
