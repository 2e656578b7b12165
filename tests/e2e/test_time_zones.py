"""Time zones and the deadline's instant: Apple's enforcement declaration
(softwareupdate.enforcement.specific) gives TargetLocalDateTime with no
zone, the device's own wall clock.  Each test checks an answer a user reads
against an independent computation (Python's zoneinfo)."""
import datetime
import os
from zoneinfo import ZoneInfo

from lib import STATUS_HEADER, TARGETS_HEADER

UTC = datetime.timezone.utc
ISO = "%Y-%m-%dT%H:%M:%SZ"


def utc_of(wall, zone):
    """The instant of a wall time in zone, as the README's rule reads it:
    an overlap is the earlier instant (fold 0), a gap moves forward."""
    w = datetime.datetime.fromisoformat(wall)
    return w.replace(tzinfo=ZoneInfo(zone), fold=0).astimezone(UTC)


def inventory(rows):
    return ("serial_number,time_zone,platform,os_version,last_check_in\n" +
            "".join(f"{s},{z},{p},{v},{c}\n" for s, z, p, v, c in rows))


TARGETS_ZONE_HEADER = TARGETS_HEADER.rstrip("\n") + ",enforcement_time_zone\n"


def test_legacy_device_counts_the_target_whose_instant_comes_first(t):
    # A Mac below the DDM floor (macOS 13) is upgraded the legacy way: a
    # target's enforcement_time_zone reads its deadline, else the device's
    # own zone (README "Legacy enforcement").  With two unmet targets, the
    # earliest deadline counts; for this Mac the two are read in two zones,
    # so "earliest" is the earlier instant, not the smaller wall time:
    # 26.1 by 12:00 in Tokyo (03:00Z) passes 11 hours before 15.7.2 by
    # 09:00 in New York (14:00Z).  It was shown due soon for 15.7.2
    # at 06:00Z, three hours after its 26.1 deadline had passed.
    inv = t.write("inv.csv", inventory([
        ("LG1", "Asia/Tokyo", "macOS", "13.6", "2026-12-01T05:00:00Z")]))
    tg = t.write("targets.csv", TARGETS_ZONE_HEADER +
                 "macOS,*,,15.7.2,,2026-12-01T09:00:00,,America/New_York\n"
                 "macOS,*,,26.1,,2026-12-01T12:00:00,,\n")
    t.ok("run", "--out", t.out, "--as-of", "2026-12-01T06:00:00Z", inv, tg)
    (d,) = t.csv("devices")
    tokyo = utc_of("2026-12-01T12:00:00", "Asia/Tokyo").strftime(ISO)
    ny = utc_of("2026-12-01T09:00:00", "America/New_York").strftime(ISO)
    assert tokyo < "2026-12-01T06:00:00Z" < ny, (tokyo, ny)
    assert (d["enforcement_mechanism"], d["target_os_version"], d["deadline_utc"],
            d["time_zone"], d["classification"]) == \
        ("legacy", "26.1", tokyo, "Asia/Tokyo", "past-deadline"), d
    assert [r["serial_number"] for r in t.csv("past-deadline")] == ["LG1"]


def test_patch_latency_reads_a_met_legacy_target_in_its_own_zone(t):
    # Patch latency measures a device's met targets of its scope too (a
    # staged rollout).  A legacy Mac (macOS 13, below the DDM floor) in
    # Tokyo met 13.7.1, due 09:00 New York time (its enforcement_time_zone,
    # 14:00Z); it is counted against 26.1 now, whose target has no zone
    # (its own, Tokyo).  The 13.7.1 deadline was read in Tokyo (00:00Z),
    # putting its patch 14 hours later after the deadline than it was.
    t.write("status.csv",
            "serial_number,status,reported_at,platform,os_version,time_zone\n"
            "LG2,Idle,2026-11-28T10:00:00Z,macOS,13.6,Asia/Tokyo\n"
            "LG2,Idle,2026-12-01T21:00:00Z,macOS,13.7.1,Asia/Tokyo\n")
    t.write("targets.csv", TARGETS_ZONE_HEADER +
            "macOS,*,,13.7.1,,2026-12-01T09:00:00,,America/New_York\n"
            "macOS,*,,26.1,,2026-12-20T09:00:00,,\n")
    t.ok("run", "--as-of", "2026-12-02T00:00:00Z", "--out", t.out,
         t.path("status.csv"), t.path("targets.csv"))
    (d,) = t.csv("devices")
    assert (d["enforcement_mechanism"], d["target_os_version"], d["time_zone"]) == \
        ("legacy", "26.1", "Asia/Tokyo"), d
    ny = utc_of("2026-12-01T09:00:00", "America/New_York")
    patched = datetime.datetime(2026, 12, 1, 21, 0, tzinfo=UTC)
    got = {r["target_os_version"]: r for r in t.csv("patch-latency")}
    row = got["13.7.1"]
    assert (row["deadline_utc"], row["patched_at"], row["state"]) == \
        (ny.strftime(ISO), patched.strftime(ISO), "patched"), row
    assert row["days_from_deadline"] == "%.1f" % ((patched - ny).total_seconds() / 86400), row


# Zones whose rules are easy to get wrong: half-hour DST (Lord_Howe),
# 45-minute offsets (Kathmandu, Eucla, Chatham), +14 and -12, POSIX sign
# inversion (Etc/GMT+5 is UTC-5), legacy links (US/Eastern,
# Asia/Calcutta), negative DST (Dublin), Troll's two-hour DST, Morocco's
# Ramadan changes, the southern hemisphere, Newfoundland's -03:30.
TRICKY_ZONES = ("Australia/Lord_Howe", "Asia/Kathmandu", "Australia/Eucla",
                "Pacific/Chatham", "Pacific/Kiritimati", "Etc/GMT+12", "Etc/GMT+5",
                "US/Eastern", "Asia/Calcutta", "Europe/Dublin", "Antarctica/Troll",
                "Africa/Casablanca", "America/Santiago", "America/St_Johns",
                "Pacific/Apia", "Asia/Tehran", "Europe/London")


def _transitions(zone, start, end):
    """The instants (UTC) at which zone's offset changes in [start, end),
    found by zoneinfo alone, with the offsets before and after."""
    zi = ZoneInfo(zone)
    out, t = [], start
    prev = t.astimezone(zi).utcoffset()
    while t < end:
        nxt = t + datetime.timedelta(hours=1)
        off = nxt.astimezone(zi).utcoffset()
        if off != prev:
            m = t
            while m.astimezone(zi).utcoffset() == prev:
                m += datetime.timedelta(minutes=1)
            out.append((m, prev, off))
            prev = off
        t = nxt
    return out


def test_deadlines_at_every_2026_transition_of_tricky_zones_match_zoneinfo(t):
    # Around each offset change of 2026 (and on a plain day), wall times on
    # both sides of the change, at its edges, in its gap or its overlap:
    # deadline_utc and the note must be zoneinfo's answer under the
    # README's rule (overlap: the earlier instant; gap: moved forward).
    start = datetime.datetime(2026, 1, 1, tzinfo=UTC)
    end = datetime.datetime(2027, 1, 1, tzinfo=UTC)
    cases = []
    for zone in TRICKY_ZONES:
        walls = {datetime.datetime(2026, 6, 15, 9, 0)}
        for at, before, after in _transitions(zone, start, end):
            for off in (before, after):
                base = (at + off).replace(tzinfo=None)
                for dm in (-61, -60, -31, -30, -1, 0, 1, 29, 30, 59, 60, 61):
                    walls.add(base + datetime.timedelta(minutes=dm))
        cases += [(zone, w) for w in sorted(walls)]
    assert len(cases) > 300, len(cases)
    inv = ["serial_number,time_zone,platform,os_version,last_check_in\n"]
    tg = [TARGETS_HEADER]
    want = {}
    for n, (zone, w) in enumerate(cases):
        serial = "TZ%05d" % n
        zi = ZoneInfo(zone)
        inv.append(f"{serial},{zone},macOS,26.0,2026-12-01T00:00:00Z\n")
        tg.append(f"macOS,,{serial},26.1,,{w.isoformat()},\n")
        early = w.replace(tzinfo=zi, fold=0)
        late = w.replace(tzinfo=zi, fold=1)
        if early.astimezone(UTC).astimezone(zi).replace(tzinfo=None) != w:
            kind = "DST gap"
        elif early.utcoffset() != late.utcoffset():
            kind = "DST overlap"
        else:
            kind = ""
        want[serial] = (zone, w.isoformat(), early.astimezone(UTC).strftime(ISO), kind)
    t.ok("run", "--out", t.out, "--as-of", "2026-12-02T00:00:00Z",
         t.write("inv.csv", "".join(inv)), t.write("targets.csv", "".join(tg)))
    bad = []
    for d in t.csv("devices"):
        zone, wall, utc, kind = want[d["serial_number"]]
        note = ("DST gap" if "DST gap" in d["notes"] else
                "DST overlap" if "DST overlap" in d["notes"] else "")
        got = (d["time_zone"], d["deadline_local"], d["deadline_utc"], note)
        if got != (zone, wall, utc, kind) or d["deadline_earliest_utc"] != utc:
            bad.append((got, (zone, wall, utc, kind)))
    assert not bad and len(want) == len(t.csv("devices")), bad[:10]


def test_classification_at_the_instant_of_a_gap_and_an_overlap_deadline(t):
    # A deadline in a DST gap (02:30 on the US spring-forward night does
    # not exist: 03:30 EDT) and one in an overlap (01:30 on the fall-back
    # night happens twice: the first, EDT) are past at their instant, not a
    # second before; a second before, due soon and in the final hour.
    gap, overlap = "2026-03-08T02:30:00", "2026-11-01T01:30:00"
    inv = t.write("inv.csv", inventory([
        ("GAP1", "America/New_York", "macOS", "26.0", "2026-03-07T12:00:00Z"),
        ("OVL1", "US/Eastern", "macOS", "26.0", "2026-10-31T12:00:00Z")]))
    tg = t.write("targets.csv", TARGETS_HEADER +
                 f"macOS,,GAP1,26.1,,{gap},\nmacOS,,OVL1,26.1,,{overlap},\n")
    for serial, wall in (("GAP1", gap), ("OVL1", overlap)):
        at = utc_of(wall, "America/New_York")
        assert at.strftime(ISO) == {"GAP1": "2026-03-08T07:30:00Z",
                                    "OVL1": "2026-11-01T05:30:00Z"}[serial]
        for as_of, cls in ((at - datetime.timedelta(seconds=1), "due-soon"),
                           (at, "past-deadline")):
            out = t.path(f"out-{serial}-{cls}")
            t.ok("run", "--out", out, "--as-of", as_of.strftime(ISO), inv, tg)
            dev = {d["serial_number"]: d for d in t.csv("devices", where=out)}[serial]
            assert (dev["classification"], dev["deadline_utc"]) == \
                (cls, at.strftime(ISO)), (as_of, dev)
            if cls == "due-soon":
                (row,) = [r for r in t.csv("due-soon", where=out)
                          if r["serial_number"] == serial]
                assert (row["hours_left"], row["user_notice"]) == ("0.0", "final-hour"), row
            else:
                (row,) = [r for r in t.csv("past-deadline", where=out)
                          if r["serial_number"] == serial]
                assert (row["hours_overdue"], row["days_overdue"]) == ("0.0", "0.0"), row


def test_nightly_run_files_each_night_under_its_local_date(t):
    # The README's cron line runs at 02:15 server time with --out
    # /srv/reports/{date}.  On a server in Helsinki, over the spring DST
    # change (2026-03-29 03:00 EET -> 04:00 EEST), the three nights run at
    # 00:15Z, 00:15Z and 23:15Z.  By UTC days the last two fell on
    # 2026-03-29: Monday's run replaced Sunday's folder and its trend row.
    # Each night is now the date `date +%F` prints on that server.
    inv = t.write("inv.csv", inventory([
        ("HEL1", "Europe/Helsinki", "macOS", "26.0", "2026-03-27T10:00:00Z")]))
    tg = t.write("targets.csv", TARGETS_HEADER + "macOS,*,,26.1,,2026-04-30T12:00:00,\n")
    t.ok("ingest", inv, tg)
    hel = ZoneInfo("Europe/Helsinki")
    nights = ["2026-03-28T00:15:00Z", "2026-03-29T00:15:00Z", "2026-03-29T23:15:00Z"]
    want = []
    for as_of in nights:
        local = datetime.datetime.strptime(as_of, ISO).replace(tzinfo=UTC).astimezone(hel)
        assert local.strftime("%H:%M") == "02:15", local
        want.append(local.strftime("%Y-%m-%d"))
        t.ok("report", "--out", t.path("reports/{date}"), "--as-of", as_of,
             env={"TZ": "Europe/Helsinki"})
    assert want == ["2026-03-28", "2026-03-29", "2026-03-30"], want
    assert sorted(os.listdir(t.path("reports"))) == want
    trend = t.csv("trend", where=t.path("reports/" + want[-1]))
    assert [r["as_of"] for r in trend] == nights, trend
    # A second run on the same local day replaces that night's row.
    t.ok("report", "--out", t.path("reports/{date}"), "--as-of", "2026-03-30T05:00:00Z",
         env={"TZ": "Europe/Helsinki"})
    trend = t.csv("trend", where=t.path("reports/2026-03-30"))
    assert [r["as_of"] for r in trend] == nights[:2] + ["2026-03-30T05:00:00Z"], trend
    # With the server in UTC, {date} is the UTC date, as before.
    t.ok("report", "--out", t.path("utc/{date}"), "--as-of", nights[2])
    assert os.listdir(t.path("utc")) == ["2026-03-29"]


def test_a_bad_status_zone_is_no_note_when_the_inventory_zone_read_the_deadline(t):
    # The inventory says Asia/Tokyo, a status export's zone column says
    # "Mars/Olympus".  The deadline is read in Tokyo (time_zone_source
    # inventory); the device's notes said "unknown time zone Mars/Olympus"
    # all the same, which an auditor reads as a deadline in doubt.  Only
    # the zone the deadline could have been read in is noted.
    inv = t.write("inv.csv", inventory([
        ("Z1", "Asia/Tokyo", "macOS", "26.0", "2026-11-26T05:00:00Z"),
        ("Z2", "", "macOS", "26.0", "2026-11-26T05:00:00Z")]))
    st = t.write("status.csv", STATUS_HEADER +
                 "Z1,Pending,2026-11-26T06:00:00Z,,,,macOS,,26.0,,,,,,Mars/Olympus,,\n"
                 "Z2,Pending,2026-11-26T06:00:00Z,,,,macOS,,26.0,,,,,,Mars/Olympus,,\n")
    tg = t.write("targets.csv", TARGETS_HEADER + "macOS,*,,26.1,,2026-11-30T12:00:00,\n")
    t.ok("run", "--out", t.out, "--as-of", "2026-11-26T12:00:00Z", inv, tg, st)
    d = {r["serial_number"]: r for r in t.csv("devices")}
    assert (d["Z1"]["time_zone"], d["Z1"]["time_zone_source"]) == ("Asia/Tokyo", "inventory")
    assert "Mars/Olympus" not in d["Z1"]["notes"], d["Z1"]
    # with no inventory zone, the bad one is the reason none applies
    assert d["Z2"]["time_zone_source"] == "none", d["Z2"]
    assert "unknown time zone Mars/Olympus" in d["Z2"]["notes"], d["Z2"]
